//! The state every handler shares, and how it is built from the configuration: the store opened,
//! routing restored, the token key loaded, demo passwords set.

use crate::config::{self, Config};
use crate::{auth, hub, store, test_hooks};
use std::sync::Arc;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// Routing.
    pub hub: Arc<hub::Hub>,
    /// Settings.
    pub cfg: Arc<Config>,
    /// Agents whose conversations were restored at start-up (grace timers start with `serve`).
    pub restored: Vec<(String, u64)>,
    /// The `/test/*` controls, only with `--test-hooks`.
    pub test_hooks: Option<Arc<test_hooks::TestHooks>>,
    /// Accounts, tokens and visitor ownership.
    pub auth: Arc<auth::Auth>,
    /// Per-address limits on visitor sockets and new visitor ids.
    pub visitor_limits: Arc<auth::visitor_limits::VisitorLimits>,
}

/// Opens the store (creating the data directory) and builds the state.
pub fn state(cfg: Config) -> crate::anyhow_like::Result<AppState> {
    state_routing(cfg, None)
}

/// As [`state`], routing only `partition` (a partitioned cluster's owner of it): the open
/// conversations restored are those of its agents, and the hub hands other partitions'
/// customers over.
pub fn state_routing(cfg: Config, partition: Option<&str>) -> crate::anyhow_like::Result<AppState> {
    std::fs::create_dir_all(cfg.data_dir.join("uploads")).map_err(|e| format!("cannot create {:?}: {e}", cfg.data_dir))?;
    config::private(&cfg.data_dir, 0o700)?;
    if !cfg.webhook_urls.is_empty() && cfg.webhook_secrets.iter().all(|s| s.is_empty()) {
        return Err("--webhook-url needs --webhook-secret (receivers check every delivery's signature)".to_owned());
    }
    for u in &cfg.webhook_urls {
        let ok = url::Url::parse(u).is_ok_and(|p| matches!(p.scheme(), "http" | "https"));
        if !ok {
            return Err(format!("--webhook-url {u:?} is not an http(s) URL"));
        }
    }
    let store = cfg.open_store()?;
    let mut open = store.open_conversations().map_err(|e| format!("cannot read the store: {e}"))?;
    // The token key: a file beside SQLite; in PostgreSQL, shared by every node.
    let key = match &store {
        store::Store::Sqlite(_) => auth::keys::load_or_create(&cfg.data_dir.join("auth.key"))?,
        store::Store::Postgres(_) => {
            let hex_key = store.meta_or_insert("token_key", || hex::encode(auth::keys::random_bytes::<32>())).map_err(|e| format!("cannot read the store: {e}"))?;
            hex::decode(hex_key).map_err(|e| format!("the stored token key is not hex: {e}"))?
        }
    };
    // Ids claimed a day ago or more by pages that never said anything are nobody's (a
    // partitioned cluster: `default`'s routing sees to it, not every partition's at once).
    if partition.is_none_or(|p| p == hub::partition_map::DEFAULT) {
        match store.forget_silent_visitors(hub::now_ms() - 24 * 3600 * 1000) {
            Ok(n) if n > 0 => tracing::info!(n, "silent visitor ids forgotten"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot forget silent visitor ids"),
        }
    }
    if cfg.demo_departments {
        hub::seed_demo_departments(&store).map_err(|e| format!("cannot write the store: {e}"))?;
    }
    let scope = partition.map(|name| (name, hub::partition_map_of(&store)));
    if let Some((name, map)) = &scope {
        open.retain(|c| map.of_agent(&c.kf_id) == *name);
    }
    let hub = hub::Hub::new(Arc::new(store), &cfg);
    if let Some((name, map)) = scope {
        hub.route_partition(name, map);
    }
    let restored = hub.restore(open);
    let test_hooks = cfg.test_hooks.then(Default::default);
    let auth = Arc::new(auth::Auth::new(&key, &cfg));
    if cfg.demo {
        for kf_id in hub.store().agents_without_password().map_err(|e| format!("cannot read the store: {e}"))? {
            let seeded = store::DEFAULT_AGENTS.iter().any(|(id, _, _)| *id == kf_id);
            if seeded {
                let name = hub.store().agent_name(&kf_id);
                hub.store().set_password(&kf_id, &name, &auth::hash_password(&kf_id), None).map_err(|e| format!("cannot write the store: {e}"))?;
            }
        }
    }
    let visitor_limits = auth::visitor_limits::VisitorLimits::new(cfg.max_visitor_sockets_per_address, cfg.max_new_visitors_per_address);
    Ok(AppState { hub, cfg: Arc::new(cfg), restored, test_hooks, auth, visitor_limits })
}

