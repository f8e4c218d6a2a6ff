//! The explicit knobs of a comparison, with the defaults the CLI and the viewer use.

/// How to compare two captures.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Clock offset of the target capture relative to the source (target clock minus
    /// source clock, ns), when the user knows it: skips the estimate and any drift.
    pub offset_ns: Option<i64>,
    /// A packet and its twin may be this far from the expected delay of their flow (ns).
    pub max_delay_ns: i64,
    /// Two identical packets on one side within this time are a duplicate (ns); a tenth of it
    /// when their IP ID is 0 (stacks that send ID 0 make every retry look alike).
    pub dup_window_ns: i64,
    /// Estimate clock drift (ppm) for captures longer than [`Options::min_drift_span_ns`].
    pub estimate_drift: bool,
    /// Shortest capture over which drift is estimated (ns).
    pub min_drift_span_ns: i64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            offset_ns: None,
            max_delay_ns: 2_000_000_000,
            dup_window_ns: 50_000_000,
            estimate_drift: true,
            min_drift_span_ns: 10_000_000_000,
        }
    }
}
