//! The TFTP client on simulated time over a simulated network (sans-IO): loss, duplication
//! and reordering each way, a silent server, a server that stops, strangers. A small
//! scripted server (RFC 1350's sending side: resend the DATA after a timeout, never on a
//! repeated ACK) stands in for a real one. Nothing touches a socket.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sip7940::tftp::packet::{BLOCK_SIZE, ErrorCode, Packet};
use sip7940::tftp::{Download, Options, TftpError};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const CLIENT: &str = "10.0.0.3:40000";
const SERVER: &str = "192.0.2.9:69";
const TID: &str = "192.0.2.9:50123";

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("address")
}

/// A file of `len` bytes that shows any misplaced block.
fn file(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ (i / 512) as u8).collect()
}

/// The sending side of one transfer, on its own transfer ID.
struct Server {
    file: Vec<u8>,
    /// The block in flight (0: no request yet).
    block: u16,
    sent: u32,
    deadline: Option<Instant>,
    done: bool,
    /// Whether it answers at all, and the last block it sends before going quiet.
    silent: bool,
    stop_after: Option<u16>,
    /// ACKs to drop on arrival (block numbers), once each.
    lose_acks: Vec<u16>,
}

impl Server {
    fn new(file: Vec<u8>) -> Self {
        Server {
            file,
            block: 0,
            sent: 0,
            deadline: None,
            done: false,
            silent: false,
            stop_after: None,
            lose_acks: vec![],
        }
    }

    fn data(&self) -> Vec<u8> {
        let start = (usize::from(self.block) - 1) * BLOCK_SIZE;
        let end = (start + BLOCK_SIZE).min(self.file.len());
        Packet::Data { block: self.block, payload: self.file.get(start..end).unwrap_or_default() }.to_bytes()
    }

    fn last_block(&self) -> u16 {
        u16::try_from(self.file.len() / BLOCK_SIZE + 1).expect("small file")
    }

    /// A datagram for the server; returns what it sends back.
    fn receive(&mut self, now: Instant, bytes: &[u8]) -> Vec<Vec<u8>> {
        if self.silent || self.done {
            return vec![];
        }
        match Packet::parse(bytes) {
            Ok(Packet::ReadRequest { .. }) if self.block == 0 => self.send_block(now, 1),
            // A repeated request (our DATA 1 was lost, or is late): resend block 1.
            Ok(Packet::ReadRequest { .. }) if self.block == 1 => vec![self.data()],
            Ok(Packet::Ack { block }) if block == self.block => {
                if let Some(i) = self.lose_acks.iter().position(|b| *b == block) {
                    self.lose_acks.remove(i);
                    return vec![];
                }
                if block == self.last_block() {
                    self.done = true;
                    self.deadline = None;
                    return vec![];
                }
                if self.stop_after == Some(block) {
                    self.silent = true;
                    return vec![];
                }
                self.send_block(now, block + 1)
            }
            _ => vec![],
        }
    }

    fn send_block(&mut self, now: Instant, block: u16) -> Vec<Vec<u8>> {
        self.block = block;
        self.sent = 1;
        self.deadline = Some(now + Duration::from_secs(1));
        vec![self.data()]
    }

    fn timeout(&mut self, now: Instant) -> Vec<Vec<u8>> {
        match self.deadline {
            Some(at) if at <= now && !self.silent && !self.done => {
                if self.sent >= 5 {
                    self.deadline = None;
                    return vec![];
                }
                self.sent += 1;
                self.deadline = Some(now + Duration::from_secs(1));
                vec![self.data()]
            }
            Some(at) if at <= now => {
                self.deadline = None;
                vec![]
            }
            _ => vec![],
        }
    }
}

/// The link: each datagram is lost, duplicated and delayed (20–80 ms, so they overtake
/// each other) at random.
struct Link {
    rng: StdRng,
    loss: f64,
    duplicate: f64,
    /// (arrival, sequence) → (from, to, bytes)
    in_flight: BTreeMap<(Instant, u64), (SocketAddr, SocketAddr, Vec<u8>)>,
    seq: u64,
}

impl Link {
    fn send(&mut self, now: Instant, from: SocketAddr, to: SocketAddr, bytes: Vec<u8>) {
        let copies = if self.rng.random_bool(self.duplicate) { 2 } else { 1 };
        for _ in 0..copies {
            if self.rng.random_bool(self.loss) {
                continue;
            }
            let delay = Duration::from_millis(self.rng.random_range(20..80));
            self.seq += 1;
            self.in_flight.insert((now + delay, self.seq), (from, to, bytes.clone()));
        }
    }
}

struct Outcome {
    result: Result<Vec<u8>, TftpError>,
    elapsed: Duration,
    /// Every destination the client sent to.
    destinations: Vec<SocketAddr>,
    requests: usize,
}

/// Runs one download against `server` over a link with `loss` and `duplicate` rates.
fn run(seed: u64, loss: f64, duplicate: f64, mut server: Server, strangers: bool) -> Outcome {
    let t0 = Instant::now();
    let mut link =
        Link { rng: StdRng::seed_from_u64(seed), loss, duplicate, in_flight: BTreeMap::new(), seq: 0 };
    let mut d = Download::new(t0, addr(SERVER), "SIP000C30A97025.cnf", Options::default()).expect("download");
    let mut destinations = vec![];
    let mut requests = 0;
    let mut now = t0;
    if strangers {
        // Someone else races the server with a forged first block.
        let forged = Packet::Data { block: 1, payload: b"proxy1_address: evil\n" }.to_bytes();
        link.in_flight
            .insert((t0 + Duration::from_millis(1), 0), (addr("198.51.100.66:69"), addr(CLIENT), forged));
    }
    for _ in 0..100_000 {
        while let Some(t) = d.poll_transmit() {
            destinations.push(t.to);
            if t.to == addr(SERVER) {
                requests += 1;
            }
            link.send(now, addr(CLIENT), t.to, t.bytes);
        }
        if d.is_finished() {
            break;
        }
        let next_packet = link.in_flight.keys().next().map(|(at, _)| *at);
        let next = [next_packet, d.poll_timeout(), server.deadline].into_iter().flatten().min();
        let Some(at) = next else { break };
        now = now.max(at);
        if next_packet == Some(at) {
            let Some((_, (from, to, bytes))) = link.in_flight.pop_first() else { break };
            if to == addr(CLIENT) {
                d.handle_datagram(now, from, &bytes);
            } else if to.ip() == addr(SERVER).ip() {
                for reply in server.receive(now, &bytes) {
                    link.send(now, addr(TID), addr(CLIENT), reply);
                }
            }
        } else {
            d.handle_timeout(now);
            for reply in server.timeout(now) {
                link.send(now, addr(TID), addr(CLIENT), reply);
            }
        }
    }
    let elapsed = now - t0;
    Outcome { result: d.into_result().expect("finished"), elapsed, destinations, requests }
}

#[test]
fn a_clean_link_gives_the_file_at_once() {
    for len in [0, 1, 511, 512, 513, 1024, 5000] {
        let o = run(1, 0.0, 0.0, Server::new(file(len)), false);
        assert_eq!(o.result, Ok(file(len)), "{len} bytes");
        assert!(o.elapsed < Duration::from_secs(1), "{len} bytes took {:?}", o.elapsed);
        assert_eq!(o.requests, 1);
    }
}

#[test]
fn loss_duplication_and_reordering_never_corrupt_the_file() {
    let want = file(20_000); // 40 blocks
    let mut complete = 0;
    for seed in 0..200 {
        let o = run(seed, 0.15, 0.15, Server::new(want.clone()), false);
        assert!(o.destinations.iter().all(|d| d.ip() == addr(SERVER).ip()), "seed {seed}: sent elsewhere");
        match o.result {
            Ok(bytes) => {
                assert_eq!(bytes, want, "seed {seed}: the file differs");
                complete += 1;
            }
            // Five packets in a row lost on one side: the client may give up, with a reason.
            Err(TftpError::NoAnswer { .. } | TftpError::Stalled { .. }) => {}
            Err(e) => panic!("seed {seed}: {e}"),
        }
    }
    assert!(complete >= 190, "only {complete} of 200 transfers completed at 15 % loss");
}

#[test]
fn every_packet_twice_is_appended_once() {
    let want = file(3000);
    for seed in 0..20 {
        let o = run(seed, 0.0, 1.0, Server::new(want.clone()), false);
        assert_eq!(o.result, Ok(want.clone()), "seed {seed}");
    }
}

#[test]
fn a_lost_ack_brings_the_same_data_again_and_it_is_acknowledged_again() {
    let want = file(1500);
    let mut server = Server::new(want.clone());
    server.lose_acks = vec![2, 2];
    let o = run(1, 0.0, 0.0, server, false);
    assert_eq!(o.result, Ok(want));
    // A timeout (1 s, the server's or ours) per lost ACK at most.
    assert!(o.elapsed >= Duration::from_secs(1) && o.elapsed < Duration::from_secs(3), "{:?}", o.elapsed);
}

#[test]
fn a_silent_server_times_out_after_five_requests_in_five_seconds() {
    let mut server = Server::new(file(100));
    server.silent = true;
    let o = run(1, 0.0, 0.0, server, false);
    assert_eq!(o.requests, 5);
    assert_eq!(o.elapsed, Duration::from_secs(5));
    let err = o.result.expect_err("no answer");
    assert_eq!(err, TftpError::NoAnswer { tries: 5, waited: Duration::from_secs(5) });
    assert_eq!(err.to_string(), "no answer after 5 tries in 5.0 s (is a TFTP server listening there?)");
}

#[test]
fn a_server_that_stops_mid_file_is_reported() {
    let mut server = Server::new(file(3000));
    server.stop_after = Some(3);
    let o = run(1, 0.0, 0.0, server, false);
    assert_eq!(o.result, Err(TftpError::Stalled { block: 3, tries: 5 }));
}

#[test]
fn a_stranger_cannot_inject_a_block_and_gets_no_answer() {
    let want = file(700);
    let o = run(3, 0.0, 0.0, Server::new(want.clone()), true);
    assert_eq!(o.result, Ok(want));
    assert!(o.destinations.iter().all(|d| d.ip() == addr(SERVER).ip()));
}

#[test]
fn an_error_packet_is_the_servers_words() {
    let t0 = Instant::now();
    let mut d = Download::new(t0, addr(SERVER), "SIP000C30A97025.cnf", Options::default()).expect("download");
    let _ = d.poll_transmit();
    let error = Packet::Error { code: ErrorCode::AccessViolation, message: b"Permission denied" }.to_bytes();
    d.handle_datagram(t0, addr(TID), &error);
    let err = d.into_result().expect("finished").expect_err("error");
    assert_eq!(err.to_string(), "Permission denied");
    assert!(!err.is_not_found());
    assert!(matches!(err, TftpError::Server { code: ErrorCode::AccessViolation, .. }));
}

#[test]
fn random_datagrams_never_panic_or_end_the_transfer_wrongly() {
    let mut rng = StdRng::seed_from_u64(7);
    let t0 = Instant::now();
    let mut d = Download::new(t0, addr(SERVER), "f", Options::default()).expect("download");
    for _ in 0..5000 {
        let len = rng.random_range(0..600);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        // Mostly DATA with a wrong block, or garbage.
        if let Some(op) = bytes.get_mut(1) {
            *op %= 8;
        }
        if let Some(first) = bytes.first_mut() {
            *first = 0;
        }
        if matches!(Packet::parse(&bytes), Ok(Packet::Data { block: 1, .. } | Packet::Error { .. })) {
            continue;
        }
        d.handle_datagram(t0, addr(TID), &bytes);
        assert!(!d.is_finished(), "{bytes:?}");
    }
}
