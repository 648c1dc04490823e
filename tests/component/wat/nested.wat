;; The shape real toolchains produce: a core module with a start function, and the exported
;; interface built by a nested shim component that is instantiated with the core function
;; lifted outside and re-exports it under the interface's type.
(component
  (core module $m
    (global $started (mut i32) (i32.const 0))
    (func $start (global.set $started (i32.const 42)))
    (start $start)
    (func (export "started") (result i32) (global.get $started))
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  )
  (core instance $m (instantiate $m))
  (func $started (result u32) (canon lift (core func $m "started")))
  (func $add (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $m "add")))
  (component $shim
    (import "import-func-started" (func $f (result u32)))
    (import "import-func-add" (func $g (param "a" u32) (param "b" u32) (result u32)))
    (export "started" (func $f))
    (export "add" (func $g) (func (param "a" u32) (param "b" u32) (result u32)))
  )
  (instance $shim (instantiate $shim
    (with "import-func-started" (func $started))
    (with "import-func-add" (func $add))))
  (export "local:demo/math" (instance $shim))
)
