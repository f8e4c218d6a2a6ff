//! Hashing of packet-derived keys.
//!
//! - [`TableState`]: the builder of every hash *table* keyed by what packets say (flows,
//!   addresses, ports, IDs): foldhash seeded once per process from the operating system's
//!   randomness (or, in the viewer, from `crypto.getRandomValues` through [`seed_tables`]).
//!   An unkeyed hash lets anyone who can send packets to a capture point craft keys that all
//!   land in one bucket (200,000 flows → 2·10^10 probes); with a secret seed they cannot
//!   aim. foldhash is as fast as FxHash on these short keys.
//! - [`FxHasher`]: deterministic digests that are *compared or sorted*, never used to index
//!   a table (the compare's match keys): a report must not depend on a random seed, and a
//!   run of equal keys is bounded where it is aligned.
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// FxHash (rustc's hasher): rotate, xor, multiply per word.
#[derive(Clone, Copy, Debug, Default)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.hash = (self.hash.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            self.add(u64::from_le_bytes(a));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut a = [0u8; 8];
            if let Some(dst) = a.get_mut(..rest.len()) {
                dst.copy_from_slice(rest);
            }
            self.add(u64::from_le_bytes(a));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    /// The state, with its high bits folded into the low ones: hash tables index by the low
    /// bits, and a multiply only carries information upwards (16-byte keys holding an IPv4
    /// address in their last 4 bytes would otherwise all share their low 32 bits).
    #[inline]
    fn finish(&self) -> u64 {
        let h = self.hash;
        (h ^ (h >> 32)).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (h >> 29)
    }
}

/// `BuildHasher` for [`FxHasher`].
pub type FxBuildHasher = BuildHasherDefault<FxHasher>;

/// A seed given by the embedder before the first table is built (0: none).
static GIVEN_SEED: AtomicU64 = AtomicU64::new(0);
static SHARED: OnceLock<foldhash::SharedSeed> = OnceLock::new();
static PER_TABLE: AtomicU64 = AtomicU64::new(0);

/// Seeds the tables from the embedder's randomness. Native builds need not call it (the
/// standard library's `RandomState` reads the OS); wasm32 has no such source, so the viewer
/// calls it with `crypto.getRandomValues` before decoding anything. Without it the wasm
/// tables are seeded by what the page can see (time of the first table), which is weaker.
pub fn seed_tables(seed: u64) {
    GIVEN_SEED.store(seed | 1, Ordering::Relaxed);
}

fn shared() -> &'static foldhash::SharedSeed {
    SHARED.get_or_init(|| {
        let given = GIVEN_SEED.load(Ordering::Relaxed);
        let seed = if given != 0 { given } else { os_seed() };
        foldhash::SharedSeed::from_u64(seed)
    })
}

#[cfg(not(target_family = "wasm"))]
fn os_seed() -> u64 {
    // RandomState's keys come from the OS (getrandom(2) on Linux).
    std::collections::hash_map::RandomState::new().hash_one(0x0070_6169_7263_6170_u64)
}

#[cfg(target_family = "wasm")]
fn os_seed() -> u64 {
    // No clock or OS randomness in wasm32-unknown-unknown std; the viewer calls
    // seed_tables first. The address of a heap allocation is a last resort.
    let b = Box::new(0u8);
    (&*b as *const u8 as usize as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1
}

/// `BuildHasher` of tables keyed by packet data: secret per-process seed, and a different
/// per-table seed for every table (iteration orders differ between tables).
#[derive(Clone, Debug)]
pub struct TableState(foldhash::fast::SeedableRandomState);

impl Default for TableState {
    #[inline]
    fn default() -> Self {
        let n = PER_TABLE.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        TableState(foldhash::fast::SeedableRandomState::with_seed(n, shared()))
    }
}

impl BuildHasher for TableState {
    type Hasher = foldhash::fast::FoldHasher<'static>;
    #[inline]
    fn build_hasher(&self) -> Self::Hasher {
        self.0.build_hasher()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_seeded_per_process_and_fx_is_not() {
        let a = TableState::default().hash_one([10u8, 0, 0, 1]);
        let b = TableState::default().hash_one([10u8, 0, 0, 1]);
        assert_ne!(a, b, "every table has its own seed");
        let x = FxBuildHasher::default().hash_one([10u8, 0, 0, 1]);
        let y = FxBuildHasher::default().hash_one([10u8, 0, 0, 1]);
        assert_eq!(x, y, "match keys are deterministic");
    }
}
