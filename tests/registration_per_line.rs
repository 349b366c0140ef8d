//! The console's `reg 0 N` / `reg 1 N` / `reg 1 backup` on simulated time (sans-IO):
//! `Phone::set_registered` un-registers and registers one row and leaves the others alone.

#[path = "support/sim.rs"]
mod sim;

use sim::{NatKind, Registrar, Router, Sim};
use sip7940::config::{Host, PhoneConfig};
use sip7940::ua::registration::{Binding, RegState};
use std::time::Duration;

fn two_lines() -> Sim {
    let mut c = PhoneConfig::default();
    c.proxies[0].address = Some(Host::parse("198.51.100.5").expect("host"));
    c.registration.proxy_register = true;
    c.lines[0].name = "12345".into();
    c.lines[1].name = "23456".into();
    c.network.my_ip_addr = Some("10.0.0.3".parse().expect("ip"));
    let mut sim = Sim::new(c, Router::new(NatKind::None, false), Registrar::default());
    let now = sim.now;
    sim.phone.register_all(now);
    sim.run_for(Duration::from_secs(1));
    sim
}

fn state(sim: &Sim, binding: Binding) -> RegState {
    sim.phone.registrations(sim.now).into_iter().find(|s| s.binding == binding).expect("row").state
}

fn expires_zero_sent(sim: &Sim) -> usize {
    sim.phone_sent
        .iter()
        .filter(|(_, b)| {
            b.starts_with(b"REGISTER") && String::from_utf8_lossy(b).contains("\r\nExpires: 0\r\n")
        })
        .count()
}

#[test]
fn reg_0_then_reg_1_moves_one_line_only() {
    let mut sim = two_lines();
    assert_eq!(state(&sim, Binding::Line(1)), RegState::Registered);
    assert_eq!(state(&sim, Binding::Line(2)), RegState::Registered);
    assert_eq!(sim.registrar.bindings.len(), 2);

    let now = sim.now;
    assert!(sim.phone.set_registered(now, Binding::Line(1), false));
    assert_eq!(state(&sim, Binding::Line(1)), RegState::Unregistering);
    sim.run_for(Duration::from_secs(1));
    assert_eq!(state(&sim, Binding::Line(1)), RegState::Unregistered);
    assert_eq!(state(&sim, Binding::Line(2)), RegState::Registered, "line 2 untouched");
    assert_eq!(expires_zero_sent(&sim), 1);
    assert!(!sim.registrar.bindings.contains_key("12345"), "the registrar forgot line 1");
    assert!(sim.registrar.bindings.contains_key("23456"));

    // An un-registered line stays down: no refresh brings it back.
    sim.run_for(Duration::from_secs(600));
    assert_eq!(state(&sim, Binding::Line(1)), RegState::Unregistered);
    assert!(!sim.registrar.bindings.contains_key("12345"));

    let now = sim.now;
    assert!(sim.phone.set_registered(now, Binding::Line(1), true));
    sim.run_for(Duration::from_secs(1));
    assert_eq!(state(&sim, Binding::Line(1)), RegState::Registered);
    assert!(sim.registrar.bindings.contains_key("12345"));
}

#[test]
fn rows_that_do_not_exist_are_refused() {
    let mut sim = two_lines();
    let now = sim.now;
    let sent = sim.phone_sent.len();
    assert!(!sim.phone.set_registered(now, Binding::Line(3), true), "line 3 is not provisioned");
    assert!(!sim.phone.set_registered(now, Binding::Backup, true), "no proxy_backup");
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.phone_sent.len(), sent, "nothing was sent");
}
