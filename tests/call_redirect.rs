//! Redirects and a silent transferee on simulated time (sans-IO), against a scripted
//! proxy: a chain of 302s is followed at most 5 times; a far end that accepts our REFER
//! (202) and never sends a NOTIFY is hung up 4 s later.

use sip7940::config::{Host, PhoneConfig, Secret};
use sip7940::sip::message::{Datagram, HeaderName, Message, Method, parse_datagram, response_to};
use sip7940::ua::call::{CallId, CallState, EndReason, MAX_REDIRECTS};
use sip7940::ua::transfer::{NOTIFY_WAIT, TransferProgress};
use sip7940::ua::{Event, Output, Phone, Setup};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const PROXY: &str = "198.51.100.5:5060";
const ANSWER_SDP: &str = "v=0\r\no=far 1 1 IN IP4 198.51.100.9\r\ns=-\r\nc=IN IP4 198.51.100.9\r\nt=0 0\r\n\
    m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";

fn phone(now: Instant) -> Phone {
    let mut c = PhoneConfig::default();
    c.proxies[0].address = Some(Host::parse("198.51.100.5").expect("host"));
    c.lines[0].name = "12345".into();
    c.lines[0].authname = "12345".into();
    c.lines[0].password = Secret::new("pw");
    c.network.my_ip_addr = Some("10.0.0.3".parse().expect("ip"));
    let setup = Setup {
        local: "10.0.0.3:5060".parse().expect("addr"),
        seed: 9,
        mac: "000C30A97025".parse().ok(),
        my_ip: Some("10.0.0.3".parse().expect("ip")),
        epoch: now,
        unix_at_epoch: 1_795_505_393,
    };
    Phone::new(c, setup)
}

/// Runs the phone against `script` (the proxy's answers to each request) for `span`;
/// returns the requests seen (method, text) and the events.
fn run(
    phone: &mut Phone,
    now: &mut Instant,
    span: Duration,
    script: &mut dyn FnMut(&Message<'_>) -> Vec<Vec<u8>>,
    seen: &mut Vec<(String, String)>,
    events: &mut Vec<Event>,
) {
    let end = *now + span;
    let proxy: SocketAddr = PROXY.parse().expect("addr");
    loop {
        let mut progressed = false;
        while let Some(out) = phone.poll_output() {
            progressed = true;
            match out {
                Output::Transmit(t) => {
                    let Ok(Datagram::Message(msg)) = parse_datagram(&t.bytes) else { panic!("garbage") };
                    if let Some(m) = msg.method() {
                        let method = String::from_utf8_lossy(m.as_bytes()).into_owned();
                        seen.push((method, String::from_utf8_lossy(&t.bytes).into_owned()));
                        for reply in script(&msg) {
                            phone.handle_datagram(*now, proxy, &reply);
                        }
                    }
                }
                Output::Event(e) => events.push(e),
                Output::Resolve(_) => {}
            }
        }
        if !progressed {
            match phone.poll_timeout().filter(|t| *t <= end) {
                Some(t) => {
                    *now = t;
                    phone.handle_timeout(t);
                }
                None => break,
            }
        }
    }
    *now = end;
}

fn reply(msg: &Message<'_>, code: u16, extra: &[(HeaderName, String)], body: Option<&str>) -> Vec<u8> {
    let mut r = response_to(msg, code, Some(b"far")).expect("response");
    for (n, v) in extra {
        r.headers.push(*n, v.clone());
    }
    match body {
        Some(b) => r.with_body(b.as_bytes().to_vec()).to_bytes(),
        None => r.to_bytes(),
    }
}

fn state_of(events: &[Event], id: CallId) -> Option<CallState> {
    events.iter().rev().find_map(|e| match e {
        Event::Call { id: c, state } if *c == id => Some(state.clone()),
        _ => None,
    })
}

#[test]
fn a_chain_of_302s_is_followed_five_times_then_the_call_ends() {
    let mut now = Instant::now();
    let mut p = phone(now);
    let (mut seen, mut events) = (Vec::new(), Vec::new());
    let mut hop = 0;
    let mut script = |msg: &Message<'_>| match msg.method() {
        Some(Method::Invite) => {
            hop += 1;
            let contact = format!("<sip:hop{hop}@198.51.100.7>, <tel:+4930123>");
            vec![reply(msg, 302, &[(HeaderName::Contact, contact)], None)]
        }
        _ => vec![],
    };
    let id = p.dial(now, 1, "999", 20000).expect("dial");
    run(&mut p, &mut now, Duration::from_secs(10), &mut script, &mut seen, &mut events);
    let invites: Vec<&String> = seen.iter().filter(|(m, _)| m == "INVITE").map(|(_, t)| t).collect();
    assert_eq!(invites.len(), 1 + MAX_REDIRECTS, "{seen:#?}");
    assert!(invites[0].starts_with("INVITE sip:999@198.51.100.5 "));
    for (n, invite) in invites.iter().enumerate().skip(1) {
        assert!(invite.starts_with(&format!("INVITE sip:hop{n}@198.51.100.7 SIP/2.0")), "{invite}");
        assert!(invite.contains(&format!("To: <sip:hop{n}@198.51.100.7>")), "{invite}");
    }
    // Each 302 was ACKed by its transaction.
    assert_eq!(seen.iter().filter(|(m, _)| m == "ACK").count(), 1 + MAX_REDIRECTS);
    match state_of(&events, id) {
        Some(CallState::Ended(EndReason::Status { code: 302, .. })) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_transferee_that_never_notifies_is_hung_up_after_the_wait() {
    let mut now = Instant::now();
    let mut p = phone(now);
    let (mut seen, mut events) = (Vec::new(), Vec::new());
    let mut script = |msg: &Message<'_>| match msg.method() {
        Some(Method::Invite) => {
            let contact = (HeaderName::Contact, "<sip:far@198.51.100.9:5060>".to_owned());
            let ct = (HeaderName::ContentType, "application/sdp".to_owned());
            vec![reply(msg, 200, &[contact, ct], Some(ANSWER_SDP))]
        }
        Some(Method::Refer) => vec![reply(msg, 202, &[], None)],
        Some(Method::Bye) => vec![reply(msg, 200, &[], None)],
        _ => vec![],
    };
    let id = p.dial(now, 1, "999", 20000).expect("dial");
    run(&mut p, &mut now, Duration::from_secs(1), &mut script, &mut seen, &mut events);
    assert_eq!(state_of(&events, id), Some(CallState::Connected), "{seen:#?}");
    p.transfer(now, id, "777").expect("REFER");
    run(&mut p, &mut now, NOTIFY_WAIT - Duration::from_millis(100), &mut script, &mut seen, &mut events);
    assert!(!seen.iter().any(|(m, _)| m == "BYE"), "no BYE before the wait is over");
    run(&mut p, &mut now, Duration::from_secs(2), &mut script, &mut seen, &mut events);
    assert!(seen.iter().any(|(m, _)| m == "BYE"), "{seen:#?}");
    assert_eq!(state_of(&events, id), Some(CallState::Ended(EndReason::Local)));
    let progress: Vec<&TransferProgress> = events
        .iter()
        .filter_map(|e| match e {
            Event::Transfer { progress, .. } => Some(progress),
            _ => None,
        })
        .collect();
    assert_eq!(
        progress,
        [
            &TransferProgress::Referred { target: "sip:777@198.51.100.5".into() },
            &TransferProgress::Accepted,
            &TransferProgress::Succeeded
        ]
    );
}
