;; Fails documents that have a field `fail` (logging an Error line), traps on
;; documents that have a field `trap`, drops documents that have `drop`,
;; and marks every other document with "seen": true.
(module
  (import "elastic" "elastic_get_field" (func $get (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_put_field" (func $put (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "fail")
  (data (i32.const 8) "trap")
  (data (i32.const 16) "drop")
  (data (i32.const 24) "seen")
  (data (i32.const 32) "true")
  (data (i32.const 40) "document asked to fail")
  (global $heap (mut i32) (i32.const 1024))
  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $n)))
    (local.get $p))
  (func (export "process") (result i32)
    ;; reset the bump heap each document: nothing survives across calls
    (global.set $heap (i32.const 1024))
    (if (i32.eqz (call $get (i32.const 0) (i32.const 4) (i32.const 512) (i32.const 516)))
      (then
        (drop (call $log (i32.const 3) (i32.const 40) (i32.const 22)))
        (return (i32.const 1))))
    (if (i32.eqz (call $get (i32.const 8) (i32.const 4) (i32.const 512) (i32.const 516)))
      (then unreachable))
    (if (i32.eqz (call $get (i32.const 16) (i32.const 4) (i32.const 512) (i32.const 516)))
      (then (return (i32.const 4))))
    (drop (call $put (i32.const 24) (i32.const 4) (i32.const 32) (i32.const 4)))
    (i32.const 0)))
