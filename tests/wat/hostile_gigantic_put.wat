;; Puts a JSON string of `size` bytes of "x" (the exported global, set by the
;; test) into field `big`, growing memory to hold it.
(module
  (import "elastic" "elastic_put_field" (func $put (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $size (export "size") (mut i32) (i32.const 1000))
  (data (i32.const 0) "big")
  (data (i32.const 16) "put_field failed")
  (func (export "set_size") (param i32) (global.set $size (local.get 0)))
  (func (export "malloc") (param i32) (result i32) (i32.const 0))
  (func (export "process") (result i32)
    (local $pages i32)
    ;; pages needed for 64 KiB of header room + the value
    (local.set $pages (i32.add (i32.div_u (global.get $size) (i32.const 65536)) (i32.const 2)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then (drop (memory.grow (i32.sub (local.get $pages) (memory.size))))))
    (i32.store8 (i32.const 65536) (i32.const 34))
    (memory.fill (i32.const 65537) (i32.const 120) (i32.sub (global.get $size) (i32.const 2)))
    (i32.store8 (i32.add (i32.const 65535) (global.get $size)) (i32.const 34))
    (if (call $put (i32.const 0) (i32.const 3) (i32.const 65536) (global.get $size))
      (then (drop (call $log (i32.const 3) (i32.const 16) (i32.const 16))) (return (i32.const 1))))
    (i32.const 0)))
