//! Real third-party SIP peers on loopback for integration tests: Kamailio (digest
//! registrar + proxy), sipp scenarios and a headless baresip, started through the
//! scripts in `scripts/peers/` (see the README there for what each one does).
//!
//! Tests run in parallel threads, so every instance gets its own free ports (never the
//! defaults 5060/5064/...) and its own temp dir. A peer that is not installed is a test
//! failure with the install hint, never a skip. Every process is stopped by its pid
//! (pid file or `Child`) on drop, never by name.
//!
//! `PEERS_KEEP=1` keeps the temp dirs (config, logs, sipp message traces) after the
//! test; they are kept anyway when the test panics, and their paths printed.

#![allow(dead_code)]

use std::collections::hash_map::RandomState;
use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// `scripts/peers` of this repository.
pub const PEERS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/peers");
/// What to do when a peer is missing.
pub const INSTALL_HINT: &str = "run scripts/setup.sh with SETUP_PEERS=1";
/// The loopback address every peer listens on.
pub const IP: &str = "127.0.0.1";

// ------------------------------------------------------------------ installed tools

/// The full path of an installed peer binary (`kamailio`, `kamcmd`, `sipp`, `baresip`,
/// `sipsak`, `python3`), looked up in PATH and then in the sbin directories, which a
/// normal user's PATH lacks (kamailio and kamcmd live in /usr/sbin).
/// Panics with the install hint when it is not there: tests never skip for that.
pub fn require(bin: &str) -> PathBuf {
    find_binary(bin).unwrap_or_else(|| {
        let package = match bin {
            "kamailio" | "kamcmd" => "kamailio",
            "sipp" => "sip-tester",
            "baresip" => "baresip-core",
            other => other,
        };
        panic!("{bin} not installed: {INSTALL_HINT} (Debian package {package})")
    })
}

/// Where `bin` is, if installed (see [`require`]).
pub fn find_binary(bin: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|d| d.join(bin))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn script(name: &str) -> PathBuf {
    Path::new(PEERS_DIR).join(name)
}

/// A sipp scenario file from `scripts/peers/sipp/`, e.g. `"uac_register.xml"`.
pub fn scenario(name: &str) -> PathBuf {
    let p = Path::new(PEERS_DIR).join("sipp").join(name);
    assert!(p.is_file(), "no sipp scenario {}", p.display());
    p
}

// ---------------------------------------------------------------------- free ports

/// Ports handed out by this process: parallel tests never get the same one twice,
/// even before the peer that is to use it has bound it.
static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// Ports are picked from here: below Linux's ephemeral range (32768-60999), so the
/// kernel does not give them to some other socket between our check and the peer's bind.
const PORT_LO: u16 = 20000;
const PORT_HI: u16 = 32000;

fn random_u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0),
    );
    h.finish()
}

/// `len` consecutive ports (starting at an even number when `len` > 1), free on 127.0.0.1 for UDP and
/// TCP alike (baresip listens on TCP too) and not handed out before by this process.
/// Returns the first. Use it for RTP ranges, and where a peer takes `p` and `p + 2`
/// (sipp's `-mp` binds audio at `p` and video at `p + 2`).
pub fn free_port_block(len: u16) -> u16 {
    assert!((1..=200).contains(&len), "port block of {len}");
    let mut guard = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    let taken = guard.get_or_insert_with(HashSet::new);
    // blocks start at an even port (RTP), single ports anywhere
    let step = if len == 1 { 1 } else { 2 };
    let span = u64::from((PORT_HI - PORT_LO - len) / step);
    for _ in 0..500 {
        let base = PORT_LO + step * (random_u64() % span) as u16;
        let ports = base..base + len;
        if ports.clone().any(|p| taken.contains(&p)) {
            continue;
        }
        // Hold every socket until all are bound, so the whole block is checked at once.
        // (A plain bind also fails on ports that kamailio or sipp hold with SO_REUSEADDR.)
        let held: Option<Vec<_>> = ports
            .clone()
            .map(|p| {
                let u = UdpSocket::bind((IP, p)).ok()?;
                let t = TcpListener::bind((IP, p)).ok()?;
                Some((u, t))
            })
            .collect();
        if held.is_some() {
            taken.extend(ports);
            return base;
        }
    }
    panic!("no block of {len} free ports in {PORT_LO}..{PORT_HI}")
}

/// `n` distinct free UDP (and TCP) ports on 127.0.0.1.
pub fn free_udp_ports(n: usize) -> Vec<u16> {
    (0..n).map(|_| free_port_block(1)).collect()
}

/// One free port, `p`, such that `p + gap` is free as well (both reserved).
pub fn free_udp_pair_with_gap(gap: u16) -> (u16, u16) {
    let base = free_port_block(gap + 1);
    (base, base + gap)
}

/// Whether some socket is bound to UDP 127.0.0.1:`port` or 0.0.0.0:`port`
/// (from /proc/net/udp, so it sees other processes' sockets too).
pub fn udp_port_bound(port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/udp").unwrap_or_default();
    let want = [format!("0100007F:{port:04X}"), format!("00000000:{port:04X}")];
    table
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(1))
        .any(|local| want.iter().any(|w| w == local))
}

/// Waits until `cond` holds, polling every 50 ms; false on timeout.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process killed and reaped when dropped, so a failing assertion never leaves a
/// phone running (and holding the test harness's output pipe open).
pub struct Reaped(pub Child);

impl Reaped {
    /// Spawns `cmd`, panicking with `what` if it cannot start.
    pub fn spawn(cmd: &mut Command, what: &str) -> Reaped {
        Reaped(cmd.spawn().unwrap_or_else(|e| panic!("{what}: {e}")))
    }

    /// Kills the process and waits for it.
    pub fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `command.reaped("what")`: spawn as a [`Reaped`].
pub trait SpawnReaped {
    /// Spawns, panicking with `what` if the process cannot start.
    fn reaped(&mut self, what: &str) -> Reaped;
}

impl SpawnReaped for Command {
    fn reaped(&mut self, what: &str) -> Reaped {
        Reaped::spawn(self, what)
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        self.stop();
    }
}

// ------------------------------------------------------------------------ helpers

fn temp_dir(prefix: &str) -> TempDir {
    tempfile::Builder::new().prefix(prefix).tempdir().expect("create a temp dir")
}

/// On drop: keep the dir when the test failed or PEERS_KEEP=1, and say where it is.
fn keep_dir_if_wanted(dir: &mut TempDir, what: &str) {
    let keep = std::env::var("PEERS_KEEP").is_ok_and(|v| v == "1");
    if keep || std::thread::panicking() {
        dir.disable_cleanup(true);
        eprintln!("peers: {what} dir kept: {}", dir.path().display());
    }
}

fn read_lossy(p: &Path) -> String {
    std::fs::read(p).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn run_script(cmd: &mut Command, what: &str) -> Output {
    cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("cannot run {what}: {e}"))
}

fn describe(out: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout).trim_end(),
        String::from_utf8_lossy(&out.stderr).trim_end()
    )
}

/// Writes a test tone with `make-tone.py` into `dir`: returns the paths of
/// `tone-s16.wav` (8 kHz mono S16LE, for baresip's `BS_AUDIO`) and `tone.pcmu`
/// (headerless mu-law, for sipp's `rtp_stream`).
pub fn make_tone(dir: &Path, hz: u32, secs: u32) -> (PathBuf, PathBuf) {
    let py = require("python3");
    let out = run_script(
        Command::new(py).arg(script("make-tone.py")).arg(dir).args([hz.to_string(), secs.to_string()]),
        "make-tone.py",
    );
    assert!(out.status.success(), "make-tone.py failed: {}", describe(&out));
    (dir.join("tone-s16.wav"), dir.join("tone.pcmu"))
}

/// The samples and sample rate of a mono 16-bit PCM WAV file (baresip's
/// `audio/dump-*-{enc,dec}.wav`). None if it is not one.
pub fn read_wav_s16(path: &Path) -> Option<(u32, Vec<i16>)> {
    let b = std::fs::read(path).ok()?;
    if b.get(0..4)? != b"RIFF" || b.get(8..12)? != b"WAVE" {
        return None;
    }
    let (mut pos, mut rate, mut fmt_ok) = (12, 0u32, false);
    while pos + 8 <= b.len() {
        let id = &b[pos..pos + 4];
        let len = u32::from_le_bytes(b[pos + 4..pos + 8].try_into().ok()?) as usize;
        let body = b.get(pos + 8..(pos + 8 + len).min(b.len()))?;
        if id == b"fmt " && body.len() >= 16 {
            let tag = u16::from_le_bytes([body[0], body[1]]);
            let channels = u16::from_le_bytes([body[2], body[3]]);
            let bits = u16::from_le_bytes([body[14], body[15]]);
            rate = u32::from_le_bytes(body[4..8].try_into().ok()?);
            fmt_ok = tag == 1 && channels == 1 && bits == 16;
        } else if id == b"data" {
            if !fmt_ok {
                return None;
            }
            let samples = body.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect();
            return Some((rate, samples));
        }
        pos += 8 + len + (len & 1);
    }
    None
}

/// The frequency of a pure tone, from its zero crossings in the 20 ms blocks that sound
/// (silence before the first packet, or a gap concealed with silence, does not count); 0
/// for less than 0.1 s of sound. Good enough to tell a 1 kHz tone from a 400 Hz one.
pub fn tone_hz(rate: u32, samples: &[i16]) -> f64 {
    let block = (rate as usize / 50).max(1);
    let (mut crossings, mut sounding) = (0usize, 0usize);
    for start in (0..samples.len()).step_by(block) {
        let b = &samples[start..(start + block).min(samples.len())];
        let loud = b.iter().filter(|s| s.unsigned_abs() > 300).count();
        if loud * 4 < b.len() {
            continue;
        }
        // From the sample before the block, so a crossing on a block boundary counts too
        // (missing it read a 400 Hz tone as 375 Hz).
        let from = start.saturating_sub(1);
        let with_edge = &samples[from..start + b.len()];
        crossings += with_edge.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
        sounding += b.len();
    }
    if rate == 0 || sounding < rate as usize / 10 {
        return 0.0;
    }
    crossings as f64 / 2.0 / (sounding as f64 / f64::from(rate))
}

/// Asserts that the WAV at `path` holds at least a second of a tone within `hz` (by zero
/// crossings); `who` names it in failures.
pub fn assert_tone(path: &std::path::Path, hz: std::ops::Range<f64>, who: &str) {
    let (rate, samples) =
        read_wav_s16(path).unwrap_or_else(|| panic!("{who}: no recording at {}", path.display()));
    assert!(samples.len() > 8000, "{who}: at least a second of audio, got {} samples", samples.len());
    let heard = tone_hz(rate, &samples);
    assert!(hz.contains(&heard), "{who} heard {heard} Hz");
}

// ------------------------------------------------------------------ sip7940 itself

/// `sip7940 --config-dir profiles/loopback` with line 1 (12345) only, registering at
/// 127.0.0.1:`proxy_port`, on a free SIP port and a free block of 20 RTP ports, run from
/// the repository root. Add the subcommand and its arguments.
pub fn sip7940_loopback(proxy_port: u16) -> Command {
    let sip = free_udp_ports(1)[0];
    let media = free_port_block(20);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sip7940"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args(["--config-dir", "profiles/loopback"]);
    for set in [
        format!("proxy1_port={proxy_port}"),
        format!("voip_control_port={sip}"),
        "line2_name=\"\"".to_owned(),
        format!("start_media_port={media}"),
        format!("end_media_port={}", media + 19),
    ] {
        cmd.args(["--set", &set]);
    }
    cmd
}

// ----------------------------------------------------------------------- Kamailio

/// How to configure a [`Kamailio`] (the `KAM_*` settings of `start-registrar.sh`).
#[derive(Clone, Debug)]
pub struct KamOpts {
    /// `user:password,...` (`KAM_USERS`).
    pub users: String,
    /// SIP domain accepted as "myself" (`KAM_DOMAIN`); the realm is the same.
    pub domain: String,
    /// Challenges carry `qop="auth"` (`KAM_QOP`).
    pub qop: bool,
    /// INVITE & co. from a local user get a 407 (`KAM_AUTH_INVITE`).
    pub auth_invite: bool,
    /// nathelper: rport, `fix_nated_register`, SDP rewrite (`KAM_NAT`).
    pub nat: bool,
    /// Static routes `num:host:port` (`KAM_ROUTES`), e.g. `9999:127.0.0.1:5070`.
    pub routes: Vec<String>,
    /// Registrar `min_expires` (`KAM_MIN_EXPIRES`).
    pub min_expires: u32,
    /// Log every SIP message in full (`KAM_TRACE`).
    pub trace: bool,
    /// Listen on TCP too (`KAM_TCP`).
    pub tcp: bool,
    /// Seconds a nonce stays fresh (`KAM_NONCE_EXPIRE`).
    pub nonce_expire: u32,
}

impl Default for KamOpts {
    fn default() -> Self {
        KamOpts {
            users: "12345:sipgatepassword,23456:secret23456".into(),
            domain: "sip.test".into(),
            qop: true,
            auth_invite: true,
            nat: false,
            routes: Vec::new(),
            min_expires: 10,
            trace: true,
            tcp: false,
            nonce_expire: 300,
        }
    }
}

impl KamOpts {
    /// Adds a static route: requests for `number` go to 127.0.0.1:`port` unregistered.
    pub fn route(mut self, number: &str, port: u16) -> Self {
        self.routes.push(format!("{number}:{IP}:{port}"));
        self
    }
}

/// One Contact bound to an AoR, as `ul.dump` shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Binding {
    /// The AoR (the user: bindings are keyed by user only).
    pub aor: String,
    /// The Contact URI, e.g. `sip:12345@127.0.0.1:5999`.
    pub address: String,
    /// Seconds left; None once expired (ul.dump says `Expires: expired` until the
    /// usrloc timer, every 10 s, removes it).
    pub expires: Option<u32>,
    /// `Received:` (only with NAT handling), None for `[not set]`.
    pub received: Option<String>,
    /// The socket the REGISTER came in on, e.g. `udp:127.0.0.1:25060`.
    pub socket: String,
    pub call_id: String,
    pub cseq: u32,
    pub user_agent: String,
}

/// Parses `kamcmd ul.dump` (or `ul.lookup`) output into bindings. The format (Kamailio
/// 5.6) is an indented tree: `AoR: 12345` under `Info: {`, then one `Contact: {` block
/// per binding with `Address:`, `Expires:`, `Received:`, `Socket:`, ... lines.
pub fn parse_ul_dump(text: &str) -> Vec<Binding> {
    let mut out: Vec<Binding> = Vec::new();
    let mut aor = String::new();
    for line in text.lines() {
        let Some((key, value)) = line.trim().split_once(':') else {
            continue;
        };
        let value = value.trim();
        let not_set = |v: &str| (v != "[not set]").then(|| v.to_string());
        match key {
            "AoR" => aor = value.to_string(),
            "Address" => {
                out.push(Binding { aor: aor.clone(), address: value.to_string(), ..Binding::default() })
            }
            _ => {
                let Some(b) = out.last_mut().filter(|b| b.aor == aor) else {
                    continue;
                };
                match key {
                    "Expires" => b.expires = value.parse().ok(),
                    "Received" => b.received = not_set(value),
                    "Socket" => b.socket = value.to_string(),
                    "Call-ID" => b.call_id = value.to_string(),
                    "CSeq" => b.cseq = value.parse().unwrap_or(0),
                    "User-Agent" => b.user_agent = value.to_string(),
                    _ => {}
                }
            }
        }
    }
    out
}

/// A Kamailio registrar/proxy on two free UDP ports of 127.0.0.1, in its own temp dir.
/// Both ports run the same logic: use `port` as the registrar (`proxy1_port`) and
/// `proxy_port` as the outbound proxy. Stopped on drop.
pub struct Kamailio {
    /// The registrar port.
    pub port: u16,
    /// The second ("outbound proxy") port.
    pub proxy_port: u16,
    pub opts: KamOpts,
    dir: TempDir,
    running: bool,
}

impl Kamailio {
    /// Starts one with `opts` on two fresh ports; waits until both are bound.
    pub fn start(opts: KamOpts) -> Kamailio {
        require("kamailio");
        require("kamcmd");
        let mut dir = temp_dir("kamailio.");
        // The ports are reserved for this process but another program may still take
        // one before kamailio binds it: start-registrar.sh then refuses, so retry.
        for attempt in 1..=3 {
            let p = free_udp_ports(2);
            let mut k = Kamailio { port: p[0], proxy_port: p[1], opts: opts.clone(), dir, running: false };
            match k.try_start() {
                Ok(()) => return k,
                Err(e) if attempt < 3 && e.contains("already in use") => {
                    dir = std::mem::replace(&mut k.dir, temp_dir("kamailio."));
                }
                Err(e) => panic!("kamailio did not start: {e}"),
            }
        }
        unreachable!()
    }

    fn try_start(&mut self) -> Result<(), String> {
        let o = &self.opts;
        let flag = |b: bool| if b { "1" } else { "0" };
        let out = run_script(
            Command::new(script("start-registrar.sh"))
                .arg(self.dir.path())
                .env("KAMAILIO", require("kamailio"))
                .env("KAM_IP", IP)
                .env("KAM_PORTS", format!("{},{}", self.port, self.proxy_port))
                .env("KAM_USERS", &o.users)
                .env("KAM_DOMAIN", &o.domain)
                .env("KAM_REALM", &o.domain)
                .env("KAM_QOP", flag(o.qop))
                .env("KAM_AUTH_INVITE", flag(o.auth_invite))
                .env("KAM_NAT", flag(o.nat))
                .env("KAM_ROUTES", o.routes.join(","))
                .env("KAM_MIN_EXPIRES", o.min_expires.to_string())
                .env("KAM_NONCE_EXPIRE", o.nonce_expire.to_string())
                .env("KAM_TRACE", flag(o.trace))
                .env("KAM_TCP", flag(o.tcp))
                .env_remove("KAM_DIR")
                .env_remove("KAM_ALLOW_RE"),
            "start-registrar.sh",
        );
        if out.status.success() {
            self.running = true;
            Ok(())
        } else {
            Err(describe(&out))
        }
    }

    /// The registrar address, 127.0.0.1:`port`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The outbound-proxy address, 127.0.0.1:`proxy_port`.
    pub fn proxy_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.proxy_port))
    }

    /// A proxy URI for a UA's outbound setting, `sip:127.0.0.1:<port>`.
    pub fn uri(&self) -> String {
        format!("sip:{IP}:{}", self.port)
    }

    /// Its working dir (kamailio.cfg, kamailio.log, kamailio.pid, kamailio_ctl).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The pid of the main kamailio process, while it runs.
    pub fn pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir().join("kamailio.pid")).ok()?.trim().parse().ok()
    }

    /// Runs `kamcmd -s unix:DIR/kamailio_ctl ARGS...` and returns its stdout.
    pub fn kamcmd(&self, args: &[&str]) -> Result<String, String> {
        let sock = format!("unix:{}", self.dir().join("kamailio_ctl").display());
        let out = run_script(Command::new(require("kamcmd")).args(["-s", &sock]).args(args), "kamcmd");
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(describe(&out))
        }
    }

    /// `kamcmd ... ul.dump`: the whole location table as text.
    pub fn ul_dump(&self) -> String {
        self.kamcmd(&["ul.dump"])
            .unwrap_or_else(|e| panic!("kamcmd ul.dump failed: {e}\n{}", self.log_tail(20)))
    }

    /// Every binding of `user` (expired ones included; see [`Binding::expires`]).
    pub fn bindings_of(&self, user: &str) -> Vec<Binding> {
        parse_ul_dump(&self.ul_dump())
            .into_iter()
            .filter(|b| b.aor == user || b.aor.split('@').next() == Some(user))
            .collect()
    }

    /// The Contact URIs bound to `user` and not expired, e.g. `["sip:12345@127.0.0.1:5999"]`.
    pub fn contacts_of(&self, user: &str) -> Vec<String> {
        self.bindings_of(user).into_iter().filter(|b| b.expires.is_some()).map(|b| b.address).collect()
    }

    /// Waits until `user` has at least one live binding; panics with the location
    /// table and the log tail after `timeout`.
    pub fn wait_for_contacts(&self, user: &str, timeout: Duration) -> Vec<String> {
        let mut contacts = Vec::new();
        if wait_until(timeout, || {
            contacts = self.contacts_of(user);
            !contacts.is_empty()
        }) {
            return contacts;
        }
        panic!(
            "no binding for {user} after {timeout:?}\n--- ul.dump\n{}\n--- kamailio.log\n{}",
            self.ul_dump(),
            self.log_tail(40)
        )
    }

    /// All of kamailio.log so far (one `RX <method> <ruri> from ip:port` line per
    /// request, and the full messages with `trace`). A restart appends to it.
    pub fn log(&self) -> String {
        read_lossy(&self.dir().join("kamailio.log"))
    }

    /// The last `n` lines of the log.
    pub fn log_tail(&self, n: usize) -> String {
        tail(&self.log(), n)
    }

    /// Waits until the log contains `needle`; false on timeout.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        wait_until(timeout, || self.log().contains(needle))
    }

    /// Stops it (stop-registrar.sh: SIGTERM, SIGKILL after 5 s). Idempotent.
    pub fn stop(&mut self) {
        if !self.running {
            return;
        }
        self.running = false;
        let out = run_script(Command::new(script("stop-registrar.sh")).arg(self.dir()), "stop-registrar.sh");
        if !out.status.success() {
            eprintln!("peers: stop-registrar.sh: {}", describe(&out));
        }
    }

    /// Stops it and starts it again on the same ports with the same options, with an
    /// empty location table (usrloc keeps nothing: db_mode 0), as if the provider's
    /// registrar had restarted between two refreshes.
    pub fn restart(&mut self) {
        self.stop();
        // The ports are free once the process is gone; allow a moment for the kernel.
        let mut last = String::new();
        for _ in 0..10 {
            match self.try_start() {
                Ok(()) => return,
                Err(e) if e.contains("already in use") => {
                    last = e;
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => panic!("kamailio did not restart: {e}"),
            }
        }
        panic!("kamailio did not restart, ports still busy: {last}")
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        self.stop();
        keep_dir_if_wanted(&mut self.dir, "kamailio");
    }
}

// --------------------------------------------------------------------------- sipp

/// The result of one sipp run.
#[derive(Debug)]
pub struct SippOutcome {
    /// Which scenario/instance (for messages).
    pub name: String,
    /// sipp's exit status: 0 every call succeeded, 1 some call failed, 97 stopped by
    /// the scenario (credentials refused), 99 no call handled, 255 error. None when it
    /// was killed (by us, after its time limit).
    pub status: Option<i32>,
    /// Every message sent and received (`-trace_msg -message_file`).
    pub messages: String,
    /// Unexpected messages and errors (`-trace_err`).
    pub errors: String,
    /// `<log>` actions of the scenario (`-trace_logs`).
    pub logs: String,
    /// stdout + stderr (the final statistics screen, fatal errors).
    pub output: String,
}

impl SippOutcome {
    /// Panics with everything sipp said unless it exited with `code`.
    pub fn expect_status(&self, code: i32) -> &Self {
        assert_eq!(
            self.status,
            Some(code),
            "sipp {} exited {:?}, expected {code}\n{}",
            self.name,
            self.status,
            self.report()
        );
        self
    }

    /// Panics unless sipp exited 0.
    pub fn expect_success(&self) -> &Self {
        self.expect_status(0)
    }

    /// How many responses with status `code` the message log holds (sent or received).
    pub fn responses(&self, code: u16) -> usize {
        let start = format!("SIP/2.0 {code} ");
        self.messages.lines().filter(|l| l.trim_start().starts_with(&start)).count()
    }

    /// How many requests `method` the message log holds (sent or received).
    pub fn requests(&self, method: &str) -> usize {
        let start = format!("{method} ");
        self.messages
            .lines()
            .filter(|l| l.trim_start().starts_with(&start) && l.trim_end().ends_with("SIP/2.0"))
            .count()
    }

    /// The logs and output, for assertion messages.
    pub fn report(&self) -> String {
        format!(
            "--- messages\n{}\n--- errors\n{}\n--- output (tail)\n{}",
            self.messages.trim_end(),
            self.errors.trim_end(),
            tail(&self.output, 25)
        )
    }
}

/// A sipp command line being put together: a scenario from `scripts/peers/sipp/`,
/// always with `-i 127.0.0.1 -p <port> -mi 127.0.0.1 -mp <media> -cp <ctl> -m 1
/// -nostdin -timeout <t>s -timeout_error -trace_msg -message_file ...`. Run it in the
/// foreground with [`SippCmd::run`] or in the background with [`SippCmd::spawn`].
/// Each run gets its own temp dir as working directory (and for its traces).
pub struct SippCmd {
    name: String,
    scenario: PathBuf,
    /// The local SIP port (`-p`): where a UAS listens, where a UAC sends from.
    pub port: u16,
    /// The local RTP port (`-mp`); sipp binds it and `+2` (video).
    pub media_port: u16,
    args: Vec<String>,
    remote: Option<String>,
    calls: Option<u32>,
    timeout_s: u32,
    dir: TempDir,
}

/// A sipp running in the background; killed on drop.
pub struct Sipp {
    pub name: String,
    /// The local SIP port (`-p`).
    pub port: u16,
    /// The local RTP port (`-mp`).
    pub media_port: u16,
    child: Option<Child>,
    status: Option<ExitStatus>,
    limit: Duration,
    dir: TempDir,
}

impl SippCmd {
    /// `scenario` is a file name in `scripts/peers/sipp/` or a path. `-p` and `-mp` are
    /// fresh ports unless [`SippCmd::port`] sets one.
    pub fn new(scenario_file: &str) -> SippCmd {
        require("sipp");
        let path =
            if scenario_file.contains('/') { PathBuf::from(scenario_file) } else { scenario(scenario_file) };
        let name =
            path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "sipp".into());
        SippCmd {
            dir: temp_dir(&format!("sipp-{name}.")),
            name,
            scenario: path,
            port: free_udp_ports(1)[0],
            media_port: free_port_block(4),
            args: Vec::new(),
            remote: None,
            calls: Some(1),
            timeout_s: 20,
        }
    }

    /// Uses `port` as the local SIP port (`-p`).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Adds raw arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// `-key name value` (a `[name]` keyword of the scenario).
    pub fn key(self, name: &str, value: impl ToString) -> Self {
        self.args(["-key".to_string(), name.to_string(), value.to_string()])
    }

    /// `-set name value` (a `<Global>` variable of the scenario).
    pub fn set(self, name: &str, value: impl ToString) -> Self {
        self.args(["-set".to_string(), name.to_string(), value.to_string()])
    }

    /// `-au user -ap pass`: digest credentials for 401/407 challenges.
    pub fn auth(self, user: &str, pass: &str) -> Self {
        self.args(["-au", user, "-ap", pass])
    }

    /// The remote host:port (UAC target), the last argument.
    pub fn remote(mut self, addr: SocketAddr) -> Self {
        self.remote = Some(addr.to_string());
        self
    }

    /// `-m n` (default 1); None = no limit (serve until killed).
    pub fn calls(mut self, n: Option<u32>) -> Self {
        self.calls = n;
        self
    }

    /// `-timeout <secs>s -timeout_error` (default 20): sipp gives up and fails after it.
    pub fn timeout_secs(mut self, secs: u32) -> Self {
        self.timeout_s = secs;
        self
    }

    /// The working dir (traces; put files a scenario reads, like `tone.pcmu`, here).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn command(&self) -> Command {
        let d = self.dir();
        let mut c = Command::new(require("sipp"));
        c.current_dir(d)
            .arg("-sf")
            .arg(&self.scenario)
            .args(["-i", IP, "-p", &self.port.to_string()])
            .args(["-mi", IP, "-mp", &self.media_port.to_string()])
            // the remote-control socket (default 8888, on 0.0.0.0): one of ours instead
            .args(["-cp", &free_udp_ports(1)[0].to_string()])
            .args(["-nostdin", "-timeout", &format!("{}s", self.timeout_s)])
            .arg("-timeout_error")
            .args(["-trace_msg", "-message_file"])
            .arg(d.join("messages.log"))
            .args(["-trace_err", "-error_file"])
            .arg(d.join("errors.log"))
            .args(["-trace_logs", "-log_file"])
            .arg(d.join("logs.log"))
            .args(&self.args);
        if let Some(m) = self.calls {
            c.args(["-m", &m.to_string()]);
        }
        if let Some(r) = &self.remote {
            c.arg(r);
        }
        let out = std::fs::File::create(d.join("output.log")).expect("sipp output file");
        let err = out.try_clone().expect("sipp output file");
        c.stdin(Stdio::null()).stdout(out).stderr(err);
        c
    }

    /// Starts it in the background. A UAS (no remote) is waited for until its port
    /// is bound, so it can be called right away.
    pub fn spawn(self) -> Sipp {
        let child = self.command().spawn().unwrap_or_else(|e| panic!("cannot start sipp: {e}"));
        let mut sipp = Sipp {
            name: self.name,
            port: self.port,
            media_port: self.media_port,
            child: Some(child),
            status: None,
            limit: Duration::from_secs(u64::from(self.timeout_s) + 10),
            dir: self.dir,
        };
        if self.remote.is_none() {
            let port = sipp.port;
            let bound = wait_until(Duration::from_secs(10), || udp_port_bound(port) || !sipp.is_running());
            if !bound || !sipp.is_running() {
                let o = sipp.outcome();
                panic!("sipp {} did not start listening on {port}\n{}", o.name, o.report());
            }
        }
        sipp
    }

    /// Runs it in the foreground until it exits (or its time limit passes) and returns
    /// the outcome.
    pub fn run(self) -> SippOutcome {
        self.spawn().wait()
    }
}

impl Sipp {
    /// `uac_register.xml`: REGISTER `user` at `registrar` with digest (`pass`), binding
    /// `sip:user@127.0.0.1:<contact_port>` for `expires` seconds (0 = unregister).
    /// Exit 0 = 200 OK, 97 = credentials refused.
    pub fn uac_register(
        registrar: SocketAddr,
        user: &str,
        pass: &str,
        contact_port: u16,
        expires: u32,
    ) -> SippCmd {
        SippCmd::new("uac_register.xml")
            .args(["-s", user])
            .auth(user, pass)
            .key("contact_port", contact_port)
            .key("expires", expires)
            .remote(registrar)
    }

    /// `uas_register_auth.xml` on `port`: a second registrar that challenges (401,
    /// MD5, qop=auth, `realm`), checks the digest against `user`/`pass` and answers 200
    /// or 403 (then exits 97). One cycle (`-m 1`) unless [`SippCmd::calls`] says more.
    pub fn uas_register_auth(port: u16, user: &str, pass: &str, realm: &str) -> SippCmd {
        SippCmd::new("uas_register_auth.xml")
            .port(port)
            .key("realm", realm)
            .set("user", user)
            .set("pass", pass)
    }

    /// `uas_answer.xml` on `port`: rings `ring_ms`, answers with PCMU, echoes RTP,
    /// requires the ACK and waits for the caller's BYE. Fails if the offer lacks PCMU.
    pub fn uas_answer(port: u16, ring_ms: u32) -> SippCmd {
        SippCmd::new("uas_answer.xml").port(port).args(["-rtp_echo", "-d", &ring_ms.to_string()])
    }

    /// `uas_answer_bye.xml` on `port`: answers, plays a `hz` tone (from make-tone.py)
    /// as PCMU RTP and hangs up itself with BYE after `hold_ms`.
    pub fn uas_answer_bye(port: u16, hold_ms: u32, hz: u32) -> SippCmd {
        let cmd = SippCmd::new("uas_answer_bye.xml").port(port).args(["-d", &hold_ms.to_string()]);
        make_tone(cmd.dir(), hz, hold_ms.div_ceil(1000) + 2);
        cmd
    }

    /// `uac_call.xml`: INVITE `sip:<callee>@<target>` as `caller` with a PCMU offer,
    /// echoes RTP, holds the call `hold_ms`, then BYE. Add [`SippCmd::auth`] to answer
    /// a 401/407 (the registrar challenges callers that are its own users).
    pub fn uac_call(target: SocketAddr, callee: &str, caller: &str, hold_ms: u32) -> SippCmd {
        SippCmd::new("uac_call.xml")
            .args(["-s", callee])
            .key("caller", caller)
            .args(["-rtp_echo", "-d", &hold_ms.to_string()])
            .remote(target)
    }

    /// Whether it still runs.
    pub fn is_running(&mut self) -> bool {
        self.poll();
        self.status.is_none() && self.child.is_some()
    }

    fn poll(&mut self) {
        if self.status.is_none()
            && let Some(c) = self.child.as_mut()
            && let Ok(Some(st)) = c.try_wait()
        {
            self.status = Some(st);
        }
    }

    /// The messages traced so far.
    pub fn messages(&self) -> String {
        read_lossy(&self.dir.path().join("messages.log"))
    }

    /// Its working dir.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Waits until the message log contains `needle`; false on timeout.
    pub fn wait_for_message(&self, needle: &str, timeout: Duration) -> bool {
        wait_until(timeout, || self.messages().contains(needle))
    }

    /// Waits for it to exit (killing it after its `-timeout` plus 10 s) and returns
    /// the outcome.
    pub fn wait(mut self) -> SippOutcome {
        let limit = self.limit;
        self.wait_for(limit)
    }

    /// Waits at most `limit` for it to exit, then kills it (status None).
    pub fn wait_for(&mut self, limit: Duration) -> SippOutcome {
        let deadline = Instant::now() + limit;
        while self.is_running() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        self.outcome()
    }

    /// Kills it (SIGKILL by pid) if it still runs.
    pub fn kill(&mut self) {
        self.poll();
        if let Some(c) = self.child.as_mut()
            && self.status.is_none()
        {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn outcome(&self) -> SippOutcome {
        let d = self.dir.path();
        SippOutcome {
            name: self.name.clone(),
            status: self.status.and_then(|s| s.code()),
            messages: read_lossy(&d.join("messages.log")),
            errors: read_lossy(&d.join("errors.log")),
            logs: read_lossy(&d.join("logs.log")),
            output: read_lossy(&d.join("output.log")),
        }
    }
}

impl Drop for Sipp {
    fn drop(&mut self) {
        self.kill();
        keep_dir_if_wanted(&mut self.dir, &format!("sipp {}", self.name));
    }
}

// ------------------------------------------------------------------------ baresip

/// baresip's answer mode for incoming calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerMode {
    /// 200 at once.
    Auto,
    /// Rings (180) until `/accept`.
    Manual,
    /// 183 with early media.
    Early,
}

/// How to configure a [`Baresip`] (the `BS_*` settings of `start-baresip.sh`).
#[derive(Clone, Debug)]
pub struct BaresipOpts {
    pub user: String,
    pub pass: String,
    pub domain: String,
    /// Outbound proxy for every request (`BS_PROXY`), e.g. [`Kamailio::uri`]. None
    /// sends to the domain itself, which does not resolve: then use `register: false`
    /// and call it directly.
    pub proxy: Option<String>,
    /// Register (and wait for the 200 before `start` returns).
    pub register: bool,
    pub answer: AnswerMode,
    /// The 8 kHz mono S16LE WAV it sends; None: a 10 s 1 kHz tone.
    pub audio: Option<PathBuf>,
    /// `audio_codecs` of the account.
    pub codecs: String,
    /// A safety stop: baresip quits after this many seconds (`-t`).
    pub lifetime_s: u32,
}

impl BaresipOpts {
    /// `user`/`pass` at sip.test, registering through `proxy`, auto answer.
    pub fn new(user: &str, pass: &str, proxy: &str) -> BaresipOpts {
        BaresipOpts {
            user: user.into(),
            pass: pass.into(),
            domain: "sip.test".into(),
            proxy: Some(proxy.into()),
            register: true,
            answer: AnswerMode::Auto,
            audio: None,
            codecs: "PCMU,PCMA".into(),
            lifetime_s: 600,
        }
    }

    pub fn answer(mut self, mode: AnswerMode) -> Self {
        self.answer = mode;
        self
    }

    pub fn no_register(mut self) -> Self {
        self.register = false;
        self
    }

    pub fn audio(mut self, wav: PathBuf) -> Self {
        self.audio = Some(wav);
        self
    }
}

/// A headless baresip with its own SIP (UDP+TCP), ctrl_tcp and cons ports and RTP
/// range, in its own temp dir; stopped (it hangs up and unregisters) on drop.
pub struct Baresip {
    pub opts: BaresipOpts,
    /// SIP port, UDP and TCP.
    pub sip_port: u16,
    /// ctrl_tcp: netstring JSON commands and events.
    pub ctrl_port: u16,
    /// cons: plain-text commands over UDP/TCP.
    pub cons_port: u16,
    /// RTP port range, inclusive.
    pub rtp_ports: (u16, u16),
    dir: TempDir,
    running: bool,
    ctrl: Mutex<Option<BaresipCtrl>>,
}

impl Baresip {
    /// Starts it; with `register` it returns once the REGISTER got its 200.
    pub fn start(opts: BaresipOpts) -> Baresip {
        require("baresip");
        require("python3");
        let ports = free_udp_ports(3);
        let rtp = free_port_block(20);
        let mut b = Baresip {
            opts,
            sip_port: ports[0],
            ctrl_port: ports[1],
            cons_port: ports[2],
            rtp_ports: (rtp, rtp + 19),
            dir: temp_dir("baresip."),
            running: false,
            ctrl: Mutex::new(None),
        };
        let o = &b.opts;
        let mode = match o.answer {
            AnswerMode::Auto => "auto",
            AnswerMode::Manual => "manual",
            AnswerMode::Early => "early",
        };
        let mut cmd = Command::new(script("start-baresip.sh"));
        cmd.arg(b.dir.path())
            .env("BARESIP", require("baresip"))
            .env("BS_USER", &o.user)
            .env("BS_PASS", &o.pass)
            .env("BS_DOMAIN", &o.domain)
            .env("BS_PROXY", o.proxy.as_deref().unwrap_or(""))
            .env("BS_REGISTER", if o.register { "1" } else { "0" })
            .env("BS_ANSWER", mode)
            .env("BS_IP", IP)
            .env("BS_SIP_PORT", b.sip_port.to_string())
            .env("BS_RTP_PORTS", format!("{}-{}", b.rtp_ports.0, b.rtp_ports.1))
            .env("BS_CONS_PORT", b.cons_port.to_string())
            .env("BS_CTRL_PORT", b.ctrl_port.to_string())
            .env("BS_CODECS", &o.codecs)
            .env("BS_LIFETIME", o.lifetime_s.to_string())
            .env("BS_WAIT", "15")
            .env_remove("BS_DIR");
        match &o.audio {
            Some(a) => cmd.env("BS_AUDIO", a),
            None => cmd.env_remove("BS_AUDIO"),
        };
        let out = run_script(&mut cmd, "start-baresip.sh");
        // a pid file may exist even if startup failed: stop() handles both
        b.running = true;
        if !out.status.success() {
            let log = b.log();
            panic!(
                "baresip {} did not start: {}\n--- baresip.log\n{}",
                b.opts.user,
                describe(&out),
                tail(&log, 30)
            );
        }
        // the one ctrl_tcp connection, so that every event from now on is queued
        let connected = b.ctrl().is_some();
        assert!(connected, "cannot connect to baresip ctrl_tcp port {}", b.ctrl_port);
        b
    }

    /// `sip:x@127.0.0.1:<sip_port>`: to call it directly, without the proxy.
    pub fn direct_uri(&self) -> String {
        format!("sip:{}@{IP}:{}", self.opts.user, self.sip_port)
    }

    /// Its SIP address.
    pub fn sip_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.sip_port))
    }

    /// Its working dir: config, accounts, baresip.log, audio/dump-*-{enc,dec}.wav.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The pid, while it runs.
    pub fn pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir().join("baresip.pid")).ok()?.trim().parse().ok()
    }

    /// baresip.log so far.
    pub fn log(&self) -> String {
        read_lossy(&self.dir().join("baresip.log"))
    }

    /// Waits until the log contains `needle`; false on timeout.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        wait_until(timeout, || self.log().contains(needle))
    }

    fn ctrl(&self) -> std::sync::MutexGuard<'_, Option<BaresipCtrl>> {
        let mut g = self.ctrl.lock().unwrap_or_else(|e| e.into_inner());
        if g.is_none() {
            *g = BaresipCtrl::connect(self.ctrl_port).ok();
        }
        g
    }

    /// Sends a command such as `/dial 12345`, `/accept`, `/hangup`, `/listcalls`,
    /// `/reginfo` over ctrl_tcp; returns the reply text, or Err when baresip said
    /// `ok: false` (or did not answer within 5 s).
    pub fn try_cmd(&self, line: &str) -> Result<String, String> {
        let mut g = self.ctrl();
        let ctrl = g.as_mut().ok_or("cannot connect to ctrl_tcp")?;
        let r = ctrl.command(line);
        if r.as_ref().is_err_and(|e| e.contains("ctrl_tcp")) {
            *g = None; // connection lost: reconnect next time
        }
        r
    }

    /// Like [`Baresip::try_cmd`], panicking (with the log tail) on failure.
    pub fn cmd(&self, line: &str) -> String {
        self.try_cmd(line).unwrap_or_else(|e| {
            panic!("baresip command {line:?} failed: {e}\n--- baresip.log\n{}", tail(&self.log(), 30))
        })
    }

    /// The next event not consumed yet (they are queued from start on), or None
    /// after `timeout`.
    pub fn next_event(&self, timeout: Duration) -> Option<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        let mut g = self.ctrl();
        let ctrl = g.as_mut()?;
        match ctrl.next_event(deadline) {
            Ok(v) => v,
            Err(e) => panic!("baresip ctrl_tcp: {e}"),
        }
    }

    /// Consumes events until one of type `kind` (CALL_INCOMING, CALL_RINGING,
    /// CALL_ESTABLISHED, CALL_CLOSED, ...) and returns it; panics with the events seen
    /// and the log tail after `timeout`.
    pub fn wait_event(&self, kind: &str, timeout: Duration) -> serde_json::Value {
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.next_event(left) {
                Some(v) if v["type"] == kind => return v,
                Some(_) => {}
                None => break,
            }
        }
        panic!(
            "no baresip event {kind} within {timeout:?}; events so far: {:?}\n--- baresip.log\n{}",
            self.events_seen(),
            tail(&self.log(), 30)
        )
    }

    /// The types of all events received so far, consumed or not.
    pub fn events_seen(&self) -> Vec<String> {
        self.ctrl()
            .as_ref()
            .map(|c| c.seen.iter().map(|v| v["type"].as_str().unwrap_or("?").to_string()).collect())
            .unwrap_or_default()
    }

    /// The per-call recordings of what it received and decoded
    /// (`audio/dump-*-dec.wav`), oldest first.
    pub fn recordings_dec(&self) -> Vec<PathBuf> {
        self.recordings("-dec.wav")
    }

    /// The per-call recordings of what it sent (`audio/dump-*-enc.wav`), oldest first.
    pub fn recordings_enc(&self) -> Vec<PathBuf> {
        self.recordings("-enc.wav")
    }

    fn recordings(&self, suffix: &str) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.dir().join("audio"))
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with("dump-") && n.ends_with(suffix))
                    })
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Stops it with stop-baresip.sh (SIGTERM: it hangs up and unregisters; SIGKILL
    /// after 5 s). Idempotent.
    pub fn stop(&mut self) {
        if !self.running {
            return;
        }
        self.running = false;
        *self.ctrl.lock().unwrap_or_else(|e| e.into_inner()) = None;
        if !self.dir().join("baresip.pid").exists() {
            return;
        }
        let out = run_script(Command::new(script("stop-baresip.sh")).arg(self.dir()), "stop-baresip.sh");
        if !out.status.success() {
            eprintln!("peers: stop-baresip.sh: {}", describe(&out));
        }
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        self.stop();
        keep_dir_if_wanted(&mut self.dir, &format!("baresip {}", self.opts.user));
    }
}

/// The connection to baresip's ctrl_tcp module: netstrings `LEN:{json},` both ways.
/// Commands are answered with `{"response":true,"ok":..,"data":..,"token":..}`;
/// events `{"event":true,"type":"CALL_ESTABLISHED",...}` arrive in between and are
/// queued. ctrl_tcp serves one connection at a time (a new one closes the old), so
/// each [`Baresip`] keeps exactly one, opened right after start.
struct BaresipCtrl {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Events received and not yet consumed by `wait_event`/`next_event`.
    queue: VecDeque<serde_json::Value>,
    /// Every event received.
    seen: Vec<serde_json::Value>,
    token: u32,
}

impl BaresipCtrl {
    fn connect(port: u16) -> Result<BaresipCtrl, String> {
        let stream =
            TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), Duration::from_secs(5))
                .map_err(|e| format!("connect to ctrl_tcp port {port}: {e}"))?;
        Ok(BaresipCtrl { stream, buf: Vec::new(), queue: VecDeque::new(), seen: Vec::new(), token: 0 })
    }

    /// The next netstring message; Ok(None) when `deadline` passed first.
    fn next_message(&mut self, deadline: Instant) -> Result<Option<serde_json::Value>, String> {
        loop {
            if let Some(colon) = self.buf.iter().position(|&b| b == b':') {
                let len: usize = std::str::from_utf8(&self.buf[..colon])
                    .ok()
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| format!("bad netstring: {}", String::from_utf8_lossy(&self.buf)))?;
                if self.buf.len() > colon + len + 1 {
                    let body: Vec<u8> = self.buf.drain(..colon + len + 2).collect();
                    let json = &body[colon + 1..colon + 1 + len];
                    return serde_json::from_slice(json).map(Some).map_err(|e| {
                        format!("bad JSON from ctrl_tcp ({e}): {}", String::from_utf8_lossy(json))
                    });
                }
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return Ok(None);
            };
            self.stream
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .map_err(|e| e.to_string())?;
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err("ctrl_tcp connection closed".into()),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                Err(e) => return Err(format!("read from ctrl_tcp: {e}")),
            }
        }
    }

    fn push_event(&mut self, v: serde_json::Value) {
        self.seen.push(v.clone());
        self.queue.push_back(v);
    }

    fn command(&mut self, line: &str) -> Result<String, String> {
        self.token += 1;
        let token = format!("t{}", self.token);
        let line = line.trim().trim_start_matches('/');
        let (command, params) = line.split_once(' ').unwrap_or((line, ""));
        let msg = serde_json::json!({"command": command, "params": params, "token": token}).to_string();
        self.stream
            .write_all(format!("{}:{msg},", msg.len()).as_bytes())
            .map_err(|e| format!("write to ctrl_tcp: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Some(v) = self.next_message(deadline)? {
            if v["response"] == true && v["token"] == token.as_str() {
                let data = v["data"].as_str().unwrap_or("").to_string();
                return if v["ok"] == true { Ok(data) } else { Err(data) };
            }
            if v["event"] == true {
                self.push_event(v);
            }
        }
        Err(format!("no reply to {line:?} within 5 s"))
    }

    fn next_event(&mut self, deadline: Instant) -> Result<Option<serde_json::Value>, String> {
        if let Some(v) = self.queue.pop_front() {
            return Ok(Some(v));
        }
        while let Some(v) = self.next_message(deadline)? {
            if v["event"] == true {
                self.seen.push(v.clone());
                return Ok(Some(v));
            }
        }
        Ok(None)
    }
}
