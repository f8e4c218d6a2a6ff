//! Output plumbing: a large buffered stdout that is safe for a terminal, and "broken pipe
//! ends quietly".

use std::io::{self, Write};

/// Standard output through [`Safe`]. Lines are assembled in a large `String` and written in
/// big blocks, so no second buffer is needed.
pub fn stdout() -> Safe<io::StdoutLock<'static>> {
    Safe::new(io::stdout().lock())
}

/// A writer that applies paircap's one escaping rule for text
/// ([`shared_decode::text::push_terminal_safe`]) to everything written through it:
/// bytes from the wire (an HTTP request line, a DNS TXT string, an SNI) can hold terminal
/// commands (`ESC ] 0 ;` sets the title, `ESC [ 2 J` clears the screen, `U+009B` is CSI).
/// A UTF-8 character cut between two writes is held back until the rest comes.
pub struct Safe<W: Write> {
    inner: W,
    /// The start of a UTF-8 character the last write ended inside.
    carry: Vec<u8>,
    buf: Vec<u8>,
}

impl<W: Write> Safe<W> {
    /// Wraps a writer.
    pub fn new(inner: W) -> Safe<W> {
        Safe {
            inner,
            carry: Vec::new(),
            buf: Vec::new(),
        }
    }
}

/// Length of an incomplete UTF-8 character at the end of `b` (0 if it ends on a boundary).
fn cut_tail(b: &[u8]) -> usize {
    for back in 1..=3.min(b.len()) {
        let x = b[b.len() - back];
        if x & 0xc0 != 0x80 {
            // A lead byte: how long its character is.
            let need = if x >= 0xf0 {
                4
            } else if x >= 0xe0 {
                3
            } else if x >= 0xc0 {
                2
            } else {
                1
            };
            return if need > back { back } else { 0 };
        }
    }
    0
}

impl<W: Write> Write for Safe<W> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if self.carry.is_empty() && shared_decode::text::is_plain(b) {
            self.inner.write_all(b)?;
            return Ok(b.len());
        }
        let mut all = std::mem::take(&mut self.carry);
        all.extend_from_slice(b);
        let keep = cut_tail(&all);
        let (now, later) = all.split_at(all.len() - keep);
        self.buf.clear();
        shared_decode::text::push_terminal_safe(&mut self.buf, now);
        self.carry = later.to_vec();
        self.inner.write_all(&self.buf)?;
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.carry.is_empty() {
            let c = std::mem::take(&mut self.carry);
            self.buf.clear();
            shared_decode::text::push_terminal_safe(&mut self.buf, &c);
            self.inner.write_all(&self.buf)?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for Safe<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// True if the error chain is a broken pipe (`paircap read f | head`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Writes and clears `buf` once it is large.
pub fn flush_if_large(buf: &mut String, out: &mut impl Write) -> io::Result<()> {
    if buf.len() >= 256 * 1024 {
        out.write_all(buf.as_bytes())?;
        buf.clear();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_keeps_characters_cut_between_writes() {
        let mut s = Safe::new(Vec::new());
        let text = "a\u{1b}[2J → é\n".as_bytes();
        // Every split point, including inside "→" and "é".
        for cut in 0..text.len() {
            s.inner.clear();
            s.write_all(&text[..cut]).unwrap();
            s.write_all(&text[cut..]).unwrap();
            s.flush().unwrap();
            assert_eq!(
                String::from_utf8(s.inner.clone()).unwrap(),
                "a\\x1b[2J → é\n",
                "cut at {cut}"
            );
        }
    }
}
