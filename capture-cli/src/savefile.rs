//! Capture files on disk: pcapng (default) or classic pcap, with tcpdump's rotation
//! (`-C` size, `-G` time, `-W` file count) and tcpdump's file names.
//!
//! Every file is complete on its own (SHB, one IDB per interface, packets, one ISB per
//! interface at close). Blocks are assembled in memory and written in whole-block chunks; on
//! a write error (disk full, directory removed) the file is cut back to the last chunk that
//! was written completely, so it stays readable up to the last whole packet.

use anyhow::{bail, Result};
use shared_decode::file::pcap::PcapWriter;
use shared_decode::file::pcapng::{
    EpbOptions, InterfaceDescription, PcapngWriter, SectionDescription, StatsOptions,
};
use shared_decode::file::{RotationMark, Timestamp};
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::PathBuf;

/// Bytes buffered in memory before a write.
const FLUSH_AT: usize = 256 * 1024;

/// Rotation settings (tcpdump's `-C`, `-G`, `-W`).
#[derive(Clone, Debug, Default)]
pub struct Rotation {
    /// Start a new file when the current one would exceed this many bytes.
    pub max_bytes: Option<u64>,
    /// Start a new file every this many seconds, at multiples of it on the wall clock.
    pub every_secs: Option<u64>,
    /// With `-C`: keep this many files, overwriting the oldest. With `-G` alone: stop after
    /// this many files.
    pub max_files: Option<u32>,
}

enum Format {
    Ng(PcapngWriter<Vec<u8>>),
    Pcap(PcapWriter<Vec<u8>>),
}

/// One open capture file.
struct Current {
    path: PathBuf,
    file: File,
    fmt: Format,
    /// Bytes of this file known to be on disk.
    flushed: u64,
    packets: u64,
}

/// The files a capture writes.
pub struct Savefile {
    base: String,
    rotation: Rotation,
    section: SectionDescription,
    interfaces: Vec<InterfaceDescription>,
    classic: bool,
    nano: bool,
    /// Permissions of the files created (see `outfile`).
    mode: u32,
    cur: Option<Current>,
    /// How many files have been opened (the next file's sequence number).
    opened: u64,
    /// End of the current -G period (seconds since the epoch).
    period_end: Option<i64>,
    /// Every file written, in order.
    pub written: Vec<PathBuf>,
    /// Packets written in total.
    pub packets: u64,
    /// `-G` with `-W`: the file limit was reached; the capture should stop.
    pub limit_reached: bool,
    /// Packets written per interface (for the statistics block of a rotated file).
    per_iface: Vec<u64>,
    started: Timestamp,
}

/// tcpdump's `MakeFilename`: the name, through `strftime` when `-G` is set, then a counter
/// (zero-padded to the width of `-W`) when files are rotated by size or counted.
fn make_name(base: &str, strftime_at: Option<i64>, counter: Option<(u64, u32)>) -> String {
    let mut name = match strftime_at {
        Some(t) => strftime(base, t),
        None => base.to_string(),
    };
    if let Some((n, width)) = counter {
        name.push_str(&format!("{n:0w$}", w = width as usize));
    }
    name
}

/// `strftime` in local time through the C library.
fn strftime(fmt: &str, t: i64) -> String {
    let Ok(cfmt) = std::ffi::CString::new(fmt) else {
        return fmt.to_string();
    };
    let tt: libc::time_t = t as libc::time_t;
    // SAFETY: localtime_r fills `tm`; strftime writes at most buf.len() bytes into buf.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&tt, &mut tm).is_null() {
            return fmt.to_string();
        }
        let mut buf = vec![0u8; 4096];
        let n = libc::strftime(buf.as_mut_ptr().cast(), buf.len(), cfmt.as_ptr(), &tm);
        if n == 0 {
            return fmt.to_string();
        }
        buf.truncate(n);
        String::from_utf8_lossy(&buf).into_owned()
    }
}

/// tcpdump's `getWflagChars`: digits needed to number `-W n` files from 0.
fn digits(n: u32) -> u32 {
    let mut d = 0;
    let mut x = n.saturating_sub(1);
    while x > 0 {
        d += 1;
        x /= 10;
    }
    d
}

impl Savefile {
    /// Prepares the files; the first one is created by [`Savefile::start`].
    pub fn new(
        base: String,
        rotation: Rotation,
        section: SectionDescription,
        interfaces: Vec<InterfaceDescription>,
        classic: bool,
        nano: bool,
        mode: u32,
    ) -> Result<Savefile> {
        if classic {
            let first = interfaces.first().map(|i| i.link_type);
            if interfaces.iter().any(|i| Some(i.link_type) != first) {
                bail!("--pcap writes one link type per file, but the interfaces have different link types; use pcapng (the default)");
            }
        }
        Ok(Savefile {
            base,
            rotation,
            section,
            interfaces,
            classic,
            nano,
            mode,
            cur: None,
            opened: 0,
            period_end: None,
            written: Vec::new(),
            packets: 0,
            limit_reached: false,
            per_iface: vec![0; 0],
            started: Timestamp::default(),
        })
    }

    /// Creates the first file.
    pub fn start(&mut self, now: Timestamp) -> Result<()> {
        self.started = now;
        self.per_iface = vec![0; self.interfaces.len()];
        self.open(now.secs)
    }

    /// Statistics for a file closed by rotation: what this program delivered so far (the
    /// kernel's counters go into the last file, written at the end of the capture).
    fn rotation_stats(&self) -> Vec<StatsOptions> {
        self.per_iface
            .iter()
            .map(|&n| StatsOptions {
                start: Some(self.started),
                usr_deliv: Some(n),
                ..StatsOptions::default()
            })
            .collect()
    }

    fn next_name(&self, now: i64) -> String {
        let r = &self.rotation;
        let width = r.max_files.map_or(0, digits);
        let strf = r.every_secs.map(|_| now);
        if r.max_bytes.is_some() {
            // -C: base, base1, base2 ... ; with -W: base0, base1, ... base(W-1), wrapping.
            match r.max_files {
                Some(w) => make_name(
                    &self.base,
                    strf,
                    Some((self.opened % u64::from(w.max(1)), width)),
                ),
                None if self.opened == 0 => make_name(&self.base, strf, None),
                None => make_name(&self.base, strf, Some((self.opened, 0))),
            }
        } else {
            make_name(&self.base, strf, None)
        }
    }

    fn open(&mut self, now: i64) -> Result<()> {
        let path = PathBuf::from(self.next_name(now));
        let file = crate::outfile::create_private(&path, self.mode, &[])?;
        let fmt = if self.classic {
            let i = self.interfaces.first().cloned().unwrap_or_default();
            Format::Pcap(PcapWriter::new(
                Vec::with_capacity(FLUSH_AT * 2),
                i.link_type,
                i.snaplen,
                self.nano,
            )?)
        } else {
            // A rotated capture numbers its files (a set missing one shows it).
            let rotating = self.rotation.max_bytes.is_some() || self.rotation.every_secs.is_some();
            let mut section = self.section.clone();
            if rotating {
                section.comments.push(
                    RotationMark {
                        file: self.opened,
                        before: self.packets,
                    }
                    .comment(),
                );
            }
            let mut w = PcapngWriter::new(Vec::with_capacity(FLUSH_AT * 2), &section)?;
            for i in &self.interfaces {
                w.add_interface(i)?;
            }
            Format::Ng(w)
        };
        self.opened += 1;
        if let Some(g) = self.rotation.every_secs {
            let g = g.max(1) as i64;
            // Aligned to the wall clock: periods end at multiples of G (tcpdump's drift).
            self.period_end = Some((now.div_euclid(g) + 1) * g);
        }
        self.written.push(path.clone());
        self.cur = Some(Current {
            path,
            file,
            fmt,
            flushed: 0,
            packets: 0,
        });
        self.flush()
    }

    fn buffered(&self) -> usize {
        match self.cur.as_ref().map(|c| &c.fmt) {
            Some(Format::Ng(w)) => w_len(w),
            Some(Format::Pcap(w)) => p_len(w),
            None => 0,
        }
    }

    /// The current file's size including what is still buffered.
    fn current_size(&self) -> u64 {
        self.cur.as_ref().map_or(0, |c| c.flushed) + self.buffered() as u64
    }

    /// Rotates if the time period ended or the packet would overflow `-C`.
    fn maybe_rotate(&mut self, now: i64, next_block: u64) -> Result<()> {
        let by_time = self.period_end.is_some_and(|end| now >= end);
        let by_size = self.rotation.max_bytes.is_some_and(|max| {
            let size = self.current_size();
            self.cur.as_ref().is_some_and(|c| c.packets > 0) && size + next_block > max
        });
        if !(by_time || by_size) {
            return Ok(());
        }
        let stats = self.rotation_stats();
        // The statistics block's time is when the file was closed (to the nanosecond).
        let closed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(
                Timestamp {
                    secs: now,
                    nanos: 0,
                },
                |d| Timestamp {
                    secs: d.as_secs() as i64,
                    nanos: d.subsec_nanos(),
                },
            );
        self.finish_file(&stats, closed)?;
        if by_time && self.rotation.max_bytes.is_none() {
            if let Some(w) = self.rotation.max_files {
                if self.opened >= u64::from(w) {
                    self.limit_reached = true;
                    return Ok(());
                }
            }
        }
        self.open(now)
    }

    /// Writes one packet (rotating first when needed).
    pub fn write(
        &mut self,
        now: i64,
        iface: u32,
        ts: Timestamp,
        orig_len: u32,
        data: &[u8],
        flags: Option<u32>,
    ) -> Result<()> {
        if self.limit_reached {
            return Ok(());
        }
        let block = 32 + data.len() as u64 + 12;
        self.maybe_rotate(now, block)?;
        if self.limit_reached {
            return Ok(());
        }
        let Some(cur) = self.cur.as_mut() else {
            bail!("no open capture file");
        };
        match &mut cur.fmt {
            Format::Ng(w) => {
                w.write_packet(
                    iface,
                    ts,
                    orig_len,
                    data,
                    &EpbOptions {
                        flags,
                        drop_count: None,
                        comments: &[],
                    },
                )?;
            }
            Format::Pcap(w) => {
                w.write_packet(ts, orig_len, data)?;
            }
        }
        cur.packets += 1;
        self.packets += 1;
        if let Some(n) = self.per_iface.get_mut(iface as usize) {
            *n += 1;
        }
        if self.buffered() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    /// Rotates by time even when no packet arrives (so `-G` files are on time).
    pub fn tick(&mut self, now: i64) -> Result<()> {
        if self.period_end.is_some_and(|end| now >= end) && !self.limit_reached {
            self.maybe_rotate(now, 0)?;
        }
        Ok(())
    }

    /// Writes what is buffered. On failure the file is cut back to its last complete chunk.
    pub fn flush(&mut self) -> Result<()> {
        let Some(cur) = self.cur.as_mut() else {
            return Ok(());
        };
        let buf: &mut Vec<u8> = match &mut cur.fmt {
            Format::Ng(w) => w.get_mut(),
            Format::Pcap(w) => w.get_mut(),
        };
        if buf.is_empty() {
            return Ok(());
        }
        match cur.file.write_all(buf) {
            Ok(()) => {
                cur.flushed += buf.len() as u64;
                buf.clear();
                Ok(())
            }
            Err(e) => {
                // Cut back to the last whole chunk, then write block by block as far as the
                // disk allows, so the file keeps every packet that fits and stays valid.
                let _ = cur.file.set_len(cur.flushed);
                let _ = cur.file.seek(SeekFrom::Start(cur.flushed));
                let classic = matches!(cur.fmt, Format::Pcap(_));
                let buf: &mut Vec<u8> = match &mut cur.fmt {
                    Format::Ng(w) => w.get_mut(),
                    Format::Pcap(w) => w.get_mut(),
                };
                let mut pos = 0usize;
                while let Some(len) = block_len(
                    buf.get(pos..).unwrap_or(&[]),
                    classic,
                    cur.flushed == 0 && pos == 0,
                ) {
                    let Some(block) = buf.get(pos..pos + len) else {
                        break;
                    };
                    if cur.file.write_all(block).is_err() {
                        let _ = cur.file.set_len(cur.flushed);
                        break;
                    }
                    cur.flushed += len as u64;
                    pos += len;
                }
                let lost = buf.len() - pos;
                buf.clear();
                Err(anyhow::Error::new(e).context(format!(
                    "write to {} failed; the file was cut back to its last complete packet ({} bytes, {lost} bytes not written)",
                    cur.path.display(),
                    cur.flushed
                )))
            }
        }
    }

    fn finish_file(&mut self, stats: &[StatsOptions], at: Timestamp) -> Result<()> {
        if let Some(cur) = self.cur.as_mut() {
            if let Format::Ng(w) = &mut cur.fmt {
                for (i, s) in stats.iter().enumerate() {
                    w.write_stats(i as u32, at, s)?;
                }
            }
        }
        let r = self.flush();
        if let Some(cur) = self.cur.take() {
            cur.file.sync_data().ok();
        }
        r
    }

    /// Writes the statistics blocks and closes the current file.
    pub fn close(&mut self, stats: &[StatsOptions], at: Timestamp) -> Result<()> {
        self.finish_file(stats, at)
    }
}

/// Length of the block (pcapng) or record (pcap) at the start of `b`. `classic`: pcap
/// records (16-byte header + caplen), after the 24-byte file header when `at_file_start`.
/// Everything in the buffer was written by us, little-endian.
fn block_len(b: &[u8], classic: bool, at_file_start: bool) -> Option<usize> {
    let word = |o: usize| {
        b.get(o..o + 4)
            .and_then(|x| <[u8; 4]>::try_from(x).ok())
            .map(u32::from_le_bytes)
    };
    let len = match (classic, at_file_start) {
        (true, true) => 24,
        (true, false) => 16 + word(8)? as usize,
        (false, _) => word(4)? as usize,
    };
    (len > 0 && len <= b.len()).then_some(len)
}

fn w_len(w: &PcapngWriter<Vec<u8>>) -> usize {
    w.get_ref().len()
}

fn p_len(w: &PcapWriter<Vec<u8>>) -> usize {
    w.get_ref().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcpdump_file_names() {
        assert_eq!(make_name("cap", None, None), "cap");
        assert_eq!(make_name("cap", None, Some((2, 0))), "cap2");
        assert_eq!(make_name("cap", None, Some((2, 2))), "cap02");
        assert_eq!(digits(1), 0);
        assert_eq!(digits(3), 1);
        assert_eq!(digits(10), 1);
        assert_eq!(digits(11), 2);
        assert_eq!(digits(100), 2);
        assert_eq!(digits(101), 3);
    }
}
