//! The UDP transport rules for responses (RFC 3261 §18.2.1–18.2.2, RFC 3581).
//!
//! A server transport stamps the top Via of a request with `received=` when the sent-by
//! host is not the packet's source, and fills in `rport=` when the client asked for it.
//! Responses then go to the source address: to the source port when `rport` was asked for,
//! else to the sent-by port (5060 when absent).

use super::message::lex::Cursor;
use super::message::uri::Host;
use super::message::via::Via;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};

/// The top Via value of a request, as received, with its end offset in the header value.
fn first_via(value: &[u8]) -> Option<(Via<'_>, usize)> {
    let mut cur = Cursor::new(value);
    cur.skip_ws();
    let via = Via::parse_at(&mut cur).ok()?;
    Some((via, cur.pos()))
}

fn host_ip(host: &Host<'_>) -> Option<IpAddr> {
    match host {
        Host::Ipv4(ip) => Some(IpAddr::V4(*ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(*ip)),
        Host::Domain(_) => None,
    }
}

/// Rewrites the first Via value of a header line as a server transport must (§18.2.1,
/// RFC 3581 §4): adds `received=<source IP>` when the sent-by is not that IP (always when
/// `rport` is present), and replaces a bare `rport` with `rport=<source port>`. Returns
/// `None` when the value does not parse (the caller keeps it as is).
pub fn stamp_via(value: &[u8], source: SocketAddr) -> Option<Vec<u8>> {
    let (via, end) = first_via(value)?;
    let wants_rport = matches!(via.rport, Some(None));
    let needs_received = wants_rport || host_ip(&via.host) != Some(source.ip());
    let mut out = Vec::with_capacity(value.len() + 40);
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let _ =
        write!(out, "{}/{}/{} {}", s(via.protocol), s(via.version), s(via.transport.as_bytes()), via.host);
    if let Some(port) = via.port {
        let _ = write!(out, ":{port}");
    }
    for p in via.params.iter() {
        if p.name.eq_ignore_ascii_case(b"received") && needs_received {
            continue;
        }
        if p.name.eq_ignore_ascii_case(b"rport") && wants_rport {
            let _ = write!(out, ";rport={}", source.port());
            continue;
        }
        let _ = write!(out, ";{}", s(p.name));
        if let Some(v) = p.value {
            let _ = write!(out, "={}", s(v));
        }
    }
    if needs_received {
        let _ = write!(out, ";received={}", source.ip());
    }
    out.extend_from_slice(value.get(end..).unwrap_or_default());
    Some(out)
}

/// Where to send a response to a request that came from `source` with top Via `via`
/// (§18.2.2 for UDP, RFC 3581 §4): the source IP, at the source port when `rport` was
/// asked for, else at the sent-by port.
pub fn response_destination(via: &Via<'_>, source: SocketAddr) -> SocketAddr {
    let port = match via.rport {
        Some(_) => source.port(),
        None => via.port_or_default(),
    };
    SocketAddr::new(source.ip(), port)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src() -> SocketAddr {
        "192.0.2.7:40000".parse().unwrap()
    }

    fn stamped(v: &str) -> String {
        String::from_utf8(stamp_via(v.as_bytes(), src()).unwrap()).unwrap()
    }

    #[test]
    fn received_added_when_sent_by_differs() {
        assert_eq!(
            stamped("SIP/2.0/UDP 10.0.0.3:5060;branch=z9hG4bK1"),
            "SIP/2.0/UDP 10.0.0.3:5060;branch=z9hG4bK1;received=192.0.2.7"
        );
        assert_eq!(
            stamped("SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1"),
            "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1"
        );
        assert_eq!(
            stamped("SIP/2.0/UDP pc.example;branch=z9hG4bK1"),
            "SIP/2.0/UDP pc.example;branch=z9hG4bK1;received=192.0.2.7"
        );
    }

    #[test]
    fn rport_filled_and_received_always_added() {
        assert_eq!(
            stamped("SIP/2.0/UDP 192.0.2.7:5060;rport;branch=z9hG4bK1"),
            "SIP/2.0/UDP 192.0.2.7:5060;rport=40000;branch=z9hG4bK1;received=192.0.2.7"
        );
    }

    #[test]
    fn only_the_first_value_of_a_line_is_touched() {
        assert_eq!(
            stamped("SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK1 , SIP/2.0/UDP proxy.example;branch=z9hG4bK2"),
            "SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK1;received=192.0.2.7 , SIP/2.0/UDP proxy.example;branch=z9hG4bK2"
        );
        assert_eq!(stamp_via(b"garbage", src()), None);
    }

    #[test]
    fn destinations() {
        let v = |s: &'static str| first_via(s.as_bytes()).unwrap().0;
        assert_eq!(
            response_destination(&v("SIP/2.0/UDP 10.0.0.3:5062;branch=z9hG4bKa"), src()),
            "192.0.2.7:5062".parse().unwrap()
        );
        assert_eq!(
            response_destination(&v("SIP/2.0/UDP 10.0.0.3;branch=z9hG4bKa"), src()),
            "192.0.2.7:5060".parse().unwrap()
        );
        assert_eq!(response_destination(&v("SIP/2.0/UDP 10.0.0.3:5062;rport;branch=z9hG4bKa"), src()), src());
    }
}
