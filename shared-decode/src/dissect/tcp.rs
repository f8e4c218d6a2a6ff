//! TCP (RFC 9293) header, flags and options (MSS, window scale RFC 7323, SACK RFC 2018,
//! timestamps RFC 7323, TFO RFC 7413), checksum verdict, and the per-stream analysis fields
//! computed by [`crate::flow::Tracker`] (relative sequence numbers, `tcp.stream`,
//! retransmissions, duplicate ACKs, ...).
//!
//! Option parsing is bounded by the header length; a malformed option ends the option list
//! with an expert annotation.

use super::analysis::{TcpAnalysis, TcpFlags as A};
use super::checksum;
use super::{emit, open, Be, Decoded, DissectCx, DissectResult, Dissected, EmitCx, IpPseudo, Next};
use crate::error::{DecodeError, DecodeErrorKind, Layer};
use crate::field::{Base, FieldDef, FieldType, Group, Severity, Sink, Span, Value};

mod field {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const SEQ: usize = 4;
    pub const ACK: usize = 8;
    pub const OFF_FLAGS: usize = 12;
    pub const WIN: usize = 14;
    pub const CHECKSUM: usize = 16;
    pub const URG: usize = 18;
    pub const OPTIONS: usize = 20;
}

/// Minimum header length.
pub const HEADER_LEN: usize = 20;

/// Flag bits.
pub mod flags {
    /// FIN.
    pub const FIN: u16 = 0x001;
    /// SYN.
    pub const SYN: u16 = 0x002;
    /// RST.
    pub const RST: u16 = 0x004;
    /// PSH.
    pub const PSH: u16 = 0x008;
    /// ACK.
    pub const ACK: u16 = 0x010;
    /// URG.
    pub const URG: u16 = 0x020;
    /// ECE.
    pub const ECE: u16 = 0x040;
    /// CWR.
    pub const CWR: u16 = 0x080;
    /// AE (formerly NS).
    pub const AE: u16 = 0x100;
}

/// `tcp`.
pub static TCP: FieldDef = FieldDef::proto("tcp", "Transmission Control Protocol");
/// `tcp.srcport`.
pub static SRCPORT: FieldDef =
    FieldDef::new("tcp.srcport", "Source Port", FieldType::UInt(16), Base::Dec);
/// `tcp.dstport`.
pub static DSTPORT: FieldDef = FieldDef::new(
    "tcp.dstport",
    "Destination Port",
    FieldType::UInt(16),
    Base::Dec,
);
/// `tcp.port`.
pub static PORT: FieldDef = FieldDef::new(
    "tcp.port",
    "Source or Destination Port",
    FieldType::UInt(16),
    Base::Dec,
)
.hidden();
/// `tcp.stream`.
pub static STREAM: FieldDef =
    FieldDef::new("tcp.stream", "Stream index", FieldType::UInt(32), Base::Dec);
/// `tcp.len`.
pub static LEN: FieldDef =
    FieldDef::new("tcp.len", "TCP Segment Len", FieldType::UInt(32), Base::Dec);
/// `tcp.seq`.
pub static SEQ: FieldDef =
    FieldDef::new("tcp.seq", "Sequence Number", FieldType::UInt(32), Base::Dec);
/// `tcp.seq_raw`.
pub static SEQ_RAW: FieldDef = FieldDef::new(
    "tcp.seq_raw",
    "Sequence Number (raw)",
    FieldType::UInt(32),
    Base::Dec,
);
/// `tcp.nxtseq`.
pub static NXTSEQ: FieldDef = FieldDef::new(
    "tcp.nxtseq",
    "Next Sequence Number",
    FieldType::UInt(32),
    Base::Dec,
);
/// `tcp.ack`.
pub static ACK: FieldDef = FieldDef::new(
    "tcp.ack",
    "Acknowledgment Number",
    FieldType::UInt(32),
    Base::Dec,
);
/// `tcp.ack_raw`.
pub static ACK_RAW: FieldDef = FieldDef::new(
    "tcp.ack_raw",
    "Acknowledgment number (raw)",
    FieldType::UInt(32),
    Base::Dec,
);
/// `tcp.hdr_len`.
pub static HDR_LEN: FieldDef = FieldDef::new(
    "tcp.hdr_len",
    "Header Length",
    FieldType::UInt(8),
    Base::Dec,
);
/// `tcp.flags`.
pub static FLAGS: FieldDef =
    FieldDef::new("tcp.flags", "Flags", FieldType::UInt(16), Base::Hex).masked(0x0fff);
/// `tcp.flags.res`.
pub static FLAGS_RES: FieldDef =
    FieldDef::new("tcp.flags.res", "Reserved", FieldType::Bool, Base::None).masked(0x0e00);
/// `tcp.flags.ae`.
pub static FLAGS_AE: FieldDef =
    FieldDef::new("tcp.flags.ae", "Accurate ECN", FieldType::Bool, Base::None).masked(0x0100);
/// `tcp.flags.cwr`.
pub static FLAGS_CWR: FieldDef = FieldDef::new(
    "tcp.flags.cwr",
    "Congestion Window Reduced",
    FieldType::Bool,
    Base::None,
)
.masked(0x0080);
/// `tcp.flags.ece`.
pub static FLAGS_ECE: FieldDef =
    FieldDef::new("tcp.flags.ece", "ECN-Echo", FieldType::Bool, Base::None).masked(0x0040);
/// `tcp.flags.urg`.
pub static FLAGS_URG: FieldDef =
    FieldDef::new("tcp.flags.urg", "Urgent", FieldType::Bool, Base::None).masked(0x0020);
/// `tcp.flags.ack`.
pub static FLAGS_ACK: FieldDef = FieldDef::new(
    "tcp.flags.ack",
    "Acknowledgment",
    FieldType::Bool,
    Base::None,
)
.masked(0x0010);
/// `tcp.flags.push`.
pub static FLAGS_PUSH: FieldDef =
    FieldDef::new("tcp.flags.push", "Push", FieldType::Bool, Base::None).masked(0x0008);
/// `tcp.flags.reset`.
pub static FLAGS_RESET: FieldDef =
    FieldDef::new("tcp.flags.reset", "Reset", FieldType::Bool, Base::None).masked(0x0004);
/// `tcp.flags.syn`.
pub static FLAGS_SYN: FieldDef =
    FieldDef::new("tcp.flags.syn", "Syn", FieldType::Bool, Base::None).masked(0x0002);
/// `tcp.flags.fin`.
pub static FLAGS_FIN: FieldDef =
    FieldDef::new("tcp.flags.fin", "Fin", FieldType::Bool, Base::None).masked(0x0001);
/// `tcp.flags.str`.
pub static FLAGS_STR: FieldDef =
    FieldDef::new("tcp.flags.str", "TCP Flags", FieldType::Str, Base::None).detail();
/// `tcp.window_size_value`.
pub static WINDOW_SIZE_VALUE: FieldDef = FieldDef::new(
    "tcp.window_size_value",
    "Window",
    FieldType::UInt(16),
    Base::Dec,
);
/// `tcp.window_size`.
pub static WINDOW_SIZE: FieldDef = FieldDef::new(
    "tcp.window_size",
    "Calculated window size",
    FieldType::UInt(32),
    Base::Dec,
);
/// `tcp.window_size_scalefactor`.
pub static WINDOW_SCALEFACTOR: FieldDef = FieldDef::new(
    "tcp.window_size_scalefactor",
    "Window size scaling factor",
    FieldType::Int(32),
    Base::Dec,
);
/// `tcp.checksum`.
pub static CHECKSUM: FieldDef =
    FieldDef::new("tcp.checksum", "Checksum", FieldType::UInt(16), Base::Hex);
/// `tcp.checksum.status`.
pub static CHECKSUM_STATUS: FieldDef = FieldDef::new(
    "tcp.checksum.status",
    "Checksum Status",
    FieldType::UInt(8),
    Base::Dec,
)
.named(&[(0, "Bad"), (1, "Good"), (2, "Unverified")]);
/// `tcp.checksum_calculated`.
pub static CHECKSUM_CALCULATED: FieldDef = FieldDef::new(
    "tcp.checksum_calculated",
    "Calculated Checksum",
    FieldType::UInt(16),
    Base::Hex,
);
/// `tcp.urgent_pointer`.
pub static URGENT_POINTER: FieldDef = FieldDef::new(
    "tcp.urgent_pointer",
    "Urgent Pointer",
    FieldType::UInt(16),
    Base::Dec,
);
/// `tcp.options`.
pub static OPTIONS: FieldDef =
    FieldDef::new("tcp.options", "Options", FieldType::Bytes, Base::None).detail();
/// `tcp.option_kind`.
pub static OPTION_KIND: FieldDef =
    FieldDef::new("tcp.option_kind", "Kind", FieldType::UInt(8), Base::Dec).detail();
/// `tcp.option_len`.
pub static OPTION_LEN: FieldDef =
    FieldDef::new("tcp.option_len", "Length", FieldType::UInt(8), Base::Dec).detail();
/// `tcp.options.nop`.
pub static OPT_NOP: FieldDef = FieldDef::new(
    "tcp.options.nop",
    "TCP Option - No-Operation (NOP)",
    FieldType::Bytes,
    Base::None,
)
.detail();
/// `tcp.options.eol`.
pub static OPT_EOL: FieldDef = FieldDef::new(
    "tcp.options.eol",
    "TCP Option - End of Option List (EOL)",
    FieldType::Bytes,
    Base::None,
)
.detail();
/// `tcp.options.mss`.
pub static OPT_MSS: FieldDef = FieldDef::new(
    "tcp.options.mss",
    "TCP Option - Maximum segment size",
    FieldType::Bytes,
    Base::None,
)
.detail();
/// `tcp.options.mss_val`.
pub static OPT_MSS_VAL: FieldDef = FieldDef::new(
    "tcp.options.mss_val",
    "MSS Value",
    FieldType::UInt(16),
    Base::Dec,
);
/// `tcp.options.wscale`.
pub static OPT_WSCALE: FieldDef = FieldDef::new(
    "tcp.options.wscale",
    "TCP Option - Window scale",
    FieldType::Bytes,
    Base::None,
)
.detail();
/// `tcp.options.wscale.shift`.
pub static OPT_WSCALE_SHIFT: FieldDef = FieldDef::new(
    "tcp.options.wscale.shift",
    "Shift count",
    FieldType::UInt(8),
    Base::Dec,
);
/// `tcp.options.wscale.multiplier`.
pub static OPT_WSCALE_MULT: FieldDef = FieldDef::new(
    "tcp.options.wscale.multiplier",
    "Multiplier",
    FieldType::UInt(16),
    Base::Dec,
);
/// `tcp.options.sack_perm`.
pub static OPT_SACK_PERM: FieldDef = FieldDef::new(
    "tcp.options.sack_perm",
    "TCP Option - SACK permitted",
    FieldType::Bytes,
    Base::None,
);
/// `tcp.options.sack`.
pub static OPT_SACK: FieldDef = FieldDef::new(
    "tcp.options.sack",
    "TCP Option - SACK",
    FieldType::Bytes,
    Base::None,
)
.detail();
/// `tcp.options.sack_le`.
pub static OPT_SACK_LE: FieldDef = FieldDef::new(
    "tcp.options.sack_le",
    "left edge",
    FieldType::UInt(32),
    Base::Dec,
);
/// `tcp.options.sack_re`.
pub static OPT_SACK_RE: FieldDef = FieldDef::new(
    "tcp.options.sack_re",
    "right edge",
    FieldType::UInt(32),
    Base::Dec,
);
/// `tcp.options.sack.count`.
pub static OPT_SACK_COUNT: FieldDef = FieldDef::new(
    "tcp.options.sack.count",
    "number of SACK blocks",
    FieldType::UInt(8),
    Base::Dec,
);
/// `tcp.options.timestamp.tsval`.
pub static OPT_TSVAL: FieldDef = FieldDef::new(
    "tcp.options.timestamp.tsval",
    "Timestamp value",
    FieldType::UInt(32),
    Base::Dec,
);
/// `tcp.options.timestamp.tsecr`.
pub static OPT_TSECR: FieldDef = FieldDef::new(
    "tcp.options.timestamp.tsecr",
    "Timestamp echo reply",
    FieldType::UInt(32),
    Base::Dec,
);
/// `tcp.options.time_stamp`.
pub static OPT_TIMESTAMP: FieldDef = FieldDef::new(
    "tcp.options.time_stamp",
    "TCP Option - Timestamps",
    FieldType::Bytes,
    Base::None,
)
.detail();
/// `tcp.options.tfo`.
pub static OPT_TFO: FieldDef = FieldDef::new(
    "tcp.options.tfo",
    "TCP Option - TCP Fast Open",
    FieldType::Bytes,
    Base::None,
)
.detail();
/// `tcp.options.unknown`.
pub static OPT_UNKNOWN: FieldDef = FieldDef::new(
    "tcp.options.unknown",
    "TCP Option - Unknown",
    FieldType::Bytes,
    Base::None,
)
.detail();
/// `tcp.analysis`.
pub static ANALYSIS: FieldDef = FieldDef::new(
    "tcp.analysis",
    "SEQ/ACK analysis",
    FieldType::None,
    Base::None,
)
.detail();
/// `tcp.analysis.flags`.
pub static ANALYSIS_FLAGS: FieldDef = FieldDef::new(
    "tcp.analysis.flags",
    "TCP Analysis Flags",
    FieldType::None,
    Base::None,
)
.detail();
/// `tcp.analysis.retransmission`.
pub static RETRANSMISSION: FieldDef = FieldDef::new(
    "tcp.analysis.retransmission",
    "This frame is a (suspected) retransmission",
    FieldType::None,
    Base::None,
);
/// `tcp.analysis.fast_retransmission`.
pub static FAST_RETRANSMISSION: FieldDef = FieldDef::new(
    "tcp.analysis.fast_retransmission",
    "This frame is a (suspected) fast retransmission",
    FieldType::None,
    Base::None,
);
/// `tcp.analysis.spurious_retransmission`.
pub static SPURIOUS_RETRANSMISSION: FieldDef = FieldDef::new(
    "tcp.analysis.spurious_retransmission",
    "This frame is a (suspected) spurious retransmission",
    FieldType::None,
    Base::None,
);
/// `tcp.analysis.out_of_order`.
pub static OUT_OF_ORDER: FieldDef = FieldDef::new(
    "tcp.analysis.out_of_order",
    "This frame is a (suspected) out-of-order segment",
    FieldType::None,
    Base::None,
);
/// `tcp.analysis.lost_segment`.
pub static LOST_SEGMENT: FieldDef = FieldDef::new(
    "tcp.analysis.lost_segment",
    "Previous segment(s) not captured (common at capture start)",
    FieldType::None,
    Base::None,
);
/// `tcp.analysis.ack_lost_segment`.
pub static ACK_LOST_SEGMENT: FieldDef = FieldDef::new(
    "tcp.analysis.ack_lost_segment",
    "ACKed segment that wasn't captured (common at capture start)",
    FieldType::None,
    Base::None,
);
/// `tcp.analysis.duplicate_ack`.
pub static DUPLICATE_ACK: FieldDef = FieldDef::new(
    "tcp.analysis.duplicate_ack",
    "Duplicate ACK",
    FieldType::None,
    Base::None,
);
/// `tcp.analysis.duplicate_ack_num`.
pub static DUPLICATE_ACK_NUM: FieldDef = FieldDef::new(
    "tcp.analysis.duplicate_ack_num",
    "Duplicate ACK #",
    FieldType::UInt(32),
    Base::Dec,
);
/// `tcp.analysis.duplicate_ack_frame`.
pub static DUPLICATE_ACK_FRAME: FieldDef = FieldDef::new(
    "tcp.analysis.duplicate_ack_frame",
    "Duplicate to the ACK in frame",
    FieldType::FrameNum,
    Base::Dec,
);
/// `tcp.analysis.zero_window`.
pub static ZERO_WINDOW: FieldDef = FieldDef::new(
    "tcp.analysis.zero_window",
    "This is a ZeroWindow segment",
    FieldType::None,
    Base::None,
);
/// `tcp.analysis.zero_window_probe`.
pub static ZERO_WINDOW_PROBE: FieldDef = FieldDef::new(
    "tcp.analysis.zero_window_probe",
    "This is a ZeroWindowProbe segment",
    FieldType::None,
    Base::None,
);
/// `tcp.analysis.window_update`.
pub static WINDOW_UPDATE: FieldDef = FieldDef::new(
    "tcp.analysis.window_update",
    "This is a tcp window update",
    FieldType::None,
    Base::None,
);
/// `tcp.analysis.window_full`.
pub static WINDOW_FULL: FieldDef = FieldDef::new(
    "tcp.analysis.window_full",
    "The transmission window is now completely full",
    FieldType::None,
    Base::None,
);
/// `tcp.analysis.keep_alive`.
pub static KEEP_ALIVE: FieldDef = FieldDef::new(
    "tcp.analysis.keep_alive",
    "This is a TCP keep-alive segment",
    FieldType::None,
    Base::None,
);
/// `tcp.analysis.keep_alive_ack`.
pub static KEEP_ALIVE_ACK: FieldDef = FieldDef::new(
    "tcp.analysis.keep_alive_ack",
    "This is an ACK to a TCP keep-alive segment",
    FieldType::None,
    Base::None,
);
/// `tcp.analysis.reused_ports`.
pub static REUSED_PORTS: FieldDef = FieldDef::new(
    "tcp.analysis.reused_ports",
    "A new tcp session is started with the same ports as an earlier session in this trace",
    FieldType::None,
    Base::None,
);
/// `tcp.analysis.acks_frame`.
pub static ACKS_FRAME: FieldDef = FieldDef::new(
    "tcp.analysis.acks_frame",
    "This is an ACK to the segment in frame",
    FieldType::FrameNum,
    Base::Dec,
);
/// `tcp.analysis.ack_rtt`.
pub static ACK_RTT: FieldDef = FieldDef::new(
    "tcp.analysis.ack_rtt",
    "The RTT to ACK the segment was",
    FieldType::RelTime,
    Base::None,
);
/// `tcp.analysis.bytes_in_flight`.
pub static BYTES_IN_FLIGHT: FieldDef = FieldDef::new(
    "tcp.analysis.bytes_in_flight",
    "Bytes in flight",
    FieldType::UInt(32),
    Base::Dec,
);
/// `tcp.time_relative`.
pub static TIME_RELATIVE: FieldDef = FieldDef::new(
    "tcp.time_relative",
    "Time since first frame in this TCP stream",
    FieldType::RelTime,
    Base::None,
);
/// `tcp.time_delta`.
pub static TIME_DELTA: FieldDef = FieldDef::new(
    "tcp.time_delta",
    "Time since previous frame in this TCP stream",
    FieldType::RelTime,
    Base::None,
);
/// `tcp.payload`.
pub static PAYLOAD: FieldDef =
    FieldDef::new("tcp.payload", "TCP payload", FieldType::Bytes, Base::None).bulk();
/// `tcp.segment_data`: a retransmitted segment's payload, which no protocol above TCP
/// dissects (tshark's default: no subdissectors on retransmissions).
pub static SEGMENT_DATA: FieldDef = FieldDef::new(
    "tcp.segment_data",
    "TCP segment data",
    FieldType::Bytes,
    Base::None,
)
.bulk();

/// Fields of this module.
pub static FIELDS: &[&FieldDef] = &[
    &TCP,
    &SRCPORT,
    &DSTPORT,
    &PORT,
    &STREAM,
    &LEN,
    &SEQ,
    &SEQ_RAW,
    &NXTSEQ,
    &ACK,
    &ACK_RAW,
    &HDR_LEN,
    &FLAGS,
    &FLAGS_RES,
    &FLAGS_AE,
    &FLAGS_CWR,
    &FLAGS_ECE,
    &FLAGS_URG,
    &FLAGS_ACK,
    &FLAGS_PUSH,
    &FLAGS_RESET,
    &FLAGS_SYN,
    &FLAGS_FIN,
    &FLAGS_STR,
    &WINDOW_SIZE_VALUE,
    &WINDOW_SIZE,
    &WINDOW_SCALEFACTOR,
    &CHECKSUM,
    &CHECKSUM_STATUS,
    &CHECKSUM_CALCULATED,
    &URGENT_POINTER,
    &OPTIONS,
    &OPTION_KIND,
    &OPTION_LEN,
    &OPT_NOP,
    &OPT_EOL,
    &OPT_MSS,
    &OPT_MSS_VAL,
    &OPT_WSCALE,
    &OPT_WSCALE_SHIFT,
    &OPT_WSCALE_MULT,
    &OPT_SACK_PERM,
    &OPT_SACK,
    &OPT_SACK_LE,
    &OPT_SACK_RE,
    &OPT_SACK_COUNT,
    &OPT_TSVAL,
    &OPT_TSECR,
    &OPT_TIMESTAMP,
    &OPT_TFO,
    &OPT_UNKNOWN,
    &ANALYSIS,
    &ANALYSIS_FLAGS,
    &RETRANSMISSION,
    &FAST_RETRANSMISSION,
    &SPURIOUS_RETRANSMISSION,
    &OUT_OF_ORDER,
    &LOST_SEGMENT,
    &ACK_LOST_SEGMENT,
    &DUPLICATE_ACK,
    &DUPLICATE_ACK_NUM,
    &DUPLICATE_ACK_FRAME,
    &ZERO_WINDOW,
    &ZERO_WINDOW_PROBE,
    &WINDOW_UPDATE,
    &WINDOW_FULL,
    &KEEP_ALIVE,
    &KEEP_ALIVE_ACK,
    &REUSED_PORTS,
    &ACKS_FRAME,
    &ACK_RTT,
    &BYTES_IN_FLIGHT,
    &TIME_RELATIVE,
    &TIME_DELTA,
    &PAYLOAD,
    &SEGMENT_DATA,
];

/// A TCP segment.
#[derive(Clone, Debug)]
pub struct Tcp<'a> {
    /// Header bytes (may be fewer than the header length inside ICMP errors).
    pub hdr: &'a [u8],
    /// Captured payload.
    pub payload: &'a [u8],
    /// Segment length from the IP header (payload bytes on the wire).
    pub seg_len: u32,
    /// Pseudo-header source for the checksum.
    pub ip: Option<IpPseudo>,
    /// Inside an ICMP error.
    pub in_error: bool,
}

/// One TCP option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpOption<'a> {
    /// End of option list.
    Eol,
    /// No-operation.
    Nop,
    /// Maximum segment size.
    Mss(u16),
    /// Window scale shift.
    WindowScale(u8),
    /// SACK permitted.
    SackPermitted,
    /// SACK blocks (left, right edges).
    Sack(&'a [u8]),
    /// Timestamps (value, echo reply).
    Timestamp(u32, u32),
    /// TCP Fast Open cookie.
    FastOpen(&'a [u8]),
    /// Any other option (kind, value).
    Other(u8, &'a [u8]),
    /// A malformed option (kind, claimed length); the list ends here.
    Bad(u8, u8),
}

/// Iterator over TCP options with their offsets in the options area.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Options<'a> {
    type Item = (usize, usize, TcpOption<'a>);

    /// Terminates: each item advances `pos` by at least one byte, or ends the iteration.
    fn next(&mut self) -> Option<Self::Item> {
        let start = self.pos;
        let kind = self.data.u8_at(start)?;
        match kind {
            0 => {
                self.pos = self.data.len();
                Some((start, 1, TcpOption::Eol))
            }
            1 => {
                self.pos += 1;
                Some((start, 1, TcpOption::Nop))
            }
            _ => {
                let Some(len) = self.data.u8_at(start + 1) else {
                    self.pos = self.data.len();
                    return Some((start, self.data.len() - start, TcpOption::Bad(kind, 0)));
                };
                let l = usize::from(len);
                let Some(v) = self.data.get(start + 2..start + l).filter(|_| l >= 2) else {
                    self.pos = self.data.len();
                    return Some((start, self.data.len() - start, TcpOption::Bad(kind, len)));
                };
                self.pos += l;
                let opt = match (kind, l) {
                    (2, 4) => TcpOption::Mss(v.u16_at(0).unwrap_or(0)),
                    (3, 3) => TcpOption::WindowScale(v.u8_at(0).unwrap_or(0)),
                    (4, 2) => TcpOption::SackPermitted,
                    (5, _) if (l - 2) % 8 == 0 && l > 2 => TcpOption::Sack(v),
                    (8, 10) => {
                        TcpOption::Timestamp(v.u32_at(0).unwrap_or(0), v.u32_at(4).unwrap_or(0))
                    }
                    (34, _) => TcpOption::FastOpen(v),
                    (2 | 3 | 4 | 5 | 8, _) => TcpOption::Bad(kind, len),
                    _ => TcpOption::Other(kind, v),
                };
                if matches!(opt, TcpOption::Bad(..)) {
                    self.pos = self.data.len();
                }
                Some((start, l, opt))
            }
        }
    }
}

impl<'a> Tcp<'a> {
    /// Source port.
    pub fn src_port(&self) -> u16 {
        self.hdr.u16_at(field::SRC_PORT).unwrap_or(0)
    }
    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        self.hdr.u16_at(field::DST_PORT).unwrap_or(0)
    }
    /// Sequence number (raw).
    pub fn seq(&self) -> u32 {
        self.hdr.u32_at(field::SEQ).unwrap_or(0)
    }
    /// Acknowledgment number (raw).
    pub fn ack(&self) -> u32 {
        self.hdr.u32_at(field::ACK).unwrap_or(0)
    }
    /// Header length in bytes.
    pub fn header_len(&self) -> usize {
        usize::from(self.hdr.u8_at(field::OFF_FLAGS).unwrap_or(0) >> 4) * 4
    }
    /// The 12 flag bits.
    pub fn flags(&self) -> u16 {
        self.hdr.u16_at(field::OFF_FLAGS).unwrap_or(0) & 0x0fff
    }
    /// Flag test.
    pub fn has(&self, f: u16) -> bool {
        self.flags() & f != 0
    }
    /// Window field (unscaled).
    pub fn window(&self) -> u16 {
        self.hdr.u16_at(field::WIN).unwrap_or(0)
    }
    /// Checksum as stored.
    pub fn checksum(&self) -> u16 {
        self.hdr.u16_at(field::CHECKSUM).unwrap_or(0)
    }
    /// Urgent pointer.
    pub fn urgent(&self) -> u16 {
        self.hdr.u16_at(field::URG).unwrap_or(0)
    }
    /// Options area.
    pub fn options_bytes(&self) -> &'a [u8] {
        self.hdr.get(field::OPTIONS..).unwrap_or(&[])
    }
    /// Options.
    pub fn options(&self) -> Options<'a> {
        Options {
            data: self.options_bytes(),
            pos: 0,
        }
    }
    /// Checksum verdict when the whole segment was captured.
    pub fn verify(&self) -> Option<checksum::Verdict> {
        let ip = self.ip?;
        if self.in_error
            || self.payload.len() < self.seg_len as usize
            || self.hdr.len() < HEADER_LEN
        {
            return None;
        }
        let total = self.hdr.len() + self.payload.len();
        let acc = checksum::sum(self.payload, checksum::pseudo(&ip, 6, total));
        Some(checksum::Verdict {
            stored: self.checksum(),
            expected: checksum::expected(self.hdr, field::CHECKSUM, acc),
        })
    }

    /// Wireshark's flag list, e.g. `SYN, ACK`.
    pub fn write_flag_names(&self, out: &mut String) {
        let names = [
            (flags::FIN, "FIN"),
            (flags::SYN, "SYN"),
            (flags::RST, "RST"),
            (flags::PSH, "PSH"),
            (flags::ACK, "ACK"),
            (flags::URG, "URG"),
            (flags::ECE, "ECE"),
            (flags::CWR, "CWR"),
            (flags::AE, "AE"),
        ];
        let mut first = true;
        for (bit, n) in names {
            if self.has(bit) {
                if !first {
                    out.push_str(", ");
                }
                out.push_str(n);
                first = false;
            }
        }
        if first {
            out.push_str("<None>");
        }
    }

    fn flags_str(&self) -> String {
        let f = self.flags();
        let chars = [
            (0x800, 'R'),
            (0x400, 'R'),
            (0x200, 'R'),
            (flags::AE, 'A'),
            (flags::CWR, 'C'),
            (flags::ECE, 'E'),
            (flags::URG, 'U'),
            (flags::ACK, 'A'),
            (flags::PSH, 'P'),
            (flags::RST, 'R'),
            (flags::SYN, 'S'),
            (flags::FIN, 'F'),
        ];
        chars
            .iter()
            .map(|&(b, c)| if f & b != 0 { c } else { '·' })
            .collect()
    }

    pub(crate) fn emit(&self, off: usize, cx: &EmitCx<'_, 'a>, sink: &mut dyn Sink<'a>) {
        let h = self.hdr;
        let an: Option<&TcpAnalysis> = if self.in_error {
            None
        } else {
            cx.pkt.analysis.tcp.as_ref()
        };
        let (sp, dp) = (self.src_port(), self.dst_port());
        let rel_seq = an.map_or(self.seq(), |a| self.seq().wrapping_sub(a.seq_base));
        let rel_ack = an.map_or(self.ack(), |a| self.ack().wrapping_sub(a.ack_base));
        let hl = self.header_len().min(h.len());
        if h.len() >= HEADER_LEN {
            open!(sink, &TCP, Value::None, Span::new(off, hl),
                "Transmission Control Protocol, Src Port: {sp}, Dst Port: {dp}, Seq: {rel_seq}{}, Len: {}",
                if self.has(flags::ACK) { format!(", Ack: {rel_ack}") } else { String::new() }, self.seg_len);
        } else {
            open!(
                sink,
                &TCP,
                Value::None,
                Span::new(off, h.len()),
                "Transmission Control Protocol, Src Port: {sp}, Dst Port: {dp}"
            );
        }
        if h.len() < 4 {
            sink.close();
            return;
        }
        emit!(
            sink,
            &SRCPORT,
            Value::UInt(u64::from(sp)),
            Span::new(off, 2)
        );
        emit!(
            sink,
            &DSTPORT,
            Value::UInt(u64::from(dp)),
            Span::new(off + 2, 2)
        );
        emit!(sink, &PORT, Value::UInt(u64::from(sp)), Span::new(off, 2));
        emit!(
            sink,
            &PORT,
            Value::UInt(u64::from(dp)),
            Span::new(off + 2, 2)
        );
        if let Some(a) = an {
            emit!(sink, &STREAM, Value::UInt(u64::from(a.stream)), Span::NONE);
        }
        if h.len() >= 8 {
            if h.len() >= HEADER_LEN {
                emit!(sink, &LEN, Value::UInt(u64::from(self.seg_len)), Span::NONE);
            }
            emit!(
                sink,
                &SEQ,
                Value::UInt(u64::from(rel_seq)),
                Span::new(off + 4, 4),
                "Sequence Number: {rel_seq}    (relative sequence number)"
            );
            if !self.in_error {
                emit!(
                    sink,
                    &SEQ_RAW,
                    Value::UInt(u64::from(self.seq())),
                    Span::new(off + 4, 4)
                );
            }
        }
        if h.len() < HEADER_LEN {
            sink.close();
            return;
        }
        let syn_fin = u32::from(self.has(flags::SYN)) + u32::from(self.has(flags::FIN));
        if self.seg_len > 0 || syn_fin > 0 {
            let nxt = rel_seq.wrapping_add(self.seg_len).wrapping_add(syn_fin);
            emit!(
                sink,
                &NXTSEQ,
                Value::UInt(u64::from(nxt)),
                Span::NONE,
                "[Next Sequence Number: {nxt}    (relative sequence number)]"
            );
        }
        let ackv = if self.has(flags::ACK) { rel_ack } else { 0 };
        emit!(
            sink,
            &ACK,
            Value::UInt(u64::from(ackv)),
            Span::new(off + 8, 4),
            "Acknowledgment Number: {ackv}    (relative ack number)"
        );
        emit!(
            sink,
            &ACK_RAW,
            Value::UInt(u64::from(self.ack())),
            Span::new(off + 8, 4)
        );
        if !self.has(flags::ACK) && self.ack() != 0 {
            sink.expert(
                Severity::Note,
                Group::Protocol,
                format_args!(
                    "The acknowledgment number field is nonzero while the ACK flag is not set"
                ),
                Span::new(off + 8, 4),
            );
        }
        let hlen = self.header_len();
        emit!(
            sink,
            &HDR_LEN,
            Value::UInt(hlen as u64),
            Span::new(off + 12, 1),
            "{:04b} .... = Header Length: {} bytes ({})",
            hlen / 4,
            hlen,
            hlen / 4
        );
        let f = self.flags();
        let mut names = String::new();
        self.write_flag_names(&mut names);
        open!(
            sink,
            &FLAGS,
            Value::UInt(u64::from(f)),
            Span::new(off + 12, 2),
            "Flags: 0x{f:03x} ({names})"
        );
        emit!(
            sink,
            &FLAGS_RES,
            Value::Bool(f & 0x0e00 != 0),
            Span::new(off + 12, 2)
        );
        for (def, bit) in [
            (&FLAGS_AE, flags::AE),
            (&FLAGS_CWR, flags::CWR),
            (&FLAGS_ECE, flags::ECE),
            (&FLAGS_URG, flags::URG),
            (&FLAGS_ACK, flags::ACK),
            (&FLAGS_PUSH, flags::PSH),
            (&FLAGS_RESET, flags::RST),
            (&FLAGS_SYN, flags::SYN),
            (&FLAGS_FIN, flags::FIN),
        ] {
            emit!(sink, def, Value::Bool(f & bit != 0), Span::new(off + 12, 2));
            if bit == flags::SYN && f & bit != 0 {
                if f & flags::ACK != 0 {
                    sink.expert(
                        Severity::Chat,
                        Group::Sequence,
                        format_args!(
                            "Connection establish acknowledge (SYN+ACK): server port {sp}"
                        ),
                        Span::new(off + 12, 2),
                    );
                } else {
                    sink.expert(
                        Severity::Chat,
                        Group::Sequence,
                        format_args!("Connection establish request (SYN): server port {dp}"),
                        Span::new(off + 12, 2),
                    );
                }
            }
            if bit == flags::RST && f & bit != 0 {
                sink.expert(
                    Severity::Warn,
                    Group::Sequence,
                    format_args!("Connection reset (RST)"),
                    Span::new(off + 12, 2),
                );
            }
            if bit == flags::FIN && f & bit != 0 {
                sink.expert(
                    Severity::Chat,
                    Group::Sequence,
                    format_args!("Connection finish (FIN)"),
                    Span::new(off + 12, 2),
                );
                // Wireshark's note on who closes: the stream's first FIN initiates, any
                // later one undergoes.
                if let Some(a) = an {
                    sink.expert(
                        Severity::Note,
                        Group::Sequence,
                        format_args!(
                            "This frame {} the connection closing",
                            if a.fin_passive {
                                "undergoes"
                            } else {
                                "initiates"
                            }
                        ),
                        Span::new(off + 12, 2),
                    );
                }
            }
        }
        if sink.wants_labels() || sink.wants("tcp.flags.str") {
            emit!(
                sink,
                &FLAGS_STR,
                Value::Str(self.flags_str().into()),
                Span::new(off + 12, 2)
            );
        }
        sink.close();
        let win = self.window();
        emit!(
            sink,
            &WINDOW_SIZE_VALUE,
            Value::UInt(u64::from(win)),
            Span::new(off + 14, 2)
        );
        match an.and_then(|a| a.win_scale) {
            Some(shift) if !self.has(flags::SYN) => {
                let w = u64::from(win) << shift;
                emit!(sink, &WINDOW_SIZE, Value::UInt(w), Span::NONE);
                emit!(
                    sink,
                    &WINDOW_SCALEFACTOR,
                    Value::Int(1i64 << shift),
                    Span::NONE
                );
            }
            _ => {
                emit!(sink, &WINDOW_SIZE, Value::UInt(u64::from(win)), Span::NONE);
                if !self.has(flags::SYN) {
                    emit!(
                        sink,
                        &WINDOW_SCALEFACTOR,
                        Value::Int(-1),
                        Span::NONE,
                        "[Window size scaling factor: -1 (unknown)]"
                    );
                }
            }
        }
        let ck = checksum::Fields {
            value: &CHECKSUM,
            status: &CHECKSUM_STATUS,
            calculated: Some(&CHECKSUM_CALCULATED),
            severity: Severity::Error,
        };
        checksum::emit(
            sink,
            &ck,
            self.checksum(),
            Span::new(off + 16, 2),
            self.verify(),
            false,
        );
        emit!(
            sink,
            &URGENT_POINTER,
            Value::UInt(u64::from(self.urgent())),
            Span::new(off + 18, 2)
        );
        self.emit_options(off + field::OPTIONS, sink);
        if self.has(flags::SYN)
            && !self.options_bytes().is_empty()
            && !self
                .options()
                .any(|(_, _, o)| matches!(o, TcpOption::Mss(_)))
        {
            sink.expert(
                Severity::Note,
                Group::Protocol,
                format_args!("The SYN packet does not contain a MSS option"),
                Span::new(off + 12, 2),
            );
        }
        if let Some(a) = an {
            emit_analysis(a, self, sink);
        }
        if !self.payload.is_empty() {
            emit!(
                sink,
                &PAYLOAD,
                Value::Bytes(self.payload),
                Span::new(off + hl, self.payload.len()),
                "TCP payload ({} byte{})",
                self.payload.len(),
                if self.payload.len() == 1 { "" } else { "s" }
            );
            if an.is_some_and(|a| a.flags.any_retransmission()) {
                emit!(
                    sink,
                    &SEGMENT_DATA,
                    Value::Bytes(self.payload),
                    Span::new(off + hl, self.payload.len()),
                    "Retransmitted TCP segment data ({} byte{})",
                    self.payload.len(),
                    if self.payload.len() == 1 { "" } else { "s" }
                );
            }
        }
        sink.close();
    }

    fn emit_options(&self, off: usize, sink: &mut dyn Sink<'a>) {
        let o = self.options_bytes();
        if o.is_empty() {
            return;
        }
        open!(
            sink,
            &OPTIONS,
            Value::Bytes(o),
            Span::new(off, o.len()),
            "Options: ({} bytes)",
            o.len()
        );
        for (p, len, opt) in self.options() {
            let bytes = o.get(p..p + len).unwrap_or(&[]);
            let span = Span::new(off + p, len);
            let kind_len = |sink: &mut dyn Sink<'a>, with_len: bool| {
                emit!(
                    sink,
                    &OPTION_KIND,
                    Value::UInt(u64::from(o.u8_at(p).unwrap_or(0))),
                    Span::new(off + p, 1)
                );
                if with_len {
                    emit!(
                        sink,
                        &OPTION_LEN,
                        Value::UInt(u64::from(o.u8_at(p + 1).unwrap_or(0))),
                        Span::new(off + p + 1, 1)
                    );
                }
            };
            match opt {
                TcpOption::Eol => {
                    open!(sink, &OPT_EOL, Value::Bytes(bytes), span);
                    kind_len(sink, false);
                }
                TcpOption::Nop => {
                    open!(sink, &OPT_NOP, Value::Bytes(bytes), span);
                    kind_len(sink, false);
                }
                TcpOption::Mss(m) => {
                    open!(
                        sink,
                        &OPT_MSS,
                        Value::Bytes(bytes),
                        span,
                        "TCP Option - Maximum segment size: {m} bytes"
                    );
                    kind_len(sink, true);
                    emit!(
                        sink,
                        &OPT_MSS_VAL,
                        Value::UInt(u64::from(m)),
                        Span::new(off + p + 2, 2)
                    );
                }
                TcpOption::WindowScale(s) => {
                    open!(
                        sink,
                        &OPT_WSCALE,
                        Value::Bytes(bytes),
                        span,
                        "TCP Option - Window scale: {s} (multiply by {})",
                        1u64 << s.min(14)
                    );
                    kind_len(sink, true);
                    emit!(
                        sink,
                        &OPT_WSCALE_SHIFT,
                        Value::UInt(u64::from(s)),
                        Span::new(off + p + 2, 1)
                    );
                    emit!(
                        sink,
                        &OPT_WSCALE_MULT,
                        Value::UInt(1u64 << s.min(14)),
                        Span::new(off + p + 2, 1)
                    );
                }
                TcpOption::SackPermitted => {
                    open!(sink, &OPT_SACK_PERM, Value::Bytes(bytes), span);
                    kind_len(sink, true);
                }
                TcpOption::Sack(v) => {
                    open!(sink, &OPT_SACK, Value::Bytes(bytes), span);
                    kind_len(sink, true);
                    let n = v.len() / 8;
                    for i in 0..n {
                        let le = v.u32_at(i * 8).unwrap_or(0);
                        let re = v.u32_at(i * 8 + 4).unwrap_or(0);
                        emit!(
                            sink,
                            &OPT_SACK_LE,
                            Value::UInt(u64::from(le)),
                            Span::new(off + p + 2 + i * 8, 4)
                        );
                        emit!(
                            sink,
                            &OPT_SACK_RE,
                            Value::UInt(u64::from(re)),
                            Span::new(off + p + 6 + i * 8, 4)
                        );
                    }
                    emit!(sink, &OPT_SACK_COUNT, Value::UInt(n as u64), Span::NONE);
                    // RFC 2883 duplicate SACK: the first block lies below the ACK, or
                    // inside the second block.
                    let block = |i: usize| (v.u32_at(i * 8), v.u32_at(i * 8 + 4));
                    let before = |a: u32, b: u32| (a.wrapping_sub(b) as i32) < 0;
                    let dsack = match (block(0), block(1)) {
                        ((Some(le), Some(_)), _)
                            if self.has(flags::ACK) && before(le, self.ack()) =>
                        {
                            true
                        }
                        ((Some(le), Some(re)), (Some(le2), Some(re2))) => {
                            !before(le, le2) && !before(re2, re)
                        }
                        _ => false,
                    };
                    if dsack {
                        sink.expert(
                            Severity::Warn,
                            Group::Sequence,
                            format_args!("D-SACK Sequence"),
                            span,
                        );
                    }
                }
                TcpOption::Timestamp(tsval, tsecr) => {
                    open!(
                        sink,
                        &OPT_TIMESTAMP,
                        Value::Bytes(bytes),
                        span,
                        "TCP Option - Timestamps: TSval {tsval}, TSecr {tsecr}"
                    );
                    kind_len(sink, true);
                    emit!(
                        sink,
                        &OPT_TSVAL,
                        Value::UInt(u64::from(tsval)),
                        Span::new(off + p + 2, 4)
                    );
                    emit!(
                        sink,
                        &OPT_TSECR,
                        Value::UInt(u64::from(tsecr)),
                        Span::new(off + p + 6, 4)
                    );
                }
                TcpOption::FastOpen(_) => {
                    open!(sink, &OPT_TFO, Value::Bytes(bytes), span);
                    kind_len(sink, true);
                }
                TcpOption::Other(k, _) => {
                    open!(
                        sink,
                        &OPT_UNKNOWN,
                        Value::Bytes(bytes),
                        span,
                        "TCP Option - Unknown ({k})"
                    );
                    kind_len(sink, true);
                }
                TcpOption::Bad(k, l) => {
                    open!(
                        sink,
                        &OPT_UNKNOWN,
                        Value::Bytes(bytes),
                        span,
                        "TCP Option - kind {k} with bad length {l}"
                    );
                    sink.expert(
                        Severity::Error,
                        Group::Malformed,
                        format_args!("option kind {k}: bad length {l}"),
                        span,
                    );
                }
            }
            sink.close();
        }
        sink.close();
    }

    /// Wireshark's Info text for a segment (without analysis prefixes).
    pub fn write_info(&self, out: &mut String, an: Option<&TcpAnalysis>) {
        use crate::text::push_u64;
        push_u64(out, u64::from(self.src_port()));
        out.push_str(" → ");
        push_u64(out, u64::from(self.dst_port()));
        if self.hdr.len() < HEADER_LEN {
            return;
        }
        out.push_str(" [");
        self.write_flag_names(out);
        out.push_str("] Seq=");
        let rel_seq = an.map_or(self.seq(), |a| self.seq().wrapping_sub(a.seq_base));
        push_u64(out, u64::from(rel_seq));
        if self.has(flags::ACK) {
            out.push_str(" Ack=");
            push_u64(
                out,
                u64::from(an.map_or(self.ack(), |a| self.ack().wrapping_sub(a.ack_base))),
            );
        }
        out.push_str(" Win=");
        let win = match an.and_then(|a| a.win_scale) {
            Some(s) if !self.has(flags::SYN) => u64::from(self.window()) << s,
            _ => u64::from(self.window()),
        };
        push_u64(out, win);
        out.push_str(" Len=");
        push_u64(out, u64::from(self.seg_len));
        if self.has(flags::URG) {
            out.push_str(" Urg=");
            push_u64(out, u64::from(self.urgent()));
        }
        for (_, _, o) in self.options() {
            match o {
                TcpOption::Mss(m) => {
                    out.push_str(" MSS=");
                    push_u64(out, u64::from(m));
                }
                TcpOption::WindowScale(s) => {
                    out.push_str(" WS=");
                    push_u64(out, 1u64 << s.min(14));
                }
                TcpOption::SackPermitted => out.push_str(" SACK_PERM"),
                TcpOption::Timestamp(v, e) => {
                    out.push_str(" TSval=");
                    push_u64(out, u64::from(v));
                    out.push_str(" TSecr=");
                    push_u64(out, u64::from(e));
                }
                TcpOption::Sack(v) => {
                    for i in 0..v.len() / 8 {
                        let base = an.map_or(0, |a| a.ack_base);
                        out.push_str(" SLE=");
                        push_u64(
                            out,
                            u64::from(v.u32_at(i * 8).unwrap_or(0).wrapping_sub(base)),
                        );
                        out.push_str(" SRE=");
                        push_u64(
                            out,
                            u64::from(v.u32_at(i * 8 + 4).unwrap_or(0).wrapping_sub(base)),
                        );
                    }
                }
                TcpOption::FastOpen(c) => {
                    out.push_str(if c.is_empty() { " TFO=R" } else { " TFO=C" });
                }
                _ => {}
            }
        }
    }
}

/// Wireshark's Info prefixes for analysis flags, e.g. `[TCP Retransmission] `.
pub fn write_analysis_prefix(a: &TcpAnalysis, out: &mut String) {
    use crate::text::push_u64;
    let f = a.flags;
    if f.contains(A::REUSED_PORTS) {
        out.push_str("[TCP Port numbers reused] ");
    }
    if f.contains(A::SPURIOUS_RETRANSMISSION) {
        out.push_str("[TCP Spurious Retransmission] ");
    } else if f.contains(A::FAST_RETRANSMISSION) {
        out.push_str("[TCP Fast Retransmission] ");
    } else if f.contains(A::RETRANSMISSION) {
        out.push_str("[TCP Retransmission] ");
    }
    if f.contains(A::OUT_OF_ORDER) {
        out.push_str("[TCP Out-Of-Order] ");
    }
    if f.contains(A::LOST_SEGMENT) {
        out.push_str("[TCP Previous segment not captured] ");
    }
    if f.contains(A::ACK_LOST_SEGMENT) {
        out.push_str("[TCP ACKed unseen segment] ");
    }
    if f.contains(A::KEEP_ALIVE) {
        out.push_str("[TCP Keep-Alive] ");
    }
    if f.contains(A::KEEP_ALIVE_ACK) {
        out.push_str("[TCP Keep-Alive ACK] ");
    }
    if f.contains(A::ZERO_WINDOW_PROBE) {
        out.push_str("[TCP ZeroWindowProbe] ");
    }
    if f.contains(A::ZERO_WINDOW) {
        out.push_str("[TCP ZeroWindow] ");
    }
    if f.contains(A::WINDOW_FULL) {
        out.push_str("[TCP Window Full] ");
    }
    if f.contains(A::WINDOW_UPDATE) {
        out.push_str("[TCP Window Update] ");
    }
    if f.contains(A::DUP_ACK) {
        out.push_str("[TCP Dup ACK ");
        push_u64(out, u64::from(a.dup_ack_frame));
        out.push('#');
        push_u64(out, u64::from(a.dup_ack_num));
        out.push_str("] ");
    }
}

fn emit_analysis<'a>(a: &TcpAnalysis, t: &Tcp<'a>, sink: &mut dyn Sink<'a>) {
    let f = a.flags;
    if a.acks_frame.is_none()
        && f.is_empty()
        && a.time_rel_ns == 0
        && a.time_delta_ns == 0
        && a.bytes_in_flight.is_none()
    {
        emit!(sink, &TIME_RELATIVE, Value::RelTime(0), Span::NONE);
        emit!(sink, &TIME_DELTA, Value::RelTime(0), Span::NONE);
        return;
    }
    open!(
        sink,
        &ANALYSIS,
        Value::None,
        Span::NONE,
        "[SEQ/ACK analysis]"
    );
    if let Some(fr) = a.acks_frame {
        emit!(sink, &ACKS_FRAME, Value::UInt(u64::from(fr)), Span::NONE);
        // Wireshark leaves out an RTT of zero (the ACK stamped with its segment's time).
        if let Some(rtt) = a.ack_rtt_ns.filter(|&r| r != 0) {
            emit!(sink, &ACK_RTT, Value::RelTime(i128::from(rtt)), Span::NONE);
        }
    }
    if let Some(b) = a.bytes_in_flight {
        emit!(
            sink,
            &BYTES_IN_FLIGHT,
            Value::UInt(u64::from(b)),
            Span::NONE
        );
    }
    if !f.is_empty() {
        open!(
            sink,
            &ANALYSIS_FLAGS,
            Value::None,
            Span::NONE,
            "[TCP Analysis Flags]"
        );
        let items: [(A, &'static FieldDef, Severity, &str); 14] = [
            (A::RETRANSMISSION, &RETRANSMISSION, Severity::Note, "This frame is a (suspected) retransmission"),
            (A::FAST_RETRANSMISSION, &FAST_RETRANSMISSION, Severity::Note, "This frame is a (suspected) fast retransmission"),
            (A::SPURIOUS_RETRANSMISSION, &SPURIOUS_RETRANSMISSION, Severity::Note, "This frame is a (suspected) spurious retransmission"),
            (A::OUT_OF_ORDER, &OUT_OF_ORDER, Severity::Warn, "This frame is a (suspected) out-of-order segment"),
            (A::LOST_SEGMENT, &LOST_SEGMENT, Severity::Warn, "Previous segment(s) not captured (common at capture start)"),
            (A::ACK_LOST_SEGMENT, &ACK_LOST_SEGMENT, Severity::Warn, "ACKed segment that wasn't captured (common at capture start)"),
            (A::DUP_ACK, &DUPLICATE_ACK, Severity::Note, "Duplicate ACK"),
            (A::ZERO_WINDOW, &ZERO_WINDOW, Severity::Warn, "TCP Zero Window segment"),
            (A::ZERO_WINDOW_PROBE, &ZERO_WINDOW_PROBE, Severity::Note, "TCP Zero Window Probe"),
            (A::WINDOW_UPDATE, &WINDOW_UPDATE, Severity::Chat, "TCP window update"),
            (A::WINDOW_FULL, &WINDOW_FULL, Severity::Warn, "TCP window specified by the receiver is now completely full"),
            (A::KEEP_ALIVE, &KEEP_ALIVE, Severity::Note, "TCP keep-alive segment"),
            (A::KEEP_ALIVE_ACK, &KEEP_ALIVE_ACK, Severity::Note, "ACK to a TCP keep-alive segment"),
            (A::REUSED_PORTS, &REUSED_PORTS, Severity::Note, "A new tcp session is started with the same ports as an earlier session in this trace"),
        ];
        for (bit, def, sev, msg) in items {
            if f.contains(bit) {
                emit!(sink, def, Value::None, Span::NONE);
                if bit == A::DUP_ACK {
                    sink.expert(
                        sev,
                        Group::Sequence,
                        format_args!("{msg} (#{})", a.dup_ack_num),
                        Span::NONE,
                    );
                } else {
                    sink.expert(sev, Group::Sequence, format_args!("{msg}"), Span::NONE);
                }
                // Wireshark marks a fast retransmission as a retransmission too.
                if bit == A::FAST_RETRANSMISSION || bit == A::SPURIOUS_RETRANSMISSION {
                    emit!(sink, &RETRANSMISSION, Value::None, Span::NONE);
                    sink.expert(
                        Severity::Note,
                        Group::Sequence,
                        format_args!("This frame is a (suspected) retransmission"),
                        Span::NONE,
                    );
                }
            }
        }
        sink.close();
    }
    if f.contains(A::DUP_ACK) {
        emit!(
            sink,
            &DUPLICATE_ACK_NUM,
            Value::UInt(u64::from(a.dup_ack_num)),
            Span::NONE
        );
        emit!(
            sink,
            &DUPLICATE_ACK_FRAME,
            Value::UInt(u64::from(a.dup_ack_frame)),
            Span::NONE
        );
    }
    sink.close();
    let _ = t;
    emit!(
        sink,
        &TIME_RELATIVE,
        Value::RelTime(i128::from(a.time_rel_ns)),
        Span::NONE
    );
    emit!(
        sink,
        &TIME_DELTA,
        Value::RelTime(i128::from(a.time_delta_ns)),
        Span::NONE
    );
}

/// Dissects a TCP header.
pub fn dissect<'a>(data: &'a [u8], off: usize, cx: &mut DissectCx) -> DissectResult<'a> {
    let reported = cx.reported_len.unwrap_or(data.len());
    if data.len() < HEADER_LEN {
        if cx.in_error && data.len() >= 4 {
            // ICMP errors quote at least 8 bytes: ports and sequence number.
            let t = Tcp {
                hdr: data,
                payload: &[],
                seg_len: 0,
                ip: cx.ip,
                in_error: true,
            };
            return Ok(Some(Dissected::new(
                Decoded::Tcp(t),
                data.len(),
                data.len(),
                Next::Done,
            )));
        }
        let t = Tcp {
            hdr: data,
            payload: &[],
            seg_len: 0,
            ip: cx.ip,
            in_error: cx.in_error,
        };
        let d = Dissected::new(Decoded::Tcp(t), data.len(), data.len(), Next::Done);
        return Ok(Some(d.with_error(DecodeError::truncated(
            Layer::Tcp,
            off,
            HEADER_LEN,
            data.len(),
        ))));
    }
    let hl = usize::from(data.u8_at(12).unwrap_or(0) >> 4) * 4;
    if hl < HEADER_LEN {
        let t = Tcp {
            hdr: data.get(..HEADER_LEN).unwrap_or(data),
            payload: &[],
            seg_len: 0,
            ip: cx.ip,
            in_error: cx.in_error,
        };
        let d = Dissected::new(Decoded::Tcp(t), HEADER_LEN, HEADER_LEN, Next::Done);
        return Ok(Some(d.with_error(DecodeError {
            layer: Layer::Tcp,
            offset: off + 12,
            kind: DecodeErrorKind::BadLength {
                field: "header length",
                value: hl as u64,
            },
        })));
    }
    let Some(hdr) = data.get(..hl) else {
        let t = Tcp {
            hdr: data,
            payload: &[],
            seg_len: 0,
            ip: cx.ip,
            in_error: cx.in_error,
        };
        let d = Dissected::new(Decoded::Tcp(t), data.len(), data.len(), Next::Done);
        if cx.in_error {
            return Ok(Some(d));
        }
        return Ok(Some(d.with_error(DecodeError::truncated(
            Layer::Tcp,
            off,
            hl,
            data.len(),
        ))));
    };
    let payload = data.get(hl..).unwrap_or(&[]);
    let seg_len = reported.saturating_sub(hl) as u32;
    let t = Tcp {
        hdr,
        payload,
        seg_len,
        ip: cx.ip,
        in_error: cx.in_error,
    };
    let next = if payload.is_empty() || cx.in_error {
        Next::Done
    } else {
        Next::TcpPorts(t.src_port(), t.dst_port())
    };
    cx.reported_len = Some(seg_len as usize);
    Ok(Some(Dissected::new(Decoded::Tcp(t), hl, data.len(), next)))
}
