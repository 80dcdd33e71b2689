//! Supervising every partition from one board (a partitioned cluster): a node whose partitions'
//! boards are watched or asked for says so on `kefu.board.want` each second; while anyone does,
//! each node sends the board of each partition it routes on `kefu.board.of.<partition>` when it
//! changed (and every 3 s all the same, so it stays fresh), and hands the boards it hears to its
//! partitions' hubs, which merge them in (`hub/board_partitions.rs`). Nothing is sent while
//! nobody supervises.

use super::election::Election;
use crate::hub::Board;
use crate::sync::LockExt;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WANT: &str = "kefu.board.want";
const BOARD_OF: &str = "kefu.board.of.";
/// How long a want keeps the boards coming.
const WANTED_FOR: Duration = Duration::from_secs(3);
/// A board unchanged is sent again after this (the hubs drop one older than 5 s).
const AGAIN_AFTER: Duration = Duration::from_secs(3);

/// Starts the exchange for node `e` (see the module's comment).
pub(super) fn start(e: Arc<Election>, nats: async_nats::Client) {
    let wanted: Arc<Mutex<Option<Instant>>> = Arc::default();
    let (n, w) = (nats.clone(), wanted.clone());
    tokio::spawn(async move {
        let Ok(mut wants) = n.subscribe(WANT).await else { return };
        while wants.next().await.is_some() {
            *w.locked() = Some(Instant::now());
        }
    });
    let (n, e2) = (nats.clone(), e.clone());
    tokio::spawn(async move {
        let Ok(mut boards) = n.subscribe(format!("{BOARD_OF}*")).await else { return };
        while let Some(m) = boards.next().await {
            let Some(partition) = m.subject.strip_prefix(BOARD_OF) else { continue };
            let owned = e2.owned_states();
            if owned.iter().all(|(p, _)| p == partition) {
                continue;
            }
            match serde_json::from_slice::<Board>(&m.payload) {
                Ok(board) => owned.iter().for_each(|(_, s)| s.hub.set_other_board(partition, board.clone())),
                Err(err) => tracing::warn!(error = %err, partition, "a partition's board could not be read"),
            }
        }
    });
    tokio::spawn(async move {
        let mut sent: HashMap<String, (Vec<u8>, Instant)> = HashMap::new();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let owned = e.owned_states();
            if owned.iter().any(|(_, s)| s.hub.wants_other_boards()) {
                let _ = nats.publish(WANT, Vec::<u8>::new().into()).await;
            }
            if !wanted.locked().is_some_and(|t| t.elapsed() < WANTED_FOR) {
                sent.clear();
                continue;
            }
            for (partition, state) in owned {
                let hub = state.hub.clone();
                let Ok(Ok(board)) = tokio::task::spawn_blocking(move || serde_json::to_vec(&hub.own_board())).await else { continue };
                if sent.get(&partition).is_some_and(|(b, at)| *b == board && at.elapsed() < AGAIN_AFTER) {
                    continue;
                }
                if let Err(err) = nats.publish(format!("{BOARD_OF}{partition}"), board.clone().into()).await {
                    tracing::warn!(error = %err, partition, bytes = board.len(), "a partition's board was not sent");
                }
                sent.insert(partition, (board, Instant::now()));
            }
        }
    });
}
