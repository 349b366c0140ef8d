//! The Transfer key, as on the 7940: pressed in a call, the call goes on hold and the
//! phone waits for the target's number (the consultation call); pressed again, the held
//! call is transferred to the consultation call's party — attended when it answered,
//! semi-attended while it rings (`semi_attended_transfer : 1`). `transfer NUMBER` on the
//! console stays a blind transfer.
//!
//! ```text
//!  Connected ──Transfer──▶ A on hold, off hook ──digits (dial plan)──▶ consultation B
//!      B rings or answers ──Transfer──▶ REFER in A (Replaces B when B answered)
//!      EndCall: B ends, A stays on hold (Resume takes it back); A ends: no transfer
//! ```

use super::Controller;
use crate::ua::call::{CallId, CallState};
use std::time::Instant;

impl Controller<'_> {
    /// The Transfer softkey, or `transfer` without a number.
    pub(super) fn transfer_key(&mut self) -> Result<String, String> {
        self.forget_stale_transfer();
        if let Some(held) = self.transfer_from {
            let Some(consultation) = self.consultation() else {
                return Err(format!("% transfer: call {} is on hold; dial the target first", held.0));
            };
            return self.complete_transfer(held, consultation);
        }
        // One call held and one talking (call waiting, swap): transfer one to the other.
        let talking = self.calls.iter().find(|c| c.state == CallState::Connected).map(|c| c.id);
        let held = self.calls.iter().find(|c| super::calls::held_by_us(&c.state)).map(|c| c.id);
        if let (Some(talking), Some(held)) = (talking, held) {
            return self.complete_transfer(held, talking);
        }
        let Some(id) = talking else { return Err("% transfer: no connected call".into()) };
        if !self.driver.phone.hold(Instant::now(), id) {
            return Err(format!("% call {} is not answered", id.0));
        }
        self.transfer_from = Some(id);
        self.keypad.off_hook(None);
        Ok(format!("call {}: on hold for transfer; dial the target, then Transfer again", id.0))
    }

    /// The REFER of `held` towards the party of `consultation`.
    fn complete_transfer(&mut self, held: CallId, consultation: CallId) -> Result<String, String> {
        let answered = self.calls.get(consultation).is_some_and(|c| c.connected.is_some());
        match self.driver.phone.transfer_attended(Instant::now(), held, consultation) {
            Ok(uri) => {
                self.transfer_from = None;
                let how = if answered { "attended" } else { "semi-attended" };
                let target = uri.split('?').next().unwrap_or_default();
                Ok(format!("call {}: transferring to {target} ({how}, call {})", held.0, consultation.0))
            }
            Err(e) => Err(format!("% transfer: {e}")),
        }
    }

    /// The consultation call of the transfer under way: the newest call but the held one.
    pub(super) fn consultation(&self) -> Option<CallId> {
        let held = self.transfer_from?;
        self.calls.iter().filter(|c| c.id != held).last().map(|c| c.id)
    }

    /// EndCall during a transfer: the consultation call ends, the held call stays held.
    pub(super) fn end_consultation(&mut self) -> Option<String> {
        let consultation = self.consultation()?;
        self.transfer_from = None;
        self.driver.phone.hangup(Instant::now(), consultation);
        Some(format!("call {}: hanging up (transfer abandoned)", consultation.0))
    }

    /// A transfer whose held call ended is over.
    pub(super) fn forget_stale_transfer(&mut self) {
        if self.transfer_from.is_some_and(|id| self.calls.get(id).is_none()) {
            self.transfer_from = None;
        }
    }
}
