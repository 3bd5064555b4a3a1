/**
 * Compile cache: transpile once, reuse across processes (the idea of
 * wasmtime's serialized artifacts). Entries live in one file each, named by
 * the component hash and an options digest; the header inside is checked
 * field by field on load, so a stale entry says *why* it is rebuilt. The
 * directory is bounded (LRU by bytes) and only trusted when no one else
 * could have written it (src/util/cache-dir.ts).
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { BUILD_STAMP, VERSION } from '../version.js';
import { cacheMaxBytes, defaultCacheDir, directoryProblem, pruneCache, readEntry, writeEntry } from '../util/cache-dir.js';
import { tryLock, type HeldLock } from './peer-lock.js';
import type { CompileProgressListener } from './progress.js';

export { defaultCacheDir };
import { JCO_VERSION, TRANSPILE_OPTIONS, transpileComponent } from './transpile.js';
import { WitplugError, ErrorCodes } from '../errors.js';
import { instrumentCoreModule } from './instrument.js';
import type { InstrumentOptions } from './instrument-options.js';
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
  /** Entries that could not be written (read-only, full or untrusted cache dir); the load still succeeded. */
  writeFailures: number;
  /** Entries this cache removed to stay within `maxBytes` (least recently used first). */
  evictions: number;
  /** Why the last rebuild happened (header field or corruption). */
  lastRebuildReason: string | null;
  /** Transpiles this cache ran (misses and rebuilds, or every compile when the disk cache is disabled). */
  compiled: number;
  /** Loads served by the entry another process (or cache) compiled while this one waited for it (counted in `hits` too). */
  waitedForPeer: number;
  /** Loads that joined a compile of the same entry already running in this cache (counted in `hits` too). */
  joinedInFlight: number;
  /** Locks taken over from a holder that died or stopped refreshing its lease. */
  lockTakeovers: number;
  /** Waits for a peer that outlasted `peerWaitMs`: this process compiled itself. */
  peerWaitTimeouts: number;
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
  /** Extra output-changing options folded into the key. */
  readonly variant?: Readonly<Record<string, unknown>>;
  readonly contractFingerprint?: string;
  /**
   * Rewrites each core module before it is stored (after `instrument`), so the
   * rewrite is cached with the artifact. Must be described by `variant`.
   */
  readonly transformCoreModule?: (name: string, bytes: Uint8Array) => Uint8Array;
  /**
   * Instruments each core module (src/compile/instrument.ts) before it is
   * stored, so the rewrite is cached with the artifact; the options are part
   * of the key.
   */
  readonly instrument?: InstrumentOptions;
  /**
   * sha256 (hex) of the component bytes when the caller has already computed it
   * (admission hashes the same bytes): saves ~10–25 ms per load of a 12 MB
   * component. Trusted: it must be the hash of exactly these bytes.
   */
  readonly componentHash?: string;
  /** Name in progress events (not part of the key). */
  readonly label?: string;
  /** Told when a compile that misses the cache starts and ends (see `terminalProgress`); hits are silent. */
  readonly onProgress?: CompileProgressListener;
}

/** What produced an entry; the key fields compare it (tests simulate an entry built by another jco or build). */
export interface CacheIdentity {
  readonly witplugVersion: string;
  readonly jcoVersion: string;
  /** witplug's BUILD_STAMP. */
  readonly builder: string;
}

export interface CompileCacheOptions extends Partial<CacheIdentity> {
  /**
   * Bound on the directory's size in bytes; least recently used entries are
   * evicted after a write. Default: $WITPLUG_CACHE_MAX_BYTES, else 1 GiB.
   */
  readonly maxBytes?: number;
  /**
   * How long a load waits for another process compiling the same entry
   * before compiling itself (correct, just not deduplicated). Default 120 000.
   */
  readonly peerWaitMs?: number;
  /**
   * A compile lock whose holder stopped refreshing it for this long is taken
   * over (a holder on this host that died is taken over at once). Default 60 000.
   */
  readonly lockLeaseMs?: number;
}

/** Between two looks at a peer's lock: starts short (small components compile in tens of ms), grows to this. */
const MAX_POLL_MS = 250;

/** Writes between two full scans of the directory (other processes' writes are only seen by a scan). */
const RESCAN_EVERY = 64;

export class CompileCache {
  readonly dir: string | null;
  readonly maxBytes: number;
  readonly peerWaitMs: number;
  readonly lockLeaseMs: number;
  readonly stats: CacheStats = {
    hits: 0, misses: 0, rebuilds: 0, writeFailures: 0, evictions: 0, lastRebuildReason: null,
    compiled: 0, waitedForPeer: 0, joinedInFlight: 0, lockTakeovers: 0, peerWaitTimeouts: 0,
  };
  private readonly identity: CacheIdentity;
  /** Loads running in this cache by entry path: a second load of the same entry joins the first. */
  readonly #inFlight = new Map<string, Promise<CompiledArtifact>>();
  /** Bytes in the directory as of the last scan plus what this cache wrote since (null: not scanned yet). */
  #knownBytes: number | null = null;
  #writesSinceScan = 0;

  /** `dir: null` disables the disk cache (every compile transpiles). */
  constructor(dir: string | null = defaultCacheDir(), options: CompileCacheOptions = {}) {
    this.dir = dir;
    this.identity = {
      witplugVersion: options.witplugVersion ?? VERSION,
      jcoVersion: options.jcoVersion ?? JCO_VERSION,
      builder: options.builder ?? BUILD_STAMP,
    };
    const maxBytes = options.maxBytes ?? cacheMaxBytes();
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new WitplugError(ErrorCodes.USAGE, `maxBytes must be a non-negative integer, got ${maxBytes}`);
    this.maxBytes = maxBytes;
    this.peerWaitMs = nonNegative('peerWaitMs', options.peerWaitMs ?? 120_000);
    this.lockLeaseMs = nonNegative('lockLeaseMs', options.lockLeaseMs ?? 60_000);
  }

  keyFields(componentHash: string, options: CompileOptions = {}): ArtifactKeyFields {
    return {
      format: ARTIFACT_FORMAT,
      witplugVersion: this.identity.witplugVersion,
      jcoVersion: this.identity.jcoVersion,
      builder: this.identity.builder,
      componentHash,
      options: canonicalJson({ transpile: TRANSPILE_OPTIONS, variant: compileVariant(options) }),
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
    const optionsDigest = sha256Hex(canonicalJson({ variant: compileVariant(options), contract: options.contractFingerprint ?? '' })).slice(0, 16);
    return join(this.dir, `${componentHash.slice(0, 32)}-${optionsDigest}.wpa`);
  }

  async compile(bytes: Uint8Array, options: CompileOptions = {}): Promise<CompiledArtifact> {
    const componentHash = options.componentHash ?? sha256Hex(bytes);
    const path = this.entryPath(componentHash, options);
    if (path === null) {
      const { glue, coreModules } = await this.#transpile(bytes, options);
      return { componentHash, glue, coreModules, source: 'disabled' };
    }
    const running = this.#inFlight.get(path);
    if (running !== undefined) {
      const shared = await running;
      this.stats.hits++;
      this.stats.joinedInFlight++;
      return { componentHash, glue: shared.glue, coreModules: shared.coreModules, source: 'hit' };
    }
    const load = this.#load(path, componentHash, bytes, options);
    this.#inFlight.set(path, load);
    try {
      return await load;
    } finally {
      this.#inFlight.delete(path);
    }
  }

  async #load(path: string, componentHash: string, bytes: Uint8Array, options: CompileOptions): Promise<CompiledArtifact> {
    const expected = this.keyFields(componentHash, options);
    const reason = await this.tryLoad(path, expected, bytes);
    if (typeof reason !== 'string') {
      this.stats.hits++;
      return { componentHash, ...reason, source: 'hit' };
    }
    const lock = await this.#lockOrPeerEntry(path, expected, bytes, options);
    if ('glue' in lock) return { componentHash, ...lock, source: 'hit' };
    try {
      const { glue, coreModules } = await this.#transpile(bytes, options);
      const blobs = new Map<string, Uint8Array>([['glue.js', new TextEncoder().encode(glue)], ...coreModules]);
      const entry = encodeArtifact(expected, blobs, bytes);
      if (await writeEntry(path, entry)) await this.#bound(path, entry.length);
      else this.stats.writeFailures++;
      if (reason === 'absent') {
        this.stats.misses++;
        return { componentHash, glue, coreModules, source: 'miss' };
      }
      this.stats.rebuilds++;
      this.stats.lastRebuildReason = reason;
      return { componentHash, glue, coreModules, source: 'rebuild', rebuildReason: reason };
    } finally {
      // After the entry is published: the waiting peer that takes the lock next finds it.
      await lock.held?.release();
    }
  }

  /**
   * Cross-process single flight (src/compile/peer-lock.ts): the compile lock
   * for this entry (`held`, or none when no lock can be had or the wait ran
   * out), or the entry a peer compiled while this process waited for it.
   */
  async #lockOrPeerEntry(
    path: string, expected: ArtifactKeyFields, bytes: Uint8Array, options: CompileOptions,
  ): Promise<{ held?: HeldLock } | { glue: string; coreModules: Map<string, Uint8Array> }> {
    if (this.dir === null) return {};
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
    } catch {
      return {};
    }
    // Locks in a directory whose entries are refused would only make loads wait.
    if ((await directoryProblem(this.dir)) !== null) return {};
    const lockPath = `${path}.lock`;
    const started = performance.now();
    let waited = false;
    let pollMs = 10;
    for (;;) {
      const attempt = await tryLock(lockPath, { leaseMs: this.lockLeaseMs });
      if (attempt.kind === 'unavailable') return {};
      if (attempt.kind === 'held') {
        if (attempt.tookOver) this.stats.lockTakeovers++;
        // A peer may have published the entry between our miss and our lock.
        const now = await this.tryLoad(path, expected, bytes);
        if (typeof now === 'string') return { held: attempt.lock };
        await attempt.lock.release();
        this.stats.hits++;
        if (waited) {
          this.stats.waitedForPeer++;
          this.#progress(options, bytes, { phase: 'done', ms: performance.now() - started, by: 'peer' });
        }
        return now;
      }
      if (!waited) {
        waited = true;
        this.#progress(options, bytes, { phase: 'start', waitingForPeer: true });
      }
      if (performance.now() - started >= this.peerWaitMs) {
        this.stats.peerWaitTimeouts++;
        return {};
      }
      await sleep(Math.min(pollMs, Math.max(1, this.peerWaitMs - (performance.now() - started))));
      pollMs = Math.min(MAX_POLL_MS, pollMs * 2);
    }
  }

  async #transpile(bytes: Uint8Array, options: CompileOptions): Promise<{ glue: string; coreModules: Map<string, Uint8Array> }> {
    const started = performance.now();
    this.#progress(options, bytes, { phase: 'start', waitingForPeer: false });
    const out = await transpileAndTransform(bytes, options);
    this.stats.compiled++;
    this.#progress(options, bytes, { phase: 'done', ms: performance.now() - started, by: 'self' });
    return out;
  }

  #progress(
    options: CompileOptions, bytes: Uint8Array,
    event: { phase: 'start'; waitingForPeer: boolean } | { phase: 'done'; ms: number; by: 'self' | 'peer' },
  ): void {
    if (options.onProgress === undefined) return;
    try {
      options.onProgress({ ...event, name: options.label ?? 'plugin', bytes: bytes.length });
    } catch {
      // A failing progress listener must not fail the load.
    }
  }

  /**
   * Keeps the directory within `maxBytes` after writing `written` (never
   * evicted itself). Scans only when this cache's running total says the bound
   * may be exceeded, or every RESCAN_EVERY writes to see other processes'.
   */
  async #bound(written: string, size: number): Promise<void> {
    if (this.dir === null) return;
    this.#writesSinceScan++;
    if (this.#knownBytes !== null && this.#writesSinceScan < RESCAN_EVERY) {
      this.#knownBytes += size;
      if (this.#knownBytes <= this.maxBytes) return;
    }
    try {
      const { removed, totalBytes } = await pruneCache(this.dir, this.maxBytes, written);
      this.stats.evictions += removed.length;
      this.#knownBytes = totalBytes;
      this.#writesSinceScan = 0;
    } catch {
      // The bound is enforced at the next write; a failed scan must not fail the load.
    }
  }

  /** The entry's contents, or why it can't be used ('absent' when there is none). */
  private async tryLoad(
    path: string,
    expected: ArtifactKeyFields,
    component: Uint8Array,
  ): Promise<{ glue: string; coreModules: Map<string, Uint8Array> } | string> {
    const read = await readEntry(path);
    if (read.kind === 'absent') return 'absent';
    if (read.kind !== 'ok') return `${read.reason} → rebuilding`;
    const file = read.data;
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
  for (const [name, data] of coreModules) {
    const instrumented = options.instrument ? instrumentCoreModule(data, options.instrument).bytes : data;
    out.set(name, options.transformCoreModule ? options.transformCoreModule(name, instrumented) : instrumented);
  }
  return { glue, coreModules: out };
}

/**
 * The output-changing options of a compilation, as they key the artifact (and
 * the per-process compiled-module memo). v: the instrumentation's own version
 * (v2: bulk/grow charges, table caps), so older artifacts are not reused.
 */
export function compileVariant(options: CompileOptions): Readonly<Record<string, unknown>> {
  return options.instrument ? { ...options.variant, instrument: { ...options.instrument, v: 2 } } : options.variant ?? {};
}

function nonNegative(name: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new WitplugError(ErrorCodes.USAGE, `${name} must be a non-negative integer, got ${n}`);
  return n;
}

/** JSON with sorted keys, so equal options always produce equal keys. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
