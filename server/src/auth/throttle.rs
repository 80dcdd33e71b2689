//! Failed-login throttling, per account and per client address: after too many failures in a
//! window, further attempts are refused (429) until the window has passed, even with the right
//! password. Bounded: stale entries are dropped as new ones come.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per account within [`WINDOW`].
pub const PER_ACCOUNT: u32 = 5;
/// Failures allowed per client address within [`WINDOW`] (several accounts behind one NAT).
pub const PER_ADDRESS: u32 = 20;
/// The window failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Most keys tracked; beyond it the oldest windows are forgotten first.
const MAX_KEYS: usize = 100_000;

/// Failure counters by key (`kf:<id>` or `ip:<addr>`).
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Throttle {
    /// Seconds until `account` or `address` may try again, if either is locked now.
    pub fn locked(&self, account: &str, address: &str) -> Option<u64> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        [(format!("kf:{account}"), PER_ACCOUNT), (format!("ip:{address}"), PER_ADDRESS)]
            .iter()
            .filter_map(|(key, max)| {
                let (start, n) = map.get(key)?;
                let left = (*start + WINDOW).checked_duration_since(now)?;
                (*n >= *max).then(|| left.as_secs().max(1))
            })
            .max()
    }

    /// Counts a failed attempt against both keys.
    pub fn failed(&self, account: &str, address: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if map.len() >= MAX_KEYS {
            map.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        for key in [format!("kf:{account}"), format!("ip:{address}")] {
            let e = map.entry(key).or_insert((now, 0));
            if now.duration_since(e.0) >= WINDOW {
                *e = (now, 0);
            }
            e.1 += 1;
        }
    }

    /// A successful login clears the account's count (the address keeps its own).
    pub fn succeeded(&self, account: &str) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(&format!("kf:{account}"));
    }
}

/// The client's address: the direct peer, or the last `X-Forwarded-For` entry a trusted proxy
/// (the load balancer) added: the address the login throttle counts (`--trusted-proxies`).
pub fn client_address(peer: SocketAddr, headers: &axum::http::HeaderMap, trusted: &[std::net::IpAddr]) -> SocketAddr {
    if !trusted.contains(&peer.ip()) {
        return peer;
    }
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()).and_then(|v| v.rsplit(',').next()).map(str::trim);
    forwarded.and_then(|a| a.parse::<std::net::IpAddr>().ok()).map(|ip| SocketAddr::new(ip, 0)).unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::client_address;
    use axum::http::HeaderMap;

    #[test]
    fn the_forwarded_client_counts_only_behind_a_trusted_proxy() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.9, 198.51.100.7".parse().unwrap());
        let lb = "127.0.0.1:5000".parse().unwrap();
        let trusted = ["127.0.0.1".parse().unwrap()];
        assert_eq!(client_address(lb, &h, &trusted).ip().to_string(), "198.51.100.7"); // the entry the proxy added
        assert_eq!(client_address(lb, &h, &[]), lb); // nobody trusted: the peer
        let stranger = "192.0.2.1:6000".parse().unwrap();
        assert_eq!(client_address(stranger, &h, &trusted), stranger); // a client cannot claim another address
        assert_eq!(client_address(lb, &HeaderMap::new(), &trusted), lb);
    }
}
