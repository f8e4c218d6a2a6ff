//! The key behind `read --anonymize`'s pseudonyms.
//!
//! - No key given: 128 random bits from the OS, used for this file only and never printed
//!   or stored (printing it to stderr put it in terminal scrollback, CI logs and tickets).
//! - `--anon-key PASSPHRASE` or `--anon-key-file FILE`: the passphrase goes through
//!   Argon2id (64 MiB, 3 passes) before it keys the mapping, so a guessable passphrase
//!   costs an attacker ~0.2 s per guess instead of one SHA-256. The salt is fixed (the
//!   same passphrase must give the same mapping in both files of a pair).
//! - `--anon-key-file FILE` that does not exist: a random 128-bit key is written there
//!   (mode 0600, never through a link) for the other file of the pair.

use crate::ReadArgs;
use anyhow::{bail, Context, Result};
use shared_decode::export::{Anonymizer, Payload};
use std::io::{Read, Write};

const SALT: &[u8] = b"paircap anonymize v2 argon2id";

/// The anonymizer `read` uses for `a`.
pub fn anonymizer(a: &ReadArgs, payload: Payload) -> Result<Anonymizer> {
    let passphrase = match (&a.anon_key, &a.anon_key_file) {
        (Some(k), _) => Some(k.clone()),
        (None, Some(path)) => Some(key_file(path)?),
        (None, None) => None,
    };
    match passphrase {
        Some(p) => Ok(Anonymizer::with_key(stretch(p.as_bytes())?, payload)),
        None => Ok(Anonymizer::new(&random::<16>()?, payload)),
    }
}

/// Argon2id of a passphrase: the 256-bit key.
pub fn stretch(passphrase: &[u8]) -> Result<[u8; 32]> {
    if passphrase.is_empty() {
        bail!("the anonymization passphrase is empty");
    }
    let params = argon2::Params::new(64 * 1024, 3, 1, Some(32))
        .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
    let kdf = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = [0u8; 32];
    kdf.hash_password_into(passphrase, SALT, &mut key)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    Ok(key)
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .context("cannot read /dev/urandom")?;
    Ok(b)
}

/// The passphrase in `path`, or a new random key written there.
fn key_file(path: &std::path::Path) -> Result<String> {
    match std::fs::read_to_string(path) {
        Ok(s) => {
            let k = s.trim_end_matches(['\n', '\r']).to_string();
            if k.is_empty() {
                bail!("{}: the key file is empty", path.display());
            }
            Ok(k)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let k: String = random::<16>()?.iter().map(|x| format!("{x:02x}")).collect();
            let mut f = crate::outfile::create_private(path, 0o600, &[])?;
            f.write_all(format!("{k}\n").as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "paircap: wrote a new anonymization key to {} (pass --anon-key-file {} for the other file of a pair)",
                path.display(),
                path.display()
            );
            Ok(k)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read the key file {}", path.display())),
    }
}
