//! Export: a chosen subset of a capture's records to a new pcapng file (the CLI's
//! `read -Y … -w OUT`, the viewer's "Export displayed packets"). Interfaces are carried over
//! as packets from them are written (name, description, capture filter, OS, link type, snap
//! length, time resolution); the section header names the application and whatever the
//! caller says (the filter used, the origin file's SHA-256). Time stamps are kept exactly
//! (same resolution; `if_tsoffset` folded into the times).

pub mod anon;

pub use anon::{Anonymizer, Payload};

use crate::file::pcapng::{EpbOptions, InterfaceDescription, PcapngWriter, SectionDescription};
use crate::file::{CaptureInfo, Record, TsResolution};
use std::io::{self, Write};

/// Writes records of one capture into a new pcapng file.
pub struct Exporter<W: Write> {
    w: PcapngWriter<W>,
    /// Output interface of each input interface (by global interface index).
    map: Vec<Option<u32>>,
    packets: u64,
    anon: Option<Anonymizer>,
}

impl<W: Write> Exporter<W> {
    /// Starts the file: a section header with `comments` (e.g. `filter: tcp.port == 443`,
    /// `origin: source.pcapng sha256 …`).
    ///
    /// # Errors
    /// Any error of `out`.
    pub fn new(out: W, comments: Vec<String>) -> io::Result<Self> {
        let section = SectionDescription {
            hardware: None,
            os: None,
            user_appl: Some(format!("paircap {}", env!("CARGO_PKG_VERSION"))),
            comments,
        };
        Ok(Exporter {
            w: PcapngWriter::new(out, &section)?,
            map: Vec::new(),
            packets: 0,
            anon: None,
        })
    }

    /// Like [`Exporter::new`], anonymising every packet (interface names, descriptions,
    /// filters and packet comments are left out too).
    ///
    /// # Errors
    /// Any error of `out`.
    /// The section says only that it is an anonymised export and how payloads were
    /// treated: no origin file name or hash, no filter text (either could identify).
    pub fn anonymized(out: W, anon: Anonymizer) -> io::Result<Self> {
        let mode = match anon.payload {
            crate::export::Payload::Keep => "kept",
            crate::export::Payload::Zero => "zeroed",
            crate::export::Payload::Truncate => "cut",
        };
        let comments = vec![format!("anonymized export by paircap (payloads {mode})")];
        let mut e = Exporter::new(out, comments)?;
        e.anon = Some(anon);
        Ok(e)
    }

    /// Writes one record; `info` describes the file it came from (for its interface).
    ///
    /// # Errors
    /// Any error of the output.
    pub fn write(&mut self, info: &CaptureInfo, rec: &Record<'_>) -> io::Result<()> {
        let idx = rec.interface as usize;
        let out_if = match self.map.get(idx).copied().flatten() {
            Some(i) => i,
            None => {
                let mut d = describe(info, rec);
                if self.anon.is_some() {
                    d = InterfaceDescription {
                        name: Some(format!("if{idx}")),
                        description: None,
                        filter: None,
                        os: None,
                        hardware: None,
                        ..d
                    };
                }
                let i = self.w.add_interface(&d)?;
                if self.map.len() <= idx {
                    // Interface indexes are bounded by file::MAX_INTERFACES.
                    self.map.resize(idx + 1, None);
                }
                if let Some(slot) = self.map.get_mut(idx) {
                    *slot = Some(i);
                }
                i
            }
        };
        let ts = rec.ts.unwrap_or_default();
        match self.anon.as_mut() {
            Some(a) => {
                let pkt =
                    crate::dissect::dissect(rec, 0, crate::dissect::DissectOptions::default());
                // A frame check sequence is dropped (it would no longer match).
                let fcs = info
                    .interfaces
                    .get(idx)
                    .and_then(|i| i.fcs_len)
                    .map_or(0, usize::from);
                let data = a.rewrite_with_fcs(&pkt, fcs);
                let opts = EpbOptions {
                    flags: rec.flags,
                    drop_count: rec.drop_count,
                    comments: &[],
                };
                self.w
                    .write_packet(out_if, ts, rec.orig_len, &data, &opts)?;
            }
            None => {
                let comments: Vec<&str> = rec.comments().take(16).collect();
                let opts = EpbOptions {
                    flags: rec.flags,
                    drop_count: rec.drop_count,
                    comments: &comments,
                };
                self.w
                    .write_packet(out_if, ts, rec.orig_len, rec.data, &opts)?;
            }
        }
        self.packets += 1;
        Ok(())
    }

    /// Packets written so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Flushes and returns the output.
    ///
    /// # Errors
    /// Any error of the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w.into_inner())
    }
}

/// The IDB for a record's interface: the input's description when it has one (pcapng), else
/// what the record says (classic pcap).
fn describe(info: &CaptureInfo, rec: &Record<'_>) -> InterfaceDescription {
    match info.interfaces.get(rec.interface as usize) {
        Some(i) => InterfaceDescription {
            link_type: i.link(),
            snaplen: i.snaplen,
            name: i.name.clone(),
            description: i.description.clone(),
            filter: i.filter.clone(),
            os: i.os.clone(),
            hardware: i.hardware.clone(),
            speed: i.speed,
            tsresol: i.tsresol,
            tsoffset: 0,
            comments: Vec::new(),
        },
        None => InterfaceDescription {
            link_type: rec.link_type,
            tsresol: TsResolution::NANO,
            ..InterfaceDescription::default()
        },
    }
}
