//! The viewer's engine against the CLI's decode path, on every corpus file: fed in chunks of
//! many sizes (records straddle chunk boundaries at every possible byte), it indexes the same
//! packets, keeps every packet the file reader keeps, reports the same damage, and its rows,
//! details and filters equal what `paircap read` computes from the same bytes.

use shared_decode::dissect::columns;
use shared_decode::dissect::DissectOptions;
use shared_decode::file::{Reader, SliceReader};
use shared_decode::{filter, Decoder};
use std::path::PathBuf;
use viewer_web::engine::{decidable_on_snap, Engine, FilterPass};
use viewer_web::proto::{Column, TimeFormat};

use paircap_tests::{corpus_dir, corpus_files};

/// Feeds `bytes` in chunks whose sizes cycle through `sizes`.
fn index(name: &str, bytes: &[u8], sizes: &[usize]) -> Engine {
    let mut e = Engine::new(name, bytes.len() as u64);
    let mut at = 0;
    let mut i = 0;
    while at < bytes.len() && !e.is_done() {
        let n = sizes[i % sizes.len()].max(1).min(bytes.len() - at);
        i += 1;
        e.feed(&bytes[at..at + n], at + n == bytes.len());
        at += n;
    }
    if bytes.is_empty() {
        e.feed(&[], true);
    }
    assert!(e.is_done(), "{name}: not done after the last chunk");
    e
}

/// The whole file as blocks the engine reads records from.
fn whole(bytes: &[u8]) -> Vec<(u64, Vec<u8>)> {
    vec![(0, bytes.to_vec())]
}

/// What the CLI path gives: per packet (offset, source, destination, protocol, info).
fn cli_columns(bytes: &[u8]) -> (Vec<(String, String, String, String)>, usize) {
    let mut out = Vec::new();
    let mut errors = 0;
    let mut dec = Decoder::new();
    let mut cols = columns::Columns::default();
    let mut r = Reader::new(bytes);
    while let Some(x) = r.next_record() {
        match x {
            Ok(rec) => {
                let pkt = dec.decode(&rec);
                columns::columns(&pkt, &mut cols);
                out.push((
                    cols.source.clone(),
                    cols.destination.clone(),
                    cols.protocol.clone(),
                    cols.info.clone(),
                ));
            }
            Err(_) => errors += 1,
        }
    }
    (out, errors)
}

#[test]
fn every_corpus_file_indexes_like_the_reader_in_any_chunking() {
    let mut checked = 0;
    for path in corpus_files() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let (cli, cli_errors) = cli_columns(&bytes);
        // Whole file at once, then awkward chunkings.
        for sizes in [
            vec![bytes.len().max(1)],
            vec![1, 2, 3, 5, 7, 11, 13],
            vec![4096],
            vec![100, 33, 1500, 17],
        ] {
            let e = index(&name, &bytes, &sizes);
            assert_eq!(
                e.total(),
                cli.len(),
                "{name} chunks {sizes:?}: packet count"
            );
            assert_eq!(
                e.problems().is_empty(),
                cli_errors == 0,
                "{name} chunks {sizes:?}: problems {:?}",
                e.problems()
            );
            if sizes.len() > 1 || sizes[0] == 4096 {
                continue;
            }
            let blocks = if e.in_memory() {
                Vec::new()
            } else {
                whole(&bytes)
            };
            let rows = e.rows(0, e.total(), &blocks, TimeFormat::Relative);
            assert_eq!(rows.len(), cli.len(), "{name}: rows");
            for (row, (src, dst, proto, info)) in rows.iter().zip(&cli) {
                assert_eq!(
                    (&row.source, &row.destination, &row.protocol, &row.info),
                    (src, dst, proto, info),
                    "{name}: frame {}",
                    row.number
                );
            }
        }
        checked += 1;
    }
    assert!(checked > 250, "only {checked} corpus files");
}

#[test]
fn gzip_input_is_read_in_memory_and_matches_the_plain_file() {
    use std::io::Write;
    let plain: Vec<PathBuf> = corpus_files()
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains("derived__"))
        .take(40)
        .collect();
    for path in plain {
        let raw = std::fs::read(&path).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&raw).unwrap();
        let bytes = gz.finish().unwrap();
        let e = index("x.gz", &bytes, &[777]);
        assert!(e.in_memory());
        let (cli, _) = cli_columns(&bytes);
        assert_eq!(e.total(), cli.len(), "{}", path.display());
        assert!(e.summary().gzip);
        let rows = e.rows(0, e.total(), &[], TimeFormat::Absolute);
        assert_eq!(rows.len(), cli.len());
    }
}

#[test]
fn malformed_files_keep_every_readable_packet_and_say_where() {
    let mut seen = 0;
    for path in corpus_files() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("derived__") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let reader_ok = SliceReader::new(&bytes).filter(|r| r.is_ok()).count();
        let e = index(&name, &bytes, &[64]);
        assert_eq!(e.total(), reader_ok, "{name}");
        let s = e.summary();
        if !e.problems().is_empty() {
            assert!(
                s.problems.iter().all(|p| p.contains("offset")),
                "{name}: {:?}",
                s.problems
            );
            seen += 1;
        }
    }
    assert!(seen >= 3, "only {seen} damaged files reported problems");
}

#[test]
fn details_cover_the_packet_bytes_and_carry_filter_names() {
    let path = corpus_files()
        .into_iter()
        .find(|p| p.to_string_lossy().contains("dns"))
        .expect("a DNS capture");
    let bytes = std::fs::read(&path).unwrap();
    let e = index("dns", &bytes, &[1 << 20]);
    let blocks = if e.in_memory() {
        Vec::new()
    } else {
        whole(&bytes)
    };
    let d = e.details(1, &blocks).unwrap();
    assert_eq!(d.frame, 1);
    assert!(!d.bytes.is_empty());
    assert!(d
        .nodes
        .iter()
        .any(|n| n.depth == 0 && n.label.starts_with("Frame 1")));
    for n in &d.nodes {
        assert!(
            (n.start + n.len) as usize <= d.bytes.len() || n.len == 0,
            "{n:?} past the bytes"
        );
    }
    assert!(d
        .nodes
        .iter()
        .any(|n| n.field.as_deref() == Some("ipv6.src")
            && n.filter
                .as_deref()
                .is_some_and(|f| f.starts_with("ipv6.src == "))));
    assert!(d
        .nodes
        .iter()
        .any(|n| n.field.as_deref() == Some("dns.qry.name")));
}

/// Filters in the engine (snaps, records read on demand) give what the CLI path gives
/// (decode every record fully, then filter).
#[test]
fn filters_on_snaps_equal_filters_on_full_records() {
    let filters = [
        "tcp",
        "udp.port == 53",
        "ip.addr == 10.0.0.0/8",
        "tcp.flags.syn == 1 && tcp.flags.ack == 0",
        "dns.qry.name contains \"a\"",
        "http.request",
        "frame.len > 100",
        "tcp.analysis.retransmission",
        // Kept losslessly by the compact analysis (the RTT rebuilt from acks_frame's time).
        "tcp.analysis.ack_rtt > 0.001",
        "tcp.analysis.bytes_in_flight > 1000",
        // Table-declared protocols (and a tls.* field QUIC emits).
        "ssh || ntp || dhcpv6 || sctp || quic || http2",
        "tls.handshake.extensions_server_name",
        "host 192.168.1.1 or port 80",
        "ipv6",
        "tcp.payload",
        "tcp.checksum.status == \"Bad\"",
    ];
    let compiled: Vec<_> = filters
        .iter()
        .map(|t| filter::compile(t).unwrap_or_else(|e| panic!("{t}: {}", e.render())))
        .collect();
    let mut compared = 0usize;
    for path in corpus_files()
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains("derived__"))
    {
        let bytes = std::fs::read(&path).unwrap();
        let e = index("f", &bytes, &[1 << 16]);
        if e.in_memory() || e.total() == 0 {
            continue;
        }
        let blocks = whole(&bytes);
        for (text, f) in filters.iter().zip(&compiled) {
            // Reference: every record decoded fully with flows, like `paircap read -Y`.
            let mut want = Vec::new();
            let mut dec = Decoder::new();
            for (i, r) in SliceReader::new(&bytes).filter_map(Result::ok).enumerate() {
                if f.matches(&dec.decode(&r)) {
                    want.push(i as u32 + 1);
                }
            }
            let mut pass = FilterPass::default();
            e.filter_snaps(f, decidable_on_snap(f), 1, e.total() as u32 + 1, &mut pass);
            let mut got = pass.matched;
            e.filter_records(f, &pass.need_records, &blocks, &mut got);
            got.sort_unstable();
            assert_eq!(got, want, "{}: {text}", path.display());
            compared += 1;
        }
    }
    assert!(compared > 1000, "only {compared} comparisons");
}

#[test]
fn sorting_orders_the_view_and_keeps_every_frame() {
    let path = corpus_files()
        .into_iter()
        .find(|p| p.to_string_lossy().contains("http"))
        .expect("an HTTP capture");
    let bytes = std::fs::read(&path).unwrap();
    let mut e = index("s", &bytes, &[1 << 20]);
    let n = e.total();
    e.sort(Column::Length, false);
    let v = e.view().unwrap().to_vec();
    assert_eq!(v.len(), n);
    let blocks = whole(&bytes);
    let rows = e.rows(0, n, &blocks, TimeFormat::Relative);
    assert!(rows.windows(2).all(|w| w[0].length >= w[1].length));
    e.sort(Column::Number, true);
    assert!(e.view().is_none());
    assert_eq!(e.position_of(3), Some(2));
    e.sort(Column::Source, true);
    assert_eq!(e.displayed(), n);
    let _ = DissectOptions::default();
}

/// A scan over a file streamed in slices cuts out exactly the records random reads give.
#[test]
fn record_scan_cuts_records_across_slices() {
    use viewer_web::engine::RecordScan;
    let mut scanned = 0;
    for path in corpus_files()
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains("derived__"))
        .take(60)
    {
        let bytes = std::fs::read(&path).unwrap();
        let e = index("s", &bytes, &[1 << 20]);
        if e.in_memory() || e.total() < 3 {
            continue;
        }
        let whole = whole(&bytes);
        for (step, slice) in [(1usize, 7usize), (3, 100), (2, 4096)] {
            let frames: Vec<u32> = (1..=e.total() as u32).step_by(step).collect();
            let mut scan = RecordScan::new(frames.clone());
            let mut got = Vec::new();
            for (i, c) in bytes.chunks(slice).enumerate() {
                scan.feed(&e, (i * slice) as u64, c, |f, rec| {
                    got.push((f, rec.to_vec()))
                });
            }
            assert!(scan.done(), "{}: scan not done", path.display());
            let want: Vec<(u32, Vec<u8>)> = frames
                .iter()
                .map(|&f| (f, e.record_bytes(f, &whole).unwrap().to_vec()))
                .collect();
            assert_eq!(got, want, "{} step {step} slice {slice}", path.display());
            scanned += 1;
        }
    }
    assert!(scanned > 50);
}

/// A set of files fed one after another (`set_files`, `next_file`), in awkward chunkings: a
/// pcap, a pcap cut inside a record, a pcapng, a Linux-cooked pcap. Every readable packet of
/// each is indexed, the cut says where (in which file), rows equal the CLI's per file, and
/// each further file's first packet is marked.
#[test]
fn a_set_of_files_reads_one_after_another() {
    let dir = corpus_dir();
    let mut cut = std::fs::read(dir.join("zeek__tcp_timestamp.pcap")).unwrap();
    cut.truncate(cut.len() - 10);
    let files: Vec<(String, Vec<u8>)> = vec![
        (
            "a.pcap".into(),
            std::fs::read(dir.join("pcpp__TwoHttpRequests.pcap")).unwrap(),
        ),
        ("cut.pcap".into(), cut),
        (
            "c.pcapng".into(),
            std::fs::read(dir.join("pcap-parser__wireshark_samples-test.pcapng")).unwrap(),
        ),
        (
            "d.pcap".into(),
            std::fs::read(dir.join("pcpp__sll.pcap")).unwrap(),
        ),
    ];
    let cli: Vec<_> = files.iter().map(|(_, b)| cli_columns(b).0).collect();
    let all: Vec<u8> = files.iter().flat_map(|(_, b)| b.clone()).collect();
    for sizes in [vec![1usize << 20], vec![1, 7, 100, 1500], vec![4096]] {
        let mut e = Engine::new("set", all.len() as u64);
        e.set_files(
            &files
                .iter()
                .map(|(n, b)| (n.clone(), b.len() as u64))
                .collect::<Vec<_>>(),
        );
        for (k, (_, bytes)) in files.iter().enumerate() {
            if k > 0 {
                e.next_file();
            }
            let (mut at, mut i) = (0, 0);
            while at < bytes.len() {
                let n = sizes[i % sizes.len()].max(1).min(bytes.len() - at);
                i += 1;
                e.feed(&bytes[at..at + n], at + n == bytes.len());
                at += n;
            }
        }
        assert!(e.is_done(), "{sizes:?}");
        let want: usize = cli.iter().map(Vec::len).sum();
        assert_eq!(e.total(), want, "{sizes:?}");
        // The cut file's damage is reported in its own terms.
        let s = e.summary();
        assert_eq!(s.problems.len(), 1, "{:?}", s.problems);
        assert!(
            s.problems[0].starts_with("cut.pcap (offset "),
            "{:?}",
            s.problems
        );
        let rows = e.rows(0, e.total(), &[(0, all.clone())], TimeFormat::Relative);
        let flat: Vec<_> = cli.iter().flatten().collect();
        for (row, (src, dst, proto, info)) in rows.iter().zip(flat) {
            assert_eq!(
                (&row.source, &row.destination, &row.protocol, &row.info),
                (src, dst, proto, info),
                "frame {}",
                row.number
            );
        }
        let mut first = 1u32;
        for (k, (name, _)) in files.iter().enumerate() {
            let mark = e.file_starting_at(first).map(str::to_string);
            assert_eq!(mark, (k > 0).then(|| name.clone()), "file {k}");
            assert_eq!(s.files[k].1, first, "file {k}");
            first += cli[k].len() as u32;
        }
        assert_eq!(
            rows.iter().filter(|r| r.file_start.is_some()).count(),
            files.len() - 1
        );
        // The compare sees each file (a missing one would be a gap).
        let blocks = [(0u64, all.clone())];
        let keys: Vec<_> = (1..=e.total() as u32)
            .map(|f| e.key_of(f, e.record_bytes(f, &blocks).unwrap_or(&[])))
            .collect();
        let info = e.side_info(&keys);
        assert_eq!(info.files.len(), files.len());
        assert_eq!(
            info.files.iter().map(|f| f.packets).collect::<Vec<_>>(),
            cli.iter().map(|c| c.len() as u64).collect::<Vec<_>>()
        );
    }
}

/// 15M empty records would exhaust a tab's 4 GiB: the index stops at its budget, keeps what
/// it indexed and says where it stopped (here with a budget of 100 packets).
#[test]
fn index_stops_at_its_memory_budget_with_a_message() {
    // 1,000 empty pcap records.
    let mut b = Vec::new();
    b.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    b.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(&65535u32.to_le_bytes());
    b.extend_from_slice(&1u32.to_le_bytes());
    for i in 0..1000u32 {
        b.extend_from_slice(&i.to_le_bytes());
        b.extend_from_slice(&[0; 12]);
    }
    let mut e = Engine::new("empty.pcap", b.len() as u64);
    let per = {
        let mut probe = Engine::new("probe", b.len() as u64);
        probe.set_budget(1 << 30);
        (1usize << 30) / probe.packet_budget()
    };
    e.set_budget(per * 100 + per / 2);
    assert_eq!(e.packet_budget(), 100);
    e.feed(&b, true);
    assert!(e.is_done());
    assert_eq!(e.total(), 100);
    let p = e.problems().last().expect("a message");
    assert!(
        p.message.starts_with("stopped after 100 packets"),
        "{}",
        p.message
    );
    assert_eq!(
        p.offset,
        24 + 100 * 16,
        "offset of the first packet not indexed"
    );
}
