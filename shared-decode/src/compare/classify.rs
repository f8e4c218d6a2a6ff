//! From pairs to a [`Report`]: which capture sent every packet, a status relative to its
//! sender, delays, reordering, modified fields, byte accounting per flow, the NAT table and
//! the counts.
//!
//! The pipeline: conversations and anchors (NAT map, ISN offsets, coarse offset) → phase 1
//! of the packet matcher and pass 1 of the byte matcher (unambiguous pairs) → guides and a
//! first estimate of which capture sends each flow → phase 2 / pass 2 (runs of copies,
//! knowing which side receives) → the clock from every pair → statuses.
//!
//! A packet is *sent at* the capture it passes first: per flow, from the clock-corrected
//! delays of its pairs (the reverse direction's sender is the other side); for flows without
//! pairs, from where its hosts are (the sides other packets place them on) and, failing
//! that, from its TTL (a packet leaving its host's capture carries an initial TTL).
//!
//! Statuses of packets without a twin, in this order:
//! - [`Status::NotForwarded`] when they cannot cross between the capture points: not IP;
//!   link-local, multicast, loopback or unspecified addresses; both ends on the capture's own
//!   side of a router; or a TTL that the routers between the captures use up;
//! - [`Status::OutsideOverlap`] when the other capture was not running when the twin would
//!   have passed it (using the extremes of the observed delays, so only clear cases);
//! - at the sender: [`Status::Lost`] (or [`Status::PartlyLost`] when some of its bytes
//!   arrived), unless the receiver acknowledged bytes the receiving capture never saw, or
//!   that capture's drop counters account for it: [`Status::CaptureDrop`];
//! - at the receiver: [`Status::Duplicated`] when it copies a packet (or bytes) that arrived,
//!   else [`Status::CaptureDrop`] when the sending side's capture counts drops that account
//!   for it, else [`Status::Extra`].
//!
//! Drop counters are a budget: when a capture dropped K packets and more than K packets are
//! missing from it, the K missing at its busiest moments (most packets around the expected
//! time) are the capture's; the rest is the network's.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::anchor::{self, Anchors};
use super::bytes::{ByteMatch, ByteMatcher, ByteStat};
use super::clock::{self, Sample as ClockSample};
use super::config::Options;
use super::guide::Guides;
use super::key::{bits, more, tcp_flags, Fingerprint};
use super::packets::{PacketMatcher, Pairing};
use super::report::{
    ClockMethod, Counts, Direction, FlowBytes, NatEndpoint, NatEntry, Percentiles, Report,
    Segmentation, SideInfo, Status,
};
use super::side::{Content, Side, NONE};
use crate::flow::TableState;
use std::collections::{HashMap, HashSet};

/// TTLs operating systems start with: a packet carrying one has not crossed a router.
const INITIAL_TTLS: [u8; 4] = [32, 64, 128, 255];

/// Addresses that are never routed: link-local, multicast, loopback, unspecified, broadcast.
pub(crate) fn is_local_addr(a: &[u8; 16], v6: bool) -> bool {
    if v6 {
        let (x, y) = (a[0], a[1]);
        (x == 0xfe && y & 0xc0 == 0x80) || x == 0xff || *a == [0; 16] || {
            let mut lo = [0u8; 16];
            lo[15] = 1;
            *a == lo
        }
    } else {
        let [p, q, r, s] = [a[12], a[13], a[14], a[15]];
        (p == 169 && q == 254)
            || (224..=239).contains(&p)
            || p == 127
            || p == 0
            || [p, q, r, s] == [255; 4]
    }
}

fn v6(f: &Fingerprint) -> bool {
    f.family() == bits::FAMILY_V6
}

/// Names of the fields compared between a packet and its twin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fld {
    Src,
    Dst,
    SrcPort,
    DstPort,
    Ttl,
    Dscp,
    Ecn,
    Ident,
    Df,
    Seq,
    Ack,
    Window,
    Mss,
    Options,
}

const N_FLD: usize = 14;
const ALL_FLD: [Fld; N_FLD] = [
    Fld::Src,
    Fld::Dst,
    Fld::SrcPort,
    Fld::DstPort,
    Fld::Ttl,
    Fld::Dscp,
    Fld::Ecn,
    Fld::Ident,
    Fld::Df,
    Fld::Seq,
    Fld::Ack,
    Fld::Window,
    Fld::Mss,
    Fld::Options,
];
/// Name variants per field: IPv4/IPv6 × TCP/UDP/other.
const VARIANTS: usize = 6;

fn variant(fp: &Fingerprint) -> usize {
    let l4 = if fp.is_tcp() {
        0
    } else if fp.proto == 17 {
        1
    } else {
        2
    };
    usize::from(v6(fp)) * 3 + l4
}

fn fld_name(f: Fld, variant: usize) -> &'static str {
    let v6 = variant >= 3;
    let l4 = variant % 3;
    match f {
        Fld::Src => {
            if v6 {
                "ipv6.src"
            } else {
                "ip.src"
            }
        }
        Fld::Dst => {
            if v6 {
                "ipv6.dst"
            } else {
                "ip.dst"
            }
        }
        Fld::SrcPort | Fld::DstPort => match (l4, f == Fld::SrcPort, v6) {
            (0, true, _) => "tcp.srcport",
            (0, false, _) => "tcp.dstport",
            (1, true, _) => "udp.srcport",
            (1, false, _) => "udp.dstport",
            (_, _, true) => "icmpv6.echo.identifier",
            (_, _, false) => "icmp.ident",
        },
        Fld::Ttl => {
            if v6 {
                "ipv6.hlim"
            } else {
                "ip.ttl"
            }
        }
        Fld::Dscp => {
            if v6 {
                "ipv6.tclass.dscp"
            } else {
                "ip.dsfield.dscp"
            }
        }
        Fld::Ecn => {
            if v6 {
                "ipv6.tclass.ecn"
            } else {
                "ip.dsfield.ecn"
            }
        }
        Fld::Ident => {
            if v6 {
                "ipv6.flow"
            } else {
                "ip.id"
            }
        }
        Fld::Df => "ip.flags.df",
        Fld::Seq => "tcp.seq_raw",
        Fld::Ack => "tcp.ack_raw",
        Fld::Window => "tcp.window_size_value",
        Fld::Mss => "tcp.options.mss_val",
        Fld::Options => "tcp.options",
    }
}

/// Fields that differ, and whether any differs beyond what the flow's path always does.
fn differences(
    a: &Fingerprint,
    b: &Fingerprint,
    ttl_mode: Option<i16>,
    aligned: bool,
    out: &mut Vec<Fld>,
) -> bool {
    out.clear();
    let mut unexpected = false;
    if a.src != b.src {
        out.push(Fld::Src);
    }
    if a.dst != b.dst {
        out.push(Fld::Dst);
    }
    if a.src_port != b.src_port {
        out.push(Fld::SrcPort);
    }
    if a.dst_port != b.dst_port {
        out.push(Fld::DstPort);
    }
    if a.ttl != b.ttl {
        out.push(Fld::Ttl);
    }
    let delta = i16::from(a.ttl) - i16::from(b.ttl);
    if ttl_mode.is_some_and(|m| m != delta) {
        unexpected = true;
    }
    let mut un = |c: bool, f: Fld, out: &mut Vec<Fld>| {
        if c {
            out.push(f);
            unexpected = true;
        }
    };
    un(a.tos >> 2 != b.tos >> 2, Fld::Dscp, out);
    un(a.tos & 3 != b.tos & 3, Fld::Ecn, out);
    // Copies cut differently (offload, re-segmentation) carry different IP IDs and
    // sequence numbers by construction: compared only when they start at the same byte.
    un(aligned && a.ident != b.ident, Fld::Ident, out);
    un((a.bits ^ b.bits) & bits::DF != 0, Fld::Df, out);
    if a.is_tcp() && b.is_tcp() {
        if aligned && a.seq != b.seq {
            out.push(Fld::Seq);
        }
        if a.ack != b.ack {
            out.push(Fld::Ack);
        }
        un(a.window != b.window, Fld::Window, out);
        // Options a snap length cut on either side are not compared.
        if (a.more | b.more) & more::OPTS_CUT == 0 {
            un(a.mss != b.mss, Fld::Mss, out);
            un(a.opt_digest != b.opt_digest, Fld::Options, out);
        }
    }
    unexpected
}

/// What a host does, as far as the classification cares.
#[derive(Clone, Copy, Debug, Default)]
struct Habit {
    /// Sends at least one packet with an initial TTL at this capture: it is on this side of
    /// the routers (a far host's packets arrive with fewer hops left; a near host may lower
    /// its own TTL, as traceroute does).
    near: bool,
    /// Usual TTL change between the captures of the packets it sends (majority vote).
    hop: (i16, u32),
    /// Some packet it sent was seen at both captures.
    crossed: bool,
}

/// One step of the Boyer–Moore majority vote.
fn majority(slot: &mut (i16, u32), v: i16) {
    if slot.1 == 0 {
        *slot = (v, 1);
    } else if slot.0 == v {
        slot.1 += 1;
    } else {
        slot.1 -= 1;
    }
}

fn near(m: &HashMap<[u8; 16], Habit, TableState>, a: &[u8; 16]) -> bool {
    m.get(a).is_some_and(|h| h.near)
}

/// The TTL a sender's packets lose between the captures: its own habit, else (for a host on
/// this side without pairs) the usual one.
fn hop_of(m: &HashMap<[u8; 16], Habit, TableState>, a: &[u8; 16], default: i16) -> i16 {
    match m.get(a) {
        Some(h) if h.hop.1 > 0 => h.hop.0,
        Some(h) if h.near => default,
        _ => 0,
    }
}

/// Facts the diagnosis uses besides the report.
pub(crate) struct Extra {
    /// Most common TTL change between the captures.
    pub hops_between: i16,
    /// Per capture: lost packets missing from it whose data the receiver acknowledged.
    pub drop_acked: [u64; 2],
}

/// TCP payload longer than an Ethernet MTU allows: a super-segment (TSO/GSO/GRO/LRO).
const MTU_PAYLOAD: u16 = 1460;
/// Half-width of the window in which a capture's packet density is measured (ns).
const DENSITY_NS: i64 = 1_000_000;

fn sign_dir(sent_at_src: bool) -> Direction {
    if sent_at_src {
        Direction::SourceToTarget
    } else {
        Direction::TargetToSource
    }
}

/// Per-flow directions from pairs (conversation * 2 + direction; the last slot: no flow).
fn flow_dirs(
    samples: &mut [ClockSample],
    n_flows: usize,
    ref_ns: i64,
    opts: &Options,
) -> (super::report::ClockEstimate, Vec<Direction>) {
    let cr = clock::estimate(samples, n_flows + 1, ref_ns, opts);
    let mut dirs = cr.flow_dir;
    dirs.truncate(n_flows);
    // A direction without pairs is the reverse of its conversation's other direction.
    for f in 0..n_flows {
        if dirs.get(f) == Some(&Direction::Unknown) {
            let rev = match dirs.get(f ^ 1) {
                Some(Direction::SourceToTarget) => Direction::TargetToSource,
                Some(Direction::TargetToSource) => Direction::SourceToTarget,
                _ => Direction::Unknown,
            };
            if let Some(x) = dirs.get_mut(f) {
                *x = rev;
            }
        }
    }
    (cr.clock, dirs)
}

/// Where hosts are, as each capture names them: on the source side or the target side.
#[derive(Default)]
struct Hosts {
    /// [capture][side of the path]: addresses.
    at: [[HashSet<[u8; 16], TableState>; 2]; 2],
}

impl Hosts {
    fn learn(&mut self, cap: usize, f: &Fingerprint, dir: Direction) {
        if !f.is_ip() {
            return;
        }
        let (snd, rcv) = match dir {
            Direction::SourceToTarget => (0, 1),
            Direction::TargetToSource => (1, 0),
            Direction::Unknown => return,
        };
        if let Some(sides) = self.at.get_mut(cap) {
            if let Some(s) = sides.get_mut(snd) {
                s.insert(f.src);
            }
            if let Some(s) = sides.get_mut(rcv) {
                s.insert(f.dst);
            }
        }
    }

    fn has(&self, cap: usize, side: usize, a: &[u8; 16]) -> bool {
        self.at
            .get(cap)
            .and_then(|x| x.get(side))
            .is_some_and(|s| s.contains(a))
    }

    /// The sender of a packet of no known flow seen at capture `cap` (0 source, 1 target).
    fn infer(&self, cap: usize, f: &Fingerprint) -> Direction {
        let here = cap;
        let there = 1 - cap;
        let sent_here = if !f.is_ip() || self.has(cap, here, &f.src) || self.has(cap, there, &f.dst)
        {
            true
        } else if self.has(cap, there, &f.src) || self.has(cap, here, &f.dst) {
            false
        } else {
            INITIAL_TTLS.contains(&f.ttl)
        };
        sign_dir(sent_here == (cap == 0))
    }
}

/// Builds the report (all but the diagnosis).
pub(crate) fn build(
    src_fps: &[Fingerprint],
    dst_fps: &[Fingerprint],
    src_info: &SideInfo,
    dst_info: &SideInfo,
    opts: &Options,
) -> (Report, Extra) {
    let ns = src_fps.len();
    let nd = dst_fps.len();
    let src = Side::new(src_fps);
    let dst = Side::new(dst_fps);
    let mut content = Content::decide(src_fps, dst_fps);
    let anchors = anchor::run(&src, &dst, &content, opts);
    let n_flows = src.convs.len() * 2;
    let window = opts.max_delay_ns.unsigned_abs();
    let ref_ns = src_info
        .first_ns
        .or_else(|| src_fps.iter().map(|f| f.ts_ns).min())
        .unwrap_or(0);

    // Matching.
    let mut p = Pairing::new(ns, nd);
    let bytes: ByteMatch;
    {
        let mut pm = PacketMatcher::new(&src, &dst, content, &anchors, opts);
        let mut bm = ByteMatcher::new(&src, &dst, content, &anchors, window);
        let mut samples = Vec::new();
        pm.phase1(&mut p, &mut samples);
        bm.pass1(&mut p, &mut samples);
        let mut needy = pm.needy();
        needy.extend(bm.needy());
        let guides = Guides::build(
            &samples,
            n_flows,
            &anchors,
            window,
            src_fps,
            needy.into_iter(),
        );
        // Which way each flow goes needs a few pairs per flow, not all of them: at most
        // DIR_SAMPLES per flow, spread over the flow.
        const DIR_SAMPLES: u32 = 64;
        let mut per_flow = vec![0u32; n_flows + 1];
        for &(flow, _, _) in &samples {
            if let Some(x) = per_flow.get_mut(if flow == NONE { n_flows } else { flow as usize }) {
                *x += 1;
            }
        }
        let mut seen = vec![0u32; n_flows + 1];
        let mut cs: Vec<ClockSample> = Vec::new();
        for &(flow, s, x) in &samples {
            let k = if flow == NONE { n_flows } else { flow as usize };
            let (Some(n), Some(c)) = (per_flow.get(k).copied(), seen.get_mut(k)) else {
                continue;
            };
            let step = n.div_ceil(DIR_SAMPLES).max(1);
            *c += 1;
            if (*c - 1) % step != 0 {
                continue;
            }
            if let Some(a) = src_fps.get(s as usize) {
                cs.push(ClockSample {
                    s_ts: a.ts_ns,
                    r: x.r,
                    flow: k as u32,
                    hop: x.ttl_delta.signum() as i8,
                });
            }
        }
        let (_, dirs1) = flow_dirs(&mut cs, n_flows, ref_ns, opts);
        let sender1 = |flow: u32| -> Option<bool> {
            match dirs1.get(flow as usize) {
                Some(Direction::SourceToTarget) => Some(true),
                Some(Direction::TargetToSource) => Some(false),
                _ => None,
            }
        };
        content.learn_identity(p.twin_s.iter().enumerate().filter_map(|(i, &t)| {
            Some((src_fps.get(i)?, dst_fps.get(t.checked_sub(1)? as usize)?))
        }));
        pm.set_content(content);
        bm.set_content(content);
        pm.phase2(&mut p, &guides, &sender1);
        bm.pass2(&mut p, &guides, &sender1);
        bytes = bm.finish();
    }
    let flow_s = |i: u32| src.flow_of(i).unwrap_or(NONE);
    let flows_d: Vec<u32> = (0..nd as u32)
        .map(|j| anchors.map_dst(&dst, j).map_or(NONE, |x| x.0))
        .collect();
    let flow_d = |j: u32| flows_d.get(j as usize).copied().unwrap_or(NONE);

    // One pass over the pairs: the clock samples, and the TTL changes per flow, overall
    // and of the first pair of each flow (for what cannot cross, below).
    let n_slots = n_flows + 1;
    let slot = |f: u32| if f == NONE { n_flows } else { f as usize };
    let mut hop_f: Vec<(i16, u32)> = vec![(0, 0); n_slots];
    let mut first_pair: Vec<u32> = vec![NONE; n_slots];
    let mut no_flow_pairs: Vec<(u32, u32)> = Vec::new();
    let mut hop_abs = [0u64; 256];
    let mut hop_pos = [0u64; 256];
    let mut cs: Vec<ClockSample> = Vec::with_capacity(ns.min(nd));
    for (i, &t) in p.twin_s.iter().enumerate() {
        let Some(j) = t.checked_sub(1) else { continue };
        let (Some(a), Some(b)) = (src_fps.get(i), dst_fps.get(j as usize)) else {
            continue;
        };
        let f = flow_s(i as u32);
        cs.push(ClockSample {
            s_ts: a.ts_ns,
            r: b.ts_ns.saturating_sub(a.ts_ns),
            flow: if f == NONE { n_flows as u32 } else { f },
            hop: if a.is_ip() && b.is_ip() {
                (i16::from(a.ttl) - i16::from(b.ttl)).signum() as i8
            } else {
                0
            },
        });
        if !(a.is_ip() && b.is_ip()) {
            continue;
        }
        let delta = i16::from(a.ttl) - i16::from(b.ttl);
        if let Some(x) = hop_f.get_mut(slot(f)) {
            majority(x, delta);
        }
        if let Some(x) = hop_abs.get_mut(delta.unsigned_abs() as usize) {
            *x += 1;
        }
        if let Some(x) = hop_pos.get_mut(delta.unsigned_abs() as usize) {
            *x += u64::from(delta != 0);
        }
        if f == NONE {
            no_flow_pairs.push((i as u32, j));
        } else if let Some(x) = first_pair.get_mut(f as usize).filter(|x| **x == NONE) {
            *x = i as u32;
        }
    }
    let (clock, dirs) = flow_dirs(&mut cs, n_flows, ref_ns, opts);
    drop(cs);
    let raw = |i: usize, j: usize| -> Option<i64> {
        let (a, b) = (src_fps.get(i)?, dst_fps.get(j)?);
        Some(
            b.ts_ns
                .saturating_sub(a.ts_ns)
                .saturating_sub(clock.offset_at(a.ts_ns)),
        )
    };

    // Which capture sent each packet.
    let mut src_dir = vec![Direction::Unknown; ns];
    let mut dst_dir = vec![Direction::Unknown; nd];
    let mut hosts = Hosts::default();
    let by_flow = |f: u32| dirs.get(f as usize).copied().unwrap_or_default();
    // Hosts are learnt once per flow and side (and from every packet without a flow).
    let mut learnt = vec![0u8; n_flows];
    let mut learn = |hosts: &mut Hosts, cap: usize, flow: u32, f: &Fingerprint, d: Direction| {
        if d == Direction::Unknown {
            return;
        }
        if let Some(x) = learnt.get_mut(flow as usize) {
            if *x & (1 << cap) != 0 {
                return;
            }
            *x |= 1 << cap;
        }
        hosts.learn(cap, f, d);
    };
    for (i, f) in src_fps.iter().enumerate() {
        let flow = flow_s(i as u32);
        let mut d = by_flow(flow);
        if d == Direction::Unknown {
            if let Some(t) = p.twin_s.get(i).and_then(|t| t.checked_sub(1)) {
                d = sign_dir(raw(i, t as usize).unwrap_or(0) >= 0);
            }
        }
        if let Some(x) = src_dir.get_mut(i) {
            *x = d;
        }
        learn(&mut hosts, 0, flow, f, d);
    }
    for (j, f) in dst_fps.iter().enumerate() {
        let flow = flow_d(j as u32);
        let mut d = by_flow(flow);
        if d == Direction::Unknown {
            if let Some(t) = p.twin_d.get(j).and_then(|t| t.checked_sub(1)) {
                d = sign_dir(raw(t as usize, j).unwrap_or(0) >= 0);
            }
        }
        if let Some(x) = dst_dir.get_mut(j) {
            *x = d;
        }
        learn(&mut hosts, 1, flow, f, d);
    }
    for (i, f) in src_fps.iter().enumerate() {
        if let Some(x) = src_dir.get_mut(i).filter(|x| **x == Direction::Unknown) {
            *x = hosts.infer(0, f);
        }
    }
    for (j, f) in dst_fps.iter().enumerate() {
        if let Some(x) = dst_dir.get_mut(j).filter(|x| **x == Direction::Unknown) {
            *x = hosts.infer(1, f);
        }
    }
    drop(hosts);
    // A twin is one packet: both take the direction of the one with a flow.
    let sent_src = |side_src: bool, k: usize| -> bool {
        let d = if side_src {
            src_dir.get(k)
        } else {
            dst_dir.get(k)
        };
        d != Some(&Direction::TargetToSource)
    };

    let mut r = Report {
        src_status: vec![Status::Matched; ns],
        dst_status: vec![Status::Matched; nd],
        src_twin: vec![0; ns],
        dst_twin: vec![0; nd],
        delay_ns: vec![i64::MIN; ns],
        dst_delay_ns: vec![i64::MIN; nd],
        clock,
        src_info: src_info.clone(),
        dst_info: dst_info.clone(),
        compared_payload: content.head,
        snap_cut: content.cut,
        ..Report::default()
    };

    // One pass over every pair (a source packet and its twin, and every further arrival of
    // a split packet): delays (positive from the sender) and the range of signed delays per
    // direction; the arrivals for the reordering check; the fields that differ.
    let mut range = [[i64::MAX, i64::MIN]; 2];
    let mut per_dir: [Vec<i64>; 2] = [Vec::new(), Vec::new()];
    // (flow, arrival time, arrival index, arrival at source?, send index, first byte)
    let mut arr: Vec<(u32, i64, u32, bool, u32, u64)> = Vec::new();
    let mut fld_counts = [0u64; N_FLD * VARIANTS];
    let mut diffs = Vec::new();
    let mut seg = Segmentation {
        degraded_streams: bytes.degraded,
        ..Segmentation::default()
    };
    let mut modified_s = vec![false; ns];
    let mut modified_d = vec![false; nd];
    // Per side and direction: (time, signed corrected delay) of the packets with a twin,
    // only when a set has gaps (where a packet's twin would have been, from its neighbours').
    let gaps = !src_info.holes().is_empty() || !dst_info.holes().is_empty();
    let mut neighbours: [[Vec<(i64, i64)>; 2]; 2] = Default::default();
    for (side_src, twins) in [(true, &p.twin_s), (false, &p.twin_d)] {
        for (k, &t) in twins.iter().enumerate() {
            let Some(t) = t.checked_sub(1) else { continue };
            let (i, j) = if side_src {
                (k, t as usize)
            } else {
                (t as usize, k)
            };
            let (Some(fa), Some(fb)) = (src_fps.get(i), dst_fps.get(j)) else {
                continue;
            };
            let d = fb
                .ts_ns
                .saturating_sub(fa.ts_ns)
                .saturating_sub(clock.offset_at(fa.ts_ns));
            let s2t = sent_src(side_src, k);
            let pos = if s2t { d } else { d.saturating_neg() };
            if gaps {
                let own = if side_src { fa.ts_ns } else { fb.ts_ns };
                if let Some(v) = neighbours
                    .get_mut(usize::from(!side_src))
                    .and_then(|x| x.get_mut(usize::from(!s2t)))
                {
                    v.push((own, d));
                }
            }
            let cell = if side_src {
                r.delay_ns.get_mut(k)
            } else {
                r.dst_delay_ns.get_mut(k)
            };
            if let Some(x) = cell {
                *x = pos;
            }
            if let Some(rg) = range.get_mut(usize::from(!s2t)) {
                rg[0] = rg[0].min(d);
                rg[1] = rg[1].max(d);
            }
            // One delay sample and one arrival per packet of the receiving side.
            let receiving = side_src != s2t;
            if receiving {
                if !(fa.is_excluded() && fb.is_excluded()) {
                    if let Some(v) = per_dir.get_mut(usize::from(!s2t)) {
                        v.push(pos);
                    }
                }
                let flow = if side_src {
                    flow_s(k as u32)
                } else {
                    flow_d(k as u32)
                };
                if flow != NONE {
                    let me = if side_src { fa } else { fb };
                    let start = bytes.stat(side_src, k as u32).map_or(0, |b| b.start);
                    arr.push((flow, me.ts_ns, k as u32, side_src, t, start));
                }
            }
            // Each pair once: a source packet with its twin, and a target packet whose twin's
            // own twin is another packet (a piece of a split super-segment).
            let primary = side_src || p.twin_s.get(t as usize).copied() != Some(k as u32 + 1);
            if !primary {
                continue;
            }
            let (sa, sb) = (bytes.stat(true, i as u32), bytes.stat(false, j as u32));
            let aligned = match (sa, sb) {
                (Some(x), Some(y)) => x.start == y.start && x.total == y.total,
                _ => true,
            };
            if !aligned {
                if fa.payload_len > MTU_PAYLOAD || fb.payload_len > MTU_PAYLOAD {
                    seg.offload_pairs += 1;
                } else {
                    seg.resegmented += 1;
                }
            }
            let ttl_mode = hop_f
                .get(slot(flow_s(i as u32)))
                .filter(|x| x.1 > 0)
                .map(|x| x.0);
            let unexpected =
                fa.is_ip() && fb.is_ip() && differences(fa, fb, ttl_mode, aligned, &mut diffs);
            if !(fa.is_excluded() && fb.is_excluded()) {
                let v = variant(fa);
                for &f in &diffs {
                    if let Some(c) = fld_counts.get_mut(f as usize * VARIANTS + v) {
                        *c += 1;
                    }
                }
            }
            if unexpected {
                if let Some(x) = modified_s.get_mut(i) {
                    *x = true;
                }
                if let Some(x) = modified_d.get_mut(j) {
                    *x = true;
                }
            }
        }
    }
    let [mut v0, mut v1] = per_dir;
    r.delay_s2t = Percentiles::of(&mut v0);
    r.delay_t2s = Percentiles::of(&mut v1);
    let med_delay = [
        r.delay_s2t.map_or(0, |p| p.p50),
        r.delay_t2s.map_or(0, |p| p.p50),
    ];
    drop((v0, v1));

    // TTL habits: per flow (majority), overall, and of the hosts of packets without a twin
    // (what cannot cross between the captures).
    let mut interest: [HashMap<[u8; 16], Habit, TableState>; 2] =
        [HashMap::default(), HashMap::default()];
    for (side, (fps, twins)) in [(src_fps, &p.twin_s), (dst_fps, &p.twin_d)]
        .into_iter()
        .enumerate()
    {
        for (k, f) in fps.iter().enumerate() {
            if twins.get(k) == Some(&0) && f.is_ip() {
                if let Some(m) = interest.get_mut(side) {
                    m.entry(f.src).or_default();
                    m.entry(f.dst).or_default();
                }
            }
        }
    }
    // Pairs without a flow, one by one.
    for &(i, j) in &no_flow_pairs {
        let (Some(a), Some(b)) = (src_fps.get(i as usize), dst_fps.get(j as usize)) else {
            continue;
        };
        let delta = i16::from(a.ttl) - i16::from(b.ttl);
        let [is, id] = &mut interest;
        if let Some(h) = is.get_mut(&a.src) {
            majority(&mut h.hop, delta);
            h.crossed = true;
        }
        if let Some(h) = id.get_mut(&b.src) {
            majority(&mut h.hop, -delta);
            h.crossed = true;
        }
    }
    drop(no_flow_pairs);
    for (&i, &(mode, n)) in first_pair.iter().zip(&hop_f).take(n_flows) {
        if i == NONE || n == 0 {
            continue;
        }
        let j = p
            .twin_s
            .get(i as usize)
            .copied()
            .unwrap_or(0)
            .wrapping_sub(1);
        let (Some(a), Some(b)) = (src_fps.get(i as usize), dst_fps.get(j as usize)) else {
            continue;
        };
        let [is, id] = &mut interest;
        if let Some(h) = is.get_mut(&a.src) {
            majority(&mut h.hop, mode);
            h.crossed = true;
        }
        if let Some(h) = id.get_mut(&b.src) {
            majority(&mut h.hop, -mode);
            h.crossed = true;
        }
    }
    let argmax = |a: &[u64; 256]| -> i16 {
        let mut best = (0u64, 0i16);
        for (v, &n) in a.iter().enumerate() {
            if n > best.0 {
                best = (n, v as i16);
            }
        }
        best.1
    };
    let hops_between = argmax(&hop_abs);
    let def_hop = argmax(&hop_pos);
    for (side, fps) in [src_fps, dst_fps].into_iter().enumerate() {
        let Some(m) = interest.get_mut(side) else {
            continue;
        };
        if m.is_empty() {
            continue;
        }
        for f in fps {
            if INITIAL_TTLS.contains(&f.ttl) && f.is_ip() {
                if let Some(h) = m.get_mut(&f.src) {
                    h.near = true;
                }
            }
        }
    }
    let local = |f: &Fingerprint, side: &HashMap<[u8; 16], Habit, TableState>| -> bool {
        if !f.is_ip() {
            return true;
        }
        let six = v6(f);
        if is_local_addr(&f.src, six) || is_local_addr(&f.dst, six) {
            return true;
        }
        if hops_between >= 1 && near(side, &f.src) {
            // Both ends on this side of the routers; or an ICMP error from a box on this side
            // none of whose own packets crossed: a router on the path talking to this side
            // (a traceroute's first hop, say), not an end point whose answers got lost.
            let path_box =
                f.bits & bits::ICMP_ERROR != 0 && side.get(&f.src).is_some_and(|h| !h.crossed);
            if near(side, &f.dst) || path_box {
                return true;
            }
        }
        let hop = hop_of(side, &f.src, def_hop);
        hop >= 1 && i16::from(f.ttl) <= hop
    };

    // Outside the overlap: the other capture was not running when the twin would have
    // passed it.
    let span = |lo: Option<i64>, hi: Option<i64>| (lo.unwrap_or(i64::MIN), hi.unwrap_or(i64::MAX));
    let (ss, se) = span(src_info.span_start(), src_info.span_end());
    let (ds, de) = span(dst_info.span_start(), dst_info.span_end());
    let known = [
        src_info.span_start().is_some(),
        dst_info.span_start().is_some(),
    ];
    let class_range = |d: Direction| -> (i64, i64) {
        let [u, w] = range;
        let pick = match d {
            Direction::SourceToTarget => [u[0], u[1]],
            Direction::TargetToSource => [w[0], w[1]],
            Direction::Unknown => [u[0].min(w[0]), u[1].max(w[1])],
        };
        if pick[0] > pick[1] {
            if clock.method == ClockMethod::None {
                (0, 0)
            } else {
                (u[0].min(w[0]).min(0), u[1].max(w[1]).max(0))
            }
        } else {
            (pick[0], pick[1])
        }
    };
    // Holes of each side's set (between two of its files).
    let holes = [src_info.holes(), dst_info.holes()];
    // A twin's time is known to within the spread of the delays: a hole (a missing file) is
    // widened by it.
    let spread = [r.delay_s2t, r.delay_t2s]
        .iter()
        .flatten()
        .map(|p| p.p95.saturating_sub(p.p5) / 2)
        .max()
        .unwrap_or(0)
        .saturating_add(1_000_000);
    let in_hole = |side: usize, t: i64| {
        holes.get(side).is_some_and(|h| {
            h.iter()
                .any(|&(x, y)| t > x.saturating_sub(spread) && t < y.saturating_add(spread))
        })
    };
    for side in neighbours.iter_mut() {
        for v in side.iter_mut() {
            v.sort_unstable_by_key(|x| x.0);
        }
    }
    // The signed delay (target time minus source time, corrected) a packet's twin would have
    // had: that of its nearest neighbour in time with a twin (same side and direction), else
    // the direction's median — where in a hole of the other capture it would have been.
    let typical = |side_src: bool, f: &Fingerprint, d: Direction| -> i64 {
        let di = usize::from(d == Direction::TargetToSource);
        let v = neighbours
            .get(usize::from(!side_src))
            .and_then(|x| x.get(di))
            .map_or(&[][..], |v| v.as_slice());
        let k = v.partition_point(|x| x.0 < f.ts_ns);
        let best = [k.checked_sub(1), Some(k)]
            .into_iter()
            .flatten()
            .filter_map(|i| v.get(i))
            .min_by_key(|x| x.0.saturating_sub(f.ts_ns).unsigned_abs());
        match (best, d) {
            (Some(x), _) => x.1,
            (None, Direction::TargetToSource) => med_delay[1].saturating_neg(),
            (None, _) => med_delay[0],
        }
    };
    let outside = |side_src: bool, f: &Fingerprint, d: Direction| -> Option<Status> {
        let (lo, hi) = class_range(d);
        if side_src {
            // When the twin would have passed the target, on the target's clock.
            let at = f.ts_ns.saturating_add(clock.offset_at(f.ts_ns));
            let (a, b) = (at.saturating_add(lo), at.saturating_add(hi));
            if !known[1] || b < ds || a > de {
                Some(Status::OutsideOverlap)
            } else if in_hole(1, at.saturating_add(typical(true, f, d))) {
                Some(Status::CaptureGap)
            } else {
                None
            }
        } else {
            let at = f
                .ts_ns
                .saturating_sub(clock.offset_at(f.ts_ns.saturating_sub(clock.offset_ns)));
            let (a, b) = (at.saturating_sub(hi), at.saturating_sub(lo));
            if !known[0] || b < ss || a > se {
                Some(Status::OutsideOverlap)
            } else if in_hole(0, at.saturating_sub(typical(false, f, d))) {
                Some(Status::CaptureGap)
            } else {
                None
            }
        }
    };

    // Statuses of what did not cross whole.
    // Per capture: packets missing from it that its drop counters may account for:
    // (side of the packet is the other capture, index, expected time there, looks forged).
    let mut missing: [Vec<(u32, i64, u8)>; 2] = [Vec::new(), Vec::new()];
    let mut drop_acked = [0u64; 2];
    for side_src in [true, false] {
        let (fps, twins, copies) = if side_src {
            (src_fps, &p.twin_s, &p.copy_s)
        } else {
            (dst_fps, &p.twin_d, &p.copy_d)
        };
        let habits = interest.get(usize::from(!side_src));
        let side = usize::from(!side_src);
        for (k, f) in fps.iter().enumerate() {
            if f.is_tcp() {
                if f.payload_len > MTU_PAYLOAD {
                    if let Some(x) = seg.super_segments.get_mut(side) {
                        *x += 1;
                    }
                }
                if let Some(x) = seg.largest.get_mut(side) {
                    *x = (*x).max(u32::from(f.payload_len));
                }
            }
            let s2t = sent_src(side_src, k);
            let dir = sign_dir(s2t);
            let at_sender = side_src == s2t;
            let twin = twins.get(k).copied().unwrap_or(0);
            let bs: Option<&ByteStat> = bytes.stat(side_src, k as u32);
            let frame = k as u32 + 1;
            let mut st = Status::Matched;
            let crossed = match bs {
                Some(b) => b.matched > 0,
                None => twin != 0,
            };
            if crossed {
                if let (Some(b), true) = (bs, at_sender) {
                    // Bytes that never arrived from this packet (whether or not a
                    // retransmission delivered them later) — but for those the receiver
                    // acknowledged when its capture counts drops (that capture missed them).
                    let receiver_drops = if side_src { dst_info } else { src_info }
                        .dropped
                        .is_some_and(|n| n > 0);
                    let missed = if receiver_drops { b.acked } else { 0 };
                    let lost = b.total.saturating_sub(b.matched).saturating_sub(missed);
                    if lost > 0 {
                        st = Status::PartlyLost;
                        r.partial.push((side_src, frame, lost));
                    }
                }
            } else if habits.is_some_and(|h| local(f, h)) {
                st = Status::NotForwarded;
            } else if let Some(o) = outside(side_src, f, dir) {
                st = o;
            } else if at_sender {
                // Missing from the receiving capture. Whether that capture dropped it is
                // decided below from its drop counters; data the receiver acknowledged
                // goes first.
                let other = usize::from(side_src);
                let acked =
                    bs.is_some_and(|b| b.acked > 0 && b.acked.saturating_add(b.surplus) >= b.total);
                st = Status::Lost;
                if acked {
                    if let Some(x) = drop_acked.get_mut(other) {
                        *x += 1;
                    }
                }
                // Missing from the receiving capture: its drop counters may explain it (a
                // packet sent twice and seen once there may be a capture drop too).
                {
                    push_missing(
                        &mut missing,
                        other,
                        k,
                        f,
                        side_src,
                        s2t,
                        acked,
                        &clock,
                        med_delay,
                    );
                }
            } else {
                // At the receiver: a copy of what arrived, or nothing the sender's capture saw.
                let copy = match bs {
                    Some(b) => b.surplus > 0 && b.orphan == 0,
                    None => copies.get(k).copied().unwrap_or(0) != 0,
                };
                if copy {
                    st = Status::Duplicated;
                    if let Some(b) = bs {
                        let slot = if side_src {
                            r.src_twin.get_mut(k)
                        } else {
                            r.dst_twin.get_mut(k)
                        };
                        if let Some(x) = slot {
                            *x = b.dup_of;
                        }
                    } else {
                        // The twin of a copy is its original's twin.
                        let orig = copies.get(k).copied().unwrap_or(0);
                        let t = orig
                            .checked_sub(1)
                            .and_then(|o| twins.get(o as usize).copied())
                            .unwrap_or(0);
                        if side_src {
                            if let Some(x) = r.src_twin.get_mut(k) {
                                *x = t;
                            }
                        } else if let Some(x) = r.dst_twin.get_mut(k) {
                            *x = t;
                        }
                    }
                } else {
                    st = Status::Extra;
                    if bs.is_none_or(|b| b.nopeer > 0) {
                        let other = usize::from(side_src);
                        push_missing(
                            &mut missing,
                            other,
                            k,
                            f,
                            side_src,
                            s2t,
                            false,
                            &clock,
                            med_delay,
                        );
                    }
                }
            }
            let slot = if side_src {
                r.src_status.get_mut(k)
            } else {
                r.dst_status.get_mut(k)
            };
            if let Some(x) = slot {
                *x = st;
            }
        }
    }
    // Drop counters as a budget: the missing packets the receiver acknowledged, then those
    // at the capture's busiest moments.
    for (cap, info) in [(0usize, src_info), (1usize, dst_info)] {
        let Some(k) = info.dropped.filter(|&k| k > 0) else {
            continue;
        };
        let Some(list) = missing.get_mut(cap) else {
            continue;
        };
        if list.is_empty() {
            continue;
        }
        let fps = if cap == 0 { src_fps } else { dst_fps };
        let budget = usize::try_from(k).unwrap_or(usize::MAX);
        if list.len() > budget {
            let mut ts: Vec<i64> = fps.iter().map(|f| f.ts_ns).collect();
            ts.sort_unstable();
            let density = |t: i64| {
                let a = ts.partition_point(|&x| x < t.saturating_sub(DENSITY_NS));
                let b = ts.partition_point(|&x| x <= t.saturating_add(DENSITY_NS));
                b.saturating_sub(a)
            };
            let mut ranked: Vec<(u8, std::cmp::Reverse<usize>, u32)> = list
                .iter()
                .map(|&(k, t, rank)| (rank, std::cmp::Reverse(density(t)), k))
                .collect();
            ranked.sort_unstable();
            *list = ranked
                .into_iter()
                .take(budget)
                .map(|(rank, _, k)| (k, 0, rank))
                .collect();
        }
        // The packets are on the other side.
        let statuses = if cap == 0 {
            &mut r.dst_status
        } else {
            &mut r.src_status
        };
        for &(k, _, _) in list.iter() {
            if let Some(x) = statuses.get_mut(k as usize) {
                *x = Status::CaptureDrop;
            }
        }
    }
    drop(missing);

    // Twins as frame numbers.
    for (k, &t) in p.twin_s.iter().enumerate() {
        if t != 0 {
            if let Some(x) = r.src_twin.get_mut(k) {
                *x = t;
            }
        }
    }
    for (k, &t) in p.twin_d.iter().enumerate() {
        if t != 0 {
            if let Some(x) = r.dst_twin.get_mut(k) {
                *x = t;
            }
        }
    }

    // Reordering (RFC 4737 late packets): per flow direction, in the order packets reached
    // the receiving capture, one that was sent before a packet that already arrived.
    let mut late_s = vec![false; ns];
    let mut late_d = vec![false; nd];
    {
        super::sort::by_key(&mut arr, |x| u64::from(x.0), |x| (x.0, x.1, x.2));
        for g in arr.chunk_by(|a, b| a.0 == b.0) {
            let mut max: Option<(u32, u64)> = None;
            for &(_, _, k, side_src, t, start) in g {
                let key = (t, start);
                if max.is_some_and(|m| key < m) {
                    let (rv, sv) = if side_src {
                        (&mut late_s, &mut late_d)
                    } else {
                        (&mut late_d, &mut late_s)
                    };
                    if let Some(x) = rv.get_mut(k as usize) {
                        *x = true;
                    }
                    if let Some(x) = sv.get_mut(t as usize) {
                        *x = true;
                    }
                }
                max = Some(max.map_or(key, |m| m.max(key)));
            }
        }
    }

    // Pair statuses.
    for (statuses, late, modified) in [
        (&mut r.src_status, &late_s, &modified_s),
        (&mut r.dst_status, &late_d, &modified_d),
    ] {
        for (k, st) in statuses.iter_mut().enumerate() {
            if *st != Status::Matched {
                continue;
            }
            if late.get(k).copied().unwrap_or(false) {
                *st = Status::Reordered;
            } else if modified.get(k).copied().unwrap_or(false) {
                *st = Status::Modified;
            }
        }
    }
    let mut mf: Vec<(&'static str, u64)> = Vec::new();
    for (k, &n) in fld_counts.iter().enumerate() {
        let Some(&f) = ALL_FLD.get(k / VARIANTS) else {
            continue;
        };
        if n == 0 {
            continue;
        }
        let name = fld_name(f, k % VARIANTS);
        match mf.iter_mut().find(|x| x.0 == name) {
            Some(x) => x.1 += n,
            None => mf.push((name, n)),
        }
    }
    mf.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    r.modified_fields = mf;

    // Filters: a packet is reported when it or its twin passes.
    for (side_src, fps) in [(true, src_fps), (false, dst_fps)] {
        let (statuses, twins, other) = if side_src {
            (&mut r.src_status, &r.src_twin, dst_fps)
        } else {
            (&mut r.dst_status, &r.dst_twin, src_fps)
        };
        for (k, f) in fps.iter().enumerate() {
            if !f.is_excluded() {
                continue;
            }
            let twin = twins.get(k).copied().unwrap_or(0);
            let twin_out =
                twin == 0 || other.get(twin as usize - 1).is_none_or(|g| g.is_excluded());
            if twin_out {
                if let Some(x) = statuses.get_mut(k) {
                    *x = Status::Excluded;
                }
            }
        }
    }

    r.nat = nat_table(&src, &dst, &anchors, &p);
    let drops = [src_info, dst_info].map(|i| i.dropped.is_some_and(|n| n > 0));
    r.flows = flow_bytes(&src, &bytes, &dirs, &r, &late_s, &late_d, drops);
    r.segmentation = seg;
    r.src_direction = src_dir;
    r.dst_direction = dst_dir;
    r.counts = counts(&r, src_fps, dst_fps, &bytes);
    r.conversations = super::convs::table(&src, &flows_d, &dirs, &r);
    let extra = Extra {
        hops_between,
        drop_acked,
    };
    (r, extra)
}

/// Adds a packet to the list of those missing from capture `cap`, with the time it would
/// have passed there and its rank for the drop budget (0: data the receiver acknowledged,
/// 1: ordinary traffic, 2: what looks forged: resets, ICMP errors).
#[allow(clippy::too_many_arguments)]
fn push_missing(
    missing: &mut [Vec<(u32, i64, u8)>; 2],
    cap: usize,
    k: usize,
    f: &Fingerprint,
    side_src: bool,
    s2t: bool,
    acked: bool,
    clock: &super::report::ClockEstimate,
    med: [i64; 2],
) {
    let d = if s2t { med[0] } else { med[1] };
    let t = if side_src {
        let base = f.ts_ns.saturating_add(clock.offset_at(f.ts_ns));
        if s2t {
            base.saturating_add(d)
        } else {
            base.saturating_sub(d)
        }
    } else {
        let base = f
            .ts_ns
            .saturating_sub(clock.offset_at(f.ts_ns.saturating_sub(clock.offset_ns)));
        if s2t {
            base.saturating_sub(d)
        } else {
            base.saturating_add(d)
        }
    };
    let forged = (f.is_tcp() && f.flags & tcp_flags::RST != 0) || f.bits & bits::ICMP_ERROR != 0;
    let rank = if acked {
        0
    } else if forged {
        2
    } else {
        1
    };
    if let Some(v) = missing.get_mut(cap) {
        v.push((k as u32, t, rank));
    }
}

/// Translated flows: the inside (source) and outside (target) 5-tuples of every paired
/// conversation whose addresses, ports or sequence numbers differ.
fn nat_table(src: &Side<'_>, dst: &Side<'_>, anchors: &Anchors, p: &Pairing) -> Vec<NatEntry> {
    let mut per_conv = vec![0u64; dst.convs.len()];
    for (j, &t) in p.twin_d.iter().enumerate() {
        if t == 0 {
            continue;
        }
        if let Some((c, _)) = dst.conv_of(j as u32) {
            if let Some(x) = per_conv.get_mut(c as usize) {
                *x += 1;
            }
        }
    }
    let mut out = Vec::new();
    for (cd, pc) in anchors.pair_d.iter().enumerate() {
        let (Some(pc), Some(&packets)) = (pc, per_conv.get(cd)) else {
            continue;
        };
        if packets == 0 {
            continue;
        }
        let (Some(sc), Some(dc)) = (src.convs.get(pc.src_conv as usize), dst.convs.get(cd)) else {
            continue;
        };
        if !src.fp(sc.first).is_some_and(|f| f.has_ports()) {
            continue;
        }
        let init_dir = src.conv_of(sc.first).map_or(0, |x| x.1);
        let ep = |addr: [u8; 16], port: u16, v6: bool| NatEndpoint { addr, port, v6 };
        let s_eps = [ep(sc.a, sc.pa, sc.v6), ep(sc.b, sc.pb, sc.v6)];
        let d_eps = [ep(dc.a, dc.pa, dc.v6), ep(dc.b, dc.pb, dc.v6)];
        let order = |eps: [NatEndpoint; 2], dir: u32| if dir == 0 { eps } else { [eps[1], eps[0]] };
        let inside = order(s_eps, init_dir);
        let outside = order(d_eps, init_dir ^ u32::from(pc.flip));
        let x = init_dir as usize;
        let seq_offsets = if sc.proto == 6 {
            [
                pc.dseq.get(x).copied().unwrap_or(0),
                pc.dseq.get(1 - x).copied().unwrap_or(0),
            ]
        } else {
            [0, 0]
        };
        if inside == outside && seq_offsets == [0, 0] {
            continue;
        }
        out.push(NatEntry {
            proto: sc.proto,
            inside,
            outside,
            packets,
            seq_offsets,
            first_src_frame: sc.first + 1,
        });
    }
    out.sort_by_key(|n| (n.first_src_frame, n.outside));
    out
}

/// Adds `[a, b)` to a list of ranges (merging with the last one when they touch), keeping
/// at most [`FlowBytes::MAX_RANGES`].
fn add_range(v: &mut Vec<(u64, u64)>, a: u64, b: u64) {
    if let Some(last) = v.last_mut() {
        if last.1 >= a && last.0 <= a {
            last.1 = last.1.max(b);
            return;
        }
    }
    if v.len() < FlowBytes::MAX_RANGES {
        v.push((a, b));
    }
}

#[allow(clippy::too_many_arguments)]
/// Byte accounting of the TCP flows that lost, duplicated or delivered bytes late.
fn flow_bytes(
    src: &Side<'_>,
    bm: &ByteMatch,
    dirs: &[Direction],
    r: &Report,
    late_s: &[bool],
    late_d: &[bool],
    drops: [bool; 2],
) -> Vec<FlowBytes> {
    // Per TCP stream: first and last byte sent, by the sender's copies.
    let mut span: HashMap<u32, (u64, u64), TableState> = HashMap::default();
    let sender_side =
        |stream: u32| -> Option<usize> { dirs.get(stream as usize).and_then(|d| d.index()) };
    for (side, stats) in bm.stats.iter().enumerate() {
        for b in stats {
            if b.stream >= bm.n_tcp || sender_side(b.stream) != Some(side) {
                continue;
            }
            let end = b.start.saturating_add(u64::from(b.total));
            let e = span.entry(b.stream).or_insert((b.start, end));
            e.0 = e.0.min(b.start);
            e.1 = e.1.max(end);
        }
    }
    let mut flows: HashMap<u32, FlowBytes, TableState> = HashMap::default();
    let entry = |stream: u32, flows: &mut HashMap<u32, FlowBytes, TableState>| -> Option<u64> {
        let &(lo, hi) = span.get(&stream)?;
        let conv = src.convs.get((stream / 2) as usize)?;
        let ep = |addr: [u8; 16], port: u16| NatEndpoint {
            addr,
            port,
            v6: conv.v6,
        };
        let endpoints = if stream % 2 == 0 {
            [ep(conv.a, conv.pa), ep(conv.b, conv.pb)]
        } else {
            [ep(conv.b, conv.pb), ep(conv.a, conv.pa)]
        };
        flows.entry(stream).or_insert_with(|| FlowBytes {
            endpoints,
            sent_by: dirs.get(stream as usize).copied().unwrap_or_default(),
            bytes: hi.saturating_sub(lo),
            ..FlowBytes::default()
        });
        Some(lo)
    };
    for g in &bm.gaps {
        if g.stream >= bm.n_tcp {
            continue;
        }
        let Some(snd) = sender_side(g.stream) else {
            continue;
        };
        let rcv = 1 - snd;
        let Some(base) = entry(g.stream, &mut flows) else {
            continue;
        };
        let Some(fb) = flows.get_mut(&g.stream) else {
            continue;
        };
        let len = g.end.saturating_sub(g.start);
        let (a, b) = (g.start.saturating_sub(base), g.end.saturating_sub(base));
        let free = |s: usize| u64::from(g.free.get(s).copied().unwrap_or(0));
        let paired = |s: usize| u64::from(g.paired.get(s).copied().unwrap_or(0));
        if free(snd) > 0 {
            if paired(snd) > 0 {
                fb.retransmitted_bytes += len * free(snd);
            } else if free(rcv) == 0 && g.acked && drops.get(rcv).copied().unwrap_or(false) {
                fb.capture_dropped_bytes += len;
            } else {
                fb.lost_bytes += len;
                add_range(&mut fb.lost, a, b);
            }
        }
        if free(rcv) > 0 && paired(rcv) > 0 {
            fb.duplicated_bytes += len * free(rcv);
            add_range(&mut fb.duplicated, a, b);
        }
    }
    // Late bytes: arrivals that were reordered.
    for (side, (late, stats)) in [late_s, late_d].into_iter().zip(&bm.stats).enumerate() {
        for (k, &is_late) in late.iter().enumerate() {
            if !is_late {
                continue;
            }
            let Some(b) = bm
                .stat_of
                .get(side)
                .and_then(|m| m.get(k))
                .and_then(|&s| stats.get(s as usize))
            else {
                continue;
            };
            if b.stream >= bm.n_tcp || sender_side(b.stream) == Some(side) {
                continue;
            }
            let Some(base) = entry(b.stream, &mut flows) else {
                continue;
            };
            if let Some(fb) = flows.get_mut(&b.stream) {
                fb.late_bytes += u64::from(b.matched);
                let a = b.start.saturating_sub(base);
                add_range(&mut fb.late, a, a.saturating_add(u64::from(b.total)));
            }
        }
    }
    // Delays of the reported flows' arrivals.
    let mut delays: HashMap<u32, Vec<i64>, TableState> = HashMap::default();
    for (side, (stats_map, delay)) in bm
        .stat_of
        .iter()
        .zip([&r.delay_ns, &r.dst_delay_ns])
        .enumerate()
    {
        for (k, &s) in stats_map.iter().enumerate() {
            let Some(b) = bm.stats.get(side).and_then(|v| v.get(s as usize)) else {
                continue;
            };
            if !flows.contains_key(&b.stream) || sender_side(b.stream) == Some(side) {
                continue;
            }
            if let Some(&d) = delay.get(k).filter(|&&d| d != i64::MIN) {
                delays.entry(b.stream).or_default().push(d);
            }
        }
    }
    let mut out: Vec<(u32, FlowBytes)> = flows.into_iter().collect();
    out.sort_by_key(|x| x.0);
    out.into_iter()
        .map(|(st, mut fb)| {
            if let Some(v) = delays.get_mut(&st) {
                if let Some(p) = Percentiles::of(v) {
                    fb.delay_p50_ns = Some(p.p50);
                    fb.delay_max_ns = Some(p.max);
                }
            }
            fb
        })
        .collect()
}

/// Counts by status, per side and per direction of travel.
fn counts(r: &Report, src_fps: &[Fingerprint], dst_fps: &[Fingerprint], bm: &ByteMatch) -> Counts {
    let mut c = Counts::default();
    let partial: HashMap<(bool, u32), u32, TableState> =
        r.partial.iter().map(|&(s, f, n)| ((s, f), n)).collect();
    for (side_src, statuses, dirs, fps) in [
        (true, &r.src_status, &r.src_direction, src_fps),
        (false, &r.dst_status, &r.dst_direction, dst_fps),
    ] {
        for (k, (&st, f)) in statuses.iter().zip(fps).enumerate() {
            let per = if side_src {
                &mut c.source
            } else {
                &mut c.target
            };
            if let Some(x) = per.get_mut(st as usize) {
                *x += 1;
            }
            let dir = dirs.get(k).copied().unwrap_or_default();
            let Some(di) = dir.index() else { continue };
            let at_sender = (di == 0) == side_src;
            let Some(d) = c.dirs.get_mut(di) else {
                continue;
            };
            let b = bm.stat(side_src, k as u32);
            match st {
                Status::Excluded
                | Status::NotForwarded
                | Status::OutsideOverlap
                | Status::CaptureGap => continue,
                _ => {}
            }
            if at_sender {
                d.sent += 1;
                if let Some(b) = b {
                    d.bytes_sent += u64::from(b.total);
                }
            }
            match st {
                Status::Matched | Status::Modified | Status::Reordered if at_sender => {
                    d.matched += 1;
                    d.modified += u64::from(st == Status::Modified);
                    d.reordered += u64::from(st == Status::Reordered);
                }
                Status::Lost => {
                    d.lost += 1;
                    let lost = b.map_or(0, |b| u64::from(b.total));
                    d.bytes_lost += lost;
                    d.ip_bytes_lost += u64::from(f.ip_len);
                }
                Status::PartlyLost => {
                    d.partly_lost += 1;
                    let lost =
                        u64::from(partial.get(&(side_src, k as u32 + 1)).copied().unwrap_or(0));
                    d.bytes_lost += lost;
                    d.ip_bytes_lost += lost;
                }
                Status::Duplicated => {
                    d.duplicated += 1;
                    if let Some(b) = b {
                        d.bytes_duplicated += u64::from(b.surplus);
                    }
                }
                Status::CaptureDrop => d.capture_drop += 1,
                Status::Extra => d.extra += 1,
                _ => {}
            }
        }
    }
    for d in &c.dirs {
        c.matched += d.matched;
        c.modified += d.modified;
        c.reordered += d.reordered;
        c.lost += d.lost;
        c.partly_lost += d.partly_lost;
        c.extra += d.extra;
        c.duplicated += d.duplicated;
        c.capture_drop += d.capture_drop;
    }
    c
}
