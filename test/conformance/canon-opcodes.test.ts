/**
 * Every canon definition of Binary.md decodes, one test
 * per opcode, each alone in its canon section (the one-byte async built-ins
 * used to be refused as MALFORMED by a 2-byte minimum per definition).
 */
import { describe, expect, it } from 'vitest';
import { parse } from '@bytecodealliance/jco';
import { decodeComponent } from '../../src/component/decode.js';

const PRELUDE = `
  (core module $m (memory (export "mem") 1) (table (export "t") 1 funcref) (func (export "f")))
  (core instance $i (instantiate $m))
  (alias core export $i "mem" (core memory $mem))
  (alias core export $i "t" (core table $tbl))
  (core type $ft (func (param i32)))
  (type $r (resource (rep i32)))
  (type $s (stream u8))
  (type $fu (future u8))
  (import "g" (func $g))`;

/** [spec name, WAT canon form (null: this wasm-tools has no text form matching the spec), binary encoding]. */
const OPCODES: [string, string | null, number[]][] = [
  ['lift', null, [0x00, 0x00, 0x00, 0x00, 0x00]],
  ['lower', '(canon lower (func $g))', [0x01, 0x00, 0x00, 0x00]],
  ['resource.new', '(canon resource.new $r)', [0x02, 0x00]],
  ['resource.drop', '(canon resource.drop $r)', [0x03, 0x00]],
  ['resource.rep', '(canon resource.rep $r)', [0x04, 0x00]],
  ['backpressure.inc', '(canon backpressure.inc)', [0x24]],
  ['backpressure.dec', '(canon backpressure.dec)', [0x25]],
  ['task.return', '(canon task.return (result u32))', [0x09, 0x00, 0x79, 0x00]],
  ['task.cancel', '(canon task.cancel)', [0x05]],
  ['context.get', '(canon context.get i32 0)', [0x0a, 0x7f, 0x00]],
  ['context.set', '(canon context.set i32 0)', [0x0b, 0x7f, 0x00]],
  ['subtask.cancel', '(canon subtask.cancel async)', [0x06, 0x01]],
  ['subtask.drop', '(canon subtask.drop)', [0x0d]],
  ['stream.new', '(canon stream.new $s)', [0x0e, 0x00]],
  ['stream.read', '(canon stream.read $s (memory $mem))', [0x0f, 0x00, 0x01, 0x03, 0x00]],
  ['stream.write', '(canon stream.write $s (memory $mem))', [0x10, 0x00, 0x01, 0x03, 0x00]],
  ['stream.cancel-read', '(canon stream.cancel-read $s async)', [0x11, 0x00, 0x01]],
  ['stream.cancel-write', '(canon stream.cancel-write $s)', [0x12, 0x00, 0x00]],
  ['stream.drop-readable', '(canon stream.drop-readable $s)', [0x13, 0x00]],
  ['stream.drop-writable', '(canon stream.drop-writable $s)', [0x14, 0x00]],
  ['future.new', '(canon future.new $fu)', [0x15, 0x00]],
  ['future.read', '(canon future.read $fu (memory $mem))', [0x16, 0x00, 0x01, 0x03, 0x00]],
  ['future.write', '(canon future.write $fu (memory $mem))', [0x17, 0x00, 0x01, 0x03, 0x00]],
  ['future.cancel-read', '(canon future.cancel-read $fu)', [0x18, 0x00, 0x00]],
  ['future.cancel-write', '(canon future.cancel-write $fu async)', [0x19, 0x00, 0x01]],
  ['future.drop-readable', '(canon future.drop-readable $fu)', [0x1a, 0x00]],
  ['future.drop-writable', '(canon future.drop-writable $fu)', [0x1b, 0x00]],
  ['error-context.new', '(canon error-context.new (memory $mem))', [0x1c, 0x01, 0x03, 0x00]],
  ['error-context.debug-message', '(canon error-context.debug-message (memory $mem))', [0x1d, 0x01, 0x03, 0x00]],
  ['error-context.drop', '(canon error-context.drop)', [0x1e]],
  ['waitable-set.new', '(canon waitable-set.new)', [0x1f]],
  ['waitable-set.wait', '(canon waitable-set.wait (memory $mem))', [0x20, 0x01, 0x00]],
  ['waitable-set.poll', '(canon waitable-set.poll (memory $mem))', [0x21, 0x00, 0x00]],
  ['waitable-set.drop', '(canon waitable-set.drop)', [0x22]],
  ['waitable.join', '(canon waitable.join)', [0x23]],
  ['thread.index', '(canon thread.index)', [0x26]],
  ['thread.new-indirect', null, [0x27, 0x00, 0x00]],
  ['thread.resume-later', '(canon thread.resume-later)', [0x28]],
  ['thread.suspend', '(canon thread.suspend)', [0x29, 0x01]],
  ['thread.yield', '(canon thread.yield)', [0x0c, 0x00]],
  ['thread.suspend-then-resume', '(canon thread.suspend-then-resume)', [0x2a, 0x00]],
  ['thread.yield-then-resume', '(canon thread.yield-then-resume)', [0x2b, 0x01]],
  ['thread.suspend-then-promote', '(canon thread.suspend-then-promote)', [0x2c, 0x00]],
  ['thread.yield-then-promote', '(canon thread.yield-then-promote)', [0x2d, 0x00]],
  // jco 1.35's wasm-tools encodes 0x40/0x42 without the spec's newer `shared?` byte: binary form only.
  ['thread.spawn-ref', null, [0x40, 0x00, 0x00]],
  ['thread.spawn-indirect', null, [0x41, 0x00, 0x00, 0x00]],
  ['thread.available-parallelism', null, [0x42, 0x00]],
];

/** A component of a type section (one func type, for `lift`) and a canon section holding `defs`. */
function handAssembled(...defs: number[][]): Uint8Array {
  const typeSec = [0x07, 0x04, 0x01, 0x40, 0x00, 0x01, 0x00]; // (type (func)) — 0x01 0x00: empty result list
  typeSec[1] = typeSec.length - 2;
  const body = [defs.length, ...defs.flat()];
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, ...typeSec, 0x08, body.length, ...body]);
}

describe('canon definitions: every opcode of Binary.md decodes', () => {
  for (const [name, wat, bin] of OPCODES) {
    it(`${name} (0x${bin[0]!.toString(16).padStart(2, '0')})`, async () => {
      const fromBytes = decodeComponent(handAssembled(bin));
      expect(fromBytes.canonBuiltins).toEqual([name]);
      if (wat !== null) {
        // The same definition as wasm-tools encodes it, in a component with real core items around it.
        const d = decodeComponent(await parse(`(component ${PRELUDE} (core func ${wat}))`));
        expect(d.canonBuiltins).toEqual([name]);
      }
    });
  }

  it('decodes the reported canon section `08 03 | 02 24 25` (two one-byte definitions in three bytes)', () => {
    const d = decodeComponent(handAssembled([0x24], [0x25]));
    expect(d.canonBuiltins).toEqual(['backpressure.dec', 'backpressure.inc']);
  });

  it('records the async option of lift/lower', async () => {
    const d = decodeComponent(await parse(`(component ${PRELUDE}
      (core func (canon lower (func $g) async))
      (func (canon lift (core func $i "f") async)))`));
    expect(d.asyncCanon).toBe(true);
    expect(decodeComponent(await parse(`(component ${PRELUDE} (core func (canon lower (func $g))))`)).asyncCanon).toBe(false);
  });

  it('still refuses an unknown opcode and a truncated definition as MALFORMED', () => {
    expect(() => decodeComponent(handAssembled([0x07]))).toThrow(/unknown canon opcode 0x7/);
    expect(() => decodeComponent(handAssembled([0x0a, 0x7f]))).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
  });
});
