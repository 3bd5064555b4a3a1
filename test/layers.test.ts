/**
 * The folder layout is the architecture (docs/architecture.md): each folder
 * imports only folders below it, no folders import each other around a loop,
 * the CLI stands on the public API alone, and no source file outgrows one
 * screenful of jobs. Checked on the module graph the TypeScript scanner sees.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { folderCycles, folderGraph, folderOf, moduleGraph, reachable, sourceFiles } from './helpers/module-graph.js';

/** Bottom to top; folders on one line are peers and must not import each other. */
const LAYERS: readonly (readonly string[])[] = [
  ['errors', 'version'],
  ['util'],
  ['component'],
  ['contract'],
  ['admission'],
  ['compile'],
  ['runtime/abi'],
  ['runtime/capabilities'],
  ['runtime/limits'],
  ['runtime/link'],
  ['runtime/instance'],
  ['runtime/isolate'],
  ['runtime/load'],
  ['runtime/host'],
  ['bindings', 'diff'],
  ['authoring'],
  ['index', 'tools'],
  ['cli'],
];

const MAX_LINES = 400;
/**
 * Files still over MAX_LINES, each held at its present size so it can only
 * shrink; a file leaves this list once it is split.
 */
const OVERSIZED: Readonly<Record<string, number>> = {
};

const graph = moduleGraph();
const folders = folderGraph(graph);
const rank = new Map(LAYERS.flatMap((peers, i) => peers.map((f) => [f, i] as const)));

describe('layers', () => {
  it('every folder under src/ has a place in the layer order', () => {
    expect([...folders.keys()].filter((f) => !rank.has(f))).toEqual([]);
  });

  it('no folder imports a folder above it or beside it', () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      for (const target of targets) {
        const from = folderOf(file);
        const to = folderOf(target);
        if (from !== to && rank.get(to)! >= rank.get(from)!) upward.push(`${file} → ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('no folders import each other around a loop', () => {
    expect(folderCycles(folders)).toEqual([]);
  });

  it('the checks see every kind of import (static, re-export, dynamic, inline type)', () => {
    const kinds = moduleGraph(['test/fixtures/layers/importer.ts', 'test/fixtures/layers/a.ts', 'test/fixtures/layers/b.ts',
      'test/fixtures/layers/c.ts', 'test/fixtures/layers/d.ts']);
    expect(kinds.get('test/fixtures/layers/importer.ts')).toEqual([
      'test/fixtures/layers/a.ts', 'test/fixtures/layers/b.ts', 'test/fixtures/layers/c.ts', 'test/fixtures/layers/d.ts',
    ]);
    expect(folderCycles(new Map([['x', new Set(['y'])], ['y', new Set(['z'])], ['z', new Set(['x'])]]))).toEqual([['x', 'y', 'z']]);
  });
});

describe('the CLI is built on the public API only', () => {
  it('src/cli/* reaches the library only through src/index.ts and src/tools.ts', () => {
    const offenders: string[] = [];
    for (const [file, targets] of graph) {
      if (folderOf(file) !== 'cli') continue;
      for (const t of targets) if (folderOf(t) !== 'cli' && t !== 'src/index.ts' && t !== 'src/tools.ts') offenders.push(`${file} → ${t}`);
    }
    expect(offenders).toEqual([]);
    expect(reachable(graph, 'src/cli/main.ts').has('src/index.ts')).toBe(true);
  });
});

describe('file size', () => {
  const sizes = new Map(sourceFiles().map((f) => [f, readFileSync(f, 'utf8').split('\n').length - 1]));

  it(`no source file is over ${MAX_LINES} lines (the listed ones only shrink)`, () => {
    const over = [...sizes].filter(([f, n]) => n > (OVERSIZED[f] ?? MAX_LINES)).map(([f, n]) => `${f}: ${n}`);
    expect(over).toEqual([]);
  });

  it('the list of oversized files names only files that are still oversized', () => {
    expect(Object.keys(OVERSIZED).filter((f) => (sizes.get(f) ?? 0) <= MAX_LINES)).toEqual([]);
  });
});
