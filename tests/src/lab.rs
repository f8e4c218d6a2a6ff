//! A small network for the compare tests: client — router (NAT) — [relay] — server, in
//! network namespaces this test creates, with the offloads chosen per interface, real
//! traffic (HTTP both ways from `tests/relay/traffic.py`, ping, UDP) and `paircap capture`
//! at the client (source) and at the server (target).
//!
//! ```text
//!  client 10.89.0.2 (vc) ── (vrc) 10.89.0.1  router  198.51.100.1 (vrs) ──[ relay ]── (vs) 198.51.100.2 server
//! ```
//! The relay (`tests/relay/impair.py`, optional) bridges two interfaces of its own namespace
//! in user space, impairing both directions: this kernel has no netem.

use crate::netns::{sh, stop, wait_for_file, Netns};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The client's address.
pub const CLIENT_IP: &str = "10.89.0.2";
/// The router's LAN address.
pub const ROUTER_LAN: &str = "10.89.0.1";
/// The router's WAN address (the client's address after NAT).
pub const ROUTER_WAN: &str = "198.51.100.1";
/// The server's address.
pub const SERVER_IP: &str = "198.51.100.2";
/// The HTTP server's port.
pub const HTTP_PORT: u16 = 8080;
/// The DNS server's port (with `LabOptions::think_ms`).
pub const DNS_PORT: u16 = 53;
/// The TLS server's port (with `LabOptions::think_ms`).
pub const TLS_PORT: u16 = 8443;

const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

/// Offload settings of an interface (`ethtool -K`).
#[derive(Clone, Copy, Debug)]
pub struct Offloads {
    /// TCP segmentation offload and generic segmentation offload (sending super-segments).
    pub tso: bool,
    /// Generic receive offload (merging received segments).
    pub gro: bool,
}

impl Offloads {
    /// Both on (a stock server).
    pub const ON: Offloads = Offloads {
        tso: true,
        gro: true,
    };
    /// Both off (what the wire carries).
    pub const OFF: Offloads = Offloads {
        tso: false,
        gro: false,
    };
}

/// How to build the network.
#[derive(Clone, Debug)]
pub struct LabOptions {
    /// The client's interface.
    pub client: Offloads,
    /// The server's interface.
    pub server: Offloads,
    /// The router forwards super-segments as they are (`false`: it cuts them into wire
    /// segments on its way out, as a router whose egress has no TSO does).
    pub router_tso: bool,
    /// Relay arguments (`--drop 0.02 …`), or no relay.
    pub relay: Option<Vec<String>>,
    /// Servers that think: the HTTP server (on plain sockets: GET only) sleeps this long
    /// between a request's last byte and its answer, and a DNS server
    /// (UDP 53) and a TLS server (8443, sleeping between ClientHello and ServerHello) run
    /// beside it with the same sleep. `None`: the HTTP server alone, answering at once.
    pub think_ms: Option<u32>,
}

impl Default for LabOptions {
    fn default() -> Self {
        LabOptions {
            client: Offloads::ON,
            server: Offloads::ON,
            router_tso: false,
            relay: None,
            think_ms: None,
        }
    }
}

impl LabOptions {
    /// A path through the impairment relay with these `impair.py` arguments: the client
    /// sends super-segments (its capture holds them), the router cuts them into wire
    /// segments before the relay, no offloads on the server (its capture holds the relay's
    /// frames).
    pub fn relayed(args: &[&str]) -> LabOptions {
        LabOptions {
            client: Offloads {
                tso: true,
                gro: false,
            },
            server: Offloads::OFF,
            router_tso: false,
            relay: Some(args.iter().map(|s| s.to_string()).collect()),
            think_ms: None,
        }
    }
}

/// The network and its working folder.
pub struct Lab {
    /// The client namespace.
    pub client: Netns,
    /// The router namespace.
    pub router: Netns,
    /// The relay namespace, if any.
    pub relay: Option<Netns>,
    /// The server namespace.
    pub server: Netns,
    /// Working folder (captures, logs).
    pub dir: PathBuf,
    relay_proc: Option<Child>,
    services: Vec<Child>,
}

/// `tests/relay/<name>`.
pub fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("relay")
        .join(name)
}

fn veth(a: &Netns, a_dev: &str, b: &Netns, b_dev: &str) {
    sh(&[
        "ip", "link", "add", a_dev, "netns", &a.name, "type", "veth", "peer", "name", b_dev,
        "netns", &b.name,
    ]);
}

fn up(ns: &Netns, dev: &str) {
    ns.run(&[
        "sysctl",
        "-q",
        "-w",
        &format!("net.ipv6.conf.{dev}.disable_ipv6=1"),
    ]);
    ns.run(&["ip", "link", "set", dev, "up"]);
}

fn ethtool(ns: &Netns, dev: &str, args: &[&str]) {
    let mut v = vec!["ethtool", "-K", dev];
    v.extend_from_slice(args);
    ns.run(&v);
}

fn onoff(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// Loads an nftables ruleset in a namespace.
pub fn nft(ns: &Netns, rules: &str) {
    use std::io::Write;
    let mut child = ns
        .cmd(&["nft", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nft");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(rules.as_bytes())
        .expect("write");
    let o = child.wait_with_output().expect("nft");
    assert!(
        o.status.success(),
        "nft {rules}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// (packets, bytes) of the nftables rule with this comment.
pub fn counter(ns: &Netns, comment: &str) -> (u64, u64) {
    let out = ns.run(&["nft", "list", "ruleset"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains(&format!("comment \"{comment}\"")))
        .unwrap_or_else(|| panic!("no rule {comment} in {text}"));
    let w: Vec<&str> = line.split_whitespace().collect();
    let at = |k: &str| -> u64 {
        let i = w.iter().position(|x| *x == k).expect("counter");
        w[i + 1].parse().expect("number")
    };
    (at("packets"), at("bytes"))
}

impl Lab {
    /// Builds the network (and starts the relay and the HTTP server).
    pub fn new(tag: &str, o: &LabOptions) -> Lab {
        let dir = std::env::temp_dir().join(format!("paircap-lab-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("lab dir");
        let client = Netns::new(&format!("{tag}c"));
        let router = Netns::new(&format!("{tag}r"));
        let server = Netns::new(&format!("{tag}s"));
        let relay = o.relay.as_ref().map(|_| Netns::new(&format!("{tag}x")));
        veth(&client, "vc", &router, "vrc");
        match &relay {
            Some(x) => {
                veth(&router, "vrs", x, "vxa");
                veth(x, "vxb", &server, "vs");
                up(x, "vxa");
                up(x, "vxb");
            }
            None => veth(&router, "vrs", &server, "vs"),
        }
        for (ns, dev, addr) in [
            (&client, "vc", format!("{CLIENT_IP}/24")),
            (&router, "vrc", format!("{ROUTER_LAN}/24")),
            (&router, "vrs", format!("{ROUTER_WAN}/24")),
            (&server, "vs", format!("{SERVER_IP}/24")),
        ] {
            ns.run(&["ip", "addr", "add", &addr, "dev", dev]);
            up(ns, dev);
        }
        client.run(&["ip", "route", "add", "default", "via", ROUTER_LAN]);
        router.run(&["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
        // Segments after a loss must not become conntrack-INVALID (they would leave un-NATed).
        let _ = router
            .cmd(&[
                "sysctl",
                "-q",
                "-w",
                "net.netfilter.nf_conntrack_tcp_be_liberal=1",
            ])
            .output();
        nft(
            &router,
            "table ip nat {\n chain post {\n type nat hook postrouting priority 100;\n oifname \"vrs\" masquerade\n }\n}\n",
        );
        let c = o.client;
        let s = o.server;
        ethtool(
            &client,
            "vc",
            &[
                "tso",
                onoff(c.tso),
                "gso",
                onoff(c.tso),
                "gro",
                onoff(c.gro),
            ],
        );
        ethtool(
            &server,
            "vs",
            &[
                "tso",
                onoff(s.tso),
                "gso",
                onoff(s.tso),
                "gro",
                onoff(s.gro),
            ],
        );
        let rt = onoff(o.router_tso);
        ethtool(&router, "vrc", &["tso", rt, "gso", rt, "gro", "off"]);
        ethtool(&router, "vrs", &["tso", rt, "gso", rt, "gro", "off"]);
        let mut relay_proc = None;
        if let (Some(x), Some(args)) = (&relay, &o.relay) {
            // The relay forwards what AF_PACKET shows it: wire-sized frames with their
            // checksums filled in (no offloads on its side of the links).
            for dev in ["vxa", "vxb"] {
                ethtool(
                    x,
                    dev,
                    &["tso", "off", "gso", "off", "gro", "off", "tx", "off"],
                );
            }
            ethtool(&router, "vrs", &["tso", "off", "gso", "off", "tx", "off"]);
            ethtool(
                &server,
                "vs",
                &["tso", "off", "gso", "off", "gro", "off", "tx", "off"],
            );
            let log = dir.join("relay.log");
            let relay_py = script("impair.py");
            // On CPU 0 with everything else, the path is FIFO (what the reordering tests
            // count on: a relay on another CPU makes the ACKs that its deliveries trigger
            // leave the client from that CPU, and the kernel's per-CPU queues reorder them
            // against the client's own sends before the relay). With thinking servers (timing
            // tests, no reordering counted) it gets CPU 1, so their work cannot delay it.
            let cpu = if o.think_ms.is_some() { "1" } else { "0" };
            let mut v: Vec<&str> = vec![
                "taskset",
                "-c",
                cpu,
                "python3",
                relay_py.to_str().expect("path"),
                "vxa",
                "vxb",
                log.to_str().expect("path"),
            ];
            v.extend(args.iter().map(String::as_str));
            relay_proc = Some(x.spawn(&v));
        }
        let traffic = script("traffic.py");
        let traffic = traffic.to_str().expect("path");
        let think = o.think_ms.unwrap_or(0).to_string();
        let mut services = vec![server.spawn_quiet(&[
            "taskset",
            "-c",
            "0",
            "python3",
            traffic,
            if o.think_ms.is_some() {
                "serve-think"
            } else {
                "serve"
            },
            SERVER_IP,
            &HTTP_PORT.to_string(),
            &think,
        ])];
        if o.think_ms.is_some() {
            let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
            let out = Command::new("openssl")
                .args([
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-subj",
                    "/CN=paircap.test",
                    "-days",
                    "2",
                    "-keyout",
                ])
                .arg(&key)
                .arg("-out")
                .arg(&cert)
                .output()
                .expect("openssl (scripts/setup.sh installs it)");
            assert!(
                out.status.success(),
                "openssl: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            services.push(server.spawn_quiet(&[
                "taskset",
                "-c",
                "0",
                "python3",
                traffic,
                "serve-dns",
                SERVER_IP,
                &DNS_PORT.to_string(),
                &think,
            ]));
            services.push(server.spawn_quiet(&[
                "taskset",
                "-c",
                "0",
                "python3",
                traffic,
                "serve-tls",
                SERVER_IP,
                &TLS_PORT.to_string(),
                &think,
                cert.to_str().expect("path"),
                key.to_str().expect("path"),
            ]));
        }
        let lab = Lab {
            client,
            router,
            relay,
            server,
            dir,
            relay_proc,
            services,
        };
        // Wait for the path (and the HTTP server) to answer.
        let mut ok = false;
        for _ in 0..50 {
            let o = lab
                .client
                .cmd(&["ping", "-c", "1", "-W", "1", SERVER_IP])
                .output()
                .expect("ping");
            if o.status.success() {
                ok = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(ok, "the lab's path does not answer");
        if o.think_ms.is_some() {
            // The DNS and TLS servers listen (`ss` makes no traffic of its own).
            let mut up = false;
            for _ in 0..100 {
                let out = lab.server.run(&["ss", "-lntu"]);
                let text = String::from_utf8_lossy(&out.stdout);
                if text.contains(&format!(":{DNS_PORT} "))
                    && text.contains(&format!(":{TLS_PORT} "))
                {
                    up = true;
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            assert!(up, "the lab's DNS and TLS servers do not listen");
        }
        std::thread::sleep(Duration::from_millis(300));
        lab
    }

    /// Starts `paircap capture -w FILE` at the client (the source role) or at the server (the
    /// target role) with extra arguments.
    pub fn capture(&self, at_client: bool, file: &Path, extra: &[&str]) -> Child {
        let pc = crate::paircap();
        let (ns, dev, role) = if at_client {
            (&self.client, "vc", "source")
        } else {
            (&self.server, "vs", "target")
        };
        let mut v = vec![
            pc.to_str().expect("path"),
            "capture",
            "-i",
            dev,
            "-w",
            file.to_str().expect("path"),
            "--role",
            role,
        ];
        v.extend_from_slice(extra);
        ns.spawn(&v)
    }

    /// Starts `paircap capture` at the client (source) and at the server (target), with
    /// extra arguments each; returns once both files exist.
    pub fn start_captures(&self, src_args: &[&str], dst_args: &[&str]) -> Captures {
        let (src, dst) = (
            self.dir.join("source.pcapng"),
            self.dir.join("target.pcapng"),
        );
        let a = self.capture(true, &src, src_args);
        let b = self.capture(false, &dst, dst_args);
        wait_for_file(&src, Duration::from_secs(10));
        wait_for_file(&dst, Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(800));
        Captures {
            procs: vec![a, b],
            source: src,
            target: dst,
        }
    }

    /// HTTP transfers from the client, in order: `get:N` downloads N bytes, `put:N`
    /// uploads N bytes (pinned to one CPU, so that the kernel's per-CPU queues cannot
    /// reorder what the tests count as a FIFO path).
    pub fn http(&self, jobs: &[&str]) {
        let traffic = script("traffic.py");
        let base = format!("{SERVER_IP}:{HTTP_PORT}");
        let mut v = vec![
            "taskset",
            "-c",
            "0",
            "python3",
            traffic.to_str().expect("path"),
            "fetch",
            &base,
        ];
        v.extend_from_slice(jobs);
        self.client.run(&v);
    }

    /// `rounds` rounds of a DNS query, a TLS handshake and an HTTP/1.1 connection with two
    /// requests (`LabOptions::think_ms` must be set).
    pub fn transactions(&self, rounds: u32) {
        let traffic = script("traffic.py");
        self.client.run(&[
            "taskset",
            "-c",
            "0",
            "python3",
            traffic.to_str().expect("path"),
            "tx",
            SERVER_IP,
            &HTTP_PORT.to_string(),
            &DNS_PORT.to_string(),
            &TLS_PORT.to_string(),
            &rounds.to_string(),
        ]);
    }

    /// Pings the server `n` times.
    pub fn ping(&self, n: u32) {
        let _ = self
            .client
            .cmd(&[
                "taskset",
                "-c",
                "0",
                "ping",
                "-c",
                &n.to_string(),
                "-i",
                "0.01",
                "-W",
                "1",
                SERVER_IP,
            ])
            .output();
    }

    /// `n` UDP datagrams to a closed port of the server.
    pub fn udp(&self, n: u32) {
        let traffic = script("traffic.py");
        self.client.run(&[
            "python3",
            traffic.to_str().expect("path"),
            "udp",
            SERVER_IP,
            "9999",
            &n.to_string(),
        ]);
    }

    /// Stops the relay (its log is complete afterwards).
    pub fn stop_relay(&mut self) {
        if let Some(p) = self.relay_proc.take() {
            let o = stop(p, SIGTERM);
            assert!(
                o.status.success(),
                "relay: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(p) = self.relay_proc.take() {
            let _ = stop(p, SIGTERM);
        }
        for mut p in self.services.drain(..) {
            let _ = p.kill();
            let _ = p.wait();
        }
        if std::env::var_os("PAIRCAP_KEEP_LAB").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The two running captures.
pub struct Captures {
    procs: Vec<Child>,
    /// The client's capture file.
    pub source: PathBuf,
    /// The server's capture file.
    pub target: PathBuf,
}

impl Captures {
    /// Captures started by hand (`Lab::capture`) that `stop` also stops, first.
    pub fn with(mut self, more: Vec<Child>) -> Captures {
        self.procs.extend(more);
        self
    }

    /// Stops both captures (SIGINT) and checks they ended well.
    pub fn stop(mut self) -> (PathBuf, PathBuf) {
        std::thread::sleep(Duration::from_millis(300));
        for p in self.procs.drain(..) {
            let o = stop(p, SIGINT);
            assert!(
                o.status.success(),
                "capture: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        (self.source.clone(), self.target.clone())
    }
}

/// `paircap compare SRC DST --format json --packets [extra]`: the JSON document's bytes.
pub fn compare_json(src: &Path, dst: &Path, extra: &[&str]) -> Vec<u8> {
    let out = Command::new(crate::paircap())
        .arg("compare")
        .arg(src)
        .arg(dst)
        .args(["--format", "json", "--packets"])
        .args(extra)
        .output()
        .expect("paircap compare");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `paircap compare SRC DST` (the text report).
pub fn compare_text(src: &Path, dst: &Path, extra: &[&str]) -> String {
    let out = Command::new(crate::paircap())
        .arg("compare")
        .arg(src)
        .arg(dst)
        .args(extra)
        .output()
        .expect("paircap compare");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
