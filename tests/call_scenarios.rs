//! Two-phone call scenarios on simulated time: the phones register with the demo
//! registrar ([`sip7940::registrar`]) and call each other through it over a simulated
//! network with loss, delay and jitter (`support/world.rs`). Sans-IO, deterministic (fixed
//! seeds), milliseconds each.

#[path = "support/world.rs"]
mod world;

use sip7940::ua::call::{CallId, CallState, EndReason};
use std::net::SocketAddr;
use std::time::Duration;
use world::{Filter, Link, World, registrar_addr, rtp_port};

const T1: Duration = Duration::from_millis(500);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn ended(w: &World, i: usize, id: CallId) -> bool {
    matches!(w.state(i, id), Some(CallState::Ended(_)))
}

/// Two registered phones; phone 0 calls phone 1 and it rings. Returns (caller's call, callee's call).
fn ringing(w: &mut World) -> (CallId, CallId) {
    assert!(w.register_all(secs(10)), "{}", w.trace());
    let a = w.dial(0, "23456");
    assert!(
        w.run_until(|w| w.incoming(1).is_some() && w.state(0, a) == Some(CallState::Ringing), secs(5)),
        "{}",
        w.trace()
    );
    let b = w.incoming(1).expect("B rings");
    (a, b)
}

/// As [`ringing`], then B answers and both are connected.
fn connected(w: &mut World) -> (CallId, CallId) {
    let (a, b) = ringing(w);
    w.answer(1, b);
    let both = |w: &World| {
        w.state(0, a) == Some(CallState::Connected) && w.state(1, b) == Some(CallState::Connected)
    };
    assert!(w.run_until(both, secs(5)), "{}", w.trace());
    (a, b)
}

/// Phone `i` hangs its side of `calls` (A's, B's) up; runs until both ended, and a
/// moment longer for the last answers.
fn hang_up(w: &mut World, i: usize, calls: (CallId, CallId)) {
    let (a, b) = calls;
    w.hangup(i, if i == 0 { a } else { b });
    assert!(w.run_until(|w| ended(w, 0, a) && ended(w, 1, b), secs(5)), "{}", w.trace());
    w.run_for(secs(1));
}

/// Runs long enough for every transaction's last timer; then none is left on A or B.
fn assert_idle_later(w: &mut World) {
    w.run_for(secs(40));
    assert!(w.idle(0) && w.idle(1), "transactions left\n{}", w.trace());
}

fn via_proxy(w: &World, method: &str, to: SocketAddr) -> usize {
    w.delivered_count(&Filter::request(method).from(registrar_addr()).to(to))
}

#[test]
fn a_calls_b_b_answers_a_hangs_up() {
    let mut w = World::two_phones(1);
    assert!(w.register_all(secs(10)), "{}", w.trace());
    let now = w.now();
    for i in 0..2 {
        let user = ["12345", "23456"][i];
        let binding = w.registrar().binding(user, now).expect("bound");
        assert_eq!(binding.target, w.addr(i));
        assert_eq!(binding.contact, format!("sip:{user}@{};transport=udp", w.addr(i)));
        assert_eq!(w.delivered_count(&Filter::response(401, "REGISTER").to(w.addr(i))), 1);
        assert_eq!(w.delivered_count(&Filter::response(200, "REGISTER").to(w.addr(i))), 1);
    }

    let (a, b) = connected(&mut w);
    w.run_for(secs(1));
    // Each side's media points at the other's SDP address and port.
    let (ma, mb) = (w.media(0, a).expect("A media"), w.media(1, b).expect("B media"));
    assert_eq!(ma.remote_rtp, SocketAddr::new(w.addr(1).ip(), rtp_port(1)));
    assert_eq!(mb.remote_rtp, SocketAddr::new(w.addr(0).ip(), rtp_port(0)));
    // The INVITE was challenged (407), then proxied; the ACK of the 2xx followed the route.
    assert_eq!(w.delivered_count(&Filter::response(407, "INVITE").to(w.addr(0))), 1);
    assert_eq!(via_proxy(&w, "INVITE", w.addr(1)), 1);
    assert_eq!(via_proxy(&w, "ACK", w.addr(1)), 1);
    assert_eq!(w.delivered_count(&Filter::request("ACK").from(w.addr(0)).to(w.addr(1))), 0, "not direct");

    hang_up(&mut w, 0, (a, b));
    assert_eq!(via_proxy(&w, "BYE", w.addr(1)), 1);
    assert_eq!(w.delivered_count(&Filter::response(200, "BYE").from(registrar_addr()).to(w.addr(0))), 1);
    assert_eq!(
        w.states(0, a),
        vec![CallState::Ringing, CallState::Connected, CallState::Ending, CallState::Ended(EndReason::Local)]
    );
    assert_eq!(
        w.states(1, b),
        vec![CallState::Ringing, CallState::Connected, CallState::Ended(EndReason::Remote)]
    );
    assert_idle_later(&mut w);
}

#[test]
fn ended_calls_are_forgotten_after_64_t1() {
    let mut w = World::two_phones(2);
    let calls = connected(&mut w);
    hang_up(&mut w, 0, calls);
    assert!(w.phone_ref(0).call_state(calls.0).is_some(), "still known just after the end");
    w.run_for(T1 * 64);
    assert_eq!(w.phone_ref(0).call_state(calls.0), None, "forgotten");
    assert_eq!(w.phone_ref(1).call_state(calls.1), None, "forgotten");
    assert_eq!(w.phone_ref(0).sip_call_id(calls.0), None);
}

#[test]
fn b_hangs_up() {
    let mut w = World::two_phones(2);
    let (a, b) = connected(&mut w);
    w.run_for(secs(3));
    hang_up(&mut w, 1, (a, b));
    assert_eq!(w.state(0, a), Some(CallState::Ended(EndReason::Remote)));
    assert_eq!(w.state(1, b), Some(CallState::Ended(EndReason::Local)));
    assert_eq!(via_proxy(&w, "BYE", w.addr(0)), 1, "B's BYE went through the proxy");
    assert_eq!(w.delivered_count(&Filter::response(200, "BYE").to(w.addr(1))), 1);
    assert_idle_later(&mut w);
}

/// The 200 to the INVITE is lost on its way to A `lost` times: B resends it at T1, 2·T1
/// after the first; A connects on the first that arrives and ACKs it once.
fn lost_200(lost: usize) {
    let mut w = World::two_phones(3);
    let (a, b) = ringing(&mut w);
    w.drop_next(Filter::response(200, "INVITE").to(w.addr(0)), lost);
    let answered = w.elapsed();
    w.answer(1, b);
    assert!(w.run_until(|w| w.state(0, a) == Some(CallState::Connected), secs(10)), "{}", w.trace());
    w.run_for(secs(10));
    let oks = w.sent(&Filter::response(200, "INVITE").from(w.addr(1)));
    let times: Vec<Duration> = oks.iter().map(|o| o.sent - answered).collect();
    let expected = [Duration::ZERO, T1, 3 * T1];
    assert_eq!(times, expected[..=lost].to_vec(), "{}", w.trace());
    assert_eq!(
        w.sent(&Filter::response(200, "INVITE").to(w.addr(0))).iter().filter(|o| o.delivered()).count(),
        1
    );
    let acks = w.sent(&Filter::request("ACK").from(w.addr(0)));
    assert_eq!(acks.iter().filter(|ack| ack.sent >= answered).count(), 1, "{}", w.trace());
    assert_eq!(w.state(1, b), Some(CallState::Connected));
    // A connected when the first 200 that got through arrived (20 ms after it was sent).
    let connected_at = w.when(0, a, &CallState::Connected).expect("connected");
    assert_eq!(connected_at, answered + expected[lost] + Duration::from_millis(20));
}

#[test]
fn a_lost_200_is_retransmitted_after_t1() {
    lost_200(1);
}

#[test]
fn a_twice_lost_200_is_retransmitted_after_t1_and_2t1() {
    lost_200(2);
}

/// The ACK is lost `lost` times on its way to B: B keeps resending the 200, A re-ACKs each
/// copy, and B stops once an ACK arrives.
fn lost_ack(lost: usize) {
    let mut w = World::two_phones(4);
    let (a, b) = ringing(&mut w);
    w.drop_next(Filter::request("ACK").to(w.addr(1)), lost);
    let answered = w.elapsed();
    w.answer(1, b);
    w.run_for(secs(20));
    let oks = w.sent(&Filter::response(200, "INVITE").from(w.addr(1)));
    assert_eq!(oks.len(), lost + 1, "{}", w.trace());
    let acks: Vec<_> = w
        .sent(&Filter::request("ACK").from(w.addr(0)))
        .into_iter()
        .filter(|ack| ack.sent >= answered)
        .collect();
    assert_eq!(acks.len(), lost + 1, "one ACK for every 200 that reached A");
    let arrived = w.sent(&Filter::request("ACK").to(w.addr(1)));
    let first_delivered = arrived.iter().find(|ack| ack.delivered()).expect("an ACK got through");
    let at = first_delivered.fate_time().expect("delivered");
    assert!(oks.iter().all(|ok| ok.sent < at), "no 200 after the ACK arrived");
    assert_eq!((w.state(0, a), w.state(1, b)), (Some(CallState::Connected), Some(CallState::Connected)));
}

#[test]
fn a_lost_ack_makes_b_resend_the_200_and_a_re_ack() {
    lost_ack(1);
}

#[test]
fn two_lost_acks() {
    lost_ack(2);
}

#[test]
fn cancel_while_ringing() {
    let mut w = World::two_phones(5);
    let (a, b) = ringing(&mut w);
    w.run_for(secs(2));
    hang_up(&mut w, 0, (a, b));
    assert_eq!(w.state(0, a), Some(CallState::Ended(EndReason::Cancelled)));
    assert_eq!(w.state(1, b), Some(CallState::Ended(EndReason::Cancelled)));
    assert_eq!(via_proxy(&w, "CANCEL", w.addr(1)), 1);
    assert_eq!(w.delivered_count(&Filter::response(200, "CANCEL").to(w.addr(0))), 1);
    assert_eq!(w.delivered_count(&Filter::response(487, "INVITE").from(w.addr(1))), 1);
    assert_eq!(w.delivered_count(&Filter::response(487, "INVITE").to(w.addr(0))), 1);
    // The ACK of the 487 reached B's INVITE transaction, which then goes away.
    assert_eq!(via_proxy(&w, "ACK", w.addr(1)), 1, "{}", w.trace());
    assert_idle_later(&mut w);
}

#[test]
fn busy_here_when_b_rejects() {
    let mut w = World::two_phones(6);
    let (a, b) = ringing(&mut w);
    w.reject(1, b, 486);
    assert!(w.run_until(|w| ended(w, 0, a), secs(5)), "{}", w.trace());
    w.run_for(secs(1));
    assert_eq!(
        w.state(0, a),
        Some(CallState::Ended(EndReason::Status { code: 486, reason: "Busy Here".into() }))
    );
    assert_eq!(
        w.state(1, b),
        Some(CallState::Ended(EndReason::Status { code: 486, reason: "Busy Here".into() }))
    );
    assert_eq!(via_proxy(&w, "ACK", w.addr(1)), 1, "the ACK of the 486");
    assert_idle_later(&mut w);
}

#[test]
fn busy_here_when_b_is_in_a_call_without_call_waiting() {
    let mut w = World::new(7);
    w.add_phone(world::phone_config(0));
    let mut b_config = world::phone_config(1);
    b_config.features.call_waiting = false;
    w.add_phone(b_config);
    w.add_phone(world::phone_config(2));
    assert!(w.register_all(secs(10)), "{}", w.trace());
    // C calls B, B answers.
    let c = w.dial(2, "23456");
    assert!(w.run_until(|w| w.incoming(1).is_some(), secs(5)), "{}", w.trace());
    let b = w.incoming(1).expect("rings");
    w.answer(1, b);
    assert!(w.run_until(|w| w.state(2, c) == Some(CallState::Connected), secs(5)));
    // A calls B: 486 at once, B does not ring again.
    let a = w.dial(0, "23456");
    assert!(w.run_until(|w| ended(w, 0, a), secs(5)), "{}", w.trace());
    assert!(matches!(w.state(0, a), Some(CallState::Ended(EndReason::Status { code: 486, .. }))));
    assert_eq!(w.incoming(1), Some(b));
    assert_eq!(w.state(1, b), Some(CallState::Connected));
}

#[test]
fn a_200_crossing_our_cancel_is_acked_and_hung_up() {
    let mut w = World::two_phones(3);
    let (a, b) = ringing(&mut w);
    // B answers and A hangs up in the same instant: the 200 and the CANCEL cross.
    w.answer(1, b);
    w.hangup(0, a);
    w.run_for(secs(40));
    let states = w.states(0, a);
    assert!(!states.contains(&CallState::Connected), "A never shows connected: {states:?}");
    assert_eq!(w.state(0, a), Some(CallState::Ended(EndReason::Cancelled)), "{}", w.trace());
    assert_eq!(w.state(1, b), Some(CallState::Ended(EndReason::Remote)), "{}", w.trace());
    assert_eq!(via_proxy(&w, "ACK", w.addr(1)), 1, "A ACKed B's 200");
    assert_eq!(via_proxy(&w, "BYE", w.addr(1)), 1, "then hung up with a BYE");
    assert_idle_later(&mut w);
}

#[test]
fn a_200_after_timer_b_is_acked_and_hung_up() {
    let mut w = World::two_phones(4);
    let (a, b) = ringing(&mut w);
    // B answers only after A's INVITE transaction gave up (Timer B, 64·T1).
    assert!(w.run_until(|w| ended(w, 0, a), secs(40)), "{}", w.trace());
    assert_eq!(w.state(0, a), Some(CallState::Ended(EndReason::Timeout)));
    w.answer(1, b);
    w.run_for(secs(5));
    assert_eq!(w.state(0, a), Some(CallState::Ended(EndReason::Timeout)), "A stays ended");
    assert_eq!(w.state(1, b), Some(CallState::Ended(EndReason::Remote)), "{}", w.trace());
    assert_eq!(via_proxy(&w, "ACK", w.addr(1)), 1, "A ACKed the late 200 (no 200 resent for 32 s)");
}

#[test]
fn the_callee_hanging_up_before_the_ack_waits_for_it() {
    let mut w = World::two_phones(5);
    let (a, b) = ringing(&mut w);
    w.drop_next(Filter::response(200, "INVITE").to(w.addr(0)), 1);
    w.answer(1, b);
    w.run_for(Duration::from_millis(100));
    w.hangup(1, b);
    assert_eq!(via_proxy(&w, "BYE", w.addr(0)), 0, "no BYE before the ACK");
    assert!(w.run_until(|w| ended(w, 0, a) && ended(w, 1, b), secs(5)), "{}", w.trace());
    assert_eq!(
        w.states(0, a),
        vec![CallState::Ringing, CallState::Connected, CallState::Ended(EndReason::Remote)]
    );
    assert_eq!(w.state(1, b), Some(CallState::Ended(EndReason::Local)));
    assert_idle_later(&mut w);
}

#[test]
fn hold_and_resume_from_each_side() {
    use sip7940::sdp::Direction;
    use sip7940::ua::session::Hold;
    let mut w = World::two_phones(6);
    let (a, b) = connected(&mut w);
    w.hold(0, a);
    let held = |w: &World| {
        w.state(0, a) == Some(CallState::Held(Hold::Local))
            && w.state(1, b) == Some(CallState::Held(Hold::Remote))
    };
    assert!(w.run_until(held, secs(2)), "{}", w.trace());
    let (ma, mb) = (w.media(0, a).expect("A media"), w.media(1, b).expect("B media"));
    assert_eq!((ma.direction, mb.direction), (Direction::Inactive, Direction::RecvOnly), "nobody sends");
    // B holds too: inactive both ways; then A resumes; then B resumes.
    w.hold(1, b);
    let both = |w: &World| {
        w.state(0, a) == Some(CallState::Held(Hold::Both))
            && w.state(1, b) == Some(CallState::Held(Hold::Both))
    };
    assert!(w.run_until(both, secs(2)), "{}", w.trace());
    w.resume(0, a);
    let b_holds = |w: &World| {
        w.state(0, a) == Some(CallState::Held(Hold::Remote))
            && w.state(1, b) == Some(CallState::Held(Hold::Local))
    };
    assert!(w.run_until(b_holds, secs(2)), "{}", w.trace());
    w.resume(1, b);
    let both = |w: &World| {
        w.state(0, a) == Some(CallState::Connected) && w.state(1, b) == Some(CallState::Connected)
    };
    assert!(w.run_until(both, secs(2)), "{}", w.trace());
    let (ma, mb) = (w.media(0, a).expect("A media"), w.media(1, b).expect("B media"));
    assert_eq!((ma.direction, mb.direction), (Direction::SendRecv, Direction::SendRecv));
    assert_eq!(via_proxy(&w, "INVITE", w.addr(1)), 3, "the first INVITE and two re-INVITEs from A");
    hang_up(&mut w, 0, (a, b));
    assert_idle_later(&mut w);
}

#[test]
fn glare_both_hold_at_once_then_both_get_their_way() {
    use sip7940::ua::session::Hold;
    for seed in 20..28 {
        let mut w = World::two_phones(seed);
        let (a, b) = connected(&mut w);
        w.hold(0, a);
        w.hold(1, b);
        let both = |w: &World| {
            w.state(0, a) == Some(CallState::Held(Hold::Both))
                && w.state(1, b) == Some(CallState::Held(Hold::Both))
        };
        assert!(
            w.run_until(both, secs(10)),
            "seed {seed}
{}",
            w.trace()
        );
        let glares = w.delivered_count(&Filter::response(491, "INVITE"));
        assert!(
            glares >= 2,
            "seed {seed}: both re-INVITEs crossed and got 491 ({glares})
{}",
            w.trace()
        );
        hang_up(&mut w, 1, (a, b));
        assert_idle_later(&mut w);
    }
}

#[test]
fn bye_crossing_a_reinvite() {
    for seed in 30..34 {
        let mut w = World::two_phones(seed);
        let (a, b) = connected(&mut w);
        w.hold(0, a);
        w.hangup(1, b);
        assert!(
            w.run_until(|w| ended(w, 0, a) && ended(w, 1, b), secs(5)),
            "seed {seed}
{}",
            w.trace()
        );
        assert_eq!(w.state(0, a), Some(CallState::Ended(EndReason::Remote)), "seed {seed}");
        assert_eq!(w.state(1, b), Some(CallState::Ended(EndReason::Local)), "seed {seed}");
        assert_idle_later(&mut w);
    }
}

/// Who ends a call placed over a lossy network, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// B answers when it rings; A hangs up a second after it is connected.
    CallerHangsUp,
    /// B answers when it rings; B hangs up a second after A is connected.
    CalleeHangsUp,
    /// A hangs up while B rings (CANCEL).
    CallerCancels,
    /// B answers and A hangs up at the same moment (the 200 crosses the CANCEL).
    CancelCrossesAnswer,
    /// B answers and hangs up 100 ms later, likely before the ACK.
    CalleeHangsUpAtOnce,
    /// B answers; A holds, resumes, then hangs up.
    HoldThenHangUp,
}

/// What happened to one call under loss.
#[derive(Debug)]
struct Outcome {
    connected: (bool, bool),
    end: (Option<CallState>, Option<CallState>),
}

/// A calls B over links that lose `loss` % each way with 20–80 ms delay (so datagrams
/// overtake each other), then the call ends as `plan` says; then the world runs on long
/// enough for every transaction's last timer (64·T1, timer D).
fn lossy_call(seed: u64, loss: u8, plan: Plan) -> (World, Outcome) {
    let mut w = World::two_phones(seed);
    let link =
        Link { loss_percent: loss, delay: Duration::from_millis(20), jitter: Duration::from_millis(60) };
    w.set_default_link(link);
    assert!(w.register_all(secs(60)), "seed {seed}: registration\n{}", w.trace());
    let a = w.dial(0, "23456");
    let rang = w.run_until(|w| w.incoming(1).is_some() || ended(w, 0, a), secs(60));
    assert!(rang, "seed {seed}: neither rang nor failed\n{}", w.trace());
    let b = w.incoming(1);
    if let Some(b) = b {
        w.run_for(Duration::from_millis(300));
        if plan == Plan::CallerCancels {
            w.hangup(0, a);
        } else if plan == Plan::CancelCrossesAnswer {
            w.answer(1, b);
            w.hangup(0, a);
        } else if plan == Plan::CalleeHangsUpAtOnce {
            w.answer(1, b);
            w.run_for(Duration::from_millis(100));
            w.hangup(1, b);
        } else {
            w.answer(1, b);
            let settled = |w: &World| w.state(0, a) == Some(CallState::Connected) || ended(w, 0, a);
            w.run_until(settled, secs(60));
            w.run_for(secs(1));
            match plan {
                Plan::CallerHangsUp => w.hangup(0, a),
                Plan::HoldThenHangUp if w.state(0, a) == Some(CallState::Connected) => {
                    w.hold(0, a);
                    w.run_for(secs(3));
                    if w.phone(0).call_hold(a).is_some() {
                        w.resume(0, a);
                    }
                    w.run_for(secs(3));
                    w.hangup(0, a);
                }
                _ => w.hangup(1, b),
            }
        }
    }
    let done = |w: &World| ended(w, 0, a) && b.is_none_or(|b| ended(w, 1, b));
    w.run_until(done, secs(120));
    w.run_for(secs(70));
    let connected_b = b.is_some_and(|b| w.states(1, b).contains(&CallState::Connected));
    let outcome = Outcome {
        connected: (w.states(0, a).contains(&CallState::Connected), connected_b),
        end: (w.state(0, a), b.and_then(|b| w.state(1, b))),
    };
    (w, outcome)
}

/// Datagrams delivered out of the order they were sent in, on the same link.
fn overtaken(w: &World) -> usize {
    let delivered: Vec<&world::Wire> = w.delivered().collect();
    delivered
        .iter()
        .enumerate()
        .filter(|(i, x)| {
            delivered[i + 1..]
                .iter()
                .any(|y| (x.from, x.to) == (y.from, y.to) && x.fate_time() > y.fate_time())
        })
        .count()
}

#[test]
fn calls_survive_loss_and_reordering() {
    let (mut reordered, mut lost) = (0, 0);
    let plans = [
        Plan::CallerHangsUp,
        Plan::CalleeHangsUp,
        Plan::CallerCancels,
        Plan::CancelCrossesAnswer,
        Plan::CalleeHangsUpAtOnce,
        Plan::HoldThenHangUp,
    ];
    for plan in plans {
        let mut connected = 0;
        for seed in 100..112 {
            let loss = 10 + u8::try_from(seed % 11).expect("small");
            let (w, o) = lossy_call(seed, loss, plan);
            // Whatever happened, it happened on both sides: nobody is left connected, and
            // no transaction is left behind.
            assert!(
                matches!(o.end.0, Some(CallState::Ended(_))),
                "seed {seed} {plan:?}: {o:?}\n{}",
                w.trace()
            );
            assert!(
                o.end.1.is_none() || matches!(o.end.1, Some(CallState::Ended(_))),
                "seed {seed} {plan:?}: {o:?}\n{}",
                w.trace()
            );
            // When the 200 crosses the CANCEL, B was connected for a moment and A, which
            // never showed the call as connected, ACKed and hung up.
            let crossed = plan == Plan::CancelCrossesAnswer
                && o.connected == (false, true)
                && o.end
                    == (
                        Some(CallState::Ended(EndReason::Cancelled)),
                        Some(CallState::Ended(EndReason::Remote)),
                    );
            assert!(
                o.connected.0 == o.connected.1 || crossed,
                "connected on one side only: seed {seed} {plan:?}: {o:?}\n{}",
                w.trace()
            );
            assert!(w.idle(0) && w.idle(1), "transactions left: seed {seed} {plan:?}: {o:?}\n{}", w.trace());
            if plan == Plan::CallerCancels && o.end.1.is_some() {
                assert_eq!(
                    o.end.0,
                    Some(CallState::Ended(EndReason::Cancelled)),
                    "seed {seed} {plan:?}: {o:?}\n{}",
                    w.trace()
                );
                assert_eq!(o.end.1, o.end.0, "seed {seed} {plan:?}: {o:?}\n{}", w.trace());
            }
            connected += usize::from(o.connected.0);
            reordered += overtaken(&w);
            lost += w.wire().iter().filter(|x| x.fate == world::Fate::Lost).count();
        }
        if matches!(plan, Plan::CallerHangsUp | Plan::CalleeHangsUp | Plan::HoldThenHangUp) {
            assert!(connected >= 10, "{plan:?}: {connected} of 12 calls connected");
        }
    }
    assert!(reordered > 0 && lost > 0, "the links lost ({lost}) and reordered ({reordered}) datagrams");
}
