//! The compare's conversations table: every conversation the source capture saw, each
//! direction with who sent it, how many packets each capture holds, what was lost,
//! duplicated, reordered or rewritten on the way, and the one-way delay's median and 99th
//! percentile — Wireshark's Conversations view, compare-aware.
//!
//! A target packet counts in the source conversation its flow maps to (through the NAT and
//! sequence offsets the compare found), else in its twin's; target packets with neither
//! are not in the table (they are `extra` in the totals).

use super::report::{Direction, NatEndpoint, Percentiles, Report, Status};
use super::side::{Side, NONE};

/// One direction of a conversation.
#[derive(Clone, Debug, Default)]
pub struct ConvDir {
    /// Which capture sent it.
    pub sent_by: Direction,
    /// Packets at the sending capture.
    pub sent: u64,
    /// Packets at the receiving capture.
    pub received: u64,
    /// Sent, never arrived.
    pub lost: u64,
    /// Sent, arrived in part.
    pub partly_lost: u64,
    /// Arrived more than once (the copies beyond the first).
    pub duplicated: u64,
    /// Arrived after a packet sent later.
    pub reordered: u64,
    /// Arrived with fields changed beyond what the path explains.
    pub modified: u64,
    /// Arrived, never sent by the other capture.
    pub extra: u64,
    /// Missing from a capture that counted drops.
    pub capture_drop: u64,
    /// One-way delay of the arrivals (ns).
    pub delay: Option<Percentiles>,
}

/// One conversation, as the source capture saw it (`a` is the lower endpoint).
#[derive(Clone, Debug)]
pub struct ConvRow {
    /// IP protocol (6 TCP, 17 UDP, 1/58 ICMP, ...).
    pub proto: u8,
    /// The endpoints.
    pub endpoints: [NatEndpoint; 2],
    /// a → b and b → a.
    pub dirs: [ConvDir; 2],
}

impl ConvRow {
    /// Packets in both directions at both captures.
    pub fn packets(&self) -> u64 {
        self.dirs.iter().map(|d| d.sent + d.received).sum()
    }
}

fn counted(s: Status) -> bool {
    !matches!(
        s,
        Status::Excluded | Status::OutsideOverlap | Status::CaptureGap | Status::NotForwarded
    )
}

/// Builds the table from the statuses and delays of `r`; `flows_d` maps each target packet
/// to its source flow (`conversation * 2 + direction`, or [`NONE`]), `dirs` is the sender
/// of every source flow.
pub(crate) fn table(
    src: &Side<'_>,
    flows_d: &[u32],
    dirs: &[Direction],
    r: &Report,
) -> Vec<ConvRow> {
    let mut rows: Vec<ConvRow> = src
        .convs
        .iter()
        .enumerate()
        .map(|(c, cv)| {
            let dir = |d: usize| ConvDir {
                sent_by: dirs.get(c * 2 + d).copied().unwrap_or_default(),
                ..ConvDir::default()
            };
            ConvRow {
                proto: cv.proto,
                endpoints: [
                    NatEndpoint {
                        addr: cv.a,
                        port: cv.pa,
                        v6: cv.v6,
                    },
                    NatEndpoint {
                        addr: cv.b,
                        port: cv.pb,
                        v6: cv.v6,
                    },
                ],
                dirs: [dir(0), dir(1)],
            }
        })
        .collect();
    let mut delays: Vec<Vec<i64>> = vec![Vec::new(); rows.len() * 2];
    // Per capture: whether it is the source, and its packets' statuses, delays and senders.
    type SideView<'r> = (bool, &'r [Status], &'r [i64], &'r [Direction]);
    let sides: [SideView<'_>; 2] = [
        (true, &r.src_status, &r.delay_ns, &r.src_direction),
        (false, &r.dst_status, &r.dst_delay_ns, &r.dst_direction),
    ];
    for (at_src, statuses, delay, pkt_dir) in sides {
        for (k, &st) in statuses.iter().enumerate() {
            let flow = if at_src {
                src.flow_of(k as u32).unwrap_or(NONE)
            } else {
                // Through the NAT and sequence map; else the flow of its twin (conversations
                // the map does not pair, such as link-local multicast).
                match flows_d.get(k).copied().unwrap_or(NONE) {
                    NONE => r
                        .dst_twin
                        .get(k)
                        .and_then(|t| t.checked_sub(1))
                        .and_then(|i| src.flow_of(i))
                        .unwrap_or(NONE),
                    f => f,
                }
            };
            if flow == NONE || !counted(st) {
                continue;
            }
            let (c, d) = ((flow / 2) as usize, (flow % 2) as usize);
            let Some(x) = rows.get_mut(c).and_then(|row| row.dirs.get_mut(d)) else {
                continue;
            };
            // The sending capture: the packet's own (a flow's direction is its packets'
            // majority; a lost packet's comes from its hosts), else the flow's.
            let d = match pkt_dir.get(k).copied().unwrap_or_default() {
                Direction::Unknown => x.sent_by,
                d => d,
            };
            if x.sent_by == Direction::Unknown {
                x.sent_by = d;
            }
            let sender_is_src = d != Direction::TargetToSource;
            if at_src == sender_is_src {
                x.sent += 1;
                match st {
                    Status::Lost => x.lost += 1,
                    Status::PartlyLost => x.partly_lost += 1,
                    Status::CaptureDrop => x.capture_drop += 1,
                    _ => {}
                }
            } else {
                x.received += 1;
                match st {
                    Status::Duplicated => x.duplicated += 1,
                    Status::Reordered => x.reordered += 1,
                    Status::Modified => x.modified += 1,
                    Status::Extra => x.extra += 1,
                    Status::CaptureDrop => x.capture_drop += 1,
                    _ => {}
                }
                if let (Some(&v), Some(dv)) = (delay.get(k), delays.get_mut(flow as usize)) {
                    if v != i64::MIN && st != Status::Duplicated {
                        dv.push(v);
                    }
                }
            }
        }
    }
    for (f, v) in delays.iter_mut().enumerate() {
        if let Some(x) = rows.get_mut(f / 2).and_then(|row| row.dirs.get_mut(f % 2)) {
            x.delay = Percentiles::of(v);
        }
    }
    // Busiest first; ties in first-seen order.
    rows.sort_by_key(|row| std::cmp::Reverse(row.packets()));
    rows
}

/// The table as a [`crate::stats::Grid`] for a viewer: one row per direction that carried
/// packets, each with a filter on the conversation as the source capture saw it.
pub fn grid(rows: &[ConvRow]) -> crate::stats::Grid {
    let mut g = crate::stats::Grid::default();
    for (name, num) in [
        ("Protocol", false),
        ("From", false),
        ("To", false),
        ("Sent at", false),
        ("Sent", true),
        ("Received", true),
        ("Lost", true),
        ("Partly lost", true),
        ("Duplicated", true),
        ("Reordered", true),
        ("Modified", true),
        ("Extra", true),
        ("Delay p50 ms", true),
        ("Delay p99 ms", true),
    ] {
        g.columns.push(name.to_string());
        g.numeric.push(num);
    }
    for c in rows {
        let [a, b] = &c.endpoints;
        let field = if a.v6 { "ipv6.addr" } else { "ip.addr" };
        let proto = match c.proto {
            6 => Some("tcp"),
            17 => Some("udp"),
            _ => None,
        };
        let mut filter = format!(
            "{field} == {} && {field} == {}",
            a.addr_text(),
            b.addr_text()
        );
        if let Some(p) = proto {
            filter.push_str(&format!(
                " && {p}.port == {} && {p}.port == {}",
                a.port, b.port
            ));
        }
        for (k, d) in c.dirs.iter().enumerate() {
            if d.sent + d.received == 0 {
                continue;
            }
            let (from, to) = if k == 0 { (a, b) } else { (b, a) };
            let ms = |v: Option<i64>| {
                v.map_or(String::new(), |ns| format!("{:.3}", super::report::ms(ns)))
            };
            g.rows.push((
                vec![
                    super::report::proto_name(c.proto),
                    from.to_string(),
                    to.to_string(),
                    d.sent_by.sender().to_string(),
                    d.sent.to_string(),
                    d.received.to_string(),
                    d.lost.to_string(),
                    d.partly_lost.to_string(),
                    d.duplicated.to_string(),
                    d.reordered.to_string(),
                    d.modified.to_string(),
                    d.extra.to_string(),
                    ms(d.delay.as_ref().map(|p| p.p50)),
                    ms(d.delay.as_ref().map(|p| p.p99)),
                ],
                Some(filter.clone()),
            ));
        }
    }
    g
}
