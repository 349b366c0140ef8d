//! Which call-progress tone the handset plays, from the calls' states: the ringer for a call
//! that rings here, ringback while our call rings there, busy or reorder for a moment after
//! our call failed. Tones play only while no call's media has the sound card: the call's
//! own audio comes first (a call-waiting beep inside a call is not mixed in).

use super::Controller;
use crate::cli::handset::FAILURE_TONE;
use crate::media::progress_tone::ProgressTone;
use crate::ua::call::{CallId, CallState, EndReason};
use std::time::Instant;

impl Controller<'_> {
    /// The tone the calls call for now, if any.
    fn wanted_tone(&self) -> Option<ProgressTone> {
        if self.media.any_running() {
            return None;
        }
        let rings_here = self.calls.ringing().is_some();
        let talking = self.calls.iter().any(|c| matches!(c.state, CallState::Connected | CallState::Held(_)));
        let rings_there = self.calls.iter().any(|c| c.outgoing && c.state == CallState::Ringing);
        match (rings_here, talking, rings_there) {
            (true, true, _) => Some(ProgressTone::CallWaiting),
            (true, false, _) => Some(ProgressTone::Ring),
            (false, _, true) => Some(ProgressTone::Ringback),
            _ => None,
        }
    }

    /// Plays what the calls call for; a failure tone keeps playing until its time is up or
    /// something else is to be heard.
    pub(super) async fn retone(&mut self, now: Instant) {
        let wanted = self.wanted_tone();
        if self.tone_until.is_some_and(|until| now < until) && wanted.is_none() {
            return;
        }
        self.tone_until = None;
        self.handset.play(wanted).await;
    }

    /// Our call `id` ended with `reason`: busy or reorder for a moment when it failed.
    pub(super) async fn tone_after_end(&mut self, outgoing: bool, reason: &EndReason, now: Instant) {
        let failure = match reason {
            EndReason::Status { code, .. } if outgoing => ProgressTone::after_status(*code),
            EndReason::Timeout if outgoing => Some(ProgressTone::Reorder),
            _ => None,
        };
        match failure.filter(|_| self.wanted_tone().is_none()) {
            Some(tone) => {
                self.tone_until = Some(now + FAILURE_TONE);
                self.handset.play(Some(tone)).await;
            }
            None => self.retone(now).await,
        }
    }

    /// The call is about to start its media: any tone stops, and the handset gives the
    /// call its audio (the sound card, or the headless tone or file).
    pub(super) async fn audio_for(&mut self, id: CallId) -> Option<crate::io::media_task::Audio> {
        if !self.media.needs_audio(id) {
            return None;
        }
        self.tone_until = None;
        let outgoing = self.media.outgoing().clone();
        self.handset.call_audio(&outgoing).await.ok()
    }
}
