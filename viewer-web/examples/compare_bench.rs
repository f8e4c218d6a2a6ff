//! Times the viewer's compare path natively (the worker runs the same code in wasm):
//! index both files, read every packet's compare key, compare, build the aligned view.
//! `cargo run --release -p viewer-web --example compare_bench -- SRC DST`
use std::time::Instant;
use viewer_web::engine::Engine;

fn index(path: &str) -> (Engine, Vec<u8>) {
    let bytes = std::fs::read(path).expect("read");
    let mut e = Engine::new(path, bytes.len() as u64);
    for (i, c) in bytes.chunks(32 << 20).enumerate() {
        e.feed(c, (i + 1) * (32 << 20) >= bytes.len());
    }
    (e, bytes)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let t = Instant::now();
    let (se, sb) = index(&args[0]);
    let (de, db) = index(&args[1]);
    println!("index both: {:.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let mut keys = [Vec::new(), Vec::new()];
    for (k, (e, b)) in keys.iter_mut().zip([(&se, &sb), (&de, &db)]) {
        let frames: Vec<u32> = (1..=e.total() as u32).collect();
        let blocks = vec![(0u64, b.clone())];
        e.fingerprints(&frames, &blocks, k);
    }
    println!("keys: {:.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    use shared_decode::compare::{compare, Options, SideInfo};
    let si = SideInfo::new("s", &keys[0], Some(se.info()));
    let di = SideInfo::new("d", &keys[1], Some(de.info()));
    let r = compare(&keys[0], &keys[1], &si, &di, &Options::default());
    println!(
        "compare: {:.3} s (lost {}, matched {})",
        t.elapsed().as_secs_f64(),
        r.counts.lost,
        r.counts.matched
    );
    let t = Instant::now();
    let a = viewer_web::pair::align(
        &r,
        |f| se.ts_of(f).unwrap_or(0),
        |f| de.ts_of(f).unwrap_or(0),
    );
    let _s = viewer_web::pair::summarize(&r, |f| se.ts_of(f).unwrap_or(0), 0);
    println!(
        "view: {:.3} s ({} rows)",
        t.elapsed().as_secs_f64(),
        a.len()
    );
}
