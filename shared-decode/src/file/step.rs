//! What a format parser answers ([`Step`]): the vocabulary between the pcap and pcapng
//! parsers (below) and the readers built on them ([`super::reader`]), so the parsers do not
//! depend on their readers.

use super::{Endian, FileError, LinkType, Options, Record, Timestamp};
use std::ops::Range;

/// A packet record found by the parser; ranges are relative to the buffer it was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawRecord {
    /// Bytes of the record or block.
    pub consumed: usize,
    /// Global interface index.
    pub interface: u32,
    /// Link type.
    pub link_type: LinkType,
    /// Time stamp, if the block has one.
    pub ts: Option<Timestamp>,
    /// Length on the wire.
    pub orig_len: u32,
    /// Captured bytes.
    pub data: Range<usize>,
    /// `epb_flags`.
    pub flags: Option<u32>,
    /// Drop count.
    pub drop_count: Option<u64>,
    /// Option bytes.
    pub options: Range<usize>,
    /// Byte order of the options.
    pub endian: Endian,
}

impl RawRecord {
    /// Resolves the ranges against `buf` (the same buffer the parser saw).
    pub fn to_record<'a>(&self, buf: &'a [u8], offset: u64) -> Record<'a> {
        Record {
            offset,
            block_len: self.consumed as u32,
            interface: self.interface,
            link_type: self.link_type,
            ts: self.ts,
            orig_len: self.orig_len,
            data: buf.get(self.data.clone()).unwrap_or(&[]),
            flags: self.flags,
            drop_count: self.drop_count,
            options: Options {
                bytes: buf.get(self.options.clone()).unwrap_or(&[]),
                endian: self.endian,
            },
        }
    }
}

/// One answer of [`CaptureParser::next`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A packet; advance by `consumed`.
    Record(RawRecord),
    /// A metadata block was absorbed into [`super::CaptureInfo`]; advance by `consumed`.
    Meta {
        /// Bytes to advance.
        consumed: usize,
    },
    /// Call again with at least `needed` bytes from the same position (or with `eof`).
    NeedMore {
        /// Bytes needed from the current position.
        needed: usize,
    },
    /// The file ended cleanly.
    End,
    /// Something is wrong at this position. `skip: Some(n)`: advance by `n` and go on;
    /// `None`: nothing more can be read.
    Error {
        /// The error.
        error: FileError,
        /// Where reading can resume.
        skip: Option<usize>,
    },
}
