//! Outgoing calls on simulated time (sans-IO): the phone against a scripted proxy that
//! challenges with 407, rings, answers with SDP and record-routes.

use sip7940::config::{Host, PhoneConfig, Secret};
use sip7940::sip::auth::verify;
use sip7940::sip::message::{Datagram, HeaderName, Message, Method, Response, parse_datagram, response_to};
use sip7940::ua::call::{CallState, EndReason};
use sip7940::ua::{Event, Output, Phone, Setup};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const PROXY: &str = "198.51.100.5:5060";

fn config() -> PhoneConfig {
    let mut c = PhoneConfig::default();
    c.proxies[0].address = Some(Host::parse("198.51.100.5").expect("host"));
    c.lines[0].name = "12345".into();
    c.lines[0].authname = "12345".into();
    c.lines[0].password = Secret::new("sipgatepassword");
    c.network.my_ip_addr = Some("10.0.0.3".parse().expect("ip"));
    c
}

/// How the far end behaves.
#[derive(Clone, Copy, PartialEq)]
enum Far {
    Answer,
    Busy,
    RingForever,
}

struct Run {
    phone: Phone,
    now: Instant,
    far: Far,
    /// Requests the proxy received, in order (method, raw text).
    seen: Vec<(String, String)>,
    events: Vec<Event>,
    last_invite: Option<Vec<u8>>,
    answered: Option<Vec<u8>>,
}

const ANSWER_SDP: &str = "v=0\r\no=far 1 1 IN IP4 198.51.100.9\r\ns=-\r\nc=IN IP4 198.51.100.9\r\nt=0 0\r\n\
    m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
    a=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n";

impl Run {
    fn new(far: Far) -> Run {
        let now = Instant::now();
        let setup = Setup {
            local: "10.0.0.3:5060".parse().expect("addr"),
            seed: 5,
            mac: "000C30A97025".parse().ok(),
            my_ip: Some("10.0.0.3".parse().expect("ip")),
            epoch: now,
            unix_at_epoch: 1_795_505_393,
        };
        Run {
            phone: Phone::new(config(), setup),
            now,
            far,
            seen: vec![],
            events: vec![],
            last_invite: None,
            answered: None,
        }
    }

    /// Delivers everything the phone sends to the scripted proxy, and its answers back,
    /// until quiet; then advances time by `span` firing timers.
    fn settle(&mut self, span: Duration) {
        let end = self.now + span;
        loop {
            let mut progressed = false;
            while let Some(out) = self.phone.poll_output() {
                progressed = true;
                match out {
                    Output::Transmit(t) => {
                        assert_eq!(
                            t.to,
                            PROXY.parse::<SocketAddr>().expect("addr"),
                            "everything goes through the proxy"
                        );
                        let replies = self.proxy(&t.bytes);
                        for r in replies {
                            self.phone.handle_datagram(self.now, PROXY.parse().expect("addr"), &r);
                        }
                    }
                    Output::Event(e) => self.events.push(e),
                    Output::Resolve(_) => {}
                }
            }
            if !progressed {
                match self.phone.poll_timeout().filter(|t| *t <= end) {
                    Some(t) => {
                        self.now = t;
                        self.phone.handle_timeout(t);
                    }
                    None => break,
                }
            }
        }
        self.now = end;
    }

    fn proxy(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        let Ok(Datagram::Message(msg)) = parse_datagram(bytes) else { panic!("the phone sent garbage") };
        if !msg.is_request() {
            return vec![];
        }
        let method = String::from_utf8_lossy(
            msg.method().map(|m| m.as_bytes().to_vec()).unwrap_or_default().as_slice(),
        )
        .into_owned();
        self.seen.push((method.clone(), String::from_utf8_lossy(bytes).into_owned()));
        let reply = |code: u16, tag: Option<&[u8]>, extra: &[(HeaderName, &str)], body: &str| -> Vec<u8> {
            let mut r: Response = response_to(&msg, code, tag).expect("response");
            for (n, v) in extra {
                r.headers.push(*n, *v);
            }
            r.with_body(body.as_bytes().to_vec()).to_bytes()
        };
        match msg.method() {
            Some(Method::Invite) => {
                self.last_invite = Some(bytes.to_vec());
                let auth = msg.header(HeaderName::ProxyAuthorization).map(|h| h.value().into_owned());
                match auth {
                    None => vec![
                        reply(100, None, &[], ""),
                        reply(
                            407,
                            Some(b"p407"),
                            &[(
                                HeaderName::ProxyAuthenticate,
                                "Digest realm=\"sip.test\", nonce=\"n1\", qop=\"auth\"",
                            )],
                            "",
                        ),
                    ],
                    Some(a) => {
                        assert!(
                            verify(&a, Method::Invite, &Secret::new("sipgatepassword")),
                            "digest must verify"
                        );
                        let mut out = vec![reply(100, None, &[], ""), reply(180, Some(b"far1"), &[], "")];
                        match self.far {
                            Far::Answer => {
                                let ok = reply(
                                    200,
                                    Some(b"far1"),
                                    &[
                                        (HeaderName::RecordRoute, "<sip:198.51.100.5;lr>"),
                                        (HeaderName::Contact, "<sip:23456@198.51.100.9:5060>"),
                                        (HeaderName::ContentType, "application/sdp"),
                                    ],
                                    ANSWER_SDP,
                                );
                                self.answered = Some(ok.clone());
                                out.push(ok);
                            }
                            Far::Busy => out.push(reply(486, Some(b"far1"), &[], "")),
                            Far::RingForever => {}
                        }
                        out
                    }
                }
            }
            Some(Method::Cancel) => {
                let invite = self.last_invite.clone().expect("an INVITE to cancel");
                let Ok(Datagram::Message(inv)) = parse_datagram(&invite) else { panic!() };
                let terminated = response_to(&inv, 487, Some(b"far1")).expect("487").to_bytes();
                vec![reply(200, Some(b"far1"), &[], ""), terminated]
            }
            Some(Method::Bye) => vec![reply(200, None, &[], "")],
            _ => vec![],
        }
    }

    fn methods(&self) -> Vec<&str> {
        self.seen.iter().map(|(m, _)| m.as_str()).collect()
    }

    fn ended(&self) -> Option<EndReason> {
        self.events.iter().rev().find_map(|e| match e {
            Event::Call { state: CallState::Ended(r), .. } => Some(r.clone()),
            _ => None,
        })
    }
}

fn msg(text: &str) -> Message<'_> {
    match parse_datagram(text.as_bytes()) {
        Ok(Datagram::Message(m)) => m,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_call_is_challenged_answered_acked_and_hung_up() {
    let mut run = Run::new(Far::Answer);
    let now = run.now;
    let id = run.phone.dial(now, 1, "23456", 16384).expect("dial");
    run.settle(Duration::from_secs(1));
    assert_eq!(run.phone.call_state(id), Some(&CallState::Connected));
    assert_eq!(
        run.methods(),
        vec!["INVITE", "ACK", "INVITE", "ACK"],
        "407 ACKed by the transaction, 2xx by the dialog"
    );
    let (first, second) = (&run.seen[0].1, &run.seen[2].1);
    assert!(first.contains("CSeq: 101 INVITE") && second.contains("CSeq: 102 INVITE"));
    assert!(second.contains("Proxy-Authorization: Digest username=\"12345\""));
    assert!(first.contains("m=audio 16384 RTP/AVP 0 8 111 101"), "{first}");
    assert!(first.contains("c=IN IP4 10.0.0.3"));
    let ack_407 = &run.seen[1].1;
    assert!(ack_407.starts_with("ACK sip:23456@198.51.100.5 SIP/2.0") && ack_407.contains("CSeq: 101 ACK"));
    let ack_2xx = &run.seen[3].1;
    assert!(
        ack_2xx.starts_with("ACK sip:23456@198.51.100.9:5060 SIP/2.0"),
        "to the remote target: {ack_2xx}"
    );
    assert!(ack_2xx.contains("Route: <sip:198.51.100.5;lr>") && ack_2xx.contains("CSeq: 102 ACK"));
    let media = *run.phone.call_media(id).expect("media");
    assert_eq!(media.remote_rtp, "198.51.100.9:40000".parse().expect("addr"));
    assert_eq!((media.payload_type, media.dtmf_payload), (0, Some(101)));
    assert!(run.events.iter().any(|e| matches!(e, Event::CallMedia { .. })));

    // The 2xx comes again (our ACK was lost): the phone ACKs again.
    let ok = run.answered.clone().expect("200");
    run.phone.handle_datagram(run.now, PROXY.parse().expect("addr"), &ok);
    run.settle(Duration::from_millis(10));
    assert_eq!(run.methods().iter().filter(|m| **m == "ACK").count(), 3);

    let now = run.now;
    run.phone.hangup(now, id);
    run.settle(Duration::from_secs(1));
    let bye = &run.seen.last().expect("BYE").1;
    assert!(bye.starts_with("BYE sip:23456@198.51.100.9:5060") && bye.contains("CSeq: 103 BYE"), "{bye}");
    assert!(bye.contains("To: <sip:23456@198.51.100.5>;tag=far1"));
    assert_eq!(run.ended(), Some(EndReason::Local));
}

#[test]
fn busy_ends_the_call_with_the_status_and_is_acked() {
    let mut run = Run::new(Far::Busy);
    let now = run.now;
    let id = run.phone.dial(now, 1, "23456", 16384).expect("dial");
    run.settle(Duration::from_secs(1));
    assert_eq!(run.ended(), Some(EndReason::Status { code: 486, reason: "Busy Here".into() }));
    assert_eq!(run.methods(), vec!["INVITE", "ACK", "INVITE", "ACK"]);
    assert!(matches!(run.phone.call_state(id), Some(CallState::Ended(_))));
}

#[test]
fn hanging_up_while_ringing_cancels() {
    let mut run = Run::new(Far::RingForever);
    let now = run.now;
    let id = run.phone.dial(now, 1, "23456", 16384).expect("dial");
    run.settle(Duration::from_secs(1));
    assert_eq!(run.phone.call_state(id), Some(&CallState::Ringing));
    let now = run.now;
    run.phone.hangup(now, id);
    run.settle(Duration::from_secs(1));
    assert_eq!(run.ended(), Some(EndReason::Cancelled));
    let cancel = run.seen.iter().find(|(m, _)| m == "CANCEL").expect("CANCEL");
    let invite = &run.seen[2].1;
    let branch = |t: &str| t.lines().find(|l| l.starts_with("Via")).map(str::to_owned);
    assert_eq!(branch(&cancel.1), branch(invite), "CANCEL shares the INVITE's branch");
    assert!(cancel.1.contains("CSeq: 102 CANCEL"));
    assert_eq!(run.methods().last(), Some(&"ACK"), "the 487 is ACKed");
}

#[test]
fn a_bye_from_the_far_end_ends_the_call() {
    let mut run = Run::new(Far::Answer);
    let now = run.now;
    let id = run.phone.dial(now, 1, "23456", 16384).expect("dial");
    run.settle(Duration::from_secs(1));
    let call_id = run.seen[0].1.lines().find(|l| l.starts_with("Call-ID")).expect("Call-ID").to_owned();
    let from_tag = run.seen[0]
        .1
        .lines()
        .find(|l| l.starts_with("From"))
        .and_then(|l| l.split("tag=").nth(1))
        .expect("tag");
    let bye = format!(
        "BYE sip:12345@10.0.0.3:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.5:5060;branch=z9hG4bKfarbye\r\n\
         From: <sip:23456@198.51.100.5>;tag=far1\r\nTo: <sip:12345@198.51.100.5>;tag={from_tag}\r\n{call_id}\r\n\
         CSeq: 5 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    let _ = msg(&bye);
    run.phone.handle_datagram(run.now, PROXY.parse().expect("addr"), bye.as_bytes());
    let mut answered = None;
    while let Some(out) = run.phone.poll_output() {
        match out {
            Output::Transmit(t) => answered = Some(String::from_utf8_lossy(&t.bytes).into_owned()),
            Output::Event(e) => run.events.push(e),
            Output::Resolve(_) => {}
        }
    }
    assert!(answered.expect("an answer").starts_with("SIP/2.0 200 OK"));
    assert_eq!(run.ended(), Some(EndReason::Remote));
    assert!(matches!(run.phone.call_state(id), Some(CallState::Ended(EndReason::Remote))));
}
