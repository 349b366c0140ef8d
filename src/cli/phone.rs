//! `sip7940 phone`: run the phone on its SIP port until interrupted, with the 7940's
//! console on stdin and (when `telnet_level` > 0) on a TCP port. The work is done by the
//! softphone controller (`cli::softphone`).

use super::Cli;
use super::boot::{BootError, Outgoing, boot, runtime};
use super::softphone::{Controller, MediaSettings, Options};
use crate::io::driver::TraceOptions;
use std::net::IpAddr;
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
    /// With --audio: ring with this WAV file (looped) instead of the generated double ring.
    #[arg(long, value_name = "FILE.wav")]
    pub ring: Option<std::path::PathBuf>,
    /// TCP port of the telnet console (on the --bind address), opened when telnet_level
    /// is 1 or 2; 0 picks a free port (printed at start).
    #[arg(long, value_name = "PORT", default_value_t = 2323)]
    pub console_port: u16,
    /// Show the phone's screen on the terminal (lines, calls, caller id, call timer,
    /// softkeys) and take keys: 0-9*# keypad, F1-F4 softkeys, F5-F10 line keys, Enter off
    /// hook, `:` a console command, q quit. Needs a terminal on stdin and stdout; without
    /// one, the plain event log.
    #[arg(long)]
    pub ui: bool,
    /// With --ui: also append every event line to FILE.
    #[arg(long, value_name = "FILE", requires = "ui")]
    pub log: Option<std::path::PathBuf>,
}

pub(super) fn run(cli: &Cli, args: &PhoneArgs) -> ExitCode {
    let Ok(rt) = runtime() else {
        eprintln!("sip7940 phone: cannot start the runtime");
        return ExitCode::from(3);
    };
    // The ringer from a WAV file, read once, here.
    let ring = match args.ring.as_deref().map(crate::io::wav::read_wav_8k_mono).transpose() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sip7940 phone: --ring: {e}");
            return ExitCode::from(2);
        }
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
        let trace = TraceOptions { sip_messages: args.sip_trace };
        let driver = match boot(cli, args.bind, trace).await {
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
        let options = Options {
            register: !args.no_register,
            keep: args.keep,
            auto_answer: args.auto_answer,
            duration: args.duration,
            console_port: args.console_port,
            bind: args.bind,
            trace,
            ui: args.ui,
            log: args.log.clone(),
        };
        let media = MediaSettings {
            outgoing,
            audio: args.audio.clone(),
            record: args.record.clone(),
            ring,
            bind: args.bind,
        };
        let controller = Controller::start(cli, options, media, driver).await;
        if let Err(err) = controller.run().await {
            eprintln!("sip7940 phone: socket error: {err}");
            return ExitCode::from(3);
        }
        eprintln!("sip7940 phone: stopped");
        ExitCode::SUCCESS
    })
}
