;; Hostile guest: its start function never returns (an endless `loop br 0`),
;; so instantiating it hangs. A worker must give up after load_timeout and
;; name the module and "start function".
(module
  (memory (export "memory") 1)
  (func $spin (loop $forever (br $forever)))
  (start $spin)
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "process") (result i32) (i32.const 0)))
