//! `paircap read` with filters, against the reference tools on the shared corpus:
//! `-Y FILTER` selects the frames `tshark -Y FILTER` selects (original frame numbers kept),
//! a trailing tcpdump expression selects what `tcpdump -r F EXPR` selects (libpcap's BPF on
//! the raw bytes), and `-w OUT` writes exactly those packets to a pcapng file tshark reads,
//! with the filter in the section comment.

use paircap_tests::{cmd, corpus_dir};
use std::process::Command;

const FILES: &[&str] = &[
    "pcap-parser__wireshark_samples-test.pcapng",
    "pcpp__example.pcap",
    "pcpp__sll.pcap",
    "zeek__tcp_timestamp.pcap",
];

fn lines(out: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(out)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

fn tshark_frames(file: &std::path::Path, filter: &str) -> Vec<String> {
    let o = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(file)
        .args(["-Y", filter, "-T", "fields", "-e", "frame.number"])
        .output()
        .expect("tshark (installed by scripts/setup.sh)");
    lines(&o.stdout)
}

#[test]
fn display_filters_select_what_tshark_selects() {
    let filters = [
        "tcp",
        "udp && !dns",
        "ip.addr == 192.168.0.0/16",
        "tcp.flags.syn == 1 || tcp.flags.fin == 1",
        "frame.len > 500",
        "tcp.analysis.retransmission || tcp.analysis.duplicate_ack",
        "dns.qry.name contains \"com\"",
        "ipv6",
        "tcp.port in {80 443 8080..8090}",
        "host 192.168.1.1 or arp",
    ];
    let mut compared = 0;
    for name in FILES {
        let file = corpus_dir().join(name);
        for f in filters {
            // tcpdump syntax is translated: compare with tshark on the translation.
            let shown = cmd()
                .args(["read", "-v", "-Y", f, "-c", "0"])
                .arg(&file)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&shown.stderr).to_string();
            let reference = stderr
                .split("read as tcpdump syntax: ")
                .nth(1)
                .map_or(f.to_string(), |t| t.trim().to_string());
            // tshark 4.0 wants commas between set members.
            let reference = reference.replace("{80 443 8080..8090}", "{80, 443, 8080..8090}");
            let o = cmd()
                .args(["read", "--format", "fields", "-E", "frame.number", "-Y", f])
                .arg(&file)
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "{name} -Y {f}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let got: Vec<String> = lines(&o.stdout).into_iter().skip(1).collect();
            assert_eq!(
                got,
                tshark_frames(&file, &reference),
                "{name}: -Y {f} (tshark -Y {reference})"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, FILES.len() * filters.len());
}

#[test]
fn tcpdump_expressions_select_what_tcpdump_selects() {
    for name in FILES {
        let file = corpus_dir().join(name);
        for expr in [
            "tcp",
            "udp port 53",
            "host 192.168.1.1",
            "tcp[tcpflags] & tcp-syn != 0",
            "greater 200",
            "not ip",
        ] {
            let words: Vec<&str> = expr.split(' ').collect();
            let ours = cmd()
                .args(["read", "-n"])
                .arg(&file)
                .args(&words)
                .output()
                .unwrap();
            let theirs = Command::new("tcpdump")
                .args(["-n", "-r"])
                .arg(&file)
                .args(&words)
                .output()
                .expect("tcpdump");
            assert_eq!(
                lines(&ours.stdout).len(),
                lines(&theirs.stdout).len(),
                "{name}: {expr}"
            );
        }
    }
    let bad = cmd()
        .arg("read")
        .arg(corpus_dir().join(FILES[0]))
        .args(["tcp", "porrt", "80"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("bad tcpdump expression"));
}

#[test]
fn bad_display_filters_say_where() {
    let o = cmd()
        .args(["read", "-Y", "tcp.prot == 80"])
        .arg(corpus_dir().join(FILES[0]))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("tcp.prot == 80\n^~~~~~~~\nunknown field tcp.prot (did you mean tcp.port?)"),
        "{e}"
    );
}

#[test]
fn write_exports_the_filtered_packets() {
    let dir = std::env::temp_dir().join(format!("paircap-read-w-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in FILES {
        let file = corpus_dir().join(name);
        let out = dir.join(format!("{name}.pcapng"));
        let o = cmd()
            .args(["read", "-Y", "udp || arp", "-w"])
            .arg(&out)
            .arg(&file)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(o.stdout.is_empty(), "-w prints nothing");
        let want = tshark_frames(&file, "udp || arp").len();
        assert_eq!(tshark_frames(&out, "frame").len(), want, "{name}");
        let info = Command::new("capinfos").arg(&out).output().unwrap();
        let info = String::from_utf8_lossy(&info.stdout);
        assert!(info.contains("display filter: udp || arp"), "{info}");
        // Same bytes and times as the original packets.
        let f = |p: &std::path::Path, flt: &str| {
            let o = Command::new("tshark")
                .args(["-n", "-r"])
                .arg(p)
                .args([
                    "-Y",
                    flt,
                    "-T",
                    "fields",
                    "-e",
                    "frame.time_epoch",
                    "-e",
                    "frame.len",
                    "-e",
                    "frame.cap_len",
                ])
                .output()
                .unwrap();
            lines(&o.stdout)
        };
        assert_eq!(f(&out, "frame"), f(&file, "udp || arp"), "{name}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// JSON and the tree are formatted on a second thread in chunks of packets: the output keeps
/// file order across chunks, and a file cut short still prints every whole packet before the
/// cut, in order, then the error with its offset and a non-zero exit.
#[test]
fn threaded_formats_keep_order_and_packets_before_a_cut() {
    let file = corpus_dir().join("pcpp__example.pcap");
    let dir = std::env::temp_dir().join(format!("paircap-threaded-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = std::fs::read(&file).unwrap();
    let cut = dir.join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 700]).unwrap();
    for format in ["json", "tree"] {
        let full = cmd()
            .args(["read", "--format", format])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            full.status.success(),
            "{}",
            String::from_utf8_lossy(&full.stderr)
        );
        let text = String::from_utf8(full.stdout).unwrap();
        // One record per packet: a JSON line, or a tree whose top line is "Frame N: ...".
        let starts: Vec<&str> = match format {
            "json" => text.lines().collect(),
            _ => text.lines().filter(|l| l.starts_with("Frame ")).collect(),
        };
        assert_eq!(starts.len(), 4631, "{format}: tshark counts 4631 packets");
        for (i, rec) in starts.iter().enumerate() {
            let n = i + 1;
            let ok = match format {
                "json" => rec.contains(&format!("\"frame.number\":{n},")),
                _ => rec.starts_with(&format!("Frame {n}:")),
            };
            assert!(
                ok,
                "{format}: record {n} out of order: {}",
                &rec[..rec.len().min(120)]
            );
        }
        let part = cmd()
            .args(["read", "--format", format])
            .arg(&cut)
            .output()
            .unwrap();
        assert!(
            !part.status.success(),
            "{format}: a cut file exits non-zero"
        );
        let err = String::from_utf8_lossy(&part.stderr);
        assert!(err.contains("cut short") && err.contains("offset"), "{err}");
        let got = String::from_utf8(part.stdout).unwrap();
        assert!(
            got.len() > text.len() / 2 && text.starts_with(&got),
            "{format}: the packets before the cut, as in the whole file"
        );
        let sep = if format == "json" { "}\n" } else { "\n\n" };
        assert!(got.ends_with(sep), "{format}: ends with a whole packet");
        // On one terminal (stdout and stderr on the same pipe) the error comes after them.
        let merged = Command::new("sh")
            .arg("-c")
            .arg("\"$0\" read --format \"$1\" \"$2\" 2>&1")
            .arg(paircap_tests::paircap())
            .arg(format)
            .arg(&cut)
            .output()
            .unwrap();
        let merged = String::from_utf8_lossy(&merged.stdout);
        let last = merged.trim_end().lines().last().unwrap_or("");
        assert!(last.contains("cut short"), "{format}: last line {last:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
