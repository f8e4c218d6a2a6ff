//! What `paircap view` does with one request head: a pure function of the head and the
//! server's secrets (no I/O), so it is tested and fuzzed on its own (`fuzz/`, which
//! includes this file). See `view.rs` for the access model.

/// The session cookie's name.
pub const COOKIE: &str = "paircap_view";

/// The server's identity and secrets.
pub struct Gate {
    /// The session cookie's value.
    pub token: String,
    /// The one-time login code (taken by its first use).
    pub login: std::sync::Mutex<Option<String>>,
    /// The port served (Host and Origin must name it).
    pub port: u16,
}

/// What to answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Route<'h> {
    /// An error status and its text; the connection closes.
    Refuse(u16, &'static str),
    /// The login code was right: set the cookie, redirect to `/`.
    Login,
    /// Serve this path (`head_only`: HEAD).
    Serve { path: &'h str, head_only: bool },
}

/// Constant-time equality (the secrets are the only thing compared this way).
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |x, (p, q)| x | (p ^ q)) == 0
}

impl Gate {
    /// `Host` must name this server on loopback (a DNS-rebinding page sends its own name).
    pub fn host_ok(&self, host: Option<&[u8]>) -> bool {
        let Some(h) = host else { return false };
        let p = self.port;
        [
            format!("127.0.0.1:{p}"),
            format!("localhost:{p}"),
            format!("[::1]:{p}"),
        ]
        .iter()
        .any(|x| x.as_bytes().eq_ignore_ascii_case(h))
    }

    /// A request from another origin (a page elsewhere using this server) is refused.
    pub fn same_origin(&self, origin: Option<&[u8]>, fetch_site: Option<&[u8]>) -> bool {
        if let Some(s) = fetch_site {
            if !(s == b"same-origin" || s == b"none") {
                return false;
            }
        }
        match origin {
            None => true,
            Some(o) => {
                let p = self.port;
                [
                    format!("http://127.0.0.1:{p}"),
                    format!("http://localhost:{p}"),
                    format!("http://[::1]:{p}"),
                ]
                .iter()
                .any(|x| x.as_bytes().eq_ignore_ascii_case(o))
            }
        }
    }

    /// Whether a `Cookie` header holds the session.
    pub fn has_cookie(&self, cookies: &[&[u8]]) -> bool {
        cookies.iter().any(|line| {
            line.split(|&b| b == b';').any(|kv| {
                let kv = kv.trim_ascii();
                kv.strip_prefix(COOKIE.as_bytes())
                    .and_then(|r| r.strip_prefix(b"="))
                    .is_some_and(|v| same(v, self.token.as_bytes()))
            })
        })
    }

    /// Takes the login code if this is it (once).
    pub fn take_login(&self, code: &str) -> bool {
        let Ok(mut g) = self.login.lock() else {
            return false;
        };
        match g.as_deref() {
            Some(c) if same(c.as_bytes(), code.as_bytes()) => {
                *g = None;
                true
            }
            _ => false,
        }
    }

    /// Decides what to do with one complete request head (at most `max_head` bytes).
    pub fn route<'h>(&self, head: &'h [u8], max_head: usize) -> Route<'h> {
        if head.len() > max_head {
            return Route::Refuse(431, "request head too large");
        }
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        let (method, path) = match req.parse(head) {
            Ok(httparse::Status::Complete(_)) => (req.method.unwrap_or(""), req.path.unwrap_or("")),
            _ => return Route::Refuse(400, "bad request"),
        };
        let header = |name: &str| {
            req.headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| h.value)
        };
        if !self.host_ok(header("host")) {
            return Route::Refuse(403, "wrong Host");
        }
        if !self.same_origin(header("origin"), header("sec-fetch-site")) {
            return Route::Refuse(403, "cross-origin request");
        }
        let has_body = req.headers.iter().any(|h| {
            (h.name.eq_ignore_ascii_case("content-length") && h.value != b"0")
                || h.name.eq_ignore_ascii_case("transfer-encoding")
        });
        if has_body || !(method == "GET" || method == "HEAD") {
            // Nothing is ever uploaded to this server.
            return Route::Refuse(405, "only GET");
        }
        if let Some(q) = path.strip_prefix("/login?") {
            let code = q
                .split('&')
                .find_map(|kv| kv.strip_prefix("code="))
                .unwrap_or("");
            if !self.take_login(code) {
                return Route::Refuse(
                    403,
                    "this login link was used already (or is wrong): restart paircap view for a new one",
                );
            }
            return Route::Login;
        }
        let cookies: Vec<&[u8]> = req
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("cookie"))
            .map(|h| h.value)
            .collect();
        if !self.has_cookie(&cookies) {
            return Route::Refuse(403, "not logged in: open the link paircap view printed");
        }
        Route::Serve {
            path,
            head_only: method == "HEAD",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> Gate {
        Gate {
            token: "t0k".into(),
            login: std::sync::Mutex::new(Some("c0de".into())),
            port: 8080,
        }
    }

    #[test]
    fn login_once_then_cookie() {
        let g = gate();
        let login = b"GET /login?code=c0de HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
        assert_eq!(g.route(login, 1 << 14), Route::Login);
        assert!(matches!(g.route(login, 1 << 14), Route::Refuse(403, _)));
        let page = b"GET /index.html HTTP/1.1\r\nHost: localhost:8080\r\nCookie: a=b; paircap_view=t0k\r\n\r\n";
        assert_eq!(
            g.route(page, 1 << 14),
            Route::Serve {
                path: "/index.html",
                head_only: false
            }
        );
        let rebind =
            b"GET / HTTP/1.1\r\nHost: evil.example:8080\r\nCookie: paircap_view=t0k\r\n\r\n";
        assert_eq!(g.route(rebind, 1 << 14), Route::Refuse(403, "wrong Host"));
        let post = b"POST / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Length: 3\r\n\r\n";
        assert!(matches!(g.route(post, 1 << 14), Route::Refuse(405, _)));
    }
}
