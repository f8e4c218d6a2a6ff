//! HTTP/2 (RFC 9113) in clear (h2c): the connection preface, frames, SETTINGS, and header
//! blocks decoded with HPACK (RFC 7541). Over TLS (ALPN `h2`) the frames are encrypted and
//! stay TLS application data without keys.
//!
//! Recognised by the preface, or by a segment made of whole, well-formed frames (type,
//! stream, length as the frame type requires) — h2c runs on any port. Stateless: a header
//! block is decoded with the static table and the entries this packet adds to the dynamic
//! table; a reference to an entry an earlier packet added is shown as such, unresolved.
//! Frames that continue in the next TCP segment are not reassembled.

#![deny(clippy::indexing_slicing)]

use super::app::{AnonPolicy, App, AppProtocol, ColumnText, Handoff, Side};
use super::{field_def, Be, DissectCx, DissectResult, EmitCx};
use crate::error::AppId;
use crate::field::{Base, FieldDef, FieldType, Sink, Span, Value};
use crate::text::push_u64;
use std::cell::RefCell;

/// The row.
pub static PROTOCOL: AppProtocol = AppProtocol {
    id: AppId {
        slot: 5,
        name: "http2",
    },
    def: &HTTP2,
    fields: FIELDS,
    also_emits: &[],
    handoffs: &[Handoff::TcpHeuristic],
    dissect,
    emit,
    columns,
    tcpdump: None,
    anon: AnonPolicy::AppData,
    ports: None,
};

/// The client connection preface (RFC 9113 §3.4).
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const FRAME_HEADER: usize = 9;
/// Frames read per segment (each is at least 9 bytes).
const MAX_FRAMES: usize = 8192;
/// Header fields decoded per block, and dynamic-table entries kept per packet.
const MAX_FIELDS: usize = 1024;
/// Bytes a decoded header string may have (Huffman expands by at most 8/5).
const MAX_STRING: usize = 64 * 1024;

static FRAME_TYPES: &[(u64, &str)] = &[
    (0, "DATA"),
    (1, "HEADERS"),
    (2, "PRIORITY"),
    (3, "RST_STREAM"),
    (4, "SETTINGS"),
    (5, "PUSH_PROMISE"),
    (6, "PING"),
    (7, "GOAWAY"),
    (8, "WINDOW_UPDATE"),
    (9, "CONTINUATION"),
];

/// `http2`.
pub static HTTP2: FieldDef = FieldDef::proto("http2", "HyperText Transfer Protocol 2");
field_def!(MAGIC, "http2.magic", "Magic", FieldType::Str, Base::None);
field_def!(
    STREAM,
    "http2.stream",
    "Stream",
    FieldType::None,
    Base::None
);
field_def!(
    LENGTH,
    "http2.length",
    "Length",
    FieldType::UInt(24),
    Base::Dec
);
/// `http2.type`.
pub static TYPE: FieldDef =
    FieldDef::new("http2.type", "Type", FieldType::UInt(8), Base::Dec).named(FRAME_TYPES);
field_def!(FLAGS, "http2.flags", "Flags", FieldType::UInt(8), Base::Hex);
field_def!(
    STREAMID,
    "http2.streamid",
    "Stream Identifier",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    PAD_LENGTH,
    "http2.pad_length",
    "Pad Length",
    FieldType::UInt(16),
    Base::Dec
);
field_def!(
    DEPENDENCY,
    "http2.stream_dependency",
    "Stream Dependency",
    FieldType::UInt(32),
    Base::Dec
);
/// `http2.settings.id`.
pub static SETTINGS_ID: FieldDef = FieldDef::new(
    "http2.settings.id",
    "Settings Identifier",
    FieldType::UInt(16),
    Base::Dec,
)
.named(&[
    (1, "Header table size"),
    (2, "Enable PUSH"),
    (3, "Max concurrent streams"),
    (4, "Initial Windows size"),
    (5, "Max frame size"),
    (6, "Max header list size"),
    (8, "Extended CONNECT protocol"),
]);
field_def!(
    S_TABLE,
    "http2.settings.header_table_size",
    "Header table size",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    S_PUSH,
    "http2.settings.enable_push",
    "Enable PUSH",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    S_STREAMS,
    "http2.settings.max_concurrent_streams",
    "Max concurrent streams",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    S_WINDOW,
    "http2.settings.initial_window_size",
    "Initial Windows Size",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    S_FRAME,
    "http2.settings.max_frame_size",
    "Max frame size",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    S_HLIST,
    "http2.settings.max_header_list_size",
    "Max header list size",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    S_UNKNOWN,
    "http2.settings.unknown",
    "Unknown Settings",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    HEADER_NAME,
    "http2.header.name",
    "Name",
    FieldType::Str,
    Base::None
);
field_def!(
    HEADER_VALUE,
    "http2.header.value",
    "Value",
    FieldType::Str,
    Base::None
);
field_def!(
    HEADER_REPR,
    "http2.header.repr",
    "Representation",
    FieldType::Str,
    Base::None
);
field_def!(
    HEADER_INDEX,
    "http2.header.index",
    "Index",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    RST_ERROR,
    "http2.rst_stream.error",
    "Error",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(PING, "http2.ping", "Ping", FieldType::Bytes, Base::None);
field_def!(
    GOAWAY_LAST,
    "http2.goaway.last_stream_id",
    "Promised-Stream-ID",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    GOAWAY_ERROR,
    "http2.goaway.error",
    "Error",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    WINDOW_INC,
    "http2.window_update.window_size_increment",
    "Window Size Increment",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    AUTHORITY,
    "http2.headers.authority",
    ":authority",
    FieldType::Str,
    Base::None
);
field_def!(
    STATUS,
    "http2.headers.status",
    ":status",
    FieldType::UInt(16),
    Base::Dec
);
/// `http2.data.data`.
pub static DATA: FieldDef =
    FieldDef::new("http2.data.data", "Data", FieldType::Bytes, Base::None).bulk();

/// Every field.
pub static FIELDS: &[&FieldDef] = &[
    &HTTP2,
    &MAGIC,
    &STREAM,
    &LENGTH,
    &TYPE,
    &FLAGS,
    &STREAMID,
    &PAD_LENGTH,
    &DEPENDENCY,
    &SETTINGS_ID,
    &S_TABLE,
    &S_PUSH,
    &S_STREAMS,
    &S_WINDOW,
    &S_FRAME,
    &S_HLIST,
    &S_UNKNOWN,
    &HEADER_NAME,
    &HEADER_VALUE,
    &HEADER_REPR,
    &HEADER_INDEX,
    &RST_ERROR,
    &PING,
    &GOAWAY_LAST,
    &GOAWAY_ERROR,
    &WINDOW_INC,
    &AUTHORITY,
    &STATUS,
    &DATA,
];

/// RFC 7541 Appendix A.
static STATIC_TABLE: [(&str, &str); 61] = [
    (":authority", ""),
    (":method", "GET"),
    (":method", "POST"),
    (":path", "/"),
    (":path", "/index.html"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "200"),
    (":status", "204"),
    (":status", "206"),
    (":status", "304"),
    (":status", "400"),
    (":status", "404"),
    (":status", "500"),
    ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"),
    ("accept-language", ""),
    ("accept-ranges", ""),
    ("accept", ""),
    ("access-control-allow-origin", ""),
    ("age", ""),
    ("allow", ""),
    ("authorization", ""),
    ("cache-control", ""),
    ("content-disposition", ""),
    ("content-encoding", ""),
    ("content-language", ""),
    ("content-length", ""),
    ("content-location", ""),
    ("content-range", ""),
    ("content-type", ""),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("expect", ""),
    ("expires", ""),
    ("from", ""),
    ("host", ""),
    ("if-match", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("if-range", ""),
    ("if-unmodified-since", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("max-forwards", ""),
    ("proxy-authenticate", ""),
    ("proxy-authorization", ""),
    ("range", ""),
    ("referer", ""),
    ("refresh", ""),
    ("retry-after", ""),
    ("server", ""),
    ("set-cookie", ""),
    ("strict-transport-security", ""),
    ("transfer-encoding", ""),
    ("user-agent", ""),
    ("vary", ""),
    ("via", ""),
    ("www-authenticate", ""),
];

/// One frame: (type, flags, stream, payload, offset of the frame in the segment).
#[derive(Clone, Copy)]
struct Frame<'a> {
    ty: u8,
    flags: u8,
    stream: u32,
    len: u32,
    payload: &'a [u8],
    at: usize,
}

fn start(d: &[u8]) -> usize {
    if d.starts_with(PREFACE) {
        PREFACE.len()
    } else {
        0
    }
}

/// The frames of a segment (a frame cut by the segment's end is the last, with what is there).
fn frames(d: &[u8]) -> impl Iterator<Item = Frame<'_>> {
    let mut p = start(d);
    std::iter::from_fn(move || {
        let len = d.u24_at(p)?;
        let ty = d.u8_at(p + 3)?;
        let flags = d.u8_at(p + 4)?;
        let stream = d.u32_at(p + 5)? & 0x7fff_ffff;
        let at = p;
        let begin = p + FRAME_HEADER;
        let payload = d.get(begin..(begin + len as usize).min(d.len()))?;
        p = begin + len as usize;
        Some(Frame {
            ty,
            flags,
            stream,
            len,
            payload,
            at,
        })
    })
    .take(MAX_FRAMES)
}

/// Whether a frame is well-formed for its type (RFC 9113 §6).
fn well_formed(f: &Frame<'_>) -> bool {
    let len = f.len as usize;
    match f.ty {
        0 | 1 | 9 => f.stream != 0,
        2 => f.stream != 0 && len == 5,
        3 => f.stream != 0 && len == 4,
        4 => f.stream == 0 && len % 6 == 0 && (f.flags & 1 == 0 || len == 0),
        5 => f.stream != 0 && len >= 4,
        6 => f.stream == 0 && len == 8,
        7 => f.stream == 0 && len >= 8,
        8 => len == 4,
        _ => false,
    }
}

/// Claims a segment that starts with the preface or is made of whole well-formed frames.
pub fn dissect<'a>(data: &'a [u8], _off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    let ok = if data.starts_with(PREFACE) {
        true
    } else {
        // Whole frames, except that the last may continue in the next segment when at
        // least one whole frame came before it.
        let mut whole = 0usize;
        let mut cut = false;
        let all = frames(data).all(|f| {
            let end = f.at + FRAME_HEADER + f.len as usize;
            let ok = well_formed(&f) && !cut;
            if end <= data.len() {
                whole += 1;
            } else {
                cut = true;
            }
            ok
        });
        let covered = frames(data)
            .last()
            .is_some_and(|f| f.at + FRAME_HEADER + f.payload.len() == data.len());
        all && whole > 0 && covered
    };
    if !ok {
        return Ok(None);
    }
    super::app::claim(&PROTOCOL, data, Side::Unknown, 0)
}

/// An HPACK integer with an `n`-bit prefix at `p` (RFC 7541 §5.1): (value, bytes).
fn hpack_int(b: &[u8], p: usize, n: u8) -> Option<(u64, usize)> {
    let max = (1u64 << n) - 1;
    let v = u64::from(b.u8_at(p)?) & max;
    if v < max {
        return Some((v, 1));
    }
    let mut v = v;
    // At most 9 continuation bytes fit a u64; more is malformed.
    for i in 1..=9usize {
        let c = b.u8_at(p + i)?;
        v = v.checked_add(u64::from(c & 0x7f) << (7 * (i - 1)))?;
        if c & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

thread_local! {
    // Building the decoder's tables costs more than decoding a header; keep one per thread.
    static HUFFMAN: RefCell<hpack::huffman::HuffmanDecoder> =
        RefCell::new(hpack::huffman::HuffmanDecoder::new());
}

/// A string literal at `p` (RFC 7541 §5.2): (text, bytes).
fn hpack_string(b: &[u8], p: usize) -> Option<(String, usize)> {
    let huff = b.u8_at(p)? & 0x80 != 0;
    let (len, n) = hpack_int(b, p, 7)?;
    let len = usize::try_from(len).ok()?;
    let raw = b.get(p + n..(p + n).checked_add(len)?)?;
    let bytes = if huff {
        if len > MAX_STRING {
            return None;
        }
        HUFFMAN.with(|h| h.borrow_mut().decode(raw).ok())?
    } else {
        raw.to_vec()
    };
    Some((String::from_utf8_lossy(&bytes).into_owned(), n + len))
}

/// One decoded header field.
#[derive(Clone, Debug, PartialEq)]
struct Header {
    /// `None`: a dynamic-table entry added by an earlier packet.
    field: Option<(String, String)>,
    repr: &'static str,
    index: Option<u64>,
}

/// Decodes a header block with the static table and `table` (entries added in this packet,
/// newest first), adding to `table` as the block says.
fn decode_block(b: &[u8], table: &mut Vec<(String, String)>) -> Vec<Header> {
    let mut out = Vec::new();
    let mut p = 0usize;
    let lookup = |i: u64, table: &Vec<(String, String)>| -> Option<(String, String)> {
        let i = usize::try_from(i).ok()?;
        if (1..=61).contains(&i) {
            let (n, v) = STATIC_TABLE.get(i - 1)?;
            Some(((*n).to_owned(), (*v).to_owned()))
        } else {
            table.get(i.checked_sub(62)?).cloned()
        }
    };
    while p < b.len() && out.len() < MAX_FIELDS {
        let Some(first) = b.u8_at(p) else { break };
        if first & 0x80 != 0 {
            let Some((i, n)) = hpack_int(b, p, 7) else {
                break;
            };
            p += n;
            out.push(Header {
                field: lookup(i, table),
                repr: "Indexed Header Field",
                index: Some(i),
            });
        } else if first & 0xe0 == 0x20 {
            // Dynamic table size update: nothing to show in the list.
            let Some((_, n)) = hpack_int(b, p, 5) else {
                break;
            };
            p += n;
        } else {
            let (prefix, repr, indexing) = if first & 0x40 != 0 {
                (6, "Literal Header Field with Incremental Indexing", true)
            } else if first & 0x10 != 0 {
                (4, "Literal Header Field never Indexed", false)
            } else {
                (4, "Literal Header Field without Indexing", false)
            };
            let Some((i, n)) = hpack_int(b, p, prefix) else {
                break;
            };
            p += n;
            let name = if i == 0 {
                let Some((s, n)) = hpack_string(b, p) else {
                    break;
                };
                p += n;
                Some(s)
            } else {
                lookup(i, table).map(|(n, _)| n)
            };
            let Some((value, n)) = hpack_string(b, p) else {
                break;
            };
            p += n;
            let field = name.map(|n| (n, value));
            if indexing {
                // An entry whose name is unknown still takes its place in the table.
                let entry = field
                    .clone()
                    .unwrap_or_else(|| (String::new(), String::new()));
                table.insert(0, entry);
                table.truncate(MAX_FIELDS);
            }
            let name_kind = if i == 0 {
                " - New Name"
            } else {
                " - Indexed Name"
            };
            out.push(Header {
                field,
                repr: match (repr, name_kind) {
                    ("Literal Header Field with Incremental Indexing", " - New Name") => {
                        "Literal Header Field with Incremental Indexing - New Name"
                    }
                    ("Literal Header Field with Incremental Indexing", _) => {
                        "Literal Header Field with Incremental Indexing - Indexed Name"
                    }
                    ("Literal Header Field never Indexed", " - New Name") => {
                        "Literal Header Field never Indexed - New Name"
                    }
                    ("Literal Header Field never Indexed", _) => {
                        "Literal Header Field never Indexed - Indexed Name"
                    }
                    (_, " - New Name") => "Literal Header Field without Indexing - New Name",
                    _ => "Literal Header Field without Indexing - Indexed Name",
                },
                index: (i != 0).then_some(i),
            });
        }
    }
    out
}

/// The header block fragment of a HEADERS or PUSH_PROMISE frame.
fn block<'a>(f: &Frame<'a>) -> &'a [u8] {
    let p = f.payload;
    let mut s = 0usize;
    let mut pad = 0usize;
    if f.flags & 0x8 != 0 {
        pad = usize::from(p.u8_at(0).unwrap_or(0));
        s = 1;
    }
    if f.ty == 1 && f.flags & 0x20 != 0 {
        s += 5;
    }
    if f.ty == 5 {
        s += 4;
    }
    let end = p.len().saturating_sub(pad).max(s.min(p.len()));
    p.get(s..end).unwrap_or(&[])
}

/// Every frame with, for header frames, its decoded fields (one dynamic table for the
/// packet, in frame order).
fn decoded(d: &[u8]) -> Vec<(Frame<'_>, Vec<Header>)> {
    let mut table = Vec::new();
    frames(d)
        .map(|f| {
            let h = if matches!(f.ty, 1 | 5 | 9) {
                decode_block(block(&f), &mut table)
            } else {
                Vec::new()
            };
            (f, h)
        })
        .collect()
}

fn reason(code: u64) -> &'static str {
    match code {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

fn columns(a: &App<'_>, c: &mut ColumnText<'_>) {
    c.protocol.push_str("HTTP2");
    let mut first = true;
    let mut sep = |info: &mut String| {
        if !first {
            info.push_str(", ");
        }
        first = false;
    };
    if a.data.starts_with(PREFACE) {
        sep(c.info);
        c.info.push_str("Magic");
    }
    for (f, headers) in decoded(a.data) {
        sep(c.info);
        c.info
            .push_str(TYPE.value_name(u64::from(f.ty)).unwrap_or("Unknown type"));
        c.info.push('[');
        push_u64(c.info, u64::from(f.stream));
        c.info.push(']');
        let get = |n: &str| {
            headers
                .iter()
                .filter_map(|h| h.field.as_ref())
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
        };
        if let (Some(m), Some(p)) = (get(":method"), get(":path")) {
            c.info.push_str(": ");
            c.info.push_str(m);
            c.info.push(' ');
            c.info.push_str(p);
        } else if let Some(s) = get(":status") {
            c.info.push_str(": ");
            c.info.push_str(s);
            if let Ok(code) = s.parse::<u64>() {
                let r = reason(code);
                if !r.is_empty() {
                    c.info.push(' ');
                    c.info.push_str(r);
                }
            }
        }
    }
}

fn emit<'a>(a: &App<'a>, off: usize, _cx: &EmitCx<'_, 'a>, sink: &mut dyn Sink<'a>) {
    let d = a.data;
    let u = |v: u64| Value::UInt(v);
    sink.open(&HTTP2, Value::None, Span::new(off, d.len()), None);
    if d.starts_with(PREFACE) {
        sink.field(
            &MAGIC,
            Value::Str("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".into()),
            Span::new(off, PREFACE.len()),
            None,
        );
    }
    for (f, headers) in decoded(d) {
        let o = off + f.at;
        let po = o + FRAME_HEADER;
        let name = TYPE.value_name(u64::from(f.ty)).unwrap_or("Unknown type");
        let span = Span::new(o, FRAME_HEADER + f.payload.len());
        if sink.wants_labels() {
            sink.open(
                &STREAM,
                Value::None,
                span,
                Some(format_args!(
                    "Stream: {name}, Stream ID: {}, Length {}",
                    f.stream, f.len
                )),
            );
        } else {
            sink.open(&STREAM, Value::None, span, None);
        }
        sink.field(&LENGTH, u(u64::from(f.len)), Span::new(o, 3), None);
        sink.field(&TYPE, u(u64::from(f.ty)), Span::new(o + 3, 1), None);
        sink.field(&FLAGS, u(u64::from(f.flags)), Span::new(o + 4, 1), None);
        sink.field(&STREAMID, u(u64::from(f.stream)), Span::new(o + 5, 4), None);
        let p = f.payload;
        let w32 = |i: usize| p.u32_at(i).map(u64::from);
        // DATA and HEADERS show their pad length, 0 when not padded (as tshark does).
        if matches!(f.ty, 0 | 1) {
            match (f.flags & 0x8 != 0).then(|| p.u8_at(0)).flatten() {
                Some(n) => sink.field(&PAD_LENGTH, u(u64::from(n)), Span::new(po, 1), None),
                None => sink.field(&PAD_LENGTH, u(0), Span::NONE, None),
            }
        }
        match f.ty {
            0 => sink.field(&DATA, Value::Bytes(p), Span::new(po, p.len()), None),
            1 | 5 | 9 => {
                if f.ty == 1 && f.flags & 0x20 != 0 {
                    let at = usize::from(f.flags & 0x8 != 0);
                    if let Some(dep) = p.u32_at(at) {
                        sink.field(
                            &DEPENDENCY,
                            u(u64::from(dep & 0x7fff_ffff)),
                            Span::new(po + at, 4),
                            None,
                        );
                    }
                }
                for h in &headers {
                    sink.field(&HEADER_REPR, Value::Str(h.repr.into()), Span::NONE, None);
                    if let Some(i) = h.index {
                        sink.field(&HEADER_INDEX, u(i), Span::NONE, None);
                    }
                    if let Some((n, v)) = &h.field {
                        sink.field(&HEADER_NAME, Value::Str(n.clone().into()), Span::NONE, None);
                        sink.field(
                            &HEADER_VALUE,
                            Value::Str(v.clone().into()),
                            Span::NONE,
                            None,
                        );
                        match n.as_str() {
                            ":authority" => sink.field(
                                &AUTHORITY,
                                Value::Str(v.clone().into()),
                                Span::NONE,
                                None,
                            ),
                            ":status" => {
                                if let Ok(s) = v.parse::<u64>() {
                                    sink.field(&STATUS, u(s), Span::NONE, None);
                                }
                            }
                            _ => {}
                        }
                    } else if sink.wants_labels() {
                        sink.text(
                            Span::NONE,
                            format_args!(
                                "[dynamic table entry {} was added by an earlier packet: not decoded]",
                                h.index.unwrap_or(0)
                            ),
                        );
                    }
                }
            }
            3 => {
                if let Some(e) = w32(0) {
                    sink.field(&RST_ERROR, u(e), Span::new(po, 4), None);
                }
            }
            4 => {
                for (i, s) in p.chunks_exact(6).enumerate() {
                    let id = s.u16_at(0).unwrap_or(0);
                    let v = u64::from(s.u32_at(2).unwrap_or(0));
                    let at = po + 6 * i;
                    sink.field(&SETTINGS_ID, u(u64::from(id)), Span::new(at, 2), None);
                    let def = match id {
                        1 => &S_TABLE,
                        2 => &S_PUSH,
                        3 => &S_STREAMS,
                        4 => &S_WINDOW,
                        5 => &S_FRAME,
                        6 => &S_HLIST,
                        _ => &S_UNKNOWN,
                    };
                    sink.field(def, u(v), Span::new(at + 2, 4), None);
                }
            }
            6 => sink.field(&PING, Value::Bytes(p), Span::new(po, p.len()), None),
            7 => {
                if let (Some(l), Some(e)) = (w32(0), w32(4)) {
                    sink.field(&GOAWAY_LAST, u(l & 0x7fff_ffff), Span::new(po, 4), None);
                    sink.field(&GOAWAY_ERROR, u(e), Span::new(po + 4, 4), None);
                }
            }
            8 => {
                if let Some(w) = w32(0) {
                    sink.field(&WINDOW_INC, u(w & 0x7fff_ffff), Span::new(po, 4), None);
                }
            }
            _ => {}
        }
        sink.close();
    }
    sink.close();
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    /// RFC 7541 C.4.1–C.4.3: three requests with Huffman coding; the second and third
    /// refer to entries the earlier ones added.
    #[test]
    fn rfc_7541_appendix_c4() {
        let hex = |s: &str| -> Vec<u8> {
            let s: String = s.split_whitespace().collect();
            (0..s.len() / 2)
                .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
                .collect()
        };
        let mut table = Vec::new();
        let h = decode_block(
            &hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"),
            &mut table,
        );
        let f: Vec<_> = h.iter().map(|h| h.field.clone().unwrap()).collect();
        assert_eq!(f[3], (":authority".into(), "www.example.com".into()));
        let h = decode_block(&hex("8286 84be 5886 a8eb 1064 9cbf"), &mut table);
        assert_eq!(
            h[3].field,
            Some((":authority".into(), "www.example.com".into()))
        );
        assert_eq!(
            h[4].field,
            Some(("cache-control".into(), "no-cache".into()))
        );
        // The same block alone (a packet without the earlier one): the reference is unknown.
        let h = decode_block(&hex("8286 84be 5886 a8eb 1064 9cbf"), &mut Vec::new());
        assert_eq!(h[3].field, None);
        assert_eq!(h[3].index, Some(62));
    }

    #[test]
    fn integers_are_bounded() {
        assert_eq!(hpack_int(&[0x1f, 0x9a, 0x0a], 0, 5), Some((1337, 3)));
        assert_eq!(hpack_int(&[0x7f, 0x7f], 0, 7), Some((254, 2)));
        let mut endless = vec![0x7f];
        endless.extend([0xff; 19]);
        assert_eq!(hpack_int(&endless, 0, 7), None);
    }

    #[test]
    fn heuristic_wants_whole_well_formed_frames() {
        let mut cx = DissectCx::default();
        // SETTINGS with one setting.
        let s = [0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100];
        assert!(dissect(&s, 0, &mut cx).unwrap().is_some());
        // A lone frame cut short, or one on a stream: declined.
        assert!(dissect(&s[..14], 0, &mut cx).unwrap().is_none());
        // A whole frame, then one cut by the segment's end: claimed.
        let mut two = s.to_vec();
        two.extend_from_slice(&s[..12]);
        assert!(dissect(&two, 0, &mut cx).unwrap().is_some());
        let mut bad = s;
        bad[8] = 1;
        assert!(dissect(&bad, 0, &mut cx).unwrap().is_none());
        assert!(dissect(b"GET / HTTP/1.1\r\n\r\n", 0, &mut cx)
            .unwrap()
            .is_none());
    }
}
