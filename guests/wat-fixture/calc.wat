;; Tiny WAT component for world acme:calc/calc@1.2.3 (calc.wit): a fixture with a package
;; other than witplug:gateway, and the guest of the call-overhead benchmarks.
;; Memory: bump allocator for cabi_realloc, reset in cabi_post_* once the host has lifted
;; the result, so memory use is bounded by one call.
(module
  (memory (export "memory") 1)
  ;; 16: return area of a string result (ptr, len); 64: "1.2.3"; 1024..: heap
  (global $RET i32 (i32.const 16))
  (global $HEAP_BASE i32 (i32.const 1024))
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 64) "1.2.3")

  (func $cabi_realloc (export "cabi_realloc")
    (param $old i32) (param $old_size i32) (param $align i32) (param $new_size i32) (result i32)
    (local $start i32) (local $end i32) (local $have i32)
    (if (i32.and (i32.ne (local.get $old) (i32.const 0))
                 (i32.le_u (local.get $new_size) (local.get $old_size)))
      (then (return (local.get $old))))
    (if (i32.eqz (local.get $align)) (then (local.set $align (i32.const 1))))
    (local.set $start
      (i32.and (i32.sub (i32.add (global.get $heap) (local.get $align)) (i32.const 1))
               (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end (i32.add (local.get $start) (local.get $new_size)))
    (if (i32.lt_u (local.get $end) (local.get $start)) (then (unreachable)))
    (local.set $have (i32.shl (memory.size) (i32.const 16)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow
                (i32.shr_u (i32.add (i32.sub (local.get $end) (local.get $have)) (i32.const 65535))
                           (i32.const 16)))
              (i32.const -1))
          (then (unreachable)))))
    (global.set $heap (local.get $end))
    (if (local.get $old)
      (then (memory.copy (local.get $start) (local.get $old) (local.get $old_size))))
    (local.get $start))

  (func (export "acme:calc/work@1.2.3#add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))

  ;; The argument string already lives in our memory (lowered via cabi_realloc): return it.
  (func (export "acme:calc/work@1.2.3#echo") (param $ptr i32) (param $len i32) (result i32)
    (i32.store (global.get $RET) (local.get $ptr))
    (i32.store offset=4 (global.get $RET) (local.get $len))
    (global.get $RET))
  (func (export "cabi_post_acme:calc/work@1.2.3#echo") (param i32)
    (global.set $heap (global.get $HEAP_BASE)))

  (func $abs (param $v i64) (result i64)
    (select (i64.sub (i64.const 0) (local.get $v)) (local.get $v)
            (i64.lt_s (local.get $v) (i64.const 0))))
  (func (export "acme:calc/work@1.2.3#dist") (param $x i32) (param $y i32) (result i64)
    (i64.add (call $abs (i64.extend_i32_s (local.get $x)))
             (call $abs (i64.extend_i32_s (local.get $y)))))

  (func (export "acme:calc/work@1.2.3#apply") (param $op i32) (param $a i64) (param $b i64) (result i64)
    (if (result i64) (i32.eqz (local.get $op))
      (then (i64.add (local.get $a) (local.get $b)))
      (else (i64.sub (local.get $a) (local.get $b)))))

  (func (export "version") (result i32)
    (i32.store (global.get $RET) (i32.const 64))
    (i32.store offset=4 (global.get $RET) (i32.const 5))
    (global.get $RET))
)
