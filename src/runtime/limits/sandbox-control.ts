/**
 * The globals instrumented plugin code reads (`__witplug.fuel`,
 * `__witplug.grow_failed`), owned by a tiny wasm module of their own so the
 * host can arm both for a call with one wasm call.
 *
 * Why: writing a `WebAssembly.Global` from JS goes through the JS API and
 * costs ~13–16 ns per access on Node 20 (measured), so arming a call (fuel
 * slice + grow flag) cost ~30 ns, most of a limited hook-sized call. An
 * exported wasm function is called through V8's inlined JS→wasm wrapper:
 * ~2 ns for `arm(slice)`.
 *
 *   (module
 *     (global $fuel (export "fuel") (mut i64) (i64.const 0))
 *     (global $grow_failed (export "grow_failed") (mut i32) (i32.const 0))
 *     (func (export "arm") (param $slice i64)
 *       (global.set $fuel (local.get $slice))
 *       (global.set $grow_failed (i32.const 0))))
 *
 * The bytes below are that text assembled by jco's `parse` (a test re-assembles it and compares).
 */
export const CONTROL_WAT = `(module
  (global $fuel (export "fuel") (mut i64) (i64.const 0))
  (global $grow_failed (export "grow_failed") (mut i32) (i32.const 0))
  (func (export "arm") (param $slice i64)
    (global.set $fuel (local.get $slice))
    (global.set $grow_failed (i32.const 0))))`;

export const CONTROL_BYTES = Buffer.from(
  'AGFzbQEAAAABBQFgAX4AAwIBAAYLAn4BQgALfwFBAAsHHAMEZnVlbAMAC2dyb3dfZmFpbGVkAwEDYXJtAAAKDAEKACAAJABBACQBCwAn' +
  'BG5hbWUCCgEAAQAFc2xpY2UHFAIABGZ1ZWwBC2dyb3dfZmFpbGVk',
  'base64',
);

export interface SandboxControl {
  /** The fuel counter (a slice of the budget): decremented by instrumented code. */
  readonly fuel: WebAssembly.Global;
  /** Set by instrumented code when a memory.grow / table.grow was refused. */
  readonly growFailed: WebAssembly.Global;
  /** Sets the fuel counter to `slice` and clears the grow flag. */
  readonly arm: (slice: bigint) => void;
}

let compiled: WebAssembly.Module | undefined;

/** A fresh pair of globals and their arming function (one per sandbox). */
export function createSandboxControl(): SandboxControl {
  compiled ??= new WebAssembly.Module(CONTROL_BYTES);
  const { exports } = new WebAssembly.Instance(compiled);
  return {
    fuel: exports['fuel'] as WebAssembly.Global,
    growFailed: exports['grow_failed'] as WebAssembly.Global,
    arm: exports['arm'] as (slice: bigint) => void,
  };
}
