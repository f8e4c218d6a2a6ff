//! `paircap link FILE [--target FILE] [-Y FILTER] [--packet N] …`: prints a view link (see
//! `shared_decode::link`) for the files as they are on this machine: name, size and SHA-256
//! of each, the filter (checked), the packet (frame number and content digest).

use crate::LinkArgs;
use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use shared_decode::link::{packet_digest, FileRef, PacketRef, ViewLink};
use shared_decode::Reader;
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

fn file_ref(p: &Path) -> Result<FileRef> {
    let mut f = std::fs::File::open(p).with_context(|| format!("cannot open {}", p.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", p.display()))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok(FileRef {
        name: p
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().to_string()),
        size,
        sha256: h.finalize().iter().map(|b| format!("{b:02x}")).collect(),
    })
}

/// The digest of frame `n` (1-based) of a capture.
fn packet_ref(p: &Path, n: u64) -> Result<PacketRef> {
    let f = std::fs::File::open(p).with_context(|| format!("cannot open {}", p.display()))?;
    let mut r = Reader::new(std::io::BufReader::new(f));
    let mut i = 0u64;
    while let Some(rec) = r.next_record() {
        let Ok(rec) = rec else { continue };
        i += 1;
        if i == n {
            return Ok(PacketRef {
                frame: n,
                digest: packet_digest(rec.data),
            });
        }
    }
    anyhow::bail!("{} has {i} packets, no packet {n}", p.display())
}

/// Runs `paircap link`.
pub fn run(a: &LinkArgs) -> Result<ExitCode> {
    if let Some(f) = &a.filter {
        shared_decode::filter::compile(f)
            .map_err(|e| anyhow::anyhow!("bad display filter:\n{}", e.render()))?;
    }
    let link = ViewLink {
        source: Some(file_ref(&a.file)?),
        target: a.target.as_deref().map(file_ref).transpose()?,
        filter: a.filter.clone().unwrap_or_default(),
        packet: a.packet.map(|n| packet_ref(&a.file, n)).transpose()?,
        target_packet: match (&a.target, a.target_packet) {
            (Some(t), Some(n)) => Some(packet_ref(t, n)?),
            (None, Some(_)) => anyhow::bail!("--target-packet needs --target"),
            _ => None,
        },
        time_format: a.time_format.clone(),
        layout: None,
        clock_offset_ms: a.offset_ms,
        note: a.note.clone().unwrap_or_default(),
    };
    let frag = link.to_fragment().map_err(|e| anyhow::anyhow!("{e}"))?;
    let base = a.base.trim_end_matches('#');
    println!("{base}#{frag}");
    Ok(ExitCode::SUCCESS)
}
