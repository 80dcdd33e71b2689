//! `kefu-server`: run the reference chat server. See `--help` for every option.

use clap::Parser;
use kefu_server::{serve, state, Config};

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let cfg = Config::parse();
    let bind = cfg.bind;
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
    println!("  agent console: http://{addr}/?kfId=xiaoming   (second agent: ?kfId=xiaohong)");
    println!("  visitor page:  http://{addr}/visitor.html");
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
    if let Err(e) = serve(listener, st, shutdown).await {
        eprintln!("kefu-server: {e}");
        std::process::exit(1);
    }
}
