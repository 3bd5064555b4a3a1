/** Assertions on calls that must fail with a WitplugError. */
import { expect } from 'vitest';
import { WitplugError } from '../../src/errors.js';

/** Runs `f`, which must throw a WitplugError; returns it. */
export function thrown(f: () => unknown): WitplugError {
  try {
    f();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(WitplugError);
    return e as WitplugError;
  }
  throw new Error('expected a WitplugError, the call returned');
}

/** Runs `f`, which must throw a WitplugError with `code`; returns it and the elapsed ms. */
export function failsWith(code: string, f: () => unknown): { err: WitplugError; ms: number } {
  const t0 = performance.now();
  const err = thrown(f);
  const ms = performance.now() - t0;
  expect(err.code, err.message).toBe(code);
  return { err, ms };
}
