/**
 * Shared CLI plumbing: exit codes, JSON output and turning errors into the
 * documented failure shapes. Every command goes through `runCommand`, so no
 * command can leak a stack trace or an unexpected exit code.
 */
import { WitplugError, ErrorCodes, type WitplugErrorJson } from '../index.js';

/** BREAKING (100, as `buf breaking`): `witplug diff` found changes that break the chosen side. */
export const ExitCode = { OK: 0, FAILED: 1, USAGE: 2, BREAKING: 100 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Codes that mean "the caller got the invocation wrong" → exit 2.
 * `TYPE_MISMATCH` is always an argument refused before plugin code runs, and
 * the CLI's only arguments are its own `--args`: some of them (a string with
 * a lone surrogate) only fail when lowered, so the code stays TYPE_MISMATCH.
 */
const USAGE_CODES = new Set<string>([ErrorCodes.USAGE, ErrorCodes.NOT_FOUND, ErrorCodes.CONTRACT, ErrorCodes.NO_SUCH_FUNCTION, ErrorCodes.TYPE_MISMATCH]);

export function exitCodeFor(err: unknown): ExitCode {
  return err instanceof WitplugError && USAGE_CODES.has(err.code) ? ExitCode.USAGE : ExitCode.FAILED;
}

export function toWitplugError(err: unknown): WitplugError {
  if (err instanceof WitplugError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new WitplugError(ErrorCodes.INTERNAL, message, { cause: err });
}

/** JSON.stringify that renders bigint as decimal strings and typed arrays as arrays. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as Uint8Array);
      return v;
    },
    indent,
  );
}

export function printJson(value: unknown): void {
  process.stdout.write(toJson(value) + '\n');
}

export function failureJson(err: WitplugError): { ok: false; error: WitplugErrorJson } {
  return { ok: false, error: err.toJSON() };
}

/**
 * Runs a command body, mapping any thrown error to the documented output:
 * with `json` one `{"ok":false,"error":{…}}` object on stdout, otherwise a
 * one-line message on stderr. Sets `process.exitCode`; never throws.
 */
export async function runCommand(json: boolean, body: () => Promise<ExitCode>): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (e) {
    const err = toWitplugError(e);
    if (json) printJson(failureJson(err));
    else process.stderr.write(`witplug: error [${err.code}]: ${err.message}\n`);
    process.exitCode = exitCodeFor(err);
  }
}

/** A usage error with a message naming the problem. */
export function usage(message: string): WitplugError {
  return new WitplugError(ErrorCodes.USAGE, message);
}
