/**
 * Capability grants: what one plugin may use, deny by default.
 *
 * A grant comes from the host API (`PluginOptions.grant`) or a JSON manifest
 * next to the plugin (`plugin.json`, see docs/sandbox.md). Without a grant a
 * plugin may import the contract's own host interfaces (the host chose to
 * offer them) and no `wasi:*` interface at all: no files, no environment, no
 * clocks, no randomness, no network.
 */
import { readInput } from '../../util/read-bytes.js';
import { dirname, isAbsolute, resolve } from 'node:path';
import { WitplugError, ErrorCodes } from '../../errors.js';
import { unversioned } from '../../component/versions.js';

export interface DirectoryGrant {
  /** Host directory (absolute, or relative to the manifest). */
  readonly host: string;
  /** Path the plugin sees, e.g. `/data`. */
  readonly guest: string;
  readonly readonly: boolean;
}

export interface Limits {
  /** Fuel (≈ wasm instructions) per call. */
  readonly fuel?: number;
  /**
   * Wall-clock deadline per call, in ms. Default 10 000 (DEFAULT_TIMEOUT_MS);
   * 0 or Infinity: no deadline (API and CLI only: a manifest may not ask for that).
   */
  readonly timeoutMs?: number;
  /** Maximum linear memory, in MiB. */
  readonly maxMemoryMb?: number;
  /** Maximum bytes one call may lift out of the plugin, all strings and lists together (default 64 MiB). */
  readonly maxOutputBytes?: number;
  /** Maximum live resource handles per plugin instance (default 10 000; RESOURCE_LIMIT). */
  readonly maxHandles?: number;
  /** Maximum elements of each table (default 10 000 when any limit is set). */
  readonly maxTableElements?: number;
  /** Maximum WASI files, directories, listings and streams one plugin instance holds open (default 256; RESOURCE_LIMIT). */
  readonly maxOpenFiles?: number;
}

export interface Grant {
  /** Interfaces the plugin may import, unversioned (`wasi:clocks/wall-clock`) or with a `/*` wildcard (`wasi:io/*`). */
  readonly imports?: readonly string[];
  readonly config?: Readonly<Record<string, string>>;
  readonly filesystem?: readonly DirectoryGrant[];
  /** Environment variables the plugin sees: name → value. Nothing is inherited from the host. */
  readonly env?: Readonly<Record<string, string>>;
  readonly clocks?: boolean;
  readonly random?: boolean;
  readonly limits?: Limits;
}

/** The WASI interfaces each switch implies (any version). */
const IMPLIED: Record<'clocks' | 'random' | 'filesystem' | 'env', readonly string[]> = {
  clocks: ['wasi:clocks/*'],
  random: ['wasi:random/*'],
  filesystem: ['wasi:filesystem/*', 'wasi:io/*'],
  env: ['wasi:cli/environment'],
};

function grantedPatterns(grant: Grant | undefined): string[] | null {
  if (!grant) return null;
  const implied = [
    ...(grant.clocks ? IMPLIED.clocks : []),
    ...(grant.random ? IMPLIED.random : []),
    ...(grant.filesystem?.length ? IMPLIED.filesystem : []),
    ...(grant.env && Object.keys(grant.env).length ? IMPLIED.env : []),
  ];
  if (grant.imports === undefined) {
    // Only WASI switches were given: host interfaces stay granted by default.
    return implied.length ? [...implied, '__non_wasi__'] : null;
  }
  return [...grant.imports, ...implied];
}

/**
 * Is `iface` (qualified) granted? Non-WASI interfaces offered by the world are
 * granted unless the grant lists imports explicitly.
 */
export function isGranted(grant: Grant | undefined, iface: string): boolean {
  const patterns = grantedPatterns(grant);
  const name = unversioned(iface);
  if (patterns === null) return !name.startsWith('wasi:');
  if (patterns.includes('__non_wasi__') && !name.startsWith('wasi:')) return true;
  return patterns.some((p) => (p.endsWith('/*') ? name.startsWith(p.slice(0, -1)) : name === unversioned(p)));
}

/** Reads and validates a manifest; relative directories resolve against the manifest's folder. */
export async function readGrantManifest(path: string): Promise<Grant> {
  return parseGrant(await readJsonInput(path, 'grant manifest'), path, dirname(resolve(path)));
}

/** A JSON file the caller named: unreadable → NOT_FOUND/USAGE, not JSON → USAGE, both naming `what`. */
export async function readJsonInput(path: string, what: string): Promise<unknown> {
  const text = new TextDecoder().decode(await readInput(path, what));
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new WitplugError(ErrorCodes.USAGE, `${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Validates a grant object; `where` names it in errors. */
export function parseGrant(json: unknown, where = 'grant', baseDir = process.cwd()): Grant {
  const bad = (field: string, expected: string): never => {
    throw new WitplugError(ErrorCodes.USAGE, `${where}: "${field}" must be ${expected}`, { path: field });
  };
  if (!isObject(json)) return bad('(root)', 'an object');
  const known = new Set(['imports', 'config', 'filesystem', 'env', 'clocks', 'random', 'limits']);
  for (const k of Object.keys(json)) if (!known.has(k)) bad(k, `one of the known fields (${[...known].join(', ')})`);
  const out: { -readonly [K in keyof Grant]: Grant[K] } = {};
  if (json['imports'] !== undefined) {
    const v = json['imports'];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) bad('imports', 'an array of interface names');
    out.imports = v as string[];
  }
  if (json['config'] !== undefined) {
    const v = json['config'];
    if (!isObject(v) || !Object.values(v).every((x) => typeof x === 'string')) bad('config', 'an object of string values');
    out.config = v as Record<string, string>;
  }
  if (json['env'] !== undefined) {
    const v = json['env'];
    if (!isObject(v) || !Object.values(v).every((x) => typeof x === 'string')) bad('env', 'an object of string values');
    out.env = v as Record<string, string>;
  }
  for (const flag of ['clocks', 'random'] as const) {
    if (json[flag] !== undefined) {
      if (typeof json[flag] !== 'boolean') bad(flag, 'a boolean');
      out[flag] = json[flag] as boolean;
    }
  }
  if (json['filesystem'] !== undefined) {
    const v = json['filesystem'];
    if (!Array.isArray(v)) bad('filesystem', 'an array of {host, guest, readonly}');
    out.filesystem = (v as unknown[]).map((d, i) => {
      if (!isObject(d) || typeof d['host'] !== 'string' || typeof d['guest'] !== 'string') bad(`filesystem[${i}]`, 'an object {host: string, guest: string, readonly?: boolean}');
      const entry = d as Record<string, unknown>;
      if (entry['readonly'] !== undefined && typeof entry['readonly'] !== 'boolean') bad(`filesystem[${i}].readonly`, 'a boolean');
      const host = entry['host'] as string;
      return { host: isAbsolute(host) ? host : resolve(baseDir, host), guest: entry['guest'] as string, readonly: entry['readonly'] !== false };
    });
  }
  if (json['limits'] !== undefined) {
    const v = json['limits'];
    if (!isObject(v)) bad('limits', 'an object');
    const limits: { -readonly [K in keyof Limits]: Limits[K] } = {};
    for (const k of Object.keys(v as object)) {
      if (!['fuel', 'timeoutMs', 'maxMemoryMb', 'maxOutputBytes', 'maxHandles', 'maxTableElements', 'maxOpenFiles'].includes(k)) bad(`limits.${k}`, 'one of fuel, timeoutMs, maxMemoryMb, maxOutputBytes, maxHandles, maxTableElements, maxOpenFiles');
      const n = (v as Record<string, unknown>)[k];
      if (typeof n !== 'number' || !(n > 0) || !Number.isFinite(n)) bad(`limits.${k}`, 'a positive number');
      limits[k as keyof Limits] = n as number;
    }
    out.limits = limits;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
