/**
 * A small interpreter over a component's sections and index spaces.
 *
 * wit-component wraps every exported interface in a nested "shim" component
 * that imports types and functions and re-exports them, then instantiates it
 * with the outer definitions. The type of the exported instance is therefore
 * only known with the instantiation arguments substituted for the nested
 * component's imports. Each nested component is evaluated once, where it is
 * defined, with its imports as placeholders; an `instantiate` substitutes the
 * arguments for them in its exports (subst.ts), so imported types become the
 * outer types, named and resource identities included, in work proportional
 * to what changes.
 */
import type { Reader } from './reader.js';
import { Reader as ByteReader } from './reader.js';
import { readCanon } from './core-skip.js';
import { enterScope, importPlaceholder, readDefType } from './decode-types.js';
import { readAlias, readExternName, readExternType } from './decode-externs.js';
import { readValType } from './decode-valtypes.js';
import { addExt, extAt, readSort, typeAt } from './index-spaces.js';
import { type Budget, type ComponentDef, type Ext, type InstanceDef, type Scope, claimResources, extLevel, nameDef, sealed } from './defs.js';
import { Subst } from './subst.js';
import type { CustomSection } from './custom.js';
import type { CoreWiring } from './core-wiring.js';

export interface EvalContext {
  readonly bytes: Uint8Array;
  readonly budget: Budget;
  /** Top-level custom sections (each component body is evaluated once, so nothing is seen twice). */
  readonly customSections: CustomSection[];
  readonly coreModules: { offset: number; size: number }[];
  /** Top level only (definition pass): how core instances and lifts are wired (src/component/core-wiring.ts). */
  readonly wiring?: CoreWiring;
}

export interface EvalResult {
  readonly imports: [string, Ext][];
  readonly exports: [string, Ext][];
}

/** `core:sort` byte of a core module. */
const CORE_MODULE = 0x11;

const COMPONENT_PREAMBLE = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

/** Check a component preamble at the reader's position and step past it. */
export function readComponentPreamble(r: Reader): void {
  const pos = r.pos;
  for (const b of COMPONENT_PREAMBLE) if (r.u8() !== b) r.fail('bad component preamble', pos);
}

function sameSort(a: Ext, b: Ext): boolean {
  return a.s === b.s;
}

function instantiate(r: Reader, scope: Scope, ctx: EvalContext): InstanceDef {
  const pos = r.pos;
  const tag = r.u8();
  if (tag === 0x00) {
    const cpos = r.pos;
    const cidx = r.u32();
    if (cidx >= scope.components.length) r.fail(`component index ${cidx} out of range`, cpos);
    const comp: ComponentDef = scope.components[cidx]!;
    const bindings = new Map<string, Ext>();
    for (let n = r.vecLen(3), i = 0; i < n; i++) {
      const name = r.name();
      const spos = r.pos;
      const { sort, core } = readSort(r);
      // A core module may be passed to a nested component (Binary.md `sortidx`); other core sorts may not.
      if (sort === 'core' && core !== CORE_MODULE) r.fail('instantiate argument of a core sort other than module', spos);
      const ext = extAt(r, scope, sort, r.u32(), spos);
      if (bindings.has(name)) r.fail(`duplicate instantiate argument '${name}'`, spos);
      bindings.set(name, ext);
    }
    // The component was evaluated once, where it was defined; here its imports are
    // replaced by the arguments in what it exports (subst.ts), never re-evaluated.
    const subst = new Subst(comp.inner, scope.depth, ctx.budget, pos);
    for (const [name, ext] of comp.imports) {
      const bound = bindings.get(name);
      if (!bound) continue;
      if (bound.s !== ext.s) r.fail(`instantiate argument '${name}' is a ${bound.s}, import expects a ${ext.s}`, pos);
      subst.bind(ext, bound);
    }
    if (exportsLevel(comp) < comp.inner) return sharedInstance(comp, ctx.budget, pos);
    return sealed({ exports: new Map(subst.exports(comp.exports).list) }, pos);
  }
  if (tag === 0x01) {
    const exports = new Map<string, Ext>();
    for (let n = r.vecLen(3), i = 0; i < n; i++) {
      const name = readExternName(r);
      const spos = r.pos;
      const { sort, core } = readSort(r);
      if (sort === 'core' && core !== CORE_MODULE) r.fail('inline export of a core sort other than module', spos);
      if (exports.has(name)) r.fail(`duplicate inline export '${name}'`, spos);
      const ext = extAt(r, scope, sort, r.u32(), spos);
      // Named as an export is: a resource bundled here takes this name (as in a component's own export section).
      exports.set(name, ext.s === 'type' ? { s: 'type', t: nameDef(ext.t, name) } : ext);
    }
    return sealed({ exports }, pos);
  }
  return r.fail(`unknown instance expression 0x${tag.toString(16)}`, pos);
}

const exportLevels = new WeakMap<ComponentDef, number>();
/** The highest variable level among a component's exports (computed once per component). */
function exportsLevel(comp: ComponentDef): number {
  let level = exportLevels.get(comp);
  if (level === undefined) {
    level = -1;
    for (const [, e] of comp.exports) level = Math.max(level, extLevel(e));
    exportLevels.set(comp, level);
  }
  return level;
}

const shared = new WeakMap<ComponentDef, InstanceDef>();
/** Every instance of a component whose exports mention none of its variables is the same. */
function sharedInstance(comp: ComponentDef, budget: Budget, at: number): InstanceDef {
  let inst = shared.get(comp);
  if (!inst) {
    budget.spend(comp.exports.length, at);
    inst = sealed({ exports: new Map(comp.exports) }, at);
    shared.set(comp, inst);
  }
  return inst;
}

function readImport(r: Reader, scope: Scope, budget: Budget, imports: [string, Ext][]): void {
  const pos = r.pos;
  const name = readExternName(r);
  let ext = readExternType(r, scope, name);
  // Inside a nested component an import is a variable its instantiations substitute.
  if (scope.depth > 0) ext = importPlaceholder(ext, scope.depth, budget, pos);
  else if (ext.s === 'instance') {
    budget.spend(ext.t.exports.size, pos);
    claimResources(ext.t, name);
  }
  imports.push([name, ext]);
  addExt(scope, ext);
}

function readExport(r: Reader, scope: Scope, budget: Budget, exports: [string, Ext][], seen: Set<string>): void {
  const pos = r.pos;
  const name = readExternName(r);
  if (seen.has(name)) r.fail(`duplicate export '${name}'`, pos);
  seen.add(name);
  const spos = r.pos;
  const { sort } = readSort(r);
  if (sort === 'core') {
    // Only `core module` may be exported; it is not part of the shape.
    r.u32();
  }
  let ext: Ext = sort === 'core' ? { s: 'module' } : extAt(r, scope, sort, r.u32(), spos);
  const opt = r.u8();
  if (opt === 0x01) {
    const ascribed = readExternType(r, scope, name);
    if (!sameSort(ascribed, ext)) r.fail(`export '${name}' ascribed a ${ascribed.s} type but is a ${ext.s}`, spos);
    // Functions and instances take the (more precise, named) ascribed type.
    // Types keep the actual definition: an ascription like `(sub resource)`
    // would otherwise mint a new resource identity.
    if (ascribed.s === 'func' || ascribed.s === 'instance') ext = ascribed;
  } else if (opt !== 0x00) {
    r.fail('bad export type option', r.pos - 1);
  }
  if (ext.s === 'type') ext = { s: 'type', t: nameDef(ext.t, name) };
  if (scope.depth === 0 && ext.s === 'instance') {
    budget.spend(ext.t.exports.size, pos);
    claimResources(ext.t, name);
  }
  exports.push([name, ext]);
  addExt(scope, ext);
}

/**
 * Evaluate the sections in `r` in `scope`. `collect` records core modules
 * and (at the top level) custom sections.
 */
export function evalComponent(r: Reader, scope: Scope, ctx: EvalContext, collect: boolean): EvalResult {
  const imports: [string, Ext][] = [];
  const exports: [string, Ext][] = [];
  const exportNames = new Set<string>();
  while (!r.atEnd()) {
    const spos = r.pos;
    const id = r.u8();
    const size = r.u32();
    const s = r.sub(size, `section ${id}`);
    ctx.budget.spend(1, spos);
    switch (id) {
      case 0: {
        const name = s.name();
        if (collect && scope.depth === 0) ctx.customSections.push({ name, data: s.take(s.remaining) });
        continue; // custom payload is free-form
      }
      case 1:
        if (size < 8 || s.u8() !== 0x00) r.fail('core module section does not hold a module', spos);
        if (collect) ctx.coreModules.push({ offset: s.pos - 1, size });
        if (collect) ctx.wiring?.module(scope.depth > 0);
        continue;
      case 2:
        if (collect && scope.depth === 0) ctx.wiring?.instances(s);
        continue;
      case 3:
      case 9:
      case 12:
        // Core instances/types, start and values only affect index spaces witplug does not track.
        continue;
      case 4: {
        readComponentPreamble(s);
        const inner = enterScope(s, scope, spos);
        const def = evalComponent(s, inner, ctx, collect);
        scope.components.push(sealed({ imports: def.imports, exports: def.exports, inner: inner.depth }, spos));
        continue;
      }
      case 5:
        for (let n = s.vecLen(2), i = 0; i < n; i++) {
          ctx.budget.spend(1, s.pos);
          scope.instances.push(instantiate(s, scope, ctx));
          if (collect && scope.depth === 0) ctx.wiring?.componentInstance();
        }
        break;
      case 6:
        for (let n = s.vecLen(3), i = 0; i < n; i++) {
          ctx.budget.spend(1, s.pos);
          const apos = s.pos;
          readAlias(s, scope);
          if (collect && scope.depth === 0) ctx.wiring?.alias(new ByteReader(ctx.bytes, apos, s.pos));
        }
        break;
      case 7:
        for (let n = s.vecLen(), i = 0; i < n; i++) {
          const tpos = s.pos;
          scope.types.push(readDefType(s, scope, ctx.budget));
          if (collect && scope.depth === 0) ctx.wiring?.type(new ByteReader(ctx.bytes, tpos, s.pos));
        }
        break;
      case 8:
        // Several async built-ins (backpressure.inc, waitable-set.new, …) are a single opcode byte.
        for (let n = s.vecLen(1), i = 0; i < n; i++) {
          ctx.budget.spend(1, s.pos);
          const fpos = s.pos;
          const ft = readCanon(s, (rr) => void readValType(rr, scope));
          if (collect && scope.depth === 0) ctx.wiring?.canon(new ByteReader(ctx.bytes, fpos, s.pos));
          if (ft !== null) {
            const d = typeAt(s, scope, ft, fpos);
            if (d.d === 'func') scope.funcs.push(d.t);
            else s.fail(`canon lift type ${ft} is not a function type`, fpos);
          }
        }
        break;
      case 10:
        for (let n = s.vecLen(3), i = 0; i < n; i++) {
          ctx.budget.spend(1, s.pos);
          readImport(s, scope, ctx.budget, imports);
          const [name, ext] = imports[imports.length - 1]!;
          if (collect && scope.depth === 0 && ext.s === 'module') ctx.wiring?.importedModule();
          if (collect && scope.depth === 0) ctx.wiring?.componentImport(name, ext.s);
        }
        break;
      case 11:
        for (let n = s.vecLen(4), i = 0; i < n; i++) {
          ctx.budget.spend(1, s.pos);
          readExport(s, scope, ctx.budget, exports, exportNames);
          if (collect && scope.depth === 0) ctx.wiring?.componentExport(exports[exports.length - 1]![1].s);
        }
        break;
      default:
        r.fail(`unknown section id ${id}`, spos);
    }
    s.expectEnd(`section ${id}`);
  }
  return { imports, exports };
}
