;; `configure` refuses its params with code 7 and logs nothing.
(module
  (memory (export "memory") 1)
  (func (export "malloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "configure") (param i32 i32) (result i32) (i32.const 7))
  (func (export "process") (result i32) (i32.const 0)))
