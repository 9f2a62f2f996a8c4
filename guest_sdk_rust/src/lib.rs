//! # elastic_ingest: write ingesthost processors in Rust
//!
//! An ingest processor is a WebAssembly module that ingesthost runs once per
//! JSON document. It reads and edits the document's fields through host calls
//! and decides whether to keep or drop the document. This crate implements the
//! guest side of ABI 1.0 (`abi_spec/ABI.md`): it exports `malloc`, `configure`,
//! `process` and the ABI marker for you, and wraps every host import in a safe
//! function. It has no dependencies beyond `std`.
//!
//! A complete processor:
//!
//! ```
//! use elastic_ingest::{get_field, put_str, Error, Outcome};
//! fn process() -> Result<Outcome, Error> {
//!     let seen = get_field("message")?.is_some();
//!     put_str("has_message", if seen { "yes" } else { "no" })?;
//!     Ok(Outcome::Keep)
//! }
//! elastic_ingest::processor!(process);
//! ```
//!
//! Build it as a `cdylib` for `wasm32-unknown-unknown` with
//! `panic = "abort"` (see `guest_sdk_rust/README.md`).
//!
//! * Field keys are dotted paths: `a.b.c` walks objects, `tags.0` indexes lists.
//! * Values cross as JSON text: [`get_field`] returns it, [`get_value`] parses
//!   it into a [`json::Value`]; [`put_field`] takes JSON text, [`put_str`]
//!   escapes a Rust string for you, [`put_value`] serializes a `Value`.
//! * The pipeline's `params` object is in [`params`] / [`params_value`] /
//!   [`param`].
//! * Returning `Err(e)` fails the document with `e`'s message; a panic fails it
//!   too (its message is logged at Critical level).

mod api;
mod dispatcher;
pub mod hostcalls;
pub mod json;
pub mod time;
mod types;

pub use api::{
    abi_version, critical, debug, error, get_field, get_field_bytes, get_value, info, log, log_bytes, now,
    param, param_bool, param_str, params, params_value, put_field, put_field_bytes, put_str, put_value,
    remove_field, remove_field_bytes, try_now, warn,
};
pub use json::Value;
pub use time::rfc3339;
pub use types::{Error, LogLevel, Outcome, Status, ABI_MAJOR, ABI_MINOR, DROP, KEEP};

/// Implementation details used by [`processor!`]; not a stable API.
#[doc(hidden)]
pub mod __dispatch {
    pub use crate::dispatcher::{configure, malloc, process};
}

/// Declares the processor function and generates the module's exports.
///
/// `processor!(my_fn)` where `fn my_fn() -> Result<Outcome, Error>` generates,
/// when compiling for `wasm32`, the exports `malloc`, `configure`, `process`
/// and the ABI marker `elastic_ingest_wasm_abi_1_0`. Use it once per module.
/// On other targets it only type-checks `my_fn` (so `cargo test` builds).
#[macro_export]
macro_rules! processor {
    ($process:path $(,)?) => {
        // Natively there are no exports: type-check the function and keep it
        // (and what it calls) from being reported as dead code.
        #[cfg(not(target_arch = "wasm32"))]
        #[used]
        static __ELASTIC_INGEST_PROCESSOR: fn() -> ::core::result::Result<$crate::Outcome, $crate::Error> = $process;

        #[cfg(target_arch = "wasm32")]
        const _: () = {
            #[export_name = "malloc"]
            pub extern "C" fn __elastic_ingest_malloc(size: i32) -> i32 {
                $crate::__dispatch::malloc(size)
            }

            #[export_name = "configure"]
            pub extern "C" fn __elastic_ingest_configure(ptr: i32, len: i32) -> i32 {
                $crate::__dispatch::configure(ptr, len)
            }

            #[export_name = "process"]
            pub extern "C" fn __elastic_ingest_process() -> i32 {
                $crate::__dispatch::process($process)
            }

            #[export_name = "elastic_ingest_wasm_abi_1_0"]
            pub extern "C" fn __elastic_ingest_abi_marker() {}
        };
    };
}
