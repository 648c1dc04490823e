;; Checks that `cirrus wast` counts failures: exactly 3 commands pass and 5 fail (the ctest
;; matches the closing line "3 passed, 5 failed"). Each failing command says why.
(module
  (func (export "one") (result i32) (i32.const 1))
  (func (export "trap") (unreachable))
  (func (export "signalling") (result f32) (f32.const nan:0x200000))
)
(assert_return (invoke "one") (i32.const 2))                   ;; fails: wrong value
(assert_return (invoke "one") (i32.const 1))
(assert_trap (invoke "one") "unreachable")                     ;; fails: no trap
(assert_trap (invoke "trap") "integer overflow")               ;; fails: another trap
(assert_return (invoke "signalling") (f32.const nan:arithmetic)) ;; fails: not a quiet NaN
(assert_invalid (module (func (result i32) (i32.const 0))) "type mismatch") ;; fails: valid
(assert_return (invoke "one") (i32.const 1))
