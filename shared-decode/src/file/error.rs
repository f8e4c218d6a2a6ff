//! Errors of the capture-file layer. Every error carries the file offset where it was found.

use thiserror::Error;

/// A capture-file error at a byte offset.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{kind} at file offset {offset}")]
pub struct FileError {
    /// Offset in the (decompressed) file where the problem starts.
    pub offset: u64,
    /// What went wrong.
    pub kind: FileErrorKind,
}

/// What went wrong in a capture file.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum FileErrorKind {
    /// The first bytes are not a pcap, pcapng or gzip magic number.
    #[error("not a pcap or pcapng file (starts with {magic})")]
    UnknownFormat {
        /// The first bytes in hex.
        magic: String,
    },
    /// The file ends in the middle of a header, record or block.
    #[error("file cut short in {what}: needed {needed} bytes, {available} left")]
    Truncated {
        /// What was being read ("pcap file header", "record 8 header", "EPB", ...).
        what: String,
        /// Bytes needed from the offset.
        needed: u64,
        /// Bytes the file still had.
        available: u64,
    },
    /// A record says it captured more bytes than any real packet has.
    #[error("record {record} claims {caplen} captured bytes (limit {limit})")]
    RecordTooLarge {
        /// 1-based record number.
        record: u64,
        /// The claimed captured length.
        caplen: u64,
        /// The limit.
        limit: u64,
    },
    /// A pcapng block length is impossible (too small, not a multiple of 4, too large).
    #[error("bad pcapng block length {len} for block type 0x{block_type:x}")]
    BadBlockLength {
        /// Block type.
        block_type: u32,
        /// Claimed total length.
        len: u64,
    },
    /// Leading and trailing pcapng block lengths differ.
    #[error(
        "pcapng block type 0x{block_type:x}: leading length {first} != trailing length {second}"
    )]
    LengthMismatch {
        /// Block type.
        block_type: u32,
        /// Leading total length.
        first: u32,
        /// Trailing total length.
        second: u32,
    },
    /// A block body is inconsistent (e.g. captured length beyond the block).
    #[error("bad {block}: {detail}")]
    BadBlock {
        /// Block name ("EPB", "IDB", ...).
        block: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// A packet block names an interface that was never described.
    #[error("packet on undefined interface {interface} (section has {defined})")]
    UnknownInterface {
        /// Section-local interface id.
        interface: u32,
        /// Interfaces defined in the section.
        defined: u32,
    },
    /// A section header with an unknown version or byte-order magic.
    #[error("bad section header: {detail}")]
    BadSection {
        /// What is wrong.
        detail: String,
    },
    /// The reader skipped bytes to find the next valid record after an error.
    #[error("resynchronised: skipped {skipped} bytes")]
    Resynchronised {
        /// Bytes skipped.
        skipped: u64,
    },
    /// The underlying reader failed.
    #[error("read error: {0}")]
    Io(String),
    /// The gzip stream is corrupt.
    #[error("gzip stream corrupt: {0}")]
    Gzip(String),
}

impl FileError {
    pub(crate) fn new(offset: u64, kind: FileErrorKind) -> FileError {
        FileError { offset, kind }
    }
}
