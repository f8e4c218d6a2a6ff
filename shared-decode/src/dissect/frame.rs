//! The `frame` pseudo-protocol (capture metadata as fields) and undissected `data`.

use super::{emit, open, Packet};
use crate::field::{Base, FieldDef, FieldType, Sink, Span, Value};

/// `frame`.
pub static FRAME: FieldDef = FieldDef::proto("frame", "Frame");
/// `frame.number`.
pub static NUMBER: FieldDef = FieldDef::new(
    "frame.number",
    "Frame Number",
    FieldType::UInt(32),
    Base::Dec,
);
/// `frame.time` (absolute, shown as a date).
pub static TIME: FieldDef =
    FieldDef::new("frame.time", "Arrival Time", FieldType::AbsTime, Base::None);
/// `frame.time_epoch` (absolute, shown as seconds since the epoch).
pub static TIME_EPOCH: FieldDef = FieldDef::new(
    "frame.time_epoch",
    "Epoch Time",
    FieldType::AbsTime,
    Base::Dec,
);
/// `frame.time_delta`.
pub static TIME_DELTA: FieldDef = FieldDef::new(
    "frame.time_delta",
    "Time delta from previous captured frame",
    FieldType::RelTime,
    Base::None,
);
/// `frame.time_relative`.
pub static TIME_RELATIVE: FieldDef = FieldDef::new(
    "frame.time_relative",
    "Time since reference or first frame",
    FieldType::RelTime,
    Base::None,
);
/// `frame.len`.
pub static LEN: FieldDef =
    FieldDef::new("frame.len", "Frame Length", FieldType::UInt(32), Base::Dec);
/// `frame.cap_len`.
pub static CAP_LEN: FieldDef = FieldDef::new(
    "frame.cap_len",
    "Capture Length",
    FieldType::UInt(32),
    Base::Dec,
);
/// `frame.interface_id`.
pub static INTERFACE_ID: FieldDef = FieldDef::new(
    "frame.interface_id",
    "Interface id",
    FieldType::UInt(32),
    Base::Dec,
);
/// `frame.encap_type`.
pub static ENCAP_TYPE: FieldDef = FieldDef::new(
    "frame.encap_type",
    "Encapsulation type",
    FieldType::UInt(16),
    Base::Dec,
);
/// `frame.protocols`.
pub static PROTOCOLS: FieldDef = FieldDef::new(
    "frame.protocols",
    "Protocols in frame",
    FieldType::Str,
    Base::None,
);
/// `frame.comment`.
pub static COMMENT: FieldDef =
    FieldDef::new("frame.comment", "Comment", FieldType::Str, Base::None);
/// `frame.packet_flags` (pcapng `epb_flags`).
pub static PACKET_FLAGS: FieldDef = FieldDef::new(
    "frame.packet_flags",
    "Packet flags",
    FieldType::UInt(32),
    Base::Hex,
);
/// `frame.packet_flags_direction`.
pub static DIRECTION: FieldDef = FieldDef::new(
    "frame.packet_flags_direction",
    "Direction",
    FieldType::UInt(32),
    Base::Hex,
)
.masked(0x3)
.named(&[(0, "Unknown"), (1, "Inbound"), (2, "Outbound")]);
/// `data`.
pub static DATA: FieldDef = FieldDef::proto("data", "Data");
/// `data.data`.
pub static DATA_DATA: FieldDef =
    FieldDef::new("data.data", "Data", FieldType::Bytes, Base::None).bulk();
/// `data.len`.
pub static DATA_LEN: FieldDef = FieldDef::new("data.len", "Length", FieldType::UInt(32), Base::Dec);

/// `_ws.col.Protocol` (the Protocol column as a field, as in tshark).
pub static COL_PROTOCOL: FieldDef =
    FieldDef::new("_ws.col.Protocol", "Protocol", FieldType::Str, Base::None);
/// `_ws.col.Info`.
pub static COL_INFO: FieldDef = FieldDef::new("_ws.col.Info", "Info", FieldType::Str, Base::None);
/// `_ws.col.Source`.
pub static COL_SOURCE: FieldDef =
    FieldDef::new("_ws.col.Source", "Source", FieldType::Str, Base::None);
/// `_ws.col.Destination`.
pub static COL_DESTINATION: FieldDef = FieldDef::new(
    "_ws.col.Destination",
    "Destination",
    FieldType::Str,
    Base::None,
);
/// `_ws.malformed`: dissection stopped on an error.
pub static MALFORMED: FieldDef = FieldDef::new(
    "_ws.malformed",
    "Malformed Packet",
    FieldType::None,
    Base::None,
);

/// paircap's own fields.
pub static PAIRCAP: FieldDef = FieldDef::proto("paircap", "paircap");
/// `paircap.compare.status`: matched, modified, reordered, duplicated, lost, extra, …
pub static COMPARE_STATUS: FieldDef = FieldDef::new(
    "paircap.compare.status",
    "Compare status",
    FieldType::Str,
    Base::None,
);
/// `paircap.compare.twin`: the same packet's frame number in the other capture.
pub static COMPARE_TWIN: FieldDef = FieldDef::new(
    "paircap.compare.twin",
    "Twin in the other capture",
    FieldType::FrameNum,
    Base::Dec,
);
/// `paircap.compare.delay`: one-way delay after clock correction.
pub static COMPARE_DELAY: FieldDef = FieldDef::new(
    "paircap.compare.delay",
    "One-way delay",
    FieldType::RelTime,
    Base::None,
);

/// Fields of this module.
pub static FIELDS: &[&FieldDef] = &[
    &PAIRCAP,
    &COMPARE_STATUS,
    &COMPARE_TWIN,
    &COMPARE_DELAY,
    &COL_PROTOCOL,
    &COL_INFO,
    &COL_SOURCE,
    &COL_DESTINATION,
    &MALFORMED,
    &FRAME,
    &NUMBER,
    &TIME,
    &TIME_EPOCH,
    &TIME_DELTA,
    &TIME_RELATIVE,
    &LEN,
    &CAP_LEN,
    &INTERFACE_ID,
    &ENCAP_TYPE,
    &PROTOCOLS,
    &COMMENT,
    &PACKET_FLAGS,
    &DIRECTION,
    &DATA,
    &DATA_DATA,
    &DATA_LEN,
];

/// Emits the `frame` tree.
pub fn emit<'a>(pkt: &Packet<'a>, sink: &mut dyn Sink<'a>) {
    let m = &pkt.meta;
    let all = Span::new(0, pkt.data.len());
    let wire = m.orig_len;
    let cap = pkt.data.len();
    open!(
        sink,
        &FRAME,
        Value::None,
        all,
        "Frame {}: {} bytes on wire ({} bits), {} bytes captured ({} bits) on interface {}",
        m.number,
        wire,
        u64::from(wire) * 8,
        cap,
        cap * 8,
        m.interface
    );
    if !sink.wants("frame") {
        sink.close();
        return;
    }
    for c in &pkt.comments {
        emit!(sink, &COMMENT, Value::Str((*c).into()), Span::NONE);
        sink.expert(
            crate::field::Severity::Comment,
            crate::field::Group::Comment,
            format_args!("{c}"),
            Span::NONE,
        );
    }
    emit!(
        sink,
        &INTERFACE_ID,
        Value::UInt(u64::from(m.interface)),
        Span::NONE
    );
    if let Some(f) = m.flags {
        emit!(sink, &PACKET_FLAGS, Value::UInt(u64::from(f)), Span::NONE);
        emit!(sink, &DIRECTION, Value::UInt(u64::from(f & 3)), Span::NONE);
    }
    emit!(
        sink,
        &ENCAP_TYPE,
        Value::UInt(u64::from(m.link_type.0)),
        Span::NONE
    );
    if m.has_ts {
        emit!(sink, &TIME, Value::Time(m.ts), Span::NONE);
        emit!(sink, &TIME_EPOCH, Value::Time(m.ts), Span::NONE);
    }
    emit!(sink, &TIME_DELTA, Value::RelTime(m.delta_ns), Span::NONE);
    emit!(sink, &TIME_RELATIVE, Value::RelTime(m.rel_ns), Span::NONE);
    emit!(sink, &NUMBER, Value::UInt(m.number), Span::NONE);
    emit!(sink, &LEN, Value::UInt(u64::from(wire)), Span::NONE);
    emit!(sink, &CAP_LEN, Value::UInt(cap as u64), Span::NONE);
    emit!(
        sink,
        &PROTOCOLS,
        Value::Str(pkt.protocols().into()),
        Span::NONE
    );
    sink.close();
    if sink.wants("_ws") {
        let mut c = crate::dissect::columns::Columns::default();
        crate::dissect::columns::columns(pkt, &mut c);
        emit!(sink, &COL_SOURCE, Value::Str(c.source.into()), Span::NONE);
        emit!(
            sink,
            &COL_DESTINATION,
            Value::Str(c.destination.into()),
            Span::NONE
        );
        emit!(
            sink,
            &COL_PROTOCOL,
            Value::Str(c.protocol.into()),
            Span::NONE
        );
        emit!(sink, &COL_INFO, Value::Str(c.info.into()), Span::NONE);
    }
    if pkt.stop.is_some() {
        emit!(sink, &MALFORMED, Value::None, Span::NONE);
    }
    if let Some(c) = &pkt.analysis.compare {
        if sink.wants("paircap") {
            open!(
                sink,
                &PAIRCAP,
                Value::None,
                Span::NONE,
                "paircap compare: {}",
                c.status
            );
            emit!(
                sink,
                &COMPARE_STATUS,
                Value::Str(c.status.into()),
                Span::NONE
            );
            if c.twin != 0 {
                emit!(
                    sink,
                    &COMPARE_TWIN,
                    Value::UInt(u64::from(c.twin)),
                    Span::NONE
                );
            }
            if let Some(d) = c.delay_ns {
                emit!(
                    sink,
                    &COMPARE_DELAY,
                    Value::RelTime(i128::from(d)),
                    Span::NONE
                );
            }
            sink.close();
        }
    }
}

/// Emits undissected bytes as `data`.
pub fn emit_data<'a>(d: &'a [u8], off: usize, sink: &mut dyn Sink<'a>) {
    let span = Span::new(off, d.len());
    open!(sink, &DATA, Value::None, span, "Data ({} bytes)", d.len());
    emit!(sink, &DATA_DATA, Value::Bytes(d), span);
    emit!(sink, &DATA_LEN, Value::UInt(d.len() as u64), Span::NONE);
    sink.close();
}
