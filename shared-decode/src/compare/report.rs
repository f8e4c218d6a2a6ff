//! What a comparison produces ([`Report`]) and its two renderings: the JSON document
//! `DESIGN.md` specifies ([`Report::to_json`]) and a readable text report
//! ([`Report::to_text`]).

use super::key::{Fingerprint, PAYLOAD_HASH_BYTES};
use crate::file::CaptureInfo;
use crate::format::json::push_json_str;
use std::fmt::Write as _;

/// What happened to one packet. Every packet of both captures gets exactly one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Status {
    /// Seen at both points, unchanged except for what the path does to every packet of its
    /// flow (NAT, sequence-number shift, the usual TTL decrement).
    #[default]
    Matched,
    /// Seen at both points, with a field changed beyond that (DSCP/ECN, window, MSS, TCP
    /// options, DF, IP ID, a different TTL decrement).
    Modified,
    /// Seen at both points, but overtaken by a later packet of its flow on the way.
    Reordered,
    /// A second copy at the receiving side (the path duplicated the packet, or delivered
    /// bytes again); the twin is the original's.
    Duplicated,
    /// Seen at the capture that sent it (the one it passes first), never at the other: lost
    /// on the way, in either direction (both captures running).
    Lost,
    /// A TCP segment (or fragment) of which only some bytes reached the other capture (a
    /// super-segment cut on the path, one of whose pieces was lost).
    PartlyLost,
    /// Seen at the receiving side only, and no capture point sent it: injected on the path (a
    /// middlebox's forged RST or ICMP error, a third host).
    Extra,
    /// Does not cross between the capture points: non-IP, link-local or multicast, traffic
    /// between hosts on the same side, or a TTL that expires on the way.
    NotForwarded,
    /// Its twin would have been seen before the other capture started or after it ended.
    OutsideOverlap,
    /// Its twin would have been seen while the other capture's set had no file running (a
    /// gap between two of its files: a rotated file missing).
    CaptureGap,
    /// A capture dropped it: the other capture (for a packet at its sender) never saw it
    /// although its receiver acknowledged it or that capture counts drops; or (for a packet at
    /// its receiver) the sending side's capture missed it.
    CaptureDrop,
    /// Left out by a display filter (and so is its twin).
    Excluded,
}

impl Status {
    /// Number of statuses.
    pub const COUNT: usize = 12;
    /// All statuses, in order.
    pub const ALL: [Status; Status::COUNT] = [
        Status::Matched,
        Status::Modified,
        Status::Reordered,
        Status::Duplicated,
        Status::Lost,
        Status::PartlyLost,
        Status::Extra,
        Status::NotForwarded,
        Status::OutsideOverlap,
        Status::CaptureGap,
        Status::CaptureDrop,
        Status::Excluded,
    ];

    /// The name used in JSON and in `paircap.compare.status`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Matched => "matched",
            Status::Modified => "modified",
            Status::Reordered => "reordered",
            Status::Duplicated => "duplicated",
            Status::Lost => "lost",
            Status::PartlyLost => "partly_lost",
            Status::Extra => "extra",
            Status::NotForwarded => "not_forwarded",
            Status::OutsideOverlap => "outside_overlap",
            Status::CaptureGap => "capture_gap",
            Status::CaptureDrop => "capture_drop",
            Status::Excluded => "excluded",
        }
    }

    /// The status with this name.
    pub fn from_name(s: &str) -> Option<Status> {
        Status::ALL.iter().copied().find(|x| x.name() == s)
    }

    /// Whether the packet has a twin on the other side that is the same packet (not a copy).
    pub fn is_pair(self) -> bool {
        matches!(self, Status::Matched | Status::Modified | Status::Reordered)
    }
}

/// Which way a packet travels between the capture points: which capture sent it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Passes the source point first (sent at the source).
    SourceToTarget,
    /// Passes the target point first (sent at the target: replies, when the captures are on
    /// both sides of a path).
    TargetToSource,
    /// Not known.
    #[default]
    Unknown,
}

impl Direction {
    /// The capture that sent it: `"source"`, `"target"` or `"unknown"`.
    pub fn sender(self) -> &'static str {
        match self {
            Direction::SourceToTarget => "source",
            Direction::TargetToSource => "target",
            Direction::Unknown => "unknown",
        }
    }

    /// Index into per-direction tables: 0 source → target, 1 target → source.
    pub fn index(self) -> Option<usize> {
        match self {
            Direction::SourceToTarget => Some(0),
            Direction::TargetToSource => Some(1),
            Direction::Unknown => None,
        }
    }
}

/// What is known about one capture file besides its packets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SideInfo {
    /// File name (for reports).
    pub name: String,
    /// Packets in the file.
    pub packets: u64,
    /// Time stamp of the first and last packet (ns since the epoch).
    pub first_ns: Option<i64>,
    /// Time stamp of the last packet.
    pub last_ns: Option<i64>,
    /// When the capture started, if the file says (pcapng `isb_starttime`).
    pub start_ns: Option<i64>,
    /// When the capture ended, if the file says (pcapng `isb_endtime`).
    pub end_ns: Option<i64>,
    /// Packets the capture dropped (pcapng `isb_ifdrop` + `isb_osdrop`), when recorded.
    pub dropped: Option<u64>,
    /// Of which the kernel's capture buffer (`isb_osdrop`, libpcap's `ps_drop`).
    pub os_drop: Option<u64>,
    /// Of which the interface (`isb_ifdrop`, libpcap's `ps_ifdrop`).
    pub if_drop: Option<u64>,
    /// Offload settings the capture tool recorded per interface (`"tso on, gro off, …"`).
    pub offloads: Vec<String>,
    /// The smallest snap length of the file's interfaces, when recorded.
    pub snaplen: Option<u32>,
    /// The files of a set (a rotated capture), in time order; one entry for a single file.
    pub files: Vec<FilePart>,
    /// Where the set misses a file (between two of its files).
    pub gaps: Vec<SetGap>,
    /// The container (`pcapng`, `pcap (nanosecond, little-endian)`).
    pub format: String,
}

/// One file of a side's set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FilePart {
    /// File name.
    pub name: String,
    /// Frame number (in the set) of its first packet.
    pub first_frame: u32,
    /// Packets in it.
    pub packets: u64,
    /// When it started and ended capturing (recorded, else its first and last packet).
    pub start_ns: Option<i64>,
    /// See `start_ns`.
    pub end_ns: Option<i64>,
    /// Its first and last packet's time.
    pub first_ns: Option<i64>,
    /// See `first_ns`.
    pub last_ns: Option<i64>,
    /// Its place in the capture, when the capture tool recorded it.
    pub rotation: Option<crate::file::RotationMark>,
}

/// How a missing file was noticed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GapEvidence {
    /// The capture numbers its files (`paircap capture`): a number is missing, or the packets
    /// before the next file are more than the set holds.
    Recorded,
    /// The file names' counter (tcpdump's `-C`/`-W`: `name`, `name1`, `name2` …) skips.
    Names,
    /// Nothing numbers the files, but the time between two of them is longer than any
    /// silence inside them.
    Silence,
}

impl GapEvidence {
    /// Name in JSON.
    pub fn name(self) -> &'static str {
        match self {
            GapEvidence::Recorded => "recorded",
            GapEvidence::Names => "names",
            GapEvidence::Silence => "silence",
        }
    }
}

/// A hole in a set of files: the time between the last packet of one file and the first of
/// the next, where (the evidence says) another file held packets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetGap {
    /// Index (in `SideInfo::files`) of the file before the hole.
    pub after: usize,
    /// Last packet before the hole.
    pub from_ns: i64,
    /// First packet after it.
    pub to_ns: i64,
    /// Files missing, when numbered.
    pub files_missing: Option<u64>,
    /// Packets missing, when the capture counted them.
    pub packets_missing: Option<u64>,
    /// How it was noticed.
    pub evidence: GapEvidence,
}

/// `name123` → (`name`, 123); a name without a trailing counter → (name, 0) (tcpdump's first
/// `-C` file has none).
fn name_counter(name: &str) -> (&str, Option<u64>) {
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = name.get(stem.len()..).unwrap_or("");
    if digits.is_empty() {
        (stem, Some(0))
    } else {
        (stem, digits.parse().ok())
    }
}

/// Longest time between two consecutive packets of a file (its own silences).
fn longest_silence(fps: &[Fingerprint]) -> i64 {
    fps.windows(2)
        .map(|w| match w {
            [a, b] => b.ts_ns.saturating_sub(a.ts_ns),
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}

/// The missing files of a set, from the best evidence its files give (see [`GapEvidence`]).
fn set_gaps(files: &[FilePart], silences: &[i64]) -> Vec<SetGap> {
    let mut out = Vec::new();
    let all_marked = files.iter().all(|f| f.rotation.is_some());
    let counters: Vec<(&str, Option<u64>)> = files.iter().map(|f| name_counter(&f.name)).collect();
    let named = counters
        .iter()
        .all(|(stem, n)| n.is_some() && Some(*stem) == counters.first().map(|c| c.0));
    let max_counter = counters.iter().filter_map(|c| c.1).max().unwrap_or(0);
    let min_counter = counters.iter().filter_map(|c| c.1).min().unwrap_or(0);
    // A file counter runs about as far as there are files; digits that run much further are
    // a clock (`-G` names such as `dump-1259`, `dump-1300`), not a sequence.
    let named = named && max_counter.saturating_sub(min_counter) <= 2 * files.len() as u64 + 10;
    for (i, w) in files.windows(2).enumerate() {
        let [a, b] = w else { continue };
        let (Some(from), Some(to)) = (a.last_ns.or(a.end_ns), b.first_ns.or(b.start_ns)) else {
            continue;
        };
        let (mut files_missing, mut packets_missing) = (None, None);
        let evidence = if all_marked {
            let (Some(ra), Some(rb)) = (a.rotation, b.rotation) else {
                continue;
            };
            let skipped = rb.file.saturating_sub(ra.file.saturating_add(1));
            let held = rb
                .before
                .saturating_sub(ra.before.saturating_add(a.packets));
            if skipped == 0 && held == 0 {
                continue;
            }
            files_missing = Some(skipped);
            packets_missing = Some(held);
            GapEvidence::Recorded
        } else if named {
            let (Some(x), Some(y)) = (
                counters.get(i).and_then(|c| c.1),
                counters.get(i + 1).and_then(|c| c.1),
            ) else {
                continue;
            };
            // A ring (`-W`) wraps from its highest number to 0.
            if y == x.saturating_add(1) || (y == 0 && x == max_counter) {
                continue;
            }
            files_missing = y.checked_sub(x.saturating_add(1));
            GapEvidence::Names
        } else {
            let quiet = silences
                .get(i)
                .copied()
                .unwrap_or(0)
                .max(silences.get(i + 1).copied().unwrap_or(0))
                .max(1_000_000_000);
            if to.saturating_sub(from) <= quiet {
                continue;
            }
            GapEvidence::Silence
        };
        out.push(SetGap {
            after: i,
            from_ns: from,
            to_ns: to.max(from),
            files_missing,
            packets_missing,
            evidence,
        });
    }
    out
}

impl SideInfo {
    /// A side made of several files (a rotated set), in time order: `parts` gives each file's
    /// name, packet count (its keys follow each other in `fps`) and metadata.
    pub fn from_files(
        name: &str,
        fps: &[Fingerprint],
        parts: &[(String, usize, CaptureInfo)],
    ) -> SideInfo {
        let mut s = SideInfo::new(name, fps, None);
        let mut at = 0usize;
        let mut silences = Vec::with_capacity(parts.len());
        let (mut dropped, mut os, mut ifd) = (None::<u64>, None::<u64>, None::<u64>);
        let add = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(x), Some(y)) => Some(x.saturating_add(y)),
            (x, y) => x.or(y),
        };
        for (file, n, info) in parts {
            let slice = fps.get(at..at.saturating_add(*n)).unwrap_or(&[]);
            let one = SideInfo::new(file, slice, Some(info));
            dropped = add(dropped, one.dropped);
            os = add(os, one.os_drop);
            ifd = add(ifd, one.if_drop);
            for o in one.offloads.iter() {
                if !s.offloads.contains(o) {
                    s.offloads.push(o.clone());
                }
            }
            s.snaplen = match (s.snaplen, one.snaplen) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if s.format.is_empty() {
                s.format = one.format.clone();
            }
            for (mine, theirs, min) in [
                (&mut s.start_ns, one.start_ns, true),
                (&mut s.end_ns, one.end_ns, false),
            ] {
                if let Some(t) = theirs {
                    *mine = Some(mine.map_or(t, |x| if min { x.min(t) } else { x.max(t) }));
                }
            }
            silences.push(longest_silence(slice));
            s.files.push(FilePart {
                name: file.clone(),
                first_frame: u32::try_from(at).unwrap_or(u32::MAX).saturating_add(1),
                packets: *n as u64,
                start_ns: one.span_start(),
                end_ns: one.span_end(),
                first_ns: one.first_ns,
                last_ns: one.last_ns,
                rotation: info.rotation(),
            });
            at = at.saturating_add(*n);
        }
        (s.dropped, s.os_drop, s.if_drop) = (dropped, os, ifd);
        s.gaps = set_gaps(&s.files, &silences);
        s
    }

    /// Times a missing file of the set covered: (last packet before, first packet after).
    pub fn holes(&self) -> Vec<(i64, i64)> {
        self.gaps.iter().map(|g| (g.from_ns, g.to_ns)).collect()
    }

    /// Side information from the packets' keys and the file's metadata.
    pub fn new(name: &str, fps: &[Fingerprint], info: Option<&CaptureInfo>) -> SideInfo {
        let mut s = SideInfo {
            name: name.to_string(),
            packets: fps.len() as u64,
            ..SideInfo::default()
        };
        for f in fps {
            s.first_ns = Some(s.first_ns.map_or(f.ts_ns, |x| x.min(f.ts_ns)));
            s.last_ns = Some(s.last_ns.map_or(f.ts_ns, |x| x.max(f.ts_ns)));
        }
        if let Some(info) = info {
            s.dropped = info.dropped();
            (s.os_drop, s.if_drop) = info.drop_counters();
            s.offloads = info.offloads();
            s.snaplen = info
                .interfaces
                .iter()
                .map(|i| i.snaplen)
                .filter(|&n| n > 0)
                .min();
            let ns = |t: crate::file::Timestamp| i64::try_from(t.as_nanos()).ok();
            for st in &info.stats {
                if let Some(t) = st.start.and_then(ns) {
                    s.start_ns = Some(s.start_ns.map_or(t, |x| x.min(t)));
                }
                if let Some(t) = st.end.and_then(ns) {
                    s.end_ns = Some(s.end_ns.map_or(t, |x| x.max(t)));
                }
            }
            if let Some(f) = info.format {
                s.format = f.to_string();
            }
        }
        s
    }

    /// Start of the capture: the recorded start, else the first packet.
    pub fn span_start(&self) -> Option<i64> {
        match (self.start_ns, self.first_ns) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// End of the capture: the recorded end, else the last packet.
    pub fn span_end(&self) -> Option<i64> {
        match (self.end_ns, self.last_ns) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

/// How the clock offset was found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClockMethod {
    /// No packet matched and no offset was given: offset 0 assumed.
    #[default]
    None,
    /// Given by the user.
    Manual,
    /// Lower envelopes of the one-way delays in both directions: the offset lies between
    /// them (the uncertainty is half that interval; the estimate assumes equal minimum delays).
    TwoWay,
    /// Every matched packet passed the source first: the offset includes the (unknown)
    /// minimum one-way delay; delays are relative to the fastest packet.
    OneWay,
}

impl ClockMethod {
    /// Name for reports.
    pub fn name(self) -> &'static str {
        match self {
            ClockMethod::None => "none",
            ClockMethod::Manual => "manual",
            ClockMethod::TwoWay => "two-way",
            ClockMethod::OneWay => "one-way",
        }
    }
}

/// The target clock relative to the source clock.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ClockEstimate {
    /// Target clock minus source clock at [`ClockEstimate::ref_ns`] (source time), ns.
    pub offset_ns: i64,
    /// Source time the offset refers to (the first source packet).
    pub ref_ns: i64,
    /// How much faster the target clock runs, in parts per million.
    pub drift_ppm: f64,
    /// Half-width of the interval the offset is known to lie in (ns); `i64::MAX` when
    /// unbounded (one-way).
    pub uncertainty_ns: i64,
    /// How the estimate was made.
    pub method: ClockMethod,
    /// Matched packets the estimate used.
    pub samples: u64,
}

impl ClockEstimate {
    /// The offset at source time `src_ns`.
    pub fn offset_at(&self, src_ns: i64) -> i64 {
        let dt = src_ns.saturating_sub(self.ref_ns) as f64;
        self.offset_ns
            .saturating_add((dt * self.drift_ppm * 1e-6).round() as i64)
    }
}

/// Distribution of one-way delays (ns).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Percentiles {
    /// Samples.
    pub count: u64,
    /// Smallest.
    pub min: i64,
    /// 1st percentile.
    pub p1: i64,
    /// 5th.
    pub p5: i64,
    /// 25th.
    pub p25: i64,
    /// Median.
    pub p50: i64,
    /// 75th.
    pub p75: i64,
    /// 95th.
    pub p95: i64,
    /// 99th.
    pub p99: i64,
    /// Largest.
    pub max: i64,
}

impl Percentiles {
    /// Percentiles of `v` (sorted in place); `None` when empty.
    pub fn of(v: &mut [i64]) -> Option<Percentiles> {
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        let at = |q: f64| {
            let i = ((v.len() - 1) as f64 * q).round() as usize;
            v.get(i).copied().unwrap_or(0)
        };
        Some(Percentiles {
            count: v.len() as u64,
            min: at(0.0),
            p1: at(0.01),
            p5: at(0.05),
            p25: at(0.25),
            p50: at(0.5),
            p75: at(0.75),
            p95: at(0.95),
            p99: at(0.99),
            max: at(1.0),
        })
    }

    fn fields(&self) -> [(&'static str, i64); 9] {
        [
            ("min", self.min),
            ("p1", self.p1),
            ("p5", self.p5),
            ("p25", self.p25),
            ("p50", self.p50),
            ("p75", self.p75),
            ("p95", self.p95),
            ("p99", self.p99),
            ("max", self.max),
        ]
    }
}

/// One endpoint of a translated flow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NatEndpoint {
    /// Address (IPv4 in the last 4 bytes).
    pub addr: [u8; 16],
    /// Port (ICMP echo: the identifier on the sender's side, 0 on the other).
    pub port: u16,
    /// Whether `addr` is IPv6.
    pub v6: bool,
}

impl NatEndpoint {
    /// The address as text.
    pub fn addr_text(&self) -> String {
        addr_text(&self.addr, self.v6)
    }
}

impl std::fmt::Display for NatEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.v6 {
            write!(f, "[{}]:{}", self.addr_text(), self.port)
        } else {
            write!(f, "{}:{}", self.addr_text(), self.port)
        }
    }
}

impl Report {
    /// The conversations with the most trouble (lost, duplicated, reordered, rewritten or
    /// extra packets), or the busiest when none had any.
    fn conversations_text(&self, o: &mut String) {
        use std::fmt::Write as _;
        const SHOW: usize = 10;
        if self.conversations.is_empty() {
            return;
        }
        let trouble = |c: &super::convs::ConvRow| -> u64 {
            c.dirs
                .iter()
                .map(|d| d.lost + d.partly_lost + d.duplicated + d.reordered + d.modified + d.extra)
                .sum()
        };
        let mut rows: Vec<&super::convs::ConvRow> = self.conversations.iter().collect();
        rows.sort_by_key(|c| std::cmp::Reverse((trouble(c), c.packets())));
        let n_bad = rows.iter().filter(|c| trouble(c) > 0).count();
        let show = if n_bad > 0 {
            n_bad.min(SHOW)
        } else {
            SHOW.min(rows.len())
        };
        let _ = writeln!(
            o,
            "\nconversations ({}, {} with trouble; {}):",
            thousands(rows.len() as u64),
            thousands(n_bad as u64),
            if show < rows.len() {
                format!("{show} shown, --format json lists all")
            } else {
                "all shown".to_string()
            }
        );
        for c in rows.into_iter().take(show) {
            let _ = writeln!(
                o,
                "  {:<6} {} ↔ {}",
                proto_name(c.proto),
                c.endpoints[0],
                c.endpoints[1]
            );
            for (arrow, d) in [("→", &c.dirs[0]), ("←", &c.dirs[1])] {
                if d.sent + d.received == 0 {
                    continue;
                }
                let _ = write!(
                    o,
                    "         {arrow} sent at the {} {}, arrived {}",
                    d.sent_by.sender(),
                    thousands(d.sent),
                    thousands(d.received)
                );
                for (name, v) in [
                    ("lost", d.lost),
                    ("partly lost", d.partly_lost),
                    ("duplicated", d.duplicated),
                    ("reordered", d.reordered),
                    ("modified", d.modified),
                    ("extra", d.extra),
                    ("capture drops", d.capture_drop),
                ] {
                    if v > 0 {
                        let _ = write!(o, ", {name} {}", thousands(v));
                    }
                }
                if let Some(p) = &d.delay {
                    let _ = write!(
                        o,
                        "; delay p50 {:.3} ms, p99 {:.3} ms",
                        ms(p.p50),
                        ms(p.p99)
                    );
                }
                o.push('\n');
            }
        }
    }
}

/// An address as text (IPv4 dotted, IPv6 compressed).
pub fn addr_text(a: &[u8; 16], v6: bool) -> String {
    if v6 {
        std::net::Ipv6Addr::from(*a).to_string()
    } else {
        std::net::Ipv4Addr::new(a[12], a[13], a[14], a[15]).to_string()
    }
}

/// A flow whose addresses or ports differ between the captures: the inside (source) 5-tuple
/// and the outside (target) 5-tuple, oriented as the flow's first source packet travels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NatEntry {
    /// IP protocol.
    pub proto: u8,
    /// Sender and receiver as the source capture saw them.
    pub inside: [NatEndpoint; 2],
    /// The same packets as the target capture saw them.
    pub outside: [NatEndpoint; 2],
    /// Matched packets of the flow.
    pub packets: u64,
    /// TCP: what the path adds to the sender's sequence numbers (ISN randomisation), if
    /// anything; and to the receiver's.
    pub seq_offsets: [u32; 2],
    /// First source frame of the flow (1-based).
    pub first_src_frame: u32,
}

/// Counts for one direction of travel (index 0: source → target, sent at the source;
/// 1: target → source, sent at the target).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirCounts {
    /// Packets the sending capture saw (that could cross: not counting not-forwarded ones).
    pub sent: u64,
    /// Of those, seen at the receiving capture (matched, modified or reordered).
    pub matched: u64,
    /// Sent, never seen at the receiving capture (both running).
    pub lost: u64,
    /// Sent, only some of their bytes seen at the receiving capture.
    pub partly_lost: u64,
    /// Extra copies at the receiving capture.
    pub duplicated: u64,
    /// Pairs that arrived after a packet sent later (RFC 4737 "late" packets).
    pub reordered: u64,
    /// Pairs with an unexpected change.
    pub modified: u64,
    /// Packets missed by a capture (either side) in this direction.
    pub capture_drop: u64,
    /// Packets at the receiving capture that no capture point sent.
    pub extra: u64,
    /// TCP / fragment bytes (sequence space) sent.
    pub bytes_sent: u64,
    /// Of those, never seen at the receiving capture from that packet.
    pub bytes_lost: u64,
    /// Bytes seen again at the receiving capture.
    pub bytes_duplicated: u64,
    /// IP length (headers included) of the lost packets, and of the lost part of partly
    /// lost ones (payload only), as a firewall's byte counter would count them.
    pub ip_bytes_lost: u64,
}

/// Packet counts by status, per side, and the headline numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Source packets by status (index = `Status as usize`).
    pub source: [u64; Status::COUNT],
    /// Target packets by status.
    pub target: [u64; Status::COUNT],
    /// Per direction of travel.
    pub dirs: [DirCounts; 2],
    /// Packets that crossed (pairs, counted at the sender; includes modified and reordered).
    pub matched: u64,
    /// Pairs with an unexpected change.
    pub modified: u64,
    /// Pairs that arrived late (RFC 4737).
    pub reordered: u64,
    /// Packets lost on the way, both directions.
    pub lost: u64,
    /// Packets of which only some bytes crossed.
    pub partly_lost: u64,
    /// Packets at a receiving capture that no capture point sent.
    pub extra: u64,
    /// Extra copies at the receiving captures.
    pub duplicated: u64,
    /// Packets a capture missed.
    pub capture_drop: u64,
}

impl Counts {
    /// Source packets with a status.
    pub fn src(&self, s: Status) -> u64 {
        self.source.get(s as usize).copied().unwrap_or(0)
    }
    /// Target packets with a status.
    pub fn dst(&self, s: Status) -> u64 {
        self.target.get(s as usize).copied().unwrap_or(0)
    }
    /// Both sides.
    pub fn both(&self, s: Status) -> u64 {
        self.src(s) + self.dst(s)
    }
}

/// What RFC 4737 calls a "late" packet, which [`Status::Reordered`] counts.
pub const REORDER_DEFINITION: &str = "RFC 4737 late packets: per flow direction, a packet that arrives after a packet its sender sent later";

/// Byte accounting of one TCP flow direction with something to report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowBytes {
    /// Sender and receiver as the source capture saw them.
    pub endpoints: [NatEndpoint; 2],
    /// Which capture sent it.
    pub sent_by: Direction,
    /// Sequence space covered by the sender's packets (bytes).
    pub bytes: u64,
    /// Bytes never seen at the receiving capture (from any copy).
    pub lost_bytes: u64,
    /// Ranges of those, relative to the flow's first byte (at most [`FlowBytes::MAX_RANGES`]).
    pub lost: Vec<(u64, u64)>,
    /// Bytes the receiving capture missed (the receiver acknowledged them and that capture
    /// counts drops).
    pub capture_dropped_bytes: u64,
    /// Bytes seen more than once at the receiving capture beyond what the sender sent.
    pub duplicated_bytes: u64,
    /// Ranges of those.
    pub duplicated: Vec<(u64, u64)>,
    /// Bytes retransmitted by the sender that had already arrived (seen at the sender more
    /// often than at the receiver, but delivered).
    pub retransmitted_bytes: u64,
    /// Bytes that arrived late (reordered).
    pub late_bytes: u64,
    /// Ranges of those.
    pub late: Vec<(u64, u64)>,
    /// Median one-way delay of the flow's arrivals (ns), when any arrived.
    pub delay_p50_ns: Option<i64>,
    /// Largest one-way delay of the flow's arrivals (ns).
    pub delay_max_ns: Option<i64>,
}

impl FlowBytes {
    /// Ranges kept per kind.
    pub const MAX_RANGES: usize = 32;
}

/// How the captures cut TCP payload: offload super-segments and middlebox re-segmentation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Segmentation {
    /// Per side: TCP segments longer than an Ethernet MTU allows (TSO/GSO at a sender
    /// capture, GRO/LRO at a receiver capture).
    pub super_segments: [u64; 2],
    /// Per side: the longest TCP payload.
    pub largest: [u32; 2],
    /// Pairs whose bytes were cut differently on the two sides with no super-segment
    /// involved (a middlebox re-segments: MSS clamping, a proxy).
    pub resegmented: u64,
    /// Pairs cut differently because of super-segments.
    pub offload_pairs: u64,
    /// Streams too cut up to account for (hostile input).
    pub degraded_streams: u32,
}

/// A field that differs between a packet and its twin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDiff {
    /// Wireshark field name.
    pub field: &'static str,
    /// Value at the source (empty when absent).
    pub src: String,
    /// Value at the target (empty when absent).
    pub dst: String,
}

/// The result of comparing a source and a target capture.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Status of every source packet (index = frame number - 1).
    pub src_status: Vec<Status>,
    /// Status of every target packet.
    pub dst_status: Vec<Status>,
    /// Target frame number of each source packet's twin (0 = none).
    pub src_twin: Vec<u32>,
    /// Source frame number of each target packet's twin (0 = none; for a duplicate, the
    /// source frame it copies).
    pub dst_twin: Vec<u32>,
    /// One-way delay of each source packet from its sender to its twin, after clock
    /// correction (positive both ways); `i64::MIN` = no twin.
    pub delay_ns: Vec<i64>,
    /// The same for each target packet.
    pub dst_delay_ns: Vec<i64>,
    /// Which capture sent each source packet.
    pub src_direction: Vec<Direction>,
    /// Which capture sent each target packet.
    pub dst_direction: Vec<Direction>,
    /// Partly lost packets: (source side?, frame number, bytes lost).
    pub partial: Vec<(bool, u32, u32)>,
    /// Byte accounting of the TCP flows that lost, duplicated or reordered bytes.
    pub flows: Vec<FlowBytes>,
    /// Every conversation of the source capture, per direction, busiest first.
    pub conversations: Vec<super::convs::ConvRow>,
    /// Super-segments and re-segmentation.
    pub segmentation: Segmentation,
    /// When a snap length cut payloads on a side: payload bytes compared (`None`: 32).
    pub compared_payload: Option<u8>,
    /// Per side (source, target): a snap length cut payloads or TCP options there.
    pub snap_cut: [bool; 2],
    /// Transactions and where their time went, when asked for
    /// ([`super::transactions`]).
    pub transactions: Option<super::transactions::Transactions>,
    /// Target clock relative to the source clock.
    pub clock: ClockEstimate,
    /// Delay distribution of packets travelling source → target (positive ns).
    pub delay_s2t: Option<Percentiles>,
    /// Delay distribution of packets travelling target → source (positive ns).
    pub delay_t2s: Option<Percentiles>,
    /// Translated flows.
    pub nat: Vec<NatEntry>,
    /// Counts.
    pub counts: Counts,
    /// How many pairs differ in each field (all differences, expected ones included),
    /// largest first.
    pub modified_fields: Vec<(&'static str, u64)>,
    /// Plain-language findings, most important first.
    pub diagnosis: Vec<String>,
    /// The source file.
    pub src_info: SideInfo,
    /// The target file.
    pub dst_info: SideInfo,
}

pub(crate) fn ms(ns: i64) -> f64 {
    ns as f64 / 1e6
}

/// Nanoseconds as milliseconds, or `null`.
fn push_ms(out: &mut String, ns: Option<i64>) {
    push_f(out, ns.map_or(f64::NAN, ms));
}

fn push_f(out: &mut String, v: f64) {
    if v.is_finite() {
        let _ = write!(out, "{}", (v * 1e6).round() / 1e6);
    } else {
        out.push_str("null");
    }
}

fn push_frame(out: &mut String, f: u32) {
    if f == 0 {
        out.push_str("null");
    } else {
        let _ = write!(out, "{f}");
    }
}

fn push_opt_i64(out: &mut String, v: Option<i64>) {
    match v {
        Some(v) => {
            let _ = write!(out, "{v}");
        }
        None => out.push_str("null"),
    }
}

/// An IP protocol's short name (`tcp`, `udp`, `icmp`, or its number).
pub(crate) fn proto_name(p: u8) -> String {
    match p {
        1 => "icmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        58 => "icmpv6".into(),
        n => n.to_string(),
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Nanoseconds as `secs.nnnnnnnnn`.
fn epoch(ns: i64) -> String {
    format!(
        "{}.{:09}",
        ns.div_euclid(1_000_000_000),
        ns.rem_euclid(1_000_000_000)
    )
}

/// One entry of the per-packet mapping ([`Report::entries`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Source frame (0 = none).
    pub source: u32,
    /// Target frame (0 = none).
    pub target: u32,
    /// The capture that sent it.
    pub sent_by: Direction,
    /// Status of the entry's own packet (the source packet, or the target packet of a
    /// target-only entry).
    pub status: Status,
    /// One-way delay from the sender (ns).
    pub delay_ns: Option<i64>,
    /// Bytes lost of a partly lost packet.
    pub lost_bytes: Option<u32>,
    /// The entry's packet is the source's (else the target's).
    pub at_source: bool,
}

impl Entry {
    /// For a capture drop: the capture that missed the packet (the other one).
    pub fn dropped_by(&self) -> &'static str {
        if self.at_source {
            "target"
        } else {
            "source"
        }
    }
}

impl Report {
    /// The per-packet mapping: every source packet with its twin, then every target packet
    /// that is not the twin of a source packet (lost or extra ones, duplicates, the further
    /// pieces of a super-segment split on the way), each frame of each side exactly once
    /// as the entry's own packet. Excluded packets are left out.
    pub fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        let partial: std::collections::HashMap<(bool, u32), u32> =
            self.partial.iter().map(|&(s, f, n)| ((s, f), n)).collect();
        let src = self
            .src_status
            .iter()
            .enumerate()
            .filter_map(move |(i, &st)| {
                if st == Status::Excluded {
                    return None;
                }
                let f = i as u32 + 1;
                Some(Entry {
                    source: f,
                    target: self.src_twin.get(i).copied().unwrap_or(0),
                    sent_by: self.src_direction.get(i).copied().unwrap_or_default(),
                    status: st,
                    delay_ns: self.delay_ns.get(i).copied().filter(|&d| d != i64::MIN),
                    lost_bytes: partial.get(&(true, f)).copied(),
                    at_source: true,
                })
            });
        let dst = self
            .dst_status
            .iter()
            .enumerate()
            .filter_map(move |(j, &st)| {
                let f = j as u32 + 1;
                let twin = self.dst_twin.get(j).copied().unwrap_or(0);
                // Covered by its twin's entry when the two are one pair with one status (a
                // piece of a split super-segment can differ from the whole: its own entry).
                let covered = twin != 0
                    && self.src_twin.get(twin as usize - 1).copied() == Some(f)
                    && self.src_status.get(twin as usize - 1) == Some(&st);
                if covered || st == Status::Excluded {
                    return None;
                }
                Some(Entry {
                    source: twin,
                    target: f,
                    sent_by: self.dst_direction.get(j).copied().unwrap_or_default(),
                    status: st,
                    delay_ns: self.dst_delay_ns.get(j).copied().filter(|&d| d != i64::MIN),
                    lost_bytes: None,
                    at_source: false,
                })
            });
        let partial_dst: std::collections::HashMap<u32, u32> = self
            .partial
            .iter()
            .filter(|x| !x.0)
            .map(|x| (x.1, x.2))
            .collect();
        src.chain(dst.map(move |mut e| {
            e.lost_bytes = partial_dst.get(&e.target).copied();
            e
        }))
    }

    /// The JSON document of `paircap compare --format json` (see `DESIGN.md`): per-side file
    /// info, counts, clock offset, delay percentiles, NAT table, modified-field counts,
    /// diagnosis; with `packets`, the per-packet mapping
    /// `{source: frame|null, target: frame|null, at: "source"|"target", sent_by, status,
    /// delay_ms}` ([`Report::entries`]; `at` names the side whose packet the entry is about).
    pub fn to_json(&self, packets: bool) -> String {
        let mut o = String::with_capacity(
            4096 + if packets {
                self.src_status.len() * 64
            } else {
                0
            },
        );
        o.push('{');
        for (k, side) in [("source", &self.src_info), ("target", &self.dst_info)] {
            let _ = write!(o, "\"{k}\":{{\"file\":");
            push_json_str(&mut o, &side.name);
            o.push_str(",\"format\":");
            push_json_str(&mut o, &side.format);
            let _ = write!(o, ",\"packets\":{}", side.packets);
            for (name, v) in [
                ("first", side.first_ns),
                ("last", side.last_ns),
                ("start", side.start_ns),
                ("end", side.end_ns),
            ] {
                let _ = write!(o, ",\"{name}\":");
                match v {
                    Some(v) => push_json_str(&mut o, &epoch(v)),
                    None => o.push_str("null"),
                }
            }
            o.push_str(",\"dropped\":");
            push_opt_i64(&mut o, side.dropped.map(|d| d as i64));
            o.push_str(",\"kernel_dropped\":");
            push_opt_i64(&mut o, side.os_drop.map(|d| d as i64));
            o.push_str(",\"interface_dropped\":");
            push_opt_i64(&mut o, side.if_drop.map(|d| d as i64));
            o.push_str(",\"files\":[");
            for (i, f) in side.files.iter().enumerate() {
                if i > 0 {
                    o.push(',');
                }
                o.push_str("{\"file\":");
                push_json_str(&mut o, &f.name);
                let _ = write!(
                    o,
                    ",\"first_frame\":{},\"packets\":{}",
                    f.first_frame, f.packets
                );
                for (k, v) in [("start", f.start_ns), ("end", f.end_ns)] {
                    let _ = write!(o, ",\"{k}\":");
                    match v {
                        Some(v) => push_json_str(&mut o, &epoch(v)),
                        None => o.push_str("null"),
                    }
                }
                o.push('}');
            }
            o.push_str("],\"gaps\":[");
            for (i, g) in side.gaps.iter().enumerate() {
                if i > 0 {
                    o.push(',');
                }
                o.push_str("{\"after_file\":");
                push_json_str(
                    &mut o,
                    side.files.get(g.after).map_or("", |f| f.name.as_str()),
                );
                o.push_str(",\"from\":");
                push_json_str(&mut o, &epoch(g.from_ns));
                o.push_str(",\"to\":");
                push_json_str(&mut o, &epoch(g.to_ns));
                o.push_str(",\"seconds\":");
                push_f(&mut o, g.to_ns.saturating_sub(g.from_ns) as f64 / 1e9);
                o.push_str(",\"files_missing\":");
                push_opt_i64(&mut o, g.files_missing.map(|x| x as i64));
                o.push_str(",\"packets_missing\":");
                push_opt_i64(&mut o, g.packets_missing.map(|x| x as i64));
                let _ = write!(o, ",\"evidence\":\"{}\"}}", g.evidence.name());
            }
            o.push(']');
            o.push_str(",\"offloads\":[");
            for (i, x) in side.offloads.iter().enumerate() {
                if i > 0 {
                    o.push(',');
                }
                push_json_str(&mut o, x);
            }
            o.push(']');
            let counts = if k == "source" {
                &self.counts.source
            } else {
                &self.counts.target
            };
            o.push_str(",\"status\":{");
            for (i, s) in Status::ALL.iter().enumerate() {
                if i > 0 {
                    o.push(',');
                }
                let _ = write!(
                    o,
                    "\"{}\":{}",
                    s.name(),
                    counts.get(i).copied().unwrap_or(0)
                );
            }
            o.push_str("}},");
        }
        let c = &self.counts;
        let _ = write!(
            o,
            "\"counts\":{{\"matched\":{},\"lost\":{},\"partly_lost\":{},\"extra\":{},\"duplicated\":{},\"reordered\":{},\"modified\":{},\"not_forwarded\":{},\"outside_overlap\":{},\"capture_gap\":{},\"capture_drop\":{},\"directions\":{{",
            c.matched,
            c.lost,
            c.partly_lost,
            c.extra,
            c.duplicated,
            c.reordered,
            c.modified,
            c.both(Status::NotForwarded),
            c.both(Status::OutsideOverlap),
            c.both(Status::CaptureGap),
            c.capture_drop,
        );
        for (i, (name, d)) in ["source_to_target", "target_to_source"]
            .iter()
            .zip(&c.dirs)
            .enumerate()
        {
            if i > 0 {
                o.push(',');
            }
            let _ = write!(
                o,
                "\"{name}\":{{\"sent\":{},\"matched\":{},\"lost\":{},\"partly_lost\":{},\"duplicated\":{},\"reordered\":{},\"modified\":{},\"capture_drop\":{},\"extra\":{},\"bytes_sent\":{},\"bytes_lost\":{},\"bytes_duplicated\":{},\"ip_bytes_lost\":{}}}",
                d.sent,
                d.matched,
                d.lost,
                d.partly_lost,
                d.duplicated,
                d.reordered,
                d.modified,
                d.capture_drop,
                d.extra,
                d.bytes_sent,
                d.bytes_lost,
                d.bytes_duplicated,
                d.ip_bytes_lost
            );
        }
        o.push_str("}},\"reordered_definition\":");
        push_json_str(&mut o, REORDER_DEFINITION);
        let sg = &self.segmentation;
        let _ = write!(
            o,
            ",\"segmentation\":{{\"super_segments\":{{\"source\":{},\"target\":{}}},\"largest_payload\":{{\"source\":{},\"target\":{}}},\"offload_pairs\":{},\"resegmented\":{},\"degraded_streams\":{}}},\"compared_payload_bytes\":",
            sg.super_segments[0],
            sg.super_segments[1],
            sg.largest[0],
            sg.largest[1],
            sg.offload_pairs,
            sg.resegmented,
            sg.degraded_streams
        );
        match self.compared_payload {
            Some(n) => {
                let _ = write!(o, "{n}");
            }
            None => {
                let _ = write!(o, "{PAYLOAD_HASH_BYTES}");
            }
        }
        o.push(',');
        let k = &self.clock;
        let _ = write!(
            o,
            "\"clock\":{{\"method\":\"{}\",\"offset_ns\":{},\"offset_ms\":",
            k.method.name(),
            k.offset_ns
        );
        push_f(&mut o, ms(k.offset_ns));
        o.push_str(",\"reference\":");
        push_json_str(&mut o, &epoch(k.ref_ns));
        o.push_str(",\"drift_ppm\":");
        push_f(&mut o, k.drift_ppm);
        o.push_str(",\"uncertainty_ms\":");
        if k.uncertainty_ns == i64::MAX {
            o.push_str("null");
        } else {
            push_f(&mut o, ms(k.uncertainty_ns));
        }
        let _ = write!(o, ",\"samples\":{}}},", k.samples);
        o.push_str("\"delay_ms\":{");
        for (i, (name, p)) in [
            ("source_to_target", &self.delay_s2t),
            ("target_to_source", &self.delay_t2s),
        ]
        .into_iter()
        .enumerate()
        {
            if i > 0 {
                o.push(',');
            }
            let _ = write!(o, "\"{name}\":");
            match p {
                None => o.push_str("null"),
                Some(p) => {
                    let _ = write!(o, "{{\"count\":{}", p.count);
                    for (f, v) in p.fields() {
                        let _ = write!(o, ",\"{f}\":");
                        push_f(&mut o, ms(v));
                    }
                    o.push('}');
                }
            }
        }
        o.push_str("},\"nat\":[");
        for (i, n) in self.nat.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            let _ = write!(
                o,
                "{{\"proto\":\"{}\",\"source\":{{\"src\":",
                proto_name(n.proto)
            );
            push_json_str(&mut o, &n.inside[0].to_string());
            o.push_str(",\"dst\":");
            push_json_str(&mut o, &n.inside[1].to_string());
            o.push_str("},\"target\":{\"src\":");
            push_json_str(&mut o, &n.outside[0].to_string());
            o.push_str(",\"dst\":");
            push_json_str(&mut o, &n.outside[1].to_string());
            let _ = write!(
                o,
                "}},\"packets\":{},\"first_source_frame\":{}",
                n.packets, n.first_src_frame
            );
            if n.seq_offsets != [0, 0] {
                let _ = write!(
                    o,
                    ",\"seq_offset\":{},\"ack_offset\":{}",
                    n.seq_offsets[0], n.seq_offsets[1]
                );
            }
            o.push('}');
        }
        o.push_str("],\"flows\":[");
        for (i, f) in self.flows.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            o.push_str("{\"src\":");
            push_json_str(&mut o, &f.endpoints[0].to_string());
            o.push_str(",\"dst\":");
            push_json_str(&mut o, &f.endpoints[1].to_string());
            let _ = write!(
                o,
                ",\"sent_by\":\"{}\",\"bytes\":{},\"lost_bytes\":{},\"capture_dropped_bytes\":{},\"duplicated_bytes\":{},\"retransmitted_bytes\":{},\"late_bytes\":{}",
                f.sent_by.sender(),
                f.bytes,
                f.lost_bytes,
                f.capture_dropped_bytes,
                f.duplicated_bytes,
                f.retransmitted_bytes,
                f.late_bytes
            );
            for (name, v) in [
                ("lost", &f.lost),
                ("duplicated", &f.duplicated),
                ("late", &f.late),
            ] {
                let _ = write!(o, ",\"{name}\":[");
                for (k, (a, b)) in v.iter().enumerate() {
                    if k > 0 {
                        o.push(',');
                    }
                    let _ = write!(o, "[{a},{b}]");
                }
                o.push(']');
            }
            o.push_str(",\"delay_p50_ms\":");
            push_ms(&mut o, f.delay_p50_ns);
            o.push_str(",\"delay_max_ms\":");
            push_ms(&mut o, f.delay_max_ns);
            o.push('}');
        }
        o.push_str("],\"conversations\":[");
        for (i, c) in self.conversations.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            let _ = write!(o, "{{\"proto\":\"{}\",\"a\":", proto_name(c.proto));
            push_json_str(&mut o, &c.endpoints[0].to_string());
            o.push_str(",\"b\":");
            push_json_str(&mut o, &c.endpoints[1].to_string());
            for (name, d) in [("a_to_b", &c.dirs[0]), ("b_to_a", &c.dirs[1])] {
                let _ = write!(
                    o,
                    ",\"{name}\":{{\"sent_by\":\"{}\",\"sent\":{},\"received\":{},\"lost\":{},\"partly_lost\":{},\"duplicated\":{},\"reordered\":{},\"modified\":{},\"extra\":{},\"capture_drop\":{},\"delay_p50_ms\":",
                    d.sent_by.sender(),
                    d.sent,
                    d.received,
                    d.lost,
                    d.partly_lost,
                    d.duplicated,
                    d.reordered,
                    d.modified,
                    d.extra,
                    d.capture_drop
                );
                push_ms(&mut o, d.delay.as_ref().map(|p| p.p50));
                o.push_str(",\"delay_p99_ms\":");
                push_ms(&mut o, d.delay.as_ref().map(|p| p.p99));
                o.push('}');
            }
            o.push('}');
        }
        o.push_str("],\"modified_fields\":{");
        for (i, (f, n)) in self.modified_fields.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            let _ = write!(o, "\"{f}\":{n}");
        }
        o.push('}');
        if let Some(t) = &self.transactions {
            o.push_str(",\"transactions\":");
            o.push_str(&t.to_json());
        }
        o.push_str(",\"diagnosis\":[");
        for (i, d) in self.diagnosis.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            push_json_str(&mut o, d);
        }
        o.push(']');
        if packets {
            o.push_str(",\"packets\":[");
            let mut first = true;
            for e in self.entries() {
                if !first {
                    o.push(',');
                }
                first = false;
                o.push_str("{\"source\":");
                push_frame(&mut o, e.source);
                o.push_str(",\"target\":");
                push_frame(&mut o, e.target);
                let _ = write!(
                    o,
                    ",\"at\":\"{}\",\"sent_by\":\"{}\",\"status\":\"{}\",\"delay_ms\":",
                    if e.at_source { "source" } else { "target" },
                    e.sent_by.sender(),
                    e.status.name()
                );
                push_ms(&mut o, e.delay_ns);
                if let Some(n) = e.lost_bytes {
                    let _ = write!(o, ",\"lost_bytes\":{n}");
                }
                if e.status == Status::CaptureDrop {
                    let _ = write!(o, ",\"dropped_by\":\"{}\"", e.dropped_by());
                }
                o.push('}');
            }
            o.push(']');
        }
        o.push_str("}\n");
        o
    }

    /// A readable report: files, counts, clock, delays, NAT, modified fields, diagnosis.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let c = &self.counts;
        for (label, side, st) in [
            ("source", &self.src_info, &c.source),
            ("target", &self.dst_info, &c.target),
        ] {
            let _ = write!(
                o,
                "{label}: {} ({} packets",
                side.name,
                thousands(side.packets)
            );
            if let (Some(a), Some(b)) = (side.first_ns, side.last_ns) {
                let _ = write!(o, ", {:.3} s", b.saturating_sub(a) as f64 / 1e9);
            }
            match (side.os_drop, side.if_drop) {
                (Some(k), Some(i)) => {
                    let _ = write!(
                        o,
                        ", capture dropped {} in the kernel, {} at the interface",
                        thousands(k),
                        thousands(i)
                    );
                }
                _ => match side.dropped {
                    Some(d) => {
                        let _ = write!(o, ", capture dropped {}", thousands(d));
                    }
                    None => o.push_str(", no drop counters"),
                },
            }
            o.push_str(")\n  ");
            if side.files.len() > 1 {
                let holes = side.holes();
                let _ = write!(o, "{} files", side.files.len());
                if holes.is_empty() {
                    o.push_str(", none missing");
                } else {
                    let total: i64 = holes.iter().map(|(a, b)| b.saturating_sub(*a)).sum();
                    let _ = write!(
                        o,
                        ", {} gap{} where a file is missing ({:.3} s in all)",
                        holes.len(),
                        if holes.len() == 1 { "" } else { "s" },
                        total as f64 / 1e9
                    );
                }
                o.push_str("\n  ");
            }
            let mut any = false;
            for (i, s) in Status::ALL.iter().enumerate() {
                let n = st.get(i).copied().unwrap_or(0);
                if n > 0 {
                    if any {
                        o.push_str(", ");
                    }
                    let _ = write!(o, "{} {}", s.name().replace('_', " "), thousands(n));
                    any = true;
                }
            }
            if !any {
                o.push_str("(no packets)");
            }
            o.push('\n');
        }
        o.push('\n');
        for (i, d) in c.dirs.iter().enumerate() {
            let (name, snd, rcv) = if i == 0 {
                ("source → target", "source", "target")
            } else {
                ("target → source", "target", "source")
            };
            if d.sent == 0 && d.extra == 0 && d.duplicated == 0 && d.capture_drop == 0 {
                continue;
            }
            let _ = write!(
                o,
                "{name}: {} sent at the {snd}, {} reached the {rcv}, lost {}",
                thousands(d.sent),
                thousands(d.matched),
                thousands(d.lost)
            );
            if d.partly_lost > 0 {
                let _ = write!(o, ", partly lost {}", thousands(d.partly_lost));
            }
            if d.bytes_lost > 0 {
                let _ = write!(o, " ({} TCP bytes)", thousands(d.bytes_lost));
            }
            let _ = write!(
                o,
                ", duplicated {}, reordered {}, modified {}",
                thousands(d.duplicated),
                thousands(d.reordered),
                thousands(d.modified)
            );
            if d.capture_drop > 0 {
                let _ = write!(o, ", missed by a capture {}", thousands(d.capture_drop));
            }
            if d.extra > 0 {
                let _ = write!(o, ", extra at the {rcv} {}", thousands(d.extra));
            }
            o.push('\n');
        }
        let _ = writeln!(
            o,
            "total: matched {}  lost {}  partly lost {}  extra {}  duplicated {}  reordered {}  modified {}  capture drops {}",
            thousands(c.matched),
            thousands(c.lost),
            thousands(c.partly_lost),
            thousands(c.extra),
            thousands(c.duplicated),
            thousands(c.reordered),
            thousands(c.modified),
            thousands(c.capture_drop)
        );
        let k = &self.clock;
        let unc = if k.uncertainty_ns == i64::MAX {
            "unbounded: one-way".to_string()
        } else {
            format!("± {:.3} ms", ms(k.uncertainty_ns))
        };
        let _ = writeln!(
            o,
            "clock: target - source = {:+.3} ms ({unc}), drift {:+.2} ppm, {} from {} pairs",
            ms(k.offset_ns),
            k.drift_ppm,
            k.method.name(),
            thousands(k.samples)
        );
        for (name, p) in [
            ("source → target", &self.delay_s2t),
            ("target → source", &self.delay_t2s),
        ] {
            if let Some(p) = p {
                let _ = writeln!(
                    o,
                    "delay {name} (ms, {} packets): min {:.3}  p5 {:.3}  p50 {:.3}  p95 {:.3}  p99 {:.3}  max {:.3}",
                    thousands(p.count),
                    ms(p.min),
                    ms(p.p5),
                    ms(p.p50),
                    ms(p.p95),
                    ms(p.p99),
                    ms(p.max)
                );
            }
        }
        self.conversations_text(&mut o);
        if !self.nat.is_empty() {
            let _ = writeln!(o, "\nNAT ({} flows):", thousands(self.nat.len() as u64));
            const SHOW: usize = 20;
            for n in self.nat.iter().take(SHOW) {
                let _ = write!(
                    o,
                    "  {:<6} {} → {}   ⇒   {} → {}   ({} packets",
                    proto_name(n.proto),
                    n.inside[0],
                    n.inside[1],
                    n.outside[0],
                    n.outside[1],
                    thousands(n.packets)
                );
                if n.seq_offsets != [0, 0] {
                    let _ = write!(o, ", seq +{} / ack +{}", n.seq_offsets[0], n.seq_offsets[1]);
                }
                o.push_str(")\n");
            }
            if self.nat.len() > SHOW {
                let _ = writeln!(
                    o,
                    "  … {} more (--format json lists all)",
                    thousands((self.nat.len() - SHOW) as u64)
                );
            }
        }
        if !self.modified_fields.is_empty() {
            o.push_str("\nfields that differ (pairs):\n");
            for (f, n) in &self.modified_fields {
                let _ = writeln!(o, "  {f:<24} {}", thousands(*n));
            }
        }
        if let Some(t) = &self.transactions {
            o.push_str(&t.to_text(25));
        }
        if !self.diagnosis.is_empty() {
            o.push_str("\ndiagnosis:\n");
            for d in &self.diagnosis {
                let _ = writeln!(o, "  - {d}");
            }
        }
        o
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1204), "1,204");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn status_names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::from_name(s.name()), Some(s));
        }
    }

    fn part(name: &str, first: i64, last: i64, packets: u64, mark: Option<(u64, u64)>) -> FilePart {
        FilePart {
            name: name.to_string(),
            packets,
            first_ns: Some(first),
            last_ns: Some(last),
            rotation: mark.map(|(file, before)| crate::file::RotationMark { file, before }),
            ..FilePart::default()
        }
    }

    #[test]
    fn a_set_misses_a_file_by_its_numbers_names_or_silence() {
        const S: i64 = 1_000_000_000;
        // Recorded numbers: file 2 (30 packets) is missing, however short its time.
        let v = [
            part("a", 0, 10, 10, Some((0, 0))),
            part("b", 11, 20, 10, Some((1, 10))),
            part("d", 21, 30, 10, Some((3, 50))),
        ];
        let g = set_gaps(&v, &[1, 1, 1]);
        assert_eq!(g.len(), 1);
        assert_eq!((g[0].after, g[0].from_ns, g[0].to_ns), (1, 20, 21));
        assert_eq!(
            (g[0].files_missing, g[0].packets_missing),
            (Some(1), Some(30))
        );
        assert_eq!(g[0].evidence, GapEvidence::Recorded);
        // Consecutive numbers: nothing missing, whatever the silence between files.
        let v = [
            part("a", 0, 10, 10, Some((0, 0))),
            part("b", 100 * S, 101 * S, 10, Some((1, 10))),
        ];
        assert!(set_gaps(&v, &[1, 1]).is_empty());
        // tcpdump -C names: dump, dump1, dump3.
        let v = [
            part("/x/dump", 0, 10, 10, None),
            part("/x/dump1", 11, 20, 10, None),
            part("/x/dump3", 21, 30, 10, None),
        ];
        let g = set_gaps(&v, &[1, 1, 1]);
        assert_eq!(g.len(), 1);
        assert_eq!((g[0].after, g[0].files_missing), (1, Some(1)));
        assert_eq!(g[0].evidence, GapEvidence::Names);
        // A -W ring wraps from its highest number to 0.
        let v = [
            part("r3", 0, 10, 10, None),
            part("r4", 11, 20, 10, None),
            part("r0", 21, 30, 10, None),
        ];
        assert!(set_gaps(&v, &[1, 1, 1]).is_empty());
        // Unnumbered names (-G): a silence longer than any inside the files (and > 1 s).
        let v = [
            part("t-1200.pcap", 0, 60 * S, 10, None),
            part("t-1201.pcap", 60 * S, 120 * S, 10, None),
            part("t-1203.pcap", 180 * S, 240 * S, 10, None),
        ];
        let g = set_gaps(&v, &[2 * S, 2 * S, 2 * S]);
        assert_eq!(g.len(), 1);
        assert_eq!((g[0].after, g[0].evidence), (1, GapEvidence::Silence));
        assert!(set_gaps(&v, &[70 * S, 70 * S, 70 * S]).is_empty());
        // -G names that end in digits are a clock, not a counter: 1259 → 1300 is no gap.
        let v = [
            part("t-1258", 0, 60 * S, 10, None),
            part("t-1259", 60 * S, 120 * S, 10, None),
            part("t-1300", 120 * S, 180 * S, 10, None),
        ];
        assert!(set_gaps(&v, &[2 * S, 2 * S, 2 * S]).is_empty());
    }

    #[test]
    fn percentiles_of_a_range() {
        let mut v: Vec<i64> = (1..=101).rev().collect();
        let p = Percentiles::of(&mut v).unwrap();
        assert_eq!((p.min, p.p50, p.max, p.count), (1, 51, 101, 101));
        assert!(Percentiles::of(&mut []).is_none());
    }
}
