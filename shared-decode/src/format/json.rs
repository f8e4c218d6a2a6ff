//! One JSON object per packet (NDJSON): keys are field names, repeated fields become arrays,
//! integers are numbers, booleans are `true`/`false`, presence-only fields are `true`,
//! everything else is a string (addresses, text, bytes as `aa:bb`, absolute times as
//! `"secs.nanos"` so no precision is lost). Protocol presence is in `frame.protocols`.
//!
//! Values are serialised as they are emitted into one reused buffer; fields are grouped by
//! their dense schema index in O(fields), so a packet costs no hashing and no allocation
//! once the buffers have grown.

use crate::dissect::Packet;
use crate::field::{FieldDef, FieldType, Sink, Span, Value};
use std::fmt;
use std::fmt::Write as _;

/// Reusable NDJSON writer.
#[derive(Debug, Default)]
pub struct JsonWriter {
    vals: String,
    entries: Vec<(u32, u32, u32)>,
    groups: Vec<(&'static FieldDef, u32)>,
    stamp: Vec<u32>,
    group_of: Vec<u32>,
    gen: u32,
    starts: Vec<u32>,
    order: Vec<(u32, u32)>,
}

struct Collect<'w> {
    w: &'w mut JsonWriter,
}

impl<'a> Sink<'a> for Collect<'_> {
    fn wants(&self, proto: &str) -> bool {
        // Column text is derived data; JSON carries the fields it is made from.
        proto != "_ws"
    }

    fn field(&mut self, def: &'static FieldDef, value: Value<'a>, _span: Span, _label: Option<fmt::Arguments<'_>>) {
        if def.ftype == FieldType::Protocol {
            return;
        }
        let w = &mut *self.w;
        let start = w.vals.len() as u32;
        write_value(&value, &mut w.vals);
        let end = w.vals.len() as u32;
        let id = def.id() as usize;
        let group = match (w.stamp.get(id), w.group_of.get(id)) {
            (Some(&s), Some(&g)) if s == w.gen => g,
            _ => {
                let g = w.groups.len() as u32;
                w.groups.push((def, 0));
                if let (Some(s), Some(go)) = (w.stamp.get_mut(id), w.group_of.get_mut(id)) {
                    *s = w.gen;
                    *go = g;
                }
                g
            }
        };
        if let Some(gr) = w.groups.get_mut(group as usize) {
            gr.1 += 1;
        }
        w.entries.push((group, start, end));
    }
}

/// Writes a value in JSON.
fn write_value(v: &Value<'_>, out: &mut String) {
    match v {
        Value::None => out.push_str("true"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::UInt(n) => crate::format::text::push_u64(out, *n),
        Value::Int(n) => crate::format::text::push_i64(out, *n),
        Value::Float(f) if f.is_finite() => {
            let _ = write!(out, "{f}");
        }
        Value::Float(_) => out.push_str("null"),
        Value::RelTime(ns) => crate::field::value::write_reltime(*ns, out),
        Value::Ipv4(a) => {
            out.push('"');
            crate::format::text::push_ipv4(out, *a);
            out.push('"');
        }
        Value::Ether(a) => {
            out.push('"');
            crate::format::text::push_mac(out, *a);
            out.push('"');
        }
        Value::Ipv6(a) => {
            out.push('"');
            crate::format::text::push_ipv6(out, *a);
            out.push('"');
        }
        Value::Time(t) => {
            let _ = write!(out, "\"{t}\"");
        }
        Value::Bytes(b) => {
            out.push('"');
            crate::field::value::write_hex_colon(b, out);
            out.push('"');
        }
        Value::Str(s) => push_json_str(out, s),
        #[allow(unreachable_patterns)]
        other => {
            let mut s = String::new();
            static PLAIN: FieldDef = FieldDef::new("", "", FieldType::Bytes, crate::field::Base::None);
            other.write_fields(&PLAIN, &mut s);
            push_json_str(out, &s);
        }
    }
}

/// Appends `s` as a JSON string literal.
pub fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl JsonWriter {
    /// A writer.
    pub fn new() -> JsonWriter {
        let n = crate::field::schema().len();
        JsonWriter {
            stamp: vec![0; n],
            group_of: vec![0; n],
            gen: 0,
            ..JsonWriter::default()
        }
    }

    /// Appends the packet's JSON object and a newline to `out`.
    pub fn write_packet(&mut self, pkt: &Packet<'_>, out: &mut String) {
        self.vals.clear();
        self.entries.clear();
        self.groups.clear();
        self.gen = self.gen.wrapping_add(1);
        if self.gen == 0 {
            self.stamp.iter_mut().for_each(|s| *s = u32::MAX);
            self.gen = 1;
        }
        pkt.emit(&mut Collect { w: self });
        // Counting sort of entries by group, keeping emission order inside a group.
        self.starts.clear();
        let mut acc = 0u32;
        for g in &self.groups {
            self.starts.push(acc);
            acc += g.1;
        }
        self.order.clear();
        self.order.resize(self.entries.len(), (0, 0));
        for &(g, s, e) in &self.entries {
            if let Some(pos) = self.starts.get_mut(g as usize) {
                if let Some(slot) = self.order.get_mut(*pos as usize) {
                    *slot = (s, e);
                }
                *pos += 1;
            }
        }
        out.push('{');
        let mut k = 0usize;
        for (gi, (def, count)) in self.groups.iter().enumerate() {
            if gi > 0 {
                out.push(',');
            }
            out.push('"');
            out.push_str(def.name);
            out.push_str("\":");
            let n = *count as usize;
            if n > 1 {
                out.push('[');
            }
            for j in 0..n {
                if j > 0 {
                    out.push(',');
                }
                if let Some(&(s, e)) = self.order.get(k + j) {
                    out.push_str(self.vals.get(s as usize..e as usize).unwrap_or("null"));
                }
            }
            if n > 1 {
                out.push(']');
            }
            k += n;
        }
        out.push_str("}\n");
    }
}
