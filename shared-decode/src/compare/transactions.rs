//! Network or server? Per transaction seen at both capture points — TCP handshakes, DNS
//! queries over UDP, TLS handshakes (ClientHello → ServerHello) and HTTP/1 requests — the
//! time its request spent on the path there, the time the server took (between the request's
//! last byte and the response's first byte, both at the server's capture), the time the
//! response spent on the path back, and the total the client saw.
//!
//! Transactions are found from the packets' match keys alone (flags, the first payload
//! bytes: a DNS header's ID and QR bit, a TLS record's handshake type, an HTTP method or
//! status line), at the capture where each request was *sent* — the client's side, whichever
//! capture that is — and mapped to the other capture through the compare's pairs. The path
//! times are the pairs' one-way delays (corrected for the clock offset: with asymmetric
//! minimum delays, the two-way estimate splits them evenly unless an offset is given); the
//! server time uses one clock only.
//!
//! A transaction whose request's last packet or response's first packet has no twin (lost,
//! outside a capture) is counted as incomplete. HTTP requests are paired with responses in
//! order per connection (pipelining). The total includes retransmission waits (a SYN sent
//! again): `wait` is what the three parts do not explain.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::key::{bits, tcp_flags, Fingerprint};
use super::report::{addr_text, Direction, Percentiles, Report};
use super::side::Side;
use crate::flow::TableState;
use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;

/// What kind of exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TxKind {
    /// SYN → SYN-ACK.
    TcpHandshake,
    /// DNS query → response (UDP).
    Dns,
    /// TLS ClientHello → ServerHello.
    Tls,
    /// HTTP/1 request → the first byte of its response.
    Http,
}

impl TxKind {
    /// All kinds.
    pub const ALL: [TxKind; 4] = [TxKind::TcpHandshake, TxKind::Dns, TxKind::Tls, TxKind::Http];

    /// Name in JSON and tables.
    pub fn name(self) -> &'static str {
        match self {
            TxKind::TcpHandshake => "tcp_handshake",
            TxKind::Dns => "dns",
            TxKind::Tls => "tls_handshake",
            TxKind::Http => "http",
        }
    }

    /// Name in sentences.
    pub fn label(self) -> &'static str {
        match self {
            TxKind::TcpHandshake => "TCP handshake",
            TxKind::Dns => "DNS",
            TxKind::Tls => "TLS handshake",
            TxKind::Http => "HTTP",
        }
    }
}

/// One transaction seen at both captures. Frames are 1-based; `client_at_source` says which
/// capture the `client_*` frames belong to (the other holds the `server_*` ones).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// Kind.
    pub kind: TxKind,
    /// The request was sent at the source capture (the client is on the source side).
    pub client_at_source: bool,
    /// Client and server as the client's capture saw them (`addr:port`).
    pub client: String,
    /// See `client`.
    pub server: String,
    /// What it was: `GET`, a DNS ID, …
    pub what: String,
    /// The request's first packet at the client's capture.
    pub client_request: u32,
    /// The request's last packet at the client's capture.
    pub client_request_last: u32,
    /// The response's first packet at the client's capture.
    pub client_response: u32,
    /// The request's last packet at the server's capture.
    pub server_request_last: u32,
    /// The response's first packet at the server's capture.
    pub server_response: u32,
    /// When the client sent the request (its capture's clock, ns).
    pub start_ns: i64,
    /// Total seen by the client (request sent → response's first byte received), ns.
    pub total_ns: i64,
    /// Path there (the request's last packet), ns.
    pub there_ns: i64,
    /// At the server (request's last byte → response's first byte), ns.
    pub server_ns: i64,
    /// Path back (the response's first packet), ns.
    pub back_ns: i64,
    /// What the three parts do not explain (retransmission waits), ns.
    pub wait_ns: i64,
}

/// Per kind: how many, how many could not be measured, and the distributions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TxStats {
    /// Transactions measured.
    pub count: u64,
    /// Seen at the client's capture, but some part not at the server's.
    pub incomplete: u64,
    /// Total, path there, server, path back (ns).
    pub total: Option<Percentiles>,
    /// See `total`.
    pub there: Option<Percentiles>,
    /// See `total`.
    pub server: Option<Percentiles>,
    /// See `total`.
    pub back: Option<Percentiles>,
}

/// All transactions of a comparison, slowest first, with per-kind statistics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Transactions {
    /// Slowest first.
    pub list: Vec<Transaction>,
    /// Per kind (`TxKind::ALL` order).
    pub stats: Vec<(TxKind, TxStats)>,
}

/// A request waiting for its response.
#[derive(Clone, Copy, Debug)]
struct Open {
    first: u32,
    last: u32,
}

const HTTP_METHODS: [&[u8]; 9] = [
    b"GET ", b"POST", b"PUT ", b"HEAD", b"DELE", b"OPTI", b"PATC", b"CONN", b"TRAC",
];

/// The first `n` payload bytes, if captured.
fn head(f: &Fingerprint, n: usize) -> Option<[u8; 8]> {
    let have = usize::from(f.cap).min(usize::from(f.payload_len));
    (have >= n && n <= 8).then(|| f.head.to_be_bytes())
}

fn is_http_request(f: &Fingerprint) -> Option<String> {
    let h = head(f, 4)?;
    let m = h.get(..4)?;
    HTTP_METHODS
        .contains(&m)
        .then(|| String::from_utf8_lossy(m).trim().to_string())
}

fn is_http_response(f: &Fingerprint) -> bool {
    head(f, 7).is_some_and(|h| h.get(..7) == Some(&b"HTTP/1."[..]))
}

/// TLS handshake record carrying this handshake type as its first message.
fn tls_hello(f: &Fingerprint, ty: u8) -> bool {
    head(f, 6).is_some_and(|h| h.first() == Some(&0x16) && h.get(5) == Some(&ty))
}

/// A DNS message over UDP: (ID, is a response).
fn dns(f: &Fingerprint) -> Option<(u16, bool)> {
    if f.proto != 17 || f.payload_len < 12 || (f.src_port != 53 && f.dst_port != 53) {
        return None;
    }
    let h = head(f, 3)?;
    let id = u16::from_be_bytes([*h.first()?, *h.get(1)?]);
    Some((id, h.get(2)? & 0x80 != 0))
}

fn endpoint(f: &Fingerprint, dst: bool) -> String {
    let v6 = f.family() == bits::FAMILY_V6;
    let (a, p) = if dst {
        (&f.dst, f.dst_port)
    } else {
        (&f.src, f.src_port)
    };
    if v6 {
        format!("[{}]:{p}", addr_text(a, true))
    } else {
        format!("{}:{p}", addr_text(a, false))
    }
}

/// Finds the transactions of a comparison (see the module documentation).
pub fn transactions(src: &[Fingerprint], dst: &[Fingerprint], r: &Report) -> Transactions {
    let mut list = Vec::new();
    let mut incomplete: HashMap<TxKind, u64, TableState> = HashMap::default();
    for client_at_source in [true, false] {
        let (fps, other, dirs, twins, delays, other_delays) = if client_at_source {
            (
                src,
                dst,
                &r.src_direction,
                &r.src_twin,
                &r.delay_ns,
                &r.dst_delay_ns,
            )
        } else {
            (
                dst,
                src,
                &r.dst_direction,
                &r.dst_twin,
                &r.dst_delay_ns,
                &r.delay_ns,
            )
        };
        let _ = other_delays;
        let side = Side::new(fps);
        let sent_here = |k: usize| {
            let d = dirs.get(k).copied().unwrap_or_default();
            (d == Direction::SourceToTarget) == client_at_source && d != Direction::Unknown
        };
        // Open requests per conversation (and DNS ID).
        let mut syn: HashMap<u32, Open, TableState> = HashMap::default();
        let mut tls: HashMap<u32, Open, TableState> = HashMap::default();
        let mut http: HashMap<u32, VecDeque<(Open, String)>, TableState> = HashMap::default();
        let mut dns_q: HashMap<(u32, u16), Open, TableState> = HashMap::default();
        let mut close = |kind: TxKind, req: Open, resp: u32, what: String| {
            let (Some(fq), Some(fr)) = (fps.get(req.first as usize), fps.get(resp as usize)) else {
                return;
            };
            let tw = |k: u32| twins.get(k as usize).copied().unwrap_or(0);
            let (tq, tr) = (tw(req.last), tw(resp));
            let dl = |k: u32| delays.get(k as usize).copied().filter(|&d| d != i64::MIN);
            let (Some(there), Some(back), Some(oq), Some(or)) = (
                dl(req.last),
                dl(resp),
                tq.checked_sub(1).and_then(|t| other.get(t as usize)),
                tr.checked_sub(1).and_then(|t| other.get(t as usize)),
            ) else {
                *incomplete.entry(kind).or_insert(0) += 1;
                return;
            };
            let total = fr.ts_ns.saturating_sub(fq.ts_ns);
            let server = or.ts_ns.saturating_sub(oq.ts_ns);
            list.push(Transaction {
                kind,
                client_at_source,
                client: endpoint(fq, false),
                server: endpoint(fq, true),
                what,
                client_request: req.first + 1,
                client_request_last: req.last + 1,
                client_response: resp + 1,
                server_request_last: tq,
                server_response: tr,
                start_ns: fq.ts_ns,
                total_ns: total,
                there_ns: there,
                server_ns: server,
                back_ns: back,
                wait_ns: total
                    .saturating_sub(there)
                    .saturating_sub(server)
                    .saturating_sub(back),
            });
        };
        for (k, f) in fps.iter().enumerate() {
            let k32 = k as u32;
            let Some((conv, _)) = side.conv_of(k32) else {
                continue;
            };
            let out = sent_here(k);
            if f.is_tcp() {
                let fl = f.flags;
                if fl & (tcp_flags::SYN | tcp_flags::ACK) == tcp_flags::SYN && out {
                    let e = syn.entry(conv).or_insert(Open {
                        first: k32,
                        last: k32,
                    });
                    e.last = k32;
                    continue;
                }
                if fl & (tcp_flags::SYN | tcp_flags::ACK) == tcp_flags::SYN | tcp_flags::ACK && !out
                {
                    if let Some(req) = syn.remove(&conv) {
                        close(TxKind::TcpHandshake, req, k32, "SYN".to_string());
                    }
                    continue;
                }
                if f.payload_len == 0 {
                    continue;
                }
                if out {
                    if tls_hello(f, 1) {
                        tls.insert(
                            conv,
                            Open {
                                first: k32,
                                last: k32,
                            },
                        );
                    } else if let Some(t) = tls.get_mut(&conv) {
                        t.last = k32;
                    }
                    if let Some(m) = is_http_request(f) {
                        http.entry(conv).or_default().push_back((
                            Open {
                                first: k32,
                                last: k32,
                            },
                            m,
                        ));
                    } else if let Some(q) = http.get_mut(&conv).and_then(|q| q.back_mut()) {
                        q.0.last = k32;
                    }
                } else {
                    if tls_hello(f, 2) {
                        if let Some(req) = tls.remove(&conv) {
                            close(TxKind::Tls, req, k32, "ClientHello".to_string());
                        }
                    }
                    if is_http_response(f) {
                        if let Some((req, m)) = http.get_mut(&conv).and_then(|q| q.pop_front()) {
                            close(TxKind::Http, req, k32, m);
                        }
                    }
                }
            } else if let Some((id, response)) = dns(f) {
                if !response && out {
                    dns_q.insert(
                        (conv, id),
                        Open {
                            first: k32,
                            last: k32,
                        },
                    );
                } else if response && !out {
                    if let Some(req) = dns_q.remove(&(conv, id)) {
                        close(TxKind::Dns, req, k32, format!("0x{id:04x}"));
                    }
                }
            }
        }
    }
    list.sort_by(|a, b| {
        b.total_ns
            .cmp(&a.total_ns)
            .then(a.start_ns.cmp(&b.start_ns))
    });
    let mut stats = Vec::new();
    for kind in TxKind::ALL {
        let of = |get: fn(&Transaction) -> i64| {
            let mut v: Vec<i64> = list.iter().filter(|t| t.kind == kind).map(get).collect();
            Percentiles::of(&mut v)
        };
        let count = list.iter().filter(|t| t.kind == kind).count() as u64;
        let inc = incomplete.get(&kind).copied().unwrap_or(0);
        if count == 0 && inc == 0 {
            continue;
        }
        stats.push((
            kind,
            TxStats {
                count,
                incomplete: inc,
                total: of(|t| t.total_ns),
                there: of(|t| t.there_ns),
                server: of(|t| t.server_ns),
                back: of(|t| t.back_ns),
            },
        ));
    }
    Transactions { list, stats }
}

fn ms(ns: i64) -> String {
    let v = ns as f64 / 1e6;
    if v.abs() >= 100.0 {
        format!("{v:.0} ms")
    } else if v.abs() >= 1.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.3} ms")
    }
}

impl Transactions {
    /// The diagnosis lines: per kind, what dominates its slowest transactions (those at or
    /// above the 99th percentile of the total).
    pub fn diagnosis(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (kind, st) in &self.stats {
            let Some(p) = st.total else { continue };
            let slow: Vec<&Transaction> = self
                .list
                .iter()
                .filter(|t| t.kind == *kind && t.total_ns >= p.p99)
                .collect();
            if slow.is_empty() {
                continue;
            }
            let n = slow.len() as i64;
            let avg = |f: fn(&Transaction) -> i64| slow.iter().map(|t| f(t)).sum::<i64>() / n;
            let (there, server, back, wait) = (
                avg(|t| t.there_ns),
                avg(|t| t.server_ns),
                avg(|t| t.back_ns),
                avg(|t| t.wait_ns),
            );
            let path = there.saturating_add(back);
            let verdict = if server >= path && server >= wait {
                "the server"
            } else if wait > path {
                "retransmissions (a request or answer lost and sent again)"
            } else {
                "the network"
            };
            let mut s = format!(
                "p99 {} latency {} ({} measured): {} at the server, {} on the path there and {} back",
                kind.label(),
                ms(p.p99),
                st.count,
                ms(server),
                ms(there),
                ms(back)
            );
            if wait > 1_000_000 {
                let _ = write!(s, ", {} waiting for retransmissions", ms(wait));
            }
            let _ = write!(s, " — mostly {verdict}");
            if st.incomplete > 0 {
                let _ = write!(
                    s,
                    "; {} more could not be measured at both ends",
                    st.incomplete
                );
            }
            s.push('.');
            out.push(s);
        }
        out
    }

    /// Text: per kind percentiles, then the `show` slowest transactions.
    pub fn to_text(&self, show: usize) -> String {
        let mut o = String::from("\ntransactions (ms: total = there + server + back + wait):\n");
        for (kind, st) in &self.stats {
            let _ = write!(o, "  {:<14} {:>6} measured", kind.label(), st.count);
            if st.incomplete > 0 {
                let _ = write!(o, " ({} incomplete)", st.incomplete);
            }
            o.push('\n');
            for (name, p) in [
                ("total", &st.total),
                ("there", &st.there),
                ("server", &st.server),
                ("back", &st.back),
            ] {
                if let Some(p) = p {
                    let _ = writeln!(
                        o,
                        "    {name:<7} p50 {:>9.3}  p95 {:>9.3}  p99 {:>9.3}  max {:>9.3}",
                        p.p50 as f64 / 1e6,
                        p.p95 as f64 / 1e6,
                        p.p99 as f64 / 1e6,
                        p.max as f64 / 1e6
                    );
                }
            }
        }
        if !self.list.is_empty() {
            let _ = writeln!(
                o,
                "\n  {:<14} {:<11} {:>10} {:>9} {:>9} {:>9}  client → server (frames request…response: at the client, at the server; S source, T target)",
                "kind", "what", "total", "there", "server", "back"
            );
            for t in self.list.iter().take(show) {
                let side = if t.client_at_source {
                    ('S', 'T')
                } else {
                    ('T', 'S')
                };
                let _ = writeln!(
                    o,
                    "  {:<14} {:<11} {:>10.3} {:>9.3} {:>9.3} {:>9.3}  {} → {} ({}{}…{}{} / {}{}…{}{})",
                    t.kind.label(),
                    t.what,
                    t.total_ns as f64 / 1e6,
                    t.there_ns as f64 / 1e6,
                    t.server_ns as f64 / 1e6,
                    t.back_ns as f64 / 1e6,
                    t.client,
                    t.server,
                    side.0,
                    t.client_request,
                    side.0,
                    t.client_response,
                    side.1,
                    t.server_request_last,
                    side.1,
                    t.server_response
                );
            }
            if self.list.len() > show {
                let _ = writeln!(
                    o,
                    "  … {} more (--format json lists all)",
                    self.list.len() - show
                );
            }
        }
        o
    }

    /// The JSON value (`"transactions"` of `paircap compare --transactions --format json`).
    pub fn to_json(&self) -> String {
        let mut o = String::from("{\"kinds\":{");
        let pct = |o: &mut String, p: &Option<Percentiles>| match p {
            None => o.push_str("null"),
            Some(p) => {
                let _ = write!(
                    o,
                    "{{\"p50\":{},\"p95\":{},\"p99\":{},\"max\":{}}}",
                    p.p50 as f64 / 1e6,
                    p.p95 as f64 / 1e6,
                    p.p99 as f64 / 1e6,
                    p.max as f64 / 1e6
                );
            }
        };
        for (i, (kind, st)) in self.stats.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            let _ = write!(
                o,
                "\"{}\":{{\"count\":{},\"incomplete\":{},\"total_ms\":",
                kind.name(),
                st.count,
                st.incomplete
            );
            pct(&mut o, &st.total);
            o.push_str(",\"there_ms\":");
            pct(&mut o, &st.there);
            o.push_str(",\"server_ms\":");
            pct(&mut o, &st.server);
            o.push_str(",\"back_ms\":");
            pct(&mut o, &st.back);
            o.push('}');
        }
        o.push_str("},\"list\":[");
        for (i, t) in self.list.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            let side = |client: bool| {
                if client == t.client_at_source {
                    "source"
                } else {
                    "target"
                }
            };
            let _ = write!(o, "{{\"kind\":\"{}\",\"what\":", t.kind.name());
            crate::format::json::push_json_str(&mut o, &t.what);
            o.push_str(",\"client\":");
            crate::format::json::push_json_str(&mut o, &t.client);
            o.push_str(",\"server\":");
            crate::format::json::push_json_str(&mut o, &t.server);
            let _ = write!(
                o,
                ",\"client_side\":\"{}\",\"server_side\":\"{}\",\"client_request\":{},\"client_request_last\":{},\"client_response\":{},\"server_request_last\":{},\"server_response\":{},\"total_ms\":{},\"there_ms\":{},\"server_ms\":{},\"back_ms\":{},\"wait_ms\":{}}}",
                side(true),
                side(false),
                t.client_request,
                t.client_request_last,
                t.client_response,
                t.server_request_last,
                t.server_response,
                t.total_ns as f64 / 1e6,
                t.there_ns as f64 / 1e6,
                t.server_ns as f64 / 1e6,
                t.back_ns as f64 / 1e6,
                t.wait_ns as f64 / 1e6
            );
        }
        o.push_str("]}");
        o
    }
}
