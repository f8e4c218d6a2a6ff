//! Text and JSON output shared by the CLI, the viewer and the golden tests: tcpdump's
//! one-line summaries, NDJSON, the details tree, hex dumps. (Wireshark's Protocol and Info
//! columns are written by the protocols themselves: [`crate::dissect::columns`].)

pub mod hexdump;
pub mod json;
pub mod tcpdump;
pub mod tree;
