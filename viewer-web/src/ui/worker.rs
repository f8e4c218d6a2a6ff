//! The Web Worker: owns the [`Engine`], reads the `File` in slices (never whole), and answers
//! the page. Every request is async so row and detail requests are answered while a big
//! file is still indexing or a filter is running.

use super::wire;
use crate::engine::{decidable_on_snap, Engine, FilterPass};
use crate::proto::{Column, FilterProblem, FromWorker, Side, ToWorker, VERSION};
use sha2::{Digest, Sha256};
use shared_decode::dissect::DissectOptions;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{Blob, DedicatedWorkerGlobalScope, File, MessageEvent};

/// Bytes read from the head of each file of a set to find its first packet's time.
const HEAD: u64 = 1 << 20;

/// Bytes read per slice while indexing (the first slice is small so rows show at once).
const CHUNK: u64 = 32 << 20;
const FIRST_CHUNK: u64 = 1 << 20;
/// Slice reads in flight while indexing.
const READ_AHEAD: usize = 4;
/// Frames a filter pass evaluates before it lets other requests in.
const FILTER_BATCH: u32 = 200_000;
/// Records of a filter pass less than this far apart are read in one slice (a slice read
/// costs about as much as reading this many more bytes).
const SCATTER_GAP: u64 = 256 << 10;
/// Bytes of records read at once when a filter needs whole records.
const RECORD_BATCH: u64 = 32 << 20;

#[derive(Default)]
struct Ctx {
    /// The capture (0; the source of a compare) and the target of a compare (1).
    engines: [Option<Engine>; 2],
    /// The bytes of each side: its file, or its set's files one after another.
    files: [Option<Blob>; 2],
    /// Bumped per opened file: tasks of an older file stop.
    gens: [u32; 2],
    /// The compare of the two, when both are indexed.
    cmp: Option<crate::pair::Cmp>,
    /// Newest filter request: older filter tasks stop.
    filter_id: u32,
    sort: (Option<Column>, bool),
}

type Shared = Rc<RefCell<Ctx>>;

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(msg: &FromWorker) {
    if let Ok(v) = wire::encode(msg) {
        let _ = scope().post_message(&v);
    }
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// Reads `len` bytes at `off` from the file.
async fn read(blob: &Blob, off: u64, len: u64) -> Result<Vec<u8>, JsValue> {
    let part = blob.slice_with_f64_and_f64(off as f64, (off + len) as f64)?;
    let buf = JsFuture::from(part.array_buffer()).await?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

/// Reads the file ranges holding these frames' records.
async fn read_blocks(ctx: &Shared, frames: &[u32]) -> Result<Vec<(u64, Vec<u8>)>, JsValue> {
    read_side(ctx, 0, frames, 0).await
}

/// Reads these frames' records, merging reads less than `gap` bytes apart.
async fn read_blocks_gap(
    ctx: &Shared,
    frames: &[u32],
    gap: u64,
) -> Result<Vec<(u64, Vec<u8>)>, JsValue> {
    read_side(ctx, 0, frames, gap).await
}

/// Reads the records of frames of one side's file, merging reads less than `gap` apart.
async fn read_side(
    ctx: &Shared,
    side: usize,
    frames: &[u32],
    gap: u64,
) -> Result<Vec<(u64, Vec<u8>)>, JsValue> {
    let (ranges, file) = {
        let c = ctx.borrow();
        let Some(e) = c.engines.get(side).and_then(Option::as_ref) else {
            return Ok(Vec::new());
        };
        if e.in_memory() {
            return Ok(Vec::new());
        }
        (
            e.ranges_with_gap(frames, gap),
            c.files.get(side).cloned().flatten(),
        )
    };
    let Some(file) = file else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(ranges.len());
    for (off, len) in ranges {
        out.push((off, read(&file, off, len).await?));
    }
    Ok(out)
}

/// Starts the worker: installs the message handler and says it is ready.
pub fn start_worker() {
    console_error_panic_hook();
    // Hash tables keyed by packet data get a secret seed before anything is decoded
    // (wasm32 has no OS randomness of its own).
    if let Ok(c) = scope().crypto() {
        let mut b = [0u8; 8];
        if c.get_random_values_with_u8_array(&mut b).is_ok() {
            shared_decode::flow::seed_tables(u64::from_le_bytes(b));
        }
    }
    let ctx: Shared = Rc::new(RefCell::new(Ctx::default()));
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let data = ev.data();
        let (msg, files) = if let Some(arr) = data.dyn_ref::<js_sys::Array>() {
            let files: Vec<File> = (1..arr.length())
                .filter_map(|i| arr.get(i).dyn_into::<File>().ok())
                .collect();
            (arr.get(0), files)
        } else {
            (data, Vec::new())
        };
        match wire::decode::<ToWorker>(&msg) {
            Ok(m) => handle(&ctx, m, files),
            Err(e) => post(&FromWorker::Error {
                message: format!("bad message from the page: {e}"),
            }),
        }
    });
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    post(&FromWorker::Ready { version: VERSION });
}

fn console_error_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = format!("worker panicked: {info}");
        web_sys::console::error_1(&msg.clone().into());
        post(&FromWorker::Error { message: msg });
    }));
}

/// Starts indexing one side: a file, or a set read one file after another.
fn open_side(ctx: &Shared, name: &str, files: Vec<File>, side: usize) {
    let size: u64 = files.iter().map(|f| f.size() as u64).sum();
    let blob = if files.len() == 1 {
        files.first().map(|f| Blob::from(f.clone()))
    } else {
        // The set's bytes one after another (a Blob of Blobs copies nothing).
        let parts = js_sys::Array::new();
        for f in &files {
            parts.push(f);
        }
        Blob::new_with_blob_sequence(&parts).ok()
    };
    let Some(blob) = blob else {
        return post(&FromWorker::Error {
            message: "the files could not be joined".into(),
        });
    };
    let gen = {
        let mut c = ctx.borrow_mut();
        c.gens[side] = c.gens[side].wrapping_add(1);
        let mut e = Engine::new(name, size);
        if files.len() > 1 {
            let list: Vec<(String, u64)> =
                files.iter().map(|f| (f.name(), f.size() as u64)).collect();
            e.set_files(&list);
        }
        c.engines[side] = Some(e);
        c.files[side] = Some(blob);
        if side == 0 {
            c.sort = (None, true);
        }
        // A new file ends the compare of the old pair.
        c.cmp = None;
        for e in c.engines.iter_mut().flatten() {
            e.set_compare_marks(Vec::new());
        }
        c.gens[side]
    };
    spawn_local(index(ctx.clone(), files, size, gen, side));
}

/// The time stamp of a file's first packet (read from its head), for ordering a set.
async fn first_packet_ns(file: &File) -> Option<i64> {
    use shared_decode::file::Step;
    let len = (file.size() as u64).min(HEAD);
    let head = read(file, 0, len).await.ok()?;
    let mut p = shared_decode::file::CaptureParser::new();
    let mut pos = 0usize;
    let eof = len == file.size() as u64;
    for _ in 0..10_000 {
        match p.next(head.get(pos..)?, pos as u64, eof) {
            Step::Record(r) => return r.ts.and_then(|t| i64::try_from(t.as_nanos()).ok()),
            Step::Meta { consumed } => pos += consumed,
            Step::Error { skip: Some(n), .. } => pos += n,
            _ => return None,
        }
    }
    None
}

/// Puts a set's files in the order of their first packets (files without one last, by
/// name), then opens them as one capture.
async fn open_set(ctx: Shared, files: Vec<File>, side: usize) {
    let mut keyed = Vec::with_capacity(files.len());
    for f in files {
        let t = first_packet_ns(&f).await.unwrap_or(i64::MAX);
        keyed.push((t, f.name(), f));
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let name = format!(
        "{} files ({} …)",
        keyed.len(),
        keyed.first().map_or(String::new(), |k| k.1.clone())
    );
    let files: Vec<File> = keyed.into_iter().map(|k| k.2).collect();
    open_side(&ctx, &name, files, side);
}

fn handle(ctx: &Shared, msg: ToWorker, mut files: Vec<File>) {
    match msg {
        ToWorker::Open { name, side, .. } => {
            let side = side.index();
            files.truncate(1);
            if files.is_empty() {
                post(&FromWorker::Error {
                    message: "no file came with the open request".into(),
                });
                return;
            }
            open_side(ctx, &name, files, side);
        }
        ToWorker::OpenSet { side, .. } => {
            let side = side.index();
            if files.is_empty() {
                post(&FromWorker::Error {
                    message: "no file came with the open request".into(),
                });
                return;
            }
            spawn_local(open_set(ctx.clone(), files, side));
        }
        ToWorker::Hash { side } => {
            if let Some(file) = files.into_iter().next() {
                spawn_local(hash(file, side));
            }
        }
        ToWorker::Rows {
            start,
            count,
            time,
            id,
        } => {
            let ctx = ctx.clone();
            spawn_local(async move {
                let frames: Vec<u32> = {
                    let c = ctx.borrow();
                    let Some(e) = c.engines[0].as_ref() else {
                        return;
                    };
                    (start..start.saturating_add(count.min(2000)))
                        .map_while(|p| e.frame_at(p as usize))
                        .collect()
                };
                let blocks = match read_blocks(&ctx, &frames).await {
                    Ok(b) => b,
                    Err(e) => {
                        return post(&FromWorker::Error {
                            message: format!("reading the file failed: {e:?}"),
                        })
                    }
                };
                let c = ctx.borrow();
                let Some(e) = c.engines[0].as_ref() else {
                    return;
                };
                let rows = e.rows(start as usize, frames.len(), &blocks, time);
                post(&FromWorker::Rows {
                    id,
                    rows,
                    total: e.total() as u64,
                    displayed: e.displayed() as u64,
                });
            });
        }
        ToWorker::Details { frame, side } => {
            let ctx = ctx.clone();
            let side = side.index();
            spawn_local(async move {
                let blocks = match read_side(&ctx, side, &[frame], 0).await {
                    Ok(b) => b,
                    Err(e) => {
                        return post(&FromWorker::Error {
                            message: format!("reading the file failed: {e:?}"),
                        })
                    }
                };
                let c = ctx.borrow();
                if let Some(mut d) = c
                    .engines
                    .get(side)
                    .and_then(Option::as_ref)
                    .and_then(|e| e.details(frame, &blocks))
                {
                    d.side = Side::from_index(side);
                    post(&FromWorker::Details(d));
                }
            });
        }
        ToWorker::PairRows {
            start,
            count,
            time,
            id,
        } => spawn_local(pair_rows(ctx.clone(), start, count, time, id)),
        ToWorker::Diff { src, dst } => spawn_local(pair_diff(ctx.clone(), src, dst)),
        ToWorker::Compare { offset_ms } => spawn_local(run_compare(ctx.clone(), offset_ms)),
        ToWorker::Check { text } => post(&check(&text)),
        ToWorker::Filter { text, id } => {
            ctx.borrow_mut().filter_id = id;
            spawn_local(run_filter(ctx.clone(), text, id));
        }
        ToWorker::Sort { column, ascending } => {
            let mut c = ctx.borrow_mut();
            c.sort = (Some(column), ascending);
            if let Some(e) = c.engines[0].as_mut() {
                e.sort(column, ascending);
                post(&FromWorker::Sorted {
                    displayed: e.displayed() as u64,
                });
            }
        }
        ToWorker::Export {
            comments,
            secret,
            payload,
        } => spawn_local(export(ctx.clone(), comments, secret, payload)),
        ToWorker::FindPacket { frame, digest } => {
            spawn_local(find_packet(ctx.clone(), frame, digest))
        }
        ToWorker::Stats { kind, displayed } => spawn_local(stats(ctx.clone(), kind, displayed)),
        ToWorker::Follow { frame, stream } => spawn_local(follow(ctx.clone(), frame, stream)),
        ToWorker::Locate { frame, side } => {
            let c = ctx.borrow();
            // In a compare, the row of that side's frame.
            let pos = match c.cmp.as_ref() {
                Some(cmp) => cmp.position_of(side.index(), frame),
                None => c.engines[0].as_ref().and_then(|e| e.position_of(frame)),
            };
            post(&FromWorker::Located {
                frame,
                pos: pos.map(|p| p as u32),
            });
        }
    }
}

fn check(text: &str) -> FromWorker {
    match shared_decode::filter::compile(text) {
        _ if text.trim().is_empty() => FromWorker::FilterStatus {
            text: text.to_string(),
            problem: None,
            display: String::new(),
        },
        Ok(f) => FromWorker::FilterStatus {
            text: text.to_string(),
            problem: None,
            display: f.display(),
        },
        Err(e) => FromWorker::FilterStatus {
            text: text.to_string(),
            problem: Some(FilterProblem {
                message: e.message.clone(),
                start: e.start as u32,
                end: e.end as u32,
                rendered: e.render(),
            }),
            display: String::new(),
        },
    }
}

#[wasm_bindgen]
extern "C" {
    /// Slice channel from `static/worker-boot.js` (reads on a separate thread).
    type ReadChannel;
    #[wasm_bindgen(js_name = paircapRead)]
    fn paircap_read(file: &Blob, size: f64, first: f64, chunk: f64, ahead: u32) -> ReadChannel;
    #[wasm_bindgen(method)]
    fn next(this: &ReadChannel) -> js_sys::Promise;
    #[wasm_bindgen(method)]
    fn recycle(this: &ReadChannel, buf: &JsValue);
    #[wasm_bindgen(method)]
    fn close(this: &ReadChannel);
}

/// How a streamed slice went.
enum Flow {
    Go,
    Stop,
}

/// Streams a whole file through the reader thread (a small first slice, then CHUNK-sized
/// ones, read ahead while this thread works): `each(offset, bytes, eof)` per slice.
/// Returns the milliseconds spent waiting for reads, or the read error.
async fn stream_file(
    file: &Blob,
    size: u64,
    mut each: impl FnMut(u64, &[u8], bool) -> Flow,
) -> Result<f64, String> {
    let mut wait = 0.0;
    if size == 0 {
        let _ = each(0, &[], true);
        return Ok(wait);
    }
    let chan = paircap_read(
        file,
        size as f64,
        FIRST_CHUNK as f64,
        CHUNK as f64,
        READ_AHEAD as u32,
    );
    let get = |m: &JsValue, k: &str| js_sys::Reflect::get(m, &k.into()).ok();
    let mut buf: Vec<u8> = Vec::new();
    let result = loop {
        let tr = now();
        let got = JsFuture::from(chan.next()).await;
        wait += now() - tr;
        let msg = match got {
            Ok(m) => m,
            Err(e) => break Err(format!("{e:?}")),
        };
        let off = get(&msg, "off").and_then(|v| v.as_f64()).unwrap_or(0.0) as u64;
        let Some(ab) = get(&msg, "buf").filter(|v| !v.is_undefined()) else {
            let err = get(&msg, "error")
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            break Err(format!("at offset {off}: {err}"));
        };
        let len = get(&msg, "len").and_then(|v| v.as_f64()).unwrap_or(0.0) as u32;
        let view = js_sys::Uint8Array::new_with_byte_offset_and_length(&ab, 0, len);
        buf.resize(len as usize, 0);
        view.copy_to(&mut buf);
        chan.recycle(&ab);
        let eof = off + u64::from(len) >= size;
        if matches!(each(off, &buf, eof), Flow::Stop) || eof {
            break Ok(wait);
        }
    };
    chan.close();
    result
}

async fn index(ctx: Shared, files: Vec<File>, size: u64, gen: u32, side: usize) {
    let t0 = now();
    let mut feed_ms = 0.0;
    let mut streamed = Ok(0.0);
    for (k, file) in files.iter().enumerate() {
        if k > 0 {
            let mut c = ctx.borrow_mut();
            if c.gens[side] != gen {
                return;
            }
            if let Some(e) = c.engines[side].as_mut() {
                e.next_file();
            }
        }
        let r = index_file(&ctx, file, size, gen, side, &mut feed_ms).await;
        match (&mut streamed, r) {
            (Ok(w), Ok(x)) => *w += x,
            (s, Err(e)) => *s = Err(e),
            _ => {}
        }
    }
    finish_index(ctx, t0, streamed, feed_ms, gen, side);
}

/// Streams one file (of a set, or alone) into the side's engine.
async fn index_file(
    ctx: &Shared,
    file: &File,
    size: u64,
    gen: u32,
    side: usize,
    feed_ms: &mut f64,
) -> Result<f64, String> {
    stream_file(file, file.size() as u64, |_, bytes, eof| {
        if ctx.borrow().gens[side] != gen {
            return Flow::Stop;
        }
        let tf = now();
        let (progress, done) = {
            let mut c = ctx.borrow_mut();
            let Some(e) = c.engines[side].as_mut() else {
                return Flow::Stop;
            };
            (e.feed(bytes, eof), e.is_done())
        };
        *feed_ms += now() - tf;
        if side == 0 {
            post(&FromWorker::Progress {
                bytes: progress.bytes,
                size,
                packets: progress.packets,
            });
        } else {
            post(&FromWorker::TargetProgress {
                bytes: progress.bytes,
                size,
                packets: progress.packets,
            });
        }
        if done {
            Flow::Stop
        } else {
            Flow::Go
        }
    })
    .await
}

fn finish_index(
    ctx: Shared,
    t0: f64,
    streamed: Result<f64, String>,
    feed_ms: f64,
    gen: u32,
    side: usize,
) {
    let read_wait_ms = match streamed {
        Ok(w) => w,
        Err(e) => {
            post(&FromWorker::Error {
                message: format!("reading the file failed {e}"),
            });
            0.0
        }
    };
    let c = ctx.borrow();
    if c.gens[side] != gen {
        return;
    }
    let both = c
        .engines
        .iter()
        .all(|e| e.as_ref().is_some_and(Engine::is_done));
    if both {
        spawn_local(run_compare(ctx.clone(), None));
    }
    if side == 1 {
        if let Some(e) = c.engines[1].as_ref() {
            post(&FromWorker::TargetIndexed {
                summary: e.summary(),
            });
        }
        return;
    }
    if let Some(e) = c.engines[0].as_ref() {
        let wasm_bytes = wasm_bindgen::memory()
            .unchecked_into::<js_sys::WebAssembly::Memory>()
            .buffer()
            .unchecked_into::<js_sys::ArrayBuffer>()
            .byte_length();
        post(&FromWorker::Indexed {
            summary: e.summary(),
            millis: now() - t0,
            read_wait_ms,
            feed_ms,
            index_bytes: e.heap_bytes() as u64,
            wasm_bytes: u64::from(wasm_bytes),
        });
    }
}

async fn hash(file: File, side: Side) {
    let t0 = now();
    let size = file.size() as u64;
    let mut h = Sha256::new();
    if let Err(e) = stream_file(&file, size, |_, bytes, _| {
        h.update(bytes);
        Flow::Go
    })
    .await
    {
        return post(&FromWorker::Error {
            message: format!("hashing failed {e}"),
        });
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    post(&FromWorker::Hash {
        side,
        file: (file.name(), size),
        sha256: hex,
        millis: now() - t0,
    });
}

/// Yields to the event loop so queued requests (rows, a newer filter) run.
async fn yield_now() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let _ = scope().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
    });
    let _ = JsFuture::from(p).await;
}

async fn run_filter(ctx: Shared, text: String, id: u32) {
    let t0 = now();
    let compare = ctx.borrow().cmp.is_some();
    if text.trim().is_empty() {
        let mut c = ctx.borrow_mut();
        let sort = c.sort;
        let displayed = if let Some(cmp) = c.cmp.as_mut() {
            cmp.view = None;
            cmp.displayed()
        } else if let Some(e) = c.engines[0].as_mut() {
            e.apply_filter(None, (sort.0.unwrap_or(Column::Number), sort.1));
            e.displayed()
        } else {
            return;
        };
        return post(&FromWorker::Filtered {
            id,
            text,
            displayed: displayed as u64,
            display: String::new(),
            from_bpf: false,
            millis: now() - t0,
        });
    }
    let f = match shared_decode::filter::compile(&text) {
        Ok(f) => f,
        Err(_) => return post(&check(&text)),
    };
    let Some(src) = filter_side(&ctx, 0, &f, id).await else {
        return;
    };
    let displayed = if compare {
        // Compare: a row shows when its source or its target packet passes.
        let Some(dst) = filter_side(&ctx, 1, &f, id).await else {
            return;
        };
        let mut c = ctx.borrow_mut();
        let totals = [0, 1].map(|s| c.engines[s].as_ref().map_or(0, Engine::total));
        let Some(cmp) = c.cmp.as_mut() else { return };
        let mut ok = [vec![false; totals[0]], vec![false; totals[1]]];
        for (side, frames) in [&src, &dst].into_iter().enumerate() {
            for &fr in frames {
                if let Some(b) = ok.get_mut(side).and_then(|v| v.get_mut(fr as usize - 1)) {
                    *b = true;
                }
            }
        }
        cmp.view = Some(crate::pair::filter_rows(&cmp.aligned, &ok[0], &ok[1]));
        cmp.displayed()
    } else {
        let mut c = ctx.borrow_mut();
        let sort = c.sort;
        let Some(e) = c.engines[0].as_mut() else {
            return;
        };
        e.apply_filter(Some(src), (sort.0.unwrap_or(Column::Number), sort.1));
        e.displayed()
    };
    post(&FromWorker::Filtered {
        id,
        text,
        displayed: displayed as u64,
        display: f.display(),
        from_bpf: f.translated_from_bpf(),
        millis: now() - t0,
    });
}

/// The frames of one side that pass a filter, in file order (`None`: a newer filter came).
async fn filter_side(
    ctx: &Shared,
    side: usize,
    f: &shared_decode::Filter,
    id: u32,
) -> Option<Vec<u32>> {
    let gen = ctx.borrow().gens;
    // A newer filter, or another file, makes this pass stale.
    let stale = |ctx: &Shared| {
        let c = ctx.borrow();
        c.filter_id != id || c.gens != gen
    };
    let on_snap = decidable_on_snap(f);
    let mut pass = FilterPass::default();
    let mut from = 1u32;
    loop {
        let (total, done) = {
            let c = ctx.borrow();
            let e = c.engines.get(side)?.as_ref()?;
            let to = from.saturating_add(FILTER_BATCH).min(e.total() as u32 + 1);
            e.filter_snaps(f, on_snap, from, to, &mut pass);
            from = to;
            (e.total() as u32, e.is_done())
        };
        if from > total && done {
            break;
        }
        yield_now().await;
        if stale(ctx) {
            return None;
        }
    }
    // Frames the snaps could not decide: read their records in batches, or, when they are
    // most of a file on disk, stream the file past once (no random reads, no garbage).
    let mut matched = std::mem::take(&mut pass.matched);
    let need = std::mem::take(&mut pass.need_records);
    let (file, total, in_memory) = {
        let c = ctx.borrow();
        let e = c.engines.get(side)?.as_ref()?;
        (
            c.files.get(side).cloned().flatten(),
            e.total(),
            e.in_memory(),
        )
    };
    if let (Some(file), false, true) =
        (file, in_memory, need.len() > 4096 && need.len() * 4 > total)
    {
        let mut scan = crate::engine::RecordScan::new(need);
        let mut hits = Vec::new();
        let size = file.size() as u64;
        let mut stale_now = false;
        let r = stream_file(&file, size, |off, bytes, _| {
            if stale(ctx) {
                stale_now = true;
                return Flow::Stop;
            }
            let c = ctx.borrow();
            let Some(e) = c.engines.get(side).and_then(Option::as_ref) else {
                return Flow::Stop;
            };
            scan.feed(e, off, bytes, |fr, rec| {
                if e.matches_record(f, fr, rec) {
                    hits.push(fr);
                }
            });
            if scan.done() {
                Flow::Stop
            } else {
                Flow::Go
            }
        })
        .await;
        if stale_now {
            return None;
        }
        if let Err(e) = r {
            post(&FromWorker::Error {
                message: format!("reading the file failed {e}"),
            });
            return None;
        }
        matched.extend(hits);
        matched.sort_unstable();
        return Some(matched);
    }
    let mut i = 0;
    while i < need.len() {
        let mut j = i;
        let mut bytes = 0u64;
        {
            let c = ctx.borrow();
            let e = c.engines.get(side)?.as_ref()?;
            // Bound the span the merged reads cover (records far apart are read with the
            // bytes between them).
            let first = e
                .ranges(need.get(i..i + 1).unwrap_or(&[]))
                .first()
                .map_or(0, |r| r.0);
            while j < need.len() && bytes < RECORD_BATCH {
                bytes = e
                    .ranges(need.get(j..j + 1).unwrap_or(&[]))
                    .first()
                    .map_or(0, |r| r.0 + r.1)
                    .saturating_sub(first);
                j += 1;
            }
        }
        let part = need.get(i..j).unwrap_or(&[]);
        let blocks = match read_side(ctx, side, part, SCATTER_GAP).await {
            Ok(b) => b,
            Err(e) => {
                post(&FromWorker::Error {
                    message: format!("reading the file failed: {e:?}"),
                });
                return None;
            }
        };
        if stale(ctx) {
            return None;
        }
        let c = ctx.borrow();
        let e = c.engines.get(side)?.as_ref()?;
        e.filter_records(f, part, &blocks, &mut matched);
        i = j;
    }
    matched.sort_unstable();
    Some(matched)
}

/// Finds the packet with this content digest: the named frame first, then every frame
/// (read in large slices), for links made from another export of the same traffic.
async fn find_packet(ctx: Shared, frame: u32, digest: u64) {
    use shared_decode::link::packet_digest;
    let found = |ctx: &Shared, f: u32| {
        let c = ctx.borrow();
        let pos = match c.cmp.as_ref() {
            Some(cmp) => cmp.position_of(0, f),
            None => c.engines[0].as_ref().and_then(|e| e.position_of(f)),
        }
        .map(|p| p as u32);
        post(&FromWorker::Found {
            wanted: frame,
            frame: Some(f),
            pos,
        });
    };
    if let Ok(blocks) = read_blocks(&ctx, &[frame]).await {
        let hit = ctx.borrow().engines[0]
            .as_ref()
            .and_then(|e| e.packet_bytes(frame, &blocks))
            .is_some_and(|b| packet_digest(b) == digest);
        if hit {
            return found(&ctx, frame);
        }
    }
    let total = ctx.borrow().engines[0]
        .as_ref()
        .map_or(0, |e| e.total() as u32);
    let mut from = 1u32;
    while from <= total {
        let to = (from + 20_000).min(total + 1);
        let frames: Vec<u32> = (from..to).collect();
        let Ok(blocks) = read_blocks_gap(&ctx, &frames, u64::MAX / 4).await else {
            break;
        };
        let hit = {
            let c = ctx.borrow();
            let Some(e) = c.engines[0].as_ref() else {
                return;
            };
            frames.iter().copied().find(|&f| {
                e.packet_bytes(f, &blocks)
                    .is_some_and(|b| packet_digest(b) == digest)
            })
        };
        if let Some(f) = hit {
            return found(&ctx, f);
        }
        from = to;
    }
    post(&FromWorker::Found {
        wanted: frame,
        frame: None,
        pos: None,
    });
}

/// Writes the displayed packets to a pcapng file in memory and sends it to the page
/// (transferred, not copied).
/// Follows a TCP stream: its frames (from the index's flow analysis) are read and fed to
/// the same follow as `paircap read -z follow,tcp,…`.
async fn follow(ctx: Shared, frame: u32, stream: Option<u32>) {
    use crate::proto::{FollowChunk, FOLLOW_MAX_BYTES};
    use shared_decode::stats::follow::{Follow, Mode};
    let gen = ctx.borrow().gens;
    let found = {
        let c = ctx.borrow();
        let Some(e) = c.engines[0].as_ref() else {
            return;
        };
        stream
            .or_else(|| e.tcp_stream_of(frame))
            .map(|s| (s, e.tcp_stream_frames(s)))
    };
    let Some((stream, (frames, streams))) = found else {
        return post(&FromWorker::Error {
            message: format!("packet {frame} is not part of a TCP stream"),
        });
    };
    let blocks = match read_blocks_gap(&ctx, &frames, 64 << 10).await {
        Ok(b) => b,
        Err(e) => {
            return post(&FromWorker::Error {
                message: format!("follow: reading the file failed {e:?}"),
            })
        }
    };
    let c = ctx.borrow();
    if c.gens != gen {
        return;
    }
    let Some(e) = c.engines[0].as_ref() else {
        return;
    };
    let mut f = Follow::new(stream, Mode::Raw);
    for &fr in &frames {
        if let Some(p) = e
            .record_bytes(fr, &blocks)
            .and_then(|rec| e.decode(fr, Some(rec), DissectOptions::default()))
        {
            f.observe(&p);
        }
    }
    let mut left = FOLLOW_MAX_BYTES;
    let mut truncated = false;
    let mut chunks = Vec::new();
    for ch in f.chunks() {
        if ch.data.len() > left {
            truncated = true;
            break;
        }
        left -= ch.data.len();
        chunks.push(FollowChunk {
            server: ch.server,
            frame: ch.frame,
            data: ch.data.clone(),
        });
    }
    post(&FromWorker::Followed {
        stream,
        streams,
        nodes: f.nodes().map(|n| n.to_vec()).unwrap_or_default(),
        chunks,
        truncated: truncated || f.dropped > 0,
    });
}

/// A statistic over the capture's packets (all, or the displayed ones), by the same code as
/// `paircap read -z`: one sequential pass, every packet decoded with its flow analysis.
async fn stats(ctx: Shared, kind: String, displayed: bool) {
    use shared_decode::stats::Stat;
    if kind == "compare,conv" {
        // The compare's conversations, per direction (what the compare found, not a pass).
        let c = ctx.borrow();
        return match c.cmp.as_ref() {
            Some(cmp) => post(&FromWorker::Stats {
                packets: cmp.report.src_status.len() as u64 + cmp.report.dst_status.len() as u64,
                grid: shared_decode::compare::conversations_grid(&cmp.report.conversations).into(),
                kind,
                displayed,
            }),
            None => post(&FromWorker::Error {
                message: "no compare: open a target capture with Compare… first".into(),
            }),
        };
    }
    if let Some(interval) = kind.strip_prefix("compare,io,") {
        // Both captures' rates and the compare's findings per interval of source time.
        let c = ctx.borrow();
        let (Some(cmp), Some(a), Some(b)) =
            (c.cmp.as_ref(), c.engines[0].as_ref(), c.engines[1].as_ref())
        else {
            return post(&FromWorker::Error {
                message: "no compare: open a target capture with Compare… first".into(),
            });
        };
        let times = |e: &Engine| -> Vec<i64> {
            (1..=e.total() as u32)
                .map(|f| e.ts_of(f).unwrap_or(0))
                .collect()
        };
        let ns = interval.parse::<f64>().map_or(0, |s| (s * 1e9) as u64);
        return post(&FromWorker::Stats {
            packets: a.total() as u64 + b.total() as u64,
            grid: shared_decode::compare::io_grid(&cmp.report, &times(a), &times(b), ns).into(),
            kind,
            displayed,
        });
    }
    // "auto": about a hundred intervals over the capture.
    let kind_arg = match kind.strip_prefix("io,stat,auto") {
        Some(rest) => {
            let span = ctx.borrow().engines[0]
                .as_ref()
                .and_then(|e| e.time_span())
                .map_or(0, |(a, b)| u64::try_from(b.saturating_sub(a)).unwrap_or(0));
            let ns = shared_decode::compare::nice_interval(span / 100);
            format!("io,stat,{}{rest}", ns as f64 / 1e9)
        }
        None => kind.clone(),
    };
    let fresh = || Stat::parse(&kind_arg);
    let mut stat = match fresh() {
        Ok(s) => s,
        Err(message) => return post(&FromWorker::Error { message }),
    };
    let gen = ctx.borrow().gens;
    let frames: Vec<u32> = {
        let c = ctx.borrow();
        let Some(e) = c.engines[0].as_ref() else {
            return;
        };
        match e.view().filter(|_| displayed) {
            Some(v) => {
                let mut v = v.to_vec();
                v.sort_unstable();
                v
            }
            None => (1..=e.total() as u32).collect(),
        }
    };
    let packets = frames.len() as u64;
    let failed = if stat.headers_only() {
        // From the snaps in memory; the file is read only for the records whose snap cut a
        // header, and then every frame is counted again in file order (first-seen order
        // decides the rows' order and ends).
        let needy = {
            let c = ctx.borrow();
            let Some(e) = c.engines[0].as_ref() else {
                return;
            };
            e.observe_snaps(&frames, &mut stat)
        };
        if needy.is_empty() {
            None
        } else {
            match read_blocks_gap(&ctx, &needy, 64 << 10).await {
                Ok(blocks) => {
                    let c = ctx.borrow();
                    let Some(e) = c.engines[0].as_ref().filter(|_| c.gens == gen) else {
                        return;
                    };
                    if let Ok(s) = fresh() {
                        stat = s;
                    }
                    e.observe_mixed(&frames, &needy, &blocks, &mut stat);
                    None
                }
                Err(e) => Some(format!("{e:?}")),
            }
        }
    } else {
        scan_records(&ctx, frames, |e, f, rec| {
            if let Some(p) = e.decode(f, Some(rec), DissectOptions::default()) {
                stat.observe(&p);
            }
            true
        })
        .await
        .err()
    };
    if ctx.borrow().gens != gen {
        return; // another file was opened meanwhile
    }
    post(&match (failed, stat.grid()) {
        (Some(e), _) => FromWorker::Error {
            message: format!("statistics: reading the file failed {e}"),
        },
        (None, Some(g)) => FromWorker::Stats {
            kind,
            displayed,
            packets,
            grid: g.into(),
        },
        (None, None) => FromWorker::Error {
            message: format!("{kind} has no table"),
        },
    });
}

/// Calls `each(engine, frame, record)` for `frames` (ascending) of the capture, in file
/// order, until it returns `false`: one sequential pass over the file with recycled buffers
/// (gzip input: from memory). Stops early if another file is opened.
async fn scan_records(
    ctx: &Shared,
    frames: Vec<u32>,
    mut each: impl FnMut(&Engine, u32, &[u8]) -> bool,
) -> Result<(), String> {
    let gen = ctx.borrow().gens;
    let (file, in_memory) = {
        let c = ctx.borrow();
        (
            c.files[0].clone(),
            c.engines[0].as_ref().is_some_and(Engine::in_memory),
        )
    };
    if in_memory {
        let c = ctx.borrow();
        let Some(e) = c.engines[0].as_ref() else {
            return Ok(());
        };
        for f in frames {
            if let Some(rec) = e.record_bytes(f, &[]) {
                if !each(e, f, rec) {
                    break;
                }
            }
        }
        return Ok(());
    }
    let Some(file) = file else { return Ok(()) };
    let mut scan = crate::engine::RecordScan::new(frames);
    let mut go = true;
    stream_file(&file, file.size() as u64, |off, bytes, _| {
        let c = ctx.borrow();
        let Some(e) = c.engines[0].as_ref().filter(|_| c.gens == gen) else {
            return Flow::Stop;
        };
        scan.feed(e, off, bytes, |f, rec| {
            if go {
                go = each(e, f, rec);
            }
        });
        if scan.done() || !go {
            Flow::Stop
        } else {
            Flow::Go
        }
    })
    .await
    .map(|_| ())
}

async fn export(ctx: Shared, comments: Vec<String>, secret: Option<Vec<u8>>, payload: u8) {
    use shared_decode::export::{Anonymizer, Exporter, Payload};
    let gen = ctx.borrow().gens;
    let frames: Vec<u32> = {
        let c = ctx.borrow();
        let Some(e) = c.engines[0].as_ref() else {
            return;
        };
        // In a compare: the source packets of the rows shown.
        let cmp_view = c.cmp.as_ref().map(|cmp| {
            let mut v: Vec<u32> = (0..cmp.displayed())
                .filter_map(|p| cmp.at(p))
                .map(|r| r.0)
                .filter(|&f| f != 0)
                .collect();
            v.sort_unstable();
            v
        });
        if let Some(v) = cmp_view {
            v
        } else {
            match e.view() {
                Some(v) => {
                    let mut v = v.to_vec();
                    v.sort_unstable();
                    v
                }
                None => (1..=e.total() as u32).collect(),
            }
        }
    };
    let made = match secret {
        Some(k) => {
            let p = match payload {
                0 => Payload::Keep,
                2 => Payload::Truncate,
                _ => Payload::Zero,
            };
            // The page's comments (file name, SHA-256, filter) are not written.
            Exporter::anonymized(Vec::new(), Anonymizer::new(&k, p))
        }
        None => Exporter::new(Vec::new(), comments),
    };
    let Ok(mut out) = made else { return };
    let mut failed = None;
    let r = scan_records(&ctx, frames, |e, f, rec| {
        failed = e
            .export_record(f, rec, &mut out)
            .err()
            .map(|e| e.to_string());
        failed.is_none()
    })
    .await;
    if let Err(e) = r {
        failed = Some(format!("reading the file failed {e}"));
    }
    if ctx.borrow().gens != gen {
        return; // another file was opened meanwhile
    }
    if let Some(e) = failed {
        return post(&FromWorker::Error {
            message: format!("export failed: {e}"),
        });
    }
    let packets = out.packets();
    let Ok(bytes) = out.finish() else { return };
    let msg = FromWorker::Exported {
        packets,
        bytes: bytes.len() as u64,
    };
    let Ok(v) = wire::encode(&msg) else { return };
    let arr = js_sys::Uint8Array::new_with_length(bytes.len() as u32);
    arr.copy_from(&bytes);
    let buf = arr.buffer();
    let _ = scope()
        .post_message_with_transfer(&js_sys::Array::of2(&v, &buf), &js_sys::Array::of1(&buf));
}

/// Compares the two files: reads every packet's compare key (a second pass over each
/// file), runs `shared_decode::compare`, marks the packets and builds the aligned view.
async fn run_compare(ctx: Shared, offset_ms: Option<f64>) {
    use shared_decode::compare::{compare, Options};
    let t0 = now();
    let gens = ctx.borrow().gens;
    let mut keys = [Vec::new(), Vec::new()];
    for side in 0..2 {
        if ctx.borrow().engines[side]
            .as_ref()
            .is_some_and(|e| e.keys().is_some())
        {
            continue; // made while indexing
        }
        post(&FromWorker::Comparing {
            stage: format!(
                "reading the {} packets",
                if side == 0 { "source" } else { "target" }
            ),
        });
        let (total, file, in_memory) = {
            let c = ctx.borrow();
            let e = c.engines[side].as_ref();
            (
                e.map_or(0, |e| e.total() as u32),
                c.files[side].clone(),
                e.is_some_and(Engine::in_memory),
            )
        };
        let Some(k) = keys.get_mut(side) else { return };
        k.reserve(total as usize);
        if in_memory {
            // Gzip input is decompressed in memory: records are cut from there.
            let c = ctx.borrow();
            let Some(e) = c.engines[side].as_ref() else {
                return;
            };
            let frames: Vec<u32> = (1..=total).collect();
            e.fingerprints(&frames, &[], k);
            continue;
        }
        let Some(file) = file else { return };
        let mut scan = crate::engine::RecordScan::new((1..=total).collect());
        let r = stream_file(&file, file.size() as u64, |off, bytes, _| {
            let c = ctx.borrow();
            if c.gens != gens {
                return Flow::Stop;
            }
            let Some(e) = c.engines[side].as_ref() else {
                return Flow::Stop;
            };
            scan.feed(e, off, bytes, |fr, rec| k.push(e.key_of(fr, rec)));
            if scan.done() {
                Flow::Stop
            } else {
                Flow::Go
            }
        })
        .await;
        if let Err(e) = r {
            return post(&FromWorker::Error {
                message: format!("compare: reading the file failed {e}"),
            });
        }
        if ctx.borrow().gens != gens {
            return;
        }
    }
    let t_keys = now();
    post(&FromWorker::Comparing {
        stage: "matching packets".into(),
    });
    yield_now().await;
    let mut c = ctx.borrow_mut();
    if c.gens != gens {
        return;
    }
    let (Some(se), Some(de)) = (c.engines[0].as_ref(), c.engines[1].as_ref()) else {
        return;
    };
    let src_keys = se.keys().unwrap_or(&keys[0]);
    let dst_keys = de.keys().unwrap_or(&keys[1]);
    let si = se.side_info(src_keys);
    let di = de.side_info(dst_keys);
    let opts = Options {
        offset_ns: offset_ms
            .filter(|m| m.is_finite())
            .map(|m| (m * 1e6) as i64),
        ..Options::default()
    };
    let t_match = now();
    let mut report = compare(src_keys, dst_keys, &si, &di, &opts);
    // Network or server? (cheap next to the compare: one pass over the keys).
    let tx = shared_decode::compare::transactions(src_keys, dst_keys, &report);
    report.diagnosis.extend(tx.diagnosis());
    report.transactions = Some(tx);
    let t_cmp = now();
    let aligned = crate::pair::align(
        &report,
        |f| se.ts_of(f).unwrap_or(0),
        |f| de.ts_of(f).unwrap_or(0),
    );
    let first = se.time_span().map_or(0, |t| t.0);
    let summary = crate::pair::summarize(&report, |f| se.ts_of(f).unwrap_or(0), first);
    let (sm, dm) = crate::pair::marks(&report);
    if let Some(e) = c.engines[0].as_mut() {
        e.set_compare_marks(sm);
    }
    if let Some(e) = c.engines[1].as_mut() {
        e.set_compare_marks(dm);
    }
    web_sys::console::log_1(
        &format!(
            "paircap compare: keys {:.0} ms, compare {:.0} ms, view {:.0} ms",
            t_keys - t0,
            t_cmp - t_match,
            now() - t_cmp
        )
        .into(),
    );
    let cmp = crate::pair::Cmp {
        report,
        aligned,
        view: None,
    };
    let displayed = cmp.displayed() as u64;
    c.cmp = Some(cmp);
    post(&FromWorker::Compared {
        summary,
        displayed,
        millis: now() - t0,
    });
}

/// Rows of the aligned view.
async fn pair_rows(ctx: Shared, start: u32, count: u32, time: crate::proto::TimeFormat, id: u32) {
    let rows: Vec<(u32, (u32, u32))> = {
        let c = ctx.borrow();
        let Some(cmp) = c.cmp.as_ref() else { return };
        (start..start.saturating_add(count.min(2000)))
            .map_while(|p| Some((p, cmp.at(p as usize)?)))
            .collect()
    };
    let src: Vec<u32> = rows.iter().map(|r| r.1 .0).filter(|&f| f != 0).collect();
    let dst: Vec<u32> = rows.iter().map(|r| r.1 .1).filter(|&f| f != 0).collect();
    let (Ok(sb), Ok(db)) = (
        read_side(&ctx, 0, &src, SCATTER_GAP).await,
        read_side(&ctx, 1, &dst, SCATTER_GAP).await,
    ) else {
        return post(&FromWorker::Error {
            message: "reading the files failed".into(),
        });
    };
    let c = ctx.borrow();
    let (Some(cmp), Some(se), Some(de)) =
        (c.cmp.as_ref(), c.engines[0].as_ref(), c.engines[1].as_ref())
    else {
        return;
    };
    let out = rows
        .iter()
        .map(|&(pos, (s, d))| crate::proto::PairRow {
            pos,
            src: (s != 0).then(|| se.row(s, pos, &sb, time)).flatten(),
            dst: (d != 0).then(|| de.row(d, pos, &db, time)).flatten(),
            status: cmp.status((s, d)).name().to_string(),
            delay_ms: cmp.delay_ms((s, d)),
            sent_by: cmp.sent_by((s, d)).to_string(),
        })
        .collect();
    post(&FromWorker::PairRows {
        id,
        rows: out,
        displayed: cmp.displayed() as u64,
    });
}

/// Field differences of a source packet and its twin.
async fn pair_diff(ctx: Shared, src: u32, dst: u32) {
    let (Ok(sb), Ok(db)) = (
        read_side(&ctx, 0, &[src], 0).await,
        read_side(&ctx, 1, &[dst], 0).await,
    ) else {
        return;
    };
    let c = ctx.borrow();
    let (Some(se), Some(de)) = (c.engines[0].as_ref(), c.engines[1].as_ref()) else {
        return;
    };
    let opts = shared_decode::dissect::DissectOptions::default();
    let (Some(a), Some(b)) = (
        se.decode(src, se.record_bytes(src, &sb), opts),
        de.decode(dst, de.record_bytes(dst, &db), opts),
    ) else {
        return;
    };
    let fields = shared_decode::compare::diff(&a, &b)
        .into_iter()
        .map(|d| (d.field.to_string(), d.src, d.dst))
        .collect();
    post(&FromWorker::Diff { src, dst, fields });
}
