//! The details tree and the hex pane. Selecting a tree line highlights its bytes; clicking a
//! byte selects the deepest field that covers it. Packet bytes are only ever text.

use super::Ctl;
use crate::model::{Action, State};
use crate::proto::ToWorker;
use std::collections::HashSet;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PaneProps {
    pub state: yew::UseReducerHandle<State>,
    pub ctl: Ctl,
    /// 0: the (source) packet; 1: its twin in the target (compare).
    #[prop_or_default]
    pub side: u8,
}

#[function_component(DetailsPane)]
pub fn details_pane(p: &PaneProps) -> Html {
    let s = &p.state;
    let twin = p.side == 1;
    let details = if twin {
        s.twin_details.as_ref()
    } else {
        s.details.as_ref()
    };
    let testid = if twin { "twin-details" } else { "details" };
    let collapsed = use_state(HashSet::<usize>::new);
    // A new packet: expand everything again (keyed on the frame).
    {
        let collapsed = collapsed.clone();
        use_effect_with(details.map(|d| d.frame), move |_| {
            collapsed.set(HashSet::new())
        });
    }
    // Fields that differ between a packet and its twin.
    let changed: HashSet<&str> = s
        .diff
        .as_ref()
        .map(|d| d.iter().map(|x| x.0.as_str()).collect())
        .unwrap_or_default();
    let Some(d) = details else {
        let hint = match (twin, s.selected_pair) {
            (true, Some((_, 0))) => "The target has no twin of this packet.",
            (false, Some((0, _))) => "The source has no twin of this packet.",
            _ if s.selected_pos.is_some() => "Decoding…",
            _ => "Select a packet to see its fields.",
        };
        return html! { <div class="details-pane empty" data-testid={testid}><p class="hint">{ hint }</p></div> };
    };
    let mut lines = Vec::new();
    let mut hide_below: Option<u16> = None;
    for (i, n) in d.nodes.iter().enumerate() {
        if let Some(h) = hide_below {
            if n.depth > h {
                continue;
            }
            hide_below = None;
        }
        let has_children = d.nodes.get(i + 1).is_some_and(|x| x.depth > n.depth);
        let is_collapsed = collapsed.contains(&i);
        if is_collapsed {
            hide_below = Some(n.depth);
        }
        let selected = !twin && s.node == Some(i);
        let toggle = {
            let collapsed = collapsed.clone();
            Callback::from(move |e: MouseEvent| {
                e.stop_propagation();
                let mut c = (*collapsed).clone();
                if !c.remove(&i) {
                    c.insert(i);
                }
                collapsed.set(c);
            })
        };
        let select = p
            .ctl
            .dispatch
            .reform(move |_: MouseEvent| Action::SelectNode(i));
        let title = n.field.clone().map(|f| {
            format!(
                "{f}{}",
                n.filter
                    .as_ref()
                    .map(|x| format!("  —  {x}"))
                    .unwrap_or_default()
            )
        });
        let apply = n.filter.clone().map(|f| {
            let (d1, s1) = (p.ctl.dispatch.clone(), p.ctl.send.clone());
            let f2 = f.clone();
            let d2 = p.ctl.dispatch.clone();
            html! {
                <span class="actions">
                    <button data-testid="apply-as-filter" title="Apply as filter" onclick={Callback::from(move |e: MouseEvent| {
                        e.stop_propagation();
                        d1.emit(Action::FilterText(f.clone()));
                        s1.emit(ToWorker::Filter { text: f.clone(), id: next_filter_id() });
                    })}>{ "Apply as filter" }</button>
                    <button title="Prepare as filter (put it in the filter box without applying)" onclick={Callback::from(move |e: MouseEvent| {
                        e.stop_propagation();
                        d2.emit(Action::FilterText(f2.clone()));
                    })}>{ "Prepare" }</button>
                </span>
            }
        });
        lines.push(html! {
<div key={i} class={classes!("node", selected.then_some("selected"), n.severity.clone().map(|s| format!("sev-{s}")), n.field.as_deref().filter(|f| changed.contains(f)).map(|_| "changed"))}
                 style={format!("padding-left:{}em", f64::from(n.depth) * 1.2 + 0.3)} onclick={select} title={title}
                 data-field={n.field.clone()}>
                if has_children {
                    <span class="twisty" onclick={toggle}>{ if is_collapsed { "▸" } else { "▾" } }</span>
                } else {
                    <span class="twisty leaf"></span>
                }
                <span class="label">{ n.label.clone() }</span>
                if selected { { apply.unwrap_or_default() } }
            </div>
        });
    }
    let title = twin
        .then(|| html! { <div class="pane-title">{ format!("Target packet {}", d.frame) }</div> });
    let diff = (!twin)
        .then(|| s.diff.as_ref().map(|d| diff_table(d)))
        .flatten();
    html! { <div class="details-pane" data-testid={testid} role="tree">{ title.unwrap_or_default() }{ diff.unwrap_or_default() }{ for lines }</div> }
}

/// Filter request ids from the details pane share the counter with the filter box.
pub fn next_filter_id() -> u32 {
    thread_local!(static N: std::cell::Cell<u32> = const { std::cell::Cell::new(1 << 30) });
    N.with(|n| {
        n.set(n.get().wrapping_add(1));
        n.get()
    })
}

#[function_component(HexPane)]
pub fn hex_pane(p: &PaneProps) -> Html {
    let s = &p.state;
    let Some(d) = s.details.as_ref() else {
        return html! { <div class="hex-pane empty" data-testid="hex"></div> };
    };
    let (hs, hl) = s.highlight().unwrap_or((0, 0));
    let in_hl = |i: usize| hl > 0 && i as u32 >= hs && (i as u32) < hs + hl;
    let lines = d.bytes.chunks(16).enumerate().map(|(li, chunk)| {
        let base = li * 16;
        let hex = chunk.iter().enumerate().map(|(j, b)| {
            let i = base + j;
            let d = p.ctl.dispatch.clone();
            html! { <span class={classes!("b", in_hl(i).then_some("hl"), (j == 8).then_some("gap"))} data-off={i.to_string()}
                          onclick={Callback::from(move |_| d.emit(Action::SelectByte(i as u32)))}>{ format!("{b:02x}") }</span> }
        });
        let ascii = chunk.iter().enumerate().map(|(j, b)| {
            let i = base + j;
            let c = if b.is_ascii_graphic() || *b == b' ' { *b as char } else { '.' };
            let d = p.ctl.dispatch.clone();
            html! { <span class={classes!("a", in_hl(i).then_some("hl"))} onclick={Callback::from(move |_| d.emit(Action::SelectByte(i as u32)))}>{ c.to_string() }</span> }
        });
        html! {
            <div class="hexline" key={li}>
                <span class="off">{ format!("{base:04x}") }</span>
                <span class="hex">{ for hex }</span>
                <span class="ascii">{ for ascii }</span>
            </div>
        }
    });
    html! { <div class="hex-pane" data-testid="hex">{ for lines }</div> }
}

/// What the path changed in the selected packet (compare mode).
fn diff_table(d: &[(String, String, String)]) -> Html {
    if d.is_empty() {
        return html! { <div class="diff none" data-testid="compare-diff">{ "No field differs from the twin but what NAT and routing always change." }</div> };
    }
    html! {
        <table class="diff" data-testid="compare-diff">
            <tr><th>{ "Field" }</th><th>{ "Source" }</th><th>{ "Target" }</th></tr>
            { for d.iter().map(|(f, a, b)| html! { <tr><td><code>{ f.clone() }</code></td><td>{ a.clone() }</td><td>{ b.clone() }</td></tr> }) }
        </table>
    }
}
