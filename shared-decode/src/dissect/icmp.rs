//! ICMP (RFC 792), ICMPv6 (RFC 4443) with Neighbor Discovery (RFC 4861), and IGMP
//! (RFC 2236, RFC 3376). Error messages carry the start of the offending packet, which is
//! dissected as IP in "error" mode (truncated headers expected, no checksum verdicts).

use super::checksum;
use super::{
    emit, open, Be, Decoded, DissectCx, DissectResult, Dissected, IpPseudo, LayerItem, Next,
};
use crate::error::{DecodeError, Layer};
use crate::field::{Base, FieldDef, FieldType, Group, Severity, Sink, Span, Value};
use crate::text::{push_hex, push_ipv4, push_ipv6, push_mac, push_u64};

/// ICMP type names (Wireshark's).
pub static ICMP_TYPES: &[(u64, &str)] = &[
    (0, "Echo (ping) reply"),
    (3, "Destination unreachable"),
    (4, "Source quench (flow control)"),
    (5, "Redirect"),
    (8, "Echo (ping) request"),
    (9, "Router advertisement"),
    (10, "Router solicitation"),
    (11, "Time-to-live exceeded"),
    (12, "Parameter problem"),
    (13, "Timestamp request"),
    (14, "Timestamp reply"),
    (15, "Information request"),
    (16, "Information reply"),
    (17, "Address mask request"),
    (18, "Address mask reply"),
];

fn icmp_code_name(t: u8, c: u8) -> Option<&'static str> {
    let table: &[&str] = match t {
        3 => &[
            "Network unreachable",
            "Host unreachable",
            "Protocol unreachable",
            "Port unreachable",
            "Fragmentation needed",
            "Source route failed",
            "Destination network unknown",
            "Destination host unknown",
            "Source host isolated",
            "Network administratively prohibited",
            "Host administratively prohibited",
            "Network unreachable for TOS",
            "Host unreachable for TOS",
            "Communication administratively filtered",
            "Host precedence violation",
            "Precedence cutoff in effect",
        ],
        5 => &[
            "Redirect for network",
            "Redirect for host",
            "Redirect for TOS and network",
            "Redirect for TOS and host",
        ],
        9 => {
            return match c {
                0 => Some("Normal router advertisement"),
                16 => Some("Does not route common traffic"),
                _ => None,
            }
        }
        11 => &[
            "Time to live exceeded in transit",
            "Fragment reassembly time exceeded",
        ],
        12 => &[
            "Pointer indicates the error",
            "Required option missing",
            "Bad length",
        ],
        _ => return None,
    };
    table.get(usize::from(c)).copied()
}

/// ICMPv6 type names.
pub static ICMPV6_TYPES: &[(u64, &str)] = &[
    (1, "Destination Unreachable"),
    (2, "Packet Too Big"),
    (3, "Time Exceeded"),
    (4, "Parameter Problem"),
    (128, "Echo (ping) request"),
    (129, "Echo (ping) reply"),
    (130, "Multicast Listener Query"),
    (131, "Multicast Listener Report"),
    (132, "Multicast Listener Done"),
    (133, "Router Solicitation"),
    (134, "Router Advertisement"),
    (135, "Neighbor Solicitation"),
    (136, "Neighbor Advertisement"),
    (137, "Redirect"),
    (143, "Multicast Listener Report Message v2"),
];

fn icmpv6_code_name(t: u8, c: u8) -> Option<&'static str> {
    let table: &[&str] = match t {
        1 => &[
            "no route to destination",
            "communication with destination administratively prohibited",
            "beyond scope of source address",
            "address unreachable",
            "port unreachable",
            "source address failed ingress/egress policy",
            "reject route to destination",
        ],
        3 => &[
            "hop limit exceeded in transit",
            "fragment reassembly time exceeded",
        ],
        4 => &[
            "erroneous header field encountered",
            "unrecognized Next Header type encountered",
            "unrecognized IPv6 option encountered",
        ],
        _ => return None,
    };
    table.get(usize::from(c)).copied()
}

/// `icmp`.
pub static ICMP: FieldDef = FieldDef::proto("icmp", "Internet Control Message Protocol");
/// `icmp.type`.
pub static TYPE: FieldDef =
    FieldDef::new("icmp.type", "Type", FieldType::UInt(8), Base::Dec).named(ICMP_TYPES);
/// `icmp.code`.
pub static CODE: FieldDef = FieldDef::new("icmp.code", "Code", FieldType::UInt(8), Base::Dec);
/// `icmp.checksum`.
pub static CHECKSUM: FieldDef =
    FieldDef::new("icmp.checksum", "Checksum", FieldType::UInt(16), Base::Hex);
/// `icmp.checksum.status`.
pub static CHECKSUM_STATUS: FieldDef = FieldDef::new(
    "icmp.checksum.status",
    "Checksum Status",
    FieldType::UInt(8),
    Base::Dec,
)
.named(&[(0, "Bad"), (1, "Good"), (2, "Unverified")]);
/// `icmp.ident`.
pub static IDENT: FieldDef = FieldDef::new(
    "icmp.ident",
    "Identifier (BE)",
    FieldType::UInt(16),
    Base::DecHex,
);
/// `icmp.ident_le`.
pub static IDENT_LE: FieldDef = FieldDef::new(
    "icmp.ident_le",
    "Identifier (LE)",
    FieldType::UInt(16),
    Base::DecHex,
);
/// `icmp.seq`.
pub static SEQ: FieldDef = FieldDef::new(
    "icmp.seq",
    "Sequence Number (BE)",
    FieldType::UInt(16),
    Base::DecHex,
);
/// `icmp.seq_le`.
pub static SEQ_LE: FieldDef = FieldDef::new(
    "icmp.seq_le",
    "Sequence Number (LE)",
    FieldType::UInt(16),
    Base::DecHex,
);
/// `icmp.redir_gw`.
pub static REDIR_GW: FieldDef = FieldDef::new(
    "icmp.redir_gw",
    "Gateway address",
    FieldType::Ipv4,
    Base::None,
);
/// `icmp.mtu`.
pub static MTU: FieldDef = FieldDef::new(
    "icmp.mtu",
    "MTU of next hop",
    FieldType::UInt(16),
    Base::Dec,
);
/// `icmp.resp_in`.
pub static RESP_IN: FieldDef = FieldDef::new(
    "icmp.resp_in",
    "Response frame",
    FieldType::FrameNum,
    Base::Dec,
);
/// `icmp.resp_to`.
pub static RESP_TO: FieldDef = FieldDef::new(
    "icmp.resp_to",
    "Response to",
    FieldType::FrameNum,
    Base::Dec,
);
/// `icmp.resptime`.
pub static RESPTIME: FieldDef = FieldDef::new(
    "icmp.resptime",
    "Response time",
    FieldType::Float,
    Base::None,
);

/// `icmpv6`.
pub static ICMPV6: FieldDef = FieldDef::proto("icmpv6", "Internet Control Message Protocol v6");
/// `icmpv6.type`.
pub static V6_TYPE: FieldDef =
    FieldDef::new("icmpv6.type", "Type", FieldType::UInt(8), Base::Dec).named(ICMPV6_TYPES);
/// `icmpv6.code`.
pub static V6_CODE: FieldDef = FieldDef::new("icmpv6.code", "Code", FieldType::UInt(8), Base::Dec);
/// `icmpv6.checksum`.
pub static V6_CHECKSUM: FieldDef = FieldDef::new(
    "icmpv6.checksum",
    "Checksum",
    FieldType::UInt(16),
    Base::Hex,
);
/// `icmpv6.checksum.status`.
pub static V6_CHECKSUM_STATUS: FieldDef = FieldDef::new(
    "icmpv6.checksum.status",
    "Checksum Status",
    FieldType::UInt(8),
    Base::Dec,
)
.named(&[(0, "Bad"), (1, "Good"), (2, "Unverified")]);
/// `icmpv6.echo.identifier`.
pub static V6_ECHO_ID: FieldDef = FieldDef::new(
    "icmpv6.echo.identifier",
    "Identifier",
    FieldType::UInt(16),
    Base::Hex,
);
/// `icmpv6.echo.sequence_number`.
pub static V6_ECHO_SEQ: FieldDef = FieldDef::new(
    "icmpv6.echo.sequence_number",
    "Sequence",
    FieldType::UInt(16),
    Base::Dec,
);
/// `icmpv6.mtu`.
pub static V6_MTU: FieldDef = FieldDef::new("icmpv6.mtu", "MTU", FieldType::UInt(32), Base::Dec);
/// `icmpv6.nd.ns.target_address`.
pub static NS_TARGET: FieldDef = FieldDef::new(
    "icmpv6.nd.ns.target_address",
    "Target Address",
    FieldType::Ipv6,
    Base::None,
);
/// `icmpv6.nd.na.target_address`.
pub static NA_TARGET: FieldDef = FieldDef::new(
    "icmpv6.nd.na.target_address",
    "Target Address",
    FieldType::Ipv6,
    Base::None,
);
/// `icmpv6.nd.na.flag.r`.
pub static NA_FLAG_R: FieldDef =
    FieldDef::new("icmpv6.nd.na.flag.r", "Router", FieldType::Bool, Base::None).masked(0x8000_0000);
/// `icmpv6.nd.na.flag.s`.
pub static NA_FLAG_S: FieldDef = FieldDef::new(
    "icmpv6.nd.na.flag.s",
    "Solicited",
    FieldType::Bool,
    Base::None,
)
.masked(0x4000_0000);
/// `icmpv6.nd.na.flag.o`.
pub static NA_FLAG_O: FieldDef = FieldDef::new(
    "icmpv6.nd.na.flag.o",
    "Override",
    FieldType::Bool,
    Base::None,
)
.masked(0x2000_0000);
/// `icmpv6.nd.ra.cur_hop_limit`.
pub static RA_HOP_LIMIT: FieldDef = FieldDef::new(
    "icmpv6.nd.ra.cur_hop_limit",
    "Cur hop limit",
    FieldType::UInt(8),
    Base::Dec,
);
/// `icmpv6.nd.ra.router_lifetime`.
pub static RA_LIFETIME: FieldDef = FieldDef::new(
    "icmpv6.nd.ra.router_lifetime",
    "Router lifetime (s)",
    FieldType::UInt(16),
    Base::Dec,
);
/// `icmpv6.opt`.
pub static OPT: FieldDef =
    FieldDef::new("icmpv6.opt", "ICMPv6 Option", FieldType::None, Base::None);
/// `icmpv6.opt.type`.
pub static OPT_TYPE: FieldDef =
    FieldDef::new("icmpv6.opt.type", "Type", FieldType::UInt(8), Base::Dec).named(&[
        (1, "Source link-layer address"),
        (2, "Target link-layer address"),
        (3, "Prefix information"),
        (4, "Redirected header"),
        (5, "MTU"),
        (14, "Nonce"),
        (25, "Recursive DNS Server"),
    ]);
/// `icmpv6.opt.length`.
pub static OPT_LENGTH: FieldDef =
    FieldDef::new("icmpv6.opt.length", "Length", FieldType::UInt(8), Base::Dec);
/// `icmpv6.opt.linkaddr`.
pub static OPT_LINKADDR: FieldDef = FieldDef::new(
    "icmpv6.opt.linkaddr",
    "Link-layer address",
    FieldType::Ether,
    Base::None,
);
/// `icmpv6.opt.src_linkaddr`.
pub static OPT_SRC_LINKADDR: FieldDef = FieldDef::new(
    "icmpv6.opt.src_linkaddr",
    "Source Link-layer address",
    FieldType::Ether,
    Base::None,
);
/// `icmpv6.opt.target_linkaddr`.
pub static OPT_TARGET_LINKADDR: FieldDef = FieldDef::new(
    "icmpv6.opt.target_linkaddr",
    "Target Link-layer address",
    FieldType::Ether,
    Base::None,
);
/// `icmpv6.opt.prefix`.
pub static OPT_PREFIX: FieldDef =
    FieldDef::new("icmpv6.opt.prefix", "Prefix", FieldType::Ipv6, Base::None);
/// `icmpv6.opt.prefix.length`.
pub static OPT_PREFIX_LEN: FieldDef = FieldDef::new(
    "icmpv6.opt.prefix.length",
    "Prefix Length",
    FieldType::UInt(8),
    Base::Dec,
);
/// `icmpv6.opt.mtu`.
pub static OPT_MTU: FieldDef =
    FieldDef::new("icmpv6.opt.mtu", "MTU", FieldType::UInt(32), Base::Dec);

/// `igmp`.
pub static IGMP: FieldDef = FieldDef::proto("igmp", "Internet Group Management Protocol");
/// `igmp.version`.
pub static IGMP_VERSION: FieldDef = FieldDef::new(
    "igmp.version",
    "IGMP Version",
    FieldType::UInt(8),
    Base::Dec,
);
/// `igmp.type`.
pub static IGMP_TYPE: FieldDef = FieldDef::new("igmp.type", "Type", FieldType::UInt(8), Base::Hex)
    .named(&[
        (0x11, "Membership Query"),
        (0x12, "Membership Report"),
        (0x16, "Membership Report"),
        (0x17, "Leave Group"),
        (0x22, "Membership Report"),
    ]);
/// `igmp.max_resp`.
pub static IGMP_MAX_RESP: FieldDef = FieldDef::new(
    "igmp.max_resp",
    "Max Resp Time",
    FieldType::UInt(8),
    Base::Dec,
);
/// `igmp.checksum`.
pub static IGMP_CHECKSUM: FieldDef =
    FieldDef::new("igmp.checksum", "Checksum", FieldType::UInt(16), Base::Hex);
/// `igmp.maddr`.
pub static IGMP_MADDR: FieldDef = FieldDef::new(
    "igmp.maddr",
    "Multicast Address",
    FieldType::Ipv4,
    Base::None,
);

/// Fields of this module.
pub static FIELDS: &[&FieldDef] = &[
    &ICMP,
    &TYPE,
    &CODE,
    &CHECKSUM,
    &CHECKSUM_STATUS,
    &IDENT,
    &IDENT_LE,
    &SEQ,
    &SEQ_LE,
    &REDIR_GW,
    &MTU,
    &RESP_IN,
    &RESP_TO,
    &RESPTIME,
    &ICMPV6,
    &V6_TYPE,
    &V6_CODE,
    &V6_CHECKSUM,
    &V6_CHECKSUM_STATUS,
    &V6_ECHO_ID,
    &V6_ECHO_SEQ,
    &V6_MTU,
    &NS_TARGET,
    &NA_TARGET,
    &NA_FLAG_R,
    &NA_FLAG_S,
    &NA_FLAG_O,
    &RA_HOP_LIMIT,
    &RA_LIFETIME,
    &OPT,
    &OPT_TYPE,
    &OPT_LENGTH,
    &OPT_LINKADDR,
    &OPT_SRC_LINKADDR,
    &OPT_TARGET_LINKADDR,
    &OPT_PREFIX,
    &OPT_PREFIX_LEN,
    &OPT_MTU,
    &IGMP,
    &IGMP_VERSION,
    &IGMP_TYPE,
    &IGMP_MAX_RESP,
    &IGMP_CHECKSUM,
    &IGMP_MADDR,
];

/// Is this ICMP type an error that quotes a packet?
pub fn is_error(t: u8) -> bool {
    matches!(t, 3 | 4 | 5 | 11 | 12)
}

/// An ICMP message.
#[derive(Clone, Debug)]
pub struct Icmp<'a> {
    /// The whole message (header and body, up to the end of the IP payload).
    pub data: &'a [u8],
    /// Quoted in another ICMP error.
    pub in_error: bool,
}

impl<'a> Icmp<'a> {
    /// Type.
    pub fn icmp_type(&self) -> u8 {
        self.data.u8_at(0).unwrap_or(0)
    }
    /// Code.
    pub fn code(&self) -> u8 {
        self.data.u8_at(1).unwrap_or(0)
    }
    /// Echo identifier (big-endian reading).
    pub fn ident(&self) -> u16 {
        self.data.u16_at(4).unwrap_or(0)
    }
    /// Echo sequence number.
    pub fn seq(&self) -> u16 {
        self.data.u16_at(6).unwrap_or(0)
    }
    /// Is this an echo request or reply?
    pub fn is_echo(&self) -> bool {
        matches!(self.icmp_type(), 0 | 8)
    }
    /// Checksum verdict, when the whole message was captured.
    pub fn verify(&self, reported_len: usize) -> Option<checksum::Verdict> {
        (self.data.len() >= reported_len && self.data.len() >= 4).then(|| checksum::Verdict {
            stored: self.data.u16_at(2).unwrap_or(0),
            expected: checksum::expected(self.data, 2, 0),
        })
    }

    pub(crate) fn emit(&self, off: usize, l: &LayerItem<'a>, sink: &mut dyn Sink<'a>) {
        let d = self.data;
        let t = self.icmp_type();
        let hl = if is_error(t) { 8 } else { d.len() };
        open!(
            sink,
            &ICMP,
            Value::None,
            Span::new(off, hl.min(d.len())),
            "Internet Control Message Protocol"
        );
        emit!(sink, &TYPE, Value::UInt(u64::from(t)), Span::new(off, 1));
        if let Some(c) = d.u8_at(1) {
            let name = icmp_code_name(t, c);
            match name {
                Some(n) => emit!(
                    sink,
                    &CODE,
                    Value::UInt(u64::from(c)),
                    Span::new(off + 1, 1),
                    "Code: {c} ({n})"
                ),
                None => emit!(
                    sink,
                    &CODE,
                    Value::UInt(u64::from(c)),
                    Span::new(off + 1, 1)
                ),
            }
        }
        if let Some(ck) = d.u16_at(2) {
            let f = checksum::Fields {
                value: &CHECKSUM,
                status: &CHECKSUM_STATUS,
                calculated: None,
                severity: Severity::Warn,
            };
            let verdict = self.verify(l.len).filter(|_| !self.in_error);
            checksum::emit(sink, &f, ck, Span::new(off + 2, 2), verdict, false);
        }
        match t {
            0 | 8 | 13 | 14 | 15 | 16 | 17 | 18 => {
                if let (Some(id), Some(seq)) = (d.u16_at(4), d.u16_at(6)) {
                    emit!(
                        sink,
                        &IDENT,
                        Value::UInt(u64::from(id)),
                        Span::new(off + 4, 2)
                    );
                    emit!(
                        sink,
                        &IDENT_LE,
                        Value::UInt(u64::from(id.swap_bytes())),
                        Span::new(off + 4, 2)
                    );
                    emit!(
                        sink,
                        &SEQ,
                        Value::UInt(u64::from(seq)),
                        Span::new(off + 6, 2)
                    );
                    emit!(
                        sink,
                        &SEQ_LE,
                        Value::UInt(u64::from(seq.swap_bytes())),
                        Span::new(off + 6, 2)
                    );
                }
                if let Some(body) = d.get(8..) {
                    if !body.is_empty() {
                        super::frame::emit_data(body, off + 8, sink);
                    }
                }
            }
            5 => {
                if let Some(gw) = d.arr::<4>(4) {
                    emit!(sink, &REDIR_GW, Value::Ipv4(gw), Span::new(off + 4, 4));
                }
            }
            3 if self.code() == 4 => {
                if let Some(mtu) = d.u16_at(6) {
                    emit!(
                        sink,
                        &MTU,
                        Value::UInt(u64::from(mtu)),
                        Span::new(off + 6, 2)
                    );
                }
            }
            _ => {}
        }
        sink.close();
    }

    /// Wireshark's Info column (without the IP TTL suffix, added by the caller for echoes).
    pub fn write_info(&self, out: &mut String, ttl: Option<u8>) {
        let t = self.icmp_type();
        let name = TYPE
            .value_name(u64::from(t))
            .unwrap_or("Unknown ICMP (obsolete or malformed?)");
        let start = out.len();
        out.push_str(name);
        while out.len() - start < 20 {
            out.push(' ');
        }
        if self.is_echo() {
            out.push_str(" id=0x");
            push_hex(out, u64::from(self.ident()), 4);
            out.push_str(", seq=");
            push_u64(out, u64::from(self.seq()));
            out.push('/');
            push_u64(out, u64::from(self.seq().swap_bytes()));
            if let Some(ttl) = ttl {
                out.push_str(", ttl=");
                push_u64(out, u64::from(ttl));
            }
        } else if let Some(c) = icmp_code_name(t, self.code()) {
            out.push_str(" (");
            out.push_str(c);
            out.push(')');
        }
    }
}

/// Dissects ICMP.
pub fn dissect<'a>(data: &'a [u8], off: usize, cx: &mut DissectCx) -> DissectResult<'a> {
    if data.len() < 4 && !cx.in_error {
        return Err(DecodeError::truncated(Layer::Icmp, off, 4, data.len()));
    }
    let icmp = Icmp {
        data,
        in_error: cx.in_error,
    };
    let t = icmp.icmp_type();
    if is_error(t) && !cx.in_error && data.len() > 8 {
        cx.in_error = true;
        let mut d = Dissected::new(Decoded::Icmp(icmp), 8, data.len(), Next::Ethertype(0x0800));
        d.payload = 8..data.len();
        return Ok(Some(d));
    }
    Ok(Some(Dissected::new(
        Decoded::Icmp(icmp),
        data.len(),
        data.len(),
        Next::Done,
    )))
}

/// An ICMPv6 message.
#[derive(Clone, Debug)]
pub struct Icmpv6<'a> {
    /// The whole message.
    pub data: &'a [u8],
    /// Pseudo-header source for the checksum.
    pub ip: Option<IpPseudo>,
    /// Quoted in an ICMP error.
    pub in_error: bool,
}

impl<'a> Icmpv6<'a> {
    /// Type.
    pub fn icmp_type(&self) -> u8 {
        self.data.u8_at(0).unwrap_or(0)
    }
    /// Code.
    pub fn code(&self) -> u8 {
        self.data.u8_at(1).unwrap_or(0)
    }
    /// Echo identifier.
    pub fn ident(&self) -> u16 {
        self.data.u16_at(4).unwrap_or(0)
    }
    /// Echo sequence.
    pub fn seq(&self) -> u16 {
        self.data.u16_at(6).unwrap_or(0)
    }
    /// Is this an echo request or reply?
    pub fn is_echo(&self) -> bool {
        matches!(self.icmp_type(), 128 | 129)
    }
    /// Target address of NS/NA/redirect.
    pub fn target(&self) -> Option<[u8; 16]> {
        matches!(self.icmp_type(), 135..=137)
            .then(|| self.data.arr(8))
            .flatten()
    }
    /// Checksum verdict, when verifiable.
    pub fn verify(&self, reported_len: usize) -> Option<checksum::Verdict> {
        let ip = self.ip?;
        (self.data.len() >= reported_len && self.data.len() >= 4).then(|| checksum::Verdict {
            stored: self.data.u16_at(2).unwrap_or(0),
            expected: checksum::expected(self.data, 2, checksum::pseudo(&ip, 58, self.data.len())),
        })
    }
    fn options_start(&self) -> Option<usize> {
        match self.icmp_type() {
            133 => Some(8),
            134 => Some(16),
            135 | 136 => Some(24),
            137 => Some(40),
            _ => None,
        }
    }
    /// The link-layer address from a source/target link-layer address option.
    pub fn linkaddr_option(&self) -> Option<[u8; 6]> {
        let mut p = self.options_start()?;
        // Terminates: each option is at least 8 bytes.
        while let (Some(t), Some(l)) = (self.data.u8_at(p), self.data.u8_at(p + 1)) {
            if l == 0 {
                break;
            }
            if (t == 1 || t == 2) && l == 1 {
                return self.data.arr(p + 2);
            }
            p += usize::from(l) * 8;
        }
        None
    }

    pub(crate) fn emit(&self, off: usize, l: &LayerItem<'a>, sink: &mut dyn Sink<'a>) {
        let d = self.data;
        let t = self.icmp_type();
        let hl = if t < 128 { 8 } else { d.len() };
        open!(
            sink,
            &ICMPV6,
            Value::None,
            Span::new(off, hl.min(d.len())),
            "Internet Control Message Protocol v6"
        );
        emit!(sink, &V6_TYPE, Value::UInt(u64::from(t)), Span::new(off, 1));
        if let Some(c) = d.u8_at(1) {
            match icmpv6_code_name(t, c) {
                Some(n) => emit!(
                    sink,
                    &V6_CODE,
                    Value::UInt(u64::from(c)),
                    Span::new(off + 1, 1),
                    "Code: {c} ({n})"
                ),
                None => emit!(
                    sink,
                    &V6_CODE,
                    Value::UInt(u64::from(c)),
                    Span::new(off + 1, 1)
                ),
            }
        }
        if let Some(ck) = d.u16_at(2) {
            let f = checksum::Fields {
                value: &V6_CHECKSUM,
                status: &V6_CHECKSUM_STATUS,
                calculated: None,
                severity: Severity::Warn,
            };
            let verdict = self.verify(l.len).filter(|_| !self.in_error);
            checksum::emit(sink, &f, ck, Span::new(off + 2, 2), verdict, false);
        }
        match t {
            2 => {
                if let Some(m) = d.u32_at(4) {
                    emit!(
                        sink,
                        &V6_MTU,
                        Value::UInt(u64::from(m)),
                        Span::new(off + 4, 4)
                    );
                }
            }
            128 | 129 => {
                if let (Some(id), Some(seq)) = (d.u16_at(4), d.u16_at(6)) {
                    emit!(
                        sink,
                        &V6_ECHO_ID,
                        Value::UInt(u64::from(id)),
                        Span::new(off + 4, 2)
                    );
                    emit!(
                        sink,
                        &V6_ECHO_SEQ,
                        Value::UInt(u64::from(seq)),
                        Span::new(off + 6, 2)
                    );
                }
                if let Some(body) = d.get(8..) {
                    if !body.is_empty() {
                        super::frame::emit_data(body, off + 8, sink);
                    }
                }
            }
            134 => {
                if let Some(h) = d.u8_at(4) {
                    emit!(
                        sink,
                        &RA_HOP_LIMIT,
                        Value::UInt(u64::from(h)),
                        Span::new(off + 4, 1)
                    );
                }
                if let Some(lt) = d.u16_at(6) {
                    emit!(
                        sink,
                        &RA_LIFETIME,
                        Value::UInt(u64::from(lt)),
                        Span::new(off + 6, 2)
                    );
                }
            }
            135 => {
                if let Some(a) = d.arr::<16>(8) {
                    emit!(sink, &NS_TARGET, Value::Ipv6(a), Span::new(off + 8, 16));
                }
            }
            136 => {
                if let Some(f) = d.u32_at(4) {
                    emit!(
                        sink,
                        &NA_FLAG_R,
                        Value::Bool(f & 0x8000_0000 != 0),
                        Span::new(off + 4, 4)
                    );
                    emit!(
                        sink,
                        &NA_FLAG_S,
                        Value::Bool(f & 0x4000_0000 != 0),
                        Span::new(off + 4, 4)
                    );
                    emit!(
                        sink,
                        &NA_FLAG_O,
                        Value::Bool(f & 0x2000_0000 != 0),
                        Span::new(off + 4, 4)
                    );
                }
                if let Some(a) = d.arr::<16>(8) {
                    emit!(sink, &NA_TARGET, Value::Ipv6(a), Span::new(off + 8, 16));
                }
            }
            _ => {}
        }
        if let Some(mut p) = self.options_start() {
            // Terminates: each option advances by >= 8 bytes; a zero length stops.
            while let (Some(ot), Some(ol)) = (d.u8_at(p), d.u8_at(p + 1)) {
                let len = usize::from(ol) * 8;
                if len == 0 {
                    sink.expert(
                        Severity::Error,
                        Group::Malformed,
                        format_args!("Invalid option length (Zero)"),
                        Span::new(off + p, 2),
                    );
                    break;
                }
                open!(
                    sink,
                    &OPT,
                    Value::None,
                    Span::new(off + p, len.min(d.len() - p))
                );
                emit!(
                    sink,
                    &OPT_TYPE,
                    Value::UInt(u64::from(ot)),
                    Span::new(off + p, 1)
                );
                emit!(
                    sink,
                    &OPT_LENGTH,
                    Value::UInt(u64::from(ol)),
                    Span::new(off + p + 1, 1)
                );
                match (ot, d.arr::<6>(p + 2)) {
                    (1, Some(m)) if ol == 1 => {
                        emit!(
                            sink,
                            &OPT_LINKADDR,
                            Value::Ether(m),
                            Span::new(off + p + 2, 6)
                        );
                        emit!(
                            sink,
                            &OPT_SRC_LINKADDR,
                            Value::Ether(m),
                            Span::new(off + p + 2, 6)
                        );
                    }
                    (2, Some(m)) if ol == 1 => {
                        emit!(
                            sink,
                            &OPT_LINKADDR,
                            Value::Ether(m),
                            Span::new(off + p + 2, 6)
                        );
                        emit!(
                            sink,
                            &OPT_TARGET_LINKADDR,
                            Value::Ether(m),
                            Span::new(off + p + 2, 6)
                        );
                    }
                    (3, _) => {
                        if let Some(pl) = d.u8_at(p + 2) {
                            emit!(
                                sink,
                                &OPT_PREFIX_LEN,
                                Value::UInt(u64::from(pl)),
                                Span::new(off + p + 2, 1)
                            );
                        }
                        if let Some(a) = d.arr::<16>(p + 16) {
                            emit!(
                                sink,
                                &OPT_PREFIX,
                                Value::Ipv6(a),
                                Span::new(off + p + 16, 16)
                            );
                        }
                    }
                    (5, _) => {
                        if let Some(m) = d.u32_at(p + 4) {
                            emit!(
                                sink,
                                &OPT_MTU,
                                Value::UInt(u64::from(m)),
                                Span::new(off + p + 4, 4)
                            );
                        }
                    }
                    _ => {}
                }
                sink.close();
                p += len;
            }
        }
        sink.close();
    }

    /// Wireshark's Info column.
    pub fn write_info(&self, out: &mut String, hlim: Option<u8>) {
        let t = self.icmp_type();
        out.push_str(V6_TYPE.value_name(u64::from(t)).unwrap_or("Unknown"));
        match t {
            1..=4 => {
                if let Some(c) = icmpv6_code_name(t, self.code()) {
                    out.push_str(" (");
                    out.push_str(c);
                    out.push(')');
                }
            }
            128 | 129 => {
                out.push_str(" id=0x");
                push_hex(out, u64::from(self.ident()), 4);
                out.push_str(", seq=");
                push_u64(out, u64::from(self.seq()));
                if let Some(h) = hlim {
                    out.push_str(", hop limit=");
                    push_u64(out, u64::from(h));
                }
            }
            133 | 134 => {
                if let Some(m) = self.linkaddr_option() {
                    out.push_str(" from ");
                    push_mac(out, m);
                }
            }
            135 => {
                if let Some(a) = self.target() {
                    out.push_str(" for ");
                    push_ipv6(out, a);
                }
                if let Some(m) = self.linkaddr_option() {
                    out.push_str(" from ");
                    push_mac(out, m);
                }
            }
            136 => {
                if let Some(a) = self.target() {
                    out.push(' ');
                    push_ipv6(out, a);
                }
                let f = self.data.u8_at(4).unwrap_or(0);
                let mut flags = Vec::new();
                if f & 0x80 != 0 {
                    flags.push("rtr");
                }
                if f & 0x40 != 0 {
                    flags.push("sol");
                }
                if f & 0x20 != 0 {
                    flags.push("ovr");
                }
                if !flags.is_empty() {
                    out.push_str(" (");
                    out.push_str(&flags.join(", "));
                    out.push(')');
                }
                if let Some(m) = self.linkaddr_option() {
                    out.push_str(" is at ");
                    push_mac(out, m);
                }
            }
            _ => {}
        }
    }
}

/// Dissects ICMPv6.
pub fn dissect_v6<'a>(data: &'a [u8], off: usize, cx: &mut DissectCx) -> DissectResult<'a> {
    if data.len() < 4 && !cx.in_error {
        return Err(DecodeError::truncated(Layer::Icmpv6, off, 4, data.len()));
    }
    let m = Icmpv6 {
        data,
        ip: cx.ip,
        in_error: cx.in_error,
    };
    let t = m.icmp_type();
    if t < 128 && !cx.in_error && data.len() > 8 {
        cx.in_error = true;
        let mut d = Dissected::new(Decoded::Icmpv6(m), 8, data.len(), Next::Ethertype(0x86dd));
        d.payload = 8..data.len();
        return Ok(Some(d));
    }
    Ok(Some(Dissected::new(
        Decoded::Icmpv6(m),
        data.len(),
        data.len(),
        Next::Done,
    )))
}

/// An IGMP message.
#[derive(Clone, Debug)]
pub struct Igmp<'a> {
    /// The message.
    pub data: &'a [u8],
}

impl<'a> Igmp<'a> {
    /// IGMP version as Wireshark infers it from type and length.
    pub fn version(&self) -> u8 {
        match self.data.u8_at(0).unwrap_or(0) {
            0x11 if self.data.len() >= 12 => 3,
            0x11 if self.data.u8_at(1).unwrap_or(0) == 0 => 1,
            0x11 | 0x16 | 0x17 => 2,
            0x12 => 1,
            0x22 => 3,
            _ => 0,
        }
    }
    /// Group address.
    pub fn group(&self) -> [u8; 4] {
        self.data.arr(4).unwrap_or_default()
    }

    pub(crate) fn emit(&self, off: usize, sink: &mut dyn Sink<'a>) {
        let d = self.data;
        open!(
            sink,
            &IGMP,
            Value::None,
            Span::new(off, d.len()),
            "Internet Group Management Protocol"
        );
        emit!(
            sink,
            &IGMP_VERSION,
            Value::UInt(u64::from(self.version())),
            Span::NONE
        );
        if let Some(t) = d.u8_at(0) {
            emit!(
                sink,
                &IGMP_TYPE,
                Value::UInt(u64::from(t)),
                Span::new(off, 1)
            );
        }
        if let Some(m) = d.u8_at(1) {
            emit!(
                sink,
                &IGMP_MAX_RESP,
                Value::UInt(u64::from(m)),
                Span::new(off + 1, 1)
            );
        }
        if let Some(c) = d.u16_at(2) {
            emit!(
                sink,
                &IGMP_CHECKSUM,
                Value::UInt(u64::from(c)),
                Span::new(off + 2, 2)
            );
        }
        if d.u8_at(0) != Some(0x22) {
            if let Some(g) = d.arr::<4>(4) {
                emit!(sink, &IGMP_MADDR, Value::Ipv4(g), Span::new(off + 4, 4));
            }
        }
        sink.close();
    }

    /// Wireshark's Info column.
    pub fn write_info(&self, out: &mut String) {
        match self.data.u8_at(0).unwrap_or(0) {
            0x11 => {
                out.push_str("Membership Query");
                if self.group() == [0; 4] {
                    out.push_str(", general");
                } else {
                    out.push_str(", specific for group ");
                    push_ipv4(out, self.group());
                }
            }
            0x12 | 0x16 => {
                out.push_str("Membership Report group ");
                push_ipv4(out, self.group());
            }
            0x17 => {
                out.push_str("Leave Group ");
                push_ipv4(out, self.group());
            }
            0x22 => out.push_str("Membership Report"),
            t => {
                out.push_str("Unknown Type:0x");
                push_hex(out, u64::from(t), 2);
            }
        }
    }
}

/// Dissects IGMP.
pub fn dissect_igmp<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    if data.len() < 4 {
        return Err(DecodeError::truncated(Layer::Igmp, off, 4, data.len()));
    }
    Ok(Some(Dissected::new(
        Decoded::Igmp(Igmp { data }),
        data.len(),
        data.len(),
        Next::Done,
    )))
}
