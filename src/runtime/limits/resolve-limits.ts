/**
 * Limits as the host gives them, validated and resolved, and the
 * instrumentation they need (compile/ instruments core modules from these
 * plain options).
 */
import { WitplugError, ErrorCodes } from '../../errors.js';
import type { CompileOptions } from '../../compile/cache.js';
import type { InstrumentOptions } from '../../compile/instrument-options.js';
import type { Limits } from '../capabilities/grant.js';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../abi/guest-memory.js';

/** Fuel units between deadline checks (≈ 0.1 ms of straight-line wasm). */
export const SLICE = 100_000;
/** Bytes per WebAssembly page. */
export const PAGE = 65_536;

/**
 * Table cap when the limits don't set maxTableElements (tables are only capped
 * when the plugin is instrumented, like memory). A table that starts larger
 * keeps its initial size as its cap (the JS guest's table has ~7 700 elements).
 */
export const DEFAULT_MAX_TABLE_ELEMENTS = 10_000;

/**
 * The deadline of every call when the host sets none (`timeoutMs`): without
 * one, a plugin looping forever would hold the host's thread for good.
 * Generous for any hook; `timeoutMs: 0` or `Infinity` switches it off.
 */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** The deadline `timeoutMs` asks for: the default when unset, none (undefined) for 0 and Infinity. */
export function effectiveTimeoutMs(timeoutMs: number | undefined): number | undefined {
  if (timeoutMs === undefined) return DEFAULT_TIMEOUT_MS;
  return timeoutMs === 0 || timeoutMs === Infinity ? undefined : timeoutMs;
}

/**
 * The in-process deadline inside an isolated plugin's worker, for a host
 * deadline of `hostMs`: twice it, so the host always stops an overrunning
 * worker first (as documented) and this one is only a backstop; it makes the
 * worker's code metered, so the plugin can be warmed up there too. 0 (none)
 * when the host has no deadline.
 */
export function workerBackstopMs(hostMs: number): number {
  return hostMs === Infinity ? 0 : 2 * hostMs;
}

/** Limits after validation; `undefined` = unlimited. */
export interface ResolvedLimits {
  readonly fuel?: number;
  readonly timeoutMs?: number;
  readonly maxMemoryPages?: number;
  readonly maxOutputBytes?: number;
  /** Live resource handles per instance (default DEFAULT_MAX_HANDLES). */
  readonly maxHandles?: number;
  readonly maxTableElements?: number;
  /** Open WASI descriptors and streams per instance (default DEFAULT_MAX_OPEN_FILES, src/runtime/capabilities/descriptor-ledger.ts). */
  readonly maxOpenFiles?: number;
}

/** Resource handles one instance may hold when no `maxHandles` is given: the handle table is host memory. */
export const DEFAULT_MAX_HANDLES = 10_000;

export function resolveLimits(limits: Limits | undefined): ResolvedLimits {
  if (!limits) return { maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES, timeoutMs: DEFAULT_TIMEOUT_MS };
  const out: { -readonly [K in keyof ResolvedLimits]: ResolvedLimits[K] } = {};
  const positive = (name: string, v: number | undefined): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) {
      const or = name === 'timeoutMs' ? ' (or 0 / Infinity: no deadline)' : '';
      throw new WitplugError(ErrorCodes.USAGE, `limits.${name} must be a positive number${or}, got ${String(v)}`);
    }
    return v;
  };
  const fuel = positive('fuel', limits.fuel);
  if (fuel !== undefined) out.fuel = Math.floor(fuel);
  const timeoutMs = limits.timeoutMs === 0 || limits.timeoutMs === Infinity ? limits.timeoutMs : positive('timeoutMs', limits.timeoutMs);
  const deadline = effectiveTimeoutMs(timeoutMs);
  if (deadline !== undefined) out.timeoutMs = deadline;
  const mb = positive('maxMemoryMb', limits.maxMemoryMb);
  // 16 pages per MiB; a fraction of a page rounds down (the cap is a maximum).
  if (mb !== undefined) out.maxMemoryPages = Math.floor((mb * 1024 * 1024) / PAGE);
  const ob = positive('maxOutputBytes', limits.maxOutputBytes);
  // Always capped: without a limit a guest's output alone can exhaust the host's heap.
  out.maxOutputBytes = ob !== undefined ? Math.floor(ob) : DEFAULT_MAX_OUTPUT_BYTES;
  const mh = positive('maxHandles', limits.maxHandles);
  if (mh !== undefined) out.maxHandles = Math.floor(mh);
  const te = positive('maxTableElements', limits.maxTableElements);
  if (te !== undefined) out.maxTableElements = Math.floor(te);
  const mf = positive('maxOpenFiles', limits.maxOpenFiles);
  if (mf !== undefined) out.maxOpenFiles = Math.floor(mf);
  return out;
}

/** Whether the core modules need rewriting for these limits. */
export function needsInstrumentation(l: ResolvedLimits): boolean {
  return l.fuel !== undefined || l.timeoutMs !== undefined || l.maxMemoryPages !== undefined || l.maxTableElements !== undefined;
}

function instrumentOptions(l: ResolvedLimits): InstrumentOptions {
  const metered = l.fuel !== undefined || l.timeoutMs !== undefined;
  return {
    fuel: metered,
    ...(metered ? { deadlineCheckEvery: SLICE, singleCounter: true } : {}),
    ...(l.maxMemoryPages !== undefined ? { maxMemoryPages: l.maxMemoryPages } : {}),
    maxTableElements: l.maxTableElements ?? DEFAULT_MAX_TABLE_ELEMENTS,
    ...(l.maxTableElements === undefined ? { tableCapAtLeastInitial: true } : {}),
    importGlobals: true,
  };
}

/** Compile options that instrument (and cache) the core modules for these limits. */
export function instrumentedCompileOptions(l: ResolvedLimits): CompileOptions {
  if (!needsInstrumentation(l)) return {};
  return { instrument: instrumentOptions(l) };
}
