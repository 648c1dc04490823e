;; A parent giving its child a core module that lacks an export the child's import asks for.
(component
  (component $C
    (import "m" (core module (export "get" (func (result i32))))))
  (core module $Other (func (export "other") (result i32) (i32.const 1)))
  (instance (instantiate $C (with "m" (core module $Other))))
)
