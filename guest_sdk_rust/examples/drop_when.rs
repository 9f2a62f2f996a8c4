//! Drops documents whose field equals a given JSON value (compared as JSON:
//! numbers by numeric value, objects regardless of member order). Documents
//! without the field are kept.
//!
//! Params (checked at load; unknown ones are refused):
//! - `field` (string, default `"log.level"`): the field to test.
//! - `equals` (any JSON value, required): the value that drops the document.

use elastic_ingest::{accept_params, get_value, param_str, params_value, Error, Outcome, Value};

struct Config {
    field: &'static str,
    equals: &'static Value,
}

fn configure() -> Result<Config, Error> {
    accept_params(&["field", "equals"])?;
    Ok(Config {
        field: param_str("field", "log.level")?,
        equals: params_value().get("equals").ok_or("param [equals] is required")?,
    })
}

fn drop_when(config: &Config) -> Result<Outcome, Error> {
    match get_value(config.field)? {
        Some(value) if &value == config.equals => Ok(Outcome::Drop),
        _ => Ok(Outcome::Keep),
    }
}

elastic_ingest::processor!(drop_when, configure);
