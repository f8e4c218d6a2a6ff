//! From a checked [`Expr`] to an evaluation tree, and its evaluation on a [`Packet`].
//!
//! Each field read is an [`Access`]:
//! - **fast**: hot fields (`ip.addr`, `tcp.port`, `tcp.flags.syn`, `frame.len`, …) read
//!   straight from the typed layer views, no allocation, no tree walk;
//! - **layer**: protocol presence and protocol bytes (`tcp`, `tcp[13]`, `eth contains …`)
//!   from the packet's layer list;
//! - **generic**: any other field, collected once per packet by running
//!   [`Packet::emit`] into a [`Collector`] sink that only asks for the protocols the filter
//!   names ([`Sink::wants`]) and keeps only the fields the filter uses (up to
//!   [`INLINE_VALUES`] values without touching the heap).
//!
//! Fast accessors must produce exactly what the emitters produce (same values, same
//! occurrences, same conditions); a corpus test compares the two paths field by field.
//!
//! Multi-valued fields follow Wireshark 4: a test is quantified over the occurrences
//! ([`Quant`]); with no occurrence, any test is false.

use super::ast::{Const, Expr, FieldRef, Op, Quant, Rhs, SetItem, Slice};
use crate::dissect::{self, registry, Decoded, Depth, DissectOptions, LayerItem, Packet};
use crate::error::Layer;
use crate::field::{FieldDef, FieldType, Sink, Span, Value};
use crate::schema;
use arrayvec::ArrayVec;
use std::cmp::Ordering;
use std::fmt;

/// Field values held per packet before the collector spills to the heap.
pub(crate) const INLINE_VALUES: usize = 48;

/// Longest mask applied to bytes (longer masks are cut; nobody masks 64-byte slices).
const MAX_MASK: usize = 64;

/// A compiled filter program.
#[derive(Clone, Debug)]
pub(crate) struct Program {
    root: Node,
    plan: Plan,
    depth: Depth,
}

/// What the generic path collects.
#[derive(Clone, Debug, Default)]
struct Plan {
    /// Field id → slot (or `NO_SLOT`).
    slot_of: Vec<u16>,
    /// Protocol names whose fields are wanted (`Sink::wants`).
    emitters: Vec<&'static str>,
    /// Exact field names for emitters that ask about single fields (`tcp.flags.str`).
    names: Vec<&'static str>,
}

const NO_SLOT: u16 = u16::MAX;

#[derive(Clone, Debug)]
enum Node {
    And(Box<[Node]>),
    Or(Box<[Node]>),
    Xor(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Exists(Access, Option<Slice>),
    Test(Box<TestNode>),
}

#[derive(Clone, Debug)]
struct TestNode {
    quant: Quant,
    acc: Access,
    slice: Option<Slice>,
    mask: Option<Mask>,
    cmp: Cmp,
}

#[derive(Clone, Debug)]
enum Mask {
    Int(i128),
    Bytes(Box<[u8]>),
}

#[derive(Clone, Debug)]
enum Cmp {
    /// `== != < <= > >=` against a constant.
    Key(Op, Key),
    /// A substring search prepared once per filter (memchr's Two-Way/SIMD searcher:
    /// linear in the haystack whatever the needle; a naive scan is O(n·m) on crafted bytes).
    Contains(Box<memchr::memmem::Finder<'static>>),
    Matches(regex::bytes::Regex),
    In(Box<[(Key, Option<Key>)]>),
    Nonzero,
    /// Against another field's occurrences.
    Field(Op, Access, Option<Slice>),
}

/// A constant ready for comparison.
#[derive(Clone, Debug)]
enum Key {
    Int(i128),
    Float(f64),
    Ip4 { addr: u32, mask: u32 },
    Ip6 { addr: u128, mask: u128 },
    Ether([u8; 6]),
    Bytes(Box<[u8]>),
}

/// How to read a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    Fast(Fast),
    /// The frame's bytes (`frame`).
    Frame,
    /// Layers of one protocol: their bytes (`whole`: to the end of the layer's data, for
    /// `contains`/`matches`; else the protocol item, as Wireshark slices it).
    Layer {
        sel: LayerSel,
        whole: bool,
    },
    /// Collected by the sink; `proto`: the value is the bytes of the span.
    Generic {
        slot: u16,
        proto: bool,
    },
}

/// Which layers a protocol field stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LayerSel {
    One(Layer),
    Two(Layer, Layer),
    /// 802.1Q tags (`vlan`), not 802.1ad service tags.
    Vlan,
    /// 802.1ad service tags (`ieee8021ad`).
    ServiceTag,
}

/// Hot fields read from the typed views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fast {
    FrameNumber,
    FrameLen,
    FrameCapLen,
    EthSrc,
    EthDst,
    EthAddr,
    VlanId,
    IpSrc,
    IpDst,
    IpAddr,
    IpProto,
    IpTtl,
    Ip6Src,
    Ip6Dst,
    Ip6Addr,
    TcpSrc,
    TcpDst,
    TcpPort,
    TcpFlags,
    TcpFlag(u16),
    TcpLen,
    UdpSrc,
    UdpDst,
    UdpPort,
    IcmpType,
    ArpSpa,
    ArpTpa,
    TcpStream,
    /// A `tcp.analysis.*` flag (`retrans`: `tcp.analysis.retransmission`, which fast and
    /// spurious retransmissions also set).
    TcpAnalysis {
        bit: u16,
        retrans: bool,
    },
    UdpStream,
}

impl Fast {
    fn of(def: &FieldDef) -> Option<Fast> {
        use crate::dissect::arp;
        use crate::dissect::{ethernet as e, frame as fr, icmp, ipv4, ipv6, tcp, udp};
        use crate::flow::TcpFlags as A;
        let flag = |f: A| Fast::TcpAnalysis {
            bit: f.0,
            retrans: false,
        };
        let pairs: [(&FieldDef, Fast); 51] = [
            (&arp::SRC_PROTO_IPV4, Fast::ArpSpa),
            (&arp::DST_PROTO_IPV4, Fast::ArpTpa),
            (&tcp::STREAM, Fast::TcpStream),
            (&udp::STREAM, Fast::UdpStream),
            (
                &tcp::RETRANSMISSION,
                Fast::TcpAnalysis {
                    bit: A::RETRANSMISSION.0,
                    retrans: true,
                },
            ),
            (&tcp::FAST_RETRANSMISSION, flag(A::FAST_RETRANSMISSION)),
            (
                &tcp::SPURIOUS_RETRANSMISSION,
                flag(A::SPURIOUS_RETRANSMISSION),
            ),
            (&tcp::OUT_OF_ORDER, flag(A::OUT_OF_ORDER)),
            (&tcp::LOST_SEGMENT, flag(A::LOST_SEGMENT)),
            (&tcp::ACK_LOST_SEGMENT, flag(A::ACK_LOST_SEGMENT)),
            (&tcp::DUPLICATE_ACK, flag(A::DUP_ACK)),
            (&tcp::ZERO_WINDOW, flag(A::ZERO_WINDOW)),
            (&tcp::ZERO_WINDOW_PROBE, flag(A::ZERO_WINDOW_PROBE)),
            (&tcp::WINDOW_UPDATE, flag(A::WINDOW_UPDATE)),
            (&tcp::WINDOW_FULL, flag(A::WINDOW_FULL)),
            (&tcp::KEEP_ALIVE, flag(A::KEEP_ALIVE)),
            (&tcp::KEEP_ALIVE_ACK, flag(A::KEEP_ALIVE_ACK)),
            (&tcp::REUSED_PORTS, flag(A::REUSED_PORTS)),
            (&fr::NUMBER, Fast::FrameNumber),
            (&fr::LEN, Fast::FrameLen),
            (&fr::CAP_LEN, Fast::FrameCapLen),
            (&e::SRC, Fast::EthSrc),
            (&e::DST, Fast::EthDst),
            (&e::ADDR, Fast::EthAddr),
            (&e::VLAN_ID, Fast::VlanId),
            (&ipv4::SRC, Fast::IpSrc),
            (&ipv4::DST, Fast::IpDst),
            (&ipv4::ADDR, Fast::IpAddr),
            (&ipv4::PROTO, Fast::IpProto),
            (&ipv4::TTL, Fast::IpTtl),
            (&ipv6::SRC, Fast::Ip6Src),
            (&ipv6::DST, Fast::Ip6Dst),
            (&ipv6::ADDR, Fast::Ip6Addr),
            (&tcp::SRCPORT, Fast::TcpSrc),
            (&tcp::DSTPORT, Fast::TcpDst),
            (&tcp::PORT, Fast::TcpPort),
            (&tcp::FLAGS, Fast::TcpFlags),
            (&tcp::FLAGS_AE, Fast::TcpFlag(tcp::flags::AE)),
            (&tcp::FLAGS_CWR, Fast::TcpFlag(tcp::flags::CWR)),
            (&tcp::FLAGS_ECE, Fast::TcpFlag(tcp::flags::ECE)),
            (&tcp::FLAGS_URG, Fast::TcpFlag(tcp::flags::URG)),
            (&tcp::FLAGS_ACK, Fast::TcpFlag(tcp::flags::ACK)),
            (&tcp::FLAGS_PUSH, Fast::TcpFlag(tcp::flags::PSH)),
            (&tcp::FLAGS_RESET, Fast::TcpFlag(tcp::flags::RST)),
            (&tcp::FLAGS_SYN, Fast::TcpFlag(tcp::flags::SYN)),
            (&tcp::FLAGS_FIN, Fast::TcpFlag(tcp::flags::FIN)),
            (&tcp::LEN, Fast::TcpLen),
            (&udp::SRCPORT, Fast::UdpSrc),
            (&udp::DSTPORT, Fast::UdpDst),
            (&udp::PORT, Fast::UdpPort),
            (&icmp::TYPE, Fast::IcmpType),
        ];
        pairs.iter().find(|(d, _)| *d == def).map(|(_, f)| *f)
    }
}

/// A value being tested. Text is compared as its UTF-8 bytes; times as nanoseconds.
#[derive(Clone, Copy, Debug)]
enum Sc<'c> {
    Int(i128),
    Float(f64),
    Ip4(u32),
    Ip6(u128),
    Ether([u8; 6]),
    Bytes(&'c [u8]),
    /// A label or a protocol without bytes: present, no value.
    None,
}

/// The layers a protocol field stands for, when presence of the field is exactly presence
/// of such a layer. `frame` and `data` are not: `data` is also emitted inside ICMP.
fn layer_sel(def: &'static FieldDef) -> Option<LayerSel> {
    use crate::dissect::{ethernet, frame};
    // MPLS: one layer holds the whole label stack, but each label is a protocol item.
    if def.ftype != FieldType::Protocol
        || def == &frame::DATA
        // One layer, several protocol names (dns/mdns/llmnr, http/ssdp): decided by what
        // the layer emits.
        || def == &crate::dissect::dns::DNS
        || def == &crate::dissect::http::HTTP
        || def == &frame::FRAME
        || def == &crate::dissect::tunnel::MPLS
    {
        return None;
    }
    if def == &ethernet::VLAN {
        return Some(LayerSel::Vlan);
    }
    if def == &ethernet::AD {
        return Some(LayerSel::ServiceTag);
    }
    let mut found: ArrayVec<Layer, 2> = ArrayVec::new();
    for l in registry::all_layers() {
        if registry::proto_def(l) == def && found.try_push(l).is_err() {
            return None;
        }
    }
    match found.as_slice() {
        [a] => Some(LayerSel::One(*a)),
        [a, b] => Some(LayerSel::Two(*a, *b)),
        _ => None,
    }
}

impl LayerSel {
    fn matches(self, l: &LayerItem<'_>) -> bool {
        match self {
            LayerSel::One(a) => l.layer() == a,
            LayerSel::Two(a, b) => {
                let x = l.layer();
                x == a || x == b
            }
            LayerSel::Vlan => matches!(&l.data, Decoded::Vlan(v) if !v.service),
            LayerSel::ServiceTag => matches!(&l.data, Decoded::Vlan(v) if v.service),
        }
    }
}

/// Bytes of the protocol item, as Wireshark's slices see them: the header for link,
/// network and transport headers, the whole message otherwise.
fn item_len(l: &LayerItem<'_>) -> usize {
    match l.layer() {
        Layer::Ethernet
        | Layer::Vlan
        | Layer::Ipv4
        | Layer::Tcp
        | Layer::Udp
        | Layer::Sll
        | Layer::Sll2
        | Layer::Null
        | Layer::Llc
        | Layer::Gre => l.header_len,
        // Extension headers are separate protocols in Wireshark.
        Layer::Ipv6 => l.header_len.min(40),
        _ => l.len,
    }
}

/// Protocols whose fields may need more than the link and network layers, but no
/// application dissector (everything else except `frame` needs [`Depth::All`]).
pub const TRANSPORT_PROTOCOLS: &[&str] = &[
    "eth",
    "vlan",
    "ieee8021ad",
    "llc",
    "sll",
    "null",
    "nflog",
    "arp",
    "ip",
    "ipv6",
    "icmp",
    "icmpv6",
    "igmp",
    "tcp",
    "udp",
    "gre",
    "pppoes",
    "pppoe",
    "ppp",
    "mpls",
    "ah",
    "esp",
];

/// How deep a field needs dissection. Network- and transport-layer fields ask for
/// `Transport` (not `Network`) so that IP-in-IP and GRE tunnels, which are reached through
/// an IP protocol number, are dissected as Wireshark does.
pub(crate) fn field_depth(def: &FieldDef) -> Depth {
    match def.protocol() {
        "frame" if def.name == "frame.protocols" => Depth::All,
        "frame" => Depth::Network,
        // Set by a compare, not read from the bytes.
        "paircap" => Depth::Network,
        p if TRANSPORT_PROTOCOLS.contains(&p) => Depth::Transport,
        _ => Depth::All,
    }
}

/// Whether a field's value comes from flow analysis ([`crate::Decoder`] without
/// `without_flows`): stream indexes, relative sequence numbers, analysis flags, request and
/// response links. Application-layer fields count too: the decoder does not hand the
/// payload of retransmitted segments to application dissectors (as Wireshark).
pub(crate) fn field_needs_flows(def: &FieldDef) -> bool {
    const FLOW_FIELDS: &[&str] = &[
        "tcp.stream",
        "tcp.seq",
        "tcp.ack",
        "tcp.nxtseq",
        "tcp.time_relative",
        "tcp.time_delta",
        "tcp.window_size",
        "tcp.window_size_scalefactor",
        "udp.stream",
        "udp.time_relative",
        "udp.time_delta",
        "icmp.resp_in",
        "icmp.resp_to",
        "icmp.resptime",
        "icmpv6.resp_in",
        "icmpv6.resp_to",
        "icmpv6.resptime",
    ];
    def.name.starts_with("tcp.analysis")
        || FLOW_FIELDS.contains(&def.name)
        || field_depth(def) == Depth::All
}

/// The protocols whose emitters produce a field with this prefix (most fields are emitted
/// by their own protocol; these are the exceptions, checked by a corpus test).
fn emitters_of(prefix: &'static str) -> &'static [&'static str] {
    match prefix {
        "data" => &["data", "icmp", "icmpv6"],
        "ieee8021ad" => &["vlan"],
        "pppoe" => &["pppoes"],
        // The frame emitter writes the columns after the frame tree, if it wants "frame".
        "_ws" => &["frame"],
        // mDNS and LLMNR are DNS layers, SSDP an HTTP layer, each under its own protocol name.
        "mdns" | "llmnr" => &["dns"],
        "ssdp" => &["http"],
        // Compare results are emitted by the frame emitter.
        "paircap" => &["frame"],
        _ => &[],
    }
}

impl Program {
    /// Compiles a checked expression.
    pub(crate) fn new(e: &Expr) -> Program {
        let mut plan = Plan {
            slot_of: vec![NO_SLOT; schema().len()],
            ..Plan::default()
        };
        let root = node(e, &mut plan);
        let mut depth = Depth::Network;
        let mut flows = false;
        e.for_each_field(&mut |r| {
            depth = depth.max(field_depth(r.def));
            flows |= field_needs_flows(r.def);
        });
        if flows {
            depth = Depth::All;
        }
        Program { root, plan, depth }
    }

    pub(crate) fn depth(&self) -> Depth {
        self.depth
    }

    /// Evaluates the filter on a packet.
    pub(crate) fn matches(&self, pkt: &Packet<'_>) -> bool {
        if self.needs_deeper(pkt) {
            let full = pkt.redissected(DissectOptions {
                max_depth: Depth::All,
            });
            let mut cx = Cx::new(&full, &self.plan);
            return eval(&self.root, &mut cx);
        }
        let mut cx = Cx::new(pkt, &self.plan);
        eval(&self.root, &mut cx)
    }

    /// Whether the packet was dissected less deeply than the filter needs: dissection at
    /// `Transport` stops at UDP payloads, which may be tunnels (VXLAN, Geneve, Teredo, …)
    /// holding more of the layers the filter reads; a caller that decoded less than
    /// [`Program::depth`] gets the same answer as one that did not.
    ///
    /// When dissection runs to the end, the last layer is `Data` or has no bytes after its
    /// header (undissected bytes always become a `Data` layer), so a last layer with
    /// payload left means dissection stopped early on purpose.
    fn needs_deeper(&self, pkt: &Packet<'_>) -> bool {
        if self.depth == Depth::Network || pkt.stop.is_some() {
            return false;
        }
        let Some(last) = pkt.layers.last() else {
            return false;
        };
        if matches!(last.data, Decoded::Data(_)) || last.header_len >= last.len {
            return false;
        }
        // At transport depth a TCP payload is not needed (no tunnels ride on TCP ports).
        self.depth == Depth::All || !matches!(last.data, Decoded::Tcp(_))
    }
}

fn key(c: &Const) -> Key {
    match c {
        Const::Int(v) => Key::Int(*v),
        Const::Float(v) => Key::Float(*v),
        Const::Ipv4(a, p) => Key::Ip4 {
            addr: u32::from_be_bytes(*a),
            mask: u32::MAX.checked_shl(32 - u32::from(*p)).unwrap_or(0),
        },
        Const::Ipv6(a, p) => Key::Ip6 {
            addr: u128::from_be_bytes(*a),
            mask: u128::MAX.checked_shl(128 - u32::from(*p)).unwrap_or(0),
        },
        Const::Ether(a) => Key::Ether(*a),
        Const::Bytes(b) => Key::Bytes(b.clone().into_boxed_slice()),
        Const::Str(s) => Key::Bytes(s.as_bytes().into()),
        Const::Regex(p) => Key::Bytes(p.source.as_bytes().into()),
        Const::Time(ns) | Const::RelTime(ns) => Key::Int(*ns),
    }
}

fn access(r: &FieldRef, op: Option<Op>, plan: &mut Plan) -> Access {
    use crate::dissect::frame;
    let def = r.def;
    if def == &frame::FRAME {
        return Access::Frame;
    }
    if let Some(f) = Fast::of(def) {
        return Access::Fast(f);
    }
    if let Some(sel) = layer_sel(def) {
        let whole = matches!(op, Some(Op::Contains | Op::Matches)) && r.slice.is_none();
        return Access::Layer { sel, whole };
    }
    let id = def.id() as usize;
    let next = plan.slot_of.iter().filter(|s| **s != NO_SLOT).count() as u16;
    let slot = match plan.slot_of.get_mut(id) {
        Some(s) => {
            if *s == NO_SLOT {
                *s = next;
            }
            *s
        }
        None => NO_SLOT,
    };
    let prefix = def.protocol();
    // Rows that emit this protocol's fields too (QUIC emits `tls.*`) are emitters of it.
    let rows = registry::APPS
        .iter()
        .filter(|a| a.also_emits.contains(&prefix))
        .map(|a| a.id.name);
    for p in std::iter::once(prefix)
        .chain(emitters_of(prefix).iter().copied())
        .chain(rows)
    {
        if !plan.emitters.contains(&p) {
            plan.emitters.push(p);
        }
    }
    if !plan.names.contains(&def.name) {
        plan.names.push(def.name);
    }
    Access::Generic {
        slot,
        proto: def.ftype == FieldType::Protocol,
    }
}

fn node(e: &Expr, plan: &mut Plan) -> Node {
    match e {
        Expr::And(v) => Node::And(v.iter().map(|x| node(x, plan)).collect()),
        Expr::Or(v) => Node::Or(v.iter().map(|x| node(x, plan)).collect()),
        Expr::Xor(a, b) => Node::Xor(Box::new(node(a, plan)), Box::new(node(b, plan))),
        Expr::Not(x) => Node::Not(Box::new(node(x, plan))),
        Expr::Exists(r) => Node::Exists(access(r, None, plan), r.slice),
        Expr::Test(t) => {
            let acc = access(&t.lhs.field, Some(t.op), plan);
            let mask = t.lhs.mask.as_ref().map(|m| match key(m) {
                Key::Int(v) => Mask::Int(v),
                Key::Bytes(b) => Mask::Bytes(b),
                Key::Ether(a) => Mask::Bytes(a.into()),
                _ => Mask::Int(0),
            });
            let cmp = match (&t.op, &t.rhs) {
                (Op::Nonzero, _) => Cmp::Nonzero,
                (Op::In, Rhs::Set(items)) => Cmp::In(
                    items
                        .iter()
                        .map(|it| match it {
                            SetItem::One(c) => (key(c), None),
                            SetItem::Range(a, b) => (key(a), Some(key(b))),
                        })
                        .collect(),
                ),
                (Op::Matches, Rhs::Const(Const::Regex(p))) => Cmp::Matches(p.re.clone()),
                (Op::Contains, Rhs::Const(c)) => match key(c) {
                    Key::Bytes(b) => {
                        Cmp::Contains(Box::new(memchr::memmem::Finder::new(&b).into_owned()))
                    }
                    _ => Cmp::Contains(Box::new(memchr::memmem::Finder::new(&[]).into_owned())),
                },
                (op, Rhs::Field(r)) => Cmp::Field(*op, access(r, Some(*op), plan), r.slice),
                (op, Rhs::Const(c)) => Cmp::Key(*op, key(c)),
                // The parser never builds these; they are false.
                (op, _) => Cmp::Key(*op, Key::Bytes(Box::new([]))),
            };
            Node::Test(Box::new(TestNode {
                quant: t.quant,
                acc,
                slice: t.lhs.field.slice,
                mask,
                cmp,
            }))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation.

/// Per-packet evaluation state: the packet and, once a generic field is read, the values
/// the collector kept.
struct Cx<'p, 'a> {
    pkt: &'p Packet<'a>,
    col: Collector<'p, 'a>,
    collected: bool,
}

impl<'p, 'a> Cx<'p, 'a> {
    fn new(pkt: &'p Packet<'a>, plan: &'p Plan) -> Self {
        Cx {
            pkt,
            col: Collector {
                plan,
                vals: ArrayVec::new(),
                spill: Vec::new(),
            },
            collected: false,
        }
    }

    fn prepare(&mut self, acc: Access) {
        if matches!(acc, Access::Generic { .. }) && !self.collected {
            self.collected = true;
            // Fields come only from the emitters of layers the packet has (and the frame
            // emitter): without such a layer there is nothing to collect.
            let plan = self.col.plan;
            let frame = plan.emitters.iter().any(|e| *e == "frame" || *e == "_ws");
            if frame
                || self
                    .pkt
                    .layers
                    .iter()
                    .any(|l| plan.emitters.contains(&l.layer().filter_name()))
            {
                self.pkt.emit(&mut self.col);
            }
        }
    }
}

/// One collected value.
struct Entry<'a> {
    slot: u16,
    value: Value<'a>,
    span: Span,
}

/// The sink of the generic path.
pub(crate) struct Collector<'p, 'a> {
    plan: &'p Plan,
    vals: ArrayVec<Entry<'a>, INLINE_VALUES>,
    spill: Vec<Entry<'a>>,
}

impl fmt::Debug for Collector<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Collector({} values)",
            self.vals.len() + self.spill.len()
        )
    }
}

impl<'a> Sink<'a> for Collector<'_, 'a> {
    fn wants(&self, proto: &str) -> bool {
        self.plan.emitters.contains(&proto) || self.plan.names.contains(&proto)
    }

    fn field(
        &mut self,
        def: &'static FieldDef,
        value: Value<'a>,
        span: Span,
        _label: Option<fmt::Arguments<'_>>,
    ) {
        let slot = self
            .plan
            .slot_of
            .get(def.id_fast() as usize)
            .copied()
            .unwrap_or(NO_SLOT);
        if slot == NO_SLOT {
            return;
        }
        let e = Entry { slot, value, span };
        if let Err(e) = self.vals.try_push(e) {
            self.spill.push(e.element());
        }
    }
}

fn eval(n: &Node, cx: &mut Cx<'_, '_>) -> bool {
    match n {
        Node::And(v) => v.iter().all(|x| eval(x, cx)),
        Node::Or(v) => v.iter().any(|x| eval(x, cx)),
        Node::Xor(a, b) => eval(a, cx) != eval(b, cx),
        Node::Not(x) => !eval(x, cx),
        Node::Exists(acc, slice) => {
            cx.prepare(*acc);
            let mut found = false;
            visit(*acc, cx, |v| {
                found = match slice {
                    None => true,
                    Some(s) => with_bytes(v, |b| slice_of(b, *s).is_some_and(|x| !x.is_empty()))
                        .unwrap_or(false),
                };
                !found
            });
            found
        }
        Node::Test(t) => {
            cx.prepare(t.acc);
            if let Cmp::Field(_, other, _) = &t.cmp {
                cx.prepare(*other);
            }
            let cx: &Cx<'_, '_> = cx;
            match t.quant {
                Quant::Any => {
                    let mut found = false;
                    visit(t.acc, cx, |v| {
                        found = test_value(t, v, cx);
                        !found
                    });
                    found
                }
                Quant::All => {
                    let (mut n, mut ok) = (0usize, true);
                    visit(t.acc, cx, |v| {
                        n += 1;
                        ok = test_value(t, v, cx);
                        ok
                    });
                    ok && n > 0
                }
            }
        }
    }
}

/// Calls `f` on each occurrence of the field until `f` returns false.
fn visit<'c, F: FnMut(Sc<'c>) -> bool>(acc: Access, cx: &'c Cx<'_, '_>, mut f: F) {
    let pkt = cx.pkt;
    match acc {
        Access::Fast(fast) => visit_fast(fast, pkt, f),
        Access::Frame => {
            f(Sc::Bytes(pkt.data));
        }
        Access::Layer { sel, whole } => {
            for l in pkt.layers.iter().filter(|l| sel.matches(l)) {
                let len = if whole { l.len } else { item_len(l) };
                let end = l.off.saturating_add(len);
                let bytes = pkt.data.get(l.off..end.min(pkt.data.len())).unwrap_or(&[]);
                if !f(Sc::Bytes(bytes)) {
                    return;
                }
            }
        }
        Access::Generic { slot, proto } => {
            for e in cx
                .col
                .vals
                .iter()
                .chain(cx.col.spill.iter())
                .filter(|e| e.slot == slot)
            {
                let v = if proto {
                    let end = (e.span.off as usize).saturating_add(e.span.len as usize);
                    Sc::Bytes(
                        pkt.data
                            .get(e.span.off as usize..end.min(pkt.data.len()))
                            .unwrap_or(&[]),
                    )
                } else {
                    scalar(&e.value)
                };
                if !f(v) {
                    return;
                }
            }
        }
    }
}

fn scalar<'c>(v: &'c Value<'_>) -> Sc<'c> {
    match v {
        Value::None => Sc::None,
        Value::Bool(b) => Sc::Int(i128::from(*b)),
        Value::UInt(x) => Sc::Int(i128::from(*x)),
        Value::Int(x) => Sc::Int(i128::from(*x)),
        Value::Float(x) => Sc::Float(*x),
        Value::Ipv4(a) => Sc::Ip4(u32::from_be_bytes(*a)),
        Value::Ipv6(a) => Sc::Ip6(u128::from_be_bytes(*a)),
        Value::Ether(a) => Sc::Ether(*a),
        Value::Bytes(b) => Sc::Bytes(b),
        Value::Str(s) => Sc::Bytes(s.as_bytes()),
        Value::Time(t) => Sc::Int(t.as_nanos()),
        Value::RelTime(ns) => Sc::Int(*ns),
    }
}

/// Stops the enclosing visit when the callback says so.
macro_rules! yield_sc {
    ($f:expr, $v:expr) => {
        if !$f($v) {
            return;
        }
    };
}

fn visit_fast<'c, F: FnMut(Sc<'c>) -> bool>(fast: Fast, pkt: &'c Packet<'_>, mut f: F) {
    let int = |v: u64| Sc::Int(i128::from(v));
    match fast {
        Fast::FrameNumber => {
            f(int(pkt.meta.number));
            return;
        }
        Fast::FrameLen => {
            f(int(u64::from(pkt.meta.orig_len)));
            return;
        }
        Fast::FrameCapLen => {
            f(int(pkt.data.len() as u64));
            return;
        }
        _ => {}
    }
    for l in &pkt.layers {
        match (&l.data, fast) {
            (Decoded::Ethernet(e), Fast::EthSrc) => yield_sc!(f, Sc::Ether(e.src())),
            (Decoded::Ethernet(e), Fast::EthDst) => yield_sc!(f, Sc::Ether(e.dst())),
            (Decoded::Ethernet(e), Fast::EthAddr) => {
                yield_sc!(f, Sc::Ether(e.dst()));
                yield_sc!(f, Sc::Ether(e.src()));
            }
            (Decoded::Vlan(v), Fast::VlanId) if !v.service => yield_sc!(f, int(u64::from(v.id()))),
            (Decoded::Ipv4(ip), Fast::IpSrc) => yield_sc!(f, Sc::Ip4(u32::from_be_bytes(ip.src()))),
            (Decoded::Ipv4(ip), Fast::IpDst) => yield_sc!(f, Sc::Ip4(u32::from_be_bytes(ip.dst()))),
            (Decoded::Ipv4(ip), Fast::IpAddr) => {
                yield_sc!(f, Sc::Ip4(u32::from_be_bytes(ip.src())));
                yield_sc!(f, Sc::Ip4(u32::from_be_bytes(ip.dst())));
            }
            (Decoded::Ipv4(ip), Fast::IpProto) => yield_sc!(f, int(u64::from(ip.proto()))),
            (Decoded::Ipv4(ip), Fast::IpTtl) => yield_sc!(f, int(u64::from(ip.ttl()))),
            (Decoded::Ipv6(ip), Fast::Ip6Src) => {
                yield_sc!(f, Sc::Ip6(u128::from_be_bytes(ip.src())))
            }
            (Decoded::Ipv6(ip), Fast::Ip6Dst) => {
                yield_sc!(f, Sc::Ip6(u128::from_be_bytes(ip.dst())))
            }
            (Decoded::Ipv6(ip), Fast::Ip6Addr) => {
                yield_sc!(f, Sc::Ip6(u128::from_be_bytes(ip.src())));
                yield_sc!(f, Sc::Ip6(u128::from_be_bytes(ip.dst())));
            }
            (Decoded::Tcp(t), Fast::TcpSrc) if t.hdr.len() >= 4 => {
                yield_sc!(f, int(u64::from(t.src_port())))
            }
            (Decoded::Tcp(t), Fast::TcpDst) if t.hdr.len() >= 4 => {
                yield_sc!(f, int(u64::from(t.dst_port())))
            }
            (Decoded::Tcp(t), Fast::TcpPort) if t.hdr.len() >= 4 => {
                yield_sc!(f, int(u64::from(t.src_port())));
                yield_sc!(f, int(u64::from(t.dst_port())));
            }
            (Decoded::Tcp(t), Fast::TcpFlags) if t.hdr.len() >= dissect::tcp::HEADER_LEN => {
                yield_sc!(f, int(u64::from(t.flags())))
            }
            (Decoded::Tcp(t), Fast::TcpFlag(bit)) if t.hdr.len() >= dissect::tcp::HEADER_LEN => {
                yield_sc!(f, int(u64::from(t.flags() & bit != 0)))
            }
            (Decoded::Tcp(t), Fast::TcpLen) if t.hdr.len() >= dissect::tcp::HEADER_LEN => {
                yield_sc!(f, int(u64::from(t.seg_len)))
            }
            (Decoded::Udp(u), Fast::UdpSrc) if u.hdr.len() >= 4 => {
                yield_sc!(f, int(u64::from(u.src_port())))
            }
            (Decoded::Udp(u), Fast::UdpDst) if u.hdr.len() >= 4 => {
                yield_sc!(f, int(u64::from(u.dst_port())))
            }
            (Decoded::Udp(u), Fast::UdpPort) if u.hdr.len() >= 4 => {
                yield_sc!(f, int(u64::from(u.src_port())));
                yield_sc!(f, int(u64::from(u.dst_port())));
            }
            (Decoded::Icmp(i), Fast::IcmpType) => yield_sc!(f, int(u64::from(i.icmp_type()))),
            (Decoded::Arp(a), Fast::ArpSpa) => {
                if let Some(v) = arp_ipv4(a, a.spa()) {
                    yield_sc!(f, Sc::Ip4(v));
                }
            }
            (Decoded::Arp(a), Fast::ArpTpa) => {
                if let Some(v) = arp_ipv4(a, a.tpa()) {
                    yield_sc!(f, Sc::Ip4(v));
                }
            }
            // The emitter gives every TCP header outside ICMP errors the packet's analysis.
            (Decoded::Tcp(t), Fast::TcpStream) if !t.in_error && t.hdr.len() >= 4 => {
                if let Some(a) = &pkt.analysis.tcp {
                    yield_sc!(f, int(u64::from(a.stream)));
                }
            }
            (Decoded::Tcp(t), Fast::TcpAnalysis { bit, retrans })
                if !t.in_error && t.hdr.len() >= dissect::tcp::HEADER_LEN =>
            {
                if let Some(a) = &pkt.analysis.tcp {
                    use crate::flow::TcpFlags as A;
                    let flags = a.flags;
                    let mut n = usize::from(flags.contains(A(bit)));
                    if retrans {
                        n += usize::from(flags.contains(A::FAST_RETRANSMISSION));
                        n += usize::from(flags.contains(A::SPURIOUS_RETRANSMISSION));
                    }
                    for _ in 0..n {
                        yield_sc!(f, Sc::None);
                    }
                }
            }
            (Decoded::Udp(u), Fast::UdpStream) if !u.in_error => {
                if let Some(a) = &pkt.analysis.udp {
                    yield_sc!(f, int(u64::from(a.stream)));
                }
            }
            _ => {}
        }
    }
}

/// An ARP protocol address as the emitter gives it: IPv4 when the protocol type is IPv4 and
/// the address has its announced length of 4.
fn arp_ipv4(a: &crate::dissect::arp::Arp<'_>, addr: &[u8]) -> Option<u32> {
    let plen = usize::from(*a.data.get(5)?);
    let ptype = a.data.get(2..4).map(|b| b == [0x08, 0x00]);
    if plen != 4 || addr.len() != plen || ptype != Some(true) {
        return None;
    }
    <[u8; 4]>::try_from(addr).ok().map(u32::from_be_bytes)
}

/// Applies slice and mask to one occurrence and compares it.
fn test_value(t: &TestNode, v: Sc<'_>, cx: &Cx<'_, '_>) -> bool {
    let mut tmp = [0u8; 16];
    let v = match t.slice {
        None => v,
        Some(s) => {
            let Some(b) = bytes_of(&v, &mut tmp) else {
                return false;
            };
            match slice_of(b, s) {
                Some(x) => Sc::Bytes(x),
                None => return false,
            }
        }
    };
    let mut buf = [0u8; MAX_MASK];
    let v = match (&t.mask, v) {
        (None, v) => v,
        (Some(Mask::Int(m)), Sc::Int(x)) => Sc::Int(x & m),
        (Some(Mask::Bytes(m)), Sc::Bytes(b)) => {
            let mut n = 0;
            for ((o, x), y) in buf.iter_mut().zip(b).zip(m.iter()) {
                *o = x & y;
                n += 1;
            }
            Sc::Bytes(buf.get(..n).unwrap_or(&[]))
        }
        (Some(Mask::Bytes(m)), Sc::Ether(a)) => {
            let mut n = 0;
            for ((o, x), y) in buf.iter_mut().zip(a.iter()).zip(m.iter()) {
                *o = x & y;
                n += 1;
            }
            Sc::Bytes(buf.get(..n).unwrap_or(&[]))
        }
        _ => return false,
    };
    match &t.cmp {
        Cmp::Key(op, k) => cmp_key(*op, &v, k),
        Cmp::Nonzero => match v {
            Sc::Int(x) => x != 0,
            Sc::Bytes(b) => b.iter().any(|x| *x != 0),
            _ => false,
        },
        Cmp::Contains(needle) => match v {
            Sc::Bytes(hay) => needle.find(hay).is_some(),
            _ => false,
        },
        Cmp::Matches(re) => match v {
            Sc::Bytes(hay) => re.is_match(hay),
            _ => false,
        },
        Cmp::In(items) => items.iter().any(|(lo, hi)| match hi {
            None => cmp_key(Op::Eq, &v, lo),
            Some(hi) => cmp_key(Op::Ge, &v, lo) && cmp_key(Op::Le, &v, hi),
        }),
        Cmp::Field(op, other, oslice) => {
            let mut hit = false;
            let all = t.quant == Quant::All;
            visit(*other, cx, |w| {
                let mut tmp2 = [0u8; 16];
                let w = match oslice {
                    None => Some(w),
                    Some(s) => bytes_of(&w, &mut tmp2)
                        .and_then(|b| slice_of(b, *s))
                        .map(Sc::Bytes),
                };
                let r = w.is_some_and(|w| cmp_sc(*op, &v, &w));
                // Any: one pair is enough. All: every pair must hold.
                hit = r;
                if all {
                    r
                } else {
                    !r
                }
            });
            hit
        }
    }
}

/// A value as bytes (for slices): addresses in network order.
fn bytes_of<'x>(v: &Sc<'x>, tmp: &'x mut [u8; 16]) -> Option<&'x [u8]> {
    match *v {
        Sc::Bytes(b) => Some(b),
        Sc::Ether(a) => {
            tmp.get_mut(..6)?.copy_from_slice(&a);
            tmp.get(..6)
        }
        Sc::Ip4(a) => {
            tmp.get_mut(..4)?.copy_from_slice(&a.to_be_bytes());
            tmp.get(..4)
        }
        Sc::Ip6(a) => {
            *tmp = a.to_be_bytes();
            Some(tmp.as_slice())
        }
        _ => None,
    }
}

fn with_bytes<R>(v: Sc<'_>, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
    let mut tmp = [0u8; 16];
    bytes_of(&v, &mut tmp).map(f)
}

/// The bytes a slice selects; `None` when the range is not inside the value.
fn slice_of(b: &[u8], s: Slice) -> Option<&[u8]> {
    let len = b.len() as i64;
    let mut start = i64::from(s.start);
    if start < 0 {
        start += len;
    }
    if start < 0 || start > len {
        return None;
    }
    let end = match s.len {
        Some(n) => start + i64::from(n),
        None => len,
    };
    if end > len || end <= start {
        return None;
    }
    b.get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
}

fn apply(op: Op, o: Option<Ordering>) -> bool {
    let Some(o) = o else {
        return false;
    };
    match op {
        Op::Eq => o == Ordering::Equal,
        Op::Ne => o != Ordering::Equal,
        Op::Lt => o == Ordering::Less,
        Op::Le => o != Ordering::Greater,
        Op::Gt => o == Ordering::Greater,
        Op::Ge => o != Ordering::Less,
        _ => false,
    }
}

fn cmp_key(op: Op, v: &Sc<'_>, k: &Key) -> bool {
    let o = match (v, k) {
        (Sc::Int(a), Key::Int(b)) => Some(a.cmp(b)),
        (Sc::Float(a), Key::Float(b)) => a.partial_cmp(b),
        (Sc::Float(a), Key::Int(b)) => a.partial_cmp(&(*b as f64)),
        (Sc::Ip4(a), Key::Ip4 { addr, mask }) => {
            if matches!(op, Op::Eq | Op::Ne) {
                return ((a & mask) == (addr & mask)) == (op == Op::Eq);
            }
            Some(a.cmp(addr))
        }
        (Sc::Ip6(a), Key::Ip6 { addr, mask }) => {
            if matches!(op, Op::Eq | Op::Ne) {
                return ((a & mask) == (addr & mask)) == (op == Op::Eq);
            }
            Some(a.cmp(addr))
        }
        (Sc::Ether(a), Key::Ether(b)) => Some(a.cmp(b)),
        (Sc::Ether(a), Key::Bytes(b)) => Some(a.as_slice().cmp(b)),
        (Sc::Bytes(a), Key::Bytes(b)) => Some((*a).cmp(b.as_ref())),
        (Sc::Bytes(a), Key::Ether(b)) => Some((*a).cmp(b.as_slice())),
        _ => None,
    };
    apply(op, o)
}

fn cmp_sc(op: Op, a: &Sc<'_>, b: &Sc<'_>) -> bool {
    let o = match (a, b) {
        (Sc::Int(x), Sc::Int(y)) => Some(x.cmp(y)),
        (Sc::Float(x), Sc::Float(y)) => x.partial_cmp(y),
        (Sc::Float(x), Sc::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Sc::Int(x), Sc::Float(y)) => (*x as f64).partial_cmp(y),
        (Sc::Ip4(x), Sc::Ip4(y)) => Some(x.cmp(y)),
        (Sc::Ip6(x), Sc::Ip6(y)) => Some(x.cmp(y)),
        (Sc::Ether(x), Sc::Ether(y)) => Some(x.cmp(y)),
        (Sc::Bytes(x), Sc::Bytes(y)) => Some((*x).cmp(*y)),
        _ => None,
    };
    if op == Op::Contains {
        return match (a, b) {
            (Sc::Bytes(x), Sc::Bytes(y)) => memchr::memmem::find(x, y).is_some(),
            _ => false,
        };
    }
    apply(op, o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_layers_lists_every_layer_once() {
        for (i, l) in registry::all_layers().enumerate() {
            assert_eq!(l.index(), i, "{l:?}");
        }
        assert!(
            registry::all_layers().count() <= 64,
            "the viewer keeps 64 layer bits"
        );
    }

    #[test]
    fn slices_select_inside_the_value() {
        let b = [1u8, 2, 3, 4];
        let s = |start, len| slice_of(&b, Slice { start, len });
        assert_eq!(s(0, Some(2)), Some(&b[..2]));
        assert_eq!(s(-1, Some(1)), Some(&b[3..]));
        assert_eq!(s(2, None), Some(&b[2..]));
        assert_eq!(s(3, Some(2)), None);
        assert_eq!(s(4, None), None);
        assert_eq!(s(-5, Some(1)), None);
    }

    #[test]
    fn contains_finds_and_misses_on_crafted_bytes() {
        // The input on which a naive scan costs |hay|·|needle| (every position matches all
        // but the last byte): this checks the answers only; speed is not asserted here
        // (memchr's Two-Way searcher is linear by construction).
        let hay = vec![b'a'; 1 << 20];
        let mut needle = vec![b'a'; 4096];
        needle.push(b'b');
        let f = memchr::memmem::Finder::new(&needle);
        assert!(f.find(&hay).is_none());
        assert!(memchr::memmem::find(b"hello world", b"o w").is_some());
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Hooks for the corpus consistency tests: the values a field has in a packet, read
    //! through the fast path and through the generic (sink) path.
    use super::*;

    /// A comparable, owned form of [`Sc`].
    #[derive(Clone, Debug, PartialEq)]
    pub(crate) enum Owned {
        Int(i128),
        Float(u64),
        Ip4(u32),
        Ip6(u128),
        Ether([u8; 6]),
        Bytes(Vec<u8>),
        None,
    }

    fn own(v: Sc<'_>) -> Owned {
        match v {
            Sc::Int(x) => Owned::Int(x),
            Sc::Float(x) => Owned::Float(x.to_bits()),
            Sc::Ip4(x) => Owned::Ip4(x),
            Sc::Ip6(x) => Owned::Ip6(x),
            Sc::Ether(x) => Owned::Ether(x),
            Sc::Bytes(b) => Owned::Bytes(b.to_vec()),
            Sc::None => Owned::None,
        }
    }

    /// Values of `def` in `pkt` through the path a compiled filter uses.
    pub(crate) fn values(def: &'static FieldDef, pkt: &Packet<'_>) -> Vec<Owned> {
        let mut plan = Plan {
            slot_of: vec![NO_SLOT; schema().len()],
            ..Plan::default()
        };
        let acc = access(&FieldRef::new(def), None, &mut plan);
        let mut cx = Cx::new(pkt, &plan);
        cx.prepare(acc);
        let mut out = Vec::new();
        visit(acc, &cx, |v| {
            out.push(own(v));
            true
        });
        out
    }

    /// Values of each of `defs` in one emission; `restricted`: the sink wants only the
    /// protocols of `defs` (as a compiled filter's would), else everything.
    pub(crate) fn collect(
        defs: &[&'static FieldDef],
        pkt: &Packet<'_>,
        restricted: bool,
    ) -> Vec<Vec<Owned>> {
        let mut plan = Plan {
            slot_of: vec![NO_SLOT; schema().len()],
            ..Plan::default()
        };
        for (i, def) in defs.iter().enumerate() {
            if let Some(s) = plan.slot_of.get_mut(def.id() as usize) {
                *s = i as u16;
            }
            let prefix = def.protocol();
            for p in std::iter::once(prefix).chain(emitters_of(prefix).iter().copied()) {
                if !plan.emitters.contains(&p) {
                    plan.emitters.push(p);
                }
            }
            plan.names.push(def.name);
        }
        struct All<'p, 'a>(Collector<'p, 'a>, bool);
        impl<'a> Sink<'a> for All<'_, 'a> {
            fn wants(&self, proto: &str) -> bool {
                !self.1 || self.0.wants(proto)
            }
            fn field(
                &mut self,
                d: &'static FieldDef,
                v: Value<'a>,
                s: Span,
                l: Option<fmt::Arguments<'_>>,
            ) {
                self.0.field(d, v, s, l);
            }
        }
        let mut sink = All(
            Collector {
                plan: &plan,
                vals: ArrayVec::new(),
                spill: Vec::new(),
            },
            restricted,
        );
        pkt.emit(&mut sink);
        let mut out = vec![Vec::new(); defs.len()];
        for e in sink.0.vals.iter().chain(sink.0.spill.iter()) {
            let Some(def) = defs.get(usize::from(e.slot)) else {
                continue;
            };
            let v = if def.ftype == FieldType::Protocol {
                let end = (e.span.off as usize).saturating_add(e.span.len as usize);
                own(Sc::Bytes(
                    pkt.data
                        .get(e.span.off as usize..end.min(pkt.data.len()))
                        .unwrap_or(&[]),
                ))
            } else {
                own(scalar(&e.value))
            };
            if let Some(o) = out.get_mut(usize::from(e.slot)) {
                o.push(v);
            }
        }
        out
    }

    /// Whether the compiler reads `def` without the sink.
    pub(crate) fn is_direct(def: &'static FieldDef) -> bool {
        let mut plan = Plan {
            slot_of: vec![NO_SLOT; schema().len()],
            ..Plan::default()
        };
        !matches!(
            access(&FieldRef::new(def), None, &mut plan),
            Access::Generic { .. }
        )
    }
}
