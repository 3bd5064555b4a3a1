/**
 * Progress of compiles that take a while (a cache miss of a JS guest:
 * transpile + instrument of a 12 MB core module, seconds). Events come only
 * from compiles that miss the cache; hits are silent. Library users pass a
 * listener (`onProgress`); `terminalProgress()` is the one the CLI uses.
 */

export type CompileProgress =
  /** A compile begins: this process transpiles, or waits for a peer process already compiling it. */
  | { readonly phase: 'start'; readonly name: string; readonly bytes: number; readonly waitingForPeer: boolean }
  /** It ended: `by` says whether this process compiled or a peer's entry was used. */
  | { readonly phase: 'done'; readonly name: string; readonly bytes: number; readonly ms: number; readonly by: 'self' | 'peer' };

export type CompileProgressListener = (event: CompileProgress) => void;

export interface TerminalProgressOptions {
  /** Components smaller than this compile in well under a second and print nothing. Default 1 MiB. */
  readonly minBytes?: number;
  /** Default process.env: `CI` set (non-empty) silences the listener. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The stream a listener writes to (process.stderr by default). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * A listener printing `compiling <name> (12.0 MB)… done in 3.1 s` on
 * `stream`, or undefined when the stream is not a terminal or `CI` is set
 * (logs and pipes stay clean). Concurrent compiles each get whole lines.
 */
export function terminalProgress(stream: ProgressStream = process.stderr, options: TerminalProgressOptions = {}): CompileProgressListener | undefined {
  const env = options.env ?? process.env;
  if (stream.isTTY !== true || (env['CI'] ?? '') !== '') return undefined;
  const minBytes = options.minBytes ?? 1024 * 1024;
  /** The plugin whose start line is still open (its "done" can end the same line). */
  let open: string | null = null;
  return (event) => {
    if (event.bytes < minBytes) return;
    if (event.phase === 'start') {
      if (open !== null) stream.write('\n');
      const what = event.waitingForPeer ? 'waiting for another process compiling' : 'compiling';
      stream.write(`${what} ${event.name} (${formatBytes(event.bytes)})…`);
      open = event.name;
      return;
    }
    const took = `${(event.ms / 1000).toFixed(1)} s${event.by === 'peer' ? ' (by another process)' : ''}`;
    if (open === event.name) stream.write(` done in ${took}\n`);
    else stream.write(`${open !== null ? '\n' : ''}compiled ${event.name} in ${took}\n`);
    open = null;
  };
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} B`;
}
