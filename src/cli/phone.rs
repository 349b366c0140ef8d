//! `sip7940 phone`: run the phone on its SIP port until interrupted.

use super::Cli;
use super::boot::{BootError, Outgoing, boot, runtime, shutdown_signal, unregister_and_wait};
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
    /// Answer incoming calls, after SECS seconds of ringing (default 0).
    #[arg(long, value_name = "SECS", num_args = 0..=1, default_missing_value = "0")]
    pub auto_answer: Option<f64>,
    /// Send a tone of this frequency in answered calls (default 1000 Hz).
    #[arg(long, value_name = "HZ", conflicts_with = "play")]
    pub tone: Option<f64>,
    /// Send this WAV file in answered calls.
    #[arg(long, value_name = "FILE.wav")]
    pub play: Option<std::path::PathBuf>,
    /// Hang up answered calls this many seconds after the answer.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Use the sound card for answered calls (the default device, or DEVICE from
    /// `sip7940 devices`). Without a sound card: one line, and calls go on with the tone.
    #[arg(long, value_name = "DEVICE", num_args = 0..=1, default_missing_value = "")]
    pub audio: Option<String>,
    /// Record every answered call to DIR/call-N.wav (8 kHz mono).
    #[arg(long, value_name = "DIR")]
    pub record: Option<std::path::PathBuf>,
}

pub(super) fn run(cli: &Cli, args: &PhoneArgs) -> ExitCode {
    let Ok(rt) = runtime() else {
        eprintln!("sip7940 phone: cannot start the runtime");
        return ExitCode::from(3);
    };
    // What answered calls send; a --play file is read once, here.
    let outgoing = match Outgoing::from_args(args.tone, args.play.as_deref()) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("sip7940 phone: {e}");
            return ExitCode::from(2);
        }
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
        if let Err(err) = calls_loop(&mut driver, args, &outgoing, &mut shutdown).await {
            eprintln!("sip7940 phone: socket error: {err}");
            return ExitCode::from(3);
        }
        let mut print = |phone: &Phone, event: &Event| print_event(phone, event);
        if !args.keep {
            unregister_and_wait(&mut driver, Duration::from_secs(2), &mut print).await;
        }
        eprintln!("sip7940 phone: stopped");
        ExitCode::SUCCESS
    })
}

/// Runs until shutdown, answering calls when `--auto-answer` says so, running their media
/// and writing recordings.
async fn calls_loop<S: std::future::Future<Output = ()>>(
    driver: &mut crate::io::driver::Driver,
    args: &PhoneArgs,
    outgoing: &Outgoing,
    shutdown: &mut std::pin::Pin<&mut S>,
) -> std::io::Result<()> {
    use crate::io::media_task::{self, MediaHandle};
    use crate::ua::call::{CallId, CallState};
    use std::collections::HashMap;
    let mut pending: Vec<(CallId, Instant)> = Vec::new();
    let mut sockets: HashMap<CallId, media_task::RtpSockets> = HashMap::new();
    let mut running: HashMap<CallId, MediaHandle> = HashMap::new();
    let mut hangups: Vec<(CallId, Instant)> = Vec::new();
    loop {
        let events = std::cell::RefCell::new(Vec::new());
        // With `call_stats : 1` the phone gets each call's media figures every half second, for
        // the RTP-RxStat/RTP-TxStat headers of whichever BYE comes.
        let stats_wanted = driver.phone.config().media.call_stats && !running.is_empty();
        if stats_wanted {
            for (id, handle) in &running {
                if let Some(stats) = handle.call_stats() {
                    driver.phone.set_call_stats(*id, stats);
                }
            }
        }
        let next_stats = stats_wanted.then(|| Instant::now() + Duration::from_millis(500));
        let deadline = pending.iter().chain(hangups.iter()).map(|(_, t)| *t).chain(next_stats).min();
        let stop = driver
            .run_until(
                deadline,
                shutdown,
                &mut |phone, event| {
                    print_event(phone, event);
                    if matches!(
                        event,
                        Event::IncomingCall { .. } | Event::Call { .. } | Event::CallMedia { .. }
                    ) {
                        events.borrow_mut().push(event.clone());
                    }
                },
                &mut |_| !events.borrow().is_empty(),
            )
            .await?;
        for event in events.into_inner() {
            match event {
                Event::IncomingCall { id, caller } => match args.auto_answer {
                    Some(secs) => pending.push((id, Instant::now() + Duration::from_secs_f64(secs.max(0.0)))),
                    None => eprintln!(
                        "{} call {} from {caller} rings (answer with --auto-answer)",
                        time_of_day(),
                        id.0
                    ),
                },
                Event::CallMedia { id, media } if running.contains_key(&id) => {
                    if let Some(handle) = running.get(&id) {
                        handle.update(media);
                    }
                }
                Event::CallMedia { id, media } => {
                    let source =
                        super::boot::call_audio(outgoing, args.audio.as_deref(), "sip7940 phone").ok();
                    if let (Some(socket), Some(source)) = (sockets.remove(&id), source) {
                        let options = media_task::MediaOptions {
                            record: args.record.is_some(),
                            seed: id.0,
                            cname: super::call::cname(driver.phone.config(), 1),
                            local_dtmf_payload: media.receive_dtmf_payload,
                            symmetric_rtp: driver.phone.config().nat.symmetric_rtp,
                            ..media_task::MediaOptions::default()
                        };
                        let config = &driver.phone.config().media;
                        if let Ok(handle) = media_task::spawn(socket, media, config, source, options) {
                            running.insert(id, handle);
                        }
                    }
                }
                Event::Call { id, state: CallState::Connected } => {
                    if let Some(secs) = args.duration
                        && !hangups.iter().any(|(h, _)| *h == id)
                    {
                        hangups.push((id, Instant::now() + Duration::from_secs_f64(secs.max(0.0))));
                    }
                }
                Event::Call { id, state: CallState::Ended(_) } => {
                    pending.retain(|(p, _)| *p != id);
                    hangups.retain(|(h, _)| *h != id);
                    sockets.remove(&id);
                    if let Some(report) = match running.remove(&id) {
                        Some(handle) => handle.finish().await,
                        None => None,
                    } {
                        if !report.figures.digits.is_empty() {
                            eprintln!(
                                "{} call {}: digits received: {}",
                                time_of_day(),
                                id.0,
                                report.figures.digits
                            );
                        }
                        eprintln!(
                            "{} call {}: {}",
                            time_of_day(),
                            id.0,
                            super::output::media_summary(&report.figures)
                        );
                        if let Some(dir) = &args.record {
                            let path = dir.join(format!("call-{}.wav", id.0));
                            if let Err(e) = crate::io::wav::write_wav_8k_mono(&path, &report.recorded) {
                                eprintln!("sip7940 phone: cannot write {}: {e}", path.display());
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        let now = Instant::now();
        for (id, _) in hangups.iter().filter(|(_, t)| *t <= now) {
            driver.phone.hangup(now, *id);
        }
        hangups.retain(|(_, t)| *t > now);
        let due: Vec<CallId> = pending.iter().filter(|(_, t)| *t <= now).map(|(id, _)| *id).collect();
        pending.retain(|(_, t)| *t > now);
        for id in due {
            let nat = driver.phone.config().nat.clone();
            match media_task::bind_rtp(args.bind, nat.start_media_port, nat.end_media_port) {
                Ok(socket) => {
                    let port = socket.port().unwrap_or(nat.start_media_port);
                    sockets.insert(id, socket);
                    driver.phone.answer(now, id, port);
                }
                Err(e) => {
                    eprintln!("sip7940 phone: {e}");
                    driver.phone.reject(now, id, 480);
                }
            }
        }
        if stop == crate::io::driver::Stop::Shutdown {
            for (id, _) in running.iter() {
                driver.phone.hangup(Instant::now(), *id);
            }
            return Ok(());
        }
    }
}

/// One line per registration change, like the phone's status messages.
pub fn print_event(phone: &Phone, event: &Event) {
    match event {
        Event::Call { id, state } => eprintln!("{} call {}: {state}", time_of_day(), id.0),
        Event::IncomingCall { id, caller } => {
            eprintln!("{} call {}: incoming from {caller}", time_of_day(), id.0)
        }
        _ => {}
    }
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
