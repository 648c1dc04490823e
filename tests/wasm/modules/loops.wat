;; An endless loop (for interruption and fuel) and a counted one.
(module
  (func (export "spin")
    (loop $again (br $again)))
  (func (export "count") (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $again
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $again)))
    (local.get $i))
)
