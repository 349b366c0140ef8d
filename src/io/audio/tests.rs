//! The data path between the callbacks and the media side, with a [`SimulatedCard`] in the
//! callbacks' place: levels and frequencies through the resamplers, underruns, overruns,
//! the playout target, the bounded microphone delay; and the errors' messages.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::media::goertzel::{Goertzel, scan_dominant_frequency};
use crate::media::pcm::PcmSample;
use crate::media::source::{FRAME_SAMPLES, Frame, FrameSource, ToneSource};
use crate::media::tone::{Level, Tone};

/// 10 ms of a 1 kHz, −10 dBm0 tone at `rate`, on `channels` identical channels.
fn tone_block(tone: &mut Tone, rate: u32, channels: usize) -> Vec<i16> {
    let mut mono = vec![0i16; rate as usize / 100];
    tone.fill(&mut mono);
    mono.iter().flat_map(|&s| std::iter::repeat_n(s, channels)).collect()
}

fn level_dbm0(samples: &[i16], hz: f64) -> f64 {
    Goertzel::new(8000, hz, samples.len()).unwrap().component_dbm0(samples)
}

#[test]
fn microphone_turns_44k1_stereo_into_8k_frames() {
    let (mut path, mut card) = SimulatedCard::open(44_100, 48_000, &AudioOptions::default()).unwrap();
    let mut tone = Tone::single(44_100, 1000.0, Level::Dbm0(-10.0)).unwrap();
    let mut frame: Frame = [0; FRAME_SAMPLES];
    let mut heard = Vec::new();
    for _ in 0..100 {
        // 10 ms captured per callback, a frame read every other one: the device's pace.
        card.capture(&tone_block(&mut tone, 44_100, 2), 2);
        card.capture(&tone_block(&mut tone, 44_100, 2), 2);
        assert_eq!(path.microphone.frames_ready(), 1);
        assert!(path.microphone.next_frame(&mut frame));
        heard.extend_from_slice(&frame);
    }
    let settled = &heard[800..];
    let (hz, _) = scan_dominant_frequency(settled, 8000, 900.0, 1100.0, 1.0).unwrap();
    assert_eq!(hz, 1000.0);
    assert!((level_dbm0(settled, 1000.0) + 10.0).abs() < 0.5);
    let stats = path.stats();
    assert_eq!((stats.captured, stats.capture_dropped, stats.mic_underruns), (88_200, 0, 0));
}

#[test]
fn microphone_without_enough_audio_gives_silence_and_counts_it() {
    let (mut path, mut card) = SimulatedCard::open(48_000, 48_000, &AudioOptions::default()).unwrap();
    let mut frame: Frame = [7; FRAME_SAMPLES];
    assert_eq!(path.microphone.frames_ready(), 0);
    assert!(path.microphone.next_frame(&mut frame), "a microphone never ends");
    assert_eq!(frame, [0; FRAME_SAMPLES]);
    card.capture(&[0.5f32; 500], 1); // less than the 960 samples of a frame
    assert!(path.microphone.next_frame(&mut frame));
    assert_eq!(path.stats().mic_underruns, 2);
    card.capture(&[0.5f32; 500], 1);
    assert_eq!(path.microphone.frames_ready(), 1);
    assert!(path.microphone.next_frame(&mut frame));
    assert_eq!(path.stats().mic_underruns, 2);
}

#[test]
fn microphone_delay_stays_bounded() {
    let options = AudioOptions { ring_ms: 200, capture_backlog_ms: 60, ..AudioOptions::default() };
    let (mut path, mut card) = SimulatedCard::open(16_000, 16_000, &options).unwrap();
    // Half a second captured while nobody reads: the ring keeps 200 ms and counts the rest.
    card.capture(&vec![0.1f32; 8000], 1);
    assert_eq!(path.stats().capture_dropped, 8000 - 3200);
    // Only the newest 60 ms (3 frames) are offered; the rest is skipped on the next read.
    assert_eq!(path.microphone.frames_ready(), 3);
    let mut frame: Frame = [0; FRAME_SAMPLES];
    path.microphone.next_frame(&mut frame);
    assert_eq!(path.stats().capture_skipped, 3200 - 960);
    path.microphone.discard_backlog();
    assert_eq!(path.microphone.frames_ready(), 0);
}

#[test]
fn speaker_plays_8k_frames_at_48k_on_both_channels() {
    let (mut path, mut card) = SimulatedCard::open(48_000, 48_000, &AudioOptions::default()).unwrap();
    let mut source = ToneSource::default();
    let mut frame: Frame = [0; FRAME_SAMPLES];
    let mut out = vec![0i16; 480 * 2];
    let (mut left, mut right): (Vec<i16>, Vec<i16>) = (Vec::new(), Vec::new());
    for _ in 0..200 {
        // The media task tops the ring up to the playout target, the device takes 10 ms.
        for _ in 0..path.speaker.frames_wanted() {
            source.next_frame(&mut frame);
            assert!(path.speaker.push_frame(&frame));
        }
        card.play(&mut out, 2);
        left.extend(out.iter().step_by(2));
        right.extend(out.iter().skip(1).step_by(2));
    }
    assert_eq!(left, right);
    let settled = &left[4800..];
    let g = Goertzel::new(48_000, 1000.0, settled.len()).unwrap();
    assert!((g.component_dbm0(settled) + 10.0).abs() < 0.5, "{}", g.component_dbm0(settled));
    let stats = path.stats();
    assert_eq!(stats.played, 96_000);
    assert_eq!(path.speaker.played_samples(), 96_000);
    assert_eq!(stats.starved, 0, "the playout target keeps the ring from running dry");
    assert_eq!(stats.speaker_overruns, 0);
}

#[test]
fn frames_wanted_follows_the_device_clock() {
    let options = AudioOptions { playout_ms: 60, ..AudioOptions::default() };
    let (mut path, mut card) = SimulatedCard::open(8000, 8000, &options).unwrap();
    assert_eq!(path.speaker.frames_wanted(), 3, "60 ms of 20 ms frames to start with");
    let frame: Frame = [1000; FRAME_SAMPLES];
    for _ in 0..3 {
        path.speaker.push_frame(&frame);
    }
    // The resampler holds back its delay, so nearly 3 frames are queued: one more is wanted.
    assert!(path.speaker.queued() > 400, "{}", path.speaker.queued());
    assert!(path.speaker.frames_wanted() <= 1);
    let mut out = [0.0f32; 160];
    card.play(&mut out, 1);
    card.play(&mut out, 1);
    assert_eq!(path.speaker.frames_wanted(), 2, "two frames played, two wanted");
    // Nothing pushed for long: silence is played and counted.
    for _ in 0..10 {
        card.play(&mut out, 1);
    }
    assert_eq!(out, [0.0; 160]);
    let stats = path.stats();
    assert_eq!(stats.played, 12 * 160);
    assert!(stats.starved >= 12 * 160 - 480, "{stats:?}");
}

#[test]
fn playout_target_rises_with_the_device_buffer_within_the_ring() {
    let options = AudioOptions { ring_ms: 100, playout_ms: 20, ..AudioOptions::default() };
    let (mut path, _card) = SimulatedCard::open(8000, 8000, &options).unwrap();
    assert_eq!(path.speaker.frames_wanted(), 1);
    path.speaker.keep_at_least(2 * 256);
    assert_eq!(path.speaker.frames_wanted(), 4, "512 samples are 3.2 frames");
    path.speaker.keep_at_least(100_000);
    assert_eq!(path.speaker.frames_wanted(), 5, "never more than the ring holds");
}

#[test]
fn a_full_speaker_ring_refuses_frames() {
    let options = AudioOptions { ring_ms: 100, ..AudioOptions::default() };
    let (mut path, _card) = SimulatedCard::open(8000, 8000, &options).unwrap();
    let frame: Frame = [0; FRAME_SAMPLES];
    let accepted = (0..10).filter(|_| path.speaker.push_frame(&frame)).count();
    assert_eq!(accepted, 5, "100 ms hold five 20 ms frames");
    assert_eq!(path.stats().speaker_overruns, 5);
    assert_eq!(path.speaker.frames_wanted(), 0);
}

#[test]
fn speaker_is_a_frame_sink_of_any_length() {
    use crate::media::sink::FrameSink;
    let (mut path, mut card) = SimulatedCard::open(8000, 16_000, &AudioOptions::default()).unwrap();
    path.speaker.put_frame(&[8192; 400]);
    let mut out = [0.0f32; 1000];
    card.play(&mut out, 1);
    let last = out[700];
    assert!((last - 0.25).abs() < 1e-3, "{last}");
}

#[test]
fn speaker_to_microphone_loop_keeps_the_tone() {
    // What a loopback cable would do: the output callback's samples fed to the input one.
    let (mut path, mut card) = SimulatedCard::open(48_000, 48_000, &AudioOptions::default()).unwrap();
    let mut source = ToneSource::default();
    let mut frame: Frame = [0; FRAME_SAMPLES];
    let mut heard = Vec::new();
    let mut block = vec![0.0f32; 960];
    for _ in 0..100 {
        for _ in 0..path.speaker.frames_wanted() {
            source.next_frame(&mut frame);
            path.speaker.push_frame(&frame);
        }
        card.play(&mut block, 1);
        card.capture(&block, 1);
        while path.microphone.frames_ready() > 0 {
            path.microphone.next_frame(&mut frame);
            heard.extend_from_slice(&frame);
        }
    }
    assert!(heard.len() >= 98 * FRAME_SAMPLES, "{}", heard.len());
    let settled = &heard[1600..];
    assert!((level_dbm0(settled, 1000.0) + 10.0).abs() < 0.5);
    assert!(Goertzel::new(8000, 1000.0, settled.len()).unwrap().relative_power(settled) > 0.99);
}

#[test]
fn callbacks_convert_formats_and_channels() {
    use crate::media::sink::FrameSink;
    let (mut path, mut card) = SimulatedCard::open(8000, 8000, &AudioOptions::default()).unwrap();
    // Stereo i16 in: the mean of the two channels.
    card.capture(&[16384i16, 0].repeat(400), 2);
    let mut frame: Frame = [0; FRAME_SAMPLES];
    path.microphone.next_frame(&mut frame);
    path.microphone.next_frame(&mut frame);
    assert!(frame.iter().all(|&s| (s - 8192).abs() <= 2), "{:?}", &frame[..8]);
    // Mono f32 out to three i16 channels.
    path.speaker.put_frame(&[i16::from_f32(0.5); 320]);
    let mut out = [0i16; 3 * 320];
    card.play(&mut out, 3);
    assert_eq!(&out[3 * 300..3 * 301], &[16384; 3]);
}

#[test]
fn an_audio_path_can_move_to_another_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<AudioPath>();
}

#[test]
fn headless_message_is_one_clear_line() {
    let err = cpal::Error::new(cpal::ErrorKind::DeviceNotAvailable);
    let e =
        AudioError::from_cpal(&err, "default", Direction::Output, Some("ALSA: Unknown PCM default".into()));
    assert_eq!(
        e.to_string(),
        "no sound card: DeviceNotAvailable on 'default' (ALSA: Unknown PCM default) — running headless"
    );
    assert!(e.is_headless());
    let bare = AudioError::from_cpal(&err, "hw:1", Direction::Input, None);
    assert_eq!(bare.to_string(), "no sound card: DeviceNotAvailable on 'hw:1' — running headless");
    assert_eq!(
        AudioError::NoDevice { direction: Direction::Input }.to_string(),
        "no sound card: no input device — running headless"
    );
}

#[test]
fn cpal_kinds_map_to_our_errors() {
    let map = |kind| AudioError::from_cpal(&cpal::Error::new(kind), "x", Direction::Output, None);
    assert_eq!(map(cpal::ErrorKind::DeviceBusy), AudioError::Busy { name: "x".into() });
    assert_eq!(map(cpal::ErrorKind::PermissionDenied), AudioError::PermissionDenied { name: "x".into() });
    assert!(matches!(map(cpal::ErrorKind::UnsupportedConfig), AudioError::UnsupportedConfig { .. }));
    let other = map(cpal::ErrorKind::BackendError);
    assert!(matches!(&other, AudioError::Stream(m) if m.starts_with("'x' (output): ")), "{other}");
    assert!(!other.is_headless());
    let multi = cpal::Error::with_message(cpal::ErrorKind::Other, "first\nsecond");
    let e = AudioError::from_cpal(&multi, "x", Direction::Input, None);
    assert_eq!(e.to_string(), "audio stream: 'x' (input): first");
    assert!(!e.to_string().contains('\n'));
}
