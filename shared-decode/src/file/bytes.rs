//! Bounds-checked integer reads with a byte order. Every function returns `None` instead of
//! reading past the end.

use super::Endian;

pub(crate) fn u16_at(b: &[u8], off: usize, e: Endian) -> Option<u16> {
    let a: [u8; 2] = b.get(off..off.checked_add(2)?)?.try_into().ok()?;
    Some(match e {
        Endian::Little => u16::from_le_bytes(a),
        Endian::Big => u16::from_be_bytes(a),
    })
}

pub(crate) fn u32_at(b: &[u8], off: usize, e: Endian) -> Option<u32> {
    let a: [u8; 4] = b.get(off..off.checked_add(4)?)?.try_into().ok()?;
    Some(match e {
        Endian::Little => u32::from_le_bytes(a),
        Endian::Big => u32::from_be_bytes(a),
    })
}

pub(crate) fn u64_at(b: &[u8], off: usize, e: Endian) -> Option<u64> {
    let a: [u8; 8] = b.get(off..off.checked_add(8)?)?.try_into().ok()?;
    Some(match e {
        Endian::Little => u64::from_le_bytes(a),
        Endian::Big => u64::from_be_bytes(a),
    })
}

/// A value of an option holding a u64 (e.g. `isb_ifrecv`), when exactly 8 bytes long.
pub(crate) fn opt_u64(v: &[u8], e: Endian) -> Option<u64> {
    if v.len() == 8 {
        u64_at(v, 0, e)
    } else {
        None
    }
}

/// A pcapng split time stamp (high word first) as one u64.
pub(crate) fn opt_ts(v: &[u8], e: Endian) -> Option<u64> {
    if v.len() != 8 {
        return None;
    }
    let hi = u32_at(v, 0, e)?;
    let lo = u32_at(v, 4, e)?;
    Some((u64::from(hi) << 32) | u64::from(lo))
}

/// An option string: UTF-8 (lossy), trailing NULs removed (some writers add them).
pub(crate) fn opt_str(v: &[u8]) -> String {
    let end = v.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
    String::from_utf8_lossy(v.get(..end).unwrap_or(&[])).into_owned()
}
