//! Times the viewer engine's index pass natively (the worker runs the same code in wasm):
//! `cargo run --release -p viewer-web --example index_bench -- FILE [CHUNK_MIB]`.
use std::time::Instant;
use viewer_web::engine::Engine;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: index_bench FILE [CHUNK_MIB]");
    let chunk = args
        .next()
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or(16)
        << 20;
    let bytes = std::fs::read(&path).expect("read the file");
    for run in 0..3 {
        let t = Instant::now();
        let mut e = Engine::new(&path, bytes.len() as u64);
        for (i, c) in bytes.chunks(chunk).enumerate() {
            e.feed(c, (i + 1) * chunk >= bytes.len());
        }
        let dt = t.elapsed().as_secs_f64();
        println!(
            "run {run}: {} packets in {:.3} s ({:.2} M packets/s, {:.0} MB/s), index heap {:.0} MiB",
            e.total(),
            dt,
            e.total() as f64 / dt / 1e6,
            bytes.len() as f64 / dt / 1e6,
            e.heap_bytes() as f64 / 1048576.0
        );
    }
}
