//! `phone --ui`: the softphone on a terminal screen. The screen is filled from the
//! controller's state ([`Screen`]) and drawn whenever that changes (and four times a
//! second, for the clock and the call timers). Keys become console lines on the screen's
//! own console session (a local one, as stdin's), so they do what the console does. Its
//! answers, and every line the process writes to stdout or stderr, go to the event pane;
//! the status line shows the last stderr line (an event) or one-line answer. Stdout and
//! stderr also go to the `--log` file. Without a terminal the plain event log and the
//! stdin console go on as without `--ui`.

use super::Controller;
use super::keys::softkeys;
use crate::cli::screen::keymap::{Action, action};
use crate::cli::screen::{self, CallRow, CallerId, Entry, LineRow, Screen};
use crate::io::console::{ConsoleFeed, ConsoleOutput, Origin, SessionId};
use crate::io::terminal::{TermInput, Terminal};
use crate::ua::registration::Binding;
use std::collections::VecDeque;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;

/// How many event lines the pane keeps.
const LOG_LINES: usize = 500;

/// How often the screen is looked at again without a reason (the clock, the timers).
const TICK: Duration = Duration::from_millis(250);

/// The screen while it is shown.
pub struct Ui {
    terminal: Terminal,
    /// The screen's console session, and what the phone writes to it.
    session: SessionId,
    answers: UnboundedReceiver<ConsoleOutput>,
    log: VecDeque<String>,
    /// The `:` line being typed.
    prompt: Option<String>,
    /// The status line: the last event, or a hint about a key.
    status: String,
    /// What is on the terminal now.
    drawn: Option<screen::Frame>,
    next_tick: Instant,
}

/// With `ui`, opens the screen (its session on `feed`, its input for the controller's
/// wake-ups); without, or when there is no terminal (said in one line), the stdin console.
pub fn open(
    ui: bool,
    log: Option<&Path>,
    feed: &ConsoleFeed,
) -> (Option<Ui>, Option<UnboundedReceiver<TermInput>>) {
    if ui {
        match Terminal::open(log) {
            Ok((terminal, input)) => {
                let (session, answers) = feed.open(Origin::Stdin { terminal: false });
                let ui = Ui {
                    terminal,
                    session,
                    answers,
                    log: VecDeque::new(),
                    prompt: None,
                    status: String::new(),
                    drawn: None,
                    next_tick: Instant::now(),
                };
                return (Some(ui), Some(input));
            }
            Err(e) => eprintln!("sip7940 phone: --ui: {e}: showing the event log instead"),
        }
    }
    crate::io::console::stdin_console(feed);
    (None, None)
}

impl Ui {
    /// When to look at the screen again.
    pub fn next_tick(&self) -> Instant {
        self.next_tick
    }

    /// A line for the event pane; with `status`, also the status line.
    fn push_log(&mut self, line: String, status: bool) {
        if status && !line.trim().is_empty() {
            self.status = screen::without_time(&line).to_owned();
        }
        self.log.push_back(line);
        while self.log.len() > LOG_LINES {
            self.log.pop_front();
        }
    }

    /// The session's answers, to the pane; a one-line answer is also the status (a
    /// table is not). The running digits are on the screen already.
    fn take_answers(&mut self) {
        while let Ok(out) = self.answers.try_recv() {
            if let ConsoleOutput::Text(text) = out {
                let one = text.trim().lines().count() == 1;
                for line in text.lines().filter(|l| !l.starts_with("digits: ")) {
                    self.push_log(line.to_owned(), one);
                }
            }
        }
    }

    /// Draws `screen` with the pane and the prompt, if anything changed.
    fn draw(&mut self, screen: &Screen) {
        let (cols, rows) = self.terminal.size();
        let frame = screen::frame(screen, self.log.make_contiguous(), self.prompt.as_deref(), cols, rows);
        if self.drawn.as_ref() != Some(&frame) {
            self.terminal.draw(&frame.rows, frame.cursor);
            self.drawn = Some(frame);
        }
        self.next_tick = Instant::now() + TICK;
    }
}

impl Controller<'_> {
    /// What the screen shows now.
    fn screen(&self, now: Instant) -> Screen {
        let config = self.driver.phone.config();
        let registrations = self.driver.phone.registrations(now);
        let lines = config.lines.iter().enumerate().filter(|(_, l)| l.is_provisioned()).map(|(i, l)| {
            let key = i + 1;
            let state = registrations
                .iter()
                .find(|s| s.binding == Binding::Line(key))
                .map_or("NONE", |s| s.state.word());
            let label = if l.shortname.is_empty() { l.name.clone() } else { l.shortname.clone() };
            LineRow { key, label, state, selected: self.keypad.line() == key }
        });
        // A spare line key with a speed dial shows its label (pressing it dials).
        let speed = config.features.speed_dials.iter().enumerate().filter_map(|(i, s)| {
            let key = i + 1;
            let spare =
                key <= self.cli.model.lines() && !config.lines.get(i).is_some_and(|l| l.is_provisioned());
            let label = if s.label.is_empty() { s.number.clone() } else { s.label.clone() };
            (spare && !s.number.trim().is_empty()).then_some(LineRow {
                key,
                label,
                state: "speed dial",
                selected: false,
            })
        });
        let mut lines: Vec<LineRow> = lines.chain(speed).collect();
        lines.sort_by_key(|l| l.key);
        let current = self.calls.current();
        let calls = self
            .calls
            .iter()
            .map(|c| CallRow {
                id: c.id.0,
                line: c.line,
                outgoing: c.outgoing,
                caller: CallerId::parse(&c.peer),
                state: screen::state_word(&c.state, c.outgoing),
                timer: now.saturating_duration_since(c.connected.unwrap_or(c.started)),
                current: current == Some(c.id),
            })
            .collect();
        let digits = self.keypad.digits();
        let entry = if self.calls.is_empty() && (self.keypad.is_off_hook() || !digits.is_empty()) {
            Entry::Dialing {
                off_hook: self.keypad.is_off_hook(),
                digits: digits.clone(),
                line: self.keypad.line(),
            }
        } else {
            Entry::OnHook
        };
        let keys = softkeys(self.situation(), self.keypad.is_off_hook(), !digits.is_empty());
        let local = crate::io::clock::local_time();
        let label = match config.management.phone_label.as_str() {
            "" => config.lines.first().map(|l| l.name.clone()).unwrap_or_default(),
            label => label.to_owned(),
        };
        Screen {
            time: screen::clock_text(local.hour, local.minute, config.time.time_format_24hr),
            date: screen::date_text(&config.time.date_format, local.year, local.month, local.day),
            label,
            lines,
            calls,
            entry,
            status: self.ui.as_ref().map(|ui| ui.status.clone()).unwrap_or_default(),
            softkeys: keys.map(|k| k.map(super::keys::Soft::label)),
        }
    }

    /// Draws the screen if it is shown and something changed.
    pub(super) fn draw_screen(&mut self) {
        let Some(ui) = self.ui.as_mut() else { return };
        ui.take_answers();
        let screen = self.screen(Instant::now());
        if let Some(ui) = self.ui.as_mut() {
            ui.draw(&screen);
        }
    }

    /// A key or a caught line.
    pub(super) async fn on_screen(&mut self, input: TermInput) {
        let screen = self.screen(Instant::now());
        let Some(ui) = self.ui.as_mut() else { return };
        match input {
            TermInput::Stderr(line) => ui.push_log(line, true),
            TermInput::Stdout(line) => ui.push_log(line, false),
            TermInput::Closed => self.stop = Some("the terminal closed"),
            TermInput::Key(key) => match (ui.prompt.is_some(), action(&screen, &mut ui.prompt, key)) {
                (typed, Action::Console(line)) => {
                    let session = ui.session;
                    if typed {
                        ui.push_log(format!(":{line}"), false);
                    }
                    self.console_line(session, &line).await;
                }
                (_, Action::Redraw) => {
                    ui.drawn = None;
                    ui.terminal.draw(&[], None);
                }
                (_, Action::Hint(hint)) => ui.status = hint.to_owned(),
                (_, Action::Nothing) => {}
            },
        }
    }
}
