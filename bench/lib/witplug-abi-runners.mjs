// witplug-abi: witplug's canonical-ABI call path on its own — the
// `createExportCaller(func, core)` of dist/runtime/abi/ over the raw core
// instance of bench.wat, no component runtime around it. Shows what the fast
// path costs even before (or apart from) plugin.fn routing through it.
// Optional: reported as null with a note when dist/runtime/abi/ is absent.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST } from './witplug-runners.mjs';
import { instantiateRaw } from './raw-baseline.mjs';
import { ECHO11, ECHO4K, BYTES64K, REQUEST } from './shapes.mjs';

const P = 'bench:shapes/shapes@0.1.0';

/** bench.wit's function types in witplug's type model (src/component/types.ts), used when decodeComponent is unavailable. */
function handBuiltFuncs() {
  const u32 = { kind: 'u32' };
  const string = { kind: 'string' };
  const header = { kind: 'record', name: 'header', fields: [{ name: 'name', type: string }, { name: 'values', type: { kind: 'list', element: string } }] };
  const request = {
    kind: 'record', name: 'request', fields: [
      { name: 'id', type: { kind: 'u64' } },
      { name: 'method', type: { kind: 'enum', name: 'method', names: ['get', 'head', 'post', 'put', 'delete', 'patch', 'options'] } },
      { name: 'path', type: string },
      { name: 'query', type: { kind: 'option', type: string } },
      { name: 'headers', type: { kind: 'list', element: header } },
      { name: 'body', type: { kind: 'list', element: { kind: 'u8' } } },
      { name: 'client', type: { kind: 'flags', name: 'client-traits', names: ['tls', 'authenticated', 'internal', 'bot'] } },
      { name: 'received-at-ms', type: { kind: 's64' } },
    ],
  };
  const decision = {
    kind: 'variant', name: 'decision', cases: [
      { name: 'pass', type: null },
      { name: 'deny', type: { kind: 'record', name: 'denial', fields: [{ name: 'status', type: { kind: 'u16' } }, { name: 'reason', type: string }] } },
      { name: 'redirect', type: { kind: 'record', name: 'redirect-target', fields: [{ name: 'location', type: string }, { name: 'permanent', type: { kind: 'bool' } }] } },
    ],
  };
  const counter = { kind: 'resource', name: 'counter', interfaceName: P };
  const f = (params, result) => ({ kind: 'func', params, result });
  return new Map([
    ['noop', f([], null)],
    ['add', f([{ name: 'a', type: u32 }, { name: 'b', type: u32 }], u32)],
    ['echo', f([{ name: 's', type: string }], string)],
    ['sum-bytes', f([{ name: 'data', type: { kind: 'list', element: { kind: 'u8' } } }], u32)],
    ['check', f([{ name: 'req', type: request }], decision)],
    ['[method]counter.incr', f([{ name: 'self', type: { kind: 'borrow', resource: counter } }, { name: 'by', type: u32 }], u32)],
  ]);
}

async function findCreateExportCaller() {
  const dir = join(dirname(DIST), 'runtime', 'abi');
  if (!existsSync(dir)) return { fn: null, error: `${dir} not present` };
  const files = readdirSync(dir).filter((f) => f.endsWith('.js')).sort((a, b) => (a === 'index.js' ? -1 : b === 'index.js' ? 1 : a.localeCompare(b)));
  const errs = [];
  for (const f of files) {
    try {
      const mod = await import(pathToFileURL(join(dir, f)).href);
      if (typeof mod.createExportCaller === 'function') return { fn: mod.createExportCaller, AbiContext: mod.AbiContext, error: null, from: `dist/runtime/abi/${f}` };
    } catch (e) { errs.push(`${f}: ${e?.message ?? e}`); }
  }
  return { fn: null, error: `no createExportCaller in ${dir}${errs.length ? ` (${errs.join('; ')})` : ''}` };
}

/** @returns {Promise<{ runners: Record<string, (() => unknown) | null>, errors: Record<string, string>, note: string }>} */
export async function witplugAbiRunners(lib, componentBytes, coreModule) {
  const ids = ['noop', 'add', 'echo11', 'echo4k', 'bytes64k', 'check', 'resource'];
  const runners = {};
  const errors = {};
  const found = await findCreateExportCaller();
  if (!found.fn) {
    for (const id of ids) { runners[id] = null; errors[id] = found.error; }
    return { runners, errors, note: found.error };
  }
  let funcs = handBuiltFuncs();
  let typesFrom = 'hand-built FuncTypes';
  if (lib && typeof lib.decodeComponent === 'function') {
    try {
      const { shape } = lib.decodeComponent(componentBytes);
      const item = shape.exports.find((e) => e.kind === 'interface' && e.name === P);
      if (item) { funcs = item.iface.funcs; typesFrom = 'decodeComponent'; }
    } catch { /* keep the hand-built types */ }
  }
  // One raw core instance per shape; its exported resource's handles live in the context's table.
  const make = (func, args) => {
    const context = new found.AbiContext();
    const key = `${P}#counter`;
    const { ex } = instantiateRaw(coreModule, () => ({
      [`[export]${P}`]: { '[resource-new]counter': (rep) => context.resourceNew(key, rep) },
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
  return { runners, errors, note: `${found.from}, ${typesFrom}` };
}
