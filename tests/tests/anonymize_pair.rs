//! An anonymised pair (one secret for both files) compares exactly like the original pair,
//! and with payloads zeroed no original address is left anywhere in the files' bytes.

use paircap_tests::{cmd, shared_dir};
use std::path::{Path, PathBuf};
use std::process::Command;

fn counts(src: &Path, dst: &Path) -> String {
    let o = cmd()
        .arg("compare")
        .arg(src)
        .arg(dst)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j = String::from_utf8(o.stdout).unwrap();
    let i = j.find("\"counts\":").expect("counts in the JSON");
    j[i..i + j[i..].find('}').unwrap()].to_string()
}

fn anonymize(input: &Path, out: &Path, payload: &str) {
    let o = cmd()
        .arg("read")
        .arg(input)
        .arg("-w")
        .arg(out)
        .args([
            "--anonymize",
            "--anon-key",
            "one secret for the pair",
            "--anon-payload",
            payload,
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Every distinct address (IPv4, IPv6, MAC) in a capture's headers, as tshark reads them.
fn addresses(f: &Path) -> Vec<Vec<u8>> {
    let o = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(f)
        .args(["-T", "fields", "-E", "separator=,", "-E", "occurrence=a"])
        .args([
            "-e",
            "ip.addr",
            "-e",
            "ipv6.addr",
            "-e",
            "eth.addr",
            "-e",
            "arp.src.proto_ipv4",
            "-e",
            "arp.dst.proto_ipv4",
        ])
        .output()
        .expect("tshark");
    let mut v: Vec<Vec<u8>> = String::from_utf8_lossy(&o.stdout)
        .split(['\n', ','])
        .filter(|a| !a.is_empty())
        .filter_map(|a| {
            if let Ok(x) = a.parse::<std::net::Ipv4Addr>() {
                // Kept on purpose: broadcast, multicast, unspecified, loopback.
                let o = x.octets();
                (!(x.is_broadcast() || x.is_multicast() || x.is_unspecified() || o[0] == 127))
                    .then(|| o.to_vec())
            } else if let Ok(x) = a.parse::<std::net::Ipv6Addr>() {
                let o = x.octets();
                (!(x.is_multicast() || x.is_unspecified() || x.is_loopback())).then(|| o.to_vec())
            } else {
                let m: Vec<u8> = a
                    .split(':')
                    .filter_map(|h| u8::from_str_radix(h, 16).ok())
                    .collect();
                (m.len() == 6 && m[0] & 1 == 0).then_some(m)
            }
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn anonymized_pair_compares_like_the_original_and_keeps_no_address() {
    let dir = std::env::temp_dir().join(format!("paircap-anon-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prefix = dir.join("pair");
    let g = Command::new("python3")
        .arg(shared_dir().join("perf/gen_workload.py"))
        .args(["pair", "-n", "10000", "--seed", "7", "-o"])
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(g.status.success(), "{}", String::from_utf8_lossy(&g.stderr));
    let p = |s: &str| -> PathBuf { dir.join(s) };
    let (src, dst) = (p("pair.src.pcapng"), p("pair.tgt.pcapng"));
    let original = counts(&src, &dst);
    anonymize(&src, &p("keep.src.pcapng"), "keep");
    anonymize(&dst, &p("keep.tgt.pcapng"), "keep");
    assert_eq!(
        counts(&p("keep.src.pcapng"), &p("keep.tgt.pcapng")),
        original
    );
    // Headers: no original address left, in either file.
    let before: Vec<Vec<u8>> = [addresses(&src), addresses(&dst)].concat();
    assert!(before.len() > 100, "{} addresses", before.len());
    for f in ["keep.src.pcapng", "keep.tgt.pcapng"] {
        let after = addresses(&p(f));
        let left: Vec<&Vec<u8>> = after.iter().filter(|a| before.contains(a)).collect();
        assert!(
            left.is_empty(),
            "{f}: {} original addresses left, e.g. {:?}",
            left.len(),
            left.first()
        );
    }
    // Payloads zeroed: not a byte sequence of any original address anywhere in the files.
    anonymize(&src, &p("zero.src.pcapng"), "zero");
    anonymize(&dst, &p("zero.tgt.pcapng"), "zero");
    let sets: Vec<(usize, std::collections::HashSet<&[u8]>)> = [4usize, 6, 16]
        .iter()
        .map(|&n| {
            (
                n,
                before
                    .iter()
                    .filter(|a| a.len() == n)
                    .map(Vec::as_slice)
                    .collect(),
            )
        })
        .collect();
    for f in ["zero.src.pcapng", "zero.tgt.pcapng"] {
        let bytes = std::fs::read(p(f)).unwrap();
        for (n, set) in &sets {
            let hit = bytes.windows(*n).position(|w| set.contains(w));
            assert!(hit.is_none(), "{f}: an original address at byte {hit:?}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The key: never printed; a key file is created private and gives the same mapping
/// again; the default payload mode is zero; the file names no origin.
#[test]
fn keys_are_never_printed_and_key_files_repeat_the_mapping() {
    let dir = std::env::temp_dir().join(format!("paircap-anonkey-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let input = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples/demo.pcapng");
    let run = |out: &Path, extra: &[&str]| {
        let o = cmd()
            .arg("read")
            .arg(&input)
            .arg("-w")
            .arg(out)
            .arg("--anonymize")
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    // No key: nothing about it on the terminal.
    let err = run(&dir.join("r.pcapng"), &[]);
    assert!(!err.to_lowercase().contains("key"), "{err}");
    let bytes = std::fs::read(dir.join("r.pcapng")).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("anonymized export by paircap (payloads zeroed)"));
    assert!(!text.contains("demo.pcapng") && !text.contains("sha256"));
    // A key file: created 0600, then read back; same file, same bytes.
    let key = dir.join("pair.key");
    let k = key.to_str().unwrap();
    let err = run(&dir.join("a.pcapng"), &["--anon-key-file", k]);
    assert!(err.contains("wrote a new anonymization key"), "{err}");
    let secret = std::fs::read_to_string(&key).unwrap();
    assert!(
        !err.contains(secret.trim()),
        "the key itself is not printed"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    run(&dir.join("b.pcapng"), &["--anon-key-file", k]);
    assert_eq!(
        std::fs::read(dir.join("a.pcapng")).unwrap(),
        std::fs::read(dir.join("b.pcapng")).unwrap()
    );
    // Another key, another mapping.
    run(&dir.join("c.pcapng"), &["--anon-key", "another passphrase"]);
    assert_ne!(
        std::fs::read(dir.join("a.pcapng")).unwrap(),
        std::fs::read(dir.join("c.pcapng")).unwrap()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
