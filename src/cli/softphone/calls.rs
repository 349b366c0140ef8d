//! The softphone's view of its calls, kept from the phone's events: who is at the other
//! end, which line, since when, in what state; which call a verb without a number means;
//! and the `calls` listing. Time is passed in.

use crate::ua::call::{CallId, CallState};
use crate::ua::session::Hold;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// One call the softphone knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallInfo {
    /// The phone's handle.
    pub id: CallId,
    /// The line it was placed from; `None` for incoming calls.
    pub line: Option<usize>,
    /// We placed it.
    pub outgoing: bool,
    /// The far end: the number dialled, or the caller's From (without its tag).
    pub peer: String,
    /// When it began.
    pub started: Instant,
    /// When it was answered.
    pub connected: Option<Instant>,
    /// Its last state.
    pub state: CallState,
}

/// The calls that have not ended.
#[derive(Debug, Clone, Default)]
pub struct CallTable {
    calls: BTreeMap<CallId, CallInfo>,
}

impl CallTable {
    /// We placed `id` from `line` to `number`.
    pub fn placed(&mut self, id: CallId, line: usize, number: &str, now: Instant) {
        let info = CallInfo {
            id,
            line: Some(line),
            outgoing: true,
            peer: number.to_owned(),
            started: now,
            connected: None,
            state: CallState::Calling,
        };
        self.calls.insert(id, info);
    }

    /// `id` rings, from `caller` (a From header value).
    pub fn incoming(&mut self, id: CallId, caller: &str, now: Instant) {
        let info = CallInfo {
            id,
            line: None,
            outgoing: false,
            peer: without_tag(caller),
            started: now,
            connected: None,
            state: CallState::Ringing,
        };
        self.calls.insert(id, info);
    }

    /// A state change; an ended call leaves the table (and is returned).
    pub fn set_state(&mut self, id: CallId, state: &CallState, now: Instant) -> Option<CallInfo> {
        if matches!(state, CallState::Ended(_)) {
            return self.calls.remove(&id);
        }
        let info = self.calls.get_mut(&id)?;
        if matches!(state, CallState::Connected | CallState::Held(_)) && info.connected.is_none() {
            info.connected = Some(now);
        }
        info.state = state.clone();
        None
    }

    /// A call by its handle.
    pub fn get(&self, id: CallId) -> Option<&CallInfo> {
        self.calls.get(&id)
    }

    /// The calls, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &CallInfo> {
        self.calls.values()
    }

    /// No call.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// Forgets every call (after `reset`).
    pub fn clear(&mut self) {
        self.calls.clear();
    }

    /// The call a verb without a number means: the newest talking call, else the newest
    /// held one, else the newest of any kind.
    pub fn current(&self) -> Option<CallId> {
        let newest =
            |pick: &dyn Fn(&CallInfo) -> bool| self.calls.values().rev().find(|c| pick(c)).map(|c| c.id);
        newest(&|c| c.state == CallState::Connected)
            .or_else(|| newest(&|c| matches!(c.state, CallState::Held(_))))
            .or_else(|| newest(&|_| true))
    }

    /// The oldest incoming call that rings.
    pub fn ringing(&self) -> Option<CallId> {
        self.calls.values().find(|c| !c.outgoing && c.state == CallState::Ringing).map(|c| c.id)
    }

    /// `calls`: one row per call.
    pub fn listing(&self, now: Instant) -> String {
        if self.calls.is_empty() {
            return "No calls\n".into();
        }
        let mut out =
            format!("{:<6}{:<6}{:<5}{:<26}{:<8}{}\n", "call", "line", "dir", "state", "time", "peer");
        for c in self.calls.values() {
            let line = c.line.map_or_else(|| "-".to_owned(), |l| l.to_string());
            let dir = if c.outgoing { "out" } else { "in" };
            let since = now.saturating_duration_since(c.connected.unwrap_or(c.started));
            let state = c.state.to_string();
            out.push_str(&format!(
                "{:<6}{line:<6}{dir:<5}{state:<26}{:<8}{}\n",
                c.id.0,
                clock(since),
                c.peer
            ));
        }
        out
    }
}

/// Whether we hold the call (a verb `resume` undoes it).
pub fn held_by_us(state: &CallState) -> bool {
    matches!(state, CallState::Held(Hold::Local | Hold::Both))
}

/// `m:ss`, or `h:mm:ss` from an hour on.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// A From header value without its parameters after the URI (`;tag=…`).
fn without_tag(from: &str) -> String {
    match from.find('>') {
        Some(end) => from[..=end].trim().to_owned(),
        None => from.split(';').next().unwrap_or(from).trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ua::call::EndReason;

    #[test]
    fn the_current_call_prefers_talking_then_held_then_newest() {
        let t0 = Instant::now();
        let mut table = CallTable::default();
        table.placed(CallId(1), 1, "23456", t0);
        table.incoming(CallId(2), "\"Two\" <sip:23456@sip.test>;tag=9", t0);
        assert_eq!(table.current(), Some(CallId(2)));
        assert_eq!(table.ringing(), Some(CallId(2)));
        table.set_state(CallId(1), &CallState::Connected, t0);
        assert_eq!(table.current(), Some(CallId(1)));
        table.set_state(CallId(1), &CallState::Held(Hold::Local), t0);
        table.set_state(CallId(2), &CallState::Connected, t0);
        assert_eq!((table.current(), table.ringing()), (Some(CallId(2)), None));
        let ended = table.set_state(CallId(2), &CallState::Ended(EndReason::Remote), t0);
        assert_eq!(ended.map(|c| c.peer), Some("\"Two\" <sip:23456@sip.test>".to_owned()));
        assert_eq!(table.current(), Some(CallId(1)), "the held call");
        assert!(held_by_us(&table.get(CallId(1)).unwrap().state));
        table.set_state(CallId(1), &CallState::Ended(EndReason::Local), t0);
        assert!(table.is_empty() && table.current().is_none());
    }

    #[test]
    fn the_listing_counts_from_the_answer() {
        let t0 = Instant::now();
        let mut table = CallTable::default();
        assert_eq!(table.listing(t0), "No calls\n");
        table.placed(CallId(3), 2, "sip:bob@example.com", t0);
        table.set_state(CallId(3), &CallState::Ringing, t0 + Duration::from_secs(1));
        table.set_state(CallId(3), &CallState::Connected, t0 + Duration::from_secs(5));
        table.incoming(CallId(4), "<sip:555@sip.test>;tag=x", t0);
        let text = table.listing(t0 + Duration::from_secs(70));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "call  line  dir  state                     time    peer");
        assert_eq!(lines[1], "3     2     out  Connected                 1:05    sip:bob@example.com");
        assert_eq!(lines[2], "4     -     in   Ringing                   1:10    <sip:555@sip.test>");
        assert_eq!(without_tag("sip:1@h;tag=2"), "sip:1@h");
        assert_eq!(clock(Duration::from_secs(3725)), "1:02:05");
    }
}
