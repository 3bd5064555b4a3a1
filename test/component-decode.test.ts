import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco';
import { _addPreopen } from '@bytecodealliance/preview2-shim/filesystem';
import { resolve } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeComponent, decodeCounted, type DecodedComponent } from '../src/component/decode.js';
import { Reader } from '../src/component/reader.js';
import { printFuncType, printInterface, printShape, printValType } from '../src/component/wit-print.js';
import { fingerprintInterface } from '../src/component/fingerprint.js';
import { loadContract } from '../src/contract/load.js';
import { isWitplugError } from '../src/errors.js';
import type { FuncType, InterfaceType, ResourceType, ValType, WorldItem } from '../src/component/types.js';

const WIT_DIR = resolve(__dirname, '../wit');

(_addPreopen as unknown as (g: string, h: string) => void)('/', '/');

async function typeOnly(opts: { witSource?: string; witPath?: string; world: string }): Promise<Uint8Array> {
  return componentNew(await componentEmbed({ dummy: true, ...opts }));
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isWitplugError(e)) return e.code;
    return `non-witplug: ${String(e)}`;
  }
  return 'ok';
}

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return isWitplugError(e) ? `${e.code}: ${e.message}` : `non-witplug: ${String(e)}`;
  }
  return 'ok';
}

function iface(items: readonly WorldItem[], name: string): InterfaceType {
  const it = items.find((i) => i.name === name);
  if (!it || it.kind !== 'interface') throw new Error(`no interface ${name} in ${items.map((i) => i.name).join(', ')}`);
  return it.iface;
}

function func(i: InterfaceType, name: string): FuncType {
  const f = i.funcs.get(name);
  if (!f) throw new Error(`no func ${name} in ${i.name}`);
  return f;
}

const u = (kind: string): ValType => ({ kind }) as ValType;
const header: ValType = { kind: 'record', name: 'header', fields: [{ name: 'name', type: u('string') }, { name: 'values', type: { kind: 'list', element: u('string') } }] };
const method: ValType = { kind: 'enum', name: 'method', names: ['get', 'head', 'post', 'put', 'delete', 'patch', 'options'] };
const request: ValType = {
  kind: 'record',
  name: 'request',
  fields: [
    { name: 'id', type: u('u64') },
    { name: 'method', type: method },
    { name: 'path', type: u('string') },
    { name: 'query', type: { kind: 'option', type: u('string') } },
    { name: 'headers', type: { kind: 'list', element: header } },
    { name: 'body', type: { kind: 'list', element: u('u8') } },
    { name: 'client', type: { kind: 'flags', name: 'client-traits', names: ['tls', 'authenticated', 'internal', 'bot'] } },
    { name: 'received-at-ms', type: u('s64') },
  ],
};
const decision: ValType = {
  kind: 'variant',
  name: 'decision',
  cases: [
    { name: 'pass', type: null },
    { name: 'deny', type: { kind: 'record', name: 'denial', fields: [{ name: 'status', type: u('u16') }, { name: 'reason', type: u('string') }] } },
    { name: 'redirect', type: { kind: 'record', name: 'redirect-target', fields: [{ name: 'location', type: u('string') }, { name: 'permanent', type: u('bool') }] } },
  ],
};
const response: ValType = {
  kind: 'record',
  name: 'response',
  fields: [
    { name: 'status', type: u('u16') },
    { name: 'headers', type: { kind: 'list', element: header } },
    { name: 'body', type: { kind: 'list', element: u('u8') } },
    { name: 'cache', type: { kind: 'flags', name: 'cache-flags', names: ['no-store', 'private', 'immutable'] } },
  ],
};

describe('decodeComponent: gateway-plugin world', () => {
  let bytes: Uint8Array;
  let d: DecodedComponent;
  beforeAll(async () => {
    bytes = await typeOnly({ witPath: WIT_DIR, world: 'gateway-plugin' });
    d = decodeComponent(bytes);
  });

  it('lists imports and exports in binary order', () => {
    expect(d.shape.imports.map((i) => [i.kind, i.name])).toEqual([
      ['interface', 'witplug:host/log@0.1.0'],
      ['interface', 'witplug:host/config@0.1.0'],
      ['interface', 'witplug:gateway/types@0.1.0'],
    ]);
    expect(d.shape.exports.map((i) => [i.kind, i.name])).toEqual([
      ['interface', 'witplug:gateway/filter@0.1.0'],
      ['interface', 'witplug:gateway/shaper@0.1.0'],
      ['interface', 'witplug:gateway/observer@0.1.0'],
    ]);
  });

  it('decodes host imports', () => {
    const log = iface(d.shape.imports, 'witplug:host/log@0.1.0');
    const level = { kind: 'enum', name: 'level', names: ['trace', 'debug', 'info', 'warn', 'error'] };
    expect([...log.types]).toEqual([['level', level]]);
    expect(func(log, 'log')).toEqual({ kind: 'func', params: [{ name: 'level', type: level }, { name: 'message', type: { kind: 'string' } }], result: null });
    const config = iface(d.shape.imports, 'witplug:host/config@0.1.0');
    expect(config.types.size).toBe(0);
    expect(func(config, 'get')).toEqual({ kind: 'func', params: [{ name: 'key', type: { kind: 'string' } }], result: { kind: 'option', type: { kind: 'string' } } });
    expect(func(config, 'keys')).toEqual({ kind: 'func', params: [], result: { kind: 'list', element: { kind: 'string' } } });
  });

  it('decodes the types-only import with every named type', () => {
    const types = iface(d.shape.imports, 'witplug:gateway/types@0.1.0');
    expect([...types.types.keys()]).toEqual(['method', 'header', 'client-traits', 'request', 'denial', 'redirect-target', 'decision', 'cache-flags', 'response']);
    expect(types.funcs.size).toBe(0);
    expect(types.types.get('request')).toEqual(request);
    expect(types.types.get('decision')).toEqual(decision);
    expect(types.types.get('response')).toEqual(response);
  });

  it('resolves exported interfaces through the nested shim components', () => {
    const filter = iface(d.shape.exports, 'witplug:gateway/filter@0.1.0');
    expect([...filter.types.keys()]).toEqual(['request', 'decision']);
    expect(func(filter, 'check')).toEqual({ kind: 'func', params: [{ name: 'req', type: request }], result: decision });
    const shaper = iface(d.shape.exports, 'witplug:gateway/shaper@0.1.0');
    expect(func(shaper, 'shape')).toEqual({ kind: 'func', params: [{ name: 'req', type: request }, { name: 'resp', type: response }], result: response });
    const observer = iface(d.shape.exports, 'witplug:gateway/observer@0.1.0');
    expect(func(observer, 'observe')).toEqual({
      kind: 'func',
      params: [{ name: 'req', type: request }, { name: 'status', type: u('u16') }, { name: 'latency-ns', type: u('u64') }],
      result: null,
    });
  });

  it('keeps custom sections, producers and core module locations', () => {
    expect(d.customSections.map((s) => s.name)).toContain('producers');
    expect(d.producers?.['processed-by']?.['wit-component']).toMatch(/^\d+\.\d+\.\d+/);
    expect(d.coreModules.length).toBeGreaterThanOrEqual(1);
    for (const m of d.coreModules) {
      expect([...bytes.subarray(m.offset, m.offset + 8)]).toEqual([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
      expect(m.offset + m.size).toBeLessThanOrEqual(bytes.length);
    }
  });

  it('prints WIT', () => {
    const filter = iface(d.shape.exports, 'witplug:gateway/filter@0.1.0');
    expect(printFuncType(func(filter, 'check'))).toBe('func(req: request) -> decision');
    const types = iface(d.shape.imports, 'witplug:gateway/types@0.1.0');
    const text = printInterface(types);
    expect(text).toContain('record request { id: u64, method: method, path: string, query: option<string>, headers: list<header>, body: list<u8>, client: client-traits, received-at-ms: s64 }');
    expect(text).toContain('variant decision { pass, deny(denial), redirect(redirect-target) }');
    expect(text).toContain('flags cache-flags { no-store, private, immutable }');
    expect(printShape(d.shape, 'gateway-plugin')).toMatch(/^world gateway-plugin \{\n {2}import witplug:host\/log@0\.1\.0: interface \{/);
    expect(printValType({ kind: 'result', ok: u('u32'), err: u('string') })).toBe('result<u32, string>');
    expect(printValType({ kind: 'result', ok: null, err: u('string') })).toBe('result<_, string>');
    expect(printValType({ kind: 'list', element: u('u8'), length: 4 })).toBe('list<u8, 4>');
  });

  it('fingerprints equal structures equally and different structures differently', () => {
    const filter = iface(d.shape.exports, 'witplug:gateway/filter@0.1.0');
    const same: InterfaceType = { kind: 'interface', name: 'other:name/x@9.0.0', types: new Map(filter.types), funcs: new Map(filter.funcs) };
    expect(fingerprintInterface(filter)).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprintInterface(same)).toBe(fingerprintInterface(filter));
    // Record type names are not part of the fingerprint...
    const renamed: ValType = { ...(request as { kind: 'record' }), name: 'req2' } as ValType;
    const f2: InterfaceType = { ...filter, types: new Map([['request', renamed], ['decision', decision]]), funcs: new Map([['check', { kind: 'func', params: [{ name: 'req', type: renamed }], result: decision }]]) };
    expect(fingerprintInterface(f2)).toBe(fingerprintInterface(filter));
    // ...parameter names are.
    const f3: InterfaceType = { ...filter, funcs: new Map([['check', { kind: 'func', params: [{ name: 'request', type: request }], result: decision }]]) };
    expect(fingerprintInterface(f3)).not.toBe(fingerprintInterface(filter));
    const observer = iface(d.shape.exports, 'witplug:gateway/observer@0.1.0');
    expect(fingerprintInterface(observer)).not.toBe(fingerprintInterface(filter));
  });

  it('never lets a non-Witplug error escape on any truncation of the binary', () => {
    let malformed = 0;
    for (let n = 0; n < bytes.length; n++) {
      const code = codeOf(() => decodeComponent(bytes.subarray(0, n)));
      expect(['ok', 'MALFORMED'], `prefix ${n}`).toContain(code);
      if (code === 'MALFORMED') malformed++;
    }
    expect(malformed).toBeGreaterThan(bytes.length * 0.9);
  });

  it('never lets a non-Witplug error escape on random byte corruption', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
        const copy = Uint8Array.from(bytes);
        for (const [i, b] of edits) copy[8 + (i % (copy.length - 8))] = b;
        // UNSUPPORTED: a corrupted byte can spell a well-formed `map<K, V>` type.
        expect(['ok', 'MALFORMED', 'UNSUPPORTED']).toContain(codeOf(() => decodeComponent(copy)));
      }),
      { numRuns: 2000 },
    );
  });
});

const RES_WIT = `package test:res@1.0.0;
interface store {
  resource blob {
    constructor(init: list<u8>);
    write: func(bytes: list<u8>);
    merge: static func(lhs: borrow<blob>, rhs: own<blob>) -> blob;
  }
  consume: func(b: blob) -> result<u32, string>;
}
interface user {
  use store.{blob};
  take: func(b: borrow<blob>) -> option<blob>;
}
world w {
  import store;
  export store;
  export user;
  export hello: func(name: string, n: tuple<u8, char>) -> string;
}`;

describe('decodeComponent: resources and world-level functions', () => {
  let d: DecodedComponent;
  beforeAll(async () => {
    d = decodeComponent(await typeOnly({ witSource: RES_WIT, world: 'w' }));
  });

  it('gives resources their name and interface, shared by identity', () => {
    const imported = iface(d.shape.imports, 'test:res/store@1.0.0');
    const exported = iface(d.shape.exports, 'test:res/store@1.0.0');
    const user = iface(d.shape.exports, 'test:res/user@1.0.0');
    const ib = imported.types.get('blob') as ResourceType;
    const eb = exported.types.get('blob') as ResourceType;
    expect(ib).toEqual({ kind: 'resource', name: 'blob', interfaceName: 'test:res/store@1.0.0' });
    expect(eb).toEqual({ kind: 'resource', name: 'blob', interfaceName: 'test:res/store@1.0.0' });
    expect(ib).not.toBe(eb); // imported and exported blob are different types
    expect(user.types.get('blob')).toBe(eb); // `use store.{blob}` in an export refers to the exported one
    const take = func(user, 'take');
    expect(take.params[0]!.type).toEqual({ kind: 'borrow', resource: eb });
    expect((take.params[0]!.type as { resource: ResourceType }).resource).toBe(eb);
    expect(take.result).toEqual({ kind: 'option', type: { kind: 'own', resource: eb } });
  });

  it('decodes constructors, methods and statics', () => {
    for (const i of [iface(d.shape.imports, 'test:res/store@1.0.0'), iface(d.shape.exports, 'test:res/store@1.0.0')]) {
      const blob = i.types.get('blob') as ResourceType;
      expect([...i.funcs.keys()]).toEqual(['[constructor]blob', '[method]blob.write', '[static]blob.merge', 'consume']);
      expect(func(i, '[constructor]blob')).toEqual({ kind: 'func', params: [{ name: 'init', type: { kind: 'list', element: u('u8') } }], result: { kind: 'own', resource: blob } });
      expect(func(i, '[method]blob.write').params.map((p) => [p.name, p.type.kind])).toEqual([['self', 'borrow'], ['bytes', 'list']]);
      expect(printFuncType(func(i, '[static]blob.merge'))).toBe('func(lhs: borrow<blob>, rhs: blob) -> blob');
      expect(printFuncType(func(i, 'consume'))).toBe('func(b: blob) -> result<u32, string>');
    }
    const text = printInterface(iface(d.shape.exports, 'test:res/store@1.0.0'));
    expect(text).toContain('  resource blob {\n    constructor(init: list<u8>);\n    write: func(bytes: list<u8>);\n    merge: static func(lhs: borrow<blob>, rhs: blob) -> blob;\n  }');
  });

  it('decodes world-level exported functions', () => {
    expect(printShape(d.shape, 'w')).toContain('\n  export hello: func(name: string, n: tuple<u8, char>) -> string;\n');
    const hello = d.shape.exports.find((e) => e.name === 'hello');
    expect(hello).toEqual({
      kind: 'func',
      name: 'hello',
      func: { kind: 'func', params: [{ name: 'name', type: u('string') }, { name: 'n', type: { kind: 'tuple', types: [u('u8'), u('char')] } }], result: u('string') },
    });
  });
});

describe('decodeComponent: other constructs', () => {
  it('decodes fixed-length lists', async () => {
    const src = 'package t:f;\ninterface i { f: func(x: list<u32, 4>) -> list<list<u8, 2>>; }\nworld w { export i; }';
    const bytes = await typeOnly({ witSource: src, world: 'w' });
    const f = func(iface(decodeComponent(bytes).shape.exports, 't:f/i'), 'f');
    expect(f.params[0]!.type).toEqual({ kind: 'list', element: u('u32'), length: 4 });
    expect(printFuncType(f)).toBe('func(x: list<u32, 4>) -> list<list<u8, 2>>');
  });

  it('handles outer aliases, type imports, inline instances, component types and export ascriptions', async () => {
    const bytes = await parse(`(component
      (type $pt (record (field "x" u32) (field "y" u32)))
      (import "point" (type $point (eq $pt)))
      (type $it (instance
        (alias outer 1 $point (type $p))
        (export "pt" (type (eq $p)))
        (export "thing" (type $th (sub resource)))
        (type $own (own $th))
        (type $f (func (param "p" 1) (result $own)))
        (export "make" (func (type $f)))))
      (import "a:b/i@1.0.0" (instance $i (type $it)))
      (alias export $i "make" (func $make))
      (alias export $i "thing" (type $thing))
      (type $ct (component (import "t" (type (sub resource))) (export "g" (func (param "v" bool)))))
      (import "comp" (component $c (type $ct)))
      (component $shim
        (import "t" (type $t (sub resource)))
        (import "f" (func $f (param "p" $point) (result (own $t))))
        (alias outer 1 $point (type $p2))
        (export $e "pt2" (type $p2))
        (type $own2 (own $t))
        (export "thing" (type $t))
        (export "make" (func $f) (func (param "p" $e) (result $own2))))
      (instance $si (instantiate $shim (with "t" (type $thing)) (with "f" (func $make))))
      (export "a:b/j@1.0.0" (instance $si))
      (instance $inl (export "m" (func $make)) (export "tt" (type $thing)))
      (export "inline" (instance $inl))
      (export "m2" (func $make)))`);
    const d = decodeComponent(bytes);
    expect(d.shape.imports.map((i) => [i.kind, i.name])).toEqual([['type', 'point'], ['interface', 'a:b/i@1.0.0'], ['extern', 'comp']]);
    const point = { kind: 'record', name: 'point', fields: [{ name: 'x', type: u('u32') }, { name: 'y', type: u('u32') }] };
    const i = iface(d.shape.imports, 'a:b/i@1.0.0');
    const j = iface(d.shape.exports, 'a:b/j@1.0.0');
    const thing = i.types.get('thing');
    expect(thing).toEqual({ kind: 'resource', name: 'thing', interfaceName: 'a:b/i@1.0.0' });
    expect(j.types.get('thing')).toBe(thing);
    expect(j.types.get('pt2')).toEqual(point);
    expect(func(j, 'make')).toEqual({ kind: 'func', params: [{ name: 'p', type: point }], result: { kind: 'own', resource: thing } });
    expect(iface(d.shape.exports, 'inline').types.get('tt')).toBe(thing);
    expect(d.shape.exports.map((e) => e.name)).toEqual(['a:b/j@1.0.0', 'inline', 'm2']);
  });
});

describe('decodeComponent: bad input', () => {
  it('rejects core modules with NOT_A_COMPONENT', async () => {
    const core = await parse('(module (func (export "f")))');
    expect(codeOf(() => decodeComponent(core))).toBe('NOT_A_COMPONENT');
  });

  it('rejects empty, truncated and garbage input with MALFORMED and an offset', () => {
    for (const b of [new Uint8Array(0), Uint8Array.of(0, 0x61, 0x73), Uint8Array.from(Buffer.from('hello world, not wasm')), Uint8Array.of(0, 0x61, 0x73, 0x6d, 0x0e, 0, 1, 0)]) {
      expect(codeOf(() => decodeComponent(b))).toBe('MALFORMED');
    }
    try {
      decodeComponent(Uint8Array.of(0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0, 7, 5, 1));
      expect.unreachable();
    } catch (e) {
      expect(isWitplugError(e) && e.code).toBe('MALFORMED');
      expect(String((e as Error).message)).toMatch(/byte offset \d+/);
    }
  });

  const pre = [0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0];
  const leb = (n: number): number[] => {
    const out: number[] = [];
    do {
      let b = n & 0x7f;
      n = Math.floor(n / 128);
      if (n) b |= 0x80;
      out.push(b);
    } while (n);
    return out;
  };
  const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
  /** Type indices in `valtype` position are s33: signed LEB128. */
  const sleb = (n: number): number[] => {
    const out: number[] = [];
    for (;;) {
      const b = n & 0x7f;
      n = Math.floor(n / 128);
      if (n === 0 && (b & 0x40) === 0) return [...out, b];
      out.push(b | 0x80);
    }
  };

  it('rejects a hostile vector length without allocating', () => {
    // type section claiming 2^32-1 entries
    const b = Uint8Array.from([...pre, ...section(7, [0xff, 0xff, 0xff, 0xff, 0x0f])]);
    expect(messageOf(() => decodeComponent(b))).toMatch(/MALFORMED: .*vector length 4294967295 exceeds/);
  });

  it('rejects overlong and overflowing LEB128', () => {
    expect(codeOf(() => new Reader(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x00)).u32())).toBe('MALFORMED');
    expect(codeOf(() => new Reader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x1f)).u32())).toBe('MALFORMED');
    expect(new Reader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f)).u32()).toBe(0xffffffff);
    expect(new Reader(Uint8Array.of(0x7f)).s32()).toBe(-1);
    expect(new Reader(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x78)).s32()).toBe(-(2 ** 31));
    expect(codeOf(() => new Reader(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x70)).s32())).toBe('MALFORMED');
    expect(codeOf(() => new Reader(Uint8Array.of(2, 0xc3, 0x28)).name())).toBe('MALFORMED');
  });

  it('rejects deeply nested and exponentially large types', () => {
    // list<list<...<u8>>> 1000 deep: type i = list<type i-1>
    const deep: number[] = [...leb(1000), 0x70, 0x7d];
    for (let i = 1; i < 1000; i++) deep.push(0x70, ...sleb(i - 1));
    expect(messageOf(() => decodeComponent(Uint8Array.from([...pre, ...section(7, deep)])))).toMatch(/MALFORMED: .*type nesting deeper than 100/);
    // ...while 90 levels are fine
    const ok: number[] = [...leb(90), 0x70, 0x7d];
    for (let i = 1; i < 90; i++) ok.push(0x70, ...sleb(i - 1));
    expect(codeOf(() => decodeComponent(Uint8Array.from([...pre, ...section(7, ok)])))).toBe('ok');
    // type i = tuple<i-1, i-1>: size doubles each step
    const wide: number[] = [...leb(60), 0x6f, 1, 0x7d];
    for (let i = 1; i < 60; i++) wide.push(0x6f, 2, ...sleb(i - 1), ...sleb(i - 1));
    expect(messageOf(() => decodeComponent(Uint8Array.from([...pre, ...section(7, wide)])))).toMatch(/MALFORMED: .*type larger than/);
  });

  it('rejects deeply nested components without overflowing the stack', () => {
    let inner: number[] = [...pre];
    for (let i = 0; i < 400; i++) inner = [...pre, ...section(4, inner)];
    expect(messageOf(() => decodeComponent(Uint8Array.from(inner)))).toMatch(/MALFORMED: .*nested deeper than 100/);
  });

  it('decodes repeated instantiation of nested components in linear work', () => {
    // Component k instantiates component k-1 eight times, 12 levels: 8^12 evaluations when each
    // instantiation re-reads the nested body; one evaluation per body when it is substituted.
    let comp: number[] = [...pre];
    for (let level = 0; level < 12; level++) {
      const inst: number[] = [8];
      for (let i = 0; i < 8; i++) inst.push(0x00, 0x00, 0x00);
      comp = [...pre, ...section(4, comp), ...section(5, inst)];
    }
    const { work } = decodeCounted(Uint8Array.from(comp));
    expect(work).toBeLessThanOrEqual(4 * comp.length);
  });
});

describe('loadContract', () => {
  it('loads the gateway world from the wit directory and caches it', async () => {
    const c = await loadContract(WIT_DIR, 'gateway-plugin');
    expect(c.world).toBe('gateway-plugin');
    expect(c.shape.imports.map((i) => i.name).sort()).toEqual(['witplug:gateway/types@0.1.0', 'witplug:host/config@0.1.0', 'witplug:host/log@0.1.0']);
    expect(func(iface(c.shape.exports, 'witplug:gateway/filter@0.1.0'), 'check')).toEqual({ kind: 'func', params: [{ name: 'req', type: request }], result: decision });
    expect(await loadContract(WIT_DIR, 'gateway-plugin')).toBe(c);
  });

  it('reports a missing path as NOT_FOUND', async () => {
    await expect(loadContract('/nonexistent/witplug.wit', 'w')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('reports an unknown world and WIT syntax errors as CONTRACT, with file:line:column and no stack', async () => {
    await expect(loadContract(WIT_DIR, 'no-such-world')).rejects.toMatchObject({ code: 'CONTRACT', message: expect.stringMatching(/no-such-world/) });
    const dir = mkdtempSync(join(tmpdir(), 'witplug-wit-'));
    writeFileSync(join(dir, 'a.wit'), 'package a:b;\ninterface x { f: func( -> u32; }\nworld w { export x; }\n');
    const err = await loadContract(dir, 'w').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONTRACT' });
    expect((err as Error).message).toMatch(/a\.wit:2:\d+: expected/);
    expect((err as Error).message).not.toMatch(/\n\s+at /);
    // A single file works too, and a fixed file reloads (content hash in the cache key).
    writeFileSync(join(dir, 'a.wit'), 'package a:b;\ninterface x { f: func() -> u32; }\nworld w { export x; }\n');
    const c = await loadContract(join(dir, 'a.wit'), 'w');
    expect(printFuncType(func(iface(c.shape.exports, 'a:b/x'), 'f'))).toBe('func() -> u32');
  });
});
