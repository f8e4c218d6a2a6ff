//! Statistics over a whole capture, one implementation for the CLI (`paircap read -z`) and
//! the viewer: conversations and endpoints ([`conv`]), protocol hierarchy ([`phs`]), expert
//! information ([`expert`]), IO statistics ([`io`]) and TCP stream following ([`follow`]),
//! each printed in tshark's
//! `-z` layout or as JSON.
//!
//! A statistic is fed every packet in file order ([`Stat::observe`], after flow tracking,
//! so `tcp.stream` is known) and renders once at the end.

pub mod conv;
pub mod expert;
pub mod follow;
pub mod io;
pub mod phs;

use crate::dissect::Packet;

/// One statistic the user asked for.
pub enum Stat {
    /// `conv,TYPE` / `endpoints,TYPE`.
    Table(conv::Table),
    /// `follow,tcp,MODE,N`.
    Follow(follow::Follow),
    /// `io,phs`.
    Hierarchy(phs::Hierarchy),
    /// `expert[,LEVEL]`.
    Expert(expert::Expert),
    /// `io,stat,INTERVAL[,COLUMN…]`.
    Io(io::Io),
}

impl Stat {
    /// Parses tshark's `-z` argument: `conv,tcp`, `endpoints,ip`, `follow,tcp,ascii,3`.
    pub fn parse(arg: &str) -> Result<Stat, String> {
        let parts: Vec<&str> = arg.split(',').collect();
        match parts.as_slice() {
            ["conv", kind] => Ok(Stat::Table(conv::Table::new(
                conv::Kind::parse(kind)?,
                false,
            ))),
            ["endpoints", kind] => Ok(Stat::Table(conv::Table::new(
                conv::Kind::parse(kind)?,
                true,
            ))),
            ["io", "phs"] => Ok(Stat::Hierarchy(phs::Hierarchy::new())),
            ["io", "stat", rest @ ..] => Ok(Stat::Io(io::Io::parse(rest)?)),
            ["expert"] => Ok(Stat::Expert(expert::Expert::default())),
            ["expert", level] => Ok(Stat::Expert(expert::Expert::new(
                expert::Expert::parse_level(level)?,
            ))),
            ["expert", _, ..] => Err(format!(
                "-z {arg}: paircap's expert takes a level only (expert,error|warn|note|chat); \
                 filter the packets with -Y"
            )),
            ["follow", "tcp", mode, stream] => {
                let mode = follow::Mode::parse(mode)?;
                let stream: u32 = stream
                    .parse()
                    .map_err(|_| format!("follow,tcp: {stream:?} is not a stream number"))?;
                Ok(Stat::Follow(follow::Follow::new(stream, mode)))
            }
            [s, ..] if matches!(*s, "conv" | "endpoints") => {
                Err(format!("-z {arg}: give one type: {s},eth|ip|ipv6|tcp|udp"))
            }
            ["follow", ..] => Err(format!(
                "-z {arg}: paircap follows TCP streams: follow,tcp,raw|ascii|hex,STREAM"
            )),
            _ => Err(format!(
                "-z {arg}: unknown statistic (paircap has conv,TYPE endpoints,TYPE io,phs \
                 io,stat,INTERVAL[,COLUMN…] expert[,LEVEL] follow,tcp,MODE,STREAM; TYPE is eth, \
                 ip, ipv6, tcp or udp)"
            )),
        }
    }

    /// Whether the statistic reads only protocol headers (addresses, ports, lengths, flow
    /// analysis): conversations, endpoints, and IO statistics of frames and bytes. The viewer feeds those from the header bytes
    /// it keeps per packet instead of reading the records.
    pub fn headers_only(&self) -> bool {
        match self {
            Stat::Table(_) => true,
            Stat::Io(i) => i.headers_only(),
            _ => false,
        }
    }

    /// Takes one packet, in file order.
    pub fn observe(&mut self, pkt: &Packet<'_>) {
        match self {
            Stat::Table(t) => t.observe(pkt),
            Stat::Follow(f) => f.observe(pkt),
            Stat::Hierarchy(h) => h.observe(pkt),
            Stat::Expert(e) => e.observe(pkt),
            Stat::Io(i) => i.observe(pkt),
        }
    }

    /// The text tshark prints for this statistic.
    pub fn text(&self, out: &mut String) {
        match self {
            Stat::Table(t) => t.text(out),
            Stat::Follow(f) => f.text(out),
            Stat::Hierarchy(h) => h.text(out),
            Stat::Expert(e) => e.text(out),
            Stat::Io(i) => i.text(out),
        }
    }

    /// The statistic as one JSON object.
    pub fn json(&self, out: &mut String) {
        match self {
            Stat::Table(t) => t.json(out),
            Stat::Follow(f) => f.json(out),
            Stat::Hierarchy(h) => h.json(out),
            Stat::Expert(e) => e.json(out),
            Stat::Io(i) => i.json(out),
        }
    }
}

/// tshark's `format_size` for byte counts (SI prefixes, integer division): `330 bytes`,
/// `180 kB`, `12 MB`.
pub fn format_size(n: u64) -> String {
    const P: [(u64, &str); 4] = [
        (1_000_000_000_000, "T"),
        (1_000_000_000, "G"),
        (1_000_000, "M"),
        (1_000, "k"),
    ];
    for (d, p) in P {
        if n / d >= 10 {
            return format!("{} {p}B", n / d);
        }
    }
    format!("{n} bytes")
}

/// A statistic as a plain table, for a viewer: column names, and per row its cells and the
/// display filter that selects its packets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Grid {
    /// Column names.
    pub columns: Vec<String>,
    /// Which columns hold numbers (sorted numerically).
    pub numeric: Vec<bool>,
    /// Rows: cells, and the filter for the row's packets.
    pub rows: Vec<(Vec<String>, Option<String>)>,
    /// The rows are a tree flattened in order (indented first cells): not to be sorted.
    pub tree: bool,
}

impl Stat {
    /// The statistic as a [`Grid`] (follow streams have none: their bytes are text).
    pub fn grid(&self) -> Option<Grid> {
        match self {
            Stat::Table(t) => Some(t.grid()),
            Stat::Hierarchy(h) => Some(h.grid()),
            Stat::Expert(e) => Some(e.grid()),
            Stat::Io(i) => Some(i.grid()),
            Stat::Follow(_) => None,
        }
    }
}
