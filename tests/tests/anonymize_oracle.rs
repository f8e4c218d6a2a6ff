//! The anonymiser against an oracle it did not write: tshark's own decode of every public
//! corpus file (`tshark-json/`, made by TShark 4.0) names every address in every packet —
//! Ethernet, ARP, IPv4/IPv6 (tunnelled, quoted in ICMP errors), ND targets and options,
//! DHCP, DNS answers, NFLOG, Teredo, 802.11 and whatever else tshark dissects, including
//! link types paircap does not decode. After `--anon-payload zero` (the default) and `cut`,
//! none of them may appear in the packet's bytes: no IPv4 address, IPv6 address (link-local:
//! no interface id), MAC, and no solicited-node group or multicast MAC carrying the low 24
//! bits of a unicast IPv6 address. Kept by design: unspecified, loopback, broadcast and
//! multicast addresses (they identify no host).

use paircap_tests::corpus_dir;
use serde_json::Value;
use shared_decode::dissect::{dissect, DissectOptions};
use shared_decode::export::{Anonymizer, Payload};
use shared_decode::file::SliceReader;
use std::io::Read;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Byte strings that must not survive, per packet.
fn secrets(layers: &Value, out: &mut Vec<Vec<u8>>) {
    match layers {
        Value::Object(m) => m.values().for_each(|v| secrets(v, out)),
        Value::Array(a) => a.iter().for_each(|v| secrets(v, out)),
        Value::String(s) => {
            if let Ok(a) = s.parse::<Ipv4Addr>() {
                let o = a.octets();
                if !(a.is_unspecified()
                    || a.is_broadcast()
                    || a.is_multicast()
                    || o[0] >= 240
                    || o[0] == 127)
                {
                    out.push(o.to_vec());
                }
            } else if s.contains(':') && s.len() != 17 {
                if let Ok(a) = s.parse::<Ipv6Addr>() {
                    let o = a.octets();
                    if a.is_unspecified() || a.is_loopback() || o[0] == 0xff {
                        return;
                    }
                    if o[0] == 0xfe && o[1] & 0xc0 == 0x80 {
                        out.push(o[8..].to_vec()); // link-local keeps fe80::/64
                    } else {
                        out.push(o.to_vec());
                    }
                    // Its solicited-node group and that group's MAC.
                    let mut sn = vec![0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff];
                    sn.extend_from_slice(&o[13..]);
                    out.push(sn);
                    out.push(vec![0x33, 0x33, 0xff, o[13], o[14], o[15]]);
                }
            } else if let Some(m) = mac(s) {
                if m[0] & 1 == 0 && m != [0; 6] {
                    out.push(m.to_vec());
                }
            }
        }
        _ => {}
    }
}

fn mac(s: &str) -> Option<[u8; 6]> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 || parts.iter().any(|p| p.len() != 2) {
        return None;
    }
    let mut m = [0u8; 6];
    for (i, p) in parts.iter().enumerate() {
        m[i] = u8::from_str_radix(p, 16).ok()?;
    }
    Some(m)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Every public corpus file with tshark's decode: (path, bytes, tshark's packets), when both
/// readers see the same packets.
fn with_oracle() -> Vec<(std::path::PathBuf, Vec<u8>, Vec<Value>)> {
    let dir = corpus_dir();
    let json = dir.join("tshark-json");
    let mut names: Vec<_> = std::fs::read_dir(&json)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".json.gz"))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for n in names {
        let cap = dir.join(n.trim_end_matches(".json.gz"));
        let Ok(bytes) = std::fs::read(&cap) else {
            continue;
        };
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(json.join(&n)).unwrap())
            .read_to_end(&mut raw)
            .unwrap();
        // tshark writes some strings as raw bytes that are not UTF-8.
        let text = String::from_utf8_lossy(&raw);
        let Ok(Value::Array(tp)) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        if SliceReader::new(&bytes).filter_map(Result::ok).count() != tp.len() {
            continue; // the two readers disagree on the packets: nothing to pair
        }
        out.push((cap, bytes, tp));
    }
    out
}

/// The addresses tshark names in a packet, less values of almost no entropy ("0.0.0.1",
/// "48.48.48.48" in a packet of '0' bytes) that match kept header fields by chance.
fn packet_secrets(t: &Value) -> Vec<Vec<u8>> {
    let mut s = Vec::new();
    secrets(&t["_source"]["layers"], &mut s);
    s.retain(|x| {
        let distinct = x.iter().collect::<std::collections::BTreeSet<_>>().len();
        distinct > 1 && x.iter().filter(|b| **b != 0).count() > 1
    });
    s.sort();
    s.dedup();
    s
}

/// `--anon-payload keep` keeps application data, except where a protocol declares a plan:
/// DHCP and DHCPv6 messages come out with no address tshark names in them.
#[test]
fn kept_dhcp_and_dhcpv6_are_rewritten() {
    let (mut packets, mut checked) = (0usize, 0usize);
    let mut leaks = Vec::new();
    for (cap, bytes, tp) in with_oracle() {
        let mut a = Anonymizer::new(b"oracle", Payload::Keep);
        let recs: Vec<_> = SliceReader::new(&bytes).filter_map(Result::ok).collect();
        for (i, (rec, t)) in recs.iter().zip(&tp).enumerate() {
            let pkt = dissect(rec, i as u64 + 1, DissectOptions::default());
            let top = pkt.layers.last().map(|l| l.layer().filter_name());
            if !matches!(top, Some("dhcp" | "dhcpv6")) {
                continue;
            }
            let out = a.rewrite(&pkt);
            packets += 1;
            // tshark shows DHCP's magic cookie (RFC 2131) as the IPv4 address 99.130.83.99.
            for x in packet_secrets(t)
                .into_iter()
                .filter(|x| x != &[99, 130, 83, 99])
            {
                checked += 1;
                if let Some(at) = find(&out, &x) {
                    leaks.push(format!(
                        "{} packet {}: {x:02x?} at byte {at}",
                        cap.display(),
                        i + 1
                    ));
                }
            }
        }
    }
    println!("{packets} DHCP/DHCPv6 packets kept, {checked} address checks");
    assert!(
        packets >= 20 && checked >= 100,
        "{packets} packets, {checked} checks"
    );
    assert!(leaks.is_empty(), "addresses kept:\n{}", leaks.join("\n"));
}

#[test]
fn no_original_address_survives_zero_or_cut() {
    let (mut files, mut packets, mut secrets_checked, mut in_original) =
        (0, 0usize, 0usize, 0usize);
    let mut link_types = std::collections::BTreeSet::new();
    let mut leaks = Vec::new();
    for (cap, bytes, tp) in with_oracle() {
        let recs: Vec<_> = SliceReader::new(&bytes).filter_map(Result::ok).collect();
        files += 1;
        for payload in [Payload::Zero, Payload::Truncate] {
            let mut a = Anonymizer::new(b"oracle", payload);
            for (i, (rec, t)) in recs.iter().zip(&tp).enumerate() {
                link_types.insert(rec.link_type.0);
                let pkt = dissect(rec, i as u64 + 1, DissectOptions::default());
                let out = a.rewrite(&pkt);
                let s = packet_secrets(t);
                for x in &s {
                    secrets_checked += 1;
                    // The oracle reads the same bytes: most of what it names is in the
                    // original packet (not all: tshark also shows derived addresses).
                    if find(rec.data, x).is_some() {
                        in_original += 1;
                    }
                    if let Some(at) = find(&out, x) {
                        if leaks.len() < 20 {
                            leaks.push(format!(
                                "{} packet {} ({payload:?}): {x:02x?} at byte {at}",
                                cap.display(),
                                i + 1
                            ));
                        }
                    }
                }
                packets += 1;
            }
        }
    }
    println!("{files} files, {packets} packet rewrites, {secrets_checked} address checks ({in_original} in the original bytes), link types {link_types:?}");
    assert!(
        in_original * 10 >= secrets_checked * 8,
        "{in_original} of {secrets_checked}"
    );
    assert!(
        files > 300 && packets > 30_000,
        "{files} files, {packets} packets"
    );
    assert!(link_types.len() >= 10, "{link_types:?}");
    assert!(
        leaks.is_empty(),
        "original addresses in anonymised packets:\n{}",
        leaks.join("\n")
    );
}
