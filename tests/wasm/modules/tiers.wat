;; Functions on both tiers of a JIT engine whose size limit (jit_max_function_words, set
;; low by jit_test.cpp) leaves the "interp_*" functions, long on purpose, to the interpreter,
;; while the short "jit_*" functions are compiled. Each long function pads itself with
;; counter increments on $count.
(module
  (type $i2i (func (param i32) (result i32)))
  (import "host" "twice" (func $twice (param i32) (result i32)))
  (memory (export "memory") 1 4)
  (global $count (export "count") (mut i32) (i32.const 0))
  (table 3 funcref)
  (elem (i32.const 0) $jit_add_one $interp_add_two)

  (func $jit_add_one (export "jit_add_one") (param i32) (result i32)
    (i32.add (local.get 0) (i32.const 1)))

  ;; x → twice(add_one(x)) + 2, in the interpreter, calling compiled code and the host.
  (func $interp_add_two (export "interp_add_two") (param i32) (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.add (call $twice (call $jit_add_one (local.get 0))) (i32.const 2)))

  ;; Compiled code calling the interpreter: (x + 1) * 2 + 2 + 1.
  (func (export "jit_calls_interp") (param i32) (result i32)
    (i32.add (call $interp_add_two (local.get 0)) (i32.const 1)))

  ;; call_indirect from compiled code to either tier, and its traps.
  (func $jit_call_indirect (export "jit_call_indirect") (param i32 i32) (result i32)
    (call_indirect (type $i2i) (local.get 1) (local.get 0)))

  ;; A trap three frames down: compiled → interpreted → compiled.
  (func $jit_inner (export "jit_inner") (param i32) (result i32)
    (i32.div_u (i32.const 1) (local.get 0)))
  (func $interp_middle (param i32) (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (call $jit_inner (local.get 0)))
  (func $jit_outer (export "jit_outer") (param i32) (result i32)
    (call $interp_middle (local.get 0)))

  ;; Endless mutual recursion across the tiers.
  (func $jit_ping (export "jit_ping") (param i32) (result i32)
    (call $interp_pong (i32.add (local.get 0) (i32.const 1))))
  (func $interp_pong (param i32) (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (call $jit_ping (local.get 0)))

  ;; Memory grown by one tier is seen by the other.
  (func (export "jit_grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "jit_store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "jit_load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "interp_size") (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (memory.size))

  ;; An endless compiled loop, for fuel and deadlines.
  (func $jit_spin (export "jit_spin") (loop (br 0)))
)
