;; Extism baseline plugin for `npm run bench`: the same shapes as bench.wat over
;; the extism:host/env ABI, written the way the Extism PDKs do it: the input is
;; copied into guest memory with input_load_u64 (+ input_load_u8 for the tail),
;; the output is copied out with alloc + store_u64 (+ store_u8) + output_set.
;;   noop:      no input, no output
;;   add:       8 bytes in (two u32 LE) -> 4 bytes out (u32 LE)
;;   echo:      bytes in -> the same bytes out
;;   sum_bytes: bytes in -> 4 bytes out (u32 LE sum)
;;   check:     JSON request in -> JSON decision out. A real PDK would run a JSON
;;              parser (serde_json etc.); this guest only scans for three
;;              substrings, so the Extism figure is a lower bound.
(module
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))

  (memory (export "memory") 2)

  ;; needles
  (data (i32.const 64) "\"path\":\"/admin")          ;; 64, len 14
  (data (i32.const 96) "\"authenticated\":true")     ;; 96, len 20
  (data (i32.const 128) "\"method\":\"delete\"")     ;; 128, len 17
  ;; outputs
  (data (i32.const 160) "{\"tag\":\"deny\",\"val\":{\"status\":403,\"reason\":\"forbidden\"}}") ;; 160, len 56
  (data (i32.const 224) "{\"tag\":\"redirect\",\"val\":{\"location\":\"/login\",\"permanent\":false}}") ;; 224, len 64
  (data (i32.const 320) "{\"tag\":\"pass\"}")        ;; 320, len 14

  ;; Copies the whole input to guest memory at 4096 (growing it); returns the length.
  (func $load_input (result i32)
    (local $len i32) (local $i i32) (local $words i32) (local $need i32)
    (local.set $len (i32.wrap_i64 (call $input_length)))
    (local.set $need (i32.add (i32.const 4096) (local.get $len)))
    (if (i32.gt_u (local.get $need) (i32.shl (memory.size) (i32.const 16)))
      (then (drop (memory.grow
        (i32.shr_u (i32.add (i32.sub (local.get $need) (i32.shl (memory.size) (i32.const 16))) (i32.const 65535)) (i32.const 16))))))
    (local.set $words (i32.and (local.get $len) (i32.const -8)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $words)))
      (i64.store offset=4096 (local.get $i) (call $input_load_u64 (i64.extend_i32_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $l)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $len)))
      (i32.store8 offset=4096 (local.get $i) (call $input_load_u8 (i64.extend_i32_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $len))

  ;; Copies guest bytes [p, p+len) to a fresh Extism block and makes it the output.
  (func $output (param $p i32) (param $len i32)
    (local $off i64) (local $i i32) (local $words i32)
    (local.set $off (call $alloc (i64.extend_i32_u (local.get $len))))
    (local.set $words (i32.and (local.get $len) (i32.const -8)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $words)))
      (call $store_u64 (i64.add (local.get $off) (i64.extend_i32_u (local.get $i)))
        (i64.load (i32.add (local.get $p) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $l)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $len)))
      (call $store_u8 (i64.add (local.get $off) (i64.extend_i32_u (local.get $i)))
        (i32.load8_u (i32.add (local.get $p) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (call $output_set (local.get $off) (i64.extend_i32_u (local.get $len))))

  ;; 1 if needle [n, n+nlen) occurs in [h, h+hlen).
  (func $contains (param $h i32) (param $hlen i32) (param $n i32) (param $nlen i32) (result i32)
    (local $i i32) (local $j i32) (local $last i32)
    (if (i32.gt_u (local.get $nlen) (local.get $hlen)) (then (return (i32.const 0))))
    (local.set $last (i32.sub (local.get $hlen) (local.get $nlen)))
    (block $notfound (loop $outer
      (br_if $notfound (i32.gt_u (local.get $i) (local.get $last)))
      (local.set $j (i32.const 0))
      (block $mismatch (loop $inner
        (if (i32.ge_u (local.get $j) (local.get $nlen)) (then (return (i32.const 1))))
        (br_if $mismatch (i32.ne
          (i32.load8_u (i32.add (local.get $h) (i32.add (local.get $i) (local.get $j))))
          (i32.load8_u (i32.add (local.get $n) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $inner)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $outer)))
    (i32.const 0))

  (func (export "noop") (result i32) (i32.const 0))

  (func (export "add") (result i32)
    (local $x i64) (local $off i64) (local $sum i32)
    (local.set $x (call $input_load_u64 (i64.const 0)))
    (local.set $sum (i32.add (i32.wrap_i64 (local.get $x)) (i32.wrap_i64 (i64.shr_u (local.get $x) (i64.const 32)))))
    (i32.store (i32.const 0) (local.get $sum))
    (call $output (i32.const 0) (i32.const 4))
    (i32.const 0))

  (func (export "echo") (result i32)
    (call $output (i32.const 4096) (call $load_input))
    (i32.const 0))

  (func (export "sum_bytes") (result i32)
    (local $len i32) (local $i i32) (local $sum i32)
    (local.set $len (call $load_input))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $len)))
      (local.set $sum (i32.add (local.get $sum) (i32.load8_u offset=4096 (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (i32.store (i32.const 0) (local.get $sum))
    (call $output (i32.const 0) (i32.const 4))
    (i32.const 0))

  (func (export "check") (result i32)
    (local $len i32)
    (local.set $len (call $load_input))
    (if (i32.and
          (call $contains (i32.const 4096) (local.get $len) (i32.const 64) (i32.const 14))
          (i32.eqz (call $contains (i32.const 4096) (local.get $len) (i32.const 96) (i32.const 20))))
      (then
        (call $output (i32.const 160) (i32.const 56))
        (return (i32.const 0))))
    (if (call $contains (i32.const 4096) (local.get $len) (i32.const 128) (i32.const 17))
      (then
        (call $output (i32.const 224) (i32.const 64))
        (return (i32.const 0))))
    (call $output (i32.const 320) (i32.const 14))
    (i32.const 0))
)
