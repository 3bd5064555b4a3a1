/**
 * A valid argument for every WIT type, in witplug's value convention, so a test
 * can call every export of a world; resource handles come from `makeResource`.
 */
import type { ResourceType, ValType } from '../../src/component/types.js';
import { lowerCamel } from '../../src/component/names.js';

export function defaultValue(t: ValType, makeResource: (r: ResourceType) => unknown): unknown {
  switch (t.kind) {
    case 'bool': return false;
    case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 'f32': case 'f64': return 1;
    case 's64': case 'u64': return 1n;
    case 'char': return 'x';
    case 'string': return 'text';
    case 'list': return t.element.kind === 'u8' ? new Uint8Array([1, 2]) : [defaultValue(t.element, makeResource)];
    // witplug's convention: an option of an option wraps its outer some as {tag: 'some', val}.
    case 'option': return t.type.kind === 'option' ? { tag: 'some', val: defaultValue(t.type, makeResource) } : defaultValue(t.type, makeResource);
    case 'enum': return t.names.at(-1);
    case 'flags': return Object.fromEntries(t.names.map((n, i) => [lowerCamel(n), i % 2 === 0]));
    case 'record': return Object.fromEntries(t.fields.map((f) => [lowerCamel(f.name), defaultValue(f.type, makeResource)]));
    case 'tuple': return t.types.map((x) => defaultValue(x, makeResource));
    case 'variant': {
      const c = t.cases.at(-1)!;
      return c.type === null ? { tag: c.name } : { tag: c.name, val: defaultValue(c.type, makeResource) };
    }
    case 'result': return t.ok === null ? { tag: 'ok' } : { tag: 'ok', val: defaultValue(t.ok, makeResource) };
    case 'own': case 'borrow': return makeResource(t.resource);
    case 'future': case 'stream': case 'error-context': throw new Error(`no test value for ${t.kind}`);
    default: {
      const never: never = t;
      throw new Error(`unhandled ${String(never)}`);
    }
  }
}
