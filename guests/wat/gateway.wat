;; Gateway plugin in hand-written WAT, world witplug:gateway/gateway-plugin@0.1.0.
;; Behaviour is identical to guests/c/gateway.c and guests/js/gateway.js (tests compare them);
;; the C file's header comment lists every canonical-ABI layout used here.
;;
;; Memory: a bump allocator above $HEAP_BASE. Arguments the host lowers into us and results
;; we hand back both live there, so the heap is reset only when the host no longer needs
;; them: in cabi_post_* (after the result was lifted) and at the end of observe (no result,
;; hence no post-return). Memory use is therefore bounded by one call.
(module
  ;; log: func(level: level, message: string)
  (import "witplug:host/log@0.1.0" "log" (func $log (param i32 i32 i32)))
  ;; get: func(key: string) -> option<string>; the caller passes a return pointer
  (import "witplug:host/config@0.1.0" "get" (func $config_get (param i32 i32 i32)))

  (memory (export "memory") 1)

  ;; Static layout:
  ;;   16  check's return area: decision (16 bytes, align 4)
  ;;   32  config.get's return area: option<string> (12 bytes, align 4)
  ;;   48  shape's return area: response (24 bytes, align 4)
  ;;   128.. constant strings
  ;;   1024.. heap
  (global $CHECK_RET i32 (i32.const 16))
  (global $CONFIG_RET i32 (i32.const 32))
  (global $SHAPE_RET i32 (i32.const 48))
  (global $HEAP_BASE i32 (i32.const 1024))
  (global $heap (mut i32) (i32.const 1024))

  (data (i32.const 128) "/old/")                           ;; 5
  (data (i32.const 136) "/new/")                           ;; 5
  (data (i32.const 144) "/static/")                        ;; 8
  (data (i32.const 160) "delete requires authentication")  ;; 30
  (data (i32.const 192) "blocked by config")               ;; 17
  (data (i32.const 224) "deny-path")                       ;; 9
  (data (i32.const 240) "x-request-id")                    ;; 12
  (data (i32.const 256) "check ")                          ;; 6
  (data (i32.const 264) "observe ")                        ;; 8

  ;; ---- helpers ------------------------------------------------------------------------

  (func $memeq (param $a i32) (param $b i32) (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.ne (i32.load8_u (i32.add (local.get $a) (local.get $i)))
                    (i32.load8_u (i32.add (local.get $b) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  (func $starts_with (param $s i32) (param $len i32) (param $p i32) (param $plen i32) (result i32)
    (if (i32.lt_u (local.get $len) (local.get $plen)) (then (return (i32.const 0))))
    (call $memeq (local.get $s) (local.get $p) (local.get $plen)))

  (func $copy (param $dst i32) (param $src i32) (param $n i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (i32.add (local.get $dst) (local.get $i))
                    (i32.load8_u (i32.add (local.get $src) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

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

  (func $alloc (param $align i32) (param $size i32) (result i32)
    (call $cabi_realloc (i32.const 0) (i32.const 0) (local.get $align) (local.get $size)))

  ;; Decimal digits of $v (unsigned) written at $buf; returns the digit count.
  (func $u64_to_dec (param $v i64) (param $buf i32) (result i32)
    (local $n i32) (local $t i64) (local $i i32)
    (local.set $t (local.get $v))
    (loop $count
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (local.set $t (i64.div_u (local.get $t) (i64.const 10)))
      (br_if $count (i64.ne (local.get $t) (i64.const 0))))
    (local.set $i (local.get $n))
    (loop $write
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (local.get $buf) (local.get $i))
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $write (i32.ne (local.get $i) (i32.const 0))))
    (local.get $n))

  (func $heap_reset (global.set $heap (global.get $HEAP_BASE)))

  ;; ---- filter.check ---------------------------------------------------------------------

  (func $set_deny (param $status i32) (param $reason i32) (param $len i32) (result i32)
    (i32.store8 (global.get $CHECK_RET) (i32.const 1))
    (i32.store16 offset=4 (global.get $CHECK_RET) (local.get $status))
    (i32.store offset=8 (global.get $CHECK_RET) (local.get $reason))
    (i32.store offset=12 (global.get $CHECK_RET) (local.get $len))
    (global.get $CHECK_RET))

  (func (export "witplug:gateway/filter@0.1.0#check")
    (param $id i64) (param $method i32) (param $path i32) (param $path_len i32)
    (param $query_disc i32) (param $query_ptr i32) (param $query_len i32)
    (param $headers_ptr i32) (param $headers_len i32) (param $body_ptr i32) (param $body_len i32)
    (param $client i32) (param $received_at_ms i64)
    (result i32)
    (local $msg i32) (local $rest i32) (local $loc i32) (local $p i32) (local $len i32)

    ;; log(info, "check " + path)
    (local.set $msg (call $alloc (i32.const 1) (i32.add (i32.const 6) (local.get $path_len))))
    (call $copy (local.get $msg) (i32.const 256) (i32.const 6))
    (call $copy (i32.add (local.get $msg) (i32.const 6)) (local.get $path) (local.get $path_len))
    (call $log (i32.const 2) (local.get $msg) (i32.add (i32.const 6) (local.get $path_len)))

    ;; delete (enum index 4) without the authenticated flag (bit 1)
    (if (i32.and (i32.eq (local.get $method) (i32.const 4))
                 (i32.eqz (i32.and (local.get $client) (i32.const 2))))
      (then (return (call $set_deny (i32.const 403) (i32.const 160) (i32.const 30)))))

    ;; "/old/..." -> redirect "/new/..."
    (if (call $starts_with (local.get $path) (local.get $path_len) (i32.const 128) (i32.const 5))
      (then
        (local.set $rest (i32.sub (local.get $path_len) (i32.const 5)))
        (local.set $loc (call $alloc (i32.const 1) (i32.add (i32.const 5) (local.get $rest))))
        (call $copy (local.get $loc) (i32.const 136) (i32.const 5))
        (call $copy (i32.add (local.get $loc) (i32.const 5))
                    (i32.add (local.get $path) (i32.const 5)) (local.get $rest))
        (i32.store8 (global.get $CHECK_RET) (i32.const 2))
        (i32.store offset=4 (global.get $CHECK_RET) (local.get $loc))
        (i32.store offset=8 (global.get $CHECK_RET) (i32.add (i32.const 5) (local.get $rest)))
        (i32.store8 offset=12 (global.get $CHECK_RET) (i32.const 1))
        (return (global.get $CHECK_RET))))

    ;; config "deny-path" equal to the path
    (i32.store8 (global.get $CONFIG_RET) (i32.const 0))
    (call $config_get (i32.const 224) (i32.const 9) (global.get $CONFIG_RET))
    (if (i32.eq (i32.load8_u (global.get $CONFIG_RET)) (i32.const 1))
      (then
        (local.set $p (i32.load offset=4 (global.get $CONFIG_RET)))
        (local.set $len (i32.load offset=8 (global.get $CONFIG_RET)))
        ;; compare bytes only when the lengths match (path + len may be out of bounds)
        (if (i32.eq (local.get $len) (local.get $path_len))
          (then
            (if (call $memeq (local.get $p) (local.get $path) (local.get $len))
              (then (return (call $set_deny (i32.const 404) (i32.const 192) (i32.const 17)))))))))

    (i32.store8 (global.get $CHECK_RET) (i32.const 0))
    (global.get $CHECK_RET))

  (func (export "cabi_post_witplug:gateway/filter@0.1.0#check") (param i32)
    (call $heap_reset))

  ;; ---- shaper.shape -------------------------------------------------------------------
  ;; One pointer to the (request, response) tuple: request @0, response @64.

  (func (export "witplug:gateway/shaper@0.1.0#shape") (param $args i32) (result i32)
    (local $resp i32) (local $n i32) (local $headers i32) (local $digits i32)
    (local $ndigits i32) (local $values i32) (local $h i32) (local $cache i32)
    (local.set $resp (i32.add (local.get $args) (i32.const 64)))
    (local.set $n (i32.load offset=8 (local.get $resp)))

    ;; headers = resp.headers ++ [{name: "x-request-id", values: [decimal(req.id)]}]
    (local.set $headers
      (call $alloc (i32.const 4) (i32.mul (i32.add (local.get $n) (i32.const 1)) (i32.const 16))))
    (call $copy (local.get $headers) (i32.load offset=4 (local.get $resp))
                (i32.mul (local.get $n) (i32.const 16)))
    (local.set $digits (call $alloc (i32.const 1) (i32.const 20)))
    (local.set $ndigits (call $u64_to_dec (i64.load (local.get $args)) (local.get $digits)))
    (local.set $values (call $alloc (i32.const 4) (i32.const 8)))
    (i32.store (local.get $values) (local.get $digits))
    (i32.store offset=4 (local.get $values) (local.get $ndigits))
    (local.set $h (i32.add (local.get $headers) (i32.mul (local.get $n) (i32.const 16))))
    (i32.store (local.get $h) (i32.const 240))
    (i32.store offset=4 (local.get $h) (i32.const 12))
    (i32.store offset=8 (local.get $h) (local.get $values))
    (i32.store offset=12 (local.get $h) (i32.const 1))

    ;; cache |= immutable (bit 2) for "/static/..." paths
    (local.set $cache (i32.load8_u offset=20 (local.get $resp)))
    (if (call $starts_with (i32.load offset=12 (local.get $args)) (i32.load offset=16 (local.get $args))
                           (i32.const 144) (i32.const 8))
      (then (local.set $cache (i32.or (local.get $cache) (i32.const 4)))))

    (i32.store16 (global.get $SHAPE_RET) (i32.load16_u (local.get $resp)))
    (i32.store offset=4 (global.get $SHAPE_RET) (local.get $headers))
    (i32.store offset=8 (global.get $SHAPE_RET) (i32.add (local.get $n) (i32.const 1)))
    (i32.store offset=12 (global.get $SHAPE_RET) (i32.load offset=12 (local.get $resp)))
    (i32.store offset=16 (global.get $SHAPE_RET) (i32.load offset=16 (local.get $resp)))
    (i32.store8 offset=20 (global.get $SHAPE_RET) (local.get $cache))
    (global.get $SHAPE_RET))

  (func (export "cabi_post_witplug:gateway/shaper@0.1.0#shape") (param i32)
    (call $heap_reset))

  ;; ---- observer.observe ---------------------------------------------------------------
  ;; request (14 flat values) + status + latency-ns = exactly 16 flat params.

  (func (export "witplug:gateway/observer@0.1.0#observe")
    (param $id i64) (param $method i32) (param $path i32) (param $path_len i32)
    (param $query_disc i32) (param $query_ptr i32) (param $query_len i32)
    (param $headers_ptr i32) (param $headers_len i32) (param $body_ptr i32) (param $body_len i32)
    (param $client i32) (param $received_at_ms i64) (param $status i32) (param $latency_ns i64)
    (local $msg i32) (local $o i32)
    ;; "observe " + path + " " + up to 5 digits + " " + up to 20 digits
    (local.set $msg (call $alloc (i32.const 1) (i32.add (local.get $path_len) (i32.const 35))))
    (call $copy (local.get $msg) (i32.const 264) (i32.const 8))
    (local.set $o (i32.const 8))
    (call $copy (i32.add (local.get $msg) (local.get $o)) (local.get $path) (local.get $path_len))
    (local.set $o (i32.add (local.get $o) (local.get $path_len)))
    (i32.store8 (i32.add (local.get $msg) (local.get $o)) (i32.const 32))
    (local.set $o (i32.add (local.get $o) (i32.const 1)))
    (local.set $o (i32.add (local.get $o)
      (call $u64_to_dec (i64.extend_i32_u (i32.and (local.get $status) (i32.const 0xffff)))
                        (i32.add (local.get $msg) (local.get $o)))))
    (i32.store8 (i32.add (local.get $msg) (local.get $o)) (i32.const 32))
    (local.set $o (i32.add (local.get $o) (i32.const 1)))
    (local.set $o (i32.add (local.get $o)
      (call $u64_to_dec (local.get $latency_ns) (i32.add (local.get $msg) (local.get $o)))))
    (call $log (i32.const 1) (local.get $msg) (local.get $o))
    ;; No result means no post-return: the arguments and the message are dead now.
    (call $heap_reset))
)
