;; A command importing capability interfaces at versions no provider serves, next to served
;; ones: it must be refused before it runs, with exactly the unserved ones listed.
(component
  (import "wasi:logging/logging@0.2.0" (instance))
  (import "wasi:keyvalue/store@0.1.0" (instance))
  (import "wasi:config/store@0.2.0-draft" (instance))
  (core module $m (func (export "run") (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $r (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $r)))
