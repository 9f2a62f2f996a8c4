;; A Fluent Bit filter returning JSON that is not an object.
(module
  (memory (export "memory") 1)
  (data (i32.const 64) "[1,2,3]\00")
  (func (export "filter_non_object") (param i32 i32 i32 i32 i32 i32) (result i32) (i32.const 64)))
