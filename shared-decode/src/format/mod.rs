//! Text and JSON output shared by the CLI, the viewer and the golden tests: Wireshark's
//! columns, tcpdump's one-line summaries, NDJSON, the details tree, hex dumps.

pub mod columns;
pub mod hexdump;
pub mod json;
pub mod tcpdump;
pub mod text;
pub mod time;
pub mod tree;
