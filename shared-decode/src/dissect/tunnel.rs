//! Encapsulations: GRE (RFC 2784/2890, PPTP enhanced GRE RFC 2637), VXLAN (RFC 7348),
//! PPPoE sessions (RFC 2516) and PPP (RFC 1661), MPLS (RFC 3032), IPsec AH (RFC 4302) and
//! ESP (RFC 4303). Each hands its payload on, so inner packets are dissected like outer ones
//! (and a field such as `ip.src` then has two values, as in Wireshark).

use super::{emit, open, Be, Decoded, DissectCx, DissectResult, Dissected, Next};
use crate::error::{DecodeError, Layer};
use crate::field::{Base, FieldDef, FieldType, Sink, Span, Value};

/// `gre`.
pub static GRE: FieldDef = FieldDef::proto("gre", "Generic Routing Encapsulation");
/// `gre.flags_and_version`.
pub static GRE_FLAGS: FieldDef = FieldDef::new(
    "gre.flags_and_version",
    "Flags and Version",
    FieldType::UInt(16),
    Base::Hex,
);
/// `gre.flags.checksum`.
pub static GRE_FLAG_C: FieldDef = FieldDef::new(
    "gre.flags.checksum",
    "Checksum Bit",
    FieldType::Bool,
    Base::None,
)
.masked(0x8000);
/// `gre.flags.key`.
pub static GRE_FLAG_K: FieldDef =
    FieldDef::new("gre.flags.key", "Key Bit", FieldType::Bool, Base::None).masked(0x2000);
/// `gre.flags.sequence_number`.
pub static GRE_FLAG_S: FieldDef = FieldDef::new(
    "gre.flags.sequence_number",
    "Sequence Number Bit",
    FieldType::Bool,
    Base::None,
)
.masked(0x1000);
/// `gre.flags.version`.
pub static GRE_VERSION: FieldDef = FieldDef::new(
    "gre.flags.version",
    "Version",
    FieldType::UInt(16),
    Base::Dec,
)
.masked(0x0007);
/// `gre.proto`.
pub static GRE_PROTO: FieldDef =
    FieldDef::new("gre.proto", "Protocol Type", FieldType::UInt(16), Base::Hex)
        .named(super::ethernet::ETHERTYPES);
/// `gre.key`.
pub static GRE_KEY: FieldDef = FieldDef::new("gre.key", "Key", FieldType::UInt(32), Base::Hex);
/// `gre.sequence_number`.
pub static GRE_SEQ: FieldDef = FieldDef::new(
    "gre.sequence_number",
    "Sequence Number",
    FieldType::UInt(32),
    Base::Dec,
);
/// `vxlan`.
pub static VXLAN: FieldDef = FieldDef::proto("vxlan", "Virtual eXtensible Local Area Network");
/// `vxlan.flags`.
pub static VXLAN_FLAGS: FieldDef =
    FieldDef::new("vxlan.flags", "Flags", FieldType::UInt(16), Base::Hex);
/// `vxlan.vni`.
pub static VXLAN_VNI: FieldDef = FieldDef::new(
    "vxlan.vni",
    "VXLAN Network Identifier (VNI)",
    FieldType::UInt(24),
    Base::Dec,
);
/// `pppoes`.
pub static PPPOES: FieldDef = FieldDef::proto("pppoes", "PPP-over-Ethernet Session");
/// `pppoe.code`.
pub static PPPOE_CODE: FieldDef =
    FieldDef::new("pppoe.code", "Code", FieldType::UInt(8), Base::Hex);
/// `pppoe.session_id`.
pub static PPPOE_SESSION: FieldDef = FieldDef::new(
    "pppoe.session_id",
    "Session ID",
    FieldType::UInt(16),
    Base::Hex,
);
/// `pppoe.payload_length`.
pub static PPPOE_LEN: FieldDef = FieldDef::new(
    "pppoe.payload_length",
    "Payload Length",
    FieldType::UInt(16),
    Base::Dec,
);
/// `ppp`.
pub static PPP: FieldDef = FieldDef::proto("ppp", "Point-to-Point Protocol");
/// `ppp.protocol`.
pub static PPP_PROTOCOL: FieldDef =
    FieldDef::new("ppp.protocol", "Protocol", FieldType::UInt(16), Base::Hex).named(&[
        (0x0021, "Internet Protocol version 4"),
        (0x0057, "Internet Protocol version 6"),
        (0xc021, "Link Control Protocol"),
        (0x8021, "Internet Protocol Control Protocol"),
        (0x8057, "IPv6 Control Protocol"),
        (0xc023, "Password Authentication Protocol"),
        (0xc223, "Challenge Handshake Authentication Protocol"),
    ]);
/// `mpls`.
pub static MPLS: FieldDef = FieldDef::proto("mpls", "MultiProtocol Label Switching Header");
/// `mpls.label`.
pub static MPLS_LABEL: FieldDef =
    FieldDef::new("mpls.label", "MPLS Label", FieldType::UInt(32), Base::Dec).masked(0xffff_f000);
/// `mpls.exp`.
pub static MPLS_EXP: FieldDef = FieldDef::new(
    "mpls.exp",
    "MPLS Experimental Bits",
    FieldType::UInt(32),
    Base::Dec,
)
.masked(0xe00);
/// `mpls.bottom`.
pub static MPLS_BOTTOM: FieldDef = FieldDef::new(
    "mpls.bottom",
    "MPLS Bottom Of Label Stack",
    FieldType::UInt(32),
    Base::Dec,
)
.masked(0x100);
/// `mpls.ttl`.
pub static MPLS_TTL: FieldDef =
    FieldDef::new("mpls.ttl", "MPLS TTL", FieldType::UInt(32), Base::Dec).masked(0xff);
/// `ah`.
pub static AH: FieldDef = FieldDef::proto("ah", "Authentication Header");
/// `ah.spi`.
pub static AH_SPI: FieldDef = FieldDef::new("ah.spi", "AH SPI", FieldType::UInt(32), Base::Hex);
/// `ah.sequence`.
pub static AH_SEQ: FieldDef =
    FieldDef::new("ah.sequence", "AH Sequence", FieldType::UInt(32), Base::Dec);
/// `ah.next_header`.
pub static AH_NEXT: FieldDef = FieldDef::new(
    "ah.next_header",
    "Next header",
    FieldType::UInt(8),
    Base::Dec,
)
.named(super::ipv4::IP_PROTOCOLS);
/// `esp`.
pub static ESP: FieldDef = FieldDef::proto("esp", "Encapsulating Security Payload");
/// `esp.spi`.
pub static ESP_SPI: FieldDef = FieldDef::new("esp.spi", "ESP SPI", FieldType::UInt(32), Base::Hex);
/// `esp.sequence`.
pub static ESP_SEQ: FieldDef = FieldDef::new(
    "esp.sequence",
    "ESP Sequence",
    FieldType::UInt(32),
    Base::Dec,
);

/// `geneve`.
pub static GENEVE: FieldDef =
    FieldDef::proto("geneve", "Generic Network Virtualization Encapsulation");
/// `geneve.version`.
pub static GENEVE_VERSION: FieldDef =
    FieldDef::new("geneve.version", "Version", FieldType::UInt(8), Base::Dec).masked(0xc0);
/// `geneve.opt_len`.
pub static GENEVE_OPT_LEN: FieldDef = FieldDef::new(
    "geneve.opt_len",
    "Options length",
    FieldType::UInt(8),
    Base::Dec,
);
/// `geneve.proto_type`.
pub static GENEVE_PROTO: FieldDef = FieldDef::new(
    "geneve.proto_type",
    "Protocol Type",
    FieldType::UInt(16),
    Base::Hex,
)
.named(super::ethernet::ETHERTYPES);
/// `geneve.vni`.
pub static GENEVE_VNI: FieldDef = FieldDef::new(
    "geneve.vni",
    "Virtual Network Identifier (VNI)",
    FieldType::UInt(24),
    Base::HexDec,
);
/// `lisp-data`.
pub static LISP_DATA: FieldDef =
    FieldDef::proto("lisp-data", "Locator/ID Separation Protocol (Data)");
/// `lisp-data.flags`.
pub static LISP_FLAGS: FieldDef =
    FieldDef::new("lisp-data.flags", "Flags", FieldType::UInt(8), Base::Hex);
/// `teredo`.
pub static TEREDO: FieldDef = FieldDef::proto("teredo", "Teredo IPv6 over UDP tunneling");

/// Fields of this module.
pub static FIELDS: &[&FieldDef] = &[
    &GENEVE,
    &GENEVE_VERSION,
    &GENEVE_OPT_LEN,
    &GENEVE_PROTO,
    &GENEVE_VNI,
    &LISP_DATA,
    &LISP_FLAGS,
    &TEREDO,
    &GRE,
    &GRE_FLAGS,
    &GRE_FLAG_C,
    &GRE_FLAG_K,
    &GRE_FLAG_S,
    &GRE_VERSION,
    &GRE_PROTO,
    &GRE_KEY,
    &GRE_SEQ,
    &VXLAN,
    &VXLAN_FLAGS,
    &VXLAN_VNI,
    &PPPOES,
    &PPPOE_CODE,
    &PPPOE_SESSION,
    &PPPOE_LEN,
    &PPP,
    &PPP_PROTOCOL,
    &MPLS,
    &MPLS_LABEL,
    &MPLS_EXP,
    &MPLS_BOTTOM,
    &MPLS_TTL,
    &AH,
    &AH_SPI,
    &AH_SEQ,
    &AH_NEXT,
    &ESP,
    &ESP_SPI,
    &ESP_SEQ,
];

/// A GRE header.
#[derive(Clone, Debug)]
pub struct Gre<'a> {
    /// Header bytes including optional fields.
    pub hdr: &'a [u8],
}

impl<'a> Gre<'a> {
    /// Flags and version word.
    pub fn flags(&self) -> u16 {
        self.hdr.u16_at(0).unwrap_or(0)
    }
    /// Protocol type.
    pub fn proto(&self) -> u16 {
        self.hdr.u16_at(2).unwrap_or(0)
    }

    pub(crate) fn emit(&self, off: usize, sink: &mut dyn Sink<'a>) {
        let f = self.flags();
        let p = self.proto();
        open!(
            sink,
            &GRE,
            Value::None,
            Span::new(off, self.hdr.len()),
            "Generic Routing Encapsulation ({})",
            GRE_PROTO.value_name(u64::from(p)).unwrap_or("Unknown")
        );
        open!(
            sink,
            &GRE_FLAGS,
            Value::UInt(u64::from(f)),
            Span::new(off, 2)
        );
        emit!(
            sink,
            &GRE_FLAG_C,
            Value::Bool(f & 0x8000 != 0),
            Span::new(off, 2)
        );
        emit!(
            sink,
            &GRE_FLAG_K,
            Value::Bool(f & 0x2000 != 0),
            Span::new(off, 2)
        );
        emit!(
            sink,
            &GRE_FLAG_S,
            Value::Bool(f & 0x1000 != 0),
            Span::new(off, 2)
        );
        emit!(
            sink,
            &GRE_VERSION,
            Value::UInt(u64::from(f & 7)),
            Span::new(off, 2)
        );
        sink.close();
        emit!(
            sink,
            &GRE_PROTO,
            Value::UInt(u64::from(p)),
            Span::new(off + 2, 2)
        );
        let mut o = 4;
        if f & 0x8000 != 0 {
            o += 4;
        }
        if f & 0x2000 != 0 {
            if let Some(k) = self.hdr.u32_at(o) {
                emit!(
                    sink,
                    &GRE_KEY,
                    Value::UInt(u64::from(k)),
                    Span::new(off + o, 4)
                );
            }
            o += 4;
        }
        if f & 0x1000 != 0 {
            if let Some(s) = self.hdr.u32_at(o) {
                emit!(
                    sink,
                    &GRE_SEQ,
                    Value::UInt(u64::from(s)),
                    Span::new(off + o, 4)
                );
            }
        }
        sink.close();
    }
}

/// Dissects GRE.
pub fn dissect_gre<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    let f = data
        .u16_at(0)
        .ok_or_else(|| DecodeError::truncated(Layer::Gre, off, 4, data.len()))?;
    let proto = data
        .u16_at(2)
        .ok_or_else(|| DecodeError::truncated(Layer::Gre, off, 4, data.len()))?;
    let version = f & 7;
    let mut hl = 4;
    if f & 0x8000 != 0 || (f & 0x4000 != 0 && version == 0) {
        hl += 4;
    }
    if f & 0x2000 != 0 {
        hl += 4;
    }
    if f & 0x1000 != 0 {
        hl += 4;
    }
    if version == 1 && f & 0x0080 != 0 {
        hl += 4; // acknowledgment number (PPTP)
    }
    let Some(hdr) = data.get(..hl) else {
        return Err(DecodeError::truncated(Layer::Gre, off, hl, data.len()));
    };
    let next = match proto {
        0x880b => Next::Layer(Layer::Ppp),
        p => Next::Ethertype(p),
    };
    Ok(Some(Dissected::new(
        Decoded::Gre(Gre { hdr }),
        hl,
        data.len(),
        next,
    )))
}

/// A VXLAN header.
#[derive(Clone, Debug)]
pub struct Vxlan<'a> {
    /// The 8 header bytes.
    pub hdr: &'a [u8],
}

impl<'a> Vxlan<'a> {
    /// VXLAN network identifier.
    pub fn vni(&self) -> u32 {
        self.hdr.u24_at(4).unwrap_or(0)
    }

    pub(crate) fn emit(&self, off: usize, sink: &mut dyn Sink<'a>) {
        open!(
            sink,
            &VXLAN,
            Value::None,
            Span::new(off, 8),
            "Virtual eXtensible Local Area Network"
        );
        emit!(
            sink,
            &VXLAN_FLAGS,
            Value::UInt(u64::from(self.hdr.u16_at(0).unwrap_or(0))),
            Span::new(off, 2)
        );
        emit!(
            sink,
            &VXLAN_VNI,
            Value::UInt(u64::from(self.vni())),
            Span::new(off + 4, 3)
        );
        sink.close();
    }
}

/// Dissects VXLAN (UDP port 4789): an Ethernet frame follows.
pub fn dissect_vxlan<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    let Some(hdr) = data.get(..8) else {
        return Err(DecodeError::truncated(Layer::Vxlan, off, 8, data.len()));
    };
    Ok(Some(Dissected::new(
        Decoded::Vxlan(Vxlan { hdr }),
        8,
        data.len(),
        Next::Layer(Layer::Ethernet),
    )))
}

/// A PPPoE session header.
#[derive(Clone, Debug)]
pub struct Pppoe<'a> {
    /// The 6 header bytes.
    pub hdr: &'a [u8],
}

impl<'a> Pppoe<'a> {
    pub(crate) fn emit(&self, off: usize, sink: &mut dyn Sink<'a>) {
        open!(
            sink,
            &PPPOES,
            Value::None,
            Span::new(off, 6),
            "PPP-over-Ethernet Session"
        );
        emit!(
            sink,
            &PPPOE_CODE,
            Value::UInt(u64::from(self.hdr.u8_at(1).unwrap_or(0))),
            Span::new(off + 1, 1)
        );
        emit!(
            sink,
            &PPPOE_SESSION,
            Value::UInt(u64::from(self.hdr.u16_at(2).unwrap_or(0))),
            Span::new(off + 2, 2)
        );
        emit!(
            sink,
            &PPPOE_LEN,
            Value::UInt(u64::from(self.hdr.u16_at(4).unwrap_or(0))),
            Span::new(off + 4, 2)
        );
        sink.close();
    }
}

/// Dissects a PPPoE session header (ethertype 0x8864); PPP without address/control follows.
pub fn dissect_pppoe<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    let Some(hdr) = data.get(..6) else {
        return Err(DecodeError::truncated(Layer::Pppoe, off, 6, data.len()));
    };
    let len = usize::from(hdr.u16_at(4).unwrap_or(0));
    let end = (6 + len).min(data.len());
    let mut d = Dissected::new(
        Decoded::Pppoe(Pppoe { hdr }),
        6,
        end,
        Next::Layer(Layer::Ppp),
    );
    d.payload = 6..end;
    Ok(Some(d))
}

/// A PPP header (just the protocol number).
#[derive(Clone, Debug)]
pub struct Ppp {
    /// Protocol.
    pub protocol: u16,
    /// Header length (1-4 bytes).
    pub len: usize,
}

impl Ppp {
    pub(crate) fn emit<'a>(&self, off: usize, sink: &mut dyn Sink<'a>) {
        open!(
            sink,
            &PPP,
            Value::None,
            Span::new(off, self.len),
            "Point-to-Point Protocol"
        );
        emit!(
            sink,
            &PPP_PROTOCOL,
            Value::UInt(u64::from(self.protocol)),
            Span::new(off + self.len.saturating_sub(2), 2)
        );
        sink.close();
    }
}

/// Dissects PPP (optional 0xff 0x03 address/control, then a 1- or 2-byte protocol).
pub fn dissect_ppp<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    let mut p = 0;
    if data.starts_with(&[0xff, 0x03]) {
        p = 2;
    }
    let Some(b) = data.u8_at(p) else {
        return Err(DecodeError::truncated(Layer::Ppp, off, p + 1, data.len()));
    };
    let (protocol, len) = if b & 1 == 1 {
        (u16::from(b), p + 1)
    } else {
        let Some(v) = data.u16_at(p) else {
            return Err(DecodeError::truncated(Layer::Ppp, off, p + 2, data.len()));
        };
        (v, p + 2)
    };
    let next = match protocol {
        0x0021 => Next::Ethertype(0x0800),
        0x0057 => Next::Ethertype(0x86dd),
        _ => Next::Done,
    };
    Ok(Some(Dissected::new(
        Decoded::Ppp(Ppp { protocol, len }),
        len,
        data.len(),
        next,
    )))
}

/// An MPLS label stack.
#[derive(Clone, Debug)]
pub struct Mpls<'a> {
    /// The label stack entries (4 bytes each).
    pub stack: &'a [u8],
}

impl<'a> Mpls<'a> {
    pub(crate) fn emit(&self, off: usize, sink: &mut dyn Sink<'a>) {
        for (i, e) in self.stack.chunks_exact(4).enumerate() {
            let v = u64::from(e.u32_at(0).unwrap_or(0));
            let o = off + i * 4;
            open!(
                sink,
                &MPLS,
                Value::None,
                Span::new(o, 4),
                "MultiProtocol Label Switching Header, Label: {}, Exp: {}, S: {}, TTL: {}",
                v >> 12,
                (v >> 9) & 7,
                (v >> 8) & 1,
                v & 0xff
            );
            emit!(sink, &MPLS_LABEL, Value::UInt(v >> 12), Span::new(o, 4));
            emit!(sink, &MPLS_EXP, Value::UInt((v >> 9) & 7), Span::new(o, 4));
            emit!(
                sink,
                &MPLS_BOTTOM,
                Value::UInt((v >> 8) & 1),
                Span::new(o, 4)
            );
            emit!(sink, &MPLS_TTL, Value::UInt(v & 0xff), Span::new(o, 4));
            sink.close();
        }
    }
}

/// Dissects an MPLS label stack; after the bottom label the first nibble picks IPv4/IPv6.
pub fn dissect_mpls<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    let mut p = 0;
    // Terminates: p grows by 4 each step and is bounded by the data and 16 labels.
    loop {
        let Some(e) = data.u32_at(p) else {
            return Err(DecodeError::truncated(
                Layer::Mpls,
                off + p,
                4,
                data.len().saturating_sub(p),
            ));
        };
        p += 4;
        if e & 0x100 != 0 || p >= 64 {
            break;
        }
    }
    let next = match data.u8_at(p).map(|b| b >> 4) {
        Some(4) => Next::Ethertype(0x0800),
        Some(6) => Next::Ethertype(0x86dd),
        _ => Next::Done,
    };
    let stack = data.get(..p).unwrap_or(&[]);
    Ok(Some(Dissected::new(
        Decoded::Mpls(Mpls { stack }),
        p,
        data.len(),
        next,
    )))
}

/// An IPsec Authentication Header or ESP header.
#[derive(Clone, Debug)]
pub struct Ipsec<'a> {
    /// Header bytes.
    pub hdr: &'a [u8],
    /// ESP (true) or AH (false).
    pub esp: bool,
}

impl<'a> Ipsec<'a> {
    /// Security parameters index.
    pub fn spi(&self) -> u32 {
        self.hdr.u32_at(if self.esp { 0 } else { 4 }).unwrap_or(0)
    }
    /// Sequence number.
    pub fn sequence(&self) -> u32 {
        self.hdr.u32_at(if self.esp { 4 } else { 8 }).unwrap_or(0)
    }

    pub(crate) fn emit(&self, off: usize, sink: &mut dyn Sink<'a>) {
        if self.esp {
            open!(
                sink,
                &ESP,
                Value::None,
                Span::new(off, self.hdr.len()),
                "Encapsulating Security Payload"
            );
            emit!(
                sink,
                &ESP_SPI,
                Value::UInt(u64::from(self.spi())),
                Span::new(off, 4)
            );
            emit!(
                sink,
                &ESP_SEQ,
                Value::UInt(u64::from(self.sequence())),
                Span::new(off + 4, 4)
            );
        } else {
            open!(
                sink,
                &AH,
                Value::None,
                Span::new(off, self.hdr.len()),
                "Authentication Header"
            );
            emit!(
                sink,
                &AH_NEXT,
                Value::UInt(u64::from(self.hdr.u8_at(0).unwrap_or(0))),
                Span::new(off, 1)
            );
            emit!(
                sink,
                &AH_SPI,
                Value::UInt(u64::from(self.spi())),
                Span::new(off + 4, 4)
            );
            emit!(
                sink,
                &AH_SEQ,
                Value::UInt(u64::from(self.sequence())),
                Span::new(off + 8, 4)
            );
        }
        sink.close();
    }
}

/// Dissects AH: the next header follows the integrity check value.
pub fn dissect_ah<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    let (Some(nh), Some(l)) = (data.u8_at(0), data.u8_at(1)) else {
        return Err(DecodeError::truncated(Layer::Ah, off, 12, data.len()));
    };
    let hl = (usize::from(l) + 2) * 4;
    let Some(hdr) = data.get(..hl) else {
        return Err(DecodeError::truncated(Layer::Ah, off, hl, data.len()));
    };
    Ok(Some(Dissected::new(
        Decoded::Ipsec(Ipsec { hdr, esp: false }),
        hl,
        data.len(),
        Next::IpProto(nh),
    )))
}

/// Dissects ESP: SPI and sequence; the rest is encrypted.
pub fn dissect_esp<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    let Some(hdr) = data.get(..8) else {
        return Err(DecodeError::truncated(Layer::Esp, off, 8, data.len()));
    };
    Ok(Some(Dissected::new(
        Decoded::Ipsec(Ipsec { hdr, esp: true }),
        8,
        data.len(),
        Next::Done,
    )))
}

/// Which simple encapsulation a [`Shim`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShimKind {
    /// Geneve (RFC 8926, UDP 6081).
    Geneve,
    /// LISP data plane (RFC 9300, UDP 4341).
    LispData,
    /// Teredo (RFC 4380, UDP 3544).
    Teredo,
}

impl ShimKind {
    /// The layer.
    pub fn layer(self) -> Layer {
        match self {
            ShimKind::Geneve => Layer::Geneve,
            ShimKind::LispData => Layer::LispData,
            ShimKind::Teredo => Layer::Teredo,
        }
    }
}

/// A small encapsulation header in front of an inner packet.
#[derive(Clone, Debug)]
pub struct Shim<'a> {
    /// Which one.
    pub kind: ShimKind,
    /// Header bytes.
    pub hdr: &'a [u8],
}

impl<'a> Shim<'a> {
    pub(crate) fn emit(&self, off: usize, sink: &mut dyn Sink<'a>) {
        let h = self.hdr;
        match self.kind {
            ShimKind::Geneve => {
                open!(
                    sink,
                    &GENEVE,
                    Value::None,
                    Span::new(off, h.len()),
                    "Generic Network Virtualization Encapsulation, VNI: 0x{:06x}",
                    h.u24_at(4).unwrap_or(0)
                );
                emit!(
                    sink,
                    &GENEVE_VERSION,
                    Value::UInt(u64::from(h.u8_at(0).unwrap_or(0) >> 6)),
                    Span::new(off, 1)
                );
                emit!(
                    sink,
                    &GENEVE_OPT_LEN,
                    Value::UInt(u64::from(h.u8_at(0).unwrap_or(0) & 0x3f) * 4),
                    Span::new(off, 1)
                );
                emit!(
                    sink,
                    &GENEVE_PROTO,
                    Value::UInt(u64::from(h.u16_at(2).unwrap_or(0))),
                    Span::new(off + 2, 2)
                );
                emit!(
                    sink,
                    &GENEVE_VNI,
                    Value::UInt(u64::from(h.u24_at(4).unwrap_or(0))),
                    Span::new(off + 4, 3)
                );
            }
            ShimKind::LispData => {
                open!(
                    sink,
                    &LISP_DATA,
                    Value::None,
                    Span::new(off, h.len()),
                    "Locator/ID Separation Protocol (Data)"
                );
                emit!(
                    sink,
                    &LISP_FLAGS,
                    Value::UInt(u64::from(h.u8_at(0).unwrap_or(0))),
                    Span::new(off, 1)
                );
            }
            ShimKind::Teredo => {
                open!(
                    sink,
                    &TEREDO,
                    Value::None,
                    Span::new(off, h.len()),
                    "Teredo IPv6 over UDP tunneling"
                );
            }
        }
        sink.close();
    }
}

/// Geneve: 8 bytes plus options, then the protocol type's payload.
pub fn dissect_geneve<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    let (Some(b0), Some(proto)) = (data.u8_at(0), data.u16_at(2)) else {
        return Err(DecodeError::truncated(Layer::Geneve, off, 8, data.len()));
    };
    if b0 >> 6 != 0 {
        return Ok(None);
    }
    let hl = 8 + usize::from(b0 & 0x3f) * 4;
    let Some(hdr) = data.get(..hl) else {
        return Err(DecodeError::truncated(Layer::Geneve, off, hl, data.len()));
    };
    let next = match proto {
        0x6558 => Next::Layer(Layer::Ethernet),
        p => Next::Ethertype(p),
    };
    Ok(Some(Dissected::new(
        Decoded::Shim(Shim {
            kind: ShimKind::Geneve,
            hdr,
        }),
        hl,
        data.len(),
        next,
    )))
}

/// LISP data: an 8-byte header, then an IPv4 or IPv6 packet.
pub fn dissect_lisp_data<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    let Some(hdr) = data.get(..8) else {
        return Err(DecodeError::truncated(Layer::LispData, off, 8, data.len()));
    };
    let next = match data.u8_at(8).map(|b| b >> 4) {
        Some(4) => Next::Ethertype(0x0800),
        Some(6) => Next::Ethertype(0x86dd),
        _ => Next::Done,
    };
    Ok(Some(Dissected::new(
        Decoded::Shim(Shim {
            kind: ShimKind::LispData,
            hdr,
        }),
        8,
        data.len(),
        next,
    )))
}

/// Teredo: optional authentication (type 0x0001) and origin indication (0x0000) headers,
/// then an IPv6 packet.
pub fn dissect_teredo<'a>(data: &'a [u8], _off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    let mut p = 0;
    if data.u16_at(0) == Some(1) {
        let id = usize::from(data.u8_at(2).unwrap_or(0));
        let au = usize::from(data.u8_at(3).unwrap_or(0));
        p += 4 + id + au + 9;
    }
    if data.u16_at(p) == Some(0) {
        p += 8;
    }
    if data.u8_at(p).map(|b| b >> 4) != Some(6) || data.len() < p + 40 {
        return Ok(None);
    }
    let hdr = data.get(..p).unwrap_or(&[]);
    Ok(Some(Dissected::new(
        Decoded::Shim(Shim {
            kind: ShimKind::Teredo,
            hdr,
        }),
        p,
        data.len(),
        Next::Ethertype(0x86dd),
    )))
}
