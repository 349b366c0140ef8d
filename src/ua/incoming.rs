//! An incoming call (RFC 3261 §13.3, RFC 6026): ring, answer or refuse, keep the 2xx
//! coming until its ACK, and end it.
//!
//! ```text
//!  INVITE ──100, 180──▶ Ringing ──answer: 200 + SDP (answer, or an offer when the INVITE
//!    │                    │        had none) ──▶ Connected (200 resent T1, 2T1 … ≤ T2 until
//!    │                    │                      the ACK; no ACK in 64·T1: BYE)
//!    │                    ├─ reject: 486 / 480 / 603 ──▶ Ended(Status)
//!    │                    └─ CANCEL: 200 to it, 487 to the INVITE ──▶ Ended(Cancelled)
//!    └─ offer we cannot answer: 488
//!  Connected ──BYE from either side──▶ Ended
//! ```

use crate::config::PhoneConfig;
use crate::sdp::{self, LocalMedia, Media, SessionDescription};
use crate::sip::dialog::Dialog;
use crate::sip::message::{Datagram, HeaderName, Message, Method, parse_datagram};
use crate::sip::transaction::TimerConfig;
use crate::ua::call::{CallAction, CallId, CallState, EndReason};
use rand::Rng;
use rand::rngs::StdRng;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

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
    local_tag: String,
    dialog: Option<Dialog>,
    offer: Option<SessionDescription>,
    local_sdp: Option<SessionDescription>,
    media: Option<Media>,
    ok_bytes: Option<Vec<u8>>,
    retransmit_at: Option<Instant>,
    interval: Duration,
    give_up_at: Option<Instant>,
    timers: TimerConfig,
    connected_at: Option<Instant>,
}

impl IncomingCall {
    /// A new incoming call from the INVITE `req` (already admitted); answers 180.
    pub fn ring(
        id: CallId,
        req: &Message<'_>,
        bytes: &[u8],
        peer: SocketAddr,
        rng: &mut StdRng,
        config: &PhoneConfig,
    ) -> (Self, Vec<Answer>) {
        let local_tag = format!("{:08x}", rng.next_u32());
        let offer = (!req.body.is_empty()).then(|| sdp::parse(req.body).ok()).flatten();
        let caller = req
            .header(HeaderName::From)
            .map(|h| String::from_utf8_lossy(&h.value()).into_owned())
            .unwrap_or_default();
        let call = IncomingCall {
            id,
            state: CallState::Ringing,
            invite: bytes.to_vec(),
            peer,
            caller,
            local_tag,
            dialog: None,
            offer,
            local_sdp: None,
            media: None,
            ok_bytes: None,
            retransmit_at: None,
            interval: TimerConfig::from(&config.timers).t1,
            give_up_at: None,
            timers: TimerConfig::from(&config.timers),
            connected_at: None,
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

    /// The state.
    pub fn state(&self) -> &CallState {
        &self.state
    }

    /// The agreed media.
    pub fn media(&self) -> Option<&Media> {
        self.media.as_ref()
    }

    /// The INVITE as received.
    pub fn invite_bytes(&self) -> &[u8] {
        &self.invite
    }

    /// The INVITE, re-parsed (the phone builds responses from it).
    pub fn invite(&self) -> Option<Message<'_>> {
        match parse_datagram(&self.invite) {
            Ok(Datagram::Message(m)) => Some(m),
            _ => None,
        }
    }

    /// Answers with RTP on `advertised.ip():rtp_port`.
    pub fn answer(
        &mut self,
        now: Instant,
        config: &PhoneConfig,
        advertised: SocketAddr,
        rtp_port: u16,
        rng: &mut StdRng,
    ) -> Vec<Answer> {
        if self.state != CallState::Ringing {
            return vec![];
        }
        let session = u64::from(rng.next_u32());
        let local = LocalMedia::from_config(&config.media, advertised.ip(), rtp_port, session, session);
        let (sdp_out, media) = match &self.offer {
            Some(offer) => match sdp::answer(offer, &local) {
                Ok(answer) => {
                    let media = sdp::negotiated(&answer, offer).ok();
                    (answer, media)
                }
                Err(e) => return self.reject_with(488, EndReason::Media(e.to_string())),
            },
            // No offer: ours goes in the 200, the answer comes in the ACK.
            None => (sdp::make_offer(&local), None),
        };
        let bytes = self.invite.clone();
        let Ok(Datagram::Message(invite)) = parse_datagram(&bytes) else { return vec![] };
        self.dialog = Dialog::from_request(&invite, &self.local_tag).ok();
        self.local_sdp = Some(sdp_out.clone());
        self.state = CallState::Connected;
        self.connected_at = Some(now);
        self.retransmit_at = Some(now + self.interval);
        self.give_up_at = Some(now + self.timers.timeout());
        let contact_user = invite.request_uri().ok().and_then(|u| match u {
            crate::sip::message::uri::Uri::Sip(s) => s.user.map(|u| String::from_utf8_lossy(u).into_owned()),
            _ => None,
        });
        let contact = format!("<sip:{}@{advertised};transport=udp>", contact_user.unwrap_or_default());
        let mut out = vec![Answer::Respond {
            code: 200,
            headers: vec![
                (HeaderName::Contact, contact),
                (HeaderName::Allow, "INVITE, ACK, CANCEL, BYE, OPTIONS".into()),
                (HeaderName::ContentType, "application/sdp".into()),
            ],
            sdp: Some(sdp_out.to_bytes()),
        }];
        out.push(Answer::Call(CallAction::Changed(CallState::Connected)));
        if let Some(m) = media {
            self.media = Some(m);
            out.push(Answer::Call(CallAction::Media(m)));
        }
        out
    }

    /// The phone keeps the 200's bytes to resend them.
    pub fn set_ok_bytes(&mut self, bytes: Vec<u8>) {
        self.ok_bytes = Some(bytes);
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

    /// The ACK of our 200 (with the SDP answer when we offered in the 200).
    pub fn on_ack(&mut self, ack: &Message<'_>) -> Vec<Answer> {
        self.retransmit_at = None;
        self.give_up_at = None;
        if self.media.is_none()
            && let (Some(local), Ok(remote)) = (&self.local_sdp, sdp::parse(ack.body))
            && let Ok(media) = sdp::negotiated(local, &remote)
        {
            self.media = Some(media);
            return vec![Answer::Call(CallAction::Media(media))];
        }
        vec![]
    }

    /// A request in our dialog; returns the status to answer it with.
    pub fn on_request(&mut self, req: &Message<'_>) -> (u16, Vec<Answer>) {
        let Some(dialog) = self.dialog.as_mut() else { return (481, vec![]) };
        if req.method() == Some(Method::Ack) {
            return (0, self.on_ack(req));
        }
        if dialog.on_request(req).is_err() {
            return (500, vec![]);
        }
        match req.method() {
            Some(Method::Bye) => {
                self.state = CallState::Ended(EndReason::Remote);
                self.retransmit_at = None;
                (200, vec![Answer::Call(CallAction::Changed(CallState::Ended(EndReason::Remote)))])
            }
            Some(Method::Options | Method::Info) => (200, vec![]),
            _ => (501, vec![]),
        }
    }

    /// Whether a message belongs to this call's dialog (or is its INVITE's ACK).
    pub fn in_dialog(&self, msg: &Message<'_>) -> bool {
        self.dialog.as_ref().is_some_and(|d| d.matches(msg))
    }

    /// Hangs up: BYE when connected, 603 while ringing.
    pub fn hangup(&mut self, via: &str, branch: String) -> Vec<Answer> {
        match self.state {
            CallState::Ringing => self.reject(603),
            CallState::Connected => {
                let peer = self.peer;
                let Some(dialog) = self.dialog.as_mut() else { return vec![] };
                let bye = dialog.request(Method::Bye, via).with(HeaderName::UserAgent, crate::ua::PRODUCT);
                self.state = CallState::Ended(EndReason::Local);
                self.retransmit_at = None;
                vec![
                    Answer::Call(CallAction::Send { request: bye, branch, to: peer }),
                    Answer::Call(CallAction::Changed(CallState::Ended(EndReason::Local))),
                ]
            }
            _ => vec![],
        }
    }

    /// When the 2xx must be resent or given up on.
    pub fn poll_timeout(&self) -> Option<Instant> {
        crate::sip::transaction::timers::earliest(self.retransmit_at, self.give_up_at)
    }

    /// Resends the 2xx (T1 doubling, capped at T2); gives up at 64·T1 with a BYE.
    pub fn on_timeout(&mut self, now: Instant, via: &str, branch: String) -> Vec<Answer> {
        if self.give_up_at.is_some_and(|t| t <= now) {
            self.give_up_at = None;
            return self.hangup(via, branch);
        }
        let mut out = Vec::new();
        if self.retransmit_at.is_some_and(|t| t <= now) {
            if let Some(ok) = &self.ok_bytes {
                out.push(Answer::Call(CallAction::SendStateless { bytes: ok.clone(), to: self.peer }));
            }
            self.interval = (self.interval * 2).min(self.timers.t2);
            self.retransmit_at = Some(now + self.interval);
        }
        out
    }
}
