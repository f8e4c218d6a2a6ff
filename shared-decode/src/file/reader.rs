//! The format-independent push parser ([`CaptureParser`]) and the two readers built on it:
//! [`Reader`] over any `std::io::Read` (gzip detected and decompressed transparently) and
//! [`SliceReader`] over a whole in-memory buffer.

use super::pcap::{hex_prefix, PcapParser};
use super::pcapng::{self, PcapngParser};
pub use super::step::Step;
use super::{CaptureInfo, Endian, FileError, FileErrorKind, Record};
use flate2::read::MultiGzDecoder;
use std::io::{self, Read};

#[derive(Clone, Debug)]
enum State {
    Start,
    Pcap(PcapParser),
    Pcapng(PcapngParser),
}

/// Format-independent push parser. Feed it the bytes from the current file position.
#[derive(Clone, Debug)]
pub struct CaptureParser {
    state: State,
    info: CaptureInfo,
    /// Stopped at an unrecoverable error; the state is kept for [`CaptureParser::record_at`].
    stopped: bool,
    /// Offset where the current file starts (files read one after another).
    file_start: u64,
    /// Earlier files: where each started and its parser's last state (for `record_at`).
    earlier: Vec<(u64, State)>,
}

impl Default for CaptureParser {
    fn default() -> Self {
        Self::new()
    }
}

/// Is this the start of a gzip stream?
pub fn is_gzip(buf: &[u8]) -> bool {
    buf.starts_with(&[0x1f, 0x8b])
}

impl CaptureParser {
    /// A parser at the start of a file.
    pub fn new() -> CaptureParser {
        CaptureParser {
            state: State::Start,
            info: CaptureInfo::default(),
            stopped: false,
            file_start: 0,
            earlier: Vec::new(),
        }
    }

    /// Another capture file starts at `offset` (files of a set read as one stream, one after
    /// the other): its header is parsed afresh, its sections and interfaces join the ones
    /// before (numbered on), and records of every file stay readable with `record_at`. An
    /// error that stopped the previous file does not stop this one.
    pub fn next_file(&mut self, offset: u64) {
        let old = std::mem::replace(&mut self.state, State::Start);
        self.earlier.push((self.file_start, old));
        self.file_start = offset;
        self.stopped = false;
    }

    /// What the file has said about itself so far.
    pub fn info(&self) -> &CaptureInfo {
        &self.info
    }

    /// Mutable access (the reader marks gzip input).
    pub fn info_mut(&mut self) -> &mut CaptureInfo {
        &mut self.info
    }

    /// Parses the next item from `buf`, which starts at file offset `offset`. `eof` says no
    /// more bytes will follow `buf`.
    pub fn next(&mut self, buf: &[u8], offset: u64, eof: bool) -> Step {
        if self.stopped {
            return Step::End;
        }
        let step = match &mut self.state {
            State::Pcap(p) => p.next(buf, offset, eof),
            State::Pcapng(p) => p.next(buf, offset, eof, &mut self.info),
            State::Start => {
                if buf.len() < 4 && !eof {
                    return Step::NeedMore { needed: 4 };
                }
                if PcapngParser::sniff(buf) {
                    self.info.format.get_or_insert(super::Format::Pcapng);
                    self.state = State::Pcapng(PcapngParser::default());
                    return self.next(buf, offset, eof);
                }
                if buf.len() >= 4 && PcapParser::sniff(buf).is_some()
                    || buf.len() < 4 && eof && !buf.is_empty()
                {
                    match PcapParser::parse_header(buf, eof) {
                        Ok(None) => {
                            return Step::NeedMore {
                                needed: super::pcap::FILE_HEADER_LEN,
                            }
                        }
                        Ok(Some((mut p, format, mut section, mut iface))) => {
                            self.info.format.get_or_insert(format);
                            let first = self.info.interfaces.len() as u32;
                            section.offset = offset;
                            section.first_interface = first;
                            iface.id = first;
                            iface.section = self.info.sections.len() as u32;
                            p.set_interface(first);
                            self.info.sections.push(section);
                            self.info.interfaces.push(iface);
                            self.state = State::Pcap(p);
                            return Step::Meta {
                                consumed: super::pcap::FILE_HEADER_LEN,
                            };
                        }
                        Err(error) => Step::Error { error, skip: None },
                    }
                } else {
                    let magic = describe_magic(buf);
                    Step::Error {
                        error: FileError::new(offset, FileErrorKind::UnknownFormat { magic }),
                        skip: None,
                    }
                }
            }
        };
        if let Step::Error { skip: None, .. } = step {
            self.stopped = true;
        }
        step
    }

    /// Re-parses one record at a known position (random access through an [`Index`](super::Index)):
    /// `block` holds exactly the record's bytes as stored in the index, `offset` its position.
    /// Uses what the parser learned during the full pass (sections, interfaces).
    ///
    /// # Errors
    /// When the bytes are not a packet record consistent with the parsed file.
    pub fn record_at<'a>(&self, block: &'a [u8], offset: u64) -> Result<Record<'a>, FileError> {
        let state = if offset >= self.file_start {
            &self.state
        } else {
            self.earlier
                .iter()
                .rev()
                .find(|(start, _)| *start <= offset)
                .map_or(&self.state, |(_, s)| s)
        };
        let raw = match state {
            State::Pcap(p) => {
                let mut p = p.clone();
                match p.next(block, offset, true) {
                    Step::Record(r) => r,
                    Step::Error { error, .. } => return Err(error),
                    _ => return Err(not_a_record(offset)),
                }
            }
            State::Pcapng(_) => {
                let section = self
                    .info
                    .sections
                    .iter()
                    .rposition(|s| s.offset <= offset)
                    .ok_or_else(|| not_a_record(offset))?;
                let e = self
                    .info
                    .sections
                    .get(section)
                    .and_then(|s| s.endian)
                    .unwrap_or(Endian::Little);
                let btype = super::bytes::u32_at(block, 0, e).unwrap_or(0);
                pcapng::parse_packet_block(btype, block, e, &self.info, section, offset)
                    .map_err(|k| FileError::new(offset, k))?
            }
            State::Start => return Err(not_a_record(offset)),
        };
        Ok(raw.to_record(block, offset))
    }
}

/// Names well-known non-capture or unsupported formats so the message tells the user what to do.
fn describe_magic(buf: &[u8]) -> String {
    let hex = hex_prefix(buf);
    let what = if is_gzip(buf) {
        "gzip data: open it with Reader, which decompresses"
    } else if buf.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        "zstd-compressed data: decompress it first (zstd -d)"
    } else if buf.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        "xz-compressed data: decompress it first (xz -d)"
    } else if buf.starts_with(b"BZh") {
        "bzip2-compressed data: decompress it first (bunzip2)"
    } else if buf.starts_with(b"snoop\0\0\0") {
        "a Sun snoop capture: convert it first (editcap -F pcapng)"
    } else {
        return hex;
    };
    format!("{hex}, {what}")
}

fn not_a_record(offset: u64) -> FileError {
    FileError::new(
        offset,
        FileErrorKind::BadBlock {
            block: "record",
            detail: "no packet record at this offset".into(),
        },
    )
}

/// Default read size of [`Reader`].
const CHUNK: usize = 1024 * 1024;

enum Source<R: Read> {
    Unknown(R),
    Plain(io::Chain<io::Cursor<Vec<u8>>, R>),
    Gzip(Box<MultiGzDecoder<io::Chain<io::Cursor<Vec<u8>>, R>>>),
    Taken,
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::Unknown(r) => r.read(buf),
            Source::Plain(r) => r.read(buf),
            Source::Gzip(r) => r.read(buf),
            Source::Taken => Ok(0),
        }
    }
}

/// Streaming reader over any `Read` (file, stdin, socket, gzip stream). Memory use is bounded
/// by the largest block ([`MAX_BLOCK_LEN`](super::MAX_BLOCK_LEN)) plus one read chunk.
///
/// ```
/// use shared_decode::file::Reader;
/// let bytes: &[u8] = &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
///                      0xff, 0xff, 0, 0, 1, 0, 0, 0];
/// let mut r = Reader::new(bytes);
/// assert!(r.next_record().is_none());
/// assert_eq!(r.info().interfaces.len(), 1);
/// ```
pub struct Reader<R: Read> {
    src: Source<R>,
    parser: CaptureParser,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    offset: u64,
}

impl<R: Read> Reader<R> {
    /// A reader at the start of `src`.
    pub fn new(src: R) -> Reader<R> {
        Reader {
            src: Source::Unknown(src),
            parser: CaptureParser::new(),
            buf: Vec::new(),
            pos: 0,
            end: 0,
            eof: false,
            offset: 0,
        }
    }

    /// What the file has said about itself so far (complete after the last record).
    pub fn info(&self) -> &CaptureInfo {
        self.parser.info()
    }

    /// The parser (for [`CaptureParser::record_at`] after a full pass).
    pub fn parser(&self) -> &CaptureParser {
        &self.parser
    }

    /// Consumes the reader, returning the parser state.
    pub fn into_parser(self) -> CaptureParser {
        self.parser
    }

    /// The next packet, an error (reading may go on after it), or `None` at the end.
    pub fn next_record(&mut self) -> Option<Result<Record<'_>, FileError>> {
        loop {
            let avail = self.buf.get(self.pos..self.end).unwrap_or(&[]);
            match self.parser.next(avail, self.offset, self.eof) {
                Step::NeedMore { .. } if self.eof => return None,
                Step::NeedMore { needed } => {
                    if let Err(e) = self.fill(needed) {
                        self.eof = true;
                        self.parser.stopped = true;
                        return Some(Err(e));
                    }
                }
                Step::Meta { consumed } => self.advance(consumed),
                Step::End => return None,
                Step::Error { error, skip } => {
                    if let Some(n) = skip {
                        self.advance(n);
                    }
                    return Some(Err(error));
                }
                Step::Record(raw) => {
                    let start = self.pos;
                    let offset = self.offset;
                    self.advance(raw.consumed);
                    let buf = self.buf.get(start..).unwrap_or(&[]);
                    return Some(Ok(raw.to_record(buf, offset)));
                }
            }
        }
    }

    fn advance(&mut self, n: usize) {
        let n = n.min(self.end - self.pos);
        self.pos += n;
        self.offset += n as u64;
    }

    /// Makes at least `needed` bytes available from `pos`, or sets `eof`.
    fn fill(&mut self, needed: usize) -> Result<(), FileError> {
        // What is left is less than one block, so moving it to the front is cheap; growing
        // the buffer instead would, with short reads (a pipe), end up holding the whole file.
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        let want = needed.max(CHUNK);
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
        if matches!(self.src, Source::Unknown(_)) {
            self.detect()?;
        }
        while self.end - self.pos < needed {
            let Some(space) = self.buf.get_mut(self.end..) else {
                break;
            };
            if space.is_empty() {
                break;
            }
            match self.src.read(space) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let kind = if matches!(self.src, Source::Gzip(_)) {
                        FileErrorKind::Gzip(e.to_string())
                    } else {
                        FileErrorKind::Io(e.to_string())
                    };
                    return Err(FileError::new(
                        self.offset + (self.end - self.pos) as u64,
                        kind,
                    ));
                }
            }
        }
        Ok(())
    }

    /// Reads the first bytes and decides whether the stream is gzip.
    fn detect(&mut self) -> Result<(), FileError> {
        let Source::Unknown(mut r) = std::mem::replace(&mut self.src, Source::Taken) else {
            return Ok(());
        };
        let mut head = vec![0u8; 2];
        let mut got = 0;
        while got < 2 {
            match r.read(head.get_mut(got..).unwrap_or(&mut [])) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(FileError::new(0, FileErrorKind::Io(e.to_string()))),
            }
        }
        head.truncate(got);
        let gz = is_gzip(&head);
        let chained = io::Cursor::new(head).chain(r);
        if gz {
            self.parser.info_mut().gzip = true;
            self.src = Source::Gzip(Box::new(MultiGzDecoder::new(chained)));
        } else {
            self.src = Source::Plain(chained);
        }
        Ok(())
    }
}

/// Zero-copy reader over a whole in-memory (uncompressed) capture.
///
/// Yields `Ok(Record)` for each packet and `Err` for each problem (reading goes on after an
/// error when the parser could resynchronise).
pub struct SliceReader<'a> {
    bytes: &'a [u8],
    pos: usize,
    parser: CaptureParser,
}

impl<'a> SliceReader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> SliceReader<'a> {
        SliceReader {
            bytes,
            pos: 0,
            parser: CaptureParser::new(),
        }
    }

    /// What the file has said about itself so far.
    pub fn info(&self) -> &CaptureInfo {
        self.parser.info()
    }

    /// The parser state.
    pub fn parser(&self) -> &CaptureParser {
        &self.parser
    }
}

impl<'a> Iterator for SliceReader<'a> {
    type Item = Result<Record<'a>, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rest = self.bytes.get(self.pos..).unwrap_or(&[]);
            let offset = self.pos as u64;
            match self.parser.next(rest, offset, true) {
                Step::NeedMore { .. } | Step::End => return None,
                Step::Meta { consumed } => self.pos += consumed.min(rest.len()),
                Step::Error { error, skip } => {
                    match skip {
                        Some(n) => self.pos += n.min(rest.len()),
                        None => self.pos = self.bytes.len(),
                    }
                    return Some(Err(error));
                }
                Step::Record(raw) => {
                    self.pos += raw.consumed.min(rest.len());
                    return Some(Ok(raw.to_record(rest, offset)));
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Gives at most 700 bytes per read, like a pipe or a socket.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(700).min(self.0.len());
            let (head, tail) = self.0.split_at(n);
            buf.get_mut(..n).unwrap_or(&mut []).copy_from_slice(head);
            self.0 = tail;
            Ok(n)
        }
    }

    #[test]
    fn short_reads_keep_the_buffer_bounded() {
        let mut file = vec![
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0,
            0,
        ];
        let packets = 20_000u32;
        for i in 0..packets {
            let len = 60 + (i % 1400);
            file.extend_from_slice(&i.to_le_bytes());
            file.extend_from_slice(&0u32.to_le_bytes());
            file.extend_from_slice(&len.to_le_bytes());
            file.extend_from_slice(&len.to_le_bytes());
            file.extend(std::iter::repeat_n(i as u8, len as usize));
        }
        assert!(file.len() > 10 * CHUNK);
        let mut r = Reader::new(Trickle(&file));
        let mut n = 0u32;
        while let Some(rec) = r.next_record() {
            let rec = rec.unwrap();
            assert_eq!(rec.data.len() as u32, 60 + (n % 1400));
            assert!(rec.data.iter().all(|&b| b == n as u8));
            n += 1;
        }
        assert_eq!(n, packets);
        assert!(r.buf.len() <= CHUNK, "buffer grew to {} bytes", r.buf.len());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod set_tests {
    use super::*;
    use crate::file::pcap::PcapWriter;
    use crate::file::pcapng::{
        EpbOptions, InterfaceDescription, PcapngWriter, SectionDescription, StatsOptions,
    };
    use crate::file::LinkType;
    use crate::file::Timestamp;

    fn ts(s: i64) -> Timestamp {
        Timestamp { secs: s, nanos: 5 }
    }

    /// A pcap (micro), a pcap (nano), a pcapng with a rotation mark and drop counters: read as
    /// one stream with `next_file` at each boundary, every record keeps its file's interface,
    /// `record_at` reads records of every file, `part` gives each file's own description.
    #[test]
    fn files_read_one_after_another() {
        let mut a = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 65535, false).unwrap();
        a.write_packet(ts(100), 3, &[1, 1, 1]).unwrap();
        a.write_packet(ts(101), 3, &[1, 1, 2]).unwrap();
        let a = a.into_inner();
        let mut b = PcapWriter::new(Vec::new(), LinkType::RAW, 100, true).unwrap();
        b.write_packet(ts(102), 2, &[2, 2]).unwrap();
        let b = b.into_inner();
        let mut c = PcapngWriter::new(
            Vec::new(),
            &SectionDescription {
                comments: vec!["paircap rotation: file=2 before=3".into()],
                ..SectionDescription::default()
            },
        )
        .unwrap();
        c.add_interface(&InterfaceDescription::default()).unwrap();
        c.write_packet(0, ts(103), 4, &[3, 3, 3, 3], &EpbOptions::default())
            .unwrap();
        c.write_stats(
            0,
            ts(104),
            &StatsOptions {
                os_drop: Some(7),
                ..StatsOptions::default()
            },
        )
        .unwrap();
        let c = c.into_inner();
        let starts = [0u64, a.len() as u64, (a.len() + b.len()) as u64];
        let mut p = CaptureParser::new();
        let mut recs = Vec::new();
        for (k, f) in [&a, &b, &c].into_iter().enumerate() {
            if k > 0 {
                p.next_file(starts[k]);
            }
            let mut pos = 0usize;
            loop {
                let off = starts[k] + pos as u64;
                match p.next(&f[pos..], off, true) {
                    Step::Record(r) => {
                        recs.push((off, r.consumed, r.interface, r.link_type));
                        pos += r.consumed;
                    }
                    Step::Meta { consumed } => pos += consumed,
                    Step::End => break,
                    s => panic!("{s:?}"),
                }
            }
        }
        assert_eq!(recs.len(), 4);
        assert_eq!(
            recs.iter().map(|r| r.2).collect::<Vec<_>>(),
            vec![0, 0, 1, 2]
        );
        assert_eq!(recs[2].3, LinkType::RAW);
        let all: Vec<u8> = [a.clone(), b.clone(), c.clone()].concat();
        for &(off, len, iface, _) in &recs {
            let block = &all[off as usize..off as usize + len];
            let r = p.record_at(block, off).unwrap();
            assert_eq!(r.interface, iface);
        }
        let r = p
            .record_at(
                &all[recs[2].0 as usize..recs[2].0 as usize + recs[2].1],
                recs[2].0,
            )
            .unwrap();
        assert_eq!(r.data, &[2, 2]);
        assert_eq!(r.ts.unwrap().secs, 102);
        let info = p.info();
        assert_eq!(info.interfaces.len(), 3);
        let third = info.part(starts[2], u64::MAX);
        assert_eq!(third.interfaces.len(), 1);
        assert_eq!(third.dropped(), Some(7));
        assert_eq!(third.rotation().map(|m| (m.file, m.before)), Some((2, 3)));
        let first = info.part(0, starts[1]);
        assert_eq!((first.interfaces.len(), first.dropped()), (1, None));
        assert!(first.rotation().is_none());
        assert_eq!(
            info.part(starts[1], starts[2]).interfaces[0].link_type,
            LinkType::RAW.0
        );
    }
}
