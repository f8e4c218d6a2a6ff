//! Every capture in `../shared/corpus/public` reads with the packet count tshark reports
//! (MANIFEST.tsv); malformed files give an error with an offset and keep what could be read.

use shared_decode::file::{FileError, Reader, SliceReader};

use paircap_tests::{corpus_dir, manifest};

fn read_all(path: &std::path::Path) -> (u64, Vec<FileError>) {
    let f = std::fs::File::open(path).unwrap();
    let mut r = Reader::new(std::io::BufReader::new(f));
    let (mut n, mut errs) = (0, Vec::new());
    while let Some(x) = r.next_record() {
        match x {
            Ok(_) => n += 1,
            Err(e) => errs.push(e),
        }
        assert!(errs.len() < 1000, "error loop in {}", path.display());
    }
    (n, errs)
}

#[test]
fn well_formed_files_have_tshark_packet_counts() {
    let dir = corpus_dir();
    let mut checked = 0;
    let mut failures = Vec::new();
    for row in manifest() {
        if !row.status.starts_with("well-formed") && row.status != "malformed-packet" {
            continue;
        }
        let (n, errs) = read_all(&dir.join(&row.file));
        let want: u64 = row.packets.parse().unwrap();
        if n != want || !errs.is_empty() {
            failures.push(format!(
                "{}: {n} packets (want {want}), errors {errs:?}",
                row.file
            ));
        }
        // The zero-copy slice reader agrees with the streaming reader.
        let bytes = std::fs::read(dir.join(&row.file)).unwrap();
        if !bytes.starts_with(&[0x1f, 0x8b]) {
            let m = SliceReader::new(&bytes).filter(|r| r.is_ok()).count() as u64;
            assert_eq!(m, n, "{}", row.file);
        }
        checked += 1;
    }
    assert!(checked > 300, "only {checked} files checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn malformed_files_report_an_offset_and_keep_readable_packets() {
    let dir = corpus_dir();
    for row in manifest() {
        if row.status != "malformed-file" && row.status != "other-format" {
            continue;
        }
        let (n, errs) = read_all(&dir.join(&row.file));
        assert!(!errs.is_empty(), "{}: no error reported", row.file);
        if let Some(before) = row.packets.strip_suffix(" before error") {
            let before: u64 = before.parse().unwrap();
            assert!(
                n >= before,
                "{}: {n} packets, tshark read {before}",
                row.file
            );
        }
        for e in &errs {
            assert!(e.to_string().contains("offset"), "{e}");
        }
        eprintln!(
            "{}: {n} packets, {:?}",
            row.file,
            errs.iter().map(|e| e.to_string()).collect::<Vec<_>>()
        );
    }
}
