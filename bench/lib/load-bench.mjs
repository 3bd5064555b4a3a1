// "load" section: cold (compile with an empty cache dir) vs warm (cache hit,
// same process with a fresh CompileCache object on the same dir, and in a
// fresh child process) for guests/dist/gateway-{wat,c,js}.wasm, plus the
// bench guest. Also the baselines' load: jco transpile+instantiate, Extism
// createPlugin.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJsonChild } from './child.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./load-child.mjs', import.meta.url));

export function loadGuests(benchComponentPath) {
  const list = ['wat', 'c', 'js'].map((lang) => ({ name: `gateway-${lang}`, path: join(root, 'guests/dist', `gateway-${lang}.wasm`) }));
  list.push({ name: 'bench', path: benchComponentPath });
  return list;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const r2 = (x) => (x === null ? null : Math.round(x * 100) / 100);

/** @returns {Promise<Record<string, object>>} */
export async function loadSection(lib, libError, benchComponentPath) {
  const out = {};
  for (const g of loadGuests(benchComponentPath)) {
    if (!existsSync(g.path)) { out[g.name] = { coldMs: null, warmMs: null, coldChildMs: null, warmChildMs: null, note: `${g.path} not present (npm run build:guests)` }; continue; }
    if (!lib) { out[g.name] = { coldMs: null, warmMs: null, warmChildMs: null, error: libError }; continue; }
    const reps = g.name === 'gateway-js' ? 1 : 3; // the JS guest is ~12 MB: one cold compile is enough
    const dirs = [];
    const silent = () => {};
    try {
      const cold = [];
      const warm = [];
      for (let i = 0; i < reps; i++) {
        const dir = mkdtempSync(join(tmpdir(), 'witplug-bench-cache-'));
        dirs.push(dir);
        let t0 = performance.now();
        const p1 = await lib.loadPlugin(g.path, { cache: new lib.CompileCache(dir), log: silent });
        cold.push(performance.now() - t0);
        t0 = performance.now();
        const p2 = await lib.loadPlugin(g.path, { cache: new lib.CompileCache(dir), log: silent });
        warm.push(performance.now() - t0);
        if (i === 0) out[g.name] = { coldSource: p1.loadInfo?.cache ?? null, warmSource: p2.loadInfo?.cache ?? null };
      }
      // Cold in a fresh process too: in this process jco's own wasm is already
      // initialised by the baselines, which flatters the in-process cold figure.
      let coldChildMs = null;
      let childErr = null;
      const coldDir = mkdtempSync(join(tmpdir(), 'witplug-bench-cache-'));
      dirs.push(coldDir);
      const cc = await runJsonChild([CHILD, 'load', g.path, coldDir], { timeoutMs: 120_000 });
      if (cc.ok) { coldChildMs = cc.value.ms; out[g.name].coldChildSource = cc.value.cache; } else childErr = cc.error;
      const child = [];
      for (let i = 0; i < 3 && childErr === null; i++) {
        const r = await runJsonChild([CHILD, 'load', g.path, dirs[0]], { timeoutMs: 60_000 });
        if (!r.ok) { childErr = r.error; break; }
        child.push(r.value.ms);
        out[g.name].warmChildSource = r.value.cache;
      }
      const coldMs = median(cold);
      const warmMs = median(warm);
      const warmChildMs = child.length ? median(child) : null;
      Object.assign(out[g.name], {
        coldMs: r2(coldMs), warmMs: r2(warmMs), coldChildMs: r2(coldChildMs), warmChildMs: r2(warmChildMs),
        coldOverWarm: r2(coldMs / warmMs), coldOverWarmChild: warmChildMs && coldChildMs ? r2(coldChildMs / warmChildMs) : null,
        reps, ...(childErr ? { childError: childErr } : {}),
      });
    } catch (e) {
      out[g.name] = { ...(out[g.name] ?? {}), coldMs: null, warmMs: null, warmChildMs: null, error: `${e?.code ? `${e.code}: ` : ''}${e?.message ?? e}` };
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  }
  return out;
}

async function witplugMemory(lib, libError, guest, path, count) {
  if (!lib) return { guest, count, error: libError };
  const dir = mkdtempSync(join(tmpdir(), 'witplug-bench-mem-'));
  try {
    const r = await runJsonChild(['--expose-gc', CHILD, 'memory', path, dir, String(count)], { timeoutMs: 120_000 });
    return r.ok ? { guest, ...r.value } : { guest, count, error: r.error };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * "memory" section: RSS/heap delta per instance over `count` loaded instances,
 * each measured in its own --expose-gc child: witplug with gateway-c (the
 * headline), and witplug / raw / jco / Extism on the bench guest for comparison.
 */
export async function memorySection(lib, libError, paths, count = 100) {
  const out = {};
  const cPath = join(root, 'guests/dist/gateway-c.wasm');
  out.witplugGatewayC = existsSync(cPath)
    ? await witplugMemory(lib, libError, 'gateway-c', cPath, count)
    : { guest: 'gateway-c', count, note: `${cPath} not present (npm run build:guests)` };
  out.witplugBench = await witplugMemory(lib, libError, 'bench', paths['bench.wasm'], count);
  for (const [key, kind, file] of [['rawBench', 'raw', paths['bench-core.wasm']], ['jcoBench', 'jco', paths['bench.wasm']], ['extismBench', 'extism', paths['extism.wasm']]]) {
    const r = await runJsonChild(['--expose-gc', CHILD, 'memory-baseline', kind, file, String(count)], { timeoutMs: 120_000 });
    out[key] = r.ok ? { guest: kind === 'extism' ? 'extism' : 'bench', ...r.value } : { count, error: r.error };
  }
  return out;
}
