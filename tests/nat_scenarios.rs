//! The 7940's NAT rules under simulated routers (sans-IO, simulated time).
//!
//! For a 1:1 static NAT, a port-rewriting PAT and a SIP ALG, each with the seed's
//! "dumb firewall" and "smart firewall" recipes, both NAT switches off, and NAT in two
//! places, the tests assert the Contact the registrar stores and whether an inbound
//! request (the probe's OPTIONS through the proxy) reaches the phone.

#[path = "support/sim.rs"]
mod sim;

use sim::{NatKind, PUBLIC_IP, Registrar, RegistrarOptions, Router, Sim};
use sip7940::cli::diagnose::inbound_line;
use sip7940::config::{Host, PhoneConfig};
use sip7940::ua::ProbeResult;
use sip7940::ua::registration::{Binding, RegState};
use std::time::Duration;

/// The NAT settings of the seed's recipes.
#[derive(Debug, Clone, Copy)]
enum Recipe {
    /// nat_enable 0, nat_received_processing 0, no nat_address.
    BothOff,
    /// "Dumb firewall": nat_enable 0 with the public nat_address (ignored by the firmware).
    Dumb,
    /// "Smart firewall": nat_enable 1, nat_address "", nat_received_processing 1.
    Smart,
    /// nat_enable 1 with the fixed public nat_address.
    Fixed,
    /// The sip7940 extension: nat_rport 1.
    Rport,
}

fn config(recipe: Recipe) -> PhoneConfig {
    let mut c = PhoneConfig::default();
    c.proxies[0].address = Some(Host::parse("198.51.100.5").expect("host"));
    c.registration.proxy_register = true;
    c.lines[0].name = "12345".into();
    c.lines[0].authname = "12345".into();
    c.network.my_ip_addr = Some("10.0.0.3".parse().expect("ip"));
    let public = Some(Host::parse(PUBLIC_IP).expect("host"));
    match recipe {
        Recipe::BothOff => {}
        Recipe::Dumb => c.nat.address = public,
        Recipe::Smart => {
            c.nat.enable = true;
            c.nat.received_processing = true;
        }
        Recipe::Fixed => {
            c.nat.enable = true;
            c.nat.address = public;
        }
        Recipe::Rport => c.nat.rport = true,
    }
    c
}

struct Outcome {
    registered: bool,
    stored: Option<String>,
    inbound: ProbeResult,
    /// What `register --check-inbound` would say.
    diagnosis: String,
}

fn run(kind: NatKind, alg: bool, recipe: Recipe, options: RegistrarOptions) -> Outcome {
    let mut sim =
        Sim::new(config(recipe), Router::new(kind, alg), Registrar { options, ..Default::default() });
    let now = sim.now;
    sim.phone.register_all(now);
    sim.run_for(Duration::from_secs(40));
    let snap = sim.phone.registrations(sim.now).into_iter().find(|s| s.binding == Binding::Line(1));
    let registered = snap.as_ref().is_some_and(|s| s.state == RegState::Registered);
    let stored = sim.registrar.bindings.get("12345").map(|(_, uri)| uri.clone());
    let now = sim.now;
    let probe = sim.phone.check_inbound(now, Binding::Line(1));
    sim.run_for(Duration::from_secs(40));
    let inbound = probe.map_or(ProbeResult::Pending, |p| sim.phone.probe_result(p));
    let diagnosis = snap.map(|s| inbound_line(&s, &inbound, sim.phone.config())).unwrap_or_default();
    Outcome { registered, stored, inbound, diagnosis }
}

fn plain() -> RegistrarOptions {
    RegistrarOptions::default()
}

fn contact_host(o: &Outcome) -> String {
    o.stored
        .as_deref()
        .unwrap_or("")
        .split('@')
        .nth(1)
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .to_owned()
}

#[test]
fn no_nat_registers_and_is_reachable() {
    let o = run(NatKind::None, false, Recipe::BothOff, plain());
    assert!(o.registered);
    assert_eq!(contact_host(&o), "10.0.0.3:5060");
    assert_eq!(o.inbound, ProbeResult::Reached);
    assert!(o.diagnosis.contains("line 1 reachable"), "{}", o.diagnosis);
}

#[test]
fn static_nat_both_off_stores_the_private_address_and_inbound_fails() {
    let o = run(NatKind::Static, false, Recipe::BothOff, plain());
    assert!(o.registered, "outbound works: the registrar answers the public address");
    assert_eq!(contact_host(&o), "10.0.0.3:5060");
    assert_ne!(o.inbound, ProbeResult::Reached);
    assert!(o.diagnosis.contains("NOT reachable"), "{}", o.diagnosis);
    assert!(
        o.diagnosis.contains("a private address; set nat_enable : 1 and nat_received_processing : 1"),
        "{}",
        o.diagnosis
    );
}

#[test]
fn static_nat_dumb_recipe_without_alg_is_the_seeds_failure() {
    // nat_address is ignored while nat_enable is 0: same as both off.
    let o = run(NatKind::Static, false, Recipe::Dumb, plain());
    assert!(o.registered, "the phone says REGISTERED …");
    assert_eq!(contact_host(&o), "10.0.0.3:5060");
    assert_ne!(o.inbound, ProbeResult::Reached, "… and inbound calls never arrive");
    assert!(o.diagnosis.contains("or let the router's SIP ALG rewrite it, not both"), "{}", o.diagnosis);
}

#[test]
fn static_nat_dumb_recipe_works_only_through_the_alg() {
    let o = run(NatKind::Static, true, Recipe::Dumb, plain());
    assert!(o.registered);
    assert_eq!(contact_host(&o), format!("{PUBLIC_IP}:5060"));
    assert_eq!(o.inbound, ProbeResult::Reached);
}

#[test]
fn static_nat_smart_recipe_adopts_received_and_is_reachable() {
    let o = run(NatKind::Static, false, Recipe::Smart, plain());
    assert!(o.registered);
    assert_eq!(contact_host(&o), format!("{PUBLIC_IP}:5060"));
    assert_eq!(o.inbound, ProbeResult::Reached);
}

#[test]
fn static_nat_fixed_address_is_reachable() {
    let o = run(NatKind::Static, false, Recipe::Fixed, plain());
    assert!(o.registered);
    assert_eq!(contact_host(&o), format!("{PUBLIC_IP}:5060"));
    assert_eq!(o.inbound, ProbeResult::Reached);
}

#[test]
fn pat_without_rport_loses_the_responses() {
    // The 7940 never sends rport: responses go to the public IP at port 5060, which the
    // PAT has no mapping for.
    let o = run(NatKind::Pat, false, Recipe::Smart, plain());
    assert!(!o.registered);
}

#[test]
fn pat_with_a_registrar_forcing_rport_registers_but_stays_unreachable() {
    let o = run(NatKind::Pat, false, Recipe::Smart, RegistrarOptions { force_rport: true, ..plain() });
    assert!(o.registered);
    assert_eq!(contact_host(&o), format!("{PUBLIC_IP}:5060"), "the IP is adopted, never the port");
    assert_ne!(o.inbound, ProbeResult::Reached, "nothing is mapped at public port 5060");
    assert!(o.diagnosis.contains("a NAT rewrites the port; set nat_rport : 1"), "{}", o.diagnosis);
}

#[test]
fn pat_with_the_rport_extension_learns_ip_and_port_and_is_reachable() {
    let o = run(NatKind::Pat, false, Recipe::Rport, plain());
    assert!(o.registered);
    assert!(contact_host(&o).starts_with(&format!("{PUBLIC_IP}:4")), "{:?}", o.stored);
    assert_eq!(o.inbound, ProbeResult::Reached);
}

#[test]
fn pat_with_alg_and_both_off_works_through_the_alg() {
    let o = run(NatKind::Pat, true, Recipe::BothOff, RegistrarOptions { force_rport: true, ..plain() });
    assert!(o.registered);
    assert!(
        contact_host(&o).starts_with(&format!("{PUBLIC_IP}:4")),
        "the ALG wrote the mapped port: {:?}",
        o.stored
    );
    assert_eq!(o.inbound, ProbeResult::Reached);
}

#[test]
fn nat_in_two_places_breaks_inbound() {
    // The phone advertises the public IP with port 5060 itself; the ALG leaves a public
    // address alone, the PAT mapped another port: the registrar stores a dead address.
    let o = run(NatKind::Pat, true, Recipe::Fixed, RegistrarOptions { force_rport: true, ..plain() });
    assert!(o.registered);
    assert_eq!(contact_host(&o), format!("{PUBLIC_IP}:5060"));
    assert_ne!(o.inbound, ProbeResult::Reached);
    assert!(o.diagnosis.contains("don't NAT in two places"), "{}", o.diagnosis);
}

#[test]
fn a_registrar_fixing_nated_contacts_rescues_the_private_contact() {
    let o = run(
        NatKind::Pat,
        false,
        Recipe::BothOff,
        RegistrarOptions { force_rport: true, fix_nated_contact: true, ..plain() },
    );
    assert!(o.registered);
    assert_eq!(o.inbound, ProbeResult::Reached);
}
