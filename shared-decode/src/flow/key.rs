//! Canonical flow keys: a conversation is the same whichever direction a packet goes.

use crate::dissect::{tcp::Tcp, Decoded, Packet};

/// One end of a conversation: address (IPv4 in the low 32 bits) and port. Integers, not
/// byte arrays, so that comparing and hashing keys is a few instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    /// Address (big-endian value of the 16 address bytes; IPv4 has the first 12 zero).
    pub addr: u128,
    /// Port (or ICMP identifier).
    pub port: u16,
}

impl Endpoint {
    /// An endpoint from 16 address bytes and a port.
    pub fn new(addr: [u8; 16], port: u16) -> Endpoint {
        Endpoint {
            addr: u128::from_be_bytes(addr),
            port,
        }
    }
}

/// A conversation: the two endpoints in canonical (sorted) order, and the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    /// Lower endpoint.
    pub a: Endpoint,
    /// Higher endpoint.
    pub b: Endpoint,
    /// IP protocol.
    pub proto: u8,
}

impl FlowKey {
    /// The key of a packet from `src` to `dst`.
    pub fn new(src: Endpoint, dst: Endpoint, proto: u8) -> FlowKey {
        if src <= dst {
            FlowKey {
                a: src,
                b: dst,
                proto,
            }
        } else {
            FlowKey {
                a: dst,
                b: src,
                proto,
            }
        }
    }
}

/// Addresses of the innermost IP layer before layer index `before`.
pub(crate) fn ip_addrs(pkt: &Packet<'_>, before: usize) -> Option<([u8; 16], [u8; 16])> {
    pkt.layers
        .get(..before)?
        .iter()
        .rev()
        .find_map(|l| match &l.data {
            Decoded::Ipv4(ip) => {
                let mut s = [0u8; 16];
                let mut d = [0u8; 16];
                s[12..].copy_from_slice(&ip.src());
                d[12..].copy_from_slice(&ip.dst());
                Some((s, d))
            }
            Decoded::Ipv6(ip) => Some((ip.src(), ip.dst())),
            _ => None,
        })
}

/// What the TCP analysis needs from a segment.
pub(crate) struct TcpSeg {
    pub seq: u32,
    pub ack: u32,
    pub seglen: u32,
    pub flags: u16,
    pub window: u16,
    pub wscale: Option<u8>,
}

impl TcpSeg {
    fn from(t: &Tcp<'_>) -> TcpSeg {
        let wscale = t.options().find_map(|(_, _, o)| match o {
            crate::dissect::tcp::TcpOption::WindowScale(s) => Some(s),
            _ => None,
        });
        TcpSeg {
            seq: t.seq(),
            ack: t.ack(),
            seglen: t.seg_len,
            flags: t.flags(),
            window: t.window(),
            wscale,
        }
    }
}

/// The TCP flow of a packet: key, source endpoint and segment facts.
pub(crate) fn tcp_key(pkt: &Packet<'_>) -> Option<(FlowKey, Endpoint, TcpSeg)> {
    let i = pkt
        .layers
        .iter()
        .position(|l| matches!(&l.data, Decoded::Tcp(t) if !t.in_error && t.hdr.len() >= 20))?;
    let Decoded::Tcp(t) = &pkt.layers.get(i)?.data else {
        return None;
    };
    let (s, d) = ip_addrs(pkt, i)?;
    let src = Endpoint::new(s, t.src_port());
    let dst = Endpoint::new(d, t.dst_port());
    Some((FlowKey::new(src, dst, 6), src, TcpSeg::from(t)))
}

/// The UDP flow of a packet.
pub(crate) fn udp_key(pkt: &Packet<'_>) -> Option<(FlowKey, Endpoint)> {
    let i = pkt
        .layers
        .iter()
        .position(|l| matches!(&l.data, Decoded::Udp(u) if !u.in_error))?;
    let Decoded::Udp(u) = &pkt.layers.get(i)?.data else {
        return None;
    };
    let (s, d) = ip_addrs(pkt, i)?;
    let src = Endpoint::new(s, u.src_port());
    let dst = Endpoint::new(d, u.dst_port());
    Some((FlowKey::new(src, dst, 17), src))
}

/// An ICMP echo: (key by addresses, identifier, sequence, is request).
pub(crate) fn echo_key(pkt: &Packet<'_>) -> Option<(FlowKey, u16, u16, bool)> {
    for (i, l) in pkt.layers.iter().enumerate() {
        let (id, seq, req, proto) = match &l.data {
            Decoded::Icmp(m) if !m.in_error && m.is_echo() => {
                (m.ident(), m.seq(), m.icmp_type() == 8, 1)
            }
            Decoded::Icmpv6(m) if !m.in_error && m.is_echo() => {
                (m.ident(), m.seq(), m.icmp_type() == 128, 58)
            }
            _ => continue,
        };
        let (s, d) = ip_addrs(pkt, i)?;
        let key = FlowKey::new(Endpoint::new(s, 0), Endpoint::new(d, 0), proto);
        return Some((key, id, seq, req));
    }
    None
}
