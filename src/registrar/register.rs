//! REGISTER (RFC 3261 §10.3): authenticate, then add, refresh, remove or list the user's
//! binding.
//!
//! ```text
//!  REGISTER ─▶ digest (401 challenge │ 403) ─▶ To user = authenticated user? (403)
//!     ├─ Contact: *  + Expires: 0 ─▶ remove ─▶ 200            (without Expires: 0: 400)
//!     ├─ no Contact ───────────────▶ 200 listing the binding
//!     └─ Contact ─▶ expires (param, else Expires, else default)
//!           0 ─▶ remove (when it is the registered Contact) ─▶ 200
//!           below the minimum ─▶ 423 Min-Expires
//!           else ─▶ grant min(asked, max) ─▶ 200 Contact: <uri>;expires=granted
//! ```

use super::auth::{self, Verdict};
use super::hops::uri_addr;
use super::{Binding, Event, Refusal, Registrar};
use crate::sip::auth::AuthKind;
use crate::sip::message::uri::Uri;
use crate::sip::message::{Contacts, HeaderName, Message};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What one Contact of a REGISTER asks for.
struct Ask {
    uri: String,
    target: Option<SocketAddr>,
    expires: u32,
}

impl Registrar {
    pub(super) fn register(&mut self, now: Instant, from: SocketAddr, req: &Message<'_>) {
        let Some(user) = self.authenticate(now, from, req, AuthKind::Www) else { return };
        let claimed = aor_user(req);
        if claimed != user {
            self.refuse(from, req, Refusal::UserMismatch { authenticated: user, claimed });
            return;
        }
        let header_expires = req.expires().ok().flatten();
        let asks: Vec<Ask> = match req.contacts() {
            Ok(Contacts::Star) => {
                if header_expires != Some(0) {
                    self.refuse(from, req, Refusal::StarNeedsZeroExpires);
                    return;
                }
                if self.location.remove(&user).is_some() {
                    self.events.push_back(Event::Unregistered { user: user.clone() });
                }
                self.reply(from, req, 200, &[]);
                return;
            }
            Ok(Contacts::List(list)) => list
                .iter()
                .map(|c| Ask {
                    uri: String::from_utf8_lossy(c.addr.uri_raw).into_owned(),
                    target: uri_addr(&c.addr.uri),
                    expires: c.expires.or(header_expires).unwrap_or(self.config.default_expires),
                })
                .collect(),
            // validate_request has parsed Contact already.
            Err(_) => Vec::new(),
        };
        let min = self.config.min_expires;
        if let Some(brief) = asks.iter().find(|a| a.expires > 0 && a.expires < min) {
            let asked = brief.expires;
            self.refuse(from, req, Refusal::IntervalTooBrief { asked, min });
            return;
        }
        for ask in asks {
            self.apply(now, from, &user, ask);
        }
        let listed: Vec<(HeaderName, String)> = self
            .location
            .get(&user, now)
            .map(|b| (HeaderName::Contact, format!("<{}>;expires={}", b.contact, b.expires_in(now))))
            .into_iter()
            .collect();
        self.reply(from, req, 200, &listed);
    }

    fn apply(&mut self, now: Instant, from: SocketAddr, user: &str, ask: Ask) {
        if ask.expires == 0 {
            let ours = self.location.get(user, now).is_some_and(|b| b.contact == ask.uri);
            if ours && self.location.remove(user).is_some() {
                self.events.push_back(Event::Unregistered { user: user.to_owned() });
            }
            return;
        }
        let granted = ask.expires.min(self.config.max_expires);
        let binding = Binding {
            contact: ask.uri.clone(),
            target: ask.target.unwrap_or(from),
            source: from,
            expires_at: now + Duration::from_secs(u64::from(granted)),
        };
        self.location.insert(user, binding);
        self.events.push_back(Event::Registered {
            user: user.to_owned(),
            contact: ask.uri,
            expires: granted,
        });
    }

    /// Runs the digest check of `kind`: the authenticated user, or `None` after answering
    /// with a challenge or a refusal.
    pub(super) fn authenticate(
        &mut self,
        now: Instant,
        from: SocketAddr,
        req: &Message<'_>,
        kind: AuthKind,
    ) -> Option<String> {
        match auth::check(req, kind, &self.config.domain, &self.config.users, &self.nonces, now) {
            Verdict::Verified(user) => Some(user),
            Verdict::Refused(refusal) => {
                self.refuse(from, req, refusal);
                None
            }
            Verdict::Challenge { stale } => {
                let nonce = self.nonces.issue(now, &mut self.rng);
                let value = auth::challenge(&self.config.domain, &nonce, stale);
                let code = if kind == AuthKind::Www { 401 } else { 407 };
                self.reply(from, req, code, &[(kind.challenge_header(), value)]);
                None
            }
        }
    }
}

/// The user part of To (the address of record being registered), unescaped.
fn aor_user(req: &Message<'_>) -> String {
    user_of(req.to().ok().map(|t| t.uri))
}

/// The user part of a `sip:` URI, unescaped (empty when there is none).
pub(super) fn user_of(uri: Option<Uri<'_>>) -> String {
    match uri {
        Some(Uri::Sip(sip)) => {
            sip.user_unescaped().map(|u| String::from_utf8_lossy(&u).into_owned()).unwrap_or_default()
        }
        _ => String::new(),
    }
}
