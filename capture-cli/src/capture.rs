//! `paircap capture`: live capture through libpcap with tcpdump's flags, written as pcapng
//! (or pcap) through the decode crate's writer, or printed through the same decode path as
//! `paircap read`.
//!
//! Loop: every interface is non-blocking (libpcap's read timeout never fires while nothing
//! arrives with TPACKET_V3); one `poll()` over all of them wakes at least every 100 ms to
//! check for a stop (signal, `-c`, `--duration`) and for `-G` rotation. On stop, what the
//! kernel already accepted is drained (until each interface's "received by filter" count is
//! captured, or a short deadline) before the statistics blocks are written and the file is
//! closed.

use crate::read::PacketPrinter;
use crate::savefile::{Rotation, Savefile};
use crate::{output, signals, CaptureArgs};
use anyhow::{anyhow, bail, Context, Result};
use pcap::{Active, Capture};
use shared_decode::file::pcapng::{InterfaceDescription, SectionDescription, StatsOptions};
use shared_decode::file::{LinkType, Options, Record, Timestamp, TsResolution};
use shared_decode::Decoder;
use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// libpcap's default snapshot length (`-s 0`).
pub const DEFAULT_SNAPLEN: u32 = 262_144;
/// Kernel buffer when `-B` is not given, in KiB.
pub const DEFAULT_BUFFER_KIB: u64 = 4096;

/// One interface being captured.
struct Source {
    cap: Capture<Active>,
    name: String,
    captured: u64,
    link: LinkType,
    /// Statistics at the start (counters are cumulative in libpcap).
    stats_at_start: (u64, u64, u64),
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn now_ts() -> Timestamp {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp {
        secs: d.as_secs() as i64,
        nanos: d.subsec_nanos(),
    }
}

/// Parses tcpdump's `-C` size: millions of bytes, or with a k/m/g suffix KiB/MiB/GiB.
pub fn parse_size(s: &str) -> Result<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last() {
        Some('k' | 'K') => (&s[..s.len() - 1], 1024u64),
        Some('m' | 'M') => (&s[..s.len() - 1], 1024 * 1024),
        Some('g' | 'G') => (&s[..s.len() - 1], 1024 * 1024 * 1024),
        _ => (s, 1_000_000),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| anyhow!("invalid file size {s:?}"))?;
    if n.is_nan() || n <= 0.0 {
        bail!("invalid file size {s:?}");
    }
    Ok((n * mult as f64) as u64)
}

/// `--peer HOST[:PORT]` → (host, port). IPv6 hosts with a port are written `[::1]:443`.
pub fn parse_peer(s: &str) -> Result<(String, Option<u16>)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, tail) = rest
            .split_once(']')
            .ok_or_else(|| anyhow!("--peer {s:?}: missing ']'"))?;
        let port = match tail.strip_prefix(':') {
            Some(p) => Some(p.parse().map_err(|_| anyhow!("--peer {s:?}: bad port"))?),
            None if tail.is_empty() => None,
            None => bail!("--peer {s:?}: expected [host]:port"),
        };
        return Ok((host.to_string(), port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Ok((
            h.to_string(),
            Some(p.parse().map_err(|_| anyhow!("--peer {s:?}: bad port"))?),
        )),
        _ => Ok((s.to_string(), None)),
    }
}

/// The capture filter: the trailing words (or `-F FILE`), plus `--peer`.
fn filter_text(a: &CaptureArgs) -> Result<String> {
    let mut f = match &a.filter_file {
        Some(p) => {
            let t = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read filter file {}", p.display()))?;
            // tcpdump ignores the command-line expression when -F is given.
            t.lines()
                .map(|l| l.split('#').next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(" ")
                .trim()
                .to_string()
        }
        None => a.expr.join(" "),
    };
    if let Some(peer) = &a.peer {
        let (host, port) = parse_peer(peer)?;
        let mut p = format!("host {host}");
        if let Some(port) = port {
            p.push_str(&format!(" and port {port}"));
        }
        f = if f.trim().is_empty() {
            p
        } else {
            format!("({f}) and ({p})")
        };
    }
    Ok(f)
}

fn is_permission_error(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    m.contains("permission") || m.contains("operation not permitted") || m.contains("eperm")
}

fn permission_hint() -> String {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "paircap".into());
    format!(
        "capturing needs privileges: run as root (sudo paircap capture ...), or allow this binary once with\n  sudo setcap cap_net_raw,cap_net_admin=eip {exe}"
    )
}

fn unknown_interface_message(name: &str) -> String {
    let mut s = format!("no interface named {name:?}");
    if let Ok(list) = pcap::Device::list() {
        let names: Vec<String> = list.into_iter().map(|d| d.name).collect();
        s.push_str(&format!("; interfaces here: {}", names.join(", ")));
    }
    s
}

fn open_source(name: &str, a: &CaptureArgs, snaplen: u32, filter: &str) -> Result<Source> {
    let device = pcap::Device::list()
        .ok()
        .and_then(|l| l.into_iter().find(|d| d.name == name))
        .unwrap_or_else(|| pcap::Device::from(name));
    let nano = a.precision.as_deref() == Some("nano");
    let mut inactive = Capture::from_device(device)
        .map_err(|e| anyhow!("{name}: {e}"))?
        .snaplen(snaplen as i32)
        .promisc(!a.no_promisc)
        .immediate_mode(a.immediate)
        .timeout(100);
    // Default kernel buffer 4 MiB (tcpdump: 2 MiB): bursts are what a capture for a comparison
    // must not miss.
    let kib = a.buffer_kib.unwrap_or(DEFAULT_BUFFER_KIB);
    inactive = inactive.buffer_size((kib * 1024).min(i32::MAX as u64) as i32);
    if nano {
        inactive = inactive.precision(pcap::Precision::Nano);
    }
    let cap = inactive.open().map_err(|e| {
        let msg = e.to_string();
        if is_permission_error(&msg) {
            anyhow!("{name}: {msg}\n{}", permission_hint())
        } else if msg.contains("No such device")
            || msg.contains("doesn't exist")
            || msg.contains("not found")
        {
            anyhow!("{}", unknown_interface_message(name))
        } else {
            anyhow!("{name}: {msg}")
        }
    })?;
    if let Some(q) = &a.direction {
        let d = match q.as_str() {
            "in" => pcap::Direction::In,
            "out" => pcap::Direction::Out,
            "inout" => pcap::Direction::InOut,
            other => bail!("-Q {other}: expected in, out or inout"),
        };
        cap.direction(d)
            .map_err(|e| anyhow!("{name}: cannot set direction: {e}"))?;
    }
    let mut cap = cap.setnonblock().map_err(|e| anyhow!("{name}: {e}"))?;
    if !filter.trim().is_empty() {
        cap.filter(filter, true)
            .map_err(|e| anyhow!("bad capture filter {filter:?} on {name}: {e}"))?;
    }
    let link = LinkType(cap.get_datalink().0 as u16);
    let st = cap.stats().ok();
    Ok(Source {
        cap,
        name: name.to_string(),
        captured: 0,
        link,
        stats_at_start: st.map_or((0, 0, 0), |s| {
            (
                u64::from(s.received),
                u64::from(s.dropped),
                u64::from(s.if_dropped),
            )
        }),
    })
}

/// Drops root after the devices are open (`-Z USER`).
fn drop_privileges(user: &str) -> Result<()> {
    let cuser = std::ffi::CString::new(user).context("bad user name")?;
    // SAFETY: getpwnam returns a pointer to static storage or null; we copy what we need
    // before any other call that could overwrite it.
    unsafe {
        let pw = libc::getpwnam(cuser.as_ptr());
        if pw.is_null() {
            bail!("-Z {user}: no such user");
        }
        let (uid, gid) = ((*pw).pw_uid, (*pw).pw_gid);
        if libc::initgroups(cuser.as_ptr(), gid) != 0
            || libc::setgid(gid) != 0
            || libc::setuid(uid) != 0
        {
            bail!(
                "-Z {user}: cannot change to that user: {}",
                std::io::Error::last_os_error()
            );
        }
    }
    Ok(())
}

fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes.
    let r = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if r != 0 {
        return "unknown".into();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

fn os_name() -> String {
    // SAFETY: uname fills the struct.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return std::env::consts::OS.to_string();
        }
        let s = |f: &[libc::c_char]| {
            let b: Vec<u8> = f
                .iter()
                .take_while(|&&c| c != 0)
                .map(|&c| c as u8)
                .collect();
            String::from_utf8_lossy(&b).into_owned()
        };
        format!("{} {}", s(&u.sysname), s(&u.release))
    }
}

fn hardware() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// tcpdump's closing lines, on standard error.
fn print_counts(captured: u64, received: u64, dropped: u64, if_dropped: u64) {
    eprintln!(
        "{captured} packet{} captured",
        if captured == 1 { "" } else { "s" }
    );
    eprintln!(
        "{received} packet{} received by filter",
        if received == 1 { "" } else { "s" }
    );
    eprintln!(
        "{dropped} packet{} dropped by kernel",
        if dropped == 1 { "" } else { "s" }
    );
    if if_dropped > 0 {
        eprintln!(
            "{if_dropped} packet{} dropped by interface",
            if if_dropped == 1 { "" } else { "s" }
        );
    }
}

/// Runs `paircap capture`.
pub fn run(a: &CaptureArgs) -> Result<ExitCode> {
    if a.list_interfaces {
        return crate::interfaces::run();
    }
    let snaplen = match a.snaplen {
        None | Some(0) => DEFAULT_SNAPLEN,
        Some(n) => n,
    };
    let filter = filter_text(a)?;
    let mut names = a.interfaces.clone();
    if names.is_empty() {
        let d = pcap::Device::lookup()
            .map_err(|e| anyhow!("cannot find a default interface: {e}"))?
            .ok_or_else(|| {
                anyhow!("no interface to capture on; pick one with -i (see paircap interfaces)")
            })?;
        names.push(d.name);
    }
    signals::install();
    let mut sources = Vec::new();
    for n in &names {
        sources.push(open_source(n, a, snaplen, &filter)?);
    }
    if let Some(user) = &a.user {
        drop_privileges(user)?;
    }
    let nano = a.precision.as_deref() == Some("nano");
    let tsresol = if nano {
        TsResolution::NANO
    } else {
        TsResolution::MICRO
    };
    let os = os_name();
    let devices = pcap::Device::list().unwrap_or_default();
    let idbs: Vec<InterfaceDescription> = sources
        .iter()
        .map(|s| InterfaceDescription {
            link_type: s.link,
            snaplen,
            name: Some(s.name.clone()),
            description: devices
                .iter()
                .find(|d| d.name == s.name)
                .and_then(|d| d.desc.clone()),
            filter: (!filter.trim().is_empty()).then(|| filter.clone()),
            os: Some(os.clone()),
            tsresol,
            comments: crate::offload::comments(&s.name),
            ..InterfaceDescription::default()
        })
        .collect();
    let mut comments = Vec::new();
    if let Some(r) = &a.role {
        comments.push(format!("role={r}"));
    }
    if let Some(p) = &a.peer {
        comments.push(format!("peer={p}"));
    }
    comments.push(format!("hostname={}", hostname()));
    comments.push(format!(
        "command={}",
        std::env::args().collect::<Vec<_>>().join(" ")
    ));
    if let Some(c) = &a.comment {
        comments.push(c.clone());
    }
    let section = SectionDescription {
        hardware: Some(hardware()),
        os: Some(os.clone()),
        user_appl: Some(format!("paircap {}", env!("CARGO_PKG_VERSION"))),
        comments,
    };
    let rotation = Rotation {
        max_bytes: a.file_size.as_deref().map(parse_size).transpose()?,
        every_secs: a.rotate_secs,
        max_files: a.max_files,
    };
    let mut save = match &a.write {
        Some(path) => {
            if rotation.max_files.is_some()
                && rotation.max_bytes.is_none()
                && rotation.every_secs.is_none()
            {
                bail!("-W needs -C or -G");
            }
            let mut s = Savefile::new(
                path.display().to_string(),
                rotation,
                section,
                idbs.clone(),
                a.classic_pcap,
                nano,
                a.file_mode,
            )?;
            s.start(now_ts())?;
            Some(s)
        }
        None => None,
    };
    for s in &sources {
        let lt = s.link;
        eprintln!(
            "paircap: {} on {}, link-type {} ({}), snapshot length {snaplen} bytes{}",
            if save.is_some() {
                "capturing"
            } else {
                "listening"
            },
            s.name,
            lt.name().unwrap_or("?"),
            lt.description(),
            save.as_ref()
                .map(|s| format!(
                    ", writing {}",
                    s.written
                        .last()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default()
                ))
                .unwrap_or_default()
        );
    }
    let mut printer = if save.is_none() {
        Some(PacketPrinter::new(&a.print)?)
    } else {
        None
    };
    let display = match &a.display_filter {
        Some(text) => Some(
            shared_decode::filter::compile(text)
                .map_err(|e| anyhow::anyhow!("bad display filter:\n{}", e.render()))?,
        ),
        None => None,
    };
    let mut decoder = if a.print.format == crate::Format::Text
        && !display.as_ref().is_some_and(|f| f.needs_flows())
    {
        Decoder::new().without_flows()
    } else {
        Decoder::new()
    };
    let mut out = output::stdout();
    let mut line = String::new();
    let started = Instant::now();
    let start_ts = now_ts();
    let deadline = a
        .duration
        .map(|d| started + Duration::from_secs_f64(d.max(0.0)));
    let mut total = 0u64;
    let mut failure: Option<anyhow::Error> = None;
    let mut pollfds: Vec<libc::pollfd> = sources
        .iter()
        .map(|s| libc::pollfd {
            fd: s.cap.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let mut last_flush = Instant::now();

    // Reads whatever each interface has ready. Returns false when -c is reached.
    let mut read_ready = |sources: &mut Vec<Source>,
                          save: &mut Option<Savefile>,
                          total: &mut u64,
                          line: &mut String,
                          out: &mut output::Safe<std::io::StdoutLock<'static>>|
     -> Result<bool> {
        for (i, s) in sources.iter_mut().enumerate() {
            // Bounded: at most 4096 packets per interface per round, then poll again.
            for _ in 0..4096 {
                if a.count.is_some_and(|c| *total >= c) {
                    out.write_all(line.as_bytes())?;
                    out.flush()?;
                    line.clear();
                    return Ok(false);
                }
                let p = match s.cap.next_packet() {
                    Ok(p) => p,
                    Err(pcap::Error::TimeoutExpired) | Err(pcap::Error::NoMorePackets) => break,
                    Err(e) => return Err(anyhow!("{}: {e}", s.name)),
                };
                let frac = p.header.ts.tv_usec as u32;
                let ts = Timestamp {
                    secs: p.header.ts.tv_sec as i64,
                    nanos: if nano {
                        frac
                    } else {
                        frac.saturating_mul(1000)
                    },
                };
                s.captured += 1;
                *total += 1;
                match save {
                    Some(sf) => {
                        sf.write(now_secs(), i as u32, ts, p.header.len, p.data, None)?;
                    }
                    None => {
                        let rec = Record {
                            offset: 0,
                            block_len: 0,
                            interface: i as u32,
                            link_type: s.link,
                            ts: Some(ts),
                            orig_len: p.header.len,
                            data: p.data,
                            flags: None,
                            drop_count: None,
                            options: Options::EMPTY,
                        };
                        let pkt = decoder.decode(&rec);
                        if let Some(pr) = printer.as_mut() {
                            if display.as_ref().is_none_or(|f| f.matches(&pkt)) {
                                pr.print(&pkt, line);
                            }
                        }
                    }
                }
            }
        }
        if !line.is_empty() {
            out.write_all(line.as_bytes())?;
            out.flush()?;
            line.clear();
        }
        Ok(true)
    };

    loop {
        if signals::stop_requested() || deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        if save.as_ref().is_some_and(|s| s.limit_reached) {
            break;
        }
        // SAFETY: pollfds is a valid array of pollfd for its length.
        let r = unsafe { libc::poll(pollfds.as_mut_ptr(), pollfds.len() as libc::nfds_t, 100) };
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                failure = Some(anyhow!("poll: {e}"));
                break;
            }
        }
        match read_ready(&mut sources, &mut save, &mut total, &mut line, &mut out) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
        if let Some(sf) = save.as_mut() {
            if let Err(e) = sf.tick(now_secs()) {
                failure = Some(e);
                break;
            }
            if last_flush.elapsed() >= Duration::from_millis(500) {
                if let Err(e) = sf.flush() {
                    failure = Some(e);
                    break;
                }
                last_flush = Instant::now();
            }
        }
    }

    // Drain what the kernel already accepted: partly filled TPACKET_V3 blocks are handed over
    // only after the read timeout (100 ms). Keep reading until every interface has delivered
    // what its "received by filter" counter says, or nothing new arrived for 300 ms (on
    // loopback the kernel counts both directions of each packet, so the counters never
    // meet), bounded by 2 s. Skipped when -c stopped us or a write failed.
    if failure.is_none() && a.count.is_none_or(|c| total < c) {
        let hard_stop = Instant::now() + Duration::from_secs(2);
        let mut last_progress = Instant::now();
        loop {
            let pending = sources.iter_mut().any(|s| {
                s.cap.stats().ok().is_some_and(|st| {
                    u64::from(st.received).saturating_sub(s.stats_at_start.0) > s.captured
                })
            });
            let now = Instant::now();
            if !pending
                || now >= hard_stop
                || now.duration_since(last_progress) >= Duration::from_millis(300)
            {
                break;
            }
            // SAFETY: as above.
            unsafe { libc::poll(pollfds.as_mut_ptr(), pollfds.len() as libc::nfds_t, 50) };
            let before = total;
            match read_ready(&mut sources, &mut save, &mut total, &mut line, &mut out) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
            if total > before {
                last_progress = Instant::now();
            }
        }
    }

    let end_ts = now_ts();
    let mut received = 0u64;
    let mut dropped = 0u64;
    let mut if_dropped = 0u64;
    let mut isbs = Vec::new();
    for s in &mut sources {
        let st = s.cap.stats().ok();
        let (r0, d0, i0) = s.stats_at_start;
        let r = st.map_or(0, |x| u64::from(x.received).saturating_sub(r0));
        let d = st.map_or(0, |x| u64::from(x.dropped).saturating_sub(d0));
        let i = st.map_or(0, |x| u64::from(x.if_dropped).saturating_sub(i0));
        received += r;
        dropped += d;
        if_dropped += i;
        isbs.push(StatsOptions {
            start: Some(start_ts),
            end: Some(end_ts),
            if_recv: Some(r + d),
            // libpcap's ps_drop counts packets the kernel's capture buffer had no room
            // for (an OS drop); ps_ifdrop those the interface dropped.
            if_drop: Some(i),
            filter_accept: Some(r),
            os_drop: Some(d),
            usr_deliv: Some(s.captured),
            comments: Vec::new(),
        });
    }
    if let Some(sf) = save.as_mut() {
        if let Err(e) = sf.close(&isbs, end_ts) {
            failure.get_or_insert(e);
        }
    }
    out.flush().ok();
    print_counts(total, received, dropped, if_dropped);
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_peers() {
        assert_eq!(parse_size("2").unwrap(), 2_000_000);
        assert_eq!(parse_size("20k").unwrap(), 20 * 1024);
        assert_eq!(parse_size("1M").unwrap(), 1 << 20);
        assert!(parse_size("0").is_err());
        assert!(parse_size("x").is_err());
        assert_eq!(
            parse_peer("203.0.113.9:443").unwrap(),
            ("203.0.113.9".into(), Some(443))
        );
        assert_eq!(
            parse_peer("203.0.113.9").unwrap(),
            ("203.0.113.9".into(), None)
        );
        assert_eq!(
            parse_peer("[2001:db8::1]:443").unwrap(),
            ("2001:db8::1".into(), Some(443))
        );
        assert_eq!(
            parse_peer("2001:db8::1").unwrap(),
            ("2001:db8::1".into(), None)
        );
        assert!(parse_peer("1.2.3.4:x").is_err());
    }
}
