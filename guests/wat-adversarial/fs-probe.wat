;; World witplug:adversarial/fs-probe (wit/fs-probe.wit): one export per wasi:filesystem
;; descriptor call, so a test can script an attack step by step (open a directory, swap it
;; for a symlink, use the old descriptor...). Canonical ABI written by hand.
;; Memory: 16..32 our return area (its layouts match the imports' result<T, error-code> for
;; descriptor, string, list and unit payloads, so most calls write straight into it);
;; 64..192 the import return area for the calls that need conversion; 4096..32768 the
;; list-directory buffer; 32768.. the heap, reset at the start of every call.
(module
  (import "wasi:filesystem/preopens@0.2.12" "get-directories" (func $get_dirs (param i32)))
  (import "wasi:filesystem/types@0.2.12" "[method]descriptor.open-at"
    (func $open_at (param i32 i32 i32 i32 i32 i32 i32)))
  (import "wasi:filesystem/types@0.2.12" "[method]descriptor.read" (func $read (param i32 i64 i64 i32)))
  (import "wasi:filesystem/types@0.2.12" "[method]descriptor.write" (func $write (param i32 i32 i32 i64 i32)))
  (import "wasi:filesystem/types@0.2.12" "[method]descriptor.stat-at" (func $stat_at (param i32 i32 i32 i32 i32)))
  (import "wasi:filesystem/types@0.2.12" "[method]descriptor.readlink-at" (func $readlink_at (param i32 i32 i32 i32)))
  (import "wasi:filesystem/types@0.2.12" "[method]descriptor.symlink-at" (func $symlink_at (param i32 i32 i32 i32 i32 i32)))
  (import "wasi:filesystem/types@0.2.12" "[method]descriptor.link-at" (func $link_at (param i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "wasi:filesystem/types@0.2.12" "[method]descriptor.rename-at" (func $rename_at (param i32 i32 i32 i32 i32 i32 i32)))
  (import "wasi:filesystem/types@0.2.12" "[method]descriptor.unlink-file-at" (func $unlink_at (param i32 i32 i32 i32)))
  (import "wasi:filesystem/types@0.2.12" "[method]descriptor.remove-directory-at" (func $rmdir_at (param i32 i32 i32 i32)))
  (import "wasi:filesystem/types@0.2.12" "[method]descriptor.create-directory-at" (func $mkdir_at (param i32 i32 i32 i32)))
  (import "wasi:filesystem/types@0.2.12" "[method]descriptor.set-times-at"
    (func $set_times_at (param i32 i32 i32 i32 i32 i64 i32 i32 i64 i32 i32)))
  (import "wasi:filesystem/types@0.2.12" "[method]descriptor.read-directory" (func $read_dir (param i32 i32)))
  (import "wasi:filesystem/types@0.2.12" "[method]directory-entry-stream.read-directory-entry"
    (func $read_entry (param i32 i32)))
  (import "wasi:filesystem/types@0.2.12" "[resource-drop]descriptor" (func $drop (param i32)))
  (import "wasi:filesystem/types@0.2.12" "[resource-drop]directory-entry-stream" (func $drop_stream (param i32)))
  (memory (export "memory") 1)
  (global $HEAP_BASE i32 (i32.const 32768))
  (global $heap (mut i32) (i32.const 32768))

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

  ;; The previous call's results have been lifted: its allocations are free again.
  (func $reset (global.set $heap (global.get $HEAP_BASE)))

  ;; list<tuple<descriptor, string>>: 12-byte elements, the handle first
  (func (export "preopen") (param $index i32) (result i32)
    (call $reset)
    (call $get_dirs (i32.const 64))
    (if (result i32) (i32.lt_u (local.get $index) (i32.load (i32.const 68)))
      (then (i32.load (i32.add (i32.load (i32.const 64)) (i32.mul (local.get $index) (i32.const 12)))))
      (else (i32.const 0))))

  (func (export "open-at") (param $dir i32) (param $p i32) (param $l i32) (param $follow i32) (param $oflags i32) (param $dflags i32) (result i32)
    (call $reset)
    (call $open_at (local.get $dir) (local.get $follow) (local.get $p) (local.get $l) (local.get $oflags) (local.get $dflags) (i32.const 16))
    (i32.const 16))

  (func (export "read") (param $fd i32) (result i32)
    (call $reset)
    (call $read (local.get $fd) (i64.const 4096) (i64.const 0) (i32.const 16))
    (i32.const 16))

  ;; result<filesize, error-code> (payload at 8) -> result<_, u8> (payload at 1)
  (func (export "write") (param $fd i32) (param $p i32) (param $l i32) (result i32)
    (call $reset)
    (call $write (local.get $fd) (local.get $p) (local.get $l) (i64.const 0) (i32.const 64))
    (i32.store8 (i32.const 16) (i32.load8_u (i32.const 64)))
    (i32.store8 (i32.const 17) (i32.load8_u (i32.const 72)))
    (i32.const 16))

  ;; result<descriptor-stat, error-code> (payload at 8; the type is its first field) -> result<u8, u8>
  (func (export "stat-at") (param $dir i32) (param $p i32) (param $l i32) (param $follow i32) (result i32)
    (call $reset)
    (call $stat_at (local.get $dir) (local.get $follow) (local.get $p) (local.get $l) (i32.const 64))
    (i32.store8 (i32.const 16) (i32.load8_u (i32.const 64)))
    (i32.store8 (i32.const 17) (i32.load8_u (i32.const 72)))
    (i32.const 16))

  (func (export "readlink-at") (param $dir i32) (param $p i32) (param $l i32) (result i32)
    (call $reset)
    (call $readlink_at (local.get $dir) (local.get $p) (local.get $l) (i32.const 16))
    (i32.const 16))

  (func (export "symlink-at") (param $dir i32) (param $tp i32) (param $tl i32) (param $p i32) (param $l i32) (result i32)
    (call $reset)
    (call $symlink_at (local.get $dir) (local.get $tp) (local.get $tl) (local.get $p) (local.get $l) (i32.const 16))
    (i32.const 16))

  (func (export "link-at") (param $dir i32) (param $op i32) (param $ol i32) (param $follow i32) (param $nd i32) (param $np i32) (param $nl i32) (result i32)
    (call $reset)
    (call $link_at (local.get $dir) (local.get $follow) (local.get $op) (local.get $ol) (local.get $nd) (local.get $np) (local.get $nl) (i32.const 16))
    (i32.const 16))

  (func (export "rename-at") (param $dir i32) (param $op i32) (param $ol i32) (param $nd i32) (param $np i32) (param $nl i32) (result i32)
    (call $reset)
    (call $rename_at (local.get $dir) (local.get $op) (local.get $ol) (local.get $nd) (local.get $np) (local.get $nl) (i32.const 16))
    (i32.const 16))

  (func (export "unlink-file-at") (param $dir i32) (param $p i32) (param $l i32) (result i32)
    (call $reset)
    (call $unlink_at (local.get $dir) (local.get $p) (local.get $l) (i32.const 16))
    (i32.const 16))

  (func (export "remove-directory-at") (param $dir i32) (param $p i32) (param $l i32) (result i32)
    (call $reset)
    (call $rmdir_at (local.get $dir) (local.get $p) (local.get $l) (i32.const 16))
    (i32.const 16))

  (func (export "create-directory-at") (param $dir i32) (param $p i32) (param $l i32) (result i32)
    (call $reset)
    (call $mkdir_at (local.get $dir) (local.get $p) (local.get $l) (i32.const 16))
    (i32.const 16))

  ;; access time: now (new-timestamp case 1); modification time: timestamp(mtime, 0) (case 2)
  (func (export "set-times-at") (param $dir i32) (param $p i32) (param $l i32) (param $follow i32) (param $mtime i64) (result i32)
    (call $reset)
    (call $set_times_at (local.get $dir) (local.get $follow) (local.get $p) (local.get $l)
      (i32.const 1) (i64.const 0) (i32.const 0)
      (i32.const 2) (local.get $mtime) (i32.const 0)
      (i32.const 16))
    (i32.const 16))

  ;; read-directory -> result<stream, error-code>; read-directory-entry ->
  ;; result<option<directory-entry>, error-code>: disc 0, option disc 4, name ptr 12, len 16.
  (func (export "list-directory") (param $dir i32) (result i32)
    (local $stream i32) (local $out i32) (local $len i32)
    (call $reset)
    (call $read_dir (local.get $dir) (i32.const 64))
    (if (i32.load8_u (i32.const 64))
      (then
        (i32.store8 (i32.const 16) (i32.const 1))
        (i32.store8 (i32.const 20) (i32.load8_u (i32.const 68)))
        (return (i32.const 16))))
    (local.set $stream (i32.load (i32.const 68)))
    (local.set $out (i32.const 4096))
    (block $done
      (loop $next
        (call $read_entry (local.get $stream) (i32.const 64))
        (if (i32.load8_u (i32.const 64))
          (then
            (call $drop_stream (local.get $stream))
            (i32.store8 (i32.const 16) (i32.const 1))
            (i32.store8 (i32.const 20) (i32.load8_u (i32.const 68)))
            (return (i32.const 16))))
        (br_if $done (i32.eqz (i32.load8_u (i32.const 68))))
        (local.set $len (i32.load (i32.const 80)))
        ;; bounded: stop listing when the buffer is full
        (br_if $done (i32.gt_u (i32.add (i32.add (local.get $out) (local.get $len)) (i32.const 1)) (i32.const 32768)))
        (memory.copy (local.get $out) (i32.load (i32.const 76)) (local.get $len))
        (local.set $out (i32.add (local.get $out) (local.get $len)))
        (i32.store8 (local.get $out) (i32.const 10))
        (local.set $out (i32.add (local.get $out) (i32.const 1)))
        (br $next)))
    (call $drop_stream (local.get $stream))
    (i32.store8 (i32.const 16) (i32.const 0))
    (i32.store (i32.const 20) (i32.const 4096))
    (i32.store (i32.const 24) (i32.sub (local.get $out) (i32.const 4096)))
    (i32.const 16))

  (func (export "drop") (param $fd i32)
    (call $drop (local.get $fd))))
