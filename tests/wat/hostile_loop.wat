;; Hostile guest: an endless loop with no host calls (`loop br 0`).
;; A document with a field "hang" makes `process` spin forever; any other
;; document gets "processed": true. Used by tests/test_isolation.py: only a
;; worker process that the host kills can stop it (wasmer-python has no
;; interrupt, and the loop never returns to Python).
(module
  (import "elastic" "elastic_get_field" (func $get_field (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_put_field" (func $put_field (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (data (i32.const 16) "hang")
  (data (i32.const 32) "processed")
  (data (i32.const 48) "true")
  (global $heap (mut i32) (i32.const 4096))

  (func (export "elastic_ingest_wasm_abi_1_0"))

  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (if (i32.gt_u (i32.add (local.get $p) (local.get $n)) (i32.const 65536))
      (then (return (i32.const 0))))
    (global.set $heap (i32.add (local.get $p) (local.get $n)))
    (local.get $p))

  (func (export "process") (result i32)
    ;; get_field("hang") returns Ok (0) when the field exists
    (if (i32.eqz (call $get_field (i32.const 16) (i32.const 4) (i32.const 64) (i32.const 68)))
      (then (loop $forever (br $forever))))
    (drop (call $put_field (i32.const 32) (i32.const 9) (i32.const 48) (i32.const 4)))
    (i32.const 0)))
