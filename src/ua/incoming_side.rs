//! The phone's side of incoming calls while they ring: ringing on an admitted INVITE,
//! answering, refusing and CANCEL. Once answered, the call's session takes over.

use super::call::{CallCtx, CallId};
use super::incoming::{Answer, IncomingCall};
use super::phone::Phone;
use crate::sip::message::Message;
use crate::sip::transaction::key::ServerKey;
use crate::sip::transport::response_destination;
use std::net::SocketAddr;
use std::time::Instant;

impl Phone {
    /// An admitted INVITE outside any dialog: forwarded or refused by the call features
    /// (see `features`), 486 when busy and `call_waiting` is 0, else it rings — as a
    /// waiting call when another call is answered.
    pub(super) fn incoming_invite(
        &mut self,
        now: Instant,
        from: SocketAddr,
        key: ServerKey,
        req: &Message<'_>,
        bytes: &[u8],
    ) {
        let replaces = match self.replaced_call(req) {
            Ok(replaces) => replaces,
            Err(super::attended::ReplacesRefused(code)) => {
                let tag = self.new_tag();
                self.respond_tagged(now, from, &key, req, code, &[], &tag, None);
                return;
            }
        };
        // A call that takes over one of ours is not screened: it is the same conversation.
        if replaces.is_none() && self.screen_invite(now, from, &key, req) {
            return;
        }
        if replaces.is_none() && self.has_live_call() && !self.config.features.call_waiting {
            let tag = self.new_tag();
            self.respond_tagged(now, from, &key, req, 486, &[], &tag, None);
            return;
        }
        let peer = req.top_via().map(|v| response_destination(&v, from)).unwrap_or(from);
        self.next_call += 1;
        let id = CallId(self.next_call);
        let (call, mut answers) = IncomingCall::ring(id, req, bytes, peer, &mut self.rng);
        if replaces.is_some() {
            // It takes over a call in progress: answered at once, it does not ring.
            answers.retain(|a| !matches!(a, Answer::Respond { code: 180, .. }));
        }
        let caller = call.caller.clone();
        let waiting = replaces.is_none() && self.has_answered_call();
        self.track(id, call.call_id.clone());
        self.incoming.insert(id, (call, key));
        if let Some(old) = replaces {
            self.transfers.replacing.insert(id, old);
        }
        let event = super::phone::Event::IncomingCall { id, caller, waiting, replaces };
        self.outputs.push_back(super::phone::Output::Event(event));
        self.apply_answers(now, id, from, answers);
    }

    fn apply_answers(&mut self, now: Instant, id: CallId, from: SocketAddr, answers: Vec<Answer>) {
        let advertised = self.advertised_towards(from);
        for answer in answers {
            match answer {
                Answer::Respond { code, headers, sdp } => {
                    let Some((call, key)) = self.incoming.get(&id) else { continue };
                    let (invite_bytes, key, tag) =
                        (call.invite_bytes().to_vec(), key.clone(), call.local_tag().to_owned());
                    let Ok(crate::sip::message::Datagram::Message(invite)) =
                        crate::sip::message::parse_datagram(&invite_bytes)
                    else {
                        continue;
                    };
                    let sent = self.respond_tagged(now, from, &key, &invite, code, &headers, &tag, sdp);
                    if code / 100 == 2
                        && let Some(bytes) = sent
                    {
                        self.session_sent_2xx(id, bytes);
                    }
                }
                Answer::Call(action) => self.apply_call_actions(now, id, advertised, vec![action]),
            }
        }
    }

    /// Answers a ringing incoming call, with RTP on `rtp_port`. A waiting call's answer
    /// puts the answered call(s) on hold first, as the Answer key does.
    pub fn answer(&mut self, now: Instant, id: CallId, rtp_port: u16) {
        // A call that replaces another (attended transfer) takes its place: nothing to hold.
        let replacing = self.transfers.replacing.contains_key(&id);
        if !replacing
            && self.incoming.get(&id).is_some_and(|(c, _)| *c.state() == super::call::CallState::Ringing)
        {
            self.hold_others(now, id);
        }
        self.answer_alongside(now, id, rtp_port);
    }

    /// Answers a ringing incoming call, with RTP on `rtp_port`, leaving the other calls as
    /// they are (a load test's many calls at once).
    pub fn answer_alongside(&mut self, now: Instant, id: CallId, rtp_port: u16) {
        let Some(from) = self.incoming.get(&id).map(|(c, _)| c.peer) else { return };
        let advertised = self.advertised_towards(from);
        let mut actions = Vec::new();
        let answers = {
            let Phone { incoming, config, rng, .. } = self;
            let Some((call, _)) = incoming.get_mut(&id) else { return };
            let mut ctx = CallCtx { now, config, rng, advertised, actions: &mut actions };
            call.answer(&mut ctx, rtp_port)
        };
        self.apply_answers(now, id, from, answers);
    }

    /// Refuses a ringing incoming call with `code` (486, 480, 603).
    pub fn reject(&mut self, now: Instant, id: CallId, code: u16) {
        let Some((call, _)) = self.incoming.get_mut(&id) else { return };
        let from = call.peer;
        let answers = call.reject(code);
        self.apply_answers(now, id, from, answers);
    }

    /// Hangs up a ringing incoming call (603); false when `id` is not one.
    pub(super) fn hangup_incoming(&mut self, now: Instant, id: CallId) -> bool {
        let Some((call, _)) = self.incoming.get_mut(&id) else { return false };
        let from = call.peer;
        let answers = call.hangup();
        self.apply_answers(now, id, from, answers);
        true
    }

    /// CANCEL of the INVITE whose transaction is `target`.
    pub(super) fn incoming_cancel(&mut self, now: Instant, target: &ServerKey) {
        let ringing = self.live.iter().filter(|id| self.incoming.get(id).is_some_and(|(_, k)| k == target));
        let Some(id) = ringing.copied().next() else { return };
        let Some((call, _)) = self.incoming.get_mut(&id) else { return };
        let from = call.peer;
        let answers = call.on_cancel();
        self.apply_answers(now, id, from, answers);
    }
}
