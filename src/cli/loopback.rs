//! `sip7940 loopback`: the phone calls itself through its registrar — line 1 calls line 2
//! (or `--to NUMBER`) — both legs send different tones, each detects the other's, and the
//! report says whether audio flowed both ways within bounds. `--calls N --rate R` runs N
//! calls at once for load tests.
//!
//! ```text
//!   line 1 ──INVITE──▶ registrar ──INVITE──▶ line 2 (answers at once)
//!   leg A: sends 1000 Hz, expects 400 Hz        leg B: sends 400 Hz, expects 1000 Hz
//!   after --duration: A hangs up; both legs' media figures make the report
//! ```

use super::boot::{BootError, boot, shutdown_signal, unregister_and_wait};
use super::{Cli, output};
use crate::io::driver::{Driver, Stop, TraceOptions};
use crate::io::media_task::{self, MediaHandle, MediaOptions};
use crate::media::engine::EngineReport;
use crate::media::lateness::{Lateness, LatenessSummary};
use crate::media::source::ToneSource;
use crate::media::tone::Level;
use crate::ua::Event;
use crate::ua::call::{CallId, CallState, EndReason};
use crate::ua::registration::RegState;
use serde::Serialize;
use std::collections::HashMap;
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The caller's tone.
const TONE_A: f64 = 1000.0;
/// The callee's tone.
const TONE_B: f64 = 400.0;
/// Of the frames a leg should have received, the share that must hold the other's tone.
const MIN_TONE_SHARE: f64 = 0.8;

/// Options of `loopback`.
#[derive(Debug, Clone, clap::Args)]
pub struct LoopbackArgs {
    /// The number to call (default: line 2's name, so the phone calls itself).
    #[arg(long, value_name = "NUMBER")]
    pub to: Option<String>,
    /// The line that calls.
    #[arg(long, default_value_t = 1)]
    pub line: usize,
    /// How long each call lasts after the answer, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub duration: f64,
    /// How many calls (at once, started at --rate).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub calls: usize,
    /// New calls per second when --calls is more than 1.
    #[arg(long, value_name = "R", default_value_t = 20.0)]
    pub rate: f64,
    /// Most packet loss allowed per direction, in percent.
    #[arg(long, value_name = "PERCENT", default_value_t = 1.0)]
    pub max_loss: f64,
    /// Lowest estimated MOS (ITU-T G.107 E-model) allowed per direction.
    #[arg(long, value_name = "MOS", default_value_t = 4.0)]
    pub min_mos: f64,
    /// Test aid: drop this percentage of the RTP packets each leg sends (random), to see
    /// the report react.
    #[arg(long, value_name = "PERCENT", default_value_t = 0.0)]
    pub impair_loss: f64,
    /// Print one JSON document at the end.
    #[arg(long)]
    pub json: bool,
    /// Local address of the SIP and RTP sockets.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Print every SIP message.
    #[arg(long)]
    pub sip_trace: bool,
}

/// One direction of one call.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DirectionReport {
    /// Packets the sending leg sent.
    pub sent: u64,
    /// Packets the receiving leg received.
    pub received: u64,
    /// Packets lost (expected − received at the receiver).
    pub lost: i64,
    /// Loss in percent of what was sent.
    pub loss_percent: f64,
    /// Interarrival jitter at the receiver (RFC 3550), ms.
    pub jitter_ms: f64,
    /// Of the frames the receiver should have heard, the share holding the sender's tone.
    pub tone_share: f64,
    /// Packets discarded by the receiver's jitter buffer as too late.
    pub late: u64,
    /// The receiver's mean jitter-buffer delay, ms.
    pub jitter_buffer_ms: f64,
    /// One-way delay used by the E-model (half the RTCP round trip, jitter buffer,
    /// packet time, codec), ms.
    pub one_way_delay_ms: f64,
    /// The round trip RTCP measured, ms.
    pub rtt_ms: Option<f64>,
    /// E-model transmission rating R.
    pub r: f64,
    /// Estimated MOS.
    pub mos: f64,
}

/// One call.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CallReport {
    /// The call's number in this run (1-based).
    pub call: usize,
    /// INVITE to answer, ms.
    pub setup_ms: Option<f64>,
    /// Seconds connected.
    pub connected_s: Option<f64>,
    /// How the caller's leg ended.
    pub ended: String,
    /// Caller to callee.
    pub a_to_b: Option<DirectionReport>,
    /// Callee to caller.
    pub b_to_a: Option<DirectionReport>,
    /// What is wrong, if anything.
    pub problems: Vec<String>,
}

/// The whole run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Calls placed.
    pub calls: usize,
    /// Calls within bounds.
    pub passed: usize,
    /// Mean INVITE-to-answer time, ms.
    pub mean_setup_ms: f64,
    /// Packets lost over all legs.
    pub lost: i64,
    /// How late frames left against their schedule, over every leg.
    pub send_lateness: LatenessSummary,
    /// The process's peak resident memory, kB (Linux).
    pub peak_rss_kb: Option<u64>,
}

/// What `loopback` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Outcome {
    /// Whether every call passed.
    pub ok: bool,
    /// The totals.
    pub summary: Summary,
    /// Each call.
    pub calls: Vec<CallReport>,
}

/// A call's two legs while it runs.
#[derive(Default)]
struct Pair {
    index: usize,
    a: Option<CallId>,
    b: Option<CallId>,
    sip_call_id: String,
    dialed: Option<Instant>,
    /// When to give up on an unanswered call.
    give_up_at: Option<Instant>,
    connected: Option<Instant>,
    hangup_at: Option<Instant>,
    ended_a: Option<EndReason>,
    ended_b: bool,
    report_a: Option<EngineReport>,
    report_b: Option<EngineReport>,
}

pub(super) fn run(cli: &Cli, args: &LoopbackArgs) -> ExitCode {
    // Many calls: the media tasks spread over every core.
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build();
    let Ok(rt) = rt else {
        eprintln!("sip7940 loopback: cannot start the runtime");
        return ExitCode::from(3);
    };
    rt.block_on(async {
        let mut driver = match boot(cli, args.bind, TraceOptions { sip_messages: args.sip_trace }).await {
            Ok(d) => d,
            Err(err) => {
                eprintln!("sip7940 loopback: {err}");
                return ExitCode::from(if matches!(err, BootError::Files(_)) { 2 } else { 3 });
            }
        };
        let (code, reports) = loopback(&mut driver, args).await;
        print_reports(args, &reports);
        unregister_and_wait(&mut driver, Duration::from_secs(2), &mut |_, _| {}).await;
        code
    })
}

/// Registers the lines, runs the calls and returns the exit code and the reports.
pub async fn loopback(driver: &mut Driver, args: &LoopbackArgs) -> (ExitCode, Outcome) {
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let number = match &args.to {
        Some(n) => n.clone(),
        None => match driver.phone.config().lines.get(1).filter(|l| l.is_provisioned()) {
            Some(l) => l.name.clone(),
            None => {
                eprintln!("sip7940 loopback: line 2 is not provisioned; give --to NUMBER");
                return (ExitCode::from(2), Outcome::default());
            }
        },
    };
    super::boot::register_and_wait(driver, &mut shutdown, Duration::from_secs(40)).await;
    let failed: Vec<String> = driver
        .phone
        .registrations(Instant::now())
        .iter()
        .filter(|s| s.state != RegState::Registered)
        .map(|s| format!("line {} is {} ", s.binding, s.state))
        .collect();
    if !failed.is_empty() {
        eprintln!("sip7940 loopback: not registered: {}", failed.join(", "));
        return (ExitCode::from(2), Outcome::default());
    }

    let nat = driver.phone.config().nat.clone();
    let mut pairs: Vec<Pair> = Vec::new();
    let mut legs: HashMap<CallId, (usize, bool)> = HashMap::new(); // call → (pair, is caller)
    let mut sockets: HashMap<CallId, media_task::RtpSockets> = HashMap::new();
    let mut media: HashMap<CallId, MediaHandle> = HashMap::new();
    let start = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / args.rate.max(0.001));
    let mut next_dial = Some(start);
    loop {
        let now = Instant::now();
        // Place the next call when it is due.
        if let Some(at) = next_dial.filter(|at| *at <= now) {
            let index = pairs.len() + 1;
            let give_up_at = Some(now + Duration::from_secs(40));
            let mut pair = Pair { index, dialed: Some(now), give_up_at, ..Pair::default() };
            match media_task::bind_rtp(args.bind, nat.start_media_port, nat.end_media_port) {
                Ok(socket) => {
                    let port = socket.port().unwrap_or(nat.start_media_port);
                    match driver.phone.dial(now, args.line, &number, port) {
                        Ok(id) => {
                            pair.a = Some(id);
                            pair.sip_call_id = driver.phone.sip_call_id(id).unwrap_or_default().to_owned();
                            legs.insert(id, (pairs.len(), true));
                            sockets.insert(id, socket);
                        }
                        Err(reason) => pair.ended_a = Some(reason),
                    }
                }
                Err(e) => pair.ended_a = Some(EndReason::Setup(e.to_string())),
            }
            pairs.push(pair);
            next_dial = (pairs.len() < args.calls.max(1)).then_some(at + interval);
        }
        // Hang up calls whose time is up (or that never got anywhere).
        for pair in &mut pairs {
            let due = pair.hangup_at.is_some_and(|t| t <= now) || pair.give_up_at.is_some_and(|t| t <= now);
            if let (true, Some(a)) = (due && pair.ended_a.is_none(), pair.a) {
                driver.phone.hangup(now, a);
                pair.hangup_at = None;
                pair.give_up_at = None;
            }
        }
        let all_done =
            next_dial.is_none() && pairs.iter().all(|p| p.ended_a.is_some() && (p.b.is_none() || p.ended_b));
        if all_done {
            break;
        }
        let deadline =
            pairs.iter().flat_map(|p| [p.hangup_at, p.give_up_at]).chain([next_dial]).flatten().min();
        let events = std::cell::RefCell::new(Vec::new());
        let stop = driver
            .run_until(
                deadline,
                &mut shutdown,
                &mut |_, e| {
                    if matches!(e, Event::Call { .. } | Event::CallMedia { .. } | Event::IncomingCall { .. })
                    {
                        events.borrow_mut().push(e.clone());
                    }
                },
                &mut |_| !events.borrow().is_empty(),
            )
            .await;
        for event in events.into_inner() {
            match event {
                Event::IncomingCall { id, .. } => {
                    let sip_call_id = driver.phone.sip_call_id(id).unwrap_or_default().to_owned();
                    let Some(index) = pairs.iter().position(|p| p.sip_call_id == sip_call_id) else {
                        // Not one of ours: refuse it.
                        driver.phone.reject(Instant::now(), id, 486);
                        continue;
                    };
                    match media_task::bind_rtp(args.bind, nat.start_media_port, nat.end_media_port) {
                        Ok(socket) => {
                            let port = socket.port().unwrap_or(nat.start_media_port);
                            legs.insert(id, (index, false));
                            sockets.insert(id, socket);
                            if let Some(pair) = pairs.get_mut(index) {
                                pair.b = Some(id);
                            }
                            driver.phone.answer_alongside(Instant::now(), id, port);
                        }
                        Err(e) => {
                            eprintln!("sip7940 loopback: {e}");
                            driver.phone.reject(Instant::now(), id, 480);
                        }
                    }
                }
                Event::CallMedia { id, media: m } => {
                    if let Some(handle) = media.get(&id) {
                        handle.update(m);
                        continue;
                    }
                    let Some((index, caller)) = legs.get(&id).copied() else { continue };
                    let (send, expect) = if caller { (TONE_A, TONE_B) } else { (TONE_B, TONE_A) };
                    let Ok(source) = ToneSource::new(send, Level::Dbm0(-10.0)) else { continue };
                    if let Some(socket) = sockets.remove(&id) {
                        let options = MediaOptions {
                            expect_tone: Some(expect),
                            seed: id.0 ^ index as u64,
                            cname: format!("leg{}@sip7940", id.0),
                            local_dtmf_payload: m.receive_dtmf_payload,
                            impair_loss: args.impair_loss,
                            symmetric_rtp: driver.phone.config().nat.symmetric_rtp,
                            ..MediaOptions::default()
                        };
                        let config = &driver.phone.config().media;
                        if let Ok(handle) = media_task::spawn(
                            socket,
                            m,
                            config,
                            media_task::Audio::Headless(Box::new(source)),
                            options,
                        ) {
                            media.insert(id, handle);
                        }
                    }
                }
                Event::Call { id, state } => {
                    let Some((index, caller)) = legs.get(&id).copied() else { continue };
                    let Some(pair) = pairs.get_mut(index) else { continue };
                    match state {
                        CallState::Connected if caller && pair.connected.is_none() => {
                            let now = Instant::now();
                            pair.connected = Some(now);
                            pair.give_up_at = None;
                            pair.hangup_at = Some(now + Duration::from_secs_f64(args.duration.max(0.0)));
                        }
                        CallState::Ended(reason) => {
                            sockets.remove(&id);
                            let report = match media.remove(&id) {
                                Some(h) => h.finish().await.map(|r| r.figures),
                                None => None,
                            };
                            if caller {
                                pair.ended_a = Some(reason);
                                pair.report_a = report;
                                pair.hangup_at = None;
                                pair.give_up_at = None;
                            } else {
                                pair.ended_b = true;
                                pair.report_b = report;
                            }
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        match stop {
            Ok(Stop::Shutdown) => {
                for pair in &pairs {
                    if let (Some(a), None) = (pair.a, &pair.ended_a) {
                        driver.phone.hangup(Instant::now(), a);
                    }
                }
                next_dial = None;
                for pair in &mut pairs {
                    pair.hangup_at = None;
                    if pair.ended_a.is_none() && pair.a.is_none() {
                        pair.ended_a = Some(EndReason::Local);
                    }
                }
            }
            Err(e) => {
                eprintln!("sip7940 loopback: socket error: {e}");
                return (ExitCode::from(3), Outcome::default());
            }
            _ => {}
        }
    }
    let ours = args.to.is_none();
    let reports: Vec<CallReport> = pairs.iter().map(|p| report(p, args, ours)).collect();
    let ok = !reports.is_empty() && reports.iter().all(|r| r.problems.is_empty());
    let mut lateness = Lateness::default();
    for r in pairs.iter().flat_map(|p| [&p.report_a, &p.report_b]).flatten() {
        lateness.merge(&r.send_lateness_histogram);
    }
    let setups: Vec<f64> = reports.iter().filter_map(|r| r.setup_ms).collect();
    let summary = Summary {
        calls: reports.len(),
        passed: reports.iter().filter(|r| r.problems.is_empty()).count(),
        mean_setup_ms: if setups.is_empty() { 0.0 } else { setups.iter().sum::<f64>() / setups.len() as f64 },
        lost: reports.iter().flat_map(|r| [&r.a_to_b, &r.b_to_a]).flatten().map(|d| d.lost).sum(),
        send_lateness: lateness.summary(),
        peak_rss_kb: peak_rss_kb(),
    };
    (ExitCode::from(if ok { 0 } else { 1 }), Outcome { ok, summary, calls: reports })
}

/// `VmHWM` of this process (Linux), kB.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn direction(from: &EngineReport, to: &EngineReport, connected_s: f64) -> DirectionReport {
    let sent = from.packets_sent;
    let expected_frames = (connected_s * 50.0).max(1.0);
    let q = to.receive.quality;
    DirectionReport {
        sent,
        received: to.packets_received,
        lost: to.lost.max(0),
        loss_percent: to.receive.loss_percent,
        jitter_ms: to.jitter_ms,
        tone_share: (to.tone_frames as f64 / expected_frames).min(1.0),
        late: to.late,
        jitter_buffer_ms: to.jitter_buffer_ms,
        one_way_delay_ms: q.delay_ms,
        rtt_ms: to.rtt_ms.or(from.rtt_ms),
        r: q.r,
        mos: q.mos,
    }
}

fn report(pair: &Pair, args: &LoopbackArgs, ours: bool) -> CallReport {
    let connected_s = match (pair.connected, &pair.ended_a) {
        (Some(_), _) => Some(args.duration),
        _ => None,
    };
    let mut problems = Vec::new();
    match &pair.ended_a {
        Some(EndReason::Local) if pair.connected.is_some() => {}
        Some(reason) if pair.connected.is_none() => problems.push(format!("not answered: {reason}")),
        Some(reason) => problems.push(format!("ended early: {reason}")),
        None => problems.push("did not end".into()),
    }
    let (a_to_b, b_to_a) = match (&pair.report_a, &pair.report_b, connected_s) {
        (Some(a), Some(b), Some(secs)) => (Some(direction(a, b, secs)), Some(direction(b, a, secs))),
        (Some(a), None, Some(secs)) if !ours => {
            let mut heard = direction(a, a, secs);
            heard.sent = 0;
            heard.tone_share = (a.packets_received as f64 / (secs * 50.0)).min(1.0);
            (None, Some(heard))
        }
        _ => (None, None),
    };
    if pair.connected.is_some() {
        for (name, d) in [("caller → callee", &a_to_b), ("callee → caller", &b_to_a)] {
            match d {
                None if ours || name == "callee → caller" => {
                    problems.push(format!("{name}: no media figures"))
                }
                None => {}
                Some(d) if d.tone_share < MIN_TONE_SHARE => problems.push(format!(
                    "{name}: the tone was heard in {:.0} % of the frames (at least {:.0} % needed)",
                    d.tone_share * 100.0,
                    MIN_TONE_SHARE * 100.0
                )),
                Some(d) if d.loss_percent > args.max_loss => problems
                    .push(format!("{name}: {:.1} % lost (at most {} %)", d.loss_percent, args.max_loss)),
                Some(_) => {}
            }
        }
    }
    CallReport {
        call: pair.index,
        setup_ms: match (pair.dialed, pair.connected) {
            (Some(d), Some(c)) => Some(c.saturating_duration_since(d).as_secs_f64() * 1000.0),
            _ => None,
        },
        connected_s,
        ended: pair.ended_a.as_ref().map_or_else(|| "not ended".to_owned(), ToString::to_string),
        a_to_b,
        b_to_a,
        problems,
    }
}

/// Prints the reports: a table per call (or a summary for many), or JSON.
pub fn print_reports(args: &LoopbackArgs, outcome: &Outcome) {
    if args.json {
        let _ = output::print(&format!("{:#}\n", serde_json::json!(outcome)));
        return;
    }
    let reports = &outcome.calls;
    let mut text = String::new();
    for r in reports.iter().take(if reports.len() > 10 { 0 } else { reports.len() }) {
        text.push_str(&format!(
            "call {}: setup {}, {}\n",
            r.call,
            r.setup_ms.map_or_else(|| "—".to_owned(), |ms| format!("{ms:.1} ms")),
            r.ended
        ));
        for (name, d) in [("  caller → callee", &r.a_to_b), ("  callee → caller", &r.b_to_a)] {
            if let Some(d) = d {
                text.push_str(&format!(
                    "{name}: sent {}, received {}, lost {} ({:.1} %), late {}, jitter {:.2} ms, \
                     buffer {:.0} ms, one-way {:.0} ms, MOS {:.2}, tone in {:.0} % of frames\n",
                    d.sent,
                    d.received,
                    d.lost,
                    d.loss_percent,
                    d.late,
                    d.jitter_ms,
                    d.jitter_buffer_ms,
                    d.one_way_delay_ms,
                    d.mos,
                    d.tone_share * 100.0
                ));
            }
        }
        for p in &r.problems {
            text.push_str(&format!("  problem: {p}\n"));
        }
    }
    let s = &outcome.summary;
    text.push_str(&format!(
        "{} call(s), {} passed, {} failed; mean setup {:.1} ms; lost {}; send lateness p50 {} µs, \
         p99 {} µs, max {} µs{}\n",
        s.calls,
        s.passed,
        s.calls - s.passed,
        s.mean_setup_ms,
        s.lost,
        s.send_lateness.p50_us,
        s.send_lateness.p99_us,
        s.send_lateness.max_us,
        s.peak_rss_kb.map(|kb| format!("; peak RSS {:.1} MB", kb as f64 / 1024.0)).unwrap_or_default()
    ));
    if s.calls > s.passed && reports.len() > 10 {
        for r in reports.iter().filter(|r| !r.problems.is_empty()).take(5) {
            text.push_str(&format!("call {}: {}\n", r.call, r.problems.join("; ")));
        }
    }
    let _ = output::print(&text);
}
