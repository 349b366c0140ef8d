//! DTMF end to end, sans-IO: the 7940's `dtmf_*` settings and the negotiated payload type
//! pick a method; a `DtmfSender` plays digits into an RTP stream frame by frame; the
//! datagrams go through an `RtpReceiver` (with losses where a test asks for them); the
//! receiving side turns telephone-events, or in-band tones in the decoded G.711, back into
//! the same digits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use sip7940::config::groups::MediaConfig;
use sip7940::config::value::DtmfOutOfBand;
use sip7940::media::dtmf_inband::InbandDigits;
use sip7940::media::dtmf_plan::{DtmfMethod, DtmfPlan};
use sip7940::media::dtmf_receiver::{DigitEvent, DigitSource, EventEnd, TelephoneEventReceiver};
use sip7940::media::dtmf_sender::{DtmfSender, DtmfTiming, FrameOut};
use sip7940::media::g711::Law;
use sip7940::media::rtp::{Playout, ReceiverConfig, RtpReceiver, RtpSender, parse_rtp};
use sip7940::media::source::{FRAME_SAMPLES, Frame};
use sip7940::media::tone::{Level, Tone, power_dbm0};

const LAW: Law = Law::Ulaw;
/// The telephone-event number both sides use in these tests.
const EVENT_PT: u8 = 101;

fn config(outofband: DtmfOutOfBand, inband: bool, db_level: u8) -> MediaConfig {
    MediaConfig {
        dtmf_outofband: outofband,
        dtmf_inband: inband,
        dtmf_db_level: db_level,
        ..MediaConfig::default()
    }
}

/// The sending engine: `ticks` frames of a quiet 440 Hz "microphone", with `digits` queued
/// at the start. Returns the datagrams and the frames of audio that were sent.
fn send(method: DtmfMethod, digits: &str, ticks: usize) -> (Vec<Vec<u8>>, Vec<Frame>) {
    let mut rtp = RtpSender::with_initial(0x7940, 60_000, u32::MAX - 3000, LAW.payload_type()).unwrap();
    let mut dtmf = DtmfSender::new(method, DtmfTiming::default());
    dtmf.queue(digits).unwrap();
    let mut mic = Tone::single(8000, 440.0, Level::Dbm0(-35.0)).unwrap();
    let mut packets = Vec::new();
    let mut sent_audio = Vec::new();
    for _ in 0..ticks {
        let mut frame: Frame = [0; FRAME_SAMPLES];
        mic.fill(&mut frame);
        match dtmf.next_frame(&mut rtp, &mut frame).unwrap() {
            FrameOut::Audio => {
                let mut encoded = [0u8; FRAME_SAMPLES];
                LAW.encode_to_slice(&frame, &mut encoded);
                packets.push(rtp.build(&encoded).unwrap());
                sent_audio.push(frame);
            }
            FrameOut::Event(packet) => packets.push(packet),
        }
    }
    assert!(dtmf.is_idle(), "{ticks} ticks were not enough for {digits:?}");
    (packets, sent_audio)
}

/// The receiving engine: RTP receiver, then events or decoded audio into digits.
fn receive(packets: &[Vec<u8>], detect_inband: bool) -> Vec<DigitEvent> {
    let mut rx = RtpReceiver::new(ReceiverConfig {
        payload_types: vec![LAW.payload_type(), EVENT_PT],
        ..ReceiverConfig::g711(LAW)
    });
    let mut events = TelephoneEventReceiver::new(EVENT_PT);
    let mut inband = InbandDigits::new().unwrap();
    let mut digits = Vec::new();
    let mut next_audio_ts = None;
    let mut handle = |item: Playout, digits: &mut Vec<DigitEvent>| match item {
        Playout::Packet(p) => {
            events.on_packet(p.payload_type, p.timestamp, &p.payload, digits).unwrap();
            if detect_inband && p.payload_type != EVENT_PT {
                let mut samples = Vec::new();
                LAW.decode_into(&p.payload, &mut samples);
                inband.push(p.timestamp, &samples, digits);
                next_audio_ts = Some(p.timestamp.wrapping_add(FRAME_SAMPLES as u32));
            }
        }
        Playout::Lost { packets } => {
            if let (true, Some(ts)) = (detect_inband, next_audio_ts) {
                let silence = vec![0i16; FRAME_SAMPLES * packets as usize];
                inband.push(ts, &silence, digits);
            }
        }
    };
    for (i, p) in packets.iter().enumerate() {
        rx.receive(p, i as u32 * 160).unwrap();
        while let Some(item) = rx.pop() {
            handle(item, &mut digits);
        }
    }
    while let Some(item) = rx.flush() {
        handle(item, &mut digits);
    }
    events.finish(&mut digits);
    digits
}

fn digit_string(events: &[DigitEvent]) -> String {
    events.iter().map(|d| d.digit).collect()
}

#[test]
fn round_trip_over_rfc4733() {
    let plan = DtmfPlan::new(&config(DtmfOutOfBand::Avt, true, 3), Some(EVENT_PT));
    let digits = "1234#*ABCD0";
    let (packets, audio) = send(plan.send, digits, 11 * 8 + 5);
    // Only the gaps and the tail are audio; they are silence or the microphone, never tones.
    assert_eq!(audio.len(), 11 + 5);
    let got = receive(&packets, plan.detect_inband);
    assert_eq!(digit_string(&got), digits);
    for (i, d) in got.iter().enumerate() {
        assert_eq!(d.duration_ms, 100, "{d:?}");
        assert_eq!(d.volume, Some(10));
        assert_eq!(d.source, DigitSource::TelephoneEvent(EventEnd::EndBit));
        // One digit every 8 frames (5 tone + 3 gap), from the stream's first timestamp.
        assert_eq!(d.start_timestamp, (u32::MAX - 3000).wrapping_add(i as u32 * 8 * 160));
    }
}

#[test]
fn round_trip_survives_lost_first_and_end_packets() {
    let plan = DtmfPlan::new(&config(DtmfOutOfBand::AvtAlways, false, 1), None);
    assert_eq!(plan.send, DtmfMethod::Rfc4733 { payload_type: EVENT_PT, volume: 16 });
    let (packets, _) = send(plan.send, "5566", 4 * 8 + 10);
    // Per digit (8 ticks): 4 updates, the end packet and its 2 copies, 1 gap frame. The
    // first update of every digit is lost, and the second "5" and the second "6" lose all
    // three end packets.
    let lost = |i: usize| {
        let (digit, k) = (i / 8, i % 8);
        i < 32 && (k == 0 || ((digit == 1 || digit == 3) && (4..=6).contains(&k)))
    };
    let kept: Vec<Vec<u8>> =
        packets.iter().enumerate().filter(|(i, _)| !lost(*i)).map(|(_, p)| p.clone()).collect();
    assert!(parse_rtp(&packets[4]).unwrap().payload[1] & 0x80 != 0, "packet 4 is an end packet");
    let got = receive(&kept, plan.detect_inband);
    assert_eq!(digit_string(&got), "5566");
    let ends: Vec<DigitSource> = got.iter().map(|d| d.source).collect();
    assert_eq!(
        ends,
        [
            DigitSource::TelephoneEvent(EventEnd::EndBit),
            DigitSource::TelephoneEvent(EventEnd::NextEvent),
            DigitSource::TelephoneEvent(EventEnd::EndBit),
            DigitSource::TelephoneEvent(EventEnd::Timeout),
        ]
    );
    // Durations as far as known: 100 ms with an end packet, 80 ms (the 4th update) without.
    assert_eq!(got.iter().map(|d| d.duration_ms).collect::<Vec<_>>(), [100, 80, 100, 80]);
    assert!(got.iter().all(|d| d.volume == Some(16)));
}

#[test]
fn round_trip_in_band_at_every_level() {
    for db_level in 1..=5 {
        let plan = DtmfPlan::new(&config(DtmfOutOfBand::None, true, db_level), None);
        let DtmfMethod::InBand { level } = plan.send else { panic!("{plan:?}") };
        assert!(plan.detect_inband);
        let digits = "1234#*ABCD0";
        let (packets, audio) = send(plan.send, digits, 11 * 8 + 5);
        assert!(packets.iter().all(|p| parse_rtp(p).unwrap().payload_type == LAW.payload_type()));
        // The first tone frame carries the digit at the configured level (two components).
        // (Two equal components: 3 dB above each.)
        let expected = level.dbm0() + 10.0 * 2f64.log10();
        let measured = power_dbm0(&audio[0]);
        assert!((measured - expected).abs() < 0.3, "level {db_level}: {measured} vs {expected}");
        let got = receive(&packets, plan.detect_inband);
        assert_eq!(digit_string(&got), digits, "level {db_level}");
        assert!(got.iter().all(|d| d.source == DigitSource::InBand && d.volume.is_none()));
    }
}

#[test]
fn avt_without_telephone_event_falls_back_to_in_band() {
    let avt = config(DtmfOutOfBand::Avt, true, 3);
    let with = DtmfPlan::new(&avt, Some(EVENT_PT));
    let without = DtmfPlan::new(&avt, None);
    let (ev_packets, ev_audio) = send(with.send, "9", 12);
    let (ib_packets, ib_audio) = send(without.send, "9", 12);
    let event_count =
        |ps: &[Vec<u8>]| ps.iter().filter(|p| parse_rtp(p).unwrap().payload_type == EVENT_PT).count();
    assert_eq!(event_count(&ev_packets), 7);
    assert_eq!(ev_audio.len(), 5);
    assert_eq!(event_count(&ib_packets), 0);
    assert_eq!(ib_audio.len(), 12);
    assert_eq!(digit_string(&receive(&ev_packets, with.detect_inband)), "9");
    assert_eq!(digit_string(&receive(&ib_packets, without.detect_inband)), "9");
    // dtmf_inband 0 and no telephone-event: nothing can carry digits.
    let off = DtmfPlan::new(&config(DtmfOutOfBand::Avt, false, 3), None);
    let mut sender = DtmfSender::new(off.send, DtmfTiming::default());
    assert!(sender.queue("1").is_err());
}
