//! The 7940's console on the real `sip7940 phone` binary: over its TCP (telnet) port and
//! stdin, against Kamailio and baresip on 127.0.0.1; and the signals (SIGINT/SIGTERM stop
//! within bounds, SIGHUP resets).

#[path = "support/peers.rs"]
mod peers;

#[path = "support/console.rs"]
mod console;

use console::{CONSOLE_PASSWORD, Phone, Telnet, phone_at};
use peers::{AnswerMode, Baresip, BaresipOpts, KamOpts, Kamailio, SpawnReaped, sip7940_loopback};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A line password of these tests: never to be shown (nor the console's).
const LINE_PASSWORD: &str = "sipgatepassword";

/// The `1 …` row of `sh reg` output.
fn row_of_line_1(table: &str) -> String {
    table
        .lines()
        .find(|l| l.starts_with("1 "))
        .unwrap_or_else(|| panic!("no line 1 row in\n{table}"))
        .to_owned()
}

fn assert_no_password(texts: &[&str]) {
    for text in texts {
        for secret in [CONSOLE_PASSWORD, LINE_PASSWORD] {
            assert!(!text.contains(secret), "a password was shown:\n{text}");
        }
    }
}

#[test]
fn the_password_gate_three_wrong_close_and_no_password_is_ever_shown() {
    let kam = Kamailio::start(KamOpts::default());
    let phone = phone_at(&kam, 2, &["--sip-trace"]);
    kam.wait_for_contacts("12345", Duration::from_secs(10));

    let mut wrong = Telnet::connect(phone.console);
    wrong.expect("Password :", Duration::from_secs(5));
    for attempt in ["cisco", "s3cr3t-console", "sh reg"] {
        wrong.send(attempt);
    }
    assert!(wrong.wait_closed(Duration::from_secs(5)), "closed after three wrong passwords:\n{}", wrong.text);
    assert_eq!(wrong.text.matches("Password :").count(), 3, "asked three times:\n{}", wrong.text);
    assert!(!wrong.text.contains("LINE REGISTRATION"), "no command ran before the password");
    assert!(!wrong.text.contains("cisco"), "a typed password is not echoed:\n{}", wrong.text);

    // The right password: the privileged prompt, and everything the console can show.
    let mut t = Telnet::login(phone.console);
    t.command("debug sip-messages");
    let table = t.command("sh reg");
    t.command("reg 1 1");
    t.saw("REGISTER sip:127.0.0.1", 1, Duration::from_secs(5));
    t.saw("SIP/2.0 200 OK", 1, Duration::from_secs(5));
    t.command("tty mon 0");
    t.command("help");
    t.command("calls");
    assert!(table.contains("LINE REGISTRATION TABLE"), "{table}");
    t.send("quit");
    assert!(t.wait_closed(Duration::from_secs(5)), "quit closes the session");
    assert_no_password(&[&t.text, &wrong.text, &phone.all_output(), &kam.log()]);
}

#[test]
fn level_1_shows_but_does_not_change_and_level_0_has_no_port() {
    let kam = Kamailio::start(KamOpts::default());
    let phone = phone_at(&kam, 1, &["--no-register"]);
    let mut t = Telnet::connect(phone.console);
    t.expect("Password :", Duration::from_secs(5));
    t.send(CONSOLE_PASSWORD);
    t.expect("SIP Phone> ", Duration::from_secs(5));
    t.send("reg 1 1");
    let said = t.expect("SIP Phone> ", Duration::from_secs(5));
    assert!(said.contains("% Not allowed at telnet_level 1"), "{said}");
    t.send("sh reg");
    let said = t.expect("SIP Phone> ", Duration::from_secs(5));
    assert!(said.contains("LINE REGISTRATION TABLE"), "{said}");
    t.send("frobnicate");
    let said = t.expect("SIP Phone> ", Duration::from_secs(5));
    assert_eq!(said.trim_start(), "% Unknown command \"frobnicate\" (help lists the commands)\nSIP Phone> ");
    drop(phone);

    // telnet_level 0: no console line, nothing listening.
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("stderr.log");
    let _quiet = sip7940_loopback(kam.port)
        .args(["phone", "--bind", "127.0.0.1", "--no-register", "--console-port", "0"])
        .stdin(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"))
        .reaped("start the phone");
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(peers::wait_until(Duration::from_secs(10), || read().contains("listening on")), "{}", read());
    std::thread::sleep(Duration::from_millis(300));
    assert!(!read().contains("console on"), "{}", read());
}

#[test]
fn sh_reg_then_reg_0_and_reg_1_are_seen_at_kamailio() {
    let kam = Kamailio::start(KamOpts::default());
    let phone = phone_at(&kam, 2, &[]);
    kam.wait_for_contacts("12345", Duration::from_secs(10));
    let mut t = Telnet::login(phone.console);
    let table = t.command("sh reg");
    let lines: Vec<&str> = table.trim_start().lines().collect();
    assert_eq!(lines[0], "LINE REGISTRATION TABLE", "{table}");
    assert_eq!(lines[1], "Proxy Registration: ENABLED, state: REGISTERED", "{table}");
    assert_eq!(lines[2], "line  APR  state          timer       expires     proxy:port", "{table}");
    assert_eq!(lines[3], "----  ---  -------------  ----------  ----------  ----------------------------");
    // timer_register_expires 300 - delta 5; the seconds left just under the grant.
    let row = row_of_line_1(&table);
    assert!(row.starts_with("1     111  REGISTERED     295         "), "{row}");
    assert!(row.ends_with(&format!("127.0.0.1:{}", kam.port)), "{row}");
    let left: u32 = row[38..50].trim().parse().unwrap_or_else(|_| panic!("{row}"));
    assert!((280..=300).contains(&left), "{row}");
    assert!(table.contains("\n1-BU  ...  NONE           0           0           undefined:0\n"), "{table}");
    assert!(table.contains("Note: APR is Authenticated, Provisioned, Registered\n"), "{table}");

    let said = t.command("reg 0 1");
    assert!(said.contains("line 1: un-registering"), "{said}");
    assert!(
        peers::wait_until(Duration::from_secs(5), || kam.contacts_of("12345").is_empty()),
        "Kamailio still has line 1: {:?}",
        kam.contacts_of("12345")
    );
    t.saw("line 1: REGISTERED -> UNREGISTERING", 1, Duration::from_secs(5));
    t.saw("line 1: UNREGISTERING -> UNREGISTERED", 1, Duration::from_secs(5));
    let row = row_of_line_1(&t.command("sh reg"));
    assert!(row.starts_with("1     ") && row.contains("UNREGISTERED"), "{row}");

    t.command("reg 1 1");
    kam.wait_for_contacts("12345", Duration::from_secs(10));
    t.saw("line 1: UNREGISTERED -> REGISTERING", 1, Duration::from_secs(5));
    t.saw("line 1: REGISTERING -> REGISTERED", 1, Duration::from_secs(5));
    let said = t.command("reg 1 2");
    assert!(said.contains("% line 2 is not provisioned"), "{said}");
    let said = t.command("reg 1 backup");
    assert!(said.contains("% no backup registration"), "{said}");
}

/// A copy of `profiles/loopback` in a temp dir (so that a test can change the files) and
/// the phone command on it: line 1 only, registering at `kam`.
fn phone_on_copied_files(kam: &Kamailio) -> (tempfile::TempDir, Command) {
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/loopback");
    for entry in std::fs::read_dir(&profile).expect("profile") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, dir.path().join(path.file_name().expect("name"))).expect("copy");
    }
    let sip = peers::free_udp_ports(1)[0];
    let media = peers::free_port_block(20);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sip7940"));
    cmd.arg("--config-dir").arg(dir.path());
    for set in [
        format!("proxy1_port={}", kam.port),
        format!("voip_control_port={sip}"),
        "line2_name=\"\"".to_owned(),
        format!("start_media_port={media}"),
        format!("end_media_port={}", media + 19),
    ] {
        cmd.args(["--set", &set]);
    }
    cmd.args(["phone", "--bind", "127.0.0.1"]);
    (dir, cmd)
}

fn set_expires(dir: &Path, secs: u32) {
    let path = dir.join("SIPDefault.cnf");
    let text = std::fs::read_to_string(&path).expect("read SIPDefault.cnf");
    let text: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with("timer_register_expires") {
                format!("timer_register_expires : {secs}")
            } else {
                l.to_owned()
            }
        })
        .collect();
    std::fs::write(&path, text.join("\n") + "\n").expect("write SIPDefault.cnf");
}

fn unregisters_in(kam: &Kamailio) -> usize {
    kam.log().matches("\nExpires: 0").count()
}

#[test]
fn reset_and_sighup_read_the_files_again_and_restart_the_lines() {
    let kam = Kamailio::start(KamOpts::default());
    let (dir, cmd) = phone_on_copied_files(&kam);
    let phone = Phone::start(cmd, 2);
    kam.wait_for_contacts("12345", Duration::from_secs(10));
    let mut t = Telnet::login(phone.console);
    assert!(row_of_line_1(&t.command("sh reg")).starts_with("1     111  REGISTERED     295 "));

    set_expires(dir.path(), 200);
    let before = unregisters_in(&kam);
    let said = t.command("reset");
    assert!(
        said.contains("reset: the files were read again; 1 registration(s) restarted"),
        "{said}\n---\n{}",
        t.text
    );
    assert!(unregisters_in(&kam) > before, "the reset un-registered first:\n{}", kam.log_tail(30));
    t.saw("line 1: NONE -> REGISTERING", 1, Duration::from_secs(5));
    t.saw("line 1: REGISTERING -> REGISTERED", 1, Duration::from_secs(5));
    let row = row_of_line_1(&t.command("sh reg"));
    assert!(row.starts_with("1     111  REGISTERED     195 "), "the new timer_register_expires: {row}");
    kam.wait_for_contacts("12345", Duration::from_secs(5));

    // SIGHUP does the same.
    set_expires(dir.path(), 150);
    phone.signal("-HUP");
    t.saw("SIGHUP: reset: the files were read again", 1, Duration::from_secs(10));
    t.saw("line 1: NONE -> REGISTERING", 2, Duration::from_secs(10));
    t.saw("line 1: REGISTERING -> REGISTERED", 2, Duration::from_secs(10));
    let row = row_of_line_1(&t.command("sh reg"));
    assert!(row.starts_with("1     111  REGISTERED     145 "), "after SIGHUP: {row}");

    // A broken file is refused and the phone goes on as it was.
    let path = dir.path().join("SIPDefault.cnf");
    let text = std::fs::read_to_string(&path)
        .expect("read")
        .replace("timer_register_expires : 150", "timer_register_expires : banana");
    std::fs::write(&path, text).expect("write");
    let said = t.command("reset");
    assert!(said.contains("% reset refused, the phone goes on as it was"), "{said}");
    assert!(
        said.contains("SIPDefault.cnf") && said.contains("timer_register_expires"),
        "the error is named: {said}"
    );
    assert!(row_of_line_1(&t.command("sh reg")).starts_with("1     111  REGISTERED     145 "));
    assert_no_password(&[&t.text, &phone.all_output()]);
}

#[test]
fn sigterm_unregisters_and_exits_0_in_time_and_keep_leaves_the_binding() {
    let kam = Kamailio::start(KamOpts::default());
    let mut phone = phone_at(&kam, 1, &[]);
    kam.wait_for_contacts("12345", Duration::from_secs(10));
    phone.signal("-TERM");
    let (code, took) = phone.wait_exit(Duration::from_secs(5));
    assert_eq!(code, Some(0), "{}", phone.log());
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(kam.contacts_of("12345").is_empty(), "un-registered: {:?}", kam.contacts_of("12345"));
    assert!(phone.log().contains("SIGTERM: hanging up and stopping"), "{}", phone.log());

    let mut kept = phone_at(&kam, 1, &["--keep"]);
    kam.wait_for_contacts("12345", Duration::from_secs(10));
    kept.signal("-INT");
    let (code, took) = kept.wait_exit(Duration::from_secs(5));
    assert_eq!(code, Some(0), "{}", kept.log());
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(!kam.contacts_of("12345").is_empty(), "--keep leaves the binding");
}

fn baresip_23456(kam: &Kamailio, answer: AnswerMode) -> Baresip {
    let proxy = format!("sip:127.0.0.1:{}", kam.port);
    let far = Baresip::start(BaresipOpts::new("23456", "secret23456", &proxy).answer(answer));
    kam.wait_for_contacts("23456", Duration::from_secs(10));
    far
}

#[test]
fn dial_hold_resume_dtmf_hangup_with_baresip() {
    let kam = Kamailio::start(KamOpts::default());
    let far = baresip_23456(&kam, AnswerMode::Auto);
    let phone = phone_at(&kam, 2, &["--tone", "1000"]);
    kam.wait_for_contacts("12345", Duration::from_secs(10));
    let mut t = Telnet::login(phone.console);

    let said = t.command("dial 23456");
    assert!(said.contains("call 1: dialing 23456 from line 1"), "{said}");
    t.saw("call 1: Connected", 1, Duration::from_secs(10));
    far.wait_event("CALL_ESTABLISHED", Duration::from_secs(10));
    let calls = t.command("calls");
    assert!(calls.contains("1     1     out  Connected "), "{calls}");
    assert!(calls.contains("23456"), "{calls}");

    t.command("hold");
    t.saw("call 1: On hold (by us)", 1, Duration::from_secs(5));
    assert!(kam.wait_for_log("a=sendonly", Duration::from_secs(5)), "our hold offer went through");
    t.command("resume");
    t.saw("call 1: Connected", 2, Duration::from_secs(5));
    let said = t.command("dtmf 47#");
    assert!(said.contains("call 1: sending DTMF 47#"), "{said}");
    let heard: String = (0..3)
        .map(|_| {
            far.wait_event("CALL_DTMF_START", Duration::from_secs(5))["param"]
                .as_str()
                .unwrap_or("?")
                .to_owned()
        })
        .collect();
    assert_eq!(heard, "47#", "baresip's DTMF events");
    // A keypad digit in a connected call is DTMF too.
    let said = t.command("test key 9");
    assert!(said.contains("call 1: sending DTMF 9"), "{said}");
    assert_eq!(far.wait_event("CALL_DTMF_START", Duration::from_secs(5))["param"], "9");
    // A blind transfer to a number nobody has: REFER, 202, and the call stays up when
    // baresip's NOTIFY reports the failure.
    let said = t.command("transfer 555");
    assert!(said.contains("call 1: transferring to sip:555@"), "{said}");
    assert!(
        peers::wait_until(Duration::from_secs(5), || kam.log().contains("REFER sip:")),
        "the REFER went through the proxy: {}",
        kam.log_tail(40)
    );

    let said = t.command("hangup");
    assert!(said.contains("call 1: hanging up"), "{said}");
    t.saw("call 1: Ended: hung up here", 1, Duration::from_secs(5));
    t.saw("call 1: PCMU/8000 sent", 1, Duration::from_secs(5));
    far.wait_event("CALL_CLOSED", Duration::from_secs(5));
    assert!(t.command("calls").contains("No calls"));
    let said = t.command("hangup");
    assert!(said.contains("% no call"), "{said}");
}

#[test]
fn answer_a_call_from_baresip_then_dial_it_with_the_keypad() {
    let kam = Kamailio::start(KamOpts::default());
    let phone = phone_at(&kam, 2, &["--tone", "1000"]);
    kam.wait_for_contacts("12345", Duration::from_secs(10));
    let far = baresip_23456(&kam, AnswerMode::Auto);
    let mut t = Telnet::login(phone.console);

    far.cmd("/dial 12345");
    t.saw("call 1: incoming from", 1, Duration::from_secs(10));
    t.saw("rings (answer it with `answer`", 1, Duration::from_secs(5));
    let calls = t.command("calls");
    assert!(calls.contains("1     -     in   Ringing "), "{calls}");
    let said = t.command("answer");
    assert!(said.contains("call 1: answering"), "{said}");
    t.saw("call 1: Connected", 1, Duration::from_secs(5));
    far.wait_event("CALL_ESTABLISHED", Duration::from_secs(10));
    let said = t.command("test onhook");
    assert!(said.contains("call 1: hanging up"), "{said}");
    far.wait_event("CALL_CLOSED", Duration::from_secs(5));
    t.saw("call 1: Ended: hung up here", 1, Duration::from_secs(5));

    // The keypad: off hook on line 1, digits, `#` dials; softkey 2 (EndCall) hangs up.
    let said = t.command("test key line1");
    assert!(said.contains("line 1: off hook"), "{said}");
    let said = t.command("test key 234");
    assert!(said.contains("digits: 234") && !said.contains("dialing"), "{said}");
    let said = t.command("test key 56#");
    assert!(said.contains("call 2: dialing 23456 from line 1"), "{said}");
    t.saw("call 2: Connected", 1, Duration::from_secs(10));
    far.wait_event("CALL_ESTABLISHED", Duration::from_secs(10));
    let said = t.command("test key soft2");
    assert!(said.contains("soft2 (EndCall): call 2: hanging up"), "{said}");
    far.wait_event("CALL_CLOSED", Duration::from_secs(5));
}

#[test]
fn sigint_in_a_call_hangs_up_unregisters_and_exits_in_time() {
    let kam = Kamailio::start(KamOpts::default());
    let far = baresip_23456(&kam, AnswerMode::Auto);
    let mut phone = phone_at(&kam, 2, &[]);
    kam.wait_for_contacts("12345", Duration::from_secs(10));
    let mut t = Telnet::login(phone.console);
    t.command("dial 23456");
    far.wait_event("CALL_ESTABLISHED", Duration::from_secs(10));
    phone.signal("-INT");
    let (code, took) = phone.wait_exit(Duration::from_secs(5));
    assert_eq!(code, Some(0), "{}", phone.log());
    assert!(took < Duration::from_secs(3), "took {took:?}");
    far.wait_event("CALL_CLOSED", Duration::from_secs(2));
    assert!(kam.contacts_of("12345").is_empty(), "un-registered");
    let log = phone.log();
    assert!(log.contains("call 1: Ended: hung up here"), "{log}");
    assert!(log.contains("call 1: PCMU/8000 sent"), "the media report: {log}");
    assert!(t.wait_closed(Duration::from_secs(2)), "the console session ended with the phone");
}

#[test]
fn stdin_is_a_console_too_and_quit_there_stops_the_phone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out_path, err_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut phone = sip7940_loopback(5)
        .args(["phone", "--bind", "127.0.0.1", "--no-register"])
        .stdin(Stdio::piped())
        .stdout(std::fs::File::create(&out_path).expect("stdout"))
        .stderr(std::fs::File::create(&err_path).expect("stderr"))
        .reaped("start the phone");
    let out = || std::fs::read_to_string(&out_path).unwrap_or_default();
    let err = || std::fs::read_to_string(&err_path).unwrap_or_default();
    assert!(peers::wait_until(Duration::from_secs(10), || err().contains("listening on")), "{}", err());
    let mut stdin = phone.0.stdin.take().expect("stdin");
    stdin.write_all(b"sh reg\ncalls\nbogus\n").expect("write");
    assert!(peers::wait_until(Duration::from_secs(5), || out().contains("% Unknown command")), "{}", out());
    let text = out();
    assert!(text.starts_with("LINE REGISTRATION TABLE\n"), "no prompt on a pipe:\n{text}");
    assert!(text.contains("\nNo calls\n"), "{text}");
    stdin.write_all(b"quit\n").expect("write");
    let start = Instant::now();
    let status = loop {
        if let Ok(Some(status)) = phone.0.try_wait() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(3), "quit on stdin stops the phone\n{}", err());
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0), "{}", err());
    assert!(err().contains("quit: hanging up and stopping"), "{}", err());
}

/// `sip7940 call 12345` from line 23456 through `kam`: exit code and everything it said.
fn call_the_phone(kam: &Kamailio) -> (Option<i32>, String) {
    let out = sip7940_loopback(kam.port)
        .args(["--set", "line2_name=23456", "--set", "line1_name=\"\""])
        .args(["call", "12345", "--line", "2", "--bind", "127.0.0.1", "--duration", "1"])
        .output()
        .expect("run sip7940 call");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn dnd_and_forward_from_the_console_are_what_callers_get() {
    let kam = Kamailio::start(KamOpts::default());
    let phone = phone_at(&kam, 2, &["--auto-answer"]);
    kam.wait_for_contacts("12345", Duration::from_secs(10));
    let mut t = Telnet::login(phone.console);
    // Do not disturb: 486, and the phone never rings.
    assert!(t.command("dnd on").contains("do not disturb on"));
    let (code, said) = call_the_phone(&kam);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("486"), "{said}");
    assert!(!phone.log().contains("incoming from"), "nothing rang: {}", phone.log());
    assert!(t.command("dnd off").contains("do not disturb off"));
    // Forward all: 302 to 99999, which the caller follows (and Kamailio knows nobody there).
    let said = t.command("forward 99999");
    assert!(said.contains("forwarding all calls to sip:99999@"), "{said}");
    let (code, said) = call_the_phone(&kam);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("404"), "the redirected call reached Kamailio's 404: {said}");
    let log = kam.log();
    assert!(log.contains("302 Moved Temporarily"), "{}", kam.log_tail(40));
    assert!(log.contains("INVITE sip:99999@"), "the caller followed the Contact: {}", kam.log_tail(40));
    assert!(t.command("forward off").contains("call forward off"));
    // Back to normal: the call is answered.
    let (code, said) = call_the_phone(&kam);
    assert_eq!(code, Some(0), "{said}");
    let said = t.command("transfer 555");
    assert!(said.contains("no call"), "nothing to transfer: {said}");
}

#[test]
fn messages_speed_dials_and_a_spare_line_key_dial_their_numbers() {
    let kam = Kamailio::start(KamOpts::default());
    let extra = ["--set", "messages_uri=*97", "--set", "speed_line2=99999", "--set", "speed_label2=Office"];
    let phone = phone_at(&kam, 2, &extra);
    kam.wait_for_contacts("12345", Duration::from_secs(10));
    let mut t = Telnet::login(phone.console);
    let said = t.command("messages");
    assert!(said.contains("call 1: dialing *97 from line 1"), "{said}");
    t.saw("call 1: Ended: 404", 1, Duration::from_secs(10));
    assert!(kam.wait_for_log("INVITE sip:*97@", Duration::from_secs(5)), "{}", kam.log_tail(30));
    // Line 2 is not provisioned here: its key is speed dial 2.
    let said = t.command("test key line2");
    assert!(said.contains("call 2: dialing 99999 from line 1"), "{said}");
    t.saw("call 2: Ended: 404", 1, Duration::from_secs(10));
    let said = t.command("speed 2");
    assert!(said.contains("call 3: dialing 99999"), "{said}");
    let said = t.command("speed 4");
    assert!(said.contains("% speed dial 4: speed_line4 is not set"), "{said}");
}
