//! A socket's chat acks, sent in order once each message is stored, while the socket reads on.
//! Waiting for a commit before reading the next frame made a socket's messages one commit each:
//! a customer's or an agent's quick messages queued behind each other's fsync, and one stall under
//! the hub's lock (a queue rush at shift start) held every later message of that socket behind
//! it long after the stall was over. Read at once, they share the group writer's batches.

use crate::hub::Out;
use std::future::Future;
use std::pin::Pin;
use tokio::sync::mpsc;

/// What one ack waits for and then sends (`None`: nothing to send).
type Pending = Pin<Box<dyn Future<Output = Option<Out>> + Send>>;

/// The acks of one socket, sent in the order their messages were read.
pub struct Acks {
    queue: mpsc::UnboundedSender<Pending>,
}

impl Acks {
    /// Starts the socket's acker: what it is given goes to `out` in order.
    pub fn start(out: mpsc::UnboundedSender<Out>) -> Acks {
        let (queue, mut rx) = mpsc::unbounded_channel::<Pending>();
        tokio::spawn(async move {
            while let Some(ack) = rx.recv().await {
                if let Some(frame) = ack.await {
                    if out.send(frame).is_err() {
                        break;
                    }
                }
            }
        });
        Acks { queue }
    }

    /// Queues `ack`: awaited after every ack queued before it, its frame sent then.
    pub fn push(&self, ack: impl Future<Output = Option<Out>> + Send + 'static) {
        let _ = self.queue.send(Box::pin(ack));
    }
}
