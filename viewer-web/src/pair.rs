//! The viewer's side of a compare: the aligned view of a source and a target capture
//! (one row per source packet with its twin beside it, and a row for each target packet
//! that is nobody's twin, slotted in by clock-corrected time), the per-packet marks that
//! `paircap.compare.*` filters and the details tree read, and the summary the page shows.
//! Plain Rust, tested natively; the compare itself is `shared_decode::compare`.

use crate::proto::{CompareSummary, DirSummary, NatRow, Side, TxKindRow, TxRow, MAX_TX_ROWS};
use shared_decode::compare::{Report, Status, Transactions};
use shared_decode::flow::CompareMark;

/// A finished compare and the view over it.
#[derive(Debug)]
pub struct Cmp {
    /// The engine's findings.
    pub report: Report,
    /// Rows: (source frame, target frame), 0 = none on that side.
    pub aligned: Vec<(u32, u32)>,
    /// Rows shown under the current filter (indexes into `aligned`); `None` = all.
    pub view: Option<Vec<u32>>,
}

impl Cmp {
    /// Rows shown.
    pub fn displayed(&self) -> usize {
        self.view.as_ref().map_or(self.aligned.len(), Vec::len)
    }

    /// The (source, target) frames at a display position.
    pub fn at(&self, pos: usize) -> Option<(u32, u32)> {
        let i = match &self.view {
            Some(v) => *v.get(pos)? as usize,
            None => pos,
        };
        self.aligned.get(i).copied()
    }

    /// The status of a row (of its source packet, or of its target packet when alone).
    pub fn status(&self, row: (u32, u32)) -> Status {
        let st = |v: &Vec<Status>, f: u32| v.get((f as usize).wrapping_sub(1)).copied();
        match row {
            (s, _) if s != 0 => st(&self.report.src_status, s).unwrap_or_default(),
            (_, d) => st(&self.report.dst_status, d).unwrap_or_default(),
        }
    }

    /// One-way delay of a row from its sender, ms (rows with both packets).
    pub fn delay_ms(&self, row: (u32, u32)) -> Option<f64> {
        if row.0 == 0 || row.1 == 0 {
            return None;
        }
        let d = *self.report.delay_ns.get((row.0 as usize).checked_sub(1)?)?;
        let d = if d == i64::MIN {
            // A piece of a split super-segment: its own delay.
            *self
                .report
                .dst_delay_ns
                .get((row.1 as usize).checked_sub(1)?)?
        } else {
            d
        };
        (d != i64::MIN).then(|| d as f64 / 1e6)
    }

    /// The capture that sent a row's packet: `"source"`, `"target"` or `""`.
    pub fn sent_by(&self, row: (u32, u32)) -> &'static str {
        let d = match row {
            (s, _) if s != 0 => self.report.src_direction.get(s as usize - 1),
            (_, d) if d != 0 => self.report.dst_direction.get(d as usize - 1),
            _ => None,
        };
        match d {
            Some(shared_decode::compare::Direction::SourceToTarget) => "source",
            Some(shared_decode::compare::Direction::TargetToSource) => "target",
            _ => "",
        }
    }

    /// Display position of the row holding a frame of one side.
    pub fn position_of(&self, side: usize, frame: u32) -> Option<usize> {
        let i = self.aligned.iter().position(|r| {
            if side == 0 {
                r.0 == frame
            } else {
                r.1 == frame
            }
        })? as u32;
        match &self.view {
            Some(v) => v.iter().position(|&x| x == i),
            None => Some(i as usize),
        }
    }
}

/// Per-packet marks for both files (index = frame number - 1).
pub fn marks(r: &Report) -> (Vec<CompareMark>, Vec<CompareMark>) {
    let src = r
        .src_status
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let d = r.delay_ns.get(i).copied().unwrap_or(i64::MIN);
            CompareMark {
                status: s.name(),
                twin: r.src_twin.get(i).copied().unwrap_or(0),
                delay_ns: (d != i64::MIN).then_some(d),
            }
        })
        .collect();
    let dst = r
        .dst_status
        .iter()
        .enumerate()
        .map(|(i, s)| CompareMark {
            status: s.name(),
            twin: r.dst_twin.get(i).copied().unwrap_or(0),
            delay_ns: None,
        })
        .collect();
    (src, dst)
}

/// The aligned rows: every source packet in file order with its twin, and every target
/// packet that is not the twin of a source packet (extra, duplicates, the target's own
/// traffic) at its clock-corrected time. `src_ts`/`dst_ts`: time stamps by frame number.
pub fn align(
    r: &Report,
    src_ts: impl Fn(u32) -> i64,
    dst_ts: impl Fn(u32) -> i64,
) -> Vec<(u32, u32)> {
    let mut rows: Vec<(i64, u8, u32, u32)> =
        Vec::with_capacity(r.src_status.len() + r.dst_status.len() / 8);
    for (i, &twin) in r.src_twin.iter().enumerate() {
        let f = i as u32 + 1;
        rows.push((src_ts(f), 0, f, twin));
    }
    for (j, &twin) in r.dst_twin.iter().enumerate() {
        let f = j as u32 + 1;
        let covered = twin != 0 && r.src_twin.get(twin as usize - 1).copied() == Some(f);
        if !covered {
            let t = dst_ts(f);
            rows.push((t.saturating_sub(r.clock.offset_at(t)), 1, 0, f));
        }
    }
    // Stable: source rows keep file order among equal times; target-only rows follow.
    rows.sort_by_key(|x| (x.0, x.1));
    rows.into_iter().map(|x| (x.2, x.3)).collect()
}

/// Rows whose source or target packet passed a filter.
pub fn filter_rows(aligned: &[(u32, u32)], src_ok: &[bool], dst_ok: &[bool]) -> Vec<u32> {
    let ok = |v: &[bool], f: u32| f != 0 && v.get(f as usize - 1).copied().unwrap_or(false);
    aligned
        .iter()
        .enumerate()
        .filter(|(_, r)| ok(src_ok, r.0) || ok(dst_ok, r.1))
        .map(|(i, _)| i as u32)
        .collect()
}

fn proto_name(p: u8) -> String {
    match p {
        1 => "ICMP".into(),
        6 => "TCP".into(),
        17 => "UDP".into(),
        58 => "ICMPv6".into(),
        x => format!("IP proto {x}"),
    }
}

/// The transactions for the summary panel: the slowest rows and the per-kind statistics.
pub fn transaction_rows(t: &Transactions) -> (Vec<TxRow>, Vec<TxKindRow>) {
    let ms = |ns: i64| ns as f64 / 1e6;
    let rows = t
        .list
        .iter()
        .take(MAX_TX_ROWS)
        .map(|x| TxRow {
            kind: x.kind.name().to_string(),
            what: x.what.clone(),
            client: x.client.clone(),
            server: x.server.clone(),
            client_side: if x.client_at_source {
                Side::Source
            } else {
                Side::Target
            },
            client_request: x.client_request,
            client_request_last: x.client_request_last,
            client_response: x.client_response,
            server_request_last: x.server_request_last,
            server_response: x.server_response,
            total_ms: ms(x.total_ns),
            there_ms: ms(x.there_ns),
            server_ms: ms(x.server_ns),
            back_ms: ms(x.back_ns),
            wait_ms: ms(x.wait_ns),
        })
        .collect();
    let pp = |p: &Option<shared_decode::compare::Percentiles>| {
        p.as_ref()
            .map_or((f64::NAN, f64::NAN), |p| (ms(p.p50), ms(p.p99)))
    };
    let kinds = t
        .stats
        .iter()
        .map(|(k, s)| TxKindRow {
            kind: k.name().to_string(),
            label: k.label().to_string(),
            count: s.count,
            incomplete: s.incomplete,
            total: pp(&s.total),
            there: pp(&s.there),
            server: pp(&s.server),
            back: pp(&s.back),
        })
        .collect();
    (rows, kinds)
}

/// What the summary panel shows. `src_first_ns`: the source's first time stamp (the delay
/// plot's time axis starts there).
pub fn summarize(r: &Report, src_ts: impl Fn(u32) -> i64, src_first_ns: i64) -> CompareSummary {
    let c = &r.counts;
    let pct = |p: &Option<shared_decode::compare::Percentiles>| {
        p.as_ref().map_or(Vec::new(), |p| {
            [
                ("min", p.min),
                ("p5", p.p5),
                ("median", p.p50),
                ("p95", p.p95),
                ("p99", p.p99),
                ("max", p.max),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v as f64 / 1e6))
            .collect()
        })
    };
    let nat = r
        .nat
        .iter()
        .take(50)
        .map(|n| NatRow {
            proto: proto_name(n.proto),
            inside: format!("{} → {}", n.inside[0], n.inside[1]),
            outside: format!("{} → {}", n.outside[0], n.outside[1]),
            packets: n.packets,
        })
        .collect();
    // Delay over time: the lowest and highest delay in each of 600 time buckets (the plot
    // keeps spikes and the floor without drawing a million points).
    let pts: Vec<(i64, i64)> = r
        .delay_ns
        .iter()
        .enumerate()
        .filter(|(_, d)| **d != i64::MIN)
        .map(|(i, d)| (src_ts(i as u32 + 1) - src_first_ns, *d))
        .collect();
    let mut series = Vec::new();
    if let (Some(first), Some(last)) =
        (pts.iter().map(|p| p.0).min(), pts.iter().map(|p| p.0).max())
    {
        const B: usize = 600;
        let span = (last - first).max(1);
        let mut lo = vec![i64::MAX; B];
        let mut hi = vec![i64::MIN; B];
        for &(t, d) in &pts {
            let b = (((t - first) as f64 / span as f64) * (B - 1) as f64) as usize;
            if let (Some(l), Some(h)) = (lo.get_mut(b.min(B - 1)), hi.get_mut(b.min(B - 1))) {
                *l = (*l).min(d);
                *h = (*h).max(d);
            }
        }
        for b in 0..B {
            let t = (first + span * b as i64 / (B as i64 - 1)) as f64 / 1e9;
            if let (Some(&l), Some(&h)) = (lo.get(b), hi.get(b)) {
                if l != i64::MAX {
                    series.push((t, l as f64 / 1e6));
                    if h != l {
                        series.push((t, h as f64 / 1e6));
                    }
                }
            }
        }
    }
    // Histogram between the 1st and 99th percentile of all delays, 40 bins.
    let mut ds: Vec<i64> = pts.iter().map(|p| p.1).collect();
    ds.sort_unstable();
    let (mut histogram, mut bin_ms) = (Vec::new(), 0.0);
    if let (Some(&a), Some(&b)) = (
        ds.get(ds.len() / 100),
        ds.get(ds.len().saturating_sub(1) * 99 / 100),
    ) {
        const N: usize = 40;
        let (lo, hi) = (a as f64 / 1e6, (b as f64 / 1e6).max(a as f64 / 1e6 + 0.001));
        bin_ms = (hi - lo) / N as f64;
        let mut counts = vec![0u64; N];
        for &d in &ds {
            let x = d as f64 / 1e6;
            let k = (((x - lo) / bin_ms).floor().max(0.0) as usize).min(N - 1);
            if let Some(c) = counts.get_mut(k) {
                *c += 1;
            }
        }
        histogram = counts
            .into_iter()
            .enumerate()
            .map(|(k, n)| (lo + k as f64 * bin_ms, n))
            .collect();
    }
    let dirs = c
        .dirs
        .iter()
        .zip(["source → target", "target → source"])
        .map(|(d, name)| DirSummary {
            name: name.to_string(),
            sent: d.sent,
            matched: d.matched,
            lost: d.lost,
            partly_lost: d.partly_lost,
            bytes_lost: d.bytes_lost,
            duplicated: d.duplicated,
            reordered: d.reordered,
            modified: d.modified,
            capture_drop: d.capture_drop,
            extra: d.extra,
        })
        .collect();
    let (tx_rows, tx_kinds) = r
        .transactions
        .as_ref()
        .map(transaction_rows)
        .unwrap_or_default();
    CompareSummary {
        dirs,
        partly_lost: c.partly_lost,
        capture_drop: c.capture_drop,
        transactions: tx_rows,
        tx_total: r.transactions.as_ref().map_or(0, |t| t.list.len() as u64),
        tx_kinds,
        counts: Status::ALL
            .iter()
            .map(|&s| (s.name().to_string(), c.src(s), c.dst(s)))
            .collect(),
        matched: c.matched,
        lost: c.lost,
        extra: c.extra,
        duplicated: c.duplicated,
        reordered: c.reordered,
        modified: c.modified,
        offset_ms: r.clock.offset_ns as f64 / 1e6,
        // Unknown (one-way captures cannot separate offset and delay): NaN, shown as such.
        uncertainty_ms: if r.clock.uncertainty_ns == i64::MAX {
            f64::NAN
        } else {
            r.clock.uncertainty_ns as f64 / 1e6
        },
        drift_ppm: r.clock.drift_ppm,
        clock_method: r.clock.method.name().to_string(),
        delay_s2t: pct(&r.delay_s2t),
        delay_t2s: pct(&r.delay_t2s),
        nat,
        nat_total: r.nat.len() as u64,
        modified_fields: r
            .modified_fields
            .iter()
            .map(|(f, n)| ((*f).to_string(), *n))
            .collect(),
        diagnosis: r.diagnosis.clone(),
        delay_series: series,
        histogram,
        bin_ms,
        names: (r.src_info.name.clone(), r.dst_info.name.clone()),
    }
}
