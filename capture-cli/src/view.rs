//! `paircap view [FILE [TARGET]]`: serves the viewer built into this binary on 127.0.0.1
//! with the named capture files (each side a file, or a set: a directory or a quoted
//! pattern, as for `paircap compare`).
//!
//! Access: the URL printed (and opened) is `http://127.0.0.1:PORT/login?code=CODE#…`. The
//! code works once: it sets an `HttpOnly`, `SameSite=Strict` session cookie holding a second
//! secret and redirects to `/`, so neither secret stays in the address bar, the history, the
//! page's URL (which the Share dialog builds links from) or the browser's command line after
//! the first load. Every other request needs the cookie. Requests whose `Host` is not this
//! server's loopback name (DNS rebinding), or that come from another origin (`Origin`,
//! `Sec-Fetch-Site`), are refused. Paths are looked up exactly, never joined to a directory.
//! The socket is bound to the loopback address. A request head must arrive within
//! [`HEAD_DEADLINE`] of its first byte; an idle connection closes after [`IDLE`]; when all
//! slots are taken, the connection that has waited longest for a request is closed so a new
//! one is served.

use crate::viewroute::{Gate, Route, COOKIE};
use crate::ViewArgs;
use anyhow::{Context, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

mod assets {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// Largest request head accepted.
const MAX_HEAD: usize = 16 << 10;
/// Connections served at once.
const MAX_CONN: usize = 32;
/// A request head must be complete this long after its first byte (slowloris).
const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// A kept-alive connection waits this long for the next request.
const IDLE: Duration = Duration::from_secs(30);
/// A response write that makes no progress this long ends the connection.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Security headers on every response: the page's CSP as a header (with `frame-ancestors`,
/// which a `<meta>` cannot set), no framing, no cross-origin reads.
const SECURITY_HEADERS: &str = "Content-Security-Policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'\r\nX-Frame-Options: DENY\r\nCross-Origin-Resource-Policy: same-origin\r\nCross-Origin-Opener-Policy: same-origin\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\nCache-Control: no-store\r\n";

/// What a path resolves to.
enum Item {
    Asset(&'static [u8], &'static str),
    File(PathBuf),
}

struct Site {
    /// Who may ask (secrets, port): decides each request.
    gate: Gate,
    files: Vec<(String, PathBuf)>,
}

impl Site {
    fn lookup(&self, path: &str) -> Option<Item> {
        let rest = path.strip_prefix('/')?;
        let rest = rest.split(['?', '#']).next().unwrap_or("");
        let rest = if rest.is_empty() { "index.html" } else { rest };
        if let Some(f) = rest.strip_prefix("files/") {
            return self
                .files
                .iter()
                .find(|(name, _)| name == f)
                .map(|(_, p)| Item::File(p.clone()));
        }
        assets::ASSETS
            .iter()
            .find(|(p, _)| *p == rest)
            .map(|(p, b)| Item::Asset(b, mime(p)))
    }
}

fn mime(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

/// 128 random bits, hex.
fn token() -> Result<String> {
    let mut b = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .context("cannot read /dev/urandom for the access token")?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Runs `paircap view`.
pub fn run(a: &ViewArgs) -> Result<ExitCode> {
    if !assets::ASSETS.iter().any(|(p, _)| *p == "index.html") {
        anyhow::bail!(
            "this paircap was built without the viewer: run scripts/build-viewer.sh, then rebuild paircap (cargo build -p capture-cli)"
        );
    }
    // Each side: a file, or a set (a directory or a quoted pattern, as for `compare`).
    let mut files = Vec::new();
    let mut sides: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    for (i, arg) in [a.file.as_ref(), a.target.as_ref()].into_iter().enumerate() {
        let Some(arg) = arg else { continue };
        for (k, p) in crate::compare::side_files(arg)?.into_iter().enumerate() {
            let meta =
                std::fs::metadata(&p).with_context(|| format!("cannot open {}", p.display()))?;
            if !meta.is_file() {
                anyhow::bail!("{} is not a file", p.display());
            }
            let name = p.file_name().map_or_else(
                || format!("capture-{i}"),
                |n| n.to_string_lossy().to_string(),
            );
            // Names in URLs: keep them plain (the page shows them).
            let safe: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let key = format!("{i}/{k}/{safe}");
            if let Some(v) = sides.get_mut(i) {
                v.push(key.clone());
            }
            files.push((key, p));
        }
    }
    let listener = TcpListener::bind(("127.0.0.1", a.port))
        .with_context(|| format!("cannot listen on 127.0.0.1:{}", a.port))?;
    let port = listener.local_addr()?.port();
    let code = token()?;
    let site = Arc::new(Site {
        gate: Gate {
            token: token()?,
            login: std::sync::Mutex::new(Some(code.clone())),
            port,
        },
        files,
    });
    let mut url = format!("http://127.0.0.1:{port}/login?code={code}");
    let mut frag = Vec::new();
    for (key, names) in ["open", "target"].iter().zip(&sides) {
        for n in names {
            frag.push(format!("{key}=files/{n}"));
        }
    }
    if !frag.is_empty() {
        url.push('#');
        url.push_str(&frag.join("&"));
    }
    println!("paircap viewer: {url}");
    println!("(serving on 127.0.0.1 only; the link logs one browser in, once; Ctrl+C stops it)");
    let _ = std::io::stdout().flush();
    if !a.no_open {
        open_browser(&url);
    }
    let conns = Arc::new(Conns::default());
    for conn in listener.incoming() {
        let Ok(stream) = conn else { continue };
        let Some(id) = conns.admit(&stream) else {
            continue;
        };
        let (site, conns) = (site.clone(), conns.clone());
        std::thread::spawn(move || {
            let _ = serve(&site, stream, &conns, id);
            conns.leave(id);
        });
    }
    Ok(ExitCode::SUCCESS)
}

/// The open connections: which are waiting for a request (and since when), so that a full
/// house closes the longest-waiting one instead of refusing a new client.
#[derive(Default)]
struct Conns {
    inner: std::sync::Mutex<ConnTable>,
}

#[derive(Default)]
struct ConnTable {
    next: u64,
    /// id → (a handle to shut it down, waiting for a request since).
    open: std::collections::HashMap<u64, (TcpStream, Option<std::time::Instant>)>,
}

impl Conns {
    /// Registers a new connection, closing the longest-waiting one when all slots are taken.
    fn admit(&self, s: &TcpStream) -> Option<u64> {
        let handle = s.try_clone().ok()?;
        let mut t = self.inner.lock().ok()?;
        if t.open.len() >= MAX_CONN {
            let oldest = t
                .open
                .iter()
                .filter_map(|(id, (_, since))| since.map(|w| (w, *id)))
                .min()
                .map(|x| x.1);
            match oldest {
                Some(id) => {
                    if let Some((h, _)) = t.open.remove(&id) {
                        let _ = h.shutdown(std::net::Shutdown::Both);
                    }
                }
                // Every slot is sending a response: this one waits its turn.
                None => return None,
            }
        }
        let id = t.next;
        t.next += 1;
        t.open.insert(id, (handle, Some(std::time::Instant::now())));
        Some(id)
    }

    /// Marks a connection as waiting for a request (`true`) or answering one.
    fn waiting(&self, id: u64, w: bool) {
        if let Ok(mut t) = self.inner.lock() {
            if let Some(e) = t.open.get_mut(&id) {
                e.1 = w.then(std::time::Instant::now);
            }
        }
    }

    fn leave(&self, id: u64) {
        if let Ok(mut t) = self.inner.lock() {
            t.open.remove(&id);
        }
    }
}

fn open_browser(url: &str) {
    let cmd = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    match std::process::Command::new(cmd)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(_) => {}
        Err(_) => eprintln!("paircap: could not start a browser ({cmd}); open the URL above"),
    }
}

/// Reads one request head within the deadlines: `IDLE` for its first byte, then
/// `HEAD_DEADLINE` for the rest, whatever the client's pace (checked before every read, so a
/// byte every few seconds does not stretch it). Bytes after the head stay in `reader` (a
/// pipelined request). `None`: the connection is over.
fn read_head(
    reader: &mut BufReader<TcpStream>,
    stream: &TcpStream,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut head = Vec::new();
    let mut started: Option<std::time::Instant> = None;
    loop {
        let wait = match started {
            None => IDLE,
            Some(t0) => HEAD_DEADLINE.saturating_sub(t0.elapsed()),
        };
        if wait.is_zero() {
            return Ok(None);
        }
        stream.set_read_timeout(Some(wait))?;
        let avail = match reader.fill_buf() {
            Ok(b) => b,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(None);
        }
        started.get_or_insert_with(std::time::Instant::now);
        let mut used = 0;
        for &b in avail {
            head.push(b);
            used += 1;
            if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") || head.len() > MAX_HEAD {
                reader.consume(used);
                return Ok(Some(head));
            }
        }
        reader.consume(used);
    }
}

/// Serves requests on one connection (keep-alive) until the client closes it.
fn serve(site: &Site, stream: TcpStream, conns: &Conns, id: u64) -> std::io::Result<()> {
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        conns.waiting(id, true);
        let Some(head) = read_head(&mut reader, &out)? else {
            let _ = out.shutdown(std::net::Shutdown::Both);
            return Ok(());
        };
        conns.waiting(id, false);
        let (path, head_only) = match site.gate.route(&head, MAX_HEAD) {
            Route::Refuse(code, text) => {
                return respond(&mut out, code, "text/plain", text.as_bytes(), false)
            }
            Route::Login => {
                // The cookie, and the page without the code (the fragment carries over).
                write!(
                    out,
                    "HTTP/1.1 303 See Other\r\nLocation: /\r\nSet-Cookie: {COOKIE}={}; Path=/; HttpOnly; SameSite=Strict\r\nContent-Length: 0\r\n{SECURITY_HEADERS}\r\n",
                    site.gate.token
                )?;
                out.flush()?;
                continue;
            }
            Route::Serve { path, head_only } => (path, head_only),
        };
        match site.lookup(path) {
            Some(Item::Asset(bytes, mime)) => {
                if head_only {
                    respond_head(&mut out, 200, mime, bytes.len() as u64)?;
                } else {
                    respond(&mut out, 200, mime, bytes, true)?;
                }
            }
            Some(Item::File(p)) => {
                let mut f = match std::fs::File::open(&p) {
                    Ok(f) => f,
                    Err(_) => return respond(&mut out, 404, "text/plain", b"not found", false),
                };
                let len = f.metadata()?.len();
                respond_head(&mut out, 200, "application/octet-stream", len)?;
                if !head_only {
                    // Exactly the announced length, even if the file changes meanwhile.
                    let sent = std::io::copy(&mut (&mut f).take(len), &mut out)?;
                    if sent < len {
                        let _ = out.shutdown(std::net::Shutdown::Both);
                        return Ok(());
                    }
                }
            }
            None if head_only => respond_head(&mut out, 404, "text/plain", 9)?,
            None => respond(&mut out, 404, "text/plain", b"not found", true)?,
        }
        out.flush()?;
    }
}

fn status_text(code: u16) -> &'static str {
    match code {
        200 => "OK",
        303 => "See Other",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    }
}

fn respond_head(out: &mut TcpStream, code: u16, mime: &str, len: u64) -> std::io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {code} {}\r\nContent-Type: {mime}\r\nContent-Length: {len}\r\n{SECURITY_HEADERS}\r\n",
        status_text(code)
    )
}

fn respond(
    out: &mut TcpStream,
    code: u16,
    mime: &str,
    body: &[u8],
    keep: bool,
) -> std::io::Result<()> {
    respond_head(out, code, mime, body.len() as u64)?;
    out.write_all(body)?;
    out.flush()?;
    if !keep {
        let _ = out.shutdown(std::net::Shutdown::Both);
    }
    Ok(())
}
