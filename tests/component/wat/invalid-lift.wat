;; Invalid: the core function takes an i64 but the lifted type says u32 (one i32).
(component
  (core module $m (func (export "f") (param i64)))
  (core instance $i (instantiate $m))
  (func (export "f") (param "x" u32) (canon lift (core func $i "f")))
)
