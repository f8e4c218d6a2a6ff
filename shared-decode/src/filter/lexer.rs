//! Tokens of both filter languages.
//!
//! Like Wireshark's scanner, the lexer does not decide what a run of "word" characters
//! means: `tcp.port`, `10.0.0.0/8`, `00:1b:21`, `fe80::1`, `0x02`, `GET` and `and` are all
//! [`Tok::Word`]s, and the parser resolves them against the schema and the field type. The
//! text between `[` and `]` is kept raw ([`Tok::Slice`]) because slice syntax (`[1-2]`,
//! `[:3]`) and tcpdump's offsets (`[tcpflags]`, `[12:2]`) are parsed by their own rules.
//!
//! Every token carries its byte range in the filter text, for error carets. The lexer is a
//! single forward pass: each step consumes at least one byte, so it ends.

use super::error::FilterError;

/// Which language is being lexed (they differ in a few operators: tcpdump has `=`, `|`,
/// arithmetic and `\` escapes, Wireshark has strings and `..`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Wireshark display filters.
    Display,
    /// tcpdump / libpcap expressions.
    Bpf,
}

/// A token.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    LParen,
    RParen,
    LBrace,
    RBrace,
    Comma,
    /// `..` (set ranges).
    DotDot,
    /// The raw text inside `[...]`.
    Slice(String),
    /// `==` (or `=`).
    Eq,
    /// `!=`.
    Ne,
    /// `===` (all equal).
    AllEq,
    /// `~=` or `!==` (any not equal).
    AnyNe,
    Lt,
    Le,
    Gt,
    Ge,
    /// `&&`.
    AndAnd,
    /// `||`.
    OrOr,
    /// `^^`.
    XorXor,
    /// `!`.
    Bang,
    /// `&` (bitwise and).
    Amp,
    /// `|` (bitwise or, tcpdump constants).
    Pipe,
    /// `~` (Wireshark's alias of `matches`).
    Tilde,
    /// `+ - * / << >>` (tcpdump arithmetic; only constants are folded).
    Arith(char),
    /// A quoted string, unescaped (may hold any bytes through `\x` escapes).
    Str(Vec<u8>),
    /// A character constant `'a'`.
    Char(u8),
    /// A run of word characters.
    Word(String),
}

/// A token and where it is.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

fn is_word_byte(b: u8, mode: Mode) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(b, b'_' | b'.' | b':' | b'-' | b'/')
        || (mode == Mode::Bpf && b == b'\\')
}

/// Splits `text` into tokens.
///
/// # Errors
/// An unterminated string or slice, a bad escape, or a character that starts no token.
pub(crate) fn lex(text: &str, mode: Mode) -> Result<Vec<Token>, FilterError> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0usize;
    // Terminates: every branch advances `i` by at least one byte or returns.
    while let Some(&c) = b.get(i) {
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let two = b.get(i + 1).copied();
        let three = b.get(i + 2).copied();
        let (tok, len) = match (c, two, three) {
            (b'(', ..) => (Tok::LParen, 1),
            (b')', ..) => (Tok::RParen, 1),
            (b'{', ..) => (Tok::LBrace, 1),
            (b'}', ..) => (Tok::RBrace, 1),
            (b',', ..) => (Tok::Comma, 1),
            (b'.', Some(b'.'), _) if mode == Mode::Display => (Tok::DotDot, 2),
            (b'[', ..) => {
                let (inner, len) = slice_body(text, i)?;
                (Tok::Slice(inner), len)
            }
            (b'=', Some(b'='), Some(b'=')) if mode == Mode::Display => (Tok::AllEq, 3),
            (b'=', Some(b'='), _) => (Tok::Eq, 2),
            (b'=', ..) if mode == Mode::Bpf => (Tok::Eq, 1),
            (b'=', ..) => {
                return Err(FilterError::new(
                    "use == to compare (a single = is tcpdump syntax)",
                    i,
                    i + 1,
                ));
            }
            (b'!', Some(b'='), Some(b'=')) if mode == Mode::Display => (Tok::AnyNe, 3),
            (b'!', Some(b'='), _) => (Tok::Ne, 2),
            (b'!', ..) => (Tok::Bang, 1),
            (b'~', Some(b'='), _) if mode == Mode::Display => (Tok::AnyNe, 2),
            (b'~', ..) if mode == Mode::Display => (Tok::Tilde, 1),
            (b'<', Some(b'='), _) => (Tok::Le, 2),
            (b'<', Some(b'<'), _) if mode == Mode::Bpf => (Tok::Arith('<'), 2),
            (b'<', ..) => (Tok::Lt, 1),
            (b'>', Some(b'='), _) => (Tok::Ge, 2),
            (b'>', Some(b'>'), _) if mode == Mode::Bpf => (Tok::Arith('>'), 2),
            (b'>', ..) => (Tok::Gt, 1),
            (b'&', Some(b'&'), _) => (Tok::AndAnd, 2),
            (b'&', ..) => (Tok::Amp, 1),
            (b'|', Some(b'|'), _) => (Tok::OrOr, 2),
            (b'|', ..) if mode == Mode::Bpf => (Tok::Pipe, 1),
            (b'^', Some(b'^'), _) if mode == Mode::Display => (Tok::XorXor, 2),
            (b'+' | b'*' | b'/' | b'%', ..) if mode == Mode::Bpf => (Tok::Arith(char::from(c)), 1),
            (b'"', ..) if mode == Mode::Display => {
                let (s, len) = string(text, i, false)?;
                (Tok::Str(s), len)
            }
            (b'r' | b'R', Some(b'"'), _) if mode == Mode::Display => {
                let (s, len) = string(text, i + 1, true)?;
                (Tok::Str(s), len + 1)
            }
            (b'\'', ..) if mode == Mode::Display => {
                let (ch, len) = char_const(text, i)?;
                (Tok::Char(ch), len)
            }
            (b'-', ..)
                if mode == Mode::Bpf
                    && !b.get(i + 1).is_some_and(|x| x.is_ascii_alphanumeric()) =>
            {
                (Tok::Arith('-'), 1)
            }
            _ if is_word_byte(c, mode) => {
                let mut j = i;
                while let Some(&x) = b.get(j) {
                    if !is_word_byte(x, mode) {
                        break;
                    }
                    // `8000..8080`: a range, not one word (no address or name has "..").
                    if mode == Mode::Display && x == b'.' && b.get(j + 1) == Some(&b'.') {
                        break;
                    }
                    j += 1;
                }
                if j == i {
                    // A lone "." before "..": cannot happen (handled above), but stay safe.
                    j = i + 1;
                }
                (Tok::Word(text.get(i..j).unwrap_or("").to_string()), j - i)
            }
            _ => {
                let ch = text.get(i..).and_then(|s| s.chars().next()).unwrap_or('?');
                return Err(FilterError::new(
                    format!("unexpected character {ch:?}"),
                    i,
                    i + ch.len_utf8(),
                ));
            }
        };
        i += len;
        out.push(Token { tok, start, end: i });
    }
    Ok(out)
}

/// The text between `[` at `at` and its matching `]` (nested brackets allowed, for tcpdump's
/// `tcp[tcp[12]]`, which the parser then rejects with a clear message).
fn slice_body(text: &str, at: usize) -> Result<(String, usize), FilterError> {
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut j = at;
    while let Some(&x) = b.get(j) {
        match x {
            b'[' => depth += 1,
            b']' => {
                depth -= 1;
                if depth == 0 {
                    let inner = text.get(at + 1..j).unwrap_or("").to_string();
                    return Ok((inner, j + 1 - at));
                }
            }
            _ => {}
        }
        j += 1;
    }
    Err(FilterError::new("unterminated [", at, text.len()))
}

/// A double-quoted string starting at `at` (the quote). Raw strings keep backslashes except
/// before a quote.
fn string(text: &str, at: usize, raw: bool) -> Result<(Vec<u8>, usize), FilterError> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut j = at + 1;
    loop {
        let Some(&x) = b.get(j) else {
            return Err(FilterError::new("unterminated string", at, text.len()));
        };
        match x {
            b'"' => return Ok((out, j + 1 - at)),
            b'\\' if raw => {
                if b.get(j + 1) == Some(&b'"') {
                    out.push(b'"');
                    j += 2;
                } else {
                    out.push(b'\\');
                    j += 1;
                }
            }
            b'\\' => {
                let (v, n) = escape(text, j)?;
                out.extend_from_slice(&v);
                j += n;
            }
            _ => {
                out.push(x);
                j += 1;
            }
        }
    }
}

/// One escape sequence at `at` (the backslash): its bytes and length.
fn escape(text: &str, at: usize) -> Result<(Vec<u8>, usize), FilterError> {
    let b = text.as_bytes();
    let bad = |len: usize| FilterError::new("bad escape sequence in string", at, at + len);
    let Some(&c) = b.get(at + 1) else {
        return Err(bad(1));
    };
    let simple = |v: u8| Ok((vec![v], 2));
    match c {
        b'\\' => simple(b'\\'),
        b'"' => simple(b'"'),
        b'\'' => simple(b'\''),
        b'n' => simple(b'\n'),
        b'r' => simple(b'\r'),
        b't' => simple(b'\t'),
        b'a' => simple(7),
        b'b' => simple(8),
        b'f' => simple(12),
        b'v' => simple(11),
        b'x' => {
            let hex: Vec<u8> = b
                .get(at + 2..)
                .unwrap_or(&[])
                .iter()
                .take(2)
                .take_while(|x| x.is_ascii_hexdigit())
                .copied()
                .collect();
            if hex.is_empty() {
                return Err(bad(2));
            }
            let v = hex.iter().fold(0u8, |a, d| (a << 4) | hex_val(*d));
            Ok((vec![v], 2 + hex.len()))
        }
        b'0'..=b'7' => {
            let oct: Vec<u8> = b
                .get(at + 1..)
                .unwrap_or(&[])
                .iter()
                .take(3)
                .take_while(|x| (b'0'..=b'7').contains(*x))
                .copied()
                .collect();
            let v = oct.iter().fold(0u32, |a, d| a * 8 + u32::from(d - b'0'));
            let v = u8::try_from(v).map_err(|_| bad(1 + oct.len()))?;
            Ok((vec![v], 1 + oct.len()))
        }
        b'u' | b'U' => {
            let n = if c == b'u' { 4 } else { 8 };
            let digits = text.get(at + 2..at + 2 + n).ok_or_else(|| bad(2))?;
            let v = u32::from_str_radix(digits, 16).map_err(|_| bad(2 + n))?;
            let ch = char::from_u32(v).ok_or_else(|| bad(2 + n))?;
            let mut buf = [0u8; 4];
            Ok((ch.encode_utf8(&mut buf).as_bytes().to_vec(), 2 + n))
        }
        _ => Err(bad(2)),
    }
}

fn hex_val(d: u8) -> u8 {
    match d {
        b'0'..=b'9' => d - b'0',
        b'a'..=b'f' => d - b'a' + 10,
        b'A'..=b'F' => d - b'A' + 10,
        _ => 0,
    }
}

/// A character constant `'a'` or `'\x41'`.
fn char_const(text: &str, at: usize) -> Result<(u8, usize), FilterError> {
    let b = text.as_bytes();
    let bad = || FilterError::new("bad character constant", at, (at + 3).min(text.len()));
    let (v, n) = match b.get(at + 1) {
        Some(b'\\') => {
            let (v, n) = escape(text, at + 1)?;
            (v, n)
        }
        Some(&c) if c.is_ascii() && c != b'\'' => (vec![c], 1),
        _ => return Err(bad()),
    };
    if v.len() != 1 || b.get(at + 1 + n) != Some(&b'\'') {
        return Err(bad());
    }
    Ok((v.first().copied().unwrap_or(0), n + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s, Mode::Display)
            .unwrap()
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    fn w(s: &str) -> Tok {
        Tok::Word(s.to_string())
    }

    #[test]
    fn lexes_operators_and_words() {
        assert_eq!(
            toks("tcp.port==80&&!ip.addr~=10.0.0.0/8"),
            vec![
                w("tcp.port"),
                Tok::Eq,
                w("80"),
                Tok::AndAnd,
                Tok::Bang,
                w("ip.addr"),
                Tok::AnyNe,
                w("10.0.0.0/8")
            ]
        );
        assert_eq!(
            toks("a === b !== c ^^ d || e & 0x02"),
            vec![
                w("a"),
                Tok::AllEq,
                w("b"),
                Tok::AnyNe,
                w("c"),
                Tok::XorXor,
                w("d"),
                Tok::OrOr,
                w("e"),
                Tok::Amp,
                w("0x02")
            ]
        );
        assert_eq!(
            toks("{80 8000..8080}"),
            vec![
                Tok::LBrace,
                w("80"),
                w("8000"),
                Tok::DotDot,
                w("8080"),
                Tok::RBrace
            ]
        );
        assert_eq!(
            toks("eth.src[0:3]"),
            vec![w("eth.src"), Tok::Slice("0:3".into())]
        );
        assert_eq!(toks("fe80::1"), vec![w("fe80::1")]);
    }

    #[test]
    fn unescapes_strings() {
        assert_eq!(
            toks(r#""a\"b\\c\x41\101\n""#),
            vec![Tok::Str(b"a\"b\\cAA\n".to_vec())]
        );
        assert_eq!(toks(r#"r"a\d""#), vec![Tok::Str(b"a\\d".to_vec())]);
        assert_eq!(toks(r"'A' '\x42'"), vec![Tok::Char(b'A'), Tok::Char(b'B')]);
        assert!(lex(r#""abc"#, Mode::Display).is_err());
        assert!(lex(r#""\q""#, Mode::Display).is_err());
        assert!(lex(r#""\777""#, Mode::Display).is_err());
        assert!(lex("a[0", Mode::Display).is_err());
        assert!(lex("a $ b", Mode::Display).is_err());
    }

    #[test]
    fn lexes_tcpdump() {
        let t: Vec<Tok> = lex(
            "tcp[tcpflags] & (tcp-syn|tcp-ack) != 0 and ip proto \\tcp",
            Mode::Bpf,
        )
        .unwrap()
        .into_iter()
        .map(|t| t.tok)
        .collect();
        assert_eq!(
            t,
            vec![
                w("tcp"),
                Tok::Slice("tcpflags".into()),
                Tok::Amp,
                Tok::LParen,
                w("tcp-syn"),
                Tok::Pipe,
                w("tcp-ack"),
                Tok::RParen,
                Tok::Ne,
                w("0"),
                w("and"),
                w("ip"),
                w("proto"),
                w("\\tcp"),
            ]
        );
    }

    #[test]
    fn positions_are_byte_offsets() {
        let t = lex("ip.src == \"é\" x", Mode::Display).unwrap();
        assert_eq!((t[2].start, t[2].end), (10, 14));
        assert_eq!(t[3].start, 15);
    }
}
