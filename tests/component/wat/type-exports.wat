;; Component and instance types exported as types, at the root and inside an instance type.
(component
  (type (export "c") (component
    (type $i (instance (export "r" (type (sub resource)))))
    (export "t" (instance (type $i)))))
  (import "host" (instance
    (type $f (func (result u32)))
    (export "f" (type (eq $f)))))
)
