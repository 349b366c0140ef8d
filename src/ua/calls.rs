//! The phone's side of calls: placing them, carrying out what they ask, and routing the
//! responses and in-dialog requests that belong to them.

use super::call::{CallAction, CallCtx, CallId, CallState, EndReason, OutgoingCall};
use super::client_side::Owner;
use super::phone::{Event, Output, Phone, Transmit};
use crate::sip::message::{Message, Method};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

impl Phone {
    /// Places a call from `line` (1-based) to `number`, offering RTP on `rtp_port` (the io
    /// edge binds it). The line's proxy must have been resolved (the line registered) or be
    /// a literal address.
    pub fn dial(
        &mut self,
        now: Instant,
        line: usize,
        number: &str,
        rtp_port: u16,
    ) -> Result<CallId, EndReason> {
        let destination = self.route_for_line(line).ok_or_else(|| {
            EndReason::Setup(format!("line {line} has no resolved proxy yet (register it first)"))
        })?;
        let advertised = self.advertised_towards(destination);
        self.next_call += 1;
        let id = CallId(self.next_call);
        let mut actions = Vec::new();
        let call = {
            let mut ctx =
                CallCtx { now, config: &self.config, rng: &mut self.rng, advertised, actions: &mut actions };
            OutgoingCall::dial(id, line, number, destination, rtp_port, &mut ctx)?
        };
        self.calls.insert(id, (call, advertised));
        self.apply_call_actions(now, id, actions);
        Ok(id)
    }

    /// Hangs a call up: BYE when answered; before that CANCEL (ours) or 603 (theirs).
    pub fn hangup(&mut self, now: Instant, id: CallId) {
        if !self.hangup_incoming(now, id) {
            self.with_call(now, id, |call, ctx| call.hangup(ctx));
        }
    }

    /// A call's state, if the phone knows it.
    pub fn call_state(&self, id: CallId) -> Option<&CallState> {
        self.calls.get(&id).map(|(c, _)| c.state()).or_else(|| self.incoming_state(id))
    }

    /// The agreed media of a call, once answered.
    pub fn call_media(&self, id: CallId) -> Option<&crate::sdp::Media> {
        self.calls.get(&id).and_then(|(c, _)| c.media()).or_else(|| self.incoming_media(id))
    }

    /// Where requests of `line` go: the outbound proxy or the line's proxy, as resolved by
    /// its registration, else the configured literal address.
    fn route_for_line(&self, line: usize) -> Option<SocketAddr> {
        let resolved = self
            .agents
            .iter()
            .find(|a| a.binding() == super::registration::Binding::Line(line))
            .and_then(|a| a.destination());
        resolved.or_else(|| {
            let proxy = match &self.config.outbound_proxy.address {
                Some(_) => &self.config.outbound_proxy,
                None => self.config.proxy_for_line(line)?,
            };
            proxy.address.as_ref()?.ip().map(|ip| SocketAddr::new(ip, proxy.port))
        })
    }

    pub(super) fn with_call(
        &mut self,
        now: Instant,
        id: CallId,
        f: impl FnOnce(&mut OutgoingCall, &mut CallCtx<'_>),
    ) {
        let mut actions = Vec::new();
        {
            let Phone { calls, config, rng, .. } = self;
            let Some((call, advertised)) = calls.get_mut(&id) else { return };
            let mut ctx = CallCtx { now, config, rng, advertised: *advertised, actions: &mut actions };
            f(call, &mut ctx);
        }
        self.apply_call_actions(now, id, actions);
    }

    fn apply_call_actions(&mut self, now: Instant, id: CallId, actions: Vec<CallAction>) {
        for action in actions {
            match action {
                CallAction::Send { request, branch, to } => {
                    self.start_client(now, &request, to, branch, Owner::Call(id))
                }
                CallAction::SendStateless { bytes, to } => {
                    self.outputs.push_back(Output::Transmit(Transmit { to, bytes: Arc::from(bytes) }));
                }
                CallAction::Changed(state) => {
                    self.outputs.push_back(Output::Event(Event::Call { id, state }));
                }
                CallAction::Media(media) => {
                    self.outputs.push_back(Output::Event(Event::CallMedia { id, media }))
                }
            }
        }
    }

    /// A response for one of a call's transactions.
    pub(super) fn call_response(&mut self, now: Instant, id: CallId, msg: &Message<'_>) {
        let method = msg.cseq().map(|c| c.method.as_bytes().to_ascii_uppercase()).unwrap_or_default();
        let code = msg.status_code().unwrap_or_default();
        if method == b"INVITE" {
            self.with_call(now, id, |call, ctx| call.on_invite_response(ctx, msg));
        } else {
            self.with_call(now, id, |call, ctx| call.on_other_response(ctx, &method, code));
        }
    }

    /// A 2xx retransmission for a call whose INVITE transaction is gone: re-ACK it.
    pub(super) fn stray_2xx(&mut self, now: Instant, msg: &Message<'_>) -> bool {
        let Some(id) = self.calls.iter().find(|(_, (c, _))| c.in_dialog(msg)).map(|(id, _)| *id) else {
            return false;
        };
        if msg.cseq().is_ok_and(|c| c.method == Method::Invite) {
            self.with_call(now, id, |call, ctx| call.on_invite_response(ctx, msg));
            return true;
        }
        false
    }

    /// A call's transaction timed out.
    pub(super) fn call_timeout(&mut self, now: Instant, id: CallId, invite: bool) {
        if invite {
            self.with_call(now, id, |call, ctx| call.on_invite_timeout(ctx));
        } else {
            // A BYE or CANCEL that got no answer still ends the call.
            self.with_call(now, id, |call, ctx| call.on_other_response(ctx, b"BYE", 408));
        }
    }

    /// An in-dialog request for one of our calls: the status to answer, if it is ours.
    pub(super) fn call_request(&mut self, now: Instant, req: &Message<'_>) -> Option<u16> {
        let id = self.calls.iter().find(|(_, (c, _))| c.in_dialog(req)).map(|(id, _)| *id)?;
        let mut status = 481;
        self.with_call(now, id, |call, ctx| status = call.on_request(ctx, req));
        Some(status)
    }

    /// Fires due call timers.
    pub(super) fn call_timers(&mut self, now: Instant) {
        let due: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, (c, _))| c.poll_timeout().is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            self.with_call(now, id, |call, ctx| call.on_timeout(ctx));
        }
    }
}
