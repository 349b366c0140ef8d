//! What wakes the softphone besides SIP and its timers: console lines, copies of the SIP
//! trace for monitoring sessions, the screen's keys and caught output (`--ui`), and
//! signals (SIGINT/SIGTERM stop, SIGHUP resets). Every source is a stream kept across
//! waits, so nothing that arrives between two waits is lost.

use crate::io::console::ConsoleInput;
use crate::io::terminal::TermInput;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc::UnboundedReceiver;

/// Why the softphone woke.
#[derive(Debug)]
pub enum Wake {
    /// A console session opened, said a line, or closed.
    Console(ConsoleInput),
    /// A traced SIP message for the monitoring sessions.
    Trace(String),
    /// SIGINT or SIGTERM (named).
    Stop(&'static str),
    /// SIGHUP.
    Reset,
    /// A key on the screen, or a line caught from stdout/stderr (`--ui`).
    Screen(TermInput),
}

/// The streams.
pub struct Inputs {
    console: UnboundedReceiver<ConsoleInput>,
    trace: UnboundedReceiver<String>,
    interrupt: Option<Signal>,
    terminate: Option<Signal>,
    hangup: Option<Signal>,
    screen: Option<UnboundedReceiver<TermInput>>,
}

impl Inputs {
    /// Listens for the signals from now on (their default actions no longer apply).
    pub fn new(console: UnboundedReceiver<ConsoleInput>, trace: UnboundedReceiver<String>) -> Self {
        Self {
            console,
            trace,
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
            hangup: signal(SignalKind::hangup()).ok(),
            screen: None,
        }
    }

    /// Also wakes on the screen's input.
    pub fn with_screen(mut self, screen: Option<UnboundedReceiver<TermInput>>) -> Self {
        self.screen = screen;
        self
    }

    /// The next thing that happens.
    pub async fn next(&mut self) -> Wake {
        tokio::select! {
            biased;
            () = arrived(&mut self.interrupt) => Wake::Stop("SIGINT"),
            () = arrived(&mut self.terminate) => Wake::Stop("SIGTERM"),
            () = arrived(&mut self.hangup) => Wake::Reset,
            Some(input) = self.console.recv() => Wake::Console(input),
            Some(text) = self.trace.recv() => Wake::Trace(text),
            Some(input) = screen_input(&mut self.screen) => Wake::Screen(input),
        }
    }

    /// The next SIGINT or SIGTERM (while stopping or resetting, nothing else is read).
    pub async fn stop_signal(&mut self) -> &'static str {
        tokio::select! {
            () = arrived(&mut self.interrupt) => "SIGINT",
            () = arrived(&mut self.terminate) => "SIGTERM",
        }
    }
}

/// The screen's next input; never without a screen.
async fn screen_input(screen: &mut Option<UnboundedReceiver<TermInput>>) -> Option<TermInput> {
    match screen {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Completes when `signal` arrives; never when it could not be installed.
async fn arrived(signal: &mut Option<Signal>) {
    if let Some(s) = signal
        && s.recv().await.is_some()
    {
        return;
    }
    std::future::pending().await
}
