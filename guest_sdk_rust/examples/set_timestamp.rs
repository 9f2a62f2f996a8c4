//! Sets a field to the current time as an RFC 3339 UTC timestamp with
//! nanoseconds, e.g. `"2026-11-22T05:05:34.123456789Z"`.
//!
//! Params (checked at load; unknown ones are refused):
//! - `field` (string, default `"event.ingested"`): the field to set.

use elastic_ingest::{accept_params, now, param_str, put_str, rfc3339, Error, Outcome};

/// The field to set.
fn configure() -> Result<&'static str, Error> {
    accept_params(&["field"])?;
    param_str("field", "event.ingested")
}

fn set_timestamp(field: &&'static str) -> Result<Outcome, Error> {
    put_str(field, &rfc3339(now()))?;
    Ok(Outcome::Keep)
}

elastic_ingest::processor!(set_timestamp, configure);
