//! Drops documents whose field equals a given JSON value (compared as JSON:
//! numbers by numeric value, objects regardless of member order). Documents
//! without the field are kept.
//!
//! Params:
//! - `field` (string, default `"log.level"`): the field to test.
//! - `equals` (any JSON value, required): the value that drops the document.

use elastic_ingest::{get_value, param_str, params_value, Error, Outcome};

fn drop_when() -> Result<Outcome, Error> {
    let expected = params_value().get("equals").ok_or("param [equals] is required")?;
    match get_value(param_str("field", "log.level")?)? {
        Some(value) if &value == expected => Ok(Outcome::Drop),
        _ => Ok(Outcome::Keep),
    }
}

elastic_ingest::processor!(drop_when);
