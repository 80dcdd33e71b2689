//! Per-address limits for customers: how many visitor sockets one client address holds open, and
//! how many new visitor ids it may claim per hour. Both are reserved before anything else happens
//! (a burst cannot race past them) and given back when the socket ends or the id was not new.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use crate::sync::LockExt;

/// The window new ids are counted in.
pub const NEW_ID_WINDOW: Duration = Duration::from_secs(3600);
/// Most addresses tracked; beyond it idle ones are forgotten.
const MAX_ADDRESSES: usize = 100_000;

#[derive(Default)]
struct PerAddress {
    sockets: usize,
    window: Option<Instant>,
    new_ids: u32,
}

/// The counters, shared by every visitor socket.
pub struct VisitorLimits {
    max_sockets: usize,
    max_new_ids: u32,
    by_address: Mutex<HashMap<IpAddr, PerAddress>>,
}

/// An open visitor socket counted against its address; dropping it gives the place back.
pub struct SocketPlace {
    limits: Arc<VisitorLimits>,
    address: IpAddr,
}

impl Drop for SocketPlace {
    fn drop(&mut self) {
        let mut m = self.limits.by_address.locked();
        if let Some(e) = m.get_mut(&self.address) {
            e.sockets = e.sockets.saturating_sub(1);
        }
    }
}

impl VisitorLimits {
    /// Limits of `max_sockets` open sockets and `max_new_ids` new ids per hour per address.
    pub fn new(max_sockets: usize, max_new_ids: u32) -> Arc<VisitorLimits> {
        Arc::new(VisitorLimits { max_sockets, max_new_ids, by_address: Mutex::new(HashMap::new()) })
    }

    /// Takes a socket place for `address`, or says why not.
    pub fn open(self: &Arc<Self>, address: IpAddr) -> Result<SocketPlace, &'static str> {
        let mut m = self.by_address.locked();
        if m.len() >= MAX_ADDRESSES {
            let now = Instant::now();
            m.retain(|_, e| e.sockets > 0 || e.window.is_some_and(|w| now.duration_since(w) < NEW_ID_WINDOW));
        }
        let e = m.entry(address).or_default();
        if e.sockets >= self.max_sockets {
            return Err("too many customer connections from your address");
        }
        e.sockets += 1;
        Ok(SocketPlace { limits: self.clone(), address })
    }

    /// Reserves a new id for `address` (given back with [`VisitorLimits::unclaim`] if the id was
    /// not new after all), or says why not.
    pub fn claim(&self, address: IpAddr) -> Result<(), &'static str> {
        let mut m = self.by_address.locked();
        let e = m.entry(address).or_default();
        let now = Instant::now();
        if e.window.is_none_or(|w| now.duration_since(w) >= NEW_ID_WINDOW) {
            e.window = Some(now);
            e.new_ids = 0;
        }
        if e.new_ids >= self.max_new_ids {
            return Err("too many new customers from your address: try again later");
        }
        e.new_ids += 1;
        Ok(())
    }

    /// Gives back a reservation of [`VisitorLimits::claim`].
    pub fn unclaim(&self, address: IpAddr) {
        let mut m = self.by_address.locked();
        if let Some(e) = m.get_mut(&address) {
            e.new_ids = e.new_ids.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_are_capped_per_address_and_given_back_on_drop() {
        let l = VisitorLimits::new(2, 10);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let (p1, _p2) = (l.open(a).unwrap(), l.open(a).unwrap());
        assert!(l.open(a).is_err());
        assert!(l.open("192.0.2.2".parse().unwrap()).is_ok(), "another address has its own places");
        drop(p1);
        assert!(l.open(a).is_ok());
    }

    #[test]
    fn new_ids_are_capped_per_address() {
        let l = VisitorLimits::new(10, 3);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            l.claim(a).unwrap();
        }
        assert!(l.claim(a).is_err());
        l.unclaim(a);
        assert!(l.claim(a).is_ok());
    }
}
