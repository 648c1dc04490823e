;; Invalid: the nested component's `T` is bound to `$T`, so its `g` needs a function taking
;; `(own $T)`, and `$f` takes `(own $U)` (resource identity survives instantiation).
(component
  (import "T" (type $T (sub resource)))
  (import "U" (type $U (sub resource)))
  (import "f" (func $f (param "x" (own $U))))
  (component $c
    (import "T" (type $T (sub resource)))
    (import "g" (func (param "x" (own $T)))))
  (instance (instantiate $c (with "T" (type $T)) (with "g" (func $f)))))
