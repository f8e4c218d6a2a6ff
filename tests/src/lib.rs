//! Test support for every crate of the workspace (one copy, no skipping): where the shared
//! corpus is — a missing corpus is an error, never a silently skipped test — which files it
//! holds, where the built `paircap` binary is, and small readers for the reference files.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The shared folder (`../shared` beside the repository, or `$PAIRCAP_SHARED`).
pub fn shared_dir() -> PathBuf {
    let d = std::env::var_os("PAIRCAP_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    assert!(
        d.join("corpus/public/MANIFEST.tsv").exists(),
        "shared corpus not found at {} (set PAIRCAP_SHARED)",
        d.display()
    );
    d
}

/// The public corpus folder.
pub fn corpus_dir() -> PathBuf {
    shared_dir().join("corpus/public")
}

/// The `paircap` binary built in the same target directory as this test.
pub fn paircap() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    // target/<profile>/deps/<test> -> target/<profile>/paircap
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join("paircap");
    assert!(
        bin.exists(),
        "{} not found: build it first (cargo build -p capture-cli)",
        bin.display()
    );
    bin
}

/// A `paircap` command.
pub fn cmd() -> Command {
    Command::new(paircap())
}

/// One row of MANIFEST.tsv.
#[derive(Clone, Debug)]
pub struct ManifestRow {
    /// File name.
    pub file: String,
    /// Packets ("N" or "N before error").
    pub packets: String,
    /// Status (well-formed, malformed-packet, malformed-file, other-format, ...).
    pub status: String,
}

/// The corpus manifest.
pub fn manifest() -> Vec<ManifestRow> {
    manifest_in(&corpus_dir())
}

/// The manifest of a corpus folder laid out like `corpus/public` (`corpus/wireshark`).
pub fn manifest_in(dir: &Path) -> Vec<ManifestRow> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join("MANIFEST.tsv").display()));
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Some(ManifestRow {
                file: c.first()?.to_string(),
                packets: c.get(4)?.to_string(),
                status: c.get(6)?.to_string(),
            })
        })
        .collect()
}

/// The capture files of the public corpus (`.pcap`, `.pcapng`, `.gz`, `.cap`), sorted.
pub fn corpus_files() -> Vec<PathBuf> {
    let dir = corpus_dir();
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().unwrap_or_default().to_string_lossy();
            [".pcap", ".pcapng", ".gz", ".cap"]
                .iter()
                .any(|x| n.ends_with(x))
        })
        .collect();
    v.sort();
    v
}

/// The corpus files the manifest says are well-formed, in manifest order.
pub fn well_formed() -> Vec<PathBuf> {
    let dir = corpus_dir();
    manifest()
        .into_iter()
        .filter(|r| r.status.starts_with("well-formed"))
        .map(|r| dir.join(r.file))
        .collect()
}

/// Reads a gzip file to a string.
pub fn read_gz(path: &Path) -> String {
    use std::io::Read;
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut s = String::new();
    flate2::read::GzDecoder::new(f)
        .read_to_string(&mut s)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    s
}

pub mod lab;
pub mod netns;
