//! One capture's packets grouped into conversations (canonical 5-tuples), with each packet's
//! direction within its conversation, and what the matcher compares on when the two captures
//! hold different amounts of each packet ([`Content`]).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::key::{bits, more, Fingerprint, HEAD_BYTES};
use crate::flow::TableState;
use std::collections::HashMap;
use std::hash::Hasher;

/// No conversation / no index.
pub(crate) const NONE: u32 = u32::MAX;
/// Direction bit in a packet's conversation id (set: the packet goes from `b` to `a`).
pub(crate) const DIR_BIT: u32 = 1 << 31;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct ConvKey {
    a: [u8; 16],
    b: [u8; 16],
    pa: u16,
    pb: u16,
    proto: u8,
}

/// A conversation: endpoints in canonical order (`a` <= `b`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Conv {
    pub a: [u8; 16],
    pub b: [u8; 16],
    pub pa: u16,
    pub pb: u16,
    pub proto: u8,
    pub v6: bool,
    /// First packet of the conversation on this side.
    pub first: u32,
}

/// One capture's packets with their conversations.
pub(crate) struct Side<'a> {
    pub fps: &'a [Fingerprint],
    /// Per packet: conversation id with [`DIR_BIT`], or [`NONE`].
    pub conv: Vec<u32>,
    pub convs: Vec<Conv>,
}

impl<'a> Side<'a> {
    pub fn new(fps: &'a [Fingerprint]) -> Side<'a> {
        let mut map: HashMap<ConvKey, u32, TableState> = HashMap::default();
        let mut convs = Vec::new();
        let mut conv = Vec::with_capacity(fps.len());
        for (i, f) in fps.iter().enumerate() {
            // Fragments have no ports: they are matched as datagrams, not in a conversation.
            if !f.is_ip() || f.bits & bits::FRAGMENT != 0 {
                conv.push(NONE);
                continue;
            }
            let s = (f.src, f.src_port);
            let d = (f.dst, f.dst_port);
            let (a, b, dir) = if s <= d { (s, d, 0) } else { (d, s, DIR_BIT) };
            let key = ConvKey {
                a: a.0,
                b: b.0,
                pa: a.1,
                pb: b.1,
                proto: f.proto,
            };
            let id = match map.get(&key) {
                Some(&id) => id,
                None if convs.len() < (DIR_BIT - 1) as usize => {
                    let id = convs.len() as u32;
                    convs.push(Conv {
                        a: key.a,
                        b: key.b,
                        pa: key.pa,
                        pb: key.pb,
                        proto: key.proto,
                        v6: f.family() == bits::FAMILY_V6,
                        first: i as u32,
                    });
                    map.insert(key, id);
                    id
                }
                None => {
                    conv.push(NONE);
                    continue;
                }
            };
            conv.push(id | dir);
        }
        Side { fps, conv, convs }
    }

    pub fn len(&self) -> usize {
        self.fps.len()
    }

    pub fn fp(&self, i: u32) -> Option<&Fingerprint> {
        self.fps.get(i as usize)
    }

    /// (conversation, direction 0/1) of packet `i`.
    pub fn conv_of(&self, i: u32) -> Option<(u32, u32)> {
        let c = self.conv.get(i as usize).copied().unwrap_or(NONE);
        (c != NONE).then_some((c & !DIR_BIT, c >> 31))
    }

    /// Flow (conversation * 2 + direction) of packet `i` on this side.
    pub fn flow_of(&self, i: u32) -> Option<u32> {
        self.conv_of(i).map(|(c, d)| c * 2 + d)
    }
}

/// What the matcher compares of a packet's payload: the hash of its first
/// [`super::PAYLOAD_HASH_BYTES`] bytes when both captures hold them, else the first bytes both hold
/// (a snap length cut into them on one side; with 0 bytes, the payload length alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Content {
    /// `None`: the whole hash; `Some(n)`: the first `n` (<= [`HEAD_BYTES`]) payload bytes.
    pub head: Option<u8>,
    /// TCP options (time stamps, SACK edges) are complete on both sides.
    pub opts: bool,
    /// Per side (source, target): a snap length cut payloads or TCP options.
    pub cut: [bool; 2],
    /// The path keeps IPv4 IDs (most unambiguous pairs agree on them): two copies that start
    /// at the same byte with different IDs are different transmissions.
    pub ids_kept: bool,
    /// The path keeps TCP time stamps: copies with different TSvals are different
    /// transmissions (a retransmission a millisecond or more later).
    pub ts_kept: bool,
}

/// A side cuts payloads when at least one packet in this many does (a single damaged record
/// does not turn content matching off).
const CUT_SHARE: usize = 100;

impl Content {
    /// Decides from both captures.
    pub fn decide(src: &[Fingerprint], dst: &[Fingerprint]) -> Content {
        let mut head: Option<u8> = None;
        let mut opts = true;
        let mut cut_sides = [false; 2];
        for (side, fps) in [src, dst].into_iter().enumerate() {
            let (mut with_payload, mut cut, mut min_cap) = (0usize, 0usize, u8::MAX);
            let (mut tcp, mut opts_cut) = (0usize, 0usize);
            for f in fps {
                if f.is_tcp() {
                    tcp += 1;
                    opts_cut += usize::from(f.more & more::OPTS_CUT != 0);
                }
                if f.payload_len == 0 || !content_is_payload(f) {
                    continue;
                }
                with_payload += 1;
                if f.payload_cut() {
                    cut += 1;
                    min_cap = min_cap.min(f.cap);
                }
            }
            if cut > 0 && cut.saturating_mul(CUT_SHARE) >= with_payload {
                let n = min_cap.min(HEAD_BYTES as u8);
                head = Some(head.map_or(n, |h| h.min(n)));
                if let Some(x) = cut_sides.get_mut(side) {
                    *x = true;
                }
            }
            if opts_cut > 0 && opts_cut.saturating_mul(CUT_SHARE) >= tcp {
                opts = false;
                if let Some(x) = cut_sides.get_mut(side) {
                    *x = true;
                }
            }
        }
        Content {
            head,
            opts,
            cut: cut_sides,
            ids_kept: false,
            ts_kept: false,
        }
    }

    /// Writes the compared content of `f` into a hash.
    pub fn write(&self, h: &mut impl Hasher, f: &Fingerprint) {
        match self.head {
            Some(n) if content_is_payload(f) => {
                let k = usize::from(n)
                    .min(usize::from(f.payload_len))
                    .min(usize::from(f.cap));
                let v = if k == 0 {
                    0
                } else {
                    f.head >> ((HEAD_BYTES - k.min(HEAD_BYTES)) * 8)
                };
                h.write_u64(v);
            }
            // ICMP errors hash the packet they quote, which a snap length cuts too: with cut
            // captures they are compared on their headers alone.
            Some(_) => h.write_u64(0),
            None => h.write_u32(f.payload_hash),
        }
    }

    /// Learns from unambiguous pairs whether the path keeps IPv4 IDs and TCP time stamps
    /// (nine in ten agreeing; with no evidence, it does not assume so).
    pub fn learn_identity<'x>(
        &mut self,
        pairs: impl Iterator<Item = (&'x Fingerprint, &'x Fingerprint)>,
    ) {
        let (mut id_n, mut id_eq, mut ts_n, mut ts_eq) = (0u64, 0u64, 0u64, 0u64);
        for (a, b) in pairs {
            if a.family() == bits::FAMILY_V4 && b.family() == bits::FAMILY_V4 && !a.is_byte_unit() {
                id_n += 1;
                id_eq += u64::from(a.ident == b.ident);
            }
            if self.ts_comparable(a, b) {
                ts_n += 1;
                ts_eq += u64::from(a.tsval == b.tsval);
            }
        }
        self.ids_kept = id_n >= 10 && id_eq * 10 >= id_n * 9;
        self.ts_kept = ts_n >= 10 && ts_eq * 10 >= ts_n * 9;
    }

    /// Whether both packets' TCP time stamps can be compared.
    pub fn ts_comparable(&self, a: &Fingerprint, b: &Fingerprint) -> bool {
        self.opts && a.more & b.more & more::HAS_TS != 0
    }
}

/// Whether a packet's payload hash describes captured payload bytes (ICMP errors and
/// informational messages hash their meaning instead, which no snap length changes).
fn content_is_payload(f: &Fingerprint) -> bool {
    if f.bits & bits::ICMP_ERROR != 0 {
        return false;
    }
    match f.proto {
        1 => matches!(f.flags, 0 | 8),
        58 => matches!(f.flags, 128 | 129),
        _ => true,
    }
}
