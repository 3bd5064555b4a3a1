;; The example gateway's three hooks doing nothing, for bench/gateway.mjs: what the host itself
;; costs per hook (dispatch, lowering the request into guest memory, lifting the result, limits,
;; metrics). check passes, shape returns the response it was given, observe returns.
;;
;; check(req) and observe(req, status, latency) take the request flat (13 core values: u64 id,
;; method, path, query, headers, body, client flags, s64 time); shape(req, resp) takes one pointer
;; to the (request, response) tuple the host lowered into our memory; the response starts 64 bytes
;; in, so that pointer is the result. check returns a pointer
;; to a decision whose discriminant (0: pass) is never written. The host's allocations for each
;; call go on a bump heap that every export resets on entry: the previous call's values have been
;; lifted by then, and this call's were written before it began.
(module
  (memory (export "memory") 1)
  (global $HEAP_BASE i32 (i32.const 1024))
  (global $heap (mut i32) (i32.const 1024))

  (func (export "cabi_realloc")
    (param $old i32) (param $old_size i32) (param $align i32) (param $new_size i32) (result i32)
    (local $start i32) (local $end i32) (local $have i32)
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

  (func $reset (global.set $heap (global.get $HEAP_BASE)))

  (func (export "witplug:gateway/filter@0.1.0#check")
    (param i64 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i64) (result i32)
    (call $reset)
    (i32.const 16))

  (func (export "witplug:gateway/shaper@0.1.0#shape") (param $args i32) (result i32)
    (call $reset)
    (i32.add (local.get $args) (i32.const 64)))

  (func (export "witplug:gateway/observer@0.1.0#observe")
    (param i64 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i64 i32 i64)
    (call $reset))
)
