//! IO statistics (`-z io,stat,INTERVAL[,COLUMN…]`): per time interval from the first packet,
//! for each column, the frames and bytes of the packets its display filter passes, or a
//! function of a field over them — `COUNT(f)`, `SUM(f)`, `MIN(f)`, `MAX(f)`, `AVG(f)`,
//! each optionally followed by a filter (tshark's `SUM(frame.len)tcp.port == 80`). The
//! numbers are tshark's (a test compares them cell by cell); the box is drawn in tshark's
//! style, not byte for byte. The viewer draws the same rows as a graph.

use std::fmt::Write as _;

use crate::dissect::Packet;
use crate::field::{FieldDef, FieldType, Sink, Span, Value};
use crate::filter::Filter;

/// Most intervals (rows) counted: a longer capture needs a longer interval.
pub const MAX_ROWS: usize = 1_000_000;
/// Most cells (rows × columns, 32 bytes each) held.
pub const MAX_CELLS: usize = 4_000_000;

/// What a column computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Calc {
    /// Frames and bytes of the packets the filter passes.
    FramesBytes,
    /// How many times the field occurs.
    Count,
    /// Sum of the field's values.
    Sum,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// Mean value.
    Avg,
}

impl Calc {
    fn name(self) -> &'static str {
        match self {
            Calc::FramesBytes => "",
            Calc::Count => "COUNT",
            Calc::Sum => "SUM",
            Calc::Min => "MIN",
            Calc::Max => "MAX",
            Calc::Avg => "AVG",
        }
    }
}

/// One column of the table.
pub struct Column {
    /// The column's text as given (`tcp`, `SUM(frame.len)frame.len`).
    pub spec: String,
    /// What it computes.
    pub calc: Calc,
    /// The field of a function.
    pub field: Option<&'static FieldDef>,
    filter: Option<Filter>,
}

/// One interval of one column.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cell {
    /// Packets the column's filter passed.
    pub frames: u64,
    /// Their bytes (on the wire).
    pub bytes: u64,
    /// Occurrences of the field (COUNT, and AVG's divisor).
    pub num: u64,
    /// SUM / MIN / MAX accumulator (relative times in nanoseconds).
    pub value: f64,
}

/// IO statistics being counted.
pub struct Io {
    /// Interval in nanoseconds (0: the whole capture is one interval).
    pub interval_ns: u64,
    /// Decimal places of the interval as given (`0.5` → 1).
    precision: usize,
    /// The columns.
    pub columns: Vec<Column>,
    /// Rows × columns.
    rows: Vec<Vec<Cell>>,
    first_ns: Option<i128>,
    last_rel_ns: u64,
    /// Packets past [`MAX_ROWS`] intervals, not counted.
    pub overflow: u64,
}

/// Collects one field's values from a packet.
struct Values {
    def: &'static FieldDef,
    found: Vec<f64>,
}

impl<'a> Sink<'a> for Values {
    fn wants(&self, proto: &str) -> bool {
        self.def.name.split('.').next() == Some(proto)
    }
    fn field(
        &mut self,
        def: &'static FieldDef,
        value: Value<'a>,
        _span: Span,
        _label: Option<std::fmt::Arguments<'_>>,
    ) {
        if !std::ptr::eq(def, self.def) || self.found.len() >= 4096 {
            return;
        }
        let v = match value {
            Value::UInt(v) => v as f64,
            Value::Int(v) => v as f64,
            Value::Float(v) => v,
            Value::Bool(b) => f64::from(u8::from(b)),
            // Relative times in whole nanoseconds (exact to 104 days): tshark's rounding.
            Value::RelTime(ns) => ns as f64,
            // Presence only (COUNT of a flag or a protocol).
            _ => 0.0,
        };
        self.found.push(v);
    }
    fn open(
        &mut self,
        def: &'static FieldDef,
        value: Value<'a>,
        span: Span,
        label: Option<std::fmt::Arguments<'_>>,
    ) {
        self.field(def, value, span, label);
    }
}

impl Io {
    /// Parses `INTERVAL[,COLUMN…]` (what follows `io,stat,`).
    pub fn parse(args: &[&str]) -> Result<Io, String> {
        let Some((interval, cols)) = args.split_first() else {
            return Err(
                "-z io,stat,INTERVAL[,FILTER|FUNC(field)[FILTER]…]: give an interval in seconds"
                    .into(),
            );
        };
        let secs: f64 = interval
            .parse()
            .ok()
            .filter(|s: &f64| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| format!("-z io,stat,{interval}: the interval is a number of seconds"))?;
        let interval_ns = (secs * 1e9).round() as u64;
        if secs > 0.0 && interval_ns < 1_000 {
            return Err(format!(
                "-z io,stat,{interval}: the shortest interval is 0.000001 s"
            ));
        }
        let precision = interval
            .split_once('.')
            .map_or(0, |(_, d)| d.trim_end_matches('0').len().min(6));
        let mut columns = Vec::new();
        for spec in cols.iter().copied() {
            columns.push(parse_column(spec)?);
        }
        if columns.is_empty() {
            columns.push(Column {
                spec: String::new(),
                calc: Calc::FramesBytes,
                field: None,
                filter: None,
            });
        }
        Ok(Io {
            interval_ns,
            precision,
            columns,
            rows: Vec::new(),
            first_ns: None,
            last_rel_ns: 0,
            overflow: 0,
        })
    }

    /// Whether only frame times and lengths are counted (no filter, no field).
    pub fn headers_only(&self) -> bool {
        self.columns
            .iter()
            .all(|c| c.calc == Calc::FramesBytes && c.filter.is_none())
    }

    /// The rows: one per interval from the first packet, every column's cell.
    pub fn rows(&self) -> &[Vec<Cell>] {
        &self.rows
    }

    /// Counts one packet.
    pub fn observe(&mut self, pkt: &Packet<'_>) {
        let t = i128::from(pkt.meta.ts.secs) * 1_000_000_000 + i128::from(pkt.meta.ts.nanos);
        let first = *self.first_ns.get_or_insert(t);
        // Packets stamped before the first count in the first interval (tshark drops them).
        let rel = u64::try_from(t - first).unwrap_or(0);
        let row = rel.checked_div(self.interval_ns).unwrap_or(0) as usize;
        if row >= MAX_ROWS || row.saturating_mul(self.columns.len()) >= MAX_CELLS {
            self.overflow += 1;
            return;
        }
        self.last_rel_ns = self.last_rel_ns.max(rel);
        let ncols = self.columns.len();
        if self.rows.len() <= row {
            self.rows.resize(row + 1, vec![Cell::default(); ncols]);
        }
        let len = u64::from(pkt.meta.orig_len);
        for (c, col) in self.columns.iter().enumerate() {
            if col.filter.as_ref().is_some_and(|f| !f.matches(pkt)) {
                continue;
            }
            let Some(cell) = self.rows.get_mut(row).and_then(|r| r.get_mut(c)) else {
                continue;
            };
            cell.frames += 1;
            cell.bytes += len;
            let Some(def) = col.field else { continue };
            let mut v = Values {
                def,
                found: Vec::new(),
            };
            pkt.emit(&mut v);
            for x in v.found {
                match col.calc {
                    Calc::Min if cell.num == 0 || x < cell.value => cell.value = x,
                    Calc::Max if cell.num == 0 || x > cell.value => cell.value = x,
                    Calc::Sum | Calc::Avg => cell.value += x,
                    _ => {}
                }
                cell.num += 1;
            }
        }
    }

    /// A cell's value as tshark prints it.
    fn cell_text(&self, col: &Column, cell: &Cell) -> String {
        let time = col.field.is_some_and(|f| f.ftype == FieldType::RelTime);
        let v = match col.calc {
            Calc::FramesBytes => return String::new(),
            Calc::Count => return cell.num.to_string(),
            Calc::Avg if cell.num > 0 => cell.value / cell.num as f64,
            Calc::Avg => 0.0,
            _ => cell.value,
        };
        if time {
            // tshark: integer nanoseconds (an average truncated), rounded to microseconds.
            let us = (v.trunc() as i128 + 500).div_euclid(1000);
            format!(
                "{}.{:06}",
                us.div_euclid(1_000_000),
                us.rem_euclid(1_000_000)
            )
        } else if col.field.is_some_and(|f| f.ftype == FieldType::Float) {
            format!("{v:.3}")
        } else {
            format!("{}", v.round() as i64)
        }
    }

    /// Interval bounds as text (`0.5 <> 1.0`; the last row ends at `Dur`).
    fn bounds(&self, row: usize, last: bool) -> (String, String) {
        let p = self.precision;
        let secs = |ns: u64| {
            if p == 0 {
                (ns / 1_000_000_000).to_string()
            } else {
                format!("{:.*}", p, ns as f64 / 1e9)
            }
        };
        let start = self.interval_ns.saturating_mul(row as u64);
        if self.interval_ns == 0 {
            return ("0".into(), "Dur".into());
        }
        let end = if last {
            if p == 0 {
                "Dur".into()
            } else {
                let mut d = format!("{:.*}", p, self.last_rel_ns as f64 / 1e9);
                if d <= secs(start) {
                    d = secs(start + self.interval_ns);
                }
                d
            }
        } else {
            secs(start + self.interval_ns)
        };
        (secs(start), end)
    }

    /// The table, in tshark's layout.
    pub fn text(&self, out: &mut String) {
        // Cells: per column, its headers and its values per row.
        let mut heads: Vec<Vec<String>> = Vec::new();
        let mut cells: Vec<Vec<Vec<String>>> = Vec::new();
        for (c, col) in self.columns.iter().enumerate() {
            match col.calc {
                Calc::FramesBytes => {
                    heads.push(vec!["Frames".into(), "Bytes".into()]);
                    cells.push(
                        self.rows
                            .iter()
                            .map(|r| {
                                let x = r.get(c).copied().unwrap_or_default();
                                vec![x.frames.to_string(), x.bytes.to_string()]
                            })
                            .collect(),
                    );
                }
                calc => {
                    heads.push(vec![calc.name().into()]);
                    cells.push(
                        self.rows
                            .iter()
                            .map(|r| {
                                vec![self.cell_text(col, &r.get(c).copied().unwrap_or_default())]
                            })
                            .collect(),
                    );
                }
            }
        }
        let n = self.rows.len().max(1);
        let bounds: Vec<(String, String)> = (0..n).map(|i| self.bounds(i, i + 1 == n)).collect();
        let (w0, w1) = bounds
            .iter()
            .fold((1, 3), |(a, b), (s, e)| (a.max(s.len()), b.max(e.len())));
        let interval_w = (w0 + w1 + 4).max(8);
        // Widths of every value cell: the header or the widest value, plus a space each side.
        let mut widths: Vec<Vec<usize>> = Vec::new();
        for (c, h) in heads.iter().enumerate() {
            widths.push(
                h.iter()
                    .enumerate()
                    .map(|(k, name)| {
                        cells
                            .get(c)
                            .into_iter()
                            .flatten()
                            .filter_map(|r| r.get(k))
                            .map(String::len)
                            .max()
                            .unwrap_or(0)
                            .max(name.len())
                    })
                    .collect(),
            );
        }
        let row_w: usize =
            1 + (interval_w + 2) + widths.iter().flatten().map(|w| w + 3).sum::<usize>();
        let secs_text = if self.precision == 0 {
            format!("{:.6}", self.last_rel_ns as f64 / 1e9)
        } else {
            format!("{:.*}", self.precision, self.last_rel_ns as f64 / 1e9)
        };
        let interval_text = if self.interval_ns == 0 {
            "Entire capture".to_string()
        } else if self.precision == 0 {
            format!("{} secs", self.interval_ns / 1_000_000_000)
        } else {
            format!("{:.*} secs", self.precision, self.interval_ns as f64 / 1e9)
        };
        let mut info = vec![
            "IO Statistics".to_string(),
            String::new(),
            format!("Duration: {secs_text} secs"),
            format!("Interval: {interval_text}"),
            String::new(),
        ];
        for (c, col) in self.columns.iter().enumerate() {
            let name = if col.spec.is_empty() {
                "Frames and bytes".to_string()
            } else {
                col.spec.clone()
            };
            info.push(if c == 0 {
                format!("Col {}: {name}", c + 1)
            } else {
                format!("    {}: {name}", c + 1)
            });
        }
        let width = info
            .iter()
            .map(|l| l.chars().count() + 3)
            .max()
            .unwrap_or(0)
            .max(row_w);
        let rule = |ch: char| format!("{}\n", ch.to_string().repeat(width));
        out.push('\n');
        out.push_str(&rule('='));
        for l in &info {
            let _ = writeln!(out, "| {l:<w$}|", w = width - 3);
        }
        let _ = writeln!(out, "|{}|", "-".repeat(width - 2));
        // Column numbers, headers, rows.
        let mut nums = format!("|{:w$}|", "", w = interval_w + 2);
        let mut names = format!("| {:<w$} |", "Interval", w = interval_w);
        for (c, ws) in widths.iter().enumerate() {
            let span: usize = ws.iter().map(|w| w + 3).sum::<usize>() - 1;
            let _ = write!(nums, "{:<span$}|", c + 1);
            for (k, w) in ws.iter().enumerate() {
                let h = heads
                    .get(c)
                    .and_then(|h| h.get(k))
                    .map_or("", String::as_str);
                let _ = write!(names, " {h:^w$} |");
            }
        }
        // A line narrower than the box gets the box's right border after spaces.
        let pad = |s: &str| {
            if s.len() + 1 < width {
                format!("{s}{}|\n", " ".repeat(width - s.len() - 1))
            } else {
                format!("{s}\n")
            }
        };
        out.push_str(&pad(&nums));
        out.push_str(&pad(&names));
        out.push_str(&pad(&format!("|{}|", "-".repeat(row_w - 2))));
        for (i, (s, e)) in bounds.iter().enumerate() {
            let iv = format!("{s:>w0$} <> {e:<w1$}");
            let mut line = format!("| {iv:<w$} |", w = interval_w);
            for (c, ws) in widths.iter().enumerate() {
                for (k, w) in ws.iter().enumerate() {
                    let v = cells
                        .get(c)
                        .and_then(|r| r.get(i))
                        .and_then(|r| r.get(k))
                        .map_or("0", String::as_str);
                    let _ = write!(line, " {v:>w$} |");
                }
            }
            out.push_str(&pad(&line));
        }
        out.push_str(&rule('='));
        if self.overflow > 0 {
            let _ = writeln!(
                out,
                "{} packets past the first {MAX_ROWS} intervals ({MAX_CELLS} cells) were not counted: give a longer interval",
                self.overflow
            );
        }
    }

    /// `{"statistic":"io,stat","interval":S,"columns":[…],"rows":[{"start":S,"cells":[…]}]}`.
    pub fn json(&self, out: &mut String) {
        use crate::format::json::push_json_str;
        let _ = write!(
            out,
            "{{\"statistic\":\"io,stat\",\"interval\":{},\"duration\":{},\"columns\":[",
            self.interval_ns as f64 / 1e9,
            self.last_rel_ns as f64 / 1e9
        );
        for (c, col) in self.columns.iter().enumerate() {
            if c > 0 {
                out.push(',');
            }
            out.push_str("{\"spec\":");
            push_json_str(out, &col.spec);
            out.push_str(",\"calc\":");
            push_json_str(
                out,
                if col.calc == Calc::FramesBytes {
                    "FRAMES BYTES"
                } else {
                    col.calc.name()
                },
            );
            out.push('}');
        }
        out.push_str("],\"rows\":[");
        for (i, r) in self.rows.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"start\":{},\"cells\":[",
                self.interval_ns.saturating_mul(i as u64) as f64 / 1e9
            );
            for (c, (col, cell)) in self.columns.iter().zip(r).enumerate() {
                if c > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{{\"frames\":{},\"bytes\":{}", cell.frames, cell.bytes);
                if col.calc != Calc::FramesBytes {
                    let _ = write!(out, ",\"value\":{}", self.cell_text(col, cell));
                }
                out.push('}');
            }
            out.push_str("]}");
        }
        let _ = write!(out, "],\"overflow\":{}}}", self.overflow);
    }

    /// The rows as a table for the viewer (each row filters to its interval).
    pub fn grid(&self) -> super::Grid {
        let mut g = super::Grid {
            columns: vec!["Interval start (s)".to_string()],
            numeric: vec![true],
            rows: Vec::new(),
            tree: false,
        };
        for col in &self.columns {
            let name = if col.spec.is_empty() {
                "all"
            } else {
                &col.spec
            };
            match col.calc {
                Calc::FramesBytes => {
                    g.columns.push(format!("Packets ({name})"));
                    g.columns.push(format!("Bytes ({name})"));
                    g.numeric.extend([true, true]);
                }
                _ => {
                    g.columns.push(name.to_string());
                    g.numeric.push(true);
                }
            }
        }
        let first = self.first_ns.unwrap_or(0);
        for (i, r) in self.rows.iter().enumerate() {
            let start = self.interval_ns.saturating_mul(i as u64);
            let mut cells = vec![format!("{:.6}", start as f64 / 1e9)];
            for (col, cell) in self.columns.iter().zip(r) {
                if col.calc == Calc::FramesBytes {
                    cells.push(cell.frames.to_string());
                    cells.push(cell.bytes.to_string());
                } else {
                    cells.push(self.cell_text(col, cell));
                }
            }
            let filter = (self.interval_ns > 0).then(|| {
                let a = first + i128::from(start);
                let b = a + i128::from(self.interval_ns);
                format!(
                    "frame.time_epoch >= {} && frame.time_epoch < {}",
                    epoch_text(a),
                    epoch_text(b)
                )
            });
            g.rows.push((cells, filter));
        }
        g
    }
}

/// Nanoseconds since the epoch as seconds with nine decimals.
fn epoch_text(ns: i128) -> String {
    let s = ns.div_euclid(1_000_000_000);
    let n = ns.rem_euclid(1_000_000_000);
    format!("{s}.{n:09}")
}

fn parse_column(spec: &str) -> Result<Column, String> {
    for (name, calc) in [
        ("COUNT(", Calc::Count),
        ("SUM(", Calc::Sum),
        ("MIN(", Calc::Min),
        ("MAX(", Calc::Max),
        ("AVG(", Calc::Avg),
    ] {
        let Some(rest) = spec.strip_prefix(name) else {
            continue;
        };
        let Some((field, filter)) = rest.split_once(')') else {
            return Err(format!("-z io,stat: {spec:?}: {name}FIELD) lacks its ')'"));
        };
        let def = crate::dissect::registry::schema()
            .get(field.trim())
            .ok_or_else(|| format!("-z io,stat: {spec:?}: no field named {field:?}"))?;
        if calc != Calc::Count
            && !matches!(
                def.ftype,
                FieldType::UInt(_)
                    | FieldType::Int(_)
                    | FieldType::Float
                    | FieldType::RelTime
                    | FieldType::FrameNum
            )
        {
            return Err(format!(
                "-z io,stat: {spec:?}: {} needs a number or a time (use COUNT)",
                calc.name()
            ));
        }
        let filter = filter.trim();
        return Ok(Column {
            spec: spec.to_string(),
            calc,
            field: Some(def),
            filter: if filter.is_empty() {
                None
            } else {
                Some(compile(spec, filter)?)
            },
        });
    }
    if spec.starts_with("LOAD(") {
        return Err(format!("-z io,stat: {spec:?}: LOAD is not supported"));
    }
    Ok(Column {
        spec: spec.to_string(),
        calc: Calc::FramesBytes,
        field: None,
        filter: if spec.trim().is_empty() {
            None
        } else {
            Some(compile(spec, spec)?)
        },
    })
}

fn compile(spec: &str, filter: &str) -> Result<Filter, String> {
    crate::filter::compile(filter).map_err(|e| format!("-z io,stat: {spec:?}: {e}"))
}
