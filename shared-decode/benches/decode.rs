//! Criterion benchmarks of the decode path, per packet, on a generated workload held in
//! memory: walking records, dissecting, flow analysis, and each output format.
//!
//! Input: `$PAIRCAP_BENCH_FILE`, else `../work/w100k.pcap` (made by `bench/read.sh` or
//! `gen_workload.py -n 100000`), else the small `samples/demo.pcapng`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use shared_decode::dissect::columns;
use shared_decode::format::{json, tcpdump};
use shared_decode::{Decoder, SliceReader};
use std::hint::black_box;

fn input() -> Vec<u8> {
    let candidates = [
        std::env::var("PAIRCAP_BENCH_FILE").unwrap_or_default(),
        concat!(env!("CARGO_MANIFEST_DIR"), "/../work/w100k.pcap").to_string(),
        concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/demo.pcapng").to_string(),
    ];
    for c in candidates {
        if !c.is_empty() {
            if let Ok(b) = std::fs::read(&c) {
                eprintln!("benchmark input: {c}");
                return b;
            }
        }
    }
    panic!("no benchmark input");
}

fn benches(c: &mut Criterion) {
    let bytes = input();
    let n = SliceReader::new(&bytes).filter(|r| r.is_ok()).count() as u64;
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(n));
    g.sample_size(10);
    g.bench_function("record_walk", |b| {
        b.iter(|| {
            SliceReader::new(&bytes)
                .filter_map(|r| r.ok())
                .map(|r| r.data.len())
                .sum::<usize>()
        })
    });
    g.bench_function("dissect", |b| {
        b.iter(|| {
            let mut d = Decoder::new().without_flows();
            for r in SliceReader::new(&bytes).flatten() {
                black_box(d.decode(&r).layers.len());
            }
        })
    });
    g.bench_function("dissect_and_flows", |b| {
        b.iter(|| {
            let mut d = Decoder::new();
            for r in SliceReader::new(&bytes).flatten() {
                black_box(d.decode(&r).analysis.tcp.is_some());
            }
        })
    });
    g.bench_function("tcpdump_text", |b| {
        let mut out = String::new();
        b.iter(|| {
            let mut d = Decoder::new().without_flows();
            let mut p = tcpdump::Printer::new(tcpdump::Options::default());
            for r in SliceReader::new(&bytes).flatten() {
                out.clear();
                p.write(&d.decode(&r), &mut out);
            }
        })
    });
    g.bench_function("columns", |b| {
        let mut cols = columns::Columns::default();
        b.iter(|| {
            let mut d = Decoder::new();
            for r in SliceReader::new(&bytes).flatten() {
                columns::columns(&d.decode(&r), &mut cols);
            }
        })
    });
    g.bench_function("json", |b| {
        let mut out = String::new();
        let mut j = json::JsonWriter::new();
        b.iter(|| {
            let mut d = Decoder::new();
            for r in SliceReader::new(&bytes).flatten() {
                out.clear();
                j.write_packet(&d.decode(&r), &mut out);
            }
        })
    });
    g.finish();
}

criterion_group!(decode, benches);
criterion_main!(decode);
