//! Operability: Prometheus metrics (`GET /metrics`, the text format written by prometheus-client)
//! and the health check a load balancer asks (`GET /healthz`: 200 only while the store answers).
//! Sockets by kind and the waiting queue are read from routing when scraped; offers, relay
//! latency and store errors are counted as they happen.

use crate::app_state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
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
        registry.register("sockets", "Open sockets by kind", sockets.clone());
        registry.register("waiting_customers", "Customers waiting to be accepted", waiting.clone());
        registry.register("offers", "Customers offered to agents", offers.clone());
        registry.register("relay_seconds", "Time to store and route one chat message", relay.clone());
        registry.register("store_errors", "Store operations that failed", store_errors.clone());
        Metrics { registry, sockets, waiting, offers, relay, store_errors }
    }
}

impl Metrics {
    /// The metrics in Prometheus' text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// `GET /metrics`.
pub async fn metrics(State(app): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], render(&app)).into_response()
}

/// The hub's metrics in Prometheus' text format, with the gauges read now.
pub fn render(app: &AppState) -> String {
    let (agents, visitors, waiting) = app.hub.gauges();
    let m = app.hub.metrics();
    m.sockets.get_or_create(&vec![("kind".into(), "agent".into())]).set(agents as i64);
    m.sockets.get_or_create(&vec![("kind".into(), "visitor".into())]).set(visitors as i64);
    m.waiting.set(waiting as i64);
    m.render()
}

/// `GET /healthz`: 200 `{"status":"ok"}` while the store answers, else 503 with the reason.
pub async fn healthz(State(app): State<AppState>) -> Response {
    let hub = app.hub.clone();
    let store = tokio::task::spawn_blocking(move || hub.store().ping().map_err(|e| e.to_string())).await;
    match store.map_err(|e| e.to_string()).and_then(|r| r) {
        Ok(()) => (StatusCode::OK, axum::Json(serde_json::json!({"status": "ok", "store": "ok"}))).into_response(),
        Err(why) => {
            let _ = app.hub.store_failed(&why); // counted and logged
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({"status": "unavailable", "store": why}))).into_response()
        }
    }
}
