//! pcapng writer: SHB, IDB, EPB, ISB (little-endian), each block assembled in a scratch
//! buffer and written with one `write_all`, so [`PcapngWriter::bytes_written`] always ends on a
//! block boundary. A capture tool that hits a write error can truncate the file to that
//! length and leave a valid file holding every whole packet.

use super::{
    EPB, EPB_DROPCOUNT, EPB_FLAGS, IDB, IF_DESCRIPTION, IF_FILTER, IF_HARDWARE, IF_NAME, IF_OS,
    IF_SPEED, IF_TSOFFSET, IF_TSRESOL, ISB, ISB_ENDTIME, ISB_FILTERACCEPT, ISB_IFDROP, ISB_IFRECV,
    ISB_OSDROP, ISB_STARTTIME, ISB_USRDELIV, OPT_COMMENT, SHB, SHB_HARDWARE, SHB_OS, SHB_USERAPPL,
};
use crate::file::{LinkType, Timestamp, TsResolution};
use std::io::{self, Write};

/// What the Section Header Block says about the capture.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SectionDescription {
    /// `shb_hardware` (e.g. the CPU model).
    pub hardware: Option<String>,
    /// `shb_os` (e.g. `Linux 6.1.0`).
    pub os: Option<String>,
    /// `shb_userappl` (e.g. `paircap 0.1.0`).
    pub user_appl: Option<String>,
    /// `opt_comment` values.
    pub comments: Vec<String>,
}

/// An interface to describe with an IDB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceDescription {
    /// Link-layer type.
    pub link_type: LinkType,
    /// Snap length (0 = unlimited).
    pub snaplen: u32,
    /// `if_name`.
    pub name: Option<String>,
    /// `if_description`.
    pub description: Option<String>,
    /// `if_filter` (libpcap filter text).
    pub filter: Option<String>,
    /// `if_os`.
    pub os: Option<String>,
    /// `if_hardware`.
    pub hardware: Option<String>,
    /// `if_speed` in bits/s.
    pub speed: Option<u64>,
    /// Time stamp resolution of the EPBs written for this interface.
    pub tsresol: TsResolution,
    /// `if_tsoffset` in seconds.
    pub tsoffset: i64,
    /// `opt_comment` values.
    pub comments: Vec<String>,
}

impl Default for InterfaceDescription {
    fn default() -> Self {
        InterfaceDescription {
            link_type: LinkType::ETHERNET,
            snaplen: 262_144,
            name: None,
            description: None,
            filter: None,
            os: None,
            hardware: None,
            speed: None,
            tsresol: TsResolution::MICRO,
            tsoffset: 0,
            comments: Vec::new(),
        }
    }
}

/// Options of one Enhanced Packet Block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EpbOptions<'a> {
    /// `epb_flags` (bits 0-1: direction 1 = inbound, 2 = outbound).
    pub flags: Option<u32>,
    /// `epb_dropcount`.
    pub drop_count: Option<u64>,
    /// `opt_comment` values.
    pub comments: &'a [&'a str],
}

/// Counters of an Interface Statistics Block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatsOptions {
    /// `isb_starttime`.
    pub start: Option<Timestamp>,
    /// `isb_endtime`.
    pub end: Option<Timestamp>,
    /// `isb_ifrecv`.
    pub if_recv: Option<u64>,
    /// `isb_ifdrop`.
    pub if_drop: Option<u64>,
    /// `isb_filteraccept`.
    pub filter_accept: Option<u64>,
    /// `isb_osdrop`.
    pub os_drop: Option<u64>,
    /// `isb_usrdeliv`.
    pub usr_deliv: Option<u64>,
    /// `opt_comment` values.
    pub comments: Vec<String>,
}

/// Writes a pcapng stream: one section, any number of interfaces, packets and statistics.
#[derive(Debug)]
pub struct PcapngWriter<W: Write> {
    out: W,
    scratch: Vec<u8>,
    interfaces: Vec<TsResolution>,
    written: u64,
}

impl<W: Write> PcapngWriter<W> {
    /// Starts a section: writes the SHB.
    ///
    /// # Errors
    /// Any error of the underlying writer.
    pub fn new(out: W, section: &SectionDescription) -> io::Result<Self> {
        let mut w = PcapngWriter {
            out,
            scratch: Vec::with_capacity(4096),
            interfaces: Vec::new(),
            written: 0,
        };
        w.begin(SHB);
        w.put_u32(super::BYTE_ORDER_MAGIC);
        w.put_u16(1);
        w.put_u16(0);
        w.put_u64(u64::MAX); // section length unknown (-1)
        for c in &section.comments {
            w.opt(OPT_COMMENT, c.as_bytes());
        }
        if let Some(v) = &section.hardware {
            w.opt(SHB_HARDWARE, v.as_bytes());
        }
        if let Some(v) = &section.os {
            w.opt(SHB_OS, v.as_bytes());
        }
        if let Some(v) = &section.user_appl {
            w.opt(SHB_USERAPPL, v.as_bytes());
        }
        w.end_options();
        w.finish()?;
        Ok(w)
    }

    /// Describes an interface (IDB). Returns its id for [`write_packet`](Self::write_packet).
    ///
    /// # Errors
    /// Any error of the underlying writer.
    pub fn add_interface(&mut self, d: &InterfaceDescription) -> io::Result<u32> {
        self.begin(IDB);
        self.put_u16(d.link_type.0);
        self.put_u16(0);
        self.put_u32(d.snaplen);
        for c in &d.comments {
            self.opt(OPT_COMMENT, c.as_bytes());
        }
        if let Some(v) = &d.name {
            self.opt(IF_NAME, v.as_bytes());
        }
        if let Some(v) = &d.description {
            self.opt(IF_DESCRIPTION, v.as_bytes());
        }
        if let Some(v) = d.speed {
            self.opt(IF_SPEED, &v.to_le_bytes());
        }
        if d.tsresol != TsResolution::MICRO {
            self.opt(IF_TSRESOL, &[d.tsresol.raw]);
        }
        if let Some(v) = &d.filter {
            let mut f = Vec::with_capacity(v.len() + 1);
            f.push(0); // 0 = libpcap filter string
            f.extend_from_slice(v.as_bytes());
            self.opt(IF_FILTER, &f);
        }
        if let Some(v) = &d.os {
            self.opt(IF_OS, v.as_bytes());
        }
        if d.tsoffset != 0 {
            self.opt(IF_TSOFFSET, &d.tsoffset.to_le_bytes());
        }
        if let Some(v) = &d.hardware {
            self.opt(IF_HARDWARE, v.as_bytes());
        }
        self.end_options();
        self.finish()?;
        self.interfaces.push(d.tsresol);
        Ok(self.interfaces.len() as u32 - 1)
    }

    /// Writes one packet (EPB). `ts` is converted to the interface's resolution.
    /// Returns the number of bytes written.
    ///
    /// # Errors
    /// `InvalidInput` for an unknown interface or a packet over 4 GiB; any writer error.
    pub fn write_packet(
        &mut self,
        interface: u32,
        ts: Timestamp,
        orig_len: u32,
        data: &[u8],
        opts: &EpbOptions<'_>,
    ) -> io::Result<usize> {
        let res = self.resolution(interface)?;
        let caplen = u32::try_from(data.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet too large"))?;
        let ticks = ts.to_ticks(res.units_per_sec);
        self.begin(EPB);
        self.put_u32(interface);
        self.put_u32((ticks >> 32) as u32);
        self.put_u32(ticks as u32);
        self.put_u32(caplen);
        self.put_u32(orig_len);
        self.scratch.extend_from_slice(data);
        self.pad();
        let has_opts =
            opts.flags.is_some() || opts.drop_count.is_some() || !opts.comments.is_empty();
        for c in opts.comments {
            self.opt(OPT_COMMENT, c.as_bytes());
        }
        if let Some(f) = opts.flags {
            self.opt(EPB_FLAGS, &f.to_le_bytes());
        }
        if let Some(d) = opts.drop_count {
            self.opt(EPB_DROPCOUNT, &d.to_le_bytes());
        }
        if has_opts {
            self.end_options();
        }
        self.finish()
    }

    /// Writes interface statistics (ISB) taken at `ts`.
    ///
    /// # Errors
    /// `InvalidInput` for an unknown interface; any writer error.
    pub fn write_stats(
        &mut self,
        interface: u32,
        ts: Timestamp,
        s: &StatsOptions,
    ) -> io::Result<usize> {
        let res = self.resolution(interface)?;
        let ticks = ts.to_ticks(res.units_per_sec);
        self.begin(ISB);
        self.put_u32(interface);
        self.put_u32((ticks >> 32) as u32);
        self.put_u32(ticks as u32);
        for c in &s.comments {
            self.opt(OPT_COMMENT, c.as_bytes());
        }
        let split = |t: Timestamp| {
            let t = t.to_ticks(res.units_per_sec);
            let mut b = [0u8; 8];
            b[..4].copy_from_slice(&((t >> 32) as u32).to_le_bytes());
            b[4..].copy_from_slice(&(t as u32).to_le_bytes());
            b
        };
        if let Some(t) = s.start {
            self.opt(ISB_STARTTIME, &split(t));
        }
        if let Some(t) = s.end {
            self.opt(ISB_ENDTIME, &split(t));
        }
        for (code, v) in [
            (ISB_IFRECV, s.if_recv),
            (ISB_IFDROP, s.if_drop),
            (ISB_FILTERACCEPT, s.filter_accept),
            (ISB_OSDROP, s.os_drop),
            (ISB_USRDELIV, s.usr_deliv),
        ] {
            if let Some(v) = v {
                self.opt(code, &v.to_le_bytes());
            }
        }
        self.end_options();
        self.finish()
    }

    /// Bytes written so far; always the end of a complete block.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// Number of interfaces described so far.
    pub fn interface_count(&self) -> u32 {
        self.interfaces.len() as u32
    }

    /// Flushes the underlying writer.
    ///
    /// # Errors
    /// Any writer error.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The underlying writer, shared.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// The underlying writer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Returns the underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn resolution(&self, interface: u32) -> io::Result<TsResolution> {
        self.interfaces
            .get(interface as usize)
            .copied()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "unknown interface"))
    }

    fn begin(&mut self, btype: u32) {
        self.scratch.clear();
        self.put_u32(btype);
        self.put_u32(0); // total length, patched in finish()
    }

    fn finish(&mut self) -> io::Result<usize> {
        let total = self.scratch.len() as u32 + 4;
        self.put_u32(total);
        if let Some(len) = self.scratch.get_mut(4..8) {
            len.copy_from_slice(&total.to_le_bytes());
        }
        self.out.write_all(&self.scratch)?;
        self.written += u64::from(total);
        Ok(total as usize)
    }

    fn opt(&mut self, code: u16, value: &[u8]) {
        // Options longer than 65535 bytes cannot be encoded; cut them (comments only).
        let v = value.get(..value.len().min(65_532)).unwrap_or(&[]);
        self.put_u16(code);
        self.put_u16(v.len() as u16);
        self.scratch.extend_from_slice(v);
        self.pad();
    }

    fn end_options(&mut self) {
        self.put_u16(0);
        self.put_u16(0);
    }

    fn pad(&mut self) {
        while self.scratch.len() % 4 != 0 {
            self.scratch.push(0);
        }
    }

    fn put_u16(&mut self, v: u16) {
        self.scratch.extend_from_slice(&v.to_le_bytes());
    }

    fn put_u32(&mut self, v: u32) {
        self.scratch.extend_from_slice(&v.to_le_bytes());
    }

    fn put_u64(&mut self, v: u64) {
        self.scratch.extend_from_slice(&v.to_le_bytes());
    }
}
