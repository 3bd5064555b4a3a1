// jco-latest baseline: transpile the component with jco ('sync' instantiation),
// load the generated glue from a temp .mjs and return its generated bindings.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transpile } from '@bytecodealliance/jco';

/** @returns {Promise<{ exports: Record<string, any>, transpileMs: number, instantiate: () => Record<string, any> }>} */
export async function loadJco(componentBytes, name = 'bench') {
  const t0 = performance.now();
  const { files } = await transpile(componentBytes, { name, instantiation: 'sync', noTypescript: true, quiet: true });
  const transpileMs = performance.now() - t0;
  const dir = mkdtempSync(join(tmpdir(), 'witplug-bench-jco-'));
  try {
    const modules = new Map();
    let glue = null;
    for (const [file, bytes] of Object.entries(files)) {
      if (file.endsWith('.wasm')) modules.set(file, new WebAssembly.Module(bytes));
      else if (file === `${name}.js`) glue = join(dir, `${name}.mjs`);
      if (file.endsWith('.js')) writeFileSync(join(dir, file.replace(/\.js$/, '.mjs')), bytes);
    }
    if (glue === null) throw new Error(`jco transpile produced no ${name}.js (files: ${Object.keys(files).join(', ')})`);
    const mod = await import(pathToFileURL(glue).href);
    const getCoreModule = (path) => {
      const m = modules.get(path);
      if (!m) throw new Error(`jco glue asked for unknown core module ${path}`);
      return m;
    };
    const instantiate = () => mod.instantiate(getCoreModule, {}, (module, imports) => new WebAssembly.Instance(module, imports));
    return { exports: instantiate(), transpileMs, instantiate };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
