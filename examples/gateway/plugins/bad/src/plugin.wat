;; The deliberately bad plugin (WAT, world bad-filter): a filter that imports
;; witplug:gateway/secrets, a capability the gateway never offers. The admission gate refuses it at
;; start-up; /plugins shows the report, and the other plugins serve as if it were absent.
(module
  (import "witplug:gateway/secrets@0.1.0" "read" (func $read (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "admin-password")
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "witplug:gateway/filter@0.1.0#check")
    (param i64 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i64) (result i32)
    (call $read (i32.const 64) (i32.const 14) (i32.const 16))
    (i32.store8 (i32.const 32) (i32.const 0))
    (i32.const 32))
)
