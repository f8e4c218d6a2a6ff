//! tcpdump-style one-line summaries (tcpdump 4.99 formats): time stamp, optional link-level
//! header (`-e`), the IP header in `-v`, TCP/UDP/ICMP/ARP/DNS/HTTP/DHCP summaries, and the
//! `-x`/`-X`/`-A` dumps.
//!
//! tcpdump prints relative TCP sequence numbers with its own rule (the first ACK-carrying
//! segment of a connection is printed absolute and fixes the bases), which differs from
//! Wireshark's; [`Printer`] keeps that state so output matches tcpdump line for line.

use crate::dissect::{dns, icmp, tcp, Decoded, LayerItem, Packet};
use crate::file::Timestamp;
use crate::flow::{Endpoint, FlowKey, TableState};
use crate::format::hexdump;
use crate::text::time::{civil, push_clock, push_date, push_duration, push_frac};
use crate::text::{push_hex, push_ipv4, push_ipv6, push_mac, push_u64};
use std::collections::HashMap;

/// Time stamp style (`-t` ... `-ttttt`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeFormat {
    /// `HH:MM:SS.frac` in the given UTC offset (tcpdump's default).
    #[default]
    Clock,
    /// No time stamp (`-t`).
    None,
    /// Seconds since the epoch (`-tt`).
    Epoch,
    /// Delta since the previous packet (`-ttt`).
    Delta,
    /// Date and time (`-tttt`).
    Date,
    /// Delta since the first packet (`-ttttt`).
    SinceFirst,
}

/// Hex dump style.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dump {
    /// None.
    #[default]
    None,
    /// `-x` (`link: true` for `-xx`).
    Hex {
        /// Include the link-level header.
        link: bool,
    },
    /// `-X` (`-XX`).
    HexAscii {
        /// Include the link-level header.
        link: bool,
    },
    /// `-A`.
    Ascii,
}

/// What to print.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `-v` count.
    pub verbose: u8,
    /// `-e`: link-level header.
    pub link: bool,
    /// `-q`: less protocol detail.
    pub quiet: bool,
    /// `-#`: packet numbers.
    pub number: bool,
    /// Time stamp style.
    pub time: TimeFormat,
    /// Nanosecond time stamps (`--nano`).
    pub nano: bool,
    /// Offset of local time from UTC in seconds (the CLI reads it from the system).
    pub utc_offset: i64,
    /// Hex/ASCII dump.
    pub dump: Dump,
}

/// Prints packets one line (or block) each, carrying tcpdump's per-connection state.
#[derive(Debug, Default)]
pub struct Printer {
    /// Options.
    pub opts: Options,
    seq: HashMap<FlowKey, (Endpoint, u32, u32), TableState>,
    prev: Option<Timestamp>,
    first: Option<Timestamp>,
}

/// tcpdump's names of ethertypes.
fn ethertype_name(t: u16) -> Option<&'static str> {
    Some(match t {
        0x0800 => "IPv4",
        0x86dd => "IPv6",
        0x0806 => "ARP",
        0x8035 => "Reverse ARP",
        0x8100 => "802.1Q",
        0x88a8 => "802.1Q-QinQ",
        0x9100 => "802.1Q-9100",
        0x8847 => "MPLS unicast",
        0x8848 => "MPLS multicast",
        0x8863 => "PPPoE D",
        0x8864 => "PPPoE S",
        0x88cc => "LLDP",
        0x888e => "EAPOL",
        0x9000 => "Loopback",
        0x6558 => "TEB",
        _ => return None,
    })
}

fn push_ethertype(out: &mut String, t: u16) {
    out.push_str("ethertype ");
    match ethertype_name(t) {
        Some(n) => out.push_str(n),
        None => out.push_str("Unknown"),
    }
    out.push_str(" (0x");
    push_hex(out, u64::from(t), 4);
    out.push(')');
}

fn ip_proto_name(p: u8) -> Option<&'static str> {
    Some(match p {
        1 => "ICMP",
        2 => "IGMP",
        4 => "IPIP",
        6 => "TCP",
        17 => "UDP",
        41 => "IPv6",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        58 => "ICMPv6",
        89 => "OSPF",
        103 => "PIM",
        112 => "VRRP",
        132 => "SCTP",
        _ => return None,
    })
}

impl Printer {
    /// A printer with these options.
    pub fn new(opts: Options) -> Printer {
        Printer {
            opts,
            ..Printer::default()
        }
    }

    fn push_time(&mut self, ts: Timestamp, out: &mut String) {
        let nano = self.opts.nano;
        let first = *self.first.get_or_insert(ts);
        match self.opts.time {
            TimeFormat::None => {}
            TimeFormat::Clock => {
                let c = civil(ts.secs, self.opts.utc_offset);
                push_clock(out, &c);
                push_frac(out, ts.nanos, nano);
                out.push(' ');
            }
            TimeFormat::Date => {
                let c = civil(ts.secs, self.opts.utc_offset);
                push_date(out, &c);
                out.push(' ');
                push_clock(out, &c);
                push_frac(out, ts.nanos, nano);
                out.push(' ');
            }
            TimeFormat::Epoch => {
                crate::text::push_i64(out, ts.secs);
                push_frac(out, ts.nanos, nano);
                out.push(' ');
            }
            TimeFormat::Delta | TimeFormat::SinceFirst => {
                let base = if self.opts.time == TimeFormat::Delta {
                    self.prev.unwrap_or(ts)
                } else {
                    first
                };
                // tcpdump subtracts time stamps already reduced to the printed precision.
                let q = if nano { 1 } else { 1000 };
                let d = (ts.as_nanos().div_euclid(q) - base.as_nanos().div_euclid(q)) * q;
                if d >= 0 {
                    out.push(' ');
                }
                push_duration(out, d, nano, true);
                out.push(' ');
            }
        }
        self.prev = Some(ts);
    }

    /// Appends the packet's text (one line, more with `-v` or dumps) and a newline.
    pub fn write(&mut self, pkt: &Packet<'_>, out: &mut String) {
        if self.opts.number {
            let start = out.len();
            push_u64(out, pkt.meta.number);
            let n = out.len() - start;
            if n < 5 {
                out.insert_str(start, &"     "[..5 - n]);
            }
            out.push_str("  ");
        }
        self.push_time(pkt.meta.ts, out);
        let mut w = Walk {
            p: self,
            pkt,
            i: 0,
            out,
            link_printed: false,
        };
        w.link();
        let net_off = net_offset(pkt);
        match self.opts.dump {
            Dump::None => {}
            Dump::Hex { link } => hexdump::tcpdump_hex(dump_bytes(pkt, link, net_off), out),
            Dump::HexAscii { link } => {
                hexdump::tcpdump_hex_ascii(dump_bytes(pkt, link, net_off), out)
            }
            Dump::Ascii => hexdump::tcpdump_ascii(dump_bytes(pkt, false, net_off), out),
        }
        out.push('\n');
    }
}

fn net_offset(pkt: &Packet<'_>) -> usize {
    pkt.layers
        .iter()
        .find(|l| {
            !matches!(
                l.data,
                Decoded::Ethernet(_)
                    | Decoded::Vlan(_)
                    | Decoded::Sll(_)
                    | Decoded::Null(_)
                    | Decoded::Nflog(_)
                    | Decoded::Llc(_)
            )
        })
        .map_or(pkt.data.len(), |l| l.off)
}

fn dump_bytes<'a>(pkt: &Packet<'a>, link: bool, net_off: usize) -> &'a [u8] {
    if link {
        pkt.data
    } else {
        pkt.data.get(net_off..).unwrap_or(&[])
    }
}

/// Walks the layers left to right, printing each in tcpdump's words.
struct Walk<'p, 'k, 'a, 'o> {
    p: &'p mut Printer,
    pkt: &'k Packet<'a>,
    i: usize,
    out: &'o mut String,
    /// An Ethernet header was printed with its ethertype (`-e`): the next protocol name is
    /// left out, as tcpdump does.
    link_printed: bool,
}

impl<'k, 'a> Walk<'_, 'k, 'a, '_> {
    fn layer(&self) -> Option<&'k LayerItem<'a>> {
        self.pkt.layers.get(self.i)
    }

    /// Bytes on the wire from the current layer to the end of the frame.
    fn wire_len_from(&self, off: usize) -> u64 {
        u64::from(self.pkt.meta.orig_len).saturating_sub(off as u64)
    }

    fn link(&mut self) {
        let v = self.p.opts.verbose;
        let e = self.p.opts.link;
        let Some(l) = self.layer() else {
            self.out.push_str("[|unknown link type]");
            return;
        };
        match &l.data {
            Decoded::Ethernet(eth) => {
                if e {
                    push_mac(self.out, eth.src());
                    self.out.push_str(" > ");
                    push_mac(self.out, eth.dst());
                    self.out.push_str(", ");
                    if eth.is_8023() {
                        self.out.push_str("802.3");
                    } else {
                        push_ethertype(self.out, eth.ethertype());
                    }
                    self.out.push_str(", length ");
                    // Inner frames (VXLAN) report their own length.
                    let len = u64::from(self.pkt.meta.orig_len).saturating_sub(l.off as u64);
                    push_u64(self.out, len);
                    self.out.push_str(": ");
                    self.link_printed = true;
                }
                self.i += 1;
                self.after_ethertype(e, v);
            }
            Decoded::Sll(s) => {
                if e {
                    self.out.push_str(match s.pkttype() {
                        0 => "In ",
                        1 => "B ",
                        2 => "M ",
                        3 => "P ",
                        4 => "Out ",
                        _ => "? ",
                    });
                    if let Ok(m) = <[u8; 6]>::try_from(s.addr()) {
                        push_mac(self.out, m);
                        self.out.push(' ');
                    }
                    push_ethertype(self.out, s.protocol());
                    self.out.push_str(", length ");
                    push_u64(self.out, u64::from(self.pkt.meta.orig_len));
                    self.out.push_str(": ");
                }
                self.i += 1;
                self.network();
            }
            Decoded::Null(n) => {
                if e {
                    self.out.push_str(match n.family {
                        2 => "AF_INET (2)",
                        10 | 24 | 28 | 30 => "AF_INET6",
                        _ => "AF_UNKNOWN",
                    });
                    self.out.push_str(", length ");
                    push_u64(self.out, u64::from(self.pkt.meta.orig_len));
                    self.out.push_str(": ");
                }
                self.i += 1;
                self.network();
            }
            Decoded::Nflog(_) => {
                self.i += 1;
                self.network();
            }
            _ => self.network(),
        }
    }

    /// VLAN tags are printed by tcpdump after the Ethernet header, with `-e` only in full.
    fn after_ethertype(&mut self, e: bool, _v: u8) {
        while let Some(Decoded::Vlan(vl)) = self.layer().map(|l| &l.data) {
            if e {
                self.out.push_str("vlan ");
                push_u64(self.out, u64::from(vl.id()));
                self.out.push_str(", p ");
                push_u64(self.out, u64::from(vl.pcp()));
                if vl.tci() & 0x1000 != 0 {
                    self.out.push_str(", DEI");
                }
                self.out.push_str(", ");
                push_ethertype(self.out, vl.ethertype());
                self.out.push_str(", ");
            } else {
                self.out.push_str("vlan ");
                push_u64(self.out, u64::from(vl.id()));
                self.out.push_str(", p ");
                push_u64(self.out, u64::from(vl.pcp()));
                self.out.push_str(", ethertype ");
                self.out
                    .push_str(ethertype_name(vl.ethertype()).unwrap_or("Unknown"));
                self.out.push_str(", ");
            }
            self.i += 1;
        }
        self.network();
    }

    fn network(&mut self) {
        let Some(l) = self.layer() else {
            return;
        };
        let off = l.off;
        match &l.data {
            Decoded::Arp(a) => {
                // With -e the ethertype was printed already, so tcpdump drops "ARP, ".
                let prefix = if a.rarp { "RARP, " } else { "ARP, " };
                let mut s = String::new();
                a.write_tcpdump(&mut s);
                let body = s.strip_prefix(prefix).unwrap_or(&s);
                if !self.link_printed {
                    self.out.push_str(prefix);
                }
                if self.p.opts.verbose > 0 && a.is_eth_ipv4() {
                    self.out.push_str("Ethernet (len 6), IPv4 (len 4), ");
                }
                self.out.push_str(body);
                self.out.push_str(", length ");
                push_u64(self.out, self.wire_len_from(off));
            }
            Decoded::Ipv4(_) | Decoded::Ipv6(_) => self.ip(),
            Decoded::Llc(l) => {
                self.out.push_str("LLC, dsap 0x");
                push_hex(self.out, u64::from(l.dsap()), 2);
                self.out.push_str(", length ");
                push_u64(self.out, self.wire_len_from(off));
            }
            Decoded::Pppoe(_) => {
                self.out.push_str("PPPoE [ses] ");
                self.i += 1;
                if let Some(Decoded::Ppp(_)) = self.layer().map(|l| &l.data) {
                    self.i += 1;
                }
                self.network();
            }
            Decoded::Mpls(m) => {
                for (k, e) in m.stack.chunks_exact(4).enumerate() {
                    let v = u32::from_be_bytes([
                        e.first().copied().unwrap_or(0),
                        e.get(1).copied().unwrap_or(0),
                        e.get(2).copied().unwrap_or(0),
                        e.get(3).copied().unwrap_or(0),
                    ]);
                    if k > 0 {
                        self.out.push_str(", ");
                    }
                    self.out.push_str("MPLS (label ");
                    push_u64(self.out, u64::from(v >> 12));
                    self.out.push_str(", tc ");
                    push_u64(self.out, u64::from((v >> 9) & 7));
                    if v & 0x100 != 0 {
                        self.out.push_str(", [S]");
                    }
                    self.out.push_str(", ttl ");
                    push_u64(self.out, u64::from(v & 0xff));
                    self.out.push(')');
                }
                self.i += 1;
                if self.layer().is_some() {
                    self.out.push(' ');
                    self.network();
                }
            }
            Decoded::Data(d) => {
                self.out.push_str("unknown, length ");
                push_u64(self.out, d.len() as u64);
            }
            _ => {
                self.out.push_str(l.layer().filter_name());
            }
        }
    }

    fn ip(&mut self) {
        let Some(l) = self.layer() else { return };
        let v = self.p.opts.verbose;
        let (src, dst, proto, v6);
        let mut frag_info = None;
        match &l.data {
            Decoded::Ipv4(ip) => {
                if !self.link_printed {
                    self.out.push_str("IP ");
                }
                if v > 0 {
                    self.out.push_str("(tos 0x");
                    push_hex(self.out, u64::from(ip.tos() & 0xfc), 1);
                    match ip.tos() & 3 {
                        1 => self.out.push_str(",ECT(1)"),
                        2 => self.out.push_str(",ECT(0)"),
                        3 => self.out.push_str(",CE"),
                        _ => {}
                    }
                    self.out.push_str(", ttl ");
                    push_u64(self.out, u64::from(ip.ttl()));
                    self.out.push_str(", id ");
                    push_u64(self.out, u64::from(ip.id()));
                    self.out.push_str(", offset ");
                    push_u64(self.out, u64::from(ip.frag_offset()) * 8);
                    self.out.push_str(", flags [");
                    let mut fl = Vec::new();
                    if ip.rb() {
                        fl.push("rsvd");
                    }
                    if ip.df() {
                        fl.push("DF");
                    }
                    if ip.mf() {
                        fl.push("+");
                    }
                    if fl.is_empty() {
                        self.out.push_str("none");
                    } else {
                        self.out.push_str(&fl.join(""));
                    }
                    self.out.push_str("], proto ");
                    self.out
                        .push_str(ip_proto_name(ip.proto()).unwrap_or("unknown"));
                    self.out.push_str(" (");
                    push_u64(self.out, u64::from(ip.proto()));
                    self.out.push_str("), length ");
                    push_u64(self.out, u64::from(ip.total_len()));
                    if ip.header_len() > 20 {
                        self.out.push_str(", options (");
                        write_ip_options(ip.options(), self.out);
                        self.out.push(')');
                    }
                    let ck = ip.verify();
                    if !ck.ok() && !ip.in_error {
                        self.out.push_str(", bad cksum ");
                        push_hex(self.out, u64::from(ck.stored), 1);
                        self.out.push_str(" (->");
                        push_hex(self.out, u64::from(ck.expected), 1);
                        self.out.push_str(")!");
                    }
                    self.out.push_str(")\n    ");
                }
                if ip.is_fragment() {
                    frag_info = Some((ip.id(), ip.frag_offset(), ip.mf(), ip.proto()));
                }
                src = IpText::V4(ip.src());
                dst = IpText::V4(ip.dst());
                proto = ip.proto();
                v6 = false;
            }
            Decoded::Ipv6(ip) => {
                if !self.link_printed {
                    self.out.push_str("IP6 ");
                }
                if v > 0 {
                    self.out.push('(');
                    if ip.flow() != 0 {
                        self.out.push_str("flowlabel 0x");
                        push_hex(self.out, u64::from(ip.flow()), 5);
                        self.out.push_str(", ");
                    }
                    self.out.push_str("hlim ");
                    push_u64(self.out, u64::from(ip.hlim()));
                    self.out.push_str(", next-header ");
                    self.out
                        .push_str(ip_proto_name(ip.nxt()).unwrap_or("unknown"));
                    self.out.push_str(" (");
                    push_u64(self.out, u64::from(ip.nxt()));
                    self.out.push_str(") payload length: ");
                    push_u64(self.out, u64::from(ip.plen()));
                    self.out.push_str(") ");
                }
                src = IpText::V6(ip.src());
                dst = IpText::V6(ip.dst());
                proto = ip.final_nxt;
                v6 = true;
                if let Some((fo, more, ident)) = ip.fragment.filter(|f| f.0 != 0 || f.1) {
                    frag_info = Some((ident as u16, fo / 8, more, proto));
                }
            }
            _ => return,
        }
        self.i += 1;
        let next = self.layer().map(|l| &l.data);
        match next {
            Some(Decoded::Tcp(t)) if !t.in_error => {
                push_endpoint(self.out, &src, Some(t.src_port()));
                self.out.push_str(" > ");
                push_endpoint(self.out, &dst, Some(t.dst_port()));
                self.out.push_str(": ");
                self.tcp(t, &src, &dst);
            }
            Some(Decoded::Udp(u)) if !u.in_error => {
                push_endpoint(self.out, &src, Some(u.src_port()));
                self.out.push_str(" > ");
                push_endpoint(self.out, &dst, Some(u.dst_port()));
                self.out.push_str(": ");
                self.udp(u);
            }
            // A table-declared transport (SCTP): ports with the addresses, then its text.
            Some(Decoded::App(a)) if frag_info.is_none() && a.proto.tcpdump.is_some() => {
                let ports = a.proto.ports.and_then(|f| f(a));
                push_endpoint(self.out, &src, ports.map(|p| p.0));
                self.out.push_str(" > ");
                push_endpoint(self.out, &dst, ports.map(|p| p.1));
                self.out.push_str(": ");
                self.app_summary(a, a.data.len());
            }
            _ => {
                push_endpoint(self.out, &src, None);
                self.out.push_str(" > ");
                push_endpoint(self.out, &dst, None);
                self.out.push_str(": ");
                if let Some((id, fo, mf, p)) = frag_info {
                    if fo != 0 || next.is_none() || matches!(next, Some(Decoded::Data(_))) {
                        if self.p.opts.verbose == 0 {
                            self.out.push_str(if v6 { "frag (" } else { "ip-proto-" });
                            if v6 {
                                push_u64(self.out, u64::from(fo) * 8);
                                self.out.push('|');
                                self.out.push_str(if mf { "more" } else { "last" });
                                self.out.push(')');
                            } else {
                                push_u64(self.out, u64::from(p));
                            }
                        } else {
                            self.out.push_str("frag id ");
                            push_u64(self.out, u64::from(id));
                        }
                        return;
                    }
                }
                match next {
                    Some(Decoded::Icmp(m)) => self.icmp(m),
                    Some(Decoded::Icmpv6(m)) => self.icmpv6(m),
                    Some(Decoded::Igmp(g)) => igmp(g, self.out),
                    Some(Decoded::Gre(g)) => {
                        self.out.push_str("GREv");
                        push_u64(self.out, u64::from(g.flags() & 7));
                        self.out.push_str(", length ");
                        push_u64(self.out, self.layer().map_or(0, |l| l.len as u64));
                        self.out.push_str(": ");
                        self.i += 1;
                        self.inner_after_gre();
                    }
                    Some(Decoded::Ipsec(s)) => {
                        self.out
                            .push_str(if s.esp { "ESP(spi=0x" } else { "AH(spi=0x" });
                        push_hex(self.out, u64::from(s.spi()), 8);
                        self.out.push_str(",seq=0x");
                        push_hex(self.out, u64::from(s.sequence()), 1);
                        self.out.push_str("), length ");
                        push_u64(self.out, self.layer().map_or(0, |l| l.len as u64));
                        if !s.esp {
                            self.i += 1;
                            if self.layer().is_some() {
                                self.out.push_str(": ");
                                self.transport_only(&src, &dst);
                            }
                        }
                    }
                    Some(Decoded::Ipv4(_)) | Some(Decoded::Ipv6(_)) => self.ip(),
                    _ => {
                        self.out.push_str("ip-proto-");
                        push_u64(self.out, u64::from(proto));
                        self.out.push(' ');
                        push_u64(self.out, self.layer().map_or(0, |l| l.len as u64));
                    }
                }
            }
        }
    }

    fn transport_only(&mut self, src: &IpText, dst: &IpText) {
        let next = self.layer().map(|l| &l.data);
        match next {
            Some(Decoded::Tcp(t)) => self.tcp(t, src, dst),
            Some(Decoded::Udp(u)) => self.udp(u),
            Some(Decoded::Icmp(m)) => self.icmp(m),
            Some(Decoded::Icmpv6(m)) => self.icmpv6(m),
            _ => {}
        }
    }

    fn inner_after_gre(&mut self) {
        match self.layer().map(|l| &l.data) {
            Some(Decoded::Ppp(_)) => {
                self.i += 1;
                self.network();
            }
            Some(Decoded::Ethernet(_)) => self.link(),
            Some(_) => self.network(),
            None => {}
        }
    }

    /// A table-declared protocol's own summary (its row's tcpdump hook).
    fn app_summary(&mut self, a: &crate::dissect::app::App<'_>, payload_len: usize) {
        if let Some(f) = a.proto.tcpdump {
            f(
                a,
                &mut crate::dissect::app::TcpdumpText {
                    out: self.out,
                    payload_len,
                    verbose: self.p.opts.verbose,
                },
            );
        }
    }

    fn tcp(&mut self, t: &tcp::Tcp<'_>, src: &IpText, dst: &IpText) {
        let quiet = self.p.opts.quiet;
        if t.hdr.len() < tcp::HEADER_LEN {
            self.out.push_str("[|tcp]");
            return;
        }
        let len = t.seg_len;
        if quiet {
            self.out.push_str("tcp ");
            push_u64(self.out, u64::from(len));
            return;
        }
        let f = t.flags();
        self.out.push_str("Flags [");
        let mut any = false;
        for (bit, c) in [
            (tcp::flags::FIN, 'F'),
            (tcp::flags::SYN, 'S'),
            (tcp::flags::RST, 'R'),
            (tcp::flags::PSH, 'P'),
            (tcp::flags::ACK, '.'),
            (tcp::flags::URG, 'U'),
            (tcp::flags::ECE, 'E'),
            (tcp::flags::CWR, 'W'),
            (tcp::flags::AE, 'e'),
        ] {
            if f & bit != 0 {
                self.out.push(c);
                any = true;
            }
        }
        if !any {
            self.out.push_str("none");
        }
        self.out.push(']');
        // tcpdump's relative sequence numbers.
        let mut seq = t.seq();
        let mut ack = t.ack();
        if f & tcp::flags::ACK != 0 {
            let s = Endpoint::new(src.bytes(), t.src_port());
            let d = Endpoint::new(dst.bytes(), t.dst_port());
            let key = FlowKey::new(s, d, 6);
            match self.p.seq.get(&key) {
                Some(&(owner, bs, ba)) if f & tcp::flags::SYN == 0 => {
                    if owner == s {
                        seq = seq.wrapping_sub(bs);
                        ack = ack.wrapping_sub(ba);
                    } else {
                        seq = seq.wrapping_sub(ba);
                        ack = ack.wrapping_sub(bs);
                    }
                }
                _ => {
                    self.p.seq.insert(key, (s, seq, ack.wrapping_sub(1)));
                }
            }
        }
        if self.p.opts.verbose > 0 {
            self.out.push_str(", cksum 0x");
            push_hex(self.out, u64::from(t.checksum()), 4);
            match t.verify() {
                Some(v) if v.ok() => self.out.push_str(" (correct)"),
                Some(v) => {
                    self.out.push_str(" (incorrect -> 0x");
                    push_hex(self.out, u64::from(v.expected), 4);
                    self.out.push(')');
                }
                None => {}
            }
        }
        if len > 0 || f & (tcp::flags::SYN | tcp::flags::FIN | tcp::flags::RST) != 0 {
            self.out.push_str(", seq ");
            push_u64(self.out, u64::from(seq));
            if len > 0 {
                self.out.push(':');
                push_u64(self.out, u64::from(seq.wrapping_add(len)));
            }
        }
        if f & tcp::flags::ACK != 0 {
            self.out.push_str(", ack ");
            push_u64(self.out, u64::from(ack));
        }
        self.out.push_str(", win ");
        push_u64(self.out, u64::from(t.window()));
        if f & tcp::flags::URG != 0 {
            self.out.push_str(", urg ");
            push_u64(self.out, u64::from(t.urgent()));
        }
        if !t.options_bytes().is_empty() {
            self.out.push_str(", options [");
            let mut first = true;
            for (_, _, o) in t.options() {
                if !first {
                    self.out.push(',');
                }
                first = false;
                match o {
                    tcp::TcpOption::Eol => self.out.push_str("eol"),
                    tcp::TcpOption::Nop => self.out.push_str("nop"),
                    tcp::TcpOption::Mss(m) => {
                        self.out.push_str("mss ");
                        push_u64(self.out, u64::from(m));
                    }
                    tcp::TcpOption::WindowScale(s) => {
                        self.out.push_str("wscale ");
                        push_u64(self.out, u64::from(s));
                    }
                    tcp::TcpOption::SackPermitted => self.out.push_str("sackOK"),
                    tcp::TcpOption::Sack(v) => {
                        // Blocks are in the acknowledged sequence space: tcpdump makes them
                        // relative with the same base as the ack.
                        let base = t.ack().wrapping_sub(ack);
                        self.out.push_str("sack ");
                        push_u64(self.out, (v.len() / 8) as u64);
                        for i in 0..v.len() / 8 {
                            let le = be32(v, i * 8).wrapping_sub(base);
                            let re = be32(v, i * 8 + 4).wrapping_sub(base);
                            self.out.push_str(" {");
                            push_u64(self.out, u64::from(le));
                            self.out.push(':');
                            push_u64(self.out, u64::from(re));
                            self.out.push('}');
                        }
                    }
                    tcp::TcpOption::Timestamp(a, b) => {
                        self.out.push_str("TS val ");
                        push_u64(self.out, u64::from(a));
                        self.out.push_str(" ecr ");
                        push_u64(self.out, u64::from(b));
                    }
                    tcp::TcpOption::FastOpen(c) => {
                        self.out.push_str("tfo ");
                        if c.is_empty() {
                            self.out.push_str(" cookiereq");
                        } else {
                            self.out.push_str("cookie ");
                            for b in c {
                                push_hex(self.out, u64::from(*b), 2);
                            }
                        }
                    }
                    tcp::TcpOption::Other(k, v) => {
                        self.out.push_str("unknown-");
                        push_u64(self.out, u64::from(k));
                        if !v.is_empty() {
                            self.out.push(' ');
                            for b in v {
                                push_hex(self.out, u64::from(*b), 2);
                            }
                        }
                    }
                    tcp::TcpOption::Bad(k, l) => {
                        self.out.push_str("opt-");
                        push_u64(self.out, u64::from(k));
                        self.out.push_str(":[bad length ");
                        push_u64(self.out, u64::from(l));
                        self.out.push(']');
                    }
                }
            }
            self.out.push(']');
        }
        self.out.push_str(", length ");
        push_u64(self.out, u64::from(len));
        if len == 0 {
            return;
        }
        // Application summaries on well-known ports.
        self.i += 1;
        let app = self.layer().map(|l| &l.data);
        match app {
            Some(Decoded::Dns(d)) => {
                self.out.push(' ');
                dns_summary(d, self.p.opts.verbose, self.out);
            }
            Some(Decoded::Http(h)) => {
                self.out.push_str(": HTTP: ");
                self.out.push_str(h.head().first_line);
            }
            Some(Decoded::App(a)) if a.proto.tcpdump.is_some() => {
                self.app_summary(a, len as usize);
            }
            _ => {
                if t.src_port() == 80 || t.dst_port() == 80 {
                    self.out.push_str(": HTTP");
                }
            }
        }
    }

    fn udp(&mut self, u: &crate::dissect::udp::Udp<'_>) {
        if u.hdr.len() < 8 {
            self.out.push_str("[|udp]");
            return;
        }
        if self.p.opts.quiet {
            self.out.push_str("UDP, length ");
            push_u64(self.out, u.payload_len() as u64);
            return;
        }
        self.i += 1;
        let app = self.layer().map(|l| &l.data);
        if self.p.opts.verbose > 1 {
            match u.verify() {
                Some(v) if v.ok() => {
                    if matches!(app, Some(Decoded::Dns(_))) {
                        self.out.push_str("[udp sum ok] ");
                    }
                }
                Some(v) => {
                    self.out.push_str("[bad udp cksum 0x");
                    push_hex(self.out, u64::from(v.stored), 4);
                    self.out.push_str(" -> 0x");
                    push_hex(self.out, u64::from(v.expected), 4);
                    self.out.push_str("!] ");
                }
                None => {}
            }
        }
        match app {
            Some(Decoded::Dns(d)) => dns_summary(d, self.p.opts.verbose, self.out),
            Some(Decoded::App(a)) if a.proto.tcpdump.is_some() => {
                self.app_summary(a, u.payload_len());
            }
            Some(Decoded::Vxlan(x)) => {
                self.out.push_str("VXLAN, flags [I] (0x08), vni ");
                push_u64(self.out, u64::from(x.vni()));
                self.out.push('\n');
                self.i += 1;
                let saved = self.p.opts.link;
                self.p.opts.link = true;
                self.link();
                self.p.opts.link = saved;
            }
            _ => {
                self.out.push_str("UDP, length ");
                push_u64(self.out, u.payload_len() as u64);
            }
        }
    }

    fn icmp(&mut self, m: &icmp::Icmp<'_>) {
        let len = m.data.len();
        self.out.push_str("ICMP ");
        match m.icmp_type() {
            0 | 8 => {
                self.out.push_str(if m.icmp_type() == 8 {
                    "echo request"
                } else {
                    "echo reply"
                });
                self.out.push_str(", id ");
                push_u64(self.out, u64::from(m.ident()));
                self.out.push_str(", seq ");
                push_u64(self.out, u64::from(m.seq()));
            }
            3 => {
                // The quoted packet tells what was unreachable.
                let quoted = self.pkt.layers.get(self.i + 1..).unwrap_or(&[]);
                let qip = quoted.iter().find_map(|l| match &l.data {
                    Decoded::Ipv4(ip) => Some(ip.clone()),
                    _ => None,
                });
                let qudp = quoted.iter().find_map(|l| match &l.data {
                    Decoded::Udp(u) => Some((17u8, u.dst_port())),
                    Decoded::Tcp(t) => Some((6u8, t.dst_port())),
                    _ => None,
                });
                match (m.code(), qip, qudp) {
                    (3, Some(ip), Some((p, port))) => {
                        push_ipv4(self.out, ip.dst());
                        self.out
                            .push_str(if p == 17 { " udp port " } else { " tcp port " });
                        push_u64(self.out, u64::from(port));
                        self.out.push_str(" unreachable");
                    }
                    (2, Some(ip), _) => {
                        push_ipv4(self.out, ip.dst());
                        self.out.push_str(" protocol ");
                        push_u64(self.out, u64::from(ip.proto()));
                        self.out.push_str(" unreachable");
                    }
                    (c, Some(ip), _) => {
                        push_ipv4(self.out, ip.dst());
                        self.out.push_str(match c {
                            0 => " net unreachable",
                            1 => " host unreachable",
                            4 => " unreachable - need to frag",
                            9 | 10 | 13 => " unreachable - admin prohibited filter",
                            _ => " unreachable",
                        });
                    }
                    _ => self.out.push_str("destination unreachable"),
                }
            }
            11 => self.out.push_str(if m.code() == 0 {
                "time exceeded in-transit"
            } else {
                "ip reassembly time exceeded"
            }),
            5 => {
                self.out.push_str("redirect");
            }
            13 => self.out.push_str("time stamp query"),
            14 => self.out.push_str("time stamp reply"),
            9 => self.out.push_str("router advertisement"),
            10 => self.out.push_str("router solicitation"),
            t => {
                self.out.push_str("type-#");
                push_u64(self.out, u64::from(t));
            }
        }
        self.out.push_str(", length ");
        push_u64(self.out, len as u64);
    }

    fn icmpv6(&mut self, m: &icmp::Icmpv6<'_>) {
        self.out.push_str("ICMP6, ");
        match m.icmp_type() {
            128 | 129 => {
                self.out.push_str(if m.icmp_type() == 128 {
                    "echo request"
                } else {
                    "echo reply"
                });
                self.out.push_str(", id ");
                push_u64(self.out, u64::from(m.ident()));
                self.out.push_str(", seq ");
                push_u64(self.out, u64::from(m.seq()));
            }
            133 => self.out.push_str("router solicitation"),
            134 => self.out.push_str("router advertisement"),
            135 => {
                self.out.push_str("neighbor solicitation");
                if let Some(t) = m.target() {
                    self.out.push_str(", who has ");
                    push_ipv6(self.out, t);
                }
            }
            136 => {
                self.out.push_str("neighbor advertisement");
                if let Some(t) = m.target() {
                    self.out.push_str(", tgt is ");
                    push_ipv6(self.out, t);
                }
            }
            1 => self.out.push_str("destination unreachable"),
            2 => self.out.push_str("packet too big"),
            3 => self.out.push_str("time exceeded in-transit"),
            4 => self.out.push_str("parameter problem"),
            130 => self.out.push_str("multicast listener query"),
            131 => self.out.push_str("multicast listener report"),
            132 => self.out.push_str("multicast listener done"),
            143 => self.out.push_str("multicast listener report v2"),
            t => {
                self.out.push_str("type-#");
                push_u64(self.out, u64::from(t));
            }
        }
        self.out.push_str(", length ");
        push_u64(self.out, m.data.len() as u64);
    }
}

/// tcpdump's `igmp_print` for the common messages.
fn igmp(g: &icmp::Igmp<'_>, out: &mut String) {
    let d = g.data;
    let group = g.group();
    match d.first().copied().unwrap_or(0) {
        0x11 if d.len() >= 12 => {
            out.push_str("igmp query v3");
            if group != [0; 4] {
                out.push_str(" [gaddr ");
                push_ipv4(out, group);
                out.push(']');
            }
        }
        0x11 => {
            let mrt = d.get(1).copied().unwrap_or(0);
            out.push_str("igmp query");
            if mrt != 0 {
                out.push_str(" v2");
                if mrt != 100 {
                    out.push_str(" [max resp time ");
                    push_u64(out, u64::from(mrt));
                    out.push(']');
                }
            } else {
                out.push_str(" v1");
            }
            if group != [0; 4] {
                out.push_str(" [gaddr ");
                push_ipv4(out, group);
                out.push(']');
            }
        }
        0x12 => {
            out.push_str("igmp v1 report ");
            push_ipv4(out, group);
        }
        0x16 => {
            out.push_str("igmp v2 report ");
            push_ipv4(out, group);
        }
        0x17 => {
            out.push_str("igmp leave ");
            push_ipv4(out, group);
        }
        0x22 => out.push_str("igmp v3 report"),
        t => {
            out.push_str("igmp-");
            push_u64(out, u64::from(t));
        }
    }
}

fn be32(v: &[u8], o: usize) -> u32 {
    v.get(o..o + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, u32::from_be_bytes)
}

enum IpText {
    V4([u8; 4]),
    V6([u8; 16]),
}

impl IpText {
    fn bytes(&self) -> [u8; 16] {
        match self {
            IpText::V4(a) => {
                let mut b = [0u8; 16];
                if let Some(t) = b.get_mut(12..) {
                    t.copy_from_slice(a);
                }
                b
            }
            IpText::V6(a) => *a,
        }
    }
}

fn push_endpoint(out: &mut String, a: &IpText, port: Option<u16>) {
    match a {
        IpText::V4(x) => push_ipv4(out, *x),
        IpText::V6(x) => push_ipv6(out, *x),
    }
    if let Some(p) = port {
        out.push('.');
        push_u64(out, u64::from(p));
    }
}

fn write_ip_options(o: &[u8], out: &mut String) {
    let mut p = 0;
    let mut first = true;
    // Terminates: each option advances by at least one byte.
    while let Some(&t) = o.get(p) {
        if !first {
            out.push(',');
        }
        first = false;
        let len = if t <= 1 {
            1
        } else {
            usize::from(o.get(p + 1).copied().unwrap_or(0)).max(2)
        };
        out.push_str(match t {
            0 => "EOL",
            1 => "NOP",
            7 => "RR",
            68 => "TS",
            130 => "SECURITY",
            131 => "LSRR",
            137 => "SSRR",
            148 => "RA",
            _ => "unknown",
        });
        if t == 0 {
            break;
        }
        p += len;
    }
}

/// tcpdump's DNS summary (`ns_print`), at verbosity `v`.
pub fn dns_summary(d: &dns::Dns<'_>, v: u8, out: &mut String) {
    let m = d.msg;
    let [qd, an, ns, ar] = d.counts();
    let f = d.flags();
    let ops = [
        " ",
        " inv_q",
        " stat",
        " op3",
        " notify",
        " update",
        " op6",
        " op7",
        " op8",
        " updateA",
        " updateD",
        " updateDA",
        " updateM",
        " updateMA",
        " zoneInit",
        " zoneRef",
    ];
    let op = ops
        .get(usize::from(d.opcode()))
        .copied()
        .unwrap_or("")
        .trim_end();
    push_u64(out, u64::from(d.id()));
    let parsed = d.parse();
    if d.is_response() {
        out.push_str(op);
        let rcodes = [
            "",
            " FormErr",
            " ServFail",
            " NXDomain",
            " NotImp",
            " Refused",
            " YXDomain",
            " YXRRSet",
            " NXRRSet",
            " NotAuth",
            " NotZone",
            " Resp11",
            " Resp12",
            " Resp13",
            " Resp14",
            " NoChange",
        ];
        out.push_str(rcodes.get(usize::from(d.rcode())).copied().unwrap_or(""));
        if f & 0x0400 != 0 {
            out.push('*');
        }
        if f & 0x0080 == 0 {
            out.push('-');
        }
        if f & 0x0200 != 0 {
            out.push('|');
        }
        if f & 0x0020 != 0 {
            out.push('$');
        }
        if qd != 1 {
            out.push_str(" [");
            push_u64(out, u64::from(qd));
            out.push_str("q]");
        }
        if v > 1 {
            for (i, q) in parsed.questions.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(" q:");
                write_question(q, out);
            }
        }
        out.push(' ');
        push_u64(out, u64::from(an));
        out.push('/');
        push_u64(out, u64::from(ns));
        out.push('/');
        push_u64(out, u64::from(ar));
        let answers: Vec<&dns::Record> = parsed.records.iter().filter(|r| r.section == 1).collect();
        for (i, r) in answers.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_rr(d, r, v, out);
        }
        if answers.len() < usize::from(an) {
            out.push_str(" [|domain]");
            return;
        }
        if v > 1 {
            for (sec, label) in [(2u8, " ns:"), (3u8, " ar:")] {
                let rs: Vec<&dns::Record> =
                    parsed.records.iter().filter(|r| r.section == sec).collect();
                if !rs.is_empty() {
                    out.push_str(label);
                    for (i, r) in rs.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        write_rr(d, r, v, out);
                    }
                }
            }
        }
    } else {
        out.push_str(op);
        if f & 0x0100 != 0 {
            out.push('+');
        }
        if f & 0x0010 != 0 {
            out.push('%');
        }
        if f & 0x06cf != 0 {
            out.push_str(" [b2&3=0x");
            push_hex(out, u64::from(f), 1);
            out.push(']');
        }
        if an > 0 {
            out.push_str(" [");
            push_u64(out, u64::from(an));
            out.push_str("a]");
        }
        if qd != 1 {
            out.push_str(" [");
            push_u64(out, u64::from(qd));
            out.push_str("q]");
        }
        if ns > 0 {
            out.push_str(" [");
            push_u64(out, u64::from(ns));
            out.push_str("n]");
        }
        if ar > 0 {
            out.push_str(" [");
            push_u64(out, u64::from(ar));
            out.push_str("au]");
        }
        for q in &parsed.questions {
            write_question(q, out);
        }
        if parsed.questions.len() < usize::from(qd) {
            out.push_str(" [|domain]");
            return;
        }
        if v > 1 {
            let ars: Vec<&dns::Record> = parsed.records.iter().filter(|r| r.section == 3).collect();
            if !ars.is_empty() {
                out.push_str(" ar:");
                for (i, r) in ars.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_rr(d, r, v, out);
                }
            }
        }
    }
    out.push_str(" (");
    push_u64(out, m.len() as u64);
    out.push(')');
}

fn fqdn(name: &str, out: &mut String) {
    if name == "<Root>" {
        out.push('.');
    } else {
        out.push_str(name);
        out.push('.');
    }
}

fn tcpdump_type(t: u16) -> String {
    match t {
        41 => "OPT".into(),
        _ => match dns::TYPES.iter().find(|(k, _)| *k == u64::from(t)) {
            Some((_, n)) => (*n).to_string(),
            None => format!("Type{t}"),
        },
    }
}

fn write_question(q: &dns::Question, out: &mut String) {
    out.push(' ');
    out.push_str(&tcpdump_type(q.qtype));
    if q.qclass & 0x7fff != 1 {
        out.push_str(" (Class ");
        push_u64(out, u64::from(q.qclass));
        out.push(')');
    }
    out.push_str("? ");
    fqdn(&q.name.text, out);
}

fn write_rr(d: &dns::Dns<'_>, r: &dns::Record, v: u8, out: &mut String) {
    if v > 0 {
        out.push(' ');
        fqdn(&r.name.text, out);
    }
    if r.class != 1 && r.rtype != 41 {
        out.push_str(" (Class ");
        push_u64(out, u64::from(r.class));
        out.push(')');
    }
    if v > 2 && r.rtype != 41 {
        out.push_str(" [");
        write_ttl(r.ttl, out);
        out.push(']');
    }
    out.push(' ');
    out.push_str(&tcpdump_type(r.rtype));
    let rd = d
        .msg
        .get(r.rdata_off..r.rdata_off + r.rdata_len)
        .unwrap_or(&[]);
    let name_at = |o: usize| dns::read_name(d.msg, o).map(|n| n.text);
    match r.rtype {
        1 => {
            if let Ok(a) = <[u8; 4]>::try_from(rd) {
                out.push(' ');
                push_ipv4(out, a);
            }
        }
        28 => {
            if let Ok(a) = <[u8; 16]>::try_from(rd) {
                out.push(' ');
                push_ipv6(out, a);
            }
        }
        2 | 5 | 12 | 39 => {
            if let Some(n) = name_at(r.rdata_off) {
                out.push(' ');
                fqdn(&n, out);
            }
        }
        15 => {
            if let Some(n) = name_at(r.rdata_off + 2) {
                out.push(' ');
                fqdn(&n, out);
                out.push(' ');
                push_u64(
                    out,
                    u64::from(u16::from_be_bytes([
                        rd.first().copied().unwrap_or(0),
                        rd.get(1).copied().unwrap_or(0),
                    ])),
                );
            }
        }
        33 => {
            if let Some(n) = name_at(r.rdata_off + 6) {
                let g = |o: usize| {
                    u64::from(u16::from_be_bytes([
                        rd.get(o).copied().unwrap_or(0),
                        rd.get(o + 1).copied().unwrap_or(0),
                    ]))
                };
                out.push(' ');
                fqdn(&n, out);
                out.push(':');
                push_u64(out, g(4));
                out.push(' ');
                push_u64(out, g(0));
                out.push(' ');
                push_u64(out, g(2));
            }
        }
        16 => {
            let mut p = 0;
            while let Some(&l) = rd.get(p) {
                out.push_str(" \"");
                crate::text::push_printable(
                    out,
                    rd.get(p + 1..p + 1 + usize::from(l)).unwrap_or(&[]),
                );
                out.push('"');
                p += 1 + usize::from(l);
            }
        }
        41 => {
            out.push_str(" UDPsize=");
            push_u64(out, u64::from(r.class));
            if r.ttl & 0x8000 != 0 {
                out.push_str(" DO");
            }
        }
        6 if v > 0 => {
            if let Some(mn) = dns::read_name(d.msg, r.rdata_off) {
                out.push(' ');
                fqdn(&mn.text, out);
                if let Some(rn) = dns::read_name(d.msg, r.rdata_off + mn.wire_len) {
                    out.push(' ');
                    fqdn(&rn.text, out);
                    let base = mn.wire_len + rn.wire_len;
                    for k in 0..5 {
                        out.push(' ');
                        let val = be32(rd, base + 4 * k);
                        if k == 0 {
                            push_u64(out, u64::from(val));
                        } else {
                            write_ttl(val, out);
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// tcpdump's `unsigned_relts_print`: `1h2m3s`, `5m`, `0s`.
fn write_ttl(mut secs: u32, out: &mut String) {
    if secs == 0 {
        out.push_str("0s");
        return;
    }
    let units = [
        (31_536_000u32, 'y'),
        (604_800, 'w'),
        (86_400, 'd'),
        (3600, 'h'),
        (60, 'm'),
        (1, 's'),
    ];
    for (u, c) in units {
        if secs >= u {
            push_u64(out, u64::from(secs / u));
            out.push(c);
            secs %= u;
        }
    }
}
