//! ARP and RARP (RFC 826, RFC 903). Any hardware/protocol address sizes; Ethernet/IPv4
//! addresses get typed fields.

use super::{emit, open, Be, Decoded, DissectCx, DissectResult, Dissected, Next};
use crate::error::{DecodeError, Layer};
use crate::field::{Base, FieldDef, FieldType, Sink, Span, Value};
use crate::text::{push_ipv4, push_mac};

/// Opcode names.
pub static OPCODES: &[(u64, &str)] = &[
    (1, "request"),
    (2, "reply"),
    (3, "reverse request"),
    (4, "reverse reply"),
    (8, "inverse request"),
    (9, "inverse reply"),
];

/// `arp`.
pub static ARP: FieldDef = FieldDef::proto("arp", "Address Resolution Protocol");
/// `arp.hw.type`.
pub static HW_TYPE: FieldDef = FieldDef::new(
    "arp.hw.type",
    "Hardware type",
    FieldType::UInt(16),
    Base::Dec,
)
.named(&[(1, "Ethernet")]);
/// `arp.proto.type`.
pub static PROTO_TYPE: FieldDef = FieldDef::new(
    "arp.proto.type",
    "Protocol type",
    FieldType::UInt(16),
    Base::Hex,
)
.named(super::ethernet::ETHERTYPES);
/// `arp.hw.size`.
pub static HW_SIZE: FieldDef = FieldDef::new(
    "arp.hw.size",
    "Hardware size",
    FieldType::UInt(8),
    Base::Dec,
);
/// `arp.proto.size`.
pub static PROTO_SIZE: FieldDef = FieldDef::new(
    "arp.proto.size",
    "Protocol size",
    FieldType::UInt(8),
    Base::Dec,
);
/// `arp.opcode`.
pub static OPCODE: FieldDef =
    FieldDef::new("arp.opcode", "Opcode", FieldType::UInt(16), Base::Dec).named(OPCODES);
/// `arp.src.hw_mac`.
pub static SRC_HW_MAC: FieldDef = FieldDef::new(
    "arp.src.hw_mac",
    "Sender MAC address",
    FieldType::Ether,
    Base::None,
);
/// `arp.src.proto_ipv4`.
pub static SRC_PROTO_IPV4: FieldDef = FieldDef::new(
    "arp.src.proto_ipv4",
    "Sender IP address",
    FieldType::Ipv4,
    Base::None,
);
/// `arp.dst.hw_mac`.
pub static DST_HW_MAC: FieldDef = FieldDef::new(
    "arp.dst.hw_mac",
    "Target MAC address",
    FieldType::Ether,
    Base::None,
);
/// `arp.dst.proto_ipv4`.
pub static DST_PROTO_IPV4: FieldDef = FieldDef::new(
    "arp.dst.proto_ipv4",
    "Target IP address",
    FieldType::Ipv4,
    Base::None,
);
/// `arp.src.hw`.
pub static SRC_HW: FieldDef = FieldDef::new(
    "arp.src.hw",
    "Sender hardware address",
    FieldType::Bytes,
    Base::None,
);
/// `arp.src.proto`.
pub static SRC_PROTO: FieldDef = FieldDef::new(
    "arp.src.proto",
    "Sender protocol address",
    FieldType::Bytes,
    Base::None,
);
/// `arp.dst.hw`.
pub static DST_HW: FieldDef = FieldDef::new(
    "arp.dst.hw",
    "Target hardware address",
    FieldType::Bytes,
    Base::None,
);
/// `arp.dst.proto`.
pub static DST_PROTO: FieldDef = FieldDef::new(
    "arp.dst.proto",
    "Target protocol address",
    FieldType::Bytes,
    Base::None,
);
/// `arp.isgratuitous`.
pub static IS_GRATUITOUS: FieldDef = FieldDef::new(
    "arp.isgratuitous",
    "Is gratuitous",
    FieldType::Bool,
    Base::None,
);

/// Fields of this module.
pub static FIELDS: &[&FieldDef] = &[
    &ARP,
    &HW_TYPE,
    &PROTO_TYPE,
    &HW_SIZE,
    &PROTO_SIZE,
    &OPCODE,
    &SRC_HW_MAC,
    &SRC_PROTO_IPV4,
    &DST_HW_MAC,
    &DST_PROTO_IPV4,
    &SRC_HW,
    &SRC_PROTO,
    &DST_HW,
    &DST_PROTO,
    &IS_GRATUITOUS,
];

/// An ARP packet.
#[derive(Clone, Debug)]
pub struct Arp<'a> {
    /// Header and addresses (8 + 2 * (hlen + plen) bytes).
    pub data: &'a [u8],
    /// Ethertype 0x8035.
    pub rarp: bool,
}

impl<'a> Arp<'a> {
    /// Operation.
    pub fn opcode(&self) -> u16 {
        self.data.u16_at(6).unwrap_or(0)
    }
    fn hlen(&self) -> usize {
        usize::from(self.data.u8_at(4).unwrap_or(0))
    }
    fn plen(&self) -> usize {
        usize::from(self.data.u8_at(5).unwrap_or(0))
    }
    /// Sender hardware address.
    pub fn sha(&self) -> &'a [u8] {
        self.data.get(8..8 + self.hlen()).unwrap_or(&[])
    }
    /// Sender protocol address.
    pub fn spa(&self) -> &'a [u8] {
        let s = 8 + self.hlen();
        self.data.get(s..s + self.plen()).unwrap_or(&[])
    }
    /// Target hardware address.
    pub fn tha(&self) -> &'a [u8] {
        let s = 8 + self.hlen() + self.plen();
        self.data.get(s..s + self.hlen()).unwrap_or(&[])
    }
    /// Target protocol address.
    pub fn tpa(&self) -> &'a [u8] {
        let s = 8 + 2 * self.hlen() + self.plen();
        self.data.get(s..s + self.plen()).unwrap_or(&[])
    }
    /// Ethernet + IPv4 addressing.
    pub fn is_eth_ipv4(&self) -> bool {
        self.hlen() == 6 && self.plen() == 4 && self.data.u16_at(2) == Some(0x0800)
    }
    /// Sender IPv4 address (Ethernet/IPv4 ARP).
    pub fn spa4(&self) -> Option<[u8; 4]> {
        self.spa().try_into().ok()
    }
    /// Target IPv4 address.
    pub fn tpa4(&self) -> Option<[u8; 4]> {
        self.tpa().try_into().ok()
    }
    fn gratuitous(&self) -> bool {
        self.plen() > 0 && self.spa() == self.tpa() && !self.spa().is_empty()
    }

    pub(crate) fn emit(&self, off: usize, sink: &mut dyn Sink<'a>) {
        let d = self.data;
        let op = self.opcode();
        let name = if self.rarp {
            "Reverse Address Resolution Protocol"
        } else {
            "Address Resolution Protocol"
        };
        let opname = OPCODE.value_name(u64::from(op)).unwrap_or("unknown");
        let g = if self.gratuitous() && op <= 2 {
            " (gratuitous ARP)"
        } else {
            ""
        };
        open!(
            sink,
            &ARP,
            Value::None,
            Span::new(off, d.len()),
            "{name} ({opname}){g}"
        );
        for (def, o, n) in [(&HW_TYPE, 0, 2), (&PROTO_TYPE, 2, 2)] {
            if let Some(v) = d.u16_at(o) {
                emit!(sink, def, Value::UInt(u64::from(v)), Span::new(off + o, n));
            }
        }
        for (def, o) in [(&HW_SIZE, 4), (&PROTO_SIZE, 5)] {
            if let Some(v) = d.u8_at(o) {
                emit!(sink, def, Value::UInt(u64::from(v)), Span::new(off + o, 1));
            }
        }
        if let Some(v) = d.u16_at(6) {
            emit!(
                sink,
                &OPCODE,
                Value::UInt(u64::from(v)),
                Span::new(off + 6, 2)
            );
        }
        if op <= 2 {
            emit!(
                sink,
                &IS_GRATUITOUS,
                Value::Bool(self.gratuitous()),
                Span::NONE
            );
        }
        let (hl, pl) = (self.hlen(), self.plen());
        let mut o = 8;
        for (hw, pr, mac_def, ip_def, hw_def, pr_def) in [
            (
                self.sha(),
                self.spa(),
                &SRC_HW_MAC,
                &SRC_PROTO_IPV4,
                &SRC_HW,
                &SRC_PROTO,
            ),
            (
                self.tha(),
                self.tpa(),
                &DST_HW_MAC,
                &DST_PROTO_IPV4,
                &DST_HW,
                &DST_PROTO,
            ),
        ] {
            if hw.len() == hl && hl > 0 {
                match <[u8; 6]>::try_from(hw) {
                    Ok(m) => emit!(sink, mac_def, Value::Ether(m), Span::new(off + o, hl)),
                    Err(_) => emit!(sink, hw_def, Value::Bytes(hw), Span::new(off + o, hl)),
                }
            }
            o += hl;
            if pr.len() == pl && pl > 0 {
                match <[u8; 4]>::try_from(pr) {
                    Ok(a) if self.data.u16_at(2) == Some(0x0800) => {
                        emit!(sink, ip_def, Value::Ipv4(a), Span::new(off + o, pl))
                    }
                    _ => emit!(sink, pr_def, Value::Bytes(pr), Span::new(off + o, pl)),
                }
            }
            o += pl;
        }
        sink.close();
    }

    /// Wireshark's Info column.
    pub fn write_info(&self, out: &mut String) {
        let addr =
            |out: &mut String, b: &[u8]| match (<[u8; 4]>::try_from(b), <[u8; 6]>::try_from(b)) {
                (Ok(a), _) => push_ipv4(out, a),
                (_, Ok(m)) => push_mac(out, m),
                _ => crate::field::value::write_hex_colon(b, out),
            };
        match self.opcode() {
            1 if self.gratuitous() => {
                out.push_str("Gratuitous ARP for ");
                addr(out, self.tpa());
                out.push_str(" (Request)");
            }
            1 if self.spa().iter().all(|&b| b == 0) => {
                out.push_str("Who has ");
                addr(out, self.tpa());
                out.push_str("? (ARP Probe)");
            }
            1 => {
                out.push_str("Who has ");
                addr(out, self.tpa());
                out.push_str("? Tell ");
                addr(out, self.spa());
            }
            2 if self.gratuitous() => {
                out.push_str("Gratuitous ARP for ");
                addr(out, self.spa());
                out.push_str(" (Reply)");
            }
            2 => {
                addr(out, self.spa());
                out.push_str(" is at ");
                addr(out, self.sha());
            }
            3 => {
                out.push_str("Who is ");
                addr(out, self.tha());
                out.push_str("? Tell ");
                addr(out, self.sha());
            }
            4 => {
                addr(out, self.tha());
                out.push_str(" is at ");
                addr(out, self.tpa());
            }
            op => {
                out.push_str("Unknown ARP opcode 0x");
                crate::text::push_hex(out, u64::from(op), 4);
            }
        }
    }

    /// tcpdump's text (without the `length` suffix).
    pub fn write_tcpdump(&self, out: &mut String) {
        let addr =
            |out: &mut String, b: &[u8]| match (<[u8; 4]>::try_from(b), <[u8; 6]>::try_from(b)) {
                (Ok(a), _) => push_ipv4(out, a),
                (_, Ok(m)) => push_mac(out, m),
                _ => crate::field::value::write_hex_colon(b, out),
            };
        out.push_str(if self.rarp { "RARP, " } else { "ARP, " });
        if !self.is_eth_ipv4() && self.data.len() >= 8 {
            // tcpdump prints the raw types when they are not Ethernet/IPv4.
        }
        match self.opcode() {
            1 => {
                out.push_str("Request who-has ");
                addr(out, self.tpa());
                if self.tha().iter().any(|&b| b != 0) {
                    out.push_str(" (");
                    addr(out, self.tha());
                    out.push(')');
                }
                out.push_str(" tell ");
                addr(out, self.spa());
            }
            2 => {
                out.push_str("Reply ");
                addr(out, self.spa());
                out.push_str(" is-at ");
                addr(out, self.sha());
            }
            3 => {
                out.push_str("Reverse Request who-is ");
                addr(out, self.tha());
                out.push_str(" tell ");
                addr(out, self.sha());
            }
            4 => {
                out.push_str("Reverse Reply ");
                addr(out, self.tha());
                out.push_str(" at ");
                addr(out, self.tpa());
            }
            op => {
                out.push_str("Unknown (");
                crate::text::push_u64(out, u64::from(op));
                out.push(')');
            }
        }
    }
}

/// Dissects ARP (ethertype 0x0806) or RARP (0x8035).
pub fn dissect<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    arp(data, off, false)
}

/// Dissects RARP.
pub fn dissect_rarp<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    arp(data, off, true)
}

fn arp(data: &[u8], off: usize, rarp: bool) -> DissectResult<'_> {
    if data.len() < 8 {
        return Err(DecodeError::truncated(Layer::Arp, off, 8, data.len()));
    }
    let hlen = usize::from(data.u8_at(4).unwrap_or(0));
    let plen = usize::from(data.u8_at(5).unwrap_or(0));
    let total = 8 + 2 * (hlen + plen);
    let a = Arp {
        data: data.get(..total.min(data.len())).unwrap_or(data),
        rarp,
    };
    let mut d = Dissected::new(
        Decoded::Arp(a),
        total.min(data.len()),
        total.min(data.len()),
        Next::Done,
    );
    if data.len() < total {
        d = d.with_error(DecodeError::truncated(Layer::Arp, off, total, data.len()));
    }
    Ok(Some(d))
}
