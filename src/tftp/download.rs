//! One file read from a TFTP server (RFC 1350), as a sans-IO state machine: the io edge
//! feeds it datagrams and timeouts with the time they happened and sends what
//! [`Download::poll_transmit`] hands out.
//!
//! Rules it keeps:
//! - everything it sends goes to the server's address: the request to the server's port,
//!   the rest to the port the server answered from (its transfer ID); datagrams from any
//!   other address are ignored without an answer;
//! - the first DATA fixes the server's transfer ID; a datagram from another port of the
//!   server gets ERROR 5 (Unknown transfer ID) and changes nothing (RFC 1350 §4);
//! - a lost ACK shows as the same DATA again: it is acknowledged again and not appended
//!   twice; a lost DATA or ACK shows as silence: the last packet is sent again after
//!   [`Options::timeout`], at most [`Options::tries`] times in all;
//! - an ERROR ends the transfer with the server's code and words;
//! - a file past [`Options::max_size`] is refused (ERROR 3 to the server).
//!
//! The final ACK is not repeated after the transfer ends ("dallying"): if it is lost the
//! server times out on its side, and the file is complete on ours.

use super::packet::{self, BLOCK_SIZE, ErrorCode, NameError, Packet};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use thiserror::Error;

/// Timeouts, retries and the size cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// How long to wait for the next packet before sending the last one again.
    pub timeout: Duration,
    /// How many times a packet is sent in all (the first time included) before giving up.
    pub tries: u32,
    /// The largest file accepted, in bytes.
    pub max_size: usize,
}

impl Default for Options {
    /// 1 s, 5 tries, 1 MiB: a config file is a few kB.
    fn default() -> Self {
        Self { timeout: Duration::from_secs(1), tries: 5, max_size: 1 << 20 }
    }
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where (always the server's address).
    pub to: SocketAddr,
    /// The packet.
    pub bytes: Vec<u8>,
}

/// Why a download failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TftpError {
    /// The file name cannot be put in a request.
    #[error("{0}")]
    Name(#[from] NameError),
    /// The server never answered the request.
    #[error("no answer after {tries} tries in {:.1} s (is a TFTP server listening there?)", waited.as_secs_f64())]
    NoAnswer {
        /// Requests sent.
        tries: u32,
        /// From the first request to giving up.
        waited: Duration,
    },
    /// The server stopped sending in the middle of the file.
    #[error("the server stopped sending after block {block} ({tries} tries)")]
    Stalled {
        /// The last block received.
        block: u16,
        /// ACKs sent for it.
        tries: u32,
    },
    /// The server sent an ERROR packet.
    #[error("{message}")]
    Server {
        /// Its code.
        code: ErrorCode,
        /// Its words (or the code's standard text).
        message: String,
    },
    /// The file is larger than [`Options::max_size`].
    #[error("the file is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
}

impl TftpError {
    /// Whether the server said the file is not there (ERROR 1).
    pub fn is_not_found(&self) -> bool {
        matches!(self, TftpError::Server { code: ErrorCode::FileNotFound, .. })
    }
}

#[derive(Debug)]
enum State {
    /// The request is out; no DATA yet.
    Requesting,
    /// Blocks are coming from the server's transfer ID.
    Receiving { tid: SocketAddr },
    /// Over.
    Finished(Result<Vec<u8>, TftpError>),
}

/// One file being read.
#[derive(Debug)]
pub struct Download {
    server: SocketAddr,
    options: Options,
    state: State,
    /// The file so far.
    data: Vec<u8>,
    /// The last block appended (0 before the first).
    block: u16,
    /// The last packet sent (request or ACK), and where, for retransmission.
    last: Transmit,
    /// How many times `last` has been sent.
    sent: u32,
    /// When to send `last` again (or give up).
    deadline: Instant,
    started: Instant,
    out: VecDeque<Transmit>,
}

impl Download {
    /// Starts reading `filename` from `server` (its request port, normally 69): the read
    /// request is the first [`poll_transmit`](Self::poll_transmit).
    pub fn new(
        now: Instant,
        server: SocketAddr,
        filename: &str,
        options: Options,
    ) -> Result<Self, TftpError> {
        let request = Transmit { to: server, bytes: packet::read_request(filename)? };
        let options = Options { tries: options.tries.max(1), ..options };
        Ok(Self {
            server,
            options,
            state: State::Requesting,
            data: Vec::new(),
            block: 0,
            out: VecDeque::from([request.clone()]),
            last: request,
            sent: 1,
            deadline: now + options.timeout,
            started: now,
        })
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) is due; `None` once finished.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Finished(_) => None,
            _ => Some(self.deadline),
        }
    }

    /// Whether the transfer is over (see [`result`](Self::result)).
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Finished(_))
    }

    /// The file, or why there is none; `None` while the transfer runs.
    pub fn result(&self) -> Option<&Result<Vec<u8>, TftpError>> {
        match &self.state {
            State::Finished(result) => Some(result),
            _ => None,
        }
    }

    /// Takes the outcome; `None` while the transfer runs.
    pub fn into_result(self) -> Option<Result<Vec<u8>, TftpError>> {
        match self.state {
            State::Finished(result) => Some(result),
            _ => None,
        }
    }

    /// How many bytes have arrived so far.
    pub fn received(&self) -> usize {
        self.data.len()
    }

    /// A datagram arrived from `from`.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        if from.ip() != self.server.ip() {
            return;
        }
        let tid = match self.state {
            State::Finished(_) => return,
            State::Requesting => None,
            State::Receiving { tid } => Some(tid),
        };
        if tid.is_some_and(|tid| tid != from) {
            let error = Packet::Error { code: ErrorCode::UnknownTransferId, message: b"Unknown transfer ID" };
            self.out.push_back(Transmit { to: from, bytes: error.to_bytes() });
            return;
        }
        let Ok(packet) = Packet::parse(bytes) else { return };
        match packet {
            Packet::Error { code, message } => {
                let message = packet::error_text(code, message);
                self.finish(Err(TftpError::Server { code, message }));
            }
            Packet::Data { block, payload } if block == self.block.wrapping_add(1) => {
                self.accept(now, from, payload);
            }
            // Our ACK of this block was lost: acknowledge it again.
            Packet::Data { block, .. } if tid.is_some() && block == self.block => {
                self.out.push_back(self.last.clone());
            }
            _ => {}
        }
    }

    /// Appends the next block, acknowledges it, and ends the transfer on a short one.
    fn accept(&mut self, now: Instant, from: SocketAddr, payload: &[u8]) {
        if self.data.len() + payload.len() > self.options.max_size {
            let limit = self.options.max_size;
            let message = format!("file larger than {limit} bytes");
            let error = Packet::Error { code: ErrorCode::DiskFull, message: message.as_bytes() };
            self.out.push_back(Transmit { to: from, bytes: error.to_bytes() });
            self.finish(Err(TftpError::TooLarge { limit }));
            return;
        }
        self.state = State::Receiving { tid: from };
        self.block = self.block.wrapping_add(1);
        self.data.extend_from_slice(payload);
        self.last = Transmit { to: from, bytes: Packet::Ack { block: self.block }.to_bytes() };
        self.out.push_back(self.last.clone());
        self.sent = 1;
        self.deadline = now + self.options.timeout;
        if payload.len() < BLOCK_SIZE {
            let data = std::mem::take(&mut self.data);
            self.finish(Ok(data));
        }
    }

    /// Time has passed: send the last packet again, or give up after the last try.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.is_finished() || now < self.deadline {
            return;
        }
        if self.sent >= self.options.tries {
            let error = match self.state {
                State::Requesting => TftpError::NoAnswer {
                    tries: self.sent,
                    waited: now.saturating_duration_since(self.started),
                },
                _ => TftpError::Stalled { block: self.block, tries: self.sent },
            };
            self.finish(Err(error));
            return;
        }
        self.sent += 1;
        self.out.push_back(self.last.clone());
        self.deadline = now + self.options.timeout;
    }

    fn finish(&mut self, result: Result<Vec<u8>, TftpError>) {
        self.state = State::Finished(result);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> SocketAddr {
        "192.0.2.9:69".parse().unwrap()
    }

    fn tid() -> SocketAddr {
        "192.0.2.9:40001".parse().unwrap()
    }

    fn data(block: u16, payload: &[u8]) -> Vec<u8> {
        Packet::Data { block, payload }.to_bytes()
    }

    fn sent(d: &mut Download) -> Vec<Transmit> {
        std::iter::from_fn(|| d.poll_transmit()).collect()
    }

    #[test]
    fn a_short_file_in_one_block() {
        let t0 = Instant::now();
        let mut d = Download::new(t0, server(), "SIPDefault.cnf", Options::default()).unwrap();
        assert_eq!(
            sent(&mut d),
            vec![Transmit { to: server(), bytes: b"\0\x01SIPDefault.cnf\0octet\0".to_vec() }]
        );
        d.handle_datagram(t0, tid(), &data(1, b"proxy1_address: x\n"));
        assert_eq!(sent(&mut d), vec![Transmit { to: tid(), bytes: vec![0, 4, 0, 1] }]);
        assert_eq!(d.result(), Some(&Ok(b"proxy1_address: x\n".to_vec())));
        assert_eq!(d.poll_timeout(), None);
    }

    #[test]
    fn exactly_512_bytes_ends_with_an_empty_block() {
        let t0 = Instant::now();
        let mut d = Download::new(t0, server(), "f", Options::default()).unwrap();
        d.handle_datagram(t0, tid(), &data(1, &[b'a'; 512]));
        assert!(!d.is_finished());
        d.handle_datagram(t0, tid(), &data(2, b""));
        assert_eq!(d.into_result(), Some(Ok(vec![b'a'; 512])));
    }

    #[test]
    fn strangers_are_ignored_and_other_ports_of_the_server_get_error_5() {
        let t0 = Instant::now();
        let mut d = Download::new(t0, server(), "f", Options::default()).unwrap();
        sent(&mut d);
        d.handle_datagram(t0, "198.51.100.1:40001".parse().unwrap(), &data(1, b"evil"));
        assert!(sent(&mut d).is_empty(), "nothing is sent to another host");
        d.handle_datagram(t0, tid(), &data(1, &[b'x'; 512]));
        sent(&mut d);
        let other: SocketAddr = "192.0.2.9:40002".parse().unwrap();
        d.handle_datagram(t0, other, &data(2, b"other"));
        let out = sent(&mut d);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].to, other);
        assert_eq!(
            Packet::parse(&out[0].bytes)
                .map(|p| matches!(p, Packet::Error { code: ErrorCode::UnknownTransferId, .. })),
            Ok(true)
        );
        d.handle_datagram(t0, tid(), &data(2, b"end"));
        let mut want = vec![b'x'; 512];
        want.extend(b"end");
        assert_eq!(d.into_result(), Some(Ok(want)));
    }

    #[test]
    fn an_error_packet_ends_the_transfer() {
        let t0 = Instant::now();
        let mut d = Download::new(t0, server(), "SIP000C30A97025.cnf", Options::default()).unwrap();
        let e = Packet::Error { code: ErrorCode::FileNotFound, message: b"File not found" }.to_bytes();
        d.handle_datagram(t0, tid(), &e);
        let result = d.into_result().unwrap();
        assert!(result.as_ref().is_err_and(TftpError::is_not_found));
        assert_eq!(result.unwrap_err().to_string(), "File not found");
    }

    #[test]
    fn the_size_cap_refuses_a_large_file() {
        let t0 = Instant::now();
        let options = Options { max_size: 1000, ..Options::default() };
        let mut d = Download::new(t0, server(), "big", options).unwrap();
        d.handle_datagram(t0, tid(), &data(1, &[0; 512]));
        d.handle_datagram(t0, tid(), &data(2, &[0; 512]));
        let out = sent(&mut d);
        let last = out.last().unwrap();
        assert_eq!(last.to, tid());
        assert!(matches!(Packet::parse(&last.bytes), Ok(Packet::Error { code: ErrorCode::DiskFull, .. })));
        assert_eq!(d.into_result(), Some(Err(TftpError::TooLarge { limit: 1000 })));
    }
}
