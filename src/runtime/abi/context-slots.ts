/**
 * `canon context.get/set` on the generated call path. Each call of an
 * export is a new task whose context slots start at 0 (CanonicalABI.md,
 * "context-local storage"); jco keeps them in its per-call task, which the
 * generated callers skip. witplug keeps them here and zeroes them before
 * every call of a component that uses them (no work for other components).
 *
 * wit-component hands the built-ins to core code as imports
 * `$root.[context-get-N]` / `$root.[context-set-N]`; those are replaced.
 * A component that routes them under other names keeps jco's bindings.
 */

/** Slots per task: 1 in the async proposal, 2 with cooperative threads. */
export const CONTEXT_SLOTS = 2;
/** wit-component's names of the context built-ins (slot number in group 2). */
export const CONTEXT_IMPORT_NAME = /^\[context-(get|set)-(\d+)\]$/;
export const CONTEXT_IMPORT_MODULE = '$root';

export class ContextSlots {
  readonly values = new Int32Array(CONTEXT_SLOTS);

  reset(): void {
    this.values.fill(0);
  }

  /** Replacement core imports for `$root`, by wit-component's names. */
  imports(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const v = this.values;
    for (let i = 0; i < CONTEXT_SLOTS; i++) {
      out[`[context-get-${i}]`] = () => v[i];
      out[`[context-set-${i}]`] = (x: number) => {
        v[i] = x;
      };
    }
    return out;
  }
}
