//! `paircap compare` on real pairs, captured with `paircap capture` at both ends of paths
//! this test builds in network namespaces (`paircap_tests::lab`): real TCP stacks with the
//! kernel's offloads, HTTP transfers both ways, pings, UDP. What each case checks comes from
//! outside the compare: nftables counters, the impairment relay's log (decoded with tshark
//! by `tests/relay/check_relay.py`), the kernel's drop counts.
//!
//! - offloads on (TSO/GSO at the senders, GRO at the receivers, a router that re-cuts the
//!   super-segments), MB-sized transfers both ways over a lossless path: nothing lost or
//!   extra; the same pair with either side cut to 64 or 96 bytes: still nothing;
//! - nftables `numgen` drops in one direction, then in the other: the lost packets and
//!   their IP bytes are exactly the rule's counters, on the right direction;
//! - the relay dropping, duplicating, delaying and reordering both ways: every status as its
//!   log says (super-segments of which it dropped a piece are partly lost by those bytes);
//! - a FIFO path (one veth, the source captured with `-i any`): nothing reordered;
//! - a UDP flood into a capture with a tiny buffer: the kernel's drops are capture drops,
//!   counted as such, not network loss, and IP IDs pair up.
//!
//! Needs root, iproute2, nftables, ethtool, python3, tshark (editcap) and a C compiler;
//! fails (does not skip) without them. The cases run one at a time (they share the CPUs).

use paircap_tests::lab::{
    compare_json, compare_text, counter, nft, script, Lab, LabOptions, Offloads, CLIENT_IP,
    ROUTER_WAN, SERVER_IP,
};
use paircap_tests::netns::{sh, stop, wait_for_file, Pair};
use paircap_tests::paircap;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn json(b: &[u8]) -> Value {
    serde_json::from_slice(b).expect("compare JSON")
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

fn dir<'a>(j: &'a Value, d: &str) -> &'a Value {
    &j["counts"]["directions"][d]
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn offloads_on_both_ways_lossless_and_any_snap_length() {
    let _g = serial();
    // TSO/GSO at both senders, GRO at the server: the server's capture holds what its GRO
    // merged, the client's what its TSO handed down, the router cuts in between.
    let o = LabOptions {
        client: Offloads {
            tso: true,
            gro: false,
        },
        ..LabOptions::default()
    };
    let lab = Lab::new("o", &o);
    let caps = lab.start_captures(&[], &[]);
    lab.ping(20);
    lab.http(&["get:3000000", "put:3000000", "get:1500000", "put:800000"]);
    lab.udp(10);
    let (src, dst) = caps.stop();
    let text = compare_text(&src, &dst, &[]);
    let j = json(&compare_json(&src, &dst, &[]));
    let c = &j["counts"];
    for k in ["lost", "partly_lost", "extra", "duplicated", "capture_drop"] {
        assert_eq!(n(&c[k]), 0, "{k}: {text}");
    }
    assert!(n(&dir(&j, "source_to_target")["sent"]) > 50, "{text}");
    assert!(n(&dir(&j, "target_to_source")["sent"]) > 50, "{text}");
    // Per conversation too: every direction's packets all arrived.
    let convs = j["conversations"].as_array().unwrap();
    assert!(convs.len() >= 5, "{text}");
    for cv in convs {
        for d in ["a_to_b", "b_to_a"] {
            let x = &cv[d];
            assert_eq!(n(&x["lost"]) + n(&x["partly_lost"]), 0, "{cv}");
            // (GRO and TSO cut the same bytes into different packet counts: only TCP
            // counts may differ; every other packet arrives as sent.)
            if cv["proto"] != "tcp" {
                assert_eq!(n(&x["sent"]), n(&x["received"]), "{cv}");
            }
        }
    }
    // Both captures hold super-segments, cut differently from the other side's.
    let seg = &j["segmentation"];
    assert!(n(&seg["super_segments"]["source"]) > 20, "{text}");
    assert!(n(&seg["super_segments"]["target"]) > 20, "{text}");
    assert!(n(&seg["offload_pairs"]) > 20, "{seg}");
    let diag = j["diagnosis"].to_string();
    assert!(!diag.contains("outage"), "{text}");
    assert!(
        diag.contains("recorded: vs: tso on, gso on, gro on"),
        "{text}"
    );
    assert_eq!(
        j["source"]["offloads"][0],
        "vc: tso on, gso on, gro off, lro off"
    );
    // NAT: every client flow leaves as the router.
    let nat = j["nat"].as_array().unwrap();
    assert!(nat.len() >= 5, "{text}");
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
    }
    // Snap lengths: either side cut to 64 or 96 bytes per packet compares the same.
    for snap in ["64", "96"] {
        for cut_target in [false, true] {
            let (a, b) = if cut_target {
                (src.clone(), lab.dir.join(format!("t{snap}.pcapng")))
            } else {
                (lab.dir.join(format!("s{snap}.pcapng")), dst.clone())
            };
            let (from, to) = if cut_target { (&dst, &b) } else { (&src, &a) };
            sh(&["editcap", "-s", snap, p(from), p(to)]);
            let t = compare_text(&a, &b, &[]);
            let k = json(&compare_json(&a, &b, &[]));
            let kc = &k["counts"];
            for key in ["lost", "partly_lost", "extra", "duplicated"] {
                assert_eq!(
                    n(&kc[key]),
                    0,
                    "snap {snap} (target cut: {cut_target}) {key}: {t}"
                );
            }
            assert_eq!(kc["matched"], c["matched"], "snap {snap}: {t}");
            assert!(t.contains("capture cut packets short"), "{t}");
        }
    }
}

/// Drops 5% of one direction's packets on the router (nftables `numgen`, with a counter):
/// the lost packets are the counter's packets, their IP bytes its bytes.
fn numgen_loss(tag: &str, forward: bool) {
    // The router forwards super-segments whole: a drop takes a whole captured packet.
    let o = LabOptions {
        router_tso: true,
        ..LabOptions::default()
    };
    let lab = Lab::new(tag, &o);
    let m = if forward { "daddr" } else { "saddr" };
    nft(
        &lab.router,
        &format!(
            "table inet filt {{\n chain forward_c {{\n type filter hook forward priority 0;\n \
             ip {m} {SERVER_IP} numgen random mod 100 < 5 counter drop comment \"loss\"\n }}\n}}\n"
        ),
    );
    let caps = lab.start_captures(&[], &[]);
    lab.ping(100);
    lab.http(&["get:2000000", "put:2000000", "get:500000"]);
    let (src, dst) = caps.stop();
    let (packets, bytes) = counter(&lab.router, "loss");
    assert!(packets >= 5, "too few drops: {packets}");
    let text = compare_text(&src, &dst, &[]);
    let j = json(&compare_json(&src, &dst, &[]));
    let (lossy, clean) = if forward {
        ("source_to_target", "target_to_source")
    } else {
        ("target_to_source", "source_to_target")
    };
    let d = dir(&j, lossy);
    assert_eq!(n(&d["lost"]), packets, "{text}");
    assert_eq!(n(&d["partly_lost"]), 0, "{text}");
    assert_eq!(n(&d["ip_bytes_lost"]), bytes, "{text}");
    let o = dir(&j, clean);
    assert_eq!(n(&o["lost"]) + n(&o["partly_lost"]), 0, "{text}");
    assert_eq!(n(&j["counts"]["extra"]), 0, "{text}");
    // The diagnosis leads with the direction that lost.
    let first = j["diagnosis"][0].as_str().unwrap();
    let sender = if forward { "source" } else { "target" };
    assert!(
        first.starts_with(&format!("{packets} of "))
            && first.contains(&format!("packets the {sender} sent never reached")),
        "{first}"
    );
}

#[test]
fn numgen_drops_on_the_way_there_are_the_counter() {
    let _g = serial();
    numgen_loss("f", true);
}

#[test]
fn numgen_drops_on_the_way_back_are_the_counter() {
    let _g = serial();
    numgen_loss("b", false);
}

#[test]
fn dropped_syns_are_exactly_the_firewall_counter() {
    let _g = serial();
    let lab = Lab::new("y", &LabOptions::default());
    nft(
        &lab.router,
        "table inet filt {\n chain forward_c {\n type filter hook forward priority 0;\n tcp dport 8443 tcp flags & (syn | ack) == syn counter drop comment \"syn\"\n }\n}\n",
    );
    let caps = lab.start_captures(&[], &[]);
    lab.http(&["get:100000"]);
    let py = format!(
        "import socket\nfor i in range(3):\n    s=socket.socket()\n    s.settimeout(1.5)\n    try:\n        s.connect(('{SERVER_IP}', 8443))\n    except OSError:\n        pass\n    s.close()\n"
    );
    lab.client.run(&["python3", "-c", &py]);
    let (src, dst) = caps.stop();
    let (dropped, _) = counter(&lab.router, "syn");
    assert!(dropped >= 3, "{dropped}");
    let j = json(&compare_json(&src, &dst, &[]));
    assert_eq!(n(&j["counts"]["lost"]), dropped);
    assert_eq!(n(&j["counts"]["extra"]), 0);
    let first = j["diagnosis"][0].as_str().unwrap();
    assert!(
        first.contains(&format!("{dropped} of "))
            && first.contains(&format!("all are SYNs to {SERVER_IP}:8443"))
            && first.contains("new connections are dropped on the path"),
        "{first}"
    );
}

#[test]
fn relay_impairments_both_ways_match_its_log() {
    let _g = serial();
    let o = LabOptions::relayed(&[
        "--seed",
        "7",
        "--drop",
        "0.02",
        "--dup",
        "0.01",
        "--reorder",
        "0.01",
        "--delay-ab",
        "3",
        "--delay-ba",
        "5",
    ]);
    let mut lab = Lab::new("x", &o);
    let caps = lab.start_captures(&[], &[]);
    lab.ping(50);
    lab.http(&["get:2000000", "put:2000000", "get:1000000", "put:1000000"]);
    let (src, dst) = caps.stop();
    lab.stop_relay();
    let log = lab.dir.join("relay.log");
    let js = lab.dir.join("compare.json");
    std::fs::write(&js, compare_json(&src, &dst, &[])).unwrap();
    let out = Command::new("python3")
        .arg(script("check_relay.py"))
        .args([&src, &dst, &log, &js])
        .output()
        .expect("check_relay.py");
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{report}");
    assert!(
        out.status.success(),
        "the compare disagrees with the relay's log:\n{report}{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        compare_text(&src, &dst, &[])
    );
    let j = json(&std::fs::read(&js).unwrap());
    // Every lost packet's far end is behind the NAT the map learnt: the receiving capture saw
    // it under its other address.
    let diag = j["diagnosis"].to_string();
    assert!(!diag.contains("never saw"), "{diag}");
    for d in ["source_to_target", "target_to_source"] {
        let x = dir(&j, d);
        assert!(n(&x["lost"]) + n(&x["partly_lost"]) > 0, "{d}: {x}");
        assert!(n(&x["duplicated"]) > 0, "{d}: {x}");
        assert!(n(&x["reordered"]) > 0, "{d}: {x}");
    }
    assert!(n(&dir(&j, "source_to_target")["partly_lost"]) > 0);
    // Same host, same clock: with the offset given, the one-way delays are the relay's
    // (3 ms there, 5 ms back) plus what the path adds.
    let k = json(&compare_json(&src, &dst, &["--offset", "0"]));
    let min = |d: &str| k["delay_ms"][d]["min"].as_f64().unwrap();
    assert!(
        (3.0..4.5).contains(&min("source_to_target")),
        "{}",
        k["delay_ms"]
    );
    assert!(
        (5.0..6.5).contains(&min("target_to_source")),
        "{}",
        k["delay_ms"]
    );
}

#[test]
fn fifo_path_reorders_nothing() {
    let _g = serial();
    let pr = Pair::new("q");
    let tmp = std::env::temp_dir().join(format!("paircap-fifo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let traffic = script("traffic.py");
    let http = pr.b.spawn_quiet(&[
        "taskset",
        "-c",
        "0",
        "python3",
        traffic.to_str().unwrap(),
        "serve",
        &pr.b_ip,
        "8080",
    ]);
    std::thread::sleep(Duration::from_millis(500));
    let (src, dst) = (tmp.join("source.pcapng"), tmp.join("target.pcapng"));
    let pc = paircap();
    // The source on "any", as the user did.
    let a = pr.a.spawn(&[p(&pc), "capture", "-i", "any", "-w", p(&src)]);
    let b =
        pr.b.spawn(&[p(&pc), "capture", "-i", "veth-b", "-w", p(&dst)]);
    wait_for_file(&src, Duration::from_secs(10));
    wait_for_file(&dst, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(800));
    pr.a.run(&[
        "taskset",
        "-c",
        "0",
        "python3",
        traffic.to_str().unwrap(),
        "fetch",
        &format!("{}:8080", pr.b_ip),
        "get:5000000",
        "put:2000000",
    ]);
    std::thread::sleep(Duration::from_millis(300));
    for c in [a, b] {
        let o = stop(c, 2);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let _ = stop(http, 15);
    let text = compare_text(&src, &dst, &[]);
    let j = json(&compare_json(&src, &dst, &[]));
    for d in ["source_to_target", "target_to_source"] {
        assert_eq!(n(&dir_of(&j, d)["reordered"]), 0, "{d}: {text}");
        assert_eq!(n(&dir_of(&j, d)["lost"]), 0, "{d}: {text}");
        assert!(n(&dir_of(&j, d)["sent"]) > 20, "{d}: {text}");
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

fn dir_of<'a>(j: &'a Value, d: &str) -> &'a Value {
    dir(j, d)
}

#[test]
fn capture_drops_are_not_network_loss() {
    let _g = serial();
    let pr = Pair::new("d");
    let tmp = std::env::temp_dir().join(format!("paircap-drops-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let flood = tmp.join("udpflood");
    let c_src = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bench/udpflood.c");
    sh(&["cc", "-O2", "-o", p(&flood), p(&c_src)]);
    let (src, dst) = (tmp.join("source.pcapng"), tmp.join("target.pcapng"));
    let pc = paircap();
    let a = pr.a.spawn(&[
        p(&pc),
        "capture",
        "-i",
        "veth-a",
        "-B",
        "65536",
        "-w",
        p(&src),
    ]);
    // A 128 KiB kernel buffer: the flood overruns it.
    let b = pr.b.spawn(&[
        p(&pc),
        "capture",
        "-i",
        "veth-b",
        "-B",
        "128",
        "-w",
        p(&dst),
    ]);
    wait_for_file(&src, Duration::from_secs(10));
    wait_for_file(&dst, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(800));
    pr.a.run(&[p(&flood), &pr.b_ip, "9", "200000", "18"]);
    std::thread::sleep(Duration::from_millis(500));
    let oa = stop(a, 2);
    let ob = stop(b, 2);
    assert!(oa.status.success() && ob.status.success());
    let err = String::from_utf8_lossy(&ob.stderr);
    let kernel: u64 = err
        .lines()
        .find(|l| l.ends_with("packets dropped by kernel"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("no drop count in {err}"));
    assert!(
        kernel > 1000,
        "the target capture dropped only {kernel}: {err}"
    );
    let text = compare_text(&src, &dst, &[]);
    let j = json(&compare_json(&src, &dst, &[]));
    // The statistics block: ps_drop as isb_osdrop, ps_ifdrop as isb_ifdrop.
    assert_eq!(n(&j["target"]["kernel_dropped"]), kernel, "{text}");
    assert_eq!(n(&j["target"]["interface_dropped"]), 0, "{text}");
    assert_eq!(n(&j["target"]["dropped"]), kernel, "{text}");
    let d = dir(&j, "source_to_target");
    assert_eq!(n(&d["lost"]), 0, "{text}");
    assert_eq!(n(&d["capture_drop"]), kernel, "{text}");
    assert!(n(&d["matched"]) > 100_000, "{text}");
    // Identical datagrams pair by IP ID: no pair differs in it.
    assert!(j["modified_fields"].get("ip.id").is_none(), "{text}");
    assert_eq!(n(&j["counts"]["modified"]), 0, "{text}");
    let diag = j["diagnosis"].to_string();
    assert!(
        diag.contains(&format!(
            "The target capture missed {} packets",
            paircap_thousands(kernel)
        )) && diag.contains("capture drops, not network loss"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

fn paircap_thousands(v: u64) -> String {
    shared_decode::compare::thousands(v)
}
