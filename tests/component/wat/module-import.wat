;; A component that imports a core module and instantiates it, given a different module by
;; each instantiation in its parent: one that needs fewer imports than the import's type offers
;; and exports more than it asks for, one that uses the offered import.
(component
  (component $C
    (import "m" (core module $M
      (import "cfg" "base" (global i32))
      (export "get" (func (result i32)))))
    (core module $Cfg (global (export "base") i32 (i32.const 1000)))
    (core instance $cfg (instantiate $Cfg))
    (core instance $m (instantiate $M (with "cfg" (instance $cfg))))
    (func (export "get") (result u32) (canon lift (core func $m "get"))))
  (core module $Plain
    (func (export "get") (result i32) (i32.const 7))
    (func (export "extra")))
  (core module $Adds
    (import "cfg" "base" (global $base i32))
    (func (export "get") (result i32) (i32.add (global.get $base) (i32.const 5))))
  (instance $plain (instantiate $C (with "m" (core module $Plain))))
  (instance $adds (instantiate $C (with "m" (core module $Adds))))
  (func (export "plain") (alias export $plain "get"))
  (func (export "adds") (alias export $adds "get"))
)
