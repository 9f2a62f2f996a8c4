;; The guest of tests/test_fuzz_abi.py: each `process` performs exactly one
;; host call, with the arguments the test set through `set_call` (good or
;; garbage), and keeps its result in a global. The guest keeps nothing in
;; its linear memory, so the host may write anywhere and the test can check
;; every byte it changed.
;;
;; ops: 1 get_field(a0..a3)  2 put_field(a0..a3)  3 remove_field(a0, a1)
;;      4 get_current_time_nanoseconds(a0)  5 log(a0, a1, a2)
;;      6 abi_version()  7 memory.grow(a0) (result: previous pages or -1)
;;
;; malloc (set_malloc mode value):
;;   0 return `value` (0, garbage, or a good address: the test decides)
;;   1 trap
;;   2 grow memory by one page and return the old end (-65536 if it cannot grow)
;;   3 re-enter the host: call get/put/remove with the current call's
;;     arguments, keep their statuses (`nested`), then return `value`
(module
  (import "elastic" "elastic_get_field" (func $get_field (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_put_field" (func $put_field (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_remove_field" (func $remove_field (param i32 i32) (result i32)))
  (import "elastic" "elastic_get_current_time_nanoseconds" (func $now (param i32) (result i32)))
  (import "elastic" "elastic_log" (func $log (param i32 i32 i32) (result i32)))
  (import "elastic" "elastic_abi_version" (func $abi_version (result i32)))

  (memory (export "memory") 1)

  (global $op (mut i32) (i32.const 0))
  (global $a0 (mut i32) (i32.const 0))
  (global $a1 (mut i32) (i32.const 0))
  (global $a2 (mut i32) (i32.const 0))
  (global $a3 (mut i32) (i32.const 0))
  (global $result (mut i32) (i32.const -99))
  (global $malloc_mode (mut i32) (i32.const 0))
  (global $malloc_value (mut i32) (i32.const 0))
  (global $malloc_calls (mut i32) (i32.const 0))
  (global $malloc_size (mut i32) (i32.const -1))
  (global $nested_get (mut i32) (i32.const -99))
  (global $nested_put (mut i32) (i32.const -99))
  (global $nested_remove (mut i32) (i32.const -99))

  (func (export "elastic_ingest_wasm_abi_1_0"))

  (func (export "set_call") (param i32 i32 i32 i32 i32)
    (global.set $op (local.get 0))
    (global.set $a0 (local.get 1))
    (global.set $a1 (local.get 2))
    (global.set $a2 (local.get 3))
    (global.set $a3 (local.get 4))
    (global.set $result (i32.const -99))
    (global.set $malloc_calls (i32.const 0))
    (global.set $malloc_size (i32.const -1))
    (global.set $nested_get (i32.const -99))
    (global.set $nested_put (i32.const -99))
    (global.set $nested_remove (i32.const -99)))
  (func (export "set_malloc") (param i32 i32)
    (global.set $malloc_mode (local.get 0))
    (global.set $malloc_value (local.get 1)))
  (func (export "result") (result i32) (global.get $result))
  (func (export "malloc_calls") (result i32) (global.get $malloc_calls))
  (func (export "malloc_size") (result i32) (global.get $malloc_size))
  (func (export "nested") (param i32) (result i32)
    (if (i32.eq (local.get 0) (i32.const 0)) (then (return (global.get $nested_get))))
    (if (i32.eq (local.get 0) (i32.const 1)) (then (return (global.get $nested_put))))
    (global.get $nested_remove))

  (func (export "malloc") (param $n i32) (result i32)
    (global.set $malloc_calls (i32.add (global.get $malloc_calls) (i32.const 1)))
    (global.set $malloc_size (local.get $n))
    (if (i32.eq (global.get $malloc_mode) (i32.const 1))
      (then unreachable))
    (if (i32.eq (global.get $malloc_mode) (i32.const 2))
      (then (return (i32.mul (memory.grow (i32.const 1)) (i32.const 65536)))))
    (if (i32.eq (global.get $malloc_mode) (i32.const 3))
      (then
        (global.set $nested_get
          (call $get_field (global.get $a0) (global.get $a1) (global.get $a2) (global.get $a3)))
        (global.set $nested_put
          (call $put_field (global.get $a0) (global.get $a1) (global.get $a2) (global.get $a3)))
        (global.set $nested_remove
          (call $remove_field (global.get $a0) (global.get $a1)))))
    (global.get $malloc_value))

  (func $dispatch (result i32)
    (local $op i32)
    (local.set $op (global.get $op))
    (if (i32.eq (local.get $op) (i32.const 1))
      (then (return (call $get_field (global.get $a0) (global.get $a1) (global.get $a2) (global.get $a3)))))
    (if (i32.eq (local.get $op) (i32.const 2))
      (then (return (call $put_field (global.get $a0) (global.get $a1) (global.get $a2) (global.get $a3)))))
    (if (i32.eq (local.get $op) (i32.const 3))
      (then (return (call $remove_field (global.get $a0) (global.get $a1)))))
    (if (i32.eq (local.get $op) (i32.const 4))
      (then (return (call $now (global.get $a0)))))
    (if (i32.eq (local.get $op) (i32.const 5))
      (then (return (call $log (global.get $a0) (global.get $a1) (global.get $a2)))))
    (if (i32.eq (local.get $op) (i32.const 6))
      (then (return (call $abi_version))))
    (if (i32.eq (local.get $op) (i32.const 7))
      (then (return (memory.grow (global.get $a0)))))
    (i32.const -1))

  (func (export "process") (result i32)
    (global.set $result (call $dispatch))
    (i32.const 0)))
