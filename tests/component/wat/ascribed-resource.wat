;; One resource exported twice: as `r1`, and as `r2` under an ascribed `(sub resource)`, which
;; makes `r2` a type of its own outside; the functions use `r2` and run with it.
(component
  (type $R (resource (rep i32)))
  (core func $new (canon resource.new $R))
  (core func $rep (canon resource.rep $R))
  (core module $impl
    (import "r" "new" (func $new (param i32) (result i32)))
    (import "r" "rep" (func $rep (param i32) (result i32)))
    (func (export "make") (param i32) (result i32) (call $new (local.get 0)))
    (func (export "value") (param i32) (result i32) (call $rep (local.get 0))))
  (core instance $impl (instantiate $impl (with "r" (instance
    (export "new" (func $new))
    (export "rep" (func $rep))))))
  (export "r1" (type $R))
  (export $R2 "r2" (type $R) (type (sub resource)))
  (func (export "make") (param "v" u32) (result (own $R2))
    (canon lift (core func $impl "make")))
  (func (export "value") (param "h" (own $R2)) (result u32)
    (canon lift (core func $impl "value"))))
