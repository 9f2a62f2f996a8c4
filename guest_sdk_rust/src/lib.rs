//! # elastic_ingest: write ingesthost processors in Rust
//!
//! An ingest processor is a WebAssembly module that ingesthost runs once per
//! JSON document. It reads and edits the document's fields through host calls
//! and decides whether to keep or drop the document. This crate implements the
//! guest side of ABI 1.1 (`abi_spec/ABI.md`): it exports `malloc`, `configure`,
//! `process`, `process_batch` and the ABI marker for you, and wraps every host
//! import in a safe function. It has no dependencies beyond `std`.
//!
//! With `process_batch` the host hands over many whole documents per call;
//! the SDK then parses each one into its own memory and serves the field
//! functions there, with the host's exact rules, without a host call per
//! field. Processors need no change for it: the same function runs on each
//! document, with the same results as through `process`.
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
//!   [`param`]. Check it once, at load, with a configure function:
//!   `processor!(process, configure)` (see [`processor!`]).
//! * Returning `Err(e)` fails the document with `e`'s message; a panic fails it
//!   too (its message is logged at Critical level; in a batch the trap fails
//!   the batch's documents, as `abi_spec/ABI.md` says).
//! * In a batch, values read back keep the spelling of the document's JSON
//!   text (`1.50`, `"\u00e9"`) where the host would answer with its own
//!   (`1.5`, `"é"`): the same values. Compare values, not texts.

mod api;
mod batch;
mod dispatcher;
pub mod hostcalls;
pub mod json;
mod local;
pub mod time;
mod types;

pub use api::{
    abi_version, accept_params, critical, debug, error, get_field, get_field_bytes, get_value, info, log,
    log_bytes, now, param, param_bool, param_str, params, params_value, put_field, put_field_bytes, put_str,
    put_value, remove_field, remove_field_bytes, try_now, warn,
};
pub use json::Value;
pub use time::rfc3339;
pub use types::{Error, LogLevel, Outcome, Status, ABI_MAJOR, ABI_MINOR, DROP, KEEP};

/// Implementation details used by [`processor!`]; not a stable API.
#[doc(hidden)]
pub mod __dispatch {
    pub use crate::dispatcher::{
        configure, configure_with, malloc, process, process_batch, process_batch_with, process_with,
    };
}

/// Declares the processor function and generates the module's exports.
///
/// `processor!(my_fn)` where `fn my_fn() -> Result<Outcome, Error>` generates,
/// when compiling for `wasm32`, the exports `malloc`, `configure`, `process`,
/// `process_batch` and the ABI marker `elastic_ingest_wasm_abi_1_1`. Use it
/// once per module. On other targets it only type-checks `my_fn` (so
/// `cargo test` builds).
///
/// `process` runs `my_fn` on the host's current document (ABI 1.0);
/// `process_batch` runs it on each document of a batch, in the module's own
/// memory (ABI 1.1). `my_fn` cannot tell the difference.
///
/// `processor!(my_fn, my_configure)` adds a configure function, run once per
/// instance when the pipeline loads, after the params are stored:
/// `fn my_configure() -> Result<C, Error>` checks the params (with
/// [`accept_params`], [`param_str`], [`param_bool`]...) and returns what the
/// processor needs, any `'static` type `C`; `fn my_fn(config: &C) -> Result<Outcome, Error>`
/// then gets it for every document. An `Err` from `my_configure` makes the
/// `configure` export fail, so the host refuses the pipeline at load, before
/// any document, with the error's message (`param [field] must be a string,
/// not number`).
///
/// ```
/// use elastic_ingest::{accept_params, param_str, put_str, Error, Outcome};
///
/// struct Config {
///     field: &'static str,
/// }
///
/// fn configure() -> Result<Config, Error> {
///     accept_params(&["field"])?;
///     Ok(Config { field: param_str("field", "greeting")? })
/// }
///
/// fn process(config: &Config) -> Result<Outcome, Error> {
///     put_str(config.field, "hello")?;
///     Ok(Outcome::Keep)
/// }
///
/// elastic_ingest::processor!(process, configure);
/// ```
#[macro_export]
macro_rules! processor {
    ($process:path $(,)?) => {
        // Natively there are no exports: type-check the function and keep it
        // (and what it calls) from being reported as dead code.
        #[cfg(not(target_arch = "wasm32"))]
        #[used]
        static __ELASTIC_INGEST_PROCESSOR: fn() -> ::core::result::Result<$crate::Outcome, $crate::Error> = $process;

        $crate::processor!(@exports
            configure(ptr, len) => $crate::__dispatch::configure(ptr, len),
            process() => $crate::__dispatch::process($process),
            process_batch(ptr, len) => $crate::__dispatch::process_batch(ptr, len, $process)
        );
    };
    ($process:path, $configure:path $(,)?) => {
        #[cfg(not(target_arch = "wasm32"))]
        #[used]
        static __ELASTIC_INGEST_PROCESSOR: fn() -> i32 = || $crate::__dispatch::process_with($process, $configure);

        $crate::processor!(@exports
            configure(ptr, len) => $crate::__dispatch::configure_with(ptr, len, $configure),
            process() => $crate::__dispatch::process_with($process, $configure),
            process_batch(ptr, len) => $crate::__dispatch::process_batch_with(ptr, len, $process, $configure)
        );
    };
    (@exports
        configure($ptr:ident, $len:ident) => $configure:expr,
        process() => $process:expr,
        process_batch($bptr:ident, $blen:ident) => $process_batch:expr
    ) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            #[export_name = "malloc"]
            pub extern "C" fn __elastic_ingest_malloc(size: i32) -> i32 {
                $crate::__dispatch::malloc(size)
            }

            #[export_name = "configure"]
            pub extern "C" fn __elastic_ingest_configure($ptr: i32, $len: i32) -> i32 {
                $configure
            }

            #[export_name = "process"]
            pub extern "C" fn __elastic_ingest_process() -> i32 {
                $process
            }

            #[export_name = "process_batch"]
            pub extern "C" fn __elastic_ingest_process_batch($bptr: i32, $blen: i32) -> i32 {
                $process_batch
            }

            #[export_name = "elastic_ingest_wasm_abi_1_1"]
            pub extern "C" fn __elastic_ingest_abi_marker() {}
        };
    };
}
