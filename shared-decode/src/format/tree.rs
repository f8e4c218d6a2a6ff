//! The details tree: a flat, pre-order list of nodes with depth, byte range, filter name and
//! label — what the viewer's details pane shows and what `paircap read -V` prints.

use crate::dissect::Packet;
use crate::field::{format_bits, FieldDef, FieldType, Group, Severity, Sink, Span, Value};
use std::fmt::{self, Write as _};

/// One line of the details tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Nesting depth (0 = protocol).
    pub depth: u16,
    /// Filter name of the field (`None` for text-only lines and expert notes).
    pub field: Option<&'static str>,
    /// The text shown.
    pub label: String,
    /// Bytes of the frame this node covers.
    pub span: Span,
    /// Expert annotation severity, for expert lines.
    pub severity: Option<Severity>,
    /// `field == value` text usable as a display filter ("Apply as filter").
    pub filter: Option<String>,
}

/// Builds a [`Node`] list.
#[derive(Debug, Default)]
pub struct TreeBuilder {
    /// The nodes so far.
    pub nodes: Vec<Node>,
    depth: u16,
}

/// The bit width a masked field lives in (8, 16, 24 or 32 bits, from the mask or the type).
fn parent_bits(def: &FieldDef) -> u8 {
    match def.ftype {
        FieldType::UInt(b) | FieldType::Int(b) if b > 0 => b,
        _ => {
            let top = 64 - def.mask.leading_zeros();
            (top.div_ceil(8) * 8).clamp(8, 64) as u8
        }
    }
}

/// The label Wireshark would show for a field without a custom one.
pub fn auto_label(def: &FieldDef, value: &Value<'_>) -> String {
    let mut s = String::new();
    if def.mask != 0 {
        let raw = match value {
            Value::Bool(b) => u64::from(*b),
            v => v.as_u64().unwrap_or(0),
        };
        format_bits(def.mask, parent_bits(def), raw, &mut s);
    }
    s.push_str(def.label);
    match value {
        Value::None => {}
        Value::Bool(b) if def.mask != 0 => s.push_str(if *b { ": Set" } else { ": Not set" }),
        v => {
            s.push_str(": ");
            v.write_label(def, &mut s);
        }
    }
    s
}

/// A display filter that matches this field's value, for "Apply as filter".
pub fn filter_for(def: &FieldDef, value: &Value<'_>) -> Option<String> {
    let mut v = String::new();
    match value {
        Value::None => return Some(def.name.to_string()),
        Value::Str(s) => {
            v.push('"');
            for c in s.chars() {
                if c == '"' || c == '\\' {
                    v.push('\\');
                }
                v.push(c);
            }
            v.push('"');
        }
        Value::Bool(b) => v.push_str(if *b { "1" } else { "0" }),
        Value::Time(_) | Value::Float(_) => return Some(def.name.to_string()),
        other => other.write_fields(def, &mut v),
    }
    Some(format!("{} == {}", def.name, v))
}

impl<'a> Sink<'a> for TreeBuilder {
    fn wants(&self, proto: &str) -> bool {
        proto != "_ws"
    }

    fn wants_labels(&self) -> bool {
        true
    }

    fn field(
        &mut self,
        def: &'static FieldDef,
        value: Value<'a>,
        span: Span,
        label: Option<fmt::Arguments<'_>>,
    ) {
        if def.has(FieldDef::HIDDEN) {
            return;
        }
        let label = match label {
            Some(a) => {
                let mut s = String::new();
                let _ = s.write_fmt(a);
                s
            }
            None if def.ftype == FieldType::Protocol => def.label.to_string(),
            None => auto_label(def, &value),
        };
        let filter = if def.ftype == FieldType::Protocol {
            Some(def.name.to_string())
        } else {
            filter_for(def, &value)
        };
        self.nodes.push(Node {
            depth: self.depth,
            field: Some(def.name),
            label,
            span,
            severity: None,
            filter,
        });
    }

    fn open(
        &mut self,
        def: &'static FieldDef,
        value: Value<'a>,
        span: Span,
        label: Option<fmt::Arguments<'_>>,
    ) {
        self.field(def, value, span, label);
        self.depth += 1;
    }

    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn text(&mut self, span: Span, label: fmt::Arguments<'_>) {
        self.nodes.push(Node {
            depth: self.depth,
            field: None,
            label: label.to_string(),
            span,
            severity: None,
            filter: None,
        });
    }

    fn expert(
        &mut self,
        severity: Severity,
        group: Group,
        message: fmt::Arguments<'_>,
        span: Span,
    ) {
        self.nodes.push(Node {
            depth: self.depth,
            field: None,
            label: format!(
                "[Expert Info ({}/{}): {}]",
                severity_title(severity),
                group.name(),
                message
            ),
            span,
            severity: Some(severity),
            filter: None,
        });
    }
}

fn severity_title(s: Severity) -> &'static str {
    match s {
        Severity::Comment => "Comment",
        Severity::Chat => "Chat",
        Severity::Note => "Note",
        Severity::Warn => "Warning",
        Severity::Error => "Error",
    }
}

/// The details tree of a packet.
pub fn tree(pkt: &Packet<'_>) -> Vec<Node> {
    let mut b = TreeBuilder::default();
    pkt.emit(&mut b);
    // Spans end at the captured bytes: a field whose header says it is longer (a capture
    // cut by its snap length, a lying length field) covers what is there.
    let len = u32::try_from(pkt.data.len()).unwrap_or(u32::MAX);
    for n in &mut b.nodes {
        n.span.off = n.span.off.min(len);
        n.span.len = n.span.len.min(len - n.span.off);
    }
    if let Some(e) = &pkt.stop {
        b.nodes.push(Node {
            depth: 0,
            field: None,
            label: format!("[Malformed Packet: {e}]"),
            span: Span::new(e.offset, pkt.data.len().saturating_sub(e.offset)),
            severity: Some(Severity::Error),
            filter: Some("_ws.malformed".into()),
        });
    }
    b.nodes
}

/// Renders a tree as indented text (tshark `-V` style).
pub fn render(nodes: &[Node], out: &mut String) {
    for n in nodes {
        for _ in 0..n.depth {
            out.push_str("    ");
        }
        out.push_str(&n.label);
        out.push('\n');
    }
}
