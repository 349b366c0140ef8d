//! One registration (a line at its proxy, or line 1 at `proxy_backup`), as the 7940 firmware
//! runs it.
//!
//! ```text
//!          start / refresh timer / retry timer
//!  None ───────────────▶ Registering ──(resolve, REGISTER)──┐
//!    ▲                      │  ▲  401/407: answer the challenge (once per nonce)
//!    │                      │  └─ 423: retry with Min-Expires
//!    │          2xx, grant ≥ 60 s + delta           other final / timeout / DNS error
//!    │                      ▼                                   ▼
//!    │                 Registered ── refresh at grant − delta   Failed ── retry after
//!    │                      │        received= differs:           30 s·2ⁿ·U(0.5,1), capped
//!    │                      │        un-register old, register new
//!    │             stop / reg 0                 grant < 60 s: un-register, retry after
//!    │                      ▼                   timer_register_expires
//!    └────────────── Unregistering ──(REGISTER Expires: 0)
//! ```
//!
//! The agent never sends anything itself: it asks its owner (through [`Action`]s) to
//! resolve a name or to send a request in a new client transaction, and is fed back the
//! results.

use super::request::{RegisterParams, register};
use super::{Binding, Failure, RegState};
use crate::config::{Host, PhoneConfig};
use crate::sip::auth::{AuthError, AuthHeader, DigestClient, Sent};
use crate::sip::message::name_addr::Contacts;
use crate::sip::message::scalar::SipDate;
use crate::sip::message::uri::Uri;
use crate::sip::message::{Message, Method, Request};
use crate::ua::nat::{self, NatState};
use rand::Rng;
use rand::rngs::StdRng;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// First retry delay after a failure; doubles per failure.
const BACKOFF_BASE: Duration = Duration::from_secs(30);
/// The longest retry delay.
const BACKOFF_CAP: Duration = Duration::from_secs(1800);
/// A grant whose refresh period is shorter than this counts as a failure.
const MIN_REFRESH: u32 = 60;

/// What the agent asks its owner to do.
#[derive(Debug)]
pub enum Action {
    /// Resolve `host` (A record) for `port`, and say which local IP routes there.
    Resolve {
        /// Name or literal address.
        host: String,
        /// Port to pair with the address.
        port: u16,
    },
    /// Send `request` to `to` in a new non-INVITE client transaction.
    Send {
        /// The request.
        request: Request,
        /// The destination.
        to: SocketAddr,
        /// Its branch (the client-transaction key).
        branch: String,
    },
    /// Send a keep-alive (CRLF CRLF) to `to`.
    KeepAlive {
        /// The destination.
        to: SocketAddr,
    },
    /// The state changed (for events and `--watch`).
    Changed {
        /// Old state.
        from: RegState,
        /// New state.
        to: RegState,
    },
}

/// The phone-wide context an agent works in.
pub struct Ctx<'a> {
    /// Now.
    pub now: Instant,
    /// Seconds since the Unix epoch at `now` (for `Date`).
    pub unix_now: u64,
    /// The configuration.
    pub config: &'a PhoneConfig,
    /// Randomness (tags, branches, cnonce, jitter).
    pub rng: &'a mut StdRng,
    /// NAT knowledge shared by all lines.
    pub nat: &'a mut NatState,
    /// `my_ip_addr`, when it is an address of this host.
    pub my_ip: Option<IpAddr>,
    /// The phone's MAC, 12 lower-case hex digits (tags, Call-ID, instance).
    pub mac: &'a str,
    /// What the agent asks for.
    pub actions: &'a mut Vec<Action>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Register,
    Unregister { then_register: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Resolving(Purpose),
    Waiting { purpose: Purpose, sent_at: Instant, sent: Sent },
    Settled,
}

/// Whether the A of APR applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMark {
    /// No Authorization sent (`.`).
    #[default]
    None,
    /// An Authorization was sent (`1`).
    Sent,
    /// Authentication failed (`x`).
    Failed,
}

/// One registration.
pub struct Agent {
    binding: Binding,
    state: RegState,
    phase: Phase,
    auth: Result<DigestClient, AuthError>,
    call_id: Option<String>,
    from_tag: Option<String>,
    cseq: u32,
    requested_expires: u32,
    pending_branch: Option<String>,
    destination: Option<SocketAddr>,
    own_ip: Option<IpAddr>,
    contact: Option<SocketAddr>,
    /// When the refresh REGISTER is due (granted − delta after the 2xx).
    refresh_at: Option<Instant>,
    /// When the current binding runs out.
    expires_at: Option<Instant>,
    retry_at: Option<Instant>,
    keepalive_at: Option<Instant>,
    failures: u32,
    granted: u32,
    auth_mark: AuthMark,
    last_failure: Option<Failure>,
    stored_contacts: Vec<String>,
    received: Option<String>,
    rport: Option<u16>,
    rtt: Option<Duration>,
    /// When the attempt that is under way began (first REGISTER of a fresh registration).
    attempt_started: Option<Instant>,
    /// How long the last fresh registration took, first REGISTER to 2xx.
    setup_time: Option<Duration>,
}

impl Agent {
    /// An agent for `binding`; it does nothing until [`start`](Self::start).
    pub fn new(binding: Binding, config: &PhoneConfig) -> Self {
        let line = config.lines.get(binding.line_index()).cloned().unwrap_or_default();
        Self {
            binding,
            state: RegState::None,
            phase: Phase::Idle,
            auth: DigestClient::new(line.auth_user(), line.password.clone()),
            call_id: None,
            from_tag: None,
            cseq: 100,
            requested_expires: config.registration.expires,
            pending_branch: None,
            destination: None,
            own_ip: None,
            contact: None,
            refresh_at: None,
            expires_at: None,
            retry_at: None,
            keepalive_at: None,
            failures: 0,
            granted: 0,
            auth_mark: AuthMark::None,
            last_failure: None,
            stored_contacts: Vec::new(),
            received: None,
            rport: None,
            rtt: None,
            attempt_started: None,
            setup_time: None,
        }
    }

    /// Which row of `sh reg` this is.
    pub fn binding(&self) -> Binding {
        self.binding
    }

    /// The state shown by `sh reg`.
    pub fn state(&self) -> RegState {
        self.state
    }

    /// The Contact address registered (or being registered).
    pub fn contact(&self) -> Option<SocketAddr> {
        self.contact
    }

    /// Where this registration's requests go, once resolved.
    pub fn destination(&self) -> Option<SocketAddr> {
        self.destination
    }

    /// The branch of the transaction in flight, if any.
    pub fn pending_branch(&self) -> Option<&str> {
        self.pending_branch.as_deref()
    }

    /// Registers (or refreshes) now.
    pub fn start(&mut self, ctx: &mut Ctx<'_>) {
        self.retry_at = None;
        self.begin(ctx, Purpose::Register);
    }

    /// Un-registers now (`Expires: 0`); nothing is sent when nothing is registered.
    pub fn stop(&mut self, ctx: &mut Ctx<'_>) {
        self.retry_at = None;
        self.refresh_at = None;
        self.keepalive_at = None;
        if self.contact.is_none() || matches!(self.state, RegState::None | RegState::Unregistered) {
            self.phase = Phase::Idle;
            self.set_state(ctx, RegState::Unregistered);
            return;
        }
        self.begin(ctx, Purpose::Unregister { then_register: false });
    }

    fn begin(&mut self, ctx: &mut Ctx<'_>, purpose: Purpose) {
        let Some((host, port)) = self.target(ctx.config) else {
            self.fail(ctx, Failure::NoProxy);
            return;
        };
        self.phase = Phase::Resolving(purpose);
        if purpose == Purpose::Register && self.state != RegState::Registered {
            self.attempt_started = Some(ctx.now);
        }
        let state = if purpose == Purpose::Register {
            if self.state == RegState::Registered { RegState::Registered } else { RegState::Registering }
        } else {
            RegState::Unregistering
        };
        self.set_state(ctx, state);
        ctx.actions.push(Action::Resolve { host: host.to_string(), port });
    }

    /// Where requests go: `outbound_proxy` when set (not for the backup), else the proxy.
    fn target(&self, config: &PhoneConfig) -> Option<(Host, u16)> {
        let outbound = &config.outbound_proxy;
        if let (Binding::Line(_), Some(host)) = (self.binding, &outbound.address) {
            return Some((host.clone(), outbound.port));
        }
        let (registrar, port) = self.registrar(config)?;
        Some((registrar.clone(), port))
    }

    /// The registrar: Request-URI and domain.
    fn registrar<'c>(&self, config: &'c PhoneConfig) -> Option<(&'c Host, u16)> {
        let proxy = match self.binding {
            Binding::Line(n) => config.proxy_for_line(n)?,
            Binding::Backup => &config.proxy_backup,
        };
        Some((proxy.address.as_ref()?, proxy.port))
    }

    /// The name resolved (or not) for the pending request.
    pub fn on_resolved(&mut self, ctx: &mut Ctx<'_>, result: Result<(SocketAddr, IpAddr), String>) {
        let Phase::Resolving(purpose) = self.phase else { return };
        match result {
            Ok((destination, source_ip)) => {
                self.destination = Some(destination);
                self.own_ip = Some(ctx.my_ip.unwrap_or(source_ip));
                self.send(ctx, purpose, None);
            }
            Err(error) => {
                let host = self.target(ctx.config).map(|(h, _)| h.to_string()).unwrap_or_default();
                if let Purpose::Unregister { .. } = purpose {
                    self.unregistered(ctx);
                } else {
                    self.fail(ctx, Failure::Resolve { host, error });
                }
            }
        }
    }

    /// Sends the REGISTER; `answer` carries the credentials answering a challenge,
    /// otherwise any cached challenge is answered pre-emptively.
    fn send(&mut self, ctx: &mut Ctx<'_>, purpose: Purpose, answer: Option<Vec<AuthHeader>>) {
        let (Some(destination), Some(own_ip)) = (self.destination, self.own_ip) else { return };
        let Some((registrar, registrar_port)) = self.registrar(ctx.config).map(|(h, p)| (h.clone(), p))
        else {
            self.fail(ctx, Failure::NoProxy);
            return;
        };
        let advertised = nat::advertised(ctx.config, own_ip, ctx.nat);
        let (contact, expires) = match purpose {
            Purpose::Register => (advertised, self.requested_expires),
            Purpose::Unregister { .. } => (self.contact.unwrap_or(advertised), 0),
        };
        let mac = ctx.mac;
        let call_id = self
            .call_id
            .get_or_insert_with(|| format!("{mac}-{:08x}@{}", ctx.rng.next_u32(), own_ip))
            .clone();
        let from_tag =
            self.from_tag.get_or_insert_with(|| format!("{mac}-{:08x}", ctx.rng.next_u32())).clone();
        let branch = format!("z9hG4bK{:016x}", ctx.rng.next_u64());
        self.cseq += 1;
        let line = ctx.config.lines.get(self.binding.line_index()).cloned().unwrap_or_default();
        let contact_user = if line.contact.is_empty() { line.name.clone() } else { line.contact.clone() };
        let uri = format!("sip:{}", super::request::host_port(&registrar, registrar_port));
        let (headers, sent) = match answer {
            Some(headers) => (headers, Sent::Answer),
            None => {
                let headers = match &mut self.auth {
                    Ok(auth) => auth.authorize(Method::Register, uri.as_bytes(), ctx.rng),
                    Err(_) => Vec::new(),
                };
                let sent = if headers.is_empty() { Sent::Plain } else { Sent::Preemptive };
                (headers, sent)
            }
        };
        let authorization: Vec<_> =
            headers.into_iter().map(|h| (h.name, String::from_utf8_lossy(&h.value).into_owned())).collect();
        let instance = format!("urn:uuid:00000000-0000-0000-0000-{mac}");
        let request = register(&RegisterParams {
            registrar: &registrar,
            registrar_port,
            user: &line.name,
            contact_user: &contact_user,
            sent_by: advertised,
            contact: Some(contact),
            expires,
            branch: &branch,
            call_id: &call_id,
            from_tag: &from_tag,
            cseq: self.cseq,
            date: SipDate::from_unix(ctx.unix_now),
            user_agent: crate::ua::PRODUCT,
            instance: &instance,
            rport: ctx.config.nat.rport,
            user_info: ctx.config.registration.user_info,
            authorization,
        });
        if sent != Sent::Plain {
            self.auth_mark = AuthMark::Sent;
        }
        self.phase = Phase::Waiting { purpose, sent_at: ctx.now, sent };
        self.pending_branch = Some(branch.clone());
        if purpose == Purpose::Register {
            self.contact = Some(contact);
        }
        ctx.actions.push(Action::Send { request, to: destination, branch });
    }

    /// A final or provisional response to our pending REGISTER.
    pub fn on_response(&mut self, ctx: &mut Ctx<'_>, resp: &Message<'_>) {
        let Phase::Waiting { purpose, sent_at, sent } = self.phase else { return };
        let Some(code) = resp.status_code() else { return };
        if code < 200 {
            return;
        }
        self.pending_branch = None;
        self.rtt = Some(ctx.now.saturating_duration_since(sent_at));
        if let Ok(via) = resp.top_via() {
            self.received = via.received.map(|r| String::from_utf8_lossy(r).into_owned());
            self.rport = via.rport.flatten();
        }
        match code {
            200..=299 => match purpose {
                Purpose::Register => self.registered(ctx, resp),
                Purpose::Unregister { then_register: true } => {
                    self.contact = None;
                    self.begin(ctx, Purpose::Register);
                }
                Purpose::Unregister { then_register: false } => self.unregistered(ctx),
            },
            401 | 407 => {
                let uri = self
                    .registrar(ctx.config)
                    .map(|(h, p)| format!("sip:{}", super::request::host_port(h, p)))
                    .unwrap_or_default();
                let answer = match &mut self.auth {
                    Ok(auth) => auth.respond(resp, sent, Method::Register, uri.as_bytes(), ctx.rng),
                    Err(err) => Err(err.clone()),
                };
                match answer {
                    Ok(headers) => self.send(ctx, purpose, Some(headers)),
                    Err(err) => {
                        self.auth_mark = AuthMark::Failed;
                        let user =
                            ctx.config.lines.get(self.binding.line_index()).map(|l| l.auth_user().to_owned());
                        self.fail_or_drop(
                            ctx,
                            purpose,
                            Failure::Auth { code, user: user.unwrap_or_default(), error: err },
                        );
                    }
                }
            }
            423 => match resp.min_expires() {
                Ok(Some(min)) if min > self.requested_expires => {
                    self.requested_expires = min;
                    self.send(ctx, purpose, None);
                }
                _ => self.fail_or_drop(ctx, purpose, status_failure(resp, code)),
            },
            _ => {
                if code == 403 && sent != Sent::Plain {
                    self.auth_mark = AuthMark::Failed;
                }
                self.fail_or_drop(ctx, purpose, status_failure(resp, code));
            }
        }
    }

    fn fail_or_drop(&mut self, ctx: &mut Ctx<'_>, purpose: Purpose, failure: Failure) {
        match purpose {
            Purpose::Register => self.fail(ctx, failure),
            // A failed un-REGISTER leaves nothing to do: the binding will expire.
            Purpose::Unregister { .. } => {
                self.last_failure = Some(failure);
                self.unregistered(ctx);
            }
        }
    }

    /// The client transaction ended without a final response (Timer F).
    pub fn on_timeout_of_request(&mut self, ctx: &mut Ctx<'_>, tries: u32) {
        let Phase::Waiting { purpose, .. } = self.phase else { return };
        self.pending_branch = None;
        let to = self.destination.map(|d| d.to_string()).unwrap_or_default();
        let host = self.target(ctx.config).map(|(h, p)| format!("{h}:{p}")).unwrap_or_default();
        self.fail_or_drop(ctx, purpose, Failure::Timeout { host, to, tries });
    }

    fn registered(&mut self, ctx: &mut Ctx<'_>, resp: &Message<'_>) {
        let config = ctx.config;
        let contacts = match resp.contacts() {
            Ok(Contacts::List(list)) => list,
            _ => Vec::new(),
        };
        let instance = format!("<urn:uuid:00000000-0000-0000-0000-{}>", ctx.mac);
        let ours = contacts.iter().find(|c| {
            c.instance().is_some_and(|i| *i == *instance.as_bytes())
                || self.contact.is_some_and(|mine| contact_matches(&c.addr.uri, mine))
        });
        self.stored_contacts =
            contacts.iter().map(|c| String::from_utf8_lossy(c.addr.uri_raw).into_owned()).collect();
        let offered = ours.and_then(|c| c.expires).or_else(|| resp.expires().ok().flatten());
        let granted = offered.unwrap_or(self.requested_expires).min(config.registration.expires);
        self.granted = granted;

        // NAT: adopt the address the registrar saw (firmware received processing, or rport).
        if let (Some(mine), Some(received)) = (self.contact, self.received.as_deref().and_then(parse_ip)) {
            let learned_rport = self.rport.map(|p| SocketAddr::new(received, p));
            let switch = if config.nat.rport {
                learned_rport.filter(|l| *l != mine).map(|l| ctx.nat.rport = Some(l)).is_some()
            } else if nat::should_adopt_received(config, mine, received) {
                ctx.nat.received = Some(received);
                true
            } else {
                false
            };
            if switch {
                self.begin(ctx, Purpose::Unregister { then_register: true });
                return;
            }
        }

        if granted == 0 || granted.saturating_sub(config.registration.delta) < MIN_REFRESH {
            // The firmware treats this as a failure: un-register, retry after the full expiry.
            self.last_failure = Some(Failure::GrantTooShort { granted });
            self.failures += 1;
            self.begin(ctx, Purpose::Unregister { then_register: false });
            self.retry_at = Some(ctx.now + Duration::from_secs(u64::from(config.registration.expires)));
            return;
        }
        let refresh = Duration::from_secs(u64::from(granted - config.registration.delta));
        self.refresh_at = Some(ctx.now + refresh);
        self.expires_at = Some(ctx.now + Duration::from_secs(u64::from(granted)));
        self.retry_at = None;
        self.failures = 0;
        self.last_failure = None;
        self.phase = Phase::Settled;
        if let Some(started) = self.attempt_started.take() {
            self.setup_time = Some(ctx.now.saturating_duration_since(started));
        }
        if config.nat.keepalive > 0 {
            self.keepalive_at = Some(ctx.now + Duration::from_secs(u64::from(config.nat.keepalive)));
        }
        self.set_state(ctx, RegState::Registered);
    }

    fn unregistered(&mut self, ctx: &mut Ctx<'_>) {
        self.contact = None;
        self.refresh_at = None;
        self.expires_at = None;
        self.keepalive_at = None;
        self.phase = if self.retry_at.is_some() { Phase::Settled } else { Phase::Idle };
        let state = if self.retry_at.is_some() { RegState::Failed } else { RegState::Unregistered };
        self.set_state(ctx, state);
    }

    fn fail(&mut self, ctx: &mut Ctx<'_>, failure: Failure) {
        self.failures += 1;
        self.last_failure = Some(failure);
        self.phase = Phase::Settled;
        self.refresh_at = None;
        self.keepalive_at = None;
        // A binding that may still be alive at the registrar keeps its expiry.
        if self.expires_at.is_some_and(|at| at <= ctx.now) {
            self.expires_at = None;
        }
        let exponent = self.failures.saturating_sub(1).min(10);
        let delay = BACKOFF_BASE.saturating_mul(1 << exponent).min(BACKOFF_CAP);
        let jitter = 0.5 + 0.5 * (f64::from(ctx.rng.next_u32()) / f64::from(u32::MAX));
        self.retry_at = Some(ctx.now + delay.mul_f64(jitter));
        self.set_state(ctx, RegState::Failed);
    }

    fn set_state(&mut self, ctx: &mut Ctx<'_>, to: RegState) {
        if self.state != to {
            ctx.actions.push(Action::Changed { from: self.state, to });
            self.state = to;
        }
    }

    /// When [`on_timeout`](Self::on_timeout) is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.refresh_at, self.retry_at, self.keepalive_at].into_iter().flatten().min()
    }

    /// Fires due timers: refresh, retry, keep-alive.
    pub fn on_timeout(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        if self.keepalive_at.is_some_and(|t| t <= now) {
            if let Some(to) = self.destination {
                ctx.actions.push(Action::KeepAlive { to });
            }
            let every = Duration::from_secs(u64::from(ctx.config.nat.keepalive.max(1)));
            self.keepalive_at = Some(now + every);
        }
        let due = |t: Option<Instant>| t.is_some_and(|t| t <= now);
        if matches!(self.phase, Phase::Settled | Phase::Idle) && (due(self.refresh_at) || due(self.retry_at))
        {
            self.refresh_at = None;
            self.retry_at = None;
            self.begin(ctx, Purpose::Register);
        }
    }

    /// A snapshot for `sh reg` and `--json`.
    pub fn snapshot(&self, now: Instant, config: &PhoneConfig) -> super::Snapshot {
        let registrar = self.registrar(config);
        super::Snapshot {
            binding: self.binding,
            state: self.state,
            auth: self.auth_mark,
            provisioned: config.lines.get(self.binding.line_index()).is_some_and(|l| l.is_provisioned()),
            timer: if self.state == RegState::Registered {
                self.granted.saturating_sub(config.registration.delta)
            } else {
                0
            },
            expires_left: self.expires_at.map_or(0, |at| at.saturating_duration_since(now).as_secs()),
            proxy: registrar.map(|(h, p)| format!("{h}:{p}")),
            destination: self.destination,
            contact: self.contact,
            stored_contacts: self.stored_contacts.clone(),
            received: self.received.clone(),
            rport: self.rport,
            last_failure: self.last_failure.clone(),
            rtt: self.rtt,
            setup_time: self.setup_time,
            granted: self.granted,
            retry_in: self.retry_at.map(|at| at.saturating_duration_since(now)),
        }
    }
}

fn status_failure(resp: &Message<'_>, code: u16) -> Failure {
    let reason = String::from_utf8_lossy(resp.reason().unwrap_or_default()).into_owned();
    Failure::Status { code, reason }
}

fn parse_ip(text: &str) -> Option<IpAddr> {
    text.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

/// Whether a Contact URI points at our contact address.
fn contact_matches(uri: &Uri<'_>, mine: SocketAddr) -> bool {
    match uri {
        Uri::Sip(sip) => {
            let ip = match sip.host {
                crate::sip::message::uri::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
                crate::sip::message::uri::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
                crate::sip::message::uri::Host::Domain(_) => None,
            };
            ip == Some(mine.ip()) && sip.port.unwrap_or(5060) == mine.port()
        }
        _ => false,
    }
}
