//! Display filters: Wireshark's filter language, and tcpdump's, with one engine.
//!
//! ```
//! use shared_decode::filter;
//!
//! let f = filter::compile("ip.addr == 10.0.0.0/8 && tcp.flags.syn == 1").unwrap();
//! assert_eq!(f.display(), "ip.addr == 10.0.0.0/8 && tcp.flags.syn == 1");
//!
//! // tcpdump expressions are recognised and translated (or forced with `bpf:`).
//! let t = filter::compile("host 10.0.0.1 and port 22").unwrap();
//! assert!(t.translated_from_bpf());
//! assert!(t.display().starts_with("(ip.addr == 10.0.0.1 || "));
//!
//! let e = filter::compile("tcp.prot == 80").unwrap_err();
//! assert_eq!(e.message, "unknown field tcp.prot (did you mean tcp.port?)");
//! assert_eq!(e.suggestion.as_deref(), Some("tcp.port"));
//! ```
//!
//! Pipeline: `lexer` → `parser` (display syntax, typing literals with `check`) or `bpf`
//! (tcpdump syntax) → a checked [`ast::Expr`] → `compile`'s evaluation tree.
//! The checked tree prints back as the canonical display-filter text
//! ([`Filter::display`]); parsing that text gives the same tree.
//!
//! Semantics follow Wireshark 4 (checked against tshark 4.0 on the shared corpus by
//! `tests/filter_tshark.rs`): multi-valued fields match when any occurrence does, except
//! `!=`, which needs every occurrence to differ (`~=` is "any differs"); `any`/`all`
//! quantify explicitly; a test on an absent field is false (`!(…)` of it is true);
//! `matches` is case-insensitive unless the pattern says `(?-i)`; protocol slices cover
//! the protocol's header (`tcp[13]`), `contains` on a protocol searches to the end of its
//! data. What Wireshark 4.0 lacks and this adds: `xor`/`^^`.
//!
//! Invariants: no input makes this module panic; filter text is limited to
//! [`MAX_LEN`] bytes and [`MAX_DEPTH`] levels of nesting, so parsing, printing and
//! evaluating are bounded; evaluation allocates nothing on the heap for fields with fast
//! accessors, and at most the values of the fields it reads otherwise.
//!
//! Not here: capture-time BPF (libpcap compiles the expression in `capture-cli`), host
//! name resolution, display-filter functions (`len()`, `upper()`), arithmetic, field
//! references (`${…}`), layer operators (`ip.addr#2`).
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

pub mod ast;
pub(crate) mod bpf;
pub(crate) mod check;
pub(crate) mod compile;
pub mod error;
pub(crate) mod lexer;
pub(crate) mod parser;

pub use ast::Expr;
pub use compile::TRANSPORT_PROTOCOLS;
pub use error::{FilterError, MAX_DEPTH, MAX_LEN};

use crate::dissect::{Depth, Packet};
use crate::field::FieldDef;
use std::fmt;

/// The prefix that forces tcpdump syntax.
pub const BPF_PREFIX: &str = "bpf:";

/// A compiled filter.
#[derive(Clone, Debug)]
pub struct Filter {
    expr: Expr,
    program: compile::Program,
    fields: Vec<&'static FieldDef>,
    bpf: bool,
    needs_flows: bool,
}

/// Compiles filter text in either language.
///
/// Display-filter syntax is tried first; if the text is not a valid display filter, it is
/// read as a tcpdump expression (`host 10.0.0.1 and port 22`); `bpf:` in front forces
/// tcpdump syntax. When neither reading works, the error is the one that got further into
/// the text (display syntax on a tie).
///
/// # Errors
/// A [`FilterError`] with the byte range of the problem in `text`.
pub fn compile(text: &str) -> Result<Filter, FilterError> {
    if text.len() > MAX_LEN {
        return Err(FilterError::new(
            format!("filter longer than {MAX_LEN} bytes ({} bytes)", text.len()),
            MAX_LEN,
            text.len(),
        )
        .in_text(text));
    }
    let lead = text.len() - text.trim_start().len();
    let rest = text.get(lead..).unwrap_or("");
    if let Some(expr) = rest.strip_prefix(BPF_PREFIX) {
        let at = lead + BPF_PREFIX.len();
        let e = bpf::translate(expr).map_err(|e| e.shifted(at).in_text(text))?;
        return Ok(Filter::new(e, true));
    }
    match parser::parse(text) {
        Ok(e) => Ok(Filter::new(e, false)),
        Err(de) => match bpf::translate(text) {
            Ok(e) => Ok(Filter::new(e, true)),
            Err(be) if be.start > de.start => Err(be.in_text(text)),
            Err(_) => Err(de.in_text(text)),
        },
    }
}

impl Filter {
    fn new(expr: Expr, bpf: bool) -> Filter {
        let program = compile::Program::new(&expr);
        let mut fields: Vec<&'static FieldDef> = Vec::new();
        let mut needs_flows = false;
        expr.for_each_field(&mut |r| {
            if !fields.contains(&r.def) {
                fields.push(r.def);
            }
            needs_flows |= compile::field_needs_flows(r.def);
        });
        Filter {
            expr,
            program,
            fields,
            bpf,
            needs_flows,
        }
    }

    /// Whether the packet passes the filter.
    ///
    /// The packet should be dissected at least as deep as [`Filter::depth`]; when it was
    /// not (or the filter needs the inside of a UDP tunnel), it is dissected again here.
    /// Flow-derived fields ([`Filter::needs_flows`]) need a [`crate::Decoder`] with flow
    /// analysis; without it they are absent and tests on them are false.
    pub fn matches(&self, pkt: &Packet<'_>) -> bool {
        self.program.matches(pkt)
    }

    /// How deep packets must be dissected for this filter: `Network` when it reads only
    /// `frame.*`, `Transport` for link, network and transport fields (IP-in-IP and GRE
    /// tunnels are reached at this depth; UDP-port tunnels such as VXLAN are dissected on
    /// demand by [`Filter::matches`]), `All` for application fields and flow analysis.
    pub fn depth(&self) -> Depth {
        self.program.depth()
    }

    /// Whether the filter reads fields computed by flow analysis: `tcp.stream`, relative
    /// `tcp.seq`/`tcp.ack`, `tcp.analysis.*`, `udp.stream`, `icmp.resp_in`, …, and any
    /// application-layer field (the decoder drops the application layers of
    /// retransmitted segments, as Wireshark does).
    pub fn needs_flows(&self) -> bool {
        self.needs_flows
    }

    /// The canonical display-filter text (for a tcpdump expression, its translation).
    /// Compiling it gives an equal filter.
    pub fn display(&self) -> String {
        self.expr.to_string()
    }

    /// The fields the filter reads, each once, in order of appearance.
    pub fn fields(&self) -> Vec<&'static FieldDef> {
        self.fields.clone()
    }

    /// Whether the text was a tcpdump expression.
    pub fn translated_from_bpf(&self) -> bool {
        self.bpf
    }

    /// The checked expression.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }
}

impl PartialEq for Filter {
    /// Filters are equal when their checked expressions are (whatever the source syntax).
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.expr, f)
    }
}

#[cfg(test)]
mod tests;
