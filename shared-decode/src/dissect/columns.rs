//! Wireshark's packet-list columns: Source, Destination, Protocol, Info (No., Time and
//! Length come straight from [`crate::dissect::FrameMeta`]).

use crate::dissect::{dns::Flavor, tcp, Decoded, LayerItem, Packet};
use crate::text::{push_hex, push_ipv4, push_ipv6, push_mac, push_u64};

/// The text columns of one packet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Columns {
    /// Source address.
    pub source: String,
    /// Destination address.
    pub destination: String,
    /// Protocol name.
    pub protocol: String,
    /// Info text.
    pub info: String,
}

impl Columns {
    /// Clears all columns, keeping capacity.
    pub fn clear(&mut self) {
        self.source.clear();
        self.destination.clear();
        self.protocol.clear();
        self.info.clear();
    }
}

/// Index of the last layer Wireshark would name in the Protocol column: the deepest layer
/// that is not raw data and not inside a packet quoted by an ICMP error.
fn top_index(pkt: &Packet<'_>) -> Option<usize> {
    let mut top = None;
    for (i, l) in pkt.layers.iter().enumerate() {
        match &l.data {
            Decoded::Data(_) => {}
            Decoded::Icmp(m) if !m.in_error => {
                top = Some(i);
                if crate::dissect::icmp::is_error(m.icmp_type()) {
                    break;
                }
            }
            Decoded::Icmpv6(m) if !m.in_error => {
                top = Some(i);
                if m.icmp_type() < 128 {
                    break;
                }
            }
            _ => top = Some(i),
        }
    }
    top
}

fn set_addrs(pkt: &Packet<'_>, c: &mut Columns) {
    let mut in_error = false;
    for l in &pkt.layers {
        match &l.data {
            Decoded::Ethernet(e) => {
                c.source.clear();
                c.destination.clear();
                push_mac(&mut c.source, e.src());
                push_mac(&mut c.destination, e.dst());
            }
            Decoded::Sll(s) => {
                c.source.clear();
                c.destination.clear();
                if let Ok(m) = <[u8; 6]>::try_from(s.addr()) {
                    push_mac(&mut c.source, m);
                }
            }
            Decoded::Ipv4(ip) if !in_error => {
                c.source.clear();
                c.destination.clear();
                push_ipv4(&mut c.source, ip.src());
                push_ipv4(&mut c.destination, ip.dst());
            }
            Decoded::Ipv6(ip) if !in_error => {
                c.source.clear();
                c.destination.clear();
                push_ipv6(&mut c.source, ip.src());
                push_ipv6(&mut c.destination, ip.dst());
            }
            Decoded::Icmp(m) if crate::dissect::icmp::is_error(m.icmp_type()) => in_error = true,
            Decoded::Icmpv6(m) if m.icmp_type() < 128 => in_error = true,
            _ => {}
        }
    }
}

fn ip_ttl_before(pkt: &Packet<'_>, i: usize) -> Option<u8> {
    pkt.layers
        .get(..i)?
        .iter()
        .rev()
        .find_map(|l| match &l.data {
            Decoded::Ipv4(ip) => Some(ip.ttl()),
            Decoded::Ipv6(ip) => Some(ip.hlim()),
            _ => None,
        })
}

/// Fills `c` with the columns of `pkt`.
pub fn columns(pkt: &Packet<'_>, c: &mut Columns) {
    c.clear();
    set_addrs(pkt, c);
    let Some(ti) = top_index(pkt) else {
        c.protocol.push_str("Frame");
        c.info.push_str("Malformed or unknown frame");
        return;
    };
    let Some(top) = pkt.layers.get(ti) else {
        return;
    };
    let tcp_an = pkt.analysis.tcp.as_ref();
    let tcp_prefix = |info: &mut String| {
        if let Some(a) = tcp_an {
            tcp::write_analysis_prefix(a, info);
        }
    };
    match &top.data {
        Decoded::Dns(d) => {
            c.protocol.push_str(match d.flavor {
                Flavor::Dns => "DNS",
                Flavor::Mdns => "MDNS",
                Flavor::Llmnr => "LLMNR",
            });
            d.write_info(&mut c.info);
        }
        Decoded::Http(h) => {
            c.protocol.push_str(if h.ssdp { "SSDP" } else { "HTTP" });
            tcp_prefix(&mut c.info);
            h.write_info(&mut c.info);
        }
        Decoded::Tls(t) => {
            let v = tcp_an
                .and_then(|a| a.tls_version)
                .unwrap_or_else(|| t.record_version());
            c.protocol
                .push_str(crate::dissect::tls::Tls::version_name(v));
            if tcp_an.is_some_and(|a| !a.flags.is_empty()) {
                tcp_prefix(&mut c.info);
                c.info.push_str(", ");
            }
            t.write_info(&mut c.info, tcp_an.and_then(|a| a.tls_version));
        }
        Decoded::App(a) => {
            tcp_prefix(&mut c.info);
            (a.proto.columns)(
                a,
                &mut crate::dissect::app::ColumnText {
                    protocol: &mut c.protocol,
                    info: &mut c.info,
                },
            );
        }
        Decoded::Tcp(t) => {
            c.protocol.push_str("TCP");
            tcp_prefix(&mut c.info);
            t.write_info(&mut c.info, tcp_an);
        }
        Decoded::Udp(u) => {
            c.protocol.push_str("UDP");
            u.write_info(&mut c.info);
        }
        Decoded::Icmp(m) => {
            c.protocol.push_str("ICMP");
            m.write_info(&mut c.info, ip_ttl_before(pkt, ti));
            if let Some(req) = pkt.analysis.echo_request_frame {
                c.info.push_str(" (request in ");
                push_u64(&mut c.info, u64::from(req));
                c.info.push(')');
            }
        }
        Decoded::Icmpv6(m) => {
            c.protocol.push_str("ICMPv6");
            m.write_info(&mut c.info, ip_ttl_before(pkt, ti));
            if let Some(req) = pkt.analysis.echo_request_frame {
                c.info.push_str(" (request in ");
                push_u64(&mut c.info, u64::from(req));
                c.info.push(')');
            }
        }
        Decoded::Igmp(g) => {
            c.protocol.push_str("IGMPv");
            push_u64(&mut c.protocol, u64::from(g.version()));
            g.write_info(&mut c.info);
        }
        Decoded::Ipv4(ip) => {
            c.protocol.push_str("IPv4");
            ip.write_info(&mut c.info);
        }
        Decoded::Ipv6(ip) => {
            c.protocol.push_str("IPv6");
            ip.write_info(&mut c.info);
        }
        Decoded::Arp(a) => {
            c.protocol.push_str(if a.rarp { "RARP" } else { "ARP" });
            a.write_info(&mut c.info);
        }
        Decoded::Ipsec(s) => {
            c.protocol.push_str(if s.esp { "ESP" } else { "AH" });
            c.info
                .push_str(if s.esp { "ESP (SPI=0x" } else { "AH (SPI=0x" });
            push_hex(&mut c.info, u64::from(s.spi()), 8);
            c.info.push(')');
        }
        Decoded::Shim(s) => {
            c.protocol.push_str(s.kind.layer().filter_name());
        }
        Decoded::Gre(g) => {
            c.protocol.push_str("GRE");
            c.info.push_str("Encapsulated ");
            c.info.push_str(
                crate::dissect::tunnel::GRE_PROTO
                    .value_name(u64::from(g.proto()))
                    .unwrap_or("unknown protocol"),
            );
        }
        Decoded::Ppp(p) => {
            c.protocol.push_str("PPP");
            c.info.push_str(
                crate::dissect::tunnel::PPP_PROTOCOL
                    .value_name(u64::from(p.protocol))
                    .unwrap_or("Unknown"),
            );
        }
        Decoded::Llc(l) => {
            c.protocol.push_str("LLC");
            c.info.push_str("DSAP 0x");
            push_hex(&mut c.info, u64::from(l.dsap()), 2);
        }
        other => link_only(top, other, c),
    }
}

fn link_only(_l: &LayerItem<'_>, d: &Decoded<'_>, c: &mut Columns) {
    let t = match d {
        Decoded::Ethernet(e) => Some(e.ethertype()),
        Decoded::Vlan(v) => Some(v.ethertype()),
        Decoded::Sll(s) => Some(s.protocol()),
        _ => None,
    };
    match t {
        Some(t) if t > 1500 => {
            c.protocol.push_str("0x");
            push_hex(&mut c.protocol, u64::from(t), 4);
            c.info.push_str("Ethernet II");
        }
        _ => {
            c.protocol.push_str(d.layer().filter_name());
            c.info.push_str(d.layer().filter_name());
        }
    }
}
