//! Name resolution and typing: field names against the schema (with "did you mean"), slice
//! syntax, and literals against the type of the field they are compared with — the same
//! word means different things per type (`10` is the integer ten for `ip.ttl` and the
//! byte 0x10 for `tcp[13]`, as in Wireshark).
//!
//! Wireshark 4.0 rules followed here: integer literals in decimal, `0x` hex, `0b` binary and
//! leading-zero octal; value names (`ip.proto == TCP`) case-insensitively; booleans as
//! `1`/`0`/`True`/`False` (any non-zero integer is true); byte strings as `aa:bb:cc`,
//! `aa-bb-cc`, `aa.bb.cc`, a single byte `aa`, `0x…`, or a quoted string; MAC addresses as
//! six bytes; IPv4/IPv6 addresses with an optional `/prefix`; strings quoted or bare;
//! absolute times as quoted ISO 8601 (UTC) or epoch seconds; relative times in seconds.

use super::ast::{Const, FieldRef, Kind, Op, Pattern, Slice};
use super::error::FilterError;
use crate::field::FieldDef;
use crate::schema;

/// A literal as written.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Lit<'t> {
    /// Unquoted text.
    Word(&'t str),
    /// A quoted string (unescaped bytes).
    Str(&'t [u8]),
    /// A character constant.
    Char(u8),
}

impl Lit<'_> {
    fn shown(&self) -> String {
        match self {
            Lit::Word(w) => (*w).to_string(),
            Lit::Str(b) => {
                let mut s = String::new();
                super::ast::write_quoted(b, &mut s);
                s
            }
            Lit::Char(c) => format!("'{}'", char::from(*c).escape_default()),
        }
    }
}

/// The field called `name`, or an "unknown field" error with a suggestion.
pub(crate) fn resolve_field(
    name: &str,
    start: usize,
    end: usize,
) -> Result<&'static FieldDef, FilterError> {
    let s = schema();
    if let Some(f) = s.get(name) {
        return Ok(f);
    }
    if looks_like_value(name) {
        return Err(FilterError::new(
            format!(
                "{name} is not a field name (a test starts with a field, as in ip.addr == {name})"
            ),
            start,
            end,
        ));
    }
    let mut e = FilterError::new(format!("unknown field {name}"), start, end);
    if let Some(sug) = s.suggest(name) {
        e.message = format!("unknown field {name} (did you mean {sug}?)");
        e = e.with_suggestion(sug);
    }
    Err(e)
}

fn looks_like_value(w: &str) -> bool {
    w.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'-')
}

/// Parses slice text (between the brackets): `i`, `i:n`, `i-j`, `:n`, `i:`.
pub(crate) fn parse_slice(text: &str, start: usize, end: usize) -> Result<Slice, FilterError> {
    let bad = |why: &str| FilterError::new(format!("bad slice [{text}]: {why}"), start, end);
    let t = text.trim();
    let num = |s: &str| -> Result<i32, FilterError> {
        let s = s.trim();
        s.parse::<i32>()
            .ok()
            .filter(|v| v.unsigned_abs() <= 1 << 24)
            .ok_or_else(|| bad("offsets are integers"))
    };
    let slice = if let Some((a, b)) = t.split_once(':') {
        let start = if a.trim().is_empty() { 0 } else { num(a)? };
        let len = if b.trim().is_empty() {
            None
        } else {
            let n = num(b)?;
            if n <= 0 {
                return Err(bad("the length must be positive"));
            }
            Some(n as u32)
        };
        Slice { start, len }
    } else if let Some((a, b)) = t.get(1..).and_then(|r| r.split_once('-')).map(|(a, b)| {
        // The first character may be a minus sign (`-1`), so split after it.
        (t.get(..a.len() + 1).unwrap_or(""), b)
    }) {
        let (i, j) = (num(a)?, num(b)?);
        if i < 0 || j < i {
            return Err(bad("a range i-j needs 0 <= i <= j"));
        }
        Slice {
            start: i,
            len: Some((j - i + 1) as u32),
        }
    } else {
        Slice {
            start: num(t)?,
            len: Some(1),
        }
    };
    Ok(slice)
}

/// Whether `op` applies to values of `field`.
pub(crate) fn check_op(
    field: &FieldRef,
    op: Op,
    start: usize,
    end: usize,
) -> Result<(), FilterError> {
    let kind = field.kind();
    let ok = match op {
        Op::Contains | Op::Matches => matches!(kind, Kind::Bytes | Kind::Str),
        Op::Nonzero => matches!(kind, Kind::Int { .. } | Kind::Bool | Kind::Bytes),
        _ => kind != Kind::Label,
    };
    if ok {
        return Ok(());
    }
    let name = match op {
        Op::Contains => "contains",
        Op::Matches => "matches",
        Op::Nonzero => "&",
        _ => "a comparison",
    };
    let msg = if kind == Kind::Label {
        format!("{field} has no value to compare (write it alone to test that it is present)")
    } else {
        format!("{name} does not apply to {field} ({})", type_name(field))
    };
    Err(FilterError::new(msg, start, end))
}

/// The type of a field's values, for messages: `an IPv4 address`.
pub(crate) fn type_name(field: &FieldRef) -> String {
    let n = if field.slice.is_some() {
        "byte sequence (a slice)"
    } else {
        field.def.ftype.name()
    };
    let article = if n.starts_with(['a', 'e', 'i', 'o', 'u', 'I']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {n}")
}

fn not_a(field: &FieldRef, lit: &Lit<'_>, start: usize, end: usize) -> FilterError {
    FilterError::new(
        format!("{field} is {}, {} is not", type_name(field), lit.shown()),
        start,
        end,
    )
}

/// A literal compared (with `op`) against `field`.
pub(crate) fn literal(
    lit: Lit<'_>,
    field: &FieldRef,
    op: Op,
    start: usize,
    end: usize,
) -> Result<Const, FilterError> {
    let kind = field.kind();
    let err = || not_a(field, &lit, start, end);
    if op == Op::Matches {
        let Lit::Str(b) = lit else {
            return Err(FilterError::new(
                "matches needs a quoted regular expression",
                start,
                end,
            ));
        };
        let src = std::str::from_utf8(b).map_err(|_| {
            FilterError::new("the regular expression is not valid UTF-8", start, end)
        })?;
        return regex(src, start, end).map(Const::Regex);
    }
    match kind {
        Kind::Int { signed, bits, .. } => int_literal(&lit, field.def, signed, bits).ok_or_else(err).map(Const::Int),
        Kind::Bool => match lit {
            Lit::Word("True" | "TRUE") => Ok(Const::Int(1)),
            Lit::Word("False" | "FALSE") => Ok(Const::Int(0)),
            Lit::Word(w) => parse_int(w).map(|v| Const::Int(i128::from(v != 0))).ok_or_else(err),
            _ => Err(err()),
        },
        Kind::Float => match lit {
            Lit::Word(w) => w.parse::<f64>().ok().filter(|v| v.is_finite()).map(Const::Float).ok_or_else(err),
            _ => Err(err()),
        },
        Kind::Ipv4 => text_of(&lit).and_then(parse_ipv4).map(|(a, p)| Const::Ipv4(a, p)).ok_or_else(err),
        Kind::Ipv6 => text_of(&lit).and_then(parse_ipv6).map(|(a, p)| Const::Ipv6(a, p)).ok_or_else(err),
        Kind::Ether => match lit {
            Lit::Word(w) => parse_bytes(w)
                .and_then(|b| <[u8; 6]>::try_from(b.as_slice()).ok())
                .map(Const::Ether)
                .ok_or_else(err),
            Lit::Str(b) => std::str::from_utf8(b)
                .ok()
                .and_then(parse_bytes)
                .and_then(|b| <[u8; 6]>::try_from(b.as_slice()).ok())
                .map(Const::Ether)
                .ok_or_else(err),
            Lit::Char(_) => Err(err()),
        },
        Kind::Bytes => match lit {
            Lit::Word(w) => parse_bytes(w).map(Const::Bytes).ok_or_else(err),
            Lit::Str(b) => Ok(Const::Bytes(b.to_vec())),
            Lit::Char(c) => Ok(Const::Bytes(vec![c])),
        },
        Kind::Str => match lit {
            Lit::Word(w) => Ok(Const::Str(w.to_string())),
            Lit::Str(b) => std::str::from_utf8(b)
                .map(|s| Const::Str(s.to_string()))
                .map_err(|_| FilterError::new(format!("{field} is text, and {} is not valid UTF-8", lit.shown()), start, end)),
            Lit::Char(c) => Ok(Const::Str(char::from(c).to_string())),
        },
        Kind::Time { .. } => match lit {
            Lit::Word(w) => parse_decimal_ns(w).map(Const::Time).ok_or_else(err),
            Lit::Str(b) => std::str::from_utf8(b).ok().and_then(parse_time).map(Const::Time).ok_or_else(|| {
                FilterError::new(
                    format!("{field} is a date and time, {} is not (write \"2024-01-31T12:00:00Z\" or epoch seconds)", lit.shown()),
                    start,
                    end,
                )
            }),
            Lit::Char(_) => Err(err()),
        },
        Kind::RelTime => match lit {
            Lit::Word(w) => parse_decimal_ns(w).map(Const::RelTime).ok_or_else(err),
            _ => Err(err()),
        },
        Kind::Label => Err(FilterError::new(
            format!("{field} has no value to compare (write it alone to test that it is present)"),
            start,
            end,
        )),
    }
}

/// A mask after `&`: an integer for integer fields, bytes for byte fields and slices.
pub(crate) fn mask(
    lit: Lit<'_>,
    field: &FieldRef,
    start: usize,
    end: usize,
) -> Result<Const, FilterError> {
    check_op(field, Op::Nonzero, start, end)?;
    literal(lit, field, Op::Eq, start, end)
}

fn text_of<'t>(lit: &Lit<'t>) -> Option<&'t str> {
    match lit {
        Lit::Word(w) => Some(w),
        Lit::Str(b) => std::str::from_utf8(b).ok(),
        Lit::Char(_) => None,
    }
}

/// Compiles a `matches` pattern, case-insensitively by default (Wireshark's PCRE2 flags).
pub(crate) fn regex(src: &str, start: usize, end: usize) -> Result<Pattern, FilterError> {
    // Filters arrive in share links: a pattern is bounded in text, in compiled size and in
    // nesting before it is compiled (matching itself is linear time in the regex crate).
    const MAX_PATTERN: usize = 4096;
    if src.len() > MAX_PATTERN {
        return Err(FilterError::new(
            format!(
                "regular expression too long ({} bytes; at most {MAX_PATTERN})",
                src.len()
            ),
            start,
            end,
        ));
    }
    regex::bytes::RegexBuilder::new(src)
        .case_insensitive(true)
        .nest_limit(64)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .build()
        .map(|re| Pattern {
            source: src.to_string(),
            re,
        })
        .map_err(|e| {
            let detail = e.to_string();
            let last = detail
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid");
            FilterError::new(
                format!(
                    "bad regular expression: {}",
                    last.trim().trim_start_matches("error: ")
                ),
                start,
                end,
            )
        })
}

/// An integer (or value name) for an integer field of `bits` bits.
fn int_literal(lit: &Lit<'_>, def: &FieldDef, signed: bool, bits: u8) -> Option<i128> {
    let v = match lit {
        Lit::Word(w) => match parse_int(w) {
            Some(v) => v,
            None => named_value(def, w)?,
        },
        Lit::Str(b) => named_value(def, std::str::from_utf8(b).ok()?)?,
        Lit::Char(c) => i128::from(*c),
    };
    let bits = u32::from(bits.clamp(1, 64));
    let (lo, hi) = if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    (lo..=hi).contains(&v).then_some(v)
}

fn named_value(def: &FieldDef, w: &str) -> Option<i128> {
    def.names?
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(w))
        .map(|(v, _)| i128::from(*v))
}

/// Decimal, `0x` hex, `0b` binary, leading-zero octal; optional minus sign.
pub(crate) fn parse_int(w: &str) -> Option<i128> {
    let (neg, w) = match w.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, w),
    };
    let v = if let Some(h) = w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()?
    } else if let Some(b) = w.strip_prefix("0b").or_else(|| w.strip_prefix("0B")) {
        u64::from_str_radix(b, 2).ok()?
    } else if w.len() > 1 && w.starts_with('0') {
        u64::from_str_radix(w.get(1..)?, 8).ok()?
    } else {
        if !w.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        w.parse::<u64>().ok()?
    };
    let v = i128::from(v);
    Some(if neg { -v } else { v })
}

/// Bytes as `aa:bb:cc`, `aa-bb`, `aabb.ccdd.eeff`, a single `a`/`aa`, or `0x0a0b`.
pub(crate) fn parse_bytes(w: &str) -> Option<Vec<u8>> {
    if let Some(h) = w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        if h.is_empty() || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let padded = if h.len() % 2 == 1 {
            format!("0{h}")
        } else {
            h.to_string()
        };
        return hex_run(&padded);
    }
    if w.is_empty() {
        return None;
    }
    let seps: Vec<char> = w.chars().filter(|c| matches!(c, ':' | '-' | '.')).collect();
    if seps.is_empty() {
        // A single byte (one or two hex digits).
        return match w.len() {
            1 | 2 => u8::from_str_radix(w, 16).ok().map(|b| vec![b]),
            _ => None,
        };
    }
    let sep = seps.first().copied().unwrap_or(':');
    if seps.iter().any(|c| *c != sep) {
        return None;
    }
    if sep == '.' && w.split('.').all(|g| g.len() == 4) {
        // Cisco style aabb.ccdd.eeff.
        return hex_run(&w.replace('.', ""));
    }
    w.split(sep)
        .map(|g| match g.len() {
            1 | 2 => u8::from_str_radix(g, 16).ok(),
            _ => None,
        })
        .collect()
}

fn hex_run(h: &str) -> Option<Vec<u8>> {
    if h.len() % 2 != 0 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..h.len() / 2)
        .map(|i| {
            h.get(2 * i..2 * i + 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
        })
        .collect()
}

/// `a.b.c.d` or `a.b.c.d/n`.
pub(crate) fn parse_ipv4(w: &str) -> Option<([u8; 4], u8)> {
    let (a, p) = split_prefix(w, 32)?;
    let addr: std::net::Ipv4Addr = a.parse().ok()?;
    Some((addr.octets(), p))
}

/// An IPv6 address with an optional `/n`.
pub(crate) fn parse_ipv6(w: &str) -> Option<([u8; 16], u8)> {
    let (a, p) = split_prefix(w, 128)?;
    let addr: std::net::Ipv6Addr = a.parse().ok()?;
    Some((addr.octets(), p))
}

fn split_prefix(w: &str, max: u8) -> Option<(&str, u8)> {
    match w.split_once('/') {
        Some((a, p)) => {
            if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let p: u8 = p.parse().ok()?;
            (p <= max).then_some((a, p))
        }
        None => Some((w, max)),
    }
}

/// Decimal seconds (`1.5`, `-0.25`, `3`) as nanoseconds, exactly (up to 9 decimals).
pub(crate) fn parse_decimal_ns(w: &str) -> Option<i128> {
    let (neg, w) = match w.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, w),
    };
    let (int, frac) = w.split_once('.').unwrap_or((w, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 9
        || int.len() > 18
    {
        return None;
    }
    let i: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let f: i128 = if frac.is_empty() {
        0
    } else {
        let v: i128 = frac.parse().ok()?;
        v * 10i128.pow(9 - frac.len() as u32)
    };
    let ns = i * 1_000_000_000 + f;
    Some(if neg { -ns } else { ns })
}

/// `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z]` as UTC nanoseconds since the epoch.
pub(crate) fn parse_time(s: &str) -> Option<i128> {
    let s = s.trim();
    let s = s
        .strip_suffix('Z')
        .or_else(|| s.strip_suffix('z'))
        .unwrap_or(s);
    let (date, time) = match s.find(['T', 't', ' ']) {
        Some(i) => (s.get(..i)?, s.get(i + 1..)?.trim()),
        None => (s, "00:00:00"),
    };
    let mut d = date.split('-');
    let y: i64 = d.next()?.parse().ok()?;
    let m: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    if d.next().is_some()
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&day)
        || !(0..=9999).contains(&y)
    {
        return None;
    }
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.split(':');
    let h: i64 = t.next()?.parse().ok()?;
    let mi: i64 = t.next()?.parse().ok()?;
    let sec: i64 = match t.next() {
        Some(x) => x.parse().ok()?,
        None => 0,
    };
    if t.next().is_some() || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let frac_ns = if frac.is_empty() {
        0
    } else {
        parse_decimal_ns(&format!("0.{frac}"))?
    };
    let days = days_from_civil(y, m, day);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec;
    Some(i128::from(secs) * 1_000_000_000 + frac_ns)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm, the
/// inverse of [`crate::text::time::civil_from_days`]).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_integers() {
        assert_eq!(parse_int("0x1F"), Some(31));
        assert_eq!(parse_int("010"), Some(8));
        assert_eq!(parse_int("0b101"), Some(5));
        assert_eq!(parse_int("-7"), Some(-7));
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("09"), None);
        assert_eq!(parse_int("1e3"), None);
        assert_eq!(parse_int("99999999999999999999999"), None);
    }

    #[test]
    fn parses_bytes() {
        assert_eq!(parse_bytes("00:1b:21"), Some(vec![0, 0x1b, 0x21]));
        assert_eq!(parse_bytes("00-1b"), Some(vec![0, 0x1b]));
        assert_eq!(parse_bytes("0a"), Some(vec![0x0a]));
        assert_eq!(parse_bytes("2"), Some(vec![2]));
        assert_eq!(parse_bytes("0x0102"), Some(vec![1, 2]));
        assert_eq!(parse_bytes("0x2"), Some(vec![2]));
        assert_eq!(
            parse_bytes("0011.2233.4455"),
            Some(vec![0, 0x11, 0x22, 0x33, 0x44, 0x55])
        );
        assert_eq!(parse_bytes("00:1b-21"), None);
        assert_eq!(parse_bytes("abc"), None);
        assert_eq!(parse_bytes("0g"), None);
    }

    #[test]
    fn parses_addresses() {
        assert_eq!(parse_ipv4("10.0.0.0/8"), Some(([10, 0, 0, 0], 8)));
        assert_eq!(parse_ipv4("10.0.0.1"), Some(([10, 0, 0, 1], 32)));
        assert_eq!(parse_ipv4("10.0.0.1/33"), None);
        assert_eq!(parse_ipv4("10.0.0"), None);
        assert_eq!(parse_ipv6("::1/64").map(|x| x.1), Some(64));
        assert!(parse_ipv6("fe80::1").is_some());
    }

    #[test]
    fn parses_slices() {
        let s = |t| parse_slice(t, 0, 0).unwrap();
        assert_eq!(
            s("0:3"),
            Slice {
                start: 0,
                len: Some(3)
            }
        );
        assert_eq!(
            s("1-2"),
            Slice {
                start: 1,
                len: Some(2)
            }
        );
        assert_eq!(
            s(":4"),
            Slice {
                start: 0,
                len: Some(4)
            }
        );
        assert_eq!(
            s("4:"),
            Slice {
                start: 4,
                len: None
            }
        );
        assert_eq!(
            s("-1"),
            Slice {
                start: -1,
                len: Some(1)
            }
        );
        assert_eq!(
            s("-3:2"),
            Slice {
                start: -3,
                len: Some(2)
            }
        );
        assert_eq!(
            s("7"),
            Slice {
                start: 7,
                len: Some(1)
            }
        );
        assert!(parse_slice("2-1", 0, 0).is_err());
        assert!(parse_slice("a", 0, 0).is_err());
        assert!(parse_slice("1:0", 0, 0).is_err());
        assert!(parse_slice("", 0, 0).is_err());
    }

    #[test]
    fn parses_times() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_time("2010-01-01 00:00:01.5"),
            Some(1_262_304_001_500_000_000)
        );
        assert_eq!(parse_time("2024-02-30"), parse_time("2024-03-01"));
        assert_eq!(parse_decimal_ns("1.5"), Some(1_500_000_000));
        assert_eq!(parse_decimal_ns("-0.000000001"), Some(-1));
        assert_eq!(parse_decimal_ns("1.0000000001"), None);
        assert_eq!(parse_decimal_ns("."), None);
    }
}
