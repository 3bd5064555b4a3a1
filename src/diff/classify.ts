/**
 * Naming a gate difference: which diff rule it is (FIELD_ADDED, PARAM_RETYPED, …), and
 * turning a removed + added member pair at the same position into one rename.
 */
import { formatPath, type Difference } from '../admission/difference.js';
import type { Pending } from './finding.js';
import { indexIn, type Located } from './locate.js';
import type { DiffRuleId } from './rules.js';

const STRUCTURAL = /^(list element|option|result ok|result err|tuple element \d+|future|stream)$/;
const CONTAINER = /^(record|variant|enum|flags) /;

interface Classified {
  readonly rule: DiffRuleId;
  /** Member removed: point at the old WIT. */
  readonly removal: boolean;
}

function memberRule(label: string, container: string | undefined, change: 'added' | 'removed' | 'changed' | 'reordered'): DiffRuleId | null {
  const isEnum = container?.startsWith('enum ');
  const base = label === 'param' ? 'PARAM'
    : label === 'field' ? 'FIELD'
    : label === 'flag' ? 'FLAG'
    : label === 'case' ? (isEnum ? 'ENUM_CASE' : 'CASE')
    : null;
  if (!base) return null;
  const suffix = change === 'added' ? 'ADDED'
    : change === 'removed' ? 'REMOVED'
    : change === 'reordered' ? 'REORDERED'
    : base === 'PARAM' || base === 'FIELD' ? 'RETYPED'
    : base === 'CASE' ? 'PAYLOAD_CHANGED'
    : null;
  return suffix ? (`${base}_${suffix}` as DiffRuleId) : null;
}

export function classify(d: Difference, isAlias: (typeName: string) => boolean): Classified {
  const segs = d.path.slice(1);
  const last = segs[segs.length - 1] ?? '';
  if (segs.length === 0) return { rule: 'ITEM_KIND_CHANGED', removal: false };
  if (d.kind !== 'changed') {
    const removal = d.kind === 'missing';
    const resourceIdx = segs.findIndex((s) => s.startsWith('resource '));
    if (resourceIdx >= 0 && resourceIdx === segs.length - 2) {
      const what = last === 'constructor' ? 'CONSTRUCTOR' : last.startsWith('method ') ? 'METHOD' : 'STATIC';
      return { rule: `RESOURCE_${what}_${removal ? 'REMOVED' : 'ADDED'}` as DiffRuleId, removal };
    }
    if (last.startsWith('type ')) return { rule: removal ? 'TYPE_REMOVED' : 'TYPE_ADDED', removal };
    return { rule: removal ? 'FUNC_REMOVED' : 'FUNC_ADDED', removal };
  }
  if (/^expected (async )?func, found (async )?func$/.test(d.message)) return { rule: 'FUNC_ASYNC_CHANGED', removal: false };
  const order = /^expected (param|field|case|flag) order /.exec(d.message);
  if (order) return { rule: memberRule(order[1]!, last, 'reordered') ?? 'TYPE_KIND_CHANGED', removal: false };
  const sp = last.indexOf(' ');
  const label = sp < 0 ? last : last.slice(0, sp);
  const container = segs[segs.length - 2];
  if (d.message.endsWith(', found none') && ['param', 'field', 'case', 'flag'].includes(label)) {
    return { rule: memberRule(label, container, 'removed')!, removal: true };
  }
  if (d.message.startsWith(`expected no ${label} `)) return { rule: memberRule(label, container, 'added')!, removal: false };
  // A change of type: name the innermost member whose type changed.
  for (let i = segs.length - 1; i >= 0; i--) {
    const s = segs[i]!;
    if (STRUCTURAL.test(s) || CONTAINER.test(s)) continue;
    if (s === 'returns') return { rule: 'RESULT_CHANGED', removal: false };
    const l = s.slice(0, s.indexOf(' '));
    if (l === 'param' || l === 'field' || l === 'case') return { rule: memberRule(l, segs[i - 1], 'changed')!, removal: false };
    if (l === 'type') return { rule: isAlias(s.slice(5)) ? 'TYPE_ALIAS_TARGET_CHANGED' : 'TYPE_KIND_CHANGED', removal: false };
    break;
  }
  return { rule: 'TYPE_KIND_CHANGED', removal: false };
}

/**
 * What a removed/added member looked like without its name: `expected field a: u32, found none`
 * → `: u32`; `expected no case b, found case b(u16)` → `(u16)`; an enum case or flag → ``.
 */
function memberShape(message: string, name: string): string | null {
  const m = /^expected [a-z]+ (.+), found none$/.exec(message) ?? /^expected no [a-z]+ [^,]+, found [a-z]+ (.+)$/.exec(message);
  return m && m[1]!.startsWith(name) ? m[1]!.slice(name.length) : null;
}

/** Turns a removed + added member pair at the same position into one rename. */
export function mergeRenames(items: Pending[], diffs: Map<Pending, { d: Difference; oldLoc: Located; newLoc: Located }>): Pending[] {
  const out: Pending[] = [];
  const used = new Set<Pending>();
  for (const a of items) {
    if (used.has(a)) continue;
    const m = /^(PARAM|FIELD|CASE|ENUM_CASE|FLAG)_REMOVED$/.exec(a.rule);
    if (m) {
      const da = diffs.get(a)!;
      const parent = formatPath(da.d.path.slice(0, -1));
      const b = items.find((x) => !used.has(x) && x !== a && x.rule === `${m[1]}_ADDED` && formatPath(diffs.get(x)!.d.path.slice(0, -1)) === parent);
      if (b) {
        const db = diffs.get(b)!;
        const oldName = da.d.path[da.d.path.length - 1]!.split(' ').slice(1).join(' ');
        const newName = db.d.path[db.d.path.length - 1]!.split(' ').slice(1).join(' ');
        const oi = indexIn(da.oldLoc.node, oldName);
        const ni = indexIn(db.newLoc.node, newName);
        const shape = memberShape(da.d.message, oldName);
        if (oi >= 0 && oi === ni && shape !== null && shape === memberShape(db.d.message, newName)) {
          used.add(a).add(b);
          const label = da.d.path[da.d.path.length - 1]!.split(' ')[0];
          out.push({ ...b, rule: `${m[1]}_RENAMED` as DiffRuleId, path: parent, message: `${label} ${oldName} renamed to ${newName}` });
          continue;
        }
      }
    }
    out.push(a);
  }
  return out;
}
