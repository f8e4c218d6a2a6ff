//! Follow TCP Stream: the bytes both ends sent in one TCP stream, in order, each direction
//! in its colour (client: the sender of the stream's first packet), as text, a hex dump or
//! raw hex — built in the worker by `shared_decode::stats::follow` (the code behind
//! `paircap read -z follow,tcp,…`, byte-identical to tshark's).

use super::bars::BarProps;
use super::panes::next_filter_id;
use crate::model::Action;
use crate::proto::ToWorker;
use shared_decode::stats::follow::{chunk_text, Mode};
use web_sys::{HtmlSelectElement, MouseEvent};
use yew::prelude::*;

#[function_component(FollowDialog)]
pub fn follow_dialog(p: &BarProps) -> Html {
    let s = &p.state;
    let mode = use_state(|| Mode::Ascii);
    // 0 both directions, 1 client → server only, 2 server → client only.
    let show = use_state(|| 0u8);
    let close = p.ctl.dispatch.reform(|_: MouseEvent| Action::CloseFollow);
    let Some(f) = s.follow.clone() else {
        return html! {
            <div class="modal-back" onclick={close.clone()}>
                <div class="modal follow" data-testid="follow-dialog" onclick={Callback::from(|e: MouseEvent| e.stop_propagation())} role="dialog" aria-label="Follow TCP stream">
                    <h2>{ "Follow TCP stream" }</h2>
                    <p class="stats-busy" data-testid="follow-busy">{ "Reassembling…" }</p>
                    <button onclick={close}>{ "Close" }</button>
                </div>
            </div>
        };
    };
    let stream = f.stream;
    let apply = |text: String| {
        let (d, send) = (p.ctl.dispatch.clone(), p.ctl.send.clone());
        Callback::from(move |_: MouseEvent| {
            d.emit(Action::FilterText(text.clone()));
            send.emit(ToWorker::Filter {
                text: text.clone(),
                id: next_filter_id(),
            });
            d.emit(Action::CloseFollow);
        })
    };
    let goto = |to: Option<u32>| {
        let (d, send) = (p.ctl.dispatch.clone(), p.ctl.send.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(stream) = to {
                d.emit(Action::FollowAsked);
                send.emit(ToWorker::Follow {
                    frame: 0,
                    stream: Some(stream),
                });
            }
        })
    };
    let prev = stream.checked_sub(1);
    let next = (stream + 1 < f.streams).then_some(stream + 1);
    let on_mode = {
        let mode = mode.clone();
        Callback::from(move |e: Event| {
            if let Some(sel) = e.target_dyn_into::<HtmlSelectElement>() {
                if let Ok(m) = Mode::parse(&sel.value()) {
                    mode.set(m);
                }
            }
        })
    };
    let on_show = {
        let show = show.clone();
        Callback::from(move |e: Event| {
            if let Some(sel) = e.target_dyn_into::<HtmlSelectElement>() {
                show.set(sel.value().parse().unwrap_or(0));
            }
        })
    };
    let mut pos = [0u32; 2];
    let mut text_all = String::new();
    let blocks: Vec<Html> = f
        .chunks
        .iter()
        .filter_map(|c| {
            let side = usize::from(c.server);
            let off = pos[side];
            pos[side] = off.wrapping_add(c.data.len() as u32);
            let wanted = match *show {
                1 => !c.server,
                2 => c.server,
                _ => true,
            };
            if !wanted {
                return None;
            }
            let t = chunk_text(*mode, &c.data, off);
            text_all.push_str(&t);
            Some(html! {
                <pre class={classes!("follow-chunk", if c.server { "server" } else { "client" })}
                     data-testid="follow-chunk" data-node={u8::from(c.server).to_string()}
                     data-frame={c.frame.to_string()}
                     title={format!("frame {}: {} bytes", c.frame, c.data.len())}>{ t }</pre>
            })
        })
        .collect();
    let bytes = |server: bool| -> usize {
        f.chunks
            .iter()
            .filter(|c| c.server == server)
            .map(|c| c.data.len())
            .sum()
    };
    let save = {
        let name = format!("tcp-stream-{stream}.txt");
        Callback::from(move |_: MouseEvent| {
            let buf = js_sys::Uint8Array::from(text_all.as_bytes());
            let _ = super::download_as(&buf.into(), &name, "text/plain");
        })
    };
    html! {
        <div class="modal-back" onclick={close.clone()}>
            <div class="modal follow" data-testid="follow-dialog" data-stream={stream.to_string()} onclick={Callback::from(|e: MouseEvent| e.stop_propagation())} role="dialog" aria-label="Follow TCP stream">
                <h2 data-testid="follow-title">{ format!("Follow TCP stream {stream} (tcp.stream eq {stream})") }</h2>
                <p class="follow-nodes">
                    <span class="client">{ format!("{} → {}: {} bytes", f.nodes.first().cloned().unwrap_or_default(), f.nodes.get(1).cloned().unwrap_or_default(), bytes(false)) }</span>
                    { "   " }
                    <span class="server">{ format!("{} → {}: {} bytes", f.nodes.get(1).cloned().unwrap_or_default(), f.nodes.first().cloned().unwrap_or_default(), bytes(true)) }</span>
                    if f.truncated {
                        <span class="warn">{ " — only the first 8 MiB are shown (paircap read -z follow,tcp,raw,N has all)" }</span>
                    }
                </p>
                <div class="stats-controls">
                    <select data-testid="follow-mode" onchange={on_mode}>
                        <option value="ascii" selected={*mode == Mode::Ascii}>{ "ASCII" }</option>
                        <option value="hex" selected={*mode == Mode::Hex}>{ "Hex dump" }</option>
                        <option value="raw" selected={*mode == Mode::Raw}>{ "Raw (hex)" }</option>
                    </select>
                    <select data-testid="follow-show" onchange={on_show}>
                        <option value="0" selected={*show == 0}>{ "Entire conversation" }</option>
                        <option value="1" selected={*show == 1}>{ "Client → server only" }</option>
                        <option value="2" selected={*show == 2}>{ "Server → client only" }</option>
                    </select>
                    <button data-testid="follow-prev" disabled={prev.is_none()} onclick={goto(prev)}>{ "◀ Previous stream" }</button>
                    <button data-testid="follow-next" disabled={next.is_none()} onclick={goto(next)}>{ "Next stream ▶" }</button>
                </div>
                <div class="follow-scroll" data-testid="follow-text">{ for blocks }</div>
                <div class="stats-controls">
                    <button data-testid="follow-filter" onclick={apply(format!("tcp.stream == {stream}"))}>{ "Filter to this stream" }</button>
                    <button data-testid="follow-filter-out" onclick={apply(format!("!(tcp.stream == {stream})"))}>{ "Filter out this stream" }</button>
                    <button data-testid="follow-save" onclick={save}>{ "Save as…" }</button>
                    <button onclick={close}>{ "Close" }</button>
                </div>
            </div>
        </div>
    }
}
