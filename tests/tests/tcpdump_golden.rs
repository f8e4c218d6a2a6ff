//! Golden test against tcpdump's own expected outputs (`tcpdump-expected/` in the shared
//! corpus, the tcpdump project's test suite): `paircap read -# -n -tttt [options] FILE` with
//! `TZ=GMT0` must print exactly what `tcpdump` does for the tests listed in
//! `tests/tcpdump-golden-pass.txt` (a ratchet: a test that passes is added there and must keep
//! passing). Every other test is run too and its line agreement reported.

use paircap_tests::{cmd, corpus_dir};
use std::collections::BTreeSet;

/// tcpdump options we implement; tests using others are skipped (and counted).
fn supported(opt: &str) -> bool {
    matches!(
        opt,
        "-v" | "-vv"
            | "-vvv"
            | "-e"
            | "-x"
            | "-xx"
            | "-X"
            | "-XX"
            | "-A"
            | "-q"
            | "-t"
            | "-tt"
            | "-ttt"
            | "-tttt"
            | "-ttttt"
            | "--nano"
            | "-n"
            | "SPECIAL_t"
            | "-ev"
    )
}

#[test]
fn tcpdump_expected_outputs() {
    let dir = corpus_dir();
    let tests = std::fs::read_to_string(dir.join("tcpdump-expected/TESTS.tsv")).unwrap();
    let must: BTreeSet<String> = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tcpdump-golden-pass.txt"
    ))
    .unwrap()
    .lines()
    .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    .map(|l| l.trim().to_string())
    .collect();
    let (mut run, mut passed, mut skipped, mut lines, mut same_lines) = (0, 0, 0, 0usize, 0usize);
    let mut failures = Vec::new();
    let mut newly = Vec::new();
    for row in tests.lines().skip(1) {
        let c: Vec<&str> = row.split('\t').collect();
        let (name, file, expected, opts, same) =
            (c[0], c[1], c[2], c[3], c.get(7).copied().unwrap_or(""));
        if same != "yes"
            || !dir.join(file).exists()
            || !dir.join("tcpdump-expected").join(expected).exists()
        {
            continue;
        }
        let opts: Vec<&str> = opts.split_whitespace().collect();
        if !opts.iter().all(|o| supported(o)) {
            skipped += 1;
            continue;
        }
        let mut args: Vec<String> = vec!["read".into(), "-#".into(), "-n".into()];
        if !opts.contains(&"SPECIAL_t") {
            args.push("-tttt".into());
        }
        for o in &opts {
            match *o {
                "SPECIAL_t" => {}
                "-ev" => {
                    args.push("-e".into());
                    args.push("-v".into());
                }
                "-vv" => args.extend(["-v".into(), "-v".into()]),
                "-vvv" => args.extend(["-v".into(), "-v".into(), "-v".into()]),
                o => args.push(o.into()),
            }
        }
        args.push(dir.join(file).display().to_string());
        let out = cmd().args(&args).env("TZ", "GMT0").output().unwrap();
        let ours = String::from_utf8_lossy(&out.stdout).to_string();
        let want = std::fs::read_to_string(dir.join("tcpdump-expected").join(expected)).unwrap();
        run += 1;
        let (ol, wl): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), want.lines().collect());
        lines += wl.len();
        let same = wl.iter().zip(&ol).filter(|(a, b)| a == b).count();
        same_lines += same;
        if std::env::var_os("GOLDEN_VERBOSE").is_some() && ours != want {
            eprintln!(
                "DIFF {name} ({}): {same}/{} lines",
                opts.join(" "),
                wl.len()
            );
        }
        if ours == want {
            passed += 1;
            if !must.contains(name) {
                newly.push(name.to_string());
            }
        } else if must.contains(name) {
            let first = wl
                .iter()
                .zip(ol.iter().chain(std::iter::repeat(&"")))
                .find(|(a, b)| a != b);
            failures.push(format!(
                "{name}: first difference\n  tcpdump: {:?}\n  paircap: {:?}",
                first.map(|f| f.0),
                first.map(|f| f.1)
            ));
        }
    }
    eprintln!(
        "tcpdump golden: {run} tests run ({skipped} skipped: options not implemented), {passed} identical, \
         {same_lines}/{lines} lines identical ({:.1}%)",
        100.0 * same_lines as f64 / lines.max(1) as f64
    );
    if !newly.is_empty() {
        eprintln!(
            "passing but not yet in tcpdump-golden-pass.txt: {}",
            newly.join(" ")
        );
    }
    assert!(run > 80, "only {run} tests ran");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Table-declared protocols print what the installed tcpdump prints, `-v` included, on the
/// corpus files that carry them (the live tcpdump is the reference: upstream's expected
/// files for `ntp -v` come from a later tcpdump that names a field differently).
#[test]
fn row_protocols_print_like_the_installed_tcpdump() {
    let dir = paircap_tests::corpus_dir();
    for (file, flags) in [
        ("tcpdump__ntp.pcap", &["-v"][..]),
        ("zeek__ntp.pcap", &["-v"]),
        ("tcpdump__ntp-time.pcap", &["-v"]),
        ("tcpdump__ntp.pcap", &[]),
        ("tcpdump__ssh.pcap", &[]),
        ("pcpp__dhcpv6.pcap", &[]),
    ] {
        let path = dir.join(file);
        let run = |mut c: std::process::Command| {
            let out = c
                .env("TZ", "GMT0")
                .args(["-n", "-r"])
                .arg(&path)
                .args(flags)
                .output()
                .expect("tcpdump (installed by .ci/run)");
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let theirs = run(std::process::Command::new("tcpdump"));
        let mut c = cmd();
        c.arg("read");
        let ours = run(c);
        assert!(!theirs.is_empty(), "{file}: tcpdump printed nothing");
        assert_eq!(ours, theirs, "{file} {flags:?}");
    }
}
