/**
 * A WIT world as wit-component encodes it in the `component-type:*` custom
 * section of an embedded core module: a component whose export is a
 * component type wrapping the world's own component type
 * (`(type (component (type (component <world>)) (export "pkg:ns/world" …)))`).
 *
 * Unlike the component `componentNew` builds from it, this keeps every
 * import and export the world declares, including interfaces that only
 * declare types (wit-component drops those when no function uses them).
 */
import { WitplugError, isWitplugError } from '../../src/errors.js';
import type { ComponentShape, WorldItem } from '../../src/component/types.js';
import { Reader } from '../../src/component/reader.js';
import { budgetFor, claimResources, newScope, type ComponentDef } from '../../src/component/defs.js';
import { evalComponent, readComponentPreamble } from '../../src/component/interpret.js';
import { checkPreamble, worldItem } from '../../src/component/decode.js';

/** The payload of the first `component-type*` custom section of a core module, if any. */
export function componentTypeSection(coreModule: Uint8Array): Uint8Array | undefined {
  const r = new Reader(coreModule);
  r.skip(8, 'core module preamble');
  while (!r.atEnd()) {
    const id = r.u8();
    const size = r.u32();
    const s = r.sub(size, `section ${id}`);
    if (id === 0 && s.name().startsWith('component-type')) return s.take(s.remaining);
  }
  return undefined;
}

/** Decode a world-type encoding (see above) into the world's shape. Errors are MALFORMED. */
export function decodeWorldType(bytes: Uint8Array): { world: string; shape: ComponentShape } {
  try {
    checkPreamble(bytes);
    const r = new Reader(bytes);
    readComponentPreamble(r);
    const budget = budgetFor(bytes.length);
    const ctx = { bytes, budget, customSections: [], coreModules: [] };
    const { exports } = evalComponent(r, newScope(null), ctx, false);
    let world: [string, ComponentDef] | undefined;
    for (const [, ext] of exports) {
      if (ext.s !== 'type' || ext.t.d !== 'component') continue;
      const inner = ext.t.t.exports.find(([, e]) => e.s === 'component');
      if (inner && inner[1].s === 'component') world = [inner[0], inner[1].t];
    }
    if (!world) throw new WitplugError('MALFORMED', 'malformed component: no world component type in the component-type section');
    const [name, def] = world;
    const items = (list: [string, import('../../src/component/defs.js').Ext][]): WorldItem[] => {
      const out: WorldItem[] = [];
      for (const [n, ext] of list) {
        // Inside a type, resources are minted anonymous: give them their interface, as a top-level import does.
        if (ext.s === 'instance') claimResources(ext.t, n);
        out.push(worldItem(n, ext, budget));
      }
      return out;
    };
    return { world: name, shape: { imports: items(def.imports), exports: items(def.exports) } };
  } catch (e) {
    if (isWitplugError(e)) throw e;
    throw new WitplugError('MALFORMED', `malformed component type: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
