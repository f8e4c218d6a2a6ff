//! Differential test of the filter engine against tshark 4.0 and tcpdump, over every
//! well-formed capture of the shared corpus (`MANIFEST.tsv`, status `well-formed…`).
//!
//! For each display filter, the set of matching frames must equal
//! `tshark -r F -Y FILTER -T fields -e frame.number`. For each tcpdump expression, it must
//! equal (a) tshark's answer for our translation (so the translation is a valid display
//! filter that means what we evaluate), and (b) tcpdump's answer for the expression itself.
//! Every difference must be listed in `filter-differences.tsv` (next to this file) with a
//! reason, and every listed difference must still occur (no stale entries).
//!
//! How it stays fast (about a minute on 2 cores) while keeping per-file semantics (flow
//! analysis restarts with each file, as it does for `tshark -r F`):
//! - tshark runs once per file, not once per filter and file: a generated Lua script
//!   registers one tap `Listener` per filter text; a tap with a display filter sees exactly
//!   the packets `-Y` would pass in a single pass (checked below against real `-Y` runs on a
//!   sample). tshark numbers pcapng Custom Blocks as frames; those records are not packets
//!   and are left out (a tap without filter reports which frames have an encapsulation).
//! - tcpdump runs per file and expression (it starts in milliseconds). It cannot read pcapng
//!   files whose interfaces have different link types, nor compile some primitives for some
//!   link types (`ether` on raw IP); those pairs are skipped and counted. Its output
//!   (`-w -`) is matched back to frame numbers as a subsequence of the file's records (BPF
//!   is a function of the bytes, so identical packets always match alike).
//! - tshark and tcpdump run on two threads; our side decodes each file once per (depth,
//!   flows) configuration, exactly as `Filter::depth` / `Filter::needs_flows` ask.
//!
//! Nothing computed by tshark or tcpdump is stored in the repository.

use shared_decode::dissect::DissectOptions;
use shared_decode::filter::{self, Filter};
use shared_decode::{Decoder, SliceReader};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Display filters, compared with tshark.
const DISPLAY: &[&str] = &[
    "tcp",
    "udp",
    "!tcp && !udp",
    "arp",
    "icmp || icmpv6",
    "ipv6",
    "ip && ipv6",
    "tcp.port == 80",
    "tcp.port != 80",
    "tcp.port ~= 80",
    "tcp.port === 443",
    "all tcp.port > 1023",
    "any tcp.port < 1024",
    "tcp.srcport < 1024 and tcp.dstport ge 1024",
    "tcp.port in {80, 443, 8000..8080}",
    "udp.port in {53, 67..68, 123, 1900}",
    "tcp.port not in {80, 443}",
    "ip.addr == 192.168.0.0/16",
    "ip.addr != 192.168.0.0/16",
    "!(ip.addr == 192.168.0.0/16)",
    "ip.addr ~= 192.168.0.0/16",
    "ip.src == 10.0.0.0/8 || ip.dst == 172.16.0.0/12",
    "ip.dst in {224.0.0.0/4, 255.255.255.255}",
    "ip.addr == 212.199.202.9",
    "ip.ttl < 64",
    "ip.ttl le 1",
    "ip.proto == 17",
    "ip.proto == UDP",
    "ip.flags.df == 1",
    "ip.dsfield.dscp != 0",
    "ip.len > 1400",
    "ip.src == ip.dst",
    "ipv6.addr == fe80::/10",
    "ipv6.dst == ff02::/16",
    "ipv6.src == 2001:db8::/32 || ipv6.hlim == 255",
    "ipv6.nxt == 58",
    "eth.dst == ff:ff:ff:ff:ff:ff",
    "eth.addr == 30:46:9a:23:fb:fa",
    "eth.src[0:3] == 08:00:27",
    "eth.dst[0] & 1",
    "eth.type == 0x86dd",
    "vlan",
    "vlan.id == 123",
    "tcp.flags.syn == 1 && tcp.flags.ack == 0",
    "tcp.flags & 0x12 == 0x12",
    "tcp.flags & 0x02",
    "tcp.flags.reset == 1 or tcp.flags.fin == 1",
    "tcp.len > 0",
    "tcp.len == 0 && tcp.flags.ack == 1",
    "tcp.window_size_value < 1000",
    "tcp.srcport > tcp.dstport",
    "tcp.analysis.retransmission",
    "tcp.analysis.duplicate_ack || tcp.analysis.lost_segment",
    "tcp.stream == 3",
    "tcp.seq == 1 && tcp.ack == 1",
    "tcp.payload[0:4] == \"GET \"",
    "tcp contains \"HTTP\"",
    "tcp[13] & 02",
    "ip[9] == 06",
    "udp[2:2] == 00:35",
    "udp.length > 100",
    "udp.stream == 1",
    "icmp.type == 8",
    "icmp.type in {0, 8} && icmp.code == 0",
    "icmpv6.type == 135",
    // (Bare `dns` and `http` would mostly measure schema gaps: Wireshark names mDNS, LLMNR
    // and SSDP as their own protocols, which paircap's schema does not have yet.)
    "dns && udp.port == 53",
    "dns.qry.name contains \"google\"",
    "dns.qry.name matches \"^www\\\\.\"",
    "dns.qry.name matches \"LOCAL$\"",
    "dns.flags.response == 1",
    "dns.qry.type == 28",
    "http.request && tcp",
    "http.request.method == \"GET\"",
    "http.request.uri contains \".gif\"",
    "http.host matches \"ynet\"",
    "tls.handshake.type == 1",
    "tls.handshake.extensions_server_name contains \"google\"",
    "dhcp",
    "arp.opcode == 2",
    "arp.src.proto_ipv4 == 192.168.0.0/16",
    "frame.len > 1000",
    "frame.len <= 64",
    "frame contains \"HTTP\"",
    "frame matches \"(?-i)Host: \"",
    "frame.time_delta > 1",
    "(tcp.port == 80 || udp.port == 53) && frame.len > 100",
    "gre || vxlan || teredo",
];

/// tcpdump expressions, compared with tcpdump (and their translation with tshark).
const TCPDUMP: &[&str] = &[
    "bpf:tcp",
    "bpf:udp and not port 53",
    "bpf:icmp",
    "bpf:arp",
    "ip6",
    "host 212.199.202.9",
    "host 10.0.0.6 and port 80",
    "src net 192.168.0.0/16",
    "dst net 10.0.0.0/8",
    "port 80",
    "tcp port 443 or udp port 53",
    "portrange 1-1023",
    "tcp[tcpflags] & tcp-syn != 0",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)",
    "bpf:tcp[13] & 4 != 0",
    "icmp[icmptype] == icmp-echo",
    "bpf:ip[8] < 64",
    "greater 1000",
    "less 64",
    "ether broadcast",
    "ether multicast",
    "ip proto 17",
    "ip6 and udp",
    "bpf:vlan",
    "not ip and not ip6",
    "ether host 30:46:9a:23:fb:fa",
];

fn corpus() -> Vec<(String, PathBuf)> {
    paircap_tests::well_formed()
        .into_iter()
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect()
}

fn run(cmd: &mut Command) -> std::process::Output {
    cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run {:?}: {e} (tshark, mergecap and tcpdump must be installed)",
            cmd.get_program()
        )
    })
}

/// Frame numbers printed one per line.
fn numbers(out: &[u8]) -> Vec<u64> {
    String::from_utf8_lossy(out)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// A key identifying a packet's content (what BPF sees; libpcap may write a link type
/// under another number, such as DLT_RAW for LINKTYPE_RAW).
fn content_key(r: &shared_decode::Record<'_>) -> (u32, Vec<u8>) {
    (r.orig_len, r.data.to_vec())
}

/// A Lua script for `tshark -X lua_script:` that prints `A<TAB>frame<TAB>has-encapsulation`
/// for every frame, then `k<TAB>frame` for every frame passing filter text `k` (1-based),
/// or `E<TAB>k<TAB>message` when tshark rejects the text.
fn lua_script(jobs: &[(usize, String)]) -> String {
    let mut s = String::from(
        "local encap = Field.new(\"frame.encap_type\")\n\
         local all = Listener.new(nil, nil)\n\
         function all.packet(pinfo, tvb) io.write(\"A\\t\", pinfo.number, \"\\t\", encap() and \"1\" or \"0\", \"\\n\") end\n\
         local filters = {\n",
    );
    for (_, text) in jobs {
        assert!(!text.contains("]==]"));
        s.push_str(&format!("  [==[{text}]==],\n"));
    }
    s.push_str(
        "}\n\
         for i, f in ipairs(filters) do\n\
           local ok, l = pcall(Listener.new, nil, f)\n\
           if ok then\n\
             function l.packet(pinfo, tvb) io.write(i, \"\\t\", pinfo.number, \"\\n\") end\n\
           else\n\
             io.write(\"E\\t\", i, \"\\t\", (tostring(l):gsub(\"\\n\", \" \")), \"\\n\")\n\
           end\n\
         end\n",
    );
    s
}

/// Which (oracle, filter, file) → frames differences are accepted.
struct Accepted {
    rows: Vec<Row>,
}

/// One line of `filter-differences.tsv`.
struct Row {
    oracle: String,
    filter: String,
    file: String,
    /// `None`: every frame.
    frames: Option<BTreeSet<u64>>,
}

impl Accepted {
    fn load() -> Accepted {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/filter-differences.tsv");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut rows = Vec::new();
        for (i, l) in text.lines().enumerate() {
            if l.trim().is_empty() || l.starts_with('#') {
                continue;
            }
            let c: Vec<&str> = l.split('\t').collect();
            assert!(
                c.len() == 5,
                "{}:{}: expected 5 tab-separated columns",
                path.display(),
                i + 1
            );
            let frames = (c[3] != "*").then(|| {
                c[3].split(',')
                    .map(|x| {
                        x.trim()
                            .parse()
                            .unwrap_or_else(|_| panic!("line {}: bad frame {x}", i + 1))
                    })
                    .collect()
            });
            assert!(
                !c[4].trim().is_empty(),
                "{}:{}: a reason is required",
                path.display(),
                i + 1
            );
            rows.push(Row {
                oracle: c[0].to_string(),
                filter: c[1].to_string(),
                file: c[2].to_string(),
                frames,
            });
        }
        Accepted { rows }
    }

    /// The row accepting this difference, if any.
    fn find(&self, oracle: &str, filter: &str, file: &str, frame: u64) -> Option<usize> {
        self.rows.iter().position(|r| {
            r.oracle == oracle
                && glob(&r.filter, filter)
                && glob(&r.file, file)
                && r.frames.as_ref().is_none_or(|s| s.contains(&frame))
        })
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first)
        || !text[first.len()..].ends_with(last)
        || text.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

/// Runs jobs on two threads.
fn parallel<T: Send + Sync, R: Send>(jobs: Vec<T>, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<R>>> = Mutex::new((0..jobs.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else {
                    break;
                };
                let r = f(job);
                out.lock().unwrap()[i] = Some(r);
            });
        }
    });
    out.into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn filters_agree_with_tshark_and_tcpdump() {
    let files = corpus();
    assert!(files.len() > 250, "{} well-formed files", files.len());
    let tmp = std::env::temp_dir().join(format!("paircap-filter-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();

    // Compile everything first (a filter that does not compile fails the test here).
    let display: Vec<(String, Filter)> = DISPLAY
        .iter()
        .map(|t| {
            (
                t.to_string(),
                filter::compile(t).unwrap_or_else(|e| panic!("{}", e.render())),
            )
        })
        .collect();
    for (t, f) in &display {
        assert!(!f.translated_from_bpf(), "{t} was read as tcpdump syntax");
    }
    let tcpdump: Vec<(String, Filter)> = TCPDUMP
        .iter()
        .map(|t| {
            (
                t.to_string(),
                filter::compile(t).unwrap_or_else(|e| panic!("{}", e.render())),
            )
        })
        .collect();
    for (t, f) in &tcpdump {
        assert!(
            f.translated_from_bpf(),
            "{t} was not read as tcpdump syntax"
        );
    }
    assert!(display.len() + tcpdump.len() >= 60);
    let all: Vec<&(String, Filter)> = display.iter().chain(tcpdump.iter()).collect();

    // What tshark evaluates: each display filter as written, the canonical text when it
    // differs, and each tcpdump expression's translation. `jobs[k] = (filter index, text)`.
    let mut jobs: Vec<(usize, String)> = Vec::new();
    for (i, (t, f)) in all.iter().enumerate() {
        if i < display.len() {
            jobs.push((i, t.clone()));
        }
        if f.display() != *t {
            jobs.push((i, f.display()));
        }
    }
    let script = tmp.join("filters.lua");
    std::fs::write(&script, lua_script(&jobs)).unwrap();

    // Per file: records, our answers, tshark's answers.
    struct PerFile {
        keys: Vec<(u32, Vec<u8>)>,
        ours: Vec<BTreeSet<u64>>,
        tshark: Vec<Result<BTreeSet<u64>, String>>,
    }
    let per_file: Vec<PerFile> = parallel(files.clone(), |(name, path)| {
        let bytes = std::fs::read(path).unwrap();
        let keys: Vec<(u32, Vec<u8>)> = SliceReader::new(&bytes)
            .flatten()
            .map(|r| content_key(&r))
            .collect();
        let mut ours = vec![BTreeSet::new(); all.len()];
        let mut configs: BTreeMap<(u8, bool), Vec<usize>> = BTreeMap::new();
        for (i, (_, f)) in all.iter().enumerate() {
            configs
                .entry((f.depth() as u8, f.needs_flows()))
                .or_default()
                .push(i);
        }
        for idx in configs.values() {
            let f0 = &all[idx[0]].1;
            let mut d = Decoder::with_options(DissectOptions {
                max_depth: f0.depth(),
            });
            if !f0.needs_flows() {
                d = d.without_flows();
            }
            for r in SliceReader::new(&bytes).flatten() {
                let p = d.decode(&r);
                for &i in idx {
                    if all[i].1.matches(&p) {
                        ours[i].insert(p.meta.number);
                    }
                }
            }
        }
        let out = run(Command::new("tshark")
            .args(["-n", "-q", "-r"])
            .arg(path)
            .arg("-X")
            .arg(format!("lua_script:{}", script.display())));
        let text = String::from_utf8_lossy(&out.stdout);
        // tshark frame → ours (frames without an encapsulation are pcapng Custom Blocks).
        let mut map: BTreeMap<u64, u64> = BTreeMap::new();
        let mut n = 0u64;
        let mut tshark: Vec<Result<BTreeSet<u64>, String>> = vec![Ok(BTreeSet::new()); jobs.len()];
        for l in text.lines() {
            let c: Vec<&str> = l.split('\t').collect();
            if c.first() == Some(&"A") && c.len() == 3 && c[2] == "1" {
                n += 1;
                map.insert(c[1].parse().unwrap(), n);
            }
        }
        assert_eq!(
            n as usize,
            keys.len(),
            "{name}: tshark and paircap see different packet counts"
        );
        for l in text.lines() {
            let c: Vec<&str> = l.splitn(3, '\t').collect();
            match c.as_slice() {
                ["E", k, msg] => tshark[k.parse::<usize>().unwrap() - 1] = Err(msg.to_string()),
                [k, f] if *k != "A" => {
                    let k: usize = k.parse().unwrap();
                    let f: u64 = f.parse().unwrap();
                    if let (Some(Ok(set)), Some(ours_f)) = (tshark.get_mut(k - 1), map.get(&f)) {
                        set.insert(*ours_f);
                    }
                }
                _ => {}
            }
        }
        PerFile { keys, ours, tshark }
    });

    // The Lua taps answer as -Y does: check on a sample of filters and files.
    let sample_files = [
        "pcpp__http-packets2.pcap",
        "zeek__icmp_icmp-timeexceeded.pcap",
        "pcpp__ipv6.pcapng",
        "zeek__tcp_retransmit-fast009.pcap",
    ];
    let sample_jobs = [0usize, 8, 18, 50, 52];
    for (fi, (name, path)) in files
        .iter()
        .enumerate()
        .filter(|(_, (n, _))| sample_files.contains(&n.as_str()))
    {
        for &k in &sample_jobs {
            let text = &jobs[k].1;
            let out = run(Command::new("tshark").args(["-n", "-r"]).arg(path).args([
                "-Y",
                text,
                "-T",
                "fields",
                "-e",
                "frame.number",
            ]));
            let y: BTreeSet<u64> = numbers(&out.stdout).into_iter().collect();
            let lua = per_file[fi].tshark[k].as_ref().unwrap();
            // (These sample files have no custom blocks, so frame numbers are the same.)
            assert_eq!(&y, lua, "Lua tap and -Y disagree on {text:?} in {name}");
        }
    }

    // tcpdump, per file and expression, matched back to frame numbers.
    let mut tjobs = Vec::new();
    for (k, (t, _)) in tcpdump.iter().enumerate() {
        for fi in 0..files.len() {
            tjobs.push((k, fi, t.trim_start_matches("bpf:").to_string()));
        }
    }
    let tcpdump_out: Vec<Result<BTreeSet<u64>, String>> =
        parallel(tjobs.clone(), |(_, fi, expr)| {
            let out = run(Command::new("tcpdump")
                .args(["-n", "-r"])
                .arg(&files[*fi].1)
                .args(["-w", "-", expr]));
            let err = String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
                .to_string();
            if err.ends_with("expression rejects all packets") {
                // libpcap proved no packet of this link type can match.
                return Ok(BTreeSet::new());
            }
            if !out.status.success() {
                return Err(err);
            }
            let keys = &per_file[*fi].keys;
            let mut matched = BTreeSet::new();
            let mut j = 0usize;
            for r in SliceReader::new(&out.stdout).flatten() {
                let r = content_key(&r);
                while j < keys.len() && keys[j] != r {
                    j += 1;
                }
                assert!(
                    j < keys.len(),
                    "tcpdump output is not a subsequence of {}",
                    files[*fi].0
                );
                matched.insert(j as u64 + 1);
                j += 1;
            }
            Ok(matched)
        });

    // Compare.
    let accepted = Accepted::load();
    let mut used = vec![false; accepted.rows.len()];
    let mut unexplained: Vec<String> = Vec::new();
    let mut rejected: Vec<String> = Vec::new();
    let mut stats: BTreeMap<&str, (usize, usize, usize, usize)> = BTreeMap::new(); // pairs, equal pairs, frames compared, frames differing
    let mut record = |oracle: &'static str,
                      filter: &str,
                      file_idx: usize,
                      ours: &BTreeSet<u64>,
                      theirs: &BTreeSet<u64>,
                      frames: u64| {
        let file = &files[file_idx].0;
        let s = stats.entry(oracle).or_default();
        s.0 += 1;
        s.2 += frames as usize;
        let diff: Vec<(u64, bool)> = ours
            .symmetric_difference(theirs)
            .map(|f| (*f, ours.contains(f)))
            .collect();
        if diff.is_empty() {
            s.1 += 1;
        }
        s.3 += diff.len();
        let mut missing = Vec::new();
        for (f, only_ours) in diff {
            match accepted.find(oracle, filter, file, f) {
                Some(r) => used[r] = true,
                None => missing.push(format!("{f}{}", if only_ours { "+" } else { "-" })),
            }
        }
        if !missing.is_empty() {
            unexplained.push(format!(
                "{oracle}\t{filter}\t{file}\t{}\t(+ only paircap, - only {oracle})",
                missing.join(",")
            ));
        }
    };
    for (k, (i, text)) in jobs.iter().enumerate() {
        let (orig, f) = all[*i];
        // The canonical text must mean the same to tshark as the original.
        let label = if text == orig {
            orig.clone()
        } else {
            format!("{orig} => {}", f.display())
        };
        let mut reported = false;
        for (fi, pf) in per_file.iter().enumerate() {
            match &pf.tshark[k] {
                Ok(theirs) => record(
                    "tshark",
                    &label,
                    fi,
                    &pf.ours[*i],
                    theirs,
                    pf.keys.len() as u64,
                ),
                Err(e) if !reported => {
                    rejected.push(format!("tshark rejects {text:?} (for {orig:?}): {e}"));
                    reported = true;
                }
                Err(_) => {}
            }
        }
    }
    let mut skipped_tcpdump: BTreeMap<String, usize> = BTreeMap::new();
    for ((k, fi, _), res) in tjobs.iter().zip(&tcpdump_out) {
        let (orig, _) = &tcpdump[*k];
        match res {
            Ok(theirs) => record(
                "tcpdump",
                orig,
                *fi,
                &per_file[*fi].ours[display.len() + k],
                theirs,
                per_file[*fi].keys.len() as u64,
            ),
            Err(e) => *skipped_tcpdump.entry(e.clone()).or_default() += 1,
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    unexplained.extend(rejected);

    eprintln!(
        "{} display filters + {} tcpdump expressions over {} files ({} packets); {} texts evaluated by tshark per file",
        display.len(),
        tcpdump.len(),
        files.len(),
        per_file.iter().map(|p| p.keys.len()).sum::<usize>(),
        jobs.len()
    );
    for (oracle, (pairs, eq, frames, diff)) in &stats {
        eprintln!(
            "vs {oracle}: {eq}/{pairs} (filter, file) pairs identical ({:.2}%), {diff} differing frame verdicts of {frames} ({:.4}% agreement)",
            100.0 * *eq as f64 / (*pairs).max(1) as f64,
            100.0 - 100.0 * *diff as f64 / (*frames).max(1) as f64
        );
    }
    eprintln!(
        "(expression, file) pairs tcpdump could not run: {}",
        skipped_tcpdump
            .iter()
            .map(|(e, n)| format!("{n} × {e}"))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let stale: Vec<String> = accepted
        .rows
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(r, _)| format!("{}\t{}\t{}", r.oracle, r.filter, r.file))
        .collect();
    assert!(
        unexplained.is_empty() && stale.is_empty(),
        "{} unexplained differences (add them to tests/filter-differences.tsv with a reason, or fix):\n{}\n\n{} stale entries in filter-differences.tsv:\n{}",
        unexplained.len(),
        unexplained.join("\n"),
        stale.len(),
        stale.join("\n")
    );
}
