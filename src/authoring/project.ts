/**
 * The plugin project file, `witplug.json`: what `witplug new` chose and
 * `witplug build` reads — language, world, where the WIT is, which WASI
 * interfaces the plugin may import, its source and its output.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WitplugError, ErrorCodes } from '../errors.js';

export const PROJECT_FILE = 'witplug.json';
export const LANGS = ['js', 'c', 'wat'] as const;
export type Lang = (typeof LANGS)[number];

/** `none`: no WASI; `all`: the world as written; a list: these interfaces (`wasi:cli/stdout`), no others. */
export type WasiChoice = 'none' | 'all' | readonly string[];

export interface Project {
  readonly lang: Lang;
  readonly world: string;
  /** Relative to the project directory. */
  readonly wit: string;
  readonly wasi: WasiChoice;
  /** Relative to the project directory. */
  readonly source: string;
  /** Relative to the project directory. */
  readonly output: string;
}

const WASI_INTERFACE = /^wasi:[a-z][a-z0-9-]*\/[a-z][a-z0-9-]*$/;

/** Parses `--wasi none|all|<interface>[,<interface>…]`. */
export function parseWasiChoice(text: string): WasiChoice {
  const t = text.trim();
  if (t === 'none' || t === 'all') return t;
  const list = t.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = list.filter((s) => !WASI_INTERFACE.test(s));
  if (list.length === 0 || bad.length > 0) {
    throw new WitplugError(ErrorCodes.USAGE, `--wasi takes none, all or a comma-separated list of WASI interfaces without versions (e.g. wasi:cli/stdout,wasi:clocks/wall-clock); got ${JSON.stringify(text)}`);
  }
  return [...new Set(list)].sort();
}

export function isLang(value: string): value is Lang {
  return (LANGS as readonly string[]).includes(value);
}

function projectError(dir: string, message: string): WitplugError {
  return new WitplugError(ErrorCodes.USAGE, `${join(dir, PROJECT_FILE)}: ${message}`);
}

function relativePath(dir: string, obj: Record<string, unknown>, key: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || v === '' || v.startsWith('/') || v.split(/[\\/]/).includes('..')) {
    throw projectError(dir, `"${key}" must be a path inside the project`);
  }
  return v;
}

export async function readProject(dir: string): Promise<Project> {
  let text: string;
  try {
    text = await readFile(join(dir, PROJECT_FILE), 'utf8');
  } catch {
    throw new WitplugError(ErrorCodes.NOT_FOUND, `${join(dir, PROJECT_FILE)} not found: create a project with \`witplug new\``);
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw projectError(dir, `not JSON (${(e as Error).message})`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw projectError(dir, 'must be a JSON object');
  const o = obj as Record<string, unknown>;
  if (typeof o['lang'] !== 'string' || !isLang(o['lang'])) throw projectError(dir, `"lang" must be one of ${LANGS.join(', ')}`);
  if (typeof o['world'] !== 'string' || o['world'] === '') throw projectError(dir, '"world" must name the world');
  const wasiField = o['wasi'] ?? 'none';
  const wasi = Array.isArray(wasiField) ? parseWasiChoice(wasiField.join(',') || 'none') : typeof wasiField === 'string' ? parseWasiChoice(wasiField) : null;
  if (wasi === null) throw projectError(dir, '"wasi" must be "none", "all" or a list of WASI interfaces');
  return {
    lang: o['lang'],
    world: o['world'],
    wit: relativePath(dir, o, 'wit'),
    wasi,
    source: relativePath(dir, o, 'source'),
    output: relativePath(dir, o, 'output'),
  };
}

export async function writeProject(dir: string, project: Project): Promise<void> {
  await writeFile(join(dir, PROJECT_FILE), JSON.stringify(project, null, 2) + '\n');
}

/** The WASI choice in words, for build output. */
export function describeWasi(wasi: WasiChoice): string {
  return typeof wasi === 'string' ? wasi : wasi.join(', ');
}
