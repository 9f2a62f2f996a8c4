;; What a guest built with the proof of concept's SDK does when a host call
;; fails: it panics, which is `unreachable`. `process` reads "user.name";
;; when that is not Ok it first makes a call that succeeds (puts "seen":
;; true), then traps: the trap message must still name the failed call.
;; A document with "user.name" gets "seen": true and is kept.
(module
  (import "elastic" "elastic_get_field" (func $get_field (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_put_field" (func $put_field (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "user.name")
  (data (i32.const 32) "seen")
  (data (i32.const 48) "true")
  (global $heap (mut i32) (i32.const 1024))
  (func (export "elastic_ingest_wasm_abi_1_0"))
  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $n)))
    (local.get $p))
  (func (export "process") (result i32)
    (global.set $heap (i32.const 1024))
    (if (call $get_field (i32.const 16) (i32.const 9) (i32.const 64) (i32.const 68))
      (then
        (drop (call $put_field (i32.const 32) (i32.const 4) (i32.const 48) (i32.const 4)))
        unreachable))
    (drop (call $put_field (i32.const 32) (i32.const 4) (i32.const 48) (i32.const 4)))
    (i32.const 0)))
