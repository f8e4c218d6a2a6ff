//! View links: what a support engineer needs to see what the user saw — the files (name,
//! size, SHA-256), the display filter, the selected packet(s), compare settings, time
//! format, pane layout and a note — in a URL fragment (`index.html#v=1&…`). Browsers never
//! send the fragment to a server, and the link never holds packet bytes.
//!
//! A selected packet is its frame number plus a digest of its bytes
//! ([`packet_digest`]), so a link still finds the packet in a re-exported file where the
//! numbers changed. Links are at most [`MAX_LINK`] bytes: short enough for any ticket
//! system; a filter or note that would make a link longer is refused, not cut.

use std::fmt::Write as _;

/// Longest fragment produced or accepted, in bytes.
pub const MAX_LINK: usize = 2048;
/// Longest note.
pub const MAX_NOTE: usize = 280;
/// Link format version.
pub const VERSION: u32 = 1;

/// A file the link refers to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileRef {
    /// File name (no directories).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lower-case hex (empty when unknown).
    pub sha256: String,
}

/// A selected packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PacketRef {
    /// Frame number in the file the link was made from.
    pub frame: u64,
    /// [`packet_digest`] of its captured bytes.
    pub digest: u64,
}

/// Everything a view link holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ViewLink {
    /// The capture (the source, when comparing).
    pub source: Option<FileRef>,
    /// The target capture of a compare.
    pub target: Option<FileRef>,
    /// Display filter ("" = none).
    pub filter: String,
    /// Selected packet in the source.
    pub packet: Option<PacketRef>,
    /// Selected packet in the target.
    pub target_packet: Option<PacketRef>,
    /// Time column style (`rel`, `abs`, `delta`, `utc`).
    pub time_format: Option<String>,
    /// Packet-list height and details width, percent.
    pub layout: Option<(f64, f64)>,
    /// Manual clock offset of the target relative to the source, milliseconds.
    pub clock_offset_ms: Option<f64>,
    /// A short note from whoever made the link.
    pub note: String,
}

/// Why a link could not be made or read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkError(pub String);

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LinkError {}

/// FNV-1a (64 bits) of a packet's captured bytes: a stable content id for links (not a
/// security measure: the file's SHA-256 is that).
pub fn packet_digest(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn enc(s: &str, out: &mut String) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

fn dec(s: &str) -> Result<String, LinkError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            let v = hex
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| LinkError(format!("bad %-escape at byte {i} of the link")))?;
            out.push(v);
            i += 3;
        } else {
            out.push(if c == b'+' { b' ' } else { c });
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| LinkError("the link is not UTF-8".into()))
}

fn file_to(f: &FileRef, out: &mut String) {
    enc(&f.name, out);
    let _ = write!(out, "~{}~{}", f.size, f.sha256);
}

fn file_from(v: &str) -> Result<FileRef, LinkError> {
    let mut it = v.rsplitn(3, '~');
    let (sha, size, name) = (it.next(), it.next(), it.next());
    let (Some(sha), Some(size), Some(name)) = (sha, size, name) else {
        return Err(LinkError(format!("bad file reference {v:?}")));
    };
    if !sha.is_empty() && (sha.len() != 64 || !sha.bytes().all(|c| c.is_ascii_hexdigit())) {
        return Err(LinkError(format!("bad SHA-256 {sha:?}")));
    }
    Ok(FileRef {
        name: dec(name)?,
        size: size
            .parse()
            .map_err(|_| LinkError(format!("bad file size {size:?}")))?,
        sha256: sha.to_ascii_lowercase(),
    })
}

fn packet_from(v: &str) -> Result<PacketRef, LinkError> {
    let (f, d) = v
        .split_once('.')
        .ok_or_else(|| LinkError(format!("bad packet reference {v:?}")))?;
    Ok(PacketRef {
        frame: f
            .parse()
            .map_err(|_| LinkError(format!("bad frame number {f:?}")))?,
        digest: u64::from_str_radix(d, 16)
            .map_err(|_| LinkError(format!("bad packet digest {d:?}")))?,
    })
}

impl ViewLink {
    /// The fragment (without `#`): `v=1&s=…`.
    ///
    /// # Errors
    /// When the link would be longer than [`MAX_LINK`] or the note than [`MAX_NOTE`].
    pub fn to_fragment(&self) -> Result<String, LinkError> {
        if self.note.chars().count() > MAX_NOTE {
            return Err(LinkError(format!(
                "the note is longer than {MAX_NOTE} characters"
            )));
        }
        let mut s = format!("v={VERSION}");
        if let Some(f) = &self.source {
            s.push_str("&s=");
            file_to(f, &mut s);
        }
        if let Some(f) = &self.target {
            s.push_str("&t=");
            file_to(f, &mut s);
        }
        if !self.filter.is_empty() {
            s.push_str("&f=");
            enc(&self.filter, &mut s);
        }
        if let Some(p) = self.packet {
            let _ = write!(s, "&p={}.{:016x}", p.frame, p.digest);
        }
        if let Some(p) = self.target_packet {
            let _ = write!(s, "&q={}.{:016x}", p.frame, p.digest);
        }
        if let Some(t) = &self.time_format {
            s.push_str("&tf=");
            enc(t, &mut s);
        }
        if let Some((a, b)) = self.layout {
            let _ = write!(s, "&l={a:.0},{b:.0}");
        }
        if let Some(o) = self.clock_offset_ms {
            let _ = write!(s, "&o={o}");
        }
        if !self.note.is_empty() {
            s.push_str("&n=");
            enc(&self.note, &mut s);
        }
        if s.len() > MAX_LINK {
            return Err(LinkError(format!(
                "the link would be {} bytes, more than {MAX_LINK}: shorten the filter or the note",
                s.len()
            )));
        }
        Ok(s)
    }

    /// Reads a fragment (with or without `#`). Keys it does not know are ignored, so older
    /// pages read newer links as far as they can.
    ///
    /// # Errors
    /// A link from another format version, longer than [`MAX_LINK`], or with a bad value.
    pub fn parse(fragment: &str) -> Result<ViewLink, LinkError> {
        let f = fragment.strip_prefix('#').unwrap_or(fragment);
        if f.len() > MAX_LINK {
            return Err(LinkError(format!(
                "the link is longer than {MAX_LINK} bytes"
            )));
        }
        let mut l = ViewLink::default();
        let mut version = None;
        for kv in f.split('&').filter(|x| !x.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            match k {
                "v" => version = v.parse::<u32>().ok(),
                "s" => l.source = Some(file_from(v)?),
                "t" => l.target = Some(file_from(v)?),
                "f" => l.filter = dec(v)?,
                "p" => l.packet = Some(packet_from(v)?),
                "q" => l.target_packet = Some(packet_from(v)?),
                "tf" => l.time_format = Some(dec(v)?),
                "l" => {
                    let (a, b) = v
                        .split_once(',')
                        .ok_or_else(|| LinkError(format!("bad layout {v:?}")))?;
                    // Whole percents, as links are written (a round trip keeps the link).
                    let p = |x: &str| {
                        x.parse::<f64>()
                            .ok()
                            .filter(|x| x.is_finite())
                            .map(|x| x.round().clamp(0.0, 100.0))
                    };
                    l.layout = Some((p(a).unwrap_or(55.0), p(b).unwrap_or(50.0)));
                }
                "o" => l.clock_offset_ms = v.parse::<f64>().ok().filter(|x| x.is_finite()),
                "n" => l.note = dec(v)?.chars().take(MAX_NOTE).collect(),
                _ => {}
            }
        }
        match version {
            Some(VERSION) => Ok(l),
            Some(v) => Err(LinkError(format!(
                "this link has format version {v}; this paircap reads version {VERSION}"
            ))),
            None => Err(LinkError("not a paircap view link (no v=)".into())),
        }
    }

    /// Whether a fragment looks like a view link.
    pub fn is_link(fragment: &str) -> bool {
        let f = fragment.strip_prefix('#').unwrap_or(fragment);
        f.split('&').any(|kv| kv.starts_with("v="))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ViewLink {
        ViewLink {
            source: Some(FileRef {
                name: "source capture (1).pcapng".into(),
                size: 123_456,
                sha256: "ab".repeat(32),
            }),
            target: Some(FileRef {
                name: "t.pcap".into(),
                size: 9,
                sha256: "cd".repeat(32),
            }),
            filter: "tcp.port == 443 && ip.addr == 10.0.0.0/8 && http.host contains \"ä&=#\""
                .into(),
            packet: Some(PacketRef {
                frame: 4711,
                digest: 0x0123_4567_89ab_cdef,
            }),
            target_packet: Some(PacketRef {
                frame: 4700,
                digest: 7,
            }),
            time_format: Some("utc".into()),
            layout: Some((60.0, 40.0)),
            clock_offset_ms: Some(-3200.5),
            note: "SYNs vanish after the firewall — see packet 4711".into(),
        }
    }

    #[test]
    fn round_trip() {
        let l = sample();
        let f = l.to_fragment().unwrap();
        assert!(f.len() <= MAX_LINK);
        assert!(!f.contains(' ') && !f.contains('#') && !f.contains('"'));
        assert_eq!(ViewLink::parse(&f).unwrap(), l);
        assert_eq!(ViewLink::parse(&format!("#{f}")).unwrap(), l);
        let empty = ViewLink::default();
        assert_eq!(
            ViewLink::parse(&empty.to_fragment().unwrap()).unwrap(),
            empty
        );
    }

    #[test]
    fn bounds_and_errors() {
        let mut l = sample();
        l.filter = "x".repeat(MAX_LINK);
        assert!(l.to_fragment().unwrap_err().0.contains("more than 2048"));
        l.filter.clear();
        l.note = "n".repeat(MAX_NOTE + 1);
        assert!(l.to_fragment().is_err());
        assert!(ViewLink::parse("v=2&f=tcp")
            .unwrap_err()
            .0
            .contains("version 2"));
        assert!(ViewLink::parse("f=tcp").is_err());
        assert!(ViewLink::parse("v=1&s=a~x~").is_err());
        assert!(ViewLink::parse("v=1&s=a~1~zz").is_err());
        assert!(ViewLink::parse("v=1&p=12").is_err());
        assert!(ViewLink::parse("v=1&f=%E").is_err());
        assert!(ViewLink::parse("v=1&f=%FF").is_err());
        assert!(ViewLink::parse(&"v=1&".repeat(1000)).is_err());
        assert_eq!(
            ViewLink::parse("v=1&future=thing").unwrap(),
            ViewLink::default()
        );
    }

    #[test]
    fn never_panics_on_junk() {
        let mut seed = 0x1234_5678u64;
        for _ in 0..20_000 {
            let n = (seed % 64) as usize;
            let s: String = (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    b"v=1&%~.,stfpqlon0123456789abcdefABCDEF#+\xff"[(seed >> 33) as usize % 42]
                        as char
                })
                .collect();
            let _ = ViewLink::parse(&s);
        }
    }

    #[test]
    fn digest_is_fnv1a() {
        assert_eq!(packet_digest(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(packet_digest(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
