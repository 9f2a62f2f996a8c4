;; A scriptable guest: `process` performs the host calls the test wrote into
;; memory, with exactly the arguments given (good or garbage), and stores
;; each call's result next to it. tests/helpers.py (Driver) writes scripts.
;;
;; Memory layout (1 page to start with):
;;   0x0010 "a"  0x0018 "nested"  0x0020 "1"   data used by a re-entering malloc
;;   0x0030, 0x0034                             its out-pointers
;;   0x0040, 0x0044, 0x0048                     statuses of its nested get/put/remove
;;   0x0100                                     script: number of entries (i32)
;;   0x0104 + 24*i                              entry i: op, a0, a1, a2, a3, result (i32 each)
;;   0x1000 .. 0x7fff                           bytes the test places (keys, values)
;;   0x8000 ..                                  bump heap of malloc, reset by each process
;;
;; ops: 1 get_field(a0..a3)  2 put_field(a0..a3)  3 remove_field(a0, a1)
;;      4 get_current_time_nanoseconds(a0)  5 log(a0, a1, a2)
;;      6 abi_version() (result: its return value)  7 trap (unreachable)
;;      8 memory.grow(a0) (result: the previous size in pages, or -1)
;;
;; malloc modes (set_malloc_mode): 0 bump; 1 return 0; 2 return the value
;; given to set_malloc_return; 3 trap; 4 grow memory by one page and return
;; the first address of the new page; 5 call get/put/remove on the host
;; (re-entrancy), record their statuses, then bump.
(module
  (import "elastic" "elastic_get_field" (func $get_field (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_put_field" (func $put_field (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_remove_field" (func $remove_field (param i32 i32) (result i32)))
  (import "elastic" "elastic_get_current_time_nanoseconds" (func $now (param i32) (result i32)))
  (import "elastic" "elastic_log" (func $log (param i32 i32 i32) (result i32)))
  (import "elastic" "elastic_abi_version" (func $abi_version (result i32)))

  (memory (export "memory") 1)
  (data (i32.const 0x10) "a")
  (data (i32.const 0x18) "nested")
  (data (i32.const 0x20) "1")

  (global $heap (mut i32) (i32.const 0x8000))
  (global $malloc_mode (mut i32) (i32.const 0))
  (global $malloc_return (mut i32) (i32.const 0))
  (global $malloc_calls (mut i32) (i32.const 0))
  (global $last_malloc_size (mut i32) (i32.const -1))
  (global $last_malloc_ret (mut i32) (i32.const -1))
  (global $result (mut i32) (i32.const 0))
  (global $process_calls (mut i32) (i32.const 0))

  (func (export "elastic_ingest_wasm_abi_1_0"))

  ;; knobs and counters for the test
  (func (export "set_result") (param i32) (global.set $result (local.get 0)))
  (func (export "set_malloc_mode") (param i32) (global.set $malloc_mode (local.get 0)))
  (func (export "set_malloc_return") (param i32) (global.set $malloc_return (local.get 0)))
  (func (export "malloc_calls") (result i32) (global.get $malloc_calls))
  (func (export "last_malloc_size") (result i32) (global.get $last_malloc_size))
  (func (export "last_malloc_ret") (result i32) (global.get $last_malloc_ret))
  (func (export "process_calls") (result i32) (global.get $process_calls))

  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (global.set $malloc_calls (i32.add (global.get $malloc_calls) (i32.const 1)))
    (global.set $last_malloc_size (local.get $n))
    (block $done
      (if (i32.eq (global.get $malloc_mode) (i32.const 1))
        (then (local.set $p (i32.const 0)) (br $done)))
      (if (i32.eq (global.get $malloc_mode) (i32.const 2))
        (then (local.set $p (global.get $malloc_return)) (br $done)))
      (if (i32.eq (global.get $malloc_mode) (i32.const 3))
        (then unreachable))
      (if (i32.eq (global.get $malloc_mode) (i32.const 4))
        (then
          (local.set $p (i32.mul (memory.grow (i32.const 1)) (i32.const 65536)))
          (br $done)))
      (if (i32.eq (global.get $malloc_mode) (i32.const 5))
        (then
          (i32.store (i32.const 0x40)
            (call $get_field (i32.const 0x10) (i32.const 1) (i32.const 0x30) (i32.const 0x34)))
          (i32.store (i32.const 0x44)
            (call $put_field (i32.const 0x18) (i32.const 6) (i32.const 0x20) (i32.const 1)))
          (i32.store (i32.const 0x48)
            (call $remove_field (i32.const 0x10) (i32.const 1)))))
      (local.set $p (global.get $heap))
      (global.set $heap (i32.add (global.get $heap) (local.get $n))))
    (global.set $last_malloc_ret (local.get $p))
    (local.get $p))

  (func $dispatch (param $op i32) (param $a i32) (param $b i32) (param $c i32) (param $d i32) (result i32)
    (if (i32.eq (local.get $op) (i32.const 1))
      (then (return (call $get_field (local.get $a) (local.get $b) (local.get $c) (local.get $d)))))
    (if (i32.eq (local.get $op) (i32.const 2))
      (then (return (call $put_field (local.get $a) (local.get $b) (local.get $c) (local.get $d)))))
    (if (i32.eq (local.get $op) (i32.const 3))
      (then (return (call $remove_field (local.get $a) (local.get $b)))))
    (if (i32.eq (local.get $op) (i32.const 4))
      (then (return (call $now (local.get $a)))))
    (if (i32.eq (local.get $op) (i32.const 5))
      (then (return (call $log (local.get $a) (local.get $b) (local.get $c)))))
    (if (i32.eq (local.get $op) (i32.const 6))
      (then (return (call $abi_version))))
    (if (i32.eq (local.get $op) (i32.const 7))
      (then unreachable))
    (if (i32.eq (local.get $op) (i32.const 8))
      (then (return (memory.grow (local.get $a)))))
    (i32.const -1))

  (func (export "process") (result i32)
    (local $i i32)
    (local $e i32)
    (global.set $process_calls (i32.add (global.get $process_calls) (i32.const 1)))
    (global.set $heap (i32.const 0x8000))
    (block $end
      (loop $next
        (br_if $end (i32.ge_u (local.get $i) (i32.load (i32.const 0x100))))
        (local.set $e (i32.add (i32.const 0x104) (i32.mul (local.get $i) (i32.const 24))))
        (i32.store offset=20 (local.get $e)
          (call $dispatch
            (i32.load (local.get $e))
            (i32.load offset=4 (local.get $e))
            (i32.load offset=8 (local.get $e))
            (i32.load offset=12 (local.get $e))
            (i32.load offset=16 (local.get $e))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (global.get $result)))
