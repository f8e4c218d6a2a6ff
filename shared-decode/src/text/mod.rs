//! Fast text helpers for hot output paths (one packet line costs well under a microsecond):
//! integers, addresses and times pushed straight into a `String`, no `fmt` machinery.
//! A leaf: it uses only [`crate::file::Timestamp`], so the field schema, the dissectors and
//! the formatters can all use it without depending on one another.

pub mod time;

/// Appends a decimal integer.
pub fn push_u64(out: &mut String, v: u64) {
    let mut buf = [0u8; 20];
    let i = digits(v, &mut buf);
    for &b in buf.get(i..).unwrap_or(&[]) {
        out.push(char::from(b));
    }
}

/// Writes the decimal digits of `v` at the end of `buf`; returns where they start.
fn digits(mut v: u64, buf: &mut [u8; 20]) -> usize {
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(b) = buf.get_mut(i) {
            *b = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 || i == 0 {
            return i;
        }
    }
}

/// Appends a signed decimal integer.
pub fn push_i64(out: &mut String, v: i64) {
    if v < 0 {
        out.push('-');
    }
    push_u64(out, v.unsigned_abs());
}

/// Appends a time offset in seconds with 9 decimals (`-0.000012000`).
pub fn push_reltime(out: &mut String, ns: i128) {
    if ns < 0 {
        out.push('-');
    }
    let a = ns.unsigned_abs();
    push_u64(out, u64::try_from(a / 1_000_000_000).unwrap_or(u64::MAX));
    out.push('.');
    push_u64_pad(out, (a % 1_000_000_000) as u64, 9);
}

/// Appends `v` zero-padded to `width` digits (at most 20).
pub fn push_u64_pad(out: &mut String, v: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let i = digits(v, &mut buf).min(20usize.saturating_sub(width));
    for &b in buf.get(i..).unwrap_or(&[]) {
        out.push(char::from(b));
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends one byte as two lower-case hex digits.
pub fn push_hex8(out: &mut String, b: u8) {
    out.push(char::from(
        HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'),
    ));
    out.push(char::from(
        HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0'),
    ));
}

/// Appends `v` in hex, zero-padded to `width` digits, without `0x`.
pub fn push_hex(out: &mut String, v: u64, width: usize) {
    let digits = if v == 0 {
        1
    } else {
        (64 - v.leading_zeros()).div_ceil(4) as usize
    };
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
        if *b >= 100 {
            out.push(char::from(b'0' + b / 100));
        }
        if *b >= 10 {
            out.push(char::from(b'0' + (b / 10) % 10));
        }
        out.push(char::from(b'0' + b % 10));
    }
}

/// Appends an IPv6 address in RFC 5952 form (longest run of two or more zero groups as
/// `::`, lower-case hex, IPv4-mapped and -compatible forms with a dotted quad, as std does).
pub fn push_ipv6(out: &mut String, a: [u8; 16]) {
    let g: [u16; 8] = std::array::from_fn(|i| u16::from_be_bytes([a[2 * i], a[2 * i + 1]]));
    // IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible (::a.b.c.d) forms.
    if g[..5] == [0; 5] && (g[5] == 0xffff || (g[5] == 0 && g[6] != 0)) {
        out.push_str(if g[5] == 0xffff { "::ffff:" } else { "::" });
        push_ipv4(out, [a[12], a[13], a[14], a[15]]);
        return;
    }
    let (mut best, mut best_len, mut cur, mut cur_len) = (8usize, 0usize, 0usize, 0usize);
    for (i, &x) in g.iter().enumerate() {
        if x == 0 {
            if cur_len == 0 {
                cur = i;
            }
            cur_len += 1;
            if cur_len > best_len {
                best = cur;
                best_len = cur_len;
            }
        } else {
            cur_len = 0;
        }
    }
    if best_len < 2 {
        best = 8;
    }
    let mut i = 0;
    while i < 8 {
        if i == best {
            out.push_str("::");
            i += best_len;
            continue;
        }
        if i > 0 && i != best + best_len {
            out.push(':');
        }
        push_hex(out, u64::from(g[i]), 1);
        i += 1;
    }
}

/// Appends a MAC address `aa:bb:cc:dd:ee:ff`.
pub fn push_mac(out: &mut String, a: [u8; 6]) {
    let mut buf = [b':'; 17];
    for (i, b) in a.iter().enumerate() {
        if let Some(x) = buf.get_mut(i * 3) {
            *x = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
        }
        if let Some(x) = buf.get_mut(i * 3 + 1) {
            *x = HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0');
        }
    }
    out.push_str(std::str::from_utf8(&buf).unwrap_or(""));
}

/// Appends bytes as printable text: ASCII graphic characters as themselves, others as `.`
/// (packet bytes are never passed through as control characters).
pub fn push_printable(out: &mut String, b: &[u8]) {
    for &c in b {
        out.push(if (0x20..0x7f).contains(&c) {
            char::from(c)
        } else {
            '.'
        });
    }
}

/// A character a terminal could take as a command, or that changes how text around it is
/// shown: C0 controls (but newline and tab), DEL, C1 controls (U+0080–U+009F: `CSI` is
/// U+009B), and the bidirectional overrides and isolates ("Trojan Source"). Everything else —
/// printable ASCII and the rest of Unicode — is shown as it is.
pub fn is_unsafe_char(c: char) -> bool {
    let u = c as u32;
    (u < 0x20 && c != '\n' && c != '\t')
        || (0x7f..=0x9f).contains(&u)
        || matches!(u, 0x200e | 0x200f | 0x202a..=0x202e | 0x2066..=0x2069)
}

/// True if every byte is printable ASCII, newline or tab (nothing to escape).
#[inline]
pub fn is_plain(b: &[u8]) -> bool {
    // Every byte of every output line passes here (a byte-by-byte `all` was 19% of
    // `paircap read`'s time on the 1M-packet workload, in perf): blocks of 64 are tested
    // without short-circuiting, which the compiler turns into vector compares.
    let ok = |c: u8| (c.wrapping_sub(0x20) < 0x5f) | (c == b'\n') | (c == b'\t');
    let mut blocks = b.chunks_exact(64);
    for block in &mut blocks {
        if !block.iter().fold(true, |all, &c| all & ok(c)) {
            return false;
        }
    }
    blocks.remainder().iter().all(|&c| ok(c))
}

/// The one escaping rule of every text output (`paircap read` in any text format, live
/// capture printing, the compare report): each unsafe character ([`is_unsafe_char`]) becomes
/// `\xNN` per UTF-8 byte (tcpdump's notation), each byte that is not UTF-8 too. Text goes out
/// as valid UTF-8 without a control character a terminal would act on.
pub fn push_terminal_safe(out: &mut Vec<u8>, b: &[u8]) {
    if is_plain(b) {
        out.extend_from_slice(b);
        return;
    }
    let mut rest = b;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                push_safe_str(out, s);
                return;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                push_safe_str(out, std::str::from_utf8(good).unwrap_or(""));
                let n = e.error_len().unwrap_or(bad.len()).max(1).min(bad.len());
                for &x in bad.get(..n).unwrap_or(&[]) {
                    push_hex_escape(out, x);
                }
                rest = bad.get(n..).unwrap_or(&[]);
                if rest.is_empty() {
                    return;
                }
            }
        }
    }
}

fn push_hex_escape(out: &mut Vec<u8>, x: u8) {
    out.extend_from_slice(b"\\x");
    out.push(HEX.get(usize::from(x >> 4)).copied().unwrap_or(b'0'));
    out.push(HEX.get(usize::from(x & 15)).copied().unwrap_or(b'0'));
}

fn push_safe_str(out: &mut Vec<u8>, s: &str) {
    let mut buf = [0u8; 4];
    for c in s.chars() {
        if is_unsafe_char(c) {
            for &x in c.encode_utf8(&mut buf).as_bytes() {
                push_hex_escape(out, x);
            }
        } else {
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn is_plain_is_printable_ascii_newline_tab() {
        let naive = |b: &[u8]| {
            b.iter()
                .all(|&c| (0x20..0x7f).contains(&c) || c == b'\n' || c == b'\t')
        };
        for c in 0..=255u8 {
            for len in [1usize, 63, 64, 65, 130] {
                for at in [0, len / 2, len - 1] {
                    let mut b = vec![b'a'; len];
                    b[at] = c;
                    assert_eq!(is_plain(&b), naive(&b), "byte {c:#x} at {at} of {len}");
                }
            }
        }
        assert!(is_plain(b""));
    }

    use super::*;

    #[test]
    fn terminal_escapes_are_escaped() {
        let mut o = Vec::new();
        push_terminal_safe(
            &mut o,
            "GET /\u{1b}]0;pwned\u{7}\u{1b}[2J x\u{7f}\u{9b}1m \u{202e}abc → ok\tend\n".as_bytes(),
        );
        assert_eq!(
            String::from_utf8(o).unwrap(),
            "GET /\\x1b]0;pwned\\x07\\x1b[2J x\\x7f\\xc2\\x9b1m \\xe2\\x80\\xaeabc → ok\tend\n"
        );
        let mut o = Vec::new();
        push_terminal_safe(&mut o, &[b'a', 0x9b, b'b', 0xff, 0xe2, 0x86]);
        assert_eq!(o, b"a\\x9bb\\xff\\xe2\\x86");
        let mut o = Vec::new();
        push_terminal_safe(&mut o, b"plain text\n");
        assert_eq!(o, b"plain text\n");
    }

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
        assert_eq!(
            s,
            "0 18446744073709551615 -42 007 0800 10.0.255.1 00:1b:21:ff:00:01"
        );
    }

    #[test]
    fn ipv6_matches_std_display() {
        let cases: [[u8; 16]; 6] = [
            [0; 16],
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1],
            [
                0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x1f, 0xf3, 0xff, 0xfe, 0xcd, 0xf6, 0x17,
            ],
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1],
            [
                0x20, 1, 0, 0, 0x0d, 0x5d, 0xa5, 0x99, 0x38, 0x90, 0xf3, 0xfd, 0x52, 0x26, 0x27,
                0x7a,
            ],
        ];
        for a in cases {
            let mut s = String::new();
            push_ipv6(&mut s, a);
            assert_eq!(s, std::net::Ipv6Addr::from(a).to_string());
        }
    }
}
