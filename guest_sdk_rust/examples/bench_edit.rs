//! Benchmark guest: exactly two gets and one put per document. Sets `summary`
//! to the string `"<user.name>:<http.status>"` (strings unquoted, other values
//! as JSON text, `-` for a missing field).
//!
//! Params: none.

use elastic_ingest::{get_value, json, put_field, Error, Outcome, Value};

fn text(key: &str) -> Result<String, Error> {
    Ok(match get_value(key)? {
        None => "-".to_string(),
        Some(Value::String(s)) => s,
        Some(other) => other.to_json(),
    })
}

fn bench_edit() -> Result<Outcome, Error> {
    let summary = text("user.name")? + ":" + &text("http.status")?;
    put_field("summary", &json::escape(&summary))?;
    Ok(Outcome::Keep)
}

elastic_ingest::processor!(bench_edit);
