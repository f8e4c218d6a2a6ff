//! From pairs to a [`Report`]: a status for every packet, delays, reordering, modified
//! fields, the NAT table and the counts.
//!
//! Packets without a twin are, in this order:
//! - [`Status::NotForwarded`] when they cannot cross between the capture points: not IP;
//!   link-local, multicast, loopback or unspecified addresses; both ends on the capture's own
//!   side of a router (each end sends with an initial TTL — 32, 64, 128, 255 — at that
//!   capture, and matched packets show at least one router between the captures); or a TTL
//!   that the routers between the captures use up;
//! - [`Status::OutsideOverlap`] when the other capture was not running when the twin would
//!   have passed it (using the extremes of the observed delays, so only clear cases);
//! - [`Status::CaptureDrop`] when the other capture's drop counter is not zero and its receiver
//!   acknowledged the bytes there although that capture never saw them;
//! - else [`Status::Lost`] (source) or [`Status::Extra`] (target).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::clock::{self, Sample};
use super::config::Options;
use super::key::{bits, Fingerprint};
use super::matcher::{self, Matching, Side};
use super::report::{
    ClockMethod, Counts, Direction, NatEndpoint, NatEntry, Percentiles, Report, SideInfo, Status,
};
use crate::flow::FxBuildHasher;
use std::collections::HashMap;

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
    un(a.ident != b.ident, Fld::Ident, out);
    un((a.bits ^ b.bits) & bits::DF != 0, Fld::Df, out);
    if a.is_tcp() && b.is_tcp() {
        if a.seq != b.seq {
            out.push(Fld::Seq);
        }
        if a.ack != b.ack {
            out.push(Fld::Ack);
        }
        un(a.window != b.window, Fld::Window, out);
        un(a.mss != b.mss, Fld::Mss, out);
        un(a.opt_digest != b.opt_digest, Fld::Options, out);
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

fn near(m: &HashMap<[u8; 16], Habit, FxBuildHasher>, a: &[u8; 16]) -> bool {
    m.get(a).is_some_and(|h| h.near)
}

/// The TTL a sender's packets lose between the captures: its own habit, else (for a host on
/// this side without pairs) the usual one.
fn hop_of(m: &HashMap<[u8; 16], Habit, FxBuildHasher>, a: &[u8; 16], default: i16) -> i16 {
    match m.get(a) {
        Some(h) if h.hop.1 > 0 => h.hop.0,
        Some(h) if h.near => default,
        _ => 0,
    }
}

/// Relative position of `x` to `base` in sequence space.
fn rel(x: u32, base: u32) -> i64 {
    i64::from(x.wrapping_sub(base) as i32)
}

/// Builds the report (all but the diagnosis).
pub(crate) fn build(
    src_fps: &[Fingerprint],
    dst_fps: &[Fingerprint],
    src_info: &SideInfo,
    dst_info: &SideInfo,
    opts: &Options,
) -> (Report, Extra) {
    let src = Side::new(src_fps);
    let dst = Side::new(dst_fps);
    let m = matcher::run(&src, &dst, opts);
    let ns = src_fps.len();
    let nd = dst_fps.len();
    let n_flows = src.convs.len() * 2 + 1;
    let no_conv_flow = (n_flows - 1) as u32;
    let flow_s = |i: u32| src.conv_of(i).map_or(no_conv_flow, |(c, d)| c * 2 + d);

    // Clock.
    let mut samples: Vec<Sample> = Vec::new();
    for (i, &t) in m.twin_s.iter().enumerate() {
        if t == 0 {
            continue;
        }
        let (Some(a), Some(b)) = (src_fps.get(i), dst_fps.get(t as usize - 1)) else {
            continue;
        };
        samples.push(Sample {
            s_ts: a.ts_ns,
            r: b.ts_ns.saturating_sub(a.ts_ns),
            flow: flow_s(i as u32),
        });
    }
    let ref_ns = src_info
        .first_ns
        .or_else(|| src_fps.iter().map(|f| f.ts_ns).min())
        .unwrap_or(0);
    let cr = clock::estimate(&mut samples, n_flows, ref_ns, opts);
    drop(samples);
    let clock = cr.clock;
    let dir_of_flow = |f: u32| cr.flow_dir.get(f as usize).copied().unwrap_or_default();
    let dst_flow = |j: u32| -> Option<u32> {
        let (c, d) = dst.conv_of(j)?;
        let p = m.pair_d.get(c as usize).copied().flatten()?;
        Some(p.src_conv * 2 + (d ^ u32::from(p.flip)))
    };

    let mut r = Report {
        src_status: vec![Status::Matched; ns],
        dst_status: vec![Status::Matched; nd],
        src_twin: vec![0; ns],
        dst_twin: vec![0; nd],
        delay_ns: vec![i64::MIN; ns],
        src_direction: vec![Direction::Unknown; ns],
        clock,
        src_info: src_info.clone(),
        dst_info: dst_info.clone(),
        ..Report::default()
    };
    for (i, d) in r.src_direction.iter_mut().enumerate() {
        *d = dir_of_flow(flow_s(i as u32));
    }

    // Senders and receivers of packets without a twin: only their TTL habits and sides of
    // the path are needed below.
    let mut interest_s: HashMap<[u8; 16], Habit, FxBuildHasher> = HashMap::default();
    let mut interest_d: HashMap<[u8; 16], Habit, FxBuildHasher> = HashMap::default();
    for (i, f) in src_fps.iter().enumerate() {
        if m.twin_s.get(i) == Some(&0) && f.is_ip() {
            interest_s.entry(f.src).or_default();
            interest_s.entry(f.dst).or_default();
        }
    }
    for (j, f) in dst_fps.iter().enumerate() {
        if m.twin_d.get(j) == Some(&0) && m.dup_d.get(j) == Some(&0) && f.is_ip() {
            interest_d.entry(f.src).or_default();
            interest_d.entry(f.dst).or_default();
        }
    }
    // TTL changes: per flow (majority), overall, and for the senders of interest.
    let mut hop_f: Vec<(i16, u32)> = vec![(0, 0); n_flows];
    let mut hop_abs = [0u64; 256];
    let mut hop_pos = [0u64; 256];
    // Delay ranges by direction: [min, max] of corrected delay.
    let mut range = [[i64::MAX, i64::MIN]; 2];
    let mut s2t: Vec<i64> = Vec::new();
    let mut t2s: Vec<i64> = Vec::new();
    for (i, &t) in m.twin_s.iter().enumerate() {
        if t == 0 {
            continue;
        }
        let j = t - 1;
        let (Some(a), Some(b)) = (src_fps.get(i), dst_fps.get(j as usize)) else {
            continue;
        };
        if let Some(x) = r.src_twin.get_mut(i) {
            *x = t;
        }
        if let Some(x) = r.dst_twin.get_mut(j as usize) {
            *x = i as u32 + 1;
        }
        let d = b
            .ts_ns
            .saturating_sub(a.ts_ns)
            .saturating_sub(clock.offset_at(a.ts_ns));
        if let Some(x) = r.delay_ns.get_mut(i) {
            *x = d;
        }
        let up = dir_of_flow(flow_s(i as u32)) != Direction::TargetToSource;
        if let Some(rg) = range.get_mut(usize::from(!up)) {
            rg[0] = rg[0].min(d);
            rg[1] = rg[1].max(d);
        }
        if !(a.is_excluded() && b.is_excluded()) {
            if up {
                s2t.push(d);
            } else {
                t2s.push(d.saturating_neg());
            }
        }
        if a.is_ip() && b.is_ip() {
            let delta = i16::from(a.ttl) - i16::from(b.ttl);
            if let Some(x) = hop_f.get_mut(flow_s(i as u32) as usize) {
                majority(x, delta);
            }
            if let Some(x) = hop_abs.get_mut(delta.unsigned_abs() as usize) {
                *x += 1;
            }
            if delta > 0 {
                if let Some(x) = hop_pos.get_mut(delta as usize) {
                    *x += 1;
                }
            } else if delta < 0 {
                if let Some(x) = hop_pos.get_mut(delta.unsigned_abs() as usize) {
                    *x += 1;
                }
            }
            if let Some(h) = interest_s.get_mut(&a.src) {
                majority(&mut h.hop, delta);
                h.crossed = true;
            }
            if let Some(h) = interest_d.get_mut(&b.src) {
                majority(&mut h.hop, -delta);
                h.crossed = true;
            }
        }
    }
    r.delay_s2t = Percentiles::of(&mut s2t);
    r.delay_t2s = Percentiles::of(&mut t2s);
    drop((s2t, t2s));
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
    // Default for senders without pairs: the most common decrement.
    let def_hop = argmax(&hop_pos);
    // Which of the addresses of interest send with an initial TTL (are on that side).
    for (fps, interest) in [(src_fps, &mut interest_s), (dst_fps, &mut interest_d)] {
        if interest.is_empty() {
            continue;
        }
        for f in fps {
            if INITIAL_TTLS.contains(&f.ttl) && f.is_ip() {
                if let Some(h) = interest.get_mut(&f.src) {
                    h.near = true;
                }
            }
        }
    }
    // Reordering: per source flow, in the order packets entered the path.
    let mut order: Vec<(u32, u32, u32)> = Vec::new();
    for (i, &t) in m.twin_s.iter().enumerate() {
        if t == 0 {
            continue;
        }
        let f = flow_s(i as u32);
        let (up_i, down_i) = if dir_of_flow(f) == Direction::TargetToSource {
            (t - 1, i as u32)
        } else {
            (i as u32, t - 1)
        };
        order.push((f, up_i, down_i));
    }
    order.sort_unstable();
    let mut reordered_src: Vec<bool> = vec![false; ns];
    for g in order.chunk_by(|a, b| a.0 == b.0) {
        let mut min_after = u32::MAX;
        for &(f, up_i, down_i) in g.iter().rev() {
            if down_i > min_after {
                let si = if dir_of_flow(f) == Direction::TargetToSource {
                    down_i
                } else {
                    up_i
                };
                if let Some(x) = reordered_src.get_mut(si as usize) {
                    *x = true;
                }
            }
            min_after = min_after.min(down_i);
        }
    }
    drop(order);

    // Pair statuses and modified fields.
    let mut fld_counts = [0u64; N_FLD * VARIANTS];
    let mut diffs = Vec::new();
    let mut modified_n = 0u64;
    let mut reordered_n = 0u64;
    for (i, &t) in m.twin_s.iter().enumerate() {
        if t == 0 {
            continue;
        }
        let (Some(a), Some(b)) = (src_fps.get(i), dst_fps.get(t as usize - 1)) else {
            continue;
        };
        let ttl_mode = hop_f
            .get(flow_s(i as u32) as usize)
            .filter(|x| x.1 > 0)
            .map(|x| x.0);
        let unexpected = a.is_ip() && b.is_ip() && differences(a, b, ttl_mode, &mut diffs);
        let counted = !(a.is_excluded() && b.is_excluded());
        if counted {
            let v = variant(a);
            for &f in &diffs {
                if let Some(c) = fld_counts.get_mut(f as usize * VARIANTS + v) {
                    *c += 1;
                }
            }
        }
        let reordered = reordered_src.get(i).copied().unwrap_or(false);
        let st = if reordered {
            Status::Reordered
        } else if unexpected {
            Status::Modified
        } else {
            Status::Matched
        };
        if counted {
            modified_n += u64::from(unexpected);
            reordered_n += u64::from(reordered);
        }
        if let Some(x) = r.src_status.get_mut(i) {
            *x = st;
        }
        if let Some(x) = r.dst_status.get_mut(t as usize - 1) {
            *x = st;
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

    // Unmatched packets.
    let span = |lo: Option<i64>, hi: Option<i64>| (lo.unwrap_or(i64::MIN), hi.unwrap_or(i64::MAX));
    let (ss, se) = span(src_info.span_start(), src_info.span_end());
    let (ds, de) = span(dst_info.span_start(), dst_info.span_end());
    // A capture with no packets and no recorded span says nothing about when it ran.
    let src_known = src_info.span_start().is_some();
    let dst_known = dst_info.span_start().is_some();
    let class_range = |d: Direction| -> (i64, i64) {
        let [u, w] = range;
        let pick = match d {
            Direction::SourceToTarget => [u[0], u[1]],
            Direction::TargetToSource => [w[0], w[1]],
            Direction::Unknown => [u[0].min(w[0]), u[1].max(w[1])],
        };
        if pick[0] > pick[1] {
            // No pairs at all: nothing is known about delays.
            if clock.method == ClockMethod::None {
                (0, 0)
            } else {
                (u[0].min(w[0]).min(0), u[1].max(w[1]).max(0))
            }
        } else {
            (pick[0], pick[1])
        }
    };
    let local =
        |f: &Fingerprint, side: &HashMap<[u8; 16], Habit, FxBuildHasher>, hop: i16| -> bool {
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
            hop >= 1 && i16::from(f.ttl) <= hop
        };
    let mut cd_src: Vec<u32> = Vec::new();
    let mut cd_dst: Vec<u32> = Vec::new();
    for (i, f) in src_fps.iter().enumerate() {
        if m.twin_s.get(i).copied().unwrap_or(0) != 0 {
            continue;
        }
        let hop = hop_of(&interest_s, &f.src, def_hop);
        let st = if local(f, &interest_s, hop) {
            Status::NotForwarded
        } else {
            let dir = dir_of_flow(flow_s(i as u32));
            let (lo, hi) = class_range(dir);
            let at = f.ts_ns.saturating_add(clock.offset_at(f.ts_ns));
            if !dst_known || at.saturating_add(hi) < ds || at.saturating_add(lo) > de {
                Status::OutsideOverlap
            } else {
                cd_src.push(i as u32);
                Status::Lost
            }
        };
        if let Some(x) = r.src_status.get_mut(i) {
            *x = st;
        }
    }
    for (j, f) in dst_fps.iter().enumerate() {
        if m.twin_d.get(j).copied().unwrap_or(0) != 0 {
            continue;
        }
        let dup = m.dup_d.get(j).copied().unwrap_or(0);
        if dup != 0 {
            if let Some(x) = r.dst_status.get_mut(j) {
                *x = Status::Duplicated;
            }
            if let Some(x) = r.dst_twin.get_mut(j) {
                *x = m.twin_d.get(dup as usize - 1).copied().unwrap_or(0);
            }
            continue;
        }
        let hop = hop_of(&interest_d, &f.src, def_hop);
        let st = if local(f, &interest_d, hop) {
            Status::NotForwarded
        } else {
            let dir = dst_flow(j as u32).map_or(Direction::Unknown, dir_of_flow);
            let (lo, hi) = class_range(dir);
            let at = f
                .ts_ns
                .saturating_sub(clock.offset_at(f.ts_ns.saturating_sub(clock.offset_ns)));
            // Source time window: at - hi ..= at - lo.
            if !src_known || at.saturating_sub(lo) < ss || at.saturating_sub(hi) > se {
                Status::OutsideOverlap
            } else {
                cd_dst.push(j as u32);
                Status::Extra
            }
        };
        if let Some(x) = r.dst_status.get_mut(j) {
            *x = st;
        }
    }
    // Capture drops: only when the other capture says it dropped packets.
    if dst_info.dropped.is_some_and(|d| d > 0) {
        let cap = dst_info.dropped.unwrap_or(0);
        let hits = acked_unseen(&cd_src, true, &src, &dst, &m);
        for i in hits
            .into_iter()
            .take(usize::try_from(cap).unwrap_or(usize::MAX))
        {
            if let Some(x) = r.src_status.get_mut(i as usize) {
                *x = Status::CaptureDrop;
            }
        }
    }
    if src_info.dropped.is_some_and(|d| d > 0) {
        let cap = src_info.dropped.unwrap_or(0);
        let hits = acked_unseen(&cd_dst, false, &src, &dst, &m);
        for j in hits
            .into_iter()
            .take(usize::try_from(cap).unwrap_or(usize::MAX))
        {
            if let Some(x) = r.dst_status.get_mut(j as usize) {
                *x = Status::CaptureDrop;
            }
        }
    }
    let acked_lost = if dst_info.dropped.is_none() {
        acked_unseen(&cd_src, true, &src, &dst, &m).len() as u64
    } else {
        0
    };

    // Filters: a packet is reported when it or its twin passes.
    for (i, f) in src_fps.iter().enumerate() {
        let twin = r.src_twin.get(i).copied().unwrap_or(0);
        let twin_out = twin == 0
            || dst_fps
                .get(twin as usize - 1)
                .is_none_or(|g| g.is_excluded());
        if f.is_excluded() && twin_out {
            if let Some(x) = r.src_status.get_mut(i) {
                *x = Status::Excluded;
            }
        }
    }
    for (j, f) in dst_fps.iter().enumerate() {
        let twin = r.dst_twin.get(j).copied().unwrap_or(0);
        let twin_out = twin == 0
            || src_fps
                .get(twin as usize - 1)
                .is_none_or(|g| g.is_excluded());
        if f.is_excluded() && twin_out {
            if let Some(x) = r.dst_status.get_mut(j) {
                *x = Status::Excluded;
            }
        }
    }

    // NAT / translated flows.
    let mut per_conv = vec![0u64; dst.convs.len()];
    for (j, &t) in m.twin_d.iter().enumerate() {
        if t == 0 {
            continue;
        }
        if let Some((c, _)) = dst.conv_of(j as u32) {
            if let Some(x) = per_conv.get_mut(c as usize) {
                *x += 1;
            }
        }
    }
    for (cd, p) in m.pair_d.iter().enumerate() {
        let (Some(p), Some(&packets)) = (p, per_conv.get(cd)) else {
            continue;
        };
        if packets == 0 {
            continue;
        }
        let (Some(sc), Some(dc)) = (src.convs.get(p.src_conv as usize), dst.convs.get(cd)) else {
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
        let outside = order(d_eps, init_dir ^ u32::from(p.flip));
        let x = init_dir as usize;
        let seq_offsets = if sc.proto == 6 {
            [
                p.dseq.get(x).copied().unwrap_or(0),
                p.dseq.get(1 - x).copied().unwrap_or(0),
            ]
        } else {
            [0, 0]
        };
        if inside == outside && seq_offsets == [0, 0] {
            continue;
        }
        r.nat.push(NatEntry {
            proto: sc.proto,
            inside,
            outside,
            packets,
            seq_offsets,
            first_src_frame: sc.first + 1,
        });
    }
    r.nat.sort_by_key(|n| (n.first_src_frame, n.outside));

    // Counts.
    let mut c = Counts::default();
    for s in &r.src_status {
        if let Some(x) = c.source.get_mut(*s as usize) {
            *x += 1;
        }
    }
    for s in &r.dst_status {
        if let Some(x) = c.target.get_mut(*s as usize) {
            *x += 1;
        }
    }
    c.matched = r.src_status.iter().filter(|s| s.is_pair()).count() as u64;
    c.modified = modified_n;
    c.reordered = reordered_n;
    c.lost = c.src(Status::Lost);
    c.extra = c.dst(Status::Extra);
    c.duplicated = c.src(Status::Duplicated) + c.dst(Status::Duplicated);
    r.counts = c;
    let extra = Extra {
        hops_between,
        acked_lost,
    };
    (r, extra)
}

/// Facts the diagnosis uses besides the report.
pub(crate) struct Extra {
    /// Most common TTL change between the captures.
    pub hops_between: i16,
    /// Lost source packets whose bytes the receiver acknowledged at the target (the target
    /// capture has no drop counters).
    pub acked_lost: u64,
}

/// Candidates (TCP data without a twin) whose bytes the receiver acknowledged in the other
/// capture, which never saw them. `from_src`: candidates are source packets (evidence in the
/// target capture), else target packets (evidence in the source capture). Everything is
/// compared in the source's sequence space.
fn acked_unseen(
    cands: &[u32],
    from_src: bool,
    src: &Side<'_>,
    dst: &Side<'_>,
    m: &Matching,
) -> Vec<u32> {
    // Source flow (conversation * 2 + direction) and sequence range of a packet.
    let src_seg = |i: u32| -> Option<(u32, u32, u32, u32)> {
        let f = src.fp(i)?;
        let (c, d) = src.conv_of(i)?;
        f.is_tcp()
            .then_some((c * 2 + d, f.seq, f.seq.wrapping_add(f.seq_len()), f.ack))
    };
    let dst_seg = |j: u32| -> Option<(u32, u32, u32, u32)> {
        let f = dst.fp(j)?;
        let (c, d) = dst.conv_of(j)?;
        let p = m.pair_d.get(c as usize).copied().flatten()?;
        let dir = d ^ u32::from(p.flip);
        let seq = f
            .seq
            .wrapping_sub(p.dseq.get(dir as usize).copied().unwrap_or(0));
        let ack = f
            .ack
            .wrapping_sub(p.dack.get(dir as usize).copied().unwrap_or(0));
        f.is_tcp().then_some((
            p.src_conv * 2 + dir,
            seq,
            seq.wrapping_add(f.seq_len()),
            ack,
        ))
    };
    let cand_seg = |x: u32| if from_src { src_seg(x) } else { dst_seg(x) };
    let mut flows: HashMap<u32, u32, FxBuildHasher> = HashMap::default(); // flow -> base seq
    let mut list = Vec::new();
    for &x in cands {
        let Some((fl, a, b, _)) = cand_seg(x) else {
            continue;
        };
        if a == b {
            continue;
        }
        flows.entry(fl).or_insert(a);
        list.push((x, fl, a, b));
    }
    if list.is_empty() {
        return Vec::new();
    }
    // Evidence side: segments per flow, and the highest ack per acknowledged flow.
    let mut segs: HashMap<u32, Vec<(i64, i64)>, FxBuildHasher> = HashMap::default();
    let mut acks: HashMap<u32, i64, FxBuildHasher> = HashMap::default();
    let ev_len = if from_src {
        dst.fps.len()
    } else {
        src.fps.len()
    };
    let ack_flag = super::key::tcp_flags::ACK;
    for k in 0..ev_len as u32 {
        let (seg, fp) = if from_src {
            (dst_seg(k), dst.fp(k))
        } else {
            (src_seg(k), src.fp(k))
        };
        let (Some((fl, a, b, ack)), Some(fp)) = (seg, fp) else {
            continue;
        };
        if let Some(&base) = flows.get(&fl) {
            if a != b {
                segs.entry(fl)
                    .or_default()
                    .push((rel(a, base), rel(b, base)));
            }
        }
        let acked = fl ^ 1;
        if fp.flags & ack_flag != 0 {
            if let Some(&base) = flows.get(&acked) {
                let v = rel(ack, base);
                let e = acks.entry(acked).or_insert(v);
                *e = (*e).max(v);
            }
        }
    }
    for v in segs.values_mut() {
        v.sort_unstable();
        // Prefix maximum of the end, so one binary search answers "covered?".
        let mut mx = i64::MIN;
        for s in v.iter_mut() {
            mx = mx.max(s.1);
            s.1 = mx;
        }
    }
    let mut out = Vec::new();
    for (x, fl, a, b) in list {
        let Some(&base) = flows.get(&fl) else {
            continue;
        };
        let (ra, rb) = (rel(a, base), rel(b, base));
        let acked = acks.get(&fl).is_some_and(|&ack| ack >= rb);
        let seen = segs.get(&fl).is_some_and(|v| {
            let k = v.partition_point(|s| s.0 <= ra);
            k > 0 && v.get(k - 1).is_some_and(|s| s.1 >= rb)
        });
        if acked && !seen {
            out.push(x);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn local_addresses() {
        let v4 = |a: [u8; 4]| {
            let mut o = [0u8; 16];
            o[12..].copy_from_slice(&a);
            o
        };
        assert!(is_local_addr(&v4([169, 254, 1, 1]), false));
        assert!(is_local_addr(&v4([224, 0, 0, 251]), false));
        assert!(is_local_addr(&v4([255, 255, 255, 255]), false));
        assert!(!is_local_addr(&v4([10, 1, 0, 1]), false));
        let mut ll = [0u8; 16];
        ll[0] = 0xfe;
        ll[1] = 0x80;
        assert!(is_local_addr(&ll, true));
        ll[0] = 0x20;
        assert!(!is_local_addr(&ll, true));
    }
}
