//! Raw host imports (module `elastic`), exactly as ABI 1.x declares them
//! (1.1 adds no import).
//!
//! All values are wasm `i32`; pointers are offsets into this module's memory.
//! Prefer the safe wrappers in the crate root. On targets other than `wasm32`
//! these are stand-ins returning `InternalFailure` (status 1), so the crate's
//! pure-Rust parts can be unit-tested natively with `cargo test`.
//!
//! # Safety
//! Every pointer/length pair must describe memory of this module that is
//! valid for the access (read for keys, values and messages; write for the
//! out-pointers: 4 bytes each for `ret_ptr_ptr`/`ret_len_ptr`, 8 for the
//! time). A buffer returned through `elastic_get_field` was allocated with
//! this module's `malloc(len)` and must be freed by the guest.

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "elastic")]
extern "C" {
    pub fn elastic_get_field(key_ptr: i32, key_len: i32, ret_ptr_ptr: i32, ret_len_ptr: i32) -> i32;
    pub fn elastic_put_field(key_ptr: i32, key_len: i32, value_ptr: i32, value_len: i32) -> i32;
    pub fn elastic_remove_field(key_ptr: i32, key_len: i32) -> i32;
    pub fn elastic_get_current_time_nanoseconds(ret_ptr: i32) -> i32;
    pub fn elastic_log(level: i32, msg_ptr: i32, msg_len: i32) -> i32;
    pub fn elastic_abi_version() -> i32;
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    //! Stand-ins for native builds: there is no host, every call fails.
    //! They touch no memory, so they have no safety requirements; they are
    //! `unsafe` only to match the wasm32 imports.
    #![allow(clippy::missing_safety_doc)]
    const INTERNAL_FAILURE: i32 = 1;

    pub unsafe fn elastic_get_field(_: i32, _: i32, _: i32, _: i32) -> i32 {
        INTERNAL_FAILURE
    }
    pub unsafe fn elastic_put_field(_: i32, _: i32, _: i32, _: i32) -> i32 {
        INTERNAL_FAILURE
    }
    pub unsafe fn elastic_remove_field(_: i32, _: i32) -> i32 {
        INTERNAL_FAILURE
    }
    pub unsafe fn elastic_get_current_time_nanoseconds(_: i32) -> i32 {
        INTERNAL_FAILURE
    }
    pub unsafe fn elastic_log(_: i32, _: i32, _: i32) -> i32 {
        INTERNAL_FAILURE
    }
    pub unsafe fn elastic_abi_version() -> i32 {
        0
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::*;
