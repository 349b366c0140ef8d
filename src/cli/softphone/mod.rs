//! `sip7940 phone`'s controller: one task that owns the [`Driver`] (and so the phone), the
//! calls' media and the console sessions. It sleeps in [`Driver::run_until`] and wakes on
//! SIP, its own timers (auto-answer, `--duration`, the keypad, call statistics), console
//! lines, SIP trace copies and signals.
//!
//! ```text
//!  SIGINT/SIGTERM ─▶ stop    SIGHUP ─▶ reset          console lines ─▶ commands
//!  (check-sync NOTIFY ─▶ read the files; `sync` changed ─▶ reset)
//!          └──────────────────┴────── Wake ◀──────────────┘   trace copies ─▶ monitors
//!                                      │
//!  datagrams, SIP timers ─▶ Driver::run_until ─▶ events ─▶ handle_event (events.rs, the one
//!                                      │                   place that reacts to them)
//!  auto-answer, --duration, keypad ────┴─▶ fire_due
//!  --ui keys, caught output ─▶ Wake::Screen ─▶ ui.rs; after every turn the screen is drawn
//! ```
//!
//! Stopping hangs up every call, un-registers (unless `--keep`) and waits for the answers
//! at most [`STOP_WITHIN`]; a second SIGINT/SIGTERM cuts the wait short.

mod calls;
mod commands;
mod consoles;
mod events;
mod keys;
mod media;
mod reset;
mod tones;
mod transfer;
mod ui;
mod wake;

pub use media::MediaSettings;

use super::handset::Handset;
use crate::cli::Cli;
use crate::io::console::{ConsoleFeed, ConsoleInput, ConsoleOutput, Origin, TcpConsole};
use crate::io::driver::{Driver, Stop, TraceOptions, TraceTap};
use crate::ua::Event;
use crate::ua::call::CallId;
use calls::CallTable;
use consoles::Consoles;
use keys::Keypad;
use media::CallMedia;
use std::cell::RefCell;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use wake::{Inputs, Wake};

/// How long stopping (and the un-registering part of `reset`) may take.
pub const STOP_WITHIN: Duration = Duration::from_millis(1800);

/// How often running calls' figures are handed to the phone when `call_stats : 1`.
const STATS_EVERY: Duration = Duration::from_millis(500);

/// What `sip7940 phone` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Register the lines (not `--no-register`).
    pub register: bool,
    /// Leave the registrations on exit (`--keep`).
    pub keep: bool,
    /// `--auto-answer[=SECS]`.
    pub auto_answer: Option<f64>,
    /// `--duration SECS`.
    pub duration: Option<f64>,
    /// `--console-port`.
    pub console_port: u16,
    /// `--bind`.
    pub bind: IpAddr,
    /// `--sip-trace`.
    pub trace: TraceOptions,
    /// `--ui`: the screen on the terminal.
    pub ui: bool,
    /// `--log FILE`: with `--ui`, the event lines also go here.
    pub log: Option<std::path::PathBuf>,
}

/// The softphone.
pub struct Controller<'a> {
    cli: &'a Cli,
    options: Options,
    driver: Driver,
    media: CallMedia,
    calls: CallTable,
    keypad: Keypad,
    consoles: Consoles,
    feed: ConsoleFeed,
    telnet: Option<TcpConsole>,
    inputs: Inputs,
    tap: TraceTap,
    /// Incoming calls to answer (`--auto-answer`), and when.
    answer_at: Vec<(CallId, Instant)>,
    /// Calls to hang up (`--duration`), and when.
    hangup_at: Vec<(CallId, Instant)>,
    /// Calls whose `--duration` is counting already (a resume is not a new answer).
    timed: std::collections::HashSet<CallId>,
    /// Set when the phone is to stop (the reason).
    stop: Option<&'static str>,
    /// The sound card: call-progress tones and the calls' audio (`--audio`).
    handset: Handset,
    /// When a failed call's busy or reorder tone stops.
    tone_until: Option<Instant>,
    /// The screen (`--ui` on a terminal).
    ui: Option<ui::Ui>,
    /// A check-sync NOTIFY came: read the files after this round of events.
    check_sync_due: bool,
    /// The Transfer key put this call on hold: the next call is the consultation call.
    transfer_from: Option<CallId>,
}

impl<'a> Controller<'a> {
    /// Takes over a booted phone: opens the consoles (stdin; telnet when `telnet_level` > 0)
    /// and registers the lines unless told not to.
    pub async fn start(cli: &'a Cli, options: Options, media: MediaSettings, driver: Driver) -> Self {
        let (feed, console_rx) = ConsoleFeed::new();
        let (tap, trace_rx) = tokio::sync::mpsc::unbounded_channel();
        let (ui, screen) = ui::open(options.ui, options.log.as_deref(), &feed);
        let inputs = Inputs::new(console_rx, trace_rx).with_screen(screen);
        let handset = Handset::new(media.audio.as_deref(), "sip7940 phone").with_ring(media.ring.clone());
        let mut controller = Self {
            cli,
            options,
            driver,
            media: CallMedia::new(media),
            calls: CallTable::default(),
            keypad: Keypad::default(),
            consoles: Consoles::default(),
            feed,
            telnet: None,
            inputs,
            tap,
            answer_at: Vec::new(),
            hangup_at: Vec::new(),
            timed: Default::default(),
            stop: None,
            handset,
            tone_until: None,
            ui,
            check_sync_due: false,
            transfer_from: None,
        };
        controller.telnet_as_configured().await;
        if controller.options.register {
            controller.driver.phone.register_all(Instant::now());
        }
        controller
    }

    /// Runs until SIGINT, SIGTERM or `quit` on stdin, then stops: hangs up, un-registers
    /// (unless `--keep`). An error is the SIP socket's.
    pub async fn run(mut self) -> std::io::Result<()> {
        while self.stop.is_none() {
            self.hand_over_call_stats();
            let deadline = self.next_deadline();
            let (events, wake) = self.wait(deadline).await?;
            for event in events {
                self.handle_event(event).await;
            }
            if std::mem::take(&mut self.check_sync_due) {
                let said = self.check_sync().await;
                let stamp = crate::io::clock::time_of_day();
                let lines: Vec<String> = said.lines().map(|l| format!("{stamp} check-sync: {l}")).collect();
                self.say(&lines.join("\n"));
            }
            if let Some(wake) = wake {
                self.on_wake(wake).await;
            }
            self.fire_due().await;
            self.draw_screen();
        }
        if let Some(why) = self.stop {
            eprintln!("sip7940 phone: {why}: hanging up and stopping");
        }
        self.stop_phone().await;
        Ok(())
    }

    /// Runs the phone until something to react to: its events (collected), or a wake-up.
    async fn wait(&mut self, deadline: Option<Instant>) -> std::io::Result<(Vec<Event>, Option<Wake>)> {
        let events = RefCell::new(Vec::new());
        let mut wake = None;
        {
            let Controller { driver, inputs, .. } = self;
            let woken = async { wake = Some(inputs.next().await) };
            tokio::pin!(woken);
            driver
                .run_until(
                    deadline,
                    &mut woken,
                    &mut |_, event| {
                        if !matches!(event, Event::Dropped { .. } | Event::Refused { .. }) {
                            events.borrow_mut().push(event.clone());
                        }
                    },
                    &mut |_| !events.borrow().is_empty(),
                )
                .await?;
        }
        Ok((events.into_inner(), wake))
    }

    /// Runs the phone, reacting to its events, until `done` holds, `deadline` passes or
    /// SIGINT/SIGTERM comes (which sets [`stop`](Self::stop)). Console input waits.
    async fn settle(&mut self, deadline: Instant, done: fn(&Self) -> bool) {
        while !done(self) && Instant::now() < deadline {
            let events = RefCell::new(Vec::new());
            let mut signal = None;
            let stopped = {
                let Controller { driver, inputs, .. } = &mut *self;
                let woken = async { signal = Some(inputs.stop_signal().await) };
                tokio::pin!(woken);
                let mut collect = |_: &crate::ua::Phone, event: &Event| {
                    if !matches!(event, Event::Dropped { .. } | Event::Refused { .. }) {
                        events.borrow_mut().push(event.clone());
                    }
                };
                let stop = driver
                    .run_until(Some(deadline), &mut woken, &mut collect, &mut |_| !events.borrow().is_empty())
                    .await;
                !matches!(stop, Ok(Stop::Done | Stop::Deadline))
            };
            for event in events.into_inner() {
                self.handle_event(event).await;
            }
            if let Some(signal) = signal {
                self.stop = Some(signal);
            }
            if stopped {
                return;
            }
        }
    }

    async fn on_wake(&mut self, wake: Wake) {
        match wake {
            Wake::Console(ConsoleInput::Opened { id, origin, writer }) => {
                if matches!(origin, Origin::Tcp(_)) && self.driver.phone.config().management.telnet_level == 0
                {
                    writer.send(ConsoleOutput::Close);
                    return;
                }
                self.consoles.open(id, origin, writer, self.driver.phone.config());
            }
            Wake::Console(ConsoleInput::Line { id, text }) => self.console_line(id, &text).await,
            Wake::Console(ConsoleInput::Closed { id }) => {
                self.consoles.close(id);
                self.update_tap();
            }
            Wake::Trace(text) => self.consoles.trace(&text),
            Wake::Screen(input) => self.on_screen(input).await,
            Wake::Stop(signal) => self.stop = Some(signal),
            Wake::Reset => {
                let said = self.reset().await;
                let stamp = crate::io::clock::time_of_day();
                let lines: Vec<String> = said.lines().map(|l| format!("{stamp} SIGHUP: {l}")).collect();
                self.say(&lines.join("\n"));
            }
        }
    }

    /// A line typed on console session `id`: its command carried out, the answer written.
    async fn console_line(&mut self, id: crate::io::console::SessionId, text: &str) {
        if let Some(command) = self.consoles.line(id, text, self.driver.phone.config()) {
            let answer = self.run_command(id, command).await;
            self.consoles.answer(id, &answer, self.driver.phone.config());
        }
        self.update_tap();
    }

    /// Sends the SIP trace to the driver's tap only while some session monitors.
    fn update_tap(&mut self) {
        let tap = self.consoles.any_monitor().then(|| self.tap.clone());
        self.driver.set_trace_tap(tap);
    }

    /// A line for everyone: stderr and every telnet session.
    fn say(&self, text: &str) {
        if text.trim().is_empty() {
            return;
        }
        for line in text.lines() {
            eprintln!("{line}");
        }
        self.consoles.broadcast(text.trim_end(), self.driver.phone.config());
    }

    /// The TCP console as `telnet_level` says: listening when > 0, closed (with its sessions)
    /// at 0.
    async fn telnet_as_configured(&mut self) {
        let level = self.driver.phone.config().management.telnet_level;
        if level == 0 {
            if self.telnet.take().is_some() {
                self.consoles.close_telnet();
                eprintln!("sip7940 phone: console closed (telnet_level : 0)");
            }
            return;
        }
        if self.telnet.is_some() {
            return;
        }
        let addr = SocketAddr::new(self.options.bind, self.options.console_port);
        match crate::io::console::listen_tcp(addr, self.feed.clone()).await {
            Ok(console) => {
                eprintln!("sip7940 phone: console on {} (TCP, telnet_level {level})", console.local_addr());
                if self.driver.phone.config().management.phone_password.is_empty() {
                    eprintln!("sip7940 phone: phone_password is empty: the console refuses every login");
                }
                self.telnet = Some(console);
            }
            Err(e) => eprintln!("sip7940 phone: no console: cannot listen on TCP {addr}: {e}"),
        }
    }

    /// The next time one of our own timers is due.
    fn next_deadline(&self) -> Option<Instant> {
        let stats = (self.driver.phone.config().media.call_stats && self.media.any_running())
            .then(|| Instant::now() + STATS_EVERY);
        self.answer_at
            .iter()
            .chain(&self.hangup_at)
            .map(|(_, t)| *t)
            .chain(self.keypad.deadline(self.driver.phone.dial_plan(), Instant::now()))
            .chain(self.tone_until)
            .chain(stats)
            .chain(self.ui.as_ref().map(ui::Ui::next_tick))
            .min()
    }

    /// With `call_stats : 1` the phone gets each call's media figures every half second,
    /// for the `RTP-RxStat`/`RTP-TxStat` headers of whichever BYE comes.
    fn hand_over_call_stats(&mut self) {
        if self.driver.phone.config().media.call_stats {
            for (id, stats) in self.media.call_stats() {
                self.driver.phone.set_call_stats(id, stats);
            }
        }
    }

    /// Answers, hangs up and dials what is due.
    async fn fire_due(&mut self) {
        let now = Instant::now();
        if self.tone_until.is_some_and(|until| until <= now) {
            self.retone(now).await;
        }
        let (due, later): (Vec<_>, Vec<_>) = self.hangup_at.drain(..).partition(|(_, t)| *t <= now);
        self.hangup_at = later;
        for (id, _) in due {
            self.driver.phone.hangup(now, id);
        }
        let (due, later): (Vec<_>, Vec<_>) = self.answer_at.drain(..).partition(|(_, t)| *t <= now);
        self.answer_at = later;
        for (id, _) in due {
            if let Err(e) = self.answer_call(id) {
                self.say(&e);
                self.driver.phone.reject(now, id, 480);
            }
        }
        if let Some(said) = self.dial_collected(now) {
            self.say(&said);
        }
    }

    /// Hangs every call up, un-registers unless `--keep`, and waits for the answers (at most
    /// [`STOP_WITHIN`]); then every call's media report.
    async fn stop_phone(&mut self) {
        let now = Instant::now();
        let live: Vec<CallId> = self.calls.iter().map(|c| c.id).collect();
        for id in live {
            self.driver.phone.hangup(now, id);
        }
        if !self.options.keep {
            self.driver.phone.unregister_all(now);
        }
        self.settle(now + STOP_WITHIN, |c| c.calls.is_empty() && !c.driver.phone.registration_busy()).await;
        self.finish_all_media().await;
    }

    /// Stops whatever media still runs (calls that did not end in time), with their reports.
    async fn finish_all_media(&mut self) {
        for id in self.media.calls() {
            let lines = self.media.finish(id).await;
            self.say(&lines.join("\n"));
        }
    }
}
