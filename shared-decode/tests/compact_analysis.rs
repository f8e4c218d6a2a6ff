//! The compact analysis the viewer keeps per packet is lossless: on every packet of every
//! well-formed corpus file, packing and unpacking (with the stream times a holder of the
//! packets' time stamps rebuilds) gives back the analysis the CLI uses.

use shared_decode::flow::CompactAnalysis;
use shared_decode::{Decoder, SliceReader};

#[test]
fn compact_analysis_round_trips_on_the_corpus() {
    let (mut packets, mut rtts, mut in_flight) = (0usize, 0usize, 0usize);
    for path in paircap_tests::well_formed() {
        let bytes = std::fs::read(&path).unwrap();
        let mut d = Decoder::new();
        for r in SliceReader::new(&bytes).flatten() {
            let p = d.decode(&r);
            let a = &p.analysis;
            let (rel, delta) = match (&a.tcp, &a.udp) {
                (Some(t), _) => (t.time_rel_ns, t.time_delta_ns),
                (None, Some(u)) => (u.time_rel_ns, u.time_delta_ns),
                _ => (0, 0),
            };
            if let Some(t) = &a.tcp {
                rtts += usize::from(t.ack_rtt_ns.is_some());
                in_flight += usize::from(t.bytes_in_flight.is_some());
            }
            let back = CompactAnalysis::pack(a).unpack(rel, delta);
            assert_eq!(&back, a, "{}: frame {}", path.display(), p.meta.number);
            packets += 1;
        }
    }
    eprintln!("{packets} packets, {rtts} RTT samples, {in_flight} bytes-in-flight values");
    assert!(packets > 10_000 && rtts > 1000 && in_flight > 1000);
}
