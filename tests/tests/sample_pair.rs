//! The demo pair in `samples/pair/`: a real source/target capture with loss in both
//! directions, made in network namespaces by `make_sample_pair` (ignored: run it with
//! `bash scripts/make-sample-pair.sh`, which also says how it was made), and a test that the
//! committed pair still compares as its README says.
//!
//! How it is made: client — NAT router — impairment relay — server
//! (`paircap_tests::lab`); the relay drops 3% of the frames each way, duplicates 1%,
//! holds 1% back behind two later ones, and delays 3 ms there and 5 ms back; the client has
//! TSO on (its capture holds super-segments the router cuts into wire segments); traffic:
//! 20 pings, an HTTP download of 400 kB and an upload of 200 kB, a few UDP datagrams to a
//! closed port. `paircap capture` at the client (source) and at the server (target).

use paircap_tests::lab::{Lab, LabOptions};
use std::path::PathBuf;
use std::process::Command;

fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples/pair")
}

#[test]
#[ignore = "makes samples/pair (needs root); scripts/make-sample-pair.sh runs it"]
fn make_sample_pair() {
    let o = LabOptions::relayed(&[
        "--seed",
        "11",
        "--drop",
        "0.03",
        "--dup",
        "0.01",
        "--reorder",
        "0.01",
        "--delay-ab",
        "3",
        "--delay-ba",
        "5",
    ]);
    let mut lab = Lab::new("m", &o);
    let caps = lab.start_captures(&[], &[]);
    lab.ping(20);
    lab.http(&["get:400000", "put:200000"]);
    lab.udp(5);
    let (src, dst) = caps.stop();
    lab.stop_relay();
    let out = samples();
    std::fs::create_dir_all(&out).unwrap();
    std::fs::copy(&src, out.join("source.pcapng")).unwrap();
    std::fs::copy(&dst, out.join("target.pcapng")).unwrap();
    std::fs::copy(lab.dir.join("relay.log"), out.join("relay.log")).unwrap();
}

/// The committed pair: loss both ways, duplicates, partly lost super-segments, NAT.
#[test]
fn the_sample_pair_shows_loss_both_ways() {
    let dir = samples();
    let out = Command::new(paircap_tests::paircap())
        .arg("compare")
        .arg(dir.join("source.pcapng"))
        .arg(dir.join("target.pcapng"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &j["counts"]["directions"];
    for k in ["source_to_target", "target_to_source"] {
        let lost = d[k]["lost"].as_u64().unwrap() + d[k]["partly_lost"].as_u64().unwrap();
        assert!(lost > 0, "{k}: {}", d[k]);
    }
    assert_eq!(j["counts"]["extra"], 0);
    assert!(!j["nat"].as_array().unwrap().is_empty());
    // And the relay's log agrees (tshark decodes the captures for the check).
    let js = std::env::temp_dir().join(format!("paircap-sample-{}.json", std::process::id()));
    let full = Command::new(paircap_tests::paircap())
        .arg("compare")
        .arg(dir.join("source.pcapng"))
        .arg(dir.join("target.pcapng"))
        .args(["--format", "json", "--packets"])
        .output()
        .unwrap();
    std::fs::write(&js, &full.stdout).unwrap();
    let check = Command::new("python3")
        .arg(paircap_tests::lab::script("check_relay.py"))
        .arg(dir.join("source.pcapng"))
        .arg(dir.join("target.pcapng"))
        .arg(dir.join("relay.log"))
        .arg(&js)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&js);
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}
