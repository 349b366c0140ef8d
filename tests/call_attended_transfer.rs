//! Attended and semi-attended transfer on simulated time, with three phones and the demo
//! registrar (`support/world.rs`): phone 1 is the transferor, phone 0 the transferee and
//! phone 2 the target. The REFER carries `Replaces` in its Refer-To, the transferee's
//! INVITE carries it as a header, and the target swaps the calls without ringing.

#[path = "support/world.rs"]
mod world;

use sip7940::ua::Event;
use sip7940::ua::call::{CallId, CallState, EndReason};
use sip7940::ua::transfer::{TransferError, TransferProgress};
use std::time::Duration;
use world::{Filter, World, phone_addr, rtp_port};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The call that phone `i` was offered last, and the call it replaces.
fn offered(w: &World, i: usize) -> Option<(CallId, Option<CallId>)> {
    w.events(i).iter().rev().find_map(|(_, e)| match e {
        Event::IncomingCall { id, replaces, .. } => Some((*id, *replaces)),
        _ => None,
    })
}

fn ended(state: Option<CallState>) -> bool {
    matches!(state, Some(CallState::Ended(_)))
}

#[test]
fn attended_transfer_replaces_the_consultation_call_at_the_target() {
    let mut w = World::three(21, |_| {});
    // 0 calls 1; 1 holds it and calls 2 (the consultation); both answered.
    let (a0, a1) = w.connect(0, "23456", 1);
    w.hold(1, a1);
    let (b1, b2) = w.connect(1, "34567", 2);
    let now = w.now();
    let refer_to = w.phone(1).transfer_attended(now, a1, b1).expect("REFER");
    assert!(refer_to.starts_with("sip:34567@") && refer_to.contains("?Replaces="), "{refer_to}");
    assert_eq!(w.phone(1).transfer_attended(now, a1, b1), Err(TransferError::InProgress));

    assert!(w.run_until(|w| !w.transfer_events(0).is_empty(), secs(2)), "{}", w.trace());
    let asked = w.transfer_events(0)[0].clone();
    let TransferProgress::Asked { target, attended: true } = asked else { panic!("{asked:?}") };
    assert!(target.starts_with("sip:34567@") && !target.contains('?'), "{target}");
    let now = w.now();
    let new0 = w.phone(0).follow_transfer(now, a0, rtp_port(0) + 10).expect("follow");

    // The target is offered a call that replaces b2: it answers at once (the app's job).
    assert!(w.run_until(|w| offered(w, 2).is_some_and(|(id, _)| id != b2), secs(5)), "{}", w.trace());
    let (new2, replaces) = offered(&w, 2).expect("offered");
    assert_eq!(replaces, Some(b2));
    w.answer(2, new2);
    let done = |w: &World| {
        w.state(0, new0) == Some(CallState::Connected)
            && [w.state(0, a0), w.state(1, a1), w.state(1, b1), w.state(2, b2)].into_iter().all(ended)
    };
    assert!(w.run_until(done, secs(10)), "{}", w.trace());
    assert_eq!(w.state(2, new2), Some(CallState::Connected));
    assert_eq!(
        w.state(2, b2),
        Some(CallState::Ended(EndReason::Local)),
        "the target ended the call it replaced"
    );
    assert_eq!(w.state(0, a0), Some(CallState::Ended(EndReason::Remote)));
    assert_eq!(w.transfer_events(1).last(), Some(&TransferProgress::Succeeded));

    // On the wire: the Refer-To's embedded Replaces names b as the target sees it (its
    // own tag as to-tag), and the transferee's INVITE carries it decoded.
    let refer = w.sent(&Filter::request("REFER").from(phone_addr(1)));
    let refer = refer[0].text();
    assert!(refer.contains("?Replaces=") && refer.contains("%3Bto-tag%3D"), "{refer}");
    let invites = w.sent(&Filter::request("INVITE").from(phone_addr(0)));
    let invite = invites.last().expect("the transferee's INVITE").text();
    let replaces =
        invite.lines().find(|l| l.starts_with("Replaces: ")).expect("a Replaces header").to_owned();
    let b_call_id = w.phone_ref(2).sip_call_id(b2).expect("b's Call-ID").to_owned();
    assert!(replaces.starts_with(&format!("Replaces: {b_call_id};to-tag=")), "{replaces}");
    assert!(invite.contains("Referred-By: "), "{invite}");
    // The target never rang for it (no 180 for the replacing INVITE).
    let rang = w.sent(&Filter::response(180, "INVITE").from(phone_addr(2)));
    assert_eq!(rang.len(), 1, "only the consultation call rang at the target");
}

#[test]
fn semi_attended_transfer_cancels_the_ringing_consultation_and_refers_blind() {
    let mut w = World::three(22, |_| {});
    let (a0, a1) = w.connect(0, "23456", 1);
    w.hold(1, a1);
    let b1 = w.dial(1, "34567");
    assert!(w.run_until(|w| w.state(1, b1) == Some(CallState::Ringing), secs(5)), "{}", w.trace());
    let now = w.now();
    let refer_to = w.phone(1).transfer_attended(now, a1, b1).expect("REFER");
    assert!(refer_to.starts_with("sip:34567@") && !refer_to.contains('?'), "blind: {refer_to}");
    assert!(w.run_until(|w| w.state(1, b1) == Some(CallState::Ended(EndReason::Cancelled)), secs(5)));
    assert!(w.run_until(|w| !w.transfer_events(0).is_empty(), secs(2)), "{}", w.trace());
    assert!(matches!(w.transfer_events(0)[0], TransferProgress::Asked { attended: false, .. }));
    let now = w.now();
    let new0 = w.phone(0).follow_transfer(now, a0, rtp_port(0) + 10).expect("follow");
    assert!(
        w.run_until(
            |w| offered(w, 2).is_some_and(|(_, r)| r.is_none())
                && w.state(0, new0) == Some(CallState::Ringing),
            secs(5)
        ),
        "{}",
        w.trace()
    );
    let (c2, _) = offered(&w, 2).expect("rings");
    w.answer(2, c2);
    assert!(
        w.run_until(|w| w.state(0, new0) == Some(CallState::Connected) && ended(w.state(1, a1)), secs(10)),
        "{}",
        w.trace()
    );
}

#[test]
fn without_semi_attended_transfer_the_consultation_must_answer_first() {
    let mut w = World::three(23, |c| c.features.semi_attended_transfer = false);
    let (_, a1) = w.connect(0, "23456", 1);
    w.hold(1, a1);
    let b1 = w.dial(1, "34567");
    assert!(w.run_until(|w| w.state(1, b1) == Some(CallState::Ringing), secs(5)), "{}", w.trace());
    let now = w.now();
    assert_eq!(w.phone(1).transfer_attended(now, a1, b1), Err(TransferError::ConsultationNotAnswered));
    assert_eq!(w.phone(1).transfer_attended(now, a1, a1), Err(TransferError::NoConsultation));
    assert_eq!(w.phone(1).transfer_attended(now, a1, CallId(999)), Err(TransferError::NoConsultation));
    assert_eq!(w.state(1, b1), Some(CallState::Ringing), "nothing was cancelled");
    assert!(w.sent(&Filter::request("REFER")).is_empty());
}
