//! `kefu-server`: run the reference chat server. See `--help` for every option.

use clap::Parser;
use kefu_server::config::Command;
use kefu_server::{serve, state, Config};

fn main() {
    let mut cfg = Config::parse();
    cfg.demo_departments = cfg.demo; // two departments to try routing by department with
    // One worker per core, on one node and on a cluster node alike (`TOKIO_WORKER_THREADS` sets
    // another count). A cluster node once ran eight, for the store calls it made under the hub's
    // lock; none is made there now, and the extra threads only lengthened the tail
    // (docs/performance.md, twenty-second session).
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("the async runtime").block_on(run(cfg));
}

async fn run(cfg: Config) {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    if let Some(Command::Passwd { kf_id, name, role }) = &cfg.command {
        std::process::exit(match kefu_server::set_password(&cfg, kf_id, name.as_deref(), role.as_deref()) {
            Ok(()) => {
                println!("password set for agent {kf_id}");
                0
            }
            Err(e) => {
                eprintln!("kefu-server passwd: {e}");
                1
            }
        });
    }
    let bind = cfg.bind;
    let (demo, insecure) = (cfg.demo, cfg.insecure_no_auth);
    if cfg.nats.is_some() {
        std::process::exit(run_cluster_node(cfg).await);
    }
    let st = match state(cfg) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kefu-server: {e}");
            std::process::exit(1);
        }
    };
    let listener = match tokio::net::TcpListener::bind(bind).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("kefu-server: cannot listen on {bind}: {e}");
            std::process::exit(1);
        }
    };
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_else(|_| bind.to_string());
    println!("kefu-server listening on http://{addr}");
    println!("  agent console: http://{addr}/   (sign in as an agent)");
    println!("  visitor page:  http://{addr}/visitor.html");
    if demo {
        println!();
        println!("  !! DEMO MODE (--demo): the seeded agents' password is their id. Never use --demo in production.");
        println!("     agents: xiaoming / xiaoming, xiaohong / xiaohong, kf001 / kf001; supervisor: zhuguan / zhuguan");
        tracing::warn!("demo mode: seeded agents have their id as password");
    }
    if insecure {
        println!();
        println!("  !! INSECURE (--insecure-no-auth): anyone can connect and act as any agent. Legacy demos only.");
        tracing::warn!("--insecure-no-auth: agents are not authenticated");
    }
    if let Err(e) = serve(listener, st, shutdown_signal()).await {
        eprintln!("kefu-server: {e}");
        std::process::exit(1);
    }
}

/// Runs one node of a cluster (`--nats`); returns the exit code.
async fn run_cluster_node(cfg: kefu_server::Config) -> i32 {
    let bind = cfg.bind;
    let listener = match tokio::net::TcpListener::bind(bind).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("kefu-server: cannot listen on {bind}: {e}");
            return 1;
        }
    };
    println!("kefu-server cluster node {} listening on http://{bind} (store: PostgreSQL, NATS: {})", cfg.node_id.as_deref().unwrap_or("node"), cfg.nats.as_deref().unwrap_or(""));
    match kefu_server::cluster::serve(listener, cfg, shutdown_signal()).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("kefu-server: {e}");
            1
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let shutdown = async {
        #[cfg(unix)]
        {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    };
    shutdown.await
}
