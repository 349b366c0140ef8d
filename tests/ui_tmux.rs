//! `sip7940 phone --ui` as a person sees it: the real binary in a tmux pane of 80×30,
//! registered at Kamailio on 127.0.0.1; keys typed with `tmux send-keys`, the screen read
//! back with `tmux capture-pane`. Each test has its own tmux server (`tmux -L`), killed
//! with the phone at the end, also when an assertion fails.

#[path = "support/peers.rs"]
mod peers;

use peers::{KamOpts, Kamailio, SpawnReaped, sip7940_loopback};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A tmux server with one session of 80×30 running a command; on drop the command's
/// processes are killed (by pid) and the server with them.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Runs `cmd` in a new detached session; after it exits the pane says `EXITED <status>`
    /// and stays, so the screen left behind can be read.
    fn start(cmd: &Command) -> Tmux {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmux = Tmux { socket: format!("sip7940-ui-{}-{n}", std::process::id()) };
        let words: Vec<String> = std::iter::once(cmd.get_program())
            .chain(cmd.get_args())
            .map(|w| quote(&w.to_string_lossy()))
            .collect();
        let line = format!("{}; echo \"EXITED $?\"; sleep 600", words.join(" "));
        let dir = cmd.get_current_dir().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let started = tmux
            .command()
            .args(["new-session", "-d", "-x", "80", "-y", "30", "-c"])
            .arg(&dir)
            .arg(line)
            .status()
            .expect("run tmux");
        assert!(started.success(), "tmux new-session failed");
        tmux
    }

    fn command(&self) -> Command {
        let mut c = Command::new(peers::require("tmux"));
        c.args(["-L", &self.socket]).env("TERM", "xterm-256color").stdin(Stdio::null());
        c
    }

    /// What the pane shows now.
    fn screen(&self) -> String {
        let out = self.command().args(["capture-pane", "-p"]).output().expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types tmux key names (`9`, `F1`, `BSpace`, `Enter`, ...).
    fn keys(&self, keys: &[&str]) {
        let ok = self.command().arg("send-keys").args(keys).status().expect("tmux send-keys");
        assert!(ok.success(), "send-keys {keys:?}");
    }

    /// Types text as it is.
    fn type_text(&self, text: &str) {
        let ok = self.command().args(["send-keys", "-l", text]).status().expect("tmux send-keys");
        assert!(ok.success(), "send-keys -l {text:?}");
    }

    /// Waits until the screen satisfies `ok`; the screen then, or a panic showing it.
    fn wait(&self, what: &str, timeout: Duration, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "no {what} on the screen within {timeout:?}:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the screen shows `needle`.
    fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        self.wait(&format!("{needle:?}"), timeout, |s| s.contains(needle))
    }

    /// The processes the pane's shell started (the phone while it runs).
    fn children(&self) -> Vec<i32> {
        let out = self.command().args(["list-panes", "-F", "#{pane_pid}"]).stderr(Stdio::null()).output();
        let Ok(out) = out else { return Vec::new() };
        let shell = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        for pid in self.children() {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
        let _ = self.command().arg("kill-server").stderr(Stdio::null()).status();
    }
}

/// `word` quoted for sh.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// The screen's row that contains `needle`.
fn row<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("no row with {needle:?}:\n{screen}"))
}

/// The phone on line 1 (12345) registering at `kam`, with the screen, in tmux; its log file.
fn phone_ui(kam: &Kamailio, dir: &Path) -> (Tmux, PathBuf) {
    let log = dir.join("phone.log");
    let mut cmd = sip7940_loopback(kam.port);
    cmd.args(["phone", "--bind", "127.0.0.1", "--ui", "--log"]).arg(&log);
    let tmux = Tmux::start(&cmd);
    let registered = |s: &str| s.lines().any(|l| l.contains(">1  12345") && l.ends_with("REGISTERED |"));
    tmux.wait("line 1 REGISTERED", Duration::from_secs(15), registered);
    (tmux, log)
}

#[test]
fn dialling_on_the_keypad_shows_the_digits_and_the_404() {
    let kam = Kamailio::start(KamOpts::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let (tmux, log) = phone_ui(&kam, dir.path());
    let screen = tmux.screen();
    assert!(row(&screen, "Loopback").starts_with("| "), "phone_label in the header:\n{screen}");
    assert!(screen.contains("|    Redial    |   NewCall    |"), "{screen}");
    // Startup lines went to the normal screen (or the pane), never over the LCD.
    assert!(!screen.contains("listening on"), "{screen}");

    tmux.keys(&["9", "9", "9", "9", "5"]);
    tmux.wait_for("Dial: 99995_", Duration::from_secs(5));
    tmux.keys(&["BSpace"]);
    tmux.wait_for("Dial: 9999_", Duration::from_secs(5));
    tmux.keys(&["9"]);
    let screen = tmux.wait_for("Dial: 99999_", Duration::from_secs(5));
    assert!(screen.contains("|     Dial     |   EndCall    |      <<      |"), "{screen}");

    tmux.keys(&["F1"]);
    let screen = tmux.wait("the call's end on the status row", Duration::from_secs(10), |s| {
        s.lines().any(|l| l.starts_with("|   call 1: Ended: 404 Not Found"))
    });
    assert!(screen.contains("soft1 (Dial): call 1: dialing 99999 from line 1"), "the event pane:\n{screen}");
    assert!(screen.contains("|    Redial    |   NewCall    |"), "idle again:\n{screen}");
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(logged.contains("call 1: Ended: 404 Not Found"), "--log has the events:\n{logged}");

    // `:` runs a console command; its answer goes to the event pane.
    tmux.keys(&[":"]);
    tmux.type_text("calls");
    tmux.wait_for(":calls", Duration::from_secs(5));
    tmux.keys(&["Enter"]);
    tmux.wait_for("No calls", Duration::from_secs(5));

    // Idle, `q` quits: the terminal is given back, the last lines on the normal screen.
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED 0", Duration::from_secs(10));
    assert!(screen.contains("sip7940 phone: stopped"), "{screen}");
    assert!(!screen.contains("+-----"), "the alternate screen was left:\n{screen}");
    assert!(screen.contains("sip7940 phone: listening on"), "the screen from before is back:\n{screen}");
    assert!(
        peers::wait_until(Duration::from_secs(5), || kam.contacts_of("12345").is_empty()),
        "quitting un-registered line 1"
    );
}

#[test]
fn an_incoming_call_shows_the_caller_and_the_answer_softkey_connects_it() {
    let kam = Kamailio::start(KamOpts::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let (tmux, _log) = phone_ui(&kam, dir.path());

    // A second sip7940, as line 23456 "Line Two", calls line 1 and hangs up 4 s after the answer.
    let caller_log = dir.path().join("caller.log");
    let mut caller = sip7940_loopback(kam.port)
        .args(["--set", "line1_name=23456", "--set", "line1_authname=23456"])
        .args(["--set", "line1_password=secret23456", "--set", "line1_displayname=Line Two"])
        .args(["call", "12345", "--bind", "127.0.0.1", "--duration", "4"])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.path().join("caller.out")).expect("file"))
        .stderr(std::fs::File::create(&caller_log).expect("file"))
        .reaped("start the caller");

    let screen = tmux.wait_for("|   Ringing", Duration::from_secs(15));
    assert!(row(&screen, "Line Two").starts_with("|   Line Two"), "the caller's name:\n{screen}");
    assert!(row(&screen, "incoming, call").starts_with("|   23456 "), "the caller's number:\n{screen}");
    assert!(screen.contains("|    Answer    |   EndCall    |"), "{screen}");

    tmux.keys(&["F1"]);
    // The timer runs: a second or more after the answer (the call lasts 4 s).
    let screen = tmux.wait("a connected call's timer past 00:01", Duration::from_secs(10), |s| {
        s.lines().filter(|l| l.starts_with("|   Connected")).any(|l| {
            let timer = l.trim_end_matches(" |").rsplit(' ').next().unwrap_or_default();
            ["00:01", "00:02", "00:03", "00:04"].contains(&timer)
        })
    });
    assert!(screen.contains("|     Hold     |   EndCall    |   Transfer   |"), "{screen}");
    assert!(row(&screen, "Line Two").starts_with("|   Line Two"), "{screen}");

    // The caller hangs up: the call leaves the screen, its end in the event pane.
    let screen = tmux.wait("the far end's BYE", Duration::from_secs(10), |s| {
        s.contains("call 1: Ended: BYE from remote") && s.contains("|    Redial    |   NewCall    |")
    });
    assert!(!screen.contains("|   Line Two"), "the LCD shows no call:\n{screen}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Ok(Some(status)) = caller.0.try_wait() {
            break status;
        }
        assert!(Instant::now() < deadline, "the caller did not finish");
        std::thread::sleep(Duration::from_millis(50));
    };
    let said = std::fs::read_to_string(&caller_log).unwrap_or_default();
    assert!(status.success(), "the caller's call was answered and ended normally:\n{said}");

    // The terminal goes away (the tmux server is killed): the phone stops by itself.
    let phone = tmux.children();
    assert_eq!(phone.len(), 1, "the phone runs in the pane");
    let _ = tmux.command().arg("kill-server").status();
    let gone = || !Path::new(&format!("/proc/{}", phone[0])).exists();
    assert!(peers::wait_until(Duration::from_secs(5), gone), "the phone outlived its terminal");
    assert!(
        peers::wait_until(Duration::from_secs(5), || kam.contacts_of("12345").is_empty()),
        "and un-registered line 1"
    );
}

#[test]
fn without_a_terminal_ui_says_so_and_the_event_log_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("stderr.log");
    let mut phone = sip7940_loopback(9)
        .args(["phone", "--bind", "127.0.0.1", "--no-register", "--ui"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"))
        .reaped("start the phone");
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    let said = "sip7940 phone: --ui: stdin and stdout are not both a terminal: showing the event log instead";
    assert!(peers::wait_until(Duration::from_secs(10), || read().contains(said)), "{}", read());
    let ok = Command::new("kill").args(["-TERM", &phone.0.id().to_string()]).status().expect("kill");
    assert!(ok.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Ok(Some(status)) = phone.0.try_wait() {
            break status;
        }
        assert!(Instant::now() < deadline, "the phone did not stop:\n{}", read());
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{}", read());
    assert!(read().ends_with("sip7940 phone: stopped\n"), "{}", read());
    assert_eq!(read().matches("--ui").count(), 1, "one line about it:\n{}", read());
}
