//! The compare's IO graph: per interval of source time, the packets each capture holds and
//! what was lost, duplicated or extra, by the capture that sent them — the two captures'
//! rates side by side, with the losses where they happened.

use super::report::{Report, Status};

/// Most intervals drawn (a longer pair gets a longer interval).
pub const MAX_ROWS: usize = 100_000;

/// The pair's rows: `src_ns`/`dst_ns` are each capture's packet times (index = frame - 1);
/// target times are brought to the source clock with the report's clock estimate. Each row
/// filters (in the source capture) to its interval. `interval_ns` 0 picks one that gives
/// about 100 rows.
pub fn grid(r: &Report, src_ns: &[i64], dst_ns: &[i64], interval_ns: u64) -> crate::stats::Grid {
    let mut g = crate::stats::Grid::default();
    for name in [
        "Interval start (s)",
        "Source packets",
        "Target packets",
        "Lost (sent at source)",
        "Lost (sent at target)",
        "Duplicated",
        "Extra",
    ] {
        g.columns.push(name.to_string());
        g.numeric.push(true);
    }
    let to_src = |t: i64| t.saturating_sub(r.clock.offset_at(t.saturating_sub(r.clock.offset_ns)));
    let first = src_ns
        .iter()
        .copied()
        .chain(dst_ns.iter().map(|&t| to_src(t)))
        .min();
    let last = src_ns
        .iter()
        .copied()
        .chain(dst_ns.iter().map(|&t| to_src(t)))
        .max();
    let (Some(first), Some(last)) = (first, last) else {
        return g;
    };
    let span = u64::try_from(last.saturating_sub(first)).unwrap_or(0);
    let interval = if interval_ns > 0 {
        interval_ns.max(span / MAX_ROWS as u64 + 1)
    } else {
        nice_interval(span / 100)
    };
    let n = (span / interval) as usize + 1;
    // [source, target, lost at source, lost at target, duplicated, extra]
    let mut rows = vec![[0u64; 6]; n];
    let mut add = |t: i64, col: usize| {
        let k = (u64::try_from(t.saturating_sub(first)).unwrap_or(0) / interval) as usize;
        if let Some(row) = rows.get_mut(k) {
            if let Some(c) = row.get_mut(col) {
                *c += 1;
            }
        }
    };
    for (i, &t) in src_ns.iter().enumerate() {
        add(t, 0);
        match r.src_status.get(i) {
            Some(Status::Lost | Status::PartlyLost) => add(t, 2),
            Some(Status::Duplicated) => add(t, 4),
            Some(Status::Extra) => add(t, 5),
            _ => {}
        }
    }
    for (j, &t) in dst_ns.iter().enumerate() {
        let t = to_src(t);
        add(t, 1);
        match r.dst_status.get(j) {
            Some(Status::Lost | Status::PartlyLost) => add(t, 3),
            Some(Status::Duplicated) => add(t, 4),
            Some(Status::Extra) => add(t, 5),
            _ => {}
        }
    }
    for (k, row) in rows.iter().enumerate() {
        let start = first + (interval as i64).saturating_mul(k as i64);
        let mut cells = vec![format!("{:.6}", (interval as f64 * k as f64) / 1e9)];
        cells.extend(row.iter().map(u64::to_string));
        let (a, b) = (start, start.saturating_add(interval as i64));
        g.rows.push((
            cells,
            Some(format!(
                "frame.time_epoch >= {}.{:09} && frame.time_epoch < {}.{:09}",
                a.div_euclid(1_000_000_000),
                a.rem_euclid(1_000_000_000),
                b.div_euclid(1_000_000_000),
                b.rem_euclid(1_000_000_000)
            )),
        ));
    }
    g
}

/// 1, 2 or 5 times a power of ten nanoseconds, at least `ns` (and at least 1 µs).
pub fn nice_interval(ns: u64) -> u64 {
    let mut p = 1_000u64;
    loop {
        for m in [1u64, 2, 5] {
            let v = p.saturating_mul(m);
            if v >= ns || v == u64::MAX {
                return v;
            }
        }
        p = p.saturating_mul(10);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn nice_intervals() {
        assert_eq!(nice_interval(0), 1_000);
        assert_eq!(nice_interval(1_500), 2_000);
        assert_eq!(nice_interval(30_000_000), 50_000_000);
        assert_eq!(nice_interval(1_000_000_000), 1_000_000_000);
    }

    #[test]
    fn losses_fall_in_the_interval_their_sender_sent_them() {
        let r = Report {
            src_status: vec![Status::Matched, Status::Lost, Status::Matched],
            dst_status: vec![Status::Matched, Status::Matched, Status::Lost],
            ..Report::default()
        };
        let s = [0, 1_500_000_000, 2_500_000_000];
        let d = [10_000_000, 2_510_000_000, 2_600_000_000];
        let g = grid(&r, &s, &d, 1_000_000_000);
        let rows: Vec<Vec<String>> = g.rows.iter().map(|r| r.0.clone()).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0][1..], ["1", "1", "0", "0", "0", "0"]);
        assert_eq!(rows[1][1..], ["1", "0", "1", "0", "0", "0"]);
        assert_eq!(rows[2][1..], ["1", "2", "0", "1", "0", "0"]);
        assert_eq!(
            g.rows[1].1.as_deref(),
            Some("frame.time_epoch >= 1.000000000 && frame.time_epoch < 2.000000000")
        );
    }
}
