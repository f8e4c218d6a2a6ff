//! Which dissector handles what: data, not code (Zeek's analyzer tables, Wireshark's
//! dissector tables). To add a protocol, write its file (one [`AppProtocol`] row, see
//! [`super::app`]) and add its line to [`APPS`]; nothing else changes. The older built-in
//! protocols still have rows in the port tables below and a [`Decoded`](super::Decoded)
//! variant each.
//!
//! Port tables are consulted lower port first, then higher (Wireshark's "try low port
//! first"); registered dissectors may decline, and then the heuristics for the transport
//! are tried in order. Whatever nobody claims is `data`.

use super::app::{AppProtocol, Handoff};
use super::{
    arp, dns, ethernet, http, icmp, ipv4, ipv6, linux, tcp, tls, tunnel, udp, Depth, DissectCx,
    DissectFn, DissectResult, Next,
};
use crate::error::Layer;

/// Protocols declared as table rows, one line each. A row's place is its `id.slot`
/// (checked by a test).
pub static APPS: &[&AppProtocol] = &[
    &super::ssh::PROTOCOL,
    &super::ntp::PROTOCOL,
    &super::dhcpv6::PROTOCOL,
    &super::sctp::PROTOCOL,
    &super::quic::PROTOCOL,
    &super::http2::PROTOCOL,
    &super::dhcp::PROTOCOL,
];

/// The schema of every field every protocol declares (name lookup for filters, JSON keys,
/// autocompletion), built on first use.
pub fn schema() -> &'static crate::field::Schema {
    static SCHEMA: std::sync::OnceLock<crate::field::Schema> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| crate::field::Schema::build(super::field_lists()))
}

/// Every layer kind: the built-in ones, then the table-declared ones.
pub fn all_layers() -> impl Iterator<Item = Layer> {
    Layer::ALL
        .into_iter()
        .chain(APPS.iter().map(|a| Layer::App(a.id)))
}

/// The first table-declared protocol that `h` reaches.
fn app_for(h: Handoff) -> Option<DissectFn> {
    APPS.iter().find(|a| a.handles(h)).map(|a| a.dissect)
}

/// The rows' handoffs as lookup tables, built once: port lookups happen twice per TCP/UDP
/// packet, so they are one array index instead of a walk over every row.
struct AppTables {
    /// Per port: 1 + the row that registered it (0 = none).
    tcp: Box<[u8]>,
    udp: Box<[u8]>,
    tcp_heuristics: Vec<DissectFn>,
    udp_heuristics: Vec<DissectFn>,
}

fn app_tables() -> &'static AppTables {
    static T: std::sync::OnceLock<AppTables> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let mut t = AppTables {
            tcp: vec![0; 1 << 16].into_boxed_slice(),
            udp: vec![0; 1 << 16].into_boxed_slice(),
            tcp_heuristics: Vec::new(),
            udp_heuristics: Vec::new(),
        };
        for (i, a) in APPS.iter().enumerate() {
            let row = u8::try_from(i + 1).unwrap_or(u8::MAX);
            for h in a.handoffs {
                let slot = match *h {
                    Handoff::TcpPort(p) => t.tcp.get_mut(usize::from(p)),
                    Handoff::UdpPort(p) => t.udp.get_mut(usize::from(p)),
                    Handoff::TcpHeuristic => {
                        t.tcp_heuristics.push(a.dissect);
                        None
                    }
                    Handoff::UdpHeuristic => {
                        t.udp_heuristics.push(a.dissect);
                        None
                    }
                    Handoff::IpProto(_) => None,
                };
                // The first row to claim a port keeps it.
                if let Some(s) = slot.filter(|s| **s == 0) {
                    *s = row;
                }
            }
        }
        t
    })
}

fn app_for_port(table: &[u8], port: u16) -> Option<DissectFn> {
    let row = *table.get(usize::from(port))?;
    APPS.get(usize::from(row).checked_sub(1)?)
        .map(|a| a.dissect)
}
use crate::field::FieldDef;

/// Link-layer types.
pub static LINK_TYPES: &[(u16, DissectFn)] = &[
    (0, linux::dissect_null),
    (1, ethernet::dissect),
    (12, linux::dissect_raw),
    (14, linux::dissect_raw),
    (101, linux::dissect_raw),
    (108, linux::dissect_loop),
    (113, linux::dissect_sll),
    (228, ipv4::dissect),
    (229, ipv6::dissect),
    (239, linux::dissect_nflog),
    (276, linux::dissect_sll2),
];

/// Ethertypes (Ethernet, VLAN, SLL, GRE, SNAP, ...).
pub static ETHERTYPES: &[(u16, DissectFn)] = &[
    (0x0800, ipv4::dissect),
    (0x86dd, ipv6::dissect),
    (0x0806, arp::dissect),
    (0x8035, arp::dissect_rarp),
    (0x8100, ethernet::dissect_vlan),
    (0x9100, ethernet::dissect_vlan),
    (0x88a8, ethernet::dissect_8021ad),
    (0x8864, tunnel::dissect_pppoe),
    (0x8847, tunnel::dissect_mpls),
    (0x8848, tunnel::dissect_mpls),
    (0x6558, ethernet::dissect),
];

/// IP protocol numbers.
pub static IP_PROTOS: &[(u8, DissectFn)] = &[
    (1, icmp::dissect),
    (2, icmp::dissect_igmp),
    (4, ipv4::dissect),
    (6, tcp::dissect),
    (17, udp::dissect),
    (41, ipv6::dissect),
    (47, tunnel::dissect_gre),
    (50, tunnel::dissect_esp),
    (51, tunnel::dissect_ah),
    (58, icmp::dissect_v6),
    (137, tunnel::dissect_mpls),
];

/// TCP ports.
pub static TCP_PORTS: &[(u16, DissectFn)] = &[
    (53, dns::dissect_tcp),
    (80, http::dissect),
    (443, tls::dissect),
    (465, tls::dissect),
    (636, tls::dissect),
    (853, tls::dissect),
    (993, tls::dissect),
    (995, tls::dissect),
    (3128, http::dissect),
    (5355, dns::dissect_tcp),
    (8000, http::dissect),
    (8008, http::dissect),
    (8080, http::dissect),
    (8443, tls::dissect),
    (8888, http::dissect),
];

/// UDP ports.
pub static UDP_PORTS: &[(u16, DissectFn)] = &[
    (53, dns::dissect_udp),
    (1900, http::dissect_ssdp),
    (3544, tunnel::dissect_teredo),
    (4341, tunnel::dissect_lisp_data),
    (4789, tunnel::dissect_vxlan),
    (6081, tunnel::dissect_geneve),
    (6635, tunnel::dissect_mpls),
    (5353, dns::dissect_mdns),
    (5355, dns::dissect_llmnr),
];

/// Heuristic dissectors for TCP payloads, tried in order when no port matched.
pub static TCP_HEURISTICS: &[DissectFn] = &[http::dissect, tls::dissect];

/// Heuristic dissectors for UDP payloads.
pub static UDP_HEURISTICS: &[DissectFn] = &[];

/// Directly named layers.
fn by_layer(l: Layer) -> Option<DissectFn> {
    Some(match l {
        Layer::Ethernet => ethernet::dissect,
        Layer::Llc => ethernet::dissect_llc,
        Layer::Ppp => tunnel::dissect_ppp,
        _ => return None,
    })
}

fn lookup<K: PartialEq + Copy>(table: &[(K, DissectFn)], k: K) -> Option<DissectFn> {
    table.iter().find(|(key, _)| *key == k).map(|(_, f)| *f)
}

/// How deep a `Next` leads (for lazy dissection).
pub fn depth_of(n: Next) -> Depth {
    match n {
        Next::TcpPorts(..) | Next::UdpPorts(..) => Depth::All,
        Next::IpProto(_) => Depth::Transport,
        _ => Depth::Network,
    }
}

/// Tries the lower port's dissector, then the higher port's, then the heuristics; the first
/// that does not decline wins (Wireshark's "try low port first").
#[allow(clippy::too_many_arguments)]
fn ports<'a>(
    table: &[(u16, DissectFn)],
    heuristics: &[DissectFn],
    app_ports: &[u8],
    app_heuristics: &[DissectFn],
    a: u16,
    b: u16,
    data: &'a [u8],
    off: usize,
    cx: &mut DissectCx,
) -> DissectResult<'a> {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let by_port = |p: u16| lookup(table, p).or_else(|| app_for_port(app_ports, p));
    let by_port = [by_port(lo), if hi != lo { by_port(hi) } else { None }];
    for f in by_port
        .into_iter()
        .flatten()
        .chain(heuristics.iter().copied())
        .chain(app_heuristics.iter().copied())
    {
        // Dissectors that decline leave `cx` untouched.
        if let Some(d) = f(data, off, cx)? {
            return Ok(Some(d));
        }
    }
    Ok(None)
}

/// Runs the dissector for `next` on `data`. `Ok(None)`: nobody claims the bytes.
pub fn run<'a>(
    next: Next,
    data: &'a [u8],
    off: usize,
    cx: &mut DissectCx,
    _prev: Option<Layer>,
) -> DissectResult<'a> {
    let f = match next {
        Next::Link(l) => lookup(LINK_TYPES, l.0),
        Next::Ethertype(t) => lookup(ETHERTYPES, t),
        Next::IpProto(p) => lookup(IP_PROTOS, p).or_else(|| app_for(Handoff::IpProto(p))),
        Next::Layer(l) => by_layer(l),
        Next::PppProto(p) => match p {
            0x0021 => Some(ipv4::dissect as DissectFn),
            0x0057 => Some(ipv6::dissect as DissectFn),
            _ => None,
        },
        Next::TcpPorts(a, b) => {
            if cx.fragment {
                return Ok(None);
            }
            cx.ports = Some((a, b));
            let t = app_tables();
            return ports(
                TCP_PORTS,
                TCP_HEURISTICS,
                &t.tcp,
                &t.tcp_heuristics,
                a,
                b,
                data,
                off,
                cx,
            );
        }
        Next::UdpPorts(a, b) => {
            cx.ports = Some((a, b));
            let t = app_tables();
            return ports(
                UDP_PORTS,
                UDP_HEURISTICS,
                &t.udp,
                &t.udp_heuristics,
                a,
                b,
                data,
                off,
                cx,
            );
        }
        Next::Done => None,
    };
    match f {
        Some(f) => f(data, off, cx),
        None => Ok(None),
    }
}

/// The protocol field of a layer (for presence when its fields are skipped).
pub fn proto_def(l: Layer) -> &'static FieldDef {
    match l {
        Layer::Frame => &super::frame::FRAME,
        Layer::Ethernet => &ethernet::ETH,
        Layer::Llc => &ethernet::LLC,
        Layer::Vlan => &ethernet::VLAN,
        Layer::Sll | Layer::Sll2 => &linux::SLL,
        Layer::Null => &linux::NULL,
        Layer::Nflog => &linux::NFLOG,
        Layer::Arp => &arp::ARP,
        Layer::Ipv4 => &ipv4::IP,
        Layer::Ipv6 => &ipv6::IPV6,
        Layer::Icmp => &icmp::ICMP,
        Layer::Icmpv6 => &icmp::ICMPV6,
        Layer::Igmp => &icmp::IGMP,
        Layer::Tcp => &tcp::TCP,
        Layer::Udp => &udp::UDP,
        Layer::Gre => &tunnel::GRE,
        Layer::Vxlan => &tunnel::VXLAN,
        Layer::Geneve => &tunnel::GENEVE,
        Layer::LispData => &tunnel::LISP_DATA,
        Layer::Teredo => &tunnel::TEREDO,
        Layer::Pppoe => &tunnel::PPPOES,
        Layer::Ppp => &tunnel::PPP,
        Layer::Mpls => &tunnel::MPLS,
        Layer::Ah => &tunnel::AH,
        Layer::Esp => &tunnel::ESP,
        Layer::Dns => &dns::DNS,
        Layer::Http => &http::HTTP,
        Layer::Tls => &tls::TLS,
        Layer::Data => &super::frame::DATA,
        Layer::App(id) => APPS
            .get(usize::from(id.slot))
            .map_or(&super::frame::DATA, |a| a.def),
    }
}

/// Fields defined here (none besides the protocol tables').
pub static FIELDS: &[&FieldDef] = &[];

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn app_rows_sit_at_their_slots_with_unique_names() {
        for (i, a) in APPS.iter().enumerate() {
            assert_eq!(usize::from(a.id.slot), i, "{}", a.id.name);
            assert_eq!(
                a.def.name, a.id.name,
                "the protocol field is named as the layer"
            );
            assert!(
                Layer::ALL.iter().all(|l| l.filter_name() != a.id.name),
                "{} is also a built-in layer",
                a.id.name
            );
            assert!(a.fields.iter().any(|f| std::ptr::eq(*f, a.def)));
        }
        assert!(all_layers().count() <= 64, "the viewer keeps 64 layer bits");
    }
}
