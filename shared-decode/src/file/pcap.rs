//! Classic libpcap files: both byte orders, microsecond and nanosecond magic, the "modified"
//! (Kuznetzov) variant; and a classic pcap writer.
//!
//! Layout (<https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html>): a 24-byte file
//! header (magic, version, thiszone, sigfigs, snaplen, network) followed by records of a
//! 16-byte header (ts_sec, ts_frac, incl_len, orig_len) and `incl_len` bytes of data. The
//! modified format adds 8 bytes (ifindex, protocol, pkt_type, pad) to each record header.
//!
//! After a record header that cannot be right (absurd `incl_len`), the parser looks ahead for
//! the next plausible record (two consecutive headers that agree with the file) within
//! [`RESYNC_WINDOW`] bytes, reports the error and carries on from there.

use super::bytes::{u16_at, u32_at};
use super::step::{RawRecord, Step};
use super::{
    Endian, FileError, FileErrorKind, Format, Interface, LinkType, Section, Timestamp,
    TsResolution, MAX_PACKET_LEN,
};
use std::io::{self, Write};

/// Size of the classic pcap file header.
pub const FILE_HEADER_LEN: usize = 24;
/// Magic of a microsecond file, as read in the file's own byte order.
pub const MAGIC_MICRO: u32 = 0xa1b2_c3d4;
/// Magic of a nanosecond file.
pub const MAGIC_NANO: u32 = 0xa1b2_3c4d;
/// Magic of the modified (Kuznetzov) format.
pub const MAGIC_MODIFIED: u32 = 0xa1b2_cd34;
/// How far ahead the parser searches for the next valid record after a bad one.
pub const RESYNC_WINDOW: usize = 1024 * 1024;
/// Time-stamp distance (seconds) from the last good record that a resync candidate may have.
const RESYNC_MAX_TS_JUMP: i64 = 30 * 86_400;

/// State of a classic pcap file being parsed.
#[derive(Clone, Debug)]
pub struct PcapParser {
    endian: Endian,
    nanos: bool,
    modified: bool,
    snaplen: u32,
    link_type: LinkType,
    records: u64,
    last_secs: Option<u32>,
    /// Global index of the file's one interface (0 unless files follow each other).
    interface: u32,
}

impl PcapParser {
    /// Numbers the file's interface `id` globally (a file that follows others).
    pub fn set_interface(&mut self, id: u32) {
        self.interface = id;
    }

    /// Recognises a pcap magic in the first 4 bytes.
    pub fn sniff(buf: &[u8]) -> Option<(Endian, bool, bool)> {
        let le = u32_at(buf, 0, Endian::Little)?;
        let be = u32_at(buf, 0, Endian::Big)?;
        for (m, e) in [(le, Endian::Little), (be, Endian::Big)] {
            match m {
                MAGIC_MICRO => return Some((e, false, false)),
                MAGIC_NANO => return Some((e, true, false)),
                MAGIC_MODIFIED => return Some((e, false, true)),
                _ => {}
            }
        }
        None
    }

    /// Parses the 24-byte file header. `Ok(None)` means more bytes are needed.
    ///
    /// # Errors
    /// [`FileErrorKind::Truncated`] when `eof` and the header is incomplete,
    /// [`FileErrorKind::UnknownFormat`] when the magic is wrong.
    pub fn parse_header(
        buf: &[u8],
        eof: bool,
    ) -> Result<Option<(PcapParser, Format, Section, Interface)>, FileError> {
        if buf.len() < FILE_HEADER_LEN {
            if eof {
                return Err(FileError::new(
                    0,
                    FileErrorKind::Truncated {
                        what: "pcap file header".into(),
                        needed: FILE_HEADER_LEN as u64,
                        available: buf.len() as u64,
                    },
                ));
            }
            return Ok(None);
        }
        let Some((endian, nanos, modified)) = Self::sniff(buf) else {
            return Err(FileError::new(
                0,
                FileErrorKind::UnknownFormat {
                    magic: hex_prefix(buf),
                },
            ));
        };
        let major = u16_at(buf, 4, endian).unwrap_or(0);
        let minor = u16_at(buf, 6, endian).unwrap_or(0);
        let snaplen = u32_at(buf, 16, endian).unwrap_or(0);
        let network = u32_at(buf, 20, endian).unwrap_or(0);
        let link_type = LinkType((network & 0xffff) as u16);
        let format = Format::Pcap {
            endian,
            nanos,
            modified,
        };
        let section = Section {
            offset: 0,
            endian: Some(endian),
            version: (major, minor),
            ..Section::default()
        };
        let fcs = (network >> 28) & 1 == 1;
        let iface = Interface {
            id: 0,
            section: 0,
            link_type: link_type.0,
            snaplen,
            tsresol: if nanos {
                TsResolution::NANO
            } else {
                TsResolution::MICRO
            },
            fcs_len: fcs.then(|| (((network >> 29) & 7) * 2) as u8),
            ..Interface::default()
        };
        Ok(Some((
            PcapParser {
                endian,
                nanos,
                modified,
                snaplen,
                link_type,
                records: 0,
                last_secs: None,
                interface: 0,
            },
            format,
            section,
            iface,
        )))
    }

    fn record_header_len(&self) -> usize {
        if self.modified {
            24
        } else {
            16
        }
    }

    fn caplen_limit(&self) -> u32 {
        MAX_PACKET_LEN.max(self.snaplen.min(16 * 1024 * 1024))
    }

    /// Reads the next record from `buf`, which starts at file offset `offset`.
    pub fn next(&mut self, buf: &[u8], offset: u64, eof: bool) -> Step {
        let hlen = self.record_header_len();
        if buf.is_empty() && eof {
            return Step::End;
        }
        if buf.len() < hlen {
            if !eof {
                return Step::NeedMore { needed: hlen };
            }
            return Step::Error {
                error: FileError::new(
                    offset,
                    FileErrorKind::Truncated {
                        what: format!("record {} header", self.records + 1),
                        needed: hlen as u64,
                        available: buf.len() as u64,
                    },
                ),
                skip: None,
            };
        }
        let e = self.endian;
        let secs = u32_at(buf, 0, e).unwrap_or(0);
        let frac = u32_at(buf, 4, e).unwrap_or(0);
        let caplen = u32_at(buf, 8, e).unwrap_or(0);
        let orig_len = u32_at(buf, 12, e).unwrap_or(0);
        if caplen > self.caplen_limit() {
            if buf.len() < RESYNC_WINDOW && !eof {
                return Step::NeedMore {
                    needed: RESYNC_WINDOW,
                };
            }
            let error = FileError::new(
                offset,
                FileErrorKind::RecordTooLarge {
                    record: self.records + 1,
                    caplen: u64::from(caplen),
                    limit: u64::from(self.caplen_limit()),
                },
            );
            let skip = self.resync(buf, eof);
            return Step::Error { error, skip };
        }
        let total = hlen + caplen as usize;
        if buf.len() < total {
            if !eof {
                return Step::NeedMore { needed: total };
            }
            return Step::Error {
                error: FileError::new(
                    offset,
                    FileErrorKind::Truncated {
                        what: format!("record {} data", self.records + 1),
                        needed: total as u64,
                        available: buf.len() as u64,
                    },
                ),
                skip: None,
            };
        }
        self.records += 1;
        self.last_secs = Some(secs);
        let units = if self.nanos { 1_000_000_000 } else { 1_000_000 };
        // Fractions >= one second are invalid; like Wireshark we carry them into the seconds.
        let ts = Timestamp::from_ticks(u64::from(secs) * units + u64::from(frac), units, 0);
        Step::Record(RawRecord {
            consumed: total,
            interface: self.interface,
            link_type: self.link_type,
            ts: Some(ts),
            orig_len,
            data: hlen..total,
            flags: None,
            drop_count: None,
            options: 0..0,
            endian: e,
        })
    }

    /// Finds the next offset (> 0) in `buf` where two consecutive plausible record headers
    /// start (or one that ends exactly at the end of a finished file).
    fn resync(&self, buf: &[u8], eof: bool) -> Option<usize> {
        let hlen = self.record_header_len();
        let limit = buf.len().min(RESYNC_WINDOW);
        (1..limit).find(|&p| match self.plausible(buf, p) {
            Some(end) if end == buf.len() => eof,
            Some(end) => self.plausible(buf, end).is_some() || end + hlen > buf.len(),
            None => false,
        })
    }

    /// If a plausible record header starts at `p`, the offset just after its data.
    fn plausible(&self, buf: &[u8], p: usize) -> Option<usize> {
        let e = self.endian;
        let secs = u32_at(buf, p, e)?;
        let frac = u32_at(buf, p + 4, e)?;
        let caplen = u32_at(buf, p + 8, e)?;
        let orig = u32_at(buf, p + 12, e)?;
        let max_frac = if self.nanos { 1_000_000_000 } else { 1_000_000 };
        let snap = if self.snaplen == 0 {
            self.caplen_limit()
        } else {
            self.snaplen.max(64)
        };
        if frac >= max_frac || caplen > snap || caplen > orig || orig == 0 {
            return None;
        }
        if let Some(last) = self.last_secs {
            if (i64::from(secs) - i64::from(last)).abs() > RESYNC_MAX_TS_JUMP {
                return None;
            }
        }
        let end = p
            .checked_add(self.record_header_len())?
            .checked_add(caplen as usize)?;
        (end <= buf.len()).then_some(end)
    }
}

/// First bytes of a buffer in hex, for "unknown format" messages.
pub(crate) fn hex_prefix(buf: &[u8]) -> String {
    let mut s = String::new();
    for b in buf.iter().take(8) {
        s.push_str(&format!("{b:02x}"));
    }
    if s.is_empty() {
        s.push_str("an empty file");
    }
    s
}

/// Writes classic pcap files (used by `paircap capture --pcap`). Byte order is little-endian.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    out: W,
    nanos: bool,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header.
    ///
    /// # Errors
    /// Any error of the underlying writer.
    pub fn new(mut out: W, link_type: LinkType, snaplen: u32, nanos: bool) -> io::Result<Self> {
        let magic = if nanos { MAGIC_NANO } else { MAGIC_MICRO };
        let mut h = [0u8; FILE_HEADER_LEN];
        h[0..4].copy_from_slice(&magic.to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        h[16..20].copy_from_slice(&snaplen.to_le_bytes());
        h[20..24].copy_from_slice(&u32::from(link_type.0).to_le_bytes());
        out.write_all(&h)?;
        Ok(PcapWriter { out, nanos })
    }

    /// Writes one record. Returns the bytes written.
    ///
    /// # Errors
    /// Any error of the underlying writer.
    pub fn write_packet(&mut self, ts: Timestamp, orig_len: u32, data: &[u8]) -> io::Result<usize> {
        let frac = if self.nanos {
            ts.nanos
        } else {
            ts.nanos / 1000
        };
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&(ts.secs as u32).to_le_bytes());
        h[4..8].copy_from_slice(&frac.to_le_bytes());
        h[8..12].copy_from_slice(&(data.len() as u32).to_le_bytes());
        h[12..16].copy_from_slice(&orig_len.to_le_bytes());
        self.out.write_all(&h)?;
        self.out.write_all(data)?;
        Ok(16 + data.len())
    }

    /// Flushes the underlying writer.
    ///
    /// # Errors
    /// Any error of the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Returns the underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// The underlying writer, shared.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// The underlying writer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }
}
