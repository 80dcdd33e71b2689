//! A socket's chat acks, sent in order once each message is stored, while the socket reads on.
//! Waiting for a commit before reading the next frame made a socket's messages one commit each:
//! a customer's or an agent's quick messages queued behind each other's fsync, and one stall under
//! the hub's lock (a queue rush at shift start) held every later message of that socket behind
//! it long after the stall was over. Read at once, they share the group writer's batches. The
//! acks wait in the socket's own task (no task of their own: under load a second task per
//! socket, woken once more per message, lengthened the relay's tail).

use crate::hub::Out;
use futures_util::stream::{FuturesOrdered, StreamExt};
use std::future::Future;
use std::pin::Pin;
use tokio::sync::mpsc;

/// What one ack waits for and then sends (`None`: nothing to send).
type Pending = Pin<Box<dyn Future<Output = Option<Out>> + Send>>;

/// The acks of one socket still waiting, in the order their messages were read.
pub struct Acks {
    pending: FuturesOrdered<Pending>,
    out: mpsc::UnboundedSender<Out>,
}

impl Acks {
    /// No acks yet; what they send goes to `out`.
    pub fn new(out: mpsc::UnboundedSender<Out>) -> Acks {
        Acks { pending: FuturesOrdered::new(), out }
    }

    /// Queues `ack`: sent after every ack queued before it, once it is ready.
    pub fn push(&mut self, ack: impl Future<Output = Option<Out>> + Send + 'static) {
        self.pending.push_back(Box::pin(ack));
    }

    /// Reads with `read` (cancel-safe: nothing is taken until it is ready), sending the acks that
    /// become ready meanwhile.
    pub async fn read_with<R, F: Future<Output = R>>(&mut self, read: F) -> R {
        tokio::pin!(read);
        loop {
            if self.pending.is_empty() {
                return read.await;
            }
            tokio::select! {
                biased;
                Some(frame) = self.pending.next() => self.send(frame),
                r = &mut read => return r,
            }
        }
    }

    /// Sends the acks still waiting, each once it is ready (the socket's reading is over).
    pub async fn finish(mut self) {
        while let Some(frame) = self.pending.next().await {
            self.send(frame);
        }
    }

    fn send(&self, frame: Option<Out>) {
        if let Some(f) = frame {
            let _ = self.out.send(f);
        }
    }
}
