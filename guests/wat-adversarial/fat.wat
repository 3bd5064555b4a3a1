;; World witplug:adversarial/fat: initial memory of 300 pages (18.75 MiB).
(module
  (memory (export "memory") 300)
  (func (export "size") (result i32) (memory.size)))
