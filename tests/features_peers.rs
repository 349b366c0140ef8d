//! Call features with real processes through Kamailio on 127.0.0.1, the phone driven over
//! its telnet console. Attended transfer between three `sip7940 phone`s: 12345 calls
//! 23456, presses Transfer, calls 34567, presses Transfer again; 23456 calls 34567 with
//! `Replaces`, and 34567 swaps the calls without ringing (the audio after the transfer is
//! checked at 34567). Call waiting: 12345 talks to baresip when a second call comes in;
//! answering it holds baresip, `swap` swaps.

#[path = "support/peers.rs"]
mod peers;

#[path = "support/console.rs"]
mod console;

use console::{Phone, Telnet, phone_at};
use peers::{AnswerMode, Baresip, BaresipOpts, KamOpts, Kamailio, assert_tone, sip7940_loopback};
use std::path::Path;
use std::time::Duration;

/// `sip7940 phone` as line `user` (password `secret<user>`), answering at once, sending a
/// `hz` tone and recording each call into `record`.
fn far_phone(kam: &Kamailio, user: &str, hz: u32, record: &Path) -> Phone {
    let mut cmd = sip7940_loopback(kam.port);
    for set in [
        format!("line1_name={user}"),
        format!("line1_authname={user}"),
        format!("line1_password=secret{user}"),
    ] {
        cmd.args(["--set", &set]);
    }
    cmd.args(["phone", "--bind", "127.0.0.1", "--auto-answer", "--tone", &hz.to_string()])
        .args(["--record", record.to_str().unwrap_or_default()]);
    Phone::start(cmd, 1)
}

fn wait_log(phone: &Phone, needle: &str, secs: u64) {
    assert!(
        peers::wait_until(Duration::from_secs(secs), || phone.log().contains(needle)),
        "no {needle:?} in\n{}",
        phone.log()
    );
}

/// Kamailio knowing 12345, 23456 and 34567.
fn kamailio() -> Kamailio {
    let users = "12345:sipgatepassword,23456:secret23456,34567:secret34567";
    Kamailio::start(KamOpts { users: users.into(), ..KamOpts::default() })
}

#[test]
fn attended_transfer_through_kamailio_between_three_phones() {
    let kam = kamailio();
    let dir = tempfile::tempdir().expect("tempdir");
    let (rec2, rec3) = (dir.path().join("23456"), dir.path().join("34567"));
    std::fs::create_dir_all(&rec2).expect("dir");
    std::fs::create_dir_all(&rec3).expect("dir");
    let transferee = far_phone(&kam, "23456", 400, &rec2);
    let target = far_phone(&kam, "34567", 1000, &rec3);
    let transferor = phone_at(&kam, 2, &["--tone", "700"]);
    for user in ["12345", "23456", "34567"] {
        assert!(!kam.wait_for_contacts(user, Duration::from_secs(10)).is_empty(), "{user} registered");
    }
    let mut t = Telnet::login(transferor.console);

    let said = t.command("dial 23456");
    assert!(said.contains("call 1: dialing 23456"), "{said}");
    t.saw("call 1: Connected", 1, Duration::from_secs(10));
    let said = t.command("transfer");
    assert!(said.contains("call 1: on hold for transfer"), "{said}");
    t.saw("call 1: On hold (by us)", 1, Duration::from_secs(5));
    // The consultation call: the target answers it; the softkeys now offer Transfer.
    let said = t.command("dial 34567");
    assert!(said.contains("call 2: dialing 34567"), "{said}");
    t.saw("call 2: Connected", 1, Duration::from_secs(10));
    let said = t.command("test key soft3");
    assert!(said.contains("soft3 (Transfer): call 1: transferring to sip:34567@"), "{said}");
    assert!(said.contains("(attended, call 2)"), "{said}");

    // The transferor is done: both its calls end.
    t.saw("call 1: transfer: done, hanging up", 1, Duration::from_secs(10));
    t.saw("call 1: Ended", 1, Duration::from_secs(5));
    t.saw("call 2: Ended", 1, Duration::from_secs(5));
    // The transferee called the target with Replaces; the target took it without ringing.
    wait_log(&transferee, "(attended: it replaces their call)", 5);
    wait_log(&transferee, "call 2: Connected", 5);
    wait_log(&target, "(attended transfer: replaces call 1)", 5);
    wait_log(&target, "call 1: Ended: hung up here", 5);
    let log = kam.log();
    assert!(log.contains("Refer-To: <sip:34567@") && log.contains("?Replaces="), "{}", kam.log_tail(60));
    assert!(log.contains("\nReplaces: "), "the transferee's INVITE carried Replaces: {}", kam.log_tail(60));

    // Audio flows between transferee and target: let it run, then the target records it.
    std::thread::sleep(Duration::from_millis(1500));
    let said = t.command("calls");
    assert!(said.contains("No calls"), "{said}");
    // SIGTERM: the transferee hangs up (BYE) and un-registers.
    let mut transferee = transferee;
    transferee.signal("-TERM");
    assert_eq!(transferee.wait_exit(Duration::from_secs(5)).0, Some(0), "{}", transferee.log());
    wait_log(&target, "call 2: Ended: BYE from remote", 10);
    assert_tone(&rec3.join("call-2.wav"), 380.0..420.0, "the target (from the transferee)");
}

#[test]
fn call_waiting_with_baresip_answer_holds_the_first_call_and_swap_swaps() {
    let kam = kamailio();
    let proxy = format!("sip:127.0.0.1:{}", kam.port);
    let far = Baresip::start(BaresipOpts::new("23456", "secret23456", &proxy).answer(AnswerMode::Auto));
    let phone = phone_at(&kam, 2, &["--tone", "700"]);
    for user in ["12345", "23456"] {
        assert!(!kam.wait_for_contacts(user, Duration::from_secs(10)).is_empty(), "{user} registered");
    }
    let mut t = Telnet::login(phone.console);
    let said = t.command("dial 23456");
    assert!(said.contains("call 1: dialing 23456"), "{said}");
    t.saw("call 1: Connected", 1, Duration::from_secs(10));
    far.wait_event("CALL_ESTABLISHED", Duration::from_secs(10));

    // 34567 calls in: it rings as a waiting call.
    let mut caller = sip7940_loopback(kam.port);
    for set in ["line1_name=34567", "line1_authname=34567", "line1_password=secret34567"] {
        caller.args(["--set", set]);
    }
    caller.args(["call", "12345", "--bind", "127.0.0.1", "--duration", "4", "--tone", "400"]);
    let caller = std::thread::spawn(move || caller.output().expect("run sip7940 call"));
    t.saw("(call waiting)", 1, Duration::from_secs(10));
    let said = t.command("answer 2");
    assert!(said.contains("call 2: answering"), "{said}");
    t.saw("call 1: On hold (by us)", 1, Duration::from_secs(5));
    t.saw("call 2: Connected", 1, Duration::from_secs(5));
    assert!(kam.wait_for_log("a=sendonly", Duration::from_secs(5)), "the hold went through the proxy");
    let said = t.command("swap");
    assert!(said.contains("call 2: on hold; call 1: resuming"), "{said}");
    t.saw("call 2: On hold (by us)", 1, Duration::from_secs(5));
    t.saw("call 1: Connected", 2, Duration::from_secs(5));

    let out = caller.join().expect("the caller");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Connected") && text.contains("hung up here after 4.0 s"), "{text}");
    t.saw("call 2: Ended: BYE from remote", 1, Duration::from_secs(5));
    let said = t.command("hangup");
    assert!(said.contains("call 1: hanging up"), "{said}");
    far.wait_event("CALL_CLOSED", Duration::from_secs(5));
}
