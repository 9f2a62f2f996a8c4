//! ABI 1.1's `process_batch`: many whole documents per call, edited in the
//! guest's own memory (`abi_spec/ABI.md`, *ABI 1.1: whole documents, many
//! per call*).
//!
//! For each document of the batch the dispatcher loads it into the
//! [`LocalDoc`], runs the processor function exactly as `process` would
//! (while it runs, the field functions of [`crate::api`] go to the local
//! document instead of the host), and appends its result. The results
//! buffer, like the document's buffers, is reused from batch to batch.

use crate::api;
use crate::json::ParseError;
use crate::local::LocalDoc;
use crate::types::{Error, Outcome, Status, DROP, KEEP};
use std::cell::{Cell, RefCell};

/// Result status of a kept document that no put or remove changed: the host
/// keeps its own copy.
pub const KEEP_UNCHANGED: u32 = 5;

struct Batch {
    doc: LocalDoc,
    out: Vec<u8>,
}

thread_local! {
    // wasm32-unknown-unknown is single-threaded: these are plain globals.
    static IN_DOCUMENT: Cell<bool> = const { Cell::new(false) };
    static BATCH: RefCell<Batch> = const { RefCell::new(Batch { doc: LocalDoc::new(), out: Vec::new() }) };
}

/// The results buffer is freed after a batch that made it bigger than this.
const KEEP_RESULTS_BYTES: usize = 4 << 20;

/// Whether the processor function is running on a batch document (the field
/// functions then act on [`LocalDoc`]).
#[inline]
pub(crate) fn in_document() -> bool {
    IN_DOCUMENT.with(|flag| flag.get())
}

/// Runs `f` on the local document. Only called while [`in_document`]; the
/// document is never borrowed while user code runs, so this cannot clash.
pub(crate) fn with_doc<R>(f: impl FnOnce(&mut LocalDoc) -> R) -> R {
    BATCH.with(|batch| f(&mut batch.borrow_mut().doc))
}

/// Sets [`in_document`] for its lifetime (also if user code unwinds, natively).
struct InDocument;

impl InDocument {
    fn enter() -> InDocument {
        IN_DOCUMENT.with(|flag| flag.set(true));
        InDocument
    }
}

impl Drop for InDocument {
    fn drop(&mut self) {
        IN_DOCUMENT.with(|flag| flag.set(false));
    }
}

/// Reads the input layout: little-endian `u32`s and length-prefixed byte strings.
struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn u32(&mut self) -> Option<u32> {
        let bytes = self.b.get(self.pos..self.pos.checked_add(4)?)?;
        self.pos += 4;
        Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    /// A `u32` length and that many bytes: their range in the input.
    fn bytes(&mut self) -> Option<(usize, usize)> {
        let len = self.u32()? as usize;
        let start = self.pos;
        let end = start.checked_add(len).filter(|&end| end <= self.b.len())?;
        self.pos = end;
        Some((start, end))
    }
}

/// The documents of a checked input: (source range, own metadata range).
fn documents(input: &[u8]) -> Result<(u32, (usize, usize), Reader<'_>), String> {
    let mut reader = Reader { b: input, pos: 0 };
    let malformed = |what: &str| format!("process_batch: malformed input ({} bytes): {}", input.len(), what);
    let count = reader.u32().ok_or_else(|| malformed("no document count"))?;
    let meta = reader.bytes().ok_or_else(|| malformed("the batch metadata runs past the end"))?;
    let first = reader.pos;
    for n in 0..count {
        if reader.bytes().and_then(|_| reader.bytes()).is_none() {
            return Err(malformed(&format!("document {} of {} runs past the end", n, count)));
        }
    }
    if reader.pos != input.len() {
        return Err(malformed(&format!("{} bytes after the last document", input.len() - reader.pos)));
    }
    reader.pos = first;
    Ok((count, meta, reader))
}

fn push_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends a length-prefixed byte string whose bytes `write` appends.
fn push_with_len(out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    push_u32(out, 0);
    write(out);
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

/// Appends one document's result entry.
fn push_result(out: &mut Vec<u8>, doc: &LocalDoc, result: Result<Outcome, String>, code: u32) {
    match result {
        Ok(Outcome::Drop) => {
            push_u32(out, DROP as u32);
            push_u32(out, 0);
            push_u32(out, 0);
        }
        Ok(Outcome::Keep) if !doc.source_changed() && !doc.meta_changed() => {
            push_u32(out, KEEP_UNCHANGED);
            push_u32(out, 0);
            push_u32(out, 0);
        }
        Ok(Outcome::Keep) => {
            push_u32(out, KEEP as u32);
            push_with_len(out, |out| doc.write_source(out));
            if doc.meta_changed() {
                push_with_len(out, |out| doc.write_meta(out));
            } else {
                push_u32(out, 0);
            }
        }
        Err(message) => {
            push_u32(out, code);
            push_with_len(out, |out| out.extend_from_slice(message.as_bytes()));
            push_u32(out, 0);
        }
    }
}

/// The result status of a failed document: `Error::process_code`, except
/// that 5 (which `process` reports as a failure) would read as "keep
/// unchanged" here, so it becomes 1 (InternalFailure). The message is the
/// same either way.
fn failure_code(e: &Error) -> u32 {
    match e.process_code() as u32 {
        KEEP_UNCHANGED => Status::InternalFailure.code() as u32,
        code => code,
    }
}

/// Processes the batch in `input` with `f` (the processor function, run as
/// `process` runs it) and leaves the results in the results buffer; an
/// error message if the input is malformed (the whole batch fails).
pub(crate) fn run<F: FnMut() -> Result<Outcome, Error>>(input: &[u8], mut f: F) -> Result<(), String> {
    let (count, batch_meta, mut reader) = documents(input)?;
    BATCH.with(|batch| {
        let batch = &mut *batch.borrow_mut();
        batch.out.clear();
        push_u32(&mut batch.out, count);
        if batch_meta.1 > batch_meta.0 {
            batch
                .doc
                .check_object(input, batch_meta)
                .map_err(|e| format!("process_batch: the batch metadata is not a JSON object: {}", e))?;
        }
        Ok::<(), String>(())
    })?;
    for n in 0..count {
        // Checked by `documents`.
        let (source, own_meta) = match (reader.bytes(), reader.bytes()) {
            (Some(source), Some(own_meta)) => (source, own_meta),
            _ => break,
        };
        let own = own_meta.1 > own_meta.0;
        let meta = if own { own_meta } else { batch_meta };
        // SAFETY: `input` outlives the document: it is unloaded below, before
        // this function returns.
        let loaded: Result<(), ParseError> =
            BATCH.with(|batch| unsafe { batch.borrow_mut().doc.load(input, source, meta, own) });
        let (result, code) = match loaded {
            Ok(()) => {
                let outcome = {
                    let _in_document = InDocument::enter();
                    f()
                };
                match outcome {
                    Ok(outcome) => (Ok(outcome), 0),
                    Err(e) => {
                        // As `process` does: the host may show the line; the
                        // message is also the result's.
                        let message = e.to_string();
                        api::error(&message);
                        (Err(message), failure_code(&e))
                    }
                }
            }
            Err(e) => {
                let message = format!("process_batch: document {} of the batch is not a valid JSON object: {}", n, e);
                api::error(&message);
                (Err(message), Status::InvalidArgument.code() as u32)
            }
        };
        BATCH.with(|batch| {
            let batch = &mut *batch.borrow_mut();
            push_result(&mut batch.out, &batch.doc, result, code);
        });
    }
    BATCH.with(|batch| batch.borrow_mut().doc.trim());
    Ok(())
}

/// The results of the last [`run`]: a pointer valid until the buffer is
/// next touched (the next batch), and its length.
pub(crate) fn results() -> (*const u8, usize) {
    BATCH.with(|batch| {
        let batch = batch.borrow();
        (batch.out.as_ptr(), batch.out.len())
    })
}

/// Frees the results buffer if a big batch made it big; call before `run`.
pub(crate) fn trim_results() {
    BATCH.with(|batch| {
        let out = &mut batch.borrow_mut().out;
        if out.capacity() > KEEP_RESULTS_BYTES {
            *out = Vec::new();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{get_field, put_field, put_str, remove_field};

    fn layout(meta: &str, docs: &[(&str, &str)]) -> Vec<u8> {
        let mut b = Vec::new();
        push_u32(&mut b, docs.len() as u32);
        push_u32(&mut b, meta.len() as u32);
        b.extend_from_slice(meta.as_bytes());
        for (source, own) in docs {
            push_u32(&mut b, source.len() as u32);
            b.extend_from_slice(source.as_bytes());
            push_u32(&mut b, own.len() as u32);
            b.extend_from_slice(own.as_bytes());
        }
        b
    }

    /// (status, text, meta) per result.
    fn parse_results() -> Vec<(u32, String, String)> {
        let (ptr, len) = results();
        // SAFETY: the buffer is alive until the next batch.
        let out = unsafe { std::slice::from_raw_parts(ptr, len) };
        let mut r = Reader { b: out, pos: 0 };
        let count = r.u32().unwrap();
        let mut entries = Vec::new();
        for _ in 0..count {
            let status = r.u32().unwrap();
            let text = r.bytes().unwrap();
            let meta = r.bytes().unwrap();
            let text = String::from_utf8(out[text.0..text.1].to_vec()).unwrap();
            let meta = String::from_utf8(out[meta.0..meta.1].to_vec()).unwrap();
            entries.push((status, text, meta));
        }
        assert_eq!(r.pos, out.len());
        entries
    }

    const META: &str = r#"{"timestamp":"2024-05-01T10:00:00.000000000Z"}"#;

    #[test]
    fn results_per_document() {
        let input = layout(
            META,
            &[
                (r#"{"a":1,"m":"hello"}"#, ""),
                (r#"{"a":2}"#, ""),
                (r#"{"a":3}"#, ""),
                (r#"{"a":4}"#, r#"{"timestamp":"x","seen":true}"#),
                (r#"{"a":5,"m":1.50}"#, ""),
                (r#"{"a":6"#, ""),
                (r#"{"a":7}"#, ""),
            ],
        );
        let mut n = 0;
        run(&input, || {
            n += 1;
            match n {
                1 => {
                    put_str("b", "x\"y")?;
                    assert_eq!(get_field("m")?.as_deref(), Some("\"hello\""));
                    Ok(Outcome::Keep)
                }
                2 => Ok(Outcome::Drop),
                3 => Err(Error::with_status(Status::NotFound, "field [z] not present")),
                4 => {
                    assert_eq!(get_field("_ingest.seen")?.as_deref(), Some("true"));
                    put_field("_ingest.n", "1")?;
                    Ok(Outcome::Keep)
                }
                5 => {
                    // A failed put and a get change nothing: keep unchanged.
                    assert!(put_field("a.b", "1").is_err());
                    assert!(!remove_field("zz")?);
                    assert_eq!(get_field("m")?.as_deref(), Some("1.50"));
                    assert_eq!(get_field("_ingest.timestamp")?.as_deref(), Some("\"2024-05-01T10:00:00.000000000Z\""));
                    Ok(Outcome::Keep)
                }
                // Document 6 is not JSON: the function does not run for it.
                6 => Err(Error::with_status(Status::Unknown(5), "five")),
                _ => unreachable!(),
            }
        })
        .unwrap();
        assert!(!in_document());
        let r = parse_results();
        assert_eq!(r.len(), 7);
        assert_eq!(r[0], (0, r#"{"a":1,"m":"hello","b":"x\"y"}"#.to_string(), String::new()));
        assert_eq!(r[1], (4, String::new(), String::new()));
        assert_eq!(r[2], (3, "field [z] not present".to_string(), String::new()));
        assert_eq!(r[3], (0, r#"{"a":4}"#.to_string(), r#"{"timestamp":"x","seen":true,"n":1}"#.to_string()));
        assert_eq!(r[4], (5, String::new(), String::new()));
        assert_eq!(r[5].0, 2);
        assert!(
            r[5].1.starts_with(
                "process_batch: document 5 of the batch is not a valid JSON object: invalid JSON at byte 6"
            ),
            "{}",
            r[5].1
        );
        assert_eq!(r[6], (1, "five".to_string(), String::new()));
        // Outside a document the field functions go to the host (natively: fail).
        assert_eq!(get_field("a").unwrap_err().status(), Status::InternalFailure);
    }

    #[test]
    fn metadata_changes_alone_return_the_document() {
        let input = layout(META, &[(r#"{"a":1}"#, "")]);
        run(&input, || {
            put_str("_ingest.tag", "t")?;
            assert!(remove_field("_ingest.timestamp")?);
            Ok(Outcome::Keep)
        })
        .unwrap();
        assert_eq!(parse_results(), vec![(0, r#"{"a":1}"#.to_string(), r#"{"tag":"t"}"#.to_string())]);
    }

    #[test]
    fn malformed_inputs_fail_the_batch() {
        let good = layout(META, &[(r#"{"a":1}"#, "")]);
        for cut in 0..good.len() {
            assert!(run(&good[..cut], || Ok(Outcome::Keep)).is_err(), "cut at {}", cut);
        }
        let mut long = good.clone();
        long.push(0);
        assert!(run(&long, || Ok(Outcome::Keep)).unwrap_err().contains("1 bytes after the last document"));
        let mut huge = good.clone();
        huge[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(run(&huge, || Ok(Outcome::Keep)).unwrap_err().contains("document 1 of 4294967295 runs past the end"));
        let bad_meta = layout("[]", &[(r#"{"a":1}"#, "")]);
        assert!(run(&bad_meta, || Ok(Outcome::Keep)).unwrap_err().contains("metadata is not a JSON object"));
        // An empty batch, and empty metadata (read as {}).
        run(&layout(META, &[]), || unreachable!()).unwrap();
        assert_eq!(parse_results(), vec![]);
        run(&layout("", &[(r#"{"a":1}"#, "")]), || {
            put_field("_ingest.x", "[]")?;
            Ok(Outcome::Keep)
        })
        .unwrap();
        assert_eq!(parse_results(), vec![(0, r#"{"a":1}"#.to_string(), r#"{"x":[]}"#.to_string())]);
    }

    #[test]
    fn buffers_are_reused_across_documents_and_batches() {
        let doc = r#"{"message":"a fairly long message to fill the buffers","n":12345,"o":{"p":[1,2,3]}}"#;
        let docs: Vec<(&str, &str)> = (0..50).map(|_| (doc, "")).collect();
        let input = layout(META, &docs);
        for _ in 0..3 {
            run(&input, || {
                put_str("o.q", "v")?;
                Ok(Outcome::Keep)
            })
            .unwrap();
        }
        let r = parse_results();
        assert_eq!(r.len(), 50);
        assert!(r
            .iter()
            .all(|e| e.1
                == r#"{"message":"a fairly long message to fill the buffers","n":12345,"o":{"p":[1,2,3],"q":"v"}}"#));
    }
}
