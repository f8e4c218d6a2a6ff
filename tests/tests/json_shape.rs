//! The JSON output's shape on every corpus file: one object per packet whose values are
//! scalars or flat arrays of scalars (a field repeated anywhere in a packet is one array).
//! A writer bug once nested arrays when a repeated field came back after another repeated
//! field (DNS answers, HTTP/2 headers); tshark's `-T ek` and scripts expect flat values.

use paircap_tests::{cmd, corpus_dir, manifest};
use serde_json::Value as J;

#[test]
fn json_values_are_scalars_or_flat_arrays() {
    let mut files = 0;
    let mut arrays = 0usize;
    for row in manifest() {
        if !row.status.starts_with("well-formed") {
            continue;
        }
        let out = cmd()
            .args(["read", "--format", "json"])
            .arg(corpus_dir().join(&row.file))
            .output()
            .unwrap();
        if !out.status.success() {
            continue; // other tests own read failures
        }
        files += 1;
        for (i, line) in String::from_utf8_lossy(&out.stdout).lines().enumerate() {
            let obj: serde_json::Map<String, J> = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{} packet {}: {e}", row.file, i + 1));
            for (k, v) in &obj {
                if let J::Array(a) = v {
                    arrays += 1;
                    assert!(
                        a.iter().all(|x| !x.is_array() && !x.is_object()),
                        "{} packet {}: {k} is nested: {v}",
                        row.file,
                        i + 1
                    );
                }
                assert!(
                    !v.is_object(),
                    "{} packet {}: {k} is an object",
                    row.file,
                    i + 1
                );
            }
        }
    }
    assert!(
        files > 50 && arrays > 1000,
        "{files} files, {arrays} arrays"
    );
}
