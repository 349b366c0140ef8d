//! Call waiting (`call_waiting : 1`): a second call rings while one is answered; answering
//! it puts the answered one on hold, and [`Phone::swap`] moves between them.
//!
//! ```text
//!  call A Connected ── INVITE B ─▶ B rings (IncomingCall { waiting: true })
//!        answer(B): A ─re-INVITE sendonly─▶ Held(Local) · B ─200─▶ Connected
//!        swap(B, A): B ─sendonly─▶ Held(Local) · A ─sendrecv─▶ Connected
//! ```
//! With `call_waiting : 0` a call that comes in while another is live gets 486.

use super::call::{CallId, CallState};
use super::phone::Phone;
use super::session::Hold;
use std::time::Instant;

impl Phone {
    /// Whether an answered call is live (so a new incoming call is a waiting call).
    pub(super) fn has_answered_call(&self) -> bool {
        self.live.iter().any(|id| {
            self.sessions
                .get(id)
                .is_some_and(|(s, _)| matches!(s.state(), CallState::Connected | CallState::Held(_)))
        })
    }

    /// Puts every answered call but `except` on hold that we do not hold already (when a
    /// waiting call is answered, or a held one resumed by [`swap`](Self::swap)).
    pub(super) fn hold_others(&mut self, now: Instant, except: CallId) {
        let talking: Vec<CallId> = self
            .live
            .iter()
            .filter(|id| **id != except)
            .filter(|id| {
                self.sessions.get(id).is_some_and(|(s, _)| {
                    matches!(s.state(), CallState::Connected | CallState::Held(Hold::Remote))
                })
            })
            .copied()
            .collect();
        for id in talking {
            self.hold(now, id);
        }
    }

    /// Swaps between two answered calls: holds `hold` and resumes `resume` (each with a
    /// re-INVITE). False when either is not an answered call.
    pub fn swap(&mut self, now: Instant, hold: CallId, resume: CallId) -> bool {
        let answered = |id: &CallId| {
            self.sessions
                .get(id)
                .is_some_and(|(s, _)| matches!(s.state(), CallState::Connected | CallState::Held(_)))
        };
        if hold == resume || !answered(&hold) || !answered(&resume) {
            return false;
        }
        self.hold(now, hold) && self.resume(now, resume)
    }
}
