//! Attended and semi-attended transfer (RFC 5589 §7, `Replaces` of RFC 3891), in the
//! three roles: transferor, transferee (see [`super::transfer`]) and target.
//!
//! ```text
//!  transferor (we)          transferee                       target
//!   call A ── held ─────────── (A)
//!   call B (consultation) ──────────────────────────────────── (B)
//!   transfer_attended(A, B):
//!     B answered ─REFER in A, Refer-To: <target?Replaces=B's id>─▶
//!                                 ─INVITE, Replaces: B's id────▶ matches B: answers at once,
//!                                 ◀─────────────────── 200 ──── BYE for B ─▶ (B ends here)
//!     ◀─ NOTIFY "200 OK" ──────── Succeeded: A hung up (and B, if the target has not)
//!     B still ringing, semi_attended_transfer : 1: CANCEL B, then a blind REFER to B's
//!       Request-URI; semi_attended_transfer : 0: refused until B answers
//!
//!  target (we): an INVITE with Replaces naming a live answered call of ours
//!     → IncomingCall { replaces: Some(old) }: the app answers it at once (no ringing,
//!       no Do Not Disturb, forward or call waiting rules); once it is connected, the
//!       old call is hung up.
//!     no such call → 481; the call already ended → 603; `early-only` on an answered
//!     call → 486; a malformed or repeated Replaces → 400.
//! ```

use super::call::{CallId, CallState};
use super::phone::Phone;
use super::transfer::TransferError;
use crate::sip::message::{HeaderName, Message};
use crate::sip::replaces::Replaces;
use std::time::Instant;

/// Why an INVITE's `Replaces` cannot be honoured: the status to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ReplacesRefused(pub u16);

impl Phone {
    /// Attended transfer, the Transfer key pressed the second time: the far end of the
    /// answered call `held` is asked (REFER with `Replaces`) to call the party of the
    /// consultation call `consultation` and take it over. When the consultation call
    /// still rings, `semi_attended_transfer : 1` cancels it and transfers blind to its
    /// number; `semi_attended_transfer : 0` refuses until it is answered. Progress comes
    /// as [`super::Event::Transfer`] on `held`; on success both calls end here. Returns the
    /// Refer-To URI.
    pub fn transfer_attended(
        &mut self,
        now: Instant,
        held: CallId,
        consultation: CallId,
    ) -> Result<String, TransferError> {
        if held == consultation {
            return Err(TransferError::NoConsultation);
        }
        if self.transfers.is_referred(held) {
            return Err(TransferError::InProgress);
        }
        if !self.sessions.get(&held).is_some_and(|(s, _)| s.is_live()) {
            return Err(TransferError::NotAnswered);
        }
        if let Some((s, _)) = self.sessions.get(&consultation) {
            if !s.is_live() {
                return Err(TransferError::NoConsultation);
            }
            let replaces = Replaces {
                call_id: s.call_id().to_owned(),
                // As the target sees its dialog: its tag is the far end's, ours is From.
                to_tag: s.remote_tag().to_owned(),
                from_tag: s.local_tag().to_owned(),
                early_only: false,
            };
            let refer_to = replaces.embed_in(&s.remote_uri());
            self.send_refer(now, held, &refer_to, Some(consultation))?;
            return Ok(refer_to);
        }
        let ringing = self.calls.get(&consultation).filter(|(c, _)| {
            matches!(c.state(), CallState::Calling | CallState::Proceeding(_) | CallState::Ringing)
        });
        let Some((call, _)) = ringing else { return Err(TransferError::NoConsultation) };
        if !self.config.features.semi_attended_transfer {
            return Err(TransferError::ConsultationNotAnswered);
        }
        let target = call.target_uri().to_owned();
        self.send_refer(now, held, &target, None)?;
        self.hangup(now, consultation);
        Ok(target)
    }

    /// Target: the live answered call an INVITE's `Replaces` names, if it has one.
    pub(super) fn replaced_call(&self, req: &Message<'_>) -> Result<Option<CallId>, ReplacesRefused> {
        match req.count(HeaderName::Replaces) {
            0 => return Ok(None),
            1 => {}
            _ => return Err(ReplacesRefused(400)),
        }
        let value = req.header(HeaderName::Replaces).map(|h| h.value()).unwrap_or_default();
        let replaces = Replaces::parse(&String::from_utf8_lossy(&value)).ok_or(ReplacesRefused(400))?;
        let found = self.sessions.iter().find(|(_, (s, _))| {
            s.call_id() == replaces.call_id
                && s.local_tag() == replaces.to_tag
                && s.remote_tag() == replaces.from_tag
        });
        // Early dialogs are never replaced: a ringing call is not a call to take over.
        let Some((id, (session, _))) = found else { return Err(ReplacesRefused(481)) };
        if !self.live.contains(id) || !session.is_live() {
            return Err(ReplacesRefused(603));
        }
        if replaces.early_only {
            return Err(ReplacesRefused(486));
        }
        Ok(Some(*id))
    }

    /// Target: the call that replaces another changed state: connected, the old one is
    /// hung up; ended before that, the old one stays.
    pub(super) fn replacing_call_changed(&mut self, now: Instant, id: CallId, state: &CallState) {
        match state {
            CallState::Connected => {
                if let Some(old) = self.transfers.replacing.remove(&id) {
                    self.hangup(now, old);
                }
            }
            CallState::Ended(_) => {
                self.transfers.replacing.remove(&id);
            }
            _ => {}
        }
    }
}
