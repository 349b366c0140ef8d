//! Call-path benchmark: many short calls from one sip7940 phone, in one process, through a
//! proxy to a far end that answers at once (scripts/bench-call.sh sets up Kamailio and a
//! sipp UAS and runs this beside sipp's own `uac_call.xml` against the same target).
//!
//! The phone boots from a config directory like `sip7940 call` does, registers line 1
//! (not timed), then places `--calls` calls to `--number`, `--concurrency` at a time. A
//! call is dial → (407, INVITE with credentials) → 200 → ACK → BYE at once → 200: no
//! media and no hold time. It prints the calls per second from the first INVITE to the
//! last BYE's 200, and the median and 95th percentile setup (dial to 200) and call (dial
//! to end) times. Failed calls are counted and make the exit status 1.
//!
//! Run: `cargo bench --bench call_path -- --proxy-port 5060 --number 9999 --calls 1000`
//! (see `--help`); it needs a proxy that routes the number, so use scripts/bench-call.sh.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use sip7940::io::config_dir::load_dir;
use sip7940::io::driver::{Driver, TraceOptions};
use sip7940::ua::call::{CallId, CallState, EndReason};
use sip7940::ua::registration::RegState;
use sip7940::ua::{Event, Phone, Setup};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const USAGE: &str = "\
call_path --proxy-port PORT [--number 9999] [--calls 1000] [--concurrency 1]
          [--sip-port 0] [--config-dir profiles/loopback] [--max-secs 300]
Places --calls calls from line 1 of the phone in --config-dir (proxy 127.0.0.1:PORT),
--concurrency at a time, and prints calls per second. Gives up after --max-secs.";

struct Args {
    proxy_port: u16,
    number: String,
    calls: usize,
    concurrency: usize,
    sip_port: u16,
    config_dir: PathBuf,
    max_secs: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        proxy_port: 0,
        number: "9999".into(),
        calls: 1000,
        concurrency: 1,
        sip_port: 0,
        config_dir: PathBuf::from("profiles/loopback"),
        max_secs: 300,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        // `cargo bench` appends --bench.
        if flag == "--bench" {
            continue;
        }
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.into());
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = |v: &str| v.parse::<u64>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--proxy-port" => args.proxy_port = number(&value)? as u16,
            "--number" => args.number = value,
            "--calls" => args.calls = number(&value)? as usize,
            "--concurrency" => args.concurrency = (number(&value)? as usize).max(1),
            "--sip-port" => args.sip_port = number(&value)? as u16,
            "--config-dir" => args.config_dir = PathBuf::from(value),
            "--max-secs" => args.max_secs = number(&value)?,
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    if args.proxy_port == 0 {
        return Err(format!("--proxy-port is required\n{USAGE}"));
    }
    Ok(args)
}

/// The phone on 127.0.0.1:`sip_port` from the config dir, line 1 only, pointed at the proxy.
async fn boot(args: &Args) -> Result<Driver, String> {
    let sets: Vec<(String, String)> = [
        ("proxy1_port", args.proxy_port.to_string()),
        ("voip_control_port", args.sip_port.to_string()),
        ("line2_name", String::new()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let from = load_dir(&args.config_dir, None, &sets).map_err(|e| e.to_string())?;
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let socket = tokio::net::UdpSocket::bind(SocketAddr::new(ip, args.sip_port))
        .await
        .map_err(|e| format!("bind 127.0.0.1:{}: {e}", args.sip_port))?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let setup = Setup {
        local: socket.local_addr().map_err(|e| e.to_string())?,
        // Fresh tags and Call-IDs every run: the proxy may still hold the last run's.
        seed: now.as_nanos() as u64,
        mac: from.chosen.mac,
        my_ip: Some(ip),
        epoch: Instant::now(),
        unix_at_epoch: now.as_secs(),
    };
    let phone = Phone::new(from.loaded.config, setup);
    Driver::new(phone, socket, TraceOptions::default()).map_err(|e| e.to_string())
}

fn registered(p: &Phone) -> bool {
    !p.registration_busy()
        && p.registrations(Instant::now())
            .iter()
            .all(|s| !matches!(s.state, RegState::None | RegState::Registering))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

struct Outcome {
    done: usize,
    failed: usize,
    failures: HashMap<String, usize>,
    elapsed: Duration,
    setup: Vec<Duration>,
    total: Vec<Duration>,
}

async fn place_calls(driver: &mut Driver, args: &Args) -> Result<Outcome, String> {
    let never = std::future::pending::<()>();
    tokio::pin!(never);
    let rtp_port = driver.phone.config().nat.start_media_port;
    let give_up = Instant::now() + Duration::from_secs(args.max_secs);
    let mut out = Outcome {
        done: 0,
        failed: 0,
        failures: HashMap::new(),
        elapsed: Duration::ZERO,
        setup: Vec::with_capacity(args.calls),
        total: Vec::with_capacity(args.calls),
    };
    let mut dialed = 0;
    let mut live: HashMap<CallId, Instant> = HashMap::new();
    let started = Instant::now();
    while out.done < args.calls {
        while dialed < args.calls && live.len() < args.concurrency {
            let now = Instant::now();
            let id = driver.phone.dial(now, 1, &args.number, rtp_port).map_err(|e| format!("dial: {e:?}"))?;
            live.insert(id, now);
            dialed += 1;
        }
        let events = std::cell::RefCell::new(Vec::new());
        let stop = driver
            .run_until(
                Some(give_up),
                &mut never,
                &mut |_, e| {
                    if let Event::Call { id, state } = e {
                        events.borrow_mut().push((*id, state.clone()));
                    }
                },
                &mut |_| !events.borrow().is_empty(),
            )
            .await
            .map_err(|e| format!("socket: {e}"))?;
        let now = Instant::now();
        for (id, state) in events.into_inner() {
            match state {
                CallState::Connected => {
                    if let Some(t) = live.get(&id) {
                        out.setup.push(now - *t);
                    }
                    driver.phone.hangup(now, id);
                }
                CallState::Ended(reason) => {
                    let Some(t) = live.remove(&id) else { continue };
                    out.done += 1;
                    out.total.push(now - t);
                    if reason != EndReason::Local {
                        out.failed += 1;
                        *out.failures.entry(format!("{reason:?}")).or_default() += 1;
                    }
                }
                _ => {}
            }
        }
        if stop == sip7940::io::driver::Stop::Deadline {
            return Err(format!(
                "gave up after {} s: {} of {} calls done, {} in flight",
                args.max_secs,
                out.done,
                args.calls,
                live.len()
            ));
        }
    }
    out.elapsed = started.elapsed();
    Ok(out)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    rt.block_on(async move {
        let mut driver = match boot(&args).await {
            Ok(d) => d,
            Err(e) => {
                eprintln!("call_path: {e}");
                return ExitCode::from(2);
            }
        };
        let never = std::future::pending::<()>();
        tokio::pin!(never);
        driver.phone.register_all(Instant::now());
        let deadline = Some(Instant::now() + Duration::from_secs(20));
        let _ = driver.run_until(deadline, &mut never, &mut |_, _| {}, &mut registered).await;
        if !driver.phone.registrations(Instant::now()).iter().any(|s| s.state == RegState::Registered) {
            eprintln!("call_path: line 1 did not register at 127.0.0.1:{}", args.proxy_port);
            return ExitCode::from(2);
        }
        let result = place_calls(&mut driver, &args).await;
        driver.phone.unregister_all(Instant::now());
        let deadline = Some(Instant::now() + Duration::from_secs(2));
        let _ = driver.run_until(deadline, &mut never, &mut |_, _| {}, &mut |p| !p.registration_busy()).await;
        let mut out = match result {
            Ok(o) => o,
            Err(e) => {
                eprintln!("call_path: {e}");
                return ExitCode::from(1);
            }
        };
        out.setup.sort();
        out.total.sort();
        let secs = out.elapsed.as_secs_f64();
        println!(
            "sip7940 call path: {} calls, {} at a time, in {secs:.3} s: {:.1} calls/s; failed {}; \
             setup median {:.2} ms p95 {:.2} ms; call median {:.2} ms p95 {:.2} ms",
            out.done,
            args.concurrency,
            out.done as f64 / secs,
            out.failed,
            percentile(&out.setup, 0.5),
            percentile(&out.setup, 0.95),
            percentile(&out.total, 0.5),
            percentile(&out.total, 0.95),
        );
        if out.failed > 0 {
            eprintln!("call_path: failures: {:?}", out.failures);
            return ExitCode::from(1);
        }
        ExitCode::SUCCESS
    })
}
