// witplug-abi: witplug's canonical-ABI call path on its own — the
// `createExportCaller(func, core)` of dist/runtime/abi/ over the raw core
// instance of bench.wat, no component runtime around it. Shows what the fast
// path costs even before (or apart from) plugin.fn routing through it.
// Optional: reported as null with a note when dist/runtime/abi/ is absent.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST } from './witplug-runners.mjs';
import { instantiateRaw } from './raw-baseline.mjs';
import { ECHO11, ECHO4K, BYTES64K, REQUEST } from './shapes.mjs';

const P = 'bench:shapes/shapes@0.1.0';

/** `createExportCaller` and `AbiContext` from the built library, or why they are unavailable. */
async function loadAbi() {
  const path = join(dirname(DIST), 'runtime', 'abi', 'index.js');
  if (!existsSync(path)) return { error: `${path} not present (run npm run build)` };
  try {
    const mod = await import(pathToFileURL(path).href);
    return { fn: mod.createExportCaller, AbiContext: mod.AbiContext };
  } catch (e) {
    return { error: `import ${path} failed: ${e?.message ?? e}` };
  }
}

/** @returns {Promise<{ runners: Record<string, (() => unknown) | null>, errors: Record<string, string>, note: string }>} */
export async function witplugAbiRunners(lib, componentBytes, coreModule) {
  const ids = ['noop', 'add', 'echo11', 'echo4k', 'bytes64k', 'check', 'resource'];
  const runners = {};
  const errors = {};
  const found = lib ? await loadAbi() : { error: 'dist/index.js not available' };
  if (found.error) {
    for (const id of ids) { runners[id] = null; errors[id] = found.error; }
    return { runners, errors, note: found.error };
  }
  // Function types in witplug's own model, decoded from the bench component.
  // witplug/tools since the public API was trimmed; older builds (WITPLUG_DIST) export it from index.
  const toolsPath = join(dirname(DIST), 'tools.js');
  const { decodeComponent } = existsSync(toolsPath) ? await import(pathToFileURL(toolsPath).href) : lib;
  const funcs = decodeComponent(componentBytes).shape.exports.find((e) => e.kind === 'interface' && e.name === P).iface.funcs;
  // One raw core instance per shape; its exported resource's handles live in the context's table.
  const make = (func, args) => {
    const context = new found.AbiContext();
    const key = `${P}#counter`;
    const { ex } = instantiateRaw(coreModule, () => ({
      [`[export]${P}`]: { '[resource-new]counter': (rep) => context.handles.resourceNew(key, rep) },
    }));
    const caller = (name) => {
      const coreName = `${P}#${name}`;
      const type = funcs.get(name);
      if (!type) throw new Error(`no type for ${name}`);
      const core = { fn: ex[coreName], memory: ex.memory, realloc: ex.cabi_realloc, ...(ex[`cabi_post_${coreName}`] ? { postReturn: ex[`cabi_post_${coreName}`] } : {}) };
      return found.fn(type, core, context);
    };
    const call = caller(func);
    const a = typeof args === 'function' ? args(caller) : args;
    return () => call(...a);
  };
  const plan = {
    noop: ['noop', []],
    add: ['add', [3, 4]],
    echo11: ['echo', [ECHO11]],
    echo4k: ['echo', [ECHO4K]],
    bytes64k: ['sum-bytes', [BYTES64K]],
    check: ['check', [REQUEST]],
    // The constructor's own<counter> comes back as a handle object; the method borrows it.
    resource: ['[method]counter.incr', (caller) => [caller('[constructor]counter')(1), 1]],
  };
  for (const [id, [func, args]] of Object.entries(plan)) {
    try { runners[id] = make(func, args); } catch (e) { runners[id] = null; errors[id] = `${e?.code ? `${e.code}: ` : ''}${e?.message ?? e}`; }
  }
  return { runners, errors, note: 'dist/runtime/abi/index.js createExportCaller, types from decodeComponent' };
}
