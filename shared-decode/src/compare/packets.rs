//! Pairing of the packets compared whole: everything but TCP payload and IP fragments (which
//! `bytes` accounts for in bytes) — pure ACKs, SYNs, FINs and RSTs without data, UDP, ICMP,
//! other IP protocols, ARP.
//!
//! Each packet gets a flow key: its (source-side) flow, payload length and content, flags,
//! TCP sequence/acknowledgment numbers mapped into the source's sequence space and SACK
//! edges, and for everything but TCP its IP ID ("level A"). Packets of conversations that
//! were not paired keep the anchor key.
//! - Phase 1: keys seen once on each side pair if the raw delay is within the delay window of
//!   the flow's typical delay; they are the unambiguous samples that guide everything else.
//! - Phase 2: keys shared by several packets (a segment and its retransmissions, runs of
//!   identical ACKs, copies, floods of identical datagrams): aligned in order (a path keeps a
//!   flow's order, except for rare reordering) by a small dynamic program that leaves out
//!   the packets whose delays fit worst against the guide ([`super::guide`]); a different IP
//!   ID or TCP time stamp costs extra, a TTL that changed unlike the guiding pair's rules a
//!   pair out (a probe that expired is not the next one's twin). Larger runs take, per
//!   source packet, the nearest candidates in time, best fits first.
//! - Level B: datagrams left over on both sides are keyed again without their IP ID (a
//!   middlebox that rewrites IDs) and matched the same way.
//! - Copies: a packet left over in a run of identical packets (same key and IP ID, close in
//!   time) on one side is a copy of the matched one. On the receiving side the earliest copy
//!   is the twin and the later ones are duplicates; on the sending side a surplus copy is a
//!   packet that did not arrive.
//!
//! Cost: sorts of (key, index) per side and linear passes; every run's work is bounded
//! ([`DP_MAX`] cells, [`super::guide::PAIR_CAP`] candidates per packet).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::anchor::{anchor_key, fmix, join, Anchors};
use super::config::Options;
use super::guide::{align, nearest_fit, Guide, Guides, Sample, DP_MAX};
use super::key::{bits, tcp_flags, Fingerprint};
use super::side::{Content, Side, NONE};
use super::sort;
use crate::flow::FxHasher;
use std::hash::Hasher;

/// The pairing of both captures' packets (shared by the packet and the byte matcher).
pub(crate) struct Pairing {
    /// Per source packet: target index + 1 (0 = none). Byte units: the twin of its first
    /// matched bytes.
    pub twin_s: Vec<u32>,
    /// Per target packet: source index + 1.
    pub twin_d: Vec<u32>,
    /// Per source packet left over: source index + 1 of the matched packet it copies.
    pub copy_s: Vec<u32>,
    /// Per target packet left over: target index + 1 of the matched packet it copies.
    pub copy_d: Vec<u32>,
}

impl Pairing {
    pub fn new(ns: usize, nd: usize) -> Pairing {
        Pairing {
            twin_s: vec![0; ns],
            twin_d: vec![0; nd],
            copy_s: vec![0; ns],
            copy_d: vec![0; nd],
        }
    }

    pub fn pair(&mut self, s: u32, d: u32) {
        if let Some(x) = self.twin_s.get_mut(s as usize) {
            *x = d + 1;
        }
        if let Some(x) = self.twin_d.get_mut(d as usize) {
            *x = s + 1;
        }
    }

    pub fn free_s(&self, s: u32) -> bool {
        self.twin_s.get(s as usize) == Some(&0)
    }

    pub fn free_d(&self, d: u32) -> bool {
        self.twin_d.get(d as usize) == Some(&0)
    }
}

/// The key of a packet in its flow; `ident`: include the IP ID.
fn flow_key(content: &Content, flow: u32, f: &Fingerprint, seq: u32, ack: u32, ident: bool) -> u64 {
    let mut h = FxHasher::default();
    h.write_u32(flow);
    h.write_u8(f.proto);
    h.write_u8(f.bits & (bits::FAMILY | bits::ICMP_ERROR | bits::ARP | bits::TCP));
    h.write_u16(f.payload_len);
    content.write(&mut h, f);
    if ident {
        h.write_u16(f.ident);
    }
    if f.is_tcp() {
        h.write_u8(f.flags & tcp_flags::INVARIANT);
        h.write_u32(seq);
        h.write_u32(ack);
        if content.opts {
            h.write_u32(f.sack);
        }
    } else {
        h.write_u8(f.flags);
        h.write_u8(f.code);
        h.write_u32(f.seq);
    }
    fmix(h.finish())
}

/// Which capture sent a flow: `Some(true)` the source, `Some(false)` the target.
pub(crate) type SenderOf<'x> = &'x dyn Fn(u32) -> Option<bool>;

pub(crate) struct PacketMatcher<'s, 'a> {
    src: &'s Side<'a>,
    dst: &'s Side<'a>,
    content: Content,
    anchors: &'s Anchors,
    window: u64,
    dup_window: u64,
    /// Level A keys, sorted: (key, packet).
    ka: Vec<(u64, u32)>,
    kb: Vec<(u64, u32)>,
    /// Runs of equal keys on both sides with more than one packet on a side.
    multi: Vec<(usize, usize, usize, usize)>,
    /// Per source packet: its source flow (or NONE).
    flow_s: Vec<u32>,
    /// Per target packet: its source flow (or NONE).
    flow_d: Vec<u32>,
    dp: Vec<u64>,
    cm: Vec<u64>,
    cands: Vec<(u64, u32, u32)>,
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

impl<'s, 'a> PacketMatcher<'s, 'a> {
    pub fn new(
        src: &'s Side<'a>,
        dst: &'s Side<'a>,
        content: Content,
        anchors: &'s Anchors,
        opts: &Options,
    ) -> Self {
        let mut paired_src = vec![false; src.convs.len()];
        for p in anchors.pair_d.iter().flatten() {
            if let Some(x) = paired_src.get_mut(p.src_conv as usize) {
                *x = true;
            }
        }
        let mut flow_s = vec![NONE; src.len()];
        let mut ka: Vec<(u64, u32)> = Vec::new();
        for (i, f) in src.fps.iter().enumerate() {
            let i = i as u32;
            if let (Some((c, d)), Some(x)) = (src.conv_of(i), flow_s.get_mut(i as usize)) {
                *x = c * 2 + d;
            }
            if f.is_byte_unit() {
                continue;
            }
            let k = match src.conv_of(i).filter(|_| f.has_ports()) {
                Some((c, dir)) if paired_src.get(c as usize) == Some(&true) => {
                    flow_key(&content, c | (dir << 31), f, f.seq, f.ack, !f.is_tcp())
                }
                _ => anchor_key(&content, f),
            };
            ka.push((k, i));
        }
        let mut flow_d = vec![NONE; dst.len()];
        let mut kb: Vec<(u64, u32)> = Vec::new();
        for (j, f) in dst.fps.iter().enumerate() {
            let j = j as u32;
            let mapped = anchors.map_dst(dst, j);
            if let (Some((fl, _, _)), Some(x)) = (mapped, flow_d.get_mut(j as usize)) {
                *x = fl;
            }
            if f.is_byte_unit() {
                continue;
            }
            let k = match mapped.filter(|_| f.has_ports()) {
                Some((fl, seq, ack)) => {
                    let conv = (fl / 2) | ((fl % 2) << 31);
                    flow_key(&content, conv, f, seq, ack, !f.is_tcp())
                }
                None => anchor_key(&content, f),
            };
            kb.push((k, j));
        }
        sort::keys(&mut ka);
        sort::keys(&mut kb);
        PacketMatcher {
            src,
            dst,
            content,
            anchors,
            window: opts.max_delay_ns.unsigned_abs(),
            dup_window: opts.dup_window_ns.unsigned_abs(),
            ka,
            kb,
            multi: Vec::new(),
            flow_s,
            flow_d,
            dp: Vec::new(),
            cm: Vec::new(),
            cands: Vec::new(),
        }
    }

    /// Source flow of a source packet.
    pub fn flow_s(&self, s: u32) -> u32 {
        self.flow_s.get(s as usize).copied().unwrap_or(NONE)
    }

    /// Source flow of a target packet (through the conversation map).
    pub fn flow_d(&self, d: u32) -> u32 {
        self.flow_d.get(d as usize).copied().unwrap_or(NONE)
    }

    /// Phase 1: keys seen once on each side. Pushes (flow, source packet, sample).
    pub fn phase1(&mut self, p: &mut Pairing, samples: &mut Vec<(u32, u32, Sample)>) {
        let mut unique: Vec<u64> = Vec::new();
        let mut multi = Vec::new();
        let (ka, kb) = (&self.ka, &self.kb);
        join(ka, kb, |a, b| match (a, b) {
            ([(_, s)], [(_, d)]) => unique.push(u64::from(*s) << 32 | u64::from(*d)),
            _ => multi.push(range_of(ka, a, kb, b)),
        });
        self.multi = multi;
        sort::values(&mut unique);
        for (s, d) in unique.into_iter().map(|p| ((p >> 32) as u32, p as u32)) {
            let (Some(a), Some(b)) = (self.src.fp(s), self.dst.fp(d)) else {
                continue;
            };
            let flow = self.flow_s(s);
            let exp = self.anchors.flow_raw(flow);
            let r = b.ts_ns.saturating_sub(a.ts_ns);
            if r.saturating_sub(exp).unsigned_abs() <= self.window {
                p.pair(s, d);
                samples.push((flow, s, Sample::of(a, b)));
            }
        }
    }

    /// (flow, source packet) of the packets phase 2 will guide.
    pub fn needy(&self) -> Vec<(u32, u32)> {
        let mut v = Vec::new();
        for &(a0, a1, _, _) in &self.multi {
            for &(_, s) in self.ka.get(a0..a1).unwrap_or(&[]) {
                v.push((self.flow_s(s), s));
            }
        }
        v
    }

    /// The misfit of a candidate pair (`None`: cannot be the twin).
    fn cost(&self, s: u32, d: u32, g: &Guide, check_ttl: bool) -> Option<u64> {
        let (fs, fd) = (self.src.fp(s)?, self.dst.fp(d)?);
        let r = fd
            .ts_ns
            .saturating_sub(fs.ts_ns)
            .saturating_sub(g.delay)
            .unsigned_abs();
        if r > g.tol {
            return None;
        }
        let delta = i16::from(fs.ttl) - i16::from(fd.ttl);
        if check_ttl && g.ttl_delta.is_some_and(|u| u != delta) {
            return None;
        }
        let mut c = r;
        // NAT rewrites one end's port, not both (this matters only for packets of
        // conversations that were not paired, keyed without ports).
        if fs.has_ports() && fd.has_ports() {
            match (fs.src_port == fd.src_port, fs.dst_port == fd.dst_port) {
                (false, false) => return None,
                (true, false) | (false, true) => c = c.saturating_add(self.window / 8),
                (true, true) => {}
            }
        }
        c = c.saturating_add(identity_penalty(&self.content, fs, fd, g.tol, true)?);
        Some(c)
    }

    /// What the matcher compares (updated once the unambiguous pairs are known).
    pub fn set_content(&mut self, c: Content) {
        self.content = c;
    }

    /// Phase 2 on level A, then level B, then copies.
    pub fn phase2(&mut self, p: &mut Pairing, guides: &Guides, sender: SenderOf<'_>) {
        let multi = std::mem::take(&mut self.multi);
        for &(a0, a1, b0, b1) in &multi {
            let ss: Vec<u32> = self
                .ka
                .get(a0..a1)
                .unwrap_or(&[])
                .iter()
                .map(|x| x.1)
                .collect();
            let ds: Vec<u32> = self
                .kb
                .get(b0..b1)
                .unwrap_or(&[])
                .iter()
                .map(|x| x.1)
                .collect();
            self.run(p, guides, &ss, &ds);
        }
        self.multi = multi;
        self.level_b(p, guides);
        self.copies(p, sender);
    }

    /// Aligns one run of equal keys: `ss`, `ds` in file order.
    fn run(&mut self, p: &mut Pairing, guides: &Guides, ss: &[u32], ds: &[u32]) {
        let mut rs: Vec<u32> = ss.iter().copied().filter(|&s| p.free_s(s)).collect();
        let mut rd: Vec<u32> = ds.iter().copied().filter(|&d| p.free_d(d)).collect();
        if rs.is_empty() || rd.is_empty() {
            return;
        }
        if self.content.ids_kept && rs.len() > 1 {
            self.by_identity(p, guides, &mut rs, &mut rd);
            if rs.is_empty() || rd.is_empty() {
                return;
            }
        }
        let gs: Vec<Guide> = rs
            .iter()
            .map(|&s| {
                let f = self.src.fp(s).copied().unwrap_or_default();
                guides.guide(self.flow_s(s), &f)
            })
            .collect();
        let skip = self.window.saturating_add(1);
        let mut chosen: Vec<(u32, u32)> = Vec::new();
        if rs.len().saturating_mul(rd.len()) <= DP_MAX {
            let (mut dp, mut cm) = (std::mem::take(&mut self.dp), std::mem::take(&mut self.cm));
            align(
                rs.len(),
                rd.len(),
                skip,
                |i, j| {
                    let (s, d, g) = (*rs.get(i)?, *rd.get(j)?, gs.get(i)?);
                    self.cost(s, d, g, true)
                },
                &mut dp,
                &mut cm,
                |i, j| {
                    if let (Some(&s), Some(&d)) = (rs.get(i), rd.get(j)) {
                        chosen.push((s, d));
                    }
                },
            );
            self.dp = dp;
            self.cm = cm;
        } else {
            let mut order = rd.clone();
            let dst = self.dst;
            order.sort_unstable_by_key(|&d| (dst.fp(d).map_or(0, |f| f.ts_ns), d));
            let mut cands = std::mem::take(&mut self.cands);
            nearest_fit(
                rs.len(),
                order.len(),
                |i| {
                    let t = rs
                        .get(i)
                        .and_then(|&s| self.src.fp(s))
                        .map_or(0, |f| f.ts_ns);
                    t.saturating_add(gs.get(i).map_or(0, |g| g.delay))
                },
                |j| order.get(j).and_then(|&d| dst.fp(d)).map_or(0, |f| f.ts_ns),
                |i, j| {
                    let (s, d, g) = (*rs.get(i)?, *order.get(j)?, gs.get(i)?);
                    self.cost(s, d, g, true)
                },
                &mut cands,
                |i, j| {
                    if let (Some(&s), Some(&d)) = (rs.get(i), order.get(j)) {
                        chosen.push((s, d));
                    }
                },
            );
            self.cands = cands;
        }
        for (s, d) in chosen {
            p.pair(s, d);
        }
    }

    /// Where the path keeps IPv4 IDs, a packet of a run whose ID is unique in the run on both
    /// sides pairs with that twin before the alignment, wherever it arrived: the alignment
    /// keeps order, so a run of identical ACKs one of which the path held back would otherwise
    /// leave that one and its late twin over (a "lost" and an "extra" for one late packet).
    /// IDs seen twice on a side (copies, stacks that send 0) are left to the alignment.
    fn by_identity(&self, p: &mut Pairing, guides: &Guides, rs: &mut Vec<u32>, rd: &mut Vec<u32>) {
        let ids = |side: &Side, v: &[u32]| {
            let mut k: Vec<(u64, u32)> = v
                .iter()
                .filter_map(|&i| {
                    let f = side.fp(i)?;
                    (f.family() == bits::FAMILY_V4 && f.ident != 0)
                        .then_some((u64::from(f.ident), i))
                })
                .collect();
            sort::keys(&mut k);
            k
        };
        let (ka, kb) = (ids(self.src, rs), ids(self.dst, rd));
        let mut found: Vec<(u32, u32)> = Vec::new();
        join(&ka, &kb, |a, b| {
            if let ([(_, s)], [(_, d)]) = (a, b) {
                found.push((*s, *d));
            }
        });
        if found.is_empty() {
            return;
        }
        let mut taken = false;
        for (s, d) in found {
            let f = self.src.fp(s).copied().unwrap_or_default();
            // Key and ID both unique in the run: as strong as a phase-1 pair, so the same
            // delay window applies (a packet held back 30 ms on a path with 10 µs jitter
            // is late, not lost).
            let g = Guide {
                tol: self.window,
                ..guides.guide(self.flow_s(s), &f)
            };
            if self.cost(s, d, &g, true).is_some() {
                p.pair(s, d);
                taken = true;
            }
        }
        if taken {
            rs.retain(|&s| p.free_s(s));
            rd.retain(|&d| p.free_d(d));
        }
    }

    /// Datagrams left over on both sides, keyed without their IP ID.
    fn level_b(&mut self, p: &mut Pairing, guides: &Guides) {
        let key = |c: &Content, fl: u32, f: &Fingerprint| {
            flow_key(c, (fl / 2) | ((fl % 2) << 31), f, f.seq, f.ack, false)
        };
        let mut ka: Vec<(u64, u32)> = Vec::new();
        for &(_, s) in &self.ka {
            let Some(f) = self.src.fp(s) else { continue };
            let fl = self.flow_s(s);
            if f.is_tcp() || !p.free_s(s) || fl == NONE || !f.has_ports() {
                continue;
            }
            ka.push((key(&self.content, fl, f), s));
        }
        if ka.is_empty() {
            return;
        }
        let mut kb: Vec<(u64, u32)> = Vec::new();
        for &(_, d) in &self.kb {
            let Some(f) = self.dst.fp(d) else { continue };
            let fl = self.flow_d(d);
            if f.is_tcp() || !p.free_d(d) || fl == NONE || !f.has_ports() {
                continue;
            }
            kb.push((key(&self.content, fl, f), d));
        }
        sort::keys(&mut ka);
        sort::keys(&mut kb);
        let mut runs: Vec<(Vec<u32>, Vec<u32>)> = Vec::new();
        join(&ka, &kb, |a, b| {
            runs.push((
                a.iter().map(|x| x.1).collect(),
                b.iter().map(|x| x.1).collect(),
            ));
        });
        for (ss, ds) in runs {
            self.run(p, guides, &ss, &ds);
        }
    }

    /// Copies: within each side's runs of equal level-A keys, a packet left over that has
    /// the IP ID of a matched one close in time copies it. On the receiving side the
    /// earliest copy becomes the twin.
    fn copies(&mut self, p: &mut Pairing, sender: SenderOf<'_>) {
        const MAX_NEIGHBOURS: usize = 64;
        for side_src in [true, false] {
            let keys = if side_src { &self.ka } else { &self.kb };
            let side = if side_src { self.src } else { self.dst };
            let paired = |p: &Pairing, i: u32| {
                if side_src {
                    !p.free_s(i)
                } else {
                    !p.free_d(i)
                }
            };
            for run in keys.chunk_by(|x, y| x.0 == y.0) {
                if run.len() < 2 {
                    continue;
                }
                let mut order: Vec<u32> = run.iter().map(|x| x.1).collect();
                if !order.iter().any(|&i| paired(p, i)) || order.iter().all(|&i| paired(p, i)) {
                    continue;
                }
                order.sort_unstable_by_key(|&i| (side.fp(i).map_or(0, |f| f.ts_ns), i));
                for k in 0..order.len() {
                    let Some(&x) = order.get(k) else { continue };
                    if paired(p, x) {
                        continue;
                    }
                    let Some(fx) = side.fp(x) else { continue };
                    let window = if fx.ident == 0 {
                        self.dup_window / 10
                    } else {
                        self.dup_window
                    };
                    let near = (1..=MAX_NEIGHBOURS)
                        .flat_map(|o| [k.checked_sub(o), k.checked_add(o)])
                        .flatten()
                        .filter_map(|i| order.get(i).copied());
                    let mut copy_of = None;
                    for y in near {
                        let same = side.fp(y).is_some_and(|fy| {
                            fy.ident == fx.ident
                                && low_port(fy) == low_port(fx)
                                && fy.ts_ns.saturating_sub(fx.ts_ns).unsigned_abs() <= window
                        });
                        if same && paired(p, y) {
                            copy_of = Some(y);
                            break;
                        }
                    }
                    let Some(y) = copy_of else { continue };
                    let flow = if side_src {
                        self.flow_s(x)
                    } else {
                        self.flow_d(x)
                    };
                    // The receiving side: the one that did not send the flow.
                    let receiving = match sender(flow) {
                        Some(sent_at_src) => sent_at_src != side_src,
                        None => !side_src,
                    };
                    let earlier = fx.ts_ns < side.fp(y).map_or(0, |f| f.ts_ns);
                    let (dup, orig) = if receiving && earlier { (y, x) } else { (x, y) };
                    if dup != x {
                        // The earlier copy takes the twin; the later one is the copy.
                        if side_src {
                            let t = p.twin_s.get(y as usize).copied().unwrap_or(0);
                            if let Some(v) = p.twin_s.get_mut(y as usize) {
                                *v = 0;
                            }
                            if let Some(t) = t.checked_sub(1) {
                                p.pair(x, t);
                            }
                        } else {
                            let t = p.twin_d.get(y as usize).copied().unwrap_or(0);
                            if let Some(v) = p.twin_d.get_mut(y as usize) {
                                *v = 0;
                            }
                            if let Some(t) = t.checked_sub(1) {
                                p.pair(t, x);
                            }
                        }
                    }
                    let copies = if side_src {
                        &mut p.copy_s
                    } else {
                        &mut p.copy_d
                    };
                    if let Some(v) = copies.get_mut(dup as usize) {
                        *v = orig + 1;
                    }
                    if dup != x {
                        // Copies pointing at the old original now point at the new one.
                        for &z in &order {
                            if z != dup && copies.get(z as usize) == Some(&(dup + 1)) {
                                if let Some(v) = copies.get_mut(z as usize) {
                                    *v = orig + 1;
                                }
                            }
                        }
                        if let Some(v) = copies.get_mut(orig as usize) {
                            *v = 0;
                        }
                    }
                }
            }
        }
    }
}

/// The lower of a packet's two ports (the one NAT usually leaves alone).
fn low_port(f: &Fingerprint) -> u16 {
    f.src_port.min(f.dst_port)
}

/// Extra cost of a pair whose identity fields disagree: a different IPv4 ID (when both
/// packets start at the same byte, `aligned`) or a different TCP time stamp. When the path
/// is known to keep them, such a pair cannot be (`None`): they are different transmissions
/// (a retransmission and the original, or two look-alike datagrams).
pub(crate) fn identity_penalty(
    content: &Content,
    a: &Fingerprint,
    b: &Fingerprint,
    tol: u64,
    aligned: bool,
) -> Option<u64> {
    let mut c = 0u64;
    let v4 = a.family() == bits::FAMILY_V4 && b.family() == bits::FAMILY_V4;
    if aligned && v4 && a.ident != b.ident {
        if content.ids_kept {
            return None;
        }
        c = c.saturating_add(tol / 2);
    }
    if content.ts_comparable(a, b) && a.tsval != b.tsval {
        if content.ts_kept {
            return None;
        }
        c = c.saturating_add(tol / 2);
    }
    Some(c)
}
