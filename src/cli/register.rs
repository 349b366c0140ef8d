//! `sip7940 register`: the probe that tells the truth about registration.
//!
//! It registers every provisioned line, waits until each has an answer, optionally proves
//! that requests for the line reach it (`--check-inbound`), prints the firmware's `sh reg`
//! table with the reasons in words, and exits like a monitoring plugin:
//! 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.

use super::Cli;
use super::boot::{boot, runtime, shutdown_signal, unregister_and_wait};
use super::diagnose::{failure_line, inbound_line};
use super::output;
use crate::io::clock::time_of_day;
use crate::io::driver::{Driver, Stop, TraceOptions};
use crate::ua::registration::table::sh_reg;
use crate::ua::registration::{Binding, RegState, Snapshot};
use crate::ua::{Event, Phone, ProbeResult};
use serde_json::{Value, json};
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Options of `register`.
#[derive(Debug, clap::Args)]
pub struct RegisterArgs {
    /// Local address to bind the SIP socket to (port: voip_control_port).
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0")]
    pub bind: IpAddr,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    /// Stay up: refresh on the firmware's schedule and print a line on every change.
    #[arg(long)]
    pub watch: bool,
    /// After registering, send OPTIONS to each line's own address through the proxy and
    /// report whether it reached the phone.
    #[arg(long)]
    pub check_inbound: bool,
    /// Leave the registrations in place on exit (no un-REGISTER).
    #[arg(long)]
    pub keep: bool,
    /// Give up waiting for answers after this many seconds (default 40); with `--watch`,
    /// stop watching after this long (default: until SIGINT/SIGTERM).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Print every SIP message sent and received.
    #[arg(long)]
    pub sip_trace: bool,
}

/// The monitoring-plugin verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Status {
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}

impl Status {
    fn word(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Warning => "WARNING",
            Self::Critical => "CRITICAL",
            Self::Unknown => "UNKNOWN",
        }
    }
}

pub(super) fn run(cli: &Cli, args: &RegisterArgs) -> ExitCode {
    let Ok(rt) = runtime() else {
        eprintln!("UNKNOWN: cannot start the runtime");
        return ExitCode::from(3);
    };
    rt.block_on(async {
        let mut driver = match boot(cli, args.bind, TraceOptions { sip_messages: args.sip_trace }).await {
            Ok(d) => d,
            Err(err) => return unknown(args, &err),
        };
        if driver.phone.registrations(Instant::now()).is_empty() {
            let err = "no line is provisioned (line1_name is empty)";
            return unknown(args, &err);
        }
        let status = if args.watch { watch(&mut driver, args).await } else { once(&mut driver, args).await };
        if !args.keep {
            unregister_and_wait(&mut driver, Duration::from_secs(3), &mut |_, _| {}).await;
        }
        ExitCode::from(status as u8)
    })
}

fn unknown(args: &RegisterArgs, err: &dyn std::fmt::Display) -> ExitCode {
    let status = Status::Unknown;
    if args.json {
        let doc =
            json!({ "status": status.word(), "exit": status as u8, "summary": err.to_string(), "lines": [] });
        let _ = output::print(&format!("{doc:#}\n"));
    }
    eprintln!("{}: {err}", status.word());
    ExitCode::from(status as u8)
}

/// Every row has an answer: registered, or failed with a retry scheduled.
fn settled(phone: &Phone) -> bool {
    !phone.registration_busy()
        && phone
            .registrations(Instant::now())
            .iter()
            .all(|s| !matches!(s.state, RegState::None | RegState::Registering))
}

async fn once(driver: &mut Driver, args: &RegisterArgs) -> Status {
    let deadline = Instant::now() + Duration::from_secs(args.timeout.unwrap_or(40));
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    driver.phone.register_all(Instant::now());
    let stop = driver.run_until(Some(deadline), &mut shutdown, &mut |_, _| {}, &mut settled).await;
    let probes = match (stop, args.check_inbound) {
        (Ok(Stop::Done), true) => probe_inbound(driver, deadline, &mut shutdown).await,
        _ => Vec::new(),
    };
    let snapshots = driver.phone.registrations(Instant::now());
    let status = verdict(&snapshots, &probes);
    report(driver, args, &snapshots, &probes, status);
    status
}

/// Sends an inbound probe for every registered line and waits for the results.
async fn probe_inbound<S: std::future::Future<Output = ()>>(
    driver: &mut Driver,
    deadline: Instant,
    shutdown: &mut std::pin::Pin<&mut S>,
) -> Vec<(Binding, ProbeResult)> {
    let now = Instant::now();
    let lines: Vec<Binding> = driver
        .phone
        .registrations(now)
        .into_iter()
        .filter(|s| s.state == RegState::Registered && matches!(s.binding, Binding::Line(_)))
        .map(|s| s.binding)
        .collect();
    let probes: Vec<usize> = lines.iter().filter_map(|b| driver.phone.check_inbound(now, *b)).collect();
    let wait_until = deadline.min(now + Duration::from_secs(8));
    let mut all_done = |p: &Phone| probes.iter().all(|i| p.probe_result(*i) != ProbeResult::Pending);
    let _ = driver.run_until(Some(wait_until), shutdown, &mut |_, _| {}, &mut all_done).await;
    probes
        .iter()
        .filter_map(|i| Some((driver.phone.probe_binding(*i)?, driver.phone.probe_result(*i))))
        .collect()
}

fn verdict(snapshots: &[Snapshot], probes: &[(Binding, ProbeResult)]) -> Status {
    let lines = snapshots.iter().filter(|s| matches!(s.binding, Binding::Line(_)));
    if lines.clone().any(|s| s.state != RegState::Registered) {
        return Status::Critical;
    }
    let backup_down =
        snapshots.iter().any(|s| s.binding == Binding::Backup && s.state != RegState::Registered);
    let inbound_down = probes.iter().any(|(_, r)| *r != ProbeResult::Reached);
    if backup_down || inbound_down {
        return Status::Warning;
    }
    Status::Ok
}

fn summary(snapshots: &[Snapshot], status: Status) -> String {
    let up = snapshots.iter().filter(|s| s.state == RegState::Registered).count();
    format!("{}: {up} of {} registrations up", status.word(), snapshots.len())
}

fn report(
    driver: &Driver,
    args: &RegisterArgs,
    snapshots: &[Snapshot],
    probes: &[(Binding, ProbeResult)],
    status: Status,
) {
    let config = driver.phone.config();
    if args.json {
        let doc = to_json(driver, snapshots, probes, status);
        let _ = output::print(&format!("{doc:#}\n"));
        return;
    }
    let (lines, backup): (Vec<Snapshot>, Vec<Snapshot>) =
        snapshots.iter().cloned().partition(|s| matches!(s.binding, Binding::Line(_)));
    let mut text = sh_reg(config.registration.proxy_register, &lines, backup.first());
    text.push('\n');
    for s in snapshots {
        if let Some(line) = failure_line(s, config) {
            text.push_str(&line);
            text.push('\n');
        }
    }
    for (binding, result) in probes {
        if let Some(s) = snapshots.iter().find(|s| s.binding == *binding) {
            text.push_str(&inbound_line(s, result, config));
            text.push('\n');
        }
    }
    text.push_str(&summary(snapshots, status));
    text.push('\n');
    let _ = output::print(&text);
}

fn to_json(
    driver: &Driver,
    snapshots: &[Snapshot],
    probes: &[(Binding, ProbeResult)],
    status: Status,
) -> Value {
    let config = driver.phone.config();
    let lines: Vec<Value> = snapshots
        .iter()
        .map(|s| {
            let probe = probes.iter().find(|(b, _)| *b == s.binding).map(|(_, r)| {
                json!({
                    "reachable": *r == ProbeResult::Reached,
                    "detail": inbound_line(s, r, config),
                })
            });
            json!({
                "line": s.binding.to_string(),
                "state": s.state.word(),
                "apr": s.apr(),
                "timer": s.timer,
                "expires": s.expires_left,
                "granted": s.granted,
                "proxy": s.proxy,
                "destination": s.destination.map(|d| d.to_string()),
                "contact": s.contact.map(|c| c.to_string()),
                "stored_contacts": s.stored_contacts,
                "received": s.received,
                "rport": s.rport,
                "last_error": s.last_failure.as_ref().map(ToString::to_string),
                "reason": failure_line(s, config),
                "rtt_ms": s.rtt.map(|d| d.as_secs_f64() * 1000.0),
                "setup_ms": s.setup_time.map(|d| d.as_secs_f64() * 1000.0),
                "retry_in_s": s.retry_in.map(|d| d.as_secs()),
                "inbound": probe,
            })
        })
        .collect();
    json!({
        "status": status.word(),
        "exit": status as u8,
        "summary": summary(snapshots, status),
        "proxy_registration": if config.registration.proxy_register { "ENABLED" } else { "DISABLED" },
        "lines": lines,
    })
}

/// `--watch`: stay up, print a timestamped line on every state change; with
/// `--check-inbound`, probe again every refresh period.
async fn watch(driver: &mut Driver, args: &RegisterArgs) -> Status {
    let end = args.timeout.map(|secs| Instant::now() + Duration::from_secs(secs));
    let shutdown = async move {
        match end {
            Some(end) => {
                tokio::select! {
                    () = shutdown_signal() => {}
                    () = tokio::time::sleep_until(end.into()) => {}
                }
            }
            None => shutdown_signal().await,
        }
    };
    tokio::pin!(shutdown);
    driver.phone.register_all(Instant::now());
    let mut print = |phone: &Phone, event: &Event| {
        if let Event::Registration { binding, from, to } = event {
            let snapshot = phone.registrations(Instant::now()).into_iter().find(|s| s.binding == *binding);
            let why = snapshot
                .as_ref()
                .and_then(|s| failure_line(s, phone.config()))
                .map(|l| format!(" ({l})"))
                .unwrap_or_default();
            let _ = output::print(&format!("{} line {binding}: {from} -> {to}{why}\n", time_of_day()));
        }
    };
    let mut last_inbound: Vec<(Binding, bool)> = Vec::new();
    loop {
        let period = driver
            .phone
            .registrations(Instant::now())
            .iter()
            .filter(|s| s.timer > 0)
            .map(|s| u64::from(s.timer))
            .min()
            .unwrap_or(30)
            .clamp(5, 3600);
        let next = Instant::now() + Duration::from_secs(period);
        match driver.run_until(Some(next), &mut shutdown, &mut print, &mut |_| false).await {
            Ok(Stop::Shutdown) | Err(_) => break,
            _ => {}
        }
        if args.check_inbound {
            let far = Instant::now() + Duration::from_secs(10);
            for (binding, result) in probe_inbound(driver, far, &mut shutdown).await {
                let ok = result == ProbeResult::Reached;
                if last_inbound.iter().find(|(b, _)| *b == binding).is_none_or(|(_, was)| *was != ok) {
                    if let Some(s) =
                        driver.phone.registrations(Instant::now()).iter().find(|s| s.binding == binding)
                    {
                        let line = inbound_line(s, &result, driver.phone.config());
                        let _ = output::print(&format!("{} {line}\n", time_of_day()));
                    }
                    last_inbound.retain(|(b, _)| *b != binding);
                    last_inbound.push((binding, ok));
                }
            }
        }
    }
    let snapshots = driver.phone.registrations(Instant::now());
    verdict(&snapshots, &[])
}
