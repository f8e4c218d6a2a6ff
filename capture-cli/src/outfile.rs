//! Files that hold packets, created the way dumpcap does and a little stricter: captures
//! carry payloads (passwords, cookies, mail), are written as root into shared directories,
//! and are sent on to others, so
//! - a new file is private: mode 0600 (`--file-mode` to share with a group; the umask still
//!   applies), and an existing file we overwrite loses any permission beyond that mode, so
//!   re-capturing into a world-readable file does not leak the new packets;
//! - the last path component is never followed as a symbolic link (`O_NOFOLLOW`: a link
//!   planted in /tmp cannot point a root capture at /etc/shadow);
//! - a regular file with other hard links is refused (writing it would write them), and so
//!   is one owned by another user (a name pre-created in /tmp for a root capture, ring file
//!   names included: its owner could read the packets whatever mode we set);
//! - the file being read is never the file written (`read X -w X` would truncate X first);
//! - nothing is truncated before those checks (open without `O_TRUNC`, check, then truncate).
//!
//! FIFOs and character devices (`-w /dev/stdout`, a named pipe to another tool) are written
//! as they are: they have no contents to truncate and no mode that protects the packets.

use anyhow::{bail, Context, Result};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Parses `--file-mode`: octal permission bits (`640`, `0640`), no more than `rw-rw-rw-`.
pub fn parse_mode(s: &str) -> Result<u32> {
    let t = s.trim();
    let digits = t.strip_prefix("0o").unwrap_or(t);
    let m = u32::from_str_radix(digits, 8)
        .ok()
        .filter(|m| *m <= 0o777)
        .with_context(|| {
            format!("--file-mode {s:?}: expected octal permission bits such as 0600 or 0640")
        })?;
    if m & 0o111 != 0 {
        bail!("--file-mode {s:?}: capture files are not executable (use 0600, 0640 or 0644)");
    }
    if m & 0o600 != 0o600 {
        bail!("--file-mode {s:?}: the owner must be able to read and write the file");
    }
    Ok(m)
}

/// The (device, inode) of an input file, to refuse writing onto it.
pub fn identity(path: &Path) -> Option<(u64, u64)> {
    let m = std::fs::metadata(path).ok()?;
    m.is_file().then(|| (m.dev(), m.ino()))
}

/// Creates (or overwrites) `path` for writing packets; see the module comment. `inputs`
/// are the (device, inode) pairs of files being read in the same run.
pub fn create_private(path: &Path, mode: u32, inputs: &[(u64, u64)]) -> Result<File> {
    let f = OpenOptions::new()
        .write(true)
        .create(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .mode(mode)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => anyhow::anyhow!(
                "cannot create {}: it is a symbolic link, which capture files never follow (write to the link's target directly)",
                path.display()
            ),
            _ => anyhow::Error::new(e).context(format!("cannot create {}", path.display())),
        })?;
    let m = f
        .metadata()
        .with_context(|| format!("cannot stat {}", path.display()))?;
    let ft = m.file_type();
    if ft.is_fifo() || ft.is_char_device() || ft.is_socket() {
        return Ok(f);
    }
    if !ft.is_file() {
        bail!(
            "cannot write packets to {}: not a regular file",
            path.display()
        );
    }
    if inputs.contains(&(m.dev(), m.ino())) {
        bail!(
            "{} is also the file being read: writing it would destroy what is being read (choose another output file)",
            path.display()
        );
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if m.uid() != me {
        bail!(
            "{} already exists and belongs to user {}: its owner could read the packets written into it (remove it or choose another name)",
            path.display(),
            m.uid()
        );
    }
    if m.nlink() > 1 {
        bail!(
            "{} has {} hard links: writing it would change the other names too (remove it or choose another name)",
            path.display(),
            m.nlink()
        );
    }
    let now = m.permissions().mode() & 0o7777;
    if now & !mode != 0 {
        f.set_permissions(std::fs::Permissions::from_mode(now & mode))
            .with_context(|| format!("cannot restrict the permissions of {}", path.display()))?;
    }
    f.set_len(0)
        .with_context(|| format!("cannot truncate {}", path.display()))?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// `--file-mode`'s default (dumpcap's).
    const DEFAULT_MODE: u32 = 0o600;

    fn dir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("paircap-outfile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn mode_of(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_files_are_private_and_existing_ones_lose_wider_bits() {
        let d = dir("mode");
        let p = d.join("a.pcapng");
        create_private(&p, DEFAULT_MODE, &[]).unwrap();
        assert_eq!(mode_of(&p), 0o600);
        let q = d.join("b.pcapng");
        std::fs::write(&q, b"old contents").unwrap();
        std::fs::set_permissions(&q, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut f = create_private(&q, DEFAULT_MODE, &[]).unwrap();
        f.write_all(b"x").unwrap();
        drop(f);
        assert_eq!(mode_of(&q), 0o600);
        assert_eq!(std::fs::read(&q).unwrap(), b"x", "truncated before writing");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn symlinks_hard_links_and_the_input_are_refused_untouched() {
        let d = dir("refuse");
        let victim = d.join("victim");
        std::fs::write(&victim, b"keep me").unwrap();
        let link = d.join("link.pcapng");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let e = create_private(&link, DEFAULT_MODE, &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("symbolic link"), "{e}");
        let hard = d.join("hard.pcapng");
        std::fs::hard_link(&victim, &hard).unwrap();
        let e = create_private(&hard, DEFAULT_MODE, &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("hard links"), "{e}");
        std::fs::remove_file(&hard).unwrap();
        let id = identity(&victim).unwrap();
        let e = create_private(&victim, DEFAULT_MODE, &[id])
            .unwrap_err()
            .to_string();
        assert!(e.contains("also the file being read"), "{e}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
        // A name another user created first (CI runs as root: chown works).
        if unsafe { libc::geteuid() } == 0 {
            let theirs = d.join("theirs.pcapng");
            std::fs::write(&theirs, b"planted").unwrap();
            std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
            let e = create_private(&theirs, DEFAULT_MODE, &[])
                .unwrap_err()
                .to_string();
            assert!(e.contains("belongs to user 65534"), "{e}");
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn file_mode_parsing() {
        assert_eq!(parse_mode("0640").unwrap(), 0o640);
        assert_eq!(parse_mode("600").unwrap(), 0o600);
        assert!(parse_mode("0755").is_err());
        assert!(parse_mode("0400").is_err());
        assert!(parse_mode("999").is_err());
        assert!(parse_mode("rw").is_err());
    }
}
