//! `paircap`: capture like tcpdump, read captures, compare a source and a target capture.
//!
//! A thin shell over `shared-decode` (decoding, formatting, filters, compare) and libpcap
//! (live capture). Exit codes: 0 success, 1 usage or runtime error, 2 the input file was
//! damaged (everything readable was still printed).

mod anonkey;
mod capture;
mod compare;
mod interfaces;
mod link;
mod offload;
mod outfile;
mod output;
mod read;
mod savefile;
mod signals;
mod tz;
mod view;
mod viewroute;

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
    /// Capture live traffic like tcpdump (pcapng by default, with metadata and rotation).
    Capture(Box<CaptureArgs>),
    /// Read a capture file (pcap, pcapng, gzip) and print it like tcpdump -r or tshark.
    Read(Box<ReadArgs>),
    /// List the interfaces you can capture on (like tcpdump -D).
    Interfaces,
    /// Compare a source and a target capture of the same traffic: lost, extra, duplicated,
    /// reordered and modified packets, delays, clock offset, NAT.
    Compare(Box<CompareArgs>),
    /// Serve the browser viewer (built in) on 127.0.0.1 with these captures, and open it.
    View(ViewArgs),
    /// Print a view link (files' SHA-256, filter, packet; never packet data) for support.
    Link(LinkArgs),
}

/// `paircap capture`: tcpdump's flags, same meaning.
#[derive(Args, Debug)]
pub struct CaptureArgs {
    /// Interface to capture on (repeatable; "any" for all). Default: the first non-loopback one.
    #[arg(short = 'i', value_name = "IFACE")]
    pub interfaces: Vec<String>,
    /// List the interfaces and exit.
    #[arg(short = 'D')]
    pub list_interfaces: bool,
    /// Snapshot length in bytes (0 = 262144, the default).
    #[arg(short = 's', value_name = "SNAPLEN")]
    pub snaplen: Option<u32>,
    /// Stop after this many packets.
    #[arg(short = 'c', value_name = "COUNT")]
    pub count: Option<u64>,
    /// Write packets to this file (pcapng unless --pcap) instead of printing them.
    #[arg(short = 'w', value_name = "FILE")]
    pub write: Option<std::path::PathBuf>,
    /// Permissions of the files written (octal; default 0600 like dumpcap, as captures hold
    /// payloads): e.g. 0640 to share them with a group. The umask still applies.
    #[arg(long = "file-mode", value_name = "MODE", value_parser = outfile::parse_mode, default_value = "0600")]
    pub file_mode: u32,
    /// Rotate when a file would exceed this size: millions of bytes, or with a k/m/g suffix.
    #[arg(short = 'C', value_name = "SIZE")]
    pub file_size: Option<String>,
    /// Start a new file every this many seconds (file name through strftime).
    #[arg(short = 'G', value_name = "SECONDS")]
    pub rotate_secs: Option<u64>,
    /// With -C: keep this many files (ring); with -G: stop after this many files.
    #[arg(short = 'W', value_name = "N")]
    pub max_files: Option<u32>,
    /// Kernel buffer size in KiB (default 4096).
    #[arg(short = 'B', value_name = "KIB")]
    pub buffer_kib: Option<u64>,
    /// Don't put the interface into promiscuous mode.
    #[arg(short = 'p')]
    pub no_promisc: bool,
    /// Direction: in, out or inout.
    #[arg(short = 'Q', value_name = "DIR")]
    pub direction: Option<String>,
    /// Deliver packets as soon as they arrive (no kernel batching).
    #[arg(long = "immediate-mode")]
    pub immediate: bool,
    /// Read the capture filter from this file.
    #[arg(short = 'F', value_name = "FILE")]
    pub filter_file: Option<std::path::PathBuf>,
    /// Time stamp precision: micro or nano.
    #[arg(long = "time-stamp-precision", value_name = "micro|nano", value_parser = ["micro", "nano"])]
    pub precision: Option<String>,
    /// Drop root privileges to this user after opening the interfaces.
    #[arg(short = 'Z', value_name = "USER")]
    pub user: Option<String>,
    /// Stop after this many seconds.
    #[arg(long = "duration", value_name = "SECONDS")]
    pub duration: Option<f64>,
    /// Which end of the path this capture is (recorded in the file).
    #[arg(long = "role", value_parser = ["source", "target"])]
    pub role: Option<String>,
    /// The other end, HOST[:PORT]: adds "host HOST [and port PORT]" to the filter and is recorded.
    #[arg(long = "peer", value_name = "HOST[:PORT]")]
    pub peer: Option<String>,
    /// A comment stored in the file.
    #[arg(long = "comment", value_name = "TEXT")]
    pub comment: Option<String>,
    /// Write classic pcap instead of pcapng.
    #[arg(long = "pcap")]
    pub classic_pcap: bool,
    /// Display filter for what is printed live (Wireshark or tcpdump syntax; like tshark -Y).
    /// Not with -w: files keep what the capture filter (EXPRESSION) lets through.
    #[arg(
        short = 'Y',
        long = "display-filter",
        value_name = "FILTER",
        conflicts_with = "write"
    )]
    pub display_filter: Option<String>,
    #[command(flatten)]
    pub print: PrintArgs,
    /// Capture filter (libpcap/tcpdump syntax), e.g. host 203.0.113.9 and port 443.
    #[arg(trailing_var_arg = true, value_name = "EXPRESSION")]
    pub expr: Vec<String>,
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
    #[arg(long = "format", value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Field for --format fields (repeatable), e.g. -E ip.src -E tcp.port.
    #[arg(short = 'E', long = "field")]
    pub fields: Vec<String>,
    /// Include payload bytes (tcp.payload, data.data, ...) in --format json.
    #[arg(long = "payload")]
    pub payload: bool,
}

/// `paircap link`.
#[derive(Args, Debug)]
pub struct LinkArgs {
    /// The capture (the source, when comparing).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The target capture of a compare.
    #[arg(long = "target", value_name = "FILE")]
    pub target: Option<PathBuf>,
    /// Display filter to put in the link.
    #[arg(short = 'Y', long = "display-filter", value_name = "FILTER")]
    pub filter: Option<String>,
    /// Packet (frame number) to select.
    #[arg(long = "packet", value_name = "N")]
    pub packet: Option<u64>,
    /// Packet (frame number) to select in the target.
    #[arg(long = "target-packet", value_name = "N")]
    pub target_packet: Option<u64>,
    /// Time column: rel, abs, delta or utc.
    #[arg(long = "time-format", value_parser = ["rel", "abs", "delta", "utc"])]
    pub time_format: Option<String>,
    /// Clock offset of the target relative to the source, in milliseconds (compare).
    #[arg(long = "offset", value_name = "MS")]
    pub offset_ms: Option<f64>,
    /// A short note (at most 280 characters).
    #[arg(long = "note")]
    pub note: Option<String>,
    /// Where the viewer is (the link is BASE#v=1&…).
    #[arg(long = "base", default_value = "http://127.0.0.1:8080/")]
    pub base: String,
}

/// `paircap view`.
#[derive(Args, Debug)]
pub struct ViewArgs {
    /// A capture to open (the source, when comparing): a file, or a set (a directory of files, or a quoted pattern such as 'dump*.pcap').
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// A second capture (the target) to compare with the first (a file or a set, likewise).
    #[arg(value_name = "TARGET", requires = "file")]
    pub target: Option<PathBuf>,
    /// Port on 127.0.0.1 (default: any free port).
    #[arg(long = "port", default_value_t = 0)]
    pub port: u16,
    /// Print the URL without opening a browser.
    #[arg(long = "no-open")]
    pub no_open: bool,
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
    /// Stop after this many packets (that pass the filters).
    #[arg(short = 'c')]
    pub count: Option<u64>,
    /// Display filter: Wireshark syntax (tcp.port == 443 && ip.addr == 10.0.0.0/8), or a
    /// tcpdump expression, which is translated (the translation is printed with -v).
    #[arg(short = 'Y', long = "display-filter", value_name = "FILTER")]
    pub display_filter: Option<String>,
    /// Write the packets that pass the filters to this pcapng file instead of printing them.
    #[arg(short = 'w', value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Permissions of the file written with -w (octal; default 0600).
    #[arg(long = "file-mode", value_name = "MODE", value_parser = outfile::parse_mode, default_value = "0600", requires = "write")]
    pub file_mode: u32,
    /// With -w: replace addresses with consistent pseudonyms (prefix-preserving IPv4/IPv6,
    /// MAC), fix checksums, drop interface names and comments.
    #[arg(long = "anonymize", requires = "write")]
    pub anonymize: bool,
    /// Passphrase for --anonymize: the same passphrase maps addresses the same way in every
    /// file (use one for both files of a pair). Stretched with Argon2id. Visible to other
    /// users in the process list: prefer --anon-key-file. Default: a random key, used once
    /// and never shown (the mapping cannot be repeated).
    #[arg(
        long = "anon-key",
        value_name = "PASSPHRASE",
        requires = "anonymize",
        conflicts_with = "anon_key_file"
    )]
    pub anon_key: Option<String>,
    /// Read the --anonymize passphrase from this file; if it does not exist, a random
    /// 128-bit key is written to it (mode 0600), to anonymize the other file of a pair
    /// with the same file.
    #[arg(long = "anon-key-file", value_name = "FILE", requires = "anonymize")]
    pub anon_key_file: Option<PathBuf>,
    /// Payloads with --anonymize: zero (default: lengths kept, contents gone), cut (cut
    /// after the headers), or keep (application data such as DNS names, TLS server names
    /// and HTTP headers stays readable). Bytes after a header paircap does not understand
    /// are zeroed or cut in every mode.
    #[arg(long = "anon-payload", value_parser = ["keep", "zero", "cut"], default_value = "zero", requires = "anonymize")]
    pub anon_payload: String,
    /// Statistics instead of packets, in tshark's -z layout (repeatable): conv,TYPE and
    /// endpoints,TYPE (TYPE: eth, ip, ipv6, tcp, udp), io,phs, expert[,error|warn|note|chat],
    /// follow,tcp,raw|ascii|hex,STREAM.
    /// Counted over the packets that pass -Y and the tcpdump expression; with --format json,
    /// one JSON object per statistic.
    #[arg(short = 'z', value_name = "STAT")]
    pub stats: Vec<String>,
    #[command(flatten)]
    pub print: PrintArgs,
    /// tcpdump filter expression, compiled by libpcap and run on the raw bytes (like
    /// tcpdump -r FILE EXPRESSION), e.g. tcp port 443 and host 10.1.1.19.
    #[arg(trailing_var_arg = true, value_name = "EXPRESSION")]
    pub expr: Vec<String>,
}

/// `paircap compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    /// One end's capture (the source: usually the client's side): a file, a directory of
    /// files (a rotated set), or a quoted pattern such as 'dump*.pcap'. Traffic goes both
    /// ways: which capture sent each packet is found per flow.
    #[arg(value_name = "SRC")]
    pub source: PathBuf,
    /// The other end's capture (the target: usually the server's side), likewise.
    #[arg(value_name = "DST")]
    pub target: PathBuf,
    /// Report only packets that pass this display filter on either side (matching still
    /// uses every packet, so a packet's twin is found even if NAT changed the filtered field).
    #[arg(short = 'Y', long = "display-filter", value_name = "FILTER")]
    pub display_filter: Option<String>,
    /// Output format.
    #[arg(long = "format", value_enum, default_value_t = compare::CompareFormat::Text)]
    pub format: compare::CompareFormat,
    /// Also list every packet: {source, target, at, sent_by, status, delay_ms}.
    #[arg(long = "packets")]
    pub packets: bool,
    /// Network or server? Per TCP handshake, DNS query, TLS handshake and HTTP/1 request
    /// seen at both ends: the time on the path there, at the server, on the path back.
    #[arg(long = "transactions")]
    pub transactions: bool,
    /// The target clock's offset from the source clock in milliseconds, when known (skips
    /// the estimate).
    #[arg(long = "offset", value_name = "MS", allow_negative_numbers = true)]
    pub offset_ms: Option<f64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: Result<ExitCode> = match cli.command {
        Command::Capture(a) => capture::run(&a),
        Command::Read(a) => read::run(&a),
        Command::Interfaces => interfaces::run(),
        Command::Compare(a) => compare::run(&a),
        Command::View(a) => view::run(&a),
        Command::Link(a) => link::run(&a),
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn tcpdump_style_arguments_parse() {
        let c = Cli::try_parse_from([
            "paircap",
            "capture",
            "-i",
            "eth0",
            "-s",
            "0",
            "-w",
            "x.pcapng",
            "-vvv",
            "-tttt",
            "dst",
            "203.0.113.5",
            "and",
            "icmp",
        ])
        .unwrap();
        let Command::Capture(a) = c.command else {
            panic!()
        };
        assert_eq!(a.interfaces, ["eth0"]);
        assert_eq!(a.snaplen, Some(0));
        assert_eq!(a.print.verbose, 3);
        assert_eq!(a.print.time, 4);
        assert_eq!(a.expr.join(" "), "dst 203.0.113.5 and icmp");
    }
}
