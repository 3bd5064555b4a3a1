/** Maps whatever a plugin call threw to a WitplugError with a stable code. */
import { WitplugError, ErrorCodes } from '../../errors.js';

export function toPluginError(e: unknown, plugin: string, hook: string): WitplugError {
  if (e instanceof WitplugError) {
    return e.plugin ? e : new WitplugError(e.code, e.message, { path: e.path, plugin, hook: e.hook ?? hook, cause: e.cause, details: e.details });
  }
  if (e instanceof WebAssembly.RuntimeError || isStackOverflow(e)) {
    const frames = wasmFrames(e as Error);
    const message = (e as Error).message; // RuntimeError and RangeError are structurally equal: narrowing can't split them
    const what = e instanceof RangeError ? `stack overflow (${message})` : message;
    return new WitplugError(ErrorCodes.TRAP, `plugin ${plugin} trapped in ${hook}: ${what}${frames ? `\nwasm backtrace:\n${frames}` : ''}`, { plugin, hook, cause: e });
  }
  if (e instanceof RangeError) {
    // Any other RangeError (an invalid length or offset, a BigInt out of range) was thrown by JS code running the
    // call — the glue lifting a value the plugin handed back — and says what it is; it is no stack overflow.
    const frames = wasmFrames(e);
    return new WitplugError(ErrorCodes.TRAP, `plugin ${plugin} failed in ${hook}: RangeError: ${e.message}${frames ? `\nwasm backtrace:\n${frames}` : ''}`, { plugin, hook, cause: e });
  }
  if (e instanceof Error) {
    return new WitplugError(ErrorCodes.TRAP, `plugin ${plugin} failed in ${hook}: ${e.message}`, { plugin, hook, cause: e });
  }
  return new WitplugError(ErrorCodes.TRAP, `plugin ${plugin} failed in ${hook}: ${String(e)}`, { plugin, hook, cause: e });
}

/** V8's stack overflow, in wasm or in JS: the only RangeError that is one. */
export function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && e.message.includes('Maximum call stack size exceeded');
}

/** The wasm frames of a stack trace (`wasm://wasm/…`), at most 12. */
function wasmFrames(e: Error): string {
  return (e.stack ?? '')
    .split('\n')
    .filter((l) => l.includes('wasm://') || l.includes('wasm-function'))
    .slice(0, 12)
    .map((l) => '  ' + l.trim())
    .join('\n');
}

/**
 * Something thrown while the caller's arguments were checked, before any
 * plugin code ran (a throwing getter, a symbol coerced to a number, a value
 * nested too deep to walk): the caller's value misbehaved, so TYPE_MISMATCH.
 */
export function unreadableArgument(e: unknown): WitplugError {
  let what: string;
  try {
    what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  } catch {
    what = typeof e;
  }
  return new WitplugError(ErrorCodes.TYPE_MISMATCH, `an argument could not be checked (${what})`, { cause: e });
}
