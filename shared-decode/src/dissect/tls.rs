//! TLS records (RFC 8446 §5, RFC 5246 §6.2) and the cleartext handshake messages:
//! ClientHello / ServerHello with SNI (RFC 6066), ALPN (RFC 7301) and supported_versions.
//!
//! Our own parser rather than `tls-parser`: we need byte ranges for every field and must
//! keep the records before a record that is cut at the end of a segment (records are not
//! reassembled across segments). Every length is checked against the bytes present; loops
//! advance by at least the 4- or 5-byte header of what they read.

use super::{emit, open, Be, Decoded, DissectCx, DissectResult, Dissected, Next};
use crate::field::{Base, FieldDef, FieldType, Sink, Span, Value};

/// Largest record length we accept in the heuristic (2^14 + 2048, RFC 5246 §6.2.3).
pub const MAX_RECORD_LEN: usize = 18_432;

/// Content types.
pub static CONTENT_TYPES: &[(u64, &str)] = &[
    (20, "Change Cipher Spec"),
    (21, "Alert"),
    (22, "Handshake"),
    (23, "Application Data"),
    (24, "Heartbeat"),
];

/// Handshake types.
pub static HANDSHAKE_TYPES: &[(u64, &str)] = &[
    (0, "Hello Request"),
    (1, "Client Hello"),
    (2, "Server Hello"),
    (4, "New Session Ticket"),
    (5, "End of Early Data"),
    (8, "Encrypted Extensions"),
    (11, "Certificate"),
    (12, "Server Key Exchange"),
    (13, "Certificate Request"),
    (14, "Server Hello Done"),
    (15, "Certificate Verify"),
    (16, "Client Key Exchange"),
    (20, "Finished"),
    (22, "Certificate Status"),
    (24, "Key Update"),
];

/// Versions.
pub static VERSIONS: &[(u64, &str)] = &[
    (0x0002, "SSL 2.0"),
    (0x0300, "SSL 3.0"),
    (0x0301, "TLS 1.0"),
    (0x0302, "TLS 1.1"),
    (0x0303, "TLS 1.2"),
    (0x0304, "TLS 1.3"),
];

/// `tls`.
pub static TLS: FieldDef = FieldDef::proto("tls", "Transport Layer Security");
/// `tls.record`.
pub static RECORD: FieldDef =
    FieldDef::new("tls.record", "Record Layer", FieldType::None, Base::None).detail();
/// `tls.record.content_type`.
pub static CONTENT_TYPE: FieldDef = FieldDef::new(
    "tls.record.content_type",
    "Content Type",
    FieldType::UInt(8),
    Base::Dec,
)
.named(CONTENT_TYPES);
/// `tls.record.version`.
pub static RECORD_VERSION: FieldDef = FieldDef::new(
    "tls.record.version",
    "Version",
    FieldType::UInt(16),
    Base::Hex,
)
.named(VERSIONS);
/// `tls.record.length`.
pub static RECORD_LENGTH: FieldDef = FieldDef::new(
    "tls.record.length",
    "Length",
    FieldType::UInt(16),
    Base::Dec,
);
/// `tls.handshake`.
pub static HANDSHAKE: FieldDef = FieldDef::new(
    "tls.handshake",
    "Handshake Protocol",
    FieldType::None,
    Base::None,
)
.detail();
/// `tls.handshake.type`.
pub static HS_TYPE: FieldDef = FieldDef::new(
    "tls.handshake.type",
    "Handshake Type",
    FieldType::UInt(8),
    Base::Dec,
)
.named(HANDSHAKE_TYPES);
/// `tls.handshake.length`.
pub static HS_LENGTH: FieldDef = FieldDef::new(
    "tls.handshake.length",
    "Length",
    FieldType::UInt(24),
    Base::Dec,
);
/// `tls.handshake.version`.
pub static HS_VERSION: FieldDef = FieldDef::new(
    "tls.handshake.version",
    "Version",
    FieldType::UInt(16),
    Base::Hex,
)
.named(VERSIONS);
/// `tls.handshake.random`.
pub static HS_RANDOM: FieldDef = FieldDef::new(
    "tls.handshake.random",
    "Random",
    FieldType::Bytes,
    Base::None,
)
.bulk();
/// `tls.handshake.session_id_length`.
pub static HS_SID_LEN: FieldDef = FieldDef::new(
    "tls.handshake.session_id_length",
    "Session ID Length",
    FieldType::UInt(8),
    Base::Dec,
);
/// `tls.handshake.session_id`.
pub static HS_SID: FieldDef = FieldDef::new(
    "tls.handshake.session_id",
    "Session ID",
    FieldType::Bytes,
    Base::None,
);
/// `tls.handshake.cipher_suites_length`.
pub static HS_CS_LEN: FieldDef = FieldDef::new(
    "tls.handshake.cipher_suites_length",
    "Cipher Suites Length",
    FieldType::UInt(16),
    Base::Dec,
);
/// `tls.handshake.ciphersuite`.
pub static HS_CIPHERSUITE: FieldDef = FieldDef::new(
    "tls.handshake.ciphersuite",
    "Cipher Suite",
    FieldType::UInt(16),
    Base::Hex,
);
/// `tls.handshake.extensions_length`.
pub static HS_EXT_LEN: FieldDef = FieldDef::new(
    "tls.handshake.extensions_length",
    "Extensions Length",
    FieldType::UInt(16),
    Base::Dec,
);
/// `tls.handshake.extension.type`.
pub static EXT_TYPE: FieldDef = FieldDef::new(
    "tls.handshake.extension.type",
    "Type",
    FieldType::UInt(16),
    Base::Dec,
)
.named(&[
    (0, "server_name"),
    (5, "status_request"),
    (10, "supported_groups"),
    (11, "ec_point_formats"),
    (13, "signature_algorithms"),
    (16, "application_layer_protocol_negotiation"),
    (18, "signed_certificate_timestamp"),
    (21, "padding"),
    (23, "extended_master_secret"),
    (35, "session_ticket"),
    (41, "pre_shared_key"),
    (42, "early_data"),
    (43, "supported_versions"),
    (45, "psk_key_exchange_modes"),
    (51, "key_share"),
    (65281, "renegotiation_info"),
]);
/// `tls.handshake.extension.len`.
pub static EXT_LEN: FieldDef = FieldDef::new(
    "tls.handshake.extension.len",
    "Length",
    FieldType::UInt(16),
    Base::Dec,
);
/// `tls.handshake.extensions_server_name`.
pub static SNI: FieldDef = FieldDef::new(
    "tls.handshake.extensions_server_name",
    "Server Name",
    FieldType::Str,
    Base::None,
);
/// `tls.handshake.extensions_server_name_len`.
pub static SNI_LEN: FieldDef = FieldDef::new(
    "tls.handshake.extensions_server_name_len",
    "Server Name length",
    FieldType::UInt(16),
    Base::Dec,
);
/// `tls.handshake.extensions.supported_version`.
pub static SUPPORTED_VERSION: FieldDef = FieldDef::new(
    "tls.handshake.extensions.supported_version",
    "Supported Version",
    FieldType::UInt(16),
    Base::Hex,
)
.named(VERSIONS);
/// `tls.handshake.extensions_alpn_str`.
pub static ALPN: FieldDef = FieldDef::new(
    "tls.handshake.extensions_alpn_str",
    "ALPN Next Protocol",
    FieldType::Str,
    Base::None,
);
/// `tls.app_data`.
pub static APP_DATA: FieldDef = FieldDef::new(
    "tls.app_data",
    "Encrypted Application Data",
    FieldType::Bytes,
    Base::None,
)
.bulk();
/// `tls.alert_message.level`.
pub static ALERT_LEVEL: FieldDef = FieldDef::new(
    "tls.alert_message.level",
    "Level",
    FieldType::UInt(8),
    Base::Dec,
)
.named(&[(1, "Warning"), (2, "Fatal")]);
/// `tls.alert_message.desc`.
pub static ALERT_DESC: FieldDef = FieldDef::new(
    "tls.alert_message.desc",
    "Description",
    FieldType::UInt(8),
    Base::Dec,
);
/// `tls.change_cipher_spec`.
pub static CCS: FieldDef = FieldDef::new(
    "tls.change_cipher_spec",
    "Change Cipher Spec Message",
    FieldType::None,
    Base::None,
);

/// Fields of this module.
pub static FIELDS: &[&FieldDef] = &[
    &TLS,
    &RECORD,
    &CONTENT_TYPE,
    &RECORD_VERSION,
    &RECORD_LENGTH,
    &HANDSHAKE,
    &HS_TYPE,
    &HS_LENGTH,
    &HS_VERSION,
    &HS_RANDOM,
    &HS_SID_LEN,
    &HS_SID,
    &HS_CS_LEN,
    &HS_CIPHERSUITE,
    &HS_EXT_LEN,
    &EXT_TYPE,
    &EXT_LEN,
    &SNI,
    &SNI_LEN,
    &SUPPORTED_VERSION,
    &ALPN,
    &APP_DATA,
    &ALERT_LEVEL,
    &ALERT_DESC,
    &CCS,
];

/// TLS records in one segment.
#[derive(Clone, Debug)]
pub struct Tls<'a> {
    /// Bytes from the first record header.
    pub data: &'a [u8],
}

/// One record as found in the segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordView<'a> {
    /// Offset in the segment.
    pub off: usize,
    /// Content type.
    pub content_type: u8,
    /// Record version.
    pub version: u16,
    /// Declared length.
    pub length: u16,
    /// The fragment bytes present (may be shorter than `length` at the end of a segment).
    pub fragment: &'a [u8],
    /// Whether this handshake record follows a Change Cipher Spec in the same segment.
    pub after_ccs: bool,
}

impl<'a> Tls<'a> {
    /// The records in this segment. Terminates: each record advances by >= 5 bytes.
    pub fn records(&self) -> Vec<RecordView<'a>> {
        let d = self.data;
        let mut out = Vec::new();
        let mut p = 0;
        let mut ccs = false;
        while let (Some(ct), Some(v), Some(l)) = (d.u8_at(p), d.u16_at(p + 1), d.u16_at(p + 3)) {
            if !(20..=24).contains(&ct) || v >> 8 != 3 {
                break;
            }
            let end = (p + 5 + usize::from(l)).min(d.len());
            out.push(RecordView {
                off: p,
                content_type: ct,
                version: v,
                length: l,
                fragment: d.get(p + 5..end).unwrap_or(&[]),
                after_ccs: ccs,
            });
            if ct == 20 {
                ccs = true;
            }
            p += 5 + usize::from(l);
        }
        out
    }

    /// The SNI of a ClientHello in this segment.
    pub fn server_name(&self) -> Option<&'a str> {
        for r in self.records() {
            if r.content_type == 22 && !r.after_ccs {
                if let Some(h) = hello(r.fragment) {
                    if let Some(n) = h.sni {
                        return Some(n);
                    }
                }
            }
        }
        None
    }

    /// The version a ServerHello selected (supported_versions, else the hello version).
    pub fn server_hello_version(&self) -> Option<u16> {
        self.records().into_iter().find_map(|r| {
            if r.content_type != 22 || r.after_ccs {
                return None;
            }
            let h = hello(r.fragment)?;
            (h.hs_type == 2).then(|| h.selected_version.unwrap_or(h.version))
        })
    }

    /// Wireshark's protocol column name for a version (`TLSv1.2`).
    pub fn version_name(v: u16) -> &'static str {
        match v {
            0x0300 => "SSLv3",
            0x0301 => "TLSv1",
            0x0302 => "TLSv1.1",
            0x0303 => "TLSv1.2",
            0x0304 => "TLSv1.3",
            0x0002 => "SSLv2",
            _ => "TLS",
        }
    }

    /// The version of the first record.
    pub fn record_version(&self) -> u16 {
        self.data.u16_at(1).unwrap_or(0)
    }

    /// Wireshark's Info: the message names, comma-separated.
    pub fn write_info(&self, out: &mut String, session_version: Option<u16>) {
        let mut first = true;
        let tls13 = session_version == Some(0x0304);
        for r in self.records() {
            let mut names: Vec<&str> = Vec::new();
            match r.content_type {
                20 => names.push("Change Cipher Spec"),
                21 => {
                    if r.after_ccs || r.length != 2 || tls13 {
                        names.push("Encrypted Alert");
                    } else {
                        names.push("Alert");
                    }
                }
                22 => {
                    if r.after_ccs || tls13 && !is_hello(r.fragment) {
                        names.push("Encrypted Handshake Message");
                    } else {
                        let mut p = 0;
                        // Terminates: each message advances by >= 4 bytes.
                        while let (Some(t), Some(l)) =
                            (r.fragment.u8_at(p), r.fragment.u24_at(p + 1))
                        {
                            let name = HS_TYPE.value_name(u64::from(t));
                            match name {
                                Some(n)
                                    if !(t == 2 && is_hrr(r.fragment.get(p..).unwrap_or(&[]))) =>
                                {
                                    names.push(n)
                                }
                                Some(_) => names.push("Hello Retry Request"),
                                None => {
                                    names.push("Encrypted Handshake Message");
                                    break;
                                }
                            }
                            p += 4 + l as usize;
                            if p >= r.fragment.len() {
                                break;
                            }
                        }
                    }
                }
                23 => names.push("Application Data"),
                24 => names.push("Heartbeat"),
                _ => {}
            }
            for n in names {
                if !first {
                    out.push_str(", ");
                }
                out.push_str(n);
                first = false;
            }
        }
        if first {
            out.push_str("Continuation Data");
        }
    }

    pub(crate) fn emit(&self, off: usize, sink: &mut dyn Sink<'a>) {
        open!(
            sink,
            &TLS,
            Value::None,
            Span::new(off, self.data.len()),
            "Transport Layer Security"
        );
        for r in self.records() {
            let ro = off + r.off;
            let rlen = 5 + r.fragment.len();
            open!(
                sink,
                &RECORD,
                Value::None,
                Span::new(ro, rlen),
                "{} Record Layer: {}",
                Self::version_name(r.version),
                CONTENT_TYPE
                    .value_name(u64::from(r.content_type))
                    .unwrap_or("Unknown")
            );
            emit!(
                sink,
                &CONTENT_TYPE,
                Value::UInt(u64::from(r.content_type)),
                Span::new(ro, 1)
            );
            emit!(
                sink,
                &RECORD_VERSION,
                Value::UInt(u64::from(r.version)),
                Span::new(ro + 1, 2)
            );
            emit!(
                sink,
                &RECORD_LENGTH,
                Value::UInt(u64::from(r.length)),
                Span::new(ro + 3, 2)
            );
            let fo = ro + 5;
            match r.content_type {
                20 => emit!(sink, &CCS, Value::None, Span::new(fo, r.fragment.len())),
                21 if r.fragment.len() == 2 && !r.after_ccs => {
                    emit!(
                        sink,
                        &ALERT_LEVEL,
                        Value::UInt(u64::from(r.fragment.u8_at(0).unwrap_or(0))),
                        Span::new(fo, 1)
                    );
                    emit!(
                        sink,
                        &ALERT_DESC,
                        Value::UInt(u64::from(r.fragment.u8_at(1).unwrap_or(0))),
                        Span::new(fo + 1, 1)
                    );
                }
                22 if !r.after_ccs => emit_handshakes(r.fragment, fo, sink),
                23 => emit!(
                    sink,
                    &APP_DATA,
                    Value::Bytes(r.fragment),
                    Span::new(fo, r.fragment.len())
                ),
                _ => {}
            }
            sink.close();
        }
        sink.close();
    }
}

fn is_hello(frag: &[u8]) -> bool {
    matches!(frag.u8_at(0), Some(1 | 2))
        && frag.u24_at(1).is_some_and(|l| l as usize + 4 <= frag.len())
}

/// HelloRetryRequest: a ServerHello whose random is this fixed value (RFC 8446 §4.1.3).
fn is_hrr(msg: &[u8]) -> bool {
    const HRR: [u8; 8] = [0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11];
    msg.get(6..14) == Some(&HRR[..])
}

/// What a ClientHello or ServerHello says.
#[derive(Clone, Debug, Default)]
pub struct Hello<'a> {
    /// 1 = ClientHello, 2 = ServerHello.
    pub hs_type: u8,
    /// Legacy version.
    pub version: u16,
    /// SNI host name.
    pub sni: Option<&'a str>,
    /// The version a ServerHello selected via supported_versions.
    pub selected_version: Option<u16>,
    /// The ALPN extension's protocol name list (RFC 7301 §3.1), as on the wire.
    pub alpn: Option<&'a [u8]>,
}

impl<'a> Hello<'a> {
    /// The ALPN protocol names, in order (each a length-prefixed string in the list).
    pub fn alpn_names(&self) -> impl Iterator<Item = &'a [u8]> {
        let list = self.alpn.unwrap_or(&[]);
        let mut p = 2usize;
        // Each name advances by at least one byte.
        std::iter::from_fn(move || {
            let n = usize::from(list.u8_at(p)?);
            let name = list.get(p + 1..p + 1 + n)?;
            p += 1 + n;
            Some(name)
        })
    }
}

/// Parses a hello at the start of a handshake fragment.
pub fn hello(frag: &[u8]) -> Option<Hello<'_>> {
    let t = frag.u8_at(0)?;
    if t != 1 && t != 2 {
        return None;
    }
    let len = frag.u24_at(1)? as usize;
    let body = frag.get(4..(4 + len).min(frag.len()))?;
    let mut h = Hello {
        hs_type: t,
        version: body.u16_at(0)?,
        ..Hello::default()
    };
    let mut p = 34;
    let sid = usize::from(body.u8_at(p)?);
    p += 1 + sid;
    if t == 1 {
        let cs = usize::from(body.u16_at(p)?);
        p += 2 + cs;
        let cm = usize::from(body.u8_at(p)?);
        p += 1 + cm;
    } else {
        p += 3;
    }
    let ext_len = usize::from(body.u16_at(p)?);
    p += 2;
    let end = (p + ext_len).min(body.len());
    // Terminates: each extension advances by >= 4 bytes.
    while p + 4 <= end {
        let et = body.u16_at(p)?;
        let el = usize::from(body.u16_at(p + 2)?);
        let v = body.get(p + 4..(p + 4 + el).min(body.len()))?;
        match et {
            0 if t == 1 => {
                if let (Some(0), Some(nl)) = (v.u8_at(2), v.u16_at(3)) {
                    h.sni = v
                        .get(5..5 + usize::from(nl))
                        .and_then(|n| std::str::from_utf8(n).ok());
                }
            }
            43 if t == 2 => h.selected_version = v.u16_at(0),
            16 => h.alpn = Some(v),
            _ => {}
        }
        p += 4 + el;
    }
    Some(h)
}

fn emit_handshakes<'a>(frag: &'a [u8], off: usize, sink: &mut dyn Sink<'a>) {
    let mut p = 0;
    // Terminates: each message advances by >= 4 bytes.
    while let (Some(t), Some(l)) = (frag.u8_at(p), frag.u24_at(p + 1)) {
        let Some(name) = HS_TYPE.value_name(u64::from(t)) else {
            break;
        };
        let l = l as usize;
        let mlen = (4 + l).min(frag.len() - p);
        open!(
            sink,
            &HANDSHAKE,
            Value::None,
            Span::new(off + p, mlen),
            "Handshake Protocol: {name}"
        );
        emit!(
            sink,
            &HS_TYPE,
            Value::UInt(u64::from(t)),
            Span::new(off + p, 1)
        );
        emit!(
            sink,
            &HS_LENGTH,
            Value::UInt(l as u64),
            Span::new(off + p + 1, 3)
        );
        if t == 1 || t == 2 {
            let body = frag.get(p + 4..p + mlen).unwrap_or(&[]);
            emit_hello(t, body, off + p + 4, sink);
        }
        sink.close();
        p += 4 + l;
    }
}

fn emit_hello<'a>(t: u8, b: &'a [u8], off: usize, sink: &mut dyn Sink<'a>) {
    let Some(v) = b.u16_at(0) else { return };
    emit!(
        sink,
        &HS_VERSION,
        Value::UInt(u64::from(v)),
        Span::new(off, 2)
    );
    if let Some(r) = b.get(2..34) {
        emit!(sink, &HS_RANDOM, Value::Bytes(r), Span::new(off + 2, 32));
    }
    let Some(sl) = b.u8_at(34) else { return };
    emit!(
        sink,
        &HS_SID_LEN,
        Value::UInt(u64::from(sl)),
        Span::new(off + 34, 1)
    );
    let sl = usize::from(sl);
    if sl > 0 {
        if let Some(s) = b.get(35..35 + sl) {
            emit!(sink, &HS_SID, Value::Bytes(s), Span::new(off + 35, sl));
        }
    }
    let mut p = 35 + sl;
    if t == 1 {
        let Some(cl) = b.u16_at(p) else { return };
        emit!(
            sink,
            &HS_CS_LEN,
            Value::UInt(u64::from(cl)),
            Span::new(off + p, 2)
        );
        let cl = usize::from(cl);
        for i in 0..cl / 2 {
            if let Some(c) = b.u16_at(p + 2 + 2 * i) {
                emit!(
                    sink,
                    &HS_CIPHERSUITE,
                    Value::UInt(u64::from(c)),
                    Span::new(off + p + 2 + 2 * i, 2)
                );
            }
        }
        p += 2 + cl;
        let Some(ml) = b.u8_at(p) else { return };
        p += 1 + usize::from(ml);
    } else {
        if let Some(c) = b.u16_at(p) {
            emit!(
                sink,
                &HS_CIPHERSUITE,
                Value::UInt(u64::from(c)),
                Span::new(off + p, 2)
            );
        }
        p += 3;
    }
    let Some(el) = b.u16_at(p) else { return };
    emit!(
        sink,
        &HS_EXT_LEN,
        Value::UInt(u64::from(el)),
        Span::new(off + p, 2)
    );
    p += 2;
    let end = (p + usize::from(el)).min(b.len());
    // Terminates: each extension advances by >= 4 bytes.
    while p + 4 <= end {
        let (Some(et), Some(l)) = (b.u16_at(p), b.u16_at(p + 2)) else {
            break;
        };
        let l = usize::from(l);
        let v = b.get(p + 4..(p + 4 + l).min(b.len())).unwrap_or(&[]);
        let name = EXT_TYPE.value_name(u64::from(et)).unwrap_or("Unknown");
        open!(
            sink,
            &EXT_TYPE,
            Value::UInt(u64::from(et)),
            Span::new(off + p, 4 + v.len()),
            "Extension: {name} (len={l})"
        );
        emit!(
            sink,
            &EXT_LEN,
            Value::UInt(l as u64),
            Span::new(off + p + 2, 2)
        );
        let vo = off + p + 4;
        match et {
            0 => {
                if let (Some(nl), Some(n)) = (
                    v.u16_at(3),
                    v.get(5..).and_then(|x| {
                        std::str::from_utf8(
                            x.get(..usize::from(v.u16_at(3).unwrap_or(0)))
                                .unwrap_or(&[]),
                        )
                        .ok()
                    }),
                ) {
                    emit!(
                        sink,
                        &SNI_LEN,
                        Value::UInt(u64::from(nl)),
                        Span::new(vo + 3, 2)
                    );
                    emit!(sink, &SNI, Value::Str(n.into()), Span::new(vo + 5, n.len()));
                }
            }
            16 => {
                let mut q = 2;
                // Terminates: each protocol name advances by >= 1 byte.
                while let Some(&pl) = v.get(q) {
                    if let Some(s) = v
                        .get(q + 1..q + 1 + usize::from(pl))
                        .and_then(|x| std::str::from_utf8(x).ok())
                    {
                        emit!(
                            sink,
                            &ALPN,
                            Value::Str(s.into()),
                            Span::new(vo + q + 1, s.len())
                        );
                    }
                    q += 1 + usize::from(pl);
                }
            }
            43 => {
                if t == 2 {
                    if let Some(sv) = v.u16_at(0) {
                        emit!(
                            sink,
                            &SUPPORTED_VERSION,
                            Value::UInt(u64::from(sv)),
                            Span::new(vo, 2)
                        );
                    }
                } else {
                    let n = usize::from(v.u8_at(0).unwrap_or(0));
                    for i in 0..n / 2 {
                        if let Some(sv) = v.u16_at(1 + 2 * i) {
                            emit!(
                                sink,
                                &SUPPORTED_VERSION,
                                Value::UInt(u64::from(sv)),
                                Span::new(vo + 1 + 2 * i, 2)
                            );
                        }
                    }
                }
            }
            _ => {}
        }
        sink.close();
        p += 4 + l;
    }
}

/// Does `d` start with a plausible TLS record header?
pub fn looks_like_tls(d: &[u8]) -> bool {
    matches!((d.u8_at(0), d.u8_at(1), d.u8_at(2), d.u16_at(3)),
        (Some(20..=24), Some(3), Some(0..=4), Some(l)) if usize::from(l) <= MAX_RECORD_LEN && l > 0)
}

/// TLS on a registered port or found by the heuristic.
pub fn dissect<'a>(data: &'a [u8], _off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    if !looks_like_tls(data) {
        return Ok(None);
    }
    Ok(Some(Dissected::new(
        Decoded::Tls(Tls { data }),
        data.len(),
        data.len(),
        Next::Done,
    )))
}
