;; Data segments for the memory image (memory_image.h): two pages of initial memory, data in
;; both (the second segment overwrites part of the first). The element segments put load8 in
;; the imported table at 0 and $f at 1: given a table of one element, instantiation traps at
;; the second, before the data segments are due, and load8 (still in the table) can show that
;; they were not applied.
(module
  (import "env" "table" (table 1 funcref))
  (memory (export "memory") 2 4)
  (func $f)
  (func $load8 (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (elem (i32.const 0) $load8)
  (elem (i32.const 1) $f)
  (data (i32.const 16) "first segment")
  (data (i32.const 16) "FIRST")
  (data (i32.const 65540) "second page")
  (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
)
