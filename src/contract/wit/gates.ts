/** Feature gates of a WIT item as written (`@since`, `@unstable`, `@deprecated`). */
import type { Attrs } from './ast.js';

/** The gates as WIT spells them, e.g. `@since(version = 0.2.0)`. */
export function gateText(a: Attrs): string {
  return a.gates.map((g) => `@${g.kind}(${g.kind === 'unstable' ? 'feature' : 'version'} = ${g.value})`).join(' ');
}

/** `@unstable` items are left out: witplug enables no feature. */
export const isUnstable = (a: Attrs): boolean => a.gates.some((g) => g.kind === 'unstable');
