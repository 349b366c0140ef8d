//! The G.711 media path end to end, sans-IO: tone source → encoder → RTP sender → a simulated
//! network (loss, duplicates, reordering, one very late packet) → RTP receiver → decoder →
//! sink; plus the pacer's schedule over simulated time and WAV files in and out.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::{Duration, Instant};

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sip7940::io::wav::{read_wav, read_wav_8k_mono, write_wav_8k_mono};
use sip7940::media::g711::Law;
use sip7940::media::goertzel::dominant_frequency;
use sip7940::media::pacer::{Pacer, Tick};
use sip7940::media::rtp::{Disposition, Playout, ReceiverConfig, RtpReceiver, RtpSender};
use sip7940::media::sink::{CollectSink, FrameSink};
use sip7940::media::source::{FRAME_SAMPLES, FrameSource, SamplesSource, ToneSource};
use sip7940::media::stats::StreamReport;
use sip7940::media::tone::{Level, Tone};

const FRAMES: usize = 500;
const CANDIDATES: [f64; 7] = [300.0, 500.0, 800.0, 1000.0, 1200.0, 1500.0, 2000.0];

/// One datagram on the simulated link.
struct Arrival {
    at: u32,
    index: usize,
    bytes: Vec<u8>,
}

/// What the network did, worked out independently of the receiver.
struct Oracle {
    dropped: Vec<usize>,
    duplicates: u64,
    out_of_order: u64,
    /// Packets that arrive so late that playout has already given up on them.
    late: Vec<usize>,
    /// RFC 3550 jitter (float form) over distinct packets in arrival order, in ticks.
    jitter: f64,
}

/// Sends `FRAMES` frames of a 1 kHz tone; returns the per-frame encoded payloads and the
/// datagrams in arrival order (arrival times in 8 kHz ticks).
fn simulate(law: Law, seed: u64) -> (Vec<Vec<u8>>, Vec<Arrival>, Oracle) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tx = RtpSender::with_initial(0xCAFE_F00D, 65530, 123_456, law.payload_type()).unwrap();
    let mut src = ToneSource::default();
    let mut frame = [0i16; FRAME_SAMPLES];
    let mut payloads = Vec::new();
    let mut link = Vec::new();
    let mut dropped = Vec::new();
    let mut duplicates = 0;
    let late_index = 250;
    for i in 0..FRAMES {
        assert!(src.next_frame(&mut frame));
        let mut payload = Vec::new();
        law.encode_into(&frame, &mut payload);
        let packet = tx.build(&payload).unwrap();
        payloads.push(payload);
        let sent_at = (i * 160) as u32;
        // Never drop the first or last packet: RTP cannot see loss outside what it received.
        if i != 0 && i != FRAMES - 1 && i != late_index && rng.random_bool(0.04) {
            dropped.push(i);
            continue;
        }
        // Delay 400 ticks (50 ms) plus up to 300 ticks of jitter: neighbours can swap.
        let mut delay = 400 + rng.random_range(0..300u32);
        if i == late_index {
            delay += 160 * 12; // beyond the reorder window
        }
        link.push(Arrival { at: sent_at + delay, index: i, bytes: packet.clone() });
        if i != late_index && rng.random_bool(0.03) {
            duplicates += 1;
            link.push(Arrival { at: sent_at + delay + rng.random_range(1..500u32), index: i, bytes: packet });
        }
    }
    link.sort_by_key(|a| a.at);

    // Independent bookkeeping: out-of-order and jitter over first copies in arrival order.
    let mut seen = std::collections::HashSet::new();
    let mut highest = None;
    let mut out_of_order = 0;
    let (mut jitter, mut last_transit): (f64, Option<f64>) = (0.0, None);
    for a in &link {
        if !seen.insert(a.index) {
            continue;
        }
        if highest.is_some_and(|h| a.index < h) {
            out_of_order += 1;
        }
        highest = highest.max(Some(a.index));
        let transit = f64::from(a.at) - (a.index * 160) as f64;
        if let Some(last) = last_transit {
            jitter += ((transit - last).abs() - jitter) / 16.0;
        }
        last_transit = Some(transit);
    }
    assert_eq!(tx.counters().packets, FRAMES as u64);
    (payloads, link, Oracle { dropped, duplicates, out_of_order, late: vec![late_index], jitter })
}

fn round_trip(law: Law, seed: u64) {
    let (payloads, link, oracle) = simulate(law, seed);
    let mut rx = RtpReceiver::new(ReceiverConfig::g711(law));
    let mut sink = CollectSink::new();
    let play = |item: Playout, sink: &mut CollectSink| {
        let mut pcm = Vec::new();
        item.decode_g711(law, FRAME_SAMPLES, &mut pcm);
        for f in pcm.chunks(FRAME_SAMPLES) {
            sink.put_frame(f);
        }
    };
    let mut late_seen = 0;
    for a in &link {
        // Arrival times are offset by the receiver's own random clock origin.
        match rx.receive(&a.bytes, a.at.wrapping_add(0x9000_0000)).unwrap() {
            Disposition::Late { .. } => late_seen += 1,
            Disposition::Queued { .. } | Disposition::Duplicate { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
        while let Some(item) = rx.pop() {
            play(item, &mut sink);
        }
    }
    while let Some(item) = rx.flush() {
        play(item, &mut sink);
    }

    let c = rx.counters();
    let lost = oracle.dropped.len() as u64;
    assert!(lost > 5 && oracle.duplicates > 3 && oracle.out_of_order > 10, "seed gives a weak test");
    assert_eq!(rx.expected(), FRAMES as u64);
    assert_eq!(c.received, FRAMES as u64 - lost);
    assert_eq!(rx.lost(), lost as i64);
    assert_eq!(c.duplicates, oracle.duplicates);
    assert_eq!(c.out_of_order, oracle.out_of_order);
    assert_eq!((c.late, late_seen), (1, 1));
    assert_eq!(c.concealed, lost + 1);
    assert_eq!(rx.base_sequence(), Some(65530));
    assert_eq!(rx.extended_highest_sequence(), Some(65530 + FRAMES as i64 - 1));
    assert_eq!(rx.extended_highest_sequence_u32(), 0x0001_0000 | ((65530 + FRAMES as u32 - 1) & 0xFFFF));
    assert!((f64::from(rx.jitter()) - oracle.jitter).abs() <= 1.0, "{} vs {}", rx.jitter(), oracle.jitter);

    // The decoded audio is exactly the sent frames, with silence where packets went missing.
    let mut expected = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        if oracle.dropped.contains(&i) || oracle.late.contains(&i) {
            expected.extend([0i16; FRAME_SAMPLES]);
        } else {
            law.decode_into(p, &mut expected);
        }
    }
    assert_eq!(sink.samples().len(), FRAMES * FRAME_SAMPLES);
    assert!(sink.samples() == expected.as_slice(), "decoded audio differs");
    let (hz, power) = dominant_frequency(sink.samples(), 8000, &CANDIDATES).unwrap();
    assert_eq!(hz, 1000.0);
    assert!(power > 0.8, "{power}");

    let tx = RtpSender::with_initial(1, 0, 0, law.payload_type()).unwrap();
    let report = StreamReport::new(&tx, &rx);
    assert_eq!(report.received.lost, lost as i64);
    assert_eq!(report.received.packets, FRAMES as u64 - lost);
    assert_eq!(report.received.payload_bytes, (FRAMES as u64 - lost) * 160);
    assert!((report.received.jitter_ms - rx.jitter_ms()).abs() < 1e-9);
}

#[test]
fn ulaw_round_trip_with_loss_duplicates_reordering_and_wrap() {
    round_trip(Law::Ulaw, 7);
}

#[test]
fn alaw_round_trip_with_loss_duplicates_reordering_and_wrap() {
    round_trip(Law::Alaw, 8);
}

#[test]
fn jitter_matches_the_worked_example() {
    // rtp-rtcp-dtmf.md: transits alternating 0, 80, 0, 80 … → reported (integer form)
    // 5, 9, 14, 18, 22, 25, 29, 32, 35, 38 after the 2nd … 11th packet.
    let mut tx = RtpSender::with_initial(42, 1000, 4_000_000_000, 0).unwrap();
    let mut rx = RtpReceiver::new(ReceiverConfig::g711(Law::Ulaw));
    let mut reported = Vec::new();
    for i in 0..11u32 {
        let ts = tx.next_timestamp();
        let p = tx.build(&[0xFF; 160]).unwrap();
        let transit = if i % 2 == 1 { 80 } else { 0 };
        // The timestamps wrap past 2^32 during this run; arrival follows them.
        rx.receive(&p, ts.wrapping_add(transit)).unwrap();
        if i > 0 {
            reported.push(rx.jitter());
        }
    }
    assert_eq!(reported, [5, 9, 14, 18, 22, 25, 29, 32, 35, 38]);
}

#[test]
fn pacer_has_no_drift_over_10000_frames() {
    let t0 = Instant::now(); // the epoch only; all later instants are simulated from it
    let mut pacer = Pacer::g711(t0);
    let mut rng = StdRng::seed_from_u64(3);
    let mut frames = 0u64;
    for n in 0..10_000u64 {
        let deadline = pacer.next_deadline();
        assert_eq!(deadline, t0 + Duration::from_millis(20 * n));
        // The driver wakes a little after the deadline (0–15 ms of scheduler lateness).
        let woke = deadline + Duration::from_micros(rng.random_range(0..15_000));
        let tick = pacer.on_tick(woke);
        assert_eq!((tick.due, tick.skipped), (1, 0));
        assert_eq!(tick.lateness, woke - deadline);
        frames += u64::from(tick.due);
    }
    assert_eq!(frames, 10_000);
    assert_eq!(pacer.next_deadline(), t0 + Duration::from_secs(200));
}

#[test]
fn pacer_catches_up_after_a_late_wake_up() {
    let t0 = Instant::now(); // the epoch only
    let mut pacer = Pacer::g711(t0);
    assert_eq!(pacer.on_tick(t0).due, 1);
    // Frames 1..=4 are due at 20, 40, 60, 80 ms; waking at 93 ms owes four frames.
    let t = t0 + Duration::from_millis(93);
    assert_eq!(pacer.on_tick(t), Tick { due: 4, skipped: 0, lateness: Duration::from_millis(73) });
    assert_eq!(pacer.next_deadline(), t0 + Duration::from_millis(100));
    // Woken early: nothing.
    assert_eq!(pacer.on_tick(t0 + Duration::from_millis(99)).due, 0);
    // A 2 s stall: bounded to 10 frames, the rest skipped, the schedule still anchored.
    let t = t0 + Duration::from_millis(2_105);
    let tick = pacer.on_tick(t);
    assert_eq!((tick.due, tick.skipped), (10, 91));
    assert_eq!(tick.lateness, Duration::from_millis(2_005));
    assert_eq!(pacer.next_deadline(), t0 + Duration::from_millis(2_120));
}

fn tone(rate: u32, hz: f64, n: usize) -> Vec<i16> {
    let mut t = Tone::single(rate, hz, Level::Dbm0(-6.0)).unwrap();
    let mut v = vec![0; n];
    t.fill(&mut v);
    v
}

#[test]
fn wav_write_then_read_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tone.wav");
    let samples = tone(8000, 1000.0, 8000);
    write_wav_8k_mono(&path, &samples).unwrap();
    let back = read_wav(&path).unwrap();
    assert_eq!(back.samples, samples);
    assert_eq!((back.source.sample_rate, back.source.channels, back.source.bits_per_sample), (8000, 1, 16));

    // Through a source and a sink: frames out, frames in, file, same samples.
    let mut src = SamplesSource::once(back.samples);
    let mut sink = CollectSink::new();
    let mut f = [0; FRAME_SAMPLES];
    while src.next_frame(&mut f) {
        sink.put_frame(&f);
    }
    let path2 = dir.path().join("again.wav");
    write_wav_8k_mono(&path2, sink.samples()).unwrap();
    assert_eq!(read_wav_8k_mono(&path2).unwrap(), samples);
}

#[test]
fn wav_16k_stereo_reads_as_8k_mono_of_the_same_tone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stereo16k.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let hi = tone(16_000, 1000.0, 16_000);
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for &s in &hi {
        w.write_sample(s).unwrap(); // left
        w.write_sample(s).unwrap(); // right
    }
    w.finalize().unwrap();

    let audio = read_wav(&path).unwrap();
    assert_eq!((audio.source.sample_rate, audio.source.channels), (16_000, 2));
    assert_eq!(audio.samples.len(), 8000);
    let (hz, power) = dominant_frequency(&audio.samples, 8000, &CANDIDATES).unwrap();
    assert_eq!(hz, 1000.0);
    assert!(power > 0.99, "{power}");
    // Same instants as an 8 kHz tone of the same frequency and phase.
    let lo = tone(8000, 1000.0, 8000);
    let worst = audio.samples.iter().zip(&lo).map(|(a, b)| (i32::from(*a) - i32::from(*b)).abs()).max();
    assert!(worst.unwrap() <= 2, "{worst:?}");

    // 44.1 kHz float stereo with the tone on the left only: half amplitude, still 1 kHz.
    let path = dir.path().join("float441.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44_100,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for s in tone(44_100, 1000.0, 44_100) {
        w.write_sample(f32::from(s) / 32767.0).unwrap();
        w.write_sample(0.0f32).unwrap();
    }
    w.finalize().unwrap();
    let audio = read_wav(&path).unwrap();
    assert_eq!(audio.samples.len(), 8000);
    let (hz, _) = dominant_frequency(&audio.samples, 8000, &CANDIDATES).unwrap();
    assert_eq!(hz, 1000.0);
    let peak = audio.samples.iter().map(|s| s.unsigned_abs()).max().unwrap();
    let full = lo.iter().map(|s| s.unsigned_abs()).max().unwrap();
    assert!((f64::from(peak) / f64::from(full) - 0.5).abs() < 0.02, "{peak} vs {full}");
}

/// An RTP-looking datagram: version 2, arbitrary flags and fields, arbitrary tail.
fn rtpish() -> impl Strategy<Value = Vec<u8>> {
    (any::<u8>(), any::<u8>(), 0u16..8, prop::collection::vec(any::<u8>(), 0..80)).prop_map(
        |(b0, b1, seq_low, tail)| {
            let mut v = vec![0x80 | (b0 & 0x3F), b1 & 0x80, 0, seq_low as u8, 0, 0, 0, 0, 0, 0, 0, 1];
            v.extend(tail);
            v
        },
    )
}

proptest! {
    #[test]
    fn receiver_never_panics_on_arbitrary_bytes(
        datagrams in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..40)
    ) {
        let mut rx = RtpReceiver::new(ReceiverConfig { reorder_depth: 2, ..ReceiverConfig::g711(Law::Ulaw) });
        for (i, d) in datagrams.iter().enumerate() {
            let _ = rx.receive(d, i as u32 * 160);
            while rx.pop().is_some() {}
        }
        while rx.flush().is_some() {}
        prop_assert_eq!(rx.queued(), 0);
    }

    #[test]
    fn receiver_keeps_its_books_on_rtp_shaped_input(datagrams in prop::collection::vec(rtpish(), 0..60)) {
        let mut rx = RtpReceiver::new(ReceiverConfig::g711(Law::Ulaw));
        let mut played = 0u64;
        for (i, d) in datagrams.iter().enumerate() {
            let _ = rx.receive(d, (i as u32).wrapping_mul(977));
            while let Some(p) = rx.pop() {
                played += match p { Playout::Packet(_) => 1, Playout::Lost { packets } => packets };
            }
        }
        while let Some(p) = rx.flush() {
            played += match p { Playout::Packet(_) => 1, Playout::Lost { packets } => packets };
        }
        let c = rx.counters();
        prop_assert_eq!(rx.lost(), rx.expected() as i64 - c.received as i64);
        prop_assert!(rx.lost() >= 0);
        // Every playout item is one sequence slot; restarts reset `expected`, so only bound it
        // by what could have been expected across all of them.
        prop_assert!(played <= datagrams.len() as u64 * 8 + 8);
    }

    #[test]
    fn wav_reader_never_panics(tail in prop::collection::vec(any::<u8>(), 0..200), which in 0u8..3) {
        let mut bytes = match which {
            0 => Vec::new(),
            1 => b"RIFF\x00\x01\x00\x00WAVEfmt ".to_vec(),
            _ => {
                let mut v = sip7940::io::wav::wav_bytes_8k_mono(&[1, 2, 3]).unwrap();
                v.truncate(36);
                v
            }
        };
        bytes.extend(tail);
        let _ = sip7940::io::wav::read_wav_bytes(&bytes);
    }
}
