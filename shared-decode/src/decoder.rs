//! The one decode path: numbers frames, keeps capture-relative times, dissects, and runs
//! flow analysis, in file order. The CLI, the viewer's worker and the tests all use it.

use crate::dissect::{self, DissectOptions, Packet};
use crate::file::{Record, Timestamp};
use crate::flow::Tracker;

/// Turns records into analysed packets, one after another.
#[derive(Debug, Default)]
pub struct Decoder {
    tracker: Tracker,
    opts: DissectOptions,
    first_ts: Option<Timestamp>,
    prev_ts: Option<Timestamp>,
    count: u64,
    no_flows: bool,
}

impl Decoder {
    /// A decoder that dissects everything.
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// A decoder with options (e.g. lazy dissection for filtering).
    pub fn with_options(opts: DissectOptions) -> Decoder {
        Decoder {
            opts,
            ..Decoder::default()
        }
    }

    /// Skips flow analysis (stream indexes, relative sequence numbers, TCP analysis flags):
    /// for outputs that do not show them, such as tcpdump-style text, which keeps its own
    /// per-connection state.
    pub fn without_flows(mut self) -> Decoder {
        self.no_flows = true;
        self
    }

    /// Changes how deep the following packets are dissected.
    pub fn set_options(&mut self, opts: DissectOptions) {
        self.opts = opts;
    }

    /// Frames decoded so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The flow tracker.
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// Decodes the next record of the capture.
    #[inline]
    pub fn decode<'a>(&mut self, rec: &Record<'a>) -> Packet<'a> {
        let mut pkt = dissect::blank(rec, 0);
        self.decode_into(&mut pkt);
        pkt
    }

    /// Decodes the next record of the capture in place: `pkt` comes from
    /// [`dissect::blank`] (the frame number is set here).
    pub fn decode_into(&mut self, pkt: &mut Packet<'_>) {
        self.count += 1;
        pkt.meta.number = self.count;
        dissect::dissect_into(pkt, self.opts);
        let ts = if pkt.meta.has_ts {
            pkt.meta.ts
        } else {
            self.prev_ts.unwrap_or_default()
        };
        pkt.meta.ts = ts;
        let first = *self.first_ts.get_or_insert(ts);
        pkt.meta.rel_ns = ts.as_nanos() - first.as_nanos();
        pkt.meta.delta_ns = self.prev_ts.map_or(0, |p| ts.as_nanos() - p.as_nanos());
        self.prev_ts = Some(ts);
        if self.no_flows {
            return;
        }
        self.tracker.observe(pkt);
        dissect::strip_retransmitted(pkt);
    }
}
