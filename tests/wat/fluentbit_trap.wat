;; A Fluent Bit filter that traps on records longer than 20 bytes and
;; returns the others unchanged.
(module
  (memory (export "memory") 1)
  (func (export "filter_trap") (param i32 i32 i32 i32 i32 i32) (result i32)
    (if (i32.gt_u (local.get 5) (i32.const 20)) (then unreachable))
    (local.get 4)))
