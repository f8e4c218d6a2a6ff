//! Compare a source and a target capture of the same traffic: which packets crossed, which
//! were lost, injected, duplicated, reordered or rewritten on the way, how long they took,
//! what NAT did, and how the two capture clocks relate.
//!
//! ```
//! use shared_decode::compare::{self, Fingerprint, Options, SideInfo, Status};
//!
//! // Keys are computed once per packet while a file is read:
//! //     let fp = Fingerprint::of(&decoder.decode(&record));
//! // Here, two hand-made ones: the same UDP datagram seen 25 ms later at the target.
//! let mut a = Fingerprint::default();
//! a.bits = compare::bits::FAMILY_V4;
//! a.proto = 17;
//! a.ident = 7;
//! a.payload_len = 12;
//! a.payload_hash = 0xfeed;
//! a.ts_ns = 1_000_000_000;
//! let mut b = a;
//! b.ts_ns += 25_000_000;
//! let (src, dst) = ([a], [b]);
//! let r = compare::compare(
//!     &src,
//!     &dst,
//!     &SideInfo::new("source", &src, None),
//!     &SideInfo::new("target", &dst, None),
//!     &Options::default(),
//! );
//! assert_eq!(r.src_status, [Status::Matched]);
//! assert_eq!(r.src_twin, [1]);
//! ```
//!
//! Pipeline: [`Fingerprint::of`] per packet (both front ends, while indexing) →
//! `matcher` (conversations, anchors on invariant fields, NAT/PAT and sequence-offset
//! inference, greedy pairing within buckets of equal flow keys) → `clock` (offset from the
//! lower envelopes of the one-way delays in both directions, drift) → `classify` (a status
//! for every packet, reordering, rewritten fields, NAT table, counts) → `diagnose` (plain
//! language). [`diff`] compares two decoded packets field by field for the details view.
//!
//! Invariants: no input makes this module panic; every loop is bounded by the packet counts
//! (buckets of identical packets are cut to a fixed number of candidates per packet); memory
//! is linear in the packet count. No I/O, clocks or threads: it runs in the viewer's worker.
//!
//! Not here: reading files and decoding (the caller's, so that keys can be computed while
//! indexing), reassembly of fragments, payload rewriting by application-level gateways
//! (packets whose payload changes do not match).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod anchor;
mod bytes;
mod classify;
mod clock;
mod config;
mod convs;
mod diagnose;
mod diff;
mod guide;
mod io;
mod key;
mod packets;
mod report;
mod side;
mod sort;
mod transactions;

#[cfg(test)]
mod tests;

pub use config::Options;
pub use convs::{grid as conversations_grid, ConvDir, ConvRow};
pub use diff::diff;
pub use io::{grid as io_grid, nice_interval};
pub use key::{bits, more, tcp_flags, Fingerprint, HEAD_BYTES, PAYLOAD_HASH_BYTES};
pub use report::{
    addr_text, thousands, ClockEstimate, ClockMethod, Counts, DirCounts, Direction, FieldDiff,
    FlowBytes, NatEndpoint, NatEntry, Percentiles, Report, Segmentation, SideInfo, Status,
    REORDER_DEFINITION,
};
pub use transactions::{transactions, Transaction, Transactions, TxKind, TxStats};

/// Compares the packets of a source capture with those of a target capture (keys in file
/// order: index = frame number - 1). See the module documentation.
pub fn compare(
    src: &[Fingerprint],
    dst: &[Fingerprint],
    src_info: &SideInfo,
    dst_info: &SideInfo,
    opts: &Options,
) -> Report {
    let (mut r, extra) = classify::build(src, dst, src_info, dst_info, opts);
    r.diagnosis = diagnose::diagnose(&r, src, dst, &extra);
    r
}
