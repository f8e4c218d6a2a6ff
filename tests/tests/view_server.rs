//! `paircap view`: the built-in viewer server answers only on loopback; a one-time login
//! link sets a session cookie and nothing is served without it; requests naming another host
//! (DNS rebinding) or coming from another origin are refused; it serves only the viewer's
//! files and the named captures (byte for byte), refuses uploads, never maps a request path
//! onto the file system, sends its CSP as a header, and a slowloris client neither holds a
//! connection past the head deadline nor keeps a new client out.

use paircap_tests::cmd;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    port: u16,
    /// The one-time login code.
    code: String,
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
    let code = rest
        .strip_prefix("login?code=")
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_string();
    Server {
        child,
        port: port.parse().unwrap(),
        code,
        url,
    }
}

struct Resp {
    code: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends a raw request; returns the response.
fn raw(port: u16, request: &str) -> Resp {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut r = BufReader::new(s);
    let mut status = String::new();
    r.read_line(&mut status).unwrap();
    let code: u16 = status.split(' ').nth(1).unwrap_or("0").parse().unwrap_or(0);
    let mut len = 0usize;
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).unwrap();
        if h == "\r\n" || h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    Resp {
        code,
        headers,
        body,
    }
}

/// A GET as a browser on this page sends it: the right Host, the session cookie if any.
fn get_as(port: u16, path: &str, cookie: Option<&str>, extra: &str) -> Resp {
    let c = cookie.map_or(String::new(), |c| format!("Cookie: {c}\r\n"));
    raw(
        port,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{c}{extra}Connection: close\r\n\r\n"
        ),
    )
}

/// Logs in with the code; returns the cookie (`name=value`).
fn login(s: &Server) -> String {
    let r = get_as(s.port, &format!("/login?code={}", s.code), None, "");
    assert_eq!(r.code, 303);
    assert_eq!(r.header("location"), Some("/"));
    let c = r.header("set-cookie").expect("cookie").to_string();
    assert!(
        c.contains("HttpOnly") && c.contains("SameSite=Strict"),
        "{c}"
    );
    let kv = c.split(';').next().unwrap().to_string();
    assert!(!kv.contains(&s.code), "the cookie is not the login code");
    kv
}

fn samples() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples/demo.pcapng")
}

#[test]
fn serves_the_viewer_and_the_named_files_to_the_logged_in_browser_only() {
    let s = start(&[samples().to_str().unwrap()]);
    assert!(s.url.ends_with("#open=files/0/0/demo.pcapng"), "{}", s.url);
    assert_eq!(s.code.len(), 32);
    // Before the login: nothing, not even the page.
    for path in ["/", "/index.html", "/files/0/0/demo.pcapng"] {
        assert_eq!(get_as(s.port, path, None, "").code, 403, "{path}");
    }
    assert_eq!(
        get_as(
            s.port,
            "/login?code=00000000000000000000000000000000",
            None,
            ""
        )
        .code,
        403
    );
    let cookie = login(&s);
    // The code works once.
    assert_eq!(
        get_as(s.port, &format!("/login?code={}", s.code), None, "").code,
        403
    );
    let c = Some(cookie.as_str());
    let r = get_as(s.port, "/", c, "");
    assert_eq!(r.code, 200);
    assert!(String::from_utf8_lossy(&r.body).contains("paircap viewer"));
    let csp = r.header("content-security-policy").unwrap_or("");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    for asset in [
        "index.html",
        "app/app.js",
        "app/app_bg.wasm",
        "worker/worker_bg.wasm",
        "worker-boot.js",
        "reader.js",
        "style.css",
    ] {
        assert_eq!(
            get_as(s.port, &format!("/{asset}"), c, "").code,
            200,
            "{asset}"
        );
    }
    let r = get_as(s.port, "/files/0/0/demo.pcapng", c, "");
    assert_eq!(r.code, 200);
    assert_eq!(
        r.body,
        std::fs::read(samples()).unwrap(),
        "the capture byte for byte"
    );
    // A wrong cookie is no cookie.
    assert_eq!(
        get_as(
            s.port,
            "/",
            Some("paircap_view=0123456789abcdef0123456789abcdef"),
            ""
        )
        .code,
        403
    );
    // Outside the site: nothing.
    for path in [
        "/../index.html",
        "/files/0/0/../../../Cargo.toml",
        "/%2e%2e/%2e%2e/Cargo.toml",
        "//etc/passwd",
        "/files/1/0/demo.pcapng",
        "/files/0/0/%2e%2e%2fdemo.pcapng",
        "/etc/passwd",
        "http://127.0.0.1/../../etc/passwd",
    ] {
        let r = get_as(s.port, path, c, "");
        assert_eq!(r.code, 404, "{path}");
        assert_eq!(r.body, b"not found", "{path}");
    }
    // DNS rebinding: the right cookie, another host name.
    for host in [
        "evil.example",
        &format!("evil.example:{}", s.port),
        "127.0.0.1",
    ] {
        let r = raw(
            s.port,
            &format!("GET /files/0/0/demo.pcapng HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"),
        );
        assert_eq!(r.code, 403, "Host: {host}");
    }
    for host in [format!("localhost:{}", s.port), format!("[::1]:{}", s.port)] {
        let r = raw(
            s.port,
            &format!(
                "GET / HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
            ),
        );
        assert_eq!(r.code, 200, "Host: {host}");
    }
    // Another origin asking.
    for extra in [
        "Origin: http://evil.example\r\n",
        "Sec-Fetch-Site: cross-site\r\n",
        "Sec-Fetch-Site: same-site\r\n",
    ] {
        assert_eq!(
            get_as(s.port, "/files/0/0/demo.pcapng", c, extra).code,
            403,
            "{extra}"
        );
    }
    let own = format!(
        "Origin: http://127.0.0.1:{}\r\nSec-Fetch-Site: same-origin\r\n",
        s.port
    );
    assert_eq!(get_as(s.port, "/files/0/0/demo.pcapng", c, &own).code, 200);
    // Nothing is uploaded.
    let r = raw(
        s.port,
        &format!("POST /index.html HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nCookie: {cookie}\r\nContent-Length: 3\r\n\r\nabc", s.port),
    );
    assert_eq!(r.code, 405);
    let r = raw(
        s.port,
        &format!("BREW / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n", s.port),
    );
    assert_eq!(r.code, 405);
    assert_eq!(raw(s.port, "garbage\r\n\r\n").code, 400);
}

#[test]
fn a_slow_client_is_cut_and_does_not_keep_others_out() {
    let s = start(&[samples().to_str().unwrap()]);
    let cookie = login(&s);
    // One byte at a time: the head deadline (10 s from its first byte) closes it.
    let mut slow = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let t0 = Instant::now();
    let mut closed_after = None;
    for b in b"GET / HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
        if slow.write_all(&[*b]).is_err() {
            closed_after = Some(t0.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(400));
        if t0.elapsed() > Duration::from_secs(16) {
            break;
        }
    }
    let mut buf = [0u8; 16];
    if closed_after.is_none() {
        // The server closed its side: reading sees the end (or a reset).
        let n = slow.read(&mut buf).unwrap_or(0);
        assert_eq!(n, 0, "still open");
        closed_after = Some(t0.elapsed());
    }
    let after = closed_after.unwrap();
    assert!(after < Duration::from_secs(17), "{after:?}");
    // Every slot held by a silent client: a new GET is still served, at once.
    let hogs: Vec<TcpStream> = (0..40)
        .map(|_| {
            let mut h = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
            let _ = h.write_all(b"G");
            h
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let r = get_as(s.port, "/files/0/0/demo.pcapng", Some(&cookie), "");
    assert_eq!(r.code, 200);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    drop(hogs);
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
    let cookie = login(&s);
    assert_eq!(
        get_as(s.port, "/files/1/0/demo.pcapng", Some(&cookie), "").code,
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
