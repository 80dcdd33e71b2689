//! Secrets generated on first start and kept in the data directory (mode 0600): the key that
//! signs agent tokens.

use std::io::Write;
use std::path::Path;

/// `n` random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the operating system's random source");
    b
}

/// The key in `path` (hex), created with 32 random bytes if the file does not exist.
pub fn load_or_create(path: &Path) -> Result<Vec<u8>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => hex::decode(text.trim()).map_err(|e| format!("{path:?} is not a hex key: {e}")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = random_bytes::<32>();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut f = options.open(path).map_err(|e| format!("cannot create {path:?}: {e}"))?;
            f.write_all(hex::encode(key).as_bytes()).map_err(|e| format!("cannot write {path:?}: {e}"))?;
            tracing::info!(?path, "generated a new token signing key");
            Ok(key.to_vec())
        }
        Err(e) => Err(format!("cannot read {path:?}: {e}")),
    }
}
