/**
 * A plugin whose core module uses Wasm GC passes admission (the component
 * layer does not see core types) and is then compiled by V8. Node 20's V8
 * compiles Wasm GC only behind a flag: the COMPILE error must say that a Node
 * with Wasm GC is needed; where Node has it, the plugin runs.
 */
import { describe, expect, it } from 'vitest';
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco';
import { loadPlugin } from '../src/runtime/load/load-plugin.js';
import { nodeHasWasmGc, usesWasmGc } from '../src/compile/wasm/gc.js';

const WIT = 'package fix:gc@0.1.0;\nworld w { export run: func() -> u32; }\n';

/** Core modules returning 5 from `run`, each with one kind of GC type. */
const GC_MODULES: Record<string, string> = {
  struct: '(module (type $s (struct (field i32))) (func (export "run") (result i32) (struct.get $s 0 (struct.new $s (i32.const 5)))))',
  'sub struct': '(module (type $s (sub (struct (field i32)))) (func (export "run") (result i32) (struct.get $s 0 (struct.new $s (i32.const 5)))))',
  array: '(module (type $a (array i32)) (func (export "run") (result i32) (array.get $a (array.new $a (i32.const 5) (i32.const 1)) (i32.const 0))))',
  'rec group': '(module (rec (type $s (struct (field i32))) (type $t (struct (field (ref null $s))))) (func (export "run") (result i32) (i32.const 5)))',
  'typed reference in a signature': '(module (type $s (struct (field i32))) (func $get (param (ref $s)) (result i32) (struct.get $s 0 (local.get 0))) (func (export "run") (result i32) (call $get (struct.new $s (i32.const 5)))))',
};

async function component(coreWat: string): Promise<Uint8Array> {
  return componentNew(await componentEmbed({ binary: await parse(coreWat), witSource: WIT, world: 'w' }));
}

describe('core modules that need Wasm GC', () => {
  it('are recognised from their type section; plain modules are not', async () => {
    for (const [what, wat] of Object.entries(GC_MODULES)) expect(usesWasmGc(await parse(wat)), what).toBe(true);
    expect(usesWasmGc(await parse('(module (func (export "run") (param i32 f64) (result i32) (i32.const 5)))'))).toBe(false);
    expect(usesWasmGc(await parse('(module (func (export "run") (param externref funcref) (result i32) (i32.const 5)))'))).toBe(false);
  });

  it.each(Object.keys(GC_MODULES))('%s: runs where Node has Wasm GC, else COMPILE saying a newer Node is needed', async (what) => {
    const bytes = await component(GC_MODULES[what]!);
    if (nodeHasWasmGc()) {
      const plugin = await loadPlugin(bytes, { cache: null });
      expect(plugin.fn('run')()).toBe(5);
      await plugin.close();
      return;
    }
    let caught: { code?: string; message?: string } | undefined;
    try {
      await loadPlugin(bytes, { cache: null });
    } catch (e) {
      caught = e as { code?: string; message?: string };
    }
    expect(caught?.code).toBe('COMPILE');
    expect(caught?.message).toMatch(/uses Wasm GC .* which Node v\d+\.\d+\.\d+ cannot compile: run it on a Node with Wasm GC \(Node 22 or newer\)/);
  });
});
