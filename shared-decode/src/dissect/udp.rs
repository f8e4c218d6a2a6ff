//! UDP (RFC 768). The payload is bounded by the UDP length field; checksum verified when
//! the datagram was captured whole (a zero checksum over IPv4 means "none").

use super::checksum;
use super::{emit, open, Be, Decoded, DissectCx, DissectResult, Dissected, EmitCx, IpPseudo, Next};
use crate::error::{DecodeError, DecodeErrorKind, Layer};
use crate::field::{Base, FieldDef, FieldType, Severity, Sink, Span, Value};

/// Header length.
pub const HEADER_LEN: usize = 8;

/// `udp`.
pub static UDP: FieldDef = FieldDef::proto("udp", "User Datagram Protocol");
/// `udp.srcport`.
pub static SRCPORT: FieldDef =
    FieldDef::new("udp.srcport", "Source Port", FieldType::UInt(16), Base::Dec);
/// `udp.dstport`.
pub static DSTPORT: FieldDef = FieldDef::new(
    "udp.dstport",
    "Destination Port",
    FieldType::UInt(16),
    Base::Dec,
);
/// `udp.port`.
pub static PORT: FieldDef = FieldDef::new(
    "udp.port",
    "Source or Destination Port",
    FieldType::UInt(16),
    Base::Dec,
)
.hidden();
/// `udp.length`.
pub static LENGTH: FieldDef = FieldDef::new("udp.length", "Length", FieldType::UInt(16), Base::Dec);
/// `udp.checksum`.
pub static CHECKSUM: FieldDef =
    FieldDef::new("udp.checksum", "Checksum", FieldType::UInt(16), Base::Hex);
/// `udp.checksum.status`.
pub static CHECKSUM_STATUS: FieldDef = FieldDef::new(
    "udp.checksum.status",
    "Checksum Status",
    FieldType::UInt(8),
    Base::Dec,
)
.named(&[
    (0, "Bad"),
    (1, "Good"),
    (2, "Unverified"),
    (3, "Not present"),
]);
/// `udp.checksum_calculated`.
pub static CHECKSUM_CALCULATED: FieldDef = FieldDef::new(
    "udp.checksum_calculated",
    "Calculated Checksum",
    FieldType::UInt(16),
    Base::Hex,
);
/// `udp.stream`.
pub static STREAM: FieldDef =
    FieldDef::new("udp.stream", "Stream index", FieldType::UInt(32), Base::Dec);
/// `udp.payload`.
pub static PAYLOAD: FieldDef =
    FieldDef::new("udp.payload", "UDP payload", FieldType::Bytes, Base::None).bulk();
/// `udp.time_relative`.
pub static TIME_RELATIVE: FieldDef = FieldDef::new(
    "udp.time_relative",
    "Time since first frame",
    FieldType::RelTime,
    Base::None,
);
/// `udp.time_delta`.
pub static TIME_DELTA: FieldDef = FieldDef::new(
    "udp.time_delta",
    "Time since previous frame",
    FieldType::RelTime,
    Base::None,
);

/// Fields of this module.
pub static FIELDS: &[&FieldDef] = &[
    &UDP,
    &SRCPORT,
    &DSTPORT,
    &PORT,
    &LENGTH,
    &CHECKSUM,
    &CHECKSUM_STATUS,
    &CHECKSUM_CALCULATED,
    &STREAM,
    &PAYLOAD,
    &TIME_RELATIVE,
    &TIME_DELTA,
];

/// A UDP datagram.
#[derive(Clone, Debug)]
pub struct Udp<'a> {
    /// Header (8 bytes, fewer inside truncated ICMP quotes).
    pub hdr: &'a [u8],
    /// Captured payload (bounded by the length field).
    pub payload: &'a [u8],
    /// Pseudo-header source.
    pub ip: Option<IpPseudo>,
    /// Inside an ICMP error.
    pub in_error: bool,
}

impl<'a> Udp<'a> {
    /// Source port.
    pub fn src_port(&self) -> u16 {
        self.hdr.u16_at(0).unwrap_or(0)
    }
    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        self.hdr.u16_at(2).unwrap_or(0)
    }
    /// Length field.
    pub fn length(&self) -> u16 {
        self.hdr.u16_at(4).unwrap_or(0)
    }
    /// Checksum as stored.
    pub fn checksum(&self) -> u16 {
        self.hdr.u16_at(6).unwrap_or(0)
    }
    /// Payload length from the length field.
    pub fn payload_len(&self) -> usize {
        usize::from(self.length()).saturating_sub(HEADER_LEN)
    }
    /// Checksum verdict when verifiable (`None` also when the checksum is absent).
    pub fn verify(&self) -> Option<checksum::Verdict> {
        let ip = self.ip?;
        if self.in_error
            || self.hdr.len() < HEADER_LEN
            || self.payload.len() < self.payload_len()
            || (self.checksum() == 0 && matches!(ip, IpPseudo::V4(..)))
        {
            return None;
        }
        let total = HEADER_LEN + self.payload.len();
        let acc = checksum::sum(self.payload, checksum::pseudo(&ip, 17, total));
        let mut expected = checksum::expected(self.hdr, 6, acc);
        if expected == 0 {
            expected = 0xffff;
        }
        Some(checksum::Verdict {
            stored: self.checksum(),
            expected,
        })
    }

    pub(crate) fn emit(&self, off: usize, cx: &EmitCx<'_, 'a>, sink: &mut dyn Sink<'a>) {
        let h = self.hdr;
        let (sp, dp) = (self.src_port(), self.dst_port());
        open!(
            sink,
            &UDP,
            Value::None,
            Span::new(off, h.len()),
            "User Datagram Protocol, Src Port: {sp}, Dst Port: {dp}"
        );
        if h.len() >= 4 {
            emit!(
                sink,
                &SRCPORT,
                Value::UInt(u64::from(sp)),
                Span::new(off, 2)
            );
            emit!(
                sink,
                &DSTPORT,
                Value::UInt(u64::from(dp)),
                Span::new(off + 2, 2)
            );
            emit!(sink, &PORT, Value::UInt(u64::from(sp)), Span::new(off, 2));
            emit!(
                sink,
                &PORT,
                Value::UInt(u64::from(dp)),
                Span::new(off + 2, 2)
            );
        }
        if h.len() >= HEADER_LEN {
            emit!(
                sink,
                &LENGTH,
                Value::UInt(u64::from(self.length())),
                Span::new(off + 4, 2)
            );
            let ck = checksum::Fields {
                value: &CHECKSUM,
                status: &CHECKSUM_STATUS,
                calculated: Some(&CHECKSUM_CALCULATED),
                severity: Severity::Error,
            };
            let verdict = self.verify();
            let absent = verdict.is_none() && self.checksum() == 0;
            checksum::emit(
                sink,
                &ck,
                self.checksum(),
                Span::new(off + 6, 2),
                verdict,
                absent,
            );
        }
        if !self.in_error {
            if let Some(u) = &cx.pkt.analysis.udp {
                emit!(sink, &STREAM, Value::UInt(u64::from(u.stream)), Span::NONE);
                emit!(
                    sink,
                    &TIME_RELATIVE,
                    Value::RelTime(i128::from(u.time_rel_ns)),
                    Span::NONE
                );
                emit!(
                    sink,
                    &TIME_DELTA,
                    Value::RelTime(i128::from(u.time_delta_ns)),
                    Span::NONE
                );
            }
        }
        if !self.payload.is_empty() {
            emit!(
                sink,
                &PAYLOAD,
                Value::Bytes(self.payload),
                Span::new(off + HEADER_LEN, self.payload.len()),
                "UDP payload ({} byte{})",
                self.payload.len(),
                if self.payload.len() == 1 { "" } else { "s" }
            );
        }
        sink.close();
    }

    /// Wireshark's Info for a datagram whose payload is not dissected.
    pub fn write_info(&self, out: &mut String) {
        use crate::text::push_u64;
        push_u64(out, u64::from(self.src_port()));
        out.push_str(" → ");
        push_u64(out, u64::from(self.dst_port()));
        out.push_str(" Len=");
        push_u64(out, self.payload_len() as u64);
    }
}

/// Dissects a UDP header.
pub fn dissect<'a>(data: &'a [u8], off: usize, cx: &mut DissectCx) -> DissectResult<'a> {
    if data.len() < HEADER_LEN {
        let u = Udp {
            hdr: data,
            payload: &[],
            ip: cx.ip,
            in_error: cx.in_error,
        };
        let d = Dissected::new(Decoded::Udp(u), data.len(), data.len(), Next::Done);
        if cx.in_error && data.len() >= 4 {
            return Ok(Some(d));
        }
        return Ok(Some(d.with_error(DecodeError::truncated(
            Layer::Udp,
            off,
            HEADER_LEN,
            data.len(),
        ))));
    }
    let len = usize::from(data.u16_at(4).unwrap_or(0));
    let hdr = data.get(..HEADER_LEN).unwrap_or(data);
    if len < HEADER_LEN && !cx.in_error {
        // Jumbograms (RFC 2675) carry length 0; take the IP payload length.
        if len == 0 && matches!(cx.ip, Some(IpPseudo::V6(..))) {
            let payload = data.get(HEADER_LEN..).unwrap_or(&[]);
            let u = Udp {
                hdr,
                payload,
                ip: cx.ip,
                in_error: false,
            };
            let next = Next::UdpPorts(u.src_port(), u.dst_port());
            return Ok(Some(Dissected::new(
                Decoded::Udp(u),
                HEADER_LEN,
                data.len(),
                next,
            )));
        }
        let u = Udp {
            hdr,
            payload: &[],
            ip: cx.ip,
            in_error: false,
        };
        let d = Dissected::new(Decoded::Udp(u), HEADER_LEN, HEADER_LEN, Next::Done);
        return Ok(Some(d.with_error(DecodeError {
            layer: Layer::Udp,
            offset: off + 4,
            kind: DecodeErrorKind::BadLength {
                field: "length",
                value: len as u64,
            },
        })));
    }
    let end = len
        .clamp(HEADER_LEN, data.len().max(HEADER_LEN))
        .min(data.len());
    let payload = data.get(HEADER_LEN..end).unwrap_or(&[]);
    let u = Udp {
        hdr,
        payload,
        ip: cx.ip,
        in_error: cx.in_error,
    };
    let next = if payload.is_empty() {
        Next::Done
    } else {
        Next::UdpPorts(u.src_port(), u.dst_port())
    };
    cx.reported_len = Some(len.saturating_sub(HEADER_LEN));
    Ok(Some(Dissected::new(Decoded::Udp(u), HEADER_LEN, end, next)))
}
