//! ABI conformance driver: performs the host calls listed in its params, in
//! order, for every document, and logs one Info line of JSON per call:
//! `{"i":<index>,"status":<status code>,"value":<JSON text or null>}`.
//! `value` is the returned JSON text inserted raw (`get_field` with status 0),
//! the nanoseconds (`now`), the raw version (`abi_version`), else `null`.
//! Always keeps the document; a bad call (a missing key, bad hex) fails it.
//!
//! Params (checked at load: unknown params, a `calls` that is not an array of
//! objects, or an unknown `op` are refused): `{"calls": [call, ...]}` where a
//! call is one of
//! - `{"op": "get_field", "key": K}`
//! - `{"op": "put_field", "key": K, "value_json": "<JSON text>"}`
//! - `{"op": "remove_field", "key": K}`
//! - `{"op": "log", "level": <int>, "message": "..."}`
//! - `{"op": "now"}`, `{"op": "abi_version"}`
//!
//! Any `key`, `value_json` or `message` may be given as `key_hex`,
//! `value_hex` or `message_hex` instead: hex-encoded raw bytes, possibly not
//! UTF-8, passed to the host unchanged.

use elastic_ingest::{
    abi_version, accept_params, get_field_bytes, info, log_bytes, params_value, put_field_bytes, remove_field_bytes,
    try_now, Error, Outcome, Value,
};

const OPS: [&str; 6] = ["get_field", "put_field", "remove_field", "log", "now", "abi_version"];

fn hex_decode(hex: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let h = hex.as_bytes();
    if h.len() % 2 != 0 {
        return None;
    }
    h.chunks(2).map(|p| Some(digit(p[0])? << 4 | digit(p[1])?)).collect()
}

/// The bytes of `call[text]` (UTF-8) or of `call[hex]` (decoded).
fn arg(i: usize, call: &Value, text: &str, hex: &str) -> Result<Vec<u8>, Error> {
    if let Some(s) = call.get(text).and_then(Value::as_str) {
        return Ok(s.as_bytes().to_vec());
    }
    let h = call.get(hex).and_then(Value::as_str).ok_or_else(|| format!("call {}: needs [{}] or [{}]", i, text, hex))?;
    hex_decode(h).ok_or_else(|| format!("call {}: [{}] is not valid hex", i, hex).into())
}

/// The calls, each an object with a known `op`.
fn configure() -> Result<&'static [Value], Error> {
    accept_params(&["calls"])?;
    let calls = match params_value().get("calls") {
        None | Some(Value::Null) => &[][..],
        Some(calls) => calls.as_array().ok_or("param [calls] must be an array")?,
    };
    for (i, call) in calls.iter().enumerate() {
        let op = call.get("op").and_then(Value::as_str).unwrap_or("");
        if call.as_object().is_none() || !OPS.contains(&op) {
            return Err(format!("param [calls]: call {}: unknown op [{}]", i, op).into());
        }
    }
    Ok(calls)
}

fn conformance(calls: &&'static [Value]) -> Result<Outcome, Error> {
    for (i, call) in calls.iter().enumerate() {
        let (status, value) = match call.get("op").and_then(Value::as_str).unwrap_or("") {
            "get_field" => match get_field_bytes(&arg(i, call, "key", "key_hex")?) {
                Ok(bytes) => (0, Some(String::from_utf8_lossy(&bytes).into_owned())),
                Err(status) => (status.code(), None),
            },
            "put_field" => {
                let value = arg(i, call, "value_json", "value_hex")?;
                (put_field_bytes(&arg(i, call, "key", "key_hex")?, &value).code(), None)
            }
            "remove_field" => (remove_field_bytes(&arg(i, call, "key", "key_hex")?).code(), None),
            "log" => {
                let level = call.get("level").and_then(Value::as_i64).unwrap_or(1) as i32;
                (log_bytes(level, &arg(i, call, "message", "message_hex")?).code(), None)
            }
            "now" => match try_now() {
                Ok(nanos) => (0, Some(nanos.to_string())),
                Err(e) => (e.status().code(), None),
            },
            "abi_version" => {
                let (major, minor) = abi_version();
                (0, Some(((major as u32) << 16 | minor as u32).to_string()))
            }
            other => return Err(format!("call {}: unknown op [{}]", i, other).into()),
        };
        info(&format!("{{\"i\":{},\"status\":{},\"value\":{}}}", i, status, value.as_deref().unwrap_or("null")));
    }
    Ok(Outcome::Keep)
}

elastic_ingest::processor!(conformance, configure);
