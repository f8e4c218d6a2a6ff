//! DHCP / BOOTP (RFC 2131, options RFC 2132) on UDP ports 67/68. Options are a TLV list
//! bounded by the datagram; every option advances by at least one byte.

use super::app::{AnonEdit, AnonPolicy, App, AppProtocol, ColumnText, Handoff, Side, TcpdumpText};
use super::{emit, open, Be, DissectCx, DissectResult, EmitCx};
use crate::error::AppId;
use crate::field::{Base, FieldDef, FieldType, Sink, Span, Value};
use crate::text::{push_hex, push_mac, push_u64};

/// The row (DHCP was a built-in layer; it is the first older protocol moved to a row).
pub static PROTOCOL: AppProtocol = AppProtocol {
    id: AppId {
        slot: 6,
        name: "dhcp",
    },
    def: &DHCP,
    fields: FIELDS,
    also_emits: &[],
    handoffs: &[Handoff::UdpPort(67), Handoff::UdpPort(68)],
    dissect,
    emit: emit_row,
    columns,
    tcpdump: Some(tcpdump),
    anon: AnonPolicy::Rewrite(anon_plan),
    ports: None,
};

fn emit_row<'a>(a: &App<'a>, off: usize, _cx: &EmitCx<'_, 'a>, sink: &mut dyn Sink<'a>) {
    Dhcp { data: a.data }.emit(off, sink);
}

fn columns(a: &App<'_>, c: &mut ColumnText<'_>) {
    c.protocol.push_str("DHCP");
    Dhcp { data: a.data }.write_info(c.info);
}

fn tcpdump(a: &App<'_>, t: &mut TcpdumpText<'_>) {
    t.out.push_str("BOOTP/DHCP, ");
    t.out.push_str(if a.data.first() == Some(&1) {
        "Request"
    } else {
        "Reply"
    });
    if let Some(m) = a.data.arr::<6>(28) {
        t.out.push_str(" from ");
        push_mac(t.out, m);
    }
    t.out.push_str(", length ");
    push_u64(t.out, t.payload_len as u64);
}

/// What the anonymiser rewrites when payloads are kept: the four addresses of the fixed
/// header, the client hardware address (a MAC when the header says Ethernet), the server
/// name and file fields (zeroed), address options, a client id that is a MAC; every other
/// option it cannot vouch for is zeroed.
fn anon_plan(d: &[u8], out: &mut Vec<AnonEdit>) {
    let end = d.len();
    for at in [12, 16, 20, 24] {
        out.push(AnonEdit::Ipv4(at));
    }
    if d.u8_at(1) == Some(1) && d.u8_at(2) == Some(6) {
        out.push(AnonEdit::Mac(28));
        out.push(AnonEdit::Zero(34..44));
    } else {
        out.push(AnonEdit::Zero(28..44));
    }
    out.push(AnonEdit::Zero(44..236.min(end)));
    if d.u32_at(236) != Some(MAGIC_COOKIE) {
        out.push(AnonEdit::Zero(236.min(end)..end));
        return;
    }
    let mut at = OPTIONS_OFF;
    // Each option advances by at least one byte; at most 255 are read.
    for _ in 0..255 {
        let Some(code) = d.u8_at(at) else { break };
        match code {
            0 => {
                at += 1;
                continue;
            }
            255 => {
                out.push(AnonEdit::Zero((at + 1).min(end)..end));
                return;
            }
            _ => {}
        }
        let len = usize::from(d.u8_at(at + 1).unwrap_or(0));
        let (v, v_end) = (at + 2, at + 2 + len);
        if v_end > end {
            break;
        }
        match code {
            // Addresses (router, DNS/NTP/… servers, requested address, server id).
            3..=11 | 28 | 32 | 41 | 42 | 44 | 45 | 48 | 49 | 50 | 54 | 65 | 69..=76 => {
                let mut a = v;
                while a + 4 <= v_end {
                    out.push(AnonEdit::Ipv4(a));
                    a += 4;
                }
            }
            // Client identifier: type 1 (Ethernet) and a MAC.
            61 if len == 7 && d.u8_at(v) == Some(1) => out.push(AnonEdit::Mac(v + 1)),
            // Mask, times, sizes, message type, parameter list, flags: no identity.
            1 | 2 | 13 | 19..=27 | 35..=39 | 46 | 51..=53 | 55 | 57..=59 | 80 | 108 | 116 => {}
            _ => out.push(AnonEdit::Zero(v..v_end)),
        }
        at = v_end;
    }
    out.push(AnonEdit::Zero(at.min(end)..end));
}

/// The magic cookie that starts the options (RFC 2131 §3).
pub const MAGIC_COOKIE: u32 = 0x6382_5363;
const OPTIONS_OFF: usize = 240;

/// DHCP message types (option 53).
pub static MESSAGE_TYPES: &[(u64, &str)] = &[
    (1, "Discover"),
    (2, "Offer"),
    (3, "Request"),
    (4, "Decline"),
    (5, "ACK"),
    (6, "NAK"),
    (7, "Release"),
    (8, "Inform"),
    (9, "Force Renew"),
    (10, "Lease query"),
    (11, "Lease Unassigned"),
    (12, "Lease Unknown"),
    (13, "Lease Active"),
];

/// `dhcp`.
pub static DHCP: FieldDef = FieldDef::proto("dhcp", "Dynamic Host Configuration Protocol");
/// `dhcp.type`.
pub static TYPE: FieldDef =
    FieldDef::new("dhcp.type", "Message type", FieldType::UInt(8), Base::Dec)
        .named(&[(1, "Boot Request"), (2, "Boot Reply")]);
/// `dhcp.hw.type`.
pub static HW_TYPE: FieldDef = FieldDef::new(
    "dhcp.hw.type",
    "Hardware type",
    FieldType::UInt(8),
    Base::Hex,
);
/// `dhcp.hw.len`.
pub static HW_LEN: FieldDef = FieldDef::new(
    "dhcp.hw.len",
    "Hardware address length",
    FieldType::UInt(8),
    Base::Dec,
);
/// `dhcp.hops`.
pub static HOPS: FieldDef = FieldDef::new("dhcp.hops", "Hops", FieldType::UInt(8), Base::Dec);
/// `dhcp.id`.
pub static ID: FieldDef =
    FieldDef::new("dhcp.id", "Transaction ID", FieldType::UInt(32), Base::Hex);
/// `dhcp.secs`.
pub static SECS: FieldDef = FieldDef::new(
    "dhcp.secs",
    "Seconds elapsed",
    FieldType::UInt(16),
    Base::Dec,
);
/// `dhcp.flags`.
pub static FLAGS: FieldDef =
    FieldDef::new("dhcp.flags", "Bootp flags", FieldType::UInt(16), Base::Hex);
/// `dhcp.flags.bc`.
pub static FLAGS_BC: FieldDef = FieldDef::new(
    "dhcp.flags.bc",
    "Broadcast flag",
    FieldType::Bool,
    Base::None,
)
.masked(0x8000);
/// `dhcp.ip.client`.
pub static IP_CLIENT: FieldDef = FieldDef::new(
    "dhcp.ip.client",
    "Client IP address",
    FieldType::Ipv4,
    Base::None,
);
/// `dhcp.ip.your`.
pub static IP_YOUR: FieldDef = FieldDef::new(
    "dhcp.ip.your",
    "Your (client) IP address",
    FieldType::Ipv4,
    Base::None,
);
/// `dhcp.ip.server`.
pub static IP_SERVER: FieldDef = FieldDef::new(
    "dhcp.ip.server",
    "Next server IP address",
    FieldType::Ipv4,
    Base::None,
);
/// `dhcp.ip.relay`.
pub static IP_RELAY: FieldDef = FieldDef::new(
    "dhcp.ip.relay",
    "Relay agent IP address",
    FieldType::Ipv4,
    Base::None,
);
/// `dhcp.hw.mac_addr`.
pub static MAC: FieldDef = FieldDef::new(
    "dhcp.hw.mac_addr",
    "Client MAC address",
    FieldType::Ether,
    Base::None,
);
/// `dhcp.server`.
pub static SERVER: FieldDef = FieldDef::new(
    "dhcp.server",
    "Server host name",
    FieldType::Str,
    Base::None,
);
/// `dhcp.file`.
pub static FILE: FieldDef =
    FieldDef::new("dhcp.file", "Boot file name", FieldType::Str, Base::None);
/// `dhcp.cookie`.
pub static COOKIE: FieldDef =
    FieldDef::new("dhcp.cookie", "Magic cookie", FieldType::Ipv4, Base::None);
/// `dhcp.option.type`.
pub static OPT_TYPE: FieldDef =
    FieldDef::new("dhcp.option.type", "Option", FieldType::UInt(8), Base::Dec).named(&[
        (1, "Subnet Mask"),
        (3, "Router"),
        (6, "Domain Name Server"),
        (12, "Host Name"),
        (15, "Domain Name"),
        (28, "Broadcast Address"),
        (50, "Requested IP Address"),
        (51, "IP Address Lease Time"),
        (53, "DHCP Message Type"),
        (54, "DHCP Server Identifier"),
        (55, "Parameter Request List"),
        (57, "Maximum DHCP Message Size"),
        (58, "Renewal Time Value"),
        (59, "Rebinding Time Value"),
        (60, "Vendor class identifier"),
        (61, "Client identifier"),
        (81, "Client Fully Qualified Domain Name"),
        (82, "Agent Information Option"),
        (255, "End"),
    ]);
/// `dhcp.option.length`.
pub static OPT_LENGTH: FieldDef = FieldDef::new(
    "dhcp.option.length",
    "Length",
    FieldType::UInt(8),
    Base::Dec,
);
/// `dhcp.option.value`.
pub static OPT_VALUE: FieldDef =
    FieldDef::new("dhcp.option.value", "Value", FieldType::Bytes, Base::None);
/// `dhcp.option.dhcp`.
pub static OPT_DHCP: FieldDef =
    FieldDef::new("dhcp.option.dhcp", "DHCP", FieldType::UInt(8), Base::Dec).named(MESSAGE_TYPES);
/// `dhcp.option.hostname`.
pub static OPT_HOSTNAME: FieldDef = FieldDef::new(
    "dhcp.option.hostname",
    "Host Name",
    FieldType::Str,
    Base::None,
);
/// `dhcp.option.requested_ip_address`.
pub static OPT_REQUESTED_IP: FieldDef = FieldDef::new(
    "dhcp.option.requested_ip_address",
    "Requested IP Address",
    FieldType::Ipv4,
    Base::None,
);
/// `dhcp.option.dhcp_server_id`.
pub static OPT_SERVER_ID: FieldDef = FieldDef::new(
    "dhcp.option.dhcp_server_id",
    "DHCP Server Identifier",
    FieldType::Ipv4,
    Base::None,
);
/// `dhcp.option.subnet_mask`.
pub static OPT_SUBNET_MASK: FieldDef = FieldDef::new(
    "dhcp.option.subnet_mask",
    "Subnet Mask",
    FieldType::Ipv4,
    Base::None,
);
/// `dhcp.option.router`.
pub static OPT_ROUTER: FieldDef =
    FieldDef::new("dhcp.option.router", "Router", FieldType::Ipv4, Base::None);
/// `dhcp.option.domain_name_server`.
pub static OPT_DNS: FieldDef = FieldDef::new(
    "dhcp.option.domain_name_server",
    "Domain Name Server",
    FieldType::Ipv4,
    Base::None,
);
/// `dhcp.option.domain_name`.
pub static OPT_DOMAIN: FieldDef = FieldDef::new(
    "dhcp.option.domain_name",
    "Domain Name",
    FieldType::Str,
    Base::None,
);
/// `dhcp.option.ip_address_lease_time`.
pub static OPT_LEASE: FieldDef = FieldDef::new(
    "dhcp.option.ip_address_lease_time",
    "IP Address Lease Time",
    FieldType::UInt(32),
    Base::Dec,
);
/// `dhcp.option.vendor_class_id`.
pub static OPT_VENDOR: FieldDef = FieldDef::new(
    "dhcp.option.vendor_class_id",
    "Vendor class identifier",
    FieldType::Str,
    Base::None,
);
/// `dhcp.option.request_list_item`.
pub static OPT_REQ_ITEM: FieldDef = FieldDef::new(
    "dhcp.option.request_list_item",
    "Parameter Request List Item",
    FieldType::UInt(8),
    Base::Dec,
);

/// Fields of this module.
pub static FIELDS: &[&FieldDef] = &[
    &DHCP,
    &TYPE,
    &HW_TYPE,
    &HW_LEN,
    &HOPS,
    &ID,
    &SECS,
    &FLAGS,
    &FLAGS_BC,
    &IP_CLIENT,
    &IP_YOUR,
    &IP_SERVER,
    &IP_RELAY,
    &MAC,
    &SERVER,
    &FILE,
    &COOKIE,
    &OPT_TYPE,
    &OPT_LENGTH,
    &OPT_VALUE,
    &OPT_DHCP,
    &OPT_HOSTNAME,
    &OPT_REQUESTED_IP,
    &OPT_SERVER_ID,
    &OPT_SUBNET_MASK,
    &OPT_ROUTER,
    &OPT_DNS,
    &OPT_DOMAIN,
    &OPT_LEASE,
    &OPT_VENDOR,
    &OPT_REQ_ITEM,
];

/// A DHCP/BOOTP message.
#[derive(Clone, Debug)]
pub struct Dhcp<'a> {
    /// The message.
    pub data: &'a [u8],
}

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(b.get(..end).unwrap_or(&[])).into_owned()
}

impl<'a> Dhcp<'a> {
    /// Transaction id.
    pub fn xid(&self) -> u32 {
        self.data.u32_at(4).unwrap_or(0)
    }
    /// Options as (offset, code, value). Terminates: each option advances >= 1 byte.
    pub fn options(&self) -> Vec<(usize, u8, &'a [u8])> {
        let mut v = Vec::new();
        if self.data.u32_at(236) != Some(MAGIC_COOKIE) {
            return v;
        }
        let d = self.data;
        let mut p = OPTIONS_OFF;
        while let Some(code) = d.u8_at(p) {
            match code {
                0 => p += 1,
                255 => {
                    v.push((p, 255, &[][..]));
                    break;
                }
                _ => {
                    let Some(l) = d.u8_at(p + 1) else { break };
                    let Some(val) = d.get(p + 2..p + 2 + usize::from(l)) else {
                        break;
                    };
                    v.push((p, code, val));
                    p += 2 + usize::from(l);
                }
            }
        }
        v
    }
    /// Option 53.
    pub fn message_type(&self) -> Option<u8> {
        self.options()
            .into_iter()
            .find(|o| o.1 == 53)
            .and_then(|o| o.2.first().copied())
    }

    /// Wireshark's Info column.
    pub fn write_info(&self, out: &mut String) {
        match self.message_type() {
            Some(t) => {
                out.push_str("DHCP ");
                let name = OPT_DHCP.value_name(u64::from(t)).unwrap_or("Unknown");
                out.push_str(name);
                for _ in name.len()..8 {
                    out.push(' ');
                }
                out.push_str(" - Transaction ID 0x");
                push_hex(out, u64::from(self.xid()), 1);
            }
            None => {
                out.push_str(if self.data.first() == Some(&1) {
                    "Boot Request"
                } else {
                    "Boot Reply"
                });
                if let Some(m) = self.data.arr::<6>(28) {
                    out.push_str(" from ");
                    push_mac(out, m);
                }
            }
        }
    }

    pub(crate) fn emit(&self, off: usize, sink: &mut dyn Sink<'a>) {
        let d = self.data;
        let mt = self.message_type();
        open!(
            sink,
            &DHCP,
            Value::None,
            Span::new(off, d.len()),
            "Dynamic Host Configuration Protocol ({})",
            mt.and_then(|t| OPT_DHCP.value_name(u64::from(t)))
                .unwrap_or("BOOTP")
        );
        for (def, o) in [(&TYPE, 0), (&HW_TYPE, 1), (&HW_LEN, 2), (&HOPS, 3)] {
            if let Some(v) = d.u8_at(o) {
                emit!(sink, def, Value::UInt(u64::from(v)), Span::new(off + o, 1));
            }
        }
        if let Some(v) = d.u32_at(4) {
            emit!(sink, &ID, Value::UInt(u64::from(v)), Span::new(off + 4, 4));
        }
        if let Some(v) = d.u16_at(8) {
            emit!(
                sink,
                &SECS,
                Value::UInt(u64::from(v)),
                Span::new(off + 8, 2)
            );
        }
        if let Some(v) = d.u16_at(10) {
            open!(
                sink,
                &FLAGS,
                Value::UInt(u64::from(v)),
                Span::new(off + 10, 2)
            );
            emit!(
                sink,
                &FLAGS_BC,
                Value::Bool(v & 0x8000 != 0),
                Span::new(off + 10, 2)
            );
            sink.close();
        }
        for (def, o) in [
            (&IP_CLIENT, 12),
            (&IP_YOUR, 16),
            (&IP_SERVER, 20),
            (&IP_RELAY, 24),
        ] {
            if let Some(a) = d.arr::<4>(o) {
                emit!(sink, def, Value::Ipv4(a), Span::new(off + o, 4));
            }
        }
        if d.u8_at(2) == Some(6) {
            if let Some(m) = d.arr::<6>(28) {
                emit!(sink, &MAC, Value::Ether(m), Span::new(off + 28, 6));
            }
        }
        if let Some(s) = d.get(44..108) {
            emit!(
                sink,
                &SERVER,
                Value::Str(cstr(s).into()),
                Span::new(off + 44, 64)
            );
        }
        if let Some(s) = d.get(108..236) {
            emit!(
                sink,
                &FILE,
                Value::Str(cstr(s).into()),
                Span::new(off + 108, 128)
            );
        }
        if let Some(c) = d.arr::<4>(236) {
            emit!(sink, &COOKIE, Value::Ipv4(c), Span::new(off + 236, 4));
        }
        for (p, code, v) in self.options() {
            let span = Span::new(off + p, if code == 255 { 1 } else { 2 + v.len() });
            let name = OPT_TYPE.value_name(u64::from(code)).unwrap_or("Unknown");
            open!(
                sink,
                &OPT_TYPE,
                Value::UInt(u64::from(code)),
                span,
                "Option: ({code}) {name}"
            );
            if code != 255 {
                emit!(
                    sink,
                    &OPT_LENGTH,
                    Value::UInt(v.len() as u64),
                    Span::new(off + p + 1, 1)
                );
                let vs = Span::new(off + p + 2, v.len());
                let addrs = |sink: &mut dyn Sink<'a>, def: &'static FieldDef| {
                    for (i, a) in v.chunks_exact(4).enumerate() {
                        if let Some(a) = a.arr::<4>(0) {
                            emit!(sink, def, Value::Ipv4(a), Span::new(off + p + 2 + 4 * i, 4));
                        }
                    }
                };
                match code {
                    53 => emit!(
                        sink,
                        &OPT_DHCP,
                        Value::UInt(u64::from(v.first().copied().unwrap_or(0))),
                        vs
                    ),
                    12 => emit!(
                        sink,
                        &OPT_HOSTNAME,
                        Value::Str(String::from_utf8_lossy(v)),
                        vs
                    ),
                    15 => emit!(
                        sink,
                        &OPT_DOMAIN,
                        Value::Str(String::from_utf8_lossy(v)),
                        vs
                    ),
                    60 => emit!(
                        sink,
                        &OPT_VENDOR,
                        Value::Str(String::from_utf8_lossy(v)),
                        vs
                    ),
                    50 => addrs(sink, &OPT_REQUESTED_IP),
                    54 => addrs(sink, &OPT_SERVER_ID),
                    1 => addrs(sink, &OPT_SUBNET_MASK),
                    3 => addrs(sink, &OPT_ROUTER),
                    6 => addrs(sink, &OPT_DNS),
                    51 => {
                        if let Some(t) = v.u32_at(0) {
                            emit!(sink, &OPT_LEASE, Value::UInt(u64::from(t)), vs);
                        }
                    }
                    55 => {
                        for (i, &it) in v.iter().enumerate() {
                            emit!(
                                sink,
                                &OPT_REQ_ITEM,
                                Value::UInt(u64::from(it)),
                                Span::new(off + p + 2 + i, 1)
                            );
                        }
                    }
                    _ => emit!(sink, &OPT_VALUE, Value::Bytes(v), vs),
                }
            }
            sink.close();
        }
        sink.close();
    }
}

/// Dissects DHCP/BOOTP (declines datagrams too short for the fixed header).
pub fn dissect<'a>(data: &'a [u8], _off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    if data.len() < 236 || !matches!(data.first(), Some(1 | 2)) {
        return Ok(None);
    }
    super::app::claim(&PROTOCOL, data, Side::Unknown, 0)
}
