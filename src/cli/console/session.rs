//! One console session's state: the password gate, the prompt, the privilege and the
//! SIP-message monitor. Pure: lines in, [`Step`]s out; the phone's task carries out the
//! commands and writes what they print.
//!
//! ```text
//!  telnet ──▶ "Password :" (client echo off) ──right──▶ Ready: "<phone_prompt>> " (or "#")
//!                 │  wrong: "Password :" again            │  line ──▶ command ──▶ prompt
//!                 └─ third wrong: closed                  └─ quit / exit: closed
//!  stdin ───▶ Ready at once (the local user), privileged; prompt only on a terminal
//! ```
//!
//! The password is compared and dropped: it is never echoed, printed or logged, and a
//! wrong one is not repeated back. An empty `phone_password` opens nothing.

use super::command::{Command, ParseError, parse};
use crate::config::Secret;
use crate::io::console::ConsoleOutput;

/// Wrong passwords before the connection is closed.
pub const MAX_PASSWORD_TRIES: u8 = 3;

/// What the session needs from the configuration (read afresh on each line: `reset` may
/// change it).
#[derive(Debug, Clone, Copy)]
pub struct Access<'a> {
    /// `phone_password`.
    pub password: &'a Secret,
    /// `phone_prompt`.
    pub prompt: &'a str,
    /// `telnet_level`: 2 allows the commands that change the phone.
    pub telnet_level: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Login {
    /// Waiting for the password; wrong ones so far.
    Password(u8),
    /// Logged in.
    Ready,
    /// Closed (after the third wrong password or `quit`).
    Closed,
}

/// What to do after a line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Step {
    /// What to write first.
    pub out: Vec<ConsoleOutput>,
    /// A command to carry out; afterwards write its text and then [`ConsoleSession::prompt`].
    pub run: Option<Command>,
}

/// One session.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    login: Login,
    telnet: bool,
    show_prompt: bool,
    monitor: bool,
}

impl ConsoleSession {
    /// A telnet session: password first.
    pub fn telnet() -> Self {
        Self { login: Login::Password(0), telnet: true, show_prompt: true, monitor: false }
    }

    /// The stdin session: no password, every command; the prompt only when a person types
    /// at a terminal (a script's pipe gets only the answers).
    pub fn local(terminal: bool) -> Self {
        Self { login: Login::Ready, telnet: false, show_prompt: terminal, monitor: false }
    }

    /// What to write when the session opens.
    pub fn open(&self, access: Access<'_>) -> Vec<ConsoleOutput> {
        match self.login {
            Login::Password(_) => password_prompt(),
            Login::Ready => self.prompt(access).into_iter().collect(),
            Login::Closed => vec![],
        }
    }

    /// Logged in (and not closed).
    pub fn is_ready(&self) -> bool {
        self.login == Login::Ready
    }

    /// A telnet session (events are written to it; stdin's go to stderr already).
    pub fn is_telnet(&self) -> bool {
        self.telnet
    }

    /// Whether SIP messages are shown here (`debug sip-messages`).
    pub fn monitor(&self) -> bool {
        self.monitor && self.is_ready()
    }

    /// Whether this session may run commands that change the phone.
    pub fn privileged(&self, access: Access<'_>) -> bool {
        !self.telnet || access.telnet_level >= 2
    }

    /// The prompt (`SIP Phone> `, or `SIP Phone# ` when privileged), when one is shown.
    pub fn prompt(&self, access: Access<'_>) -> Option<ConsoleOutput> {
        let mark = if self.telnet && access.telnet_level >= 2 { '#' } else { '>' };
        (self.show_prompt && self.is_ready())
            .then(|| ConsoleOutput::Text(format!("{}{mark} ", access.prompt)))
    }

    /// A typed line.
    pub fn on_line(&mut self, line: &str, access: Access<'_>) -> Step {
        match self.login {
            Login::Closed => Step::default(),
            Login::Password(failures) => self.on_password(line, failures, access),
            Login::Ready => self.on_command(line, access),
        }
    }

    fn on_password(&mut self, typed: &str, failures: u8, access: Access<'_>) -> Step {
        if password_matches(typed, access.password) {
            self.login = Login::Ready;
            let mut out = vec![ConsoleOutput::EchoOn, ConsoleOutput::Text("\n".into())];
            out.extend(self.prompt(access));
            return Step { out, run: None };
        }
        let failures = failures + 1;
        if failures >= MAX_PASSWORD_TRIES {
            self.login = Login::Closed;
            let out = vec![ConsoleOutput::EchoOn, ConsoleOutput::Text("\n".into()), ConsoleOutput::Close];
            return Step { out, run: None };
        }
        self.login = Login::Password(failures);
        let mut out = vec![ConsoleOutput::Text("\n".into())];
        out.extend(password_prompt());
        Step { out, run: None }
    }

    fn on_command(&mut self, line: &str, access: Access<'_>) -> Step {
        let mut step = Step::default();
        match parse(line) {
            Ok(Command::Empty) => {}
            Ok(Command::Monitor(on)) => {
                self.monitor = on;
                let what = if on {
                    "SIP message tracing on (tty mon 0 stops it)"
                } else {
                    "SIP message tracing off"
                };
                step.out.push(ConsoleOutput::Text(format!("{what}\n")));
            }
            Ok(Command::Help) => {
                step.out.push(ConsoleOutput::Text(super::command::help(self.privileged(access))));
            }
            Ok(Command::Quit) if self.telnet => {
                self.login = Login::Closed;
                step.out.push(ConsoleOutput::Close);
                return step;
            }
            Ok(command) if command.needs_privilege() && !self.privileged(access) => {
                let text = "% Not allowed at telnet_level 1 (set telnet_level : 2)\n";
                step.out.push(ConsoleOutput::Text(text.into()));
            }
            Ok(command) => {
                step.run = Some(command);
                return step;
            }
            Err(e @ (ParseError::Unknown(_) | ParseError::Usage(_))) => {
                step.out.push(ConsoleOutput::Text(format!("{e}\n")));
            }
        }
        step.out.extend(self.prompt(access));
        step
    }
}

fn password_prompt() -> Vec<ConsoleOutput> {
    vec![ConsoleOutput::EchoOff, ConsoleOutput::Text("Password :".into())]
}

/// Compares in time that depends only on the lengths; an empty configured password never
/// matches.
fn password_matches(typed: &str, password: &Secret) -> bool {
    let (a, b) = (typed.as_bytes(), password.expose().as_bytes());
    if b.is_empty() || a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(password: &Secret, level: u8) -> Access<'_> {
        Access { password, prompt: "SIP Phone", telnet_level: level }
    }

    fn text(out: &[ConsoleOutput]) -> String {
        out.iter()
            .filter_map(|o| match o {
                ConsoleOutput::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_password_then_the_prompt() {
        let secret = Secret::new("cisco");
        let mut s = ConsoleSession::telnet();
        assert_eq!(
            s.open(access(&secret, 1)),
            [ConsoleOutput::EchoOff, ConsoleOutput::Text("Password :".into())]
        );
        assert!(!s.is_ready());
        // Commands are not commands before the password.
        let step = s.on_line("sh reg", access(&secret, 1));
        assert_eq!(step.run, None);
        assert_eq!(text(&step.out), "\nPassword :");
        let step = s.on_line("cisco", access(&secret, 1));
        assert!(s.is_ready());
        assert_eq!(step.out.first(), Some(&ConsoleOutput::EchoOn));
        assert_eq!(text(&step.out), "\nSIP Phone> ");
        assert_eq!(s.on_line("sh reg", access(&secret, 1)).run, Some(Command::ShowRegister));
    }

    #[test]
    fn three_wrong_passwords_close_and_none_is_repeated() {
        let secret = Secret::new("cisco");
        let mut s = ConsoleSession::telnet();
        let mut all = Vec::new();
        for wrong in ["Cisco", "cisco ", "hunter2"] {
            let step = s.on_line(wrong, access(&secret, 2));
            assert_eq!(step.run, None);
            all.extend(step.out);
        }
        assert_eq!(all.last(), Some(&ConsoleOutput::Close));
        assert_eq!(all.iter().filter(|o| **o == ConsoleOutput::Close).count(), 1);
        let said = text(&all);
        assert_eq!(said.matches("Password :").count(), 2, "{said}");
        for secret_text in ["cisco", "Cisco", "hunter2"] {
            assert!(!said.contains(secret_text));
        }
        // Closed for good: even the right password does nothing now.
        assert_eq!(s.on_line("cisco", access(&secret, 2)), Step::default());
        assert!(!s.is_ready());
    }

    #[test]
    fn an_empty_configured_password_opens_nothing() {
        let empty = Secret::new("");
        let mut s = ConsoleSession::telnet();
        let step = s.on_line("", access(&empty, 2));
        assert!(!s.is_ready());
        assert_eq!(text(&step.out), "\nPassword :");
    }

    #[test]
    fn level_1_shows_but_does_not_change() {
        let secret = Secret::new("cisco");
        let mut s = ConsoleSession::telnet();
        s.on_line("cisco", access(&secret, 1));
        assert_eq!(s.on_line("sh reg", access(&secret, 1)).run, Some(Command::ShowRegister));
        let step = s.on_line("reset", access(&secret, 1));
        assert_eq!(step.run, None);
        assert!(text(&step.out).starts_with("% Not allowed at telnet_level 1"));
        assert!(text(&step.out).ends_with("SIP Phone> "));
        // Level 2 (after a reset that raised it): privileged, with '#'.
        assert_eq!(s.on_line("reset", access(&secret, 2)).run, Some(Command::Reset));
        assert_eq!(s.prompt(access(&secret, 2)), Some(ConsoleOutput::Text("SIP Phone# ".into())));
    }

    #[test]
    fn monitor_help_errors_and_quit_stay_in_the_session() {
        let secret = Secret::new("cisco");
        let mut s = ConsoleSession::telnet();
        s.on_line("cisco", access(&secret, 2));
        assert!(!s.monitor());
        let step = s.on_line("debug sip-messages", access(&secret, 2));
        assert!(s.monitor() && step.run.is_none());
        s.on_line("tty mon 0", access(&secret, 2));
        assert!(!s.monitor());
        assert!(text(&s.on_line("help", access(&secret, 2)).out).contains("dial NUMBER"));
        let step = s.on_line("frob", access(&secret, 2));
        assert_eq!(text(&step.out), "% Unknown command \"frob\" (help lists the commands)\nSIP Phone# ");
        let step = s.on_line("", access(&secret, 2));
        assert_eq!(text(&step.out), "SIP Phone# ");
        assert_eq!(s.on_line("quit", access(&secret, 2)).out, [ConsoleOutput::Close]);
        assert!(!s.is_ready());
    }

    #[test]
    fn stdin_is_the_local_user() {
        let secret = Secret::new("cisco");
        let mut s = ConsoleSession::local(false);
        assert!(s.is_ready() && !s.is_telnet());
        assert!(s.open(access(&secret, 0)).is_empty(), "no prompt for a pipe");
        assert_eq!(s.on_line("reset", access(&secret, 0)).run, Some(Command::Reset));
        // quit on stdin is the controller's to decide (it stops the phone).
        assert_eq!(s.on_line("quit", access(&secret, 0)).run, Some(Command::Quit));
        let terminal = ConsoleSession::local(true);
        assert_eq!(terminal.open(access(&secret, 0)), [ConsoleOutput::Text("SIP Phone> ".into())]);
    }
}
