//! Network namespaces for live-capture tests: two (or three) namespaces joined by veth pairs,
//! addresses only inside them, removed on drop. Creating them needs root; a test that cannot
//! create them fails with a clear message (it never skips).

use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static SEQ: AtomicU32 = AtomicU32::new(0);

/// Runs a command and panics with its output if it fails.
pub fn sh(args: &[&str]) -> Output {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {args:?}: {e}"));
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A network namespace, deleted on drop.
pub struct Netns {
    /// Its name (for `ip netns exec`).
    pub name: String,
}

impl Netns {
    /// Creates a namespace with `lo` up.
    pub fn new(tag: &str) -> Netns {
        let name = format!(
            "pc{}-{}-{}",
            std::process::id() % 100_000,
            SEQ.fetch_add(1, Ordering::SeqCst),
            tag
        );
        let out = Command::new("ip").args(["netns", "add", &name]).output();
        match out {
            Ok(o) if o.status.success() => {}
            Ok(o) => panic!(
                "cannot create network namespace {name} (these tests need root and iproute2): {}",
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) => panic!(
                "cannot run `ip` to create network namespaces (install iproute2, run as root): {e}"
            ),
        }
        let ns = Netns { name };
        ns.run(&["ip", "link", "set", "lo", "up"]);
        ns
    }

    /// A command that runs inside the namespace.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).args(args);
        c
    }

    /// Runs a command inside the namespace and checks it succeeded.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut full = vec!["ip", "netns", "exec", &self.name];
        full.extend_from_slice(args);
        sh(&full)
    }

    /// Starts a background command whose output is discarded (floods, servers).
    pub fn spawn_quiet(&self, args: &[&str]) -> Child {
        self.cmd(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {args:?} in {}: {e}", self.name))
    }

    /// Starts a background command inside the namespace.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.cmd(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {args:?} in {}: {e}", self.name))
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// Two namespaces joined by a veth pair `veth-a` (10.77.N.1/24) — `veth-b` (10.77.N.2/24).
pub struct Pair {
    /// Namespace A.
    pub a: Netns,
    /// Namespace B.
    pub b: Netns,
    /// A's address.
    pub a_ip: String,
    /// B's address.
    pub b_ip: String,
}

impl Pair {
    /// Creates the pair.
    pub fn new(tag: &str) -> Pair {
        let a = Netns::new(&format!("{tag}a"));
        let b = Netns::new(&format!("{tag}b"));
        let n =
            (std::process::id() as usize + SEQ.fetch_add(1, Ordering::SeqCst) as usize) % 250 + 1;
        let a_ip = format!("10.77.{n}.1");
        let b_ip = format!("10.77.{n}.2");
        sh(&[
            "ip", "link", "add", "veth-a", "netns", &a.name, "type", "veth", "peer", "name",
            "veth-b", "netns", &b.name,
        ]);
        a.run(&["ip", "addr", "add", &format!("{a_ip}/24"), "dev", "veth-a"]);
        b.run(&["ip", "addr", "add", &format!("{b_ip}/24"), "dev", "veth-b"]);
        a.run(&["ip", "link", "set", "veth-a", "up"]);
        b.run(&["ip", "link", "set", "veth-b", "up"]);
        // IPv6 duplicate address detection and router solicitations would add noise.
        for (ns, dev) in [(&a, "veth-a"), (&b, "veth-b")] {
            ns.run(&[
                "sysctl",
                "-q",
                "-w",
                &format!("net.ipv6.conf.{dev}.disable_ipv6=1"),
            ]);
        }
        Pair { a, b, a_ip, b_ip }
    }
}

/// Waits until `path` exists (a capture has opened its file) or panics after `timeout`.
pub fn wait_for_file(path: &std::path::Path, timeout: Duration) {
    let t = Instant::now();
    while !path.exists() {
        assert!(
            t.elapsed() < timeout,
            "{} did not appear within {timeout:?}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends SIGINT (or another signal) to a child and waits for it; returns its output.
pub fn stop(mut child: Child, sig: i32) -> Output {
    // `ip netns exec` execs the command, so the child's pid is the program's pid.
    let _ = Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .status();
    let t = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if t.elapsed() > Duration::from_secs(15) {
            let _ = child.kill();
            panic!(
                "process {} did not stop within 15 s after signal {sig}",
                child.id()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("wait")
}
