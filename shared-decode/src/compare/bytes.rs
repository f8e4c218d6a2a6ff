//! Pairing in bytes: TCP payload by sequence range, IP fragments by their range in the
//! datagram. A 64 KB TSO/GSO super-segment captured at the sender and the 45 segments it
//! became (or a GRO/LRO merge at the receiver and the segments that were merged) are the same
//! bytes, and are matched as such.
//!
//! Per stream (a TCP flow direction, in the source's sequence space after the per-flow ISN
//! offsets, unwrapped to 64 bits; or a fragmented datagram), the boundaries of every copy on
//! both sides cut the sequence space into elementary intervals. Each interval has copies on
//! the source side and on the target side (a segment and its retransmissions, duplicates
//! made by the path):
//! - one copy on each side: paired if the raw delay is within the delay window of the
//!   flow's typical delay (pass 1; these pairs guide the rest);
//! - several: aligned in time order against the guide, a different TCP time stamp (or IP ID
//!   of two copies starting at the same byte) costing extra (pass 2). When the receiving side
//!   is known and the sender sent the bytes once, the earliest copy that fits is the twin:
//!   the later ones are the path's duplicates.
//!
//! Every copy's bytes end up matched, *surplus* (another copy on its side was matched: a
//! retransmission that was not needed at the receiver, or a duplicate) or *orphan* (no copy
//! on its side was matched: lost, injected, or missed by a capture); orphan bytes that the
//! other side has no copy of at all, but that the receiver acknowledged, reached the
//! receiver without being captured there.
//!
//! Bounds: work per stream is the number of (copy, interval) incidences, capped at
//! [`INCIDENCE_PER_ITEM`] per copy plus a constant; a hostile stream beyond that has its
//! remaining bytes counted as orphans (and is reported as degraded).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::anchor::Anchors;
use super::guide::{align, nearest_fit, Guide, Guides, Sample, DP_MAX};
use super::key::{bits, tcp_flags, Fingerprint};
use super::packets::{identity_penalty, Pairing, SenderOf};
use super::side::{Content, Side, NONE};
use super::sort;
use crate::flow::TableState;
use std::collections::HashMap;

/// Incidence budget per copy (realistic: a 64 KB super-segment against 1-byte segments
/// would need 65,535, but offloads cut at the MSS: about 45).
const INCIDENCE_PER_ITEM: u64 = 256;

/// What happened to one packet's bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ByteStat {
    /// Bytes (sequence space) the packet carries.
    pub total: u32,
    /// Bytes paired with a copy on the other side.
    pub matched: u32,
    /// Unpaired bytes of which another copy on this side was paired.
    pub surplus: u32,
    /// Unpaired bytes of which no copy on this side was paired.
    pub orphan: u32,
    /// Part of `orphan` of which the other side holds no copy at all.
    pub nopeer: u32,
    /// Part of `nopeer` that the data's receiver acknowledged.
    pub acked: u32,
    /// Start (unwrapped) of the interval that gave the twin.
    pub twin_at: u64,
    /// For surplus bytes: the other side's copy (index + 1) that a same-side copy of them
    /// was paired with (a duplicate's twin).
    pub dup_of: u32,
    /// Start of the packet's bytes (unwrapped), and the stream.
    pub start: u64,
    pub stream: u32,
}

/// An interval with copies left unpaired, for the per-flow byte report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Gap {
    pub stream: u32,
    pub start: u64,
    pub end: u64,
    /// Unpaired copies on the source / target side.
    pub free: [u16; 2],
    /// Paired copies on the source / target side.
    pub paired: [u16; 2],
    /// The receiver acknowledged these bytes.
    pub acked: bool,
}

/// The byte matcher's results.
pub(crate) struct ByteMatch {
    /// Per packet of each side: index into `stats`, or NONE.
    pub stat_of: [Vec<u32>; 2],
    pub stats: [Vec<ByteStat>; 2],
    pub gaps: Vec<Gap>,
    /// Streams: TCP streams are source flows (`< n_tcp`), then fragmented datagrams.
    pub n_tcp: u32,
    /// Streams whose bytes were too cut up to account for (hostile input).
    pub degraded: u32,
}

impl ByteMatch {
    pub fn stat(&self, src_side: bool, i: u32) -> Option<&ByteStat> {
        let k = usize::from(!src_side);
        let s = *self.stat_of.get(k)?.get(i as usize)?;
        self.stats.get(k)?.get(s as usize)
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Item {
    stream: u32,
    /// 0 source, 1 target.
    side: u8,
    idx: u32,
    /// Time stamp on the source clock, roughly (target: minus the coarse offset).
    key_ts: i64,
    /// The packet's own time stamp and TTL (kept here: the sweep would otherwise fetch
    /// every packet's key from memory at random).
    ts: i64,
    ttl: u8,
    /// Identity of the transmission: IPv4 ID (bit 0 of `id_bits`: IPv4), TCP TSval (bit 1:
    /// present).
    ident: u16,
    tsval: u32,
    id_bits: u8,
    seq: u32,
    len: u32,
    /// Unwrapped start.
    start: u64,
}

/// A multi-copy interval waiting for pass 2: its bounds, and where its copies are in
/// `Deferred::copies` (source copies first).
struct Pending {
    stream: u32,
    start: u64,
    end: u64,
    acked: bool,
    at: u32,
    n_src: u16,
    n_dst: u16,
}

pub(crate) struct ByteMatcher<'s, 'a> {
    src: &'s Side<'a>,
    dst: &'s Side<'a>,
    content: Content,
    anchors: &'s Anchors,
    window: u64,
    items: Vec<Item>,
    pending: Vec<Pending>,
    /// Item indexes of the pending intervals' copies.
    copies: Vec<u32>,
    out: ByteMatch,
    /// Per stream: the sender as far as pass 1 can tell (None).
    frag_keys: HashMap<(u8, u8, u16), u32, TableState>,
}

fn wrap_diff(a: u32, b: u32) -> i64 {
    i64::from(a.wrapping_sub(b) as i32)
}

impl<'s, 'a> ByteMatcher<'s, 'a> {
    pub fn new(
        src: &'s Side<'a>,
        dst: &'s Side<'a>,
        content: Content,
        anchors: &'s Anchors,
        window: u64,
    ) -> Self {
        let n_tcp = (src.convs.len() * 2) as u32;
        let mut m = ByteMatcher {
            src,
            dst,
            content,
            anchors,
            window,
            items: Vec::new(),
            pending: Vec::new(),
            copies: Vec::new(),
            out: ByteMatch {
                stat_of: [vec![NONE; src.len()], vec![NONE; dst.len()]],
                stats: [Vec::new(), Vec::new()],
                gaps: Vec::new(),
                n_tcp,
                degraded: 0,
            },
            frag_keys: HashMap::default(),
        };
        m.collect();
        m
    }

    fn frag_stream(&mut self, f: &Fingerprint) -> u32 {
        let n = self.frag_keys.len() as u32;
        let base = self.out.n_tcp;
        *self
            .frag_keys
            .entry((f.family(), f.proto, f.ident))
            .or_insert(base.saturating_add(n))
    }

    fn collect(&mut self) {
        let coarse = self.anchors.coarse;
        for side in 0..2u8 {
            let s = if side == 0 { self.src } else { self.dst };
            for (i, f) in s.fps.iter().enumerate() {
                if !f.is_byte_unit() {
                    continue;
                }
                let i = i as u32;
                let key_ts = if side == 0 {
                    f.ts_ns
                } else {
                    f.ts_ns.saturating_sub(coarse)
                };
                let (stream, seq, len) = if f.bits & bits::FRAGMENT != 0 {
                    (self.frag_stream(f), f.seq, u32::from(f.payload_len))
                } else if side == 0 {
                    match s.flow_of(i) {
                        Some(fl) => (fl, f.seq, f.seq_len()),
                        None => continue,
                    }
                } else {
                    match self.anchors.map_dst(s, i) {
                        Some((fl, seq, _)) => (fl, seq, f.seq_len()),
                        // A target conversation that no source conversation is: its bytes
                        // have no counterpart (a stream of its own per target flow).
                        None => match s.flow_of(i) {
                            Some(fl) => (u32::MAX - 1 - fl.min(u32::MAX / 2), f.seq, f.seq_len()),
                            None => continue,
                        },
                    }
                };
                self.items.push(Item {
                    stream,
                    side,
                    idx: i,
                    key_ts,
                    ts: f.ts_ns,
                    ttl: f.ttl,
                    ident: f.ident,
                    tsval: f.tsval,
                    id_bits: u8::from(f.family() == bits::FAMILY_V4)
                        | (u8::from(f.more & super::key::more::HAS_TS != 0) << 1),
                    seq,
                    len,
                    start: 0,
                });
            }
        }
        // By stream, then by time within a stream.
        sort::by_key(
            &mut self.items,
            |x| u64::from(x.stream),
            |x| (x.stream, x.key_ts, x.side, x.idx),
        );
        // Unwrap per stream, in time order (neighbouring copies are within 2^31 bytes).
        let mut prev: Option<(u32, u32, i64)> = None;
        for it in &mut self.items {
            let frag = it.stream >= self.out.n_tcp && it.stream < u32::MAX / 2;
            let u = match prev {
                Some((st, raw, u)) if st == it.stream && !frag => {
                    u.saturating_add(wrap_diff(it.seq, raw))
                }
                _ => {
                    if frag {
                        i64::from(it.seq)
                    } else {
                        // Leave room below the first copy for retransmissions of earlier bytes.
                        1 << 40
                    }
                }
            };
            it.start = u.max(0) as u64;
            prev = Some((it.stream, it.seq, u));
        }
        // Stats per packet.
        for it in &self.items {
            let k = usize::from(it.side);
            if let (Some(list), Some(map)) =
                (self.out.stats.get_mut(k), self.out.stat_of.get_mut(k))
            {
                if let Some(slot) = map.get_mut(it.idx as usize) {
                    *slot = list.len() as u32;
                }
                list.push(ByteStat {
                    total: it.len,
                    start: it.start,
                    stream: it.stream,
                    twin_at: u64::MAX,
                    ..ByteStat::default()
                });
            }
        }
    }

    /// The highest acknowledgment (unwrapped) of each TCP stream, from the last ACK in time
    /// of the reverse flow on either side, placed next to the stream's highest byte.
    fn acks(&self) -> HashMap<u32, u64, TableState> {
        // Per stream: (time, raw ack in source space) of the latest ACK seen.
        let mut last: HashMap<u32, (i64, u32), TableState> = HashMap::default();
        let coarse = self.anchors.coarse;
        for (i, f) in self.src.fps.iter().enumerate() {
            if !f.is_tcp() || f.flags & tcp_flags::ACK == 0 {
                continue;
            }
            if let Some(fl) = self.src.flow_of(i as u32) {
                let e = last.entry(fl ^ 1).or_insert((i64::MIN, 0));
                if f.ts_ns >= e.0 {
                    *e = (f.ts_ns, f.ack);
                }
            }
        }
        for (j, f) in self.dst.fps.iter().enumerate() {
            if !f.is_tcp() || f.flags & tcp_flags::ACK == 0 {
                continue;
            }
            if let Some((fl, _, ack)) = self.anchors.map_dst(self.dst, j as u32) {
                let t = f.ts_ns.saturating_sub(coarse);
                let e = last.entry(fl ^ 1).or_insert((i64::MIN, 0));
                if t >= e.0 {
                    *e = (t, ack);
                }
            }
        }
        // The highest byte of each stream (unwrapped and raw).
        let mut top: HashMap<u32, (u64, u32), TableState> = HashMap::default();
        for it in &self.items {
            let end = it.start.saturating_add(u64::from(it.len));
            let raw_end = it.seq.wrapping_add(it.len);
            let e = top.entry(it.stream).or_insert((end, raw_end));
            if end > e.0 {
                *e = (end, raw_end);
            }
        }
        let mut out = HashMap::default();
        for (st, (_, ack)) in last {
            if let Some(&(end, raw_end)) = top.get(&st) {
                let u = (end as i64).saturating_add(wrap_diff(ack, raw_end));
                out.insert(st, u.max(0) as u64);
            }
        }
        out
    }

    /// Pass 1: sweeps every stream; pairs single-copy intervals, defers the others. Pushes
    /// (flow, source packet, sample) for the pairs it makes.
    pub fn pass1(&mut self, p: &mut Pairing, samples: &mut Vec<(u32, u32, Sample)>) {
        let acks = self.acks();
        let items = std::mem::take(&mut self.items);
        let mut by_start: Vec<u32> = Vec::new();
        let mut active: Vec<u32> = Vec::new();
        let mut bounds: Vec<u64> = Vec::new();
        let mut base = 0usize;
        // Terminates: `base` grows by the run's length (at least 1) every step.
        while base < items.len() {
            let stream = items.get(base).map_or(0, |x| x.stream);
            let len = items
                .get(base..)
                .unwrap_or(&[])
                .iter()
                .take_while(|x| x.stream == stream)
                .count()
                .max(1);
            let run = items.get(base..base + len).unwrap_or(&[]);
            let run_base = base;
            base += len;
            let acked_to = acks.get(&stream).copied();
            by_start.clear();
            by_start.extend((0..run.len() as u32).map(|k| run_base as u32 + k));
            by_start.sort_unstable_by_key(|&k| items.get(k as usize).map_or(0, |x| x.start));
            bounds.clear();
            for it in run {
                bounds.push(it.start);
                bounds.push(it.start.saturating_add(u64::from(it.len)));
            }
            bounds.sort_unstable();
            bounds.dedup();
            active.clear();
            let budget = INCIDENCE_PER_ITEM
                .saturating_mul(run.len() as u64)
                .saturating_add(4096);
            let mut spent = 0u64;
            let mut next = 0usize;
            let mut degraded = false;
            for w in bounds.windows(2) {
                let [lo, hi] = *w else { continue };
                // Enter the copies starting here; leave those that ended.
                while let Some(&k) = by_start.get(next) {
                    if items.get(k as usize).is_some_and(|x| x.start <= lo) {
                        active.push(k);
                        next += 1;
                    } else {
                        break;
                    }
                }
                active.retain(|&k| {
                    items
                        .get(k as usize)
                        .is_some_and(|x| x.start.saturating_add(u64::from(x.len)) > lo)
                });
                if active.is_empty() {
                    continue;
                }
                spent = spent.saturating_add(active.len() as u64);
                if spent > budget {
                    degraded = true;
                    break;
                }
                let acked = acked_to.is_some_and(|a| a >= hi);
                self.interval(&items, stream, lo, hi, acked, &active, p, samples);
            }
            if degraded {
                self.out.degraded += 1;
                // The rest of the stream: every copy's unaccounted bytes are orphans.
                for it in run {
                    self.orphan_rest(it);
                }
            }
        }
        self.items = items;
    }

    fn stat_mut(&mut self, it: &Item) -> Option<&mut ByteStat> {
        let k = usize::from(it.side);
        let s = *self.out.stat_of.get(k)?.get(it.idx as usize)?;
        self.out.stats.get_mut(k)?.get_mut(s as usize)
    }

    fn orphan_rest(&mut self, it: &Item) {
        if let Some(st) = self.stat_mut(it) {
            let done = st
                .matched
                .saturating_add(st.surplus)
                .saturating_add(st.orphan);
            let rest = st.total.saturating_sub(done);
            st.orphan = st.orphan.saturating_add(rest);
        }
    }

    /// One elementary interval in pass 1.
    #[allow(clippy::too_many_arguments)]
    fn interval(
        &mut self,
        items: &[Item],
        stream: u32,
        lo: u64,
        hi: u64,
        acked: bool,
        active: &[u32],
        p: &mut Pairing,
        samples: &mut Vec<(u32, u32, Sample)>,
    ) {
        let n_src = active
            .iter()
            .filter(|&&k| items.get(k as usize).is_some_and(|x| x.side == 0))
            .count();
        let n_dst = active.len() - n_src;
        if n_src == 1 && n_dst == 1 {
            let s = active
                .iter()
                .filter_map(|&k| items.get(k as usize))
                .find(|x| x.side == 0)
                .copied();
            let d = active
                .iter()
                .filter_map(|&k| items.get(k as usize))
                .find(|x| x.side == 1)
                .copied();
            if let (Some(s), Some(d)) = (s, d) {
                let flow = if stream < self.out.n_tcp {
                    stream
                } else {
                    NONE
                };
                let exp = self.anchors.flow_raw(flow);
                let r = d.ts.saturating_sub(s.ts);
                if r.saturating_sub(exp).unsigned_abs() <= self.window {
                    if lo == s.start.max(d.start) {
                        samples.push((
                            flow,
                            s.idx,
                            Sample {
                                ts: s.ts,
                                r,
                                ttl_delta: i16::from(s.ttl) - i16::from(d.ttl),
                            },
                        ));
                    }
                    self.record(items, stream, lo, hi, acked, active, &[(s, d)], p);
                } else {
                    self.record(items, stream, lo, hi, acked, active, &[], p);
                }
            }
            return;
        }
        if n_src == 0 || n_dst == 0 {
            self.record(items, stream, lo, hi, acked, active, &[], p);
            return;
        }
        // Several copies: wait for the guides.
        let at = self.copies.len() as u32;
        let mut srcs: Vec<u32> = active
            .iter()
            .copied()
            .filter(|&k| items.get(k as usize).is_some_and(|x| x.side == 0))
            .collect();
        let mut dsts: Vec<u32> = active
            .iter()
            .copied()
            .filter(|&k| items.get(k as usize).is_some_and(|x| x.side == 1))
            .collect();
        let ts = |k: &u32, side: u8| {
            items.get(*k as usize).map_or(0, |x| {
                let fps = if side == 0 {
                    self.src.fps
                } else {
                    self.dst.fps
                };
                fps.get(x.idx as usize).map_or(0, |f| f.ts_ns)
            })
        };
        srcs.sort_unstable_by_key(|k| (ts(k, 0), *k));
        dsts.sort_unstable_by_key(|k| (ts(k, 1), *k));
        self.copies.extend_from_slice(&srcs);
        self.copies.extend_from_slice(&dsts);
        self.pending.push(Pending {
            stream,
            start: lo,
            end: hi,
            acked,
            at,
            n_src: u16::try_from(srcs.len()).unwrap_or(u16::MAX),
            n_dst: u16::try_from(dsts.len()).unwrap_or(u16::MAX),
        });
    }

    /// Accounts for one interval: `pairs` are paired, every other copy is surplus or orphan.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        items: &[Item],
        stream: u32,
        lo: u64,
        hi: u64,
        acked: bool,
        active: &[u32],
        pairs: &[(Item, Item)],
        p: &mut Pairing,
    ) {
        let len = u32::try_from(hi.saturating_sub(lo)).unwrap_or(u32::MAX);
        let mut paired = [0u16; 2];
        let mut free = [0u16; 2];
        for (s, d) in pairs {
            for it in [s, d] {
                if let Some(x) = paired.get_mut(usize::from(it.side)) {
                    *x = x.saturating_add(1);
                }
            }
            let (si, di) = (s.idx, d.idx);
            if let Some(st) = self.stat_mut(s) {
                st.matched = st.matched.saturating_add(len);
                if lo < st.twin_at {
                    st.twin_at = lo;
                    if let Some(x) = p.twin_s.get_mut(si as usize) {
                        *x = di + 1;
                    }
                }
            }
            if let Some(st) = self.stat_mut(d) {
                st.matched = st.matched.saturating_add(len);
                if lo < st.twin_at {
                    st.twin_at = lo;
                    if let Some(x) = p.twin_d.get_mut(di as usize) {
                        *x = si + 1;
                    }
                }
            }
        }
        let mut n_side = [0u16; 2];
        for &k in active {
            if let Some(it) = items.get(k as usize) {
                if let Some(x) = n_side.get_mut(usize::from(it.side)) {
                    *x = x.saturating_add(1);
                }
            }
        }
        for &k in active {
            let Some(it) = items.get(k as usize).copied() else {
                continue;
            };
            let in_pair = pairs.iter().any(|(s, d)| {
                (s.side == it.side && s.idx == it.idx) || (d.side == it.side && d.idx == it.idx)
            });
            if in_pair {
                continue;
            }
            let side = usize::from(it.side);
            if let Some(x) = free.get_mut(side) {
                *x = x.saturating_add(1);
            }
            // A copy of bytes that arrived from another copy on its side: the same
            // transmission seen again (a duplicate at a receiver, a surplus send) — unless its
            // identity says it is another transmission (a retransmission whose twin the
            // other capture missed), which makes it an orphan.
            // Its mate: a paired copy on its side of the same transmission (with several
            // transmissions paired, the one whose identity it shares).
            let mate = pairs.iter().find(|(s, d)| {
                let q = if it.side == 0 { s } else { d };
                !self.different_transmission(&it, q)
            });
            let same_tx = pairs.is_empty() || mate.is_some();
            let same_paired = paired.get(side).copied().unwrap_or(0) > 0 && same_tx;
            // The other side's copy of these bytes that arrived (or was sent) once.
            let peer =
                mate.or(pairs.first())
                    .map_or(0, |(s, d)| if it.side == 0 { d.idx + 1 } else { s.idx + 1 });
            // No copy of these bytes at all on the other side (then an acknowledgment of them
            // says they arrived uncaptured); or none of this transmission.
            let none_at_all = n_side.get(1 - side).copied().unwrap_or(0) == 0;
            let other_none = none_at_all || !same_tx;
            let tcp = stream < self.out.n_tcp;
            if let Some(st) = self.stat_mut(&it) {
                if same_paired {
                    st.surplus = st.surplus.saturating_add(len);
                    if st.dup_of == 0 {
                        st.dup_of = peer;
                    }
                } else {
                    st.orphan = st.orphan.saturating_add(len);
                    if other_none {
                        st.nopeer = st.nopeer.saturating_add(len);
                        if acked && tcp && none_at_all {
                            st.acked = st.acked.saturating_add(len);
                        }
                    }
                }
            }
        }
        if free != [0, 0] {
            // Merge with the previous gap when it continues it with the same shape.
            if let Some(g) = self.out.gaps.last_mut() {
                if g.stream == stream
                    && g.end == lo
                    && g.free == free
                    && g.paired == paired
                    && g.acked == acked
                {
                    g.end = hi;
                    return;
                }
            }
            self.out.gaps.push(Gap {
                stream,
                start: lo,
                end: hi,
                free,
                paired,
                acked,
            });
        }
    }

    /// (flow, source packet) of the copies pass 2 will guide.
    pub fn needy(&self) -> Vec<(u32, u32)> {
        let mut v = Vec::new();
        for pd in &self.pending {
            let flow = if pd.stream < self.out.n_tcp {
                pd.stream
            } else {
                NONE
            };
            for k in 0..usize::from(pd.n_src) {
                if let Some(it) = self
                    .copies
                    .get(pd.at as usize + k)
                    .and_then(|&i| self.items.get(i as usize))
                {
                    v.push((flow, it.idx));
                }
            }
        }
        v
    }

    fn cost(&self, s: &Item, d: &Item, g: &Guide) -> Option<u64> {
        let (fs, fd) = (self.src.fp(s.idx)?, self.dst.fp(d.idx)?);
        let r = fd
            .ts_ns
            .saturating_sub(fs.ts_ns)
            .saturating_sub(g.delay)
            .unsigned_abs();
        if r > g.tol {
            return None;
        }
        let aligned = s.start == d.start;
        Some(r.saturating_add(identity_penalty(&self.content, fs, fd, g.tol, aligned)?))
    }

    /// What the matcher compares (updated once the unambiguous pairs are known).
    pub fn set_content(&mut self, c: Content) {
        self.content = c;
    }

    /// Pass 2: the multi-copy intervals, with guides and the senders known.
    pub fn pass2(&mut self, p: &mut Pairing, guides: &Guides, sender: SenderOf<'_>) {
        let pending = std::mem::take(&mut self.pending);
        let copies = std::mem::take(&mut self.copies);
        let items = std::mem::take(&mut self.items);
        let skip = self.window.saturating_add(1);
        let (mut dp, mut cm, mut cands) = (Vec::new(), Vec::new(), Vec::new());
        let mut active: Vec<u32> = Vec::new();
        for pd in &pending {
            let at = pd.at as usize;
            let ns = usize::from(pd.n_src);
            let nd = usize::from(pd.n_dst);
            let ss: Vec<Item> = copies
                .get(at..at + ns)
                .unwrap_or(&[])
                .iter()
                .filter_map(|&k| items.get(k as usize).copied())
                .collect();
            let ds: Vec<Item> = copies
                .get(at + ns..at + ns + nd)
                .unwrap_or(&[])
                .iter()
                .filter_map(|&k| items.get(k as usize).copied())
                .collect();
            active.clear();
            active.extend_from_slice(copies.get(at..at + ns + nd).unwrap_or(&[]));
            let flow = if pd.stream < self.out.n_tcp {
                pd.stream
            } else {
                NONE
            };
            let gs: Vec<Guide> = ss
                .iter()
                .map(|s| {
                    let f = self.src.fp(s.idx).copied().unwrap_or_default();
                    guides.guide(flow, &f)
                })
                .collect();
            let mut chosen: Vec<(Item, Item)> = Vec::new();
            let sent_at_src = if flow == NONE {
                // A datagram: sent where its first copy was seen (on the source clock).
                match (ss.first(), ds.first()) {
                    (Some(a), Some(b)) => Some(a.key_ts <= b.key_ts),
                    _ => None,
                }
            } else {
                sender(flow)
            };
            // Copies at the sender and at the receiver.
            let (n_snd, n_rcv) = match sent_at_src {
                Some(true) => (ns, nd),
                Some(false) => (nd, ns),
                None => (0, 0),
            };
            if n_snd == 1 || n_rcv == 1 {
                // Sent once: the earliest receiver copy that fits arrived first, the later
                // ones are the path's duplicates. Received once: the sender copy that fits
                // best is the one that arrived.
                let fits = |i: usize, j: usize| -> Option<u64> {
                    self.cost(ss.get(i)?, ds.get(j)?, gs.get(i)?)
                };
                let pick = if n_snd == 1 {
                    if sent_at_src == Some(true) {
                        (0..nd).find(|&j| fits(0, j).is_some()).map(|j| (0, j))
                    } else {
                        (0..ns).find(|&i| fits(i, 0).is_some()).map(|i| (i, 0))
                    }
                } else if sent_at_src == Some(true) {
                    (0..ns)
                        .filter_map(|i| fits(i, 0).map(|c| (c, i)))
                        .min()
                        .map(|(_, i)| (i, 0))
                } else {
                    (0..nd)
                        .filter_map(|j| fits(0, j).map(|c| (c, j)))
                        .min()
                        .map(|(_, j)| (0, j))
                };
                if let Some((i, j)) = pick {
                    if let (Some(s), Some(d)) = (ss.get(i), ds.get(j)) {
                        chosen.push((*s, *d));
                    }
                }
            } else {
                // Copies whose identity the path keeps pair first, in any order: a
                // retransmission held back on the path arrives after a later one, which an
                // order-keeping alignment could not pair.
                let (rs, rd) = self.by_identity(sent_at_src, &ss, &ds, &gs, &mut chosen);
                let (s_of, d_of) = (
                    |i: usize| rs.get(i).and_then(|&k| ss.get(k)),
                    |j: usize| rd.get(j).and_then(|&k| ds.get(k)),
                );
                let g_of = |i: usize| rs.get(i).and_then(|&k| gs.get(k));
                let (ns, nd) = (rs.len(), rd.len());
                if ns.saturating_mul(nd) <= DP_MAX {
                    align(
                        ns,
                        nd,
                        skip,
                        |i, j| self.cost(s_of(i)?, d_of(j)?, g_of(i)?),
                        &mut dp,
                        &mut cm,
                        |i, j| {
                            if let (Some(s), Some(d)) = (s_of(i), d_of(j)) {
                                chosen.push((*s, *d));
                            }
                        },
                    );
                } else {
                    nearest_fit(
                        ns,
                        nd,
                        |i| {
                            let t = s_of(i)
                                .and_then(|s| self.src.fp(s.idx))
                                .map_or(0, |f| f.ts_ns);
                            t.saturating_add(g_of(i).map_or(0, |g| g.delay))
                        },
                        |j| {
                            d_of(j)
                                .and_then(|d| self.dst.fp(d.idx))
                                .map_or(0, |f| f.ts_ns)
                        },
                        |i, j| self.cost(s_of(i)?, d_of(j)?, g_of(i)?),
                        &mut cands,
                        |i, j| {
                            if let (Some(s), Some(d)) = (s_of(i), d_of(j)) {
                                chosen.push((*s, *d));
                            }
                        },
                    );
                }
            }
            // Copies of one transmission at the receiver: the earliest arrived first, the
            // later ones are the path's duplicates (the alignment may have picked a later
            // one when their delays fit alike).
            if let Some(sent_at_src) = sent_at_src {
                self.earliest_copies(sent_at_src, &ss, &ds, &gs, &mut chosen);
            }
            self.record(
                &items, pd.stream, pd.start, pd.end, pd.acked, &active, &chosen, p,
            );
        }
        self.items = items;
    }

    /// Pairs the copies of one interval that carry the same transmission identity (IPv4
    /// ID and TCP time stamp, where the path keeps them, starting at the same byte): a
    /// transmission seen once at its sender pairs with its earliest receiver copy that fits
    /// the path's widest window (a held-back packet is late, not lost). Returns the indexes
    /// of the copies left for the alignment.
    fn by_identity(
        &self,
        sent_at_src: Option<bool>,
        ss: &[Item],
        ds: &[Item],
        gs: &[Guide],
        chosen: &mut Vec<(Item, Item)>,
    ) -> (Vec<usize>, Vec<usize>) {
        let all = || ((0..ss.len()).collect(), (0..ds.len()).collect());
        if !self.content.ids_kept {
            return all();
        }
        let id = |it: &Item| -> Option<(u64, u16, u32)> {
            (it.id_bits & 1 != 0 && it.ident != 0).then_some((
                it.start,
                it.ident,
                if it.id_bits & 2 != 0 { it.tsval } else { 0 },
            ))
        };
        type Key = (u64, u16, u32);
        let keyed = |v: &[Item]| -> Vec<(Key, usize)> {
            let mut k: Vec<(Key, usize)> = v
                .iter()
                .enumerate()
                .filter_map(|(i, x)| Some((id(x)?, i)))
                .collect();
            // By identity, then by time (the copies are in time order).
            k.sort_unstable();
            k
        };
        let (ks, kd) = (keyed(ss), keyed(ds));
        let group = |v: &[(Key, usize)], k: Key| -> std::ops::Range<usize> {
            let lo = v.partition_point(|x| x.0 < k);
            lo..v.partition_point(|x| x.0 <= k)
        };
        let (mut used_s, mut used_d) = (vec![false; ss.len()], vec![false; ds.len()]);
        for &(k, i) in &ks {
            let (gs_, gd) = (group(&ks, k), group(&kd, k));
            let (n_s, n_d) = (gs_.len(), gd.len());
            // Unique at the sender (copies at the receiver beyond the first are the path's
            // duplicates); with the sender unknown, unique on both sides.
            let unique = match sent_at_src {
                Some(true) => n_s == 1,
                Some(false) => n_d == 1,
                None => n_s == 1 && n_d == 1,
            };
            if !unique || n_d == 0 {
                continue;
            }
            let (Some(s), Some(g)) = (ss.get(i), gs.get(i)) else {
                continue;
            };
            let wide = Guide {
                tol: self.window,
                ..*g
            };
            // The earliest free receiver copy that fits (when the source received, the
            // earliest source copy takes the target's one: `ks` is in time order too).
            let pick = kd
                .get(gd)
                .unwrap_or(&[])
                .iter()
                .map(|&(_, j)| j)
                .find(|&j| {
                    !used_d.get(j).copied().unwrap_or(true)
                        && ds.get(j).is_some_and(|d| self.cost(s, d, &wide).is_some())
                });
            if let Some(j) = pick {
                if let (Some(d), Some(us), Some(ud)) =
                    (ds.get(j), used_s.get_mut(i), used_d.get_mut(j))
                {
                    *us = true;
                    *ud = true;
                    chosen.push((*s, *d));
                }
            }
        }
        let rest = |used: &[bool]| -> Vec<usize> {
            used.iter()
                .enumerate()
                .filter(|(_, &u)| !u)
                .map(|(k, _)| k)
                .collect()
        };
        (rest(&used_s), rest(&used_d))
    }

    /// Whether two copies on one side are different transmissions by their identity (when
    /// the path keeps it): IPv4 IDs of copies starting at the same byte, TCP time stamps.
    fn different_transmission(&self, a: &Item, b: &Item) -> bool {
        let ids = self.content.ids_kept
            && a.id_bits & b.id_bits & 1 != 0
            && a.start == b.start
            && a.ident != b.ident;
        let ts = self.content.ts_kept && a.id_bits & b.id_bits & 2 != 0 && a.tsval != b.tsval;
        ids || ts
    }

    /// Replaces a chosen receiver copy by an earlier, unchosen copy of the same transmission
    /// (same bytes, IP ID and time stamp) that fits its sender as well.
    fn earliest_copies(
        &self,
        sent_at_src: bool,
        ss: &[Item],
        ds: &[Item],
        gs: &[Guide],
        chosen: &mut [(Item, Item)],
    ) {
        let rcv = if sent_at_src { ds } else { ss };
        let fp = |it: &Item| {
            if sent_at_src {
                self.dst.fp(it.idx)
            } else {
                self.src.fp(it.idx)
            }
        };
        for k in 0..chosen.len() {
            let Some(&(s, d)) = chosen.get(k) else {
                continue;
            };
            let cur = if sent_at_src { d } else { s };
            let Some(fc) = fp(&cur) else { continue };
            let taken = |c: &Item| {
                chosen.iter().any(|(a, b)| {
                    let x = if sent_at_src { b } else { a };
                    x.idx == c.idx
                })
            };
            let guide_of = |src_item: &Item| {
                ss.iter()
                    .position(|x| x.idx == src_item.idx)
                    .and_then(|i| gs.get(i))
            };
            let better = rcv.iter().find(|c| {
                c.key_ts < cur.key_ts
                    && c.start == cur.start
                    && c.len == cur.len
                    && !taken(c)
                    && fp(c).is_some_and(|f| f.ident == fc.ident && f.tsval == fc.tsval)
                    && if sent_at_src {
                        guide_of(&s).is_some_and(|g| self.cost(&s, c, g).is_some())
                    } else {
                        guide_of(c).is_some_and(|g| self.cost(c, &d, g).is_some())
                    }
            });
            if let (Some(e), Some(slot)) = (better.copied(), chosen.get_mut(k)) {
                if sent_at_src {
                    slot.1 = e;
                } else {
                    slot.0 = e;
                }
            }
        }
    }

    /// The results.
    pub fn finish(self) -> ByteMatch {
        self.out
    }
}
