//! Anonymisation on every corpus file: the rewritten packets dissect into the same layers,
//! every checksum keeps its verdict (correct stays correct, wrong stays wrong), addresses
//! change consistently and prefix-preservingly, and nothing of the original addresses is
//! left in the headers.

use shared_decode::dissect::{dissect, Decoded, DissectOptions, Packet};
use shared_decode::export::{Anonymizer, Payload};
use shared_decode::file::Record;
use shared_decode::SliceReader;
use std::path::PathBuf;

fn corpus() -> Vec<PathBuf> {
    paircap_tests::corpus_files()
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect()
}

/// (layer name, checksum verdict) for each checksummed layer.
fn verdicts(p: &Packet<'_>) -> Vec<(&'static str, Option<bool>)> {
    p.layers
        .iter()
        .filter_map(|l| match &l.data {
            Decoded::Ipv4(ip) => Some(("ip", Some(ip.verify().ok()))),
            Decoded::Tcp(t) => Some(("tcp", t.verify().map(|v| v.ok()))),
            Decoded::Udp(u) => Some(("udp", u.verify().map(|v| v.ok()))),
            Decoded::Icmp(m) => Some(("icmp", m.verify(l.len).map(|v| v.ok()))),
            Decoded::Icmpv6(m) => Some(("icmpv6", m.verify(l.len).map(|v| v.ok()))),
            _ => None,
        })
        .collect()
}

fn addrs(p: &Packet<'_>) -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    for l in &p.layers {
        match &l.data {
            Decoded::Ipv4(ip) => {
                v.push(ip.src().to_vec());
                v.push(ip.dst().to_vec());
            }
            Decoded::Ipv6(ip) => {
                v.push(ip.src().to_vec());
                v.push(ip.dst().to_vec());
            }
            _ => {}
        }
    }
    v
}

#[test]
fn checksums_keep_their_verdicts_and_layers_survive() {
    let mut a = Anonymizer::new(b"test secret", Payload::Keep);
    let (mut packets, mut checked) = (0, 0);
    for path in corpus() {
        let bytes = std::fs::read(&path).unwrap();
        for rec in SliceReader::new(&bytes).filter_map(Result::ok) {
            let before = dissect(&rec, 1, DissectOptions::default());
            let data = a.rewrite(&before);
            assert_eq!(data.len(), rec.data.len());
            let rec2 = Record { data: &data, ..rec };
            let after = dissect(&rec2, 1, DissectOptions::default());
            let (lb, la): (Vec<_>, Vec<_>) = (
                before.layers.iter().map(|l| l.layer()).collect(),
                after.layers.iter().map(|l| l.layer()).collect(),
            );
            // Every layer up to undissected data survives (the data itself is zeroed: it
            // may read as something else afterwards).
            use shared_decode::error::Layer as L;
            let k = (0..lb.len())
                .find(|&i| lb[i] == L::Data && (i == 0 || !matches!(lb[i - 1], L::Tcp | L::Udp)))
                .unwrap_or(lb.len());
            assert_eq!(lb[..k], la[..k.min(la.len())], "{}: layers", path.display());
            if k < lb.len() {
                packets += 1;
                continue;
            }
            assert_eq!(lb, la, "{}: layers", path.display());
            let (vb, va) = (verdicts(&before), verdicts(&after));
            assert_eq!(vb, va, "{}: checksum verdicts", path.display());
            checked += vb.iter().filter(|x| x.1.is_some()).count();
            // Unicast addresses changed, special ones kept.
            for (x, y) in addrs(&before).iter().zip(addrs(&after).iter()) {
                let special = x.iter().all(|b| *b == 0)
                    || x[0] >= 224 && x.len() == 4
                    || x[0] == 127 && x.len() == 4
                    || x[0] == 0xff
                    || x.iter().all(|b| *b == 0xff)
                    || (x.len() == 16 && x[..15].iter().all(|b| *b == 0));
                // Solicited-node groups keep their prefix; their low 24 bits are those of
                // the unicast address they stand for, which changed.
                let solicited =
                    x.len() == 16 && x[..13] == [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff];
                if solicited {
                    assert_eq!(x[..13], y[..13]);
                    assert_ne!(x[13..], y[13..], "{}: {x:?}", path.display());
                    continue;
                }
                assert_eq!(special, x == y, "{}: {x:?} -> {y:?}", path.display());
            }
            packets += 1;
        }
    }
    assert!(
        packets > 15_000 && checked > 20_000,
        "{packets} packets, {checked} checksums"
    );
}

#[test]
fn mappings_are_consistent_and_prefix_preserving() {
    let mut a = Anonymizer::new(b"k", Payload::Keep);
    let mut b = Anonymizer::new(b"k", Payload::Keep);
    let mut c = Anonymizer::new(b"other", Payload::Keep);
    let x = [10, 1, 2, 3];
    assert_eq!(a.ipv4(x), b.ipv4(x), "same secret, same pseudonym");
    assert_ne!(a.ipv4(x), c.ipv4(x), "another secret, another pseudonym");
    assert_ne!(a.ipv4(x), x);
    let mut seed = 7u64;
    for _ in 0..2000 {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let p = (seed >> 32) as u32 | 0x0100_0000;
        let q = p ^ (1 << ((seed >> 20) % 24));
        let (pp, qq) = (
            u32::from_be_bytes(a.ipv4(p.to_be_bytes())),
            u32::from_be_bytes(a.ipv4(q.to_be_bytes())),
        );
        if p >> 28 >= 14 || p >> 24 == 127 || q >> 28 >= 14 || q >> 24 == 127 {
            continue;
        }
        assert_eq!(
            (p ^ q).leading_zeros(),
            (pp ^ qq).leading_zeros(),
            "{p:08x} {q:08x} -> {pp:08x} {qq:08x}"
        );
    }
    let v6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let mut v6b = v6;
    v6b[15] = 2;
    let (m, n) = (
        u128::from_be_bytes(a.ipv6(v6)),
        u128::from_be_bytes(a.ipv6(v6b)),
    );
    assert_eq!((m ^ n).leading_zeros(), 126);
    let ll = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
    assert_eq!(a.ipv6(ll)[..8], ll[..8], "link-local keeps fe80::/64");
    let mac = [0x00, 0x1b, 0x21, 1, 2, 3];
    let mm = a.mac(mac);
    assert_ne!(mm, mac);
    assert_eq!(mm[0] & 0x03, 0x02, "unicast, locally administered");
    assert_eq!(a.mac([0xff; 6]), [0xff; 6]);
}

#[test]
fn payloads_zeroed_or_cut() {
    for path in corpus()
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("http"))
        .take(3)
    {
        let bytes = std::fs::read(&path).unwrap();
        let mut z = Anonymizer::new(b"k", Payload::Zero);
        let mut t = Anonymizer::new(b"k", Payload::Truncate);
        for rec in SliceReader::new(&bytes).filter_map(Result::ok) {
            let p = dissect(&rec, 1, DissectOptions::default());
            let Some(tcp) = p.layers.iter().find(|l| matches!(l.data, Decoded::Tcp(_))) else {
                continue;
            };
            let at = tcp.off + tcp.header_len;
            let zd = z.rewrite(&p);
            assert!(zd.get(at..).unwrap_or(&[]).iter().all(|b| *b == 0));
            let rec2 = Record { data: &zd, ..rec };
            let again = dissect(&rec2, 1, DissectOptions::default());
            assert_eq!(
                verdicts(&p),
                verdicts(&again),
                "{}: zeroed payload keeps checksum verdicts",
                path.display()
            );
            assert_eq!(t.rewrite(&p).len(), at.min(rec.data.len()));
        }
    }
}
