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

use crate::dissect::app::AnonPolicy;
use crate::dissect::tunnel::ShimKind;
use crate::dissect::{Decoded, Packet};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// What happens to payload bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Payload {
    /// Left as they are (transport payload only: application data such as DNS names,
    /// TLS server names and HTTP headers stays readable).
    Keep,
    /// Replaced by zeros (the default).
    #[default]
    Zero,
    /// Cut off after the innermost header (the record keeps the original length).
    Truncate,
}

/// `ff02::1:ff00:0/104`, the solicited-node multicast prefix (RFC 4291 2.7.1).
const SOLICITED_NODE: u128 = 0xff02_0000_0000_0000_0000_0001_ff00_0000;

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
    /// An anonymizer keyed by `secret`, which must be high-entropy (random bytes: the
    /// viewer's page secret, a generated key): it goes through one SHA-256, which is no
    /// defence for a guessable passphrase — the CLI stretches those with Argon2id first
    /// and passes the result to [`Anonymizer::with_key`].
    pub fn new(secret: &[u8], payload: Payload) -> Anonymizer {
        let mut h = Sha256::new();
        h.update(b"paircap anonymize v1\0");
        h.update(secret);
        Anonymizer::with_key(h.finalize().into(), payload)
    }

    /// An anonymizer with a 256-bit key (the same key gives the same mapping).
    pub fn with_key(key: [u8; 32], payload: Payload) -> Anonymizer {
        Anonymizer {
            key,
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

    /// The pseudonym of an IPv6 address: the first 104 bits prefix-preserving as for IPv4;
    /// the last 24 through a keyed permutation of those 24 bits alone, so that the
    /// solicited-node multicast address (`ff02::1:ffXX:XXXX`) and its MAC (`33:33:ff:XX:XX:XX`),
    /// which carry only those 24 bits, map to the same low bits as the unicast address
    /// they stand for (the whole mapping stays prefix-preserving).
    pub fn ipv6(&mut self, a: [u8; 16]) -> [u8; 16] {
        let x = u128::from_be_bytes(a);
        if x >> 24 == SOLICITED_NODE >> 24 {
            return (x & !0xff_ffff | u128::from(self.low24(x as u32 & 0xff_ffff))).to_be_bytes();
        }
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
        let map = |me: &Self, v: u128| -> u128 {
            let hi = me.pp(6, v >> 24, 104, keep);
            (hi << 24) | u128::from(me.low24(v as u32 & 0xff_ffff))
        };
        let mut y = map(self, x);
        for _ in 0..64 {
            if !(y == 0 || y == 1 || y >> 120 == 0xff) {
                break;
            }
            y = map(self, y);
        }
        if self.v6.len() < MAX_CACHE {
            self.v6.insert(x, y);
        }
        y.to_be_bytes()
    }

    /// The keyed permutation of an IPv6 address's last 24 bits.
    fn low24(&self, v: u32) -> u32 {
        self.pp(24, u128::from(v), 24, 0) as u32
    }

    /// The pseudonym of a MAC address.
    pub fn mac(&mut self, m: [u8; 6]) -> [u8; 6] {
        // The MAC of a solicited-node group: its low 24 bits as the address's.
        if m[..3] == [0x33, 0x33, 0xff] {
            let v = self.low24(u32::from_be_bytes([0, m[3], m[4], m[5]]));
            let b = v.to_be_bytes();
            return [0x33, 0x33, 0xff, b[1], b[2], b[3]];
        }
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

    /// Neighbour discovery (types 133–137): the target address of a solicitation or
    /// advertisement and the redirect's target and destination, link-layer address options
    /// (1, 2), prefix information (3, prefix-preserving like any address), MTU (5) kept;
    /// any other option's body (redirected header, nonce, DNS servers, …) is zeroed.
    fn rewrite_nd(&mut self, ed: &mut Edits<'_>, off: usize, end: usize, ty: u8) {
        let opts_at = match ty {
            133 => off + 8,
            134 => off + 16,
            135 | 136 => off + 24,
            137 => off + 40,
            _ => return,
        };
        if matches!(ty, 135..=137) {
            self.addr6_at(ed, off + 8);
            if ty == 137 {
                self.addr6_at(ed, off + 24);
            }
        }
        // Options: type, length in 8-byte units; bounded by the message.
        let mut at = opts_at;
        for _ in 0..64 {
            let (Some(&t), Some(&len)) = (ed.out.get(at), ed.out.get(at + 1)) else {
                break;
            };
            let len = usize::from(len) * 8;
            if len == 0 || at + len > end {
                break;
            }
            match t {
                1 | 2 if len >= 8 => {
                    self.mac_at(ed, at + 2);
                    ed.zero(at + 8, at + len);
                }
                3 if len >= 32 => self.addr6_at(ed, at + 16),
                5 => {}
                _ => ed.zero(at + 2, at + len),
            }
            at += len;
        }
        // Whatever the options walk did not reach (a bad length) is not kept.
        ed.zero(at.max(opts_at), end);
    }

    fn mac_at(&mut self, ed: &mut Edits<'_>, at: usize) {
        if let Some(m) = ed.get::<6>(at) {
            let n = self.mac(m);
            ed.put(at, &n);
        }
    }

    fn addr4_at(&mut self, ed: &mut Edits<'_>, at: usize) {
        if let Some(m) = ed.get::<4>(at) {
            let n = self.ipv4(m);
            ed.put(at, &n);
        }
    }

    fn addr6_at(&mut self, ed: &mut Edits<'_>, at: usize) {
        if let Some(m) = ed.get::<16>(at) {
            let n = self.ipv6(m);
            ed.put(at, &n);
        }
    }

    /// Linux cooked capture: the link-layer address (a MAC pseudonym when it is one, else
    /// zeros).
    fn rewrite_sll(&mut self, ed: &mut Edits<'_>, off: usize, v2: bool) {
        let (halen_at, addr_at) = if v2 {
            (off + 11, off + 12)
        } else {
            (off + 5, off + 6)
        };
        if ed.out.get(halen_at) == Some(&6) {
            self.mac_at(ed, addr_at);
            ed.zero(addr_at + 6, addr_at + 8);
        } else {
            ed.zero(addr_at, addr_at + 8);
        }
    }

    /// NFLOG TLVs (little-endian length and type, 4-byte aligned): the hardware address and
    /// header get pseudonyms, the log prefix, uid, gid and conntrack data are zeroed, and so
    /// is any attribute not known to be free of identity.
    fn rewrite_nflog(&mut self, ed: &mut Edits<'_>, off: usize, end: usize) {
        let mut at = off + 4;
        for _ in 0..64 {
            let (Some(l), Some(t)) = (ed.get::<2>(at), ed.get::<2>(at + 2)) else {
                break;
            };
            let len = usize::from(u16::from_le_bytes(l));
            let ty = u16::from_le_bytes(t) & 0x7fff;
            if ty == 9 {
                return; // the payload: its value is the packet, dissected next
            }
            if len < 4 || at + len > end {
                break;
            }
            let (v, v_end) = (at + 4, at + len);
            match ty {
                // Packet header, timestamp, interfaces, sequence numbers, hardware type and
                // length: no identity.
                1 | 3..=7 | 12 | 13 | 15 | 17 => {}
                // Hardware address: u16 length, padding, 8 address bytes.
                8 if ed.get::<2>(v) == Some([0, 6]) => {
                    self.mac_at(ed, v + 4);
                    ed.zero(v + 10, v_end);
                }
                // Hardware header: an Ethernet header's two addresses.
                16 if len >= 4 + 14 => {
                    self.mac_at(ed, v);
                    self.mac_at(ed, v + 6);
                    ed.zero(v + 14, v_end);
                }
                _ => ed.zero(v, v_end),
            }
            at += (len + 3) & !3;
        }
        ed.zero(at, end);
    }

    /// IPv4 options carry addresses (record route, timestamps, source routes): zeroed
    /// (end-of-options, a valid header).
    fn rewrite_ipv4(&mut self, ed: &mut Edits<'_>, off: usize, end: usize) {
        self.addr4_at(ed, off + 12);
        self.addr4_at(ed, off + 16);
        ed.zero(off + 20, end);
    }

    /// IPv6 and its extension headers: hop-by-hop, destination and mobility options and
    /// routing headers carry addresses (home address, segments): their bodies are zeroed
    /// (options: one PadN; segments: `::`); a fragment header is kept.
    /// Returns where the extension chain ends (the dissector's header length is the fixed
    /// 40 bytes; the chain lies between it and the next layer).
    fn rewrite_ipv6(&mut self, ed: &mut Edits<'_>, off: usize, end: usize) -> usize {
        self.addr6_at(ed, off + 8);
        self.addr6_at(ed, off + 24);
        let mut nxt = ed.out.get(off + 6).copied().unwrap_or(59);
        let mut at = off + 40;
        for _ in 0..16 {
            if at >= end {
                break;
            }
            let len = match nxt {
                44 => 8,
                0 | 43 | 60 | 135 => usize::from(ed.out.get(at + 1).copied().unwrap_or(0)) * 8 + 8,
                // AH and ESP are layers of their own (IPsec), as is every transport.
                _ => break,
            };
            match nxt {
                // The options become one PadN (a valid, empty options area).
                0 | 60 => {
                    let n = len - 2;
                    ed.zero(at + 2, (at + len).min(end));
                    if n >= 2 && at + 4 <= end {
                        ed.put(at + 2, &[1, (n - 2) as u8]);
                    }
                }
                135 => ed.zero(at + 2, (at + len).min(end)),
                43 => ed.zero(at + 4, (at + len).min(end)),
                _ => {}
            }
            nxt = ed.out.get(at).copied().unwrap_or(59);
            at += len;
        }
        at.min(end)
    }

    /// ICMPv4: a redirect's gateway and a router advertisement's addresses get pseudonyms.
    /// Returns (bytes of the message understood, whether what follows is payload).
    fn rewrite_icmp(
        &mut self,
        ed: &mut Edits<'_>,
        off: usize,
        len: usize,
        ty: u8,
    ) -> (usize, bool) {
        match ty {
            // Echo, timestamp, information, address mask: the rest is echo data.
            0 | 8 | 13 | 14 | 15 | 16 | 17 | 18 => (8, true),
            // Errors: the quoted packet follows as layers of its own.
            3 | 4 | 11 | 12 => (8, false),
            5 => {
                self.addr4_at(ed, off + 4);
                (8, false)
            }
            // Router advertisement: the router addresses; what follows them (Mobile IP
            // extensions with care-of addresses) is not kept.
            9 => {
                let n = usize::from(ed.out.get(off + 4).copied().unwrap_or(0));
                let size = usize::from(ed.out.get(off + 5).copied().unwrap_or(2)).max(2) * 4;
                for k in 0..n {
                    let at = off + 8 + k * size;
                    if at + 4 > off + len {
                        break;
                    }
                    self.addr4_at(ed, at);
                }
                ((8 + n * size).min(len), false)
            }
            _ => (4, false),
        }
    }

    /// ICMPv6: neighbour discovery and multicast listener messages rewritten whole (MLDv2
    /// source lists included). Returns (bytes understood, whether what follows is payload).
    fn rewrite_icmpv6(
        &mut self,
        ed: &mut Edits<'_>,
        off: usize,
        len: usize,
        ty: u8,
    ) -> (usize, bool) {
        let end = off + len;
        match ty {
            1..=4 => (8, false),
            128 | 129 => (8, true),
            130..=132 => {
                self.addr6_at(ed, off + 8);
                // MLDv2 query: number of sources, then the sources.
                if ty == 130 && len >= 28 {
                    let n =
                        usize::from(u16::from_be_bytes(ed.get::<2>(off + 26).unwrap_or([0, 0])));
                    for k in 0..n {
                        let at = off + 28 + k * 16;
                        if at + 16 > end {
                            break;
                        }
                        self.addr6_at(ed, at);
                    }
                }
                (len, false)
            }
            133..=137 => {
                self.rewrite_nd(ed, off, end, ty);
                (len, false)
            }
            143 => {
                let n = usize::from(u16::from_be_bytes(ed.get::<2>(off + 6).unwrap_or([0, 0])));
                self.rewrite_group_records(ed, off + 8, end, n, true);
                (len, false)
            }
            _ => (4, false),
        }
    }

    /// IGMPv3 (`v6` false) and MLDv2 reports: `n` group records from `at` — type, aux data
    /// length (words), number of sources, the group, the sources (pseudonyms), aux data
    /// (zeroed); whatever follows the records is zeroed.
    fn rewrite_group_records(
        &mut self,
        ed: &mut Edits<'_>,
        mut at: usize,
        end: usize,
        n: usize,
        v6: bool,
    ) {
        let w = if v6 { 16 } else { 4 };
        for _ in 0..n.min(1024) {
            let Some([_, aux, ns0, ns1]) = ed.get::<4>(at) else {
                break;
            };
            let ns = usize::from(u16::from_be_bytes([ns0, ns1]));
            for k in 0..=ns {
                // k = 0: the group; then the sources.
                let a = at + 4 + k * w;
                if a + w > end {
                    break;
                }
                if v6 {
                    self.addr6_at(ed, a);
                } else {
                    self.addr4_at(ed, a);
                }
            }
            let data = at + 4 + (ns + 1) * w;
            let next = data + usize::from(aux) * 4;
            ed.zero(data, next.min(end));
            at = next;
            if at >= end {
                break;
            }
        }
        ed.zero(at, end);
    }

    /// IGMP: group addresses (multicast, kept) and IGMPv3 source lists (pseudonyms).
    fn rewrite_igmp(&mut self, ed: &mut Edits<'_>, off: usize, len: usize) -> usize {
        let end = off + len;
        let ty = ed.out.get(off).copied().unwrap_or(0);
        match ty {
            0x11 if len >= 12 => {
                self.addr4_at(ed, off + 4);
                let n = usize::from(u16::from_be_bytes(ed.get::<2>(off + 10).unwrap_or([0, 0])));
                for k in 0..n {
                    let at = off + 12 + k * 4;
                    if at + 4 > end {
                        break;
                    }
                    self.addr4_at(ed, at);
                }
            }
            0x22 => {
                let n = usize::from(u16::from_be_bytes(ed.get::<2>(off + 6).unwrap_or([0, 0])));
                self.rewrite_group_records(ed, off + 8, end, n, false);
            }
            _ => {
                self.addr4_at(ed, off + 4);
                ed.zero(off + 8, end);
            }
        }
        len
    }

    /// TCP options: the known ones kept (MSS, window scale, SACK, time stamps); any other
    /// option's body is zeroed (MPTCP's ADD_ADDR carries addresses, others cookies).
    fn rewrite_tcp_options(ed: &mut Edits<'_>, off: usize, end: usize) {
        let mut at = off + 20;
        for _ in 0..40 {
            let Some(&kind) = ed.out.get(at) else { break };
            match kind {
                0 => {
                    ed.zero(at + 1, end);
                    break;
                }
                1 => at += 1,
                _ => {
                    let len = usize::from(ed.out.get(at + 1).copied().unwrap_or(0));
                    if len < 2 || at + len > end {
                        ed.zero(at, end);
                        break;
                    }
                    if !matches!(kind, 2 | 3 | 4 | 5 | 8) {
                        ed.zero(at + 2, at + len);
                    }
                    at += len;
                }
            }
            if at >= end {
                break;
            }
        }
    }

    /// Teredo: the origin indication's client address (obfuscated, RFC 4380 5.1.1) gets a
    /// pseudonym; an authentication header's client id and value are zeroed.
    fn rewrite_teredo(&mut self, ed: &mut Edits<'_>, off: usize, end: usize) {
        let mut at = off;
        if ed.get::<2>(at) == Some([0, 1]) {
            let id = usize::from(ed.out.get(at + 2).copied().unwrap_or(0));
            let au = usize::from(ed.out.get(at + 3).copied().unwrap_or(0));
            ed.zero(at + 4, (at + 4 + id + au).min(end));
            at += 4 + id + au + 9;
        }
        if ed.get::<2>(at) == Some([0, 0]) && at + 8 <= end {
            if let Some(o) = ed.get::<4>(at + 4) {
                let real = o.map(|b| !b);
                let n = self.ipv4(real).map(|b| !b);
                ed.put(at + 4, &n);
            }
        }
    }

    /// DHCP (payload kept): client, "your", server and relay addresses, the client hardware
    /// address, and the address options get pseudonyms; server and file names, host and
    /// domain names, client and vendor identifiers and every option not known to be free of
    /// identity are zeroed.
    /// Applies a protocol's anonymisation plan to its message at `off..end`.
    fn apply_plan(
        &mut self,
        ed: &mut Edits<'_>,
        off: usize,
        end: usize,
        msg: &[u8],
        plan: crate::dissect::app::AnonPlanFn,
    ) {
        use crate::dissect::app::AnonEdit;
        let mut edits = Vec::new();
        plan(msg, &mut edits);
        for e in edits {
            match e {
                AnonEdit::Ipv4(at) if off + at + 4 <= end => self.addr4_at(ed, off + at),
                AnonEdit::Ipv6(at) if off + at + 16 <= end => self.addr6_at(ed, off + at),
                AnonEdit::Mac(at) if off + at + 6 <= end => self.mac_at(ed, off + at),
                AnonEdit::Zero(r) => ed.zero((off + r.start).min(end), (off + r.end).min(end)),
                // An address cut by the message's end: zeroed.
                AnonEdit::Ipv4(at) | AnonEdit::Ipv6(at) | AnonEdit::Mac(at) => {
                    ed.zero((off + at).min(end), end)
                }
            }
        }
    }

    /// The packet's bytes, failing closed: every header this function understands is
    /// rewritten (addresses replaced, checksums updated); transport payload is kept, zeroed
    /// or cut as [`Anonymizer::payload`] says; everything else — bytes after a header it does
    /// not know (unknown link types, protocols not dissected, a header the dissector
    /// rejected), options and trailers it cannot vouch for — is zeroed (`Truncate`: cut),
    /// whatever the payload mode.
    pub fn rewrite(&mut self, pkt: &Packet<'_>) -> Vec<u8> {
        self.rewrite_with_fcs(pkt, 0)
    }

    /// [`Anonymizer::rewrite`] for a frame that ends with an `fcs`-byte frame check
    /// sequence, which is dropped (the record keeps its original length).
    pub fn rewrite_with_fcs(&mut self, pkt: &Packet<'_>, fcs: usize) -> Vec<u8> {
        let mut out = pkt.data.to_vec();
        let mut ed = Edits {
            out: &mut out,
            words: Vec::new(),
        };
        // Bytes before `clear` are understood; `transport`: what follows is the payload of
        // a transport (the payload mode applies), else it is not understood.
        let mut clear = 0usize;
        let mut transport = false;
        // End of the outermost IP datagram: anything after it is trailer (padding, FCS).
        let mut datagram_end: Option<usize> = None;
        for l in &pkt.layers {
            if l.off != clear {
                break; // a gap: what follows is not vouched for
            }
            let whole = l.off + l.len;
            let head = l.off + l.header_len;
            let (understood, payload) = match &l.data {
                Decoded::Ethernet(_) => {
                    self.mac_at(&mut ed, l.off);
                    self.mac_at(&mut ed, l.off + 6);
                    (head, false)
                }
                Decoded::Llc(_)
                | Decoded::Vlan(_)
                | Decoded::Null(_)
                | Decoded::Ppp(_)
                | Decoded::Mpls(_)
                | Decoded::Gre(_)
                | Decoded::Vxlan(_)
                | Decoded::Pppoe(_) => (head, false),
                Decoded::Sll(s) => {
                    self.rewrite_sll(&mut ed, l.off, s.v2);
                    (head, false)
                }
                Decoded::Nflog(_) => {
                    self.rewrite_nflog(&mut ed, l.off, head);
                    (head, false)
                }
                Decoded::Arp(a) => {
                    let (hl, pl) = (
                        a.data.get(4).copied().unwrap_or(0),
                        a.data.get(5).copied().unwrap_or(0),
                    );
                    if hl == 6 && pl == 4 {
                        for (at, is_mac) in [(8, true), (14, false), (18, true), (24, false)] {
                            if is_mac {
                                self.mac_at(&mut ed, l.off + at);
                            } else {
                                self.addr4_at(&mut ed, l.off + at);
                            }
                        }
                        (l.off + 28, false)
                    } else {
                        (l.off + 8, false)
                    }
                }
                Decoded::Ipv4(ip) => {
                    self.rewrite_ipv4(&mut ed, l.off, head);
                    datagram_end.get_or_insert(whole);
                    // A fragment carries part of a transport's bytes (the first one its
                    // header, which holds no address).
                    let frag = ip.mf() || ip.frag_offset() != 0;
                    (head, frag && matches!(ip.proto(), 6 | 17))
                }
                Decoded::Ipv6(_) => {
                    let chain = self.rewrite_ipv6(&mut ed, l.off, whole);
                    datagram_end.get_or_insert(whole);
                    (chain.max(head), false)
                }
                Decoded::Icmp(m) => {
                    let (n, p) = if m.in_error {
                        (8, false)
                    } else {
                        self.rewrite_icmp(&mut ed, l.off, l.len, m.icmp_type())
                    };
                    (l.off + n, p)
                }
                Decoded::Icmpv6(m) => {
                    let (n, p) = if m.in_error {
                        (8, false)
                    } else {
                        self.rewrite_icmpv6(&mut ed, l.off, l.len, m.icmp_type())
                    };
                    (l.off + n, p)
                }
                Decoded::Igmp(_) => (l.off + self.rewrite_igmp(&mut ed, l.off, l.len), false),
                Decoded::Tcp(_) => {
                    Self::rewrite_tcp_options(&mut ed, l.off, head);
                    (head, true)
                }
                Decoded::Udp(_) => (head, true),
                Decoded::Shim(sh) => {
                    match sh.kind {
                        ShimKind::Teredo => self.rewrite_teredo(&mut ed, l.off, head),
                        // Geneve options (metadata of the overlay) are not kept.
                        ShimKind::Geneve => ed.zero(l.off + 8, head),
                        ShimKind::LispData => {}
                    }
                    (head, false)
                }
                // ESP is encrypted payload; AH authenticates it.
                Decoded::Ipsec(_) => (head, true),
                // Application data: the payload of the transport before it (the payload
                // mode decides), or bytes nothing understood (zeroed). A protocol with a
                // plan (DHCP) is rewritten where it says when payloads are kept.
                Decoded::App(a) => match a.proto.anon {
                    AnonPolicy::AppData => break,
                    AnonPolicy::Rewrite(plan) => {
                        if transport && self.payload == Payload::Keep {
                            self.apply_plan(&mut ed, l.off, whole, a.data, plan);
                        }
                        break;
                    }
                    AnonPolicy::Transport { header } => (l.off + header.min(l.len), true),
                },
                Decoded::Dns(_) | Decoded::Http(_) | Decoded::Tls(_) | Decoded::Data(_) => break,
            };
            clear = understood;
            transport = payload;
            if understood < head {
                break;
            }
        }
        let end = datagram_end.unwrap_or(ed.out.len()).min(ed.out.len());
        let mut cut = None;
        match (transport, self.payload) {
            // Cut: everything after the headers goes, trailer included.
            (_, Payload::Truncate) => cut = Some(clear.min(end)),
            (true, Payload::Keep) => {}
            _ => ed.zero(clear, end),
        }
        // Trailer after the datagram (Ethernet padding, an FCS): never kept.
        ed.zero(end, ed.out.len());
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
                Decoded::Icmp(_) | Decoded::Igmp(_) => (l.off + 2, (l.off, l.off + l.len), false),
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
        let fcs_at = if fcs > 0 && end + fcs <= out.len() {
            Some(out.len() - fcs)
        } else {
            None
        };
        if let Some(c) = cut.or(fcs_at) {
            out.truncate(c.min(fcs_at.unwrap_or(usize::MAX)));
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

    /// Zeroes `from..to` (clamped to the packet), recording the changed words.
    fn zero(&mut self, from: usize, to: usize) {
        let to = to.min(self.out.len());
        let mut at = from;
        while at < to {
            let n = (to - at).min(2);
            self.put(at, [0u8; 2].get(..n).unwrap_or(&[]));
            at += n;
        }
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
