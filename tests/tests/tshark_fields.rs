//! Differential test against tshark: for every well-formed corpus file, `paircap read F
//! --format json` must agree with tshark's reference decode (`tshark-fields/F.tsv.gz`, made by
//! tshark 4.0.17) on the reference's field list. Every mismatch must be covered by a rule in
//! `tests/tshark-differences.tsv` (with its reason), and at least 99.5% of (packet, field)
//! pairs must agree. The two display columns (Protocol, Info) are measured separately.

use paircap_tests::{cmd, corpus_dir, manifest_in, read_gz, shared_dir};
use serde_json::Value as J;
use shared_decode::field::{Base, FieldType};
use std::collections::BTreeMap;

struct Rule {
    file: String,
    field: String,
    reason: String,
}

fn rules() -> Vec<Rule> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tshark-differences.tsv"
    ))
    .expect("tests/tshark-differences.tsv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.splitn(3, '\t').collect();
            assert!(
                c.len() == 3 && !c[2].trim().is_empty(),
                "rule without a reason: {l}"
            );
            Rule {
                file: c[0].into(),
                field: c[1].into(),
                reason: c[2].into(),
            }
        })
        .collect()
}

fn glob(pat: &str, s: &str) -> bool {
    match pat.split_once('*') {
        None => pat == s,
        Some((a, b)) => s.len() >= a.len() + b.len() && s.starts_with(a) && s.ends_with(b),
    }
}

/// Our JSON value in tshark's `-T fields` text form.
fn as_tshark(name: &str, v: Option<&J>) -> String {
    let Some(v) = v else { return String::new() };
    let def = shared_decode::schema().get(name);
    let one = |x: &J| -> String {
        match x {
            J::Bool(b) => if *b { "1" } else { "0" }.to_string(),
            J::Number(n) => {
                let u = n.as_u64();
                match (def.map(|d| (d.base, d.ftype)), u) {
                    (Some((Base::Hex | Base::HexDec, FieldType::UInt(bits))), Some(u)) => {
                        format!("0x{:0w$x}", u, w = usize::from(bits).div_ceil(4))
                    }
                    _ => n.to_string(),
                }
            }
            J::String(s) => s.clone(),
            other => other.to_string(),
        }
    };
    match v {
        J::Array(a) => a.iter().map(one).collect::<Vec<_>>().join(","),
        x => one(x),
    }
}

fn presence_only(name: &str) -> bool {
    shared_decode::schema()
        .get(name)
        .is_some_and(|d| d.ftype == FieldType::None)
}

#[derive(Default)]
struct Tally {
    pairs: u64,
    agree: u64,
}

#[test]
fn json_agrees_with_tshark_on_reference_fields() {
    compare_folder(&corpus_dir(), 280, 0.995);
}

/// Wireshark's own test captures (`corpus/wireshark`): the same comparison; every
/// difference must be explained too (key logs tshark applies, link types paircap does not
/// decode, reassembly).
#[test]
fn json_agrees_with_tshark_on_wiresharks_captures() {
    compare_folder(&shared_dir().join("corpus/wireshark"), 25, 0.99);
}

fn compare_folder(dir: &std::path::Path, min_files: usize, min_agree: f64) {
    let rules = rules();
    let mut by_field: BTreeMap<String, Tally> = BTreeMap::new();
    let mut cols: BTreeMap<String, Tally> = BTreeMap::new();
    let mut unexplained: Vec<String> = Vec::new();
    let mut rule_hits: BTreeMap<usize, u64> = BTreeMap::new();
    let mut files = 0;
    for row in manifest_in(dir) {
        if !row.status.starts_with("well-formed") {
            continue;
        }
        let tsv = dir
            .join("tshark-fields")
            .join(format!("{}.tsv.gz", row.file));
        if !tsv.exists() {
            continue;
        }
        files += 1;
        let text = read_gz(&tsv);
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
        let proto_col = header
            .iter()
            .position(|h| *h == "_ws.col.Protocol")
            .unwrap();
        // tshark shows pcapng custom blocks as frames; they are not packets.
        let trows: Vec<Vec<&str>> = lines
            .map(|l| l.split('\t').collect::<Vec<_>>())
            .filter(|r| r.get(proto_col) != Some(&"PCAPNG"))
            .collect();
        let out = cmd()
            .args(["read", "--format", "json"])
            .arg(dir.join(&row.file))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            row.file,
            String::from_utf8_lossy(&out.stderr)
        );
        let ours: Vec<serde_json::Map<String, J>> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("{}: bad JSON {e}: {l}", row.file))
            })
            .collect();
        assert_eq!(ours.len(), trows.len(), "{}: packet count", row.file);
        for (i, (t, o)) in trows.iter().zip(&ours).enumerate() {
            for (j, name) in header.iter().enumerate() {
                let tv = t.get(j).copied().unwrap_or("");
                let ov = if *name == "frame.number" {
                    (i + 1).to_string()
                } else if name.starts_with("_ws.col.") {
                    continue;
                } else {
                    as_tshark(name, o.get(*name))
                };
                let ok = if presence_only(name) {
                    tv.is_empty() == ov.is_empty()
                } else {
                    tv == ov
                };
                let tally = by_field.entry(name.to_string()).or_default();
                tally.pairs += 1;
                if ok {
                    tally.agree += 1;
                    continue;
                }
                match rules
                    .iter()
                    .position(|r| glob(&r.file, &row.file) && glob(&r.field, name))
                {
                    Some(k) => *rule_hits.entry(k).or_default() += 1,
                    None => unexplained.push(format!(
                        "{} frame {}: {name}: tshark {tv:?} paircap {ov:?}",
                        row.file,
                        i + 1
                    )),
                }
            }
        }
        // Display columns, measured separately.
        let cout = cmd()
            .args([
                "read",
                "--format",
                "fields",
                "-E",
                "_ws.col.Protocol",
                "-E",
                "_ws.col.Info",
            ])
            .arg(dir.join(&row.file))
            .output()
            .unwrap();
        let ctext = String::from_utf8_lossy(&cout.stdout).to_string();
        let info_col = header.iter().position(|h| *h == "_ws.col.Info").unwrap();
        for (t, l) in trows.iter().zip(ctext.lines().skip(1)) {
            let mut it = l.splitn(2, '\t');
            let (p, info) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
            for (name, tv, ov) in [
                ("_ws.col.Protocol", t[proto_col], p),
                ("_ws.col.Info", t[info_col], info),
            ] {
                let c = cols.entry(name.to_string()).or_default();
                c.pairs += 1;
                if tv == ov {
                    c.agree += 1;
                }
            }
        }
    }
    let (pairs, agree) = by_field
        .values()
        .fold((0, 0), |(p, a), t| (p + t.pairs, a + t.agree));
    eprintln!(
        "files {files}, (packet, field) pairs {pairs}, agree {agree} ({:.3}%)",
        100.0 * agree as f64 / pairs as f64
    );
    for (f, t) in &by_field {
        if t.agree < t.pairs {
            eprintln!(
                "  {f:40} {:>7}/{:<7} {:.2}%",
                t.agree,
                t.pairs,
                100.0 * t.agree as f64 / t.pairs as f64
            );
        }
    }
    for (f, t) in &cols {
        eprintln!(
            "  column {f:33} {:>7}/{:<7} {:.2}%",
            t.agree,
            t.pairs,
            100.0 * t.agree as f64 / t.pairs as f64
        );
    }
    for (k, n) in &rule_hits {
        eprintln!(
            "  accepted ({n:>5}): {} {} — {}",
            rules[*k].file, rules[*k].field, rules[*k].reason
        );
    }
    for u in unexplained.iter().take(usize::MAX) {
        eprintln!("UNEXPLAINED {u}");
    }
    assert!(files > min_files, "only {files} files compared");
    assert!(
        unexplained.is_empty(),
        "{} unexplained differences (first ones above)",
        unexplained.len()
    );
    assert!(
        agree as f64 >= min_agree * pairs as f64,
        "agreement {agree}/{pairs} below {:.1}%",
        min_agree * 100.0
    );
}
