//! `sip7940 call` against real peers on 127.0.0.1: Kamailio (which challenges the INVITE
//! with 407) and baresip as the far phone. Audio is checked both ways by frequency.

#[path = "support/peers.rs"]
mod peers;

use peers::{Baresip, BaresipOpts, KamOpts, Kamailio, assert_tone, make_tone, sip7940_loopback};
use std::time::Duration;

fn call(kam: &Kamailio, number: &str, extra: &[&str]) -> (i32, String) {
    let out = sip7940_loopback(kam.port)
        .args(["call", number, "--bind", "127.0.0.1"])
        .args(extra)
        .output()
        .expect("run sip7940 call");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn sip7940_calls_baresip_and_audio_flows_both_ways() {
    let kam = Kamailio::start(KamOpts::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let (wav, _) = make_tone(dir.path(), 400, 10);
    let proxy = format!("sip:127.0.0.1:{}", kam.port);
    let far = Baresip::start(BaresipOpts::new("23456", "secret23456", &proxy).audio(wav));
    assert!(!kam.wait_for_contacts("23456", Duration::from_secs(10)).is_empty(), "baresip registered");
    let record = dir.path().join("heard.wav");
    let (code, text) = call(
        &kam,
        "23456",
        &["--duration", "2", "--tone", "1000", "--record", record.to_str().unwrap_or_default()],
    );
    assert_eq!(code, 0, "{text}");
    // No "Ringing": Kamailio's workers may forward baresip's 180 after its 200, and a 180
    // on a connected call is rightly ignored (ringing is asserted in tests/call_outgoing.rs).
    for step in ["Calling 23456", "Connected", "Ended: hung up here after 2.0 s", "media: PCMU/8000 sent"] {
        assert!(text.contains(step), "missing {step:?} in\n{text}");
    }
    assert!(kam.log().contains("Proxy-Authorization: Digest username=\"12345\""), "the 407 was answered");
    // What we heard: baresip's 400 Hz; what baresip heard: our 1000 Hz.
    assert_tone(&record, 380.0..420.0, "sip7940");
    std::thread::sleep(Duration::from_millis(500));
    let dec = far.recordings_dec().last().cloned().expect("baresip's recording");
    assert_tone(&dec, 950.0..1050.0, "baresip");
}

#[test]
fn an_unknown_number_ends_with_its_status() {
    let kam = Kamailio::start(KamOpts::default());
    let (code, text) = call(&kam, "99999", &["--duration", "1"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("Ended: 404"), "{text}");
}

#[test]
fn baresip_calls_sip7940_which_auto_answers_and_records() {
    let kam = Kamailio::start(KamOpts::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let (wav, _) = make_tone(dir.path(), 400, 10);
    let rec = dir.path().join("rec");
    std::fs::create_dir_all(&rec).expect("mkdir");
    let mut phone = sip7940_loopback(kam.port)
        .args(["phone", "--bind", "127.0.0.1", "--auto-answer", "--tone", "1000"])
        .args(["--record", rec.to_str().unwrap_or_default()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the phone");
    assert!(!kam.wait_for_contacts("12345", Duration::from_secs(10)).is_empty(), "sip7940 registered");
    let proxy = format!("sip:127.0.0.1:{}", kam.port);
    let far = Baresip::start(BaresipOpts::new("23456", "secret23456", &proxy).audio(wav));
    assert!(!kam.wait_for_contacts("23456", Duration::from_secs(10)).is_empty(), "baresip registered");
    far.cmd("/dial 12345");
    far.wait_event("CALL_ESTABLISHED", Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(2));
    far.cmd("/hangup");
    let recording = rec.join("call-1.wav");
    assert!(
        peers::wait_until(Duration::from_secs(5), || recording.exists()),
        "the phone wrote its recording"
    );
    let _ = phone.kill();
    let _ = phone.wait();
    assert_tone(&recording, 380.0..420.0, "sip7940");
    std::thread::sleep(Duration::from_millis(500));
    let dec = far.recordings_dec().last().cloned().expect("baresip's recording");
    assert_tone(&dec, 950.0..1050.0, "baresip");
}
