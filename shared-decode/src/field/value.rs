//! Field values and their text forms (Wireshark's `-T fields` form and tree labels).

use super::{Base, FieldDef, FieldType};
use crate::file::Timestamp;
use std::borrow::Cow;
use std::fmt::{self, Write};

/// A field value. Byte strings and text borrow the packet where they can.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    /// No value (protocols, labels, presence-only fields).
    None,
    /// Boolean.
    Bool(bool),
    /// Unsigned integer.
    UInt(u64),
    /// Signed integer.
    Int(i64),
    /// Floating point.
    Float(f64),
    /// IPv4 address.
    Ipv4([u8; 4]),
    /// IPv6 address.
    Ipv6([u8; 16]),
    /// MAC address.
    Ether([u8; 6]),
    /// Bytes.
    Bytes(&'a [u8]),
    /// Text.
    Str(Cow<'a, str>),
    /// Absolute time.
    Time(Timestamp),
    /// Relative time in nanoseconds.
    RelTime(i128),
}

impl Value<'_> {
    /// The value as an unsigned integer, when it is one (booleans are 0/1).
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::UInt(v) => Some(*v),
            Value::Int(v) => u64::try_from(*v).ok(),
            Value::Bool(b) => Some(u64::from(*b)),
            _ => None,
        }
    }

    /// A copy that owns its data (for values kept beyond the packet).
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::None => Value::None,
            Value::Bool(b) => Value::Bool(b),
            Value::UInt(v) => Value::UInt(v),
            Value::Int(v) => Value::Int(v),
            Value::Float(v) => Value::Float(v),
            Value::Ipv4(a) => Value::Ipv4(a),
            Value::Ipv6(a) => Value::Ipv6(a),
            Value::Ether(a) => Value::Ether(a),
            Value::Bytes(b) => Value::Str(Cow::Owned(hex_colon(b))),
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
            Value::Time(t) => Value::Time(t),
            Value::RelTime(t) => Value::RelTime(t),
        }
    }

    /// Writes the value as `tshark -T fields` prints it for `def`.
    pub fn write_fields(&self, def: &FieldDef, out: &mut String) {
        match self {
            Value::None => {}
            Value::Bool(b) => out.push(if *b { '1' } else { '0' }),
            Value::UInt(v) => write_uint(def, *v, out),
            Value::Int(v) => {
                let _ = write!(out, "{v}");
            }
            Value::Float(v) => {
                let _ = write!(out, "{v}");
            }
            Value::Ipv4(a) => write_ipv4(a, out),
            Value::Ipv6(a) => {
                let _ = write!(out, "{}", std::net::Ipv6Addr::from(*a));
            }
            Value::Ether(a) => write_mac(a, out),
            Value::Bytes(b) => write_hex_colon(b, out),
            Value::Str(s) => out.push_str(s),
            Value::Time(t) => write_epoch(*t, out),
            Value::RelTime(ns) => write_reltime(*ns, out),
        }
    }

    /// Writes the value as a tree label shows it (`TCP (6)`, `0x0800`, `"example.com"`).
    pub fn write_label(&self, def: &FieldDef, out: &mut String) {
        match self {
            Value::UInt(v) => {
                let mut num = String::new();
                write_uint(def, *v, &mut num);
                if let Some(name) = def.value_name(*v) {
                    let _ = write!(out, "{name} ({num})");
                } else {
                    out.push_str(&num);
                }
            }
            Value::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
            Value::RelTime(ns) => {
                write_reltime(*ns, out);
                out.push_str(" seconds");
            }
            Value::Time(t) => {
                let _ = write!(out, "{}", crate::text::time::utc_long(*t));
            }
            v => v.write_fields(def, out),
        }
    }
}

fn write_uint(def: &FieldDef, v: u64, out: &mut String) {
    let shifted = v;
    let width = match def.ftype {
        FieldType::UInt(bits) => usize::from(bits).div_ceil(4),
        _ => 1,
    };
    let _ = match def.base {
        Base::Hex => write!(out, "0x{shifted:0width$x}"),
        Base::HexDec => write!(out, "0x{shifted:0width$x} ({shifted})"),
        Base::DecHex => write!(out, "{shifted} (0x{shifted:0width$x})"),
        Base::Dec | Base::None => write!(out, "{shifted}"),
    };
}

/// `a.b.c.d` without going through `Ipv4Addr`'s formatter (hot in JSON output).
pub(crate) fn write_ipv4(a: &[u8; 4], out: &mut String) {
    for (i, b) in a.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_u8(out, *b);
    }
}

fn push_u8(out: &mut String, b: u8) {
    if b >= 100 {
        out.push(char::from(b'0' + b / 100));
    }
    if b >= 10 {
        out.push(char::from(b'0' + (b / 10) % 10));
    }
    out.push(char::from(b'0' + b % 10));
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `aa:bb:cc:dd:ee:ff`.
pub(crate) fn write_mac(a: &[u8; 6], out: &mut String) {
    write_hex_colon(a, out);
}

/// Bytes as `aa:bb:cc`.
pub(crate) fn write_hex_colon(b: &[u8], out: &mut String) {
    let mut buf = Vec::with_capacity(b.len() * 3);
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            buf.push(b':');
        }
        buf.push(HEX[usize::from(x >> 4)]);
        buf.push(HEX[usize::from(x & 15)]);
    }
    // Only ASCII hex digits and ':' were pushed.
    out.push_str(std::str::from_utf8(&buf).unwrap_or(""));
}

fn hex_colon(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 3);
    write_hex_colon(b, &mut s);
    s
}

/// Seconds with 9 decimals (`0.015584000`, `-1.500000000`).
pub(crate) fn write_reltime(ns: i128, out: &mut String) {
    crate::text::push_reltime(out, ns);
}

/// Seconds since the epoch with 9 decimals (`frame.time_epoch`).
pub(crate) fn write_epoch(t: crate::file::Timestamp, out: &mut String) {
    crate::text::push_i64(out, t.secs);
    out.push('.');
    crate::text::push_u64_pad(out, u64::from(t.nanos), 9);
}

/// ISO 8601 UTC with nanoseconds: `2017-04-06T22:06:23.931377000Z`.
pub(crate) fn write_iso(t: crate::file::Timestamp, out: &mut String) {
    let c = crate::text::time::civil(t.secs, 0);
    crate::text::time::push_date(out, &c);
    out.push('T');
    crate::text::time::push_clock(out, &c);
    out.push('.');
    crate::text::push_u64_pad(out, u64::from(t.nanos), 9);
    out.push('Z');
}

/// Renders a masked field as Wireshark's bit picture, e.g. `.... ..1. = ` for mask `0x02`
/// in an 8-bit parent with value 1.
pub fn format_bits(mask: u64, bits: u8, value: u64, out: &mut String) {
    let shift = mask.trailing_zeros();
    let raw = value << shift;
    for i in (0..u32::from(bits)).rev() {
        let bit = 1u64 << i;
        if mask & bit != 0 {
            out.push(if raw & bit != 0 { '1' } else { '0' });
        } else {
            out.push('.');
        }
        if i % 4 == 0 && i != 0 {
            out.push(' ');
        }
    }
    out.push_str(" = ");
}

impl fmt::Display for Value<'_> {
    /// A context-free form (decimal integers); use [`Value::write_fields`] for schema-aware text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        static PLAIN: FieldDef = FieldDef::new("", "", FieldType::UInt(64), Base::Dec);
        let mut s = String::new();
        self.write_fields(&PLAIN, &mut s);
        f.write_str(&s)
    }
}
