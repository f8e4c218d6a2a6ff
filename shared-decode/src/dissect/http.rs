//! HTTP/1.x (RFC 9112) request and status lines and headers, parsed with `httparse`.
//! Chosen on the usual HTTP ports and, elsewhere, by a heuristic (a known method and a space,
//! or `HTTP/1.`). Bodies are not reassembled: a segment that does not start a message is
//! left to TCP.

use super::{emit, open, Decoded, DissectCx, DissectResult, Dissected, Next};
use crate::field::{Base, FieldDef, FieldType, Group, Severity, Sink, Span, Value};

/// Most headers parsed from one message.
pub const MAX_HEADERS: usize = 64;

/// `http`.
pub static HTTP: FieldDef = FieldDef::proto("http", "Hypertext Transfer Protocol");
/// SSDP: its own protocol in Wireshark (`ssdp`), with `http.*` fields.
pub static SSDP: FieldDef = FieldDef::proto("ssdp", "Simple Service Discovery Protocol");
/// `http.request`.
pub static REQUEST: FieldDef =
    FieldDef::new("http.request", "Request", FieldType::Bool, Base::None);
/// `http.response`.
pub static RESPONSE: FieldDef =
    FieldDef::new("http.response", "Response", FieldType::Bool, Base::None);
/// `http.request.method`.
pub static METHOD: FieldDef = FieldDef::new(
    "http.request.method",
    "Request Method",
    FieldType::Str,
    Base::None,
);
/// `http.request.uri`.
pub static URI: FieldDef = FieldDef::new(
    "http.request.uri",
    "Request URI",
    FieldType::Str,
    Base::None,
);
/// `http.request.version`.
pub static REQ_VERSION: FieldDef = FieldDef::new(
    "http.request.version",
    "Request Version",
    FieldType::Str,
    Base::None,
);
/// `http.request.line`.
pub static REQ_LINE: FieldDef = FieldDef::new(
    "http.request.line",
    "Request line",
    FieldType::Str,
    Base::None,
);
/// `http.response.version`.
pub static RESP_VERSION: FieldDef = FieldDef::new(
    "http.response.version",
    "Response Version",
    FieldType::Str,
    Base::None,
);
/// `http.response.code`.
pub static CODE: FieldDef = FieldDef::new(
    "http.response.code",
    "Status Code",
    FieldType::UInt(16),
    Base::Dec,
);
/// `http.response.phrase`.
pub static PHRASE: FieldDef = FieldDef::new(
    "http.response.phrase",
    "Response Phrase",
    FieldType::Str,
    Base::None,
);
/// `http.response.line`.
pub static RESP_LINE: FieldDef = FieldDef::new(
    "http.response.line",
    "Response line",
    FieldType::Str,
    Base::None,
);
/// `http.host`.
pub static HOST: FieldDef = FieldDef::new("http.host", "Host", FieldType::Str, Base::None);
/// `http.user_agent`.
pub static USER_AGENT: FieldDef =
    FieldDef::new("http.user_agent", "User-Agent", FieldType::Str, Base::None);
/// `http.accept`.
pub static ACCEPT: FieldDef = FieldDef::new("http.accept", "Accept", FieldType::Str, Base::None);
/// `http.referer`.
pub static REFERER: FieldDef = FieldDef::new("http.referer", "Referer", FieldType::Str, Base::None);
/// `http.cookie`.
pub static COOKIE: FieldDef = FieldDef::new("http.cookie", "Cookie", FieldType::Str, Base::None);
/// `http.set_cookie`.
pub static SET_COOKIE: FieldDef =
    FieldDef::new("http.set_cookie", "Set-Cookie", FieldType::Str, Base::None);
/// `http.content_type`.
pub static CONTENT_TYPE: FieldDef = FieldDef::new(
    "http.content_type",
    "Content-Type",
    FieldType::Str,
    Base::None,
);
/// `http.content_length_header`.
pub static CONTENT_LENGTH: FieldDef = FieldDef::new(
    "http.content_length_header",
    "Content-Length",
    FieldType::Str,
    Base::None,
);
/// `http.server`.
pub static SERVER: FieldDef = FieldDef::new("http.server", "Server", FieldType::Str, Base::None);
/// `http.location`.
pub static LOCATION: FieldDef =
    FieldDef::new("http.location", "Location", FieldType::Str, Base::None);
/// `http.connection`.
pub static CONNECTION: FieldDef =
    FieldDef::new("http.connection", "Connection", FieldType::Str, Base::None);
/// `http.authorization`.
pub static AUTHORIZATION: FieldDef = FieldDef::new(
    "http.authorization",
    "Authorization",
    FieldType::Str,
    Base::None,
);
/// `http.file_data` (the body bytes present in this segment).
pub static FILE_DATA: FieldDef =
    FieldDef::new("http.file_data", "File Data", FieldType::Bytes, Base::None).bulk();

/// Fields of this module.
pub static FIELDS: &[&FieldDef] = &[
    &HTTP,
    &SSDP,
    &REQUEST,
    &RESPONSE,
    &METHOD,
    &URI,
    &REQ_VERSION,
    &REQ_LINE,
    &RESP_VERSION,
    &CODE,
    &PHRASE,
    &RESP_LINE,
    &HOST,
    &USER_AGENT,
    &ACCEPT,
    &REFERER,
    &COOKIE,
    &SET_COOKIE,
    &CONTENT_TYPE,
    &CONTENT_LENGTH,
    &SERVER,
    &LOCATION,
    &CONNECTION,
    &AUTHORIZATION,
    &FILE_DATA,
];

const METHODS: &[&[u8]] = &[
    b"GET",
    b"POST",
    b"HEAD",
    b"PUT",
    b"DELETE",
    b"OPTIONS",
    b"TRACE",
    b"CONNECT",
    b"PATCH",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"SEARCH",
    b"NOTIFY",
    b"SUBSCRIBE",
    b"UNSUBSCRIBE",
    b"M-SEARCH",
    b"REPORT",
];

/// An HTTP message start (the bytes of this segment).
#[derive(Clone, Debug)]
pub struct Http<'a> {
    /// Segment payload starting with the request or status line.
    pub data: &'a [u8],
    /// Request (true) or response.
    pub request: bool,
    /// SSDP (HTTP over UDP 1900).
    pub ssdp: bool,
}

/// Parsed start line and headers, with offsets relative to the message.
#[derive(Clone, Debug, Default)]
pub struct Head<'a> {
    /// Request method.
    pub method: Option<&'a str>,
    /// Request target.
    pub uri: Option<&'a str>,
    /// Status code.
    pub code: Option<u16>,
    /// Reason phrase.
    pub reason: Option<&'a str>,
    /// `HTTP/1.x`.
    pub version: Option<&'static str>,
    /// The start line without CRLF.
    pub first_line: &'a str,
    /// (name, value, offset of the line, line length incl. CRLF).
    pub headers: Vec<(&'a str, &'a str, usize, usize)>,
    /// Offset of the body, when the header block is complete.
    pub body: Option<usize>,
}

fn offset_in(base: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).saturating_sub(base.as_ptr() as usize)
}

impl<'a> Http<'a> {
    /// Parses the head with `httparse` (partial heads keep what was parsed).
    pub fn head(&self) -> Head<'a> {
        let d = self.data;
        let line_end = memchr_crlf(d).unwrap_or(d.len());
        let first_line = std::str::from_utf8(d.get(..line_end).unwrap_or(&[])).unwrap_or("");
        let mut head = Head {
            first_line,
            ..Head::default()
        };
        let mut hdrs = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let status;
        if self.request {
            let mut req = httparse::Request::new(&mut hdrs);
            status = req.parse(d);
            head.method = req.method;
            head.uri = req.path;
            head.version = req.version.map(version_str);
            if head.method.is_none() {
                // httparse refuses some targets; fall back to splitting the line.
                let mut it = first_line.splitn(3, ' ');
                head.method = it.next();
                head.uri = it.next();
                head.version = it.next().and_then(|v| match v {
                    "HTTP/1.0" => Some("HTTP/1.0"),
                    "HTTP/1.1" => Some("HTTP/1.1"),
                    _ => None,
                });
            }
            collect(&mut head, d, &hdrs);
        } else {
            let mut resp = httparse::Response::new(&mut hdrs);
            status = resp.parse(d);
            head.code = resp.code;
            head.reason = resp.reason;
            head.version = resp.version.map(version_str);
            if head.code.is_none() {
                let mut it = first_line.splitn(3, ' ');
                head.version = it.next().and_then(|v| {
                    if v.starts_with("HTTP/1.1") {
                        Some("HTTP/1.1")
                    } else if v.starts_with("HTTP/1.0") {
                        Some("HTTP/1.0")
                    } else {
                        None
                    }
                });
                head.code = it.next().and_then(|c| c.parse().ok());
                head.reason = it.next();
            }
            collect(&mut head, d, &hdrs);
        }
        if let Ok(httparse::Status::Complete(n)) = status {
            head.body = Some(n);
        }
        head
    }

    /// Wireshark's Info: the start line and a space.
    pub fn write_info(&self, out: &mut String) {
        let h = self.head();
        out.push_str(h.first_line);
        out.push(' ');
    }

    pub(crate) fn emit(&self, off: usize, sink: &mut dyn Sink<'a>) {
        let h = self.head();
        open!(
            sink,
            if self.ssdp { &SSDP } else { &HTTP },
            Value::None,
            Span::new(off, self.data.len()),
            "{}",
            if self.ssdp {
                "Simple Service Discovery Protocol"
            } else {
                "Hypertext Transfer Protocol"
            }
        );
        let line_len = h.first_line.len();
        let line_def = if self.request { &REQ_LINE } else { &RESP_LINE };
        let _ = line_def;
        open!(
            sink,
            if self.request { &REQUEST } else { &RESPONSE },
            Value::Bool(true),
            // The line's CRLF, when the segment holds it (a cut capture may end mid-line).
            Span::new(off, (line_len + 2).min(self.data.len())),
            "{}\\r\\n",
            h.first_line
        );
        // Wireshark's chat note on every request (with a version) and status line; the
        // CRLF only when the capture holds it.
        // (A complete request line without a version, HTTP/0.9 style, gets none.)
        let complete = self.data.len() >= line_len + 2;
        if !self.request || h.version.is_some() || !complete {
            let crlf = if complete { "\\r\\n" } else { "" };
            sink.expert(
                Severity::Chat,
                Group::Sequence,
                format_args!("{}{crlf}", h.first_line),
                Span::new(off, line_len.min(self.data.len())),
            );
        }
        if self.request {
            let mut p = 0;
            if let Some(m) = h.method {
                emit!(sink, &METHOD, Value::Str(m.into()), Span::new(off, m.len()));
                p = m.len() + 1;
            }
            if let Some(u) = h.uri {
                emit!(
                    sink,
                    &URI,
                    Value::Str(u.into()),
                    Span::new(off + p, u.len())
                );
                p += u.len() + 1;
            }
            if let Some(v) = h.version {
                emit!(
                    sink,
                    &REQ_VERSION,
                    Value::Str(v.into()),
                    Span::new(off + p, v.len())
                );
            }
        } else {
            if let Some(v) = h.version {
                emit!(
                    sink,
                    &RESP_VERSION,
                    Value::Str(v.into()),
                    Span::new(off, v.len())
                );
            }
            if let Some(c) = h.code {
                emit!(
                    sink,
                    &CODE,
                    Value::UInt(u64::from(c)),
                    Span::new(off + 9, 3)
                );
            }
            if let Some(r) = h.reason {
                emit!(
                    sink,
                    &PHRASE,
                    Value::Str(r.into()),
                    Span::new(off + 13, r.len())
                );
            }
        }
        sink.close();
        for (name, value, o, l) in &h.headers {
            let line = format!("{name}: {value}\r\n");
            emit!(
                sink,
                line_def,
                Value::Str(line.into()),
                Span::new(off + o, *l)
            );
            let def = match name.to_ascii_lowercase().as_str() {
                "host" => Some(&HOST),
                "user-agent" => Some(&USER_AGENT),
                "accept" => Some(&ACCEPT),
                "referer" => Some(&REFERER),
                "cookie" => Some(&COOKIE),
                "set-cookie" => Some(&SET_COOKIE),
                "content-type" => Some(&CONTENT_TYPE),
                "content-length" => Some(&CONTENT_LENGTH),
                "server" => Some(&SERVER),
                "location" => Some(&LOCATION),
                "connection" => Some(&CONNECTION),
                "authorization" => Some(&AUTHORIZATION),
                _ => None,
            };
            if let Some(def) = def {
                emit!(
                    sink,
                    def,
                    Value::Str((*value).into()),
                    Span::new(off + o, *l),
                    "{name}: {value}\\r\\n"
                );
            }
        }
        if let Some(b) = h.body {
            if let Some(body) = self.data.get(b..) {
                if !body.is_empty() {
                    emit!(
                        sink,
                        &FILE_DATA,
                        Value::Bytes(body),
                        Span::new(off + b, body.len()),
                        "File Data: {} bytes",
                        body.len()
                    );
                }
            }
        }
        sink.close();
    }
}

fn version_str(v: u8) -> &'static str {
    if v == 0 {
        "HTTP/1.0"
    } else {
        "HTTP/1.1"
    }
}

fn collect<'a>(head: &mut Head<'a>, d: &'a [u8], hdrs: &[httparse::Header<'a>]) {
    for h in hdrs.iter().take_while(|h| !h.name.is_empty()) {
        let o = offset_in(d, h.name.as_bytes());
        let vend = offset_in(d, h.value) + h.value.len();
        let l = vend.saturating_sub(o) + 2;
        if let Ok(v) = std::str::from_utf8(h.value) {
            head.headers.push((h.name, v, o, l));
        }
    }
}

fn memchr_crlf(d: &[u8]) -> Option<usize> {
    d.windows(2).position(|w| w == b"\r\n")
}

/// Does `d` start like an HTTP/1.x request or response? (`Some(true)`: request.)
/// Cheap on non-HTTP payloads: one look at the first byte rejects most of them.
pub fn looks_like_http(d: &[u8]) -> Option<bool> {
    let first = *d.first()?;
    if !first.is_ascii_uppercase() {
        return None;
    }
    if d.starts_with(b"HTTP/1.") {
        return Some(false);
    }
    let sp = d.iter().take(12).position(|&b| b == b' ')?;
    let method = d.get(..sp)?;
    METHODS.contains(&method).then_some(true)
}

/// HTTP on a registered port, or found by the heuristic: claims only message starts.
pub fn dissect<'a>(data: &'a [u8], _off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    // The HTTP/2 connection preface looks like a request line; it is HTTP/2's (http2.rs).
    if data.starts_with(super::http2::PREFACE) {
        return Ok(None);
    }
    let Some(request) = looks_like_http(data) else {
        return Ok(None);
    };
    let h = Http {
        data,
        request,
        ssdp: false,
    };
    Ok(Some(Dissected::new(
        Decoded::Http(h),
        data.len(),
        data.len(),
        Next::Done,
    )))
}

/// SSDP: HTTP messages over UDP port 1900.
pub fn dissect_ssdp<'a>(data: &'a [u8], _off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    let Some(request) = looks_like_http(data) else {
        return Ok(None);
    };
    let h = Http {
        data,
        request,
        ssdp: true,
    };
    Ok(Some(Dissected::new(
        Decoded::Http(h),
        data.len(),
        data.len(),
        Next::Done,
    )))
}
