//! An established call: a confirmed dialog and its media session, whichever side placed
//! the call (RFC 3261 §12–§15, RFC 3264 §8, RFC 6337 on hold).
//!
//! ```text
//!             hold / resume (re-INVITE with sendonly|inactive / sendrecv|recvonly)
//!   Connected ◀──────────────────────────────────────────────────────────▶ Held(Local|Remote|Both)
//!       │   our re-INVITE ──2xx: ACK, new media · 491: retry after 2.1–4 s (Call-ID
//!       │                 owner) or 0–2 s · 401/407: once with credentials ·
//!       │                 408/481/Timer B: BYE · other: session unchanged
//!       │   their re-INVITE ──▶ 200 + answer (or offer when it had none; answer in the
//!       │                 ACK), resent T1…≤T2 until the ACK, BYE after 64·T1 ·
//!       │                 491 while ours is pending · 500 + Retry-After while theirs is
//!       │                 unacknowledged · 488 when nothing matches (session unchanged)
//!       ├─ hangup: BYE ──▶ Ending ──final response or timeout──▶ Ended(Local)
//!       └─ BYE from the far end: 200 ──────────────────────────▶ Ended(Remote)
//!   OPTIONS, INFO: 200 · other methods: 501 with Allow · after the end: 481
//! ```
//! The hold directions follow RFC 3264 §8.4: we offer `sendonly` to hold (`inactive` when
//! the far end holds us too) and `sendrecv` (or `recvonly`) to resume; a far-end offer that
//! does not receive (`sendonly`, `inactive`, or the RFC 2543 address `0.0.0.0`) is its hold.
//! The media the phone is told about is what the media task should do: while we hold, the
//! microphone is muted even where the SDP would allow sending.

use super::call::{CallAction, CallCtx, CallState, EndReason};
use super::inbound::allow_value;
use crate::sdp::{self, Direction, LocalMedia, Media, SessionDescription};
use crate::sip::auth::{DigestClient, Sent};
use crate::sip::dialog::Dialog;
use crate::sip::message::uri::{Host, Uri};
use crate::sip::message::{HeaderName, Message, Method};
use crate::sip::transaction::TimerConfig;
use crate::sip::transaction::timers::earliest;
use rand::{Rng, RngExt};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// Who holds the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// We put the far end on hold.
    Local,
    /// The far end put us on hold.
    Remote,
    /// Both.
    Both,
}

impl Hold {
    fn of(local: bool, remote: bool) -> Option<Hold> {
        match (local, remote) {
            (true, true) => Some(Hold::Both),
            (true, false) => Some(Hold::Local),
            (false, true) => Some(Hold::Remote),
            (false, false) => None,
        }
    }
}

/// The answer to a request inside the dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status.
    pub code: u16,
    /// Extra headers.
    pub headers: Vec<(HeaderName, String)>,
    /// An SDP body.
    pub body: Option<Vec<u8>>,
}

impl Reply {
    fn status(code: u16) -> Self {
        Reply { code, headers: Vec::new(), body: None }
    }
}

/// Our re-INVITE in flight.
#[derive(Debug)]
struct OurInvite {
    cseq: u32,
    offer: SessionDescription,
    hold: bool,
    sent: Sent,
}

/// The far end's INVITE we answered 2xx, until its ACK.
#[derive(Debug)]
struct TheirInvite {
    cseq: u32,
    bytes: Option<Vec<u8>>,
    retransmit_at: Instant,
    interval: Duration,
    give_up_at: Instant,
    /// We offered in the 2xx (their INVITE had no SDP): the answer comes in the ACK.
    our_offer: Option<SessionDescription>,
}

/// An established call.
#[derive(Debug)]
pub struct Session {
    state: CallState,
    dialog: Dialog,
    /// Where requests go when the route set and remote target name no address.
    fallback_hop: SocketAddr,
    /// We sent the initial INVITE (we own the Call-ID: the longer 491 back-off).
    owns_call_id: bool,
    contact: String,
    local: LocalMedia,
    last_sdp: SessionDescription,
    media: Option<Media>,
    local_hold: bool,
    remote_hold: bool,
    want_hold: bool,
    ours: Option<OurInvite>,
    theirs: Option<TheirInvite>,
    /// The ACK we sent for the 2xx to our INVITE with this CSeq (resent for retransmissions).
    acked: Option<(u32, Vec<u8>)>,
    retry_at: Option<Instant>,
    auth: Option<DigestClient>,
    timers: TimerConfig,
    connected_at: Instant,
}

/// How a session starts.
pub struct Established {
    /// The dialog.
    pub dialog: Dialog,
    /// Where requests go when the dialog names no address.
    pub fallback_hop: SocketAddr,
    /// Whether we placed the call.
    pub owns_call_id: bool,
    /// Our Contact header value.
    pub contact: String,
    /// Our media parameters (address, RTP port, codecs, session id and version).
    pub local: LocalMedia,
    /// The SDP we sent last (offer or answer).
    pub last_sdp: SessionDescription,
    /// Credentials for challenged re-INVITEs.
    pub auth: Option<DigestClient>,
}

impl Session {
    /// A session for an answered call; emits `Connected`. The far end's description
    /// follows with [`remote_description`](Self::remote_description) (at once, or with the
    /// ACK when we offered in our 2xx).
    pub fn start(est: Established, ctx: &mut CallCtx<'_>) -> Self {
        let session = Session {
            state: CallState::Connected,
            dialog: est.dialog,
            fallback_hop: est.fallback_hop,
            owns_call_id: est.owns_call_id,
            contact: est.contact,
            local: est.local,
            last_sdp: est.last_sdp,
            media: None,
            local_hold: false,
            remote_hold: false,
            want_hold: false,
            ours: None,
            theirs: None,
            acked: None,
            retry_at: None,
            auth: est.auth,
            timers: TimerConfig::from(&ctx.config.timers),
            connected_at: ctx.now,
        };
        ctx.actions.push(CallAction::Changed(CallState::Connected));
        session
    }

    /// The far end's description completing the first offer/answer: media, or a BYE when
    /// it is unusable.
    pub fn remote_description(&mut self, ctx: &mut CallCtx<'_>, remote: Result<SessionDescription, String>) {
        let media = remote.and_then(|r| {
            let media = sdp::negotiated(&self.last_sdp, &r).map_err(|e| e.to_string())?;
            Ok((media, is_hold(&r)))
        });
        match media {
            Ok((media, remote_hold)) => {
                self.remote_hold = remote_hold;
                self.set_media(ctx, media);
            }
            Err(e) => self.terminate(ctx, EndReason::Media(e)),
        }
    }

    /// The UAC side: ACKs the 2xx to our INVITE with `cseq` (and again for each
    /// retransmission of it).
    pub fn ack_2xx(&mut self, ctx: &mut CallCtx<'_>, cseq: u32) {
        let (via, _) = via(ctx);
        let ack = self.dialog.ack(cseq, &via).to_bytes();
        ctx.actions.push(CallAction::SendStateless { bytes: ack.clone(), to: self.next_hop() });
        self.acked = Some((cseq, ack));
    }

    /// The UAS side: our 2xx to their INVITE with `cseq` is out; resend it until the ACK.
    /// `our_offer` is set when the 2xx carried our offer (the answer comes in the ACK).
    pub fn awaiting_ack(&mut self, now: Instant, cseq: u32, our_offer: Option<SessionDescription>) {
        self.theirs = Some(TheirInvite {
            cseq,
            bytes: None,
            retransmit_at: now + self.timers.t1,
            interval: self.timers.t1,
            give_up_at: now + self.timers.timeout(),
            our_offer,
        });
    }

    /// The bytes of the 2xx the phone sent (to resend).
    pub fn sent_2xx(&mut self, bytes: Vec<u8>) {
        if let Some(t) = self.theirs.as_mut() {
            t.bytes = Some(bytes);
        }
    }

    /// The state.
    pub fn state(&self) -> &CallState {
        &self.state
    }

    /// The agreed media (as the media task should run it).
    pub fn media(&self) -> Option<&Media> {
        self.media.as_ref()
    }

    /// Who holds the call, if anyone.
    pub fn hold(&self) -> Option<Hold> {
        Hold::of(self.local_hold, self.remote_hold)
    }

    /// How long the call has been connected.
    pub fn connected_for(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.connected_at)
    }

    /// Whether `msg` belongs to this dialog.
    pub fn in_dialog(&self, msg: &Message<'_>) -> bool {
        self.dialog.matches(msg)
    }

    /// Our tag (To of the far end's requests).
    pub fn local_tag(&self) -> &str {
        &self.dialog.id.local_tag
    }

    fn live(&self) -> bool {
        matches!(self.state, CallState::Connected | CallState::Held(_))
    }

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
    fn maybe_reinvite(&mut self, ctx: &mut CallCtx<'_>) {
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
    pub fn hangup(&mut self, ctx: &mut CallCtx<'_>) {
        if self.live() {
            self.send_bye(ctx);
            self.set_state(ctx, CallState::Ending);
        }
    }

    /// Ends the call at once for `reason`, with a BYE.
    fn terminate(&mut self, ctx: &mut CallCtx<'_>, reason: EndReason) {
        if matches!(self.state, CallState::Ended(_)) {
            return;
        }
        if self.live() {
            self.send_bye(ctx);
        }
        self.set_state(ctx, CallState::Ended(reason));
    }

    fn send_bye(&mut self, ctx: &mut CallCtx<'_>) {
        let (via, branch) = via(ctx);
        let to = self.next_hop();
        let bye = self.dialog.request(Method::Bye, &via).with(HeaderName::UserAgent, crate::ua::PRODUCT);
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
                let credentials = self
                    .auth
                    .as_mut()
                    .and_then(|auth| auth.respond(resp, Sent::Plain, Method::Invite, uri.as_bytes(), ctx.rng).ok());
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
                let reason = if self.state == CallState::Ending { EndReason::Local } else { EndReason::Remote };
                self.theirs = None;
                self.ours = None;
                self.retry_at = None;
                self.set_state(ctx, CallState::Ended(reason));
                Reply::status(200)
            }
            Method::Invite => self.on_reinvite(ctx, req, cseq),
            Method::Options => Reply {
                code: 200,
                headers: vec![
                    (HeaderName::Allow, allow_value()),
                    (HeaderName::Accept, "application/sdp".to_owned()),
                ],
                body: None,
            },
            Method::Info => Reply::status(200),
            _ => Reply { code: 501, headers: vec![(HeaderName::Allow, allow_value())], body: None },
        })
    }

    fn on_reinvite(&mut self, ctx: &mut CallCtx<'_>, req: &Message<'_>, cseq: u32) -> Reply {
        if self.ours.is_some() {
            return Reply::status(491);
        }
        if self.theirs.is_some() {
            let wait = ctx.rng.random_range(0..=10u32);
            return Reply { code: 500, headers: vec![(HeaderName::RetryAfter, wait.to_string())], body: None };
        }
        let ok = |body: &SessionDescription, contact: &str| Reply {
            code: 200,
            headers: vec![
                (HeaderName::Contact, contact.to_owned()),
                (HeaderName::Allow, allow_value()),
                (HeaderName::ContentType, "application/sdp".to_owned()),
            ],
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

    // ------------------------------------------------------------------ timers

    /// When [`on_timeout`](Self::on_timeout) is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let theirs = self.theirs.as_ref().map(|t| t.retransmit_at.min(t.give_up_at));
        earliest(theirs, self.retry_at)
    }

    /// Resends our 2xx (T1 doubling, capped at T2) and gives up at 64·T1 with a BYE;
    /// retries a re-INVITE after a 491.
    pub fn on_timeout(&mut self, ctx: &mut CallCtx<'_>) {
        let now = ctx.now;
        if let Some(t) = self.theirs.as_mut() {
            if t.give_up_at <= now {
                self.terminate(ctx, EndReason::Timeout);
                return;
            }
            if t.retransmit_at <= now {
                if let Some(bytes) = t.bytes.clone() {
                    let to = self.next_hop();
                    ctx.actions.push(CallAction::SendStateless { bytes, to });
                }
                if let Some(t) = self.theirs.as_mut() {
                    t.interval = (t.interval * 2).min(self.timers.t2);
                    t.retransmit_at = now + t.interval;
                }
            }
        }
        if self.retry_at.is_some_and(|t| t <= now) {
            self.retry_at = None;
            self.maybe_reinvite(ctx);
        }
    }

    // ------------------------------------------------------------------ helpers

    fn set_media(&mut self, ctx: &mut CallCtx<'_>, mut media: Media) {
        if self.local_hold {
            // On hold the microphone is muted, whatever the SDP allows.
            media.direction = media.direction.intersect(Direction::RecvOnly);
        }
        let state = match self.hold() {
            Some(hold) => CallState::Held(hold),
            None => CallState::Connected,
        };
        if self.media != Some(media) {
            self.media = Some(media);
            ctx.actions.push(CallAction::Media(media));
        }
        if state != self.state {
            self.set_state(ctx, state);
        }
    }

    fn set_state(&mut self, ctx: &mut CallCtx<'_>, state: CallState) {
        self.state = state.clone();
        ctx.actions.push(CallAction::Changed(state));
    }

    /// Where our requests go (§12.2.1.1, loose routing): the first route of the route set,
    /// else the remote target, when they name an address; else the proxy (or peer) the
    /// call started with.
    fn next_hop(&self) -> SocketAddr {
        let uri = match self.dialog.route_set.first() {
            Some(route) => route.trim_start_matches('<').trim_end_matches('>').to_owned(),
            None => self.dialog.remote_target.clone(),
        };
        match Uri::parse(uri.as_bytes()) {
            Ok(Uri::Sip(sip)) => {
                let ip = match sip.host {
                    Host::Ipv4(v4) => IpAddr::V4(v4),
                    Host::Ipv6(v6) => IpAddr::V6(v6),
                    Host::Domain(_) => return self.fallback_hop,
                };
                SocketAddr::new(ip, sip.port.unwrap_or(5060))
            }
            _ => self.fallback_hop,
        }
    }
}

/// The direction we offer or answer with: hold → `sendonly` (`inactive` when the far end
/// holds us), else `sendrecv` (`recvonly` when it holds us).
fn wished_direction(local_hold: bool, remote_hold: bool) -> Direction {
    Direction::from_flags(true, !local_hold).intersect(Direction::from_flags(!remote_hold, true))
}

/// Whether a far-end description puts us on hold: its audio does not receive, or its
/// address is `0.0.0.0` (RFC 2543).
pub fn is_hold(desc: &SessionDescription) -> bool {
    let Some(index) = desc.media.iter().position(|m| m.is_audio() && m.port != 0) else { return false };
    let direction = desc.media_direction(index).unwrap_or(Direction::SendRecv);
    !direction.receives() || desc.media_connection(index).is_some_and(|c| c.is_unspecified())
}

fn via(ctx: &mut CallCtx<'_>) -> (String, String) {
    let branch = format!("z9hG4bK{:016x}", ctx.rng.next_u64());
    (format!("SIP/2.0/UDP {};branch={branch}", ctx.advertised), branch)
}
