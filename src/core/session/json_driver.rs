//! Native drivers (tests, tools, the reference server's tests) feed JSON text, parsed with
//! serde_json (cargo feature `json`).

use super::super::input::{ConnId, FrameIn, Millis, Received};
use super::Session;

impl Session<serde_json::Value> {
    /// A text or binary frame arrived on socket `conn`: parsed with serde_json
    /// ([`Received::from_text`]), then as [`Session::handle_received`].
    pub fn handle_frame(&mut self, now: Millis, conn: ConnId, frame: FrameIn<'_>) {
        let received = Received::from_text(frame, self.cfg.max_frame_chars);
        self.handle_received(now, conn, received);
    }
}
