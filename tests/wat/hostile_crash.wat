;; Hostile guest, crash variant: the source of a *tampered artifact*.
;; As wasm it is harmless: a document with a field "crash" runs $boom, which
;; returns 0x12345678; others get "processed": true. tests/test_isolation.py
;; compiles it, rewrites $boom's machine code (`mov eax, 0x12345678`) into
;; `xor eax, eax; jmp rax` and re-signs the artifact with a valid checksum,
;; as an attacker who can write artifact files could. Running $boom then
;; jumps to address 0 outside wasm code: wasmer's trap handler does not
;; claim the fault and the process dies of SIGSEGV.
(module
  (import "elastic" "elastic_get_field" (func $get_field (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_put_field" (func $put_field (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (data (i32.const 16) "crash")
  (data (i32.const 32) "processed")
  (data (i32.const 48) "true")

  (func (export "elastic_ingest_wasm_abi_1_0"))

  (func (export "malloc") (param $n i32) (result i32)
    (if (i32.gt_u (local.get $n) (i32.const 32768)) (then (return (i32.const 0))))
    (i32.const 8192))

  (func $boom (result i32)
    (i32.const 0x12345678))

  (func (export "process") (result i32)
    (if (i32.eqz (call $get_field (i32.const 16) (i32.const 5) (i32.const 64) (i32.const 68)))
      (then (drop (call $boom))))
    (drop (call $put_field (i32.const 32) (i32.const 9) (i32.const 48) (i32.const 4)))
    (i32.const 0)))
