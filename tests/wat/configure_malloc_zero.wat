;; A `malloc` that always fails (returns 0), and a `configure` that needs it.
(module
  (memory (export "memory") 1)
  (func (export "malloc") (param $n i32) (result i32) (i32.const 0))
  (func (export "configure") (param i32 i32) (result i32) (i32.const 0))
  (func (export "process") (result i32) (i32.const 0)))
