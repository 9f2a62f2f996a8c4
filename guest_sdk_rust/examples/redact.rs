//! Replaces the value of each listed field that is present with a fixed
//! string; absent fields are left absent.
//!
//! Params (checked at load; unknown ones are refused):
//! - `fields` (array of strings, or one string; default `[]`): fields to redact.
//! - `replacement` (string, default `"[REDACTED]"`): the new value.

use elastic_ingest::json::{escape, Value};
use elastic_ingest::{accept_params, get_field, param_str, params_value, put_field, Error, Outcome};

struct Config {
    fields: Vec<&'static str>,
    /// The replacement as JSON text.
    replacement: String,
}

fn configure() -> Result<Config, Error> {
    accept_params(&["fields", "replacement"])?;
    let fields = match params_value().get("fields") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(items)) => &items[..],
        Some(one) => std::slice::from_ref(one),
    };
    Ok(Config {
        fields: fields.iter().map(|f| f.as_str().ok_or("param [fields] must be an array of strings")).collect::<Result<_, _>>()?,
        replacement: escape(param_str("replacement", "[REDACTED]")?),
    })
}

fn redact(config: &Config) -> Result<Outcome, Error> {
    for key in &config.fields {
        if get_field(key)?.is_some() {
            put_field(key, &config.replacement)?;
        }
    }
    Ok(Outcome::Keep)
}

elastic_ingest::processor!(redact, configure);
