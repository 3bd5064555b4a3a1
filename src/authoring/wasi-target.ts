/**
 * The world a plugin is built against: the contract's world minus the WASI
 * interfaces the plugin does not ask for. componentize-js's engine imports
 * every WASI interface its target world offers, whatever the JavaScript
 * uses, so the only way to a plugin without them is a world without them.
 * C and WAT builds go through the same world (wit-component already drops
 * what their core module does not import).
 */
import { cp, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WitplugError, ErrorCodes } from '../errors.js';
import { unversioned as stripVersion } from '../component/versions.js';
import type { Contract } from '../contract/load.js';
import type { WasiChoice } from './project.js';

export interface BuildWorld {
  /** WIT directory (or file) to build against. */
  readonly witPath: string;
  /** Removes the derived copy, if one was made. */
  readonly dispose: () => Promise<void>;
}

/** The world's `wasi:*` imports that carry functions (interfaces imported only for their types grant nothing). */
export function wasiImports(contract: Contract): string[] {
  return contract.shape.imports
    .filter((i) => i.kind === 'interface' && i.name.startsWith('wasi:') && i.iface.funcs.size > 0)
    .map((i) => i.name);
}

/** Refuses WASI interfaces the world does not offer, naming the ones it does. */
export function checkWasiChoice(choice: WasiChoice, contract: Contract): void {
  if (typeof choice === 'string') return;
  const offered = new Map(wasiImports(contract).map((n) => [stripVersion(n), n]));
  const unknown = choice.filter((c) => !offered.has(c));
  if (unknown.length > 0) {
    const list = [...offered.keys()].sort().join(', ') || 'none';
    throw new WitplugError(ErrorCodes.USAGE, `world ${contract.world} does not offer ${unknown.join(', ')} (its WASI interfaces: ${list})`);
  }
}

const WORLD_HEAD = (world: string): RegExp => new RegExp(`(^|[\\s;}])world\\s+%?${world.replace(/[^a-z0-9-]/g, '')}\\s*\\{`, 'm');
/** Top-level WASI items of a world body: `import wasi:…;`, `include wasi:…;` and `include wasi:… with { … }`. */
const WASI_ITEM = /(?<=^|[;{}])[ \t]*(?:import|include)\s+wasi:[^;{]*(?:;|\{[^}]*\})/gm;

/** The body of `world <name> { … }` in `text`: [start of body, index of the closing brace], or null. */
function worldBody(text: string, world: string): [number, number] | null {
  const head = WORLD_HEAD(world).exec(text);
  if (head === null) return null;
  let depth = 1;
  let i = head.index + head[0].length;
  const start = i;
  while (i < text.length && depth > 0) {
    if (text.startsWith('//', i)) i = text.indexOf('\n', i) === -1 ? text.length : text.indexOf('\n', i);
    else if (text.startsWith('/*', i)) i = text.indexOf('*/', i) === -1 ? text.length : text.indexOf('*/', i) + 2;
    else {
      if (text[i] === '{') depth++;
      else if (text[i] === '}') depth--;
      i++;
    }
  }
  return depth === 0 ? [start, i - 1] : null;
}

/**
 * A copy of the WIT at `witPath` whose `world` imports only the chosen WASI
 * interfaces (at the versions the world names); `all` builds against the WIT as is.
 * `world` must be a world of the root package, declared in one of its files.
 */
export async function buildWorld(witPath: string, contract: Contract, choice: WasiChoice): Promise<BuildWorld> {
  const offered = wasiImports(contract);
  if (choice === 'all' || offered.length === 0) return { witPath, dispose: async () => {} };
  const keep = choice === 'none' ? [] : offered.filter((n) => choice.includes(stripVersion(n)));
  const work = await mkdtemp(join(tmpdir(), 'witplug-world-'));
  try {
    const isDir = (await stat(witPath)).isDirectory();
    const target = join(work, 'wit');
    await cp(witPath, isDir ? target : join(target, 'world.wit'), { recursive: true, dereference: true });
    const files = (await readdir(target)).filter((f) => f.endsWith('.wit')).map((f) => join(target, f));
    let edited = false;
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      const body = worldBody(text, contract.world.replace(/^.*\//, '').replace(/@.*$/, ''));
      if (body === null) continue;
      const [start, end] = body;
      const inner = text.slice(start, end).replace(WASI_ITEM, '');
      const added = keep.map((n) => `  import ${n};\n`).join('');
      await writeFile(file, `${text.slice(0, start)}${inner.replace(/\s*$/, '\n')}${added}${text.slice(end)}`);
      edited = true;
      break;
    }
    if (!edited) {
      throw new WitplugError(ErrorCodes.USAGE, `world ${contract.world} is not declared in the root package's files, so its WASI imports cannot be narrowed: use --wasi all`);
    }
    return { witPath: target, dispose: () => rm(work, { recursive: true, force: true }) };
  } catch (e) {
    await rm(work, { recursive: true, force: true });
    throw e;
  }
}
