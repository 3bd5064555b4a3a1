import { ErrorCodes, WitplugError } from '../errors.js';

/**
 * The last branch of a `switch` that handles every kind of a union (value
 * types, world items, definitions, externs): there the argument's type is
 * `never`, so adding a kind to the union makes each such switch a compile
 * error until it handles the new kind. Reached at run time only with a value
 * the type system was told wrongly about, which is a bug in witplug.
 */
export function assertNever(value: never, what: string): never {
  throw new WitplugError(ErrorCodes.INTERNAL, `unhandled ${what}: ${discriminant(value)}`);
}

function discriminant(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  const v = value as { kind?: unknown; s?: unknown; d?: unknown };
  return String(v.kind ?? v.s ?? v.d ?? Object.prototype.toString.call(value));
}
