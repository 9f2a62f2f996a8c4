//! The ABI 1.x vocabulary: status codes, log levels, `process` results and
//! the SDK's error type. These mirror `abi_spec/ABI.md` exactly.

use std::fmt;

/// ABI major version implemented by this SDK.
pub const ABI_MAJOR: u16 = 1;
/// ABI minor version implemented by this SDK.
pub const ABI_MINOR: u16 = 1;

/// `process` result code: keep the document and go on.
pub const KEEP: i32 = 0;
/// `process` result code: drop the document (later processors do not run).
pub const DROP: i32 = 4;

/// Status code returned by every host import (except `elastic_abi_version`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// 0: success.
    Ok,
    /// 1: the host (or the guest) failed internally.
    InternalFailure,
    /// 2: a pointer, length, key or value was rejected.
    InvalidArgument,
    /// 3: the field does not exist.
    NotFound,
    /// Any other code. A conforming ABI 1.0 host never returns one.
    Unknown(i32),
}

impl Status {
    /// Maps a raw status code to a `Status`; codes outside 0..=3 become `Unknown`.
    pub fn from_i32(code: i32) -> Status {
        match code {
            0 => Status::Ok,
            1 => Status::InternalFailure,
            2 => Status::InvalidArgument,
            3 => Status::NotFound,
            other => Status::Unknown(other),
        }
    }

    /// The raw status code.
    pub fn code(self) -> i32 {
        match self {
            Status::Ok => 0,
            Status::InternalFailure => 1,
            Status::InvalidArgument => 2,
            Status::NotFound => 3,
            Status::Unknown(c) => c,
        }
    }

    /// The status name as written in the ABI ("Ok", "InternalFailure", ...).
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "Ok",
            Status::InternalFailure => "InternalFailure",
            Status::InvalidArgument => "InvalidArgument",
            Status::NotFound => "NotFound",
            Status::Unknown(_) => "Unknown",
        }
    }

    /// True for `Status::Ok`.
    pub fn is_ok(self) -> bool {
        self == Status::Ok
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Unknown(c) => write!(f, "Unknown({})", c),
            s => f.write_str(s.name()),
        }
    }
}

/// Log level passed to `elastic_log`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    Debug = 0,
    Info = 1,
    Warn = 2,
    Error = 3,
    Critical = 4,
}

impl LogLevel {
    /// Maps a raw level to a `LogLevel` (None outside 0..=4).
    pub fn from_i32(level: i32) -> Option<LogLevel> {
        match level {
            0 => Some(LogLevel::Debug),
            1 => Some(LogLevel::Info),
            2 => Some(LogLevel::Warn),
            3 => Some(LogLevel::Error),
            4 => Some(LogLevel::Critical),
            _ => None,
        }
    }

    /// The raw level.
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// What `process` decided for the current document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Keep the document and run the next processor (result code 0).
    Keep,
    /// Drop the document (result code 4).
    Drop,
}

impl Outcome {
    /// The `process` result code for this outcome.
    pub fn code(self) -> i32 {
        match self {
            Outcome::Keep => KEEP,
            Outcome::Drop => DROP,
        }
    }
}

/// An error: a status plus a human-readable message.
///
/// Returned by the SDK's host-call wrappers (carrying the host's status) and
/// by processors (`Error::new("...")`, or `"...".into()`, or `format!(..).into()`
/// carry `Status::InternalFailure`). When a processor returns `Err(e)`, the
/// dispatcher logs `e.message()` at Error level, which the host reports as the
/// document's failure, and makes `process` return the status code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
}

impl Error {
    /// A processor error (status `InternalFailure`).
    pub fn new(message: impl Into<String>) -> Error {
        Error { status: Status::InternalFailure, message: message.into() }
    }

    /// An error with an explicit status.
    pub fn with_status(status: Status, message: impl Into<String>) -> Error {
        Error { status, message: message.into() }
    }

    /// The status carried by this error.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The message carried by this error.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The code `process` returns for this error: never 0 (keep) nor 4 (drop).
    pub fn process_code(&self) -> i32 {
        match self.status.code() {
            KEEP | DROP => Status::InternalFailure.code(),
            c => c,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(self.status.name())
        } else {
            f.write_str(&self.message)
        }
    }
}

impl std::error::Error for Error {}

impl From<String> for Error {
    fn from(message: String) -> Error {
        Error::new(message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Error {
        Error::new(message)
    }
}

impl From<crate::json::ParseError> for Error {
    fn from(e: crate::json::ParseError) -> Error {
        Error::with_status(Status::InvalidArgument, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trip() {
        for code in -1..6 {
            assert_eq!(Status::from_i32(code).code(), code);
        }
        assert_eq!(Status::from_i32(0), Status::Ok);
        assert_eq!(Status::from_i32(3).name(), "NotFound");
        assert_eq!(Status::from_i32(9).to_string(), "Unknown(9)");
    }

    #[test]
    fn constants() {
        assert_eq!(((ABI_MAJOR as i32) << 16) | ABI_MINOR as i32, 65537);
        assert_eq!(Outcome::Keep.code(), 0);
        assert_eq!(Outcome::Drop.code(), 4);
        assert_eq!(LogLevel::Critical.code(), 4);
        assert_eq!(LogLevel::from_i32(2), Some(LogLevel::Warn));
        assert_eq!(LogLevel::from_i32(5), None);
    }

    #[test]
    fn error_codes() {
        assert_eq!(Error::new("x").process_code(), 1);
        assert_eq!(Error::with_status(Status::Ok, "x").process_code(), 1);
        assert_eq!(Error::with_status(Status::Unknown(4), "x").process_code(), 1);
        assert_eq!(Error::with_status(Status::NotFound, "x").process_code(), 3);
        assert_eq!(Error::from("boom").to_string(), "boom");
        assert_eq!(Error::with_status(Status::InvalidArgument, "").to_string(), "InvalidArgument");
    }
}
