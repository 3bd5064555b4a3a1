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
  if (!limits) return { maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES };
  const out: { -readonly [K in keyof ResolvedLimits]: ResolvedLimits[K] } = {};
  const positive = (name: string, v: number | undefined): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) {
      throw new WitplugError(ErrorCodes.USAGE, `limits.${name} must be a positive number, got ${String(v)}`);
    }
    return v;
  };
  const fuel = positive('fuel', limits.fuel);
  if (fuel !== undefined) out.fuel = Math.floor(fuel);
  const timeoutMs = positive('timeoutMs', limits.timeoutMs);
  if (timeoutMs !== undefined) out.timeoutMs = timeoutMs;
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
