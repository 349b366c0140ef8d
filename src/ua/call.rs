//! An outgoing call, as the phone's sans-IO state machine (RFC 3261 §13, §15, §22).
//!
//! ```text
//!  dial ──INVITE+offer──▶ Calling ──1xx──▶ Proceeding / Ringing (180/183)
//!                            │  401/407: new INVITE with credentials (CSeq + 1)
//!                            │  cancel while no final: CANCEL ──▶ 487 ──▶ Ended(Cancelled)
//!                 2xx: dialog, ACK, media: a [`Session`] carries the call on
//!                            ▼                 (hold, re-INVITEs, BYE: see `session`)
//!                        Connected
//!  3xx with a sip: Contact: new INVITE to it (same Call-ID and From, CSeq + 1, same
//!       next hop), at most 5 times and never to a target already tried
//!  other 3xx, 4xx–6xx: Ended(Status) · Timer B / timer_invite_expires: Ended(Timeout)
//! ```
//! Like the registration agent, the call never sends anything itself: it returns
//! [`CallAction`]s for the phone to carry out.

use crate::config::PhoneConfig;
use crate::sdp::{self, LocalMedia, Media, SessionDescription};
use crate::sip::auth::{AuthHeader, DigestClient, Sent};
use crate::sip::dialog::Dialog;
use crate::sip::message::{HeaderName, Message, Method, Request};
use crate::ua::registration::request::host_port;
use crate::ua::session::{Established, Hold, Session};
use rand::Rng;
use rand::rngs::StdRng;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// How many 3xx redirects one call follows.
pub const MAX_REDIRECTS: usize = 5;

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
    /// No final response in time (Timer B or `timer_invite_expires`), or no ACK for our
    /// 2xx within 64·T1.
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
    /// Answered and on hold (by us, the far end or both).
    Held(Hold),
    /// BYE or CANCEL sent, waiting for its answer.
    Ending,
    /// Over.
    Ended(EndReason),
}

impl std::fmt::Display for EndReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndReason::Local => f.write_str("hung up here"),
            EndReason::Remote => f.write_str("BYE from remote"),
            EndReason::Cancelled => f.write_str("cancelled"),
            EndReason::Status { code, reason } => write!(f, "{code} {reason}"),
            EndReason::Timeout => f.write_str("no answer (timeout)"),
            EndReason::Media(e) => write!(f, "no usable media: {e}"),
            EndReason::Setup(e) => f.write_str(e),
        }
    }
}

impl std::fmt::Display for CallState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallState::Calling => f.write_str("Calling"),
            CallState::Proceeding(code) => write!(f, "Trying ({code})"),
            CallState::Ringing => f.write_str("Ringing"),
            CallState::Connected => f.write_str("Connected"),
            CallState::Held(Hold::Local) => f.write_str("On hold (by us)"),
            CallState::Held(Hold::Remote) => f.write_str("On hold (by the far end)"),
            CallState::Held(Hold::Both) => f.write_str("On hold (both ways)"),
            CallState::Ending => f.write_str("Ending"),
            CallState::Ended(reason) => write!(f, "Ended: {reason}"),
        }
    }
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
    /// The call was answered: the phone keeps its session from now on.
    Established(Box<Session>),
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

/// The Request-URI for `number` at `domain` (`host[:port]`): `sip:number@domain`, with
/// `;user=phone`/`;user=ip` when `user` says so; a number that is already a `sip:`/`sips:`
/// URI is used as given.
pub fn request_uri(
    number: &str,
    domain: &str,
    user: Option<crate::config::dialplan::UserMode>,
) -> Result<String, EndReason> {
    if number.starts_with("sip:") || number.starts_with("sips:") {
        return Ok(number.to_owned());
    }
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_alphanumeric() || "*#+-_.!~".contains(c)) {
        return Err(EndReason::Setup(format!("{number:?} is not a number or SIP URI")));
    }
    let param = user.map(|u| format!(";user={}", u.param())).unwrap_or_default();
    Ok(format!("sip:{number}@{domain}{param}"))
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
    local: LocalMedia,
    local_sdp: SessionDescription,
    contact: String,
    /// A 2xx came after we gave up and was hung up at once.
    answered_late: bool,
    /// The targets a 3xx sent us to so far (redirects followed).
    redirects: Vec<String>,
    /// The Request-URI first dialled.
    dialled: String,
    /// Headers every INVITE of the call carries besides the usual ones (`Replaces`,
    /// `Referred-By` when following an attended transfer).
    extra_headers: Vec<(HeaderName, String)>,
    started: Instant,
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
        let proxy =
            ctx.config.proxy_for_line(line).ok_or_else(|| EndReason::Setup("no proxy address".into()))?;
        let domain =
            host_port(proxy.address.as_ref().ok_or_else(|| EndReason::Setup("no proxy".into()))?, proxy.port);
        let target_uri = request_uri(number, &domain, None)?;
        Self::dial_uri(id, line, target_uri, destination, rtp_port, Vec::new(), ctx)
    }

    /// Places a call from line `line` (1-based) to `target_uri` (the Request-URI and To),
    /// sending its INVITE to `destination` with an SDP offer for `rtp_port` and
    /// `extra_headers` besides the usual ones.
    pub fn dial_uri(
        id: CallId,
        line: usize,
        target_uri: String,
        destination: SocketAddr,
        rtp_port: u16,
        extra_headers: Vec<(HeaderName, String)>,
        ctx: &mut CallCtx<'_>,
    ) -> Result<Self, EndReason> {
        let config = ctx.config;
        let line_config = config.lines.get(line.wrapping_sub(1)).filter(|l| l.is_provisioned());
        let line_config =
            line_config.ok_or_else(|| EndReason::Setup(format!("line {line} is not provisioned")))?;
        let ip = ctx.advertised.ip();
        let session_id = u64::from(ctx.rng.next_u32());
        let local = LocalMedia::from_config(&config.media, ip, rtp_port, session_id, session_id);
        let mut call = OutgoingCall {
            id,
            line,
            state: CallState::Calling,
            destination,
            dialled: target_uri.clone(),
            target_uri,
            call_id: format!("{:016x}@{}", ctx.rng.next_u64(), host_of(ip)),
            from_tag: format!("{:08x}", ctx.rng.next_u32()),
            cseq: 100,
            invite_branch: None,
            invite_bytes: None,
            sent: Sent::Plain,
            auth: DigestClient::new(line_config.auth_user(), line_config.password.clone()).ok(),
            local_sdp: sdp::make_offer(&local),
            local,
            contact: String::new(),
            answered_late: false,
            redirects: Vec::new(),
            extra_headers,
            started: ctx.now,
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
        // Caller-ID blocking keeps the address (proxies match it with the digest user) and
        // hides the name; `Privacy: id` asks the proxy to withhold the rest.
        let display = if config.features.callerid_blocking.is_on() { "Anonymous" } else { line.display() };
        format!("\"{display}\" <sip:{}@{domain}>;tag={}", line.name, self.from_tag)
    }

    fn send_invite(&mut self, ctx: &mut CallCtx<'_>, credentials: Vec<AuthHeader>) {
        let (via, branch) = self.via(ctx);
        self.cseq += 1;
        let line = ctx.config.lines.get(self.line - 1).cloned().unwrap_or_default();
        let contact_user = if line.contact.is_empty() { line.name.clone() } else { line.contact.clone() };
        self.contact = format!("<sip:{contact_user}@{};transport=udp>", ctx.advertised);
        let mut req = Request::new(Method::Invite, self.target_uri.clone())
            .with(HeaderName::Via, via)
            .with(HeaderName::From, self.our_from(ctx.config))
            .with(HeaderName::To, format!("<{}>", self.target_uri))
            .with(HeaderName::CallId, self.call_id.as_str())
            .with(HeaderName::CSeq, format!("{} INVITE", self.cseq))
            .with(HeaderName::MaxForwards, "70")
            .with(HeaderName::Contact, self.contact.as_str())
            .with(HeaderName::UserAgent, crate::ua::PRODUCT)
            .with(HeaderName::Allow, crate::ua::inbound::allow_value())
            .with(HeaderName::ContentType, "application/sdp");
        if ctx.config.features.callerid_blocking.is_on() {
            req = req.with(HeaderName::Privacy, "id");
        }
        for (name, value) in &self.extra_headers {
            req = req.with(*name, value.as_str());
        }
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
        if (200..300).contains(&code) {
            return self.on_2xx(ctx, resp);
        }
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
            300..=399 if self.state != CallState::Ending && self.follow_redirect(ctx, resp) => {}
            _ => self.end(ctx, EndReason::Status { code, reason: reason(resp) }),
        }
    }

    fn on_2xx(&mut self, ctx: &mut CallCtx<'_>, resp: &Message<'_>) {
        if self.state == CallState::Connected || self.answered_late {
            return; // another fork's 2xx, or one we already hung up; a session has the call
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
        let late = match &self.state {
            CallState::Ending => Some((EndReason::Cancelled, true)),
            CallState::Ended(reason) => Some((reason.clone(), false)),
            _ => None,
        };
        let established = Established {
            dialog,
            fallback_hop: self.destination,
            owns_call_id: true,
            contact: self.contact.clone(),
            local: self.local.clone(),
            last_sdp: self.local_sdp.clone(),
            auth: self.auth.clone(),
        };
        if let Some((reason, announce)) = late {
            // Answered after we gave up: ACK and BYE; the call stays ended.
            self.answered_late = true;
            self.state = CallState::Ended(reason.clone());
            let session = Session::start_late(established, ctx, self.cseq, reason, announce);
            ctx.actions.push(CallAction::Established(Box::new(session)));
            return;
        }
        self.state = CallState::Connected;
        let mut session = Session::start(established, ctx);
        session.ack_2xx(ctx, self.cseq);
        session.remote_description(ctx, sdp::parse(resp.body).map_err(|e| e.to_string()));
        ctx.actions.push(CallAction::Established(Box::new(session)));
    }

    /// A 3xx: a new INVITE to its first `sip:`/`sips:` Contact not tried yet, through the
    /// same next hop (RFC 3261 §8.1.3.4); false when there is none or
    /// [`MAX_REDIRECTS`] were followed already.
    fn follow_redirect(&mut self, ctx: &mut CallCtx<'_>, resp: &Message<'_>) -> bool {
        if self.redirects.len() >= MAX_REDIRECTS {
            return false;
        }
        let Ok(crate::sip::message::name_addr::Contacts::List(contacts)) = resp.contacts() else {
            return false;
        };
        let next = contacts
            .iter()
            .filter(|c| matches!(c.addr.uri, crate::sip::message::uri::Uri::Sip(_)))
            .map(|c| String::from_utf8_lossy(c.addr.uri_raw).into_owned())
            .find(|uri| *uri != self.target_uri && *uri != self.dialled && !self.redirects.contains(uri));
        let Some(next) = next else { return false };
        self.redirects.push(next.clone());
        self.target_uri = next;
        self.sent = Sent::Plain;
        if let Some(code) = resp.status_code() {
            self.set_state(ctx, CallState::Proceeding(code));
        }
        self.send_invite(ctx, Vec::new());
        true
    }

    /// The targets 3xx responses sent this call to, in order.
    pub fn redirects(&self) -> &[String] {
        &self.redirects
    }

    /// The Request-URI the INVITE goes to now (the dialled one, or the last redirect).
    pub fn target_uri(&self) -> &str {
        &self.target_uri
    }

    /// The INVITE transaction timed out (Timer B).
    pub fn on_invite_timeout(&mut self, ctx: &mut CallCtx<'_>) {
        if !matches!(self.state, CallState::Connected | CallState::Ended(_)) {
            self.end(ctx, EndReason::Timeout);
        }
    }

    /// Hangs up before an answer: CANCEL (after it the session hangs up).
    pub fn hangup(&mut self, ctx: &mut CallCtx<'_>) {
        if matches!(self.state, CallState::Calling | CallState::Proceeding(_) | CallState::Ringing) {
            self.send_cancel(ctx);
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

    /// Whether `msg` (a response) belongs to this call: our Call-ID and From tag.
    pub fn owns(&self, msg: &Message<'_>) -> bool {
        msg.call_id().is_ok_and(|c| c == self.call_id.as_bytes())
            && msg.from().ok().and_then(|f| f.tag().map(|t| t == self.from_tag.as_bytes())).unwrap_or(false)
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
