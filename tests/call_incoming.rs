//! Incoming calls on simulated time (sans-IO): the phone gets INVITEs from its proxy.

#[path = "support/phone_io.rs"]
mod phone_io;

use phone_io::{drain, status};
use sip7940::config::{Host, PhoneConfig};
use sip7940::ua::call::{CallId, CallState, EndReason};
use sip7940::ua::{Event, Phone, Setup};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const PROXY: &str = "198.51.100.5:5060";

const OFFER: &str = "v=0\r\no=far 7 7 IN IP4 198.51.100.9\r\ns=-\r\nc=IN IP4 198.51.100.9\r\nt=0 0\r\n\
    m=audio 40000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n\
    a=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\na=sendrecv\r\n";

fn phone(call_waiting: bool) -> (Phone, Instant) {
    let mut c = PhoneConfig::default();
    c.proxies[0].address = Some(Host::parse("198.51.100.5").expect("host"));
    c.lines[0].name = "12345".into();
    c.features.call_waiting = call_waiting;
    let now = Instant::now();
    let setup = Setup {
        local: "10.0.0.3:5060".parse().expect("addr"),
        seed: 9,
        mac: None,
        my_ip: Some("10.0.0.3".parse().expect("ip")),
        epoch: now,
        unix_at_epoch: 0,
    };
    (Phone::new(c, setup), now)
}

fn invite(call: &str, sdp: Option<&str>) -> Vec<u8> {
    let body = sdp.unwrap_or("");
    let ctype = if sdp.is_some() { "Content-Type: application/sdp\r\n" } else { "" };
    format!(
        "INVITE sip:12345@10.0.0.3:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.5:5060;branch=z9hG4bK{call}\r\n\
         Record-Route: <sip:198.51.100.5;lr>\r\nFrom: \"Far\" <sip:23456@sip.test>;tag=far\r\n\
         To: <sip:12345@sip.test>\r\nCall-ID: {call}\r\nCSeq: 1 INVITE\r\n\
         Contact: <sip:23456@198.51.100.9:5060>\r\nMax-Forwards: 70\r\n{ctype}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn in_dialog(method: &str, call: &str, our_tag: &str, cseq: u32, branch: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} sip:12345@10.0.0.3:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.5:5060;branch=z9hG4bK{branch}\r\n\
         From: \"Far\" <sip:23456@sip.test>;tag=far\r\nTo: <sip:12345@sip.test>;tag={our_tag}\r\nCall-ID: {call}\r\n\
         CSeq: {cseq} {method}\r\nMax-Forwards: 70\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Feeds a datagram from the proxy; returns (responses' status lines and bodies, events).
fn feed(p: &mut Phone, now: Instant, bytes: &[u8]) -> (Vec<String>, Vec<Event>) {
    phone_io::feed(p, now, PROXY.parse::<SocketAddr>().expect("addr"), bytes)
}

fn to_tag(m: &str) -> String {
    m.lines().find(|l| l.starts_with("To:")).and_then(|l| l.split("tag=").nth(1)).unwrap_or("").to_owned()
}

fn incoming_id(events: &[Event]) -> CallId {
    events
        .iter()
        .find_map(|e| if let Event::IncomingCall { id, .. } = e { Some(*id) } else { None })
        .expect("an incoming call")
}

#[test]
fn rings_answers_resends_the_200_until_the_ack_and_ends_on_bye() {
    let (mut p, t0) = phone(true);
    let (sent, events) = feed(&mut p, t0, &invite("c1", Some(OFFER)));
    assert_eq!(sent.iter().map(|m| status(m)).collect::<Vec<_>>(), vec!["180"]);
    let id = incoming_id(&events);
    assert_eq!(p.call_state(id), Some(&CallState::Ringing));
    let tag = to_tag(&sent[0]);

    p.answer(t0, id, 16384);
    let (sent, events) = drain(&mut p);
    let ok = sent.iter().find(|m| status(m) == "200").expect("200");
    assert_eq!(to_tag(ok), tag, "the same To tag as the 180");
    assert!(ok.contains("m=audio 16384 RTP/AVP 8 101"), "answer in the offer's order: {ok}");
    assert!(
        ok.contains("c=IN IP4 10.0.0.3") && ok.contains("Contact: <sip:12345@10.0.0.3:5060;transport=udp>")
    );
    let media =
        events.iter().find_map(|e| if let Event::CallMedia { media, .. } = e { Some(*media) } else { None });
    let media = media.expect("media agreed");
    assert_eq!((media.payload_type, media.remote_rtp.port()), (8, 40000));

    // No ACK yet: the 200 comes again at T1, 2·T1 …
    let mut resent = 0;
    for ms in [500, 1500] {
        p.handle_timeout(t0 + Duration::from_millis(ms));
        resent += drain(&mut p).0.iter().filter(|m| status(m) == "200").count();
    }
    assert_eq!(resent, 2);
    feed(&mut p, t0 + Duration::from_secs(2), &in_dialog("ACK", "c1", &tag, 1, "ack1", ""));
    p.handle_timeout(t0 + Duration::from_secs(10));
    assert!(drain(&mut p).0.is_empty(), "the ACK stopped the retransmissions");

    let (sent, _) = feed(&mut p, t0 + Duration::from_secs(11), &in_dialog("BYE", "c1", &tag, 2, "bye1", ""));
    assert_eq!(status(&sent[0]), "200");
    assert_eq!(p.call_state(id), Some(&CallState::Ended(EndReason::Remote)));
}

#[test]
fn no_ack_for_64_t1_means_bye() {
    let (mut p, t0) = phone(true);
    let (_, events) = feed(&mut p, t0, &invite("c2", Some(OFFER)));
    let id = incoming_id(&events);
    p.answer(t0, id, 16384);
    drain(&mut p);
    let mut bye = None;
    let mut now = t0;
    while let Some(next) = p.poll_timeout().filter(|t| *t <= t0 + Duration::from_secs(40)) {
        now = next;
        p.handle_timeout(now);
        if let Some(b) = drain(&mut p).0.into_iter().find(|m| m.starts_with("BYE ")) {
            bye = Some(b);
            break;
        }
    }
    let bye = bye.expect("a BYE");
    assert!(bye.starts_with("BYE sip:23456@198.51.100.9:5060"), "{bye}");
    assert!(bye.contains("Route: <sip:198.51.100.5;lr>"));
    assert_eq!(now - t0, Duration::from_secs(32));
    assert_eq!(p.call_state(id), Some(&CallState::Ended(EndReason::Timeout)));
}

#[test]
fn cancel_while_ringing_gives_487() {
    let (mut p, t0) = phone(true);
    let (_, events) = feed(&mut p, t0, &invite("c3", Some(OFFER)));
    let id = incoming_id(&events);
    let cancel = String::from_utf8(invite("c3", None))
        .expect("utf8")
        .replacen("INVITE sip", "CANCEL sip", 1)
        .replace("1 INVITE", "1 CANCEL");
    let (sent, _) = feed(&mut p, t0, cancel.as_bytes());
    let codes: Vec<&str> = sent.iter().map(|m| status(m)).collect();
    assert!(codes.contains(&"200") && codes.contains(&"487"), "{codes:?}");
    assert_eq!(p.call_state(id), Some(&CallState::Ended(EndReason::Cancelled)));
}

#[test]
fn busy_without_call_waiting_and_reject() {
    let (mut p, t0) = phone(false);
    let (_, events) = feed(&mut p, t0, &invite("c4", Some(OFFER)));
    let first = incoming_id(&events);
    let (sent, events) = feed(&mut p, t0, &invite("c5", Some(OFFER)));
    assert_eq!(status(&sent[0]), "486");
    assert!(!events.iter().any(|e| matches!(e, Event::IncomingCall { .. })), "a busy phone does not ring");
    p.reject(t0, first, 603);
    let (sent, _) = drain(&mut p);
    assert_eq!(status(&sent[0]), "603");
}

#[test]
fn an_invite_without_sdp_gets_an_offer_and_the_answer_comes_in_the_ack() {
    let (mut p, t0) = phone(true);
    let (_, events) = feed(&mut p, t0, &invite("c6", None));
    let id = incoming_id(&events);
    p.answer(t0, id, 16390);
    let (sent, events) = drain(&mut p);
    let ok = sent.iter().find(|m| status(m) == "200").expect("200");
    assert!(ok.contains("m=audio 16390 RTP/AVP 0 8 111 101"), "our offer: {ok}");
    assert!(!events.iter().any(|e| matches!(e, Event::CallMedia { .. })), "no media before the answer");
    let answer = OFFER.replace("RTP/AVP 8 0 101", "RTP/AVP 0 101").replace("a=rtpmap:8 PCMA/8000\r\n", "");
    let ack = in_dialog("ACK", "c6", &to_tag(ok), 1, "ack6", &answer);
    let (_, events) = feed(&mut p, t0, &ack);
    assert!(events.iter().any(|e| matches!(e, Event::CallMedia { .. })), "media from the ACK's answer");
}

/// `invite(call)` with these extra header lines (each ending in CRLF).
fn invite_with(call: &str, extra: &str) -> Vec<u8> {
    let text = String::from_utf8(invite(call, Some(OFFER))).expect("text");
    text.replacen("Max-Forwards: 70\r\n", &format!("Max-Forwards: 70\r\n{extra}"), 1).into_bytes()
}

/// A call `c1` answered and acknowledged: its id and our tag.
fn answered(p: &mut Phone, t0: Instant) -> (CallId, String) {
    let (sent, events) = feed(p, t0, &invite("c1", Some(OFFER)));
    let (id, tag) = (incoming_id(&events), to_tag(&sent[0]));
    p.answer(t0, id, 16384);
    drain(p);
    feed(p, t0, &in_dialog("ACK", "c1", &tag, 1, "ack1", ""));
    assert_eq!(p.call_state(id), Some(&CallState::Connected));
    (id, tag)
}

#[test]
fn an_invite_with_replaces_takes_the_named_call_over_without_ringing() {
    // call_waiting 0: a second call would get 486, but one that replaces a call is the
    // same conversation.
    let (mut p, t0) = phone(false);
    let (old, tag) = answered(&mut p, t0);
    let (sent, events) =
        feed(&mut p, t0, &invite_with("c2", &format!("Replaces: c1;to-tag={tag};from-tag=far\r\n")));
    let replaces = events.iter().find_map(|e| match e {
        Event::IncomingCall { id, replaces, waiting, .. } => Some((*id, *replaces, *waiting)),
        _ => None,
    });
    let (new, replaces, waiting) = replaces.expect("the new call is offered");
    assert_eq!((replaces, waiting), (Some(old), false), "{sent:?}");
    p.answer(t0, new, 16386);
    let (sent, _) = drain(&mut p);
    assert!(sent.iter().any(|m| status(m) == "200" && m.contains("Call-ID: c2")), "{sent:?}");
    assert!(
        !sent.iter().any(|m| m.starts_with("INVITE ")),
        "the old call is not put on hold first: {sent:?}"
    );
    // Answered: the replaced call gets its BYE.
    assert!(sent.iter().any(|m| m.starts_with("BYE ") && m.contains("Call-ID: c1")), "{sent:?}");
    assert_eq!(p.call_state(new), Some(&CallState::Connected));
    assert_eq!(p.call_state(old), Some(&CallState::Ending));
}

#[test]
fn replaces_that_names_no_answered_call_is_refused_as_rfc_3891_says() {
    let (mut p, t0) = phone(true);
    let (_, tag) = answered(&mut p, t0);
    let cases = [
        ("Replaces: c1;to-tag=other;from-tag=far\r\n".to_owned(), "481"),
        (format!("Replaces: nosuch;to-tag={tag};from-tag=far\r\n"), "481"),
        (format!("Replaces: c1;to-tag={tag};from-tag=far;early-only\r\n"), "486"),
        ("Replaces: c1;to-tag=x\r\n".to_owned(), "400"),
        (
            format!("Replaces: c1;to-tag={tag};from-tag=far\r\nReplaces: c1;to-tag={tag};from-tag=far\r\n"),
            "400",
        ),
    ];
    for (i, (header, want)) in cases.iter().enumerate() {
        let (sent, events) = feed(&mut p, t0, &invite_with(&format!("r{i}"), header));
        assert_eq!(sent.iter().map(|m| status(m)).collect::<Vec<_>>(), vec![*want], "{header}");
        assert!(!events.iter().any(|e| matches!(e, Event::IncomingCall { .. })), "{header}: nothing rings");
    }
    // A call still ringing is not answered yet: nothing to replace.
    let (sent, _) = feed(&mut p, t0, &invite("c9", Some(OFFER)));
    let ringing_tag = to_tag(&sent[0]);
    let (sent, _) =
        feed(&mut p, t0, &invite_with("r9", &format!("Replaces: c9;to-tag={ringing_tag};from-tag=far\r\n")));
    assert_eq!(status(&sent[0]), "481");
    // Ended calls are declined.
    feed(&mut p, t0, &in_dialog("BYE", "c1", &tag, 2, "bye1", ""));
    let (sent, _) =
        feed(&mut p, t0, &invite_with("r10", &format!("Replaces: c1;to-tag={tag};from-tag=far\r\n")));
    assert_eq!(status(&sent[0]), "603");
}
