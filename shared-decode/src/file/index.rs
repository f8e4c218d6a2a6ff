//! Record-offset index: where each packet's record starts and how long it is, so one packet
//! can be re-read (with [`CaptureParser::record_at`](super::CaptureParser::record_at)) without
//! walking the file again. 12 bytes per packet.

/// Position of one record in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    /// File offset of the record header or block.
    pub offset: u64,
    /// Length of the record header plus data, or of the whole block.
    pub len: u32,
}

/// Offsets of every packet record, in file order (frame `n` is entry `n - 1`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Index {
    offsets: Vec<u64>,
    lens: Vec<u32>,
}

impl Index {
    /// An empty index.
    pub fn new() -> Index {
        Index::default()
    }

    /// Appends a record position.
    pub fn push(&mut self, offset: u64, len: u32) {
        self.offsets.push(offset);
        self.lens.push(len);
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    /// True when there are no records.
    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// Position of the record at 0-based `i`.
    pub fn get(&self, i: usize) -> Option<IndexEntry> {
        Some(IndexEntry {
            offset: *self.offsets.get(i)?,
            len: *self.lens.get(i)?,
        })
    }

    /// Heap bytes used.
    pub fn heap_bytes(&self) -> usize {
        self.offsets.capacity() * 8 + self.lens.capacity() * 4
    }
}
