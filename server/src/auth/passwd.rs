//! `kefu-server passwd`: set an agent's password (and role) from the command line, voiding the
//! tokens issued before.

use crate::config::Config;
use crate::{anyhow_like, hub};

/// `kefu-server passwd`: sets agent `kf_id`'s password (from `KEFU_PASSWORD` or the first line
/// of standard input), creating the agent if needed; the store keeps only the argon2 hash.
pub fn set_password(cfg: &Config, kf_id: &str, name: Option<&str>, role: Option<&str>) -> anyhow_like::Result<()> {
    let password = match std::env::var("KEFU_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| format!("cannot read the password: {e}"))?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    set_password_to(cfg, kf_id, name, role, &password)
}

/// Sets agent `kf_id`'s password to `password` (and its role, when given), creating the agent if
/// needed, and voids every token issued before: a running server refuses them on the next call
/// and closes their sockets (4401) within one heartbeat.
pub fn set_password_to(cfg: &Config, kf_id: &str, name: Option<&str>, role: Option<&str>, password: &str) -> anyhow_like::Result<()> {
    if password.chars().count() < 8 && !cfg.demo {
        return Err("a password needs at least 8 characters".into());
    }
    let store = cfg.open_store()?;
    let name = match (name, store.agent(kf_id).ok().flatten()) {
        (Some(n), _) => n.to_owned(),
        (None, Some(a)) => a.name,
        (None, None) => kf_id.to_owned(),
    };
    store.set_password(kf_id, &name, &super::hash_password(password), role).map_err(|e| format!("cannot write the store: {e}"))?;
    let detail = role.map(|r| format!("role={r}")).unwrap_or_default();
    store.audit("cli", "password_changed", kf_id, &detail, hub::now_ms()).map_err(|e| format!("cannot write the store: {e}"))?;
    store.void_tokens(kf_id, hub::now_ms() + 1).map_err(|e| format!("cannot write the store: {e}"))
}

