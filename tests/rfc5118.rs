//! RFC 5118 IPv6 torture messages (good-faith copies, see tests/data/rfc5118/README.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::net::Ipv6Addr;

use common::{assert_round_trip, list, load, parse};
use sip7940::sip::message::{Host, Uri, ValidationError, can_respond, validate_request};

#[derive(Debug, Clone, Copy)]
enum Expect {
    Valid,
    BadRequestUri,
}

const TABLE: &[(&str, Expect)] = &[
    ("ipv6-good", Expect::Valid),
    ("ipv6-bad", Expect::BadRequestUri),
    // Well-formed: ":5070" is part of the address, not a port.
    ("port-ambiguous", Expect::Valid),
    ("port-unambiguous", Expect::Valid),
    // Tolerated: received=[...] with brackets.
    ("via-received-param-with-delim", Expect::Valid),
    ("via-received-param-no-delim", Expect::Valid),
    // Content-Length is smaller than the body in the SDP files: the extra bytes are ignored.
    ("ipv6-in-sdp", Expect::Valid),
    ("mult-ip-in-header", Expect::Valid),
    ("mult-ip-in-sdp", Expect::Valid),
    ("ipv4-mapped-ipv6", Expect::Valid),
    // Strict: the extra colon is rejected (RFC 5118 §4.10 allows either).
    ("ipv6-bug-abnf-3-colons", Expect::BadRequestUri),
    ("ipv6-correct-abnf-2-colons", Expect::Valid),
];

fn v6(s: &str) -> Host<'static> {
    Host::Ipv6(s.parse::<Ipv6Addr>().unwrap())
}

#[test]
fn every_file_has_an_expectation() {
    let files = list("rfc5118");
    assert_eq!(files.len(), 12);
    let mut names: Vec<&str> = TABLE.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    assert_eq!(files, names);
}

#[test]
fn all_outcomes() {
    for (name, expect) in TABLE {
        let buf = load("rfc5118", name);
        let m = parse(&buf);
        match expect {
            Expect::Valid => assert_eq!(validate_request(&m), Ok(()), "{name}"),
            Expect::BadRequestUri => {
                assert!(matches!(validate_request(&m), Err(ValidationError::BadRequestUri(_))), "{name}");
                assert!(can_respond(&m), "{name}");
            }
        }
        assert_round_trip(name, &m);
    }
}

#[test]
fn specifics() {
    let b = load("rfc5118", "ipv6-good");
    let m = parse(&b);
    assert_eq!(m.request_uri().unwrap().as_sip().unwrap().host, v6("2001:db8::10"));
    assert_eq!(m.top_via().unwrap().host, v6("2001:db8::9:1"));

    let b = load("rfc5118", "port-ambiguous");
    let u = parse(&b).request_uri().unwrap();
    let s = u.as_sip().unwrap();
    assert_eq!((s.host, s.port), (v6("2001:db8::10:5070"), None));

    let b = load("rfc5118", "port-unambiguous");
    let u = parse(&b).request_uri().unwrap();
    let s = u.as_sip().unwrap();
    assert_eq!((s.host, s.port), (v6("2001:db8::10"), Some(5070)));

    let b = load("rfc5118", "via-received-param-with-delim");
    assert_eq!(parse(&b).top_via().unwrap().received, Some(&b"[2001:db8::9:255]"[..]));
    let b = load("rfc5118", "via-received-param-no-delim");
    assert_eq!(parse(&b).top_via().unwrap().received, Some(&b"2001:db8::9:255"[..]));

    let b = load("rfc5118", "mult-ip-in-header");
    let v = parse(&b).vias().unwrap();
    assert_eq!(v.len(), 3);
    assert_eq!((v[0].host, v[0].port), (v6("2001:db8::9:1"), Some(6050)));
    assert_eq!(v[2].received, Some(&b"192.0.2.200"[..]));

    let b = load("rfc5118", "ipv4-mapped-ipv6");
    let m = parse(&b);
    let v = m.vias().unwrap();
    assert_eq!((v[0].host, v[0].port), (v6("::ffff:192.0.2.10"), Some(19823)));
    assert_eq!(m.body.len(), 236);

    let b = load("rfc5118", "ipv6-correct-abnf-2-colons");
    let m = parse(&b);
    assert!(matches!(m.to().unwrap().uri, Uri::Sip(s) if s.host == v6("2001:db8::192.0.2.1")));
}
