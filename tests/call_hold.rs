//! Answered calls on simulated time (sans-IO): hold and resume by re-INVITE in both
//! directions, re-INVITEs without SDP, glare (491) and its back-off, 407 on a re-INVITE,
//! BYE crossing a re-INVITE, and the other in-dialog requests. The far end is scripted;
//! the phone answers an incoming call through its proxy first.

#[path = "support/phone_io.rs"]
mod phone_io;

use phone_io::status;
use sip7940::config::{Host, PhoneConfig, Secret};
use sip7940::sdp::Direction;
use sip7940::sip::auth::verify;
use sip7940::sip::message::Method;
use sip7940::ua::call::{CallId, CallState, EndReason};
use sip7940::ua::session::Hold;
use sip7940::ua::{Event, Output, Phone, Setup};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const PROXY: &str = "198.51.100.5:5060";

fn sdp(version: u32, direction: &str, ip: &str) -> String {
    format!(
        "v=0\r\no=far 7 {version} IN IP4 198.51.100.9\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
         a=ptime:20\r\na={direction}\r\n"
    )
}

/// The far end of one answered call.
struct Call {
    p: Phone,
    now: Instant,
    id: CallId,
    tag: String,
    cseq: u32,
    events: Vec<Event>,
}

fn request(method: &str, tag: &str, cseq: u32, branch: &str, body: &str) -> Vec<u8> {
    let ctype = if body.is_empty() { "" } else { "Content-Type: application/sdp\r\n" };
    format!(
        "{method} sip:12345@10.0.0.3:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.5:5060;branch=z9hG4bK{branch}\r\n\
         From: \"Far\" <sip:23456@sip.test>;tag=far\r\nTo: <sip:12345@sip.test>;tag={tag}\r\nCall-ID: hold1\r\n\
         CSeq: {cseq} {method}\r\nContact: <sip:23456@198.51.100.9:5060>\r\nMax-Forwards: 70\r\n\
         {ctype}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A response of the far end to a request the phone sent.
fn respond(req: &str, code: u16, extra: &str, body: &str) -> Vec<u8> {
    let keep = |name: &str| req.lines().filter(|l| l.starts_with(name)).collect::<Vec<_>>().join("\r\n");
    let ctype = if body.is_empty() { "" } else { "Content-Type: application/sdp\r\n" };
    format!(
        "SIP/2.0 {code} Whatever\r\n{}\r\n{}\r\n{}\r\n{}\r\n{}\r\n{extra}{ctype}Content-Length: {}\r\n\r\n{body}",
        keep("Via:"),
        keep("From:"),
        keep("To:"),
        keep("Call-ID:"),
        keep("CSeq:"),
        body.len()
    )
    .into_bytes()
}

impl Call {
    /// An incoming call, answered and acknowledged.
    fn answered() -> Call {
        let mut c = PhoneConfig::default();
        c.proxies[0].address = Some(Host::parse("198.51.100.5").expect("host"));
        c.lines[0].name = "12345".into();
        c.lines[0].authname = "12345".into();
        c.lines[0].password = Secret::new("sipgatepassword");
        let now = Instant::now();
        let setup = Setup {
            local: "10.0.0.3:5060".parse().expect("addr"),
            seed: 11,
            mac: None,
            my_ip: Some("10.0.0.3".parse().expect("ip")),
            epoch: now,
            unix_at_epoch: 0,
        };
        let mut call =
            Call { p: Phone::new(c, setup), now, id: CallId(0), tag: String::new(), cseq: 1, events: vec![] };
        let offer = sdp(1, "sendrecv", "198.51.100.9");
        let invite = String::from_utf8(request("INVITE", "x", 1, "inv1", &offer))
            .expect("utf8")
            .replace(";tag=x", "")
            .replace("CSeq: 1 INVITE\r\n", "CSeq: 1 INVITE\r\nRecord-Route: <sip:198.51.100.5;lr>\r\n");
        let sent = call.feed(invite.as_bytes());
        call.id = call
            .events
            .iter()
            .find_map(|e| if let Event::IncomingCall { id, .. } = e { Some(*id) } else { None })
            .expect("rings");
        call.tag = sent
            .iter()
            .find_map(|m| m.lines().find(|l| l.starts_with("To:")).and_then(|l| l.split("tag=").nth(1)))
            .expect("a To tag")
            .to_owned();
        call.p.answer(call.now, call.id, 16384);
        let ok = call.drain();
        assert!(ok.iter().any(|m| status(m) == "200"));
        call.feed(&request("ACK", &call.tag.clone(), 1, "ack1", ""));
        assert_eq!(call.state(), CallState::Connected);
        call
    }

    fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        self.p.handle_datagram(self.now, PROXY.parse::<SocketAddr>().expect("addr"), bytes);
        self.drain()
    }

    fn drain(&mut self) -> Vec<String> {
        let mut sent = vec![];
        while let Some(o) = self.p.poll_output() {
            match o {
                Output::Transmit(t) => {
                    assert_eq!(t.to, PROXY.parse::<SocketAddr>().expect("addr"), "via the route set");
                    sent.push(String::from_utf8_lossy(&t.bytes).into_owned());
                }
                Output::Event(e) => self.events.push(e),
                Output::Resolve(_) => {}
            }
        }
        sent
    }

    /// Advances time, firing timers; returns what was sent.
    fn advance(&mut self, span: Duration) -> Vec<String> {
        let end = self.now + span;
        let mut sent = vec![];
        while let Some(t) = self.p.poll_timeout().filter(|t| *t <= end) {
            self.now = t;
            self.p.handle_timeout(t);
            sent.extend(self.drain());
        }
        self.now = end;
        sent
    }

    /// The far end sends an in-dialog request.
    fn send(&mut self, method: &str, body: &str) -> Vec<String> {
        self.cseq += 1;
        let (tag, cseq) = (self.tag.clone(), self.cseq);
        self.feed(&request(method, &tag, cseq, &format!("{method}{cseq}"), body))
    }

    fn ack(&mut self, body: &str) {
        let (tag, cseq) = (self.tag.clone(), self.cseq);
        let sent = self.feed(&request("ACK", &tag, cseq, &format!("ack{cseq}"), body));
        assert!(sent.is_empty(), "an ACK is never answered: {sent:?}");
    }

    fn state(&self) -> CallState {
        self.p.call_state(self.id).cloned().expect("known call")
    }

    fn last_media_direction(&self) -> Option<Direction> {
        self.events.iter().rev().find_map(|e| match e {
            Event::CallMedia { media, .. } => Some(media.direction),
            _ => None,
        })
    }
}

fn attribute_direction(m: &str) -> &str {
    ["sendrecv", "sendonly", "recvonly", "inactive"]
        .into_iter()
        .find(|d| m.contains(&format!("a={d}\r\n")))
        .unwrap_or("none")
}

fn origin_version(m: &str) -> u64 {
    let line = m.lines().find(|l| l.starts_with("o=")).expect("o= line");
    line.split(' ').nth(2).and_then(|v| v.parse().ok()).expect("version")
}

#[test]
fn the_far_end_holds_and_resumes() {
    let mut c = Call::answered();
    let sent = c.send("INVITE", &sdp(2, "sendonly", "198.51.100.9"));
    let ok = sent.iter().find(|m| status(m) == "200").expect("200 to the hold");
    assert_eq!(attribute_direction(ok), "recvonly", "{ok}");
    assert!(ok.contains("Contact: <sip:12345@10.0.0.3:5060;transport=udp>"));
    assert_eq!(c.state(), CallState::Held(Hold::Remote));
    assert_eq!(c.last_media_direction(), Some(Direction::RecvOnly), "we stop sending while held");
    let held_version = origin_version(ok);
    c.ack("");

    // Old-style hold (c=0.0.0.0) counts too, then a resume.
    let sent = c.send("INVITE", &sdp(3, "sendrecv", "0.0.0.0"));
    assert_eq!(c.state(), CallState::Held(Hold::Remote), "{sent:?}");
    c.ack("");
    let sent = c.send("INVITE", &sdp(4, "sendrecv", "198.51.100.9"));
    let ok = sent.iter().find(|m| status(m) == "200").expect("200 to the resume");
    assert_eq!(attribute_direction(ok), "sendrecv");
    assert!(origin_version(ok) > held_version, "a changed answer has a new o= version");
    c.ack("");
    assert_eq!(c.state(), CallState::Connected);
    assert_eq!(c.last_media_direction(), Some(Direction::SendRecv));
}

#[test]
fn we_hold_and_resume() {
    let mut c = Call::answered();
    assert!(c.p.hold(c.now, c.id));
    let sent = c.drain();
    let reinvite = sent.iter().find(|m| m.starts_with("INVITE ")).expect("a re-INVITE");
    assert!(reinvite.starts_with("INVITE sip:23456@198.51.100.9:5060 SIP/2.0"), "{reinvite}");
    assert!(reinvite.contains("Route: <sip:198.51.100.5;lr>"));
    assert!(reinvite.contains("CSeq: 1 INVITE") && reinvite.contains(&format!("tag={}", c.tag)));
    assert_eq!(attribute_direction(reinvite), "sendonly");
    let first_version = origin_version(reinvite);
    assert_eq!(c.state(), CallState::Connected, "not held before the answer");

    let sent = c.feed(&respond(reinvite, 200, "", &sdp(2, "recvonly", "198.51.100.9")));
    let ack = sent.iter().find(|m| m.starts_with("ACK ")).expect("the 2xx is ACKed");
    assert!(ack.contains("CSeq: 1 ACK"));
    assert_eq!(c.state(), CallState::Held(Hold::Local));
    assert_eq!(c.last_media_direction(), Some(Direction::Inactive), "the microphone is muted on hold");

    // The 200 comes again (our ACK was lost): ACKed again, nothing else changes.
    let again = c.feed(&respond(reinvite, 200, "", &sdp(2, "recvonly", "198.51.100.9")));
    assert_eq!(again.iter().filter(|m| m.starts_with("ACK ")).count(), 1);

    assert!(c.p.resume(c.now, c.id));
    let sent = c.drain();
    let resume = sent.iter().find(|m| m.starts_with("INVITE ")).expect("a re-INVITE");
    assert_eq!(attribute_direction(resume), "sendrecv");
    assert!(resume.contains("CSeq: 2 INVITE"));
    assert_eq!(origin_version(resume), first_version + 1);
    c.feed(&respond(resume, 200, "", &sdp(3, "sendrecv", "198.51.100.9")));
    assert_eq!(c.state(), CallState::Connected);
    assert_eq!(c.last_media_direction(), Some(Direction::SendRecv));
}

#[test]
fn both_hold_means_inactive() {
    let mut c = Call::answered();
    c.send("INVITE", &sdp(2, "sendonly", "198.51.100.9"));
    c.ack("");
    c.p.hold(c.now, c.id);
    let sent = c.drain();
    let reinvite = sent.iter().find(|m| m.starts_with("INVITE ")).expect("a re-INVITE");
    assert_eq!(attribute_direction(reinvite), "inactive", "held by them, holding them");
    c.feed(&respond(reinvite, 200, "", &sdp(3, "inactive", "198.51.100.9")));
    assert_eq!(c.state(), CallState::Held(Hold::Both));
    // They resume: we still hold, so our answer is sendonly.
    let sent = c.send("INVITE", &sdp(4, "sendrecv", "198.51.100.9"));
    let ok = sent.iter().find(|m| status(m) == "200").expect("200");
    assert_eq!(attribute_direction(ok), "sendonly");
    assert_eq!(c.state(), CallState::Held(Hold::Local));
}

#[test]
fn glare_gets_491_and_we_retry_after_the_back_off() {
    let mut c = Call::answered();
    c.p.hold(c.now, c.id);
    let ours = c.drain().into_iter().find(|m| m.starts_with("INVITE ")).expect("our re-INVITE");
    // Their re-INVITE crosses ours: 491 to theirs.
    let sent = c.send("INVITE", &sdp(2, "sendonly", "198.51.100.9"));
    assert_eq!(sent.iter().map(|m| status(m)).collect::<Vec<_>>(), vec!["491"]);
    // They answer ours 491 too: we are not the Call-ID owner, so we retry within 0–2 s.
    let sent = c.feed(&respond(&ours, 491, "", ""));
    assert!(sent.iter().any(|m| m.starts_with("ACK ")), "the 491 is ACKed by the transaction");
    let retry = c.advance(Duration::from_millis(2001));
    let retry = retry.iter().find(|m| m.starts_with("INVITE ")).expect("a retried re-INVITE");
    assert!(retry.contains("CSeq: 2 INVITE"), "{retry}");
    assert_eq!(attribute_direction(retry), "sendonly");
    c.feed(&respond(retry, 200, "", &sdp(3, "recvonly", "198.51.100.9")));
    assert_eq!(c.state(), CallState::Held(Hold::Local));
}

#[test]
fn a_reinvite_while_the_last_is_unacknowledged_gets_500_with_retry_after() {
    let mut c = Call::answered();
    c.send("INVITE", &sdp(2, "sendonly", "198.51.100.9"));
    let sent = c.send("INVITE", &sdp(3, "sendrecv", "198.51.100.9"));
    let r = sent.first().expect("an answer");
    assert_eq!(status(r), "500");
    assert!(r.contains("Retry-After: "), "{r}");
}

#[test]
fn a_reinvite_without_sdp_gets_our_offer_and_the_answer_comes_in_the_ack() {
    let mut c = Call::answered();
    let sent = c.send("INVITE", "");
    let ok = sent.iter().find(|m| status(m) == "200").expect("200");
    assert!(ok.contains("m=audio 16384 RTP/AVP 0 8 111 101"), "a full offer: {ok}");
    // No ACK yet: the 200 is resent.
    let resent = c.advance(Duration::from_millis(600));
    assert_eq!(resent.iter().filter(|m| status(m) == "200").count(), 1);
    c.ack(&sdp(2, "sendonly", "198.51.100.9"));
    assert_eq!(c.state(), CallState::Held(Hold::Remote));
    assert!(c.advance(Duration::from_secs(10)).is_empty(), "the ACK stopped the retransmissions");
}

#[test]
fn an_unacceptable_reoffer_gets_488_and_the_call_goes_on() {
    let mut c = Call::answered();
    let g729 = sdp(2, "sendrecv", "198.51.100.9")
        .replace("RTP/AVP 0 101", "RTP/AVP 18")
        .replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:18 G729/8000");
    let sent = c.send("INVITE", &g729);
    assert_eq!(status(&sent[0]), "488");
    assert_eq!(c.state(), CallState::Connected);
    assert_eq!(c.p.call_media(c.id).map(|m| m.remote_rtp.port()), Some(40000));
}

#[test]
fn a_challenged_reinvite_is_sent_again_with_credentials() {
    let mut c = Call::answered();
    c.p.hold(c.now, c.id);
    let first = c.drain().into_iter().find(|m| m.starts_with("INVITE ")).expect("re-INVITE");
    let challenge = "Proxy-Authenticate: Digest realm=\"sip.test\", nonce=\"n1\", qop=\"auth\"\r\n";
    let sent = c.feed(&respond(&first, 407, challenge, ""));
    let second = sent.iter().find(|m| m.starts_with("INVITE ")).expect("sent again");
    assert!(second.contains("CSeq: 2 INVITE"));
    let auth = second.lines().find(|l| l.starts_with("Proxy-Authorization:")).expect("credentials");
    let value = auth.trim_start_matches("Proxy-Authorization:").trim();
    assert!(
        verify(value.as_bytes(), Method::Invite, &Secret::new("sipgatepassword"))
            && value.contains("username=\"12345\""),
        "the credentials check out: {value}"
    );
    assert!(!second.contains("sipgatepassword"));
}

#[test]
fn bye_crossing_our_reinvite_ends_the_call_once() {
    let mut c = Call::answered();
    c.p.hold(c.now, c.id);
    let ours = c.drain().into_iter().find(|m| m.starts_with("INVITE ")).expect("re-INVITE");
    let sent = c.send("BYE", "");
    assert_eq!(status(&sent[0]), "200");
    assert_eq!(c.state(), CallState::Ended(EndReason::Remote));
    // Their side no longer knows the dialog: 481 to our re-INVITE changes nothing.
    let sent = c.feed(&respond(&ours, 481, "", ""));
    assert!(sent.iter().all(|m| !m.starts_with("BYE ")), "{sent:?}");
    assert_eq!(c.state(), CallState::Ended(EndReason::Remote));
    let sent = c.send("INFO", "");
    assert_eq!(status(&sent[0]), "481", "nothing is served after the end");
}

#[test]
fn a_481_to_our_reinvite_ends_the_call() {
    let mut c = Call::answered();
    c.p.hold(c.now, c.id);
    let ours = c.drain().into_iter().find(|m| m.starts_with("INVITE ")).expect("re-INVITE");
    c.feed(&respond(&ours, 481, "", ""));
    assert!(matches!(c.state(), CallState::Ended(EndReason::Status { code: 481, .. })));
}

#[test]
fn other_in_dialog_requests() {
    let mut c = Call::answered();
    let sent = c.send("INFO", "");
    assert_eq!(status(&sent[0]), "200");
    let sent = c.send("OPTIONS", "");
    assert_eq!(status(&sent[0]), "200");
    assert!(sent[0].contains("Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY, REFER"));
    // REFER is served (see tests/call_features.rs); one without Refer-To is malformed.
    let sent = c.send("REFER", "");
    assert_eq!(status(&sent[0]), "400");
    let sent = c.send("SUBSCRIBE", "");
    assert_eq!(status(&sent[0]), "501");
    // A request whose CSeq does not rise: 500 (§12.2.2).
    let (tag, cseq) = (c.tag.clone(), c.cseq);
    let sent = c.feed(&request("INFO", &tag, cseq - 1, "old", ""));
    assert_eq!(status(&sent[0]), "500");
    assert_eq!(c.state(), CallState::Connected);
}

#[test]
fn hangup_during_hold_sends_bye_and_ends_on_its_answer() {
    let mut c = Call::answered();
    c.send("INVITE", &sdp(2, "sendonly", "198.51.100.9"));
    c.ack("");
    c.p.hangup(c.now, c.id);
    let bye = c.drain().into_iter().find(|m| m.starts_with("BYE ")).expect("BYE");
    assert_eq!(c.state(), CallState::Ending);
    c.feed(&respond(&bye, 200, "", ""));
    assert_eq!(c.state(), CallState::Ended(EndReason::Local));
}
