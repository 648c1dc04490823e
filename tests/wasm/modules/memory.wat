;; A memory of 1 page that may grow to 10, for the store's memory limit.
(module
  (memory (export "memory") 1 10)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
)
