//! IPv6 (RFC 8200) with its extension headers: hop-by-hop and destination options
//! (RFC 8200 §4.3/4.6, Jumbo Payload RFC 2675), routing (§4.4), fragment (§4.5).
//! AH and ESP are their own dissectors ([`super::tunnel`]).
//!
//! The extension chain is walked at most [`MAX_EXTENSIONS`] headers deep. A fragment
//! header stops dissection (the payload is a fragment, shown as data) like Wireshark
//! without reassembly.

use super::{
    emit, open, Be, Decoded, DissectCx, DissectResult, Dissected, IpPseudo, LayerItem, Next,
};
use crate::error::{DecodeError, DecodeErrorKind, Layer};
use crate::field::{Base, FieldDef, FieldType, Sink, Span, Value};
use crate::text::{push_hex, push_u64};

/// Fixed header length.
pub const HEADER_LEN: usize = 40;
/// Longest extension chain we follow.
pub const MAX_EXTENSIONS: usize = 128;

/// `ipv6`.
pub static IPV6: FieldDef = FieldDef::proto("ipv6", "Internet Protocol Version 6");
/// `ipv6.version`.
pub static VERSION: FieldDef =
    FieldDef::new("ipv6.version", "Version", FieldType::UInt(8), Base::Dec).masked(0xf0);
/// `ipv6.tclass`.
pub static TCLASS: FieldDef = FieldDef::new(
    "ipv6.tclass",
    "Traffic Class",
    FieldType::UInt(32),
    Base::Hex,
)
.masked(0x0ff0_0000);
/// `ipv6.tclass.dscp`.
pub static DSCP: FieldDef = FieldDef::new(
    "ipv6.tclass.dscp",
    "Differentiated Services Codepoint",
    FieldType::UInt(32),
    Base::Dec,
)
.masked(0x0fc0_0000);
/// `ipv6.tclass.ecn`.
pub static ECN: FieldDef = FieldDef::new(
    "ipv6.tclass.ecn",
    "Explicit Congestion Notification",
    FieldType::UInt(32),
    Base::Dec,
)
.masked(0x0030_0000);
/// `ipv6.flow`.
pub static FLOW: FieldDef =
    FieldDef::new("ipv6.flow", "Flow Label", FieldType::UInt(32), Base::Hex).masked(0x000f_ffff);
/// `ipv6.plen`.
pub static PLEN: FieldDef = FieldDef::new(
    "ipv6.plen",
    "Payload Length",
    FieldType::UInt(16),
    Base::Dec,
);
/// `ipv6.nxt`.
pub static NXT: FieldDef = FieldDef::new("ipv6.nxt", "Next Header", FieldType::UInt(8), Base::Dec)
    .named(super::ipv4::IP_PROTOCOLS);
/// `ipv6.hlim`.
pub static HLIM: FieldDef = FieldDef::new("ipv6.hlim", "Hop Limit", FieldType::UInt(8), Base::Dec);
/// `ipv6.src`.
pub static SRC: FieldDef = FieldDef::new("ipv6.src", "Source Address", FieldType::Ipv6, Base::None);
/// `ipv6.dst`.
pub static DST: FieldDef = FieldDef::new(
    "ipv6.dst",
    "Destination Address",
    FieldType::Ipv6,
    Base::None,
);
/// `ipv6.addr`.
pub static ADDR: FieldDef = FieldDef::new(
    "ipv6.addr",
    "Source or Destination Address",
    FieldType::Ipv6,
    Base::None,
)
.hidden();
/// `ipv6.hopopts`.
pub static HOPOPTS: FieldDef = FieldDef::new(
    "ipv6.hopopts",
    "IPv6 Hop-by-Hop Option",
    FieldType::None,
    Base::None,
);
/// `ipv6.hopopts.nxt`.
pub static HOPOPTS_NXT: FieldDef = FieldDef::new(
    "ipv6.hopopts.nxt",
    "Next Header",
    FieldType::UInt(8),
    Base::Dec,
)
.named(super::ipv4::IP_PROTOCOLS);
/// `ipv6.hopopts.len`.
pub static HOPOPTS_LEN: FieldDef =
    FieldDef::new("ipv6.hopopts.len", "Length", FieldType::UInt(8), Base::Dec);
/// `ipv6.dstopts`.
pub static DSTOPTS: FieldDef = FieldDef::new(
    "ipv6.dstopts",
    "Destination Options for IPv6",
    FieldType::None,
    Base::None,
);
/// `ipv6.dstopts.nxt`.
pub static DSTOPTS_NXT: FieldDef = FieldDef::new(
    "ipv6.dstopts.nxt",
    "Next Header",
    FieldType::UInt(8),
    Base::Dec,
)
.named(super::ipv4::IP_PROTOCOLS);
/// `ipv6.dstopts.len`.
pub static DSTOPTS_LEN: FieldDef =
    FieldDef::new("ipv6.dstopts.len", "Length", FieldType::UInt(8), Base::Dec);
/// `ipv6.routing`.
pub static ROUTING: FieldDef = FieldDef::new(
    "ipv6.routing",
    "Routing Header for IPv6",
    FieldType::None,
    Base::None,
);
/// `ipv6.routing.nxt`.
pub static ROUTING_NXT: FieldDef = FieldDef::new(
    "ipv6.routing.nxt",
    "Next Header",
    FieldType::UInt(8),
    Base::Dec,
)
.named(super::ipv4::IP_PROTOCOLS);
/// `ipv6.routing.len`.
pub static ROUTING_LEN: FieldDef =
    FieldDef::new("ipv6.routing.len", "Length", FieldType::UInt(8), Base::Dec);
/// `ipv6.routing.type`.
pub static ROUTING_TYPE: FieldDef =
    FieldDef::new("ipv6.routing.type", "Type", FieldType::UInt(8), Base::Dec);
/// `ipv6.routing.segleft`.
pub static ROUTING_SEGLEFT: FieldDef = FieldDef::new(
    "ipv6.routing.segleft",
    "Segments Left",
    FieldType::UInt(8),
    Base::Dec,
);
/// `ipv6.fraghdr`.
pub static FRAGHDR: FieldDef = FieldDef::new(
    "ipv6.fraghdr",
    "Fragment Header for IPv6",
    FieldType::None,
    Base::None,
);
/// `ipv6.fraghdr.nxt`.
pub static FRAG_NXT: FieldDef = FieldDef::new(
    "ipv6.fraghdr.nxt",
    "Next header",
    FieldType::UInt(8),
    Base::Dec,
)
.named(super::ipv4::IP_PROTOCOLS);
/// `ipv6.fraghdr.offset`.
pub static FRAG_OFFSET: FieldDef = FieldDef::new(
    "ipv6.fraghdr.offset",
    "Offset",
    FieldType::UInt(16),
    Base::Dec,
)
.masked(0xfff8);
/// `ipv6.fraghdr.more`.
pub static FRAG_MORE: FieldDef = FieldDef::new(
    "ipv6.fraghdr.more",
    "More Fragments",
    FieldType::Bool,
    Base::None,
)
.masked(0x0001);
/// `ipv6.fraghdr.ident`.
pub static FRAG_IDENT: FieldDef = FieldDef::new(
    "ipv6.fraghdr.ident",
    "Identification",
    FieldType::UInt(32),
    Base::Hex,
);
/// `ipv6.opt.type`.
pub static OPT_TYPE: FieldDef =
    FieldDef::new("ipv6.opt.type", "Type", FieldType::UInt(8), Base::Hex).named(&[
        (0x00, "Pad1"),
        (0x01, "PadN"),
        (0x04, "Tunnel Encapsulation Limit"),
        (0x05, "Router Alert"),
        (0xc2, "Jumbo Payload"),
        (0xc9, "Home Address"),
    ]);
/// `ipv6.opt.length`.
pub static OPT_LENGTH: FieldDef =
    FieldDef::new("ipv6.opt.length", "Length", FieldType::UInt(8), Base::Dec);
/// `ipv6.opt.jumbo`.
pub static OPT_JUMBO: FieldDef = FieldDef::new(
    "ipv6.opt.jumbo",
    "Payload Length",
    FieldType::UInt(32),
    Base::Dec,
);

/// Fields of this module.
pub static FIELDS: &[&FieldDef] = &[
    &IPV6,
    &VERSION,
    &TCLASS,
    &DSCP,
    &ECN,
    &FLOW,
    &PLEN,
    &NXT,
    &HLIM,
    &SRC,
    &DST,
    &ADDR,
    &HOPOPTS,
    &HOPOPTS_NXT,
    &HOPOPTS_LEN,
    &DSTOPTS,
    &DSTOPTS_NXT,
    &DSTOPTS_LEN,
    &ROUTING,
    &ROUTING_NXT,
    &ROUTING_LEN,
    &ROUTING_TYPE,
    &ROUTING_SEGLEFT,
    &FRAGHDR,
    &FRAG_NXT,
    &FRAG_OFFSET,
    &FRAG_MORE,
    &FRAG_IDENT,
    &OPT_TYPE,
    &OPT_LENGTH,
    &OPT_JUMBO,
];

/// An IPv6 header and its extension headers.
#[derive(Clone, Debug)]
pub struct Ipv6<'a> {
    /// The 40-byte fixed header.
    pub hdr: &'a [u8],
    /// The extension headers that follow (hop-by-hop, routing, fragment, destination).
    pub exts: &'a [u8],
    /// Protocol after the extension chain.
    pub final_nxt: u8,
    /// Fragment header (offset in bytes, more, ident), when present.
    pub fragment: Option<(u16, bool, u32)>,
    /// Inside an ICMP error.
    pub in_error: bool,
}

impl<'a> Ipv6<'a> {
    /// Traffic class.
    pub fn tclass(&self) -> u8 {
        ((self.hdr.u32_at(0).unwrap_or(0) >> 20) & 0xff) as u8
    }
    /// Flow label.
    pub fn flow(&self) -> u32 {
        self.hdr.u32_at(0).unwrap_or(0) & 0x000f_ffff
    }
    /// Payload length field.
    pub fn plen(&self) -> u16 {
        self.hdr.u16_at(4).unwrap_or(0)
    }
    /// Next header of the fixed header.
    pub fn nxt(&self) -> u8 {
        self.hdr.u8_at(6).unwrap_or(0)
    }
    /// Hop limit.
    pub fn hlim(&self) -> u8 {
        self.hdr.u8_at(7).unwrap_or(0)
    }
    /// Source address.
    pub fn src(&self) -> [u8; 16] {
        self.hdr.arr(8).unwrap_or_default()
    }
    /// Destination address.
    pub fn dst(&self) -> [u8; 16] {
        self.hdr.arr(24).unwrap_or_default()
    }

    pub(crate) fn emit(&self, off: usize, l: &LayerItem<'a>, sink: &mut dyn Sink<'a>) {
        let (src, dst) = (self.src(), self.dst());
        open!(
            sink,
            &IPV6,
            Value::None,
            Span::new(off, l.len),
            "Internet Protocol Version 6, Src: {}, Dst: {}",
            std::net::Ipv6Addr::from(src),
            std::net::Ipv6Addr::from(dst)
        );
        let w = u64::from(self.hdr.u32_at(0).unwrap_or(0));
        emit!(sink, &VERSION, Value::UInt(w >> 28), Span::new(off, 1));
        open!(
            sink,
            &TCLASS,
            Value::UInt((w >> 20) & 0xff),
            Span::new(off, 4)
        );
        emit!(
            sink,
            &DSCP,
            Value::UInt((w >> 22) & 0x3f),
            Span::new(off, 4)
        );
        emit!(sink, &ECN, Value::UInt((w >> 20) & 3), Span::new(off, 4));
        sink.close();
        emit!(sink, &FLOW, Value::UInt(w & 0xfffff), Span::new(off + 1, 3));
        emit!(
            sink,
            &PLEN,
            Value::UInt(u64::from(self.plen())),
            Span::new(off + 4, 2)
        );
        emit!(
            sink,
            &NXT,
            Value::UInt(u64::from(self.nxt())),
            Span::new(off + 6, 1)
        );
        emit!(
            sink,
            &HLIM,
            Value::UInt(u64::from(self.hlim())),
            Span::new(off + 7, 1)
        );
        emit!(sink, &SRC, Value::Ipv6(src), Span::new(off + 8, 16));
        emit!(sink, &DST, Value::Ipv6(dst), Span::new(off + 24, 16));
        emit!(sink, &ADDR, Value::Ipv6(src), Span::new(off + 8, 16));
        emit!(sink, &ADDR, Value::Ipv6(dst), Span::new(off + 24, 16));
        self.emit_exts(off + HEADER_LEN, sink);
        sink.close();
    }

    fn emit_exts(&self, off: usize, sink: &mut dyn Sink<'a>) {
        let mut nh = self.nxt();
        let mut p = 0usize;
        let e = self.exts;
        // Terminates: each header advances p by at least 8 bytes; the loop is also capped.
        for _ in 0..MAX_EXTENSIONS {
            if p >= e.len() {
                break;
            }
            let next = u64::from(e.u8_at(p).unwrap_or(0));
            match nh {
                0 | 60 => {
                    let len = (usize::from(e.u8_at(p + 1).unwrap_or(0)) + 1) * 8;
                    let (pdef, ndef, ldef) = if nh == 0 {
                        (&HOPOPTS, &HOPOPTS_NXT, &HOPOPTS_LEN)
                    } else {
                        (&DSTOPTS, &DSTOPTS_NXT, &DSTOPTS_LEN)
                    };
                    open!(sink, pdef, Value::None, Span::new(off + p, len));
                    emit!(sink, ndef, Value::UInt(next), Span::new(off + p, 1));
                    emit!(
                        sink,
                        ldef,
                        Value::UInt(u64::from(e.u8_at(p + 1).unwrap_or(0))),
                        Span::new(off + p + 1, 1)
                    );
                    let opts = e.get(p + 2..(p + len).min(e.len())).unwrap_or(&[]);
                    emit_tlv_options(opts, off + p + 2, sink);
                    sink.close();
                    p += len;
                }
                43 => {
                    let len = (usize::from(e.u8_at(p + 1).unwrap_or(0)) + 1) * 8;
                    open!(sink, &ROUTING, Value::None, Span::new(off + p, len));
                    emit!(sink, &ROUTING_NXT, Value::UInt(next), Span::new(off + p, 1));
                    emit!(
                        sink,
                        &ROUTING_LEN,
                        Value::UInt(u64::from(e.u8_at(p + 1).unwrap_or(0))),
                        Span::new(off + p + 1, 1)
                    );
                    emit!(
                        sink,
                        &ROUTING_TYPE,
                        Value::UInt(u64::from(e.u8_at(p + 2).unwrap_or(0))),
                        Span::new(off + p + 2, 1)
                    );
                    emit!(
                        sink,
                        &ROUTING_SEGLEFT,
                        Value::UInt(u64::from(e.u8_at(p + 3).unwrap_or(0))),
                        Span::new(off + p + 3, 1)
                    );
                    sink.close();
                    p += len;
                }
                44 => {
                    let fo = e.u16_at(p + 2).unwrap_or(0);
                    open!(sink, &FRAGHDR, Value::None, Span::new(off + p, 8));
                    emit!(sink, &FRAG_NXT, Value::UInt(next), Span::new(off + p, 1));
                    emit!(
                        sink,
                        &FRAG_OFFSET,
                        Value::UInt(u64::from(fo >> 3)),
                        Span::new(off + p + 2, 2)
                    );
                    emit!(
                        sink,
                        &FRAG_MORE,
                        Value::Bool(fo & 1 == 1),
                        Span::new(off + p + 2, 2)
                    );
                    emit!(
                        sink,
                        &FRAG_IDENT,
                        Value::UInt(u64::from(e.u32_at(p + 4).unwrap_or(0))),
                        Span::new(off + p + 4, 4)
                    );
                    sink.close();
                    p += 8;
                }
                _ => break,
            }
            nh = next as u8;
        }
    }

    /// Info for a packet whose payload is not dissected (fragments, unknown protocols).
    pub fn write_info(&self, out: &mut String) {
        if let Some((fo, more, ident)) = self.fragment {
            out.push_str("IPv6 fragment (off=");
            push_u64(out, u64::from(fo));
            out.push_str(" more=");
            out.push(if more { 'y' } else { 'n' });
            out.push_str(" ident=0x");
            push_hex(out, u64::from(ident), 8);
            out.push_str(" nxt=");
            push_u64(out, u64::from(self.final_nxt));
            out.push(')');
        } else {
            let p = self.final_nxt;
            out.push_str(NXT.value_name(u64::from(p)).unwrap_or("Unknown"));
            out.push_str(" (");
            push_u64(out, u64::from(p));
            out.push(')');
        }
    }
}

/// Hop-by-hop / destination options (type, length, value). Terminates: each option advances
/// by at least one byte.
fn emit_tlv_options<'a>(o: &'a [u8], off: usize, sink: &mut dyn Sink<'a>) {
    let mut p = 0;
    while let Some(t) = o.u8_at(p) {
        if t == 0 {
            emit!(sink, &OPT_TYPE, Value::UInt(0), Span::new(off + p, 1));
            p += 1;
            continue;
        }
        let len = usize::from(o.u8_at(p + 1).unwrap_or(0));
        open!(
            sink,
            &OPT_TYPE,
            Value::UInt(u64::from(t)),
            Span::new(off + p, 2 + len)
        );
        emit!(
            sink,
            &OPT_LENGTH,
            Value::UInt(len as u64),
            Span::new(off + p + 1, 1)
        );
        if t == 0xc2 {
            if let Some(j) = o.u32_at(p + 2) {
                emit!(
                    sink,
                    &OPT_JUMBO,
                    Value::UInt(u64::from(j)),
                    Span::new(off + p + 2, 4)
                );
            }
        }
        sink.close();
        p += 2 + len;
    }
}

/// Jumbo payload length from a hop-by-hop options header body, if present.
fn jumbo(opts: &[u8]) -> Option<u32> {
    let mut p = 0;
    while let Some(t) = opts.u8_at(p) {
        if t == 0 {
            p += 1;
            continue;
        }
        let len = usize::from(opts.u8_at(p + 1)?);
        if t == 0xc2 && len == 4 {
            return opts.u32_at(p + 2);
        }
        p += 2 + len;
    }
    None
}

/// Dissects an IPv6 header and its extension chain.
pub fn dissect<'a>(data: &'a [u8], off: usize, cx: &mut DissectCx) -> DissectResult<'a> {
    let Some(b0) = data.first().copied() else {
        return Err(DecodeError::truncated(Layer::Ipv6, off, HEADER_LEN, 0));
    };
    if b0 >> 4 != 6 {
        return Err(DecodeError {
            layer: Layer::Ipv6,
            offset: off,
            kind: DecodeErrorKind::BadValue {
                field: "version",
                value: u64::from(b0 >> 4),
            },
        });
    }
    let Some(hdr) = data.get(..HEADER_LEN) else {
        return Err(DecodeError::truncated(
            Layer::Ipv6,
            off,
            HEADER_LEN,
            data.len(),
        ));
    };
    let plen = usize::from(hdr.u16_at(4).unwrap_or(0));
    let mut nh = hdr.u8_at(6).unwrap_or(0);
    let mut p = HEADER_LEN;
    let mut fragment = None;
    let mut jumbo_len = None;
    let mut error = None;
    // Terminates: each extension advances p by >= 8 bytes, at most MAX_EXTENSIONS times.
    for _ in 0..MAX_EXTENSIONS {
        match nh {
            0 | 43 | 60 => {
                let Some(len_byte) = data.u8_at(p + 1) else {
                    error = Some(DecodeError::truncated(
                        Layer::Ipv6,
                        off + p,
                        2,
                        data.len().saturating_sub(p),
                    ));
                    break;
                };
                let len = (usize::from(len_byte) + 1) * 8;
                if p + len > data.len() {
                    error = Some(DecodeError::truncated(
                        Layer::Ipv6,
                        off + p,
                        len,
                        data.len() - p,
                    ));
                    break;
                }
                if nh == 0 {
                    jumbo_len = jumbo(data.get(p + 2..p + len).unwrap_or(&[]));
                }
                nh = data.u8_at(p).unwrap_or(59);
                p += len;
            }
            44 => {
                let Some(fh) = data.get(p..p + 8) else {
                    error = Some(DecodeError::truncated(
                        Layer::Ipv6,
                        off + p,
                        8,
                        data.len().saturating_sub(p),
                    ));
                    break;
                };
                let fo = fh.u16_at(2).unwrap_or(0);
                fragment = Some((fo & 0xfff8, fo & 1 == 1, fh.u32_at(4).unwrap_or(0)));
                nh = fh.u8_at(0).unwrap_or(59);
                p += 8;
            }
            _ => break,
        }
    }
    let reported = match (plen, jumbo_len) {
        (0, Some(j)) => j as usize,
        (0, None) if cx.in_error => data.len() - HEADER_LEN,
        (0, None) => data.len() - HEADER_LEN,
        (n, _) => n,
    };
    let end = (HEADER_LEN + reported)
        .min(data.len())
        .max(p.min(data.len()));
    let ip = Ipv6 {
        hdr,
        exts: data.get(HEADER_LEN..p.min(data.len())).unwrap_or(&[]),
        final_nxt: nh,
        fragment,
        in_error: cx.in_error,
    };
    cx.ip = Some(IpPseudo::V6(ip.src(), ip.dst()));
    cx.reported_len = Some(reported.saturating_sub(p - HEADER_LEN));
    let next = match fragment {
        Some((fo, more, _)) if fo != 0 || more => Next::Done,
        _ if nh == 59 => Next::Done,
        _ => Next::IpProto(nh),
    };
    let mut d = Dissected::new(Decoded::Ipv6(ip), p.min(data.len()), end, next);
    d.payload = p.min(end)..end;
    if let Some(e) = error {
        d = d.with_error(e);
    }
    Ok(Some(d))
}
