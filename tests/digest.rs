//! Digest authentication: every vector of /work/shared/testdata/digest.md (RFC 2617 §3.5,
//! RFC 7616 §3.9.1, draft-smith-sipping-auth-examples-01 §3, the REGISTER regression values),
//! then the client against our own verifier and its state machine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use sip7940::config::Secret;
use sip7940::sip::auth::{
    Algorithm, AuthError, AuthHeader, AuthKind, DigestClient, NonceCount, QopFields, Sent, ha1, ha2,
    hash_hex, response, verify,
};
use sip7940::sip::message::{Challenge, Datagram, HeaderName, Message, Method, parse_datagram};

/// HA1, HA2 and response for one vector, through the public functions.
#[allow(clippy::too_many_arguments)]
fn chain(
    alg: Algorithm,
    (user, realm, password): (&str, &str, &str),
    (method, uri): (&str, &str),
    nonce: &str,
    qop: Option<(&str, u32, &str)>,
) -> (String, String, String) {
    let cnonce = qop.map_or("", |q| q.2);
    let h1 = ha1(
        alg,
        user.as_bytes(),
        realm.as_bytes(),
        &Secret::new(password),
        nonce.as_bytes(),
        cnonce.as_bytes(),
    );
    let h2 = ha2(alg, method.as_bytes(), uri.as_bytes());
    let q = qop.map(|(qop, nc, cnonce)| QopFields {
        qop: qop.as_bytes(),
        nc: NonceCount::new(nc),
        cnonce: cnonce.as_bytes(),
    });
    let r = response(alg, &h1, nonce.as_bytes(), q.as_ref(), &h2);
    (h1, h2, r)
}

fn check(got: (String, String, String), ha1: &str, ha2: &str, resp: &str) {
    assert_eq!(got.0, ha1, "HA1");
    assert_eq!(got.1, ha2, "HA2");
    assert_eq!(got.2, resp, "response");
}

// ---- 1. RFC 2617 §3.5 ----

#[test]
fn rfc2617_3_5() {
    let got = chain(
        Algorithm::Md5,
        ("Mufasa", "testrealm@host.com", "Circle Of Life"),
        ("GET", "/dir/index.html"),
        "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        Some(("auth", 1, "0a4f113b")),
    );
    check(
        got,
        "939e7578ed9e3c518a452acee763bce9",
        "39aff3a2bab6126f332b942af96d3366",
        "6629fae49393a05397450978507c4ef1",
    );
}

#[test]
fn rfc2617_3_5_verify() {
    let h = "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", \
             uri=\"/dir/index.html\", qop=auth, nc=00000001, cnonce=\"0a4f113b\", \
             response=\"6629fae49393a05397450978507c4ef1\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
    let get = Method::Extension(b"GET");
    assert!(verify(h.as_bytes(), get, &Secret::new("Circle Of Life")));
    // The RFC 7616 password differs in one letter.
    assert!(!verify(h.as_bytes(), get, &Secret::new("Circle of Life")));
}

// ---- 2. RFC 7616 §3.9.1 ----

const R7616_NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
const R7616_CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

fn rfc7616(alg: Algorithm) -> (String, String, String) {
    chain(
        alg,
        ("Mufasa", "http-auth@example.org", "Circle of Life"),
        ("GET", "/dir/index.html"),
        R7616_NONCE,
        Some(("auth", 1, R7616_CNONCE)),
    )
}

#[test]
fn rfc7616_md5() {
    check(
        rfc7616(Algorithm::Md5),
        "3d78807defe7de2157e2b0b6573a855f",
        "39aff3a2bab6126f332b942af96d3366",
        "8ca523f5e9506fed4657c9700eebdbec",
    );
}

#[test]
fn rfc7616_sha256() {
    check(
        rfc7616(Algorithm::Sha256),
        "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232",
        "9a3fdae9a622fe8de177c24fa9c070f2b181ec85e15dcbdc32e10c82ad450b04",
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
    );
    let h = format!(
        "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", \
         algorithm=SHA-256, nonce=\"{R7616_NONCE}\", nc=00000001, cnonce=\"{R7616_CNONCE}\", qop=auth, \
         response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\", \
         opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
    );
    assert!(verify(h.as_bytes(), Method::Extension(b"GET"), &Secret::new("Circle of Life")));
}

// ---- 3. draft-smith-sipping-auth-examples-01 §3 ----

const BOB: (&str, &str, &str) = ("bob", "biloxi.com", "zanzibar");
const NONCE: &str = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
const HA1_MD5: &str = "12af60467a33e8518da5c68bbff12b11";
const HA1_SESS: &str = "4f36886771c77832be5c5a8de5a7ec82";
const HA2_INVITE: &str = "13a14a3eb5e2c24732a1a04fff543e92";
const HA2_INT: &str = "3e8ec46a56447dbb073e1171b1be0683";
const BODY_MD5: &str = "c1ed018b8ec4a3b170c0921f5b564e48";

fn smith(alg: Algorithm, qop: Option<&str>) -> (String, String, String) {
    chain(alg, BOB, ("INVITE", "sip:bob@biloxi.com"), NONCE, qop.map(|q| (q, 1, "0a4f113b")))
}

#[test]
fn smith_3_1_no_qop() {
    check(smith(Algorithm::Md5, None), HA1_MD5, HA2_INVITE, "bf57e4e0d0bffc0fbaedce64d59add5e");
}

#[test]
fn smith_3_2_and_3_3_qop_auth() {
    // 3.2 has no algorithm (= MD5), 3.3 says MD5: same result.
    check(smith(Algorithm::Md5, Some("auth")), HA1_MD5, HA2_INVITE, "89eb0059246c02b2f6ee02c7961d5ea3");
}

#[test]
fn smith_3_4_md5_sess() {
    check(smith(Algorithm::Md5Sess, Some("auth")), HA1_SESS, HA2_INVITE, "e4e4ea61d186d07a92c9e1f6919902e9");
}

/// auth-int is not negotiated by the client, but the formula chain is checked from the
/// draft's body hash: HA2 = H(method:uri:H(body)).
#[test]
fn smith_3_5_and_3_6_auth_int_chain() {
    let h2 = hash_hex(Algorithm::Md5, &[b"INVITE", b"sip:bob@biloxi.com", BODY_MD5.as_bytes()]);
    assert_eq!(h2, HA2_INT);
    let q = QopFields { qop: b"auth-int", nc: NonceCount::FIRST, cnonce: b"0a4f113b" };
    assert_eq!(
        response(Algorithm::Md5, HA1_MD5, NONCE.as_bytes(), Some(&q), &h2),
        "bdbeebb2da6adb6bca02599c2239e192"
    );
    let h1 = ha1(
        Algorithm::Md5Sess,
        b"bob",
        b"biloxi.com",
        &Secret::new("zanzibar"),
        NONCE.as_bytes(),
        b"0a4f113b",
    );
    assert_eq!(h1, HA1_SESS);
    assert_eq!(
        response(Algorithm::Md5Sess, &h1, NONCE.as_bytes(), Some(&q), &h2),
        "91984da2d8663716e91554859c22ca70"
    );
}

// ---- 4. REGISTER regression values (computed, not published) ----

#[test]
fn register_variant() {
    let reg = |qop| chain(Algorithm::Md5, BOB, ("REGISTER", "sip:biloxi.com"), NONCE, qop);
    let ha2_reg = "20320652601c584e487c0a8402196767";
    check(reg(Some(("auth", 1, "0a4f113b"))), HA1_MD5, ha2_reg, "9e2d1006810044fd79f39476209ae31a");
    check(reg(None), HA1_MD5, ha2_reg, "4441045a8075db3ead543693997e2a0e");
}

#[test]
fn smith_vectors_through_verify() {
    let inv = Method::Invite;
    let pw = Secret::new("zanzibar");
    let base = "Digest username=\"bob\", realm=\"biloxi.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", \
                uri=\"sip:bob@biloxi.com\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
    let q = ", qop=auth, nc=00000001, cnonce=\"0a4f113b\"";
    for (extra, resp) in [
        ("", "bf57e4e0d0bffc0fbaedce64d59add5e"),
        (q, "89eb0059246c02b2f6ee02c7961d5ea3"),
        (&format!("{q}, algorithm=MD5"), "89eb0059246c02b2f6ee02c7961d5ea3"),
        (&format!("{q}, algorithm=md5-SESS"), "e4e4ea61d186d07a92c9e1f6919902e9"),
    ] {
        let h = format!("{base}{extra}, response=\"{resp}\"");
        assert!(verify(h.as_bytes(), inv, &pw), "{h}");
        assert!(!verify(h.as_bytes(), Method::Register, &pw), "{h}");
        assert!(!verify(h.as_bytes(), inv, &Secret::new("zanzibaR")), "{h}");
    }
    // auth-int is never verified.
    let h = format!(
        "{base}, qop=auth-int, nc=00000001, cnonce=\"0a4f113b\", response=\"bdbeebb2da6adb6bca02599c2239e192\""
    );
    assert!(!verify(h.as_bytes(), inv, &pw));
}

// ---- The client ----

const REQ_URI: &[u8] = b"sip:sip.test";

fn rng() -> StdRng {
    StdRng::seed_from_u64(7940)
}

fn client() -> DigestClient {
    DigestClient::new("bob", Secret::new("s3cret")).unwrap()
}

/// A 401/407 carrying `challenges` (one header line each).
fn challenge_response(code: u16, challenges: &[&str]) -> Vec<u8> {
    let (reason, header) = if code == 407 {
        ("Proxy Authentication Required", "Proxy-Authenticate")
    } else {
        ("Unauthorized", "WWW-Authenticate")
    };
    let mut s = format!(
        "SIP/2.0 {code} {reason}\r\nVia: SIP/2.0/UDP 10.0.0.3:5060;branch=z9hG4bK1\r\n\
         From: <sip:bob@sip.test>;tag=a\r\nTo: <sip:bob@sip.test>;tag=b\r\nCall-ID: c1@10.0.0.3\r\n\
         CSeq: 1 REGISTER\r\n"
    );
    for c in challenges {
        s.push_str(&format!("{header}: {c}\r\n"));
    }
    s.push_str("Content-Length: 0\r\n\r\n");
    s.into_bytes()
}

fn parsed(buf: &[u8]) -> Message<'_> {
    match parse_datagram(buf).unwrap() {
        Datagram::Message(m) => m,
        Datagram::KeepAlive => panic!("keep-alive"),
    }
}

fn param(h: &AuthHeader, name: &str) -> String {
    let c = Challenge::parse_one(&h.value).unwrap();
    String::from_utf8(c.get(name).unwrap_or_else(|| panic!("{name} missing")).into_owned()).unwrap()
}

fn one(mut v: Vec<AuthHeader>) -> AuthHeader {
    assert_eq!(v.len(), 1, "{v:?}");
    v.pop().unwrap()
}

const KAMAILIO: &str = "Digest realm=\"sip.test\", nonce=\"Xy3kZ2Vb0c1dZm9vYmFy\", qop=\"auth\"";

#[test]
fn kamailio_round_trip() {
    let buf = challenge_response(401, &[KAMAILIO]);
    let mut c = client();
    let h = one(c.respond(&parsed(&buf), Sent::Plain, Method::Register, REQ_URI, &mut rng()).unwrap());
    assert_eq!(h.name, HeaderName::Authorization);
    let v = h.value_str().into_owned();
    assert!(verify(&h.value, Method::Register, &Secret::new("s3cret")), "{v}");
    assert!(!verify(&h.value, Method::Register, &Secret::new("wrong")), "{v}");
    assert!(!verify(&h.value, Method::Invite, &Secret::new("s3cret")), "{v}");
    // Format: tokens unquoted, quoted strings quoted, MD5 named although the challenge had none.
    let cnonce = param(&h, "cnonce");
    assert_eq!(cnonce.len(), 16);
    assert!(cnonce.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    let resp = param(&h, "response");
    assert_eq!(
        v,
        format!(
            "Digest username=\"bob\", realm=\"sip.test\", nonce=\"Xy3kZ2Vb0c1dZm9vYmFy\", uri=\"sip:sip.test\", \
             response=\"{resp}\", algorithm=MD5, cnonce=\"{cnonce}\", qop=auth, nc=00000001"
        )
    );
    // And the response is the MD5 formula.
    let h1 = ha1(Algorithm::Md5, b"bob", b"sip.test", &Secret::new("s3cret"), b"", b"");
    let h2 = ha2(Algorithm::Md5, b"REGISTER", REQ_URI);
    let q = QopFields { qop: b"auth", nc: NonceCount::FIRST, cnonce: cnonce.as_bytes() };
    assert_eq!(resp, response(Algorithm::Md5, &h1, b"Xy3kZ2Vb0c1dZm9vYmFy", Some(&q), &h2));
}

#[test]
fn opaque_echoed_and_no_qop_form() {
    let buf = challenge_response(401, &["Digest realm=\"biloxi.com\", nonce=\"n1\", opaque=\"op\\\"aque\""]);
    let mut c = client();
    let h = one(c
        .respond(&parsed(&buf), Sent::Plain, Method::Invite, b"sip:bob@biloxi.com", &mut rng())
        .unwrap());
    let v = h.value_str();
    assert!(v.contains(", opaque=\"op\\\"aque\""), "{v}");
    assert!(!v.contains("qop") && !v.contains("nc=") && !v.contains("cnonce"), "{v}");
    assert!(verify(&h.value, Method::Invite, &Secret::new("s3cret")), "{v}");
    assert_eq!(param(&h, "opaque"), "op\"aque");
}

#[test]
fn nc_counts_per_nonce_and_restarts() {
    let mut c = client();
    let mut r = rng();
    c.on_challenge(&parsed(&challenge_response(401, &[KAMAILIO])), Sent::Plain).unwrap();
    for want in ["00000001", "00000002", "00000003"] {
        let h = one(c.authorize(Method::Register, REQ_URI, &mut r));
        assert_eq!(param(&h, "nc"), want);
        assert!(verify(&h.value, Method::Register, &Secret::new("s3cret")));
    }
    // A new nonce (here: the cached one expired, challenge to a preemptive REGISTER).
    let next = "Digest realm=\"sip.test\", nonce=\"other\", qop=\"auth\"";
    c.on_challenge(&parsed(&challenge_response(401, &[next])), Sent::Preemptive).unwrap();
    let h = one(c.authorize(Method::Register, REQ_URI, &mut r));
    assert_eq!(param(&h, "nc"), "00000001");
    assert_eq!(param(&h, "nonce"), "other");
    // A fresh request challenged with the same nonce keeps counting.
    c.on_challenge(&parsed(&challenge_response(401, &[next])), Sent::Plain).unwrap();
    assert_eq!(param(&one(c.authorize(Method::Register, REQ_URI, &mut r)), "nc"), "00000002");
}

#[test]
fn nc_formatting_and_wrap() {
    assert_eq!(NonceCount::new(255).to_string(), "000000ff");
    assert_eq!(NonceCount::new(255).next().to_string(), "00000100");
    assert_eq!(NonceCount::new(0xffff_fffe).next().to_string(), "ffffffff");
    assert_eq!(NonceCount::new(u32::MAX).next(), NonceCount::FIRST);
    assert_eq!(NonceCount::parse(b"000000ff"), Some(NonceCount::new(255)));
    for bad in [&b"ff"[..], b"0000000g", b"000000001", b"+0000001"] {
        assert_eq!(NonceCount::parse(bad), None);
    }
    // Through the client: 256 requests under one nonce.
    let mut c = client();
    let mut r = rng();
    c.on_challenge(&parsed(&challenge_response(401, &[KAMAILIO])), Sent::Plain).unwrap();
    let mut last = None;
    for _ in 0..256 {
        last = Some(one(c.authorize(Method::Register, REQ_URI, &mut r)));
    }
    let last = last.unwrap();
    assert_eq!(param(&last, "nc"), "00000100");
    assert!(verify(&last.value, Method::Register, &Secret::new("s3cret")));
}

#[test]
fn stale_true_retries_with_new_nonce() {
    let mut c = client();
    let mut r = rng();
    c.on_challenge(&parsed(&challenge_response(401, &[KAMAILIO])), Sent::Plain).unwrap();
    let _ = c.authorize(Method::Register, REQ_URI, &mut r);
    let stale = "Digest realm=\"sip.test\", nonce=\"fresh\", qop=\"auth\", stale=TRUE";
    let h = one(c
        .respond(&parsed(&challenge_response(401, &[stale])), Sent::Answer, Method::Register, REQ_URI, &mut r)
        .unwrap());
    assert_eq!(param(&h, "nonce"), "fresh");
    assert_eq!(param(&h, "nc"), "00000001");
    // A server that says stale forever is given up on.
    let mut n = 0;
    let err = loop {
        n += 1;
        let s = format!("Digest realm=\"sip.test\", nonce=\"s{n}\", qop=\"auth\", stale=true");
        match c.respond(
            &parsed(&challenge_response(401, &[&s])),
            Sent::Answer,
            Method::Register,
            REQ_URI,
            &mut r,
        ) {
            Ok(_) => assert!(n < 10),
            Err(e) => break e,
        }
    };
    assert_eq!(err, AuthError::StaleLoop { realm: "sip.test".into() });
}

#[test]
fn same_nonce_twice_is_rejected() {
    let mut c = client();
    let mut r = rng();
    let msg = challenge_response(401, &[KAMAILIO]);
    c.respond(&parsed(&msg), Sent::Plain, Method::Register, REQ_URI, &mut r).unwrap();
    let err = c.on_challenge(&parsed(&msg), Sent::Answer).unwrap_err();
    assert_eq!(err, AuthError::Rejected { realm: "sip.test".into() });
    assert!(err.to_string().contains("authentication failed"));
    // The entry is gone: the next attempt goes out without credentials.
    assert!(c.is_empty());
    assert!(c.authorize(Method::Register, REQ_URI, &mut r).is_empty());
    // stale=false is the same as no stale.
    let f = "Digest realm=\"sip.test\", nonce=\"Xy3kZ2Vb0c1dZm9vYmFy\", qop=\"auth\", stale=false";
    c.on_challenge(&parsed(&challenge_response(401, &[f])), Sent::Plain).unwrap();
    assert!(matches!(
        c.on_challenge(&parsed(&challenge_response(401, &[f])), Sent::Answer),
        Err(AuthError::Rejected { .. })
    ));
}

#[test]
fn other_nonce_after_answer_is_rejected_but_not_after_preemptive() {
    let mut c = client();
    c.on_challenge(&parsed(&challenge_response(401, &[KAMAILIO])), Sent::Plain).unwrap();
    let other = challenge_response(401, &["Digest realm=\"sip.test\", nonce=\"other\", qop=\"auth\""]);
    let mut c2 = c.clone();
    assert!(matches!(c.on_challenge(&parsed(&other), Sent::Answer), Err(AuthError::Rejected { .. })));
    c2.on_challenge(&parsed(&other), Sent::Preemptive).unwrap();
    // Preemptive with the same nonce: the credentials themselves were refused.
    assert!(matches!(c2.on_challenge(&parsed(&other), Sent::Preemptive), Err(AuthError::Rejected { .. })));
}

#[test]
fn proxy_407_and_registrar_401_both_cached() {
    let mut c = client();
    let mut r = rng();
    let h = one(c
        .respond(
            &parsed(&challenge_response(407, &[KAMAILIO])),
            Sent::Plain,
            Method::Invite,
            b"sip:123@sip.test",
            &mut r,
        )
        .unwrap());
    assert_eq!(h.name, HeaderName::ProxyAuthorization);
    assert!(verify(&h.value, Method::Invite, &Secret::new("s3cret")));
    // The answered INVITE now meets a 401 from another realm: first challenge there, accepted.
    let reg = "Digest realm=\"registrar.test\", nonce=\"r1\", algorithm=MD5, qop=\"auth\"";
    let hs = c
        .respond(
            &parsed(&challenge_response(401, &[reg])),
            Sent::Answer,
            Method::Invite,
            b"sip:123@sip.test",
            &mut r,
        )
        .unwrap();
    let names: Vec<_> = hs.iter().map(|h| h.name).collect();
    assert_eq!(names, [HeaderName::ProxyAuthorization, HeaderName::Authorization]);
    assert_eq!(param(&hs[0], "nc"), "00000002");
    assert_eq!(param(&hs[1], "nc"), "00000001");
    assert!(hs.iter().all(|h| verify(&h.value, Method::Invite, &Secret::new("s3cret"))));
    assert_eq!(AuthKind::from_status(407).unwrap().credentials_header().as_str(), "Proxy-Authorization");
}

#[test]
fn missing_algorithm_is_md5_and_echo_is_verbatim() {
    let mut c = client();
    let mut r = rng();
    let h = one(c
        .respond(
            &parsed(&challenge_response(401, &[KAMAILIO])),
            Sent::Plain,
            Method::Register,
            REQ_URI,
            &mut r,
        )
        .unwrap());
    assert_eq!(param(&h, "algorithm"), "MD5");
    let mut c = client();
    let lower = "Digest realm=\"sip.test\", nonce=\"n\", qop=\"auth\", algorithm=md5";
    let h = one(c
        .respond(&parsed(&challenge_response(401, &[lower])), Sent::Plain, Method::Register, REQ_URI, &mut r)
        .unwrap());
    assert!(h.value_str().contains("algorithm=md5,"));
    assert!(verify(&h.value, Method::Register, &Secret::new("s3cret")));
}

#[test]
fn sha256_preferred_over_md5() {
    let md5 = "Digest realm=\"sip.test\", nonce=\"n\", qop=\"auth\", algorithm=MD5";
    let sha = "Digest realm=\"sip.test\", nonce=\"n\", qop=\"auth\", algorithm=SHA-256";
    for order in [[md5, sha], [sha, md5]] {
        let mut c = client();
        let h = one(c
            .respond(
                &parsed(&challenge_response(401, &order)),
                Sent::Plain,
                Method::Register,
                REQ_URI,
                &mut rng(),
            )
            .unwrap());
        assert_eq!(param(&h, "algorithm"), "SHA-256");
        assert_eq!(param(&h, "response").len(), 64);
        assert!(verify(&h.value, Method::Register, &Secret::new("s3cret")));
    }
    // Both on one header line.
    let mut c = client();
    let both = format!("{md5}, {sha}");
    let h = one(c
        .respond(
            &parsed(&challenge_response(401, &[&both])),
            Sent::Plain,
            Method::Register,
            REQ_URI,
            &mut rng(),
        )
        .unwrap());
    assert_eq!(param(&h, "algorithm"), "SHA-256");
}

#[test]
fn sess_algorithms_verify() {
    for alg in ["MD5-sess", "SHA-256-sess"] {
        let mut c = client();
        let mut r = rng();
        let ch = format!("Digest realm=\"sip.test\", nonce=\"n\", qop=\"auth,auth-int\", algorithm={alg}");
        c.on_challenge(&parsed(&challenge_response(401, &[&ch])), Sent::Plain).unwrap();
        let a = one(c.authorize(Method::Register, REQ_URI, &mut r));
        let b = one(c.authorize(Method::Register, REQ_URI, &mut r));
        assert_eq!(param(&a, "qop"), "auth");
        assert_eq!(param(&a, "cnonce"), param(&b, "cnonce"), "one session cnonce per nonce");
        assert!(verify(&a.value, Method::Register, &Secret::new("s3cret")));
        assert!(verify(&b.value, Method::Register, &Secret::new("s3cret")));
    }
}

#[test]
fn refusals() {
    type Check = fn(&AuthError) -> bool;
    let cases: [(&str, Check); 6] = [
        ("Digest realm=\"sip.test\", nonce=\"n\", qop=\"auth-int\"", |e| {
            matches!(e, AuthError::AuthIntOnly { .. })
        }),
        ("Digest realm=\"sip.test\", nonce=\"n\", algorithm=SHA-512-256", |e| {
            matches!(e, AuthError::Unsupported { .. })
        }),
        ("Digest realm=\"sip.test\", nonce=\"n\", algorithm=MD5-sess", |e| {
            matches!(e, AuthError::Unsupported { .. })
        }),
        ("Basic realm=\"sip.test\"", |e| matches!(e, AuthError::Unsupported { .. })),
        ("Digest nonce=\"n\"", |e| matches!(e, AuthError::Malformed { .. })),
        ("Digest realm=\"sip.test\"", |e| matches!(e, AuthError::Malformed { .. })),
    ];
    for (ch, ok) in cases {
        let mut c = client();
        let e = c.on_challenge(&parsed(&challenge_response(401, &[ch])), Sent::Plain).unwrap_err();
        assert!(ok(&e), "{ch}: {e:?}");
        assert!(c.is_empty());
    }
    let e = client().on_challenge(&parsed(&challenge_response(401, &[])), Sent::Plain).unwrap_err();
    assert!(matches!(e, AuthError::NoChallenge { kind: AuthKind::Www, .. }), "{e:?}");
    assert!(e.to_string().contains("WWW-Authenticate"));
    let ok200 = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(
        client().on_challenge(&parsed(ok200), Sent::Plain),
        Err(AuthError::NotAChallenge { status: 200 })
    );
    let e = client()
        .on_challenge(
            &parsed(&challenge_response(401, &["Digest realm=\"sip.test\", nonce=\"n\", qop=\"auth-int\""])),
            Sent::Plain,
        )
        .unwrap_err();
    assert!(e.to_string().contains("auth-int"), "{e}");
}

#[test]
fn password_never_in_debug() {
    let mut c = DigestClient::new("bob", Secret::new("hunter2-pass")).unwrap();
    c.on_challenge(&parsed(&challenge_response(401, &[KAMAILIO])), Sent::Plain).unwrap();
    let h = c.authorize(Method::Register, REQ_URI, &mut rng());
    for s in [format!("{c:?}"), format!("{c:#?}"), format!("{h:?}")] {
        assert!(!s.contains("hunter2"), "{s}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Arbitrary challenge header bytes never panic the client, whatever `Sent` says.
    #[test]
    fn arbitrary_challenge_bytes_never_panic(values in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..4), sent in 0u8..3, proxy in any::<bool>()) {
        let kind = if proxy { AuthKind::Proxy } else { AuthKind::Www };
        let sent = [Sent::Plain, Sent::Preemptive, Sent::Answer][usize::from(sent)];
        let mut c = client();
        let mut r = rng();
        let _ = c.on_challenge_headers(kind, values.iter().map(Vec::as_slice), sent);
        let _ = c.authorize(Method::Register, REQ_URI, &mut r);
        let _ = c.on_challenge_headers(kind, values.iter().map(Vec::as_slice), Sent::Answer);
    }

    /// Plausible Digest challenges (random parameter names and values) never panic, and
    /// whatever the client answers, our verifier accepts.
    #[test]
    fn digest_like_challenges(params in proptest::collection::vec(
        ("(realm|nonce|qop|algorithm|stale|opaque|domain|REALM|x)",
         "(\"[ -~]{0,12}\"|[A-Za-z0-9-]{1,12}|\"auth,auth-int\"|MD5|sha-256|SHA-256-sess|md5-sess|true)"),
        0..8)) {
        let mut v = "Digest ".to_string();
        for (i, (n, val)) in params.iter().enumerate() {
            if i > 0 { v.push_str(", "); }
            v.push_str(&format!("{n}={val}"));
        }
        let mut c = client();
        if c.on_challenge_headers(AuthKind::Www, [v.as_bytes()], Sent::Plain).is_ok() {
            let h = one(c.authorize(Method::Register, REQ_URI, &mut rng()));
            prop_assert!(verify(&h.value, Method::Register, &Secret::new("s3cret")), "{}", h.value_str());
        }
    }

    /// `verify` never panics on arbitrary bytes.
    #[test]
    fn verify_never_panics(b in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = verify(&b, Method::Register, &Secret::new("x"));
    }
}
