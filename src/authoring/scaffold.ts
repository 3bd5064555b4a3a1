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
  if (lang === 'c') {
    throw new WitplugError(ErrorCodes.USAGE, '--lang c is not available yet: C plugin projects need the generated C bindings; use --lang js or --lang wat');
  }
  const dir = resolve(options.dir);
  const contract = await loadContract(options.wit, world);
  const wasi = options.wasi ?? 'none';
  checkWasiChoice(wasi, contract);
  await ensureEmpty(dir);
  const plan = planWorld(contract);
  const source = lang === 'js' ? jsStub(plan) : watStub(plan);
  const name = basename(dir);
  const project: Project = { lang, world, wit: 'wit', wasi, source: SOURCE[lang], output: `dist/${name}.wasm` };

  await mkdir(join(dir, 'src'), { recursive: true });
  const witFiles = await copyWitForWorld(resolve(options.wit), join(dir, 'wit'));
  await writeFile(join(dir, project.source), source);
  await writeProject(dir, project);
  await writeFile(join(dir, 'README.md'), readme(name, project, plan.log !== null));
  await writeFile(join(dir, '.gitignore'), 'dist/\n');
  return { dir, project, files: [PROJECT_FILE, 'README.md', '.gitignore', project.source, ...witFiles.map((f) => join('wit', f))] };
}

function readme(name: string, p: Project, logs: boolean): string {
  const tool = p.lang === 'js'
    ? 'componentize-js (install it: `npm install --save-dev @bytecodealliance/componentize-js`)'
    : "jco's WAT parser, embed and component new";
  return [
    `# ${name}`,
    '',
    `A witplug plugin in ${p.lang === 'js' ? 'JavaScript' : 'WebAssembly text'} for world \`${p.world}\` (WIT in \`${p.wit}/\`).`,
    `\`${p.source}\` has a stub for every export that returns a valid default${logs ? ' and logs its name through the host\'s log' : ''}: replace the bodies.`,
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
