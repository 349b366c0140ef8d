//! The open console sessions: each one's state ([`ConsoleSession`]) and writer, what is
//! written to all of them (events) and to those that monitor SIP messages.

use crate::cli::console::{Access, ConsoleSession, Step};
use crate::config::PhoneConfig;
use crate::io::console::{ConsoleOutput, Origin, SessionId, SessionWriter};
use std::collections::BTreeMap;

/// The configuration's part that the console reads.
pub fn access(config: &PhoneConfig) -> Access<'_> {
    let m = &config.management;
    Access { password: &m.phone_password, prompt: &m.phone_prompt, telnet_level: m.telnet_level }
}

/// Every open session.
#[derive(Default)]
pub struct Consoles {
    sessions: BTreeMap<SessionId, (ConsoleSession, SessionWriter)>,
}

impl Consoles {
    /// A session opened: greet it (password prompt, or the prompt).
    pub fn open(&mut self, id: SessionId, origin: Origin, writer: SessionWriter, config: &PhoneConfig) {
        let session = match origin {
            Origin::Tcp(_) => ConsoleSession::telnet(),
            Origin::Stdin { terminal } => ConsoleSession::local(terminal),
        };
        for out in session.open(access(config)) {
            writer.send(out);
        }
        self.sessions.insert(id, (session, writer));
    }

    /// A session ended.
    pub fn close(&mut self, id: SessionId) {
        self.sessions.remove(&id);
    }

    /// Ends every telnet session (the console was turned off by `reset`).
    pub fn close_telnet(&mut self) {
        self.sessions.retain(|_, (s, w)| {
            if s.is_telnet() {
                w.send(ConsoleOutput::Close);
            }
            !s.is_telnet()
        });
    }

    /// A typed line: writes what the session says at once, returns the command to run.
    pub fn line(
        &mut self,
        id: SessionId,
        text: &str,
        config: &PhoneConfig,
    ) -> Option<crate::cli::console::Command> {
        let (session, writer) = self.sessions.get_mut(&id)?;
        let Step { out, run } = session.on_line(text, access(config));
        for o in out {
            writer.send(o);
        }
        run
    }

    /// Writes a command's answer, then the prompt.
    pub fn answer(&self, id: SessionId, text: &str, config: &PhoneConfig) {
        let Some((session, writer)) = self.sessions.get(&id) else { return };
        if !text.is_empty() {
            writer.text(text);
        }
        if let Some(prompt) = session.prompt(access(config)) {
            writer.send(prompt);
        }
    }

    /// Whether the session runs the commands that change the phone.
    pub fn is_local(&self, id: SessionId) -> bool {
        self.sessions.get(&id).is_some_and(|(s, _)| !s.is_telnet())
    }

    /// An event line, to every logged-in telnet session (stdin's user sees stderr), with
    /// the prompt again after it.
    pub fn broadcast(&self, line: &str, config: &PhoneConfig) {
        for (session, writer) in self.sessions.values().filter(|(s, _)| s.is_ready() && s.is_telnet()) {
            writer.text(format!("\n{line}\n"));
            if let Some(prompt) = session.prompt(access(config)) {
                writer.send(prompt);
            }
        }
    }

    /// Whether some session wants the SIP messages.
    pub fn any_monitor(&self) -> bool {
        self.sessions.values().any(|(s, _)| s.monitor())
    }

    /// A traced SIP message, to the sessions that asked for them.
    pub fn trace(&self, text: &str) {
        for (_, writer) in self.sessions.values().filter(|(s, _)| s.monitor()) {
            writer.text(format!("{text}\n"));
        }
    }
}
