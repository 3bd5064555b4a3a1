// The import graph of src/, read with the TypeScript compiler's own scanner
// (static imports, `export … from`, dynamic `import()` and inline `import('…')` types).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Every .ts file under `dir`, as paths relative to the repository root. */
export function sourceFiles(dir = 'src') {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f).split('\\').join('/'))
    .sort();
}

/** file → the src files it imports (relative specifiers only; packages are not edges). */
export function moduleGraph(files = sourceFiles()) {
  const known = new Set(files);
  const graph = new Map();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = new Set();
    for (const ref of info.importedFiles) {
      const spec = ref.fileName;
      if (!spec.startsWith('.')) continue;
      const target = relative('.', resolve(dirname(file), spec.replace(/\.js$/, '.ts'))).split('\\').join('/');
      if (!known.has(target)) throw new Error(`${file}: import '${spec}' names no file under src/`);
      targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** The folder a file belongs to for the layer rules: src/runtime/load/x.ts → runtime/load, src/index.ts → index. */
export function folderOf(file) {
  const parts = file.replace(/^src\//, '').split('/');
  if (parts.length === 1) return parts[0].replace(/\.ts$/, '');
  if (parts[0] === 'runtime' && parts.length > 2) return `runtime/${parts[1]}`;
  return parts[0];
}

/** folder → folders it imports (self-edges dropped). */
export function folderGraph(graph) {
  const out = new Map();
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    if (!out.has(from)) out.set(from, new Set());
    for (const t of targets) if (folderOf(t) !== from) out.get(from).add(folderOf(t));
  }
  return out;
}

/** Strongly connected components with more than one folder (Tarjan). */
export function folderCycles(fg) {
  let index = 0;
  const idx = new Map(), low = new Map(), stack = [], on = new Set(), out = [];
  const visit = (v) => {
    idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
    for (const w of fg.get(v) ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do { w = stack.pop(); on.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of fg.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** Files reachable from `entry`, in depth-first import order. */
export function reachable(graph, entry) {
  const seen = new Set(), order = [];
  const walk = (f) => { if (seen.has(f)) return; seen.add(f); order.push(f); for (const t of graph.get(f) ?? []) walk(t); };
  walk(entry);
  return order;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const graph = moduleGraph();
  const fg = folderGraph(graph);
  for (const [f, ts_] of [...fg].sort()) console.log(f.padEnd(22), '→', [...ts_].sort().join(', '));
  console.log('cycles:', JSON.stringify(folderCycles(fg)));
  const sizes = sourceFiles().map((f) => [f, readFileSync(f, 'utf8').split('\n').length - 1]).sort((a, b) => b[1] - a[1]);
  console.log('largest:', sizes.slice(0, 5).map(([f, n]) => `${f} ${n}`).join('; '));
  console.log('over 400:', sizes.filter(([, n]) => n > 400).length);
}
