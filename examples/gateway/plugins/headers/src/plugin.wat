;; Header shaper (WAT, world header-shaper): appends `x-gateway: witplug` to every response.
;;
;; shape(req, resp) takes one pointer to the (request, response) tuple the host lowered into our
;; memory: request @0, response @64 (status u16 @0, headers list @4/@8, body @12/@16, cache @20).
;; The result (a response, 24 bytes) is written at $SHAPE_RET; the new header list lives on a bump
;; heap that cabi_post_* resets once the host has lifted the result.
(module
  (memory (export "memory") 1)

  (global $SHAPE_RET i32 (i32.const 16))
  (global $HEADER_VALUES i32 (i32.const 64))  ;; list<string> of one: ("witplug")
  (global $HEAP_BASE i32 (i32.const 1024))
  (global $heap (mut i32) (i32.const 1024))

  (data (i32.const 64) "\80\00\00\00\07\00\00\00")  ;; the value list's one entry: ptr 128, len 7
  (data (i32.const 128) "witplug")                    ;; 7
  (data (i32.const 144) "x-gateway")                  ;; 9

  (func $copy (param $dst i32) (param $src i32) (param $n i32)
    (memory.copy (local.get $dst) (local.get $src) (local.get $n)))

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
      (then (call $copy (local.get $start) (local.get $old) (local.get $old_size))))
    (local.get $start))

  (func (export "witplug:gateway/shaper@0.1.0#shape") (param $args i32) (result i32)
    (local $resp i32) (local $n i32) (local $headers i32) (local $h i32)
    (local.set $resp (i32.add (local.get $args) (i32.const 64)))
    (local.set $n (i32.load offset=8 (local.get $resp)))
    ;; headers = resp.headers ++ [{name: "x-gateway", values: ["witplug"]}]
    (local.set $headers
      (call $cabi_realloc (i32.const 0) (i32.const 0) (i32.const 4)
                          (i32.mul (i32.add (local.get $n) (i32.const 1)) (i32.const 16))))
    (call $copy (local.get $headers) (i32.load offset=4 (local.get $resp))
                (i32.mul (local.get $n) (i32.const 16)))
    (local.set $h (i32.add (local.get $headers) (i32.mul (local.get $n) (i32.const 16))))
    (i32.store (local.get $h) (i32.const 144))
    (i32.store offset=4 (local.get $h) (i32.const 9))
    (i32.store offset=8 (local.get $h) (global.get $HEADER_VALUES))
    (i32.store offset=12 (local.get $h) (i32.const 1))

    (i32.store16 (global.get $SHAPE_RET) (i32.load16_u (local.get $resp)))
    (i32.store offset=4 (global.get $SHAPE_RET) (local.get $headers))
    (i32.store offset=8 (global.get $SHAPE_RET) (i32.add (local.get $n) (i32.const 1)))
    (i32.store offset=12 (global.get $SHAPE_RET) (i32.load offset=12 (local.get $resp)))
    (i32.store offset=16 (global.get $SHAPE_RET) (i32.load offset=16 (local.get $resp)))
    (i32.store8 offset=20 (global.get $SHAPE_RET) (i32.load8_u offset=20 (local.get $resp)))
    (global.get $SHAPE_RET))

  (func (export "cabi_post_witplug:gateway/shaper@0.1.0#shape") (param i32)
    (global.set $heap (global.get $HEAP_BASE)))
)
