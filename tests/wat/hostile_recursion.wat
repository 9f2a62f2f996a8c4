;; Hostile guest: infinite recursion (call stack exhaustion).
;; A document with a field "recurse" makes `process` recurse without end
;; (each frame also calls the host, so Python frames pile up on the same
;; native stack); any other document gets "processed": true.
;; Measured: wasmer turns the overflow into a trap ("call stack exhausted"),
;; in-process and in a worker alike; the process survives.
(module
  (import "elastic" "elastic_get_field" (func $get_field (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_put_field" (func $put_field (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_abi_version" (func $abi_version (result i32)))
  (memory (export "memory") 1 1)
  (data (i32.const 16) "recurse")
  (data (i32.const 32) "processed")
  (data (i32.const 48) "true")

  (func (export "elastic_ingest_wasm_abi_1_0"))

  (func (export "malloc") (param $n i32) (result i32)
    (if (i32.gt_u (local.get $n) (i32.const 32768)) (then (return (i32.const 0))))
    (i32.const 8192))

  (func $deep (param $n i32) (result i32)
    (call $deep (i32.add (local.get $n) (call $abi_version))))

  (func (export "process") (result i32)
    (if (i32.eqz (call $get_field (i32.const 16) (i32.const 7) (i32.const 64) (i32.const 68)))
      (then (drop (call $deep (i32.const 0)))))
    (drop (call $put_field (i32.const 32) (i32.const 9) (i32.const 48) (i32.const 4)))
    (i32.const 0)))
