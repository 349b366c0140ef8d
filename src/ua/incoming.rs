//! An incoming call (RFC 3261 §13.3, RFC 6026) until it is answered: ring, answer or
//! refuse.
//!
//! ```text
//!  INVITE ──100, 180──▶ Ringing ──answer: 200 + SDP (answer, or an offer when the INVITE
//!    │                    │        had none) ──▶ Connected: a [`Session`] carries the call
//!    │                    │        on (200 resent T1, 2T1 … ≤ T2 until the ACK; no ACK in
//!    │                    │        64·T1: BYE; hold, re-INVITEs, BYE: see `session`)
//!    │                    ├─ reject: 486 / 480 / 603 ──▶ Ended(Status)
//!    │                    └─ CANCEL: 200 to it, 487 to the INVITE ──▶ Ended(Cancelled)
//!    └─ offer we cannot answer: 488
//! ```

use crate::sdp::{self, LocalMedia, SessionDescription};
use crate::sip::auth::DigestClient;
use crate::sip::dialog::Dialog;
use crate::sip::message::{Datagram, HeaderName, Message, parse_datagram};
use crate::ua::call::{CallAction, CallCtx, CallId, CallState, EndReason};
use crate::ua::inbound::allow_value;
use crate::ua::session::{Established, Session};
use rand::Rng;
use rand::rngs::StdRng;
use std::net::SocketAddr;

/// What the phone must send for an incoming call, besides [`CallAction`]s.
#[derive(Debug)]
pub enum Answer {
    /// A response to the INVITE, in its server transaction.
    Respond {
        /// Status.
        code: u16,
        /// Extra headers.
        headers: Vec<(HeaderName, String)>,
        /// SDP body, if any.
        sdp: Option<Vec<u8>>,
    },
    /// Something for the phone in general.
    Call(CallAction),
}

/// An incoming call.
pub struct IncomingCall {
    /// The handle.
    pub id: CallId,
    state: CallState,
    invite: Vec<u8>,
    /// Where the INVITE came from (responses and in-dialog requests go back there).
    pub peer: SocketAddr,
    /// Who calls, as the From header says.
    pub caller: String,
    /// The SIP Call-ID.
    pub call_id: String,
    local_tag: String,
    offer: Option<SessionDescription>,
}

impl IncomingCall {
    /// A new incoming call from the INVITE `req` (already admitted); answers 180.
    pub fn ring(
        id: CallId,
        req: &Message<'_>,
        bytes: &[u8],
        peer: SocketAddr,
        rng: &mut StdRng,
    ) -> (Self, Vec<Answer>) {
        let local_tag = format!("{:08x}", rng.next_u32());
        let offer = (!req.body.is_empty()).then(|| sdp::parse(req.body).ok()).flatten();
        let caller = req
            .header(HeaderName::From)
            .map(|h| String::from_utf8_lossy(&h.value()).into_owned())
            .unwrap_or_default();
        let call_id = req.call_id().map(|c| String::from_utf8_lossy(c).into_owned()).unwrap_or_default();
        let call = IncomingCall {
            id,
            state: CallState::Ringing,
            invite: bytes.to_vec(),
            peer,
            caller,
            call_id,
            local_tag,
            offer,
        };
        let answers = vec![
            Answer::Respond { code: 180, headers: vec![], sdp: None },
            Answer::Call(CallAction::Changed(CallState::Ringing)),
        ];
        (call, answers)
    }

    /// Our To tag.
    pub fn local_tag(&self) -> &str {
        &self.local_tag
    }

    /// The state (`Connected` once answered: the session has the call from then on).
    pub fn state(&self) -> &CallState {
        &self.state
    }

    /// The INVITE as received.
    pub fn invite_bytes(&self) -> &[u8] {
        &self.invite
    }

    /// Answers with RTP on `ctx.advertised.ip():rtp_port`: the session to keep, then the
    /// 200 (whose bytes go to [`Session::sent_2xx`]), then the session's events.
    pub fn answer(&mut self, ctx: &mut CallCtx<'_>, rtp_port: u16) -> Vec<Answer> {
        if self.state != CallState::Ringing {
            return vec![];
        }
        let config = ctx.config;
        let session_id = u64::from(ctx.rng.next_u32());
        let local =
            LocalMedia::from_config(&config.media, ctx.advertised.ip(), rtp_port, session_id, session_id);
        let sdp_out = match &self.offer {
            Some(offer) => match sdp::answer(offer, &local) {
                Ok(answer) if sdp::negotiated(&answer, offer).is_ok() => answer,
                Ok(_) => {
                    return self.reject_with(488, EndReason::Media("no usable media in the offer".into()));
                }
                Err(e) => return self.reject_with(488, EndReason::Media(e.to_string())),
            },
            // No offer: ours goes in the 200, the answer comes in the ACK.
            None => sdp::make_offer(&local),
        };
        let bytes = self.invite.clone();
        let Ok(Datagram::Message(invite)) = parse_datagram(&bytes) else { return vec![] };
        let Ok(dialog) = Dialog::from_request(&invite, &self.local_tag) else {
            return self.reject_with(400, EndReason::Setup("the INVITE cannot start a dialog".into()));
        };
        let user = invite.request_uri().ok().and_then(|u| match u {
            crate::sip::message::uri::Uri::Sip(s) => s.user.map(|u| String::from_utf8_lossy(u).into_owned()),
            _ => None,
        });
        let contact = format!("<sip:{}@{};transport=udp>", user.clone().unwrap_or_default(), ctx.advertised);
        // Credentials for challenged re-INVITEs: the line called, else line 1.
        let line = config
            .provisioned_lines()
            .find(|(_, l)| user.as_deref().is_some_and(|u| u == l.name || u == l.contact))
            .or_else(|| config.provisioned_lines().next())
            .map(|(_, l)| l.clone());
        let auth = line.and_then(|l| DigestClient::new(l.auth_user(), l.password.clone()).ok());
        let cseq = invite.cseq().map(|c| c.seq).unwrap_or_default();
        self.state = CallState::Connected;
        let established = Established {
            dialog,
            fallback_hop: self.peer,
            owns_call_id: false,
            contact: contact.clone(),
            local,
            last_sdp: sdp_out.clone(),
            auth,
        };
        let mut session = Session::start(established, ctx);
        match self.offer.take() {
            Some(offer) => {
                session.remote_description(ctx, Ok(offer));
                session.awaiting_ack(ctx.now, cseq, None);
            }
            None => session.awaiting_ack(ctx.now, cseq, Some(sdp_out.clone())),
        }
        let mut out = vec![
            Answer::Call(CallAction::Established(Box::new(session))),
            Answer::Respond {
                code: 200,
                headers: vec![
                    (HeaderName::Contact, contact),
                    (HeaderName::Allow, allow_value()),
                    (HeaderName::ContentType, "application/sdp".into()),
                ],
                sdp: Some(sdp_out.to_bytes()),
            },
        ];
        out.extend(ctx.actions.drain(..).map(Answer::Call));
        out
    }

    /// Refuses a ringing call (486 Busy Here, 480, 603 Decline).
    pub fn reject(&mut self, code: u16) -> Vec<Answer> {
        if self.state != CallState::Ringing {
            return vec![];
        }
        let reason = crate::sip::message::reason_phrase(code).to_owned();
        self.reject_with(code, EndReason::Status { code, reason })
    }

    fn reject_with(&mut self, code: u16, reason: EndReason) -> Vec<Answer> {
        self.state = CallState::Ended(reason.clone());
        vec![
            Answer::Respond { code, headers: vec![], sdp: None },
            Answer::Call(CallAction::Changed(CallState::Ended(reason))),
        ]
    }

    /// CANCEL for our INVITE: the phone answers it 200; the INVITE gets 487.
    pub fn on_cancel(&mut self) -> Vec<Answer> {
        if self.state != CallState::Ringing {
            return vec![];
        }
        self.state = CallState::Ended(EndReason::Cancelled);
        vec![
            Answer::Respond { code: 487, headers: vec![], sdp: None },
            Answer::Call(CallAction::Changed(CallState::Ended(EndReason::Cancelled))),
        ]
    }

    /// Hangs up while ringing: 603 Decline.
    pub fn hangup(&mut self) -> Vec<Answer> {
        self.reject(603)
    }
}
