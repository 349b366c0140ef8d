//! The one place where the softphone reacts to the phone's events: a line for people
//! (stderr and the telnet sessions), then what follows from the event — ring or
//! auto-answer, media start and update, `--duration`, the end-of-call report. Whatever is
//! to happen on a call-state change (call-progress tones, say) goes into
//! [`Controller::handle_event`]'s match.

use super::Controller;
use crate::io::clock::time_of_day;
use crate::ua::call::{CallId, CallState};
use crate::ua::transfer::TransferProgress;
use crate::ua::{Event, Phone};
use std::time::{Duration, Instant};

impl Controller<'_> {
    /// Reacts to one event of the phone.
    pub(super) async fn handle_event(&mut self, event: Event) {
        if let Some(line) = describe(&self.driver.phone, &event) {
            self.say(&line);
        }
        let now = Instant::now();
        match event {
            Event::IncomingCall { id, caller, replaces, .. } => {
                self.calls.incoming(id, &caller, now);
                if replaces.is_some() {
                    // An attended transfer's target: the conversation goes on, no ringing.
                    let said = self.answer_call(id).unwrap_or_else(|e| e);
                    self.say(&said);
                    return;
                }
                self.retone(now).await;
                match self.options.auto_answer {
                    Some(secs) => self.answer_at.push((id, now + Duration::from_secs_f64(secs.max(0.0)))),
                    None => self.say(&format!(
                        "{} call {} from {caller} rings (answer it with `answer` on the console, or run with --auto-answer)",
                        time_of_day(),
                        id.0
                    )),
                }
            }
            Event::CallMedia { id, media } => {
                let audio = self.audio_for(id).await;
                self.media.on_media(id, media, self.driver.phone.config(), audio);
            }
            Event::Call { id, state } => {
                let ended = self.calls.set_state(id, &state, now);
                if let (Some(call), CallState::Ended(reason)) = (&ended, &state) {
                    self.tone_after_end(call.outgoing, reason, now).await;
                }
                match state {
                    CallState::Connected => {
                        self.retone(now).await;
                        if let Some(secs) = self.options.duration
                            && self.timed.insert(id)
                        {
                            self.hangup_at.push((id, now + Duration::from_secs_f64(secs.max(0.0))));
                        }
                    }
                    CallState::Ended(_) => {
                        self.answer_at.retain(|(a, _)| *a != id);
                        self.hangup_at.retain(|(h, _)| *h != id);
                        self.timed.remove(&id);
                        if ended.is_some() && self.calls.is_empty() {
                            self.keypad.on_hook();
                        }
                        let report = self.media.finish(id).await;
                        self.say(&report.join("\n"));
                        // The call's media gave the sound card back: a call still ringing
                        // may be heard now.
                        self.retone(Instant::now()).await;
                    }
                    _ => self.retone(now).await,
                }
            }
            // Read after this round of events (reading restarts the phone, which runs it).
            Event::CheckSync { .. } => self.check_sync_due = true,
            Event::Transfer { id, progress: TransferProgress::Asked { target, .. } } => {
                self.follow_transfer(id, &target)
            }
            Event::Registration { .. }
            | Event::Dropped { .. }
            | Event::Refused { .. }
            | Event::Screened { .. }
            | Event::Transfer { .. } => {}
        }
    }

    /// The far end of call `id` transferred us (REFER): call the target, as the 7940 does,
    /// with RTP on a freshly bound port.
    fn follow_transfer(&mut self, id: CallId, target: &str) {
        let line = match self.media.bind(self.driver.phone.config()) {
            Ok(sockets) => {
                let port = sockets.port().unwrap_or(self.driver.phone.config().nat.start_media_port);
                match self.driver.phone.follow_transfer(Instant::now(), id, port) {
                    Ok(call) => {
                        self.media.keep(call, sockets);
                        self.calls.placed(call, 1, target, Instant::now());
                        format!(
                            "{} call {}: transferred, calling {target} (call {})",
                            time_of_day(),
                            id.0,
                            call.0
                        )
                    }
                    Err(e) => format!("{} call {}: transfer to {target} failed: {e}", time_of_day(), id.0),
                }
            }
            Err(e) => {
                let _ = self.driver.phone.decline_transfer(Instant::now(), id);
                format!("{} call {}: transfer to {target} declined: {e}", time_of_day(), id.0)
            }
        };
        self.say(&line);
    }
}

/// The line people read for an event, if any: a call's new state, an incoming call, a
/// registration change (with the last failure in words).
pub fn describe(phone: &Phone, event: &Event) -> Option<String> {
    let line = match event {
        Event::Call { id, state } => format!("{} call {}: {state}", time_of_day(), id.0),
        Event::IncomingCall { id, caller, waiting, replaces } => {
            let note = match (replaces, waiting) {
                (Some(old), _) => format!(" (attended transfer: replaces call {})", old.0),
                (None, true) => " (call waiting)".to_owned(),
                (None, false) => String::new(),
            };
            format!("{} call {}: incoming from {caller}{note}", time_of_day(), id.0)
        }
        Event::Screened { caller, code, reason } => {
            format!("{} call from {caller}: {code}, {reason}", time_of_day())
        }
        Event::Transfer { id, progress } => format!("{} call {}: transfer: {progress}", time_of_day(), id.0),
        Event::Registration { binding, from, to } => {
            let detail = phone
                .registrations(Instant::now())
                .into_iter()
                .find(|s| s.binding == *binding)
                .and_then(|s| s.last_failure.map(|f| format!(" — {f}")))
                .unwrap_or_default();
            format!("{} line {binding}: {from} -> {to}{detail}", time_of_day())
        }
        Event::CheckSync { from } => {
            format!("{} check-sync from {from}: reading the files again", time_of_day())
        }
        Event::CallMedia { .. } | Event::Dropped { .. } | Event::Refused { .. } => return None,
    };
    Some(line)
}
