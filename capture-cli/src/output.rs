//! Output plumbing: a large buffered stdout, and "broken pipe ends quietly".

use std::io::{self, Write};

/// Standard output. Lines are assembled in a large `String` and written in big blocks, so no
/// second buffer is needed.
pub fn stdout() -> io::StdoutLock<'static> {
    io::stdout().lock()
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
