;; Instance imports that ask for nothing at run time (value types, empty instances): the host
;; need not define them. The nested empty instance is passed on to a child and exported.
(component
  (import "types" (instance $t
    (type $r (record (field "x" u32)))
    (export "r" (type (eq $r)))
    (export "inner" (instance))))
  (alias export $t "inner" (instance $inner))
  (component $C (import "i" (instance)))
  (instance (instantiate $C (with "i" (instance $inner))))
  (export "inner" (instance $inner))
)
