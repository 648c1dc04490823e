;; A command importing WASI interfaces at two different 0.2.x versions (only function
;; exports, so it links with the component layer as it is): run draws two random u64s and
;; exits through wasi:cli/exit with err when they differ (status 1), ok when equal (status 0).
(component
  (import "wasi:random/random@0.2.0" (instance $random
    (export "get-random-u64" (func (result u64)))))
  (import "wasi:cli/exit@0.2.7" (instance $exit
    (export "exit" (func (param "status" (result))))))
  (core func $rand (canon lower (func $random "get-random-u64")))
  (core func $exit (canon lower (func $exit "exit")))
  (core module $m
    (import "host" "rand" (func $rand (result i64)))
    (import "host" "exit" (func $exit (param i32)))
    (func (export "run") (result i32)
      (call $exit (i64.ne (call $rand) (call $rand)))
      (i32.const 0)))
  (core instance $host (export "rand" (func $rand)) (export "exit" (func $exit)))
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $r (export "run" (func $run)))
  (export "wasi:cli/run@0.2.3" (instance $r)))
