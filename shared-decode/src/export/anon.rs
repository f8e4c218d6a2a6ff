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
        let y = self.pp(4, u128::from(x), 32, 0) as u32;
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
        let y = self.pp(6, x, 128, keep);
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
                _ => {}
            }
        }
        // Payload after the innermost transport header.
        let payload_at = pkt.layers.iter().rev().find_map(|l| match &l.data {
            Decoded::Tcp(_) | Decoded::Udp(_) | Decoded::Icmp(_) | Decoded::Icmpv6(_) => {
                Some(l.off + l.header_len)
            }
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
                    if ed.get::<2>(l.off + 6) == Some([0, 0])
                        && matches!(ip.map(|x| &x.data), Some(Decoded::Ipv4(_)))
                    {
                        continue; // UDP over IPv4 without a checksum.
                    }
                    (l.off + 6, (l.off, l.off + l.len), true)
                }
                Decoded::Icmp(_) => (l.off + 2, (l.off, l.off + l.len), false),
                Decoded::Icmpv6(_) => (l.off + 2, (l.off, l.off + l.len), true),
                _ => continue,
            };
            ed.fix_checksum(ck_at, region, if with_pseudo { pseudo } else { None });
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
    /// pseudo-header address range, when given), RFC 1624: HC' = ~(~HC + ~m + m').
    fn fix_checksum(
        &mut self,
        ck_at: usize,
        region: (usize, usize),
        pseudo: Option<(usize, usize)>,
    ) {
        if ck_at + 2 > self.out.len() {
            return;
        }
        let in_region =
            |at: usize| at >= region.0 && at < region.1 && at != ck_at && (at - region.0) % 2 == 0;
        let in_pseudo =
            |at: usize| pseudo.is_some_and(|(p, n)| at >= p && at < p + n && (at - p) % 2 == 0);
        let mut sum: u32 = u32::from(!self.word(ck_at));
        let mut any = false;
        for &(at, old, new) in &self.words {
            if in_region(at) || in_pseudo(at) {
                sum += u32::from(!old) + u32::from(new);
                any = true;
            }
        }
        if !any {
            return;
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        let ck = !(sum as u16);
        self.put(ck_at, &ck.to_be_bytes());
    }
}
