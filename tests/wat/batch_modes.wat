;; An ABI 1.1 guest for the host's batch rules. `process_batch` answers
;; every document "keep unchanged" (status 5), except that a document whose
;; JSON text contains `"drop"` is dropped and one containing `"fail"` fails
;; with the message "asked to fail". `process` (the 1.0 path, used when a
;; batch has to be run one document at a time) does the same through host
;; calls. MODE (replaced by the tests) makes `process_batch` misbehave:
;;   0 behave
;;   1 answer one result too many
;;   2 return a pointer outside memory
;;   3 trap (unreachable)
;;   4 answer a kept document "[1]" (not an object) for documents with "odd"
;;   5 spin forever when the batch holds `"hang"` (process does the same)
;;   6 trap when the batch holds `"boom"` (process traps on it too)
(module
  (import "elastic" "elastic_get_field" (func $get_field (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "drop")
  (data (i32.const 24) "fail")
  (data (i32.const 32) "hang")
  (data (i32.const 40) "boom")
  (data (i32.const 48) "asked to fail")
  (data (i32.const 64) "[1]")
  (data (i32.const 72) "odd")
  (global $mode i32 (i32.const MODE))
  (global $heap (mut i32) (i32.const 4096))
  (global $out (mut i32) (i32.const 0))

  (func (export "elastic_ingest_wasm_abi_1_1"))

  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (if (i32.gt_u (i32.add (local.get $p) (local.get $n)) (i32.const 65536))
      (then (global.set $heap (i32.const 4096)) (local.set $p (i32.const 4096))))
    (global.set $heap (i32.add (local.get $p) (local.get $n)))
    (local.get $p))

  ;; Does [ptr, ptr+len) contain the quoted word at $word (4 bytes, or 3 with $n)?
  (func $has (param $ptr i32) (param $len i32) (param $word i32) (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $scan
        (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.add (local.get $n) (i32.const 2))) (local.get $len)))
        (if (i32.and
              (i32.and
                (i32.eq (i32.load8_u (i32.add (local.get $ptr) (local.get $i))) (i32.const 34))
                (i32.eq (i32.load8_u (i32.add (local.get $ptr) (i32.add (local.get $i) (i32.add (local.get $n) (i32.const 1))))) (i32.const 34)))
              (call $same (i32.add (local.get $ptr) (i32.add (local.get $i) (i32.const 1))) (local.get $word) (local.get $n)))
          (then (return (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (i32.const 0))

  (func $same (param $a i32) (param $b i32) (param $n i32) (result i32)
    (local $i i32)
    (block $no
      (loop $each
        (if (i32.ge_u (local.get $i) (local.get $n)) (then (return (i32.const 1))))
        (br_if $no (i32.ne (i32.load8_u (i32.add (local.get $a) (local.get $i)))
                           (i32.load8_u (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (i32.const 0))

  (func $put32 (param $v i32)
    (i32.store (global.get $out) (local.get $v))
    (global.set $out (i32.add (global.get $out) (i32.const 4))))

  (func (export "process_batch") (param $in i32) (param $len i32) (result i32)
    (local $count i32) (local $p i32) (local $i i32) (local $slen i32) (local $src i32) (local $mlen i32) (local $start i32)
    (if (i32.eq (global.get $mode) (i32.const 2)) (then (return (i32.const -16))))
    (if (i32.eq (global.get $mode) (i32.const 3)) (then unreachable))
    (if (i32.and (i32.eq (global.get $mode) (i32.const 5)) (call $has (local.get $in) (local.get $len) (i32.const 32) (i32.const 4)))
      (then (loop $forever (br $forever))))
    (if (i32.and (i32.eq (global.get $mode) (i32.const 6)) (call $has (local.get $in) (local.get $len) (i32.const 40) (i32.const 4)))
      (then unreachable))
    (local.set $count (i32.load (local.get $in)))
    ;; skip the batch metadata
    (local.set $p (i32.add (i32.add (local.get $in) (i32.const 8)) (i32.load (i32.add (local.get $in) (i32.const 4)))))
    (local.set $start (i32.const 65536))
    (global.set $out (local.get $start))
    (call $put32 (i32.add (local.get $count) (if (result i32) (i32.eq (global.get $mode) (i32.const 1)) (then (i32.const 1)) (else (i32.const 0)))))
    (block $end
      (loop $doc
        (br_if $end (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $slen (i32.load (local.get $p)))
        (local.set $src (i32.add (local.get $p) (i32.const 4)))
        (local.set $mlen (i32.load (i32.add (local.get $src) (local.get $slen))))
        (local.set $p (i32.add (i32.add (i32.add (local.get $src) (local.get $slen)) (i32.const 4)) (local.get $mlen)))
        (if (call $has (local.get $src) (local.get $slen) (i32.const 16) (i32.const 4))
          (then (call $put32 (i32.const 4)) (call $put32 (i32.const 0)) (call $put32 (i32.const 0)))
          (else
            (if (call $has (local.get $src) (local.get $slen) (i32.const 24) (i32.const 4))
              (then
                (call $put32 (i32.const 1)) (call $put32 (i32.const 13))
                (memory.copy (global.get $out) (i32.const 48) (i32.const 13))
                (global.set $out (i32.add (global.get $out) (i32.const 13)))
                (call $put32 (i32.const 0)))
              (else
                (if (i32.and (i32.eq (global.get $mode) (i32.const 4))
                             (call $has (local.get $src) (local.get $slen) (i32.const 72) (i32.const 3)))
                  (then
                    (call $put32 (i32.const 0)) (call $put32 (i32.const 3))
                    (memory.copy (global.get $out) (i32.const 64) (i32.const 3))
                    (global.set $out (i32.add (global.get $out) (i32.const 3)))
                    (call $put32 (i32.const 0)))
                  (else (call $put32 (i32.const 5)) (call $put32 (i32.const 0)) (call $put32 (i32.const 0))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $doc)))
    (local.get $start))

  (func (export "process") (result i32)
    (if (i32.eqz (call $get_field (i32.const 32) (i32.const 4) (i32.const 0) (i32.const 4)))
      (then (loop $forever (br $forever))))
    (if (i32.eqz (call $get_field (i32.const 40) (i32.const 4) (i32.const 0) (i32.const 4)))
      (then unreachable))
    (if (i32.eqz (call $get_field (i32.const 16) (i32.const 4) (i32.const 0) (i32.const 4)))
      (then (return (i32.const 4))))
    (if (i32.eqz (call $get_field (i32.const 24) (i32.const 4) (i32.const 0) (i32.const 4)))
      (then
        (drop (call $log (i32.const 3) (i32.const 48) (i32.const 13)))
        (return (i32.const 1))))
    (i32.const 0)))
