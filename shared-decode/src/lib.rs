//! # shared-decode
//!
//! paircap's one decode path, used by the CLI, the browser viewer (compiled to wasm32) and
//! the tests: capture files ([`file`]) in and out, dissection into a field tree
//! ([`dissect`]), one field schema with Wireshark's names ([`field`]), flow and TCP analysis
//! ([`flow`]), and the text/JSON formatting both front ends print ([`format`]).
//!
//! This crate never touches the file system, sockets, threads, clocks, libpcap or web APIs:
//! input is `&[u8]` or any `std::io::Read`, output is data or any `std::io::Write`.
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
pub mod text;

pub use decoder::Decoder;
pub use dissect::registry::schema;
pub use dissect::Packet;
pub use error::{DecodeError, Layer};
pub use field::{FieldDef, Value};
pub use file::{Reader, Record, SliceReader};
pub use filter::{Filter, FilterError};
