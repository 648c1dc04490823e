;; Calls into the host: "host" "add" returns the sum of its arguments, "host" "fail" returns an
;; error that must surface as a trap of the calling guest.
(module
  (import "host" "add" (func $add (param i32 i32) (result i32)))
  (import "host" "fail" (func $fail))
  (memory (export "memory") 1)
  (func (export "call_add") (param i32 i32) (result i32)
    (call $add (local.get 0) (local.get 1)))
  (func (export "call_fail")
    (call $fail))
)
