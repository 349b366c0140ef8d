//! Booting from a real TFTP server on 127.0.0.1 (`scripts/tftp-server.py`, started here on
//! a free port): `check` reads the same configuration as from the directory, a missing
//! `SIP<MAC>.cnf` is a warning, a silent server and an ERROR packet are clear failures,
//! a lossy server still gives the files; `register` boots from TFTP against Kamailio; the
//! `phone` answers check-sync and, on new files with a new `sync`, restarts its lines.

#[path = "support/peers.rs"]
mod peers;

use peers::{KamOpts, Kamailio, Reaped, SpawnReaped, free_port_block, free_udp_ports, require};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `scripts/tftp-server.py` serving `root` on a free port of 127.0.0.1.
struct TftpServer {
    addr: SocketAddr,
    /// Its `RRQ name from ...` lines.
    requests: Arc<Mutex<Vec<String>>>,
    _process: Reaped,
}

impl TftpServer {
    fn start(root: &Path, extra: &[&str]) -> TftpServer {
        let python = require("python3");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/tftp-server.py");
        let mut process = Command::new(python)
            .arg(script)
            .arg(root)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .reaped("scripts/tftp-server.py");
        let stdout = process.0.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let addr: SocketAddr = first
            .strip_prefix("listening on ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("tftp-server.py did not start: {first:?}"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                seen.lock().unwrap_or_else(|e| e.into_inner()).push(line);
            }
        });
        TftpServer { addr, requests, _process: process }
    }

    fn requested(&self) -> Vec<String> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

fn profile(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles").join(name)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

fn sip7940(args: &[&str]) -> Run {
    let started = Instant::now();
    let Output { status, stdout, stderr } = Command::new(env!("CARGO_BIN_EXE_sip7940"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run sip7940");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        took: started.elapsed(),
    }
}

/// (key, value) of every setting in a `check --json` document.
fn values(doc: &Value) -> Vec<(String, String)> {
    doc["settings"]
        .as_array()
        .expect("settings")
        .iter()
        .map(|s| (s["key"].as_str().unwrap_or("").to_owned(), s["value"].as_str().unwrap_or("").to_owned()))
        .collect()
}

#[test]
fn check_reads_the_same_configuration_from_tftp_as_from_the_directory() {
    let server = TftpServer::start(&profile("sipgate-uk"), &[]);
    let host = server.addr.to_string();
    let run = sip7940(&["--tftp", &host, "--mac", "00:0c:30:a9:70:25", "check", "--json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let files: Vec<String> = ["SIPDefault.cnf", "SIP000C30A97025.cnf", "dialplan.xml"]
        .iter()
        .map(|f| format!("tftp://{host}/{f}"))
        .collect();
    assert_eq!(doc["files"], serde_json::json!(files));
    assert_eq!(doc["dial_plan"]["file"], files[2].as_str());
    assert_eq!(doc["dial_plan"]["ok"], true);
    assert_eq!(doc["mac"], "000C30A97025");
    let line1 = doc["settings"].as_array().expect("settings").iter().find(|s| s["key"] == "line1_name");
    assert_eq!(
        line1.map(|s| s["file"].clone()),
        Some(Value::from(format!("tftp://{host}/SIP000C30A97025.cnf")))
    );

    let local = sip7940(&["--config-dir", "profiles/sipgate-uk", "check", "--json"]);
    let local: Value = serde_json::from_str(&local.stdout).expect("JSON");
    assert_eq!(values(&doc), values(&local), "the same effective configuration");
    assert_eq!(doc["errors"], local["errors"]);
    assert_eq!(doc["warnings"], local["warnings"]);
    assert_eq!(doc["dial_plan"]["templates"], local["dial_plan"]["templates"], "the same dial plan");
    // The phone's order: SIPDefault.cnf, SIP<MAC>.cnf, then the dial plan.
    let names: Vec<String> = server
        .requested()
        .iter()
        .filter_map(|l| l.strip_prefix("RRQ ").and_then(|l| l.split(' ').next()).map(str::to_owned))
        .collect();
    assert_eq!(names, ["SIPDefault.cnf", "SIP000C30A97025.cnf", "dialplan.xml"]);
}

#[test]
fn a_missing_phone_file_boots_with_sipdefault_only_and_a_warning() {
    let server = TftpServer::start(&profile("sipgate-uk"), &[]);
    let host = server.addr.to_string();
    let run = sip7940(&["--tftp", &host, "--mac", "000C30A97099", "check"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with(&format!(
            "; sip7940 effective configuration: tftp://{host}/SIPDefault.cnf + tftp://{host}/dialplan.xml (MAC 000C30A97099)\n"
        )),
        "{}",
        run.stdout
    );
    let warning = format!(
        "warning default: no SIP000C30A97099.cnf in tftp://{host}; the phone boots with SIPDefault.cnf only"
    );
    assert!(run.stdout.contains(&warning), "{}", run.stdout);
    assert!(run.stdout.contains("proxy1_address : sipgate.co.uk"), "SIPDefault.cnf was read");
}

#[test]
fn tftp_needs_a_mac_and_a_server_with_either_file() {
    let server = TftpServer::start(&profile("sipgate-uk"), &[]);
    let host = server.addr.to_string();
    let run = sip7940(&["--tftp", &host, "check"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--tftp needs --mac MAC"), "{}", run.stderr);
    assert!(server.requested().is_empty(), "nothing asked for without a MAC");

    let empty = tempfile::tempdir().expect("tempdir");
    let server = TftpServer::start(empty.path(), &[]);
    let host = server.addr.to_string();
    let run = sip7940(&["--tftp", &host, "--mac", "000C30A97025", "check"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!("tftp {host}: neither SIPDefault.cnf nor SIP000C30A97025.cnf is there")),
        "{}",
        run.stderr
    );
}

#[test]
fn an_error_packet_is_reported_with_the_file_and_the_servers_words() {
    let server = TftpServer::start(&profile("sipgate-uk"), &[]);
    let host = server.addr.to_string();
    // tftp_cfg_dir prefixes the phone's file; `..` is refused by the server (ERROR 2).
    let run = sip7940(&["--tftp", &host, "--mac", "000C30A97025", "--set", "tftp_cfg_dir=../", "check"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.stderr.trim(),
        format!("sip7940 check: tftp {host}: ../SIP000C30A97025.cnf: Access violation")
    );
}

#[test]
fn a_server_that_does_not_answer_times_out_with_a_clear_message() {
    // A bound socket that never answers: no ICMP either, only silence.
    let silent = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let host = silent.local_addr().expect("addr").to_string();
    let run = sip7940(&["--tftp", &host, "--mac", "000C30A97025", "check"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!("tftp {host}: SIPDefault.cnf: no answer after 5 tries in 5.")),
        "{}",
        run.stderr
    );
    assert!(run.took >= Duration::from_millis(4900) && run.took < Duration::from_secs(8), "{:?}", run.took);
    // The five requests reached the socket, and nothing else did.
    silent.set_read_timeout(Some(Duration::from_millis(100))).expect("timeout");
    let mut buf = [0u8; 600];
    let mut requests = 0;
    while let Ok((n, _)) = silent.recv_from(&mut buf) {
        assert_eq!(buf.get(..n), Some(&b"\0\x01SIPDefault.cnf\0octet\0"[..]));
        requests += 1;
    }
    assert_eq!(requests, 5);
}

#[test]
fn bare_tftp_asks_the_primary_tftp_addr_of_the_local_files_for_the_mac_of_their_file() {
    let flash = tempfile::tempdir().expect("tempdir");
    std::fs::write(flash.path().join("SIPDefault.cnf"), "primary_tftp_addr : 127.0.0.2\n").expect("write");
    std::fs::write(flash.path().join("SIP000C30A97026.cnf"), "line1_name : 12345\n").expect("write");
    let dir = flash.path().to_string_lossy().into_owned();
    // Port 69 of 127.0.0.2: nobody is there on a test machine; the message says where it asked.
    let run = sip7940(&["--config-dir", &dir, "--tftp", "check"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("tftp 127.0.0.2:69: SIPDefault.cnf: no answer after 5 tries"),
        "{}",
        run.stderr
    );

    std::fs::write(flash.path().join("SIPDefault.cnf"), "proxy1_address : 127.0.0.1\n").expect("write");
    let run = sip7940(&["--config-dir", &dir, "--tftp", "check"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--tftp without a host takes primary_tftp_addr from the files in"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_lossy_server_that_sends_everything_twice_still_gives_the_same_files() {
    let clean = TftpServer::start(&profile("sipgate-uk"), &[]);
    let lossy = TftpServer::start(&profile("sipgate-uk"), &["--loss", "30", "--duplicate", "--seed", "3"]);
    let check = |server: &TftpServer| {
        let run = sip7940(&["--tftp", &server.addr.to_string(), "--mac", "000C30A97025", "check", "--json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let doc: Value = serde_json::from_str(&run.stdout).expect("JSON");
        (values(&doc), run.took)
    };
    let (want, _) = check(&clean);
    let (got, took) = check(&lossy);
    assert_eq!(got, want);
    assert!(took < Duration::from_secs(20), "{took:?}");
}

/// A copy of `profiles/loopback` to serve, with `proxy1_port` pointing at Kamailio.
fn loopback_root(kam_port: u16) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    for name in ["SIPDefault.cnf", "SIP000C30A97026.cnf"] {
        let text = std::fs::read_to_string(profile("loopback").join(name)).expect("read");
        let text = text.replace("proxy1_port : 5060", &format!("proxy1_port : {kam_port}"));
        std::fs::write(root.path().join(name), text).expect("write");
    }
    root
}

#[test]
fn register_boots_from_tftp_and_registers_both_lines_at_kamailio() {
    let kam = Kamailio::start(KamOpts::default());
    let root = loopback_root(kam.port);
    let server = TftpServer::start(root.path(), &[]);
    let host = server.addr.to_string();
    let sip = free_udp_ports(1)[0].to_string();
    let run = sip7940(&[
        "--tftp",
        &host,
        "--mac",
        "000C30A97026",
        "--set",
        &format!("voip_control_port={sip}"),
        "register",
        "--bind",
        "127.0.0.1",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains(&format!("sip7940: fetched SIPDefault.cnf, SIP000C30A97026.cnf from tftp://{host}")),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("Proxy Registration: ENABLED, state: REGISTERED"), "{}", run.stdout);
    for line in ["1 ", "2 "] {
        let row = run.stdout.lines().find(|l| l.starts_with(line)).unwrap_or("");
        assert!(row.contains("111  REGISTERED"), "line {line}: {}", run.stdout);
    }
}

/// A NOTIFY from `from` (the proxy is 127.0.0.1: a socket here passes the ghost-call filter)
/// to line 12345 of the phone on port `sip`.
fn notify(sip: u16, from: SocketAddr, branch: &str, event: &str) -> Vec<u8> {
    format!(
        "NOTIFY sip:12345@127.0.0.1:{sip} SIP/2.0\r\nVia: SIP/2.0/UDP {from};branch=z9hG4bK{branch};rport\r\n\
         From: <sip:12345@sip.test>;tag=k1\r\nTo: <sip:12345@sip.test>\r\nCall-ID: {branch}@test\r\n\
         CSeq: 1 NOTIFY\r\nMax-Forwards: 70\r\nEvent: {event}\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

/// Sends `notify(...)` from a socket of 127.0.0.1 and returns the answer's status line.
fn send_notify(sip: u16, branch: &str, event: &str) -> String {
    let proxy = UdpSocket::bind("127.0.0.1:0").expect("bind");
    proxy.set_read_timeout(Some(Duration::from_secs(3))).expect("timeout");
    let me = proxy.local_addr().expect("addr");
    proxy.send_to(&notify(sip, me, branch, event), ("127.0.0.1", sip)).expect("send");
    let mut buf = [0u8; 4096];
    let (n, _) = proxy.recv_from(&mut buf).expect("an answer to the NOTIFY");
    let answer = String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned();
    answer.lines().next().unwrap_or_default().to_owned()
}

/// The whole check-sync cycle with `sip7940 phone` booted from TFTP: registered at
/// Kamailio, it gets other events refused (489); the served files change (line 2 removed,
/// `sync : 2`) and check-sync (200) makes it read them again and restart: line 2 is gone
/// at Kamailio, line 1 registered again; a second check-sync with the same files changes
/// nothing.
#[test]
fn check_sync_rereads_the_files_and_restarts_the_phone_when_sync_changed() {
    let kam = Kamailio::start(KamOpts::default());
    let root = loopback_root(kam.port);
    let server = TftpServer::start(root.path(), &[]);
    let sip = free_udp_ports(1)[0];
    let media = free_port_block(20);
    let log_dir = tempfile::tempdir().expect("tempdir");
    let log_path = log_dir.path().join("phone.err");
    let log = std::fs::File::create(&log_path).expect("log");
    let _phone = Command::new(env!("CARGO_BIN_EXE_sip7940"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--tftp", &server.addr.to_string(), "--mac", "000C30A97026"])
        .args(["--set", &format!("voip_control_port={sip}")])
        .args([
            "--set",
            &format!("start_media_port={media}"),
            "--set",
            &format!("end_media_port={}", media + 19),
        ])
        .args(["phone", "--bind", "127.0.0.1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .reaped("sip7940 phone");
    let said = || std::fs::read_to_string(&log_path).unwrap_or_default();
    kam.wait_for_contacts("12345", Duration::from_secs(10));
    kam.wait_for_contacts("23456", Duration::from_secs(10));
    assert!(
        said().contains(&format!(
            "sip7940: fetched SIPDefault.cnf, SIP000C30A97026.cnf from tftp://{}",
            server.addr
        )),
        "{}",
        said()
    );

    assert_eq!(send_notify(sip, "ev1", "presence"), "SIP/2.0 489 Bad Event");

    // New files on the server: sync 2, line 2 gone.
    let default = root.path().join("SIPDefault.cnf");
    let text = std::fs::read_to_string(&default).expect("read") + "sync : 2\n";
    std::fs::write(&default, text).expect("write");
    let phone_file = root.path().join("SIP000C30A97026.cnf");
    let text = std::fs::read_to_string(&phone_file)
        .expect("read")
        .replace("line2_name : 23456", "line2_name : UNPROVISIONED");
    std::fs::write(&phone_file, text).expect("write");

    assert_eq!(send_notify(sip, "cs1", "check-sync"), "SIP/2.0 200 OK");
    assert!(
        peers::wait_until(Duration::from_secs(10), || kam.contacts_of("23456").is_empty()
            && said().contains("reset: the files were read again; 1 registration(s) restarted")),
        "{}\n{}",
        said(),
        kam.ul_dump()
    );
    assert!(said().contains("check-sync: sync \"1\" -> \"2\""), "{}", said());
    kam.wait_for_contacts("12345", Duration::from_secs(10));
    let requests = server.requested().iter().filter(|l| l.starts_with("RRQ SIPDefault.cnf")).count();
    assert_eq!(requests, 2, "boot, then check-sync: {:?}", server.requested());

    // The same files again: nothing restarts.
    assert_eq!(send_notify(sip, "cs2", "check-sync;reboot=false"), "SIP/2.0 200 OK");
    assert!(
        peers::wait_until(Duration::from_secs(5), || said()
            .contains("check-sync: sync is still \"2\": nothing to do")),
        "{}",
        said()
    );
    assert_eq!(said().matches("registration(s) restarted").count(), 1);
    assert!(!kam.contacts_of("12345").is_empty(), "{}", kam.ul_dump());
}
