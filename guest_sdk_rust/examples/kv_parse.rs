//! Parses `key=value` pairs separated by whitespace from a string field and
//! stores each value as a string under a target object, e.g.
//! `user=alice status=200 msg="disk full"` gives
//! `{"kv": {"user": "alice", "status": "200", "msg": "disk full"}}`.
//!
//! A value may be double-quoted to contain whitespace (`\"` and `\\` inside the
//! quotes stand for `"` and `\`). Tokens without `=`, empty keys and keys
//! containing `.` are skipped; a repeated key keeps its last value. The target
//! field is set (replaced) with one object holding all pairs, in one host
//! call; nothing is written when there are no pairs. With an empty
//! `target_field` each pair is put at the top level instead.
//!
//! Params (checked at load; unknown ones are refused):
//! - `field` (string, default `"message"`): the field to parse.
//! - `target_field` (string, default `"kv"`): where to put the pairs.
//! - `ignore_missing` (boolean, default `false`): keep documents without
//!   `field` instead of failing with `field [x] not present`.

use elastic_ingest::json::write_escaped;
use elastic_ingest::{accept_params, get_value, param_bool, param_str, put_field, put_str, Error, Outcome, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Splits `text` into (key, value) pairs; later duplicates replace the value
/// but keep the first position.
fn parse_pairs(text: &str) -> Vec<(&str, Cow<'_, str>)> {
    let b = text.as_bytes();
    let n = b.len();
    // Every cut is next to an ASCII byte, so `get` always succeeds; it avoids
    // the panic path (and its code) of `&text[a..b]`.
    let sub = |a: usize, z: usize| text.get(a..z).unwrap_or("");
    let mut pairs: Vec<(&str, Cow<str>)> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut i = 0;
    while i < n {
        while i < n && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let key_start = i;
        while i < n && b[i] != b'=' && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n || b[i] != b'=' {
            continue; // a token without '='
        }
        let key = sub(key_start, i);
        i += 1;
        let value: Cow<str> = if i < n && b[i] == b'"' {
            i += 1;
            let mut seg = i;
            let mut owned: Option<String> = None;
            while i < n && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < n && (b[i + 1] == b'"' || b[i + 1] == b'\\') {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(sub(seg, i));
                    s.push(b[i + 1] as char);
                    i += 2;
                    seg = i;
                } else {
                    i += 1;
                }
            }
            let tail = sub(seg, i);
            i = (i + 1).min(n); // past the closing quote, if any
            match owned {
                Some(mut s) => {
                    s.push_str(tail);
                    Cow::Owned(s)
                }
                None => Cow::Borrowed(tail),
            }
        } else {
            let start = i;
            while i < n && !b[i].is_ascii_whitespace() {
                i += 1;
            }
            Cow::Borrowed(sub(start, i))
        };
        if key.is_empty() || key.contains('.') {
            continue;
        }
        match index.get(key) {
            Some(&at) => pairs[at].1 = value,
            None => {
                index.insert(key, pairs.len());
                pairs.push((key, value));
            }
        }
    }
    pairs
}

struct Config {
    field: &'static str,
    target: &'static str,
    ignore_missing: bool,
}

fn configure() -> Result<Config, Error> {
    accept_params(&["field", "target_field", "ignore_missing"])?;
    Ok(Config {
        field: param_str("field", "message")?,
        target: param_str("target_field", "kv")?,
        ignore_missing: param_bool("ignore_missing", false)?,
    })
}

fn kv_parse(config: &Config) -> Result<Outcome, Error> {
    let (field, target) = (config.field, config.target);
    let text = match get_value(field)? {
        Some(Value::String(s)) => s,
        Some(_) => return Err(format!("field [{}] is not a string", field).into()),
        None if config.ignore_missing => return Ok(Outcome::Keep),
        None => return Err(format!("field [{}] not present", field).into()),
    };
    let pairs = parse_pairs(&text);
    if target.is_empty() {
        for (key, value) in &pairs {
            put_str(key, value)?;
        }
    } else if !pairs.is_empty() {
        let mut object = String::with_capacity(text.len() + 8 * pairs.len());
        for (key, value) in &pairs {
            object.push(if object.is_empty() { '{' } else { ',' });
            write_escaped(&mut object, key);
            object.push(':');
            write_escaped(&mut object, value);
        }
        object.push('}');
        put_field(target, &object)?;
    }
    Ok(Outcome::Keep)
}

elastic_ingest::processor!(kv_parse, configure);
