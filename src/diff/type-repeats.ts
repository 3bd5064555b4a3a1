/**
 * One finding per changed type: the gate compares a named type where it is declared and
 * again in every function reaching it; diff keeps the declaration's finding.
 */
import type { NamedType } from '../component/types.js';
import type { Pending } from './finding.js';

/** `export x > resource r > method m > returns` → `method r.m`; null outside a function. */
function functionOf(path: string): { item: string; label: string } | null {
  const segs = path.split(' > ');
  for (let i = 1; i < segs.length; i++) {
    const s = segs[i]!;
    const sp = s.indexOf(' ');
    const head = sp < 0 ? s : s.slice(0, sp);
    if (head === 'func') return { item: segs[0]!, label: s };
    const r = segs[i - 1]!.startsWith('resource ') ? segs[i - 1]!.slice(9) : null;
    if (r !== null && head === 'constructor') return { item: segs[0]!, label: `constructor ${r}` };
    if (r !== null && (head === 'method' || head === 'static')) return { item: segs[0]!, label: `${head} ${r}.${s.slice(sp + 1)}` };
  }
  return null;
}

/**
 * A named type that changed is reported where it is declared, in every interface that
 * `use`s it, and in every function whose parameters or result reach it (the gate compares
 * each). Keep the first declaration's finding, name the functions in it, and drop the
 * repeats: findings with the same message in the very same type object (an alias's
 * `u32 → u64` reads like any other `u32 → u64`; used types keep their identity).
 */
export function collapseTypeRepeats(out: Pending[]): void {
  const isTypeLevel = (f: Pending): boolean => / > type [^>]+$/.test(f.path);
  const first = new Map<NamedType, number>();
  out.forEach((f, i) => {
    if (f.via && isTypeLevel(f) && !first.has(f.via)) first.set(f.via, i);
  });
  if (first.size === 0) return;
  const reached = new Map<number, string[]>();
  const drop = new Set<number>();
  out.forEach((f, i) => {
    const at = f.via ? first.get(f.via) : undefined;
    if (at === undefined || at === i || f.message !== out[at]!.message) return;
    const fn = functionOf(f.path);
    if (fn) {
      const typeItem = out[at]!.path.split(' > ')[0];
      const list = reached.get(at) ?? [];
      const label = fn.item === typeItem ? fn.label : `${fn.item} > ${fn.label}`;
      if (!list.includes(label)) list.push(label);
      reached.set(at, list);
    } else if (!isTypeLevel(f)) return;
    drop.add(i);
  });
  for (const [i, fns] of reached) out[i] = { ...out[i]!, message: `${out[i]!.message}; reached by ${fns.length === 1 ? fns[0] : `${fns.length} functions: ${fns.join(', ')}`}` };
  for (const i of [...drop].sort((x, y) => y - x)) out.splice(i, 1);
}
