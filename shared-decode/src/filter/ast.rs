//! The checked filter: every field is resolved to its [`FieldDef`] and every literal is a
//! typed constant of the field's type. Both languages compile to this tree, and its
//! [`Display`](std::fmt::Display) is the canonical display-filter text
//! (`parse(display(e)) == e`, checked by a property test).
//!
//! Shape rules that keep printing and parsing inverse to each other:
//! - `And`/`Or` hold two or more operands; a chain `a && b && c` parses into one node, and a
//!   parenthesised group of the same operator stays a child node (`a && (b && c)`).
//! - `Xor` is binary and left-associative.
//! - Quantifier and operator are kept apart ([`Quant`], [`Op`]): `!=` is `all … !=`, `~=` is
//!   `any … !=`, `===` is `all … ==` (Wireshark 4 semantics).
//! - `a not in {…}` is `!(a in {…})` (as in Wireshark, it is true when `a` is absent).

use crate::field::{Base, FieldDef, FieldType};
use std::fmt::{self, Write};

/// A filter expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// All operands are true (two or more).
    And(Vec<Expr>),
    /// Any operand is true (two or more).
    Or(Vec<Expr>),
    /// Exactly one side is true.
    Xor(Box<Expr>, Box<Expr>),
    /// Negation.
    Not(Box<Expr>),
    /// The field or protocol is present (`tcp`, `tcp.analysis.retransmission`,
    /// `tcp.payload[100]`: a slice exists when the field is long enough).
    Exists(FieldRef),
    /// A comparison.
    Test(Box<Test>),
}

/// A field, possibly sliced.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldRef {
    /// The field.
    pub def: &'static FieldDef,
    /// A byte range of its value.
    pub slice: Option<Slice>,
}

/// A byte range `[start:len]`; a negative `start` counts from the end; `len: None` runs
/// to the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slice {
    /// First byte (negative: from the end).
    pub start: i32,
    /// Number of bytes (`None`: to the end).
    pub len: Option<u32>,
}

/// Whether one occurrence of a multi-valued field must satisfy the test, or all of them.
/// With no occurrence at all, both are false.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quant {
    /// At least one occurrence.
    Any,
    /// Every occurrence (and at least one).
    All,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Equal (for addresses with a prefix: inside the network).
    Eq,
    /// Not equal.
    Ne,
    /// Less than.
    Lt,
    /// Less or equal.
    Le,
    /// Greater than.
    Gt,
    /// Greater or equal.
    Ge,
    /// Byte or text containment.
    Contains,
    /// Regular expression (case-insensitive unless the pattern says `(?-i)`, as Wireshark's).
    Matches,
    /// Member of a set.
    In,
    /// `field & mask` is non-zero (the operand has a mask and there is no right side).
    Nonzero,
}

/// One comparison: `quant lhs op rhs`.
#[derive(Clone, Debug, PartialEq)]
pub struct Test {
    /// Any or all occurrences.
    pub quant: Quant,
    /// The field side.
    pub lhs: Operand,
    /// The operator.
    pub op: Op,
    /// The other side.
    pub rhs: Rhs,
}

/// A field with an optional bitwise-and mask (`tcp.flags & 0x02`).
#[derive(Clone, Debug, PartialEq)]
pub struct Operand {
    /// The field.
    pub field: FieldRef,
    /// Mask applied before comparing (an integer, or bytes for slices and byte fields).
    pub mask: Option<Const>,
}

/// The right side of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum Rhs {
    /// None ([`Op::Nonzero`]).
    None,
    /// A constant.
    Const(Const),
    /// Another field (any pair of occurrences, or all pairs).
    Field(FieldRef),
    /// A set ([`Op::In`]).
    Set(Vec<SetItem>),
}

/// A member of a set.
#[derive(Clone, Debug, PartialEq)]
pub enum SetItem {
    /// One value.
    One(Const),
    /// An inclusive range `lo..hi`.
    Range(Const, Const),
}

/// A typed constant.
#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    /// Any integer field (unsigned, signed, boolean as 0/1, frame number).
    Int(i128),
    /// Floating point.
    Float(f64),
    /// IPv4 address with a prefix length (32 for a host).
    Ipv4([u8; 4], u8),
    /// IPv6 address with a prefix length (128 for a host).
    Ipv6([u8; 16], u8),
    /// MAC address.
    Ether([u8; 6]),
    /// Bytes (byte fields, protocols, slices).
    Bytes(Vec<u8>),
    /// Text.
    Str(String),
    /// A regular expression.
    Regex(Pattern),
    /// Absolute time, nanoseconds since the epoch.
    Time(i128),
    /// Relative time, nanoseconds.
    RelTime(i128),
}

/// A compiled regular expression that compares by its source text.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// The pattern as written (after string unescaping).
    pub source: String,
    pub(crate) re: regex::bytes::Regex,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Expr {
    /// `a && b && …`, without nesting a single operand.
    pub fn and(mut v: Vec<Expr>) -> Expr {
        if v.len() == 1 {
            if let Some(e) = v.pop() {
                return e;
            }
        }
        Expr::And(v)
    }

    /// `a || b || …`, without nesting a single operand.
    pub fn or(mut v: Vec<Expr>) -> Expr {
        if v.len() == 1 {
            if let Some(e) = v.pop() {
                return e;
            }
        }
        Expr::Or(v)
    }

    /// `!e`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(e: Expr) -> Expr {
        Expr::Not(Box::new(e))
    }

    /// Calls `f` on every field the expression reads.
    pub fn for_each_field(&self, f: &mut dyn FnMut(&FieldRef)) {
        match self {
            Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| e.for_each_field(f)),
            Expr::Xor(a, b) => {
                a.for_each_field(f);
                b.for_each_field(f);
            }
            Expr::Not(e) => e.for_each_field(f),
            Expr::Exists(r) => f(r),
            Expr::Test(t) => {
                f(&t.lhs.field);
                if let Rhs::Field(r) = &t.rhs {
                    f(r);
                }
            }
        }
    }

    /// Nesting depth of the tree (a leaf is 1).
    pub fn depth(&self) -> usize {
        match self {
            Expr::And(v) | Expr::Or(v) => 1 + v.iter().map(Expr::depth).max().unwrap_or(0),
            Expr::Xor(a, b) => 1 + a.depth().max(b.depth()),
            Expr::Not(e) => 1 + e.depth(),
            Expr::Exists(_) | Expr::Test(_) => 1,
        }
    }

    fn prec(&self) -> u8 {
        match self {
            Expr::Or(_) => 1,
            Expr::Xor(..) => 2,
            Expr::And(_) => 3,
            Expr::Not(_) => 4,
            Expr::Exists(_) | Expr::Test(_) => 5,
        }
    }
}

/// How a field's values (after slicing) are read and written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Integers (unsigned, signed, frame numbers); `hex` prints them in hex.
    Int {
        signed: bool,
        bits: u8,
        hex: bool,
    },
    /// Booleans (compared as 0/1).
    Bool,
    Float,
    Ipv4,
    Ipv6,
    Ether,
    /// Bytes: byte fields, protocols, and every slice.
    Bytes,
    Str,
    /// Absolute time; `epoch` prints as seconds since the epoch.
    Time {
        epoch: bool,
    },
    RelTime,
    /// Presence-only fields: no value to compare.
    Label,
}

impl FieldRef {
    /// The field without a slice.
    pub fn new(def: &'static FieldDef) -> FieldRef {
        FieldRef { def, slice: None }
    }

    /// How values of this (possibly sliced) field compare.
    pub(crate) fn kind(&self) -> Kind {
        if self.slice.is_some() {
            return Kind::Bytes;
        }
        kind_of(self.def)
    }
}

pub(crate) fn kind_of(def: &FieldDef) -> Kind {
    let hex = matches!(def.base, Base::Hex | Base::HexDec);
    match def.ftype {
        FieldType::Protocol | FieldType::Bytes => Kind::Bytes,
        FieldType::None => Kind::Label,
        FieldType::Bool => Kind::Bool,
        FieldType::UInt(bits) => Kind::Int {
            signed: false,
            bits,
            hex,
        },
        FieldType::Int(bits) => Kind::Int {
            signed: true,
            bits,
            hex: false,
        },
        FieldType::FrameNum => Kind::Int {
            signed: false,
            bits: 32,
            hex: false,
        },
        FieldType::Float => Kind::Float,
        FieldType::Ipv4 => Kind::Ipv4,
        FieldType::Ipv6 => Kind::Ipv6,
        FieldType::Ether => Kind::Ether,
        FieldType::Str => Kind::Str,
        FieldType::AbsTime => Kind::Time {
            epoch: def.base == Base::Dec,
        },
        FieldType::RelTime => Kind::RelTime,
    }
}

impl fmt::Display for Slice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.len {
            Some(1) => write!(f, "[{}]", self.start),
            Some(n) => write!(f, "[{}:{}]", self.start, n),
            None => write!(f, "[{}:]", self.start),
        }
    }
}

impl fmt::Display for FieldRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.def.name)?;
        if let Some(s) = self.slice {
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        write_expr(self, &mut s);
        f.write_str(&s)
    }
}

/// Writes `child` of an operator with precedence `prec`, in parentheses when it is another
/// binary operator (needed for same-operator groups, clearer for mixed ones).
fn write_child(child: &Expr, prec: u8, out: &mut String) {
    let p = child.prec();
    if p < 4 || p < prec {
        out.push('(');
        write_expr(child, out);
        out.push(')');
    } else {
        write_expr(child, out);
    }
}

fn write_expr(e: &Expr, out: &mut String) {
    match e {
        Expr::And(v) | Expr::Or(v) => {
            let sep = if matches!(e, Expr::And(_)) {
                " && "
            } else {
                " || "
            };
            for (i, c) in v.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                write_child(c, e.prec(), out);
            }
        }
        Expr::Xor(a, b) => {
            // Left-associative: a left Xor needs no parentheses.
            if matches!(**a, Expr::Xor(..)) {
                write_expr(a, out);
            } else {
                write_child(a, 2, out);
            }
            out.push_str(" ^^ ");
            write_child(b, 2, out);
        }
        Expr::Not(x) => {
            out.push('!');
            match **x {
                Expr::Exists(_) | Expr::Not(_) => write_expr(x, out),
                _ => {
                    out.push('(');
                    write_expr(x, out);
                    out.push(')');
                }
            }
        }
        Expr::Exists(r) => {
            let _ = write!(out, "{r}");
        }
        Expr::Test(t) => write_test(t, out),
    }
}

fn write_test(t: &Test, out: &mut String) {
    let op = match (t.quant, t.op) {
        (Quant::Any, Op::Eq) => Some("=="),
        (Quant::All, Op::Ne) => Some("!="),
        (Quant::All, Op::Eq) => Some("==="),
        (Quant::Any, Op::Ne) => Some("~="),
        _ => None,
    };
    if op.is_none() && t.quant == Quant::All {
        out.push_str("all ");
    }
    let kind = t.lhs.field.kind();
    let _ = write!(out, "{}", t.lhs.field);
    if let Some(m) = &t.lhs.mask {
        out.push_str(" & ");
        write_const(m, kind, false, out);
    }
    let op = op.unwrap_or(match t.op {
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Contains => "contains",
        Op::Matches => "matches",
        Op::In => "in",
        Op::Eq | Op::Ne | Op::Nonzero => "",
    });
    if t.op == Op::Nonzero {
        return;
    }
    out.push(' ');
    out.push_str(op);
    out.push(' ');
    match &t.rhs {
        Rhs::None => {}
        Rhs::Const(c) => write_const(c, kind, t.op == Op::Contains, out),
        Rhs::Field(r) => {
            let _ = write!(out, "{r}");
        }
        Rhs::Set(items) => {
            out.push('{');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match it {
                    SetItem::One(c) => write_const(c, kind, false, out),
                    SetItem::Range(a, b) => {
                        write_const(a, kind, false, out);
                        out.push_str("..");
                        write_const(b, kind, false, out);
                    }
                }
            }
            out.push('}');
        }
    }
}

/// Writes a constant so that parsing it against a field of kind `kind` gives it back.
pub(crate) fn write_const(c: &Const, kind: Kind, prefer_text: bool, out: &mut String) {
    match c {
        Const::Int(v) => match kind {
            Kind::Int { hex: true, .. } if *v >= 0 => {
                let _ = write!(out, "{v:#x}");
            }
            _ => {
                let _ = write!(out, "{v}");
            }
        },
        Const::Float(v) => {
            let _ = write!(out, "{v:?}");
        }
        Const::Ipv4(a, p) => {
            let _ = write!(out, "{}", std::net::Ipv4Addr::from(*a));
            if *p < 32 {
                let _ = write!(out, "/{p}");
            }
        }
        Const::Ipv6(a, p) => {
            let _ = write!(out, "{}", std::net::Ipv6Addr::from(*a));
            if *p < 128 {
                let _ = write!(out, "/{p}");
            }
        }
        Const::Ether(a) => crate::field::value::write_mac(a, out),
        Const::Bytes(b) => {
            let printable = b.len() > 1 && b.iter().all(|x| (0x20..0x7f).contains(x));
            if b.is_empty() || (prefer_text && printable) {
                write_quoted(b, out);
            } else {
                crate::field::value::write_hex_colon(b, out);
            }
        }
        Const::Str(s) => write_quoted(s.as_bytes(), out),
        Const::Regex(p) => write_quoted(p.source.as_bytes(), out),
        Const::Time(ns) => {
            if matches!(kind, Kind::Time { epoch: true }) {
                write_seconds(*ns, out);
            } else {
                write_iso(*ns, out);
            }
        }
        Const::RelTime(ns) => write_seconds(*ns, out),
    }
}

/// `"…"` with `\\`, `\"` and `\xHH` for control bytes; other bytes pass through (UTF-8
/// stays readable; lone high bytes are escaped so the text stays valid UTF-8).
pub(crate) fn write_quoted(b: &[u8], out: &mut String) {
    out.push('"');
    let mut rest = b;
    // Terminates: every step consumes at least one byte of `rest`.
    while !rest.is_empty() {
        let (valid, bad) = match std::str::from_utf8(rest) {
            Ok(s) => (s, &[][..]),
            Err(e) => {
                let (v, b) = rest.split_at(e.valid_up_to());
                (std::str::from_utf8(v).unwrap_or(""), b)
            }
        };
        for ch in valid.chars() {
            match ch {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c => out.push(c),
            }
        }
        match bad.split_first() {
            Some((x, tail)) => {
                let _ = write!(out, "\\x{x:02x}");
                rest = tail;
            }
            None => rest = &[],
        }
    }
    out.push('"');
}

/// Seconds with up to 9 decimals (`1.5`, `-0.000001`, `3`).
fn write_seconds(ns: i128, out: &mut String) {
    if ns < 0 {
        out.push('-');
    }
    let a = ns.unsigned_abs();
    let _ = write!(out, "{}", a / 1_000_000_000);
    let frac = a % 1_000_000_000;
    if frac != 0 {
        let s = format!("{frac:09}");
        out.push('.');
        out.push_str(s.trim_end_matches('0'));
    }
}

/// `"2010-01-01T00:00:00.5Z"` (UTC).
fn write_iso(ns: i128, out: &mut String) {
    let secs = ns.div_euclid(1_000_000_000);
    let frac = ns.rem_euclid(1_000_000_000);
    let secs = i64::try_from(secs).unwrap_or(0);
    let c = crate::text::time::civil(secs, 0);
    let _ = write!(
        out,
        "\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.min, c.sec
    );
    if frac != 0 {
        let s = format!("{frac:09}");
        out.push('.');
        out.push_str(s.trim_end_matches('0'));
    }
    out.push_str("Z\"");
}
