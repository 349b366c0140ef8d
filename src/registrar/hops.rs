//! Where things go: the address a URI or a Via points at, whether a URI names this proxy,
//! the branch of a request relayed statelessly (RFC 3261 §16.11), and how to take the
//! first value off a comma-separated Via or Route line.
//!
//! ```text
//!  request in:  Via: A;branch=X          request out:  Via: P;branch=z9hG4bKsr + H(salt:X)
//!                                                      Via: A;branch=X;received=…
//!  CANCEL / ACK of a failure repeat X  ──▶  the same outgoing branch  ──▶  same transaction at B
//! ```
//! No DNS here: only IP literals are routable.

use crate::sip::auth::{Algorithm, hash_hex};
use crate::sip::message::error::ValueError;
use crate::sip::message::lex::Cursor;
use crate::sip::message::uri::{Host, SipUri, Uri};
use crate::sip::message::via::{MAGIC_COOKIE, Via};
use crate::sip::message::{HeaderName, Message};
use std::net::{IpAddr, SocketAddr};

/// The start of every branch this proxy writes (`z9hG4bK` + `sr`, "stateless relay").
pub const BRANCH_PREFIX: &str = "z9hG4bKsr";

/// The IP of a host, when it is a literal.
pub fn host_ip(host: &Host<'_>) -> Option<IpAddr> {
    match host {
        Host::Ipv4(v4) => Some(IpAddr::V4(*v4)),
        Host::Ipv6(v6) => Some(IpAddr::V6(*v6)),
        Host::Domain(_) => None,
    }
}

/// The address a `sip:` URI points at, when its host is an IP literal (port 5060 when
/// absent). `maddr` and `transport` are ignored: everything is UDP.
pub fn uri_addr(uri: &Uri<'_>) -> Option<SocketAddr> {
    match uri {
        Uri::Sip(sip) => host_ip(&sip.host).map(|ip| SocketAddr::new(ip, sip.port.unwrap_or(5060))),
        Uri::Tel(_) | Uri::Other(_) => None,
    }
}

/// Whether a `sip:` URI names this proxy: its host is our IP or our domain (ignoring case)
/// and its port ours (5060 when absent).
pub fn names_us(uri: &SipUri<'_>, addr: SocketAddr, domain: &str) -> bool {
    let host_ours = match &uri.host {
        Host::Domain(d) => d.eq_ignore_ascii_case(domain.as_bytes()),
        other => host_ip(other) == Some(addr.ip()),
    };
    host_ours && uri.port.unwrap_or(5060) == addr.port()
}

/// Whether a URI is a `sip:` URI naming this proxy.
pub fn uri_names_us(uri: &Uri<'_>, addr: SocketAddr, domain: &str) -> bool {
    matches!(uri, Uri::Sip(sip) if names_us(sip, addr, domain))
}

/// Where a response goes back to by a Via value: `received` (else the sent-by IP) and
/// `rport` (else the sent-by port); `None` when the sent-by is a name and nobody stamped it.
pub fn via_destination(via: &Via<'_>) -> Option<SocketAddr> {
    let received = via.received.and_then(|r| {
        let text = std::str::from_utf8(r).ok()?;
        text.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok()
    });
    let ip = received.or_else(|| host_ip(&via.host))?;
    let port = match via.rport {
        Some(Some(port)) => port,
        _ => via.port_or_default(),
    };
    Some(SocketAddr::new(ip, port))
}

/// The branch for a request relayed statelessly (§16.11). With an RFC 3261 branch on the
/// incoming top Via it is a hash of our salt and that branch, so a retransmission, the
/// CANCEL and the ACK of a failure response all get the branch the INVITE got. Without
/// one (RFC 2543) it hashes what such a peer repeats: Call-ID, CSeq number, From tag, the
/// top Via as written and the Request-URI.
pub fn stateless_branch(salt: &str, req: &Message<'_>) -> String {
    let top = req.top_via().ok();
    let digest = match top.and_then(|v| v.branch).filter(|b| b.starts_with(MAGIC_COOKIE)) {
        Some(branch) => hash_hex(Algorithm::Md5, &[salt.as_bytes(), branch]),
        None => {
            let seq = req.cseq().map(|c| c.seq.to_string()).unwrap_or_default();
            let from_tag = req.from().ok().and_then(|f| f.tag()).unwrap_or_default();
            let via = req.header(HeaderName::Via).map(|h| h.raw_value).unwrap_or_default();
            let uri = req.request_line().map(|l| l.uri).unwrap_or_default();
            let call_id = req.call_id().unwrap_or_default();
            hash_hex(Algorithm::Md5, &[salt.as_bytes(), call_id, seq.as_bytes(), from_tag, via, uri])
        }
    };
    format!("{BRANCH_PREFIX}{}", digest.get(..20).unwrap_or(&digest))
}

/// What is left of a header line after its first comma-separated value, read with
/// `parse`: `None` when the line held a single value (or does not parse).
pub fn rest_after_first<'a, T>(
    value: &'a [u8],
    parse: impl FnOnce(&mut Cursor<'a>) -> Result<T, ValueError>,
) -> Option<&'a [u8]> {
    let mut cur = Cursor::new(value);
    cur.skip_ws();
    parse(&mut cur).ok()?;
    if !cur.eat_sep(b',') {
        return None;
    }
    Some(cur.rest()).filter(|rest| !rest.is_empty())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::sip::message::{Datagram, NameAddr, parse_datagram};

    fn via(text: &str) -> Via<'_> {
        Via::parse_list(text.as_bytes()).unwrap()[0]
    }

    #[test]
    fn response_destinations_follow_received_and_rport() {
        let to = |t| via_destination(&via(t));
        assert_eq!(to("SIP/2.0/UDP 10.0.0.3:5062;branch=z9hG4bKa"), "10.0.0.3:5062".parse().ok());
        assert_eq!(
            to("SIP/2.0/UDP 10.0.0.3:5062;branch=z9hG4bKa;received=192.0.2.7"),
            "192.0.2.7:5062".parse().ok()
        );
        assert_eq!(
            to("SIP/2.0/UDP 10.0.0.3;rport=4000;branch=z9hG4bKa;received=192.0.2.7"),
            "192.0.2.7:4000".parse().ok()
        );
        assert_eq!(to("SIP/2.0/UDP phone.example;branch=z9hG4bKa"), None);
        assert_eq!(to("SIP/2.0/UDP [2001:db8::1];branch=z9hG4bKa"), "[2001:db8::1]:5060".parse().ok());
    }

    #[test]
    fn names_us_needs_host_and_port() {
        let addr: SocketAddr = "198.51.100.5:5060".parse().unwrap();
        let ours = |t: &str| uri_names_us(&Uri::parse(t.as_bytes()).unwrap(), addr, "sip.test");
        assert!(ours("sip:198.51.100.5;lr"));
        assert!(ours("sip:23456@198.51.100.5:5060"));
        assert!(ours("sip:23456@SIP.test"));
        assert!(!ours("sip:23456@198.51.100.5:5070"));
        assert!(!ours("sip:23456@192.0.2.1"));
        assert!(!ours("tel:+15551234"));
    }

    #[test]
    fn branches_repeat_for_cancel_and_differ_per_transaction() {
        let req = |method: &str, branch: &str| {
            format!(
                "{method} sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.3;branch={branch}\r\n\
                 From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 {method}\r\n\r\n"
            )
            .into_bytes()
        };
        let branch = |bytes: &[u8]| match parse_datagram(bytes) {
            Ok(Datagram::Message(m)) => stateless_branch("salt", &m),
            other => panic!("{other:?}"),
        };
        let invite = branch(&req("INVITE", "z9hG4bK1"));
        assert!(invite.starts_with(BRANCH_PREFIX) && invite.len() == BRANCH_PREFIX.len() + 20);
        assert_eq!(invite, branch(&req("CANCEL", "z9hG4bK1")));
        assert_ne!(invite, branch(&req("INVITE", "z9hG4bK2")));
        // RFC 2543 peers: the same request data gives the same branch.
        assert_eq!(branch(&req("INVITE", "old1")), branch(&req("INVITE", "old1")));
        assert_ne!(branch(&req("INVITE", "old1")), branch(&req("INVITE", "old2")));
    }

    #[test]
    fn first_values_come_off() {
        let rest = rest_after_first(b"<sip:p1;lr>, <sip:p2;lr>", NameAddr::parse_at);
        assert_eq!(rest, Some(&b"<sip:p2;lr>"[..]));
        assert_eq!(rest_after_first(b"<sip:p1;lr>", NameAddr::parse_at), None);
        let rest = rest_after_first(b"SIP/2.0/UDP a;branch=z9hG4bK1 ,SIP/2.0/UDP b", Via::parse_at);
        assert_eq!(rest, Some(&b"SIP/2.0/UDP b"[..]));
    }
}
