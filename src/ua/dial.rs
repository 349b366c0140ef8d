//! Placing a call to what the dial plan decided ([`Dial`]): the Request-URI (with
//! `;user=phone`/`;user=ip`) and the next hop of the INVITE.
//!
//! ```text
//!  Route     Request-URI                      INVITE goes to
//!  Default   sip:N@<line's proxy>             outbound_proxy, else the line's proxy (as
//!                                             resolved by its registration)
//!  Emergency sip:N@<proxy_emergency>          proxy_emergency:proxy_emergency_port, never
//!                                             the outbound proxy (Default when unset)
//!  host:port sip:N@host:port                  host:port (5060 when not given)
//!  FQDN      sip:user@host:port  (N = user@host:port)  host:port
//! ```
//!
//! A next hop that is a name is resolved first (an [`Output::Resolve`]): the call exists
//! from the start (state `Calling`) and its INVITE goes out when the answer comes; a name
//! that does not resolve ends it with `Ended(Setup)`.
//!
//! [`Output::Resolve`]: super::Output::Resolve

use super::call::{CallCtx, CallId, CallState, EndReason, OutgoingCall, request_uri};
use super::phone::{Event, Output, Phone, ResolveFor};
use crate::config::dialplan::{Dial, Route};
use crate::config::{Host, ProxyConfig};
use crate::sip::message::HeaderName;
use crate::ua::registration::request::host_port;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

/// What an INVITE is made of, besides the next hop.
#[derive(Debug, Clone)]
struct Placing {
    line: usize,
    target_uri: String,
    rtp_port: u16,
    headers: Vec<(HeaderName, String)>,
}

/// A call whose next hop is being resolved.
#[derive(Debug, Clone)]
pub(super) struct PendingDial {
    placing: Placing,
    host: String,
}

/// Where the INVITE goes.
enum Hop {
    /// The line's usual route.
    Line,
    /// This address.
    Addr(SocketAddr),
    /// This name and port, once resolved.
    Name(String, u16),
}

const CALLING: &CallState = &CallState::Calling;

fn hop_for(host: &Host, port: u16) -> Hop {
    match host {
        Host::Ip(ip) => Hop::Addr(SocketAddr::new(*ip, port)),
        Host::Name(name) => Hop::Name(name.clone(), port),
    }
}

/// `host`, `host:port`, `[v6]:port`.
fn split_host_port(text: &str) -> Option<(Host, Option<u16>)> {
    let (host, port) = match text.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.ends_with(']') => {
            (h, Some(p.parse::<u16>().ok().filter(|p| *p > 0)?))
        }
        _ => (text, None),
    };
    Some((Host::parse(host).ok()?, port))
}

impl Phone {
    /// Places a call from `line` (1-based) to `dial` — the number, `;user=` and route a
    /// dial plan gave ([`crate::config::DialPlan::apply`]) or [`Dial::plain`] — offering
    /// RTP on `rtp_port` (the io edge binds it).
    pub fn call(
        &mut self,
        now: Instant,
        line: usize,
        dial: &Dial,
        rtp_port: u16,
    ) -> Result<CallId, EndReason> {
        self.call_with(now, line, dial, rtp_port, Vec::new())
    }

    /// [`call`](Self::call) with `headers` in the INVITE besides the usual ones (the
    /// `Replaces` of an attended transfer).
    pub fn call_with(
        &mut self,
        now: Instant,
        line: usize,
        dial: &Dial,
        rtp_port: u16,
        headers: Vec<(HeaderName, String)>,
    ) -> Result<CallId, EndReason> {
        let (target_uri, hop) = self.target(line, dial)?;
        let placing = Placing { line, target_uri, rtp_port, headers };
        let destination = match hop {
            Hop::Line => self.line_route(line).ok_or_else(|| {
                EndReason::Setup(format!("line {line} has no resolved proxy yet (register it first)"))
            })?,
            Hop::Addr(addr) => addr,
            Hop::Name(host, port) => {
                self.next_call += 1;
                let id = CallId(self.next_call);
                self.live.insert(id);
                self.request_resolve(ResolveFor::Dial(id), host.clone(), port);
                self.pending_dials.insert(id, PendingDial { placing, host });
                return Ok(id);
            }
        };
        self.next_call += 1;
        let id = CallId(self.next_call);
        self.start_call(now, id, destination, placing)?;
        Ok(id)
    }

    /// The Request-URI and next hop for `dial` on `line`.
    fn target(&self, line: usize, dial: &Dial) -> Result<(String, Hop), EndReason> {
        let line_domain = || {
            let proxy = self
                .config
                .proxy_for_line(line)
                .ok_or_else(|| EndReason::Setup("no proxy address".into()))?;
            let host = proxy.address.as_ref().ok_or_else(|| EndReason::Setup("no proxy".into()))?;
            Ok::<_, EndReason>(host_port(host, proxy.port))
        };
        let direct = |proxy: &ProxyConfig| {
            proxy.address.as_ref().map(|h| (host_port(h, proxy.port), hop_for(h, proxy.port)))
        };
        match &dial.route {
            Route::Emergency => match direct(&self.config.proxy_emergency) {
                Some((domain, hop)) => Ok((request_uri(&dial.number, &domain, dial.user)?, hop)),
                None => Ok((request_uri(&dial.number, &line_domain()?, dial.user)?, Hop::Line)),
            },
            Route::Host { host, port } => {
                let port = port.unwrap_or(5060);
                Ok((request_uri(&dial.number, &host_port(host, port), dial.user)?, hop_for(host, port)))
            }
            Route::Fqdn if dial.number.contains('@') && !dial.number.starts_with("sip") => {
                let (user, host_text) = dial.number.rsplit_once('@').unwrap_or_default();
                let (host, port) = split_host_port(host_text)
                    .ok_or_else(|| EndReason::Setup(format!("{:?} is not user@host[:port]", dial.number)))?;
                let port = port.unwrap_or(5060);
                Ok((request_uri(user, &host_port(&host, port), dial.user)?, hop_for(&host, port)))
            }
            Route::Default | Route::Fqdn => {
                Ok((request_uri(&dial.number, &line_domain()?, dial.user)?, Hop::Line))
            }
        }
    }

    /// Builds the call and sends its INVITE to `destination`.
    fn start_call(
        &mut self,
        now: Instant,
        id: CallId,
        destination: SocketAddr,
        placing: Placing,
    ) -> Result<(), EndReason> {
        let Placing { line, target_uri, rtp_port, headers } = placing;
        let advertised = self.advertised_towards(destination);
        let mut actions = Vec::new();
        let call = {
            let mut ctx =
                CallCtx { now, config: &self.config, rng: &mut self.rng, advertised, actions: &mut actions };
            OutgoingCall::dial_uri(id, line, target_uri, destination, rtp_port, headers, &mut ctx)?
        };
        self.track(id, call.call_id().to_owned());
        self.calls.insert(id, (call, advertised));
        self.apply_call_actions(now, id, advertised, actions);
        Ok(())
    }

    /// The next hop of a pending call resolved (or did not).
    pub(super) fn resolved_dial(
        &mut self,
        now: Instant,
        id: CallId,
        result: Result<(SocketAddr, IpAddr), String>,
    ) {
        let Some(pending) = self.pending_dials.remove(&id) else { return };
        let started = result
            .map_err(|e| EndReason::Setup(format!("cannot resolve {}: {e}", pending.host)))
            .and_then(|(addr, _)| self.start_call(now, id, addr, pending.placing));
        if let Err(reason) = started {
            self.end_pending(id, reason);
        }
    }

    /// Hangs up a call still waiting for its next hop; false when `id` is not one.
    pub(super) fn hangup_pending(&mut self, id: CallId) -> bool {
        if self.pending_dials.remove(&id).is_none() {
            return false;
        }
        self.end_pending(id, EndReason::Cancelled);
        true
    }

    fn end_pending(&mut self, id: CallId, reason: EndReason) {
        self.live.remove(&id);
        self.outputs.push_back(Output::Event(Event::Call { id, state: CallState::Ended(reason) }));
    }

    /// The state of a call waiting for its next hop.
    pub(super) fn pending_state(&self, id: CallId) -> Option<&CallState> {
        self.pending_dials.contains_key(&id).then_some(CALLING)
    }
}
