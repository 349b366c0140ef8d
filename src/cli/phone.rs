//! `sip7940 phone`: run the phone on its SIP port until interrupted.

use super::Cli;
use super::boot::{BootError, boot, runtime, shutdown_signal};
use crate::io::clock::time_of_day;
use crate::io::driver::TraceOptions;
use crate::ua::{Event, Phone};
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Options of `phone`.
#[derive(Debug, clap::Args)]
pub struct PhoneArgs {
    /// Local address to bind the SIP socket to (port: voip_control_port).
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0")]
    pub bind: IpAddr,
    /// Print every SIP message sent and received, with time, direction and peer.
    #[arg(long)]
    pub sip_trace: bool,
    /// Do not register the lines (answer requests only).
    #[arg(long)]
    pub no_register: bool,
    /// Leave the registrations in place on exit (no un-REGISTER).
    #[arg(long)]
    pub keep: bool,
}

pub(super) fn run(cli: &Cli, args: &PhoneArgs) -> ExitCode {
    let Ok(rt) = runtime() else {
        eprintln!("sip7940 phone: cannot start the runtime");
        return ExitCode::from(3);
    };
    rt.block_on(async {
        let mut driver = match boot(cli, args.bind, TraceOptions { sip_messages: args.sip_trace }).await {
            Ok(d) => d,
            Err(err) => {
                eprintln!("sip7940 phone: {err}");
                return ExitCode::from(match err {
                    BootError::Files(_) => 2,
                    BootError::Config => 1,
                    BootError::Bind { .. } => 3,
                });
            }
        };
        eprintln!("sip7940 phone: listening on {} (UDP)", driver.local_addr());
        if !args.no_register {
            driver.phone.register_all(Instant::now());
        }
        let shutdown = shutdown_signal();
        tokio::pin!(shutdown);
        let mut print = |phone: &Phone, event: &Event| print_event(phone, event);
        let result = driver.run_until(None, &mut shutdown, &mut print, &mut |_| false).await;
        if let Err(err) = result {
            eprintln!("sip7940 phone: socket error: {err}");
            return ExitCode::from(3);
        }
        if !args.keep {
            driver.phone.unregister_all(Instant::now());
            let deadline = Instant::now() + Duration::from_secs(2);
            let never = std::future::pending::<()>();
            tokio::pin!(never);
            let _ = driver
                .run_until(Some(deadline), &mut never, &mut print, &mut |p| !p.registration_busy())
                .await;
        }
        eprintln!("sip7940 phone: stopped");
        ExitCode::SUCCESS
    })
}

/// One line per registration change, like the phone's status messages.
pub fn print_event(phone: &Phone, event: &Event) {
    if let Event::Registration { binding, from, to } = event {
        let now = Instant::now();
        let detail = phone
            .registrations(now)
            .into_iter()
            .find(|s| s.binding == *binding)
            .and_then(|s| s.last_failure.map(|f| format!(" — {f}")))
            .unwrap_or_default();
        eprintln!("{} line {binding}: {from} -> {to}{detail}", time_of_day());
    }
}
