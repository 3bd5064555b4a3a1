/**
 * A C plugin source for a world, on the bindings `witplug bindgen c`
 * generates (`<world>.h` / `<world>.c`): a definition for every export
 * prototype the header declares, returning a zero value — valid for every
 * type that holds no resource handle (the first case, false, 0, empty
 * strings and lists) — and logging through the host's log when the world
 * offers it.
 */
import type { CBindings } from '../bindings/c/index.js';
import { cString, funcPart, interfacePrefix } from '../bindings/c/names.js';
import { WitplugError, ErrorCodes } from '../errors.js';
import { allExports, displayName, type ExportFunc, type WorldPlan } from './world-plan.js';

/** `RET exports_…(PARAMS);` in the generated header. */
const PROTOTYPE = /^(.+?)\s+(exports_\w+)\((.*)\);$/;

interface Prototype { readonly ret: string; readonly name: string; readonly params: readonly string[] }

function exportPrototypes(header: string): Prototype[] {
  const at = header.indexOf('// Exported functions: the plugin defines these.');
  if (at === -1) return [];
  const out: Prototype[] = [];
  for (const line of header.slice(at).split('\n')) {
    const m = PROTOTYPE.exec(line.trim());
    if (m !== null) out.push({ ret: m[1]!, name: m[2]!, params: m[3] === 'void' ? [] : m[3]!.split(',').map((p) => p.trim()) });
  }
  return out;
}

/** The parameter's name: the last identifier of `type *name` / `type name`. */
const paramName = (p: string): string => /(\w+)$/.exec(p)![1]!;

/** A log call: `<iface>_log((level type)N, &msg)` with the level type read from the import's prototype. */
function logCall(plan: WorldPlan, header: string, world: string, text: string): string[] {
  if (plan.log === null) return [];
  const cName = `${interfacePrefix(plan.log.iface)}_${funcPart('log')}`;
  const m = new RegExp(`void ${cName}\\((\\w+) \\w+, \\w+ \\*\\w+\\);`).exec(header);
  if (m === null) return [];
  return [
    `  ${world}_string_t msg;`,
    `  ${world}_string_set(&msg, ${cString(text)});`,
    `  ${cName}((${m[1]})${plan.log.levelIndex}, &msg);`,
  ];
}

/** The C name the bindings give an export: `exports_<interface prefix>_<function>` (the world's prefix at world level). */
function cNameOf(f: ExportFunc, world: string): string {
  const witName = f.coreName.slice(f.coreName.indexOf('#') + 1);
  return `exports_${f.iface === null ? world : interfacePrefix(f.iface)}_${funcPart(witName)}`;
}

/** The source of `plugin.c` for the plan's world, on `bindings` (whose C prefix is `world`). */
export function cStub(plan: WorldPlan, bindings: CBindings): string {
  const header = bindings.header.text;
  const world = bindings.header.name.replace(/\.h$/, '');
  const protos = new Map(exportPrototypes(header).map((p) => [p.name, p]));
  const lines = [
    `// Plugin for world ${plan.world}, built by \`witplug build\` (clang for wasm32 on the bindings in ${bindings.header.name}).`,
    '// Every export is a stub returning a zero value (valid for every type without a resource handle):',
    "// replace the bodies with your plugin's logic. An export owns its arguments; see the header.",
    `#include "${bindings.header.name}"`,
    '',
  ];
  for (const f of allExports(plan)) {
    const p = protos.get(cNameOf(f, world));
    if (p === undefined) throw new WitplugError(ErrorCodes.INTERNAL, `the C bindings declare no ${cNameOf(f, world)} for ${f.coreName}`);
    lines.push(`// ${displayName(f)}`, `${p.ret} ${p.name}(${p.params.length ? p.params.join(', ') : 'void'}) {`);
    const ret = p.params.find((x) => paramName(x) === 'ret' && x.includes('*'));
    for (const x of p.params) if (x !== ret) lines.push(`  (void)${paramName(x)};`);
    lines.push(...logCall(plan, header, world, `${displayName(f)} called`));
    if (ret !== undefined) lines.push(`  *ret = (${ret.replace(/\s*\*\s*ret$/, '')}){0};`);
    if (p.ret !== 'void') lines.push(`  return (${p.ret}){0};`);
    lines.push('}', '');
  }
  return lines.join('\n');
}
