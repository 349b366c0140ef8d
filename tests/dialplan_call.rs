//! The dial plan end to end: the real `sip7940` binary reads `dialplan.xml` from its config
//! directory, and `call NUMBER` sends the INVITE the plan says — the rewritten number with
//! `;user=phone` through the outbound proxy, an emergency number straight to
//! `proxy_emergency` (a name, `localhost`, resolved by the io edge). The proxies are UDP
//! sockets on 127.0.0.1 in this test that answer REGISTER with 200 and INVITE with 486,
//! and remember what reached them; one call goes through Kamailio to a sipp UAS that
//! answers only the rewritten number. `check` and `call` refuse a broken plan with its
//! file and line.

#[path = "support/peers.rs"]
mod peers;

use peers::{KamOpts, Kamailio, Sipp, free_port_block, free_udp_ports};
use sip7940::sip::message::{Datagram, HeaderName, Method, parse_datagram, response_to};
use std::net::UdpSocket;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A UDP "proxy" on 127.0.0.1: 200 to REGISTER (its Contact granted for 300 s), 486 to
/// INVITE, nothing to ACK, 200 to anything else; every request line it got, in order.
struct FakeProxy {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeProxy {
    fn start(port: u16) -> FakeProxy {
        let socket = UdpSocket::bind(("127.0.0.1", port)).expect("bind the fake proxy");
        socket.set_read_timeout(Some(Duration::from_millis(50))).expect("timeout");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            while !stop2.load(Ordering::Relaxed) {
                let Ok((n, from)) = socket.recv_from(&mut buf) else { continue };
                if let Some(reply) = answer(&buf[..n], &seen2) {
                    let _ = socket.send_to(&reply, from);
                }
            }
        });
        FakeProxy { port, seen, stop, thread: Some(thread) }
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().map(|v| v.clone()).unwrap_or_default()
    }

    fn invites(&self) -> Vec<String> {
        self.requests().into_iter().filter(|l| l.starts_with("INVITE ")).collect()
    }
}

impl Drop for FakeProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn answer(bytes: &[u8], seen: &Mutex<Vec<String>>) -> Option<Vec<u8>> {
    let Ok(Datagram::Message(msg)) = parse_datagram(bytes) else { return None };
    if !msg.is_request() {
        return None;
    }
    let line = String::from_utf8_lossy(bytes).lines().next().unwrap_or_default().to_owned();
    if let Ok(mut v) = seen.lock() {
        v.push(line);
    }
    let mut resp = match msg.method() {
        Some(Method::Ack) => return None,
        Some(Method::Invite) => response_to(&msg, 486, Some(b"busy1")).ok()?,
        Some(Method::Register) => {
            let mut r = response_to(&msg, 200, Some(b"reg1")).ok()?;
            if let Some(contact) = msg.header(HeaderName::Contact) {
                let contact = String::from_utf8_lossy(&contact.value()).into_owned();
                let expires = if contact.contains("expires=0") { "" } else { ";expires=300" };
                r.headers.push(HeaderName::Contact, format!("{contact}{expires}"));
            }
            r
        }
        _ => response_to(&msg, 200, Some(b"ok1")).ok()?,
    };
    resp.headers.push(HeaderName::ContentLength, "0");
    Some(resp.to_bytes())
}

/// A config directory: the loopback profile's files (line 12345), `dialplan.xml`, and
/// `extra` appended to SIPDefault.cnf.
fn config_dir(dialplan: Option<&str>, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let profile = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/loopback");
    let default = std::fs::read_to_string(profile.join("SIPDefault.cnf")).expect("SIPDefault.cnf");
    std::fs::write(dir.path().join("SIPDefault.cnf"), format!("{default}\n{extra}\n")).expect("write");
    std::fs::copy(profile.join("SIP000C30A97026.cnf"), dir.path().join("SIP000C30A97026.cnf")).expect("copy");
    if let Some(plan) = dialplan {
        std::fs::write(dir.path().join("dialplan.xml"), plan).expect("write dialplan.xml");
    }
    dir
}

/// `sip7940 --config-dir DIR <sets> call NUMBER --bind 127.0.0.1 --duration 1`.
fn call(dir: &Path, proxy: u16, number: &str) -> Output {
    let sip = free_udp_ports(1)[0];
    let media = free_port_block(10);
    Command::new(env!("CARGO_BIN_EXE_sip7940"))
        .arg("--config-dir")
        .arg(dir)
        .args(["--set", &format!("voip_control_port={sip}")])
        .args(["--set", &format!("proxy1_port={proxy}")])
        .args(["--set", "line2_name=\"\""])
        .args(["--set", &format!("start_media_port={media}")])
        .args(["--set", &format!("end_media_port={}", media + 9)])
        .args(["call", number, "--bind", "127.0.0.1", "--duration", "1"])
        .output()
        .expect("run sip7940 call")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

const PLAN: &str = r#"<?xml version="1.0"?>
<DIALTEMPLATE>
  <!-- the reference's example -->
  <TEMPLATE MATCH="911" Timeout="0" User="Phone" Route="Emergency"/>
  <TEMPLATE MATCH="31." Timeout="0" User="Phone" Rewrite="11111111%s"/>
  <TEMPLATE MATCH="*" Timeout="5"/>
</DIALTEMPLATE>
"#;

#[test]
fn call_dials_the_rewritten_number() {
    let proxy = FakeProxy::start(free_udp_ports(1)[0]);
    let dir = config_dir(Some(PLAN), "");
    let o = call(dir.path(), proxy.port, "312");
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "the fake proxy says busy: {out}");
    assert!(out.contains("Dial plan: 312 -> 11111111312;user=phone (template 2)"), "{out}");
    assert!(out.contains("Calling 11111111312 from line 1"), "{out}");
    assert!(out.contains("Ended: 486 Busy Here"), "{out}");
    let want = format!("INVITE sip:11111111312@127.0.0.1:{};user=phone SIP/2.0", proxy.port);
    assert_eq!(proxy.invites(), vec![want]);
    assert!(proxy.requests().iter().any(|l| l.starts_with("REGISTER ")), "{:?}", proxy.requests());
}

/// The whole path: the rewritten number is what Kamailio routes (to a sipp UAS that
/// answers), so the call connects only if the INVITE carried it.
#[test]
fn a_rewritten_number_is_answered_through_kamailio() {
    let uas_port = free_udp_ports(1)[0];
    let kam = Kamailio::start(KamOpts::default().route("9999", uas_port));
    let uas = Sipp::uas_answer(uas_port, 0).timeout_secs(60).spawn();
    let plan =
        r#"<DIALTEMPLATE><TEMPLATE MATCH="31." Timeout="0" User="Phone" Rewrite="999%1"/></DIALTEMPLATE>"#;
    let dir = config_dir(Some(plan), "");
    let o = call(dir.path(), kam.port, "319");
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", kam.log_tail(40));
    assert!(out.contains("Dial plan: 319 -> 9999;user=phone (template 1)"), "{out}");
    assert!(out.contains("Connected"), "{out}");
    assert!(kam.log().contains("static route 9999 -> sip:127.0.0.1:"), "{}", kam.log_tail(40));
    let sipp = uas.wait();
    sipp.expect_success();
    assert!(sipp.messages.contains("INVITE sip:9999@"), "{}", sipp.report());
    assert!(sipp.messages.contains(";user=phone"), "{}", sipp.report());
}

#[test]
fn an_emergency_call_goes_to_proxy_emergency_not_the_outbound_proxy() {
    let [main_port, emergency_port]: [u16; 2] = free_udp_ports(2).try_into().expect("two ports");
    let main = FakeProxy::start(main_port);
    let emergency = FakeProxy::start(emergency_port);
    let extra = format!(
        "outbound_proxy : 127.0.0.1\noutbound_proxy_port : {main_port}\n\
         proxy_emergency : localhost\nproxy_emergency_port : {emergency_port}\n"
    );
    let dir = config_dir(Some(PLAN), &extra);
    let o = call(dir.path(), main_port, "911");
    let out = text(&o);
    assert!(out.contains("Dial plan: 911 -> 911;user=phone via proxy_emergency (template 1)"), "{out}");
    assert!(out.contains("Ended: 486 Busy Here"), "{out}");
    assert_eq!(
        emergency.invites(),
        vec![format!("INVITE sip:911@localhost:{emergency_port};user=phone SIP/2.0")],
        "{out}"
    );
    assert!(main.invites().is_empty(), "the outbound proxy saw {:?}", main.invites());
    assert!(main.requests().iter().any(|l| l.starts_with("REGISTER ")));
    // Any other number still goes through the outbound proxy.
    let o = call(dir.path(), main_port, "5551234");
    assert!(text(&o).contains("Dial plan: 5551234 -> 5551234 (template 3)"), "{}", text(&o));
    assert_eq!(main.invites(), vec![format!("INVITE sip:5551234@127.0.0.1:{main_port} SIP/2.0")]);
    assert_eq!(emergency.invites().len(), 1);
}

#[test]
fn without_a_dial_plan_numbers_go_as_typed() {
    let proxy = FakeProxy::start(free_udp_ports(1)[0]);
    let dir = config_dir(None, "");
    let o = call(dir.path(), proxy.port, "312");
    let out = text(&o);
    assert!(!out.contains("Dial plan:"), "{out}");
    assert_eq!(proxy.invites(), vec![format!("INVITE sip:312@127.0.0.1:{} SIP/2.0", proxy.port)]);
}

#[test]
fn a_broken_dial_plan_is_a_config_error_with_file_and_line() {
    let plan = "<DIALTEMPLATE>\n  <TEMPLATE MATCH=\"911\"/>\n  <TEMPLATE MATCH=\"*\" Timeout=\"abc\"/>\n</DIALTEMPLATE>\n";
    let dir = config_dir(Some(plan), "");
    let file = dir.path().join("dialplan.xml").display().to_string();
    let want = format!(
        "error {file}:3 Timeout: Timeout=\"abc\" is not a number of seconds — a whole number of seconds; 0 dials at once"
    );
    let check = Command::new(env!("CARGO_BIN_EXE_sip7940"))
        .arg("--config-dir")
        .arg(dir.path())
        .arg("check")
        .output()
        .expect("run check");
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));
    assert!(text(&check).contains(&want), "{}", text(&check));
    assert!(text(&check).contains(&format!("; dial plan: {file} has an error")), "{}", text(&check));
    // `call` refuses to start, as for any configuration error (exit 3), before sending.
    let proxy = FakeProxy::start(free_udp_ports(1)[0]);
    let o = call(dir.path(), proxy.port, "911");
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains(&want), "{}", text(&o));
    assert!(proxy.requests().is_empty());
}

#[test]
fn check_reports_the_dial_plan() {
    let dir = config_dir(Some(PLAN), "");
    let o = Command::new(env!("CARGO_BIN_EXE_sip7940"))
        .arg("--config-dir")
        .arg(dir.path())
        .arg("check")
        .output()
        .expect("check");
    let out = text(&o);
    let file = dir.path().join("dialplan.xml").display().to_string();
    assert!(out.contains(&format!("; dial plan: {file}, 3 template(s)")), "{out}");
    // Route="Emergency" with no proxy_emergency: a warning, not an error.
    assert!(
        out.contains(&format!("warning {file}:4 Route: MATCH=\"911\" routes to the emergency proxy")),
        "{out}"
    );
    assert_eq!(o.status.code(), Some(0), "{out}");
    let o = Command::new(env!("CARGO_BIN_EXE_sip7940"))
        .arg("--config-dir")
        .arg(dir.path())
        .args(["check", "--json"])
        .output()
        .expect("check");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["dial_plan"]["templates"], 3);
    assert_eq!(v["dial_plan"]["file"], file.as_str());
}

#[test]
fn the_sipgate_uk_profile_has_a_clean_dial_plan() {
    let o = Command::new(env!("CARGO_BIN_EXE_sip7940"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--config-dir", "profiles/sipgate-uk", "check"])
        .output()
        .expect("check");
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("; dial plan: profiles/sipgate-uk/dialplan.xml, 9 template(s)"), "{out}");
    assert!(!out.contains("warning "), "{out}");
}
