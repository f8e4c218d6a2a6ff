//! Dissection: from a frame's bytes to a stack of decoded layers, and from layers to fields.
//!
//! Two passes, one source of truth:
//! 1. [`dissect`] walks the frame once, cheaply: each dissector validates its header, returns a
//!    small zero-copy [`Decoded`] value and says what comes next ([`Next`]). Which dissector
//!    handles an ethertype, IP protocol, port or link type is data in [`registry`], not code.
//! 2. [`Packet::emit`] turns the layers into fields for any [`Sink`] (details tree, JSON,
//!    filter). The summary formatters in [`crate::format`] read the typed layers directly.
//!
//! Invariants: no input bytes can make this module panic, loop without bound or allocate
//! without bound. Layer nesting is capped at [`MAX_LAYERS`]; every loop over wire data states
//! why it ends. Malformed packets keep every layer decoded before the problem
//! ([`Packet::stop`]); anomalies that are not fatal (bad checksums) become expert annotations.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod analysis;
pub mod app;
pub mod arp;
pub mod checksum;
pub mod columns;
pub mod dhcp;
pub mod dhcpv6;
pub mod dns;
pub mod ethernet;
pub mod frame;
pub mod http;
pub mod http2;
pub mod icmp;
pub mod ipv4;
pub mod ipv6;
pub mod linux;
pub mod ntp;
pub mod quic;
pub mod registry;
pub mod sctp;
pub mod ssh;
pub mod tcp;
pub mod tls;
pub mod tunnel;
pub mod udp;

use crate::error::{DecodeError, DecodeErrorKind, Layer};
use crate::field::{FieldDef, Sink};
use crate::file::{LinkType, Record, Timestamp};
use analysis::PacketAnalysis;
use arrayvec::ArrayVec;
use std::ops::Range;

/// Most layers one frame may have (tunnels in tunnels stop here with an error).
pub const MAX_LAYERS: usize = 16;

/// Emits a leaf field: `emit!(sink, &DEF, value, span)` or with a label format.
macro_rules! emit {
    ($sink:expr, $def:expr, $val:expr, $span:expr) => {
        $sink.field($def, $val, $span, None)
    };
    ($sink:expr, $def:expr, $val:expr, $span:expr, $($fmt:tt)+) => {
        if $sink.wants_labels() {
            $sink.field($def, $val, $span, Some(format_args!($($fmt)+)))
        } else {
            $sink.field($def, $val, $span, None)
        }
    };
}

/// Opens a field with children: `open!(sink, &DEF, value, span[, fmt...])`.
macro_rules! open {
    ($sink:expr, $def:expr, $val:expr, $span:expr) => {
        $sink.open($def, $val, $span, None)
    };
    ($sink:expr, $def:expr, $val:expr, $span:expr, $($fmt:tt)+) => {
        if $sink.wants_labels() {
            $sink.open($def, $val, $span, Some(format_args!($($fmt)+)))
        } else {
            $sink.open($def, $val, $span, None)
        }
    };
}

/// Declares a plain field (no mask, no value names): `field_def!(ID, "p.name", "Label",
/// FieldType::..., Base::...)`.
macro_rules! field_def {
    ($id:ident, $name:literal, $label:literal, $t:expr, $b:expr) => {
        #[doc = concat!("`", $name, "`.")]
        pub static $id: FieldDef = FieldDef::new($name, $label, $t, $b);
    };
}

pub(crate) use emit;
pub(crate) use field_def;
pub(crate) use open;

/// Bounds-checked big-endian reads over a layer's bytes.
pub(crate) trait Be {
    fn u8_at(&self, off: usize) -> Option<u8>;
    fn u16_at(&self, off: usize) -> Option<u16>;
    fn u24_at(&self, off: usize) -> Option<u32>;
    fn u32_at(&self, off: usize) -> Option<u32>;
    fn arr<const N: usize>(&self, off: usize) -> Option<[u8; N]>;
}

impl Be for [u8] {
    fn u8_at(&self, off: usize) -> Option<u8> {
        self.get(off).copied()
    }
    fn u16_at(&self, off: usize) -> Option<u16> {
        self.arr::<2>(off).map(u16::from_be_bytes)
    }
    fn u24_at(&self, off: usize) -> Option<u32> {
        self.arr::<3>(off)
            .map(|[a, b, c]| u32::from_be_bytes([0, a, b, c]))
    }
    fn u32_at(&self, off: usize) -> Option<u32> {
        self.arr::<4>(off).map(u32::from_be_bytes)
    }
    fn arr<const N: usize>(&self, off: usize) -> Option<[u8; N]> {
        self.get(off..off.checked_add(N)?)?.try_into().ok()
    }
}

/// What the dissector of the next layer is chosen by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// A link-layer type (frames start here).
    Link(LinkType),
    /// An ethertype (Ethernet, VLAN, SLL, GRE, ...).
    Ethertype(u16),
    /// An IP protocol number (IPv4, IPv6 and its extension headers).
    IpProto(u8),
    /// TCP ports; the lower port's dissector is tried first, then heuristics.
    TcpPorts(u16, u16),
    /// UDP ports.
    UdpPorts(u16, u16),
    /// A PPP protocol number.
    PppProto(u16),
    /// A specific layer (VXLAN → Ethernet, LLC/SNAP → ...).
    Layer(Layer),
    /// Nothing further: the rest (if any) is undissected data.
    Done,
}

/// Per-frame context shared by the dissectors of one frame.
#[derive(Clone, Debug, Default)]
pub struct DissectCx {
    /// Addresses of the innermost IP layer (for transport checksums).
    pub ip: Option<IpPseudo>,
    /// Length the innermost IP layer says its payload has (may exceed what was captured).
    pub reported_len: Option<usize>,
    /// Inside the packet quoted by an ICMP error (lax: truncated headers are expected).
    pub in_error: bool,
    /// The first IP fragment with more fragments following (transport header but partial payload).
    pub fragment: bool,
    /// Bytes on the wire beyond what was captured (orig_len - caplen): lengths in headers are
    /// bounded by what the frame really carried, as Wireshark does.
    pub wire_extra: usize,
    /// Source and destination port of the innermost TCP/UDP layer, while its payload is
    /// dissected (for [`app::side_by_port`]).
    pub ports: Option<(u16, u16)>,
}

/// The fields of an IP header that transport checksums cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpPseudo {
    /// IPv4 source and destination.
    V4([u8; 4], [u8; 4]),
    /// IPv6 source and destination.
    V6([u8; 16], [u8; 16]),
}

/// What a dissector found: the layer, where its payload is, and what comes next.
#[derive(Clone, Debug)]
pub struct Dissected<'a> {
    /// The decoded layer.
    pub layer: Decoded<'a>,
    /// Header length (bytes of this layer before its payload).
    pub header_len: usize,
    /// The payload within the dissector's input (may end before the input ends: trailers).
    pub payload: Range<usize>,
    /// What dissects the payload.
    pub next: Next,
    /// A problem that stops dissection after this layer.
    pub error: Option<DecodeError>,
}

impl<'a> Dissected<'a> {
    /// A layer that consumed `header_len` bytes and hands the rest of `data` to `next`.
    pub fn new(layer: Decoded<'a>, header_len: usize, data_len: usize, next: Next) -> Self {
        Dissected {
            layer,
            header_len,
            payload: header_len.min(data_len)..data_len,
            next,
            error: None,
        }
    }

    /// The same, stopping with an error.
    pub fn with_error(mut self, e: DecodeError) -> Self {
        self.error = Some(e);
        self.next = Next::Done;
        self
    }
}

/// Result type of a dissector: `Ok(None)` declines (a heuristic that does not recognise
/// the payload, or a port-registered dissector that sees something else).
pub type DissectResult<'a> = Result<Option<Dissected<'a>>, DecodeError>;

/// A dissector: decodes the start of `data` (frame offset `off`).
pub type DissectFn =
    for<'a> fn(data: &'a [u8], off: usize, cx: &mut DissectCx) -> DissectResult<'a>;

/// One decoded layer with its place in the frame.
#[derive(Clone, Debug)]
pub struct LayerItem<'a> {
    /// Offset of the layer's first byte in the frame.
    pub off: usize,
    /// Header length.
    pub header_len: usize,
    /// Bytes from `off` to the end of this layer's payload (captured).
    pub len: usize,
    /// The decoded layer.
    pub data: Decoded<'a>,
}

impl LayerItem<'_> {
    /// Which protocol.
    pub fn layer(&self) -> Layer {
        self.data.layer()
    }
}

/// A decoded layer. Each variant is a small zero-copy view defined in its protocol module.
#[derive(Clone, Debug)]
#[allow(missing_docs)]
pub enum Decoded<'a> {
    Ethernet(ethernet::Ethernet<'a>),
    Llc(ethernet::Llc<'a>),
    Vlan(ethernet::Vlan<'a>),
    Sll(linux::Sll<'a>),
    Null(linux::Null),
    Nflog(linux::Nflog<'a>),
    Arp(arp::Arp<'a>),
    Ipv4(ipv4::Ipv4<'a>),
    Ipv6(ipv6::Ipv6<'a>),
    Icmp(icmp::Icmp<'a>),
    Icmpv6(icmp::Icmpv6<'a>),
    Igmp(icmp::Igmp<'a>),
    Tcp(tcp::Tcp<'a>),
    Udp(udp::Udp<'a>),
    Gre(tunnel::Gre<'a>),
    Vxlan(tunnel::Vxlan<'a>),
    Shim(tunnel::Shim<'a>),
    Pppoe(tunnel::Pppoe<'a>),
    Ppp(tunnel::Ppp),
    Mpls(tunnel::Mpls<'a>),
    Ipsec(tunnel::Ipsec<'a>),
    Dns(dns::Dns<'a>),
    Http(http::Http<'a>),
    Tls(tls::Tls<'a>),
    /// A protocol declared as a table row ([`app`]).
    App(app::App<'a>),
    Data(&'a [u8]),
}

impl Decoded<'_> {
    /// Which protocol this is.
    pub fn layer(&self) -> Layer {
        match self {
            Decoded::Ethernet(_) => Layer::Ethernet,
            Decoded::Llc(_) => Layer::Llc,
            Decoded::Vlan(_) => Layer::Vlan,
            Decoded::Sll(s) => {
                if s.v2 {
                    Layer::Sll2
                } else {
                    Layer::Sll
                }
            }
            Decoded::Null(_) => Layer::Null,
            Decoded::Nflog(_) => Layer::Nflog,
            Decoded::Arp(_) => Layer::Arp,
            Decoded::Ipv4(_) => Layer::Ipv4,
            Decoded::Ipv6(_) => Layer::Ipv6,
            Decoded::Icmp(_) => Layer::Icmp,
            Decoded::Icmpv6(_) => Layer::Icmpv6,
            Decoded::Igmp(_) => Layer::Igmp,
            Decoded::Tcp(_) => Layer::Tcp,
            Decoded::Udp(_) => Layer::Udp,
            Decoded::Gre(_) => Layer::Gre,
            Decoded::Vxlan(_) => Layer::Vxlan,
            Decoded::Shim(s) => s.kind.layer(),
            Decoded::Pppoe(_) => Layer::Pppoe,
            Decoded::Ppp(_) => Layer::Ppp,
            Decoded::Mpls(_) => Layer::Mpls,
            Decoded::Ipsec(s) => {
                if s.esp {
                    Layer::Esp
                } else {
                    Layer::Ah
                }
            }
            Decoded::Dns(_) => Layer::Dns,
            Decoded::Http(_) => Layer::Http,
            Decoded::Tls(_) => Layer::Tls,
            Decoded::App(a) => Layer::App(a.proto.id),
            Decoded::Data(_) => Layer::Data,
        }
    }
}

/// How much to decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DissectOptions {
    /// Stop after the first layer of this kind or deeper (lazy decoding for filters):
    /// `Some(Layer::Tcp)` never calls application dissectors.
    pub max_depth: Depth,
}

/// How deep dissection goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Depth {
    /// Link and network layers only.
    Network,
    /// Up to and including TCP/UDP/ICMP.
    Transport,
    /// Everything.
    All,
}

impl Default for DissectOptions {
    fn default() -> Self {
        DissectOptions {
            max_depth: Depth::All,
        }
    }
}

/// Frame metadata that comes from the capture file, not the bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameMeta {
    /// 1-based frame number.
    pub number: u64,
    /// Capture time (Simple Packet Blocks have none; they get the previous packet's).
    pub ts: Timestamp,
    /// Length on the wire.
    pub orig_len: u32,
    /// Global interface id.
    pub interface: u32,
    /// Link type.
    pub link_type: LinkType,
    /// pcapng `epb_flags`.
    pub flags: Option<u32>,
    /// Time since the first packet (ns).
    pub rel_ns: i128,
    /// Time since the previous packet (ns).
    pub delta_ns: i128,
    /// Whether the record carried a time stamp (pcapng Simple Packet Blocks do not).
    pub has_ts: bool,
}

/// A dissected frame: its metadata, bytes, layers, and (after flow analysis) TCP/UDP state.
#[derive(Clone, Debug)]
pub struct Packet<'a> {
    /// File metadata.
    pub meta: FrameMeta,
    /// The captured bytes.
    pub data: &'a [u8],
    /// pcapng comments of the record.
    pub comments: ArrayVec<&'a str, 4>,
    /// Decoded layers, outermost first.
    pub layers: ArrayVec<LayerItem<'a>, MAX_LAYERS>,
    /// Why dissection stopped early, if it did.
    pub stop: Option<DecodeError>,
    /// Flow analysis (stream indexes, relative sequence numbers, retransmissions).
    pub analysis: PacketAnalysis,
}

impl<'a> Packet<'a> {
    /// The first layer of a kind.
    pub fn find(&self, l: Layer) -> Option<&LayerItem<'a>> {
        self.layers.iter().find(|x| x.layer() == l)
    }

    /// The innermost (last) layer of a kind.
    pub fn find_last(&self, l: Layer) -> Option<&LayerItem<'a>> {
        self.layers.iter().rev().find(|x| x.layer() == l)
    }

    /// The innermost TCP layer that is not inside an ICMP error.
    pub fn tcp(&self) -> Option<(&LayerItem<'a>, &tcp::Tcp<'a>)> {
        self.layers.iter().find_map(|l| match &l.data {
            Decoded::Tcp(t) if !t.in_error => Some((l, t)),
            _ => None,
        })
    }

    /// The top-level UDP layer that is not inside an ICMP error.
    pub fn udp(&self) -> Option<(&LayerItem<'a>, &udp::Udp<'a>)> {
        self.layers.iter().find_map(|l| match &l.data {
            Decoded::Udp(u) if !u.in_error => Some((l, u)),
            _ => None,
        })
    }

    /// Dissects the bytes again to `opts`' depth, keeping the metadata, comments and flow
    /// analysis — and, as after the first pass, no application layers on a retransmitted
    /// segment. The one way to deepen a lazily dissected packet (filters that need more,
    /// printing what a lazy filter pass kept).
    pub fn redissect(&mut self, opts: DissectOptions) {
        self.layers.clear();
        self.stop = None;
        dissect_into(self, opts);
        strip_retransmitted(self);
    }

    /// [`Packet::redissect`] on a copy (for a holder that may not change its packet).
    pub fn redissected(&self, opts: DissectOptions) -> Packet<'a> {
        let mut p = Packet {
            meta: self.meta,
            data: self.data,
            comments: self.comments.clone(),
            layers: ArrayVec::new(),
            stop: None,
            analysis: self.analysis.clone(),
        };
        p.redissect(opts);
        p
    }

    /// Emits every field of every layer into `sink`, in tree order.
    pub fn emit(&self, sink: &mut dyn Sink<'a>) {
        frame::emit(self, sink);
        for (i, l) in self.layers.iter().enumerate() {
            let name = l.layer().filter_name();
            let foreign = match &l.data {
                Decoded::App(a) => a.proto.also_emits.iter().any(|p| sink.wants(p)),
                _ => false,
            };
            if !sink.wants(name) && !foreign {
                // The protocol is present even if its fields are not wanted.
                sink.field(
                    registry::proto_def(l.layer()),
                    crate::field::Value::None,
                    crate::field::Span::new(l.off, l.len),
                    None,
                );
                continue;
            }
            let cx = EmitCx {
                pkt: self,
                index: i,
            };
            emit_layer(l, &cx, sink);
        }
    }

    /// `frame.protocols`: `eth:ethertype:ip:tcp`.
    pub fn protocols(&self) -> String {
        let mut s = String::new();
        for l in &self.layers {
            if !s.is_empty() {
                s.push(':');
            }
            s.push_str(match &l.data {
                Decoded::Dns(d) if d.flavor == dns::Flavor::Mdns => "mdns",
                Decoded::Dns(d) if d.flavor == dns::Flavor::Llmnr => "llmnr",
                Decoded::Http(h) if h.ssdp => "ssdp",
                _ => l.layer().filter_name(),
            });
            if matches!(
                l.data,
                Decoded::Ethernet(_) | Decoded::Sll(_) | Decoded::Vlan(_)
            ) && !matches!(l.data, Decoded::Ethernet(ref e) if e.is_8023())
            {
                s.push_str(":ethertype");
            }
        }
        s
    }
}

/// What an emitter may look at besides its own layer.
pub struct EmitCx<'p, 'a> {
    /// The packet.
    pub pkt: &'p Packet<'a>,
    /// Index of the layer being emitted.
    pub index: usize,
}

impl<'a> EmitCx<'_, 'a> {
    /// The layer after this one.
    pub fn next_layer(&self) -> Option<&LayerItem<'a>> {
        self.pkt.layers.get(self.index + 1)
    }
    /// The layer before this one.
    pub fn prev_layer(&self) -> Option<&LayerItem<'a>> {
        self.index
            .checked_sub(1)
            .and_then(|i| self.pkt.layers.get(i))
    }
}

fn emit_layer<'a>(l: &LayerItem<'a>, cx: &EmitCx<'_, 'a>, sink: &mut dyn Sink<'a>) {
    let off = l.off;
    match &l.data {
        Decoded::Ethernet(x) => x.emit(off, l, cx, sink),
        Decoded::Llc(x) => x.emit(off, sink),
        Decoded::Vlan(x) => x.emit(off, sink),
        Decoded::Sll(x) => x.emit(off, sink),
        Decoded::Null(x) => x.emit(off, sink),
        Decoded::Nflog(x) => x.emit(off, sink),
        Decoded::Arp(x) => x.emit(off, sink),
        Decoded::Ipv4(x) => x.emit(off, l, sink),
        Decoded::Ipv6(x) => x.emit(off, l, sink),
        Decoded::Icmp(x) => x.emit(off, l, sink),
        Decoded::Icmpv6(x) => x.emit(off, l, sink),
        Decoded::Igmp(x) => x.emit(off, sink),
        Decoded::Tcp(x) => x.emit(off, cx, sink),
        Decoded::Udp(x) => x.emit(off, cx, sink),
        Decoded::Gre(x) => x.emit(off, sink),
        Decoded::Vxlan(x) => x.emit(off, sink),
        Decoded::Shim(x) => x.emit(off, sink),
        Decoded::Pppoe(x) => x.emit(off, sink),
        Decoded::Ppp(x) => x.emit(off, sink),
        Decoded::Mpls(x) => x.emit(off, sink),
        Decoded::Ipsec(x) => x.emit(off, sink),
        Decoded::Dns(x) => x.emit(off, sink),
        Decoded::Http(x) => x.emit(off, sink),
        Decoded::Tls(x) => x.emit(off, sink),
        Decoded::App(x) => (x.proto.emit)(x, off, cx, sink),
        Decoded::Data(d) => frame::emit_data(d, off, sink),
    }
}

/// Dissects one record. Flow analysis is not done here (see [`crate::flow::Tracker`]).
#[inline]
pub fn dissect<'a>(rec: &Record<'a>, number: u64, opts: DissectOptions) -> Packet<'a> {
    let mut pkt = blank(rec, number);
    dissect_into(&mut pkt, opts);
    pkt
}

/// The record as a packet with no layers yet, for [`dissect_into`] (or
/// [`Decoder::decode_into`](crate::Decoder::decode_into)) to fill in place: a `Packet` is
/// about 2 KB, and returning one by value costs a copy that shows in a filter pass.
#[inline]
pub fn blank<'a>(rec: &Record<'a>, number: u64) -> Packet<'a> {
    let mut comments = ArrayVec::new();
    for c in rec.comments() {
        if comments.try_push(c).is_err() {
            break;
        }
    }
    Packet {
        meta: FrameMeta {
            number,
            ts: rec.ts.unwrap_or_default(),
            orig_len: rec.orig_len,
            interface: rec.interface,
            link_type: rec.link_type,
            flags: rec.flags,
            rel_ns: 0,
            delta_ns: 0,
            has_ts: rec.ts.is_some(),
        },
        data: rec.data,
        comments,
        layers: ArrayVec::new(),
        stop: None,
        analysis: PacketAnalysis::default(),
    }
}

/// Runs the dissector chain over `pkt.data`, filling `pkt.layers` and `pkt.stop`.
pub fn dissect_into(pkt: &mut Packet<'_>, opts: DissectOptions) {
    let data = pkt.data;
    let mut cx = DissectCx {
        wire_extra: (pkt.meta.orig_len as usize).saturating_sub(data.len()),
        ..DissectCx::default()
    };
    let mut next = Next::Link(pkt.meta.link_type);
    // Current window: [off, end) of the frame.
    let mut off = 0usize;
    let mut end = data.len();
    // Terminates: each iteration pushes a layer (bounded by MAX_LAYERS) or breaks.
    loop {
        let window = data.get(off..end).unwrap_or(&[]);
        if next == Next::Done {
            if !window.is_empty() {
                push(pkt, off, 0, window.len(), Decoded::Data(window));
            }
            break;
        }
        if pkt.layers.is_full() {
            pkt.stop = Some(DecodeError {
                layer: Layer::Frame,
                offset: off,
                kind: DecodeErrorKind::TooDeep(MAX_LAYERS),
            });
            break;
        }
        let depth = registry::depth_of(next);
        if depth > opts.max_depth {
            break;
        }
        match registry::run(
            next,
            window,
            off,
            &mut cx,
            pkt.layers.last().map(|l| l.layer()),
        ) {
            Ok(Some(d)) => {
                let header_len = d.header_len.min(window.len());
                let payload = d.payload.start.min(window.len())..d.payload.end.min(window.len());
                push(pkt, off, header_len, payload.end, d.layer);
                if let Some(e) = d.error {
                    pkt.stop = Some(e);
                    break;
                }
                next = d.next;
                end = off + payload.end;
                off += payload.start;
            }
            Ok(None) => {
                next = Next::Done;
            }
            Err(e) => {
                pkt.stop = Some(e);
                if !window.is_empty() {
                    push(pkt, off, 0, window.len(), Decoded::Data(window));
                }
                break;
            }
        }
    }
}

/// Like Wireshark, application dissectors do not see the payload of a retransmitted TCP
/// segment (it would show the same request twice): after flow analysis, this replaces the
/// layers after TCP with data when the analysis flags a retransmission.
pub fn strip_retransmitted(pkt: &mut Packet<'_>) {
    if pkt
        .analysis
        .tcp
        .as_ref()
        .is_some_and(|a| a.flags.any_retransmission())
    {
        strip_after_tcp(pkt);
    }
}

/// Drops the layers after the (non-quoted) TCP layer: a retransmission's payload is shown
/// as TCP's `tcp.segment_data`, not dissected again (tshark's default).
pub fn strip_after_tcp(pkt: &mut Packet<'_>) {
    let Some(i) = pkt
        .layers
        .iter()
        .position(|l| matches!(&l.data, Decoded::Tcp(t) if !t.in_error))
    else {
        return;
    };
    pkt.layers.truncate(i + 1);
}

fn push<'a>(pkt: &mut Packet<'a>, off: usize, header_len: usize, len: usize, data: Decoded<'a>) {
    let _ = pkt.layers.try_push(LayerItem {
        off,
        header_len,
        len,
        data,
    });
}

/// Every protocol module's field list (for [`crate::field::schema`]).
pub fn field_lists() -> Vec<&'static [&'static FieldDef]> {
    let mut lists = vec![
        frame::FIELDS,
        ethernet::FIELDS,
        linux::FIELDS,
        arp::FIELDS,
        ipv4::FIELDS,
        ipv6::FIELDS,
        icmp::FIELDS,
        tcp::FIELDS,
        udp::FIELDS,
        tunnel::FIELDS,
        dns::FIELDS,
        http::FIELDS,
        tls::FIELDS,
        registry::FIELDS,
    ];
    lists.extend(registry::APPS.iter().map(|a| a.fields));
    lists
}
