//! Go's duration syntax, as Kubernetes and External Secrets Operator read and write
//! `refreshInterval`: parsed and formatted exactly as Go's `time` package does.

use std::time::Duration;

/// The duration units Go accepts, for messages.
pub(crate) const UNITS: &str = "h, m, s, ms, us or ns";

/// Parses Go's duration syntax, as Kubernetes and ESO read `refreshInterval`: a sequence of
/// decimal numbers, each with an optional fraction and a unit (`ns`, `us`, `µs`, `ms`, `s`,
/// `m`, `h`), e.g. `1h30m` or `1.5s`; `0` alone means zero.
///
/// Accepts exactly what Go's `time.ParseDuration` accepts, minus negative durations, with the
/// same result to the nanosecond (fractions included). `Err` holds a message for the user.
pub fn parse_go_duration(s: &str) -> Result<Duration, String> {
    // Go's bound: the magnitude of an int64 nanosecond count.
    const LIMIT: u64 = 1 << 63;

    let bytes = s.as_bytes();
    let not_a_duration = || {
        format!(
            "{} is not a duration: write numbers each followed by a unit ({UNITS}), \
             e.g. 1h, 30m or 1h30m",
            quote(s)
        )
    };
    let too_large = || {
        format!(
            "{} is too long a duration: the largest is 2562047h47m16.854775807s",
            quote(s)
        )
    };

    let mut i = 0;
    let mut negative = false;
    if let Some(&sign @ (b'-' | b'+')) = bytes.first() {
        negative = sign == b'-';
        i = 1;
    }
    match &s[i..] {
        "0" => return Ok(Duration::ZERO),
        "" if s.is_empty() => {
            return Err(format!(
                "is empty: enter a duration, e.g. 1h, 30m or 1h30m (units: {UNITS})"
            ));
        }
        "" => return Err(not_a_duration()),
        _ => {}
    }

    // Go would read a space as part of a unit ("unknown unit \"h \""); say what it really is.
    // Go never accepts whitespace, so this refuses nothing it would take.
    if s.bytes().any(|b| b.is_ascii_whitespace()) {
        return Err(format!(
            "{} contains spaces: write the parts together, e.g. 1h30m",
            quote(s)
        ));
    }

    let mut total: u64 = 0;
    while i < bytes.len() {
        if !(bytes[i] == b'.' || bytes[i].is_ascii_digit()) {
            return Err(not_a_duration());
        }

        let whole_start = i;
        let mut whole: u64 = 0;
        while let Some(digit) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
            if whole > LIMIT / 10 {
                return Err(too_large());
            }
            whole = whole * 10 + u64::from(digit - b'0');
            if whole > LIMIT {
                return Err(too_large());
            }
            i += 1;
        }
        let has_whole = i != whole_start;

        // Like Go, keep at most 19 significant fraction digits and ignore the rest: they are far
        // below a nanosecond.
        let mut fraction: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut has_fraction = false;
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            let fraction_start = i;
            let mut saturated = false;
            while let Some(digit) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
                if !saturated {
                    let digit = u64::from(digit - b'0');
                    // The first test keeps the multiplication from overflowing.
                    if fraction > (LIMIT - 1) / 10 || fraction * 10 + digit > LIMIT {
                        saturated = true;
                    } else {
                        fraction = fraction * 10 + digit;
                        scale *= 10.0;
                    }
                }
                i += 1;
            }
            has_fraction = i != fraction_start;
        }
        if !has_whole && !has_fraction {
            return Err(not_a_duration());
        }

        let unit_start = i;
        while i < bytes.len() && !(bytes[i] == b'.' || bytes[i].is_ascii_digit()) {
            i += 1;
        }
        if i == unit_start {
            return Err(format!(
                "{} has a number without a unit: add one of {UNITS}, e.g. 30m",
                quote(s)
            ));
        }
        // The unit's ends are ASCII bytes (or the end of `s`), so this slice is on char
        // boundaries.
        let unit_text = &s[unit_start..i];
        let Some(unit) = unit_nanos(unit_text) else {
            return Err(format!(
                "{} uses the unknown unit {}: use {UNITS} (for days, write hours, e.g. 24h for one day)",
                quote(s),
                quote(unit_text)
            ));
        };

        if whole > LIMIT / unit {
            return Err(too_large());
        }
        let mut value = whole * unit;
        if fraction > 0 {
            // Go computes the fraction in float64 (exact to the nanosecond even for fractions of
            // hours); doing the same keeps results identical to what the cluster will read.
            value += (fraction as f64 * (unit as f64 / scale)) as u64;
            if value > LIMIT {
                return Err(too_large());
            }
        }
        total = match total.checked_add(value) {
            Some(sum) if sum <= LIMIT => sum,
            _ => return Err(too_large()),
        };
    }

    if negative && total != 0 {
        return Err(format!(
            "{} is negative: use zero or more, e.g. 0s or 1h",
            quote(s)
        ));
    }
    if total > LIMIT - 1 {
        return Err(too_large());
    }
    Ok(Duration::from_nanos(total))
}

/// A Go duration that must be longer than zero (a flag's value parser).
pub fn parse_positive(text: &str) -> Result<Duration, String> {
    match parse_go_duration(text)? {
        d if d.is_zero() => Err("must be longer than 0s".to_owned()),
        d => Ok(d),
    }
}

/// Formats a duration exactly as Go's `Duration.String()` does, which is the form Kubernetes
/// stores `refreshInterval` in: `1h0m0s`, `1m30s`, `1.5s`, `500ms`, `1.1µs`, `0s`.
pub fn format_go_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".to_owned();
    }
    if nanos < 1_000_000_000 {
        // Below a second Go switches to the largest unit that keeps a whole part.
        let (digits, unit) = match nanos {
            ..1_000 => (0, "ns"),
            1_000..1_000_000 => (3, "µs"),
            _ => (6, "ms"),
        };
        let divisor = 10u128.pow(digits);
        return format!(
            "{}{}{unit}",
            nanos / divisor,
            fraction_text(nanos % divisor, digits)
        );
    }
    let seconds = nanos / 1_000_000_000;
    let fraction = fraction_text(nanos % 1_000_000_000, 9);
    let (hours, minutes) = (seconds / 3600, seconds / 60 % 60);
    // Go stops at hours because days vary in length, and prints zero minutes between hours and
    // seconds.
    if hours > 0 {
        format!("{hours}h{minutes}m{}{fraction}s", seconds % 60)
    } else if minutes > 0 {
        format!("{minutes}m{}{fraction}s", seconds % 60)
    } else {
        format!("{}{fraction}s", seconds % 60)
    }
}

fn unit_nanos(unit: &str) -> Option<u64> {
    match unit {
        "ns" => Some(1),
        // Go accepts both the micro sign (U+00B5) and the Greek mu (U+03BC).
        "us" | "\u{b5}s" | "\u{3bc}s" => Some(1_000),
        "ms" => Some(1_000_000),
        "s" => Some(1_000_000_000),
        "m" => Some(60_000_000_000),
        "h" => Some(3_600_000_000_000),
        _ => None,
    }
}

/// `.` and the `digits` digits of `fraction`, without trailing zeros; empty for zero.
fn fraction_text(fraction: u128, digits: u32) -> String {
    if fraction == 0 {
        return String::new();
    }
    let text = format!("{fraction:0width$}", width = digits as usize);
    format!(".{}", text.trim_end_matches('0'))
}

/// User input quoted for a message: escaped, and cut short so a pasted blob cannot flood the
/// page.
pub(crate) fn quote(text: &str) -> String {
    const MAX_CHARS: usize = 40;
    if text.chars().count() <= MAX_CHARS {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(MAX_CHARS).collect();
        format!("{head:?}…")
    }
}
