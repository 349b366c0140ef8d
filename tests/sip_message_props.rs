//! Property tests: no input panics the parser or a typed accessor; generated well-formed
//! requests survive print → parse → owned → print.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use proptest::prelude::*;
use sip7940::sip::message::{
    CSeq, Challenge, Contacts, Datagram, HeaderName, Host, MediaType, Message, Method, NameAddr, Reason,
    Request, RetryAfter, SipDate, Uri, Via, Warning, can_respond, frame_stream, parse_datagram,
    parse_lenient, rejection, response_to, scalar, validate_request, validate_response,
};

/// Calls every accessor and check; results are ignored, only panics matter.
fn exercise(m: &Message<'_>) {
    let _ = m.request_uri();
    let _ = m.vias();
    let _ = m.top_via();
    let _ = m.from();
    let _ = m.to();
    let _ = m.call_id();
    let _ = m.cseq();
    let _ = m.max_forwards();
    let _ = m.expires();
    let _ = m.min_expires();
    let _ = m.content_length();
    let _ = m.content_type();
    let _ = m.contacts();
    let _ = m.routes();
    let _ = m.record_routes();
    for h in [HeaderName::WwwAuthenticate, HeaderName::Authorization] {
        let _ = m.auth(h);
    }
    let _ = m.tokens(HeaderName::Require);
    let _ = m.accept();
    let _ = m.date();
    let _ = m.warnings();
    let _ = m.reasons();
    let _ = m.retry_after();
    let _ = m.products(HeaderName::UserAgent);
    for h in &m.headers {
        let _ = h.value();
    }
    let r = validate_request(m);
    let _ = validate_response(m);
    let _ = can_respond(m);
    if let Err(e) = r {
        let _ = rejection(m, &e, "ua", Some(b"t"));
    }
    let _ = response_to(m, 200, Some(b"t"));
    let bytes = m.to_owned_message().to_bytes();
    // Whatever parsed must print into something that parses again.
    assert!(
        matches!(parse_datagram(&bytes), Ok(Datagram::Message(_))),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
}

fn exercise_bytes(b: &[u8]) {
    if let Ok(Datagram::Message(m)) = parse_datagram(b) {
        exercise(&m);
    }
    if let Ok(m) = parse_lenient(b) {
        exercise(&m);
    }
    let _ = frame_stream(b);
    let _ = Uri::parse(b);
    let _ = Host::parse(b);
    let _ = Via::parse_list(b);
    let _ = NameAddr::parse(b);
    let _ = NameAddr::parse_route_list(b);
    let _ = Contacts::parse(b);
    let _ = Challenge::parse_list(b);
    let _ = CSeq::parse(b);
    let _ = MediaType::parse(b);
    let _ = MediaType::parse_accept(b);
    let _ = Warning::parse_list(b);
    let _ = SipDate::parse(b);
    let _ = Reason::parse_list(b);
    let _ = RetryAfter::parse(b);
    let _ = scalar::parse_token_list(b);
    let _ = scalar::parse_call_id(b);
    let _ = scalar::parse_max_forwards(b);
    let _ = scalar::parse_products(b);
}

/// Case count: `PROPTEST_CASES` when set (for long runs), else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Every RFC 4475 and RFC 5118 file, loaded once.
fn torture_files() -> &'static [Vec<u8>] {
    static FILES: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        let mut v = Vec::new();
        for dir in ["rfc4475", "rfc5118"] {
            for name in common::list(dir) {
                v.push(common::load(dir, &name));
            }
        }
        v
    })
}

const SEED: &[u8] = b"INVITE sip:bob@[2001:db8::1]:5060;transport=udp SIP/2.0\r\nv: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport, SIP/2.0/TCP h\r\nf: \"A\\\"b\" <sip:a@b>;tag=1\r\nt: b <sip:b@c>\r\ni: x@y\r\nCSeq: 1 INVITE\r\nm: <sip:a@1.2.3.4>;expires=60;q=0.5, *\r\nWWW-Authenticate: Digest realm=\"r\", nonce=\"n\", Basic abc==\r\nRoute: <sip:p;lr>\r\nAccept: application/sdp;q=1, */*\r\nWarning: 399 h \"x\"\r\nDate: Sat, 15 Oct 2005 04:44:56 GMT\r\nRetry-After: 5 (x);duration=3\r\nReason: SIP;cause=1\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nl: 4\r\n\r\nv=0\r\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(2000), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..600)) {
        exercise_bytes(&b);
    }

    #[test]
    fn sip_alphabet_never_panics(b in proptest::collection::vec(
        prop::sample::select(b"SIP/2.0 INVITE sip:@[]:;,=<>\"\\\r\n\t%0aZ?&*1-.".to_vec()), 0..400)) {
        let mut buf = b"OPTIONS sip:a@b SIP/2.0\r\nVia: ".to_vec();
        buf.extend_from_slice(&b);
        exercise_bytes(&buf);
        exercise_bytes(&b);
    }

    #[test]
    fn mutated_torture_files_never_panic(
        file in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let files = torture_files();
        let mut buf = files[file.index(files.len())].clone();
        for (i, b) in edits {
            let i = i.index(buf.len());
            buf[i] = b;
        }
        exercise_bytes(&buf);
        let c = cut.index(buf.len() + 1);
        exercise_bytes(&buf[..c]);
    }

    #[test]
    fn mutated_messages_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut buf = SEED.to_vec();
        for (i, b) in edits {
            let i = i.index(buf.len());
            buf[i] = b;
        }
        exercise_bytes(&buf);
        let c = cut.index(buf.len() + 1);
        exercise_bytes(&buf[..c]);
    }
}

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9.!%*_+`'~-]{0,12}"
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,8}(\\.[a-z][a-z0-9-]{0,8}){0,3}",
        any::<[u8; 4]>().prop_map(|a| std::net::Ipv4Addr::from(a).to_string()),
        any::<[u16; 8]>().prop_map(|a| format!("[{}]", std::net::Ipv6Addr::from(a))),
    ]
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![Just("INVITE".to_owned()), Just("REGISTER".to_owned()), Just("BYE".to_owned()), "[A-Z]{3,10}",]
}

#[derive(Debug, Clone)]
struct Gen {
    method: String,
    user: String,
    host: String,
    port: Option<u16>,
    branch: String,
    display: Option<String>,
    tag: String,
    call_id: String,
    seq: u32,
    mf: u8,
    extra: Vec<(String, String)>,
    body: Vec<u8>,
    compact: bool,
}

fn gen_request() -> impl Strategy<Value = Gen> {
    (
        (
            method(),
            "[a-zA-Z0-9][a-zA-Z0-9._!~*'()+&=$,;?/-]{0,12}",
            host(),
            proptest::option::of(any::<u16>()),
            token(),
        ),
        (proptest::option::of("[ -!#-\\[\\]-~]{0,16}"), token(), token(), any::<u32>(), any::<u8>()),
        proptest::collection::vec(("X-[a-zA-Z0-9-]{1,10}", "[!-~]([ -~]{0,20}[!-~])?"), 0..4),
        proptest::collection::vec(any::<u8>(), 0..64),
        any::<bool>(),
    )
        .prop_map(
            |((method, user, host, port, branch), (display, tag, call_id, seq, mf), extra, body, compact)| {
                Gen { method, user, host, port, branch, display, tag, call_id, seq, mf, extra, body, compact }
            },
        )
}

fn quote(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == '\\' {
            o.push('\\');
        }
        o.push(c);
    }
    o.push('"');
    o
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(500), ..ProptestConfig::default() })]

    #[test]
    fn generated_requests_round_trip(g in gen_request()) {
        let port = g.port.map(|p| format!(":{p}")).unwrap_or_default();
        let uri = format!("sip:{}@{}{}", g.user, g.host, port);
        let m = Method::from_bytes(g.method.as_bytes()).unwrap();
        let mut req = Request::new(m, uri.clone())
            .with(HeaderName::Via, format!("SIP/2.0/UDP {}{};branch=z9hG4bK{};rport", g.host, port, g.branch))
            .with(HeaderName::From, format!("{}<{}>;tag={}", g.display.as_deref().map(|d| quote(d) + " ").unwrap_or_default(), uri, g.tag))
            .with(HeaderName::To, format!("<{uri}>"))
            .with(HeaderName::CallId, g.call_id.clone())
            .with(HeaderName::CSeq, format!("{} {}", g.seq, g.method))
            .with(HeaderName::MaxForwards, g.mf.to_string())
            .with_body(g.body.clone());
        for (n, v) in &g.extra {
            req.headers.push_named(n, v.clone());
        }
        let mut bytes = req.to_bytes();
        if g.compact {
            // Same message with compact names and odd spacing must parse identically.
            let s = String::from_utf8_lossy(&bytes).into_owned();
            if s.is_ascii() {
                bytes = s.replacen("\r\nVia: ", "\r\nv :  ", 1).replacen("\r\nCall-ID: ", "\r\ni:", 1).into_bytes();
                bytes.splice(0..0, b"\r\n".iter().copied());
            }
        }
        let Ok(Datagram::Message(p)) = parse_datagram(&bytes) else { panic!("{}", String::from_utf8_lossy(&bytes)) };
        prop_assert_eq!(validate_request(&p), Ok(()));
        prop_assert_eq!(p.method(), Some(m));
        let ru = p.request_uri().unwrap();
        let su = ru.as_sip().unwrap();
        prop_assert_eq!(su.user, Some(g.user.as_bytes()));
        prop_assert_eq!(su.port, g.port);
        prop_assert!(su.host.eq_host(&Host::parse(g.host.as_bytes()).unwrap()));
        let v = p.top_via().unwrap();
        prop_assert_eq!(v.port, g.port);
        prop_assert_eq!(v.rport, Some(None));
        let branch = format!("z9hG4bK{}", g.branch);
        prop_assert_eq!(v.branch, Some(branch.as_bytes()));
        let f = p.from().unwrap();
        prop_assert_eq!(f.tag(), Some(g.tag.as_bytes()));
        let dn = f.display_name.map(|d| d.text().into_owned());
        prop_assert_eq!(dn, g.display.as_ref().map(|d| d.as_bytes().to_vec()));
        prop_assert_eq!(p.call_id().unwrap(), g.call_id.as_bytes());
        let c = p.cseq().unwrap();
        prop_assert_eq!((c.seq, c.method), (g.seq, m));
        prop_assert_eq!(p.max_forwards().unwrap(), Some(g.mf));
        prop_assert_eq!(p.body, &g.body[..]);
        for (i, (n, val)) in g.extra.iter().enumerate() {
            if g.extra[..i].iter().any(|(m, _)| m.eq_ignore_ascii_case(n)) {
                continue;
            }
            prop_assert_eq!(p.header_raw(n.as_bytes()).map(|h| h.raw_value), Some(val.as_bytes()));
        }
        common::assert_round_trip("generated", &p);
    }
}
