//! Protocol hierarchy (tshark's `-z io,phs`): every frame's top-level protocols, outermost
//! first, as a path in a tree; each node counts the frames and bytes whose path passes it.
//!
//! The protocols are the top-level items of the frame's field tree ([`Packet::emit`]), as
//! tshark walks its own tree — so `ethertype` (inside `eth`) is not a level, `data` and
//! `_ws.malformed` are.

use crate::dissect::Packet;
use crate::field::{FieldDef, FieldType, Sink, Span, Value};
use std::fmt::Write as _;

/// At most this many nodes (a tree of protocol paths is small; the bound holds against a
/// file built to grow it).
pub const MAX_NODES: usize = 100_000;
/// Deepest path kept.
pub const MAX_DEPTH: usize = 64;

struct Node {
    name: &'static str,
    frames: u64,
    bytes: u64,
    children: Vec<u32>,
}

/// The hierarchy being counted.
pub struct Hierarchy {
    nodes: Vec<Node>,
    roots: Vec<u32>,
}

impl Default for Hierarchy {
    fn default() -> Self {
        Hierarchy::new()
    }
}

/// Collects the names of the top-level protocol items.
struct TopLevel {
    depth: u32,
    names: Vec<&'static str>,
}

impl<'a> Sink<'a> for TopLevel {
    fn wants(&self, _proto: &str) -> bool {
        // Only presence matters: a protocol whose fields are not wanted is still emitted.
        false
    }
    fn field(
        &mut self,
        def: &'static FieldDef,
        _value: Value<'a>,
        _span: Span,
        _label: Option<std::fmt::Arguments<'_>>,
    ) {
        if self.depth == 0 && def.ftype == FieldType::Protocol && self.names.len() < MAX_DEPTH {
            self.names.push(def.name);
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
}

impl Hierarchy {
    /// An empty hierarchy.
    pub fn new() -> Hierarchy {
        Hierarchy {
            nodes: Vec::new(),
            roots: Vec::new(),
        }
    }

    /// Counts one frame.
    pub fn observe(&mut self, pkt: &Packet<'_>) {
        let mut t = TopLevel {
            depth: 0,
            names: Vec::new(),
        };
        pkt.emit(&mut t);
        let bytes = u64::from(pkt.meta.orig_len);
        let mut level: Option<u32> = None;
        for name in t.names.into_iter().filter(|n| *n != "frame") {
            let list = match level {
                None => &self.roots,
                Some(i) => match self.nodes.get(i as usize) {
                    Some(n) => &n.children,
                    None => return,
                },
            };
            let found = list
                .iter()
                .copied()
                .find(|&k| self.nodes.get(k as usize).is_some_and(|n| n.name == name));
            let k = match found {
                Some(k) => k,
                None => {
                    if self.nodes.len() >= MAX_NODES {
                        return;
                    }
                    let k = self.nodes.len() as u32;
                    self.nodes.push(Node {
                        name,
                        frames: 0,
                        bytes: 0,
                        children: Vec::new(),
                    });
                    match level {
                        None => self.roots.push(k),
                        Some(i) => {
                            if let Some(n) = self.nodes.get_mut(i as usize) {
                                n.children.push(k);
                            }
                        }
                    }
                    k
                }
            };
            if let Some(n) = self.nodes.get_mut(k as usize) {
                n.frames += 1;
                n.bytes += bytes;
            }
            level = Some(k);
        }
    }

    fn draw(&self, list: &[u32], indent: usize, out: &mut String) {
        for &k in list {
            let Some(n) = self.nodes.get(k as usize) else {
                continue;
            };
            let mut line = String::new();
            for i in 0..indent {
                if i > 15 {
                    line.push_str("...");
                    break;
                }
                line.push_str("  ");
            }
            line.push_str(n.name);
            let _ = writeln!(out, "{line:<40} frames:{} bytes:{}", n.frames, n.bytes);
            self.draw(&n.children, indent + 1, out);
        }
    }

    fn grid_rows(&self, list: &[u32], depth: usize, g: &mut super::Grid, total: (u64, u64)) {
        for &k in list {
            let Some(n) = self.nodes.get(k as usize) else {
                continue;
            };
            let pct = |a: u64, b: u64| {
                if b == 0 {
                    "0.0".to_string()
                } else {
                    format!("{:.1}", a as f64 * 100.0 / b as f64)
                }
            };
            g.rows.push((
                vec![
                    format!("{}{}", "\u{2003}".repeat(depth.min(16)), n.name),
                    n.frames.to_string(),
                    pct(n.frames, total.0),
                    n.bytes.to_string(),
                    pct(n.bytes, total.1),
                ],
                Some(n.name.to_string()),
            ));
            self.grid_rows(&n.children, depth + 1, g, total);
        }
    }

    /// The hierarchy as a table (the tree flattened, indented), each row filtering on its
    /// protocol.
    pub fn grid(&self) -> super::Grid {
        let mut g = super::Grid {
            columns: ["Protocol", "Packets", "% Packets", "Bytes", "% Bytes"]
                .map(String::from)
                .to_vec(),
            numeric: vec![false, true, true, true, true],
            rows: Vec::new(),
            tree: true,
        };
        // Percentages of the frames and bytes under the outermost protocols.
        let total = self.roots.iter().fold((0u64, 0u64), |acc, &k| {
            self.nodes
                .get(k as usize)
                .map_or(acc, |n| (acc.0 + n.frames, acc.1 + n.bytes))
        });
        self.grid_rows(&self.roots, 0, &mut g, total);
        g
    }

    /// tshark's text.
    pub fn text(&self, out: &mut String) {
        let sep = "===================================================================\n";
        out.push('\n');
        out.push_str(sep);
        out.push_str("Protocol Hierarchy Statistics\nFilter: \n\n");
        self.draw(&self.roots, 0, out);
        out.push_str(sep);
    }

    fn json_list(&self, list: &[u32], out: &mut String) {
        out.push('[');
        for (j, &k) in list.iter().enumerate() {
            let Some(n) = self.nodes.get(k as usize) else {
                continue;
            };
            if j > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"protocol\":\"{}\",\"frames\":{},\"bytes\":{},\"children\":",
                n.name, n.frames, n.bytes
            );
            self.json_list(&n.children, out);
            out.push('}');
        }
        out.push(']');
    }

    /// `{"statistic": "io,phs", "tree": [{"protocol", "frames", "bytes", "children"}]}`.
    pub fn json(&self, out: &mut String) {
        out.push_str("{\"statistic\":\"io,phs\",\"tree\":");
        self.json_list(&self.roots, out);
        out.push('}');
    }
}
