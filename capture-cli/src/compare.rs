//! `paircap compare SRC DST`: reads both captures (one thread each), computes every packet's
//! match key, compares them with `shared_decode::compare` and prints the report as text or
//! as the JSON document of `DESIGN.md`.
//!
//! Exit codes: 0, 1 (usage or I/O error), 2 (a file was damaged; the readable packets were
//! compared).

use crate::output;
use crate::CompareArgs;
use anyhow::{Context, Result};
use shared_decode::compare::{self, Fingerprint, Options, SideInfo};
use shared_decode::dissect::{Depth, DissectOptions};
use shared_decode::file::CaptureInfo;
use shared_decode::filter::Filter;
use shared_decode::{Decoder, Reader};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output formats of `compare`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    /// A readable report.
    Text,
    /// One JSON document.
    Json,
}

/// One file: keys, file metadata, whether the file was damaged.
struct Loaded {
    fps: Vec<Fingerprint>,
    info: CaptureInfo,
    damaged: bool,
}

/// One side: a file or a set of files (a rotated capture), in time order.
struct SideSet {
    fps: Vec<Fingerprint>,
    info: SideInfo,
    damaged: bool,
}

/// Whether a file starts like a capture (pcap of any flavour, pcapng, or gzip).
fn looks_like_capture(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 4];
    let ok = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok();
    ok && (head[..2] == [0x1f, 0x8b]
        || matches!(
            u32::from_le_bytes(head),
            0xa1b2_c3d4
                | 0xd4c3_b2a1
                | 0xa1b2_3c4d
                | 0x4d3c_b2a1
                | 0xa1b2_cd34
                | 0x34cd_b2a1
                | 0x0a0d_0d0a
        ))
}

/// `*` and `?` in one path component. Greedy with one backtrack point (the last `*`): linear
/// in practice, never exponential whatever the pattern.
fn wildcard(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        match pat.get(p) {
            Some(b'*') => {
                star = Some((p, i));
                p += 1;
            }
            Some(&c) if c == b'?' || Some(&c) == s.get(i) => {
                p += 1;
                i += 1;
            }
            _ => match star {
                Some((sp, si)) => {
                    p = sp + 1;
                    i = si + 1;
                    star = Some((sp, si + 1));
                }
                None => return false,
            },
        }
    }
    pat.get(p..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

/// The files a side argument names: a file; a directory (every capture file in it); or a
/// pattern with `*`/`?` in its last component (tcpdump's `-C`/`-G`/`-W` names, quoted).
pub fn side_files(arg: &Path) -> Result<Vec<PathBuf>> {
    if arg.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(arg)
            .with_context(|| format!("cannot list {}", arg.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && looks_like_capture(p))
            .collect();
        v.sort();
        anyhow::ensure!(!v.is_empty(), "{}: no capture files in it", arg.display());
        return Ok(v);
    }
    let name = arg
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !arg.exists() && (name.contains('*') || name.contains('?')) {
        let dir = arg
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot list {}", dir.display()))?
            .flatten()
            .filter(|e| wildcard(name.as_bytes(), e.file_name().to_string_lossy().as_bytes()))
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        v.sort();
        anyhow::ensure!(!v.is_empty(), "{}: no file matches", arg.display());
        return Ok(v);
    }
    Ok(vec![arg.to_path_buf()])
}

/// Reads every file of a side and puts them in time order (by their first packet).
fn load_side(arg: &Path, filter: Option<&Filter>) -> Result<SideSet> {
    let mut files: Vec<(String, Loaded)> = Vec::new();
    for p in side_files(arg)? {
        let l = load(&p, filter)?;
        files.push((p.display().to_string(), l));
    }
    files.sort_by_key(|(name, l)| {
        (
            l.fps.iter().map(|f| f.ts_ns).min().unwrap_or(i64::MAX),
            name.clone(),
        )
    });
    let mut fps = Vec::with_capacity(files.iter().map(|f| f.1.fps.len()).sum());
    let mut parts = Vec::with_capacity(files.len());
    let mut damaged = false;
    for (name, l) in files {
        damaged |= l.damaged;
        parts.push((name, l.fps.len(), l.info));
        fps.extend_from_slice(&l.fps);
    }
    let info = SideInfo::from_files(&arg.display().to_string(), &fps, &parts);
    Ok(SideSet { fps, info, damaged })
}

fn decoder_for(filter: Option<&Filter>) -> Decoder {
    let depth = filter.map_or(Depth::Transport, |f| f.depth().max(Depth::Transport));
    let d = Decoder::with_options(DissectOptions { max_depth: depth });
    if filter.is_some_and(|f| f.needs_flows()) {
        d
    } else {
        d.without_flows()
    }
}

fn load(path: &Path, filter: Option<&Filter>) -> Result<Loaded> {
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let meta = f
        .metadata()
        .with_context(|| format!("cannot stat {}", path.display()))?;
    let mut decoder = decoder_for(filter);
    let mut fps = Vec::with_capacity((meta.len() / 256).min(1 << 24) as usize);
    let mut damaged = false;
    let mut each = |rec: &shared_decode::Record<'_>| {
        let mut pkt = shared_decode::dissect::blank(rec, 0);
        decoder.decode_into(&mut pkt);
        let mut fp = Fingerprint::of(&pkt);
        if let Some(flt) = filter {
            fp.set_excluded(!flt.matches(&pkt));
        }
        fps.push(fp);
    };
    let mut report = |e: &dyn std::fmt::Display| {
        eprintln!("paircap: {}: {e}", path.display());
        damaged = true;
    };
    // Plain buffered reads (as `read` does): as fast as a memory map here, with flat memory.
    let mut r = Reader::new(f);
    while let Some(rec) = r.next_record() {
        match rec {
            Ok(rec) => each(&rec),
            Err(e) => report(&e),
        }
    }
    let info = r.info().clone();
    Ok(Loaded { fps, info, damaged })
}

/// Runs `paircap compare`.
pub fn run(a: &CompareArgs) -> Result<ExitCode> {
    let filter = match &a.display_filter {
        Some(text) => Some(
            shared_decode::filter::compile(text)
                .map_err(|e| anyhow::anyhow!("bad display filter: {e}"))?,
        ),
        None => None,
    };
    let t0 = std::time::Instant::now();
    let (src, dst) = std::thread::scope(|s| {
        let f2 = filter.clone();
        let h = s.spawn(move || load_side(&a.target, f2.as_ref()));
        let src = load_side(&a.source, filter.as_ref());
        let dst = h
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("reading {} failed", a.target.display())));
        (src, dst)
    });
    let (src, dst) = (src?, dst?);
    let (si, di) = (&src.info, &dst.info);
    let opts = Options {
        offset_ns: a.offset_ms.map(|ms| (ms * 1e6).round() as i64),
        ..Options::default()
    };
    let t1 = std::time::Instant::now();
    let mut report = compare::compare(&src.fps, &dst.fps, si, di, &opts);
    if a.transactions {
        let t = compare::transactions(&src.fps, &dst.fps, &report);
        report.diagnosis.extend(t.diagnosis());
        report.transactions = Some(t);
    }
    if std::env::var_os("PAIRCAP_TIMING").is_some() {
        eprintln!(
            "paircap: read+decode {:.3} s, compare {:.3} s",
            (t1 - t0).as_secs_f64(),
            t1.elapsed().as_secs_f64()
        );
    }
    let text = match a.format {
        CompareFormat::Json => report.to_json(a.packets),
        CompareFormat::Text => {
            let mut t = report.to_text();
            if a.packets {
                use std::fmt::Write as _;
                t.push_str("\nframe    sent by  status            twin     delay_ms\n");
                for e in report.entries() {
                    let (own, twin) = if e.at_source {
                        (format!("S{}", e.source), e.target)
                    } else {
                        (format!("T{}", e.target), e.source)
                    };
                    let twin = match (twin, e.at_source) {
                        (0, _) => "-".to_string(),
                        (n, true) => format!("T{n}"),
                        (n, false) => format!("S{n}"),
                    };
                    let _ = write!(
                        t,
                        "{own:<8} {:<8} {:<17} {twin:<8}",
                        e.sent_by.sender(),
                        e.status.name()
                    );
                    if let Some(d) = e.delay_ns {
                        let _ = write!(t, " {:.3}", d as f64 / 1e6);
                    }
                    if let Some(n) = e.lost_bytes {
                        let _ = write!(t, "  ({n} bytes lost)");
                    }
                    t.push('\n');
                }
            }
            t
        }
    };
    let mut out = output::stdout();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(if src.damaged || dst.damaged {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn wildcard_matches_rotated_names() {
        for (p, s, want) in [
            ("dump*", "dump.pcap12", true),
            ("dump*.pcap", "dump_0001_20261203.pcap", true),
            ("dump*.pcap", "dump.pcapng", false),
            ("d?mp", "dump", true),
            ("d?mp", "dmp", false),
            ("*", "", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
            ("", "", true),
        ] {
            assert_eq!(wildcard(p.as_bytes(), s.as_bytes()), want, "{p} {s}");
        }
        // Many stars against a long name that does not match: answers at once.
        let name = "a".repeat(250);
        assert!(!wildcard(b"*a*a*a*a*a*a*a*a*a*a*b", name.as_bytes()));
    }
}
