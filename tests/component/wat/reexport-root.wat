;; A root component exporting its imported function after threading it through a child
;; instance: wasmtime's host refuses the re-export, and so does cirrus's.
(component
  (import "f" (func $f (result u32)))
  (component $Pass
    (import "a" (func $a (result u32)))
    (export "b" (func $a)))
  (instance $i (instantiate $Pass (with "a" (func $f))))
  (export "g" (func $i "b"))
)
