//! Call-progress tones on the loudspeaker: the tone player keeps the card's ring full at the
//! card's own pace (a simulated card, driven like a device callback), and `sip7940 call
//! --audio` plays ringback while the far end rings (a real cpal stream through ALSA's file
//! plugin, the far end a second sip7940 behind Kamailio).

#[path = "support/alsa.rs"]
mod alsa;
#[path = "support/peers.rs"]
mod peers;

use peers::{KamOpts, Kamailio, SpawnReaped, sip7940_loopback};
use sip7940::io::audio::{AudioOptions, Loudspeaker, SimulatedCard, TonePlayer};
use sip7940::media::goertzel::Goertzel;
use sip7940::media::progress_tone::{ProgressTone, ToneFrames};
use std::time::{Duration, Instant};

/// The share of `samples`' energy (at `rate`) in `freqs`.
fn share(samples: &[i16], rate: u32, freqs: &[f64]) -> f64 {
    freqs
        .iter()
        .filter_map(|f| Goertzel::new(rate, *f, samples.len()).ok())
        .map(|g| g.relative_power(samples))
        .sum()
}

/// Runs of sounding / silent 10 ms blocks (at 8 kHz): `(sounding, milliseconds)`.
fn runs(samples: &[i16]) -> Vec<(bool, u32)> {
    let mut runs: Vec<(bool, u32)> = Vec::new();
    for block in samples.chunks(80) {
        let on = block.iter().any(|s| *s != 0);
        match runs.last_mut() {
            Some((was, ms)) if *was == on => *ms += 10,
            _ => runs.push((on, 10)),
        }
    }
    runs
}

#[test]
fn the_busy_tone_keeps_its_cadence_on_the_cards_clock() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (path, mut card) = SimulatedCard::open(48_000, 48_000, &AudioOptions::default()).expect("card");
    let played = rt.block_on(async move {
        let frames = ToneFrames::of(ProgressTone::Busy).expect("busy tone");
        let player = TonePlayer::start(Loudspeaker::from(path), frames);
        // The card's output callback: 480 samples every 10 ms for 2.2 s.
        let card_thread = tokio::task::spawn_blocking(move || {
            let mut played = Vec::new();
            let start = Instant::now();
            for n in 1..=220u32 {
                let mut out = [0i16; 480];
                card.play(&mut out, 1);
                played.extend(out.iter().step_by(6)); // to 8 kHz for the checks
                std::thread::sleep(
                    (start + Duration::from_millis(10) * n).saturating_duration_since(Instant::now()),
                );
            }
            played
        });
        let played = card_thread.await.expect("card thread");
        let queued = player.stop().await;
        assert!(queued >= 100, "the player kept the ring topped up: {queued} frames");
        played
    });
    let sound: Vec<i16> = played.iter().copied().skip_while(|s| *s == 0).collect();
    let runs = runs(&sound);
    // After the first burst: 0.5 s off, 0.5 s on, 0.5 s off, ... (±30 ms for block edges).
    let full: Vec<&(bool, u32)> = runs.iter().take(runs.len().saturating_sub(1)).collect();
    assert!(full.len() >= 3, "at least on, off, on: {runs:?}");
    for (_, ms) in &full {
        assert!((470..=530).contains(ms), "each half of the busy cadence lasts 0.5 s: {runs:?}");
    }
    assert!(full.windows(2).all(|w| w[0].0 != w[1].0), "{runs:?}");
    let first_burst = &sound[..4000];
    assert!(share(first_burst, 8000, &[480.0, 620.0]) > 0.9, "480 + 620 Hz");
}

#[test]
fn call_plays_ringback_on_the_sound_card_while_the_far_end_rings() {
    let kam = Kamailio::start(KamOpts::default());
    // The far end: a sip7940 on line 23456 that rings and never answers.
    let log = tempfile::NamedTempFile::new().expect("log");
    let _callee = sip7940_loopback(kam.port)
        .args(["--set", "line2_name=23456", "--set", "line1_name=\"\""])
        .args(["phone", "--bind", "127.0.0.1"])
        .stderr(log.reopen().expect("log file"))
        .reaped("start the callee");
    assert!(!kam.wait_for_contacts("23456", Duration::from_secs(10)).is_empty(), "the callee registered");
    let home = alsa::home_with(alsa::FILE_CARD);
    // The caller gives up after 1 s of ringing (timer_invite_expires), with a CANCEL.
    let out = sip7940_loopback(kam.port)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .args(["--set", "timer_invite_expires=1"])
        .args(["call", "23456", "--bind", "127.0.0.1", "--audio"])
        .output()
        .expect("run the call");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("Ringing"), "{text}");
    assert!(!text.contains("no sound card"), "the file card opened: {text}");
    // What the loudspeaker's callback wrote: ringback (440 + 480 Hz) in the stretches where
    // the tone player had queued audio (ALSA's null device has no clock: silence between).
    let (ringback, samples) = alsa::tone_share(&alsa::speaker_samples(home.path()), &[440.0, 480.0]);
    assert!(samples >= 48_000 / 10, "at least 0.1 s of tone: {samples} samples\n{text}");
    assert!(ringback > 0.8, "the loudspeaker played 440 + 480 Hz: {ringback:.2}\n{text}");
}

#[test]
fn the_phone_rings_on_the_sound_card_for_an_incoming_call() {
    let kam = Kamailio::start(KamOpts::default());
    let home = alsa::home_with(alsa::FILE_CARD);
    let log = tempfile::NamedTempFile::new().expect("log");
    // The callee: `phone --audio` on line 23456, not answering, its loudspeaker a file.
    let mut callee = sip7940_loopback(kam.port)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .args(["--set", "line2_name=23456", "--set", "line1_name=\"\""])
        .args(["phone", "--bind", "127.0.0.1", "--audio"])
        .stdin(std::process::Stdio::null())
        .stderr(log.reopen().expect("log file"))
        .reaped("start the callee");
    assert!(!kam.wait_for_contacts("23456", Duration::from_secs(10)).is_empty(), "the callee registered");
    // The caller gives up after 1 s of ringing.
    let out = sip7940_loopback(kam.port)
        .args(["--set", "timer_invite_expires=1"])
        .args(["call", "23456", "--bind", "127.0.0.1"])
        .output()
        .expect("run the call");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("Ringing"), "{text}");
    std::thread::sleep(Duration::from_millis(300));
    callee.stop();
    let said = std::fs::read_to_string(log.path()).unwrap_or_default();
    assert!(!said.contains("no sound card"), "the file card opened: {said}");
    let (ring, samples) = alsa::tone_share(&alsa::speaker_samples(home.path()), &[1209.0, 1336.0]);
    assert!(samples >= 48_000 / 10, "at least 0.1 s of ring: {samples} samples\n{said}");
    assert!(ring > 0.8, "the loudspeaker rang at 1209 + 1336 Hz: {ring:.2}\n{said}");
}
