/**
 * Every failure witplug reports carries a stable `code`. Codes are listed here
 * and nowhere else, so callers (and the CLI's JSON output) can rely on them.
 */
export const ErrorCodes = {
  /** Bad CLI flags, unreadable input files, arguments that don't fit the function. */
  USAGE: 'USAGE',
  /** A file that should exist does not. */
  NOT_FOUND: 'NOT_FOUND',
  /** WIT that does not parse or a world that does not exist. */
  CONTRACT: 'CONTRACT',
  /** The bytes are not a well-formed component binary. */
  MALFORMED: 'MALFORMED',
  /** A core module was given where a component was expected. */
  NOT_A_COMPONENT: 'NOT_A_COMPONENT',
  /** The admission gate refused the plugin; the report is attached. */
  REJECTED: 'REJECTED',
  /** No such export / function on the plugin. */
  NO_SUCH_FUNCTION: 'NO_SUCH_FUNCTION',
  /** jco could not transpile or instantiate the component. */
  COMPILE: 'COMPILE',
  /** The plugin called a host function the host does not implement. */
  UNSUPPORTED: 'UNSUPPORTED',
  /** The plugin trapped (unreachable, out of bounds, bad canonical ABI value…). */
  TRAP: 'TRAP',
  FUEL_EXHAUSTED: 'FUEL_EXHAUSTED',
  TIMEOUT: 'TIMEOUT',
  MEMORY_LIMIT: 'MEMORY_LIMIT',
  OUTPUT_LIMIT: 'OUTPUT_LIMIT',
  DISABLED: 'DISABLED',
  /** A value passed to or returned from a plugin does not match its WIT type. */
  TYPE_MISMATCH: 'TYPE_MISMATCH',
  /** An isolated plugin's worker thread stopped (out of memory, terminated, crashed); the message says why. */
  WORKER_EXIT: 'WORKER_EXIT',
  /** A host function called back into the plugin that is calling it (refused: the plugin is mid-call). */
  REENTRANCE: 'REENTRANCE',
  /** A host implementation failed (threw, or returned a value that cannot reach the plugin). */
  HOST_ERROR: 'HOST_ERROR',
  /** The compile cache could not be read or written. */
  CACHE: 'CACHE',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface WitplugErrorOptions {
  /** Where the problem is (e.g. `param req > field path`). */
  path?: string;
  plugin?: string;
  /** `iface#func` being called when it happened. */
  hook?: string;
  cause?: unknown;
  /** Extra machine-readable data (e.g. an admission report). */
  details?: unknown;
}

export class WitplugError extends Error {
  override readonly name = 'WitplugError';
  readonly code: ErrorCode;
  readonly path: string | undefined;
  readonly plugin: string | undefined;
  readonly hook: string | undefined;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: WitplugErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = options.path;
    this.plugin = options.plugin;
    this.hook = options.hook;
    this.details = options.details;
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isWitplugError(e: unknown): e is WitplugError {
  return e instanceof WitplugError;
}
