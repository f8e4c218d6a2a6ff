//! SCTP (RFC 9260) on IP protocol 132: the common header and the chunk list — DATA and
//! I-DATA headers, INIT/INIT_ACK fixed parameters, SACK counts and gap blocks, the
//! parameters of INIT chunks. User data is not dissected further.
//!
//! Stateless: TSNs are shown as on the wire (`sctp.data_tsn_raw`); tshark's relative TSNs
//! need the association's INIT. Every chunk advances by at least 4 bytes.

#![deny(clippy::indexing_slicing)]

use super::app::{AnonPolicy, App, AppProtocol, ColumnText, Handoff, Side, TcpdumpText};
use super::{field_def, Be, DissectCx, DissectResult, EmitCx};
use crate::error::AppId;
use crate::field::{Base, FieldDef, FieldType, Sink, Span, Value};
use crate::text::push_u64;

/// The row.
pub static PROTOCOL: AppProtocol = AppProtocol {
    id: AppId {
        slot: 3,
        name: "sctp",
    },
    def: &SCTP,
    fields: FIELDS,
    also_emits: &[],
    handoffs: &[Handoff::IpProto(132)],
    dissect,
    emit,
    columns,
    tcpdump: Some(tcpdump),
    anon: AnonPolicy::Transport { header: HEADER },
    ports: Some(|a| Some((a.data.u16_at(0)?, a.data.u16_at(2)?))),
};

const HEADER: usize = 12;
/// Chunks read per packet (each is at least 4 bytes; this bounds work on jumbo frames).
const MAX_CHUNKS: usize = 4096;

static CHUNK_TYPES: &[(u64, &str)] = &[
    (0, "DATA"),
    (1, "INIT"),
    (2, "INIT_ACK"),
    (3, "SACK"),
    (4, "HEARTBEAT"),
    (5, "HEARTBEAT_ACK"),
    (6, "ABORT"),
    (7, "SHUTDOWN"),
    (8, "SHUTDOWN_ACK"),
    (9, "ERROR"),
    (10, "COOKIE_ECHO"),
    (11, "COOKIE_ACK"),
    (12, "ECNE"),
    (13, "CWR"),
    (14, "SHUTDOWN_COMPLETE"),
    (15, "AUTH"),
    (64, "I_DATA"),
    (128, "ASCONF_ACK"),
    (130, "RE_CONFIG"),
    (132, "PAD"),
    (192, "FORWARD_TSN"),
    (193, "ASCONF"),
    (194, "I_FORWARD_TSN"),
];

/// `sctp`.
pub static SCTP: FieldDef = FieldDef::proto("sctp", "Stream Control Transmission Protocol");
field_def!(
    SRCPORT,
    "sctp.srcport",
    "Source port",
    FieldType::UInt(16),
    Base::Dec
);
field_def!(
    DSTPORT,
    "sctp.dstport",
    "Destination port",
    FieldType::UInt(16),
    Base::Dec
);
/// `sctp.port` (either port; a filter convenience).
pub static PORT: FieldDef =
    FieldDef::new("sctp.port", "Port", FieldType::UInt(16), Base::Dec).hidden();
field_def!(
    VTAG,
    "sctp.verification_tag",
    "Verification tag",
    FieldType::UInt(32),
    Base::Hex
);
field_def!(
    CHECKSUM,
    "sctp.checksum",
    "Checksum",
    FieldType::UInt(32),
    Base::Hex
);
/// `sctp.chunk_type`.
pub static CHUNK_TYPE: FieldDef = FieldDef::new(
    "sctp.chunk_type",
    "Chunk type",
    FieldType::UInt(8),
    Base::Dec,
)
.named(CHUNK_TYPES);
field_def!(
    CHUNK_FLAGS,
    "sctp.chunk_flags",
    "Chunk flags",
    FieldType::UInt(8),
    Base::Hex
);
field_def!(
    CHUNK_LENGTH,
    "sctp.chunk_length",
    "Chunk length",
    FieldType::UInt(16),
    Base::Dec
);
field_def!(
    DATA_TSN_RAW,
    "sctp.data_tsn_raw",
    "Transmission sequence number (raw)",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    DATA_SID,
    "sctp.data_sid",
    "Stream identifier",
    FieldType::UInt(16),
    Base::Hex
);
field_def!(
    DATA_SSN,
    "sctp.data_ssn",
    "Stream sequence number",
    FieldType::UInt(16),
    Base::Dec
);
field_def!(
    DATA_MID,
    "sctp.data_mid",
    "Message identifier",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    DATA_PPID,
    "sctp.data_payload_proto_id",
    "Payload protocol identifier",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    INIT_TAG,
    "sctp.init_initiate_tag",
    "Initiate tag",
    FieldType::UInt(32),
    Base::Hex
);
field_def!(
    INIT_CREDIT,
    "sctp.init_credit",
    "Advertised receiver window credit (a_rwnd)",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    INIT_OUT,
    "sctp.init_nr_out_streams",
    "Number of outbound streams",
    FieldType::UInt(16),
    Base::Dec
);
field_def!(
    INIT_IN,
    "sctp.init_nr_in_streams",
    "Number of inbound streams",
    FieldType::UInt(16),
    Base::Dec
);
field_def!(
    INIT_TSN,
    "sctp.init_initial_tsn",
    "Initial TSN",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    INITACK_TAG,
    "sctp.initack_initiate_tag",
    "Initiate tag",
    FieldType::UInt(32),
    Base::Hex
);
field_def!(
    INITACK_CREDIT,
    "sctp.initack_credit",
    "Advertised receiver window credit (a_rwnd)",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    INITACK_OUT,
    "sctp.initack_nr_out_streams",
    "Number of outbound streams",
    FieldType::UInt(16),
    Base::Dec
);
field_def!(
    INITACK_IN,
    "sctp.initack_nr_in_streams",
    "Number of inbound streams",
    FieldType::UInt(16),
    Base::Dec
);
field_def!(
    INITACK_TSN,
    "sctp.initack_initial_tsn",
    "Initial TSN",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    SACK_CUM_RAW,
    "sctp.sack_cumulative_tsn_ack_raw",
    "Cumulative TSN ACK (raw)",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    SACK_RWND,
    "sctp.sack_a_rwnd",
    "Advertised receiver window credit (a_rwnd)",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    SACK_GAPS,
    "sctp.sack_number_of_gap_blocks",
    "Number of gap acknowledgement blocks",
    FieldType::UInt(16),
    Base::Dec
);
field_def!(
    SACK_DUPS,
    "sctp.sack_number_of_duplicated_tsns",
    "Number of duplicated TSNs",
    FieldType::UInt(16),
    Base::Dec
);
field_def!(
    SACK_GAP_START,
    "sctp.sack_gap_block_start",
    "Start",
    FieldType::UInt(16),
    Base::Dec
);
field_def!(
    SACK_GAP_END,
    "sctp.sack_gap_block_end",
    "End",
    FieldType::UInt(16),
    Base::Dec
);
field_def!(
    SACK_DUP_TSN,
    "sctp.sack_duplicate_tsn",
    "Duplicate TSN",
    FieldType::UInt(32),
    Base::Dec
);
field_def!(
    PARAM_TYPE,
    "sctp.parameter_type",
    "Parameter type",
    FieldType::UInt(16),
    Base::Hex
);
field_def!(
    PARAM_LENGTH,
    "sctp.parameter_length",
    "Parameter length",
    FieldType::UInt(16),
    Base::Dec
);
field_def!(
    PARAM_IPV4,
    "sctp.parameter_ipv4_address",
    "IP Version 4 address",
    FieldType::Ipv4,
    Base::None
);
field_def!(
    PARAM_IPV6,
    "sctp.parameter_ipv6_address",
    "IP Version 6 address",
    FieldType::Ipv6,
    Base::None
);
field_def!(
    PARAM_COOKIE,
    "sctp.parameter_state_cookie",
    "State cookie",
    FieldType::Bytes,
    Base::None
);
field_def!(
    COOKIE,
    "sctp.cookie",
    "Cookie",
    FieldType::Bytes,
    Base::None
);

/// Every field.
pub static FIELDS: &[&FieldDef] = &[
    &SCTP,
    &SRCPORT,
    &DSTPORT,
    &PORT,
    &VTAG,
    &CHECKSUM,
    &CHUNK_TYPE,
    &CHUNK_FLAGS,
    &CHUNK_LENGTH,
    &DATA_TSN_RAW,
    &DATA_SID,
    &DATA_SSN,
    &DATA_MID,
    &DATA_PPID,
    &INIT_TAG,
    &INIT_CREDIT,
    &INIT_OUT,
    &INIT_IN,
    &INIT_TSN,
    &INITACK_TAG,
    &INITACK_CREDIT,
    &INITACK_OUT,
    &INITACK_IN,
    &INITACK_TSN,
    &SACK_CUM_RAW,
    &SACK_RWND,
    &SACK_GAPS,
    &SACK_DUPS,
    &SACK_GAP_START,
    &SACK_GAP_END,
    &SACK_DUP_TSN,
    &PARAM_TYPE,
    &PARAM_LENGTH,
    &PARAM_IPV4,
    &PARAM_IPV6,
    &PARAM_COOKIE,
    &COOKIE,
];

/// Dissects the common header (declines less than 12 bytes).
pub fn dissect<'a>(data: &'a [u8], _off: usize, _cx: &mut DissectCx) -> DissectResult<'a> {
    if data.len() < HEADER {
        return Ok(None);
    }
    super::app::claim(&PROTOCOL, data, Side::Unknown, 0)
}

/// Chunks: (type, flags, declared length, value, offset of the chunk in the packet).
fn chunks(d: &[u8]) -> impl Iterator<Item = (u8, u8, u16, &[u8], usize)> {
    let mut p = HEADER;
    std::iter::from_fn(move || {
        let t = d.u8_at(p)?;
        let flags = d.u8_at(p + 1)?;
        let len = d.u16_at(p + 2)?;
        let n = usize::from(len);
        if n < 4 {
            return None; // a zero length would never advance
        }
        let at = p;
        let v = d.get(p + 4..(p + n).min(d.len()))?;
        p += n.next_multiple_of(4);
        Some((t, flags, len, v, at))
    })
    .take(MAX_CHUNKS)
}

/// Parameters (TLV, padded to 4) of INIT-like chunks: (type, length, value, offset in `v`).
fn params(v: &[u8], start: usize) -> impl Iterator<Item = (u16, u16, &[u8], usize)> {
    let mut p = start;
    std::iter::from_fn(move || {
        let t = v.u16_at(p)?;
        let len = v.u16_at(p + 2)?;
        let n = usize::from(len);
        if n < 4 {
            return None;
        }
        let at = p;
        let val = v.get(p + 4..(p + n).min(v.len()))?;
        p += n.next_multiple_of(4);
        Some((t, len, val, at))
    })
}

fn emit<'a>(a: &App<'a>, off: usize, _cx: &EmitCx<'_, 'a>, sink: &mut dyn Sink<'a>) {
    let d = a.data;
    let u = |x: u64| Value::UInt(x);
    let w16 = |i: usize| u64::from(d.u16_at(i).unwrap_or(0));
    let w32 = |i: usize| u64::from(d.u32_at(i).unwrap_or(0));
    if sink.wants_labels() {
        sink.open(
            &SCTP,
            Value::None,
            Span::new(off, d.len()),
            Some(format_args!(
                "Stream Control Transmission Protocol, Src Port: {}, Dst Port: {}",
                w16(0),
                w16(2)
            )),
        );
    } else {
        sink.open(&SCTP, Value::None, Span::new(off, d.len()), None);
    }
    sink.field(&SRCPORT, u(w16(0)), Span::new(off, 2), None);
    sink.field(&DSTPORT, u(w16(2)), Span::new(off + 2, 2), None);
    sink.field(&PORT, u(w16(0)), Span::new(off, 2), None);
    sink.field(&PORT, u(w16(2)), Span::new(off + 2, 2), None);
    sink.field(&VTAG, u(w32(4)), Span::new(off + 4, 4), None);
    sink.field(&CHECKSUM, u(w32(8)), Span::new(off + 8, 4), None);
    for (t, flags, len, v, at) in chunks(d) {
        let o = off + at;
        let vo = o + 4;
        let span = Span::new(o, 4 + v.len());
        if sink.wants_labels() {
            let name = CHUNK_TYPE.value_name(u64::from(t)).unwrap_or("UNKNOWN");
            sink.open(
                &CHUNK_TYPE,
                u(u64::from(t)),
                span,
                Some(format_args!("{name} chunk")),
            );
            sink.field(&CHUNK_TYPE, u(u64::from(t)), Span::new(o, 1), None);
        } else {
            sink.open(&CHUNK_TYPE, u(u64::from(t)), span, None);
        }
        sink.field(&CHUNK_FLAGS, u(u64::from(flags)), Span::new(o + 1, 1), None);
        sink.field(&CHUNK_LENGTH, u(u64::from(len)), Span::new(o + 2, 2), None);
        let vu16 = |i: usize| v.u16_at(i).map(u64::from);
        let vu32 = |i: usize| v.u32_at(i).map(u64::from);
        let mut put = |def: &'static FieldDef, x: Option<u64>, at: usize, n: usize| {
            if let Some(x) = x {
                sink.field(def, u(x), Span::new(vo + at, n), None);
            }
        };
        match t {
            0 => {
                put(&DATA_TSN_RAW, vu32(0), 0, 4);
                put(&DATA_SID, vu16(4), 4, 2);
                put(&DATA_SSN, vu16(6), 6, 2);
                put(&DATA_PPID, vu32(8), 8, 4);
            }
            64 => {
                put(&DATA_TSN_RAW, vu32(0), 0, 4);
                put(&DATA_SID, vu16(4), 4, 2);
                put(&DATA_MID, vu32(8), 8, 4);
                put(&DATA_PPID, vu32(12), 12, 4);
            }
            1 | 2 => {
                let defs: [&'static FieldDef; 5] = if t == 1 {
                    [&INIT_TAG, &INIT_CREDIT, &INIT_OUT, &INIT_IN, &INIT_TSN]
                } else {
                    [
                        &INITACK_TAG,
                        &INITACK_CREDIT,
                        &INITACK_OUT,
                        &INITACK_IN,
                        &INITACK_TSN,
                    ]
                };
                put(defs[0], vu32(0), 0, 4);
                put(defs[1], vu32(4), 4, 4);
                put(defs[2], vu16(8), 8, 2);
                put(defs[3], vu16(10), 10, 2);
                put(defs[4], vu32(12), 12, 4);
                emit_params(v, vo, sink);
            }
            3 => {
                put(&SACK_CUM_RAW, vu32(0), 0, 4);
                put(&SACK_RWND, vu32(4), 4, 4);
                put(&SACK_GAPS, vu16(8), 8, 2);
                put(&SACK_DUPS, vu16(10), 10, 2);
                let gaps = v.u16_at(8).map_or(0, usize::from);
                let dups = v.u16_at(10).map_or(0, usize::from);
                // Bounded by the chunk: entries past its end are not read.
                for i in 0..gaps {
                    let at = 12 + 4 * i;
                    let (Some(s), Some(e)) = (v.u16_at(at), v.u16_at(at + 2)) else {
                        break;
                    };
                    sink.field(
                        &SACK_GAP_START,
                        u(u64::from(s)),
                        Span::new(vo + at, 2),
                        None,
                    );
                    sink.field(
                        &SACK_GAP_END,
                        u(u64::from(e)),
                        Span::new(vo + at + 2, 2),
                        None,
                    );
                }
                for i in 0..dups {
                    let at = 12 + 4 * gaps + 4 * i;
                    let Some(x) = v.u32_at(at) else { break };
                    sink.field(&SACK_DUP_TSN, u(u64::from(x)), Span::new(vo + at, 4), None);
                }
            }
            10 => sink.field(&COOKIE, Value::Bytes(v), Span::new(vo, v.len()), None),
            _ => {}
        }
        sink.close();
    }
    sink.close();
}

fn emit_params<'a>(v: &'a [u8], vo: usize, sink: &mut dyn Sink<'a>) {
    let u = |x: u64| Value::UInt(x);
    for (t, len, val, at) in params(v, 16) {
        let po = vo + at;
        sink.open(
            &PARAM_TYPE,
            u(u64::from(t)),
            Span::new(po, 4 + val.len()),
            None,
        );
        sink.field(&PARAM_LENGTH, u(u64::from(len)), Span::new(po + 2, 2), None);
        match t {
            5 => {
                if let Some(a) = val.arr::<4>(0) {
                    sink.field(&PARAM_IPV4, Value::Ipv4(a), Span::new(po + 4, 4), None);
                }
            }
            6 => {
                if let Some(a) = val.arr::<16>(0) {
                    sink.field(&PARAM_IPV6, Value::Ipv6(a), Span::new(po + 4, 16), None);
                }
            }
            7 => sink.field(
                &PARAM_COOKIE,
                Value::Bytes(val),
                Span::new(po + 4, val.len()),
                None,
            ),
            _ => {}
        }
        sink.close();
    }
}

fn columns(a: &App<'_>, c: &mut ColumnText<'_>) {
    c.protocol.push_str("SCTP");
    for (t, _, _, v, _) in chunks(a.data) {
        c.info
            .push_str(CHUNK_TYPE.value_name(u64::from(t)).unwrap_or("UNKNOWN"));
        if matches!(t, 0 | 64) {
            if let Some(tsn) = v.u32_at(0) {
                c.info.push_str(" (TSN=");
                push_u64(c.info, u64::from(tsn));
                c.info.push(')');
            }
        }
        c.info.push(' ');
    }
}

/// tcpdump's chunk names (`sctp_chunkid_str`).
fn tcpdump_name(t: u8) -> &'static str {
    match t {
        0 => "DATA",
        1 => "INIT",
        2 => "INIT ACK",
        3 => "SACK",
        4 => "HB REQ",
        5 => "HB ACK",
        6 => "ABORT",
        7 => "SHUTDOWN",
        8 => "SHUTDOWN ACK",
        9 => "OP ERR",
        10 => "COOKIE ECHO",
        11 => "COOKIE ACK",
        12 => "ECN ECHO",
        13 => "ECN CWR",
        14 => "SHUTDOWN COMPLETE",
        15 => "AUTH",
        64 => "I-DATA",
        128 => "ASCONF-ACK",
        130 => "RE-CONFIG",
        132 => "PAD",
        192 => "FOR CID",
        193 => "ASCONF",
        194 => "I-FORWARD-FSN",
        _ => "Unknown chunk type",
    }
}

fn tcpdump(a: &App<'_>, t: &mut TcpdumpText<'_>) {
    let out = &mut *t.out;
    let num = |out: &mut String, label: &str, v: Option<u32>| {
        if let Some(v) = v {
            out.push_str(label);
            push_u64(out, u64::from(v));
            out.push_str("] ");
        }
    };
    out.push_str("sctp");
    for (i, (ty, flags, _, v, _)) in chunks(a.data).enumerate() {
        out.push_str(match (t.verbose >= 2, i) {
            (true, _) => "\n\t",
            (false, 0) => " (",
            (false, _) => ", (",
        });
        push_u64(out, i as u64 + 1);
        out.push_str(") [");
        out.push_str(tcpdump_name(ty));
        out.push_str("] ");
        match ty {
            0 => {
                for (bit, s) in [(4u8, "(U)"), (2, "(B)"), (1, "(E)")] {
                    if flags & bit != 0 {
                        out.push_str(s);
                    }
                }
                if flags & 7 != 0 {
                    out.push(' ');
                }
                num(out, "[TSN: ", v.u32_at(0));
                num(out, "[SID: ", v.u16_at(4).map(u32::from));
                num(out, "[SSEQ ", v.u16_at(6).map(u32::from));
                if let Some(p) = v.u32_at(8) {
                    out.push_str("[PPID 0x");
                    crate::text::push_hex(out, u64::from(p), 1);
                    out.push_str("] ");
                }
            }
            1 | 2 => {
                num(out, "[init tag: ", v.u32_at(0));
                num(out, "[rwnd: ", v.u32_at(4));
                num(out, "[OS: ", v.u16_at(8).map(u32::from));
                num(out, "[MIS: ", v.u16_at(10).map(u32::from));
                num(out, "[init TSN: ", v.u32_at(12));
            }
            3 => {
                num(out, "[cum ack ", v.u32_at(0));
                num(out, "[a_rwnd ", v.u32_at(4));
                num(out, "[#gap acks ", v.u16_at(8).map(u32::from));
                num(out, "[#dup tsns ", v.u16_at(10).map(u32::from));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    fn header() -> Vec<u8> {
        vec![0, 7, 0, 7, 0, 0, 0, 0, 1, 2, 3, 4]
    }

    #[test]
    fn chunk_walk_pads_and_stops_on_zero_length() {
        let mut d = header();
        // DATA of 17 bytes (padded to 20), then a zero-length chunk, then one never reached.
        d.extend([
            0, 3, 0, 17, 0, 0, 0, 9, 0, 1, 0, 0, 0, 0, 0, 0, 0xaa, 0, 0, 0,
        ]);
        d.extend([11, 0, 0, 0]);
        d.extend([11, 0, 0, 4]);
        let c: Vec<u8> = chunks(&d).map(|c| c.0).collect();
        assert_eq!(c, [0]);
        let mut s = (String::new(), String::new());
        columns(
            &App::new(&PROTOCOL, &d, Side::Unknown, 0),
            &mut ColumnText {
                protocol: &mut s.0,
                info: &mut s.1,
            },
        );
        assert_eq!(s.1, "DATA (TSN=9) ");
    }

    #[test]
    fn truncated_chunks_keep_what_is_there() {
        let mut d = header();
        d.extend([1, 0, 0, 40, 0, 0]);
        assert_eq!(chunks(&d).count(), 1);
        assert!(dissect(&d[..11], 0, &mut DissectCx::default())
            .unwrap()
            .is_none());
    }
}
