;; Hostile guest: `_initialize` (WASI reactor set-up) never returns. A worker
;; must give up after load_timeout and name the module and "_initialize".
(module
  (memory (export "memory") 1)
  (func (export "_initialize") (loop $forever (br $forever)))
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "process") (result i32) (i32.const 0)))
