//! Replaces the value of each listed field that is present with a fixed
//! string; absent fields are left absent.
//!
//! Params:
//! - `fields` (array of strings, or one string; default `[]`): fields to redact.
//! - `replacement` (string, default `"[REDACTED]"`): the new value.

use elastic_ingest::json::{escape, Value};
use elastic_ingest::{get_field, param_str, params_value, put_field, Error, Outcome};

fn redact() -> Result<Outcome, Error> {
    let replacement = escape(param_str("replacement", "[REDACTED]")?);
    let fields = match params_value().get("fields") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(items)) => &items[..],
        Some(one) => std::slice::from_ref(one),
    };
    for field in fields {
        let key = field.as_str().ok_or("param [fields] must be an array of strings")?;
        if get_field(key)?.is_some() {
            put_field(key, &replacement)?;
        }
    }
    Ok(Outcome::Keep)
}

elastic_ingest::processor!(redact);
