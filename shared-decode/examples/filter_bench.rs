//! Filter throughput: read a capture into memory, then for each filter decode every packet
//! as deep as the filter needs (flow analysis only when it needs it) and count matches.
//!
//! ```text
//! cargo run --release -p shared-decode --example filter_bench -- work/w1m.pcap \
//!     'tcp.port == 443' 'ip.addr == 10.1.1.19' 'dns.qry.name contains "example"'
//! ```
//! With no filters, a default set is measured. Each line shows the filter, the depth it
//! needs, matches, wall time of the best of three runs and ns per packet, next to the time
//! of decoding alone at the same depth (so the filter's own cost is the difference).

use shared_decode::dissect::DissectOptions;
use shared_decode::{filter, Decoder, SliceReader};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn best_of<F: FnMut() -> usize>(runs: usize, mut f: F) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut out = 0;
    for _ in 0..runs {
        let t = Instant::now();
        out = f();
        best = best.min(t.elapsed());
    }
    (best, out)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| {
        eprintln!("usage: filter_bench FILE [FILTER...]");
        std::process::exit(2)
    });
    let mut filters: Vec<String> = args.collect();
    if filters.is_empty() {
        filters = [
            "tcp.port == 443",
            "ip.addr == 10.1.1.19",
            "dns.qry.name contains \"example\"",
            "tcp.flags.syn == 1 && tcp.flags.ack == 0",
            "host 10.1.1.19 and port 443",
            "tcp[tcpflags] & tcp-syn != 0",
            "ipv6.addr == 2001:db8::/32 || ip.src == 10.0.0.0/8",
            "frame.len > 1000",
            "tcp.analysis.retransmission",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
    }
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1)
    });
    let packets = SliceReader::new(&bytes).filter(|r| r.is_ok()).count();
    println!("{path}: {packets} packets, {} bytes", bytes.len());
    println!(
        "{:<58} {:>9} {:>9} {:>9} {:>8} {:>10}",
        "filter", "depth", "matches", "time", "ns/pkt", "decode-only"
    );
    for text in &filters {
        let f = match filter::compile(text) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{}", e.render());
                continue;
            }
        };
        let opts = DissectOptions {
            max_depth: f.depth(),
        };
        let decoder = || {
            let d = Decoder::with_options(opts);
            if f.needs_flows() {
                d
            } else {
                d.without_flows()
            }
        };
        let (t, n) = best_of(3, || {
            let mut d = decoder();
            let mut n = 0usize;
            for r in SliceReader::new(&bytes).flatten() {
                n += usize::from(f.matches(&d.decode(&r)));
            }
            n
        });
        let (base, _) = best_of(3, || {
            let mut d = decoder();
            let mut n = 0usize;
            for r in SliceReader::new(&bytes).flatten() {
                n += black_box(d.decode(&r)).layers.len();
            }
            n
        });
        let label = if f.translated_from_bpf() {
            format!("{text}  [bpf]")
        } else {
            text.clone()
        };
        println!(
            "{:<58} {:>9} {:>9} {:>8.3}s {:>8.1} {:>9.3}s",
            label,
            format!("{:?}", f.depth()),
            n,
            t.as_secs_f64(),
            t.as_nanos() as f64 / packets.max(1) as f64,
            base.as_secs_f64()
        );
    }
}
