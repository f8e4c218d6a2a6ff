//! Edge cases of the matcher, the clock and the classification, on hand-made keys.
#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::*;

const MS: i64 = 1_000_000;
const T0: i64 = 1_700_000_000_000_000_000;

fn v4(a: [u8; 4]) -> [u8; 16] {
    let mut o = [0u8; 16];
    o[12..].copy_from_slice(&a);
    o
}

const C: [u8; 4] = [10, 1, 1, 5];
const S: [u8; 4] = [203, 0, 113, 9];
const NAT: [u8; 4] = [198, 51, 100, 7];

/// A TCP segment at `t` ms.
#[allow(clippy::too_many_arguments)]
fn tcp(
    t: f64,
    from: ([u8; 4], u16),
    to: ([u8; 4], u16),
    seq: u32,
    ack: u32,
    flags: u8,
    len: u16,
    id: u16,
) -> Fingerprint {
    Fingerprint {
        ts_ns: T0 + (t * MS as f64) as i64,
        src: v4(from.0),
        dst: v4(to.0),
        seq,
        ack: if flags & tcp_flags::ACK != 0 { ack } else { 0 },
        payload_hash: if len > 0 {
            seq.wrapping_mul(2_654_435_761) ^ u32::from(len)
        } else {
            0
        },
        src_port: from.1,
        dst_port: to.1,
        ident: id,
        payload_len: len,
        window: 501,
        mss: 0,
        opt_digest: 0,
        proto: 6,
        flags,
        code: 0,
        ttl: 64,
        tos: 0,
        bits: bits::FAMILY_V4 | bits::TCP | bits::DF,
        cap: u8::MAX,
        ip_len: 52 + len,
        ..Fingerprint::default()
    }
}

/// The same packet after the path: `delay` ms later (+ clock `off` ms), TTL - 1, and
/// optionally source-NATed with a sequence shift (client → server direction).
fn through(f: &Fingerprint, delay: f64, off: f64) -> Fingerprint {
    let mut g = *f;
    g.ts_ns += ((delay + off) * MS as f64) as i64;
    // The router between the captures: one hop less after it.
    if delay >= 0.0 {
        g.ttl -= 1;
    } else {
        g.ttl += 1;
    }
    g
}

/// A packet from a host beyond the router (its TTL has been decremented on the way).
fn far(mut f: Fingerprint) -> Fingerprint {
    f.ttl = 52;
    f
}

const ACK: u8 = tcp_flags::ACK;
const SYN: u8 = tcp_flags::SYN;
const PSH: u8 = tcp_flags::PSH;

/// A small connection C:40000 → S:443 seen at the source (client side): handshake, requests,
/// responses. Returns (packets, direction: true = client → server).
fn connection(start: f64, port: u16, id0: u16) -> Vec<(Fingerprint, bool)> {
    let c = (C, port);
    let s = (S, 443);
    let mut v = Vec::new();
    let mut id = id0;
    let mut sid = id0.wrapping_add(5000);
    let mut t = start;
    let push = |v: &mut Vec<(Fingerprint, bool)>, f: Fingerprint, up: bool| v.push((f, up));
    push(&mut v, tcp(t, c, s, 1000, 0, SYN, 0, id), true);
    t += 20.0;
    push(
        &mut v,
        far(tcp(t, s, c, 5000, 1001, SYN | ACK, 0, sid)),
        false,
    );
    t += 0.1;
    id += 1;
    sid += 1;
    push(&mut v, tcp(t, c, s, 1001, 5001, ACK, 0, id), true);
    let mut cseq = 1001u32;
    let mut sseq = 5001u32;
    for _ in 0..5 {
        t += 1.0;
        id += 1;
        push(&mut v, tcp(t, c, s, cseq, sseq, ACK | PSH, 100, id), true);
        cseq += 100;
        t += 20.0;
        sid += 1;
        push(
            &mut v,
            far(tcp(t, s, c, sseq, cseq, ACK | PSH, 1000, sid)),
            false,
        );
        sseq += 1000;
        t += 0.1;
        id += 1;
        push(&mut v, tcp(t, c, s, cseq, sseq, ACK, 0, id), true);
    }
    v
}

/// Source = client side; target = server side, `off` ms clock offset, 10 ms each way.
fn path(conn: &[(Fingerprint, bool)], off: f64) -> (Vec<Fingerprint>, Vec<Fingerprint>) {
    let src: Vec<Fingerprint> = conn.iter().map(|x| x.0).collect();
    let mut dst: Vec<Fingerprint> = conn
        .iter()
        .map(|(f, up)| through(f, if *up { 10.0 } else { -10.0 }, off))
        .collect();
    dst.sort_by_key(|f| f.ts_ns);
    (src, dst)
}

fn run(src: &[Fingerprint], dst: &[Fingerprint]) -> Report {
    compare(
        src,
        dst,
        &SideInfo::new("src", src, None),
        &SideInfo::new("dst", dst, None),
        &Options::default(),
    )
}

fn twin_of(_r: &Report, dst: &[Fingerprint], want: &Fingerprint) -> u32 {
    (dst.iter().position(|f| f == want).unwrap() + 1) as u32
}

#[test]
fn empty_inputs() {
    let r = run(&[], &[]);
    assert!(r.src_status.is_empty() && r.dst_status.is_empty());
    assert_eq!(r.counts, Counts::default());
    assert_eq!(r.clock.method, ClockMethod::None);
    let json = r.to_json(true);
    assert!(json.contains("\"packets\":[]"), "{json}");
    let conn = connection(0.0, 40000, 100);
    let (src, _) = path(&conn, 0.0);
    // An empty target with no recorded capture span: nothing can be said about overlap.
    let r = run(&src, &[]);
    assert!(
        r.src_status.iter().all(|s| *s == Status::OutsideOverlap),
        "{:?}",
        r.src_status
    );
    assert_eq!(r.counts.lost, 0);
    // ... but with a span (an empty capture that ran the whole time), everything is lost.
    let mut di = SideInfo::new("dst", &[], None);
    di.start_ns = Some(T0 - 1000 * MS);
    di.end_ns = Some(T0 + 10_000 * MS);
    let r = compare(
        &src,
        &[],
        &SideInfo::new("src", &src, None),
        &di,
        &Options::default(),
    );
    // The client's packets never reached the target; the server's packets, seen at the
    // source only, came from nowhere the target capture saw.
    let c = &r.counts;
    assert_eq!(c.matched, 0);
    assert_eq!(c.lost + c.extra, src.len() as u64, "{:?}", r.src_status);
    assert_eq!(c.lost, 12, "{:?}", r.src_status);
    assert_eq!(c.dirs[0].lost, 12);
    assert!(
        r.diagnosis.iter().any(|d| d.contains("holds no packets")),
        "{:?}",
        r.diagnosis
    );
}

#[test]
fn clean_path_matches_everything_and_finds_the_clock() {
    let conn = connection(0.0, 40000, 100);
    let (src, dst) = path(&conn, 3200.0);
    let r = run(&src, &dst);
    assert_eq!(r.counts.matched, src.len() as u64);
    assert!(
        r.src_status.iter().all(|s| *s == Status::Matched),
        "{:?}",
        r.src_status
    );
    for (i, (f, up)) in conn.iter().enumerate() {
        let want = through(f, if *up { 10.0 } else { -10.0 }, 3200.0);
        assert_eq!(r.src_twin[i], twin_of(&r, &dst, &want));
        // One-way delays from the sender: positive both ways.
        let d = r.delay_ns[i];
        assert_eq!(d, 10 * MS, "packet {i}");
        assert_eq!(
            r.src_direction[i],
            if *up {
                Direction::SourceToTarget
            } else {
                Direction::TargetToSource
            }
        );
    }
    assert_eq!(r.clock.method, ClockMethod::TwoWay);
    assert_eq!(r.clock.offset_ns, 3200 * MS);
    assert_eq!(r.clock.uncertainty_ns, 10 * MS);
    assert_eq!(r.delay_s2t.unwrap().p50, 10 * MS);
    assert_eq!(r.delay_t2s.unwrap().p50, 10 * MS);
    assert!(r.nat.is_empty());
    assert_eq!(r.modified_fields, [("ip.ttl", src.len() as u64)]);
}

#[test]
fn lost_original_and_delivered_retransmission() {
    let mut conn = connection(0.0, 40000, 100);
    // The first request (index 3) is lost; the client retransmits it 200 ms later with a
    // new IP ID, and that copy gets through.
    let (orig, _) = conn[3];
    let mut re = orig;
    re.ts_ns += 200 * MS;
    re.ident = 999;
    conn.push((re, true));
    conn.sort_by_key(|x| x.0.ts_ns);
    let (src, mut dst) = path(&conn, 0.0);
    let lost_at = dst
        .iter()
        .position(|f| f.ident == orig.ident && f.payload_len == 100)
        .unwrap();
    dst.remove(lost_at);
    let r = run(&src, &dst);
    let oi = src.iter().position(|f| *f == orig).unwrap();
    let ri = src.iter().position(|f| *f == re).unwrap();
    assert_eq!(r.src_status[oi], Status::Lost);
    assert_eq!(r.src_status[ri], Status::Matched);
    assert_eq!(r.counts.lost, 1);
    assert_eq!(r.counts.extra, 0);
}

#[test]
fn a_held_back_retransmission_overtaken_by_the_next_pairs_by_identity() {
    // The original request is lost; its first retransmission is held back 30 ms on the
    // path and arrives after the second retransmission (the case a relay log caught: an
    // order-keeping alignment paired one of the two and called the other lost + extra).
    let mut conn = connection(0.0, 40000, 100);
    let (orig, _) = conn[3];
    // A second connection: enough pure ACKs for the compare to learn that the path keeps
    // IP IDs.
    conn.extend(connection(1000.0, 40001, 300));
    let (mut re1, mut re2) = (orig, orig);
    re1.ts_ns += 200 * MS;
    re1.ident = 900;
    re2.ts_ns += 210 * MS;
    re2.ident = 901;
    conn.push((re1, true));
    conn.push((re2, true));
    conn.sort_by_key(|x| x.0.ts_ns);
    let (src, mut dst) = path(&conn, 0.0);
    dst.retain(|f| !(f.ident == orig.ident && f.payload_len == 100));
    for f in dst.iter_mut() {
        if f.ident == 900 && f.payload_len == 100 {
            f.ts_ns += 30 * MS;
        }
    }
    dst.sort_by_key(|f| f.ts_ns);
    let r = run(&src, &dst);
    let at = |g: &Fingerprint| src.iter().position(|f| f == g).unwrap();
    assert_eq!(r.src_status[at(&orig)], Status::Lost, "{:?}", r.src_status);
    assert!(r.src_status[at(&re1)].is_pair(), "{:?}", r.src_status);
    assert!(r.src_status[at(&re2)].is_pair(), "{:?}", r.src_status);
    assert_eq!(r.delay_ns[at(&re1)], 40 * MS);
    assert_eq!(r.delay_ns[at(&re2)], 10 * MS);
    assert_eq!((r.counts.lost, r.counts.extra), (1, 0));
}

#[test]
fn a_duplicated_retransmission_is_a_duplicate_of_its_own_transmission() {
    // Original and retransmission both arrive (the original held back), and the path
    // duplicates the retransmission: the second copy is a duplicate, not extra (it was
    // compared with the first pair's copy, the original, whose IP ID differs).
    let mut conn = connection(0.0, 40000, 100);
    let (orig, _) = conn[3];
    conn.extend(connection(1000.0, 40001, 300));
    let mut re = orig;
    re.ts_ns += 25 * MS;
    re.ident = 900;
    conn.push((re, true));
    conn.sort_by_key(|x| x.0.ts_ns);
    let (src, mut dst) = path(&conn, 0.0);
    for f in dst.iter_mut() {
        if f.ident == orig.ident && f.payload_len == 100 {
            f.ts_ns += 17 * MS;
        }
    }
    let mut copy = through(&re, 10.0, 0.0);
    copy.ts_ns += 300_000;
    dst.push(copy);
    dst.sort_by_key(|f| f.ts_ns);
    let r = run(&src, &dst);
    let c = dst.iter().position(|f| *f == copy).unwrap();
    assert_eq!(r.dst_status[c], Status::Duplicated, "{:?}", r.dst_status);
    assert_eq!(
        (r.counts.lost, r.counts.extra, r.counts.duplicated),
        (0, 0, 1)
    );
}

#[test]
fn same_ip_id_retransmission_is_told_apart_by_time() {
    // A stack that sends IP ID 0 everywhere: original and retransmission are identical but
    // for their time.
    let mut conn = connection(0.0, 40000, 0);
    for (f, _) in conn.iter_mut() {
        f.ident = 0;
    }
    let (orig, _) = conn[6];
    let mut re = orig;
    re.ts_ns += 250 * MS;
    conn.push((re, true));
    conn.sort_by_key(|x| x.0.ts_ns);
    let (src, mut dst) = path(&conn, 0.0);
    // The original is lost: remove the earlier of the two identical target copies.
    let first = dst
        .iter()
        .position(|f| f.seq == orig.seq && f.payload_len == orig.payload_len)
        .unwrap();
    dst.remove(first);
    let r = run(&src, &dst);
    let oi = src.iter().position(|f| *f == orig).unwrap();
    let ri = src.iter().position(|f| *f == re).unwrap();
    assert_eq!(r.src_status[oi], Status::Lost, "{:?}", r.src_status);
    assert!(r.src_status[ri].is_pair());
    assert_eq!(r.delay_ns[ri], 10 * MS);
}

#[test]
fn duplicates_at_the_target() {
    let conn = connection(0.0, 40000, 100);
    let (src, mut dst) = path(&conn, 0.0);
    // The path duplicates the 4th source packet: the copy arrives 0.3 ms after it.
    let orig = through(&src[3], 10.0, 0.0);
    let mut copy = orig;
    copy.ts_ns += 300_000;
    dst.push(copy);
    dst.sort_by_key(|f| f.ts_ns);
    let r = run(&src, &dst);
    let first = twin_of(&r, &dst, &orig);
    assert_eq!(r.src_twin[3], first, "the first copy is the twin");
    let second = dst.iter().position(|f| *f == copy).unwrap();
    assert!(second + 1 > first as usize);
    assert_eq!(r.dst_status[second], Status::Duplicated);
    assert_eq!(r.dst_twin[second], 4);
    assert_eq!(r.counts.duplicated, 1);
    assert_eq!(r.counts.extra, 0);
    assert!(r
        .diagnosis
        .iter()
        .any(|d| d.contains("arrived at the target twice")));
}

#[test]
fn reordering_marks_the_overtaken_packet() {
    let conn = connection(0.0, 40000, 100);
    let (src, mut dst) = path(&conn, 0.0);
    // Hold back the first request (source index 3) until after the next client packet of
    // its flow (the ACK, source index 5).
    let a = dst
        .iter()
        .position(|f| *f == through(&src[3], 10.0, 0.0))
        .unwrap();
    let held = dst.remove(a);
    let b = dst
        .iter()
        .position(|f| *f == through(&src[5], 10.0, 0.0))
        .unwrap();
    let mut late = held;
    late.ts_ns = dst[b].ts_ns + 1000;
    dst.insert(b + 1, late);
    let r = run(&src, &dst);
    assert_eq!(r.src_status[3], Status::Reordered, "{:?}", r.src_status);
    assert_eq!(r.counts.reordered, 1);
    assert_eq!(r.counts.matched, src.len() as u64);
    assert_eq!(
        r.src_status
            .iter()
            .filter(|s| **s == Status::Reordered)
            .count(),
        1
    );
}

#[test]
fn a_held_back_ack_in_a_run_of_identical_acks_is_late_not_lost() {
    // Identical duplicate ACKs (same seq/ack/SACK, new IP IDs): the path holds back the
    // first one behind the next three. Order-keeping alignment alone would leave it and its
    // late twin over (one "lost" and one "extra" for a packet that arrived).
    // Two connections: enough unambiguous pairs to learn that the path keeps IPv4 IDs.
    let mut conn = connection(0.0, 40001, 9000);
    conn.extend(connection(200.0, 40000, 100));
    let last = conn.last().unwrap().0;
    let mut t = (last.ts_ns - T0) as f64 / MS as f64;
    for k in 1..=4u16 {
        t += 0.05;
        let mut f = last;
        f.ts_ns = T0 + (t * MS as f64) as i64;
        f.ident = last.ident + k;
        conn.push((f, true));
    }
    let (src, mut dst) = path(&conn, 0.0);
    let n = src.len();
    let held = through(&src[n - 4], 10.0, 0.0);
    let a = dst.iter().position(|f| *f == held).unwrap();
    let mut late = dst.remove(a);
    late.ts_ns += 30 * MS;
    dst.push(late);
    dst.sort_by_key(|f| f.ts_ns);
    let r = run(&src, &dst);
    assert_eq!(r.counts.lost, 0, "{:?}", r.src_status);
    assert_eq!(r.counts.extra, 0, "{:?}", r.dst_status);
    assert_eq!(r.src_twin[n - 4], twin_of(&r, &dst, &late));
    assert_eq!(r.src_status[n - 4], Status::Reordered);
}

#[test]
fn no_overlap_is_not_loss() {
    let conn = connection(0.0, 40000, 100);
    let (src, _) = path(&conn, 0.0);
    // The target ran an hour later and saw other traffic.
    let other = connection(3_600_000.0, 50000, 7000);
    let (dst, _) = path(&other, 0.0);
    let mut dst: Vec<Fingerprint> = dst
        .iter()
        .map(|f| {
            let mut g = *f;
            g.payload_hash ^= 0x5555;
            g.ident ^= 0x1234;
            g
        })
        .collect();
    dst.sort_by_key(|f| f.ts_ns);
    let r = run(&src, &dst);
    assert_eq!(r.counts.matched, 0);
    assert!(
        r.src_status.iter().all(|s| *s == Status::OutsideOverlap),
        "{:?}",
        r.src_status
    );
    assert!(
        r.dst_status.iter().all(|s| *s == Status::OutsideOverlap),
        "{:?}",
        r.dst_status
    );
    assert_eq!((r.counts.lost, r.counts.extra), (0, 0));
}

#[test]
fn nat_and_sequence_shift_are_inferred() {
    let conn = connection(0.0, 40000, 100);
    let (src, _) = path(&conn, 0.0);
    const OFF: u32 = 0x8765_4321;
    let mut dst: Vec<Fingerprint> = conn
        .iter()
        .map(|(f, up)| {
            let mut g = through(f, if *up { 10.0 } else { -10.0 }, 500.0);
            if *up {
                g.src = v4(NAT);
                g.src_port = 20001;
                g.seq = g.seq.wrapping_add(OFF);
            } else {
                g.dst = v4(NAT);
                g.dst_port = 20001;
                g.ack = g.ack.wrapping_add(OFF);
            }
            g
        })
        .collect();
    dst.sort_by_key(|f| f.ts_ns);
    let r = run(&src, &dst);
    assert_eq!(r.counts.matched, src.len() as u64, "{:?}", r.src_status);
    assert_eq!(
        r.counts.modified, 0,
        "NAT and the ISN shift are the path's normal work"
    );
    assert_eq!(r.nat.len(), 1);
    let n = &r.nat[0];
    assert_eq!(n.proto, 6);
    assert_eq!((n.inside[0].addr, n.inside[0].port), (v4(C), 40000));
    assert_eq!((n.inside[1].addr, n.inside[1].port), (v4(S), 443));
    assert_eq!((n.outside[0].addr, n.outside[0].port), (v4(NAT), 20001));
    assert_eq!((n.outside[1].addr, n.outside[1].port), (v4(S), 443));
    assert_eq!(n.seq_offsets, [OFF, 0]);
    assert_eq!(n.packets, src.len() as u64);
    let fields: Vec<&str> = r.modified_fields.iter().map(|x| x.0).collect();
    for f in [
        "ip.src",
        "ip.dst",
        "tcp.srcport",
        "tcp.dstport",
        "tcp.seq_raw",
        "tcp.ack_raw",
        "ip.ttl",
    ] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    assert!(
        r.diagnosis
            .iter()
            .any(|d| d.contains("Source NAT: 1 inside host appear as 198.51.100.7")),
        "{:?}",
        r.diagnosis
    );
    assert!(r
        .diagnosis
        .iter()
        .any(|d| d.contains("sequence numbers are shifted on 1 flows")));
    let json = r.to_json(false);
    assert!(json.contains("\"src\":\"10.1.1.5:40000\""), "{json}");
    assert!(json.contains("\"seq_offset\":2271560481"), "{json}");
}

#[test]
fn dropped_syns_are_diagnosed() {
    // One working connection, and three attempts on other ports whose SYNs never arrive.
    let mut conn = connection(0.0, 40000, 100);
    for (k, port) in [41000u16, 41001, 41002].into_iter().enumerate() {
        conn.push((
            tcp(
                300.0 + 1000.0 * k as f64,
                (C, port),
                (S, 443),
                77,
                0,
                SYN,
                0,
                9000 + k as u16,
            ),
            true,
        ));
    }
    conn.sort_by_key(|x| x.0.ts_ns);
    let src: Vec<Fingerprint> = conn.iter().map(|x| x.0).collect();
    let mut dst: Vec<Fingerprint> = conn
        .iter()
        .filter(|(f, _)| f.src_port == 40000 || f.dst_port == 40000)
        .map(|(f, up)| through(f, if *up { 10.0 } else { -10.0 }, 0.0))
        .collect();
    dst.sort_by_key(|f| f.ts_ns);
    // The target capture ran longer than the attempts.
    let mut di = SideInfo::new("dst", &dst, None);
    di.end_ns = Some(T0 + 10_000 * MS);
    let r = compare(
        &src,
        &dst,
        &SideInfo::new("src", &src, None),
        &di,
        &Options::default(),
    );
    assert_eq!(r.counts.lost, 3, "{:?}", r.src_status);
    let d = &r.diagnosis[0];
    assert!(
        d.starts_with("3 of 15 packets the source sent never reached the target (20%) — loss on the way from the source side")
            && d.contains(
                "all are SYNs to 203.0.113.9:443 — new connections are dropped on the path"
            ),
        "{d}"
    );
}

#[test]
fn injected_reset_is_extra_and_dscp_rewrite_is_modified() {
    let conn = connection(0.0, 40000, 100);
    let (src, mut dst) = path(&conn, 0.0);
    let k = dst
        .iter()
        .position(|f| *f == through(&src[4], -10.0, 0.0))
        .unwrap();
    dst[k].tos = 0x28 << 2;
    // A reset towards the server, forged by a middlebox in the client's name: it reaches
    // the target, and no capture point sent it.
    let mut rst = tcp(
        30.0,
        (C, 40000),
        (S, 443),
        1101,
        6001,
        tcp_flags::RST | ACK,
        0,
        4242,
    );
    rst.ttl = 60;
    dst.push(rst);
    dst.sort_by_key(|f| f.ts_ns);
    let r = run(&src, &dst);
    assert_eq!(r.src_status[4], Status::Modified);
    assert_eq!(r.counts.modified, 1);
    assert!(
        r.modified_fields.contains(&("ip.dsfield.dscp", 1)),
        "{:?}",
        r.modified_fields
    );
    let j = dst.iter().position(|f| *f == rst).unwrap();
    assert_eq!(r.dst_status[j], Status::Extra);
    assert_eq!(r.counts.extra, 1);
    assert!(
        r.diagnosis.iter().any(|d| d.contains("1 are TCP resets")),
        "{:?}",
        r.diagnosis
    );
    assert!(r
        .diagnosis
        .iter()
        .any(|d| d.contains("DSCP rewritten on 1 packets")));
}

#[test]
fn capture_drops_need_counters_and_acks() {
    let conn = connection(0.0, 40000, 100);
    let (src, mut dst) = path(&conn, 0.0);
    // The target capture misses the first request, but the server acknowledges it.
    let k = dst
        .iter()
        .position(|f| *f == through(&src[3], 10.0, 0.0))
        .unwrap();
    dst.remove(k);
    let si = SideInfo::new("src", &src, None);
    let mut di = SideInfo::new("dst", &dst, None);
    let r = compare(&src, &dst, &si, &di, &Options::default());
    assert_eq!(r.src_status[3], Status::Lost, "no counters: it stays lost");
    assert!(
        r.diagnosis
            .iter()
            .any(|d| d.contains("1 of the lost packets carry data the receiver acknowledged")),
        "{:?}",
        r.diagnosis
    );
    di.dropped = Some(1);
    let r = compare(&src, &dst, &si, &di, &Options::default());
    assert_eq!(r.src_status[3], Status::CaptureDrop);
    assert_eq!(r.counts.lost, 0);
    di.dropped = Some(0);
    let r = compare(&src, &dst, &si, &di, &Options::default());
    assert_eq!(
        r.src_status[3],
        Status::Lost,
        "the counter says nothing was dropped"
    );
}

#[test]
fn local_traffic_and_expiring_ttl_are_not_forwarded() {
    let conn = connection(0.0, 40000, 100);
    let (mut src, dst) = path(&conn, 0.0);
    // A traceroute probe with TTL 1, and the router's answer from its LAN address.
    let mut probe = tcp(5.0, (C, 40001), (S, 33434), 1, 0, SYN, 0, 555);
    probe.ttl = 1;
    let mut reply = tcp(5.5, ([10, 1, 0, 1], 53), (C, 40002), 1, 1, ACK, 20, 556);
    reply.proto = 17;
    reply.bits = bits::FAMILY_V4;
    let mut arp = Fingerprint {
        ts_ns: T0 + 6 * MS,
        bits: bits::ARP,
        ..Fingerprint::default()
    };
    arp.src = v4(C);
    src.extend([probe, reply, arp]);
    src.sort_by_key(|f| f.ts_ns);
    let r = run(&src, &dst);
    for f in [probe, reply, arp] {
        let i = src.iter().position(|g| *g == f).unwrap();
        assert_eq!(r.src_status[i], Status::NotForwarded, "{f:?}");
    }
    assert_eq!(r.counts.lost, 0);
}

#[test]
fn one_way_clock_and_manual_offset() {
    // Every packet passes the source first (+10 ms): offset and delay cannot be separated.
    let conn = connection(0.0, 40000, 100);
    let src: Vec<Fingerprint> = conn.iter().map(|x| x.0).collect();
    // With jitter (10..14 ms), the replies' delays overlap the requests': no two-way split.
    let dst: Vec<Fingerprint> = src
        .iter()
        .enumerate()
        .map(|(i, f)| through(f, 10.0 + (i % 5) as f64, 100.0))
        .collect();
    let r = run(&src, &dst);
    assert_eq!(r.clock.method, ClockMethod::OneWay);
    assert_eq!(r.clock.offset_ns, 110 * MS);
    assert_eq!(r.clock.uncertainty_ns, i64::MAX);
    assert_eq!(r.delay_ns[4], 4 * MS);
    assert!(r
        .src_direction
        .iter()
        .all(|d| *d == Direction::SourceToTarget));
    let opts = Options {
        offset_ns: Some(100 * MS),
        ..Options::default()
    };
    let r = compare(
        &src,
        &dst,
        &SideInfo::new("s", &src, None),
        &SideInfo::new("d", &dst, None),
        &opts,
    );
    assert_eq!(r.clock.method, ClockMethod::Manual);
    assert_eq!(r.delay_ns[0], 10 * MS);
    assert_eq!(r.delay_ns[4], 14 * MS);
}

#[test]
fn drift_is_estimated_on_long_captures() {
    // 200 connections over 400 s; the target clock runs 100 ppm fast.
    let mut conn = Vec::new();
    for k in 0..200u16 {
        conn.extend(connection(k as f64 * 2000.0, 30000 + k, k.wrapping_mul(50)));
    }
    let src: Vec<Fingerprint> = conn.iter().map(|x| x.0).collect();
    let mut dst: Vec<Fingerprint> = conn
        .iter()
        .map(|(f, up)| {
            let mut g = through(f, if *up { 10.0 } else { -10.0 }, 250.0);
            let dt = (g.ts_ns - T0) as f64;
            g.ts_ns += (dt * 100e-6) as i64;
            g
        })
        .collect();
    dst.sort_by_key(|f| f.ts_ns);
    let r = run(&src, &dst);
    assert_eq!(r.counts.matched, src.len() as u64);
    assert!((r.clock.drift_ppm - 100.0).abs() < 1.0, "{:?}", r.clock);
    assert!(
        (r.clock.offset_ns - 250 * MS).abs() < MS / 10,
        "{:?}",
        r.clock
    );
    let p = r.delay_s2t.unwrap();
    assert!(
        (p.p50 - 10 * MS).abs() < MS / 10 && (p.max - 10 * MS).abs() < MS / 10,
        "{p:?}"
    );
}

#[test]
fn filters_exclude_packets_and_their_twins_only() {
    let conn = connection(0.0, 40000, 100);
    let (mut src, mut dst) = path(&conn, 0.0);
    // Keep only packets to or from port 443 on the source... everything; exclude the SYN on
    // both sides and the SYN-ACK on the source only.
    src[0].set_excluded(true);
    let k = dst.iter().position(|f| f.flags == SYN).unwrap();
    dst[k].set_excluded(true);
    src[1].set_excluded(true);
    let r = run(&src, &dst);
    assert_eq!(r.src_status[0], Status::Excluded);
    assert_eq!(r.dst_status[k], Status::Excluded);
    assert_eq!(
        r.src_status[1],
        Status::Matched,
        "its twin passes the filter"
    );
    assert_eq!(r.counts.matched, src.len() as u64 - 1);
    assert!(!r.to_json(true).contains("\"source\":1,"));
}

#[test]
fn arbitrary_keys_never_panic() {
    // A deterministic generator of hostile keys: extreme times, repeated identical packets,
    // wrapping sequence numbers, every kind bit.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..20 {
        let mut side = |n: usize| -> Vec<Fingerprint> {
            (0..n)
                .map(|_| {
                    let r = next();
                    let mut f = Fingerprint {
                        ts_ns: match r % 5 {
                            0 => i64::MIN,
                            1 => i64::MAX,
                            _ => (r >> 8) as i64 % 1_000_000_000,
                        },
                        seq: (r >> 3) as u32 % 4,
                        ack: (r >> 5) as u32,
                        payload_len: (r % 3) as u16,
                        payload_hash: (r % 2) as u32,
                        ident: (r >> 40) as u16 % 3,
                        proto: [6, 17, 1, 58, 0][(r % 5) as usize],
                        flags: (r >> 20) as u8,
                        bits: (r >> 30) as u8,
                        ttl: (r >> 50) as u8,
                        ..Fingerprint::default()
                    };
                    f.src[15] = (r >> 12) as u8 % 3;
                    f.dst[15] = (r >> 14) as u8 % 3;
                    f.src_port = (r >> 16) as u16 % 2;
                    f
                })
                .collect()
        };
        let a = side(round * 37);
        let b = side(round * 41 + 3);
        for opts in [
            Options::default(),
            Options {
                max_delay_ns: i64::MAX,
                dup_window_ns: i64::MAX,
                offset_ns: Some(i64::MIN),
                ..Options::default()
            },
            Options {
                max_delay_ns: 0,
                min_drift_span_ns: 0,
                ..Options::default()
            },
        ] {
            let mut ai = SideInfo::new("a", &a, None);
            ai.dropped = Some(3);
            let r = compare(&a, &b, &ai, &SideInfo::new("b", &b, None), &opts);
            assert_eq!(r.src_status.len(), a.len());
            assert_eq!(r.dst_status.len(), b.len());
            let _ = r.to_json(true);
            let _ = r.to_text();
        }
    }
}

/// An Ethernet / IPv4 / TCP frame with an MSS option and 4 payload bytes.
fn frame(src: [u8; 4], sport: u16, ttl: u8, mss: u16, seq: u32) -> Vec<u8> {
    let mut f = vec![0u8; 14];
    f[12] = 0x08;
    let payload = b"abcd";
    let tcp_len = 24 + payload.len();
    let mut ip = vec![0x45, 0x10];
    ip.extend_from_slice(&((20 + tcp_len) as u16).to_be_bytes());
    ip.extend_from_slice(&0x1234u16.to_be_bytes());
    ip.extend_from_slice(&[0x40, 0x00, ttl, 6, 0, 0]);
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&S);
    let mut sum = 0u32;
    for c in ip.chunks(2) {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    let sum = !((sum & 0xffff) + (sum >> 16)) as u16;
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&443u16.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&7u32.to_be_bytes());
    f.extend_from_slice(&[0x60, 0x18, 0x01, 0xf5, 0, 0, 0, 0]);
    f.extend_from_slice(&[2, 4]);
    f.extend_from_slice(&mss.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn decode(data: &[u8]) -> crate::Packet<'_> {
    let rec = crate::file::Record {
        offset: 0,
        block_len: 0,
        interface: 0,
        link_type: crate::file::LinkType::ETHERNET,
        ts: Some(crate::file::Timestamp {
            secs: 1_700_000_000,
            nanos: 5,
        }),
        orig_len: data.len() as u32,
        data,
        flags: None,
        drop_count: None,
        options: crate::file::Options::EMPTY,
    };
    crate::dissect::dissect(&rec, 1, crate::dissect::DissectOptions::default())
}

#[test]
fn fingerprint_of_a_real_frame() {
    let bytes = frame(C, 40000, 64, 1460, 1000);
    let f = Fingerprint::of(&decode(&bytes));
    assert_eq!(f.ts_ns, 1_700_000_000_000_000_005);
    assert_eq!((f.src, f.dst), (v4(C), v4(S)));
    assert_eq!((f.src_port, f.dst_port, f.proto), (40000, 443, 6));
    assert_eq!(
        (f.seq, f.ack, f.flags),
        (1000, 7, tcp_flags::ACK | tcp_flags::PSH)
    );
    assert_eq!(
        (f.ident, f.ttl, f.tos, f.window, f.mss),
        (0x1234, 64, 0x10, 501, 1460)
    );
    assert_eq!(f.payload_len, 4);
    assert!(f.is_tcp() && f.has_ports() && f.bits & bits::DF != 0);
    assert_eq!(f.family(), bits::FAMILY_V4);
    // The same segment after a NAT router that also clamps the MSS: the content key agrees.
    let after = frame(NAT, 20001, 63, 1400, 1000);
    let g = Fingerprint::of(&decode(&after));
    assert_eq!(
        (g.payload_hash, g.payload_len, g.ident),
        (f.payload_hash, f.payload_len, f.ident)
    );
    assert_ne!(g.opt_digest, 0);
    // Truncated frames at every length never panic.
    for n in 0..bytes.len() {
        let _ = Fingerprint::of(&decode(&bytes[..n]));
    }
}

#[test]
fn field_diff_names_what_the_path_changed() {
    let a = frame(C, 40000, 64, 1460, 1000);
    let b = frame(NAT, 20001, 63, 1400, 1000);
    let d = diff(&decode(&a), &decode(&b));
    let get = |name: &str| {
        d.iter()
            .find(|x| x.field == name)
            .map(|x| (x.src.as_str(), x.dst.as_str()))
    };
    assert_eq!(get("ip.src"), Some(("10.1.1.5", "198.51.100.7")));
    assert_eq!(get("ip.ttl"), Some(("64", "63")));
    assert_eq!(get("tcp.srcport"), Some(("40000", "20001")));
    assert_eq!(get("tcp.options.mss_val"), Some(("1460", "1400")));
    assert!(get("ip.checksum").is_some());
    assert_eq!(get("ip.dst"), None, "unchanged fields are not listed");
    assert_eq!(get("tcp.seq_raw"), None);
    assert!(d.iter().all(|x| !x.field.starts_with("frame.")));
    assert!(diff(&decode(&a), &decode(&a)).is_empty());
}

/// A bulk transfer C -> S: handshake, then `sizes` data segments (payload bytes) sent at
/// 1 ms intervals, with the server's ACKs; returns (source packets, direction up).
fn bulk(sizes: &[u16]) -> Vec<(Fingerprint, bool)> {
    let c = (C, 40000);
    let s = (S, 443);
    let mut v = vec![
        (tcp(0.0, c, s, 1000, 0, SYN, 0, 100), true),
        (far(tcp(20.0, s, c, 5000, 1001, SYN | ACK, 0, 900)), false),
        (tcp(20.1, c, s, 1001, 5001, ACK, 0, 101), true),
    ];
    let (mut seq, mut id, mut t) = (1001u32, 102u16, 21.0);
    for &n in sizes {
        v.push((tcp(t, c, s, seq, 5001, ACK, n, id), true));
        seq = seq.wrapping_add(u32::from(n));
        id = id.wrapping_add(1);
        v.push((far(tcp(t + 20.5, s, c, 5001, seq, ACK, 0, 901)), false));
        t += 1.0;
    }
    v.sort_by_key(|x| x.0.ts_ns);
    v
}

/// A packet cut into wire segments of `mss` bytes on the path (what TSO hands the wire),
/// each `gap` ms after the previous one, with IP IDs counting up (as GSO numbers them).
fn cut(f: &Fingerprint, mss: u16, gap: f64) -> Vec<Fingerprint> {
    let mut out = Vec::new();
    let (mut off, mut k) = (0u16, 0u16);
    while off < f.payload_len {
        let mut g = *f;
        g.payload_len = mss.min(f.payload_len - off);
        g.seq = f.seq.wrapping_add(u32::from(off));
        g.ident = f.ident.wrapping_add(k);
        g.ts_ns += (f64::from(k) * gap * MS as f64) as i64;
        g.payload_hash ^= u32::from(k);
        out.push(g);
        off += g.payload_len;
        k += 1;
    }
    out
}

#[test]
fn super_segments_match_the_segments_they_became() {
    // TSO at the client: its capture holds 4344-byte super-segments; the server's capture
    // holds the 1448-byte segments the wire carried.
    let conn = bulk(&[4344, 4344, 2896]);
    let src: Vec<Fingerprint> = conn.iter().map(|x| x.0).collect();
    let mut dst = Vec::new();
    for (f, up) in &conn {
        let g = through(f, if *up { 10.0 } else { -10.0 }, 0.0);
        if f.payload_len > 1448 {
            dst.extend(cut(&g, 1448, 0.01));
        } else {
            dst.push(g);
        }
    }
    dst.sort_by_key(|f| f.ts_ns);
    let r = run(&src, &dst);
    let c = &r.counts;
    assert_eq!(
        (c.lost, c.partly_lost, c.extra, c.duplicated),
        (0, 0, 0, 0),
        "{:?} {:?}",
        r.src_status,
        r.dst_status
    );
    assert!(
        r.src_status.iter().all(|s| s.is_pair()),
        "{:?}",
        r.src_status
    );
    assert!(
        r.dst_status.iter().all(|s| s.is_pair()),
        "{:?}",
        r.dst_status
    );
    // Every piece is a pair cut differently from its super-segment: 3 + 3 + 2.
    assert_eq!(r.segmentation.offload_pairs, 8, "{:?}", r.segmentation);
    assert_eq!(r.segmentation.super_segments, [3, 0]);
    // Every piece's twin is the super-segment it came from.
    let big = src.iter().position(|f| f.payload_len == 4344).unwrap() as u32 + 1;
    let pieces = r.dst_twin.iter().filter(|&&t| t == big).count();
    assert_eq!(pieces, 3);
}

#[test]
fn a_lost_piece_makes_its_super_segment_partly_lost() {
    let conn = bulk(&[4344, 4344]);
    let src: Vec<Fingerprint> = conn.iter().map(|x| x.0).collect();
    let mut dst = Vec::new();
    let mut dropped = false;
    for (f, up) in &conn {
        let g = through(f, if *up { 10.0 } else { -10.0 }, 0.0);
        if f.payload_len > 1448 {
            for (k, piece) in cut(&g, 1448, 0.01).into_iter().enumerate() {
                if k == 1 && !dropped {
                    dropped = true; // the middle piece of the first super-segment
                    continue;
                }
                dst.push(piece);
            }
        } else {
            dst.push(g);
        }
    }
    dst.sort_by_key(|f| f.ts_ns);
    let r = run(&src, &dst);
    let first = src.iter().position(|f| f.payload_len == 4344).unwrap();
    assert_eq!(
        r.src_status[first],
        Status::PartlyLost,
        "{:?}",
        r.src_status
    );
    assert_eq!(r.partial, vec![(true, first as u32 + 1, 1448)]);
    let d = &r.counts.dirs[0];
    assert_eq!((d.partly_lost, d.bytes_lost, d.lost), (1, 1448, 0));
    assert_eq!(r.counts.extra, 0);
    let f = &r.flows;
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].lost_bytes, 1448);
    assert_eq!(
        f[0].lost,
        vec![(1448, 2896)],
        "relative to the first byte sent"
    );
}

#[test]
fn gro_merges_at_the_receiver_match_the_segments_sent() {
    // The client sends wire segments; the server's GRO hands its capture one merge of three.
    let conn = bulk(&[1448, 1448, 1448, 500]);
    let src: Vec<Fingerprint> = conn.iter().map(|x| x.0).collect();
    let mut dst: Vec<Fingerprint> = Vec::new();
    let data: Vec<&Fingerprint> = src.iter().filter(|f| f.payload_len == 1448).collect();
    let mut merged = through(data[0], 10.0, 0.0);
    merged.payload_len = 3 * 1448;
    merged.ts_ns = through(data[2], 10.0, 0.0).ts_ns;
    for (f, up) in &conn {
        if f.payload_len == 1448 {
            continue;
        }
        dst.push(through(f, if *up { 10.0 } else { -10.0 }, 0.0));
    }
    dst.push(merged);
    dst.sort_by_key(|f| f.ts_ns);
    let r = run(&src, &dst);
    let c = &r.counts;
    assert_eq!(
        (c.lost, c.partly_lost, c.extra),
        (0, 0, 0),
        "{:?}",
        r.src_status
    );
    assert_eq!(r.segmentation.super_segments, [0, 1]);
}

#[test]
fn fragments_match_as_ranges_of_their_datagram() {
    // A 3000-byte UDP datagram in two fragments at the source, re-fragmented into three on
    // the way (a smaller MTU).
    let frag = |t: f64, off: u32, len: u16| Fingerprint {
        ts_ns: T0 + (t * MS as f64) as i64,
        src: v4(C),
        dst: v4(S),
        ident: 4242,
        proto: 17,
        seq: off,
        payload_len: len,
        ttl: 64,
        bits: bits::FAMILY_V4 | bits::FRAGMENT,
        cap: u8::MAX,
        ..Fingerprint::default()
    };
    let mut src = connection(0.0, 40000, 100)
        .into_iter()
        .map(|x| x.0)
        .collect::<Vec<_>>();
    src.push(frag(50.0, 0, 1480));
    src.push(frag(50.01, 1480, 1528));
    src.sort_by_key(|f| f.ts_ns);
    let (_, mut dst) = path(&connection(0.0, 40000, 100), 0.0);
    for (off, len, dt) in [(0u32, 1000u16, 0.0), (1000, 1000, 0.01), (2000, 1008, 0.02)] {
        let mut g = frag(60.0 + dt, off, len);
        g.ttl = 63;
        dst.push(g);
    }
    dst.sort_by_key(|f| f.ts_ns);
    let r = run(&src, &dst);
    let c = &r.counts;
    assert_eq!(
        (c.lost, c.partly_lost, c.extra),
        (0, 0, 0),
        "{:?} {:?}",
        r.src_status,
        r.dst_status
    );
    // Drop the middle one: both source fragments lose some bytes.
    let mid = dst
        .iter()
        .position(|f| f.bits & bits::FRAGMENT != 0 && f.seq == 1000)
        .unwrap();
    dst.remove(mid);
    let r = run(&src, &dst);
    assert_eq!(r.counts.partly_lost, 2, "{:?}", r.src_status);
    assert_eq!(r.counts.dirs[0].bytes_lost, 1000);
}
