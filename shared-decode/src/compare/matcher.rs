//! Pairing packets across the two captures.
//!
//! 1. **Conversations.** Each side's IP packets are grouped into conversations (canonical
//!    5-tuples, with the packet's direction within it).
//! 2. **Anchors.** Packets are bucketed by a key of fields no middlebox rewrites (IP protocol,
//!    IP ID / flow label, payload length and hash, TCP flags, ICMP type/code/sequence). Buckets
//!    that are small on both sides give candidate pairs; the unique ones give a coarse clock
//!    offset (their median delay), and all of them within the delay window vote for which
//!    source conversation each target conversation is (the NAT/PAT map, in either
//!    orientation). The winning pairs give each TCP direction's sequence and acknowledgment
//!    offsets (a firewall randomising ISNs) and each flow's typical delay.
//! 3. **Matching.** Packets with ports (TCP, UDP, ICMP echo) get a flow key: their
//!    (source-side) conversation and direction, payload length and hash (for TCP including
//!    the SACK edges relative to the ack, which tell duplicate ACKs apart), flags, and
//!    sequence/acknowledgment numbers mapped into the source's sequence space. Other packets,
//!    and those of conversations that were not paired, keep the anchor key.
//!    - Phase 1: keys seen once on each side pair if the delay is within
//!      [`Options::max_delay_ns`] of the flow's typical delay. Their delays are kept per flow.
//!    - Phase 2: keys shared by several packets (a segment and its retransmissions, runs of
//!      identical ACKs, copies, traceroute probes). Equal IP IDs pair first; the rest is
//!      aligned in order (a path keeps a flow's order) by a small dynamic program that leaves
//!      out the packets whose delays fit worst, measured against the delay of the nearest
//!      phase-1 pair of the same flow (else of the same host); a TTL that changed unlike the
//!      sender's other packets costs extra (a probe that expired is not the next one's twin).
//!      Buckets too large for that (floods of identical packets) take, per source packet,
//!      the [`PAIR_CAP`] target packets nearest its expected arrival, best fits first.
//! 4. **Duplicates.** A target packet left over in a bucket that is a copy (same IP ID) of a
//!    matched one within [`Options::dup_window_ns`] is a duplicate; the earliest copy is the
//!    twin.
//!
//! Cost: two sorts of (key, index) per side, a few sorts of packed pair lists (so later
//! passes read both captures nearly in file order), and linear passes; every bucket's work is
//! bounded ([`DP_MAX`] cells, [`PAIR_CAP`] candidates per packet), so the total is linear in
//! the packet count (times a small constant), whatever the traffic.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::config::Options;
use super::key::{bits, tcp_flags, Fingerprint};
use crate::flow::FxBuildHasher;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

/// No conversation / no index.
pub(crate) const NONE: u32 = u32::MAX;
/// Direction bit in a packet's conversation id (set: the packet goes from `b` to `a`).
pub(crate) const DIR_BIT: u32 = 1 << 31;
/// Largest anchor bucket (per side) whose pairs vote.
const ANCHOR_MAX: usize = 4;
/// Candidates considered per source packet in a large bucket.
pub(crate) const PAIR_CAP: usize = 16;

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
        let mut map: HashMap<ConvKey, u32, FxBuildHasher> = HashMap::default();
        let mut convs = Vec::new();
        let mut conv = Vec::with_capacity(fps.len());
        for (i, f) in fps.iter().enumerate() {
            if !f.is_ip() {
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

    pub fn fp(&self, i: u32) -> Option<&Fingerprint> {
        self.fps.get(i as usize)
    }

    /// (conversation, direction 0/1) of packet `i`.
    pub fn conv_of(&self, i: u32) -> Option<(u32, u32)> {
        let c = self.conv.get(i as usize).copied().unwrap_or(NONE);
        (c != NONE).then_some((c & !DIR_BIT, c >> 31))
    }
}

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

/// The pairing of packets.
pub(crate) struct Matching {
    /// Per source packet: target index + 1 (0 = none).
    pub twin_s: Vec<u32>,
    /// Per target packet: source index + 1.
    pub twin_d: Vec<u32>,
    /// Per target packet that is a copy: target index + 1 of the matched copy.
    pub dup_d: Vec<u32>,
    /// Per target conversation: the source conversation it is.
    pub pair_d: Vec<Option<ConvPair>>,
}

struct Hash64(<FxBuildHasher as BuildHasher>::Hasher);

impl Hash64 {
    fn new() -> Hash64 {
        Hash64(FxBuildHasher::default().build_hasher())
    }
    fn finish(&self) -> u64 {
        // One round of a 64-bit finaliser (murmur3 fmix) so keys spread over all bits.
        let mut h = self.0.finish();
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }
}

/// The key of the fields no middlebox rewrites; `conv` is [`NONE`] for the anchor / fallback
/// key (which includes the IP ID), else the (source) conversation with direction, and then
/// `seq`/`ack` are in the source's sequence space.
fn key(conv: u32, f: &Fingerprint, seq: u32, ack: u32) -> u64 {
    let mut h = Hash64::new();
    h.0.write_u32(conv);
    h.0.write_u8(f.proto);
    h.0.write_u8(
        f.bits & (bits::FAMILY | bits::FRAGMENT | bits::ICMP_ERROR | bits::ARP | bits::TCP),
    );
    h.0.write_u16(f.payload_len);
    h.0.write_u32(f.payload_hash);
    if conv == NONE {
        h.0.write_u16(f.ident);
    }
    if f.is_tcp() {
        h.0.write_u8(f.flags & tcp_flags::INVARIANT);
        if conv != NONE {
            h.0.write_u32(seq);
            h.0.write_u32(ack);
        }
    } else {
        h.0.write_u8(f.flags);
        h.0.write_u8(f.code);
        h.0.write_u32(f.seq);
    }
    h.finish()
}

fn anchor_key(f: &Fingerprint) -> u64 {
    key(NONE, f, 0, 0)
}

/// Calls `each` with the runs of equal keys present in both sorted lists.
fn join(ka: &[(u64, u32)], kb: &[(u64, u32)], mut each: impl FnMut(&[(u64, u32)], &[(u64, u32)])) {
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

struct Matcher<'s, 'a> {
    src: &'s Side<'a>,
    dst: &'s Side<'a>,
    opts: &'s Options,
    coarse: i64,
    /// Per source flow (conversation * 2 + direction): typical delay minus `coarse`.
    flow_delay: Vec<i64>,
    /// The pairs found by unique keys, grouped by source flow, in time order within a flow.
    local: Vec<Sample>,
    /// Where each flow's entries start in `local` (flow f: `local_at[f]..local_at[f + 1]`).
    local_at: Vec<u32>,
    /// Guides (expected delay, usual TTL change) of the current bucket's source packets.
    exp_cache: Vec<(u32, Guide)>,
    /// For flows without any pair: pairs by sender (role 0), receiver (1) or sender subnet
    /// (2), as (hashed address and role, sample), sorted.
    by_host: Vec<(u64, Sample)>,
    twin_s: Vec<u32>,
    twin_d: Vec<u32>,
    dup_d: Vec<u32>,
    cands: Vec<(bool, u64, u32, u32)>,
    order: Vec<u32>,
    rs: Vec<u32>,
    rd: Vec<u32>,
    dp: Vec<u64>,
}

/// A pair found by a unique key: source time, delay, TTL change (source - target).
#[derive(Clone, Copy, Debug)]
struct Sample {
    ts: i64,
    r: i64,
    ttl_delta: i16,
}

/// What phase 2 expects of a source packet's twin.
#[derive(Clone, Copy, Debug)]
struct Guide {
    delay: i64,
    ttl_delta: Option<i16>,
}

/// The sample nearest to time `ts` in a time-sorted run.
fn nearest(run: &[Sample], ts: i64) -> Option<&Sample> {
    let k = run.partition_point(|x| x.ts < ts);
    [k.checked_sub(1), Some(k)]
        .into_iter()
        .flatten()
        .filter_map(|i| run.get(i))
        .min_by_key(|x| x.ts.saturating_sub(ts).unsigned_abs())
}

/// The sample of `key` nearest to time `ts` in a (key, sample) list sorted by key and time.
fn nearest_keyed(v: &[(u64, Sample)], key: u64, ts: i64) -> Option<&Sample> {
    let a = v.partition_point(|x| x.0 < key);
    let b = v.partition_point(|x| x.0 <= key);
    let run = v.get(a..b)?;
    let k = run.partition_point(|x| x.1.ts < ts);
    [k.checked_sub(1), Some(k)]
        .into_iter()
        .flatten()
        .filter_map(|i| run.get(i))
        .map(|x| &x.1)
        .min_by_key(|x| x.ts.saturating_sub(ts).unsigned_abs())
}

/// The sender's subnet (IPv4 /24, IPv6 /64) as a key that no address equals (the last byte
/// is set to 0xff with a marker in byte 0 of the interface part).
fn prefix(f: &Fingerprint) -> [u8; 16] {
    let mut a = f.src;
    let keep = if f.family() == bits::FAMILY_V6 { 8 } else { 15 };
    for (i, b) in a.iter_mut().enumerate() {
        if i >= keep {
            *b = 0;
        }
    }
    // Mark it as a prefix: an IPv4 address has bytes 0..12 zero, so use byte 11.
    if let Some(b) = a.get_mut(if keep == 8 { 15 } else { 11 }) {
        *b = 0xff;
    }
    a
}

/// An address as a sender (`role` 0) or receiver (1), hashed for [`Matcher::by_host`].
fn host_hash(a: &[u8; 16], role: u8) -> u64 {
    let mut h = Hash64::new();
    h.0.write(a);
    h.0.write_u8(role);
    h.finish()
}

/// Largest bucket (source × target packets left after IP ID matching) aligned exactly.
const DP_MAX: usize = 4096;

impl Matcher<'_, '_> {
    fn flow(&self, s: u32) -> u32 {
        self.src.conv_of(s).map_or(NONE, |(c, d)| c * 2 + d)
    }

    fn window(&self) -> u64 {
        self.opts.max_delay_ns.unsigned_abs()
    }

    /// The delay expected for source packet `s`: the delay of the nearest (in time) pair of
    /// its flow found by a unique key; else its flow's typical anchor delay; else the nearest
    /// such pair from the same sender, to the same receiver, or from the sender's subnet;
    /// else the coarse offset. With it, the TTL change of that pair.
    fn guide(&self, s: u32) -> Guide {
        let f = self.flow(s);
        let ts = self.src.fp(s).map_or(0, |x| x.ts_ns);
        if f != NONE {
            let run = match (
                self.local_at.get(f as usize),
                self.local_at.get(f as usize + 1),
            ) {
                (Some(&a), Some(&b)) => self.local.get(a as usize..b as usize).unwrap_or(&[]),
                _ => &[],
            };
            if let Some(x) = nearest(run, ts) {
                return Guide {
                    delay: x.r,
                    ttl_delta: Some(x.ttl_delta),
                };
            }
            if let Some(&fd) = self.flow_delay.get(f as usize).filter(|&&x| x != i64::MIN) {
                return Guide {
                    delay: self.coarse.saturating_add(fd),
                    ttl_delta: None,
                };
            }
        }
        if let (Some(fp), false) = (self.src.fp(s), self.by_host.is_empty()) {
            for h in [
                host_hash(&fp.src, 0),
                host_hash(&fp.dst, 1),
                host_hash(&prefix(fp), 2),
            ] {
                if let Some(x) = nearest_keyed(&self.by_host, h, ts) {
                    return Guide {
                        delay: x.r,
                        ttl_delta: Some(x.ttl_delta),
                    };
                }
            }
        }
        Guide {
            delay: self.coarse,
            ttl_delta: None,
        }
    }

    fn expected(&self, s: u32) -> i64 {
        self.guide(s).delay
    }

    /// [`Matcher::guide`] of a source packet of the current bucket.
    fn cached(&self, s: u32) -> Guide {
        match self.exp_cache.binary_search_by_key(&s, |x| x.0) {
            Ok(i) => self.exp_cache.get(i).map_or_else(|| self.guide(s), |x| x.1),
            Err(_) => self.guide(s),
        }
    }

    /// |delay - expected| of a pair, if within the window.
    fn res(&self, s: u32, d: u32, exp: i64) -> Option<u64> {
        let fs = self.src.fp(s)?;
        let fd = self.dst.fp(d)?;
        let abs = fd
            .ts_ns
            .saturating_sub(fs.ts_ns)
            .saturating_sub(exp)
            .unsigned_abs();
        (abs <= self.window()).then_some(abs)
    }

    /// [`Matcher::res`], or `None` also when the TTL changed differently from the guiding
    /// pair's (a probe that expired on the way is not the twin of the next one) or the lower
    /// port differs.
    fn cost(&self, s: u32, d: u32, g: Guide) -> Option<u64> {
        let r = self.res(s, d, g.delay)?;
        let (fs, fd) = (self.src.fp(s)?, self.dst.fp(d)?);
        let delta = i16::from(fs.ttl) - i16::from(fd.ttl);
        if g.ttl_delta.is_some_and(|u| u != delta) {
            return None;
        }
        // NAT rewrites one end's port, not both (this matters only for packets of
        // conversations that were not paired, keyed without ports).
        if fs.has_ports() && fd.has_ports() {
            match (fs.src_port == fd.src_port, fs.dst_port == fd.dst_port) {
                (false, false) => return None,
                // One port translated: fine, but the same ports on both sides fit better.
                (true, false) | (false, true) => {
                    return Some(r.saturating_add(self.window() / 8));
                }
                (true, true) => {}
            }
        }
        Some(r)
    }

    fn pair(&mut self, s: u32, d: u32) {
        if let Some(x) = self.twin_s.get_mut(s as usize) {
            *x = d + 1;
        }
        if let Some(x) = self.twin_d.get_mut(d as usize) {
            *x = s + 1;
        }
    }

    fn free_s(&self, s: u32) -> bool {
        self.twin_s.get(s as usize) == Some(&0)
    }

    fn free_d(&self, d: u32) -> bool {
        self.twin_d.get(d as usize) == Some(&0)
    }

    /// Phase 1: a key that occurs once on each side. Returns the pair's sample.
    fn unique(&mut self, s: u32, d: u32) -> Option<Sample> {
        let exp = self.expected(s);
        self.res(s, d, exp)?;
        self.pair(s, d);
        let (a, b) = (self.src.fp(s)?, self.dst.fp(d)?);
        Some(Sample {
            ts: a.ts_ns,
            r: b.ts_ns.saturating_sub(a.ts_ns),
            ttl_delta: i16::from(a.ttl) - i16::from(b.ttl),
        })
    }

    /// Phase 2: a key shared by several packets (a segment and its retransmissions, runs of
    /// duplicate ACKs, copies). Equal IP IDs pair first; the rest is aligned in order (the
    /// path keeps a flow's order, except for rare reordering), choosing which packets are
    /// missing by how well the delays fit.
    fn multi(&mut self, ss: &[(u64, u32)], ds: &[(u64, u32)]) {
        self.exp_cache.clear();
        for &(_, s) in ss {
            let g = self.guide(s);
            self.exp_cache.push((s, g));
        }
        // IP IDs that occur once on each side.
        self.cands.clear();
        for &(_, s) in ss {
            let Some(fs) = self.src.fp(s) else { continue };
            let mut hit = None;
            let mut n = 0;
            for &(_, d) in ds {
                if self.dst.fp(d).is_some_and(|fd| fd.ident == fs.ident) {
                    hit = Some(d);
                    n += 1;
                }
            }
            let dup_s = ss
                .iter()
                .filter(|x| self.src.fp(x.1).is_some_and(|g| g.ident == fs.ident))
                .count();
            if let (Some(d), 1, 1) = (hit, n, dup_s) {
                let exp = self.cached(s).delay;
                if let Some(r) = self.res(s, d, exp) {
                    self.cands.push((false, r, s, d));
                }
            }
            if ss.len().saturating_mul(ds.len()) > DP_MAX {
                // Floods: IP IDs are not looked at (quadratic), only time.
                self.cands.clear();
                break;
            }
        }
        for k in 0..self.cands.len() {
            if let Some(&(_, _, s, d)) = self.cands.get(k) {
                self.pair(s, d);
            }
        }
        self.rs.clear();
        self.rd.clear();
        for &(_, s) in ss {
            if self.free_s(s) {
                self.rs.push(s);
            }
        }
        for &(_, d) in ds {
            if self.free_d(d) {
                self.rd.push(d);
            }
        }
        if !self.rs.is_empty() && !self.rd.is_empty() {
            if self.rs.len().saturating_mul(self.rd.len()) <= DP_MAX {
                self.align();
            } else {
                self.nearest_fit();
            }
        }
        self.duplicates(ds);
    }

    /// Order-preserving alignment of `rs` and `rd` (both in file order) with the least total
    /// misfit: a pair costs |delay - expected|, leaving a packet out costs more than any pair.
    fn align(&mut self) {
        let (n, m) = (self.rs.len(), self.rd.len());
        let skip = self.window().saturating_add(1);
        let w = m + 1;
        self.dp.clear();
        self.dp.resize((n + 1) * w, 0);
        let exps: Vec<Guide> = self.rs.iter().map(|&s| self.cached(s)).collect();
        for j in 0..=m {
            if let Some(x) = self.dp.get_mut(j) {
                *x = skip.saturating_mul(j as u64);
            }
        }
        for i in 1..=n {
            if let Some(x) = self.dp.get_mut(i * w) {
                *x = skip.saturating_mul(i as u64);
            }
            let s = self.rs.get(i - 1).copied().unwrap_or(0);
            let Some(exp) = exps.get(i - 1).copied() else {
                continue;
            };
            for j in 1..=m {
                let d = self.rd.get(j - 1).copied().unwrap_or(0);
                let up = self.dp.get((i - 1) * w + j).copied().unwrap_or(u64::MAX);
                let left = self.dp.get(i * w + j - 1).copied().unwrap_or(u64::MAX);
                let diag = self
                    .dp
                    .get((i - 1) * w + j - 1)
                    .copied()
                    .unwrap_or(u64::MAX);
                let mut best = up.saturating_add(skip).min(left.saturating_add(skip));
                if let Some(r) = self.cost(s, d, exp) {
                    best = best.min(diag.saturating_add(r));
                }
                if let Some(x) = self.dp.get_mut(i * w + j) {
                    *x = best;
                }
            }
        }
        // Walk back. Terminates: i + j decreases every step.
        let (mut i, mut j) = (n, m);
        while i > 0 && j > 0 {
            let here = self.dp.get(i * w + j).copied().unwrap_or(0);
            let s = self.rs.get(i - 1).copied().unwrap_or(0);
            let d = self.rd.get(j - 1).copied().unwrap_or(0);
            let Some(exp) = exps.get(i - 1).copied() else {
                break;
            };
            let diag = self
                .dp
                .get((i - 1) * w + j - 1)
                .copied()
                .unwrap_or(u64::MAX);
            if let Some(r) = self.cost(s, d, exp) {
                if diag.saturating_add(r) == here {
                    self.pair(s, d);
                    i -= 1;
                    j -= 1;
                    continue;
                }
            }
            let up = self.dp.get((i - 1) * w + j).copied().unwrap_or(u64::MAX);
            if up.saturating_add(skip) == here {
                i -= 1;
            } else {
                j -= 1;
            }
        }
    }

    /// Large buckets: each source packet against the [`PAIR_CAP`] target packets nearest to
    /// its expected arrival, best fits first.
    fn nearest_fit(&mut self) {
        self.cands.clear();
        self.order.clear();
        self.order.extend_from_slice(&self.rd);
        let dst = self.dst;
        self.order
            .sort_unstable_by_key(|&d| (dst.fp(d).map_or(0, |f| f.ts_ns), d));
        for k in 0..self.rs.len() {
            let Some(&s) = self.rs.get(k) else { continue };
            let exp = self.cached(s);
            let at = self
                .src
                .fp(s)
                .map_or(0, |f| f.ts_ns)
                .saturating_add(exp.delay);
            let pos = self
                .order
                .partition_point(|&d| dst.fp(d).map_or(0, |f| f.ts_ns) < at);
            let (mut lo, mut hi) = (pos, pos);
            let dist = |d: u32| {
                dst.fp(d)
                    .map_or(u64::MAX, |f| f.ts_ns.saturating_sub(at).unsigned_abs())
            };
            // Terminates: at most PAIR_CAP steps.
            for _ in 0..PAIR_CAP {
                let left = lo
                    .checked_sub(1)
                    .and_then(|i| self.order.get(i).map(|&d| (i, d)));
                let right = self.order.get(hi).map(|&d| (hi, d));
                let pick = match (left, right) {
                    (Some(l), Some(r)) if dist(l.1) <= dist(r.1) => {
                        lo = l.0;
                        l.1
                    }
                    (_, Some(r)) => {
                        hi = r.0 + 1;
                        r.1
                    }
                    (Some(l), None) => {
                        lo = l.0;
                        l.1
                    }
                    (None, None) => break,
                };
                // Outside the window: so is everything farther out.
                if self.res(s, pick, exp.delay).is_none() {
                    break;
                }
                if let Some(r) = self.cost(s, pick, exp) {
                    self.cands.push((false, r, s, pick));
                }
            }
        }
        self.cands.sort_unstable();
        for k in 0..self.cands.len() {
            if let Some(&(_, _, s, d)) = self.cands.get(k) {
                if self.free_s(s) && self.free_d(d) {
                    self.pair(s, d);
                }
            }
        }
    }

    /// Target copies of a matched packet: same bucket, same IP ID (and lower port), close in
    /// time. The earliest copy is the twin.
    fn duplicates(&mut self, ds: &[(u64, u32)]) {
        if ds.len() < 2 {
            return;
        }
        // Time order; each packet looks at neighbours within the window only (bounded).
        self.order.clear();
        self.order.extend(ds.iter().map(|x| x.1));
        let dst = self.dst;
        self.order
            .sort_unstable_by_key(|&d| (dst.fp(d).map_or(0, |f| f.ts_ns), d));
        const MAX_NEIGHBOURS: usize = 64;
        let window = self.opts.dup_window_ns.unsigned_abs();
        for k in 0..self.order.len() {
            let Some(&d) = self.order.get(k) else {
                continue;
            };
            if !self.free_d(d) {
                continue;
            }
            let Some(fd) = dst.fp(d) else { continue };
            let same = |d2: u32| {
                dst.fp(d2).is_some_and(|f2| {
                    f2.ident == fd.ident
                        && low_port(f2) == low_port(fd)
                        && f2.ts_ns.saturating_sub(fd.ts_ns).unsigned_abs() <= window
                })
            };
            let near = (1..=MAX_NEIGHBOURS)
                .flat_map(|o| [k.checked_sub(o), k.checked_add(o)])
                .flatten()
                .filter_map(|i| self.order.get(i).copied());
            let mut copy_of = None;
            for d2 in near {
                if !self.free_d(d2) && same(d2) {
                    copy_of = Some(d2);
                    break;
                }
            }
            let Some(d2) = copy_of else { continue };
            if d < d2 {
                // The earlier copy is the one that matches; the later one is the duplicate.
                let s = self.twin_d.get(d2 as usize).copied().unwrap_or(0);
                if let Some(x) = self.twin_s.get_mut(s.wrapping_sub(1) as usize) {
                    *x = d + 1;
                }
                if let Some(x) = self.twin_d.get_mut(d as usize) {
                    *x = s;
                }
                if let Some(x) = self.twin_d.get_mut(d2 as usize) {
                    *x = 0;
                }
                if let Some(x) = self.dup_d.get_mut(d2 as usize) {
                    *x = d + 1;
                }
                // Copies already pointing at d2 now copy d (bounded: floods skip this).
                for &(_, d3) in ds.get(..4096.min(ds.len())).unwrap_or(&[]) {
                    if self.dup_d.get(d3 as usize) == Some(&(d2 + 1)) && d3 != d2 {
                        if let Some(x) = self.dup_d.get_mut(d3 as usize) {
                            *x = d + 1;
                        }
                    }
                }
            } else if let Some(x) = self.dup_d.get_mut(d as usize) {
                *x = d2 + 1;
            }
        }
    }
}

/// The lower of a packet's two ports (the one NAT usually leaves alone).
fn low_port(f: &Fingerprint) -> u16 {
    f.src_port.min(f.dst_port)
}

/// Pairs the packets of two captures (see the module documentation).
pub(crate) fn run(src: &Side<'_>, dst: &Side<'_>, opts: &Options) -> Matching {
    let ns = src.fps.len();
    let nd = dst.fps.len();
    let window = opts.max_delay_ns.unsigned_abs();

    // 2. Anchors.
    let mut ka: Vec<(u64, u32)> = (0..ns as u32)
        .filter_map(|i| src.fp(i).map(|f| (anchor_key(f), i)))
        .collect();
    let mut kb: Vec<(u64, u32)> = (0..nd as u32)
        .filter_map(|i| dst.fp(i).map(|f| (anchor_key(f), i)))
        .collect();
    ka.sort_unstable();
    kb.sort_unstable();
    // Pairs packed as source << 32 | target, and put in source order afterwards: the passes
    // below then read both captures' keys nearly sequentially instead of at random.
    let mut pairs: Vec<u64> = Vec::new();
    let mut uniq: Vec<u64> = Vec::new();
    let pack = |s: u32, d: u32| u64::from(s) << 32 | u64::from(d);
    join(&ka, &kb, |a, b| {
        if a.len() > ANCHOR_MAX || b.len() > ANCHOR_MAX {
            return;
        }
        for &(_, s) in a {
            for &(_, d) in b {
                pairs.push(pack(s, d));
            }
        }
        if let ([(_, s)], [(_, d)]) = (a, b) {
            uniq.push(pack(*s, *d));
        }
    });
    pairs.sort_unstable();
    uniq.sort_unstable();
    let pairs: Vec<(u32, u32)> = pairs
        .iter()
        .map(|&p| ((p >> 32) as u32, p as u32))
        .collect();
    let mut uniq_r: Vec<i64> = uniq
        .iter()
        .filter_map(|&p| {
            let (fs, fd) = (src.fp((p >> 32) as u32)?, dst.fp(p as u32)?);
            Some(fd.ts_ns.saturating_sub(fs.ts_ns))
        })
        .collect();
    drop(uniq);
    drop(ka);
    drop(kb);
    let delay_of = |s: u32, d: u32| -> i64 {
        match (src.fp(s), dst.fp(d)) {
            (Some(a), Some(b)) => b.ts_ns.saturating_sub(a.ts_ns),
            _ => 0,
        }
    };
    let coarse = match opts.offset_ns {
        Some(o) => o,
        None => median(&mut uniq_r).unwrap_or_else(|| {
            let mut all: Vec<i64> = pairs.iter().map(|&(s, d)| delay_of(s, d)).collect();
            median(&mut all).unwrap_or(0)
        }),
    };
    drop(uniq_r);
    // Votes: (target conversation, source conversation, flip), one per candidate pair.
    let in_window = |s: u32, d: u32| delay_of(s, d).saturating_sub(coarse).unsigned_abs() <= window;
    // Packed as target conversation << 32 | source conversation << 1 | flip, so one sort of
    // plain integers groups them.
    let mut votes: Vec<u64> = Vec::new();
    for &(s, d) in &pairs {
        if !in_window(s, d) {
            continue;
        }
        let ported = src.fp(s).is_some_and(|f| f.has_ports());
        if let (true, Some((cs, ds)), Some((cd, dd))) = (ported, src.conv_of(s), dst.conv_of(d)) {
            votes.push(u64::from(cd) << 32 | u64::from(cs) << 1 | u64::from(ds != dd));
        }
    }
    votes.sort_unstable();
    let mut pair_d: Vec<Option<ConvPair>> = vec![None; dst.convs.len()];
    for g in votes.chunk_by(|x, y| x >> 32 == y >> 32) {
        let mut best: Option<(usize, u64)> = None;
        for run in g.chunk_by(|x, y| x == y) {
            if let Some(&v) = run.first() {
                if best.is_none_or(|(n, _)| run.len() > n) {
                    best = Some((run.len(), v));
                }
            }
        }
        if let Some((n, v)) = best {
            if let Some(slot) = pair_d.get_mut((v >> 32) as usize) {
                *slot = Some(ConvPair {
                    src_conv: ((v & 0xffff_ffff) >> 1) as u32,
                    flip: v & 1 == 1,
                    dseq: [0; 2],
                    dack: [0; 2],
                    votes: u32::try_from(n).unwrap_or(u32::MAX),
                });
            }
        }
    }
    drop(votes);
    // Offsets and typical delays from the pairs that agree with the pairing.
    // Sequence offsets packed as (target conversation * 2 + direction) << 32 | offset.
    let mut seq_s: Vec<u64> = Vec::new();
    let mut ack_s: Vec<u64> = Vec::new();
    // Per source flow: sum and count of delays.
    let mut delay_sum: Vec<(i64, i64)> = vec![(0, 0); src.convs.len() * 2];
    for &(s, d) in &pairs {
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
    let mut set = |cd: u32, dir: u32, v: u32, ack: bool| {
        if let (Some(Some(p)), Some(k)) = (pair_d.get_mut(cd as usize), known.get_mut(cd as usize))
        {
            let arr = if ack { &mut p.dack } else { &mut p.dseq };
            if let Some(x) = arr.get_mut(dir as usize) {
                *x = v;
                *k |= (if ack { 4 } else { 1 }) << dir;
            }
        }
    };
    for (list, ack) in [(&mut seq_s, false), (&mut ack_s, true)] {
        list.sort_unstable();
        for g in list.chunk_by(|x, y| x >> 32 == y >> 32) {
            let mut best: Option<(usize, u64)> = None;
            for run in g.chunk_by(|x, y| x == y) {
                if let Some(&v) = run.first() {
                    if best.is_none_or(|(n, _)| run.len() > n) {
                        best = Some((run.len(), v));
                    }
                }
            }
            if let Some((_, v)) = best {
                let grp = v >> 32;
                set((grp / 2) as u32, (grp % 2) as u32, v as u32, ack);
            }
        }
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
    drop(delay_sum);

    // 3. Matching on flow keys.
    let mut paired_src = vec![false; src.convs.len()];
    for p in pair_d.iter().flatten() {
        if let Some(x) = paired_src.get_mut(p.src_conv as usize) {
            *x = true;
        }
    }
    let mut ka: Vec<(u64, u32)> = Vec::with_capacity(ns);
    for i in 0..ns as u32 {
        let Some(f) = src.fp(i) else { continue };
        let k = match src.conv_of(i).filter(|_| f.has_ports()) {
            Some((c, dir)) if paired_src.get(c as usize) == Some(&true) => {
                key(c | (dir << 31), f, f.seq, f.ack)
            }
            _ => anchor_key(f),
        };
        ka.push((k, i));
    }
    let mut kb: Vec<(u64, u32)> = Vec::with_capacity(nd);
    for j in 0..nd as u32 {
        let Some(f) = dst.fp(j) else { continue };
        let k = match dst.conv_of(j).filter(|_| f.has_ports()) {
            Some((c, dir_d)) => match pair_d.get(c as usize).copied().flatten() {
                Some(p) => {
                    let dir = dir_d ^ u32::from(p.flip);
                    let (seq, ack) = if f.is_tcp() {
                        let i = dir as usize;
                        (
                            f.seq.wrapping_sub(p.dseq.get(i).copied().unwrap_or(0)),
                            if f.flags & tcp_flags::ACK != 0 {
                                f.ack.wrapping_sub(p.dack.get(i).copied().unwrap_or(0))
                            } else {
                                f.ack
                            },
                        )
                    } else {
                        (f.seq, f.ack)
                    };
                    key(p.src_conv | (dir << 31), f, seq, ack)
                }
                None => anchor_key(f),
            },
            None => anchor_key(f),
        };
        kb.push((k, j));
    }
    ka.sort_unstable();
    kb.sort_unstable();
    let mut m = Matcher {
        src,
        dst,
        opts,
        coarse,
        flow_delay,
        local: Vec::new(),
        local_at: Vec::new(),
        exp_cache: Vec::new(),
        by_host: Vec::new(),
        twin_s: vec![0; ns],
        twin_d: vec![0; nd],
        dup_d: vec![0; nd],
        cands: Vec::new(),
        order: Vec::new(),
        rs: Vec::new(),
        rd: Vec::new(),
        dp: Vec::new(),
    };
    // Phase 1: keys seen once on each side; their delays guide phase 2.
    let mut multi: Vec<(usize, usize, usize, usize)> = Vec::new();
    let mut unique: Vec<u64> = Vec::new();
    join(&ka, &kb, |a, b| match (a, b) {
        ([(_, s)], [(_, d)]) => unique.push(u64::from(*s) << 32 | u64::from(*d)),
        _ => multi.push(range_of(&ka, a, &kb, b)),
    });
    unique.sort_unstable();
    // Samples in source order, then grouped by flow (a counting sort keeps time order).
    let n_flows = src.convs.len() * 2 + 1;
    let mut pending: Vec<(u32, Sample)> = Vec::with_capacity(unique.len());
    for p in unique {
        let s = (p >> 32) as u32;
        if let Some(x) = m.unique(s, p as u32) {
            pending.push((m.flow(s), x));
        }
    }
    let mut at = vec![0u32; n_flows + 1];
    for &(f, _) in &pending {
        if let Some(x) = at.get_mut(f as usize + 1) {
            *x += 1;
        }
    }
    for k in 1..at.len() {
        let prev = at.get(k - 1).copied().unwrap_or(0);
        if let Some(x) = at.get_mut(k) {
            *x += prev;
        }
    }
    let mut fill = at.clone();
    let mut local = vec![
        Sample {
            ts: 0,
            r: 0,
            ttl_delta: 0
        };
        pending.len()
    ];
    for (f, x) in pending {
        if let Some(pos) = fill.get_mut(f as usize) {
            if let Some(slot) = local.get_mut(*pos as usize) {
                *slot = x;
            }
            *pos += 1;
        }
    }
    m.local = local;
    m.local_at = at;
    // Source packets of phase 2 whose flow has no pair at all: their hosts' pairs guide them.
    let mut orphan_hosts: HashMap<u64, (), FxBuildHasher> = HashMap::default();
    for &(a0, a1, _, _) in &multi {
        for &(_, s) in ka.get(a0..a1).unwrap_or(&[]) {
            let Some(f) = src.fp(s) else { continue };
            let fl = m.flow(s);
            let has_local = matches!(
                (m.local_at.get(fl as usize), m.local_at.get(fl as usize + 1)),
                (Some(a), Some(b)) if b > a
            );
            let has_anchor = m
                .flow_delay
                .get(fl as usize)
                .is_some_and(|&x| x != i64::MIN);
            if !has_local && !has_anchor {
                orphan_hosts.insert(host_hash(&f.src, 0), ());
                orphan_hosts.insert(host_hash(&f.dst, 1), ());
                orphan_hosts.insert(host_hash(&prefix(f), 2), ());
            }
        }
    }
    if !orphan_hosts.is_empty() {
        for (i, &t) in m.twin_s.iter().enumerate() {
            if t == 0 {
                continue;
            }
            let (Some(a), Some(b)) = (src.fp(i as u32), dst.fp(t - 1)) else {
                continue;
            };
            let x = Sample {
                ts: a.ts_ns,
                r: b.ts_ns.saturating_sub(a.ts_ns),
                ttl_delta: i16::from(a.ttl) - i16::from(b.ttl),
            };
            for h in [
                host_hash(&a.src, 0),
                host_hash(&a.dst, 1),
                host_hash(&prefix(a), 2),
            ] {
                if orphan_hosts.contains_key(&h) {
                    m.by_host.push((h, x));
                }
            }
        }
        m.by_host.sort_unstable_by_key(|x| (x.0, x.1.ts));
    }
    for (a0, a1, b0, b1) in multi {
        if let (Some(a), Some(b)) = (ka.get(a0..a1), kb.get(b0..b1)) {
            m.multi(a, b);
        }
    }
    Matching {
        twin_s: m.twin_s,
        twin_d: m.twin_d,
        dup_d: m.dup_d,
        pair_d,
    }
}

/// Positions of the runs `a` (within `ka`) and `b` (within `kb`).
fn range_of(
    ka: &[(u64, u32)],
    a: &[(u64, u32)],
    kb: &[(u64, u32)],
    b: &[(u64, u32)],
) -> (usize, usize, usize, usize) {
    let at = |all: &[(u64, u32)], run: &[(u64, u32)]| {
        let k = run.first().map_or(0, |x| x.0);
        let start = all.partition_point(|x| x.0 < k);
        (start, start + run.len())
    };
    let (a0, a1) = at(ka, a);
    let (b0, b1) = at(kb, b);
    (a0, a1, b0, b1)
}
