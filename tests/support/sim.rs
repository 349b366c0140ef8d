//! A simulated network for sans-IO scenario tests: the phone on a LAN, a NAT box, and a
//! small registrar/proxy on the "internet", on simulated time. Nothing touches a socket;
//! every run is deterministic and takes milliseconds.
//!
//! ```text
//!   phone 10.0.0.3:5060 ──▶ NAT (static 1:1 | PAT, optional SIP ALG) ──▶ registrar 198.51.100.5:5060
//!                        ◀──                 public 203.0.113.10      ◀──
//! ```
//! All addresses are documentation addresses and exist only inside this simulation.

#![allow(dead_code)]

use sip7940::config::PhoneConfig;
use sip7940::sip::message::{Datagram, HeaderName, Message, Method, Response, parse_datagram, response_to};
use sip7940::ua::{Output, Phone, Setup};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// The phone's LAN address.
pub const PHONE: &str = "10.0.0.3:5060";
/// The NAT box's public address.
pub const PUBLIC_IP: &str = "203.0.113.10";
/// The registrar/proxy.
pub const REGISTRAR: &str = "198.51.100.5:5060";

/// How the router translates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatKind {
    /// No NAT: the phone has a public address (used as `10.0.0.3` on both sides).
    None,
    /// One-to-one static NAT: inside IP ↔ public IP, ports kept; inbound always allowed.
    Static,
    /// Port-rewriting PAT: each inside ip:port gets a public port; inbound only from the
    /// remote the mapping was made for.
    Pat,
}

/// The router: translation plus an optional SIP ALG that rewrites private addresses in
/// Via and Contact (as IOS `ip nat` with its SIP ALG does).
#[derive(Debug)]
pub struct Router {
    kind: NatKind,
    alg: bool,
    next_port: u16,
    /// inside → public port, and the remotes allowed back in.
    mappings: HashMap<SocketAddr, (u16, Vec<SocketAddr>)>,
}

impl Router {
    /// A router of `kind`, with or without the SIP ALG.
    pub fn new(kind: NatKind, alg: bool) -> Self {
        Router { kind, alg, next_port: 40000, mappings: HashMap::new() }
    }

    fn public_ip() -> IpAddr {
        PUBLIC_IP.parse().expect("ip")
    }

    /// Outbound: returns the translated source and the (maybe rewritten) bytes.
    fn outbound(&mut self, from: SocketAddr, to: SocketAddr, bytes: Vec<u8>) -> (SocketAddr, Vec<u8>) {
        let public = match self.kind {
            NatKind::None => return (from, bytes),
            NatKind::Static => SocketAddr::new(Self::public_ip(), from.port()),
            NatKind::Pat => {
                let next = &mut self.next_port;
                let entry = self.mappings.entry(from).or_insert_with(|| {
                    *next += 1;
                    (*next, Vec::new())
                });
                if !entry.1.contains(&to) {
                    entry.1.push(to);
                }
                SocketAddr::new(Self::public_ip(), entry.0)
            }
        };
        let bytes = if self.alg { alg_rewrite(&bytes, from, public) } else { bytes };
        (public, bytes)
    }

    /// Inbound to `to` (a public address) from `from`: the inside address, if allowed.
    fn inbound(&self, from: SocketAddr, to: SocketAddr) -> Option<SocketAddr> {
        match self.kind {
            NatKind::None => Some(to),
            NatKind::Static => (to.ip() == Self::public_ip()).then(|| SocketAddr::new(PHONE_IP(), to.port())),
            NatKind::Pat => self
                .mappings
                .iter()
                .find(|(_, (port, remotes))| *port == to.port() && remotes.contains(&from))
                .map(|(inside, _)| *inside),
        }
    }
}

#[allow(non_snake_case)]
fn PHONE_IP() -> IpAddr {
    PHONE.parse::<SocketAddr>().expect("addr").ip()
}

/// What a SIP ALG does: every `inside ip:port` (and bare inside ip) in the header section
/// becomes the public address.
fn alg_rewrite(bytes: &[u8], inside: SocketAddr, public: SocketAddr) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let head = head
        .replace(&inside.to_string(), &public.to_string())
        .replace(&inside.ip().to_string(), &public.ip().to_string());
    format!("{head}\r\n\r\n{body}").into_bytes()
}

/// How the registrar treats NAT.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegistrarOptions {
    /// Answer to the source port even without `rport` (Kamailio's force_rport).
    pub force_rport: bool,
    /// Store the source address instead of a private Contact (Kamailio's fix_nated_register).
    pub fix_nated_contact: bool,
    /// Shortest expiry accepted (423 below it).
    pub min_expires: Option<u32>,
    /// Grant at most this.
    pub max_grant: Option<u32>,
    /// Another device's binding for the same user, returned before ours: (URI, expires).
    pub other_contact: Option<(&'static str, u32)>,
    /// Answer nothing at all (a registrar that went away).
    pub silent: bool,
}

/// A small registrar and stateless proxy: stores bindings, answers REGISTER, forwards
/// OPTIONS for a registered user to its Contact.
#[derive(Debug, Default)]
pub struct Registrar {
    /// Options.
    pub options: RegistrarOptions,
    /// AoR user → (Contact address the registrar will send to, Contact URI as stored).
    pub bindings: HashMap<String, (SocketAddr, String)>,
    /// REGISTERs received.
    pub registers: usize,
    /// Requests it forwarded to a phone.
    pub forwarded: usize,
}

fn user_of(uri: &str) -> String {
    uri.trim_start_matches('<').trim_start_matches("sip:").split('@').next().unwrap_or("").to_owned()
}

fn contact_addr(uri: &str) -> Option<SocketAddr> {
    let rest = uri.split_once('@')?.1;
    let hostport = rest.split([';', '>']).next()?;
    hostport.parse().ok().or_else(|| format!("{hostport}:5060").parse().ok())
}

impl Registrar {
    /// Handles one datagram from `from`; returns what to send where.
    fn handle(&mut self, from: SocketAddr, bytes: &[u8]) -> Vec<(SocketAddr, Vec<u8>)> {
        let Ok(Datagram::Message(msg)) = parse_datagram(bytes) else { return vec![] };
        if self.options.silent {
            return vec![];
        }
        if msg.is_request() { self.request(from, &msg, bytes) } else { self.response(&msg, bytes) }
    }

    fn reply_to(&self, msg: &Message<'_>, from: SocketAddr) -> SocketAddr {
        let via = msg.top_via().ok();
        let rport = via.as_ref().is_some_and(|v| v.rport.is_some()) || self.options.force_rport;
        let port = if rport { from.port() } else { via.map_or(5060, |v| v.port_or_default()) };
        SocketAddr::new(from.ip(), port)
    }

    fn respond(
        &self,
        msg: &Message<'_>,
        from: SocketAddr,
        code: u16,
        extra: &[(HeaderName, String)],
    ) -> (SocketAddr, Vec<u8>) {
        let mut resp: Response = response_to(msg, code, Some(b"reg1")).expect("response");
        if let Some(via) = resp.headers.0.iter_mut().find(|h| h.name.is(HeaderName::Via)) {
            let mut v = String::from_utf8_lossy(&via.value).into_owned();
            if v.contains(";rport") {
                v = v.replace(";rport", &format!(";rport={}", from.port()));
            } else if self.options.force_rport {
                v.push_str(&format!(";rport={}", from.port()));
            }
            v.push_str(&format!(";received={}", from.ip()));
            via.value = v.into_bytes();
        }
        for (name, value) in extra {
            resp.headers.push(*name, value.clone());
        }
        (self.reply_to(msg, from), resp.to_bytes())
    }

    fn request(&mut self, from: SocketAddr, msg: &Message<'_>, bytes: &[u8]) -> Vec<(SocketAddr, Vec<u8>)> {
        match msg.method() {
            Some(Method::Register) => {
                self.registers += 1;
                let user = msg.to().map(|t| user_of(&String::from_utf8_lossy(t.uri_raw))).unwrap_or_default();
                let expires = msg.expires().ok().flatten().unwrap_or(3600);
                if let Some(min) = self.options.min_expires
                    && expires > 0
                    && expires < min
                {
                    return vec![self.respond(msg, from, 423, &[(HeaderName::MinExpires, min.to_string())])];
                }
                let contact =
                    msg.header(HeaderName::Contact).map(|h| String::from_utf8_lossy(&h.value()).into_owned());
                let uri = contact
                    .as_deref()
                    .map(|c| c.split('>').next().unwrap_or(c).trim_start_matches('<').to_owned());
                if expires == 0 {
                    self.bindings.remove(&user);
                    return vec![self.respond(msg, from, 200, &[])];
                }
                let Some(uri) = uri else { return vec![self.respond(msg, from, 200, &[])] };
                let mut target = contact_addr(&uri).unwrap_or(from);
                let private = match target.ip() {
                    IpAddr::V4(v4) => v4.is_private(),
                    IpAddr::V6(_) => false,
                };
                if self.options.fix_nated_contact && private && target != from {
                    target = from;
                }
                let grant = self.options.max_grant.map_or(expires, |m| expires.min(m));
                self.bindings.insert(user, (target, uri.clone()));
                let mut headers = Vec::new();
                if let Some((other, other_expires)) = self.options.other_contact {
                    headers.push((HeaderName::Contact, format!("<{other}>;expires={other_expires}")));
                }
                headers.push((HeaderName::Contact, format!("<{uri}>;expires={grant}")));
                headers.push((HeaderName::Expires, grant.to_string()));
                vec![self.respond(msg, from, 200, &headers)]
            }
            Some(Method::Options) => {
                let user = msg.request_uri().map(|_| ()).ok().and_then(|_| match &msg.start {
                    sip7940::sip::message::StartLine::Request(r) => {
                        Some(user_of(&String::from_utf8_lossy(r.uri)))
                    }
                    _ => None,
                });
                match user.and_then(|u| self.bindings.get(&u).cloned()) {
                    Some((target, _)) => {
                        self.forwarded += 1;
                        // Stateless proxy: add our Via on top and forward.
                        let text = String::from_utf8_lossy(bytes);
                        let via =
                            format!("Via: SIP/2.0/UDP {REGISTRAR};branch=z9hG4bKproxy{}\r\n", self.forwarded);
                        let (first, rest) = text.split_once("\r\n").unwrap_or((&text, ""));
                        vec![(target, format!("{first}\r\n{via}{rest}").into_bytes())]
                    }
                    None => vec![self.respond(msg, from, 480, &[])],
                }
            }
            _ => vec![self.respond(msg, from, 405, &[])],
        }
    }

    /// A response to a forwarded request: drop our Via, send it down the next one.
    fn response(&mut self, msg: &Message<'_>, bytes: &[u8]) -> Vec<(SocketAddr, Vec<u8>)> {
        let Ok(vias) = msg.vias() else { return vec![] };
        let Some(next) = vias.get(1) else { return vec![] };
        let text = String::from_utf8_lossy(bytes);
        let mut out = String::new();
        let mut dropped = false;
        for line in text.split_inclusive("\r\n") {
            if !dropped && line.to_ascii_lowercase().starts_with("via:") && line.contains("z9hG4bKproxy") {
                dropped = true;
                continue;
            }
            out.push_str(line);
        }
        let ip: IpAddr = next
            .received
            .and_then(|r| std::str::from_utf8(r).ok()?.parse().ok())
            .unwrap_or_else(|| next.host.to_string().parse().unwrap_or(PHONE_IP()));
        let port = next.rport.flatten().unwrap_or(next.port_or_default());
        vec![(SocketAddr::new(ip, port), out.into_bytes())]
    }
}

/// A packet in flight.
#[derive(Debug)]
struct Packet {
    at: Instant,
    from: SocketAddr,
    to: SocketAddr,
    bytes: Vec<u8>,
}

/// The whole simulation.
pub struct Sim {
    /// The phone under test.
    pub phone: Phone,
    /// The router between the LAN and the internet.
    pub router: Router,
    /// The registrar.
    pub registrar: Registrar,
    /// Simulated now.
    pub now: Instant,
    t0: Instant,
    queue: VecDeque<Packet>,
    delay: Duration,
    /// Every datagram the phone sent, with its destination.
    pub phone_sent: Vec<(SocketAddr, Vec<u8>)>,
    /// Every datagram that reached the phone.
    pub phone_received: Vec<Vec<u8>>,
    /// Datagrams the router dropped.
    pub dropped_inbound: usize,
    /// Percentage of datagrams lost, each way (seeded, deterministic).
    pub loss_percent: u64,
    loss_state: u64,
    /// Datagrams lost on purpose.
    pub lost: usize,
}

impl Sim {
    /// A phone with `config` behind `router`, talking to `registrar`.
    pub fn new(config: PhoneConfig, router: Router, registrar: Registrar) -> Self {
        let t0 = Instant::now();
        let setup = Setup {
            local: PHONE.parse().expect("addr"),
            seed: 7940,
            mac: "000C30A97025".parse().ok(),
            my_ip: Some(PHONE_IP()),
            epoch: t0,
            unix_at_epoch: 1_795_505_393,
        };
        Sim {
            phone: Phone::new(config, setup),
            router,
            registrar,
            now: t0,
            t0,
            queue: VecDeque::new(),
            delay: Duration::from_millis(10),
            phone_sent: Vec::new(),
            phone_received: Vec::new(),
            dropped_inbound: 0,
            loss_percent: 0,
            loss_state: 0x5eed,
            lost: 0,
        }
    }

    /// Seconds since the start.
    pub fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    fn drain_phone(&mut self) {
        while let Some(out) = self.phone.poll_output() {
            match out {
                Output::Transmit(t) => {
                    self.phone_sent.push((t.to, t.bytes.to_vec()));
                    let from: SocketAddr = PHONE.parse().expect("addr");
                    let (src, bytes) = self.router.outbound(from, t.to, t.bytes.to_vec());
                    self.queue.push_back(Packet { at: self.now + self.delay, from: src, to: t.to, bytes });
                }
                Output::Resolve(r) => {
                    let addr: SocketAddr = REGISTRAR.parse().expect("addr");
                    self.phone.handle_resolved(self.now, r.token, Ok((addr, PHONE_IP())));
                }
                Output::Event(_) => {}
            }
        }
    }

    /// Runs until `until` (simulated), delivering packets and firing timers in order.
    pub fn run_for(&mut self, span: Duration) {
        let until = self.now + span;
        for _ in 0..100_000 {
            self.drain_phone();
            let next_packet = self.queue.iter().map(|p| p.at).min();
            let next = [next_packet, self.phone.poll_timeout()].into_iter().flatten().min();
            let Some(next) = next.filter(|t| *t <= until) else { break };
            self.now = self.now.max(next);
            if let Some(i) = self.queue.iter().position(|p| p.at <= self.now) {
                let Some(p) = self.queue.remove(i) else { continue };
                self.deliver(p);
            } else {
                self.phone.handle_timeout(self.now);
            }
        }
        self.now = until;
    }

    /// SplitMix64 over the loss state: whether the next datagram is lost.
    fn lose(&mut self) -> bool {
        self.loss_state = self.loss_state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.loss_state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let lost = (z ^ (z >> 31)) % 100 < self.loss_percent;
        self.lost += usize::from(lost);
        lost
    }

    fn deliver(&mut self, p: Packet) {
        if self.lose() {
            return;
        }
        let registrar: SocketAddr = REGISTRAR.parse().expect("addr");
        if p.to == registrar {
            for (to, bytes) in self.registrar.handle(p.from, &p.bytes) {
                self.queue.push_back(Packet { at: self.now + self.delay, from: registrar, to, bytes });
            }
            return;
        }
        // Towards the phone: through the router.
        match self.router.inbound(p.from, p.to) {
            Some(inside) if inside == PHONE.parse().expect("addr") => {
                let bytes = if self.router.alg { alg_inbound(&p.bytes) } else { p.bytes };
                self.phone_received.push(bytes.clone());
                self.phone.handle_datagram(self.now, p.from, &bytes);
            }
            _ => self.dropped_inbound += 1,
        }
    }
}

/// A SIP ALG also rewrites public addresses back to the inside one on the way in.
fn alg_inbound(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let head = head.replace(&format!("received={PUBLIC_IP}"), &format!("received={}", PHONE_IP()));
    format!("{head}\r\n\r\n{body}").into_bytes()
}
