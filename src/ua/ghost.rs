//! Ghost-call protection: SIP scanners send INVITEs straight to phones' ports, and a phone
//! that answers rings for nobody. A request outside a dialog is admitted only when it comes
//! from one of the configured proxies (outbound proxy, line proxies, backup; by IP address,
//! as resolved) and is addressed to one of our lines (Request-URI user = a line's name or
//! Contact user). Everything else gets 403 and never rings. `accept_direct_calls : 1` turns
//! the check off for peer-to-peer use.

use crate::config::{Host, PhoneConfig};
use crate::sip::message::Message;
use crate::sip::message::uri::Uri;
use std::net::IpAddr;
use thiserror::Error;

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    /// It did not come from a configured proxy.
    #[error("{0} is not one of the configured proxies")]
    NotFromProxy(IpAddr),
    /// It is not addressed to one of our lines.
    #[error("the Request-URI user {0:?} is not one of our lines")]
    NotOurLine(String),
}

/// The addresses requests may come from: every proxy address that is a literal IP, plus
/// the addresses names resolved to.
pub fn trusted_addresses(config: &PhoneConfig, resolved: impl IntoIterator<Item = IpAddr>) -> Vec<IpAddr> {
    let literal = config
        .proxies
        .iter()
        .chain([&config.outbound_proxy, &config.proxy_backup, &config.proxy_emergency])
        .filter_map(|p| match &p.address {
            Some(Host::Ip(ip)) => Some(*ip),
            _ => None,
        });
    let mut all: Vec<IpAddr> = literal.chain(resolved).collect();
    all.sort();
    all.dedup();
    all
}

/// Decides whether an out-of-dialog request from `source` may reach the phone.
pub fn admit(
    config: &PhoneConfig,
    trusted: &[IpAddr],
    source: IpAddr,
    req: &Message<'_>,
) -> Result<(), Refusal> {
    if config.features.accept_direct_calls {
        return Ok(());
    }
    if !trusted.contains(&source) {
        return Err(Refusal::NotFromProxy(source));
    }
    let user = match req.request_uri() {
        Ok(Uri::Sip(uri)) => uri.user.map(|u| String::from_utf8_lossy(u).into_owned()),
        _ => None,
    };
    let ours = |u: &str| {
        config.provisioned_lines().any(|(_, l)| l.name == u || (!l.contact.is_empty() && l.contact == u))
    };
    match user {
        Some(u) if ours(&u) => Ok(()),
        // A proxy's keep-alive OPTIONS to our bare address.
        None => Ok(()),
        Some(u) => Err(Refusal::NotOurLine(u)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::{Datagram, parse_datagram};

    fn config() -> PhoneConfig {
        let mut c = PhoneConfig::default();
        c.proxies[0].address = Some(Host::parse("198.51.100.5").unwrap());
        c.lines[0].name = "12345".into();
        c.lines[1].name = "23456".into();
        c.lines[1].contact = "phone2".into();
        c
    }

    fn invite(user: &str) -> Vec<u8> {
        format!(
            "INVITE sip:{user}10.0.0.3:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.66:5060;branch=z9hG4bKs\r\n\
             From: <sip:100@192.0.2.66>;tag=1\r\nTo: <sip:100@10.0.0.3>\r\nCall-ID: g\r\nCSeq: 1 INVITE\r\n\
             Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
        .into_bytes()
    }

    fn check(c: &PhoneConfig, source: &str, user: &str) -> Result<(), Refusal> {
        let bytes = invite(user);
        let Ok(Datagram::Message(m)) = parse_datagram(&bytes) else { panic!("parse") };
        let trusted = trusted_addresses(c, ["203.0.113.7".parse().unwrap()]);
        admit(c, &trusted, source.parse().unwrap(), &m)
    }

    #[test]
    fn scanners_are_refused() {
        let c = config();
        assert_eq!(
            check(&c, "192.0.2.66", "100@"),
            Err(Refusal::NotFromProxy("192.0.2.66".parse().unwrap()))
        );
        assert_eq!(check(&c, "198.51.100.5", "100@"), Err(Refusal::NotOurLine("100".into())));
    }

    #[test]
    fn the_proxy_may_call_our_lines() {
        let c = config();
        assert_eq!(check(&c, "198.51.100.5", "12345@"), Ok(()));
        assert_eq!(check(&c, "203.0.113.7", "23456@"), Ok(()), "a resolved proxy address");
        assert_eq!(check(&c, "198.51.100.5", "phone2@"), Ok(()), "a line's Contact user");
        assert_eq!(check(&c, "198.51.100.5", ""), Ok(()), "keep-alive to the bare address");
    }

    #[test]
    fn accept_direct_calls_turns_it_off() {
        let mut c = config();
        c.features.accept_direct_calls = true;
        assert_eq!(check(&c, "192.0.2.66", "100@"), Ok(()));
    }
}
