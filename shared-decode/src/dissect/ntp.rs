//! NTP (RFC 5905) on UDP port 123: the 48-byte header, NTPv4 extension fields, the key
//! identifier and message digest. Control (mode 6) and private (mode 7) messages show their
//! first byte only. Request/response matching (`ntp.response_in`) is not done.

#![deny(clippy::indexing_slicing)]

use super::app::{AnonPolicy, App, AppProtocol, ColumnText, Handoff, TcpdumpText};
use super::{Be, DissectCx, DissectResult, EmitCx};
use crate::error::AppId;
use crate::field::{Base, FieldDef, FieldType, Sink, Span, Value};
use crate::file::Timestamp;
use crate::text::push_u64;

/// The row.
pub static PROTOCOL: AppProtocol = AppProtocol {
    id: AppId {
        slot: 1,
        name: "ntp",
    },
    def: &NTP,
    fields: FIELDS,
    also_emits: &[],
    handoffs: &[Handoff::UdpPort(123)],
    dissect,
    emit,
    columns,
    tcpdump: Some(tcpdump),
    anon: AnonPolicy::AppData,
    ports: None,
};

const HEADER: usize = 48;
/// Extension fields read per message (each is at least 16 bytes).
const MAX_EXTENSIONS: usize = 64;

static MODES: &[(u64, &str)] = &[
    (0, "reserved"),
    (1, "symmetric active"),
    (2, "symmetric passive"),
    (3, "client"),
    (4, "server"),
    (5, "broadcast"),
    (6, "reserved for NTP control message"),
    (7, "reserved for private use"),
];

static LEAP: &[(u64, &str)] = &[
    (0, "no warning"),
    (1, "last minute of the day has 61 seconds"),
    (2, "last minute of the day has 59 seconds"),
    (3, "unknown (clock unsynchronized)"),
];

static VERSIONS: &[(u64, &str)] = &[
    (0, "reserved"),
    (1, "NTP Version 1"),
    (2, "NTP Version 2"),
    (3, "NTP Version 3"),
    (4, "NTP Version 4"),
];

/// `ntp`.
pub static NTP: FieldDef = FieldDef::proto("ntp", "Network Time Protocol");
/// `ntp.flags`.
pub static FLAGS: FieldDef = FieldDef::new("ntp.flags", "Flags", FieldType::UInt(8), Base::Hex);
/// `ntp.flags.li`.
pub static LI: FieldDef = FieldDef::new(
    "ntp.flags.li",
    "Leap Indicator",
    FieldType::UInt(8),
    Base::Dec,
)
.masked(0xc0)
.named(LEAP);
/// `ntp.flags.vn`.
pub static VN: FieldDef = FieldDef::new(
    "ntp.flags.vn",
    "Version number",
    FieldType::UInt(8),
    Base::Dec,
)
.masked(0x38)
.named(VERSIONS);
/// `ntp.flags.mode`.
pub static MODE: FieldDef = FieldDef::new("ntp.flags.mode", "Mode", FieldType::UInt(8), Base::Dec)
    .masked(0x07)
    .named(MODES);
/// `ntp.stratum`.
pub static STRATUM: FieldDef = FieldDef::new(
    "ntp.stratum",
    "Peer Clock Stratum",
    FieldType::UInt(8),
    Base::Dec,
);
/// `ntp.ppoll`.
pub static PPOLL: FieldDef = FieldDef::new(
    "ntp.ppoll",
    "Peer Polling Interval",
    FieldType::UInt(8),
    Base::Dec,
);
/// `ntp.precision` (a signed power of two, shown unsigned as tshark's field type says).
pub static PRECISION: FieldDef = FieldDef::new(
    "ntp.precision",
    "Peer Clock Precision",
    FieldType::UInt(8),
    Base::Dec,
);
/// `ntp.rootdelay` (16.16 fixed point seconds, raw).
pub static ROOTDELAY: FieldDef = FieldDef::new(
    "ntp.rootdelay",
    "Root Delay",
    FieldType::UInt(32),
    Base::Dec,
);
/// `ntp.rootdispersion`.
pub static ROOTDISPERSION: FieldDef = FieldDef::new(
    "ntp.rootdispersion",
    "Root Dispersion",
    FieldType::UInt(32),
    Base::Dec,
);
/// `ntp.refid`.
pub static REFID: FieldDef =
    FieldDef::new("ntp.refid", "Reference ID", FieldType::Bytes, Base::None);
/// `ntp.reftime`.
pub static REFTIME: FieldDef = FieldDef::new(
    "ntp.reftime",
    "Reference Timestamp",
    FieldType::AbsTime,
    Base::None,
);
/// `ntp.org`.
pub static ORG: FieldDef = FieldDef::new(
    "ntp.org",
    "Origin Timestamp",
    FieldType::AbsTime,
    Base::None,
);
/// `ntp.rec`.
pub static REC: FieldDef = FieldDef::new(
    "ntp.rec",
    "Receive Timestamp",
    FieldType::AbsTime,
    Base::None,
);
/// `ntp.xmt`.
pub static XMT: FieldDef = FieldDef::new(
    "ntp.xmt",
    "Transmit Timestamp",
    FieldType::AbsTime,
    Base::None,
);
/// `ntp.keyid`.
pub static KEYID: FieldDef = FieldDef::new("ntp.keyid", "Key ID", FieldType::Bytes, Base::None);
/// `ntp.mac`.
pub static MAC: FieldDef = FieldDef::new(
    "ntp.mac",
    "Message Authentication Code",
    FieldType::Bytes,
    Base::None,
);
/// `ntp.ext`.
pub static EXT: FieldDef = FieldDef::new("ntp.ext", "Extension", FieldType::None, Base::None);
/// `ntp.ext.type`.
pub static EXT_TYPE: FieldDef =
    FieldDef::new("ntp.ext.type", "Field Type", FieldType::UInt(16), Base::Hex);
/// `ntp.ext.length`.
pub static EXT_LENGTH: FieldDef =
    FieldDef::new("ntp.ext.length", "Length", FieldType::UInt(16), Base::Dec);
/// `ntp.ext.value`.
pub static EXT_VALUE: FieldDef =
    FieldDef::new("ntp.ext.value", "Value", FieldType::Bytes, Base::None);

/// Every field.
pub static FIELDS: &[&FieldDef] = &[
    &NTP,
    &FLAGS,
    &LI,
    &VN,
    &MODE,
    &STRATUM,
    &PPOLL,
    &PRECISION,
    &ROOTDELAY,
    &ROOTDISPERSION,
    &REFID,
    &REFTIME,
    &ORG,
    &REC,
    &XMT,
    &EXT,
    &EXT_TYPE,
    &EXT_LENGTH,
    &EXT_VALUE,
    &KEYID,
    &MAC,
];

/// Dissects an NTP message (declines what is too short for the header, or version 0/5+).
pub fn dissect<'a>(data: &'a [u8], _off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    let Some(flags) = data.u8_at(0) else {
        return Ok(None);
    };
    let (vn, mode) = ((flags >> 3) & 7, flags & 7);
    let control = mode >= 6;
    if !(1..=4).contains(&vn) || (!control && data.len() < HEADER) {
        return Ok(None);
    }
    let side = super::app::side_by_port(_cx, 123);
    super::app::claim(&PROTOCOL, data, side, u32::from(flags))
}

/// Seconds between 1900-01-01 (NTP era 0) and 1970-01-01.
const NTP_UNIX: i64 = 2_208_988_800;

/// An NTP 64-bit timestamp as an absolute time. Like Wireshark (RFC 4330 §3), values with
/// the top bit clear are in era 1 (from 2036-02-07).
pub fn ntp_time(v: u64) -> Timestamp {
    let secs = (v >> 32) as i64;
    let frac = v & 0xffff_ffff;
    let era = if secs & 0x8000_0000 == 0 && v != 0 {
        1i64 << 32
    } else {
        0
    };
    Timestamp {
        secs: secs + era - NTP_UNIX,
        nanos: ((frac * 1_000_000_000) >> 32) as u32,
    }
}

/// Key id and digest, and where the extension fields end (RFC 7822 §7.5: what follows the
/// header is a MAC when 4, 20 or 24 bytes remain — a crypto-NAK, MD5, SHA-1).
fn trailer(data: &[u8]) -> (usize, Option<(usize, usize)>) {
    let mut p = HEADER;
    for _ in 0..MAX_EXTENSIONS {
        let rest = data.len().saturating_sub(p);
        if matches!(rest, 0 | 4 | 20 | 24) || rest < 16 {
            break;
        }
        let Some(len) = data.u16_at(p + 2).map(usize::from) else {
            break;
        };
        if len < 16 || len % 4 != 0 || p + len > data.len() {
            break;
        }
        p += len;
    }
    let rest = data.len().saturating_sub(p);
    let mac = matches!(rest, 4 | 20 | 24).then_some((p, rest));
    (p, mac)
}

fn emit<'a>(a: &App<'a>, off: usize, _cx: &EmitCx<'_, 'a>, sink: &mut dyn Sink<'a>) {
    let d = a.data;
    let flags = a.aux as u8;
    let (vn, mode) = ((flags >> 3) & 7, flags & 7);
    let mode_name = MODE.value_name(u64::from(mode)).unwrap_or("unknown");
    if sink.wants_labels() {
        sink.open(
            &NTP,
            Value::None,
            Span::new(off, d.len()),
            Some(format_args!(
                "Network Time Protocol (NTP Version {vn}, {mode_name})"
            )),
        );
    } else {
        sink.open(&NTP, Value::None, Span::new(off, d.len()), None);
    }
    let u = |v: u64| Value::UInt(v);
    let flags_v = u64::from(flags);
    sink.open(&FLAGS, u(flags_v), Span::new(off, 1), None);
    sink.field(&LI, u(flags_v >> 6), Span::new(off, 1), None);
    sink.field(&VN, u(u64::from(vn)), Span::new(off, 1), None);
    sink.field(&MODE, u(u64::from(mode)), Span::new(off, 1), None);
    sink.close();
    if mode < 6 {
        let byte = |i: usize| u64::from(d.u8_at(i).unwrap_or(0));
        sink.field(&STRATUM, u(byte(1)), Span::new(off + 1, 1), None);
        sink.field(&PPOLL, u(byte(2)), Span::new(off + 2, 1), None);
        sink.field(&PRECISION, u(byte(3)), Span::new(off + 3, 1), None);
        let word = |i: usize| u64::from(d.u32_at(i).unwrap_or(0));
        sink.field(&ROOTDELAY, u(word(4)), Span::new(off + 4, 4), None);
        sink.field(&ROOTDISPERSION, u(word(8)), Span::new(off + 8, 4), None);
        if let Some(r) = d.get(12..16) {
            sink.field(&REFID, Value::Bytes(r), Span::new(off + 12, 4), None);
        }
        for (i, def) in [&REFTIME, &ORG, &REC, &XMT].into_iter().enumerate() {
            let at = 16 + 8 * i;
            let v = d.arr::<8>(at).map_or(0, u64::from_be_bytes);
            if v == 0 && sink.wants_labels() {
                let label = format_args!("{}: NULL", def.label);
                sink.field(
                    def,
                    Value::Time(ntp_time(0)),
                    Span::new(off + at, 8),
                    Some(label),
                );
            } else {
                sink.field(def, Value::Time(ntp_time(v)), Span::new(off + at, 8), None);
            }
        }
        let (ext_end, mac) = trailer(d);
        let mut p = HEADER;
        // Bounded: `trailer` walked the same fields.
        while p < ext_end {
            let (Some(t), Some(len)) = (d.u16_at(p), d.u16_at(p + 2)) else {
                break;
            };
            let len = usize::from(len).max(4);
            sink.open(&EXT, Value::None, Span::new(off + p, len), None);
            sink.field(&EXT_TYPE, u(u64::from(t)), Span::new(off + p, 2), None);
            sink.field(&EXT_LENGTH, u(len as u64), Span::new(off + p + 2, 2), None);
            if let Some(v) = d.get(p + 4..p + len) {
                sink.field(
                    &EXT_VALUE,
                    Value::Bytes(v),
                    Span::new(off + p + 4, len - 4),
                    None,
                );
            }
            sink.close();
            p += len;
        }
        if let Some((at, n)) = mac {
            if let Some(k) = d.get(at..at + 4) {
                sink.field(&KEYID, Value::Bytes(k), Span::new(off + at, 4), None);
            }
            if let Some(m) = d.get(at + 4..at + n).filter(|m| !m.is_empty()) {
                sink.field(
                    &MAC,
                    Value::Bytes(m),
                    Span::new(off + at + 4, m.len()),
                    None,
                );
            }
        }
    }
    sink.close();
}

fn columns(a: &App<'_>, c: &mut ColumnText<'_>) {
    let flags = a.aux as u8;
    let mode = flags & 7;
    c.protocol.push_str("NTP");
    c.info.push_str("NTP Version ");
    push_u64(c.info, u64::from((flags >> 3) & 7));
    c.info.push_str(", ");
    c.info
        .push_str(MODE.value_name(u64::from(mode)).unwrap_or("unknown"));
}

fn tcpdump(a: &App<'_>, t: &mut TcpdumpText<'_>) {
    let flags = a.aux as u8;
    t.out.push_str("NTPv");
    push_u64(t.out, u64::from((flags >> 3) & 7));
    t.out.push_str(", ");
    // tcpdump's `ntp_mode_values`.
    t.out.push_str(match flags & 7 {
        0 => "unspecified",
        1 => "symmetric active",
        2 => "symmetric passive",
        3 => "Client",
        4 => "Server",
        5 => "Broadcast",
        6 => "Control Message",
        _ => "Reserved",
    });
    t.out.push_str(", length ");
    push_u64(t.out, t.payload_len as u64);
    if t.verbose > 0 && flags & 7 < 6 {
        tcpdump_verbose(a.data, t.out);
    }
}

/// tcpdump's `-v` lines for a time message (print-ntp.c, `ntp_time_print`).
fn tcpdump_verbose(d: &[u8], out: &mut String) {
    use std::fmt::Write as _;
    let b = |i: usize| d.u8_at(i).unwrap_or(0);
    let li = b(0) >> 6;
    let stratum = b(1);
    let poll = b(2) as i8;
    let precision = b(3) as i8;
    let _ = write!(
        out,
        "\n\tLeap indicator: {} ({}), Stratum {} ({})",
        match li {
            0 => "",
            1 => "+1s",
            2 => "-1s",
            _ => "clock unsynchronized",
        },
        u32::from(li) << 6,
        stratum,
        match stratum {
            0 => "unspecified",
            1 => "primary reference",
            2..=15 => "secondary reference",
            _ => "reserved",
        }
    );
    let _ = write!(out, ", poll {poll}");
    if poll > -32 && poll < 32 {
        if poll >= 0 {
            let _ = write!(out, " ({}s)", 1u32 << poll);
        } else {
            let _ = write!(out, " (1/{}s)", 1u32 << -poll);
        }
    }
    let _ = write!(out, ", precision {precision}");
    let sfix = |out: &mut String, at: usize| {
        let i = d.u16_at(at).unwrap_or(0);
        let f = d.u16_at(at + 2).unwrap_or(0);
        let _ = write!(
            out,
            "{}.{:06}",
            i,
            (f64::from(f) / 65536.0 * 1_000_000.0) as u32
        );
    };
    out.push_str("\n\tRoot Delay: ");
    sfix(out, 4);
    out.push_str(", Root dispersion: ");
    sfix(out, 8);
    out.push_str(", Reference-ID: ");
    match stratum {
        0 => out.push_str("(unspec)"),
        1 => {
            for &c in d.get(12..16).unwrap_or(&[]) {
                if c == 0 {
                    break;
                }
                if c.is_ascii_graphic() || c == b' ' {
                    out.push(char::from(c));
                } else {
                    out.push('.');
                }
            }
        }
        _ => {
            let _ = write!(out, "0x{:08x}", d.u32_at(12).unwrap_or(0));
        }
    }
    let ts = |at: usize| d.arr::<8>(at).map_or(0, u64::from_be_bytes);
    for (label, at) in [
        ("\n\t  Reference Timestamp:  ", 16),
        // Debian's tcpdump 4.99.3 (later versions say "Origin Timestamp:     ").
        ("\n\t  Originator Timestamp: ", 24),
        ("\n\t  Receive Timestamp:    ", 32),
        ("\n\t  Transmit Timestamp:   ", 40),
    ] {
        out.push_str(label);
        tcpdump_time(ts(at), out);
    }
    out.push_str("\n\t    Originator - Receive Timestamp:  ");
    tcpdump_delta(ts(24), ts(32), out);
    out.push_str("\n\t    Originator - Transmit Timestamp: ");
    tcpdump_delta(ts(24), ts(40), out);
    // A key id alone (crypto-NAK), or with an MD5 or SHA-1 digest.
    if matches!(d.len(), 52 | 68 | 72) {
        let _ = write!(out, "\n\tKey id: {}", d.u32_at(HEADER).unwrap_or(0));
        if let Some(mac) = d.get(HEADER + 4..).filter(|m| !m.is_empty()) {
            out.push_str("\n\tAuthentication: ");
            for x in mac {
                let _ = write!(out, "{x:02x}");
            }
        }
    }
}

/// A fraction of 2^32 as nanoseconds, truncated as tcpdump does (through a double).
fn frac_ns(f: u32) -> u32 {
    (f64::from(f) / 4_294_967_296.0 * 1_000_000_000.0) as u32
}

/// tcpdump's `p_ntp_time`: seconds.nanoseconds since 1900, and the UTC date when not zero.
fn tcpdump_time(v: u64, out: &mut String) {
    use std::fmt::Write as _;
    let (i, f) = ((v >> 32) as u32, v as u32);
    let _ = write!(out, "{}.{:09}", i, frac_ns(f));
    if i != 0 {
        let c = crate::text::time::civil(i64::from(i) - NTP_UNIX, 0);
        out.push_str(" (");
        crate::text::time::push_date(out, &c);
        out.push('T');
        crate::text::time::push_clock(out, &c);
        out.push_str("Z)");
    }
}

/// tcpdump's `p_ntp_delta`: `new - old` signed, or `new` itself when `old` is zero.
fn tcpdump_delta(old: u64, new: u64, out: &mut String) {
    use std::fmt::Write as _;
    if old == 0 {
        tcpdump_time(new, out);
        return;
    }
    let (ou, ouf) = ((old >> 32) as u32, old as u32);
    let (u, uf) = ((new >> 32) as u32, new as u32);
    let mut i = u.wrapping_sub(ou) as i32;
    let (neg, f) = if i > 0 {
        if ouf > uf {
            i -= 1;
        }
        (false, uf.wrapping_sub(ouf))
    } else if i < 0 {
        if uf > ouf {
            i += 1;
        }
        i = i.wrapping_neg();
        (true, ouf.wrapping_sub(uf))
    } else if uf > ouf {
        (false, uf - ouf)
    } else {
        (true, ouf - uf)
    };
    let _ = write!(
        out,
        "{}{}.{:09}",
        if neg { "-" } else { "+" },
        i,
        frac_ns(f)
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn eras_follow_rfc_4330() {
        // 2017-06-19 14:12:09 UTC, era 0.
        assert_eq!(ntp_time(0xdcf2_5a39u64 << 32).secs, 1_497_881_529);
        // Top bit clear: era 1 (after 2036).
        assert!(ntp_time(0x0000_0001u64 << 32).secs > 2_085_978_496);
    }

    #[test]
    fn trailer_tells_mac_from_extensions() {
        let mut d = vec![0x23u8; HEADER];
        assert_eq!(trailer(&d), (HEADER, None));
        d.extend([0u8; 24]);
        assert_eq!(trailer(&d), (HEADER, Some((HEADER, 24))));
        // A 16-byte extension field, then a 20-byte MAC.
        let mut e = vec![0x23u8; HEADER];
        e.extend([0x01, 0x04, 0x00, 0x10]);
        e.extend([0u8; 12]);
        e.extend([0u8; 20]);
        assert_eq!(trailer(&e), (HEADER + 16, Some((HEADER + 16, 20))));
        // A length that runs past the end stops the walk.
        let mut f = vec![0x23u8; HEADER];
        f.extend([0x01, 0x04, 0xff, 0xf0]);
        f.extend([0u8; 40]);
        assert_eq!(trailer(&f).0, HEADER);
    }

    #[test]
    fn short_or_versionless_datagrams_are_declined() {
        let mut cx = DissectCx::default();
        assert!(dissect(&[0x23; 47], 0, &mut cx).unwrap().is_none());
        assert!(dissect(&[0x03; 48], 0, &mut cx).unwrap().is_none());
        assert!(dissect(&[0x23; 48], 0, &mut cx).unwrap().is_some());
    }
}
