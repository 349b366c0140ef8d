//! The 7940's call features that decide what happens to an incoming call before it rings,
//! and their runtime switches.
//!
//! ```text
//!  admitted INVITE ─▶ anonymous caller and anonymous_call_block on ─▶ 433 Anonymity Disallowed
//!                  ─▶ forward-all target set (local_cfwd_enable : 1)  ─▶ 302, Contact: the target
//!                  ─▶ dnd_control on ─────────────────────────────────▶ 486 Busy Here
//!                  ─▶ a call is live and call_waiting : 0 ────────────▶ 486 Busy Here
//!                  ─▶ rings (a waiting call when another is answered)
//! ```
//!
//! The switches `dnd_control`, `anonymous_call_block` and `callerid_blocking` take the
//! CNF's four values: 0 off and 1 on (the user may toggle them), 2 always off and 3 always
//! on (forced: a toggle is refused). A toggle changes the phone's running configuration,
//! so [`Phone::config`] shows the current state; `reset` reads the files again.
//!
//! Caller-ID blocking keeps our address in `From` (proxies check it against the digest
//! user), shows the display name `Anonymous` and asks the proxy to withhold the identity
//! with `Privacy: id` (RFC 3323).

use super::call::request_uri;
use super::phone::{Event, Output, Phone};
use crate::config::value::Feature;
use crate::sip::message::uri::{Host, Uri};
use crate::sip::message::{HeaderName, Message};
use crate::sip::transaction::key::ServerKey;
use crate::ua::registration::request::host_port;
use std::net::SocketAddr;
use std::time::Instant;

/// Why a feature switch was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureError {
    /// The CNF forces the value (2 always off, 3 always on).
    Forced {
        /// The key.
        key: &'static str,
        /// Its forced value.
        value: Feature,
    },
    /// `local_cfwd_enable : 0`: forwarding is the proxy's business, not the phone's.
    LocalForwardDisabled,
    /// The forward target is neither a number nor a `sip:` URI.
    BadTarget(String),
}

impl std::fmt::Display for FeatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FeatureError::Forced { key, value } => {
                let state = if value.is_on() { "always on" } else { "always off" };
                write!(f, "{key} is {state} ({key} : {})", if value.is_on() { 3 } else { 2 })
            }
            FeatureError::LocalForwardDisabled => {
                f.write_str("call forward is left to the proxy (local_cfwd_enable : 0)")
            }
            FeatureError::BadTarget(t) => write!(f, "{t:?} is not a number or SIP URI"),
        }
    }
}

impl std::error::Error for FeatureError {}

/// What becomes of an incoming INVITE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screening {
    /// It rings.
    Ring,
    /// Forward-all: 302 with this Contact URI.
    Forward(String),
    /// Refused with this status.
    Reject(u16),
}

/// Switches a user-toggleable feature; forced values refuse.
fn toggle(key: &'static str, feature: &mut Feature, on: bool) -> Result<(), FeatureError> {
    match *feature {
        Feature::AlwaysOff | Feature::AlwaysOn => Err(FeatureError::Forced { key, value: *feature }),
        Feature::Off | Feature::On => {
            *feature = if on { Feature::On } else { Feature::Off };
            Ok(())
        }
    }
}

/// Whether an INVITE comes from an anonymous caller, by RFC 5079's signs: a From whose
/// host is `anonymous.invalid`, whose user is `anonymous` or whose display name is
/// `Anonymous`, or a `Privacy` header asking for `id` or `user` privacy.
pub fn is_anonymous(req: &Message<'_>) -> bool {
    let privacy = req.headers_named(HeaderName::Privacy).any(|h| {
        let value = String::from_utf8_lossy(&h.value()).to_ascii_lowercase();
        value.split(';').any(|v| matches!(v.trim(), "id" | "user"))
    });
    if privacy {
        return true;
    }
    let Ok(from) = req.from() else { return false };
    let display = from.display_name.as_ref().map(|d| String::from_utf8_lossy(&d.text()).trim().to_owned());
    if display.is_some_and(|d| d.eq_ignore_ascii_case("anonymous")) {
        return true;
    }
    match &from.uri {
        Uri::Sip(sip) => {
            let host_anonymous =
                matches!(sip.host, Host::Domain(d) if d.eq_ignore_ascii_case(b"anonymous.invalid"));
            host_anonymous || sip.user.is_some_and(|u| u.eq_ignore_ascii_case(b"anonymous"))
        }
        _ => false,
    }
}

impl Phone {
    /// Turns Do Not Disturb on or off (`dnd_control` 0/1); refused when the CNF forces it.
    pub fn set_dnd(&mut self, on: bool) -> Result<(), FeatureError> {
        toggle("dnd_control", &mut self.config.features.dnd_control, on)
    }

    /// Whether Do Not Disturb is on.
    pub fn dnd(&self) -> bool {
        self.config.features.dnd_control.is_on()
    }

    /// Turns anonymous call blocking on or off (`anonymous_call_block` 0/1).
    pub fn set_anonymous_call_block(&mut self, on: bool) -> Result<(), FeatureError> {
        toggle("anonymous_call_block", &mut self.config.features.anonymous_call_block, on)
    }

    /// Whether anonymous calls are refused (433).
    pub fn anonymous_call_block(&self) -> bool {
        self.config.features.anonymous_call_block.is_on()
    }

    /// Turns caller-ID blocking of our calls on or off (`callerid_blocking` 0/1).
    pub fn set_callerid_blocking(&mut self, on: bool) -> Result<(), FeatureError> {
        toggle("callerid_blocking", &mut self.config.features.callerid_blocking, on)
    }

    /// Whether our calls hide our identity.
    pub fn callerid_blocking(&self) -> bool {
        self.config.features.callerid_blocking.is_on()
    }

    /// Forward-all (`forward NUMBER` / `forward off`): `Some(target)` — a number, `user@host`
    /// or a `sip:` URI — forwards every incoming call there with a 302; `None` stops
    /// forwarding. Returns the Contact URI calls will be sent to. Refused with
    /// `local_cfwd_enable : 0`.
    pub fn set_forward(&mut self, target: Option<&str>) -> Result<Option<String>, FeatureError> {
        if !self.config.features.local_cfwd_enable {
            return Err(FeatureError::LocalForwardDisabled);
        }
        let Some(target) = target.map(str::trim).filter(|t| !t.is_empty()) else {
            self.config.features.cfwd_url.clear();
            return Ok(None);
        };
        let uri = self.forward_uri(target, 1).ok_or_else(|| FeatureError::BadTarget(target.to_owned()))?;
        self.config.features.cfwd_url = target.to_owned();
        Ok(Some(uri))
    }

    /// The Contact URI incoming calls are forwarded to, when forward-all is on.
    pub fn forward(&self) -> Option<String> {
        if !self.config.features.local_cfwd_enable || self.config.features.cfwd_url.trim().is_empty() {
            return None;
        }
        self.forward_uri(self.config.features.cfwd_url.trim(), 1)
    }

    /// `target` as a SIP URI: a `sip:` URI as given, `user@host` as `sip:user@host`, a
    /// number at the proxy domain of `line`.
    pub(super) fn forward_uri(&self, target: &str, line: usize) -> Option<String> {
        if target.starts_with("sip:") || target.starts_with("sips:") {
            let valid = crate::sip::message::uri::Uri::parse(target.as_bytes()).is_ok();
            return valid.then(|| target.to_owned());
        }
        if let Some((user, host)) = target.split_once('@') {
            let uri = format!("sip:{user}@{host}");
            let valid = crate::sip::message::uri::Uri::parse(uri.as_bytes()).is_ok();
            return valid.then_some(uri);
        }
        let proxy = self.config.proxy_for_line(line).or_else(|| self.config.proxy_for_line(1))?;
        let domain = host_port(proxy.address.as_ref()?, proxy.port);
        request_uri(target, &domain, None).ok()
    }

    /// What the features say about an admitted INVITE for `line`.
    pub(super) fn screen(&self, req: &Message<'_>, line: usize) -> Screening {
        if self.anonymous_call_block() && is_anonymous(req) {
            return Screening::Reject(433);
        }
        if self.config.features.local_cfwd_enable
            && let Some(uri) = self.forward_uri(self.config.features.cfwd_url.trim(), line)
            && !self.config.features.cfwd_url.trim().is_empty()
        {
            return Screening::Forward(uri);
        }
        if self.dnd() {
            return Screening::Reject(486);
        }
        Screening::Ring
    }

    /// Screens an admitted INVITE; true when it was answered here (forwarded or refused)
    /// and must not ring.
    pub(super) fn screen_invite(
        &mut self,
        now: Instant,
        from: SocketAddr,
        key: &ServerKey,
        req: &Message<'_>,
    ) -> bool {
        let line = self.line_called(req);
        let caller = req
            .header(HeaderName::From)
            .map(|h| String::from_utf8_lossy(&h.value()).into_owned())
            .unwrap_or_default();
        let (code, headers, reason) = match self.screen(req, line) {
            Screening::Ring => return false,
            Screening::Forward(uri) => {
                (302, vec![(HeaderName::Contact, format!("<{uri}>"))], format!("forwarded to {uri}"))
            }
            Screening::Reject(433) => (433, Vec::new(), "anonymous call blocked".to_owned()),
            Screening::Reject(code) => (code, Vec::new(), "do not disturb".to_owned()),
        };
        let tag = self.new_tag();
        self.respond_tagged(now, from, key, req, code, &headers, &tag, None);
        self.outputs.push_back(Output::Event(Event::Screened { caller, code, reason }));
        true
    }

    /// The line (1-based) whose name or Contact user the Request-URI names, else 1.
    pub(super) fn line_called(&self, req: &Message<'_>) -> usize {
        let user = match req.request_uri() {
            Ok(Uri::Sip(sip)) => sip.user.map(|u| String::from_utf8_lossy(u).into_owned()),
            _ => None,
        };
        self.config
            .provisioned_lines()
            .find(|(_, l)| user.as_deref().is_some_and(|u| u == l.name || u == l.contact))
            .map_or(1, |(n, _)| n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::{Datagram, parse_datagram};

    fn invite(from: &str, extra: &str) -> Vec<u8> {
        format!(
            "INVITE sip:12345@192.0.2.11 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\n\
             From: {from};tag=1\r\nTo: <sip:12345@example.com>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n\
             Max-Forwards: 70\r\n{extra}Content-Length: 0\r\n\r\n"
        )
        .into_bytes()
    }

    fn anonymous(from: &str, extra: &str) -> bool {
        let bytes = invite(from, extra);
        let Ok(Datagram::Message(msg)) = parse_datagram(&bytes) else { panic!("parse") };
        is_anonymous(&msg)
    }

    #[test]
    fn rfc5079_signs_of_an_anonymous_caller() {
        assert!(anonymous("\"Anonymous\" <sip:anonymous@anonymous.invalid>", ""));
        assert!(anonymous("<sip:anonymous@example.com>", ""));
        assert!(anonymous("<sip:someone@ANONYMOUS.invalid>", ""));
        assert!(anonymous("\"anonymous\" <sip:4930123@example.com>", ""));
        assert!(anonymous("<sip:4930123@example.com>", "Privacy: id\r\n"));
        assert!(anonymous("<sip:4930123@example.com>", "Privacy: header;user\r\n"));
        assert!(!anonymous("<sip:4930123@example.com>", "Privacy: none\r\n"));
        assert!(!anonymous("\"Anna Nymous\" <sip:4930123@example.com>", ""));
    }

    #[test]
    fn forced_values_refuse_a_toggle() {
        let mut f = Feature::Off;
        assert_eq!(toggle("dnd_control", &mut f, true), Ok(()));
        assert_eq!(f, Feature::On);
        assert_eq!(toggle("dnd_control", &mut f, false), Ok(()));
        assert_eq!(f, Feature::Off);
        let mut f = Feature::AlwaysOn;
        let err = toggle("dnd_control", &mut f, false).unwrap_err();
        assert_eq!(err.to_string(), "dnd_control is always on (dnd_control : 3)");
        assert_eq!(f, Feature::AlwaysOn);
        let mut f = Feature::AlwaysOff;
        assert!(toggle("dnd_control", &mut f, true).is_err());
        assert_eq!(f, Feature::AlwaysOff);
    }
}
