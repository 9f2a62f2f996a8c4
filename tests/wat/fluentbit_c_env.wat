;; A Fluent Bit filter as C compiled without libc would be: it imports
;; printf, sprintf, malloc and strlen from `env` (Fluent Bit's runtime
;; supplies them) and exports no allocator, so the host places the tag and
;; the record in a region of the module's memory it manages.
;; filter_c answers a JSON object describing what it was given:
;; {"tag":..., "tag_len":..., "tag_nul":tag[tag_len], "sec":..., "nsec":...,
;;  "len":record_len, "strlen":strlen(record), "rec_nul":record[record_len],
;;  "ctors":times __wasm_call_ctors ran, "pct":"100%", "hex":"ff", "pad":"  7"}
(module
  (import "env" "sprintf" (func $sprintf (param i32 i32 i32) (result i32)))
  (import "env" "printf" (func $printf (param i32 i32) (result i32)))
  (import "env" "malloc" (func $malloc (param i32) (result i32)))
  (import "env" "strlen" (func $strlen (param i32) (result i32)))
  (memory (export "memory") 1)
  (global $ctors (mut i32) (i32.const 0))
  (data (i32.const 16) "{\"tag\":\"%s\",\"tag_len\":%d,\"tag_nul\":%d,\"sec\":%u,\"nsec\":%u,\"len\":%d,\"strlen\":%d,\"rec_nul\":%d,\"ctors\":%d,\"pct\":\"100%%\",\"hex\":\"%x\",\"pad\":\"%3d\"}\00")
  (data (i32.const 512) "filter_c: tag %s, %d bytes\n\00")
  (func (export "__wasm_call_ctors")
    (global.set $ctors (i32.add (global.get $ctors) (i32.const 1))))
  (func (export "_start") unreachable)
  (func (export "filter_c")
    (param $tag i32) (param $tag_len i32) (param $sec i32) (param $nsec i32) (param $rec i32) (param $len i32)
    (result i32)
    (local $buf i32)
    (i32.store offset=0 (i32.const 1024) (local.get $tag))
    (i32.store offset=4 (i32.const 1024) (local.get $tag_len))
    (i32.store offset=8 (i32.const 1024) (i32.load8_u (i32.add (local.get $tag) (local.get $tag_len))))
    (i32.store offset=12 (i32.const 1024) (local.get $sec))
    (i32.store offset=16 (i32.const 1024) (local.get $nsec))
    (i32.store offset=20 (i32.const 1024) (local.get $len))
    (i32.store offset=24 (i32.const 1024) (call $strlen (local.get $rec)))
    (i32.store offset=28 (i32.const 1024) (i32.load8_u (i32.add (local.get $rec) (local.get $len))))
    (i32.store offset=32 (i32.const 1024) (global.get $ctors))
    (i32.store offset=36 (i32.const 1024) (i32.const 255))
    (i32.store offset=40 (i32.const 1024) (i32.const 7))
    (local.set $buf (call $malloc (i32.const 1024)))
    (drop (call $sprintf (local.get $buf) (i32.const 16) (i32.const 1024)))
    (i32.store offset=0 (i32.const 1100) (local.get $tag))
    (i32.store offset=4 (i32.const 1100) (local.get $len))
    (drop (call $printf (i32.const 512) (i32.const 1100)))
    (local.get $buf)))
