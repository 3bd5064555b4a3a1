/**
 * Component binary → `ComponentShape` (+ custom sections, core module
 * locations, producers). The entry point of admission, inspect and the call
 * path. Every failure is a WitplugError: 'NOT_A_COMPONENT' for core modules,
 * 'MALFORMED' for anything else that is not a well-formed component.
 */
import { WitplugError, isWitplugError } from '../errors.js';
import type { ComponentShape, FuncType, InterfaceType, NamedType, WorldItem } from './types.js';
import { Reader, malformed } from './reader.js';
import { type Budget, type Def, type Ext, type InstanceDef, budgetFor, newScope } from './defs.js';
import { type EvalContext, evalComponent, readComponentPreamble } from './interpret.js';
import { CoreWiring, type CoreImportWiring, type LiftSource } from './core-wiring.js';
import { type CustomSection, parseComponentName, parseProducers } from './custom.js';
import { canonBuiltinsSeen, resetStringEncodingScan, sawAsyncOption, sawNonUtf8Strings } from './core-skip.js';
import { assertNever } from '../util/assert-never.js';

export type { CustomSection } from './custom.js';
export type { CoreImportWire, CoreImportWiring, CoreItem, LiftSource } from './core-wiring.js';

export interface DecodedComponent {
  readonly shape: ComponentShape;
  /** Top-level custom sections, raw, in binary order (plugin metadata lives here). */
  readonly customSections: readonly CustomSection[];
  /** Every core module section (nested components included): absolute byte offset and size of the module bytes. */
  readonly coreModules: readonly { readonly offset: number; readonly size: number }[];
  /** From the top-level `producers` section: field → tool → version. */
  readonly producers?: Record<string, Record<string, string>>;
  /** From the top-level `component-name` section. */
  readonly name?: string;
  /** True when every canon lift/lower uses UTF-8 strings (witplug's generated call path assumes it). */
  readonly utf8Strings: boolean;
  /** Canon built-ins the component defines, by spec name (`lift`, `lower`, `context.get`, `stream.new`, …), sorted. */
  readonly canonBuiltins: readonly string[];
  /** Some canon lift/lower uses the `async` option. */
  readonly asyncCanon: boolean;
  /**
   * Every core module is defined at the top level and instantiated exactly
   * once there (what lets an instance skip jco's glue, src/runtime/link/direct.ts).
   */
  readonly oneInstancePerModule: boolean;
  /**
   * The core module of the instance most `canon lift`s come from, and the
   * exports lifted from it with function, memory, realloc and post-return
   * under canonical names (the ones the generated callers may serve); null
   * when there is none (src/component/core-wiring.ts).
   */
  readonly liftSource: LiftSource | null;
  /**
   * What each function import of each core module is wired to (a host
   * function lowered with which memory and realloc, a canon built-in, or
   * something else); null when the wiring was not followed
   * (src/component/core-wiring.ts).
   */
  readonly importWiring: CoreImportWiring | null;
}

function interfaceOf(name: string, inst: InstanceDef): InterfaceType {
  const types = new Map<string, NamedType>();
  const funcs = new Map<string, FuncType>();
  for (const [n, ext] of inst.exports) {
    if (ext.s === 'func') funcs.set(n, ext.t);
    else if (ext.s === 'type') {
      if (ext.t.d === 'val') types.set(n, ext.t.t);
      else if (ext.t.d === 'resource') types.set(n, ext.t.r);
    }
  }
  return { kind: 'interface', name, types, funcs };
}

const DEF_TEXT: Readonly<Record<Def['d'], string>> = {
  val: 'value type', resource: 'resource type', func: 'function type', instance: 'instance type', component: 'component type', opaque: 'core type',
};

/** What an export of an instance is, when WIT has no form for it (else null). */
function oddMember(ext: Ext): string | null {
  switch (ext.s) {
    case 'func': return null;
    case 'type': return ext.t.d === 'val' || ext.t.d === 'resource' ? null : DEF_TEXT[ext.t.d];
    case 'instance': return 'instance';
    case 'component': return 'component';
    case 'module': return 'core module';
    case 'value': return 'value';
    default: return assertNever(ext, 'extern sort');
  }
}

/**
 * The world item of one import or export. Every extern appears: what WIT
 * cannot express becomes an `extern` item (so that admission refuses it
 * rather than never seeing it).
 */
export function worldItem(name: string, ext: Ext, budget: Budget): WorldItem {
  switch (ext.s) {
    case 'instance': {
      budget.spend(ext.t.exports.size, 0);
      const odd: string[] = [];
      for (const [n, e] of ext.t.exports) {
        const what = oddMember(e);
        if (what !== null) odd.push(`${what} ${n}`);
      }
      if (odd.length > 0) return { kind: 'extern', name, sort: 'instance', detail: `instance exporting ${odd.join(', ')}` };
      return { kind: 'interface', name, iface: interfaceOf(name, ext.t) };
    }
    case 'func':
      return { kind: 'func', name, func: ext.t };
    case 'type':
      if (ext.t.d === 'val') return { kind: 'type', name, type: ext.t.t };
      if (ext.t.d === 'resource') return { kind: 'type', name, type: ext.t.r };
      return { kind: 'extern', name, sort: 'type', detail: DEF_TEXT[ext.t.d] };
    case 'component':
      return { kind: 'extern', name, sort: 'component', detail: 'component' };
    case 'module':
      return { kind: 'extern', name, sort: 'core module', detail: 'core module' };
    case 'value':
      return { kind: 'extern', name, sort: 'value', detail: 'value' };
    default:
      return assertNever(ext, 'extern sort');
  }
}

export function checkPreamble(bytes: Uint8Array): void {
  if (bytes.length < 8) throw malformed(`only ${bytes.length} bytes, too short for a component preamble`, 0);
  if (bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw malformed('missing \\0asm magic', 0);
  }
  const version = bytes[4]! | (bytes[5]! << 8);
  const layer = bytes[6]! | (bytes[7]! << 8);
  if (layer === 0 && version === 1) {
    throw new WitplugError('NOT_A_COMPONENT', 'this is a core WebAssembly module, not a component (wrap it with `jco new` / componentNew)');
  }
  if (layer !== 1 || version !== 0x0d) {
    throw malformed(`unsupported component version 0x${version.toString(16)} / layer ${layer} (expected version 0xd, layer 1)`, 4);
  }
}

export function decodeComponent(bytes: Uint8Array): DecodedComponent {
  return decodeCounted(bytes).decoded;
}

/**
 * `decodeComponent`, plus the work units it spent: at most
 * `WORK_PER_BYTE * bytes.length + WORK_FLOOR` (defs.ts), so that tests can
 * check that decoding stays linear in the input.
 */
export function decodeCounted(bytes: Uint8Array): { decoded: DecodedComponent; work: number } {
  try {
    if (!(bytes instanceof Uint8Array)) throw malformed('input is not a byte array', 0);
    checkPreamble(bytes);
    const r = new Reader(bytes);
    readComponentPreamble(r);
    resetStringEncodingScan();
    const wiring = new CoreWiring();
    const budget = budgetFor(bytes instanceof Uint8Array ? bytes.length : 0);
    const ctx: EvalContext = { bytes, budget, customSections: [], coreModules: [], wiring };
    const res = evalComponent(r, newScope(null), ctx, true);
    const imports: WorldItem[] = [];
    const exports: WorldItem[] = [];
    for (const [n, e] of res.imports) imports.push(worldItem(n, e, budget));
    for (const [n, e] of res.exports) exports.push(worldItem(n, e, budget));
    let producers: Record<string, Record<string, string>> | undefined;
    let name: string | undefined;
    for (const s of ctx.customSections) {
      if (s.name === 'producers' && !producers) producers = parseProducers(s.data);
      else if (s.name === 'component-name' && name === undefined) name = parseComponentName(s.data);
    }
    const decoded: DecodedComponent = {
      utf8Strings: !sawNonUtf8Strings(),
      canonBuiltins: canonBuiltinsSeen(),
      asyncCanon: sawAsyncOption(),
      oneInstancePerModule: wiring.oneInstancePerModule(),
      liftSource: wiring.liftSource(),
      importWiring: wiring.importWiring(),
      shape: { imports, exports },
      customSections: ctx.customSections,
      coreModules: ctx.coreModules,
      ...(producers ? { producers } : {}),
      ...(name !== undefined ? { name } : {}),
    };
    return { decoded, work: budget.used };
  } catch (e) {
    if (isWitplugError(e)) throw e;
    // Anything else (a stack overflow on some input we failed to bound, a bug)
    // must still surface as "this binary is bad", never as a crash.
    throw new WitplugError('MALFORMED', `malformed component: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
