//! One field schema for everything: the details tree, the JSON output, the display filter
//! and the compare diff all name fields the way Wireshark does (`ip.src`, `tcp.flags.syn`).
//!
//! A field is a `static` [`FieldDef`] declared in its protocol's module; its identity is its
//! address, so passing `&'static FieldDef` around costs nothing and needs no registration
//! step. [`schema()`] collects every module's list for name lookup (filters, autocompletion).
//!
//! Dissectors *emit* fields into a [`Sink`]; each consumer implements the sink it needs
//! (tree builder, JSON writer, filter value collector) and can decline whole protocols with
//! [`Sink::wants`] so work is only done for what is used.

pub(crate) mod value;

pub use value::{format_bits, Value};

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};

/// Type of a field's values (Wireshark's `ftenum`, reduced).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// A protocol (the field exists when the protocol is present).
    Protocol,
    /// No value: the field's presence is the information (`tcp.analysis.retransmission`).
    None,
    /// Boolean.
    Bool,
    /// Unsigned integer of the given bit width.
    UInt(u8),
    /// Signed integer.
    Int(u8),
    /// Floating point.
    Float,
    /// IPv4 address.
    Ipv4,
    /// IPv6 address.
    Ipv6,
    /// 48-bit MAC address.
    Ether,
    /// Byte string.
    Bytes,
    /// Text.
    Str,
    /// Absolute time.
    AbsTime,
    /// Relative time in seconds (nanosecond precision).
    RelTime,
    /// A frame number (a reference to another packet).
    FrameNum,
}

impl FieldType {
    /// Short name for error messages and the schema listing.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Protocol => "protocol",
            FieldType::None => "label",
            FieldType::Bool => "boolean",
            FieldType::UInt(8) => "unsigned integer (8 bits)",
            FieldType::UInt(16) => "unsigned integer (16 bits)",
            FieldType::UInt(24) => "unsigned integer (24 bits)",
            FieldType::UInt(32) => "unsigned integer (32 bits)",
            FieldType::UInt(_) => "unsigned integer",
            FieldType::Int(_) => "signed integer",
            FieldType::Float => "floating point",
            FieldType::Ipv4 => "IPv4 address",
            FieldType::Ipv6 => "IPv6 address",
            FieldType::Ether => "Ethernet address",
            FieldType::Bytes => "byte sequence",
            FieldType::Str => "character string",
            FieldType::AbsTime => "date and time",
            FieldType::RelTime => "time offset",
            FieldType::FrameNum => "frame number",
        }
    }

    /// Whether values are integers (so `&`, ranges and integer literals apply).
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            FieldType::UInt(_) | FieldType::Int(_) | FieldType::FrameNum | FieldType::Bool
        )
    }
}

/// How integers are displayed (Wireshark's `field_display_e`, reduced).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Base {
    /// Decimal.
    Dec,
    /// Hexadecimal, zero-padded to the field width (`0x0800`).
    Hex,
    /// Decimal with hex in parentheses.
    DecHex,
    /// Hexadecimal with decimal in parentheses.
    HexDec,
    /// Not an integer.
    None,
}

/// A named value of an integer field (Wireshark's `value_string`).
pub type ValueNames = &'static [(u64, &'static str)];

/// Definition of one field.
#[derive(Debug)]
pub struct FieldDef {
    /// Filter name, e.g. `tcp.srcport`.
    pub name: &'static str,
    /// Label in the details tree, e.g. `Source Port`.
    pub label: &'static str,
    /// Value type.
    pub ftype: FieldType,
    /// Integer display base.
    pub base: Base,
    /// Bit mask inside the parent integer (0 = the whole value).
    pub mask: u64,
    /// Names of values (`6` → `TCP`).
    pub names: Option<ValueNames>,
    /// Presentation flags ([`FieldDef::BULK`], [`FieldDef::DETAIL`], [`FieldDef::HIDDEN`]).
    pub flags: u8,
    /// Dense index assigned by [`schema()`] (`u32::MAX` until then).
    index: AtomicU32,
}

impl FieldDef {
    /// A field with no mask and no value names.
    pub const fn new(
        name: &'static str,
        label: &'static str,
        ftype: FieldType,
        base: Base,
    ) -> Self {
        FieldDef {
            name,
            label,
            ftype,
            base,
            mask: 0,
            names: None,
            flags: 0,
            index: AtomicU32::new(u32::MAX),
        }
    }

    /// A dense index (0..schema().len()) for bitsets and tables; `u32::MAX` for a field that
    /// is in no protocol's list. Assigned when the schema is built
    /// ([`crate::schema`]); every field reached by name comes from it, so it is built by then.
    pub fn id(&self) -> u32 {
        self.index.load(Ordering::Relaxed)
    }

    /// [`id`](Self::id) without making sure the schema exists (hot paths that built it).
    pub(crate) fn id_fast(&self) -> u32 {
        self.index.load(Ordering::Relaxed)
    }

    /// A protocol field (`tcp`).
    pub const fn proto(name: &'static str, label: &'static str) -> Self {
        FieldDef::new(name, label, FieldType::Protocol, Base::None)
    }

    /// Same field with a bit mask.
    pub const fn masked(mut self, mask: u64) -> Self {
        self.mask = mask;
        self
    }

    /// Bulk bytes (payloads): left out of JSON unless asked for, since they dominate it.
    pub const BULK: u8 = 1;
    /// Layout detail (raw option bytes, option kinds): shown in the tree, left out of JSON.
    pub const DETAIL: u8 = 2;
    /// A filter convenience (`ip.addr`, `tcp.port`): in JSON and filters, not a tree line.
    pub const HIDDEN: u8 = 4;

    /// Same field marked as bulk payload bytes.
    pub const fn bulk(mut self) -> Self {
        self.flags |= Self::BULK;
        self
    }

    /// Same field marked as layout detail.
    pub const fn detail(mut self) -> Self {
        self.flags |= Self::DETAIL;
        self
    }

    /// Same field marked hidden in the tree.
    pub const fn hidden(mut self) -> Self {
        self.flags |= Self::HIDDEN;
        self
    }

    /// Whether a flag is set.
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// Same field with value names.
    pub const fn named(mut self, names: ValueNames) -> Self {
        self.names = Some(names);
        self
    }

    /// The protocol part of the name (`tcp` for `tcp.flags.syn`).
    pub fn protocol(&self) -> &'static str {
        self.name.split('.').next().unwrap_or(self.name)
    }

    /// The name of an integer value, if the field has value names.
    pub fn value_name(&self, v: u64) -> Option<&'static str> {
        self.names?.iter().find(|(k, _)| *k == v).map(|(_, n)| *n)
    }
}

impl PartialEq for FieldDef {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl fmt::Display for FieldDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// A byte range relative to the start of the frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// Offset from the first byte of the frame.
    pub off: u32,
    /// Length in bytes (0 for generated fields).
    pub len: u32,
}

impl Span {
    /// A span of `len` bytes at `off`.
    pub fn new(off: usize, len: usize) -> Span {
        Span {
            off: off as u32,
            len: len as u32,
        }
    }

    /// A zero-length span (generated fields).
    pub const NONE: Span = Span { off: 0, len: 0 };

    /// End offset.
    pub fn end(self) -> u32 {
        self.off + self.len
    }
}

/// Severity of an expert annotation (Wireshark's `PI_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// A packet comment.
    Comment,
    /// Informational, e.g. a handshake step.
    Chat,
    /// Notable, e.g. a duplicate ACK.
    Note,
    /// Suspicious, e.g. a retransmission or a bad checksum.
    Warn,
    /// A malformed packet.
    Error,
}

impl Severity {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Comment => "comment",
            Severity::Chat => "chat",
            Severity::Note => "note",
            Severity::Warn => "warning",
            Severity::Error => "error",
        }
    }
}

/// Group of an expert annotation (Wireshark's `PI_*` groups, named as tshark prints them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// A checksum is wrong.
    Checksum,
    /// Protocol sequence (TCP analysis, handshakes, request and response lines).
    Sequence,
    /// A response code.
    Response,
    /// A request code.
    Request,
    /// Data not dissected.
    Undecoded,
    /// Reassembly.
    Reassemble,
    /// A malformed field or packet.
    Malformed,
    /// A protocol rule is broken.
    Protocol,
    /// A security problem.
    Security,
    /// A packet comment.
    Comment,
    /// Decryption.
    Decryption,
    /// An assumption the dissector made.
    Assumption,
    /// A deprecated feature.
    Deprecated,
}

impl Group {
    /// The name tshark prints (`Sequence`).
    pub fn name(self) -> &'static str {
        match self {
            Group::Checksum => "Checksum",
            Group::Sequence => "Sequence",
            Group::Response => "Response",
            Group::Request => "Request",
            Group::Undecoded => "Undecoded",
            Group::Reassemble => "Reassemble",
            Group::Malformed => "Malformed",
            Group::Protocol => "Protocol",
            Group::Security => "Security",
            Group::Comment => "Comment",
            Group::Decryption => "Decryption",
            Group::Assumption => "Assumption",
            Group::Deprecated => "Deprecated",
        }
    }
}

/// Receives the fields a dissector emits, in tree order.
///
/// Contract: every [`open`](Sink::open) is matched by a [`close`](Sink::close); fields between
/// them are its children. `label` is the text a tree shows; `None` means "derive it from the
/// definition and value" (`Source Port: 443`).
pub trait Sink<'a> {
    /// Whether fields of the protocol named `proto` (`tcp`) are wanted. Emitters skip a
    /// protocol's fields (but not its presence) when this returns false. Default: all.
    fn wants(&self, proto: &str) -> bool {
        let _ = proto;
        true
    }

    /// Whether tree labels are used (emitters skip building label text otherwise).
    fn wants_labels(&self) -> bool {
        false
    }

    /// A field without children.
    fn field(
        &mut self,
        def: &'static FieldDef,
        value: Value<'a>,
        span: Span,
        label: Option<fmt::Arguments<'_>>,
    );

    /// A field whose children follow until the matching [`close`](Sink::close).
    fn open(
        &mut self,
        def: &'static FieldDef,
        value: Value<'a>,
        span: Span,
        label: Option<fmt::Arguments<'_>>,
    ) {
        self.field(def, value, span, label);
    }

    /// Ends the innermost open field.
    fn close(&mut self) {}

    /// A text-only tree line (no field), e.g. `[SEQ/ACK analysis]`.
    fn text(&mut self, span: Span, label: fmt::Arguments<'_>) {
        let _ = (span, label);
    }

    /// An expert annotation attached to the innermost open field.
    fn expert(
        &mut self,
        severity: Severity,
        group: Group,
        message: fmt::Arguments<'_>,
        span: Span,
    ) {
        let _ = (severity, group, message, span);
    }
}

/// All fields, for name lookup.
pub struct Schema {
    by_name: HashMap<&'static str, &'static FieldDef>,
    all: Vec<&'static FieldDef>,
}

impl Schema {
    /// The field with this filter name.
    pub fn get(&self, name: &str) -> Option<&'static FieldDef> {
        self.by_name.get(name).copied()
    }

    /// Every field, sorted by name (position = [`FieldDef::id`]).
    pub fn all(&self) -> &[&'static FieldDef] {
        &self.all
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.all.len()
    }

    /// Whether the schema is empty (never, in practice).
    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// Fields whose names start with `prefix` (autocompletion).
    pub fn completions<'s>(
        &'s self,
        prefix: &'s str,
    ) -> impl Iterator<Item = &'static FieldDef> + 's {
        let start = self.all.partition_point(|f| f.name < prefix);
        self.all
            .get(start..)
            .unwrap_or(&[])
            .iter()
            .take_while(move |f| f.name.starts_with(prefix))
            .copied()
    }

    /// The closest known name (for "did you mean ...?"), by edit distance.
    pub fn suggest(&self, name: &str) -> Option<&'static str> {
        let mut best: Option<(usize, &'static str)> = None;
        for f in &self.all {
            let d = edit_distance(name, f.name);
            if d <= 2.max(name.len() / 4) && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, f.name));
            }
        }
        best.map(|(_, n)| n)
    }
}

/// Levenshtein distance (bounded inputs: filter identifiers).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(c) = cur.get_mut(j + 1) {
                *c = sub.min(del).min(ins);
            }
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

impl Schema {
    /// The schema of these field lists: sorted by name, one field per name, and each
    /// field's dense index assigned (see [`FieldDef::id`]). Built once, by
    /// [`crate::dissect::registry::schema`], from every protocol's list.
    pub fn build<'l>(lists: impl IntoIterator<Item = &'l [&'static FieldDef]>) -> Schema {
        let mut all: Vec<&'static FieldDef> = Vec::new();
        for list in lists {
            all.extend_from_slice(list);
        }
        all.sort_by_key(|f| f.name);
        all.dedup_by_key(|f| f.name);
        for (i, f) in all.iter().enumerate() {
            f.index.store(i as u32, Ordering::Relaxed);
        }
        let by_name = all.iter().map(|f| (f.name, *f)).collect();
        Schema { by_name, all }
    }
}
