//! Where a dial plan's decision sends the INVITE, on simulated time (sans-IO): the
//! Request-URI (rewritten number, `;user=phone`) and the next hop for each `Route` —
//! the outbound proxy for ordinary numbers, `proxy_emergency` directly for emergency
//! numbers (resolving a name first), a host of the plan, `user@host` with `Route="FQDN"`.

use sip7940::config::dialplan::{Dial, Route, UserMode};
use sip7940::config::{DialPlan, Host, PhoneConfig, Secret};
use sip7940::sip::message::{Datagram, parse_datagram};
use sip7940::ua::call::{CallState, EndReason};
use sip7940::ua::{Event, Output, Phone, ResolveRequest, Setup};
use std::net::SocketAddr;
use std::time::Instant;

const PLAN: &str = r#"<DIALTEMPLATE>
  <TEMPLATE MATCH="999" Timeout="0" User="Phone" Route="Emergency"/>
  <TEMPLATE MATCH="31." Timeout="0" User="Phone" Rewrite="11111111%s"/>
  <TEMPLATE MATCH="7*" Route="192.0.2.77:5070" Rewrite="%1"/>
  <TEMPLATE MATCH="8*" Route="FQDN" Rewrite="%1@192%.0%.2%.88"/>
  <TEMPLATE MATCH="*" Timeout="5"/>
</DIALTEMPLATE>"#;

fn config(emergency: Option<&str>) -> PhoneConfig {
    let mut c = PhoneConfig::default();
    c.proxies[0].address = Some(Host::parse("198.51.100.5").expect("host"));
    c.outbound_proxy.address = Some(Host::parse("198.51.100.6").expect("host"));
    c.proxy_emergency.address = emergency.map(|h| Host::parse(h).expect("host"));
    c.proxy_emergency.port = 5080;
    c.lines[0].name = "12345".into();
    c.lines[0].authname = "12345".into();
    c.lines[0].password = Secret::new("secret");
    c.network.my_ip_addr = Some("10.0.0.3".parse().expect("ip"));
    c
}

fn phone(emergency: Option<&str>) -> (Phone, Instant) {
    let now = Instant::now();
    let setup = Setup {
        local: "10.0.0.3:5060".parse().expect("addr"),
        seed: 7,
        mac: "000C30A97025".parse().ok(),
        my_ip: Some("10.0.0.3".parse().expect("ip")),
        epoch: now,
        unix_at_epoch: 1_795_505_393,
    };
    let mut phone = Phone::new(config(emergency), setup);
    phone.set_dial_plan(DialPlan::parse("dialplan.xml", PLAN.as_bytes()).expect("plan"));
    (phone, now)
}

/// Everything the phone puts out now: (destination, request line) of each transmit, name
/// look-ups and events.
fn drain(phone: &mut Phone) -> (Vec<(SocketAddr, String)>, Vec<ResolveRequest>, Vec<Event>) {
    let (mut sent, mut resolves, mut events) = (vec![], vec![], vec![]);
    while let Some(out) = phone.poll_output() {
        match out {
            Output::Transmit(t) => {
                let Ok(Datagram::Message(m)) = parse_datagram(&t.bytes) else { panic!("garbage") };
                let text = String::from_utf8_lossy(&t.bytes);
                let first = text.lines().next().unwrap_or_default().to_owned();
                assert!(m.is_request());
                sent.push((t.to, first));
            }
            Output::Resolve(r) => resolves.push(r),
            Output::Event(e) => events.push(e),
        }
    }
    (sent, resolves, events)
}

/// Dials `number` through the plan and returns where the INVITE went and its request line.
fn invite_for(phone: &mut Phone, now: Instant, number: &str) -> (SocketAddr, String) {
    let outcome = phone.dial_plan().apply(1, number);
    phone.call(now, 1, &outcome.dial, 16384).expect("call");
    let (sent, _, _) = drain(phone);
    let invites: Vec<_> = sent.into_iter().filter(|(_, l)| l.starts_with("INVITE ")).collect();
    assert_eq!(invites.len(), 1, "{invites:?}");
    invites.into_iter().next().expect("invite")
}

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("addr")
}

#[test]
fn a_rewritten_number_goes_through_the_outbound_proxy_with_user_phone() {
    let (mut p, now) = phone(Some("192.0.2.9"));
    let (to, line) = invite_for(&mut p, now, "312");
    assert_eq!(to, addr("198.51.100.6:5060"), "ordinary calls go to the outbound proxy");
    assert_eq!(line, "INVITE sip:11111111312@198.51.100.5;user=phone SIP/2.0");
    let (to, line) = invite_for(&mut p, now, "0123");
    assert_eq!((to, line.as_str()), (addr("198.51.100.6:5060"), "INVITE sip:0123@198.51.100.5 SIP/2.0"));
}

#[test]
fn an_emergency_number_goes_straight_to_proxy_emergency() {
    let (mut p, now) = phone(Some("192.0.2.9"));
    let (to, line) = invite_for(&mut p, now, "999");
    assert_eq!(to, addr("192.0.2.9:5080"), "never through the outbound proxy");
    assert_eq!(line, "INVITE sip:999@192.0.2.9:5080;user=phone SIP/2.0");
}

#[test]
fn an_emergency_proxy_name_is_resolved_first() {
    let (mut p, now) = phone(Some("emergency.example.org"));
    let id = p.call(now, 1, &p.dial_plan().apply(1, "999").dial, 16384).expect("call");
    let (sent, resolves, _) = drain(&mut p);
    assert!(sent.is_empty(), "nothing goes out before the name resolves: {sent:?}");
    assert_eq!(p.call_state(id), Some(&CallState::Calling));
    let r = resolves.into_iter().find(|r| r.host == "emergency.example.org").expect("a look-up");
    assert_eq!(r.port, 5080);
    p.handle_resolved(now, r.token, Ok((addr("192.0.2.99:5080"), "10.0.0.3".parse().expect("ip"))));
    let (sent, _, _) = drain(&mut p);
    let invite = sent.iter().find(|(_, l)| l.starts_with("INVITE")).expect("the INVITE");
    assert_eq!(invite.0, addr("192.0.2.99:5080"));
    assert_eq!(invite.1, "INVITE sip:999@emergency.example.org:5080;user=phone SIP/2.0");
}

#[test]
fn a_name_that_does_not_resolve_ends_the_call() {
    let (mut p, now) = phone(Some("emergency.example.org"));
    let id = p.call(now, 1, &p.dial_plan().apply(1, "112").dial, 16384).expect("call");
    // 112 is not in this plan: it goes the usual way.
    let (sent, _, _) = drain(&mut p);
    assert!(sent.iter().any(|(to, l)| *to == addr("198.51.100.6:5060") && l.starts_with("INVITE")));
    p.hangup(now, id);
    let id = p.call(now, 1, &p.dial_plan().apply(1, "999").dial, 16384).expect("call");
    let (_, resolves, _) = drain(&mut p);
    let r = resolves.into_iter().find(|r| r.host == "emergency.example.org").expect("a look-up");
    p.handle_resolved(now, r.token, Err("no such host".into()));
    let (sent, _, events) = drain(&mut p);
    assert!(sent.is_empty());
    let ended = events.iter().find_map(|e| match e {
        Event::Call { id: i, state: CallState::Ended(reason) } if *i == id => Some(reason.clone()),
        _ => None,
    });
    assert_eq!(ended, Some(EndReason::Setup("cannot resolve emergency.example.org: no such host".into())));
}

#[test]
fn hanging_up_while_resolving_cancels() {
    let (mut p, now) = phone(Some("emergency.example.org"));
    let id = p.call(now, 1, &p.dial_plan().apply(1, "999").dial, 16384).expect("call");
    let (_, resolves, _) = drain(&mut p);
    p.hangup(now, id);
    let (_, _, events) = drain(&mut p);
    assert!(events.iter().any(
        |e| matches!(e, Event::Call { id: i, state: CallState::Ended(EndReason::Cancelled) } if *i == id)
    ));
    // A late answer for the look-up sends nothing.
    let token = resolves.iter().find(|r| r.host == "emergency.example.org").expect("look-up").token;
    p.handle_resolved(now, token, Ok((addr("192.0.2.99:5080"), "10.0.0.3".parse().expect("ip"))));
    let (sent, _, _) = drain(&mut p);
    assert!(sent.is_empty(), "{sent:?}");
}

#[test]
fn without_proxy_emergency_an_emergency_call_takes_the_usual_route() {
    let (mut p, now) = phone(None);
    let (to, line) = invite_for(&mut p, now, "999");
    assert_eq!(to, addr("198.51.100.6:5060"));
    assert_eq!(line, "INVITE sip:999@198.51.100.5;user=phone SIP/2.0");
}

#[test]
fn a_host_route_and_an_fqdn_route() {
    let (mut p, now) = phone(None);
    let (to, line) = invite_for(&mut p, now, "7555");
    assert_eq!((to, line.as_str()), (addr("192.0.2.77:5070"), "INVITE sip:555@192.0.2.77:5070 SIP/2.0"));
    let (to, line) = invite_for(&mut p, now, "8444");
    assert_eq!((to, line.as_str()), (addr("192.0.2.88:5060"), "INVITE sip:444@192.0.2.88 SIP/2.0"));
}

#[test]
fn a_plain_dial_is_unchanged() {
    let (mut p, now) = phone(None);
    p.call(now, 1, &Dial::plain("sip:bob@example.org"), 16384).expect("call");
    let (sent, _, _) = drain(&mut p);
    assert!(
        sent.iter()
            .any(|(to, l)| *to == addr("198.51.100.6:5060") && l == "INVITE sip:bob@example.org SIP/2.0")
    );
    let d = Dial { number: "12".into(), user: Some(UserMode::Ip), route: Route::Default };
    p.call(now, 1, &d, 16386).expect("call");
    let (sent, _, _) = drain(&mut p);
    assert!(sent.iter().any(|(_, l)| l == "INVITE sip:12@198.51.100.5;user=ip SIP/2.0"), "{sent:?}");
    let bad = Dial { number: "1 2".into(), user: None, route: Route::Default };
    assert!(matches!(p.call(now, 1, &bad, 16388), Err(EndReason::Setup(_))));
}
