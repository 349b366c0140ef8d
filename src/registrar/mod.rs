//! A small sans-IO SIP registrar and stateless proxy, **for the demo and tests only, not a
//! production proxy**: it backs `sip7940 demo` (phones calling each other through a
//! built-in registrar on 127.0.0.1) and the two-phone scenario tests on simulated time.
//!
//! Like [`crate::ua::Phone`] it never touches a socket, a clock or a global RNG: the io edge
//! (or a simulation) feeds it datagrams and timeouts with the time they happened, drains
//! [`Registrar::poll_output`] and sleeps until [`Registrar::poll_timeout`]; randomness comes
//! from the [`StdRng`] it is given.
//!
//! ```text
//!  datagram ─▶ parse ─┬─ unreadable / invalid ─────────────▶ 400 when answerable, else dropped
//!                     ├─ REGISTER ─▶ digest (401, 403) ─▶ 423 │ 200 + Contact;expires
//!                     │                                   └─▶ location: user → Contact, expiry
//!                     ├─ ACK of our own final response ──────▶ absorbed (To tag is ours)
//!                     ├─ other request ─▶ Max-Forwards 0: 483
//!                     │     ─▶ out of dialog (no To tag, not ACK/CANCEL): digest (407, 403)
//!                     │     ─▶ next hop: Route after ours │ location (404, 480; Request-URI
//!                     │        := Contact) │ Request-URI (in dialog, our Route popped) │ 403
//!                     │     ─▶ + Via (branch from theirs), + Record-Route on INVITE ─▶ send
//!                     └─ response ─▶ top Via ours? pop it ─▶ next Via (received, rport)
//!  timeout ─▶ lapsed bindings removed
//! ```
//!
//! # Proxying: stateless (RFC 3261 §16.11)
//! No transaction state is kept. Retransmissions, CANCEL and the ACK of a failure are
//! relayed like any request, and because the branch of our Via is a hash of the incoming
//! branch they reach the callee's INVITE transaction; 2xx retransmissions and their ACKs
//! travel end to end. So there is no 100 Trying from the proxy and no forking: one binding
//! per user. Responses the proxy makes itself (401, 407, 404, 480, 483, …) carry a To tag
//! of its own, and the ACK of such a response is absorbed.
//!
//! # Authentication
//! REGISTER is challenged with 401 (`WWW-Authenticate`), out-of-dialog requests from our
//! users with 407 (`Proxy-Authenticate`), like Kamailio's default configuration; requests
//! inside a dialog (with a To tag), ACK and CANCEL are not challenged. MD5 with
//! `qop=auth`; a wrong password is 403. See `auth` for the nonces.
//!
//! # Files
//! `mod` (this: configuration, dispatch, local responses, events), `register` (REGISTER),
//! `proxy` (requests), `relay` (responses), `auth` (digest, nonces), `location` (the
//! table), `hops` (addresses, branches).
#![deny(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod auth;
mod hops;
mod location;
mod proxy;
mod register;
mod relay;

pub use location::{Binding, Location};

use crate::config::Secret;
use crate::sip::message::validate::top_via_lenient;
use crate::sip::message::{
    Datagram, HeaderName, Message, Method, ValidationError, can_respond, parse_datagram, parse_lenient,
    rejection, response_to, validate_request,
};
use crate::sip::transport::{response_destination, stamp_via};
pub use crate::ua::Transmit;
use rand::Rng;
use rand::rngs::StdRng;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use thiserror::Error;

/// The product token in `Server` headers.
pub const SERVER: &str = "sip7940-registrar (demo, not a production proxy)";

/// How the registrar is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// Its address: where it listens, and what it writes in Via and Record-Route.
    pub addr: SocketAddr,
    /// The domain and digest realm. A Request-URI whose host is this or `addr`'s IP (at
    /// `addr`'s port) is for one of our users.
    pub domain: String,
    /// The users and their passwords.
    pub users: Vec<(String, Secret)>,
    /// Shortest registration accepted; shorter ones get 423 (0: no minimum).
    pub min_expires: u32,
    /// Longest registration granted.
    pub max_expires: u32,
    /// The expiry when a REGISTER names none.
    pub default_expires: u32,
    /// How long a nonce is good for (then `stale=true`).
    pub nonce_lifetime: Duration,
}

impl Config {
    /// A registrar at `addr` for `users` (name, password), its IP as the domain; 60 s to
    /// 3600 s registrations, 3600 s by default; nonces good for 5 minutes.
    pub fn new<U: Into<String>, P: Into<String>>(
        addr: SocketAddr,
        users: impl IntoIterator<Item = (U, P)>,
    ) -> Self {
        Config {
            addr,
            domain: addr.ip().to_string(),
            users: users.into_iter().map(|(u, p)| (u.into(), Secret::new(p))).collect(),
            min_expires: 60,
            max_expires: 3600,
            default_expires: 3600,
            nonce_lifetime: Duration::from_secs(300),
        }
    }
}

/// Why the registrar answered a request with an error (or, for ACK, dropped it).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    /// The request failed validation (400, or 505 for the version).
    #[error("invalid request: {0}")]
    Invalid(ValidationError),
    /// No such user (404).
    #[error("no user {0:?} here")]
    UnknownUser(String),
    /// The user exists but has no valid binding (480).
    #[error("user {0} is not registered")]
    NotRegistered(String),
    /// Credentials for a user we do not have (403).
    #[error("credentials for unknown user {0:?}")]
    UnknownCredentials(String),
    /// Credentials with the wrong password (403).
    #[error("wrong password for {0}")]
    WrongPassword(String),
    /// The digest `uri` is not the Request-URI (400).
    #[error("the digest uri is not the Request-URI")]
    DigestUriMismatch,
    /// Authenticated as one user, acting as another (403).
    #[error("authenticated as {authenticated} but the request is for {claimed}")]
    UserMismatch {
        /// Who the credentials belong to.
        authenticated: String,
        /// The user in To (REGISTER) or From (other requests).
        claimed: String,
    },
    /// An out-of-dialog request whose From is not one of our users (403).
    #[error("{0:?} is not one of our users")]
    NotOurUser(String),
    /// A registration shorter than the minimum (423 with Min-Expires).
    #[error("{asked} s is shorter than the minimum of {min} s")]
    IntervalTooBrief {
        /// What was asked for.
        asked: u32,
        /// The minimum.
        min: u32,
    },
    /// `Contact: *` without `Expires: 0` (400).
    #[error("Contact: * needs Expires: 0")]
    StarNeedsZeroExpires,
    /// Max-Forwards reached 0 (483).
    #[error("too many hops")]
    TooManyHops,
    /// A request for another domain that did not come through our Route (403).
    #[error("relaying to {0} is not allowed")]
    RelayForbidden(String),
    /// The next hop is not an IP address we can send to (404: no DNS here).
    #[error("no route to {0}")]
    Unroutable(String),
}

impl Refusal {
    /// The status code it is answered with.
    pub fn code(&self) -> u16 {
        match self {
            Refusal::Invalid(e) => e.status_code(),
            Refusal::UnknownUser(_) | Refusal::Unroutable(_) => 404,
            Refusal::NotRegistered(_) => 480,
            Refusal::UnknownCredentials(_)
            | Refusal::WrongPassword(_)
            | Refusal::UserMismatch { .. }
            | Refusal::NotOurUser(_)
            | Refusal::RelayForbidden(_) => 403,
            Refusal::DigestUriMismatch | Refusal::StarNeedsZeroExpires => 400,
            Refusal::IntervalTooBrief { .. } => 423,
            Refusal::TooManyHops => 483,
        }
    }
}

/// Why a datagram was dropped without an answer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DropReason {
    /// Not a SIP message, or a request too broken to answer.
    #[error("unreadable datagram")]
    Unreadable,
    /// A response that fails validation.
    #[error("invalid response: {0}")]
    InvalidResponse(ValidationError),
    /// A response whose top Via is not ours.
    #[error("response not sent through us")]
    NotOurs,
    /// A response with no Via below ours, or one that names no address.
    #[error("response with no previous hop to return to")]
    NoPreviousHop,
}

/// What the registrar did, for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A user registered (or refreshed).
    Registered {
        /// The user.
        user: String,
        /// The Contact URI.
        contact: String,
        /// Seconds granted.
        expires: u32,
    },
    /// A user un-registered.
    Unregistered {
        /// The user.
        user: String,
    },
    /// A binding lapsed.
    Expired {
        /// The user.
        user: String,
    },
    /// A request was refused (or, for ACK, dropped).
    Refused {
        /// Where it came from.
        from: SocketAddr,
        /// Its method.
        method: String,
        /// Why.
        refusal: Refusal,
    },
    /// A datagram was dropped.
    Dropped {
        /// Where it came from.
        from: SocketAddr,
        /// Why.
        reason: DropReason,
    },
}

/// The registrar and proxy.
pub struct Registrar {
    config: Config,
    salt: String,
    tag: String,
    nonces: auth::Nonces,
    rng: StdRng,
    location: Location,
    outputs: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl Registrar {
    /// A registrar with `config`, starting at `now`, drawing nonces (and its hashing salt)
    /// from `rng`.
    pub fn new(config: Config, mut rng: StdRng, now: Instant) -> Self {
        let salt = format!("{:016x}", rng.next_u64());
        let tag = format!("sr.{}", salt.get(..8).unwrap_or(&salt));
        let nonces = auth::Nonces::new(salt.clone(), now, config.nonce_lifetime);
        Registrar {
            config,
            salt,
            tag,
            nonces,
            rng,
            location: Location::default(),
            outputs: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The location table.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The valid binding of `user` at `now`.
    pub fn binding(&self, user: &str, now: Instant) -> Option<&Binding> {
        self.location.get(user, now)
    }

    /// The To tag of every response the registrar makes itself.
    pub fn local_tag(&self) -> &str {
        &self.tag
    }

    /// A datagram arrived from `from` at `now`.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        match parse_datagram(bytes) {
            Ok(Datagram::KeepAlive) => {}
            Ok(Datagram::Message(msg)) if msg.is_request() => self.on_request(now, from, &msg),
            Ok(Datagram::Message(msg)) => self.relay_response(from, &msg),
            Err(_) => match parse_lenient(bytes) {
                Ok(msg) if msg.is_request() && can_respond(&msg) && msg.method() != Some(Method::Ack) => {
                    self.reply(from, &msg, 400, &[]);
                }
                _ => self.drop_with(from, DropReason::Unreadable),
            },
        }
    }

    fn on_request(&mut self, now: Instant, from: SocketAddr, req: &Message<'_>) {
        if let Err(err) = validate_request(req) {
            let answer = rejection(req, &err, &self.config.addr.to_string(), Some(self.tag.as_bytes()));
            self.note_refusal(from, req, Refusal::Invalid(err));
            match answer {
                Some(resp) if req.method() != Some(Method::Ack) => self.send_response(from, req, resp),
                _ => {}
            }
            return;
        }
        match req.method() {
            Some(Method::Register) => self.register(now, from, req),
            _ => self.proxy(now, from, req),
        }
    }

    /// Time has come: removes lapsed bindings.
    pub fn handle_timeout(&mut self, now: Instant) {
        for user in self.location.expire(now) {
            self.events.push_back(Event::Expired { user });
        }
    }

    /// The next datagram to send.
    pub fn poll_output(&mut self) -> Option<Transmit> {
        self.outputs.pop_front()
    }

    /// The next thing that happened.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.location.next_expiry()
    }

    fn send(&mut self, to: SocketAddr, bytes: Vec<u8>) {
        self.outputs.push_back(Transmit { to, bytes: Arc::from(bytes) });
    }

    fn drop_with(&mut self, from: SocketAddr, reason: DropReason) {
        self.events.push_back(Event::Dropped { from, reason });
    }

    fn note_refusal(&mut self, from: SocketAddr, req: &Message<'_>, refusal: Refusal) {
        let method =
            req.method().map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned()).unwrap_or_default();
        self.events.push_back(Event::Refused { from, method, refusal });
    }

    /// Refuses `req`: an error response (nothing for ACK) and an event.
    fn refuse(&mut self, from: SocketAddr, req: &Message<'_>, refusal: Refusal) {
        let code = refusal.code();
        let extra = match &refusal {
            Refusal::IntervalTooBrief { min, .. } => vec![(HeaderName::MinExpires, min.to_string())],
            _ => vec![],
        };
        self.note_refusal(from, req, refusal);
        if req.method() != Some(Method::Ack) {
            self.reply(from, req, code, &extra);
        }
    }

    /// Answers `req` ourselves (statelessly), with our To tag on anything but 100.
    fn reply(&mut self, from: SocketAddr, req: &Message<'_>, code: u16, extra: &[(HeaderName, String)]) {
        let tag = (code > 100).then_some(self.tag.as_bytes());
        let Ok(mut resp) = response_to(req, code, tag) else {
            self.drop_with(from, DropReason::Unreadable);
            return;
        };
        for (name, value) in extra {
            resp.headers.push(*name, value.clone());
        }
        self.send_response(from, req, resp);
    }

    /// Stamps the response's top Via for `from` and sends it where the request's Via says.
    fn send_response(
        &mut self,
        from: SocketAddr,
        req: &Message<'_>,
        mut resp: crate::sip::message::Response,
    ) {
        resp.headers.push(HeaderName::Server, SERVER);
        if let Some(via) = resp.headers.0.iter_mut().find(|h| h.name.is(HeaderName::Via))
            && let Some(stamped) = stamp_via(&via.value, from)
        {
            via.value = stamped;
        }
        let to = top_via_lenient(req).map_or(from, |v| response_destination(&v, from));
        self.send(to, resp.to_bytes());
    }

    /// Whether `name` is one of our users.
    fn is_user(&self, name: &str) -> bool {
        self.config.users.iter().any(|(u, _)| u == name)
    }
}

#[cfg(test)]
mod tests;
