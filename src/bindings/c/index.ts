/**
 * `witplug bindgen c`: a C header and source for a contract world — C types
 * for its WIT types, a wrapper per import, the prototype the author
 * implements per export with its core-wasm export and post-return, and
 * `cabi_realloc`. The core module built from them is made a component by
 * embedding the same WIT world (`componentEmbed` + `componentNew`).
 */
import { ErrorCodes, WitplugError } from '../../errors.js';
import type { Contract } from '../../contract/load.js';
import type { FuncType, NamedType, ResourceType, ValType, WorldItem } from '../../component/types.js';
import { FunctionWriter, type FunctionCode } from './functions.js';
import { cString, funcPart, interfacePrefix, snakePart, upper } from './names.js';
import { headerEnd, headerPrelude, sourcePrelude } from './runtime.js';
import { CTypes, type TypeOwner } from './types.js';

export interface CBindings {
  /** `<world>.h` and `<world>.c` (the world's name in snake_case). */
  readonly header: { readonly name: string; readonly text: string };
  readonly source: { readonly name: string; readonly text: string };
}

/** The last segment of a world name, as a C name: `ns:pkg/my-world@1.0.0` → `my_world`. */
function worldPrefix(world: string): string {
  const base = world.replace(/@.*$/, '');
  return snakePart(base.slice(base.lastIndexOf('/') + 1));
}

/** Aliased kinds that get a C name of their own from their alias (`type pad = tuple<…>`). */
const ALIASED = new Set(['list', 'option', 'result', 'tuple']);

/** Which interface declares each named type (the first one listing it; `use` shares the object). */
function typeOwners(items: readonly WorldItem[], world: string): Map<ValType | ResourceType, TypeOwner> {
  const owners = new Map<ValType | ResourceType, TypeOwner>();
  const add = (t: NamedType, prefix: string, name: string): void => {
    if (!owners.has(t)) owners.set(t, ALIASED.has(t.kind) ? { prefix, alias: name } : { prefix });
  };
  for (const item of items) {
    if (item.kind === 'interface') {
      const prefix = interfacePrefix(item.name);
      for (const [name, t] of item.iface.types) add(t, prefix, name);
    } else if (item.kind === 'type') {
      add(item.type, world, item.name);
    }
  }
  return owners;
}

function refuseExportedResources(exports: readonly WorldItem[]): void {
  const isResource = (t: NamedType): boolean => t.kind === 'resource';
  for (const item of exports) {
    const types = item.kind === 'interface' ? [...item.iface.types.values()] : item.kind === 'type' ? [item.type] : [];
    const owned = types.filter((t) => isResource(t) && (t as ResourceType).interfaceName === (item.kind === 'interface' ? item.name : ''));
    if (owned.length) {
      throw new WitplugError(ErrorCodes.UNSUPPORTED, `the C bindings generator does not support exported resources (${item.name})`);
    }
  }
}

export function generateCBindings(contract: Contract): CBindings {
  const { imports, exports } = contract.shape;
  const world = worldPrefix(contract.world);
  refuseExportedResources(exports);
  const types = new CTypes(world, typeOwners([...imports, ...exports], world));
  const writer = new FunctionWriter(types);
  const taken = new Set<string>();
  const claim = (cName: string): string => {
    if (taken.has(cName)) throw new WitplugError(ErrorCodes.CONTRACT, `two WIT functions map to the C name ${cName}`);
    taken.add(cName);
    return cName;
  };
  const declareTypes = (item: WorldItem): void => {
    const named = item.kind === 'interface' ? [...item.iface.types.values()] : item.kind === 'type' ? [item.type] : [];
    for (const t of named) if (t.kind !== 'resource') types.name(t);
  };
  const funcsOf = (item: WorldItem): [string, FuncType, string][] => {
    if (item.kind === 'interface') return [...item.iface.funcs].map(([n, f]) => [n, f, interfacePrefix(item.name)]);
    return item.kind === 'func' ? [[item.name, item.func, world]] : [];
  };

  const importCode: FunctionCode[] = [];
  for (const item of imports) {
    declareTypes(item);
    for (const [name, f, prefix] of funcsOf(item)) {
      const module = item.kind === 'interface' ? item.name : '$root';
      importCode.push(writer.importFunction(name, module, name, claim(`${prefix}_${funcPart(name)}`), f));
    }
  }
  const exportCode: FunctionCode[] = [];
  for (const item of exports) {
    declareTypes(item);
    for (const [name, f, prefix] of funcsOf(item)) {
      const exportName = item.kind === 'interface' ? `${item.name}#${name}` : name;
      exportCode.push(writer.exportFunction(name, exportName, claim(`exports_${prefix}_${funcPart(name)}`), f));
    }
  }
  // An owned handle of an imported resource is given back with its drop.
  const drops: FunctionCode[] = [...types.resources].map(([resource, { own: ownType, base }]) => {
    const cName = claim(`${base}_drop_own`);
    const module = resource.interfaceName === '' ? '$root' : resource.interfaceName;
    const core = `__wasm_import_${cName}`;
    return {
      prototype: `/** Drops an owned \`${snakePart(resource.name)}\` handle. */\nvoid ${cName}(${ownType} handle);`,
      definition: `__attribute__((import_module(${cString(module)}), import_name(${cString(`[resource-drop]${resource.name}`)})))\n` +
        `extern void ${core}(int32_t);\nvoid ${cName}(${ownType} handle) {\n  ${core}(handle.handle);\n}`,
    };
  });

  const guard = `WITPLUG_BINDINGS_${upper(world)}_H`;
  const headerName = `${world}.h`;
  const quotedWorld = cString(contract.world);
  const header = [
    headerPrelude(world, quotedWorld, guard),
    ...types.declarations.map((d) => `${d}\n`),
    ...types.helperPrototypes.map((d) => `${d}\n`),
    ...(importCode.length || drops.length ? ['// Imported functions: call these.\n'] : []),
    ...[...importCode, ...drops].map((c) => `${c.prototype}\n`),
    ...(exportCode.length ? ['// Exported functions: the plugin defines these.\n'] : []),
    ...exportCode.map((c) => `${c.prototype}\n`),
    headerEnd(guard),
  ].join('\n');
  const source = [
    sourcePrelude(world, quotedWorld, headerName),
    ...(types.layoutChecks.length ? [`#ifdef __wasm32__\n${types.layoutChecks.join('\n')}\n#endif\n`] : []),
    ...types.helperDefinitions.map((d) => `${d}\n`),
    ...[...importCode, ...drops, ...exportCode].map((c) => `${c.definition}\n`),
  ].join('\n');
  return { header: { name: headerName, text: header }, source: { name: `${world}.c`, text: source } };
}
