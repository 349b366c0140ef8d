//! Any bytes as a received SIP datagram (and as the front of a TCP stream). The codec must
//! give a message or an error value, never panic, through every typed accessor, validation,
//! the 400 builder and the printer. What it prints must parse again and be a fixed point of
//! print ∘ parse, with the same headers (Content-Length aside) and body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip7940::sip::message::{
    Contacts, Datagram, HeaderName, Message, OwnedMessage, Uri, can_respond, frame_stream, parse_datagram,
    parse_lenient, rejection, response_to, validate_request, validate_response,
};
use std::hint::black_box;

/// Keeps a value alive for the optimiser without a `must_use` warning.
fn sink<T>(v: T) {
    black_box(v);
}

/// Headers whose value is a comma-separated token list.
const TOKEN_LISTS: [HeaderName; 5] = [
    HeaderName::Allow,
    HeaderName::Supported,
    HeaderName::Require,
    HeaderName::ProxyRequire,
    HeaderName::Unsupported,
];

/// Headers holding challenges or credentials.
const AUTH: [HeaderName; 4] = [
    HeaderName::WwwAuthenticate,
    HeaderName::ProxyAuthenticate,
    HeaderName::Authorization,
    HeaderName::ProxyAuthorization,
];

/// Formats a URI's parts (exercises the lazy parameter readers and %-decoding).
fn touch_uri(u: &Uri<'_>) {
    sink(u.scheme());
    if let Some(s) = u.as_sip() {
        sink((s.user_unescaped(), s.transport(), s.maddr(), s.lr(), s.user_param()));
        sink(s.params.iter().count());
        sink(s.equivalent(s));
        sink(s.host.to_string());
    }
}

/// Calls every typed accessor and formats what it returns.
fn touch(m: &Message<'_>) {
    sink((m.is_request(), m.method(), m.status_code()));
    if let Ok(u) = m.request_uri() {
        touch_uri(&u);
    }
    if let Ok(vias) = m.vias() {
        for v in &vias {
            sink((v.to_string(), v.has_rfc3261_branch(), v.port_or_default()));
            sink(v.params.iter().count());
        }
    }
    sink(m.top_via().map(|v| v.to_string()));
    for na in [m.from(), m.to()].into_iter().flatten() {
        sink((na.to_string(), na.tag(), na.display_name.map(|d| d.text())));
        touch_uri(&na.uri);
    }
    sink(m.call_id());
    sink(m.cseq().map(|c| c.to_string()));
    sink((m.max_forwards(), m.expires(), m.min_expires(), m.content_length()));
    sink(m.content_type().map(|c| c.map(|t| t.to_string())));
    if let Ok(Contacts::List(cs)) = m.contacts() {
        for c in &cs {
            sink((c.addr.to_string(), c.expires, c.q, c.instance()));
            touch_uri(&c.addr.uri);
        }
    }
    for r in m.routes().into_iter().chain(m.record_routes()).flatten() {
        sink(r.to_string());
    }
    for h in AUTH {
        if let Ok(cs) = m.auth(h) {
            for c in &cs {
                sink((c.to_string(), c.is_digest(), c.get("realm"), c.get("nonce")));
            }
        }
    }
    for h in TOKEN_LISTS {
        sink(m.tokens(h));
    }
    sink(m.accept().map(|a| a.map(|l| l.iter().map(ToString::to_string).count())));
    sink((m.products(HeaderName::UserAgent), m.products(HeaderName::Server)));
    sink((m.date(), m.warnings(), m.reasons(), m.retry_after()));
    for &h in HeaderName::ALL {
        sink((m.text(h), m.count(h)));
    }
    for h in &m.headers {
        sink((h.value(), h.canonical_name(), h.line()));
    }
}

/// Validation, the 400/505 builder and a normal response, never a panic.
fn respond(m: &Message<'_>) {
    let checked = if m.is_request() { validate_request(m) } else { validate_response(m) };
    sink(can_respond(m));
    if let Err(e) = &checked {
        sink((e.to_string(), e.status_code(), e.reason_phrase(), e.warning_value("fuzz")));
        if let Some(r) = rejection(m, e, "fuzz.example.com", Some(b"tag1")) {
            sink(r.to_bytes());
        }
    }
    if let Ok(r) = response_to(m, 200, Some(b"tag2")) {
        sink(r.to_bytes());
    }
}

fn message(buf: &[u8]) -> Option<Message<'_>> {
    match parse_datagram(buf) {
        Ok(Datagram::Message(m)) => Some(m),
        _ => None,
    }
}

/// Header list without Content-Length: (canonical name, unfolded value).
fn header_list(m: &Message<'_>) -> Vec<(String, Vec<u8>)> {
    m.headers
        .iter()
        .filter(|h| !h.is(HeaderName::ContentLength))
        .map(|h| (h.canonical_name().into_owned(), h.value().into_owned()))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    sink(frame_stream(data));
    if let Ok(m) = parse_lenient(data) {
        touch(&m);
        respond(&m);
    }
    let Some(m) = message(data) else { return };
    touch(&m);
    respond(&m);
    let printed = m.to_owned_message().to_bytes();
    let Some(again) = message(&printed) else {
        panic!("printed message does not parse: {:?}", String::from_utf8_lossy(&printed));
    };
    touch(&again);
    respond(&again);
    assert_eq!(again.body, m.body, "body changed by print");
    assert_eq!(header_list(&again), header_list(&m), "headers changed by print");
    let owned: OwnedMessage = again.to_owned_message();
    assert_eq!(owned.to_bytes(), printed, "print is not a fixed point");
});
