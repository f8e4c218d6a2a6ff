//! pcapng: reader state machine and writer.
//!
//! Spec: <https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-03.html>. Every block is
//! `type u32, total_len u32, body, total_len u32`, `total_len % 4 == 0`, in the byte order
//! announced by the section's SHB byte-order magic. Interface ids in packet blocks are local
//! to their section; we number interfaces globally across sections as Wireshark does.
//!
//! Kept: SHB (hardware/os/userappl/comments), IDB (all common options), EPB/SPB/obsolete PB,
//! NRB (IPv4/IPv6 entries), ISB (all counters). Skipped (counted in
//! [`CaptureInfo::skipped_blocks`]): DSB, custom blocks, systemd journal, unknown types.
//!
//! Error policy: a block with an impossible length is reported and the parser searches for
//! the next block whose leading and trailing lengths agree (within
//! [`RESYNC_WINDOW`](super::pcap::RESYNC_WINDOW)); a block whose trailing length disagrees but
//! whose successor is valid is kept (its packet is delivered) and reported.

mod writer;

pub use writer::{
    EpbOptions, InterfaceDescription, PcapngWriter, SectionDescription, StatsOptions,
};

use super::bytes::{opt_str, opt_ts, opt_u64, u16_at, u32_at, u64_at};
use super::step::{RawRecord, Step};
use super::{
    CaptureInfo, Endian, FileError, FileErrorKind, Interface, InterfaceStats, NameEntry, Options,
    Section, Timestamp, TsResolution, MAX_BLOCK_LEN, MAX_INTERFACES, MAX_NAME_ENTRIES, MAX_STATS,
};

/// Section Header Block type (a palindrome: the same in both byte orders).
pub const SHB: u32 = 0x0A0D_0D0A;
/// Interface Description Block.
pub const IDB: u32 = 1;
/// Obsolete Packet Block.
pub const PB: u32 = 2;
/// Simple Packet Block.
pub const SPB: u32 = 3;
/// Name Resolution Block.
pub const NRB: u32 = 4;
/// Interface Statistics Block.
pub const ISB: u32 = 5;
/// Enhanced Packet Block.
pub const EPB: u32 = 6;
/// Decryption Secrets Block.
pub const DSB: u32 = 0x0A;
/// Custom Block (copyable).
pub const CB: u32 = 0x0000_0BAD;
/// Custom Block (do not copy).
pub const DCB: u32 = 0x4000_0BAD;
/// Byte-order magic in the SHB.
pub const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

/// `opt_endofopt`.
pub const OPT_ENDOFOPT: u16 = 0;
/// `opt_comment`.
pub const OPT_COMMENT: u16 = 1;
/// `shb_hardware`.
pub const SHB_HARDWARE: u16 = 2;
/// `shb_os`.
pub const SHB_OS: u16 = 3;
/// `shb_userappl`.
pub const SHB_USERAPPL: u16 = 4;
/// `if_name`.
pub const IF_NAME: u16 = 2;
/// `if_description`.
pub const IF_DESCRIPTION: u16 = 3;
/// `if_IPv4addr`.
pub const IF_IPV4ADDR: u16 = 4;
/// `if_IPv6addr`.
pub const IF_IPV6ADDR: u16 = 5;
/// `if_MACaddr`.
pub const IF_MACADDR: u16 = 6;
/// `if_speed`.
pub const IF_SPEED: u16 = 8;
/// `if_tsresol`.
pub const IF_TSRESOL: u16 = 9;
/// `if_filter`.
pub const IF_FILTER: u16 = 11;
/// `if_os`.
pub const IF_OS: u16 = 12;
/// `if_fcslen`.
pub const IF_FCSLEN: u16 = 13;
/// `if_tsoffset`.
pub const IF_TSOFFSET: u16 = 14;
/// `if_hardware`.
pub const IF_HARDWARE: u16 = 15;
/// `epb_flags`.
pub const EPB_FLAGS: u16 = 2;
/// `epb_hash`.
pub const EPB_HASH: u16 = 3;
/// `epb_dropcount`.
pub const EPB_DROPCOUNT: u16 = 4;
/// `epb_packetid`.
pub const EPB_PACKETID: u16 = 5;
/// `isb_starttime`.
pub const ISB_STARTTIME: u16 = 2;
/// `isb_endtime`.
pub const ISB_ENDTIME: u16 = 3;
/// `isb_ifrecv`.
pub const ISB_IFRECV: u16 = 4;
/// `isb_ifdrop`.
pub const ISB_IFDROP: u16 = 5;
/// `isb_filteraccept`.
pub const ISB_FILTERACCEPT: u16 = 6;
/// `isb_osdrop`.
pub const ISB_OSDROP: u16 = 7;
/// `isb_usrdeliv`.
pub const ISB_USRDELIV: u16 = 8;

/// Short name of a block type for messages.
pub fn block_name(t: u32) -> &'static str {
    match t {
        SHB => "SHB",
        IDB => "IDB",
        PB => "PB",
        SPB => "SPB",
        NRB => "NRB",
        ISB => "ISB",
        EPB => "EPB",
        DSB => "DSB",
        CB => "CB",
        DCB => "DCB",
        _ => "block",
    }
}

/// State of a pcapng stream being parsed.
#[derive(Clone, Debug, Default)]
pub struct PcapngParser {
    endian: Option<Endian>,
    packets: u64,
    /// An error found while accepting the previous block, reported on the next call.
    pending: Option<FileError>,
}

/// Is `t` a block type we know (used to judge resync candidates)?
fn known_type(t: u32) -> bool {
    matches!(
        t,
        SHB | IDB | PB | SPB | NRB | ISB | EPB | DSB | CB | DCB | 9
    )
}

impl PcapngParser {
    /// True if `buf` starts like a pcapng file.
    pub fn sniff(buf: &[u8]) -> bool {
        u32_at(buf, 0, Endian::Little) == Some(SHB)
    }

    /// Reads the next block from `buf` (at file offset `offset`), updating `info`.
    pub fn next(&mut self, buf: &[u8], offset: u64, eof: bool, info: &mut CaptureInfo) -> Step {
        if let Some(error) = self.pending.take() {
            return Step::Error {
                error,
                skip: Some(0),
            };
        }
        if buf.is_empty() && eof {
            return Step::End;
        }
        if buf.len() < 12 {
            if !eof {
                return Step::NeedMore { needed: 12 };
            }
            return truncated(offset, "block header", 12, buf.len());
        }
        let Some(btype_le) = u32_at(buf, 0, Endian::Little) else {
            return Step::NeedMore { needed: 12 };
        };
        let endian = if btype_le == SHB {
            match u32_at(buf, 8, Endian::Little) {
                Some(BYTE_ORDER_MAGIC) => Endian::Little,
                Some(m) if m.swap_bytes() == BYTE_ORDER_MAGIC => Endian::Big,
                _ => {
                    return Step::Error {
                        error: FileError::new(
                            offset + 8,
                            FileErrorKind::BadSection {
                                detail: "unknown byte-order magic".into(),
                            },
                        ),
                        skip: None,
                    }
                }
            }
        } else {
            match self.endian {
                Some(e) => e,
                None => {
                    return Step::Error {
                        error: FileError::new(
                            offset,
                            FileErrorKind::BadSection {
                                detail: "block before the first section header".into(),
                            },
                        ),
                        skip: None,
                    }
                }
            }
        };
        let btype = u32_at(buf, 0, endian).unwrap_or(0);
        let len = u32_at(buf, 4, endian).unwrap_or(0);
        let len_us = len as usize;
        if len < 12 || len % 4 != 0 || len_us > MAX_BLOCK_LEN || min_len(btype) > len_us {
            let error = FileError::new(
                offset,
                FileErrorKind::BadBlockLength {
                    block_type: btype,
                    len: u64::from(len),
                },
            );
            return self.resync_or_fail(buf, eof, error, endian);
        }
        if buf.len() < len_us {
            if !eof {
                return Step::NeedMore { needed: len_us };
            }
            return truncated(offset, block_name(btype), len_us, buf.len());
        }
        let trailing = u32_at(buf, len_us - 4, endian).unwrap_or(0);
        if trailing != len {
            let error = FileError::new(
                offset,
                FileErrorKind::LengthMismatch {
                    block_type: btype,
                    first: len,
                    second: trailing,
                },
            );
            // Trust the leading length when the next block starts where it says.
            let next_ok = if buf.len() == len_us {
                eof
            } else {
                block_is_valid(buf, len_us, endian)
            };
            if next_ok && btype != SHB {
                self.pending = Some(error);
            } else {
                return self.resync_or_fail(buf, eof, error, endian);
            }
        }
        let block = buf.get(..len_us).unwrap_or(&[]);
        let result = match btype {
            SHB => self.section_header(block, offset, info),
            IDB => idb(block, endian, info).map(|()| Step::Meta { consumed: len_us }),
            EPB | PB | SPB => parse_packet_block(
                btype,
                block,
                endian,
                info,
                info.sections.len().saturating_sub(1),
                offset,
            )
            .map(|mut r| {
                self.packets += 1;
                r.consumed = len_us;
                Step::Record(r)
            }),
            ISB => isb(block, endian, info).map(|()| Step::Meta { consumed: len_us }),
            NRB => {
                nrb(block, endian, info);
                Ok(Step::Meta { consumed: len_us })
            }
            _ => {
                info.skipped_blocks += 1;
                Ok(Step::Meta { consumed: len_us })
            }
        };
        match result {
            Ok(step) => step,
            Err(kind) => {
                // The block is well delimited; skip it and go on.
                self.pending = None;
                Step::Error {
                    error: FileError::new(offset, kind),
                    skip: Some(len_us),
                }
            }
        }
    }

    fn section_header(
        &mut self,
        block: &[u8],
        offset: u64,
        info: &mut CaptureInfo,
    ) -> Result<Step, FileErrorKind> {
        let e = if u32_at(block, 8, Endian::Little) == Some(BYTE_ORDER_MAGIC) {
            Endian::Little
        } else {
            Endian::Big
        };
        let major = u16_at(block, 12, e).unwrap_or(0);
        let minor = u16_at(block, 14, e).unwrap_or(0);
        if major != 1 {
            return Err(FileErrorKind::BadSection {
                detail: format!("unsupported version {major}.{minor}"),
            });
        }
        self.endian = Some(e);
        let mut section = Section {
            offset,
            endian: Some(e),
            version: (major, minor),
            first_interface: info.interfaces.len() as u32,
            ..Section::default()
        };
        for (code, v) in options(block, 24, e).iter() {
            match code {
                OPT_COMMENT => section.comments.push(opt_str(v)),
                SHB_HARDWARE => section.hardware = Some(opt_str(v)),
                SHB_OS => section.os = Some(opt_str(v)),
                SHB_USERAPPL => section.user_appl = Some(opt_str(v)),
                _ => {}
            }
        }
        info.sections.push(section);
        Ok(Step::Meta {
            consumed: block.len(),
        })
    }

    fn resync_or_fail(&mut self, buf: &[u8], eof: bool, error: FileError, e: Endian) -> Step {
        if buf.len() < super::pcap::RESYNC_WINDOW && !eof {
            return Step::NeedMore {
                needed: super::pcap::RESYNC_WINDOW,
            };
        }
        let limit = buf.len().min(super::pcap::RESYNC_WINDOW);
        let skip = (4..limit).step_by(4).find(|&p| block_is_valid(buf, p, e));
        Step::Error { error, skip }
    }
}

fn truncated(offset: u64, what: &str, needed: usize, available: usize) -> Step {
    Step::Error {
        error: FileError::new(
            offset,
            FileErrorKind::Truncated {
                what: what.to_string(),
                needed: needed as u64,
                available: available as u64,
            },
        ),
        skip: None,
    }
}

/// Smallest total length a block of this type can have.
fn min_len(t: u32) -> usize {
    match t {
        SHB => 28,
        IDB => 20,
        EPB | PB => 32,
        SPB => 16,
        ISB => 24,
        _ => 12,
    }
}

/// Whether a complete, self-consistent block of a known type starts at `p`.
fn block_is_valid(buf: &[u8], p: usize, e: Endian) -> bool {
    let Some(t) = u32_at(buf, p, e) else {
        return false;
    };
    let Some(len) = u32_at(buf, p + 4, e) else {
        return false;
    };
    let len = len as usize;
    known_type(t)
        && len >= min_len(t)
        && len % 4 == 0
        && len <= MAX_BLOCK_LEN
        && p.checked_add(len)
            .and_then(|end| u32_at(buf, end - 4, e))
            .is_some_and(|tl| tl as usize == len)
}

/// The options area of a block: from `start` (relative to the block) to the trailing length.
fn options(block: &[u8], start: usize, endian: Endian) -> Options<'_> {
    let end = block.len().saturating_sub(4);
    Options {
        bytes: block.get(start..end).unwrap_or(&[]),
        endian,
    }
}

fn idb(block: &[u8], e: Endian, info: &mut CaptureInfo) -> Result<(), FileErrorKind> {
    if info.interfaces.len() >= MAX_INTERFACES {
        return Err(FileErrorKind::BadBlock {
            block: "IDB",
            detail: format!("more than {MAX_INTERFACES} interfaces"),
        });
    }
    let section = info.sections.len().saturating_sub(1) as u32;
    let mut iface = Interface {
        id: info.interfaces.len() as u32,
        section,
        link_type: u16_at(block, 8, e).unwrap_or(0),
        snaplen: u32_at(block, 12, e).unwrap_or(0),
        ..Interface::default()
    };
    for (code, v) in options(block, 16, e).iter() {
        match code {
            OPT_COMMENT => iface.comments.push(opt_str(v)),
            IF_NAME => iface.name = Some(opt_str(v)),
            IF_DESCRIPTION => iface.description = Some(opt_str(v)),
            IF_OS => iface.os = Some(opt_str(v)),
            IF_HARDWARE => iface.hardware = Some(opt_str(v)),
            IF_FILTER => iface.filter = v.get(1..).map(opt_str),
            IF_SPEED => iface.speed = opt_u64(v, e),
            // In bits per the specification (32 for Ethernet); a writer that put bytes
            // (2 or 4) is read as meaning bytes.
            IF_FCSLEN => {
                iface.fcs_len = v.first().map(|&b| if b > 4 { b / 8 } else { b });
            }
            IF_TSRESOL => {
                if let Some(r) = v.first().and_then(|&b| TsResolution::from_raw(b)) {
                    iface.tsresol = r;
                }
            }
            IF_TSOFFSET => {
                iface.tsoffset = opt_u64(v, e).map_or(0, |x| x as i64);
            }
            IF_IPV4ADDR => {
                if let [a, b, c, d, m0, m1, m2, m3] = *v {
                    iface.addresses.push(format!(
                        "{}/{}",
                        std::net::Ipv4Addr::new(a, b, c, d),
                        std::net::Ipv4Addr::new(m0, m1, m2, m3)
                    ));
                }
            }
            IF_IPV6ADDR if v.len() == 17 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(v.get(..16).unwrap_or(&[0; 16]));
                iface.addresses.push(format!(
                    "{}/{}",
                    std::net::Ipv6Addr::from(a),
                    v.get(16).copied().unwrap_or(0)
                ));
            }
            IF_MACADDR if v.len() == 6 => {
                iface.mac = Some(
                    v.iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<Vec<_>>()
                        .join(":"),
                )
            }
            _ => {}
        }
    }
    info.interfaces.push(iface);
    Ok(())
}

/// The global interface for a section-local id in section `section`.
fn interface_for(
    info: &CaptureInfo,
    section: usize,
    local: u32,
) -> Result<&Interface, FileErrorKind> {
    let first = info.sections.get(section).map_or(0, |s| s.first_interface);
    let next = info
        .sections
        .get(section + 1)
        .map_or(info.interfaces.len() as u32, |s| s.first_interface);
    let defined = next.saturating_sub(first);
    if local >= defined {
        return Err(FileErrorKind::UnknownInterface {
            interface: local,
            defined,
        });
    }
    info.interfaces
        .get((first + local) as usize)
        .ok_or(FileErrorKind::UnknownInterface {
            interface: local,
            defined,
        })
}

/// Parses an EPB, SPB or PB (`block` is the whole block) into a record. Ranges in the
/// result are relative to `block`. `section` is the index of the block's section in `info`.
pub(crate) fn parse_packet_block(
    btype: u32,
    block: &[u8],
    e: Endian,
    info: &CaptureInfo,
    section: usize,
    offset: u64,
) -> Result<RawRecord, FileErrorKind> {
    let body_end = block.len().saturating_sub(4);
    let bad = |detail: String| FileErrorKind::BadBlock {
        block: block_name(btype),
        detail,
    };
    match btype {
        SPB => {
            let iface = interface_for(info, section, 0)?;
            let orig_len = u32_at(block, 8, e).unwrap_or(0);
            let room = body_end.saturating_sub(12);
            let mut cap = (orig_len as usize).min(room);
            if iface.snaplen != 0 {
                cap = cap.min(iface.snaplen as usize);
            }
            Ok(RawRecord {
                consumed: block.len(),
                interface: iface.id,
                link_type: iface.link(),
                ts: None,
                orig_len,
                data: 12..12 + cap,
                flags: None,
                drop_count: None,
                options: 0..0,
                endian: e,
            })
        }
        EPB | PB => {
            let (local, drops) = if btype == EPB {
                (u32_at(block, 8, e).unwrap_or(0), None)
            } else {
                (
                    u32::from(u16_at(block, 8, e).unwrap_or(0)),
                    u16_at(block, 10, e).map(u64::from),
                )
            };
            let iface = interface_for(info, section, local)?;
            let hi = u32_at(block, 12, e).unwrap_or(0);
            let lo = u32_at(block, 16, e).unwrap_or(0);
            let caplen = u32_at(block, 20, e).unwrap_or(0) as usize;
            let orig_len = u32_at(block, 24, e).unwrap_or(0);
            let data_end = 28usize.saturating_add(caplen);
            if data_end > body_end {
                return Err(bad(format!(
                    "captured length {caplen} does not fit in a block of {} bytes (at offset {offset})",
                    block.len()
                )));
            }
            let opt_start = 28 + ((caplen + 3) & !3);
            let opts = options(block, opt_start, e);
            let mut flags = None;
            let mut drop_count = drops.filter(|&d| d != 0xffff);
            for (code, v) in opts.iter() {
                match code {
                    EPB_FLAGS if v.len() == 4 => flags = u32_at(v, 0, e),
                    EPB_DROPCOUNT if v.len() == 8 => drop_count = u64_at(v, 0, e),
                    _ => {}
                }
            }
            let ticks = (u64::from(hi) << 32) | u64::from(lo);
            Ok(RawRecord {
                consumed: block.len(),
                interface: iface.id,
                link_type: iface.link(),
                ts: Some(Timestamp::from_ticks(
                    ticks,
                    iface.tsresol.units_per_sec,
                    iface.tsoffset,
                )),
                orig_len,
                data: 28..data_end,
                flags,
                drop_count,
                options: opt_start.min(body_end)..body_end,
                endian: e,
            })
        }
        _ => Err(bad("not a packet block".into())),
    }
}

fn isb(block: &[u8], e: Endian, info: &mut CaptureInfo) -> Result<(), FileErrorKind> {
    let local = u32_at(block, 8, e).unwrap_or(0);
    let iface = interface_for(info, info.sections.len().saturating_sub(1), local)?;
    let (id, res, off) = (iface.id, iface.tsresol.units_per_sec, iface.tsoffset);
    let hi = u32_at(block, 12, e).unwrap_or(0);
    let lo = u32_at(block, 16, e).unwrap_or(0);
    let ts = |t: u64| Timestamp::from_ticks(t, res, off);
    let mut s = InterfaceStats {
        interface: id,
        ts: ts((u64::from(hi) << 32) | u64::from(lo)),
        ..InterfaceStats::default()
    };
    for (code, v) in options(block, 20, e).iter() {
        match code {
            OPT_COMMENT => s.comments.push(opt_str(v)),
            ISB_STARTTIME => s.start = opt_ts(v, e).map(ts),
            ISB_ENDTIME => s.end = opt_ts(v, e).map(ts),
            ISB_IFRECV => s.if_recv = opt_u64(v, e),
            ISB_IFDROP => s.if_drop = opt_u64(v, e),
            ISB_FILTERACCEPT => s.filter_accept = opt_u64(v, e),
            ISB_OSDROP => s.os_drop = opt_u64(v, e),
            ISB_USRDELIV => s.usr_deliv = opt_u64(v, e),
            _ => {}
        }
    }
    if info.stats.len() < MAX_STATS {
        info.stats.push(s);
    }
    Ok(())
}

/// Name Resolution Block records. Terminates: each record consumes at least 4 bytes.
fn nrb(block: &[u8], e: Endian, info: &mut CaptureInfo) {
    let end = block.len().saturating_sub(4);
    let mut p = 8usize;
    while p + 4 <= end {
        let (Some(rtype), Some(rlen)) = (u16_at(block, p, e), u16_at(block, p + 2, e)) else {
            break;
        };
        if rtype == 0 {
            break;
        }
        let rlen = usize::from(rlen);
        let Some(val) = block.get(p + 4..p + 4 + rlen) else {
            break;
        };
        let alen = match rtype {
            1 => 4,
            2 => 16,
            _ => 0,
        };
        if alen > 0 && val.len() > alen && info.names.len() < MAX_NAME_ENTRIES {
            let (addr, names) = val.split_at(alen);
            info.names.push(NameEntry {
                addr: addr.to_vec(),
                names: names
                    .split(|&b| b == 0)
                    .filter(|n| !n.is_empty())
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .collect(),
            });
        }
        p += 4 + ((rlen + 3) & !3);
    }
}
