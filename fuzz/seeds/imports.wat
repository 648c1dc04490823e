;; Imports of every kind (the fuzz target stubs them) and re-exports.
(module
  (import "env" "log" (func $log (param i32)))
  (import "env" "memory" (memory 1))
  (import "env" "table" (table 1 funcref))
  (import "env" "base" (global $base i32))
  (export "memory" (memory 0))
  (func (export "run") (result i32)
    (call $log (global.get $base))
    (i32.store (global.get $base) (i32.const 42))
    (i32.load (global.get $base)))
)
