//! A small, strict JSON (RFC 8259) parser and compact serializer.
//!
//! Field values cross the ABI as JSON text; this module turns that text into
//! a [`Value`] and back. Numbers keep their original text (so large integers
//! survive a round trip exactly) next to their `f64` value. Objects keep their
//! members in order as a `Vec<(String, Value)>`; lookups with duplicate keys
//! find the last one, as most JSON readers do.

use std::fmt;

/// Maximum nesting of arrays and objects accepted by [`parse`].
pub const MAX_DEPTH: usize = 256;

/// A JSON value.
#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

/// A JSON number, kept as its text (valid JSON number syntax). The `f64`
/// value is computed on demand, so modules that never need it stay small.
#[derive(Clone, Debug)]
pub struct Number {
    text: String,
}

impl Number {
    /// An integer number.
    pub fn from_i64(i: i64) -> Number {
        Number { text: i.to_string() }
    }

    /// An unsigned integer number.
    pub fn from_u64(u: u64) -> Number {
        Number { text: u.to_string() }
    }

    /// A floating-point number; `None` for NaN and infinities (not JSON).
    pub fn from_f64(f: f64) -> Option<Number> {
        if f.is_finite() {
            // Debug formatting of f64 is the shortest round-tripping text and
            // always valid JSON for finite values ("1.0", "1e-7", "1e300").
            Some(Number { text: format!("{:?}", f) })
        } else {
            None
        }
    }

    /// Parses JSON number text (the whole string must be one number).
    pub fn parse(text: &str) -> Option<Number> {
        let b = text.as_bytes();
        if scan_number(b, 0) == Some(b.len()) {
            Some(Number { text: text.to_string() })
        } else {
            None
        }
    }

    /// The value as `f64` (may be rounded; overflowing literals are infinite).
    pub fn as_f64(&self) -> f64 {
        // Valid JSON number text always parses as f64.
        self.text.parse().unwrap_or(f64::NAN)
    }

    /// The value as `i64` if the text is an integer literal that fits.
    pub fn as_i64(&self) -> Option<i64> {
        if self.is_integer_literal() {
            self.text.parse().ok()
        } else {
            None
        }
    }

    /// The value as `u64` if the text is a non-negative integer literal that fits.
    pub fn as_u64(&self) -> Option<u64> {
        if self.is_integer_literal() {
            self.text.parse().ok()
        } else {
            None
        }
    }

    /// The number's JSON text, as parsed or as produced.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn is_integer_literal(&self) -> bool {
        !self.text.bytes().any(|c| c == b'.' || c == b'e' || c == b'E')
    }
}

impl PartialEq for Number {
    /// Exact numeric equality of the decimal values the texts denote:
    /// `1 == 1.0 == 1e0 == 10e-1`, `-0 == 0`, and no rounding, so
    /// `9007199254740993 != 9007199254740992` (exponents beyond ±10^18 saturate).
    fn eq(&self, other: &Number) -> bool {
        decimal_parts(&self.text) == decimal_parts(&other.text)
    }
}

/// Splits valid JSON number text into (negative, significant digits without
/// leading or trailing zeros, exponent) so that value = digits × 10^exponent.
/// Zero is (false, "", 0) whatever its sign or spelling.
fn decimal_parts(text: &str) -> (bool, Vec<u8>, i64) {
    let b = text.as_bytes();
    let negative = b.first() == Some(&b'-');
    let mut digits = Vec::with_capacity(b.len());
    let mut exponent: i64 = 0;
    let mut i = negative as usize;
    let mut in_fraction = false;
    while i < b.len() {
        match b[i] {
            c @ b'0'..=b'9' => {
                if !(c == b'0' && digits.is_empty()) {
                    digits.push(c);
                }
                if in_fraction {
                    exponent -= 1;
                }
            }
            b'.' => in_fraction = true,
            _ => break, // 'e' or 'E'
        }
        i += 1;
    }
    if i < b.len() {
        // Exponent part: [eE][+-]?digits, saturating.
        i += 1;
        let exp_negative = b.get(i) == Some(&b'-');
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let mut e: i64 = 0;
        for &c in &b[i..] {
            e = e.saturating_mul(10).saturating_add((c - b'0') as i64);
        }
        exponent = exponent.saturating_add(if exp_negative { -e } else { e });
    }
    while digits.last() == Some(&b'0') {
        digits.pop();
        exponent = exponent.saturating_add(1);
    }
    if digits.is_empty() {
        (false, digits, 0)
    } else {
        (negative, digits, exponent)
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Where and why parsing failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset into the input.
    pub pos: usize,
    /// What was wrong.
    pub msg: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid JSON at byte {}: {}", self.pos, self.msg)
    }
}

impl std::error::Error for ParseError {}

impl Value {
    /// The string, if this is a JSON string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is `true` or `false`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number as `f64`, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(n.as_f64()),
            _ => None,
        }
    }

    /// The number as `i64`, if this is an integer number that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The members in order, if this is an object.
    pub fn as_object(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Object member lookup (the last member of that name); `None` if absent
    /// or if this is not an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The JSON type name: "null", "boolean", "number", "string", "array", "object".
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// Compact JSON text.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    /// Appends compact JSON text to `out`.
    pub fn write_json(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(true) => out.push_str("true"),
            Value::Bool(false) => out.push_str("false"),
            Value::Number(n) => out.push_str(&n.text),
            Value::String(s) => write_escaped(out, s),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Value::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_escaped(out, k);
                    out.push(':');
                    v.write_json(out);
                }
                out.push('}');
            }
        }
    }
}

impl PartialEq for Value {
    /// JSON equality: numbers by numeric value, objects regardless of member
    /// order (by their last member of each name), everything else structurally.
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => {
                let ka = sorted_keys(a);
                ka == sorted_keys(b) && ka.iter().all(|k| self.get(k) == other.get(k))
            }
            _ => false,
        }
    }
}

/// The distinct member names of an object, sorted.
fn sorted_keys(members: &[(String, Value)]) -> Vec<&str> {
    let mut keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Number(Number::from_i64(i))
    }
}

impl From<u64> for Value {
    fn from(u: u64) -> Value {
        Value::Number(Number::from_u64(u))
    }
}

impl From<f64> for Value {
    /// NaN and infinities become `null`, as JavaScript's JSON.stringify does.
    fn from(f: f64) -> Value {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

/// Returns `s` as a quoted JSON string literal.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_escaped(&mut out, s);
    out
}

/// Appends `s` to `out` as a quoted JSON string literal: `"` and `\` are
/// backslash-escaped, control characters become `\n`, `\t`, ... or `\u00XX`.
pub fn write_escaped(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let esc: &str = match c {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(ascii_bounded(bytes, start, i));
        if esc.is_empty() {
            out.push_str("\\u00");
            out.push(HEX[(c >> 4) as usize] as char);
            out.push(HEX[(c & 0xf) as usize] as char);
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(ascii_bounded(bytes, start, bytes.len()));
    out.push('"');
}

/// `s[a..b]` for a `&str`'s bytes where `a` and `b` follow ASCII bytes (or are
/// 0 or the end), hence char boundaries.
fn ascii_bounded(bytes: &[u8], a: usize, b: usize) -> &str {
    // SAFETY: `bytes` come from a `&str` and both ends are char boundaries.
    unsafe { std::str::from_utf8_unchecked(&bytes[a..b]) }
}

/// Decodes one JSON string literal (with its quotes, optional surrounding
/// whitespace) into the string it denotes, resolving `\uXXXX` escapes and
/// surrogate pairs. Lone surrogates are an error.
pub fn unescape(literal: &str) -> Result<String, ParseError> {
    let mut p = Parser { bytes: literal.as_bytes(), pos: 0, depth: 0 };
    p.skip_ws();
    if p.peek() != Some(b'"') {
        return Err(p.err("expected a string"));
    }
    let s = p.parse_string()?;
    p.skip_ws();
    if p.pos != p.bytes.len() {
        return Err(p.err("trailing characters"));
    }
    Ok(s)
}

/// Parses JSON text holding exactly one value (surrounding whitespace allowed).
pub fn parse(text: &str) -> Result<Value, ParseError> {
    let mut p = Parser { bytes: text.as_bytes(), pos: 0, depth: 0 };
    p.skip_ws();
    let v = p.parse_value()?;
    p.skip_ws();
    if p.pos != p.bytes.len() {
        return Err(p.err("trailing characters"));
    }
    Ok(v)
}

/// Returns the end of the JSON number starting at `start`, or None.
fn scan_number(b: &[u8], start: usize) -> Option<usize> {
    let digits = |mut i: usize| {
        let from = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i > from {
            Some(i)
        } else {
            None
        }
    };
    let mut i = start;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(i)?,
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        i = digits(i + 1)?;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        i = digits(i)?;
    }
    Some(i)
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn err(&self, msg: &'static str) -> ParseError {
        ParseError { pos: self.pos, msg }
    }

    /// `text[a..b]`, where `a` and `b` are positions of ASCII bytes (or the
    /// end), hence char boundaries; avoids str slicing's panic machinery.
    fn slice(&self, a: usize, b: usize) -> &'a str {
        // SAFETY: `bytes` is `text` (valid UTF-8) and both ends are boundaries.
        unsafe { std::str::from_utf8_unchecked(&self.bytes[a..b]) }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &str, v: Value) -> Result<Value, ParseError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.err("invalid literal"))
        }
    }

    fn parse_value(&mut self) -> Result<Value, ParseError> {
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'"') => self.parse_string().map(Value::String),
            Some(b'[') => self.parse_array(),
            Some(b'{') => self.parse_object(),
            Some(b'-' | b'0'..=b'9') => {
                let end = scan_number(self.bytes, self.pos).ok_or_else(|| self.err("invalid number"))?;
                let text = self.slice(self.pos, end);
                self.pos = end;
                Ok(Value::Number(Number { text: text.to_string() }))
            }
            Some(_) => Err(self.err("unexpected character")),
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(self.err("nesting too deep"))
        } else {
            Ok(())
        }
    }

    fn parse_array(&mut self) -> Result<Value, ParseError> {
        self.enter()?;
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                items.push(self.parse_value()?);
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.err("expected ',' or ']'")),
                }
            }
        }
        self.depth -= 1;
        Ok(Value::Array(items))
    }

    fn parse_object(&mut self) -> Result<Value, ParseError> {
        self.enter()?;
        self.pos += 1; // '{'
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                if self.peek() != Some(b'"') {
                    return Err(self.err("expected a member name"));
                }
                let key = self.parse_string()?;
                self.skip_ws();
                if self.peek() != Some(b':') {
                    return Err(self.err("expected ':'"));
                }
                self.pos += 1;
                self.skip_ws();
                let value = self.parse_value()?;
                members.push((key, value));
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.err("expected ',' or '}'")),
                }
            }
        }
        self.depth -= 1;
        Ok(Value::Object(members))
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.err("invalid \\u escape")),
            };
            v = v * 16 + d as u32;
            self.pos += 1;
        }
        Ok(v)
    }

    /// Parses a string literal; `self.pos` is at the opening quote.
    fn parse_string(&mut self) -> Result<String, ParseError> {
        self.pos += 1;
        let mut out = String::new();
        let mut start = self.pos;
        loop {
            let c = match self.peek() {
                Some(c) => c,
                None => return Err(self.err("unterminated string")),
            };
            match c {
                b'"' => {
                    out.push_str(self.slice(start, self.pos));
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(self.slice(start, self.pos));
                    self.pos += 1;
                    let e = self.peek().ok_or_else(|| self.err("unterminated string"))?;
                    self.pos += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let at = self.pos - 2;
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.bytes[self.pos..].starts_with(b"\\u") {
                                    return Err(ParseError { pos: at, msg: "lone surrogate" });
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(ParseError { pos: at, msg: "lone surrogate" });
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return Err(ParseError { pos: at, msg: "lone surrogate" });
                            } else {
                                hi
                            };
                            // Surrogates were excluded above, so this is a valid char.
                            out.push(char::from_u32(code).ok_or(ParseError { pos: at, msg: "invalid \\u escape" })?);
                        }
                        _ => {
                            self.pos -= 1;
                            return Err(self.err("invalid escape"));
                        }
                    }
                    start = self.pos;
                }
                0x00..=0x1f => return Err(self.err("control character in string")),
                _ => self.pos += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(text: &str) -> String {
        parse(text).unwrap().to_json()
    }

    #[test]
    fn scalars() {
        assert_eq!(parse("null").unwrap(), Value::Null);
        assert_eq!(parse(" true ").unwrap(), Value::Bool(true));
        assert_eq!(parse("false").unwrap().as_bool(), Some(false));
        assert_eq!(parse("\"hi\"").unwrap().as_str(), Some("hi"));
        assert_eq!(parse("-12").unwrap().as_i64(), Some(-12));
        assert_eq!(parse("1.5e3").unwrap().as_f64(), Some(1500.0));
        assert_eq!(parse("1.5e3").unwrap().as_i64(), None);
        assert_eq!(parse("0").unwrap().as_i64(), Some(0));
        assert_eq!(parse("-0.0").unwrap().as_f64(), Some(0.0));
    }

    #[test]
    fn numbers_keep_their_text() {
        assert_eq!(rt("12345678901234567890123"), "12345678901234567890123");
        assert_eq!(rt("1E+2"), "1E+2");
        assert_eq!(rt("-0.000"), "-0.000");
        assert_eq!(parse("18446744073709551615").unwrap().as_i64(), None);
        match parse("18446744073709551615").unwrap() {
            Value::Number(n) => assert_eq!(n.as_u64(), Some(u64::MAX)),
            _ => panic!(),
        }
        assert_eq!(parse("1e400").unwrap().as_f64(), Some(f64::INFINITY));
    }

    #[test]
    fn invalid_numbers() {
        for bad in ["01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "1.e5", "--1", "NaN", "Infinity", "-Infinity"] {
            assert!(parse(bad).is_err(), "{} should not parse", bad);
        }
        assert!(Number::parse("1.25").is_some());
        assert!(Number::parse("1.25 ").is_none());
    }

    #[test]
    fn numeric_equality() {
        assert_eq!(parse("1").unwrap(), parse("1.0").unwrap());
        assert_eq!(parse("100").unwrap(), parse("1e2").unwrap());
        assert_eq!(parse("-0").unwrap(), parse("0").unwrap());
        assert_ne!(parse("9007199254740993").unwrap(), parse("9007199254740992").unwrap());
        assert_ne!(parse("1").unwrap(), parse("\"1\"").unwrap());
        assert_ne!(parse("1").unwrap(), parse("true").unwrap());
        assert_eq!(parse("-0.0e5").unwrap(), parse("0").unwrap());
        assert_eq!(parse("0.00120").unwrap(), parse("12e-4").unwrap());
        assert_eq!(parse("-1200").unwrap(), parse("-1.2E+3").unwrap());
        assert_eq!(parse("00").ok(), None);
        assert_ne!(parse("-1").unwrap(), parse("1").unwrap());
        assert_ne!(parse("1e400").unwrap(), parse("1e401").unwrap());
        assert_ne!(parse("0.1").unwrap(), parse("0.11").unwrap());
        assert_eq!(parse("1.5").unwrap(), Value::from(1.5));
        assert_eq!(decimal_parts("120.50"), (false, b"1205".to_vec(), -1));
        assert_eq!(decimal_parts("-0"), (false, Vec::new(), 0));
    }

    #[test]
    fn containers() {
        let v = parse(r#" { "a" : [1, 2, {"b": null}], "c": {}, "d": [] } "#).unwrap();
        assert_eq!(v.to_json(), r#"{"a":[1,2,{"b":null}],"c":{},"d":[]}"#);
        assert_eq!(v.get("a").and_then(Value::as_array).map(|a| a.len()), Some(3));
        assert!(v.get("zz").is_none());
        assert_eq!(v.get("c").unwrap().type_name(), "object");
        assert!(Value::Null.get("a").is_none());
        // Last duplicate wins.
        let d = parse(r#"{"k":1,"k":2}"#).unwrap();
        assert_eq!(d.get("k").and_then(Value::as_i64), Some(2));
    }

    #[test]
    fn object_equality_ignores_order() {
        assert_eq!(parse(r#"{"a":1,"b":[true]}"#).unwrap(), parse(r#"{"b":[true],"a":1.0}"#).unwrap());
        assert_ne!(parse(r#"{"a":1}"#).unwrap(), parse(r#"{"a":1,"b":2}"#).unwrap());
        assert_ne!(parse(r#"{"a":1}"#).unwrap(), parse(r#"{"b":1}"#).unwrap());
        assert_ne!(parse("[1,2]").unwrap(), parse("[2,1]").unwrap());
    }

    #[test]
    fn invalid_documents() {
        for bad in [
            "", " ", "nul", "tru", "[", "[1,]", "[1 2]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{a:1}", "\"abc",
            "\"a\nb\"", "\"\\x\"", "[] []", "1 2", "{'a':1}", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"",
            "\"\\ud800\\u0041\"", "\"\\ud800x\"", "\u{feff}1",
        ] {
            assert!(parse(bad).is_err(), "{:?} should not parse", bad);
        }
        let e = parse("[1,]").unwrap_err();
        assert_eq!(e.pos, 3);
        assert!(e.to_string().contains("byte 3"));
    }

    #[test]
    fn depth_limit() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(&deep).unwrap_err().msg, "nesting too deep");
        let deep_obj = "{\"a\":".repeat(MAX_DEPTH + 1) + "1" + &"}".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep_obj).is_err());
    }

    #[test]
    fn string_escapes() {
        assert_eq!(
            parse(r#""a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00""#).unwrap().as_str(),
            Some("a\"b\\c/d\u{8}\u{c}\n\r\tA\u{e9}\u{20ac}\u{1f600}")
        );
        assert_eq!(parse(r#""\uD83D\uDE00""#).unwrap().as_str(), Some("\u{1f600}"));
        assert_eq!(parse("\"h\u{e9}llo \u{1f600}\"").unwrap().as_str(), Some("h\u{e9}llo \u{1f600}"));
        assert_eq!(unescape(" \"x\\ty\" ").unwrap(), "x\ty");
        assert!(unescape("1").is_err());
        assert!(unescape("\"a\" \"b\"").is_err());
    }

    #[test]
    fn escape_round_trip() {
        assert_eq!(escape("plain"), "\"plain\"");
        assert_eq!(escape("q\"b\\s/"), r#""q\"b\\s/""#);
        assert_eq!(escape("\n\r\t\u{8}\u{c}"), r#""\n\r\t\b\f""#);
        assert_eq!(escape("\u{0}\u{1}\u{1f}\u{7f}"), "\"\\u0000\\u0001\\u001f\u{7f}\"");
        assert_eq!(escape("\u{e9}\u{1f600}"), "\"\u{e9}\u{1f600}\"");
        assert_eq!(escape(""), "\"\"");
        let all: String = (0u32..0x800).filter_map(char::from_u32).collect();
        assert_eq!(unescape(&escape(&all)).unwrap(), all);
    }

    #[test]
    fn builders() {
        assert_eq!(Value::from(3i64).to_json(), "3");
        assert_eq!(Value::from(u64::MAX).to_json(), "18446744073709551615");
        assert_eq!(Value::from(0.5).to_json(), "0.5");
        assert_eq!(Value::from(1.0).to_json(), "1.0");
        assert_eq!(Value::from(1e-7).to_json(), "1e-7");
        assert_eq!(Value::from(f64::NAN), Value::Null);
        assert_eq!(Value::from("x\"").to_json(), r#""x\"""#);
        for f in [0.1, -2.5e300, 1e21, 5e-324, 123456789.0] {
            let text = Value::from(f).to_json();
            assert_eq!(parse(&text).unwrap().as_f64(), Some(f), "{}", text);
        }
        assert_eq!(format!("{}", Value::Array(vec![Value::Null, true.into()])), "[null,true]");
    }
}
