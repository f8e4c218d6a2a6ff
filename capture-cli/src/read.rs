//! `paircap read`: one decode path, several printers.

use crate::output;
use crate::{Format, PrintArgs, ReadArgs};
use anyhow::{Context, Result};
use shared_decode::dissect::columns;
use shared_decode::dissect::{Depth, DissectOptions, Packet};
use shared_decode::format::{json, tcpdump, tree};
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
    if !a.stats.is_empty() {
        return run_stats(a, path, display, bpf);
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
            let input: Vec<(u64, u64)> = crate::outfile::identity(path).into_iter().collect();
            let f = crate::outfile::create_private(out, a.file_mode, &input)?;
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
                use shared_decode::export::Payload;
                let payload = match a.anon_payload.as_str() {
                    "keep" => Payload::Keep,
                    "cut" => Payload::Truncate,
                    _ => Payload::Zero,
                };
                let anon = crate::anonkey::anonymizer(a, payload)?;
                // The section says only "anonymized": no origin name, hash or filter text.
                Some(shared_decode::export::Exporter::anonymized(w, anon)?)
            } else {
                Some(shared_decode::export::Exporter::new(w, comments)?)
            }
        }
        None => None,
    };
    let mut info: Option<shared_decode::file::CaptureInfo> = None;
    let mut printer = PacketPrinter::new(&a.print)?;
    let mut buf = String::with_capacity(512 * 1024);
    if writer.is_none() {
        printer.header(&mut buf);
    }
    // JSON and the details tree cost far more to format than to read and decode: a second
    // thread formats (and writes) whole batches while this one reads, decodes and tracks flows.
    let mut offload = if writer.is_none() && matches!(a.print.format, Format::Json | Format::Tree) {
        Some(Offload::start(
            PacketPrinter::new(&a.print)?,
            std::mem::take(&mut buf),
        ))
    } else {
        None
    };
    // The formatting thread holds the stdout lock while it runs; this thread writes only what
    // is left after it is done.
    let mut out: Box<dyn Write> = match offload {
        Some(_) => Box::new(output::Safe::new(std::io::stdout())),
        None => Box::new(output::stdout()),
    };
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
                let mut pkt = shared_decode::dissect::blank(rec, 0);
                decoder.decode_into(&mut pkt);
                seen += 1;
                if display.as_ref().is_some_and(|f| !f.matches(&pkt)) {
                    return Ok(true);
                }
                passed += 1;
                if lazy.is_some() && writer.is_none() {
                    // Dissected again, whole, in place (numbering, times, analysis stay).
                    pkt.redissect(DissectOptions::default());
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
                    None => match offload.as_mut() {
                        Some(o) => o.push(rec, &pkt, &mut printer)?,
                        None => {
                            printer.print(&pkt, &mut buf);
                            output::flush_if_large(&mut buf, &mut out)?;
                        }
                    },
                }
                n += 1;
                if a.count.is_some_and(|c| n >= c) {
                    return Ok(false);
                }
            }
            Err(e) => {
                // The message follows the packets read before the error, on a terminal too.
                let msg = format!("paircap: {}: {e}", path.display());
                match offload.as_mut() {
                    Some(o) => o.error_after_packets(msg)?,
                    None => {
                        out.write_all(buf.as_bytes())?;
                        buf.clear();
                        out.flush()?;
                        eprintln!("{msg}");
                    }
                }
                damaged = true;
            }
        }
        Ok(true)
    })?;
    if let Some(o) = offload {
        o.finish()?;
    }
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

/// `paircap read -z STAT...`: every packet that passes the filters feeds the statistics,
/// which print once the file is read.
fn run_stats(
    a: &ReadArgs,
    path: &std::path::Path,
    display: Option<shared_decode::filter::Filter>,
    mut bpf: Option<Bpf>,
) -> Result<ExitCode> {
    use shared_decode::stats::Stat;
    let mut stats = Vec::new();
    for z in &a.stats {
        stats.push(Stat::parse(z).map_err(|e| anyhow::anyhow!(e))?);
    }
    let mut decoder = Decoder::new();
    let mut damaged = false;
    let mut n = 0u64;
    for_each_record_with_info(open_input(path)?, false, |r, _| {
        match r {
            Ok(rec) => {
                let pass = match &mut bpf {
                    Some(b) => b.matches(rec)?,
                    None => true,
                };
                let mut pkt = shared_decode::dissect::blank(rec, 0);
                decoder.decode_into(&mut pkt);
                if !pass || display.as_ref().is_some_and(|f| !f.matches(&pkt)) {
                    return Ok(true);
                }
                for s in &mut stats {
                    s.observe(&pkt);
                }
                n += 1;
                if a.count.is_some_and(|c| n >= c) {
                    return Ok(false);
                }
            }
            Err(e) => {
                eprintln!("paircap: {}: {e}", path.display());
                damaged = true;
            }
        }
        Ok(true)
    })?;
    let mut buf = String::new();
    for s in &stats {
        if a.print.format == Format::Json {
            s.json(&mut buf);
            buf.push('\n');
        } else {
            s.text(&mut buf);
        }
    }
    // The statistics' text holds no control characters but follow's carriage returns,
    // which tshark passes through: kept when the output goes to a file or pipe (scripts
    // compare it with tshark's), escaped on a terminal.
    use std::io::IsTerminal as _;
    let mut out: Box<dyn Write> = if std::io::stdout().is_terminal() {
        Box::new(output::stdout())
    } else {
        Box::new(std::io::stdout().lock())
    };
    out.write_all(buf.as_bytes())?;
    out.flush()?;
    Ok(if damaged {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// 128 random bits as hex, for an anonymization key.
/// One packet handed to the formatting thread: its record's header fields and captured
/// bytes (a range of the batch's buffer), and what decoding in order found (numbering,
/// times, flow analysis), which dissecting one packet alone cannot know.
struct Item {
    data: (usize, usize),
    link_type: shared_decode::file::LinkType,
    interface: u32,
    ts: Option<shared_decode::file::Timestamp>,
    orig_len: u32,
    flags: Option<u32>,
    meta: shared_decode::dissect::FrameMeta,
    analysis: shared_decode::flow::PacketAnalysis,
    comments: Vec<String>,
}

#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    items: Vec<Item>,
}

/// What the formatting thread receives, in output order: packets to dissect and format, or
/// text this thread already formatted because the other one was behind.
enum Chunk {
    Packets(Batch),
    Text(String),
    /// A file error, printed to stderr once everything before it is written.
    Error(String),
}

/// Packets per chunk.
const BATCH: usize = 512;
/// Chunks queued for the formatting thread before this thread formats the next one itself.
const BEHIND: usize = 2;

/// A thread that formats packets in order and writes them to standard output, with this
/// thread taking over whole chunks whenever it is behind, so both cores stay busy whichever
/// side is slower (re-dissecting a packet costs about a fifth of formatting it as JSON).
/// Memory stays bounded: at most `BEHIND` + 2 chunks of `BATCH` packets exist at once.
struct Offload {
    tx: Option<std::sync::mpsc::SyncSender<Chunk>>,
    thread: Option<std::thread::JoinHandle<Result<()>>>,
    queued: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    batch: Batch,
    text: String,
    local: bool,
    in_chunk: usize,
}

impl Offload {
    /// Starts the thread with its printer and whatever text is already waiting (a header).
    fn start(mut printer: PacketPrinter, mut buf: String) -> Offload {
        use std::sync::atomic::Ordering;
        let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(BEHIND);
        let queued = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let q = queued.clone();
        let thread = std::thread::spawn(move || -> Result<()> {
            let mut out = output::stdout();
            for chunk in rx {
                match chunk {
                    Chunk::Text(t) => {
                        out.write_all(buf.as_bytes())?;
                        buf.clear();
                        out.write_all(t.as_bytes())?;
                    }
                    Chunk::Error(msg) => {
                        out.write_all(buf.as_bytes())?;
                        buf.clear();
                        out.flush()?;
                        eprintln!("{msg}");
                    }
                    Chunk::Packets(batch) => {
                        for it in &batch.items {
                            let rec = shared_decode::Record {
                                offset: 0,
                                block_len: 0,
                                interface: it.interface,
                                link_type: it.link_type,
                                ts: it.ts,
                                orig_len: it.orig_len,
                                data: batch.data.get(it.data.0..it.data.1).unwrap_or(&[]),
                                flags: it.flags,
                                drop_count: None,
                                options: shared_decode::file::Options::EMPTY,
                            };
                            let mut pkt = shared_decode::dissect::blank(&rec, it.meta.number);
                            pkt.meta = it.meta;
                            pkt.analysis = it.analysis.clone();
                            for c in &it.comments {
                                let _ = pkt.comments.try_push(c.as_str());
                            }
                            pkt.redissect(DissectOptions::default());
                            printer.print(&pkt, &mut buf);
                            output::flush_if_large(&mut buf, &mut out)?;
                        }
                    }
                }
                q.fetch_sub(1, Ordering::Relaxed);
            }
            out.write_all(buf.as_bytes())?;
            out.flush()?;
            Ok(())
        });
        Offload {
            tx: Some(tx),
            thread: Some(thread),
            queued,
            batch: Batch::default(),
            text: String::new(),
            local: false,
            in_chunk: 0,
        }
    }

    fn push(
        &mut self,
        rec: &shared_decode::Record<'_>,
        pkt: &Packet<'_>,
        printer: &mut PacketPrinter,
    ) -> Result<()> {
        if self.in_chunk == 0 {
            self.local = self.queued.load(std::sync::atomic::Ordering::Relaxed) >= BEHIND;
        }
        if self.local {
            printer.print(pkt, &mut self.text);
        } else {
            let start = self.batch.data.len();
            self.batch.data.extend_from_slice(rec.data);
            self.batch.items.push(Item {
                data: (start, self.batch.data.len()),
                link_type: rec.link_type,
                interface: rec.interface,
                ts: rec.ts,
                orig_len: rec.orig_len,
                flags: rec.flags,
                meta: pkt.meta,
                analysis: pkt.analysis.clone(),
                comments: pkt.comments.iter().map(|c| (*c).to_string()).collect(),
            });
        }
        self.in_chunk += 1;
        if self.in_chunk >= BATCH {
            self.send()?;
        }
        Ok(())
    }

    /// Queues the packets so far, then the error message.
    fn error_after_packets(&mut self, msg: String) -> Result<()> {
        if self.in_chunk > 0 {
            self.send()?;
        }
        self.queue(Chunk::Error(msg))
    }

    fn send(&mut self) -> Result<()> {
        let chunk = if self.local {
            Chunk::Text(std::mem::take(&mut self.text))
        } else {
            Chunk::Packets(std::mem::take(&mut self.batch))
        };
        self.in_chunk = 0;
        self.queue(chunk)
    }

    fn queue(&mut self, chunk: Chunk) -> Result<()> {
        self.queued
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let failed = self.tx.as_ref().is_none_or(|tx| tx.send(chunk).is_err());
        if failed {
            // The thread stopped (a closed pipe, a write error): its error says why.
            self.tx = None;
            self.join()?;
            anyhow::bail!("the formatting thread stopped");
        }
        Ok(())
    }

    fn join(&mut self) -> Result<()> {
        self.tx = None;
        match self.thread.take() {
            Some(t) => t
                .join()
                .map_err(|_| anyhow::anyhow!("the formatting thread failed"))?,
            None => Ok(()),
        }
    }

    /// Sends what is left and waits until everything is written.
    fn finish(mut self) -> Result<()> {
        if self.in_chunk > 0 {
            self.send()?;
        }
        self.join()
    }
}

impl Drop for Offload {
    /// An early return still writes what was formatted (`finish` reports the errors).
    fn drop(&mut self) {
        if self.in_chunk > 0 {
            let _ = self.send();
        }
        let _ = self.join();
    }
}
