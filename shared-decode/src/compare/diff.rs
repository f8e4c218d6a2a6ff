//! Field-by-field difference of a packet and its twin, with Wireshark field names: both
//! packets emit their fields through the schema's [`Sink`]; fields are lined up by name and
//! occurrence. Left out: `frame.*` (time, number, lengths of the capture), generated fields
//! (stream indexes, relative numbers, analysis, checksum status: no bytes behind them),
//! filter conveniences (`ip.addr`, `tcp.port`) and payload bytes.

use super::report::FieldDiff;
use crate::dissect::Packet;
use crate::field::{FieldDef, FieldType, Sink, Span, Value};
use std::collections::HashMap;
use std::fmt;

struct Collect {
    out: Vec<(&'static str, String)>,
}

impl<'a> Sink<'a> for Collect {
    fn wants(&self, proto: &str) -> bool {
        proto != "frame" && proto != "_ws"
    }

    fn field(
        &mut self,
        def: &'static FieldDef,
        value: Value<'a>,
        span: Span,
        _label: Option<fmt::Arguments<'_>>,
    ) {
        if span.len == 0
            || def.has(FieldDef::HIDDEN)
            || def.has(FieldDef::BULK)
            || matches!(def.ftype, FieldType::Protocol | FieldType::None)
            || def.protocol() == "frame"
        {
            return;
        }
        let mut s = String::new();
        value.write_fields(def, &mut s);
        self.out.push((def.name, s));
    }
}

fn fields(p: &Packet<'_>) -> Vec<(&'static str, String)> {
    let mut c = Collect { out: Vec::new() };
    p.emit(&mut c);
    c.out
}

/// The fields whose values differ between `src` and its twin `dst` (a field missing on one
/// side has an empty value there), in the order they first appear.
pub fn diff(src: &Packet<'_>, dst: &Packet<'_>) -> Vec<FieldDiff> {
    let a = fields(src);
    let b = fields(dst);
    let mut order: Vec<&'static str> = Vec::new();
    let mut by: HashMap<&'static str, (Vec<String>, Vec<String>)> = HashMap::new();
    for (side, list) in [(0, a), (1, b)] {
        for (name, v) in list {
            let e = by.entry(name).or_insert_with(|| {
                order.push(name);
                (Vec::new(), Vec::new())
            });
            if side == 0 {
                e.0.push(v);
            } else {
                e.1.push(v);
            }
        }
    }
    let mut out = Vec::new();
    for name in order {
        let Some((x, y)) = by.get(name) else { continue };
        if x == y {
            continue;
        }
        for k in 0..x.len().max(y.len()) {
            let (p, q) = (
                x.get(k).cloned().unwrap_or_default(),
                y.get(k).cloned().unwrap_or_default(),
            );
            if p != q {
                out.push(FieldDiff {
                    field: name,
                    src: p,
                    dst: q,
                });
            }
        }
    }
    out
}
