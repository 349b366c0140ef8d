//! `sip7940 demo` (built-in registrar, no files) and `sip7940 loopback` against Kamailio:
//! both legs hear each other's tone.

#[path = "support/peers.rs"]
mod peers;

use peers::{KamOpts, Kamailio, free_udp_ports};
use std::process::Command;

fn json(out: &std::process::Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: stdout\n{text}\nstderr\n{}", String::from_utf8_lossy(&out.stderr)))
}

/// Every call passed: answered, each direction heard the other's tone, nothing lost.
fn assert_calls_passed(doc: &serde_json::Value, calls: usize) {
    assert_eq!(doc["ok"], true, "{doc:#}");
    let list = doc["calls"].as_array().expect("calls");
    assert_eq!(list.len(), calls, "{doc:#}");
    for call in list {
        assert!(call["problems"].as_array().is_some_and(Vec::is_empty), "{call:#}");
        for dir in ["a_to_b", "b_to_a"] {
            let d = &call[dir];
            assert!(d["tone_share"].as_f64().unwrap_or_default() >= 0.8, "{dir}: {call:#}");
            assert!(d["received"].as_u64().unwrap_or_default() >= 90, "{dir}: {call:#}");
            assert_eq!(d["lost"], 0, "{dir}: {call:#}");
        }
        assert!(call["setup_ms"].as_f64().is_some_and(|ms| ms > 0.0 && ms < 2000.0), "{call:#}");
    }
}

#[test]
fn demo_needs_no_files_and_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    // An empty directory as the working directory: the demo's files are built in.
    let out = Command::new(env!("CARGO_BIN_EXE_sip7940"))
        .current_dir(dir.path())
        .args(["demo", "--duration", "2", "--json"])
        .output()
        .expect("run the demo");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_calls_passed(&json(&out), 1);
    // And the words a person reads.
    let out = Command::new(env!("CARGO_BIN_EXE_sip7940"))
        .current_dir(dir.path())
        .args(["demo", "--duration", "1"])
        .output()
        .expect("run the demo");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for line in [
        "demo registrar (built in, for the demo only) on 127.0.0.1:",
        "LINE REGISTRATION TABLE",
        "1 call(s), 1 passed",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(
        text.lines().filter(|l| l.contains("REGISTERED ")).count() >= 2,
        "both lines registered:\n{text}"
    );
    assert!(!text.contains("sipgatepassword") && !text.contains("secret23456"), "no password shown");
}

#[test]
fn loopback_through_kamailio_with_concurrent_calls() {
    let kam = Kamailio::start(KamOpts::default());
    let port = free_udp_ports(1)[0];
    let media = peers::free_port_block(200);
    let out = Command::new(env!("CARGO_BIN_EXE_sip7940"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--config-dir", "profiles/loopback", "--set", &format!("proxy1_port={}", kam.port)])
        .args(["--set", &format!("voip_control_port={port}")])
        .args([
            "--set",
            &format!("start_media_port={media}"),
            "--set",
            &format!("end_media_port={}", media + 199),
        ])
        .args(["loopback", "--duration", "2", "--calls", "10", "--rate", "20", "--json"])
        .output()
        .expect("run loopback");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_calls_passed(&json(&out), 10);
    assert!(kam.log().contains("Proxy-Authorization"), "the INVITEs were challenged and answered");
}

#[test]
fn loopback_to_a_number_nobody_has_fails_with_the_status() {
    let kam = Kamailio::start(KamOpts::default());
    let port = free_udp_ports(1)[0];
    let out = Command::new(env!("CARGO_BIN_EXE_sip7940"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--config-dir", "profiles/loopback", "--set", &format!("proxy1_port={}", kam.port)])
        .args(["--set", &format!("voip_control_port={port}")])
        .args(["loopback", "--to", "99999", "--duration", "1", "--json"])
        .output()
        .expect("run loopback");
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(doc["ok"], false);
    let problems = doc["calls"][0]["problems"].to_string();
    assert!(problems.contains("not answered: 404"), "{doc:#}");
}

#[test]
fn five_percent_loss_lowers_the_mos_and_fails_the_bounds() {
    let kam = Kamailio::start(KamOpts::default());
    let port = free_udp_ports(1)[0];
    let media = peers::free_port_block(20);
    let run = |impair: &str| {
        Command::new(env!("CARGO_BIN_EXE_sip7940"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["--config-dir", "profiles/loopback", "--set", &format!("proxy1_port={}", kam.port)])
            .args(["--set", &format!("voip_control_port={port}")])
            .args([
                "--set",
                &format!("start_media_port={media}"),
                "--set",
                &format!("end_media_port={}", media + 19),
            ])
            .args(["loopback", "--duration", "4", "--json", "--impair-loss", impair])
            .output()
            .expect("run loopback")
    };
    let clean = run("0");
    assert!(clean.status.success(), "{}", String::from_utf8_lossy(&clean.stdout));
    let clean = json(&clean);
    let lossy = run("5");
    assert_eq!(lossy.status.code(), Some(1), "{}", String::from_utf8_lossy(&lossy.stdout));
    let lossy = json(&lossy);
    for dir in ["a_to_b", "b_to_a"] {
        let (c, l) = (&clean["calls"][0][dir], &lossy["calls"][0][dir]);
        let loss = l["loss_percent"].as_f64().unwrap_or_default();
        assert!((1.5..10.0).contains(&loss), "{dir}: about 5 % lost: {l:#}");
        let (mos_clean, mos_lossy) =
            (c["mos"].as_f64().unwrap_or_default(), l["mos"].as_f64().unwrap_or_default());
        assert!(mos_clean > 4.2, "{dir}: {c:#}");
        assert!(mos_lossy < mos_clean - 0.2, "{dir}: MOS {mos_lossy} with loss vs {mos_clean}");
        assert!(l["tone_share"].as_f64().unwrap_or_default() >= 0.8, "PLC keeps the tone: {l:#}");
    }
    let problems = lossy["calls"][0]["problems"].to_string();
    assert!(problems.contains("lost (at most 1 %)"), "{problems}");
}
