//! `sip7940 demo`: zero configuration. Starts the built-in demo registrar on 127.0.0.1 (a
//! small digest registrar and proxy, for the demo and tests only), boots a phone with the
//! two lines of `profiles/loopback` (built into the binary), registers both, runs the
//! loopback call test between them and prints the `sh reg` table and the quality report.
//!
//! ```text
//!   demo registrar 127.0.0.1:<free port>  ◀──REGISTER (401, digest)── phone: line 1, line 2
//!   line 1 ──INVITE (407, digest)──▶ registrar ──▶ line 2: answered; tones both ways
//! ```

use super::boot::{BootError, runtime, start_phone, unregister_and_wait};
use super::loopback::{LoopbackArgs, loopback, print_reports};
use super::{Cli, output};
use crate::config::{CnfSource, Severity, load};
use crate::io::driver::TraceOptions;
use crate::io::registrar_task;
use crate::ua::registration::table::sh_reg;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The loopback profile, built in so that the demo needs no files.
const SIP_DEFAULT: &str = include_str!("../../profiles/loopback/SIPDefault.cnf");
const SIP_MAC: &str = include_str!("../../profiles/loopback/SIP000C30A97026.cnf");

/// Options of `demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// How long the call lasts, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 3.0)]
    pub duration: f64,
    /// How many calls at once.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub calls: usize,
    /// Print one JSON document at the end.
    #[arg(long)]
    pub json: bool,
    /// Print every SIP message.
    #[arg(long)]
    pub sip_trace: bool,
}

pub(super) fn run(cli: &Cli, args: &DemoArgs) -> ExitCode {
    let Ok(rt) = runtime() else {
        eprintln!("sip7940 demo: cannot start the runtime");
        return ExitCode::from(3);
    };
    let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
    rt.block_on(async {
        // The phone's files: built in; --set still applies.
        let sources = [
            CnfSource {
                path: "profiles/loopback/SIPDefault.cnf (built in)".into(),
                bytes: SIP_DEFAULT.into(),
            },
            CnfSource {
                path: "profiles/loopback/SIP000C30A97026.cnf (built in)".into(),
                bytes: SIP_MAC.into(),
            },
        ];
        let first = load(&sources, &cli.set);
        let users: Vec<(String, String)> = first
            .config
            .provisioned_lines()
            .map(|(_, l)| (l.auth_user().to_owned(), l.password.expose().to_owned()))
            .collect();
        let mut registrar = match registrar_task::spawn(SocketAddr::new(localhost, 0), users, 7940).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("sip7940 demo: cannot start the demo registrar on 127.0.0.1: {e}");
                return ExitCode::from(3);
            }
        };
        let mut overrides = cli.set.clone();
        overrides.push(("proxy1_address".into(), registrar.addr.ip().to_string()));
        overrides.push(("proxy1_port".into(), registrar.addr.port().to_string()));
        let loaded = load(&sources, &overrides);
        let errors: Vec<_> = loaded.findings.iter().filter(|f| f.severity == Severity::Error).collect();
        if !errors.is_empty() {
            for e in errors {
                eprintln!("{e}");
            }
            return ExitCode::from(1);
        }
        if !args.json {
            let _ = output::print(&format!(
                "demo registrar (built in, for the demo only) on {}; phone with lines {}\n",
                registrar.addr,
                loaded
                    .config
                    .provisioned_lines()
                    .map(|(_, l)| l.name.clone())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ));
        }
        let trace = TraceOptions { sip_messages: args.sip_trace };
        let mut driver = match start_phone(loaded.config, None, SocketAddr::new(localhost, 0), trace).await {
            Ok(d) => d,
            Err(err) => {
                eprintln!("sip7940 demo: {err}");
                return ExitCode::from(if matches!(err, BootError::Files(_)) { 2 } else { 3 });
            }
        };
        let loop_args = LoopbackArgs {
            to: None,
            line: 1,
            duration: args.duration,
            calls: args.calls,
            rate: 20.0,
            max_loss: 1.0,
            min_mos: 4.0,
            impair_loss: 0.0,
            json: args.json,
            bind: localhost,
            sip_trace: args.sip_trace,
        };
        let (code, reports) = loopback(&mut driver, &loop_args).await;
        if !args.json {
            let config = driver.phone.config();
            let rows = driver.phone.registrations(Instant::now());
            let _ = output::print(&format!(
                "\nsh reg\n{}\n",
                sh_reg(config.registration.proxy_register, &rows, None)
            ));
        }
        print_reports(&loop_args, &reports);
        unregister_and_wait(&mut driver, Duration::from_secs(2), &mut |_, _| {}).await;
        let _ = registrar.drain_events();
        registrar.stop().await;
        code
    })
}
