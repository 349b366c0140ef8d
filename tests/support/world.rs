//! A simulated world for multi-phone scenario tests: N [`Phone`]s, the demo registrar and
//! proxy ([`sip7940::registrar`]) and a network with per-link loss, delay and jitter, all
//! on simulated time. Nothing touches a socket; a seed fixes every random choice, so every
//! run is deterministic and takes milliseconds.
//!
//! ```text
//!   phone 0  192.0.2.11:5060 (12345) ─┐                          ┌─ loss %, delay + jitter
//!   phone 1  192.0.2.12:5060 (23456) ─┼── links ──▶ registrar ◀──┤  per directed link
//!   phone 2  192.0.2.13:5060 (34567) ─┘             198.51.100.5 └─ drop rules (drop_next)
//!
//!   step: the earliest of {packets in flight, every poll_timeout} ─▶ deliver / fire ─▶ drain
//! ```
//! Every datagram sent is logged as a [`Wire`] with its fate (delivered when, lost, dropped
//! by a rule), and every phone event with its time, for the tests to assert on. Links,
//! the log and [`Filter`]s are in `network.rs`.
//! All addresses are documentation addresses and exist only inside this simulation.

#![allow(dead_code)]

#[path = "network.rs"]
mod network;

pub use network::{Fate, Filter, Link, What, Wire};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sip7940::config::{Host, PhoneConfig, Secret};
use sip7940::registrar::{self, Registrar};
use sip7940::sdp::Media;
use sip7940::ua::call::{CallId, CallState};
use sip7940::ua::registration::RegState;
use sip7940::ua::transfer::TransferProgress;
use sip7940::ua::{Event, Output, Phone, Setup};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

/// The registrar/proxy.
pub const REGISTRAR: &str = "198.51.100.5:5060";
/// The users the registrar knows, with their passwords; phone `i` is user `i`.
pub const USERS: [(&str, &str); 4] =
    [("12345", "secret"), ("23456", "secret2"), ("34567", "secret3"), ("45678", "secret4")];
/// How many steps one instant may take before the world calls it a livelock.
const MAX_STEPS_AT_ONE_INSTANT: usize = 10_000;

/// The registrar's address.
pub fn registrar_addr() -> SocketAddr {
    REGISTRAR.parse().expect("registrar address")
}

/// Phone `i`'s SIP address.
pub fn phone_addr(i: usize) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(phone_ip(i)), 5060)
}

fn phone_ip(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(192, 0, 2, u8::try_from(11 + i).expect("a few phones"))
}

/// The RTP port phone `i` offers.
pub fn rtp_port(i: usize) -> u16 {
    20000 + 2 * u16::try_from(i).expect("a few phones")
}

/// The configuration of phone `i`: line 1 is user `i`, the registrar is its proxy (as an IP
/// literal), `my_ip_addr` is its address.
pub fn phone_config(i: usize) -> PhoneConfig {
    let (user, password) = USERS[i];
    let mut c = PhoneConfig::default();
    c.proxies[0].address = Some(Host::parse("198.51.100.5").expect("host"));
    c.registration.proxy_register = true;
    c.lines[0].name = user.into();
    c.lines[0].authname = user.into();
    c.lines[0].password = Secret::new(password);
    c.network.my_ip_addr = Some(phone_ip(i));
    c
}

/// A phone in the world.
struct Station {
    phone: Phone,
    addr: SocketAddr,
    events: Vec<(Duration, Event)>,
}

struct InFlight {
    at: Instant,
    seq: usize,
}

/// The whole world.
pub struct World {
    now: Instant,
    t0: Instant,
    registrar: Registrar,
    registrar_events: Vec<(Duration, registrar::Event)>,
    stations: Vec<Station>,
    default_link: Link,
    links: Vec<((SocketAddr, SocketAddr), Link)>,
    rules: Vec<(Filter, usize)>,
    net_rng: StdRng,
    seed: u64,
    /// Indexes into `wire` of the datagrams in flight.
    in_flight: Vec<InFlight>,
    wire: Vec<Wire>,
}

impl World {
    /// A world with the registrar and no phones; `seed` fixes everything random.
    pub fn new(seed: u64) -> World {
        let t0 = Instant::now();
        let config = registrar::Config::new(registrar_addr(), USERS);
        World {
            now: t0,
            t0,
            registrar: Registrar::new(config, StdRng::seed_from_u64(seed), t0),
            registrar_events: Vec::new(),
            stations: Vec::new(),
            default_link: Link::default(),
            links: Vec::new(),
            rules: Vec::new(),
            net_rng: StdRng::seed_from_u64(seed ^ 0x5eed_7940),
            seed,
            in_flight: Vec::new(),
            wire: Vec::new(),
        }
    }

    /// A world with phones 0 and 1 (users 12345 and 23456) in their default configuration.
    pub fn two_phones(seed: u64) -> World {
        let mut w = World::new(seed);
        w.add_phone(phone_config(0));
        w.add_phone(phone_config(1));
        w
    }

    /// Adds the next phone (index `i` = how many there were) with `config`, at
    /// [`phone_addr`]`(i)`; returns `i`.
    pub fn add_phone(&mut self, config: PhoneConfig) -> usize {
        let i = self.stations.len();
        let addr = phone_addr(i);
        let setup = Setup {
            local: addr,
            seed: self.seed.wrapping_mul(31).wrapping_add(i as u64),
            mac: format!("000C30A970{i:02X}").parse().ok(),
            my_ip: Some(addr.ip()),
            epoch: self.t0,
            unix_at_epoch: 1_795_505_393,
        };
        self.stations.push(Station { phone: Phone::new(config, setup), addr, events: Vec::new() });
        i
    }

    // ---- the network ----

    /// Sets every link without a link of its own.
    pub fn set_default_link(&mut self, link: Link) {
        self.default_link = link;
    }

    /// Sets the link from `from` to `to` (one direction).
    pub fn set_link(&mut self, from: SocketAddr, to: SocketAddr, link: Link) {
        self.links.retain(|(k, _)| *k != (from, to));
        self.links.push(((from, to), link));
    }

    fn link(&self, from: SocketAddr, to: SocketAddr) -> Link {
        self.links.iter().find(|(k, _)| *k == (from, to)).map_or(self.default_link, |(_, l)| *l)
    }

    /// Drops the next `count` datagrams that match `filter` (when they are sent).
    pub fn drop_next(&mut self, filter: Filter, count: usize) {
        self.rules.push((filter, count));
    }

    fn send(&mut self, from: SocketAddr, to: SocketAddr, bytes: Vec<u8>) {
        let mut wire =
            Wire { sent: self.elapsed(), from, to, what: What::of(&bytes), bytes, fate: Fate::InFlight };
        let link = self.link(from, to);
        let rule = self.rules.iter_mut().find(|(f, n)| *n > 0 && f.matches(&wire));
        if let Some((_, n)) = rule {
            *n -= 1;
            wire.fate = Fate::Dropped;
        } else if self.net_rng.next_u64() % 100 < u64::from(link.loss_percent) {
            wire.fate = Fate::Lost;
        } else {
            let jitter_ns = u64::try_from(link.jitter.as_nanos()).unwrap_or(u64::MAX);
            let extra = if jitter_ns == 0 { 0 } else { self.net_rng.next_u64() % (jitter_ns + 1) };
            let at = self.now + link.delay + Duration::from_nanos(extra);
            self.in_flight.push(InFlight { at, seq: self.wire.len() });
        }
        self.wire.push(wire);
    }

    // ---- time ----

    /// Simulated now.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    /// Every phone's and the registrar's outputs, until there are none.
    fn drain(&mut self) {
        let now = self.now;
        let elapsed = self.elapsed();
        let mut sends = Vec::new();
        for s in &mut self.stations {
            while let Some(out) = s.phone.poll_output() {
                match out {
                    Output::Transmit(t) => sends.push((s.addr, t.to, t.bytes.to_vec())),
                    Output::Resolve(r) => {
                        let ip = r.host.parse::<IpAddr>().ok();
                        let to = ip.map_or_else(registrar_addr, |ip| SocketAddr::new(ip, r.port));
                        s.phone.handle_resolved(now, r.token, Ok((to, s.addr.ip())));
                    }
                    Output::Event(e) => s.events.push((elapsed, e)),
                }
            }
        }
        while let Some(t) = self.registrar.poll_output() {
            sends.push((registrar_addr(), t.to, t.bytes.to_vec()));
        }
        while let Some(e) = self.registrar.poll_event() {
            self.registrar_events.push((elapsed, e));
        }
        for (from, to, bytes) in sends {
            self.send(from, to, bytes);
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        let packets = self.in_flight.iter().map(|p| p.at);
        let phones = self.stations.iter().filter_map(|s| s.phone.poll_timeout());
        packets.chain(phones).chain(self.registrar.poll_timeout()).min()
    }

    /// Delivers what is due and fires due timers at the next deadline, if it is no later
    /// than `until`; false when nothing is due by then.
    fn step(&mut self, until: Instant) -> bool {
        self.drain();
        let Some(next) = self.next_deadline().filter(|t| *t <= until) else { return false };
        self.now = self.now.max(next);
        while let Some(i) = self.next_due() {
            let p = self.in_flight.swap_remove(i);
            self.deliver(p.seq);
            self.drain();
        }
        if self.registrar.poll_timeout().is_some_and(|t| t <= self.now) {
            self.registrar.handle_timeout(self.now);
        }
        for s in &mut self.stations {
            if s.phone.poll_timeout().is_some_and(|t| t <= self.now) {
                s.phone.handle_timeout(self.now);
            }
        }
        self.drain();
        true
    }

    /// The earliest packet due now (ties: the one sent first).
    fn next_due(&self) -> Option<usize> {
        let due = self.in_flight.iter().enumerate().filter(|(_, p)| p.at <= self.now);
        due.min_by_key(|(_, p)| (p.at, p.seq)).map(|(i, _)| i)
    }

    fn deliver(&mut self, seq: usize) {
        let elapsed = self.elapsed();
        let Some(w) = self.wire.get_mut(seq) else { return };
        let (from, to, bytes) = (w.from, w.to, w.bytes.clone());
        if to == registrar_addr() {
            w.fate = Fate::Delivered(elapsed);
            self.registrar.handle_datagram(self.now, from, &bytes);
        } else if let Some(s) = self.stations.iter_mut().find(|s| s.addr == to) {
            w.fate = Fate::Delivered(elapsed);
            s.phone.handle_datagram(self.now, from, &bytes);
        } else {
            w.fate = Fate::Unroutable;
        }
    }

    /// Runs the world for `span` of simulated time.
    pub fn run_for(&mut self, span: Duration) {
        let until = self.now + span;
        self.run_to(until, |_| false);
    }

    /// Runs until `pred` holds (checked after every step) or `max` has passed; whether it
    /// held.
    pub fn run_until(&mut self, pred: impl Fn(&World) -> bool, max: Duration) -> bool {
        let until = self.now + max;
        self.run_to(until, pred)
    }

    fn run_to(&mut self, until: Instant, pred: impl Fn(&World) -> bool) -> bool {
        let (mut last, mut same) = (self.now, 0usize);
        loop {
            if pred(self) {
                return true;
            }
            if !self.step(until) {
                self.now = self.now.max(until);
                self.drain();
                return pred(self);
            }
            same = if self.now == last { same + 1 } else { 0 };
            last = self.now;
            assert!(
                same < MAX_STEPS_AT_ONE_INSTANT,
                "livelock at {:?}: a timer that never moves on",
                self.elapsed()
            );
        }
    }

    // ---- phones ----

    /// Phone `i`.
    pub fn phone(&mut self, i: usize) -> &mut Phone {
        &mut self.stations[i].phone
    }

    /// Phone `i`, read-only.
    pub fn phone_ref(&self, i: usize) -> &Phone {
        &self.stations[i].phone
    }

    /// How many phones there are.
    pub fn phones(&self) -> usize {
        self.stations.len()
    }

    /// Phone `i`'s address.
    pub fn addr(&self, i: usize) -> SocketAddr {
        self.stations[i].addr
    }

    /// Everything phone `i` reported, with the time (since the start).
    pub fn events(&self, i: usize) -> &[(Duration, Event)] {
        &self.stations[i].events
    }

    /// Registers every phone; runs until all are registered (or `max`); whether they are.
    pub fn register_all(&mut self, max: Duration) -> bool {
        for s in &mut self.stations {
            s.phone.register_all(self.now);
        }
        self.run_until(|w| (0..w.phones()).all(|i| w.registered(i)), max)
    }

    /// Whether every line of phone `i` is registered.
    pub fn registered(&self, i: usize) -> bool {
        self.phone_ref(i).registrations(self.now).iter().all(|s| s.state == RegState::Registered)
    }

    /// Phones 0, 1, 2 (12345, 23456, 34567), phone 1 configured by `tweak`, all
    /// registered.
    pub fn three(seed: u64, tweak: impl FnOnce(&mut PhoneConfig)) -> World {
        let mut w = World::new(seed);
        w.add_phone(phone_config(0));
        let mut c1 = phone_config(1);
        tweak(&mut c1);
        w.add_phone(c1);
        w.add_phone(phone_config(2));
        assert!(w.register_all(Duration::from_secs(10)), "{}", w.trace());
        w
    }

    /// Phone `from` calls `number`; phone `to` answers; both connected.
    pub fn connect(&mut self, from: usize, number: &str, to: usize) -> (CallId, CallId) {
        let before = self.incoming(to);
        let a = self.dial(from, number);
        assert!(self.run_until(|w| w.incoming(to) != before, Duration::from_secs(5)), "{}", self.trace());
        let b = self.incoming(to).expect("rings");
        self.answer(to, b);
        let connected =
            |w: &World| w.state(from, a) == Some(CallState::Connected) && w.media(to, b).is_some();
        assert!(self.run_until(connected, Duration::from_secs(5)), "{}", self.trace());
        (a, b)
    }

    /// The transfer progress phone `i` reported, in order.
    pub fn transfer_events(&self, i: usize) -> Vec<TransferProgress> {
        self.events(i)
            .iter()
            .filter_map(|(_, e)| match e {
                Event::Transfer { progress, .. } => Some(progress.clone()),
                _ => None,
            })
            .collect()
    }

    /// Phone `i` dials `number` on line 1, offering RTP on [`rtp_port`]`(i)`.
    pub fn dial(&mut self, i: usize, number: &str) -> CallId {
        let now = self.now;
        let id = self.phone(i).dial(now, 1, number, rtp_port(i)).expect("dial");
        self.drain();
        id
    }

    /// Phone `i` answers call `id`.
    pub fn answer(&mut self, i: usize, id: CallId) {
        let now = self.now;
        self.phone(i).answer(now, id, rtp_port(i));
        self.drain();
    }

    /// Phone `i` refuses call `id` with `code`.
    pub fn reject(&mut self, i: usize, id: CallId, code: u16) {
        let now = self.now;
        self.phone(i).reject(now, id, code);
        self.drain();
    }

    /// Phone `i` hangs call `id` up.
    pub fn hangup(&mut self, i: usize, id: CallId) {
        let now = self.now;
        self.phone(i).hangup(now, id);
        self.drain();
    }

    /// Phone `i` puts call `id` on hold (re-INVITE).
    pub fn hold(&mut self, i: usize, id: CallId) {
        let now = self.now;
        assert!(self.phone(i).hold(now, id), "call {id:?} of phone {i} is not answered");
        self.drain();
    }

    /// Phone `i` takes call `id` off hold.
    pub fn resume(&mut self, i: usize, id: CallId) {
        let now = self.now;
        assert!(self.phone(i).resume(now, id), "call {id:?} of phone {i} is not answered");
        self.drain();
    }

    /// The latest call ringing in on phone `i`.
    pub fn incoming(&self, i: usize) -> Option<CallId> {
        self.events(i).iter().rev().find_map(|(_, e)| match e {
            Event::IncomingCall { id, .. } => Some(*id),
            _ => None,
        })
    }

    /// The states call `id` of phone `i` went through, in order.
    pub fn states(&self, i: usize, id: CallId) -> Vec<CallState> {
        self.events(i)
            .iter()
            .filter_map(|(_, e)| match e {
                Event::Call { id: c, state } if *c == id => Some(state.clone()),
                _ => None,
            })
            .collect()
    }

    /// The state of call `id` on phone `i` now (its last one when the phone has forgotten
    /// it, 64·T1 after its end).
    pub fn state(&self, i: usize, id: CallId) -> Option<CallState> {
        self.phone_ref(i).call_state(id).cloned().or_else(|| self.states(i, id).last().cloned())
    }

    /// When call `id` of phone `i` first reached `state` (since the start).
    pub fn when(&self, i: usize, id: CallId, state: &CallState) -> Option<Duration> {
        self.events(i).iter().find_map(|(t, e)| match e {
            Event::Call { id: c, state: s } if *c == id && s == state => Some(*t),
            _ => None,
        })
    }

    /// The media phone `i` last agreed for call `id`.
    pub fn media(&self, i: usize, id: CallId) -> Option<Media> {
        self.events(i).iter().rev().find_map(|(_, e)| match e {
            Event::CallMedia { id: c, media } if *c == id => Some(*media),
            _ => None,
        })
    }

    /// Whether phone `i` has no transaction alive.
    pub fn idle(&self, i: usize) -> bool {
        let p = self.phone_ref(i);
        p.server_transactions() == 0 && p.client_transactions() == 0
    }

    // ---- the registrar and the log ----

    /// The registrar.
    pub fn registrar(&self) -> &Registrar {
        &self.registrar
    }

    /// Everything the registrar reported, with the time.
    pub fn registrar_events(&self) -> &[(Duration, registrar::Event)] {
        &self.registrar_events
    }

    /// Every datagram sent so far, in order, with its fate.
    pub fn wire(&self) -> &[Wire] {
        &self.wire
    }

    /// Every datagram delivered so far, in the order sent.
    pub fn delivered(&self) -> impl Iterator<Item = &Wire> {
        self.wire.iter().filter(|w| w.delivered())
    }

    /// The datagrams sent that match `filter`.
    pub fn sent(&self, filter: &Filter) -> Vec<&Wire> {
        self.wire.iter().filter(|w| filter.matches(w)).collect()
    }

    /// How many datagrams that match `filter` were delivered.
    pub fn delivered_count(&self, filter: &Filter) -> usize {
        self.wire.iter().filter(|w| w.delivered() && filter.matches(w)).count()
    }

    /// The log as one line per datagram (for failure messages).
    pub fn trace(&self) -> String {
        let name = |a: SocketAddr| {
            if a == registrar_addr() {
                "proxy".to_owned()
            } else {
                self.stations.iter().position(|s| s.addr == a).map_or(a.to_string(), |i| format!("phone{i}"))
            }
        };
        self.wire
            .iter()
            .map(|w| {
                let what = match &w.what {
                    What::Request(m) => m.clone(),
                    What::Response(c, m) => format!("{c} ({m})"),
                    other => format!("{other:?}"),
                };
                format!("{:>9.3?} {:>6} → {:<6} {what:<16} {:?}\n", w.sent, name(w.from), name(w.to), w.fate)
            })
            .collect()
    }
}
