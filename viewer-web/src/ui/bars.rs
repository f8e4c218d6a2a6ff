//! Toolbar (open, filter, time format, go to), empty state, splitters, status bar, capture
//! properties and the colour legend.

use super::panes::next_filter_id;
use super::Ctl;
use crate::engine::COLOR_RULES;
use crate::model::{completions, Action, Completion, FilterState, Phase, State, Theme};
use crate::proto::{Side, TimeFormat, ToWorker};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement, KeyboardEvent, MouseEvent};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct BarProps {
    pub state: yew::UseReducerHandle<State>,
    pub ctl: Ctl,
}

#[derive(Properties, PartialEq)]
pub struct CtlProps {
    pub ctl: Ctl,
}

fn input_of(e: &Event) -> Option<HtmlInputElement> {
    e.target()
        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
}

/// Validates filter text on the page (the same compiler the worker runs).
fn check(ctl: &Ctl, text: &str) {
    let (problem, display) = match shared_decode::filter::compile(text) {
        _ if text.trim().is_empty() => (None, String::new()),
        Ok(f) => (
            None,
            if f.translated_from_bpf() {
                f.display()
            } else {
                String::new()
            },
        ),
        Err(e) => (
            Some(crate::proto::FilterProblem {
                message: e.message.clone(),
                start: e.start as u32,
                end: e.end as u32,
                rendered: e.render(),
            }),
            String::new(),
        ),
    };
    ctl.dispatch.emit(Action::FilterChecked {
        text: text.to_string(),
        problem,
        display,
    });
}

fn apply(ctl: &Ctl, text: &str) {
    ctl.dispatch.emit(Action::FilterText(text.to_string()));
    ctl.send.emit(ToWorker::Filter {
        text: text.to_string(),
        id: next_filter_id(),
    });
}

#[function_component(Toolbar)]
pub fn toolbar(p: &BarProps) -> Html {
    let s = &p.state;
    let input = use_node_ref();
    let offers = use_state(|| (0usize, Vec::<Completion>::new()));
    let pick = use_state(|| None::<usize>);
    let show_history = use_state(|| false);

    let onchange_file = {
        let open = p.ctl.open.clone();
        Callback::from(move |e: Event| {
            // Several files: one capture (a rotated set).
            if let Some(l) = input_of(&e).and_then(|i| i.files()) {
                open.emit((0..l.length()).filter_map(|i| l.get(i)).collect());
            }
        })
    };

    let onchange_target = {
        let open = p.ctl.open_target.clone();
        Callback::from(move |e: Event| {
            // Several files: one capture (a rotated set).
            if let Some(l) = input_of(&e).and_then(|i| i.files()) {
                open.emit((0..l.length()).filter_map(|i| l.get(i)).collect());
            }
        })
    };

    let oninput = {
        let (ctl, offers, pick, hist) = (
            p.ctl.clone(),
            offers.clone(),
            pick.clone(),
            show_history.clone(),
        );
        Callback::from(move |e: InputEvent| {
            let Some(i) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            else {
                return;
            };
            let text = i.value();
            let cursor = i
                .selection_start()
                .ok()
                .flatten()
                .unwrap_or(text.len() as u32) as usize;
            ctl.dispatch.emit(Action::FilterText(text.clone()));
            check(&ctl, &text);
            offers.set(completions(&text, cursor, 12));
            pick.set(None);
            hist.set(false);
        })
    };

    let accept = {
        let (ctl, offers, pick, input) =
            (p.ctl.clone(), offers.clone(), pick.clone(), input.clone());
        Rc::new(move |k: usize| {
            let Some(i) = input.cast::<HtmlInputElement>() else {
                return;
            };
            let text = i.value();
            let (start, list) = &*offers;
            let Some(c) = list.get(k) else { return };
            let cursor = i
                .selection_start()
                .ok()
                .flatten()
                .unwrap_or(text.len() as u32) as usize;
            let mut t = String::new();
            t.push_str(text.get(..*start).unwrap_or(""));
            t.push_str(&c.insert);
            let after = text.get(cursor.min(text.len())..).unwrap_or("");
            t.push_str(after);
            i.set_value(&t);
            let at = (start + c.insert.len()) as u32;
            let _ = i.set_selection_range(at, at);
            ctl.dispatch.emit(Action::FilterText(t.clone()));
            check(&ctl, &t);
            offers.set((0, Vec::new()));
            pick.set(None);
        })
    };

    let onkeydown = {
        let (ctl, offers, pick, hist, accept) = (
            p.ctl.clone(),
            offers.clone(),
            pick.clone(),
            show_history.clone(),
            accept.clone(),
        );
        let history_len = s.history.len();
        let history = s.history.clone();
        Callback::from(move |e: KeyboardEvent| {
            let Some(i) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            else {
                return;
            };
            let n = offers.1.len();
            match e.key().as_str() {
                "ArrowDown" if n > 0 => {
                    e.prevent_default();
                    pick.set(Some(pick.map_or(0, |k| (k + 1) % n)));
                }
                "ArrowUp" if n > 0 => {
                    e.prevent_default();
                    pick.set(Some(pick.map_or(n - 1, |k| (k + n - 1) % n)));
                }
                "ArrowDown" if history_len > 0 => {
                    e.prevent_default();
                    hist.set(true);
                }
                "Tab" if n > 0 => {
                    e.prevent_default();
                    accept(pick.unwrap_or(0));
                }
                "Enter" => {
                    e.prevent_default();
                    if let (Some(k), true) = (*pick, n > 0) {
                        accept(k);
                    } else {
                        offers.set((0, Vec::new()));
                        hist.set(false);
                        apply(&ctl, &i.value());
                    }
                }
                "Escape" => {
                    e.prevent_default();
                    e.stop_propagation();
                    if n > 0 || *hist {
                        offers.set((0, Vec::new()));
                        hist.set(false);
                    } else {
                        i.set_value("");
                        check(&ctl, "");
                        apply(&ctl, "");
                    }
                }
                _ => {}
            }
            let _ = &history;
        })
    };
    let onblur = {
        let (offers, hist) = (offers.clone(), show_history.clone());
        Callback::from(move |_: FocusEvent| {
            // Let a click on an offer land first.
            let (offers, hist) = (offers.clone(), hist.clone());
            let cb = wasm_bindgen::closure::Closure::once_into_js(move || {
                offers.set((0, Vec::new()));
                hist.set(false);
            });
            if let Some(w) = web_sys::window() {
                let _ = w
                    .set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), 150);
            }
        })
    };

    let filter_class = match &s.filter {
        FilterState::Neutral => "neutral",
        FilterState::Valid(_) => "valid",
        FilterState::Invalid(_) => "invalid",
        FilterState::Applying => "applying",
    };
    let dropdown = if !offers.1.is_empty() {
        let items = offers.1.iter().enumerate().map(|(k, c)| {
            let accept = accept.clone();
            html! {
                <li class={classes!((*pick == Some(k)).then_some("picked"))} onmousedown={Callback::from(move |e: MouseEvent| { e.prevent_default(); accept(k) })}>
                    <code>{ c.insert.clone() }</code><span class="what">{ c.detail.clone() }</span>
                </li>
            }
        });
        html! { <ul class="completions" data-testid="filter-completions">{ for items }</ul> }
    } else if *show_history {
        let items = s.history.iter().map(|h| {
            let (ctl, h2, hist, input) = (
                p.ctl.clone(),
                h.clone(),
                show_history.clone(),
                input.clone(),
            );
            html! {
                <li onmousedown={Callback::from(move |e: MouseEvent| {
                    e.prevent_default();
                    if let Some(i) = input.cast::<HtmlInputElement>() { i.set_value(&h2); }
                    check(&ctl, &h2);
                    apply(&ctl, &h2);
                    hist.set(false);
                })}><code>{ h.clone() }</code></li>
            }
        });
        html! { <ul class="completions history" data-testid="filter-history">{ for items }</ul> }
    } else {
        Html::default()
    };

    let on_time = {
        let d = p.ctl.dispatch.clone();
        Callback::from(move |e: Event| {
            if let Some(sel) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
            {
                if let Some(t) = TimeFormat::from_key(&sel.value()) {
                    d.emit(Action::SetTimeFormat(t));
                }
            }
        })
    };
    let on_goto = {
        let send = p.ctl.send.clone();
        let d = p.ctl.dispatch.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() != "Enter" {
                return;
            }
            let Some(i) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            else {
                return;
            };
            match i.value().trim().parse::<u32>() {
                Ok(frame) => send.emit(ToWorker::Locate {
                    frame,
                    side: Side::Source,
                }),
                Err(_) => d.emit(Action::Error(format!(
                    "\"{}\" is not a packet number",
                    i.value().trim()
                ))),
            }
        })
    };
    let on_theme = {
        let d = p.ctl.dispatch.clone();
        Callback::from(move |e: Event| {
            if let Some(sel) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
            {
                d.emit(Action::SetTheme(match sel.value().as_str() {
                    "light" => Theme::Light,
                    "dark" => Theme::Dark,
                    _ => Theme::System,
                }));
            }
        })
    };
    let apply_btn = {
        let (ctl, input) = (p.ctl.clone(), input.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(i) = input.cast::<HtmlInputElement>() {
                apply(&ctl, &i.value());
            }
        })
    };

    html! {
            <header class="toolbar">
                <span class="brand" title="paircap viewer: captures stay in this tab">{ "paircap" }</span>
                <label class="button open" title="Open a pcap, pcapng or gzip capture (or drop it anywhere); several files at once are one capture (a rotated set)">
                    { "Open…" }
                    <input id="file" type="file" multiple=true data-testid="open-file" accept=".pcap,.pcapng,.cap,.gz,.pcap.gz,.pcapng.gz,application/vnd.tcpdump.pcap" onchange={onchange_file} />
                </label>
    <label class="button open target" title="Compare: open the capture of the same traffic from the other end of the path (several files: a rotated set)">
                    { "Compare…" }
                    <input id="file-target" type="file" multiple=true data-testid="open-target" accept=".pcap,.pcapng,.cap,.gz,.pcap.gz,.pcapng.gz,application/vnd.tcpdump.pcap" onchange={onchange_target} disabled={s.file.is_none()} />
                </label>
                <div class="filter-box">
                    <input ref={input} class={classes!("filter", filter_class)} type="text" spellcheck="false" autocomplete="off"
                           data-testid="filter-input" placeholder="Display filter: tcp.port == 443 && ip.addr == 10.0.0.0/8   or tcpdump: host 10.0.0.1 and port 22"
                           value={s.filter_text.clone()} {oninput} {onkeydown} {onblur} aria-invalid={matches!(s.filter, FilterState::Invalid(_)).to_string()} />
                    { dropdown }
                    if let FilterState::Invalid(pr) = &s.filter {
                        <pre class="filter-error" data-testid="filter-error">{ pr.rendered.clone() }</pre>
                    }
                    if let FilterState::Valid(disp) = &s.filter {
                        if !disp.is_empty() && disp != &s.filter_text {
                            <div class="filter-translation" data-testid="filter-translation">{ "tcpdump syntax, as a display filter: " }<code>{ disp.clone() }</code></div>
                        }
                    }
                </div>
                <button onclick={apply_btn} data-testid="filter-apply" title="Apply the filter (Enter)">{ "Apply" }</button>
                <button data-testid="share-link" title="A link to this view for support (no packets in it)" disabled={s.file.is_none()}
                        onclick={p.ctl.dispatch.reform(|_| Action::ShowShare(String::new()))}>{ "Share" }</button>
                <button data-testid="follow-stream" title="Follow the selected packet's TCP stream (Ctrl+Alt+Shift+T)"
                        disabled={s.selected.is_none() || s.compare.is_some()}
                        onclick={{
                            let (d, send, sel) = (p.ctl.dispatch.clone(), p.ctl.send.clone(), s.selected);
                            Callback::from(move |_: MouseEvent| {
                                if let Some(frame) = sel {
                                    d.emit(Action::FollowAsked);
                                    send.emit(ToWorker::Follow { frame, stream: None });
                                }
                            })
                        }}>{ "Follow" }</button>
                <button data-testid="stats" title="Conversations, endpoints, protocol hierarchy; in a compare, what each conversation lost" disabled={s.summary.is_none() || (s.compare.is_none() && s.target.is_some())}
                        onclick={{
                            let (d, send) = (p.ctl.dispatch.clone(), p.ctl.send.clone());
                            let open = s.show_stats;
                            let comparing = s.compare.is_some();
                            Callback::from(move |_: MouseEvent| {
                                d.emit(Action::ToggleStats);
                                if !open {
                                    let kind = if comparing { "compare,conv" } else { "conv,tcp" }.to_string();
                                    d.emit(Action::StatsAsked { kind: kind.clone(), displayed: false });
                                    send.emit(ToWorker::Stats { kind, displayed: false });
                                }
                            })
                        }}>{ "Statistics…" }</button>
                <button data-testid="export" title="Save the displayed packets as pcapng (optionally anonymised)" disabled={s.summary.is_none()}
                        onclick={p.ctl.dispatch.reform(|_| Action::ToggleExport)}>{ "Export…" }</button>
                <select onchange={on_time} data-testid="time-format" title="Time column">
                    { for TimeFormat::ALL.iter().map(|t| html! { <option value={t.key()} selected={*t == s.time_format}>{ t.label() }</option> }) }
                </select>
                <input class="goto" type="text" inputmode="numeric" placeholder="Go to packet (Ctrl+G)" data-testid="goto-input" onkeydown={on_goto} />
                <select onchange={on_theme} title="Theme" data-testid="theme">
                    <option value="system" selected={s.theme == Theme::System}>{ "Theme: system" }</option>
                    <option value="light" selected={s.theme == Theme::Light}>{ "Light" }</option>
                    <option value="dark" selected={s.theme == Theme::Dark}>{ "Dark" }</option>
                </select>
            </header>
        }
}

#[function_component(EmptyState)]
pub fn empty_state(_p: &CtlProps) -> Html {
    html! {
        <div class="empty-state" data-testid="empty-state">
            <h1>{ "Open a capture to start" }</h1>
            <p>{ "Drop a .pcap, .pcapng or .gz file anywhere on this page, or use " }<b>{ "Open…" }</b>{ " above." }</p>
            <p class="fine">{ "The file is read inside this browser tab; nothing is uploaded. Millions of packets are fine." }</p>
            <p class="fine">{ "Capture one with " }<code>{ "paircap capture -i eth0 -w out.pcapng" }</code>{ ", or open both ends of a path to compare them." }</p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct SplitProps {
    pub vertical: bool,
    pub ctl: Ctl,
}

/// A drag handle between panes.
#[function_component(Splitter)]
pub fn splitter(p: &SplitProps) -> Html {
    let vertical = p.vertical;
    let d = p.ctl.dispatch.clone();
    let onmousedown = Callback::from(move |e: MouseEvent| {
        e.prevent_default();
        let Some(target) = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let Some(parent) = target.parent_element() else {
            return;
        };
        let d = d.clone();
        let mv =
            wasm_bindgen::closure::Closure::<dyn FnMut(MouseEvent)>::new(move |m: MouseEvent| {
                let r = parent.get_bounding_client_rect();
                if vertical {
                    let pct = (f64::from(m.client_x()) - r.left()) / r.width().max(1.0) * 100.0;
                    d.emit(Action::Resize {
                        list_pct: None,
                        details_pct: Some(pct),
                    });
                } else {
                    let pct = (f64::from(m.client_y()) - r.top()) / r.height().max(1.0) * 100.0;
                    d.emit(Action::Resize {
                        list_pct: Some(pct),
                        details_pct: None,
                    });
                }
            });
        let Some(w) = web_sys::window() else { return };
        let mv_fn: js_sys::Function = mv.into_js_value().unchecked_into();
        let _ = w.add_event_listener_with_callback("mousemove", &mv_fn);
        let w2 = w.clone();
        let up = wasm_bindgen::closure::Closure::once_into_js(move || {
            let _ = w2.remove_event_listener_with_callback("mousemove", &mv_fn);
        });
        let opts = web_sys::AddEventListenerOptions::new();
        opts.set_once(true);
        let _ = w.add_event_listener_with_callback_and_add_event_listener_options(
            "mouseup",
            up.unchecked_ref(),
            &opts,
        );
    });
    html! { <div class={classes!("splitter", if vertical { "v" } else { "h" })} {onmousedown} role="separator"></div> }
}

fn human_size(n: u64) -> String {
    const U: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < U.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", U[u])
    }
}

fn span_text(first_ns: i64, last_ns: i64) -> String {
    let secs = (last_ns - first_ns) as f64 / 1e9;
    if secs < 60.0 {
        format!("{secs:.3} s")
    } else if secs < 3600.0 {
        format!("{:.0} min {:.0} s", (secs / 60.0).floor(), secs % 60.0)
    } else {
        format!("{:.1} h", secs / 3600.0)
    }
}

#[function_component(StatusBar)]
pub fn status_bar(p: &BarProps) -> Html {
    let s = &p.state;
    let pct = if s.total > 0 {
        s.displayed as f64 * 100.0 / s.total as f64
    } else {
        0.0
    };
    let phase = match s.phase {
        Phase::Empty => "No file".to_string(),
        Phase::Indexing { bytes, size } => format!(
            "Indexing {:.0}%",
            if size == 0 {
                100.0
            } else {
                bytes as f64 * 100.0 / size as f64
            }
        ),
        Phase::Ready => s.index_ms.map_or("Ready".into(), |ms| {
            format!("Indexed in {:.2} s", ms / 1000.0)
        }),
    };
    let d = p.ctl.dispatch.clone();
    let d2 = p.ctl.dispatch.clone();
    html! {
        <footer class="status">
            if let Some((name, size)) = &s.file {
                <span class="file" data-testid="status-file" title={name.clone()}>{ name.clone() }</span>
                <span data-testid="status-size">{ human_size(*size) }</span>
            }
            <span>{ "Packets: " }<b data-testid="status-total">{ s.total }</b></span>
            if s.compare.is_some() {
                // Compare mode lists aligned rows (a pair is one row; a packet seen on one
                // side only is a row too): they are not packets of this file.
                <span title="Aligned rows shown: a packet and its twin share a row">{ "Rows: " }<b data-testid="status-displayed">{ s.displayed }</b>{ format!(" of {}", s.compare_rows) }</span>
                if let Some(t) = &s.target {
                    <span data-testid="status-target-total">{ format!("Target: {} packets", t.packets) }</span>
                }
            } else {
                <span>{ "Displayed: " }<b data-testid="status-displayed">{ s.displayed }</b>{ if s.total > 0 { format!(" ({pct:.1}%)") } else { String::new() } }</span>
            }
            if let Some(sum) = &s.summary {
                <span data-testid="status-link">{ sum.link_types.join(", ") }</span>
                if sum.packets > 0 {
                    <span data-testid="status-span" title="Time from the first to the last packet">{ span_text(sum.first_ns, sum.last_ns) }</span>
                }
                if let Some(dr) = sum.dropped {
                    <span class={classes!((dr > 0).then_some("warn"))} data-testid="status-dropped">{ format!("Dropped by capture: {dr}") }</span>
                }
            }
            <span class="phase" data-testid="status-phase">{ phase }</span>
            if let Some(ms) = s.filter_ms {
                if !s.applied.is_empty() { <span>{ format!("Filter: {:.0} ms", ms) }</span> }
            }
            <span class="sha" data-testid="status-sha256" title={s.sha256.clone().unwrap_or_else(|| "SHA-256 is being computed".into())}>
                { s.sha256.as_ref().map_or_else(|| if s.file.is_some() { "SHA-256 …".to_string() } else { String::new() }, |h| format!("SHA-256 {}…", &h[..16.min(h.len())])) }
            </span>
            <span class="grow"></span>
            <button class="link" data-testid="show-properties" disabled={s.summary.is_none()} onclick={d.reform(|_| Action::ToggleProperties)}>{ "Capture properties" }</button>
            <button class="link" data-testid="show-legend" onclick={d2.reform(|_| Action::ToggleLegend)}>{ "Colours" }</button>
        </footer>
    }
}

#[function_component(Properties)]
pub fn properties(p: &BarProps) -> Html {
    let s = &p.state;
    let Some(sum) = &s.summary else {
        return Html::default();
    };
    let close = p
        .ctl
        .dispatch
        .reform(|_: MouseEvent| Action::ToggleProperties);
    let t = |ns: i64| {
        let ts = shared_decode::file::Timestamp::from_nanos(i128::from(ns));
        let c = shared_decode::text::time::civil(ts.secs, 0);
        let mut out = String::new();
        shared_decode::text::time::push_date(&mut out, &c);
        out.push(' ');
        shared_decode::text::time::push_clock(&mut out, &c);
        shared_decode::text::time::push_frac(&mut out, ts.nanos, true);
        out.push_str(" UTC");
        out
    };
    let rows = vec![
        ("File name", sum.name.clone()),
        (
            "File size",
            format!("{} ({} bytes)", human_size(sum.size), sum.size),
        ),
        (
            "Format",
            format!(
                "{}{}",
                sum.format,
                if sum.gzip { ", gzip-compressed" } else { "" }
            ),
        ),
        (
            "SHA-256",
            s.sha256.clone().unwrap_or_else(|| "computing…".into()),
        ),
        ("Packets", sum.packets.to_string()),
        ("Link types", sum.link_types.join(", ")),
        (
            "First packet",
            if sum.packets > 0 {
                t(sum.first_ns)
            } else {
                "-".into()
            },
        ),
        (
            "Last packet",
            if sum.packets > 0 {
                t(sum.last_ns)
            } else {
                "-".into()
            },
        ),
        ("Elapsed", span_text(sum.first_ns, sum.last_ns)),
        (
            "Dropped (capture tool)",
            sum.dropped.map_or("not recorded".into(), |d| d.to_string()),
        ),
    ];
    html! {
        <div class="modal-back" onclick={close.clone()}>
            <div class="modal" data-testid="properties" onclick={Callback::from(|e: MouseEvent| e.stop_propagation())} role="dialog" aria-label="Capture properties">
                <h2>{ "Capture properties" }</h2>
                <table class="kv">{ for rows.into_iter().map(|(k, v)| html! { <tr><th>{ k }</th><td>{ v }</td></tr> }) }</table>
                if !sum.section.is_empty() {
                    <h3>{ "Section" }</h3>
                    <ul>{ for sum.section.iter().map(|x| html! { <li>{ x.clone() }</li> }) }</ul>
                }
                <h3>{ format!("Interfaces ({})", sum.interfaces.len()) }</h3>
                <table class="ifaces">
                    <tr><th>{ "Name" }</th><th>{ "Link type" }</th><th>{ "Snap length" }</th><th>{ "Capture filter" }</th><th>{ "Time stamps" }</th><th>{ "Statistics" }</th></tr>
                    { for sum.interfaces.iter().map(|i| html! {
                        <tr>
                            <td>{ i.name.clone() }{ if i.description.is_empty() { String::new() } else { format!(" ({})", i.description) } }</td>
                            <td>{ i.link_type.clone() }</td>
                            <td>{ i.snaplen }</td>
                            <td><code>{ i.filter.clone() }</code></td>
                            <td>{ i.resolution.clone() }</td>
                            <td>{ i.stats.join("; ") }</td>
                        </tr>
                    }) }
                </table>
                if !sum.problems.is_empty() {
                    <h3>{ "Problems" }</h3>
                    <ul class="problems">{ for sum.problems.iter().map(|x| html! { <li>{ x.clone() }</li> }) }</ul>
                }
                <button onclick={close}>{ "Close" }</button>
            </div>
        </div>
    }
}

#[function_component(Legend)]
pub fn legend(p: &CtlProps) -> Html {
    let close = p.ctl.dispatch.reform(|_: MouseEvent| Action::ToggleLegend);
    html! {
        <div class="modal-back" onclick={close.clone()}>
            <div class="modal legend" data-testid="legend" onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <h2>{ "Packet colours" }</h2>
                <p class="fine">{ "Wireshark's default colouring rules; the first rule that matches wins." }</p>
                <ul>{ for COLOR_RULES.iter().map(|(name, bg, fg)| html! { <li style={format!("background:{bg};color:{fg}")}>{ *name }</li> }) }</ul>
                <button onclick={close}>{ "Close" }</button>
            </div>
        </div>
    }
}

/// "Share view": a link with the files' names, sizes and SHA-256, the filter, the selected
/// packet, time format and layout, and a note — never packets.
#[function_component(ShareDialog)]
pub fn share_dialog(p: &BarProps) -> Html {
    let s = &p.state;
    let note = use_state(String::new);
    let close = p.ctl.dispatch.reform(|_: MouseEvent| Action::HideShare);
    let link = s.view_link(&note);
    let (url, problem) = match link.to_fragment() {
        Ok(f) => {
            let loc = web_sys::window().map(|w| w.location());
            let base = loc
                .map(|l| {
                    format!(
                        "{}{}",
                        l.origin().unwrap_or_default(),
                        l.pathname().unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            (format!("{base}#{f}"), None)
        }
        Err(e) => (String::new(), Some(e.to_string())),
    };
    let on_note = {
        let note = note.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(i) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
            {
                note.set(i.value());
            }
        })
    };
    let copy = {
        let url = url.clone();
        let d = p.ctl.dispatch.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(w) = web_sys::window() {
                let _ = w.navigator().clipboard().write_text(&url);
                d.emit(Action::Info(
                    "Link copied. It holds no packets: send the capture file(s) with it.".into(),
                ));
            }
        })
    };
    let pending_hash = s.sha256.is_none() && s.file.is_some();
    html! {
        <div class="modal-back" onclick={close.clone()}>
            <div class="modal share" data-testid="share-dialog" onclick={Callback::from(|e: MouseEvent| e.stop_propagation())} role="dialog" aria-label="Share this view">
                <h2>{ "Share this view" }</h2>
                <p class="fine">{ "The link holds the file names, sizes and SHA-256, the filter, the selected packet and the layout — no packet data. Whoever opens it opens the same file(s) and sees this view; a different file gives a warning." }</p>
                if pending_hash {
                    <p class="fine warn">{ "The file's SHA-256 is still being computed; the link will not let the other side verify the file yet." }</p>
                }
                <label class="field">{ "Note (optional)" }
                    <textarea data-testid="share-note" maxlength={shared_decode::link::MAX_NOTE.to_string()} rows="2" value={(*note).clone()} oninput={on_note} />
                </label>
                if let Some(e) = problem {
                    <p class="filter-error static" data-testid="share-error">{ e }</p>
                } else {
                    <input class="share-url" data-testid="share-link-url" readonly=true value={url.clone()} />
                    <p class="fine">{ format!("{} of at most {} characters.", url.len(), shared_decode::link::MAX_LINK) }</p>
                }
                <div class="buttons">
                    <button onclick={copy} data-testid="share-copy">{ "Copy link" }</button>
                    <button onclick={close}>{ "Close" }</button>
                </div>
            </div>
        </div>
    }
}

/// "Export displayed packets": a pcapng download, optionally anonymised with the page's
/// secret (the same for every export from this page, so a pair stays comparable).
#[function_component(ExportDialog)]
pub fn export_dialog(p: &BarProps) -> Html {
    let s = &p.state;
    let anon = use_state(|| false);
    // Payloads zeroed unless the user chooses otherwise.
    let payload = use_state(|| 1u8);
    let close = p.ctl.dispatch.reform(|_: MouseEvent| Action::ToggleExport);
    let go = {
        let (send, d, anon, payload) = (
            p.ctl.send.clone(),
            p.ctl.dispatch.clone(),
            anon.clone(),
            payload.clone(),
        );
        let (file, sha, filter) = (s.file.clone(), s.sha256.clone(), s.applied.clone());
        Callback::from(move |_: MouseEvent| {
            let name = file.as_ref().map_or("capture".to_string(), |f| f.0.clone());
            let stem = name
                .trim_end_matches(".gz")
                .trim_end_matches(".pcapng")
                .trim_end_matches(".pcap")
                .to_string();
            // An anonymized export names no origin (neither the file nor its SHA-256):
            // the worker writes its own fixed comment.
            let mut comments = Vec::new();
            if !*anon {
                let origin = sha
                    .as_ref()
                    .map_or(String::new(), |h| format!(" (sha256 {h})"));
                comments.push(format!(
                    "exported by the paircap viewer from {name}{origin}"
                ));
            }
            // Filter texts can name addresses: an anonymized file carries none of them.
            if !filter.is_empty() && !*anon {
                comments.push(format!("display filter: {filter}"));
            }
            super::set_export_name(format!(
                "{stem}-{}.pcapng",
                if *anon { "anonymized" } else { "export" }
            ));
            send.emit(ToWorker::Export {
                comments,
                secret: anon.then(super::page_secret),
                payload: *payload,
            });
            d.emit(Action::ToggleExport);
        })
    };
    let on_anon = {
        let anon = anon.clone();
        Callback::from(move |e: Event| {
            if let Some(i) = input_of(&e) {
                anon.set(i.checked());
            }
        })
    };
    let on_payload = {
        let payload = payload.clone();
        Callback::from(move |e: Event| {
            if let Some(sel) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
            {
                payload.set(sel.value().parse().unwrap_or(0));
            }
        })
    };
    html! {
        <div class="modal-back" onclick={close.clone()}>
            <div class="modal" data-testid="export-dialog" onclick={Callback::from(|e: MouseEvent| e.stop_propagation())} role="dialog" aria-label="Export">
                <h2>{ "Export displayed packets" }</h2>
                <p>{ format!("{} packets{}, as pcapng, saved by your browser.", s.displayed, if s.applied.is_empty() { String::new() } else { format!(" matching {}", s.applied) }) }</p>
                <label class="check"><input type="checkbox" data-testid="export-anonymize" checked={*anon} onchange={on_anon} />
                    { " Anonymize: addresses become consistent pseudonyms (prefix-preserving), interface names and comments are dropped" }</label>
                if *anon {
                    <label class="field">{ "Payloads" }
                        <select data-testid="export-payload" onchange={on_payload}>
                            <option value="0" selected={*payload == 0}>{ "keep" }</option>
                            <option value="1" selected={*payload == 1}>{ "replace with zeros" }</option>
                            <option value="2" selected={*payload == 2}>{ "cut off after the headers" }</option>
                        </select>
                    </label>
                    <p class="fine">{ "The secret behind the pseudonyms stays in this page: every export from it maps addresses the same way, so an anonymized source and target still compare exactly. With payloads kept, application data (DNS names, TLS server names, HTTP headers) stays readable; bytes after a header paircap does not understand are always zeroed." }</p>
                }
                <div class="buttons">
                    <button onclick={go} data-testid="export-download">{ "Download pcapng" }</button>
                    <button onclick={close}>{ "Cancel" }</button>
                </div>
            </div>
        </div>
    }
}
