//! `paircap read`: one decode path, several printers.

use crate::output;
use crate::{Format, PrintArgs, ReadArgs};
use anyhow::{Context, Result};
use shared_decode::dissect::{Depth, DissectOptions, Packet};
use shared_decode::format::{columns, json, tcpdump, tree};
use shared_decode::{Decoder, Reader};
use std::io::{Read, Write};
use std::process::ExitCode;

/// Turns packets into text in the chosen format.
pub struct PacketPrinter {
    format: Format,
    tcpdump: tcpdump::Printer,
    json: Option<json::JsonWriter>,
    cols: columns::Columns,
    fields: Vec<&'static shared_decode::FieldDef>,
    tz_set: bool,
}

impl PacketPrinter {
    /// A printer for these options.
    pub fn new(p: &PrintArgs) -> Result<PacketPrinter> {
        let dump = match (p.hex, p.hex_ascii, p.ascii) {
            (_, x, _) if x >= 2 => tcpdump::Dump::HexAscii { link: true },
            (_, 1, _) => tcpdump::Dump::HexAscii { link: false },
            (x, _, _) if x >= 2 => tcpdump::Dump::Hex { link: true },
            (1, _, _) => tcpdump::Dump::Hex { link: false },
            (_, _, true) => tcpdump::Dump::Ascii,
            _ => tcpdump::Dump::None,
        };
        let time = match p.time {
            0 => tcpdump::TimeFormat::Clock,
            1 => tcpdump::TimeFormat::None,
            2 => tcpdump::TimeFormat::Epoch,
            3 => tcpdump::TimeFormat::Delta,
            4 => tcpdump::TimeFormat::Date,
            _ => tcpdump::TimeFormat::SinceFirst,
        };
        let opts = tcpdump::Options {
            verbose: p.verbose,
            link: p.link,
            quiet: p.quiet,
            number: p.number,
            time,
            nano: p.nano,
            utc_offset: 0,
            dump,
        };
        let schema = shared_decode::schema();
        let mut fields = Vec::new();
        for name in &p.fields {
            match schema.get(name) {
                Some(f) => fields.push(f),
                None => {
                    let hint = schema
                        .suggest(name)
                        .map(|s| format!(" (did you mean {s}?)"))
                        .unwrap_or_default();
                    anyhow::bail!("unknown field {name}{hint}");
                }
            }
        }
        if p.format == Format::Fields && fields.is_empty() {
            anyhow::bail!("--format fields needs at least one -E FIELD");
        }
        Ok(PacketPrinter {
            format: p.format,
            tcpdump: tcpdump::Printer::new(opts),
            json: (p.format == Format::Json).then(|| {
                let mut j = json::JsonWriter::new();
                j.set_payloads(p.payload);
                j
            }),
            cols: columns::Columns::default(),
            fields,
            tz_set: false,
        })
    }

    /// A header line for formats that have one.
    pub fn header(&self, buf: &mut String) {
        if self.format == Format::Fields {
            let names: Vec<&str> = self.fields.iter().map(|f| f.name).collect();
            buf.push_str(&names.join("\t"));
            buf.push('\n');
        }
    }

    /// Appends the packet's text to `buf`.
    pub fn print(&mut self, pkt: &Packet<'_>, buf: &mut String) {
        match self.format {
            Format::Text => {
                if !self.tz_set {
                    self.tcpdump.opts.utc_offset = crate::tz::utc_offset(pkt.meta.ts.secs);
                    self.tz_set = true;
                }
                self.tcpdump.write(pkt, buf);
            }
            Format::Json => {
                if let Some(j) = &mut self.json {
                    j.write_packet(pkt, buf);
                }
            }
            Format::Columns => {
                columns::columns(pkt, &mut self.cols);
                let c = &self.cols;
                let rel = pkt.meta.rel_ns as f64 / 1e9;
                use std::fmt::Write as _;
                let _ = writeln!(
                    buf,
                    "{:>5} {:>11.6} {:>15} → {:<15} {} {} {}",
                    pkt.meta.number,
                    rel,
                    c.source,
                    c.destination,
                    c.protocol,
                    pkt.meta.orig_len,
                    c.info
                );
            }
            Format::Tree => {
                tree::render(&tree::tree(pkt), buf);
                buf.push('\n');
            }
            Format::Fields => {
                let mut vals: Vec<String> = vec![String::new(); self.fields.len()];
                let mut sink = FieldCollector {
                    wanted: &self.fields,
                    vals: &mut vals,
                };
                pkt.emit(&mut sink);
                buf.push_str(&vals.join("\t"));
                buf.push('\n');
            }
        }
    }
}

/// Collects chosen fields as tshark's `-T fields -E occurrence=a -E aggregator=,` does.
struct FieldCollector<'w> {
    wanted: &'w [&'static shared_decode::FieldDef],
    vals: &'w mut [String],
}

impl<'a> shared_decode::field::Sink<'a> for FieldCollector<'_> {
    fn wants(&self, proto: &str) -> bool {
        proto == "frame" || self.wanted.iter().any(|f| f.protocol() == proto)
    }
    fn field(
        &mut self,
        def: &'static shared_decode::FieldDef,
        value: shared_decode::Value<'a>,
        _span: shared_decode::field::Span,
        _label: Option<std::fmt::Arguments<'_>>,
    ) {
        for (i, w) in self.wanted.iter().enumerate() {
            if std::ptr::eq(*w, def) {
                if let Some(v) = self.vals.get_mut(i) {
                    if !v.is_empty() {
                        v.push(',');
                    }
                    match def.ftype {
                        // tshark prints presence-only fields as 1.
                        shared_decode::field::FieldType::None => v.push('1'),
                        shared_decode::field::FieldType::Protocol => v.push_str(def.name),
                        _ => value.write_fields(def, v),
                    }
                }
            }
        }
    }
}

/// Opens the input: a file, or standard input for "-". [`Reader`] reads it in 1 MiB slices
/// and decompresses gzip. (Plain `read` beat a memory map here: 0.30 s against 0.38 s for a
/// filter over 848 MB, at 7 MB of memory instead of 40 MB, because page faults on the map
/// cost more than the copy.)
fn open_input(path: &std::path::Path) -> Result<Box<dyn Read>> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(std::io::stdin().lock()));
    }
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Box::new(f))
}

/// Calls `each` for every record (or file error) of the input, in order, until it returns
/// `false`; with `need_info`, also with what the file has said about itself so far (its
/// interfaces, for export), at the cost of copying each record out of the reader.
fn for_each_record_with_info(
    input: Box<dyn Read>,
    need_info: bool,
    mut each: impl FnMut(
        Result<&shared_decode::Record<'_>, shared_decode::file::FileError>,
        &shared_decode::file::CaptureInfo,
    ) -> Result<bool>,
) -> Result<()> {
    let mut reader = Reader::new(input);
    if !need_info {
        let empty = shared_decode::file::CaptureInfo::default();
        while let Some(r) = reader.next_record() {
            let go = match r {
                Ok(rec) => each(Ok(&rec), &empty)?,
                Err(e) => each(Err(e), &empty)?,
            };
            if !go {
                break;
            }
        }
        return Ok(());
    }
    let mut data = Vec::new();
    loop {
        // The record borrows the reader's buffer, so it is copied out before the reader's
        // file information is looked at.
        let r = match reader.next_record() {
            Some(Ok(rec)) => {
                data.clear();
                data.extend_from_slice(rec.data);
                Ok(shared_decode::Record {
                    data: &[],
                    options: shared_decode::file::Options::EMPTY,
                    ..rec
                })
            }
            Some(Err(e)) => Err(e),
            None => break,
        };
        let go = match r {
            Ok(rec) => {
                let rec = shared_decode::Record { data: &data, ..rec };
                each(Ok(&rec), reader.info())?
            }
            Err(e) => each(Err(e), reader.info())?,
        };
        if !go {
            break;
        }
    }
    Ok(())
}

/// A tcpdump expression compiled by libpcap, once per link type met in the file.
struct Bpf {
    text: String,
    progs: Vec<(u16, pcap::BpfProgram)>,
}

#[repr(C)]
struct PcapPkthdr {
    ts: libc::timeval,
    caplen: u32,
    len: u32,
}

extern "C" {
    fn pcap_offline_filter(
        prog: *const pcap::BpfProgram,
        h: *const PcapPkthdr,
        pkt: *const u8,
    ) -> libc::c_int;
}

/// Runs a BPF program on a packet with its real wire length (`greater`/`less` and `len`
/// read it; the `pcap` crate's `BpfProgram::filter` passes the captured length instead).
fn bpf_filter(prog: &pcap::BpfProgram, data: &[u8], orig_len: u32) -> bool {
    let h = PcapPkthdr {
        ts: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        caplen: data.len() as u32,
        len: orig_len.max(data.len() as u32),
    };
    // SAFETY: `BpfProgram` is `repr(transparent)` over libpcap's `struct bpf_program`, which
    // is what pcap_offline_filter reads; the header and the packet outlive the call and the
    // header's caplen is the packet slice's length.
    unsafe { pcap_offline_filter(prog, &h, data.as_ptr()) > 0 }
}

impl Bpf {
    fn matches(&mut self, rec: &shared_decode::Record<'_>) -> Result<bool> {
        let lt = rec.link_type.0;
        if let Some((_, p)) = self.progs.iter().find(|(l, _)| *l == lt) {
            return Ok(bpf_filter(p, rec.data, rec.orig_len));
        }
        let dead = pcap::Capture::dead(pcap::Linktype(i32::from(lt)))
            .with_context(|| format!("libpcap cannot filter link type {lt}"))?;
        let prog = dead
            .compile(&self.text, true)
            .map_err(|e| anyhow::anyhow!("bad tcpdump expression \"{}\": {e}", self.text))?;
        let m = bpf_filter(&prog, rec.data, rec.orig_len);
        self.progs.push((lt, prog));
        Ok(m)
    }
}

/// Runs `paircap read`.
pub fn run(a: &ReadArgs) -> Result<ExitCode> {
    let path = a
        .file_opt
        .as_ref()
        .or(a.file.as_ref())
        .context("no input file")?;
    let display = match &a.display_filter {
        Some(text) => match shared_decode::filter::compile(text) {
            Ok(f) => {
                if f.translated_from_bpf() && a.print.verbose > 0 {
                    eprintln!(
                        "paircap: -Y {text:?} read as tcpdump syntax: {}",
                        f.display()
                    );
                }
                Some(f)
            }
            Err(e) => anyhow::bail!("bad display filter:\n{}", e.render()),
        },
        None => None,
    };
    let mut bpf = (!a.expr.is_empty()).then(|| Bpf {
        text: a.expr.join(" "),
        progs: Vec::new(),
    });
    if let Some(b) = &bpf {
        // Syntax errors show up before any output, whatever the file's link type.
        pcap::Capture::dead(pcap::Linktype::ETHERNET)
            .and_then(|d| d.compile(&b.text, true))
            .map_err(|e| anyhow::anyhow!("bad tcpdump expression \"{}\": {e}", b.text))?;
    }
    let input = open_input(path)?;
    let flows = a.print.format != Format::Text || display.as_ref().is_some_and(|f| f.needs_flows());
    // Packets are dissected only as deep as the filter reads; printing needs all of it, so a
    // printed packet is dissected again. When many packets pass (more than a quarter of the
    // first 20,000), dissecting twice costs more than it saves: the rest are dissected fully.
    let mut lazy = match &display {
        Some(f) if !flows && f.depth() < Depth::All => Some(DissectOptions {
            max_depth: f.depth(),
        }),
        _ => None,
    };
    let (mut seen, mut passed) = (0u64, 0u64);
    let mut decoder = match (flows, lazy) {
        (true, _) => Decoder::new(),
        (false, Some(o)) => Decoder::with_options(o).without_flows(),
        (false, None) => Decoder::new().without_flows(),
    };
    let mut writer = match &a.write {
        Some(out) => {
            let f = std::fs::File::create(out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            let mut comments = vec![format!("exported by paircap read from {}", path.display())];
            let _ = &mut comments;
            if let Some(f) = &display {
                comments.push(format!("display filter: {}", f.display()));
            }
            if let Some(b) = &bpf {
                comments.push(format!("tcpdump filter: {}", b.text));
            }
            let w = std::io::BufWriter::with_capacity(1 << 20, f);
            if a.anonymize {
                use shared_decode::export::{Anonymizer, Payload};
                let key = match &a.anon_key {
                    Some(k) => k.clone(),
                    None => {
                        let k = random_key()?;
                        eprintln!("paircap: anonymized with key {k} (pass --anon-key {k} to anonymize the other file of a pair the same way)");
                        k
                    }
                };
                let payload = match a.anon_payload.as_str() {
                    "zero" => Payload::Zero,
                    "cut" => Payload::Truncate,
                    _ => Payload::Keep,
                };
                // Filter texts can name addresses: an anonymized file carries none of them.
                comments.clear();
                comments.insert(
                    0,
                    format!(
                        "anonymized export by paircap (payloads: {})",
                        a.anon_payload
                    ),
                );
                Some(shared_decode::export::Exporter::anonymized(
                    w,
                    comments,
                    Anonymizer::new(key.as_bytes(), payload),
                )?)
            } else {
                Some(shared_decode::export::Exporter::new(w, comments)?)
            }
        }
        None => None,
    };
    let mut info: Option<shared_decode::file::CaptureInfo> = None;
    let mut printer = PacketPrinter::new(&a.print)?;
    let mut out = output::stdout();
    let mut buf = String::with_capacity(512 * 1024);
    if writer.is_none() {
        printer.header(&mut buf);
    }
    let mut damaged = false;
    let mut n = 0u64;
    for_each_record_with_info(input, writer.is_some(), |r, file_info| {
        match r {
            Ok(rec) => {
                if let Some(b) = &mut bpf {
                    if !b.matches(rec)? {
                        // Still decoded (numbering, flow state), like tshark -Y over a file.
                        if display.is_some() || flows {
                            decoder.decode(rec);
                        }
                        return Ok(true);
                    }
                }
                let mut pkt = decoder.decode(rec);
                seen += 1;
                if display.as_ref().is_some_and(|f| !f.matches(&pkt)) {
                    return Ok(true);
                }
                passed += 1;
                if lazy.is_some() && writer.is_none() {
                    let meta = pkt.meta;
                    pkt = shared_decode::dissect::dissect(
                        rec,
                        meta.number,
                        DissectOptions::default(),
                    );
                    pkt.meta = meta;
                    if seen >= 20_000 && passed * 4 > seen {
                        lazy = None;
                        decoder.set_options(DissectOptions::default());
                    }
                }
                match &mut writer {
                    Some(w) => {
                        let i = info.get_or_insert_with(|| file_info.clone());
                        if i.interfaces.len() != file_info.interfaces.len() {
                            *i = file_info.clone();
                        }
                        w.write(i, rec).with_context(|| {
                            format!(
                                "cannot write {}",
                                a.write
                                    .as_ref()
                                    .map_or(String::new(), |p| p.display().to_string())
                            )
                        })?;
                    }
                    None => {
                        printer.print(&pkt, &mut buf);
                        output::flush_if_large(&mut buf, &mut out)?;
                    }
                }
                n += 1;
                if a.count.is_some_and(|c| n >= c) {
                    return Ok(false);
                }
            }
            Err(e) => {
                out.write_all(buf.as_bytes())?;
                buf.clear();
                out.flush()?;
                eprintln!("paircap: {}: {e}", path.display());
                damaged = true;
            }
        }
        Ok(true)
    })?;
    out.write_all(buf.as_bytes())?;
    out.flush()?;
    if let Some(w) = writer {
        let mut inner = w.finish()?;
        inner.flush()?;
    }
    Ok(if damaged {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// 128 random bits as hex, for an anonymization key.
fn random_key() -> Result<String> {
    let mut b = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .context("cannot read /dev/urandom")?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}
