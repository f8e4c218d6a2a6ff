//! Runs a filter through the viewer engine natively and prints matches and timing:
//! `cargo run --release -p viewer-web --example filter_probe -- FILE FILTER`.
use std::time::Instant;
use viewer_web::engine::{decidable_on_snap, Engine, FilterPass};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: filter_probe FILE FILTER");
    let text = args.next().expect("usage: filter_probe FILE FILTER");
    let bytes = std::fs::read(&path).expect("read the file");
    let mut e = Engine::new(&path, bytes.len() as u64);
    e.feed(&bytes, true);
    let whole_file = bytes.len();
    let f = shared_decode::filter::compile(&text).unwrap_or_else(|e| panic!("{}", e.render()));
    let blocks = vec![(0u64, bytes)];
    let t = Instant::now();
    let mut pass = FilterPass::default();
    e.filter_snaps(
        &f,
        decidable_on_snap(&f),
        1,
        e.total() as u32 + 1,
        &mut pass,
    );
    let snap_t = t.elapsed();
    let mut matched = pass.matched;
    e.filter_records(&f, &pass.need_records, &blocks, &mut matched);
    println!(
        "{} of {} packets match `{}` ({}); {} decided on snaps in {:?}, {} read whole; total {:?}",
        matched.len(),
        e.total(),
        text,
        f.display(),
        e.total() - pass.need_records.len(),
        snap_t,
        pass.need_records.len(),
        t.elapsed()
    );
    let _ = whole_file;
}
