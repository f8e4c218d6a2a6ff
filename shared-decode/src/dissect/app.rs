//! Protocols declared as table rows: **a protocol is one file** that defines one
//! [`AppProtocol`] — its fields, its dissector, the handoffs that reach it (ports, IP
//! protocol numbers, heuristics), how it emits fields, its Protocol/Info column text, its
//! tcpdump summary and what the anonymiser may keep of it — and one line in
//! [`super::registry::APPS`] registers it (Wireshark's `proto_register_*` plus
//! `dissector_add_uint`, Zeek's analyzer tables).
//!
//! Every consumer reads the row instead of matching a variant of its own: the details tree
//! and JSON ([`super::Packet::emit`]), the field schema ([`super::field_lists`]), the
//! dissector tables ([`super::registry::run`]), the columns ([`crate::dissect::columns`]),
//! the tcpdump text ([`crate::format::tcpdump`]), the filter's protocol-presence test and
//! the viewer's per-packet layer bits ([`crate::error::Layer::index`]), the anonymiser
//! ([`crate::export::anon`]).
//!
//! The dissect pass stays cheap: a row's dissector only validates the message and records
//! where it is ([`App`] keeps the bytes and one word of its own); fields are produced from
//! the bytes again when they are asked for.

use super::{Decoded, DissectCx, DissectFn, DissectResult, Dissected, EmitCx, Next};
use crate::error::AppId;
use crate::field::{FieldDef, Sink};
use std::fmt;

/// What reaches a table-declared protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handoff {
    /// A TCP port (either end; the lower port of a connection is tried first).
    TcpPort(u16),
    /// A UDP port.
    UdpPort(u16),
    /// An IP protocol number (IPv4 protocol, IPv6 next header).
    IpProto(u8),
    /// Tried on TCP payloads no port claimed, after the built-in heuristics.
    TcpHeuristic,
    /// Tried on UDP payloads no port claimed.
    UdpHeuristic,
}

/// How the anonymiser treats the protocol's bytes.
#[derive(Clone, Copy, Debug)]
pub enum AnonPolicy {
    /// Application data: kept only when the user keeps payloads (`--payload keep`),
    /// zeroed or cut otherwise — like DNS, HTTP and TLS.
    AppData,
    /// A transport header of `header` bytes the anonymiser keeps (it holds no address),
    /// followed by payload treated as transport payload.
    Transport {
        /// Bytes of header kept as they are.
        header: usize,
    },
    /// Application data that, when payloads are kept, is kept rewritten: the protocol lists
    /// where its addresses are and what to zero ([`AnonEdit`]); everything else stays.
    Rewrite(AnonPlanFn),
}

/// Lists the anonymiser's edits for one message (offsets from the message's first byte).
pub type AnonPlanFn = fn(&[u8], &mut Vec<AnonEdit>);

/// One edit of an anonymisation plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnonEdit {
    /// An IPv4 address at this offset: replaced by its pseudonym.
    Ipv4(usize),
    /// An IPv6 address.
    Ipv6(usize),
    /// A MAC address.
    Mac(usize),
    /// Bytes that identify (names, client ids, unknown options): zeroed.
    Zero(std::ops::Range<usize>),
}

/// Which side of a transport conversation sent a message, judged by ports the way
/// Wireshark's dissectors do (the message goes *to* the protocol's registered port).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// To the registered (server) port.
    Client,
    /// From the registered port.
    Server,
    /// Neither or both ports are the registered one.
    Unknown,
}

/// One table row: everything paircap knows about a protocol.
pub struct AppProtocol {
    /// Filter name and registry row.
    pub id: AppId,
    /// The protocol field (`ssh`), present whenever the layer is.
    pub def: &'static FieldDef,
    /// Every field the protocol emits (schema, filter names, autocompletion).
    pub fields: &'static [&'static FieldDef],
    /// Other protocols whose fields this one emits too (QUIC emits `tls.*` for the
    /// ClientHello in its CRYPTO frames): sinks that want only those still get this layer,
    /// and the viewer does not take such a field as proof that the other layer is present.
    pub also_emits: &'static [&'static str],
    /// What hands bytes to the dissector.
    pub handoffs: &'static [Handoff],
    /// Validates the message; returns [`super::Decoded::App`] (or declines with `Ok(None)`).
    pub dissect: DissectFn,
    /// Emits the fields of a dissected message (`off`: the layer's offset in the frame).
    pub emit: for<'a> fn(&App<'a>, off: usize, cx: &EmitCx<'_, 'a>, sink: &mut dyn Sink<'a>),
    /// Writes the Protocol and Info columns.
    pub columns: fn(&App<'_>, &mut ColumnText<'_>),
    /// Writes tcpdump's summary after the transport's (`None`: tcpdump prints nothing of
    /// its own for this protocol, only the transport line).
    pub tcpdump: Option<fn(&App<'_>, &mut TcpdumpText<'_>)>,
    /// What the anonymiser keeps.
    pub anon: AnonPolicy,
    /// For transports (SCTP): the source and destination port, which tcpdump prints with
    /// the addresses (`a.b.c.d.7 > e.f.g.h.7:`).
    pub ports: Option<PortsFn>,
}

/// Reads a transport's (source, destination) ports from its message.
pub type PortsFn = fn(&App<'_>) -> Option<(u16, u16)>;

impl fmt::Debug for AppProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id.name)
    }
}

impl AppProtocol {
    /// Whether `h` reaches this protocol.
    pub fn handles(&self, h: Handoff) -> bool {
        self.handoffs.contains(&h)
    }
}

/// A dissected message of a table-declared protocol (zero-copy).
#[derive(Clone, Copy)]
pub struct App<'a> {
    /// Its row.
    pub proto: &'static AppProtocol,
    /// The message bytes (this layer's, up to the end of what it claims).
    pub data: &'a [u8],
    /// Who sent it.
    pub side: Side,
    /// One word the dissector keeps for the emitter and the columns (a message kind, a
    /// version ...), meaning defined by the protocol's file.
    pub aux: u32,
}

impl fmt::Debug for App<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("proto", &self.proto.id.name)
            .field("len", &self.data.len())
            .field("side", &self.side)
            .field("aux", &self.aux)
            .finish()
    }
}

impl<'a> App<'a> {
    /// A message of `proto` covering `data`.
    pub fn new(proto: &'static AppProtocol, data: &'a [u8], side: Side, aux: u32) -> Self {
        App {
            proto,
            data,
            side,
            aux,
        }
    }
}

/// A row's message that takes all of `data` (what every row's dissector answers when it
/// claims the bytes).
pub fn claim<'a>(
    proto: &'static AppProtocol,
    data: &'a [u8],
    side: Side,
    aux: u32,
) -> DissectResult<'a> {
    Ok(Some(Dissected::new(
        Decoded::App(App::new(proto, data, side, aux)),
        data.len(),
        data.len(),
        Next::Done,
    )))
}

/// Where a row writes its columns.
pub struct ColumnText<'s> {
    /// The Protocol column (empty on entry).
    pub protocol: &'s mut String,
    /// The Info column (may already hold TCP analysis prefixes).
    pub info: &'s mut String,
}

/// Where a row writes its tcpdump summary, and what it may know of the transport.
pub struct TcpdumpText<'s> {
    /// The line being built; the transport part is already written, up to and including
    /// its `length N` for TCP, and up to the addresses (`a.b > c.d: `) for UDP.
    pub out: &'s mut String,
    /// Transport payload length.
    pub payload_len: usize,
    /// tcpdump's `-v` count.
    pub verbose: u8,
}

/// The side of a message sent between ports `src` and `dst`, `server` being the
/// protocol's registered port.
pub fn side_by_port(cx: &DissectCx, server: u16) -> Side {
    match cx.ports {
        Some((s, d)) if d == server && s != server => Side::Client,
        Some((s, d)) if s == server && d != server => Side::Server,
        _ => Side::Unknown,
    }
}
