//! Time formatting for the nanosecond timestamps the host returns.

/// Formats nanoseconds since the Unix epoch as an RFC 3339 UTC timestamp with
/// nine fractional digits, e.g. `2026-11-22T05:05:34.123456789Z`.
pub fn rfc3339(nanos: u64) -> String {
    let secs = nanos / 1_000_000_000;
    let frac = nanos % 1_000_000_000;
    let (year, month, day) = civil_from_days(secs / 86_400);
    let rem = secs % 86_400;
    let mut out = String::with_capacity(30);
    push_digits(&mut out, year, 4);
    out.push('-');
    push_digits(&mut out, month, 2);
    out.push('-');
    push_digits(&mut out, day, 2);
    out.push('T');
    push_digits(&mut out, rem / 3600, 2);
    out.push(':');
    push_digits(&mut out, rem / 60 % 60, 2);
    out.push(':');
    push_digits(&mut out, rem % 60, 2);
    out.push('.');
    push_digits(&mut out, frac, 9);
    out.push('Z');
    out
}

/// Appends `v` in decimal, zero-padded to at least `width` digits.
fn push_digits(out: &mut String, v: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let start = i.min(buf.len() - width);
    for &b in &buf[start..] {
        out.push(b as char);
    }
}

/// Converts a count of days since 1970-01-01 into a proleptic Gregorian
/// (year, month, day).
///
/// The calendar is treated as 400-year eras of 146097 days that start on
/// March 1st, so the leap day is the last day of its "year" and month lengths
/// follow the fixed 31/30 pattern 153 days per five months from March.
pub fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Day 0 of era 0 is 0000-03-01, which is 719468 days before 1970-01-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097; // 0..=146096
    // Years into the era: remove the leap days accumulated so far (one every
    // 4 years, minus one every 100, plus the one at the era's very end).
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // 0..=365
    let month_from_march = (5 * day_of_year + 2) / 153; // 0..=11
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = era * 400 + year_of_era + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(rfc3339(1), "1970-01-01T00:00:00.000000001Z");
        assert_eq!(rfc3339(951_782_400_000_000_000), "2000-02-29T00:00:00.000000000Z");
        assert_eq!(rfc3339(951_868_799_999_999_999), "2000-02-29T23:59:59.999999999Z");
        assert_eq!(rfc3339(1_700_000_000_123_456_789), "2023-11-14T22:13:20.123456789Z");
        assert_eq!(rfc3339(4_107_542_400_000_000_000), "2100-03-01T00:00:00.000000000Z");
        assert_eq!(rfc3339(u64::MAX), "2554-07-21T23:34:33.709551615Z");
    }

    fn is_leap(y: u64) -> bool {
        (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
    }

    #[test]
    fn matches_naive_calendar() {
        // Walk day by day from 1970 to beyond 2554 and compare.
        let (mut y, mut m, mut d) = (1970u64, 1u64, 1u64);
        for days in 0..214_000u64 {
            assert_eq!(civil_from_days(days), (y, m, d), "day {}", days);
            let len = match m {
                2 if is_leap(y) => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            d += 1;
            if d > len {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }

    #[test]
    fn padding() {
        let mut s = String::new();
        push_digits(&mut s, 7, 2);
        push_digits(&mut s, 0, 9);
        push_digits(&mut s, 12345, 2);
        assert_eq!(s, "0700000000012345");
    }
}
