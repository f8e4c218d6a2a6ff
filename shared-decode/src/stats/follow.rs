//! Following a TCP stream (tshark's `-z follow,tcp,MODE,N`): the bytes each side sent, in
//! sequence order, each byte once.
//!
//! The reassembly is tshark 4.0's follow tap, step for step, so that the output is
//! byte-identical: a segment that continues its direction's stream is appended (the part of
//! a retransmission already seen is cut off); one that starts later waits as a fragment
//! until the gap fills, or until the other side acknowledges past it — the bytes were sent
//! but not captured — when a `[N bytes missing in capture file]` marker stands in for them.
//! Bounds: at most [`MAX_BYTES`] of payload and [`MAX_FRAGMENTS`] waiting fragments per
//! direction; past them, further segments are counted in [`Follow::dropped`] and said.

use super::conv::Addr;
use crate::dissect::{IpPseudo, Packet};
use crate::format::json::push_json_str;
use crate::text;
use std::fmt::Write as _;

/// Output modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Hex, one line per chunk.
    Raw,
    /// Printable text, with each chunk's length before it.
    Ascii,
    /// Hex dump with offsets.
    Hex,
}

impl Mode {
    /// From tshark's name.
    pub fn parse(s: &str) -> Result<Mode, String> {
        match s {
            "raw" => Ok(Mode::Raw),
            "ascii" => Ok(Mode::Ascii),
            "hex" => Ok(Mode::Hex),
            _ => Err(format!("follow mode {s:?}: raw, ascii or hex")),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Mode::Raw => "raw",
            Mode::Ascii => "ascii",
            Mode::Hex => "hex",
        }
    }
}

/// Most payload bytes kept (both directions together).
pub const MAX_BYTES: usize = 256 << 20;
/// Most out-of-order segments waiting per direction.
pub const MAX_FRAGMENTS: usize = 65_536;

/// One chunk of a direction's bytes.
#[derive(Clone, Debug)]
pub struct Chunk {
    /// Sent by the server (the side that did not send the stream's first segment).
    pub server: bool,
    /// The frame it came from.
    pub frame: u64,
    seq: u32,
    /// The bytes.
    pub data: Vec<u8>,
}

/// A stream being followed.
pub struct Follow {
    stream: u32,
    mode: Mode,
    client: Option<((Addr, u16), (Addr, u16))>,
    seq: [u32; 2],
    written: [u64; 2],
    fragments: [Vec<Chunk>; 2],
    chunks: Vec<Chunk>,
    kept: usize,
    /// Segments left out because a bound was reached.
    pub dropped: u64,
}

fn lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

fn gt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

impl Follow {
    /// Follows `tcp.stream == stream`.
    pub fn new(stream: u32, mode: Mode) -> Follow {
        Follow {
            stream,
            mode,
            client: None,
            seq: [0; 2],
            written: [0; 2],
            fragments: [Vec::new(), Vec::new()],
            chunks: Vec::new(),
            kept: 0,
            dropped: 0,
        }
    }

    /// The chunks in stream order.
    pub fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }

    /// The stream's two ends as text (`addr:port`, IPv6 in brackets): the client (sender
    /// of the first frame) first.
    pub fn nodes(&self) -> Option<[String; 2]> {
        self.client.map(|(c, s)| {
            [c, s].map(|e| {
                let mut t = String::new();
                if let Addr::V6(_) = e.0 {
                    t.push('[');
                    e.0.push(&mut t);
                    t.push(']');
                } else {
                    e.0.push(&mut t);
                }
                let _ = write!(t, ":{}", e.1);
                t
            })
        })
    }

    /// Takes one frame (frames of other streams are ignored).
    pub fn observe(&mut self, pkt: &Packet<'_>) {
        let Some(a) = pkt.analysis.tcp.as_ref() else {
            return;
        };
        if a.stream != self.stream {
            return;
        }
        let Some((_, t)) = pkt.tcp() else { return };
        let Some(ip) = t.ip else { return };
        let (s, d) = match ip {
            IpPseudo::V4(s, d) => (Addr::V4(s), Addr::V4(d)),
            IpPseudo::V6(s, d) => (Addr::V6(s), Addr::V6(d)),
        };
        let src = (s, t.src_port());
        let dst = (d, t.dst_port());
        let hdr = t.hdr;
        let flags = hdr.get(13).copied().unwrap_or(0);
        let ack = hdr
            .get(8..12)
            .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .wrapping_sub(a.ack_base);
        let mut sequence = t.seq().wrapping_sub(a.seq_base);
        if flags & 0x02 != 0 {
            sequence = sequence.wrapping_add(1);
        }
        let mut length = t.seg_len;
        let client = *self.client.get_or_insert((src, dst));
        let server = src != client.0;
        let (me, other) = (usize::from(server), usize::from(!server));
        if !self.fragments[other].is_empty() {
            while self.check_fragments(!server, ack, pkt.meta.number, true) {}
        }
        if self.written[me] == 0 && self.seq[me] == 0 {
            self.seq[me] = sequence;
        }
        let mut data: &[u8] = t.payload;
        if lt(sequence, self.seq[me]) {
            let next = sequence.wrapping_add(length);
            if gt(next, self.seq[me]) {
                let off = self.seq[me].wrapping_sub(sequence) as usize;
                data = data.get(off..).unwrap_or(&[]);
                sequence = self.seq[me];
                length = next.wrapping_sub(self.seq[me]);
            }
        }
        if data.is_empty() || lt(sequence, self.seq[me]) {
            return;
        }
        if self.kept.saturating_add(data.len()) > MAX_BYTES {
            self.dropped += 1;
            return;
        }
        self.kept += data.len();
        let c = Chunk {
            server,
            frame: pkt.meta.number,
            seq: sequence,
            data: data.to_vec(),
        };
        if sequence == self.seq[me] {
            self.seq[me] = self.seq[me].wrapping_add(length);
            self.written[me] += c.data.len() as u64;
            self.chunks.push(c);
            while self.check_fragments(server, 0, pkt.meta.number, false) {}
        } else if self.fragments[me].len() >= MAX_FRAGMENTS {
            self.kept -= c.data.len();
            self.dropped += 1;
        } else {
            self.fragments[me].push(c);
        }
    }

    /// tshark's `check_follow_fragments`: moves the first waiting fragment that now fits
    /// (or that the other side's `ack` shows was sent) into the stream. Returns whether it
    /// did (the caller repeats until it does not).
    fn check_fragments(&mut self, server: bool, ack: u32, frame: u64, use_ack: bool) -> bool {
        let me = usize::from(server);
        let Some(first) = self.fragments[me].first() else {
            return false;
        };
        let mut lowest = first.seq;
        let cur = self.seq[me];
        for k in 0..self.fragments[me].len() {
            let Some(f) = self.fragments[me].get(k) else {
                break;
            };
            if gt(lowest, f.seq) {
                lowest = f.seq;
            }
            if lt(f.seq, cur) {
                let f = self.fragments[me].remove(k);
                let end = f.seq.wrapping_add(f.data.len() as u32);
                if gt(end, cur) {
                    let pos = cur.wrapping_sub(f.seq) as usize;
                    if f.data.len() > pos {
                        let rest = f.data.get(pos..).unwrap_or(&[]).to_vec();
                        self.chunks.push(Chunk {
                            server,
                            frame: f.frame,
                            seq: cur.wrapping_add(rest.len() as u32),
                            data: rest,
                        });
                    }
                    self.seq[me] = cur.wrapping_add((f.data.len() - pos.min(f.data.len())) as u32);
                }
                return true;
            }
            if f.seq == cur {
                let f = self.fragments[me].remove(k);
                self.seq[me] = cur.wrapping_add(f.data.len() as u32);
                if !f.data.is_empty() {
                    self.chunks.push(f);
                }
                return true;
            }
        }
        if use_ack && gt(ack, lowest) {
            let mut marker = format!(
                "[{} bytes missing in capture file]",
                lowest.wrapping_sub(cur) as i32
            )
            .into_bytes();
            // tshark keeps the C string's terminating NUL in the chunk.
            marker.push(0);
            self.chunks.push(Chunk {
                server,
                frame,
                seq: lowest,
                data: marker,
            });
            self.seq[me] = lowest;
            return true;
        }
        false
    }

    /// tshark's text.
    pub fn text(&self, out: &mut String) {
        let sep = "===================================================================\n";
        out.push('\n');
        out.push_str(sep);
        let _ = writeln!(out, "Follow: tcp,{}", self.mode.name());
        let _ = writeln!(out, "Filter: tcp.stream eq {}", self.stream);
        match self.nodes() {
            Some([c, s]) => {
                let _ = writeln!(out, "Node 0: {c}\nNode 1: {s}");
            }
            // No frame of the stream: tshark prints its unset addresses as nothing.
            None => out.push_str("Node 0: :0\nNode 1: :0\n"),
        }
        let mut pos = [0u32; 2];
        for ch in &self.chunks {
            let tab = if ch.server { "\t" } else { "" };
            let p = &mut pos[usize::from(ch.server)];
            match self.mode {
                Mode::Raw => out.push_str(tab),
                Mode::Ascii => {
                    let _ = writeln!(out, "{tab}{}", ch.data.len());
                }
                Mode::Hex => {}
            }
            push_chunk(out, self.mode, tab, &ch.data, *p);
            *p = p.wrapping_add(ch.data.len() as u32);
        }
        out.push_str(sep);
        if self.dropped > 0 {
            let _ = writeln!(
                out,
                "paircap: {} segments left out (more than {} MiB or {} out-of-order segments)",
                self.dropped,
                MAX_BYTES >> 20,
                MAX_FRAGMENTS
            );
        }
    }

    /// `{"statistic": "follow,tcp", "stream": N, "nodes": [...], "chunks": [...]}` with each
    /// chunk's bytes as hex.
    pub fn json(&self, out: &mut String) {
        let _ = write!(
            out,
            "{{\"statistic\":\"follow,tcp\",\"stream\":{},\"dropped_segments\":{},\"nodes\":[",
            self.stream, self.dropped
        );
        if let Some((c, s)) = self.client {
            for (k, e) in [c, s].into_iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                let mut a = String::new();
                e.0.push(&mut a);
                out.push_str("{\"address\":");
                push_json_str(out, &a);
                let _ = write!(out, ",\"port\":{}}}", e.1);
            }
        }
        out.push_str("],\"chunks\":[");
        for (k, ch) in self.chunks.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"node\":{},\"frame\":{},\"bytes\":\"",
                u8::from(ch.server),
                ch.frame
            );
            for &b in &ch.data {
                text::push_hex8(out, b);
            }
            out.push_str("\"}");
        }
        out.push_str("]}");
    }
}

/// One chunk's bytes as tshark's follow shows them in `mode` (`offset`: the direction's bytes
/// before it, for the hex dump), ending in a newline — the text of the viewer's Follow
/// dialog too.
pub fn chunk_text(mode: Mode, data: &[u8], offset: u32) -> String {
    let mut s = String::with_capacity(data.len() * 2 + 16);
    push_chunk(&mut s, mode, "", data, offset);
    s
}

fn push_chunk(out: &mut String, mode: Mode, prefix: &str, data: &[u8], offset: u32) {
    match mode {
        Mode::Raw => {
            for &b in data {
                text::push_hex8(out, b);
            }
            out.push('\n');
        }
        Mode::Ascii => {
            for &b in data {
                out.push(match b {
                    b'\r' | b'\n' => char::from(b),
                    0x20..=0x7e => char::from(b),
                    _ => '.',
                });
            }
            out.push('\n');
        }
        Mode::Hex => hex_dump(out, prefix, offset, data),
    }
}

/// tshark's follow hex dump: offset (upper-case hex), 16 bytes in two groups of 8, their
/// printable form; `offset` counts the direction's bytes so far.
fn hex_dump(out: &mut String, prefix: &str, mut offset: u32, data: &[u8]) {
    for line in data.chunks(16) {
        out.push_str(prefix);
        let _ = write!(out, "{offset:08X}  ");
        let mut hex = String::with_capacity(50);
        let mut asc = String::with_capacity(17);
        for (i, &b) in line.iter().enumerate() {
            text::push_hex8(&mut hex, b);
            hex.push(' ');
            asc.push(if (0x20..0x7f).contains(&b) {
                char::from(b)
            } else {
                '.'
            });
            if i == 7 {
                hex.push(' ');
                asc.push(' ');
            }
        }
        let _ = write!(out, "{hex:<49}");
        if asc.ends_with(' ') {
            asc.pop();
        }
        out.push(' ');
        out.push_str(&asc);
        out.push('\n');
        offset = offset.wrapping_add(16);
    }
}
