//! Opus with a real peer: sip7940 and baresip (its opus module) through Kamailio on
//! 127.0.0.1, calling each other. Audio is checked both ways by frequency.

#[path = "support/peers.rs"]
mod peers;

use peers::{Baresip, BaresipOpts, KamOpts, Kamailio, SpawnReaped, assert_tone, sip7940_loopback, tone_hz};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A 48 kHz stereo 16-bit WAV of a `hz` tone: baresip's aufile source must match the
/// codec's 48 kHz, 2 channels when it sends Opus.
fn tone_48k_stereo(dir: &Path, hz: f64, secs: u32) -> PathBuf {
    let path = dir.join("tone-48k.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).expect("create the WAV");
    for i in 0..48000 * secs {
        let s = (10000.0 * (2.0 * std::f64::consts::PI * hz * f64::from(i) / 48000.0).sin()) as i16;
        w.write_sample(s).and_then(|()| w.write_sample(s)).expect("write the WAV");
    }
    w.finalize().expect("finish the WAV");
    path
}

/// Asserts that the WAV at `path` (any rate, first channel) holds at least a second of a
/// tone within `hz`.
fn assert_tone_any(path: &Path, hz: std::ops::Range<f64>, who: &str) {
    let mut r = hound::WavReader::open(path).unwrap_or_else(|e| panic!("{who}: {e}: {}", path.display()));
    let spec = r.spec();
    let samples: Vec<i16> =
        r.samples::<i16>().step_by(usize::from(spec.channels)).map(|s| s.unwrap_or(0)).collect();
    assert!(samples.len() > spec.sample_rate as usize, "{who}: at least a second, got {}", samples.len());
    let heard = tone_hz(spec.sample_rate, &samples);
    assert!(hz.contains(&heard), "{who} heard {heard} Hz");
}

/// Asserts that baresip's recording of what it decoded (its last call) is our 1 kHz tone.
fn assert_baresip_heard_1khz(far: &Baresip) {
    std::thread::sleep(Duration::from_millis(500));
    let dec = far.recordings_dec().last().cloned().expect("baresip's recording");
    assert_tone_any(&dec, 950.0..1050.0, "baresip");
}

/// baresip as 23456 through `kam`, offering and accepting Opus (then PCMU), sending a
/// 400 Hz tone.
fn baresip(kam: &Kamailio, dir: &Path) -> Baresip {
    let wav = tone_48k_stereo(dir, 400.0, 10);
    let proxy = format!("sip:127.0.0.1:{}", kam.port);
    let opts = BaresipOpts {
        codecs: "opus/48000/2,PCMU".into(),
        ..BaresipOpts::new("23456", "secret23456", &proxy).audio(wav)
    };
    let far = Baresip::start(opts);
    assert!(!kam.wait_for_contacts("23456", Duration::from_secs(10)).is_empty(), "baresip registered");
    far
}

#[test]
fn sip7940_preferring_opus_calls_baresip() {
    let kam = Kamailio::start(KamOpts::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let far = baresip(&kam, dir.path());
    let record = dir.path().join("heard.wav");
    let out = sip7940_loopback(kam.port)
        .args(["--set", "preferred_codec=opus", "call", "23456", "--bind", "127.0.0.1"])
        .args(["--duration", "3", "--tone", "1000", "--record", record.to_str().unwrap_or_default()])
        .output()
        .expect("run sip7940 call");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("media: opus/48000/2 sent"), "{text}");
    let log = kam.log();
    assert!(log.contains("RTP/AVP 111 0 8 101"), "our offer put Opus first");
    assert!(log.contains("a=rtpmap:111 opus/48000/2"), "baresip answered with Opus");
    // What we heard: baresip's 400 Hz; what baresip decoded from us: our 1000 Hz.
    assert_tone(&record, 380.0..420.0, "sip7940");
    assert_baresip_heard_1khz(&far);
}

#[test]
fn baresip_offering_opus_first_gets_opus_from_a_sip7940_preferring_it() {
    let kam = Kamailio::start(KamOpts::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let rec = dir.path().join("rec");
    std::fs::create_dir_all(&rec).expect("mkdir");
    let log_path = dir.path().join("phone.log");
    // A default phone answers with G.711 (the 7940's codec, tested in tests/sdp_opus.rs);
    // `preferred_codec : opus` makes it take the Opus that baresip offers first.
    let mut phone = sip7940_loopback(kam.port)
        .args(["--set", "preferred_codec=opus"])
        .args(["phone", "--bind", "127.0.0.1", "--auto-answer", "--tone", "1000"])
        .args(["--record", rec.to_str().unwrap_or_default()])
        .stderr(std::fs::File::create(&log_path).expect("log file"))
        .reaped("start the phone");
    assert!(!kam.wait_for_contacts("12345", Duration::from_secs(10)).is_empty(), "sip7940 registered");
    let far = baresip(&kam, dir.path());
    far.cmd("/dial 12345");
    far.wait_event("CALL_ESTABLISHED", Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(3));
    far.cmd("/hangup");
    let read = || std::fs::read_to_string(&log_path).unwrap_or_default();
    let recording = rec.join("call-1.wav");
    let ended = peers::wait_until(Duration::from_secs(5), || read().contains(" sent ") && recording.exists());
    phone.stop();
    assert!(ended, "the call ended and the phone wrote its recording:\n{}", read());
    assert!(read().contains("call 1: opus/48000/2 sent"), "{}", read());
    assert_tone(&recording, 380.0..420.0, &format!("sip7940 (log:\n{})", read()));
    assert_baresip_heard_1khz(&far);
}

#[test]
fn sip7940_calls_sip7940_with_opus_in_the_demo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sip7940"))
        .current_dir(dir.path())
        .args(["demo", "--set", "preferred_codec=opus", "--duration", "2", "--sip-trace"])
        .output()
        .expect("run the demo");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("RTP/AVP 111 0 8 101"), "the offer has Opus first:\n{text}");
    assert!(
        text.contains("RTP/AVP 111 101\r\n") || text.contains("RTP/AVP 111 101\n"),
        "the answer took Opus:\n{text}"
    );
    assert!(text.contains("1 call(s), 1 passed"), "both directions heard their tone:\n{text}");
}
