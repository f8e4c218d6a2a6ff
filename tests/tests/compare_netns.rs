//! `paircap compare` on real pairs: three network namespaces (client, router with nftables
//! masquerade, server), real traffic (ping, HTTP downloads, UDP), `paircap capture` on the
//! client's and on the server's interface at the same time, then the report is checked
//! against what the setup guarantees:
//! - a clean path: nothing lost, nothing extra, every client flow in the NAT table;
//! - a firewall rule dropping SYNs to one port: exactly the rule's counter lost, all SYNs,
//!   and the diagnosis says so;
//! - random loss from `numgen random mod 100 < 5` in each direction: lost (source only)
//!   equals the client → server rule's counter, extra (target only) the other's.
//!
//! Delay, reordering and duplication would need a user-space relay in the router (this
//! kernel has no netem); they are covered by the generator's ground truth
//! (`compare_truth.rs`), not here.
//!
//! Needs root; fails (does not skip) when namespaces cannot be created.

use paircap_tests::netns::{sh, stop, wait_for_file, Netns};
use paircap_tests::paircap;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;
const CLIENT_IP: &str = "10.89.0.2";
const ROUTER_LAN: &str = "10.89.0.1";
const ROUTER_WAN: &str = "198.51.100.1";
const SERVER_IP: &str = "198.51.100.2";

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("paircap-cmpns-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// client (vc) — (vrc) router (vrs) — (vs) server; the router masquerades to the server.
struct Path3 {
    client: Netns,
    router: Netns,
    server: Netns,
}

impl Path3 {
    fn new(tag: &str) -> Path3 {
        let client = Netns::new(&format!("{tag}c"));
        let router = Netns::new(&format!("{tag}r"));
        let server = Netns::new(&format!("{tag}s"));
        sh(&[
            "ip",
            "link",
            "add",
            "vc",
            "netns",
            &client.name,
            "type",
            "veth",
            "peer",
            "name",
            "vrc",
            "netns",
            &router.name,
        ]);
        sh(&[
            "ip",
            "link",
            "add",
            "vrs",
            "netns",
            &router.name,
            "type",
            "veth",
            "peer",
            "name",
            "vs",
            "netns",
            &server.name,
        ]);
        for (ns, dev, addr) in [
            (&client, "vc", format!("{CLIENT_IP}/24")),
            (&router, "vrc", format!("{ROUTER_LAN}/24")),
            (&router, "vrs", format!("{ROUTER_WAN}/24")),
            (&server, "vs", format!("{SERVER_IP}/24")),
        ] {
            ns.run(&[
                "sysctl",
                "-q",
                "-w",
                &format!("net.ipv6.conf.{dev}.disable_ipv6=1"),
            ]);
            ns.run(&["ip", "addr", "add", &addr, "dev", dev]);
            ns.run(&["ip", "link", "set", dev, "up"]);
        }
        client.run(&["ip", "route", "add", "default", "via", ROUTER_LAN]);
        router.run(&["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
        // Segments after a loss must not become conntrack-INVALID (they would leave un-NATed).
        let _ = router
            .cmd(&[
                "sysctl",
                "-q",
                "-w",
                "net.netfilter.nf_conntrack_tcp_be_liberal=1",
            ])
            .output();
        nft(
            &router,
            "table ip nat {\n chain post {\n type nat hook postrouting priority 100;\n oifname \"vrs\" masquerade\n }\n}\n",
        );
        Path3 {
            client,
            router,
            server,
        }
    }
}

fn nft(ns: &Netns, rules: &str) {
    let out = ns
        .cmd(&["nft", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = out.expect("nft");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(rules.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "nft {rules}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The packet counter of the rule with this comment.
fn counter(ns: &Netns, comment: &str) -> u64 {
    let out = ns.run(&["nft", "list", "ruleset"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains(&format!("comment \"{comment}\"")))
        .unwrap_or_else(|| panic!("no rule {comment} in {text}"));
    let w: Vec<&str> = line.split_whitespace().collect();
    let i = w.iter().position(|x| *x == "packets").unwrap();
    w[i + 1].parse().unwrap()
}

/// Starts `paircap capture` on both ends; returns them once both files exist.
fn start_captures(t: &Path3, dir: &Path) -> (Child, Child, PathBuf, PathBuf) {
    let (src, dst) = (dir.join("source.pcapng"), dir.join("target.pcapng"));
    let pc = paircap();
    let a = t.client.spawn(&[
        p(&pc),
        "capture",
        "-i",
        "vc",
        "-w",
        p(&src),
        "--role",
        "source",
    ]);
    let b = t.server.spawn(&[
        p(&pc),
        "capture",
        "-i",
        "vs",
        "-w",
        p(&dst),
        "--role",
        "target",
    ]);
    wait_for_file(&src, Duration::from_secs(10));
    wait_for_file(&dst, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(800));
    (a, b, src, dst)
}

fn stop_captures(a: Child, b: Child) {
    std::thread::sleep(Duration::from_millis(300));
    let oa = stop(a, SIGINT);
    let ob = stop(b, SIGINT);
    assert!(
        oa.status.success(),
        "{}",
        String::from_utf8_lossy(&oa.stderr)
    );
    assert!(
        ob.status.success(),
        "{}",
        String::from_utf8_lossy(&ob.stderr)
    );
}

/// Real traffic: pings, HTTP downloads of a 1 MiB file, UDP datagrams to a closed port.
fn traffic(t: &Path3, dir: &Path, downloads: u32, pings: u32) {
    let www = dir.join("www");
    std::fs::create_dir_all(&www).unwrap();
    let blob: Vec<u8> = (0..1u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(www.join("blob.bin"), blob).unwrap();
    let server = t.server.spawn_quiet(&[
        "python3",
        "-m",
        "http.server",
        "8080",
        "--bind",
        SERVER_IP,
        "--directory",
        p(&www),
    ]);
    t.client.run(&[
        "ping",
        "-c",
        &pings.to_string(),
        "-i",
        "0.01",
        "-W",
        "1",
        SERVER_IP,
    ]);
    let client = format!(
        "import time,urllib.request\n\
         ok=0\n\
         for i in range(200):\n\
         \x20   if ok >= {downloads}: break\n\
         \x20   try:\n\
         \x20       n=len(urllib.request.urlopen('http://{SERVER_IP}:8080/blob.bin', timeout=10).read())\n\
         \x20       assert n == 1<<20\n\
         \x20       ok += 1\n\
         \x20   except Exception:\n\
         \x20       time.sleep(0.1)\n\
         assert ok == {downloads}, ok\n"
    );
    t.client.run(&["python3", "-c", &client]);
    stop(server, SIGTERM);
    let udp = format!(
        "import socket\ns=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor i in range(20):\n    s.sendto(b'paircap-%d' % i, ('{SERVER_IP}', 9999))\n"
    );
    t.client.run(&["python3", "-c", &udp]);
}

/// Connection attempts to a port whose SYNs the router drops (each attempt retransmits its
/// SYN once before giving up).
fn blocked_connects(t: &Path3, attempts: u32) {
    let py = format!(
        "import socket\nfor i in range({attempts}):\n    s=socket.socket()\n    s.settimeout(1.5)\n    try:\n        s.connect(('{SERVER_IP}', 8443))\n    except OSError:\n        pass\n    s.close()\n"
    );
    t.client.run(&["python3", "-c", &py]);
}

fn compare(src: &Path, dst: &Path) -> serde_json::Value {
    let out = std::process::Command::new(paircap())
        .args(["compare", p(src), p(dst), "--format", "json", "--packets"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn n(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

fn text_report(src: &Path, dst: &Path) -> String {
    let out = std::process::Command::new(paircap())
        .args(["compare", p(src), p(dst)])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn clean_path_through_nat_loses_nothing() {
    let dir = tmpdir("clean");
    let t = Path3::new("q");
    let (a, b, src, dst) = start_captures(&t, &dir);
    traffic(&t, &dir, 3, 100);
    stop_captures(a, b);
    let j = compare(&src, &dst);
    let c = &j["counts"];
    let report = text_report(&src, &dst);
    assert!(n(&c["matched"]) > 300, "{report}");
    assert_eq!(n(&c["lost"]), 0, "{report}");
    assert_eq!(n(&c["extra"]), 0, "{report}");
    assert_eq!(n(&c["duplicated"]), 0, "{report}");
    assert_eq!(n(&c["modified"]), 0, "{report}");
    assert_eq!(n(&j["source"]["dropped"]), 0);
    assert_eq!(n(&j["target"]["dropped"]), 0);
    // Same host clock on both ends: the offset is (nearly) zero, delays are microseconds.
    let clock = &j["clock"];
    assert_eq!(clock["method"], "two-way", "{clock}");
    assert!(clock["offset_ms"].as_f64().unwrap().abs() < 1.0, "{clock}");
    assert!(j["delay_ms"]["source_to_target"]["p50"].as_f64().unwrap() < 5.0);
    // NAT: every flow from the client appears from the router's address.
    let nat = j["nat"].as_array().unwrap();
    assert!(nat.len() >= 5, "{report}");
    assert_eq!(clock["method"], "two-way", "{report}");
    for e in nat {
        assert!(
            e["source"]["src"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{CLIENT_IP}:")),
            "{e}"
        );
        assert!(
            e["target"]["src"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{ROUTER_WAN}:")),
            "{e}"
        );
        assert_eq!(e["source"]["dst"], e["target"]["dst"]);
    }
    for proto in ["tcp", "udp", "icmp"] {
        assert!(
            nat.iter().any(|e| e["proto"] == proto),
            "no {proto} flow in {report}"
        );
    }
    // Every source packet is accounted for: matched, or local (ARP) traffic. The router
    // (two CPUs) may reorder a few packets of a flow; they are still matched.
    let mut reordered = 0;
    for pk in j["packets"].as_array().unwrap() {
        let st = pk["status"].as_str().unwrap();
        assert!(
            matches!(st, "matched" | "not_forwarded" | "reordered"),
            "{pk}\n{report}"
        );
        reordered += usize::from(st == "reordered");
    }
    assert!(reordered * 100 <= n(&c["matched"]) as usize, "{report}");
    assert!(
        report.contains("Source NAT: 1 inside host appear as 198.51.100.1"),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dropped_syns_are_exactly_the_firewall_counter() {
    let dir = tmpdir("syn");
    let t = Path3::new("y");
    nft(
        &t.router,
        "table inet filt {\n chain forward_c {\n type filter hook forward priority 0;\n tcp dport 8443 tcp flags & (syn | ack) == syn counter drop comment \"syn-drop\"\n }\n}\n",
    );
    let (a, b, src, dst) = start_captures(&t, &dir);
    traffic(&t, &dir, 1, 20);
    blocked_connects(&t, 3);
    stop_captures(a, b);
    let dropped = counter(&t.router, "syn-drop");
    assert!(dropped >= 3, "{dropped}");
    let j = compare(&src, &dst);
    let report = text_report(&src, &dst);
    assert_eq!(n(&j["counts"]["lost"]), dropped, "{report}");
    assert_eq!(n(&j["counts"]["extra"]), 0, "{report}");
    // The lost packets are exactly the SYNs to port 8443.
    let lost: Vec<u64> = j["packets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "lost")
        .map(|p| n(&p["source"]))
        .collect();
    assert_eq!(lost.len() as u64, dropped);
    let first = j["diagnosis"][0].as_str().unwrap();
    assert!(
        first.contains(&format!("{dropped} of "))
            && first.contains(&format!("all are SYNs to {SERVER_IP}:8443"))
            && first.contains("new connections are dropped on the path"),
        "{first}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn random_loss_is_exactly_the_numgen_counters() {
    let dir = tmpdir("loss");
    let t = Path3::new("l");
    nft(
        &t.router,
        &format!(
            "table inet filt {{\n chain forward_c {{\n type filter hook forward priority 0;\n \
             ip daddr {SERVER_IP} numgen random mod 100 < 5 counter drop comment \"c2s-loss\"\n \
             ip saddr {SERVER_IP} numgen random mod 100 < 5 counter drop comment \"s2c-loss\"\n }}\n}}\n"
        ),
    );
    let (a, b, src, dst) = start_captures(&t, &dir);
    traffic(&t, &dir, 3, 300);
    stop_captures(a, b);
    let (c2s, s2c) = (
        counter(&t.router, "c2s-loss"),
        counter(&t.router, "s2c-loss"),
    );
    assert!(c2s >= 10 && s2c >= 10, "counters {c2s} {s2c}");
    let j = compare(&src, &dst);
    let report = text_report(&src, &dst);
    // Source only = dropped on the way to the server; target only = dropped on the way back.
    // A target-only packet that is byte for byte a copy of one that got through, within
    // milliseconds, is reported as a duplicate: Linux resends SYN-ACKs with IP ID 0 and the
    // same time stamp (one per SYN it sees), and such a pair cannot be told from a copy
    // made on the path.
    assert_eq!(n(&j["counts"]["lost"]), c2s, "{report}");
    let dup_t = n(&j["target"]["status"]["duplicated"]);
    assert_eq!(n(&j["counts"]["extra"]) + dup_t, s2c, "{report}");
    assert!(dup_t <= 2, "{report}");
    assert!(
        j["diagnosis"][0]
            .as_str()
            .unwrap()
            .starts_with(&format!("{c2s} of ")),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
