//! The phone as a server: requests that arrive, their transactions and their answers.

use super::ghost;
use super::inbound::{self, ACCEPT, SUPPORTED, Verdict};
use super::phone::{Event, Output, PRODUCT, Phone, ServerEntry, Transmit};
use crate::sip::message::validate::top_via_lenient;
use crate::sip::message::{HeaderName, Message, Method, Response, rejection, response_to, validate_request};
use crate::sip::transaction::key::{ServerKey, cancel_target, server_key};
use crate::sip::transaction::{self, Kind, ServerTransaction};
use crate::sip::transport::{response_destination, stamp_via};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

impl Phone {
    pub(super) fn handle_request(&mut self, now: Instant, from: SocketAddr, req: &Message<'_>, bytes: &[u8]) {
        let is_ack = req.method() == Some(Method::Ack);
        if let Err(err) = validate_request(req) {
            if is_ack {
                self.drop_with(from, format!("malformed ACK: {}", err.reason_phrase()));
                return;
            }
            let tag = self.new_tag();
            match rejection(req, &err, &self.agent_name(), Some(tag.as_bytes())) {
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
            self.drain_server(&key);
            return;
        }
        if is_ack || req.to().ok().and_then(|to| to.tag()).is_some() {
            match self.session_request(now, req) {
                Some((id, Some(reply))) => {
                    let tag = self.session_tag(id).unwrap_or_default();
                    let code = reply.code;
                    let sent = self.build_tagged(from, req, code, &reply.headers, Some(&tag)).and_then(
                        |mut resp| {
                            for (name, value) in reply.named {
                                resp.headers.push_named(name, value);
                            }
                            if let Some(body) = reply.body {
                                resp = resp.with_body(body);
                            }
                            self.send_in_transaction(now, from, &key, req, code, &resp)
                        },
                    );
                    if req.method() == Some(Method::Invite)
                        && code / 100 == 2
                        && let Some(bytes) = sent
                    {
                        self.session_sent_2xx(id, bytes);
                    }
                    return;
                }
                Some((_, None)) => return,
                None if is_ack => {
                    self.drop_with(from, "ACK matches no transaction or call".into());
                    return;
                }
                None => {}
            }
        }
        if req.method() == Some(Method::Cancel) {
            let target = cancel_target(&key);
            let code = if self.servers.contains_key(&target) { 200 } else { 481 };
            self.respond_in_transaction(now, from, key, req, code, &[]);
            self.incoming_cancel(now, &target);
            return;
        }
        let trusted = ghost::trusted_addresses(
            &self.config,
            self.agents.iter().filter_map(|a| a.destination()).map(|d| d.ip()),
        );
        if let Err(refusal) = ghost::admit(&self.config, &trusted, from.ip(), req) {
            self.outputs.push_back(Output::Event(Event::Refused { from, reason: refusal.to_string() }));
            self.respond_in_transaction(now, from, key, req, 403, &[]);
            return;
        }
        match inbound::classify(req) {
            Verdict::Ignore => {}
            Verdict::Reject { code, headers } => {
                self.respond_in_transaction(now, from, key, req, code, &headers)
            }
            Verdict::Serve => self.serve(now, from, key, req, bytes),
        }
    }

    fn serve(&mut self, now: Instant, from: SocketAddr, key: ServerKey, req: &Message<'_>, bytes: &[u8]) {
        match req.method() {
            Some(Method::Options) => {
                self.note_inbound_probe(req);
                let headers = [
                    (HeaderName::Allow, inbound::allow_value()),
                    (HeaderName::Accept, ACCEPT.to_owned()),
                    (HeaderName::AcceptLanguage, "en".to_owned()),
                    (HeaderName::Supported, SUPPORTED.join(", ")),
                ];
                self.respond_in_transaction(now, from, key, req, 200, &headers);
            }
            Some(Method::Invite) => self.incoming_invite(now, from, key, req, bytes),
            // INFO belongs in a dialog (RFC 6086 §4.2.2).
            Some(Method::Info) => self.respond_in_transaction(now, from, key, req, 481, &[]),
            Some(Method::Notify) => self.serve_notify(now, from, key, req),
            // A transfer belongs to a call; out of a dialog there is nothing to transfer.
            Some(Method::Refer) => self.respond_in_transaction(now, from, key, req, 403, &[]),
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
        headers: &[(HeaderName, String)],
    ) -> Option<Response> {
        let tag = (code > 100).then(|| self.new_tag());
        self.build_tagged(from, req, code, headers, tag.as_deref())
    }

    /// Builds a response with a given To tag (a call answers with its own tag throughout).
    fn build_tagged(
        &mut self,
        from: SocketAddr,
        req: &Message<'_>,
        code: u16,
        headers: &[(HeaderName, String)],
        tag: Option<&str>,
    ) -> Option<Response> {
        let mut resp = response_to(req, code, tag.map(str::as_bytes)).ok()?;
        for (name, value) in headers {
            resp.headers.push(*name, value.clone());
        }
        resp.headers.push(HeaderName::Server, PRODUCT);
        stamp_top_via(&mut resp, from);
        Some(resp)
    }

    pub(super) fn respond_in_transaction(
        &mut self,
        now: Instant,
        from: SocketAddr,
        key: ServerKey,
        req: &Message<'_>,
        code: u16,
        headers: &[(HeaderName, String)],
    ) {
        let Some(resp) = self.build_response(from, req, code, headers) else {
            self.drop_with(from, "cannot build a response".into());
            return;
        };
        let peer = req.top_via().map(|v| response_destination(&v, from)).unwrap_or(from);
        let kind = if req.method() == Some(Method::Invite) { Kind::Invite } else { Kind::NonInvite };
        let mut tx = ServerTransaction::new(kind, self.timers, false);
        tx.respond(now, code, Arc::from(resp.to_bytes()));
        self.servers.insert(key.clone(), ServerEntry { tx, peer });
        self.drain_server(&key);
    }

    /// Sends a response in the request's server transaction (creating it if needed), with
    /// our To tag and an optional body; returns the bytes sent.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn respond_tagged(
        &mut self,
        now: Instant,
        from: SocketAddr,
        key: &ServerKey,
        req: &Message<'_>,
        code: u16,
        headers: &[(HeaderName, String)],
        tag: &str,
        body: Option<Vec<u8>>,
    ) -> Option<Vec<u8>> {
        // `response_to` copies an INVITE's Record-Route into 101–299 (§12.1.1).
        let mut resp = self.build_tagged(from, req, code, headers, Some(tag))?;
        if let Some(body) = body {
            resp = resp.with_body(body);
        }
        self.send_in_transaction(now, from, key, req, code, &resp)
    }

    /// Sends `resp` in the request's server transaction, creating it if needed; returns
    /// the bytes sent.
    fn send_in_transaction(
        &mut self,
        now: Instant,
        from: SocketAddr,
        key: &ServerKey,
        req: &Message<'_>,
        code: u16,
        resp: &Response,
    ) -> Option<Vec<u8>> {
        let bytes = resp.to_bytes();
        if !self.servers.contains_key(key) {
            let peer = req.top_via().map(|v| response_destination(&v, from)).unwrap_or(from);
            let kind = if req.method() == Some(Method::Invite) { Kind::Invite } else { Kind::NonInvite };
            self.servers.insert(
                key.clone(),
                ServerEntry { tx: ServerTransaction::new(kind, self.timers, false), peer },
            );
        }
        if let Some(entry) = self.servers.get_mut(key) {
            entry.tx.respond(now, code, Arc::from(bytes.clone()));
        }
        self.drain_server(key);
        Some(bytes)
    }

    /// Answers a request that has no transaction (it was too broken to have one).
    pub(super) fn respond_stateless(&mut self, from: SocketAddr, req: &Message<'_>, code: u16, reason: &str) {
        match self.build_response(from, req, code, &[]) {
            Some(mut resp) => {
                resp.reason = reason.as_bytes().to_vec();
                self.send_stateless(from, req, resp);
            }
            None => self.drop_with(from, "cannot build a response".into()),
        }
    }

    fn send_stateless(&mut self, from: SocketAddr, req: &Message<'_>, mut resp: Response) {
        if resp.headers.get(HeaderName::Server).is_none() {
            resp.headers.push(HeaderName::Server, PRODUCT);
            stamp_top_via(&mut resp, from);
        }
        let to = top_via_lenient(req).map_or(from, |v| response_destination(&v, from));
        self.outputs.push_back(Output::Transmit(Transmit { to, bytes: Arc::from(resp.to_bytes()) }));
    }

    pub(super) fn drain_server(&mut self, key: &ServerKey) {
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
}

/// Stamps the first Via of a response with received/rport for `source` (§18.2.1).
fn stamp_top_via(resp: &mut Response, source: SocketAddr) {
    if let Some(via) = resp.headers.0.iter_mut().find(|h| h.name.is(HeaderName::Via))
        && let Some(stamped) = stamp_via(&via.value, source)
    {
        via.value = stamped;
    }
}
