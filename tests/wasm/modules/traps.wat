;; Traps with a call chain outer -> middle -> inner, so the backtrace (innermost first) can be
;; checked against the names in the name section (built with wat2wasm --debug-names).
(module
  (func $inner (export "inner") (unreachable))
  (func $middle (call $inner))
  (func $outer (export "outer") (call $middle))
  (func $recurse (export "recurse") (param i32) (result i32)
    (i32.add (call $recurse (local.get 0)) (i32.const 1)))
  (func (export "divide") (param i32 i32) (result i32)
    (i32.div_u (local.get 0) (local.get 1)))
)
