//! Replays every fuzz corpus (`fuzz/corpus/<target>/`, grown by `scripts/fuzz.sh` on
//! nightly with cargo-fuzz) through the same target bodies on stable: an input that once
//! crashed a target, or any input the fuzzer kept, stays covered in CI.

#[path = "../../fuzz/targets.rs"]
mod targets;

#[test]
fn every_fuzz_corpus_input_passes_its_target() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut total = 0;
    for (name, run) in targets::TARGETS {
        let dir = root.join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (run scripts/fuzz.sh --seed)", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{}: empty corpus", dir.display());
        for f in &files {
            let data = std::fs::read(f).unwrap();
            let r = std::panic::catch_unwind(|| run(&data));
            assert!(r.is_ok(), "{name}: {} fails", f.display());
        }
        println!("{name}: {} inputs", files.len());
        total += files.len();
    }
    assert!(total > 0);
}

/// Writes the seed corpora from the public corpus and the samples (run once by
/// `scripts/fuzz.sh --seed`; the fuzzer grows them, `cargo fuzz cmin` shrinks them).
#[test]
#[ignore = "writes fuzz/corpus: run by scripts/fuzz.sh --seed"]
fn seed_corpora() {
    use shared_decode::file::SliceReader;
    use std::collections::BTreeSet;
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let put = |target: &str, items: &BTreeSet<Vec<u8>>| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        for (i, x) in items.iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:05}")), x).unwrap();
        }
    };
    const LINKS: &[u16] = &[
        1, 0, 12, 101, 108, 113, 228, 229, 239, 276, 9, 105, 127, 9999,
    ];
    let corpus = paircap_tests::corpus_dir();
    let mut files: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.to_string_lossy();
            n.ends_with(".pcap") || n.ends_with(".pcapng") || n.ends_with(".cap")
        })
        .collect();
    files.sort();
    let (mut read, mut frames, mut pairs) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        // Whole small files, the first 8 KiB of larger ones; chunk size byte first.
        let mut r = vec![(bytes.len() % 97) as u8];
        r.extend_from_slice(&bytes[..bytes.len().min(8192)]);
        read.insert(r);
        // Up to 8 distinct frames per file, by link type.
        let mut n = 0;
        for rec in SliceReader::new(&bytes).filter_map(Result::ok) {
            let Some(li) = LINKS.iter().position(|l| *l == rec.link_type.0) else {
                break;
            };
            let mut fr = vec![li as u8];
            fr.extend_from_slice(&rec.data[..rec.data.len().min(1600)]);
            if frames.insert(fr) {
                n += 1;
            }
            if n >= 8 {
                break;
            }
        }
    }
    // Compare: the sample pair's first packets, interleaved as [side, link, dt, len, bytes].
    let pair = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples/pair");
    for (start, count) in [(0usize, 24usize), (200, 24), (1000, 40)] {
        let mut v = Vec::new();
        for (side, name) in [(0u8, "source.pcapng"), (1u8, "target.pcapng")] {
            let bytes = std::fs::read(pair.join(name)).unwrap();
            for rec in SliceReader::new(&bytes)
                .filter_map(Result::ok)
                .skip(start)
                .take(count)
            {
                let d = &rec.data[..rec.data.len().min(255)];
                v.extend_from_slice(&[side, 0, 3, d.len() as u8]);
                v.extend_from_slice(d);
            }
        }
        pairs.insert(v);
    }
    let filters = [
        "tcp.port == 443 && ip.addr == 10.0.0.0/8",
        "tcp.flags.syn == 1 and not tcp.flags.ack",
        "dns.qry.name contains \"example\"",
        "http.request.method in {\"GET\" \"POST\"}",
        "eth.src[0:3] == 00:1b:21",
        "ip.ttl < 5 || ipv6.hlim < 5",
        "frame.len > 1000 and udp",
        "tcp.analysis.retransmission",
        "tls.handshake.extensions_server_name matches \"^www\\\\.\"",
        "!(arp || icmp) && tcp.stream == 3",
        "ipv6.addr == 2001:db8::/32",
        "udp.port in {53 5353 8000..8080}",
        "tcp[13] & 0x12 == 0x12",
        "dhcp.option.hostname",
        "any ip.addr == 1.2.3.4",
        "paircap.compare.status == \"lost\"",
    ];
    let bpfs = [
        "host 10.0.0.1 and port 22",
        "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
        "src net 192.168.0.0/16 and not dst port 443",
        "ip6 and udp portrange 5000-6000",
        "greater 1000 or less 64",
        "icmp[icmptype] == icmp-echo",
        "ether host 00:11:22:33:44:55",
        "vlan and tcp",
    ];
    let frame0: Vec<u8> = frames.iter().next().cloned().unwrap_or_default();
    let with_frame = |t: &str| {
        let mut v = t.as_bytes().to_vec();
        v.push(0);
        v.extend_from_slice(&frame0);
        v
    };
    let filt: BTreeSet<Vec<u8>> = filters.iter().map(|t| with_frame(t)).collect();
    let bpf: BTreeSet<Vec<u8>> = bpfs.iter().map(|t| with_frame(t)).collect();
    let links: BTreeSet<Vec<u8>> = [
        "v=1&s=demo.pcapng~151016~0d0e2f6fd0e4d0b1c9e8b2d5e3a9f4c6b7a8d9e0f1a2b3c4d5e6f708192a3b4c&f=tcp&p=20~0011223344556677&n=look",
        "v=1&s=a.pcap~10~&t=b.pcap~20~&o=1.5&f=tcp.port%20%3D%3D%20443&tf=abs",
        "v=1&f=",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let heads: BTreeSet<Vec<u8>> = [
        "GET /login?code=0ne71mec0de HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
        "GET /files/0/0/x.pcapng HTTP/1.1\r\nHost: localhost:8080\r\nCookie: paircap_view=5ec7e7c00c1e\r\nSec-Fetch-Site: same-origin\r\n\r\n",
        "HEAD / HTTP/1.1\r\nHost: [::1]:8080\r\nCookie: a=1; paircap_view=5ec7e7c00c1e\r\nOrigin: http://[::1]:8080\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Length: 4\r\n\r\n",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    put("read", &read);
    put("decode", &frames);
    put("anonymize", &frames);
    put("filter", &filt);
    put("bpf", &bpf);
    put("compare", &pairs);
    put("viewlink", &links);
    put("view_request", &heads);
}
