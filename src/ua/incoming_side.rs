//! The phone's side of incoming calls: ringing on an admitted INVITE, answering and
//! refusing, the ACK, CANCEL and in-dialog requests, and the 2xx retransmission timers.

use super::call::{CallAction, CallId, CallState};
use super::incoming::{Answer, IncomingCall};
use super::phone::{Event, Output, Phone, Transmit};
use crate::sip::message::Message;
use crate::sip::transaction::key::ServerKey;
use crate::sip::transport::response_destination;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

impl Phone {
    /// An admitted INVITE outside any dialog: ring (or 486 when busy and `call_waiting` is 0).
    pub(super) fn incoming_invite(
        &mut self,
        now: Instant,
        from: SocketAddr,
        key: ServerKey,
        req: &Message<'_>,
        bytes: &[u8],
    ) {
        let busy = self.calls.values().any(|(c, _)| !matches!(c.state(), CallState::Ended(_)))
            || self.incoming.values().any(|(c, _)| !matches!(c.state(), CallState::Ended(_)));
        if busy && !self.config.features.call_waiting {
            let tag = self.new_tag();
            self.respond_tagged(now, from, &key, req, 486, &[], &tag, None);
            return;
        }
        let peer = req.top_via().map(|v| response_destination(&v, from)).unwrap_or(from);
        self.next_call += 1;
        let id = CallId(self.next_call);
        let (call, answers) = IncomingCall::ring(id, req, bytes, peer, &mut self.rng, &self.config);
        let caller = call.caller.clone();
        self.incoming.insert(id, (call, key));
        self.outputs.push_back(Output::Event(Event::IncomingCall { id, caller }));
        self.apply_answers(now, id, from, answers);
    }

    fn apply_answers(&mut self, now: Instant, id: CallId, from: SocketAddr, answers: Vec<Answer>) {
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
                        && let (Some(bytes), Some((call, _))) = (sent, self.incoming.get_mut(&id))
                    {
                        call.set_ok_bytes(bytes);
                    }
                }
                Answer::Call(CallAction::Send { request, branch, to }) => {
                    self.start_client(now, &request, to, branch, super::client_side::Owner::Call(id));
                }
                Answer::Call(CallAction::SendStateless { bytes, to }) => {
                    self.outputs.push_back(Output::Transmit(Transmit { to, bytes: Arc::from(bytes) }));
                }
                Answer::Call(CallAction::Changed(state)) => {
                    self.outputs.push_back(Output::Event(Event::Call { id, state }))
                }
                Answer::Call(CallAction::Media(media)) => {
                    self.outputs.push_back(Output::Event(Event::CallMedia { id, media }));
                }
            }
        }
    }

    /// Answers a ringing incoming call, with RTP on `rtp_port`.
    pub fn answer(&mut self, now: Instant, id: CallId, rtp_port: u16) {
        let Some(from) = self.incoming.get(&id).map(|(c, _)| c.peer) else { return };
        let advertised = self.advertised_towards(from);
        let Some((call, _)) = self.incoming.get_mut(&id) else { return };
        let answers = call.answer(now, &self.config, advertised, rtp_port, &mut self.rng);
        self.apply_answers(now, id, from, answers);
    }

    /// Refuses a ringing incoming call with `code` (486, 480, 603).
    pub fn reject(&mut self, now: Instant, id: CallId, code: u16) {
        let Some((call, _)) = self.incoming.get_mut(&id) else { return };
        let from = call.peer;
        let answers = call.reject(code);
        self.apply_answers(now, id, from, answers);
    }

    /// Hangs up an incoming call (BYE, or 603 while ringing); false when `id` is not one.
    pub(super) fn hangup_incoming(&mut self, now: Instant, id: CallId) -> bool {
        let Some(from) = self.incoming.get(&id).map(|(c, _)| c.peer) else { return false };
        let via_branch = self.fresh_via(from);
        let Some((call, _)) = self.incoming.get_mut(&id) else { return false };
        let answers = call.hangup(&via_branch.0, via_branch.1);
        self.apply_answers(now, id, from, answers);
        true
    }

    /// A Via (with a new branch) for a request of ours towards `peer`.
    fn fresh_via(&mut self, peer: SocketAddr) -> (String, String) {
        let branch = format!("z9hG4bK{:016x}", rand::Rng::next_u64(&mut self.rng));
        (format!("SIP/2.0/UDP {};branch={branch}", self.advertised_towards(peer)), branch)
    }

    /// The ACK of one of our 2xx; true when it belonged to an incoming call.
    pub(super) fn incoming_ack(&mut self, now: Instant, ack: &Message<'_>) -> bool {
        let Some(id) = self.incoming.iter().find(|(_, (c, _))| c.in_dialog(ack)).map(|(id, _)| *id) else {
            return false;
        };
        let Some((call, _)) = self.incoming.get_mut(&id) else { return false };
        let from = call.peer;
        let answers = call.on_ack(ack);
        self.apply_answers(now, id, from, answers);
        true
    }

    /// An in-dialog request for an incoming call: the status to answer, if it is ours.
    pub(super) fn incoming_request(&mut self, now: Instant, req: &Message<'_>) -> Option<u16> {
        let id = self.incoming.iter().find(|(_, (c, _))| c.in_dialog(req)).map(|(id, _)| *id)?;
        let (call, _) = self.incoming.get_mut(&id)?;
        let from = call.peer;
        let (code, answers) = call.on_request(req);
        self.apply_answers(now, id, from, answers);
        Some(code)
    }

    /// CANCEL of the INVITE whose transaction is `target`.
    pub(super) fn incoming_cancel(&mut self, now: Instant, target: &ServerKey) {
        let Some(id) = self.incoming.iter().find(|(_, (_, k))| k == target).map(|(id, _)| *id) else {
            return;
        };
        let Some((call, _)) = self.incoming.get_mut(&id) else { return };
        let from = call.peer;
        let answers = call.on_cancel();
        self.apply_answers(now, id, from, answers);
    }

    /// Fires the 2xx retransmission timers of incoming calls.
    pub(super) fn incoming_timers(&mut self, now: Instant) {
        let due: Vec<CallId> = self
            .incoming
            .iter()
            .filter(|(_, (c, _))| c.poll_timeout().is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            let Some(from) = self.incoming.get(&id).map(|(c, _)| c.peer) else { continue };
            let via_branch = self.fresh_via(from);
            let Some((call, _)) = self.incoming.get_mut(&id) else { continue };
            let answers = call.on_timeout(now, &via_branch.0, via_branch.1);
            self.apply_answers(now, id, from, answers);
        }
    }

    /// The state of an incoming call.
    pub(super) fn incoming_state(&self, id: CallId) -> Option<&CallState> {
        self.incoming.get(&id).map(|(c, _)| c.state())
    }

    /// The agreed media of an incoming call.
    pub(super) fn incoming_media(&self, id: CallId) -> Option<&crate::sdp::Media> {
        self.incoming.get(&id).and_then(|(c, _)| c.media())
    }
}
