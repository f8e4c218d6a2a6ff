#!/usr/bin/env python3
"""Checks `paircap compare --format json --packets` of a pair captured around impair.py
against the relay's log. The captures are decoded by tshark (not by paircap), and frames are
told apart by what NAT leaves alone: IP ID, protocol, IP length, TCP sequence and
acknowledgment numbers (ICMP: echo sequence) and a hash of the payload.

    check_relay.py SOURCE TARGET RELAY_LOG COMPARE_JSON

Topology assumed: client [source capture] - NAT router - relay (IF_A on the router's
side: "ab" = client -> server) - [target capture] server, with the router cutting the
client's TSO super-segments into wire segments before the relay, and no offloads from the
relay to the server (target frames are the relay's frames).

Prints, per direction, what the relay did and what the compare reports, and the mismatches;
exits 1 on any. Python standard library and tshark only.
"""
import collections
import hashlib
import json
import subprocess
import sys

FIELDS = ['frame.number', 'ip.id', 'ip.proto', 'ip.len', 'tcp.seq_raw', 'tcp.ack_raw',
          'tcp.len', 'tcp.payload', 'udp.payload', 'icmp.seq', 'data.data', 'tcp.srcport',
          'tcp.dstport', 'ip.src', 'ip.dst', 'frame.time_epoch']


def frames(path):
    out = subprocess.run(
        ['tshark', '-r', path, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f',
         '-o', 'tcp.analyze_sequence_numbers:FALSE'] + sum([['-e', f] for f in FIELDS], []),
        check=True, capture_output=True, text=True).stdout
    res = []
    for line in out.splitlines():
        c = dict(zip(FIELDS, line.split('\t')))
        if not c.get('ip.id'):
            res.append(None)
            continue
        proto = int(c['ip.proto'])
        payload = c.get('tcp.payload') or c.get('udp.payload') or c.get('data.data') or ''
        body = bytes.fromhex(payload.replace(':', ''))
        # ICMP: the echo sequence number, or the same 16 bits of an error (0).
        seq = c['tcp.seq_raw'] if proto == 6 else ((c['icmp.seq'] or '0') if proto == 1 else '-')
        ack = c['tcp.ack_raw'] if proto == 6 else '-'
        res.append({
            'n': int(c['frame.number']),
            'ipid': int(c['ip.id'], 16) if c['ip.id'].startswith('0x') else int(c['ip.id']),
            'proto': proto,
            'iplen': int(c['ip.len']),
            'seq': seq or '-',
            'ack': ack or '-',
            'plen': int(c['tcp.len']) if proto == 6 and c['tcp.len'] else len(body),
            'sha': hashlib.sha1(body).hexdigest(),
            't': float(c['frame.time_epoch']),
        })
    return res


def key(f):
    # ICMP: tshark's data.data leaves out ping's time stamp; IP ID and sequence suffice.
    sha = '-' if f['proto'] == 1 else f['sha']
    return (f['ipid'], f['proto'], f['iplen'], str(f['seq']), str(f['ack']), sha)


def main():
    src_path, dst_path, log_path, js_path = sys.argv[1:5]
    src = frames(src_path)
    dst = frames(dst_path)
    rep = json.load(open(js_path))
    own = {}
    for p in rep['packets']:
        own[(p['at'], p[p['at']])] = p
    relay = []
    tx = []
    for line in open(log_path):
        c = line.rstrip('\n').split('\t')
        if c[3] == '-':
            continue
        r = {'dir': c[1], 'action': c[2], 'ipsha': c[3], 'ipid': int(c[4]), 'proto': int(c[5]),
             'iplen': int(c[6]), 'seq': c[7], 'ack': c[8], 'plen': int(c[9]),
             'sha': '-' if c[5] == '1' else c[10], 'flow': c[11]}
        (tx if r['action'] == 'tx' else relay).append(r)
    # RFC 4737 late frames after the relay: per direction and flow, in the order the relay
    # sent them, a frame it received before one already sent (second copies of a duplicate
    # are not counted).
    rx_index = {}
    for i, r in enumerate(relay):
        rx_index.setdefault(r['ipsha'], i)
    late = set()
    sent_once = set()
    top = {}
    for r in tx:
        if r['ipsha'] in sent_once:
            continue
        sent_once.add(r['ipsha'])
        i = rx_index.get(r['ipsha'])
        if i is None:
            continue
        fk = (r['dir'], r['flow'])
        if fk in top and i < top[fk]:
            late.add(r['ipsha'])
        top[fk] = max(top.get(fk, -1), i)
    by_key = {'src': collections.defaultdict(list), 'dst': collections.defaultdict(list)}
    for side, fr in (('src', src), ('dst', dst)):
        for f in fr:
            if f:
                by_key[side][key(f)].append(f)
    bad = []
    stats = collections.Counter()

    def status(side, n):
        p = own.get(('source' if side == 'src' else 'target', n))
        return p['status'] if p else 'covered'

    def st_of(side, n):
        # a packet covered by a source entry is a matched pair (or reordered/modified)
        s = status(side, n)
        if s == 'covered':
            for p in rep['packets']:
                if p['at'] == 'source' and p['target'] == n:
                    return p['status']
        return s

    # Source super-segments: a dropped wire segment of the client's is part of one.
    src_tcp = [f for f in src if f and f['proto'] == 6 and f['plen'] > 0]
    lost_bytes_want = collections.Counter()

    def source_of_segment(r):
        seq = int(r['seq'])
        for f in src_tcp:
            s0 = int(f['seq'])
            d = (seq - s0) % (1 << 32)
            if d < f['plen'] and f['ack'] == r['ack'] and (r['ipid'] - f['ipid']) % 65536 < 64:
                return f
        return None

    seen_dup = set()
    want_late = set()
    for r in relay:
        k = (r['ipid'], r['proto'], r['iplen'], r['seq'], r['ack'], r['sha'])
        a = r['action']
        stats[(r['dir'], a)] += 1
        if r['dir'] == 'ab':
            # client -> server: sent at the source, received at the target
            if a == 'drop':
                cands = by_key['src'].get(k, [])
                if cands:
                    want = 'lost'
                    got = st_of('src', cands[0]['n'])
                    if got != want:
                        bad.append('ab drop %s: source frame %d is %s' % (k, cands[0]['n'], got))
                elif r['proto'] == 6 and r['plen'] > 0:
                    f = source_of_segment(r)
                    if f is None:
                        bad.append('ab drop %s: no source frame holds it' % (k,))
                    else:
                        lost_bytes_want[f['n']] += r['plen']
                else:
                    bad.append('ab drop %s: not in the source capture' % (k,))
            elif a == 'dup':
                copies = by_key['dst'].get(k, [])
                if len(copies) < 2:
                    bad.append('ab dup %s: %d copies at the target' % (k, len(copies)))
                else:
                    got = st_of('dst', copies[1]['n'])
                    if got != 'duplicated':
                        bad.append('ab dup %s: second copy (target %d) is %s' % (k, copies[1]['n'], got))
                    seen_dup.add(('dst', copies[1]['n']))
            if r['ipsha'] in late:
                copies = by_key['dst'].get(k, [])
                if not copies:
                    bad.append('ab late %s: not at the target' % (k,))
                else:
                    got = st_of('dst', copies[0]['n'])
                    if got != 'reordered':
                        bad.append('ab late %s: target %d is %s' % (k, copies[0]['n'], got))
                    want_late.add(('dst', copies[0]['n']))
        else:
            # server -> client: sent at the target, received at the source
            if a == 'drop':
                cands = by_key['dst'].get(k, [])
                if not cands:
                    bad.append('ba drop %s: not in the target capture' % (k,))
                else:
                    got = st_of('dst', cands[0]['n'])
                    if got != 'lost':
                        bad.append('ba drop %s: target frame %d is %s' % (k, cands[0]['n'], got))
            elif a == 'dup':
                copies = by_key['src'].get(k, [])
                if len(copies) < 2:
                    bad.append('ba dup %s: %d copies at the source' % (k, len(copies)))
                else:
                    got = st_of('src', copies[1]['n'])
                    if got != 'duplicated':
                        bad.append('ba dup %s: second copy (source %d) is %s' % (k, copies[1]['n'], got))
                    seen_dup.add(('src', copies[1]['n']))
            if r['ipsha'] in late:
                copies = by_key['src'].get(k, [])
                if not copies:
                    bad.append('ba late %s: not at the source' % (k,))
                else:
                    got = st_of('src', copies[0]['n'])
                    if got != 'reordered':
                        bad.append('ba late %s: source %d is %s' % (k, copies[0]['n'], got))
                    want_late.add(('src', copies[0]['n']))
    # Super-segments of which the relay dropped pieces: partly lost, with those bytes.
    lost_bytes_got = {}
    for p in rep['packets']:
        if p['at'] == 'source' and p.get('lost_bytes'):
            lost_bytes_got[p['source']] = p['lost_bytes']
    for n, want in sorted(lost_bytes_want.items()):
        f = src[n - 1]
        got_st = st_of('src', n)
        want_st = 'lost' if want >= f['plen'] else 'partly_lost'
        got = f['plen'] if got_st == 'lost' else lost_bytes_got.get(n, 0)
        if got_st != want_st or got != want:
            bad.append('source super-segment %d (%d bytes): relay dropped %d bytes, compare says %s with %d lost'
                       % (n, f['plen'], want, got_st, got))
    # Reordered at the receiver: exactly the late frames (target frames of client -> server
    # flows, source frames of server -> client ones).
    for p in rep['packets']:
        if p['status'] != 'reordered':
            continue
        if (p['at'] == 'target') == (p['sent_by'] == 'source'):
            side, n = ('dst', p['target']) if p['at'] == 'target' else ('src', p['source'])
        elif p['at'] == 'source' and p['target'] is not None and ('target', p['target']) not in own:
            side, n = 'dst', p['target']     # a pair: the receiver's frame is its twin
        else:
            continue                         # a sender's packet split into several arrivals
        if (side, n) not in want_late:
            f = (dst if side == 'dst' else src)[n - 1]
            bad.append('%s frame %d reported reordered, the relay sent it in order (%s)' % (side, n, key(f) if f else '-'))
    stats[('late', 'want')] = len(want_late)
    # Nothing else lost, duplicated or extra.
    ours = collections.Counter((p['at'], p['status']) for p in rep['packets'])
    relay_lost = {'ab': sum(1 for r in relay if r['dir'] == 'ab' and r['action'] == 'drop'),
                  'ba': sum(1 for r in relay if r['dir'] == 'ba' and r['action'] == 'drop')}
    c = rep['counts']['directions']
    summary = ('relay ab: %s | relay ba: %s | compare s2t lost %d partly %d dup %d reordered %d extra %d | '
               't2s lost %d partly %d dup %d reordered %d extra %d'
               % (dict((k[1], v) for k, v in stats.items() if k[0] == 'ab'),
                  dict((k[1], v) for k, v in stats.items() if k[0] == 'ba'),
                  c['source_to_target']['lost'], c['source_to_target']['partly_lost'],
                  c['source_to_target']['duplicated'], c['source_to_target']['reordered'],
                  c['source_to_target']['extra'],
                  c['target_to_source']['lost'], c['target_to_source']['partly_lost'],
                  c['target_to_source']['duplicated'], c['target_to_source']['reordered'],
                  c['target_to_source']['extra']))
    print(summary)
    # Every packet the compare calls lost or extra, checked against the relay's log (every
    # relay drop was checked above to be lost). A lost packet the relay received and sent on
    # is a compare error; one the relay never received was lost before it (the kernel, a full
    # socket buffer) and is a real loss the relay's count cannot show. An extra packet the
    # relay sent, or that carries TCP data, is a compare error; one without data the relay
    # never sent did not come through it (the router made it: an ICMP error, a reset), so
    # extra is right.
    relay_rx = collections.defaultdict(list)
    relay_tx = collections.defaultdict(int)
    for r in relay:
        relay_rx[(r['dir'], r['ipid'], r['proto'], r['iplen'], r['seq'], r['ack'], r['sha'])].append(r['action'])
    for r in tx:
        relay_tx[(r['dir'], r['ipid'], r['proto'], r['iplen'], r['seq'], r['ack'], r['sha'])] += 1
    for r in relay:
        if r['action'] == 'txerr':
            relay_tx[(r['dir'], r['ipid'], r['proto'], r['iplen'], r['seq'], r['ack'], r['sha'])] -= 1
    lost_unseen = {'ab': 0, 'ba': 0}
    for p in rep['packets']:
        at = p['at']
        f = (src if at == 'source' else dst)[p[at] - 1]
        if f is None:
            continue
        fk = key(f)
        if p['status'] == 'lost':
            d = 'ab' if at == 'source' else 'ba'
            actions = relay_rx.get((d,) + fk, [])
            if not actions:
                if d == 'ba':
                    lost_unseen[d] += 1
                    print('note: target frame %d %s is lost before the relay (it never received it)' % (p[at], fk))
            elif 'txerr' in actions and 'drop' not in actions:
                if d == 'ba':
                    lost_unseen[d] += 1
                print('note: %s frame %d %s is lost: the relay failed to send it' % (at, p[at], fk))
            elif 'drop' not in actions:
                bad.append('%s frame %d %s reported lost, the relay received it and sent it on (%s)'
                           % (at, p[at], fk, ','.join(actions)))
        elif p['status'] == 'extra':
            d = 'ba' if at == 'source' else 'ab'
            if relay_tx.get((d,) + fk) or (f['proto'] == 6 and f['plen'] > 0):
                bad.append('%s frame %d %s reported extra, the relay sent it %d time(s)'
                           % (at, p[at], fk, relay_tx.get((d,) + fk, 0)))
            else:
                print('note: %s frame %d %s is extra: it did not pass the relay' % (at, p[at], fk))
    # Counts: the relay's drops, its failed sends and losses before it are all the losses.
    if c['target_to_source']['lost'] != relay_lost['ba'] + lost_unseen['ba']:
        bad.append('t2s lost %d != relay drops %d + lost before or in the relay %d'
                   % (c['target_to_source']['lost'], relay_lost['ba'], lost_unseen['ba']))
    if c['source_to_target']['duplicated'] != stats[('ab', 'dup')]:
        bad.append('s2t duplicated %d != relay dups %d' % (c['source_to_target']['duplicated'], stats[('ab', 'dup')]))
    if c['target_to_source']['duplicated'] != stats[('ba', 'dup')]:
        bad.append('t2s duplicated %d != relay dups %d' % (c['target_to_source']['duplicated'], stats[('ba', 'dup')]))
    for b in bad[:40]:
        print('MISMATCH', b)
    if len(bad) > 40:
        print('... %d more' % (len(bad) - 40))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
