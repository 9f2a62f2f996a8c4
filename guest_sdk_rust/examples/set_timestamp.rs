//! Sets a field to the current time as an RFC 3339 UTC timestamp with
//! nanoseconds, e.g. `"2026-11-22T05:05:34.123456789Z"`.
//!
//! Params:
//! - `field` (string, default `"event.ingested"`): the field to set.

use elastic_ingest::{now, param_str, put_str, rfc3339, Error, Outcome};

fn set_timestamp() -> Result<Outcome, Error> {
    put_str(param_str("field", "event.ingested")?, &rfc3339(now()))?;
    Ok(Outcome::Keep)
}

elastic_ingest::processor!(set_timestamp);
