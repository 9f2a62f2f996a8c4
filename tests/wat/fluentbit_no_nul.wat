;; A Fluent Bit filter returning a "string" whose bytes run to the end of
;; memory with no NUL: it fills the last 64 bytes with 'a' and points there.
(module
  (memory (export "memory") 1)
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "filter_no_nul") (param i32 i32 i32 i32 i32 i32) (result i32)
    (local $end i32) (local $p i32)
    (local.set $end (i32.shl (memory.size) (i32.const 16)))
    (local.set $p (i32.sub (local.get $end) (i32.const 64)))
    (block $done
      (loop $fill
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (i32.store8 (local.get $p) (i32.const 97))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $fill)))
    (i32.sub (local.get $end) (i32.const 64))))
