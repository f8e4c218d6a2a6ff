//! `paircap read`: one decode path, several printers.

use crate::output;
use crate::{Format, PrintArgs, ReadArgs};
use anyhow::{Context, Result};
use shared_decode::dissect::Packet;
use shared_decode::format::{columns, json, tcpdump, tree};
use shared_decode::{Decoder, Reader, SliceReader};
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

/// The input as a memory map when it is a regular, uncompressed file (no copy at all), else
/// as a stream (gzip, pipes, standard input).
enum Input {
    Mapped(memmap2::Mmap),
    Stream(Box<dyn Read>),
}

fn open_input(path: &std::path::Path) -> Result<Input> {
    if path.as_os_str() == "-" {
        return Ok(Input::Stream(Box::new(std::io::stdin().lock())));
    }
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let meta = f
        .metadata()
        .with_context(|| format!("cannot stat {}", path.display()))?;
    if meta.is_file() && meta.len() >= 4 {
        // SAFETY: the map is read-only and lives as long as `Input`; if another process
        // truncates the file while we read it, reads past the new end fault (as with any
        // reader of a file being truncated), which is the documented mmap hazard we accept
        // for a 10x cheaper read path on multi-gigabyte captures.
        let map = unsafe { memmap2::Mmap::map(&f) }
            .with_context(|| format!("cannot map {}", path.display()))?;
        if !map.starts_with(&[0x1f, 0x8b]) {
            return Ok(Input::Mapped(map));
        }
    }
    Ok(Input::Stream(Box::new(f)))
}

/// Calls `each` for every record (or file error) of the input, in order, until it returns
/// `false`.
fn for_each_record(
    input: Input,
    mut each: impl FnMut(
        Result<&shared_decode::Record<'_>, shared_decode::file::FileError>,
    ) -> Result<bool>,
) -> Result<()> {
    match input {
        Input::Mapped(map) => {
            let _ = map.advise(memmap2::Advice::Sequential);
            // Pages already read are dropped from our resident set every 16 MiB, so memory
            // stays flat whatever the file size (they remain in the page cache).
            const RELEASE_EVERY: usize = 16 << 20;
            let mut released = 0usize;
            for r in SliceReader::new(&map) {
                if let Ok(rec) = &r {
                    let pos = rec.offset as usize;
                    if pos >= released + 2 * RELEASE_EVERY {
                        let upto = (pos - RELEASE_EVERY) & !0xfff;
                        // SAFETY: the range is page-aligned, inside the map and behind every
                        // record still borrowed; for a read-only file mapping DONTNEED only
                        // drops pages, which are re-read from the file if touched again.
                        let _ = unsafe {
                            map.unchecked_advise_range(
                                memmap2::UncheckedAdvice::DontNeed,
                                released,
                                upto - released,
                            )
                        };
                        released = upto;
                    }
                }
                let go = match &r {
                    Ok(rec) => each(Ok(rec))?,
                    Err(e) => each(Err(e.clone()))?,
                };
                if !go {
                    break;
                }
            }
        }
        Input::Stream(s) => {
            let mut reader = Reader::new(s);
            while let Some(r) = reader.next_record() {
                let go = match r {
                    Ok(rec) => each(Ok(&rec))?,
                    Err(e) => each(Err(e))?,
                };
                if !go {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Runs `paircap read`.
pub fn run(a: &ReadArgs) -> Result<ExitCode> {
    let path = a
        .file_opt
        .as_ref()
        .or(a.file.as_ref())
        .context("no input file")?;
    let input = open_input(path)?;
    let mut decoder = if a.print.format == Format::Text {
        Decoder::new().without_flows()
    } else {
        Decoder::new()
    };
    let mut printer = PacketPrinter::new(&a.print)?;
    let mut out = output::stdout();
    let mut buf = String::with_capacity(512 * 1024);
    printer.header(&mut buf);
    let mut damaged = false;
    let mut n = 0u64;
    for_each_record(input, |r| {
        match r {
            Ok(rec) => {
                let pkt = decoder.decode(rec);
                printer.print(&pkt, &mut buf);
                output::flush_if_large(&mut buf, &mut out)?;
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
    Ok(if damaged {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
