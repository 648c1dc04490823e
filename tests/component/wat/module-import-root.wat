;; A root component importing a core module: no host provides one.
(component
  (import "m" (core module (export "get" (func (result i32)))))
)
