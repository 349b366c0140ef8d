//! The terminal edge of `phone --ui`: raw mode and the alternate screen on the terminal,
//! keys read from stdin (decoded by [`keys`]), frames written to the terminal, and the
//! process's own stdout and stderr caught in pipes so that no stray line scribbles over
//! the screen: each line comes back as [`TermInput::Stderr`] or [`TermInput::Stdout`] (and
//! goes to the `--log` file).
//!
//! ```text
//!  stdin (raw) ──bytes──▶ KeyDecoder ──────TermInput::Key───┐
//!  fd 2 ──pipe──▶ lines (+ --log FILE) ──Stderr─────────────┼──▶ the phone's task ──frame──▶ terminal
//!  fd 1 ──pipe──▶ lines (+ --log FILE) ──Stdout─────────────┤
//!  stdin ends ──────────────────────────Closed──────────────┘
//! ```
//!
//! Everything done to the terminal and to fds 1 and 2 is undone by [`Terminal::restore`]:
//! on drop, and from a panic hook (so a panic's message reaches the real stderr on a
//! usable terminal). Keyboard signals are off in raw mode (Ctrl-C arrives as a key), so
//! SIGINT and SIGTERM come only from outside, and the phone's task stops in order on them.

pub mod keys;

use keys::{Key, KeyDecoder};
use std::io::{BufRead, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long the reader waits after an Escape for the rest of a sequence.
const ESCAPE_PAUSE_MS: i32 = 40;

/// What the terminal hands the phone's task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermInput {
    /// A key was pressed.
    Key(Key),
    /// A line the process wrote to stderr (its event lines).
    Stderr(String),
    /// A line the process wrote to stdout (the SIP trace).
    Stdout(String),
    /// Stdin ended or failed: the terminal is gone.
    Closed,
}

/// Why the screen cannot be used.
#[derive(Debug)]
pub enum TerminalError {
    /// Stdin or stdout is not a terminal.
    NotATerminal,
    /// The process is not the terminal's foreground job.
    NotForeground,
    /// The `--log` file cannot be opened.
    LogFile(PathBuf, std::io::Error),
    /// A terminal or descriptor call failed.
    Setup(&'static str, std::io::Error),
}

impl std::fmt::Display for TerminalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TerminalError::NotATerminal => f.write_str("stdin and stdout are not both a terminal"),
            TerminalError::NotForeground => f.write_str("the phone is not the terminal's foreground job"),
            TerminalError::LogFile(path, e) => write!(f, "cannot write the log {}: {e}", path.display()),
            TerminalError::Setup(what, e) => write!(f, "{what}: {e}"),
        }
    }
}

impl std::error::Error for TerminalError {}

/// What [`Terminal::restore`] puts back.
struct Saved {
    /// Stdin's settings before raw mode.
    termios: libc::termios,
    /// The terminal (a copy of the original stdout): frames go here; restored as fd 1.
    tty: RawFd,
    /// The original stderr; restored as fd 2.
    stderr: RawFd,
}

/// Set while the screen owns the terminal.
static SAVED: Mutex<Option<Saved>> = Mutex::new(None);
static PANIC_HOOK: Once = Once::new();

/// The terminal, while the screen is shown.
pub struct Terminal {
    stop: Arc<AtomicBool>,
    /// Each log reader says here when its pipe has ended.
    log_done: std::sync::mpsc::Receiver<()>,
    /// How many log readers run.
    readers: usize,
}

impl Terminal {
    /// Takes the terminal: raw mode, the alternate screen, stdout and stderr caught (and
    /// copied to `log` when given); starts reading keys. Fails, changing nothing, when
    /// stdin and stdout are not a terminal or the process is in the background.
    pub fn open(log: Option<&Path>) -> Result<(Terminal, mpsc::UnboundedReceiver<TermInput>), TerminalError> {
        // SAFETY: isatty, tcgetpgrp and getpgrp only read the state of fds 0/1 and the process.
        let (tty_in, tty_out) = unsafe { (libc::isatty(0) == 1, libc::isatty(1) == 1) };
        if !(tty_in && tty_out) {
            return Err(TerminalError::NotATerminal);
        }
        // SAFETY: as above.
        if unsafe { libc::tcgetpgrp(0) != libc::getpgrp() } {
            return Err(TerminalError::NotForeground);
        }
        let log_file = match log {
            Some(path) => Some(Arc::new(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| TerminalError::LogFile(path.to_owned(), e))?,
            ))),
            None => None,
        };
        let (saved, [out_read, err_read]) = take_terminal()?;
        *lock() = Some(saved);
        PANIC_HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore_terminal();
                previous(info);
            }));
        });
        write_tty(b"\x1b[?1049h\x1b[?25l\x1b[2J\x1b[H");
        let (tx, rx) = mpsc::unbounded_channel();
        let stop = Arc::new(AtomicBool::new(false));
        let (done_tx, log_done) = std::sync::mpsc::channel();
        let readers =
            [(out_read, TermInput::Stdout as fn(String) -> TermInput), (err_read, TermInput::Stderr)]
                .into_iter()
                .filter(|(fd, wrap)| {
                    spawn_log_reader(*fd, *wrap, log_file.clone(), tx.clone(), done_tx.clone())
                })
                .count();
        spawn_key_reader(tx, stop.clone());
        Ok((Terminal { stop, log_done, readers }, rx))
    }

    /// The terminal's size: columns and rows (80×24 when it cannot be asked).
    pub fn size(&self) -> (usize, usize) {
        let guard = lock();
        let Some(saved) = guard.as_ref() else { return (80, 24) };
        // SAFETY: TIOCGWINSZ writes a winsize into the struct we own; a bad fd returns -1.
        let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
        let ok = unsafe { libc::ioctl(saved.tty, libc::TIOCGWINSZ, &mut ws) } == 0;
        if ok && ws.ws_col > 0 && ws.ws_row > 0 {
            (usize::from(ws.ws_col), usize::from(ws.ws_row))
        } else {
            (80, 24)
        }
    }

    /// Draws `lines` from the top left, each line cleared to its end and the rest of the
    /// screen cleared; the cursor is shown at `cursor` (row, column, from 0) or hidden.
    pub fn draw(&self, lines: &[String], cursor: Option<(usize, usize)>) {
        let mut out = String::from("\x1b[?25l");
        for (row, line) in lines.iter().enumerate() {
            out.push_str(&format!("\x1b[{};1H{line}\x1b[K", row + 1));
        }
        out.push_str("\x1b[J");
        if let Some((row, col)) = cursor {
            out.push_str(&format!("\x1b[{};{}H\x1b[?25h", row + 1, col + 1));
        }
        write_tty(out.as_bytes());
    }

    /// Gives the terminal back: the normal screen, the cursor, the settings and fds 1
    /// and 2 as they were; waits a little for the last caught lines to reach the log.
    pub fn restore(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        restore_terminal();
        let until = std::time::Instant::now() + Duration::from_millis(500);
        while self.readers > 0 {
            let left = until.saturating_duration_since(std::time::Instant::now());
            if self.log_done.recv_timeout(left).is_err() {
                break;
            }
            self.readers -= 1;
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.restore();
    }
}

fn lock() -> std::sync::MutexGuard<'static, Option<Saved>> {
    SAVED.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn os_error(what: &'static str) -> TerminalError {
    TerminalError::Setup(what, std::io::Error::last_os_error())
}

/// Raw mode on stdin, fds 1 and 2 each into a pipe: what to restore, and the pipes' read
/// ends (stdout's, stderr's).
fn take_terminal() -> Result<(Saved, [RawFd; 2]), TerminalError> {
    // SAFETY: plain calls on fds 0, 1, 2 and on the fds they return, each checked; the
    // termios structs are owned here. On failure everything done so far is undone.
    unsafe {
        let mut termios: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(0, &mut termios) != 0 {
            return Err(os_error("tcgetattr"));
        }
        let tty = libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 3);
        let stderr = libc::fcntl(2, libc::F_DUPFD_CLOEXEC, 3);
        let (mut out, mut err) = ([-1; 2], [-1; 2]);
        if tty < 0
            || stderr < 0
            || libc::pipe2(out.as_mut_ptr(), libc::O_CLOEXEC) != 0
            || libc::pipe2(err.as_mut_ptr(), libc::O_CLOEXEC) != 0
        {
            let error = os_error("dup/pipe");
            for fd in [tty, stderr, out[0], out[1], err[0], err[1]] {
                if fd >= 0 {
                    libc::close(fd);
                }
            }
            return Err(error);
        }
        let _ = std::io::stdout().flush();
        libc::dup2(out[1], 1);
        libc::dup2(err[1], 2);
        libc::close(out[1]);
        libc::close(err[1]);
        let mut raw = termios;
        libc::cfmakeraw(&mut raw);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        if libc::tcsetattr(0, libc::TCSANOW, &raw) != 0 {
            let error = os_error("tcsetattr");
            libc::dup2(tty, 1);
            libc::dup2(stderr, 2);
            libc::close(tty);
            libc::close(stderr);
            libc::close(out[0]);
            libc::close(err[0]);
            return Err(error);
        }
        Ok((Saved { termios, tty, stderr }, [out[0], err[0]]))
    }
}

/// Undoes [`take_terminal`] and the alternate screen, once (later calls do nothing).
fn restore_terminal() {
    let Some(saved) = lock().take() else { return };
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: the fds were opened by take_terminal and are closed only here; the termios
    // is the one read from fd 0 then.
    unsafe {
        let leave = b"\x1b[?25h\x1b[?1049l";
        libc::write(saved.tty, leave.as_ptr().cast(), leave.len());
        libc::tcsetattr(0, libc::TCSANOW, &saved.termios);
        libc::dup2(saved.tty, 1);
        libc::dup2(saved.stderr, 2);
        libc::close(saved.tty);
        libc::close(saved.stderr);
    }
}

/// Writes to the terminal while the screen owns it.
fn write_tty(bytes: &[u8]) {
    let guard = lock();
    let Some(saved) = guard.as_ref() else { return };
    let mut rest = bytes;
    while !rest.is_empty() {
        // SAFETY: writes from a live slice to an fd kept open while the lock is held.
        let n = unsafe { libc::write(saved.tty, rest.as_ptr().cast(), rest.len()) };
        if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        let Ok(n) = usize::try_from(n) else { return };
        if n == 0 {
            return;
        }
        rest = rest.get(n..).unwrap_or_default();
    }
}

/// Reads a caught stdout or stderr line by line (each `wrap`ped for the phone's task and
/// copied to `log`) until every writer is gone, then says so on `done`. False when the
/// thread could not start.
fn spawn_log_reader(
    read: RawFd,
    wrap: fn(String) -> TermInput,
    log: Option<Arc<Mutex<std::fs::File>>>,
    tx: mpsc::UnboundedSender<TermInput>,
    done: std::sync::mpsc::Sender<()>,
) -> bool {
    // SAFETY: `read` is the pipe's read end, owned by nobody else from here on.
    let pipe = unsafe { std::fs::File::from_raw_fd(read) };
    let spawned = std::thread::Builder::new().name("screen-log".into()).spawn(move || {
        let mut reader = std::io::BufReader::new(pipe);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let text = printable(&String::from_utf8_lossy(&line));
                    if let Some(file) = &log {
                        let mut file = file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        let _ = writeln!(file, "{text}");
                    }
                    let _ = tx.send(wrap(text));
                }
            }
        }
        let _ = done.send(());
    });
    spawned.is_ok()
}

/// A caught line without its end and with control characters (which would move the
/// cursor) shown as spaces.
fn printable(line: &str) -> String {
    line.trim_end_matches(['\n', '\r']).chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Reads stdin, decoding keys, until it ends or `stop` is set.
fn spawn_key_reader(tx: mpsc::UnboundedSender<TermInput>, stop: Arc<AtomicBool>) {
    let _ = std::thread::Builder::new().name("screen-keys".into()).spawn(move || {
        let mut decoder = KeyDecoder::new();
        let mut buf = [0u8; 256];
        while !stop.load(Ordering::Relaxed) {
            let wait = if decoder.is_pending() { ESCAPE_PAUSE_MS } else { 200 };
            let mut poll = libc::pollfd { fd: 0, events: libc::POLLIN, revents: 0 };
            // SAFETY: one pollfd we own; fd 0 stays open for the process's life.
            let ready = unsafe { libc::poll(&mut poll, 1, wait) };
            if ready == 0 {
                for key in decoder.flush() {
                    let _ = tx.send(TermInput::Key(key));
                }
                continue;
            }
            if ready < 0 {
                if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                break;
            }
            if stop.load(Ordering::Relaxed) {
                return;
            }
            // SAFETY: reads into a buffer we own, at most its length.
            let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
            let Ok(n @ 1..) = usize::try_from(n) else {
                if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                break;
            };
            for key in decoder.feed(buf.get(..n).unwrap_or_default()) {
                if tx.send(TermInput::Key(key)).is_err() {
                    return;
                }
            }
        }
        if !stop.load(Ordering::Relaxed) {
            let _ = tx.send(TermInput::Closed);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caught_lines_lose_their_end_and_control_characters() {
        assert_eq!(printable("12:00 call 1: Ringing\r\n"), "12:00 call 1: Ringing");
        assert_eq!(printable("a\x1b[2Jb\tc"), "a [2Jb c");
    }
}
