// Extism JS SDK baseline: extism.wat loaded with createPlugin (no WASI, in the
// main thread) and called the way an Extism user calls it: `await
// plugin.call(name, input)` with bytes/strings in and PluginOutput out; the
// request/decision travel as JSON. Extism never frees plugin allocations
// between calls (every call leaves its input and output blocks behind), so a
// long-running host must call `plugin.reset()`; here every RESET_EVERY calls,
// its cost amortised into the figure.
import createPlugin from '@extism/extism';
import { ECHO11, ECHO4K, BYTES64K, REQUEST } from './shapes.mjs';

export const RESET_EVERY = 256;

const ADD_INPUT = new Uint8Array(new Uint32Array([3, 4]).buffer);
const jsonReplacer = (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Array.from(v) : v);

export async function loadExtism(wasmBytes) {
  const t0 = performance.now();
  const plugin = await createPlugin({ wasm: [{ data: wasmBytes }] }, { useWasi: false, runInWorker: false });
  return { plugin, loadMs: performance.now() - t0 };
}

/** shape id -> async (i) => value; `i` is the call index within the batch. */
export function extismRunners(plugin) {
  const every = (fn) => async (i) => {
    if (i % RESET_EVERY === RESET_EVERY - 1) await plugin.reset();
    return fn();
  };
  return {
    noop: every(async () => { await plugin.call('noop'); return undefined; }),
    add: every(async () => (await plugin.call('add', ADD_INPUT)).getUint32(0, true)),
    echo11: every(async () => (await plugin.call('echo', ECHO11)).text()),
    echo4k: every(async () => (await plugin.call('echo', ECHO4K)).text()),
    bytes64k: every(async () => (await plugin.call('sum_bytes', BYTES64K)).getUint32(0, true)),
    check: every(async () => (await plugin.call('check', JSON.stringify(REQUEST, jsonReplacer))).json()),
    // Extism has no resources (a plugin would keep state in vars or globals).
    resource: null,
  };
}
