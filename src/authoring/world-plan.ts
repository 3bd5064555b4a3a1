/**
 * What a plugin for a world must provide, read from the contract's shape:
 * every export function (interface functions, resource constructors, methods
 * and statics, world-level functions) and the host log import when the world
 * offers `witplug:host/log`. The stub generators of every language read this.
 */
import type { Contract } from '../contract/load.js';
import type { FuncType, InterfaceType, ResourceType, ValType } from '../component/types.js';
import { unversioned as stripVersion } from '../component/versions.js';
import { assertNever } from '../util/assert-never.js';

export type ExportKind = 'func' | 'constructor' | 'method' | 'static';

export interface ExportFunc {
  /** The core export name the canonical ABI expects: `iface#func`, or `func` at world level. */
  readonly coreName: string;
  /** Full interface name (`pkg:ns/iface@1.0.0`), or null for a world-level function. */
  readonly iface: string | null;
  /** The function's WIT name (`check`), or the resource member's (`incr`; `constructor`). */
  readonly name: string;
  readonly kind: ExportKind;
  /** The resource a constructor, method or static belongs to. */
  readonly resource: string | null;
  readonly func: FuncType;
}

export interface ExportedInterface {
  readonly name: string;
  /** Resources the interface defines (the plugin implements them). */
  readonly resources: readonly ResourceType[];
  readonly funcs: readonly ExportFunc[];
}

export interface LogImport {
  /** The import's full interface name (`witplug:host/log@0.1.0`). */
  readonly iface: string;
  /** The level enum's case used for stub messages (`info` when there is one) and its index. */
  readonly level: string;
  readonly levelIndex: number;
}

export interface WorldPlan {
  readonly world: string;
  readonly interfaces: readonly ExportedInterface[];
  /** World-level function exports. */
  readonly funcs: readonly ExportFunc[];
  readonly log: LogImport | null;
  /** Imported interfaces by name, for the resources an export might have to return. */
  readonly imports: ReadonlyMap<string, InterfaceType>;
}

const MEMBER = /^\[(constructor|method|static)\]([^.]+)(?:\.(.+))?$/;

function exportFunc(iface: string | null, witName: string, func: FuncType): ExportFunc {
  const m = MEMBER.exec(witName);
  const coreName = iface === null ? witName : `${iface}#${witName}`;
  if (m === null) return { coreName, iface, name: witName, kind: 'func', resource: null, func };
  const kind = m[1] as Exclude<ExportKind, 'func'>;
  return { coreName, iface, name: kind === 'constructor' ? 'constructor' : m[3]!, kind, resource: m[2]!, func };
}

export function planWorld(contract: Contract): WorldPlan {
  const interfaces: ExportedInterface[] = [];
  const funcs: ExportFunc[] = [];
  for (const item of contract.shape.exports) {
    if (item.kind === 'interface') {
      const resources = [...item.iface.types.values()].filter((t): t is ResourceType => t.kind === 'resource' && t.interfaceName === item.name);
      interfaces.push({
        name: item.name,
        resources,
        funcs: [...item.iface.funcs].map(([name, func]) => exportFunc(item.name, name, func)),
      });
    } else if (item.kind === 'func') {
      funcs.push(exportFunc(null, item.name, item.func));
    }
  }
  const imports = new Map<string, InterfaceType>();
  for (const item of contract.shape.imports) if (item.kind === 'interface') imports.set(item.name, item.iface);
  return { world: contract.world, interfaces, funcs, log: findLog(imports), imports };
}

/** `witplug:host/log`'s `log(level: enum, message: string)`, when the world imports it. */
function findLog(imports: ReadonlyMap<string, InterfaceType>): LogImport | null {
  for (const [name, iface] of imports) {
    if (stripVersion(name) !== 'witplug:host/log') continue;
    const log = iface.funcs.get('log');
    const level = log?.params[0]?.type;
    if (log === undefined || log.result !== null || log.params.length !== 2 || level?.kind !== 'enum' || log.params[1]!.type.kind !== 'string') return null;
    const levelIndex = Math.max(0, level.names.indexOf('info'));
    return { iface: name, level: level.names[levelIndex]!, levelIndex };
  }
  return null;
}

/** Every export function of the plan, interfaces first. */
export function allExports(plan: WorldPlan): ExportFunc[] {
  return [...plan.interfaces.flatMap((i) => i.funcs), ...plan.funcs];
}

/** How a stub names an export in its log line and comments: `filter.check`, `counter.incr`. */
export function displayName(f: ExportFunc): string {
  const owner = f.resource ?? (f.iface === null ? null : shortName(f.iface));
  return owner === null ? f.name : `${owner}.${f.name}`;
}

export function shortName(iface: string): string {
  const base = stripVersion(iface);
  return base.slice(base.lastIndexOf('/') + 1);
}

/** Whether a zero-filled value of `t` is invalid because it holds a resource handle (handle 0 is never valid). */
export function holdsHandle(t: ValType): boolean {
  switch (t.kind) {
    case 'own': case 'borrow': return true;
    case 'record': return t.fields.some((f) => holdsHandle(f.type));
    case 'tuple': return t.types.some(holdsHandle);
    case 'variant': return t.cases[0]?.type ? holdsHandle(t.cases[0].type) : false;
    case 'result': return t.ok !== null && holdsHandle(t.ok);
    case 'option': case 'list': case 'enum': case 'flags': case 'string': case 'bool': case 's8': case 'u8': case 's16': case 'u16':
    case 's32': case 'u32': case 's64': case 'u64': case 'f32': case 'f64': case 'char': case 'error-context': case 'future': case 'stream':
      return false;
    default: return assertNever(t, 'kind');
  }
}

export function sameResource(a: ResourceType, b: ResourceType): boolean {
  return a === b || (a.name === b.name && a.interfaceName === b.interfaceName);
}
