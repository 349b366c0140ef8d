//! RFC 4475 over real UDP: the `sip7940 phone` binary gets every torture message and
//! answers each as the table below says (or stays silent where the RFC says drop), and
//! still answers OPTIONS afterwards.
//!
//! Responses go where RFC 3261 §18.2.2 says: the source IP at the Via's sent-by port
//! (5060 by default, 5061 for TLS), or the source port with `rport`. So the test speaks
//! from 127.0.0.2:5060 and also listens on 127.0.0.2:5061 and :5050 — loopback only.

#[path = "support/phone_proc.rs"]
mod phone_proc;

use phone_proc::{PhoneProc, header, options, status_of};
use std::net::UdpSocket;
use std::time::{Duration, Instant};

/// What the phone answers to each file (None: nothing, the message is dropped).
/// A well-formed INVITE rings (180); REGISTER and MESSAGE are not served by a phone (405
/// before any other check, as RFC 3261 §8.2.1 orders it).
const EXPECTED: &[(&str, Option<u16>)] = &[
    ("badaspec", Some(400)),  // spaces inside <addr-spec>: strict
    ("badbranch", Some(200)), // bare magic cookie: RFC 2543 matching
    ("baddate", Some(180)),
    ("baddn", Some(400)),    // unquoted display name with a comma: strict
    ("badinv01", Some(400)), // ;;,;,, in Via
    ("badvers", Some(505)),
    ("bcast", None), // a response: no transaction
    ("bext01", Some(420)),
    ("bigcode", None),    // malformed response: dropped
    ("clerr", Some(400)), // Content-Length beyond the datagram
    ("cparam01", Some(405)),
    ("cparam02", Some(405)),
    ("dblreq", Some(405)), // one answer: the trailing bytes are ignored
    ("esc01", Some(180)),
    ("esc02", Some(501)), // RE%47IST%45R is not REGISTER
    ("escnull", Some(405)),
    ("escruri", Some(400)), // headers in the Request-URI
    ("insuf", None),        // no Call-ID/From/To: cannot answer
    ("intmeth", Some(501)),
    ("inv2543", Some(180)),
    ("invut", Some(415)), // application/unknownformat: 415 with Accept
    ("longreq", Some(180)),
    ("ltgtruri", Some(400)),
    ("lwsdisp", Some(200)),
    ("lwsruri", Some(400)),
    ("lwsstart", Some(180)), // tolerated, then INVITE is not served
    ("mcl01", Some(400)),
    ("mismatch01", Some(400)),
    ("mismatch02", Some(400)),
    ("mpart01", Some(405)),
    ("multi01", Some(400)),
    ("ncl", Some(400)),
    ("noreason", None),
    ("novelsc", Some(416)),
    ("quotbal", Some(400)),
    ("regaut01", Some(405)),
    ("regbadct", Some(400)),
    ("regescrt", Some(405)),
    ("scalar02", Some(400)),
    ("scalarlg", None),
    ("sdp01", Some(406)), // Accept rules out SDP
    ("semiuri", Some(200)),
    ("transports", Some(200)),
    ("trws", Some(200)),
    ("unkscm", Some(416)),
    ("unksm2", Some(405)),
    ("unreason", None),
    ("wsinv", Some(481)),  // To has a tag: no such dialog (§12.2.2)
    ("zeromf", Some(200)), // Max-Forwards 0: a UA answers normally
];

/// Identifies a request's answers: Call-ID and CSeq, as written.
fn ident(bytes: &[u8]) -> (Option<String>, Option<String>) {
    (header(bytes, "Call-ID", Some("i")), header(bytes, "CSeq", None))
}

#[test]
fn every_torture_message_gets_its_answer_and_the_phone_survives() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rfc4475");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("rfc4475 dir")
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".dat").map(str::to_owned))
        .collect();
    files.sort();
    let table: Vec<&str> = EXPECTED.iter().map(|(f, _)| *f).collect();
    assert_eq!(files, table, "the table must cover exactly the 49 files");

    // The torture messages come straight from 127.0.0.2, not through the proxy: accept them
    // (ghost-call protection is tested below).
    let mut phone = PhoneProc::start_with("loopback", &["accept_direct_calls=1"], &["--no-register"]);
    let sender = UdpSocket::bind("127.0.0.2:5060").expect("bind 127.0.0.2:5060");
    let listeners: Vec<UdpSocket> = ["127.0.0.2:5061", "127.0.0.2:5050"]
        .iter()
        .map(|a| UdpSocket::bind(a).unwrap_or_else(|e| panic!("bind {a}: {e}")))
        .chain(std::iter::once(sender.try_clone().expect("clone")))
        .collect();
    for s in &listeners {
        s.set_nonblocking(true).expect("nonblocking");
    }

    let mut failures = Vec::new();
    for (name, expected) in EXPECTED {
        let bytes = std::fs::read(dir.join(format!("{name}.dat"))).expect("read");
        let want = ident(&bytes);
        sender.send_to(&bytes, phone.addr).expect("send");
        let wait = if expected.is_some() { Duration::from_secs(3) } else { Duration::from_millis(400) };
        let deadline = Instant::now() + wait;
        let mut got = None;
        'wait: while Instant::now() < deadline {
            for s in &listeners {
                let mut buf = [0u8; 65535];
                while let Ok((n, _)) = s.recv_from(&mut buf) {
                    let answer = &buf[..n];
                    // Retransmitted answers to earlier files are skipped by identity.
                    if ident(answer) == want && status_of(answer) != Some(100) {
                        got = status_of(answer);
                        break 'wait;
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if got != *expected {
            failures.push(format!("{name}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    assert!(phone.is_alive(), "the phone died");
    let probe = UdpSocket::bind("127.0.0.1:0").expect("bind");
    probe.set_read_timeout(Some(Duration::from_secs(3))).expect("timeout");
    let from = probe.local_addr().expect("addr");
    probe.send_to(&options(phone.addr, from, "alive-check"), phone.addr).expect("send");
    let mut buf = [0u8; 65535];
    let (n, _) = probe.recv_from(&mut buf).expect("an answer to OPTIONS after the torture");
    assert_eq!(status_of(&buf[..n]), Some(200));
    assert_eq!(
        header(&buf[..n], "Allow", None).as_deref(),
        Some("INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY, REFER")
    );
}

/// Ghost-call protection over real UDP: a scanner's INVITE straight to the phone gets 403
/// (and rings nothing); the proxy's request for one of our lines gets through.
#[test]
fn requests_from_strangers_get_403_and_the_proxy_gets_through() {
    let phone = PhoneProc::start("loopback", &["--no-register"]);
    let exchange = |from: &str, user: &str, method: &str| -> Option<u16> {
        let s = UdpSocket::bind(from).expect("bind");
        s.set_read_timeout(Some(Duration::from_secs(3))).expect("timeout");
        let me = s.local_addr().expect("addr");
        let msg = format!(
            "{method} sip:{user}@{} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bKg{user}{method}\r\n\
             From: <sip:scanner@{me}>;tag=s1\r\nTo: <sip:{user}@{}>\r\nCall-ID: ghost-{user}-{method}\r\n\
             CSeq: 1 {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
            phone.addr, phone.addr
        );
        s.send_to(msg.as_bytes(), phone.addr).expect("send");
        let mut buf = [0u8; 4096];
        let (n, _) = s.recv_from(&mut buf).ok()?;
        status_of(&buf[..n])
    };
    // 127.0.0.2 is not the configured proxy (127.0.0.1).
    assert_eq!(exchange("127.0.0.2:0", "12345", "INVITE"), Some(403));
    assert_eq!(exchange("127.0.0.2:0", "12345", "OPTIONS"), Some(403));
    // From the proxy's address: our line is served, a stranger's number is not.
    assert_eq!(exchange("127.0.0.1:0", "12345", "OPTIONS"), Some(200));
    assert_eq!(exchange("127.0.0.1:0", "999", "INVITE"), Some(403));
}
