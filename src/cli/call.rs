//! `sip7940 call NUMBER`: register the line, place the call, send a tone (or a WAV file),
//! record what comes back, hang up after `--duration`, and report the media figures.

use super::boot::{BootError, Outgoing, boot, runtime, shutdown_signal, unregister_and_wait};
use super::handset::{FAILURE_TONE, Handset};
use super::{Cli, output};
use crate::io::clock::time_of_day;
use crate::io::driver::TraceOptions;
use crate::io::media_task::{self, MediaHandle, MediaOptions};
use crate::media::progress_tone::ProgressTone;
use crate::ua::Event;
use crate::ua::call::{CallId, CallState, EndReason};
use serde_json::json;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Options of `call`.
#[derive(Debug, clap::Args)]
pub struct CallArgs {
    /// The number (user part) or a full sip: URI to call.
    pub number: String,
    /// The line to call from (1-based).
    #[arg(long, default_value_t = 1)]
    pub line: usize,
    /// Hang up this many seconds after the answer.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub duration: f64,
    /// Send a tone of this frequency (default 1000 Hz).
    #[arg(long, value_name = "HZ", conflicts_with = "play")]
    pub tone: Option<f64>,
    /// Send this WAV file (any rate, mono or stereo; converted to 8 kHz mono).
    #[arg(long, value_name = "FILE.wav")]
    pub play: Option<PathBuf>,
    /// Use the sound card (the default device, or DEVICE from `sip7940 devices`): the
    /// microphone is sent and the far end is played. Without a sound card: one line, and
    /// the call goes on with the tone.
    #[arg(long, value_name = "DEVICE", num_args = 0..=1, default_missing_value = "")]
    pub audio: Option<String>,
    /// Record what the far end sends to this WAV file (8 kHz mono).
    #[arg(long, value_name = "FILE.wav")]
    pub record: Option<PathBuf>,
    /// Put the call on hold this many seconds after the answer (re-INVITE `sendonly`).
    #[arg(long, value_name = "SECS")]
    pub hold: Option<f64>,
    /// Take the call off hold this many seconds after the answer.
    #[arg(long, value_name = "SECS", requires = "hold")]
    pub resume: Option<f64>,
    /// Send these digits (0-9*#A-D) half a second after the answer, by the DTMF policy
    /// (`dtmf_outofband`: RFC 4733 events when negotiated, else in-band tones).
    #[arg(long, value_name = "DIGITS")]
    pub dtmf: Option<String>,
    /// Print one JSON document at the end.
    #[arg(long)]
    pub json: bool,
    /// Local address of the SIP and RTP sockets.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0")]
    pub bind: IpAddr,
    /// Print every SIP message.
    #[arg(long)]
    pub sip_trace: bool,
}

/// The RTCP CNAME of a line: `user@host`.
pub(super) fn cname(config: &crate::config::PhoneConfig, line: usize) -> String {
    let user = config.lines.get(line.wrapping_sub(1)).map(|l| l.name.clone()).unwrap_or_default();
    let host = config.network.my_ip_addr.map_or_else(|| "sip7940".to_owned(), |ip| ip.to_string());
    format!("{user}@{host}")
}

fn say(args: &CallArgs, text: &str) {
    if !args.json {
        let _ = output::print(&format!("{} {text}\n", time_of_day()));
    }
}

pub(super) fn run(cli: &Cli, args: &CallArgs) -> ExitCode {
    let Ok(rt) = runtime() else {
        eprintln!("sip7940 call: cannot start the runtime");
        return ExitCode::from(3);
    };
    // What the call sends when it has no sound card; a bad file or tone is said now.
    let outgoing =
        match Outgoing::from_args(args.tone, args.play.as_deref()).and_then(|o| o.source().map(|_| o)) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("sip7940 call: {e}");
                return ExitCode::from(2);
            }
        };
    if let Some(Err(e)) = args.dtmf.as_deref().map(crate::media::dtmf_plan::parse_digits) {
        eprintln!("sip7940 call: --dtmf: {e}");
        return ExitCode::from(2);
    }
    rt.block_on(async move {
        let mut driver = match boot(cli, args.bind, TraceOptions { sip_messages: args.sip_trace }).await {
            Ok(d) => d,
            Err(err) => {
                eprintln!("sip7940 call: {err}");
                return ExitCode::from(if matches!(err, BootError::Files(_)) { 2 } else { 3 });
            }
        };
        let shutdown = shutdown_signal();
        tokio::pin!(shutdown);
        super::boot::register_and_wait(&mut driver, &mut shutdown, Duration::from_secs(40)).await;
        let nat = driver.phone.config().nat.clone();
        let rtp = match media_task::bind_rtp(args.bind, nat.start_media_port, nat.end_media_port) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("sip7940 call: {e}");
                return ExitCode::from(3);
            }
        };
        let rtp_port = rtp.port().unwrap_or(nat.start_media_port);
        // The number goes through the dial plan as if typed, then #.
        let outcome = driver.phone.dial_plan().apply(args.line, &args.number);
        if outcome.template.is_some() {
            say(args, &format!("Dial plan: {outcome}"));
        }
        let id = match driver.phone.call(Instant::now(), args.line, &outcome.dial, rtp_port) {
            Ok(id) => id,
            Err(reason) => {
                eprintln!("sip7940 call: {}", reason);
                return ExitCode::from(1);
            }
        };
        say(args, &format!("Calling {} from line {}", outcome.dial.number, args.line));
        let mut rtp = Some(rtp);
        let mut media: Option<MediaHandle> = None;
        let mut handset = Handset::new(args.audio.as_deref(), "sip7940 call");
        let mut connected_at: Option<Instant> = None;
        let mut end: Option<EndReason> = None;
        let started = Instant::now();
        let record = args.record.is_some();
        let mut done_steps = 0usize;
        let stats_wanted = driver.phone.config().media.call_stats;
        let mut timeline =
            Timeline { dial_plan: outcome.template.map(|_| outcome.clone()), ..Timeline::default() };
        loop {
            // Return to this loop as soon as anything happens to the call.
            let events = std::cell::RefCell::new(Vec::new());
            let steps = connected_at.map(|t| schedule(args, t)).unwrap_or_default();
            // With `call_stats : 1` the phone gets the media figures every half second, for the
            // RTP-RxStat/RTP-TxStat headers of whichever BYE comes.
            if let Some(stats) = media.as_ref().filter(|_| stats_wanted).and_then(MediaHandle::call_stats) {
                driver.phone.set_call_stats(id, stats);
            }
            let next_stats =
                (stats_wanted && media.is_some()).then(|| Instant::now() + Duration::from_millis(500));
            let deadline = [steps.get(done_steps).map(|(at, _)| *at), next_stats].into_iter().flatten().min();
            let stop = driver
                .run_until(
                    deadline,
                    &mut shutdown,
                    &mut |_, e| {
                        if matches!(e, Event::Call { .. } | Event::CallMedia { .. }) {
                            events.borrow_mut().push(e.clone());
                        }
                    },
                    &mut |p| {
                        !events.borrow().is_empty() || matches!(p.call_state(id), Some(CallState::Ended(_)))
                    },
                )
                .await;
            for event in events.into_inner() {
                match event {
                    Event::Call { id: i, state } if i == id => match state {
                        CallState::Proceeding(_) => say(args, &state.to_string()),
                        CallState::Ringing => {
                            timeline.ringing = true;
                            say(args, "Ringing");
                            // Early media, once it runs, is what the far end wants heard.
                            if media.is_none() {
                                handset.play(Some(ProgressTone::Ringback)).await;
                            }
                        }
                        CallState::Connected if connected_at.is_none() => {
                            handset.play(None).await;
                            connected_at = Some(Instant::now());
                            timeline.setup = Some(started.elapsed());
                            say(args, "Connected");
                        }
                        CallState::Connected => {
                            timeline.held = false;
                            say(args, "Resumed");
                        }
                        CallState::Held(_) => {
                            timeline.holds += u32::from(!timeline.held);
                            timeline.held = true;
                            say(args, &state.to_string());
                        }
                        CallState::Ended(reason) => end = Some(reason),
                        _ => {}
                    },
                    Event::CallMedia { id: i, media: m } if i == id => match &media {
                        Some(running) => running.update(m),
                        None => {
                            if let Some(sockets) = rtp.take() {
                                let src = match handset.call_audio(&outgoing).await {
                                    Ok(src) => src,
                                    Err(e) => {
                                        eprintln!("sip7940 call: {e}");
                                        continue;
                                    }
                                };
                                let options = MediaOptions {
                                    record,
                                    seed: u64::from(rtp_port),
                                    cname: cname(driver.phone.config(), args.line),
                                    local_dtmf_payload: m.receive_dtmf_payload,
                                    symmetric_rtp: driver.phone.config().nat.symmetric_rtp,
                                    ..MediaOptions::default()
                                };
                                let config = &driver.phone.config().media;
                                media = media_task::spawn(sockets, m, config, src, options).ok();
                            }
                        }
                    },
                    _ => {}
                }
            }
            match stop {
                Ok(crate::io::driver::Stop::Deadline) => {
                    let now = Instant::now();
                    while let Some((_, step)) = steps.get(done_steps).filter(|(at, _)| *at <= now) {
                        match step {
                            Step::Dtmf => {
                                if let (Some(m), Some(digits)) = (&media, &args.dtmf) {
                                    m.send_dtmf(digits);
                                }
                                true
                            }
                            Step::Hold => driver.phone.hold(now, id),
                            Step::Resume => driver.phone.resume(now, id),
                            Step::Hangup => {
                                if let Some(stats) = media.as_ref().and_then(MediaHandle::call_stats) {
                                    driver.phone.set_call_stats(id, stats);
                                }
                                driver.phone.hangup(now, id);
                                true
                            }
                        };
                        done_steps += 1;
                    }
                }
                Ok(crate::io::driver::Stop::Shutdown) => driver.phone.hangup(Instant::now(), id),
                Err(_) => break,
                _ => {}
            }
            if end.is_some() || matches!(driver.phone.call_state(id), Some(CallState::Ended(_))) {
                break;
            }
        }
        let end = end.or_else(|| match driver.phone.call_state(id) {
            Some(CallState::Ended(r)) => Some(r.clone()),
            _ => None,
        });
        let report = match media {
            Some(m) => m.finish().await,
            None => None,
        };
        // A failed call sounds like one: busy or fast busy for a moment, on a sound card.
        let failure_tone = match &end {
            Some(EndReason::Status { code, .. }) => ProgressTone::after_status(*code),
            Some(EndReason::Timeout) => Some(ProgressTone::Reorder),
            _ => None,
        };
        match failure_tone {
            Some(tone) => handset.play_for(tone, FAILURE_TONE).await,
            None => handset.play(None).await,
        }
        if let (Some(path), Some(r)) = (&args.record, &report)
            && let Err(e) = crate::io::wav::write_wav_8k_mono(path, &r.recorded)
        {
            eprintln!("sip7940 call: cannot write {}: {e}", path.display());
        }
        let talked = connected_at.map(|t| t.elapsed().as_secs_f64());
        let ok = connected_at.is_some() && matches!(end, Some(EndReason::Local | EndReason::Remote));
        finish(args, id, &timeline, end.as_ref(), talked, report.as_ref(), started, ok);
        unregister_and_wait(&mut driver, Duration::from_secs(2), &mut |_, _| {}).await;
        ExitCode::from(if ok { 0 } else { 1 })
    })
}

/// What `call` does to an answered call, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Dtmf,
    Hold,
    Resume,
    Hangup,
}

/// `--hold`, `--resume` and `--duration` as instants after the answer, in order.
fn schedule(args: &CallArgs, connected: Instant) -> Vec<(Instant, Step)> {
    let at = |secs: f64| connected + Duration::from_secs_f64(secs.max(0.0));
    let mut steps: Vec<(Instant, Step)> = [
        args.dtmf.as_ref().map(|_| (at(0.5), Step::Dtmf)),
        args.hold.map(|s| (at(s), Step::Hold)),
        args.resume.map(|s| (at(s), Step::Resume)),
        Some((at(args.duration), Step::Hangup)),
    ]
    .into_iter()
    .flatten()
    .collect();
    steps.sort_by_key(|(t, _)| *t);
    steps
}

/// What happened on the way, for `--json`.
#[derive(Debug, Default)]
struct Timeline {
    /// From the INVITE to the answer.
    setup: Option<Duration>,
    /// The far end rang (180/183).
    ringing: bool,
    /// How many times the call went on hold (either side).
    holds: u32,
    /// Whether it is on hold now.
    held: bool,
    /// What the dial plan made of the number, when a template matched.
    dial_plan: Option<crate::config::dialplan::Outcome>,
}

#[allow(clippy::too_many_arguments)]
fn finish(
    args: &CallArgs,
    id: CallId,
    timeline: &Timeline,
    end: Option<&EndReason>,
    talked: Option<f64>,
    report: Option<&crate::io::media_task::MediaReport>,
    started: Instant,
    ok: bool,
) {
    let ended = end.map_or_else(|| "unknown".to_owned(), ToString::to_string);
    if args.json {
        let (kind, code) = match end {
            Some(EndReason::Local) => ("local", None),
            Some(EndReason::Remote) => ("remote", None),
            Some(EndReason::Cancelled) => ("cancelled", None),
            Some(EndReason::Status { code, .. }) => ("status", Some(*code)),
            Some(EndReason::Timeout) => ("timeout", None),
            Some(EndReason::Media(_)) => ("media", None),
            Some(EndReason::Setup(_)) => ("setup", None),
            None => ("unknown", None),
        };
        let doc = json!({
            "call": id.0,
            "number": args.number,
            "dial_plan": timeline.dial_plan.as_ref().map(|o| json!({
                "dialled": o.dial.number,
                "user": o.dial.user.map(|u| u.param()),
                "route": o.dial.route.to_string(),
                "template": o.template,
            })),
            "line": args.line,
            "answered": talked.is_some(),
            "ok": ok,
            "ended": ended,
            "end": { "by": kind, "status": code },
            "setup_ms": timeline.setup.map(|d| d.as_secs_f64() * 1000.0),
            "ringing": timeline.ringing,
            "holds": timeline.holds,
            "connected_s": talked,
            "elapsed_s": started.elapsed().as_secs_f64(),
            "media": report,
        });
        let _ = output::print(&format!("{doc:#}\n"));
        return;
    }
    let after = talked.map(|t| format!(" after {t:.1} s")).unwrap_or_default();
    say(args, &format!("Ended: {ended}{after}"));
    if let Some(r) = report {
        if !r.figures.digits.is_empty() {
            let _ = output::print(&format!("digits received: {}\n", r.figures.digits));
        }
        let _ = output::print(&format!("media: {}\n", output::media_summary(&r.figures)));
    }
}
