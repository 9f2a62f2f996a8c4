;; A Fluent Bit filter that never returns on records longer than 20 bytes
;; and returns the others unchanged.
(module
  (memory (export "memory") 1)
  (func (export "filter_loop") (param i32 i32 i32 i32 i32 i32) (result i32)
    (if (i32.gt_u (local.get 5) (i32.const 20)) (then (loop $forever (br $forever))))
    (local.get 4)))
