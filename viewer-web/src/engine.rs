//! The viewer's capture engine: everything the worker does with a capture, in plain Rust (no
//! web APIs), so it is tested and benchmarked natively.
//!
//! - **Index** while the file streams in (`feed` chunk by chunk, any chunk size): for every
//!   packet its record position, time, lengths, interface, the first [`Engine::snap_len`] bytes
//!   ("snap", enough for link/network/transport headers) and its flow analysis, packed
//!   ([`CompactAnalysis`]). A record that straddles two chunks is assembled from the tail of
//!   one and the head of the next; nothing else is copied. Gzip input is decompressed as it
//!   arrives and kept whole (it cannot be re-read at an offset).
//! - **Rows and details** are decoded from the record bytes, which the caller reads back from
//!   the file at the positions [`Engine::ranges`] gives (or from memory for gzip).
//! - **Filters and sorting** run over the snaps in memory; a filter that needs bytes beyond a
//!   packet's snap asks for that packet's full record ([`Engine::filter_step`]).
//!
//! Memory per packet: 8 + 4 + 8 + 4 + 2 + 2 + 48 (analysis) + `snap_len` bytes.

use crate::proto::{Column, DetailNode, Details, InterfaceInfo, Row, Side, Summary, TimeFormat};
use shared_decode::dissect::columns;
use shared_decode::dissect::{self, Decoded, DissectOptions, Packet};
use shared_decode::file::Format;
use shared_decode::file::{
    CaptureInfo, CaptureParser, FileError, LinkType, Options, Record, Step, Timestamp,
};
use shared_decode::filter::Filter;
use shared_decode::flow::CompactAnalysis;
use shared_decode::format::tree;
use shared_decode::Decoder;
use shared_decode::Layer;
use std::io::Write;

/// Files up to this size get their compare keys while indexing (72 bytes per packet).
pub const KEYS_UP_TO: u64 = 1_200_000_000;
/// Bytes the per-packet index (offsets, times, snaps, analysis, compare keys) may take: a
/// wasm32 heap ends at 4 GiB and growing a vector briefly needs old and new copies. A file
/// with more packets than fit (15M empty records are 240 MB, or 250 KB gzipped) is indexed
/// up to the budget, with a message saying where it stopped, instead of crashing the tab.
pub const INDEX_BUDGET: usize = 2 << 30;

/// Largest gzip-decompressed capture kept in memory.
pub const MAX_GZIP_BYTES: usize = 1536 << 20;

/// Snap length for a file of `size` bytes: smaller snaps for huge files keep the page under
/// 1 GiB (5M packets at 64 bytes plus the index is about 600 MB).
pub fn snap_len_for(size: u64) -> usize {
    match size {
        s if s <= 1_200_000_000 => 128,
        s if s <= 2_500_000_000 => 96,
        _ => 64,
    }
}

/// Wireshark's default colouring rules (first match wins), as (name, background, foreground).
pub const COLOR_RULES: &[(&str, &str, &str)] = &[
    ("Bad TCP", "#000000", "#ff5f5f"),
    ("Checksum errors", "#000000", "#ff5f5f"),
    ("ICMP errors", "#000000", "#b7f774"),
    ("TCP RST", "#a40000", "#fffc9c"),
    ("TTL low or unexpected", "#a40000", "#fffc9c"),
    ("TCP SYN/FIN", "#a0a0a0", "#12272e"),
    ("ARP", "#faf0d7", "#12272e"),
    ("ICMP", "#fce0ff", "#12272e"),
    ("DNS", "#daeeff", "#12272e"),
    ("HTTP", "#e4ffc7", "#12272e"),
    ("TCP", "#e7e6ff", "#12272e"),
    ("UDP", "#daeeff", "#12272e"),
    ("Broadcast", "#ffffff", "#babdb6"),
];

/// Index into [`COLOR_RULES`] for a packet, or `u8::MAX` for none.
pub fn color_of(pkt: &Packet<'_>) -> u8 {
    let mut bad_ck = false;
    let mut tcp_bad = false;
    let mut icmp_err = false;
    let (mut rst, mut synfin, mut arp, mut icmp, mut dns, mut http, mut tcp, mut udp) =
        (false, false, false, false, false, false, false, false);
    let mut ttl_low = false;
    let mut bcast = false;
    if let Some(a) = pkt.analysis.tcp.as_ref() {
        let f = a.flags;
        tcp_bad = !f.is_empty()
            && f.0
                & !(shared_decode::flow::TcpFlags::WINDOW_UPDATE.0
                    | shared_decode::flow::TcpFlags::KEEP_ALIVE.0
                    | shared_decode::flow::TcpFlags::KEEP_ALIVE_ACK.0)
                != 0;
    }
    for l in &pkt.layers {
        match &l.data {
            Decoded::Ethernet(e) => bcast = e.dst()[0] & 1 == 1,
            Decoded::Ipv4(ip) if !ip.in_error => {
                bad_ck |= !ip.verify().ok();
                let d = ip.dst();
                ttl_low |= ip.ttl() < 5 && !(224..=239).contains(&d[0]);
            }
            Decoded::Tcp(t) if !t.in_error => {
                tcp = true;
                rst |= t.has(shared_decode::dissect::tcp::flags::RST);
                synfin |= t.has(
                    shared_decode::dissect::tcp::flags::SYN
                        | shared_decode::dissect::tcp::flags::FIN,
                );
                http |= t.src_port() == 80 || t.dst_port() == 80;
                bad_ck |= t.verify().is_some_and(|v| !v.ok());
            }
            Decoded::Udp(u) if !u.in_error => {
                udp = true;
                bad_ck |= u.verify().is_some_and(|v| !v.ok());
            }
            Decoded::Icmp(m) if !m.in_error => {
                icmp = true;
                icmp_err |= dissect::icmp::is_error(m.icmp_type());
            }
            Decoded::Icmpv6(m) if !m.in_error => {
                icmp = true;
                icmp_err |= m.icmp_type() < 128;
            }
            Decoded::Arp(_) => arp = true,
            Decoded::Dns(_) => dns = true,
            Decoded::Http(_) => http = true,
            _ => {}
        }
    }
    let order = [
        tcp_bad, bad_ck, icmp_err, rst, ttl_low, synfin, arp, icmp, dns, http, tcp, udp, bcast,
    ];
    order.iter().position(|&b| b).map_or(u8::MAX, |i| i as u8)
}

/// A problem the index pass met (the file is still usable up to and around it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexProblem {
    /// Message with the offset.
    pub message: String,
    /// File offset.
    pub offset: u64,
}

/// The capture engine.
pub struct Engine {
    name: String,
    size: u64,
    parser: CaptureParser,
    decoder: Decoder,
    /// Bytes of a record that started in the previous chunk.
    carry: Vec<u8>,
    carry_off: u64,
    /// File offset of the next byte to come.
    pos: u64,
    gzip: Option<flate2::write::MultiGzDecoder<Vec<u8>>>,
    /// Whole (decompressed) contents for gzip input.
    mem: Option<Vec<u8>>,
    /// Parsed up to here within `mem`.
    mem_pos: usize,
    snap_len: usize,
    offsets: Vec<u64>,
    lens: Vec<u32>,
    ts: Vec<i64>,
    orig: Vec<u32>,
    ifaces: Vec<u16>,
    snap_lens: Vec<u16>,
    snaps: Vec<u8>,
    analysis: Vec<CompactAnalysis>,
    /// Per packet: a bit per [`Layer`] its full dissection at index time contained.
    layer_masks: Vec<u64>,
    /// Per packet: its result in a compare with the other capture of a pair.
    marks: Vec<shared_decode::flow::CompareMark>,
    /// Per packet: its compare key, made while indexing files up to [`KEYS_UP_TO`] bytes
    /// (larger files get theirs in a second pass when a compare starts, to stay in memory).
    keys: Vec<shared_decode::compare::Fingerprint>,
    stream_first: Vec<u32>,
    stream_last: std::collections::HashMap<u64, u32, shared_decode::flow::TableState>,
    /// Frame numbers (1-based) in display order; empty = all in file order.
    view: Option<Vec<u32>>,
    problems: Vec<IndexProblem>,
    done: bool,
    /// Bytes the per-packet index may take (see [`INDEX_BUDGET`]).
    budget: usize,
    first_sniffed: bool,
    /// The files read one after another as this capture (a rotated set); empty for one file.
    parts: Vec<FileSpan>,
    /// Files still to come after the current one.
    files_left: usize,
    /// The current file ended; the next one has not started.
    file_ended: bool,
}

/// One file of a set read as one capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSpan {
    /// File name.
    pub name: String,
    /// Its size.
    pub size: u64,
    /// Offset of its first byte in the set (the files' bytes follow each other).
    pub start: u64,
    /// Its first frame number (1-based; set when the file starts).
    pub first_frame: u32,
}

/// How `feed` went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes consumed so far.
    pub bytes: u64,
    /// Packets indexed so far.
    pub packets: u64,
}

impl Engine {
    /// An engine for a file of `size` bytes.
    pub fn new(name: &str, size: u64) -> Engine {
        Engine {
            name: name.to_string(),
            size,
            parser: CaptureParser::new(),
            decoder: Decoder::new(),
            carry: Vec::new(),
            carry_off: 0,
            pos: 0,
            gzip: None,
            mem: None,
            mem_pos: 0,
            snap_len: snap_len_for(size),
            offsets: Vec::new(),
            lens: Vec::new(),
            ts: Vec::new(),
            orig: Vec::new(),
            ifaces: Vec::new(),
            snap_lens: Vec::new(),
            snaps: Vec::new(),
            analysis: Vec::new(),
            layer_masks: Vec::new(),
            marks: Vec::new(),
            keys: Vec::new(),
            stream_first: Vec::new(),
            stream_last: Default::default(),
            view: None,
            problems: Vec::new(),
            done: false,
            budget: INDEX_BUDGET,
            first_sniffed: false,
            parts: Vec::new(),
            files_left: 0,
            file_ended: false,
        }
    }

    /// This capture is a set of files, fed in this order (names and sizes), each followed by
    /// [`Engine::next_file`] before the next one's bytes.
    pub fn set_files(&mut self, files: &[(String, u64)]) {
        let mut start = 0u64;
        self.parts = files
            .iter()
            .map(|(name, size)| {
                let p = FileSpan {
                    name: name.clone(),
                    size: *size,
                    start,
                    first_frame: 0,
                };
                start = start.saturating_add(*size);
                p
            })
            .collect();
        if let Some(p) = self.parts.first_mut() {
            p.first_frame = 1;
        }
        self.files_left = files.len().saturating_sub(1);
    }

    /// The next file of the set starts (at the current offset).
    pub fn next_file(&mut self) {
        if self.files_left == 0 || self.done {
            return;
        }
        if !self.carry.is_empty() {
            self.problems.push(IndexProblem {
                message: format!(
                    "the file ended inside a record ({} bytes of it)",
                    self.carry.len()
                ),
                offset: self.carry_off,
            });
            self.carry.clear();
        }
        if self.mem.is_some() {
            self.problems.push(IndexProblem {
                message: "a gzip-compressed file in a set of files: decompress the set first"
                    .into(),
                offset: self.pos,
            });
            self.done = true;
            return;
        }
        self.files_left -= 1;
        self.file_ended = false;
        let k = self.parts.len() - self.files_left - 1;
        // The bytes fed so far are exactly the files before this one.
        self.pos = self.parts.get(k).map_or(self.pos, |p| p.start);
        self.parser.next_file(self.pos);
        let frame = self.offsets.len() as u32 + 1;
        if let Some(p) = self.parts.get_mut(k) {
            p.first_frame = frame;
        }
    }

    /// The files of a set with their first frames (empty for one file).
    pub fn parts(&self) -> &[FileSpan] {
        &self.parts
    }

    /// The compare's description of this side (of each file of a set).
    pub fn side_info(
        &self,
        keys: &[shared_decode::compare::Fingerprint],
    ) -> shared_decode::compare::SideInfo {
        use shared_decode::compare::SideInfo;
        if self.parts.len() < 2 {
            return SideInfo::new(&self.name, keys, Some(self.info()));
        }
        let total = self.total() as u32;
        let parts: Vec<(String, usize, CaptureInfo)> = self
            .parts
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let end = self
                    .parts
                    .get(k + 1)
                    .map_or(total + 1, |n| n.first_frame.max(p.first_frame));
                (
                    p.name.clone(),
                    end.saturating_sub(p.first_frame) as usize,
                    self.info().part(p.start, p.start.saturating_add(p.size)),
                )
            })
            .collect();
        SideInfo::from_files(&self.name, keys, &parts)
    }

    /// The file of a set whose first packet this frame is (not the set's first file).
    pub fn file_starting_at(&self, frame: u32) -> Option<&str> {
        let i = self.parts.partition_point(|p| p.first_frame < frame);
        self.parts
            .get(i)
            .filter(|p| i > 0 && p.first_frame == frame)
            .map(|p| p.name.as_str())
    }

    /// The current file is over: the capture is, unless more files follow.
    fn end_file(&mut self) {
        if self.files_left == 0 {
            self.done = true;
        } else {
            self.file_ended = true;
        }
    }

    fn stopped(&self) -> bool {
        self.done || self.file_ended
    }

    /// The file name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The file size.
    pub fn size(&self) -> u64 {
        self.size
    }
    /// Bytes kept per packet from its start.
    pub fn snap_len(&self) -> usize {
        self.snap_len
    }
    /// Packets indexed.
    pub fn total(&self) -> usize {
        self.offsets.len()
    }
    /// Packets in the current view.
    pub fn displayed(&self) -> usize {
        self.view.as_ref().map_or(self.total(), Vec::len)
    }
    /// What the file says about itself.
    pub fn info(&self) -> &CaptureInfo {
        self.parser.info()
    }
    /// Problems met while indexing.
    pub fn problems(&self) -> &[IndexProblem] {
        &self.problems
    }
    /// Whether indexing finished.
    pub fn is_done(&self) -> bool {
        self.done
    }
    /// Whether the input was gzip (records are then read from memory).
    pub fn in_memory(&self) -> bool {
        self.mem.is_some()
    }
    /// First and last packet time stamps (ns since the epoch).
    pub fn time_span(&self) -> Option<(i64, i64)> {
        Some((*self.ts.first()?, *self.ts.iter().max()?))
    }
    /// Heap bytes held for the index, snaps and analysis.
    pub fn heap_bytes(&self) -> usize {
        self.offsets.capacity() * 8
            + self.lens.capacity() * 4
            + self.ts.capacity() * 8
            + self.orig.capacity() * 4
            + self.ifaces.capacity() * 2
            + self.snap_lens.capacity() * 2
            + self.snaps.capacity()
            + self.analysis.capacity() * std::mem::size_of::<CompactAnalysis>()
            + self.layer_masks.capacity() * 8
            + self.keys.capacity() * std::mem::size_of::<shared_decode::compare::Fingerprint>()
            + self.mem.as_ref().map_or(0, Vec::capacity)
    }

    /// Feeds the next bytes of the file (`eof`: no more will come).
    pub fn feed(&mut self, chunk: &[u8], eof: bool) -> Progress {
        if !self.first_sniffed {
            self.first_sniffed = true;
            if chunk.starts_with(&[0x1f, 0x8b]) {
                self.gzip = Some(flate2::write::MultiGzDecoder::new(Vec::new()));
                self.mem = Some(Vec::new());
                self.parser.info_mut().gzip = true;
            }
        }
        if self.mem.is_some() {
            // Gzip input (kept whole in memory). Inflate in small pieces and check the size after each: a 32 MiB slice of a
            // gzip bomb must not become gigabytes before the limit is seen.
            for (k, piece) in chunk.chunks(64 << 10).enumerate() {
                let last = eof && (k + 1) * (64 << 10) >= chunk.len();
                let Some(gz) = self.gzip.as_mut() else { break };
                let r = gz
                    .write_all(piece)
                    .and_then(|()| if last { gz.try_finish() } else { Ok(()) });
                let out = std::mem::take(gz.get_mut());
                if let Err(e) = r {
                    self.problems.push(IndexProblem {
                        message: format!("gzip stream corrupt: {e}"),
                        offset: self.pos,
                    });
                    self.gzip = None;
                }
                self.pos += piece.len() as u64;
                if let Some(mem) = self.mem.as_mut() {
                    if mem.len() + out.len() > MAX_GZIP_BYTES {
                        self.problems.push(IndexProblem {
                            message: format!("the decompressed capture is larger than {} MiB; decompress it first (gunzip) to open it", MAX_GZIP_BYTES >> 20),
                            offset: mem.len() as u64,
                        });
                        self.done = true;
                        return self.progress();
                    }
                    mem.extend_from_slice(&out);
                }
                if self.gzip.is_none() {
                    break;
                }
            }
            if chunk.is_empty() && eof {
                if let Some(gz) = self.gzip.as_mut() {
                    let _ = gz.try_finish();
                    let out = std::mem::take(gz.get_mut());
                    if let Some(mem) = self.mem.as_mut() {
                        if mem.len() + out.len() <= MAX_GZIP_BYTES {
                            mem.extend_from_slice(&out);
                        }
                    }
                }
            }
            let eof = eof || self.gzip.is_none();
            self.parse_mem(eof);
            return self.progress();
        }
        let base = self.pos;
        self.pos += chunk.len() as u64;
        let mut at = 0usize;
        // Finish a record that started in an earlier chunk: the carry, extended with just as
        // many bytes of this chunk as the parser asks for. Invariant: the bytes appended to
        // the carry are exactly `chunk[..at]`.
        let mut carried_len = self.carry.len();
        while !self.carry.is_empty() && !self.stopped() {
            let carry = std::mem::take(&mut self.carry);
            let last_chance = eof && at >= chunk.len();
            match self.parser.next(&carry, self.carry_off, last_chance) {
                Step::NeedMore { needed } if !last_chance => {
                    let want = needed.saturating_sub(carry.len());
                    let take = want.min(chunk.len() - at);
                    self.carry = carry;
                    self.carry
                        .extend_from_slice(chunk.get(at..at + take).unwrap_or(&[]));
                    at += take;
                    if take < want && !eof {
                        // Still incomplete: wait for the next chunk.
                        return self.progress();
                    }
                }
                Step::NeedMore { .. } => {
                    self.end_file();
                    return self.progress();
                }
                step => {
                    let consumed = self.apply(step, &carry, self.carry_off);
                    if consumed >= carried_len {
                        // Consumed all old bytes: continue inside the chunk.
                        at = consumed - carried_len;
                        break;
                    }
                    // Old bytes remain: they (and nothing of this chunk yet) form the new carry.
                    self.carry = carry.get(consumed..carried_len).unwrap_or(&[]).to_vec();
                    self.carry_off += consumed as u64;
                    carried_len = self.carry.len();
                    at = 0;
                }
            }
        }
        // Records fully inside this chunk.
        loop {
            if self.stopped() {
                break;
            }
            let rest = chunk.get(at..).unwrap_or(&[]);
            let off = base + at as u64;
            match self.parser.next(rest, off, eof) {
                Step::NeedMore { .. } if !eof => {
                    self.carry = rest.to_vec();
                    self.carry_off = off;
                    break;
                }
                Step::NeedMore { .. } => break,
                Step::End => {
                    self.end_file();
                    break;
                }
                step => {
                    let consumed = self.apply(step, rest, off);
                    at += consumed;
                }
            }
        }
        if eof {
            self.end_file();
        }
        self.progress()
    }

    fn parse_mem(&mut self, eof: bool) {
        let Some(mem) = self.mem.take() else { return };
        loop {
            let rest = mem.get(self.mem_pos..).unwrap_or(&[]);
            match self.parser.next(rest, self.mem_pos as u64, eof) {
                Step::NeedMore { .. } => break,
                Step::End => {
                    self.done = true;
                    break;
                }
                step => {
                    let off = self.mem_pos as u64;
                    let consumed = self.apply(step, rest, off);
                    self.mem_pos += consumed;
                }
            }
        }
        if eof {
            self.done = true;
        }
        self.mem = Some(mem);
    }

    /// Applies one parser step taken on `buf` (at file offset `off`); returns bytes consumed.
    fn apply(&mut self, step: Step, buf: &[u8], off: u64) -> usize {
        match step {
            Step::Record(raw) => {
                let rec = raw.to_record(buf, off);
                self.index_record(&rec);
                raw.consumed
            }
            Step::Meta { consumed } => consumed,
            Step::Error { error, skip } => {
                self.note(&error);
                match skip {
                    Some(n) => n,
                    None => {
                        self.end_file();
                        buf.len()
                    }
                }
            }
            Step::End => {
                self.end_file();
                buf.len()
            }
            Step::NeedMore { .. } => 0,
        }
    }

    fn note(&mut self, e: &FileError) {
        self.problems.push(IndexProblem {
            message: e.to_string(),
            offset: e.offset,
        });
    }

    /// After the first packets, reserves the per-packet vectors for the whole file (growing
    /// them by doubling copies hundreds of MB on a million-packet file).
    fn reserve_estimate(&mut self) {
        let n = self.offsets.len();
        let (Some(&first), Some(&last)) = (self.offsets.first(), self.offsets.last()) else {
            return;
        };
        let span = last.saturating_sub(first).max(1);
        let left = self.size.saturating_sub(last);
        // 16 bytes is the smallest record: never reserve more than the file could hold.
        let more = ((left as f64 * (n as f64 - 1.0) / span as f64) * 1.05) as u64;
        // At most 8M packets (about 1.2 GB of index) ahead: a file that starts with small
        // packets would otherwise reserve far more than it needs; the next estimate takes
        // over beyond that. (Growing in small steps instead leaves the wasm heap fragmented:
        // 5M packets took 1.3 GB of wasm memory in 2M steps, 0.84 GB in one.)
        let more = more.min(left / 16).clamp(1024, 8_000_000) as usize;
        // Never reserve beyond the budget (index_record stops there).
        let more = more.min(self.packet_budget().saturating_sub(n).max(1));
        self.offsets.reserve_exact(more);
        self.lens.reserve_exact(more);
        self.ts.reserve_exact(more);
        self.orig.reserve_exact(more);
        self.ifaces.reserve_exact(more);
        self.snap_lens.reserve_exact(more);
        self.analysis.reserve_exact(more);
        self.layer_masks.reserve_exact(more);
        if self.size <= KEYS_UP_TO {
            self.keys.reserve_exact(more);
        }
        self.snaps.reserve_exact(more.saturating_mul(self.snap_len));
    }

    /// Index bytes per packet: every per-packet vector's element plus the snap.
    fn per_packet_bytes(&self) -> usize {
        use std::mem::size_of;
        let keys = if self.size <= KEYS_UP_TO {
            size_of::<shared_decode::compare::Fingerprint>()
        } else {
            0
        };
        8 + 4 + 8 + 4 + 2 + 2 + 8 + self.snap_len + size_of::<CompactAnalysis>() + keys
    }

    /// How many packets the index budget holds.
    pub fn packet_budget(&self) -> usize {
        self.budget / self.per_packet_bytes().max(1)
    }

    /// Lowers the index budget (tests; a page that knows it has less memory).
    pub fn set_budget(&mut self, bytes: usize) {
        self.budget = bytes;
    }

    fn index_record(&mut self, rec: &Record<'_>) {
        if self.offsets.len() >= self.packet_budget() {
            let n = self.offsets.len();
            self.problems.push(IndexProblem {
                message: format!(
                    "stopped after {n} packets: their index fills the {} MiB this viewer keeps for it (a browser tab's WebAssembly has 4 GiB); the rest of the file, from this offset on, is not shown — cut the file into parts (editcap -c {n}) or keep what matters (paircap read FILE -Y FILTER -w PART)",
                    self.budget >> 20
                ),
                offset: rec.offset,
            });
            self.done = true;
            return;
        }
        let frame = self.offsets.len() as u32 + 1;
        // Reserve from an estimate after the first packets, and again whenever the estimate
        // ran out (by then it rests on more of the file), instead of doubling.
        if self.mem.is_none()
            && (frame == 4097 || (frame > 4097 && self.offsets.len() == self.offsets.capacity()))
        {
            self.reserve_estimate();
        }
        let mut pkt = dissect::blank(rec, 0);
        self.decoder.decode_into(&mut pkt);
        self.offsets.push(rec.offset);
        self.lens.push(rec.block_len);
        self.ts
            .push(i64::try_from(pkt.meta.ts.as_nanos()).unwrap_or(i64::MAX));
        self.orig.push(rec.orig_len);
        self.ifaces
            .push(rec.interface.min(u32::from(u16::MAX)) as u16);
        let n = rec.data.len().min(self.snap_len);
        self.snap_lens.push(n as u16);
        let start = self.snaps.len();
        self.snaps
            .extend_from_slice(rec.data.get(..n).unwrap_or(&[]));
        self.snaps.resize(start + self.snap_len, 0);
        self.layer_masks.push(
            pkt.layers
                .iter()
                .fold(0u64, |m, l| m | layer_bit(l.layer())),
        );
        if self.size <= KEYS_UP_TO {
            self.keys
                .push(shared_decode::compare::Fingerprint::of(&pkt));
        }
        let mut c = CompactAnalysis::pack(&pkt.analysis);
        if let Some(k) = c.stream_key() {
            match self.stream_last.insert(k, frame) {
                Some(prev) => c.prev_in_stream = prev,
                None => {
                    // First packet of the stream: remember it for stream-relative times.
                    let slot = k as usize;
                    if self.stream_first.len() <= slot {
                        self.stream_first.resize(slot + 1, 0);
                    }
                    if let Some(s) = self.stream_first.get_mut(slot) {
                        *s = frame;
                    }
                }
            }
        }
        self.analysis.push(c);
    }

    fn progress(&self) -> Progress {
        Progress {
            bytes: self.pos,
            packets: self.offsets.len() as u64,
        }
    }

    /// Frame number (1-based) at a display position.
    pub fn frame_at(&self, display_pos: usize) -> Option<u32> {
        match &self.view {
            Some(v) => v.get(display_pos).copied(),
            None => (display_pos < self.total()).then_some(display_pos as u32 + 1),
        }
    }

    /// The `tcp.stream` of a frame (from the index's flow analysis).
    pub fn tcp_stream_of(&self, frame: u32) -> Option<u32> {
        let a = self.analysis.get((frame as usize).checked_sub(1)?)?;
        (a.tcp_stream != u32::MAX).then_some(a.tcp_stream)
    }

    /// The frames of one TCP stream, in file order, and how many TCP streams there are.
    pub fn tcp_stream_frames(&self, stream: u32) -> (Vec<u32>, u32) {
        let mut frames = Vec::new();
        let mut streams = 0u32;
        for (i, a) in self.analysis.iter().enumerate() {
            if a.tcp_stream == u32::MAX {
                continue;
            }
            streams = streams.max(a.tcp_stream.saturating_add(1));
            if a.tcp_stream == stream {
                frames.push(i as u32 + 1);
            }
        }
        (frames, streams)
    }

    /// Display position of a frame, if it is shown.
    pub fn position_of(&self, frame: u32) -> Option<usize> {
        match &self.view {
            Some(v) => v.iter().position(|&f| f == frame),
            None => (frame >= 1 && (frame as usize) <= self.total()).then(|| frame as usize - 1),
        }
    }

    /// File ranges `(offset, len)` holding the records of these frames, merged where they
    /// touch (rows of a screen are usually one contiguous read).
    pub fn ranges(&self, frames: &[u32]) -> Vec<(u64, u64)> {
        self.ranges_with_gap(frames, 0)
    }

    /// Like [`Engine::ranges`], also merging ranges less than `gap` bytes apart: one read of
    /// a few hundred KB costs about what a separate read costs in a browser, so scattered
    /// records are cheaper to read with the bytes between them.
    pub fn ranges_with_gap(&self, frames: &[u32], gap: u64) -> Vec<(u64, u64)> {
        let mut r: Vec<(u64, u64)> = frames
            .iter()
            .filter_map(|&f| {
                let i = (f as usize).checked_sub(1)?;
                Some((*self.offsets.get(i)?, u64::from(*self.lens.get(i)?)))
            })
            .collect();
        r.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(r.len());
        for (o, l) in r {
            match merged.last_mut() {
                Some((mo, ml)) if *mo + *ml + gap >= o && o + l - *mo <= 64 << 20 => {
                    *ml = (*ml).max(o + l - *mo)
                }
                _ => merged.push((o, l)),
            }
        }
        merged
    }

    /// The record bytes of a frame from buffers read at `ranges` (as returned by
    /// [`Engine::ranges`]), or from memory for gzip input.
    pub fn record_bytes<'b>(
        &'b self,
        frame: u32,
        blocks: &'b [(u64, Vec<u8>)],
    ) -> Option<&'b [u8]> {
        let i = (frame as usize).checked_sub(1)?;
        let off = *self.offsets.get(i)?;
        let len = *self.lens.get(i)? as u64;
        if let Some(mem) = &self.mem {
            return mem.get(off as usize..(off + len) as usize);
        }
        blocks.iter().find_map(|(bo, b)| {
            if off >= *bo && off + len <= *bo + b.len() as u64 {
                b.get((off - bo) as usize..(off - bo + len) as usize)
            } else {
                None
            }
        })
    }

    fn meta_for(&self, frame: u32, pkt: &mut Packet<'_>) {
        let i = frame as usize - 1;
        let t = self.ts.get(i).copied().unwrap_or(0);
        let first = self.ts.first().copied().unwrap_or(t);
        let prev = if i > 0 {
            self.ts.get(i - 1).copied().unwrap_or(t)
        } else {
            t
        };
        pkt.meta.number = u64::from(frame);
        pkt.meta.ts = Timestamp::from_nanos(i128::from(t));
        pkt.meta.rel_ns = i128::from(t) - i128::from(first);
        pkt.meta.delta_ns = i128::from(t) - i128::from(prev);
        pkt.meta.has_ts = true;
        if let Some(c) = self.analysis.get(i) {
            let stream_first = c
                .stream_key()
                .and_then(|k| self.stream_first.get(k as usize))
                .copied()
                .unwrap_or(frame);
            let ts_of = |f: u32| {
                self.ts
                    .get((f as usize).saturating_sub(1))
                    .copied()
                    .unwrap_or(t)
            };
            let rel = (t - ts_of(stream_first)).max(0) as u64;
            let delta = if c.prev_in_stream == 0 {
                0
            } else {
                (t - ts_of(c.prev_in_stream)).max(0) as u64
            };
            pkt.analysis = c.unpack(rel, delta);
        }
        pkt.analysis.compare = self.marks.get(i).copied();
    }

    /// Decodes frame `frame` from its full record bytes, or from its snap when `record` is
    /// `None`.
    pub fn decode<'a>(
        &'a self,
        frame: u32,
        record: Option<&'a [u8]>,
        opts: DissectOptions,
    ) -> Option<Packet<'a>> {
        let i = (frame as usize).checked_sub(1)?;
        let rec = match record {
            Some(bytes) => self.parser.record_at(bytes, *self.offsets.get(i)?).ok()?,
            None => {
                let iface = u32::from(*self.ifaces.get(i)?);
                let snap = self.snaps.get(
                    i * self.snap_len..i * self.snap_len + usize::from(*self.snap_lens.get(i)?),
                )?;
                let link = self
                    .info()
                    .interfaces
                    .get(iface as usize)
                    .map_or(LinkType::ETHERNET, |x| x.link());
                Record {
                    offset: *self.offsets.get(i)?,
                    block_len: *self.lens.get(i)?,
                    interface: iface,
                    link_type: link,
                    ts: None,
                    orig_len: *self.orig.get(i)?,
                    data: snap,
                    flags: None,
                    drop_count: None,
                    options: Options::EMPTY,
                }
            }
        };
        let mut pkt = dissect::blank(&rec, u64::from(frame));
        self.meta_for(frame, &mut pkt);
        pkt.redissect(opts);
        Some(pkt)
    }

    /// Sets every packet's compare result (index = frame number - 1; empty to clear).
    pub fn set_compare_marks(&mut self, marks: Vec<shared_decode::flow::CompareMark>) {
        self.marks = marks;
    }

    /// Appends the compare keys of these frames (read into `blocks`) to `out`; a frame
    /// whose record cannot be read gets an empty key (it then matches nothing).
    pub fn fingerprints(
        &self,
        frames: &[u32],
        blocks: &[(u64, Vec<u8>)],
        out: &mut Vec<shared_decode::compare::Fingerprint>,
    ) {
        for &f in frames {
            let key = self
                .record_bytes(f, blocks)
                .and_then(|rec| self.decode(f, Some(rec), DissectOptions::default()))
                .map(|p| shared_decode::compare::Fingerprint::of(&p))
                .unwrap_or_default();
            out.push(key);
        }
    }

    /// The compare keys made while indexing, when every packet has one.
    pub fn keys(&self) -> Option<&[shared_decode::compare::Fingerprint]> {
        (self.keys.len() == self.total() && self.total() > 0).then_some(&self.keys[..])
    }

    /// Time stamp (ns since the epoch) of a frame.
    pub fn ts_of(&self, frame: u32) -> Option<i64> {
        self.ts.get((frame as usize).checked_sub(1)?).copied()
    }

    /// The captured bytes of a frame, from its record in `blocks` (or memory for gzip).
    pub fn packet_bytes<'b>(
        &'b self,
        frame: u32,
        blocks: &'b [(u64, Vec<u8>)],
    ) -> Option<&'b [u8]> {
        let i = (frame as usize).checked_sub(1)?;
        let rec = self.record_bytes(frame, blocks)?;
        self.parser
            .record_at(rec, *self.offsets.get(i)?)
            .ok()
            .map(|r| r.data)
    }

    /// Writes one frame's record (its bytes as stored in the file) to an exporter.
    ///
    /// # Errors
    /// The exporter's.
    pub fn export_record<W: std::io::Write>(
        &self,
        frame: u32,
        rec: &[u8],
        out: &mut shared_decode::export::Exporter<W>,
    ) -> std::io::Result<()> {
        let Some(&off) = (frame as usize)
            .checked_sub(1)
            .and_then(|i| self.offsets.get(i))
        else {
            return Ok(());
        };
        match self.parser.record_at(rec, off) {
            Ok(r) => out.write(self.info(), &r),
            Err(_) => Ok(()),
        }
    }

    /// Whether the snap holds the whole captured packet.
    pub fn snap_is_whole(&self, frame: u32) -> bool {
        let i = frame as usize - 1;
        let caplen = self.lens.get(i).copied().unwrap_or(0);
        let snap = self.snap_lens.get(i).copied().unwrap_or(0);
        // The record length includes its header; a snap shorter than the snap length means
        // the whole packet fitted.
        usize::from(snap) < self.snap_len || caplen == 0
    }

    /// Rows for display positions `start..start+count`; `blocks` from [`Engine::ranges`].
    pub fn rows(
        &self,
        start: usize,
        count: usize,
        blocks: &[(u64, Vec<u8>)],
        tf: TimeFormat,
    ) -> Vec<Row> {
        (start..start + count)
            .map_while(|pos| Some((pos, self.frame_at(pos)?)))
            .filter_map(|(pos, f)| self.row(f, pos as u32, blocks, tf))
            .collect()
    }

    /// The packet-list row of a frame (shown at display position `pos`).
    pub fn row(
        &self,
        frame: u32,
        pos: u32,
        blocks: &[(u64, Vec<u8>)],
        tf: TimeFormat,
    ) -> Option<Row> {
        let rec = self.record_bytes(frame, blocks);
        let pkt = self.decode(frame, rec, DissectOptions::default())?;
        let mut cols = columns::Columns::default();
        columns::columns(&pkt, &mut cols);
        Some(Row {
            pos,
            number: frame,
            time: format_time(
                &pkt,
                tf,
                self.ts.get(frame as usize - 1).copied().unwrap_or(0),
            ),
            source: cols.source,
            destination: cols.destination,
            protocol: cols.protocol,
            length: pkt.meta.orig_len,
            info: cols.info,
            color: color_of(&pkt),
            file_start: self.file_starting_at(frame).map(str::to_string),
        })
    }

    /// The details tree and bytes of a frame.
    pub fn details(&self, frame: u32, blocks: &[(u64, Vec<u8>)]) -> Option<Details> {
        let rec = self.record_bytes(frame, blocks);
        let pkt = self.decode(frame, rec, DissectOptions::default())?;
        let nodes = tree::tree(&pkt)
            .into_iter()
            .map(|n| DetailNode {
                depth: n.depth,
                field: n.field.map(str::to_string),
                label: n.label,
                start: n.span.off,
                len: n.span.len,
                severity: n.severity.map(|s| s.name().to_string()),
                filter: n.filter,
            })
            .collect();
        Some(Details {
            side: Side::Source,
            frame,
            nodes,
            bytes: pkt.data.to_vec(),
        })
    }

    /// Sets the displayed frames (filter result, then sorted), `None` for all in order.
    pub fn set_view(&mut self, view: Option<Vec<u32>>) {
        self.view = view;
    }

    /// The current view (frame numbers in display order), `None` for all in order.
    pub fn view(&self) -> Option<&[u32]> {
        self.view.as_deref()
    }

    /// Sorts the current view by a column (stable; by frame number within equal keys).
    pub fn sort(&mut self, col: Column, ascending: bool) {
        let mut frames: Vec<u32> = match self.view.take() {
            Some(v) => v,
            None => (1..=self.total() as u32).collect(),
        };
        match col {
            Column::Number => frames.sort_unstable(),
            Column::Time => {
                frames.sort_by_key(|&f| (self.ts.get(f as usize - 1).copied().unwrap_or(0), f))
            }
            Column::Length => {
                frames.sort_by_key(|&f| (self.orig.get(f as usize - 1).copied().unwrap_or(0), f))
            }
            Column::Source | Column::Destination | Column::Protocol | Column::Info => {
                let mut cols = columns::Columns::default();
                let mut keyed: Vec<(String, u32)> = frames
                    .iter()
                    .map(|&f| {
                        let key = self
                            .decode(f, None, DissectOptions::default())
                            .map(|p| {
                                columns::columns(&p, &mut cols);
                                match col {
                                    Column::Source => sortable_addr(&cols.source),
                                    Column::Destination => sortable_addr(&cols.destination),
                                    Column::Protocol => cols.protocol.clone(),
                                    _ => cols.info.clone(),
                                }
                            })
                            .unwrap_or_default();
                        (key, f)
                    })
                    .collect();
                keyed.sort();
                frames = keyed.into_iter().map(|k| k.1).collect();
            }
        }
        if !ascending {
            frames.reverse();
        }
        let identity = ascending && col == Column::Number && frames.len() == self.total();
        self.view = if identity { None } else { Some(frames) };
    }
}

/// Cuts the records of chosen frames out of a file streamed past in slices (in file
/// order): for passes that need most records (a filter on payloads, compare keys of a big
/// file), one sequential read with recycled buffers instead of many random reads.
#[derive(Debug, Default)]
pub struct RecordScan {
    frames: Vec<u32>,
    next: usize,
    carry: Vec<u8>,
}

impl RecordScan {
    /// A scan for these frames (ascending).
    pub fn new(frames: Vec<u32>) -> RecordScan {
        RecordScan {
            frames,
            next: 0,
            carry: Vec::new(),
        }
    }

    /// Whether every frame has been handed out.
    pub fn done(&self) -> bool {
        self.next >= self.frames.len()
    }

    /// The file bytes `bytes` starting at offset `off` (slices in order, no gaps): calls
    /// `each(frame, record)` for every chosen record that is now complete.
    pub fn feed(&mut self, e: &Engine, off: u64, bytes: &[u8], mut each: impl FnMut(u32, &[u8])) {
        let end = off + bytes.len() as u64;
        while let Some(&f) = self.frames.get(self.next) {
            let i = f as usize - 1;
            let (Some(&ro), Some(&rl)) = (e.offsets.get(i), e.lens.get(i)) else {
                self.next += 1;
                continue;
            };
            let rl = u64::from(rl);
            if !self.carry.is_empty() {
                // The rest of a record that began in an earlier slice.
                let want = (rl as usize).saturating_sub(self.carry.len());
                let take = want.min(bytes.len());
                self.carry
                    .extend_from_slice(bytes.get(..take).unwrap_or(&[]));
                if take < want {
                    return;
                }
                let rec = std::mem::take(&mut self.carry);
                each(f, &rec);
                self.next += 1;
                continue;
            }
            if ro < off {
                // Began before the slices we saw: cannot be cut (should not happen).
                self.next += 1;
                continue;
            }
            if ro + rl <= end {
                let a = (ro - off) as usize;
                each(f, bytes.get(a..a + rl as usize).unwrap_or(&[]));
                self.next += 1;
            } else if ro < end {
                self.carry = bytes.get((ro - off) as usize..).unwrap_or(&[]).to_vec();
                return;
            } else {
                return;
            }
        }
    }
}

/// Frames a filter pass decided, and those it needs the full record bytes for.
#[derive(Debug, Default)]
pub struct FilterPass {
    /// Frames that matched on their snap.
    pub matched: Vec<u32>,
    /// Frames whose snap was not enough (read their records, then
    /// [`Engine::filter_records`]).
    pub need_records: Vec<u32>,
}

/// Whether a filter can be decided on a packet's first bytes (its snap) when the snap's
/// dissection got through the transport header: filters that read only header fields and
/// flow analysis (which the index keeps for every packet). Anything that reads payload
/// (application fields, `contains`, `matches`, slices, checksums over the payload, the
/// captured length, the protocol list) needs the record.
pub fn decidable_on_snap(f: &Filter) -> bool {
    let text = f.display();
    if text.contains("contains") || text.contains("matches") || text.contains('[') {
        return false;
    }
    f.fields().iter().all(|d| {
        let n = d.name;
        let proto = n.split('.').next().unwrap_or(n);
        // Header fields (the snap holds them) and compare results (kept per packet).
        let header = shared_decode::filter::TRANSPORT_PROTOCOLS.contains(&proto)
            || proto == "paircap"
            || (proto == "frame" && n != "frame.protocols" && n != "frame.cap_len");
        header
            && !(n.contains("checksum")
                || n.contains("payload")
                || n.contains("segment")
                || n.ends_with(".len") && proto != "frame")
    })
}

/// Whether a dissection stop in this layer hides header fields (a stop in an application
/// layer does not matter to a header-only filter).
fn stops_headers(l: Layer) -> bool {
    !matches!(
        l,
        Layer::Dns | Layer::Http | Layer::Tls | Layer::Data | Layer::App(_)
    )
}

impl Engine {
    /// Feeds `frames` (file order) to a statistic that reads headers only (conversations,
    /// endpoints), decoded from the snaps in memory — no file read. Returns the frames whose
    /// snap cut a header (empty: the statistic is exact); then the caller starts over with
    /// [`Engine::observe_mixed`] and those frames' records.
    pub fn observe_snaps(&self, frames: &[u32], stat: &mut shared_decode::stats::Stat) -> Vec<u32> {
        let mut needy = Vec::new();
        for &frame in frames {
            let Some(pkt) = self.decode(frame, None, DissectOptions::default()) else {
                continue;
            };
            if !self.snap_is_whole(frame)
                && pkt.stop.as_ref().is_some_and(|e| stops_headers(e.layer))
            {
                needy.push(frame);
                continue;
            }
            stat.observe(&pkt);
        }
        needy
    }

    /// As [`Engine::observe_snaps`], in file order, with the records of the `needy` frames
    /// (sorted) from `blocks`.
    pub fn observe_mixed(
        &self,
        frames: &[u32],
        needy: &[u32],
        blocks: &[(u64, Vec<u8>)],
        stat: &mut shared_decode::stats::Stat,
    ) {
        for &frame in frames {
            let rec = if needy.binary_search(&frame).is_ok() {
                self.record_bytes(frame, blocks)
            } else {
                None
            };
            if let Some(pkt) = self.decode(frame, rec, DissectOptions::default()) {
                stat.observe(&pkt);
            }
        }
    }

    /// Runs a filter over frames `from..to` (1-based, file order) using the snaps in memory.
    pub fn filter_snaps(
        &self,
        f: &Filter,
        on_snap: bool,
        from: u32,
        to: u32,
        pass: &mut FilterPass,
    ) {
        // Comments and packet flags are in the record, not the snap.
        let record_meta = f.fields().iter().any(|d| {
            d.name.starts_with("frame.comment")
                || d.name.starts_with("frame.packet_flags")
                || d.name == "frame.direction"
        });
        if record_meta {
            pass.need_records
                .extend(from..to.min(self.total() as u32 + 1));
            return;
        }
        let opts = DissectOptions {
            max_depth: f.depth(),
        };
        let need = required_layers(f.expr());
        for frame in from..to.min(self.total() as u32 + 1) {
            // A packet without a protocol the filter needs cannot match: no decode, no read.
            if self
                .layer_masks
                .get(frame as usize - 1)
                .is_some_and(|&m| m & need != need)
            {
                continue;
            }
            let whole = self.snap_is_whole(frame);
            if !whole && !on_snap {
                pass.need_records.push(frame);
                continue;
            }
            let Some(pkt) = self.decode(frame, None, opts) else {
                continue;
            };
            if !whole && pkt.stop.as_ref().is_some_and(|e| stops_headers(e.layer)) {
                // The snap cut a header: decide on the whole record.
                pass.need_records.push(frame);
                continue;
            }
            if f.matches(&pkt) {
                pass.matched.push(frame);
            }
        }
    }

    /// Runs a filter over frames whose records are in `blocks` (from [`Engine::ranges`]).
    pub fn filter_records(
        &self,
        f: &Filter,
        frames: &[u32],
        blocks: &[(u64, Vec<u8>)],
        matched: &mut Vec<u32>,
    ) {
        let opts = DissectOptions {
            max_depth: f.depth(),
        };
        for &frame in frames {
            let Some(rec) = self.record_bytes(frame, blocks) else {
                continue;
            };
            if self
                .decode(frame, Some(rec), opts)
                .is_some_and(|p| f.matches(&p))
            {
                matched.push(frame);
            }
        }
    }

    /// Whether a frame, given its record bytes, passes a filter.
    pub fn matches_record(&self, f: &Filter, frame: u32, rec: &[u8]) -> bool {
        self.decode(
            frame,
            Some(rec),
            DissectOptions {
                max_depth: f.depth(),
            },
        )
        .is_some_and(|p| f.matches(&p))
    }

    /// The compare key of a frame, given its record bytes.
    pub fn key_of(&self, frame: u32, rec: &[u8]) -> shared_decode::compare::Fingerprint {
        self.decode(frame, Some(rec), DissectOptions::default())
            .map(|p| shared_decode::compare::Fingerprint::of(&p))
            .unwrap_or_default()
    }

    /// Applies a filter result: `frames` in file order (`None`: no filter), then the sort.
    pub fn apply_filter(&mut self, frames: Option<Vec<u32>>, sort: (Column, bool)) {
        self.view = frames;
        if sort != (Column::Number, true) {
            self.sort(sort.0, sort.1);
        }
    }

    /// What the file says about itself (like capinfos).
    pub fn summary(&self) -> Summary {
        let info = self.info();
        let format = match info.format {
            Some(Format::Pcap {
                nanos, modified, ..
            }) => {
                format!(
                    "pcap{}{}",
                    if nanos { " (nanosecond)" } else { "" },
                    if modified {
                        " (modified/Kuznetzov)"
                    } else {
                        ""
                    }
                )
            }
            Some(_) => "pcapng".to_string(),
            None => "unknown".to_string(),
        };
        let mut section = Vec::new();
        for (i, s) in info.sections.iter().enumerate() {
            let tag = if info.sections.len() > 1 {
                format!("Section {}: ", i + 1)
            } else {
                String::new()
            };
            for (k, v) in [
                ("Hardware", &s.hardware),
                ("OS", &s.os),
                ("Application", &s.user_appl),
            ] {
                if let Some(v) = v {
                    section.push(format!("{tag}{k}: {v}"));
                }
            }
            for c in &s.comments {
                section.push(format!("{tag}Comment: {c}"));
            }
        }
        let interfaces = info
            .interfaces
            .iter()
            .map(|i| {
                let stats = info
                    .stats
                    .iter()
                    .rfind(|s| s.interface == i.id)
                    .map(|s| {
                        let mut v = Vec::new();
                        for (k, x) in [
                            ("Received", s.if_recv),
                            ("Dropped by interface", s.if_drop),
                            ("Dropped by OS", s.os_drop),
                            ("Accepted by filter", s.filter_accept),
                            ("Delivered", s.usr_deliv),
                        ] {
                            if let Some(x) = x {
                                v.push(format!("{k}: {x}"));
                            }
                        }
                        v.extend(s.comments.iter().map(|c| format!("Comment: {c}")));
                        v
                    })
                    .unwrap_or_default();
                InterfaceInfo {
                    name: i
                        .name
                        .clone()
                        .unwrap_or_else(|| format!("interface {}", i.id)),
                    description: i.description.clone().unwrap_or_default(),
                    link_type: format!(
                        "{} ({})",
                        i.link().description(),
                        i.link()
                            .name()
                            .map_or_else(|| i.link_type.to_string(), str::to_string)
                    ),
                    snaplen: i.snaplen,
                    filter: i.filter.clone().unwrap_or_default(),
                    os: i.os.clone().unwrap_or_default(),
                    resolution: match i.tsresol.units_per_sec {
                        1_000_000 => "microseconds".to_string(),
                        1_000_000_000 => "nanoseconds".to_string(),
                        u => format!("1/{u} s"),
                    },
                    stats,
                }
            })
            .collect();
        let (first_ns, last_ns) = self.time_span().unwrap_or((0, 0));
        Summary {
            name: self.name.clone(),
            size: self.size,
            format,
            gzip: info.gzip,
            packets: self.total() as u64,
            link_types: info
                .link_types()
                .iter()
                .map(|l| l.description().to_string())
                .collect(),
            first_ns,
            last_ns,
            section,
            interfaces,
            dropped: info.dropped(),
            problems: self
                .problems
                .iter()
                .map(|p| {
                    // In a set: which file, and where in it.
                    let i = self.parts.partition_point(|f| f.start <= p.offset);
                    match i.checked_sub(1).and_then(|i| self.parts.get(i)) {
                        Some(f) => format!(
                            "{} (offset {} in it): {}",
                            f.name,
                            p.offset - f.start,
                            p.message
                        ),
                        None => p.message.clone(),
                    }
                })
                .collect(),
            snap_len: self.snap_len as u32,
            files: self
                .parts
                .iter()
                .map(|f| (f.name.clone(), f.first_frame, f.size))
                .collect(),
        }
    }
}

fn layer_bit(l: Layer) -> u64 {
    1u64 << (l.index() & 63)
}

/// The layers a field can only come from (0 when it is not tied to one protocol layer:
/// `frame.*`, `_ws.*`, protocols this crate names differently).
fn field_layers(name: &str) -> u64 {
    let proto = name.split('.').next().unwrap_or(name);
    // `data` is also emitted by ICMP/ICMPv6 without a data layer.
    if proto == "frame" || proto == "data" || proto.starts_with('_') {
        return 0;
    }
    let emitters = shared_decode::dissect::registry::APPS
        .iter()
        .filter(|a| a.also_emits.contains(&proto))
        .fold(0, |m, a| m | layer_bit(Layer::App(a.id)));
    shared_decode::dissect::registry::all_layers()
        .filter(|l| l.filter_name() == proto)
        .fold(emitters, |m, l| m | layer_bit(l))
}

/// Layers every matching packet must contain: a necessary condition, so packets without
/// them are rejected from the index alone. All of `a && b`'s needs, the common needs of
/// `a || b`, nothing for negations. A field that several layers provide (`sll.*`) needs
/// any of them, which a single required bit cannot say: such fields require nothing.
pub fn required_layers(e: &shared_decode::filter::Expr) -> u64 {
    use shared_decode::filter::Expr;
    let one = |m: u64| if m.count_ones() == 1 { m } else { 0 };
    match e {
        Expr::And(v) => v.iter().fold(0, |m, x| m | required_layers(x)),
        Expr::Or(v) => v
            .iter()
            .map(required_layers)
            .reduce(|a, b| a & b)
            .unwrap_or(0),
        Expr::Xor(..) | Expr::Not(_) => 0,
        Expr::Exists(r) => one(field_layers(r.def.name)),
        // A test on an absent field is false, so the field's layer is needed.
        Expr::Test(t) => {
            let rhs = match &t.rhs {
                shared_decode::filter::ast::Rhs::Field(r) => one(field_layers(r.def.name)),
                _ => 0,
            };
            one(field_layers(t.lhs.field.def.name)) | rhs
        }
    }
}

/// Addresses sort numerically: dotted quads are zero-padded.
fn sortable_addr(s: &str) -> String {
    if let Ok(a) = s.parse::<std::net::Ipv4Addr>() {
        return format!(
            "4{:03}{:03}{:03}{:03}",
            a.octets()[0],
            a.octets()[1],
            a.octets()[2],
            a.octets()[3]
        );
    }
    if let Ok(a) = s.parse::<std::net::Ipv6Addr>() {
        return format!("6{:032x}", u128::from(a));
    }
    format!("9{s}")
}

/// The Time column.
pub fn format_time(pkt: &Packet<'_>, tf: TimeFormat, abs_ns: i64) -> String {
    use shared_decode::text::time::{civil, push_clock, push_date, push_frac};
    let mut s = String::new();
    match tf {
        TimeFormat::Relative => shared_decode::text::push_reltime(&mut s, pkt.meta.rel_ns),
        TimeFormat::Delta => shared_decode::text::push_reltime(&mut s, pkt.meta.delta_ns),
        TimeFormat::Absolute | TimeFormat::Utc => {
            let t = Timestamp::from_nanos(i128::from(abs_ns));
            let c = civil(t.secs, 0);
            if tf == TimeFormat::Utc {
                push_date(&mut s, &c);
                s.push(' ');
            }
            push_clock(&mut s, &c);
            push_frac(&mut s, t.nanos, true);
        }
    }
    s
}
