//! DHCPv6 (RFC 8415) on UDP ports 546/547: client/server messages, relay messages with the
//! relayed message inside (nested up to [`MAX_NESTING`]), options as a TLV list — DUIDs,
//! identity associations with their addresses and prefixes, option requests, elapsed time,
//! status codes, DNS servers and the domain search list.
//! Every option advances by at least 4 bytes and stays inside its parent.

#![deny(clippy::indexing_slicing)]

use super::app::{AnonEdit, AnonPolicy, App, AppProtocol, ColumnText, Handoff, Side, TcpdumpText};
use super::{field_def, Be, DissectCx, DissectResult, EmitCx};
use crate::error::AppId;
use crate::field::{Base, FieldDef, FieldType, Sink, Span, Value};
use crate::file::Timestamp;
use crate::text::{push_hex, push_ipv6, push_mac};
use std::fmt::Write as _;

/// The row.
pub static PROTOCOL: AppProtocol = AppProtocol {
    id: AppId {
        slot: 2,
        name: "dhcpv6",
    },
    def: &DHCPV6,
    fields: FIELDS,
    also_emits: &[],
    handoffs: &[Handoff::UdpPort(546), Handoff::UdpPort(547)],
    dissect,
    emit,
    columns,
    tcpdump: Some(tcpdump),
    anon: AnonPolicy::Rewrite(anon_plan),
    ports: None,
};

/// Relay messages inside relay messages, at most (RFC 8415 §7.6 HOP_COUNT_LIMIT is 8).
const MAX_NESTING: usize = 8;
/// Seconds from 1970-01-01 to 2000-01-01 (DUID-LLT time base).
const Y2K: i64 = 946_684_800;

static MSG_TYPES: &[(u64, &str)] = &[
    (1, "Solicit"),
    (2, "Advertise"),
    (3, "Request"),
    (4, "Confirm"),
    (5, "Renew"),
    (6, "Rebind"),
    (7, "Reply"),
    (8, "Release"),
    (9, "Decline"),
    (10, "Reconfigure"),
    (11, "Information-request"),
    (12, "Relay-forw"),
    (13, "Relay-reply"),
    (14, "Leasequery"),
    (15, "Leasequery-reply"),
    (16, "Leasequery-done"),
    (17, "Leasequery-data"),
    (18, "Reconfigure-request"),
    (19, "Reconfigure-reply"),
];

static OPTION_TYPES: &[(u64, &str)] = &[
    (1, "Client Identifier"),
    (2, "Server Identifier"),
    (3, "Identity Association for Non-temporary Address"),
    (4, "Identity Association for Temporary Address"),
    (5, "IA Address"),
    (6, "Option Request"),
    (7, "Preference"),
    (8, "Elapsed time"),
    (9, "Relay Message"),
    (11, "Authentication"),
    (12, "Server unicast"),
    (13, "Status code"),
    (14, "Rapid Commit"),
    (15, "User Class"),
    (16, "Vendor Class"),
    (17, "Vendor-specific Information"),
    (18, "Interface-Id"),
    (19, "Reconfigure Message"),
    (20, "Reconfigure Accept"),
    (23, "DNS recursive name server"),
    (24, "Domain Search List"),
    (25, "Identity Association for Prefix Delegation"),
    (26, "IA Prefix"),
    (39, "Fully Qualified Domain Name"),
    (59, "Boot File URL"),
];

static DUID_TYPES: &[(u64, &str)] = &[
    (1, "link-layer address plus time"),
    (2, "assigned by vendor based on Enterprise number"),
    (3, "link-layer address"),
    (4, "Universally Unique IDentifier (UUID)"),
];

/// `dhcpv6`.
pub static DHCPV6: FieldDef = FieldDef::proto("dhcpv6", "DHCPv6");
/// `dhcpv6.msgtype`.
pub static MSGTYPE: FieldDef = FieldDef::new(
    "dhcpv6.msgtype",
    "Message type",
    FieldType::UInt(8),
    Base::Dec,
)
.named(MSG_TYPES);
field_def!(
    HOPCOUNT,
    "dhcpv6.hopcount",
    "Hopcount",
    FieldType::UInt(8),
    Base::Dec
);
field_def!(
    XID,
    "dhcpv6.xid",
    "Transaction ID",
    FieldType::UInt(24),
    Base::Hex
);
field_def!(
    LINKADDR,
    "dhcpv6.linkaddr",
    "Link address",
    FieldType::Ipv6,
    Base::None
);
field_def!(
    PEERADDR,
    "dhcpv6.peeraddr",
    "Peer address",
    FieldType::Ipv6,
    Base::None
);
/// `dhcpv6.option.type`.
pub static OPTION_TYPE: FieldDef = FieldDef::new(
    "dhcpv6.option.type",
    "Option",
    FieldType::UInt(16),
    Base::Dec,
)
.named(OPTION_TYPES);
field_def!(
    OPTION_LENGTH,
    "dhcpv6.option.length",
    "Length",
    FieldType::UInt(16),
    Base::Dec
);
field_def!(
    DUID_BYTES,
    "dhcpv6.duid.bytes",
    "DUID",
    FieldType::Bytes,
    Base::None
);
/// `dhcpv6.duid.type`.
pub static DUID_TYPE: FieldDef = FieldDef::new(
    "dhcpv6.duid.type",
    "DUID Type",
    FieldType::UInt(16),
    Base::Dec,
)
.named(DUID_TYPES);
field_def!(
    LLT_HWTYPE,
    "dhcpv6.duidllt.hwtype",
    "Hardware type",
    FieldType::UInt(16),
    Base::Dec
);
field_def!(
    LLT_TIME,
    "dhcpv6.duidllt.time",
    "DUID Time",
    FieldType::AbsTime,
    Base::None
);
field_def!(
    LLT_ADDR,
    "dhcpv6.duidllt.link_layer_addr",
    "Link-layer address",
    FieldType::Str,
    Base::None
);
field_def!(
    LL_HWTYPE,
    "dhcpv6.duidll.hwtype",
    "Hardware type",
    FieldType::UInt(16),
    Base::Dec
);
field_def!(
    LL_ADDR,
    "dhcpv6.duidll.link_layer_addr",
    "Link-layer address",
    FieldType::Str,
    Base::None
);
field_def!(
    EN_ENTERPRISE,
    "dhcpv6.duiden.enterprise",
    "Enterprise ID",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    EN_IDENTIFIER,
    "dhcpv6.duiden.identifier",
    "Identifier",
    FieldType::Bytes,
    Base::None
);
field_def!(IAID, "dhcpv6.iaid", "IAID", FieldType::Str, Base::None);
field_def!(
    IAID_T1,
    "dhcpv6.iaid.t1",
    "T1",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    IAID_T2,
    "dhcpv6.iaid.t2",
    "T2",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    IAADDR_IP,
    "dhcpv6.iaaddr.ip",
    "IPv6 address",
    FieldType::Ipv6,
    Base::None
);
field_def!(
    IAADDR_PREF,
    "dhcpv6.iaaddr.pref_lifetime",
    "Preferred lifetime",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    IAADDR_VALID,
    "dhcpv6.iaaddr.valid_lifetime",
    "Valid lifetime",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    IAPREFIX_PREF,
    "dhcpv6.iaprefix.pref_lifetime",
    "Preferred lifetime",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    IAPREFIX_VALID,
    "dhcpv6.iaprefix.valid_lifetime",
    "Valid lifetime",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    IAPREFIX_LEN,
    "dhcpv6.iaprefix.pref_len",
    "Prefix length",
    FieldType::UInt(8),
    Base::Dec
);
field_def!(
    IAPREFIX_ADDR,
    "dhcpv6.iaprefix.pref_addr",
    "Prefix address",
    FieldType::Ipv6,
    Base::None
);
/// `dhcpv6.requested_option_code`.
pub static REQUESTED: FieldDef = FieldDef::new(
    "dhcpv6.requested_option_code",
    "Requested Option code",
    FieldType::UInt(16),
    Base::Dec,
)
.named(OPTION_TYPES);
field_def!(
    PREFERENCE,
    "dhcpv6.option_preference",
    "Pref-value",
    FieldType::UInt(8),
    Base::Dec
);
field_def!(
    ELAPSED,
    "dhcpv6.elapsed_time",
    "Elapsed time",
    FieldType::UInt(16),
    Base::Dec
);
field_def!(
    STATUS_CODE,
    "dhcpv6.status_code",
    "Status Code",
    FieldType::UInt(16),
    Base::Dec
);
field_def!(
    STATUS_MSG,
    "dhcpv6.status_msg",
    "Status Message",
    FieldType::Str,
    Base::None
);
field_def!(
    UNICAST,
    "dhcpv6.unicast",
    "IPv6 address",
    FieldType::Ipv6,
    Base::None
);
field_def!(
    INTERFACE_ID,
    "dhcpv6.interface_id",
    "Interface-ID",
    FieldType::Bytes,
    Base::None
);
field_def!(
    RECONF_MSG,
    "dhcpv6.reconf_msg",
    "Reconfigure message type",
    FieldType::UInt(8),
    Base::Dec
);
field_def!(
    DNS_SERVER,
    "dhcpv6.dns_server",
    "DNS server address",
    FieldType::Ipv6,
    Base::None
);
field_def!(
    SEARCH_ENTRY,
    "dhcpv6.search_list_entry",
    "List entry",
    FieldType::Str,
    Base::None
);

/// Every field.
pub static FIELDS: &[&FieldDef] = &[
    &DHCPV6,
    &MSGTYPE,
    &HOPCOUNT,
    &XID,
    &LINKADDR,
    &PEERADDR,
    &OPTION_TYPE,
    &OPTION_LENGTH,
    &DUID_BYTES,
    &DUID_TYPE,
    &LLT_HWTYPE,
    &LLT_TIME,
    &LLT_ADDR,
    &LL_HWTYPE,
    &LL_ADDR,
    &EN_ENTERPRISE,
    &EN_IDENTIFIER,
    &IAID,
    &IAID_T1,
    &IAID_T2,
    &IAADDR_IP,
    &IAADDR_PREF,
    &IAADDR_VALID,
    &IAPREFIX_PREF,
    &IAPREFIX_VALID,
    &IAPREFIX_LEN,
    &IAPREFIX_ADDR,
    &REQUESTED,
    &PREFERENCE,
    &ELAPSED,
    &STATUS_CODE,
    &STATUS_MSG,
    &UNICAST,
    &INTERFACE_ID,
    &RECONF_MSG,
    &DNS_SERVER,
    &SEARCH_ENTRY,
];

fn is_relay(t: u8) -> bool {
    matches!(t, 12 | 13)
}

/// Dissects a DHCPv6 message (declines unknown message types and short headers).
pub fn dissect<'a>(data: &'a [u8], _off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    let Some(t) = data.u8_at(0) else {
        return Ok(None);
    };
    let need = if is_relay(t) { 34 } else { 4 };
    if !(1..=19).contains(&t) || data.len() < need {
        return Ok(None);
    }
    super::app::claim(&PROTOCOL, data, Side::Unknown, u32::from(t))
}

/// One option: (code, value, offset of the option in `data`).
fn options(data: &[u8], mut p: usize) -> impl Iterator<Item = (u16, &[u8], usize)> {
    std::iter::from_fn(move || {
        let code = data.u16_at(p)?;
        let len = usize::from(data.u16_at(p + 2)?);
        let at = p;
        // A value cut by the capture keeps what is there, then the walk ends.
        let v = data.get(p + 4..(p + 4 + len).min(data.len()))?;
        p = p + 4 + len;
        Some((code, v, at))
    })
}

fn ipv6(b: &[u8], at: usize) -> Option<[u8; 16]> {
    b.arr::<16>(at)
}

fn emit<'a>(a: &App<'a>, off: usize, _cx: &EmitCx<'_, 'a>, sink: &mut dyn Sink<'a>) {
    sink.open(&DHCPV6, Value::None, Span::new(off, a.data.len()), None);
    emit_message(a.data, off, 0, sink);
    sink.close();
}

fn emit_message<'a>(d: &'a [u8], off: usize, depth: usize, sink: &mut dyn Sink<'a>) {
    let u = |v: u64| Value::UInt(v);
    let Some(t) = d.u8_at(0) else { return };
    sink.field(&MSGTYPE, u(u64::from(t)), Span::new(off, 1), None);
    let start = if is_relay(t) {
        if let Some(h) = d.u8_at(1) {
            sink.field(&HOPCOUNT, u(u64::from(h)), Span::new(off + 1, 1), None);
        }
        if let Some(l) = ipv6(d, 2) {
            sink.field(&LINKADDR, Value::Ipv6(l), Span::new(off + 2, 16), None);
        }
        if let Some(p) = ipv6(d, 18) {
            sink.field(&PEERADDR, Value::Ipv6(p), Span::new(off + 18, 16), None);
        }
        34
    } else {
        if let Some(x) = d.u32_at(0) {
            sink.field(
                &XID,
                u(u64::from(x & 0xff_ffff)),
                Span::new(off + 1, 3),
                None,
            );
        }
        4
    };
    emit_options(d, start, off, depth, sink);
}

fn emit_options<'a>(d: &'a [u8], start: usize, off: usize, depth: usize, sink: &mut dyn Sink<'a>) {
    let u = |v: u64| Value::UInt(v);
    for (code, v, at) in options(d, start) {
        let o = off + at;
        let vo = o + 4;
        sink.open(
            &OPTION_TYPE,
            u(u64::from(code)),
            Span::new(o, 4 + v.len()),
            None,
        );
        sink.field(&OPTION_LENGTH, u(v.len() as u64), Span::new(o + 2, 2), None);
        match code {
            1 | 2 => emit_duid(v, vo, sink),
            3 | 4 | 25 => {
                if let Some(id) = v.get(..4) {
                    let mut s = String::with_capacity(8);
                    for b in id {
                        let _ = write!(s, "{b:02x}");
                    }
                    sink.field(&IAID, Value::Str(s.into()), Span::new(vo, 4), None);
                }
                let sub = if code == 4 {
                    4
                } else {
                    if let (Some(t1), Some(t2)) = (v.u32_at(4), v.u32_at(8)) {
                        sink.field(&IAID_T1, u(u64::from(t1)), Span::new(vo + 4, 4), None);
                        sink.field(&IAID_T2, u(u64::from(t2)), Span::new(vo + 8, 4), None);
                    }
                    12
                };
                if v.len() > sub {
                    emit_options(v, sub, vo, depth, sink);
                }
            }
            5 => {
                if let Some(ip) = ipv6(v, 0) {
                    sink.field(&IAADDR_IP, Value::Ipv6(ip), Span::new(vo, 16), None);
                }
                if let (Some(p), Some(l)) = (v.u32_at(16), v.u32_at(20)) {
                    sink.field(&IAADDR_PREF, u(u64::from(p)), Span::new(vo + 16, 4), None);
                    sink.field(&IAADDR_VALID, u(u64::from(l)), Span::new(vo + 20, 4), None);
                }
                if v.len() > 24 {
                    emit_options(v, 24, vo, depth, sink);
                }
            }
            26 => {
                if let (Some(p), Some(l), Some(n), Some(ip)) =
                    (v.u32_at(0), v.u32_at(4), v.u8_at(8), ipv6(v, 9))
                {
                    sink.field(&IAPREFIX_PREF, u(u64::from(p)), Span::new(vo, 4), None);
                    sink.field(&IAPREFIX_VALID, u(u64::from(l)), Span::new(vo + 4, 4), None);
                    sink.field(&IAPREFIX_LEN, u(u64::from(n)), Span::new(vo + 8, 1), None);
                    sink.field(&IAPREFIX_ADDR, Value::Ipv6(ip), Span::new(vo + 9, 16), None);
                }
                if v.len() > 25 {
                    emit_options(v, 25, vo, depth, sink);
                }
            }
            6 => {
                for (i, c) in v.chunks_exact(2).enumerate() {
                    let c = c.u16_at(0).unwrap_or(0);
                    sink.field(&REQUESTED, u(u64::from(c)), Span::new(vo + 2 * i, 2), None);
                }
            }
            7 => {
                if let Some(p) = v.u8_at(0) {
                    sink.field(&PREFERENCE, u(u64::from(p)), Span::new(vo, 1), None);
                }
            }
            8 => {
                if let Some(t) = v.u16_at(0) {
                    sink.field(&ELAPSED, u(u64::from(t)), Span::new(vo, 2), None);
                }
            }
            9 if depth < MAX_NESTING => emit_message(v, vo, depth + 1, sink),
            12 => {
                if let Some(ip) = ipv6(v, 0) {
                    sink.field(&UNICAST, Value::Ipv6(ip), Span::new(vo, 16), None);
                }
            }
            13 => {
                if let Some(c) = v.u16_at(0) {
                    sink.field(&STATUS_CODE, u(u64::from(c)), Span::new(vo, 2), None);
                    let m = v.get(2..).unwrap_or(&[]);
                    sink.field(
                        &STATUS_MSG,
                        Value::Str(String::from_utf8_lossy(m)),
                        Span::new(vo + 2, m.len()),
                        None,
                    );
                }
            }
            18 => sink.field(&INTERFACE_ID, Value::Bytes(v), Span::new(vo, v.len()), None),
            19 => {
                if let Some(m) = v.u8_at(0) {
                    sink.field(&RECONF_MSG, u(u64::from(m)), Span::new(vo, 1), None);
                }
            }
            23 => {
                for (i, _) in v.chunks_exact(16).enumerate() {
                    if let Some(ip) = ipv6(v, 16 * i) {
                        sink.field(
                            &DNS_SERVER,
                            Value::Ipv6(ip),
                            Span::new(vo + 16 * i, 16),
                            None,
                        );
                    }
                }
            }
            24 => {
                for (name, at, len) in domain_list(v) {
                    sink.field(
                        &SEARCH_ENTRY,
                        Value::Str(name.into()),
                        Span::new(vo + at, len),
                        None,
                    );
                }
            }
            _ => {}
        }
        sink.close();
    }
}

fn emit_duid<'a>(v: &'a [u8], vo: usize, sink: &mut dyn Sink<'a>) {
    let u = |x: u64| Value::UInt(x);
    sink.field(&DUID_BYTES, Value::Bytes(v), Span::new(vo, v.len()), None);
    let Some(t) = v.u16_at(0) else { return };
    sink.field(&DUID_TYPE, u(u64::from(t)), Span::new(vo, 2), None);
    let mac = |b: &[u8]| -> String {
        let mut s = String::new();
        match <[u8; 6]>::try_from(b) {
            Ok(m) => push_mac(&mut s, m),
            Err(_) => {
                for (i, x) in b.iter().enumerate() {
                    if i > 0 {
                        s.push(':');
                    }
                    push_hex(&mut s, u64::from(*x), 2);
                }
            }
        }
        s
    };
    match t {
        1 => {
            if let (Some(hw), Some(time)) = (v.u16_at(2), v.u32_at(4)) {
                sink.field(&LLT_HWTYPE, u(u64::from(hw)), Span::new(vo + 2, 2), None);
                let ts = Timestamp {
                    secs: Y2K + i64::from(time),
                    nanos: 0,
                };
                sink.field(&LLT_TIME, Value::Time(ts), Span::new(vo + 4, 4), None);
                let a = v.get(8..).unwrap_or(&[]);
                sink.field(
                    &LLT_ADDR,
                    Value::Str(mac(a).into()),
                    Span::new(vo + 8, a.len()),
                    None,
                );
            }
        }
        2 => {
            if let Some(e) = v.u32_at(2) {
                sink.field(&EN_ENTERPRISE, u(u64::from(e)), Span::new(vo + 2, 4), None);
                let id = v.get(6..).unwrap_or(&[]);
                sink.field(
                    &EN_IDENTIFIER,
                    Value::Bytes(id),
                    Span::new(vo + 6, id.len()),
                    None,
                );
            }
        }
        3 => {
            if let Some(hw) = v.u16_at(2) {
                sink.field(&LL_HWTYPE, u(u64::from(hw)), Span::new(vo + 2, 2), None);
                let a = v.get(4..).unwrap_or(&[]);
                sink.field(
                    &LL_ADDR,
                    Value::Str(mac(a).into()),
                    Span::new(vo + 4, a.len()),
                    None,
                );
            }
        }
        _ => {}
    }
}

/// RFC 1035 names without compression (RFC 8415 §10): (name with its final dot, offset, length).
fn domain_list(v: &[u8]) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut p = 0usize;
    // Each name consumes at least one byte.
    while p < v.len() {
        let start = p;
        let mut name = String::new();
        loop {
            let Some(n) = v.u8_at(p).map(usize::from) else {
                return out;
            };
            p += 1;
            if n == 0 {
                break;
            }
            if n > 63 {
                return out;
            }
            let Some(label) = v.get(p..p + n) else {
                return out;
            };
            name.push_str(&String::from_utf8_lossy(label));
            name.push('.');
            p += n;
        }
        out.push((name, start, p - start));
    }
    out
}

/// What the anonymiser rewrites when payloads are kept: relay addresses, IA addresses and
/// prefixes, server addresses, the MAC in a link-layer DUID; identifiers it cannot map (other
/// DUIDs, IAIDs, interface ids, names, unknown options) are zeroed.
fn anon_plan(d: &[u8], out: &mut Vec<AnonEdit>) {
    plan_message(d, 0, 0, out);
}

fn plan_message(d: &[u8], base: usize, depth: usize, out: &mut Vec<AnonEdit>) {
    let Some(t) = d.u8_at(0) else { return };
    let start = if is_relay(t) {
        out.push(AnonEdit::Ipv6(base + 2));
        out.push(AnonEdit::Ipv6(base + 18));
        34
    } else {
        4
    };
    plan_options(d, start, base, depth, out);
}

fn plan_options(d: &[u8], start: usize, base: usize, depth: usize, out: &mut Vec<AnonEdit>) {
    let mut end = start;
    for (code, v, at) in options(d, start) {
        let vo = base + at + 4;
        end = at + 4 + v.len();
        let zero = |out: &mut Vec<AnonEdit>, from: usize| {
            out.push(AnonEdit::Zero(vo + from..vo + v.len().max(from)))
        };
        match code {
            1 | 2 => match (v.u16_at(0), v.len()) {
                (Some(1), 14) => out.push(AnonEdit::Mac(vo + 8)),
                (Some(3), 10) => out.push(AnonEdit::Mac(vo + 4)),
                _ => zero(out, 2),
            },
            3 | 4 | 25 => {
                out.push(AnonEdit::Zero(vo..vo + v.len().min(4)));
                let sub = if code == 4 { 4 } else { 12 };
                if v.len() > sub {
                    plan_options(v, sub, vo, depth, out);
                }
            }
            5 => {
                out.push(AnonEdit::Ipv6(vo));
                if v.len() > 24 {
                    plan_options(v, 24, vo, depth, out);
                }
            }
            26 => {
                out.push(AnonEdit::Ipv6(vo + 9));
                if v.len() > 25 {
                    plan_options(v, 25, vo, depth, out);
                }
            }
            9 if depth < MAX_NESTING => plan_message(v, vo, depth + 1, out),
            12 => out.push(AnonEdit::Ipv6(vo)),
            13 => zero(out, 2),
            23 => {
                for i in 0..v.len() / 16 {
                    out.push(AnonEdit::Ipv6(vo + 16 * i));
                }
            }
            // Option request, preference, elapsed time, rapid commit, reconfigure: no identity.
            6 | 7 | 8 | 14 | 19 | 20 => {}
            _ => zero(out, 0),
        }
    }
    // Whatever follows the last whole option.
    out.push(AnonEdit::Zero(base + end..base + d.len().max(end)));
}

/// Info text of one message (relayed messages appended).
fn write_info(d: &[u8], depth: usize, out: &mut String) {
    let Some(t) = d.u8_at(0) else { return };
    if depth > 0 {
        out.push(' ');
    }
    out.push_str(MSGTYPE.value_name(u64::from(t)).unwrap_or("Unknown"));
    let start = if is_relay(t) {
        if let Some(l) = ipv6(d, 2) {
            out.push_str(" L: ");
            push_ipv6(out, l);
            out.push(' ');
        }
        34
    } else {
        if let Some(x) = d.u32_at(0) {
            let _ = write!(out, " XID: 0x{:x} ", x & 0xff_ffff);
        }
        4
    };
    info_options(d, start, depth, out);
}

fn info_options(d: &[u8], start: usize, depth: usize, out: &mut String) {
    for (code, v, _) in options(d, start) {
        match code {
            1 => {
                out.push_str("CID: ");
                for b in v {
                    let _ = write!(out, "{b:02x}");
                }
                out.push(' ');
            }
            3 | 25 if v.len() > 12 => info_options(v, 12, depth, out),
            4 if v.len() > 4 => info_options(v, 4, depth, out),
            5 => {
                if let Some(ip) = ipv6(v, 0) {
                    out.push_str("IAA: ");
                    push_ipv6(out, ip);
                    out.push(' ');
                }
            }
            9 if depth < MAX_NESTING => write_info(v, depth + 1, out),
            _ => {}
        }
    }
}

fn columns(a: &App<'_>, c: &mut ColumnText<'_>) {
    c.protocol.push_str("DHCPv6");
    write_info(a.data, 0, c.info);
}

fn tcpdump(a: &App<'_>, t: &mut TcpdumpText<'_>) {
    // tcpdump's `dh6opcode_str`.
    t.out.push_str("dhcp6 ");
    t.out.push_str(match a.aux {
        1 => "solicit",
        2 => "advertise",
        3 => "request",
        4 => "confirm",
        5 => "renew",
        6 => "rebind",
        7 => "reply",
        8 => "release",
        9 => "decline",
        10 => "reconfigure",
        11 => "inf-req",
        12 => "relay-fwd",
        13 => "relay-reply",
        14 => "leasequery",
        15 => "leasequery-reply",
        16 => "leasequery-done",
        17 => "leasequery-data",
        _ => "msgtype-unknown",
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn info_lists_client_id_and_addresses_in_order() {
        // Reply, xid 0x2ffdd1, IA_NA with one IA Address, then a client id.
        let mut d = vec![7, 0x2f, 0xfd, 0xd1];
        d.extend([0, 3, 0, 40, 2, 3, 4, 5, 0, 0, 0, 1, 0, 0, 0, 2]);
        d.extend([0, 5, 0, 24]);
        d.extend([0x2a, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
        d.extend([0, 0, 0, 1, 0, 0, 0, 2]);
        d.extend([0, 1, 0, 4, 0, 3, 0, 1]);
        let mut s = String::new();
        write_info(&d, 0, &mut s);
        assert_eq!(s, "Reply XID: 0x2ffdd1 IAA: 2a00:1::9 CID: 00030001 ");
    }

    #[test]
    fn nested_relays_and_bad_lengths_stay_bounded() {
        // A relay-forw whose relay message is itself, nested deeper than the limit.
        let mut d = Vec::new();
        for _ in 0..50 {
            let mut outer = vec![12, 0];
            outer.extend([0u8; 32]);
            outer.extend([0, 9]);
            outer.extend((d.len() as u16).to_be_bytes());
            outer.extend(&d);
            d = outer;
        }
        let mut s = String::new();
        write_info(&d, 0, &mut s);
        assert_eq!(s.matches("Relay-forw").count(), MAX_NESTING + 1);
        // An option longer than the message.
        let d = [1u8, 0, 0, 1, 0, 1, 0xff, 0xff, 1, 2];
        let mut s = String::new();
        write_info(&d, 0, &mut s);
        assert_eq!(s, "Solicit XID: 0x1 CID: 0102 ");
    }

    #[test]
    fn search_list_names() {
        let v = [
            7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, 2, b'a', b'b', 0,
        ];
        let names: Vec<String> = domain_list(&v).into_iter().map(|x| x.0).collect();
        assert_eq!(names, ["example.com.", "ab."]);
    }
}
