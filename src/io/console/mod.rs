//! The console's edge: the 7940's telnet port (a TCP listener) and stdin, each turned
//! into lines on one channel for the task that owns the phone, and a writer per session
//! that takes text back. What the lines mean (password, commands) is decided elsewhere
//! (`cli::console`); nothing here knows a command.
//!
//! ```text
//!  TCP client ──bytes──▶ telnet::LineDecoder ──ConsoleInput::Line──┐
//!  stdin ──────lines (reader thread)───────────ConsoleInput::Line──┼──▶ phone's task
//!  TCP client ◀──CR LF text── SessionWriter ◀──ConsoleOutput───────┘
//!  stdout     ◀──text (writer thread)─ SessionWriter ◀─┘
//! ```
//!
//! Stdin is read only when it is a terminal (and the phone is its foreground job: a
//! background job reading its terminal would be stopped by SIGTTIN), a pipe, a socket or a
//! regular file; `/dev/null` and a closed stdin give no session. Its end (EOF) closes the
//! session, not the phone. A reader thread, not the runtime's blocking pool, reads stdin,
//! so a read in progress never holds up the process's exit.

pub mod telnet;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// At most this many TCP sessions at once; more are told so and closed.
pub const MAX_TCP_SESSIONS: usize = 8;

/// A console session's number (unique in the process).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub u64);

/// Where a session comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The process's stdin (and stdout); `terminal` when stdin is a terminal.
    Stdin {
        /// Stdin is a terminal (a person types): prompts are shown.
        terminal: bool,
    },
    /// A TCP (telnet) client at this address.
    Tcp(SocketAddr),
}

/// What the console edge hands the phone's task.
#[derive(Debug)]
pub enum ConsoleInput {
    /// A session began; write to it through `writer`.
    Opened {
        /// The session.
        id: SessionId,
        /// Where it comes from.
        origin: Origin,
        /// Its output.
        writer: SessionWriter,
    },
    /// A line was typed (without its line end).
    Line {
        /// The session.
        id: SessionId,
        /// The line.
        text: String,
    },
    /// The session ended (the client went away, stdin ended, or it was closed).
    Closed {
        /// The session.
        id: SessionId,
    },
}

/// What the phone's task writes to a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleOutput {
    /// Text; `\n` becomes CR LF on a telnet session.
    Text(String),
    /// The client should stop echoing what is typed (before a password); telnet only.
    EchoOff,
    /// The client should echo again; telnet only.
    EchoOn,
    /// End the session once everything before has been written.
    Close,
}

/// A session's output.
#[derive(Debug, Clone)]
pub struct SessionWriter {
    tx: mpsc::UnboundedSender<ConsoleOutput>,
}

impl SessionWriter {
    /// Queues `out`; false when the session is gone.
    pub fn send(&self, out: ConsoleOutput) -> bool {
        self.tx.send(out).is_ok()
    }

    /// Queues text.
    pub fn text(&self, text: impl Into<String>) -> bool {
        self.send(ConsoleOutput::Text(text.into()))
    }
}

/// Hands out session numbers and carries what sessions say to the phone's task.
#[derive(Debug, Clone)]
pub struct ConsoleFeed {
    tx: mpsc::UnboundedSender<ConsoleInput>,
    next: Arc<AtomicU64>,
}

impl ConsoleFeed {
    /// A feed and the receiver the phone's task reads.
    pub fn new() -> (Self, mpsc::UnboundedReceiver<ConsoleInput>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx, next: Arc::new(AtomicU64::new(1)) }, rx)
    }

    /// Opens a session from `origin` (the phone's task hears of it first): its number and
    /// what the phone writes to it.
    pub fn open(&self, origin: Origin) -> (SessionId, mpsc::UnboundedReceiver<ConsoleOutput>) {
        let id = SessionId(self.next.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = mpsc::unbounded_channel();
        let _ = self.tx.send(ConsoleInput::Opened { id, origin, writer: SessionWriter { tx } });
        (id, rx)
    }

    fn line(&self, id: SessionId, text: String) -> bool {
        self.tx.send(ConsoleInput::Line { id, text }).is_ok()
    }

    fn closed(&self, id: SessionId) {
        let _ = self.tx.send(ConsoleInput::Closed { id });
    }
}

/// The telnet listener; stops accepting when dropped (sessions already open go on).
#[derive(Debug)]
pub struct TcpConsole {
    local: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl TcpConsole {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }
}

impl Drop for TcpConsole {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Listens on TCP `addr` (port 0: any free port) and serves every client as a session of
/// `feed`. Must run inside a tokio runtime.
pub async fn listen_tcp(addr: SocketAddr, feed: ConsoleFeed) -> std::io::Result<TcpConsole> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let open = Arc::new(AtomicUsize::new(0));
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut stream, peer)) = listener.accept().await else {
                // Out of descriptors and the like: wait a little rather than spin.
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            };
            if open.load(Ordering::Relaxed) >= MAX_TCP_SESSIONS {
                let _ = stream.write_all(b"Too many console sessions\r\n").await;
                continue;
            }
            open.fetch_add(1, Ordering::Relaxed);
            let (feed, open) = (feed.clone(), open.clone());
            tokio::spawn(async move {
                serve_tcp(stream, peer, &feed).await;
                open.fetch_sub(1, Ordering::Relaxed);
            });
        }
    });
    Ok(TcpConsole { local, task })
}

/// One telnet session: lines in, text out, until either side ends it.
async fn serve_tcp(stream: TcpStream, peer: SocketAddr, feed: &ConsoleFeed) {
    let _ = stream.set_nodelay(true);
    let (id, mut outputs) = feed.open(Origin::Tcp(peer));
    let (mut reader, mut writer) = stream.into_split();
    let mut decoder = telnet::LineDecoder::new();
    let mut buf = [0u8; 1024];
    loop {
        tokio::select! {
            read = reader.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let lines = decoder.feed(buf.get(..n).unwrap_or_default());
                    if !lines.into_iter().all(|line| feed.line(id, line)) {
                        break;
                    }
                }
            },
            out = outputs.recv() => {
                let bytes = match out {
                    None | Some(ConsoleOutput::Close) => break,
                    Some(ConsoleOutput::Text(text)) => telnet::to_wire(&text),
                    Some(ConsoleOutput::EchoOff) => telnet::WILL_ECHO.to_vec(),
                    Some(ConsoleOutput::EchoOn) => telnet::WONT_ECHO.to_vec(),
                };
                if writer.write_all(&bytes).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = writer.shutdown().await;
    feed.closed(id);
}

/// Opens the stdin session when stdin is something a person or a script types into (see
/// the module docs); returns its origin, or `None` when stdin is not read. Output goes to
/// stdout.
pub fn stdin_console(feed: &ConsoleFeed) -> Option<Origin> {
    let terminal = stdin_kind()?;
    let origin = Origin::Stdin { terminal };
    let (id, mut outputs) = feed.open(origin);
    let reader = feed.clone();
    let spawned = std::thread::Builder::new().name("console-stdin".into()).spawn(move || {
        use std::io::BufRead;
        let mut stdin = std::io::stdin().lock();
        let mut line = Vec::new();
        loop {
            line.clear();
            match stdin.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let text = String::from_utf8_lossy(&line);
                    if !reader.line(id, text.trim_end_matches(['\n', '\r']).to_owned()) {
                        return;
                    }
                }
            }
        }
        reader.closed(id);
    });
    if spawned.is_err() {
        feed.closed(id);
        return None;
    }
    // Writing to stdout may block (a full pipe): a thread of its own, not the phone's task.
    let _ = std::thread::Builder::new().name("console-stdout".into()).spawn(move || {
        use std::io::Write;
        while let Some(out) = outputs.blocking_recv() {
            match out {
                ConsoleOutput::Text(text) => {
                    let mut stdout = std::io::stdout().lock();
                    if stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).is_err() {
                        break;
                    }
                }
                ConsoleOutput::Close => break,
                ConsoleOutput::EchoOff | ConsoleOutput::EchoOn => {}
            }
        }
    });
    Some(origin)
}

/// `Some(is_terminal)` when stdin should be read.
fn stdin_kind() -> Option<bool> {
    use std::io::IsTerminal;
    use std::os::fd::AsFd;
    use std::os::unix::fs::FileTypeExt;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return foreground_of_terminal().then_some(true);
    }
    // A closed stdin cannot be duplicated; /dev/null is a character device.
    let fd = stdin.as_fd().try_clone_to_owned().ok()?;
    let kind = std::fs::File::from(fd).metadata().ok()?.file_type();
    (kind.is_fifo() || kind.is_socket() || kind.is_file()).then_some(false)
}

/// Whether this process is the foreground job of the terminal on stdin.
fn foreground_of_terminal() -> bool {
    // SAFETY: both calls only read the process's and the terminal's state; fd 0 is valid
    // for the duration (checked as a terminal just before) and a bad one returns -1.
    let (terminal_group, own_group) = unsafe { (libc::tcgetpgrp(0), libc::getpgrp()) };
    terminal_group == own_group
}
