//! Property tests: no input makes the readers or the dissectors panic or loop, and the pcapng
//! writer round-trips exactly (checked with our reader and with `pcap-file` as an oracle).

use proptest::prelude::*;
use shared_decode::dissect::columns;
use shared_decode::dissect::{self, DissectOptions};
use shared_decode::file::pcapng::{
    EpbOptions, InterfaceDescription, PcapngWriter, SectionDescription, StatsOptions,
};
use shared_decode::file::{LinkType, Reader, Record, SliceReader, Timestamp, TsResolution};
use shared_decode::format::{json, tcpdump, tree};
use shared_decode::Decoder;

/// Runs every consumer of a decoded packet.
fn exercise(
    rec: &Record<'_>,
    decoder: &mut Decoder,
    printer: &mut tcpdump::Printer,
    jw: &mut json::JsonWriter,
) {
    let pkt = decoder.decode(rec);
    let mut s = String::new();
    printer.write(&pkt, &mut s);
    jw.write_packet(&pkt, &mut s);
    let mut c = columns::Columns::default();
    columns::columns(&pkt, &mut c);
    let nodes = tree::tree(&pkt);
    for n in nodes {
        assert!(
            n.span.end() as usize <= pkt.data.len() || n.span.len == 0,
            "span outside the frame: {n:?}"
        );
    }
}

fn frame(link: u16, data: &[u8]) -> Record<'_> {
    Record {
        offset: 0,
        block_len: 0,
        interface: 0,
        link_type: LinkType(link),
        ts: Some(Timestamp {
            secs: 1_700_000_000,
            nanos: 5,
        }),
        orig_len: data.len() as u32 + 3,
        data,
        flags: None,
        drop_count: None,
        options: shared_decode::file::Options::EMPTY,
    }
}

/// Bytes that look like the start of real headers often enough to get deep into dissectors.
fn packetish() -> impl Strategy<Value = Vec<u8>> {
    let eth_ip = prop::collection::vec(any::<u8>(), 0..200).prop_map(|mut tail| {
        let mut v = vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45, 0];
        v.append(&mut tail);
        v
    });
    let eth_ip6 = prop::collection::vec(any::<u8>(), 0..200).prop_map(|mut tail| {
        let mut v = vec![
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x86, 0xdd, 0x60, 0, 0, 0,
        ];
        v.append(&mut tail);
        v
    });
    prop_oneof![prop::collection::vec(any::<u8>(), 0..300), eth_ip, eth_ip6]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn dissectors_never_panic(data in packetish(), link in prop::sample::select(vec![0u16, 1, 12, 101, 108, 113, 228, 229, 239, 276, 9999])) {
        let mut d = Decoder::new();
        let mut p = tcpdump::Printer::new(tcpdump::Options { verbose: 2, link: true, dump: tcpdump::Dump::HexAscii { link: true }, ..Default::default() });
        let mut j = json::JsonWriter::new();
        exercise(&frame(link, &data), &mut d, &mut p, &mut j);
        // Lazy dissection stops early without panicking either.
        let _ = dissect::dissect(&frame(link, &data), 1, DissectOptions { max_depth: dissect::Depth::Transport });
    }

    #[test]
    fn file_readers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4000)) {
        let mut errors = 0;
        for r in SliceReader::new(&bytes) {
            if r.is_err() {
                errors += 1;
                prop_assert!(errors < 10_000);
            }
        }
        let mut rd = Reader::new(&bytes[..]);
        let mut n = 0;
        while let Some(r) = rd.next_record() {
            let _ = r;
            n += 1;
            prop_assert!(n < 100_000);
        }
    }

    #[test]
    fn pcap_and_pcapng_prefixes_never_panic(tail in prop::collection::vec(any::<u8>(), 0..3000), ng in any::<bool>()) {
        let mut bytes = if ng {
            // SHB + IDB (Ethernet), then junk.
            let mut v = Vec::new();
            let mut w = PcapngWriter::new(&mut v, &SectionDescription::default()).unwrap();
            w.add_interface(&InterfaceDescription::default()).unwrap();
            v
        } else {
            let mut v = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0];
            v.extend_from_slice(&[0; 8]);
            v
        };
        bytes.extend_from_slice(&tail);
        let mut d = Decoder::new();
        let mut p = tcpdump::Printer::new(tcpdump::Options::default());
        let mut j = json::JsonWriter::new();
        for r in SliceReader::new(&bytes).flatten() {
            exercise(&r, &mut d, &mut p, &mut j);
        }
    }

    #[test]
    fn pcapng_write_read_round_trip(
        pkts in prop::collection::vec((0u32..2, any::<u32>(), 0u32..1_000_000_000, prop::collection::vec(any::<u8>(), 0..200), any::<Option<u32>>(), prop::option::of("[a-z ]{0,20}")), 0..30),
        nano in any::<bool>(),
    ) {
        let res = if nano { TsResolution::NANO } else { TsResolution::MICRO };
        let mut buf = Vec::new();
        let section = SectionDescription {
            hardware: Some("x86_64".into()),
            os: Some("Linux".into()),
            user_appl: Some("paircap test".into()),
            comments: vec!["role=source".into()],
        };
        let mut w = PcapngWriter::new(&mut buf, &section).unwrap();
        let ifaces = [
            InterfaceDescription { name: Some("eth0".into()), filter: Some("tcp port 443".into()), tsresol: res, snaplen: 262_144, ..Default::default() },
            InterfaceDescription { name: Some("lo".into()), link_type: LinkType::NULL, tsresol: TsResolution::MICRO, ..Default::default() },
        ];
        for i in &ifaces {
            w.add_interface(i).unwrap();
        }
        let mut expected = Vec::new();
        for (iface, secs, nanos, data, flags, comment) in &pkts {
            let r = if *iface == 0 { res } else { TsResolution::MICRO };
            let nanos = if r == TsResolution::MICRO { nanos / 1000 * 1000 } else { *nanos };
            let ts = Timestamp { secs: i64::from(*secs), nanos };
            let comments: Vec<&str> = comment.iter().map(|s| s.as_str()).collect();
            w.write_packet(*iface, ts, data.len() as u32 + 7, data, &EpbOptions { flags: *flags, drop_count: None, comments: &comments }).unwrap();
            expected.push((*iface, ts, data.clone(), *flags, comment.clone()));
        }
        w.write_stats(0, Timestamp { secs: 5, nanos: 0 }, &StatsOptions { if_recv: Some(10), if_drop: Some(2), ..Default::default() }).unwrap();
        drop(w);

        let mut r = SliceReader::new(&buf);
        let mut got = Vec::new();
        for rec in r.by_ref() {
            let rec = rec.unwrap();
            got.push((rec.interface, rec.ts.unwrap(), rec.data.to_vec(), rec.flags, rec.comments().next().map(String::from)));
            prop_assert_eq!(rec.orig_len, rec.data.len() as u32 + 7);
        }
        prop_assert_eq!(&got, &expected);
        let info = r.info();
        prop_assert_eq!(info.sections[0].hardware.as_deref(), Some("x86_64"));
        prop_assert_eq!(info.sections[0].comments.clone(), vec!["role=source".to_string()]);
        prop_assert_eq!(info.interfaces[0].filter.as_deref(), Some("tcp port 443"));
        prop_assert_eq!(info.interfaces[1].link(), LinkType::NULL);
        prop_assert_eq!(info.stats[0].if_drop, Some(2));

        // An independent reader agrees on every packet.
        let mut oracle = pcap_file::pcapng::PcapNgReader::new(&buf[..]).unwrap();
        let mut n = 0;
        while let Some(block) = oracle.next_block() {
            if let (pcap_file::pcapng::Block::EnhancedPacket(epb), _) = block.unwrap() {
                let (iface, ts, data, _, _) = &expected[n];
                prop_assert_eq!(epb.interface_id, *iface);
                prop_assert_eq!(&epb.data[..], &data[..]);
                prop_assert_eq!(epb.timestamp.as_secs() as i64, ts.secs);
                prop_assert_eq!(epb.timestamp.subsec_nanos(), ts.nanos);
                n += 1;
            }
        }
        prop_assert_eq!(n, expected.len());
    }
}

#[test]
fn gzip_input_is_read_transparently() {
    use std::io::Write;
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../samples/demo.pcapng"
    ))
    .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bytes).unwrap();
    let compressed = gz.finish().unwrap();
    let plain: Vec<i128> = SliceReader::new(&bytes)
        .map(|r| r.unwrap().ts.unwrap().as_nanos())
        .collect();
    let mut rd = Reader::new(&compressed[..]);
    let mut via_gz = Vec::new();
    while let Some(r) = rd.next_record() {
        via_gz.push(r.unwrap().ts.unwrap().as_nanos());
    }
    assert!(rd.info().gzip);
    assert_eq!(plain, via_gz);
    assert!(!plain.is_empty());
}
