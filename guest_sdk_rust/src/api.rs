//! Safe wrappers around the host imports, and access to the processor params.
//!
//! The field functions act on the document being processed: through the
//! host imports in `process` (ABI 1.0), or on the guest-local copy while a
//! document of a `process_batch` is processed (ABI 1.1, `crate::local`).
//! Both give the same statuses and the same values; on a local document,
//! values read back keep the spelling of their JSON text (`1.50`, `"\u00e9"`)
//! where the host would answer with its own (`1.5`, `"é"`).

use crate::batch;
use crate::dispatcher::take_buffer;
use crate::hostcalls as hc;
use crate::json::{self, Value};
use crate::types::{Error, LogLevel, Status};
use std::cell::Cell;

/// Address of `p` as the ABI's i32 (wasm32 pointers are 32 bits).
#[inline]
fn addr<T>(p: *const T) -> i32 {
    p as usize as i32
}

fn call_error(call: &str, key: &str, status: Status) -> Error {
    Error::with_status(status, format!("{} [{}] failed: {}", call, key, status))
}

// ---------------------------------------------------------------- fields

/// Reads a field as JSON text. `Ok(None)` if the field does not exist.
///
/// `key` is a dotted path (`a.b.c`, `tags.0`). In `process` the host copies
/// the value into memory it obtains from this module's `malloc`, and the
/// returned `String` owns that buffer (no copy); in `process_batch` the value
/// is read from the module's own copy of the document.
///
/// The text is compact JSON with the host's value. Through `process_batch`
/// strings and numbers keep the spelling the document had (`1.50`,
/// `"\u00e9"`), where `process` returns the host's (`1.5`, `"é"`): compare
/// values, not texts (parse with [`get_value`]).
pub fn get_field(key: &str) -> Result<Option<String>, Error> {
    match get_field_bytes(key.as_bytes()) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| Error::with_status(Status::InternalFailure, format!("get_field [{}]: host returned invalid UTF-8", key))),
        Err(Status::NotFound) => Ok(None),
        Err(status) => Err(call_error("get_field", key, status)),
    }
}

/// Reads a field and parses its JSON. `Ok(None)` if the field does not exist.
pub fn get_value(key: &str) -> Result<Option<Value>, Error> {
    match get_field(key)? {
        Some(text) => json::parse(&text)
            .map(Some)
            .map_err(|e| Error::with_status(Status::InternalFailure, format!("get_field [{}]: {}", key, e))),
        None => Ok(None),
    }
}

/// Sets a field to a value given as JSON text (any type, `null` included).
/// Missing intermediate objects are created by the host.
pub fn put_field(key: &str, json_text: &str) -> Result<(), Error> {
    match put_field_bytes(key.as_bytes(), json_text.as_bytes()) {
        Status::Ok => Ok(()),
        status => Err(call_error("put_field", key, status)),
    }
}

/// Sets a field to a JSON string holding `value` (escaped for you).
pub fn put_str(key: &str, value: &str) -> Result<(), Error> {
    if batch::in_document() {
        return match batch::with_doc(|doc| doc.put_str(key.as_bytes(), value)) {
            Status::Ok => Ok(()),
            status => Err(call_error("put_field", key, status)),
        };
    }
    put_field(key, &json::escape(value))
}

/// Sets a field to `value`.
pub fn put_value(key: &str, value: &Value) -> Result<(), Error> {
    put_field(key, &value.to_json())
}

/// Removes a field. `Ok(false)` if it did not exist.
pub fn remove_field(key: &str) -> Result<bool, Error> {
    match remove_field_bytes(key.as_bytes()) {
        Status::Ok => Ok(true),
        Status::NotFound => Ok(false),
        status => Err(call_error("remove_field", key, status)),
    }
}

/// Raw `elastic_get_field`: any bytes as key; the value's bytes on `Ok`, else
/// the host's status (`NotFound` when missing). On a batch document, the same
/// statuses from the module's own copy of it.
pub fn get_field_bytes(key: &[u8]) -> Result<Vec<u8>, Status> {
    if batch::in_document() {
        return batch::with_doc(|doc| doc.get(key));
    }
    let mut ptr: i32 = 0;
    let mut len: i32 = 0;
    // SAFETY: key is readable for key.len() bytes; the out-pointers are valid
    // i32 slots the host writes as little-endian u32.
    let status = unsafe {
        hc::elastic_get_field(addr(key.as_ptr()), key.len() as i32, addr(&mut ptr as *mut i32), addr(&mut len as *mut i32))
    };
    match Status::from_i32(status) {
        // SAFETY: on Ok the host placed `len` bytes at `ptr`, in a buffer it
        // obtained from our `malloc(len)`; we now own it.
        Status::Ok => Ok(unsafe { take_buffer(ptr, len) }),
        other => Err(other),
    }
}

/// Raw `elastic_put_field`: any bytes as key and value; the host's status
/// (on a batch document, the status the host would return).
pub fn put_field_bytes(key: &[u8], value: &[u8]) -> Status {
    if batch::in_document() {
        return batch::with_doc(|doc| doc.put(key, value));
    }
    // SAFETY: both slices are readable for their lengths.
    Status::from_i32(unsafe {
        hc::elastic_put_field(addr(key.as_ptr()), key.len() as i32, addr(value.as_ptr()), value.len() as i32)
    })
}

/// Raw `elastic_remove_field`: any bytes as key; the host's status (on a
/// batch document, the status the host would return).
pub fn remove_field_bytes(key: &[u8]) -> Status {
    if batch::in_document() {
        return batch::with_doc(|doc| doc.remove(key));
    }
    // SAFETY: key is readable for key.len() bytes.
    Status::from_i32(unsafe { hc::elastic_remove_field(addr(key.as_ptr()), key.len() as i32) })
}

// ---------------------------------------------------------------- time

/// Current time in nanoseconds since the Unix epoch.
pub fn try_now() -> Result<u64, Error> {
    let mut nanos: u64 = 0;
    // SAFETY: `nanos` is a valid 8-byte slot the host writes little-endian.
    let status = Status::from_i32(unsafe { hc::elastic_get_current_time_nanoseconds(addr(&mut nanos as *mut u64)) });
    match status {
        Status::Ok => Ok(nanos),
        status => Err(Error::with_status(status, format!("get_current_time_nanoseconds failed: {}", status))),
    }
}

/// Current time in nanoseconds since the Unix epoch.
///
/// Panics (the document fails) if the host reports a failure; use
/// [`try_now`] to handle that yourself.
pub fn now() -> u64 {
    match try_now() {
        Ok(n) => n,
        Err(e) => panic!("{}", e),
    }
}

// ---------------------------------------------------------------- logging

/// Logs `msg` through the host (Python `logging`, under the processor's logger).
/// An Error or Critical line logged during `process` becomes the document's
/// failure message if `process` fails.
pub fn log(level: LogLevel, msg: &str) {
    log_bytes(level.code(), msg.as_bytes());
}

/// Raw `elastic_log`: any level and bytes; the host's status.
pub fn log_bytes(level: i32, msg: &[u8]) -> Status {
    // SAFETY: msg is readable for msg.len() bytes.
    Status::from_i32(unsafe { hc::elastic_log(level, addr(msg.as_ptr()), msg.len() as i32) })
}

/// Logs at Debug level.
pub fn debug(msg: &str) {
    log(LogLevel::Debug, msg)
}

/// Logs at Info level.
pub fn info(msg: &str) {
    log(LogLevel::Info, msg)
}

/// Logs at Warn level.
pub fn warn(msg: &str) {
    log(LogLevel::Warn, msg)
}

/// Logs at Error level.
pub fn error(msg: &str) {
    log(LogLevel::Error, msg)
}

/// Logs at Critical level.
pub fn critical(msg: &str) {
    log(LogLevel::Critical, msg)
}

// ---------------------------------------------------------------- version

/// The host's ABI version as (major, minor).
pub fn abi_version() -> (u16, u16) {
    // SAFETY: no arguments.
    let v = unsafe { hc::elastic_abi_version() } as u32;
    ((v >> 16) as u16, v as u16)
}

// ---------------------------------------------------------------- params

static EMPTY_PARAMS: Value = Value::Object(Vec::new());

thread_local! {
    // Set once by `configure`; wasm32-unknown-unknown is single-threaded, so
    // this is one slot. Leaked so that `params()` can hand out &'static.
    static PARAMS: Cell<Option<(&'static str, &'static Value)>> = const { Cell::new(None) };
}

/// Stores the (already validated) params. Called by `configure`.
pub(crate) fn set_params(text: String, value: Value) {
    let text: &'static str = Box::leak(text.into_boxed_str());
    let value: &'static Value = Box::leak(Box::new(value));
    PARAMS.with(|p| p.set(Some((text, value))));
}

/// The processor's params as JSON object text, as the host passed them to
/// `configure`; `"{}"` if `configure` was never called.
pub fn params() -> &'static str {
    PARAMS.with(|p| p.get()).map_or("{}", |(text, _)| text)
}

/// The processor's params, parsed (always an object).
pub fn params_value() -> &'static Value {
    PARAMS.with(|p| p.get()).map_or(&EMPTY_PARAMS, |(_, value)| value)
}

/// One param by name (a clone); `None` if absent.
pub fn param(name: &str) -> Option<Value> {
    params_value().get(name).cloned()
}

/// A string param: `default` if absent or `null`; an error if another type.
pub fn param_str(name: &str, default: &'static str) -> Result<&'static str, Error> {
    match params_value().get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::String(s)) => Ok(s),
        Some(v) => Err(Error::new(format!("param [{}] must be a string, not {}", name, v.type_name()))),
    }
}

/// A boolean param: `default` if absent or `null`; an error if another type.
pub fn param_bool(name: &str, default: bool) -> Result<bool, Error> {
    match params_value().get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(Error::new(format!("param [{}] must be a boolean, not {}", name, v.type_name()))),
    }
}

/// Refuses params the processor does not know: an error naming the first
/// param whose name is not in `names`, e.g.
/// `unknown param [feild]; this processor accepts [field], [target_field]`.
/// Call it from the processor's configure function (see
/// [`processor!`](crate::processor)) so that a typo fails the pipeline at load.
pub fn accept_params(names: &[&str]) -> Result<(), Error> {
    let members = params_value().as_object().unwrap_or(&[]);
    let unknown = match members.iter().find(|(name, _)| !names.contains(&name.as_str())) {
        Some((name, _)) => name,
        None => return Ok(()),
    };
    let mut message = format!("unknown param [{}]; this processor ", unknown);
    if names.is_empty() {
        message.push_str("takes no params");
    } else {
        message.push_str("accepts ");
        for (i, name) in names.iter().enumerate() {
            message.push_str(if i == 0 { "[" } else { ", [" });
            message.push_str(name);
            message.push(']');
        }
    }
    Err(Error::with_status(Status::InvalidArgument, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_default_then_set() {
        // thread_local: this test thread has its own slot.
        assert_eq!(params(), "{}");
        assert_eq!(params_value(), &json::parse("{}").unwrap());
        assert_eq!(param("x"), None);
        let text = r#"{"field":"a.b","n":3,"flag":true}"#;
        set_params(text.to_string(), json::parse(text).unwrap());
        assert_eq!(params(), text);
        assert_eq!(param_str("field", "x"), Ok("a.b"));
        assert_eq!(param_str("missing", "x"), Ok("x"));
        assert_eq!(param_str("n", "x").unwrap_err().message(), "param [n] must be a string, not number");
        assert_eq!(param("n").and_then(|v| v.as_i64()), Some(3));
        assert_eq!(param_bool("flag", false), Ok(true));
        assert_eq!(param_bool("missing", false), Ok(false));
        assert!(param_bool("field", false).is_err());
        assert_eq!(accept_params(&["n", "flag", "field"]), Ok(()));
        assert_eq!(accept_params(&["n", "flag", "field", "more"]), Ok(()));
        let unknown = accept_params(&["field", "flag"]).unwrap_err();
        assert_eq!(unknown.message(), "unknown param [n]; this processor accepts [field], [flag]");
        assert_eq!(unknown.status(), Status::InvalidArgument);
        assert_eq!(accept_params(&[]).unwrap_err().message(), "unknown param [field]; this processor takes no params");
    }

    #[test]
    fn native_stand_ins_fail_cleanly() {
        assert_eq!(get_field("a").unwrap_err().status(), Status::InternalFailure);
        assert_eq!(get_field("a").unwrap_err().message(), "get_field [a] failed: InternalFailure");
        assert!(put_str("a", "b").is_err());
        assert!(remove_field("a").is_err());
        assert!(try_now().is_err());
        assert_eq!(abi_version(), (0, 0));
    }
}
