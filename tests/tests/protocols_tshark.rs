//! Differential test of the table-declared protocols (`shared-decode/src/dissect/app.rs`)
//! against the tshark installed by `.ci/run`: for every corpus file that carries one of them,
//! every field the protocol declares is asked of tshark (`-T fields -E occurrence=a`) and of
//! `paircap read --format json`, packet by packet, and the Protocol and Info columns too.
//! A field name tshark does not know fails the test (names are Wireshark's). Every
//! difference must be listed below with its reason.

use paircap_tests::{cmd, shared_dir};
use serde_json::Value as J;
use shared_decode::field::{Base, FieldType};
use std::process::Command;

/// (corpus folder, file, protocol).
const CASES: &[(&str, &str, &str)] = &[
    ("public", "tcpdump__ssh.pcap", "ssh"),
    ("public", "tcpdump__ntp.pcap", "ntp"),
    ("public", "tcpdump__ntp-time.pcap", "ntp"),
    ("public", "zeek__ntp.pcap", "ntp"),
    ("wireshark", "wireshark__ntp.pcap", "ntp"),
    ("public", "pcpp__dhcpv6.pcap", "dhcpv6"),
    ("public", "tcpdump__dhcpv6-ia-na.pcap", "dhcpv6"),
    ("public", "tcpdump__dhcpv6-domain-list.pcap", "dhcpv6"),
    ("wireshark", "wireshark__communityid.pcap", "sctp"),
    ("public", "tcpdump__quic_handshake.pcap", "quic"),
    ("public", "tcpdump__quic_handshake_truncated.pcap", "quic"),
    (
        "wireshark",
        "wireshark__quic-fragmented-handshakes.pcapng",
        "quic",
    ),
    (
        "wireshark",
        "wireshark__packet-h2-14_headers.pcapng",
        "http2",
    ),
];

/// Accepted differences: (file, frames (empty: all), field prefixes, reason).
const ACCEPTED: &[(&str, &[u32], &[&str], &str)] = &[
    (
        "wireshark__communityid.pcap",
        &[89],
        &["_ws.col.Info"],
        "tshark shows TSNs relative to the association's initial TSN (from its INIT); paircap's \
         SCTP dissector is stateless and shows them as on the wire",
    ),
    (
        "tcpdump__quic_handshake.pcap",
        &[2, 5],
        QUIC_DECRYPTED,
        "a server's Initial (2) and the client's later Initials (5) are protected with keys from \
         the client's first DCID, which only the connection knows: tshark keeps it, paircap's \
         QUIC dissector is stateless and shows them protected",
    ),
    (
        "tcpdump__quic_handshake_truncated.pcap",
        &[1, 2, 5],
        QUIC_DECRYPTED,
        "as in tcpdump__quic_handshake.pcap (2, 5); and the client's first Initial (1) is cut by \
         the capture, so its payload cannot be authenticated: tshark shows the packet number \
         from the header it unprotected, paircap shows none rather than one it cannot check",
    ),
    (
        "tcpdump__quic_handshake*",
        &[10, 11, 12, 13, 14, 15, 17, 18],
        &["quic.dcid", "_ws.col.Info", "quic.packet_length"],
        "a short header's DCID length is known only to the connection (tshark keeps it); a cut \
         short-header packet's length is the captured part in paircap, the datagram's in tshark",
    ),
    (
        "wireshark__quic-fragmented-handshakes.pcapng",
        &[
            4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
            29, 30, 31, 32, 33,
        ],
        QUIC_DECRYPTED,
        "tshark decrypts Handshake and 1-RTT packets with the TLS secrets in the file's \
         Decryption Secrets Block, and server Initials with the connection's state; paircap \
         decrypts client Initials only (no key log support yet) — the client Initials (1, 3) \
         and the Retry (2) must agree",
    ),
    H2_ACCEPTED,
    (
        "wireshark__packet-h2-14_headers.pcapng",
        &[],
        &["filter http2"],
        "frame 11 holds the end of a DATA frame that frame 10 starts: tshark reassembles it \
         (HTTP/2), paircap shows TCP data",
    ),
    (
        "wireshark__quic-fragmented-handshakes.pcapng",
        &[],
        &["filter tls.handshake.extensions_server_name == \"localhost\""],
        "tshark reassembles the ClientHello across Initials (SNI in frame 5) and skips the copy \
         resent after the Retry (frame 3); paircap decodes each client Initial alone",
    ),
];

/// HTTP/2 differences that come from reassembly and connection state.
const H2_ACCEPTED: (&str, &[u32], &[&str], &str) = (
    "wireshark__packet-h2-14_headers.pcapng",
    &[10, 11, 13, 14],
    &["http2.", "_ws.col.Info"],
    "tshark reassembles the DATA frame that frame 10 starts and frame 11 ends (paircap shows \
     the part in 10, and 11 as TCP data), and decodes frames 13-14's header blocks with the \
     HPACK dynamic table frames 6-13 filled (paircap's HTTP/2 dissector is stateless: such \
     references are shown unresolved, with their index)",
);

/// Fields only a decrypted packet has.
const QUIC_DECRYPTED: &[&str] = &[
    "quic.ack.",
    "quic.crypto.",
    "quic.frame_type",
    "quic.packet_number",
    "quic.padding_length",
    "quic.dcid",
    "quic.protected_payload",
    "_ws.col.",
];

fn glob(pat: &str, s: &str) -> bool {
    match pat.split_once('*') {
        None => pat == s,
        Some((a, b)) => s.len() >= a.len() + b.len() && s.starts_with(a) && s.ends_with(b),
    }
}

fn month(m: &str) -> &'static str {
    match m {
        "01" => "Jan",
        "02" => "Feb",
        "03" => "Mar",
        "04" => "Apr",
        "05" => "May",
        "06" => "Jun",
        "07" => "Jul",
        "08" => "Aug",
        "09" => "Sep",
        "10" => "Oct",
        "11" => "Nov",
        _ => "Dec",
    }
}

/// `2017-06-19T14:12:09.516074047Z` as tshark prints absolute times in `-T fields`
/// (`Jun 19, 2017 14:12:09.516074047 UTC`); the NTP zero time stamp is tshark's `NULL`.
fn tshark_time(iso: &str, name: &str) -> String {
    if name.starts_with("ntp.") && iso == "1900-01-01T00:00:00.000000000Z" {
        return "NULL".into();
    }
    let (date, time) = iso.split_once('T').unwrap_or((iso, ""));
    let mut d = date.split('-');
    let (y, m, day) = (
        d.next().unwrap_or(""),
        d.next().unwrap_or(""),
        d.next().unwrap_or(""),
    );
    let day: u32 = day.parse().unwrap_or(0);
    format!(
        "{} {:>2}, {} {} UTC",
        month(m),
        day,
        y,
        time.trim_end_matches('Z')
    )
}

/// One JSON value in tshark's `-T fields` text.
fn as_tshark(name: &str, v: Option<&J>) -> String {
    let Some(v) = v else { return String::new() };
    let def = shared_decode::schema().get(name);
    let one = |x: &J| -> String {
        match (x, def.map(|d| (d.ftype, d.base))) {
            (J::Bool(b), _) => if *b { "1" } else { "0" }.to_string(),
            (J::Number(n), Some((FieldType::UInt(bits), Base::Hex | Base::HexDec))) => {
                format!(
                    "0x{:0w$x}",
                    n.as_u64().unwrap_or(0),
                    w = usize::from(bits).div_ceil(4)
                )
            }
            (J::Number(n), _) => n.to_string(),
            (J::String(s), Some((FieldType::Bytes, _))) => s.replace(':', ""),
            (J::String(s), Some((FieldType::AbsTime, _))) => tshark_time(s, name),
            // tshark's `-T fields` escapes control characters in strings.
            (J::String(s), _) => s.replace('\r', "\\r").replace('\n', "\\n"),
            (other, _) => other.to_string(),
        }
    };
    match v {
        J::Array(a) => a.iter().map(one).collect::<Vec<_>>().join(","),
        x => one(x),
    }
}

#[test]
fn table_protocols_agree_with_tshark() {
    let mut problems = Vec::new();
    let mut compared = 0usize;
    let mut with_values = 0usize;
    let mut used = vec![false; ACCEPTED.len()];
    for (dir, file, proto) in CASES {
        let path = shared_dir().join("corpus").join(dir).join(file);
        let fields: Vec<&str> = shared_decode::schema()
            .all()
            .iter()
            .filter(|d| d.protocol() == *proto)
            .filter(|d| !matches!(d.ftype, FieldType::Protocol | FieldType::None))
            .map(|d| d.name)
            .collect();
        assert!(!fields.is_empty(), "{proto}: no fields");
        let mut t = Command::new("tshark");
        // h2c on another port: tshark needs to be told (paircap recognises the frames).
        if *proto == "http2" {
            t.args(["-d", "tcp.port==3000,http2"]);
        }
        t.args(["-n", "-r"]).arg(&path).args([
            "-T",
            "fields",
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=,",
            "-E",
            "separator=\t",
        ]);
        for f in fields.iter().chain(&["_ws.col.Protocol", "_ws.col.Info"]) {
            t.args(["-e", f]);
        }
        let out = t.output().expect("tshark (installed by .ci/run)");
        assert!(
            out.status.success(),
            "tshark on {file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tshark = String::from_utf8(out.stdout).unwrap();
        let ours = cmd()
            .args(["read", "--format", "json"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(ours.status.success(), "{file}");
        let ours: Vec<serde_json::Map<String, J>> = String::from_utf8(ours.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let cols = cmd()
            .args([
                "read",
                "--format",
                "fields",
                "-E",
                "_ws.col.Protocol",
                "-E",
                "_ws.col.Info",
            ])
            .arg(&path)
            .output()
            .unwrap();
        let cols = String::from_utf8(cols.stdout).unwrap();
        let trows: Vec<&str> = tshark.lines().collect();
        assert_eq!(trows.len(), ours.len(), "{file}: packet count");
        let mut seen_proto = false;
        for (i, ((trow, o), c)) in trows
            .iter()
            .zip(&ours)
            .zip(cols.lines().skip(1))
            .enumerate()
        {
            let frame = i as u32 + 1;
            let tv: Vec<&str> = trow.split('\t').collect();
            let n = fields.len();
            let has = o
                .get("frame.protocols")
                .and_then(J::as_str)
                .is_some_and(|p| p.split(':').any(|x| x == *proto));
            seen_proto |= has;
            let mut check = |name: &str, theirs: &str, mine: String| {
                compared += 1;
                if theirs == mine {
                    with_values += usize::from(!mine.is_empty());
                    return;
                }
                let rule = ACCEPTED.iter().position(|(f, frames, fields, _)| {
                    glob(f, file)
                        && (frames.is_empty() || frames.contains(&frame))
                        && fields.iter().any(|p| name.starts_with(p))
                });
                if let Some(k) = rule {
                    used[k] = true;
                } else {
                    problems.push(format!(
                        "{file} frame {frame}: {name}: tshark {theirs:?} paircap {mine:?}"
                    ));
                }
            };
            for (j, name) in fields.iter().enumerate() {
                check(
                    name,
                    tv.get(j).copied().unwrap_or(""),
                    as_tshark(name, o.get(*name)),
                );
            }
            // Columns only where the protocol is the top layer of the packet.
            if has {
                let (p, info) = c.split_once('\t').unwrap_or((c, ""));
                check(
                    "_ws.col.Protocol",
                    tv.get(n).copied().unwrap_or(""),
                    p.into(),
                );
                check(
                    "_ws.col.Info",
                    tv.get(n + 1).copied().unwrap_or(""),
                    info.into(),
                );
            }
        }
        assert!(seen_proto, "{file}: paircap never decoded {proto}");
        // The display filter selects the same frames as tshark's: the protocol itself, and
        // for QUIC a `tls.*` field only its decrypted Initials carry.
        let mut filters = vec![proto.to_string()];
        if *proto == "quic" {
            filters.push("tls.handshake.extensions_server_name == \"localhost\"".into());
        }
        for f in filters {
            let mut t = Command::new("tshark");
            if *proto == "http2" {
                t.args(["-d", "tcp.port==3000,http2"]);
            }
            let theirs = t
                .args(["-n", "-r"])
                .arg(&path)
                .args(["-Y", &f, "-T", "fields", "-e", "frame.number"])
                .output()
                .unwrap();
            let ours = cmd()
                .args(["read", "-Y", &f, "--format", "fields", "-E", "frame.number"])
                .arg(&path)
                .output()
                .unwrap();
            let frames = |b: &[u8], skip: usize| -> Vec<u32> {
                String::from_utf8_lossy(b)
                    .lines()
                    .skip(skip)
                    .filter_map(|l| l.trim().parse().ok())
                    .collect()
            };
            let (t, o) = (frames(&theirs.stdout, 0), frames(&ours.stdout, 1));
            compared += 1;
            if t != o {
                let accepted = ACCEPTED.iter().position(|(af, _, fields, _)| {
                    glob(af, file) && fields.iter().any(|p| *p == format!("filter {f}"))
                });
                match accepted {
                    Some(k) => used[k] = true,
                    None => {
                        problems.push(format!("{file}: -Y {f}: tshark frames {t:?} paircap {o:?}"))
                    }
                }
            }
        }
    }
    eprintln!("{compared} (packet, field) pairs compared, {with_values} equal and not empty");
    assert!(with_values > 500, "too few values compared: {with_values}");
    for (k, u) in used.iter().enumerate() {
        assert!(u, "accepted difference never seen: {:?}", ACCEPTED[k]);
    }
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
