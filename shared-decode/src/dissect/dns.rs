//! DNS (RFC 1035, EDNS RFC 6891) over UDP and TCP, also mDNS (RFC 6762) and LLMNR
//! (RFC 4795), which share the wire format.
//!
//! Our own parser rather than a crate (`simple-dns`, `hickory-proto`): those reject a
//! message at the first error, while a capture viewer must show every record up to the
//! damage, with the byte range of each field, and must accept truncated captures.
//!
//! Termination and bounds: a compression pointer must point strictly before the label that
//! contains it (so name expansion always moves backwards), expansion is capped at
//! [`MAX_NAME_LEN`] bytes and [`MAX_POINTERS`] jumps, and record loops are bounded by the
//! message length (every record consumes at least 5 bytes) and by [`MAX_RECORDS`].

use super::{emit, open, Be, Decoded, DissectCx, DissectResult, Dissected, Next};
use crate::field::{Base, FieldDef, FieldType, Sink, Span, Value};
use crate::text::{push_hex, push_ipv4, push_ipv6, push_u64};

/// Longest expanded name (RFC 1035 §2.3.4 says 255).
pub const MAX_NAME_LEN: usize = 255;
/// Most compression pointers followed in one name.
pub const MAX_POINTERS: usize = 64;
/// Most records read from one message (all sections).
pub const MAX_RECORDS: usize = 4096;

/// Record type names.
pub static TYPES: &[(u64, &str)] = &[
    (1, "A"),
    (2, "NS"),
    (5, "CNAME"),
    (6, "SOA"),
    (10, "NULL"),
    (12, "PTR"),
    (13, "HINFO"),
    (15, "MX"),
    (16, "TXT"),
    (17, "RP"),
    (18, "AFSDB"),
    (24, "SIG"),
    (25, "KEY"),
    (28, "AAAA"),
    (29, "LOC"),
    (33, "SRV"),
    (35, "NAPTR"),
    (36, "KX"),
    (37, "CERT"),
    (39, "DNAME"),
    (41, "OPT"),
    (43, "DS"),
    (44, "SSHFP"),
    (46, "RRSIG"),
    (47, "NSEC"),
    (48, "DNSKEY"),
    (50, "NSEC3"),
    (51, "NSEC3PARAM"),
    (52, "TLSA"),
    (53, "SMIMEA"),
    (59, "CDS"),
    (60, "CDNSKEY"),
    (61, "OPENPGPKEY"),
    (64, "SVCB"),
    (65, "HTTPS"),
    (99, "SPF"),
    (249, "TKEY"),
    (250, "TSIG"),
    (251, "IXFR"),
    (252, "AXFR"),
    (255, "ANY"),
    (256, "URI"),
    (257, "CAA"),
];

/// Class names.
pub static CLASSES: &[(u64, &str)] =
    &[(1, "IN"), (3, "CH"), (4, "HS"), (254, "NONE"), (255, "ANY")];

/// Response codes.
pub static RCODES: &[(u64, &str)] = &[
    (0, "No error"),
    (1, "Format error"),
    (2, "Server failure"),
    (3, "No such name"),
    (4, "Not implemented"),
    (5, "Refused"),
    (6, "Name exists"),
    (7, "RRset exists"),
    (8, "RRset does not exist"),
    (9, "Not authoritative"),
    (10, "Name out of zone"),
    (16, "Bad OPT Version"),
    (23, "Bad/missing server cookie"),
];

/// Opcodes.
pub static OPCODES: &[(u64, &str)] = &[
    (0, "Standard query"),
    (1, "Inverse query"),
    (2, "Server status request"),
    (4, "Zone change notification"),
    (5, "Dynamic update"),
];

/// `dns`.
pub static DNS: FieldDef = FieldDef::proto("dns", "Domain Name System");
/// Multicast DNS: its own protocol in Wireshark (`mdns`), with `dns.*` fields.
pub static MDNS: FieldDef = FieldDef::proto("mdns", "Multicast Domain Name System");
/// LLMNR: its own protocol in Wireshark (`llmnr`), with `dns.*` fields.
pub static LLMNR: FieldDef = FieldDef::proto("llmnr", "Link-local Multicast Name Resolution");
/// `dns.length` (over TCP).
pub static LENGTH: FieldDef = FieldDef::new("dns.length", "Length", FieldType::UInt(16), Base::Dec);
/// `dns.id`.
pub static ID: FieldDef = FieldDef::new("dns.id", "Transaction ID", FieldType::UInt(16), Base::Hex);
/// `dns.flags`.
pub static FLAGS: FieldDef = FieldDef::new("dns.flags", "Flags", FieldType::UInt(16), Base::Hex);
/// `dns.flags.response`.
pub static F_RESPONSE: FieldDef = FieldDef::new(
    "dns.flags.response",
    "Response",
    FieldType::Bool,
    Base::None,
)
.masked(0x8000);
/// `dns.flags.opcode`.
pub static F_OPCODE: FieldDef =
    FieldDef::new("dns.flags.opcode", "Opcode", FieldType::UInt(16), Base::Dec)
        .masked(0x7800)
        .named(OPCODES);
/// `dns.flags.authoritative`.
pub static F_AA: FieldDef = FieldDef::new(
    "dns.flags.authoritative",
    "Authoritative",
    FieldType::Bool,
    Base::None,
)
.masked(0x0400);
/// `dns.flags.truncated`.
pub static F_TC: FieldDef = FieldDef::new(
    "dns.flags.truncated",
    "Truncated",
    FieldType::Bool,
    Base::None,
)
.masked(0x0200);
/// `dns.flags.recdesired`.
pub static F_RD: FieldDef = FieldDef::new(
    "dns.flags.recdesired",
    "Recursion desired",
    FieldType::Bool,
    Base::None,
)
.masked(0x0100);
/// `dns.flags.recavail`.
pub static F_RA: FieldDef = FieldDef::new(
    "dns.flags.recavail",
    "Recursion available",
    FieldType::Bool,
    Base::None,
)
.masked(0x0080);
/// `dns.flags.z`.
pub static F_Z: FieldDef =
    FieldDef::new("dns.flags.z", "Z", FieldType::Bool, Base::None).masked(0x0040);
/// `dns.flags.authenticated`.
pub static F_AD: FieldDef = FieldDef::new(
    "dns.flags.authenticated",
    "Answer authenticated",
    FieldType::Bool,
    Base::None,
)
.masked(0x0020);
/// `dns.flags.checkdisable`.
pub static F_CD: FieldDef = FieldDef::new(
    "dns.flags.checkdisable",
    "Non-authenticated data",
    FieldType::Bool,
    Base::None,
)
.masked(0x0010);
/// `dns.flags.rcode`.
pub static F_RCODE: FieldDef = FieldDef::new(
    "dns.flags.rcode",
    "Reply code",
    FieldType::UInt(16),
    Base::Dec,
)
.masked(0x000f)
.named(RCODES);
/// `dns.count.queries`.
pub static COUNT_QUERIES: FieldDef = FieldDef::new(
    "dns.count.queries",
    "Questions",
    FieldType::UInt(16),
    Base::Dec,
);
/// `dns.count.answers`.
pub static COUNT_ANSWERS: FieldDef = FieldDef::new(
    "dns.count.answers",
    "Answer RRs",
    FieldType::UInt(16),
    Base::Dec,
);
/// `dns.count.auth_rr`.
pub static COUNT_AUTH: FieldDef = FieldDef::new(
    "dns.count.auth_rr",
    "Authority RRs",
    FieldType::UInt(16),
    Base::Dec,
);
/// `dns.count.add_rr`.
pub static COUNT_ADD: FieldDef = FieldDef::new(
    "dns.count.add_rr",
    "Additional RRs",
    FieldType::UInt(16),
    Base::Dec,
);
/// `dns.qry.name`.
pub static QRY_NAME: FieldDef = FieldDef::new("dns.qry.name", "Name", FieldType::Str, Base::None);
/// `dns.qry.name.len`.
pub static QRY_NAME_LEN: FieldDef = FieldDef::new(
    "dns.qry.name.len",
    "Name Length",
    FieldType::UInt(16),
    Base::Dec,
);
/// `dns.count.labels`.
pub static COUNT_LABELS: FieldDef = FieldDef::new(
    "dns.count.labels",
    "Label Count",
    FieldType::UInt(16),
    Base::Dec,
);
/// `dns.qry.type`.
pub static QRY_TYPE: FieldDef =
    FieldDef::new("dns.qry.type", "Type", FieldType::UInt(16), Base::Dec).named(TYPES);
/// `dns.qry.class`.
pub static QRY_CLASS: FieldDef =
    FieldDef::new("dns.qry.class", "Class", FieldType::UInt(16), Base::Hex).named(CLASSES);
/// `dns.resp.name`.
pub static RESP_NAME: FieldDef = FieldDef::new("dns.resp.name", "Name", FieldType::Str, Base::None);
/// `dns.resp.type`.
pub static RESP_TYPE: FieldDef =
    FieldDef::new("dns.resp.type", "Type", FieldType::UInt(16), Base::Dec).named(TYPES);
/// `dns.resp.class`.
pub static RESP_CLASS: FieldDef =
    FieldDef::new("dns.resp.class", "Class", FieldType::UInt(16), Base::Hex).named(CLASSES);
/// `dns.resp.ttl`.
pub static RESP_TTL: FieldDef = FieldDef::new(
    "dns.resp.ttl",
    "Time to live",
    FieldType::UInt(32),
    Base::Dec,
);
/// `dns.resp.len`.
pub static RESP_LEN: FieldDef = FieldDef::new(
    "dns.resp.len",
    "Data length",
    FieldType::UInt(16),
    Base::Dec,
);
/// `dns.a`.
pub static A: FieldDef = FieldDef::new("dns.a", "Address", FieldType::Ipv4, Base::None);
/// `dns.aaaa`.
pub static AAAA: FieldDef = FieldDef::new("dns.aaaa", "AAAA Address", FieldType::Ipv6, Base::None);
/// `dns.cname`.
pub static CNAME: FieldDef = FieldDef::new("dns.cname", "CNAME", FieldType::Str, Base::None);
/// `dns.ns`.
pub static NS: FieldDef = FieldDef::new("dns.ns", "Name Server", FieldType::Str, Base::None);
/// `dns.ptr.domain_name`.
pub static PTR: FieldDef = FieldDef::new(
    "dns.ptr.domain_name",
    "Domain Name",
    FieldType::Str,
    Base::None,
);
/// `dns.mx.preference`.
pub static MX_PREF: FieldDef = FieldDef::new(
    "dns.mx.preference",
    "Preference",
    FieldType::UInt(16),
    Base::Dec,
);
/// `dns.mx.mail_exchange`.
pub static MX: FieldDef = FieldDef::new(
    "dns.mx.mail_exchange",
    "Mail Exchange",
    FieldType::Str,
    Base::None,
);
/// `dns.txt`.
pub static TXT: FieldDef = FieldDef::new("dns.txt", "TXT", FieldType::Str, Base::None);
/// `dns.soa.mname`.
pub static SOA_MNAME: FieldDef = FieldDef::new(
    "dns.soa.mname",
    "Primary name server",
    FieldType::Str,
    Base::None,
);
/// `dns.soa.rname`.
pub static SOA_RNAME: FieldDef = FieldDef::new(
    "dns.soa.rname",
    "Responsible authority's mailbox",
    FieldType::Str,
    Base::None,
);
/// `dns.soa.serial_number`.
pub static SOA_SERIAL: FieldDef = FieldDef::new(
    "dns.soa.serial_number",
    "Serial Number",
    FieldType::UInt(32),
    Base::Dec,
);
/// `dns.srv.priority`.
pub static SRV_PRIORITY: FieldDef = FieldDef::new(
    "dns.srv.priority",
    "Priority",
    FieldType::UInt(16),
    Base::Dec,
);
/// `dns.srv.weight`.
pub static SRV_WEIGHT: FieldDef =
    FieldDef::new("dns.srv.weight", "Weight", FieldType::UInt(16), Base::Dec);
/// `dns.srv.port`.
pub static SRV_PORT: FieldDef =
    FieldDef::new("dns.srv.port", "Port", FieldType::UInt(16), Base::Dec);
/// `dns.srv.target`.
pub static SRV_TARGET: FieldDef =
    FieldDef::new("dns.srv.target", "Target", FieldType::Str, Base::None);
/// `dns.rr.udp_payload_size`.
pub static UDP_PAYLOAD_SIZE: FieldDef = FieldDef::new(
    "dns.rr.udp_payload_size",
    "UDP payload size",
    FieldType::UInt(16),
    Base::Dec,
);
/// `dns.resp.edns0_version`.
pub static EDNS0_VERSION: FieldDef = FieldDef::new(
    "dns.resp.edns0_version",
    "EDNS0 version",
    FieldType::UInt(8),
    Base::Dec,
);
/// `dns.qry` (a question's subtree).
pub static QRY: FieldDef = FieldDef::new("dns.qry", "Query", FieldType::None, Base::None).detail();
/// `dns.resp` (a resource record's subtree).
pub static RESP: FieldDef =
    FieldDef::new("dns.resp", "Resource record", FieldType::None, Base::None).detail();

/// Fields of this module.
pub static FIELDS: &[&FieldDef] = &[
    &DNS,
    &MDNS,
    &LLMNR,
    &LENGTH,
    &ID,
    &FLAGS,
    &F_RESPONSE,
    &F_OPCODE,
    &F_AA,
    &F_TC,
    &F_RD,
    &F_RA,
    &F_Z,
    &F_AD,
    &F_CD,
    &F_RCODE,
    &COUNT_QUERIES,
    &COUNT_ANSWERS,
    &COUNT_AUTH,
    &COUNT_ADD,
    &QRY_NAME,
    &QRY_NAME_LEN,
    &COUNT_LABELS,
    &QRY_TYPE,
    &QRY_CLASS,
    &RESP_NAME,
    &RESP_TYPE,
    &RESP_CLASS,
    &RESP_TTL,
    &RESP_LEN,
    &A,
    &AAAA,
    &CNAME,
    &NS,
    &PTR,
    &MX_PREF,
    &MX,
    &TXT,
    &SOA_MNAME,
    &SOA_RNAME,
    &SOA_SERIAL,
    &SRV_PRIORITY,
    &SRV_WEIGHT,
    &SRV_PORT,
    &SRV_TARGET,
    &UDP_PAYLOAD_SIZE,
    &EDNS0_VERSION,
    &QRY,
    &RESP,
];

/// Which protocol shares the DNS format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// DNS.
    Dns,
    /// Multicast DNS (UDP 5353).
    Mdns,
    /// LLMNR (UDP/TCP 5355).
    Llmnr,
}

/// A DNS message.
#[derive(Clone, Debug)]
pub struct Dns<'a> {
    /// The message (without the TCP length prefix).
    pub msg: &'a [u8],
    /// The TCP length prefix, when carried over TCP.
    pub tcp_len: Option<u16>,
    /// DNS, mDNS or LLMNR.
    pub flavor: Flavor,
}

/// A decoded name: its text, wire length in place, and label count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    /// Dotted text without the trailing dot (`<Root>` for the root).
    pub text: String,
    /// Bytes the name occupies where it starts (pointer included).
    pub wire_len: usize,
    /// Number of labels.
    pub labels: usize,
}

/// Reads the name at `pos` in `msg`.
pub fn read_name(msg: &[u8], pos: usize) -> Option<Name> {
    let mut text = String::new();
    let mut p = pos;
    let mut wire_len = None;
    let mut labels = 0;
    let mut jumps = 0;
    // A pointer must target an offset strictly before the start of the name segment that
    // holds it, so each jump moves backwards and expansion terminates.
    let mut seg_start = pos;
    loop {
        let len = msg.u8_at(p)?;
        match len >> 6 {
            0 => {
                if len == 0 {
                    if wire_len.is_none() {
                        wire_len = Some(p + 1 - pos);
                    }
                    break;
                }
                let label = msg.get(p + 1..p + 1 + usize::from(len))?;
                if !text.is_empty() {
                    text.push('.');
                }
                for &c in label {
                    if c.is_ascii_graphic() && c != b'.' && c != b'\\' {
                        text.push(char::from(c));
                    } else {
                        text.push('\\');
                        push_u64(&mut text, u64::from(c));
                    }
                }
                labels += 1;
                if text.len() > MAX_NAME_LEN * 4 {
                    return None;
                }
                p += 1 + usize::from(len);
            }
            3 => {
                let target = usize::from(msg.u16_at(p)? & 0x3fff);
                if wire_len.is_none() {
                    wire_len = Some(p + 2 - pos);
                }
                jumps += 1;
                if target >= seg_start || jumps > MAX_POINTERS {
                    return None;
                }
                seg_start = target;
                p = target;
            }
            _ => return None,
        }
    }
    if labels == 0 {
        text.push_str("<Root>");
    }
    Some(Name {
        text,
        wire_len: wire_len.unwrap_or(1),
        labels,
    })
}

/// A question.
#[derive(Clone, Debug)]
pub struct Question {
    /// Offset in the message.
    pub off: usize,
    /// Bytes in the message.
    pub len: usize,
    /// Name.
    pub name: Name,
    /// QTYPE.
    pub qtype: u16,
    /// QCLASS.
    pub qclass: u16,
}

/// A resource record.
#[derive(Clone, Debug)]
pub struct Record {
    /// Offset in the message.
    pub off: usize,
    /// Bytes in the message.
    pub len: usize,
    /// Owner name.
    pub name: Name,
    /// TYPE.
    pub rtype: u16,
    /// CLASS (for OPT: the UDP payload size).
    pub class: u16,
    /// TTL (for OPT: extended rcode and flags).
    pub ttl: u32,
    /// Offset of RDATA in the message.
    pub rdata_off: usize,
    /// RDATA length.
    pub rdata_len: usize,
    /// Section: 1 answer, 2 authority, 3 additional.
    pub section: u8,
}

/// Everything parsed from a message, and where parsing stopped if it did.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    /// Questions.
    pub questions: Vec<Question>,
    /// Answer, authority and additional records.
    pub records: Vec<Record>,
    /// Offset where a record could not be read.
    pub error_at: Option<usize>,
}

impl<'a> Dns<'a> {
    /// Transaction id.
    pub fn id(&self) -> u16 {
        self.msg.u16_at(0).unwrap_or(0)
    }
    /// Flags word.
    pub fn flags(&self) -> u16 {
        self.msg.u16_at(2).unwrap_or(0)
    }
    /// QR bit.
    pub fn is_response(&self) -> bool {
        self.flags() & 0x8000 != 0
    }
    /// Opcode.
    pub fn opcode(&self) -> u16 {
        (self.flags() >> 11) & 0xf
    }
    /// Response code.
    pub fn rcode(&self) -> u16 {
        self.flags() & 0xf
    }
    /// Section counts (questions, answers, authority, additional).
    pub fn counts(&self) -> [u16; 4] {
        [4, 6, 8, 10].map(|o| self.msg.u16_at(o).unwrap_or(0))
    }

    /// Parses questions and records, stopping at the first one that does not fit.
    pub fn parse(&self) -> Parsed {
        let m = self.msg;
        let mut out = Parsed::default();
        let [qd, an, ns, ar] = self.counts();
        let mut p = 12usize;
        for _ in 0..qd {
            let Some(name) = read_name(m, p) else {
                out.error_at = Some(p);
                return out;
            };
            let q = p + name.wire_len;
            let (Some(qtype), Some(qclass)) = (m.u16_at(q), m.u16_at(q + 2)) else {
                out.error_at = Some(p);
                return out;
            };
            out.questions.push(Question {
                off: p,
                len: name.wire_len + 4,
                name,
                qtype,
                qclass,
            });
            p = q + 4;
            if out.questions.len() >= MAX_RECORDS {
                return out;
            }
        }
        for (section, count) in [(1u8, an), (2, ns), (3, ar)] {
            for _ in 0..count {
                let Some(name) = read_name(m, p) else {
                    out.error_at = Some(p);
                    return out;
                };
                let q = p + name.wire_len;
                let (Some(rtype), Some(class), Some(ttl), Some(rdlen)) = (
                    m.u16_at(q),
                    m.u16_at(q + 2),
                    m.u32_at(q + 4),
                    m.u16_at(q + 8),
                ) else {
                    out.error_at = Some(p);
                    return out;
                };
                let rdata_off = q + 10;
                let rdata_len = usize::from(rdlen);
                if rdata_off + rdata_len > m.len() {
                    out.error_at = Some(p);
                    return out;
                }
                out.records.push(Record {
                    off: p,
                    len: name.wire_len + 10 + rdata_len,
                    name,
                    rtype,
                    class,
                    ttl,
                    rdata_off,
                    rdata_len,
                    section,
                });
                p = rdata_off + rdata_len;
                if out.records.len() >= MAX_RECORDS {
                    return out;
                }
            }
        }
        out
    }

    fn rdata(&self, r: &Record) -> &'a [u8] {
        self.msg
            .get(r.rdata_off..r.rdata_off + r.rdata_len)
            .unwrap_or(&[])
    }

    /// A short text for a record's data as Wireshark's Info shows it (`A 1.2.3.4`).
    pub fn write_record_summary(&self, r: &Record, out: &mut String) {
        out.push_str(type_name(r.rtype).as_ref());
        let d = self.rdata(r);
        match r.rtype {
            1 => {
                if let Some(a) = d.arr::<4>(0) {
                    out.push(' ');
                    push_ipv4(out, a);
                }
            }
            28 => {
                if let Some(a) = d.arr::<16>(0) {
                    out.push(' ');
                    push_ipv6(out, a);
                }
            }
            2 | 5 | 12 | 39 | 6 => {
                if let Some(n) = read_name(self.msg, r.rdata_off) {
                    out.push(' ');
                    out.push_str(&n.text);
                }
            }
            15 => {
                if let (Some(pref), Some(n)) = (d.u16_at(0), read_name(self.msg, r.rdata_off + 2)) {
                    out.push(' ');
                    push_u64(out, u64::from(pref));
                    out.push(' ');
                    out.push_str(&n.text);
                }
            }
            33 => {
                if let (Some(pr), Some(w), Some(port), Some(n)) = (
                    d.u16_at(0),
                    d.u16_at(2),
                    d.u16_at(4),
                    read_name(self.msg, r.rdata_off + 6),
                ) {
                    for v in [pr, w, port] {
                        out.push(' ');
                        push_u64(out, u64::from(v));
                    }
                    out.push(' ');
                    out.push_str(&n.text);
                }
            }
            16 => {
                if let Some(&l) = d.first() {
                    out.push(' ');
                    out.push_str(&String::from_utf8_lossy(
                        d.get(1..1 + usize::from(l)).unwrap_or(&[]),
                    ));
                }
            }
            _ => {}
        }
    }

    /// Wireshark's Info column.
    pub fn write_info(&self, out: &mut String) {
        let op = self.opcode();
        out.push_str(
            OPCODES
                .iter()
                .find(|(k, _)| *k == u64::from(op))
                .map_or("Unknown operation", |(_, n)| n),
        );
        if self.is_response() {
            out.push_str(" response");
        }
        out.push_str(" 0x");
        push_hex(out, u64::from(self.id()), 4);
        let rc = self.rcode();
        if self.is_response() && rc != 0 {
            out.push(' ');
            out.push_str(
                RCODES
                    .iter()
                    .find(|(k, _)| *k == u64::from(rc))
                    .map_or("Unknown error", |(_, n)| n),
            );
        }
        let parsed = self.parse();
        for q in &parsed.questions {
            out.push(' ');
            out.push_str(type_name(q.qtype).as_ref());
            out.push(' ');
            out.push_str(&q.name.text);
        }
        for r in &parsed.records {
            out.push(' ');
            self.write_record_summary(r, out);
        }
    }

    pub(crate) fn emit(&self, off: usize, sink: &mut dyn Sink<'a>) {
        let m = self.msg;
        let base = off + if self.tcp_len.is_some() { 2 } else { 0 };
        let title = match self.flavor {
            Flavor::Dns => "Domain Name System",
            Flavor::Mdns => "Multicast Domain Name System",
            Flavor::Llmnr => "Link-local Multicast Name Resolution",
        };
        let proto = match self.flavor {
            Flavor::Dns => &DNS,
            Flavor::Mdns => &MDNS,
            Flavor::Llmnr => &LLMNR,
        };
        open!(
            sink,
            proto,
            Value::None,
            Span::new(off, m.len() + base - off),
            "{title} ({})",
            if self.is_response() {
                "response"
            } else {
                "query"
            }
        );
        if let Some(l) = self.tcp_len {
            emit!(sink, &LENGTH, Value::UInt(u64::from(l)), Span::new(off, 2));
        }
        if m.len() < 12 {
            sink.close();
            return;
        }
        emit!(
            sink,
            &ID,
            Value::UInt(u64::from(self.id())),
            Span::new(base, 2)
        );
        let f = u64::from(self.flags());
        open!(sink, &FLAGS, Value::UInt(f), Span::new(base + 2, 2));
        emit!(
            sink,
            &F_RESPONSE,
            Value::Bool(f & 0x8000 != 0),
            Span::new(base + 2, 2)
        );
        emit!(
            sink,
            &F_OPCODE,
            Value::UInt((f >> 11) & 0xf),
            Span::new(base + 2, 2)
        );
        if f & 0x8000 != 0 {
            emit!(
                sink,
                &F_AA,
                Value::Bool(f & 0x0400 != 0),
                Span::new(base + 2, 2)
            );
        }
        emit!(
            sink,
            &F_TC,
            Value::Bool(f & 0x0200 != 0),
            Span::new(base + 2, 2)
        );
        emit!(
            sink,
            &F_RD,
            Value::Bool(f & 0x0100 != 0),
            Span::new(base + 2, 2)
        );
        if f & 0x8000 != 0 {
            emit!(
                sink,
                &F_RA,
                Value::Bool(f & 0x0080 != 0),
                Span::new(base + 2, 2)
            );
        }
        emit!(
            sink,
            &F_Z,
            Value::Bool(f & 0x0040 != 0),
            Span::new(base + 2, 2)
        );
        if f & 0x8000 != 0 {
            emit!(
                sink,
                &F_AD,
                Value::Bool(f & 0x0020 != 0),
                Span::new(base + 2, 2)
            );
        }
        emit!(
            sink,
            &F_CD,
            Value::Bool(f & 0x0010 != 0),
            Span::new(base + 2, 2)
        );
        if f & 0x8000 != 0 {
            emit!(sink, &F_RCODE, Value::UInt(f & 0xf), Span::new(base + 2, 2));
        }
        sink.close();
        for (i, def) in [&COUNT_QUERIES, &COUNT_ANSWERS, &COUNT_AUTH, &COUNT_ADD]
            .into_iter()
            .enumerate()
        {
            emit!(
                sink,
                def,
                Value::UInt(u64::from(m.u16_at(4 + 2 * i).unwrap_or(0))),
                Span::new(base + 4 + 2 * i, 2)
            );
        }
        let parsed = self.parse();
        for q in parsed.questions {
            open!(
                sink,
                &QRY,
                Value::None,
                Span::new(base + q.off, q.len),
                "{}: type {}, class {}",
                q.name.text,
                type_name(q.qtype),
                CLASSES
                    .iter()
                    .find(|(k, _)| *k == u64::from(q.qclass & 0x7fff))
                    .map_or("Unknown", |(_, n)| n)
            );
            let nspan = Span::new(base + q.off, q.name.wire_len);
            let nlen = if q.name.labels == 0 {
                6
            } else {
                q.name.text.len()
            };
            emit!(sink, &QRY_NAME, Value::Str(q.name.text.into()), nspan);
            emit!(sink, &QRY_NAME_LEN, Value::UInt(nlen as u64), Span::NONE);
            emit!(
                sink,
                &COUNT_LABELS,
                Value::UInt(q.name.labels as u64),
                Span::NONE
            );
            emit!(
                sink,
                &QRY_TYPE,
                Value::UInt(u64::from(q.qtype)),
                Span::new(base + q.off + q.name.wire_len, 2)
            );
            emit!(
                sink,
                &QRY_CLASS,
                Value::UInt(u64::from(q.qclass)),
                Span::new(base + q.off + q.name.wire_len + 2, 2)
            );
            sink.close();
        }
        for r in parsed.records {
            self.emit_record(&r, base, sink);
        }
        sink.close();
    }

    fn emit_record(&self, r: &Record, base: usize, sink: &mut dyn Sink<'a>) {
        let mut summary = String::new();
        if sink.wants_labels() {
            summary.push_str(&r.name.text);
            summary.push_str(": ");
            self.write_record_summary(r, &mut summary);
        }
        open!(
            sink,
            &RESP,
            Value::None,
            Span::new(base + r.off, r.len),
            "{summary}"
        );
        let q = base + r.off + r.name.wire_len;
        emit!(
            sink,
            &RESP_NAME,
            Value::Str(r.name.text.clone().into()),
            Span::new(base + r.off, r.name.wire_len)
        );
        emit!(
            sink,
            &RESP_TYPE,
            Value::UInt(u64::from(r.rtype)),
            Span::new(q, 2)
        );
        if r.rtype == 41 {
            emit!(
                sink,
                &UDP_PAYLOAD_SIZE,
                Value::UInt(u64::from(r.class)),
                Span::new(q + 2, 2)
            );
            emit!(
                sink,
                &EDNS0_VERSION,
                Value::UInt(u64::from((r.ttl >> 16) & 0xff)),
                Span::new(q + 5, 1)
            );
        } else {
            emit!(
                sink,
                &RESP_CLASS,
                Value::UInt(u64::from(r.class)),
                Span::new(q + 2, 2)
            );
            emit!(
                sink,
                &RESP_TTL,
                Value::UInt(u64::from(r.ttl)),
                Span::new(q + 4, 4)
            );
        }
        emit!(
            sink,
            &RESP_LEN,
            Value::UInt(r.rdata_len as u64),
            Span::new(q + 8, 2)
        );
        let d = self.rdata(r);
        let ro = base + r.rdata_off;
        let name_at = |o: usize| read_name(self.msg, o);
        match r.rtype {
            1 => {
                if let Some(a) = d.arr::<4>(0) {
                    emit!(sink, &A, Value::Ipv4(a), Span::new(ro, 4));
                }
            }
            28 => {
                if let Some(a) = d.arr::<16>(0) {
                    emit!(sink, &AAAA, Value::Ipv6(a), Span::new(ro, 16));
                }
            }
            2 | 5 | 12 => {
                if let Some(n) = name_at(r.rdata_off) {
                    let def = match r.rtype {
                        2 => &NS,
                        5 => &CNAME,
                        _ => &PTR,
                    };
                    emit!(
                        sink,
                        def,
                        Value::Str(n.text.into()),
                        Span::new(ro, r.rdata_len)
                    );
                }
            }
            15 => {
                if let Some(p) = d.u16_at(0) {
                    emit!(sink, &MX_PREF, Value::UInt(u64::from(p)), Span::new(ro, 2));
                }
                if let Some(n) = name_at(r.rdata_off + 2) {
                    emit!(
                        sink,
                        &MX,
                        Value::Str(n.text.into()),
                        Span::new(ro + 2, r.rdata_len.saturating_sub(2))
                    );
                }
            }
            6 => {
                if let Some(mn) = name_at(r.rdata_off) {
                    let l1 = mn.wire_len;
                    emit!(
                        sink,
                        &SOA_MNAME,
                        Value::Str(mn.text.into()),
                        Span::new(ro, l1)
                    );
                    if let Some(rn) = name_at(r.rdata_off + l1) {
                        let l2 = rn.wire_len;
                        emit!(
                            sink,
                            &SOA_RNAME,
                            Value::Str(rn.text.into()),
                            Span::new(ro + l1, l2)
                        );
                        if let Some(s) = d.u32_at(l1 + l2) {
                            emit!(
                                sink,
                                &SOA_SERIAL,
                                Value::UInt(u64::from(s)),
                                Span::new(ro + l1 + l2, 4)
                            );
                        }
                    }
                }
            }
            16 => {
                let mut p = 0;
                // Terminates: each string consumes 1 + len bytes.
                while let Some(&l) = d.get(p) {
                    let s = d.get(p + 1..p + 1 + usize::from(l)).unwrap_or(&[]);
                    emit!(
                        sink,
                        &TXT,
                        Value::Str(String::from_utf8_lossy(s)),
                        Span::new(ro + p, 1 + s.len())
                    );
                    p += 1 + usize::from(l);
                }
            }
            33 => {
                for (i, def) in [&SRV_PRIORITY, &SRV_WEIGHT, &SRV_PORT]
                    .into_iter()
                    .enumerate()
                {
                    if let Some(v) = d.u16_at(2 * i) {
                        emit!(
                            sink,
                            def,
                            Value::UInt(u64::from(v)),
                            Span::new(ro + 2 * i, 2)
                        );
                    }
                }
                if let Some(n) = name_at(r.rdata_off + 6) {
                    emit!(
                        sink,
                        &SRV_TARGET,
                        Value::Str(n.text.into()),
                        Span::new(ro + 6, r.rdata_len.saturating_sub(6))
                    );
                }
            }
            _ => {}
        }
        sink.close();
    }
}

/// The name of a record type, or `Unknown (N)`.
pub fn type_name(t: u16) -> std::borrow::Cow<'static, str> {
    match TYPES.iter().find(|(k, _)| *k == u64::from(t)) {
        Some((_, n)) => std::borrow::Cow::Borrowed(n),
        None => std::borrow::Cow::Owned(format!("Unknown ({t})")),
    }
}

fn make(data: &[u8], flavor: Flavor, over_tcp: bool) -> DissectResult<'_> {
    if over_tcp {
        let Some(len) = data.u16_at(0) else {
            return Ok(None);
        };
        let end = (2 + usize::from(len)).min(data.len());
        let msg = data.get(2..end).unwrap_or(&[]);
        if msg.len() < 12 {
            return Ok(None);
        }
        let d = Dns {
            msg,
            tcp_len: Some(len),
            flavor,
        };
        return Ok(Some(Dissected::new(Decoded::Dns(d), end, end, Next::Done)));
    }
    if data.len() < 12 {
        return Ok(None);
    }
    let d = Dns {
        msg: data,
        tcp_len: None,
        flavor,
    };
    Ok(Some(Dissected::new(
        Decoded::Dns(d),
        data.len(),
        data.len(),
        Next::Done,
    )))
}

/// DNS over UDP.
pub fn dissect_udp<'a>(data: &'a [u8], _off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    make(data, Flavor::Dns, false)
}

/// DNS over TCP (2-byte length prefix).
pub fn dissect_tcp<'a>(data: &'a [u8], _off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    make(data, Flavor::Dns, true)
}

/// mDNS (UDP 5353).
pub fn dissect_mdns<'a>(data: &'a [u8], _off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    make(data, Flavor::Mdns, false)
}

/// LLMNR (UDP 5355).
pub fn dissect_llmnr<'a>(data: &'a [u8], _off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    make(data, Flavor::Llmnr, false)
}
