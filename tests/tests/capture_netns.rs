//! Live captures in network namespaces this test creates (addresses only inside them): real
//! traffic (ping, an HTTP server and client, UDP), `paircap capture` on both ends at once,
//! checked with tshark and against tcpdump capturing the same traffic at the same time.
//! Needs root; fails (does not skip) when namespaces cannot be created.

use paircap_tests::netns::{sh, stop, wait_for_file, Netns, Pair};
use paircap_tests::paircap;
use shared_decode::dissect::Decoded;
use shared_decode::file::{CaptureInfo, Reader};
use shared_decode::Decoder;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("paircap-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// tshark reads the file cleanly; returns its packet count.
fn tshark_count(path: &Path) -> usize {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args(["-T", "fields", "-e", "frame.number"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let bad: Vec<&str> = err
        .lines()
        .filter(|l| !l.contains("Running as user") && !l.trim().is_empty())
        .collect();
    assert!(
        out.status.success() && bad.is_empty(),
        "tshark -r {}: {}",
        path.display(),
        err
    );
    String::from_utf8_lossy(&out.stdout).lines().count()
}

/// Our own reading of a file: packets (decoded) and file metadata.
fn read_file(path: &Path) -> (Vec<PacketSummary>, CaptureInfo) {
    let mut r = Reader::new(std::fs::File::open(path).unwrap());
    let mut d = Decoder::new();
    let mut v = Vec::new();
    while let Some(rec) = r.next_record() {
        let rec = rec.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let pkt = d.decode(&rec);
        let mut s = PacketSummary {
            interface: rec.interface,
            ..PacketSummary::default()
        };
        for l in &pkt.layers {
            match &l.data {
                Decoded::Icmp(m) if !m.in_error => {
                    s.icmp = Some((m.icmp_type(), m.seq()));
                }
                Decoded::Udp(_) => s.udp = true,
                Decoded::Tcp(_) => s.tcp = true,
                _ => {}
            }
        }
        v.push(s);
    }
    (v, r.info().clone())
}

#[derive(Default, Debug, Clone)]
struct PacketSummary {
    interface: u32,
    icmp: Option<(u8, u16)>,
    udp: bool,
    tcp: bool,
}

fn traffic(pair: &Pair, dir: &Path) {
    // ICMP.
    pair.a.run(&["ping", "-c", "5", "-i", "0.2", &pair.b_ip]);
    // HTTP: a small server in B, a client in A.
    let server = pair.b.spawn_quiet(&[
        "python3",
        "-m",
        "http.server",
        "8080",
        "--bind",
        &pair.b_ip,
        "--directory",
        p(dir),
    ]);
    std::fs::write(dir.join("index.html"), "hello from the target\n").unwrap();
    let url = format!("http://{}:8080/index.html", pair.b_ip);
    let client = format!(
        "import time,urllib.request\nfor i in range(50):\n    try:\n        print(urllib.request.urlopen('{url}', timeout=2).read()); break\n    except Exception:\n        time.sleep(0.1)\n"
    );
    pair.a.run(&["python3", "-c", &client]);
    stop(server, SIGTERM);
    // UDP: ten datagrams to a closed port (the ICMP port-unreachable replies are traffic too).
    let udp = format!(
        "import socket\ns=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor i in range(10):\n    s.sendto(b'paircap-%d' % i, ('{}', 9999))\n",
        pair.b_ip
    );
    pair.a.run(&["python3", "-c", &udp]);
    std::thread::sleep(Duration::from_millis(300));
}

#[test]
fn both_ends_capture_what_tcpdump_captures_with_metadata() {
    let dir = tmpdir("ends");
    let pair = Pair::new("e");
    let (src, dst) = (dir.join("source.pcapng"), dir.join("target.pcapng"));
    let (tda, tdb) = (dir.join("tcpdump-a.pcap"), dir.join("tcpdump-b.pcap"));
    let pc = paircap();
    let cap_a = pair.a.spawn(&[
        p(&pc),
        "capture",
        "-i",
        "veth-a",
        "-w",
        p(&src),
        "--role",
        "source",
        "--peer",
        &pair.b_ip,
        "--comment",
        "end-to-end test",
    ]);
    let cap_b = pair.b.spawn(&[
        p(&pc),
        "capture",
        "-i",
        "veth-b",
        "-w",
        p(&dst),
        "--role",
        "target",
        "--time-stamp-precision",
        "nano",
    ]);
    let filter = format!("host {}", pair.b_ip);
    let td_a = pair.a.spawn(&[
        "tcpdump",
        "-i",
        "veth-a",
        "--immediate-mode",
        "-w",
        p(&tda),
        &filter,
    ]);
    let td_b = pair
        .b
        .spawn(&["tcpdump", "-i", "veth-b", "--immediate-mode", "-w", p(&tdb)]);
    for f in [&src, &dst, &tda, &tdb] {
        wait_for_file(f, Duration::from_secs(10));
    }
    std::thread::sleep(Duration::from_millis(800));
    traffic(&pair, &dir);
    let out_a = stop(cap_a, SIGINT);
    let out_b = stop(cap_b, SIGINT);
    stop(td_a, SIGINT);
    stop(td_b, SIGINT);
    assert!(
        out_a.status.success(),
        "{}",
        String::from_utf8_lossy(&out_a.stderr)
    );
    assert!(
        out_b.status.success(),
        "{}",
        String::from_utf8_lossy(&out_b.stderr)
    );
    let err_a = String::from_utf8_lossy(&out_a.stderr);
    assert!(
        err_a.contains("packets captured")
            && err_a.contains("received by filter")
            && err_a.contains("dropped by kernel"),
        "{err_a}"
    );

    let (n_src, n_dst) = (tshark_count(&src), tshark_count(&dst));
    let (n_tda, n_tdb) = (tshark_count(&tda), tshark_count(&tdb));
    assert!(n_src > 20, "only {n_src} packets in the source capture");
    assert_eq!(
        n_src, n_tda,
        "source: paircap {n_src} packets, tcpdump {n_tda}"
    );
    assert_eq!(
        n_dst, n_tdb,
        "target: paircap {n_dst} packets, tcpdump {n_tdb}"
    );

    let (pkts, info) = read_file(&src);
    assert_eq!(pkts.len(), n_src);
    assert!(
        pkts.iter().any(|x| x.tcp)
            && pkts.iter().any(|x| x.udp)
            && pkts.iter().any(|x| x.icmp.is_some())
    );
    let sec = &info.sections[0];
    assert!(
        sec.user_appl
            .as_deref()
            .unwrap_or("")
            .starts_with("paircap "),
        "{sec:?}"
    );
    assert!(
        sec.os.as_deref().unwrap_or("").starts_with("Linux"),
        "{sec:?}"
    );
    assert!(sec.hardware.is_some());
    for want in [
        "role=source",
        &format!("peer={}", pair.b_ip),
        "hostname=",
        "command=",
        "end-to-end test",
    ] {
        assert!(
            sec.comments.iter().any(|c| c.contains(want)),
            "no {want:?} in {:?}",
            sec.comments
        );
    }
    let i0 = &info.interfaces[0];
    assert_eq!(i0.name.as_deref(), Some("veth-a"));
    assert_eq!(i0.filter.as_deref(), Some(filter.as_str()));
    assert_eq!(i0.snaplen, 262_144);
    let st = info.stats.last().expect("an interface statistics block");
    assert_eq!(st.usr_deliv, Some(n_src as u64));
    assert!(st.filter_accept.unwrap_or(0) >= n_src as u64, "{st:?}");
    assert_eq!(st.os_drop, Some(0));
    assert!(st.start.is_some() && st.end.is_some());
    let (_, info_b) = read_file(&dst);
    assert_eq!(info_b.interfaces[0].tsresol.units_per_sec, 1_000_000_000);
    assert!(info_b.sections[0]
        .comments
        .iter()
        .any(|c| c == "role=target"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn filter_and_several_interfaces_and_live_printing() {
    let dir = tmpdir("filter");
    let pair = Pair::new("f");
    let out = dir.join("icmp.pcapng");
    let td = dir.join("icmp-tcpdump.pcap");
    let pc = paircap();
    let cap = pair.a.spawn(&[
        p(&pc),
        "capture",
        "-i",
        "veth-a",
        "-i",
        "lo",
        "-w",
        p(&out),
        "icmp",
    ]);
    let tdump = pair.a.spawn(&[
        "tcpdump",
        "-i",
        "veth-a",
        "--immediate-mode",
        "-w",
        p(&td),
        "icmp",
    ]);
    let live = pair
        .a
        .spawn(&[p(&pc), "capture", "-i", "veth-a", "-c", "4", "-n", "icmp"]);
    // -Y filters what is printed live (the capture filter still decides what is read).
    let live_y = pair.a.spawn(&[
        p(&pc),
        "capture",
        "-i",
        "veth-a",
        "-c",
        "4",
        "-n",
        "-Y",
        "icmp.type == 0",
        "icmp",
    ]);
    wait_for_file(&out, Duration::from_secs(10));
    wait_for_file(&td, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(800));
    traffic(&pair, &dir);
    pair.a.run(&["ping", "-c", "3", "-i", "0.2", "127.0.0.1"]);
    std::thread::sleep(Duration::from_millis(300));
    let o = stop(cap, SIGINT);
    stop(tdump, SIGINT);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (pkts, info) = read_file(&out);
    assert_eq!(info.interfaces.len(), 2, "one IDB per -i");
    assert!(
        pkts.iter().all(|x| x.icmp.is_some()),
        "the file holds only what the filter selects"
    );
    let on_veth = pkts.iter().filter(|x| x.interface == 0).count();
    assert!(pkts.iter().any(|x| x.interface == 1), "packets from lo too");
    assert_eq!(
        on_veth,
        tshark_count(&td),
        "same ICMP packets on veth-a as tcpdump"
    );
    // -c 4 without -w prints through the read path and stops by itself.
    let l = live.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&l.stdout);
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(
        text.contains(&format!(
            "IP {} > {}: ICMP echo request",
            pair.a_ip, pair.b_ip
        )),
        "{text}"
    );
    let l = live_y.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&l.stdout);
    assert_eq!(
        text.lines().count(),
        2,
        "2 of the 4 packets are replies: {text}"
    );
    assert!(
        text.lines().all(|x| x.contains("ICMP echo reply")),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// All (type, seq) ICMP echoes in the files, in file order.
fn echoes(files: &[PathBuf]) -> Vec<(u8, u16)> {
    let mut v = Vec::new();
    for f in files {
        tshark_count(f);
        let (pkts, info) = read_file(f);
        assert!(
            !info.interfaces.is_empty(),
            "{} has its own interface description",
            f.display()
        );
        v.extend(pkts.iter().filter_map(|x| x.icmp));
    }
    v
}

fn assert_continuous(e: &[(u8, u16)], last: u16) {
    let requests: Vec<u16> = e.iter().filter(|x| x.0 == 8).map(|x| x.1).collect();
    let first = *requests.first().expect("some echo requests");
    let want: Vec<u16> = (first..=last).collect();
    assert_eq!(
        requests, want,
        "echo requests across files: gaps or duplicates"
    );
    let replies = e.iter().filter(|x| x.0 == 0).count();
    assert!(
        replies + 1 >= requests.len(),
        "replies {replies} for {} requests",
        requests.len()
    );
}

#[test]
fn rotation_by_size_loses_and_duplicates_nothing() {
    let dir = tmpdir("rot-size");
    let pair = Pair::new("s");
    let pc = paircap();
    let ring = dir.join("ring.pcapng");
    let all = dir.join("all.pcapng");
    let c1 = pair.a.spawn(&[
        p(&pc),
        "capture",
        "-i",
        "veth-a",
        "-w",
        p(&ring),
        "-C",
        "8k",
        "-W",
        "3",
        "icmp",
    ]);
    let c2 = pair.a.spawn(&[
        p(&pc),
        "capture",
        "-i",
        "veth-a",
        "-w",
        p(&all),
        "-C",
        "8k",
        "icmp",
    ]);
    wait_for_file(&dir.join("ring.pcapng0"), Duration::from_secs(10));
    wait_for_file(&all, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(500));
    pair.a
        .run(&["ping", "-c", "60", "-i", "0.02", "-s", "600", &pair.b_ip]);
    std::thread::sleep(Duration::from_millis(300));
    stop(c1, SIGINT);
    stop(c2, SIGINT);
    // Without -W: all.pcapng, all.pcapng1, all.pcapng2, ... hold every echo exactly once.
    let mut files = vec![all.clone()];
    for i in 1.. {
        let f = PathBuf::from(format!("{}{i}", all.display()));
        if !f.exists() {
            break;
        }
        files.push(f);
    }
    assert!(files.len() >= 4, "expected several files, got {files:?}");
    let e = echoes(&files);
    assert_eq!(e.iter().filter(|x| x.0 == 8).count(), 60);
    assert_continuous(&e, 60);
    // With -W 3: ring.pcapng0..2 only; the newest files hold a continuous tail.
    assert!(!dir.join("ring.pcapng3").exists() && !dir.join("ring.pcapng").exists());
    let mut ring_files: Vec<PathBuf> = (0..3)
        .map(|i| dir.join(format!("ring.pcapng{i}")))
        .collect();
    ring_files.retain(|f| f.exists());
    ring_files.sort_by_key(|f| read_first_time(f));
    assert_continuous(&echoes(&ring_files), 60);
    let _ = std::fs::remove_dir_all(&dir);
}

fn read_first_time(f: &Path) -> i128 {
    let mut r = Reader::new(std::fs::File::open(f).unwrap());
    match r.next_record() {
        Some(Ok(rec)) => rec.ts.map_or(0, |t| t.as_nanos()),
        _ => i128::MAX,
    }
}

#[test]
fn rotation_by_time_is_aligned_and_continuous() {
    let dir = tmpdir("rot-time");
    let pair = Pair::new("t");
    let pc = paircap();
    let pattern = dir.join("t-%s.pcapng");
    let c = pair.a.spawn(&[
        p(&pc),
        "capture",
        "-i",
        "veth-a",
        "-G",
        "1",
        "-w",
        p(&pattern),
        "icmp",
    ]);
    std::thread::sleep(Duration::from_millis(1000));
    pair.a.run(&["ping", "-c", "35", "-i", "0.1", &pair.b_ip]);
    std::thread::sleep(Duration::from_millis(300));
    let o = stop(c, SIGINT);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut files: Vec<(i64, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.ok()?.path();
            let n = path
                .file_name()?
                .to_str()?
                .strip_prefix("t-")?
                .strip_suffix(".pcapng")?
                .parse()
                .ok()?;
            Some((n, path))
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 4,
        "expected a file per second, got {files:?}"
    );
    for w in files.windows(2) {
        assert_eq!(
            w[1].0 - w[0].0,
            1,
            "files start at consecutive whole seconds: {files:?}"
        );
    }
    // Every packet of a file falls inside its one-second period (aligned to the clock).
    for (start, f) in &files {
        let mut r = Reader::new(std::fs::File::open(f).unwrap());
        while let Some(rec) = r.next_record() {
            let t = rec.unwrap().ts.unwrap().secs;
            assert!(
                t == *start || t == *start - 1,
                "{}: packet at {t}",
                f.display()
            );
        }
    }
    let paths: Vec<PathBuf> = files.into_iter().map(|x| x.1).collect();
    let e = echoes(&paths);
    assert_eq!(e.iter().filter(|x| x.0 == 8).count(), 35);
    assert_continuous(&e, 35);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigterm_mid_capture_leaves_a_valid_file() {
    let dir = tmpdir("sigterm");
    let pair = Pair::new("k");
    let pc = paircap();
    let f = dir.join("flood.pcapng");
    let c = pair
        .a
        .spawn(&[p(&pc), "capture", "-i", "veth-a", "-w", p(&f)]);
    wait_for_file(&f, Duration::from_secs(10));
    let flood = pair
        .a
        .spawn_quiet(&["ping", "-f", "-c", "200000", "-s", "200", &pair.b_ip]);
    std::thread::sleep(Duration::from_millis(1500));
    let o = stop(c, SIGTERM);
    stop(flood, SIGINT);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let n = tshark_count(&f);
    assert!(n > 1000, "only {n} packets");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("{n} packets captured")), "{err}");
    let (_, info) = read_file(&f);
    assert!(
        !info.stats.is_empty(),
        "statistics block written on SIGTERM"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors_people_hit_say_what_to_do() {
    let ns = Netns::new("x");
    let pc = paircap();
    let o = ns
        .cmd(&[p(&pc), "capture", "-i", "nosuch0", "-c", "1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("nosuch0") && err.contains("interfaces here") && err.contains("lo"),
        "{err}"
    );
    let o = ns
        .cmd(&[
            p(&pc),
            "capture",
            "-i",
            "lo",
            "-c",
            "1",
            "tcp",
            "prot",
            "80",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("bad capture filter") && err.contains("tcp prot 80"),
        "{err}"
    );
    let o = ns
        .cmd(&[
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            p(&pc),
            "capture",
            "-i",
            "lo",
            "-c",
            "1",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("run as root") && err.contains("setcap cap_net_raw,cap_net_admin=eip"),
        "{err}"
    );
}

#[test]
fn drop_privileges_after_opening() {
    let dir = tmpdir("priv");
    sh(&["chmod", "777", p(&dir)]);
    let pair = Pair::new("z");
    let pc = paircap();
    let f = dir.join("nobody.pcapng");
    let c = pair.a.spawn(&[
        p(&pc),
        "capture",
        "-i",
        "veth-a",
        "-Z",
        "nobody",
        "-w",
        p(&f),
        "icmp",
    ]);
    wait_for_file(&f, Duration::from_secs(10));
    pair.a.run(&["ping", "-c", "2", "-i", "0.2", &pair.b_ip]);
    let o = stop(c, SIGINT);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        std::fs::metadata(&f).unwrap().uid(),
        65534,
        "the file is written after dropping to nobody"
    );
    assert_eq!(tshark_count(&f), 4);
    assert_eq!(
        std::fs::metadata(&f).unwrap().mode() & 0o777,
        0o600,
        "capture files are private"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Capture files hold payloads: private by default, never written through a planted link
/// or onto the file being read.
#[test]
fn capture_files_are_private_and_never_follow_links() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tmpdir("private");
    let pair = Pair::new("pv");
    let pc = paircap();
    let mode = |f: &Path| std::fs::symlink_metadata(f).unwrap().mode() & 0o777;
    let cap = |f: &Path, extra: &[&str]| {
        let mut args = vec![p(&pc), "capture", "-i", "veth-a", "-c", "2"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-w", p(f), "icmp"]);
        let c = pair.a.spawn(&args);
        std::thread::sleep(Duration::from_millis(300));
        pair.a.run(&["ping", "-c", "1", &pair.b_ip]);
        c.wait_with_output().unwrap()
    };
    // Default: 0600 whatever the umask (022 here, as on a stock system).
    let f = dir.join("a.pcapng");
    let o = cap(&f, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(mode(&f), 0o600);
    // Shared with a group on request.
    let g = dir.join("g.pcapng");
    let o = cap(&g, &["--file-mode", "0640"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(mode(&g), 0o640);
    // A link planted where the capture will be written: refused, its target untouched.
    let victim = dir.join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let l = dir.join("planted.pcapng");
    std::os::unix::fs::symlink(&victim, &l).unwrap();
    let o = pair
        .a
        .cmd(&[p(&pc), "capture", "-i", "veth-a", "-c", "1", "-w", p(&l)])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("symbolic link"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    // read X -w X would truncate X before reading it.
    let before = std::fs::read(&f).unwrap();
    let o = Command::new(&pc)
        .args(["read", p(&f), "-w", p(&f)])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("also the file being read"),
        "{err}"
    );
    assert_eq!(std::fs::read(&f).unwrap(), before);
    // Overwriting a world-readable file makes it private before the packets go in.
    let w = dir.join("was-public.pcapng");
    std::fs::write(&w, "old").unwrap();
    std::fs::set_permissions(&w, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = Command::new(&pc)
        .args(["read", p(&f), "-w", p(&w)])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(mode(&w), 0o600);
    assert_eq!(tshark_count(&w), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn full_disk_gives_a_clear_error_and_a_valid_file() {
    let dir = tmpdir("full");
    let pair = Pair::new("d");
    let pc = paircap();
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let kept = dir.join("kept.pcapng");
    // A private mount namespace with a 96 KiB tmpfs: the capture fills it.
    let script = format!(
        "mount -t tmpfs -o size=96k tmpfs {m} && {pc} capture -i veth-a -w {m}/x.pcapng icmp; echo $? > {d}/status; cp {m}/x.pcapng {k}; umount {m}",
        m = p(&mnt),
        pc = p(&pc),
        d = p(&dir),
        k = p(&kept)
    );
    let cap = pair.a.spawn(&["unshare", "-m", "sh", "-c", &script]);
    std::thread::sleep(Duration::from_millis(1000));
    let flood = pair
        .a
        .spawn_quiet(&["ping", "-f", "-c", "3000", "-s", "1200", &pair.b_ip]);
    let o = cap.wait_with_output().unwrap();
    stop(flood, SIGINT);
    let status = std::fs::read_to_string(dir.join("status")).unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        status.trim(),
        "1",
        "paircap exits non-zero on a full disk: {err}"
    );
    assert!(
        err.contains("No space left on device") && err.contains("cut back"),
        "{err}"
    );
    let n = tshark_count(&kept);
    assert!(n > 10, "the file keeps what fitted ({n} packets)");
    let _ = std::fs::remove_dir_all(&dir);
}
