;; A Fluent Bit filter returning a pointer past the end of its memory.
(module
  (memory (export "memory") 1)
  (func (export "filter_bad_pointer") (param i32 i32 i32 i32 i32 i32) (result i32) (i32.const -16)))
