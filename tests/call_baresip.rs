//! `sip7940 call` against real peers on 127.0.0.1: Kamailio (which challenges the INVITE
//! with 407) and baresip as the far phone. Audio is checked both ways by frequency.

#[path = "support/peers.rs"]
mod peers;

use peers::{
    Baresip, BaresipOpts, KamOpts, Kamailio, Reaped, SpawnReaped, assert_tone, make_tone, sip7940_loopback,
};
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
    let (code, text) = call(&kam, "99999", &["--duration", "1", "--json"]);
    assert_eq!(code, 1, "{text}");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(doc["end"]["by"], "status", "{doc}");
    assert_eq!(doc["end"]["status"], 404, "{doc}");
    assert_eq!((doc["answered"].as_bool(), doc["ok"].as_bool()), (Some(false), Some(false)), "{doc}");
    assert!(doc["media"].is_null() && doc["setup_ms"].is_null(), "{doc}");
}

/// `sip7940 phone --auto-answer` (with `phone_args`, its log in `dir/phone.log`) on line
/// 12345, and a baresip 23456 sending `audio` that has called it and been answered.
fn baresip_calls_the_phone(
    kam: &Kamailio,
    dir: &std::path::Path,
    audio: Option<std::path::PathBuf>,
    phone_args: &[&str],
) -> (Reaped, Baresip, std::path::PathBuf) {
    let log_path = dir.join("phone.log");
    let phone = Reaped::spawn(
        sip7940_loopback(kam.port)
            .args(["phone", "--bind", "127.0.0.1", "--auto-answer"])
            .args(phone_args)
            .stderr(std::fs::File::create(&log_path).expect("log file")),
        "start the phone",
    );
    assert!(!kam.wait_for_contacts("12345", Duration::from_secs(10)).is_empty(), "sip7940 registered");
    let proxy = format!("sip:127.0.0.1:{}", kam.port);
    let mut opts = BaresipOpts::new("23456", "secret23456", &proxy);
    opts.audio = audio;
    let far = Baresip::start(opts);
    assert!(!kam.wait_for_contacts("23456", Duration::from_secs(10)).is_empty(), "baresip registered");
    far.cmd("/dial 12345");
    far.wait_event("CALL_ESTABLISHED", Duration::from_secs(10));
    (phone, far, log_path)
}

#[test]
fn baresip_calls_sip7940_which_auto_answers_and_records() {
    let kam = Kamailio::start(KamOpts::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let (wav, _) = make_tone(dir.path(), 400, 10);
    let rec = dir.path().join("rec");
    std::fs::create_dir_all(&rec).expect("mkdir");
    let record = ["--tone", "1000", "--record", rec.to_str().unwrap_or_default()];
    let (mut phone, far, log_path) = baresip_calls_the_phone(&kam, dir.path(), Some(wav), &record);
    std::thread::sleep(Duration::from_secs(2));
    far.cmd("/hangup");
    let recording = rec.join("call-1.wav");
    assert!(
        peers::wait_until(Duration::from_secs(5), || recording.exists()),
        "the phone wrote its recording"
    );
    phone.stop();
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    assert_tone(&recording, 380.0..420.0, &format!("sip7940 (log:\n{log})"));
    std::thread::sleep(Duration::from_millis(500));
    let dec = far.recordings_dec().last().cloned().expect("baresip's recording");
    assert_tone(&dec, 950.0..1050.0, "baresip");
}

/// The number after "sent " in the media line of a log ("… sent 201 packets …").
fn packets_sent(text: &str) -> u32 {
    let at = text.rfind(" sent ").unwrap_or_else(|| panic!("no media figures in\n{text}"));
    text[at + 6..].split(' ').next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{text}"))
}

#[test]
fn sip7940_holds_and_resumes_baresip() {
    let kam = Kamailio::start(KamOpts::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let (wav, _) = make_tone(dir.path(), 400, 10);
    let proxy = format!("sip:127.0.0.1:{}", kam.port);
    let far = Baresip::start(BaresipOpts::new("23456", "secret23456", &proxy).audio(wav));
    assert!(!kam.wait_for_contacts("23456", Duration::from_secs(10)).is_empty(), "baresip registered");
    let (code, text) = call(&kam, "23456", &["--duration", "6", "--hold", "2", "--resume", "4"]);
    assert_eq!(code, 0, "{text}");
    let on_hold = text.find("On hold (by us)").unwrap_or_else(|| panic!("no hold in\n{text}"));
    let resumed = text.find("Resumed").unwrap_or_else(|| panic!("no resume in\n{text}"));
    assert!(on_hold < resumed && text.contains("Ended: hung up here after 6.0 s"), "{text}");
    let log = kam.log();
    assert!(log.contains("a=sendonly"), "our hold offer went through the proxy");
    assert!(log.contains("a=recvonly"), "baresip answered the hold");
    // The microphone is muted on hold: about 4 s of packets in a 6 s call (300 without).
    let sent = packets_sent(&text);
    assert!((170..=240).contains(&sent), "sent {sent} packets in 6 s with 2 s on hold\n{text}");
    drop(far);
}

#[test]
fn baresip_holds_and_resumes_sip7940() {
    let kam = Kamailio::start(KamOpts::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let (wav, _) = make_tone(dir.path(), 400, 12);
    let (mut phone, far, log_path) =
        baresip_calls_the_phone(&kam, dir.path(), Some(wav), &["--tone", "1000"]);
    std::thread::sleep(Duration::from_secs(2));
    far.cmd("/hold");
    std::thread::sleep(Duration::from_secs(2));
    far.cmd("/resume");
    std::thread::sleep(Duration::from_secs(2));
    far.cmd("/hangup");
    let read = || std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(peers::wait_until(Duration::from_secs(5), || read().contains("Ended")), "{}", read());
    phone.stop();
    let text = read();
    let held =
        text.find("On hold (by the far end)").unwrap_or_else(|| panic!("the phone saw no hold:\n{text}"));
    assert!(text[held..].contains(": Connected"), "the phone saw no resume:\n{text}");
    // While held we do not send: about 4 s of packets in a call of 6 s (300 without).
    let sent = packets_sent(&text);
    assert!((150..=250).contains(&sent), "sent {sent} packets in about 6 s with 2 s on hold\n{text}");
    drop(far);
}

#[test]
fn sip7940_calls_sip7940_which_hangs_up_after_its_duration() {
    let kam = Kamailio::start(KamOpts::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let log_path = dir.path().join("callee.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    // The callee: line 2 of the profile only, answering and hanging up 1 s later.
    let mut callee = sip7940_loopback(kam.port)
        .args(["--set", "line2_name=23456", "--set", "line1_name=\"\""])
        .args([
            "phone",
            "--bind",
            "127.0.0.1",
            "--auto-answer",
            "--duration",
            "1",
            "--tone",
            "400",
            "--audio",
        ])
        .stderr(log)
        .reaped("start the callee");
    assert!(!kam.wait_for_contacts("23456", Duration::from_secs(10)).is_empty(), "the callee registered");
    // `--audio` on a machine without a sound card: one line, and the call goes on headless.
    let (code, text) = call(&kam, "23456", &["--duration", "10", "--json", "--audio"]);
    callee.stop();
    let callee_log = std::fs::read_to_string(&log_path).unwrap_or_default();
    for (who, said) in [("caller", &text), ("callee", &callee_log)] {
        let lines: Vec<&str> = said.lines().filter(|l| l.contains("no sound card")).collect();
        assert_eq!(lines.len(), 1, "{who}: one line about the sound card:\n{said}");
        assert!(lines[0].ends_with("running headless"), "{who}: {}", lines[0]);
    }
    let text = text.lines().filter(|l| !l.contains("no sound card")).collect::<Vec<_>>().join("\n");
    assert_eq!(code, 0, "{text}\n{}", std::fs::read_to_string(&log_path).unwrap_or_default());
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(doc["end"]["by"], "remote", "{doc}");
    let talked = doc["connected_s"].as_f64().unwrap_or_default();
    assert!((0.9..3.0).contains(&talked), "the callee hung up after about 1 s: {doc}");
    let received = doc["media"]["packets_received"].as_u64().unwrap_or_default();
    assert!(received >= 35, "about 50 packets of the callee's tone: {doc}");
    assert!(doc["setup_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{doc}");
}

#[test]
fn cancel_while_baresip_rings() {
    let kam = Kamailio::start(KamOpts::default());
    let proxy = format!("sip:127.0.0.1:{}", kam.port);
    let far =
        Baresip::start(BaresipOpts::new("23456", "secret23456", &proxy).answer(peers::AnswerMode::Manual));
    assert!(!kam.wait_for_contacts("23456", Duration::from_secs(10)).is_empty(), "baresip registered");
    // Nobody answers: timer_invite_expires (2 s here) gives up with a CANCEL.
    let (code, text) = call(&kam, "23456", &["--set", "timer_invite_expires=2", "--json"]);
    assert_eq!(code, 1, "{text}");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(doc["end"]["by"], "cancelled", "{doc}");
    assert_eq!(doc["ringing"], true, "baresip rang first: {doc}");
    let log = kam.log();
    assert!(log.contains("CANCEL sip:23456@"), "the CANCEL went through the proxy");
    assert!(log.contains("487 Request Terminated"), "baresip answered the INVITE 487");
    let _ = far.events_seen();
}

#[test]
fn busy_when_baresip_refuses() {
    let kam = Kamailio::start(KamOpts::default());
    let proxy = format!("sip:127.0.0.1:{}", kam.port);
    let far =
        Baresip::start(BaresipOpts::new("23456", "secret23456", &proxy).answer(peers::AnswerMode::Manual));
    assert!(!kam.wait_for_contacts("23456", Duration::from_secs(10)).is_empty(), "baresip registered");
    let caller = std::thread::spawn({
        let port = kam.port;
        move || {
            let out = sip7940_loopback(port)
                .args(["call", "23456", "--bind", "127.0.0.1", "--duration", "1"])
                .output()
                .expect("run sip7940 call");
            let text =
                String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
            (out.status.code().unwrap_or(-1), text)
        }
    });
    far.wait_event("CALL_INCOMING", Duration::from_secs(10));
    far.cmd("/hangup");
    let (code, text) = caller.join().expect("the caller");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("Ringing") && text.contains("Ended: 486 "), "{text}");
}

#[test]
fn dtmf_from_sip7940_reaches_baresip_as_rfc_4733_events() {
    let kam = Kamailio::start(KamOpts::default());
    let proxy = format!("sip:127.0.0.1:{}", kam.port);
    let far = Baresip::start(BaresipOpts::new("23456", "secret23456", &proxy));
    assert!(!kam.wait_for_contacts("23456", Duration::from_secs(10)).is_empty(), "baresip registered");
    let (code, text) = call(&kam, "23456", &["--duration", "3", "--dtmf", "159#"]);
    assert_eq!(code, 0, "{text}");
    let mut heard = String::new();
    for _ in 0..4 {
        let event = far.wait_event("CALL_DTMF_START", Duration::from_secs(5));
        heard.push_str(event["param"].as_str().unwrap_or("?"));
    }
    assert_eq!(heard, "159#", "baresip's DTMF events");
    assert!(kam.log().contains("telephone-event/8000"), "events were negotiated");
}

#[test]
fn dtmf_from_baresip_is_reported_by_the_phone() {
    let kam = Kamailio::start(KamOpts::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut phone, far, log_path) = baresip_calls_the_phone(&kam, dir.path(), None, &[]);
    std::thread::sleep(Duration::from_millis(500));
    // Keys pressed on baresip's console during a call go out as DTMF.
    let keys = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
    for key in ["4", "7", "#"] {
        keys.send_to(key.as_bytes(), ("127.0.0.1", far.cons_port)).expect("send a key");
        std::thread::sleep(Duration::from_millis(300));
    }
    std::thread::sleep(Duration::from_millis(500));
    far.cmd("/hangup");
    let read = || std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(peers::wait_until(Duration::from_secs(5), || read().contains("PCMU/8000 sent")), "{}", read());
    phone.stop();
    let text = read();
    assert!(text.contains("call 1: digits received: 47#"), "{text}");
}

#[test]
fn call_stats_headers_ride_on_bye_and_its_200() {
    let kam = Kamailio::start(KamOpts::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let log = std::fs::File::create(dir.path().join("callee.log")).expect("log file");
    let mut callee = sip7940_loopback(kam.port)
        .args(["--set", "line2_name=23456", "--set", "line1_name=\"\"", "--set", "call_stats=1"])
        .args(["phone", "--bind", "127.0.0.1", "--auto-answer", "--duration", "2.5"])
        .stderr(log)
        .reaped("start the callee");
    assert!(!kam.wait_for_contacts("23456", Duration::from_secs(10)).is_empty(), "the callee registered");
    let (code, text) = call(&kam, "23456", &["--duration", "10", "--set", "call_stats=1"]);
    callee.stop();
    assert_eq!(code, 0, "{text}");
    let log = kam.log();
    let bye = log.find("BYE sip:").map(|i| &log[i..]).unwrap_or_default();
    assert!(
        bye.contains("RTP-RxStat: Dur=") && bye.contains("RTP-TxStat: Dur="),
        "the callee's BYE:\n{}",
        kam.log_tail(80)
    );
    assert!(
        bye.contains("CSeq: 1 BYE\r\nRTP") || bye.matches("RTP-RxStat: Dur=").count() >= 2,
        "and the caller's 200:\n{}",
        kam.log_tail(80)
    );
}
