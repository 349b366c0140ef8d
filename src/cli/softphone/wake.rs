//! What wakes the softphone besides SIP and its timers: console lines, copies of the SIP
//! trace for monitoring sessions, and signals (SIGINT/SIGTERM stop, SIGHUP resets). Every
//! source is a stream kept across waits, so nothing that arrives between two waits is lost.

use crate::io::console::ConsoleInput;
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
}

/// The streams.
pub struct Inputs {
    console: UnboundedReceiver<ConsoleInput>,
    trace: UnboundedReceiver<String>,
    interrupt: Option<Signal>,
    terminate: Option<Signal>,
    hangup: Option<Signal>,
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
        }
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

/// Completes when `signal` arrives; never when it could not be installed.
async fn arrived(signal: &mut Option<Signal>) {
    if let Some(s) = signal
        && s.recv().await.is_some()
    {
        return;
    }
    std::future::pending().await
}
