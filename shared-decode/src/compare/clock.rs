//! Clock offset and drift between the two captures, from the matched pairs.
//!
//! A pair's raw delay is `r = t_target - t_source = offset + d` for a packet that passes the
//! source first (`d >= 0`, its one-way delay), and `offset - d` for one that passes the
//! target first. Within a conversation, the direction whose delays are larger passes the
//! source first. Across all conversations, then, the offset lies between the largest delay
//! of the target-first packets and the smallest of the source-first ones (the lower
//! envelopes of the one-way delays in both directions, as NTP reasons): the estimate is the
//! middle of that interval and the uncertainty its half-width. Order statistics with a small
//! trim (one in [`TRIM`]) keep a rare wrong pair from moving the envelope.
//!
//! When every packet passes the source first (the envelopes cross), offset and minimum delay
//! cannot be told apart: the offset is the lower envelope, and delays are relative to the
//! fastest packet ([`ClockMethod::OneWay`]).
//!
//! Drift: for captures longer than [`Options::min_drift_span_ns`], the envelope midpoint is
//! computed in time windows and a Theil–Sen line fitted through them; a slope is kept only
//! when it stands out of the windows' scatter (and is below [`MAX_DRIFT_PPM`]).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::config::Options;
use super::report::{ClockEstimate, ClockMethod, Direction};

/// One pair in every this many is allowed to lie beyond the envelope.
const TRIM: usize = 10_000;
/// Windows for the drift fit.
const WINDOWS: usize = 32;
/// Largest credible drift (quartz clocks are within ±100 ppm; NTP allows ±500).
const MAX_DRIFT_PPM: f64 = 1000.0;

/// A matched pair for the estimate.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sample {
    /// Source time stamp.
    pub s_ts: i64,
    /// Raw delay, target minus source time stamp.
    pub r: i64,
    /// Source flow: conversation * 2 + direction.
    pub flow: u32,
    /// Which way the TTL says the packet went: +1 source to target (the target saw a lower
    /// TTL), -1 target to source, 0 no router between or not IP.
    pub hop: i8,
}

pub(crate) struct ClockResult {
    pub clock: ClockEstimate,
    /// Per source flow.
    pub flow_dir: Vec<Direction>,
}

/// The `k`-th smallest (0-based, clamped) value.
fn kth_smallest(v: &mut [i64], k: usize) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    let k = k.min(v.len() - 1);
    let (_, x, _) = v.select_nth_unstable(k);
    Some(*x)
}

fn trim_k(n: usize) -> usize {
    n / TRIM
}

fn low_envelope(v: &mut [i64]) -> Option<i64> {
    let k = trim_k(v.len());
    kth_smallest(v, k)
}

fn high_envelope(v: &mut [i64]) -> Option<i64> {
    let k = trim_k(v.len());
    let n = v.len();
    kth_smallest(v, n.saturating_sub(1 + k))
}

fn median_f(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied()
}

/// Estimates the clock from matched pairs. `ref_ns` is the source time the offset refers to.
pub(crate) fn estimate(
    samples: &mut [Sample],
    n_flows: usize,
    ref_ns: i64,
    opts: &Options,
) -> ClockResult {
    let mut flow_dir = vec![Direction::Unknown; n_flows];
    let mut clock = ClockEstimate {
        ref_ns,
        samples: samples.len() as u64,
        ..ClockEstimate::default()
    };
    // Median raw delay per flow.
    super::sort::by_key(samples, |s| u64::from(s.flow), |s| (s.flow, s.r));
    let mut flow_med: Vec<Option<i64>> = vec![None; n_flows];
    for g in samples.chunk_by(|a, b| a.flow == b.flow) {
        if let (Some(first), Some(mid)) = (g.first(), g.get(g.len() / 2)) {
            if let Some(x) = flow_med.get_mut(first.flow as usize) {
                *x = Some(mid.r);
            }
        }
    }
    // Conversations seen in both directions: the slower-looking direction passes the source
    // first ("up"), the other the target first ("down").
    // Per flow: 1 = up, 2 = down, 0 = one direction only.
    let mut class = vec![0u8; n_flows];
    for c in 0..n_flows / 2 {
        let (m0, m1) = (
            flow_med.get(2 * c).copied().flatten(),
            flow_med.get(2 * c + 1).copied().flatten(),
        );
        if let (Some(m0), Some(m1)) = (m0, m1) {
            let (u, d) = if m0 >= m1 {
                (2 * c, 2 * c + 1)
            } else {
                (2 * c + 1, 2 * c)
            };
            if let Some(x) = class.get_mut(u) {
                *x = 1;
            }
            if let Some(x) = class.get_mut(d) {
                *x = 2;
            }
        }
    }
    // A router between the captures says more than the time stamps: where nearly every pair
    // shows a TTL change, both ways, each flow's direction is the way its TTL went (a flow's
    // packets all go one way). With jitter as large as the path's delay, the two directions'
    // median delays overlap and the comparison above guesses; the TTL does not.
    let (pos, neg) = samples
        .iter()
        .fold((0usize, 0usize), |(p, n), s| match s.hop {
            1 => (p + 1, n),
            -1 => (p, n + 1),
            _ => (p, n),
        });
    if pos >= 10 && neg >= 10 && (pos + neg) * 10 >= samples.len() * 9 {
        for g in samples.chunk_by(|a, b| a.flow == b.flow) {
            let Some(f) = g.first().map(|x| x.flow as usize) else {
                continue;
            };
            let votes: i64 = g.iter().map(|x| i64::from(x.hop)).sum();
            if let Some(x) = class.get_mut(f) {
                *x = match votes.signum() {
                    1 => 1,
                    -1 => 2,
                    _ => *x,
                };
            }
        }
    }
    let cls = |s: &Sample| class.get(s.flow as usize).copied().unwrap_or(0);
    if let Some(o) = opts.offset_ns {
        clock.offset_ns = o;
        clock.method = ClockMethod::Manual;
        clock.uncertainty_ns = 0;
    } else if samples.is_empty() {
        clock.method = ClockMethod::None;
        clock.uncertainty_ns = i64::MAX;
    } else {
        let two_way_possible =
            samples.iter().any(|s| cls(s) == 1) && samples.iter().any(|s| cls(s) == 2);
        // Drift first (windows), then the envelopes of the detrended delays.
        let (t0, t1) = samples.iter().fold((i64::MAX, i64::MIN), |(a, b), s| {
            (a.min(s.s_ts), b.max(s.s_ts))
        });
        let span = t1.saturating_sub(t0);
        let mut slope = 0.0f64; // ns per ns
        if opts.estimate_drift && span >= opts.min_drift_span_ns && samples.len() >= 4 * WINDOWS {
            slope = fit_drift(samples, &cls, t0, span, two_way_possible);
        }
        let detrend = |s: &Sample| -> i64 {
            s.r.saturating_sub(((s.s_ts.saturating_sub(ref_ns)) as f64 * slope).round() as i64)
        };
        let mut up: Vec<i64> = Vec::new();
        let mut down: Vec<i64> = Vec::new();
        let mut all: Vec<i64> = Vec::with_capacity(samples.len());
        for s in samples.iter() {
            let r = detrend(s);
            all.push(r);
            match cls(s) {
                1 => up.push(r),
                2 => down.push(r),
                _ => {}
            }
        }
        let hi = low_envelope(&mut up);
        let lo = high_envelope(&mut down);
        // Tolerance for time-stamp resolution (microsecond files) on near-zero delays.
        const TOL: i64 = 20_000;
        // Crossed envelopes with a router between the captures: when the TTLs say the
        // "down" packets really went target to source (and the "up" ones the other way),
        // the traffic is two-way whatever the time stamps suggest — with a path of a few
        // microseconds, offloads' time stamps (a super-segment stamped at its first byte
        // at one end and its last at the other) can cross the envelopes by tens of µs.
        let ttl_two_way = two_way_possible && {
            let (mut agree, mut against) = (0u64, 0u64);
            for s in samples.iter() {
                match (cls(s), s.hop) {
                    (1, 1) | (2, -1) => agree += 1,
                    (1, -1) | (2, 1) => against += 1,
                    _ => {}
                }
            }
            let down_ttl = samples
                .iter()
                .filter(|s| cls(s) == 2 && s.hop == -1)
                .count();
            down_ttl >= 3 && agree >= 9 * against.max(1)
        };
        match (lo, hi) {
            (Some(lo), Some(hi)) if lo > hi.saturating_add(TOL) && ttl_two_way => {
                clock.method = ClockMethod::TwoWay;
                clock.offset_ns = lo / 2 + hi / 2 + (lo % 2 + hi % 2) / 2;
                clock.uncertainty_ns = (lo.saturating_sub(hi) / 2).max(0);
            }
            (Some(lo), Some(hi)) if lo <= hi.saturating_add(TOL) => {
                clock.method = ClockMethod::TwoWay;
                let mid = lo / 2 + hi / 2 + (lo % 2 + hi % 2) / 2;
                // The midpoint of the whole capture's envelopes rests on two extreme packets;
                // the median of per-window midpoints averages out which direction happened to
                // see the faster moments (kept inside the hard bounds).
                clock.offset_ns = windowed_midpoint(samples, &cls, &detrend)
                    .map_or(mid, |m| m.clamp(lo.min(hi), hi.max(lo)));
                clock.uncertainty_ns = (hi.saturating_sub(lo) / 2).max(0);
            }
            _ => {
                clock.method = ClockMethod::OneWay;
                clock.offset_ns = low_envelope(&mut all).unwrap_or(0);
                clock.uncertainty_ns = i64::MAX;
            }
        }
        clock.drift_ppm = slope * 1e6;
    }
    // Direction of every flow with pairs: up/down in two-way mode, else by the sign of its
    // median delay corrected for the offset and drift at each pair's time; one-way: all
    // source first.
    let mut corrected: Vec<i64> = Vec::new();
    for g in samples.chunk_by(|a, b| a.flow == b.flow) {
        let Some(f) = g.first().map(|x| x.flow as usize) else {
            continue;
        };
        corrected.clear();
        corrected.extend(
            g.iter()
                .map(|x| x.r.saturating_sub(clock.offset_at(x.s_ts))),
        );
        let Some(m) = kth_smallest(&mut corrected, g.len() / 2) else {
            continue;
        };
        let by_sign = if m >= 0 {
            Direction::SourceToTarget
        } else {
            Direction::TargetToSource
        };
        let d = match clock.method {
            ClockMethod::OneWay => Direction::SourceToTarget,
            // A known offset: the sign of the corrected delay says which side is first.
            ClockMethod::Manual => by_sign,
            _ => match class.get(f).copied().unwrap_or(0) {
                1 => Direction::SourceToTarget,
                2 => Direction::TargetToSource,
                _ => by_sign,
            },
        };
        if let Some(x) = flow_dir.get_mut(f) {
            *x = d;
        }
    }
    ClockResult { clock, flow_dir }
}

/// Median over time windows of the midpoint between the two directions' envelopes, when at
/// least [`MIN_WINDOWS`] windows have [`MIN_PER_WINDOW`] pairs each way.
fn windowed_midpoint(
    samples: &[Sample],
    cls: &dyn Fn(&Sample) -> u8,
    detrend: &dyn Fn(&Sample) -> i64,
) -> Option<i64> {
    const MIN_WINDOWS: usize = 8;
    const MIN_PER_WINDOW: usize = 20;
    let (t0, t1) = samples.iter().fold((i64::MAX, i64::MIN), |(a, b), s| {
        (a.min(s.s_ts), b.max(s.s_ts))
    });
    let width = (t1.saturating_sub(t0) / WINDOWS as i64).max(1);
    let mut up: Vec<Vec<i64>> = vec![Vec::new(); WINDOWS];
    let mut down: Vec<Vec<i64>> = vec![Vec::new(); WINDOWS];
    for s in samples {
        let w = ((s.s_ts.saturating_sub(t0) / width).max(0) as usize).min(WINDOWS - 1);
        let v = match cls(s) {
            1 => up.get_mut(w),
            2 => down.get_mut(w),
            _ => None,
        };
        if let Some(v) = v {
            v.push(detrend(s));
        }
    }
    let mut mids: Vec<i64> = Vec::new();
    for (u, d) in up.iter_mut().zip(down.iter_mut()) {
        if u.len() < MIN_PER_WINDOW || d.len() < MIN_PER_WINDOW {
            continue;
        }
        if let (Some(h), Some(l)) = (low_envelope(u), high_envelope(d)) {
            mids.push(l / 2 + h / 2);
        }
    }
    if mids.len() < MIN_WINDOWS {
        return None;
    }
    let k = mids.len() / 2;
    kth_smallest(&mut mids, k)
}

/// Theil–Sen slope (ns/ns) through per-window envelope midpoints; 0 when not significant.
fn fit_drift(
    samples: &[Sample],
    cls: &dyn Fn(&Sample) -> u8,
    t0: i64,
    span: i64,
    two_way: bool,
) -> f64 {
    let width = (span / WINDOWS as i64).max(1);
    let mut up: Vec<Vec<i64>> = vec![Vec::new(); WINDOWS];
    let mut down: Vec<Vec<i64>> = vec![Vec::new(); WINDOWS];
    for s in samples {
        let w = (((s.s_ts.saturating_sub(t0)) / width).max(0) as usize).min(WINDOWS - 1);
        let c = cls(s);
        let target = if !two_way || c == 1 {
            up.get_mut(w)
        } else if c == 2 {
            down.get_mut(w)
        } else {
            None
        };
        if let Some(v) = target {
            v.push(s.r);
        }
    }
    let mut pts: Vec<(f64, f64)> = Vec::new();
    for (w, (u, d)) in up.iter_mut().zip(down.iter_mut()).enumerate() {
        let center = (t0 as f64) + (w as f64 + 0.5) * width as f64;
        let m = if two_way {
            match (low_envelope(u), high_envelope(d)) {
                (Some(h), Some(l)) => (h as f64 + l as f64) / 2.0,
                _ => continue,
            }
        } else {
            match low_envelope(u) {
                Some(h) => h as f64,
                None => continue,
            }
        };
        pts.push((center, m));
    }
    if pts.len() < 4 {
        return 0.0;
    }
    let mut slopes: Vec<f64> = Vec::with_capacity(pts.len() * pts.len() / 2);
    for (i, a) in pts.iter().enumerate() {
        for b in pts.iter().skip(i + 1) {
            let dt = b.0 - a.0;
            if dt > 0.0 {
                slopes.push((b.1 - a.1) / dt);
            }
        }
    }
    let Some(slope) = median_f(&mut slopes) else {
        return 0.0;
    };
    // Significance: the change over the capture against the scatter of the windows.
    let mut icpt: Vec<f64> = pts.iter().map(|p| p.1 - slope * p.0).collect();
    let Some(c) = median_f(&mut icpt) else {
        return 0.0;
    };
    let mut dev: Vec<f64> = pts.iter().map(|p| (p.1 - slope * p.0 - c).abs()).collect();
    let sigma = 1.4826 * median_f(&mut dev).unwrap_or(0.0);
    let mean_t = pts.iter().map(|p| p.0).sum::<f64>() / pts.len() as f64;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mean_t).powi(2)).sum();
    let se = if sxx > 0.0 {
        sigma / sxx.sqrt()
    } else {
        f64::INFINITY
    };
    if slope.abs() > 4.0 * se && slope.abs() * 1e6 < MAX_DRIFT_PPM {
        slope
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A path of a few µs whose offload time stamps cross the envelopes: the TTLs decide.
    #[test]
    fn crossed_envelopes_are_two_way_when_the_ttls_say_so() {
        let mk = |hop_up: i8, hop_down: i8| -> Vec<Sample> {
            let mut v = Vec::new();
            for i in 0..50i64 {
                // Up (source first): +3..+60 µs, one super-segment stamped 40 µs early.
                let r = if i == 7 { -40_000 } else { 3_000 + i * 1_000 };
                v.push(Sample {
                    s_ts: i * 1_000_000,
                    r,
                    flow: 0,
                    hop: hop_up,
                });
                // Down (target first): -3..-60 µs, one stamped 30 µs late.
                let r = if i == 9 { 30_000 } else { -3_000 - i * 1_000 };
                v.push(Sample {
                    s_ts: i * 1_000_000 + 500_000,
                    r,
                    flow: 1,
                    hop: hop_down,
                });
            }
            v
        };
        let opts = Options::default();
        let r = estimate(&mut mk(1, -1), 3, 0, &opts);
        assert_eq!(r.clock.method, ClockMethod::TwoWay);
        assert!(r.clock.offset_ns.abs() <= 40_000, "{}", r.clock.offset_ns);
        assert_eq!(r.flow_dir.get(1), Some(&Direction::TargetToSource));
        // The same time stamps, every TTL saying source first: one-way.
        let r = estimate(&mut mk(1, 1), 3, 0, &opts);
        assert_eq!(r.clock.method, ClockMethod::OneWay);
    }
}
