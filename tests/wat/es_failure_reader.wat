;; An on_failure handler written as a guest: copies what handlers may read
;; from the ingest metadata into the document, skipping what is absent:
;;   _ingest.on_failure_message         -> handled.message
;;   _ingest.on_failure_processor_type  -> handled.processor_type
;;   _ingest.on_failure_processor_tag   -> handled.processor_tag
;;   _ingest.on_failure_pipeline        -> handled.pipeline
;;   _ingest.timestamp                  -> handled.timestamp
;; Values are copied as the JSON text the host returns (null stays null).
(module
  (import "elastic" "elastic_get_field" (func $get (param i32 i32 i32 i32) (result i32)))
  (import "elastic" "elastic_put_field" (func $put (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "_ingest.on_failure_message")
  (data (i32.const 26) "handled.message")
  (data (i32.const 41) "_ingest.on_failure_processor_type")
  (data (i32.const 74) "handled.processor_type")
  (data (i32.const 96) "_ingest.on_failure_processor_tag")
  (data (i32.const 128) "handled.processor_tag")
  (data (i32.const 149) "_ingest.on_failure_pipeline")
  (data (i32.const 176) "handled.pipeline")
  (data (i32.const 192) "_ingest.timestamp")
  (data (i32.const 209) "handled.timestamp")
  (global $heap (mut i32) (i32.const 4096))
  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $n)))
    (local.get $p))
  ;; get key; when found (status Ok), put its JSON text at target
  (func $copy (param $k i32) (param $kl i32) (param $t i32) (param $tl i32)
    (if (i32.eqz (call $get (local.get $k) (local.get $kl) (i32.const 2048) (i32.const 2052)))
      (then
        (drop (call $put (local.get $t) (local.get $tl)
                         (i32.load (i32.const 2048)) (i32.load (i32.const 2052)))))))
  (func (export "process") (result i32)
    (global.set $heap (i32.const 4096))
    (call $copy (i32.const 0) (i32.const 26) (i32.const 26) (i32.const 15))
    (call $copy (i32.const 41) (i32.const 33) (i32.const 74) (i32.const 22))
    (call $copy (i32.const 96) (i32.const 32) (i32.const 128) (i32.const 21))
    (call $copy (i32.const 149) (i32.const 27) (i32.const 176) (i32.const 16))
    (call $copy (i32.const 192) (i32.const 17) (i32.const 209) (i32.const 17))
    (i32.const 0)))
