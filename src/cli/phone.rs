//! `sip7940 phone`: run the phone on its SIP port until interrupted.

use super::Cli;
use crate::config::Severity;
use crate::io::config_dir::load_dir;
use crate::io::udp::{self, TraceOptions};
use crate::ua::Phone;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

/// Options of `phone`.
#[derive(Debug, clap::Args)]
pub struct PhoneArgs {
    /// Local address to bind the SIP socket to (port: voip_control_port).
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0")]
    pub bind: IpAddr,
    /// Print every SIP message sent and received, with time, direction and peer.
    #[arg(long)]
    pub sip_trace: bool,
}

pub(super) fn run(cli: &Cli, args: &PhoneArgs) -> ExitCode {
    let from = match load_dir(&cli.config_dir, cli.mac, &cli.set) {
        Ok(from) => from,
        Err(err) => {
            eprintln!("sip7940 phone: {err}");
            return ExitCode::from(2);
        }
    };
    let errors: Vec<_> = from.loaded.findings.iter().filter(|f| f.severity == Severity::Error).collect();
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("{e}");
        }
        eprintln!("sip7940 phone: the configuration has errors (see `sip7940 check`)");
        return ExitCode::from(1);
    }
    let config = from.loaded.config;
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("sip7940 phone: cannot start the runtime: {err}");
            return ExitCode::from(3);
        }
    };
    let bind = SocketAddr::new(args.bind, config.nat.voip_control_port);
    let trace = TraceOptions { sip_messages: args.sip_trace };
    runtime.block_on(async move {
        let socket = match tokio::net::UdpSocket::bind(bind).await {
            Ok(s) => s,
            Err(err) => {
                eprintln!("sip7940 phone: cannot bind UDP {bind}: {err}");
                return ExitCode::from(3);
            }
        };
        let local = socket.local_addr().unwrap_or(bind);
        let seed = seed();
        let mut phone = Phone::new(config, local, seed);
        eprintln!("sip7940 phone: listening on {local} (UDP)");
        match udp::run(&mut phone, &socket, trace, shutdown_signal()).await {
            Ok(()) => {
                eprintln!("sip7940 phone: stopped");
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("sip7940 phone: socket error: {err}");
                ExitCode::from(3)
            }
        }
    })
}

/// The RNG seed, from the OS (the core only ever sees the seed).
fn seed() -> u64 {
    use rand::Rng;
    rand::rng().next_u64()
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
