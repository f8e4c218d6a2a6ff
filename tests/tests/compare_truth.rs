//! Ground truth for `shared_decode::compare`: `../shared/perf/gen_workload.py pair
//! --directions both` writes the same traffic as seen on both sides of a NAT router —
//! client→server packets sent at the source, server→client packets sent at the target, with
//! loss, duplication and reordering on each way, clock offset and skew, ISN randomisation —
//! together with what happened to every packet sent. Here, over several seeds and
//! settings, the compare engine must find the lost packets (at the capture that sent them)
//! and the duplicates (at the capture that received them) with precision and recall of at
//! least 99.9% in each direction, pair every delivered packet with its twin, estimate the
//! clock offset within 1 ms and the drift within 5 ppm, and report exactly the NAT map the
//! router applied.
//!
//! Extra packets: the generator injects none, so this test adds TCP resets "from the path"
//! to the target file (forged towards the server in the client's name) and renumbers the
//! truth. Frames are decoded for the truth by a few lines of hand-written parsing here, not
//! by the code under test.
//!
//! Run with `--nocapture` to see the numbers per case.

use paircap_tests::shared_dir;
use shared_decode::compare::{self, Fingerprint, Options, Report, SideInfo, Status};
use shared_decode::dissect::{Depth, DissectOptions};
use shared_decode::{Decoder, Reader};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

struct Case {
    name: &'static str,
    seed: u32,
    n: u32,
    args: &'static [&'static str],
    /// True clock offset (s) and skew (ppm).
    offset_s: f64,
    skew_ppm: f64,
    /// Resets to inject into the target file (pcap cases only).
    inject: usize,
    pcapng: bool,
}

const CASES: &[Case] = &[
    Case {
        name: "both ways: NAT, 3% loss, 1% duplication, reordering, ISN shift",
        seed: 21,
        n: 30_000,
        args: &[
            "--dup-rate",
            "0.01",
            "--isn-shift",
            "--reorder-rate",
            "0.001",
            "--loss",
            "0.03",
            "--pps",
            "1000",
        ],
        offset_s: 3.2,
        skew_ppm: 0.0,
        inject: 40,
        pcapng: false,
    },
    Case {
        name: "both ways: clock 12.5 s behind and 80 ppm fast, 2 minutes (pcapng)",
        seed: 22,
        n: 40_000,
        args: &[
            "--dup-rate",
            "0.005",
            "--isn-shift",
            "--skew-ppm",
            "80",
            "--offset",
            "-12.5",
            "--pps",
            "300",
            "--loss",
            "0.02",
            "--reorder-rate",
            "0.002",
        ],
        offset_s: -12.5,
        skew_ppm: 80.0,
        inject: 0,
        pcapng: true,
    },
    Case {
        name: "both ways: 5% loss, 1% duplication, jitter 0.3 ms",
        seed: 31,
        n: 40_000,
        args: &[
            "--dup-rate",
            "0.01",
            "--loss",
            "0.05",
            "--reorder-rate",
            "0.003",
            "--jitter",
            "0.3",
        ],
        offset_s: 3.2,
        skew_ppm: 0.0,
        inject: 30,
        pcapng: false,
    },
    Case {
        // Jitter as large as the path's delay: the two directions' delays overlap, and
        // only the TTLs say which way each flow went.
        name: "both ways: jitter 2 ms, 2% loss, duplication",
        seed: 41,
        n: 30_000,
        args: &[
            "--jitter",
            "2",
            "--loss",
            "0.02",
            "--dup-rate",
            "0.005",
            "--reorder-rate",
            "0.002",
        ],
        offset_s: 3.2,
        skew_ppm: 0.0,
        inject: 0,
        pcapng: false,
    },
    Case {
        name: "both ways: target clock 150 ppm slow, an hour ahead, ISN shift",
        seed: 15,
        n: 30_000,
        args: &[
            "--skew-ppm",
            "-150",
            "--offset",
            "3600",
            "--pps",
            "250",
            "--isn-shift",
            "--dup-rate",
            "0.002",
        ],
        offset_s: 3600.0,
        skew_ppm: -150.0,
        inject: 20,
        pcapng: false,
    },
];

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("paircap-compare-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn generate(dir: &Path, c: &Case) -> PathBuf {
    let prefix = dir.join(format!("s{}", c.seed));
    let out = Command::new("python3")
        .arg(shared_dir().join("perf/gen_workload.py"))
        .arg("pair")
        .args(["-n", &c.n.to_string(), "--seed", &c.seed.to_string(), "-o"])
        .arg(&prefix)
        .args(["--format", if c.pcapng { "pcapng" } else { "pcap" }])
        .args(["--directions", "both"])
        .args(c.args)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "gen_workload.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    prefix
}

/// Time stamps (µs) and bytes of every frame, in file order.
fn frames(path: &Path) -> Vec<(i64, Vec<u8>)> {
    let mut r = Reader::new(std::fs::File::open(path).unwrap());
    let mut v = Vec::new();
    while let Some(rec) = r.next_record() {
        let rec = rec.unwrap();
        let ts = rec.ts.unwrap().as_nanos() as i64 / 1000;
        v.push((ts, rec.data.to_vec()));
    }
    v
}

/// A classic pcap file (microseconds, Ethernet).
fn write_pcap(path: &Path, frames: &[(i64, Vec<u8>)]) {
    let mut b = Vec::new();
    b.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&4u16.to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&262_144u32.to_le_bytes());
    b.extend_from_slice(&1u32.to_le_bytes());
    for (ts, d) in frames {
        b.extend_from_slice(&((ts / 1_000_000) as u32).to_le_bytes());
        b.extend_from_slice(&((ts % 1_000_000) as u32).to_le_bytes());
        b.extend_from_slice(&(d.len() as u32).to_le_bytes());
        b.extend_from_slice(&(d.len() as u32).to_le_bytes());
        b.extend_from_slice(d);
    }
    std::fs::write(path, b).unwrap();
}

fn be16(d: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([d[at], d[at + 1]])
}

/// (proto, src, sport, dst, dport) of an Ethernet frame, by hand; ICMP echo requests carry the
/// identifier as the source "port", replies as the destination one (the engine's
/// convention); `None` for anything without ports.
type Tuple = (u8, Vec<u8>, u16, Vec<u8>, u16);

fn tuple(d: &[u8]) -> Option<Tuple> {
    let et = be16(d, 12);
    let (proto, src, dst, l4) = match et {
        0x0800 => {
            let ihl = usize::from(d[14] & 15) * 4;
            if be16(d, 20) & 0x3fff != 0 {
                return None; // fragment
            }
            (d[23], d[26..30].to_vec(), d[30..34].to_vec(), 14 + ihl)
        }
        0x86dd => (d[20], d[22..38].to_vec(), d[38..54].to_vec(), 54),
        _ => return None,
    };
    match proto {
        6 | 17 => Some((proto, src, be16(d, l4), dst, be16(d, l4 + 2))),
        1 | 58 => {
            let id = be16(d, l4 + 4);
            match (proto, d[l4]) {
                (1, 8) | (58, 128) => Some((proto, src, id, dst, 0)),
                (1, 0) | (58, 129) => Some((proto, src, 0, dst, id)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A NAT entry normalised: inside endpoints sorted, the outside ones in the same order.
type NatKey = (
    u8,
    (Vec<u8>, u16),
    (Vec<u8>, u16),
    (Vec<u8>, u16),
    (Vec<u8>, u16),
);

fn nat_key(inside: Tuple, outside: Tuple) -> NatKey {
    let (p, a, ap, b, bp) = inside;
    let (_, x, xp, y, yp) = outside;
    if (&a, ap) <= (&b, bp) {
        (p, (a, ap), (b, bp), (x, xp), (y, yp))
    } else {
        (p, (b, bp), (a, ap), (y, yp), (x, xp))
    }
}

fn addr_bytes(e: &compare::NatEndpoint) -> Vec<u8> {
    if e.v6 {
        e.addr.to_vec()
    } else {
        e.addr[12..].to_vec()
    }
}

/// The new frames, the new number of every original frame (index = old number), and the
/// numbers of the injected frames.
type Injected = (Vec<(i64, Vec<u8>)>, Vec<u32>, BTreeSet<u32>);

/// Injects TCP resets "from the path": copies of NAT-address → server segments (a middlebox
/// forging a reset in the client's name, towards the server) with RST, a new sequence number
/// and IP ID, 0.3 ms after them. Returns the new frame list and, per original frame, its new
/// number.
fn inject(frames: &[(i64, Vec<u8>)], k: usize, seed: u32) -> Injected {
    let mut x = u64::from(seed) * 0x9e37_79b9 + 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let candidates: Vec<usize> = frames
        .iter()
        .enumerate()
        .filter(|(_, (_, d))| be16(d, 12) == 0x0800 && d[23] == 6 && d[26..30] == [203, 0, 113, 7])
        .map(|(i, _)| i)
        .collect();
    assert!(candidates.len() > k * 10, "too few segments to copy");
    let mut picked: BTreeSet<usize> = BTreeSet::new();
    while picked.len() < k {
        picked.insert(candidates[(next() % candidates.len() as u64) as usize]);
    }
    let mut all: Vec<(i64, u8, usize, Vec<u8>)> = frames
        .iter()
        .enumerate()
        .map(|(i, (t, d))| (*t, 0, i, d.clone()))
        .collect();
    for &i in &picked {
        let (t, d) = &frames[i];
        let ihl = usize::from(d[14] & 15) * 4;
        let l4 = 14 + ihl;
        let mut f = d[..l4 + 20].to_vec();
        f[16..18].copy_from_slice(&((ihl + 20) as u16).to_be_bytes());
        f[18..20].copy_from_slice(&(next() as u16).to_be_bytes());
        f[22] = 57;
        f[24..26].copy_from_slice(&[0, 0]);
        let mut sum = 0u32;
        for c in f[14..14 + ihl].chunks(2) {
            sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        f[24..26].copy_from_slice(&(!(sum as u16)).to_be_bytes());
        f[l4 + 4..l4 + 8].copy_from_slice(&(next() as u32).to_be_bytes());
        f[l4 + 12] = 5 << 4;
        f[l4 + 13] = 0x14;
        f[l4 + 14..l4 + 16].copy_from_slice(&[0, 0]);
        all.push((t + 300, 1, i, f));
    }
    all.sort_by_key(|x| (x.0, x.1, x.2));
    let mut renum = vec![0u32; frames.len() + 1];
    let mut injected = BTreeSet::new();
    let mut out = Vec::with_capacity(all.len());
    for (n, (t, kind, i, f)) in all.into_iter().enumerate() {
        if kind == 0 {
            renum[i + 1] = n as u32 + 1;
        } else {
            injected.insert(n as u32 + 1);
        }
        out.push((t, f));
    }
    (out, renum, injected)
}

fn load(path: &Path) -> (Vec<Fingerprint>, SideInfo) {
    let mut r = Reader::new(std::fs::File::open(path).unwrap());
    let mut dec = Decoder::with_options(DissectOptions {
        max_depth: Depth::Transport,
    })
    .without_flows();
    let mut v = Vec::new();
    while let Some(rec) = r.next_record() {
        v.push(Fingerprint::of(&dec.decode(&rec.unwrap())));
    }
    let info = SideInfo::new(&path.display().to_string(), &v, Some(r.info()));
    (v, info)
}

struct Row {
    src: Option<u32>,
    tgt: Option<u32>,
    status: String,
    /// The capture the packet was sent at: true = source.
    sent_at_src: bool,
    dups: Vec<u32>,
}

fn truth(prefix: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(prefix.with_extension("truth.tsv")).unwrap();
    let mut hdr: Vec<&str> = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let c: Vec<&str> = line.split('\t').collect();
        if hdr.is_empty() {
            hdr = c;
            continue;
        }
        let col = |name: &str| {
            hdr.iter()
                .position(|h| *h == name)
                .and_then(|i| c.get(i))
                .copied()
        };
        rows.push(Row {
            src: col("src_frame").unwrap().parse().ok(),
            tgt: col("tgt_frame").unwrap().parse().ok(),
            status: col("status").unwrap().to_string(),
            sent_at_src: col("sent_at").expect("a --directions both truth") == "source",
            dups: col("dup_frames")
                .unwrap_or("")
                .split(',')
                .filter_map(|x| x.parse().ok())
                .collect(),
        });
    }
    rows
}

/// Precision and recall of `ours` against `want` (1.0 when both are empty).
fn pr(ours: &BTreeSet<u32>, want: &BTreeSet<u32>) -> (f64, f64) {
    let tp = ours.intersection(want).count() as f64;
    let p = if ours.is_empty() {
        1.0
    } else {
        tp / ours.len() as f64
    };
    let r = if want.is_empty() {
        1.0
    } else {
        tp / want.len() as f64
    };
    (p, r)
}

fn check(dir: &Path, c: &Case) -> String {
    let prefix = generate(dir, c);
    let ext = if c.pcapng { "pcapng" } else { "pcap" };
    let src_path = prefix.with_extension(format!("src.{ext}"));
    let mut tgt_path = prefix.with_extension(format!("tgt.{ext}"));
    let mut rows = truth(&prefix);
    let src_frames = frames(&src_path);
    let mut tgt_frames = frames(&tgt_path);
    let mut injected = BTreeSet::new();
    if c.inject > 0 {
        let (f, renum, inj) = inject(&tgt_frames, c.inject, c.seed);
        for r in &mut rows {
            r.tgt = r.tgt.map(|t| renum[t as usize]);
            if !r.sent_at_src {
                continue; // server -> client duplicates are in the source file
            }
            for d in &mut r.dups {
                *d = renum[*d as usize];
            }
        }
        tgt_path = prefix.with_extension("tgt-injected.pcap");
        write_pcap(&tgt_path, &f);
        tgt_frames = f;
        injected = inj;
    }
    let (src, si) = load(&src_path);
    let (dst, di) = load(&tgt_path);
    let t0 = std::time::Instant::now();
    let r: Report = compare::compare(&src, &dst, &si, &di, &Options::default());
    let took = t0.elapsed();

    // Per direction: lost at the sender, duplicated at the receiver.
    let status_at = |src_side: bool, f: u32| -> Status {
        let v = if src_side {
            &r.src_status
        } else {
            &r.dst_status
        };
        v[f as usize - 1]
    };
    let mut line = format!("{:<70} src {:>6} tgt {:>6}", c.name, src.len(), dst.len());
    let mut problems = Vec::new();
    for sent_at_src in [true, false] {
        let name = if sent_at_src {
            "sent at source"
        } else {
            "sent at target"
        };
        let want_lost: BTreeSet<u32> = rows
            .iter()
            .filter(|x| x.status == "lost" && x.sent_at_src == sent_at_src)
            .map(|x| {
                if sent_at_src {
                    x.src.unwrap()
                } else {
                    x.tgt.unwrap()
                }
            })
            .collect();
        let n_side = if sent_at_src { src.len() } else { dst.len() } as u32;
        let ours_lost: BTreeSet<u32> = (1..=n_side)
            .filter(|&f| status_at(sent_at_src, f) == Status::Lost)
            .collect();
        let (lp, lr) = pr(&ours_lost, &want_lost);
        // Duplicates are in the receiving file.
        let want_dup: BTreeSet<u32> = rows
            .iter()
            .filter(|x| x.sent_at_src == sent_at_src)
            .flat_map(|x| x.dups.iter().copied())
            .collect();
        let n_recv = if sent_at_src { dst.len() } else { src.len() } as u32;
        let ours_dup: BTreeSet<u32> = (1..=n_recv)
            .filter(|&f| status_at(!sent_at_src, f) == Status::Duplicated)
            .collect();
        let (dp, dr) = pr(&ours_dup, &want_dup);
        line.push_str(&format!(
            " | {name}: lost {:>4}/{:<4} P {:.5} R {:.5} dup {:>3}/{:<3} P {:.4} R {:.4}",
            ours_lost.len(),
            want_lost.len(),
            lp,
            lr,
            ours_dup.len(),
            want_dup.len(),
            dp,
            dr
        ));
        if lp < 0.999 || lr < 0.999 {
            problems.push(format!(
                "lost {name}: false {:?} missed {:?}",
                ours_lost
                    .difference(&want_lost)
                    .take(10)
                    .collect::<Vec<_>>(),
                want_lost
                    .difference(&ours_lost)
                    .take(10)
                    .collect::<Vec<_>>()
            ));
        }
        if dp < 0.999 || dr < 0.999 {
            problems.push(format!(
                "duplicated {name}: false {:?} missed {:?}",
                ours_dup.difference(&want_dup).take(10).collect::<Vec<_>>(),
                want_dup.difference(&ours_dup).take(10).collect::<Vec<_>>()
            ));
        }
    }
    // The conversations table: per conversation, the packets sent at the source and lost
    // are exactly the packets the engine says were lost (by the frames' own 5-tuples), and
    // the truth's count in all but a few conversations.
    {
        type Ends = (u8, (Vec<u8>, u16), (Vec<u8>, u16));
        let canon = |t: Tuple| -> Ends {
            let (p, a, ap, b, bp) = t;
            if (a.clone(), ap) <= (b.clone(), bp) {
                (p, (a, ap), (b, bp))
            } else {
                (p, (b, bp), (a, ap))
            }
        };
        let by_conv = |frames_lost: &mut dyn Iterator<Item = u32>| {
            let mut m: std::collections::BTreeMap<Ends, u64> = Default::default();
            for f in frames_lost {
                if let Some(t) = tuple(&src_frames[f as usize - 1].1) {
                    *m.entry(canon(t)).or_default() += 1;
                }
            }
            m
        };
        let engine = by_conv(&mut (1..=src.len() as u32).filter(|&f| {
            status_at(true, f) == Status::Lost
                && r.src_direction[f as usize - 1] == compare::Direction::SourceToTarget
        }));
        let want = by_conv(
            &mut rows
                .iter()
                .filter(|x| x.status == "lost" && x.sent_at_src)
                .filter_map(|x| x.src),
        );
        let mut table: std::collections::BTreeMap<Ends, u64> = Default::default();
        for cv in &r.conversations {
            let e = &cv.endpoints;
            let key = canon((
                cv.proto,
                addr_bytes(&e[0]),
                e[0].port,
                addr_bytes(&e[1]),
                e[1].port,
            ));
            for d in &cv.dirs {
                if d.sent_by == compare::Direction::SourceToTarget && d.lost > 0 {
                    *table.entry(key.clone()).or_default() += d.lost;
                }
            }
        }
        if table != engine {
            problems.push(format!(
                "conversations table: lost per conversation differs from the packets' statuses \
                 ({} vs {} conversations)",
                table.len(),
                engine.len()
            ));
        }
        let off = want
            .keys()
            .chain(table.keys())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|k| want.get(*k) != table.get(*k))
            .count();
        line.push_str(&format!(
            " | conversations: {} of {} with source-sent loss as the truth says",
            want.len().saturating_sub(off.min(want.len())),
            want.len()
        ));
        if off * 100 > want.len().max(1) * 2 {
            problems.push(format!(
                "conversations table: {off} of {} conversations' source-sent loss differ from the truth",
                want.len()
            ));
        }
    }
    // Extra: the injected resets, and nothing else.
    let ours_extra: BTreeSet<u32> = (1..=dst.len() as u32)
        .filter(|&j| r.dst_status[j as usize - 1] == Status::Extra)
        .chain(
            (1..=src.len() as u32)
                .filter(|&i| r.src_status[i as usize - 1] == Status::Extra)
                .map(|i| i | 1 << 31),
        )
        .collect();
    let (ep, er) = pr(&ours_extra, &injected);
    if ep < 0.999 || er < 0.999 {
        problems.push(format!(
            "extra: false {:?} missed {:?}",
            ours_extra
                .difference(&injected)
                .take(10)
                .collect::<Vec<_>>(),
            injected
                .difference(&ours_extra)
                .take(10)
                .collect::<Vec<_>>()
        ));
    }
    // Twins of the delivered packets.
    let delivered: Vec<&Row> = rows.iter().filter(|x| x.status == "delivered").collect();
    let wrong = delivered
        .iter()
        .filter(|x| {
            let (s, t) = (x.src.unwrap(), x.tgt.unwrap());
            r.src_twin[s as usize - 1] != t && r.dst_twin[t as usize - 1] != s
        })
        .count();
    if (wrong as f64) > 0.001 * delivered.len() as f64 {
        problems.push(format!("{wrong} wrong twins"));
    }
    // Clock: the offset at the first source packet (the skew counts from there), the drift.
    let off_err_ms = (r.clock.offset_ns as f64 - c.offset_s * 1e9).abs() / 1e6;
    if off_err_ms > 1.0 {
        problems.push(format!(
            "clock offset off by {off_err_ms:.3} ms: {:?}",
            r.clock
        ));
    }
    let drift_err = (r.clock.drift_ppm - c.skew_ppm).abs();
    if drift_err > 5.0 {
        problems.push(format!("drift off by {drift_err:.2} ppm: {:?}", r.clock));
    }
    if r.clock.method != compare::ClockMethod::TwoWay {
        problems.push(format!("clock method {:?}", r.clock.method));
    }
    // NAT map.
    let mut want_nat: BTreeSet<NatKey> = BTreeSet::new();
    for x in &delivered {
        let (s, t) = (x.src.unwrap() as usize, x.tgt.unwrap() as usize);
        if let (Some(a), Some(b)) = (tuple(&src_frames[s - 1].1), tuple(&tgt_frames[t - 1].1)) {
            if a != b {
                want_nat.insert(nat_key(a, b));
            }
        }
    }
    let ours_nat: BTreeSet<NatKey> = r
        .nat
        .iter()
        .filter(|n| n.inside != n.outside)
        .map(|n| {
            let t = |e: [compare::NatEndpoint; 2]| -> Tuple {
                (
                    n.proto,
                    addr_bytes(&e[0]),
                    e[0].port,
                    addr_bytes(&e[1]),
                    e[1].port,
                )
            };
            nat_key(t(n.inside), t(n.outside))
        })
        .collect();
    if ours_nat != want_nat {
        problems.push(format!(
            "NAT map: missing {:?} unexpected {:?}",
            want_nat.difference(&ours_nat).take(3).collect::<Vec<_>>(),
            ours_nat.difference(&want_nat).take(3).collect::<Vec<_>>()
        ));
    }
    // Not-forwarded packets are never reported lost (precision covers it), and most are
    // found as such.
    let nf = rows.iter().filter(|x| x.status == "not_forwarded").count();
    let ours_nf = r.counts.src(Status::NotForwarded) as usize;
    if ours_nf < nf * 99 / 100 {
        problems.push(format!("not forwarded: ours {ours_nf}, truth {nf}"));
    }
    line.push_str(&format!(
        " | extra {}/{} | wrong twins {wrong} | offset err {off_err_ms:.3} ms drift {:+.2}/{:+.1} ppm | NAT {} flows {} | {:.2} s",
        ours_extra.len(),
        injected.len(),
        r.clock.drift_ppm,
        c.skew_ppm,
        ours_nat.len(),
        if ours_nat == want_nat { "exact" } else { "DIFFERENT" },
        took.as_secs_f64()
    ));
    println!("{line}");
    assert!(problems.is_empty(), "{line}\n{}", problems.join("\n"));
    line
}

#[test]
fn compare_against_generator_ground_truth() {
    let dir = tmpdir("truth");
    let mut lines = Vec::new();
    for c in CASES {
        lines.push(check(&dir, c));
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("\n{}", lines.join("\n"));
}

/// The CLI's JSON agrees with the engine, and its per-packet list covers every packet once.
#[test]
fn cli_json_matches_the_engine() {
    let dir = tmpdir("cli");
    let c = &CASES[0];
    let prefix = generate(&dir, &Case { n: 8000, ..*c });
    let (s, t) = (
        prefix.with_extension("src.pcap"),
        prefix.with_extension("tgt.pcap"),
    );
    let out = paircap_tests::cmd()
        .arg("compare")
        .arg(&s)
        .arg(&t)
        .args(["--format", "json", "--packets"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (src, si) = load(&s);
    let (dst, di) = load(&t);
    let r = compare::compare(&src, &dst, &si, &di, &Options::default());
    let counts = &j["counts"];
    assert_eq!(counts["matched"], r.counts.matched);
    assert_eq!(counts["lost"], r.counts.lost);
    assert_eq!(counts["extra"], r.counts.extra);
    assert_eq!(j["source"]["packets"], src.len());
    assert_eq!(j["nat"].as_array().unwrap().len(), r.nat.len());
    assert!(j["clock"]["offset_ms"].as_f64().unwrap() > 3200.0);
    let pk = j["packets"].as_array().unwrap();
    let mut seen_s: HashMap<u64, usize> = HashMap::new();
    let mut seen_t: HashMap<u64, usize> = HashMap::new();
    for p in pk {
        // Each frame of each side is one entry's own packet, or the twin in its pair's.
        let own = p["at"].as_str().unwrap();
        if let Some(s) = p["source"].as_u64() {
            if own == "source" {
                *seen_s.entry(s).or_default() += 1;
            }
        }
        if let Some(t) = p["target"].as_u64() {
            let pair =
                ["matched", "modified", "reordered"].contains(&p["status"].as_str().unwrap());
            if own == "target" || pair {
                *seen_t.entry(t).or_default() += 1;
            }
        }
        assert!(
            ["source", "target"].contains(&p["sent_by"].as_str().unwrap()),
            "{p}"
        );
    }
    assert_eq!(seen_s.len(), src.len());
    assert!(seen_s.values().all(|&n| n == 1));
    assert_eq!(seen_t.len(), dst.len());
    // -Y restricts the report to matching packets (and their twins).
    let out = paircap_tests::cmd()
        .arg("compare")
        .arg(&s)
        .arg(&t)
        .args(["--format", "json", "-Y", "udp.port == 53"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let y: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = y["counts"]["matched"].as_u64().unwrap();
    assert!(m > 0 && m < r.counts.matched, "{m}");
    assert!(y["source"]["status"]["excluded"].as_u64().unwrap() > 0);
    // Text report.
    let out = paircap_tests::cmd()
        .arg("compare")
        .arg(&s)
        .arg(&t)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("clock: target - source") && text.contains("diagnosis:"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
