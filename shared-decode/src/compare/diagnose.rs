//! Plain-language findings on top of a [`Report`]: what was lost and what the lost packets
//! have in common, what the path injected, duplicated, reordered or rewrote, the clock, the
//! delays, and what may mislead (capture drops, packets outside the overlap).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::classify::Extra;
use super::key::{bits, tcp_flags, Fingerprint};
use super::report::{addr_text, thousands, ClockMethod, Direction, GapEvidence, Report, Status};
use crate::flow::TableState;
use std::collections::{HashMap, HashSet};

type FxMap<K, V> = HashMap<K, V, TableState>;

/// (source, destination, source port, destination port, protocol).
type FlowTuple = ([u8; 16], [u8; 16], u16, u16, u8);

fn pct(n: u64, of: u64) -> String {
    if of == 0 {
        return "0%".into();
    }
    let p = n as f64 * 100.0 / of as f64;
    if p >= 10.0 {
        format!("{p:.0}%")
    } else if p >= 0.1 {
        format!("{p:.1}%")
    } else {
        format!("{p:.2}%")
    }
}

fn proto_text(p: u8) -> &'static str {
    match p {
        1 => "ICMP",
        6 => "TCP",
        17 => "UDP",
        58 => "ICMPv6",
        _ => "IP",
    }
}

fn endpoint(f: &Fingerprint, dst: bool) -> String {
    let v6 = f.family() == bits::FAMILY_V6;
    let (a, p) = if dst {
        (&f.dst, f.dst_port)
    } else {
        (&f.src, f.src_port)
    };
    let addr = addr_text(a, v6);
    let with_port = f.is_tcp() || f.proto == 17;
    match (with_port, v6) {
        (true, true) => format!("[{addr}]:{p}"),
        (true, false) => format!("{addr}:{p}"),
        (false, _) => addr,
    }
}

fn ms(ns: i64) -> String {
    let v = ns as f64 / 1e6;
    if v.abs() >= 100.0 {
        format!("{v:.0} ms")
    } else if v.abs() >= 1.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.3} ms")
    }
}

fn duration(ns: i64) -> String {
    let s = ns as f64 / 1e9;
    if s >= 1.0 {
        format!("{s:.1} s")
    } else {
        ms(ns)
    }
}

/// The most common value and how often it occurs.
fn most<K: std::hash::Hash + Eq + Clone>(it: impl Iterator<Item = K>) -> Option<(K, u64, usize)> {
    // (count, first seen): ties go to the value seen first, whatever the table's seed.
    let mut m: FxMap<K, (u64, usize)> = FxMap::default();
    for (i, k) in it.enumerate() {
        m.entry(k).or_insert((0, i)).0 += 1;
    }
    let distinct = m.len();
    m.into_iter()
        .max_by_key(|(_, (n, first))| (*n, std::cmp::Reverse(*first)))
        .map(|(k, (n, _))| (k, n, distinct))
}

/// Describes what a set of packets has in common (for lost and extra packets).
fn common(ps: &[&Fingerprint], all_syn_hint: &str) -> Vec<String> {
    let mut out = Vec::new();
    let n = ps.len() as u64;
    if n == 0 {
        return out;
    }
    let syns = ps.iter().filter(|f| f.is_syn()).count() as u64;
    let dst_ep = most(ps.iter().map(|f| endpoint(f, true)));
    if syns == n {
        let mut s = if n == 1 {
            "it is a SYN".to_string()
        } else {
            "all are SYNs".to_string()
        };
        if let Some((ep, k, _)) = &dst_ep {
            if *k == n {
                s.push_str(&format!(" to {ep}"));
            }
        }
        s.push_str(all_syn_hint);
        out.push(s);
        return out;
    }
    if let Some((ep, k, _)) = &dst_ep {
        if *k == n && n > 1 {
            out.push(format!("all to {ep}"));
        } else if *k * 10 >= n * 9 && n >= 10 {
            out.push(format!("{} to {ep}", pct(*k, n)));
        }
    }
    if out.is_empty() {
        if let Some((p, k, _)) = most(ps.iter().map(|f| f.proto)) {
            if k == n && n > 1 {
                out.push(format!("all are {}", proto_text(p)));
            }
        }
    }
    if syns > 0 && syns * 2 >= n && syns < n {
        out.push(format!("{} are SYNs", thousands(syns)));
    }
    out
}

/// Builds the diagnosis.
pub(crate) fn diagnose(
    r: &Report,
    src: &[Fingerprint],
    dst: &[Fingerprint],
    x: &Extra,
) -> Vec<String> {
    let mut d = Vec::new();
    let c = &r.counts;
    let live = |s: &Status| *s != Status::Excluded;
    let src_n = r.src_status.iter().filter(|s| live(s)).count() as u64;
    let dst_n = r.dst_status.iter().filter(|s| live(s)).count() as u64;
    if src_n > 0 && dst_n == 0 {
        d.push("The target capture holds no packets.".to_string());
    } else if src_n > 0 && dst_n > 0 && c.matched == 0 {
        d.push(format!(
            "No packet of the source ({}) was found in the target capture ({}): they do not hold the same traffic, or do not overlap in time.",
            thousands(src_n),
            thousands(dst_n)
        ));
    }

    // Loss, per direction, the direction that lost most first.
    let dir_name = |di: usize| {
        if di == 0 {
            "source → target"
        } else {
            "target → source"
        }
    };
    let mut order = [0usize, 1];
    order
        .sort_by_key(|&di| std::cmp::Reverse(c.dirs.get(di).map_or(0, |x| x.lost + x.partly_lost)));
    for di in order {
        let Some(dc) = c.dirs.get(di) else { continue };
        if dc.lost == 0 && dc.partly_lost == 0 {
            continue;
        }
        let (sender, receiver) = if di == 0 {
            ("source", "target")
        } else {
            ("target", "source")
        };
        let (statuses, fps, dirs) = if di == 0 {
            (&r.src_status, src, &r.src_direction)
        } else {
            (&r.dst_status, dst, &r.dst_direction)
        };
        let want = if di == 0 {
            Direction::SourceToTarget
        } else {
            Direction::TargetToSource
        };
        let lost: Vec<&Fingerprint> = statuses
            .iter()
            .zip(fps)
            .zip(dirs)
            .filter(|((st, _), d)| **st == Status::Lost && **d == want)
            .map(|((_, f), _)| f)
            .collect();
        let could = dc.sent;
        let path = if di == 0 {
            "loss on the way from the source side to the target side"
        } else {
            "loss on the way back, from the target side to the source side"
        };
        let mut s = if dc.lost > 0 {
            format!(
                "{} of {} packets the {sender} sent never reached the {receiver} ({}) — {path}",
                thousands(dc.lost),
                thousands(could),
                pct(dc.lost, could)
            )
        } else {
            format!(
                "No packet the {sender} sent was lost whole ({})",
                dir_name(di)
            )
        };
        if dc.partly_lost > 0 {
            s.push_str(&format!(
                "; {} more arrived only in part ({} bytes missing: a super-segment or fragmented datagram cut on the path, one of whose pieces was lost)",
                thousands(dc.partly_lost),
                thousands(dc.bytes_lost)
            ));
        } else if dc.bytes_lost > 0 {
            s.push_str(&format!("; {} TCP bytes", thousands(dc.bytes_lost)));
        }
        let traits = common(&lost, " — new connections are dropped on the path");
        if !traits.is_empty() {
            s.push_str("; ");
            s.push_str(&traits.join("; "));
        } else if !lost.is_empty() {
            let flows: HashSet<FlowTuple, TableState> = lost
                .iter()
                .map(|f| (f.src, f.dst, f.src_port, f.dst_port, f.proto))
                .collect();
            s.push_str(&format!(
                "; spread over {} flows",
                thousands(flows.len() as u64)
            ));
        }
        // Size: everything that large lost, nothing that large delivered (MTU black hole).
        let min_lost = lost.iter().map(|f| f.payload_len).min().unwrap_or(0);
        if min_lost >= 1000 && lost.len() >= 3 {
            let bigger_ok = statuses
                .iter()
                .zip(fps)
                .any(|(st, f)| st.is_pair() && f.payload_len >= min_lost);
            if !bigger_ok {
                s.push_str(&format!(
                    "; all carry at least {min_lost} bytes of payload and no packet that large got through — a path MTU problem (fragmentation needed but blocked)?"
                ));
            }
        }
        // Time: a burst?
        let (t0, t1) = lost.iter().fold((i64::MAX, i64::MIN), |(a, b), f| {
            (a.min(f.ts_ns), b.max(f.ts_ns))
        });
        let info = if di == 0 { &r.src_info } else { &r.dst_info };
        if let (Some(first), Some(last)) = (info.first_ns, info.last_ns) {
            let span = last.saturating_sub(first);
            if lost.len() >= 5 && span > 0 && t1.saturating_sub(t0).saturating_mul(10) < span {
                s.push_str(&format!(
                    "; all within {} starting {} into the capture (an outage)",
                    duration(t1.saturating_sub(t0)),
                    duration(t0.saturating_sub(first))
                ));
            }
        }
        s.push('.');
        d.push(s);
        // Hosts the receiving capture never saw: the far ends of the lost packets, minus every
        // address that occurs in the receiving capture.
        let mut unseen: FxMap<[u8; 16], (u64, bool)> = FxMap::default();
        for f in &lost {
            let e = unseen
                .entry(f.dst)
                .or_insert((0, f.family() == bits::FAMILY_V6));
            e.0 += 1;
        }
        // An address the path translates is seen by the receiving capture under its other
        // name: the NAT map was learnt from packets both captures hold.
        for n in &r.nat {
            for e in if di == 0 { &n.inside } else { &n.outside } {
                unseen.remove(&e.addr);
            }
        }
        let other = if di == 0 { dst } else { src };
        let mut last = ([0u8; 16], [0u8; 16]);
        for f in other {
            if unseen.is_empty() {
                break;
            }
            // Packets of a flow come in runs: look each address pair up once per run.
            if (f.src, f.dst) == last {
                continue;
            }
            last = (f.src, f.dst);
            unseen.remove(&f.src);
            unseen.remove(&f.dst);
        }
        let n_unseen: u64 = unseen.values().map(|x| x.0).sum();
        if n_unseen > 0 && n_unseen * 2 >= dc.lost {
            let mut hosts: Vec<([u8; 16], (u64, bool))> = unseen.into_iter().collect();
            hosts.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
            let names: Vec<String> = hosts
                .iter()
                .take(3)
                .map(|(a, (n, v6))| format!("{} ({})", addr_text(a, *v6), thousands(*n)))
                .collect();
            d.push(format!(
                "{} of the packets lost {} are to hosts the {receiver} capture never saw ({}{}): either everything to them is dropped, or the {receiver} capture does not see them (its filter, another path) — compare only the common traffic with -Y.",
                thousands(n_unseen),
                dir_name(di),
                names.join(", "),
                if hosts.len() > 3 { ", …" } else { "" }
            ));
        }
    }
    // Capture drops.
    for (cap, name, info) in [
        (0usize, "source", &r.src_info),
        (1usize, "target", &r.dst_info),
    ] {
        let missed = if cap == 0 {
            c.dst(Status::CaptureDrop)
        } else {
            c.src(Status::CaptureDrop)
        };
        let counters = match (info.os_drop, info.if_drop) {
            (Some(o), Some(i)) if o != i || i == 0 => format!(
                "{} dropped by the kernel's capture buffer, {} by the interface",
                thousands(o),
                thousands(i)
            ),
            _ => match info.dropped {
                Some(n) => format!("{} dropped", thousands(n)),
                None => "no drop counters recorded".to_string(),
            },
        };
        let acked = x.drop_acked.get(cap).copied().unwrap_or(0);
        if missed > 0 {
            let mut s = format!(
                "The {name} capture missed {} packets that did cross ({counters}): capture drops, not network loss",
                thousands(missed)
            );
            if acked > 0 {
                s.push_str(&format!(
                    "; {} of them carry data the receiver acknowledged",
                    thousands(acked.min(missed))
                ));
            }
            s.push('.');
            d.push(s);
        } else if info.dropped.is_some_and(|n| n > 0) {
            d.push(format!(
                "The {name} capture reports packets dropped by the capture itself ({counters}), but no packet is missing from it."
            ));
        }
        if acked > 0 && info.dropped.is_none_or(|n| n == 0) {
            d.push(format!(
                "{} of the lost packets carry data the receiver acknowledged: they arrived, so the {name} capture may have missed them ({}).",
                thousands(acked),
                if info.dropped.is_some() {
                    "although it reports no drops: another path?"
                } else {
                    "its file records no drop counters"
                }
            ));
        }
    }

    // Extra, per receiving side.
    for (di, statuses, fps, receiver) in [
        (0usize, &r.dst_status, dst, "target"),
        (1usize, &r.src_status, src, "source"),
    ] {
        let extra: Vec<&Fingerprint> = statuses
            .iter()
            .zip(fps)
            .filter(|(s, _)| **s == Status::Extra)
            .map(|(_, f)| f)
            .collect();
        if extra.is_empty() {
            continue;
        }
        let sender = if receiver == "target" {
            "source"
        } else {
            "target"
        };
        let rst = extra
            .iter()
            .filter(|f| f.is_tcp() && f.flags & tcp_flags::RST != 0)
            .count() as u64;
        let icmp_err = extra
            .iter()
            .filter(|f| f.bits & bits::ICMP_ERROR != 0)
            .count() as u64;
        let mut s = format!(
            "{} packets reached the {receiver} ({}) that the {sender} side never sent",
            thousands(extra.len() as u64),
            dir_name(di)
        );
        if rst > 0 {
            s.push_str(&format!(
                "; {} are TCP resets (injected by a middlebox?)",
                thousands(rst)
            ));
        }
        if icmp_err > 0 {
            s.push_str(&format!(
                "; {} are ICMP errors from the path",
                thousands(icmp_err)
            ));
        }
        if rst == 0 && icmp_err == 0 {
            let t = common(&extra, "");
            if !t.is_empty() {
                s.push_str("; ");
                s.push_str(&t.join("; "));
            }
        }
        s.push('.');
        d.push(s);
    }
    for (di, receiver) in [(0usize, "target"), (1usize, "source")] {
        let Some(dc) = c.dirs.get(di) else { continue };
        if dc.duplicated > 0 {
            d.push(format!(
                "{} packets arrived at the {receiver} twice ({}: duplicated on the path).",
                thousands(dc.duplicated),
                dir_name(di)
            ));
        }
        if dc.reordered > 0 {
            d.push(format!(
                "{} packets ({}) arrived after a packet their sender sent later (reordered on the path; RFC 4737 late packets).",
                thousands(dc.reordered),
                dir_name(di)
            ));
        }
    }
    // How the captures cut TCP payload.
    let sg = &r.segmentation;
    for (side, name, info) in [
        (0usize, "source", &r.src_info),
        (1usize, "target", &r.dst_info),
    ] {
        let n = sg.super_segments.get(side).copied().unwrap_or(0);
        if n > 0 {
            let mut s = format!(
                "The {name} capture holds {} TCP super-segments (up to {} bytes of payload): the host's offloads (TSO/GSO when sending, GRO/LRO when receiving) hand the capture segments larger than the MTU; their bytes were matched against however the other capture cut them",
                thousands(n),
                thousands(u64::from(sg.largest.get(side).copied().unwrap_or(0)))
            );
            if !info.offloads.is_empty() {
                s.push_str(&format!(" (recorded: {})", info.offloads.join("; ")));
            }
            s.push('.');
            d.push(s);
        } else if !info.offloads.is_empty() {
            d.push(format!(
                "The {name} capture recorded its interface's offloads: {}.",
                info.offloads.join("; ")
            ));
        }
    }
    if sg.resegmented > 0 {
        d.push(format!(
            "{} TCP segments arrived cut differently from how they were sent, none larger than the MTU: a middlebox re-segments the stream (MSS clamping, a proxy or a load balancer).",
            thousands(sg.resegmented)
        ));
    }
    if sg.degraded_streams > 0 {
        d.push(format!(
            "{} TCP streams are cut into too many overlapping pieces to account for byte by byte; their unaccounted bytes are counted as lost or extra.",
            thousands(u64::from(sg.degraded_streams))
        ));
    }
    for (side, name, info) in [
        (0usize, "source", &r.src_info),
        (1usize, "target", &r.dst_info),
    ] {
        if !r.snap_cut.get(side).copied().unwrap_or(false) {
            continue;
        }
        // A recorded snap length that cannot cut (editcap -s leaves it as it was) is not
        // worth naming.
        let snap = info
            .snaplen
            .filter(|&n| n < 65_535)
            .map_or(String::new(), |n| format!(" (snap length {n})"));
        let what = match r.compared_payload {
            Some(0) => {
                "on their headers alone (lengths, sequence numbers, IP IDs, time)".to_string()
            }
            Some(n) => {
                format!("on their headers and the first {n} payload bytes both captures hold")
            }
            None => "on everything both captures hold; TCP options cut short were not compared"
                .to_string(),
        };
        d.push(format!(
            "The {name} capture cut packets short{snap}: they were matched {what}."
        ));
    }

    // Translation.
    if !r.nat.is_empty() {
        let mut snat: HashMap<(String, String), (u64, u64)> = HashMap::new();
        let mut dnat: HashMap<(String, String), u64> = HashMap::new();
        let mut isn = 0u64;
        for n in &r.nat {
            let [si, di] = n.inside;
            let [so, do_] = n.outside;
            if si.addr != so.addr || si.port != so.port {
                let e = snat
                    .entry((si.addr_text(), so.addr_text()))
                    .or_insert((0, 0));
                e.0 += 1;
                if si.port != so.port {
                    e.1 += 1;
                }
            }
            if di.addr != do_.addr || di.port != do_.port {
                *dnat.entry((di.to_string(), do_.to_string())).or_insert(0) += 1;
            }
            if n.seq_offsets != [0, 0] {
                isn += 1;
            }
        }
        let mut by_out: HashMap<String, (u64, u64, usize)> = HashMap::new();
        for ((_, o), (flows, ports)) in &snat {
            let e = by_out.entry(o.clone()).or_insert((0, 0, 0));
            e.0 += flows;
            e.1 += ports;
            e.2 += 1;
        }
        let mut outs: Vec<(String, (u64, u64, usize))> = by_out.into_iter().collect();
        outs.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
        for (o, (flows, ports, hosts)) in outs.iter().take(3) {
            d.push(format!(
                "Source NAT: {} inside host{} appear as {o} ({} flows, ports rewritten on {}).",
                thousands(*hosts as u64),
                if *hosts == 1 { "" } else { "s" },
                thousands(*flows),
                thousands(*ports)
            ));
        }
        let mut dn: Vec<((String, String), u64)> = dnat.into_iter().collect();
        dn.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for ((i, o), n) in dn.iter().take(3) {
            d.push(format!(
                "Destination NAT: {i} is reached as {o} ({} flows).",
                thousands(*n)
            ));
        }
        if isn > 0 {
            d.push(format!(
                "TCP sequence numbers are shifted on {} flows (a firewall randomising initial sequence numbers).",
                thousands(isn)
            ));
        }
    }
    // Rewrites beyond translation.
    let fields: HashMap<&str, u64> = r.modified_fields.iter().copied().collect();
    let get = |names: &[&str]| {
        names
            .iter()
            .map(|n| fields.get(n).copied().unwrap_or(0))
            .sum::<u64>()
    };
    if x.hops_between > 0 {
        d.push(format!(
            "TTL / hop limit drops by {} between the captures ({} router{} on the way).",
            x.hops_between,
            x.hops_between,
            if x.hops_between == 1 { "" } else { "s" }
        ));
    }
    let mss_pairs: Vec<(u16, u16)> = r
        .src_twin
        .iter()
        .enumerate()
        .filter(|(_, &t)| t != 0)
        .filter_map(|(i, &t)| {
            let a = src.get(i)?;
            let b = dst.get(t as usize - 1)?;
            (a.mss != b.mss).then_some((a.mss, b.mss))
        })
        .collect();
    if !mss_pairs.is_empty() {
        let (top, _, kinds) = most(mss_pairs.iter().copied()).unwrap_or(((0, 0), 0, 0));
        d.push(format!(
            "MSS changed on {} SYNs ({} → {}{}): MSS clamping on the path.",
            thousands(mss_pairs.len() as u64),
            top.0,
            top.1,
            if kinds > 1 { ", and others" } else { "" }
        ));
    }
    for (names, what) in [
        (
            &["ip.dsfield.dscp", "ipv6.tclass.dscp"][..],
            "DSCP rewritten",
        ),
        (
            &["ip.dsfield.ecn", "ipv6.tclass.ecn"][..],
            "ECN bits changed (congestion marks or bleaching)",
        ),
        (&["tcp.window_size_value"][..], "TCP window changed"),
        (
            &["tcp.options"][..],
            "TCP options changed (removed or rewritten)",
        ),
        (&["ip.id"][..], "IP ID rewritten"),
        (&["ipv6.flow"][..], "IPv6 flow label rewritten"),
        (&["ip.flags.df"][..], "Don't Fragment bit changed"),
    ] {
        let n = get(names);
        if n > 0 {
            d.push(format!("{what} on {} packets.", thousands(n)));
        }
    }
    if c.modified > 0
        && d.iter()
            .all(|s| !s.contains("rewritten") && !s.contains("changed"))
    {
        d.push(format!(
            "{} packets were modified on the way.",
            thousands(c.modified)
        ));
    }

    // Clock and delays.
    let k = &r.clock;
    match k.method {
        ClockMethod::TwoWay | ClockMethod::Manual => {
            let ahead = if k.offset_ns >= 0 { "ahead of" } else { "behind" };
            let mut s = format!(
                "The target clock is {} {ahead} the source",
                ms(k.offset_ns.saturating_abs())
            );
            if k.method == ClockMethod::TwoWay {
                s.push_str(&format!(
                    " (± {}, assuming equal minimum delays both ways)",
                    ms(k.uncertainty_ns)
                ));
            } else {
                s.push_str(" (given)");
            }
            if k.drift_ppm != 0.0 {
                s.push_str(&format!(" and runs {:+.1} ppm fast", k.drift_ppm));
            }
            s.push('.');
            d.push(s);
        }
        ClockMethod::OneWay => d.push(format!(
            "Every matched packet passed the source first, so clock offset and delay cannot be separated: target - source = {} including the minimum one-way delay; delays below are relative to the fastest packet.",
            ms(k.offset_ns)
        )),
        ClockMethod::None => {}
    }
    for (name, p) in [
        ("source → target", &r.delay_s2t),
        ("target → source", &r.delay_t2s),
    ] {
        if let Some(p) = p {
            d.push(format!(
                "One-way delay {name}: median {}, 99th percentile {}, max {} ({} packets).",
                ms(p.p50),
                ms(p.p99),
                ms(p.max),
                thousands(p.count)
            ));
        }
    }
    // Sets of files: holes between files, and what fell in them.
    for (name, info, other) in [
        ("source", &r.src_info, c.dst(Status::CaptureGap)),
        ("target", &r.dst_info, c.src(Status::CaptureGap)),
    ] {
        if info.files.len() > 1 {
            let mut s = format!(
                "The {name} is a set of {} files ({} packets)",
                info.files.len(),
                thousands(info.packets)
            );
            let gaps = &info.gaps;
            if gaps.is_empty() {
                s.push_str(", with no file missing between them.");
            } else {
                let files: u64 = gaps.iter().filter_map(|g| g.files_missing).sum();
                let packets: u64 = gaps.iter().filter_map(|g| g.packets_missing).sum();
                s.push_str(&format!(
                    " with {} gap{}",
                    gaps.len(),
                    if gaps.len() == 1 { "" } else { "s" },
                ));
                if files > 0 {
                    s.push_str(&format!(
                        " ({} file{} missing",
                        thousands(files),
                        if files == 1 { "" } else { "s" }
                    ));
                    if packets > 0 {
                        s.push_str(&format!(", which held {} packets", thousands(packets)));
                    }
                    s.push(')');
                }
                let mut parts = Vec::new();
                for g in gaps.iter().take(3) {
                    let why = match g.evidence {
                        GapEvidence::Recorded => "the capture's file numbers skip",
                        GapEvidence::Names => "the file names' counter skips",
                        GapEvidence::Silence => "longer than any silence inside the files",
                    };
                    parts.push(format!(
                        "{} after {} ({why})",
                        duration(g.to_ns.saturating_sub(g.from_ns)),
                        info.files.get(g.after).map_or("?", |f| f.name.as_str())
                    ));
                }
                s.push_str(&format!(
                    ": {}{}; {} packets of the other capture fall in them and are counted as a capture gap, not as lost or extra.",
                    parts.join(", "),
                    if gaps.len() > 3 { ", …" } else { "" },
                    thousands(other)
                ));
            }
            d.push(s);
        }
    }
    let oo = c.src(Status::OutsideOverlap) + c.dst(Status::OutsideOverlap);
    if oo > 0 {
        let mut s = format!(
            "{} packets ({} source, {} target) fall outside the time both captures were running; they are not counted as lost or extra",
            thousands(oo),
            thousands(c.src(Status::OutsideOverlap)),
            thousands(c.dst(Status::OutsideOverlap))
        );
        // Which part of each capture lies outside, on the source's clock.
        if let (Some(s0), Some(s1), Some(t0), Some(t1)) = (
            r.src_info.span_start(),
            r.src_info.span_end(),
            r.dst_info.span_start(),
            r.dst_info.span_end(),
        ) {
            let back = |t: i64| t.saturating_sub(k.offset_at(t.saturating_sub(k.offset_ns)));
            let (t0, t1) = (back(t0), back(t1));
            let mut parts = Vec::new();
            for (who, before, after) in [
                ("source", t0.saturating_sub(s0), s1.saturating_sub(t1)),
                ("target", s0.saturating_sub(t0), t1.saturating_sub(s1)),
            ] {
                if before > 0 {
                    parts.push(format!(
                        "the {who} ran {} before the other started",
                        duration(before)
                    ));
                }
                if after > 0 {
                    parts.push(format!(
                        "the {who} ran {} after the other stopped",
                        duration(after)
                    ));
                }
            }
            if !parts.is_empty() {
                s.push_str(": ");
                s.push_str(&parts.join(", "));
            }
        }
        s.push('.');
        d.push(s);
    }
    let nf = c.src(Status::NotForwarded) + c.dst(Status::NotForwarded);
    if nf > 0 {
        d.push(format!(
            "{} packets ({} source, {} target) do not cross between the capture points (ARP/neighbour discovery, link-local or multicast, traffic to the router itself, TTL expiring on the way).",
            thousands(nf),
            thousands(c.src(Status::NotForwarded)),
            thousands(c.dst(Status::NotForwarded))
        ));
    }
    d
}
