//! Failed-login throttling that cannot be raced. An attempt is **reserved** (counted as a failure)
//! under the lock before its password is checked, so a burst of any size gets only as many checks
//! as the limits allow; a success gives its reservation back.
//!
//! Keys: the account *from one address* (5 failures), the address (20: several agents behind one
//! NAT), and the account from everywhere (a slower ceiling of 50, which does not apply to an
//! address the account signed in from before). So a stranger can lock an account out of *their*
//! address, but not out of the addresses its agent uses. Bounded: stale windows go first.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use crate::sync::LockExt;

/// Failures allowed per account from one address within [`WINDOW`].
pub const PER_ACCOUNT_AND_ADDRESS: u32 = 5;
/// Failures allowed per client address within [`WINDOW`] (several accounts behind one NAT).
pub const PER_ADDRESS: u32 = 20;
/// Failures allowed per account from all addresses within [`WINDOW`], except from addresses the
/// account signed in from before.
pub const PER_ACCOUNT: u32 = 50;
/// The window failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Most keys tracked; beyond it the oldest windows are forgotten first.
const MAX_KEYS: usize = 100_000;

#[derive(Default)]
struct Counters {
    failures: HashMap<String, (Instant, u32)>,
    /// `account|address` pairs that signed in successfully (exempt from the account ceiling).
    known: HashSet<String>,
}

/// Failure counters by key.
#[derive(Default)]
pub struct Throttle {
    inner: Mutex<Counters>,
}

/// A reserved attempt: counted as a failure until [`Throttle::succeeded`] gives it back.
#[derive(Debug)]
pub struct Attempt {
    keys: Vec<String>,
    pair: String,
}

fn keys(account: &str, address: &str, known: bool) -> Vec<(String, u32)> {
    let mut k = vec![(format!("kfip:{account}|{address}"), PER_ACCOUNT_AND_ADDRESS), (format!("ip:{address}"), PER_ADDRESS)];
    if !known {
        k.push((format!("kf:{account}"), PER_ACCOUNT));
    }
    k
}

impl Throttle {
    /// Reserves one attempt for `account` from `address`: `Err(seconds to wait)` if a limit is
    /// reached (nothing is counted then), else the attempt, already counted as a failure.
    pub fn reserve(&self, account: &str, address: &str) -> Result<Attempt, u64> {
        let mut c = self.inner.locked();
        let now = Instant::now();
        let pair = format!("{account}|{address}");
        let keys = keys(account, address, c.known.contains(&pair));
        let wait = keys
            .iter()
            .filter_map(|(key, max)| {
                let (start, n) = c.failures.get(key)?;
                let left = (*start + WINDOW).checked_duration_since(now)?;
                (*n >= *max).then(|| left.as_secs().max(1))
            })
            .max();
        if let Some(secs) = wait {
            return Err(secs);
        }
        if c.failures.len() >= MAX_KEYS {
            c.failures.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        for (key, _) in &keys {
            let e = c.failures.entry(key.clone()).or_insert((now, 0));
            if now.duration_since(e.0) >= WINDOW {
                *e = (now, 0);
            }
            e.1 += 1;
        }
        Ok(Attempt { keys: keys.into_iter().map(|(k, _)| k).collect(), pair })
    }

    /// The attempt's password was right: its reservation is given back, the account's count from
    /// this address is cleared, and the address is remembered as the account's own.
    pub fn succeeded(&self, attempt: Attempt) {
        let mut c = self.inner.locked();
        for key in &attempt.keys {
            if key.starts_with("kfip:") {
                c.failures.remove(key);
            } else if let Some(e) = c.failures.get_mut(key) {
                e.1 = e.1.saturating_sub(1);
            }
        }
        if c.known.len() >= MAX_KEYS {
            c.known.clear();
        }
        c.known.insert(attempt.pair);
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
    use super::*;
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

    #[test]
    fn reservations_are_counted_before_any_check_so_a_burst_gets_five() {
        let t = Throttle::default();
        let held: Vec<_> = (0..300).filter_map(|_| t.reserve("kf", "1.1.1.1").ok()).collect();
        assert_eq!(held.len(), PER_ACCOUNT_AND_ADDRESS as usize, "only the limit is let through, however many are in flight");
    }

    #[test]
    fn a_stranger_cannot_lock_an_agent_out_of_the_agents_own_address() {
        let t = Throttle::default();
        let ok = t.reserve("kf", "10.0.0.1").unwrap();
        t.succeeded(ok); // the agent's own address, known from now on
        for i in 0..(PER_ACCOUNT * 2) {
            let _ = t.reserve("kf", &format!("203.0.113.{}", i % 250)); // a spray from many addresses
        }
        assert!(t.reserve("kf", "198.51.100.1").is_err(), "the account ceiling holds for new addresses");
        assert!(t.reserve("kf", "10.0.0.1").is_ok(), "the agent's own address still gets in");
    }

    #[test]
    fn a_success_gives_its_reservation_back() {
        let t = Throttle::default();
        for _ in 0..(PER_ADDRESS - 1) {
            let a = t.reserve("kf", "1.1.1.1").unwrap();
            t.succeeded(a);
        }
        for i in 0..4 {
            assert!(t.reserve(&format!("other{i}"), "1.1.1.1").is_ok(), "successes do not use up the address");
        }
    }
}
