/**
 * `witplug new`: a plugin project for a world — sources with a stub for every
 * export, the world's WIT, `witplug.json` and a README. The project builds
 * (`witplug build`) and is admitted as written.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { WitplugError, ErrorCodes } from '../errors.js';
import { loadContract } from '../contract/load.js';
import { describeWasi, writeProject, type Lang, type Project, type WasiChoice, PROJECT_FILE } from './project.js';
import { planWorld } from './world-plan.js';
import { jsStub } from './stub-js.js';
import { watStub } from './stub-wat.js';
import { checkWasiChoice } from './wasi-target.js';
import { copyWitForWorld } from './wit-copy.js';
import { cStub } from './stub-c.js';
import { cBindingsFor, writeCBindings } from './c-project.js';

export interface NewProjectOptions {
  readonly dir: string;
  readonly lang: Lang;
  /** The contract: a WIT file or a directory with deps/. */
  readonly wit: string;
  readonly world: string;
  /** Default `none`. */
  readonly wasi?: WasiChoice;
}

export interface NewProjectResult {
  readonly dir: string;
  readonly project: Project;
  /** Files written, relative to `dir`. */
  readonly files: readonly string[];
}

const LANG_NAMES: Record<Lang, string> = { js: 'JavaScript', wat: 'WebAssembly text', c: 'C' };
const SOURCE: Record<Lang, string> = { js: 'src/plugin.js', wat: 'src/plugin.wat', c: 'src/plugin.c' };

async function ensureEmpty(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new WitplugError(ErrorCodes.USAGE, `${dir} is not a directory witplug can write a project into (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (entries.length > 0) throw new WitplugError(ErrorCodes.USAGE, `${dir} is not empty: witplug new writes a project into a new or empty directory`);
}

export async function newProject(options: NewProjectOptions): Promise<NewProjectResult> {
  const { lang, world } = options;
  const dir = resolve(options.dir);
  const contract = await loadContract(options.wit, world);
  const wasi = options.wasi ?? 'none';
  checkWasiChoice(wasi, contract);
  await ensureEmpty(dir);
  const plan = planWorld(contract);
  const name = basename(dir);
  const project: Project = { lang, world, wit: 'wit', wasi, source: SOURCE[lang], output: `dist/${name}.wasm` };
  // The C bindings come first: a world they cannot express is refused before anything is written.
  const bindings = lang === 'c' ? await cBindingsFor(resolve(options.wit), contract, wasi) : null;

  await mkdir(join(dir, 'src'), { recursive: true });
  const witFiles = await copyWitForWorld(resolve(options.wit), join(dir, 'wit'));
  const extra: string[] = [];
  if (bindings !== null) {
    await writeCBindings(join(dir, 'src'), bindings);
    extra.push(`src/${bindings.header.name}`, `src/${bindings.source.name}`);
  }
  await writeFile(join(dir, project.source), lang === 'js' ? jsStub(plan) : lang === 'wat' ? watStub(plan) : cStub(plan, bindings!));
  await writeProject(dir, project);
  await writeFile(join(dir, 'README.md'), readme(name, project, plan.log !== null));
  await writeFile(join(dir, '.gitignore'), 'dist/\n');
  return { dir, project, files: [PROJECT_FILE, 'README.md', '.gitignore', project.source, ...extra, ...witFiles.map((f) => join('wit', f))] };
}

function readme(name: string, p: Project, logs: boolean): string {
  const tool = p.lang === 'js'
    ? 'componentize-js (install it: `npm install --save-dev @bytecodealliance/componentize-js`)'
    : p.lang === 'c' ? 'clang for wasm32 (Debian: apt-get install clang lld; wasi-libc too with WASI)' : "jco's WAT parser, embed and component new";
  return [
    `# ${name}`,
    '',
    `A witplug plugin in ${LANG_NAMES[p.lang]} for world \`${p.world}\` (WIT in \`${p.wit}/\`).`,
    `\`${p.source}\` has a stub for every export that returns a valid default${logs ? ' and logs its name through the host\'s log' : ''}: replace the bodies.`,
    ...(p.lang === 'c' ? ['The C bindings next to it (`src/*.h`, `src/*.c`) are generated: `witplug build` rewrites them from the WIT.'] : []),
    '',
    '```sh',
    `witplug build                                         # ${tool} → ${p.output}`,
    `witplug check ${p.output} --wit ${p.wit} --world ${p.world}   # the host's admission gate`,
    '```',
    '',
    `WASI: \`${describeWasi(p.wasi)}\` (\`witplug.json\` "wasi"; \`witplug build --wasi <none|all|wasi:cli/stdout,…>\` changes it).`,
    'The plugin is built against the world minus the WASI interfaces not listed, so it imports none of them;',
    'a host grants the ones it does import in the plugin\'s manifest.',
    '',
  ].join('\n');
}
