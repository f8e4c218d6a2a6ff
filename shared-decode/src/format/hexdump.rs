//! Hex dumps: tcpdump's `-x`/`-X` layout and the viewer's offset/hex/ASCII rows.

/// tcpdump's `hex_print` (`-x`): 8 groups of 2 bytes per line after `\n\t0x0000: `.
pub fn tcpdump_hex(data: &[u8], out: &mut String) {
    use crate::text::{push_hex, push_hex8};
    for (i, chunk) in data.chunks(16).enumerate() {
        out.push_str("\n\t0x");
        push_hex(out, (i * 16) as u64, 4);
        out.push_str(": ");
        for pair in chunk.chunks(2) {
            out.push(' ');
            for &b in pair {
                push_hex8(out, b);
            }
        }
    }
}

/// tcpdump's `hex_and_ascii_print` (`-X`): hex padded to 40 columns, two spaces, ASCII.
pub fn tcpdump_hex_ascii(data: &[u8], out: &mut String) {
    use crate::text::{push_hex, push_hex8};
    for (i, chunk) in data.chunks(16).enumerate() {
        out.push_str("\n\t0x");
        push_hex(out, (i * 16) as u64, 4);
        out.push_str(": ");
        let start = out.len();
        for pair in chunk.chunks(2) {
            out.push(' ');
            for &b in pair {
                push_hex8(out, b);
            }
        }
        while out.len() - start < 40 {
            out.push(' ');
        }
        out.push_str("  ");
        for &b in chunk {
            out.push(if (0x21..0x7f).contains(&b) {
                char::from(b)
            } else {
                '.'
            });
        }
    }
}

/// tcpdump's `-A`: the bytes as ASCII, non-printables as `.`, line breaks kept.
pub fn tcpdump_ascii(data: &[u8], out: &mut String) {
    out.push('\n');
    for &b in data {
        match b {
            b'\n' => out.push('\n'),
            b'\r' => {}
            0x20..=0x7e | b'\t' => out.push(char::from(b)),
            _ => out.push('.'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_tcpdump_layout() {
        let d = [
            0x45, 0x00, 0x00, 0x3c, 0x1b, 0x68, 0x40, 0x00, 0x40, 0x06, 0x21, 0x52, 0x7f, 0x00,
            0x00, 0x01, 0x7f,
        ];
        let mut s = String::new();
        tcpdump_hex_ascii(&d, &mut s);
        assert_eq!(
            s,
            "\n\t0x0000:  4500 003c 1b68 4000 4006 2152 7f00 0001  E..<.h@.@.!R....\n\t0x0010:  7f                                       ."
        );
        let mut s = String::new();
        tcpdump_hex(&d[..4], &mut s);
        assert_eq!(s, "\n\t0x0000:  4500 003c");
    }
}
