/**
 * Every code witplug reports — runtime errors, admission problems and
 * admission notes — is listed here and nowhere else, so callers (and the CLI's
 * JSON output) can rely on them. Admission problems and notes are subsets
 * that reuse the same strings (`MALFORMED` is one code whether the gate or the
 * runtime reports it).
 */

/** Why the admission gate refused a plugin (`report.problems[].code`). */
export const AdmissionCodes = {
  /** The plugin imports an interface (or function) the contract does not offer, or one it was not granted. */
  EXTRA_IMPORT: 'EXTRA_IMPORT',
  /** An imported, offered interface differs from the host's: extra function, different signature or type. */
  IMPORT_MISMATCH: 'IMPORT_MISMATCH',
  /** A hook interface the contract requires is not exported. */
  MISSING_EXPORT: 'MISSING_EXPORT',
  /** An exported hook interface lacks a function or differs in a type. */
  EXPORT_MISMATCH: 'EXPORT_MISMATCH',
  /** Same package interface, but semver-incompatible versions. */
  VERSION_MISMATCH: 'VERSION_MISMATCH',
  /** A core module (or other non-component wasm) was given where a component was expected. */
  NOT_A_COMPONENT: 'NOT_A_COMPONENT',
  /** Empty, truncated or corrupted bytes: not a well-formed component binary. */
  MALFORMED: 'MALFORMED',
  /** A well-formed component using a component-model feature witplug does not support (docs/conformance.md). */
  UNSUPPORTED: 'UNSUPPORTED',
} as const;
export type AdmissionCode = (typeof AdmissionCodes)[keyof typeof AdmissionCodes];

/** Things worth knowing that do not reject a plugin (`report.notes[].code`). */
export const NoteCodes = {
  /** The plugin exports an item the contract does not require. */
  EXTRA_EXPORT: 'EXTRA_EXPORT',
  /** A required hook interface exports more functions or types than required. */
  EXTRA_EXPORT_MEMBER: 'EXTRA_EXPORT_MEMBER',
  /** An import matched an offered interface of a different (compatible) version. */
  VERSION_DIFFERS: 'VERSION_DIFFERS',
  /** `missingImports: 'trap'`: an imported function or type the host lacks, linked to an UNSUPPORTED stub. */
  MISSING_IMPORT: 'MISSING_IMPORT',
  /** An export the host marked optional (a PluginHost hook with `optional: true`) is absent; dispatch passes the plugin by. */
  OPTIONAL_EXPORT_MISSING: 'OPTIONAL_EXPORT_MISSING',
} as const;
export type NoteCode = (typeof NoteCodes)[keyof typeof NoteCodes];

/** Codes of `WitplugError`s. */
export const ErrorCodes = {
  /** Bad CLI flags, unreadable input files, arguments that don't fit the function. */
  USAGE: 'USAGE',
  /** A file that should exist does not. */
  NOT_FOUND: 'NOT_FOUND',
  /** WIT that does not parse or a world that does not exist. */
  CONTRACT: 'CONTRACT',
  MALFORMED: AdmissionCodes.MALFORMED,
  NOT_A_COMPONENT: AdmissionCodes.NOT_A_COMPONENT,
  /** The admission gate refused the plugin; the report is attached. */
  REJECTED: 'REJECTED',
  /**
   * A plugin's manifest (`PluginHost.loadDir`) requested more than the host's
   * policy allows: a filesystem root, read-write access, an environment
   * variable, a WASI interface, a priority or a limit raised. Not loaded.
   */
  POLICY: 'POLICY',
  /** No such export / function on the plugin. */
  NO_SUCH_FUNCTION: 'NO_SUCH_FUNCTION',
  /** jco could not transpile or instantiate the component. */
  COMPILE: 'COMPILE',
  /** The plugin called a host function the host does not implement. */
  UNSUPPORTED: AdmissionCodes.UNSUPPORTED,
  /**
   * The host cannot link the plugin: an import it cannot serve (a WASI or
   * interface version it does not implement, an ungranted WASI interface,
   * an import jco's glue found missing). The host's or the contract's gap,
   * never counted against the plugin.
   */
  LINK: 'LINK',
  /** The plugin trapped (unreachable, out of bounds, bad canonical ABI value…). */
  TRAP: 'TRAP',
  FUEL_EXHAUSTED: 'FUEL_EXHAUSTED',
  TIMEOUT: 'TIMEOUT',
  MEMORY_LIMIT: 'MEMORY_LIMIT',
  OUTPUT_LIMIT: 'OUTPUT_LIMIT',
  DISABLED: 'DISABLED',
  /** A host implementation failed: threw (`cause`), or returned a value that cannot reach the plugin. Not counted against the plugin. */
  HOST_ERROR: 'HOST_ERROR',
  /** A host function called back into the plugin instance that called it (refused; the host's fault). */
  REENTRANCE: 'REENTRANCE',
  /** A per-instance bound other than memory/output was hit (`maxHandles` resource handles, `maxTableElements`). */
  RESOURCE_LIMIT: 'RESOURCE_LIMIT',
  /** The plugin's `init` export returned an error: it is not loaded. */
  INIT_FAILED: 'INIT_FAILED',
  /** The plugin was closed (`plugin.close()`); load it again to call it. */
  CLOSED: 'CLOSED',
  /** A value passed to or returned from a plugin does not match its WIT type. */
  TYPE_MISMATCH: 'TYPE_MISMATCH',
  /** An isolated plugin's worker thread stopped (out of memory, terminated, crashed); the message says why. */
  WORKER_EXIT: 'WORKER_EXIT',
  /** The compile cache could not be read or written. */
  CACHE: 'CACHE',
  /**
   * The plugin imports host functions declared asynchronous, and this host
   * configuration cannot wait for them: in-process on a runtime without JS
   * promise integration. Refused at load; the message names the functions.
   */
  ASYNC_UNSUPPORTED: 'ASYNC_UNSUPPORTED',
  /** A plugin build (`witplug build`) needs a tool that is not installed; the message names what to install. */
  TOOLCHAIN: 'TOOLCHAIN',
  /** A plugin's sources did not build (compiler, parser or componentize error, shown in the message). */
  BUILD: 'BUILD',
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
  /** The last lines the plugin wrote to stderr before it trapped. */
  stderr?: string;
}

export interface WitplugErrorJson {
  readonly code: ErrorCode;
  readonly message: string;
  readonly plugin?: string;
  /** `iface#func` being called when it happened. */
  readonly function?: string;
  readonly path?: string;
}

export class WitplugError extends Error {
  override readonly name = 'WitplugError';
  readonly code: ErrorCode;
  readonly path: string | undefined;
  readonly plugin: string | undefined;
  readonly hook: string | undefined;
  readonly details: unknown;
  /** On a TRAP: the last lines the plugin wrote to stderr (a JavaScript plugin's uncaught exception), when it wrote any. */
  readonly stderr: string | undefined;

  constructor(code: ErrorCode, message: string, options: WitplugErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = options.path;
    this.plugin = options.plugin;
    this.hook = options.hook;
    this.details = options.details;
    this.stderr = options.stderr;
  }

  /** The documented JSON shape: code and message, plus plugin, function (`iface#func`) and path when known. */
  toJSON(): WitplugErrorJson {
    return {
      code: this.code,
      message: this.message,
      ...(this.plugin === undefined ? {} : { plugin: this.plugin }),
      ...(this.hook === undefined ? {} : { function: this.hook }),
      ...(this.path === undefined ? {} : { path: this.path }),
    };
  }
}

export function isWitplugError(e: unknown): e is WitplugError {
  return e instanceof WitplugError;
}

/** Every code of the three groups, each once. */
export const allCodes: ReadonlySet<string> = new Set([
  ...Object.values(ErrorCodes), ...Object.values(AdmissionCodes), ...Object.values(NoteCodes),
]);
