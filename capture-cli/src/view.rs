//! `paircap view [FILE [TARGET]]`: serves the viewer built into this binary on 127.0.0.1,
//! under a random token, with the named capture files (each side a file, or a set: a
//! directory or a quoted pattern, as for `paircap compare`). Every URL starts with
//! `/<token>/`; the page's own relative URLs carry the token with them. Requests without
//! it, and paths that are neither a viewer file nor one of the named captures (looked up
//! exactly, never joined to a directory), get 404. Nothing is served to other hosts: the
//! socket is bound to the loopback address.

use crate::ViewArgs;
use anyhow::{Context, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod assets {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// Largest request head accepted.
const MAX_HEAD: usize = 16 << 10;
/// Connections served at once.
const MAX_CONN: usize = 32;

/// What a path under the token resolves to.
enum Item {
    Asset(&'static [u8], &'static str),
    File(PathBuf),
}

struct Site {
    token: String,
    files: Vec<(String, PathBuf)>,
}

impl Site {
    fn lookup(&self, path: &str) -> Option<Item> {
        let (tok, rest) = path.strip_prefix('/')?.split_once('/')?;
        // Constant-time comparison: the token is the only secret.
        if tok.len() != self.token.len()
            || tok
                .bytes()
                .zip(self.token.bytes())
                .fold(0u8, |a, (x, y)| a | (x ^ y))
                != 0
        {
            return None;
        }
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
    let site = Arc::new(Site {
        token: token()?,
        files,
    });
    let mut url = format!("http://127.0.0.1:{port}/{}/", site.token);
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
    println!("(serving on 127.0.0.1 only; Ctrl+C stops it)");
    let _ = std::io::stdout().flush();
    if !a.no_open {
        open_browser(&url);
    }
    let active = Arc::new(AtomicUsize::new(0));
    for conn in listener.incoming() {
        let Ok(stream) = conn else { continue };
        if active.load(Ordering::SeqCst) >= MAX_CONN {
            drop(stream);
            continue;
        }
        active.fetch_add(1, Ordering::SeqCst);
        let (site, active) = (site.clone(), active.clone());
        std::thread::spawn(move || {
            let _ = serve(&site, stream);
            active.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok(ExitCode::SUCCESS)
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

/// Serves requests on one connection (keep-alive) until the client closes it.
fn serve(site: &Site, stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        // Read the request head (up to the blank line), bounded.
        let mut head = Vec::new();
        loop {
            // Bounded even inside one line: at most MAX_HEAD bytes are read for the head.
            let room = (MAX_HEAD + 1).saturating_sub(head.len()) as u64;
            let n = (&mut reader).take(room).read_until(b'\n', &mut head)?;
            if n == 0 {
                return Ok(());
            }
            if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
                break;
            }
            if head.len() > MAX_HEAD {
                return respond(
                    &mut out,
                    431,
                    "text/plain",
                    b"request head too large",
                    false,
                );
            }
        }
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        let (method, path) = match req.parse(&head) {
            Ok(httparse::Status::Complete(_)) => (req.method.unwrap_or(""), req.path.unwrap_or("")),
            _ => return respond(&mut out, 400, "text/plain", b"bad request", false),
        };
        let has_body = req.headers.iter().any(|h| {
            (h.name.eq_ignore_ascii_case("content-length") && h.value != b"0")
                || h.name.eq_ignore_ascii_case("transfer-encoding")
        });
        if has_body || !(method == "GET" || method == "HEAD") {
            // Nothing is ever uploaded to this server.
            return respond(&mut out, 405, "text/plain", b"only GET", false);
        }
        let head_only = method == "HEAD";
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
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    }
}

fn respond_head(out: &mut TcpStream, code: u16, mime: &str, len: u64) -> std::io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {code} {}\r\nContent-Type: {mime}\r\nContent-Length: {len}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n\r\n",
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
