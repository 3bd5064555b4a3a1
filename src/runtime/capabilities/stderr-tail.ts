/**
 * What a plugin wrote to stderr last, kept so its TRAP error can say why it
 * failed. A JavaScript plugin's uncaught `throw` ends as an `unreachable`
 * trap; StarlingMonkey writes the exception's message and stack to stderr
 * first, and C guests print there before `abort()`. Each plugin instance's
 * `wasi:cli/stderr` stream is wrapped: every write is still passed on to the
 * host's stderr as before, and its bytes are also kept in a bounded ring
 * (the last STDERR_TAIL_BYTES). When a call traps, the last STDERR_TAIL_LINES
 * lines are taken (the ring is emptied) and attached to the error.
 *
 * Only plugins granted `wasi:cli/stderr` can write there; nothing is added
 * on a call path that does not write.
 */

import { WitplugError, ErrorCodes } from '../../errors.js';

/** Bytes of stderr kept per plugin instance. */
export const STDERR_TAIL_BYTES = 4096;
/** Lines of that tail attached to a TRAP error. */
export const STDERR_TAIL_LINES = 20;

/** The last STDERR_TAIL_BYTES bytes written, as a list of chunks. */
export class StderrTail {
  #chunks: Uint8Array[] = [];
  #size = 0;

  /** Records a copy of (the end of) `bytes`. */
  write(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    const kept = bytes.byteLength > STDERR_TAIL_BYTES ? bytes.subarray(bytes.byteLength - STDERR_TAIL_BYTES) : bytes;
    this.#chunks.push(kept.slice());
    this.#size += kept.byteLength;
    while (this.#size > STDERR_TAIL_BYTES) {
      const first = this.#chunks[0]!;
      const excess = this.#size - STDERR_TAIL_BYTES;
      if (first.byteLength <= excess) {
        this.#chunks.shift();
        this.#size -= first.byteLength;
      } else {
        this.#chunks[0] = first.subarray(excess);
        this.#size -= excess;
      }
    }
  }

  /**
   * The last STDERR_TAIL_LINES non-empty lines (UTF-8, a character cut by the
   * ring's start replaced), or null when nothing was written; empties the ring.
   */
  take(): string | null {
    if (this.#size === 0) return null;
    const text = Buffer.concat(this.#chunks, this.#size).toString('utf8');
    this.#chunks = [];
    this.#size = 0;
    const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
    return lines.length === 0 ? null : lines.slice(-STDERR_TAIL_LINES).join('\n');
  }
}

/** The tail of each WASI import object (one per plugin instance), when it serves wasi:cli/stderr. */
const tails = new WeakMap<object, StderrTail>();

/** The stream methods that take bytes to write (wasi:io/streams output-stream). */
const WRITES = new Set(['write', 'blockingWriteAndFlush']);

/**
 * Replaces `wasi:cli/stderr` in `all` (preview2-shim's import object) by one
 * whose stream records what is written into `tail`. `forward: false` keeps
 * the bytes from the host's stderr (a plugin run only to warm it up).
 */
export function captureStderr(all: Record<string, unknown>, tail: StderrTail, forward = true): void {
  wrapStream(all, 'wasi:cli/stderr', 'getStderr', tail, forward);
}

/** Keeps what the plugin writes to stdout from the host's stdout (a plugin run only to warm it up). */
export function captureStdout(all: Record<string, unknown>): void {
  wrapStream(all, 'wasi:cli/stdout', 'getStdout', null, false);
}

function wrapStream(all: Record<string, unknown>, iface: string, getter: string, tail: StderrTail | null, forward: boolean): void {
  const table = all[iface] as Record<string, unknown> | undefined;
  const get = table?.[getter];
  if (typeof get !== 'function') return;
  let wrapped: object | undefined;
  all[iface] = { ...table, [getter]: () => (wrapped ??= recording(get.call(table) as object, tail, forward)) };
}

/**
 * The stream as the guest sees it: the shim's own object (jco checks it with
 * instanceof; the proxy keeps its prototype) whose writes are also recorded.
 * Methods run bound to the real object (the shim keeps state in private fields).
 */
function recording<T extends object>(stream: T, tail: StderrTail | null, forward: boolean): T {
  return new Proxy(stream, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      const method = value as (...a: unknown[]) => unknown;
      if (typeof key === 'string' && WRITES.has(key)) {
        return (bytes: unknown, ...rest: unknown[]) => {
          if (tail !== null && bytes instanceof Uint8Array) tail.write(bytes);
          if (!forward) return undefined;
          return method.call(target, bytes, ...rest);
        };
      }
      return method.bind(target);
    },
  });
}

/** Attaches `tail` to the WASI imports of one plugin instance (taken by `takeStderr`). */
export function registerStderrTail(imports: object, tail: StderrTail): void {
  tails.set(imports, tail);
}

/** The stderr tail of the instance using these WASI imports (emptied), or null. */
export function takeStderr(imports: object): string | null {
  return tails.get(imports)?.take() ?? null;
}

/**
 * A plugin's call failed and its instance is being dropped: empties the
 * stderr tail of that instance and, when the failure is a TRAP, returns the
 * error with the tail attached (`error.stderr`, and the lines at the end of
 * the message). Other codes are returned unchanged.
 */
export function withStderrTail(err: WitplugError, imports: object): WitplugError {
  const stderr = takeStderr(imports);
  if (stderr === null || err.code !== ErrorCodes.TRAP) return err;
  const lines = stderr.split('\n').map((line) => `  ${line}`).join('\n');
  // After the first line (what happened), before the wasm backtrace: the guest's own words first.
  const cut = err.message.indexOf('\n');
  const [head, rest] = cut === -1 ? [err.message, ''] : [err.message.slice(0, cut), err.message.slice(cut)];
  return new WitplugError(err.code, `${head}\nplugin stderr (last lines):\n${lines}${rest}`, {
    ...(err.path === undefined ? {} : { path: err.path }),
    ...(err.plugin === undefined ? {} : { plugin: err.plugin }),
    ...(err.hook === undefined ? {} : { hook: err.hook }),
    cause: err.cause,
    details: err.details,
    stderr,
  });
}
