//! The phone's screen for `phone --ui`, as the 7940's LCD shows it: the header with the
//! time, date and `phone_label`; a row per line with its registration state; the current
//! call (caller id, state, call timer) and the others in short; the digits being typed;
//! a status line; the four softkey labels. Pure: the softphone fills a [`Screen`] from its
//! state, [`render`] turns it into rows of text of a fixed width, [`frame`] adds the key
//! help, the event log and the command prompt for a terminal of a given size, and
//! [`keymap`] says what a key does. The terminal itself is `io::terminal`'s.
//!
//! ```text
//!  Controller state ──▶ Screen ──render/frame──▶ rows of text ──▶ io::terminal::draw
//!  io::terminal keys ──▶ keymap::action(Screen, prompt, key) ──▶ a console line (or quit)
//! ```

pub mod keymap;
mod render;

pub use render::{Frame, LCD_WIDTH, frame, render};

use crate::sip::message::NameAddr;
use crate::sip::message::uri::Uri;
use crate::ua::call::CallState;
use crate::ua::session::Hold;
use std::time::Duration;

/// What the screen shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Screen {
    /// The time of day as the header shows it (`14:57`, or `2:57p` in 12-hour format).
    pub time: String,
    /// The date as the header shows it (`06/11/25` for `date_format : M/D/Y`).
    pub date: String,
    /// `phone_label`, else line 1's name.
    pub label: String,
    /// One row per provisioned line.
    pub lines: Vec<LineRow>,
    /// The calls, the current one marked.
    pub calls: Vec<CallRow>,
    /// The hook and the digits typed.
    pub entry: Entry,
    /// The last thing that happened, in one line.
    pub status: String,
    /// Softkeys 1..4, left to right.
    pub softkeys: [Option<&'static str>; 4],
}

/// A line as the screen shows it next to its line key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRow {
    /// The line key (1-based).
    pub key: usize,
    /// `lineN_shortname`, else `lineN_name`.
    pub label: String,
    /// The registration state as `sh reg` prints it (`REGISTERED`, `FAILED`, ...).
    pub state: &'static str,
    /// The line the next call goes out on.
    pub selected: bool,
}

/// A call as the screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRow {
    /// The call's number (as in `calls`).
    pub id: u64,
    /// The line it was placed from (incoming calls: none).
    pub line: Option<usize>,
    /// We placed it.
    pub outgoing: bool,
    /// Who is at the other end.
    pub caller: CallerId,
    /// Its state in the screen's words ([`state_word`]).
    pub state: &'static str,
    /// Since the answer (or, before it, since the call began).
    pub timer: Duration,
    /// The call the keys act on.
    pub current: bool,
}

/// The far end: a display name when it sent one, and a number (the user part of its
/// URI, else the URI).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallerId {
    /// The display name, if any.
    pub name: Option<String>,
    /// The number.
    pub number: String,
}

impl CallerId {
    /// From a From header value (`"Alice" <sip:23456@example.com>`), a dialled number or a
    /// URI; what does not parse is shown as it is.
    pub fn parse(peer: &str) -> CallerId {
        let Ok(na) = NameAddr::parse(peer.as_bytes()) else {
            return CallerId { name: None, number: peer.trim().to_owned() };
        };
        let name = na
            .display_name
            .map(|d| String::from_utf8_lossy(&d.text()).trim().to_owned())
            .filter(|n| !n.is_empty());
        let user = match &na.uri {
            Uri::Sip(sip) => sip.user_unescaped().map(|u| String::from_utf8_lossy(&u).into_owned()),
            _ => None,
        };
        let number = user.unwrap_or_else(|| {
            let raw = String::from_utf8_lossy(na.uri_raw).into_owned();
            raw.split_once(':').map_or(raw.clone(), |(_, rest)| rest.to_owned())
        });
        CallerId { name, number }
    }
}

/// The hook and the keypad, as the entry row shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Entry {
    /// On hook, nothing typed.
    #[default]
    OnHook,
    /// Digits typed (on hook: pre-dial) or the handset lifted; the line they go out on.
    Dialing {
        /// Off hook.
        off_hook: bool,
        /// The digits so far.
        digits: String,
        /// The line the call will use.
        line: usize,
    },
}

impl Screen {
    /// No call, nothing typed: `q` and Escape quit.
    pub fn is_idle(&self) -> bool {
        self.calls.is_empty() && self.entry == Entry::OnHook
    }

    /// The current call, if any.
    pub fn current(&self) -> Option<&CallRow> {
        self.calls.iter().find(|c| c.current)
    }
}

/// A call state as the 7940 names it on its screen.
pub fn state_word(state: &CallState, outgoing: bool) -> &'static str {
    match state {
        CallState::Calling | CallState::Proceeding(_) => "Calling",
        CallState::Ringing if outgoing => "Ring Out",
        CallState::Ringing => "Ringing",
        CallState::Connected => "Connected",
        CallState::Held(Hold::Local) => "On Hold",
        CallState::Held(Hold::Remote) => "Held by far end",
        CallState::Held(Hold::Both) => "On Hold (both)",
        CallState::Ending => "Ending",
        CallState::Ended(_) => "Ended",
    }
}

/// The call timer: `MM:SS`, `H:MM:SS` from an hour on.
pub fn timer(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// The header's time: `HH:MM`, or `H:MMa`/`H:MMp` when `time_format_24hr : 0`.
pub fn clock_text(hour: u32, minute: u32, hour24: bool) -> String {
    if hour24 {
        return format!("{hour:02}:{minute:02}");
    }
    let half = if hour < 12 { 'a' } else { 'p' };
    let h = match hour % 12 {
        0 => 12,
        h => h,
    };
    format!("{h}:{minute:02}{half}")
}

/// The header's date after `date_format`: its letters `M`, `D` and `Y` (two digits each, in
/// the order given), the separators as written (`M/D/Y` → `06/11/25`, `D.M.Y` →
/// `11.06.25`); an unknown format falls back to `M/D/Y`.
pub fn date_text(format: &str, year: i32, month: u32, day: u32) -> String {
    let known = format.chars().filter(|c| matches!(c.to_ascii_uppercase(), 'M' | 'D' | 'Y')).count() == 3
        && format.chars().all(|c| c.is_ascii_alphabetic() || "/.-".contains(c));
    let format = if known { format } else { "M/D/Y" };
    format
        .chars()
        .map(|c| match c.to_ascii_uppercase() {
            'M' => format!("{month:02}"),
            'D' => format!("{day:02}"),
            'Y' => format!("{:02}", year.rem_euclid(100)),
            other => other.to_string(),
        })
        .collect()
}

/// A log line without its time of day (`HH:MM:SS.mmm `), for the status line.
pub fn without_time(line: &str) -> &str {
    let b = line.as_bytes();
    let stamped = b.len() > 13
        && b.get(2) == Some(&b':')
        && b.get(5) == Some(&b':')
        && b.get(8) == Some(&b'.')
        && b.get(12) == Some(&b' ')
        && b.iter().take(2).all(u8::is_ascii_digit);
    if stamped { line.get(13..).unwrap_or(line) } else { line }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ua::call::EndReason;

    #[test]
    fn caller_id_from_a_from_header_a_number_or_a_uri() {
        let c = CallerId::parse("\"Line Two\" <sip:23456@sip.test>");
        assert_eq!((c.name.as_deref(), c.number.as_str()), (Some("Line Two"), "23456"));
        let c = CallerId::parse("Bob Smith <sip:%2B4930123@example.com;user=phone>");
        assert_eq!((c.name.as_deref(), c.number.as_str()), (Some("Bob Smith"), "+4930123"));
        assert_eq!(CallerId::parse("<sip:555@sip.test>"), CallerId { name: None, number: "555".into() });
        assert_eq!(CallerId::parse("99999"), CallerId { name: None, number: "99999".into() });
        assert_eq!(CallerId::parse("sip:example.com"), CallerId { name: None, number: "example.com".into() });
        assert_eq!(CallerId::parse("\"\" <sip:7@h>").name, None, "an empty display name is none");
        assert_eq!(CallerId::parse("<<bad").number, "<<bad");
    }

    #[test]
    fn words_timers_clock_and_date() {
        assert_eq!(state_word(&CallState::Ringing, false), "Ringing");
        assert_eq!(state_word(&CallState::Ringing, true), "Ring Out");
        assert_eq!(state_word(&CallState::Proceeding(100), true), "Calling");
        assert_eq!(state_word(&CallState::Held(Hold::Local), false), "On Hold");
        assert_eq!(state_word(&CallState::Held(Hold::Remote), false), "Held by far end");
        assert_eq!(state_word(&CallState::Ended(EndReason::Local), false), "Ended");
        assert_eq!(timer(Duration::from_secs(65)), "01:05");
        assert_eq!(timer(Duration::from_millis(3_725_900)), "1:02:05");
        assert_eq!(clock_text(14, 7, true), "14:07");
        assert_eq!((clock_text(14, 7, false), clock_text(0, 30, false)), ("2:07p".into(), "12:30a".into()));
        assert_eq!(date_text("M/D/Y", 2025, 6, 1), "06/01/25");
        assert_eq!(date_text("D.M.Y", 2025, 6, 1), "01.06.25");
        assert_eq!(date_text("Y-M-D", 2009, 12, 31), "09-12-31");
        assert_eq!(date_text("garbage", 2025, 6, 1), "06/01/25");
        assert_eq!(without_time("14:57:00.796 call 1: Ended: 404 Not Found"), "call 1: Ended: 404 Not Found");
        assert_eq!(without_time("sip7940 phone: stopped"), "sip7940 phone: stopped");
    }
}
