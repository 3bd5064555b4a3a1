/**
 * Compile cache: transpile once, reuse across processes (the idea of
 * wasmtime's serialized artifacts). Entries live in one file each, named by
 * the component hash and an options digest; the header inside is checked
 * field by field on load, so a stale entry says *why* it is rebuilt.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { VERSION } from '../version.js';
import { JCO_VERSION, TRANSPILE_OPTIONS, transpileComponent } from './transpile.js';
import {
  ARTIFACT_FORMAT, artifactFormat, decodeArtifact, encodeArtifact, headerMismatch, sha256Hex,
  type ArtifactKeyFields,
} from './artifact.js';

export interface CacheStats {
  /** Loads served from a valid entry (no transpile). */
  hits: number;
  /** Loads that found no entry and transpiled. */
  misses: number;
  /** Loads that found an unusable entry (stale header field, corruption) and transpiled. */
  rebuilds: number;
  /** Entries that could not be written (read-only or full cache dir); the load still succeeded. */
  writeFailures: number;
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
  /**
   * sha256 (hex) of the component bytes when the caller has already computed it
   * (admission hashes the same bytes): saves ~10–25 ms per load of a 12 MB
   * component. Trusted: it must be the hash of exactly these bytes.
   */
  readonly componentHash?: string;
}

/**
 * Default location: $WITPLUG_CACHE_DIR, else $XDG_CACHE_HOME/witplug, else
 * ~/.cache/witplug. Empty or relative XDG_CACHE_HOME is ignored, as the XDG
 * base-directory spec requires.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env['WITPLUG_CACHE_DIR'];
  if (own) return own;
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'witplug');
}

/** Versions the key fields can override (tests simulate an entry built by another jco). */
export interface CacheIdentity {
  readonly witplugVersion: string;
  readonly jcoVersion: string;
}

export class CompileCache {
  readonly dir: string | null;
  readonly stats: CacheStats = { hits: 0, misses: 0, rebuilds: 0, writeFailures: 0, lastRebuildReason: null };
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

  /**
   * Path of the entry for a component + options. The versions are not part of
   * the name on purpose: an upgrade finds the old entry, reports which field
   * changed and replaces it in place (no stale files pile up). The variant and
   * contract are, so one component used with two contracts or two
   * instrumentation settings keeps two entries instead of thrashing one.
   */
  entryPath(componentHash: string, options: CompileOptions = {}): string | null {
    if (this.dir === null) return null;
    const optionsDigest = sha256Hex(canonicalJson({ variant: options.variant ?? {}, contract: options.contractFingerprint ?? '' })).slice(0, 16);
    return join(this.dir, `${componentHash.slice(0, 32)}-${optionsDigest}.wpa`);
  }

  async compile(bytes: Uint8Array, options: CompileOptions = {}): Promise<CompiledArtifact> {
    const componentHash = options.componentHash ?? sha256Hex(bytes);
    const path = this.entryPath(componentHash, options);
    if (path === null) {
      const { glue, coreModules } = await transpileAndTransform(bytes, options);
      return { componentHash, glue, coreModules, source: 'disabled' };
    }
    const expected = this.keyFields(componentHash, options);
    const reason = this.tryLoad(path, expected, bytes);
    if (typeof reason !== 'string') {
      this.stats.hits++;
      return { componentHash, ...reason, source: 'hit' };
    }
    const { glue, coreModules } = await transpileAndTransform(bytes, options);
    const blobs = new Map<string, Uint8Array>([['glue.js', new TextEncoder().encode(glue)], ...coreModules]);
    if (!writeAtomically(path, encodeArtifact(expected, blobs, bytes))) this.stats.writeFailures++;
    if (reason === 'absent') {
      this.stats.misses++;
      return { componentHash, glue, coreModules, source: 'miss' };
    }
    this.stats.rebuilds++;
    this.stats.lastRebuildReason = reason;
    return { componentHash, glue, coreModules, source: 'rebuild', rebuildReason: reason };
  }

  /** The entry's contents, or why it can't be used ('absent' when there is none). */
  private tryLoad(path: string, expected: ArtifactKeyFields, component: Uint8Array): { glue: string; coreModules: Map<string, Uint8Array> } | string {
    let file: Uint8Array;
    try {
      file = readFileSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: part of the cache path is a file, so no entry can exist there.
      return code === 'ENOENT' || code === 'ENOTDIR' ? 'absent' : `cannot read cache entry (${code ?? String(e)}) → rebuilding`;
    }
    try {
      // Format first: another layout can't be integrity-checked by this one.
      const format = artifactFormat(file);
      if (format !== expected.format) return `cache entry has format ${format}, running format ${expected.format} → rebuilding`;
      // Integrity before any field is believed: a flipped byte is corruption, not a "version".
      const { header, blobs } = decodeArtifact(file, component);
      const mismatch = headerMismatch(header, expected);
      if (mismatch !== null) return `${mismatch} → rebuilding`;
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

/** Writes to a unique temp file, then renames it over the entry; false when the dir is unusable. */
function writeAtomically(path: string, data: Uint8Array): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(tmp, data);
    // rename(2) replaces atomically: readers see the old or the new entry, never a
    // mix, and of two concurrent writers the last rename wins with a whole entry.
    renameSync(tmp, path);
    return true;
  } catch {
    // A read-only or full cache dir must not stop the plugin from loading.
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing to clean up
    }
    return false;
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
