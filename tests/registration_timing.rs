//! The firmware's registration timing and rules, on simulated time (sans-IO): each test
//! runs hours of phone time in milliseconds.

#[path = "support/sim.rs"]
mod sim;

use sim::{NatKind, Registrar, RegistrarOptions, Router, Sim};
use sip7940::config::{Host, PhoneConfig};
use sip7940::ua::registration::{Binding, Failure, RegState, Snapshot};
use std::time::Duration;

fn config() -> PhoneConfig {
    let mut c = PhoneConfig::default();
    c.proxies[0].address = Some(Host::parse("198.51.100.5").expect("host"));
    c.registration.proxy_register = true;
    c.lines[0].name = "12345".into();
    c.network.my_ip_addr = Some("10.0.0.3".parse().expect("ip"));
    c
}

fn sim(options: RegistrarOptions) -> Sim {
    let mut sim =
        Sim::new(config(), Router::new(NatKind::None, false), Registrar { options, ..Default::default() });
    let now = sim.now;
    sim.phone.register_all(now);
    sim
}

fn line1(sim: &Sim) -> Snapshot {
    sim.phone.registrations(sim.now).into_iter().find(|s| s.binding == Binding::Line(1)).expect("line 1")
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The times (in whole seconds since the start) at which REGISTERs left the phone.
fn register_times(sim: &Sim, log: &[(u64, usize)]) -> Vec<u64> {
    let _ = sim;
    log.iter().map(|(t, _)| *t).collect()
}

/// Runs second by second, noting when the count of REGISTERs sent grows.
fn run_noting(sim: &mut Sim, seconds: u64) -> Vec<(u64, usize)> {
    let mut log = Vec::new();
    let mut seen = sim.phone_sent.iter().filter(|(_, b)| b.starts_with(b"REGISTER")).count();
    for _ in 0..seconds {
        sim.run_for(secs(1));
        let sent = sim.phone_sent.iter().filter(|(_, b)| b.starts_with(b"REGISTER")).count();
        if sent > seen {
            log.push((sim.elapsed().as_secs(), sent - seen));
            seen = sent;
        }
    }
    log
}

#[test]
fn refreshes_at_grant_minus_delta_keeping_call_id_and_tag() {
    let mut sim = sim(RegistrarOptions::default());
    sim.run_for(secs(1));
    let s = line1(&sim);
    assert_eq!(s.state, RegState::Registered);
    assert_eq!((s.granted, s.timer), (3600, 3595), "sh reg shows timer 3595 for a 3600 s grant");
    let log = run_noting(&mut sim, 3600);
    assert_eq!(register_times(&sim, &log), vec![3596], "the refresh left at 3595 s (+1 s of sampling)");
    let registers: Vec<String> = sim
        .phone_sent
        .iter()
        .filter(|(_, b)| b.starts_with(b"REGISTER"))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    let header = |m: &str, name: &str| m.lines().find(|l| l.starts_with(name)).map(str::to_owned);
    assert_eq!(header(&registers[0], "Call-ID"), header(&registers[1], "Call-ID"));
    assert_eq!(header(&registers[0], "From"), header(&registers[1], "From"));
    assert_eq!(header(&registers[0], "CSeq: 101"), Some("CSeq: 101 REGISTER".into()));
    assert_eq!(header(&registers[1], "CSeq: 102"), Some("CSeq: 102 REGISTER".into()));
    assert!(registers[0].contains("\r\nExpires: 3600\r\n") && registers[0].contains("\r\nDate: "));
    assert!(!registers[0].contains("rport"), "a 7940 never sends rport");
}

#[test]
fn a_grant_under_60_seconds_is_a_failure_retried_after_the_full_expiry() {
    let mut sim = sim(RegistrarOptions { max_grant: Some(30), ..Default::default() });
    sim.run_for(secs(2));
    let s = line1(&sim);
    assert_eq!(s.state, RegState::Failed);
    assert_eq!(s.last_failure, Some(Failure::GrantTooShort { granted: 30 }));
    assert!(sim.registrar.bindings.is_empty(), "the phone un-registered the short binding");
    let log = run_noting(&mut sim, 3700);
    assert_eq!(log.first().map(|(t, _)| *t), Some(3601), "retry after timer_register_expires");
}

#[test]
fn interval_too_brief_is_retried_with_min_expires() {
    let mut sim = sim(RegistrarOptions { min_expires: Some(7200), ..Default::default() });
    sim.run_for(secs(2));
    let s = line1(&sim);
    assert_eq!(s.state, RegState::Registered);
    assert_eq!(s.granted, 3600, "the grant is capped by timer_register_expires");
    let second = sim.phone_sent.iter().filter(|(_, b)| b.starts_with(b"REGISTER")).nth(1).expect("a retry");
    assert!(String::from_utf8_lossy(&second.1).contains("\r\nExpires: 7200\r\n"));
}

#[test]
fn our_contact_is_found_among_several() {
    let other = "sip:12345@192.0.2.99:5060";
    let mut sim = sim(RegistrarOptions { other_contact: Some((other, 90)), ..Default::default() });
    sim.run_for(secs(2));
    let s = line1(&sim);
    assert_eq!(s.granted, 3600, "the other device's expires=90 is not ours");
    assert_eq!(s.stored_contacts.len(), 2);
}

#[test]
fn a_dead_registrar_is_retried_with_growing_jittered_backoff() {
    let mut sim = sim(RegistrarOptions { silent: true, ..Default::default() });
    sim.run_for(secs(33));
    let s = line1(&sim);
    assert_eq!(s.state, RegState::Failed);
    assert!(matches!(s.last_failure, Some(Failure::Timeout { tries: 11, .. })), "{:?}", s.last_failure);
    // Each attempt is a transaction of 11 sends; look at when attempts start.
    let via_of = |sim: &Sim| {
        sim.phone_sent.iter().rev().find(|(_, b)| b.starts_with(b"REGISTER")).map(|(_, b)| {
            String::from_utf8_lossy(b).lines().find(|l| l.starts_with("Via")).unwrap_or("").to_owned()
        })
    };
    let starts: Vec<u64> = {
        let mut last_branch = via_of(&sim).unwrap_or_default();
        let mut t = vec![0];
        for _ in 0..400 {
            sim.run_for(secs(1));
            if let Some((_, b)) = sim.phone_sent.iter().rev().find(|(_, b)| b.starts_with(b"REGISTER")) {
                let text = String::from_utf8_lossy(b);
                let branch = text.lines().find(|l| l.starts_with("Via")).unwrap_or("").to_owned();
                if branch != last_branch {
                    t.push(sim.elapsed().as_secs());
                    last_branch = branch;
                }
            }
        }
        t
    };
    // Gaps between the end of one attempt (start + 32 s) and the next start.
    let gaps: Vec<u64> = starts.windows(2).map(|w| w[1] - w[0] - 32).collect();
    assert!(gaps.len() >= 3, "{starts:?}");
    assert!((15..=31).contains(&gaps[0]), "first retry 30 s x U(0.5, 1): {gaps:?}");
    assert!((30..=61).contains(&gaps[1]), "then 60 s x U(0.5, 1): {gaps:?}");
    assert!((60..=121).contains(&gaps[2]), "then 120 s x U(0.5, 1): {gaps:?}");
}

#[test]
fn registration_completes_over_30_percent_loss_each_way() {
    let mut done = 0;
    for seed in 0..20u64 {
        let mut s = sim(RegistrarOptions::default());
        s.loss_percent = 30;
        for _ in 0..seed {
            s.run_for(Duration::from_millis(1));
        }
        s.run_for(secs(600));
        if line1(&s).state == RegState::Registered {
            done += 1;
        }
        assert!(s.lost > 0);
    }
    assert_eq!(done, 20, "retransmissions and retries get every line registered");
}
