//! Filter tests: evaluation on built packets, depth and flow needs, `parse(print(ast)) == ast`
//! on random trees, no panics on random text, and — over the shared corpus — that the fast
//! accessors and the restricted sink read exactly what the full emitters produce.

use super::ast::{Const, Expr, FieldRef, Op, Operand, Quant, Rhs, SetItem, Slice, Test};
use super::compile::testing;
use super::*;
use crate::dissect::{self, DissectOptions};
use crate::field::FieldType;
use crate::file::{LinkType, Options, Record, SliceReader, Timestamp};
use crate::schema;
use crate::Decoder;
use etherparse::PacketBuilder;
use proptest::prelude::*;
use std::path::PathBuf;

fn record(data: &[u8]) -> Record<'_> {
    Record {
        offset: 0,
        block_len: 0,
        interface: 0,
        link_type: LinkType(1),
        ts: Some(Timestamp {
            secs: 1_700_000_000,
            nanos: 0,
        }),
        orig_len: data.len() as u32,
        data,
        flags: None,
        drop_count: None,
        options: Options::EMPTY,
    }
}

const MAC_A: [u8; 6] = [0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc];
const MAC_B: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];

fn syn() -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4([10, 0, 0, 1], [192, 168, 1, 2], 64)
        .tcp(51000, 80, 1000, 64240)
        .syn()
        .write(&mut v, &[])
        .unwrap();
    v
}

fn get() -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4([10, 0, 0, 1], [192, 168, 1, 2], 64)
        .tcp(51000, 80, 1001, 64240)
        .ack(5000)
        .psh()
        .write(
            &mut v,
            b"GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n\r\n",
        )
        .unwrap();
    v
}

fn dns_query() -> Vec<u8> {
    let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in ["www", "example", "com"] {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

fn v6_dns() -> Vec<u8> {
    let mut a = [0u8; 16];
    a[0] = 0x20;
    a[1] = 0x01;
    a[2] = 0x0d;
    a[3] = 0xb8;
    let mut b = a;
    a[15] = 1;
    b[15] = 2;
    let mut v = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .single_vlan(etherparse::VlanId::try_new(100).unwrap())
        .ipv6(a, b, 255)
        .udp(40000, 53)
        .write(&mut v, &dns_query())
        .unwrap();
    v
}

fn arp() -> Vec<u8> {
    let mut v = vec![0xff; 6];
    v.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0x08, 0x06]);
    v.extend_from_slice(&[0, 1, 0x08, 0, 6, 4, 0, 1]);
    v.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 10, 0, 0, 1]);
    v.extend_from_slice(&[0, 0, 0, 0, 0, 0, 10, 0, 0, 9]);
    v.resize(60, 0);
    v
}

/// An ICMP port unreachable from 192.168.1.2 to 10.0.0.1 quoting a UDP datagram (TTL 63).
fn icmp_error() -> Vec<u8> {
    let mut inner = vec![
        0x45, 0, 0, 36, 0, 1, 0, 0, 63, 17, 0, 0, 10, 0, 0, 1, 192, 168, 1, 2,
    ];
    inner.extend_from_slice(&[0x9c, 0x40, 0, 53, 0, 16, 0, 0]);
    let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0];
    icmp.extend_from_slice(&inner);
    let mut v = Vec::new();
    PacketBuilder::ethernet2(MAC_B, MAC_A)
        .ipv4([192, 168, 1, 2], [10, 0, 0, 1], 64)
        .write(&mut v, etherparse::IpNumber::ICMP, &icmp)
        .unwrap();
    v
}

/// VXLAN (UDP 4789) carrying Ethernet / IPv4 1.1.1.1 → 2.2.2.2 / TCP 1234 → 443.
fn vxlan() -> Vec<u8> {
    let mut inner = Vec::new();
    PacketBuilder::ethernet2(MAC_B, MAC_A)
        .ipv4([1, 1, 1, 1], [2, 2, 2, 2], 64)
        .tcp(1234, 443, 1, 1000)
        .syn()
        .write(&mut inner, &[])
        .unwrap();
    let mut payload = vec![0x08, 0, 0, 0, 0, 0, 0x2a, 0];
    payload.extend_from_slice(&inner);
    let mut v = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .udp(50000, 4789)
        .write(&mut v, &payload)
        .unwrap();
    v
}

fn packets() -> Vec<Vec<u8>> {
    vec![syn(), get(), v6_dns(), arp(), icmp_error()]
}

/// Which of [`packets`] match `filter`, decoded fully and decoded at the filter's depth.
fn hits(filter: &str) -> Vec<u8> {
    let f = compile(filter).unwrap_or_else(|e| panic!("{}", e.render()));
    let data = packets();
    let mut out = Vec::new();
    for (i, d) in data.iter().enumerate() {
        let full = dissect::dissect(&record(d), i as u64 + 1, DissectOptions::default());
        let lazy = dissect::dissect(
            &record(d),
            i as u64 + 1,
            DissectOptions {
                max_depth: f.depth(),
            },
        );
        let (a, b) = (f.matches(&full), f.matches(&lazy));
        assert_eq!(a, b, "{filter}: packet {i} full {a} lazy {b}");
        out.push(u8::from(a));
    }
    out
}

#[test]
fn evaluates_display_filters() {
    let cases: &[(&str, [u8; 5])] = &[
        ("tcp", [1, 1, 0, 0, 0]),
        ("tcp.port == 80", [1, 1, 0, 0, 0]),
        ("tcp.flags.syn == 1 && tcp.flags.ack == 0", [1, 0, 0, 0, 0]),
        ("ip.addr == 10.0.0.1", [1, 1, 0, 0, 1]),
        ("ip.addr != 10.0.0.1", [0, 0, 0, 0, 0]),
        ("ip.addr ~= 10.0.0.1", [1, 1, 0, 0, 1]),
        ("!(ip.addr == 10.0.0.1)", [0, 0, 1, 1, 0]),
        ("ip.src == 192.168.1.0/24", [0, 0, 0, 0, 1]),
        ("ip.dst eq 10.0.0.0/8", [0, 0, 0, 0, 1]),
        ("udp.port == 53", [0, 0, 1, 0, 1]),
        ("ipv6.addr == 2001:db8::/32", [0, 0, 1, 0, 0]),
        ("ipv6.dst == 2001:db8::2", [0, 0, 1, 0, 0]),
        ("vlan.id == 100", [0, 0, 1, 0, 0]),
        ("eth.src[0:3] == 00:1b:21", [1, 1, 1, 0, 0]),
        (
            "eth.src[:3] == 00:1b:21 && eth.src[3-4] == aa:bb && eth.src[-1] == cc",
            [1, 1, 1, 0, 0],
        ),
        ("eth.dst == ff:ff:ff:ff:ff:ff", [0, 0, 0, 1, 0]),
        ("eth.addr == 00:11:22:33:44:55", [1, 1, 1, 0, 1]),
        ("arp.dst.proto_ipv4 == 10.0.0.9", [0, 0, 0, 1, 0]),
        ("arp.opcode == 1", [0, 0, 0, 1, 0]),
        ("frame contains \"example\"", [0, 1, 1, 0, 0]),
        ("tcp contains \"GET\"", [0, 1, 0, 0, 0]),
        ("tcp[20:] contains \"GET\"", [0, 0, 0, 0, 0]),
        ("http.request.method == \"GET\"", [0, 1, 0, 0, 0]),
        ("http.request.method == GET", [0, 1, 0, 0, 0]),
        ("dns.qry.name == \"www.example.com\"", [0, 0, 1, 0, 0]),
        ("dns.qry.name contains \"example\"", [0, 0, 1, 0, 0]),
        ("dns.qry.name matches \"^WWW\\\\.\"", [0, 0, 1, 0, 0]),
        ("dns.qry.name matches \"(?-i)^WWW\"", [0, 0, 0, 0, 0]),
        ("tcp.port in {22 80..90}", [1, 1, 0, 0, 0]),
        ("tcp.port not in {80}", [0, 0, 1, 1, 1]),
        ("tcp.flags & 0x02", [1, 0, 0, 0, 0]),
        ("tcp.flags & 0x18 == 0x18", [0, 1, 0, 0, 0]),
        ("tcp[13] & 02", [1, 0, 0, 0, 0]),
        ("tcp[13] == 02", [1, 0, 0, 0, 0]),
        ("ip.ttl >= 64", [1, 1, 0, 0, 1]),
        ("all ip.ttl >= 64", [1, 1, 0, 0, 0]),
        ("ip.ttl === 64", [1, 1, 0, 0, 0]),
        ("ip.proto == UDP", [0, 0, 0, 0, 1]),
        ("tcp.srcport > tcp.dstport", [1, 1, 0, 0, 0]),
        ("ip.src == ip.dst", [0, 0, 0, 0, 1]),
        ("ip.src != ip.dst", [1, 1, 0, 0, 0]),
        ("!ip", [0, 0, 1, 1, 0]),
        ("ip ^^ vlan", [1, 1, 1, 0, 1]),
        ("ip xor icmp", [1, 1, 0, 0, 0]),
        ("icmp.type == 3 and icmp.code == 3", [0, 0, 0, 0, 1]),
        ("frame.number == 3", [0, 0, 1, 0, 0]),
        ("frame.len == 60", [0, 0, 0, 1, 0]),
        ("tcp.len > 0", [0, 1, 0, 0, 0]),
        ("tcp.analysis.retransmission", [0, 0, 0, 0, 0]),
        ("_ws.malformed", [0, 0, 0, 0, 0]),
    ];
    for (f, want) in cases {
        assert_eq!(hits(f), want.to_vec(), "{f}");
    }
}

#[test]
fn evaluates_tcpdump_expressions() {
    let cases: &[(&str, [u8; 5])] = &[
        ("host 10.0.0.1", [1, 1, 0, 1, 1]),
        ("ip host 10.0.0.1", [1, 1, 0, 0, 1]),
        // The ICMP error quotes a datagram from 10.0.0.1 (tcpdump would not look inside).
        ("src host 10.0.0.1", [1, 1, 0, 1, 1]),
        ("dst port 53", [0, 0, 1, 0, 1]),
        ("tcp port 80", [1, 1, 0, 0, 0]),
        ("port 80 or 53", [1, 1, 1, 0, 1]),
        ("tcp[tcpflags] & tcp-syn != 0", [1, 0, 0, 0, 0]),
        (
            "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
            [1, 0, 0, 0, 0],
        ),
        ("icmp[icmptype] == icmp-unreach", [0, 0, 0, 0, 1]),
        ("vlan and ip6", [0, 0, 1, 0, 0]),
        ("ether broadcast", [0, 0, 0, 1, 0]),
        ("ether src 00:1b:21:aa:bb:cc", [1, 1, 1, 0, 0]),
        ("net 192.168.1.0/24 and not icmp", [1, 1, 0, 0, 0]),
        ("ip6 net 2001:db8::/32", [0, 0, 1, 0, 0]),
        ("bpf:arp", [0, 0, 0, 1, 0]),
        ("bpf:tcp", [1, 1, 0, 0, 0]),
        // Also valid display filters (where 64 is the byte 0x64): `bpf:` forces tcpdump.
        ("bpf:ip[8] < 64", [0, 0, 0, 0, 1]),
        ("bpf:ip[8] <= 64", [1, 1, 0, 0, 1]),
        ("tcp[13] = 18", [0, 0, 0, 0, 0]),
        ("proto 17", [0, 0, 1, 0, 1]),
        ("ip proto \\icmp", [0, 0, 0, 0, 1]),
        ("less 60", [1, 0, 0, 1, 0]),
    ];
    for (f, want) in cases {
        let c = compile(f).unwrap();
        assert!(
            c.translated_from_bpf(),
            "{f} should be read as tcpdump syntax"
        );
        assert_eq!(hits(f), want.to_vec(), "{f} = {}", c.display());
        // The translation compiles back to the same filter as a display filter.
        let back = compile(&c.display()).unwrap();
        assert_eq!(back, c, "{f}");
        assert!(!back.translated_from_bpf());
    }
}

#[test]
fn dissects_udp_tunnels_on_demand() {
    let d = vxlan();
    for filter in [
        "ip.addr == 2.2.2.2",
        "tcp.port == 443",
        "tcp.flags.syn == 1",
        "eth.src == 00:11:22:33:44:55 && udp",
    ] {
        let f = compile(filter).unwrap();
        assert_eq!(f.depth(), Depth::Transport, "{filter}");
        let lazy = dissect::dissect(
            &record(&d),
            1,
            DissectOptions {
                max_depth: f.depth(),
            },
        );
        assert!(matches!(
            lazy.layers.last().map(|l| l.layer()),
            Some(crate::Layer::Udp)
        ));
        assert!(f.matches(&lazy), "{filter}");
        let shallow = dissect::dissect(
            &record(&d),
            1,
            DissectOptions {
                max_depth: Depth::Network,
            },
        );
        assert!(
            f.matches(&shallow),
            "{filter} on a packet dissected too shallow"
        );
    }
}

#[test]
fn reports_depth_flows_and_fields() {
    let c = |s: &str| compile(s).unwrap();
    assert_eq!(c("frame.len > 10").depth(), Depth::Network);
    assert!(!c("frame.len > 10").needs_flows());
    assert_eq!(c("tcp.port == 80").depth(), Depth::Transport);
    assert!(!c("tcp.port == 80").needs_flows());
    assert_eq!(c("ip.addr == 1.2.3.4").depth(), Depth::Transport);
    assert_eq!(c("dns").depth(), Depth::All);
    assert!(c("dns").needs_flows());
    assert!(c("tcp.stream == 1").needs_flows());
    assert_eq!(c("tcp.stream == 1").depth(), Depth::All);
    assert!(c("tcp.analysis.retransmission").needs_flows());
    assert!(c("udp.stream == 0").needs_flows());
    assert!(!c("tcp.seq_raw == 0").needs_flows());
    assert!(c("tcp.seq == 0").needs_flows());
    let names: Vec<&str> = c("tcp.port == 80 && ip.addr == 1.2.3.4 || tcp.port == 81")
        .fields()
        .iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["tcp.port", "ip.addr"]);
    assert!(!c("tcp").translated_from_bpf());
    assert!(c("bpf:tcp").translated_from_bpf());
}

#[test]
fn filters_are_send_and_sync() {
    fn check<T: Send + Sync + Clone>() {}
    check::<Filter>();
    check::<FilterError>();
}

#[test]
fn error_text_has_the_position() {
    let e = compile("ip.src == 10.0.0.1 && tcp.port == \"x\"").unwrap_err();
    assert_eq!(
        e.to_string(),
        "tcp.port is an unsigned integer (16 bits), \"x\" is not (at byte 34)"
    );
    assert_eq!(
        e.render(),
        "ip.src == 10.0.0.1 && tcp.port == \"x\"\n                                  ^~~\n\
         tcp.port is an unsigned integer (16 bits), \"x\" is not"
    );
}

#[test]
fn chooses_the_language() {
    // Display syntax wins when the text is valid in both.
    assert!(!compile("tcp and not udp").unwrap().translated_from_bpf());
    assert!(compile("ip6").unwrap().translated_from_bpf());
    assert!(compile("10.0.0.1").unwrap().translated_from_bpf());
    assert!(compile("  bpf: host 10.0.0.1")
        .unwrap()
        .translated_from_bpf());
    // The error that got further is reported.
    let e = compile("host 10.0.0.1 and prot 22").unwrap_err();
    assert!(e.start >= 18, "{}", e.render());
    let e = compile("tcp.prot == 80").unwrap_err();
    assert_eq!(e.message, "unknown field tcp.prot (did you mean tcp.port?)");
    assert_eq!(e.filter, "tcp.prot == 80");
    // Positions after the bpf: prefix are positions in the whole text.
    let e = compile("bpf: host example.com").unwrap_err();
    assert_eq!(&e.filter[e.start..e.end], "example.com");
}

#[test]
fn enforces_limits() {
    let long = format!("tcp.port == 80{}", " ".repeat(MAX_LEN));
    assert!(compile(&long).unwrap_err().message.contains("longer than"));
    let deep = format!("{}tcp{}", "(".repeat(2000), ")".repeat(2000));
    assert!(compile(&deep).unwrap_err().message.contains("nested"));
    let nots = format!("{}tcp", "not ".repeat(1000));
    assert!(compile(&nots).is_err());
    let bpf_deep = format!("bpf:{}tcp{}", "(".repeat(2000), ")".repeat(2000));
    assert!(compile(&bpf_deep).is_err());
    let ok = format!("{}tcp{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert!(compile(&ok).is_ok());
    // Xor is binary, so a chain of them nests.
    let xors = vec!["ip"; 1000].join("^^");
    assert!(compile(&xors).unwrap_err().message.contains("nested"));
    let xors = vec!["ip"; 40].join(" ^^ ");
    assert!(compile(&xors).is_ok());
    // Long chains of && and || are loops, not recursion.
    let chain = vec!["tcp"; 500].join(" || ");
    assert!(compile(&chain).is_ok());
}

// ---------------------------------------------------------------------------------------
// Property tests.

fn field(name: &str) -> &'static crate::FieldDef {
    schema().get(name).unwrap_or_else(|| panic!("{name}"))
}

/// Fields of each kind the generator draws from.
const FIELDS: &[&str] = &[
    "tcp.port",
    "ip.ttl",
    "tcp.flags",
    "frame.number",
    "ip.id",
    "tcp.window_size_scalefactor",
    "tcp.analysis.duplicate_ack_frame",
    "tcp.flags.syn",
    "icmp.resptime",
    "ip.addr",
    "ipv6.src",
    "eth.src",
    "tcp.payload",
    "tcp",
    "frame",
    "dns.qry.name",
    "http.request.method",
    "frame.time",
    "frame.time_epoch",
    "frame.time_delta",
    "tcp.analysis.retransmission",
];

fn arb_slice() -> impl Strategy<Value = Slice> {
    (-20i32..20, prop::option::of(1u32..10)).prop_map(|(start, len)| Slice { start, len })
}

fn arb_fieldref() -> impl Strategy<Value = FieldRef> {
    (prop::sample::select(FIELDS), prop::option::of(arb_slice())).prop_map(|(n, s)| {
        let def = field(n);
        let sliceable = matches!(
            def.ftype,
            FieldType::Protocol
                | FieldType::Bytes
                | FieldType::Str
                | FieldType::Ether
                | FieldType::Ipv4
                | FieldType::Ipv6
        );
        FieldRef {
            def,
            slice: if sliceable { s } else { None },
        }
    })
}

/// A constant valid for `r` (`net`: addresses may carry a prefix).
fn arb_const(r: &FieldRef, net: bool) -> BoxedStrategy<Const> {
    use super::ast::Kind;
    match r.kind() {
        Kind::Int {
            signed: false,
            bits,
            ..
        } => (0i128..(1i128 << bits.min(32)))
            .prop_map(Const::Int)
            .boxed(),
        Kind::Int { signed: true, .. } => {
            (-(1i128 << 31)..(1i128 << 31)).prop_map(Const::Int).boxed()
        }
        Kind::Bool => (0i128..2).prop_map(Const::Int).boxed(),
        Kind::Float => any::<f64>()
            .prop_filter("finite", |v| v.is_finite())
            .prop_map(Const::Float)
            .boxed(),
        Kind::Ipv4 => (any::<[u8; 4]>(), 0u8..=32)
            .prop_map(move |(a, p)| Const::Ipv4(a, if net { p } else { 32 }))
            .boxed(),
        Kind::Ipv6 => (any::<[u8; 16]>(), 0u8..=128)
            .prop_map(move |(a, p)| Const::Ipv6(a, if net { p } else { 128 }))
            .boxed(),
        Kind::Ether => any::<[u8; 6]>().prop_map(Const::Ether).boxed(),
        Kind::Bytes => prop::collection::vec(any::<u8>(), 0..8)
            .prop_map(Const::Bytes)
            .boxed(),
        Kind::Str => any::<String>().prop_map(Const::Str).boxed(),
        Kind::Time { .. } => (0i128..253_402_300_799_000_000_000)
            .prop_map(Const::Time)
            .boxed(),
        Kind::RelTime => (-1_000_000_000_000_000_000i128..1_000_000_000_000_000_000)
            .prop_map(Const::RelTime)
            .boxed(),
        Kind::Label => Just(Const::Int(0)).boxed(),
    }
}

fn arb_regex() -> impl Strategy<Value = Const> {
    prop_oneof![
        prop::sample::select(vec![
            "^GET",
            "(?-i)Host: .*com$",
            "a|b",
            "[0-9]{2,3}",
            "\\.jpg$",
            "(?s).",
            ""
        ])
        .prop_map(str::to_string),
        any::<String>().prop_map(|s| regex::escape(&s)),
    ]
    .prop_map(|s| Const::Regex(check::regex(&s, 0, 0).unwrap()))
}

fn arb_test() -> impl Strategy<Value = Expr> {
    use super::ast::Kind;
    (arb_fieldref(), any::<bool>(), 0u8..12, any::<u64>()).prop_flat_map(|(r, all, pick, seed)| {
        let kind = r.kind();
        let quant = if all { Quant::All } else { Quant::Any };
        if kind == Kind::Label {
            return Just(Expr::Exists(r)).boxed();
        }
        let ordered = !matches!(kind, Kind::Label);
        let textual = matches!(kind, Kind::Bytes | Kind::Str);
        let maskable = matches!(kind, Kind::Int { .. } | Kind::Bool | Kind::Bytes);
        let r2 = r.clone();
        let mask = if maskable && seed % 3 == 0 {
            arb_const(&r, false).prop_map(Some).boxed()
        } else {
            Just(None).boxed()
        };
        let op = match pick {
            0 => Op::Eq,
            1 => Op::Ne,
            2 | 3 if ordered => [Op::Lt, Op::Le, Op::Gt, Op::Ge][(seed % 4) as usize],
            4 if textual => Op::Contains,
            5 if textual => Op::Matches,
            6 | 7 => Op::In,
            8 if maskable => Op::Nonzero,
            9 => return Just(Expr::Exists(r)).boxed(),
            _ => Op::Eq,
        };
        let rhs: BoxedStrategy<Rhs> = match op {
            Op::Nonzero => Just(Rhs::None).boxed(),
            Op::Matches => arb_regex().prop_map(Rhs::Const).boxed(),
            Op::In => {
                let one = arb_const(&r, true).prop_map(SetItem::One);
                let range = (arb_const(&r, false), arb_const(&r, false))
                    .prop_map(|(a, b)| SetItem::Range(a, b));
                prop::collection::vec(prop_oneof![one, range], 1..4)
                    .prop_map(Rhs::Set)
                    .boxed()
            }
            Op::Eq | Op::Ne if seed % 5 == 1 => {
                // Another field of the same kind.
                let same: Vec<&'static str> = FIELDS
                    .iter()
                    .copied()
                    .filter(|n| FieldRef::new(field(n)).kind() == kind && r.slice.is_none())
                    .collect();
                if same.is_empty() {
                    arb_const(&r, true).prop_map(Rhs::Const).boxed()
                } else {
                    prop::sample::select(same)
                        .prop_map(|n| Rhs::Field(FieldRef::new(field(n))))
                        .boxed()
                }
            }
            Op::Eq | Op::Ne => arb_const(&r, true).prop_map(Rhs::Const).boxed(),
            _ => arb_const(&r, false).prop_map(Rhs::Const).boxed(),
        };
        let mask = if op == Op::Nonzero {
            arb_const(&r, false).prop_map(Some).boxed()
        } else {
            mask
        };
        (mask, rhs)
            .prop_map(move |(mask, rhs)| {
                Expr::Test(Box::new(Test {
                    quant,
                    lhs: Operand {
                        field: r2.clone(),
                        mask,
                    },
                    op,
                    rhs,
                }))
            })
            .boxed()
    })
}

fn arb_expr() -> impl Strategy<Value = Expr> {
    arb_test().prop_recursive(5, 40, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::Xor(Box::new(a), Box::new(b))),
            inner.prop_map(|e| Expr::Not(Box::new(e))),
        ]
    })
}

/// Text made of filter-ish pieces, to reach deep into both parsers.
fn token_soup() -> impl Strategy<Value = String> {
    let words = vec![
        "tcp",
        "udp",
        "ip",
        "ip6",
        "ipv6",
        "eth",
        "frame",
        "tcp.port",
        "ip.addr",
        "ip.src",
        "eth.src",
        "tcp.flags",
        "tcp.flags.syn",
        "dns.qry.name",
        "tcp.payload",
        "http.request.method",
        "frame.time",
        "frame.time_relative",
        "icmp.type",
        "==",
        "!=",
        "===",
        "~=",
        "!==",
        "<",
        "<=",
        ">",
        ">=",
        "=",
        "&&",
        "||",
        "^^",
        "!",
        "&",
        "|",
        "~",
        "and",
        "or",
        "xor",
        "not",
        "in",
        "contains",
        "matches",
        "any",
        "all",
        "eq",
        "gt",
        "(",
        ")",
        "{",
        "}",
        "[",
        "]",
        "[0:3]",
        "[1-2]",
        "[:2]",
        "[-1]",
        "[tcpflags]",
        "..",
        ",",
        "80",
        "0x02",
        "010",
        "-1",
        "1.5",
        "10.0.0.1",
        "10.0.0.0/8",
        "::1",
        "fe80::/10",
        "00:1b:21",
        "aa:bb:cc:dd:ee:ff",
        "\"GET\"",
        "\"a\\x41\"",
        "\"(\"",
        "'a'",
        "r\"\\d\"",
        "True",
        "host",
        "net",
        "port",
        "portrange",
        "src",
        "dst",
        "ether",
        "proto",
        "\\tcp",
        "greater",
        "less",
        "len",
        "vlan",
        "1-100",
        "tcp-syn",
        "icmp-echo",
        "icmptype",
        "broadcast",
        "bpf:",
        "+",
        "-",
        "*",
        "/",
        "<<",
        ">>",
        "\"",
        "\\",
        "é",
        "\u{0}",
    ];
    prop::collection::vec(prop::sample::select(words), 0..14).prop_map(|v| v.join(" "))
}

/// Whatever `compile` accepts prints as text that compiles to the same filter, and
/// evaluating it on real packets does not panic.
fn check_text(s: &str) {
    let Ok(f) = compile(s) else {
        return;
    };
    let text = f.display();
    let back = compile(&text)
        .unwrap_or_else(|e| panic!("{s:?} → {text:?} does not compile: {}", e.render()));
    assert_eq!(back, f, "{s:?} → {text:?}");
    for d in packets().iter().chain(std::iter::once(&vxlan())) {
        let p = dissect::dissect(
            &record(d),
            1,
            DissectOptions {
                max_depth: f.depth(),
            },
        );
        let _ = f.matches(&p);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn print_then_parse_is_identity(e in arb_expr()) {
        let text = e.to_string();
        let back = parser::parse(&text).map_err(|err| TestCaseError::fail(format!("{text}: {}", err.in_text(&text).render())))?;
        prop_assert_eq!(&back, &e, "{}", text);
    }

    #[test]
    fn never_panics_on_token_soup(s in token_soup()) {
        check_text(&s);
    }

    #[test]
    fn never_panics_on_random_text(s in any::<String>()) {
        check_text(&s);
    }

    #[test]
    fn never_panics_on_filterish_bytes(s in "[ -~]{0,40}") {
        check_text(&s);
    }
}

// ---------------------------------------------------------------------------------------
// Corpus: fast accessors and the restricted sink read what the emitters produce.

fn corpus() -> Vec<PathBuf> {
    paircap_tests::well_formed()
}

/// Runs `f` on every packet of every well-formed corpus file (full dissection, flows).
fn for_each_corpus_packet(mut f: impl FnMut(&str, &crate::Packet<'_>)) {
    for path in corpus() {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let mut d = Decoder::new();
        for r in SliceReader::new(&bytes).flatten() {
            let p = d.decode(&r);
            f(&name, &p);
        }
    }
}

#[test]
fn corpus_fast_paths_equal_emitters() {
    let direct: Vec<&'static crate::FieldDef> = schema()
        .all()
        .iter()
        .copied()
        .filter(|d| testing::is_direct(d))
        .collect();
    assert!(direct.len() >= 40, "{} direct fields", direct.len());
    let mut checked = 0usize;
    let mut bad = std::collections::BTreeMap::new();
    for_each_corpus_packet(|file, p| {
        let all = testing::collect(&direct, p, false);
        for (def, full) in direct.iter().zip(all) {
            let fast = testing::values(def, p);
            // Protocols: presence per occurrence (the byte ranges differ by design, see
            // `item_len`).
            let same = if def.ftype == FieldType::Protocol {
                fast.len() == full.len()
            } else {
                fast == full
            };
            if !same {
                bad.entry(def.name).or_insert_with(|| {
                    format!(
                        "{file} frame {}: {} vs {} values",
                        p.meta.number,
                        fast.len(),
                        full.len()
                    )
                });
            }
            checked += 1;
        }
    });
    assert!(bad.is_empty(), "{bad:#?}");
    assert!(checked > 100_000, "{checked}");
}

#[test]
fn corpus_restricted_sink_equals_full_emission() {
    // Every field of the schema, through a sink that wants only the field's protocol (and
    // the emitters known to write it), against a sink that wants everything.
    let fields: Vec<&'static crate::FieldDef> = schema().all().to_vec();
    let mut groups: std::collections::BTreeMap<&str, Vec<usize>> =
        std::collections::BTreeMap::new();
    for (i, d) in fields.iter().enumerate() {
        groups.entry(d.protocol()).or_default().push(i);
    }
    let mut nonempty = std::collections::HashSet::new();
    let mut bad = std::collections::BTreeMap::new();
    for_each_corpus_packet(|file, p| {
        let full = testing::collect(&fields, p, false);
        for idx in groups.values() {
            let defs: Vec<&'static crate::FieldDef> = idx.iter().map(|i| fields[*i]).collect();
            let restricted = testing::collect(&defs, p, true);
            for (k, i) in idx.iter().enumerate() {
                if !full[*i].is_empty() {
                    nonempty.insert(fields[*i].name);
                }
                if restricted[k] != full[*i] {
                    bad.entry(fields[*i].name)
                        .or_insert_with(|| format!("{file} frame {}", p.meta.number));
                }
            }
        }
    });
    assert!(bad.is_empty(), "{bad:#?}");
    assert!(
        nonempty.len() > 150,
        "only {} fields seen in the corpus",
        nonempty.len()
    );
}

#[test]
fn corpus_lazy_depth_gives_the_same_answers() {
    let filters = [
        "ip.addr == 10.0.0.0/8",
        "tcp.port == 80 || udp.port == 53",
        "ipv6",
        "eth.dst[0] & 01",
        "tcp.flags.syn == 1",
        "icmp || icmpv6",
        "frame.len > 100",
        "dns",
        "tcp.analysis.retransmission",
        "host 192.168.1.1 or port 443",
    ];
    let compiled: Vec<Filter> = filters.iter().map(|f| compile(f).unwrap()).collect();
    for path in corpus() {
        let bytes = std::fs::read(&path).unwrap();
        for f in &compiled {
            let mut full = Decoder::new();
            let mut lazy = Decoder::with_options(DissectOptions {
                max_depth: f.depth(),
            });
            if !f.needs_flows() {
                lazy = lazy.without_flows();
            }
            for r in SliceReader::new(&bytes).flatten() {
                let a = f.matches(&full.decode(&r));
                let b = f.matches(&lazy.decode(&r));
                assert_eq!(a, b, "{f} on {} frame {}", path.display(), full.count());
            }
        }
    }
}
