//! Anchors: packets that are nearly certainly the same on both sides, found before anything
//! else is known, and what they tell.
//!
//! Packets are bucketed by a key of fields no middlebox rewrites (IP protocol, IP ID / flow
//! label, payload length and content, TCP flags, ICMP type/code/sequence). Buckets that are
//! small on both sides give candidate pairs; the unique ones give a coarse clock offset (their
//! median raw delay), and all of them within the delay window vote for which source
//! conversation each target conversation is (the NAT/PAT map, in either orientation). The
//! winning pairs give each TCP direction's sequence and acknowledgment offsets (a firewall
//! randomising ISNs) and each flow's typical raw delay.
//!
//! Anchors work whatever the segmentation: pure ACKs, handshakes, DNS, pings anchor a TCP
//! conversation even when every data segment was cut differently by offloads.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::config::Options;
use super::key::{bits, tcp_flags, Fingerprint};
use super::side::{Content, Side, NONE};
use super::sort;
use crate::flow::FxHasher;
use std::hash::Hasher;

/// Largest anchor bucket (per side) whose pairs vote.
const ANCHOR_MAX: usize = 4;
/// Packets of a conversation that are all anchor candidates.
const ANCHOR_FIRST: u32 = 32;
/// About how many more of a conversation's packets are.
const ANCHOR_SAMPLE: u32 = 64;

/// How a target conversation maps onto a source conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ConvPair {
    pub src_conv: u32,
    /// Target direction = source direction XOR flip.
    pub flip: bool,
    /// Per source-orientation direction: target seq minus source seq.
    pub dseq: [u32; 2],
    /// Per direction: target ack minus source ack.
    pub dack: [u32; 2],
    pub votes: u32,
}

impl ConvPair {
    /// A target packet's sequence and acknowledgment numbers in the source's space, given
    /// its source-orientation direction.
    pub fn to_src(self, f: &Fingerprint, dir: u32) -> (u32, u32) {
        if !f.is_tcp() {
            return (f.seq, f.ack);
        }
        let i = dir as usize;
        let seq = f.seq.wrapping_sub(self.dseq.get(i).copied().unwrap_or(0));
        let ack = if f.flags & tcp_flags::ACK != 0 {
            f.ack.wrapping_sub(self.dack.get(i).copied().unwrap_or(0))
        } else {
            f.ack
        };
        (seq, ack)
    }
}

/// What the anchors found.
pub(crate) struct Anchors {
    /// Median raw delay (target time minus source time) of unique anchors, or the given
    /// offset.
    pub coarse: i64,
    /// Per target conversation: the source conversation it is.
    pub pair_d: Vec<Option<ConvPair>>,
    /// Per source flow (conversation * 2 + direction): typical raw delay minus `coarse`, or
    /// `i64::MIN` when unknown.
    pub flow_delay: Vec<i64>,
}

impl Anchors {
    /// The mapping of a target packet: its source flow and its seq/ack in source space.
    pub fn map_dst(&self, dst: &Side<'_>, j: u32) -> Option<(u32, u32, u32)> {
        let (c, d) = dst.conv_of(j)?;
        let p = self.pair_d.get(c as usize).copied().flatten()?;
        let f = dst.fp(j)?;
        let dir = d ^ u32::from(p.flip);
        let (seq, ack) = p.to_src(f, dir);
        Some((p.src_conv * 2 + dir, seq, ack))
    }

    /// The typical raw delay of a source flow.
    pub fn flow_raw(&self, flow: u32) -> i64 {
        match self.flow_delay.get(flow as usize) {
            Some(&d) if d != i64::MIN => self.coarse.saturating_add(d),
            _ => self.coarse,
        }
    }
}

/// A finalised 64-bit hash (murmur3 fmix) so keys spread over all bits.
pub(crate) fn fmix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

/// The key of the fields no middlebox rewrites, IP ID included.
pub(crate) fn anchor_key(content: &Content, f: &Fingerprint) -> u64 {
    let mut h = FxHasher::default();
    h.write_u32(NONE);
    h.write_u8(f.proto);
    h.write_u8(f.bits & (bits::FAMILY | bits::FRAGMENT | bits::ICMP_ERROR | bits::ARP | bits::TCP));
    h.write_u16(f.payload_len);
    content.write(&mut h, f);
    h.write_u16(f.ident);
    if f.is_tcp() {
        h.write_u8(f.flags & tcp_flags::INVARIANT);
    } else {
        h.write_u8(f.flags);
        h.write_u8(f.code);
        h.write_u32(f.seq);
    }
    fmix(h.finish())
}

/// Calls `each` with the runs of equal keys present in both sorted lists.
pub(crate) fn join(
    ka: &[(u64, u32)],
    kb: &[(u64, u32)],
    mut each: impl FnMut(&[(u64, u32)], &[(u64, u32)]),
) {
    let mut ia = ka.chunk_by(|x, y| x.0 == y.0).peekable();
    let mut ib = kb.chunk_by(|x, y| x.0 == y.0).peekable();
    // Terminates: every step consumes a run of one list or both.
    while let (Some(a), Some(b)) = (ia.peek(), ib.peek()) {
        let ka0 = a.first().map_or(0, |x| x.0);
        let kb0 = b.first().map_or(0, |x| x.0);
        match ka0.cmp(&kb0) {
            std::cmp::Ordering::Less => {
                ia.next();
            }
            std::cmp::Ordering::Greater => {
                ib.next();
            }
            std::cmp::Ordering::Equal => {
                each(a, b);
                ia.next();
                ib.next();
            }
        }
    }
}

fn median(v: &mut [i64]) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    let mid = v.len() / 2;
    let (_, m, _) = v.select_nth_unstable(mid);
    Some(*m)
}

/// The most common value of each group in a sorted list of `group << 32 | value`.
fn mode_per_group(list: &[u64], mut each: impl FnMut(u64, u32, usize)) {
    for g in list.chunk_by(|x, y| x >> 32 == y >> 32) {
        let mut best: Option<(usize, u64)> = None;
        for run in g.chunk_by(|x, y| x == y) {
            if let Some(&v) = run.first() {
                if best.is_none_or(|(n, _)| run.len() > n) {
                    best = Some((run.len(), v));
                }
            }
        }
        if let Some((n, v)) = best {
            each(v >> 32, v as u32, n);
        }
    }
}

/// Finds the anchors (see the module documentation).
pub(crate) fn run(src: &Side<'_>, dst: &Side<'_>, content: &Content, opts: &Options) -> Anchors {
    let window = opts.max_delay_ns.unsigned_abs();
    // A conversation needs a few dozen anchors, not one per packet: after its first
    // ANCHOR_FIRST packets, a share of the rest chosen by the key's own bits (so that a
    // packet and its twin are chosen together), about ANCHOR_SAMPLE per conversation.
    let keys = |side: &Side<'_>| -> Vec<(u64, u32)> {
        let mut per_conv = vec![0u32; side.convs.len()];
        for &c in &side.conv {
            if let Some(x) = per_conv.get_mut((c & !super::side::DIR_BIT) as usize) {
                *x += 1;
            }
        }
        let mut seen = vec![0u32; side.convs.len()];
        let mut k: Vec<(u64, u32)> = Vec::with_capacity(side.len().min(1 << 20));
        for (i, f) in side.fps.iter().enumerate() {
            let key = anchor_key(content, f);
            if let Some((c, _)) = side.conv_of(i as u32) {
                let (n, s) = (
                    per_conv.get(c as usize).copied().unwrap_or(0),
                    seen.get_mut(c as usize),
                );
                if let Some(s) = s {
                    *s += 1;
                    if *s > ANCHOR_FIRST {
                        let step = u64::from((n / ANCHOR_SAMPLE).max(1)).next_power_of_two();
                        if (key >> 40) % step != 0 {
                            continue;
                        }
                    }
                }
            }
            k.push((key, i as u32));
        }
        sort::keys(&mut k);
        k
    };
    let (ka, kb) = (keys(src), keys(dst));
    // Small buckets, and the unique ones (source << 32 | target).
    let mut buckets: Vec<(Vec<u32>, Vec<u32>)> = Vec::new();
    let mut uniq: Vec<u64> = Vec::new();
    let pack = |s: u32, d: u32| u64::from(s) << 32 | u64::from(d);
    join(&ka, &kb, |a, b| {
        if a.len() > ANCHOR_MAX || b.len() > ANCHOR_MAX {
            return;
        }
        if let ([(_, s)], [(_, d)]) = (a, b) {
            uniq.push(pack(*s, *d));
        } else {
            buckets.push((
                a.iter().map(|x| x.1).collect(),
                b.iter().map(|x| x.1).collect(),
            ));
        }
    });
    drop((ka, kb));
    let delay_of = |s: u32, d: u32| -> i64 {
        match (src.fp(s), dst.fp(d)) {
            (Some(a), Some(b)) => b.ts_ns.saturating_sub(a.ts_ns),
            _ => 0,
        }
    };
    let coarse = match opts.offset_ns {
        Some(o) => o,
        None => {
            let mut r: Vec<i64> = uniq
                .iter()
                .map(|&p| delay_of((p >> 32) as u32, p as u32))
                .collect();
            median(&mut r).unwrap_or_else(|| {
                let mut all: Vec<i64> = buckets
                    .iter()
                    .flat_map(|(a, b)| a.iter().flat_map(move |&s| b.iter().map(move |&d| (s, d))))
                    .map(|(s, d)| delay_of(s, d))
                    .collect();
                median(&mut all).unwrap_or(0)
            })
        }
    };
    // In a bucket of several look-alikes (the same DNS query asked twice, say), each packet
    // votes only with the twin that fits the coarse delay best.
    let mut pairs: Vec<u64> = uniq;
    for (a, b) in &buckets {
        let fit = |s: u32, d: u32| delay_of(s, d).saturating_sub(coarse).unsigned_abs();
        for &s in a {
            if let Some(&d) = b.iter().min_by_key(|&&d| fit(s, d)) {
                pairs.push(pack(s, d));
            }
        }
        for &d in b {
            if let Some(&s) = a.iter().min_by_key(|&&s| fit(s, d)) {
                pairs.push(pack(s, d));
            }
        }
    }
    drop(buckets);
    sort::values(&mut pairs);
    pairs.dedup();
    let in_window = |s: u32, d: u32| delay_of(s, d).saturating_sub(coarse).unsigned_abs() <= window;
    // Votes packed as target conversation << 32 | source conversation << 1 | flip.
    let mut votes: Vec<u64> = Vec::new();
    for &p in &pairs {
        let (s, d) = ((p >> 32) as u32, p as u32);
        if !in_window(s, d) {
            continue;
        }
        let ported = src.fp(s).is_some_and(|f| f.has_ports());
        if let (true, Some((cs, ds)), Some((cd, dd))) = (ported, src.conv_of(s), dst.conv_of(d)) {
            votes.push(u64::from(cd) << 32 | u64::from(cs) << 1 | u64::from(ds != dd));
        }
    }
    sort::values(&mut votes);
    let mut pair_d: Vec<Option<ConvPair>> = vec![None; dst.convs.len()];
    mode_per_group(&votes, |cd, v, n| {
        if let Some(slot) = pair_d.get_mut(cd as usize) {
            *slot = Some(ConvPair {
                src_conv: v >> 1,
                flip: v & 1 == 1,
                dseq: [0; 2],
                dack: [0; 2],
                votes: u32::try_from(n).unwrap_or(u32::MAX),
            });
        }
    });
    drop(votes);
    // Offsets and typical delays from the pairs that agree with the pairing.
    // Sequence offsets packed as (target conversation * 2 + direction) << 32 | offset.
    let mut seq_s: Vec<u64> = Vec::new();
    let mut ack_s: Vec<u64> = Vec::new();
    let mut delay_sum: Vec<(i64, i64)> = vec![(0, 0); src.convs.len() * 2];
    for &p in &pairs {
        let (s, d) = ((p >> 32) as u32, p as u32);
        if !in_window(s, d) {
            continue;
        }
        let (Some((cs, dir_s)), Some((cd, dir_d))) = (src.conv_of(s), dst.conv_of(d)) else {
            continue;
        };
        let Some(Some(p)) = pair_d.get(cd as usize) else {
            continue;
        };
        if p.src_conv != cs || p.flip != (dir_s != dir_d) {
            continue;
        }
        let (Some(fs), Some(fd)) = (src.fp(s), dst.fp(d)) else {
            continue;
        };
        let group = (u64::from(cd) * 2 + u64::from(dir_s)) << 32;
        if fs.is_tcp() && fd.is_tcp() {
            seq_s.push(group | u64::from(fd.seq.wrapping_sub(fs.seq)));
            if fs.flags & fd.flags & tcp_flags::ACK != 0 {
                ack_s.push(group | u64::from(fd.ack.wrapping_sub(fs.ack)));
            }
        }
        if let Some(x) = delay_sum.get_mut((cs * 2 + dir_s) as usize) {
            x.0 = x.0.saturating_add(delay_of(s, d).saturating_sub(coarse));
            x.1 += 1;
        }
    }
    drop(pairs);
    // Bits per target conversation: 1 << dir for a sequence offset, 4 << dir for an ack one.
    let mut known = vec![0u8; dst.convs.len()];
    for (list, ack) in [(&mut seq_s, false), (&mut ack_s, true)] {
        sort::values(list);
        mode_per_group(list, |grp, v, _| {
            let (cd, dir) = ((grp / 2) as usize, (grp % 2) as usize);
            if let (Some(Some(p)), Some(k)) = (pair_d.get_mut(cd), known.get_mut(cd)) {
                let arr = if ack { &mut p.dack } else { &mut p.dseq };
                if let Some(x) = arr.get_mut(dir) {
                    *x = v;
                    *k |= (if ack { 4 } else { 1 }) << dir;
                }
            }
        });
    }
    // A direction without samples of its own takes the reverse direction's: its ack numbers
    // acknowledge the other direction's sequence numbers.
    for (p, &k) in pair_d.iter_mut().zip(&known) {
        let Some(p) = p else { continue };
        let [s0, s1] = p.dseq;
        let [a0, a1] = p.dack;
        if k & 1 == 0 && k & 8 != 0 {
            p.dseq[0] = a1;
        }
        if k & 2 == 0 && k & 4 != 0 {
            p.dseq[1] = a0;
        }
        if k & 4 == 0 && k & 2 != 0 {
            p.dack[0] = s1;
        }
        if k & 8 == 0 && k & 1 != 0 {
            p.dack[1] = s0;
        }
    }
    let flow_delay: Vec<i64> = delay_sum
        .iter()
        .map(|&(sum, n)| if n > 0 { sum / n } else { i64::MIN })
        .collect();
    Anchors {
        coarse,
        pair_d,
        flow_delay,
    }
}
