//! Starts the real `sip7940 phone` binary on loopback for tests, and stops it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running phone process; killed on drop.
pub struct PhoneProc {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Lines it wrote to stderr, as they come.
    pub stderr: mpsc::Receiver<String>,
}

/// A free UDP port on 127.0.0.1 (bound, then released).
pub fn free_udp_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind an ephemeral port");
    s.local_addr().expect("local addr").port()
}

impl PhoneProc {
    /// Starts `sip7940 --config-dir profiles/<profile> --set voip_control_port=<free> phone
    /// --bind 127.0.0.1 <extra...>` and waits until it listens.
    pub fn start(profile: &str, extra: &[&str]) -> PhoneProc {
        Self::start_with(profile, &[], extra)
    }

    /// Like [`start`](Self::start), with `--set KEY=VALUE` for each of `sets`.
    pub fn start_with(profile: &str, sets: &[&str], extra: &[&str]) -> PhoneProc {
        let port = free_udp_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_sip7940"));
        for set in sets {
            command.args(["--set", set]);
        }
        let mut child = command
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["--config-dir", &format!("profiles/{profile}")])
            .args(["--set", &format!("voip_control_port={port}")])
            .args(["phone", "--bind", "127.0.0.1"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start sip7940 phone");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        loop {
            match rx.recv_timeout(Duration::from_secs(20)) {
                Ok(line) if line.contains("listening on") => break,
                Ok(_) => {}
                Err(e) => panic!("sip7940 phone did not start: {e}"),
            }
        }
        PhoneProc { child, addr, stderr: rx }
    }

    /// Whether the process is still running.
    pub fn is_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for PhoneProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The status code of a response datagram.
pub fn status_of(bytes: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(bytes.get(..bytes.len().min(64))?).ok()?;
    text.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()
}

/// The value of the first header named `name` (or its compact form), case-insensitive,
/// folded lines joined and white space runs made one space.
pub fn header(bytes: &[u8], name: &str, compact: Option<&str>) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let head = text.split("\r\n\r\n").next()?;
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.split("\r\n").find_map(|line| {
        let (n, v) = line.split_once(':')?;
        let n = n.trim();
        (n.eq_ignore_ascii_case(name) || compact.is_some_and(|c| n.eq_ignore_ascii_case(c)))
            .then(|| v.split_whitespace().collect::<Vec<_>>().join(" "))
    })
}

/// An OPTIONS request to the phone from `from`.
pub fn options(phone: SocketAddr, from: SocketAddr, call_id: &str) -> Vec<u8> {
    format!(
        "OPTIONS sip:{phone} SIP/2.0\r\nVia: SIP/2.0/UDP {from};branch=z9hG4bK{call_id}\r\n\
         From: <sip:probe@{from}>;tag=p1\r\nTo: <sip:{phone}>\r\nCall-ID: {call_id}\r\n\
         CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}
