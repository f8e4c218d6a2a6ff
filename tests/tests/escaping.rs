//! Terminal safety: packets whose text fields carry terminal commands (`tests/hostile/
//! hostile.py`: `ESC ] 0 ;` titles, `ESC [ 2 J`, raw and UTF-8-encoded CSI, DEL, a
//! right-to-left override — in an HTTP request line, Host, User-Agent and status line, a TLS
//! SNI, a DNS name and TXT string, a DHCP host name) through every output format of `paircap
//! read`, and through live `paircap capture` printing in a network namespace: the output is
//! valid UTF-8 with no character below U+0020 but newline and tab, none in U+007F–U+009F, no
//! bidi override — and the hostile text is still there, escaped (`\x1b]0;pwned`).

use paircap_tests::netns::{stop, Pair};
use paircap_tests::paircap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn hostile() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("hostile/hostile.py")
}

fn make_pcap(dir: &Path) -> PathBuf {
    let f = dir.join("hostile.pcap");
    let o = Command::new("python3")
        .arg(hostile())
        .arg("pcap")
        .arg(&f)
        .output()
        .expect("python3");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    f
}

/// Panics at the first character a terminal would act on.
fn assert_safe(what: &str, out: &[u8]) {
    let s = std::str::from_utf8(out).unwrap_or_else(|e| panic!("{what}: not UTF-8: {e}"));
    for (i, c) in s.char_indices() {
        let u = c as u32;
        let bad = (u < 0x20 && c != '\n' && c != '\t')
            || (0x7f..=0x9f).contains(&u)
            || matches!(u, 0x200e | 0x200f | 0x202a..=0x202e | 0x2066..=0x2069);
        assert!(
            !bad,
            "{what}: U+{u:04X} at byte {i}: {:?}",
            &s[i.saturating_sub(40)..(i + 10).min(s.len())]
        );
    }
}

fn read(file: &Path, args: &[&str]) -> Vec<u8> {
    let o = Command::new(paircap())
        .arg("read")
        .arg(file)
        .args(args)
        .output()
        .expect("paircap read");
    assert!(
        o.status.success(),
        "read {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

#[test]
fn every_read_format_escapes_terminal_commands() {
    let dir = std::env::temp_dir().join(format!("paircap-esc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let f = make_pcap(&dir);
    let fields = [
        "-E",
        "frame.number",
        "-E",
        "dns.qry.name",
        "-E",
        "dns.txt",
        "-E",
        "dhcp.option.hostname",
        "-E",
        "http.request.uri",
        "-E",
        "http.host",
        "-E",
        "http.user_agent",
        "-E",
        "http.response.phrase",
        "-E",
        "tls.handshake.extensions_server_name",
    ];
    let mut runs: Vec<Vec<&str>> = vec![
        vec![],
        vec!["-v"],
        vec!["-vv"],
        vec!["-vvv"],
        vec!["-x"],
        vec!["-xx"],
        vec!["-X"],
        vec!["-XX"],
        vec!["-A"],
        vec!["-e"],
        vec!["--format", "columns"],
        vec!["--format", "tree"],
        vec!["--format", "json"],
    ];
    let mut f_args = vec!["--format", "fields"];
    f_args.extend_from_slice(&fields);
    runs.push(f_args);
    let mut escaped_somewhere = 0;
    for args in &runs {
        let out = read(&f, args);
        assert_safe(&format!("read {args:?}"), &out);
        let text = String::from_utf8_lossy(&out);
        if text.contains("\\x1b]0;pwned") || text.contains("\\u001b]0;pwned") {
            escaped_somewhere += 1;
        }
    }
    // The hostile text is shown, escaped, not dropped: the columns' Info, the tree, the
    // fields and the JSON carry it.
    assert!(
        escaped_somewhere >= 4,
        "{escaped_somewhere} formats show it"
    );
    // JSON stays JSON: the value is intact once parsed.
    let json = read(&f, &["--format", "json"]);
    let txt = String::from_utf8_lossy(&json)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|v| v["dns.txt"].as_str().map(str::to_string))
        .expect("dns.txt");
    assert!(txt.starts_with("\u{1b}]0;pwned\u{7}"), "{txt:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn live_capture_printing_escapes_terminal_commands() {
    let p = Pair::new("esc");
    let child = p.b.spawn(&[
        paircap().to_str().expect("path"),
        "capture",
        "-i",
        "veth-b",
        "-c",
        "5",
        "-v",
        "-A",
        "ether src 02:00:00:00:00:01",
    ]);
    std::thread::sleep(Duration::from_millis(1500));
    p.a.run(&[
        "python3",
        hostile().to_str().expect("path"),
        "send",
        "veth-a",
    ]);
    // Five packets, then it stops by itself (a SIGINT ends it if some were not seen).
    let mut child = child;
    for _ in 0..100 {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let o = stop(child, 2);
    assert_safe("capture -v -A", &o.stdout);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("pwned"), "{text}");
    assert!(
        text.contains("\\x1b]0;pwned") || text.contains(".]0;pwned"),
        "{text}"
    );
}
