//! Copies or renames a field: `to` gets the value of `from`, then `from` is
//! removed unless `remove_source` is false. An existing `to` is overwritten.
//!
//! Params:
//! - `from` (string, required): the source field.
//! - `to` (string, required): the target field.
//! - `remove_source` (boolean, default `true`): false copies instead of renaming.
//! - `ignore_missing` (boolean, default `false`): when `from` is absent, keep the
//!   document unchanged instead of failing with `field [from] not present`.

use elastic_ingest::{get_field, param_bool, param_str, put_field, remove_field, Error, Outcome};

fn rename_field() -> Result<Outcome, Error> {
    let (from, to) = (param_str("from", "")?, param_str("to", "")?);
    if from.is_empty() || to.is_empty() {
        return Err("params [from] and [to] are required".into());
    }
    match get_field(from)? {
        Some(value) => put_field(to, &value)?,
        None if param_bool("ignore_missing", false)? => return Ok(Outcome::Keep),
        None => return Err(format!("field [{}] not present", from).into()),
    }
    if from != to && param_bool("remove_source", true)? {
        remove_field(from)?;
    }
    Ok(Outcome::Keep)
}

elastic_ingest::processor!(rename_field);
