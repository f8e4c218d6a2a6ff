//! Output plumbing: a large buffered stdout, and "broken pipe ends quietly".

use std::io::{self, Write};

/// Buffered standard output (256 KiB; lines are assembled in a `String` first).
pub fn stdout() -> io::BufWriter<io::StdoutLock<'static>> {
    io::BufWriter::with_capacity(256 * 1024, io::stdout().lock())
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
    if buf.len() >= 64 * 1024 {
        out.write_all(buf.as_bytes())?;
        buf.clear();
    }
    Ok(())
}
