//! The page (Yew). State lives in [`State`] and changes only through its reducer; this module
//! wires the reducer to the DOM and to the two workers (one indexes, decodes and filters; one
//! computes the file's SHA-256 so hashing never delays the list).
//!
//! For tests and benchmarks the page mirrors its progress on `<html>` attributes
//! (`data-phase`, `data-total`, `data-displayed`, `data-open-seq`, `data-first-rows-ms`,
//! `data-index-ms`, `data-filter-seq`, `data-filter-ms`); `static/bench.js` reads them.

mod bars;
mod bridge;
mod compare;
mod follow;
mod list;
mod panes;
mod stats;
pub mod wire;
pub mod worker;

use crate::model::{Action, LinkStatus, Nav, Phase, State, Theme};
use crate::proto::{FromWorker, Side, ToWorker};
use bridge::Bridge;
use shared_decode::link::{PacketRef, ViewLink};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{DragEvent, File, KeyboardEvent};
use yew::prelude::*;

impl Reducible for State {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        State::reduce(self, action)
    }
}

/// Rows fetched beyond the visible window on each side.
const OVERSCAN: u32 = 40;

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Sets `data-<key>` on `<html>`.
fn mark(key: &str, value: &str) {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = el.set_attribute(&format!("data-{key}"), value);
    }
}

fn mark_get(key: &str) -> Option<String> {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|el| el.get_attribute(&format!("data-{key}")))
}

fn bump(key: &str) {
    let n: u64 = mark_get(key).and_then(|v| v.parse().ok()).unwrap_or(0);
    mark(key, &(n + 1).to_string());
}

/// The name a side shows (a file's, or "N files (first …)") and its size.
fn set_name(files: &[File]) -> (String, u64) {
    let size = files.iter().map(|f| f.size() as u64).sum();
    match files {
        [f] => (f.name(), size),
        _ => {
            let mut names: Vec<String> = files.iter().map(File::name).collect();
            names.sort();
            (
                format!(
                    "{} files ({} …)",
                    files.len(),
                    names.first().cloned().unwrap_or_default()
                ),
                size,
            )
        }
    }
}

/// Everything the page holds that is not render state.
pub struct Runtime {
    index: Option<Bridge>,
    hash: Option<Bridge>,
    open_t0: Cell<f64>,
    first_rows: Cell<bool>,
    filter_id: Cell<u32>,
    /// The open file, hashed once indexing is done (so the two do not compete for reads).
    file: RefCell<Option<File>>,
    /// The target of a compare, hashed once indexed.
    target_file: RefCell<Option<File>>,
    /// Last rows request (generation, start, count), to skip duplicates.
    last_rows: Cell<(u32, u32, u32)>,
    /// A view link's packet, looked up once its filter is applied.
    pending_packet: Cell<Option<PacketRef>>,
    /// Opens counted, and the open a view link was last applied to.
    opens: Cell<u32>,
    link_applied_to: Cell<u32>,
    /// The open a view link's clock offset was sent for.
    link_offset_sent: Cell<u32>,
}

impl Runtime {
    /// Sends a file to the worker to index, and keeps it for hashing once indexed.
    fn open_side(&self, mut files: Vec<File>, side: Side) {
        if let Some(b) = &self.index {
            match files.as_slice() {
                [file] => b.send_file(
                    &ToWorker::Open {
                        name: file.name(),
                        size: file.size() as u64,
                        side,
                    },
                    file,
                ),
                _ => b.send_files(
                    &ToWorker::OpenSet {
                        names: files.iter().map(File::name).collect(),
                        sizes: files.iter().map(|f| f.size() as u64).collect(),
                        side,
                    },
                    &files,
                ),
            }
        }
        // A set is hashed by its first file (view links name the capture by it).
        files.truncate(1);
        let Some(file) = files.pop() else { return };
        *if side == Side::Source {
            &self.file
        } else {
            &self.target_file
        }
        .borrow_mut() = Some(file);
    }

    fn send(&self, m: &ToWorker) {
        if let Some(b) = &self.index {
            b.send(m);
        }
    }
}

/// Handle passed to components: the state and a way to act.
#[derive(Clone)]
pub struct Ctl {
    /// Dispatch an action.
    pub dispatch: Callback<Action>,
    /// Send to the index worker.
    pub send: Callback<ToWorker>,
    /// Open a file.
    pub open: Callback<Vec<File>>,
    /// Open the target capture of a compare.
    pub open_target: Callback<Vec<File>>,
}

impl PartialEq for Ctl {
    fn eq(&self, other: &Self) -> bool {
        self.dispatch == other.dispatch
            && self.send == other.send
            && self.open == other.open
            && self.open_target == other.open_target
    }
}

fn on_worker_message(
    rt: &Rc<RefCell<Option<Rc<Runtime>>>>,
    d: &UseReducerDispatcher<State>,
    m: FromWorker,
) {
    let rt = rt.borrow().clone();
    match m {
        FromWorker::Ready { .. } => {}
        FromWorker::Progress {
            bytes,
            size,
            packets,
        } => d.dispatch(Action::Progress {
            bytes,
            size,
            packets,
        }),
        FromWorker::Indexed {
            summary,
            millis,
            read_wait_ms,
            feed_ms,
            index_bytes,
            wasm_bytes,
        } => {
            mark("index-bytes", &index_bytes.to_string());
            mark("wasm-bytes", &wasm_bytes.to_string());
            mark("index-ms", &format!("{millis:.1}"));
            mark("index-read-wait-ms", &format!("{read_wait_ms:.1}"));
            mark("index-feed-ms", &format!("{feed_ms:.1}"));
            mark("total", &summary.packets.to_string());
            d.dispatch(Action::Indexed(summary, millis));
            mark("phase", "ready");
            if let Some(rt) = &rt {
                if let (Some(b), Some(f)) = (&rt.hash, rt.file.borrow_mut().take()) {
                    b.send_file(&ToWorker::Hash { side: Side::Source }, &f);
                }
            }
        }
        FromWorker::Rows {
            id,
            rows,
            total,
            displayed,
        } => {
            if let Some(rt) = &rt {
                if !rows.is_empty() && !rt.first_rows.get() {
                    rt.first_rows.set(true);
                    mark("first-rows-ms", &format!("{:.1}", now() - rt.open_t0.get()));
                }
            }
            d.dispatch(Action::Rows {
                gen: id,
                rows,
                total,
                displayed,
            });
        }
        FromWorker::Details(x) => d.dispatch(Action::Details(x)),
        FromWorker::Filtered {
            id,
            text,
            displayed,
            display,
            millis,
            ..
        } => {
            if rt.as_ref().is_some_and(|rt| rt.filter_id.get() != id) {
                return;
            }
            d.dispatch(Action::Filtered {
                text,
                displayed,
                display,
                millis,
            });
            if let Some(rt) = &rt {
                if let Some(p) = rt.pending_packet.take() {
                    rt.send(&ToWorker::FindPacket {
                        frame: p.frame.min(u64::from(u32::MAX)) as u32,
                        digest: p.digest,
                    });
                }
            }
            mark("filter-ms", &format!("{millis:.1}"));
            mark("displayed", &displayed.to_string());
            bump("filter-seq");
        }
        FromWorker::FilterStatus {
            text,
            problem,
            display,
        } => {
            let failed_apply = problem.is_some();
            d.dispatch(Action::FilterChecked {
                text,
                problem,
                display,
            });
            if failed_apply {
                bump("filter-check-seq");
            }
        }
        FromWorker::Sorted { displayed } => d.dispatch(Action::Sorted { displayed }),
        FromWorker::Located { frame, pos } => match pos {
            Some(p) => d.dispatch(Action::GoTo(p)),
            None => d.dispatch(Action::Error(format!(
                "packet {frame} is not in the list (no such packet, or the filter hides it)"
            ))),
        },
        FromWorker::Exported { packets, .. } => {
            let name = EXPORT_NAME.with(|n| n.borrow().clone());
            match bridge::take_attachment().map(|buf| download(&buf, &name)) {
                Some(Ok(())) => d.dispatch(Action::Info(format!(
                    "Exported {packets} packets to {name}."
                ))),
                Some(Err(e)) => {
                    d.dispatch(Action::Error(format!("the export could not be saved: {e}")))
                }
                None => d.dispatch(Action::Error("the export came without its file".into())),
            }
        }
        FromWorker::Found { wanted, frame, pos } => {
            if let Some(p) = pos {
                d.dispatch(Action::GoTo(p));
            }
            if frame != Some(wanted) {
                d.dispatch(Action::LinkPacket {
                    wanted,
                    found: frame,
                });
            } else if pos.is_none() {
                d.dispatch(Action::Info(format!(
                    "The link's packet {wanted} is hidden by the filter."
                )));
            }
        }
        FromWorker::Hash {
            sha256, side, file, ..
        } => {
            if side == Side::Target {
                d.dispatch(Action::TargetHash(file, sha256));
            } else {
                d.dispatch(Action::Hash(file, sha256));
            }
        }
        FromWorker::TargetProgress { bytes, packets, .. } => {
            d.dispatch(Action::TargetProgress { bytes, packets })
        }
        FromWorker::TargetIndexed { summary } => {
            d.dispatch(Action::TargetIndexed(summary));
            if let Some(rt) = &rt {
                if let (Some(b), Some(f)) = (&rt.hash, rt.target_file.borrow_mut().take()) {
                    b.send_file(&ToWorker::Hash { side: Side::Target }, &f);
                }
            }
        }
        FromWorker::Comparing { stage } => {
            mark("phase", "comparing");
            d.dispatch(Action::Comparing(stage));
        }
        FromWorker::Compared {
            summary,
            displayed,
            millis,
        } => {
            mark("compare-ms", &format!("{millis:.1}"));
            mark("compare-lost", &summary.lost.to_string());
            mark("compare-matched", &summary.matched.to_string());
            d.dispatch(Action::Compared { summary, displayed });
            mark("displayed", &displayed.to_string());
            mark("phase", "compared");
            bump("compare-seq");
        }
        FromWorker::PairRows {
            id,
            rows,
            displayed,
        } => d.dispatch(Action::PairRows {
            gen: id,
            rows,
            displayed,
        }),
        FromWorker::Diff { src, dst, fields } => d.dispatch(Action::Diff { src, dst, fields }),
        FromWorker::Followed {
            stream,
            streams,
            nodes,
            chunks,
            truncated,
        } => d.dispatch(Action::Followed(std::rc::Rc::new(
            crate::model::FollowResult {
                stream,
                streams,
                nodes,
                chunks,
                truncated,
            },
        ))),
        FromWorker::Stats {
            kind,
            displayed,
            packets,
            grid,
        } => d.dispatch(Action::Stats(std::rc::Rc::new(crate::model::StatsResult {
            kind,
            displayed,
            packets,
            grid,
        }))),
        FromWorker::Error { message } => d.dispatch(Action::Error(message)),
    }
}

/// The page.
#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(State::default);
    let rt_cell = use_mut_ref(|| None::<Rc<Runtime>>);
    if rt_cell.borrow().is_none() {
        let slot: Rc<RefCell<Option<Rc<Runtime>>>> = Rc::new(RefCell::new(None));
        let (d1, s1) = (state.dispatcher(), slot.clone());
        let index = Bridge::new(move |m| on_worker_message(&s1, &d1, m));
        let (d2, s2) = (state.dispatcher(), slot.clone());
        let hash = Bridge::new(move |m| on_worker_message(&s2, &d2, m));
        if let Err(e) = &index {
            state.dispatch(Action::Error(format!("could not start the worker: {e:?}")));
        }
        let rt = Rc::new(Runtime {
            index: index.ok(),
            hash: hash.ok(),
            open_t0: Cell::new(0.0),
            first_rows: Cell::new(false),
            filter_id: Cell::new(0),
            file: RefCell::new(None),
            target_file: RefCell::new(None),
            last_rows: Cell::new((u32::MAX, 0, 0)),
            pending_packet: Cell::new(None),
            opens: Cell::new(0),
            link_applied_to: Cell::new(0),
            link_offset_sent: Cell::new(0),
        });
        *slot.borrow_mut() = Some(rt.clone());
        *rt_cell.borrow_mut() = Some(rt);
    }
    let rt = rt_cell.borrow().clone().expect("runtime created above");

    let ctl = use_memo((), |_| {
        let dispatch = {
            let d = state.dispatcher();
            Callback::from(move |a: Action| d.dispatch(a))
        };
        let send = {
            let rt = rt.clone();
            let d = state.dispatcher();
            Callback::from(move |m: ToWorker| {
                if let ToWorker::Filter { id, .. } = &m {
                    rt.filter_id.set(*id);
                    d.dispatch(Action::FilterApplying);
                }
                rt.send(&m)
            })
        };
        let open = {
            let rt = rt.clone();
            let d = state.dispatcher();
            Callback::from(move |files: Vec<File>| {
                if files.is_empty() {
                    return;
                }
                let (name, size) = set_name(&files);
                rt.open_t0.set(now());
                rt.opens.set(rt.opens.get() + 1);
                // A filter still running on the previous file must not land on this one.
                rt.filter_id.set(panes::next_filter_id());
                rt.first_rows.set(false);
                rt.last_rows.set((u32::MAX, 0, 0));
                mark("phase", "indexing");
                mark("first-rows-ms", "");
                bump("open-seq");
                d.dispatch(Action::Open { name, size });
                rt.open_side(files, Side::Source);
            })
        };
        let open_target = {
            let rt = rt.clone();
            let d = state.dispatcher();
            Callback::from(move |files: Vec<File>| {
                if files.is_empty() {
                    return;
                }
                let (name, size) = set_name(&files);
                mark("compare-lost", "");
                d.dispatch(Action::OpenTarget { name, size });
                rt.open_side(files, Side::Target);
            })
        };
        Ctl {
            dispatch,
            send,
            open,
            open_target,
        }
    });
    let ctl = (*ctl).clone();

    // Fetch the rows the list needs.
    {
        let rt = rt.clone();
        let s = state.clone();
        use_effect_with(
            (
                state.first,
                state.visible,
                state.view_gen,
                state.displayed,
                state.time_format,
            ),
            move |_| {
                if let Some((start, count)) = s.missing_rows(OVERSCAN) {
                    let key = (s.view_gen, start, count);
                    if rt.last_rows.get() != key {
                        rt.last_rows.set(key);
                        if s.compare.is_some() {
                            rt.send(&ToWorker::PairRows {
                                start,
                                count,
                                time: s.time_format,
                                id: s.view_gen,
                            });
                        } else {
                            rt.send(&ToWorker::Rows {
                                start,
                                count,
                                time: s.time_format,
                                id: s.view_gen,
                            });
                        }
                    }
                }
            },
        );
    }
    // Details of the selected packet.
    {
        let rt = rt.clone();
        use_effect_with(
            (state.selected, state.selected_pair),
            move |&(sel, pair)| match pair {
                Some((src, dst)) => {
                    if src != 0 {
                        rt.send(&ToWorker::Details {
                            frame: src,
                            side: Side::Source,
                        });
                    }
                    if dst != 0 {
                        rt.send(&ToWorker::Details {
                            frame: dst,
                            side: Side::Target,
                        });
                    }
                    if src != 0 && dst != 0 {
                        rt.send(&ToWorker::Diff { src, dst });
                    }
                }
                None => {
                    if let Some(frame) = sel {
                        rt.send(&ToWorker::Details {
                            frame,
                            side: Side::Source,
                        });
                    }
                }
            },
        );
    }
    // Sort requests.
    {
        let rt = rt.clone();
        let first = use_mut_ref(|| true);
        use_effect_with(state.sort, move |&(column, ascending)| {
            if !std::mem::replace(&mut *first.borrow_mut(), false) {
                rt.send(&ToWorker::Sort { column, ascending });
            }
        });
    }
    // Theme and counters on <html>.
    {
        use_effect_with(
            (state.theme, state.total, state.displayed),
            move |&(theme, total, displayed)| {
                mark(
                    "theme",
                    match theme {
                        Theme::System => "system",
                        Theme::Light => "light",
                        Theme::Dark => "dark",
                    },
                );
                mark("displayed", &displayed.to_string());
                if mark_get("phase").as_deref() != Some("ready") {
                    mark("total", &total.to_string());
                }
            },
        );
    }
    // Ctrl+G, Escape for dialogs: on the window.
    {
        let d = state.dispatcher();
        use_effect_with((), move |_| {
            let cb = wasm_bindgen::closure::Closure::<dyn FnMut(KeyboardEvent)>::new(
                move |e: KeyboardEvent| {
                    if (e.ctrl_key() || e.meta_key()) && e.key().eq_ignore_ascii_case("g") {
                        e.prevent_default();
                        if let Some(el) = web_sys::window()
                            .and_then(|w| w.document())
                            .and_then(|d| {
                                d.query_selector("[data-testid=goto-input]").ok().flatten()
                            })
                            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
                        {
                            let _ = el.focus();
                        }
                    } else if e.ctrl_key()
                        && e.alt_key()
                        && e.shift_key()
                        && e.key().eq_ignore_ascii_case("t")
                    {
                        // Wireshark's Follow TCP Stream shortcut.
                        e.prevent_default();
                        if let Some(el) = web_sys::window()
                            .and_then(|w| w.document())
                            .and_then(|d| {
                                d.query_selector("[data-testid=follow-stream]")
                                    .ok()
                                    .flatten()
                            })
                            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
                        {
                            el.click();
                        }
                    } else if e.key() == "Escape" {
                        d.dispatch(Action::DismissError);
                    }
                },
            );
            let w = web_sys::window();
            if let Some(w) = &w {
                let _ = w.add_event_listener_with_callback("keydown", cb.as_ref().unchecked_ref());
            }
            move || {
                if let Some(w) = w {
                    let _ = w.remove_event_listener_with_callback(
                        "keydown",
                        cb.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }

    // The URL fragment: a view link (`#v=1&…`), and/or `open=PATH` (and `target=PATH`) to
    // open captures served beside the page (the demo, `paircap view`). Read on load and
    // whenever it changes (a link pasted into the address bar).
    {
        let open = ctl.open.clone();
        let open_target = ctl.open_target.clone();
        let d = state.dispatcher();
        use_effect_with((), move |_| {
            let apply = move || {
                let hash = web_sys::window()
                    .and_then(|w| w.location().hash().ok())
                    .unwrap_or_default();
                let frag = hash.strip_prefix('#').unwrap_or(&hash).to_string();
                if ViewLink::is_link(&frag) {
                    match ViewLink::parse(&frag) {
                        Ok(l) => d.dispatch(Action::LinkLoaded(l)),
                        Err(e) => {
                            d.dispatch(Action::Error(format!("this view link cannot be read: {e}")))
                        }
                    }
                }
                // Each `open=` / `target=` names a file; several of one kind are a set.
                let paths = |key: &str| -> Vec<String> {
                    frag.split('&')
                        .filter_map(|kv| kv.strip_prefix(key))
                        .map(|p| {
                            js_sys::decode_uri_component(p)
                                .ok()
                                .and_then(|s| s.as_string())
                                .unwrap_or_default()
                        })
                        .collect()
                };
                let (sources, targets) = (paths("open="), paths("target="));
                // Resolved as the browser would (`https:evil.example/x` has no "//"), then
                // required to be on this page's origin.
                let remote = |p: &&String| !same_origin_path(p);
                if let Some((key, bad)) = sources
                    .iter()
                    .find(remote)
                    .map(|b| ("open", b))
                    .or_else(|| targets.iter().find(remote).map(|b| ("target", b)))
                {
                    d.dispatch(Action::Error(format!(
                        "#{key}= takes a path on this server, not {bad}"
                    )));
                } else if !sources.is_empty() {
                    let (open, open_target, d) = (open.clone(), open_target.clone(), d.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        for (list, cb) in [(sources, open), (targets, open_target)] {
                            let mut files = Vec::new();
                            for path in &list {
                                match fetch_file(path).await {
                                    Ok(f) => files.push(f),
                                    Err(e) => {
                                        return d.dispatch(Action::Error(format!(
                                            "could not load {path}: {e}"
                                        )))
                                    }
                                }
                            }
                            if !files.is_empty() {
                                cb.emit(files);
                            }
                        }
                    });
                }
            };
            apply();
            let cb = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(apply);
            let w = web_sys::window();
            if let Some(w) = &w {
                let _ =
                    w.add_event_listener_with_callback("hashchange", cb.as_ref().unchecked_ref());
            }
            move || {
                if let Some(w) = w {
                    let _ = w.remove_event_listener_with_callback(
                        "hashchange",
                        cb.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }
    // A view link meets its file(s): for a compare, once both are compared (with the
    // link's clock offset, if it has one); then its filter, then its packet.
    {
        let rt = rt.clone();
        let s = state.clone();
        let d = state.dispatcher();
        let compared = state.compare.is_some();
        use_effect_with(
            (
                state.phase == Phase::Ready,
                state.link.is_some(),
                compared,
                state.view_gen,
            ),
            move |&(ready, has_link, compared, _)| {
                let Some(l) = s.link.as_ref().filter(|_| ready && has_link) else {
                    return;
                };
                if rt.link_applied_to.get() == rt.opens.get() {
                    return;
                }
                if l.target.is_some() && !compared {
                    return; // waiting for the target and the compare
                }
                if let (Some(ms), false) = (
                    l.clock_offset_ms,
                    rt.link_offset_sent.get() == rt.opens.get(),
                ) {
                    rt.link_offset_sent.set(rt.opens.get());
                    d.dispatch(Action::SetOffset(Some(ms)));
                    rt.send(&ToWorker::Compare {
                        offset_ms: Some(ms),
                    });
                    return; // applied when this compare is done
                }
                rt.link_applied_to.set(rt.opens.get());
                rt.pending_packet.set(l.packet);
                if !l.filter.is_empty() {
                    // Shown in the filter box, run only when the user says so (the banner's
                    // button): a link is text from someone else.
                    d.dispatch(Action::FilterText(l.filter.clone()));
                    d.dispatch(Action::LinkFilterPending(Some(l.filter.clone())));
                } else if let Some(p) = rt.pending_packet.take() {
                    rt.send(&ToWorker::FindPacket {
                        frame: p.frame.min(u64::from(u32::MAX)) as u32,
                        digest: p.digest,
                    });
                }
                d.dispatch(Action::LinkApplied);
            },
        );
    }

    let ondragover = Callback::from(|e: DragEvent| e.prevent_default());
    let ondrop = {
        let open = ctl.open.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            // Several files dropped at once: one capture (a rotated set).
            if let Some(l) = e.data_transfer().and_then(|t| t.files()) {
                open.emit((0..l.length()).filter_map(|i| l.get(i)).collect());
            }
        })
    };

    let on_nav = {
        let d = ctl.dispatch.clone();
        Callback::from(move |n: Nav| d.emit(Action::Key(n)))
    };

    html! {
        <div class="app" {ondragover} {ondrop}>
            <bars::Toolbar state={state.clone()} ctl={ctl.clone()} />
            if let Some(err) = &state.error {
                <div class="error-banner" data-testid="error-banner" role="alert">
                    <span class="msg">{ err.clone() }</span>
                    <button class="dismiss" onclick={ctl.dispatch.reform(|_| Action::DismissError)} title="Dismiss (Esc)">{ "×" }</button>
                </div>
            }
            { link_banner(&state, &ctl) }
            if let Some(info) = &state.info {
                <div class="info-banner" data-testid="info-banner" role="status">
                    <span class="msg">{ info.clone() }</span>
                    <button class="dismiss" onclick={ctl.dispatch.reform(|_| Action::DismissError)} title="Dismiss (Esc)">{ "×" }</button>
                </div>
            }
            if let Phase::Indexing { bytes, size } = state.phase {
                <div class="progress" data-testid="progress"><div class="bar" style={format!("width:{:.1}%", if size == 0 { 100.0 } else { bytes as f64 * 100.0 / size as f64 })}></div></div>
            }
            if state.phase == Phase::Empty {
                <bars::EmptyState ctl={ctl.clone()} />
            } else {
                <compare::SummaryPanel state={state.clone()} ctl={ctl.clone()} />
                if let Some(stage) = &state.comparing {
                    <div class="info-banner comparing" data-testid="compare-progress" role="status">{ format!("Compare: {stage}…") }</div>
                }
                <div class="work" style={format!("grid-template-rows: {:.1}% 6px 1fr", state.list_pct)}>
                    <list::PacketList state={state.clone()} ctl={ctl.clone()} on_nav={on_nav} />
                    <bars::Splitter vertical={false} ctl={ctl.clone()} />
                    <div class="lower" style={format!("grid-template-columns: {:.1}% 6px 1fr", state.details_pct)}>
                        <panes::DetailsPane state={state.clone()} ctl={ctl.clone()} />
                        <bars::Splitter vertical={true} ctl={ctl.clone()} />
                        if state.compare.is_some() {
                            <panes::DetailsPane state={state.clone()} ctl={ctl.clone()} side={1} />
                        } else {
                            <panes::HexPane state={state.clone()} ctl={ctl.clone()} />
                        }
                    </div>
                </div>
            }
            <bars::StatusBar state={state.clone()} ctl={ctl.clone()} />
            if state.show_properties {
                <bars::Properties state={state.clone()} ctl={ctl.clone()} />
            }
            if state.show_legend {
                <bars::Legend ctl={ctl.clone()} />
            }
            if state.share.is_some() {
                <bars::ShareDialog state={state.clone()} ctl={ctl.clone()} />
            }
            if state.show_export {
                <bars::ExportDialog state={state.clone()} ctl={ctl.clone()} />
            }
            if state.show_stats {
                <stats::StatsDialog state={state.clone()} ctl={ctl.clone()} />
            }
            if state.show_follow {
                <follow::FollowDialog state={state.clone()} ctl={ctl.clone()} />
            }
        </div>
    }
}

/// What a view link refers to and whether the opened file is that one.
fn link_banner(state: &State, ctl: &Ctl) -> Html {
    let Some(l) = &state.link else {
        return Html::default();
    };
    let files: Vec<String> = [l.source.as_ref(), l.target.as_ref()]
        .into_iter()
        .flatten()
        .map(|f| {
            let sha = if f.sha256.is_empty() {
                String::new()
            } else {
                format!(", SHA-256 {}…", &f.sha256[..12])
            };
            format!("{} ({} bytes{sha})", f.name, f.size)
        })
        .collect();
    let note = (!l.note.is_empty()).then(|| html! { <div class="note" data-testid="link-note">{ format!("Note: {}", l.note) }</div> });
    let (class, text) = match &state.link_status {
        LinkStatus::None => return Html::default(),
        LinkStatus::Waiting => ("link-banner", format!("This link shows a view of {}. Open the file to see it — the link holds no packets.", files.join(" and "))),
        LinkStatus::Applied if state.link_filter_pending.is_some() => ("link-banner", "View from the link restored but for its filter, which waits for you; checking the file's SHA-256…".to_string()),
        LinkStatus::Verified if state.link_filter_pending.is_some() => ("link-banner ok", "View from the link restored but for its filter, which waits for you. The file's SHA-256 matches the link.".to_string()),
        LinkStatus::Applied => ("link-banner", "View from the link applied; checking the file's SHA-256…".to_string()),
        LinkStatus::Verified => ("link-banner ok", "View from the link applied. The file's SHA-256 matches the link.".to_string()),
        LinkStatus::Mismatch(m) => ("link-banner warn", format!("Not the file this link was made with: {m}.")),
    };
    let testid = if matches!(state.link_status, LinkStatus::Mismatch(_)) {
        "link-warning"
    } else {
        "link-banner"
    };
    let confirm = state.link_filter_pending.as_ref().map(|f| {
        let run = {
            let (d, send, f) = (ctl.dispatch.clone(), ctl.send.clone(), f.clone());
            Callback::from(move |_: MouseEvent| {
                d.emit(Action::LinkFilterPending(None));
                d.emit(Action::FilterText(f.clone()));
                send.emit(ToWorker::Filter {
                    text: f.clone(),
                    id: panes::next_filter_id(),
                });
            })
        };
        // Ignored: every packet shown (an empty filter, which also selects the link's
        // packet once it is done, as after the link's filter).
        let skip = {
            let (d, send) = (ctl.dispatch.clone(), ctl.send.clone());
            Callback::from(move |_: MouseEvent| {
                d.emit(Action::LinkFilterPending(None));
                d.emit(Action::FilterText(String::new()));
                send.emit(ToWorker::Filter {
                    text: String::new(),
                    id: panes::next_filter_id(),
                });
            })
        };
        html! {
            <div class="link-filter" data-testid="link-filter">
                <span>{ "The link holds a display filter (in the filter box): " }<code>{ f.clone() }</code></span>
                <button data-testid="link-apply-filter" onclick={run}>{ "Apply it" }</button>
                <button data-testid="link-skip-filter" onclick={skip}>{ "Ignore" }</button>
            </div>
        }
    });
    html! { <div class={class} data-testid={testid} role="status"><span>{ text }</span>{ note.unwrap_or_default() }{ confirm.unwrap_or_default() }</div> }
}

thread_local! {
    /// File name for the export being made.
    static EXPORT_NAME: RefCell<String> = const { RefCell::new(String::new()) };
    /// This page's anonymisation secret: random, never leaves the page, the same for every
    /// export made here (so both files of a pair get the same pseudonyms).
    static SECRET: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// Sets the file name of the next export.
pub fn set_export_name(name: String) {
    EXPORT_NAME.with(|n| *n.borrow_mut() = name);
}

/// The page's anonymisation secret (32 random bytes from the browser's CSPRNG).
pub fn page_secret() -> Vec<u8> {
    SECRET.with(|s| {
        s.borrow_mut()
            .get_or_insert_with(|| {
                let mut b = vec![0u8; 32];
                if let Some(c) = web_sys::window().and_then(|w| w.crypto().ok()) {
                    let _ = c.get_random_values_with_u8_array(&mut b);
                }
                b
            })
            .clone()
    })
}

/// Saves bytes from the worker as a download.
fn download(buf: &wasm_bindgen::JsValue, name: &str) -> Result<(), String> {
    download_as(buf, name, "application/x-pcapng")
}

/// Offers `buf` as a download named `name` of type `mime`.
pub(crate) fn download_as(
    buf: &wasm_bindgen::JsValue,
    name: &str,
    mime: &str,
) -> Result<(), String> {
    let parts = js_sys::Array::of1(buf);
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_buffer_source_sequence_and_options(&parts, &opts)
        .map_err(|e| format!("{e:?}"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))?;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = doc
        .create_element("a")
        .map_err(|e| format!("{e:?}"))?
        .unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.click();
    // The download has started from the URL; release it a little later.
    let cb = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(w) = web_sys::window() {
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), 60_000);
    }
    Ok(())
}

/// Fetches a file served beside the page as a `File`.
/// True if `path`, resolved against the page's URL, stays on the page's origin.
fn same_origin_path(path: &str) -> bool {
    let Some(loc) = web_sys::window().map(|w| w.location()) else {
        return false;
    };
    let (Ok(href), Ok(origin)) = (loc.href(), loc.origin()) else {
        return false;
    };
    web_sys::Url::new_with_base(path, &href).is_ok_and(|u| u.origin() == origin)
}

async fn fetch_file(path: &str) -> Result<File, String> {
    use wasm_bindgen_futures::JsFuture;
    let w = web_sys::window().ok_or("no window")?;
    let resp: web_sys::Response = JsFuture::from(w.fetch_with_str(path))
        .await
        .map_err(|e| format!("{e:?}"))?
        .unchecked_into();
    if !resp.ok() {
        return Err(format!("HTTP {}", resp.status()));
    }
    let blob = JsFuture::from(resp.blob().map_err(|e| format!("{e:?}"))?)
        .await
        .map_err(|e| format!("{e:?}"))?;
    let name = path.rsplit('/').next().unwrap_or(path);
    File::new_with_blob_sequence(&js_sys::Array::of1(&blob), name).map_err(|e| format!("{e:?}"))
}

/// Mounts the page on `#app` (or `<body>`).
pub fn start_app() {
    let doc = web_sys::window().and_then(|w| w.document());
    let root = doc
        .as_ref()
        .and_then(|d| d.get_element_by_id("app"))
        .or_else(|| doc.and_then(|d| d.body()).map(Into::into));
    match root {
        Some(r) => {
            yew::Renderer::<App>::with_root(r).render();
        }
        None => web_sys::console::error_1(&"paircap: no #app element".into()),
    }
}
