;; Hostile guest: `configure` logs a Warn line in an endless loop (the parent
;; gets log messages while it waits for the worker to load: it must still
;; enforce load_timeout), and name the module and "configure".
(module
  (import "elastic" "elastic_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "still configuring")
  (global $heap (mut i32) (i32.const 1024))
  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $n)))
    (local.get $p))
  (func (export "configure") (param i32 i32) (result i32)
    (loop $forever
      (drop (call $log (i32.const 2) (i32.const 16) (i32.const 17)))
      (br $forever))
    (i32.const 0))
  (func (export "process") (result i32) (i32.const 0)))
