;; Hostile guest: abuses elastic_log. What `process` does depends on the
;; document's fields (each tested with elastic_get_field):
;;   "hang": logs a Warn line in an endless loop (the parent gets a flood of
;;           log messages and must still enforce the deadline);
;;   "big":  logs four Warn lines of 4 MiB each ('x' bytes), then keeps the document;
;;   "many": logs 1,000 short Warn lines, then keeps the document;
;;   "fail": logs one Error line of 1 MiB ('e' bytes) and returns 1 (the
;;           document fails with that line as its message);
;; any other document gets "processed": true.
(module
  (import "elastic" "elastic_get_field" (func $get_field (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_put_field" (func $put_field (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_log" (func $log (param i32 i32 i32) (result i32)))
  ;; 0x10000..0x410000: the 4 MiB line buffer
  (memory (export "memory") 66)
  (data (i32.const 16) "hang")
  (data (i32.const 24) "big")
  (data (i32.const 32) "many")
  (data (i32.const 40) "fail")
  (data (i32.const 48) "processed")
  (data (i32.const 64) "true")
  (data (i32.const 80) "still spinning")
  (data (i32.const 96) "a line of chatter")

  (func (export "elastic_ingest_wasm_abi_1_0"))

  ;; Always the same scratch area: the loops below must not run out of memory.
  (func (export "malloc") (param $n i32) (result i32)
    (if (i32.gt_u (local.get $n) (i32.const 32768)) (then (return (i32.const 0))))
    (i32.const 8192))

  (func $has (param $key i32) (param $len i32) (result i32)
    (i32.eqz (call $get_field (local.get $key) (local.get $len) (i32.const 200) (i32.const 204))))

  ;; Fill [0x10000, 0x10000 + $len) with the byte $byte, 8 bytes at a time.
  (func $fill (param $byte i64) (param $len i32)
    (local $p i32)
    (local $word i64)
    (local.set $word (i64.mul (local.get $byte) (i64.const 0x0101010101010101)))
    (local.set $p (i32.const 0x10000))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (i32.add (i32.const 0x10000) (local.get $len))))
        (i64.store (local.get $p) (local.get $word))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $next))))

  (func (export "process") (result i32)
    (local $i i32)
    (if (call $has (i32.const 16) (i32.const 4))
      (then
        (loop $forever
          (drop (call $log (i32.const 2) (i32.const 80) (i32.const 14)))
          (br $forever))))
    (if (call $has (i32.const 24) (i32.const 3))
      (then
        (call $fill (i64.const 0x78) (i32.const 0x400000))
        (local.set $i (i32.const 0))
        (loop $lines
          (drop (call $log (i32.const 2) (i32.const 0x10000) (i32.const 0x400000)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $lines (i32.lt_u (local.get $i) (i32.const 4))))
        (return (i32.const 0))))
    (if (call $has (i32.const 32) (i32.const 4))
      (then
        (local.set $i (i32.const 0))
        (loop $lines
          (drop (call $log (i32.const 2) (i32.const 96) (i32.const 17)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $lines (i32.lt_u (local.get $i) (i32.const 1000))))
        (return (i32.const 0))))
    (if (call $has (i32.const 40) (i32.const 4))
      (then
        (call $fill (i64.const 0x65) (i32.const 0x100000))
        (drop (call $log (i32.const 3) (i32.const 0x10000) (i32.const 0x100000)))
        (return (i32.const 1))))
    (drop (call $put_field (i32.const 48) (i32.const 9) (i32.const 64) (i32.const 4)))
    (i32.const 0)))
