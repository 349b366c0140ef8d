//! `sip7940 check` end to end: the real binary on the real profiles.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn sip7940(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sip7940"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run sip7940")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(args: &[&str]) -> (i32, Value) {
    let o = sip7940(args);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {}", stdout(&o)));
    (o.status.code().unwrap_or(-1), v)
}

fn finding_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.starts_with("error ") || l.starts_with("warning ") || l.starts_with("info "))
        .collect()
}

#[test]
fn sipgate_uk_is_clean() {
    let o = sip7940(&["check", "--config-dir", "profiles/sipgate-uk"]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert_eq!(finding_lines(&text), Vec::<&str>::new());
    assert!(text.contains("proxy1_address : sipgate.co.uk"));
    assert!(text.contains("line1_password : ****"), "{text}");
    assert!(!text.contains("sipgatepassword"));
}

#[test]
fn loopback_is_clean() {
    let (code, v) = json(&["check", "--config-dir", "profiles/loopback", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(0), "{v:#}");
    assert_eq!(v["mac"], "000C30A97026");
}

#[test]
fn seed_original_explains_every_problem() {
    let o = sip7940(&["check", "--config-dir", "profiles/seed-original"]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    let d = "profiles/seed-original/SIPDEFAULT.CNF";
    let m = "profiles/seed-original/SIP000C30A97025.CNF";
    let expected = [
        // every placeholder, with its line
        format!("error {d}:3 my_ip_addr: \"10.x.x.3\" is a placeholder"),
        format!("error {d}:5 defaultgw: \"10.x.x.1\" is a placeholder"),
        format!("error {d}:10 primary_tftp_addr: \"10.x.x.2\" is a placeholder"),
        format!("error {d}:20 nat_address: \"y.y.y.y\" is a placeholder"),
        // the typographic quotes
        format!("warning {d}:18 phone_prompt: typographic quotes"),
        format!("warning {d}:24 messages_uri: typographic quotes"),
        format!("warning {d}:26 proxy1_address: typographic quotes"),
        format!("warning {m}:2 phone_label: typographic quotes"),
        format!("warning {m}:8 line2_displayname: typographic quotes"),
        format!("warning {m}:9 line2_shortname: typographic quotes"),
        // the NAT recipe
        format!("warning {d}:20 nat_address: y.y.y.y is ignored because nat_enable is 0 ({d}:19)"),
        // port 5082
        format!("warning {d}:29 outbound_proxy_port: 5082 is the old Free World Dialup"),
        // and the rest
        format!("warning {m}:2 phone_label: is 14 characters"),
        format!("info {m}:10 line2_name: line 2 is UNPROVISIONED"),
        "warning default proxy_register: is 0 but lines are provisioned".to_owned(),
    ];
    let lines = finding_lines(&text);
    for e in &expected {
        assert!(lines.iter().any(|l| l.starts_with(e.as_str())), "missing {e:?} in\n{text}");
    }
    assert!(text.contains("don't NAT in two places"));
    assert!(!text.contains("sipgatepassword"), "password leaked");
    // Each finding once.
    let mut sorted = lines.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), lines.len(), "a finding is repeated");
}

#[test]
fn set_overrides_are_named_in_errors() {
    let o = sip7940(&["--config-dir", "profiles/sipgate-uk", "--set", "nat_enable=yes", "check"]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("error --set nat_enable: \"yes\"") && l.contains("0 (off) or 1 (on)")),
        "{text}"
    );
}

#[test]
fn set_override_shows_its_origin() {
    let (code, v) =
        json(&["check", "--config-dir", "profiles/loopback", "--set", "proxy1_port=5070", "--json"]);
    assert_eq!(code, 0);
    let s = v["settings"].as_array().and_then(|a| a.iter().find(|s| s["key"] == "proxy1_port")).cloned();
    let s = s.expect("proxy1_port listed");
    assert_eq!(s["value"], "5070");
    assert_eq!(s["from"], "--set");
}

#[test]
fn json_findings_carry_file_line_and_counts() {
    let (code, v) = json(&["check", "--config-dir", "profiles/seed-original", "--json"]);
    assert_eq!(code, 1);
    assert_eq!(v["errors"], 4);
    let f = v["findings"].as_array().expect("findings");
    let port = f.iter().find(|f| f["code"] == "port-5082").expect("port-5082 finding");
    assert_eq!(port["line"], 29);
    assert_eq!(port["severity"], "warning");
    assert!(port["file"].as_str().is_some_and(|p| p.ends_with("SIPDEFAULT.CNF")));
    assert!(!v.to_string().contains("sipgatepassword"));
}

#[test]
fn unreadable_or_missing_files_exit_2() {
    let o = sip7940(&["check", "--config-dir", "/nonexistent/sip7940"]);
    assert_eq!(o.status.code(), Some(2));
    let empty = tempfile::tempdir().expect("tempdir");
    let o = sip7940(&["check", "--config-dir", empty.path().to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no SIPDefault.cnf"));
}

fn phone_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    dir
}

fn dir_arg(dir: &Path) -> &str {
    dir.to_str().unwrap_or_default()
}

#[test]
fn mac_picks_among_several_phones_in_any_spelling() {
    let dir = phone_dir(&[
        ("SIPDefault.cnf", "proxy1_address : 127.0.0.1\nproxy_register : 1\n"),
        ("SIP000C30A97025.cnf", "line1_name : 100\nline1_authname : 100\nline1_password : a\n"),
        ("sip000c30a97026.cnf", "line1_name : 200\nline1_authname : 200\nline1_password : b\n"),
    ]);
    let o = sip7940(&["check", "--config-dir", dir_arg(dir.path())]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--mac"));
    for mac in ["000C30A97026", "00:0c:30:a9:70:26", "00-0C-30-A9-70-26"] {
        let (code, v) = json(&["check", "--config-dir", dir_arg(dir.path()), "--mac", mac, "--json"]);
        assert_eq!(code, 0, "{v:#}");
        let name =
            v["settings"].as_array().and_then(|a| a.iter().find(|s| s["key"] == "line1_name")).cloned();
        assert_eq!(name.map(|n| n["value"].clone()), Some(Value::from("200")));
    }
}

#[test]
fn a_missing_phone_file_is_a_warning() {
    let dir = phone_dir(&[("SIPDefault.cnf", "proxy1_address : 127.0.0.1\n")]);
    let o = sip7940(&["check", "--config-dir", dir_arg(dir.path())]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("no SIP<MAC>.cnf in"), "{text}");
}

#[test]
fn non_utf8_is_a_located_error_not_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("SIPDefault.cnf"), b"proxy1_address : 127.0.0.1\nphone_label : caf\xE9\n")
        .expect("write");
    let o = sip7940(&["check", "--config-dir", dir_arg(dir.path())]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("SIPDefault.cnf:2: byte 18 is not valid UTF-8"), "{text}");
}

#[test]
fn a_7940_warns_about_lines_past_two_and_a_7960_uses_them() {
    let base = [
        "check",
        "--config-dir",
        "profiles/loopback",
        "--set",
        "line3_name=34567",
        "--set",
        "line3_password=secret34567",
        "--set",
        "line3_authname=34567",
    ];
    let o = sip7940(&base);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "a warning, not an error: {text}");
    assert_eq!(
        finding_lines(&text),
        [
            "warning --set line3_name: line 3 is provisioned, but a 7940 has 2 lines — it is not used; run with --model 7960 for six lines"
        ],
        "{text}"
    );
    let o = sip7940(&[&base[..], &["--model", "7960"]].concat());
    assert_eq!(finding_lines(&stdout(&o)), Vec::<&str>::new(), "{}", stdout(&o));
    let o = sip7940(&[&base[..], &["--model", "7970"]].concat());
    assert_eq!(o.status.code(), Some(2), "clap refuses an unknown model");
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("not a phone model: 7940 (two lines) or 7960 (six lines)")
    );
}
