//! Tests of the local document: the conformance vectors, the host's path
//! rules against a model of `ingesthost/document.py`, parsing and writing,
//! hostile inputs; and (`#[ignore]`d) timing loops.

use super::*;
use crate::json::{self, Value};

const META: &str = r#"{"timestamp":"2024-05-01T10:00:00.000000000Z"}"#;

/// A loaded document with the input it borrows.
struct TestDoc {
    doc: LocalDoc,
    _input: Vec<u8>,
}

impl TestDoc {
    fn try_new(source: &str, meta: &str, own_meta: bool) -> Result<TestDoc, ParseError> {
        let input: Vec<u8> = [source.as_bytes(), meta.as_bytes()].concat();
        let mut doc = LocalDoc::new();
        let n = source.len();
        // SAFETY: the input lives in the TestDoc, unchanged, as long as the document.
        unsafe { doc.load(&input, (0, n), (n, input.len()), own_meta)? };
        Ok(TestDoc { doc, _input: input })
    }

    fn new(source: &str) -> TestDoc {
        TestDoc::try_new(source, META, false).unwrap_or_else(|e| panic!("{}: {}", source, e))
    }

    fn json(&self) -> String {
        let mut out = Vec::new();
        self.doc.write_source(&mut out);
        String::from_utf8(out).unwrap()
    }

    fn meta_json(&self) -> String {
        let mut out = Vec::new();
        self.doc.write_meta(&mut out);
        String::from_utf8(out).unwrap()
    }

    fn get(&mut self, key: &str) -> Result<String, Status> {
        self.doc.get(key.as_bytes()).map(|v| String::from_utf8(v).unwrap())
    }

    fn put(&mut self, key: &str, value: &str) -> Status {
        self.doc.put(key.as_bytes(), value.as_bytes())
    }

    fn remove(&mut self, key: &str) -> Status {
        self.doc.remove(key.as_bytes())
    }
}

fn parse_error(source: &str) -> ParseError {
    match TestDoc::try_new(source, META, false) {
        Ok(doc) => panic!("{:?} parsed as {}", source, doc.json()),
        Err(e) => e,
    }
}

// ------------------------------------------------------------------ vectors

fn hex(text: &str) -> Vec<u8> {
    let digit = |c: u8| (c as char).to_digit(16).unwrap() as u8;
    text.as_bytes().chunks(2).map(|p| digit(p[0]) << 4 | digit(p[1])).collect()
}

/// `call[text]` as bytes, or `call[hex]` decoded.
fn arg(call: &Value, text: &str, hex_name: &str) -> Vec<u8> {
    match call.get(text).and_then(Value::as_str) {
        Some(s) => s.as_bytes().to_vec(),
        None => hex(call.get(hex_name).and_then(Value::as_str).unwrap()),
    }
}

/// A number as the host holds it after reading JSON: an integer within 64
/// bits, or else a float.
enum HostNumber {
    Int(i128),
    Float(f64),
}

fn host_number(n: &json::Number) -> HostNumber {
    let text = n.as_str();
    if !text.contains(['.', 'e', 'E']) {
        if let Ok(i) = text.parse::<i128>() {
            if (-(1i128 << 63)..1i128 << 64).contains(&i) {
                return HostNumber::Int(i);
            }
        }
    }
    HostNumber::Float(text.parse().unwrap())
}

/// Equality of two JSON values as the host sees them (numbers as Python
/// reads them: `1.2345678901234568e+29 == 1.23456789012345678901234567890e29`),
/// objects regardless of order.
fn host_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (host_number(x), host_number(y)) {
            (HostNumber::Int(i), HostNumber::Int(j)) => i == j,
            (HostNumber::Float(f), HostNumber::Float(g)) => f == g,
            _ => x == y, // exact decimal comparison, as Python compares int and float
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| host_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.iter().any(|(k2, v2)| k == k2 && host_eq(v, v2)))
        }
        _ => a == b,
    }
}

fn vector_cases() -> Vec<(String, Value)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../abi_spec/vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the conformance vectors in {}: {}", dir.display(), e))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().map_or(false, |e| e == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for case in json::parse(&text).unwrap().as_array().unwrap() {
            let name = format!(
                "{}: {}",
                file.file_name().unwrap().to_string_lossy(),
                case.get("name").unwrap().as_str().unwrap()
            );
            cases.push((name, case.clone()));
        }
    }
    assert!(cases.len() >= 20, "only {} vectors", cases.len());
    cases
}

fn status_name(status: Status) -> &'static str {
    status.name()
}

#[test]
fn conformance_vectors_on_the_local_document() {
    for (name, case) in vector_cases() {
        let mut doc = TestDoc::new(&case.get("doc").unwrap().to_json());
        let mut changed = false;
        for (i, call) in case.get("calls").unwrap().as_array().unwrap().iter().enumerate() {
            let key = arg(call, "key", "key_hex");
            let expected = call.get("status").unwrap().as_str().unwrap();
            let (status, value) = match call.get("op").unwrap().as_str().unwrap() {
                "get_field" => match doc.doc.get(&key) {
                    Ok(v) => (Status::Ok, Some(v)),
                    Err(s) => (s, None),
                },
                "put_field" => (doc.doc.put(&key, &arg(call, "value_json", "value_hex")), None),
                "remove_field" => (doc.doc.remove(&key), None),
                op => panic!("{}: unknown op {}", name, op),
            };
            assert_eq!(status_name(status), expected, "{}: call {}", name, i);
            changed |= status == Status::Ok && call.get("op").unwrap().as_str() != Some("get_field");
            if let Some(want) = call.get("value") {
                let got = json::parse(std::str::from_utf8(&value.unwrap()).unwrap()).unwrap();
                assert!(host_eq(&got, want), "{}: call {}: got {}, want {}", name, i, got, want);
            }
        }
        let out = json::parse(&doc.json()).unwrap();
        assert!(host_eq(&out, case.get("doc_out").unwrap()), "{}: document {}", name, out);
        assert_eq!(doc.doc.source_changed(), changed, "{}", name);
    }
}

/// The same vectors through `process_batch`'s dispatcher and the SDK's field
/// functions, as the `conformance` example performs them.
#[test]
fn conformance_vectors_through_a_batch() {
    use crate::api::{get_field_bytes, put_field_bytes, remove_field_bytes};
    use crate::types::Outcome;
    let cases = vector_cases();
    let mut input = Vec::new();
    input.extend_from_slice(&(cases.len() as u32).to_le_bytes());
    input.extend_from_slice(&(META.len() as u32).to_le_bytes());
    input.extend_from_slice(META.as_bytes());
    for (_, case) in &cases {
        let text = case.get("doc").unwrap().to_json();
        input.extend_from_slice(&(text.len() as u32).to_le_bytes());
        input.extend_from_slice(text.as_bytes());
        input.extend_from_slice(&0u32.to_le_bytes());
    }
    let mut n = 0;
    crate::batch::run(&input, || {
        let (name, case) = &cases[n];
        n += 1;
        for (i, call) in case.get("calls").unwrap().as_array().unwrap().iter().enumerate() {
            let key = arg(call, "key", "key_hex");
            let status = match call.get("op").unwrap().as_str().unwrap() {
                "get_field" => get_field_bytes(&key).err().unwrap_or(Status::Ok),
                "put_field" => put_field_bytes(&key, &arg(call, "value_json", "value_hex")),
                _ => remove_field_bytes(&key),
            };
            assert_eq!(status.name(), call.get("status").unwrap().as_str().unwrap(), "{}: call {}", name, i);
        }
        Ok(Outcome::Keep)
    })
    .unwrap();
    assert_eq!(n, cases.len());
    let (ptr, len) = crate::batch::results();
    // SAFETY: valid until the next batch.
    let out = unsafe { std::slice::from_raw_parts(ptr, len) };
    let u32_at = |at: usize| u32::from_le_bytes([out[at], out[at + 1], out[at + 2], out[at + 3]]) as usize;
    assert_eq!(u32_at(0), cases.len());
    let mut at = 4;
    for (name, case) in &cases {
        let status = u32_at(at);
        let text_len = u32_at(at + 4);
        let text = std::str::from_utf8(&out[at + 8..at + 8 + text_len]).unwrap();
        at += 8 + text_len;
        assert_eq!(u32_at(at), 0, "{}: no metadata change", name);
        at += 4;
        let result = match status {
            5 => case.get("doc").unwrap().clone(),
            0 => json::parse(text).unwrap(),
            other => panic!("{}: status {}", name, other),
        };
        assert!(host_eq(&result, case.get("doc_out").unwrap()), "{}: {}", name, result);
    }
    assert_eq!(at, out.len());
}

// ------------------------------------------------------------------ parsing and writing

#[test]
fn compact_documents_round_trip_byte_for_byte() {
    for text in [
        "{}",
        r#"{"a":1}"#,
        r#"{"a":{"b":{"c":[1,2,{"d":null}]}},"e":[],"f":{},"g":[[]],"h":true,"i":false}"#,
        r#"{"n":[0,-0,1.50,-2.5e-3,1E+2,1e2,18446744073709551615,-9223372036854775808,0.0]}"#,
        r#"{"s":"","t":"\"\\\/\b\f\n\r\t\u0000\u00e9\ud83d\ude00","u":"ключ ✓ 😀"}"#,
        r#"{"a\"b":1,"\u00e9t\u00e9":2,"é":3,"":4,"x\ny":5}"#,
        r#"{"_ingest":{"timestamp":"x"},"a.b":1}"#,
    ] {
        let doc = TestDoc::new(text);
        assert_eq!(doc.json(), text);
        // Untouched, every container is copied from the input.
        assert!(doc.doc.lists.iter().all(|l| l.text != NO_TEXT), "{}", text);
    }
}

#[test]
fn whitespace_and_duplicates_are_written_compactly() {
    let doc = TestDoc::new(" {\n \"a\" : [ 1 , { \"b\" :\tnull } ] ,\r\"c\":{ } }  ");
    assert_eq!(doc.json(), r#"{"a":[1,{"b":null}],"c":{}}"#);
    // A Python dict: first position, last value.
    let mut doc = TestDoc::new(r#"{"a":1,"b":{"x":1,"x":[2]},"a":3,"c":4}"#);
    assert_eq!(doc.json(), r#"{"a":3,"b":{"x":[2]},"c":4}"#);
    assert_eq!(doc.remove("a"), Status::Ok);
    assert_eq!(doc.get("a"), Err(Status::NotFound));
    assert_eq!(doc.put("d", r#"{"k":1,"l":2,"k":{"m":3}}"#), Status::Ok);
    assert_eq!(doc.get("d"), Ok(r#"{"k":{"m":3},"l":2}"#.to_string()));
    // Same-length keys that differ are not duplicates.
    let doc = TestDoc::new(r#"{"ab":1,"cd":2,"ab":3,"\u0061b":4}"#);
    assert_eq!(doc.json(), r#"{"ab":4,"cd":2}"#);
    // Keys of lengths 1 and 65 share a bit of the length filter.
    let long = "k".repeat(65);
    let text = format!(r#"{{"a":1,"{}":2,"b":3}}"#, long);
    assert_eq!(TestDoc::new(&text).json(), text);
}

#[test]
fn duplicates_in_big_objects() {
    // Objects past SMALL_OBJECT members are checked when they close: the same
    // result as a Python dict, whatever the positions of the duplicates.
    let mut rng = Rng(3);
    for members in [15, 16, 17, 18, 40, 300] {
        for _ in 0..20 {
            let mut text = String::from("{");
            let mut model: Vec<(String, usize)> = Vec::new();
            for i in 0..members {
                let key = format!("k{}", rng.below(members as u64 / 2 + 1));
                if i > 0 {
                    text.push(',');
                }
                text.push_str(&format!(r#""{}":{}"#, key, i));
                match model.iter_mut().find(|(k, _)| *k == key) {
                    Some(member) => member.1 = i,
                    None => model.push((key, i)),
                }
            }
            text.push('}');
            let want: Vec<String> = model.iter().map(|(k, v)| format!(r#""{}":{}"#, k, v)).collect();
            let want = format!("{{{}}}", want.join(","));
            let mut doc = TestDoc::new(&text);
            assert_eq!(doc.json(), want, "{}", text);
            let (key, value) = &model[model.len() / 2];
            assert_eq!(doc.get(key), Ok(value.to_string()));
            // The same rule for an escaped spelling of a key.
            let escaped = format!(
                r#"{{"k0":1,{},"\u006b0":2}}"#,
                (1..members).map(|i| format!(r#""x{}":0"#, i)).collect::<Vec<_>>().join(",")
            );
            let mut doc = TestDoc::new(&escaped);
            assert_eq!(doc.get("k0"), Ok("2".to_string()));
            assert!(doc.json().starts_with(r#"{"k0":2,"x1":0"#));
        }
    }
    // Hash collisions are no duplicates: many keys, all distinct.
    let text = format!("{{{}}}", (0..5000).map(|i| format!(r#""{}":{}"#, i, i)).collect::<Vec<_>>().join(","));
    assert_eq!(TestDoc::new(&text).json(), text);
}

#[test]
fn escaped_keys_are_matched_by_their_text() {
    let mut doc = TestDoc::new(r#"{"\u00e9t\u00e9":1,"q\"k":{"\\":2},"tab\t":3,"\ud83d\ude00":4}"#);
    assert_eq!(doc.get("été"), Ok("1".to_string()));
    assert_eq!(doc.get("q\"k.\\"), Ok("2".to_string()));
    assert_eq!(doc.get("tab\t"), Ok("3".to_string()));
    assert_eq!(doc.get("😀"), Ok("4".to_string()));
    assert_eq!(doc.get("q\"k"), Ok(r#"{"\\":2}"#.to_string()));
    assert_eq!(doc.put("q\"k.n", "0"), Status::Ok);
    assert_eq!(doc.put("new\"key\n", "1"), Status::Ok);
    assert_eq!(doc.json(), r#"{"été":1,"q\"k":{"\\":2,"n":0},"tab\t":3,"😀":4,"new\"key\n":1}"#);
    assert!(json::parse(&doc.json()).is_ok());
}

#[test]
fn get_returns_the_values_text() {
    let mut doc = TestDoc::new(r#"{"f":1.50,"e":1.0e2,"s":"\u00e9\/","o":{"a":[1,"x",{"b":false}]},"n":null}"#);
    assert_eq!(doc.get("f"), Ok("1.50".to_string()));
    assert_eq!(doc.get("e"), Ok("1.0e2".to_string()));
    assert_eq!(doc.get("s"), Ok(r#""\u00e9\/""#.to_string()));
    assert_eq!(doc.get("o"), Ok(r#"{"a":[1,"x",{"b":false}]}"#.to_string()));
    assert_eq!(doc.get("o.a"), Ok(r#"[1,"x",{"b":false}]"#.to_string()));
    assert_eq!(doc.get("o.a.2.b"), Ok("false".to_string()));
    assert_eq!(doc.get("n"), Ok("null".to_string()));
    assert_eq!(doc.get("o.a.00"), Ok("1".to_string()));
    assert_eq!(doc.get("o.a.18446744073709551616"), Err(Status::NotFound));
    assert_eq!(doc.get("o.a.+1"), Err(Status::InvalidArgument));
    assert_eq!(doc.get("o.a.١"), Err(Status::InvalidArgument)); // Arabic-Indic one: not ASCII
    assert_eq!(doc.get("f.x.."), Err(Status::InvalidArgument)); // the path is checked first
    assert_eq!(doc.get("f.x.-1"), Err(Status::NotFound)); // then walked: a scalar stops it
    assert_eq!(doc.get("o.a.x.y"), Err(Status::InvalidArgument));
    assert!(!doc.doc.source_changed());
}

#[test]
fn put_keeps_python_dict_order() {
    let mut doc = TestDoc::new(r#"{"a":1,"n":null,"b":{"c":2}}"#);
    assert_eq!(doc.put("a", "[true]"), Status::Ok); // replaced in place
    assert_eq!(doc.put("z", "0"), Status::Ok); // appended
    assert_eq!(doc.put("n.x.y", r#""deep""#), Status::Ok); // null becomes an object, in place
    assert_eq!(doc.put("b.d", "3"), Status::Ok);
    assert_eq!(doc.put("b.c", "null"), Status::Ok);
    assert_eq!(doc.put("b.c.e", "4"), Status::Ok);
    assert_eq!(doc.json(), r#"{"a":[true],"n":{"x":{"y":"deep"}},"b":{"c":{"e":4},"d":3},"z":0}"#);
    assert_eq!(doc.remove("a"), Status::Ok);
    assert_eq!(doc.put("a", "1"), Status::Ok); // re-added at the end
    assert_eq!(doc.json(), r#"{"n":{"x":{"y":"deep"}},"b":{"c":{"e":4},"d":3},"z":0,"a":1}"#);
    assert!(doc.doc.source_changed());
    assert!(!doc.doc.meta_changed());
}

#[test]
fn containers_grow_after_relocation() {
    let mut doc = TestDoc::new(r#"{"a":{"x":0},"b":{"y":0},"l":[0,1,2,3,4]}"#);
    for i in 0..40 {
        // "a" and "b" alternate, so neither stays at the end of the members.
        assert_eq!(doc.put(&format!("a.k{}", i), &i.to_string()), Status::Ok);
        assert_eq!(doc.put(&format!("b.k{}", i), &i.to_string()), Status::Ok);
    }
    for i in (0..40).step_by(3) {
        assert_eq!(doc.remove(&format!("a.k{}", i)), Status::Ok);
    }
    assert_eq!(doc.remove("l.0"), Status::Ok);
    assert_eq!(doc.remove("l.3"), Status::Ok);
    assert_eq!(doc.remove("l.3"), Status::NotFound);
    assert_eq!(doc.put("l.1", r#"{"q":[]}"#), Status::Ok);
    assert_eq!(doc.put("l.1.q.0", "1"), Status::InvalidArgument);
    let out = json::parse(&doc.json()).unwrap();
    let a = out.get("a").unwrap().as_object().unwrap();
    assert_eq!(a.len(), 1 + 40 - 14);
    assert_eq!(a[1].0, "k1");
    assert_eq!(out.get("b").unwrap().as_object().unwrap().len(), 41);
    assert_eq!(out.get("l").unwrap().to_json(), r#"[1,{"q":[]},3]"#);
}

#[test]
fn untouched_subtrees_are_copied_and_touched_ones_rewritten() {
    let mut doc = TestDoc::new(r#"{"a":{"b":{"c":[1,{"d":2}]},"e":[3]},"f":{"g":1}}"#);
    assert_eq!(doc.put("a.b.c.1.h", "4"), Status::Ok);
    assert_eq!(doc.get("a"), Ok(r#"{"b":{"c":[1,{"d":2,"h":4}]},"e":[3]}"#.to_string()));
    assert_eq!(doc.remove("a.e.0"), Status::Ok);
    assert_eq!(doc.get("a.e"), Ok("[]".to_string()));
    assert_eq!(doc.json(), r#"{"a":{"b":{"c":[1,{"d":2,"h":4}]},"e":[]},"f":{"g":1}}"#);
    // A failed put leaves the document as it was.
    assert_eq!(doc.put("f.g.x", "1"), Status::InvalidArgument);
    assert_eq!(doc.put("f.z", "[1,"), Status::InvalidArgument);
    assert_eq!(doc.json(), r#"{"a":{"b":{"c":[1,{"d":2,"h":4}]},"e":[]},"f":{"g":1}}"#);
    // Put values keep their own text when it is compact.
    assert_eq!(doc.put("v", r#"{"x":[1,2],"y":{}}"#), Status::Ok);
    assert_eq!(doc.put("w", r#" { "x" : [1, 2] } "#), Status::Ok);
    assert_eq!(doc.get("v"), Ok(r#"{"x":[1,2],"y":{}}"#.to_string()));
    assert_eq!(doc.get("w"), Ok(r#"{"x":[1,2]}"#.to_string()));
    assert_eq!(doc.put("v.x.0", "9"), Status::Ok);
    assert_eq!(doc.get("v"), Ok(r#"{"x":[9,2],"y":{}}"#.to_string()));
}

#[test]
fn ingest_metadata() {
    let mut doc = TestDoc::new(r#"{"_ingest":"source field","a":1}"#);
    assert_eq!(doc.get("_ingest.timestamp"), Ok(r#""2024-05-01T10:00:00.000000000Z""#.to_string()));
    assert_eq!(doc.get("_ingest"), Ok(r#""source field""#.to_string()));
    assert_eq!(doc.get("_ingest.timestamp.x"), Err(Status::NotFound));
    assert_eq!(doc.get("_ingest.nothing"), Err(Status::NotFound));
    assert!(doc.doc.meta.is_some());
    assert!(!doc.doc.meta_changed());
    assert_eq!(doc.put("_ingest.pipeline.name", r#""p""#), Status::Ok);
    assert!(doc.doc.meta_changed());
    assert!(!doc.doc.source_changed());
    assert_eq!(doc.remove("_ingest.timestamp"), Status::Ok);
    assert_eq!(doc.meta_json(), r#"{"pipeline":{"name":"p"}}"#);
    assert_eq!(doc.json(), r#"{"_ingest":"source field","a":1}"#);
    assert_eq!(doc.remove("_ingest"), Status::Ok);
    assert!(doc.doc.source_changed());
    assert_eq!(doc.json(), r#"{"a":1}"#);
    assert_eq!(doc.get("_ingest.pipeline"), Ok(r#"{"name":"p"}"#.to_string()));

    // The metadata is not read unless asked for; its own metadata is read at load.
    let doc = TestDoc::try_new(r#"{"a":1}"#, "not json", false).unwrap();
    assert!(doc.doc.meta.is_none());
    assert!(TestDoc::try_new(r#"{"a":1}"#, "not json", true).is_err());
    let mut doc = TestDoc::try_new(r#"{"a":1}"#, r#"{"x":[1]}"#, true).unwrap();
    assert_eq!(doc.get("_ingest.x.0"), Ok("1".to_string()));
    // No metadata at all stands for {}.
    let mut doc = TestDoc::try_new(r#"{"a":1}"#, "", false).unwrap();
    assert_eq!(doc.get("_ingest.timestamp"), Err(Status::NotFound));
    assert_eq!(doc.put("_ingest.t", "1"), Status::Ok);
    assert_eq!(doc.meta_json(), r#"{"t":1}"#);
}

#[test]
fn put_str_is_put_of_the_escaped_string() {
    for s in ["", "plain", "q\"b\\s/", "\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}", "é😀ключ"] {
        let mut a = TestDoc::new(r#"{"x":1}"#);
        let mut b = TestDoc::new(r#"{"x":1}"#);
        assert_eq!(a.doc.put_str(b"x", s), Status::Ok);
        assert_eq!(b.put("x", &json::escape(s)), Status::Ok);
        assert_eq!(a.json(), b.json());
        let back = json::parse(&a.get("x").unwrap()).unwrap();
        assert_eq!(back.as_str(), Some(s));
    }
    let mut doc = TestDoc::new(r#"{"s":"x"}"#);
    assert_eq!(doc.doc.put_str(b"s.t", "v"), Status::InvalidArgument);
    assert_eq!(doc.doc.put_str(b"", "v"), Status::InvalidArgument);
    assert_eq!(doc.doc.put_str(b"\xff", "v"), Status::InvalidArgument);
    assert!(!doc.doc.source_changed());
}

// ------------------------------------------------------------------ numbers

#[test]
fn numbers_are_read_as_the_host_reads_them() {
    let mut doc = TestDoc::new("{}");
    let ok = |doc: &mut TestDoc, value: &str, stored: &str| {
        assert_eq!(doc.put("n", value), Status::Ok, "{}", value);
        assert_eq!(doc.get("n").unwrap(), stored, "{}", value);
    };
    // Kept as written.
    for v in ["0", "-0", "-0.0", "1.50", "1E+2", "1e-400", "-1e-400", "18446744073709551615", "-9223372036854775808"] {
        ok(&mut doc, v, v);
    }
    ok(&mut doc, "1.7976931348623157e308", "1.7976931348623157e308");
    ok(&mut doc, "1.797693134862315807937289714053e308", "1.797693134862315807937289714053e308");
    ok(&mut doc, "0.001e311", "0.001e311"); // 1e308
    ok(&mut doc, "-17976931348623158e292", "-17976931348623158e292");
    ok(&mut doc, "0.0e99999999999999999999999", "0.0e99999999999999999999999");
    // Integers beyond 64 bits: the same digits as a float literal.
    ok(&mut doc, "18446744073709551616", "1.8446744073709551616e19");
    ok(&mut doc, "-9223372036854775809", "-9.223372036854775809e18");
    ok(&mut doc, "123456789012345678901234567890", "1.2345678901234567890123456789e29");
    ok(&mut doc, "100000000000000000000", "1e20");
    ok(&mut doc, &format!("1{}", "0".repeat(308)), "1e308");
    ok(&mut doc, &format!("[1{}]", "0".repeat(300)), "[1e300]");
    // Infinite as a 64-bit float: not JSON for the host.
    for v in [
        "1e400",
        "-1e400",
        "1e309",
        "2e308",
        "1.797693134862315807937289714054e308",
        "1.797693134862315807937289714053034150799341327100378269361737789804449682927647509466490179775872070963302864166928879109465555478519404026306574886715058206819089020007083836762738548458177115317644757302700698555713669596228429148198608349364752927190741684443655107043427115596995080930428801779041744977920e308",
        "0.002e311",
        "1e99999999999999999999999",
        "[1, 1e999]",
    ] {
        assert_eq!(doc.put("n", v), Status::InvalidArgument, "{}", v);
    }
    assert_eq!(doc.put("n", &format!("1{}", "0".repeat(309))), Status::InvalidArgument);
    assert_eq!(doc.put("n", &format!("-{}", "9".repeat(400))), Status::InvalidArgument);
    for bad in
        ["01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "1.e5", "--1", "NaN", "Infinity", "-Infinity", "1 2", "- 1"]
    {
        assert_eq!(doc.put("n", bad), Status::InvalidArgument, "{}", bad);
    }
    // The last good put stays.
    assert_eq!(doc.json(), r#"{"n":[1e300]}"#);
    // Documents are read the same way.
    assert_eq!(TestDoc::new(r#"{"a":[18446744073709551616,1]}"#).json(), r#"{"a":[1.8446744073709551616e19,1]}"#);
    assert_eq!(parse_error(r#"{"a":1e999}"#).msg, "number out of range");
}

#[test]
fn overflow_boundary_matches_float_parsing() {
    // Around 2^1024 - 2^970 with every exponent placement: finite exactly
    // when Rust's correctly rounded parser says so.
    let digits = std::str::from_utf8(OVERFLOW_DIGITS).unwrap();
    let below = {
        let mut d = digits.as_bytes().to_vec();
        *d.last_mut().unwrap() -= 1;
        String::from_utf8(d).unwrap()
    };
    for (int, expect_finite) in [(digits.to_string(), false), (below, true)] {
        for split in [1, 5, 17, 308] {
            let text = format!("{}.{}e{}", &int[..split], &int[split..], 309 - split);
            let finite = text.parse::<f64>().unwrap().is_finite();
            assert_eq!(finite, expect_finite, "{}", text);
            let mut doc = TestDoc::new("{}");
            let status = if finite { Status::Ok } else { Status::InvalidArgument };
            assert_eq!(doc.put("n", &text), status, "{}", text);
        }
    }
    let mut rng = Rng(7);
    for _ in 0..20_000 {
        let mut mantissa: String = (0..1 + rng.below(25)).map(|_| (b'0' + rng.below(10) as u8) as char).collect();
        mantissa.replace_range(..1, &(1 + rng.below(9)).to_string());
        let mut prefix = ["", "-", "0.", "-0.000"][rng.below(4) as usize];
        if mantissa.len() > 1 && rng.below(2) == 0 {
            mantissa.insert(1 + rng.below(mantissa.len() as u64 - 1) as usize, '.');
            prefix = ["", "-"][rng.below(2) as usize];
        }
        let exponent = 280 + rng.below(40) as i64;
        let text = format!("{}{}e{}", prefix, mantissa, exponent);
        let mut doc = TestDoc::new("{}");
        let want = if text.parse::<f64>().unwrap().is_finite() { Status::Ok } else { Status::InvalidArgument };
        assert_eq!(doc.put("n", &text), want, "{}", text);
    }
}

// ------------------------------------------------------------------ depth

fn nested(levels: usize) -> String {
    "[".repeat(levels) + &"]".repeat(levels)
}

#[test]
fn depth_limit() {
    // A document: the root and 253 more levels at most.
    let ok = format!(r#"{{"a":{}}}"#, nested(MAX_DEPTH - 1));
    assert_eq!(TestDoc::new(&ok).json(), ok);
    let deep = format!(r#"{{"a":{}}}"#, nested(MAX_DEPTH));
    assert_eq!(parse_error(&deep).msg, "nesting too deep");
    let deep_objects = "{\"a\":".repeat(MAX_DEPTH + 1) + "1" + &"}".repeat(MAX_DEPTH + 1);
    assert_eq!(parse_error(&deep_objects).msg, "nesting too deep");
    let very_deep = "{\"a\":".to_string() + &"[".repeat(100_000);
    assert_eq!(parse_error(&very_deep).msg, "nesting too deep");

    // A put: the key's segments plus the value's levels.
    let mut doc = TestDoc::new("{}");
    assert_eq!(doc.put("a", &nested(MAX_DEPTH - 1)), Status::Ok);
    assert_eq!(doc.put("a", &nested(MAX_DEPTH)), Status::InvalidArgument);
    assert_eq!(doc.put("b.c", &nested(MAX_DEPTH - 2)), Status::Ok);
    assert_eq!(doc.put("b.c", &nested(MAX_DEPTH - 1)), Status::InvalidArgument);
    assert_eq!(doc.put("_ingest.x", &nested(MAX_DEPTH - 2)), Status::Ok);
    assert_eq!(doc.put("_ingest.x", &nested(MAX_DEPTH - 1)), Status::InvalidArgument);
    assert_eq!(doc.doc.put_str(b"_ingest.y", "v"), Status::Ok);
    let path = |n: usize| vec!["k"; n].join(".");
    assert_eq!(doc.put(&path(MAX_DEPTH), "1"), Status::Ok);
    assert_eq!(doc.put(&path(MAX_DEPTH), "[]"), Status::InvalidArgument);
    assert_eq!(doc.put(&path(MAX_DEPTH + 1), "1"), Status::InvalidArgument);
    assert_eq!(doc.doc.put_str(path(MAX_DEPTH + 1).as_bytes(), "v"), Status::InvalidArgument);
    let out = doc.json();
    assert!(json::parse(&out).is_ok());
    // The document reached 254 levels and still loads.
    assert_eq!(TestDoc::new(&out).json(), out);
}

// ------------------------------------------------------------------ hostile input

#[test]
fn invalid_documents_are_refused() {
    for bad in [
        "",
        " ",
        "[]",
        "1",
        "\"s\"",
        "null",
        "{",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{a:1}",
        "{\"a\":1} x",
        "{}{}",
        "{'a':1}",
        "{\"a\":tru}",
        "{\"a\":nul}",
        "{\"a\":[1,]}",
        "{\"a\":[1 2]}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12\"}",
        "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\udc00\"}",
        "{\"a\":\"\\ud800\\u0041\"}",
        "{\"a\":\"\\ud800x\"}",
        "{\"a\":\"\\ud800\\\"}",
        "{\"\\ud800\":1}",
        "{\"a\":\"x\ny\"}",
        "{\"a\":\"\u{1}\"}",
        "\u{feff}{}",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{\"a\":-}",
        "{\"a\":+1}",
        "{\"a\":NaN}",
        "{\"a\":Infinity}",
        "{\"a\":\"unterminated}",
        "{\"a\":1\u{c}}",
        "{\"a\":1\u{a0}}",
    ] {
        parse_error(bad);
    }
    // Not UTF-8, including encoded surrogates and overlong forms.
    for bytes in [
        &b"{\"a\":\"\xff\"}"[..],
        b"{\"a\":\"\xed\xa0\x80\"}",
        b"{\"a\":\"\xc0\xaf\"}",
        b"{\"\xe9\":1}",
        b"{\"a\":\"\xf4\x90\x80\x80\"}",
    ] {
        let mut doc = LocalDoc::new();
        // SAFETY: `bytes` outlives the document, which is unloaded on error.
        let result = unsafe { doc.load(bytes, (0, bytes.len()), (0, 0), false) };
        assert_eq!(result.unwrap_err().msg, "invalid UTF-8");
    }
    let e = parse_error("{\"a\":[1,]}");
    assert_eq!((e.pos, e.msg), (8, "unexpected character"));
}

#[test]
fn utf8_is_checked_as_std_checks_it() {
    // Every sequence of up to four bytes drawn from the boundaries of the
    // UTF-8 ranges, inside a string value and a key, then a longer ASCII tail
    // (so the eight-byte scan runs too).
    let bytes = [
        0x00, 0x22, 0x41, 0x5c, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec,
        0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff,
    ];
    let mut doc = LocalDoc::new();
    let mut checked = 0;
    let mut sequence = Vec::new();
    for len in 1..=4u32 {
        for n in 0..bytes.len().pow(len) {
            sequence.clear();
            let mut k = n;
            for _ in 0..len {
                sequence.push(bytes[k % bytes.len()]);
                k /= bytes.len();
            }
            if sequence.iter().any(|&c| c < 0x80) && sequence[0] < 0x80 {
                continue; // ASCII first: covered by shorter sequences
            }
            if sequence.iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\') {
                continue; // the string would end or fail for another reason
            }
            let valid = std::str::from_utf8(&sequence).is_ok();
            for text in [
                [&b"{\"a\":\""[..], &sequence, b"\"}"].concat(),
                [&b"{\""[..], &sequence, b"\":1}"].concat(),
                [&b"{\"a\":\""[..], &sequence, b"0123456789abcdef\"}"].concat(),
                [&b"{\"a\":\"0123456789abcdef"[..], &sequence, b"0123456789abcdef\"}"].concat(),
            ] {
                // SAFETY: `text` outlives the document, unloaded right after.
                let result = unsafe { doc.load(&text, (0, text.len()), (0, 0), false) };
                assert_eq!(result.is_ok(), valid, "{:x?}", sequence);
                doc.unload();
                checked += 1;
            }
        }
    }
    assert!(checked > 100_000, "{}", checked);
}

#[test]
fn invalid_put_values_are_refused() {
    let mut doc = TestDoc::new(r#"{"a":1}"#);
    for bad in [
        &b""[..],
        b" ",
        b"{",
        b"hello",
        b"NaN",
        b"1 2",
        b"[1,]",
        b"{\"a\"}",
        b"\"\\ud800\"",
        b"\"a\x01\"",
        b"\"\xff\"",
        b"\xef\xbb\xbf1",
        b"\x0c1",
        b"\"\\u00\"",
        b"[",
        b"]",
        b"{\"a\":1,}",
        b"\"\xed\xa0\x80\"",
        b"tru",
        b"nulll",
    ] {
        assert_eq!(doc.doc.put(b"a", bad), Status::InvalidArgument, "{:?}", String::from_utf8_lossy(bad));
    }
    for good in ["\t1\n", "\"\u{7f}\"", "\"\\/\"", "[]", "{}", " null "] {
        assert_eq!(doc.put("b", good), Status::Ok, "{:?}", good);
    }
    assert_eq!(doc.json(), r#"{"a":1,"b":null}"#);
}

#[test]
fn truncated_and_mutated_documents_never_panic() {
    let sample = r#"{"@timestamp":"2024-05-01T10:00:00Z","msg":"a \"quoted\" \u00e9 \ud83d\ude00 text","n":[1,-2.5e-3,{"x":null,"y":true,"z":false}],"big":18446744073709551616,"e":{},"l":[]}"#;
    let doc = TestDoc::new(sample);
    let canonical = doc.json();
    for cut in 0..sample.len() {
        if let Some(prefix) = sample.get(..cut) {
            parse_error(prefix);
        }
    }
    let (seed, rounds) = fuzz_settings(42, 50_000);
    let mut rng = Rng(seed);
    let alphabet = b"{}[]\":,\\u0123456789.eE+-tfnalrsx \xc3\xa9\xff";
    let mut parsed = 0;
    for _ in 0..rounds {
        let mut bytes = sample.as_bytes().to_vec();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(bytes.len() as u64) as usize;
            match rng.below(3) {
                0 => bytes[at] = alphabet[rng.below(alphabet.len() as u64) as usize],
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, alphabet[rng.below(alphabet.len() as u64) as usize]),
            }
        }
        let mut doc = LocalDoc::new();
        // SAFETY: `bytes` outlives the use of the document below.
        if unsafe { doc.load(&bytes, (0, bytes.len()), (0, 0), false) }.is_ok() {
            parsed += 1;
            let mut out = Vec::new();
            doc.write_source(&mut out);
            let text = String::from_utf8(out).unwrap();
            let again = TestDoc::new(&text);
            assert_eq!(again.json(), text, "from {:?}", String::from_utf8_lossy(&bytes));
            assert!(json::parse(&text).is_ok(), "{}", text);
        }
        doc.unload();
    }
    assert!(parsed > 1000, "{} of the mutants parsed", parsed);
    assert_eq!(TestDoc::new(&canonical).json(), canonical);
}

#[test]
fn huge_documents() {
    let mut text = String::from("{");
    for i in 0..20_000 {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(r#""k{}":{{"v":[{},"{}"]}}"#, i, i, "x".repeat(i % 50)));
    }
    text.push('}');
    let mut doc = TestDoc::new(&text);
    assert_eq!(doc.json(), text);
    assert_eq!(doc.get("k19999.v.0"), Ok("19999".to_string()));
    assert_eq!(doc.put("k0.v.1", r#""y""#), Status::Ok);
    assert_eq!(doc.remove("k5"), Status::Ok);
    let out = json::parse(&doc.json()).unwrap();
    assert_eq!(out.as_object().unwrap().len(), 19_999);
    let long_string = format!(r#"{{"s":"{}"}}"#, "é\\n".repeat(100_000));
    assert_eq!(TestDoc::new(&long_string).json(), long_string);
    // The buffers it made big are freed by trim.
    doc.doc.trim();
    assert!(doc.doc.members.capacity() * std::mem::size_of::<Member>() <= KEEP_CAPACITY_BYTES);
}

// ------------------------------------------------------------------ against a model of document.py

/// The seed and rounds of a randomized test: the defaults, or
/// `LOCAL_FUZZ_SEED` / `LOCAL_FUZZ_SCALE` (rounds multiplied) to run longer.
fn fuzz_settings(seed: u64, rounds: usize) -> (u64, usize) {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    (env("LOCAL_FUZZ_SEED").unwrap_or(seed), rounds * env("LOCAL_FUZZ_SCALE").unwrap_or(1) as usize)
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// `ingesthost/document.py`, transcribed onto `json::Value` (objects as
/// ordered member lists, like Python dicts).
mod model {
    use crate::json::Value;
    use crate::types::Status;

    pub struct Doc {
        pub source: Value,
        pub meta: Value,
    }

    fn parse_path(key: &[u8]) -> Result<Vec<String>, Status> {
        let text = std::str::from_utf8(key).map_err(|_| Status::InvalidArgument)?;
        let parts: Vec<String> = text.split('.').map(str::to_string).collect();
        if parts.iter().any(String::is_empty) {
            return Err(Status::InvalidArgument);
        }
        Ok(parts)
    }

    fn index(segment: &str) -> Result<usize, Status> {
        if segment.bytes().all(|c| c.is_ascii_digit()) {
            Ok(segment.parse().unwrap_or(usize::MAX))
        } else {
            Err(Status::InvalidArgument)
        }
    }

    fn member<'v>(members: &'v mut [(String, Value)], key: &str) -> Option<&'v mut Value> {
        members.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    impl Doc {
        fn root(&mut self, parts: Vec<String>) -> (&mut Value, Vec<String>, bool) {
            if parts[0] == "_ingest" && parts.len() > 1 {
                (&mut self.meta, parts[1..].to_vec(), true)
            } else {
                (&mut self.source, parts, false)
            }
        }

        pub fn get(&mut self, key: &[u8]) -> Result<Value, Status> {
            let parts = parse_path(key)?;
            let (root, parts, _) = self.root(parts);
            walk(root, &parts)?.cloned().ok_or(Status::NotFound)
        }

        /// Status, and whether the metadata was the target.
        pub fn put(&mut self, key: &[u8], value: Value) -> (Status, bool) {
            let parts = match parse_path(key) {
                Ok(parts) => parts,
                Err(s) => return (s, false),
            };
            let (root, parts, is_meta) = self.root(parts);
            (put(root, &parts, value).err().unwrap_or(Status::Ok), is_meta)
        }

        pub fn remove(&mut self, key: &[u8]) -> (Status, bool) {
            let parts = match parse_path(key) {
                Ok(parts) => parts,
                Err(s) => return (s, false),
            };
            let (root, parts, is_meta) = self.root(parts);
            let status = match remove(root, &parts) {
                Ok(true) => Status::Ok,
                Ok(false) => Status::NotFound,
                Err(s) => s,
            };
            (status, is_meta)
        }
    }

    fn walk<'v>(mut node: &'v mut Value, parts: &[String]) -> Result<Option<&'v mut Value>, Status> {
        for segment in parts {
            node = match node {
                Value::Object(members) => match member(members, segment) {
                    Some(v) => v,
                    None => return Ok(None),
                },
                Value::Array(items) => {
                    let i = index(segment)?;
                    match items.get_mut(i) {
                        Some(v) => v,
                        None => return Ok(None),
                    }
                }
                _ => return Ok(None),
            };
        }
        Ok(Some(node))
    }

    fn put(mut node: &mut Value, parts: &[String], value: Value) -> Result<(), Status> {
        let (last, parents) = parts.split_last().unwrap();
        for (depth, segment) in parents.iter().enumerate() {
            node = match node {
                Value::Object(members) => {
                    let missing = match member(members, segment) {
                        None => true,
                        Some(child) => child.is_null(),
                    };
                    if missing {
                        let mut built = value;
                        for seg in parts[depth + 1..].iter().rev() {
                            built = Value::Object(vec![(seg.clone(), built)]);
                        }
                        match member(members, segment) {
                            Some(child) => *child = built,
                            None => members.push((segment.clone(), built)),
                        }
                        return Ok(());
                    }
                    member(members, segment).unwrap()
                }
                Value::Array(items) => {
                    let i = index(segment)?;
                    items.get_mut(i).ok_or(Status::InvalidArgument)?
                }
                _ => return Err(Status::InvalidArgument),
            };
        }
        match node {
            Value::Object(members) => {
                match member(members, last) {
                    Some(child) => *child = value,
                    None => members.push((last.clone(), value)),
                }
                Ok(())
            }
            Value::Array(items) => {
                let i = index(last)?;
                *items.get_mut(i).ok_or(Status::InvalidArgument)? = value;
                Ok(())
            }
            _ => Err(Status::InvalidArgument),
        }
    }

    fn remove(node: &mut Value, parts: &[String]) -> Result<bool, Status> {
        let (last, parents) = parts.split_last().unwrap();
        let node = match walk(node, parents)? {
            Some(node) => node,
            None => return Ok(false),
        };
        match node {
            Value::Object(members) => match members.iter().position(|(k, _)| k == last) {
                Some(i) => {
                    members.remove(i);
                    Ok(true)
                }
                None => Ok(false),
            },
            Value::Array(items) => {
                let i = index(last)?;
                if i < items.len() {
                    items.remove(i);
                    Ok(true)
                } else {
                    Ok(false)
                }
            }
            _ => Ok(false),
        }
    }
}

fn random_value(rng: &mut Rng, depth: usize) -> String {
    let scalars = [
        "null",
        "true",
        "false",
        "0",
        "-7",
        "1.50",
        "2e3",
        "\"s\"",
        "\"\"",
        "\"a.b\"",
        "\"é\"",
        "18446744073709551615",
    ];
    match if depth >= 3 { 0 } else { rng.below(4) } {
        0 | 1 => rng.pick(&scalars).to_string(),
        2 => {
            let n = rng.below(4);
            let items: Vec<String> = (0..n).map(|_| random_value(rng, depth + 1)).collect();
            format!("[{}]", items.join(","))
        }
        _ => {
            let keys = ["a", "b", "c", "0", "1", "_ingest", "é", "a.b"];
            let n = rng.below(4);
            let mut used = Vec::new();
            let mut members = Vec::new();
            for _ in 0..n {
                let k = rng.pick(&keys);
                if !used.contains(&k) {
                    used.push(k);
                    members.push(format!("\"{}\":{}", k, random_value(rng, depth + 1)));
                }
            }
            format!("{{{}}}", members.join(","))
        }
    }
}

fn random_key(rng: &mut Rng) -> Vec<u8> {
    let segments =
        ["a", "b", "c", "0", "1", "2", "00", "-1", "x", "_ingest", "timestamp", "é", "", "99999999999999999999999"];
    let n = 1 + rng.below(4);
    let mut key = Vec::new();
    for i in 0..n {
        if i > 0 {
            key.push(b'.');
        }
        key.extend_from_slice(rng.pick(&segments).as_bytes());
    }
    if rng.below(50) == 0 {
        key.push(0xff);
    }
    key
}

#[test]
fn random_operations_match_the_model_of_the_host() {
    let (seed, rounds) = fuzz_settings(0x5eed, 3000);
    let mut rng = Rng(seed);
    let mut checked = [0usize; 3];
    for round in 0..rounds {
        let mut source = random_value(&mut rng, 0);
        if !source.starts_with('{') {
            source = format!("{{\"a\":{}}}", source);
        }
        let mut doc = TestDoc::new(&source);
        let mut model = model::Doc { source: json::parse(&source).unwrap(), meta: json::parse(META).unwrap() };
        let (mut source_changed, mut meta_changed) = (false, false);
        for step in 0..12 {
            let key = random_key(&mut rng);
            let shown = String::from_utf8_lossy(&key).into_owned();
            let context = || format!("round {} step {}: {} on {}", round, step, shown, source);
            match rng.below(3) {
                0 => {
                    let want = model.get(&key);
                    let got = doc.doc.get(&key);
                    match (&got, &want) {
                        (Ok(text), Ok(value)) => {
                            let text = std::str::from_utf8(text).unwrap();
                            assert_eq!(json::parse(text).unwrap().to_json(), value.to_json(), "{}", context());
                        }
                        (Err(a), Err(b)) => assert_eq!(a, b, "{}", context()),
                        _ => panic!("{}: {:?} vs {:?}", context(), got.map(String::from_utf8), want),
                    }
                    checked[0] += 1;
                }
                1 => {
                    let value = random_value(&mut rng, 1);
                    let (want, is_meta) = model.put(&key, json::parse(&value).unwrap());
                    let got = if rng.below(4) == 0 && value.starts_with('"') {
                        let s = json::parse(&value).unwrap();
                        doc.doc.put_str(&key, s.as_str().unwrap())
                    } else {
                        doc.put_bytes(&key, &value)
                    };
                    assert_eq!(got, want, "{} = {}", context(), value);
                    if got == Status::Ok {
                        source_changed |= !is_meta;
                        meta_changed |= is_meta;
                    }
                    checked[1] += 1;
                }
                _ => {
                    let (want, is_meta) = model.remove(&key);
                    let got = doc.doc.remove(&key);
                    assert_eq!(got, want, "{}", context());
                    if got == Status::Ok {
                        source_changed |= !is_meta;
                        meta_changed |= is_meta;
                    }
                    checked[2] += 1;
                }
            }
            assert_eq!(json::parse(&doc.json()).unwrap().to_json(), model.source.to_json(), "{}", context());
        }
        assert_eq!(doc.doc.source_changed(), source_changed);
        assert_eq!(doc.doc.meta_changed(), meta_changed);
        if meta_changed {
            assert_eq!(json::parse(&doc.meta_json()).unwrap().to_json(), model.meta.to_json());
        }
    }
    assert!(checked.iter().all(|&n| n > 1000), "{:?}", checked);
}

impl TestDoc {
    fn put_bytes(&mut self, key: &[u8], value: &str) -> Status {
        self.doc.put(key, value.as_bytes())
    }
}

// ------------------------------------------------------------------ timing (run by hand)

/// A ~200-byte log document.
const LOG_DOC: &str = r#"{"@timestamp":"2024-05-01T10:00:00.123Z","message":"GET /index.html HTTP/1.1 200 5120","host":{"name":"web-01","ip":"10.0.0.17"},"user":{"name":"alice"},"http":{"status":200,"bytes":5120},"tags":["web","prod"]}"#;

fn time_per_iteration(what: &str, iterations: u32, mut f: impl FnMut() -> usize) {
    // Warm up, then take the best of 5 runs.
    let mut sink = 0;
    for _ in 0..iterations / 10 {
        sink += f();
    }
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = std::time::Instant::now();
        for _ in 0..iterations {
            sink += f();
        }
        best = best.min(start.elapsed().as_nanos() as f64 / iterations as f64);
    }
    println!("{:<58} {:>8.1} ns   (sink {})", what, best, sink % 10);
}

/// `cargo test --release --offline --lib -- --ignored --nocapture timing`
#[test]
#[ignore]
fn timing() {
    let input = LOG_DOC.as_bytes();
    let n = input.len();
    println!("document: {} bytes", n);
    let mut doc = LocalDoc::new();
    let mut out = Vec::with_capacity(1024);
    let load = |doc: &mut LocalDoc| {
        // SAFETY: `input` outlives the loop; the document is reloaded each time.
        unsafe { doc.load(input, (0, n), (0, 0), false) }.unwrap();
    };
    time_per_iteration("parse (load)", 1_000_000, || {
        load(&mut doc);
        doc.lists.len()
    });
    time_per_iteration("parse + serialize, untouched (copied)", 1_000_000, || {
        load(&mut doc);
        out.clear();
        doc.write_source(&mut out);
        out.len()
    });
    time_per_iteration("parse + serialize, every container rewritten", 1_000_000, || {
        load(&mut doc);
        for list in doc.lists.iter_mut() {
            list.text = NO_TEXT;
        }
        out.clear();
        doc.write_source(&mut out);
        out.len()
    });
    time_per_iteration("parse + put_str top-level field + serialize", 1_000_000, || {
        load(&mut doc);
        assert_eq!(doc.put_str(b"event.kind", "access"), Status::Ok);
        out.clear();
        doc.write_source(&mut out);
        out.len()
    });
    time_per_iteration("parse + 2 gets + 1 put (bench_edit) + serialize", 1_000_000, || {
        load(&mut doc);
        let a = doc.get(b"user.name").unwrap();
        let b = doc.get(b"http.status").unwrap();
        let mut summary = String::with_capacity(a.len() + b.len() + 1);
        summary.push_str(std::str::from_utf8(&a[1..a.len() - 1]).unwrap());
        summary.push(':');
        summary.push_str(std::str::from_utf8(&b).unwrap());
        assert_eq!(doc.put_str(b"summary", &summary), Status::Ok);
        out.clear();
        doc.write_source(&mut out);
        out.len()
    });
    time_per_iteration("parse + put of a 4-member object (kv_parse) + serialize", 1_000_000, || {
        load(&mut doc);
        assert_eq!(doc.put(b"kv", br#"{"a":"1","b":"two","c":"3","d":"x y"}"#), Status::Ok);
        out.clear();
        doc.write_source(&mut out);
        out.len()
    });
    let mut doc_json = Vec::new();
    time_per_iteration("for comparison: json::parse + to_json (the SDK's Value)", 200_000, || {
        let v = json::parse(LOG_DOC).unwrap();
        doc_json.clear();
        doc_json.extend_from_slice(v.to_json().as_bytes());
        doc_json.len()
    });

    // The whole dispatcher: 512 documents per batch, per document.
    use crate::api::{get_value, put_field};
    use crate::types::{Error, Outcome};
    let mut batch = Vec::new();
    batch.extend_from_slice(&512u32.to_le_bytes());
    batch.extend_from_slice(&(META.len() as u32).to_le_bytes());
    batch.extend_from_slice(META.as_bytes());
    for _ in 0..512 {
        batch.extend_from_slice(&(n as u32).to_le_bytes());
        batch.extend_from_slice(input);
        batch.extend_from_slice(&0u32.to_le_bytes());
    }
    let per_doc = |what: &str, f: &mut dyn FnMut() -> Result<Outcome, Error>| {
        let mut best = f64::MAX;
        for _ in 0..20 {
            let start = std::time::Instant::now();
            crate::batch::run(&batch, &mut *f).unwrap();
            best = best.min(start.elapsed().as_nanos() as f64 / 512.0);
        }
        println!("{:<58} {:>8.1} ns", what, best);
    };
    per_doc("batch of 512, per document: keep unchanged", &mut || Ok(Outcome::Keep));
    per_doc("batch of 512, per document: bench_edit (get_value x2, put)", &mut || {
        let text = |key: &str| -> Result<String, Error> {
            Ok(match get_value(key)? {
                None => "-".to_string(),
                Some(Value::String(s)) => s,
                Some(other) => other.to_json(),
            })
        };
        let summary = text("user.name")? + ":" + &text("http.status")?;
        put_field("summary", &json::escape(&summary))?;
        Ok(Outcome::Keep)
    });
}

/// A loop to profile (`perf record`, `valgrind --tool=callgrind`): loads the
/// log document `PROFILE_N` times (default 5,000,000); `PROFILE_MODE=dirty`
/// also rewrites every container, `put` adds a field and writes it back.
#[test]
#[ignore]
fn profile_parse() {
    let input = LOG_DOC.as_bytes();
    let mut doc = LocalDoc::new();
    let mut out = Vec::new();
    let mut sink = 0;
    let mode = std::env::var("PROFILE_MODE").unwrap_or_default();
    let n: usize = std::env::var("PROFILE_N").ok().and_then(|n| n.parse().ok()).unwrap_or(5_000_000);
    for _ in 0..n {
        // SAFETY: `input` is a constant.
        unsafe { doc.load(input, (0, input.len()), (0, 0), false) }.unwrap();
        if mode == "dirty" {
            for list in doc.lists.iter_mut() {
                list.text = NO_TEXT;
            }
            out.clear();
            doc.write_source(&mut out);
        } else if mode == "put" {
            doc.put_str(b"event.kind", "access");
            out.clear();
            doc.write_source(&mut out);
        }
        sink += doc.lists.len() + out.len();
    }
    println!("{}", sink);
}
