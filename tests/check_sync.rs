//! Check-sync and re-provisioning on simulated time (sans-IO): the proxy's `NOTIFY Event:
//! check-sync` gets 200 and an event; strangers get 403, other event packages 489; a new
//! configuration un-registers the old lines and registers the new ones, only when `sync`
//! changed for check-sync.

#[path = "support/sim.rs"]
mod sim;

use sim::{NatKind, Registrar, RegistrarOptions, Router, Sim};
use sip7940::config::{Host, PhoneConfig};
use sip7940::ua::{Event, Output, Phone, Setup};
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
    p.handle_datagram(now, from.parse::<SocketAddr>().expect("addr"), bytes);
    let (mut sent, mut events) = (vec![], vec![]);
    while let Some(o) = p.poll_output() {
        match o {
            Output::Transmit(t) => sent.push(String::from_utf8_lossy(&t.bytes).into_owned()),
            Output::Event(e) => events.push(e),
            Output::Resolve(_) => {}
        }
    }
    (sent, events)
}

fn status(m: &str) -> &str {
    m.get(8..11).unwrap_or("")
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
fn options_now_lists_notify_in_allow() {
    let (mut p, t0) = phone();
    let options = String::from_utf8(notify("o1", None, ""))
        .expect("text")
        .replace("NOTIFY sip", "OPTIONS sip")
        .replace("102 NOTIFY", "102 OPTIONS");
    let (sent, _) = feed(&mut p, t0, PROXY, options.as_bytes());
    assert!(sent[0].contains("Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY\r\n"), "{}", sent[0]);
}

fn registered_sim(options: RegistrarOptions) -> Sim {
    let mut sim =
        Sim::new(config(), Router::new(NatKind::None, false), Registrar { options, ..Default::default() });
    let now = sim.now;
    sim.phone.register_all(now);
    sim.run_for(Duration::from_secs(1));
    assert!(sim.registrar.bindings.contains_key("12345"));
    sim
}

fn with_line(name: &str, sync: &str) -> PhoneConfig {
    let mut c = config();
    c.lines[0].name = name.into();
    c.management.sync = sync.into();
    c
}

#[test]
fn resync_with_the_same_sync_changes_nothing() {
    let mut sim = registered_sim(RegistrarOptions::default());
    let sent = sim.phone_sent.len();
    let now = sim.now;
    assert!(!sim.phone.resync(now, with_line("55555", "1"), true), "sync 1 → 1");
    sim.run_for(Duration::from_secs(5));
    assert_eq!(sim.phone_sent.len(), sent, "nothing sent");
    assert_eq!(sim.phone.config().lines[0].name, "12345");
    assert!(sim.registrar.bindings.contains_key("12345"));
}

#[test]
fn resync_with_a_new_sync_unregisters_the_old_lines_and_registers_the_new_ones() {
    let mut sim = registered_sim(RegistrarOptions::default());
    let now = sim.now;
    assert!(sim.phone.resync(now, with_line("55555", "2"), true), "sync 1 → 2");
    assert!(sim.phone.reconfiguring(), "waits for the un-REGISTER");
    assert_eq!(sim.phone.config().lines[0].name, "12345");
    sim.run_for(Duration::from_secs(1));
    assert!(!sim.phone.reconfiguring());
    assert_eq!(sim.phone.config().management.sync, "2");
    assert!(!sim.registrar.bindings.contains_key("12345"), "the old line is gone");
    assert!(sim.registrar.bindings.contains_key("55555"), "the new line registered");
    let registers: Vec<String> = sim
        .phone_sent
        .iter()
        .filter(|(_, b)| b.starts_with(b"REGISTER"))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert_eq!(registers.len(), 3, "register, un-register, register the new line");
    assert!(registers[1].contains("\r\nExpires: 0\r\n") && registers[1].contains("To: <sip:12345@"));
    assert!(registers[2].contains("To: <sip:55555@"));
    // The same sync again: nothing more.
    let now = sim.now;
    assert!(!sim.phone.resync(now, with_line("66666", "2"), true));
}

#[test]
fn apply_config_without_register_leaves_the_new_lines_idle() {
    let mut sim = registered_sim(RegistrarOptions::default());
    let now = sim.now;
    sim.phone.apply_config(now, with_line("55555", "1"), false);
    sim.run_for(Duration::from_secs(2));
    assert_eq!(sim.phone.config().lines[0].name, "55555");
    assert!(sim.registrar.bindings.is_empty(), "{:?}", sim.registrar.bindings);
}

#[test]
fn an_unanswered_unregister_delays_the_new_config_until_it_times_out() {
    let mut sim = registered_sim(RegistrarOptions::default());
    sim.registrar.options.silent = true;
    let now = sim.now;
    assert!(sim.phone.resync(now, with_line("55555", "2"), true));
    sim.run_for(Duration::from_secs(31));
    assert!(sim.phone.reconfiguring(), "still waiting for the un-REGISTER (Timer F is 64·T1 = 32 s)");
    assert_eq!(sim.phone.config().lines[0].name, "12345");
    sim.run_for(Duration::from_secs(2));
    assert!(!sim.phone.reconfiguring());
    assert_eq!(sim.phone.config().lines[0].name, "55555");
    let last = sim.phone_sent.iter().rev().find(|(_, b)| b.starts_with(b"REGISTER")).expect("a REGISTER");
    assert!(String::from_utf8_lossy(&last.1).contains("To: <sip:55555@"), "the new line registers");
}
