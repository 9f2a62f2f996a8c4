//! Copies or renames a field: `to` gets the value of `from`, then `from` is
//! removed unless `remove_source` is false. An existing `to` is overwritten.
//!
//! Params (checked at load; unknown ones are refused):
//! - `from` (string, required): the source field.
//! - `to` (string, required): the target field.
//! - `remove_source` (boolean, default `true`): false copies instead of renaming.
//! - `ignore_missing` (boolean, default `false`): when `from` is absent, keep the
//!   document unchanged instead of failing with `field [from] not present`.

use elastic_ingest::{accept_params, get_field, param_bool, param_str, put_field, remove_field, Error, Outcome};

struct Config {
    from: &'static str,
    to: &'static str,
    remove_source: bool,
    ignore_missing: bool,
}

fn configure() -> Result<Config, Error> {
    accept_params(&["from", "to", "remove_source", "ignore_missing"])?;
    let (from, to) = (param_str("from", "")?, param_str("to", "")?);
    if from.is_empty() || to.is_empty() {
        return Err("params [from] and [to] are required".into());
    }
    Ok(Config {
        from,
        to,
        remove_source: from != to && param_bool("remove_source", true)?,
        ignore_missing: param_bool("ignore_missing", false)?,
    })
}

fn rename_field(config: &Config) -> Result<Outcome, Error> {
    match get_field(config.from)? {
        Some(value) => put_field(config.to, &value)?,
        None if config.ignore_missing => return Ok(Outcome::Keep),
        None => return Err(format!("field [{}] not present", config.from).into()),
    }
    if config.remove_source {
        remove_field(config.from)?;
    }
    Ok(Outcome::Keep)
}

elastic_ingest::processor!(rename_field, configure);
