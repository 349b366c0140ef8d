//! Calls between sip7940 and sipp scenarios through Kamailio on 127.0.0.1: sip7940 calls a
//! sipp UAS (reached by a static route, the INVITE challenged with 407), and a sipp UAC
//! calls `sip7940 phone --auto-answer` registered on the proxy. sipp is a second,
//! independent far end beside baresip (tests/call_baresip.rs); its message traces show
//! exactly what reached it.

#[path = "support/peers.rs"]
mod peers;
#[path = "support/phone_proc.rs"]
mod phone_proc;

use peers::{
    KamOpts, Kamailio, Sipp, SippOutcome, assert_tone, free_port_block, free_udp_ports, sip7940_loopback,
};
use phone_proc::PhoneProc;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// The number Kamailio routes to the sipp UAS.
const SIPP_NUMBER: &str = "9999";

/// Kamailio with `9999` routed to a fresh port, and that port.
fn proxy_with_sipp_route() -> (Kamailio, u16) {
    let port = free_udp_ports(1)[0];
    (Kamailio::start(KamOpts::default().route(SIPP_NUMBER, port)), port)
}

/// `sip7940 call 9999 --bind 127.0.0.1 <extra...>` on the loopback profile through `kam`:
/// exit code, stdout, stderr.
fn call_sipp(kam: &Kamailio, extra: &[&str]) -> (i32, String, String) {
    let out = sip7940_loopback(kam.port)
        .args(["call", SIPP_NUMBER, "--bind", "127.0.0.1"])
        .args(extra)
        .output()
        .expect("run sip7940 call");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// The INVITEs' CSeq lines in a sipp message trace.
fn invite_cseqs(out: &SippOutcome) -> Vec<String> {
    let mut seen: Vec<String> = out
        .messages
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("CSeq:") && l.ends_with(" INVITE"))
        .map(str::to_owned)
        .collect();
    seen.dedup();
    seen
}

/// Asserts what every call from sip7940 through the proxy shows: the first INVITE was
/// challenged with 407 and answered with the line's credentials, and only the
/// authenticated INVITE (the second CSeq) reached sipp.
fn assert_challenged_once(kam: &Kamailio, sipp: &SippOutcome) {
    let log = kam.log();
    assert!(log.contains("INVITE from local user 12345 without credentials -> 407"), "{}", kam.log_tail(60));
    assert!(log.contains("Proxy-Authorization: Digest username=\"12345\""), "the 407 was answered");
    assert!(log.contains(&format!("static route {SIPP_NUMBER} -> sip:127.0.0.1:")), "{}", kam.log_tail(60));
    // sip7940's first INVITE is CSeq 101; the one with credentials 102.
    assert_eq!(invite_cseqs(sipp), vec!["CSeq: 102 INVITE".to_owned()], "{}", sipp.report());
}

#[test]
fn sip7940_calls_a_sipp_uas_through_kamailio_and_hears_its_own_tone_echoed() {
    let (kam, uas_port) = proxy_with_sipp_route();
    let uas = Sipp::uas_answer(uas_port, 0).timeout_secs(60).spawn();
    let dir = tempfile::tempdir().expect("tempdir");
    let record = dir.path().join("echo.wav");
    let (code, stdout, stderr) = call_sipp(
        &kam,
        &["--duration", "2", "--tone", "1000", "--json", "--record", record.to_str().unwrap_or_default()],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("JSON ({e}):\n{stdout}"));
    assert_eq!(doc["number"], SIPP_NUMBER);
    assert_eq!(doc["answered"], true, "{doc:#}");
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["ended"], "hung up here");
    let talked = doc["connected_s"].as_f64().unwrap_or_default();
    assert!((2.0..10.0).contains(&talked), "connected for {talked} s");
    // 2 s of 20 ms frames is 100 packets; sipp's -rtp_echo returns them.
    let media = &doc["media"];
    assert_eq!(media["codec"], "PCMU/8000", "{doc:#}");
    let sent = media["packets_sent"].as_u64().unwrap_or_default();
    let received = media["packets_received"].as_u64().unwrap_or_default();
    assert!(sent >= 90, "sent {sent} packets in 2 s");
    assert!(received >= 50 && received <= sent, "received {received} of {sent} echoed");
    assert_tone(&record, 950.0..1050.0, "sip7940 (its own tone, echoed by sipp)");

    let out = uas.wait();
    out.expect_success();
    assert_challenged_once(&kam, &out);
    // sipp saw the whole dialog: the ACK for its 200, our BYE, its 200 for the BYE (more
    // than one of each only when a retransmission crossed the answer).
    assert!(out.requests("ACK") >= 1, "{}", out.report());
    assert!(out.requests("BYE") >= 1, "{}", out.report());
    assert!(kam.log().contains("RELAY BYE sip:sipp-uas@127.0.0.1:"), "{}", kam.log_tail(60));
    assert!(out.messages.contains("User-Agent: Cisco-CP7940G/8.0"), "{}", out.report());
}

#[test]
fn a_sipp_uas_hangs_up_with_bye_and_sip7940_records_its_tone() {
    let (kam, uas_port) = proxy_with_sipp_route();
    let uas = Sipp::uas_answer_bye(uas_port, 2500, 400).timeout_secs(60).spawn();
    let dir = tempfile::tempdir().expect("tempdir");
    let record = dir.path().join("heard.wav");
    // --duration far beyond sipp's 2.5 s: the far end must be the one to hang up.
    let (code, stdout, stderr) =
        call_sipp(&kam, &["--duration", "30", "--record", record.to_str().unwrap_or_default()]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    for step in ["Calling 9999 from line 1", "Connected", "Ended: BYE from remote after ", "media: PCMU/8000"]
    {
        assert!(stdout.contains(step), "missing {step:?} in\n{stdout}");
    }
    let after: f64 = stdout
        .split("Ended: BYE from remote after ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no call length in\n{stdout}"));
    assert!((2.0..20.0).contains(&after), "hung up by sipp after {after} s");
    assert_tone(&record, 380.0..420.0, "sip7940 (sipp's rtp_stream)");

    let out = uas.wait();
    out.expect_success();
    assert_challenged_once(&kam, &out);
    // sipp's BYE came back with our 200 through the proxy.
    assert!(out.requests("BYE") >= 1, "{}", out.report());
    assert!(out.responses(200) >= 2, "200 for the INVITE (sent) and the BYE (received)\n{}", out.report());
}

/// `sip7940 phone --auto-answer --tone 1000 --record DIR` registered as 12345 on `kam`.
fn answering_phone(kam: &Kamailio, record: &Path) -> PhoneProc {
    let media = free_port_block(20);
    let sets = [
        format!("proxy1_port={}", kam.port),
        "line2_name=\"\"".to_owned(),
        format!("start_media_port={media}"),
        format!("end_media_port={}", media + 19),
    ];
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    let phone = PhoneProc::start_with(
        "loopback",
        &sets,
        &["--auto-answer", "--tone", "1000", "--record", record.to_str().unwrap_or_default()],
    );
    assert!(!kam.wait_for_contacts("12345", Duration::from_secs(20)).is_empty(), "sip7940 registered");
    phone
}

/// The phone's stderr lines until one contains `until` (included), or panics with what
/// came after `timeout`.
fn lines_until(phone: &PhoneProc, until: &str, timeout: Duration) -> Vec<String> {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match phone.stderr.recv_timeout(left) {
            Ok(line) => {
                let done = line.contains(until);
                seen.push(line);
                if done {
                    return seen;
                }
            }
            Err(_) => break,
        }
    }
    panic!("no {until:?} from the phone within {timeout:?}; it said:\n{}", seen.join("\n"))
}

#[test]
fn sipp_calls_the_auto_answering_phone_through_kamailio_with_a_407_of_its_own() {
    let kam = Kamailio::start(KamOpts::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let mut phone = answering_phone(&kam, dir.path());
    // sipp calls as local user 23456, so the proxy challenges it as well.
    let out = Sipp::uac_call(kam.addr(), "12345", "23456", 2000)
        .auth("23456", "secret23456")
        .timeout_secs(60)
        .run();
    out.expect_success();
    assert_eq!(out.responses(407), 1, "{}", out.report());
    // (at least: a 200 retransmitted before the ACK arrived is ACKed again)
    assert!(out.requests("ACK") >= 2, "one for the 407, one for the 200\n{}", out.report());
    assert!(out.requests("BYE") >= 1, "{}", out.report());
    assert!(out.responses(200) >= 2, "200 for the INVITE and the BYE\n{}", out.report());
    // The phone's 200 carried the proxy's Record-Route, so sipp's ACK and BYE went back
    // with a Route through Kamailio, which relayed them (an ACK without one it drops).
    assert!(out.messages.contains("Server: Cisco-CP7940G/8.0"), "{}", out.report());
    assert!(out.messages.contains("Record-Route: <sip:127.0.0.1:"), "{}", out.report());
    assert!(out.messages.contains("\nRoute: <sip:127.0.0.1:"), "{}", out.report());
    assert!(
        kam.wait_for_log("RELAY ACK sip:12345@127.0.0.1:", Duration::from_secs(5)),
        "{}",
        kam.log_tail(60)
    );
    assert!(kam.log().contains("RELAY BYE sip:12345@127.0.0.1:"), "{}", kam.log_tail(60));

    let said = lines_until(&phone, "call 1: PCMU", Duration::from_secs(20)).join("\n");
    for step in ["call 1: incoming from", "call 1: Connected", "call 1: Ended: BYE from remote"] {
        assert!(said.contains(step), "missing {step:?} in\n{said}");
    }
    let media = said.lines().find(|l| l.contains("call 1: PCMU")).unwrap_or_default();
    let count = |word: &str| -> u64 {
        media
            .split(word)
            .nth(1)
            .and_then(|t| t.split_whitespace().next())
            .and_then(|n| n.trim_end_matches(',').parse().ok())
            .unwrap_or_default()
    };
    assert!(count(" sent ") >= 75, "{media}");
    assert!(count(" received ") >= 40, "sipp echoed our RTP: {media}");
    let recording = dir.path().join("call-1.wav");
    assert!(peers::wait_until(Duration::from_secs(5), || recording.exists()), "the phone wrote call-1.wav");
    assert_tone(&recording, 950.0..1050.0, "sip7940 (its own tone, echoed by sipp)");
    assert!(phone.is_alive(), "the phone keeps running after the call");
}

#[test]
fn a_direct_invite_for_a_number_that_is_not_a_line_is_refused_and_never_rings() {
    let kam = Kamailio::start(KamOpts::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let phone = answering_phone(&kam, dir.path());
    // Straight to the phone's port, bypassing the proxy, for a number it does not have.
    let out = Sipp::uac_call(phone.addr, "99999", "scanner", 500).timeout_secs(30).run();
    out.expect_status(1);
    assert!(out.errors.contains("received 'SIP/2.0 403 Forbidden"), "{}", out.report());
    assert_eq!(out.responses(180) + out.responses(200), 0, "{}", out.report());
    let said = lines_until(&phone, "(403)", Duration::from_secs(10)).join("\n");
    assert!(said.contains("not one of our lines"), "{said}");
    assert!(!said.contains("incoming from"), "the phone rang for a ghost call:\n{said}");
}
