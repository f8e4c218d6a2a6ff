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
    (
        "compare,io,0",
        "Compare: IO graph (source and target rates, losses)",
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
    ("io,stat,auto", "IO graph: packets and bytes per interval"),
];

/// An IO graph of a statistic's rows: the first column is the interval start (s); `lines`
/// are columns drawn as lines, `bars` as bars from the axis (losses). Every point has its
/// value as a tooltip; a click on an interval applies its filter.
fn plot(
    g: &crate::proto::StatGrid,
    lines: &[(usize, &'static str)],
    bars: &[(usize, &'static str)],
    pick: &Callback<String>,
) -> Html {
    const W: f64 = 900.0;
    const H: f64 = 220.0;
    const PAD: f64 = 36.0;
    let n = g.rows.len();
    if n == 0 {
        return html! {};
    }
    let val = |r: usize, c: usize| -> f64 {
        g.rows
            .get(r)
            .and_then(|x| x.0.get(c))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    let max = lines
        .iter()
        .chain(bars)
        .flat_map(|&(c, _)| (0..n).map(move |r| (r, c)))
        .map(|(r, c)| val(r, c))
        .fold(1.0f64, f64::max);
    let step = (W - PAD) / n as f64;
    let x = |r: usize| PAD + step * (r as f64 + 0.5);
    let y = |v: f64| H - PAD / 2.0 - (H - PAD) * v / max;
    let polylines = lines.iter().map(|&(c, class)| {
        let pts: Vec<String> = (0..n)
            .map(|r| format!("{:.1},{:.1}", x(r), y(val(r, c))))
            .collect();
        html! { <polyline class={classes!("io-line", class)} points={pts.join(" ")} /> }
    });
    let bar_w = (step * 0.8).max(1.0);
    let columns = (0..n).map(|r| {
        let filter = g.rows.get(r).and_then(|x| x.1.clone()).unwrap_or_default();
        let mut tip = format!("{} s", g.rows.get(r).and_then(|x| x.0.first()).map_or("", String::as_str));
        for &(c, _) in lines.iter().chain(bars) {
            tip.push_str(&format!("\n{}: {}", g.columns.get(c).map_or("", String::as_str), val(r, c)));
        }
        let onclick = {
            let (pick, f) = (pick.clone(), filter.clone());
            Callback::from(move |_: MouseEvent| {
                if !f.is_empty() {
                    pick.emit(f.clone());
                }
            })
        };
        html! {
            <g data-testid="io-interval" data-filter={filter} {onclick}>
                <title>{ tip }</title>
                <rect class="io-hit" x={format!("{:.1}", x(r) - step / 2.0)} y="0" width={format!("{:.1}", step)} height={format!("{H}")} />
                { for bars.iter().map(|&(c, class)| {
                    let v = val(r, c);
                    html! { if v > 0.0 { <rect class={classes!("io-bar", class)} data-testid="io-bar" x={format!("{:.1}", x(r) - bar_w / 2.0)} y={format!("{:.1}", y(v))} width={format!("{bar_w:.1}")} height={format!("{:.1}", y(0.0) - y(v))} /> } }
                }) }
            </g>
        }
    });
    html! {
        <div class="io-graph">
            <svg viewBox={format!("0 0 {W} {H}")} data-testid="io-graph" data-max={max.to_string()} role="img" aria-label="IO graph">
                <line class="io-axis" x1={PAD.to_string()} y1={format!("{:.1}", y(0.0))} x2={W.to_string()} y2={format!("{:.1}", y(0.0))} />
                <text class="io-label" x="2" y={format!("{:.1}", y(max) + 4.0)}>{ format!("{max}") }</text>
                <text class="io-label" x="2" y={format!("{:.1}", y(0.0))}>{ "0" }</text>
                // Time under the axis: first, middle and last interval starts (seconds).
                { for [0, n / 2, n - 1].into_iter().map(|r| html! {
                    <text class="io-label" x={format!("{:.1}", x(r))} y={format!("{:.1}", H - 2.0)} text-anchor="middle">
                        { format!("{} s", g.rows.get(r).and_then(|x| x.0.first()).map_or("", |t| t.trim_end_matches('0').trim_end_matches('.'))) }
                    </text>
                }) }
                { for columns }
                { for polylines }
            </svg>
            <div class="io-legend">
                { for lines.iter().chain(bars).map(|&(c, class)| html! {
                    <span class={classes!("io-key", class)}>{ g.columns.get(c).cloned().unwrap_or_default() }</span>
                }) }
            </div>
        </div>
    }
}

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
            let pick = {
                let (d, send) = (p.ctl.dispatch.clone(), p.ctl.send.clone());
                Callback::from(move |f: String| {
                    d.emit(Action::FilterText(f.clone()));
                    send.emit(ToWorker::Filter {
                        text: f,
                        id: next_filter_id(),
                    });
                    d.emit(Action::ToggleStats);
                })
            };
            let graph = if r.kind.starts_with("compare,io") {
                plot(
                    g,
                    &[(1, "src"), (2, "dst")],
                    &[(3, "lost"), (4, "lost-back")],
                    &pick,
                )
            } else if r.kind.starts_with("io,stat") {
                plot(g, &[(1, "src")], &[], &pick)
            } else {
                html! {}
            };
            html! {
                <>
                    { graph }
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
