/**
 * Decoding of component-model type definitions (`deftype`): value and
 * function types, instance and component types with their declarators, and
 * what an import stands for inside the component that declares it.
 */
import type { ValType } from './types.js';
import type { Reader } from './reader.js';
import { skipCoreDefType, skipCoreValType } from './core-skip.js';
import {
  type Budget, type ComponentDef, type Def, type Ext, type InstanceDef, type Scope,
  MAX_SCOPE_DEPTH, asVariable, sealed, sealedCopy, checkedFunc, freshResource, newScope, sameMeasure,
} from './defs.js';
import { readDefValType, readFuncType } from './decode-valtypes.js';
import { readAlias, readExternName, readExternType } from './decode-externs.js';
import { addExt } from './index-spaces.js';
import { Subst } from './subst.js';
import { assertNever } from '../util/assert-never.js';

/** `deftype`: a value type, function, component, instance or resource type. */
export function readDefType(r: Reader, scope: Scope, budget: Budget): Def {
  const pos = r.pos;
  budget.spend(1, pos);
  const op = r.u8();
  switch (op) {
    case 0x40:
    case 0x43:
      return { d: 'func', t: readFuncType(r, scope, op === 0x43, pos) };
    case 0x41:
      return { d: 'component', t: readComponentType(r, scope, budget, pos) };
    case 0x42:
      return { d: 'instance', t: readInstanceType(r, scope, budget, pos) };
    case 0x3f: {
      skipCoreValType(r);
      const dtor = r.u8();
      if (dtor === 0x01) r.u32();
      else if (dtor !== 0x00) r.fail('bad resource destructor option', r.pos - 1);
      return { d: 'resource', r: freshResource('', scope.depth) };
    }
    default: {
      const t = readDefValType(r, scope, op, pos);
      budget.spend(memberCount(t), pos);
      return { d: 'val', t };
    }
  }
}

/** Fields, cases, names or element types a type definition lists (what reading and checking it visited). */
function memberCount(t: ValType): number {
  switch (t.kind) {
    case 'record': return t.fields.length;
    case 'variant': return t.cases.length;
    case 'tuple': return t.types.length;
    case 'enum': case 'flags': return t.names.length;
    case 'list': case 'option': case 'result': case 'own': case 'borrow': case 'future': case 'stream':
    case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64':
    case 'f32': case 'f64': case 'char': case 'string': case 'error-context':
      return 0;
    default: return assertNever(t, 'value type kind');
  }
}

function enter(r: Reader, parent: Scope, pos: number): Scope {
  if (parent.depth + 1 > MAX_SCOPE_DEPTH) r.fail(`types/components nested deeper than ${MAX_SCOPE_DEPTH}`, pos);
  return newScope(parent);
}

/** Shared body of instance and component type declarators. */
function readDecls(r: Reader, scope: Scope, budget: Budget, allowImports: boolean, imports: [string, Ext][], exports: Map<string, Ext>): void {
  for (let n = r.vecLen(), i = 0; i < n; i++) {
    const pos = r.pos;
    budget.spend(1, pos);
    const tag = r.u8();
    switch (tag) {
      case 0x00: skipCoreDefType(r); break;
      case 0x01: scope.types.push(readDefType(r, scope, budget)); break;
      case 0x02: readAlias(r, scope); break;
      case 0x03: {
        if (!allowImports) r.fail('import declaration inside an instance type', pos);
        const name = readExternName(r);
        const ext = importPlaceholder(readExternType(r, scope, name), scope.depth, budget, pos);
        imports.push([name, ext]);
        addExt(scope, ext);
        break;
      }
      case 0x04: {
        const name = readExternName(r);
        if (exports.has(name)) r.fail(`duplicate export '${name}'`, pos);
        const ext = readExternType(r, scope, name);
        exports.set(name, ext);
        addExt(scope, ext);
        break;
      }
      default:
        r.fail(`unknown type declaration 0x${tag.toString(16)}`, pos);
    }
  }
}

function readInstanceType(r: Reader, parent: Scope, budget: Budget, pos: number): InstanceDef {
  const scope = enter(r, parent, pos);
  const exports = new Map<string, Ext>();
  readDecls(r, scope, budget, false, [], exports);
  return sealed({ exports, inner: scope.depth }, pos);
}

function readComponentType(r: Reader, parent: Scope, budget: Budget, pos: number): ComponentDef {
  const scope = enter(r, parent, pos);
  const imports: [string, Ext][] = [];
  const exports = new Map<string, Ext>();
  readDecls(r, scope, budget, true, imports, exports);
  return sealed({ imports, exports: [...exports], inner: scope.depth }, pos);
}

/**
 * What an import of a component (or component type) at scope depth `depth`
 * stands for inside it: a fresh object marked as a variable of that level,
 * which an instantiation maps to its argument (subst.ts). A `(sub resource)`
 * import is a fresh resource already; an imported instance gets its own
 * copies of the resources its type declares; `(eq resource)` keeps the
 * resource's identity.
 */
export function importPlaceholder(ext: Ext, depth: number, budget: Budget, at: number): Ext {
  budget.spend(1, at);
  switch (ext.s) {
    case 'func':
      return { s: 'func', t: asVariable(checkedFunc({ ...ext.t }, at), depth) };
    case 'type': {
      if (ext.t.d !== 'val') return ext;
      const t = ext.t.t;
      return { s: 'type', t: { d: 'val', t: asVariable(sameMeasure(t, { ...t }), depth) } };
    }
    case 'instance': {
      const type = ext.t;
      let inst = type.inner === undefined ? type : new Subst(type.inner, depth, budget, at).instance(type);
      if (inst === type) {
        budget.spend(type.exports.size, at);
        inst = sealedCopy(type, { exports: new Map(type.exports) });
      }
      return { s: 'instance', t: asVariable(inst, depth) };
    }
    case 'component':
      return { s: 'component', t: asVariable(sealedCopy(ext.t, { imports: ext.t.imports, exports: ext.t.exports, inner: ext.t.inner }), depth) };
    case 'module':
    case 'value':
      return ext;
    default:
      return assertNever(ext, 'extern sort');
  }
}

export { enter as enterScope };
