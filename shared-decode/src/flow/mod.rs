//! Flows: stream indexes (`tcp.stream`, `udp.stream`), TCP sequence analysis (relative
//! sequence numbers, retransmissions, duplicate ACKs, zero windows, RTT), ICMP echo
//! request/reply pairing, and TLS session versions — state carried from packet to packet.
//!
//! The TCP analysis follows Wireshark's `tcp_analyze_sequence_number` (packet-tcp.c) so that
//! `tcp.analysis.*` fields and Info prefixes agree with tshark in a single pass.
//!
//! Memory: one entry per conversation; per direction at most [`MAX_UNACKED`] unacknowledged
//! segments are remembered (older ones are dropped, losing only their RTT sample).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod hash;
mod key;

pub use hash::{seed_tables, FxBuildHasher, FxHasher, TableState};
pub use key::{Endpoint, FlowKey};
// What the analysis says is data every consumer reads (the dissectors emit it as
// `tcp.analysis.*`, the columns prefix it); it is defined beside the packet it belongs to.
pub use crate::dissect::analysis::{
    CompareMark, PacketAnalysis, TcpAnalysis, TcpFlags, UdpAnalysis,
};

use crate::dissect::{tcp::flags as F, Decoded, Packet};
use crate::file::Timestamp;
use std::collections::{HashMap, VecDeque};

/// Unacknowledged segments remembered per direction (Wireshark: 1000).
pub const MAX_UNACKED: usize = 256;

#[derive(Clone, Debug)]
struct Unacked {
    seq: u32,
    nextseq: u32,
    frame: u32,
    ts: Timestamp,
}

#[derive(Clone, Debug, Default)]
struct Dir {
    base: Option<u32>,
    syn_seen: bool,
    fin_seen: bool,
    /// Highest sequence number seen + length (raw), `None` before data.
    nextseq: Option<u32>,
    nextseq_frame: u32,
    nextseq_time: Timestamp,
    maxseqtobeacked: Option<u32>,
    lastack: Option<u32>,
    lastack_time: Timestamp,
    window: Option<u16>,
    /// -1 unknown, -2 not used, else the shift this side announced.
    win_scale: i8,
    dupacknum: i32,
    lastnondupack: u32,
    valid_bif: bool,
    lastsegmentflags: TcpFlags,
    segments: VecDeque<Unacked>,
}

#[derive(Clone, Debug)]
struct TcpStream {
    id: u32,
    /// Endpoint that sent the first packet we saw (index 0).
    first: Endpoint,
    dirs: [Dir; 2],
    first_ts: Timestamp,
    last_ts: Timestamp,
    syn_ts: Option<Timestamp>,
    synack_seen: bool,
    first_rtt_ns: Option<u64>,
    closed: bool,
    tls_version: Option<u16>,
    /// Direction (0: from `first`) of the stream's first FIN.
    first_fin_dir: Option<usize>,
}

impl TcpStream {
    fn new(id: u32, first: Endpoint, ts: Timestamp) -> TcpStream {
        let mut dirs: [Dir; 2] = Default::default();
        for d in &mut dirs {
            d.win_scale = -1;
        }
        TcpStream {
            id,
            first,
            dirs,
            first_ts: ts,
            last_ts: ts,
            syn_ts: None,
            synack_seen: false,
            first_rtt_ns: None,
            closed: false,
            tls_version: None,
            first_fin_dir: None,
        }
    }
}

#[derive(Clone, Debug)]
struct UdpStream {
    id: u32,
    first_ts: Timestamp,
    last_ts: Timestamp,
}

fn gt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}
fn lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}
fn le(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) <= 0
}

fn ns_between(a: Timestamp, b: Timestamp) -> i128 {
    b.as_nanos() - a.as_nanos()
}

fn ns_u64(a: Timestamp, b: Timestamp) -> u64 {
    u64::try_from(ns_between(a, b).max(0)).unwrap_or(u64::MAX)
}

/// Carries flow state across the packets of one capture, in file order.
#[derive(Debug, Default)]
pub struct Tracker {
    tcp: HashMap<FlowKey, TcpStream, TableState>,
    udp: HashMap<FlowKey, UdpStream, TableState>,
    echo: HashMap<(FlowKey, u16, u16), u32, TableState>,
    next_tcp: u32,
    next_udp: u32,
}

impl Tracker {
    /// An empty tracker.
    pub fn new() -> Tracker {
        Tracker::default()
    }

    /// Number of TCP streams seen.
    pub fn tcp_streams(&self) -> u32 {
        self.next_tcp
    }

    /// Number of UDP streams seen.
    pub fn udp_streams(&self) -> u32 {
        self.next_udp
    }

    /// Analyses `pkt` (the next packet in file order) and stores the result in it.
    pub fn observe(&mut self, pkt: &mut Packet<'_>) {
        let ts = pkt.meta.ts;
        let frame = pkt.meta.number as u32;
        let mut analysis = PacketAnalysis::default();
        if let Some((key, src, tcp)) = key::tcp_key(pkt) {
            analysis.tcp = Some(self.tcp_segment(key, src, &tcp, ts, frame, pkt));
        } else if let Some((key, _src)) = key::udp_key(pkt) {
            let next = &mut self.next_udp;
            let s = self.udp.entry(key).or_insert_with(|| {
                let id = *next;
                *next += 1;
                UdpStream {
                    id,
                    first_ts: ts,
                    last_ts: ts,
                }
            });
            analysis.udp = Some(UdpAnalysis {
                stream: s.id,
                time_rel_ns: ns_u64(s.first_ts, ts),
                time_delta_ns: ns_u64(s.last_ts, ts),
            });
            s.last_ts = ts;
        }
        if let Some((key, id, seq, request)) = key::echo_key(pkt) {
            if request {
                self.echo.insert((key, id, seq), frame);
            } else if let Some(&req) = self.echo.get(&(key, id, seq)) {
                analysis.echo_request_frame = Some(req);
            }
        }
        pkt.analysis = analysis;
    }

    fn tcp_segment(
        &mut self,
        key: FlowKey,
        src: Endpoint,
        t: &key::TcpSeg,
        ts: Timestamp,
        frame: u32,
        pkt: &Packet<'_>,
    ) -> TcpAnalysis {
        let mut flags = TcpFlags::default();
        let syn_only = t.flags & (F::SYN | F::ACK) == F::SYN;
        let mut new_stream = false;
        if let Some(s) = self.tcp.get(&key) {
            let d = if s.first == src { 0 } else { 1 };
            if syn_only {
                let dir = s.dirs.get(d);
                let base = dir.and_then(|x| x.base);
                if base.is_some_and(|b| b != t.seq)
                    && (s.closed || dir.is_some_and(|x| x.syn_seen || x.fin_seen))
                {
                    new_stream = true;
                    flags.insert(TcpFlags::REUSED_PORTS);
                }
            }
        } else {
            new_stream = true;
        }
        if new_stream {
            let id = self.next_tcp;
            self.next_tcp += 1;
            self.tcp.insert(key, TcpStream::new(id, src, ts));
        }
        let Some(s) = self.tcp.get_mut(&key) else {
            return TcpAnalysis::default();
        };
        let fwd_i = usize::from(s.first != src);
        let rev_i = 1 - fwd_i;
        let [d0, d1] = &mut s.dirs;
        let (fwd, rev) = if fwd_i == 0 { (d0, d1) } else { (d1, d0) };

        let seq = t.seq;
        let ack = t.ack;
        let seglen = t.seglen;
        let fl = t.flags;
        let window = t.window;
        let has = |f: u16| fl & f != 0;

        // Window scaling (from the SYNs).
        if has(F::SYN) {
            fwd.win_scale = t.wscale.map_or(-2, |w| w.min(14) as i8);
            if !has(F::ACK) {
                s.syn_ts = Some(ts);
            } else {
                s.synack_seen = true;
                if fwd.win_scale == -2 || rev.win_scale == -2 {
                    fwd.win_scale = -2;
                    rev.win_scale = -2;
                }
            }
        }
        // Initial RTT: SYN to the ACK that completes the handshake.
        if !has(F::SYN) && has(F::ACK) && s.synack_seen && s.first_rtt_ns.is_none() {
            if let Some(syn) = s.syn_ts {
                s.first_rtt_ns = Some(ns_u64(syn, ts));
            }
        }

        // Sequence bases (relative numbers).
        if fwd.base.is_none() {
            fwd.base = Some(if has(F::SYN) {
                seq
            } else {
                seq.wrapping_sub(1)
            });
        }
        if rev.base.is_none() && has(F::ACK) {
            rev.base = Some(ack.wrapping_sub(1));
        }
        if has(F::SYN) {
            fwd.syn_seen = true;
        }

        if has(F::ACK) {
            rev.valid_bif = true;
        }
        let nextseq_known = fwd.nextseq;
        let mut finished = false;

        // ZERO WINDOW PROBE
        if seglen == 1 && Some(seq) == nextseq_known && rev.window == Some(0) {
            flags.insert(TcpFlags::ZERO_WINDOW_PROBE);
            finished = true;
        }
        if !finished {
            // ZERO WINDOW
            if window == 0 && !has(F::RST | F::FIN | F::SYN) {
                flags.insert(TcpFlags::ZERO_WINDOW);
            }
            // LOST PACKET
            if let Some(n) = nextseq_known {
                if gt(seq, n) && !has(F::RST) {
                    flags.insert(TcpFlags::LOST_SEGMENT);
                    fwd.valid_bif = false;
                }
            }
            // KEEP ALIVE
            if (seglen == 0 || seglen == 1)
                && nextseq_known.is_some_and(|n| seq == n.wrapping_sub(1))
                && !has(F::SYN | F::FIN | F::RST)
            {
                flags.insert(TcpFlags::KEEP_ALIVE);
            }
            let same_seq_ack = Some(seq) == nextseq_known && Some(ack) == fwd.lastack;
            // WINDOW UPDATE
            if seglen == 0
                && window != 0
                && Some(window) != fwd.window
                && same_seq_ack
                && !has(F::SYN | F::FIN | F::RST)
            {
                flags.insert(TcpFlags::WINDOW_UPDATE);
            }
            // WINDOW FULL
            if seglen > 0 && rev.win_scale != -1 && !has(F::SYN | F::FIN | F::RST) {
                if let (Some(la), Some(w)) = (rev.lastack, rev.window) {
                    let shift = if rev.win_scale < 0 {
                        0
                    } else {
                        rev.win_scale as u32
                    };
                    if seq.wrapping_add(seglen) == la.wrapping_add(u32::from(w) << shift) {
                        flags.insert(TcpFlags::WINDOW_FULL);
                    }
                }
            }
            // KEEP ALIVE ACK
            if seglen == 0
                && window != 0
                && Some(window) == fwd.window
                && same_seq_ack
                && rev.lastsegmentflags.contains(TcpFlags::KEEP_ALIVE)
                && !has(F::SYN | F::FIN | F::RST)
            {
                flags.insert(TcpFlags::KEEP_ALIVE_ACK);
                finished = true;
            }
        }
        if !finished {
            // ZERO WINDOW PROBE ACK
            if seglen == 0
                && window == 0
                && Some(window) == fwd.window
                && Some(seq) == nextseq_known
                && Some(ack) == fwd.lastack
                && rev.lastsegmentflags.contains(TcpFlags::ZERO_WINDOW_PROBE)
                && !has(F::SYN | F::FIN | F::RST)
            {
                flags.insert(TcpFlags::ZERO_WINDOW_PROBE_ACK);
                finished = true;
            }
        }
        let mut dup_ack_num = 0;
        let mut dup_ack_frame = 0;
        if !finished {
            // DUPLICATE ACK
            if seglen == 0
                && window != 0
                && Some(window) == fwd.window
                && Some(seq) == nextseq_known
                && Some(ack) == fwd.lastack
                && !has(F::SYN | F::FIN | F::RST)
            {
                fwd.dupacknum = if fwd.dupacknum == -1 {
                    1
                } else {
                    fwd.dupacknum + 1
                };
                flags.insert(TcpFlags::DUP_ACK);
                dup_ack_num = fwd.dupacknum.max(0) as u32;
                dup_ack_frame = fwd.lastnondupack;
            }
        }
        // finished_fwd:
        if Some(ack) != fwd.lastack {
            fwd.lastnondupack = frame;
            fwd.dupacknum = 0;
        }
        // ACKED LOST PACKET
        if has(F::ACK) {
            if let Some(m) = rev.maxseqtobeacked {
                if gt(ack, m) {
                    match rev.nextseq {
                        Some(n) if m > n => {
                            rev.maxseqtobeacked = Some(n);
                            flags.insert(TcpFlags::ACK_LOST_SEGMENT);
                        }
                        _ => {
                            if rev.dupacknum == 0 {
                                flags.insert(TcpFlags::ACK_LOST_SEGMENT);
                            }
                            rev.dupacknum = -1;
                        }
                    }
                }
            }
        }
        // RETRANSMISSION / FAST RETRANSMISSION / OUT-OF-ORDER
        if (seglen > 0 || has(F::SYN | F::FIN)) && !flags.contains(TcpFlags::KEEP_ALIVE) {
            let mut seq_not_advanced = nextseq_known.is_some_and(|n| lt(seq, n));
            if seglen > 1 && nextseq_known.is_some_and(|n| n.wrapping_sub(1) == seq) {
                seq_not_advanced = false;
            }
            let spurious = seglen > 0
                && rev
                    .lastack
                    .is_some_and(|la| la != 0 && le(seq.wrapping_add(seglen), la));
            if spurious {
                flags.insert(TcpFlags::SPURIOUS_RETRANSMISSION);
            } else {
                let since_dupack = ns_between(rev.lastack_time, ts);
                let since_next = ns_between(fwd.nextseq_time, ts);
                let ooo_thres = i128::from(s.first_rtt_ns.filter(|&r| r > 0).unwrap_or(3_000_000));
                let syn_fin = u32::from(has(F::SYN | F::FIN));
                if seq_not_advanced
                    && rev.dupacknum >= 2
                    && rev.lastack == Some(seq)
                    && since_dupack < 20_000_000
                {
                    flags.insert(TcpFlags::FAST_RETRANSMISSION);
                } else if seq_not_advanced
                    && since_next < ooo_thres
                    && nextseq_known != Some(seq.wrapping_add(seglen).wrapping_add(syn_fin))
                {
                    flags.insert(TcpFlags::OUT_OF_ORDER);
                } else if seq_not_advanced {
                    flags.insert(TcpFlags::RETRANSMISSION);
                }
            }
        }
        // Record the segment; remember the highest sequence number seen.
        let mut next = seq.wrapping_add(seglen);
        if seglen > 0 || has(F::SYN | F::FIN) {
            if has(F::SYN | F::FIN) {
                next = next.wrapping_add(1);
            }
            if fwd.segments.len() >= MAX_UNACKED {
                fwd.segments.pop_front();
            }
            fwd.segments.push_back(Unacked {
                seq,
                nextseq: next,
                frame,
                ts,
            });
        }
        let zwp = flags.contains(TcpFlags::ZERO_WINDOW_PROBE);
        if fwd.nextseq.is_none_or(|n| gt(next, n)) && !zwp {
            fwd.nextseq = Some(next);
            fwd.nextseq_frame = frame;
            fwd.nextseq_time = ts;
        }
        if fwd.maxseqtobeacked.is_none_or(|m| m == seq) && !zwp {
            fwd.maxseqtobeacked = fwd.nextseq;
        }
        if has(F::FIN) {
            fwd.fin_seen = true;
            if s.first_fin_dir.is_none() {
                s.first_fin_dir = Some(fwd_i);
            }
        }
        if has(F::RST) || (fwd.fin_seen && rev.fin_seen) {
            s.closed = true;
        }
        fwd.window = Some(window);
        fwd.lastack = Some(ack);
        fwd.lastack_time = ts;
        fwd.lastsegmentflags = flags;
        // Which earlier segment of the other direction does this ACK? (Newest first, as
        // Wireshark walks its list.)
        let mut acks_frame = None;
        let mut ack_rtt_ns = None;
        let mut i = rev.segments.len();
        // Terminates: i decreases every step.
        while i > 0 {
            i -= 1;
            let Some(u) = rev.segments.get_mut(i) else {
                break;
            };
            if ack == u.nextseq {
                acks_frame = Some(u.frame);
                ack_rtt_ns = Some(ns_u64(u.ts, ts));
                rev.segments.remove(i);
            } else if gt(ack, u.seq) && le(ack, u.nextseq) {
                u.seq = ack;
            } else if gt(u.nextseq, ack) {
            } else {
                rev.segments.remove(i);
            }
        }
        // Bytes in flight (Wireshark's default, payload-based method).
        let bytes_in_flight = if seglen > 0 && fwd.valid_bif && !fwd.segments.is_empty() {
            let base = fwd.base.unwrap_or(0);
            let mut first = u32::MAX;
            let mut last = 0u32;
            for u in &fwd.segments {
                first = first.min(u.seq.wrapping_sub(base));
                last = last.max(u.nextseq.wrapping_sub(base));
            }
            let mut bif = last.wrapping_sub(first);
            if has(F::SYN | F::FIN) {
                bif = bif.saturating_sub(1);
            }
            (bif > 0 && bif < 2_000_000_000).then_some(bif)
        } else {
            None
        };

        let win_scale = if has(F::SYN) {
            None
        } else if fwd.win_scale >= 0 && rev.win_scale != -2 {
            Some(fwd.win_scale as u8)
        } else if fwd.win_scale == -2 {
            Some(0)
        } else {
            None
        };
        if s.tls_version.is_none() {
            if let Some(v) = pkt.layers.iter().find_map(|l| match &l.data {
                Decoded::Tls(t) => t.server_hello_version(),
                _ => None,
            }) {
                s.tls_version = Some(v);
            }
        }
        let a = TcpAnalysis {
            stream: s.id,
            seq_base: fwd.base.unwrap_or(0),
            ack_base: rev.base.unwrap_or(0),
            win_scale,
            flags,
            dup_ack_num,
            dup_ack_frame,
            acks_frame,
            ack_rtt_ns,
            bytes_in_flight,
            time_rel_ns: ns_u64(s.first_ts, ts),
            time_delta_ns: ns_u64(s.last_ts, ts),
            tls_version: s.tls_version,
            from_client: fwd_i == 0,
            // Wireshark: FINs of the side that closed first "initiate" the closing (its
            // retransmissions too), the other side's "undergo" it.
            fin_passive: has(F::FIN) && s.first_fin_dir != Some(fwd_i),
        };
        let _ = rev_i;
        s.last_ts = ts;
        a
    }
}

/// A packet's flow analysis in 56 bytes, for viewers that keep it for millions of packets.
/// Lossless: it round-trips everything [`PacketAnalysis`] holds except the per-stream times,
/// which a holder of the packets' time stamps rebuilds (from the stream's first frame and
/// `prev_in_stream`) and passes to [`CompactAnalysis::unpack`]. The ACK's RTT is kept, not
/// rebuilt from `acks_frame`'s time: a viewer's 64-bit nanosecond times saturate on
/// captures stamped past the year 2262. The compare mark is kept apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompactAnalysis {
    /// `tcp.stream`, or `u32::MAX` for no TCP.
    pub tcp_stream: u32,
    /// Relative sequence number base.
    pub seq_base: u32,
    /// Relative acknowledgment number base.
    pub ack_base: u32,
    /// Analysis flags.
    pub flags: u16,
    /// Window scale shift, -1 when unknown.
    pub win_scale: i8,
    /// Segment from the first-seen endpoint.
    pub from_client: bool,
    /// A FIN after the stream's first.
    pub fin_passive: bool,
    /// TLS version on the stream (0 = unknown).
    pub tls_version: u16,
    /// Duplicate ACK number.
    pub dup_ack_num: u16,
    /// Duplicate ACK's original frame (0 = none).
    pub dup_ack_frame: u32,
    /// Frame this packet ACKs (0 = none).
    pub acks_frame: u32,
    /// `udp.stream`, or `u32::MAX`.
    pub udp_stream: u32,
    /// For an echo reply, the request's frame (0 = none).
    pub echo_request_frame: u32,
    /// Previous frame of the same TCP or UDP stream (0 = first).
    pub prev_in_stream: u32,
    /// `tcp.analysis.bytes_in_flight` (`u32::MAX` = none).
    pub bytes_in_flight: u32,
    /// `tcp.analysis.ack_rtt` in nanoseconds (`u64::MAX` = none).
    pub ack_rtt_ns: u64,
}

impl Default for CompactAnalysis {
    fn default() -> Self {
        CompactAnalysis {
            tcp_stream: u32::MAX,
            seq_base: 0,
            ack_base: 0,
            flags: 0,
            win_scale: -1,
            from_client: false,
            fin_passive: false,
            tls_version: 0,
            dup_ack_num: 0,
            dup_ack_frame: 0,
            acks_frame: 0,
            udp_stream: u32::MAX,
            echo_request_frame: 0,
            prev_in_stream: 0,
            bytes_in_flight: u32::MAX,
            ack_rtt_ns: u64::MAX,
        }
    }
}

impl CompactAnalysis {
    /// Packs an analysis (`prev_in_stream` is set by the caller).
    pub fn pack(a: &PacketAnalysis) -> CompactAnalysis {
        let mut c = CompactAnalysis::default();
        if let Some(t) = &a.tcp {
            c.tcp_stream = t.stream;
            c.seq_base = t.seq_base;
            c.ack_base = t.ack_base;
            c.flags = t.flags.0;
            c.win_scale = t.win_scale.map_or(-1, |w| w as i8);
            c.from_client = t.from_client;
            c.fin_passive = t.fin_passive;
            c.tls_version = t.tls_version.unwrap_or(0);
            c.dup_ack_num = t.dup_ack_num.min(u32::from(u16::MAX)) as u16;
            c.dup_ack_frame = t.dup_ack_frame;
            c.acks_frame = t.acks_frame.unwrap_or(0);
            c.bytes_in_flight = t.bytes_in_flight.unwrap_or(u32::MAX);
            c.ack_rtt_ns = t.ack_rtt_ns.unwrap_or(u64::MAX);
        }
        if let Some(u) = &a.udp {
            c.udp_stream = u.stream;
        }
        c.echo_request_frame = a.echo_request_frame.unwrap_or(0);
        c
    }

    /// Unpacks; the caller gives the stream times (nanoseconds since the stream's first
    /// packet and since its previous packet).
    pub fn unpack(&self, time_rel_ns: u64, time_delta_ns: u64) -> PacketAnalysis {
        let tcp = (self.tcp_stream != u32::MAX).then(|| TcpAnalysis {
            stream: self.tcp_stream,
            seq_base: self.seq_base,
            ack_base: self.ack_base,
            win_scale: (self.win_scale >= 0).then_some(self.win_scale as u8),
            flags: TcpFlags(self.flags),
            dup_ack_num: u32::from(self.dup_ack_num),
            dup_ack_frame: self.dup_ack_frame,
            acks_frame: (self.acks_frame != 0).then_some(self.acks_frame),
            ack_rtt_ns: (self.ack_rtt_ns != u64::MAX).then_some(self.ack_rtt_ns),
            bytes_in_flight: (self.bytes_in_flight != u32::MAX).then_some(self.bytes_in_flight),
            time_rel_ns,
            time_delta_ns,
            tls_version: (self.tls_version != 0).then_some(self.tls_version),
            from_client: self.from_client,
            fin_passive: self.fin_passive,
        });
        let udp = (self.udp_stream != u32::MAX).then_some(UdpAnalysis {
            stream: self.udp_stream,
            time_rel_ns,
            time_delta_ns,
        });
        PacketAnalysis {
            tcp,
            udp,
            echo_request_frame: (self.echo_request_frame != 0).then_some(self.echo_request_frame),
            compare: None,
        }
    }

    /// The stream this packet belongs to, as a single key (TCP streams even, UDP odd).
    pub fn stream_key(&self) -> Option<u64> {
        if self.tcp_stream != u32::MAX {
            Some(u64::from(self.tcp_stream) * 2)
        } else if self.udp_stream != u32::MAX {
            Some(u64::from(self.udp_stream) * 2 + 1)
        } else {
            None
        }
    }
}
