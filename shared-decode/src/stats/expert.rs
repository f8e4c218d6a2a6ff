//! Expert information (`-z expert`): every expert annotation the dissectors attach to a
//! packet, counted per severity by (protocol, summary) in first-seen order, as tshark's
//! `tap-expert` does, with the frames of each entry.
//!
//! Like tshark with its default preferences, checksum annotations are left out: paircap
//! checks checksums (the tree shows the verdict), but a sending host's capture holds
//! checksums its NIC fills in later, so they would flood the summary with false errors.

use std::fmt::Write as _;

use crate::dissect::Packet;
use crate::field::{FieldDef, FieldType, Group, Severity, Sink, Span, Value};

/// Most entries kept (distinct protocol + summary pairs per severity); more are counted in
/// `dropped`. HTTP request lines make one entry each, so a capture of many URIs needs room.
const MAX_ENTRIES: usize = 100_000;
/// Frames remembered per entry (for the viewer's "its packets"); the count goes on.
const MAX_FRAMES: usize = 1_000;
/// Longest summary kept, in bytes: tshark cuts labels at 240 bytes with their NUL.
const MAX_SUMMARY: usize = 239;

/// One line of the summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Severity.
    pub severity: Severity,
    /// Group.
    pub group: Group,
    /// Protocol short name (`TCP`).
    pub protocol: &'static str,
    /// Summary text.
    pub summary: String,
    /// How many annotations.
    pub count: u64,
    /// The first frames that carry it (at most 1,000).
    pub frames: Vec<u64>,
}

/// Expert information being counted.
pub struct Expert {
    /// Least severity reported (`expert,warn` → warnings and errors).
    min: Severity,
    entries: Vec<Entry>,
    index: std::collections::HashMap<(Severity, &'static str, String), usize>,
    /// Annotations not kept because the table was full.
    pub dropped: u64,
    /// Emit every protocol's fields, not only those of the protocols known to annotate
    /// (slower; the test that keeps the list honest sets it).
    pub every_protocol: bool,
}

/// Protocols whose emitters make expert annotations.
const ANNOTATING: &[&str] = &[
    "frame", "ip", "ipv6", "icmp", "icmpv6", "tcp", "udp", "http", "ssdp",
];

/// Collects the annotations of one packet with the protocol they were made in.
struct Collect {
    every_protocol: bool,
    depth: u32,
    protocol: &'static str,
    found: Vec<(Severity, Group, &'static str, String)>,
}

impl<'a> Sink<'a> for Collect {
    fn wants(&self, proto: &str) -> bool {
        // Only the protocols that annotate (their emitters make the annotations next to the
        // fields they concern): 1.7× faster than emitting everything. A protocol that starts
        // annotating joins ANNOTATING; a test compares with `every_protocol` on the corpus.
        self.every_protocol || ANNOTATING.contains(&proto)
    }
    fn field(
        &mut self,
        def: &'static FieldDef,
        _value: Value<'a>,
        _span: Span,
        _label: Option<std::fmt::Arguments<'_>>,
    ) {
        if self.depth == 0 && def.ftype == FieldType::Protocol {
            self.protocol = short_name(def.name);
        }
    }
    fn open(
        &mut self,
        def: &'static FieldDef,
        value: Value<'a>,
        span: Span,
        label: Option<std::fmt::Arguments<'_>>,
    ) {
        self.field(def, value, span, label);
        self.depth += 1;
    }
    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }
    fn expert(
        &mut self,
        severity: Severity,
        group: Group,
        message: std::fmt::Arguments<'_>,
        _span: Span,
    ) {
        if group == Group::Checksum || self.found.len() >= 64 {
            return;
        }
        let mut s = message.to_string();
        if s.len() > MAX_SUMMARY {
            let mut cut = MAX_SUMMARY;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            s.truncate(cut);
        }
        self.found.push((severity, group, self.protocol, s));
    }
}

/// tshark's short name of a protocol, from its filter name.
pub fn short_name(filter: &'static str) -> &'static str {
    match filter {
        "frame" => "Frame",
        "eth" => "Ethernet",
        "ip" => "IPv4",
        "ipv6" => "IPv6",
        "tcp" => "TCP",
        "udp" => "UDP",
        "icmp" => "ICMP",
        "icmpv6" => "ICMPv6",
        "igmp" => "IGMP",
        "arp" => "ARP",
        "http" => "HTTP",
        "ssdp" => "SSDP",
        "dns" => "DNS",
        "mdns" => "MDNS",
        "tls" => "TLS",
        "dhcp" => "DHCP",
        "dhcpv6" => "DHCPv6",
        "ntp" => "NTP",
        "ssh" => "SSHv2",
        "sctp" => "SCTP",
        "quic" => "QUIC",
        "http2" => "HTTP2",
        "vlan" => "802.1Q",
        "sll" => "SLL",
        "gre" => "GRE",
        "vxlan" => "VXLAN",
        "mpls" => "MPLS",
        "pppoes" | "pppoed" => "PPPoES",
        "ppp" => "PPP",
        "esp" => "ESP",
        "ah" => "AH",
        other => other,
    }
}

impl Default for Expert {
    fn default() -> Self {
        Expert::new(Severity::Comment)
    }
}

/// Section titles, most severe first, as tshark prints them.
const SECTIONS: [(Severity, &str); 5] = [
    (Severity::Error, "Errors"),
    (Severity::Warn, "Warns"),
    (Severity::Note, "Notes"),
    (Severity::Chat, "Chats"),
    (Severity::Comment, "Comments"),
];

impl Expert {
    /// Counts annotations of severity `min` and above.
    pub fn new(min: Severity) -> Expert {
        Expert {
            min,
            entries: Vec::new(),
            index: std::collections::HashMap::new(),
            dropped: 0,
            every_protocol: false,
        }
    }

    /// Parses the severity of `expert,LEVEL` (tshark's words).
    pub fn parse_level(s: &str) -> Result<Severity, String> {
        match s.to_ascii_lowercase().as_str() {
            "error" => Ok(Severity::Error),
            "warn" => Ok(Severity::Warn),
            "note" => Ok(Severity::Note),
            "chat" => Ok(Severity::Chat),
            "comment" => Ok(Severity::Comment),
            _ => Err(format!(
                "-z expert,{s}: the level is error, warn, note, chat or comment"
            )),
        }
    }

    /// The entries in first-seen order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Counts one frame's annotations.
    pub fn observe(&mut self, pkt: &Packet<'_>) {
        let mut c = Collect {
            every_protocol: self.every_protocol,
            depth: 0,
            protocol: "",
            found: Vec::new(),
        };
        pkt.emit(&mut c);
        let frame = pkt.meta.number;
        for (severity, group, protocol, summary) in c.found {
            if severity < self.min {
                continue;
            }
            let key = (severity, protocol, summary);
            let i = match self.index.get(&key) {
                Some(&i) => i,
                None => {
                    if self.entries.len() >= MAX_ENTRIES {
                        self.dropped += 1;
                        continue;
                    }
                    let i = self.entries.len();
                    self.entries.push(Entry {
                        severity,
                        group,
                        protocol,
                        summary: key.2.clone(),
                        count: 0,
                        frames: Vec::new(),
                    });
                    self.index.insert(key, i);
                    i
                }
            };
            if let Some(e) = self.entries.get_mut(i) {
                e.count += 1;
                if e.frames.len() < MAX_FRAMES && e.frames.last() != Some(&frame) {
                    e.frames.push(frame);
                }
            }
        }
    }

    /// tshark's layout: a section per severity (errors first), each with its total, then
    /// `frequency group protocol summary` lines.
    pub fn text(&self, out: &mut String) {
        for (sev, title) in SECTIONS {
            let items: Vec<&Entry> = self.entries.iter().filter(|e| e.severity == sev).collect();
            if items.is_empty() {
                continue;
            }
            let total: u64 = items.iter().map(|e| e.count).sum();
            let _ = writeln!(out, "\n{title} ({total})\n=============");
            out.push_str("   Frequency      Group           Protocol  Summary\n");
            for e in items {
                let _ = writeln!(
                    out,
                    "{:>12} {:>10} {:>18}  {}",
                    e.count,
                    e.group.name(),
                    e.protocol,
                    e.summary
                );
            }
        }
    }

    /// `{"statistic":"expert","entries":[{severity, group, protocol, summary, count,
    /// frames}]}`, most severe first.
    pub fn json(&self, out: &mut String) {
        use crate::format::json::push_json_str;
        out.push_str("{\"statistic\":\"expert\",\"entries\":[");
        let mut first = true;
        for (sev, _) in SECTIONS {
            for e in self.entries.iter().filter(|e| e.severity == sev) {
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str("{\"severity\":");
                push_json_str(out, e.severity.name());
                out.push_str(",\"group\":");
                push_json_str(out, e.group.name());
                out.push_str(",\"protocol\":");
                push_json_str(out, e.protocol);
                out.push_str(",\"summary\":");
                push_json_str(out, &e.summary);
                let _ = write!(out, ",\"count\":{},\"frames\":[", e.count);
                for (k, f) in e.frames.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{f}");
                }
                out.push_str("]}");
            }
        }
        let _ = write!(out, "],\"dropped\":{}}}", self.dropped);
    }

    /// The summary as a table; each row selects the frames of its entry (the first 1,000).
    pub fn grid(&self) -> super::Grid {
        let mut g = super::Grid {
            columns: ["Severity", "Group", "Protocol", "Summary", "Count"]
                .map(String::from)
                .to_vec(),
            numeric: vec![false, false, false, false, true],
            rows: Vec::new(),
            tree: false,
        };
        for (sev, _) in SECTIONS {
            for e in self.entries.iter().filter(|e| e.severity == sev) {
                let mut filter = String::from("frame.number in {");
                for (k, f) in e.frames.iter().enumerate() {
                    if k > 0 {
                        filter.push(' ');
                    }
                    let _ = write!(filter, "{f}");
                }
                filter.push('}');
                g.rows.push((
                    vec![
                        e.severity.name().to_string(),
                        e.group.name().to_string(),
                        e.protocol.to_string(),
                        e.summary.clone(),
                        e.count.to_string(),
                    ],
                    Some(filter),
                ));
            }
        }
        g
    }
}
