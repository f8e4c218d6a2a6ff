//! The fuzz targets' bodies, shared by the libFuzzer binaries (`fuzz_targets/*.rs`, nightly,
//! `scripts/fuzz.sh`) and the stable replay test (`tests/tests/fuzz_replay.rs`), which runs
//! every input in `fuzz/corpus/<target>/` so a crash found once stays fixed without nightly.
//!
//! Each target checks more than "no panic" where an invariant exists: the streaming reader
//! reads what the slice reader reads, a filter's canonical text compiles again, a view link
//! survives a round trip, the anonymiser never grows a packet, the view server never logs
//! in without the code.
#![allow(dead_code)]

use shared_decode::compare::{compare, Fingerprint, Options, SideInfo};
use shared_decode::dissect::columns;
use shared_decode::dissect::{self, DissectOptions};
use shared_decode::export::{Anonymizer, Payload};
use shared_decode::file::{LinkType, Reader, Record, SliceReader, Timestamp};
use shared_decode::format::{json, tcpdump, tree};
use shared_decode::link::ViewLink;
use shared_decode::{filter, Decoder};

#[path = "../capture-cli/src/viewroute.rs"]
mod viewroute;

/// A target: its name (its corpus is `fuzz/corpus/<name>/`) and its body.
pub type Target = (&'static str, fn(&[u8]));

/// Every target.
pub const TARGETS: &[Target] = &[
    ("read", read),
    ("decode", decode),
    ("filter", filter_text),
    ("bpf", bpf),
    ("compare", compare_two),
    ("anonymize", anonymize),
    ("viewlink", viewlink),
    ("view_request", view_request),
];

/// A `Read` that hands out at most `n` bytes per call (records straddle every boundary).
struct Chunked<'a> {
    data: &'a [u8],
    n: usize,
}

impl std::io::Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.n.min(buf.len()).min(self.data.len());
        buf[..k].copy_from_slice(&self.data[..k]);
        self.data = &self.data[k..];
        Ok(k)
    }
}

type Rec = (Vec<u8>, Option<i128>, u32, u32);

fn own(r: &Record<'_>) -> Rec {
    (
        r.data.to_vec(),
        r.ts.map(|t| t.as_nanos()),
        r.interface,
        r.orig_len,
    )
}

/// File readers: the slice reader and the streaming reader (fed 1..=256 bytes per read)
/// read the same records up to the first error.
pub fn read(data: &[u8]) {
    let Some((&k, file)) = data.split_first() else {
        return;
    };
    let mut a: Vec<Rec> = Vec::new();
    let mut n = 0;
    for r in SliceReader::new(file) {
        n += 1;
        assert!(n < 1_000_000, "the slice reader does not end");
        match r {
            Ok(r) => a.push(own(&r)),
            Err(_) => break,
        }
    }
    let mut b: Vec<Rec> = Vec::new();
    let mut rd = Reader::new(Chunked {
        data: file,
        n: usize::from(k) + 1,
    });
    let mut n = 0;
    while let Some(r) = rd.next_record() {
        n += 1;
        assert!(n < 1_000_000, "the streaming reader does not end");
        match r {
            Ok(r) => b.push(own(&r)),
            Err(_) => break,
        }
    }
    let same = a.len().min(b.len());
    assert_eq!(a[..same], b[..same], "slice and streaming readers disagree");
    whole_file_statistics(file);
}

/// Every statistic of `paircap read -z` over the file's readable packets (follow keeps
/// state across packets: out-of-order fragments, missing-bytes markers).
fn whole_file_statistics(file: &[u8]) {
    use shared_decode::stats::Stat;
    let mut stats: Vec<Stat> = [
        "conv,eth",
        "conv,ip",
        "conv,ipv6",
        "conv,tcp",
        "conv,udp",
        "endpoints,tcp",
        "endpoints,udp",
        "io,phs",
        "expert",
        "io,stat,0.1,tcp,COUNT(tcp.analysis.retransmission)tcp.analysis.retransmission,AVG(tcp.analysis.ack_rtt)",
        "follow,tcp,raw,0",
        "follow,tcp,ascii,1",
        "follow,tcp,hex,0",
    ]
    .iter()
    .map(|z| Stat::parse(z).expect("a statistic paircap has"))
    .collect();
    let mut d = Decoder::new();
    for r in SliceReader::new(file).take(100_000) {
        let Ok(r) = r else { break };
        let pkt = d.decode(&r);
        for s in &mut stats {
            s.observe(&pkt);
        }
    }
    let mut out = String::new();
    for s in &stats {
        s.text(&mut out);
        s.json(&mut out);
    }
}

/// Link types the dissectors know (and one they do not).
const LINKS: &[u16] = &[
    1, 0, 12, 101, 108, 113, 228, 229, 239, 276, 9, 105, 127, 9999,
];

fn frame(data: &[u8]) -> Option<Record<'_>> {
    let (&l, rest) = data.split_first()?;
    Some(Record {
        offset: 0,
        block_len: 0,
        interface: 0,
        link_type: LinkType(LINKS[usize::from(l) % LINKS.len()]),
        ts: Some(Timestamp {
            secs: 1_700_000_000,
            nanos: 5,
        }),
        orig_len: rest.len() as u32 + 3,
        data: rest,
        flags: None,
        drop_count: None,
        options: shared_decode::file::Options::EMPTY,
    })
}

/// The decoder and every formatter (tcpdump text at -vv with hex, columns, JSON, tree),
/// on one frame of a chosen link type, twice (flow state from the first).
pub fn decode(data: &[u8]) {
    let Some(rec) = frame(data) else { return };
    let mut d = Decoder::new();
    let mut p = tcpdump::Printer::new(tcpdump::Options {
        verbose: 2,
        link: true,
        dump: tcpdump::Dump::HexAscii { link: true },
        ..Default::default()
    });
    let mut j = json::JsonWriter::new();
    for _ in 0..2 {
        let pkt = d.decode(&rec);
        let mut s = String::new();
        p.write(&pkt, &mut s);
        j.write_packet(&pkt, &mut s);
        let mut c = columns::Columns::default();
        columns::columns(&pkt, &mut c);
        for n in tree::tree(&pkt) {
            assert!(
                n.span.end() as usize <= pkt.data.len() || n.span.len == 0,
                "span {:?} of {:?} ({}) outside the {}-byte frame",
                n.span,
                n.field,
                n.label,
                pkt.data.len()
            );
        }
    }
    let _ = dissect::dissect(
        &rec,
        1,
        DissectOptions {
            max_depth: dissect::Depth::Transport,
        },
    );
}

/// Splits at the first NUL: filter text, then a frame.
fn text_and_frame(data: &[u8]) -> (String, &[u8]) {
    let cut = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    (
        String::from_utf8_lossy(&data[..cut]).into_owned(),
        data.get(cut + 1..).unwrap_or(&[]),
    )
}

fn run_filter(text: &str, rest: &[u8]) {
    let Ok(f) = filter::compile(text) else { return };
    // The canonical text means the same filter: it must compile again (unless the
    // translation of a long tcpdump expression outgrew the length limit).
    let canon = f.display();
    assert!(
        canon.len() > filter::MAX_LEN || filter::compile(&canon).is_ok(),
        "canonical text {canon:?} of {text:?} does not compile"
    );
    if let Some(rec) = frame(rest) {
        let mut d = Decoder::new();
        let pkt = d.decode(&rec);
        let _ = f.matches(&pkt);
    }
}

/// The display-filter parser, checker, compiler and evaluator.
pub fn filter_text(data: &[u8]) {
    let (text, rest) = text_and_frame(data);
    run_filter(&text, rest);
}

/// The tcpdump-expression translator (forced with `bpf:`).
pub fn bpf(data: &[u8]) {
    let (text, rest) = text_and_frame(data);
    run_filter(&format!("bpf:{text}"), rest);
}

/// Two captures from one input: records `[side, link, dt, len, bytes…]`; the compare on
/// their fingerprints gives every packet a status.
pub fn compare_two(data: &[u8]) {
    let mut sides: [Vec<Fingerprint>; 2] = [Vec::new(), Vec::new()];
    let mut t = [1_700_000_000_000_000_000i128; 2];
    let mut at = 0;
    let mut d = Decoder::new();
    while at + 4 <= data.len() && sides[0].len() + sides[1].len() < 4096 {
        let side = usize::from(data[at] & 1);
        let dt = i128::from(data[at + 2]) * 100_000;
        let len = usize::from(data[at + 3]);
        let body = &data[at + 4..(at + 4 + len).min(data.len())];
        t[side] += dt;
        let mut rec = frame(&data[at + 1..at + 2]).expect("one byte");
        rec.data = body;
        rec.ts = Some(Timestamp {
            secs: (t[side] / 1_000_000_000) as i64,
            nanos: (t[side] % 1_000_000_000) as u32,
        });
        let pkt = d.decode(&rec);
        sides[side].push(Fingerprint::of(&pkt));
        at += 4 + len;
    }
    let r = compare(
        &sides[0],
        &sides[1],
        &SideInfo::new("src", &sides[0], None),
        &SideInfo::new("dst", &sides[1], None),
        &Options::default(),
    );
    assert_eq!(r.src_status.len(), sides[0].len());
    assert_eq!(r.dst_status.len(), sides[1].len());
}

/// The anonymiser in every payload mode: never a longer packet, and its output decodes.
pub fn anonymize(data: &[u8]) {
    let Some(rec) = frame(data) else { return };
    let pkt = dissect::dissect(&rec, 1, DissectOptions::default());
    for mode in [Payload::Keep, Payload::Zero, Payload::Truncate] {
        let mut a = Anonymizer::new(b"fuzz", mode);
        let out = a.rewrite_with_fcs(&pkt, usize::from(data[0] & 4));
        assert!(out.len() <= rec.data.len(), "the anonymiser grew a packet");
        let again = Record { data: &out, ..rec };
        let _ = dissect::dissect(&again, 1, DissectOptions::default());
    }
}

/// View links: whatever parses survives a round trip.
pub fn viewlink(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    if let Ok(l) = ViewLink::parse(&s) {
        if let Ok(f) = l.to_fragment() {
            let again = ViewLink::parse(&f).expect("a link we wrote parses");
            assert_eq!(again, l, "round trip changed the link");
        }
    }
}

/// `paircap view`'s request decision: only the right code logs in, and only once.
pub fn view_request(data: &[u8]) {
    let g = viewroute::Gate {
        token: "5ec7e7c00c1e".into(),
        login: std::sync::Mutex::new(Some("0ne71mec0de".into())),
        port: 8080,
    };
    let first = g.route(data, 16 << 10);
    if first == viewroute::Route::Login {
        assert!(
            data.windows(11).any(|w| w == b"0ne71mec0de"),
            "logged in without the code"
        );
        assert_ne!(
            g.route(data, 16 << 10),
            viewroute::Route::Login,
            "the code worked twice"
        );
    }
    if let viewroute::Route::Serve { .. } = first {
        assert!(
            data.windows(12).any(|w| w == b"5ec7e7c00c1e"),
            "served without the session cookie"
        );
    }
}
