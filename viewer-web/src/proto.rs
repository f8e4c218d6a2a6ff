//! Messages between the page and the worker. Small, versioned by their shape, serialised with
//! serde (serde-wasm-bindgen in the browser). The `File` object itself travels beside the
//! `Open` message as a structured-clone transfer, never as bytes in a message.

use serde::{Deserialize, Serialize};

/// Protocol version; the page refuses a worker that speaks another.
pub const VERSION: u32 = 3;

/// Time column style.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeFormat {
    /// Seconds since the first packet.
    #[default]
    Relative,
    /// Time of day (UTC).
    Absolute,
    /// Seconds since the previous packet.
    Delta,
    /// Date and time (UTC).
    Utc,
}

impl TimeFormat {
    /// All, in menu order.
    pub const ALL: [TimeFormat; 4] = [
        TimeFormat::Relative,
        TimeFormat::Absolute,
        TimeFormat::Delta,
        TimeFormat::Utc,
    ];

    /// Menu label.
    pub fn label(self) -> &'static str {
        match self {
            TimeFormat::Relative => "Time: since start",
            TimeFormat::Absolute => "Time: of day (UTC)",
            TimeFormat::Delta => "Time: since previous",
            TimeFormat::Utc => "Time: date (UTC)",
        }
    }

    /// Short key for links.
    pub fn key(self) -> &'static str {
        match self {
            TimeFormat::Relative => "rel",
            TimeFormat::Absolute => "abs",
            TimeFormat::Delta => "delta",
            TimeFormat::Utc => "utc",
        }
    }

    /// From [`TimeFormat::key`].
    pub fn from_key(k: &str) -> Option<TimeFormat> {
        TimeFormat::ALL.into_iter().find(|t| t.key() == k)
    }
}

/// Packet-list columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Column {
    /// No.
    Number,
    /// Time.
    Time,
    /// Source.
    Source,
    /// Destination.
    Destination,
    /// Protocol.
    Protocol,
    /// Length.
    Length,
    /// Info.
    Info,
}

impl Column {
    /// All, in display order.
    pub const ALL: [Column; 7] = [
        Column::Number,
        Column::Time,
        Column::Source,
        Column::Destination,
        Column::Protocol,
        Column::Length,
        Column::Info,
    ];

    /// Header text.
    pub fn title(self) -> &'static str {
        match self {
            Column::Number => "No.",
            Column::Time => "Time",
            Column::Source => "Source",
            Column::Destination => "Destination",
            Column::Protocol => "Protocol",
            Column::Length => "Length",
            Column::Info => "Info",
        }
    }
}

/// One packet-list row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// Display position.
    pub pos: u32,
    /// Frame number.
    pub number: u32,
    /// Time column.
    pub time: String,
    /// Source.
    pub source: String,
    /// Destination.
    pub destination: String,
    /// Protocol.
    pub protocol: String,
    /// Frame length.
    pub length: u32,
    /// Info.
    pub info: String,
    /// Colouring rule (index into the legend), 255 = none.
    pub color: u8,
    /// In a set of files: the name of the file this packet is the first of (not the first
    /// file's).
    #[serde(default)]
    pub file_start: Option<String>,
}

/// One line of the details tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailNode {
    /// Depth (0 = protocol).
    pub depth: u16,
    /// Filter field name.
    pub field: Option<String>,
    /// Text.
    pub label: String,
    /// First byte in the frame.
    pub start: u32,
    /// Bytes covered.
    pub len: u32,
    /// Expert severity.
    pub severity: Option<String>,
    /// Display filter matching this field's value.
    pub filter: Option<String>,
}

/// Which capture of a pair (a single capture is the source).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Side {
    /// The source capture (or the only one).
    #[default]
    Source,
    /// The target capture.
    Target,
}

impl Side {
    /// Both sides, in order.
    pub const BOTH: [Side; 2] = [Side::Source, Side::Target];

    /// 0 for the source, 1 for the target (an index into per-side arrays).
    pub fn index(self) -> usize {
        match self {
            Side::Source => 0,
            Side::Target => 1,
        }
    }

    /// The side at index `i` (1 is the target, anything else the source).
    pub fn from_index(i: usize) -> Side {
        if i == 1 {
            Side::Target
        } else {
            Side::Source
        }
    }

    /// `source` or `target`.
    pub fn name(self) -> &'static str {
        match self {
            Side::Source => "source",
            Side::Target => "target",
        }
    }

    /// The other capture.
    pub fn other(self) -> Side {
        match self {
            Side::Source => Side::Target,
            Side::Target => Side::Source,
        }
    }
}

/// A selected packet: its tree and bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Details {
    /// Which file.
    #[serde(default)]
    pub side: Side,
    /// Frame number.
    pub frame: u32,
    /// Tree lines.
    pub nodes: Vec<DetailNode>,
    /// Captured bytes.
    pub bytes: Vec<u8>,
}

/// Where a filter error is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterProblem {
    /// Message.
    pub message: String,
    /// Byte position in the filter text.
    pub start: u32,
    /// End position.
    pub end: u32,
    /// The filter with a caret line under the problem.
    pub rendered: String,
}

/// One interface, as the capture-properties view lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceInfo {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Link type.
    pub link_type: String,
    /// Snap length.
    pub snaplen: u32,
    /// Capture filter.
    pub filter: String,
    /// OS.
    pub os: String,
    /// Time stamp resolution.
    pub resolution: String,
    /// Statistics (received/dropped...), as text lines.
    pub stats: Vec<String>,
}

/// What the file says about itself (like capinfos).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Container.
    pub format: String,
    /// Whether it was gzip-compressed.
    pub gzip: bool,
    /// Packets.
    pub packets: u64,
    /// Link types.
    pub link_types: Vec<String>,
    /// First packet (ns since the epoch).
    pub first_ns: i64,
    /// Last packet (ns since the epoch).
    pub last_ns: i64,
    /// Section comments, hardware, OS, application.
    pub section: Vec<String>,
    /// Interfaces.
    pub interfaces: Vec<InterfaceInfo>,
    /// Packets the capture tool says it dropped.
    pub dropped: Option<u64>,
    /// Problems met while reading (with offsets).
    pub problems: Vec<String>,
    /// Bytes of snap kept per packet.
    pub snap_len: u32,
    /// A set of files: each file's name, first frame and size (empty for one file).
    #[serde(default)]
    pub files: Vec<(String, u32, u64)>,
}

/// Page → worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// Open the file sent alongside and index it.
    Open {
        /// Name.
        name: String,
        /// Size.
        size: u64,
        /// 0: the capture (the source of a compare); 1: the target of a compare.
        #[serde(default)]
        side: Side,
    },
    /// Open the files sent alongside (a rotated set: `names` and `sizes` in the order sent)
    /// as one capture: read in the order of their first packets, one after another.
    OpenSet {
        /// Names.
        names: Vec<String>,
        /// Sizes.
        sizes: Vec<u64>,
        /// 0: the capture (the source of a compare); 1: the target of a compare.
        #[serde(default)]
        side: Side,
    },
    /// Only compute the SHA-256 of the file sent alongside (a second worker does this).
    Hash {
        /// Which file.
        #[serde(default)]
        side: Side,
    },
    /// Rows for display positions.
    Rows {
        /// First position.
        start: u32,
        /// How many.
        count: u32,
        /// Time format.
        time: TimeFormat,
        /// Request id, echoed back.
        id: u32,
    },
    /// Details of a frame.
    Details {
        /// Frame number.
        frame: u32,
        /// Which file.
        #[serde(default)]
        side: Side,
    },
    /// Rows of the aligned source/target view of a compare.
    PairRows {
        /// First position.
        start: u32,
        /// How many.
        count: u32,
        /// Time format.
        time: TimeFormat,
        /// Request id, echoed back.
        id: u32,
    },
    /// Field differences of a source packet and its twin.
    Diff {
        /// Source frame.
        src: u32,
        /// Target frame.
        dst: u32,
    },
    /// Run the compare again (a manual clock offset, or `None` to estimate it).
    Compare {
        /// Target clock minus source clock, milliseconds.
        offset_ms: Option<f64>,
    },
    /// Apply a display filter ("" clears it).
    Filter {
        /// Filter text.
        text: String,
        /// Request id (a newer one cancels an older one).
        id: u32,
    },
    /// Check a filter without applying it (live validation).
    Check {
        /// Filter text.
        text: String,
    },
    /// Sort the view.
    Sort {
        /// Column.
        column: Column,
        /// Ascending.
        ascending: bool,
    },
    /// Find the display position of a frame (Ctrl+G).
    Locate {
        /// Frame number.
        frame: u32,
        /// In a compare: whose frame it is (0 source, 1 target).
        #[serde(default)]
        side: Side,
    },
    /// Export the displayed packets as pcapng (the file comes back beside
    /// [`FromWorker::Exported`]).
    Export {
        /// Section comments (origin, filter).
        comments: Vec<String>,
        /// Anonymize with this secret (`None`: as captured).
        secret: Option<Vec<u8>>,
        /// Payloads when anonymizing: 0 keep, 1 zero, 2 cut.
        payload: u8,
    },
    /// Compute a statistic over the capture (`shared_decode::stats`: `conv,tcp`,
    /// `endpoints,ip`, `io,phs`, …), over every packet or only the displayed ones (answered
    /// by [`FromWorker::Stats`]).
    Stats {
        /// tshark's `-z` name.
        kind: String,
        /// Only the packets the display filter shows.
        displayed: bool,
    },
    /// Follow a TCP stream: `stream`, or the one `frame` belongs to (answered by
    /// [`FromWorker::Followed`]).
    Follow {
        /// A frame of the stream.
        frame: u32,
        /// The stream (overrides `frame`).
        stream: Option<u32>,
    },
    /// Find a packet by content digest (a view link's packet), trying `frame` first.
    FindPacket {
        /// Frame number the link names.
        frame: u32,
        /// `shared_decode::link::packet_digest` of its bytes.
        digest: u64,
    },
}

/// Worker → page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// The worker is up (protocol version).
    Ready {
        /// [`VERSION`].
        version: u32,
    },
    /// Indexing progress of the target of a compare.
    TargetProgress {
        /// Bytes read.
        bytes: u64,
        /// File size.
        size: u64,
        /// Packets so far.
        packets: u64,
    },
    /// The target of a compare is indexed.
    TargetIndexed {
        /// What it says about itself.
        summary: Summary,
    },
    /// A compare is running.
    Comparing {
        /// What it is doing.
        stage: String,
    },
    /// A compare finished.
    Compared {
        /// The findings.
        summary: CompareSummary,
        /// Rows in the aligned view.
        displayed: u64,
        /// Milliseconds it took (keys, matching, classification).
        millis: f64,
    },
    /// Aligned rows.
    PairRows {
        /// Request id.
        id: u32,
        /// Rows.
        rows: Vec<PairRow>,
        /// Rows in the aligned view.
        displayed: u64,
    },
    /// Field differences of a pair.
    Diff {
        /// Source frame.
        src: u32,
        /// Target frame.
        dst: u32,
        /// (field, source value, target value).
        fields: Vec<(String, String, String)>,
    },
    /// Indexing progress.
    Progress {
        /// Bytes read.
        bytes: u64,
        /// File size.
        size: u64,
        /// Packets so far.
        packets: u64,
    },
    /// Indexing finished (or stopped at a damaged spot; `summary.problems` says where).
    Indexed {
        /// What the file says about itself.
        summary: Summary,
        /// Milliseconds from open to end of index.
        millis: f64,
        /// Of which waiting for file reads.
        read_wait_ms: f64,
        /// Of which indexing (parse, dissect, flow analysis).
        feed_ms: f64,
        /// Bytes the index holds (positions, snaps, flow analysis).
        index_bytes: u64,
        /// Size of the worker's wasm memory.
        wasm_bytes: u64,
    },
    /// Rows.
    Rows {
        /// Request id.
        id: u32,
        /// Rows.
        rows: Vec<Row>,
        /// Packets in the file so far.
        total: u64,
        /// Packets displayed.
        displayed: u64,
    },
    /// Details of a frame.
    Details(Details),
    /// A filter was applied.
    Filtered {
        /// Request id.
        id: u32,
        /// The filter text as typed ("" = cleared).
        text: String,
        /// Packets displayed.
        displayed: u64,
        /// The display-filter form (translated from tcpdump syntax when it was).
        display: String,
        /// Whether the input was tcpdump syntax.
        from_bpf: bool,
        /// Milliseconds taken.
        millis: f64,
    },
    /// Result of a filter check or a failed filter.
    FilterStatus {
        /// Filter text checked.
        text: String,
        /// `None`: valid.
        problem: Option<FilterProblem>,
        /// Translation, when valid.
        display: String,
    },
    /// The view was re-sorted.
    Sorted {
        /// Packets displayed.
        displayed: u64,
    },
    /// A frame's display position (`None`: not displayed or no such frame).
    Located {
        /// Frame number.
        frame: u32,
        /// Position.
        pos: Option<u32>,
    },
    /// An export is ready (its bytes travel beside this message).
    Exported {
        /// Packets written.
        packets: u64,
        /// Bytes.
        bytes: u64,
    },
    /// Result of [`ToWorker::FindPacket`].
    Found {
        /// Frame number the link named.
        wanted: u32,
        /// Frame holding the packet (`None`: not in this file).
        frame: Option<u32>,
        /// Its display position (`None`: not displayed).
        pos: Option<u32>,
    },
    /// SHA-256 of the file, hex.
    Hash {
        /// Which file.
        #[serde(default)]
        side: Side,
        /// Its name and size (a late hash of a file no longer open is dropped).
        #[serde(default)]
        file: (String, u64),
        /// Hex digest.
        sha256: String,
        /// Milliseconds.
        millis: f64,
    },
    /// A TCP stream's bytes, in order.
    Followed {
        /// `tcp.stream`.
        stream: u32,
        /// TCP streams in the capture (for previous/next).
        streams: u32,
        /// Client and server, `addr:port`.
        nodes: Vec<String>,
        /// The chunks, in stream order.
        chunks: Vec<FollowChunk>,
        /// Only the first [`FOLLOW_MAX_BYTES`] are here.
        truncated: bool,
    },
    /// A statistic, as a table.
    Stats {
        /// What was asked.
        kind: String,
        /// Over the displayed packets only.
        displayed: bool,
        /// Packets counted.
        packets: u64,
        /// The table.
        grid: StatGrid,
    },
    /// Something failed.
    Error {
        /// Message.
        message: String,
    },
}

/// At most this many bytes of a followed stream travel to the page.
pub const FOLLOW_MAX_BYTES: usize = 8 << 20;

/// One chunk of a followed TCP stream.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FollowChunk {
    /// Sent by the server (the side that did not send the stream's first frame).
    pub server: bool,
    /// The frame it came from.
    pub frame: u64,
    /// The bytes (or the `[N bytes missing in capture file]` marker).
    pub data: Vec<u8>,
}

/// One statistic as a table (`shared_decode::stats::Grid` on the wire).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StatGrid {
    /// Column names.
    pub columns: Vec<String>,
    /// Which columns hold numbers.
    pub numeric: Vec<bool>,
    /// Rows: cells, and the display filter for the row's packets.
    pub rows: Vec<(Vec<String>, Option<String>)>,
    /// A flattened tree (keep the order).
    pub tree: bool,
}

impl From<shared_decode::stats::Grid> for StatGrid {
    fn from(g: shared_decode::stats::Grid) -> StatGrid {
        StatGrid {
            columns: g.columns,
            numeric: g.numeric,
            rows: g.rows,
            tree: g.tree,
        }
    }
}

/// One row of the aligned view: a source packet and its twin, or one of them alone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairRow {
    /// Display position.
    pub pos: u32,
    /// The source packet.
    pub src: Option<Row>,
    /// The target packet.
    pub dst: Option<Row>,
    /// Compare status (`matched`, `lost`, …).
    pub status: String,
    /// One-way delay from the sender, milliseconds.
    pub delay_ms: Option<f64>,
    /// The capture that sent the packet: `"source"`, `"target"` (or `""`).
    pub sent_by: String,
}

/// Counts of one direction of travel, for the summary panel.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirSummary {
    /// "source → target" or "target → source".
    pub name: String,
    /// Sent at the sending capture.
    pub sent: u64,
    /// Of those, seen at the receiving capture.
    pub matched: u64,
    /// Lost.
    pub lost: u64,
    /// Partly lost (super-segments).
    pub partly_lost: u64,
    /// TCP bytes lost.
    pub bytes_lost: u64,
    /// Duplicated at the receiver.
    pub duplicated: u64,
    /// Reordered (late).
    pub reordered: u64,
    /// Modified.
    pub modified: u64,
    /// Missed by a capture.
    pub capture_drop: u64,
    /// Injected (no capture sent them).
    pub extra: u64,
}

/// One NAT table line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NatRow {
    /// Protocol.
    pub proto: String,
    /// Inside endpoints (as the source sees them).
    pub inside: String,
    /// Outside endpoints (as the target sees them).
    pub outside: String,
    /// Packets.
    pub packets: u64,
}

/// What a compare found, for the summary panel.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CompareSummary {
    /// (status, source count, target count).
    pub counts: Vec<(String, u64, u64)>,
    /// Matched pairs, lost, extra, duplicated, reordered, modified.
    pub matched: u64,
    /// Lost.
    pub lost: u64,
    /// Extra.
    pub extra: u64,
    /// Duplicated.
    pub duplicated: u64,
    /// Reordered.
    pub reordered: u64,
    /// Modified.
    pub modified: u64,
    /// Clock offset (target minus source), ms.
    pub offset_ms: f64,
    /// Its uncertainty, ms.
    pub uncertainty_ms: f64,
    /// Drift, ppm.
    pub drift_ppm: f64,
    /// How the offset was found.
    pub clock_method: String,
    /// Delay percentiles source → target: (label, ms).
    pub delay_s2t: Vec<(String, f64)>,
    /// Delay percentiles target → source.
    pub delay_t2s: Vec<(String, f64)>,
    /// NAT table (first lines).
    pub nat: Vec<NatRow>,
    /// NAT lines in all.
    pub nat_total: u64,
    /// Modified fields and how many pairs differ in each.
    pub modified_fields: Vec<(String, u64)>,
    /// Findings in plain language.
    pub diagnosis: Vec<String>,
    /// Delay over time: (seconds since the source's first packet, delay ms), sampled.
    pub delay_series: Vec<(f64, f64)>,
    /// Delay histogram: (lower edge ms, count).
    pub histogram: Vec<(f64, u64)>,
    /// Histogram bin width, ms.
    pub bin_ms: f64,
    /// Source and target names.
    pub names: (String, String),
    /// Per direction of travel: source → target, target → source.
    pub dirs: Vec<DirSummary>,
    /// Partly lost packets (both directions).
    pub partly_lost: u64,
    /// Packets missed by a capture.
    pub capture_drop: u64,
    /// Network or server? Transactions seen at both ends, slowest first (at most
    /// [`MAX_TX_ROWS`]; `tx_total` says how many there were).
    #[serde(default)]
    pub transactions: Vec<TxRow>,
    /// Transactions in all.
    #[serde(default)]
    pub tx_total: u64,
    /// Per kind: count and percentiles.
    #[serde(default)]
    pub tx_kinds: Vec<TxKindRow>,
}

/// Transactions sent to the page at most (the slowest).
pub const MAX_TX_ROWS: usize = 5000;

/// One transaction (`paircap compare --transactions`' list entry).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TxRow {
    /// `tcp_handshake`, `dns`, `tls_handshake`, `http`.
    pub kind: String,
    /// The method, the DNS ID, …
    pub what: String,
    /// Client and server (`addr:port`) as the client's capture saw them.
    pub client: String,
    /// See `client`.
    pub server: String,
    /// The client's capture.
    pub client_side: Side,
    /// Frames at the client's capture: the request's first and last packet, the response's
    /// first.
    pub client_request: u32,
    /// See `client_request`.
    pub client_request_last: u32,
    /// See `client_request`.
    pub client_response: u32,
    /// Frames at the server's capture.
    pub server_request_last: u32,
    /// See `server_request_last`.
    pub server_response: u32,
    /// Milliseconds: total = there + server + back + wait.
    pub total_ms: f64,
    /// See `total_ms`.
    pub there_ms: f64,
    /// See `total_ms`.
    pub server_ms: f64,
    /// See `total_ms`.
    pub back_ms: f64,
    /// See `total_ms`.
    pub wait_ms: f64,
}

/// Per kind of transaction.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TxKindRow {
    /// Kind (`tcp_handshake` …).
    pub kind: String,
    /// In words.
    pub label: String,
    /// Measured.
    pub count: u64,
    /// Seen at the client only.
    pub incomplete: u64,
    /// (p50, p99) of total, there, server, back, ms.
    pub total: (f64, f64),
    /// See `total`.
    pub there: (f64, f64),
    /// See `total`.
    pub server: (f64, f64),
    /// See `total`.
    pub back: (f64, f64),
}
