;; Grows its memory one page at a time until memory.grow fails, then traps
;; the way an allocator that gets no memory aborts. Documents with a field
;; `small` only touch one page and succeed.
(module
  (import "elastic" "elastic_get_field" (func $get (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "small")
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "process") (result i32)
    (if (i32.eqz (call $get (i32.const 0) (i32.const 5) (i32.const 16) (i32.const 20)))
      (then (return (i32.const 0))))
    (block $out
      (loop $more
        (br_if $out (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $more)))
    unreachable))
