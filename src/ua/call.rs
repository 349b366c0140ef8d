//! An outgoing call, as the phone's sans-IO state machine (RFC 3261 §13, §15, §22).
//!
//! ```text
//!  dial ──INVITE+offer──▶ Calling ──1xx──▶ Proceeding / Ringing (180/183)
//!                            │  401/407: new INVITE with credentials (CSeq + 1)
//!                            │  cancel while no final: CANCEL ──▶ 487 ──▶ Ended(Cancelled)
//!                 2xx: dialog, ACK (again for every 2xx retransmission), media
//!                            ▼
//!                        Connected ──hangup──▶ BYE ──2xx/timeout──▶ Ended(Local)
//!                            └──BYE from the far end: 200 ──────────▶ Ended(Remote)
//!  3xx–6xx: Ended(Status) · Timer B / timer_invite_expires: Ended(Timeout)
//! ```
//! Like the registration agent, the call never sends anything itself: it returns
//! [`CallAction`]s for the phone to carry out.

use crate::config::PhoneConfig;
use crate::sdp::{self, LocalMedia, Media, SessionDescription};
use crate::sip::auth::{AuthHeader, DigestClient, Sent};
use crate::sip::dialog::Dialog;
use crate::sip::message::{HeaderName, Message, Method, Request};
use crate::ua::registration::request::host_port;
use rand::Rng;
use rand::rngs::StdRng;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// A call's handle in the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

/// Why a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    /// We hung up (BYE sent).
    Local,
    /// The far end hung up (BYE received).
    Remote,
    /// We cancelled before an answer.
    Cancelled,
    /// A final failure response.
    Status {
        /// The status.
        code: u16,
        /// The reason phrase as received.
        reason: String,
    },
    /// No final response in time (Timer B or `timer_invite_expires`).
    Timeout,
    /// The answer's SDP could not be used (no common codec, no address).
    Media(String),
    /// The request could not be built (no proxy, bad number, …).
    Setup(String),
}

/// What the call is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallState {
    /// INVITE sent, nothing heard.
    Calling,
    /// A provisional response (the status).
    Proceeding(u16),
    /// 180 or 183: the far end rings.
    Ringing,
    /// Answered; media flows.
    Connected,
    /// BYE or CANCEL sent, waiting for its answer.
    Ending,
    /// Over.
    Ended(EndReason),
}

/// What the call asks the phone to do.
#[derive(Debug)]
pub enum CallAction {
    /// Start a client transaction (INVITE or non-INVITE) for `request` to `to`.
    Send {
        /// The request.
        request: Request,
        /// Its branch.
        branch: String,
        /// The next hop.
        to: SocketAddr,
    },
    /// Send these bytes outside any transaction (the ACK of a 2xx) to `to`.
    SendStateless {
        /// The bytes.
        bytes: Vec<u8>,
        /// The next hop.
        to: SocketAddr,
    },
    /// The state changed.
    Changed(CallState),
    /// Media was agreed (or changed): start or update RTP.
    Media(Media),
}

/// Inputs the call needs from the phone.
pub struct CallCtx<'a> {
    /// Now.
    pub now: Instant,
    /// The configuration.
    pub config: &'a PhoneConfig,
    /// Randomness for tags, branches, cnonce.
    pub rng: &'a mut StdRng,
    /// The address we advertise (Via, Contact, SDP), by the NAT rules.
    pub advertised: SocketAddr,
    /// What the call asks for.
    pub actions: &'a mut Vec<CallAction>,
}

/// An outgoing call.
pub struct OutgoingCall {
    /// The handle.
    pub id: CallId,
    line: usize,
    state: CallState,
    /// Where requests go (outbound proxy or the line's proxy), resolved.
    pub destination: SocketAddr,
    target_uri: String,
    call_id: String,
    from_tag: String,
    cseq: u32,
    invite_branch: Option<String>,
    invite_bytes: Option<Vec<u8>>,
    sent: Sent,
    auth: Option<DigestClient>,
    local_sdp: SessionDescription,
    dialog: Option<Dialog>,
    ack: Option<Vec<u8>>,
    media: Option<Media>,
    started: Instant,
    connected_at: Option<Instant>,
    give_up_at: Instant,
}

impl OutgoingCall {
    /// Places a call from line `line` (1-based) to `number` (a user part, or a full
    /// `sip:` URI), sending its INVITE with an SDP offer for `rtp_port`.
    pub fn dial(
        id: CallId,
        line: usize,
        number: &str,
        destination: SocketAddr,
        rtp_port: u16,
        ctx: &mut CallCtx<'_>,
    ) -> Result<Self, EndReason> {
        let config = ctx.config;
        let line_config = config.lines.get(line.wrapping_sub(1)).filter(|l| l.is_provisioned());
        let line_config =
            line_config.ok_or_else(|| EndReason::Setup(format!("line {line} is not provisioned")))?;
        let proxy = config.proxy_for_line(line).ok_or_else(|| EndReason::Setup("no proxy address".into()))?;
        let domain =
            host_port(proxy.address.as_ref().ok_or_else(|| EndReason::Setup("no proxy".into()))?, proxy.port);
        let target_uri = if number.starts_with("sip:") || number.starts_with("sips:") {
            number.to_owned()
        } else if number.chars().all(|c| c.is_ascii_alphanumeric() || "*#+-_.!~".contains(c))
            && !number.is_empty()
        {
            format!("sip:{number}@{domain}")
        } else {
            return Err(EndReason::Setup(format!("{number:?} is not a number or SIP URI")));
        };
        let ip = ctx.advertised.ip();
        let session_id = u64::from(ctx.rng.next_u32());
        let local = LocalMedia::from_config(&config.media, ip, rtp_port, session_id, session_id);
        let mut call = OutgoingCall {
            id,
            line,
            state: CallState::Calling,
            destination,
            target_uri,
            call_id: format!("{:016x}@{}", ctx.rng.next_u64(), host_of(ip)),
            from_tag: format!("{:08x}", ctx.rng.next_u32()),
            cseq: 100,
            invite_branch: None,
            invite_bytes: None,
            sent: Sent::Plain,
            auth: DigestClient::new(line_config.auth_user(), line_config.password.clone()).ok(),
            local_sdp: sdp::make_offer(&local),
            dialog: None,
            ack: None,
            media: None,
            started: ctx.now,
            connected_at: None,
            give_up_at: ctx.now + Duration::from_secs(u64::from(config.timers.invite_expires)),
        };
        call.send_invite(ctx, Vec::new());
        Ok(call)
    }

    /// The state.
    pub fn state(&self) -> &CallState {
        &self.state
    }

    /// The line (1-based).
    pub fn line(&self) -> usize {
        self.line
    }

    /// The Call-ID.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// The agreed media, once answered.
    pub fn media(&self) -> Option<&Media> {
        self.media.as_ref()
    }

    /// How long the call has been connected, if it was.
    pub fn connected_for(&self, now: Instant) -> Option<Duration> {
        self.connected_at.map(|t| now.saturating_duration_since(t))
    }

    /// The branch of the INVITE transaction in flight.
    pub fn invite_branch(&self) -> Option<&str> {
        self.invite_branch.as_deref()
    }

    fn via(&self, ctx: &mut CallCtx<'_>) -> (String, String) {
        let branch = format!("z9hG4bK{:016x}", ctx.rng.next_u64());
        (format!("SIP/2.0/UDP {};branch={branch}", ctx.advertised), branch)
    }

    fn our_from(&self, config: &PhoneConfig) -> String {
        let line = config.lines.get(self.line - 1).cloned().unwrap_or_default();
        let domain = config
            .proxy_for_line(self.line)
            .and_then(|p| p.address.as_ref().map(|h| host_port(h, p.port)))
            .unwrap_or_default();
        format!("\"{}\" <sip:{}@{domain}>;tag={}", line.display(), line.name, self.from_tag)
    }

    fn send_invite(&mut self, ctx: &mut CallCtx<'_>, credentials: Vec<AuthHeader>) {
        let (via, branch) = self.via(ctx);
        self.cseq += 1;
        let line = ctx.config.lines.get(self.line - 1).cloned().unwrap_or_default();
        let contact_user = if line.contact.is_empty() { line.name.clone() } else { line.contact.clone() };
        let mut req = Request::new(Method::Invite, self.target_uri.clone())
            .with(HeaderName::Via, via)
            .with(HeaderName::From, self.our_from(ctx.config))
            .with(HeaderName::To, format!("<{}>", self.target_uri))
            .with(HeaderName::CallId, self.call_id.as_str())
            .with(HeaderName::CSeq, format!("{} INVITE", self.cseq))
            .with(HeaderName::MaxForwards, "70")
            .with(HeaderName::Contact, format!("<sip:{contact_user}@{};transport=udp>", ctx.advertised))
            .with(HeaderName::UserAgent, crate::ua::PRODUCT)
            .with(HeaderName::Allow, "INVITE, ACK, CANCEL, BYE, OPTIONS")
            .with(HeaderName::ContentType, "application/sdp");
        self.sent = if credentials.is_empty() { Sent::Plain } else { Sent::Answer };
        for h in credentials {
            req = req.with(h.name, h.value);
        }
        let req = req.with_body(self.local_sdp.to_bytes());
        self.invite_bytes = Some(req.to_bytes());
        self.invite_branch = Some(branch.clone());
        ctx.actions.push(CallAction::Send { request: req, branch, to: self.destination });
    }

    /// A response to our INVITE (passed up by its transaction).
    pub fn on_invite_response(&mut self, ctx: &mut CallCtx<'_>, resp: &Message<'_>) {
        let Some(code) = resp.status_code() else { return };
        if matches!(self.state, CallState::Ended(_)) {
            return;
        }
        match code {
            100..=199 => {
                if matches!(self.state, CallState::Calling | CallState::Proceeding(_)) {
                    let next = if matches!(code, 180 | 183) {
                        CallState::Ringing
                    } else {
                        CallState::Proceeding(code)
                    };
                    if next != self.state {
                        self.set_state(ctx, next);
                    }
                }
            }
            200..=299 => self.on_2xx(ctx, resp),
            401 | 407 if self.state != CallState::Ending => {
                let Some(auth) = self.auth.as_mut() else {
                    self.end(ctx, EndReason::Status { code, reason: reason(resp) });
                    return;
                };
                match auth.respond(resp, self.sent, Method::Invite, self.target_uri.as_bytes(), ctx.rng) {
                    Ok(credentials) => self.send_invite(ctx, credentials),
                    Err(_) => self.end(ctx, EndReason::Status { code, reason: reason(resp) }),
                }
            }
            487 if self.state == CallState::Ending => self.end(ctx, EndReason::Cancelled),
            _ => self.end(ctx, EndReason::Status { code, reason: reason(resp) }),
        }
    }

    fn on_2xx(&mut self, ctx: &mut CallCtx<'_>, resp: &Message<'_>) {
        // A retransmitted 2xx: ACK it again (§13.2.2.4).
        if let Some(ack) = &self.ack {
            ctx.actions.push(CallAction::SendStateless { bytes: ack.clone(), to: self.next_hop() });
            return;
        }
        let Some(invite) = self.invite_bytes.clone() else { return };
        let Ok(crate::sip::message::Datagram::Message(invite)) = crate::sip::message::parse_datagram(&invite)
        else {
            return;
        };
        let dialog = match Dialog::from_response(&invite, resp) {
            Ok(d) => d,
            Err(e) => {
                self.end(ctx, EndReason::Setup(format!("unusable 2xx: {e}")));
                return;
            }
        };
        let (via, _) = self.via(ctx);
        let ack = dialog.ack(self.cseq, &via).to_bytes();
        self.dialog = Some(dialog);
        ctx.actions.push(CallAction::SendStateless { bytes: ack.clone(), to: self.next_hop() });
        self.ack = Some(ack);
        let media = sdp::parse(resp.body)
            .map_err(|e| e.to_string())
            .and_then(|remote| sdp::negotiated(&self.local_sdp, &remote).map_err(|e| e.to_string()));
        match media {
            Ok(media) => {
                self.media = Some(media);
                self.connected_at = Some(ctx.now);
                self.set_state(ctx, CallState::Connected);
                ctx.actions.push(CallAction::Media(media));
            }
            Err(e) => {
                // Answered with nothing we can use: hang up at once.
                self.send_bye(ctx);
                self.state = CallState::Ended(EndReason::Media(e.clone()));
                ctx.actions.push(CallAction::Changed(CallState::Ended(EndReason::Media(e))));
            }
        }
    }

    /// The INVITE transaction timed out (Timer B).
    pub fn on_invite_timeout(&mut self, ctx: &mut CallCtx<'_>) {
        if !matches!(self.state, CallState::Connected | CallState::Ended(_)) {
            self.end(ctx, EndReason::Timeout);
        }
    }

    /// Hangs up: BYE when connected, CANCEL while the far end has not answered.
    pub fn hangup(&mut self, ctx: &mut CallCtx<'_>) {
        match self.state {
            CallState::Connected => {
                self.send_bye(ctx);
                self.set_state(ctx, CallState::Ending);
            }
            CallState::Calling | CallState::Proceeding(_) | CallState::Ringing => self.send_cancel(ctx),
            _ => {}
        }
    }

    fn send_bye(&mut self, ctx: &mut CallCtx<'_>) {
        let (via, branch) = self.via(ctx);
        let to = self.next_hop();
        if let Some(dialog) = self.dialog.as_mut() {
            let bye = dialog.request(Method::Bye, &via).with(HeaderName::UserAgent, crate::ua::PRODUCT);
            ctx.actions.push(CallAction::Send { request: bye, branch, to });
        }
    }

    /// CANCEL (§9.1): the INVITE's Request-URI, Call-ID, From, To, CSeq number and top Via.
    fn send_cancel(&mut self, ctx: &mut CallCtx<'_>) {
        let Some(branch) = self.invite_branch.clone() else { return };
        let via = format!("SIP/2.0/UDP {};branch={branch}", ctx.advertised);
        let cancel = Request::new(Method::Cancel, self.target_uri.clone())
            .with(HeaderName::Via, via)
            .with(HeaderName::From, self.our_from(ctx.config))
            .with(HeaderName::To, format!("<{}>", self.target_uri))
            .with(HeaderName::CallId, self.call_id.as_str())
            .with(HeaderName::CSeq, format!("{} CANCEL", self.cseq))
            .with(HeaderName::MaxForwards, "70");
        ctx.actions.push(CallAction::Send { request: cancel, branch, to: self.destination });
        self.set_state(ctx, CallState::Ending);
    }

    /// A response to our BYE or CANCEL.
    pub fn on_other_response(&mut self, ctx: &mut CallCtx<'_>, method: &[u8], code: u16) {
        if method.eq_ignore_ascii_case(b"BYE") && code >= 200 && self.state == CallState::Ending {
            self.end(ctx, EndReason::Local);
        }
    }

    /// A request inside our dialog (BYE, re-INVITE, INFO, OPTIONS); returns the status to
    /// answer it with.
    pub fn on_request(&mut self, ctx: &mut CallCtx<'_>, req: &Message<'_>) -> u16 {
        let Some(dialog) = self.dialog.as_mut() else { return 481 };
        if dialog.on_request(req).is_err() {
            return 500;
        }
        match req.method() {
            Some(Method::Bye) => {
                self.end(ctx, EndReason::Remote);
                200
            }
            Some(Method::Options | Method::Info) => 200,
            _ => 501,
        }
    }

    /// Whether a message belongs to this call's dialog.
    pub fn in_dialog(&self, msg: &Message<'_>) -> bool {
        self.dialog.as_ref().is_some_and(|d| d.matches(msg))
    }

    /// When [`on_timeout`](Self::on_timeout) is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        matches!(self.state, CallState::Calling | CallState::Proceeding(_) | CallState::Ringing)
            .then_some(self.give_up_at)
    }

    /// `timer_invite_expires` ran out before an answer: cancel.
    pub fn on_timeout(&mut self, ctx: &mut CallCtx<'_>) {
        if self.poll_timeout().is_some_and(|t| t <= ctx.now) {
            self.send_cancel(ctx);
        }
    }

    fn end(&mut self, ctx: &mut CallCtx<'_>, reason: EndReason) {
        self.set_state(ctx, CallState::Ended(reason));
    }

    fn set_state(&mut self, ctx: &mut CallCtx<'_>, state: CallState) {
        self.state = state.clone();
        ctx.actions.push(CallAction::Changed(state));
    }

    /// Where in-dialog requests go: the proxy when the dialog has a route set (Kamailio
    /// record-routes), else the far end's Contact when it is an address.
    fn next_hop(&self) -> SocketAddr {
        let Some(dialog) = &self.dialog else { return self.destination };
        if !dialog.route_set.is_empty() {
            return self.destination;
        }
        match crate::sip::message::uri::Uri::parse(dialog.remote_target.as_bytes()) {
            Ok(crate::sip::message::uri::Uri::Sip(uri)) => {
                let ip = match uri.host {
                    crate::sip::message::uri::Host::Ipv4(v4) => IpAddr::V4(v4),
                    crate::sip::message::uri::Host::Ipv6(v6) => IpAddr::V6(v6),
                    crate::sip::message::uri::Host::Domain(_) => return self.destination,
                };
                SocketAddr::new(ip, uri.port.unwrap_or(5060))
            }
            _ => self.destination,
        }
    }

    /// When the call started.
    pub fn started(&self) -> Instant {
        self.started
    }
}

fn reason(resp: &Message<'_>) -> String {
    String::from_utf8_lossy(resp.reason().unwrap_or_default()).into_owned()
}

fn host_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => format!("[{v6}]"),
        IpAddr::V4(v4) => v4.to_string(),
    }
}
