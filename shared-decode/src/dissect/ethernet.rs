//! Ethernet II / IEEE 802.3 with LLC/SNAP, and 802.1Q / 802.1ad VLAN tags.
//!
//! Spec: IEEE 802.3 §3.2 (an ethertype >= 0x0600 names the payload; a value <= 1500 is the
//! payload length and an LLC header follows), IEEE 802.1Q §9.6 (TCI = PCP:3, DEI:1, VID:12).
//! Must not: look past the frame; treat padding after the payload as payload.

use super::{emit, open, Be, DissectCx, DissectResult, Dissected, EmitCx, LayerItem, Next};
use crate::error::{DecodeError, Layer};
use crate::field::{Base, FieldDef, FieldType, Sink, Span, Value};

mod field {
    pub const DST: usize = 0;
    pub const SRC: usize = 6;
    pub const TYPE: usize = 12;
    pub const HEADER_LEN: usize = 14;
}

/// Minimum Ethernet frame without FCS; shorter payloads are padded.
const MIN_FRAME: usize = 60;

/// Ethertype names (open set: unknown values print as hex).
pub static ETHERTYPES: &[(u64, &str)] = &[
    (0x0800, "IPv4"),
    (0x0806, "ARP"),
    (0x8035, "RARP"),
    (0x8100, "802.1Q Virtual LAN"),
    (0x86dd, "IPv6"),
    (0x8847, "MPLS label switched packet"),
    (0x8848, "MPLS multicast label switched packet"),
    (0x8863, "PPPoE Discovery"),
    (0x8864, "PPPoE Session"),
    (0x888e, "802.1X Authentication"),
    (0x88a8, "802.1ad Provider Bridge (Q-in-Q)"),
    (0x88cc, "802.1 Link Layer Discovery Protocol (LLDP)"),
    (0x6558, "Transparent Ethernet bridging"),
    (0x9100, "VLAN tagged frame (QinQ)"),
    (0x88e5, "802.1AE (MACsec)"),
];

/// `eth`.
pub static ETH: FieldDef = FieldDef::proto("eth", "Ethernet II");
/// `eth.dst`.
pub static DST: FieldDef = FieldDef::new("eth.dst", "Destination", FieldType::Ether, Base::None);
/// `eth.src`.
pub static SRC: FieldDef = FieldDef::new("eth.src", "Source", FieldType::Ether, Base::None);
/// `eth.addr`: source or destination.
pub static ADDR: FieldDef =
    FieldDef::new("eth.addr", "Address", FieldType::Ether, Base::None).hidden();
/// `eth.dst.ig`.
pub static DST_IG: FieldDef = FieldDef::new("eth.dst.ig", "IG bit", FieldType::Bool, Base::None)
    .masked(0x0100_0000_0000)
    .detail();
/// `eth.dst.lg`.
pub static DST_LG: FieldDef = FieldDef::new("eth.dst.lg", "LG bit", FieldType::Bool, Base::None)
    .masked(0x0200_0000_0000)
    .detail();
/// `eth.type`.
pub static TYPE: FieldDef =
    FieldDef::new("eth.type", "Type", FieldType::UInt(16), Base::Hex).named(ETHERTYPES);
/// `eth.len` (IEEE 802.3 length).
pub static LEN: FieldDef = FieldDef::new("eth.len", "Length", FieldType::UInt(16), Base::Dec);
/// `eth.padding`.
pub static PADDING: FieldDef =
    FieldDef::new("eth.padding", "Padding", FieldType::Bytes, Base::None);
/// `eth.trailer`.
pub static TRAILER: FieldDef =
    FieldDef::new("eth.trailer", "Trailer", FieldType::Bytes, Base::None);

/// `vlan`.
pub static VLAN: FieldDef = FieldDef::proto("vlan", "802.1Q Virtual LAN");
/// `vlan.priority`.
pub static VLAN_PRIORITY: FieldDef =
    FieldDef::new("vlan.priority", "Priority", FieldType::UInt(16), Base::Dec).masked(0xe000);
/// `vlan.dei`.
pub static VLAN_DEI: FieldDef =
    FieldDef::new("vlan.dei", "DEI", FieldType::UInt(16), Base::Dec).masked(0x1000);
/// `vlan.id`.
pub static VLAN_ID: FieldDef =
    FieldDef::new("vlan.id", "ID", FieldType::UInt(16), Base::Dec).masked(0x0fff);
/// `vlan.etype`.
pub static VLAN_ETYPE: FieldDef =
    FieldDef::new("vlan.etype", "Type", FieldType::UInt(16), Base::Hex).named(ETHERTYPES);
/// `vlan.len`.
pub static VLAN_LEN: FieldDef = FieldDef::new("vlan.len", "Length", FieldType::UInt(16), Base::Dec);
/// `ieee8021ad` (the outer, service tag of 802.1ad).
pub static AD: FieldDef = FieldDef::proto("ieee8021ad", "IEEE 802.1ad");
/// `ieee8021ad.id`.
pub static AD_ID: FieldDef =
    FieldDef::new("ieee8021ad.id", "ID", FieldType::UInt(16), Base::Dec).masked(0x0fff);
/// `ieee8021ad.priority`.
pub static AD_PRIORITY: FieldDef = FieldDef::new(
    "ieee8021ad.priority",
    "Priority",
    FieldType::UInt(16),
    Base::Dec,
)
.masked(0xe000);
/// `ieee8021ad.dei`.
pub static AD_DEI: FieldDef =
    FieldDef::new("ieee8021ad.dei", "DEI", FieldType::UInt(16), Base::Dec).masked(0x1000);

/// `llc`.
pub static LLC: FieldDef = FieldDef::proto("llc", "Logical-Link Control");
/// `llc.dsap`.
pub static LLC_DSAP: FieldDef = FieldDef::new("llc.dsap", "DSAP", FieldType::UInt(8), Base::Hex);
/// `llc.ssap`.
pub static LLC_SSAP: FieldDef = FieldDef::new("llc.ssap", "SSAP", FieldType::UInt(8), Base::Hex);
/// `llc.control`.
pub static LLC_CONTROL: FieldDef = FieldDef::new(
    "llc.control",
    "Control field",
    FieldType::UInt(8),
    Base::Hex,
);
/// `llc.oui`.
pub static LLC_OUI: FieldDef = FieldDef::new(
    "llc.oui",
    "Organization Code",
    FieldType::UInt(24),
    Base::Hex,
);
/// `llc.pid`.
pub static LLC_PID: FieldDef =
    FieldDef::new("llc.pid", "PID", FieldType::UInt(16), Base::Hex).named(ETHERTYPES);

/// Fields of this module.
pub static FIELDS: &[&FieldDef] = &[
    &ETH,
    &DST,
    &SRC,
    &ADDR,
    &DST_IG,
    &DST_LG,
    &TYPE,
    &LEN,
    &PADDING,
    &TRAILER,
    &VLAN,
    &VLAN_PRIORITY,
    &VLAN_DEI,
    &VLAN_ID,
    &VLAN_ETYPE,
    &VLAN_LEN,
    &AD,
    &AD_ID,
    &AD_PRIORITY,
    &AD_DEI,
    &LLC,
    &LLC_DSAP,
    &LLC_SSAP,
    &LLC_CONTROL,
    &LLC_OUI,
    &LLC_PID,
];

/// An Ethernet header.
#[derive(Clone, Debug)]
pub struct Ethernet<'a> {
    /// The 14 header bytes.
    pub hdr: &'a [u8],
}

impl<'a> Ethernet<'a> {
    /// Destination MAC.
    pub fn dst(&self) -> [u8; 6] {
        self.hdr.arr(field::DST).unwrap_or_default()
    }
    /// Source MAC.
    pub fn src(&self) -> [u8; 6] {
        self.hdr.arr(field::SRC).unwrap_or_default()
    }
    /// Ethertype or 802.3 length.
    pub fn ethertype(&self) -> u16 {
        self.hdr.u16_at(field::TYPE).unwrap_or(0)
    }
    /// True for IEEE 802.3 framing (length instead of ethertype).
    pub fn is_8023(&self) -> bool {
        self.ethertype() <= 1500
    }

    pub(crate) fn emit(
        &self,
        off: usize,
        l: &LayerItem<'a>,
        cx: &EmitCx<'_, 'a>,
        sink: &mut dyn Sink<'a>,
    ) {
        let (dst, src) = (self.dst(), self.src());
        let t = self.ethertype();
        open!(
            sink,
            &ETH,
            Value::None,
            Span::new(off, field::HEADER_LEN),
            "{}, Src: {}, Dst: {}",
            if self.is_8023() {
                "IEEE 802.3 Ethernet"
            } else {
                "Ethernet II"
            },
            Mac(src),
            Mac(dst)
        );
        open!(sink, &DST, Value::Ether(dst), Span::new(off, 6));
        emit!(
            sink,
            &DST_LG,
            Value::Bool(dst[0] & 2 != 0),
            Span::new(off, 3)
        );
        emit!(
            sink,
            &DST_IG,
            Value::Bool(dst[0] & 1 != 0),
            Span::new(off, 3)
        );
        sink.close();
        emit!(sink, &SRC, Value::Ether(src), Span::new(off + 6, 6));
        emit!(sink, &ADDR, Value::Ether(dst), Span::new(off, 6));
        emit!(sink, &ADDR, Value::Ether(src), Span::new(off + 6, 6));
        if self.is_8023() {
            emit!(
                sink,
                &LEN,
                Value::UInt(u64::from(t)),
                Span::new(off + 12, 2)
            );
        } else {
            emit!(
                sink,
                &TYPE,
                Value::UInt(u64::from(t)),
                Span::new(off + 12, 2)
            );
        }
        // Bytes after the payload's end: padding (to the 60-byte minimum) or a trailer.
        if let Some(next) = cx.next_layer() {
            let payload_end = next.off + next.len;
            let frame_end = l.off + l.len;
            if payload_end < frame_end {
                if let Some(extra) = cx.pkt.data.get(payload_end..frame_end) {
                    let pad_len = if payload_end < MIN_FRAME {
                        (MIN_FRAME - payload_end).min(extra.len())
                    } else {
                        0
                    };
                    let (pad, trailer) = extra.split_at(pad_len);
                    if !pad.is_empty() {
                        emit!(
                            sink,
                            &PADDING,
                            Value::Bytes(pad),
                            Span::new(payload_end, pad.len())
                        );
                    }
                    if !trailer.is_empty() {
                        emit!(
                            sink,
                            &TRAILER,
                            Value::Bytes(trailer),
                            Span::new(payload_end + pad_len, trailer.len())
                        );
                    }
                }
            }
        }
        sink.close();
    }
}

/// `Display` for a MAC address.
pub struct Mac(pub [u8; 6]);

impl std::fmt::Display for Mac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

/// Dissects an Ethernet header.
pub fn dissect<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    let Some(hdr) = data.get(..field::HEADER_LEN) else {
        return Err(DecodeError::truncated(
            Layer::Ethernet,
            off,
            field::HEADER_LEN,
            data.len(),
        ));
    };
    let eth = Ethernet { hdr };
    let t = eth.ethertype();
    let mut d = if t <= 1500 {
        // IEEE 802.3: the length bounds the LLC payload.
        let end = (field::HEADER_LEN + usize::from(t)).min(data.len());
        let mut d = Dissected::new(
            super::Decoded::Ethernet(eth),
            field::HEADER_LEN,
            end,
            Next::Layer(Layer::Llc),
        );
        d.payload = field::HEADER_LEN..end;
        d
    } else {
        Dissected::new(
            super::Decoded::Ethernet(eth),
            field::HEADER_LEN,
            data.len(),
            Next::Ethertype(t),
        )
    };
    if t > 1500 && t < 0x0600 {
        d.next = Next::Done;
    }
    Ok(Some(d))
}

/// A VLAN tag (the 4 bytes after the ethertype that announced it).
#[derive(Clone, Debug)]
pub struct Vlan<'a> {
    /// TCI and inner type.
    pub hdr: &'a [u8],
    /// 802.1ad service tag (ethertype 0x88a8).
    pub service: bool,
}

impl<'a> Vlan<'a> {
    /// Tag control information.
    pub fn tci(&self) -> u16 {
        self.hdr.u16_at(0).unwrap_or(0)
    }
    /// VLAN id.
    pub fn id(&self) -> u16 {
        self.tci() & 0x0fff
    }
    /// Priority code point.
    pub fn pcp(&self) -> u8 {
        (self.tci() >> 13) as u8
    }
    /// Inner ethertype.
    pub fn ethertype(&self) -> u16 {
        self.hdr.u16_at(2).unwrap_or(0)
    }

    pub(crate) fn emit(&self, off: usize, sink: &mut dyn Sink<'a>) {
        let tci = u64::from(self.tci());
        let (p, id, pri, dei) = if self.service {
            (&AD, &AD_ID, &AD_PRIORITY, &AD_DEI)
        } else {
            (&VLAN, &VLAN_ID, &VLAN_PRIORITY, &VLAN_DEI)
        };
        open!(
            sink,
            p,
            Value::None,
            Span::new(off, 4),
            "{}, PRI: {}, DEI: {}, ID: {}",
            p.label,
            tci >> 13,
            (tci >> 12) & 1,
            tci & 0xfff
        );
        emit!(sink, pri, Value::UInt(tci >> 13), Span::new(off, 2));
        emit!(sink, dei, Value::UInt((tci >> 12) & 1), Span::new(off, 2));
        emit!(sink, id, Value::UInt(tci & 0xfff), Span::new(off, 2));
        let t = self.ethertype();
        if t <= 1500 {
            emit!(
                sink,
                &VLAN_LEN,
                Value::UInt(u64::from(t)),
                Span::new(off + 2, 2)
            );
        } else {
            emit!(
                sink,
                &VLAN_ETYPE,
                Value::UInt(u64::from(t)),
                Span::new(off + 2, 2)
            );
        }
        sink.close();
    }
}

/// Dissects an 802.1Q tag (ethertype 0x8100, 0x9100).
pub fn dissect_vlan<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    vlan(data, off, false)
}

/// Dissects an 802.1ad service tag (ethertype 0x88a8).
pub fn dissect_8021ad<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    vlan(data, off, true)
}

fn vlan(data: &[u8], off: usize, service: bool) -> DissectResult<'_> {
    let Some(hdr) = data.get(..4) else {
        return Err(DecodeError::truncated(Layer::Vlan, off, 4, data.len()));
    };
    let v = Vlan { hdr, service };
    let t = v.ethertype();
    let next = if t <= 1500 {
        Next::Layer(Layer::Llc)
    } else {
        Next::Ethertype(t)
    };
    Ok(Some(Dissected::new(
        super::Decoded::Vlan(v),
        4,
        data.len(),
        next,
    )))
}

/// An IEEE 802.2 LLC header (with SNAP when DSAP = SSAP = 0xAA).
#[derive(Clone, Debug)]
pub struct Llc<'a> {
    /// Header bytes (3, or 8 with SNAP).
    pub hdr: &'a [u8],
}

impl<'a> Llc<'a> {
    /// DSAP.
    pub fn dsap(&self) -> u8 {
        self.hdr.u8_at(0).unwrap_or(0)
    }
    /// SNAP protocol id, when present.
    pub fn snap_pid(&self) -> Option<u16> {
        (self.hdr.len() >= 8).then(|| self.hdr.u16_at(6).unwrap_or(0))
    }

    pub(crate) fn emit(&self, off: usize, sink: &mut dyn Sink<'a>) {
        open!(
            sink,
            &LLC,
            Value::None,
            Span::new(off, self.hdr.len()),
            "Logical-Link Control"
        );
        if let Some(v) = self.hdr.u8_at(0) {
            emit!(
                sink,
                &LLC_DSAP,
                Value::UInt(u64::from(v)),
                Span::new(off, 1)
            );
        }
        if let Some(v) = self.hdr.u8_at(1) {
            emit!(
                sink,
                &LLC_SSAP,
                Value::UInt(u64::from(v)),
                Span::new(off + 1, 1)
            );
        }
        if let Some(v) = self.hdr.u8_at(2) {
            emit!(
                sink,
                &LLC_CONTROL,
                Value::UInt(u64::from(v)),
                Span::new(off + 2, 1)
            );
        }
        if let (Some(oui), Some(pid)) = (self.hdr.u24_at(3), self.snap_pid()) {
            emit!(
                sink,
                &LLC_OUI,
                Value::UInt(u64::from(oui)),
                Span::new(off + 3, 3)
            );
            emit!(
                sink,
                &LLC_PID,
                Value::UInt(u64::from(pid)),
                Span::new(off + 6, 2)
            );
        }
        sink.close();
    }
}

/// Dissects an LLC header; SNAP with OUI 0 continues by ethertype.
pub fn dissect_llc<'a>(data: &'a [u8], off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    if data.len() < 3 {
        return Err(DecodeError::truncated(Layer::Llc, off, 3, data.len()));
    }
    let dsap = data.u8_at(0).unwrap_or(0);
    let ssap = data.u8_at(1).unwrap_or(0);
    let ctrl = data.u8_at(2).unwrap_or(0);
    // Unnumbered frames have a 1-byte control field; I and S frames 2 bytes.
    let ctrl_len = if ctrl & 3 == 3 { 1 } else { 2 };
    if dsap == 0xaa && ssap == 0xaa && data.len() >= 8 {
        let llc = Llc {
            hdr: data.get(..8).unwrap_or(&[]),
        };
        let oui = data.u24_at(3).unwrap_or(1);
        let pid = data.u16_at(6).unwrap_or(0);
        let next = if oui == 0 {
            Next::Ethertype(pid)
        } else {
            Next::Done
        };
        return Ok(Some(Dissected::new(
            super::Decoded::Llc(llc),
            8,
            data.len(),
            next,
        )));
    }
    let hl = (2 + ctrl_len).min(data.len());
    let llc = Llc {
        hdr: data.get(..hl).unwrap_or(&[]),
    };
    Ok(Some(Dissected::new(
        super::Decoded::Llc(llc),
        hl,
        data.len(),
        Next::Done,
    )))
}
