//! The crate's top-level modules form no cycle: each module's code (comments left out) names
//! other top-level modules through `crate::NAME` or `super::NAME` paths; those references are
//! the edges, and the graph must be acyclic. Run it with
//! `cargo test -p shared-decode --test module_graph -- --nocapture` to see the layers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Top-level module names referenced by `code` through `crate::` (and, in a top-level
/// module's own root file, `super::`).
fn referenced(code: &str, top: &BTreeSet<String>, root_file: bool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let prefixes: &[&str] = if root_file {
        &["crate::", "super::"]
    } else {
        &["crate::"]
    };
    for line in code.lines() {
        let l = line.trim_start();
        if l.starts_with("//") {
            continue; // doc and plain comments are not dependencies
        }
        for pre in prefixes {
            let mut rest = l;
            while let Some(i) = rest.find(pre) {
                rest = &rest[i + pre.len()..];
                // `crate::{a, b::c}` names several.
                let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                    group
                        .split('}')
                        .next()
                        .unwrap_or("")
                        .split(',')
                        .map(|s| s.trim())
                        .collect()
                } else {
                    vec![rest]
                };
                for n in names {
                    let name: String = n
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if top.contains(&name) {
                        out.insert(name);
                    }
                }
            }
        }
    }
    out
}

#[test]
fn top_level_modules_form_no_cycle() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let top: BTreeSet<String> = lib
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            l.strip_prefix("mod ")?.strip_suffix(';').map(str::to_owned)
        })
        .collect();
    assert!(top.len() >= 10, "modules read from lib.rs: {top:?}");
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in &top {
        let mut files = Vec::new();
        let dir = src.join(m);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        } else {
            files.push(src.join(format!("{m}.rs")));
        }
        let e = edges.entry(m.clone()).or_default();
        for f in files {
            let code = std::fs::read_to_string(&f).unwrap();
            // A top-level module's own file (`x.rs` or `x/mod.rs`): `super::` is the crate.
            let root_file = f == src.join(format!("{m}.rs")) || f == dir.join("mod.rs");
            for r in referenced(&code, &top, root_file) {
                if &r != m {
                    e.insert(r);
                }
            }
        }
    }
    // Layers: repeatedly take the modules whose references are all placed already.
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut layer = 0;
    while placed.len() < top.len() {
        let next: Vec<String> = top
            .iter()
            .filter(|m| !placed.contains(*m))
            .filter(|m| edges[*m].iter().all(|d| placed.contains(d)))
            .cloned()
            .collect();
        if next.is_empty() {
            let rest: Vec<_> = top
                .iter()
                .filter(|m| !placed.contains(*m))
                .map(|m| format!("{m} -> {:?}", edges[m]))
                .collect();
            panic!(
                "a cycle among these top-level modules:\n{}",
                rest.join("\n")
            );
        }
        eprintln!("layer {layer}: {}", next.join(", "));
        placed.extend(next);
        layer += 1;
    }
}
