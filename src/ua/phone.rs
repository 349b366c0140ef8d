//! The phone: one sans-IO state machine that owns every transaction.
//!
//! The io edge feeds it datagrams and timeouts with the time they happened, then drains
//! [`Output`]s until there are none and sleeps until [`Phone::poll_timeout`]. It never reads
//! a clock, a socket or a global RNG: time is an argument, randomness comes from the seed.
//!
//! ```text
//!  datagram ─▶ parse ─┬─ keep-alive ─────────────▶ ignored
//!                     ├─ broken request ─────────▶ 400 (stateless) or dropped
//!                     ├─ request ─▶ transaction? ─┬─ yes: retransmission / ACK absorbed
//!                     │                           └─ no: inbound::classify ─▶ respond
//!                     └─ response ─▶ client transaction, else dropped
//! ```

use super::inbound::{self, ACCEPT, SUPPORTED, Verdict};
use crate::config::PhoneConfig;
use crate::sip::message::{
    Datagram, HeaderName, Message, Method, Response, can_respond, parse_datagram, parse_lenient, rejection,
    response_to, validate_request, validate_response,
};
use crate::sip::transaction::key::{ServerKey, cancel_target, server_key};
use crate::sip::transaction::{self, Kind, ServerTransaction, TimerConfig};
use crate::sip::transport::{response_destination, stamp_via};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// The product token a 7940 with firmware 8 sends (`User-Agent`, `Server`).
pub const PRODUCT: &str = "Cisco-CP7940G/8.0";

/// Something the io edge must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send a datagram.
    Transmit(Transmit),
    /// Tell the person (or the log) something.
    Event(Event),
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Destination.
    pub to: SocketAddr,
    /// The bytes.
    pub bytes: Arc<[u8]>,
}

/// What happened, for logs and `--sip-trace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A datagram was dropped without an answer.
    Dropped {
        /// Where it came from.
        from: SocketAddr,
        /// Why, in words.
        reason: String,
    },
}

struct ServerEntry {
    tx: ServerTransaction,
    peer: SocketAddr,
}

/// The phone.
pub struct Phone {
    config: PhoneConfig,
    timers: TimerConfig,
    local: SocketAddr,
    rng: StdRng,
    servers: HashMap<ServerKey, ServerEntry>,
    outputs: VecDeque<Output>,
}

impl Phone {
    /// A phone listening on `local`, with randomness from `seed`.
    pub fn new(config: PhoneConfig, local: SocketAddr, seed: u64) -> Self {
        let timers = TimerConfig::from(&config.timers);
        Self {
            config,
            timers,
            local,
            rng: StdRng::seed_from_u64(seed),
            servers: HashMap::new(),
            outputs: VecDeque::new(),
        }
    }

    /// The configuration the phone runs with.
    pub fn config(&self) -> &PhoneConfig {
        &self.config
    }

    /// How many server transactions are alive (for tests and statistics).
    pub fn server_transactions(&self) -> usize {
        self.servers.len()
    }

    /// A datagram arrived from `from` at `now`.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        match parse_datagram(bytes) {
            Ok(Datagram::KeepAlive) => {}
            Ok(Datagram::Message(msg)) if msg.is_request() => self.handle_request(now, from, &msg),
            Ok(Datagram::Message(msg)) => self.handle_response(from, &msg),
            Err(err) => {
                // Framing errors (Content-Length) still leave a readable request: answer 400.
                match parse_lenient(bytes) {
                    Ok(msg) if msg.is_request() && can_respond(&msg) && msg.method() != Some(Method::Ack) => {
                        let reason = format!("Bad Request ({err})");
                        self.respond_stateless(from, &msg, 400, Some(&reason), &[]);
                    }
                    _ => self.drop_with(from, format!("unparsable message: {err}")),
                }
            }
        }
    }

    fn drop_with(&mut self, from: SocketAddr, reason: String) {
        self.outputs.push_back(Output::Event(Event::Dropped { from, reason }));
    }

    fn handle_response(&mut self, from: SocketAddr, msg: &Message<'_>) {
        if let Err(err) = validate_response(msg) {
            self.drop_with(from, format!("malformed response: {}", err.reason_phrase()));
            return;
        }
        let code = msg.status_code().unwrap_or_default();
        self.drop_with(from, format!("response {code} matches no transaction"));
    }

    fn handle_request(&mut self, now: Instant, from: SocketAddr, req: &Message<'_>) {
        let is_ack = req.method() == Some(Method::Ack);
        if let Err(err) = validate_request(req) {
            if is_ack {
                self.drop_with(from, format!("malformed ACK: {}", err.reason_phrase()));
                return;
            }
            let tag = self.new_tag();
            match rejection(req, &err, &self.agent(), Some(tag.as_bytes())) {
                Some(resp) => self.send_stateless(from, req, resp),
                None => self.drop_with(from, format!("malformed request: {}", err.reason_phrase())),
            }
            return;
        }
        let Some(key) = server_key(req) else {
            self.drop_with(from, "request without a usable Via".into());
            return;
        };
        if let Some(entry) = self.servers.get_mut(&key) {
            if is_ack {
                entry.tx.on_ack(now);
            } else {
                entry.tx.on_retransmission();
            }
            self.drain(&key);
            return;
        }
        if is_ack {
            // The ACK of a 2xx belongs to a dialog; the phone has none yet.
            self.drop_with(from, "ACK matches no transaction".into());
            return;
        }
        if req.method() == Some(Method::Cancel) {
            let code = if self.servers.contains_key(&cancel_target(&key)) { 200 } else { 481 };
            self.respond_in_transaction(now, from, key, req, code, &[]);
            return;
        }
        match inbound::classify(req) {
            Verdict::Ignore => {}
            Verdict::Reject { code, headers } => {
                self.respond_in_transaction(now, from, key, req, code, &headers)
            }
            Verdict::Serve => self.serve(now, from, key, req),
        }
    }

    fn serve(&mut self, now: Instant, from: SocketAddr, key: ServerKey, req: &Message<'_>) {
        match req.method() {
            Some(Method::Options) => {
                let headers = [
                    (HeaderName::Allow, inbound::allow_value()),
                    (HeaderName::Accept, ACCEPT.to_owned()),
                    (HeaderName::AcceptLanguage, "en".to_owned()),
                    (HeaderName::Supported, SUPPORTED.join(", ")),
                ];
                self.respond_in_transaction(now, from, key, req, 200, &headers);
            }
            _ => self.respond_in_transaction(now, from, key, req, 500, &[]),
        }
    }

    /// Builds a response: the request's Via (stamped), From, To (with our tag), Call-ID,
    /// CSeq, then `Server` and the extra headers.
    fn build_response(
        &mut self,
        from: SocketAddr,
        req: &Message<'_>,
        code: u16,
        reason: Option<&str>,
        headers: &[(HeaderName, String)],
    ) -> Option<Response> {
        let tag = (code > 100).then(|| self.new_tag());
        let mut resp = response_to(req, code, tag.as_deref().map(str::as_bytes)).ok()?;
        if let Some(reason) = reason {
            resp.reason = reason.as_bytes().to_vec();
        }
        for (name, value) in headers {
            resp.headers.push(*name, value.clone());
        }
        resp.headers.push(HeaderName::Server, PRODUCT);
        stamp_top_via(&mut resp, from);
        Some(resp)
    }

    fn respond_in_transaction(
        &mut self,
        now: Instant,
        from: SocketAddr,
        key: ServerKey,
        req: &Message<'_>,
        code: u16,
        headers: &[(HeaderName, String)],
    ) {
        let Some(resp) = self.build_response(from, req, code, None, headers) else {
            self.drop_with(from, "cannot build a response".into());
            return;
        };
        let peer = req.top_via().map(|v| response_destination(&v, from)).unwrap_or(from);
        let kind = if req.method() == Some(Method::Invite) { Kind::Invite } else { Kind::NonInvite };
        let mut tx = ServerTransaction::new(kind, self.timers, false);
        tx.respond(now, code, Arc::from(resp.to_bytes()));
        self.servers.insert(key.clone(), ServerEntry { tx, peer });
        self.drain(&key);
    }

    fn respond_stateless(
        &mut self,
        from: SocketAddr,
        req: &Message<'_>,
        code: u16,
        reason: Option<&str>,
        headers: &[(HeaderName, String)],
    ) {
        match self.build_response(from, req, code, reason, headers) {
            Some(resp) => self.send_stateless(from, req, resp),
            None => self.drop_with(from, "cannot build a response".into()),
        }
    }

    fn send_stateless(&mut self, from: SocketAddr, req: &Message<'_>, mut resp: Response) {
        if resp.headers.get(HeaderName::Server).is_none() {
            resp.headers.push(HeaderName::Server, PRODUCT);
        }
        stamp_top_via(&mut resp, from);
        let to = crate::sip::message::validate::top_via_lenient(req)
            .map_or(from, |v| response_destination(&v, from));
        self.outputs.push_back(Output::Transmit(Transmit { to, bytes: Arc::from(resp.to_bytes()) }));
    }

    fn drain(&mut self, key: &ServerKey) {
        let Some(entry) = self.servers.get_mut(key) else { return };
        let mut terminated = false;
        while let Some(out) = entry.tx.poll_output() {
            match out {
                transaction::Output::Transmit(bytes) => {
                    self.outputs.push_back(Output::Transmit(Transmit { to: entry.peer, bytes }));
                }
                transaction::Output::TimedOut => {}
                transaction::Output::Terminated => terminated = true,
            }
        }
        if terminated {
            self.servers.remove(key);
        }
    }

    /// Time has come: fire every due timer.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<ServerKey> = self
            .servers
            .iter()
            .filter(|(_, e)| e.tx.poll_timeout().is_some_and(|t| t <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            if let Some(entry) = self.servers.get_mut(&key) {
                entry.tx.on_timeout(now);
            }
            self.drain(&key);
        }
    }

    /// The next thing to do, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.servers.values().filter_map(|e| e.tx.poll_timeout()).min()
    }

    /// Our address as the Warning agent (`host:port`).
    fn agent(&self) -> String {
        self.local.to_string()
    }

    /// A fresh tag: 32 random bits as hex, as a 7940 writes them.
    fn new_tag(&mut self) -> String {
        format!("{:08x}", self.rng.next_u32())
    }
}

/// Stamps the first Via of a response with received/rport for `source` (§18.2.1).
fn stamp_top_via(resp: &mut Response, source: SocketAddr) {
    if let Some(via) = resp.headers.0.iter_mut().find(|h| h.name.is(HeaderName::Via))
        && let Some(stamped) = stamp_via(&via.value, source)
    {
        via.value = stamped;
    }
}
