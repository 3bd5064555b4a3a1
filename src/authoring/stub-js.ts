/**
 * A JavaScript plugin source for a world (componentize-js's conventions):
 * one object per exported interface, a class per exported resource, and a
 * stub for every function that returns a valid default and logs through
 * the host's log when the world offers it.
 */
import type { ResourceType, ValType } from '../component/types.js';
import { lowerCamel, upperCamel } from '../component/names.js';
import { assertNever } from '../util/assert-never.js';
import { displayName, shortName, sameResource, type ExportFunc, type WorldPlan } from './world-plan.js';

const TYPED_ARRAYS: Partial<Record<ValType['kind'], string>> = {
  u8: 'Uint8Array', s8: 'Int8Array', u16: 'Uint16Array', s16: 'Int16Array', u32: 'Uint32Array', s32: 'Int32Array',
  u64: 'BigUint64Array', s64: 'BigInt64Array', f32: 'Float32Array', f64: 'Float64Array',
};

class JsWriter {
  /** Imported resource classes a default value constructs, by module. */
  readonly resourceImports = new Map<string, Set<string>>();

  constructor(private readonly plan: WorldPlan) {}

  /** A JS expression for a valid value of `t`, or null when none can be made up (a handle with no constructor). */
  value(t: ValType): string | null {
    switch (t.kind) {
      case 'bool': return 'false';
      case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 'f32': case 'f64': return '0';
      case 's64': case 'u64': return '0n';
      case 'char': return "'a'";
      case 'string': return "''";
      case 'list': {
        const typed = TYPED_ARRAYS[t.element.kind];
        return typed === undefined ? '[]' : `new ${typed}(0)`;
      }
      case 'option': return 'undefined';
      case 'enum': return JSON.stringify(t.names[0]);
      case 'flags': return `{ ${t.names.map((n) => `${lowerCamel(n)}: false`).join(', ')} }`;
      case 'record': return this.#all(t.fields.map((f) => f.type), (vs) => `{ ${t.fields.map((f, i) => `${lowerCamel(f.name)}: ${vs[i]}`).join(', ')} }`);
      case 'tuple': return this.#all(t.types, (vs) => `[${vs.join(', ')}]`);
      case 'variant': return this.#tagged(t.cases[0]!.name, t.cases[0]!.type);
      case 'result': return this.#tagged('ok', t.ok);
      case 'own': return this.#construct(t.resource);
      case 'borrow': case 'future': case 'stream': case 'error-context': return null;
      default: return assertNever(t, 'kind');
    }
  }

  /** An export's return: componentize-js takes a top-level `result`'s ok value as is (an error is thrown). */
  returned(t: ValType): string | null {
    if (t.kind === 'result') return t.ok === null ? 'undefined' : this.value(t.ok);
    return this.value(t);
  }

  #all(types: readonly ValType[], make: (values: string[]) => string): string | null {
    const values = types.map((x) => this.value(x));
    return values.every((v): v is string => v !== null) ? make(values) : null;
  }

  #tagged(tag: string, payload: ValType | null): string | null {
    if (payload === null) return `{ tag: ${JSON.stringify(tag)} }`;
    const val = this.value(payload);
    return val === null ? null : `{ tag: ${JSON.stringify(tag)}, val: ${val} }`;
  }

  #construct(resource: ResourceType): string | null {
    const cls = upperCamel(resource.name);
    const owner = this.plan.interfaces.find((i) => i.resources.some((x) => sameResource(x, resource)));
    if (owner !== undefined) {
      const ctor = owner.funcs.find((f) => f.kind === 'constructor' && f.resource === resource.name);
      const args = (ctor?.func.params ?? []).map((p) => this.value(p.type));
      return args.every((a) => a !== null) ? `new ${cls}(${args.join(', ')})` : null;
    }
    const imported = this.plan.imports.get(resource.interfaceName);
    const ctor = imported?.funcs.get(`[constructor]${resource.name}`);
    if (ctor === undefined) return null;
    const args = ctor.params.map((p) => this.value(p.type));
    if (!args.every((a) => a !== null)) return null;
    const names = this.resourceImports.get(resource.interfaceName) ?? new Set<string>();
    names.add(cls);
    this.resourceImports.set(resource.interfaceName, names);
    return `new ${cls}(${args.join(', ')})`;
  }
}

function body(w: JsWriter, plan: WorldPlan, f: ExportFunc, indent: string): string[] {
  const lines: string[] = [];
  if (plan.log !== null) lines.push(`${indent}log(${JSON.stringify(plan.log.level)}, ${JSON.stringify(`${displayName(f)} called`)});`);
  if (f.kind === 'constructor' || f.func.result === null) return lines;
  const value = w.returned(f.func.result);
  lines.push(value === null
    ? `${indent}throw new Error(${JSON.stringify(`${displayName(f)}: no default value can be made for its result; return one here`)});`
    : `${indent}return ${value};`);
  return lines;
}

function params(f: ExportFunc): string {
  const ps = f.kind === 'method' ? f.func.params.slice(1) : f.func.params;
  return ps.map((p) => lowerCamel(p.name)).join(', ');
}

/** A method, class member or function; `closer` is `},` inside an object literal. */
function method(w: JsWriter, plan: WorldPlan, f: ExportFunc, indent: string, prefix: string, closer = '}'): string[] {
  const head = f.kind === 'constructor' ? 'constructor' : `${prefix}${lowerCamel(f.name)}`;
  return [`${indent}${head}(${params(f)}) {`, ...body(w, plan, f, `${indent}  `), `${indent}${closer}`];
}

/** The source of `plugin.js` for the plan's world. */
export function jsStub(plan: WorldPlan): string {
  const w = new JsWriter(plan);
  const out: string[] = [];
  for (const iface of plan.interfaces) {
    const members: string[] = [];
    for (const r of iface.resources) {
      const cls = upperCamel(r.name);
      out.push(`class ${cls} {`);
      const own = iface.funcs.filter((f) => f.resource === r.name);
      if (!own.some((f) => f.kind === 'constructor')) out.push('  constructor() {}');
      for (const f of own) out.push(...method(w, plan, f, '  ', f.kind === 'static' ? 'static ' : ''), '');
      if (out.at(-1) === '') out.pop();
      out.push('}', '');
      members.push(`  ${cls},`);
    }
    for (const f of iface.funcs.filter((x) => x.resource === null)) members.push(...method(w, plan, f, '  ', '', '},'));
    out.push(`export const ${lowerCamel(shortName(iface.name))} = {`, ...members, '};', '');
  }
  for (const f of plan.funcs) out.push(...method(w, plan, f, '', 'export function '), '');
  const header = [
    `// Plugin for world ${plan.world}, built by \`witplug build\` with componentize-js.`,
    `// Every export is a stub returning a valid default: replace the bodies with your plugin's logic.`,
  ];
  if (plan.log !== null) header.push(`import { log } from ${JSON.stringify(plan.log.iface)};`);
  for (const [iface, names] of w.resourceImports) header.push(`import { ${[...names].join(', ')} } from ${JSON.stringify(iface)};`);
  return [...header, '', ...out].join('\n').replace(/\n+$/, '\n');
}
