//! What flow analysis says about one packet ([`crate::flow::Tracker`] computes it in file
//! order): stream indexes, TCP sequence analysis, echo pairing, compare marks. Plain data
//! kept in [`super::Packet`], which the dissectors emit (`tcp.analysis.*`) and the columns
//! read; defined here so that dissection does not depend on the tracker that fills it.

/// TCP analysis flags of one segment (Wireshark's `TCP_A_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags(pub u16);

#[allow(missing_docs)]
impl TcpFlags {
    pub const RETRANSMISSION: TcpFlags = TcpFlags(1);
    pub const LOST_SEGMENT: TcpFlags = TcpFlags(1 << 1);
    pub const ACK_LOST_SEGMENT: TcpFlags = TcpFlags(1 << 2);
    pub const KEEP_ALIVE: TcpFlags = TcpFlags(1 << 3);
    pub const DUP_ACK: TcpFlags = TcpFlags(1 << 4);
    pub const ZERO_WINDOW: TcpFlags = TcpFlags(1 << 5);
    pub const ZERO_WINDOW_PROBE: TcpFlags = TcpFlags(1 << 6);
    pub const ZERO_WINDOW_PROBE_ACK: TcpFlags = TcpFlags(1 << 7);
    pub const KEEP_ALIVE_ACK: TcpFlags = TcpFlags(1 << 8);
    pub const OUT_OF_ORDER: TcpFlags = TcpFlags(1 << 9);
    pub const FAST_RETRANSMISSION: TcpFlags = TcpFlags(1 << 10);
    pub const WINDOW_UPDATE: TcpFlags = TcpFlags(1 << 11);
    pub const WINDOW_FULL: TcpFlags = TcpFlags(1 << 12);
    pub const REUSED_PORTS: TcpFlags = TcpFlags(1 << 13);
    pub const SPURIOUS_RETRANSMISSION: TcpFlags = TcpFlags(1 << 14);

    /// All of `o`'s bits are set.
    pub fn contains(self, o: TcpFlags) -> bool {
        self.0 & o.0 == o.0
    }
    /// No bit is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// Sets `o`'s bits.
    pub fn insert(&mut self, o: TcpFlags) {
        self.0 |= o.0;
    }
    /// Any retransmission kind (plain, fast, spurious).
    pub fn any_retransmission(self) -> bool {
        self.0
            & (Self::RETRANSMISSION.0
                | Self::FAST_RETRANSMISSION.0
                | Self::SPURIOUS_RETRANSMISSION.0)
            != 0
    }
}

/// What the flow analysis says about one TCP segment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TcpAnalysis {
    /// `tcp.stream`.
    pub stream: u32,
    /// Raw sequence number that relative numbers count from (this direction).
    pub seq_base: u32,
    /// Raw acknowledgment number base (the other direction's sequence base).
    pub ack_base: u32,
    /// Window scale shift for this segment's window (`None`: unknown or not used).
    pub win_scale: Option<u8>,
    /// Analysis flags.
    pub flags: TcpFlags,
    /// `tcp.analysis.duplicate_ack_num`.
    pub dup_ack_num: u32,
    /// `tcp.analysis.duplicate_ack_frame`.
    pub dup_ack_frame: u32,
    /// `tcp.analysis.acks_frame`.
    pub acks_frame: Option<u32>,
    /// `tcp.analysis.ack_rtt` in nanoseconds.
    pub ack_rtt_ns: Option<u64>,
    /// `tcp.analysis.bytes_in_flight`.
    pub bytes_in_flight: Option<u32>,
    /// `tcp.time_relative` in nanoseconds.
    pub time_rel_ns: u64,
    /// `tcp.time_delta` in nanoseconds.
    pub time_delta_ns: u64,
    /// TLS version negotiated on this stream so far.
    pub tls_version: Option<u16>,
    /// Whether this segment goes from the stream's first-seen endpoint.
    pub from_client: bool,
    /// A FIN after the stream's first FIN frame (Wireshark: "undergoes the connection
    /// closing"; the first "initiates" it).
    pub fin_passive: bool,
}

/// What the flow analysis says about one UDP datagram.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UdpAnalysis {
    /// `udp.stream`.
    pub stream: u32,
    /// Time since the stream's first datagram.
    pub time_rel_ns: u64,
    /// Time since the stream's previous datagram.
    pub time_delta_ns: u64,
}

/// Flow analysis of one packet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PacketAnalysis {
    /// TCP, when the packet has a (non-quoted) TCP header.
    pub tcp: Option<TcpAnalysis>,
    /// UDP.
    pub udp: Option<UdpAnalysis>,
    /// For an ICMP/ICMPv6 echo reply: the request's frame number.
    pub echo_request_frame: Option<u32>,
    /// What a compare with the other capture of a pair said about this packet
    /// (`paircap.compare.*`); set by whoever ran the compare.
    pub compare: Option<CompareMark>,
}

/// A packet's result in a source/target compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompareMark {
    /// Status name (`matched`, `lost`, `extra`, …).
    pub status: &'static str,
    /// The twin's frame number in the other capture (0 = none).
    pub twin: u32,
    /// One-way delay after clock correction, ns (source packets with a twin).
    pub delay_ns: Option<i64>,
}
