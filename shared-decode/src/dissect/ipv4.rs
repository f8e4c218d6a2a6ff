//! IPv4 (RFC 791): header, options, fragments; header checksum verified as an annotation.
//!
//! The payload is bounded by Total Length (bytes after it are link-layer padding). A zero
//! Total Length with a full frame is taken as TCP segmentation offload (the NIC fills it in),
//! as Wireshark does. Non-first fragments and first fragments with more to follow are not
//! dissected further (the transport header of a first fragment is left to reassembly, which
//! Wireshark does and we do not yet); they show as data.

use super::checksum;
use super::{
    emit, open, Be, Decoded, DissectCx, DissectResult, Dissected, IpPseudo, LayerItem, Next,
};
use crate::error::{DecodeError, DecodeErrorKind, Layer};
use crate::field::{Base, FieldDef, FieldType, Group, Severity, Sink, Span, Value};
use crate::text::{push_hex, push_u64};

mod field {
    pub const VER_IHL: usize = 0;
    pub const DSFIELD: usize = 1;
    pub const LEN: usize = 2;
    pub const ID: usize = 4;
    pub const FLAGS_FRAG: usize = 6;
    pub const TTL: usize = 8;
    pub const PROTO: usize = 9;
    pub const CHECKSUM: usize = 10;
    pub const SRC: usize = 12;
    pub const DST: usize = 16;
    pub const OPTIONS: usize = 20;
}

/// Minimum header length.
pub const HEADER_LEN: usize = 20;

/// IP protocol numbers (IANA "Assigned Internet Protocol Numbers").
pub static IP_PROTOCOLS: &[(u64, &str)] = &[
    (0, "IPv6 Hop-by-Hop Option"),
    (1, "ICMP"),
    (2, "IGMP"),
    (4, "IPIP"),
    (6, "TCP"),
    (17, "UDP"),
    (41, "IPv6"),
    (43, "Routing Header for IPv6"),
    (44, "Fragment Header for IPv6"),
    (46, "RSVP"),
    (47, "GRE"),
    (50, "ESP"),
    (51, "AH"),
    (58, "ICMPv6"),
    (59, "IPv6 No Next Header"),
    (60, "Destination Options for IPv6"),
    (88, "EIGRP"),
    (89, "OSPF IGP"),
    (103, "PIM"),
    (112, "VRRP"),
    (115, "L2TP"),
    (132, "SCTP"),
    (135, "Mobility Header"),
    (136, "UDPLite"),
    (137, "MPLS in IP"),
];

/// `ip`.
pub static IP: FieldDef = FieldDef::proto("ip", "Internet Protocol Version 4");
/// `ip.version`.
pub static VERSION: FieldDef =
    FieldDef::new("ip.version", "Version", FieldType::UInt(8), Base::Dec).masked(0xf0);
/// `ip.hdr_len`.
pub static HDR_LEN: FieldDef =
    FieldDef::new("ip.hdr_len", "Header Length", FieldType::UInt(8), Base::Dec).masked(0x0f);
/// `ip.dsfield`.
pub static DSFIELD: FieldDef = FieldDef::new(
    "ip.dsfield",
    "Differentiated Services Field",
    FieldType::UInt(8),
    Base::Hex,
);
/// `ip.dsfield.dscp`.
pub static DSCP: FieldDef = FieldDef::new(
    "ip.dsfield.dscp",
    "Differentiated Services Codepoint",
    FieldType::UInt(8),
    Base::Dec,
)
.masked(0xfc);
/// `ip.dsfield.ecn`.
pub static ECN: FieldDef = FieldDef::new(
    "ip.dsfield.ecn",
    "Explicit Congestion Notification",
    FieldType::UInt(8),
    Base::Dec,
)
.masked(0x03)
.named(&[
    (0, "Not ECN-Capable Transport"),
    (1, "ECN-Capable Transport codepoint '01'"),
    (2, "ECN-Capable Transport codepoint '10'"),
    (3, "Congestion Experienced"),
]);
/// `ip.len`.
pub static LEN: FieldDef = FieldDef::new("ip.len", "Total Length", FieldType::UInt(16), Base::Dec);
/// `ip.id`.
pub static ID: FieldDef =
    FieldDef::new("ip.id", "Identification", FieldType::UInt(16), Base::HexDec);
/// `ip.flags`.
pub static FLAGS: FieldDef = FieldDef::new("ip.flags", "Flags", FieldType::UInt(8), Base::Hex);
/// `ip.flags.rb`.
pub static FLAGS_RB: FieldDef =
    FieldDef::new("ip.flags.rb", "Reserved bit", FieldType::Bool, Base::None).masked(0x80);
/// `ip.flags.df`.
pub static FLAGS_DF: FieldDef =
    FieldDef::new("ip.flags.df", "Don't fragment", FieldType::Bool, Base::None).masked(0x40);
/// `ip.flags.mf`.
pub static FLAGS_MF: FieldDef =
    FieldDef::new("ip.flags.mf", "More fragments", FieldType::Bool, Base::None).masked(0x20);
/// `ip.frag_offset` (in 8-byte units, as on the wire).
pub static FRAG_OFFSET: FieldDef = FieldDef::new(
    "ip.frag_offset",
    "Fragment Offset",
    FieldType::UInt(16),
    Base::Dec,
)
.masked(0x1fff);
/// `ip.ttl`.
pub static TTL: FieldDef = FieldDef::new("ip.ttl", "Time to Live", FieldType::UInt(8), Base::Dec);
/// `ip.proto`.
pub static PROTO: FieldDef =
    FieldDef::new("ip.proto", "Protocol", FieldType::UInt(8), Base::Dec).named(IP_PROTOCOLS);
/// `ip.checksum`.
pub static CHECKSUM: FieldDef = FieldDef::new(
    "ip.checksum",
    "Header Checksum",
    FieldType::UInt(16),
    Base::Hex,
);
/// `ip.checksum.status`.
pub static CHECKSUM_STATUS: FieldDef = FieldDef::new(
    "ip.checksum.status",
    "Header checksum status",
    FieldType::UInt(8),
    Base::Dec,
)
.named(&[(0, "Bad"), (1, "Good"), (2, "Unverified")]);
/// `ip.checksum_calculated`.
pub static CHECKSUM_CALCULATED: FieldDef = FieldDef::new(
    "ip.checksum_calculated",
    "Calculated Checksum",
    FieldType::UInt(16),
    Base::Hex,
);
/// `ip.src`.
pub static SRC: FieldDef = FieldDef::new("ip.src", "Source Address", FieldType::Ipv4, Base::None);
/// `ip.dst`.
pub static DST: FieldDef =
    FieldDef::new("ip.dst", "Destination Address", FieldType::Ipv4, Base::None);
/// `ip.addr`: source or destination.
pub static ADDR: FieldDef = FieldDef::new(
    "ip.addr",
    "Source or Destination Address",
    FieldType::Ipv4,
    Base::None,
)
.hidden();
/// `ip.opt.type`.
pub static OPT_TYPE: FieldDef = FieldDef::new("ip.opt.type", "Type", FieldType::UInt(8), Base::Dec)
    .named(&[
        (0, "End of Options List (EOL)"),
        (1, "No-Operation (NOP)"),
        (7, "Record Route (RR)"),
        (68, "Time Stamp (TS)"),
        (130, "Security (SEC)"),
        (131, "Loose Source Route (LSR)"),
        (136, "Stream ID (SID)"),
        (137, "Strict Source Route (SSR)"),
        (148, "Router Alert"),
    ]);
/// `ip.opt.len`.
pub static OPT_LEN: FieldDef = FieldDef::new("ip.opt.len", "Length", FieldType::UInt(8), Base::Dec);
/// `ip.fragment` marker: this packet is a fragment.
pub static FRAGMENT: FieldDef =
    FieldDef::new("ip.fragment", "IPv4 Fragment", FieldType::None, Base::None);

/// Fields of this module.
pub static FIELDS: &[&FieldDef] = &[
    &IP,
    &VERSION,
    &HDR_LEN,
    &DSFIELD,
    &DSCP,
    &ECN,
    &LEN,
    &ID,
    &FLAGS,
    &FLAGS_RB,
    &FLAGS_DF,
    &FLAGS_MF,
    &FRAG_OFFSET,
    &TTL,
    &PROTO,
    &CHECKSUM,
    &CHECKSUM_STATUS,
    &CHECKSUM_CALCULATED,
    &SRC,
    &DST,
    &ADDR,
    &OPT_TYPE,
    &OPT_LEN,
    &FRAGMENT,
];

/// An IPv4 header (zero-copy view; `hdr` holds exactly IHL * 4 bytes).
#[derive(Clone, Debug)]
pub struct Ipv4<'a> {
    /// Header bytes including options.
    pub hdr: &'a [u8],
    /// Inside an ICMP error.
    pub in_error: bool,
}

impl<'a> Ipv4<'a> {
    /// Header length in bytes.
    pub fn header_len(&self) -> usize {
        usize::from(self.hdr.u8_at(field::VER_IHL).unwrap_or(0) & 0x0f) * 4
    }
    /// DS field (DSCP << 2 | ECN).
    pub fn tos(&self) -> u8 {
        self.hdr.u8_at(field::DSFIELD).unwrap_or(0)
    }
    /// Total Length.
    pub fn total_len(&self) -> u16 {
        self.hdr.u16_at(field::LEN).unwrap_or(0)
    }
    /// Identification.
    pub fn id(&self) -> u16 {
        self.hdr.u16_at(field::ID).unwrap_or(0)
    }
    fn flags_frag(&self) -> u16 {
        self.hdr.u16_at(field::FLAGS_FRAG).unwrap_or(0)
    }
    /// Don't Fragment.
    pub fn df(&self) -> bool {
        self.flags_frag() & 0x4000 != 0
    }
    /// More Fragments.
    pub fn mf(&self) -> bool {
        self.flags_frag() & 0x2000 != 0
    }
    /// Reserved ("evil") bit.
    pub fn rb(&self) -> bool {
        self.flags_frag() & 0x8000 != 0
    }
    /// Fragment offset in 8-byte units.
    pub fn frag_offset(&self) -> u16 {
        self.flags_frag() & 0x1fff
    }
    /// True for any fragment (first with MF, or later).
    pub fn is_fragment(&self) -> bool {
        self.mf() || self.frag_offset() != 0
    }
    /// Time to live.
    pub fn ttl(&self) -> u8 {
        self.hdr.u8_at(field::TTL).unwrap_or(0)
    }
    /// Wireshark's notes on a time to live that cannot be right: a packet to the Local
    /// Network Control Block (224.0.0.0/24, RFC 3171) must carry TTL 1 (VRRP and mDNS 255);
    /// any other unicast one with a TTL under 5 will not get far (PIM and OSPF excepted).
    fn ttl_note<'s>(&self, off: usize, sink: &mut dyn Sink<'s>) {
        let (d, ttl, span) = (self.dst(), self.ttl(), Span::new(off + 8, 1));
        if d[..3] == [224, 0, 0] {
            let want = match d[3] {
                18 | 251 => 255,
                _ => 1,
            };
            if want != ttl {
                sink.expert(
                    Severity::Note,
                    Group::Sequence,
                    format_args!(
                        "\"Time To Live\" != {want} for a packet sent to the Local Network Control Block (see RFC 3171)"
                    ),
                    span,
                );
            }
        } else if d[0] & 0xf0 != 0xe0 && ttl < 5 && !matches!(self.proto(), 89 | 103) {
            sink.expert(
                Severity::Note,
                Group::Sequence,
                format_args!("\"Time To Live\" only {ttl}"),
                span,
            );
        }
    }
    /// Protocol of the payload.
    pub fn proto(&self) -> u8 {
        self.hdr.u8_at(field::PROTO).unwrap_or(0)
    }
    /// Header checksum as stored.
    pub fn checksum(&self) -> u16 {
        self.hdr.u16_at(field::CHECKSUM).unwrap_or(0)
    }
    /// Source address.
    pub fn src(&self) -> [u8; 4] {
        self.hdr.arr(field::SRC).unwrap_or_default()
    }
    /// Destination address.
    pub fn dst(&self) -> [u8; 4] {
        self.hdr.arr(field::DST).unwrap_or_default()
    }
    /// Options bytes.
    pub fn options(&self) -> &'a [u8] {
        self.hdr.get(field::OPTIONS..).unwrap_or(&[])
    }
    /// Header checksum verdict.
    pub fn verify(&self) -> checksum::Verdict {
        checksum::Verdict {
            stored: self.checksum(),
            expected: checksum::expected(self.hdr, field::CHECKSUM, 0),
        }
    }

    pub(crate) fn emit(&self, off: usize, l: &LayerItem<'a>, sink: &mut dyn Sink<'a>) {
        let h = self.hdr;
        let (src, dst) = (self.src(), self.dst());
        open!(
            sink,
            &IP,
            Value::None,
            Span::new(off, l.len),
            "Internet Protocol Version 4, Src: {}, Dst: {}",
            std::net::Ipv4Addr::from(src),
            std::net::Ipv4Addr::from(dst)
        );
        let b0 = u64::from(h.u8_at(0).unwrap_or(0));
        emit!(sink, &VERSION, Value::UInt(b0 >> 4), Span::new(off, 1));
        emit!(
            sink,
            &HDR_LEN,
            Value::UInt((b0 & 15) * 4),
            Span::new(off, 1),
            ".... {:04b} = Header Length: {} bytes ({})",
            b0 & 15,
            (b0 & 15) * 4,
            b0 & 15
        );
        let tos = u64::from(self.tos());
        open!(sink, &DSFIELD, Value::UInt(tos), Span::new(off + 1, 1));
        emit!(sink, &DSCP, Value::UInt(tos >> 2), Span::new(off + 1, 1));
        emit!(sink, &ECN, Value::UInt(tos & 3), Span::new(off + 1, 1));
        sink.close();
        emit!(
            sink,
            &LEN,
            Value::UInt(u64::from(self.total_len())),
            Span::new(off + 2, 2)
        );
        emit!(
            sink,
            &ID,
            Value::UInt(u64::from(self.id())),
            Span::new(off + 4, 2)
        );
        let ff = self.flags_frag();
        open!(
            sink,
            &FLAGS,
            Value::UInt(u64::from(ff >> 13)),
            Span::new(off + 6, 1)
        );
        emit!(
            sink,
            &FLAGS_RB,
            Value::Bool(self.rb()),
            Span::new(off + 6, 1)
        );
        emit!(
            sink,
            &FLAGS_DF,
            Value::Bool(self.df()),
            Span::new(off + 6, 1)
        );
        emit!(
            sink,
            &FLAGS_MF,
            Value::Bool(self.mf()),
            Span::new(off + 6, 1)
        );
        sink.close();
        emit!(
            sink,
            &FRAG_OFFSET,
            Value::UInt(u64::from(self.frag_offset())),
            Span::new(off + 6, 2)
        );
        emit!(
            sink,
            &TTL,
            Value::UInt(u64::from(self.ttl())),
            Span::new(off + 8, 1)
        );
        self.ttl_note(off, sink);
        emit!(
            sink,
            &PROTO,
            Value::UInt(u64::from(self.proto())),
            Span::new(off + 9, 1)
        );
        let v = self.verify();
        emit!(
            sink,
            &CHECKSUM,
            Value::UInt(u64::from(v.stored)),
            Span::new(off + 10, 2)
        );
        emit!(
            sink,
            &CHECKSUM_STATUS,
            Value::UInt(u64::from(v.ok())),
            Span::NONE
        );
        if !v.ok() && !self.in_error {
            emit!(
                sink,
                &CHECKSUM_CALCULATED,
                Value::UInt(u64::from(v.expected)),
                Span::NONE
            );
            sink.expert(
                Severity::Error,
                Group::Checksum,
                format_args!("Bad checksum [should be 0x{:04x}]", v.expected),
                Span::new(off + 10, 2),
            );
        }
        emit!(sink, &SRC, Value::Ipv4(src), Span::new(off + 12, 4));
        emit!(sink, &DST, Value::Ipv4(dst), Span::new(off + 16, 4));
        emit!(sink, &ADDR, Value::Ipv4(src), Span::new(off + 12, 4));
        emit!(sink, &ADDR, Value::Ipv4(dst), Span::new(off + 16, 4));
        self.emit_options(off + field::OPTIONS, sink);
        if self.is_fragment() {
            emit!(sink, &FRAGMENT, Value::None, Span::NONE);
        }
        sink.close();
    }

    fn emit_options(&self, off: usize, sink: &mut dyn Sink<'a>) {
        let o = self.options();
        let mut p = 0;
        // Terminates: every option advances p by at least one byte.
        while let Some(t) = o.u8_at(p) {
            let len = match t {
                0 | 1 => 1,
                _ => usize::from(o.u8_at(p + 1).unwrap_or(0)),
            };
            if len < 1 || (t > 1 && len < 2) || p + len > o.len() {
                sink.expert(
                    Severity::Warn,
                    Group::Malformed,
                    format_args!("bad option length {len}"),
                    Span::new(off + p, o.len() - p),
                );
                break;
            }
            open!(
                sink,
                &OPT_TYPE,
                Value::UInt(u64::from(t)),
                Span::new(off + p, len)
            );
            if t > 1 {
                emit!(
                    sink,
                    &OPT_LEN,
                    Value::UInt(len as u64),
                    Span::new(off + p + 1, 1)
                );
            }
            sink.close();
            p += len;
            if t == 0 {
                break;
            }
        }
    }

    /// Wireshark's Info for an IPv4 packet whose payload is not dissected.
    pub fn write_info(&self, out: &mut String) {
        let proto = self.proto();
        let name = PROTO.value_name(u64::from(proto)).unwrap_or("Unknown");
        if self.is_fragment() {
            out.push_str("Fragmented IP protocol (proto=");
            out.push_str(name);
            out.push(' ');
            push_u64(out, u64::from(proto));
            out.push_str(", off=");
            push_u64(out, u64::from(self.frag_offset()) * 8);
            out.push_str(", ID=");
            push_hex(out, u64::from(self.id()), 4);
            out.push(')');
        } else {
            out.push_str(name);
            out.push_str(" (");
            push_u64(out, u64::from(proto));
            out.push(')');
        }
    }
}

/// Dissects an IPv4 header.
pub fn dissect<'a>(data: &'a [u8], off: usize, cx: &mut DissectCx) -> DissectResult<'a> {
    let Some(b0) = data.first().copied() else {
        return Err(DecodeError::truncated(Layer::Ipv4, off, HEADER_LEN, 0));
    };
    if b0 >> 4 != 4 {
        return Err(DecodeError {
            layer: Layer::Ipv4,
            offset: off,
            kind: DecodeErrorKind::BadValue {
                field: "version",
                value: u64::from(b0 >> 4),
            },
        });
    }
    let ihl = usize::from(b0 & 0x0f) * 4;
    if ihl < HEADER_LEN {
        return Err(DecodeError {
            layer: Layer::Ipv4,
            offset: off,
            kind: DecodeErrorKind::BadLength {
                field: "header length",
                value: ihl as u64,
            },
        });
    }
    let Some(hdr) = data.get(..ihl) else {
        return Err(DecodeError::truncated(Layer::Ipv4, off, ihl, data.len()));
    };
    let ip = Ipv4 {
        hdr,
        in_error: cx.in_error,
    };
    let total = usize::from(ip.total_len());
    let end = if total == 0 {
        // TSO: the length is filled in by the NIC after capture.
        data.len()
    } else if total < ihl {
        let d = Dissected::new(Decoded::Ipv4(ip), ihl, ihl, Next::Done);
        return Ok(Some(d.with_error(DecodeError {
            layer: Layer::Ipv4,
            offset: off + field::LEN,
            kind: DecodeErrorKind::BadLength {
                field: "total length",
                value: total as u64,
            },
        })));
    } else {
        total.min(data.len())
    };
    cx.ip = Some(IpPseudo::V4(ip.src(), ip.dst()));
    let on_wire = data.len() + cx.wire_extra;
    cx.reported_len = Some(
        if total == 0 {
            on_wire
        } else {
            total.min(on_wire)
        }
        .saturating_sub(ihl),
    );
    let next = if ip.frag_offset() != 0 || ip.mf() {
        Next::Done
    } else {
        Next::IpProto(ip.proto())
    };
    let mut d = Dissected::new(Decoded::Ipv4(ip), ihl, end, next);
    d.payload = ihl..end;
    Ok(Some(d))
}
