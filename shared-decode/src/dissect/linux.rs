//! Link layers without Ethernet: Linux cooked capture v1/v2 (SLL, SLL2), BSD null/loopback,
//! raw IP, and Linux NFLOG.
//!
//! Specs: <https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html>,
//! <https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html>,
//! <https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html>,
//! <https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html>.

use super::{emit, open, Be, Decoded, DissectCx, DissectResult, Dissected, Next};
use crate::error::{DecodeError, Layer};
use crate::field::{Base, FieldDef, FieldType, Sink, Span, Value};

/// SLL packet types.
pub static PKTTYPES: &[(u64, &str)] = &[
    (0, "Unicast to us"),
    (1, "Broadcast"),
    (2, "Multicast"),
    (3, "Unicast to another host"),
    (4, "Sent by us"),
];

/// `sll`.
pub static SLL: FieldDef = FieldDef::proto("sll", "Linux cooked capture");
/// `sll.pkttype`.
pub static PKTTYPE: FieldDef =
    FieldDef::new("sll.pkttype", "Packet type", FieldType::UInt(16), Base::Dec).named(PKTTYPES);
/// `sll.hatype`.
pub static HATYPE: FieldDef = FieldDef::new(
    "sll.hatype",
    "Link-layer address type",
    FieldType::UInt(16),
    Base::Dec,
);
/// `sll.halen`.
pub static HALEN: FieldDef = FieldDef::new(
    "sll.halen",
    "Link-layer address length",
    FieldType::UInt(16),
    Base::Dec,
);
/// `sll.src.eth`.
pub static SRC_ETH: FieldDef = FieldDef::new("sll.src.eth", "Source", FieldType::Ether, Base::None);
/// `sll.src.other`.
pub static SRC_OTHER: FieldDef =
    FieldDef::new("sll.src.other", "Source", FieldType::Bytes, Base::None);
/// `sll.unused`.
pub static UNUSED: FieldDef = FieldDef::new("sll.unused", "Unused", FieldType::Bytes, Base::None);
/// `sll.etype`.
pub static ETYPE: FieldDef = FieldDef::new("sll.etype", "Protocol", FieldType::UInt(16), Base::Hex)
    .named(super::ethernet::ETHERTYPES);
/// `sll.ltype`.
pub static LTYPE: FieldDef = FieldDef::new("sll.ltype", "Protocol", FieldType::UInt(16), Base::Hex);
/// `sll.ifindex`.
pub static IFINDEX: FieldDef = FieldDef::new(
    "sll.ifindex",
    "Interface index",
    FieldType::UInt(32),
    Base::Dec,
);
/// `sll.reserved`.
pub static RESERVED: FieldDef =
    FieldDef::new("sll.reserved", "Reserved", FieldType::UInt(16), Base::Hex);
/// `null`.
pub static NULL: FieldDef = FieldDef::proto("null", "Null/Loopback");
/// `null.family`.
pub static FAMILY: FieldDef =
    FieldDef::new("null.family", "Family", FieldType::UInt(32), Base::Dec).named(&[
        (2, "IP"),
        (10, "IPv6 (Linux)"),
        (24, "IPv6"),
        (28, "IPv6 (FreeBSD)"),
        (30, "IPv6 (Darwin)"),
    ]);
/// `nflog`.
pub static NFLOG: FieldDef = FieldDef::proto("nflog", "Linux Netfilter NFLOG");
/// `nflog.family`.
pub static NFLOG_FAMILY: FieldDef =
    FieldDef::new("nflog.family", "Family", FieldType::UInt(8), Base::Dec);
/// `nflog.version`.
pub static NFLOG_VERSION: FieldDef =
    FieldDef::new("nflog.version", "Version", FieldType::UInt(8), Base::Dec);
/// `nflog.res_id`.
pub static NFLOG_RES_ID: FieldDef = FieldDef::new(
    "nflog.res_id",
    "Resource id",
    FieldType::UInt(16),
    Base::Dec,
);
/// `nflog.prefix`.
pub static NFLOG_PREFIX: FieldDef =
    FieldDef::new("nflog.prefix", "Prefix", FieldType::Str, Base::None);

/// Fields of this module.
pub static FIELDS: &[&FieldDef] = &[
    &SLL,
    &PKTTYPE,
    &HATYPE,
    &HALEN,
    &SRC_ETH,
    &SRC_OTHER,
    &UNUSED,
    &ETYPE,
    &LTYPE,
    &IFINDEX,
    &RESERVED,
    &NULL,
    &FAMILY,
    &NFLOG,
    &NFLOG_FAMILY,
    &NFLOG_VERSION,
    &NFLOG_RES_ID,
    &NFLOG_PREFIX,
];

/// A Linux cooked-capture header (v1: 16 bytes, v2: 20 bytes).
#[derive(Clone, Debug)]
pub struct Sll<'a> {
    /// Header bytes.
    pub hdr: &'a [u8],
    /// SLL2 layout.
    pub v2: bool,
}

impl<'a> Sll<'a> {
    /// Packet type (0 = to us, 4 = sent by us, ...).
    pub fn pkttype(&self) -> u16 {
        if self.v2 {
            u16::from(self.hdr.u8_at(10).unwrap_or(0))
        } else {
            self.hdr.u16_at(0).unwrap_or(0)
        }
    }
    /// ARPHRD_* type.
    pub fn hatype(&self) -> u16 {
        self.hdr.u16_at(if self.v2 { 8 } else { 2 }).unwrap_or(0)
    }
    /// Address length.
    pub fn halen(&self) -> u16 {
        if self.v2 {
            u16::from(self.hdr.u8_at(11).unwrap_or(0))
        } else {
            self.hdr.u16_at(4).unwrap_or(0)
        }
    }
    /// Protocol (ethertype, or 1/4 for 802.3/802.2).
    pub fn protocol(&self) -> u16 {
        self.hdr.u16_at(if self.v2 { 0 } else { 14 }).unwrap_or(0)
    }
    /// Interface index (SLL2 only).
    pub fn ifindex(&self) -> Option<u32> {
        if self.v2 {
            self.hdr.u32_at(4)
        } else {
            None
        }
    }
    /// The source link-layer address (up to 8 bytes).
    pub fn addr(&self) -> &'a [u8] {
        let start = if self.v2 { 12 } else { 6 };
        let n = usize::from(self.halen()).min(8);
        self.hdr.get(start..start + n).unwrap_or(&[])
    }

    pub(crate) fn emit(&self, off: usize, sink: &mut dyn Sink<'a>) {
        let hl = self.hdr.len();
        open!(
            sink,
            &SLL,
            Value::None,
            Span::new(off, hl),
            "{}",
            if self.v2 {
                "Linux cooked capture v2"
            } else {
                "Linux cooked capture v1"
            }
        );
        let p = self.protocol();
        let (pk, ha, hl_off, ad) = if self.v2 {
            (10, 8, 11, 12)
        } else {
            (0, 2, 4, 6)
        };
        if self.v2 {
            emit!(sink, &ETYPE, Value::UInt(u64::from(p)), Span::new(off, 2));
            emit!(
                sink,
                &RESERVED,
                Value::UInt(u64::from(self.hdr.u16_at(2).unwrap_or(0))),
                Span::new(off + 2, 2)
            );
            emit!(
                sink,
                &IFINDEX,
                Value::UInt(u64::from(self.ifindex().unwrap_or(0))),
                Span::new(off + 4, 4)
            );
        }
        emit!(
            sink,
            &HATYPE,
            Value::UInt(u64::from(self.hatype())),
            Span::new(off + ha, 2)
        );
        emit!(
            sink,
            &PKTTYPE,
            Value::UInt(u64::from(self.pkttype())),
            Span::new(off + pk, if self.v2 { 1 } else { 2 })
        );
        emit!(
            sink,
            &HALEN,
            Value::UInt(u64::from(self.halen())),
            Span::new(off + hl_off, if self.v2 { 1 } else { 2 })
        );
        let addr = self.addr();
        if let Ok(mac) = <[u8; 6]>::try_from(addr) {
            emit!(sink, &SRC_ETH, Value::Ether(mac), Span::new(off + ad, 6));
        } else if !addr.is_empty() {
            emit!(
                sink,
                &SRC_OTHER,
                Value::Bytes(addr),
                Span::new(off + ad, addr.len())
            );
        }
        if addr.len() < 8 {
            if let Some(u) = self.hdr.get(ad + addr.len()..ad + 8) {
                emit!(
                    sink,
                    &UNUSED,
                    Value::Bytes(u),
                    Span::new(off + ad + addr.len(), u.len())
                );
            }
        }
        if !self.v2 {
            if p <= 1500 {
                emit!(
                    sink,
                    &LTYPE,
                    Value::UInt(u64::from(p)),
                    Span::new(off + 14, 2)
                );
            } else {
                emit!(
                    sink,
                    &ETYPE,
                    Value::UInt(u64::from(p)),
                    Span::new(off + 14, 2)
                );
            }
        }
        sink.close();
    }
}

fn sll_next(proto: u16) -> Next {
    match proto {
        // LINUX_SLL_P_802_2: an LLC header follows.
        4 => Next::Layer(Layer::Llc),
        p if p > 1500 => Next::Ethertype(p),
        _ => Next::Done,
    }
}

/// Dissects a Linux cooked v1 header.
pub fn dissect_sll<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    let Some(hdr) = data.get(..16) else {
        return Err(DecodeError::truncated(Layer::Sll, off, 16, data.len()));
    };
    let s = Sll { hdr, v2: false };
    let next = sll_next(s.protocol());
    Ok(Some(Dissected::new(Decoded::Sll(s), 16, data.len(), next)))
}

/// Dissects a Linux cooked v2 header.
pub fn dissect_sll2<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    let Some(hdr) = data.get(..20) else {
        return Err(DecodeError::truncated(Layer::Sll2, off, 20, data.len()));
    };
    let s = Sll { hdr, v2: true };
    let next = sll_next(s.protocol());
    Ok(Some(Dissected::new(Decoded::Sll(s), 20, data.len(), next)))
}

/// A BSD null/loopback header: the address family.
#[derive(Clone, Debug)]
pub struct Null {
    /// Address family (AF_INET = 2, AF_INET6 = 10/24/28/30).
    pub family: u32,
}

impl Null {
    pub(crate) fn emit<'a>(&self, off: usize, sink: &mut dyn Sink<'a>) {
        open!(sink, &NULL, Value::None, Span::new(off, 4), "Null/Loopback");
        emit!(
            sink,
            &FAMILY,
            Value::UInt(u64::from(self.family)),
            Span::new(off, 4)
        );
        sink.close();
    }
}

fn family_next(family: u32) -> Next {
    match family {
        2 => Next::Ethertype(0x0800),
        10 | 24 | 28 | 30 => Next::Ethertype(0x86dd),
        // Some captures put an ethertype here instead of an address family (Wireshark
        // accepts it too).
        t @ 1501..=0xffff => Next::Ethertype(t as u16),
        _ => Next::Done,
    }
}

/// Dissects LINKTYPE_NULL (family in the capturing host's byte order: we take whichever
/// order gives a small number, as Wireshark does).
pub fn dissect_null<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    let Some(b) = data.arr::<4>(0) else {
        return Err(DecodeError::truncated(Layer::Null, off, 4, data.len()));
    };
    let le = u32::from_le_bytes(b);
    let mut family = if le & 0xffff_0000 != 0 {
        u32::from_be_bytes(b)
    } else {
        le
    };
    if family > 0xffff {
        // Neither order gives a family: some writers put an ethertype in the last two bytes.
        family = u32::from(u16::from_be_bytes([b[2], b[3]]));
    }
    Ok(Some(Dissected::new(
        Decoded::Null(Null { family }),
        4,
        data.len(),
        family_next(family),
    )))
}

/// Dissects LINKTYPE_LOOP (family in network byte order).
pub fn dissect_loop<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    let Some(family) = data.u32_at(0) else {
        return Err(DecodeError::truncated(Layer::Null, off, 4, data.len()));
    };
    Ok(Some(Dissected::new(
        Decoded::Null(Null { family }),
        4,
        data.len(),
        family_next(family),
    )))
}

/// Raw IP: the version nibble picks IPv4 or IPv6. Not a layer of its own.
pub fn dissect_raw<'a>(data: &'a [u8], off: usize, cx: &mut DissectCx) -> DissectResult<'a> {
    match data.first().map(|b| b >> 4) {
        Some(6) => super::ipv6::dissect(data, off, cx),
        _ => super::ipv4::dissect(data, off, cx),
    }
}

/// An NFLOG header with its TLVs.
#[derive(Clone, Debug)]
pub struct Nflog<'a> {
    /// Header and TLVs up to the payload.
    pub hdr: &'a [u8],
    /// `NFULA_PREFIX`, when present.
    pub prefix: Option<&'a [u8]>,
}

impl<'a> Nflog<'a> {
    pub(crate) fn emit(&self, off: usize, sink: &mut dyn Sink<'a>) {
        open!(
            sink,
            &NFLOG,
            Value::None,
            Span::new(off, self.hdr.len()),
            "Linux Netfilter NFLOG"
        );
        if let Some(v) = self.hdr.u8_at(0) {
            emit!(
                sink,
                &NFLOG_FAMILY,
                Value::UInt(u64::from(v)),
                Span::new(off, 1)
            );
        }
        if let Some(v) = self.hdr.u8_at(1) {
            emit!(
                sink,
                &NFLOG_VERSION,
                Value::UInt(u64::from(v)),
                Span::new(off + 1, 1)
            );
        }
        if let Some(v) = self.hdr.u16_at(2) {
            emit!(
                sink,
                &NFLOG_RES_ID,
                Value::UInt(u64::from(v)),
                Span::new(off + 2, 2)
            );
        }
        if let Some(p) = self.prefix {
            let end = p.iter().position(|&b| b == 0).unwrap_or(p.len());
            let s = String::from_utf8_lossy(p.get(..end).unwrap_or(&[]));
            emit!(sink, &NFLOG_PREFIX, Value::Str(s), Span::NONE);
        }
        sink.close();
    }
}

/// Dissects NFLOG: a 4-byte header then TLVs (length and type in host byte order, which is
/// little-endian on every platform Wireshark has seen); `NFULA_PAYLOAD` (9) holds the packet.
pub fn dissect_nflog<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    if data.len() < 4 {
        return Err(DecodeError::truncated(Layer::Nflog, off, 4, data.len()));
    }
    let family = data.u8_at(0).unwrap_or(0);
    let mut p = 4usize;
    let mut prefix = None;
    // Terminates: every TLV advances p by at least 4 bytes.
    while let Some(tl) = data.arr::<4>(p) {
        let len = usize::from(u16::from_le_bytes([tl[0], tl[1]]));
        let typ = u16::from_le_bytes([tl[2], tl[3]]) & 0x7fff;
        if len < 4 {
            break;
        }
        let value = data.get(p + 4..(p + len).min(data.len())).unwrap_or(&[]);
        if typ == 10 {
            prefix = Some(value);
        }
        if typ == 9 {
            let n = Nflog {
                hdr: data.get(..p + 4).unwrap_or(&[]),
                prefix,
            };
            let next = match family {
                2 => Next::Ethertype(0x0800),
                10 => Next::Ethertype(0x86dd),
                _ => Next::Done,
            };
            let mut d = Dissected::new(Decoded::Nflog(n), p + 4, data.len(), next);
            d.payload = (p + 4).min(data.len())..(p + len).min(data.len());
            return Ok(Some(d));
        }
        p += (len + 3) & !3;
    }
    let n = Nflog { hdr: data, prefix };
    Ok(Some(Dissected::new(
        Decoded::Nflog(n),
        data.len(),
        data.len(),
        Next::Done,
    )))
}
