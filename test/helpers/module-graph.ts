/**
 * The import graph of src/, read with the TypeScript compiler's own scanner:
 * static imports, `export … from`, dynamic `import()` and inline
 * `import('…')` types all count as edges.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Every .ts file under `dir`, as paths relative to the repository root. */
export function sourceFiles(dir = 'src'): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f).split('\\').join('/'))
    .sort();
}

/** file → the src files it imports (relative specifiers only: packages are not edges). */
export function moduleGraph(files = sourceFiles()): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = new Set<string>();
    for (const { fileName: spec } of info.importedFiles) {
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
export function folderOf(file: string): string {
  const parts = file.replace(/^src\//, '').split('/');
  if (parts.length === 1) return parts[0]!.replace(/\.ts$/, '');
  if (parts[0] === 'runtime' && parts.length > 2) return `runtime/${parts[1]}`;
  return parts[0]!;
}

/** folder → the other folders it imports. */
export function folderGraph(graph: ReadonlyMap<string, readonly string[]>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    const edges = out.get(from) ?? new Set<string>();
    out.set(from, edges);
    for (const t of targets) if (folderOf(t) !== from) edges.add(folderOf(t));
  }
  return out;
}

/** Groups of folders that import each other, directly or around a loop (Tarjan's strongly connected components). */
export function folderCycles(folders: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of folders.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) cycles.push(group.sort());
    }
  };
  for (const v of folders.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

/** Files reachable from `entry` through imports. */
export function reachable(graph: ReadonlyMap<string, readonly string[]>, entry: string): Set<string> {
  const seen = new Set<string>();
  const walk = (f: string): void => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const t of graph.get(f) ?? []) walk(t);
  };
  walk(entry);
  return seen;
}
