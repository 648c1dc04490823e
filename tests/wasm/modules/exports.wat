;; One export of each kind, in a known order.
(module
  (func $f (export "f") (param i32) (result i32) (local.get 0))
  (table (export "table") 2 funcref)
  (memory (export "memory") 1)
  (global (export "counter") (mut i64) (i64.const 7))
  (global (export "constant") f32 (f32.const 1.5))
)
