//! # shared-decode
//!
//! paircap's one decode path, used by the CLI, the browser viewer (compiled to wasm32) and
//! the tests: capture files ([`file`]) in and out, dissection into a field tree
//! ([`dissect`]), one field schema with Wireshark's names ([`field`]), flow and TCP analysis
//! ([`flow`]), and the text/JSON formatting both front ends print ([`format`]).
//!
//! This crate never touches the file system, sockets, threads, clocks, libpcap or web APIs:
//! input is `&[u8]` or any `std::io::Read`, output is data or any `std::io::Write`.
//!
//! Read a capture, keep the packets a display filter selects, print one field of each:
//!
//! ```
//! use shared_decode::field::{FieldDef, Sink, Span, Value};
//! use shared_decode::{filter, schema, Decoder, SliceReader};
//! use std::fmt;
//!
//! // Collects the values of one field from what a packet emits.
//! struct One<'a>(&'static FieldDef, Vec<Value<'a>>);
//! impl<'a> Sink<'a> for One<'a> {
//!     fn wants(&self, proto: &str) -> bool {
//!         proto == self.0.protocol()
//!     }
//!     fn field(&mut self, def: &'static FieldDef, v: Value<'a>, _: Span, _: Option<fmt::Arguments<'_>>) {
//!         if def == self.0 {
//!             self.1.push(v);
//!         }
//!     }
//! }
//!
//! let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/demo.pcapng")).unwrap();
//! let wanted = filter::compile("dns.flags.response == 0 && dns.qry.type == 1").unwrap();
//! let name = schema().get("dns.qry.name").unwrap();
//! let mut decoder = Decoder::new();
//! let mut names = Vec::new();
//! for record in SliceReader::new(&bytes) {
//!     let packet = decoder.decode(&record.unwrap());
//!     if wanted.matches(&packet) {
//!         let mut sink = One(name, Vec::new());
//!         packet.emit(&mut sink);
//!         names.extend(sink.1.iter().map(|v| v.to_string()));
//!     }
//! }
//! println!("{}", names.join("\n"));
//! assert_eq!(names.len(), 42);
//! assert_eq!(names[0], "media.vertexharbor.com");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod compare;
mod decoder;
pub mod dissect;
pub mod error;
pub mod export;
pub mod field;
pub mod file;
pub mod filter;
pub mod flow;
pub mod format;
pub mod link;
pub mod stats;
pub mod text;

pub use decoder::Decoder;
pub use dissect::registry::schema;
pub use dissect::Packet;
pub use error::{DecodeError, Layer};
pub use field::{FieldDef, Value};
pub use file::{Reader, Record, SliceReader};
pub use filter::{Filter, FilterError};
