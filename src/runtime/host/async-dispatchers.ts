/**
 * Dispatchers of hooks declared `async: true`. Each plugin is called through
 * `fnAsync` (the bound functions are its promise-returning form), so plugins
 * whose host functions are asynchronous can wait, and an isolated plugin's
 * call leaves the host's event loop running.
 *
 * `series`, `bail`, `first` and `waterfall` await one plugin before calling
 * the next (each may stop the dispatch or feed the next). `parallel` and
 * `collect` call every plugin at once and wait for all: no plugin sees
 * another's result, so the order only matters for the collected array, which
 * keeps dispatch order. Under `onError: 'fail'` a `collect` rejects with the
 * first failure in dispatch order once every call has settled.
 *
 * The gate counts the dispatch until its promise settles: a plugin unloaded
 * meanwhile is closed only when no dispatch, sync or async, is under way.
 */
import { assertNever } from '../../util/assert-never.js';
import { SKIPPED, countedCall, passTest, spreadStep } from './dispatch.js';
import type { WaterfallPlan } from './hook-plan.js';
import type { AnchorPosition, Bound, HookSpec } from './types.js';
import type { Dispatcher, DispatchGate, DispatchSite } from './dispatchers.js';

type AsyncBody = (list: readonly Bound[], args: unknown[]) => Promise<unknown>;

/** The dispatcher of an async hook; `waterfall` is the plan of a waterfall hook (null for other kinds). */
export function buildAsyncDispatcher(spec: HookSpec, site: DispatchSite, waterfall: WaterfallPlan | null): Dispatcher {
  const { slot, gate } = site;
  const body = asyncBody(spec, site, waterfall);
  const end = (): void => {
    if (--gate.active === 0 && gate.pending !== 0) gate.flush();
  };
  return (...args) => {
    gate.active++;
    let run: Promise<unknown>;
    try {
      run = body(slot.list, args);
    } catch (e) {
      end();
      return Promise.reject(e);
    }
    return run.finally(end);
  };
}

function asyncBody(spec: HookSpec, site: DispatchSite, waterfall: WaterfallPlan | null): AsyncBody {
  const { fault } = site;
  switch (spec.kind) {
    case 'series':
      return async (l, args) => {
        for (const b of l) {
          const f = countedCall(b);
          try {
            await f(...args);
          } catch (e) {
            fault(b, e);
          }
        }
        return undefined;
      };
    case 'parallel':
      return async (l, args) => {
        await everyCall(l, args, fault);
        return undefined;
      };
    case 'collect':
      return async (l, args) => {
        const settled = await everyCall(l, args, fault);
        return settled.filter((r) => r !== FAILED);
      };
    case 'bail':
    case 'first': {
      const pass = spec.kind === 'first' ? null : spec.pass ?? null;
      const isPass = passTest(pass);
      return async (l, args) => {
        for (const b of l) {
          const f = countedCall(b);
          let r: unknown;
          try {
            r = await f(...args);
          } catch (e) {
            fault(b, e);
            continue;
          }
          if (!isPass(r)) return r;
        }
        return pass;
      };
    }
    case 'waterfall':
      return waterfallBody(spec, site, waterfall!);
    default: return assertNever(spec.kind, 'dispatch kind');
  }
}

/** Marks a call that failed and was skipped in `everyCall`'s results. */
const FAILED: unique symbol = Symbol('failed');

/**
 * Calls every plugin at once and waits for all; failures are handed to
 * `fault` in dispatch order after every call settled, so a `fail` policy
 * never leaves a call running unobserved.
 */
async function everyCall(l: readonly Bound[], args: unknown[], fault: DispatchSite['fault']): Promise<unknown[]> {
  const calls: Promise<unknown>[] = [];
  for (const b of l) {
    const f = countedCall(b);
    let p: Promise<unknown>;
    try {
      p = Promise.resolve(f(...args));
    } catch (e) {
      p = Promise.reject(e);
    }
    calls.push(p);
  }
  const settled = await Promise.allSettled(calls);
  return settled.map((s, i) => {
    if (s.status === 'fulfilled') return s.value;
    fault(l[i]!, s.reason);
    return FAILED;
  });
}

/** As the sync waterfall (dispatchers.ts), each step awaited. */
function waterfallBody(spec: HookSpec, { fault }: DispatchSite, plan: WaterfallPlan): AsyncBody {
  const { feed, mode, nestedOption } = plan;
  const step = spreadStep(feed);
  const stopOnNone = (spec.onNone ?? 'stop') === 'stop';
  return async (l, args) => {
    let acc = args[feed];
    for (const b of l) {
      const f = countedCall(b);
      let r: unknown;
      try {
        r = await step(f, args, acc); // `args` is the dispatcher's own rest array
      } catch (e) {
        fault(b, e);
        continue;
      }
      switch (mode) {
        case 'plain':
          acc = r;
          break;
        case 'result': {
          const res = r as { tag: string; val?: unknown };
          if (res.tag !== 'ok') return res;
          acc = res.val;
          break;
        }
        case 'option':
          if (r === null || r === undefined) {
            if (stopOnNone) return null;
          } else {
            acc = nestedOption ? (r as { val: unknown }).val : r;
          }
          break;
        default: assertNever(mode, 'waterfall feed mode');
      }
    }
    switch (mode) {
      case 'plain': return acc;
      case 'result': return { tag: 'ok', val: acc };
      case 'option': return nestedOption ? { tag: 'some', val: acc } : acc;
      default: return assertNever(mode, 'waterfall feed mode');
    }
  };
}

/**
 * As the sync operation: `before` plugins, then the one that `define`s it or
 * `fallback` (the host's default, which may be async too), then `after`
 * plugins. Each list is read when its turn comes; the gate counts the
 * operation until it settles, so a plugin unloaded meanwhile is closed after.
 */
export async function runOperationAsync(
  list: (at: AnchorPosition) => readonly Bound[], args: readonly unknown[], fallback: (...args: unknown[]) => unknown,
  fault: (b: Bound, e: unknown) => void, gate: DispatchGate,
): Promise<unknown> {
  const call = async (b: Bound): Promise<unknown> => {
    const f = countedCall(b);
    try {
      return await f(...args);
    } catch (e) {
      fault(b, e);
      return SKIPPED;
    }
  };
  gate.active++;
  try {
    for (const b of list('before')) await call(b);
    const define = list('define')[0];
    let result = define === undefined ? SKIPPED : await call(define);
    if (result === SKIPPED) result = await fallback(...args);
    for (const b of list('after')) await call(b);
    return result;
  } finally {
    if (--gate.active === 0 && gate.pending !== 0) gate.flush();
  }
}
