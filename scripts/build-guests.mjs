#!/usr/bin/env node
// Builds every guest plugin under guests/ into guests/dist/<name>.wasm, cached by input hash.
//
//   node scripts/build-guests.mjs [--force] [--check] [--only <name>[,<name>…]]… [--out <dir>] [--root <dir>]
//
//   --force        rebuild even when the stamp says the output is up to date
//   --check        build nothing; exit 1 and list the guests that would be rebuilt
//   --only <name>  restrict to these guests (repeatable or comma-separated)
//   --out <dir>    output directory (env WITPLUG_GUESTS_OUT; default <root>/guests/dist)
//   --root <dir>   directory the guest sources/WIT paths are relative to (env WITPLUG_GUESTS_ROOT;
//                  default the repository root). Tests use it to build a copy of a guest.
//
// Builders live in scripts/guest-builders/<builder>.mjs and export
//   build({ sourceFiles, witDir, world, outFile, metadata }) and available(): Promise<boolean>.
// They are imported lazily: a fully cached run never loads componentize-js.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { METADATA_SECTION_NAME, appendMetadataSection } from './guest-builders/metadata.mjs';

const SCRIPTS_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(SCRIPTS_DIR, '..');
const BUILDERS_DIR = join(SCRIPTS_DIR, 'guest-builders');
/** Bump when the stamp layout or the hash recipe changes: invalidates every cache entry. */
const STAMP_FORMAT = 1;
/** Tool packages whose versions are part of every cache key. */
const TOOL_PACKAGES = ['@bytecodealliance/jco', '@bytecodealliance/componentize-js', '@bytecodealliance/preview2-shim'];

const GATEWAY_USAGE =
  'Config key deny-path: a request path answered with 404. Logs "check <path>" (info) per request and ' +
  '"observe <path> <status> <latency-ns>" (debug) per completed request.';
const GATEWAY_DESCRIPTION =
  'Example gateway plugin: denies unauthenticated DELETE, redirects /old/* to /new/*, blocks the configured path, ' +
  'adds x-request-id and marks /static/* immutable.';

/** The one table of guests. Paths are relative to the root; `*` is allowed in the file name only. */
export const GUESTS = [
  {
    name: 'gateway-js',
    builder: 'js',
    sources: ['guests/js/gateway.js'],
    wit: 'wit',
    world: 'gateway-plugin',
    description: `${GATEWAY_DESCRIPTION} Written in JavaScript (componentize-js).`,
    usage: GATEWAY_USAGE,
  },
  {
    name: 'gateway-c',
    builder: 'c',
    sources: ['guests/c/*.c', 'guests/c/*.h'],
    wit: 'wit',
    world: 'gateway-plugin',
    prebuilt: 'guests/prebuilt/gateway-c.wasm',
    // The C bindings (`witplug bindgen c`) are generated at build time; their text is part of the cache key.
    bindgen: true,
    description: `${GATEWAY_DESCRIPTION} Written in C (clang, bindings from witplug bindgen c).`,
    usage: GATEWAY_USAGE,
  },
  {
    name: 'greeter-c-wasi',
    builder: 'c-wasi',
    sources: ['guests/c-wasi/*.c'],
    wit: 'guests/c-wasi/wit',
    world: 'greeter',
    prebuilt: 'guests/prebuilt/greeter-c-wasi.wasm',
    description: 'Greeter written in C with wasi-libc (printf, malloc) and the WASI preview1 adapter: the layout of libc toolchains.',
    usage: 'Prints one line to stdout per greet (grant wasi:cli/*, wasi:io/*, wasi:clocks/*, wasi:filesystem/*).',
  },
  {
    name: 'gateway-wat',
    builder: 'wat',
    sources: ['guests/wat/gateway.wat'],
    wit: 'wit',
    world: 'gateway-plugin',
    description: `${GATEWAY_DESCRIPTION} Written in WebAssembly text.`,
    usage: GATEWAY_USAGE,
  },
  {
    name: 'calc-wat',
    builder: 'wat',
    sources: ['guests/wat-fixture/calc.wat'],
    wit: 'guests/wat-fixture/calc.wit',
    world: 'calc',
    description: 'Tiny calculator fixture for tests.',
    usage: 'No configuration.',
  },
  // Adversarial guests for the sandbox tests.
  {
    name: 'evil-wat',
    builder: 'wat',
    sources: ['guests/wat-adversarial/evil.wat'],
    wit: 'guests/wat-adversarial/wit',
    world: 'adversarial',
    description: 'Adversarial test plugin: infinite loops, memory bomb, huge output, deep recursion, traps, bad canonical ABI values.',
    usage: 'Test fixture only.',
  },
  {
    name: 'fat-wat',
    builder: 'wat',
    sources: ['guests/wat-adversarial/fat.wat'],
    wit: 'guests/wat-adversarial/wit',
    world: 'fat',
    description: 'Adversarial test plugin: initial memory of 300 pages.',
    usage: 'Test fixture only.',
  },
  {
    name: 'reader-wat',
    builder: 'wat',
    sources: ['guests/wat-adversarial/reader.wat'],
    wit: 'guests/wat-adversarial/wit',
    world: 'reader',
    description: 'Adversarial test plugin: reads files through wasi:filesystem (confinement tests).',
    usage: 'Test fixture only.',
  },
  {
    name: 'fsprobe-wat',
    builder: 'wat',
    sources: ['guests/wat-adversarial/fs-probe.wat'],
    wit: 'guests/wat-adversarial/wit',
    world: 'fs-probe',
    description: 'Adversarial test plugin: one export per wasi:filesystem descriptor call (filesystem-grant escape tests).',
    usage: 'Test fixture only.',
  },  {
    name: 'stderr-wat',
    builder: 'wat',
    sources: ['guests/wat-stderr/stderr-writer.wat'],
    wit: 'guests/wat-stderr/wit',
    world: 'stderr-writer',
    description: 'Test plugin: writes numbered lines to wasi:cli/stderr, then traps (a C program printing its reason before abort()).',
    usage: 'Test fixture only. Grant wasi:cli/stderr and wasi:io/*.',
  },
  {
    name: 'thrower-js',
    builder: 'js-stdio',
    sources: ['guests/js-stdio/thrower.js'],
    wit: 'guests/js-stdio/thrower.wit',
    world: 'thrower',
    description: 'JavaScript fixture with stdio: an uncaught throw (a trap, its message on stderr), console.error noise, and a failure reported as a WIT result.',
    usage: 'Test fixture only. Grant wasi:cli/* and wasi:io/* (stdout, stderr).',
  },
];

class UsageError extends Error {}
class BuildError extends Error {}

function parseArgs(argv) {
  const opts = { force: false, check: false, only: null, out: process.env.WITPLUG_GUESTS_OUT || null, root: process.env.WITPLUG_GUESTS_ROOT || null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--force') opts.force = true;
    else if (arg === '--check') opts.check = true;
    else if (arg === '--only') (opts.only ??= []).push(...value().split(',').filter(Boolean));
    else if (arg === '--out') opts.out = value();
    else if (arg === '--root') opts.root = value();
    else if (arg === '--help' || arg === '-h') opts.help = true;
    else throw new UsageError(`unknown argument ${arg}`);
  }
  return opts;
}

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** Expands `dir/*.ext`-style patterns (wildcards in the last segment only), sorted, deduplicated. */
async function expandSources(root, patterns) {
  const files = new Set();
  for (const pattern of patterns) {
    const abs = resolve(root, pattern);
    const name = basename(abs);
    if (!name.includes('*')) {
      if (!existsSync(abs)) throw new BuildError(`source ${pattern} does not exist`);
      files.add(abs);
      continue;
    }
    const re = new RegExp(`^${name.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    let entries = [];
    try {
      entries = await readdir(dirname(abs), { withFileTypes: true });
    } catch {
      // A missing directory matches nothing; the "no sources" check below reports it.
    }
    for (const e of entries) if (e.isFile() && re.test(e.name)) files.add(join(dirname(abs), e.name));
  }
  if (files.size === 0) throw new BuildError(`no source files match ${patterns.join(', ')}`);
  return [...files].sort();
}

/** All .wit files under a directory (recursively), or the file itself. */
async function witFiles(witPath) {
  let st;
  try {
    st = await stat(witPath);
  } catch {
    throw new BuildError(`WIT path ${witPath} does not exist`);
  }
  if (st.isFile()) return [witPath];
  const out = [];
  const walk = async (dir) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && e.name.endsWith('.wit')) out.push(p);
    }
  };
  await walk(witPath);
  return out.sort();
}

async function toolVersions() {
  const versions = {};
  for (const pkg of TOOL_PACKAGES) {
    try {
      versions[pkg] = JSON.parse(await readFile(join(REPO_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
    } catch {
      versions[pkg] = null;
    }
  }
  return versions;
}

function metadataFor(guest) {
  return { name: guest.name, version: '0.1.0', description: guest.description, usage: guest.usage };
}

/** The cache key: everything that can change the output. Paths are root-relative so copies hash alike. */
async function inputHash(root, guest, sourceFiles, wits, versions, builderToolVersion) {
  const h = createHash('sha256');
  const part = (label, data) => {
    // Length-prefixed so that no two different input lists produce the same byte stream.
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    h.update(`${label}:${bytes.length}:`).update(bytes).update('\n');
  };
  const rel = (p) => relative(root, p).split(sep).join('/');
  part('format', String(STAMP_FORMAT));
  part('builder', guest.builder);
  part('builder-file', await readBuilderFile(guest.builder));
  // The local helpers the builder imports (metadata.mjs, embed.mjs, …), transitively: editing
  // embed.mjs must rebuild the C/WAT guests but not the slow JS guest.
  for (const f of await localImports(join(BUILDERS_DIR, `${guest.builder}.mjs`))) {
    part('builder-helper', relative(BUILDERS_DIR, f).split(sep).join('/'));
    part('builder-helper-file', await readFile(f));
  }
  for (const f of sourceFiles) {
    part('source-path', rel(f));
    part('source', await readFile(f));
  }
  for (const f of wits) {
    part('wit-path', rel(f));
    part('wit', await readFile(f));
  }
  part('world', guest.world);
  if (guest.bindgen) {
    for (const f of await generatedBindings(guest, root)) {
      part('generated-path', f.name);
      part('generated', f.text);
    }
  }
  part('metadata', JSON.stringify(metadataFor(guest)));
  if (guest.prebuilt && existsSync(resolve(root, guest.prebuilt))) part('prebuilt', await readFile(resolve(root, guest.prebuilt)));
  part('tools', JSON.stringify(versions));
  // Builders may export `toolVersion` (e.g. the clang version): a toolchain change, or the
  // toolchain appearing where only the prebuilt was usable, invalidates the cache.
  part('builder-tool', JSON.stringify(builderToolVersion ?? null));
  return h.digest('hex');
}

/** The bindings a `bindgen` guest's build generates (the C builder's cBindings). */
async function generatedBindings(guest, root) {
  const { cBindings } = await import(pathToFileURL(join(BUILDERS_DIR, 'c.mjs')).href);
  try {
    return await cBindings(resolve(root, guest.wit), guest.world);
  } catch (e) {
    throw new BuildError(`cannot generate the C bindings: ${e instanceof Error ? e.message : e}`);
  }
}

/** Relative `.mjs` files imported (statically or dynamically) by `file`, transitively, sorted. */
async function localImports(file) {
  const seen = new Set();
  const visit = async (f) => {
    let text;
    try {
      text = await readFile(f, 'utf8');
    } catch {
      return;
    }
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const dep = resolve(dirname(f), m[1]);
      if (!seen.has(dep)) {
        seen.add(dep);
        await visit(dep);
      }
    }
  };
  await visit(file);
  return [...seen].sort();
}

async function readBuilderFile(builder) {
  try {
    return await readFile(join(BUILDERS_DIR, `${builder}.mjs`));
  } catch {
    // A missing builder is reported when (and only when) a build is needed.
    return Buffer.from('<missing>');
  }
}

const builderCache = new Map();
async function loadBuilder(name) {
  if (!builderCache.has(name)) {
    const file = join(BUILDERS_DIR, `${name}.mjs`);
    if (!existsSync(file)) {
      builderCache.set(name, null);
    } else {
      const mod = await import(pathToFileURL(file).href);
      if (typeof mod.build !== 'function' || typeof mod.available !== 'function') {
        throw new BuildError(`builder ${file} must export build() and available()`);
      }
      builderCache.set(name, mod);
    }
  }
  return builderCache.get(name);
}

async function readStamp(stampFile) {
  try {
    return JSON.parse(await readFile(stampFile, 'utf8'));
  } catch {
    return null;
  }
}

/** The output is trusted only if it still is exactly what the stamp recorded. */
async function outputMatches(outFile, stamp) {
  try {
    const bytes = await readFile(outFile);
    return bytes.length === stamp.size && sha256(bytes) === stamp.outputSha256;
  } catch {
    return false;
  }
}

/** Top-level custom section names of a component/module, to see whether a builder embedded metadata. */
function customSectionNames(bytes) {
  const names = [];
  let o = 8;
  const leb = () => {
    let result = 0, shift = 0, b;
    do {
      if (o >= bytes.length) throw new Error('truncated LEB128');
      b = bytes[o++];
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return result;
  };
  while (o < bytes.length) {
    const id = bytes[o++];
    const size = leb();
    const end = o + size;
    if (id === 0) {
      const len = leb();
      names.push(Buffer.from(bytes.subarray(o, o + len)).toString('utf8'));
    }
    o = end;
  }
  return names;
}

const fmtSize = (n) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} B`);

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    console.log('usage: node scripts/build-guests.mjs [--force] [--check] [--only <name>[,<name>]] [--out <dir>] [--root <dir>]');
    console.log(`guests: ${GUESTS.map((g) => g.name).join(', ')}`);
    return 0;
  }
  const root = resolve(opts.root ?? REPO_ROOT);
  const outDir = resolve(opts.out ?? join(root, 'guests', 'dist'));
  let guests = GUESTS;
  if (opts.only) {
    const unknown = opts.only.filter((n) => !GUESTS.some((g) => g.name === n));
    if (unknown.length) throw new UsageError(`unknown guest(s): ${unknown.join(', ')} (known: ${GUESTS.map((g) => g.name).join(', ')})`);
    guests = GUESTS.filter((g) => opts.only.includes(g.name));
  }

  const versions = await toolVersions();
  let built = 0;
  let prebuiltCopies = 0;
  const stale = [];
  const failures = [];

  for (const guest of guests) {
    const outFile = join(outDir, `${guest.name}.wasm`);
    const stampFile = join(outDir, `${guest.name}.stamp.json`);
    try {
      const sourceFiles = await expandSources(root, guest.sources).catch(async (e) => {
        // The C sources may be absent in a checkout that only ships the prebuilt component.
        if (guest.prebuilt && existsSync(resolve(root, guest.prebuilt))) return [];
        throw e;
      });
      const witPath = resolve(root, guest.wit);
      const wits = await witFiles(witPath);
      // Cheap: builders keep their heavy imports (componentize-js, jco) inside build().
      const builderModule = await loadBuilder(guest.builder);
      const hash = await inputHash(root, guest, sourceFiles, wits, versions, builderModule?.toolVersion);
      const stamp = await readStamp(stampFile);
      let upToDate = !opts.force && stamp?.format === STAMP_FORMAT && stamp.inputHash === hash && (await outputMatches(outFile, stamp));
      if (upToDate && stamp.via === 'prebuilt') {
        // A prebuilt copy stands in only while the toolchain is missing: rebuild once it appears.
        if (sourceFiles.length && builderModule && (await builderModule.available())) upToDate = false;
      }
      if (upToDate) {
        console.log(`${guest.name}: up to date (cached${stamp.via === 'prebuilt' ? ', prebuilt' : ''})`);
        continue;
      }
      if (opts.check) {
        console.log(`${guest.name}: needs rebuild`);
        stale.push(guest.name);
        continue;
      }

      await mkdir(outDir, { recursive: true });
      // A failed build must not leave a stamp that vouches for an old or partial output.
      await rm(stampFile, { force: true });
      const metadata = metadataFor(guest);
      const started = performance.now();
      const builder = sourceFiles.length ? builderModule : null;
      const canBuild = builder !== null && (await builder.available());
      let via;
      if (canBuild) {
        const tmpFile = join(outDir, `.tmp-${process.pid}-${guest.name}.wasm`);
        try {
          // A JS guest takes tens of seconds: say what is running on a terminal (logs and CI stay as they were).
          if (process.stderr.isTTY && !process.env.CI) process.stderr.write(`building ${guest.name} (${guest.builder})…\n`);
          await builder.build({ sourceFiles, witDir: witPath, world: guest.world, outFile: tmpFile, metadata, ...(guest.bindgen ? { bindgen: true } : {}) });
          let bytes = new Uint8Array(await readFile(tmpFile));
          // Every guest describes itself the same way, even if its builder ignored `metadata`.
          if (!customSectionNames(bytes).includes(METADATA_SECTION_NAME)) {
            bytes = appendMetadataSection(bytes, metadata);
            await writeFile(tmpFile, bytes);
          }
          await rename(tmpFile, outFile);
        } finally {
          await rm(tmpFile, { force: true });
        }
        via = 'built';
      } else if (guest.prebuilt && existsSync(resolve(root, guest.prebuilt))) {
        await copyFile(resolve(root, guest.prebuilt), outFile);
        via = 'prebuilt';
      } else if (builder === null) {
        throw new BuildError(`builder "${guest.builder}" not found (expected ${join(BUILDERS_DIR, `${guest.builder}.mjs`)})`);
      } else {
        throw new BuildError(`builder "${guest.builder}" is not available on this machine (its toolchain is missing) and there is no prebuilt fallback`);
      }
      const bytes = await readFile(outFile);
      const ms = Math.round(performance.now() - started);
      await writeFile(
        stampFile,
        JSON.stringify({ format: STAMP_FORMAT, name: guest.name, builder: guest.builder, via, inputHash: hash, size: bytes.length, outputSha256: sha256(bytes), tools: versions, builtAt: new Date().toISOString(), ms }, null, 2) + '\n',
      );
      built++;
      if (via === 'prebuilt') {
        prebuiltCopies++;
        console.log(`${guest.name}: ${guest.builder} toolchain unavailable, copied prebuilt ${guest.prebuilt} (${fmtSize(bytes.length)}, ${ms} ms)`);
      } else {
        console.log(`${guest.name}: built ${fmtSize(bytes.length)} in ${ms} ms`);
      }
    } catch (e) {
      const msg = e instanceof Error ? e.message.split('\n').slice(0, 6).join('\n  ') : String(e);
      console.error(`${guest.name}: FAILED (${guest.builder} builder): ${msg}`);
      failures.push(guest.name);
    }
  }

  if (failures.length) {
    console.error(`build failed for: ${failures.join(', ')}`);
    return 1;
  }
  if (opts.check) {
    console.log(stale.length ? `would rebuild: ${stale.join(', ')}` : 'nothing to rebuild');
    return stale.length ? 1 : 0;
  }
  const fromPrebuilt = prebuiltCopies ? ` (${prebuiltCopies} copied from prebuilt)` : '';
  console.log(built === 0 ? 'nothing to rebuild' : `built ${built}${fromPrebuilt}, cached ${guests.length - built}`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`build-guests: ${e.message}`);
    process.exitCode = 2;
  } else {
    console.error(`build-guests: ${e instanceof Error ? e.stack : e}`);
    process.exitCode = 1;
  }
}
