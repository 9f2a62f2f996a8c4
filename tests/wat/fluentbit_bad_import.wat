;; A Fluent Bit-style filter importing libc functions the host does not supply.
(module
  (import "env" "fopen" (func (param i32 i32) (result i32)))
  (import "env" "printf" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "filter_x") (param i32 i32 i32 i32 i32 i32) (result i32) (i32.const 0)))
