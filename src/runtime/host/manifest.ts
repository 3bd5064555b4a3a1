/**
 * Plugin manifests (`<name>.json` next to `<name>.wasm`, read by
 * `PluginHost.loadDir`) and the host's policy over them.
 *
 * A manifest ships with the plugin, so whoever wrote the plugin wrote it: it
 * is a *request*. The host's `ManifestPolicy` decides what may be granted;
 * without one a manifest may only narrow what the host gives every plugin
 * anyway (no filesystem, environment, WASI, priority, nor a limit looser than
 * the host's). A request beyond the policy refuses the plugin (`POLICY`),
 * naming the plugin, the manifest field and the policy: silently trimming it
 * would load a plugin in a shape its author did not test.
 */
import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { WitplugError, ErrorCodes } from '../../errors.js';
import { parseGrant, readJsonInput, type DirectoryGrant, type Grant, type Limits } from '../capabilities/grant.js';
import { unversioned } from '../../component/versions.js';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../abi/index.js';
import { DEFAULT_MAX_HANDLES, DEFAULT_MAX_TABLE_ELEMENTS, DEFAULT_TIMEOUT_MS, effectiveTimeoutMs } from '../limits/resolve-limits.js';
import { DEFAULT_MAX_OPEN_FILES } from '../capabilities/descriptor-ledger.js';
import type { Anchor } from './types.js';
import type { IsolateChoice } from './isolation-choice.js';

/** A host directory manifests may grant: itself or anything inside it. */
export interface PolicyRoot {
  /** Host directory (absolute, or relative to the process's cwd); compared by real path. */
  readonly path: string;
  /** Whether manifests may grant it (or a directory inside it) read-write. Default: read-only only. */
  readonly readonly?: boolean;
}

/**
 * What `PluginHost.loadDir` lets a manifest request; every field defaults to
 * "nothing beyond the host's own settings".
 */
export interface ManifestPolicy {
  /** Roots a manifest's `filesystem` grants must be equal to or inside (real paths: `..` and symlinks cannot leave them). */
  readonly filesystem?: readonly PolicyRoot[];
  /** Environment variable names a manifest's `env` may set. */
  readonly env?: readonly string[];
  /**
   * WASI interfaces a manifest's `imports` may list, as grant patterns
   * (`wasi:io/*`, `wasi:cli/stdout`). Non-WASI entries are always allowed:
   * they only choose among the contract interfaces the host offers anyway.
   */
  readonly imports?: readonly string[];
  /** Whether a manifest may switch on `clocks` / `random`. Default false. */
  readonly clocks?: boolean;
  readonly random?: boolean;
  /** The priorities a manifest may ask for (inclusive). Default: only 0, the host's default. */
  readonly priority?: { readonly min?: number; readonly max?: number };
  /**
   * The most a manifest may raise each limit to, above the host's `limits`.
   * A manifest may always make a limit stricter; without an entry here it
   * cannot make it looser.
   */
  readonly limits?: Limits;
  /**
   * Whether a manifest may choose its plugin's isolation (`"isolate": true`
   * or `false`). Default false: a manifest's `isolate` must equal the host's
   * own (`PluginHostOptions.isolate`), else `POLICY`.
   */
  readonly isolate?: boolean;
}

/** What a manifest asks for, parsed and validated but not yet allowed. */
export interface ManifestRequest {
  readonly path: string;
  readonly grant: Grant;
  readonly priority?: number;
  readonly anchor?: readonly Anchor[];
  readonly isolate?: boolean;
}

/** What a manifest is granted: the grant (without limits), the effective limits, priority, anchors and isolation. */
export interface AllowedManifest {
  readonly grant: Grant;
  readonly limits: Limits;
  readonly priority?: number;
  readonly anchor?: readonly Anchor[];
  readonly isolate?: boolean;
}

/**
 * The value each limit has when the host sets none, for comparing a
 * manifest's request against (Infinity: unlimited). Typed over every key of
 * `Limits`, so a new limit must say here what "not set" allows.
 */
const UNSET_LIMIT: Readonly<Record<keyof Limits, number>> = {
  fuel: Infinity,
  timeoutMs: DEFAULT_TIMEOUT_MS,
  maxMemoryMb: Infinity,
  maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES,
  maxHandles: DEFAULT_MAX_HANDLES,
  maxTableElements: DEFAULT_MAX_TABLE_ELEMENTS,
  maxOpenFiles: DEFAULT_MAX_OPEN_FILES,
};

/** A plugin's manifest: a grant manifest plus `priority` and `anchor`; none → null. */
export async function readManifest(path: string): Promise<ManifestRequest | null> {
  let json: unknown;
  try {
    json = await readJsonInput(path, 'plugin manifest');
  } catch (e) {
    if (e instanceof WitplugError && e.code === ErrorCodes.NOT_FOUND) return null;
    throw e;
  }
  const { priority, anchor, isolate, ...grant } = (json ?? {}) as { priority?: unknown; anchor?: unknown; isolate?: unknown };
  if (priority !== undefined && (typeof priority !== 'number' || !Number.isFinite(priority))) throw new WitplugError(ErrorCodes.USAGE, `manifest ${path}: "priority" must be a number`);
  if (isolate !== undefined && typeof isolate !== 'boolean') throw new WitplugError(ErrorCodes.USAGE, `manifest ${path}: "isolate" must be true or false`);
  return {
    path,
    grant: parseGrant(grant, `manifest ${path}`, dirname(resolve(path))),
    ...(priority === undefined ? {} : { priority }),
    ...(anchor === undefined ? {} : { anchor: parseAnchors(anchor, path) }),
    ...(isolate === undefined ? {} : { isolate }),
  };
}

/** `anchor` of a manifest: `{operation, at}` or a list of them; anything else is a USAGE error naming the file. */
function parseAnchors(json: unknown, path: string): Anchor[] {
  const list = Array.isArray(json) ? (json as unknown[]) : [json];
  return list.map((a) => {
    const { operation, at } = (a ?? {}) as { operation?: unknown; at?: unknown };
    if (typeof a !== 'object' || a === null || typeof operation !== 'string' || (at !== 'before' && at !== 'define' && at !== 'after')) {
      throw new WitplugError(ErrorCodes.USAGE, `manifest ${path}: "anchor" must be {"operation": string, "at": "before" | "define" | "after"} or a list of them`);
    }
    return { operation, at };
  });
}

/**
 * Checks `request` against `policy` for plugin `plugin`: what it may have,
 * or a POLICY error for the first field beyond the policy. `hostLimits` are
 * the host's limits for every plugin; the effective limits are the stricter
 * of host and manifest, or the manifest's where the policy lets it raise one.
 * Filesystem grants come back with their real host paths: what was checked is
 * what is granted. `hostIsolate` is the host's own isolation for every plugin.
 */
export async function allowManifest(
  plugin: string, request: ManifestRequest, policy: ManifestPolicy = {}, hostLimits: Limits = {}, hostIsolate: IsolateChoice = false,
): Promise<AllowedManifest> {
  const refuse = (field: string, requested: string, allowed: string): never => {
    throw new WitplugError(
      ErrorCodes.POLICY,
      `plugin "${plugin}": manifest ${request.path} requests ${field} ${requested}, beyond the host's manifest policy (${allowed})`,
      { plugin, path: field },
    );
  };
  const { limits: requestedLimits, filesystem, ...grant } = request.grant;

  for (const key of Object.keys(grant.env ?? {})) {
    if (!(policy.env ?? []).includes(key)) refuse(`env.${key}`, 'a variable', `manifestPolicy.env: ${list(policy.env)}`);
  }
  for (const flag of ['clocks', 'random'] as const) {
    if (grant[flag] === true && policy[flag] !== true) refuse(flag, 'true', `manifestPolicy.${flag} is not true`);
  }
  (grant.imports ?? []).forEach((pattern, i) => {
    if (!unversioned(pattern).startsWith('wasi:')) return;
    if (!(policy.imports ?? []).some((allowed) => covers(allowed, pattern))) refuse(`imports[${i}]`, JSON.stringify(pattern), `manifestPolicy.imports: ${list(policy.imports)}`);
  });

  const priority = request.priority;
  if (priority !== undefined) {
    const min = policy.priority?.min ?? 0;
    const max = policy.priority?.max ?? 0;
    if (priority < min || priority > max) refuse('priority', String(priority), `manifestPolicy.priority: ${min} to ${max}`);
  }

  if (request.isolate !== undefined && request.isolate !== hostIsolate && policy.isolate !== true) {
    refuse('isolate', String(request.isolate), `manifestPolicy.isolate is not true; the host's isolate is ${hostIsolate}`);
  }

  const limits: { -readonly [K in keyof Limits]: Limits[K] } = { ...hostLimits };
  for (const key of Object.keys(requestedLimits ?? {}) as (keyof Limits)[]) {
    const wanted = requestedLimits![key]!;
    const host = key === 'timeoutMs' ? effectiveTimeoutMs(hostLimits.timeoutMs) ?? Infinity : hostLimits[key] ?? UNSET_LIMIT[key];
    const ceiling = policy.limits?.[key];
    if (wanted > host && (ceiling === undefined || wanted > ceiling)) {
      refuse(`limits.${key}`, String(wanted), `${ceiling === undefined ? 'no raise allowed' : `manifestPolicy.limits.${key}: at most ${ceiling}`}; the host's ${key} is ${host === Infinity ? 'unlimited' : host}`);
    }
    limits[key] = wanted;
  }

  const roots = await realRoots(policy.filesystem ?? []);
  const granted: DirectoryGrant[] = [];
  for (const [i, dir] of (filesystem ?? []).entries()) {
    const field = `filesystem[${i}].host`;
    let real: string;
    try {
      real = await realpath(dir.host);
    } catch (e) {
      return refuse(field, JSON.stringify(dir.host), `it cannot be resolved (${(e as NodeJS.ErrnoException).code ?? String(e)}), so it cannot be shown inside manifestPolicy.filesystem`);
    }
    const inside = roots.filter((r) => isWithin(real, r.real));
    if (inside.length === 0) refuse(field, `${JSON.stringify(dir.host)} (real path ${real})`, `manifestPolicy.filesystem: ${list(roots.map((r) => r.real))}`);
    if (!dir.readonly && !inside.some((r) => r.readonly === false)) {
      refuse(`filesystem[${i}].readonly`, `false for ${real}`, `read-write roots in manifestPolicy.filesystem: ${list(roots.filter((r) => r.readonly === false).map((r) => r.real))}`);
    }
    granted.push({ ...dir, host: real });
  }

  return {
    grant: filesystem === undefined ? grant : { ...grant, filesystem: granted },
    limits,
    ...(priority === undefined ? {} : { priority }),
    ...(request.anchor === undefined ? {} : { anchor: request.anchor }),
    ...(request.isolate === undefined ? {} : { isolate: request.isolate }),
  };
}

/** The policy's roots by real path; a root that does not exist allows nothing. */
async function realRoots(roots: readonly PolicyRoot[]): Promise<{ real: string; readonly?: boolean }[]> {
  const out: { real: string; readonly?: boolean }[] = [];
  for (const r of roots) {
    const real = await realpath(resolve(r.path)).catch(() => null);
    if (real !== null) out.push(r.readonly === undefined ? { real } : { real, readonly: r.readonly });
  }
  return out;
}

/** Is `path` equal to `root` or inside it (both real, absolute)? */
function isWithin(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** Does the allowed grant pattern `allowed` cover every interface the requested pattern `requested` could match? */
function covers(allowed: string, requested: string): boolean {
  const a = unversioned(allowed);
  const r = unversioned(requested);
  if (a.endsWith('/*')) return r.startsWith(a.slice(0, -1));
  return !r.endsWith('/*') && a === r;
}

function list(items: readonly string[] | undefined): string {
  return items === undefined || items.length === 0 ? 'none' : items.map((s) => JSON.stringify(s)).join(', ');
}
