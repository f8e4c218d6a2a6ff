//! Conversations and endpoints (tshark's `-z conv,TYPE` and `-z endpoints,TYPE`).
//!
//! What counts follows tshark 4.0's taps: one entry per header of the kind in a frame (a
//! tunnelled frame counts in both its outer and inner conversations), the frame's length on
//! the wire as its bytes, TCP conversations told apart by `tcp.stream` (a reused port pair
//! is a new conversation), headers quoted inside ICMP errors left out. A conversation's
//! "A" end is the sender of its first frame; `->` counts frames from A.

use crate::dissect::{Decoded, IpPseudo, Packet};
use crate::format::json::push_json_str;
use crate::text;
use std::collections::HashMap;
use std::fmt::Write as _;

/// Which header a table is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Ethernet addresses.
    Eth,
    /// IPv4 addresses.
    Ip,
    /// IPv6 addresses.
    Ipv6,
    /// TCP address and port pairs, one per `tcp.stream`.
    Tcp,
    /// UDP address and port pairs.
    Udp,
}

impl Kind {
    /// From tshark's name for it.
    pub fn parse(s: &str) -> Result<Kind, String> {
        Ok(match s {
            "eth" => Kind::Eth,
            "ip" => Kind::Ip,
            "ipv6" => Kind::Ipv6,
            "tcp" => Kind::Tcp,
            "udp" => Kind::Udp,
            _ => return Err(format!("unknown type {s:?}: eth, ip, ipv6, tcp or udp")),
        })
    }

    /// tshark's name for it (`conv,NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Eth => "eth",
            Kind::Ip => "ip",
            Kind::Ipv6 => "ipv6",
            Kind::Tcp => "tcp",
            Kind::Udp => "udp",
        }
    }

    /// The protocol's short name in the tables' titles.
    fn title(self) -> &'static str {
        match self {
            Kind::Eth => "Ethernet",
            Kind::Ip => "IPv4",
            Kind::Ipv6 => "IPv6",
            Kind::Tcp => "TCP",
            Kind::Udp => "UDP",
        }
    }

    fn has_ports(self) -> bool {
        matches!(self, Kind::Tcp | Kind::Udp)
    }
}

/// An address of any kind the tables hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Addr {
    /// MAC.
    Mac([u8; 6]),
    /// IPv4.
    V4([u8; 4]),
    /// IPv6.
    V6([u8; 16]),
}

impl Addr {
    /// As tshark prints it with `-n`.
    pub fn push(&self, out: &mut String) {
        match *self {
            Addr::Mac(a) => text::push_mac(out, a),
            Addr::V4(a) => text::push_ipv4(out, a),
            Addr::V6(a) => text::push_ipv6(out, a),
        }
    }

    fn to_text(self) -> String {
        let mut s = String::new();
        self.push(&mut s);
        s
    }
}

/// One end: an address and, for TCP and UDP, a port.
pub type End = (Addr, u16);

/// One conversation.
#[derive(Clone, Debug)]
pub struct Conv {
    /// The sender of the first frame.
    pub a: End,
    /// The other end.
    pub b: End,
    /// Frames and bytes A → B.
    pub ab: (u64, u64),
    /// Frames and bytes B → A.
    pub ba: (u64, u64),
    /// First and last frame, ns since the capture's first frame.
    pub start_ns: i128,
    /// Last frame.
    pub stop_ns: i128,
    /// `tcp.stream` for TCP.
    pub stream: Option<u32>,
}

/// One endpoint.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// Address and port.
    pub end: End,
    /// Frames and bytes it sent.
    pub tx: (u64, u64),
    /// Frames and bytes it received.
    pub rx: (u64, u64),
}

impl Endpoint {
    /// Frames, bytes, frames sent, bytes sent, frames received, bytes received.
    pub fn counts(&self) -> [u64; 6] {
        let (t, r) = (self.tx, self.rx);
        [t.0 + r.0, t.1 + r.1, t.0, t.1, r.0, r.1]
    }
}

impl Conv {
    /// Frames, bytes, frames A → B, bytes A → B, frames B → A, bytes B → A.
    pub fn counts(&self) -> [u64; 6] {
        let (ab, ba) = (self.ab, self.ba);
        [ab.0 + ba.0, ab.1 + ba.1, ab.0, ab.1, ba.0, ba.1]
    }
}

/// At most this many rows per table; frames of further conversations or endpoints are
/// counted in [`Table::overflow`] (a scan or flood cannot grow the table without bound).
pub const MAX_ROWS: usize = 4_000_000;

/// A conversations or endpoints table being filled.
pub struct Table {
    kind: Kind,
    endpoints: bool,
    convs: Vec<Conv>,
    conv_at: HashMap<(End, End, u32), u32>,
    ends: Vec<Endpoint>,
    end_at: HashMap<End, u32>,
    /// Frames not counted because the table was full.
    pub overflow: u64,
}

impl Table {
    /// An empty table of conversations (or, with `endpoints`, of endpoints).
    pub fn new(kind: Kind, endpoints: bool) -> Table {
        Table {
            kind,
            endpoints,
            convs: Vec::new(),
            conv_at: HashMap::new(),
            ends: Vec::new(),
            end_at: HashMap::new(),
            overflow: 0,
        }
    }

    /// The conversations so far, in first-seen order.
    pub fn conversations(&self) -> &[Conv] {
        &self.convs
    }

    /// The endpoints so far, in first-seen order.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.ends
    }

    /// Counts one frame.
    pub fn observe(&mut self, pkt: &Packet<'_>) {
        let bytes = u64::from(pkt.meta.orig_len);
        // A frame without a time stamp (a pcapng Simple Packet Block) is at 0 for tshark.
        let t = if pkt.meta.has_ts { pkt.meta.rel_ns } else { 0 };
        let stream = pkt.analysis.tcp.as_ref().map(|a| a.stream);
        for l in &pkt.layers {
            let pair: Option<(End, End, u32)> = match (&l.data, self.kind) {
                (Decoded::Ethernet(e), Kind::Eth) => {
                    Some(((Addr::Mac(e.src()), 0), (Addr::Mac(e.dst()), 0), 0))
                }
                (Decoded::Ipv4(ip), Kind::Ip) if !ip.in_error => {
                    Some(((Addr::V4(ip.src()), 0), (Addr::V4(ip.dst()), 0), 0))
                }
                (Decoded::Ipv6(ip), Kind::Ipv6) if !ip.in_error => {
                    Some(((Addr::V6(ip.src()), 0), (Addr::V6(ip.dst()), 0), 0))
                }
                (Decoded::Tcp(tc), Kind::Tcp) if !tc.in_error => tc.ip.map(|ip| {
                    let (s, d) = addrs(ip);
                    (
                        (s, tc.src_port()),
                        (d, tc.dst_port()),
                        stream.unwrap_or(u32::MAX),
                    )
                }),
                (Decoded::Udp(u), Kind::Udp) if !u.in_error => u.ip.map(|ip| {
                    let (s, d) = addrs(ip);
                    ((s, u.src_port()), (d, u.dst_port()), 0)
                }),
                _ => None,
            };
            let Some((src, dst, id)) = pair else { continue };
            if self.endpoints {
                self.end(src, true, bytes);
                self.end(dst, false, bytes);
            } else {
                self.conv(src, dst, id, bytes, t);
            }
        }
    }

    fn conv(&mut self, src: End, dst: End, id: u32, bytes: u64, t: i128) {
        let key = if src <= dst {
            (src, dst, id)
        } else {
            (dst, src, id)
        };
        let i = match self.conv_at.get(&key) {
            Some(&i) => i as usize,
            None => {
                if self.convs.len() >= MAX_ROWS {
                    self.overflow += 1;
                    return;
                }
                self.conv_at.insert(key, self.convs.len() as u32);
                self.convs.push(Conv {
                    a: src,
                    b: dst,
                    ab: (0, 0),
                    ba: (0, 0),
                    start_ns: t,
                    stop_ns: t,
                    stream: (self.kind == Kind::Tcp && id != u32::MAX).then_some(id),
                });
                self.convs.len() - 1
            }
        };
        if let Some(c) = self.convs.get_mut(i) {
            let d = if c.a == src && c.b == dst {
                &mut c.ab
            } else {
                &mut c.ba
            };
            d.0 += 1;
            d.1 += bytes;
            c.start_ns = c.start_ns.min(t);
            c.stop_ns = c.stop_ns.max(t);
        }
    }

    fn end(&mut self, e: End, sent: bool, bytes: u64) {
        let i = match self.end_at.get(&e) {
            Some(&i) => i as usize,
            None => {
                if self.ends.len() >= MAX_ROWS {
                    self.overflow += 1;
                    return;
                }
                self.end_at.insert(e, self.ends.len() as u32);
                self.ends.push(Endpoint {
                    end: e,
                    tx: (0, 0),
                    rx: (0, 0),
                });
                self.ends.len() - 1
            }
        };
        if let Some(x) = self.ends.get_mut(i) {
            let d = if sent { &mut x.tx } else { &mut x.rx };
            d.0 += 1;
            d.1 += bytes;
        }
    }

    /// Row order of tshark's tables: most frames first, ties in first-seen order.
    fn order(&self) -> Vec<usize> {
        let mut v: Vec<usize> = if self.endpoints {
            (0..self.ends.len()).collect()
        } else {
            (0..self.convs.len()).collect()
        };
        let total = |i: usize| -> u64 {
            if self.endpoints {
                self.ends.get(i).map_or(0, |e| e.tx.0 + e.rx.0)
            } else {
                self.convs.get(i).map_or(0, |c| c.ab.0 + c.ba.0)
            }
        };
        v.sort_by_key(|&i| std::cmp::Reverse(total(i)));
        v
    }

    fn end_text(&self, e: End) -> String {
        let mut s = e.0.to_text();
        if self.kind.has_ports() {
            let _ = write!(s, ":{}", e.1);
        }
        s
    }

    /// tshark's text.
    pub fn text(&self, out: &mut String) {
        let rule =
            "================================================================================\n";
        out.push_str(rule);
        let what = if self.endpoints {
            "Endpoints"
        } else {
            "Conversations"
        };
        let _ = writeln!(out, "{} {what}", self.kind.title());
        out.push_str("Filter:<No Filter>\n");
        let ports = self.kind.has_ports();
        if self.endpoints {
            let _ = writeln!(
                out,
                "                       |  {}Packets  | |  Bytes  | | Tx Packets | | Tx Bytes | | Rx Packets | | Rx Bytes |",
                if ports { "Port  ||  " } else { "" }
            );
            for i in self.order() {
                let Some(e) = self.ends.get(i) else { continue };
                let _ = write!(out, "{:<20}      ", e.end.0.to_text());
                if ports {
                    let _ = write!(out, "{:>5}     ", e.end.1);
                }
                let [n, b, tn, tb, rn, rb] = e.counts();
                let _ = writeln!(
                    out,
                    "{n:>6}     {b:>9}     {tn:>6}       {tb:>9}      {rn:>6}       {rb:>9}   "
                );
            }
        } else {
            let pad = if ports { "            " } else { "" };
            let _ = writeln!(out, "{pad}                                               |       <-      | |       ->      | |     Total     |    Relative    |   Duration   |");
            let _ = writeln!(out, "{pad}                                               | Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |");
            let w = if ports { 26 } else { 20 };
            for i in self.order() {
                let Some(c) = self.convs.get(i) else { continue };
                let _ = writeln!(
                    out,
                    "{:<w$} <-> {:<w$}  {:>6} {:<9}  {:>6} {:<9}  {:>6} {:<9}  {:>14.9}   {:>12.4}",
                    self.end_text(c.a),
                    self.end_text(c.b),
                    c.ba.0,
                    super::format_size(c.ba.1),
                    c.ab.0,
                    super::format_size(c.ab.1),
                    c.ab.0 + c.ba.0,
                    super::format_size(c.ab.1 + c.ba.1),
                    secs(c.start_ns),
                    secs(c.stop_ns) - secs(c.start_ns),
                );
            }
        }
        out.push_str(rule);
    }

    /// `{"statistic": "conv,tcp", "rows": [...]}`; bytes and frames exact, times in seconds.
    pub fn json(&self, out: &mut String) {
        let name = format!(
            "{},{}",
            if self.endpoints { "endpoints" } else { "conv" },
            self.kind.name()
        );
        out.push_str("{\"statistic\":");
        push_json_str(out, &name);
        let _ = write!(out, ",\"overflow_frames\":{},\"rows\":[", self.overflow);
        let ports = self.kind.has_ports();
        for (k, i) in self.order().into_iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            if self.endpoints {
                let Some(e) = self.ends.get(i) else { continue };
                out.push_str("{\"address\":");
                push_json_str(out, &e.end.0.to_text());
                if ports {
                    let _ = write!(out, ",\"port\":{}", e.end.1);
                }
                let [n, b, tn, tb, rn, rb] = e.counts();
                let _ = write!(
                    out,
                    ",\"frames\":{n},\"bytes\":{b},\"tx_frames\":{tn},\"tx_bytes\":{tb},\"rx_frames\":{rn},\"rx_bytes\":{rb}}}"
                );
            } else {
                let Some(c) = self.convs.get(i) else { continue };
                out.push_str("{\"a\":");
                push_json_str(out, &c.a.0.to_text());
                if ports {
                    let _ = write!(out, ",\"a_port\":{}", c.a.1);
                }
                out.push_str(",\"b\":");
                push_json_str(out, &c.b.0.to_text());
                if ports {
                    let _ = write!(out, ",\"b_port\":{}", c.b.1);
                }
                if let Some(s) = c.stream {
                    let _ = write!(out, ",\"stream\":{s}");
                }
                let _ = write!(
                    out,
                    ",\"frames_ab\":{},\"bytes_ab\":{},\"frames_ba\":{},\"bytes_ba\":{},\"start\":{:.9},\"duration\":{:.9}}}",
                    c.ab.0,
                    c.ab.1,
                    c.ba.0,
                    c.ba.1,
                    secs(c.start_ns),
                    secs(c.stop_ns) - secs(c.start_ns)
                );
            }
        }
        out.push_str("]}");
    }
}

impl Table {
    /// The filter field of this table's addresses.
    fn addr_field(&self, a: &Addr) -> &'static str {
        match a {
            Addr::Mac(_) => "eth.addr",
            Addr::V4(_) => "ip.addr",
            Addr::V6(_) => "ipv6.addr",
        }
    }

    fn end_filter(&self, e: End) -> String {
        let mut f = format!("{} == {}", self.addr_field(&e.0), e.0.to_text());
        if self.kind.has_ports() {
            let _ = write!(f, " && {}.port == {}", self.kind.name(), e.1);
        }
        f
    }

    /// The table for a viewer: tshark's columns, most frames first, each row with the
    /// filter that selects its packets.
    pub fn grid(&self) -> super::Grid {
        let ports = self.kind.has_ports();
        let mut g = super::Grid::default();
        let col = |g: &mut super::Grid, name: &str, num: bool| {
            g.columns.push(name.to_string());
            g.numeric.push(num);
        };
        if self.endpoints {
            col(&mut g, "Address", false);
            if ports {
                col(&mut g, "Port", true);
            }
            for c in [
                "Packets",
                "Bytes",
                "Tx Packets",
                "Tx Bytes",
                "Rx Packets",
                "Rx Bytes",
            ] {
                col(&mut g, c, true);
            }
            for i in self.order() {
                let Some(e) = self.ends.get(i) else { continue };
                let mut cells = vec![e.end.0.to_text()];
                if ports {
                    cells.push(e.end.1.to_string());
                }
                cells.extend(e.counts().map(|v| v.to_string()));
                g.rows.push((cells, Some(self.end_filter(e.end))));
            }
        } else {
            col(&mut g, "Address A", false);
            if ports {
                col(&mut g, "Port A", true);
            }
            col(&mut g, "Address B", false);
            if ports {
                col(&mut g, "Port B", true);
            }
            for c in [
                "Packets",
                "Bytes",
                "Packets A → B",
                "Bytes A → B",
                "Packets B → A",
                "Bytes B → A",
                "Rel Start",
                "Duration",
            ] {
                col(&mut g, c, true);
            }
            if self.kind == Kind::Tcp {
                col(&mut g, "Stream", true);
            }
            for i in self.order() {
                let Some(c) = self.convs.get(i) else { continue };
                let mut cells = vec![c.a.0.to_text()];
                if ports {
                    cells.push(c.a.1.to_string());
                }
                cells.push(c.b.0.to_text());
                if ports {
                    cells.push(c.b.1.to_string());
                }
                cells.extend(c.counts().map(|v| v.to_string()));
                cells.push(format!("{:.6}", secs(c.start_ns)));
                cells.push(format!("{:.4}", secs(c.stop_ns) - secs(c.start_ns)));
                let filter = match c.stream {
                    Some(s) => {
                        cells.push(s.to_string());
                        format!("tcp.stream == {s}")
                    }
                    None => {
                        if self.kind == Kind::Tcp {
                            cells.push(String::new());
                        }
                        format!("{} && {}", self.end_filter(c.a), self.end_filter(c.b))
                    }
                };
                g.rows.push((cells, Some(filter)));
            }
        }
        g
    }
}

fn addrs(ip: IpPseudo) -> (Addr, Addr) {
    match ip {
        IpPseudo::V4(s, d) => (Addr::V4(s), Addr::V4(d)),
        IpPseudo::V6(s, d) => (Addr::V6(s), Addr::V6(d)),
    }
}

/// Seconds as tshark's `nstime_to_sec` computes them (whole seconds plus the fraction,
/// each in double precision), so the last printed digit agrees.
fn secs(ns: i128) -> f64 {
    (ns / 1_000_000_000) as f64 + (ns % 1_000_000_000) as f64 / 1e9
}
