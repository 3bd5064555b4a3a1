;; World witplug:stderr-fixture/stderr-writer: writes to wasi:cli/stderr (canonical ABI by hand)
;; and traps, as a C program prints its reason before abort().
(module
  (import "wasi:cli/stderr@0.2.12" "get-stderr" (func $get_stderr (result i32)))
  (import "wasi:io/streams@0.2.12" "[method]output-stream.blocking-write-and-flush"
    (func $write_flush (param i32 i32 i32 i32)))
  (import "wasi:io/streams@0.2.12" "[resource-drop]output-stream" (func $drop (param i32)))
  (memory (export "memory") 1)
  ;; 16: return area of blocking-write-and-flush; 256: "line NNNN\n"; 272: giving up; 304: all fine
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 256) "line 0000\n")
  (data (i32.const 272) "wat plugin: giving up\n")
  (data (i32.const 304) "all fine\n")

  (func $cabi_realloc (export "cabi_realloc")
    (param $old i32) (param $old_size i32) (param $align i32) (param $new_size i32) (result i32)
    (local $start i32)
    (local.set $start (global.get $heap))
    (global.set $heap (i32.add (local.get $start) (i32.and (i32.add (local.get $new_size) (i32.const 7)) (i32.const -8))))
    (if (i32.gt_u (global.get $heap) (i32.const 65536)) (then (unreachable)))
    (local.get $start))

  ;; Writes `len` bytes at `ptr` to stderr (a fresh stream handle each time, dropped after).
  (func $say (param $ptr i32) (param $len i32)
    (local $out i32)
    (local.set $out (call $get_stderr))
    (call $write_flush (local.get $out) (local.get $ptr) (local.get $len) (i32.const 16))
    (call $drop (local.get $out)))

  ;; The four digits of "line NNNN" at 261..264 set to $n (mod 10000).
  (func $number (param $n i32)
    (local $i i32)
    (local.set $i (i32.const 3))
    (loop $digits
      (i32.store8 offset=261 (local.get $i) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $digits (i32.ge_s (local.get $i) (i32.const 0)))))

  (func (export "fail") (param $lines i32) (result i32)
    (local $i i32)
    (local.set $i (i32.const 1))
    (block $done
      (loop $each
        (br_if $done (i32.gt_u (local.get $i) (local.get $lines)))
        (call $number (local.get $i))
        (call $say (i32.const 256) (i32.const 10))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (call $say (i32.const 272) (i32.const 22))
    (unreachable))

  (func (export "chatty") (result i32)
    (call $say (i32.const 304) (i32.const 9))
    (i32.const 7)))
