//! Capture files: classic pcap and pcapng readers, a pcapng (and pcap) writer, gzip, and a
//! record-offset index for random access.
//!
//! Shape (see `STYLE.md` §3 "Files"):
//! - [`CaptureParser`] is a push parser over `&[u8]`: give it the bytes you have from the
//!   current file position, it answers with one [`Step`] (a record, a metadata block it has
//!   absorbed into [`CaptureInfo`], "need N more bytes", the end, or an error with the resume
//!   point). It never allocates per packet and never holds file bytes.
//! - [`Reader`] is a thin buffer loop over it for any `R: std::io::Read` (gzip is detected and
//!   decompressed transparently); [`SliceReader`] walks a whole in-memory buffer zero-copy.
//! - [`Index`] holds `(offset, len)` of every record so a viewer can re-read one packet.
//!
//! Why our own reader instead of `pcap-file` or `pcap-parser`: we need zero-copy records with
//! their byte offsets (for the index and for error messages), resynchronisation after a
//! damaged record (both crates stop), the "modified" (Kuznetzov) pcap variant, obsolete
//! Packet Blocks, per-interface `if_tsresol`/`if_tsoffset` applied exactly, and a push API
//! the browser worker can feed with `Blob.slice` chunks. `pcap-file` is used in our tests as
//! an independent oracle for both our reader and our writer.
//!
//! Invariants: no input can make this module panic, loop forever, or allocate more than
//! [`MAX_BLOCK_LEN`] (plus small per-interface metadata) at once.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod bytes;
mod error;
mod index;
pub mod pcap;
pub mod pcapng;
mod reader;
mod step;

pub use error::{FileError, FileErrorKind};
pub use index::{Index, IndexEntry};
pub use reader::{CaptureParser, Reader, SliceReader, Step};

use std::fmt;

/// Largest block or record we accept (pcapng block, pcap record incl. header). Wireshark uses
/// 16 MiB for pcapng blocks; BIG TCP packets (up to 512 KiB) fit comfortably.
pub const MAX_BLOCK_LEN: usize = 16 * 1024 * 1024;

/// Largest captured length of one packet we accept (Wireshark's `WTAP_MAX_PACKET_SIZE_STANDARD`
/// is 262144; BIG TCP and USB captures go higher, so we allow up to 1 MiB).
pub const MAX_PACKET_LEN: u32 = 1024 * 1024;

/// Byte order of a file or section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endian {
    /// Little-endian.
    Little,
    /// Big-endian.
    Big,
}

impl fmt::Display for Endian {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Endian::Little => "little-endian",
            Endian::Big => "big-endian",
        })
    }
}

/// A point in time as seconds and nanoseconds since the Unix epoch (UTC).
///
/// `nanos` is always `< 1_000_000_000`. Resolutions finer than a nanosecond are truncated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z (may be negative).
    pub secs: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

impl Timestamp {
    /// Builds a timestamp from `ticks` of `1 / units_per_sec` seconds plus `offset_secs`.
    pub fn from_ticks(ticks: u64, units_per_sec: u64, offset_secs: i64) -> Timestamp {
        let units = units_per_sec.max(1);
        let secs = ticks / units;
        let frac = ticks % units;
        // 128-bit division is a library call on wasm32 (and slow everywhere): the common
        // resolutions and any below 2^34 ticks per second stay in 64 bits.
        let nanos = match units {
            1_000_000_000 => frac as u32,
            1_000_000 => (frac * 1_000) as u32,
            u if u < (1 << 34) => (frac * 1_000_000_000 / u) as u32,
            u => ((u128::from(frac) * 1_000_000_000) / u128::from(u)) as u32,
        };
        Timestamp {
            secs: i64::try_from(secs)
                .unwrap_or(i64::MAX)
                .saturating_add(offset_secs),
            nanos,
        }
    }

    /// Converts back to ticks of `1 / units_per_sec` (used by the writer). Saturates.
    pub fn to_ticks(self, units_per_sec: u64) -> u64 {
        let secs = u128::try_from(self.secs).unwrap_or(0);
        let t = secs * u128::from(units_per_sec)
            + u128::from(self.nanos) * u128::from(units_per_sec) / 1_000_000_000;
        u64::try_from(t).unwrap_or(u64::MAX)
    }

    /// Nanoseconds since the epoch as `i128` (never overflows).
    pub fn as_nanos(self) -> i128 {
        i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos)
    }

    /// Builds a timestamp from nanoseconds since the epoch.
    pub fn from_nanos(ns: i128) -> Timestamp {
        if let Ok(n) = i64::try_from(ns) {
            // 64-bit fast path (128-bit division is a library call on wasm32).
            return Timestamp {
                secs: n.div_euclid(1_000_000_000),
                nanos: n.rem_euclid(1_000_000_000) as u32,
            };
        }
        let secs = ns.div_euclid(1_000_000_000);
        let nanos = ns.rem_euclid(1_000_000_000) as u32;
        Timestamp {
            secs: i64::try_from(secs).unwrap_or(if secs < 0 { i64::MIN } else { i64::MAX }),
            nanos,
        }
    }

    /// Seconds since the epoch as a float (for plots and JSON `frame.time_epoch`).
    pub fn as_f64(self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }
}

impl fmt::Display for Timestamp {
    /// `secs.nnnnnnnnn`, as Wireshark's `frame.time_epoch`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.secs, self.nanos)
    }
}

/// A link-layer header type (LINKTYPE_* from the tcpdump.org registry). Open set: unknown
/// values round-trip and print as numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u16);

impl LinkType {
    /// BSD loopback: 4-byte address family in host byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II / 802.3.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP (DLT_RAW on some BSDs, value 12).
    pub const RAW_12: LinkType = LinkType(12);
    /// Raw IP (DLT_RAW on OpenBSD, value 14).
    pub const RAW_14: LinkType = LinkType(14);
    /// Raw IPv4 or IPv6, version from the first nibble.
    pub const RAW: LinkType = LinkType(101);
    /// IEEE 802.11.
    pub const IEEE802_11: LinkType = LinkType(105);
    /// OpenBSD loopback: 4-byte address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux "cooked" capture v1.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Linux netfilter NFLOG.
    pub const NFLOG: LinkType = LinkType(239);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux netlink.
    pub const NETLINK: LinkType = LinkType(253);
    /// Linux "cooked" capture v2.
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// The registry name (`EN10MB`, `LINUX_SLL`, ...) or `None` when unknown.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "NULL",
            1 => "EN10MB",
            12 | 14 | 101 => "RAW",
            105 => "IEEE802_11",
            108 => "LOOP",
            113 => "LINUX_SLL",
            127 => "IEEE802_11_RADIO",
            228 => "IPV4",
            229 => "IPV6",
            239 => "NFLOG",
            253 => "NETLINK",
            276 => "LINUX_SLL2",
            _ => return None,
        })
    }

    /// A human description, like Wireshark's encapsulation names.
    pub fn description(self) -> &'static str {
        match self.0 {
            0 => "BSD loopback",
            1 => "Ethernet",
            12 | 14 | 101 => "Raw IP",
            105 => "IEEE 802.11 Wireless LAN",
            108 => "OpenBSD loopback",
            113 => "Linux cooked-mode capture v1",
            228 => "Raw IPv4",
            229 => "Raw IPv6",
            239 => "NFLOG",
            253 => "Linux Netlink",
            276 => "Linux cooked-mode capture v2",
            _ => "Unknown",
        }
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n}({})", self.0),
            None => write!(f, "LINKTYPE_{}", self.0),
        }
    }
}

/// Which container a file uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Classic libpcap format.
    Pcap {
        /// Byte order of the file.
        endian: Endian,
        /// Nanosecond timestamps (magic `a1b23c4d`).
        nanos: bool,
        /// The "modified" (Kuznetzov) variant with 24-byte record headers (magic `a1b2cd34`).
        modified: bool,
    },
    /// pcapng (byte order may change per section).
    Pcapng,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::Pcap {
                endian,
                nanos,
                modified,
            } => write!(
                f,
                "pcap{} ({}, {endian})",
                if *modified { " (modified)" } else { "" },
                if *nanos { "nanosecond" } else { "microsecond" },
            ),
            Format::Pcapng => f.write_str("pcapng"),
        }
    }
}

/// One pcapng section (a classic pcap file is presented as one section).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Section {
    /// File offset of the Section Header Block (0 for pcap).
    pub offset: u64,
    /// Byte order of the section.
    pub endian: Option<Endian>,
    /// Format version (major, minor).
    pub version: (u16, u16),
    /// `shb_hardware`.
    pub hardware: Option<String>,
    /// `shb_os`.
    pub os: Option<String>,
    /// `shb_userappl`.
    pub user_appl: Option<String>,
    /// `opt_comment` values.
    pub comments: Vec<String>,
    /// Global index of this section's first interface.
    pub first_interface: u32,
}

/// Time stamp resolution of an interface: ticks per second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TsResolution {
    /// Ticks per second (10^n or 2^n).
    pub units_per_sec: u64,
    /// The raw `if_tsresol` byte (0x06 = microseconds, 0x09 = nanoseconds).
    pub raw: u8,
}

impl TsResolution {
    /// Microseconds (the pcapng default).
    pub const MICRO: TsResolution = TsResolution {
        units_per_sec: 1_000_000,
        raw: 6,
    };
    /// Nanoseconds.
    pub const NANO: TsResolution = TsResolution {
        units_per_sec: 1_000_000_000,
        raw: 9,
    };

    /// Decodes an `if_tsresol` byte; `None` if it does not fit in 64 bits.
    pub fn from_raw(raw: u8) -> Option<TsResolution> {
        let exp = u32::from(raw & 0x7f);
        let units_per_sec = if raw & 0x80 == 0 {
            10u64.checked_pow(exp)?
        } else {
            1u64.checked_shl(exp)?
        };
        Some(TsResolution { units_per_sec, raw })
    }
}

impl Default for TsResolution {
    fn default() -> Self {
        TsResolution::MICRO
    }
}

/// An interface (pcapng IDB; a classic pcap file has exactly one).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Interface {
    /// Global index (0-based, across sections), as Wireshark's `frame.interface_id`.
    pub id: u32,
    /// Section this interface belongs to (0-based).
    pub section: u32,
    /// Link-layer type.
    pub link_type: u16,
    /// Snap length (0 = unlimited).
    pub snaplen: u32,
    /// `if_name`.
    pub name: Option<String>,
    /// `if_description`.
    pub description: Option<String>,
    /// `if_filter` as text (the first byte of the option says which kind; 0 = libpcap string).
    pub filter: Option<String>,
    /// `if_os`.
    pub os: Option<String>,
    /// `if_hardware`.
    pub hardware: Option<String>,
    /// `if_speed` in bits per second.
    pub speed: Option<u64>,
    /// Bytes of frame check sequence at the end of each frame (`if_fcslen`, which is in
    /// bits, or the FCS bits of a pcap header's link type).
    pub fcs_len: Option<u8>,
    /// Time stamp resolution.
    pub tsresol: TsResolution,
    /// `if_tsoffset`: seconds added to every time stamp.
    pub tsoffset: i64,
    /// `if_IPv4addr` / `if_IPv6addr` as text (`addr/mask`).
    pub addresses: Vec<String>,
    /// `if_MACaddr` as `aa:bb:cc:dd:ee:ff`.
    pub mac: Option<String>,
    /// `opt_comment` values.
    pub comments: Vec<String>,
}

impl Interface {
    /// The link type as a [`LinkType`].
    pub fn link(&self) -> LinkType {
        LinkType(self.link_type)
    }
}

/// Interface statistics (pcapng ISB), e.g. the drop counters a capture tool recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InterfaceStats {
    /// Global interface index.
    pub interface: u32,
    /// When the statistics were taken.
    pub ts: Timestamp,
    /// `isb_starttime`.
    pub start: Option<Timestamp>,
    /// `isb_endtime`.
    pub end: Option<Timestamp>,
    /// `isb_ifrecv`: packets received by the interface.
    pub if_recv: Option<u64>,
    /// `isb_ifdrop`: packets dropped by the interface (e.g. kernel buffer full).
    pub if_drop: Option<u64>,
    /// `isb_filteraccept`: packets accepted by the capture filter.
    pub filter_accept: Option<u64>,
    /// `isb_osdrop`: packets dropped by the OS.
    pub os_drop: Option<u64>,
    /// `isb_usrdeliv`: packets delivered to the user.
    pub usr_deliv: Option<u64>,
    /// `opt_comment` values.
    pub comments: Vec<String>,
}

/// A name resolution entry (pcapng NRB).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameEntry {
    /// The address bytes (4 for IPv4, 16 for IPv6, 6/8 for EUI).
    pub addr: Vec<u8>,
    /// Names for the address.
    pub names: Vec<String>,
}

/// Everything a file says about itself besides packets, accumulated while reading.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaptureInfo {
    /// The container, once the header has been read.
    pub format: Option<Format>,
    /// Sections in file order.
    pub sections: Vec<Section>,
    /// Interfaces in global order.
    pub interfaces: Vec<Interface>,
    /// Interface statistics blocks in file order.
    pub stats: Vec<InterfaceStats>,
    /// Name resolution entries (bounded by [`MAX_NAME_ENTRIES`]).
    pub names: Vec<NameEntry>,
    /// Custom, decryption-secrets, journal and unknown blocks that were skipped.
    pub skipped_blocks: u64,
    /// Whether the input was gzip-compressed.
    pub gzip: bool,
}

/// Prefix of the interface comment in which `paircap capture` records the interface's
/// offload settings (TSO/GSO/GRO/LRO): a capture taken with them on holds super-segments.
pub const OFFLOADS_COMMENT: &str = "paircap offloads:";

/// Prefix of the section comment in which `paircap capture` numbers the files of a rotated
/// capture (`-C`/`-G`): `paircap rotation: file=N before=M` — the file's sequence number
/// from 0 and how many packets the capture wrote to the files before it. A set missing a file
/// shows it, with the number of packets it held.
pub const ROTATION_COMMENT: &str = "paircap rotation:";

/// A file's place in a rotated capture ([`ROTATION_COMMENT`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RotationMark {
    /// Sequence number of the file (0 = the capture's first file).
    pub file: u64,
    /// Packets written to the capture's earlier files.
    pub before: u64,
}

impl RotationMark {
    /// The section comment that records it.
    pub fn comment(&self) -> String {
        format!(
            "{ROTATION_COMMENT} file={} before={}",
            self.file, self.before
        )
    }
}

/// Bound on kept name-resolution entries (a hostile file cannot grow memory without limit).
pub const MAX_NAME_ENTRIES: usize = 65_536;
/// Bound on interfaces per file.
pub const MAX_INTERFACES: usize = 65_536;
/// Bound on kept interface statistics blocks.
pub const MAX_STATS: usize = 65_536;

impl CaptureInfo {
    /// What one file of several read as one stream ([`CaptureParser::next_file`]) said about
    /// itself: the sections that start in `[from, to)` (file offsets), their interfaces and
    /// statistics, renumbered from 0.
    pub fn part(&self, from: u64, to: u64) -> CaptureInfo {
        let keep: Vec<usize> = self
            .sections
            .iter()
            .enumerate()
            .filter(|(_, s)| s.offset >= from && s.offset < to)
            .map(|(i, _)| i)
            .collect();
        let mut out = CaptureInfo {
            format: self.format,
            gzip: self.gzip,
            ..CaptureInfo::default()
        };
        // Old global interface index -> new.
        let mut map = std::collections::HashMap::new();
        for &si in &keep {
            let Some(sec) = self.sections.get(si) else {
                continue;
            };
            let mut sec = sec.clone();
            sec.offset -= from;
            sec.first_interface = out.interfaces.len() as u32;
            let new_section = out.sections.len() as u32;
            for (gi, iface) in self.interfaces.iter().enumerate() {
                if iface.section as usize == si {
                    let mut iface = iface.clone();
                    iface.id = out.interfaces.len() as u32;
                    iface.section = new_section;
                    map.insert(gi as u32, iface.id);
                    out.interfaces.push(iface);
                }
            }
            out.sections.push(sec);
        }
        for st in &self.stats {
            if let Some(&id) = map.get(&st.interface) {
                let mut st = st.clone();
                st.interface = id;
                out.stats.push(st);
            }
        }
        out
    }

    /// The link types of all interfaces, deduplicated, in first-seen order.
    pub fn link_types(&self) -> Vec<LinkType> {
        let mut v: Vec<LinkType> = Vec::new();
        for i in &self.interfaces {
            if !v.contains(&i.link()) {
                v.push(i.link());
            }
        }
        v
    }

    /// The kernel (`isb_osdrop`) and interface (`isb_ifdrop`) drop counters, each summed
    /// over the last statistics block of every interface; `None` where none was recorded.
    pub fn drop_counters(&self) -> (Option<u64>, Option<u64>) {
        let mut last: Vec<Option<&InterfaceStats>> = vec![None; self.interfaces.len()];
        for s in &self.stats {
            if let Some(slot) = last.get_mut(s.interface as usize) {
                *slot = Some(s);
            }
        }
        let (mut os, mut ifd) = (None::<u64>, None::<u64>);
        for s in last.into_iter().flatten() {
            if let Some(v) = s.os_drop {
                os = Some(os.unwrap_or(0).saturating_add(v));
            }
            if let Some(v) = s.if_drop {
                ifd = Some(ifd.unwrap_or(0).saturating_add(v));
            }
        }
        (os, ifd)
    }

    /// Offload settings recorded by `paircap capture` in an interface comment
    /// ([`OFFLOADS_COMMENT`]), as `"IFACE: tso on, gso on, gro off, lro off"`.
    pub fn offloads(&self) -> Vec<String> {
        let mut out = Vec::new();
        for i in &self.interfaces {
            for c in &i.comments {
                if let Some(rest) = c.strip_prefix(OFFLOADS_COMMENT) {
                    let name = i.name.as_deref().unwrap_or("?");
                    out.push(format!("{name}: {}", rest.trim()));
                }
            }
        }
        out
    }

    /// The file's place in a rotated capture, when `paircap capture` recorded it in the first
    /// section's comments ([`ROTATION_COMMENT`]).
    pub fn rotation(&self) -> Option<RotationMark> {
        let c = self
            .sections
            .first()?
            .comments
            .iter()
            .find_map(|c| c.strip_prefix(ROTATION_COMMENT))?;
        let mut file = None;
        let mut before = None;
        for w in c.split_whitespace() {
            if let Some(v) = w.strip_prefix("file=") {
                file = v.parse().ok();
            } else if let Some(v) = w.strip_prefix("before=") {
                before = v.parse().ok();
            }
        }
        Some(RotationMark {
            file: file?,
            before: before?,
        })
    }

    /// Sum of the drop counters (`isb_ifdrop` + `isb_osdrop`) of the last statistics block
    /// of every interface; `None` when no statistics were recorded.
    pub fn dropped(&self) -> Option<u64> {
        let mut last: Vec<Option<&InterfaceStats>> = vec![None; self.interfaces.len()];
        for s in &self.stats {
            if let Some(slot) = last.get_mut(s.interface as usize) {
                *slot = Some(s);
            }
        }
        let mut any = false;
        let mut total = 0u64;
        for s in last.into_iter().flatten() {
            if s.if_drop.is_some() || s.os_drop.is_some() {
                any = true;
                total = total
                    .saturating_add(s.if_drop.unwrap_or(0))
                    .saturating_add(s.os_drop.unwrap_or(0));
            }
        }
        any.then_some(total)
    }
}

/// One packet record, borrowing the file bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// File offset of the record header (pcap) or block (pcapng).
    pub offset: u64,
    /// Length of the whole record or block in the file.
    pub block_len: u32,
    /// Global interface index.
    pub interface: u32,
    /// Link type of the interface.
    pub link_type: LinkType,
    /// Time stamp (`None` for pcapng Simple Packet Blocks, which carry none).
    pub ts: Option<Timestamp>,
    /// Length of the packet on the wire.
    pub orig_len: u32,
    /// The captured bytes.
    pub data: &'a [u8],
    /// `epb_flags` (direction, reception type, FCS length, errors), when present.
    pub flags: Option<u32>,
    /// `epb_dropcount` / the obsolete PB's drops count, when present.
    pub drop_count: Option<u64>,
    /// Raw option bytes of the block (pcapng), for comments and other options.
    pub options: Options<'a>,
}

impl<'a> Record<'a> {
    /// Captured length.
    pub fn cap_len(&self) -> u32 {
        self.data.len() as u32
    }

    /// The packet comments (`opt_comment`) of this record.
    pub fn comments(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.options.iter().filter_map(|(code, v)| {
            if code == pcapng::OPT_COMMENT {
                // A C string to the readers of this format (Wireshark, libpcap): what follows
                // a NUL inside the option is not part of the comment.
                let v = v.split(|&b| b == 0).next().unwrap_or(v);
                std::str::from_utf8(v).ok()
            } else {
                None
            }
        })
    }
}

/// The options area of a pcapng block: a sequence of (code, length, value, padding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options<'a> {
    /// Raw option bytes.
    pub bytes: &'a [u8],
    /// Byte order of the section.
    pub endian: Endian,
}

impl<'a> Options<'a> {
    /// No options.
    pub const EMPTY: Options<'static> = Options {
        bytes: &[],
        endian: Endian::Little,
    };

    /// Iterates `(code, value)` pairs, stopping at `opt_endofopt` or at the first malformed
    /// option. Terminates: every step consumes at least 4 bytes.
    pub fn iter(&self) -> OptionIter<'a> {
        OptionIter {
            rest: self.bytes,
            endian: self.endian,
        }
    }
}

/// Iterator over pcapng options (see [`Options::iter`]).
#[derive(Clone, Debug)]
pub struct OptionIter<'a> {
    rest: &'a [u8],
    endian: Endian,
}

impl<'a> Iterator for OptionIter<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let code = bytes::u16_at(self.rest, 0, self.endian)?;
        let len = usize::from(bytes::u16_at(self.rest, 2, self.endian)?);
        if code == pcapng::OPT_ENDOFOPT {
            self.rest = &[];
            return None;
        }
        let value = self.rest.get(4..4 + len);
        let padded = 4 + ((len + 3) & !3);
        match value {
            Some(v) => {
                self.rest = self.rest.get(padded..).unwrap_or(&[]);
                Some((code, v))
            }
            None => {
                self.rest = &[];
                None
            }
        }
    }
}
