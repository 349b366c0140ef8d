//! Proxying requests statelessly (RFC 3261 §16.3–16.6, §16.11).
//!
//! ```text
//!  request ─▶ ACK with our To tag? ─▶ absorbed (the ACK of our own 407/404/…)
//!     ─▶ Max-Forwards 0 ─▶ 483
//!     ─▶ top Route names us? ─▶ pop it (loose routing, §16.4)
//!     ─▶ no To tag, not ACK/CANCEL: From must be our user, digest (407 │ 403)
//!     ─▶ next hop:  another Route ─▶ its address, Request-URI kept
//!                   Request-URI for our domain ─▶ user? (404) registered? (480)
//!                                               ─▶ Request-URI := Contact, to its address
//!                   our Route was popped ─▶ the Request-URI's address (the peer's Contact)
//!                   else ─▶ 403 (no relaying for strangers)
//!     ─▶ out: our Via on top (branch from theirs), their Via stamped (received/rport),
//!             Max-Forwards − 1, our credentials removed, Record-Route on a new INVITE
//! ```

use super::hops::{rest_after_first, stateless_branch, uri_addr, uri_names_us};
use super::register::user_of;
use super::{Refusal, Registrar};
use crate::sip::auth::AuthKind;
use crate::sip::message::{
    Challenge, HeaderName, Message, Method, Name, NameAddr, OwnedHeader, OwnedMessage, Request,
};
use crate::sip::transport::stamp_via;
use std::net::SocketAddr;
use std::time::Instant;

/// What to do with a request that passed the checks.
enum Next {
    /// Send it to `to`, with a new Request-URI when the location table gave one.
    Forward { to: SocketAddr, new_uri: Option<String> },
    /// It is for the proxy itself (a Request-URI of ours without a user).
    Local,
    /// Refuse it.
    Refuse(Refusal),
}

impl Registrar {
    pub(super) fn proxy(&mut self, now: Instant, from: SocketAddr, req: &Message<'_>) {
        let method = req.method();
        let to_tag = req.to().ok().and_then(|t| t.tag().map(<[u8]>::to_vec));
        if method == Some(Method::Ack) && to_tag.as_deref() == Some(self.tag.as_bytes()) {
            return;
        }
        let max_forwards = req.max_forwards().ok().flatten();
        if max_forwards == Some(0) {
            self.refuse(from, req, Refusal::TooManyHops);
            return;
        }
        let routes = req.routes().unwrap_or_default();
        let (addr, domain) = (self.config.addr, self.config.domain.as_str());
        let popped = routes.first().is_some_and(|r| uri_names_us(&r.uri, addr, domain));
        let out_of_dialog = to_tag.is_none() && !matches!(method, Some(Method::Ack | Method::Cancel));
        if out_of_dialog {
            let claimed = user_of(req.from().ok().map(|f| f.uri));
            if !self.is_user(&claimed) {
                self.refuse(from, req, Refusal::NotOurUser(claimed));
                return;
            }
            let Some(user) = self.authenticate(now, from, req, AuthKind::Proxy) else { return };
            if user != claimed {
                self.refuse(from, req, Refusal::UserMismatch { authenticated: user, claimed });
                return;
            }
        }
        let next_route = routes.get(usize::from(popped));
        let (to, new_uri) = match self.next_hop(now, req, next_route, popped) {
            Next::Forward { to, new_uri } => (to, new_uri),
            Next::Refuse(refusal) => return self.refuse(from, req, refusal),
            Next::Local => return self.answer_options(from, req),
        };
        let OwnedMessage::Request(mut out) = req.to_owned_message() else { return };
        if let Some(uri) = new_uri {
            out.uri = uri.into_bytes();
        }
        let branch = stateless_branch(&self.salt, req);
        let forms_dialog = method == Some(Method::Invite) && to_tag.is_none();
        self.rewrite(&mut out, from, &branch, popped, max_forwards, out_of_dialog, forms_dialog);
        self.send(to, out.to_bytes());
    }

    /// Where the request goes.
    fn next_hop(
        &self,
        now: Instant,
        req: &Message<'_>,
        next_route: Option<&NameAddr<'_>>,
        popped: bool,
    ) -> Next {
        let forward = |to: Option<SocketAddr>, raw: &[u8]| match to {
            Some(to) => Next::Forward { to, new_uri: None },
            None => Next::Refuse(Refusal::Unroutable(String::from_utf8_lossy(raw).into_owned())),
        };
        if let Some(route) = next_route {
            return forward(uri_addr(&route.uri), route.uri_raw);
        }
        let (Ok(uri), Some(line)) = (req.request_uri(), req.request_line()) else {
            return Next::Refuse(Refusal::Unroutable(String::new()));
        };
        if !uri_names_us(&uri, self.config.addr, &self.config.domain) {
            if !popped {
                return Next::Refuse(Refusal::RelayForbidden(String::from_utf8_lossy(line.uri).into_owned()));
            }
            // In a dialog through us: the Request-URI is the peer's Contact.
            return forward(uri_addr(&uri), line.uri);
        }
        let user = user_of(Some(uri));
        if user.is_empty() {
            return Next::Local;
        }
        if !self.is_user(&user) {
            return Next::Refuse(Refusal::UnknownUser(user));
        }
        match self.location.get(&user, now) {
            Some(b) => Next::Forward { to: b.target, new_uri: Some(b.contact.clone()) },
            None => Next::Refuse(Refusal::NotRegistered(user)),
        }
    }

    /// A request for the proxy itself (no user part): OPTIONS is answered 200 (a keep-alive
    /// ping), anything else 404.
    fn answer_options(&mut self, from: SocketAddr, req: &Message<'_>) {
        match req.method() {
            Some(Method::Options) => {
                self.reply(from, req, 200, &[(HeaderName::Allow, "INVITE, ACK, CANCEL, BYE, OPTIONS".into())])
            }
            _ => self.refuse(from, req, Refusal::UnknownUser(String::new())),
        }
    }

    /// The headers of the relayed request (§16.6).
    #[allow(clippy::too_many_arguments)]
    fn rewrite(
        &self,
        out: &mut Request,
        from: SocketAddr,
        branch: &str,
        popped: bool,
        max_forwards: Option<u8>,
        authenticated: bool,
        record_route: bool,
    ) {
        let addr = self.config.addr;
        let mut headers = vec![header(HeaderName::Via, format!("SIP/2.0/UDP {addr};branch={branch}"))];
        let hops = max_forwards.map_or(70, |m| m.saturating_sub(1)).to_string();
        let (mut via_seen, mut route_seen, mut hops_seen) = (false, false, false);
        for mut h in std::mem::take(&mut out.headers.0) {
            if h.name.is(HeaderName::Via) && !via_seen {
                via_seen = true;
                h.value = stamp_via(&h.value, from).unwrap_or(h.value);
            } else if h.name.is(HeaderName::Route) && popped && !route_seen {
                route_seen = true;
                match rest_after_first(&h.value, NameAddr::parse_at) {
                    Some(rest) => h.value = rest.to_vec(),
                    None => continue,
                }
            } else if h.name.is(HeaderName::MaxForwards) {
                hops_seen = true;
                h.value = hops.clone().into_bytes();
            } else if h.name.is(HeaderName::ProxyAuthorization) && authenticated && self.ours(&h.value) {
                continue;
            }
            headers.push(h);
        }
        if record_route {
            // Ours goes on top of any Record-Route already there, else below the Vias.
            let first_rr = headers.iter().position(|h| h.name.is(HeaderName::RecordRoute));
            let after_vias = headers.iter().rposition(|h| h.name.is(HeaderName::Via)).map_or(0, |i| i + 1);
            headers.insert(
                first_rr.unwrap_or(after_vias),
                header(HeaderName::RecordRoute, format!("<sip:{addr};lr>")),
            );
        }
        if !hops_seen {
            headers.push(header(HeaderName::MaxForwards, hops));
        }
        out.headers.0 = headers;
    }

    /// Whether a Proxy-Authorization value is for our realm.
    fn ours(&self, value: &[u8]) -> bool {
        Challenge::parse_one(value)
            .ok()
            .and_then(|c| c.get("realm"))
            .is_some_and(|r| r.as_ref() == self.config.domain.as_bytes())
    }
}

fn header(name: HeaderName, value: String) -> OwnedHeader {
    OwnedHeader { name: Name::Known(name), value: value.into_bytes() }
}
