/**
 * WAT pieces shared by test guests. `bumpAllocator(start)` defines the
 * exported `memory` (one page), a `$heap` global starting at `start` (a
 * guest's post-return resets it) and a canonical-ABI `cabi_realloc` that
 * bumps, grows memory as needed and copies the old block on realloc.
 */
export function bumpAllocator(start: number): string {
  return `  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const ${start}))
  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $ptr i32) (local $end i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))
      (then (if (i32.eq (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $end) (i32.shl (memory.size) (i32.const 16))) (i32.const 16)) (i32.const 1)))
                        (i32.const -1))
              (then unreachable))))
    (global.set $heap (local.get $end))
    (if (local.get $old) (then (memory.copy (local.get $ptr) (local.get $old) (local.get $old_size))))
    (local.get $ptr))`;
}
