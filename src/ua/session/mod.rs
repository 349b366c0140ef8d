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
//!   OPTIONS, INFO: 200 · REFER with one Refer-To: 202 (the phone carries the transfer
//!   out, see `transfer`) · NOTIFY with `Event: refer`: 200 · other methods: 501 with
//!   Allow · after the end: 481
//! ```
//! The hold directions follow RFC 3264 §8.4: we offer `sendonly` to hold (`inactive` when
//! the far end holds us too) and `sendrecv` (or `recvonly`) to resume; a far-end offer that
//! does not receive (`sendonly`, `inactive`, or the RFC 2543 address `0.0.0.0`) is its hold.
//! The media the phone is told about is what the media task should do: while we hold, the
//! microphone is muted even where the SDP would allow sending.

use super::call::{CallAction, CallCtx, CallState, EndReason};
use crate::sdp::{self, Direction, LocalMedia, Media, SessionDescription};
use crate::sip::auth::{DigestClient, Sent};
use crate::sip::dialog::Dialog;
use crate::sip::message::uri::{Host, Uri};
use crate::sip::message::{HeaderName, Message};
use crate::sip::transaction::TimerConfig;
use crate::sip::transaction::timers::earliest;
use rand::Rng;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

mod ours;
mod refer;
mod theirs;

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
    /// Extra headers the codec has no name for (`RTP-RxStat`).
    pub named: Vec<(&'static str, String)>,
    /// An SDP body.
    pub body: Option<Vec<u8>>,
}

impl Reply {
    fn status(code: u16) -> Self {
        Reply { code, headers: Vec::new(), named: Vec::new(), body: None }
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
    /// We hung up before the ACK of our 2xx: BYE when it comes (or at the give-up).
    bye_after_ack: bool,
    /// `RTP-RxStat` / `RTP-TxStat` for BYE and its 200 (`call_stats : 1`).
    call_stats: Option<[(&'static str, String); 2]>,
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
        let session = Session::new(est, ctx);
        ctx.actions.push(CallAction::Changed(CallState::Connected));
        session
    }

    fn new(est: Established, ctx: &mut CallCtx<'_>) -> Self {
        Session {
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
            bye_after_ack: false,
            call_stats: None,
            auth: est.auth,
            timers: TimerConfig::from(&ctx.config.timers),
            connected_at: ctx.now,
        }
    }

    /// A 2xx to our INVITE with `cseq` that came after we gave up on the call (our CANCEL
    /// crossed it, or Timer B ran out): ACK it and hang up at once with a BYE (§15); the
    /// call never shows as connected. `announce` reports the end (`reason`) as new.
    pub fn start_late(
        est: Established,
        ctx: &mut CallCtx<'_>,
        cseq: u32,
        reason: EndReason,
        announce: bool,
    ) -> Self {
        let mut session = Session::new(est, ctx);
        session.ack_2xx(ctx, cseq);
        session.send_bye(ctx);
        session.state = CallState::Ended(reason.clone());
        if announce {
            ctx.actions.push(CallAction::Changed(CallState::Ended(reason)));
        }
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

    /// The RTP statistics for the `call_stats` headers.
    pub fn set_call_stats(&mut self, stats: [(&'static str, String); 2]) {
        self.call_stats = Some(stats);
    }

    /// The `call_stats` headers, when configured and known.
    fn stats_headers(&self, ctx: &CallCtx<'_>) -> Vec<(&'static str, String)> {
        match (&self.call_stats, ctx.config.media.call_stats) {
            (Some(stats), true) => stats.to_vec(),
            _ => Vec::new(),
        }
    }

    /// How long the call has been connected.
    pub fn connected_for(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.connected_at)
    }

    /// Whether `msg` belongs to this dialog.
    pub fn in_dialog(&self, msg: &Message<'_>) -> bool {
        self.dialog.matches(msg)
    }

    /// The SIP Call-ID.
    pub fn call_id(&self) -> &str {
        &self.dialog.id.call_id
    }

    /// Our tag (To of the far end's requests).
    pub fn local_tag(&self) -> &str {
        &self.dialog.id.local_tag
    }

    /// The far end's tag (From of its requests).
    pub fn remote_tag(&self) -> &str {
        &self.dialog.id.remote_tag
    }

    /// The far end's URI (its address of record: To or From of the call, no tag or
    /// display name).
    pub fn remote_uri(&self) -> String {
        uri_of_name_addr(&self.dialog.remote)
    }

    fn live(&self) -> bool {
        matches!(self.state, CallState::Connected | CallState::Held(_))
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
                if self.bye_after_ack {
                    // Hung up here; the ACK never came: the BYE goes now, its answer ends it.
                    self.send_bye(ctx);
                } else {
                    self.terminate(ctx, EndReason::Timeout);
                }
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

/// The URI of a name-addr or addr-spec (`"Bob" <sip:b@h>;tag=x` → `sip:b@h`,
/// `sip:b@h;tag=x` → `sip:b@h`).
pub fn uri_of_name_addr(text: &str) -> String {
    let text = text.trim();
    match text.find('<') {
        Some(start) => text[start + 1..].split('>').next().unwrap_or_default().trim().to_owned(),
        None => text.split(';').next().unwrap_or_default().trim().to_owned(),
    }
}
