/**
 * Resources the host provides (imported by the plugin), through the
 * generated call path in both directions: the host passes its objects into
 * hooks (borrow and own), the plugin calls their constructor, methods and
 * statics back on the host, and drops what it owns.
 *
 * Host convention: a resource value is any object of the host's; its
 * functions are implemented under their canonical names (`[constructor]ctx`,
 * `[method]ctx.get`, `[static]ctx.make`), plus an optional
 * `[resource-drop]ctx` callback.
 */
import { pluginInternals } from '../src/runtime/instance/plugin.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { loadPlugin, type Plugin } from '../src/runtime/load/load-plugin.js';
import { CompileCache } from '../src/compile/cache.js';
import { WitplugError } from '../src/errors.js';

const H = 'test:res/host-api@0.1.0';
const X = 'test:res/hooks@0.1.0';

const WIT = `package test:res@0.1.0;
interface host-api {
  resource ctx {
    constructor(name: string);
    get: func(key: string) -> option<string>;
    name: func() -> string;
    make: static func(n: u32) -> ctx;
  }
  describe: func(c: borrow<ctx>) -> string;
}
interface hooks {
  use host-api.{ctx};
  handle: func(c: borrow<ctx>, key: string) -> option<string>;
  take: func(c: ctx) -> string;
  create: func(name: string) -> ctx;
  make: func(n: u32) -> ctx;
  describe: func(c: borrow<ctx>) -> string;
  bad: func() -> string;
  peek: func(c: borrow<ctx>) -> u32;
}
world w { import host-api; export hooks; }
`;

const WAT = `(module
  (import "${H}" "[constructor]ctx" (func $ctor (param i32 i32) (result i32)))
  (import "${H}" "[method]ctx.get" (func $get (param i32 i32 i32 i32)))
  (import "${H}" "[method]ctx.name" (func $name (param i32 i32)))
  (import "${H}" "[static]ctx.make" (func $make (param i32) (result i32)))
  (import "${H}" "[resource-drop]ctx" (func $drop (param i32)))
  (import "${H}" "describe" (func $describe (param i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1))) (i32.sub (i32.const 0) (local.get 2))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  ;; handle(c: borrow<ctx>, key) -> option<string>: ask the host, drop the borrow, return its answer.
  (func (export "${X}#handle") (param $c i32) (param $k i32) (param $kl i32) (result i32)
    (call $get (local.get $c) (local.get $k) (local.get $kl) (i32.const 64))
    (call $drop (local.get $c))
    (i32.const 64))
  ;; take(c: own<ctx>) -> string: read its name, drop it (the host sees the drop).
  (func (export "${X}#take") (param $c i32) (result i32)
    (call $name (local.get $c) (i32.const 64))
    (call $drop (local.get $c))
    (i32.const 64))
  (func (export "${X}#create") (param $p i32) (param $l i32) (result i32)
    (call $ctor (local.get $p) (local.get $l)))
  (func (export "${X}#make") (param $n i32) (result i32)
    (call $make (local.get $n)))
  ;; describe(c: borrow<ctx>) -> string: forwards to the host's describe (a borrow passed on), keeps no handle.
  (func (export "${X}#describe") (param $c i32) (result i32)
    (call $describe (local.get $c) (i32.const 64))
    (call $drop (local.get $c))
    (i32.const 64))
  ;; peek(c: borrow<ctx>) -> u32: returns the handle number and does not drop the borrow.
  (func (export "${X}#peek") (param i32) (result i32) (local.get 0))
  ;; bad() -> string: calls a method with a handle it was never given.
  (func (export "${X}#bad") (result i32)
    (call $name (i32.const 999) (i32.const 64))
    (i32.const 64))
  (func (export "cabi_post_${X}#handle") (param i32) (global.set $heap (i32.const 1024)))
  (func (export "cabi_post_${X}#take") (param i32) (global.set $heap (i32.const 1024)))
  (func (export "cabi_post_${X}#describe") (param i32) (global.set $heap (i32.const 1024)))
)`;

class Ctx {
  readonly data = new Map([['a', 'alpha']]);
  constructor(readonly name: string) {}
}

const dropped: string[] = [];
const described: Ctx[] = [];
const host = {
  'test:res/host-api': {
    '[constructor]ctx': (name: string) => new Ctx(name),
    '[method]ctx.get': (self: Ctx, key: string) => self.data.get(key) ?? null,
    '[method]ctx.name': (self: Ctx) => self.name,
    '[static]ctx.make': (n: number) => new Ctx(`made-${n}`),
    '[resource-drop]ctx': (self: Ctx) => void dropped.push(self.name),
    describe: (c: Ctx) => (described.push(c), `ctx(${c.name})`),
  },
};

let plugin: Plugin;
beforeAll(async () => {
  const bytes = await componentNew(await componentEmbed({ binary: await parse(WAT), witSource: WIT, world: 'w' }));
  plugin = await loadPlugin(bytes, { name: 'host-res', cache: new CompileCache(null), host, log: () => {} });
}, 60_000);

describe('host resources', () => {
  it('are called through the generated path, not jco', () => {
    for (const f of ['handle', 'take', 'create', 'make', 'describe']) expect(pluginInternals(plugin).fastFn(`hooks#${f}`), f).not.toBeNull();
  });

  it('borrow<ctx> into a hook: the plugin calls a method on the very object the host passed', () => {
    const c = new Ctx('req-1');
    expect(plugin.call('hooks#handle', [c, 'a'])).toBe('alpha');
    expect(plugin.call('hooks#handle', [c, 'missing'])).toBeNull();
  });

  it('a borrow the plugin passes on to another host function arrives as the same object', () => {
    const c = new Ctx('passed-on');
    expect(plugin.call('hooks#describe', [c])).toBe('ctx(passed-on)');
    expect(described.at(-1)).toBe(c);
  });

  it('own<ctx> into a hook: the plugin owns it, and its drop reaches the host', () => {
    expect(plugin.call('hooks#take', [new Ctx('owned')])).toBe('owned');
    expect(dropped).toContain('owned');
  });

  it('the plugin constructs (constructor, static) and returns own<ctx>: the host gets its own object back', () => {
    const made = plugin.call('hooks#create', ['fresh']);
    expect(made).toBeInstanceOf(Ctx);
    expect((made as Ctx).name).toBe('fresh');
    expect((plugin.call('hooks#make', [7]) as Ctx).name).toBe('made-7');
  });

  it('a borrow the plugin does not drop is released when the call returns: its handle number is reused', () => {
    const c = new Ctx('loop');
    const first = plugin.call('hooks#peek', [c]);
    expect(typeof first).toBe('number');
    for (let i = 0; i < 1000; i++) expect(plugin.call('hooks#peek', [c])).toBe(first);
  });

  it('a value that is not an object is TYPE_MISMATCH; a forged handle from the plugin is TRAP', () => {
    try {
      plugin.call('hooks#handle', [null, 'a']);
      expect.unreachable();
    } catch (e) {
      expect((e as WitplugError).code).toBe('TYPE_MISMATCH');
      expect((e as WitplugError).message).toMatch(/param c: expected a test:res\/host-api@0.1.0#ctx/);
    }
    try {
      plugin.call('hooks#bad', []);
      expect.unreachable();
    } catch (e) {
      expect((e as WitplugError).code).toBe('TRAP');
      expect((e as WitplugError).message).toMatch(/invalid .*ctx handle 999/);
    }
    expect(plugin.call('hooks#handle', [new Ctx('after'), 'a'])).toBe('alpha');
  });
});
