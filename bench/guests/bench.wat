;; Benchmark guest for `npm run bench`: a core module whose exports follow the
;; canonical ABI for bench.wit's `bench:shapes/shapes@0.1.0` by hand, so the
;; same module can be called raw (WebAssembly only), through jco's bindings and
;; through witplug. Guest-side work is kept tiny so the figures are host cost.
;;
;; Memory map:
;;   16..32      return area (echo: ptr,len; check: decision, 16 bytes)
;;   64..        constant strings
;;   256..1024   counter resource slots (rep = slot address), free list
;;   4096..      bump heap for cabi_realloc; reset by each export once the
;;               arguments it owns are dead (post-return or before returning)
(module
  (import "[export]bench:shapes/shapes@0.1.0" "[resource-new]counter"
    (func $resource_new (param i32) (result i32)))

  (memory (export "memory") 4)
  (global $heap (mut i32) (i32.const 4096))
  (global $counter_next (mut i32) (i32.const 256))
  (global $counter_free (mut i32) (i32.const 0))

  (data (i32.const 64) "forbidden")   ;; 64, len 9
  (data (i32.const 80) "/login")      ;; 80, len 6
  (data (i32.const 96) "bad header")  ;; 96, len 10

  (func $reset_heap (global.set $heap (i32.const 4096)))

  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $new_size i32) (result i32)
    (local $ptr i32) (local $end i32) (local $have i32)
    (local.set $ptr
      (i32.and
        (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end (i32.add (local.get $ptr) (local.get $new_size)))
    (local.set $have (i32.shl (memory.size) (i32.const 16)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow (i32.shr_u (i32.add (i32.sub (local.get $end) (local.get $have)) (i32.const 65535)) (i32.const 16)))
              (i32.const -1))
          (then unreachable))))
    (global.set $heap (local.get $end))
    (if (local.get $old)
      (then
        (memory.copy (local.get $ptr) (local.get $old)
          (select (local.get $old_size) (local.get $new_size) (i32.lt_u (local.get $old_size) (local.get $new_size))))))
    (local.get $ptr))

  ;; noop: func()
  (func (export "bench:shapes/shapes@0.1.0#noop"))

  ;; add: func(a: u32, b: u32) -> u32
  (func (export "bench:shapes/shapes@0.1.0#add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))

  ;; echo: func(s: string) -> string — returns the argument buffer itself; the
  ;; post-return frees it (heap reset).
  (func (export "bench:shapes/shapes@0.1.0#echo") (param $p i32) (param $len i32) (result i32)
    (i32.store (i32.const 16) (local.get $p))
    (i32.store (i32.const 20) (local.get $len))
    (i32.const 16))
  (func (export "cabi_post_bench:shapes/shapes@0.1.0#echo") (param i32)
    (call $reset_heap))

  ;; sum-bytes: func(data: list<u8>) -> u32 — 16 bytes per step (SIMD), then
  ;; the tail byte by byte; frees the argument before returning.
  (func (export "bench:shapes/shapes@0.1.0#sum-bytes") (param $p i32) (param $len i32) (result i32)
    (local $end i32) (local $vend i32) (local $acc v128) (local $sum i32)
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (local.set $vend (i32.add (local.get $p) (i32.and (local.get $len) (i32.const -16))))
    (local.set $acc (v128.const i32x4 0 0 0 0))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $p) (local.get $vend)))
        (local.set $acc
          (i32x4.add (local.get $acc)
            (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.load (local.get $p))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vec)))
    (local.set $sum
      (i32.add
        (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
        (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $sum (i32.add (local.get $sum) (i32.load8_u (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $tail)))
    (call $reset_heap)
    (local.get $sum))

  ;; check: func(req: request) -> decision
  ;; request flattens to 13 core params (≤ 16): id i64, method, path(ptr,len),
  ;; query(disc,ptr,len), headers(ptr,len), body(ptr,len), client flags, received-at-ms i64.
  ;; decision (size 16, align 4) is written to the return area at 16:
  ;;   +0 u8 case; deny: +4 u16 status, +8 reason ptr, +12 len;
  ;;   redirect: +4 location ptr, +8 len, +12 u8 permanent.
  ;; Rules: an empty header name -> deny 400; path starting "/admin" without the
  ;; `authenticated` flag (bit 1) -> deny 403; method delete -> redirect /login; else pass.
  (func (export "bench:shapes/shapes@0.1.0#check")
    (param $id i64) (param $method i32) (param $path i32) (param $path_len i32)
    (param $q_some i32) (param $q i32) (param $q_len i32)
    (param $hdrs i32) (param $hdr_count i32) (param $body i32) (param $body_len i32)
    (param $client i32) (param $at i64) (result i32)
    (local $h i32) (local $hend i32)
    (local.set $h (local.get $hdrs))
    (local.set $hend (i32.add (local.get $hdrs) (i32.shl (local.get $hdr_count) (i32.const 4))))
    (block $scanned
      (loop $scan
        (br_if $scanned (i32.ge_u (local.get $h) (local.get $hend)))
        (if (i32.eqz (i32.load offset=4 (local.get $h)))
          (then
            (call $deny (i32.const 400) (i32.const 96) (i32.const 10))
            (return (i32.const 16))))
        (local.set $h (i32.add (local.get $h) (i32.const 16)))
        (br $scan)))
    (if (i32.and
          (i32.and
            (i32.ge_u (local.get $path_len) (i32.const 6))
            (i32.and
              (i32.eq (i32.load (local.get $path)) (i32.const 0x6d64612f))              ;; "/adm"
              (i32.eq (i32.load16_u offset=4 (local.get $path)) (i32.const 0x6e69)))) ;; "in"
          (i32.eqz (i32.and (local.get $client) (i32.const 2))))
      (then
        (call $deny (i32.const 403) (i32.const 64) (i32.const 9))
        (return (i32.const 16))))
    (if (i32.eq (local.get $method) (i32.const 4))
      (then
        (i32.store8 (i32.const 16) (i32.const 2))
        (i32.store (i32.const 20) (i32.const 80))
        (i32.store (i32.const 24) (i32.const 6))
        (i32.store8 (i32.const 28) (i32.const 0))
        (return (i32.const 16))))
    (i32.store8 (i32.const 16) (i32.const 0))
    (i32.const 16))
  (func $deny (param $status i32) (param $reason i32) (param $len i32)
    (i32.store8 (i32.const 16) (i32.const 1))
    (i32.store16 (i32.const 20) (local.get $status))
    (i32.store (i32.const 24) (local.get $reason))
    (i32.store (i32.const 28) (local.get $len)))
  (func (export "cabi_post_bench:shapes/shapes@0.1.0#check") (param i32)
    (call $reset_heap))

  ;; resource counter: rep = address of a 4-byte slot in 256..1024.
  (func (export "bench:shapes/shapes@0.1.0#[constructor]counter") (param $start i32) (result i32)
    (local $rep i32)
    (if (global.get $counter_free)
      (then
        (local.set $rep (global.get $counter_free))
        (global.set $counter_free (i32.load (local.get $rep))))
      (else
        (if (i32.ge_u (global.get $counter_next) (i32.const 1024)) (then unreachable))
        (local.set $rep (global.get $counter_next))
        (global.set $counter_next (i32.add (global.get $counter_next) (i32.const 4)))))
    (i32.store (local.get $rep) (local.get $start))
    (call $resource_new (local.get $rep)))
  (func (export "bench:shapes/shapes@0.1.0#[method]counter.incr") (param $self i32) (param $by i32) (result i32)
    (local $v i32)
    (local.set $v (i32.add (i32.load (local.get $self)) (local.get $by)))
    (i32.store (local.get $self) (local.get $v))
    (local.get $v))
  (func (export "bench:shapes/shapes@0.1.0#[dtor]counter") (param $rep i32)
    (i32.store (local.get $rep) (global.get $counter_free))
    (global.set $counter_free (local.get $rep)))
)
