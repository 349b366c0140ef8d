//! `sip7940 register` against real peers on 127.0.0.1: Kamailio with digest auth, and
//! sipp's registrar scenario. Every peer is started here on free ports; a missing peer
//! fails the test with an install hint.

#[path = "support/peers.rs"]
mod peers;

use peers::{KamOpts, Kamailio, Sipp, SpawnReaped, free_udp_ports};
use serde_json::Value;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `sip7940 --config-dir profiles/loopback --set proxy1_port=... --set voip_control_port=...
/// <set...> register --bind 127.0.0.1 <args...>`
fn register(proxy_port: u16, sets: &[&str], args: &[&str]) -> Run {
    let port = free_udp_ports(1)[0];
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sip7940"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--config-dir", "profiles/loopback"])
        .args(["--set", &format!("proxy1_port={proxy_port}")])
        .args(["--set", &format!("voip_control_port={port}")]);
    for s in sets {
        cmd.args(["--set", s]);
    }
    cmd.args(["register", "--bind", "127.0.0.1"]).args(args);
    let Output { status, stdout, stderr } = cmd.output().expect("run sip7940 register");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

fn row<'a>(out: &'a str, line: &str) -> &'a str {
    out.lines().find(|l| l.starts_with(&format!("{line:<6}"))).unwrap_or("")
}

#[test]
fn registers_both_lines_proves_inbound_and_unregisters_on_exit() {
    let kam = Kamailio::start(KamOpts::default());
    let run = register(kam.port, &[], &["--check-inbound"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("Proxy Registration: ENABLED, state: REGISTERED"), "{}", run.stdout);
    for line in ["1", "2"] {
        let r = row(&run.stdout, line);
        assert!(r.contains("111  REGISTERED     295"), "line {line}: {r:?}");
    }
    assert!(run.stdout.contains("inbound: line 1 reachable"), "{}", run.stdout);
    assert!(run.stdout.contains("inbound: line 2 reachable"), "{}", run.stdout);
    // Un-REGISTER on exit leaves no binding.
    assert_eq!(kam.contacts_of("12345"), Vec::<String>::new(), "{}", kam.ul_dump());
    assert_eq!(kam.contacts_of("23456"), Vec::<String>::new());
    // The REGISTER looked like a 7940's.
    let log = kam.log();
    assert!(log.contains("User-Agent: Cisco-CP7940G/8.0"), "{}", kam.log_tail(40));
    assert!(log.contains("+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-000c30a97026>\""));
}

#[test]
fn keep_leaves_the_binding_and_json_tells_what_the_registrar_stored() {
    let kam = Kamailio::start(KamOpts::default());
    let run = register(kam.port, &["line2_name=\"\""], &["--keep", "--json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(doc["status"], "OK");
    let line = &doc["lines"][0];
    assert_eq!(line["state"], "REGISTERED");
    assert_eq!(line["apr"], "111");
    assert_eq!(line["granted"], 300);
    assert!(line["rtt_ms"].as_f64().is_some_and(|ms| ms > 0.0));
    let stored = line["stored_contacts"][0].as_str().unwrap_or_default().to_owned();
    assert_eq!(kam.contacts_of("12345"), vec![stored.clone()]);
    assert!(stored.starts_with("sip:12345@127.0.0.1:"), "{stored}");
    assert!(!run.stdout.contains("sipgatepassword"));
}

#[test]
fn wrong_password_is_critical_with_apr_x_and_a_reason() {
    let kam = Kamailio::start(KamOpts::default());
    let run = register(kam.port, &["line1_password=wrong"], &[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(row(&run.stdout, "1").starts_with("1     x1x  FAILED"), "{}", run.stdout);
    assert!(run.stdout.contains("line 1: 403 Forbidden"), "{}", run.stdout);
    assert!(run.stdout.contains("the registrar rejected authname 12345's password"));
    assert!(row(&run.stdout, "2").contains("REGISTERED"));
    assert!(!run.stdout.contains("wrong\n") && !run.stderr.contains("password=wrong"));
}

#[test]
fn challenges_without_qop_are_answered_rfc2069_style() {
    let kam = Kamailio::start(KamOpts { qop: false, ..KamOpts::default() });
    let run = register(kam.port, &[], &["--keep"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let log = kam.log();
    assert!(!log.contains("qop=\"auth\""), "Kamailio must not offer qop here");
    assert!(log.contains("Authorization: Digest"));
    assert_eq!(kam.contacts_of("12345").len(), 1);
}

#[test]
fn a_stale_nonce_is_retried_not_a_failure() {
    let kam = Kamailio::start(KamOpts { nonce_expire: 2, ..KamOpts::default() });
    // Watch for 5 s: the un-REGISTER on exit goes with the cached, now stale, nonce.
    let run = register(kam.port, &["line2_name=\"\""], &["--watch", "--timeout", "5"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("line 1: REGISTERING -> REGISTERED"), "{}", run.stdout);
    // Kamailio logs the expired nonce (rc -4) of the un-REGISTER, then accepts the retry.
    let log = kam.log();
    let stale =
        log.find("failed rc=-4").unwrap_or_else(|| panic!("no stale nonce seen:\n{}", kam.log_tail(60)));
    assert!(log[stale..].contains("expires=0"), "the retry with the new nonce un-registered");
    assert_eq!(kam.contacts_of("12345"), Vec::<String>::new(), "the stale retry went through");
}

#[test]
fn outbound_proxy_on_the_second_port_carries_the_register() {
    let kam = Kamailio::start(KamOpts::default());
    let out = format!("outbound_proxy_port={}", kam.proxy_port);
    let run = register(kam.port, &["outbound_proxy=127.0.0.1", &out, "line2_name=\"\""], &["--keep"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let bindings = kam.bindings_of("12345");
    assert_eq!(bindings.len(), 1);
    assert!(bindings[0].socket.ends_with(&format!(":{}", kam.proxy_port)), "{:?}", bindings[0]);
    // The Request-URI still names the registrar from proxy1.
    assert!(
        kam.log().contains(&format!("REGISTER sip:127.0.0.1:{} SIP/2.0", kam.port)),
        "{}",
        kam.log_tail(30)
    );
}

#[test]
fn a_registrar_that_is_not_there_times_out_with_words() {
    let dead = free_udp_ports(1)[0];
    let started = Instant::now();
    let run = register(dead, &["line2_name=\"\""], &["--timeout", "40"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(&format!("line 1: no answer from 127.0.0.1:{dead}")), "{}", run.stdout);
    assert!(run.stdout.contains("after 11 tries"), "{}", run.stdout);
    assert!(started.elapsed() < Duration::from_secs(40));
}

#[test]
fn sipp_as_a_second_registrar_accepts_our_digest() {
    let port = free_udp_ports(1)[0];
    let sipp = Sipp::uas_register_auth(port, "12345", "sipgatepassword", "sip.test").spawn();
    let run = register(port, &["line2_name=\"\""], &["--keep"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let outcome = sipp.wait();
    outcome.expect_success();
}

#[test]
fn a_restarted_registrar_is_noticed_and_re_registered_within_one_refresh() {
    let mut kam = Kamailio::start(KamOpts::default());
    let port = free_udp_ports(1)[0];
    let mut child = Command::new(env!("CARGO_BIN_EXE_sip7940"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--config-dir", "profiles/loopback"])
        .args(["--set", &format!("proxy1_port={}", kam.port), "--set", &format!("voip_control_port={port}")])
        .args(["--set", "line2_name=\"\"", "--set", "timer_register_expires=66"])
        .args(["register", "--bind", "127.0.0.1", "--watch", "--timeout", "75"])
        .stdout(std::process::Stdio::piped())
        .reaped("start the watch");
    assert!(!kam.wait_for_contacts("12345", Duration::from_secs(10)).is_empty(), "first registration");
    kam.restart();
    assert!(kam.contacts_of("12345").is_empty(), "the restarted registrar forgot the binding");
    // The refresh is due at 66 - 5 = 61 s.
    let back = kam.wait_for_contacts("12345", Duration::from_secs(70));
    child.stop();
    assert_eq!(back.len(), 1, "re-registered after the restart: {}", kam.log_tail(40));
}
