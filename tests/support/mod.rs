//! A fake-clock driver for the sans-IO session, shared by the native test files.
#![allow(dead_code)]

use kefu_agent::core::*;

/// Drives a [`Session`] with a fake clock and records every output.
pub struct Driver {
    pub s: JsonSession,
    pub now: Millis,
}

impl Driver {
    pub fn new(cfg: SessionConfig) -> Self {
        Driver { s: Session::new(cfg), now: 1_000 }
    }

    pub fn agent() -> Self {
        let mut c = SessionConfig::new("xiaoming");
        c.kf_name = "小明".into();
        Self::new(c)
    }

    /// Drains every pending output.
    pub fn drain(&mut self) -> Vec<JsonOutput> {
        std::iter::from_fn(|| self.s.poll_output()).collect()
    }

    /// Moves the clock to `t`, firing the timer at every deadline on the way, exactly like a
    /// shell whose timers are punctual. Returns all outputs.
    pub fn run_until(&mut self, t: Millis) -> Vec<JsonOutput> {
        let mut out = self.drain();
        while let Some(d) = self.s.poll_timeout() {
            if d > t {
                break;
            }
            self.now = d.max(self.now);
            self.s.handle_timeout(self.now);
            out.extend(self.drain());
        }
        self.now = t;
        out
    }

    pub fn advance(&mut self, ms: Millis) -> Vec<JsonOutput> {
        let t = self.now + ms;
        self.run_until(t)
    }

    /// connect() then open the socket it asks for; returns the generation.
    pub fn connect_open(&mut self) -> ConnId {
        self.s.connect(self.now);
        let conn = opened(&self.drain()).expect("connect opens a socket");
        self.s.handle_socket_opened(self.now, conn);
        self.drain();
        conn
    }

    /// After the socket was lost: waits out the reconnect delay and opens the new socket it asks
    /// for; returns the new generation.
    pub fn reopen(&mut self) -> ConnId {
        self.run_until(self.now + self.s.config().reconnect_ms);
        let conn = self.s.live_conn().expect("a reconnect is under way");
        self.s.handle_socket_opened(self.now, conn);
        self.drain();
        conn
    }

    pub fn frame(&mut self, conn: ConnId, text: &str) -> Vec<JsonOutput> {
        self.s.handle_frame(self.now, conn, FrameIn::Text(text));
        self.drain()
    }
}

pub fn sent(out: &[JsonOutput]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send { frame, .. } => Some(frame.encode()),
            _ => None,
        })
        .collect()
}

pub fn opened(out: &[JsonOutput]) -> Option<ConnId> {
    out.iter().find_map(|o| match o {
        Output::OpenSocket { conn } => Some(*conn),
        _ => None,
    })
}

pub fn opens(out: &[JsonOutput]) -> usize {
    out.iter().filter(|o| matches!(o, Output::OpenSocket { .. })).count()
}

pub fn closes(out: &[JsonOutput]) -> Vec<(ConnId, u16)> {
    out.iter()
        .filter_map(|o| match o {
            Output::CloseSocket { conn, code, .. } => Some((*conn, *code)),
            _ => None,
        })
        .collect()
}

pub fn ui(out: &[JsonOutput]) -> Vec<JsonUiEvent> {
    out.iter()
        .filter_map(|o| match o {
            Output::Ui(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

pub fn states(out: &[JsonOutput]) -> Vec<LinkState> {
    ui(out)
        .into_iter()
        .filter_map(|e| match e {
            UiEvent::StateChanged(s) => Some(s),
            _ => None,
        })
        .collect()
}

pub const PING: &str = r#"{"respStatus":9,"kfId":"xiaoming"}"#;
pub const PONG: &str = r#"{"status":9}"#;
