/** Decoding of extern names, extern types and aliases into the index spaces of a `Scope` (see defs.ts). */
import type { Reader } from './reader.js';
import { isExternName } from './labels.js';
import { type Ext, type Scope, freshResource, nameDef } from './defs.js';
import { addExt, indexAt, readSort, typeAt } from './index-spaces.js';
import { readValType } from './decode-valtypes.js';

/** `nameattributes`: the extern name (attributes such as `implements` are read and dropped). */
export function readExternName(r: Reader): string {
  const pos = r.pos;
  const tag = r.u8();
  if (tag > 0x02) r.fail(`unknown extern name encoding 0x${tag.toString(16)}`, pos);
  const at = r.pos;
  const name = r.name();
  if (!isExternName(name)) {
    r.fail(`import/export name ${JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name)} is neither a WIT label, a [constructor]/[method]/[static] name nor an interface name (ns:pkg/iface@version)`, at);
  }
  if (tag === 0x02) {
    for (let n = r.vecLen(2), i = 0; i < n; i++) {
      const a = r.u8();
      if (a > 0x02) r.fail(`unknown extern name attribute 0x${a.toString(16)}`, r.pos - 1);
      r.name(); // implements / versionsuffix / external-id: all carry one name
    }
  }
  return name;
}

/** `externtype`, resolved in `scope`; `name` names fresh resources and `eq` type bounds. */
export function readExternType(r: Reader, scope: Scope, name: string): Ext {
  const pos = r.pos;
  const kind = r.u8();
  switch (kind) {
    case 0x00:
      if (r.u8() !== 0x11) r.fail('core extern type must be a module', r.pos - 1);
      r.u32();
      return { s: 'module' };
    case 0x01: {
      const ipos = r.pos;
      const d = typeAt(r, scope, r.u32(), ipos);
      if (d.d !== 'func') r.fail('func extern type does not refer to a function type', ipos);
      return { s: 'func', t: d.t };
    }
    case 0x02:
      // As wasm-tools encodes a value extern (a bare valtype): Binary.md's newer `valuebound`
      // (0x00 i | 0x01 t) cannot be told apart from it, and toolchains emit this one.
      readValType(r, scope);
      return { s: 'value' };
    case 0x03: {
      const b = r.u8();
      if (b === 0x01) return { s: 'type', t: { d: 'resource', r: freshResource(name, scope.depth) } };
      if (b !== 0x00) r.fail('bad type bound', r.pos - 1);
      const ipos = r.pos;
      return { s: 'type', t: nameDef(typeAt(r, scope, r.u32(), ipos), name) };
    }
    case 0x04: {
      const ipos = r.pos;
      const d = typeAt(r, scope, r.u32(), ipos);
      if (d.d !== 'component') r.fail('component extern type does not refer to a component type', ipos);
      return { s: 'component', t: d.t };
    }
    case 0x05: {
      const ipos = r.pos;
      const d = typeAt(r, scope, r.u32(), ipos);
      if (d.d !== 'instance') r.fail('instance extern type does not refer to an instance type', ipos);
      return { s: 'instance', t: d.t };
    }
    default:
      return r.fail(`unknown extern kind 0x${kind.toString(16)}`, pos);
  }
}

/** One `alias`: instance export, core instance export (ignored) or outer. */
export function readAlias(r: Reader, scope: Scope): void {
  const pos = r.pos;
  const { sort, core } = readSort(r);
  const tag = r.u8();
  if (tag === 0x00) {
    const ipos = r.pos;
    const inst = indexAt(r, scope.instances, r.u32(), 'instance', ipos);
    const name = r.name();
    // Of the core sorts, a component instance can only export a core module.
    if (sort === 'core' && core !== 0x11) r.fail('alias export of a core sort other than module from a component instance', pos);
    const ext = inst.exports.get(name);
    if (!ext) r.fail(`instance has no export '${name}'`, ipos);
    const want = sort === 'core' ? 'module' : sort;
    if (ext.s !== want) r.fail(`export '${name}' is a ${ext.s}, not a ${want}`, ipos);
    addExt(scope, ext);
  } else if (tag === 0x01) {
    r.u32();
    r.name();
    if (sort !== 'core') r.fail('core export alias must have a core sort', pos);
  } else if (tag === 0x02) {
    const ct = r.u32();
    const idx = r.u32();
    let target: Scope | null = scope;
    for (let i = 0; i < ct && target; i++) target = target.parent;
    if (!target) r.fail(`outer alias count ${ct} exceeds the enclosing scopes`, pos);
    if (sort === 'type') scope.types.push(indexAt(r, target.types, idx, 'outer type', pos));
    else if (sort === 'component') scope.components.push(indexAt(r, target.components, idx, 'outer component', pos));
    else if (sort !== 'core') r.fail(`outer alias of sort ${sort} is not allowed`, pos);
  } else {
    r.fail(`unknown alias target 0x${tag.toString(16)}`, pos);
  }
}
