//! Unit tests of the registrar and proxy: REGISTER with its challenge, verification and
//! expiry; proxying of INVITE, ACK, CANCEL and BYE; responses; error cases and garbage.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::config::Secret;
use crate::sip::auth::{AuthHeader, DigestClient, Sent};
use rand::SeedableRng;

const ME: &str = "198.51.100.5:5060";
const A: &str = "192.0.2.11:5060";
const B: &str = "192.0.2.12:5060";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn registrar() -> (Registrar, Instant) {
    let now = Instant::now();
    let config = Config::new(addr(ME), [("12345", "secret"), ("23456", "secret2")]);
    (Registrar::new(config, StdRng::seed_from_u64(9), now), now)
}

/// Feeds one datagram; returns what the registrar sent (destination, text).
fn feed(r: &mut Registrar, now: Instant, from: &str, text: &str) -> Vec<(SocketAddr, String)> {
    r.handle_datagram(now, addr(from), text.as_bytes());
    std::iter::from_fn(|| r.poll_output())
        .map(|t| (t.to, String::from_utf8_lossy(&t.bytes).into_owned()))
        .collect()
}

fn one(out: Vec<(SocketAddr, String)>) -> (SocketAddr, String) {
    assert_eq!(out.len(), 1, "{out:#?}");
    out.into_iter().next().unwrap()
}

fn events(r: &mut Registrar) -> Vec<Event> {
    std::iter::from_fn(|| r.poll_event()).collect()
}

fn status(text: &str) -> u16 {
    text.get(8..11).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn header<'t>(text: &'t str, name: &str) -> Vec<&'t str> {
    text.split("\r\n")
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(": "))
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .collect()
}

fn msg(text: &str) -> Message<'_> {
    match parse_datagram(text.as_bytes()) {
        Ok(Datagram::Message(m)) => m,
        other => panic!("{other:?}"),
    }
}

fn register(user: &str, from: &str, cseq: u32, expires: &str, auth: &[AuthHeader]) -> String {
    let mut t = format!(
        "REGISTER sip:198.51.100.5 SIP/2.0\r\nVia: SIP/2.0/UDP {from};branch=z9hG4bKreg{cseq}\r\n\
         From: <sip:{user}@198.51.100.5>;tag=r{user}\r\nTo: <sip:{user}@198.51.100.5>\r\n\
         Call-ID: reg-{user}\r\nCSeq: {cseq} REGISTER\r\nMax-Forwards: 70\r\n\
         Contact: <sip:{user}@{from};transport=udp>{expires}\r\n"
    );
    for h in auth {
        t.push_str(&format!("{}: {}\r\n", h.name, h.value_str()));
    }
    t + "Content-Length: 0\r\n\r\n"
}

/// Registers `user` from `from` with `password`, answering the 401; returns the final answer.
fn register_as(
    r: &mut Registrar,
    now: Instant,
    user: &str,
    password: &str,
    from: &str,
    expires: &str,
) -> String {
    let (_, challenge) = one(feed(r, now, from, &register(user, from, 1, expires, &[])));
    assert_eq!(status(&challenge), 401, "{challenge}");
    let mut client = DigestClient::new(user, Secret::new(password)).unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    let creds = client
        .respond(&msg(&challenge), Sent::Plain, Method::Register, b"sip:198.51.100.5", &mut rng)
        .unwrap();
    let (to, answer) = one(feed(r, now, from, &register(user, from, 2, expires, &creds)));
    assert_eq!(to, addr(from));
    answer
}

#[test]
fn register_is_challenged_verified_and_bound() {
    let (mut r, now) = registrar();
    let (to, challenge) = one(feed(&mut r, now, A, &register("12345", A, 1, "", &[])));
    assert_eq!(to, addr(A));
    assert_eq!(status(&challenge), 401);
    let www = header(&challenge, "WWW-Authenticate");
    assert_eq!(www.len(), 1);
    assert!(www[0].starts_with("Digest realm=\"198.51.100.5\", nonce=\""), "{}", www[0]);
    assert!(www[0].contains("algorithm=MD5") && www[0].contains("qop=\"auth\""));
    assert!(header(&challenge, "To")[0].ends_with(&format!(";tag={}", r.local_tag())));
    assert!(r.binding("12345", now).is_none());

    let ok = register_as(&mut r, now, "12345", "secret", A, "");
    assert_eq!(status(&ok), 200, "{ok}");
    assert_eq!(header(&ok, "Contact"), vec!["<sip:12345@192.0.2.11:5060;transport=udp>;expires=3600"]);
    let b = r.binding("12345", now).unwrap().clone();
    assert_eq!((b.target, b.source), (addr(A), addr(A)));
    assert_eq!(b.contact, "sip:12345@192.0.2.11:5060;transport=udp");
    assert!(events(&mut r).contains(&Event::Registered {
        user: "12345".into(),
        contact: b.contact,
        expires: 3600
    }));
}

#[test]
fn a_wrong_password_is_403_and_binds_nothing() {
    let (mut r, now) = registrar();
    let answer = register_as(&mut r, now, "12345", "guess", A, "");
    assert_eq!(status(&answer), 403, "{answer}");
    assert!(r.location().is_empty());
    assert!(events(&mut r).iter().any(|e| matches!(e,
        Event::Refused { refusal: Refusal::WrongPassword(u), .. } if u == "12345")));
    // Another user's credentials for this AoR are refused too.
    let answer = register_as(&mut r, now, "23456", "secret2", A, "");
    assert_eq!(status(&answer), 200);
    let (_, c) = one(feed(&mut r, now, A, &register("12345", A, 1, "", &[])));
    let mut client = DigestClient::new("23456", Secret::new("secret2")).unwrap();
    let creds = client
        .respond(&msg(&c), Sent::Plain, Method::Register, b"sip:198.51.100.5", &mut StdRng::seed_from_u64(2))
        .unwrap();
    let (_, answer) = one(feed(&mut r, now, A, &register("12345", A, 2, "", &creds)));
    assert_eq!(status(&answer), 403);
    assert!(r.binding("12345", now).is_none());
}

#[test]
fn bindings_expire_on_simulated_time_and_expires_zero_removes() {
    let (mut r, now) = registrar();
    let ok = register_as(&mut r, now, "12345", "secret", A, ";expires=120");
    assert_eq!(header(&ok, "Contact"), vec!["<sip:12345@192.0.2.11:5060;transport=udp>;expires=120"]);
    assert_eq!(r.poll_timeout(), Some(now + Duration::from_secs(120)));
    let later = now + Duration::from_secs(119);
    r.handle_timeout(later);
    assert!(r.binding("12345", later).is_some());
    let lapse = now + Duration::from_secs(120);
    assert!(r.binding("12345", lapse).is_none(), "a lapsed binding is not used even before the timeout");
    events(&mut r);
    r.handle_timeout(lapse);
    assert!(r.location().is_empty());
    assert_eq!(events(&mut r), vec![Event::Expired { user: "12345".into() }]);
    assert_eq!(r.poll_timeout(), None);

    register_as(&mut r, now, "12345", "secret", A, "");
    let ok = register_as(&mut r, now, "12345", "secret", A, ";expires=0");
    assert_eq!(status(&ok), 200);
    assert!(header(&ok, "Contact").is_empty());
    assert!(r.location().is_empty());
    assert!(events(&mut r).contains(&Event::Unregistered { user: "12345".into() }));
}

#[test]
fn contact_star_needs_expires_zero() {
    let (mut r, now) = registrar();
    register_as(&mut r, now, "12345", "secret", A, "");
    let star = |expires: &str, t: String| {
        t.replace(
            "Contact: <sip:12345@192.0.2.11:5060;transport=udp>\r\n",
            &format!("Contact: *\r\n{expires}"),
        )
    };
    let (_, c) = one(feed(&mut r, now, A, &star("Expires: 0\r\n", register("12345", A, 1, "", &[]))));
    let mut client = DigestClient::new("12345", Secret::new("secret")).unwrap();
    let creds = client
        .respond(&msg(&c), Sent::Plain, Method::Register, b"sip:198.51.100.5", &mut StdRng::seed_from_u64(3))
        .unwrap();
    let (_, bad) = one(feed(&mut r, now, A, &star("", register("12345", A, 2, "", &creds))));
    assert_eq!(status(&bad), 400);
    assert!(r.binding("12345", now).is_some());
    let creds = client.authorize(Method::Register, b"sip:198.51.100.5", &mut StdRng::seed_from_u64(4));
    let (_, ok) = one(feed(&mut r, now, A, &star("Expires: 0\r\n", register("12345", A, 3, "", &creds))));
    assert_eq!(status(&ok), 200);
    assert!(r.location().is_empty());
}

#[test]
fn too_brief_is_423_and_long_ones_are_capped() {
    let (mut r, now) = registrar();
    let brief = register_as(&mut r, now, "12345", "secret", A, ";expires=30");
    assert_eq!(status(&brief), 423);
    assert_eq!(header(&brief, "Min-Expires"), vec!["60"]);
    assert!(r.location().is_empty());
    let long = register_as(&mut r, now, "12345", "secret", A, ";expires=86400");
    assert_eq!(header(&long, "Contact"), vec!["<sip:12345@192.0.2.11:5060;transport=udp>;expires=3600"]);
}

#[test]
fn an_old_nonce_is_stale_and_a_foreign_one_is_rechallenged() {
    let (mut r, now) = registrar();
    let (_, c) = one(feed(&mut r, now, A, &register("12345", A, 1, "", &[])));
    let mut client = DigestClient::new("12345", Secret::new("secret")).unwrap();
    let creds = client
        .respond(&msg(&c), Sent::Plain, Method::Register, b"sip:198.51.100.5", &mut StdRng::seed_from_u64(5))
        .unwrap();
    let late = now + Duration::from_secs(301);
    let (_, stale) = one(feed(&mut r, late, A, &register("12345", A, 2, "", &creds)));
    assert_eq!(status(&stale), 401);
    assert!(header(&stale, "WWW-Authenticate")[0].ends_with("stale=true"));
    // The same credentials under another registrar's salt: a plain new challenge.
    let (mut other, _) = {
        let config = Config::new(addr(ME), [("12345", "secret")]);
        (Registrar::new(config, StdRng::seed_from_u64(10), now), ())
    };
    let (_, fresh) = one(feed(&mut other, now, A, &register("12345", A, 2, "", &creds)));
    assert_eq!(status(&fresh), 401);
    assert!(!header(&fresh, "WWW-Authenticate")[0].contains("stale"));
}

// ---- proxying ----

fn invite(branch: &str, auth: &[AuthHeader]) -> String {
    let mut t = format!(
        "INVITE sip:23456@198.51.100.5 SIP/2.0\r\nVia: SIP/2.0/UDP {A};branch={branch}\r\n\
         From: \"A\" <sip:12345@198.51.100.5>;tag=fa\r\nTo: <sip:23456@198.51.100.5>\r\n\
         Call-ID: call-1\r\nCSeq: 2 INVITE\r\nMax-Forwards: 70\r\n\
         Contact: <sip:12345@{A};transport=udp>\r\nContent-Type: application/sdp\r\n"
    );
    for h in auth {
        t.push_str(&format!("{}: {}\r\n", h.name, h.value_str()));
    }
    t + "Content-Length: 4\r\n\r\nv=0\n"
}

/// Both users registered; returns the INVITE's proxy credentials for A.
fn two_registered() -> (Registrar, Instant, Vec<AuthHeader>) {
    let (mut r, now) = registrar();
    assert_eq!(status(&register_as(&mut r, now, "12345", "secret", A, "")), 200);
    assert_eq!(status(&register_as(&mut r, now, "23456", "secret2", B, "")), 200);
    let (to, challenge) = one(feed(&mut r, now, A, &invite("z9hG4bKinv1", &[])));
    assert_eq!(to, addr(A));
    assert_eq!(status(&challenge), 407, "{challenge}");
    assert_eq!(header(&challenge, "Proxy-Authenticate").len(), 1);
    // The ACK of our own 407 stops here.
    let ack = format!(
        "ACK sip:23456@198.51.100.5 SIP/2.0\r\nVia: SIP/2.0/UDP {A};branch=z9hG4bKinv1\r\n\
         From: \"A\" <sip:12345@198.51.100.5>;tag=fa\r\nTo: <sip:23456@198.51.100.5>;tag={}\r\n\
         Call-ID: call-1\r\nCSeq: 2 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
        r.local_tag()
    );
    assert!(feed(&mut r, now, A, &ack).is_empty());
    let mut client = DigestClient::new("12345", Secret::new("secret")).unwrap();
    let creds = client
        .respond(
            &msg(&challenge),
            Sent::Plain,
            Method::Invite,
            b"sip:23456@198.51.100.5",
            &mut StdRng::seed_from_u64(6),
        )
        .unwrap();
    events(&mut r);
    (r, now, creds)
}

#[test]
fn an_authenticated_invite_is_record_routed_to_the_contact() {
    let (mut r, now, creds) = two_registered();
    let (to, out) = one(feed(&mut r, now, A, &invite("z9hG4bKinv2", &creds)));
    assert_eq!(to, addr(B));
    assert!(out.starts_with("INVITE sip:23456@192.0.2.12:5060;transport=udp SIP/2.0\r\n"), "{out}");
    let vias = header(&out, "Via");
    assert_eq!(vias.len(), 2);
    assert!(vias[0].starts_with("SIP/2.0/UDP 198.51.100.5:5060;branch=z9hG4bKsr"), "{}", vias[0]);
    assert_eq!(vias[1], "SIP/2.0/UDP 192.0.2.11:5060;branch=z9hG4bKinv2");
    assert_eq!(header(&out, "Record-Route"), vec!["<sip:198.51.100.5:5060;lr>"]);
    assert_eq!(header(&out, "Max-Forwards"), vec!["69"]);
    assert!(header(&out, "Proxy-Authorization").is_empty());
    assert!(out.ends_with("\r\n\r\nv=0\n"));
    // A retransmission gets the same branch.
    let (_, again) = one(feed(&mut r, now, A, &invite("z9hG4bKinv2", &creds)));
    assert_eq!(header(&again, "Via")[0], vias[0]);
}

#[test]
fn responses_lose_our_via_and_go_to_the_next_one() {
    let (mut r, now, creds) = two_registered();
    let (_, out) = one(feed(&mut r, now, A, &invite("z9hG4bKinv2", &creds)));
    let vias = header(&out, "Via");
    let ringing = format!(
        "SIP/2.0 180 Ringing\r\nVia: {}\r\nVia: {};rport=40000;received=203.0.113.10\r\n\
         Record-Route: <sip:198.51.100.5:5060;lr>\r\nFrom: \"A\" <sip:12345@198.51.100.5>;tag=fa\r\n\
         To: <sip:23456@198.51.100.5>;tag=tb\r\nCall-ID: call-1\r\nCSeq: 2 INVITE\r\nContent-Length: 0\r\n\r\n",
        vias[0], vias[1]
    );
    let (to, back) = one(feed(&mut r, now, B, &ringing));
    assert_eq!(to, addr("203.0.113.10:40000"));
    assert!(back.starts_with("SIP/2.0 180 Ringing\r\n"));
    assert_eq!(header(&back, "Via"), vec![format!("{};rport=40000;received=203.0.113.10", vias[1])]);
    // Both Vias on one line: only ours comes off.
    let folded = ringing.replacen("\r\nVia: ", ", ", 2).replacen(", ", "\r\nVia: ", 1);
    let (_, back) = one(feed(&mut r, now, B, &folded));
    assert_eq!(header(&back, "Via").len(), 1);
    // Not through us: dropped.
    let stranger = ringing.replace(vias[0], "SIP/2.0/UDP 198.51.100.5:5060;branch=z9hG4bKnotours");
    assert!(feed(&mut r, now, B, &stranger).is_empty());
    let alone = format!(
        "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n",
        vias[0]
    );
    assert!(feed(&mut r, now, B, &alone).is_empty());
    let evs = events(&mut r);
    assert!(evs.contains(&Event::Dropped { from: addr(B), reason: DropReason::NotOurs }));
    assert!(evs.contains(&Event::Dropped { from: addr(B), reason: DropReason::NoPreviousHop }));
}

#[test]
fn cancel_and_the_ack_of_a_failure_reach_the_invite_transaction() {
    let (mut r, now, creds) = two_registered();
    let (_, out) = one(feed(&mut r, now, A, &invite("z9hG4bKinv2", &creds)));
    let invite_via = header(&out, "Via")[0].to_owned();
    let cancel = format!(
        "CANCEL sip:23456@198.51.100.5 SIP/2.0\r\nVia: SIP/2.0/UDP {A};branch=z9hG4bKinv2\r\n\
         From: \"A\" <sip:12345@198.51.100.5>;tag=fa\r\nTo: <sip:23456@198.51.100.5>\r\n\
         Call-ID: call-1\r\nCSeq: 2 CANCEL\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    let (to, fwd) = one(feed(&mut r, now, A, &cancel));
    assert_eq!(to, addr(B));
    assert!(fwd.starts_with("CANCEL sip:23456@192.0.2.12:5060;transport=udp SIP/2.0\r\n"), "{fwd}");
    assert_eq!(header(&fwd, "Via")[0], invite_via);
    assert!(header(&fwd, "Record-Route").is_empty());
    let ack = cancel
        .replace("CANCEL", "ACK")
        .replace("To: <sip:23456@198.51.100.5>", "To: <sip:23456@198.51.100.5>;tag=tb");
    let (to, fwd) = one(feed(&mut r, now, A, &ack));
    assert_eq!(to, addr(B));
    assert_eq!(header(&fwd, "Via")[0], invite_via);
}

#[test]
fn in_dialog_requests_follow_the_route_without_a_challenge() {
    let (mut r, now, _) = two_registered();
    let bye = |method: &str, from: &str, target: &str| {
        format!(
            "{method} sip:12345@{target};transport=udp SIP/2.0\r\nVia: SIP/2.0/UDP {from};branch=z9hG4bKbye\r\n\
             Route: <sip:198.51.100.5:5060;lr>\r\nFrom: <sip:23456@198.51.100.5>;tag=tb\r\n\
             To: \"A\" <sip:12345@198.51.100.5>;tag=fa\r\nCall-ID: call-1\r\nCSeq: 1 {method}\r\n\
             Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
    };
    let (to, out) = one(feed(&mut r, now, B, &bye("BYE", B, A)));
    assert_eq!(to, addr(A));
    assert!(out.starts_with("BYE sip:12345@192.0.2.11:5060;transport=udp SIP/2.0\r\n"));
    assert!(header(&out, "Route").is_empty());
    assert!(header(&out, "Record-Route").is_empty());
    assert_eq!(header(&out, "Via").len(), 2);
    for method in ["ACK", "INFO", "INVITE"] {
        let (to, out) = one(feed(&mut r, now, B, &bye(method, B, A)));
        assert_eq!(to, addr(A), "{method}");
        assert!(out.starts_with(method));
    }
    // Two Routes on one line: ours comes off, the next one is the next hop.
    let two = bye("BYE", B, A).replace(
        "Route: <sip:198.51.100.5:5060;lr>",
        "Route: <sip:198.51.100.5:5060;lr>, <sip:192.0.2.99:5070;lr>",
    );
    let (to, out) = one(feed(&mut r, now, B, &two));
    assert_eq!(to, addr("192.0.2.99:5070"));
    assert_eq!(header(&out, "Route"), vec!["<sip:192.0.2.99:5070;lr>"]);
    // Without our Route, a foreign Request-URI is not relayed.
    let (_, refused) =
        one(feed(&mut r, now, B, &bye("BYE", B, A).replace("Route: <sip:198.51.100.5:5060;lr>\r\n", "")));
    assert_eq!(status(&refused), 403);
}

#[test]
fn error_answers() {
    let (mut r, now, creds) = two_registered();
    // Unknown user.
    // Credentials for another Request-URI: 400.
    let moved = invite("z9hG4bKu", &creds).replace("INVITE sip:23456@", "INVITE sip:99999@");
    let (_, answer) = one(feed(&mut r, now, A, &moved));
    assert_eq!(status(&answer), 400, "{answer}");
    // Unknown user.
    let unknown = invite("z9hG4bKu", &[]).replace("INVITE sip:23456@", "INVITE sip:99999@");
    let mut client = DigestClient::new("12345", Secret::new("secret")).unwrap();
    let (_, c) = one(feed(&mut r, now, A, &unknown));
    let creds99 = client
        .respond(
            &msg(&c),
            Sent::Plain,
            Method::Invite,
            b"sip:99999@198.51.100.5",
            &mut StdRng::seed_from_u64(7),
        )
        .unwrap();
    let (_, answer) = one(feed(
        &mut r,
        now,
        A,
        &invite("z9hG4bKu", &creds99).replace("INVITE sip:23456@", "INVITE sip:99999@"),
    ));
    assert_eq!(status(&answer), 404, "{answer}");
    // Registered no more: 480.
    r.location.remove("23456");
    let (_, answer) = one(feed(&mut r, now, A, &invite("z9hG4bKn", &creds)));
    assert_eq!(status(&answer), 480);
    // Max-Forwards 0: 483, before anything else.
    let (_, answer) =
        one(feed(&mut r, now, A, &invite("z9hG4bKm", &[]).replace("Max-Forwards: 70", "Max-Forwards: 0")));
    assert_eq!(status(&answer), 483);
    // From someone who is not our user: 403, no challenge.
    let (_, answer) =
        one(feed(&mut r, now, A, &invite("z9hG4bKf", &[]).replace("<sip:12345@", "<sip:77777@")));
    assert_eq!(status(&answer), 403);
    // A's credentials used as another of our users: 403.
    let (_, answer) =
        one(feed(&mut r, now, A, &invite("z9hG4bKi", &creds).replace("\"A\" <sip:12345@", "<sip:23456@")));
    assert_eq!(status(&answer), 403);
    // A relay attempt to another domain: challenged first, then 403.
    let foreign = |auth: &[AuthHeader]| {
        invite("z9hG4bKr", auth).replace("INVITE sip:23456@198.51.100.5", "INVITE sip:23456@192.0.2.200")
    };
    let (_, c) = one(feed(&mut r, now, A, &foreign(&[])));
    let creds_f = client
        .respond(
            &msg(&c),
            Sent::Plain,
            Method::Invite,
            b"sip:23456@192.0.2.200",
            &mut StdRng::seed_from_u64(8),
        )
        .unwrap();
    let (_, answer) = one(feed(&mut r, now, A, &foreign(&creds_f)));
    assert_eq!(status(&answer), 403);
    let evs = events(&mut r);
    for expected in [
        Refusal::DigestUriMismatch,
        Refusal::UnknownUser("99999".into()),
        Refusal::NotRegistered("23456".into()),
        Refusal::TooManyHops,
        Refusal::NotOurUser("77777".into()),
        Refusal::RelayForbidden("sip:23456@192.0.2.200".into()),
    ] {
        assert!(
            evs.iter().any(|e| matches!(e, Event::Refused { refusal, .. } if *refusal == expected)),
            "{expected:?} in {evs:#?}"
        );
    }
}

#[test]
fn options_to_the_proxy_itself_is_answered() {
    let (mut r, now) = registrar();
    let ping = format!(
        "OPTIONS sip:198.51.100.5 SIP/2.0\r\nVia: SIP/2.0/UDP {A};branch=z9hG4bKo\r\n\
         From: <sip:12345@198.51.100.5>;tag=o\r\nTo: <sip:198.51.100.5>;tag=x\r\nCall-ID: o\r\n\
         CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    let (_, ok) = one(feed(&mut r, now, A, &ping));
    assert_eq!(status(&ok), 200);
    let (_, nf) = one(feed(&mut r, now, A, &ping.replace("OPTIONS", "INFO")));
    assert_eq!(status(&nf), 404);
}

#[test]
fn garbage_is_dropped_or_answered_400() {
    let (mut r, now) = registrar();
    assert!(feed(&mut r, now, A, "\u{0}\u{1}hello").is_empty());
    assert!(feed(&mut r, now, A, "\r\n\r\n").is_empty(), "keep-alive");
    assert!(events(&mut r).contains(&Event::Dropped { from: addr(A), reason: DropReason::Unreadable }));
    // No Call-ID: nothing to build an answer from.
    let no_call_id = register("12345", A, 1, "", &[]).replace("Call-ID: reg-12345\r\n", "");
    assert!(feed(&mut r, now, A, &no_call_id).is_empty());
    // A CSeq for another method: 400 with our tag.
    let mismatch = register("12345", A, 1, "", &[]).replace("1 REGISTER", "1 INVITE");
    let (to, bad) = one(feed(&mut r, now, A, &mismatch));
    assert_eq!((to, status(&bad)), (addr(A), 400));
    assert!(header(&bad, "To")[0].contains(r.local_tag()));
    // A broken ACK is never answered.
    let ack = mismatch.replace("REGISTER sip", "ACK sip").replace("1 INVITE", "1 BYE");
    assert!(feed(&mut r, now, A, &ack).is_empty());
    // A bad Content-Length still leaves a readable request: 400.
    let framing = register("12345", A, 1, "", &[]).replace("Content-Length: 0", "Content-Length: 99");
    let (_, bad) = one(feed(&mut r, now, A, &framing));
    assert_eq!(status(&bad), 400);
    // Responses that are not responses to anything.
    assert!(feed(&mut r, now, B, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x\r\n\r\n").is_empty());
}

proptest::proptest! {
    /// No datagram makes the registrar panic: random bytes, and valid messages with one
    /// byte changed or cut short.
    #[test]
    fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
                    at in 0usize..2000, byte in proptest::prelude::any::<u8>(), cut in 0usize..2000) {
        let (mut r, now, creds) = two_registered();
        r.handle_datagram(now, addr(A), &bytes);
        for text in [invite("z9hG4bKp", &creds), register("12345", A, 1, "", &[])] {
            let mut m = text.into_bytes();
            let n = m.len();
            if let Some(b) = m.get_mut(at % n) {
                *b = byte;
            }
            r.handle_datagram(now, addr(A), &m);
            m.truncate(cut % n);
            r.handle_datagram(now, addr(B), &m);
        }
        while r.poll_output().is_some() {}
    }
}
