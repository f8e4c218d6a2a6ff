//! Sorts for the matcher's large lists: a comparison sort of a million (hash, index) pairs
//! takes 60–80 ms here. One counting pass scatters the items into buckets by the top bits of
//! a 64-bit key (spread over the keys' range), then each small bucket is sorted by the full
//! key: a third of the time on hashes and packed indexes.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

/// Below this length a comparison sort is as fast.
const SMALL: usize = 4096;

/// Sorts `v` by `full(x)`, where `bucket(x)` is a 64-bit key that orders like `full`'s
/// leading part (`bucket(a) < bucket(b)` implies `full(a) < full(b)`).
pub(crate) fn by_key<T: Copy + Default, K: Ord>(
    v: &mut [T],
    bucket: impl Fn(&T) -> u64,
    full: impl Fn(&T) -> K,
) {
    if v.len() < SMALL {
        v.sort_unstable_by_key(|x| full(x));
        return;
    }
    let (mut lo, mut hi) = (u64::MAX, 0u64);
    for x in v.iter() {
        let k = bucket(x);
        lo = lo.min(k);
        hi = hi.max(k);
    }
    let n_buckets = (v.len() / 8).next_power_of_two().clamp(256, 1 << 16);
    let bits = n_buckets.trailing_zeros();
    let span_bits = 64 - (hi - lo).leading_zeros();
    let shift = span_bits.saturating_sub(bits);
    let slot = |x: &T| -> usize { ((bucket(x) - lo) >> shift) as usize };
    let mut start = vec![0usize; n_buckets + 1];
    for x in v.iter() {
        if let Some(c) = start.get_mut(slot(x) + 1) {
            *c += 1;
        }
    }
    for i in 1..start.len() {
        let prev = start.get(i - 1).copied().unwrap_or(0);
        if let Some(c) = start.get_mut(i) {
            *c += prev;
        }
    }
    let mut tmp: Vec<T> = vec![T::default(); v.len()];
    let mut fill = start.clone();
    for x in v.iter() {
        if let Some(c) = fill.get_mut(slot(x)) {
            if let Some(t) = tmp.get_mut(*c) {
                *t = *x;
            }
            *c += 1;
        }
    }
    v.copy_from_slice(&tmp);
    for w in start.windows(2) {
        if let [a, b] = *w {
            if b > a + 1 {
                if let Some(run) = v.get_mut(a..b) {
                    // Stable and adaptive: a bucket often holds a few already sorted runs
                    // (each capture's packets in file order).
                    run.sort_by_key(|x| full(x));
                }
            }
        }
    }
}

/// Sorts (key, index) pairs.
pub(crate) fn keys(v: &mut [(u64, u32)]) {
    by_key(v, |x| x.0, |x| *x);
}

/// Sorts plain 64-bit values.
pub(crate) fn values(v: &mut [u64]) {
    by_key(v, |x| *x, |x| *x);
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_the_standard_sort() {
        let mut x = 88172645463325252u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for n in [0usize, 5, 3000, 100_000] {
            let mut v: Vec<(u64, u32)> = (0..n as u32).map(|i| (next() % 5000, i)).collect();
            let mut w = v.clone();
            keys(&mut v);
            w.sort_unstable();
            assert_eq!(v, w);
            let mut a: Vec<u64> = (0..n).map(|_| next()).collect();
            let mut b = a.clone();
            values(&mut a);
            b.sort_unstable();
            assert_eq!(a, b);
        }
    }
}
