;; Hostile guest: an endless loop that keeps calling the host.
;; A document with a field "hang" makes `process` call
;; elastic_get_current_time_nanoseconds and elastic_get_field forever (the
;; host is re-entered millions of times, but never gets its thread back);
;; any other document gets "processed": true.
(module
  (import "elastic" "elastic_get_field" (func $get_field (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_put_field" (func $put_field (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_get_current_time_nanoseconds" (func $now (param i32) (result i32)))
  (memory (export "memory") 1 1)
  (data (i32.const 16) "hang")
  (data (i32.const 32) "processed")
  (data (i32.const 48) "true")
  (data (i32.const 96) "nothing.here")

  (func (export "elastic_ingest_wasm_abi_1_0"))

  ;; Always the same scratch area: the loop below must not run out of memory.
  (func (export "malloc") (param $n i32) (result i32)
    (if (i32.gt_u (local.get $n) (i32.const 32768)) (then (return (i32.const 0))))
    (i32.const 8192))

  (func (export "process") (result i32)
    (if (i32.eqz (call $get_field (i32.const 16) (i32.const 4) (i32.const 64) (i32.const 68)))
      (then
        (loop $forever
          (drop (call $now (i32.const 80)))
          (drop (call $get_field (i32.const 96) (i32.const 12) (i32.const 64) (i32.const 68)))
          (br $forever))))
    (drop (call $put_field (i32.const 32) (i32.const 9) (i32.const 48) (i32.const 4)))
    (i32.const 0)))
