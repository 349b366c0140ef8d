//! The 7940's call features on simulated time, with three phones and the demo registrar
//! (`support/world.rs`): forward-all (302, followed by the caller, loops refused), Do Not
//! Disturb, anonymous call block and caller-ID blocking, call waiting with swap, and
//! blind transfer with REFER both ways.

#[path = "support/world.rs"]
mod world;

use sip7940::config::value::Feature;
use sip7940::ua::Event;
use sip7940::ua::call::{CallState, EndReason};
use sip7940::ua::session::Hold;
use sip7940::ua::transfer::TransferProgress;
use std::time::Duration;
use world::{Filter, World, phone_addr, phone_config, registrar_addr, rtp_port};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Waits until the transferor (phone 1) reports its transfer failed, for `reason`.
fn assert_transfer_failed(w: &mut World, reason: &str) {
    let failed = |w: &World| matches!(w.transfer_events(1).last(), Some(TransferProgress::Failed { .. }));
    assert!(w.run_until(failed, secs(5)), "{}", w.trace());
    assert_eq!(w.transfer_events(1).last(), Some(&TransferProgress::Failed { reason: reason.into() }));
}

fn rang(w: &World, i: usize) -> bool {
    w.events(i).iter().any(|(_, e)| matches!(e, Event::IncomingCall { .. }))
}

fn screened(w: &World, i: usize) -> Vec<(u16, String)> {
    w.events(i)
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Screened { code, reason, .. } => Some((*code, reason.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn forward_all_answers_302_and_the_caller_follows_it() {
    let mut w = World::three(1, |c| c.features.cfwd_url = "34567".into());
    let a = w.dial(0, "23456");
    assert!(w.run_until(|w| w.incoming(2).is_some(), secs(5)), "{}", w.trace());
    assert!(!rang(&w, 1), "a forwarding phone never rings");
    let moved = w.sent(&Filter::response(302, "INVITE").from(phone_addr(1)));
    assert_eq!(moved.len(), 1, "{}", w.trace());
    assert!(moved[0].text().contains("Contact: <sip:34567@198.51.100.5"), "{}", moved[0].text());
    assert_eq!(screened(&w, 1)[0].0, 302);
    let c = w.incoming(2).expect("the target rings");
    w.answer(2, c);
    assert!(w.run_until(|w| w.state(0, a) == Some(CallState::Connected), secs(5)), "{}", w.trace());
    assert_eq!(w.states(0, a)[0], CallState::Proceeding(302));
    // The second INVITE keeps the Call-ID and asks for the new target.
    let invites = w.sent(&Filter::request("INVITE").from(phone_addr(0)));
    let last = invites.last().expect("INVITE").text();
    assert!(last.starts_with("INVITE sip:34567@198.51.100.5"), "{last}");
    let call_id = |t: &str| t.lines().find(|l| l.starts_with("Call-ID")).map(str::to_owned);
    assert_eq!(call_id(&invites[0].text()), call_id(&last));

    // Forwarding off at runtime: the phone rings again.
    assert_eq!(w.phone(1).set_forward(None), Ok(None));
    w.hangup(0, a);
    let b = w.dial(0, "23456");
    assert!(w.run_until(|w| w.state(0, b) == Some(CallState::Ringing), secs(5)), "{}", w.trace());
    assert!(rang(&w, 1));
    // And on again, to a full URI.
    let uri = w.phone(1).set_forward(Some("sip:45678@198.51.100.5")).expect("forward");
    assert_eq!(uri.as_deref(), Some("sip:45678@198.51.100.5"));
    assert_eq!(w.phone_ref(1).forward().as_deref(), Some("sip:45678@198.51.100.5"));
}

#[test]
fn forward_loops_and_local_cfwd_enable_0() {
    // 1 forwards to 2 and 2 back to 1: the caller does not go round.
    let mut w = World::new(2);
    w.add_phone(phone_config(0));
    let mut c1 = phone_config(1);
    c1.features.cfwd_url = "34567".into();
    w.add_phone(c1);
    let mut c2 = phone_config(2);
    c2.features.cfwd_url = "23456".into();
    w.add_phone(c2);
    assert!(w.register_all(secs(10)), "{}", w.trace());
    let a = w.dial(0, "23456");
    assert!(w.run_until(|w| matches!(w.state(0, a), Some(CallState::Ended(_))), secs(10)), "{}", w.trace());
    match w.state(0, a) {
        Some(CallState::Ended(EndReason::Status { code: 302, .. })) => {}
        other => panic!("{other:?}\n{}", w.trace()),
    }
    assert_eq!(w.sent(&Filter::response(302, "INVITE").from(phone_addr(1))).len(), 1, "{}", w.trace());
    assert_eq!(w.sent(&Filter::response(302, "INVITE").from(phone_addr(2))).len(), 1, "{}", w.trace());

    // local_cfwd_enable : 0 leaves forwarding to the proxy: the phone rings, and refuses
    // a runtime forward.
    let mut w = World::three(3, |c| {
        c.features.cfwd_url = "34567".into();
        c.features.local_cfwd_enable = false;
    });
    assert!(w.phone(1).set_forward(Some("34567")).is_err());
    assert_eq!(w.phone_ref(1).forward(), None);
    w.dial(0, "23456");
    assert!(w.run_until(|w| rang(w, 1), secs(5)), "{}", w.trace());
}

#[test]
fn do_not_disturb_refuses_with_486_and_respects_forced_values() {
    let mut w = World::three(4, |_| {});
    assert!(!w.phone_ref(1).dnd());
    w.phone(1).set_dnd(true).expect("dnd_control 0 may be toggled");
    let a = w.dial(0, "23456");
    assert!(w.run_until(|w| matches!(w.state(0, a), Some(CallState::Ended(_))), secs(5)), "{}", w.trace());
    assert!(matches!(w.state(0, a), Some(CallState::Ended(EndReason::Status { code: 486, .. }))));
    assert!(!rang(&w, 1));
    assert_eq!(screened(&w, 1), [(486, "do not disturb".to_owned())]);
    w.phone(1).set_dnd(false).expect("toggle back");
    w.dial(0, "23456");
    assert!(w.run_until(|w| rang(w, 1), secs(5)), "{}", w.trace());

    // 3: always on, the user cannot turn it off; 2: always off.
    let mut w = World::three(5, |c| c.features.dnd_control = Feature::AlwaysOn);
    assert!(w.phone_ref(1).dnd());
    let err = w.phone(1).set_dnd(false).unwrap_err();
    assert_eq!(err.to_string(), "dnd_control is always on (dnd_control : 3)");
    let a = w.dial(0, "23456");
    assert!(w.run_until(|w| matches!(w.state(0, a), Some(CallState::Ended(_))), secs(5)));
    assert!(!rang(&w, 1));
    let mut w = World::three(6, |c| c.features.dnd_control = Feature::AlwaysOff);
    assert!(w.phone(1).set_dnd(true).is_err());
    assert!(!w.phone_ref(1).dnd());
}

#[test]
fn callerid_blocking_and_anonymous_call_block() {
    let mut w = World::new(7);
    let mut c0 = phone_config(0);
    c0.features.callerid_blocking = Feature::On;
    w.add_phone(c0);
    let mut c1 = phone_config(1);
    c1.features.anonymous_call_block = Feature::On;
    w.add_phone(c1);
    assert!(w.register_all(secs(10)), "{}", w.trace());
    let a = w.dial(0, "23456");
    assert!(w.run_until(|w| matches!(w.state(0, a), Some(CallState::Ended(_))), secs(5)), "{}", w.trace());
    assert!(
        matches!(w.state(0, a), Some(CallState::Ended(EndReason::Status { code: 433, .. }))),
        "{:?}\n{}",
        w.state(0, a),
        w.trace()
    );
    assert!(!rang(&w, 1));
    // What the blocked caller sent: the address kept (the proxy authenticated it), the
    // name hidden, Privacy: id.
    let invite = w.sent(&Filter::request("INVITE").to(phone_addr(1)))[0].text();
    assert!(invite.contains("From: \"Anonymous\" <sip:12345@198.51.100.5"), "{invite}");
    assert!(invite.contains("Privacy: id"), "{invite}");

    // The callee unblocks; the call rings and shows Anonymous.
    w.phone(1).set_anonymous_call_block(false).expect("toggle");
    w.dial(0, "23456");
    assert!(w.run_until(|w| rang(w, 1), secs(5)), "{}", w.trace());
    let caller = w.events(1).iter().find_map(|(_, e)| match e {
        Event::IncomingCall { caller, .. } => Some(caller.clone()),
        _ => None,
    });
    assert!(caller.is_some_and(|c| c.starts_with("\"Anonymous\"")));

    // The caller turns blocking off: its name is back and no Privacy header goes out.
    w.phone(0).set_callerid_blocking(false).expect("toggle");
    assert!(!w.phone_ref(0).callerid_blocking());
    w.dial(0, "23456");
    w.run_for(secs(2));
    let invite = w.sent(&Filter::request("INVITE").to(phone_addr(1))).last().expect("INVITE").text();
    assert!(invite.contains("From: \"12345\" <sip:12345@"), "{invite}");
    assert!(!invite.contains("Privacy"), "{invite}");
}

#[test]
fn call_waiting_rings_answering_holds_the_first_and_swap_moves_between_them() {
    let mut w = World::three(8, |_| {});
    let (a0, a1) = w.connect(0, "23456", 1);
    let c = w.dial(2, "23456");
    assert!(w.run_until(|w| w.incoming(1) != Some(a1), secs(5)), "{}", w.trace());
    let waiting = w.events(1).iter().rev().find_map(|(_, e)| match e {
        Event::IncomingCall { id, waiting, .. } => Some((*id, *waiting)),
        _ => None,
    });
    let (b1, true) = waiting.expect("a second call rings") else { panic!("not marked waiting") };
    w.answer(1, b1);
    assert!(
        w.run_until(
            |w| w.state(2, c) == Some(CallState::Connected)
                && w.state(1, a1) == Some(CallState::Held(Hold::Local))
                && w.state(0, a0) == Some(CallState::Held(Hold::Remote)),
            secs(5)
        ),
        "{}",
        w.trace()
    );
    let now = w.now();
    assert!(w.phone(1).swap(now, b1, a1));
    assert!(
        w.run_until(
            |w| w.state(1, b1) == Some(CallState::Held(Hold::Local))
                && w.state(1, a1) == Some(CallState::Connected)
                && w.state(0, a0) == Some(CallState::Connected),
            secs(5)
        ),
        "{}",
        w.trace()
    );
    let now = w.now();
    assert!(!w.phone(1).swap(now, a1, a1), "a call cannot swap with itself");

    // call_waiting : 0 — busy.
    let mut w = World::three(9, |c| c.features.call_waiting = false);
    w.connect(0, "23456", 1);
    let c = w.dial(2, "23456");
    assert!(w.run_until(|w| matches!(w.state(2, c), Some(CallState::Ended(_))), secs(5)));
    assert!(matches!(w.state(2, c), Some(CallState::Ended(EndReason::Status { code: 486, .. }))));
}

#[test]
fn blind_transfer_with_refer_both_ways() {
    // 0 calls 1; 1 transfers 0 to 2 (phone 1 is the transferor, phone 0 the transferee).
    let mut w = World::three(10, |_| {});
    let (a0, a1) = w.connect(0, "23456", 1);
    let now = w.now();
    let uri = w.phone(1).transfer(now, a1, "34567").expect("REFER");
    assert!(uri.starts_with("sip:34567@198.51.100.5"), "{uri}");
    assert!(w.run_until(|w| !w.transfer_events(0).is_empty(), secs(2)), "{}", w.trace());
    let TransferProgress::Asked { target, attended: false } = &w.transfer_events(0)[0] else {
        panic!("{:?}", w.transfer_events(0))
    };
    assert_eq!(*target, uri);
    let now = w.now();
    let new = w.phone(0).follow_transfer(now, a0, rtp_port(0) + 10).expect("follow");
    assert!(w.run_until(|w| w.incoming(2).is_some(), secs(5)), "{}", w.trace());
    let c = w.incoming(2).expect("the target rings");
    w.answer(2, c);
    assert!(
        w.run_until(
            |w| w.state(0, new) == Some(CallState::Connected)
                && matches!(w.state(0, a0), Some(CallState::Ended(EndReason::Remote)))
                && matches!(w.state(1, a1), Some(CallState::Ended(EndReason::Local))),
            secs(10)
        ),
        "{}",
        w.trace()
    );
    assert_eq!(w.state(2, c), Some(CallState::Connected));
    let ours = w.transfer_events(1);
    assert_eq!(ours.first(), Some(&TransferProgress::Referred { target: uri.clone() }));
    assert!(ours.contains(&TransferProgress::Accepted), "{ours:?}");
    assert!(ours.contains(&TransferProgress::Status(100)), "{ours:?}");
    assert_eq!(ours.last(), Some(&TransferProgress::Succeeded));
    assert_eq!(w.transfer_events(0)[1], TransferProgress::Placed { call: new });
    // On the wire: REFER answered 202, NOTIFYs with sipfrag answered 200, the last one 200 OK.
    assert_eq!(w.sent(&Filter::response(202, "REFER").from(phone_addr(0))).len(), 1, "{}", w.trace());
    let notifies = w.sent(&Filter::request("NOTIFY").from(phone_addr(0)));
    let texts: Vec<String> = notifies.iter().map(|n| n.text()).collect();
    assert!(
        texts[0].contains("Event: refer") && texts[0].ends_with("SIP/2.0 100 Trying\r\n"),
        "{}",
        texts[0]
    );
    assert!(texts.iter().any(|t| t.contains("Content-Type: message/sipfrag")));
    let last = texts.last().expect("NOTIFY");
    assert!(
        last.ends_with("SIP/2.0 200 OK\r\n") && last.contains("Subscription-State: terminated"),
        "{last}"
    );
    assert_eq!(
        w.sent(&Filter::response(200, "NOTIFY").from(phone_addr(1))).len(),
        notifies.len(),
        "{}",
        w.trace()
    );
    // The REFER went through the proxy like any in-dialog request.
    let refer = w.sent(&Filter::request("REFER").from(phone_addr(1)));
    assert_eq!(refer[0].to, registrar_addr());
    assert!(refer[0].text().contains("Referred-By: <sip:23456@198.51.100.5>\r\n"), "{}", refer[0].text());
    assert!(refer[0].text().contains("Refer-To: <sip:34567@198.51.100.5>\r\n"), "{}", refer[0].text());
}

#[test]
fn a_failed_transfer_leaves_the_call_up() {
    let mut w = World::three(11, |_| {});
    let (a0, a1) = w.connect(0, "23456", 1);
    let now = w.now();
    w.phone(1).transfer(now, a1, "34567").expect("REFER");
    assert_eq!(w.phone(1).transfer(now, a1, "34567"), Err(sip7940::ua::transfer::TransferError::InProgress));
    assert!(w.run_until(|w| !w.transfer_events(0).is_empty(), secs(2)));
    let now = w.now();
    w.phone(0).follow_transfer(now, a0, rtp_port(0) + 10).expect("follow");
    assert!(w.run_until(|w| w.incoming(2).is_some(), secs(5)), "{}", w.trace());
    let c = w.incoming(2).expect("rings");
    w.reject(2, c, 486);
    assert_transfer_failed(&mut w, "486 Busy Here");
    w.run_for(secs(6));
    assert_eq!(w.state(0, a0), Some(CallState::Connected), "{}", w.trace());
    assert_eq!(w.state(1, a1), Some(CallState::Connected));

    // Declined by the transferee: 603 in the NOTIFY, the call stays.
    let now = w.now();
    w.phone(1).transfer(now, a1, "34567").expect("REFER again");
    assert!(w.run_until(|w| w.transfer_events(0).len() >= 4, secs(2)), "{:?}", w.transfer_events(0));
    let now = w.now();
    w.phone(0).decline_transfer(now, a0).expect("decline");
    assert_transfer_failed(&mut w, "603 Declined");
    w.run_for(secs(6));
    assert_eq!(w.state(1, a1), Some(CallState::Connected));
}
