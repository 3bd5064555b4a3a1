/**
 * Copies the WIT a world needs into a plugin project: the root package's
 * files, and of `deps/` only the packages the root package refers to,
 * transitively (a contract vendoring all of WASI gives a plugin that uses
 * wasi:cli only wasi:cli and what it uses). Symlinked deps are copied as files.
 */
import { copyFile, mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';

interface Package {
  readonly entry: string;
  readonly files: readonly string[];
  readonly name: string | null;
  readonly refs: ReadonlySet<string>;
}

/** `ns:pkg` names a WIT text refers to (comments removed). */
function references(text: string): Set<string> {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
  return new Set([...code.matchAll(/\b(%?[a-z][a-z0-9-]*:%?[a-z][a-z0-9-]*)\//g)].map((m) => m[1]!.replace(/%/g, '')));
}

async function witFilesOf(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.wit')).sort().map((f) => join(dir, f));
}

async function readPackage(entry: string, files: readonly string[]): Promise<Package> {
  const texts = await Promise.all(files.map((f) => readFile(f, 'utf8')));
  const name = texts.map((t) => /^\s*package\s+%?([a-z][a-z0-9-]*:%?[a-z][a-z0-9-]*)/m.exec(t)?.[1]?.replace(/%/g, '')).find((n) => n !== undefined) ?? null;
  const refs = new Set<string>();
  for (const t of texts) for (const r of references(t)) refs.add(r);
  return { entry, files, name, refs };
}

/** Copies `witPath` (a file, or a directory with deps/) to `target`; returns the files written, relative to target. */
export async function copyWitForWorld(witPath: string, target: string): Promise<string[]> {
  await mkdir(target, { recursive: true });
  if (!(await stat(witPath)).isDirectory()) {
    await copyFile(witPath, join(target, basename(witPath)));
    return [basename(witPath)];
  }
  const root = await readPackage('.', await witFilesOf(witPath));
  const deps: Package[] = [];
  const depsDir = join(witPath, 'deps');
  const entries = await readdir(depsDir).catch(() => [] as string[]);
  for (const e of entries.sort()) {
    const p = join(depsDir, e);
    const st = await stat(p);
    if (st.isDirectory()) deps.push(await readPackage(e, await witFilesOf(p)));
    else if (e.endsWith('.wit')) deps.push(await readPackage(e, [p]));
  }
  const needed = new Set<Package>();
  const visit = (refs: ReadonlySet<string>): void => {
    for (const d of deps) {
      if (d.name !== null && refs.has(d.name) && !needed.has(d)) {
        needed.add(d);
        visit(d.refs);
      }
    }
  };
  visit(root.refs);
  const written: string[] = [];
  for (const f of root.files) {
    await copyFile(f, join(target, basename(f)));
    written.push(basename(f));
  }
  for (const d of deps.filter((x) => needed.has(x))) {
    const dir = d.entry.endsWith('.wit') ? join(target, 'deps') : join(target, 'deps', d.entry);
    await mkdir(dir, { recursive: true });
    for (const f of d.files) {
      await copyFile(f, join(dir, basename(f)));
      written.push(join('deps', d.entry.endsWith('.wit') ? '' : d.entry, basename(f)));
    }
  }
  return written;
}
