;; A Fluent Bit filter in msgpack mode with no malloc export (as a Rust
;; wasm32-unknown-unknown filter without an exported allocator is): the host
;; places the buffers in a region of its memory.
(module
  (memory (export "memory") 1)
  ;; {"i": 1, "f": 1.0} followed by bytes that are not part of it
  (data (i32.const 64) "\82\a1i\01\a1f\cb\3f\f0\00\00\00\00\00\00\ff\ff\ff")
  ;; [1, 2, 3]
  (data (i32.const 128) "\93\01\02\03")
  ;; {"b": <bin 2 bytes "hi">, "x": <ext type 5>}
  (data (i32.const 160) "\81\a1e\d4\05\00")
  ;; the record as it came: MessagePack may hold zero bytes (Fluent Bit's strlen would cut it there)
  (func (export "filter_echo") (param i32 i32 i32 i32 i32 i32) (result i32) (local.get 4))
  (func (export "filter_const") (param i32 i32 i32 i32 i32 i32) (result i32) (i32.const 64))
  (func (export "filter_array") (param i32 i32 i32 i32 i32 i32) (result i32) (i32.const 128))
  (func (export "filter_ext") (param i32 i32 i32 i32 i32 i32) (result i32) (i32.const 160))
  (func (export "filter_null") (param i32 i32 i32 i32 i32 i32) (result i32) (i32.const 0))
  ;; the start of a map ({"... ) in the last two bytes of memory: it never ends
  (func (export "filter_truncated") (param i32 i32 i32 i32 i32 i32) (result i32)
    (local $at i32)
    (local.set $at (i32.sub (i32.shl (memory.size) (i32.const 16)) (i32.const 2)))
    (i32.store16 (local.get $at) (i32.const 0xa182))
    (local.get $at)))
