;; A WASI guest: prints "hello from the guest\n" to its stdout (fd 1) and
;; puts the number of environment variables it can see into `env_count`.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes (param i32 i32) (result i32)))
  (import "elastic" "elastic_put_field" (func $put (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "hello from the guest\n")
  (data (i32.const 200) "env_count")
  (func (export "malloc") (param i32) (result i32) (i32.const 4096))
  (func (export "process") (result i32)
    (local $n i32) (local $len i32)
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (i32.const 21))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $environ_sizes (i32.const 16) (i32.const 20)))
    ;; write the count (0-9) as one ASCII digit and put it as a JSON number
    (i32.store8 (i32.const 300) (i32.add (i32.const 48) (i32.load (i32.const 16))))
    (drop (call $put (i32.const 200) (i32.const 9) (i32.const 300) (i32.const 1)))
    (i32.const 0)))
