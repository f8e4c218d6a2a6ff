//! Anonymisation for exports: addresses replaced consistently (one secret gives the same
//! mapping in every file, so an anonymised source/target pair still compares exactly like
//! the original), checksums kept consistent, payloads optionally zeroed or cut.
//!
//! - IPv4 and IPv6: prefix-preserving (two addresses sharing an n-bit prefix still share
//!   one; the Crypto-PAn construction with SHA-256 as the pseudo-random function).
//!   Unspecified, broadcast, multicast and loopback addresses are kept (they carry no
//!   identity and their meaning matters); IPv6 link-local keeps its `fe80::/64` prefix.
//! - MAC addresses: keyed pseudonyms with the locally-administered bit set; broadcast and
//!   multicast are kept.
//! - Checksums (IPv4 header, TCP, UDP, ICMP, ICMPv6, quoted headers in ICMP errors) are
//!   updated incrementally (RFC 1624), so a correct checksum stays correct and a wrong one
//!   stays wrong by the same amount.
//! - Payloads after the innermost transport header: kept, zeroed (lengths and sequence
//!   numbers stay) or cut off (the record keeps the original length).
//!
//! Rewritten: Ethernet and ARP hardware addresses, IPv4/IPv6 source and destination
//! (outer, tunnelled and quoted in ICMP errors), ARP protocol addresses. Not rewritten:
//! addresses inside payloads (DNS answers, HTTP headers: zero or cut payloads to remove
//! them), IPv4 options and IPv6 routing headers, Linux cooked-capture link addresses.

use crate::dissect::{Decoded, Packet};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// What happens to payload bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Payload {
    /// Left as they are.
    #[default]
    Keep,
    /// Replaced by zeros.
    Zero,
    /// Cut off after the innermost header (the record keeps the original length).
    Truncate,
}

/// Bound on remembered mappings (each costs up to 128 SHA-256 computations to make).
const MAX_CACHE: usize = 1 << 20;

/// Rewrites packets with consistent pseudonyms.
pub struct Anonymizer {
    key: [u8; 32],
    /// Payload treatment.
    pub payload: Payload,
    v4: HashMap<u32, u32>,
    v6: HashMap<u128, u128>,
    mac: HashMap<[u8; 6], [u8; 6]>,
}

impl std::fmt::Debug for Anonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Anonymizer")
            .field("payload", &self.payload)
            .finish_non_exhaustive()
    }
}

impl Anonymizer {
    /// An anonymizer keyed by `secret` (the same secret gives the same mapping).
    pub fn new(secret: &[u8], payload: Payload) -> Anonymizer {
        let mut h = Sha256::new();
        h.update(b"paircap anonymize v1\0");
        h.update(secret);
        Anonymizer {
            key: h.finalize().into(),
            payload,
            v4: HashMap::new(),
            v6: HashMap::new(),
            mac: HashMap::new(),
        }
    }

    /// Bit `i` of the pad for an address whose first `i` bits are `prefix`.
    fn pad_bit(&self, tag: u8, i: u32, prefix: u128) -> u128 {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update([tag, i as u8]);
        h.update(prefix.to_be_bytes());
        u128::from(h.finalize()[0] & 1)
    }

    /// Prefix-preserving map of the low `bits` bits of `a`, keeping the first `keep` bits.
    fn pp(&self, tag: u8, a: u128, bits: u32, keep: u32) -> u128 {
        let mut out: u128 = 0;
        for i in 0..bits {
            let bit = (a >> (bits - 1 - i)) & 1;
            let prefix = if i == 0 { 0 } else { a >> (bits - i) };
            let f = if i < keep {
                0
            } else {
                self.pad_bit(tag, i, prefix)
            };
            out = (out << 1) | (bit ^ f);
        }
        out
    }

    /// The pseudonym of an IPv4 address.
    pub fn ipv4(&mut self, a: [u8; 4]) -> [u8; 4] {
        let x = u32::from_be_bytes(a);
        if x == 0 || x == u32::MAX || a[0] >= 224 || a[0] == 127 {
            return a;
        }
        if let Some(y) = self.v4.get(&x) {
            return y.to_be_bytes();
        }
        // Cycle-walk: a pseudonym never lands in a kept range (multicast, class E,
        // loopback, 0/255.255.255.255), where it could equal a real kept address.
        let mut y = self.pp(4, u128::from(x), 32, 0) as u32;
        for _ in 0..64 {
            let b = y.to_be_bytes();
            if !(y == 0 || y == u32::MAX || b[0] >= 224 || b[0] == 127) {
                break;
            }
            y = self.pp(4, u128::from(y), 32, 0) as u32;
        }
        if self.v4.len() < MAX_CACHE {
            self.v4.insert(x, y);
        }
        y.to_be_bytes()
    }

    /// The pseudonym of an IPv6 address.
    pub fn ipv6(&mut self, a: [u8; 16]) -> [u8; 16] {
        let x = u128::from_be_bytes(a);
        if x == 0 || x == 1 || a[0] == 0xff {
            return a;
        }
        if let Some(y) = self.v6.get(&x) {
            return y.to_be_bytes();
        }
        // Link-local fe80::/10 keeps its /64 prefix (only the interface id is personal).
        let keep = if a[0] == 0xfe && a[1] & 0xc0 == 0x80 {
            64
        } else {
            0
        };
        let mut y = self.pp(6, x, 128, keep);
        for _ in 0..64 {
            if !(y == 0 || y == 1 || y >> 120 == 0xff) {
                break;
            }
            y = self.pp(6, y, 128, keep);
        }
        if self.v6.len() < MAX_CACHE {
            self.v6.insert(x, y);
        }
        y.to_be_bytes()
    }

    /// The pseudonym of a MAC address.
    pub fn mac(&mut self, m: [u8; 6]) -> [u8; 6] {
        if m[0] & 1 == 1 || m == [0; 6] {
            return m;
        }
        if let Some(y) = self.mac.get(&m) {
            return *y;
        }
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(b"mac");
        h.update(m);
        let d = h.finalize();
        let mut y = [0u8; 6];
        y.copy_from_slice(d.get(..6).unwrap_or(&[0; 6]));
        y[0] = (y[0] & 0xfc) | 0x02;
        if self.mac.len() < MAX_CACHE {
            self.mac.insert(m, y);
        }
        y
    }

    /// Neighbour discovery: the target address of a solicitation or advertisement
    /// (type 135/136) and redirect (137), link-layer address options (1, 2) and prefix
    /// information (3, prefix-preserving like any address).
    fn rewrite_nd(&mut self, ed: &mut Edits<'_>, off: usize, end: usize, ty: u8) {
        let opts_at = match ty {
            133 => off + 8,
            134 => off + 16,
            135 | 136 => off + 24,
            137 => off + 40,
            _ => return,
        };
        if matches!(ty, 135..=137) {
            if let Some(m) = ed.get::<16>(off + 8) {
                let n = self.ipv6(m);
                ed.put(off + 8, &n);
            }
            if ty == 137 {
                if let Some(m) = ed.get::<16>(off + 24) {
                    let n = self.ipv6(m);
                    ed.put(off + 24, &n);
                }
            }
        }
        // Options: type, length in 8-byte units; bounded by the message.
        let mut at = opts_at;
        for _ in 0..64 {
            let (Some(&t), Some(&len)) = (ed.out.get(at), ed.out.get(at + 1)) else {
                return;
            };
            let len = usize::from(len) * 8;
            if len == 0 || at + len > end {
                return;
            }
            match t {
                1 | 2 if len >= 8 => {
                    if let Some(m) = ed.get::<6>(at + 2) {
                        let n = self.mac(m);
                        ed.put(at + 2, &n);
                    }
                }
                3 if len >= 32 => {
                    if let Some(m) = ed.get::<16>(at + 16) {
                        let n = self.ipv6(m);
                        ed.put(at + 16, &n);
                    }
                }
                _ => {}
            }
            at += len;
        }
    }

    /// The packet's bytes with addresses replaced, checksums updated and payload treated.
    pub fn rewrite(&mut self, pkt: &Packet<'_>) -> Vec<u8> {
        let mut out = pkt.data.to_vec();
        let mut ed = Edits {
            out: &mut out,
            words: Vec::new(),
        };
        for l in &pkt.layers {
            match &l.data {
                Decoded::Ethernet(_) => {
                    for at in [l.off, l.off + 6] {
                        if let Some(m) = ed.get::<6>(at) {
                            let n = self.mac(m);
                            ed.put(at, &n);
                        }
                    }
                }
                Decoded::Arp(a) => {
                    let (hl, pl) = (
                        a.data.get(4).copied().unwrap_or(0),
                        a.data.get(5).copied().unwrap_or(0),
                    );
                    if hl == 6 && pl == 4 {
                        for (at, is_mac) in [(8, true), (14, false), (18, true), (24, false)] {
                            let at = l.off + at;
                            if is_mac {
                                if let Some(m) = ed.get::<6>(at) {
                                    let n = self.mac(m);
                                    ed.put(at, &n);
                                }
                            } else if let Some(m) = ed.get::<4>(at) {
                                let n = self.ipv4(m);
                                ed.put(at, &n);
                            }
                        }
                    }
                }
                Decoded::Ipv4(_) => {
                    for at in [l.off + 12, l.off + 16] {
                        if let Some(m) = ed.get::<4>(at) {
                            let n = self.ipv4(m);
                            ed.put(at, &n);
                        }
                    }
                }
                Decoded::Ipv6(_) => {
                    for at in [l.off + 8, l.off + 24] {
                        if let Some(m) = ed.get::<16>(at) {
                            let n = self.ipv6(m);
                            ed.put(at, &n);
                        }
                    }
                }
                Decoded::Icmpv6(m) if !m.in_error => {
                    self.rewrite_nd(&mut ed, l.off, l.off + l.len, m.icmp_type())
                }
                _ => {}
            }
        }
        // Payload: after the innermost transport header (ICMP: after its first 8 bytes, so
        // echo data and neighbour-discovery contents go too), else after the innermost IP
        // header (fragments, protocols not dissected).
        let payload_at = pkt.layers.iter().rev().find_map(|l| match &l.data {
            Decoded::Tcp(_) | Decoded::Udp(_) => Some(l.off + l.header_len),
            Decoded::Icmp(_) | Decoded::Icmpv6(_) => Some(l.off + 8.min(l.header_len)),
            Decoded::Ipv4(_) | Decoded::Ipv6(_) => Some(l.off + l.header_len),
            _ => None,
        });
        let mut cut = None;
        if let Some(p) = payload_at {
            match self.payload {
                Payload::Keep => {}
                Payload::Zero => {
                    let end = ed.out.len();
                    let mut at = p;
                    while at < end {
                        let n = (end - at).min(2);
                        ed.put(at, [0u8; 2].get(..n).unwrap_or(&[]));
                        at += n;
                    }
                }
                Payload::Truncate => cut = Some(p),
            }
        }
        // A first IPv4 fragment holds the transport header, undissected: its checksum covers
        // the pseudo-header addresses that changed.
        if let Some(l) = pkt.layers.last() {
            if let Decoded::Ipv4(ip) = &l.data {
                if ip.mf() && ip.frag_offset() == 0 {
                    let at = l.off + l.header_len;
                    let ck = match ip.proto() {
                        6 => Some(at + 16),
                        17 if ed.get::<2>(at + 6) != Some([0, 0]) => Some(at + 6),
                        _ => None,
                    };
                    if let Some(ck) = ck {
                        ed.fix_checksum(ck, (0, 0), Some((l.off + 12, 8)), ip.proto() == 17);
                    }
                }
            }
        }
        // Checksums, innermost first (an inner checksum is itself covered by outer ones).
        for (i, l) in pkt.layers.iter().enumerate().rev() {
            let ip = pkt
                .layers
                .get(..i)
                .unwrap_or(&[])
                .iter()
                .rev()
                .find(|x| matches!(x.data, Decoded::Ipv4(_) | Decoded::Ipv6(_)));
            let pseudo: Option<(usize, usize)> = ip.map(|x| match x.data {
                Decoded::Ipv4(_) => (x.off + 12, 8),
                _ => (x.off + 8, 32),
            });
            let (ck_at, region, with_pseudo) = match &l.data {
                Decoded::Ipv4(_) => (l.off + 10, (l.off, l.off + l.header_len), false),
                Decoded::Tcp(_) => (l.off + 16, (l.off, l.off + l.len), true),
                Decoded::Udp(_) => {
                    // No checksum (allowed over IPv4, and for tunnels over IPv6): stays so.
                    if ed.get::<2>(l.off + 6) == Some([0, 0]) {
                        continue;
                    }
                    (l.off + 6, (l.off, l.off + l.len), true)
                }
                Decoded::Icmp(_) => (l.off + 2, (l.off, l.off + l.len), false),
                Decoded::Icmpv6(_) => (l.off + 2, (l.off, l.off + l.len), true),
                _ => continue,
            };
            // The checksum field must lie inside the layer's own captured bytes.
            if ck_at + 2 > region.1 {
                continue;
            }
            ed.fix_checksum(
                ck_at,
                region,
                if with_pseudo { pseudo } else { None },
                matches!(l.data, Decoded::Udp(_)),
            );
        }
        if let Some(c) = cut {
            out.truncate(c);
        }
        out
    }
}

/// The packet being rewritten and the 16-bit words changed so far (offset, old, new).
struct Edits<'o> {
    out: &'o mut Vec<u8>,
    words: Vec<(usize, u16, u16)>,
}

impl Edits<'_> {
    fn get<const N: usize>(&self, at: usize) -> Option<[u8; N]> {
        self.out.get(at..at + N)?.try_into().ok()
    }

    fn word(&self, at: usize) -> u16 {
        u16::from_be_bytes([
            self.out.get(at).copied().unwrap_or(0),
            self.out.get(at + 1).copied().unwrap_or(0),
        ])
    }

    /// Writes `bytes` at `at`, recording the changed 16-bit words (offsets relative to
    /// `at`, which callers keep even relative to the headers they edit).
    fn put(&mut self, at: usize, bytes: &[u8]) {
        if at + bytes.len() > self.out.len() {
            return;
        }
        let mut i = 0;
        while i < bytes.len() {
            let w_at = at + i;
            let old = self.word(w_at);
            if let Some(b) = self.out.get_mut(w_at) {
                *b = bytes.get(i).copied().unwrap_or(0);
            }
            if let (Some(&nb), Some(b)) = (bytes.get(i + 1), self.out.get_mut(w_at + 1)) {
                *b = nb;
            }
            let new = self.word(w_at);
            if old != new {
                self.words.push((w_at, old, new));
            }
            i += 2;
        }
    }

    /// Updates the checksum at `ck_at` for the changes inside `region` (and inside the
    /// pseudo-header address range, when given), RFC 1624: HC' = ~(~HC + ~m + m'). A word
    /// at an odd offset from the region start counts byte-swapped (RFC 1071); the last word
    /// of an odd-length region counts only its first byte. UDP never gets 0x0000 (which
    /// would mean "no checksum").
    fn fix_checksum(
        &mut self,
        ck_at: usize,
        region: (usize, usize),
        pseudo: Option<(usize, usize)>,
        udp: bool,
    ) {
        if ck_at + 2 > self.out.len() {
            return;
        }
        let mut sum: u32 = u32::from(!self.word(ck_at));
        let mut any = false;
        for &(at, old, new) in &self.words {
            let (old, new) = if at >= region.0 && at < region.1 && at != ck_at {
                // Only the bytes inside the region count.
                let (o, n) = if at + 1 >= region.1 {
                    (old & 0xff00, new & 0xff00)
                } else {
                    (old, new)
                };
                if (at - region.0) % 2 == 0 {
                    (o, n)
                } else {
                    (o.swap_bytes(), n.swap_bytes())
                }
            } else if pseudo.is_some_and(|(p, n)| at >= p && at + 1 < p + n && (at - p) % 2 == 0) {
                (old, new)
            } else {
                continue;
            };
            sum += u32::from(!old) + u32::from(new);
            any = true;
        }
        if !any {
            return;
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        let mut ck = !(sum as u16);
        if udp && ck == 0 {
            ck = 0xffff;
        }
        self.put(ck_at, &ck.to_be_bytes());
    }
}
