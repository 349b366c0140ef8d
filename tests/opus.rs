//! Opus end to end on simulated time: two media engines negotiated through real SDP
//! offer/answer, a tone each way, RTP timestamps on the 48 kHz clock, loss concealed (PLC
//! and in-band FEC), RFC 4733 DTMF beside Opus; and the jitter buffer playing an Opus
//! stream across the RTP timestamp wrap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "support/engine_pair.rs"]
mod engine_pair;

use engine_pair::{A, B, Link, Pair, digits};
use sip7940::config::groups::MediaConfig;
use sip7940::config::value::Codec;
use sip7940::media::jitter::{FrameKind, JitterBuffer};
use sip7940::media::opus::{OpusDecoder, OpusEncoder, OpusSettings};
use sip7940::media::plc::Decoder;
use sip7940::media::rtp::{RtpSender, parse_rtp};
use sip7940::media::source::{FRAME_SAMPLES, FrameSource, ToneSource};
use sip7940::media::tone::Level;
use sip7940::sdp::{AudioCodec, LocalMedia, Media, answer, make_offer, negotiated};
use std::net::SocketAddr;
use std::time::Duration;

/// Local media of a phone at `at` preferring `preferred`.
fn local(at: &str, preferred: Codec) -> LocalMedia {
    let addr: SocketAddr = at.parse().unwrap();
    let config = MediaConfig { preferred_codec: preferred, ..MediaConfig::default() };
    LocalMedia::from_config(&config, addr.ip(), addr.port(), 1, 1)
}

/// A offers, B answers: the media each of them runs (A's, B's).
fn negotiate(a: Codec, b: Codec) -> (Media, Media) {
    let offer = make_offer(&local(A, a));
    let reply = answer(&offer, &local(B, b)).unwrap();
    (negotiated(&offer, &reply).unwrap(), negotiated(&reply, &offer).unwrap())
}

fn opus_pair(link: Link) -> Pair {
    let (to_b, to_a) = negotiate(Codec::Opus, Codec::Opus);
    assert_eq!((to_b.codec, to_a.codec), (AudioCodec::Opus, AudioCodec::Opus));
    Pair::with_media(link, &MediaConfig::default(), to_b, to_a, to_b.dtmf_payload)
}

/// RMS of each 20 ms block of `samples`.
fn block_rms(samples: &[i16]) -> Vec<f64> {
    samples
        .chunks(FRAME_SAMPLES)
        .map(|c| (c.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / c.len() as f64).sqrt())
        .collect()
}

#[test]
fn sdp_negotiation_both_ways() {
    // Both prefer Opus: A offers it first and B takes it, on A's number.
    let (to_b, to_a) = negotiate(Codec::Opus, Codec::Opus);
    for m in [to_b, to_a] {
        assert_eq!(
            (m.codec, m.payload_type, m.receive_payload_type, m.opus_fec),
            (AudioCodec::Opus, 111, 111, true)
        );
    }
    assert_eq!(to_b.remote_rtp, B.parse().unwrap());
    // A default phone speaks G.711 even when the offer puts Opus first.
    let (to_b, to_a) = negotiate(Codec::Opus, Codec::G711Ulaw);
    assert_eq!((to_b.codec, to_a.codec), (AudioCodec::Pcmu, AudioCodec::Pcmu));
    // An answerer that prefers Opus takes it from an offer that lists it after G.711.
    let offer = make_offer(&local(B, Codec::G711Ulaw));
    let reply = answer(&offer, &local(A, Codec::Opus)).unwrap();
    assert_eq!(negotiated(&reply, &offer).unwrap().codec, AudioCodec::Opus);
}

#[test]
fn a_tone_arrives_as_the_same_tone_both_ways() {
    let mut p = opus_pair(Link { delay_ms: 40, jitter_ms: 0, loss_percent: 0 });
    p.run_for(Duration::from_secs(10));
    for (name, r) in [("a", p.a.report(p.now)), ("b", p.b.report(p.now))] {
        assert_eq!(r.codec, "opus/48000/2");
        assert!((490..=501).contains(&r.packets_sent), "{name}: {r:?}");
        assert!(r.packets_received >= 490 && r.lost == 0 && r.late == 0, "{name}: {r:?}");
        assert!(r.tone_frames >= 480, "{name} heard the other's tone: {r:?}");
        // Jitter measured on the 48 kHz clock: none on this link (on an 8 kHz arrival
        // clock every packet would look 16.7 ms off).
        assert!(r.jitter_ms < 0.5, "{name}: {r:?}");
        let send = r.send.expect("the far end's reports arrived");
        assert!(send.jitter_ms < 0.5 && send.loss_percent == 0.0, "{name}: {send:?}");
        let rtt = r.rtt_ms.expect("RTCP measured the round trip");
        assert!((79.0..=81.0).contains(&rtt), "{name}: RTT {rtt}");
        assert!(r.receive.quality.mos > 4.0 && r.receive.quality.estimate, "{name}: {r:?}");
    }
    // What B played is A's tone at its level (−10 dBm0 is about 7300 RMS), not just
    // something at 1 kHz.
    let heard = p.b.take_recording();
    let rms = block_rms(&heard[8000..]);
    assert!(rms.iter().all(|&r| (4000.0..10000.0).contains(&r)), "{:?}", &rms[..10]);
}

#[test]
fn rtp_timestamps_advance_960_per_frame() {
    let mut p = opus_pair(Link { delay_ms: 10, jitter_ms: 0, loss_percent: 0 });
    p.tap_a = true;
    p.run_for(Duration::from_secs(1));
    let headers: Vec<_> = p.sent_by_a.iter().map(|d| parse_rtp(d).unwrap()).collect();
    assert!(headers.len() >= 49, "{}", headers.len());
    for w in headers.windows(2) {
        assert_eq!(w[1].timestamp.wrapping_sub(w[0].timestamp), 960);
        assert_eq!(w[1].sequence.wrapping_sub(w[0].sequence), 1);
        assert_eq!((w[1].payload_type, w[1].marker), (111, false));
    }
    assert!(headers[0].marker);
    // Each payload is one 20 ms Opus packet, far smaller than G.711's 160 octets.
    let d = OpusDecoder::new(111).unwrap();
    assert!(headers.iter().all(|h| d.samples(h.payload) == Some(160) && h.payload.len() < 100));
}

/// B's recording after 20 s over `link`, in 20 ms RMS blocks (the first second left out).
fn heard_by_b(link: Link) -> (Vec<f64>, sip7940::media::engine::EngineReport) {
    let mut p = opus_pair(link);
    p.run_for(Duration::from_secs(20));
    (block_rms(&p.b.take_recording()[8000..]), p.b.report(p.now))
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

#[test]
fn five_percent_loss_is_concealed() {
    let (clean, _) = heard_by_b(Link { delay_ms: 40, jitter_ms: 10, loss_percent: 0 });
    let (rms, r) = heard_by_b(Link { delay_ms: 40, jitter_ms: 10, loss_percent: 5 });
    assert!((3.0..8.0).contains(&r.receive.loss_percent), "about 5 % lost: {r:?}");
    assert!(r.concealed_frames > 20, "losses were concealed: {r:?}");
    assert!(r.tone_frames as f64 > 0.95 * r.frames_played as f64, "the tone goes on: {r:?}");
    // No silence where packets went missing: never 40 ms in a row below a fifth of the
    // level, and the level over the call stays within 10 % of a clean call's.
    let quiet: Vec<bool> = rms.iter().map(|&b| b < 0.2 * mean(&clean)).collect();
    assert!(!quiet.windows(2).any(|w| w[0] && w[1]), "{rms:?}");
    assert!(mean(&rms) > 0.9 * mean(&clean), "{} vs {}", mean(&rms), mean(&clean));
}

#[test]
fn dtmf_events_beside_opus() {
    let mut p = opus_pair(Link { delay_ms: 20, jitter_ms: 10, loss_percent: 0 });
    p.run_for(Duration::from_millis(500));
    p.a.send_dtmf("1234#*").expect("digits");
    p.run_for(Duration::from_secs(3));
    assert_eq!(digits(&p.events_b), "1234#*");
    // The audio after the events resumes on time: had the events advanced the 48 kHz
    // audio clock by 160 instead of 960 per frame, it would arrive "late".
    let r = p.b.report(p.now);
    assert_eq!(r.late, 0, "{r:?}");
    p.run_for(Duration::from_secs(1));
    let after = p.b.report(p.now);
    assert!(after.tone_frames - r.tone_frames >= 48, "the tone is back: {after:?}");
}

#[test]
fn a_renegotiation_switches_g711_to_opus_mid_call() {
    let link = Link { delay_ms: 20, jitter_ms: 0, loss_percent: 0 };
    let mut p = Pair::new(link, &MediaConfig::default(), None);
    p.run_for(Duration::from_secs(2));
    let before = p.b.report(p.now);
    assert_eq!(before.codec, "PCMU/8000");
    let (to_b, to_a) = negotiate(Codec::Opus, Codec::Opus);
    p.a.update(to_b, &MediaConfig::default(), 11);
    p.b.update(to_a, &MediaConfig::default(), 12);
    p.run_for(Duration::from_secs(2));
    let after = p.b.report(p.now);
    assert_eq!(after.codec, "opus/48000/2");
    // A new stream (new SSRC, 48 kHz clock) that plays as soon as it is primed.
    assert!(after.packets_received >= 95 && after.lost == 0, "{after:?}");
    assert!(after.tone_frames - before.tone_frames >= 90, "{after:?}");
}

/// An Opus stream straight into the jitter buffer: RTP timestamps starting just before the
/// `u32` wrap, one packet every 20 ms, playout pulled every 20 ms (8 kHz local ticks).
#[test]
fn jitter_buffer_plays_an_opus_stream_across_the_timestamp_wrap() {
    let mut enc = OpusEncoder::new(OpusSettings::default()).unwrap();
    let mut rtp = RtpSender::with_initial(9, 65530, u32::MAX - 5 * 960, 111).unwrap();
    let mut tone = ToneSource::new(1000.0, Level::Dbm0(-10.0)).unwrap();
    let mut jb = JitterBuffer::new(OpusDecoder::new(111).unwrap());
    let mut frame = [0i16; FRAME_SAMPLES];
    let mut kinds = Vec::new();
    let mut played = Vec::new();
    for k in 0..100u32 {
        tone.next_frame(&mut frame);
        let packet = rtp.build_with_duration(enc.encode(&frame).unwrap(), 960).unwrap();
        // Packet 50 is lost (its successor is buffered: FEC rebuilds it).
        if k != 50 {
            jb.push(&packet, k * 160 + 80).unwrap();
        }
        let mut out = [0i16; FRAME_SAMPLES];
        kinds.push(jb.pull(k * 160 + 100, &mut out));
        played.extend_from_slice(&out);
    }
    let s = jb.stats();
    assert_eq!((s.resyncs, s.late, s.discarded), (0, 0, 0), "{s:?}");
    let audio = kinds.iter().filter(|k| **k == FrameKind::Audio).count();
    assert!(audio >= 95, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == FrameKind::Concealed).count(), 1, "{kinds:?}");
    assert_eq!(jb.decoder().counts().fec, 1, "the gap was handed to FEC with the next packet");
    // Every frame after the start sounds: the concealed one and its recovery dip (Opus's
    // gain smoothing), none falls silent.
    let rms = block_rms(&played[FRAME_SAMPLES * 10..]);
    assert!(rms.iter().all(|&r| r > 1000.0), "{rms:?}");
    assert!(rms.iter().filter(|&&r| r > 4000.0).count() >= rms.len() - 3, "{rms:?}");
}
