;; A command that asks wasi:filesystem/preopens for its directories (only the resource and
;; the function, so it links with the component layer as it is): run returns ok when there is
;; none (the default: denied), err when a directory was granted.
(component
  (import "wasi:filesystem/preopens@0.2.0" (instance $pre
    (export "descriptor" (type $d (sub resource)))
    (type $entry (tuple (own $d) string))
    (type $entries (list $entry))
    (export "get-directories" (func (result $entries)))))
  (core module $mem
    (memory (export "mem") 1)
    (global $next (mut i32) (i32.const 1024))
    ;; bump allocator: never frees
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $next) (i32.const 7)) (i32.const -8)))
      (global.set $next (i32.add (local.get $p) (local.get 3)))
      (local.get $p)))
  (core instance $m (instantiate $mem))
  (alias core export $m "mem" (core memory $memory))
  (alias core export $m "realloc" (core func $realloc))
  (core func $get (canon lower (func $pre "get-directories") (memory $memory) (realloc $realloc)))
  (core module $main
    (import "host" "get-directories" (func $get (param i32)))
    (import "m" "mem" (memory 1))
    ;; the result (ptr, len) is written at 16; run's result: 0 ok, 1 err
    (func (export "run") (result i32)
      (call $get (i32.const 16))
      (i32.ne (i32.load (i32.const 20)) (i32.const 0))))
  (core instance $host (export "get-directories" (func $get)))
  (core instance $i (instantiate $main (with "host" (instance $host)) (with "m" (instance $m))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $r (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $r)))
