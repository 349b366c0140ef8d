//! The real `sip7940 phone` with its telnet console, for tests against real peers: start
//! it on a free console port, log in, run commands and wait for event lines.

#![allow(dead_code)]

use crate::peers::{self, Kamailio, Reaped, SpawnReaped, sip7940_loopback};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The console password of these tests: never to be shown.
pub const CONSOLE_PASSWORD: &str = "s3cr3t-Console";

/// A running phone: the process, its stderr and stdout files, its console address.
pub struct Phone {
    pub process: Reaped,
    pub stderr: PathBuf,
    pub stdout: PathBuf,
    pub console: SocketAddr,
    pub _dir: tempfile::TempDir,
}

impl Phone {
    /// `cmd` (a `sip7940 … phone` command without its console options) with
    /// `telnet_level` and the test password, the console on a free port.
    pub fn start(mut cmd: Command, telnet_level: u8) -> Phone {
        let dir = tempfile::tempdir().expect("tempdir");
        let (stderr, stdout) = (dir.path().join("stderr.log"), dir.path().join("stdout.log"));
        let process = cmd
            .args(["--set", &format!("telnet_level={telnet_level}")])
            .args(["--set", &format!("phone_password={CONSOLE_PASSWORD}")])
            .args(["--console-port", "0"])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).expect("stdout file"))
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .reaped("start sip7940 phone");
        let mut phone =
            Phone { process, stderr, stdout, console: "127.0.0.1:1".parse().expect("addr"), _dir: dir };
        let said =
            |p: &Phone| p.log().lines().find_map(|l| l.split_once("console on ").map(|(_, r)| r.to_owned()));
        assert!(peers::wait_until(Duration::from_secs(10), || said(&phone).is_some()), "{}", phone.log());
        let addr = said(&phone).unwrap_or_default();
        phone.console = addr.split(' ').next().and_then(|a| a.parse().ok()).expect("console address");
        phone
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub fn all_output(&self) -> String {
        self.log() + &std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.process.0.id()
    }

    /// Sends `signal` (`-INT`, `-TERM`, `-HUP`) with kill(1).
    pub fn signal(&self, signal: &str) {
        let ok = Command::new("kill").args([signal, &self.pid().to_string()]).status().expect("kill");
        assert!(ok.success(), "kill {signal}");
    }

    /// Waits for the exit; its status and how long it took.
    pub fn wait_exit(&mut self, limit: Duration) -> (Option<i32>, Duration) {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(status)) = self.process.0.try_wait() {
                return (status.code(), start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the phone did not exit within {limit:?}:\n{}", self.log())
    }
}

/// The loopback profile's line 1 registering at `kam` (`sip7940_loopback`), then `phone`.
pub fn phone_at(kam: &Kamailio, telnet_level: u8, extra: &[&str]) -> Phone {
    let mut cmd = sip7940_loopback(kam.port);
    cmd.args(["phone", "--bind", "127.0.0.1"]).args(extra);
    Phone::start(cmd, telnet_level)
}

/// A telnet client that keeps everything it read (negotiation bytes dropped, CR LF as LF).
pub struct Telnet {
    pub stream: TcpStream,
    pub text: String,
    pub read_to: usize,
    pub closed: bool,
}

impl Telnet {
    pub fn connect(addr: SocketAddr) -> Telnet {
        let stream = TcpStream::connect(addr).expect("connect to the console");
        stream.set_read_timeout(Some(Duration::from_millis(100))).expect("timeout");
        Telnet { stream, text: String::new(), read_to: 0, closed: false }
    }

    pub fn pump(&mut self) {
        let mut buf = [0u8; 4096];
        match self.stream.read(&mut buf) {
            Ok(0) => self.closed = true,
            Ok(n) => {
                let mut bytes = Vec::new();
                let mut i = 0;
                while i < n {
                    if buf[i] == 255 {
                        i += 3; // IAC WILL/WONT ECHO: the only commands the phone sends
                        continue;
                    }
                    bytes.push(buf[i]);
                    i += 1;
                }
                self.text.push_str(&String::from_utf8_lossy(&bytes).replace("\r\n", "\n"));
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => self.closed = true,
        }
    }

    /// Everything after the last `expect`, up to and including `needle`.
    pub fn expect(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(at) = self.text[self.read_to..].find(needle) {
                let end = self.read_to + at + needle.len();
                let said = self.text[self.read_to..end].to_owned();
                self.read_to = end;
                return said;
            }
            assert!(
                Instant::now() < deadline && !self.closed,
                "no {needle:?} on the console within {timeout:?} (closed: {}); it said:\n{}",
                self.closed,
                &self.text[self.read_to..]
            );
            self.pump();
        }
    }

    pub fn send(&mut self, line: &str) {
        self.stream.write_all(format!("{line}\r\n").as_bytes()).expect("write to the console");
    }

    /// `line`, then its answer: what came up to the next prompt, without prompts and
    /// without the event lines (`HH:MM:SS.mmm …`) that may arrive around it.
    pub fn command(&mut self, line: &str) -> String {
        self.send(line);
        let mut answer = String::new();
        while answer.trim().is_empty() {
            let chunk = self.expect("SIP Phone# ", Duration::from_secs(10));
            let chunk = chunk.replace("SIP Phone# ", "\n");
            for l in chunk.lines().filter(|l| !is_event(l) && !l.trim().is_empty()) {
                answer.push_str(l);
                answer.push('\n');
            }
        }
        answer
    }

    /// Waits until `needle` has been shown at least `n` times in the whole session.
    pub fn saw(&mut self, needle: &str, n: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.text.matches(needle).count() < n {
            assert!(
                Instant::now() < deadline && !self.closed,
                "{needle:?} not shown {n} time(s) within {timeout:?}; the session:\n{}",
                self.text
            );
            self.pump();
        }
    }

    pub fn login(addr: SocketAddr) -> Telnet {
        let mut t = Telnet::connect(addr);
        t.expect("Password :", Duration::from_secs(5));
        t.send(CONSOLE_PASSWORD);
        t.expect("SIP Phone# ", Duration::from_secs(5));
        t
    }

    /// Waits until the connection is closed by the phone.
    pub fn wait_closed(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while !self.closed && Instant::now() < deadline {
            self.pump();
        }
        self.closed
    }
}

/// A line the phone prints on an event: it starts with the time of day.
pub fn is_event(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 13 && b[2] == b':' && b[5] == b':' && b[8] == b'.' && b[..2].iter().all(u8::is_ascii_digit)
}
