//! What the matcher expects of a packet's twin: the raw delay (target time minus source time)
//! of the nearest pair of its flow found without ambiguity, with a tolerance that grows with
//! the time to that pair; else the flow's typical anchor delay, a pair from the same host or
//! subnet, or the coarse offset, with the whole delay window as tolerance.
//!
//! Also the alignment of runs of copies shared by the packet and the byte matcher: an
//! order-preserving alignment with the least total misfit ([`align`]) for small runs, and
//! nearest-in-time candidates, best fits first ([`nearest_fit`]), for floods.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::anchor::{fmix, Anchors};
use super::key::{bits, Fingerprint};
use super::side::NONE;
use crate::flow::{FxHasher, TableState};
use std::collections::HashSet;
use std::hash::Hasher;

/// A pair found without ambiguity: source time, raw delay, TTL change (source - target).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sample {
    pub ts: i64,
    pub r: i64,
    pub ttl_delta: i16,
}

impl Sample {
    pub fn of(a: &Fingerprint, b: &Fingerprint) -> Sample {
        Sample {
            ts: a.ts_ns,
            r: b.ts_ns.saturating_sub(a.ts_ns),
            ttl_delta: i16::from(a.ttl) - i16::from(b.ttl),
        }
    }
}

/// What is expected of a source packet's twin.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Guide {
    /// Expected raw delay.
    pub delay: i64,
    /// Expected TTL change, when the guide is a pair of the same flow or host.
    pub ttl_delta: Option<i16>,
    /// How far from `delay` a twin may be.
    pub tol: u64,
}

/// Smallest tolerance around a flow's local delay (time-stamp resolution, scheduling).
const MIN_TOL: u64 = 2_000_000;
/// How fast a path's delay can plausibly change: the tolerance grows by 1/DRIFT_DIV of the
/// time between a packet and the pair guiding it (100 ms per second).
const DRIFT_DIV: u64 = 10;

/// The guides of all source flows.
pub(crate) struct Guides {
    coarse: i64,
    flow_delay: Vec<i64>,
    window: u64,
    tol: u64,
    /// Samples grouped by source flow, in time order within a flow.
    local: Vec<Sample>,
    /// Where each flow's samples start in `local` (flow f: `local_at[f]..local_at[f + 1]`).
    local_at: Vec<u32>,
    /// For flows without samples: samples by sender (role 0), receiver (1) or sender subnet
    /// (2), as (hashed address and role, sample), sorted.
    by_host: Vec<(u64, Sample)>,
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

/// The sender's subnet (IPv4 /24, IPv6 /64) as a key that no address equals.
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

fn host_hash(a: &[u8; 16], role: u8) -> u64 {
    let mut h = FxHasher::default();
    h.write(a);
    h.write_u8(role);
    fmix(h.finish())
}

fn host_keys(f: &Fingerprint) -> [u64; 3] {
    [
        host_hash(&f.src, 0),
        host_hash(&f.dst, 1),
        host_hash(&prefix(f), 2),
    ]
}

impl Guides {
    /// Builds the guides from unambiguous pairs `(source flow or NONE, source packet,
    /// sample)`. `needy`: (source flow, source packet) of the packets that will ask for a
    /// guide; those whose flow has no pair get their hosts' pairs.
    pub fn build(
        pairs: &[(u32, u32, Sample)],
        n_flows: usize,
        anchors: &Anchors,
        window: u64,
        src: &[Fingerprint],
        needy: impl Iterator<Item = (u32, u32)>,
    ) -> Guides {
        // Group by flow (a counting sort keeps the order of `pairs`, then sort each run).
        let slot = |f: u32| {
            if f == NONE {
                n_flows
            } else {
                (f as usize).min(n_flows)
            }
        };
        let mut at = vec![0u32; n_flows + 2];
        for &(f, _, _) in pairs {
            if let Some(x) = at.get_mut(slot(f) + 1) {
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
            pairs.len()
        ];
        for &(f, _, x) in pairs {
            if let Some(pos) = fill.get_mut(slot(f)) {
                if let Some(s) = local.get_mut(*pos as usize) {
                    *s = x;
                }
                *pos += 1;
            }
        }
        for w in at.windows(2) {
            if let [a, b] = *w {
                if let Some(run) = local.get_mut(a as usize..b as usize) {
                    // Nearly sorted already (pairs come in packet order): stable and adaptive.
                    run.sort_by_key(|x| x.ts);
                }
            }
        }
        // Tolerance: how much a flow's delay moves between neighbouring samples.
        let mut steps: Vec<u64> = Vec::new();
        for w in at.windows(2).take(n_flows) {
            if let [a, b] = *w {
                if let Some(run) = local.get(a as usize..b as usize) {
                    // A few hundred steps per flow say how it moves.
                    let every = (run.len() / 256).max(1);
                    for p in run.windows(2).step_by(every) {
                        if let [x, y] = p {
                            if y.ts.saturating_sub(x.ts) < 1_000_000_000 {
                                steps.push(y.r.saturating_sub(x.r).unsigned_abs());
                            }
                        }
                    }
                }
            }
        }
        let tol = if steps.is_empty() {
            window
        } else {
            let k = (steps.len() * 999 / 1000).min(steps.len() - 1);
            let (_, x, _) = steps.select_nth_unstable(k);
            x.saturating_mul(4).clamp(MIN_TOL.min(window), window)
        };
        let mut g = Guides {
            coarse: anchors.coarse,
            flow_delay: anchors.flow_delay.clone(),
            window,
            tol,
            local,
            local_at: at,
            by_host: Vec::new(),
        };
        // Hosts of packets whose flow has no pair at all.
        let mut orphan: HashSet<u64, TableState> = HashSet::default();
        for (flow, s) in needy {
            let Some(f) = src.get(s as usize) else {
                continue;
            };
            let anchored = flow != NONE
                && g.flow_delay
                    .get(flow as usize)
                    .is_some_and(|&x| x != i64::MIN);
            if g.flow_run(flow).is_empty() && !anchored {
                orphan.extend(host_keys(f));
            }
        }
        if !orphan.is_empty() {
            for &(_, s, x) in pairs {
                let Some(f) = src.get(s as usize) else {
                    continue;
                };
                for h in host_keys(f) {
                    if orphan.contains(&h) {
                        g.by_host.push((h, x));
                    }
                }
            }
            g.by_host.sort_unstable_by_key(|x| (x.0, x.1.ts));
        }
        g
    }

    fn flow_run(&self, flow: u32) -> &[Sample] {
        if flow == NONE {
            return &[];
        }
        match (
            self.local_at.get(flow as usize),
            self.local_at.get(flow as usize + 1),
        ) {
            (Some(&a), Some(&b)) => self.local.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The guide of a source packet `f` of source flow `flow` (or [`NONE`]).
    pub fn guide(&self, flow: u32, f: &Fingerprint) -> Guide {
        let ts = f.ts_ns;
        if let Some(x) = nearest(self.flow_run(flow), ts) {
            let dt = x.ts.saturating_sub(ts).unsigned_abs();
            return Guide {
                delay: x.r,
                ttl_delta: Some(x.ttl_delta),
                tol: self.tol.saturating_add(dt / DRIFT_DIV).min(self.window),
            };
        }
        if flow != NONE {
            if let Some(&fd) = self
                .flow_delay
                .get(flow as usize)
                .filter(|&&x| x != i64::MIN)
            {
                return Guide {
                    delay: self.coarse.saturating_add(fd),
                    ttl_delta: None,
                    tol: self.window,
                };
            }
        }
        if !self.by_host.is_empty() {
            for h in host_keys(f) {
                let a = self.by_host.partition_point(|x| x.0 < h);
                let b = self.by_host.partition_point(|x| x.0 <= h);
                let Some(run) = self.by_host.get(a..b) else {
                    continue;
                };
                let k = run.partition_point(|x| x.1.ts < ts);
                let best = [k.checked_sub(1), Some(k)]
                    .into_iter()
                    .flatten()
                    .filter_map(|i| run.get(i))
                    .map(|x| &x.1)
                    .min_by_key(|x| x.ts.saturating_sub(ts).unsigned_abs());
                if let Some(x) = best {
                    return Guide {
                        delay: x.r,
                        ttl_delta: Some(x.ttl_delta),
                        tol: self.window,
                    };
                }
            }
        }
        Guide {
            delay: self.coarse,
            ttl_delta: None,
            tol: self.window,
        }
    }
}

/// Largest run (sender copies × receiver copies) aligned exactly.
pub(crate) const DP_MAX: usize = 4096;
/// Candidates considered per source packet in a large run.
pub(crate) const PAIR_CAP: usize = 16;

/// Order-preserving alignment of `rs` and `rd` (both in time order) with the most pairs and,
/// among those, the least total cost; `cost(i, j)` is `None` for pairs that cannot be. Calls
/// `pair(i, j)` for the chosen pairs. `rs.len() * rd.len()` must be at most [`DP_MAX`]
/// (larger runs are ignored).
pub(crate) fn align(
    n: usize,
    m: usize,
    skip: u64,
    cost: impl Fn(usize, usize) -> Option<u64>,
    dp: &mut Vec<u64>,
    cm: &mut Vec<u64>,
    mut pair: impl FnMut(usize, usize),
) {
    if n == 0 || m == 0 || n.saturating_mul(m) > DP_MAX {
        return;
    }
    let w = m + 1;
    dp.clear();
    dp.resize((n + 1) * w, 0);
    cm.clear();
    cm.resize(n * m, u64::MAX);
    for i in 0..n {
        for j in 0..m {
            if let (Some(c), Some(x)) = (cost(i, j), cm.get_mut(i * m + j)) {
                *x = c;
            }
        }
    }
    let at = |dp: &Vec<u64>, i: usize, j: usize| dp.get(i * w + j).copied().unwrap_or(u64::MAX);
    let c_of = |i: usize, j: usize| cm.get(i * m + j).copied().unwrap_or(u64::MAX);
    for j in 0..=m {
        if let Some(x) = dp.get_mut(j) {
            *x = skip.saturating_mul(j as u64);
        }
    }
    for i in 1..=n {
        if let Some(x) = dp.get_mut(i * w) {
            *x = skip.saturating_mul(i as u64);
        }
        for j in 1..=m {
            let mut best = at(dp, i - 1, j)
                .saturating_add(skip)
                .min(at(dp, i, j - 1).saturating_add(skip));
            let c = c_of(i - 1, j - 1);
            if c != u64::MAX {
                best = best.min(at(dp, i - 1, j - 1).saturating_add(c));
            }
            if let Some(x) = dp.get_mut(i * w + j) {
                *x = best;
            }
        }
    }
    // Walk back. Terminates: i + j decreases every step.
    let (mut i, mut j) = (n, m);
    while i > 0 && j > 0 {
        let here = at(dp, i, j);
        let c = c_of(i - 1, j - 1);
        if c != u64::MAX && at(dp, i - 1, j - 1).saturating_add(c) == here {
            pair(i - 1, j - 1);
            i -= 1;
            j -= 1;
            continue;
        }
        if at(dp, i - 1, j).saturating_add(skip) == here {
            i -= 1;
        } else {
            j -= 1;
        }
    }
}

/// Large runs: each sender copy against the [`PAIR_CAP`] receiver copies nearest to its
/// expected time, best fits first. `dst_at(j)` is the time of receiver copy `j` (`rd` sorted
/// by it), `want(i)` the expected time of source copy `i`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn nearest_fit(
    n: usize,
    m: usize,
    want: impl Fn(usize) -> i64,
    dst_at: impl Fn(usize) -> i64,
    cost: impl Fn(usize, usize) -> Option<u64>,
    cands: &mut Vec<(u64, u32, u32)>,
    mut pair: impl FnMut(usize, usize),
) {
    cands.clear();
    for i in 0..n {
        let at = want(i);
        let pos = {
            // partition point over 0..m by dst_at < at
            let (mut lo, mut hi) = (0usize, m);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if dst_at(mid) < at {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            lo
        };
        let (mut lo, mut hi) = (pos, pos);
        let dist = |j: usize| dst_at(j).saturating_sub(at).unsigned_abs();
        // Terminates: at most PAIR_CAP steps.
        for _ in 0..PAIR_CAP {
            let left = lo.checked_sub(1);
            let right = (hi < m).then_some(hi);
            let pick = match (left, right) {
                (Some(l), Some(r)) if dist(l) <= dist(r) => {
                    lo = l;
                    l
                }
                (_, Some(r)) => {
                    hi = r + 1;
                    r
                }
                (Some(l), None) => {
                    lo = l;
                    l
                }
                (None, None) => break,
            };
            if let Some(c) = cost(i, pick) {
                cands.push((c, i as u32, pick as u32));
            }
        }
    }
    cands.sort_unstable();
    let mut taken_s = vec![false; n];
    let mut taken_d = vec![false; m];
    for k in 0..cands.len() {
        if let Some(&(_, i, j)) = cands.get(k) {
            let (i, j) = (i as usize, j as usize);
            if taken_s.get(i) == Some(&false) && taken_d.get(j) == Some(&false) {
                if let Some(a) = taken_s.get_mut(i) {
                    *a = true;
                }
                if let Some(b) = taken_d.get_mut(j) {
                    *b = true;
                }
                pair(i, j);
            }
        }
    }
}
