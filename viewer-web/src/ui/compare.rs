//! Compare mode: the summary of what the path did (counts, clock, delays, NAT, modified
//! fields, the diagnosis, delay plots) above the aligned lists.

use super::Ctl;
use crate::model::{Action, State};
use crate::proto::{CompareSummary, ToWorker};
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SummaryProps {
    pub state: yew::UseReducerHandle<State>,
    pub ctl: Ctl,
}

fn ms(v: f64) -> String {
    if v.abs() >= 1000.0 {
        format!("{:.3} s", v / 1000.0)
    } else {
        format!("{v:.3} ms")
    }
}

#[function_component(SummaryPanel)]
pub fn summary_panel(p: &SummaryProps) -> Html {
    let show_tx = use_state(|| false);
    let s = &p.state;
    let Some(c) = s.compare.as_ref() else {
        return Html::default();
    };
    let toggle = p.ctl.dispatch.reform(|_: MouseEvent| Action::ToggleSummary);
    // Network or server? Its table opens under the band, folded or not.
    let tx_button = (c.tx_total > 0).then(|| {
        let t = show_tx.clone();
        let onclick = Callback::from(move |_: MouseEvent| t.set(!*t));
        html! {
            <button class="link" data-testid="compare-tx-toggle" {onclick}
                    title="Per TCP handshake, DNS query, TLS handshake and HTTP request seen at both ends: time on the path there, at the server, on the path back">
                { format!("Network or server? ({}) {}", c.tx_total, if *show_tx { "▴" } else { "▾" }) }
            </button>
        }
    });
    let tx_table =
        (*show_tx).then(|| html! { <TxTable summary={c.clone()} ctl={p.ctl.clone()} /> });
    let count = |id: &'static str, label: &'static str, n: u64, class: &'static str| {
        html! { <div class={classes!("count", class)}><b data-testid={id}>{ n }</b><span>{ label }</span></div> }
    };
    let counts = html! {
        <div class="counts">
            { count("compare-matched", "matched", c.matched, "matched") }
            { count("compare-lost", "lost", c.lost, "lost") }
            { count("compare-extra", "extra", c.extra, "extra") }
            { count("compare-duplicated", "duplicated", c.duplicated, "dup") }
            { count("compare-reordered", "reordered", c.reordered, "reord") }
            { count("compare-modified", "modified", c.modified, "modified") }
            if c.partly_lost > 0 {
                { count("compare-partly-lost", "partly lost", c.partly_lost, "lost") }
            }
            if c.capture_drop > 0 {
                { count("compare-capture-drop", "capture drops", c.capture_drop, "cdrop") }
            }
        </div>
    };
    let offset_input = {
        let send = p.ctl.send.clone();
        let d = p.ctl.dispatch.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() != "Enter" {
                return;
            }
            let Some(i) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            let v = i.value();
            if v.trim().is_empty() {
                d.emit(Action::SetOffset(None));
                send.emit(ToWorker::Compare { offset_ms: None });
            } else {
                match v.trim().trim_end_matches("ms").trim().parse::<f64>() {
                    Ok(ms) => {
                        d.emit(Action::SetOffset(Some(ms)));
                        send.emit(ToWorker::Compare {
                            offset_ms: Some(ms),
                        })
                    }
                    Err(_) => d.emit(Action::Error(format!(
                        "\"{v}\" is not a clock offset in milliseconds"
                    ))),
                }
            }
        })
    };
    // Per direction of travel: what each capture sent and what became of it.
    let dir_line = |d: &crate::proto::DirSummary| {
        let mut parts = vec![format!("{} sent", d.sent), format!("{} lost", d.lost)];
        if d.partly_lost > 0 {
            parts.push(format!("{} partly lost", d.partly_lost));
        }
        for (n, k) in [
            (d.duplicated, "duplicated"),
            (d.reordered, "reordered"),
            (d.modified, "modified"),
            (d.capture_drop, "missed by a capture"),
            (d.extra, "extra"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {k}"));
            }
        }
        let bad = d.lost + d.partly_lost > 0;
        html! {
            <div class={classes!("dir", bad.then_some("bad"))} data-testid="compare-direction">
                <span class="k">{ d.name.clone() }</span>{ " " }{ parts.join(" · ") }
            </div>
        }
    };
    let dirs = html! { <div class="dirs">{ for c.dirs.iter().map(dir_line) }</div> };
    let clock_text = if c.uncertainty_ms.is_finite() {
        format!("{:+.3} ms ± {:.3}", c.offset_ms, c.uncertainty_ms)
    } else {
        format!("{:+.3} ms (one-way)", c.offset_ms)
    };
    let clock = html! {
        <div class="clock" data-testid="compare-clock" title={format!("Target clock minus source clock ({}), drift {:+.2} ppm", c.clock_method, c.drift_ppm)}>
            <span class="k">{ "Clock" }</span>{ clock_text }
            <label class="offset" title="Set the target's clock offset by hand (ms), Enter to compare again; empty to estimate it">
                { " Offset: " }<input type="text" data-testid="compare-offset" placeholder={s.manual_offset.map_or("estimate".to_string(), |m| format!("{m} ms"))} onkeydown={offset_input.clone()} />
            </label>
        </div>
    };
    if !s.show_summary {
        // Compact by default: one band of counts and the first finding; the lists keep the
        // height.
        return html! {
            <section class="compare-summary folded" data-testid="compare-summary">
                <div class="top">
                    { counts }
                    { dirs }
                    { clock }
                    { tx_button.clone().unwrap_or_default() }
                    <button class="link" data-testid="compare-summary-toggle" onclick={toggle}>{ "Details ▾" }</button>
                </div>
                { tx_table.clone().unwrap_or_default() }
                if let Some(first) = c.diagnosis.first() {
                    <div class="lead" data-testid="compare-diagnosis" title={c.diagnosis.join("\n")}>{ first.clone() }</div>
                }
            </section>
        };
    }
    let delays = |label: &str, v: &[(String, f64)]| {
        (!v.is_empty()).then(|| {
            html! {
                <div class="delays"><span class="k">{ label.to_string() }</span>
                    { for v.iter().map(|(k, x)| html! { <span class="pct"><small>{ k.clone() }</small>{ " " }{ ms(*x) }</span> }) }
                </div>
            }
        })
    };
    html! {
        <section class="compare-summary" data-testid="compare-summary">
            <div class="top">
                { counts }
                { dirs }
                { clock }
                { tx_button.unwrap_or_default() }
                <button class="link" data-testid="compare-summary-toggle" onclick={toggle}>{ "Details ▴" }</button>
            </div>
            { tx_table.unwrap_or_default() }
            <div class="middle">
                <div class="text">
                    { delays("Delay source → target", &c.delay_s2t).unwrap_or_default() }
                    { delays("Delay target → source", &c.delay_t2s).unwrap_or_default() }
                    <ul class="diagnosis" data-testid="compare-diagnosis">{ for c.diagnosis.iter().map(|d| html! { <li>{ d.clone() }</li> }) }</ul>
                </div>
                <div class="plots">
                    { delay_plot(c) }
                    { histogram(c) }
                </div>
            </div>
            <div class="bottom">
                if !c.nat.is_empty() {
                    <details data-testid="compare-nat">
                        <summary>{ format!("NAT / flow mapping ({} flows)", c.nat_total) }</summary>
                        <table class="nat">
                            <tr><th>{ "Proto" }</th><th>{ "Source side" }</th><th>{ "Target side" }</th><th>{ "Packets" }</th></tr>
                            { for c.nat.iter().map(|n| html! { <tr><td>{ n.proto.clone() }</td><td>{ n.inside.clone() }</td><td>{ n.outside.clone() }</td><td>{ n.packets }</td></tr> }) }
                        </table>
                    </details>
                }
                if !c.modified_fields.is_empty() {
                    <details data-testid="compare-modified-fields">
                        <summary>{ "Fields the path changed" }</summary>
                        <table class="nat">
                            <tr><th>{ "Field" }</th><th>{ "Pairs" }</th></tr>
                            { for c.modified_fields.iter().map(|(f, n)| html! { <tr><td><code>{ f.clone() }</code></td><td>{ n }</td></tr> }) }
                        </table>
                    </details>
                }
                <details>
                    <summary>{ "Every status, per side" }</summary>
                    <table class="nat">
                        <tr><th>{ "Status" }</th><th>{ "Source packets" }</th><th>{ "Target packets" }</th></tr>
                        { for c.counts.iter().map(|(k, a, b)| html! { <tr><td>{ k.replace('_', " ") }</td><td>{ a }</td><td>{ b }</td></tr> }) }
                    </table>
                </details>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct TxProps {
    pub summary: std::rc::Rc<CompareSummary>,
    pub ctl: Ctl,
}

/// Columns of the transactions table that sort.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TxCol {
    Kind,
    Total,
    There,
    Server,
    Back,
    Wait,
}

/// Network or server? Per kind: how many, the median and 99th percentile of each part;
/// then every transaction (slowest first; click a column to sort), and a click on one
/// selects its request's row (the packet at both captures).
#[function_component(TxTable)]
pub fn tx_table(p: &TxProps) -> Html {
    let sort = use_state(|| (TxCol::Total, false));
    let c = &p.summary;
    let mut rows: Vec<&crate::proto::TxRow> = c.transactions.iter().collect();
    let (col, asc) = *sort;
    let key = |r: &crate::proto::TxRow| match col {
        TxCol::Kind => 0.0,
        TxCol::Total => r.total_ms,
        TxCol::There => r.there_ms,
        TxCol::Server => r.server_ms,
        TxCol::Back => r.back_ms,
        TxCol::Wait => r.wait_ms,
    };
    rows.sort_by(|a, b| {
        let o = if col == TxCol::Kind {
            a.kind.cmp(&b.kind).then(b.total_ms.total_cmp(&a.total_ms))
        } else {
            key(a).total_cmp(&key(b))
        };
        if asc || col == TxCol::Kind {
            o
        } else {
            o.reverse()
        }
    });
    let head = |label: &'static str, k: TxCol| {
        let sort = sort.clone();
        let (cur, up) = *sort;
        let mark = if cur == k {
            if up {
                " ▴"
            } else {
                " ▾"
            }
        } else {
            ""
        };
        let onclick = Callback::from(move |_: MouseEvent| {
            let (c, a) = *sort;
            sort.set((k, if c == k { !a } else { k == TxCol::Kind }));
        });
        html! { <th class="sortable" data-testid="tx-sort" {onclick} title="Sort">{ label }{ mark }</th> }
    };
    let f = |v: f64| {
        if v.is_finite() {
            format!("{v:.3}")
        } else {
            "—".to_string()
        }
    };
    let shown = rows.len().min(500);
    html! {
        <details class="transactions" open=true data-testid="compare-transactions">
            <summary>{ format!("Network or server? {} transactions seen at both ends (ms: total = there + server + back + wait)", c.tx_total) }</summary>
            <table class="nat tx-kinds" data-testid="tx-kinds">
                <tr><th>{ "Kind" }</th><th>{ "Measured" }</th><th>{ "Total p50 / p99" }</th><th>{ "Path there" }</th><th>{ "At the server" }</th><th>{ "Path back" }</th></tr>
                { for c.tx_kinds.iter().map(|k| html! {
                    <tr data-testid="tx-kind" data-kind={k.kind.clone()} data-count={k.count.to_string()}>
                        <td>{ k.label.clone() }</td>
                        <td>{ k.count }{ if k.incomplete > 0 { format!(" (+{} incomplete)", k.incomplete) } else { String::new() } }</td>
                        <td>{ format!("{} / {}", f(k.total.0), f(k.total.1)) }</td>
                        <td>{ format!("{} / {}", f(k.there.0), f(k.there.1)) }</td>
                        <td>{ format!("{} / {}", f(k.server.0), f(k.server.1)) }</td>
                        <td>{ format!("{} / {}", f(k.back.0), f(k.back.1)) }</td>
                    </tr>
                }) }
            </table>
            <div class="tx-scroll">
                <table class="nat tx-list" data-testid="tx-list">
                    <tr>{ head("Kind", TxCol::Kind) }<th>{ "What" }</th><th>{ "Client → server" }</th>{ head("Total", TxCol::Total) }{ head("There", TxCol::There) }{ head("Server", TxCol::Server) }{ head("Back", TxCol::Back) }{ head("Wait", TxCol::Wait) }</tr>
                    { for rows.iter().take(shown).map(|r| {
                        let send = p.ctl.send.clone();
                        let (frame, side) = (r.client_request_last, r.client_side);
                        let onclick = Callback::from(move |_: MouseEvent| send.emit(ToWorker::Locate { frame, side }));
                        let client = r.client_side.name();
                        html! {
                            <tr class="tx" data-testid="tx-row" data-kind={r.kind.clone()} data-client-side={client}
                                data-client-request={r.client_request_last.to_string()} data-server-request={r.server_request_last.to_string()}
                                data-total={format!("{:.3}", r.total_ms)} data-there={format!("{:.3}", r.there_ms)} data-server={format!("{:.3}", r.server_ms)} data-back={format!("{:.3}", r.back_ms)}
                                title={format!("Select the request (frame {} at the {client}, {} at the other capture)", r.client_request_last, r.server_request_last)} {onclick}>
                                <td>{ r.kind.replace('_', " ") }</td><td>{ r.what.clone() }</td><td>{ format!("{} → {}", r.client, r.server) }</td>
                                <td>{ f(r.total_ms) }</td><td>{ f(r.there_ms) }</td><td>{ f(r.server_ms) }</td><td>{ f(r.back_ms) }</td><td>{ f(r.wait_ms) }</td>
                            </tr>
                        }
                    }) }
                </table>
                if (c.tx_total as usize) > shown {
                    <p class="more">{ format!("{} more (sorted out of the {} slowest; paircap compare --transactions --format json lists all)", c.tx_total as usize - shown, c.transactions.len()) }</p>
                }
            </div>
        </details>
    }
}

const W: f64 = 340.0;
const H: f64 = 110.0;
const PAD: f64 = 28.0;

/// One-way delay over time (lowest and highest per time slice), SVG.
fn delay_plot(c: &CompareSummary) -> Html {
    let pts = &c.delay_series;
    if pts.is_empty() {
        return Html::default();
    }
    let (t0, t1) = pts
        .iter()
        .fold((f64::MAX, f64::MIN), |a, p| (a.0.min(p.0), a.1.max(p.0)));
    let (d0, d1) = pts
        .iter()
        .fold((f64::MAX, f64::MIN), |a, p| (a.0.min(p.1), a.1.max(p.1)));
    let (tspan, dspan) = ((t1 - t0).max(1e-9), (d1 - d0).max(1e-6));
    let x = |t: f64| PAD + (t - t0) / tspan * (W - PAD - 4.0);
    let y = |d: f64| H - 16.0 - (d - d0) / dspan * (H - 24.0);
    html! {
        <svg class="plot" data-testid="compare-delay-plot" width={W.to_string()} height={H.to_string()} viewBox={format!("0 0 {W} {H}")} role="img" aria-label="One-way delay over time">
            <text x="2" y="10" class="axis">{ format!("{} ms", fmt_num(d1)) }</text>
            <text x="2" y={(H - 16.0).to_string()} class="axis">{ fmt_num(d0) }</text>
            <text x={PAD.to_string()} y={(H - 2.0).to_string()} class="axis">{ format!("{:.1} s", t0) }</text>
            <text x={(W - 40.0).to_string()} y={(H - 2.0).to_string()} class="axis">{ format!("{:.1} s", t1) }</text>
            <line x1={PAD.to_string()} y1={(H - 16.0).to_string()} x2={W.to_string()} y2={(H - 16.0).to_string()} class="frame" />
            { for pts.iter().map(|p| html! { <circle cx={format!("{:.1}", x(p.0))} cy={format!("{:.1}", y(p.1))} r="1.2" class="pt" /> }) }
            <title>{ "One-way delay over time (each time slice: its lowest and highest delay)" }</title>
        </svg>
    }
}

fn fmt_num(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// Delay histogram, SVG.
fn histogram(c: &CompareSummary) -> Html {
    if c.histogram.is_empty() {
        return Html::default();
    }
    let n = c.histogram.len() as f64;
    let max = c.histogram.iter().map(|b| b.1).max().unwrap_or(1).max(1) as f64;
    let bw = (W - PAD - 4.0) / n;
    let first = c.histogram.first().map_or(0.0, |b| b.0);
    let last = c.histogram.last().map_or(0.0, |b| b.0 + c.bin_ms);
    html! {
        <svg class="plot" data-testid="compare-histogram" width={W.to_string()} height={H.to_string()} viewBox={format!("0 0 {W} {H}")} role="img" aria-label="Delay histogram">
            { for c.histogram.iter().enumerate().map(|(i, b)| {
                let h = b.1 as f64 / max * (H - 24.0);
                html! { <rect x={format!("{:.1}", PAD + i as f64 * bw)} y={format!("{:.1}", H - 16.0 - h)} width={format!("{:.1}", (bw - 1.0).max(0.5))} height={format!("{:.1}", h)} class="bar"><title>{ format!("{:.3}–{:.3} ms: {}", b.0, b.0 + c.bin_ms, b.1) }</title></rect> }
            }) }
            <text x={PAD.to_string()} y={(H - 2.0).to_string()} class="axis">{ format!("{} ms", fmt_num(first)) }</text>
            <text x={(W - 50.0).to_string()} y={(H - 2.0).to_string()} class="axis">{ format!("{} ms", fmt_num(last)) }</text>
            <text x="2" y="10" class="axis">{ format!("{}", max as u64) }</text>
        </svg>
    }
}
