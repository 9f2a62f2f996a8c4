;; Remembers the params `configure` received and writes them into every
;; document as "params" (the raw bytes, which are JSON), with the number of
;; `configure` calls as "configure_calls". `configure` refuses to run before
;; `_initialize` or on bytes that are not where its own `malloc` put them.
(module
  (import "elastic" "elastic_put_field" (func $put_field (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "params")
  (data (i32.const 32) "configure_calls")
  (data (i32.const 64) "configure ran before _initialize")
  (data (i32.const 128) "params are not in memory from malloc")
  (data (i32.const 192) "params too long")
  (global $heap (mut i32) (i32.const 16384))
  (global $last_alloc (mut i32) (i32.const -1))
  (global $initialized (mut i32) (i32.const 0))
  (global $configure_calls (mut i32) (i32.const 0))
  (global $params_len (mut i32) (i32.const 0))

  (func (export "elastic_ingest_wasm_abi_1_0"))

  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $n)))
    (global.set $last_alloc (local.get $p))
    (local.get $p))

  (func (export "_initialize")
    (global.set $initialized (i32.const 1)))

  ;; The params land at 0x2000 (at most 4096 bytes).
  (func (export "configure") (param $ptr i32) (param $len i32) (result i32)
    (local $i i32)
    (global.set $configure_calls (i32.add (global.get $configure_calls) (i32.const 1)))
    (if (i32.eqz (global.get $initialized))
      (then (drop (call $log (i32.const 3) (i32.const 64) (i32.const 32))) (return (i32.const 1))))
    (if (i32.ne (local.get $ptr) (global.get $last_alloc))
      (then (drop (call $log (i32.const 3) (i32.const 128) (i32.const 36))) (return (i32.const 1))))
    (if (i32.gt_u (local.get $len) (i32.const 4096))
      (then (drop (call $log (i32.const 3) (i32.const 192) (i32.const 15))) (return (i32.const 1))))
    (block $copied
      (loop $copy
        (br_if $copied (i32.ge_u (local.get $i) (local.get $len)))
        (i32.store8 (i32.add (i32.const 0x2000) (local.get $i))
          (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $copy)))
    (global.set $params_len (local.get $len))
    (i32.const 0))

  (func (export "params_len") (result i32) (global.get $params_len))

  (func (export "process") (result i32)
    (drop (call $put_field (i32.const 16) (i32.const 6) (i32.const 0x2000) (global.get $params_len)))
    ;; one digit is enough: configure runs once per instance
    (i32.store8 (i32.const 0x1000) (i32.add (i32.const 48) (global.get $configure_calls)))
    (drop (call $put_field (i32.const 32) (i32.const 15) (i32.const 0x1000) (i32.const 1)))
    (i32.const 0)))
