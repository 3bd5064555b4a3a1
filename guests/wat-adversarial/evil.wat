;; World witplug:adversarial/adversarial (wit/adversarial.wit): every export misbehaves in
;; one way, for the sandbox tests. Bump allocator as in calc.wat.
(module
  (import "witplug:adversarial/pinger@0.1.0" "ping" (func $ping (param i32) (result i32)))
  (memory (export "memory") 1)
  ;; 16: return area (8 bytes); 64: invalid UTF-8; 1024..: heap
  (global $RET i32 (i32.const 16))
  (global $HEAP_BASE i32 (i32.const 1024))
  (global $heap (mut i32) (i32.const 1024))
  (global $counter (mut i32) (i32.const 0))
  (data (i32.const 64) "\ff\fe\fd")

  (func $cabi_realloc (export "cabi_realloc")
    (param $old i32) (param $old_size i32) (param $align i32) (param $new_size i32) (result i32)
    (local $start i32) (local $end i32) (local $have i32)
    (if (i32.eqz (local.get $align)) (then (local.set $align (i32.const 1))))
    (local.set $start
      (i32.and (i32.sub (i32.add (global.get $heap) (local.get $align)) (i32.const 1))
               (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end (i32.add (local.get $start) (local.get $new_size)))
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

  (func (export "witplug:adversarial/evil@0.1.0#spin") (result i32)
    (loop $forever (br $forever))
    (i32.const 0))

  (func (export "witplug:adversarial/evil@0.1.0#spin-calls") (result i32)
    (local $i i32)
    (loop $forever
      (local.set $i (call $ping (local.get $i)))
      (br $forever))
    (i32.const 0))

  (func (export "witplug:adversarial/evil@0.1.0#grow") (param $pages i32) (result i32)
    (local $n i32)
    (loop $more
      (if (i32.eq (memory.grow (local.get $pages)) (i32.const -1)) (then (unreachable)))
      ;; touch the new memory
      (i32.store (i32.sub (i32.shl (memory.size) (i32.const 16)) (i32.const 4)) (local.get $n))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $more))
    (local.get $n))

  (func (export "witplug:adversarial/evil@0.1.0#big-string") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (call $cabi_realloc (i32.const 0) (i32.const 0) (i32.const 1) (local.get $n)))
    (memory.fill (local.get $p) (i32.const 97) (local.get $n))
    (i32.store (global.get $RET) (local.get $p))
    (i32.store offset=4 (global.get $RET) (local.get $n))
    (global.get $RET))
  (func (export "cabi_post_witplug:adversarial/evil@0.1.0#big-string") (param i32)
    (global.set $heap (global.get $HEAP_BASE)))

  (func $recurse (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (call $recurse (i32.sub (local.get $n) (i32.const 1))) (i32.const 1)))))
  (func (export "witplug:adversarial/evil@0.1.0#recurse") (param i32) (result i32)
    (call $recurse (local.get 0)))

  (func (export "witplug:adversarial/evil@0.1.0#boom") (result i32)
    (unreachable))

  (func (export "witplug:adversarial/evil@0.1.0#bad-utf8") (result i32)
    (i32.store (global.get $RET) (i32.const 64))
    (i32.store offset=4 (global.get $RET) (i32.const 3))
    (global.get $RET))

  (func (export "witplug:adversarial/evil@0.1.0#bad-enum") (result i32)
    (i32.const 7))

  (func (export "witplug:adversarial/evil@0.1.0#bad-variant") (result i32)
    (i32.store8 (global.get $RET) (i32.const 9))
    (i32.store offset=4 (global.get $RET) (i32.const 1))
    (global.get $RET))

  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "witplug:adversarial/evil@0.1.0#fib") (param i32) (result i32)
    (call $fib (local.get 0)))

  (func (export "witplug:adversarial/evil@0.1.0#count") (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (global.get $counter)))
