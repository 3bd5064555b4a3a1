// witplug: loads ../../dist/index.js (the built library) if it exists and
// resolves each shape through `plugin.fn('shapes#<func>')`. Every step that
// fails is recorded as an error string so the run still reports baselines.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ECHO11, ECHO4K, BYTES64K, REQUEST } from './shapes.mjs';

/** The built library; WITPLUG_DIST points the bench at another build (e.g. a branch's dist). */
export const DIST = process.env.WITPLUG_DIST ?? fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/** @returns {Promise<{ lib: any | null, error: string | null }>} */
export async function importWitplug() {
  if (!existsSync(DIST)) return { lib: null, error: `${DIST} not found (run npm run build)` };
  try {
    const lib = await import(pathToFileURL(DIST).href);
    if (typeof lib.loadPlugin !== 'function') return { lib: null, error: 'dist/index.js exports no loadPlugin' };
    return { lib, error: null };
  } catch (e) {
    return { lib: null, error: `import dist/index.js failed: ${e?.message ?? e}` };
  }
}

/** Ways a resource might be exposed; the first that works is used. */
async function resourceRunner(plugin) {
  const tried = [];
  // 1. functions named after the canonical export names
  try {
    const ctor = plugin.fn('shapes#[constructor]counter');
    const incr = plugin.fn('shapes#[method]counter.incr');
    const self = ctor(1);
    if (typeof incr(self, 1) === 'number') return { run: () => incr(self, 1), via: 'fn([method]counter.incr)(handle, by)' };
  } catch (e) { tried.push(`fn('shapes#[constructor]counter'): ${e?.message ?? e}`); }
  // 2. a class-like constructor (jco-style)
  try {
    const Counter = plugin.fn('shapes#counter');
    const c = new Counter(1);
    if (typeof c.incr(1) === 'number') return { run: () => c.incr(1), via: "new (fn('shapes#counter'))(1).incr" };
  } catch (e) { tried.push(`fn('shapes#counter'): ${e?.message ?? e}`); }
  throw new Error(tried.join('; '));
}

/**
 * @returns {Promise<{ runners: Record<string, (() => unknown) | null>, errors: Record<string, string>, loadMs: number | null, notes: string[] }>}
 */
export async function witplugRunners(lib, componentPath, cache) {
  const runners = {};
  const errors = {};
  const notes = [];
  const t0 = performance.now();
  let plugin;
  try {
    plugin = await lib.loadPlugin(componentPath, { cache, name: 'bench', log: () => {} });
  } catch (e) {
    const msg = `loadPlugin failed: ${e?.code ? `${e.code}: ` : ''}${e?.message ?? e}`;
    for (const id of ['noop', 'add', 'echo11', 'echo4k', 'bytes64k', 'check', 'resource']) { runners[id] = null; errors[id] = msg; }
    return { runners, errors, loadMs: null, notes };
  }
  const loadMs = performance.now() - t0;
  const fn = (name) => plugin.fn(`shapes#${name}`);
  const make = {
    noop: () => { const f = fn('noop'); return () => f(); },
    add: () => { const f = fn('add'); return () => f(3, 4); },
    echo11: () => { const f = fn('echo'); return () => f(ECHO11); },
    echo4k: () => { const f = fn('echo'); return () => f(ECHO4K); },
    bytes64k: () => { const f = fn('sum-bytes'); return () => f(BYTES64K); },
    check: () => { const f = fn('check'); return () => f(REQUEST); },
  };
  for (const [id, mk] of Object.entries(make)) {
    try { runners[id] = mk(); } catch (e) { runners[id] = null; errors[id] = `${e?.code ? `${e.code}: ` : ''}${e?.message ?? e}`; }
  }
  try {
    const r = await resourceRunner(plugin);
    runners.resource = r.run;
    notes.push(`resource via ${r.via}`);
  } catch (e) {
    runners.resource = null;
    errors.resource = e?.message ?? String(e);
  }
  return { runners, errors, loadMs, notes, plugin };
}
