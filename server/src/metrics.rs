//! The Prometheus metrics routing keeps (served by `health_api.rs`). Sockets by kind and the
//! waiting queue are read from routing when scraped; offers, relay latency and store errors are
//! counted as they happen.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Every metric the server exports.
pub struct Metrics {
    registry: Registry,
    /// Open sockets, by `kind` (`agent`, `visitor`); set when scraped.
    pub sockets: Family<Vec<(String, String)>, Gauge>,
    /// Customers waiting; set when scraped.
    pub waiting: Gauge,
    /// Offers made to agents (status 2).
    pub offers: Counter,
    /// Time to store and route one chat message, in seconds.
    pub relay: Histogram,
    /// Store operations that failed.
    pub store_errors: Counter,
    /// Conversations closed by the server, by `reason` (`idle`, `left`, `abandoned`: gave up in
    /// the queue), and offers that timed out (`offer_timeout`).
    pub lifecycle: Family<Vec<(String, String)>, Counter>,
    /// PostgreSQL's group writer: transactions and chat messages written since start (set when
    /// scraped; 0 on SQLite).
    pub group_commits: Gauge,
    /// See `group_commits`.
    pub group_messages: Gauge,
    /// Waits for PostgreSQL made while routing's lock was held, by `call` (set when scraped; none
    /// expected: routing hands its writes over and reads before it locks).
    pub store_waits_under_lock: Family<Vec<(String, String)>, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("kefu");
        let sockets = Family::<Vec<(String, String)>, Gauge>::default();
        let waiting = Gauge::default();
        let offers = Counter::default();
        // 50 µs to ~1.6 s, doubling.
        let relay = Histogram::new((0..16).map(|i| 0.000_05 * f64::from(1u32 << i)));
        let store_errors = Counter::default();
        let lifecycle = Family::<Vec<(String, String)>, Counter>::default();
        registry.register("lifecycle_events", "Offers timed out and conversations closed by the server, by reason", lifecycle.clone());
        registry.register("sockets", "Open sockets by kind", sockets.clone());
        registry.register("waiting_customers", "Customers waiting to be accepted", waiting.clone());
        registry.register("offers", "Customers offered to agents", offers.clone());
        registry.register("relay_seconds", "Time to store and route one chat message", relay.clone());
        registry.register("store_errors", "Store operations that failed", store_errors.clone());
        let (group_commits, group_messages) = (Gauge::default(), Gauge::default());
        registry.register("store_group_commits", "Transactions PostgreSQL's group writer committed", group_commits.clone());
        registry.register("store_group_messages", "Chat messages those transactions stored (a resend already stored is not counted)", group_messages.clone());
        let store_waits_under_lock = Family::<Vec<(String, String)>, Gauge>::default();
        registry.register("store_waits_under_lock", "Waits for PostgreSQL made while routing's lock was held, by call (each holds up the whole desk)", store_waits_under_lock.clone());
        Metrics { registry, sockets, waiting, offers, relay, store_errors, lifecycle, group_commits, group_messages, store_waits_under_lock }
    }
}

impl Metrics {
    /// Counts one lifecycle event (`reason`).
    pub fn lifecycle_event(&self, reason: &str) {
        self.lifecycle.get_or_create(&vec![("reason".to_owned(), reason.to_owned())]).inc();
    }

    /// The metrics in Prometheus' text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry);
        out
    }
}
