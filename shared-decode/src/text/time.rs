//! Calendar arithmetic for time stamps (UTC plus a fixed offset given by the caller; this
//! crate has no clock and no time-zone database).

use crate::file::Timestamp;
use crate::text::{push_i64, push_u64_pad};
use std::fmt;

/// Year, month (1-12), day (1-31) of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, valid for every i64 day count we can produce).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Broken-down time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    /// Year.
    pub year: i64,
    /// Month 1-12.
    pub month: u32,
    /// Day 1-31.
    pub day: u32,
    /// Hour.
    pub hour: u32,
    /// Minute.
    pub min: u32,
    /// Second.
    pub sec: u32,
}

/// Breaks `secs` (+ `utc_offset` seconds) into calendar fields.
pub fn civil(secs: i64, utc_offset: i64) -> Civil {
    let s = secs.saturating_add(utc_offset);
    let days = s.div_euclid(86_400);
    let rem = s.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    Civil {
        year,
        month,
        day,
        hour: (rem / 3600) as u32,
        min: ((rem / 60) % 60) as u32,
        sec: (rem % 60) as u32,
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Wireshark's `frame.time` form in UTC: `Apr  6, 2017 22:06:23.931377000 UTC`.
pub fn utc_long(ts: Timestamp) -> impl fmt::Display {
    struct D(Timestamp);
    impl fmt::Display for D {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let c = civil(self.0.secs, 0);
            let mon = MONTHS
                .get((c.month as usize).saturating_sub(1))
                .copied()
                .unwrap_or("???");
            write!(
                f,
                "{mon} {:>2}, {} {:02}:{:02}:{:02}.{:09} UTC",
                c.day, c.year, c.hour, c.min, c.sec, self.0.nanos
            )
        }
    }
    D(ts)
}

/// Appends `YYYY-MM-DD`.
pub fn push_date(out: &mut String, c: &Civil) {
    if (0..10_000).contains(&c.year) {
        push_u64_pad(out, c.year as u64, 4);
    } else {
        push_i64(out, c.year);
    }
    out.push('-');
    push_u64_pad(out, u64::from(c.month), 2);
    out.push('-');
    push_u64_pad(out, u64::from(c.day), 2);
}

/// Appends `HH:MM:SS`.
pub fn push_clock(out: &mut String, c: &Civil) {
    push_u64_pad(out, u64::from(c.hour), 2);
    out.push(':');
    push_u64_pad(out, u64::from(c.min), 2);
    out.push(':');
    push_u64_pad(out, u64::from(c.sec), 2);
}

/// Appends a fraction of a second: 6 digits (µs) or 9 (ns).
pub fn push_frac(out: &mut String, nanos: u32, nano_precision: bool) {
    out.push('.');
    if nano_precision {
        push_u64_pad(out, u64::from(nanos), 9);
    } else {
        push_u64_pad(out, u64::from(nanos / 1000), 6);
    }
}

/// Appends a signed duration in nanoseconds as `S.ffffff` (tcpdump `-ttt`) with an optional
/// `HH:MM:SS` style when `clock` is set (tcpdump prints deltas as `00:00:00.000123`).
pub fn push_duration(out: &mut String, ns: i128, nano_precision: bool, clock: bool) {
    let neg = ns < 0;
    let a = ns.unsigned_abs();
    let secs = (a / 1_000_000_000) as u64;
    let nanos = (a % 1_000_000_000) as u32;
    if neg {
        out.push('-');
    }
    if clock {
        push_u64_pad(out, secs / 3600, 2);
        out.push(':');
        push_u64_pad(out, (secs / 60) % 60, 2);
        out.push(':');
        push_u64_pad(out, secs % 60, 2);
    } else {
        crate::text::push_u64(out, secs);
    }
    push_frac(out, nanos, nano_precision);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(17_262), (2017, 4, 6));
        let c = civil(1_491_516_383, 0);
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.min, c.sec),
            (2017, 4, 6, 22, 6, 23)
        );
        // 2106-02-07 06:28:15, the largest u32 time.
        let c = civil(4_294_967_295, 0);
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.min, c.sec),
            (2106, 2, 7, 6, 28, 15)
        );
        let ts = Timestamp {
            secs: 1_491_516_383,
            nanos: 931_377_000,
        };
        assert_eq!(
            utc_long(ts).to_string(),
            "Apr  6, 2017 22:06:23.931377000 UTC"
        );
    }
}
