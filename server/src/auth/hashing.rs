//! Password checks on a few threads of their own. An argon2 check takes ~19 MiB; on tokio's
//! blocking pool a burst spreads them over many new threads, each with its own allocator arena that
//! keeps the memory afterwards (300 at once took the server to 5.5 GB). Here at most `threads`
//! checks run at once, always on the same threads, so their memory is reused; a login that finds
//! every thread busy waits a short while in [`Hashing::run`], then is refused without hashing.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use crate::sync::LockExt;

type Job = Box<dyn FnOnce() + Send>;

/// The password-check threads and the permits that bound the queue in front of them.
pub struct Hashing {
    jobs: Mutex<mpsc::Sender<Job>>,
    permits: tokio::sync::Semaphore,
}

/// Every password-check thread was busy for longer than the wait allowed.
#[derive(Debug)]
pub struct Busy;

impl Hashing {
    /// `threads` password-check threads (at least one).
    pub fn new(threads: usize) -> Hashing {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("kefu-passwords-{i}"))
                .spawn(move || loop {
                    let job = match rx.locked().recv() {
                        Ok(job) => job,
                        Err(_) => return, // the server is gone
                    };
                    job();
                })
                .expect("a password-check thread");
        }
        Hashing { jobs: Mutex::new(tx), permits: tokio::sync::Semaphore::new(threads.max(1)) }
    }

    /// Runs `f` (a password hash or check) on a password-check thread, waiting at most `wait` for
    /// one to be free.
    pub async fn run<T: Send + 'static>(&self, wait: Duration, f: impl FnOnce() -> T + Send + 'static) -> Result<T, Busy> {
        let _permit = tokio::time::timeout(wait, self.permits.acquire()).await.map_err(|_| Busy)?.map_err(|_| Busy)?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        self.jobs.locked().send(job).map_err(|_| Busy)?;
        rx.await.map_err(|_| Busy)
    }
}
