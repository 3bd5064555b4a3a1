;; World witplug:adversarial/reader: read-file(path) opens `path` relative to the first preopen
;; (wasi:filesystem, canonical ABI written by hand) and returns up to 4096 bytes of it.
;; Errors come back as err("open-error:NN") / err("read-error:NN") with the WASI error-code
;; discriminant NN, or err("no-preopens").
(module
  (import "wasi:filesystem/preopens@0.2.12" "get-directories" (func $get_dirs (param i32)))
  (import "wasi:filesystem/types@0.2.12" "[method]descriptor.open-at"
    (func $open_at (param i32 i32 i32 i32 i32 i32 i32)))
  (import "wasi:filesystem/types@0.2.12" "[method]descriptor.read"
    (func $read (param i32 i64 i64 i32)))
  (import "wasi:filesystem/types@0.2.12" "[resource-drop]descriptor" (func $drop (param i32)))
  (memory (export "memory") 1)
  ;; 16: our return area; 32: get-directories; 48: open-at; 64: read; 128..: messages; 1024..: heap
  (global $HEAP_BASE i32 (i32.const 1024))
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 128) "no-preopens")
  (data (i32.const 144) "open-error:00")
  (data (i32.const 160) "read-error:00")

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

  ;; err(string at $msg, $len) with the two digits at $msg+11 set to $code.
  (func $err (param $msg i32) (param $len i32) (param $code i32) (result i32)
    (i32.store8 offset=11 (local.get $msg) (i32.add (i32.const 48) (i32.div_u (local.get $code) (i32.const 10))))
    (i32.store8 offset=12 (local.get $msg) (i32.add (i32.const 48) (i32.rem_u (local.get $code) (i32.const 10))))
    (i32.store8 (i32.const 16) (i32.const 1))
    (i32.store (i32.const 20) (local.get $msg))
    (i32.store (i32.const 24) (local.get $len))
    (i32.const 16))

  (func (export "read-file") (param $ptr i32) (param $len i32) (result i32)
    (local $dir i32) (local $fd i32)
    (call $get_dirs (i32.const 32))
    (if (i32.eqz (i32.load (i32.const 36)))
      (then
        (i32.store8 (i32.const 16) (i32.const 1))
        (i32.store (i32.const 20) (i32.const 128))
        (i32.store (i32.const 24) (i32.const 11))
        (return (i32.const 16))))
    ;; first element: (own descriptor, string)
    (local.set $dir (i32.load (i32.load (i32.const 32))))
    ;; open-at(dir, path-flags symlink-follow, path, open-flags 0, descriptor-flags read=1)
    (call $open_at (local.get $dir) (i32.const 1) (local.get $ptr) (local.get $len) (i32.const 0) (i32.const 1) (i32.const 48))
    (if (i32.load8_u (i32.const 48))
      (then (return (call $err (i32.const 144) (i32.const 13) (i32.load8_u (i32.const 52))))))
    (local.set $fd (i32.load (i32.const 52)))
    (call $read (local.get $fd) (i64.const 4096) (i64.const 0) (i32.const 64))
    (call $drop (local.get $fd))
    (if (i32.load8_u (i32.const 64))
      (then (return (call $err (i32.const 160) (i32.const 13) (i32.load8_u (i32.const 68))))))
    (i32.store8 (i32.const 16) (i32.const 0))
    (i32.store (i32.const 20) (i32.load (i32.const 68)))
    (i32.store (i32.const 24) (i32.load (i32.const 72)))
    (i32.const 16))
  (func (export "cabi_post_read-file") (param i32)
    (global.set $heap (global.get $HEAP_BASE))))
