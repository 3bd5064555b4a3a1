/**
 * A WAT plugin for the re-entrance and fault-attribution tests, built at
 * test time. Its `cabi_realloc` misbehaves on request (`set-mode`): 1 traps,
 * 2 returns a pointer outside memory, 3 loops forever, 4 calls the host's
 * `poke` once, 5 calls `poke` forever. Its exports call the host (`call-host`,
 * `spin-host`, `ask-name`), loop (`spin`), count calls (`count`: a fresh
 * instance answers 1), and keep resource handles in its table (`hoard`).
 */
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';

export const HOST = 'test:reent/host';
export const API = 'test:reent/api@0.1.0';

export const WIT = `package test:reent@0.1.0;
interface host {
  poke: func(n: u32) -> u32;
  name: func() -> string;
}
interface api {
  resource thing {
    constructor();
    get: func() -> u32;
  }
  count: func() -> u32;
  call-host: func(n: u32) -> u32;
  echo: func(s: string) -> u32;
  set-mode: func(m: u32);
  spin: func();
  spin-host: func();
  hoard: func(n: u32) -> u32;
  ask-name: func() -> u32;
}
world w { import host; export api; }
`;

export const WAT = `(module
  (import "${HOST}@0.1.0" "poke" (func $poke (param i32) (result i32)))
  (import "${HOST}@0.1.0" "name" (func $name (param i32)))
  (import "[export]${API}" "[resource-new]thing" (func $new (param i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (global $mode (mut i32) (i32.const 0))
  (global $count (mut i32) (i32.const 0))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (local $p i32)
    (if (i32.eq (global.get $mode) (i32.const 1)) (then unreachable))
    (if (i32.eq (global.get $mode) (i32.const 2)) (then (return (i32.const -16))))
    (if (i32.eq (global.get $mode) (i32.const 3)) (then (loop $l (br $l))))
    (if (i32.eq (global.get $mode) (i32.const 4)) (then (drop (call $poke (i32.const 4)))))
    (if (i32.eq (global.get $mode) (i32.const 5)) (then (loop $l (drop (call $poke (i32.const 5))) (br $l))))
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1))) (i32.sub (i32.const 0) (local.get 2))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  (func (export "${API}#count") (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.get $count))
  (func (export "${API}#call-host") (param i32) (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (call $poke (local.get 0)))
  (func (export "${API}#echo") (param i32 i32) (result i32)
    (global.set $heap (i32.const 1024))
    (local.get 1))
  (func (export "${API}#set-mode") (param i32) (global.set $mode (local.get 0)))
  (func (export "${API}#spin") (loop $l (br $l)))
  (func (export "${API}#spin-host") (loop $l (drop (call $poke (i32.const 1))) (br $l)))
  (func (export "${API}#hoard") (param $n i32) (result i32) (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (drop (call $new (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $i))
  (func (export "${API}#ask-name") (result i32)
    (call $name (i32.const 16))
    (i32.load offset=4 (i32.const 16)))
  (func (export "${API}#[constructor]thing") (result i32) (call $new (i32.const 42)))
  (func (export "${API}#[method]thing.get") (param i32) (result i32) (local.get 0))
  (func (export "${API}#[dtor]thing") (param i32))
)`;

export async function buildAttributionGuest(): Promise<Uint8Array> {
  return componentNew(await componentEmbed({ binary: await parse(WAT), witSource: WIT, world: 'w' }));
}
