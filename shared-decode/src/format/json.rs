//! One JSON object per packet (NDJSON): keys are field names, repeated fields become arrays,
//! integers are numbers, booleans are `true`/`false`, presence-only fields are `true`,
//! everything else is a string (addresses, text, bytes as `aa:bb`, `frame.time` as ISO 8601
//! UTC and `frame.time_epoch` as `"secs.nanos"`, so no precision is lost). Protocol presence
//! is in `frame.protocols`.
//!
//! Left out: payload bytes (`tcp.payload`, `udp.payload`, `data.data`, `tls.app_data`,
//! `http.file_data`) unless [`JsonWriter::payloads`] is set — as hex they would be most of the
//! output — and layout detail shown only in the tree (raw option bytes, option kinds).
//!
//! Speed: values are written as bytes straight into the output line with precomputed
//! `"key":` prefixes; a field repeated right after itself (`ip.addr`, `tcp.port`, emitted
//! adjacently on purpose) becomes an array in place; a field repeated later (tunnels, DNS
//! answers) is kept aside and merged in one rebuild of that line only.

use crate::dissect::Packet;
use crate::field::{Base, FieldDef, FieldType, Sink, Span, Value};
use crate::file::Timestamp;
use std::fmt;
use std::fmt::Write as _;

/// Reusable NDJSON writer.
#[derive(Debug, Default)]
pub struct JsonWriter {
    payloads: bool,
    /// `"name":` of every field, back to back; `key_at[id]` is (start, end).
    keys: Vec<u8>,
    key_at: Vec<(u32, u32)>,
    /// Per field id: left out of JSON (protocols, layout detail, payloads unless wanted).
    skip: Vec<bool>,
    stamp: Vec<u32>,
    gen: u32,
    /// Per field id: value range in `line` and whether it is already an array.
    range: Vec<(u32, u32, bool)>,
    line: Vec<u8>,
    last_id: u32,
    last_is_array: bool,
    any: bool,
    /// Non-adjacent repeats: (field id, value range in `extra_buf`).
    extra: Vec<(u32, u32, u32)>,
    extra_buf: Vec<u8>,
    merged: Vec<u8>,
    scratch: String,
}

struct Collect<'w> {
    w: &'w mut JsonWriter,
}

impl<'a> Sink<'a> for Collect<'_> {
    fn wants(&self, proto: &str) -> bool {
        // Column text is derived data; JSON carries the fields it is made from.
        proto != "_ws"
    }

    fn field(
        &mut self,
        def: &'static FieldDef,
        value: Value<'a>,
        _span: Span,
        _label: Option<fmt::Arguments<'_>>,
    ) {
        let w = &mut *self.w;
        let id = def.id_fast();
        let idx = id as usize;
        match w.skip.get(idx) {
            Some(false) => {}
            Some(true) => return,
            None => {
                if def.ftype == FieldType::Protocol
                    || def.has(FieldDef::DETAIL)
                    || def.has(FieldDef::BULK)
                {
                    return;
                }
            }
        }
        if id == w.last_id && w.any {
            // Adjacent repeat: make (or extend) an array in place.
            if !w.last_is_array {
                if let Some(r) = w.range.get(idx) {
                    w.line.insert(r.0 as usize, b'[');
                }
                w.last_is_array = true;
            }
            w.line.push(b',');
            write_value(def, &value, &mut w.line, &mut w.scratch);
            if let Some(r) = w.range.get_mut(idx) {
                r.1 = w.line.len() as u32;
                r.2 = true;
            }
            return;
        }
        w.close_array();
        if w.stamp.get(idx).is_some_and(|&s| s == w.gen) {
            let s0 = w.extra_buf.len() as u32;
            write_value(def, &value, &mut w.extra_buf, &mut w.scratch);
            w.extra.push((id, s0, w.extra_buf.len() as u32));
            // The line's last field is no longer the last emitted: a later value of it is
            // not an adjacent repeat (it would be appended at the line's end, inside
            // whatever field is there).
            w.last_id = u32::MAX;
            return;
        }
        if let Some(s) = w.stamp.get_mut(idx) {
            *s = w.gen;
        }
        if w.any {
            w.line.push(b',');
        }
        w.any = true;
        match w
            .key_at
            .get(idx)
            .and_then(|&(s, e)| w.keys.get(s as usize..e as usize))
        {
            Some(k) => w.line.extend_from_slice(k),
            None => {
                w.line.push(b'"');
                w.line.extend_from_slice(def.name.as_bytes());
                w.line.extend_from_slice(b"\":");
            }
        }
        let start = w.line.len() as u32;
        write_value(def, &value, &mut w.line, &mut w.scratch);
        if let Some(r) = w.range.get_mut(idx) {
            *r = (start, w.line.len() as u32, false);
        }
        w.last_id = id;
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn put_u64(out: &mut Vec<u8>, mut v: u64) {
    if v < 10 {
        out.push(b'0' + v as u8);
        return;
    }
    if v < 100 {
        out.push(b'0' + (v / 10) as u8);
        out.push(b'0' + (v % 10) as u8);
        return;
    }
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(b) = buf.get_mut(i) {
            *b = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    out.extend_from_slice(buf.get(i..).unwrap_or(&[]));
}

fn put_pad9(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [b'0'; 9];
    for b in buf.iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend_from_slice(&buf);
}

fn put_hex_colon(out: &mut Vec<u8>, b: &[u8]) {
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            out.push(b':');
        }
        out.push(HEX.get(usize::from(x >> 4)).copied().unwrap_or(b'0'));
        out.push(HEX.get(usize::from(x & 15)).copied().unwrap_or(b'0'));
    }
}

fn put_ipv4(out: &mut Vec<u8>, a: [u8; 4]) {
    for (i, b) in a.iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        if *b >= 100 {
            out.push(b'0' + b / 100);
        }
        if *b >= 10 {
            out.push(b'0' + (b / 10) % 10);
        }
        out.push(b'0' + b % 10);
    }
}

fn put_epoch(out: &mut Vec<u8>, t: Timestamp) {
    if t.secs < 0 {
        out.push(b'-');
    }
    put_u64(out, t.secs.unsigned_abs());
    out.push(b'.');
    put_pad9(out, u64::from(t.nanos));
}

/// Writes a value in JSON.
fn write_value(def: &FieldDef, v: &Value<'_>, out: &mut Vec<u8>, scratch: &mut String) {
    match v {
        Value::None => out.extend_from_slice(b"true"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::UInt(n) => put_u64(out, *n),
        Value::Int(n) => {
            if *n < 0 {
                out.push(b'-');
            }
            put_u64(out, n.unsigned_abs());
        }
        Value::Float(f) if f.is_finite() => {
            scratch.clear();
            let _ = write!(scratch, "{f}");
            out.extend_from_slice(scratch.as_bytes());
        }
        Value::Float(_) => out.extend_from_slice(b"null"),
        Value::RelTime(ns) => {
            if *ns < 0 {
                out.push(b'-');
            }
            let a = ns.unsigned_abs();
            put_u64(out, u64::try_from(a / 1_000_000_000).unwrap_or(u64::MAX));
            out.push(b'.');
            put_pad9(out, (a % 1_000_000_000) as u64);
        }
        Value::Ipv4(a) => {
            out.push(b'"');
            put_ipv4(out, *a);
            out.push(b'"');
        }
        Value::Ether(a) => {
            out.push(b'"');
            put_hex_colon(out, a);
            out.push(b'"');
        }
        Value::Bytes(b) => {
            out.push(b'"');
            put_hex_colon(out, b);
            out.push(b'"');
        }
        Value::Time(t) if def.base == Base::Dec => {
            out.push(b'"');
            put_epoch(out, *t);
            out.push(b'"');
        }
        Value::Str(s) => push_json_bytes(out, s),
        other => {
            scratch.clear();
            match other {
                Value::Time(t) => crate::field::value::write_iso(*t, scratch),
                Value::Ipv6(a) => crate::text::push_ipv6(scratch, *a),
                o => o.write_fields(def, scratch),
            }
            out.push(b'"');
            out.extend_from_slice(scratch.as_bytes());
            out.push(b'"');
        }
    }
}

fn push_json_bytes(out: &mut Vec<u8>, s: &str) {
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    let mut t = String::new();
    push_json_str(&mut t, s);
    out.extend_from_slice(t.as_bytes());
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
            // Control characters a terminal acts on (C0, DEL, C1, bidi overrides) as \u
            // escapes, so JSON on a terminal is as safe as text.
            c if (c as u32) < 0x20
                || c == '\u{2028}'
                || c == '\u{2029}'
                || crate::text::is_unsafe_char(c) =>
            {
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
        let schema = crate::schema();
        let n = schema.len();
        let mut keys = Vec::new();
        let mut key_at = Vec::with_capacity(n);
        for f in schema.all() {
            let s = keys.len() as u32;
            keys.extend_from_slice(format!("\"{}\":", f.name).as_bytes());
            key_at.push((s, keys.len() as u32));
        }
        let skip = schema
            .all()
            .iter()
            .map(|f| {
                f.ftype == FieldType::Protocol || f.has(FieldDef::DETAIL) || f.has(FieldDef::BULK)
            })
            .collect();
        JsonWriter {
            keys,
            key_at,
            skip,
            stamp: vec![0; n],
            range: vec![(0, 0, false); n],
            gen: 0,
            ..JsonWriter::default()
        }
    }

    /// Include payload bytes (`tcp.payload`, `data.data`, ...).
    pub fn set_payloads(&mut self, on: bool) {
        self.payloads = on;
        for (f, s) in crate::schema().all().iter().zip(self.skip.iter_mut()) {
            *s = f.ftype == FieldType::Protocol
                || f.has(FieldDef::DETAIL)
                || (f.has(FieldDef::BULK) && !on);
        }
    }

    fn close_array(&mut self) {
        if self.last_is_array {
            self.line.push(b']');
            if let Some(r) = self.range.get_mut(self.last_id as usize) {
                r.1 = self.line.len() as u32;
            }
            self.last_is_array = false;
        }
    }

    /// Appends the packet's JSON object and a newline to `out`.
    pub fn write_packet(&mut self, pkt: &Packet<'_>, out: &mut String) {
        self.gen = self.gen.wrapping_add(1);
        if self.gen == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.gen = 1;
        }
        self.line.clear();
        self.extra.clear();
        self.extra_buf.clear();
        self.any = false;
        self.last_is_array = false;
        self.last_id = u32::MAX;
        pkt.emit(&mut Collect { w: self });
        self.close_array();
        out.push('{');
        let line = if self.extra.is_empty() {
            &self.line
        } else {
            self.merge();
            &self.merged
        };
        // Everything written is ASCII or copied from `&str` values, so this cannot fail.
        out.push_str(std::str::from_utf8(line).unwrap_or(""));
        out.push_str("}\n");
    }

    /// Rebuilds the line with the non-adjacent repeats appended to their fields' arrays.
    fn merge(&mut self) {
        let mut ids: Vec<u32> = self.extra.iter().map(|e| e.0).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.sort_by_key(|&id| self.range.get(id as usize).map_or(0, |r| r.0));
        self.merged.clear();
        let mut pos = 0usize;
        for id in ids {
            let Some(&(s, e, is_array)) = self.range.get(id as usize) else {
                continue;
            };
            let (s, e) = (s as usize, e as usize);
            self.merged
                .extend_from_slice(self.line.get(pos..s).unwrap_or(&[]));
            if is_array {
                self.merged
                    .extend_from_slice(self.line.get(s..e.saturating_sub(1)).unwrap_or(&[]));
            } else {
                self.merged.push(b'[');
                self.merged
                    .extend_from_slice(self.line.get(s..e).unwrap_or(&[]));
            }
            for &(xid, xs, xe) in &self.extra {
                if xid == id {
                    self.merged.push(b',');
                    self.merged.extend_from_slice(
                        self.extra_buf.get(xs as usize..xe as usize).unwrap_or(&[]),
                    );
                }
            }
            self.merged.push(b']');
            pos = e;
        }
        self.merged
            .extend_from_slice(self.line.get(pos..).unwrap_or(&[]));
    }
}
