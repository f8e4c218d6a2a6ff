//! The Statistics dialog: conversations, endpoints and the protocol hierarchy, computed by
//! the worker with `shared_decode::stats` (the code behind `paircap read -z`). Columns sort
//! on a click; a click on a row applies its display filter.

use super::bars::BarProps;
use super::panes::next_filter_id;
use crate::model::Action;
use crate::proto::ToWorker;
use web_sys::{HtmlInputElement, HtmlSelectElement, MouseEvent};
use yew::prelude::*;

/// The statistics offered, with their labels.
const KINDS: &[(&str, &str)] = &[
    (
        "compare,conv",
        "Compare: conversations (lost, duplicated, delay)",
    ),
    ("conv,tcp", "Conversations: TCP"),
    ("conv,udp", "Conversations: UDP"),
    ("conv,ip", "Conversations: IPv4"),
    ("conv,ipv6", "Conversations: IPv6"),
    ("conv,eth", "Conversations: Ethernet"),
    ("endpoints,tcp", "Endpoints: TCP"),
    ("endpoints,udp", "Endpoints: UDP"),
    ("endpoints,ip", "Endpoints: IPv4"),
    ("endpoints,ipv6", "Endpoints: IPv6"),
    ("endpoints,eth", "Endpoints: Ethernet"),
    ("io,phs", "Protocol hierarchy"),
    ("expert", "Expert information"),
];

/// Rows drawn at most (the rest are reached by sorting; the JSON of `paircap read -z` has
/// them all).
const MAX_ROWS: usize = 500;

#[function_component(StatsDialog)]
pub fn stats_dialog(p: &BarProps) -> Html {
    let s = &p.state;
    // Sort: column and descending; None keeps the computed order (most packets first).
    let sort = use_state(|| None::<(usize, bool)>);
    let (kind, displayed) = s
        .stats_asked
        .clone()
        .unwrap_or_else(|| ("conv,tcp".into(), false));
    let ask = {
        let (d, send, sort) = (p.ctl.dispatch.clone(), p.ctl.send.clone(), sort.clone());
        move |kind: String, displayed: bool| {
            sort.set(None);
            d.emit(Action::StatsAsked {
                kind: kind.clone(),
                displayed,
            });
            send.emit(ToWorker::Stats { kind, displayed });
        }
    };
    let on_kind = {
        let ask = ask.clone();
        Callback::from(move |e: Event| {
            if let Some(sel) = e.target_dyn_into::<HtmlSelectElement>() {
                ask(sel.value(), displayed);
            }
        })
    };
    let on_limit = {
        let (ask, kind) = (ask.clone(), kind.clone());
        Callback::from(move |e: Event| {
            if let Some(cb) = e.target_dyn_into::<HtmlInputElement>() {
                ask(kind.clone(), cb.checked());
            }
        })
    };
    let close = p.ctl.dispatch.reform(|_: MouseEvent| Action::ToggleStats);
    let body = match &s.stats {
        None => html! { <p class="stats-busy" data-testid="stats-busy">{ "Computing…" }</p> },
        Some(r) => {
            let g = &r.grid;
            let mut order: Vec<usize> = (0..g.rows.len()).collect();
            if let (Some((col, desc)), false) = (*sort, g.tree) {
                let num = g.numeric.get(col).copied().unwrap_or(false);
                let cell = |i: usize| -> &str {
                    g.rows
                        .get(i)
                        .and_then(|r| r.0.get(col))
                        .map_or("", String::as_str)
                };
                order.sort_by(|&a, &b| {
                    let o = if num {
                        let v = |i| cell(i).parse::<f64>().unwrap_or(f64::NEG_INFINITY);
                        v(a).total_cmp(&v(b))
                    } else {
                        cell(a).cmp(cell(b))
                    };
                    if desc {
                        o.reverse()
                    } else {
                        o
                    }
                });
            }
            let shown = order.len().min(MAX_ROWS);
            let head = g.columns.iter().enumerate().map(|(i, c)| {
                let sort = sort.clone();
                let num = g.numeric.get(i).copied().unwrap_or(false);
                let mark = match *sort {
                    Some((k, true)) if k == i => " ▼",
                    Some((k, false)) if k == i => " ▲",
                    _ => "",
                };
                let tree = g.tree;
                let onclick = Callback::from(move |_: MouseEvent| {
                    if tree {
                        return;
                    }
                    // Numbers sort largest first on the first click, text A to Z.
                    sort.set(match *sort {
                        Some((k, d)) if k == i => Some((i, !d)),
                        _ => Some((i, num)),
                    });
                });
                html! { <th class={classes!(num.then_some("num"))} {onclick} data-testid="stats-col">{ format!("{c}{mark}") }</th> }
            });
            let rows = order.iter().take(shown).filter_map(|&i| g.rows.get(i)).map(|(cells, filter)| {
                let onclick = filter.clone().map(|f| {
                    let (d, send) = (p.ctl.dispatch.clone(), p.ctl.send.clone());
                    Callback::from(move |_: MouseEvent| {
                        d.emit(Action::FilterText(f.clone()));
                        send.emit(ToWorker::Filter { text: f.clone(), id: next_filter_id() });
                        d.emit(Action::ToggleStats);
                    })
                });
                html! {
                    <tr data-testid="stats-row" data-filter={filter.clone().unwrap_or_default()} {onclick}
                        title={filter.clone().map(|f| format!("Apply as filter: {f}")).unwrap_or_default()}>
                        { for cells.iter().enumerate().map(|(k, c)| html! {
                            <td class={classes!(g.numeric.get(k).copied().unwrap_or(false).then_some("num"))}>{ c.clone() }</td>
                        }) }
                    </tr>
                }
            });
            html! {
                <>
                    <p class="stats-summary" data-testid="stats-summary" data-kind={r.kind.clone()} data-packets={r.packets.to_string()} data-rows={g.rows.len().to_string()}>
                        { format!("{} rows from {} packets{}{}", g.rows.len(), r.packets,
                            if r.displayed { " (the displayed ones)" } else { "" },
                            if shown < g.rows.len() { format!("; the first {shown} shown, sort to see others") } else { String::new() }) }
                    </p>
                    <div class="stats-scroll">
                        <table class="stats-table" data-testid="stats-table">
                            <thead><tr>{ for head }</tr></thead>
                            <tbody>{ for rows }</tbody>
                        </table>
                    </div>
                </>
            }
        }
    };
    html! {
        <div class="modal-back" onclick={close.clone()}>
            <div class="modal stats" data-testid="stats-dialog" onclick={Callback::from(|e: MouseEvent| e.stop_propagation())} role="dialog" aria-label="Statistics">
                <h2>{ "Statistics" }</h2>
                <div class="stats-controls">
                    <select data-testid="stats-kind" onchange={on_kind}>
                        { for KINDS.iter().filter(|(k, _)| s.compare.is_some() || !k.starts_with("compare,")).map(|(k, label)| html! { <option value={*k} selected={*k == kind}>{ *label }</option> }) }
                    </select>
                    <label title="Count only the packets the display filter shows">
                        <input type="checkbox" data-testid="stats-limit" checked={displayed} onchange={on_limit} />
                        { " Limit to display filter" }
                    </label>
                </div>
                { body }
                if kind.starts_with("compare,") {
                    <p class="hint">{ "One row per direction of each conversation (as the source capture saw it). Click a row to apply its filter. Same numbers as " }<code>{ "paircap compare SRC DST --format json" }</code>{ " (conversations)." }</p>
                } else {
                    <p class="hint">{ "Click a row to apply its filter. Same numbers as " }<code>{ format!("paircap read FILE -z {kind}") }</code>{ " and tshark's -z." }</p>
                }
                <button onclick={close}>{ "Close" }</button>
            </div>
        </div>
    }
}
