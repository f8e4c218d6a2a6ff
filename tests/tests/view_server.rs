//! `paircap view`: the built-in viewer server answers only on loopback, only under its
//! token, serves only the viewer's files and the named captures (byte for byte), refuses
//! uploads, and never maps a request path onto the file system.

use paircap_tests::cmd;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};

struct Server {
    child: Child,
    port: u16,
    token: String,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Server {
    let mut child = cmd()
        .arg("view")
        .args(args)
        .arg("--no-open")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    if !line.starts_with("paircap viewer: ") {
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        panic!("paircap view did not start: {line} {err}");
    }
    let url = line
        .trim()
        .trim_start_matches("paircap viewer: ")
        .to_string();
    let rest = url.strip_prefix("http://127.0.0.1:").unwrap();
    let (port, rest) = rest.split_once('/').unwrap();
    let token = rest.split('/').next().unwrap().to_string();
    Server {
        child,
        port: port.parse().unwrap(),
        token,
        url,
    }
}

/// Sends a raw request; returns (status, body).
fn raw(port: u16, request: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut r = BufReader::new(s);
    let mut status = String::new();
    r.read_line(&mut status).unwrap();
    let code: u16 = status.split(' ').nth(1).unwrap_or("0").parse().unwrap_or(0);
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        r.read_line(&mut h).unwrap();
        if h == "\r\n" || h.is_empty() {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    (code, body)
}

fn get(port: u16, path: &str) -> (u16, Vec<u8>) {
    raw(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
    )
}

fn samples() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples/demo.pcapng")
}

#[test]
fn serves_the_viewer_and_the_named_files_under_the_token_only() {
    let s = start(&[samples().to_str().unwrap()]);
    assert!(s.url.ends_with("#open=files/0/0/demo.pcapng"), "{}", s.url);
    let t = &s.token;
    assert_eq!(t.len(), 32);
    let (code, body) = get(s.port, &format!("/{t}/"));
    assert_eq!(code, 200);
    assert!(String::from_utf8_lossy(&body).contains("paircap viewer"));
    for asset in [
        "index.html",
        "app/app.js",
        "app/app_bg.wasm",
        "worker/worker_bg.wasm",
        "worker-boot.js",
        "reader.js",
        "style.css",
    ] {
        assert_eq!(get(s.port, &format!("/{t}/{asset}")).0, 200, "{asset}");
    }
    let (code, body) = get(s.port, &format!("/{t}/files/0/0/demo.pcapng"));
    assert_eq!(code, 200);
    assert_eq!(
        body,
        std::fs::read(samples()).unwrap(),
        "the capture byte for byte"
    );
    // Without the token, with a wrong one, or outside the site: nothing.
    for path in [
        "/".to_string(),
        "/index.html".to_string(),
        "/files/0/0/demo.pcapng".to_string(),
        format!("/{}/index.html", "0".repeat(32)),
        format!("/{t}/../{t}/index.html"),
        format!("/{t}/files/0/0/../../../Cargo.toml"),
        format!("/{t}/%2e%2e/%2e%2e/Cargo.toml"),
        format!("/{t}//etc/passwd"),
        format!("/{t}/files/1/0/demo.pcapng"),
        format!("/{t}/files/0/0/%2e%2e%2fdemo.pcapng"),
        "/etc/passwd".to_string(),
        format!("http://127.0.0.1/{t}/../../etc/passwd"),
    ] {
        let (code, body) = get(s.port, &path);
        assert_eq!(code, 404, "{path}");
        assert_eq!(body, b"not found", "{path}");
    }
    // Nothing is uploaded.
    let (code, _) = raw(
        s.port,
        &format!("POST /{t}/index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"),
    );
    assert_eq!(code, 405);
    let (code, _) = raw(s.port, "BREW / HTTP/1.1\r\n\r\n");
    assert_eq!(code, 405);
    let (code, _) = raw(s.port, "garbage\r\n\r\n");
    assert_eq!(code, 400);
}

#[test]
fn listens_on_loopback_only() {
    let s = start(&[]);
    // /proc/net/tcp: local address 0100007F (127.0.0.1) and the port, in LISTEN state (0A).
    let tcp = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let mine: Vec<&str> = tcp
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|a| a.ends_with(&format!(":{:04X}", s.port)))
        })
        .collect();
    assert!(!mine.is_empty());
    for l in mine {
        let f: Vec<&str> = l.split_whitespace().collect();
        assert!(f[1].starts_with("0100007F:"), "bound to {}", f[1]);
    }
    let tcp6 = std::fs::read_to_string("/proc/net/tcp6").unwrap_or_default();
    assert!(!tcp6.lines().any(|l| l
        .split_whitespace()
        .nth(1)
        .is_some_and(|a| a.ends_with(&format!(":{:04X}", s.port)))));
}

#[test]
fn names_two_files_for_compare_and_rejects_missing_ones() {
    let d = samples();
    let s = start(&[d.to_str().unwrap(), d.to_str().unwrap()]);
    assert!(
        s.url
            .ends_with("#open=files/0/0/demo.pcapng&target=files/1/0/demo.pcapng"),
        "{}",
        s.url
    );
    assert_eq!(
        get(s.port, &format!("/{}/files/1/0/demo.pcapng", s.token)).0,
        200
    );
    // A directory is a set: each capture file in it is named (the relay's log is not).
    let dir = samples().parent().unwrap().join("pair");
    let s = start(&[dir.to_str().unwrap()]);
    assert!(
        s.url
            .ends_with("#open=files/0/0/source.pcapng&open=files/0/1/target.pcapng"),
        "{}",
        s.url
    );
    let o = cmd()
        .args(["view", "/nonexistent.pcap", "--no-open"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot open /nonexistent.pcap"));
}
