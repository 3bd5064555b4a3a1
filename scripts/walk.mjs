// `npm run walk`: the path one plugin takes from its bytes to the first hook call, file by file.
//
// What it counts: the built library (dist/) is copied and every function in it gets a one-line
// prologue that reports its entry (TypeScript's parser finds the functions; nothing else changes).
// A first child process loads the repository's gateway C guest once to warm the compile cache; a
// second, fresh process then runs `loadPlugin('guests/dist/gateway-c.wasm', { contract })` and one
// `plugin.call('filter#check', [request])` with recording on, and keeps the first entry into each
// source file, in order (the contract is loaded before recording starts). Folders are the layer
// folders of test/layers.test.ts (`src/runtime/<x>/` each its own). Printed: the files in order with
// the first function entered in each, then the number of files, of folder crossings (consecutive
// files in different folders) and of returns (crossings into a folder the walk had already left).
// Deterministic: function entries, no timing, no sampling.
//
// Usage: node scripts/walk.mjs [--json]   (needs dist/ and guests/dist/gateway-c.wasm)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const GUEST = join(root, 'guests/dist/gateway-c.wasm');
const HOOK = 'filter#check';

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4], process.argv[5] === 'record');
else await main(process.argv.includes('--json'));

async function main(json) {
  if (!existsSync(join(root, 'dist/index.js'))) fail('dist/ is missing: run npx tsc -p tsconfig.json first');
  if (!existsSync(GUEST)) fail(`${relative(root, GUEST)} is missing: run npm run build:guests first`);
  // Inside the repository, so that the copy resolves the repository's node_modules.
  const scratch = mkdtempSync(join(root, '.walk-'));
  const cacheDir = mkdtempSync(join(tmpdir(), 'witplug-walk-cache-'));
  try {
    const files = await instrument(join(root, 'dist'), join(scratch, 'dist'));
    const run = (mode) => {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', join(scratch, 'dist'), cacheDir, mode], {
        encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024,
      });
      if (r.status !== 0) fail(`the ${mode} run failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}):\n${r.stderr}`);
      return r.stdout;
    };
    run('warm');
    const entries = JSON.parse(run('record')).map(([file, fn]) => ({ file: files[file], fn }));
    const walk = summarise(entries);
    if (json) {
      process.stdout.write(`${JSON.stringify(walk, null, 2)}\n`);
      return;
    }
    let step = 0;
    for (const e of walk.entries) {
      process.stdout.write(`${String(++step).padStart(3)}  ${e.returned ? '↩' : e.crossed ? '→' : ' '} ${e.file.padEnd(44)} ${e.fn}\n`);
    }
    process.stdout.write(`\nfiles ${walk.files}, folders ${walk.folders}, folder crossings ${walk.crossings}, returns to a folder already left ${walk.returns}\n`);
    if (walk.returns > 0) process.stdout.write(`returns into: ${walk.returnsInto.join(', ')}\n`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

/** The layer folder of a source file, as test/helpers/module-graph.ts `folderOf`. */
function folderOf(file) {
  const parts = file.replace(/^src\//, '').split('/');
  if (parts.length === 1) return parts[0].replace(/\.ts$/, '');
  if (parts[0] === 'runtime' && parts.length > 2) return `runtime/${parts[1]}`;
  return parts[0];
}

function summarise(entries) {
  const left = new Set();
  const returnsInto = [];
  let crossings = 0;
  let previous = null;
  const out = entries.map(({ file, fn }) => {
    const folder = folderOf(file);
    const crossed = previous !== null && folder !== previous;
    const returned = crossed && left.has(folder);
    if (crossed) {
      crossings++;
      left.add(previous);
      if (returned) returnsInto.push(folder);
    }
    previous = folder;
    return { file, fn, folder, crossed, returned };
  });
  return {
    files: out.length, folders: new Set(out.map((e) => e.folder)).size, crossings, returns: returnsInto.length, returnsInto, entries: out,
  };
}

/**
 * Copies `from` (dist/) to `to`, giving every function body a prologue `__walk(i, name)`; returns
 * the source file of each index i (`src/…/x.ts`).
 */
async function instrument(from, to) {
  const ts = (await import('typescript')).default;
  cpSync(from, to, { recursive: true, filter: (p) => !p.endsWith('.map') && !p.endsWith('.d.ts') });
  const files = [];
  const visitDir = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visitDir(path);
      else if (entry.name.endsWith('.js')) {
        const id = files.push(`src/${relative(to, path).split(sep).join('/').replace(/\.js$/, '.ts')}`) - 1;
        writeFileSync(path, withPrologues(ts, readFileSync(path, 'utf8'), path, id));
      }
    }
  };
  visitDir(to);
  return files;
}

function withPrologues(ts, text, path, id) {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const edits = [];
  const visit = (node) => {
    if (ts.isFunctionLike(node) && node.body !== undefined) {
      const call = `__walk(${id}, ${JSON.stringify(functionName(ts, node))})`;
      if (ts.isBlock(node.body)) edits.push([node.body.getStart(file) + 1, `${call};`]);
      else {
        edits.push([node.body.getStart(file), `(${call}, `]);
        edits.push([node.body.getEnd(), ')']);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  // Applied from the end, so that earlier positions stay valid.
  edits.sort((a, b) => b[0] - a[0]);
  let out = text;
  for (const [at, insert] of edits) out = out.slice(0, at) + insert + out.slice(at);
  return out;
}

function functionName(ts, node) {
  const own = node.name && !ts.isComputedPropertyName(node.name) ? node.name.getText() : null;
  const owner = ts.isClassLike(node.parent) ? `${node.parent.name?.getText() ?? '(class)'}.` : '';
  if (ts.isConstructorDeclaration(node)) return `${owner}constructor`;
  if (own) return `${owner}${ts.isGetAccessor(node) ? 'get ' : ts.isSetAccessor(node) ? 'set ' : ''}${own}`;
  const p = node.parent;
  if ((ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && p.name) return `${owner}${p.name.getText()}`;
  return '(anonymous)';
}

/** One process: loads the contract, then (recording when `record`) loads the guest and calls one hook. */
async function child(dist, cacheDir, record) {
  const seen = new Set();
  const order = [];
  let on = false;
  globalThis.__walk = (id, fn) => {
    if (on && !seen.has(id)) {
      seen.add(id);
      order.push([id, fn]);
    }
  };
  const lib = await import(pathToFileURL(join(dist, 'index.js')).href);
  const contract = await lib.loadContract(join(root, 'wit'), 'gateway-plugin');
  const cache = new lib.CompileCache(cacheDir);
  on = record;
  const plugin = await lib.loadPlugin(GUEST, { contract, cache, log: () => {} });
  plugin.call(HOOK, [{
    id: 1n, method: 'get', path: '/', query: null, headers: [], body: new Uint8Array(),
    client: { tls: false, authenticated: false, internal: false, bot: false }, receivedAtMs: 0n,
  }]);
  on = false;
  await plugin.close();
  if (record) process.stdout.write(JSON.stringify(order));
}

function fail(message) {
  process.stderr.write(`walk: ${message}\n`);
  process.exit(1);
}
