//! QUIC (RFC 9000, 9001; v2 RFC 9369; drafts 23–32) on UDP: long headers (version,
//! connection IDs, token, length; coalesced packets walked in order), short headers,
//! version negotiation and Retry. A client's Initial packets are decrypted with the initial
//! keys derived from their Destination Connection ID (RFC 9001 §5.2) to show the packet
//! number, the frames and the ClientHello carried in CRYPTO frames (its SNI and ALPN, as
//! `tls.*` fields like Wireshark).
//!
//! Stateless, so: a server's Initial is protected with keys from the *client's* original
//! DCID, which this packet does not carry — it is shown protected (tshark, keeping the
//! connection, decrypts it); a short header's DCID length is known only to the connection,
//! so it is not shown; Handshake and 1-RTT packets need TLS secrets (not done).
//! Every loop over wire data is bounded: packets per datagram, frames per packet.

#![deny(clippy::indexing_slicing)]

use super::app::{side_by_port, AnonPolicy, App, AppProtocol, ColumnText, Handoff, Side};
use super::{field_def, tls, Be, DissectCx, DissectResult, EmitCx};
use crate::error::AppId;
use crate::field::{Base, FieldDef, FieldType, Sink, Span, Value};
use crate::text::push_u64;
use aes::cipher::{BlockEncrypt, KeyInit};
use aes_gcm::aead::{Aead, Payload};
use std::fmt::Write as _;

/// The row.
pub static PROTOCOL: AppProtocol = AppProtocol {
    id: AppId {
        slot: 4,
        name: "quic",
    },
    def: &QUIC,
    fields: FIELDS,
    also_emits: &["tls"],
    handoffs: &[Handoff::UdpPort(443), Handoff::UdpHeuristic],
    dissect,
    emit,
    columns,
    // tcpdump 4.99 prints `UDP, length N` for QUIC without -v.
    tcpdump: None,
    anon: AnonPolicy::AppData,
    ports: None,
};

/// Packets read per datagram (coalescing puts at most one per packet-number space, plus
/// padding; more is not QUIC).
const MAX_PACKETS: usize = 8;
/// Frames read per packet.
const MAX_FRAMES: usize = 4096;
/// ClientHello bytes gathered from CRYPTO frames (a ClientHello with post-quantum key shares
/// is under 2 KiB; Initial packets are at most a datagram).
const MAX_CRYPTO: usize = 16 * 1024;

/// `aux` bit: the datagram came from the server port.
const FROM_SERVER: u32 = 1;

static PACKET_TYPES: &[(u64, &str)] =
    &[(0, "Initial"), (1, "0-RTT"), (2, "Handshake"), (3, "Retry")];

/// `quic`.
pub static QUIC: FieldDef = FieldDef::proto("quic", "QUIC IETF");
field_def!(
    PACKET_LENGTH,
    "quic.packet_length",
    "Packet Length",
    FieldType::UInt(32),
    Base::Dec
);
/// `quic.header_form`.
pub static HEADER_FORM: FieldDef = FieldDef::new(
    "quic.header_form",
    "Header Form",
    FieldType::UInt(8),
    Base::Dec,
)
.named(&[(0, "Short Header"), (1, "Long Header")]);
field_def!(
    FIXED_BIT,
    "quic.fixed_bit",
    "Fixed Bit",
    FieldType::Bool,
    Base::None
);
/// `quic.long.packet_type`.
pub static PACKET_TYPE: FieldDef = FieldDef::new(
    "quic.long.packet_type",
    "Packet Type",
    FieldType::UInt(8),
    Base::Dec,
)
.named(PACKET_TYPES);
field_def!(
    VERSION,
    "quic.version",
    "Version",
    FieldType::UInt(32),
    Base::Hex
);
field_def!(
    SUPPORTED_VERSION,
    "quic.supported_version",
    "Supported Version",
    FieldType::UInt(32),
    Base::Hex
);
field_def!(
    DCIL,
    "quic.dcil",
    "Destination Connection ID Length",
    FieldType::UInt(8),
    Base::Dec
);
field_def!(
    DCID,
    "quic.dcid",
    "Destination Connection ID",
    FieldType::Bytes,
    Base::None
);
field_def!(
    SCIL,
    "quic.scil",
    "Source Connection ID Length",
    FieldType::UInt(8),
    Base::Dec
);
field_def!(
    SCID,
    "quic.scid",
    "Source Connection ID",
    FieldType::Bytes,
    Base::None
);
field_def!(
    TOKEN_LENGTH,
    "quic.token_length",
    "Token Length",
    FieldType::UInt(64),
    Base::Dec
);
field_def!(TOKEN, "quic.token", "Token", FieldType::Bytes, Base::None);
field_def!(
    LENGTH,
    "quic.length",
    "Length",
    FieldType::UInt(64),
    Base::Dec
);
field_def!(
    PN_LENGTH,
    "quic.packet_number_length",
    "Packet Number Length",
    FieldType::UInt(8),
    Base::Dec
);
field_def!(
    PACKET_NUMBER,
    "quic.packet_number",
    "Packet Number",
    FieldType::UInt(64),
    Base::Dec
);
field_def!(
    SHORT,
    "quic.short",
    "QUIC Short Header",
    FieldType::None,
    Base::None
);
field_def!(
    SPIN_BIT,
    "quic.spin_bit",
    "Spin Bit",
    FieldType::Bool,
    Base::None
);
/// `quic.protected_payload`.
pub static PROTECTED: FieldDef = FieldDef::new(
    "quic.protected_payload",
    "Protected Payload",
    FieldType::Bytes,
    Base::None,
)
.bulk();
/// `quic.frame`: one frame of a decrypted payload (a tree node).
pub static FRAME: FieldDef =
    FieldDef::new("quic.frame", "Frame", FieldType::None, Base::None).detail();
field_def!(
    FRAME_TYPE,
    "quic.frame_type",
    "Frame Type",
    FieldType::UInt(64),
    Base::Dec
);
field_def!(
    PADDING_LENGTH,
    "quic.padding_length",
    "Padding Length",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    ACK_LARGEST,
    "quic.ack.largest_acknowledged",
    "Largest Acknowledged",
    FieldType::UInt(64),
    Base::Dec
);
field_def!(
    ACK_DELAY,
    "quic.ack.ack_delay",
    "ACK Delay",
    FieldType::UInt(64),
    Base::Dec
);
field_def!(
    ACK_RANGES,
    "quic.ack.ack_range_count",
    "ACK Range Count",
    FieldType::UInt(64),
    Base::Dec
);
field_def!(
    ACK_FIRST,
    "quic.ack.first_ack_range",
    "First ACK Range",
    FieldType::UInt(64),
    Base::Dec
);
field_def!(
    CRYPTO_OFFSET,
    "quic.crypto.offset",
    "Offset",
    FieldType::UInt(64),
    Base::Dec
);
field_def!(
    CRYPTO_LENGTH,
    "quic.crypto.length",
    "Length",
    FieldType::UInt(64),
    Base::Dec
);
field_def!(
    CC_ERROR,
    "quic.cc.error_code",
    "Error code",
    FieldType::UInt(64),
    Base::Dec
);
field_def!(
    CC_REASON,
    "quic.cc.reason_phrase",
    "Reason phrase",
    FieldType::Str,
    Base::None
);

/// Every field.
pub static FIELDS: &[&FieldDef] = &[
    &QUIC,
    &PACKET_LENGTH,
    &HEADER_FORM,
    &FIXED_BIT,
    &PACKET_TYPE,
    &VERSION,
    &SUPPORTED_VERSION,
    &DCIL,
    &DCID,
    &SCIL,
    &SCID,
    &TOKEN_LENGTH,
    &TOKEN,
    &LENGTH,
    &PN_LENGTH,
    &PACKET_NUMBER,
    &SHORT,
    &SPIN_BIT,
    &PROTECTED,
    &FRAME,
    &FRAME_TYPE,
    &PADDING_LENGTH,
    &ACK_LARGEST,
    &ACK_DELAY,
    &ACK_RANGES,
    &ACK_FIRST,
    &CRYPTO_OFFSET,
    &CRYPTO_LENGTH,
    &CC_ERROR,
    &CC_REASON,
];

/// A variable-length integer (RFC 9000 §16) at `p`: (value, bytes).
fn varint(b: &[u8], p: usize) -> Option<(u64, usize)> {
    let first = b.u8_at(p)?;
    let n = 1usize << (first >> 6);
    let mut v = u64::from(first & 0x3f);
    for i in 1..n {
        v = (v << 8) | u64::from(b.u8_at(p + i)?);
    }
    Some((v, n))
}

/// Initial salts (RFC 9001 §5.2, RFC 9369 §3.3.1, drafts) and HKDF label prefixes by version.
fn initial_params(version: u32) -> Option<(&'static [u8; 20], &'static str)> {
    const V1: [u8; 20] = [
        0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c,
        0xad, 0xcc, 0xbb, 0x7f, 0x0a,
    ];
    const V2: [u8; 20] = [
        0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d,
        0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
    ];
    const D29: [u8; 20] = [
        0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11,
        0xe0, 0x43, 0x90, 0xa8, 0x99,
    ];
    const D23: [u8; 20] = [
        0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63,
        0x65, 0xbe, 0xf9, 0xf5, 0x02,
    ];
    Some(match version {
        1 => (&V1, "quic"),
        0x6b33_43cf => (&V2, "quicv2"),
        0xff00_001d..=0xff00_0020 => (&D29, "quic"),
        0xff00_0017..=0xff00_001c => (&D23, "quic"),
        _ => return None,
    })
}

fn known_version(v: u32) -> bool {
    initial_params(v).is_some()
}

/// HKDF-Expand-Label (RFC 8446 §7.1) with an empty context.
fn expand_label(prk: &[u8], label: &str, out: &mut [u8]) -> Option<()> {
    let hk = hkdf::Hkdf::<sha2::Sha256>::from_prk(prk).ok()?;
    let full = format!("tls13 {label}");
    let mut info = Vec::with_capacity(4 + full.len());
    info.extend_from_slice(&u16::try_from(out.len()).ok()?.to_be_bytes());
    info.push(u8::try_from(full.len()).ok()?);
    info.extend_from_slice(full.as_bytes());
    info.push(0);
    hk.expand(&info, out).ok()
}

/// The client's Initial keys for a connection whose client chose `dcid`.
struct Keys {
    key: [u8; 16],
    iv: [u8; 12],
    hp: [u8; 16],
}

fn client_initial_keys(version: u32, dcid: &[u8]) -> Option<Keys> {
    let (salt, prefix) = initial_params(version)?;
    let (prk, _) = hkdf::Hkdf::<sha2::Sha256>::extract(Some(salt), dcid);
    let mut secret = [0u8; 32];
    expand_label(&prk, "client in", &mut secret)?;
    let mut k = Keys {
        key: [0; 16],
        iv: [0; 12],
        hp: [0; 16],
    };
    expand_label(&secret, &format!("{prefix} key"), &mut k.key)?;
    expand_label(&secret, &format!("{prefix} iv"), &mut k.iv)?;
    expand_label(&secret, &format!("{prefix} hp"), &mut k.hp)?;
    Some(k)
}

/// One long-header packet of a datagram.
struct Long<'a> {
    /// Offset in the datagram.
    at: usize,
    first: u8,
    version: u32,
    dcid: &'a [u8],
    scid: &'a [u8],
    /// Initial only.
    token: Option<(u64, &'a [u8])>,
    /// The Length field (packet number and payload), when the type has one.
    length: Option<u64>,
    /// Offset of the packet number (within the datagram).
    pn_at: usize,
    /// End of the packet (within what was captured).
    end: usize,
}

impl Long<'_> {
    fn kind(&self) -> u8 {
        let t = (self.first >> 4) & 3;
        if self.version == 0x6b33_43cf {
            // QUIC v2 (RFC 9369 §3.2) rotates the type codes.
            match t {
                1 => 0,
                2 => 1,
                3 => 2,
                _ => 3,
            }
        } else {
            t
        }
    }
}

/// What one datagram holds.
enum Pkt<'a> {
    Long(Long<'a>),
    /// Version negotiation: versions at this offset to the end.
    VersionNeg(Long<'a>),
    /// A short header from this offset to the end.
    Short(usize),
}

fn parse_long(d: &[u8], at: usize) -> Option<Long<'_>> {
    let first = d.u8_at(at)?;
    let version = d.u32_at(at + 1)?;
    let dcil = usize::from(d.u8_at(at + 5)?);
    let dcid = d.get(at + 6..at + 6 + dcil)?;
    let mut p = at + 6 + dcil;
    let scil = usize::from(d.u8_at(p)?);
    let scid = d.get(p + 1..p + 1 + scil)?;
    p += 1 + scil;
    let mut l = Long {
        at,
        first,
        version,
        dcid,
        scid,
        token: None,
        length: None,
        pn_at: p,
        end: d.len(),
    };
    if version == 0 {
        return Some(l);
    }
    let kind = l.kind();
    if kind == 3 {
        return Some(l); // Retry: token and integrity tag to the end.
    }
    if kind == 0 {
        let (tl, n) = varint(d, p)?;
        let token = d.get(p + n..(p + n).saturating_add(usize::try_from(tl).ok()?))?;
        l.token = Some((tl, token));
        p += n + token.len();
    }
    let (len, n) = varint(d, p)?;
    l.length = Some(len);
    l.pn_at = p + n;
    l.end = l
        .pn_at
        .saturating_add(usize::try_from(len).unwrap_or(usize::MAX))
        .min(d.len());
    Some(l)
}

/// The packets of a datagram, in order.
fn packets(d: &[u8]) -> Vec<Pkt<'_>> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while out.len() < MAX_PACKETS && at < d.len() {
        let Some(first) = d.u8_at(at) else { break };
        if first & 0x80 == 0 {
            out.push(Pkt::Short(at));
            break;
        }
        let Some(l) = parse_long(d, at) else { break };
        if l.version == 0 {
            out.push(Pkt::VersionNeg(l));
            break;
        }
        let (end, retry) = (l.end, l.kind() == 3);
        out.push(Pkt::Long(l));
        if retry || end <= at {
            break;
        }
        at = end;
        // Padding after the last packet (zeros) is not a packet.
        if d.get(at..).is_some_and(|r| r.iter().all(|&b| b == 0)) {
            break;
        }
    }
    out
}

/// Dissects a datagram whose first packet is a plausible QUIC packet.
pub fn dissect<'a>(data: &'a [u8], _off: usize, cx: &mut DissectCx) -> DissectResult<'a> {
    let side = side_by_port(cx, 443);
    let Some(first) = data.u8_at(0) else {
        return Ok(None);
    };
    let plausible = if first & 0x80 != 0 {
        // Long header: a known version (or version negotiation), connection IDs ≤ 20 bytes.
        parse_long(data, 0).is_some_and(|l| {
            (l.version == 0 || (known_version(l.version) && first & 0x40 != 0))
                && l.dcid.len() <= 20
                && l.scid.len() <= 20
        })
    } else {
        // A short header can only be recognised by the port (the connection is unknown).
        side != Side::Unknown && first & 0x40 != 0 && data.len() >= 21
    };
    if !plausible {
        return Ok(None);
    }
    // A server's Initial is not tried with the client's keys (they would not fit).
    let aux = if side == Side::Server { FROM_SERVER } else { 0 };
    super::app::claim(&PROTOCOL, data, side, aux)
}

/// An Initial packet with header protection removed and, when the keys fit, its payload.
struct Opened {
    pn: u64,
    pn_len: usize,
    /// Decrypted frames (`None`: authentication failed, e.g. a packet cut by the capture).
    plain: Option<Vec<u8>>,
}

/// Removes header protection and decrypts a client Initial.
fn open_initial(d: &[u8], l: &Long<'_>) -> Option<Opened> {
    let keys = client_initial_keys(l.version, l.dcid)?;
    let sample: [u8; 16] = d.arr::<16>(l.pn_at + 4)?;
    let hp = aes::Aes128::new(&keys.hp.into());
    let mut block = sample.into();
    hp.encrypt_block(&mut block);
    let mask: [u8; 16] = block.into();
    let first = l.first ^ (mask[0] & 0x0f);
    let pn_len = usize::from(first & 3) + 1;
    let mut header = d.get(l.at..l.pn_at + pn_len)?.to_vec();
    if let Some(b) = header.first_mut() {
        *b = first;
    }
    let hlen = header.len();
    let mut pn = 0u64;
    for i in 0..pn_len {
        let b = header.get_mut(hlen - pn_len + i)?;
        *b ^= *mask.get(1 + i)?;
        pn = (pn << 8) | u64::from(*b);
    }
    let mut nonce = keys.iv;
    for (i, b) in pn.to_be_bytes().iter().enumerate() {
        if let Some(n) = nonce.get_mut(4 + i) {
            *n ^= b;
        }
    }
    let ct = d.get(l.pn_at + pn_len..l.end)?;
    let aead = aes_gcm::Aes128Gcm::new(&keys.key.into());
    let plain = aead
        .decrypt(
            &nonce.into(),
            Payload {
                msg: ct,
                aad: &header,
            },
        )
        .ok();
    Some(Opened { pn, pn_len, plain })
}

/// Tries to open an Initial when this datagram is from a client.
fn open_if_client(d: &[u8], l: &Long<'_>, aux: u32) -> Option<Opened> {
    if aux & FROM_SERVER != 0 || l.kind() != 0 {
        return None;
    }
    let o = open_initial(d, l)?;
    // Only an authenticated payload shows these were the right keys: a client's later
    // Initials (after the server's) use the first DCID's keys, which this packet does not
    // carry, and a packet cut by the capture cannot be authenticated. Either way the packet
    // number would be a guess, and a wrong number is worse than none.
    o.plain.is_some().then_some(o)
}

/// One frame of a decrypted Initial/Handshake payload.
enum Frame<'a> {
    Padding(usize),
    Ping,
    Ack {
        largest: u64,
        delay: u64,
        ranges: u64,
        first: u64,
    },
    Crypto {
        offset: u64,
        data: &'a [u8],
    },
    Close {
        code: u64,
        reason: &'a [u8],
    },
}

impl Frame<'_> {
    fn code(&self) -> u64 {
        match self {
            Frame::Padding(_) => 0,
            Frame::Ping => 1,
            Frame::Ack { .. } => 2,
            Frame::Crypto { .. } => 6,
            Frame::Close { .. } => 0x1c,
        }
    }
    fn name(&self) -> &'static str {
        match self {
            Frame::Padding(_) => "PADDING",
            Frame::Ping => "PING",
            Frame::Ack { .. } => "ACK",
            Frame::Crypto { .. } => "CRYPTO",
            Frame::Close { .. } => "CC",
        }
    }
}

/// The frames of a payload, stopping at the first this dissector cannot size.
fn frames(b: &[u8]) -> Vec<(usize, Frame<'_>)> {
    let mut out = Vec::new();
    let mut p = 0usize;
    while out.len() < MAX_FRAMES {
        let Some((t, n)) = varint(b, p) else { break };
        let at = p;
        p += n;
        let f = match t {
            0 => {
                let zeros = b
                    .get(p..)
                    .map_or(0, |r| r.iter().take_while(|&&x| x == 0).count());
                p += zeros;
                Frame::Padding(zeros + 1)
            }
            1 => Frame::Ping,
            2 | 3 => {
                let mut next = || {
                    let (v, n) = varint(b, p)?;
                    p += n;
                    Some(v)
                };
                let (Some(largest), Some(delay), Some(ranges), Some(first)) =
                    (next(), next(), next(), next())
                else {
                    break;
                };
                // Each range is two varints of at least one byte: bounded by the payload.
                let mut ok = true;
                for _ in 0..ranges.min(b.len() as u64) * 2 + if t == 3 { 3 } else { 0 } {
                    if next().is_none() {
                        ok = false;
                        break;
                    }
                }
                if !ok {
                    break;
                }
                Frame::Ack {
                    largest,
                    delay,
                    ranges,
                    first,
                }
            }
            6 => {
                let Some((offset, n1)) = varint(b, p) else {
                    break;
                };
                let Some((len, n2)) = varint(b, p + n1) else {
                    break;
                };
                let start = p + n1 + n2;
                let Some(data) = usize::try_from(len)
                    .ok()
                    .and_then(|l| b.get(start..start.checked_add(l)?))
                else {
                    break;
                };
                p = start + data.len();
                Frame::Crypto { offset, data }
            }
            0x1c | 0x1d => {
                let Some((code, n1)) = varint(b, p) else {
                    break;
                };
                p += n1;
                if t == 0x1c {
                    let Some((_, n)) = varint(b, p) else { break };
                    p += n;
                }
                let Some((rl, n)) = varint(b, p) else { break };
                let Some(reason) = usize::try_from(rl)
                    .ok()
                    .and_then(|l| b.get(p + n..(p + n).checked_add(l)?))
                else {
                    break;
                };
                p += n + reason.len();
                Frame::Close { code, reason }
            }
            _ => break,
        };
        out.push((at, f));
    }
    out
}

/// The CRYPTO stream from offset 0, as far as the frames of this packet make it contiguous.
fn crypto_stream(frames: &[(usize, Frame<'_>)]) -> Vec<u8> {
    let mut parts: Vec<(u64, &[u8])> = frames
        .iter()
        .filter_map(|(_, f)| match f {
            Frame::Crypto { offset, data } => Some((*offset, *data)),
            _ => None,
        })
        .collect();
    parts.sort_by_key(|p| p.0);
    let mut out = Vec::new();
    for (off, data) in parts {
        let Ok(off) = usize::try_from(off) else { break };
        if off > out.len() || out.len() >= MAX_CRYPTO {
            break;
        }
        let skip = out.len() - off;
        if let Some(rest) = data.get(skip..) {
            let room = MAX_CRYPTO - out.len();
            out.extend_from_slice(rest.get(..rest.len().min(room)).unwrap_or(rest));
        }
    }
    out
}

fn hex(b: &[u8], out: &mut String) {
    for x in b {
        let _ = write!(out, "{x:02x}");
    }
}

fn columns(a: &App<'_>, c: &mut ColumnText<'_>) {
    c.protocol.push_str("QUIC");
    let d = a.data;
    // Like tshark, the Info column describes the last packet of a coalesced datagram.
    let mut last = String::new();
    for p in packets(d) {
        last.clear();
        match p {
            Pkt::Short(_) => {
                // The key phase bit is header-protected; tshark shows KP0 until it knows.
                last.push_str("Protected Payload (KP0)");
            }
            Pkt::VersionNeg(l) => {
                last.push_str("Version Negotiation");
                cids(&l, &mut last);
            }
            Pkt::Long(l) => {
                last.push_str(PACKET_TYPE.value_name(u64::from(l.kind())).unwrap_or("?"));
                cids(&l, &mut last);
                if let Some(o) = open_if_client(d, &l, a.aux) {
                    last.push_str(", PKN: ");
                    push_u64(&mut last, o.pn);
                    if let Some(plain) = &o.plain {
                        for (_, f) in frames(plain) {
                            last.push_str(", ");
                            last.push_str(f.name());
                        }
                    }
                }
            }
        }
    }
    c.info.push_str(&last);
}

fn cids(l: &Long<'_>, out: &mut String) {
    if !l.dcid.is_empty() {
        out.push_str(", DCID=");
        hex(l.dcid, out);
    }
    if !l.scid.is_empty() {
        out.push_str(", SCID=");
        hex(l.scid, out);
    }
}

fn emit<'a>(a: &App<'a>, off: usize, _cx: &EmitCx<'_, 'a>, sink: &mut dyn Sink<'a>) {
    let d = a.data;
    let u = |v: u64| Value::UInt(v);
    for p in packets(d) {
        match p {
            Pkt::Short(at) => {
                let o = off + at;
                let rest = d.get(at..).unwrap_or(&[]);
                sink.open(&QUIC, Value::None, Span::new(o, rest.len()), None);
                sink.field(&PACKET_LENGTH, u(rest.len() as u64), Span::NONE, None);
                let first = u64::from(rest.u8_at(0).unwrap_or(0));
                sink.field(&HEADER_FORM, u(first >> 7), Span::new(o, 1), None);
                sink.field(
                    &FIXED_BIT,
                    Value::Bool(first & 0x40 != 0),
                    Span::new(o, 1),
                    None,
                );
                sink.field(
                    &SPIN_BIT,
                    Value::Bool(first & 0x20 != 0),
                    Span::new(o, 1),
                    None,
                );
                sink.field(&SHORT, Value::None, Span::new(o, 1), None);
                let body = rest.get(1..).unwrap_or(&[]);
                sink.field(
                    &PROTECTED,
                    Value::Bytes(body),
                    Span::new(o + 1, body.len()),
                    None,
                );
                sink.close();
            }
            Pkt::VersionNeg(l) | Pkt::Long(l) => {
                let o = off + l.at;
                // The length the header declares (the capture may have cut the packet).
                let plen = l.length.map_or(l.end.saturating_sub(l.at), |n| {
                    (l.pn_at - l.at).saturating_add(usize::try_from(n).unwrap_or(usize::MAX))
                });
                sink.open(&QUIC, Value::None, Span::new(o, plen), None);
                sink.field(&PACKET_LENGTH, u(plen as u64), Span::NONE, None);
                let first = u64::from(l.first);
                sink.field(&HEADER_FORM, u(first >> 7), Span::new(o, 1), None);
                if l.version == 0 || l.kind() != 3 {
                    sink.field(
                        &FIXED_BIT,
                        Value::Bool(first & 0x40 != 0),
                        Span::new(o, 1),
                        None,
                    );
                }
                if l.version != 0 {
                    sink.field(&PACKET_TYPE, u(u64::from(l.kind())), Span::new(o, 1), None);
                }
                sink.field(&VERSION, u(u64::from(l.version)), Span::new(o + 1, 4), None);
                sink.field(&DCIL, u(l.dcid.len() as u64), Span::new(o + 5, 1), None);
                let mut p = o + 6;
                if !l.dcid.is_empty() {
                    sink.field(
                        &DCID,
                        Value::Bytes(l.dcid),
                        Span::new(p, l.dcid.len()),
                        None,
                    );
                }
                p += l.dcid.len();
                sink.field(&SCIL, u(l.scid.len() as u64), Span::new(p, 1), None);
                if !l.scid.is_empty() {
                    sink.field(
                        &SCID,
                        Value::Bytes(l.scid),
                        Span::new(p + 1, l.scid.len()),
                        None,
                    );
                }
                p += 1 + l.scid.len();
                if l.version == 0 {
                    let vs = d.get(p - off..).unwrap_or(&[]);
                    for (i, v) in vs.chunks_exact(4).enumerate() {
                        let v = v.u32_at(0).unwrap_or(0);
                        sink.field(
                            &SUPPORTED_VERSION,
                            u(u64::from(v)),
                            Span::new(p + 4 * i, 4),
                            None,
                        );
                    }
                    sink.close();
                    continue;
                }
                if let Some((tl, token)) = l.token {
                    sink.field(&TOKEN_LENGTH, u(tl), Span::NONE, None);
                    if !token.is_empty() {
                        sink.field(
                            &TOKEN,
                            Value::Bytes(token),
                            Span::new(off + l.pn_at, 0),
                            None,
                        );
                    }
                }
                if let Some(len) = l.length {
                    sink.field(&LENGTH, u(len), Span::NONE, None);
                }
                match open_if_client(d, &l, a.aux) {
                    Some(op) => {
                        sink.field(&PN_LENGTH, u(op.pn_len as u64 - 1), Span::new(o, 1), None);
                        sink.field(
                            &PACKET_NUMBER,
                            u(op.pn),
                            Span::new(off + l.pn_at, op.pn_len),
                            None,
                        );
                        if let Some(plain) = &op.plain {
                            emit_frames(plain, sink);
                        }
                    }
                    None => {
                        let body = d.get(l.pn_at..l.end).unwrap_or(&[]);
                        sink.field(
                            &PROTECTED,
                            Value::Bytes(body),
                            Span::new(off + l.pn_at, body.len()),
                            None,
                        );
                    }
                }
                sink.close();
            }
        }
    }
}

/// Frames of a decrypted payload (values are owned or numbers: the plaintext does not outlive
/// this call, so byte fields of it are not emitted).
fn emit_frames<'a>(plain: &[u8], sink: &mut dyn Sink<'a>) {
    let u = |v: u64| Value::UInt(v);
    let fr = frames(plain);
    for (_, f) in &fr {
        let name = f.name();
        sink.open(
            &FRAME,
            Value::None,
            Span::NONE,
            Some(format_args!("{name}")),
        );
        sink.field(
            &FRAME_TYPE,
            u(f.code()),
            Span::NONE,
            Some(format_args!("Frame Type: {name} ({:#x})", f.code())),
        );
        match f {
            Frame::Padding(n) => sink.field(&PADDING_LENGTH, u(*n as u64), Span::NONE, None),
            Frame::Ack {
                largest,
                delay,
                ranges,
                first,
            } => {
                sink.field(&ACK_LARGEST, u(*largest), Span::NONE, None);
                sink.field(&ACK_DELAY, u(*delay), Span::NONE, None);
                sink.field(&ACK_RANGES, u(*ranges), Span::NONE, None);
                sink.field(&ACK_FIRST, u(*first), Span::NONE, None);
            }
            Frame::Crypto { offset, data } => {
                sink.field(&CRYPTO_OFFSET, u(*offset), Span::NONE, None);
                sink.field(&CRYPTO_LENGTH, u(data.len() as u64), Span::NONE, None);
            }
            Frame::Close { code, reason } => {
                sink.field(&CC_ERROR, u(*code), Span::NONE, None);
                let r = String::from_utf8_lossy(reason).into_owned();
                sink.field(&CC_REASON, Value::Str(r.into()), Span::NONE, None);
            }
            Frame::Ping => {}
        }
        sink.close();
    }
    let stream = crypto_stream(&fr);
    if let Some(h) = tls::hello(&stream).filter(|h| h.hs_type == 1) {
        sink.open(
            &tls::HANDSHAKE,
            Value::None,
            Span::NONE,
            Some(format_args!(
                "TLS Handshake Protocol: Client Hello (from the CRYPTO frames)"
            )),
        );
        sink.field(&tls::HS_TYPE, u(1), Span::NONE, None);
        if let Some(sni) = h.sni {
            sink.field(
                &tls::SNI,
                Value::Str(sni.to_owned().into()),
                Span::NONE,
                None,
            );
        }
        for name in h.alpn_names() {
            let s = String::from_utf8_lossy(name).into_owned();
            sink.field(&tls::ALPN, Value::Str(s.into()), Span::NONE, None);
        }
        sink.close();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::dissect::Decoded;

    /// RFC 9001 Appendix A.1: the keys for DCID 0x8394c8f03e515708.
    #[test]
    fn initial_keys_match_rfc_9001_appendix_a() {
        let dcid = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];
        let k = client_initial_keys(1, &dcid).unwrap();
        assert_eq!(k.key, hex16("1f369613dd76d5467730efcbe3b1a22d"));
        assert_eq!(k.hp, hex16("9f50449e04a0e810283a1e9933adedd2"));
        let iv: Vec<u8> = (0..12)
            .map(|i| u8::from_str_radix(&"fa044b2f42a3fd3b46fb255c"[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        assert_eq!(k.iv.to_vec(), iv);
    }

    fn hex16(s: &str) -> [u8; 16] {
        let mut o = [0u8; 16];
        for (i, b) in o.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        o
    }

    #[test]
    fn varints_per_rfc_9000_appendix_a1() {
        assert_eq!(
            varint(&[0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c], 0),
            Some((151_288_809_941_952_652, 8))
        );
        assert_eq!(varint(&[0x9d, 0x7f, 0x3e, 0x7d], 0), Some((494_878_333, 4)));
        assert_eq!(varint(&[0x7b, 0xbd], 0), Some((15_293, 2)));
        assert_eq!(varint(&[0x25], 0), Some((37, 1)));
        assert_eq!(varint(&[0x7b], 0), None);
    }

    #[test]
    fn hostile_datagrams_do_not_panic() {
        let mut cx = DissectCx {
            ports: Some((50000, 443)),
            ..DissectCx::default()
        };
        for n in 0..80usize {
            for fill in [0u8, 0xff, 0xc3, 0x40] {
                let mut d = vec![fill; n];
                if let Some(b) = d.first_mut() {
                    *b = 0xc3;
                }
                if n > 5 {
                    d[1..5].copy_from_slice(&1u32.to_be_bytes());
                }
                if let Ok(Some(x)) = dissect(&d, 0, &mut cx) {
                    let Decoded::App(a) = x.layer else { continue };
                    let (mut p, mut i) = (String::new(), String::new());
                    columns(
                        &a,
                        &mut ColumnText {
                            protocol: &mut p,
                            info: &mut i,
                        },
                    );
                }
                let _ = frames(&d);
            }
        }
    }
}
