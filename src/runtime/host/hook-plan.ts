/**
 * What a hook or operation needs from the contract, worked out once when the
 * host is constructed: the target's function type, the world export it lives
 * in, the waterfall's fed parameter and how results feed it, the bail pass
 * value checked against the result type. A misconfigured hook is the host's
 * mistake and fails `new PluginHost(...)` with USAGE, never each request.
 */
import { WitplugError, ErrorCodes } from '../../errors.js';
import { compareValType } from '../../admission/compare-types.js';
import type { ComponentShape, FuncType, ValType } from '../../component/types.js';
import { resolveExport } from '../link/exports.js';
import type { HookSpec } from './types.js';

/**
 * How a waterfall's result feeds the next plugin:
 * - `plain`: the result has the fed parameter's type and replaces it;
 * - `result`: `result<T, E>` over a parameter of type T: `ok` feeds, the first `err` is returned;
 * - `option`: `option<T>` over a parameter of type T: `some` feeds, `none` stops or is skipped (`onNone`).
 */
export type FeedMode = 'plain' | 'result' | 'option';

export interface WaterfallPlan {
  readonly feed: number;
  readonly arity: number;
  readonly mode: FeedMode;
  /** `option` mode over `option<option<T>>`: `some` comes as `{tag: 'some', val}`. */
  readonly nestedOption: boolean;
}

export interface TargetPlan {
  /** The world export the target lives in (an interface or a world-level function): what admission calls it. */
  readonly worldExport: string;
  readonly func: FuncType;
}

/** The target's function in the contract's world; USAGE when the world has none. */
export function planTarget(contract: ComponentShape, what: string, target: string): TargetPlan {
  try {
    const r = resolveExport(contract, target);
    return { worldExport: r.iface ?? r.func, func: r.type };
  } catch (e) {
    const why = e instanceof WitplugError ? e.message.replace(/^the plugin/, 'the contract') : String(e);
    throw new WitplugError(ErrorCodes.USAGE, `${what}: target "${target}" is not an export of the contract's world (${why})`);
  }
}

/** The waterfall of hook `name`: an explicit `feed` is checked, else the last parameter a result can feed. */
export function planWaterfall(name: string, spec: HookSpec, func: FuncType): WaterfallPlan {
  const arity = func.params.length;
  const fit = (i: number): Omit<WaterfallPlan, 'feed' | 'arity'> | null => feedMode(func.params[i]!.type, func.result);
  if (spec.feed !== undefined) {
    if (!Number.isInteger(spec.feed) || spec.feed < 0 || spec.feed >= arity) {
      throw new WitplugError(ErrorCodes.USAGE, `waterfall hook "${name}": feed ${String(spec.feed)} is not a parameter index of ${spec.target} (it has ${arity})`);
    }
    const m = fit(spec.feed);
    if (m === null) throw new WitplugError(ErrorCodes.USAGE, `waterfall hook "${name}": parameter ${spec.feed} of ${spec.target} cannot take its result (${describe(func)})`);
    return { feed: spec.feed, arity, ...m };
  }
  // A parameter of the result's own type first, then one the result wraps (result<T, _>, option<T>).
  for (const wanted of ['plain', 'wrapped'] as const) {
    for (let i = arity - 1; i >= 0; i--) {
      const m = fit(i);
      if (m !== null && (m.mode === 'plain') === (wanted === 'plain')) return { feed: i, arity, ...m };
    }
  }
  throw new WitplugError(ErrorCodes.USAGE, `waterfall hook "${name}": no parameter of ${spec.target} can take its result (${describe(func)}); a waterfall needs a parameter of type T for a result T, result<T, E> or option<T>`);
}

function feedMode(param: ValType, result: ValType | null): Omit<WaterfallPlan, 'feed' | 'arity'> | null {
  if (result === null) return null;
  if (same(param, result)) return { mode: 'plain', nestedOption: false };
  if (result.kind === 'result' && result.ok !== null && same(param, result.ok)) return { mode: 'result', nestedOption: false };
  if (result.kind === 'option' && same(param, result.type)) return { mode: 'option', nestedOption: result.type.kind === 'option' };
  return null;
}

const same = (a: ValType, b: ValType): boolean => compareValType(a, b).length === 0;

function describe(func: FuncType): string {
  return `${func.params.length} parameter(s), result ${func.result === null ? 'none' : func.result.kind}`;
}

/**
 * Checks a `bail` hook's explicit `pass` value against the target's result
 * type: a value no result can equal would make the hook stop at every plugin.
 * `null` fits an option; `{tag}` a result or variant with that case; a
 * primitive a primitive type it can be (or an enum's case).
 */
export function checkPass(name: string, spec: HookSpec, func: FuncType): void {
  if (!('pass' in spec) || spec.pass === undefined) return;
  const pass = spec.pass;
  const t = func.result;
  const bad = (why: string): never => {
    throw new WitplugError(ErrorCodes.USAGE, `bail hook "${name}": pass value ${show(pass)} can never equal a result of ${spec.target} (${why})`);
  };
  if (t === null) return bad('it returns nothing');
  if (pass === null) {
    if (t.kind !== 'option') bad(`null is an option's none; the result is ${t.kind}`);
    return;
  }
  if (typeof pass === 'object') {
    const tag = (pass as { tag?: unknown }).tag;
    if (typeof tag !== 'string') return bad('a pass value is null, a primitive or {tag}');
    const cases = t.kind === 'result' ? ['ok', 'err'] : t.kind === 'variant' ? t.cases.map((c) => c.name) : null;
    if (cases === null) return bad(`{tag} fits a result or variant; the result is ${t.kind}`);
    if (!cases.includes(tag)) bad(`its cases are ${cases.join(', ')}`);
    return;
  }
  const fits =
    typeof pass === 'boolean' ? t.kind === 'bool'
      : typeof pass === 'bigint' ? t.kind === 'u64' || t.kind === 's64'
        : typeof pass === 'number' ? ['u8', 's8', 'u16', 's16', 'u32', 's32', 'f32', 'f64'].includes(t.kind)
          : typeof pass === 'string' ? t.kind === 'string' || t.kind === 'char' || (t.kind === 'enum' && t.names.includes(pass))
            : false;
  if (!fits) bad(`the result is ${t.kind}`);
}

function show(v: unknown): string {
  try {
    return typeof v === 'bigint' ? `${v}n` : JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

const KINDS: ReadonlySet<string> = new Set(['series', 'bail', 'waterfall', 'parallel', 'first', 'collect']);

/** The spec's own fields, before the contract is consulted: a value outside its vocabulary is USAGE. */
export function checkSpec(name: string, spec: HookSpec): void {
  const bad = (field: string, allowed: string): never => {
    throw new WitplugError(ErrorCodes.USAGE, `hook "${name}": ${field} must be ${allowed}`);
  };
  if (spec === null || typeof spec !== 'object') bad('its spec', 'an object');
  if (typeof spec.target !== 'string') bad('target', 'a string (`iface#func`)');
  if (!KINDS.has(spec.kind)) bad('kind', [...KINDS].join(', '));
  if (spec.onError !== undefined && spec.onError !== 'fail' && spec.onError !== 'skip') bad('onError', "'fail' or 'skip'");
  if (spec.onNone !== undefined && spec.onNone !== 'stop' && spec.onNone !== 'skip') bad('onNone', "'stop' or 'skip'");
  if (spec.optional !== undefined && typeof spec.optional !== 'boolean') bad('optional', 'a boolean');
  if (spec.async !== undefined && typeof spec.async !== 'boolean') bad('async', 'a boolean');
}
