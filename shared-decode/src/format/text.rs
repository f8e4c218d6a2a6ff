//! Fast text helpers for hot output paths (one packet line costs well under a microsecond):
//! integers and addresses pushed straight into a `String`, no `fmt` machinery.

/// Appends a decimal integer.
pub fn push_u64(out: &mut String, mut v: u64) {
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
    for &b in buf.get(i..).unwrap_or(&[]) {
        out.push(char::from(b));
    }
}

/// Appends a signed decimal integer.
pub fn push_i64(out: &mut String, v: i64) {
    if v < 0 {
        out.push('-');
    }
    push_u64(out, v.unsigned_abs());
}

/// Appends `v` zero-padded to `width` digits.
pub fn push_u64_pad(out: &mut String, v: u64, width: usize) {
    let mut n = 1;
    let mut x = v / 10;
    while x > 0 {
        n += 1;
        x /= 10;
    }
    for _ in n..width {
        out.push('0');
    }
    push_u64(out, v);
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends one byte as two lower-case hex digits.
pub fn push_hex8(out: &mut String, b: u8) {
    out.push(char::from(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0')));
    out.push(char::from(HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0')));
}

/// Appends `v` in hex, zero-padded to `width` digits, without `0x`.
pub fn push_hex(out: &mut String, v: u64, width: usize) {
    let digits = if v == 0 { 1 } else { (64 - v.leading_zeros()).div_ceil(4) as usize };
    for _ in digits..width {
        out.push('0');
    }
    for i in (0..digits).rev() {
        let d = ((v >> (i * 4)) & 15) as usize;
        out.push(char::from(HEX.get(d).copied().unwrap_or(b'0')));
    }
}

/// Appends a dotted-quad IPv4 address.
pub fn push_ipv4(out: &mut String, a: [u8; 4]) {
    for (i, b) in a.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_u64(out, u64::from(*b));
    }
}

/// Appends an IPv6 address in RFC 5952 form.
pub fn push_ipv6(out: &mut String, a: [u8; 16]) {
    use std::fmt::Write;
    let _ = write!(out, "{}", std::net::Ipv6Addr::from(a));
}

/// Appends a MAC address `aa:bb:cc:dd:ee:ff`.
pub fn push_mac(out: &mut String, a: [u8; 6]) {
    for (i, b) in a.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        push_hex8(out, *b);
    }
}

/// Appends bytes as printable text: ASCII graphic characters as themselves, others as `.`
/// (packet bytes are never passed through as control characters).
pub fn push_printable(out: &mut String, b: &[u8]) {
    for &c in b {
        out.push(if (0x20..0x7f).contains(&c) { char::from(c) } else { '.' });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_addresses() {
        let mut s = String::new();
        push_u64(&mut s, 0);
        s.push(' ');
        push_u64(&mut s, u64::MAX);
        s.push(' ');
        push_i64(&mut s, -42);
        s.push(' ');
        push_u64_pad(&mut s, 7, 3);
        s.push(' ');
        push_hex(&mut s, 0x800, 4);
        s.push(' ');
        push_ipv4(&mut s, [10, 0, 255, 1]);
        s.push(' ');
        push_mac(&mut s, [0, 0x1b, 0x21, 0xff, 0, 1]);
        assert_eq!(s, "0 18446744073709551615 -42 007 0800 10.0.255.1 00:1b:21:ff:00:01");
    }
}
