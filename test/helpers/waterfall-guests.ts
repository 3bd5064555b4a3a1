/**
 * Small WAT components of a contract whose hooks return `result<u32, string>`
 * and `option<u32>` over a `u32` parameter, for PluginHost's waterfall and
 * optional-hook tests. Each guest computes `op(n)` below a limit and answers
 * `err("big")` / `none` at or above it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { loadContract, type Contract } from '../../src/contract/load.js';
import { bumpAllocator } from './wat.js';

export const STEPS_WIT = `package test:wf;
interface steps {
  step: func(n: u32) -> result<u32, string>;
  maybe: func(n: u32) -> option<u32>;
  same: func(n: u32) -> u32;
}
interface extra {
  bump: func(n: u32) -> u32;
}
world wf {
  export steps;
  export extra;
}
world steps-only {
  export steps;
}`;

export interface StepGuest {
  /** WAT expression over `$n`: the value computed below the limit. */
  readonly op: string;
  /** At or above it: `err("big")` / `none`. */
  readonly limit: number;
  /** Also export `extra#bump` (n + 1). Default true. */
  readonly extra?: boolean;
}

function stepWat({ op, limit, extra = true }: StepGuest): string {
  return `(module
${bumpAllocator(1024)}
  (data (i32.const 64) "big")
  (func (export "test:wf/steps#step") (param $n i32) (result i32)
    (if (i32.ge_u (local.get $n) (i32.const ${limit}))
      (then (i32.store8 (i32.const 16) (i32.const 1)) (i32.store (i32.const 20) (i32.const 64)) (i32.store (i32.const 24) (i32.const 3)) (return (i32.const 16))))
    (i32.store8 (i32.const 16) (i32.const 0))
    (i32.store (i32.const 20) ${op})
    (i32.const 16))
  (func (export "test:wf/steps#maybe") (param $n i32) (result i32)
    (if (i32.ge_u (local.get $n) (i32.const ${limit}))
      (then (i32.store8 (i32.const 16) (i32.const 0)) (return (i32.const 16))))
    (i32.store8 (i32.const 16) (i32.const 1))
    (i32.store (i32.const 20) ${op})
    (i32.const 16))
  (func (export "test:wf/steps#same") (param $n i32) (result i32) ${op})
${extra ? '  (func (export "test:wf/extra#bump") (param $n i32) (result i32) (i32.add (local.get $n) (i32.const 1)))' : ''})`;
}

/** The contract (world `wf`) and a builder of guests for it. */
export async function stepsContract(): Promise<{ contract: Contract; guest: (g: StepGuest) => Promise<Uint8Array> }> {
  const dir = mkdtempSync(join(tmpdir(), 'witplug-wf-'));
  writeFileSync(join(dir, 'wf.wit'), STEPS_WIT);
  const contract = await loadContract(join(dir, 'wf.wit'), 'wf');
  const guest = async (g: StepGuest): Promise<Uint8Array> =>
    componentNew(await componentEmbed({ binary: await parse(stepWat(g)), witSource: STEPS_WIT, world: g.extra === false ? 'steps-only' : 'wf' }));
  return { contract, guest };
}
