/**
 * A WebAssembly text plugin for a world: the canonical ABI written out by
 * hand, so every export stub is generated from the world's flat signatures
 * (flatten_type, MAX_FLAT_PARAMS/RESULTS). A result that does not fit in one
 * flat value is returned through a static, zero-filled area: all-zero bytes
 * are a valid value of every type that holds no resource handle (the first
 * case, false, 0, empty strings and lists).
 */
import type { ValType } from '../component/types.js';
import { alignTo, elemSize, flatten, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS, type FlatType } from '../runtime/abi/layout.js';
import { allExports, displayName, holdsHandle, sameResource, type ExportFunc, type WorldPlan } from './world-plan.js';

/** The static result area starts here (address 0 stays unused so no valid pointer is null). */
const RESULT_AREA = 16;

/** A WAT string literal: printable ASCII as is, every other byte escaped. */
export function watString(text: string): string {
  let out = '"';
  for (const b of new TextEncoder().encode(text)) {
    out += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${b.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}

function flatParams(f: ExportFunc): FlatType[] {
  const flat = f.func.params.flatMap((p) => flatten(p.type));
  return flat.length > MAX_FLAT_PARAMS ? ['i32'] : flat;
}

function flatResults(f: ExportFunc): FlatType[] {
  if (f.func.result === null) return [];
  const flat = flatten(f.func.result);
  return flat.length > MAX_FLAT_RESULTS ? ['i32'] : flat;
}

/** The constructor's own<R> result and a static's own<R> are the plugin's own resources: made with `[resource-new]`. */
function returnsOwnResource(f: ExportFunc, plan: WorldPlan): string | null {
  const r = f.func.result;
  if (r?.kind !== 'own') return null;
  const owner = plan.interfaces.find((i) => i.resources.some((x) => sameResource(x, r.resource)));
  return owner === undefined ? null : `(call ${resourceNewId(owner.name, r.resource.name)} (i32.const 0))`;
}

const resourceNewId = (iface: string, resource: string): string => `$new-${sanitize(iface)}-${sanitize(resource)}`;
const sanitize = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '_');

function zero(t: FlatType): string {
  return `(${t}.const 0)`;
}

/** The source of `plugin.wat` for the plan's world. */
export function watStub(plan: WorldPlan): string {
  const exports = allExports(plan);
  const areaOf = (r: ValType | null): number => (r === null || flatten(r).length <= MAX_FLAT_RESULTS ? 0 : elemSize(r));
  const resultArea = Math.max(8, ...exports.map((f) => areaOf(f.func.result)));
  const messages: { offset: number; bytes: number; literal: string }[] = [];
  let next = RESULT_AREA + alignTo(resultArea, 8);
  const messageOf = new Map<ExportFunc, { offset: number; bytes: number }>();
  if (plan.log !== null) {
    for (const f of exports) {
      const text = `${displayName(f)} called`;
      const m = { offset: next, bytes: new TextEncoder().encode(text).length, literal: watString(text) };
      messages.push(m);
      messageOf.set(f, m);
      next += m.bytes;
    }
  }
  const heapBase = alignTo(next, 8);

  const lines: string[] = [
    `;; Plugin for world ${plan.world}, built by \`witplug build\` (jco's WAT parser, embed, component new).`,
    ';; Every export is a stub returning a valid default: replace the bodies with your plugin\'s logic.',
    '(module',
  ];
  if (plan.log !== null) {
    lines.push(`  ;; ${plan.log.iface}: log(level, message) — level ${plan.log.level} is ${plan.log.levelIndex}; message is (pointer, length).`);
    lines.push(`  (import ${watString(plan.log.iface)} "log" (func $log (param i32 i32 i32)))`);
  }
  for (const iface of plan.interfaces) {
    for (const r of iface.resources) {
      lines.push(`  ;; ${r.name}: a handle for a new ${r.name} whose representation is the i32 given.`);
      lines.push(`  (import ${watString(`[export]${iface.name}`)} ${watString(`[resource-new]${r.name}`)} (func ${resourceNewId(iface.name, r.name)} (param i32) (result i32)))`);
    }
  }
  lines.push(
    '  (memory (export "memory") 1)',
    `  ;; Bump allocator for the values the host passes in; it never frees. ${RESULT_AREA}..${RESULT_AREA + resultArea}: the static result area.`,
    `  (global $heap (mut i32) (i32.const ${heapBase}))`,
  );
  for (const m of messages) lines.push(`  (data (i32.const ${m.offset}) ${m.literal})`);
  lines.push(...REALLOC);
  for (const f of exports) lines.push('', ...exportFunc(f, plan, messageOf.get(f) ?? null));
  lines.push(')');
  return lines.join('\n') + '\n';
}

function exportFunc(f: ExportFunc, plan: WorldPlan, message: { offset: number; bytes: number } | null): string[] {
  const ps = flatParams(f);
  const rs = flatResults(f);
  const params = f.func.params.map((p) => `${p.name}: ${typeText(p.type)}`).join(', ');
  const out = [`  ;; ${displayName(f)}(${params})${f.func.result === null ? '' : ` -> ${typeText(f.func.result)}`}`];
  out.push(`  (func (export ${watString(f.coreName)})${ps.length ? ` (param${ps.map((t) => ` ${t}`).join('')})` : ''}${rs.length ? ` (result ${rs[0]})` : ''}`);
  if (plan.log !== null && message !== null) {
    out.push(`    (call $log (i32.const ${plan.log.levelIndex}) (i32.const ${message.offset}) (i32.const ${message.bytes}))`);
  }
  const result = f.func.result;
  if (result !== null) {
    const made = returnsOwnResource(f, plan);
    if (made !== null) out.push(`    ${made}`);
    else if (holdsHandle(result)) out.push('    ;; The result holds a resource handle, which no default can make up: return one here.', '    unreachable');
    else if (flatten(result).length > MAX_FLAT_RESULTS) out.push(`    (i32.const ${RESULT_AREA})`);
    else out.push(`    ${zero(rs[0]!)}`);
  }
  out.push('  )');
  return out;
}

/** A short WIT-like rendering of a type for comments. */
function typeText(t: ValType): string {
  if ('name' in t && t.name !== undefined) return t.name;
  if (t.kind === 'list') return `list<${typeText(t.element)}>`;
  if (t.kind === 'option') return `option<${typeText(t.type)}>`;
  if (t.kind === 'own' || t.kind === 'borrow') return `${t.kind}<${t.resource.name}>`;
  if (t.kind === 'result') return `result<${t.ok ? typeText(t.ok) : '_'}, ${t.err ? typeText(t.err) : '_'}>`;
  if (t.kind === 'tuple') return `tuple<${t.types.map(typeText).join(', ')}>`;
  return t.kind;
}

const REALLOC = [
  '  ;; cabi_realloc(old, old-size, align, new-size): the canonical ABI allocates every string and list it passes in here.',
  '  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $new_size i32) (result i32)',
  '    (local $ptr i32)',
  '    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))',
  '                             (i32.sub (i32.const 0) (local.get $align))))',
  '    (global.set $heap (i32.add (local.get $ptr) (local.get $new_size)))',
  '    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))',
  '      (then (if (i32.eq (memory.grow (i32.add (i32.shr_u (i32.sub (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))',
  '                                                          (i32.const 16))',
  '                                              (i32.const 1)))',
  '                        (i32.const -1))',
  '              (then unreachable))))',
  '    (if (local.get $old)',
  '      (then (memory.copy (local.get $ptr) (local.get $old)',
  '                         (select (local.get $old_size) (local.get $new_size) (i32.lt_u (local.get $old_size) (local.get $new_size))))))',
  '    (local.get $ptr))',
];
