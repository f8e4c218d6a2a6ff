#!/usr/bin/env python3
"""Scores `paircap compare --format json --packets` against a gen_workload.py pair's truth.

    score_pair.py PREFIX.truth.tsv COMPARE.json

Works with both truth layouts (one row per source frame, or --directions both: one row per
packet sent, with sent_at). Prints, per direction of travel, precision and recall of the
lost packets and of the duplicates, the twins that differ from the truth, and the clock.
Python standard library only; exits 1 when a direction is below 99.9%.
"""
import json
import sys


def load_truth(path):
    hdr, rows, meta = None, [], ''
    for line in open(path):
        if line.startswith('#'):
            meta = line
            continue
        c = line.rstrip('\n').split('\t')
        if hdr is None:
            hdr = c
            continue
        rows.append(dict(zip(hdr, c)))
    return meta, rows


def pr(ours, want):
    tp = len(ours & want)
    return (tp / len(ours) if ours else 1.0, tp / len(want) if want else 1.0)


def main():
    meta, rows = load_truth(sys.argv[1])
    r = json.load(open(sys.argv[2]))
    both = 'sent_at' in rows[0]
    want = {('lost', 'source'): set(), ('lost', 'target'): set(),
            ('dup', 'source'): set(), ('dup', 'target'): set()}
    twins = {}
    for row in rows:
        sent = row.get('sent_at', 'source')
        recv = 'target' if sent == 'source' else 'source'
        sf = int(row['src_frame']) if row['src_frame'] != '-' else None
        tf = int(row['tgt_frame']) if row['tgt_frame'] != '-' else None
        if row['status'] == 'lost':
            want[('lost', sent)].add(sf if sent == 'source' else tf)
        if row['status'] == 'delivered':
            twins[sf] = tf
        for d in row.get('dup_frames', '').split(','):
            if d:
                want[('dup', recv)].add(int(d))
    ours = {k: set() for k in want}
    ours_twin = {}
    for p in r['packets']:
        st, at = p['status'], p['at']
        own = p[at]
        if st == 'lost':
            ours[('lost', at)].add(own)
        elif st == 'duplicated':
            ours[('dup', at)].add(own)
        if at == 'source' and p['target'] is not None and st in ('matched', 'modified', 'reordered'):
            ours_twin[own] = p['target']
    bad = False
    out = []
    for kind in ('lost', 'dup'):
        for side in ('source', 'target'):
            w, o = want[(kind, side)], ours[(kind, side)]
            p_, r_ = pr(o, w)
            direction = {('lost', 'source'): 'sent at source', ('lost', 'target'): 'sent at target',
                         ('dup', 'target'): 'received at target', ('dup', 'source'): 'received at source'}[(kind, side)]
            out.append('%s %s: %d/%d P %.5f R %.5f' % (kind, direction, len(o), len(w), p_, r_))
            if p_ < 0.999 or r_ < 0.999:
                bad = True
    wrong = sum(1 for s, t in twins.items() if ours_twin.get(s) != t)
    out.append('wrong twins %d of %d' % (wrong, len(twins)))
    c = r['clock']
    out.append('clock %s offset %.3f ms drift %+.2f ppm' % (c['method'], c['offset_ms'], c['drift_ppm']))
    print('truth: ' + ' | '.join(out))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
