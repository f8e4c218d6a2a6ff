//! The per-packet match key ([`Fingerprint`]): everything the matcher, the clock estimate and
//! the classification need from one packet, computed once while a file is indexed.
//!
//! What goes in, and why:
//! - fields a middlebox leaves alone, to find a packet's twin: IP protocol, IPv4
//!   identification (IPv6: flow label), transport payload length, the first
//!   [`HEAD_BYTES`] payload bytes and a hash of the first [`PAYLOAD_HASH_BYTES`] captured
//!   ones (with how many were captured, so that captures with different snap lengths are
//!   compared on the bytes both hold), TCP flags, the TCP timestamp value and SACK edges,
//!   ICMP type/code/sequence;
//! - fields a middlebox rewrites, to report what it did: addresses and ports (NAT/PAT), TCP
//!   sequence/acknowledgment numbers (ISN randomisation), TTL / hop limit, DSCP/ECN, the TCP
//!   window, MSS and a digest of the option list, the IPv4 DF bit.
//!
//! Lengths come from the IP header, never from what was captured: a packet cut by a snap
//! length (even inside its TCP options) keeps its sequence range. IP fragments carry their
//! byte offset in `seq`, so that the matcher can account for a datagram's bytes.
//!
//! ICMP errors carry the invariant parts of the packet they quote (its IP ID, protocol,
//! destination and destination port, length), not the quote's bytes, which NAT rewrites.
//!
//! Size: 96 bytes. Full IPv6 addresses (32 bytes) are kept so that NAT tables and diagnoses
//! can name hosts without going back to the packets.

use crate::dissect::{tcp::TcpOption, Decoded, Packet};
use crate::flow::FxBuildHasher;
use std::hash::{BuildHasher, Hasher};

/// Bytes of transport payload hashed into [`Fingerprint::payload_hash`].
pub const PAYLOAD_HASH_BYTES: usize = 32;
/// Payload bytes kept verbatim in [`Fingerprint::head`] (compared when a snap length cuts
/// into the hashed bytes on one side).
pub const HEAD_BYTES: usize = 8;

/// Bits of [`Fingerprint::bits`].
pub mod bits {
    /// Mask of the address family: [`FAMILY_NONE`], [`FAMILY_V4`] or [`FAMILY_V6`].
    pub const FAMILY: u8 = 0b11;
    /// Not an IP packet (ARP and anything else).
    pub const FAMILY_NONE: u8 = 0;
    /// IPv4.
    pub const FAMILY_V4: u8 = 1;
    /// IPv6.
    pub const FAMILY_V6: u8 = 2;
    /// IPv4 Don't Fragment.
    pub const DF: u8 = 1 << 2;
    /// An IP fragment (more fragments, or a non-zero offset).
    pub const FRAGMENT: u8 = 1 << 3;
    /// An ICMP / ICMPv6 error (the key describes the quoted packet).
    pub const ICMP_ERROR: u8 = 1 << 4;
    /// ARP (addresses are the sender and target protocol addresses).
    pub const ARP: u8 = 1 << 5;
    /// Left out of the report by a display filter (still used for matching).
    pub const EXCLUDED: u8 = 1 << 6;
    /// A TCP segment (seq, ack, window, options are set).
    pub const TCP: u8 = 1 << 7;
}

/// Bits of [`Fingerprint::more`].
pub mod more {
    /// The TCP header was cut by the snap length: options (time stamps, SACK, MSS) are
    /// incomplete and were not read.
    pub const OPTS_CUT: u8 = 1;
    /// The TCP segment carries a timestamp option ([`super::Fingerprint::tsval`] is set).
    pub const HAS_TS: u8 = 1 << 1;
}

/// TCP flag bits kept in [`Fingerprint::flags`] for TCP (FIN, SYN, RST, PSH, ACK, URG, ECE,
/// CWR: the low byte of the flags field).
pub mod tcp_flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
    /// URG.
    pub const URG: u8 = 0x20;
    /// The flags a middlebox does not touch (ECE/CWR may be cleared by ECN-unaware boxes).
    pub const INVARIANT: u8 = 0x3f;
}

/// Per-packet match key. Small and `Copy`; see the module documentation for its contents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// Capture time stamp, nanoseconds since the Unix epoch (saturating).
    pub ts_ns: i64,
    /// Source address (IPv4 in the last 4 bytes, the first 12 zero). ARP: sender address.
    pub src: [u8; 16],
    /// Destination address. ARP: target address.
    pub dst: [u8; 16],
    /// The first [`HEAD_BYTES`] bytes of transport payload, big-endian, zero-padded (only
    /// the first [`Fingerprint::cap`] of them were captured).
    pub head: u64,
    /// TCP sequence number; ICMP echo: the echo sequence number; IP fragments: the
    /// fragment's byte offset in its datagram.
    pub seq: u32,
    /// TCP acknowledgment number (0 without ACK).
    pub ack: u32,
    /// Hash of the first [`PAYLOAD_HASH_BYTES`] captured bytes of transport payload (ICMP
    /// errors: of the quoted packet's invariant fields).
    pub payload_hash: u32,
    /// TCP timestamp value (TSval), when [`more::HAS_TS`] is set.
    pub tsval: u32,
    /// Hash of the TCP SACK edges relative to the acknowledgment number (0 = none): a
    /// firewall that shifts sequence numbers shifts both, and duplicate ACKs differ there.
    pub sack: u32,
    /// Source port; ICMP echo request: the identifier; echo reply: 0.
    pub src_port: u16,
    /// Destination port; ICMP echo reply: the identifier; echo request: 0.
    pub dst_port: u16,
    /// IPv4 identification; IPv6: fragment identification, else the flow label folded to
    /// 16 bits.
    pub ident: u16,
    /// Transport payload length on the wire (saturates at 65535); IP fragments: the
    /// fragment's IP payload length.
    pub payload_len: u16,
    /// IP length of the packet on the wire (IPv4 total length; IPv6: 40 + payload length),
    /// saturating at 65535; 0 when not IP.
    pub ip_len: u16,
    /// TCP window (unscaled).
    pub window: u16,
    /// TCP MSS option value (0 = none).
    pub mss: u16,
    /// Digest of the TCP option list (kinds in order, window scale, not SACK edges or
    /// timestamps, which legitimately change).
    pub opt_digest: u16,
    /// IP protocol (after IPv6 extension headers); 0 when not IP.
    pub proto: u8,
    /// TCP flags (low byte) or ICMP type.
    pub flags: u8,
    /// ICMP code.
    pub code: u8,
    /// TTL / hop limit.
    pub ttl: u8,
    /// IPv4 DS field / IPv6 traffic class (DSCP << 2 | ECN).
    pub tos: u8,
    /// Kind bits ([`bits`]).
    pub bits: u8,
    /// Payload bytes captured (saturates at 255): the hash and head cover
    /// `min(cap, PAYLOAD_HASH_BYTES)` and `min(cap, HEAD_BYTES)` bytes.
    pub cap: u8,
    /// More kind bits ([`more`]).
    pub more: u8,
}

fn fold32(h: u64) -> u32 {
    (h ^ (h >> 32)) as u32
}

fn hash_bytes(b: &[u8]) -> u32 {
    let mut h = FxBuildHasher::default().build_hasher();
    h.write(b.get(..PAYLOAD_HASH_BYTES).unwrap_or(b));
    fold32(h.finish())
}

/// The first [`HEAD_BYTES`] of `b`, big-endian, zero-padded.
fn head_of(b: &[u8]) -> u64 {
    let mut x = [0u8; HEAD_BYTES];
    for (d, s) in x.iter_mut().zip(b) {
        *d = *s;
    }
    u64::from_be_bytes(x)
}

fn sat8(v: usize) -> u8 {
    u8::try_from(v).unwrap_or(u8::MAX)
}

fn v4(a: [u8; 4]) -> [u8; 16] {
    let mut o = [0u8; 16];
    o[12..].copy_from_slice(&a);
    o
}

fn sat16(v: usize) -> u16 {
    u16::try_from(v).unwrap_or(u16::MAX)
}

impl Fingerprint {
    /// Computes the key of a decoded packet (any decode depth that reaches the transport).
    pub fn of(pkt: &Packet<'_>) -> Fingerprint {
        let ts = pkt.meta.ts.as_nanos();
        let mut f = Fingerprint {
            ts_ns: i64::try_from(ts).unwrap_or(if ts < 0 { i64::MIN } else { i64::MAX }),
            ..Fingerprint::default()
        };
        // The innermost IP layer that is not quoted by an ICMP error.
        let ip_at = pkt.layers.iter().rposition(|l| match &l.data {
            Decoded::Ipv4(ip) => !ip.in_error,
            Decoded::Ipv6(ip) => !ip.in_error,
            _ => false,
        });
        let Some(ip_at) = ip_at else {
            f.fill_non_ip(pkt);
            return f;
        };
        let mut ip_payload: &[u8] = &[];
        let mut ip_payload_len = 0usize;
        if let Some(l) = pkt.layers.get(ip_at) {
            ip_payload = pkt
                .data
                .get(l.off + l.header_len..l.off + l.len)
                .unwrap_or(&[]);
            match &l.data {
                Decoded::Ipv4(ip) => {
                    f.bits |= bits::FAMILY_V4;
                    f.src = v4(ip.src());
                    f.dst = v4(ip.dst());
                    f.ident = ip.id();
                    f.ttl = ip.ttl();
                    f.tos = ip.tos();
                    f.proto = ip.proto();
                    if ip.df() {
                        f.bits |= bits::DF;
                    }
                    if ip.is_fragment() {
                        f.bits |= bits::FRAGMENT;
                    }
                    ip_payload_len = usize::from(ip.total_len()).saturating_sub(ip.header_len());
                    f.ip_len = ip.total_len();
                }
                Decoded::Ipv6(ip) => {
                    f.bits |= bits::FAMILY_V6;
                    f.src = ip.src();
                    f.dst = ip.dst();
                    let fl = ip.flow();
                    f.ident = ((fl & 0xffff) ^ (fl >> 16)) as u16;
                    if let Some((off, more, id)) = ip.fragment {
                        f.ident = ((id & 0xffff) ^ (id >> 16)) as u16;
                        if more || off != 0 {
                            f.bits |= bits::FRAGMENT;
                        }
                    }
                    f.ttl = ip.hlim();
                    f.tos = ip.tclass();
                    f.proto = ip.final_nxt;
                    ip_payload_len = usize::from(ip.plen()).saturating_sub(ip.exts.len());
                    f.ip_len = ip.plen().saturating_add(40);
                }
                _ => {}
            }
        }
        // Fragments: key on the IP payload and its place in the datagram (the matcher
        // accounts for the datagram's bytes, whatever the fragment boundaries).
        if f.bits & bits::FRAGMENT != 0 {
            f.seq = frag_offset(pkt, ip_at);
            f.payload_len = sat16(ip_payload_len);
            f.set_payload(ip_payload);
            return f;
        }
        let next = pkt.layers.get(ip_at + 1).map(|l| &l.data);
        match next {
            Some(Decoded::Tcp(t)) if !t.in_error && t.hdr.len() >= 20 => {
                f.bits |= bits::TCP;
                f.src_port = t.src_port();
                f.dst_port = t.dst_port();
                f.seq = t.seq();
                f.flags = (t.flags() & 0xff) as u8;
                f.ack = if f.flags & tcp_flags::ACK != 0 {
                    t.ack()
                } else {
                    0
                };
                f.window = t.window();
                // The segment length from the IP header and the data offset: right even when
                // the snap length cut the header itself.
                let hl = t.header_len();
                f.payload_len = sat16(ip_payload_len.saturating_sub(hl));
                if t.hdr.len() < hl {
                    f.more |= more::OPTS_CUT;
                }
                f.set_payload(t.payload);
                let mut sack = FxBuildHasher::default().build_hasher();
                let mut any_sack = false;
                let mut d = FxBuildHasher::default().build_hasher();
                // Terminates: the option iterator advances at least one byte per item.
                for (_, _, o) in t.options() {
                    match o {
                        TcpOption::Nop | TcpOption::Eol => {}
                        TcpOption::Mss(m) => {
                            f.mss = m;
                            d.write_u8(2);
                        }
                        TcpOption::WindowScale(s) => {
                            d.write_u8(3);
                            d.write_u8(s);
                        }
                        TcpOption::SackPermitted => d.write_u8(4),
                        TcpOption::Sack(edges) => {
                            d.write_u8(5);
                            any_sack = true;
                            for e in edges.chunks_exact(4) {
                                let v = u32::from_be_bytes([
                                    e.first().copied().unwrap_or(0),
                                    e.get(1).copied().unwrap_or(0),
                                    e.get(2).copied().unwrap_or(0),
                                    e.get(3).copied().unwrap_or(0),
                                ]);
                                sack.write_u32(v.wrapping_sub(f.ack));
                            }
                        }
                        TcpOption::Timestamp(v, _) => {
                            d.write_u8(8);
                            f.tsval = v;
                            f.more |= more::HAS_TS;
                        }
                        TcpOption::FastOpen(_) => d.write_u8(34),
                        TcpOption::Other(k, _) | TcpOption::Bad(k, _) => d.write_u8(k),
                    }
                }
                if any_sack {
                    f.sack = fold32(sack.finish()) | 1;
                }
                let h = d.finish();
                f.opt_digest = (h ^ (h >> 16) ^ (h >> 32) ^ (h >> 48)) as u16;
            }
            Some(Decoded::Udp(u)) if !u.in_error => {
                f.src_port = u.src_port();
                f.dst_port = u.dst_port();
                f.payload_len = sat16(usize::from(u.length()).saturating_sub(8));
                f.set_payload(u.payload);
            }
            Some(Decoded::Icmp(m)) if !m.in_error => {
                f.flags = m.icmp_type();
                f.code = m.code();
                f.payload_len = sat16(ip_payload_len);
                if m.is_echo() {
                    f.echo(m.icmp_type() == 8, m.ident(), m.seq());
                    f.set_payload(m.data.get(8..).unwrap_or(&[]));
                } else if crate::dissect::icmp::is_error(m.icmp_type()) {
                    f.bits |= bits::ICMP_ERROR;
                    f.payload_hash = quote_hash(pkt, ip_at + 2, f.flags, f.code);
                    f.cap = u8::MAX;
                } else {
                    f.payload_hash = hash_icmp_body(m.data);
                    f.cap = u8::MAX;
                }
            }
            Some(Decoded::Icmpv6(m)) if !m.in_error => {
                f.flags = m.icmp_type();
                f.code = m.code();
                f.payload_len = sat16(ip_payload_len);
                if m.is_echo() {
                    f.echo(m.icmp_type() == 128, m.ident(), m.seq());
                    f.set_payload(m.data.get(8..).unwrap_or(&[]));
                } else if m.icmp_type() < 128 {
                    f.bits |= bits::ICMP_ERROR;
                    f.payload_hash = quote_hash(pkt, ip_at + 2, f.flags, f.code);
                    f.cap = u8::MAX;
                } else {
                    f.payload_hash = hash_icmp_body(m.data);
                    f.cap = u8::MAX;
                }
            }
            _ => {
                f.payload_len = sat16(ip_payload_len);
                f.set_payload(ip_payload);
            }
        }
        f
    }

    /// Hash, head and captured length of a payload.
    fn set_payload(&mut self, p: &[u8]) {
        self.payload_hash = hash_bytes(p);
        self.head = head_of(p);
        self.cap = sat8(p.len());
    }

    /// Whether the captured payload is shorter than what the hash would cover on a full
    /// capture: a snap length cut into the compared bytes.
    pub fn payload_cut(&self) -> bool {
        usize::from(self.cap) < usize::from(self.payload_len).min(PAYLOAD_HASH_BYTES)
    }

    fn echo(&mut self, request: bool, ident: u16, seq: u16) {
        if request {
            self.src_port = ident;
        } else {
            self.dst_port = ident;
        }
        self.seq = u32::from(seq);
    }

    fn fill_non_ip(&mut self, pkt: &Packet<'_>) {
        for l in &pkt.layers {
            if let Decoded::Arp(a) = &l.data {
                self.bits |= bits::ARP;
                if let (Some(s), Some(t)) = (a.spa4(), a.tpa4()) {
                    self.src = v4(s);
                    self.dst = v4(t);
                }
                self.flags = a.opcode() as u8;
                let body = pkt.data.get(l.off..l.off + l.len).unwrap_or(&[]);
                self.payload_len = sat16(body.len());
                self.set_payload(body);
                return;
            }
        }
        // Anything else: the bytes after the first (link) layer's header.
        let start = pkt.layers.first().map_or(0, |l| l.header_len);
        let body = pkt.data.get(start..).unwrap_or(&[]);
        self.payload_len = sat16(body.len());
        self.set_payload(body);
    }

    /// IPv4, IPv6 or neither.
    pub fn family(&self) -> u8 {
        self.bits & bits::FAMILY
    }

    /// An IP packet.
    pub fn is_ip(&self) -> bool {
        self.family() != bits::FAMILY_NONE
    }

    /// A TCP segment.
    pub fn is_tcp(&self) -> bool {
        self.bits & bits::TCP != 0
    }

    /// Left out of the report by a display filter.
    pub fn is_excluded(&self) -> bool {
        self.bits & bits::EXCLUDED != 0
    }

    /// Marks the packet as left out of (or back in) the report. Matching still uses it, so
    /// that filtering one side by a field a middlebox rewrites keeps its twin.
    pub fn set_excluded(&mut self, excluded: bool) {
        if excluded {
            self.bits |= bits::EXCLUDED;
        } else {
            self.bits &= !bits::EXCLUDED;
        }
    }

    /// A packet with ports (TCP, UDP) or an ICMP echo identifier: it belongs to a flow that
    /// NAT maps one to one. Other IP packets (ICMP errors, other protocols, later fragments)
    /// are matched on their own content, since NAT folds them together.
    pub fn has_ports(&self) -> bool {
        if !self.is_ip() || self.bits & (bits::ICMP_ERROR | bits::FRAGMENT) != 0 {
            return false;
        }
        match self.proto {
            6 => self.is_tcp(),
            17 => true,
            1 => matches!(self.flags, 0 | 8),
            58 => matches!(self.flags, 128 | 129),
            _ => false,
        }
    }

    /// A TCP segment with the SYN flag and without ACK (a connection attempt).
    pub fn is_syn(&self) -> bool {
        self.is_tcp() && self.flags & (tcp_flags::SYN | tcp_flags::ACK) == tcp_flags::SYN
    }

    /// Whether the matcher accounts for this packet in bytes rather than as a whole: a TCP
    /// segment with payload (its sequence range is compared, so that offload super-segments
    /// and re-segmentation match), or an IP fragment (its range within the datagram).
    pub fn is_byte_unit(&self) -> bool {
        self.is_ip() && ((self.is_tcp() && self.payload_len > 0) || self.bits & bits::FRAGMENT != 0)
    }

    /// Sequence space the segment occupies (payload, plus one for SYN and FIN).
    pub fn seq_len(&self) -> u32 {
        let mut n = u32::from(self.payload_len);
        if self.flags & (tcp_flags::SYN | tcp_flags::FIN) != 0 {
            n += 1;
        }
        n
    }
}

/// Byte offset of the fragment in its datagram.
fn frag_offset(pkt: &Packet<'_>, ip_at: usize) -> u32 {
    match pkt.layers.get(ip_at).map(|l| &l.data) {
        Some(Decoded::Ipv4(ip)) => u32::from(ip.frag_offset()) * 8,
        Some(Decoded::Ipv6(ip)) => ip.fragment.map_or(0, |(off, _, _)| u32::from(off)),
        _ => 0,
    }
}

/// Hash of an ICMP message without its checksum (informational messages that no NAT touches).
fn hash_icmp_body(data: &[u8]) -> u32 {
    let mut h = FxBuildHasher::default().build_hasher();
    h.write(data.get(..2).unwrap_or(&[]));
    h.write(
        data.get(4..)
            .map(|b| b.get(..PAYLOAD_HASH_BYTES).unwrap_or(b))
            .unwrap_or(&[]),
    );
    fold32(h.finish())
}

/// Hash of the fields of a quoted packet that NAT leaves alone: its IP ID (or flow label),
/// protocol, destination address, total length and destination port.
fn quote_hash(pkt: &Packet<'_>, from: usize, t: u8, code: u8) -> u32 {
    let mut h = FxBuildHasher::default().build_hasher();
    h.write_u8(t);
    h.write_u8(code);
    for l in pkt.layers.iter().skip(from) {
        match &l.data {
            Decoded::Ipv4(ip) => {
                h.write_u16(ip.id());
                h.write_u8(ip.proto());
                h.write(&ip.dst());
                h.write_u16(ip.total_len());
            }
            Decoded::Ipv6(ip) => {
                h.write_u32(ip.flow());
                h.write_u8(ip.final_nxt);
                h.write(&ip.dst());
                h.write_u16(ip.plen());
            }
            Decoded::Tcp(tcp) => h.write_u16(tcp.dst_port()),
            Decoded::Udp(udp) => h.write_u16(udp.dst_port()),
            Decoded::Icmp(m) => h.write_u16(m.seq()),
            Decoded::Icmpv6(m) => h.write_u16(m.seq()),
            _ => {}
        }
    }
    fold32(h.finish())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_96_bytes() {
        assert_eq!(std::mem::size_of::<Fingerprint>(), 96);
    }
}
