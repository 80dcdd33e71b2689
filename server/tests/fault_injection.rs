//! Fault injection: the real server process, native agents (the sans-IO session core driven over
//! real sockets) and scripted visitors, all through a TCP proxy that can cut every connection
//! mid-stream, while the server is SIGKILLed and restarted, connections are cut, and heartbeats
//! stall (zombie sockets). Counts, per direction: sent, delivered, lost, duplicated, out of
//! order, and the time agents take to recover. Bounded for CI; `KEFU_FAULT_MESSAGES` scales it.
//! Prints the table (see docs/reliability.md).

mod faults;

use faults::{exercise, free_port, Faults, Mix};
use kefu_server::config::TEST_VISITOR_ID_SECRET;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

/// The server as a real process, killed with SIGKILL and restarted on the same port and store.
struct ServerProc {
    port: u16,
    dir: std::path::PathBuf,
    child: Option<std::process::Child>,
}

impl ServerProc {
    fn start(port: u16, dir: std::path::PathBuf) -> ServerProc {
        let mut s = ServerProc { port, dir, child: None };
        s.spawn();
        s
    }
    fn spawn(&mut self) {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_kefu-server"))
            .args(["--bind", &format!("127.0.0.1:{}", self.port), "--data-dir"])
            .arg(&self.dir)
            .args(["--www-dir", "/nonexistent", "--open-registration", "--test-hooks", "--grace-ms", "120000"])
            .args(["--visitor-id-secret", TEST_VISITOR_ID_SECRET])
            .args(["--offer-silent-visitors", "--max-visitor-sockets-per-address", "1000000", "--max-new-visitors-per-address", "1000000"])
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn kefu-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill(); // SIGKILL: no graceful anything
            let _ = c.wait();
        }
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A TCP proxy in front of the server; `cut` drops every proxied connection at once, wherever
/// its frames are (a network flap).
async fn proxy(listen: TcpListener, upstream: u16, cut: broadcast::Sender<()>) {
    loop {
        let Ok((mut client, _)) = listen.accept().await else { return };
        let mut rx = cut.subscribe();
        tokio::spawn(async move {
            let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)).await else { return };
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                _ = rx.recv() => {
                    #[allow(deprecated)]
                    let _ = client.set_linger(Some(Duration::ZERO)); // RST, mid-frame
                }
            }
        });
    }
}

/// Kills and restarts the server, cuts the network, stalls heartbeats, in turn.
struct OneNode {
    server: ServerProc,
    server_port: u16,
    cut: broadcast::Sender<()>,
    http: reqwest::Client,
}

impl Faults for OneNode {
    async fn inject(&mut self, n: usize) -> String {
        match n % 3 {
            0 => {
                self.server.kill();
                tokio::time::sleep(Duration::from_millis(300)).await;
                self.server.spawn();
                "server SIGKILL + restart".into()
            }
            1 => {
                let _ = self.cut.send(());
                "network cut (RST mid-stream)".into()
            }
            _ => {
                let _ = self.http.post(format!("http://127.0.0.1:{}/test/stall?ms=1500", self.server_port)).send().await;
                "heartbeat stall (zombie socket)".into()
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_duplicated_or_reordered_under_faults() {
    let per_direction: usize = std::env::var("KEFU_FAULT_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let dir = tempfile::tempdir().unwrap();
    let server_port = free_port();
    let server = ServerProc::start(server_port, dir.path().to_path_buf());
    let listen = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listen.local_addr().unwrap().port();
    let (cut, _) = broadcast::channel(4);
    tokio::spawn(proxy(listen, server_port, cut.clone()));
    let mut faults = OneNode { server, server_port, cut, http: reqwest::Client::new() };
    let mix = Mix { agents: 2, visitors: 4, per_direction, every: Duration::from_millis(1500), departments: 0 };
    exercise("Fault injection", port, server_port, mix, &mut faults).await;
}
