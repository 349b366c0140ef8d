//! The phone as a client: requests it sends (REGISTER, the inbound probe's OPTIONS), their
//! transactions, the answers, and the registration agents that drive them.

use super::phone::{Event, Output, Phone, Probe, ResolveFor, ResolveRequest, Transmit};
use super::registration::{Action, Agent, Binding, Ctx};
use crate::sip::message::{
    Datagram, HeaderName, Message, Method, Request, parse_datagram, validate_response,
};
use crate::sip::transaction::ack::ack_for_failure;
use crate::sip::transaction::key::{ClientKey, client_key};
use crate::sip::transaction::{self, ClientTransaction, Kind};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

/// Who a client transaction reports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Owner {
    /// Registration agent at this index.
    Agent(usize),
    /// Inbound probe at this index.
    Probe(usize),
    /// A call.
    Call(super::call::CallId),
}

/// A client transaction and where its requests go.
pub(super) struct ClientEntry {
    pub(super) tx: ClientTransaction,
    pub(super) to: SocketAddr,
    pub(super) owner: Owner,
}

impl Phone {
    /// Runs `f` on agent `index` with the phone's context, then carries out what it asked.
    pub(super) fn with_agent(
        &mut self,
        now: Instant,
        index: usize,
        f: impl FnOnce(&mut Agent, &mut Ctx<'_>),
    ) {
        let unix_now = self.unix_at(now);
        let mut actions = Vec::new();
        {
            let Phone { agents, config, rng, nat, my_ip, mac, .. } = self;
            let Some(agent) = agents.get_mut(index) else { return };
            let mut ctx = Ctx { now, unix_now, config, rng, nat, my_ip: *my_ip, mac, actions: &mut actions };
            f(agent, &mut ctx);
        }
        for action in actions {
            match action {
                Action::Resolve { host, port } => self.request_resolve(ResolveFor::Agent(index), host, port),
                Action::Send { request, to, branch } => {
                    self.start_client(now, &request, to, branch, Owner::Agent(index));
                }
                Action::KeepAlive { to } => {
                    self.outputs
                        .push_back(Output::Transmit(Transmit { to, bytes: Arc::from(&b"\r\n\r\n"[..]) }));
                }
                Action::Changed { from, to } => {
                    let binding = self.agents.get(index).map_or(Binding::Line(0), Agent::binding);
                    self.outputs.push_back(Output::Event(Event::Registration { binding, from, to }));
                }
            }
        }
    }

    pub(super) fn request_resolve(&mut self, purpose: ResolveFor, host: String, port: u16) {
        self.next_token += 1;
        let token = self.next_token;
        self.resolving.insert(token, purpose);
        self.outputs.push_back(Output::Resolve(ResolveRequest { token, host, port }));
    }

    /// The io edge answers a [`ResolveRequest`]: the address, and the local IP that routes
    /// there (or why the name did not resolve).
    pub fn handle_resolved(
        &mut self,
        now: Instant,
        token: u64,
        result: Result<(SocketAddr, IpAddr), String>,
    ) {
        match self.resolving.remove(&token) {
            Some(ResolveFor::Agent(index)) => {
                self.with_agent(now, index, |agent, ctx| agent.on_resolved(ctx, result))
            }
            Some(ResolveFor::NatAddress) => self.nat.nat_ip = result.ok().map(|(addr, _)| addr.ip()),
            Some(ResolveFor::Dial(id)) => self.resolved_dial(now, id, result),
            None => {}
        }
    }

    /// Starts a non-INVITE client transaction for `request`.
    pub(super) fn start_client(
        &mut self,
        now: Instant,
        request: &Request,
        to: SocketAddr,
        branch: String,
        owner: Owner,
    ) {
        let method = request.method().as_bytes().to_ascii_uppercase();
        let kind = if request.method() == Method::Invite { Kind::Invite } else { Kind::NonInvite };
        let tx = ClientTransaction::start(now, kind, Arc::from(request.to_bytes()), self.timers, false);
        let key = ClientKey { branch: branch.into_bytes(), method };
        self.clients.insert(key.clone(), ClientEntry { tx, to, owner });
        self.drain_client(now, &key);
    }

    pub(super) fn handle_response(&mut self, now: Instant, from: SocketAddr, msg: &Message<'_>) {
        if let Err(err) = validate_response(msg) {
            self.drop_with(from, format!("malformed response: {}", err.reason_phrase()));
            return;
        }
        let code = msg.status_code().unwrap_or_default();
        let Some(key) = client_key(msg).filter(|k| self.clients.contains_key(k)) else {
            if !self.stray_2xx(now, msg) {
                self.drop_with(from, format!("response {code} matches no transaction"));
            }
            return;
        };
        let Some(entry) = self.clients.get_mut(&key) else { return };
        let request = entry.tx.request().clone();
        // A non-2xx final to an INVITE is ACKed by the transaction (§17.1.1.3).
        let pass = entry.tx.on_response(now, code, || match parse_datagram(&request) {
            Ok(Datagram::Message(invite)) => ack_for_failure(&invite, msg).map(|ack| ack.to_bytes()),
            _ => None,
        });
        let owner = entry.owner;
        // What the transaction sends (the ACK of a failure) goes out before anything the
        // owner sends in reaction (a re-INVITE with credentials).
        self.drain_client(now, &key);
        if pass {
            match owner {
                Owner::Agent(index) => self.with_agent(now, index, |agent, ctx| agent.on_response(ctx, msg)),
                Owner::Probe(index) if code >= 200 => self.probe_response(now, index, msg, code),
                Owner::Probe(_) => {}
                Owner::Call(id) => self.call_response(now, id, msg),
            }
        }
    }

    pub(super) fn drain_client(&mut self, now: Instant, key: &ClientKey) {
        let Some(entry) = self.clients.get_mut(key) else { return };
        let (to, owner) = (entry.to, entry.owner);
        let tries = entry.tx.retransmissions() + 1;
        let mut timed_out = false;
        let mut terminated = false;
        while let Some(out) = entry.tx.poll_output() {
            match out {
                transaction::Output::Transmit(bytes) => {
                    self.outputs.push_back(Output::Transmit(Transmit { to, bytes }))
                }
                transaction::Output::TimedOut => timed_out = true,
                transaction::Output::Terminated => terminated = true,
            }
        }
        if terminated {
            self.clients.remove(key);
        }
        if timed_out {
            match owner {
                Owner::Agent(index) => {
                    self.with_agent(now, index, |agent, ctx| agent.on_timeout_of_request(ctx, tries));
                }
                Owner::Probe(index) => {
                    if let Some(probe) = self.probes.get_mut(index) {
                        probe.timed_out = true;
                    }
                }
                Owner::Call(id) => self.call_timeout(now, id, key.method == b"INVITE"),
            }
        }
    }

    /// Sends OPTIONS to the line's own address of record through its proxy, to see whether
    /// requests for it reach the phone. Returns the probe's index, or `None` when the line
    /// has never resolved its proxy.
    pub fn check_inbound(&mut self, now: Instant, binding: Binding) -> Option<usize> {
        let index = self.agents.iter().position(|a| a.binding() == binding)?;
        let snapshot = self.agents.get(index)?.snapshot(now, &self.config);
        let to = snapshot.destination?;
        let contact = snapshot.contact?;
        let line = self.config.lines.get(binding.line_index())?.clone();
        let proxy = self.config.proxy_for_line(binding.line_index() + 1)?;
        let domain = super::registration::request::host_port(proxy.address.as_ref()?, proxy.port);
        // No host part: a SIP ALG rewrites addresses even inside Call-IDs.
        let call_id = format!("sip7940-probe-{:016x}", rand::Rng::next_u64(&mut self.rng));
        let from_tag = self.new_tag();
        self.probes.push(Probe {
            binding,
            call_id,
            aor: format!("sip:{}@{domain}", line.name),
            from_tag,
            via_host: contact,
            to,
            cseq: 0,
            auth: crate::sip::auth::DigestClient::new(line.auth_user(), line.password.clone()).ok(),
            answered_challenge: false,
            reached: false,
            final_status: None,
            reason: String::new(),
            timed_out: false,
        });
        let probe = self.probes.len() - 1;
        self.send_probe(now, probe, Vec::new());
        Some(probe)
    }

    /// Sends (or re-sends, with credentials) a probe's OPTIONS in a new transaction.
    fn send_probe(&mut self, now: Instant, index: usize, credentials: Vec<crate::sip::auth::AuthHeader>) {
        let branch = format!("z9hG4bK{:016x}", rand::Rng::next_u64(&mut self.rng));
        let Some(p) = self.probes.get_mut(index) else { return };
        p.cseq += 1;
        let mut request = Request::new(Method::Options, p.aor.clone())
            .with(HeaderName::Via, format!("SIP/2.0/UDP {};branch={branch}", p.via_host))
            .with(HeaderName::From, format!("<{}>;tag={}", p.aor, p.from_tag))
            .with(HeaderName::To, format!("<{}>", p.aor))
            .with(HeaderName::CallId, p.call_id.as_str())
            .with(HeaderName::CSeq, format!("{} OPTIONS", p.cseq))
            .with(HeaderName::MaxForwards, "70")
            .with(HeaderName::UserAgent, super::PRODUCT)
            .with(HeaderName::Accept, "application/sdp");
        for header in credentials {
            request = request.with(header.name, header.value);
        }
        let to = p.to;
        self.start_client(now, &request, to, branch, Owner::Probe(index));
    }

    /// A final response to a probe: a challenge is answered once, anything else recorded.
    fn probe_response(&mut self, now: Instant, index: usize, msg: &Message<'_>, code: u16) {
        let Some(p) = self.probes.get_mut(index) else { return };
        if matches!(code, 401 | 407) && !p.answered_challenge {
            let uri = p.aor.clone();
            let answer = p.auth.as_mut().map(|auth| {
                auth.respond(
                    msg,
                    crate::sip::auth::Sent::Plain,
                    Method::Options,
                    uri.as_bytes(),
                    &mut self.rng,
                )
            });
            if let Some(Ok(credentials)) = answer {
                p.answered_challenge = true;
                self.send_probe(now, index, credentials);
                return;
            }
        }
        p.final_status = Some(code);
        p.reason = String::from_utf8_lossy(msg.reason().unwrap_or_default()).into_owned();
    }

    /// Marks a probe as reached when its OPTIONS arrives here.
    pub(super) fn note_inbound_probe(&mut self, req: &Message<'_>) {
        let Ok(call_id) = req.call_id() else { return };
        for probe in &mut self.probes {
            if probe.call_id.as_bytes() == call_id {
                probe.reached = true;
            }
        }
    }
}
