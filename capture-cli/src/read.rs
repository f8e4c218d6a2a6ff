//! `paircap read`: one decode path, several printers.

use crate::output;
use crate::{Format, PrintArgs, ReadArgs};
use anyhow::{Context, Result};
use shared_decode::dissect::Packet;
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
                    let hint = schema.suggest(name).map(|s| format!(" (did you mean {s}?)")).unwrap_or_default();
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
            json: (p.format == Format::Json).then(json::JsonWriter::new),
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
                    pkt.meta.number, rel, c.source, c.destination, c.protocol, pkt.meta.orig_len, c.info
                );
            }
            Format::Tree => {
                tree::render(&tree::tree(pkt), buf);
                buf.push('\n');
            }
            Format::Fields => {
                let mut vals: Vec<String> = vec![String::new(); self.fields.len()];
                let mut sink = FieldCollector { wanted: &self.fields, vals: &mut vals };
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

fn open_input(path: &std::path::Path) -> Result<Box<dyn Read>> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(std::io::stdin().lock()));
    }
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Box::new(f))
}

/// Runs `paircap read`.
pub fn run(a: &ReadArgs) -> Result<ExitCode> {
    let path = a.file_opt.as_ref().or(a.file.as_ref()).context("no input file")?;
    let mut reader = Reader::new(open_input(path)?);
    let mut decoder = Decoder::new();
    let mut printer = PacketPrinter::new(&a.print)?;
    let mut out = output::stdout();
    let mut buf = String::with_capacity(128 * 1024);
    printer.header(&mut buf);
    let mut damaged = false;
    let mut n = 0u64;
    while let Some(r) = reader.next_record() {
        match r {
            Ok(rec) => {
                let pkt = decoder.decode(&rec);
                printer.print(&pkt, &mut buf);
                output::flush_if_large(&mut buf, &mut out)?;
                n += 1;
                if a.count.is_some_and(|c| n >= c) {
                    break;
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
    }
    out.write_all(buf.as_bytes())?;
    out.flush()?;
    Ok(if damaged { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
