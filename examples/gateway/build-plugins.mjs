#!/usr/bin/env node
// Builds the example gateway's plugins (plugins/<name>/, each a `witplug build` project) into
// <out>/<name>.wasm with its manifest <out>/<name>.json, cached by input hash: a second run with
// unchanged sources, WIT and tools builds nothing.
//
//   node examples/gateway/build-plugins.mjs [--out <dir>] [--force]
//
// Each project's WIT (gitignored) is staged from the repository's wit/gateway.wit with the
// example's worlds (wit/gateway-example.wit) appended, and wit/deps/host.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
export const DEFAULT_OUT = join(HERE, '.build', 'plugins');
/** The gateway's own contract (world gateway-host), staged as each plugin's WIT is. */
export const CONTRACT_DIR = join(HERE, '.build', 'contract');
/** Bump when the stamp or the staging changes: every plugin rebuilds once. */
const STAMP_FORMAT = 1;

/**
 * The plugins and what each one's manifest asks of the gateway: config, dispatch order (higher
 * first: auth before the limiter, so refused requests use no quota), and isolation for the
 * plugin whose host function is asynchronous (on a Node without JS promise integration an
 * isolated plugin is the one that can wait for it).
 */
export const PLUGINS = {
  auth: { priority: 100, isolate: true },
  'rate-limit': { priority: 50, config: { limit: '5', 'window-ms': '3600000' } },
  headers: {},
  'access-log': {},
  bad: {},
};

async function filesUnder(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out.sort();
}

async function stageWit(wit) {
  await rm(wit, { recursive: true, force: true });
  await mkdir(join(wit, 'deps'), { recursive: true });
  const text = (await readFile(join(REPO, 'wit', 'gateway.wit'), 'utf8')) + '\n' + (await readFile(join(HERE, 'wit', 'gateway-example.wit'), 'utf8'));
  await writeFile(join(wit, 'gateway.wit'), text);
  await cp(join(REPO, 'wit', 'deps', 'host'), join(wit, 'deps', 'host'), { recursive: true });
}

/** Hash of what decides a plugin's bytes: its project file and sources, the staged WIT, witplug's version and the tools'. */
async function inputHash(project, manifest) {
  const h = createHash('sha256');
  const part = (label, data) => { h.update(`${label}\0${data.length}\0`); h.update(data); };
  part('format', String(STAMP_FORMAT));
  part('manifest', JSON.stringify(manifest));
  const { lang } = JSON.parse(await readFile(join(project, 'witplug.json'), 'utf8'));
  for (const f of await filesUnder(project)) {
    const rel = relative(project, f);
    if (rel.startsWith('dist/') || rel === '.gitignore' || (lang === 'c' && /^src\/.*_.*\.[ch]$/.test(rel) && !rel.endsWith('plugin.c'))) continue;
    part(rel, await readFile(f));
  }
  for (const pkg of ['package.json', 'node_modules/@bytecodealliance/jco/package.json', 'node_modules/@bytecodealliance/componentize-js/package.json']) {
    const p = join(REPO, pkg);
    if (existsSync(p)) part(pkg, JSON.parse(await readFile(p, 'utf8')).version ?? '');
  }
  return h.digest('hex');
}

/**
 * Builds what is out of date; returns one line per plugin. `log` gets progress lines (a
 * plugin being built takes seconds; JavaScript ones ~20 s).
 */
export async function buildPlugins({ out = DEFAULT_OUT, force = false, log = () => {} } = {}) {
  const { buildProject } = await import(pathToFileURL(join(REPO, 'dist', 'tools.js')).href);
  await mkdir(out, { recursive: true });
  await stageWit(CONTRACT_DIR);
  const lines = [];
  for (const [name, manifest] of Object.entries(PLUGINS)) {
    const project = join(HERE, 'plugins', name);
    await stageWit(join(project, 'wit'));
    const hash = await inputHash(project, manifest);
    const stampFile = join(out, `${name}.stamp.json`);
    const stamp = existsSync(stampFile) ? JSON.parse(await readFile(stampFile, 'utf8')) : null;
    const wasm = join(out, `${name}.wasm`);
    if (!force && stamp?.hash === hash && existsSync(wasm)) {
      lines.push(`${name}: up to date (cached)`);
      continue;
    }
    log(`building plugin ${name} …`);
    const started = performance.now();
    const result = await buildProject(project);
    // Write aside, then rename: a watcher or a concurrent start never sees half a file.
    await copyFile(result.path, `${wasm}.tmp`);
    await rename(`${wasm}.tmp`, wasm);
    await writeFile(join(out, `${name}.json`), `${JSON.stringify(manifest, null, 2)}\n`);
    await writeFile(stampFile, `${JSON.stringify({ hash }, null, 2)}\n`);
    lines.push(`${name}: built (${result.lang}, ${result.size} bytes, ${Math.round(performance.now() - started)} ms)`);
  }
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  const out = at >= 0 ? resolve(args[at + 1]) : DEFAULT_OUT;
  try {
    for (const line of await buildPlugins({ out, force: args.includes('--force'), log: (l) => console.error(l) })) console.log(line);
  } catch (e) {
    console.error(`build-plugins: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
