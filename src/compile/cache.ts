/**
 * Compile cache: transpile once, reuse across processes (the idea of
 * wasmtime's serialized artifacts). Entries live in one file each, named by
 * the component hash and an options digest; the header inside is checked
 * field by field on load, so a stale entry says *why* it is rebuilt.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { VERSION } from '../version.js';
import { JCO_VERSION, TRANSPILE_OPTIONS, transpileComponent } from './transpile.js';
import {
  ARTIFACT_FORMAT, decodeArtifact, encodeArtifact, headerMismatch, sha256Hex,
  type ArtifactKeyFields,
} from './artifact.js';

export interface CacheStats {
  hits: number;
  misses: number;
  rebuilds: number;
  /** Why the last rebuild happened (header field or corruption). */
  lastRebuildReason: string | null;
}

export interface CompiledArtifact {
  readonly componentHash: string;
  readonly glue: string;
  readonly coreModules: ReadonlyMap<string, Uint8Array>;
  /** 'hit' | 'miss' | 'rebuild' | 'disabled': how this artifact was obtained. */
  readonly source: 'hit' | 'miss' | 'rebuild' | 'disabled';
  readonly rebuildReason?: string;
}

export interface CompileOptions {
  /** Extra output-changing options (e.g. instrumentation) folded into the key. */
  readonly variant?: Readonly<Record<string, unknown>>;
  readonly contractFingerprint?: string;
  /**
   * Rewrites each core module before it is stored (e.g. fuel instrumentation),
   * so the rewrite is cached with the artifact. Must be described by `variant`.
   */
  readonly transformCoreModule?: (name: string, bytes: Uint8Array) => Uint8Array;
}

/** Default location: $WITPLUG_CACHE_DIR, else $XDG_CACHE_HOME/witplug, else ~/.cache/witplug. */
export function defaultCacheDir(): string {
  const env = process.env;
  if (env['WITPLUG_CACHE_DIR']) return env['WITPLUG_CACHE_DIR'];
  return join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'witplug');
}

/** Versions the key fields can override (tests simulate an entry built by another jco). */
export interface CacheIdentity {
  readonly witplugVersion: string;
  readonly jcoVersion: string;
}

export class CompileCache {
  readonly dir: string | null;
  readonly stats: CacheStats = { hits: 0, misses: 0, rebuilds: 0, lastRebuildReason: null };
  private readonly identity: CacheIdentity;

  /** `dir: null` disables the disk cache (every compile transpiles). */
  constructor(dir: string | null = defaultCacheDir(), identity: CacheIdentity = { witplugVersion: VERSION, jcoVersion: JCO_VERSION }) {
    this.dir = dir;
    this.identity = identity;
  }

  keyFields(componentHash: string, options: CompileOptions = {}): ArtifactKeyFields {
    return {
      format: ARTIFACT_FORMAT,
      witplugVersion: this.identity.witplugVersion,
      jcoVersion: this.identity.jcoVersion,
      componentHash,
      options: canonicalJson({ transpile: TRANSPILE_OPTIONS, variant: options.variant ?? {} }),
      contractFingerprint: options.contractFingerprint ?? '',
    };
  }

  /** Path of the entry for a component + options. */
  entryPath(componentHash: string, options: CompileOptions = {}): string | null {
    if (this.dir === null) return null;
    const optionsDigest = sha256Hex(canonicalJson(options.variant ?? {})).slice(0, 16);
    return join(this.dir, `${componentHash.slice(0, 32)}-${optionsDigest}.wpa`);
  }

  async compile(bytes: Uint8Array, options: CompileOptions = {}): Promise<CompiledArtifact> {
    const componentHash = sha256Hex(bytes);
    const path = this.entryPath(componentHash, options);
    if (path === null) {
      const { glue, coreModules } = await transpileAndTransform(bytes, options);
      return { componentHash, glue, coreModules, source: 'disabled' };
    }
    const expected = this.keyFields(componentHash, options);
    const reason = this.tryLoad(path, expected);
    if (typeof reason !== 'string') {
      this.stats.hits++;
      return { componentHash, ...reason, source: 'hit' };
    }
    const { glue, coreModules } = await transpileAndTransform(bytes, options);
    const blobs = new Map<string, Uint8Array>([['glue.js', new TextEncoder().encode(glue)], ...coreModules]);
    writeAtomically(path, encodeArtifact(expected, blobs));
    if (reason === 'absent') {
      this.stats.misses++;
      return { componentHash, glue, coreModules, source: 'miss' };
    }
    this.stats.rebuilds++;
    this.stats.lastRebuildReason = reason;
    return { componentHash, glue, coreModules, source: 'rebuild', rebuildReason: reason };
  }

  /** The entry's contents, or why it can't be used ('absent' when there is none). */
  private tryLoad(path: string, expected: ArtifactKeyFields): { glue: string; coreModules: Map<string, Uint8Array> } | string {
    let file: Uint8Array;
    try {
      file = readFileSync(path);
    } catch {
      return 'absent';
    }
    try {
      const { header, blobs } = decodeArtifact(file);
      const mismatch = headerMismatch(header, expected);
      if (mismatch) return `${mismatch} → rebuilding`;
      const glue = blobs.get('glue.js');
      if (!glue) return 'cache entry has no glue → rebuilding';
      const coreModules = new Map([...blobs].filter(([name]) => name !== 'glue.js'));
      return { glue: new TextDecoder().decode(glue), coreModules };
    } catch (e) {
      return `${e instanceof Error ? e.message : String(e)} → rebuilding`;
    }
  }
}

async function transpileAndTransform(bytes: Uint8Array, options: CompileOptions): Promise<{ glue: string; coreModules: Map<string, Uint8Array> }> {
  const { glue, coreModules } = await transpileComponent(bytes);
  const out = new Map<string, Uint8Array>();
  for (const [name, data] of coreModules) out.set(name, options.transformCoreModule ? options.transformCoreModule(name, data) : data);
  return { glue, coreModules: out };
}

function writeAtomically(path: string, data: Uint8Array): void {
  const dir = join(path, '..');
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, data);
    // rename(2) replaces atomically: readers see the old or the new entry, never a mix.
    renameSync(tmp, path);
  } catch {
    // A read-only or full cache dir must not stop the plugin from loading.
    rmSync(tmp, { force: true });
  }
}

/** JSON with sorted keys, so equal options always produce equal keys. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
