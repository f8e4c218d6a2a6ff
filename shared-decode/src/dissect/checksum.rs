//! The Internet checksum (RFC 1071) over headers and pseudo-headers.

use super::IpPseudo;

/// One's-complement sum of `data` as big-endian 16-bit words (odd length padded with zero),
/// added to `acc` without folding. Sums 8 bytes at a time: four 16-bit words per step, each
/// 32-bit half kept in a u64 so nothing overflows for any realistic packet size.
pub fn sum(data: &[u8], mut acc: u64) -> u64 {
    let mut chunks = data.chunks_exact(8);
    let mut wide = 0u64;
    for c in &mut chunks {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        let v = u64::from_be_bytes(b);
        // Add the two 32-bit halves; carries are folded at the end (RFC 1071 §2(B)).
        wide += (v >> 32) + (v & 0xffff_ffff);
    }
    acc += (wide >> 32) + (wide & 0xffff_ffff);
    let rest = chunks.remainder();
    let mut pairs = rest.chunks_exact(2);
    for c in &mut pairs {
        if let [a, b] = *c {
            acc += u64::from(u16::from_be_bytes([a, b]));
        }
    }
    if let [a] = *pairs.remainder() {
        acc += u64::from(u16::from_be_bytes([a, 0]));
    }
    acc
}

/// Folds a sum to 16 bits and complements it.
pub fn finish(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// The sum of the pseudo-header for a transport segment of `len` bytes with protocol `proto`.
pub fn pseudo(ip: &IpPseudo, proto: u8, len: usize) -> u64 {
    let len = len as u64;
    match ip {
        IpPseudo::V4(s, d) => sum(s, sum(d, 0)) + u64::from(proto) + len,
        IpPseudo::V6(s, d) => sum(s, sum(d, 0)) + u64::from(proto) + (len >> 16) + (len & 0xffff),
    }
}

/// The checksum the field at `field_off` of `data` should have had (computed with that field
/// taken as zero), for "incorrect -> 0x...." messages. `acc` is the pseudo-header sum.
pub fn expected(data: &[u8], field_off: usize, acc: u64) -> u16 {
    let stored = data.get(field_off..field_off + 2).map_or(0, |b| {
        u64::from(u16::from_be_bytes([
            b.first().copied().unwrap_or(0),
            b.get(1).copied().unwrap_or(0),
        ]))
    });
    let total = sum(data, acc);
    // Subtract the stored value in one's-complement arithmetic: add its complement.
    finish(total + (0xffff - stored))
}

/// Checksum status of a field: `Some(true)` good, `Some(false)` bad, `None` not verifiable
/// (bytes missing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The value in the packet.
    pub stored: u16,
    /// The value it should have.
    pub expected: u16,
}

impl Verdict {
    /// Whether the stored value is right.
    pub fn ok(&self) -> bool {
        self.stored == self.expected
    }
}

/// The fields a checksummed header reports its checksum with.
pub struct Fields {
    /// The checksum value (`tcp.checksum`).
    pub value: &'static crate::field::FieldDef,
    /// Its status: 0 bad, 1 good, 2 unverified, 3 not present (`tcp.checksum.status`).
    pub status: &'static crate::field::FieldDef,
    /// The value it should have, when bad (`tcp.checksum_calculated`), if the protocol has it.
    pub calculated: Option<&'static crate::field::FieldDef>,
    /// How bad a wrong checksum is (Wireshark: error for TCP/UDP, warning for ICMP).
    pub severity: crate::field::Severity,
}

/// Emits a checksum, its status and, when it is wrong, the expected value and an expert
/// note, the way Wireshark does. `verdict`: `None` when it could not be verified;
/// `absent`: the checksum is optional and not there (UDP over IPv4 with 0).
pub fn emit<'a>(
    sink: &mut dyn crate::field::Sink<'a>,
    f: &Fields,
    stored: u16,
    span: crate::field::Span,
    verdict: Option<Verdict>,
    absent: bool,
) {
    use crate::field::{Span, Value};
    sink.field(f.value, Value::UInt(u64::from(stored)), span, None);
    match verdict {
        Some(v) => {
            sink.field(f.status, Value::UInt(u64::from(v.ok())), Span::NONE, None);
            if !v.ok() {
                if let Some(c) = f.calculated {
                    sink.field(c, Value::UInt(u64::from(v.expected)), Span::NONE, None);
                }
                sink.expert(
                    f.severity,
                    crate::field::Group::Checksum,
                    format_args!("Bad checksum [should be 0x{:04x}]", v.expected),
                    span,
                );
            }
        }
        None => sink.field(
            f.status,
            Value::UInt(if absent { 3 } else { 2 }),
            Span::NONE,
            None,
        ),
    }
}

#[cfg(test)]
#[allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
mod tests {
    use super::*;

    /// The 8-byte path agrees with a plain 16-bit word sum for every length.
    #[test]
    fn wide_sum_matches_word_sum() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 37 + 11) as u8).collect();
        for n in 0..data.len() {
            let d = &data[..n];
            let mut plain = 0u64;
            for c in d.chunks(2) {
                plain += u64::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
            }
            assert_eq!(finish(sum(d, 0)), finish(plain), "length {n}");
        }
    }

    #[test]
    fn rfc1071_example_and_ipv4_header() {
        // RFC 1071 §3 example words.
        assert_eq!(
            finish(sum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7], 0)),
            !0xddf2
        );
        // A real IPv4 header (from pcpp__one_tcp_stream.pcap frame 1), checksum 0x436d.
        let h = [
            0x45, 0x00, 0x00, 0x34, 0x13, 0x6d, 0x40, 0x00, 0x80, 0x06, 0x43, 0x6d, 0x0a, 0x00,
            0x00, 0x01, 0x51, 0xda, 0x48, 0x0f,
        ];
        assert_eq!(finish(sum(&h, 0)), 0);
        assert_eq!(expected(&h, 10, 0), 0x436d);
    }
}
