//! The check-sync NOTIFY on simulated time (sans-IO): the proxy's `NOTIFY Event:
//! check-sync` gets 200 and an event; strangers get 403, other event packages 489, a
//! dialog we do not have 481. (What the phone does then is `sip7940 phone`'s: see
//! tests/tftp_boot.rs.)

#[path = "support/phone_io.rs"]
mod phone_io;

use phone_io::status;
use sip7940::config::{Host, PhoneConfig};
use sip7940::ua::{Event, Phone, Setup};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const PROXY: &str = "198.51.100.5:5060";

fn config() -> PhoneConfig {
    let mut c = PhoneConfig::default();
    c.proxies[0].address = Some(Host::parse("198.51.100.5").expect("host"));
    c.registration.proxy_register = true;
    c.lines[0].name = "12345".into();
    c.network.my_ip_addr = Some("10.0.0.3".parse().expect("ip"));
    c
}

fn phone() -> (Phone, Instant) {
    let now = Instant::now();
    let setup = Setup {
        local: "10.0.0.3:5060".parse().expect("addr"),
        seed: 5,
        mac: None,
        my_ip: Some("10.0.0.3".parse().expect("ip")),
        epoch: now,
        unix_at_epoch: 0,
    };
    (Phone::new(config(), setup), now)
}

/// A NOTIFY as Asterisk's `sip notify cisco-check-cfg` (and Kamailio's) send it.
fn notify(branch: &str, event: Option<&str>, extra: &str) -> Vec<u8> {
    let event = event.map(|e| format!("Event: {e}\r\n")).unwrap_or_default();
    format!(
        "NOTIFY sip:12345@10.0.0.3:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.5:5060;branch=z9hG4bK{branch}\r\n\
         From: <sip:proxy@198.51.100.5>;tag=p1\r\nTo: <sip:12345@198.51.100.5>{extra}\r\nCall-ID: {branch}@proxy\r\n\
         CSeq: 102 NOTIFY\r\nMax-Forwards: 70\r\n{event}Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn feed(p: &mut Phone, now: Instant, from: &str, bytes: &[u8]) -> (Vec<String>, Vec<Event>) {
    phone_io::feed(p, now, from.parse::<SocketAddr>().expect("addr"), bytes)
}

fn check_syncs(events: &[Event]) -> usize {
    events.iter().filter(|e| matches!(e, Event::CheckSync { .. })).count()
}

#[test]
fn check_sync_from_the_proxy_is_answered_200_and_reported() {
    let (mut p, t0) = phone();
    let (sent, events) = feed(&mut p, t0, PROXY, &notify("n1", Some("check-sync"), ""));
    assert_eq!(sent.iter().map(|m| status(m)).collect::<Vec<_>>(), vec!["200"], "{sent:?}");
    assert_eq!(events, vec![Event::CheckSync { from: PROXY.parse().expect("addr") }]);
    // Parameters, any case, the compact form.
    for (i, event) in ["check-sync;reboot=false", "Check-Sync"].iter().enumerate() {
        let (sent, events) = feed(&mut p, t0, PROXY, &notify(&format!("p{i}"), Some(event), ""));
        assert_eq!(status(&sent[0]), "200", "{event}");
        assert_eq!(check_syncs(&events), 1, "{event}");
    }
    let compact = String::from_utf8(notify("c1", None, ""))
        .expect("text")
        .replace("Max-Forwards", "o: check-sync\r\nMax-Forwards");
    let (sent, events) = feed(&mut p, t0, PROXY, compact.as_bytes());
    assert_eq!((status(&sent[0]), check_syncs(&events)), ("200", 1));
}

#[test]
fn a_retransmitted_notify_gets_the_same_200_and_no_second_event() {
    let (mut p, t0) = phone();
    let (first, _) = feed(&mut p, t0, PROXY, &notify("r1", Some("check-sync"), ""));
    let (again, events) =
        feed(&mut p, t0 + Duration::from_millis(500), PROXY, &notify("r1", Some("check-sync"), ""));
    assert_eq!(again, first);
    assert_eq!(check_syncs(&events), 0);
}

#[test]
fn check_sync_from_a_stranger_is_refused_with_403() {
    let (mut p, t0) = phone();
    let (sent, events) = feed(&mut p, t0, "192.0.2.66:5060", &notify("s1", Some("check-sync"), ""));
    assert_eq!(sent.iter().map(|m| status(m)).collect::<Vec<_>>(), vec!["403"]);
    assert_eq!(check_syncs(&events), 0);
    assert!(events.iter().any(|e| matches!(e, Event::Refused { .. })));
}

#[test]
fn other_event_packages_get_489_bad_event() {
    let (mut p, t0) = phone();
    for (i, event) in [Some("presence"), Some("message-summary"), None, Some("")].iter().enumerate() {
        let (sent, events) = feed(&mut p, t0, PROXY, &notify(&format!("e{i}"), *event, ""));
        assert_eq!(status(&sent[0]), "489", "{event:?}: {}", sent[0]);
        assert!(sent[0].contains("Allow-Events: check-sync\r\n"), "{}", sent[0]);
        assert_eq!(check_syncs(&events), 0);
    }
}

#[test]
fn a_notify_in_a_dialog_we_do_not_have_gets_481() {
    let (mut p, t0) = phone();
    let (sent, events) = feed(&mut p, t0, PROXY, &notify("d1", Some("check-sync"), ";tag=gone"));
    assert_eq!(status(&sent[0]), "481");
    assert_eq!(check_syncs(&events), 0);
}

#[test]
fn options_lists_notify_and_refer_in_allow_and_supports_replaces() {
    let (mut p, t0) = phone();
    let options = String::from_utf8(notify("o1", None, ""))
        .expect("text")
        .replace("NOTIFY sip", "OPTIONS sip")
        .replace("102 NOTIFY", "102 OPTIONS");
    let (sent, _) = feed(&mut p, t0, PROXY, options.as_bytes());
    assert!(
        sent[0].contains("Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY, REFER\r\n"),
        "{}",
        sent[0]
    );
    assert!(sent[0].contains("Supported: replaces\r\n"), "{}", sent[0]);
}
