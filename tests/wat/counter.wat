;; Keeps state across documents: counts its `process` calls and its
;; `configure` calls, and writes them into every document as "count" and
;; "configured". A document with a field "trap" makes it trap instead; the
;; field's value chooses how: 1 unreachable, 2 integer division by zero,
;; 3 out-of-bounds memory access, 4 call stack exhaustion.
(module
  (import "elastic" "elastic_get_field" (func $get_field (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_put_field" (func $put_field (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "trap")
  (data (i32.const 32) "count")
  (data (i32.const 48) "configured")
  (global $heap (mut i32) (i32.const 4096))
  (global $count (mut i32) (i32.const 0))
  (global $configured (mut i32) (i32.const 0))

  (func (export "elastic_ingest_wasm_abi_1_0"))

  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $n)))
    (local.get $p))

  (func (export "configure") (param i32 i32) (result i32)
    (global.set $configured (i32.add (global.get $configured) (i32.const 1)))
    (i32.const 0))

  ;; Writes the decimal digits of $n at $buf; returns how many.
  (func $itoa (param $n i32) (param $buf i32) (result i32)
    (local $len i32)
    (local $t i32)
    (local.set $t (local.get $n))
    (loop $digits
      (local.set $len (i32.add (local.get $len) (i32.const 1)))
      (local.set $t (i32.div_u (local.get $t) (i32.const 10)))
      (br_if $digits (local.get $t)))
    (local.set $t (local.get $len))
    (loop $write
      (local.set $t (i32.sub (local.get $t) (i32.const 1)))
      (i32.store8 (i32.add (local.get $buf) (local.get $t))
        (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $write (local.get $t)))
    (local.get $len))

  (func $recurse (param $n i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))

  (func (export "process") (result i32)
    (local $kind i32)
    (global.set $heap (i32.const 4096))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (if (i32.eqz (call $get_field (i32.const 16) (i32.const 4) (i32.const 64) (i32.const 68)))
      (then
        ;; the first byte of the value's JSON text: '1' .. '4'
        (local.set $kind (i32.sub (i32.load8_u (i32.load (i32.const 64))) (i32.const 48)))
        (if (i32.eq (local.get $kind) (i32.const 1)) (then unreachable))
        (if (i32.eq (local.get $kind) (i32.const 2))
          (then (drop (i32.div_u (i32.const 1) (i32.sub (local.get $kind) (i32.const 2))))))
        (if (i32.eq (local.get $kind) (i32.const 3))
          (then (drop (i32.load (i32.sub (i32.const 0) (local.get $kind))))))
        (if (i32.eq (local.get $kind) (i32.const 4))
          (then (drop (call $recurse (i32.const 0)))))))
    (drop (call $put_field (i32.const 32) (i32.const 5)
      (i32.const 128) (call $itoa (global.get $count) (i32.const 128))))
    (drop (call $put_field (i32.const 48) (i32.const 10)
      (i32.const 160) (call $itoa (global.get $configured) (i32.const 160))))
    (i32.const 0)))
