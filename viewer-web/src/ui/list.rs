//! The packet list: virtualised (only the visible rows exist in the DOM). The scroll area
//! holds a spacer as tall as all rows; past ~8M pixels (≈360k rows, more than browsers let
//! an element be) the spacer stays at 8M pixels and scroll positions map proportionally onto
//! rows, so millions of rows still scroll with the wheel, the scrollbar and the keyboard.

use super::Ctl;
use crate::engine::COLOR_RULES;
use crate::model::{Action, Nav, State, ROW_HEIGHT};
use crate::proto::Column;
use web_sys::{Element, KeyboardEvent, MouseEvent};
use yew::prelude::*;

const MAX_SPACER: f64 = 8_000_000.0;

#[derive(Properties, PartialEq)]
pub struct ListProps {
    pub state: yew::UseReducerHandle<State>,
    pub ctl: Ctl,
    pub on_nav: Callback<Nav>,
}

/// Geometry of the scroll area.
struct Geo {
    spacer: f64,
    scaled: bool,
}

fn geo(displayed: u64) -> Geo {
    let full = displayed as f64 * ROW_HEIGHT;
    Geo {
        spacer: full.min(MAX_SPACER),
        scaled: full > MAX_SPACER,
    }
}

/// First visible row for a scroll position.
fn first_for(scroll_top: f64, client_h: f64, displayed: u64) -> u32 {
    let g = geo(displayed);
    let visible = (client_h / ROW_HEIGHT).floor().max(1.0);
    let max_first = (displayed as f64 - visible).max(0.0);
    let f = if g.scaled {
        let range = (g.spacer - client_h).max(1.0);
        (scroll_top / range * max_first).round()
    } else {
        (scroll_top / ROW_HEIGHT).floor()
    };
    f.clamp(0.0, max_first) as u32
}

/// Scroll position that shows `first` at the top.
fn top_for(first: u32, client_h: f64, displayed: u64) -> f64 {
    let g = geo(displayed);
    if g.scaled {
        let visible = (client_h / ROW_HEIGHT).floor().max(1.0);
        let max_first = (displayed as f64 - visible).max(1.0);
        f64::from(first) / max_first * (g.spacer - client_h).max(1.0)
    } else {
        f64::from(first) * ROW_HEIGHT
    }
}

#[function_component(PacketList)]
pub fn packet_list(p: &ListProps) -> Html {
    let s = &p.state;
    let scroller = use_node_ref();

    // The `first` row the scroll position was last aligned with. The state moves `first`
    // on its own only for the keyboard and Ctrl+G; then the scroll position follows it.
    // (Scroll events arrive a frame after the position changes, so comparing the state with
    // the DOM would fight the user's scrolling.)
    let synced = use_mut_ref(|| 0u32);
    {
        let scroller = scroller.clone();
        let synced = synced.clone();
        let d = p.ctl.dispatch.clone();
        let (first, displayed, visible_now) = (s.first, s.displayed, s.visible);
        use_effect(move || {
            if let Some(el) = scroller.cast::<Element>() {
                let h = f64::from(el.client_height());
                let visible = (h / ROW_HEIGHT).floor().max(1.0) as u32;
                if first != *synced.borrow() {
                    *synced.borrow_mut() = first;
                    el.set_scroll_top(top_for(first, h, displayed).round() as i32);
                }
                if visible != visible_now {
                    d.emit(Action::Scroll { first, visible });
                }
            }
        });
    }

    let onscroll = {
        let scroller = scroller.clone();
        let synced = synced.clone();
        let d = p.ctl.dispatch.clone();
        let displayed = s.displayed;
        Callback::from(move |_: Event| {
            if let Some(el) = scroller.cast::<Element>() {
                let h = f64::from(el.client_height());
                let first = first_for(f64::from(el.scroll_top()), h, displayed);
                let visible = (h / ROW_HEIGHT).floor().max(1.0) as u32;
                *synced.borrow_mut() = first;
                d.emit(Action::Scroll { first, visible });
            }
        })
    };
    let onkeydown = {
        let nav = p.on_nav.clone();
        Callback::from(move |e: KeyboardEvent| {
            let n = match e.key().as_str() {
                "ArrowUp" => Nav::Up,
                "ArrowDown" => Nav::Down,
                "PageUp" => Nav::PageUp,
                "PageDown" => Nav::PageDown,
                "Home" => Nav::Home,
                "End" => Nav::End,
                _ => return,
            };
            e.prevent_default();
            nav.emit(n);
        })
    };

    let g = geo(s.displayed);
    let end = (s.first + s.visible + 1).min(s.displayed as u32);
    let compare = s.compare.is_some();
    let rows: Html = (s.first..end)
        .map(|pos| {
            let selected = s.selected_pos == Some(pos);
            let d = p.ctl.dispatch.clone();
            let onclick = Callback::from(move |_| d.emit(Action::Select(pos)));
            if compare {
                return match s.pair_rows.get(&pos) {
                    Some(r) => pair_row(pos, r, selected, onclick),
                    None => html! { <div key={pos} class="row pair pending"><span>{ "…" }</span></div> },
                };
            }
            match s.rows.get(&pos) {
                Some(r) => {
                    let style = COLOR_RULES.get(usize::from(r.color)).map(|(_, bg, fg)| format!("background:{bg};color:{fg}"));
                    html! {
                        <div key={pos} class={classes!("row", selected.then_some("selected"), r.file_start.is_some().then_some("file-start"))} style={if selected { None } else { style }}
                             data-testid="packet-row" data-frame={r.number.to_string()} data-file-start={r.file_start.clone()} role="row" aria-selected={selected.to_string()}
                             {onclick}>
                            <span class="c-no">{ r.number }</span>
                            <span class="c-time">{ r.time.clone() }</span>
                            <span class="c-src" title={r.source.clone()}>{ r.source.clone() }</span>
                            <span class="c-dst" title={r.destination.clone()}>{ r.destination.clone() }</span>
                            <span class="c-proto">{ r.protocol.clone() }</span>
                            <span class="c-len">{ r.length }</span>
                            <span class="c-info" title={r.info.clone()}>{ file_tag(r) }{ r.info.clone() }</span>
                        </div>
                    }
                }
                None => html! { <div key={pos} class="row pending"><span class="c-no">{ "…" }</span></div> },
            }
        })
        .collect();

    let header: Html = if compare {
        let names = s
            .compare
            .as_ref()
            .map(|c| c.names.clone())
            .unwrap_or_default();
        html! {
            <>
                <span class="h side" title="The source capture">{ format!("Source: {}", names.0) }</span>
                <span class="h status">{ "Status" }</span>
                <span class="h side" title="The target capture">{ format!("Target: {}", names.1) }</span>
            </>
        }
    } else {
        Column::ALL
            .iter()
            .map(|&c| {
                let arrow = if s.sort.0 == c { if s.sort.1 { " ▲" } else { " ▼" } } else { "" };
                let d = p.ctl.dispatch.clone();
                html! {
                    <span class={classes!("h", col_class(c))} role="columnheader" title={format!("Sort by {}", c.title())}
                          data-testid={format!("sort-{}", c.title().trim_end_matches('.').to_lowercase())}
                          onclick={Callback::from(move |_| d.emit(Action::Sort(c)))}>{ c.title() }{ arrow }</span>
                }
            })
            .collect()
    };

    html! {
        <div class={classes!("list-pane", compare.then_some("compare"))} role="grid" aria-rowcount={s.displayed.to_string()} style={format!("--time-w:{}px", time_width(s.time_format))}>
            <div class={classes!("row", "header", compare.then_some("pair"))}>{ header }</div>
            <div class="scroller" ref={scroller} {onscroll} {onkeydown} tabindex="0" data-testid="packet-list">
                <div class="window">{ rows }</div>
                <div class="spacer" style={format!("height:{}px", g.spacer)}></div>
            </div>
            if s.displayed == 0 && !s.applied.is_empty() {
                <div class="no-match">{ format!("No packets match \"{}\"", s.applied) }</div>
            }
        </div>
    }
}

/// The mark on the first packet of each further file of a set.
fn file_tag(r: &crate::proto::Row) -> Html {
    match &r.file_start {
        Some(name) => html! {
            <span class="file-tag" data-testid="file-start" title={format!("The first packet of {name} (the files of this capture follow each other here)")}>{ format!("▸ {name}") }</span>
        },
        None => Html::default(),
    }
}

/// One aligned row: the source packet, the status and delay, the target packet.
fn pair_row(
    pos: u32,
    r: &crate::proto::PairRow,
    selected: bool,
    onclick: Callback<MouseEvent>,
) -> Html {
    let side = |x: &Option<crate::proto::Row>| match x {
        Some(x) => html! {
            <span class={classes!("side", x.file_start.is_some().then_some("file-start"))} data-file-start={x.file_start.clone()}>
                <span class="c-no">{ x.number }</span>
                <span class="c-time">{ x.time.clone() }</span>
                <span class="c-addr" title={format!("{} → {}", x.source, x.destination)}>{ format!("{} → {}", x.source, x.destination) }</span>
                <span class="c-proto">{ x.protocol.clone() }</span>
                <span class="c-info" title={x.info.clone()}>{ file_tag(x) }{ x.info.clone() }</span>
            </span>
        },
        None => html! { <span class="side none">{ "—" }</span> },
    };
    let delay = r.delay_ms.map(|d| format!("{d:.3} ms")).unwrap_or_default();
    // Which way the packet went: from the capture that sent it to the other.
    let (arrow, way) = match r.sent_by.as_str() {
        "source" => ("→", "sent at the source"),
        "target" => ("←", "sent at the target"),
        _ => ("", ""),
    };
    let title = if delay.is_empty() {
        way.to_string()
    } else {
        format!("{way}, one-way delay {delay}")
    };
    html! {
        <div key={pos} class={classes!("row", "pair", format!("st-{}", r.status), selected.then_some("selected"))}
             data-testid="pair-row" data-status={r.status.clone()} data-frame={r.src.as_ref().map(|x| x.number.to_string())}
             data-twin={r.dst.as_ref().map(|x| x.number.to_string())} data-sent-by={r.sent_by.clone()} role="row" aria-selected={selected.to_string()} {onclick}>
            { side(&r.src) }
            <span class="status" title={title}><span class="way" data-testid="pair-way">{ arrow }</span><b>{ r.status.replace('_', " ") }</b>{ " " }<small>{ delay }</small></span>
            { side(&r.dst) }
        </div>
    }
}

fn col_class(c: Column) -> &'static str {
    match c {
        Column::Number => "c-no",
        Column::Time => "c-time",
        Column::Source => "c-src",
        Column::Destination => "c-dst",
        Column::Protocol => "c-proto",
        Column::Length => "c-len",
        Column::Info => "c-info",
    }
}

/// Width of the Time column for a time format (monospace digits at 12px).
fn time_width(t: crate::proto::TimeFormat) -> u32 {
    use crate::proto::TimeFormat;
    match t {
        TimeFormat::Relative | TimeFormat::Delta => 132,
        TimeFormat::Absolute => 152,
        TimeFormat::Utc => 226,
    }
}
