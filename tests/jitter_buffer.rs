//! The adaptive jitter buffer over simulated networks and clocks: every arrival and pull time
//! is computed, none is measured. Time is in 8 kHz ticks (160 per 20 ms frame).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sip7940::media::g711::Law;
use sip7940::media::jitter::{FrameKind, JitterBuffer, JitterConfig, JitterError, Pushed};
use sip7940::media::plc::G711Decoder;
use sip7940::media::rtp::RtpSender;
use sip7940::media::source::{FRAME_SAMPLES, Frame};

const F: i64 = FRAME_SAMPLES as i64;
const LAW: Law = Law::Ulaw;

/// Frame `i` of a test signal whose frames all differ: a sine whose frequency and level step
/// from frame to frame.
fn varied_frame(i: usize) -> Vec<i16> {
    let hz = 300.0 + ((i * 37) % 900) as f64;
    let amp = 6000.0 + ((i % 7) * 500) as f64;
    (0..FRAME_SAMPLES)
        .map(|n| (amp * (2.0 * std::f64::consts::PI * hz * n as f64 / 8000.0 + i as f64).sin()) as i16)
        .collect()
}

/// Frame `i` of a continuous 1 kHz tone at amplitude 8000.
fn tone_frame(i: usize) -> Vec<i16> {
    (0..FRAME_SAMPLES)
        .map(|n| {
            let t = (i * FRAME_SAMPLES + n) as f64 / 8000.0;
            (8000.0 * (2.0 * std::f64::consts::PI * 1000.0 * t).sin()) as i16
        })
        .collect()
}

/// One sent packet: its datagram and the samples the receiver should decode from it.
struct Sent {
    bytes: Vec<u8>,
    decoded: Vec<i16>,
}

fn send(sender: &mut RtpSender, frames: impl Iterator<Item = Vec<i16>>) -> Vec<Sent> {
    frames
        .map(|pcm| {
            let mut payload = Vec::new();
            LAW.encode_into(&pcm, &mut payload);
            let mut decoded = Vec::new();
            LAW.decode_into(&payload, &mut decoded);
            Sent { bytes: sender.build(&payload).unwrap(), decoded }
        })
        .collect()
}

fn sender(ssrc: u32, seq: u16, ts: u32) -> RtpSender {
    RtpSender::with_initial(ssrc, seq, ts, LAW.payload_type()).unwrap()
}

/// Drives a buffer: datagrams arrive at their (local) times, a frame is pulled every 20 ms
/// from `first_pull`; pushes at the same tick come first. Times are passed as wrapping u32.
struct Run {
    out: Vec<i16>,
    kinds: Vec<FrameKind>,
    /// Buffered audio (ms) at each pull.
    depths: Vec<f64>,
}

fn run(jb: &mut JitterBuffer, arrivals: &mut [(i64, Vec<u8>)], first_pull: i64, pulls: usize) -> Run {
    arrivals.sort_by_key(|a| a.0);
    let mut next = arrivals.iter().peekable();
    let mut r = Run { out: Vec::new(), kinds: Vec::new(), depths: Vec::new() };
    let mut frame: Frame = [0; FRAME_SAMPLES];
    for k in 0..pulls {
        let t = first_pull + k as i64 * F;
        while let Some((at, bytes)) = next.next_if(|a| a.0 <= t) {
            jb.push(bytes, *at as u32).unwrap();
        }
        r.kinds.push(jb.pull(t as u32, &mut frame));
        r.out.extend_from_slice(&frame);
        r.depths.push(jb.stats().delay_ms);
    }
    r
}

/// What a walk of the output against the sent frames found.
#[derive(Debug, Default, PartialEq)]
struct Walk {
    /// Sent frames never played (concealed in their place).
    missing: Vec<usize>,
    /// Sent frames dropped to shrink the delay.
    dropped: Vec<usize>,
    /// Sent frames played, in order.
    played: usize,
    /// Frames pulled after the last sent frame (the stream had ended: concealed, then silent).
    tail: u64,
}

/// Checks that the output plays `sent` in order: every audio frame equals the next sent frame
/// (past the cross-fade, when it follows anything but plain audio). Panics on a mismatch.
fn walk(r: &Run, sent: &[Sent]) -> Walk {
    let mut w = Walk::default();
    let mut idx = 0;
    let mut started = false;
    let mut prev = FrameKind::Silence;
    for (k, &kind) in r.kinds.iter().enumerate() {
        if idx >= sent.len() {
            w.tail = (r.kinds.len() - k) as u64;
            break;
        }
        let frame = &r.out[k * FRAME_SAMPLES..(k + 1) * FRAME_SAMPLES];
        match kind {
            FrameKind::Silence if !started => {}
            FrameKind::Audio | FrameKind::AudioAfterDrop => {
                started = true;
                if kind == FrameKind::AudioAfterDrop {
                    w.dropped.push(idx);
                    idx += 1;
                }
                let skip = match (kind, prev) {
                    (FrameKind::AudioAfterDrop, _) => 40,
                    (_, FrameKind::Audio | FrameKind::AudioAfterDrop) => 0,
                    _ => 80,
                };
                assert_eq!(&frame[skip..], &sent[idx].decoded[skip..], "output frame {k}, sent frame {idx}");
                w.played += 1;
                idx += 1;
            }
            FrameKind::Concealed | FrameKind::Silence => {
                w.missing.push(idx);
                idx += 1;
            }
            FrameKind::Inserted => {}
        }
        prev = kind;
    }
    w
}

/// Arrivals at a constant delay after a sender that sends every 20 ms from local time 0.
fn constant_delay(sent: &[Sent], delay: i64) -> Vec<(i64, Vec<u8>)> {
    sent.iter().enumerate().map(|(i, s)| (i as i64 * F + delay, s.bytes.clone())).collect()
}

#[test]
fn in_order_constant_delay_plays_the_input_exactly() {
    let sent = send(&mut sender(1, 1000, 5000), (0..200).map(varied_frame));
    let mut jb = JitterBuffer::g711(LAW);
    let r = run(&mut jb, &mut constant_delay(&sent, 300), 77, 203);
    let first = r.kinds.iter().position(|&k| k == FrameKind::Audio).unwrap();
    assert!(r.kinds[..first].iter().all(|&k| k == FrameKind::Silence));
    // The first packet arrives at 300 and is due one 20 ms target later: pull 3 (at 557).
    assert_eq!(first, 3);
    let expected: Vec<i16> = sent.iter().flat_map(|s| s.decoded.iter().copied()).collect();
    assert_eq!(&r.out[first * FRAME_SAMPLES..(first + 200) * FRAME_SAMPLES], &expected[..]);
    let s = jb.stats();
    assert_eq!((s.received, s.played, s.concealed, s.inserted, s.dropped, s.late), (200, 200, 0, 0, 0, 0));
    assert_eq!(s.pulls, 203);
    assert_eq!(s.target_delay_ms, 20.0);
    // Each packet waits 257 ticks (32.1 ms) between arrival and playout.
    assert!((s.average_delay_ms - 32.125).abs() < 1e-9, "{}", s.average_delay_ms);
    assert!((20.0..=40.0).contains(&s.max_depth_ms), "{}", s.max_depth_ms);
}

#[test]
fn reordered_packets_play_in_order_and_a_too_late_one_is_counted() {
    let sent = send(&mut sender(2, 7, 0), (0..300).map(varied_frame));
    let mut arrivals = constant_delay(&sent, 200);
    // Neighbours swapped: packet 11 arrives before 10, 101 before 100 (10 ms apart).
    for i in [10usize, 100] {
        arrivals[i].0 += F / 2 + 1;
        arrivals[i + 1].0 -= F / 2 + 1;
    }
    // Packet 200 arrives 3 frames late, well after its slot.
    arrivals[200].0 += 3 * F;
    let mut jb = JitterBuffer::g711(LAW);
    let r = run(&mut jb, &mut arrivals, 0, 320);
    let w = walk(&r, &sent);
    assert_eq!(w.missing, vec![200]);
    assert_eq!(w.played + w.dropped.len(), 299);
    let s = jb.stats();
    assert_eq!((s.late, s.concealed - w.tail, s.received, s.duplicates), (1, 1, 300, 0));
}

#[test]
fn duplicates_are_ignored() {
    let sent = send(&mut sender(3, 65000, 9), (0..100).map(varied_frame));
    let mut arrivals = constant_delay(&sent, 250);
    let copies: Vec<(i64, Vec<u8>)> =
        arrivals.iter().step_by(3).map(|(at, b)| (at + 37, b.clone())).collect();
    arrivals.extend(copies);
    arrivals.push((arrivals[5].0 + 1000, arrivals[5].1.clone())); // a very late copy
    let mut jb = JitterBuffer::g711(LAW);
    let r = run(&mut jb, &mut arrivals, 0, 110);
    let w = walk(&r, &sent);
    assert_eq!((w.missing.len(), w.played), (0, 100));
    let s = jb.stats();
    assert_eq!((s.duplicates, s.received, s.late, s.played), (35, 100, 0, 100));
}

/// Random loss with a constant delay: every lost packet is one concealed frame.
fn loss_run(percent: u32, seed: u64) {
    let n = 3000;
    let sent = send(&mut sender(4, 1, 1), (0..n).map(varied_frame));
    let mut rng = StdRng::seed_from_u64(seed);
    let lost: Vec<usize> = (1..n - 1).filter(|_| rng.random_range(0..100u32) < percent).collect();
    let mut arrivals: Vec<(i64, Vec<u8>)> = constant_delay(&sent, 321)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| lost.binary_search(i).is_err())
        .map(|(_, a)| a)
        .collect();
    let mut jb = JitterBuffer::g711(LAW);
    let pulls = n + 5;
    let r = run(&mut jb, &mut arrivals, 0, pulls);
    assert_eq!(r.out.len(), pulls * FRAME_SAMPLES);
    let w = walk(&r, &sent);
    assert_eq!(w.missing, lost, "{percent} %");
    let s = jb.stats();
    assert_eq!(s.concealed, lost.len() as u64 + s.late + w.tail);
    assert_eq!(s.late, 0);
    assert_eq!(s.received, (n - lost.len()) as u64);
    assert_eq!(s.played + s.concealed + s.silence + s.inserted, s.pulls);
}

#[test]
fn five_percent_loss_is_concealed_frame_for_frame() {
    loss_run(5, 5);
}

#[test]
fn twenty_percent_loss_is_concealed_frame_for_frame() {
    loss_run(20, 20);
}

/// Arrivals with a uniformly random extra delay of 0..max_jitter ticks.
fn jittered(
    sent: &[Sent],
    from: usize,
    start: i64,
    max_jitter: i64,
    rng: &mut StdRng,
) -> Vec<(i64, Vec<u8>)> {
    sent.iter()
        .enumerate()
        .map(|(i, s)| {
            (start + (from + i) as i64 * F + 400 + rng.random_range(0..=max_jitter), s.bytes.clone())
        })
        .collect()
}

#[test]
fn delay_grows_to_cover_jitter_and_shrinks_when_it_calms() {
    // 20 s at 0–5 ms of jitter, then 60 s at 0–60 ms, then 60 s at 0–5 ms again.
    let mut rng = StdRng::seed_from_u64(60);
    let mut tx = sender(5, 40_000, 0);
    let phases = [(0, 1000, 40), (1000, 4000, 480), (4000, 7000, 40)];
    let mut sent = Vec::new();
    let mut arrivals = Vec::new();
    for (from, to, jitter) in phases {
        let frames = send(&mut tx, (from..to).map(varied_frame));
        arrivals.extend(jittered(&frames, from, 0, jitter, &mut rng));
        sent.push(frames);
    }
    let mean = |d: &[f64]| d.iter().sum::<f64>() / d.len() as f64;
    let mut jb = JitterBuffer::g711(LAW);
    let mut stats = Vec::new();
    let mut depth = Vec::new();
    for (from, to, _) in phases {
        let end = (to as i64 - 1) * F;
        let mut due: Vec<(i64, Vec<u8>)> =
            arrivals.iter().filter(|a| a.0 > (from as i64 - 1) * F && a.0 <= end).cloned().collect();
        let r = run(&mut jb, &mut due, from as i64 * F, to - from);
        depth.push(mean(&r.depths[r.depths.len() - 500..]));
        stats.push(jb.stats());
    }
    let [calm, rough, calm_again] = [stats[0], stats[1], stats[2]];
    assert!((20.0..=25.0).contains(&calm.target_delay_ms), "{calm:?}");
    // Rough: the target covers 60 ms plus headroom, reached by inserting frames at once.
    assert!((60.0..=80.0).contains(&rough.target_delay_ms), "{rough:?}");
    assert!(rough.inserted >= calm.inserted + 2, "{rough:?}");
    let late = rough.late - calm.late;
    assert!((late as f64) < 0.01 * 3000.0, "{late} late: {rough:?}");
    assert!(depth[1] > depth[0] + 10.0, "{depth:?}");
    // Calm again: back down to 20 ms by dropping frames, and nothing more is late.
    assert!((20.0..=25.0).contains(&calm_again.target_delay_ms), "{calm_again:?}");
    assert!(calm_again.dropped >= rough.dropped + 2, "{calm_again:?}");
    assert_eq!(calm_again.late, rough.late);
    assert!(depth[2] <= 45.0 && depth[2] < depth[1] - 10.0, "{depth:?}");
    assert_eq!(calm_again.concealed, calm_again.late, "only late packets were concealed");
}

/// A 10-minute call where the sender's clock runs `ppm` parts per million fast (negative:
/// slow) against the playout clock.
fn drift_run(ppm: i64) -> sip7940::media::jitter::JitterStats {
    let pulls = 30_000usize;
    let interval = 160.0 * 1e6 / (1e6 + ppm as f64);
    let frames = ((pulls as f64 * 160.0) / interval) as usize;
    let sent = send(&mut sender(6, 0, 0), (0..frames).map(|i| tone_frame(i % 50)));
    let mut rng = StdRng::seed_from_u64(ppm.unsigned_abs());
    let mut arrivals: Vec<(i64, Vec<u8>)> = sent
        .iter()
        .enumerate()
        .map(|(i, s)| ((i as f64 * interval) as i64 + 300 + rng.random_range(0..=16), s.bytes.clone()))
        .collect();
    let mut jb = JitterBuffer::g711(LAW);
    run(&mut jb, &mut arrivals, 0, pulls);
    jb.stats()
}

#[test]
fn fast_and_slow_sender_clocks_keep_the_depth_bounded() {
    // Expected corrections: 600 s × 0.1 % = 0.6 s = 30 frames; × 0.5 % = 150 frames. The depth
    // bound is the 20 ms target plus the drift's spread over the 5 s window (5 ms at 0.1 %,
    // 25 ms at 0.5 %), the frame being played, one frame plus 5 ms of tolerated excess, and
    // the up to 1 s a drop waits for a quiet frame (never, with a tone), rounded up to frames.
    for (ppm, expected, bound_ms) in
        [(1000i64, 30u64, 60.0), (-1000, 30, 60.0), (5000, 150, 80.0), (-5000, 150, 80.0)]
    {
        let s = drift_run(ppm);
        let (corrected, opposite) = if ppm > 0 { (s.dropped, s.inserted) } else { (s.inserted, s.dropped) };
        assert!(corrected.abs_diff(expected) <= 5, "{ppm} ppm: {s:?}");
        assert!(opposite <= 2, "{ppm} ppm: {s:?}");
        assert!(s.max_depth_ms <= bound_ms, "{ppm} ppm: {s:?}");
        assert!(s.average_delay_ms <= bound_ms - 20.0, "{ppm} ppm: {s:?}");
        assert_eq!((s.late, s.concealed), (0, 0), "{ppm} ppm: {s:?}");
    }
}

#[test]
fn sequence_timestamp_and_clock_wrap() {
    let sent = send(&mut sender(7, 65530, u32::MAX - 500), (0..100).map(varied_frame));
    // The local clock wraps too: it starts 1 s before u32::MAX.
    let base = i64::from(u32::MAX) - 8000;
    let mut arrivals: Vec<(i64, Vec<u8>)> =
        constant_delay(&sent, 100).into_iter().map(|(t, b)| (t + base, b)).collect();
    arrivals.swap(3, 4); // order in the list does not matter; times do
    let mut jb = JitterBuffer::g711(LAW);
    let r = run(&mut jb, &mut arrivals, base, 105);
    let w = walk(&r, &sent);
    assert_eq!((w.missing.len(), w.played), (0, 100));
    let s = jb.stats();
    assert_eq!((s.concealed - w.tail, s.late, s.resyncs, s.inserted, s.dropped), (0, 0, 0, 0, 0));
}

#[test]
fn ssrc_change_restarts_playout_on_the_new_stream() {
    let a = send(&mut sender(0xA, 100, 1000), (0..100).map(varied_frame));
    let b = send(&mut sender(0xB, 9000, 777_777), (100..200).map(varied_frame));
    let mut arrivals = constant_delay(&a, 200);
    arrivals.extend(b.iter().enumerate().map(|(i, s)| ((100 + i) as i64 * F + 200, s.bytes.clone())));
    let mut jb = JitterBuffer::g711(LAW);
    let r = run(&mut jb, &mut arrivals, 0, 210);
    let s = jb.stats();
    assert_eq!((s.ssrc_changes, s.received), (1, 200));
    assert_eq!(jb.ssrc(), Some(0xB));
    // Stream A plays to the switch; after re-priming, B plays from its first packet.
    let w = walk(&r, &a);
    assert!(w.played >= 97, "{w:?}");
    let start = r.out.chunks(FRAME_SAMPLES).position(|f| f == &b[0].decoded[..]).unwrap();
    let tail = Run {
        out: r.out[start * FRAME_SAMPLES..].to_vec(),
        kinds: r.kinds[start..].to_vec(),
        depths: vec![],
    };
    let w = walk(&tail, &b);
    assert_eq!((w.missing.len(), w.played), (0, 100));
}

#[test]
fn a_lost_tone_frame_is_concealed_then_faded_and_cross_faded_back() {
    let sent = send(&mut sender(8, 0, 0), (0..200).map(tone_frame));
    let lost = |i: usize| i == 50 || (100..108).contains(&i);
    let mut arrivals: Vec<(i64, Vec<u8>)> =
        constant_delay(&sent, 0).into_iter().enumerate().filter(|(i, _)| !lost(*i)).map(|(_, a)| a).collect();
    let mut jb = JitterBuffer::g711(LAW);
    let r = run(&mut jb, &mut arrivals, 0, 205);
    let first = r.kinds.iter().position(|&k| k == FrameKind::Audio).unwrap();
    let frame = |i: usize| &r.out[(first + i) * FRAME_SAMPLES..(first + i + 1) * FRAME_SAMPLES];
    let energy = |x: &[i16]| x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / x.len() as f64;
    assert_eq!(r.kinds[first + 50], FrameKind::Concealed);
    let ratio = energy(frame(50)) / energy(&sent[50].decoded);
    assert!((0.8..=1.0).contains(&ratio), "concealed energy ratio {ratio}");
    // 8 frames lost in a row: the 4th onwards (60 ms in) is silent.
    for i in 103..108 {
        assert!(frame(i).iter().all(|&s| s == 0), "frame {i}");
    }
    // Around every join the signal never steps further than the tone itself does
    // (8000 · sin 45° ≈ 5657 per sample).
    let tone_step = 5657 + 60;
    for join in [50, 51, 100, 108] {
        let around = &r.out[(first + join) * FRAME_SAMPLES - 1..(first + join) * FRAME_SAMPLES + 90];
        let step = around.windows(2).map(|w| (i32::from(w[1]) - i32::from(w[0])).abs()).max().unwrap();
        assert!(step <= tone_step, "join at frame {join}: step {step}");
    }
    assert_eq!(jb.stats().concealed, 9 + walk(&r, &sent).tail);
}

#[test]
fn non_rtp_and_foreign_payloads_are_counted_not_played() {
    let mut jb = JitterBuffer::g711(LAW);
    assert!(matches!(jb.push(&[1, 2, 3], 0), Err(JitterError::Rtp(_))));
    assert_eq!(jb.push(&[0x80, 201, 0, 1, 0, 0, 0, 1], 0).unwrap(), Pushed::Ignored);
    let mut dtmf = RtpSender::with_initial(1, 1, 1, 101).unwrap();
    assert_eq!(jb.push(&dtmf.build(&[5, 10, 0, 160]).unwrap(), 0).unwrap(), Pushed::Ignored);
    let mut empty = sender(1, 1, 1);
    assert_eq!(jb.push(&empty.build(&[]).unwrap(), 0).unwrap(), Pushed::Discarded);
    let s = jb.stats();
    assert_eq!((s.discarded, s.ignored, s.received), (2, 2, 0));
    assert!(!jb.is_playing());
    let bad = JitterConfig { min_delay_ms: 300, max_delay_ms: 200 };
    assert!(matches!(
        JitterBuffer::with_decoder(G711Decoder::new(LAW), bad),
        Err(JitterError::DelayRange { min_ms: 300, max_ms: 200 })
    ));
}

/// One step of a fuzzed session.
#[derive(Clone, Debug)]
enum Step {
    Push { ssrc: u32, seq: u16, ts: u32, pt: u8, len: usize, at: u32 },
    Raw { bytes: Vec<u8>, at: u32 },
    Pull { at: u32 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..3u32, any::<u16>(), any::<u32>(), prop_oneof![Just(0u8), Just(8), any::<u8>()], 0..400usize, any::<u32>())
            .prop_map(|(ssrc, seq, ts, pt, len, at)| Step::Push { ssrc, seq, ts, pt, len, at }),
        1 => (proptest::collection::vec(any::<u8>(), 0..64), any::<u32>()).prop_map(|(bytes, at)| Step::Raw { bytes, at }),
        4 => any::<u32>().prop_map(|at| Step::Pull { at }),
    ]
}

proptest! {
    #[test]
    fn arbitrary_datagrams_and_times_never_panic(steps in proptest::collection::vec(step(), 0..300)) {
        let mut jb = JitterBuffer::g711(LAW);
        let mut frame: Frame = [0; FRAME_SAMPLES];
        let mut pulls = 0u64;
        for s in steps {
            match s {
                Step::Push { ssrc, seq, ts, pt, len, at } => {
                    if let Ok(mut tx) = RtpSender::with_initial(ssrc, seq, ts, pt & 0x7F) {
                        let _ = jb.push(&tx.build(&vec![0x55; len]).unwrap(), at);
                    }
                }
                Step::Raw { bytes, at } => {
                    let _ = jb.push(&bytes, at);
                }
                Step::Pull { at } => {
                    jb.pull(at, &mut frame);
                    pulls += 1;
                }
            }
        }
        let s = jb.stats();
        prop_assert_eq!(s.pulls, pulls);
        prop_assert_eq!(s.played + s.concealed + s.silence + s.inserted, pulls);
        prop_assert!(jb.buffered_packets() <= sip7940::media::jitter::MAX_PACKETS);
    }
}
