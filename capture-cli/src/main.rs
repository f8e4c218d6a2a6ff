//! `paircap`: capture like tcpdump, read captures, compare a source and a target capture.
//!
//! A thin shell over `shared-decode` (decoding, formatting, filters, compare) and libpcap
//! (live capture). Exit codes: 0 success, 1 usage or runtime error, 2 the input file was
//! damaged (everything readable was still printed).

mod output;
mod read;
mod tz;

use anyhow::Result;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Capture on both ends, compare in the browser.
#[derive(Parser, Debug)]
#[command(name = "paircap", version, about, long_about = None, disable_help_subcommand = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Read a capture file (pcap, pcapng, gzip) and print it like tcpdump -r or tshark.
    Read(ReadArgs),
}

/// Output formats of `read`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// tcpdump-style lines (default).
    Text,
    /// Wireshark's packet-list columns.
    Columns,
    /// One JSON object per packet (NDJSON), keys are Wireshark field names.
    Json,
    /// The full details tree (like tshark -V).
    Tree,
    /// Tab-separated values of the fields given with -e (like tshark -T fields).
    Fields,
}

/// Options shared by `read` and `capture` for printing packets.
#[derive(Args, Debug, Clone)]
pub struct PrintArgs {
    /// Don't convert addresses to names (always on; accepted for tcpdump compatibility).
    #[arg(short = 'n', action = clap::ArgAction::Count)]
    pub numeric: u8,
    /// More detail (-v, -vv, -vvv).
    #[arg(short = 'v', action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print the link-level header.
    #[arg(short = 'e')]
    pub link: bool,
    /// Hex dump of each packet (-xx: include the link header).
    #[arg(short = 'x', action = clap::ArgAction::Count)]
    pub hex: u8,
    /// Hex and ASCII dump (-XX: include the link header).
    #[arg(short = 'X', action = clap::ArgAction::Count)]
    pub hex_ascii: u8,
    /// ASCII dump.
    #[arg(short = 'A')]
    pub ascii: bool,
    /// Less protocol detail.
    #[arg(short = 'q')]
    pub quiet: bool,
    /// Time stamp style: -t none, -tt epoch, -ttt delta, -tttt date, -ttttt since first.
    #[arg(short = 't', action = clap::ArgAction::Count)]
    pub time: u8,
    /// Print packet numbers.
    #[arg(short = '#', long = "number")]
    pub number: bool,
    /// Nanosecond time stamps.
    #[arg(long = "nano")]
    pub nano: bool,
    /// Output format.
    #[arg(long = "format", short = 'F', value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Field for --format fields (repeatable), e.g. -E ip.src -E tcp.port.
    #[arg(short = 'E', long = "field")]
    pub fields: Vec<String>,
    /// Include payload bytes (tcp.payload, data.data, ...) in --format json.
    #[arg(long = "payload")]
    pub payload: bool,
}

/// `paircap read`.
#[derive(Args, Debug)]
pub struct ReadArgs {
    /// The capture file ("-" for standard input).
    #[arg(value_name = "FILE", required_unless_present = "file_opt")]
    pub file: Option<PathBuf>,
    /// The capture file (tcpdump's -r).
    #[arg(short = 'r', value_name = "FILE")]
    pub file_opt: Option<PathBuf>,
    /// Stop after this many packets.
    #[arg(short = 'c')]
    pub count: Option<u64>,
    #[command(flatten)]
    pub print: PrintArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: Result<ExitCode> = match cli.command {
        Command::Read(a) => read::run(&a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if output::is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("paircap: {e:#}");
            ExitCode::from(1)
        }
    }
}
