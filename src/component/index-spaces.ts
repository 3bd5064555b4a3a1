/** The sorts of the component model and lookups in a `Scope`'s index spaces (see defs.ts). */
import type { Reader } from './reader.js';
import type { Def, Ext, Scope } from './defs.js';
import { assertNever } from '../util/assert-never.js';

export type SortName = 'core' | 'func' | 'value' | 'type' | 'component' | 'instance';

export function readSort(r: Reader): { sort: SortName; core?: number } {
  const at = r.pos;
  const b = r.u8();
  switch (b) {
    case 0x00: return { sort: 'core', core: r.u8() };
    case 0x01: return { sort: 'func' };
    case 0x02: return { sort: 'value' };
    case 0x03: return { sort: 'type' };
    case 0x04: return { sort: 'component' };
    case 0x05: return { sort: 'instance' };
    default: return r.fail(`unknown sort 0x${b.toString(16)}`, at);
  }
}

/** Entry `idx` of an index space, or a decoding error naming what was looked up. */
export function indexAt<T>(r: Reader, space: readonly T[], idx: number, what: string, pos: number): T {
  if (idx >= space.length) r.fail(`${what} index ${idx} out of range (${space.length} defined)`, pos);
  return space[idx]!;
}

export function typeAt(r: Reader, scope: Scope, idx: number, pos: number): Def {
  return indexAt(r, scope.types, idx, 'type', pos);
}

/** Append what an import/export/alias introduces to the matching index space. */
export function addExt(scope: Scope, ext: Ext): void {
  switch (ext.s) {
    case 'func': scope.funcs.push(ext.t); break;
    case 'type': scope.types.push(ext.t); break;
    case 'instance': scope.instances.push(ext.t); break;
    case 'component': scope.components.push(ext.t); break;
    case 'module': case 'value': break; // not tracked
    default: assertNever(ext, 'extern sort');
  }
}

/** The Ext a `sortidx` refers to. */
export function extAt(r: Reader, scope: Scope, sort: SortName, idx: number, pos: number): Ext {
  switch (sort) {
    case 'func': return { s: 'func', t: indexAt(r, scope.funcs, idx, 'func', pos) };
    case 'type': return { s: 'type', t: indexAt(r, scope.types, idx, 'type', pos) };
    case 'instance': return { s: 'instance', t: indexAt(r, scope.instances, idx, 'instance', pos) };
    case 'component': return { s: 'component', t: indexAt(r, scope.components, idx, 'component', pos) };
    case 'value': return { s: 'value' };
    case 'core': return { s: 'module' };
    default: return assertNever(sort, 'sort');
  }
}
