//! The phone's side of calls: placing them, carrying out what they ask, and routing the
//! responses and in-dialog requests that belong to them.
//!
//! A call lives in one of three maps: `calls` (ours, until answered), `incoming` (theirs,
//! while ringing) and `sessions` (answered, whoever called). Its [`CallId`] stays the same.

use super::call::{CallAction, CallCtx, CallId, CallState, EndReason, OutgoingCall};
use super::client_side::Owner;
use super::phone::{Event, Output, Phone, Transmit};
use super::session::{Hold, Reply, Session};
use crate::sip::message::{Message, Method};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

impl Phone {
    /// Places a call from `line` (1-based) to `number` as given (no dial plan), offering RTP
    /// on `rtp_port` (the io edge binds it). The line's proxy must have been resolved (the
    /// line registered) or be a literal address. [`Phone::call`] takes a dial plan's
    /// decision.
    pub fn dial(
        &mut self,
        now: Instant,
        line: usize,
        number: &str,
        rtp_port: u16,
    ) -> Result<CallId, EndReason> {
        self.call(now, line, &crate::config::dialplan::Dial::plain(number), rtp_port)
    }

    /// Hangs a call up: BYE when answered; before that CANCEL (ours) or 603 (theirs).
    pub fn hangup(&mut self, now: Instant, id: CallId) {
        if self.hangup_pending(id) {
            return;
        }
        if self.sessions.contains_key(&id) {
            self.with_session(now, id, |s, ctx| s.hangup(ctx));
        } else if !self.hangup_incoming(now, id) {
            self.with_call(now, id, |call, ctx| call.hangup(ctx));
        }
    }

    /// The call's RTP statistics, for the `RTP-RxStat` / `RTP-TxStat` headers of its BYE
    /// and of the 200 to the far end's BYE when `call_stats : 1` (the io edge keeps them
    /// current).
    pub fn set_call_stats(&mut self, id: CallId, stats: [(&'static str, String); 2]) {
        if let Some((s, _)) = self.sessions.get_mut(&id) {
            s.set_call_stats(stats);
        }
    }

    /// Puts an answered call on hold (re-INVITE `sendonly`); false when `id` is not one.
    pub fn hold(&mut self, now: Instant, id: CallId) -> bool {
        self.with_session(now, id, |s, ctx| s.hold_call(ctx))
    }

    /// Takes an answered call off hold (re-INVITE `sendrecv`); false when `id` is not one.
    pub fn resume(&mut self, now: Instant, id: CallId) -> bool {
        self.with_session(now, id, |s, ctx| s.resume(ctx))
    }

    /// A call's state, if the phone knows it (calls are forgotten 64·T1 after they end).
    pub fn call_state(&self, id: CallId) -> Option<&CallState> {
        if let Some((s, _)) = self.sessions.get(&id) {
            return Some(s.state());
        }
        self.calls
            .get(&id)
            .map(|(c, _)| c.state())
            .or_else(|| self.incoming.get(&id).map(|(c, _)| c.state()))
            .or_else(|| self.pending_state(id))
    }

    /// The agreed media of a call, once answered.
    pub fn call_media(&self, id: CallId) -> Option<&crate::sdp::Media> {
        self.sessions.get(&id).and_then(|(s, _)| s.media())
    }

    /// A call's SIP Call-ID (both legs of a call between two of our lines share it).
    pub fn sip_call_id(&self, id: CallId) -> Option<&str> {
        if let Some((s, _)) = self.sessions.get(&id) {
            return Some(s.call_id());
        }
        self.calls
            .get(&id)
            .map(|(c, _)| c.call_id())
            .or_else(|| self.incoming.get(&id).map(|(c, _)| c.call_id.as_str()))
    }

    /// Who holds an answered call, if anyone.
    pub fn call_hold(&self, id: CallId) -> Option<Hold> {
        self.sessions.get(&id).and_then(|(s, _)| s.hold())
    }

    /// Whether any call is not over (for busy and `call_waiting`).
    pub(super) fn has_live_call(&self) -> bool {
        !self.live.is_empty()
    }

    /// A new call: live, and found by its SIP Call-ID.
    pub(super) fn track(&mut self, id: CallId, call_id: String) {
        self.live.insert(id);
        self.by_call_id.entry(call_id).or_default().push(id);
    }

    /// The calls with the SIP Call-ID of `msg`.
    fn calls_with_call_id(&self, msg: &Message<'_>) -> Vec<CallId> {
        let Ok(call_id) = msg.call_id() else { return Vec::new() };
        let call_id = String::from_utf8_lossy(call_id);
        self.by_call_id.get(call_id.as_ref()).cloned().unwrap_or_default()
    }

    /// Where requests of `line` go: the outbound proxy or the line's proxy, as resolved by
    /// its registration, else the configured literal address.
    pub(super) fn line_route(&self, line: usize) -> Option<SocketAddr> {
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

    fn with_call(&mut self, now: Instant, id: CallId, f: impl FnOnce(&mut OutgoingCall, &mut CallCtx<'_>)) {
        let mut actions = Vec::new();
        let advertised = {
            let Phone { calls, config, rng, .. } = self;
            let Some((call, advertised)) = calls.get_mut(&id) else { return };
            let mut ctx = CallCtx { now, config, rng, advertised: *advertised, actions: &mut actions };
            f(call, &mut ctx);
            *advertised
        };
        self.apply_call_actions(now, id, advertised, actions);
    }

    /// Runs `f` on an answered call; false when `id` is not one.
    pub(super) fn with_session<R>(
        &mut self,
        now: Instant,
        id: CallId,
        f: impl FnOnce(&mut Session, &mut CallCtx<'_>) -> R,
    ) -> bool {
        self.with_session_result(now, id, f).is_some()
    }

    pub(super) fn with_session_result<R>(
        &mut self,
        now: Instant,
        id: CallId,
        f: impl FnOnce(&mut Session, &mut CallCtx<'_>) -> R,
    ) -> Option<R> {
        let mut actions = Vec::new();
        let (result, advertised) = {
            let Phone { sessions, config, rng, .. } = self;
            let (session, advertised) = sessions.get_mut(&id)?;
            let mut ctx = CallCtx { now, config, rng, advertised: *advertised, actions: &mut actions };
            (f(session, &mut ctx), *advertised)
        };
        self.apply_call_actions(now, id, advertised, actions);
        Some(result)
    }

    /// Carries out what a call asks for.
    pub(super) fn apply_call_actions(
        &mut self,
        now: Instant,
        id: CallId,
        advertised: SocketAddr,
        actions: Vec<CallAction>,
    ) {
        for action in actions {
            match action {
                CallAction::Send { request, branch, to } => {
                    self.start_client(now, &request, to, branch, Owner::Call(id))
                }
                CallAction::SendStateless { bytes, to } => {
                    self.outputs.push_back(Output::Transmit(Transmit { to, bytes: Arc::from(bytes) }));
                }
                CallAction::Changed(state) => {
                    if matches!(state, CallState::Ended(_)) {
                        self.live.remove(&id);
                        self.forget.push_back((now + self.timers.timeout(), id));
                    }
                    self.transfer_call_changed(now, id, &state);
                    self.replacing_call_changed(now, id, &state);
                    self.outputs.push_back(Output::Event(Event::Call { id, state }));
                }
                CallAction::Media(media) => {
                    self.outputs.push_back(Output::Event(Event::CallMedia { id, media }))
                }
                CallAction::Established(session) => {
                    self.sessions.insert(id, (*session, advertised));
                }
            }
        }
    }

    /// A response for one of a call's transactions.
    pub(super) fn call_response(&mut self, now: Instant, id: CallId, msg: &Message<'_>) {
        let invite = msg.cseq().is_ok_and(|c| c.method == Method::Invite);
        if self.sessions.contains_key(&id) {
            if invite {
                self.with_session(now, id, |s, ctx| s.on_invite_response(ctx, msg));
            } else {
                let method = msg.cseq().map(|c| c.method.as_bytes().to_ascii_uppercase()).unwrap_or_default();
                let code = msg.status_code().unwrap_or_default();
                if method == b"REFER" {
                    self.refer_response(now, id, code);
                }
                self.with_session(now, id, |s, ctx| s.on_other_response(ctx, &method, code));
            }
        } else if invite {
            self.with_call(now, id, |call, ctx| call.on_invite_response(ctx, msg));
        }
    }

    /// A 2xx retransmission whose INVITE transaction is gone: the session re-ACKs it.
    pub(super) fn stray_2xx(&mut self, now: Instant, msg: &Message<'_>) -> bool {
        if !msg.cseq().is_ok_and(|c| c.method == Method::Invite) {
            return false;
        }
        if let Some(id) = self.session_of(msg) {
            self.with_session(now, id, |s, ctx| s.on_invite_response(ctx, msg));
            return true;
        }
        // A call whose INVITE transaction is over (Timer B) is answered after all.
        let ids = self.calls_with_call_id(msg);
        let Some(id) = ids.into_iter().find(|id| self.calls.get(id).is_some_and(|(c, _)| c.owns(msg))) else {
            return false;
        };
        self.with_call(now, id, |call, ctx| call.on_invite_response(ctx, msg));
        true
    }

    /// A call's transaction timed out.
    pub(super) fn call_timeout(&mut self, now: Instant, id: CallId, invite: bool) {
        match (self.sessions.contains_key(&id), invite) {
            (true, true) => {
                self.with_session(now, id, |s, ctx| s.on_invite_timeout(ctx));
            }
            // A BYE that got no answer still ends the call.
            (true, false) => {
                self.with_session(now, id, |s, ctx| s.on_other_response(ctx, b"BYE", 408));
            }
            (false, true) => self.with_call(now, id, |call, ctx| call.on_invite_timeout(ctx)),
            (false, false) => {}
        }
    }

    fn session_of(&self, msg: &Message<'_>) -> Option<CallId> {
        let ids = self.calls_with_call_id(msg);
        ids.into_iter().find(|id| self.sessions.get(id).is_some_and(|(s, _)| s.in_dialog(msg)))
    }

    /// A request inside the dialog of an answered call (ACK included): the call and what
    /// to answer (nothing for an ACK), or `None` when it belongs to no call.
    pub(super) fn session_request(
        &mut self,
        now: Instant,
        req: &Message<'_>,
    ) -> Option<(CallId, Option<Reply>)> {
        let id = self.session_of(req)?;
        let reply = self.with_session_result(now, id, |s, ctx| s.on_request(ctx, req))?;
        match (req.method(), reply.as_ref().map(|r| r.code)) {
            (Some(Method::Refer), Some(202)) => self.refer_received(now, id, req),
            (Some(Method::Notify), Some(200)) => self.refer_notify(now, id, req),
            _ => {}
        }
        Some((id, reply))
    }

    /// The local tag of an answered call.
    pub(super) fn session_tag(&self, id: CallId) -> Option<String> {
        self.sessions.get(&id).map(|(s, _)| s.local_tag().to_owned())
    }

    /// Our 2xx to an INVITE of an answered call went out: the session resends it until
    /// the ACK.
    pub(super) fn session_sent_2xx(&mut self, id: CallId, bytes: Vec<u8>) {
        if let Some((s, _)) = self.sessions.get_mut(&id) {
            s.sent_2xx(bytes);
        }
    }

    /// Fires due call timers, and forgets calls that ended 64·T1 ago.
    pub(super) fn call_timers(&mut self, now: Instant) {
        while let Some((_, id)) = self.forget.front().copied().filter(|(t, _)| *t <= now) {
            self.forget.pop_front();
            // A call may end, linger and be forgotten only once it is over everywhere.
            if self.call_state(id).is_some_and(|s| matches!(s, CallState::Ended(_))) {
                if let Some(call_id) = self.sip_call_id(id).map(str::to_owned)
                    && let Some(ids) = self.by_call_id.get_mut(&call_id)
                {
                    ids.retain(|i| *i != id);
                    if ids.is_empty() {
                        self.by_call_id.remove(&call_id);
                    }
                }
                self.calls.remove(&id);
                self.incoming.remove(&id);
                self.sessions.remove(&id);
            }
        }
        let due: Vec<CallId> = self
            .live
            .iter()
            .filter(|id| self.calls.get(id).and_then(|(c, _)| c.poll_timeout()).is_some_and(|t| t <= now))
            .copied()
            .collect();
        for id in due {
            self.with_call(now, id, |call, ctx| call.on_timeout(ctx));
        }
        let due: Vec<CallId> = self
            .live
            .iter()
            .filter(|id| self.sessions.get(id).and_then(|(s, _)| s.poll_timeout()).is_some_and(|t| t <= now))
            .copied()
            .collect();
        for id in due {
            self.with_session(now, id, |s, ctx| s.on_timeout(ctx));
        }
    }

    /// The earliest call timer (only calls not yet ended have any).
    pub(super) fn calls_poll_timeout(&self) -> Option<Instant> {
        let calls = self.live.iter().filter_map(|id| self.calls.get(id).and_then(|(c, _)| c.poll_timeout()));
        let sessions =
            self.live.iter().filter_map(|id| self.sessions.get(id).and_then(|(s, _)| s.poll_timeout()));
        calls.chain(sessions).min()
    }
}
