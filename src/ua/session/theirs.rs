//! The far end's requests in an established call: BYE, re-INVITEs (with an offer or
//! without), their ACK, OPTIONS and INFO.

use super::{CallCtx, CallState, EndReason, Reply, Session, is_hold, wished_direction};
use crate::sdp::{self, SessionDescription};
use crate::sip::message::{HeaderName, Message, Method};
use crate::ua::call::CallAction;
use crate::ua::inbound::allow_value;
use rand::RngExt;

impl Session {
    // ------------------------------------------------------------------ their requests

    /// A request in this dialog. `None`: nothing to answer (ACK, or an INVITE
    /// retransmission whose 2xx was resent).
    pub fn on_request(&mut self, ctx: &mut CallCtx<'_>, req: &Message<'_>) -> Option<Reply> {
        let method = req.method()?;
        if method == Method::Ack {
            self.on_ack(ctx, req);
            return None;
        }
        let cseq = req.cseq().ok()?.seq;
        if method == Method::Invite
            && let Some(theirs) = self.theirs.as_ref().filter(|t| t.cseq == cseq)
        {
            // A retransmission of the INVITE we answered: our 2xx again.
            if let Some(bytes) = theirs.bytes.clone() {
                ctx.actions.push(CallAction::SendStateless { bytes, to: self.next_hop() });
            }
            return None;
        }
        match self.state {
            CallState::Ended(_) => return Some(Reply::status(481)),
            CallState::Ending if method != Method::Bye => return Some(Reply::status(481)),
            _ => {}
        }
        if self.dialog.on_request(req).is_err() {
            return Some(Reply::status(500));
        }
        Some(match method {
            Method::Bye => {
                let reason =
                    if self.state == CallState::Ending { EndReason::Local } else { EndReason::Remote };
                self.theirs = None;
                self.ours = None;
                self.retry_at = None;
                self.set_state(ctx, CallState::Ended(reason));
                Reply { named: self.stats_headers(ctx), ..Reply::status(200) }
            }
            Method::Invite => self.on_reinvite(ctx, req, cseq),
            Method::Options => Reply {
                code: 200,
                headers: vec![
                    (HeaderName::Allow, allow_value()),
                    (HeaderName::Accept, "application/sdp".to_owned()),
                ],
                named: Vec::new(),
                body: None,
            },
            Method::Info => Reply::status(200),
            // A transfer (RFC 3515): the phone carries it out once this is 202.
            Method::Refer if !self.live() => Reply::status(481),
            Method::Refer => match req.count(HeaderName::ReferTo) {
                1 => Reply::status(202),
                _ => Reply::status(400),
            },
            // Progress of a transfer we asked for (RFC 3515 §2.4.4); other packages: 489.
            Method::Notify if event_is_refer(req) => Reply::status(200),
            Method::Notify => Reply::status(489),
            _ => Reply {
                code: 501,
                headers: vec![(HeaderName::Allow, allow_value())],
                named: Vec::new(),
                body: None,
            },
        })
    }

    fn on_reinvite(&mut self, ctx: &mut CallCtx<'_>, req: &Message<'_>, cseq: u32) -> Reply {
        if self.ours.is_some() {
            return Reply::status(491);
        }
        if self.theirs.is_some() {
            let wait = ctx.rng.random_range(0..=10u32);
            return Reply {
                code: 500,
                headers: vec![(HeaderName::RetryAfter, wait.to_string())],
                named: Vec::new(),
                body: None,
            };
        }
        let ok = |body: &SessionDescription, contact: &str| Reply {
            code: 200,
            headers: vec![
                (HeaderName::Contact, contact.to_owned()),
                (HeaderName::Allow, allow_value()),
                (HeaderName::ContentType, "application/sdp".to_owned()),
            ],
            named: Vec::new(),
            body: Some(body.to_bytes()),
        };
        if req.body.is_empty() {
            // No offer: ours goes in the 200, the answer in the ACK (§14.2).
            self.local.direction = wished_direction(self.local_hold, self.remote_hold);
            let offer = self.versioned(sdp::make_offer(&self.local));
            self.awaiting_ack(ctx.now, cseq, Some(offer.clone()));
            return ok(&offer, &self.contact);
        }
        let Ok(offer) = sdp::parse(req.body) else { return Reply::status(488) };
        let remote_hold = is_hold(&offer);
        self.local.direction = wished_direction(self.local_hold, false);
        let answer = match sdp::answer(&offer, &self.local) {
            Ok(answer) => self.versioned(answer),
            Err(_) => return Reply::status(488),
        };
        let Ok(media) = sdp::negotiated(&answer, &offer) else { return Reply::status(488) };
        self.last_sdp = answer.clone();
        self.remote_hold = remote_hold;
        self.awaiting_ack(ctx.now, cseq, None);
        self.set_media(ctx, media);
        ok(&answer, &self.contact)
    }

    /// Gives our new description the `o=` version it needs: the last one when only the
    /// version would differ, the next one otherwise (RFC 3264 §8).
    fn versioned(&mut self, mut desc: SessionDescription) -> SessionDescription {
        let mut last = self.last_sdp.clone();
        last.origin.session_version.clone_from(&desc.origin.session_version);
        if last != desc {
            self.local.session_version = self.local.session_version.wrapping_add(1);
            desc.origin.session_version = self.local.session_version.to_string();
        }
        desc
    }

    fn on_ack(&mut self, ctx: &mut CallCtx<'_>, ack: &Message<'_>) {
        let Some(theirs) = self.theirs.take() else { return };
        if self.bye_after_ack {
            // We hung up while our 2xx was unacknowledged: now the BYE may go.
            self.send_bye(ctx);
            return;
        }
        if let Some(offer) = theirs.our_offer {
            let answer = sdp::parse(ack.body).map_err(|e| format!("the ACK's SDP answer: {e}"));
            if self.media.is_none() {
                // The first offer/answer: without an answer the call cannot go on.
                self.last_sdp = offer;
                self.remote_description(ctx, answer);
                if !self.live() {
                    return;
                }
            } else if let Some((media, remote)) =
                answer.ok().and_then(|a| sdp::negotiated(&offer, &a).ok().map(|m| (m, a)))
            {
                self.last_sdp = offer;
                self.remote_hold = is_hold(&remote);
                self.set_media(ctx, media);
            }
        }
        self.maybe_reinvite(ctx);
    }
}

/// Whether a NOTIFY is for the `refer` event package (an `id` parameter may follow).
fn event_is_refer(req: &Message<'_>) -> bool {
    req.header(HeaderName::Event).is_some_and(|h| {
        let value = h.value();
        let text = String::from_utf8_lossy(&value);
        text.split(';').next().is_some_and(|package| package.trim().eq_ignore_ascii_case("refer"))
    })
}
