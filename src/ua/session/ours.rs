//! Our requests in an established call: hold and resume by re-INVITE, the answers to
//! them (ACK, 491 back-off, credentials, failure), and BYE.

use super::{CallAction, CallCtx, CallState, EndReason, OurInvite, Session, is_hold, via, wished_direction};
use crate::sdp;
use crate::sip::auth::Sent;
use crate::sip::message::{HeaderName, Message, Method};
use crate::ua::inbound::allow_value;
use rand::RngExt;
use std::time::Duration;

impl Session {
    // ------------------------------------------------------------------ our requests

    /// Puts the far end on hold (re-INVITE `sendonly`, or `inactive` when it holds us).
    pub fn hold_call(&mut self, ctx: &mut CallCtx<'_>) {
        self.want_hold = true;
        self.maybe_reinvite(ctx);
    }

    /// Takes the call off hold (re-INVITE `sendrecv`, or `recvonly` while it holds us).
    pub fn resume(&mut self, ctx: &mut CallCtx<'_>) {
        self.want_hold = false;
        self.maybe_reinvite(ctx);
    }

    /// Sends a re-INVITE when we want another hold state and no INVITE is in progress in
    /// either direction (§14.1) and no 491 back-off runs.
    pub(super) fn maybe_reinvite(&mut self, ctx: &mut CallCtx<'_>) {
        if !self.live()
            || self.want_hold == self.local_hold
            || self.ours.is_some()
            || self.theirs.is_some()
            || self.retry_at.is_some()
        {
            return;
        }
        let hold = self.want_hold;
        self.local.direction = wished_direction(hold, self.remote_hold);
        self.local.session_version = self.local.session_version.wrapping_add(1);
        let offer = sdp::make_offer(&self.local);
        self.ours = Some(OurInvite { cseq: 0, offer, hold, sent: Sent::Plain });
        self.send_reinvite(ctx, Vec::new());
    }

    fn send_reinvite(&mut self, ctx: &mut CallCtx<'_>, credentials: Vec<crate::sip::auth::AuthHeader>) {
        let (via, branch) = via(ctx);
        let to = self.next_hop();
        let Some(ours) = self.ours.as_mut() else { return };
        let mut req = self
            .dialog
            .request(Method::Invite, &via)
            .with(HeaderName::Contact, self.contact.as_str())
            .with(HeaderName::UserAgent, crate::ua::PRODUCT)
            .with(HeaderName::Allow, allow_value())
            .with(HeaderName::ContentType, "application/sdp");
        ours.cseq = self.dialog.local_cseq;
        ours.sent = if credentials.is_empty() { Sent::Plain } else { Sent::Answer };
        for h in credentials {
            req = req.with(h.name, h.value);
        }
        let req = req.with_body(ours.offer.to_bytes());
        ctx.actions.push(CallAction::Send { request: req, branch, to });
    }

    /// Hangs up: BYE, then `Ended(Local)` when it is answered (or times out).
    /// While our 2xx to their INVITE is unacknowledged the BYE waits for the ACK (or the
    /// 64·T1 give-up), and the 2xx keeps going out (§15).
    pub fn hangup(&mut self, ctx: &mut CallCtx<'_>) {
        if !self.live() {
            return;
        }
        if self.theirs.is_some() {
            self.bye_after_ack = true;
        } else {
            self.send_bye(ctx);
        }
        self.set_state(ctx, CallState::Ending);
    }

    /// Ends the call at once for `reason`, with a BYE.
    pub(super) fn terminate(&mut self, ctx: &mut CallCtx<'_>, reason: EndReason) {
        if matches!(self.state, CallState::Ended(_)) {
            return;
        }
        if self.live() {
            self.send_bye(ctx);
        }
        self.set_state(ctx, CallState::Ended(reason));
    }

    pub(super) fn send_bye(&mut self, ctx: &mut CallCtx<'_>) {
        self.bye_after_ack = false;
        let (via, branch) = via(ctx);
        let to = self.next_hop();
        let mut bye = self.dialog.request(Method::Bye, &via).with(HeaderName::UserAgent, crate::ua::PRODUCT);
        for (name, value) in self.stats_headers(ctx) {
            bye.headers.push_named(name, value);
        }
        ctx.actions.push(CallAction::Send { request: bye, branch, to });
        self.theirs = None;
        self.ours = None;
        self.retry_at = None;
    }

    // ------------------------------------------------------------------ responses

    /// A response to an INVITE of ours in this dialog: our re-INVITE, or a retransmitted
    /// 2xx of an INVITE we already acknowledged.
    pub fn on_invite_response(&mut self, ctx: &mut CallCtx<'_>, resp: &Message<'_>) {
        let (Some(code), Ok(cseq)) = (resp.status_code(), resp.cseq()) else { return };
        if let Some((acked, ack)) = &self.acked
            && *acked == cseq.seq
            && (200..300).contains(&code)
        {
            ctx.actions.push(CallAction::SendStateless { bytes: ack.clone(), to: self.next_hop() });
            return;
        }
        let Some(ours) = self.ours.as_ref().filter(|o| o.cseq == cseq.seq) else { return };
        match code {
            100..=199 => {}
            200..=299 => {
                let hold = ours.hold;
                let offer = ours.offer.clone();
                self.ours = None;
                self.ack_2xx(ctx, cseq.seq);
                if !self.live() {
                    return;
                }
                let answer = sdp::parse(resp.body).ok();
                let media = answer.as_ref().and_then(|a| sdp::negotiated(&offer, a).ok());
                let Some(media) = media else {
                    // An answer we cannot use: keep the session as it was.
                    self.want_hold = self.local_hold;
                    return;
                };
                self.last_sdp = offer;
                self.local_hold = hold;
                if !hold && let Some(answer) = &answer {
                    self.remote_hold = is_hold(answer);
                }
                self.set_media(ctx, media);
                self.maybe_reinvite(ctx);
            }
            401 | 407 if ours.sent == Sent::Plain => {
                let uri = self.dialog.remote_target.clone();
                let credentials = self.auth.as_mut().and_then(|auth| {
                    auth.respond(resp, Sent::Plain, Method::Invite, uri.as_bytes(), ctx.rng).ok()
                });
                match credentials {
                    Some(credentials) => self.send_reinvite(ctx, credentials),
                    None => self.reinvite_failed(),
                }
            }
            491 => {
                // Glare (§14.1): try again after a random time; the Call-ID owner waits longer.
                self.ours = None;
                let ms = if self.owns_call_id {
                    ctx.rng.random_range(2100..=4000)
                } else {
                    ctx.rng.random_range(0..=2000)
                };
                self.retry_at = Some(ctx.now + Duration::from_millis(ms));
            }
            408 | 481 => {
                self.ours = None;
                let reason = String::from_utf8_lossy(resp.reason().unwrap_or_default()).into_owned();
                self.terminate(ctx, EndReason::Status { code, reason });
            }
            _ => self.reinvite_failed(),
        }
    }

    /// Our re-INVITE failed: the session stays as it was (§14.1).
    fn reinvite_failed(&mut self) {
        self.ours = None;
        self.want_hold = self.local_hold;
    }

    /// Our re-INVITE got no final response (Timer B): as a 408, the dialog ends.
    pub fn on_invite_timeout(&mut self, ctx: &mut CallCtx<'_>) {
        if self.ours.take().is_some() {
            self.terminate(ctx, EndReason::Timeout);
        }
    }

    /// A final response (or timeout, as 408) to our BYE or another non-INVITE request.
    pub fn on_other_response(&mut self, ctx: &mut CallCtx<'_>, method: &[u8], code: u16) {
        if method.eq_ignore_ascii_case(b"BYE") && code >= 200 && self.state == CallState::Ending {
            self.set_state(ctx, CallState::Ended(EndReason::Local));
        }
    }
}
