//! tcpdump (libpcap) filter expressions, translated to display filters.
//!
//! The translation keeps what a person means by the expression rather than libpcap's
//! byte-offset mechanics: `host 10.0.0.1` becomes
//! `ip.addr == 10.0.0.1 || arp.src.proto_ipv4 == 10.0.0.1 || arp.dst.proto_ipv4 == 10.0.0.1`,
//! and it then also matches inside VLAN tags and tunnels, where compiled BPF does not look
//! (BPF reads fixed offsets of the outermost headers). Known differences from `tcpdump -r`:
//! - VLAN-tagged frames: BPF needs an explicit `vlan` before other primitives; here they
//!   match like untagged frames.
//! - Tunnels and ICMP errors: inner headers count here (as in Wireshark).
//! - IP fragments: BPF's `tcp`/`udp` match non-first fragments (the IP protocol field);
//!   `port` matches only first fragments. Here protocol and port tests need the
//!   transport header, which only the first fragment has.
//! - `proto[offset]` reads inside the protocol header only (Wireshark's slices of a protocol
//!   stop at its header), and TCP/UDP slices work over IPv6 too.
//! - `sctp`, `decnet`, `wlan`, `gateway`, `protochain`, `ip broadcast` and host names are
//!   not supported (an error says so).
//!
//! Grammar (libpcap's, reduced): `and`/`or` have equal precedence and associate to the
//! left, `not` binds tighter; qualifiers carry over to a bare value that follows
//! (`host a or b` is `host a or host b`); `proto[off:size] (& mask) relop value`
//! with constants such as `tcpflags`, `tcp-syn`, `icmptype`, `icmp-echo`.

use super::ast::{Const, Expr, FieldRef, Op, Operand, Quant, Rhs, SetItem, Slice, Test};
use super::check;
use super::error::{FilterError, MAX_DEPTH};
use super::lexer::{lex, Mode, Tok, Token};
use crate::field::FieldDef;
use crate::schema;

/// Parses a tcpdump expression and translates it.
///
/// # Errors
/// Syntax errors, unsupported primitives, values that do not fit.
pub(crate) fn translate(text: &str) -> Result<Expr, FilterError> {
    let toks = lex(text, Mode::Bpf)?;
    if toks.is_empty() {
        return Err(FilterError::new("empty filter", 0, 0));
    }
    let mut p = Bpf {
        toks,
        pos: 0,
        depth: 0,
        len: text.len(),
        last: None,
    };
    let e = p.expr()?;
    if let Some(t) = p.toks.get(p.pos) {
        return Err(FilterError::new(
            format!("unexpected {}", shown(&t.tok)),
            t.start,
            t.end,
        ));
    }
    Ok(e)
}

fn shown(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("\"{w}\""),
        Tok::Slice(s) => format!("[{s}]"),
        other => format!("{other:?}").to_lowercase(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Proto {
    Ether,
    Ip,
    Ip6,
    Arp,
    Rarp,
    Tcp,
    Udp,
    Icmp,
    Icmp6,
    Igmp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dir {
    Either,
    Src,
    Dst,
    Both,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Host,
    Net,
    Port,
    PortRange,
    Proto,
}

/// Qualifiers of a primitive (they carry over to bare values that follow).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Quals {
    proto: Option<Proto>,
    dir: Dir,
    kind: Option<Kind>,
}

struct Bpf {
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
    len: usize,
    last: Option<Quals>,
}

fn proto_word(w: &str) -> Option<Proto> {
    Some(match w {
        "ether" | "link" => Proto::Ether,
        "ip" => Proto::Ip,
        "ip6" => Proto::Ip6,
        "arp" => Proto::Arp,
        "rarp" => Proto::Rarp,
        "tcp" => Proto::Tcp,
        "udp" => Proto::Udp,
        "icmp" => Proto::Icmp,
        "icmp6" => Proto::Icmp6,
        "igmp" => Proto::Igmp,
        _ => return None,
    })
}

const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "host",
    "net",
    "port",
    "portrange",
    "src",
    "dst",
    "proto",
    "greater",
    "less",
    "len",
    "vlan",
    "mpls",
    "pppoes",
    "broadcast",
    "multicast",
    "gateway",
    "mask",
    "ether",
    "link",
    "ip",
    "ip6",
    "arp",
    "rarp",
    "tcp",
    "udp",
    "icmp",
    "icmp6",
    "igmp",
    "sctp",
    "gre",
    "esp",
    "ah",
    "decnet",
    "wlan",
    "protochain",
    "inbound",
    "outbound",
];

// ---------------------------------------------------------------------------------------
// Building checked expressions.

fn def(name: &str) -> Result<&'static FieldDef, FilterError> {
    schema()
        .get(name)
        .ok_or_else(|| FilterError::new(format!("{name} is not in paircap's field schema"), 0, 0))
}

fn test(name: &str, quant: Quant, op: Op, rhs: Rhs) -> Result<Expr, FilterError> {
    Ok(Expr::Test(Box::new(Test {
        quant,
        lhs: Operand {
            field: FieldRef::new(def(name)?),
            mask: None,
        },
        op,
        rhs,
    })))
}

fn eq(name: &str, c: Const) -> Result<Expr, FilterError> {
    test(name, Quant::Any, Op::Eq, Rhs::Const(c))
}

fn exists(name: &str) -> Result<Expr, FilterError> {
    Ok(Expr::Exists(FieldRef::new(def(name)?)))
}

fn int_eq(name: &str, v: u64) -> Result<Expr, FilterError> {
    eq(name, Const::Int(i128::from(v)))
}

/// `name in {lo..hi}` (or `name == lo` when the range is one value).
fn int_range(name: &str, lo: u64, hi: u64) -> Result<Expr, FilterError> {
    if lo == hi {
        return int_eq(name, lo);
    }
    test(
        name,
        Quant::Any,
        Op::In,
        Rhs::Set(vec![SetItem::Range(
            Const::Int(i128::from(lo)),
            Const::Int(i128::from(hi)),
        )]),
    )
}

/// `src`/`dst`/either/both of a pair of fields (`src and dst` needs both).
fn directional(
    dir: Dir,
    src: &str,
    dst: &str,
    either: Option<&str>,
    c: &Const,
) -> Result<Expr, FilterError> {
    Ok(match dir {
        Dir::Src => eq(src, c.clone())?,
        Dir::Dst => eq(dst, c.clone())?,
        Dir::Either => match either {
            Some(a) => eq(a, c.clone())?,
            None => Expr::or(vec![eq(src, c.clone())?, eq(dst, c.clone())?]),
        },
        Dir::Both => Expr::and(vec![eq(src, c.clone())?, eq(dst, c.clone())?]),
    })
}

/// Same with a range of ports.
fn directional_range(
    dir: Dir,
    src: &str,
    dst: &str,
    either: &str,
    lo: u64,
    hi: u64,
) -> Result<Expr, FilterError> {
    Ok(match dir {
        Dir::Src => int_range(src, lo, hi)?,
        Dir::Dst => int_range(dst, lo, hi)?,
        Dir::Either => int_range(either, lo, hi)?,
        Dir::Both => Expr::and(vec![int_range(src, lo, hi)?, int_range(dst, lo, hi)?]),
    })
}

// ---------------------------------------------------------------------------------------
// Constants.

/// Named constants of libpcap's arithmetic (pcap-filter(7)).
fn named_const(w: &str) -> Option<u64> {
    Some(match w {
        "tcpflags" => 13,
        "tcp-fin" => 0x01,
        "tcp-syn" => 0x02,
        "tcp-rst" => 0x04,
        "tcp-push" => 0x08,
        "tcp-ack" => 0x10,
        "tcp-urg" => 0x20,
        "tcp-ece" => 0x40,
        "tcp-cwr" => 0x80,
        "icmptype" | "icmp6type" => 0,
        "icmpcode" | "icmp6code" => 1,
        "icmp-echoreply" => 0,
        "icmp-unreach" => 3,
        "icmp-sourcequench" => 4,
        "icmp-redirect" => 5,
        "icmp-echo" => 8,
        "icmp-routeradvert" => 9,
        "icmp-routersolicit" => 10,
        "icmp-timxceed" => 11,
        "icmp-paramprob" => 12,
        "icmp-tstamp" => 13,
        "icmp-tstampreply" => 14,
        "icmp-ireq" => 15,
        "icmp-ireqreply" => 16,
        "icmp-maskreq" => 17,
        "icmp-maskreply" => 18,
        "icmp6-destinationunreach" => 1,
        "icmp6-packettoobig" => 2,
        "icmp6-timeexceeded" => 3,
        "icmp6-parameterproblem" => 4,
        "icmp6-echo" => 128,
        "icmp6-echoreply" => 129,
        "icmp6-multicastlistenerquery" => 130,
        "icmp6-multicastlistenerreportv1" => 131,
        "icmp6-multicastlistenerdone" => 132,
        "icmp6-routersolicit" => 133,
        "icmp6-routeradvert" => 134,
        "icmp6-neighborsolicit" => 135,
        "icmp6-neighboradvert" => 136,
        "icmp6-redirect" => 137,
        _ => return None,
    })
}

/// A number in libpcap's forms: decimal, `0x` hex, leading-zero octal; 32 bits at most
/// (libpcap's numbers are `bpf_u_int32`).
fn number(w: &str) -> Option<u64> {
    let n = if let Some(h) = w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if w.len() > 1 && w.starts_with('0') {
        u64::from_str_radix(w.get(1..)?, 8).ok()
    } else if !w.bytes().all(|b| b.is_ascii_digit()) {
        None
    } else {
        w.parse().ok()
    };
    n.filter(|&n| n <= u64::from(u32::MAX))
}

/// Service names tcpdump users type most (tcpdump reads /etc/services; this is a fixed list).
fn port_name(w: &str) -> Option<u64> {
    Some(match w {
        "ftp-data" => 20,
        "ftp" => 21,
        "ssh" => 22,
        "telnet" => 23,
        "smtp" => 25,
        "domain" => 53,
        "bootps" => 67,
        "bootpc" => 68,
        "tftp" => 69,
        "http" | "www" => 80,
        "pop3" => 110,
        "sunrpc" => 111,
        "ntp" => 123,
        "netbios-ns" => 137,
        "netbios-dgm" => 138,
        "netbios-ssn" => 139,
        "imap" | "imap2" => 143,
        "snmp" => 161,
        "snmp-trap" => 162,
        "bgp" => 179,
        "ldap" => 389,
        "https" => 443,
        "microsoft-ds" => 445,
        "isakmp" => 500,
        "syslog" => 514,
        "submission" => 587,
        "ldaps" => 636,
        "imaps" => 993,
        "pop3s" => 995,
        "openvpn" => 1194,
        "mysql" => 3306,
        "rdp" | "ms-wbt-server" => 3389,
        "postgresql" => 5432,
        "http-alt" => 8080,
        _ => return None,
    })
}

fn ip_proto_name(w: &str) -> Option<u64> {
    Some(match w.trim_start_matches('\\') {
        "icmp" => 1,
        "igmp" => 2,
        "tcp" => 6,
        "udp" => 17,
        "ipv6" | "ip6" => 41,
        "gre" => 47,
        "esp" => 50,
        "ah" => 51,
        "icmp6" => 58,
        "pim" => 103,
        "vrrp" => 112,
        "sctp" => 132,
        _ => return None,
    })
}

fn ether_proto_name(w: &str) -> Option<u64> {
    Some(match w.trim_start_matches('\\') {
        "ip" => 0x0800,
        "ip6" => 0x86dd,
        "arp" => 0x0806,
        "rarp" => 0x8035,
        "vlan" => 0x8100,
        "mpls" => 0x8847,
        "pppoes" => 0x8864,
        "pppoed" => 0x8863,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// Arithmetic (relations).

/// An arithmetic expression of a relation.
#[derive(Clone, Debug)]
enum Arith {
    Num(u64),
    Len,
    /// `proto[off:size]`.
    Load {
        proto: Proto,
        off: u64,
        size: u8,
        start: usize,
        end: usize,
    },
    Bin(char, Box<Arith>, Box<Arith>),
}

impl Arith {
    /// The value when it is a constant.
    fn constant(&self) -> Option<u64> {
        match self {
            Arith::Num(v) => Some(*v),
            Arith::Bin(op, a, b) => {
                let (a, b) = (a.constant()?, b.constant()?);
                Some(match op {
                    '|' => a | b,
                    '&' => a & b,
                    '+' => a.wrapping_add(b),
                    '-' => a.wrapping_sub(b),
                    '*' => a.wrapping_mul(b),
                    '/' => a.checked_div(b)?,
                    '%' => a.checked_rem(b)?,
                    '<' => a.checked_shl(u32::try_from(b).ok()?)?,
                    '>' => a.checked_shr(u32::try_from(b).ok()?)?,
                    _ => return None,
                })
            }
            _ => None,
        }
    }
}

fn relop(t: &Tok) -> Option<Op> {
    Some(match t {
        Tok::Eq => Op::Eq,
        Tok::Ne => Op::Ne,
        Tok::Lt => Op::Lt,
        Tok::Le => Op::Le,
        Tok::Gt => Op::Gt,
        Tok::Ge => Op::Ge,
        _ => return None,
    })
}

impl Bpf {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn peek_word(&self) -> Option<&str> {
        match self.peek() {
            Some(Tok::Word(w)) => Some(w.as_str()),
            _ => None,
        }
    }

    fn word_at(&self, i: usize) -> Option<&str> {
        match self.toks.get(i).map(|t| &t.tok) {
            Some(Tok::Word(w)) => Some(w.as_str()),
            _ => None,
        }
    }

    fn here(&self) -> (usize, usize) {
        self.toks
            .get(self.pos)
            .map_or((self.len, self.len), |t| (t.start, t.end))
    }

    fn err_here(&self, msg: impl Into<String>) -> FilterError {
        let (s, e) = self.here();
        FilterError::new(msg, s, e)
    }

    fn expr(&mut self) -> Result<Expr, FilterError> {
        // Equal precedence, left to right: `a or b and c` is `(a or b) and c`. A run of the
        // same operator becomes one node; a primitive's own expansion stays a child.
        let mut items = vec![self.term()?];
        let mut cur: Option<bool> = None;
        loop {
            let and = match self.peek() {
                Some(Tok::AndAnd) => true,
                Some(Tok::OrOr) => false,
                Some(Tok::Word(w)) if w == "and" => true,
                Some(Tok::Word(w)) if w == "or" => false,
                _ => break,
            };
            self.pos += 1;
            let r = self.term()?;
            match cur {
                Some(c) if c != and => {
                    let e = chain(c, std::mem::take(&mut items));
                    items.push(e);
                }
                _ => {}
            }
            cur = Some(and);
            items.push(r);
        }
        Ok(match cur {
            Some(c) => chain(c, items),
            None => items.pop().unwrap_or(Expr::And(Vec::new())),
        })
    }

    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err_here(format!("filter nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn term(&mut self) -> Result<Expr, FilterError> {
        let Some(t) = self.toks.get(self.pos).cloned() else {
            return Err(FilterError::new(
                "unexpected end of filter",
                self.len,
                self.len,
            ));
        };
        match &t.tok {
            Tok::Bang => {
                self.pos += 1;
                self.not()
            }
            Tok::Word(w) if w == "not" => {
                self.pos += 1;
                self.not()
            }
            Tok::LParen => {
                // `(tcp[13] & 2) != 0` is arithmetic; `(host a or host b)` is grouping.
                let (save, depth) = (self.pos, self.depth);
                if let Ok(Some(rel)) = self.relation() {
                    return Ok(rel);
                }
                // Backtrack (a failed attempt may have left nesting levels entered).
                self.pos = save + 1;
                self.depth = depth;
                self.enter()?;
                let e = self.expr()?;
                self.depth -= 1;
                match self.toks.get(self.pos) {
                    Some(Token {
                        tok: Tok::RParen, ..
                    }) => {
                        self.pos += 1;
                        Ok(e)
                    }
                    _ => Err(FilterError::new("missing ) for this (", t.start, t.end)),
                }
            }
            _ => {
                let (save, depth) = (self.pos, self.depth);
                match self.relation()? {
                    Some(rel) => Ok(rel),
                    None => {
                        self.pos = save;
                        self.depth = depth;
                        self.primitive()
                    }
                }
            }
        }
    }

    fn not(&mut self) -> Result<Expr, FilterError> {
        self.enter()?;
        let e = self.term()?;
        self.depth -= 1;
        // `not not X` is X: a chain of negations folds to its parity, so the translation
        // stays within the display filter's nesting limit (found by fuzzing).
        Ok(match e {
            Expr::Not(inner) => *inner,
            e => Expr::not(e),
        })
    }

    // --- relations ------------------------------------------------------------------

    /// `arith relop arith`, or `None` (position unspecified) when the tokens here do not
    /// start a relation.
    fn relation(&mut self) -> Result<Option<Expr>, FilterError> {
        if !self.starts_arith() {
            return Ok(None);
        }
        let start = self.here().0;
        let Ok(lhs) = self.arith(0) else {
            return Ok(None);
        };
        let Some(op) = self.peek().and_then(relop) else {
            return Ok(None);
        };
        let op_pos = self.here();
        self.pos += 1;
        let rhs = self.arith(0)?;
        let end = self
            .toks
            .get(self.pos.saturating_sub(1))
            .map_or(self.len, |t| t.end);
        let Some(value) = rhs.constant() else {
            return Err(FilterError::new(
                "the right side of a comparison must be a constant",
                op_pos.1,
                end,
            ));
        };
        self.rel_to_expr(lhs, op, value, start, end).map(Some)
    }

    fn starts_arith(&self) -> bool {
        match self.peek() {
            Some(Tok::LParen) => true,
            Some(Tok::Word(w)) => {
                let next_is_slice = matches!(
                    self.toks.get(self.pos + 1).map(|t| &t.tok),
                    Some(Tok::Slice(_))
                );
                (next_is_slice && proto_word(w).is_some())
                    || w == "len"
                    || number(w).is_some()
                    || named_const(w).is_some()
            }
            _ => false,
        }
    }

    /// Precedence climbing over libpcap's arithmetic operators.
    fn arith(&mut self, min: u8) -> Result<Arith, FilterError> {
        let mut lhs = self.arith_atom()?;
        loop {
            let (op, prec) = match self.peek() {
                Some(Tok::Pipe) => ('|', 1),
                Some(Tok::Amp) => ('&', 2),
                Some(Tok::Arith('<')) => ('<', 3),
                Some(Tok::Arith('>')) => ('>', 3),
                Some(Tok::Arith('+')) => ('+', 4),
                Some(Tok::Arith('-')) => ('-', 4),
                Some(Tok::Arith('*')) => ('*', 5),
                Some(Tok::Arith('/')) => ('/', 5),
                Some(Tok::Arith('%')) => ('%', 5),
                _ => break,
            };
            if prec < min {
                break;
            }
            self.pos += 1;
            let rhs = self.arith(prec + 1)?;
            lhs = Arith::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn arith_atom(&mut self) -> Result<Arith, FilterError> {
        let Some(t) = self.toks.get(self.pos).cloned() else {
            return Err(FilterError::new(
                "unexpected end of filter: expected a value",
                self.len,
                self.len,
            ));
        };
        self.pos += 1;
        match &t.tok {
            Tok::LParen => {
                self.enter()?;
                let a = self.arith(0)?;
                self.depth -= 1;
                match self.toks.get(self.pos) {
                    Some(Token {
                        tok: Tok::RParen, ..
                    }) => {
                        self.pos += 1;
                        Ok(a)
                    }
                    _ => Err(FilterError::new("missing ) for this (", t.start, t.end)),
                }
            }
            Tok::Word(w) if w == "len" => Ok(Arith::Len),
            Tok::Word(w) => {
                if let Some(Token {
                    tok: Tok::Slice(inner),
                    end,
                    ..
                }) = self.toks.get(self.pos).cloned()
                {
                    if let Some(proto) = proto_word(w) {
                        self.pos += 1;
                        let (off, size) = load_spec(&inner, t.end, end)?;
                        return Ok(Arith::Load {
                            proto,
                            off,
                            size,
                            start: t.start,
                            end,
                        });
                    }
                }
                number(w)
                    .or_else(|| named_const(w))
                    .map(Arith::Num)
                    .ok_or_else(|| FilterError::new(format!("{w} is not a number"), t.start, t.end))
            }
            other => Err(FilterError::new(
                format!("expected a value, found {}", shown(other)),
                t.start,
                t.end,
            )),
        }
    }

    /// Translates `lhs op value`.
    fn rel_to_expr(
        &self,
        lhs: Arith,
        op: Op,
        value: u64,
        start: usize,
        end: usize,
    ) -> Result<Expr, FilterError> {
        // Split `load & mask` (constant masks only).
        let (base, mask) = match lhs {
            Arith::Bin('&', a, b) => match (a.constant(), b.constant()) {
                (None, Some(m)) => (*a, Some(m)),
                (Some(m), None) => (*b, Some(m)),
                _ => (Arith::Bin('&', a, b), None),
            },
            other => (other, None),
        };
        let quant = if op == Op::Ne { Quant::All } else { Quant::Any };
        match base {
            Arith::Len if mask.is_none() => test("frame.len", quant, op, Rhs::Const(Const::Int(i128::from(value)))),
            Arith::Load { proto, off, size, start: ls, end: le } => {
                let fits = |v: u64| size >= 8 || v < 1u64 << (8 * u32::from(size));
                if !fits(value) || mask.is_some_and(|m| !fits(m)) {
                    return Err(FilterError::new(format!("the value does not fit in {size} byte(s)"), start, end));
                }
                // Readable forms for the common single-byte tests.
                let named = match (proto, off, size) {
                    (Proto::Tcp, 13, 1) => Some(("tcp.flags", mask.unwrap_or(0xff))),
                    (Proto::Icmp, 0, 1) => Some(("icmp.type", mask.unwrap_or(0xff))),
                    (Proto::Icmp, 1, 1) => Some(("icmp.code", mask.unwrap_or(0xff))),
                    _ => None,
                };
                if let Some((name, m)) = named {
                    let field = FieldRef::new(def(name)?);
                    let mask = (m != 0xff || name == "tcp.flags").then_some(Const::Int(i128::from(m)));
                    return Ok(Expr::Test(Box::new(Test {
                        quant,
                        lhs: Operand { field, mask },
                        op,
                        rhs: Rhs::Const(Const::Int(i128::from(value))),
                    })));
                }
                let name = match proto {
                    Proto::Ether => "eth",
                    Proto::Ip => "ip",
                    Proto::Ip6 => "ipv6",
                    Proto::Arp | Proto::Rarp => "arp",
                    Proto::Tcp => "tcp",
                    Proto::Udp => "udp",
                    Proto::Icmp => "icmp",
                    Proto::Icmp6 => "icmpv6",
                    Proto::Igmp => "igmp",
                };
                let be = |v: u64| -> Vec<u8> {
                    let b = v.to_be_bytes();
                    b.get(8 - usize::from(size)..).unwrap_or(&[]).to_vec()
                };
                let off = i32::try_from(off).map_err(|_| FilterError::new("offset too large", ls, le))?;
                let field = FieldRef {
                    def: def(name)?,
                    slice: Some(Slice {
                        start: off,
                        len: Some(u32::from(size)),
                    }),
                };
                Ok(Expr::Test(Box::new(Test {
                    quant,
                    lhs: Operand {
                        field,
                        mask: mask.map(|m| Const::Bytes(be(m))),
                    },
                    op,
                    rhs: Rhs::Const(Const::Bytes(be(value))),
                })))
            }
            _ => Err(FilterError::new(
                "only len and proto[offset:size] with an optional & mask can be compared (other arithmetic has no display-filter form)",
                start,
                end,
            )),
        }
    }

    // --- primitives -----------------------------------------------------------------

    fn primitive(&mut self) -> Result<Expr, FilterError> {
        let Some(t) = self.toks.get(self.pos).cloned() else {
            return Err(FilterError::new(
                "unexpected end of filter",
                self.len,
                self.len,
            ));
        };
        let Tok::Word(w) = &t.tok else {
            return Err(FilterError::new(
                format!("unexpected {}", shown(&t.tok)),
                t.start,
                t.end,
            ));
        };
        let w = w.clone();
        match w.as_str() {
            "greater" | "less" => {
                self.pos += 1;
                let n = self.number_arg(&w)?;
                let op = if w == "greater" { Op::Ge } else { Op::Le };
                return test(
                    "frame.len",
                    Quant::Any,
                    op,
                    Rhs::Const(Const::Int(i128::from(n))),
                );
            }
            "vlan" | "mpls" | "pppoes" => {
                self.pos += 1;
                let field = match w.as_str() {
                    "vlan" => "vlan.id",
                    "mpls" => "mpls.label",
                    _ => "pppoe.session_id",
                };
                let proto = if w == "vlan" { "vlan" } else { w.as_str() };
                if let Some(n) = self.peek_word().and_then(number) {
                    // libpcap's limits: a 12-bit VLAN id, a 20-bit label, a 16-bit session.
                    let max: u64 = match w.as_str() {
                        "vlan" => 4095,
                        "mpls" => 0xf_ffff,
                        _ => 0xffff,
                    };
                    if n > max {
                        return Err(
                            self.err_here(format!("{w} {n} is greater than the maximum {max}"))
                        );
                    }
                    self.pos += 1;
                    return int_eq(field, n);
                }
                return exists(proto);
            }
            "broadcast" | "multicast" => {
                self.pos += 1;
                return link_cast(&w);
            }
            "gre" | "esp" | "ah" => {
                self.pos += 1;
                return exists(&w);
            }
            "sctp" | "decnet" | "wlan" | "gateway" | "protochain" | "atalk" | "aarp" | "iso"
            | "stp" | "ipx" | "netbeui" | "inbound" | "outbound" | "ifname" | "on" | "rnr"
            | "rulenum" | "reason" | "rset" | "srnr" | "subrulenum" | "action" | "fddi" | "tr"
            | "type" | "subtype" | "ra" | "ta" | "addr1" | "addr2" | "addr3" | "addr4" | "dir"
            | "llc" | "geneve" | "vxlan" | "lat" | "moprc" | "mopdl" | "sca" | "clnp" | "esis"
            | "isis" | "l1" | "l2" | "iih" | "lsp" | "snp" | "csnp" | "psnp" => {
                return Err(FilterError::new(
                    format!("the tcpdump primitive {w} has no display-filter translation here"),
                    t.start,
                    t.end,
                ));
            }
            _ => {}
        }
        // Qualifiers.
        let q_start = self.pos;
        let mut proto = None;
        if let Some(p) = proto_word(&w) {
            proto = Some(p);
            self.pos += 1;
        }
        let mut dir = None;
        match self.peek_word() {
            Some("src") | Some("dst") => {
                let first = self.peek_word() == Some("src");
                self.pos += 1;
                dir = Some(if first { Dir::Src } else { Dir::Dst });
                let conj = self.word_at(self.pos).map(str::to_string);
                let other = self.word_at(self.pos + 1).map(str::to_string);
                if let (Some(c), Some(o)) = (conj.as_deref(), other.as_deref()) {
                    let pair = (first && o == "dst") || (!first && o == "src");
                    if pair && (c == "or" || c == "and") {
                        self.pos += 2;
                        dir = Some(if c == "or" { Dir::Either } else { Dir::Both });
                    }
                }
            }
            _ => {}
        }
        let mut kind = None;
        match self.peek_word() {
            Some("host") => kind = Some(Kind::Host),
            Some("net") => kind = Some(Kind::Net),
            Some("port") => kind = Some(Kind::Port),
            Some("portrange") => kind = Some(Kind::PortRange),
            Some("proto") => kind = Some(Kind::Proto),
            _ => {}
        }
        if kind.is_some() {
            self.pos += 1;
        }
        // A protocol alone, or `ether/ip/ip6 broadcast|multicast`.
        if dir.is_none() && kind.is_none() {
            if let Some(p) = proto {
                if let Some(c @ ("broadcast" | "multicast")) = self.peek_word() {
                    let c = c.to_string();
                    self.pos += 1;
                    return cast(
                        p,
                        &c,
                        t.start,
                        self.toks.get(self.pos - 1).map_or(t.end, |x| x.end),
                    );
                }
                if self.value_follows() && p == Proto::Ether {
                    // `ether aa:bb:…` is not valid tcpdump either.
                    return Err(self.err_here("ether needs host, src, dst or proto"));
                }
                if !self.value_follows() {
                    return proto_alone(p);
                }
            }
        }
        let quals = if proto.is_none() && dir.is_none() && kind.is_none() {
            // A bare value: the previous primitive's qualifiers, else `host`.
            if KEYWORDS.contains(&w.as_str()) {
                return Err(FilterError::new(
                    format!("unexpected keyword {w}"),
                    t.start,
                    t.end,
                ));
            }
            self.last.unwrap_or(Quals {
                proto: None,
                dir: Dir::Either,
                kind: Some(Kind::Host),
            })
        } else {
            Quals {
                proto,
                dir: dir.unwrap_or(Dir::Either),
                kind,
            }
        };
        let Some(id_tok) = self.toks.get(self.pos).cloned() else {
            let (s, _) = self
                .toks
                .get(q_start)
                .map_or((self.len, self.len), |x| (x.start, x.end));
            return Err(FilterError::new(
                "unexpected end of filter: expected a value after the qualifiers",
                s.max(self.len),
                self.len,
            ));
        };
        let Tok::Word(id) = &id_tok.tok else {
            return Err(FilterError::new(
                format!("expected a value, found {}", shown(&id_tok.tok)),
                id_tok.start,
                id_tok.end,
            ));
        };
        if KEYWORDS.contains(&id.as_str()) && port_name(id).is_none() && ip_proto_name(id).is_none()
        {
            return Err(FilterError::new(
                format!("expected a value, found the keyword {id}"),
                id_tok.start,
                id_tok.end,
            ));
        }
        self.pos += 1;
        let e = self.qualified(quals, id, id_tok.start, id_tok.end)?;
        self.last = Some(quals);
        Ok(e)
    }

    /// Whether the next token is a value (not an operator, keyword or end).
    fn value_follows(&self) -> bool {
        match self.peek() {
            Some(Tok::Word(w)) => !KEYWORDS.contains(&w.as_str()) || w.starts_with('\\'),
            _ => false,
        }
    }

    fn number_arg(&mut self, what: &str) -> Result<u64, FilterError> {
        match self.toks.get(self.pos).cloned() {
            Some(Token {
                tok: Tok::Word(w),
                start,
                end,
            }) => {
                self.pos += 1;
                number(&w).ok_or_else(|| {
                    FilterError::new(format!("{what} needs a number, {w} is not one"), start, end)
                })
            }
            _ => Err(self.err_here(format!("{what} needs a number"))),
        }
    }

    /// A value with its qualifiers.
    fn qualified(
        &mut self,
        q: Quals,
        id: &str,
        start: usize,
        end: usize,
    ) -> Result<Expr, FilterError> {
        let kind = q.kind.unwrap_or(Kind::Host);
        let bad = |m: String| FilterError::new(m, start, end);
        match kind {
            Kind::Host | Kind::Net => {
                if q.proto == Some(Proto::Ether) {
                    if kind == Kind::Net {
                        return Err(bad("ether net is not supported".into()));
                    }
                    let mac = check::parse_bytes(id)
                        .and_then(|b| <[u8; 6]>::try_from(b.as_slice()).ok())
                        .ok_or_else(|| bad(format!("{id} is not a MAC address")))?;
                    return directional(
                        q.dir,
                        "eth.src",
                        "eth.dst",
                        Some("eth.addr"),
                        &Const::Ether(mac),
                    );
                }
                if matches!(
                    q.proto,
                    Some(Proto::Tcp | Proto::Udp | Proto::Icmp | Proto::Icmp6 | Proto::Igmp)
                ) {
                    return Err(bad(format!(
                        "{} host/net is not valid (use ip host … and {})",
                        proto_name(q.proto),
                        proto_name(q.proto)
                    )));
                }
                if let Some((a, p)) = v4_host_or_net(id, kind)? {
                    if p < 32 || kind == Kind::Net {
                        let bits = u32::from_be_bytes(a)
                            & !(u32::MAX.checked_shl(32 - u32::from(p)).unwrap_or(0));
                        if bits != 0 {
                            return Err(bad(format!("non-network bits set in {id}")));
                        }
                    }
                    let c = Const::Ipv4(a, p);
                    let ip = || directional(q.dir, "ip.src", "ip.dst", Some("ip.addr"), &c);
                    let arp =
                        || directional(q.dir, "arp.src.proto_ipv4", "arp.dst.proto_ipv4", None, &c);
                    return match q.proto {
                        None => {
                            let mut v = vec![ip()?];
                            match arp()? {
                                Expr::Or(x) => v.extend(x),
                                other => v.push(other),
                            }
                            Ok(Expr::or(v))
                        }
                        Some(Proto::Ip) => ip(),
                        Some(Proto::Arp) => arp(),
                        Some(Proto::Rarp) => Ok(Expr::and(vec![rarp()?, arp()?])),
                        Some(Proto::Ip6) => Err(bad(format!("{id} is not an IPv6 address"))),
                        _ => Err(bad("unsupported qualifiers".into())),
                    };
                }
                if let Some((a, p)) = check::parse_ipv6(id) {
                    if !matches!(q.proto, None | Some(Proto::Ip6)) {
                        return Err(bad(format!("{id} is an IPv6 address; use ip6 host")));
                    }
                    if kind == Kind::Host && p < 128 {
                        return Err(bad("host takes an address; use net for a prefix".into()));
                    }
                    let mask = u128::MAX.checked_shl(128 - u32::from(p)).unwrap_or(0);
                    if u128::from_be_bytes(a) & !mask != 0 {
                        return Err(bad(format!("non-network bits set in {id}")));
                    }
                    return directional(
                        q.dir,
                        "ipv6.src",
                        "ipv6.dst",
                        Some("ipv6.addr"),
                        &Const::Ipv6(a, p),
                    );
                }
                if kind == Kind::Host && q.proto.is_none() {
                    if let Some(mac) =
                        check::parse_bytes(id).and_then(|b| <[u8; 6]>::try_from(b.as_slice()).ok())
                    {
                        return directional(
                            q.dir,
                            "eth.src",
                            "eth.dst",
                            Some("eth.addr"),
                            &Const::Ether(mac),
                        );
                    }
                }
                if number(id).is_some() && kind == Kind::Host {
                    return Err(bad(format!(
                        "{id} needs a qualifier such as port (a host is an address)"
                    )));
                }
                Err(bad(format!(
                    "{id} is not an address (host names are not looked up; use an address)"
                )))
            }
            Kind::Port | Kind::PortRange => {
                let (lo, hi) = if kind == Kind::PortRange {
                    let (a, b) = id
                        .split_once('-')
                        .ok_or_else(|| bad(format!("portrange needs low-high, {id} is not")))?;
                    (
                        port(a).ok_or_else(|| bad(format!("{a} is not a port")))?,
                        port(b).ok_or_else(|| bad(format!("{b} is not a port")))?,
                    )
                } else {
                    let p = port(id).ok_or_else(|| {
                        bad(format!("{id} is not a port number or known service name"))
                    })?;
                    (p, p)
                };
                let (lo, hi) = (lo.min(hi), lo.max(hi));
                let tcp =
                    || directional_range(q.dir, "tcp.srcport", "tcp.dstport", "tcp.port", lo, hi);
                let udp =
                    || directional_range(q.dir, "udp.srcport", "udp.dstport", "udp.port", lo, hi);
                match q.proto {
                    None | Some(Proto::Ip) | Some(Proto::Ip6) => {
                        let both = Expr::or(vec![tcp()?, udp()?]);
                        Ok(match q.proto {
                            Some(Proto::Ip) => Expr::and(vec![exists("ip")?, both]),
                            Some(Proto::Ip6) => Expr::and(vec![exists("ipv6")?, both]),
                            _ => both,
                        })
                    }
                    Some(Proto::Tcp) => tcp(),
                    Some(Proto::Udp) => udp(),
                    Some(p) => Err(bad(format!("{} port is not valid", proto_name(Some(p))))),
                }
            }
            Kind::Proto => match q.proto {
                Some(Proto::Ether) => {
                    let n = number(id)
                        .or_else(|| ether_proto_name(id))
                        .ok_or_else(|| bad(format!("{id} is not an ethertype")))?;
                    if n > 0xffff {
                        return Err(bad(format!("{id} does not fit in 16 bits")));
                    }
                    int_eq("eth.type", n)
                }
                None | Some(Proto::Ip) | Some(Proto::Ip6) => {
                    let n = number(id)
                        .or_else(|| ip_proto_name(id))
                        .ok_or_else(|| bad(format!("{id} is not an IP protocol")))?;
                    if n > 0xff {
                        return Err(bad(format!("{id} does not fit in 8 bits")));
                    }
                    match q.proto {
                        Some(Proto::Ip) => int_eq("ip.proto", n),
                        Some(Proto::Ip6) => int_eq("ipv6.nxt", n),
                        _ => Ok(Expr::or(vec![
                            int_eq("ip.proto", n)?,
                            int_eq("ipv6.nxt", n)?,
                        ])),
                    }
                }
                Some(p) => Err(bad(format!(
                    "{} proto is not supported",
                    proto_name(Some(p))
                ))),
            },
        }
    }
}

fn chain(and: bool, items: Vec<Expr>) -> Expr {
    if and {
        Expr::and(items)
    } else {
        Expr::or(items)
    }
}

fn proto_name(p: Option<Proto>) -> &'static str {
    match p {
        None => "",
        Some(Proto::Ether) => "ether",
        Some(Proto::Ip) => "ip",
        Some(Proto::Ip6) => "ip6",
        Some(Proto::Arp) => "arp",
        Some(Proto::Rarp) => "rarp",
        Some(Proto::Tcp) => "tcp",
        Some(Proto::Udp) => "udp",
        Some(Proto::Icmp) => "icmp",
        Some(Proto::Icmp6) => "icmp6",
        Some(Proto::Igmp) => "igmp",
    }
}

fn port(w: &str) -> Option<u64> {
    number(w).filter(|p| *p <= 0xffff).or_else(|| port_name(w))
}

/// RARP frames: ARP with the RARP opcodes (3, 4).
fn rarp() -> Result<Expr, FilterError> {
    test(
        "arp.opcode",
        Quant::Any,
        Op::In,
        Rhs::Set(vec![
            SetItem::One(Const::Int(3)),
            SetItem::One(Const::Int(4)),
        ]),
    )
}

fn proto_alone(p: Proto) -> Result<Expr, FilterError> {
    match p {
        Proto::Ether => exists("eth"),
        Proto::Ip => exists("ip"),
        Proto::Ip6 => exists("ipv6"),
        Proto::Arp => exists("arp"),
        Proto::Rarp => rarp(),
        Proto::Tcp => exists("tcp"),
        Proto::Udp => exists("udp"),
        Proto::Icmp => exists("icmp"),
        Proto::Icmp6 => exists("icmpv6"),
        Proto::Igmp => exists("igmp"),
    }
}

fn link_cast(w: &str) -> Result<Expr, FilterError> {
    if w == "broadcast" {
        eq("eth.dst", Const::Ether([0xff; 6]))
    } else {
        eq("eth.dst.ig", Const::Int(1))
    }
}

fn cast(p: Proto, w: &str, start: usize, end: usize) -> Result<Expr, FilterError> {
    match (p, w) {
        (Proto::Ether, _) => link_cast(w),
        (Proto::Ip, "multicast") => eq("ip.dst", Const::Ipv4([224, 0, 0, 0], 4)),
        (Proto::Ip6, "multicast") => {
            let mut a = [0u8; 16];
            if let Some(x) = a.first_mut() {
                *x = 0xff;
            }
            eq("ipv6.dst", Const::Ipv6(a, 8))
        }
        _ => Err(FilterError::new(
            format!(
                "{} {w} is not supported (it depends on the capture interface's netmask)",
                proto_name(Some(p))
            ),
            start,
            end,
        )),
    }
}

/// An IPv4 host (`a.b.c.d`) or network (`a.b.c.d/n`, `a.b.c` = /24, `a.b` = /16, `a` = /8,
/// with `net`); `Ok(None)` when `id` is not IPv4 at all.
fn v4_host_or_net(id: &str, kind: Kind) -> Result<Option<([u8; 4], u8)>, FilterError> {
    if let Some((a, p)) = check::parse_ipv4(id) {
        return Ok(Some((a, p)));
    }
    if kind != Kind::Net || id.contains(':') {
        return Ok(None);
    }
    let (addr, prefix) = match id.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u8>().ok().filter(|p| *p <= 32))),
        None => (id, None),
    };
    let parts: Vec<&str> = addr.split('.').collect();
    if parts.is_empty()
        || parts.len() > 4
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Ok(None);
    }
    let mut a = [0u8; 4];
    for (slot, part) in a.iter_mut().zip(&parts) {
        let Ok(v) = part.parse::<u8>() else {
            return Ok(None);
        };
        *slot = v;
    }
    let p = match prefix {
        Some(Some(p)) => p,
        Some(None) => return Ok(None),
        None => (parts.len() * 8) as u8,
    };
    Ok(Some((a, p)))
}

/// `off` or `off:size` inside `proto[…]`.
fn load_spec(inner: &str, start: usize, end: usize) -> Result<(u64, u8), FilterError> {
    let bad = |m: &str| FilterError::new(format!("bad offset [{inner}]: {m}"), start, end);
    let (off_text, size) = match inner.rsplit_once(':') {
        Some((o, s)) => {
            let s = number(s.trim()).ok_or_else(|| bad("the size must be 1, 2 or 4"))?;
            (o, s)
        }
        None => (inner, 1),
    };
    if !matches!(size, 1 | 2 | 4) {
        return Err(bad("the size must be 1, 2 or 4"));
    }
    let toks = lex(off_text, Mode::Bpf).map_err(|_| bad("not a constant"))?;
    if toks.iter().any(|t| matches!(t.tok, Tok::Slice(_))) {
        return Err(bad(
            "offsets that read the packet (such as tcp[tcp[12]]) are not supported",
        ));
    }
    let mut p = Bpf {
        toks,
        pos: 0,
        depth: 0,
        len: off_text.len(),
        last: None,
    };
    let a = p.arith(0).map_err(|_| bad("not a constant"))?;
    if p.pos != p.toks.len() {
        return Err(bad("not a constant"));
    }
    let off = a
        .constant()
        .ok_or_else(|| bad("offsets must be constants"))?;
    if off > 0xffff {
        return Err(bad("offset too large"));
    }
    Ok((off, size as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> String {
        match translate(s) {
            Ok(e) => e.to_string(),
            Err(e) => panic!("{s}: {}", e.in_text(s).render()),
        }
    }

    #[test]
    fn translates_hosts_and_ports() {
        assert_eq!(
            t("host 10.0.0.1 and port 22"),
            "(ip.addr == 10.0.0.1 || arp.src.proto_ipv4 == 10.0.0.1 || arp.dst.proto_ipv4 == 10.0.0.1) && (tcp.port == 22 || udp.port == 22)"
        );
        assert_eq!(
            t("src host 10.0.0.1"),
            "ip.src == 10.0.0.1 || arp.src.proto_ipv4 == 10.0.0.1"
        );
        assert_eq!(t("ip dst 10.0.0.1"), "ip.dst == 10.0.0.1");
        assert_eq!(
            t("ip src and dst 10.0.0.1"),
            "ip.src == 10.0.0.1 && ip.dst == 10.0.0.1"
        );
        assert_eq!(t("ip6 host fe80::1"), "ipv6.addr == fe80::1");
        assert_eq!(t("host fe80::1"), "ipv6.addr == fe80::1");
        assert_eq!(t("net 10.0.0.0/8"), "ip.addr == 10.0.0.0/8 || arp.src.proto_ipv4 == 10.0.0.0/8 || arp.dst.proto_ipv4 == 10.0.0.0/8");
        assert_eq!(t("ip net 192.168"), "ip.addr == 192.168.0.0/16");
        assert_eq!(t("ip6 net 2001:db8::/32"), "ipv6.addr == 2001:db8::/32");
        assert_eq!(t("tcp port 443"), "tcp.port == 443");
        assert_eq!(t("tcp dst port https"), "tcp.dstport == 443");
        assert_eq!(t("udp src or dst port 53"), "udp.port == 53");
        assert_eq!(
            t("tcp src and dst port 80"),
            "tcp.srcport == 80 && tcp.dstport == 80"
        );
        assert_eq!(
            t("portrange 8000-8080"),
            "tcp.port in {8000..8080} || udp.port in {8000..8080}"
        );
        assert_eq!(
            t("ether host 00:11:22:33:44:55"),
            "eth.addr == 00:11:22:33:44:55"
        );
        assert_eq!(
            t("ether src 00:11:22:33:44:55"),
            "eth.src == 00:11:22:33:44:55"
        );
        assert_eq!(
            t("ip host 1.2.3.4 or 5.6.7.8"),
            "ip.addr == 1.2.3.4 || ip.addr == 5.6.7.8"
        );
        assert_eq!(t("tcp port 80 or 443"), "tcp.port == 80 || tcp.port == 443");
    }

    #[test]
    fn translates_protocols_and_sizes() {
        assert_eq!(t("tcp or udp"), "tcp || udp");
        assert_eq!(t("icmp6 && !arp"), "icmpv6 && !arp");
        assert_eq!(t("ip6"), "ipv6");
        assert_eq!(t("vlan 100"), "vlan.id == 100");
        assert_eq!(t("vlan"), "vlan");
        assert_eq!(t("rarp"), "arp.opcode in {3, 4}");
        assert_eq!(t("greater 100"), "frame.len >= 100");
        // libpcap's limits (found by fuzzing: these translated to filters that then failed).
        assert!(translate("greater 6666666666666669000").is_err());
        assert!(translate("vlan 5000").is_err());
        assert!(translate("pppoes 02222220").is_err());
        assert_eq!(t("vlan 4095"), "vlan.id == 4095");
        assert_eq!(t("not not not tcp"), t("not tcp"));
        assert_eq!(t("! ! udp"), "udp");
        assert_eq!(t("less 60"), "frame.len <= 60");
        assert_eq!(t("len > 1000"), "frame.len > 1000");
        assert_eq!(t("ip proto \\tcp"), "ip.proto == 6");
        assert_eq!(t("proto 17"), "ip.proto == 17 || ipv6.nxt == 17");
        assert_eq!(t("ether proto \\arp"), "eth.type == 0x806");
        assert_eq!(t("ether broadcast"), "eth.dst == ff:ff:ff:ff:ff:ff");
        assert_eq!(t("ip multicast"), "ip.dst == 224.0.0.0/4");
    }

    #[test]
    fn translates_byte_tests() {
        assert_eq!(t("tcp[tcpflags] & tcp-syn != 0"), "tcp.flags & 0x2 != 0x0");
        assert_eq!(t("tcp[13] & 2 != 0"), "tcp.flags & 0x2 != 0x0");
        assert_eq!(t("tcp[13] = 0x12"), "tcp.flags & 0xff == 0x12");
        assert_eq!(
            t("tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)"),
            "tcp.flags & 0x12 == 0x12"
        );
        assert_eq!(t("(tcp[13] & 2) != 0"), "tcp.flags & 0x2 != 0x0");
        assert_eq!(t("ip[8] < 64"), "ip[8] < 40");
        assert_eq!(t("ip[2:2] > 1000"), "ip[2:2] > 03:e8");
        assert_eq!(t("icmp[icmptype] == icmp-echo"), "icmp.type == 8");
        assert_eq!(
            t("icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply"),
            "icmp.type != 8 && icmp.type != 0"
        );
        assert_eq!(t("ether[0] & 1 != 0"), "eth[0] & 01 != 00");
        assert_eq!(t("udp[8:4] = 0x12345678"), "udp[8:4] == 12:34:56:78");
    }

    #[test]
    fn precedence_is_left_to_right() {
        assert_eq!(t("tcp or udp and icmp"), "(tcp || udp) && icmp");
        assert_eq!(t("not tcp and udp"), "!tcp && udp");
        assert_eq!(t("not (tcp or udp)"), "!(tcp || udp)");
        assert_eq!(
            t("(host 1.2.3.4 or host 5.6.7.8) and tcp"),
            "((ip.addr == 1.2.3.4 || arp.src.proto_ipv4 == 1.2.3.4 || arp.dst.proto_ipv4 == 1.2.3.4) || \
             (ip.addr == 5.6.7.8 || arp.src.proto_ipv4 == 5.6.7.8 || arp.dst.proto_ipv4 == 5.6.7.8)) && tcp"
        );
    }

    #[test]
    fn backtracking_keeps_the_nesting_count() {
        let deep = format!("{}tcp{}", "(".repeat(60), ")".repeat(60));
        assert_eq!(t(&deep), "tcp");
        let rel = format!("{}tcp[13] & 2{} != 0", "(".repeat(30), ")".repeat(30));
        assert_eq!(t(&rel), "tcp.flags & 0x2 != 0x0");
        let mixed = format!(
            "{}host 1.2.3.4 and (tcp[13] & 2) != 0{}",
            "(".repeat(30),
            ")".repeat(30)
        );
        assert!(translate(&mixed).is_ok());
    }

    #[test]
    fn rejects_what_it_cannot_translate() {
        for bad in [
            "host example.com",
            "sctp",
            "tcp[tcp[12]] = 1",
            "tcp[13:3] = 1",
            "tcp[13] = 256",
            "net 10.0.0.1/8",
            "port 70000",
            "ip broadcast",
            "tcp host 1.2.3.4",
            "80",
            "host",
            "(tcp",
            "tcp[12] >> 4 = 5",
            "gateway 1.2.3.4",
        ] {
            assert!(translate(bad).is_err(), "{bad} should fail");
        }
    }
}
