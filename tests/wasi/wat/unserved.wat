;; A command importing interfaces this host does not provide (a WASI interface 0.2 does not
;; have, an unknown package, a WASI version outside 0.2): it must be refused before it runs,
;; with all three named.
(component
  (import "wasi:sockets/raw@0.2.0" (instance
    (export "instance-network" (func (result u32)))))
  (import "example:missing/thing@1.0.0" (instance))
  (import "wasi:random/random@0.3.0" (instance))
  (import "wasi:random/random@0.2.1" (instance
    (export "get-random-u64" (func (result u64)))))
  (core module $m (func (export "run") (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $r (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $r)))
