//! Transactions on simulated time: exact RFC 3261 schedules, and completion over a lossy
//! link.

use super::*;
use std::time::{Duration, Instant};

fn ms(t: Duration) -> u64 {
    t.as_millis() as u64
}

/// Runs a transaction alone until it terminates; returns (ms, output) pairs.
fn run_client(mut tx: ClientTransaction, t0: Instant) -> Vec<(u64, Output)> {
    let mut log = Vec::new();
    let mut now = t0;
    for _ in 0..1000 {
        while let Some(o) = tx.poll_output() {
            log.push((ms(now - t0), o));
        }
        let Some(next) = tx.poll_timeout() else { break };
        now = next;
        tx.on_timeout(now);
    }
    log
}

fn sends(log: &[(u64, Output)]) -> Vec<u64> {
    log.iter().filter(|(_, o)| matches!(o, Output::Transmit(_))).map(|(t, _)| *t).collect()
}

fn req() -> Arc<[u8]> {
    Arc::from(&b"REQUEST"[..])
}

#[test]
fn invite_retransmits_at_t1_doubling_and_times_out_at_64_t1() {
    let t0 = Instant::now();
    let log =
        run_client(ClientTransaction::start(t0, Kind::Invite, req(), TimerConfig::default(), false), t0);
    assert_eq!(sends(&log), vec![0, 500, 1500, 3500, 7500, 15500, 31500]);
    let tail: Vec<_> = log.iter().filter(|(_, o)| !matches!(o, Output::Transmit(_))).cloned().collect();
    assert_eq!(tail, vec![(32000, Output::TimedOut), (32000, Output::Terminated)]);
}

#[test]
fn non_invite_retransmits_capped_at_t2() {
    let t0 = Instant::now();
    let log =
        run_client(ClientTransaction::start(t0, Kind::NonInvite, req(), TimerConfig::default(), false), t0);
    assert_eq!(sends(&log), vec![0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert_eq!(log.last(), Some(&(32000, Output::Terminated)));
    assert!(log.contains(&(32000, Output::TimedOut)));
}

#[test]
fn retransmission_limits_come_from_the_config() {
    let t0 = Instant::now();
    let timers = TimerConfig { max_retransmissions: 3, max_invite_retransmissions: 2, ..Default::default() };
    let log = run_client(ClientTransaction::start(t0, Kind::NonInvite, req(), timers, false), t0);
    assert_eq!(sends(&log), vec![0, 500, 1500, 3500]);
    let log = run_client(ClientTransaction::start(t0, Kind::Invite, req(), timers, false), t0);
    assert_eq!(sends(&log), vec![0, 500, 1500]);
    let fast =
        TimerConfig { t1: Duration::from_millis(100), t2: Duration::from_millis(400), ..Default::default() };
    let log = run_client(ClientTransaction::start(t0, Kind::NonInvite, req(), fast, false), t0);
    assert_eq!(&sends(&log)[..6], &[0, 100, 300, 700, 1100, 1500]);
    assert_eq!(log.last(), Some(&(6400, Output::Terminated)));
}

#[test]
fn non_invite_in_proceeding_retransmits_every_t2() {
    let t0 = Instant::now();
    let mut tx = ClientTransaction::start(t0, Kind::NonInvite, req(), TimerConfig::default(), false);
    assert_eq!(tx.poll_output(), Some(Output::Transmit(req())));
    let mut now;
    let mut times = Vec::new();
    while let Some(next) = tx.poll_timeout() {
        if ms(next - t0) > 20_000 {
            break;
        }
        now = next;
        tx.on_timeout(now);
        if ms(now - t0) == 1500 {
            assert!(tx.on_response(now, 100, || None));
            assert_eq!(tx.state(), ClientState::Proceeding);
        }
        while let Some(o) = tx.poll_output() {
            if matches!(o, Output::Transmit(_)) {
                times.push(ms(now - t0));
            }
        }
    }
    assert_eq!(times, vec![500, 1500, 3500, 7500, 11500, 15500, 19500]);
}

#[test]
fn invite_failure_is_acked_and_retransmitted_finals_absorbed() {
    let t0 = Instant::now();
    let mut tx = ClientTransaction::start(t0, Kind::Invite, req(), TimerConfig::default(), false);
    assert_eq!(tx.poll_output(), Some(Output::Transmit(req())));
    assert!(tx.on_response(t0, 180, || None));
    let mut built = 0;
    assert!(tx.on_response(t0, 486, || {
        built += 1;
        Some(b"ACK".to_vec())
    }));
    assert_eq!(tx.state(), ClientState::Completed);
    assert_eq!(tx.poll_output(), Some(Output::Transmit(Arc::from(&b"ACK"[..]))));
    assert!(!tx.on_response(t0, 486, unreachable_ack), "a retransmitted final is absorbed");
    assert_eq!(tx.poll_output(), Some(Output::Transmit(Arc::from(&b"ACK"[..]))), "and re-ACKed");
    assert_eq!(built, 1);
    assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_secs(32)), "Timer D");
    tx.on_timeout(t0 + Duration::from_secs(32));
    assert_eq!(tx.poll_output(), Some(Output::Terminated));
}

fn unreachable_ack() -> Option<Vec<u8>> {
    None
}

#[test]
fn invite_2xx_goes_to_accepted_and_passes_retransmissions_up() {
    let t0 = Instant::now();
    let mut tx = ClientTransaction::start(t0, Kind::Invite, req(), TimerConfig::default(), false);
    tx.poll_output();
    assert!(tx.on_response(t0, 200, || None));
    assert_eq!(tx.state(), ClientState::Accepted);
    assert!(tx.on_response(t0 + Duration::from_secs(1), 200, || None), "the TU re-ACKs each 2xx");
    assert_eq!(tx.poll_output(), None, "no ACK from the transaction for a 2xx");
    tx.on_timeout(t0 + Duration::from_secs(32));
    assert_eq!(tx.poll_output(), Some(Output::Terminated));
}

#[test]
fn reliable_transport_never_retransmits() {
    let t0 = Instant::now();
    let log =
        run_client(ClientTransaction::start(t0, Kind::NonInvite, req(), TimerConfig::default(), true), t0);
    assert_eq!(sends(&log), vec![0]);
}

#[test]
fn server_non_invite_resends_the_last_response_until_timer_j() {
    let t0 = Instant::now();
    let mut tx = ServerTransaction::new(Kind::NonInvite, TimerConfig::default(), false);
    tx.on_retransmission();
    assert_eq!(tx.poll_output(), None, "nothing to resend in Trying");
    tx.respond(t0, 200, Arc::from(&b"200"[..]));
    assert_eq!(tx.poll_output(), Some(Output::Transmit(Arc::from(&b"200"[..]))));
    tx.on_retransmission();
    assert_eq!(tx.poll_output(), Some(Output::Transmit(Arc::from(&b"200"[..]))));
    assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_secs(32)));
    tx.on_timeout(t0 + Duration::from_secs(32));
    assert_eq!(tx.poll_output(), Some(Output::Terminated));
}

#[test]
fn server_invite_failure_retransmits_until_ack() {
    let t0 = Instant::now();
    let mut tx = ServerTransaction::new(Kind::Invite, TimerConfig::default(), false);
    tx.respond(t0, 486, Arc::from(&b"486"[..]));
    assert!(tx.poll_output().is_some());
    let mut now = t0;
    let mut times = vec![0];
    while let Some(next) = tx.poll_timeout() {
        now = next;
        if ms(now - t0) > 12_000 {
            break;
        }
        tx.on_timeout(now);
        while let Some(o) = tx.poll_output() {
            if matches!(o, Output::Transmit(_)) {
                times.push(ms(now - t0));
            }
        }
    }
    assert_eq!(times, vec![0, 500, 1500, 3500, 7500, 11500], "Timer G: T1 doubling, capped at T2");
    assert!(tx.on_ack(now));
    assert_eq!(tx.state(), ServerState::Confirmed);
    tx.on_timeout(now + Duration::from_secs(5));
    assert_eq!(tx.poll_output(), Some(Output::Terminated), "Timer I");
}

#[test]
fn server_invite_without_ack_times_out_at_timer_h() {
    let t0 = Instant::now();
    let mut tx = ServerTransaction::new(Kind::Invite, TimerConfig::default(), false);
    tx.respond(t0, 603, Arc::from(&b"603"[..]));
    let mut outputs = Vec::new();
    while let Some(next) = tx.poll_timeout() {
        tx.on_timeout(next);
        while let Some(o) = tx.poll_output() {
            outputs.push((ms(next - t0), o));
        }
    }
    assert!(outputs.contains(&(32000, Output::TimedOut)));
    assert_eq!(outputs.last(), Some(&(32000, Output::Terminated)));
}

/// SplitMix64: a seeded generator for the simulated link.
struct Sim(u64);

impl Sim {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn lost(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// One client and one server transaction over a link that loses `loss`% each way with
/// 20 ms delay. The server answers `status` at once. Returns (completed, any round trip
/// got through).
fn lossy_exchange(seed: u64, kind: Kind, status: u16, loss: u64) -> (bool, bool) {
    let t0 = Instant::now();
    let delay = Duration::from_millis(20);
    let mut net = Sim(seed);
    let timers = TimerConfig::default();
    let mut client = ClientTransaction::start(t0, kind, req(), timers, false);
    let mut server: Option<ServerTransaction> = None;
    let mut to_server: Vec<Instant> = Vec::new();
    let mut to_client: Vec<Instant> = Vec::new();
    let mut completed = false;
    let mut response_arrived = false;
    let mut now = t0;
    for _ in 0..10_000 {
        while let Some(o) = client.poll_output() {
            if matches!(o, Output::Transmit(_)) && !net.lost(loss) {
                to_server.push(now + delay);
            }
        }
        if let Some(s) = server.as_mut() {
            while let Some(o) = s.poll_output() {
                if matches!(o, Output::Transmit(_)) && !net.lost(loss) {
                    to_client.push(now + delay);
                }
            }
        }
        let deadlines = [
            client.poll_timeout(),
            server.as_ref().and_then(ServerTransaction::poll_timeout),
            to_server.iter().min().copied(),
            to_client.iter().min().copied(),
        ];
        let Some(next) = deadlines.into_iter().flatten().min() else { break };
        now = next;
        if let Some(i) = to_server.iter().position(|t| *t <= now) {
            to_server.swap_remove(i);
            match server.as_mut() {
                Some(s) => s.on_retransmission(),
                None => {
                    let mut s = ServerTransaction::new(kind, timers, false);
                    s.respond(now, status, Arc::from(&b"RESPONSE"[..]));
                    server = Some(s);
                }
            }
        }
        if let Some(i) = to_client.iter().position(|t| *t <= now) {
            to_client.swap_remove(i);
            response_arrived = true;
            if client.on_response(now, status, || Some(b"ACK".to_vec())) {
                completed = true;
            }
        }
        client.on_timeout(now);
        if let Some(s) = server.as_mut() {
            s.on_timeout(now);
        }
        if client.state() == ClientState::Terminated {
            break;
        }
    }
    (completed, response_arrived)
}

#[test]
fn transactions_complete_over_30_percent_loss_each_way() {
    // (A 2xx to an INVITE is retransmitted by the UA core, not the transaction: §13.3.1.4;
    // that case is tested with dialogs.)
    for (kind, status) in [(Kind::NonInvite, 200), (Kind::NonInvite, 401), (Kind::Invite, 486)] {
        let mut done = 0;
        for seed in 0..300 {
            let (completed, response_arrived) = lossy_exchange(seed, kind, status, 30);
            // A transaction fails only when every response was lost on the way.
            assert_eq!(completed, response_arrived, "seed {seed} {kind:?} {status}");
            done += usize::from(completed);
        }
        // Each attempt gets through with p = 0.49; 7 (INVITE) or 11 tries fail with
        // p < 1 %, so nearly all of 300 complete.
        assert!(done >= 290, "{kind:?} {status}: only {done} of 300 completed");
    }
}
