;; Exports its configuration function under the name `register` (the proof
;; of concept's later name) and writes the params it got into every document
;; as "params".
(module
  (import "elastic" "elastic_put_field" (func $put_field (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "params")
  (global $heap (mut i32) (i32.const 16384))
  (global $params_ptr (mut i32) (i32.const 0))
  (global $params_len (mut i32) (i32.const 0))
  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $n)))
    (local.get $p))
  ;; the params stay where malloc put them: this guest never frees
  (func (export "register") (param $ptr i32) (param $len i32) (result i32)
    (global.set $params_ptr (local.get $ptr))
    (global.set $params_len (local.get $len))
    (i32.const 0))
  (func (export "process") (result i32)
    (drop (call $put_field (i32.const 16) (i32.const 6) (global.get $params_ptr) (global.get $params_len)))
    (i32.const 0)))
