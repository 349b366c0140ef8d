//! The phone: one sans-IO state machine that owns every transaction and registration.
//!
//! The io edge feeds it datagrams, name resolutions and timeouts with the time they
//! happened, then drains [`Output`]s until there are none and sleeps until
//! [`Phone::poll_timeout`]. It never reads a clock, a socket or a global RNG: time is an
//! argument, randomness comes from the seed.
//!
//! ```text
//!  datagram ─▶ parse ─┬─ keep-alive ─────────────▶ ignored
//!                     ├─ broken request ─────────▶ 400 (stateless) or dropped
//!                     ├─ request ─▶ transaction? ─┬─ yes: retransmission / ACK absorbed
//!                     │                           └─ no: inbound::classify ─▶ respond
//!                     └─ response ─▶ client transaction ─▶ its owner (registration, probe)
//!  timeout ─▶ server and client transactions, registration refresh/retry/keep-alive
//! ```

use super::call::{CallId, CallState, OutgoingCall};
use super::client_side::ClientEntry;
use super::nat::NatState;
use super::registration::{Agent, Binding, RegState, Snapshot};
use crate::config::{Host, Mac, PhoneConfig};
use crate::sip::message::{Datagram, Method, can_respond, parse_datagram, parse_lenient};
use crate::sip::transaction::key::{ClientKey, ServerKey};
use crate::sip::transaction::{ServerTransaction, TimerConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

/// The product token a 7940 with firmware 8 sends (`User-Agent`, `Server`).
pub const PRODUCT: &str = "Cisco-CP7940G/8.0";

/// Something the io edge must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send a datagram.
    Transmit(Transmit),
    /// Resolve a name and answer with [`Phone::handle_resolved`].
    Resolve(ResolveRequest),
    /// Tell the person (or the log) something.
    Event(Event),
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Destination.
    pub to: SocketAddr,
    /// The bytes.
    pub bytes: Arc<[u8]>,
}

/// A name (or literal address) to resolve to an IPv4 address (A record), and the local
/// address the OS would send from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveRequest {
    /// Echo this in [`Phone::handle_resolved`].
    pub token: u64,
    /// The name or address.
    pub host: String,
    /// The port to pair it with.
    pub port: u16,
}

/// What happened, for logs, `--sip-trace` and `--watch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A datagram was dropped without an answer.
    Dropped {
        /// Where it came from.
        from: SocketAddr,
        /// Why, in words.
        reason: String,
    },
    /// A request outside a dialog was refused (ghost-call protection): 403, no ring.
    Refused {
        /// Where it came from.
        from: SocketAddr,
        /// Why, in words.
        reason: String,
    },
    /// A call changed state.
    Call {
        /// Which call.
        id: CallId,
        /// Its new state.
        state: CallState,
    },
    /// A call is coming in and rings: answer it with [`Phone::answer`] or refuse it with
    /// [`Phone::reject`].
    IncomingCall {
        /// Which call.
        id: CallId,
        /// The caller, as the From header says.
        caller: String,
        /// Another call is answered: this one is a waiting call (`call_waiting : 1`);
        /// answering it puts the answered one on hold (see [`Phone::swap`]).
        waiting: bool,
        /// The call takes over this answered call (an attended transfer's INVITE with
        /// `Replaces`): answer it at once, without ringing; the old call is hung up when
        /// it connects.
        replaces: Option<CallId>,
    },
    /// An incoming INVITE was answered by a call feature and never rang: forwarded (302),
    /// anonymous call block (433) or Do Not Disturb (486).
    Screened {
        /// The caller, as the From header says.
        caller: String,
        /// The status sent.
        code: u16,
        /// Why, in words (`forwarded to sip:…`, `do not disturb`, …).
        reason: String,
    },
    /// A blind transfer (REFER) of an answered call moved on; see
    /// [`super::transfer::TransferProgress`].
    Transfer {
        /// The call being transferred (ours as transferor, or the one the far end
        /// asked us to leave as transferee).
        id: CallId,
        /// What happened.
        progress: super::transfer::TransferProgress,
    },
    /// A call agreed on media: start (or update) RTP.
    CallMedia {
        /// Which call.
        id: CallId,
        /// Codec, payload types and the far end's RTP address.
        media: crate::sdp::Media,
    },
    /// A registration changed state.
    Registration {
        /// Which row.
        binding: Binding,
        /// Before.
        from: RegState,
        /// After.
        to: RegState,
    },
    /// A configured proxy sent `NOTIFY` with `Event: check-sync` (answered 200): the
    /// provider asks the phone to read its files again, and to restart when their `sync`
    /// value changed.
    CheckSync {
        /// Where it came from.
        from: SocketAddr,
    },
}

/// Who asked for a name.
#[derive(Debug, Clone, Copy)]
pub(super) enum ResolveFor {
    Agent(usize),
    NatAddress,
    /// The next hop of a call placed by [`Phone::call`] to a host name.
    Dial(CallId),
}

/// An inbound-reachability probe: OPTIONS to our own address of record, authenticated
/// as the line when the proxy challenges it.
#[derive(Debug)]
pub(super) struct Probe {
    pub(super) binding: Binding,
    pub(super) call_id: String,
    pub(super) aor: String,
    pub(super) from_tag: String,
    pub(super) via_host: SocketAddr,
    pub(super) to: SocketAddr,
    pub(super) cseq: u32,
    pub(super) auth: Option<crate::sip::auth::DigestClient>,
    pub(super) answered_challenge: bool,
    pub(super) reached: bool,
    pub(super) final_status: Option<u16>,
    pub(super) reason: String,
    pub(super) timed_out: bool,
}

/// What an inbound probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeResult {
    /// Still waiting.
    Pending,
    /// Our OPTIONS came back to us through the proxy.
    Reached,
    /// The proxy answered without reaching us.
    Refused {
        /// Its status.
        code: u16,
        /// Its reason phrase.
        reason: String,
    },
    /// Nothing came back.
    TimedOut,
}

pub(super) struct ServerEntry {
    pub(super) tx: ServerTransaction,
    pub(super) peer: SocketAddr,
}

/// How the io edge sets the phone up.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The bound SIP socket's address. Its port is the one the phone advertises: normally
    /// `voip_control_port`; another when the io edge bound elsewhere (e.g. port 0).
    pub local: SocketAddr,
    /// Seed of every random choice (tags, branches, cnonce, jitter).
    pub seed: u64,
    /// The phone's MAC (tags, Call-ID, `+sip.instance`); derived from the seed when absent.
    pub mac: Option<Mac>,
    /// `my_ip_addr`, when it is an address of this host (else the routed address is used).
    pub my_ip: Option<IpAddr>,
    /// The instant the phone starts.
    pub epoch: Instant,
    /// Seconds since the Unix epoch at `epoch` (for `Date`).
    pub unix_at_epoch: u64,
}

/// The phone.
pub struct Phone {
    pub(super) config: PhoneConfig,
    pub(super) timers: TimerConfig,
    pub(super) local: SocketAddr,
    pub(super) rng: StdRng,
    pub(super) mac: String,
    pub(super) my_ip: Option<IpAddr>,
    pub(super) nat: NatState,
    epoch: Instant,
    unix_at_epoch: u64,
    pub(super) servers: HashMap<ServerKey, ServerEntry>,
    pub(super) clients: HashMap<ClientKey, ClientEntry>,
    pub(super) agents: Vec<Agent>,
    pub(super) probes: Vec<Probe>,
    /// Calls, with the address they advertise.
    pub(super) calls: BTreeMap<CallId, (OutgoingCall, SocketAddr)>,
    /// Incoming calls while they ring, with their INVITE's server transaction.
    pub(super) incoming: BTreeMap<CallId, (super::incoming::IncomingCall, ServerKey)>,
    /// Answered calls (either way), with the address they advertise.
    pub(super) sessions: BTreeMap<CallId, (super::session::Session, SocketAddr)>,
    pub(super) next_call: u64,
    /// Ended calls, and when to forget them (64·T1 after the end: late retransmissions
    /// still find their call until then).
    pub(super) forget: VecDeque<(Instant, CallId)>,
    /// Calls not yet ended: the only ones timers and busy checks look at.
    pub(super) live: std::collections::BTreeSet<CallId>,
    /// Calls by SIP Call-ID (both legs of a call between two of our lines share one).
    pub(super) by_call_id: HashMap<String, Vec<CallId>>,
    pub(super) resolving: HashMap<u64, ResolveFor>,
    /// Calls waiting for their next hop's name to resolve (`Route="Emergency"` or a host
    /// in the dial plan).
    pub(super) pending_dials: BTreeMap<CallId, super::dial::PendingDial>,
    /// The dial plan (`dialplan.xml`); empty when there is none.
    pub(super) dial_plan: Arc<crate::config::DialPlan>,
    pub(super) next_token: u64,
    pub(super) outputs: VecDeque<Output>,
    /// Transfers (REFER) in progress, either way.
    pub(super) transfers: super::transfer::Transfers,
}

impl Phone {
    /// A phone with one registration agent per provisioned line (and line 1's backup when
    /// `proxy_backup` is set). Nothing is sent until [`register_all`](Self::register_all).
    pub fn new(mut config: PhoneConfig, setup: Setup) -> Self {
        if setup.local.port() != 0 {
            config.nat.voip_control_port = setup.local.port();
        }
        let timers = TimerConfig::from(&config.timers);
        let mut rng = StdRng::seed_from_u64(setup.seed);
        let mac = setup.mac.map_or_else(
            || format!("{:012x}", rng.next_u64() & 0xffff_ffff_ffff),
            |m| m.to_string().to_ascii_lowercase(),
        );
        let mut agents: Vec<Agent> =
            config.provisioned_lines().map(|(n, _)| Agent::new(Binding::Line(n), &config)).collect();
        if config.proxy_backup.address.is_some() && config.lines[0].is_provisioned() {
            agents.push(Agent::new(Binding::Backup, &config));
        }
        let mut phone = Self {
            timers,
            local: setup.local,
            rng,
            mac,
            my_ip: setup.my_ip,
            nat: NatState::default(),
            epoch: setup.epoch,
            unix_at_epoch: setup.unix_at_epoch,
            servers: HashMap::new(),
            clients: HashMap::new(),
            agents,
            probes: Vec::new(),
            calls: BTreeMap::new(),
            incoming: BTreeMap::new(),
            sessions: BTreeMap::new(),
            next_call: 0,
            forget: VecDeque::new(),
            live: std::collections::BTreeSet::new(),
            by_call_id: HashMap::new(),
            resolving: HashMap::new(),
            next_token: 0,
            pending_dials: BTreeMap::new(),
            dial_plan: Arc::default(),
            outputs: VecDeque::new(),
            transfers: super::transfer::Transfers::default(),
            config,
        };
        match phone.config.nat.address.clone() {
            Some(Host::Ip(ip)) if phone.config.nat.enable => phone.nat.nat_ip = Some(ip),
            Some(Host::Name(name)) if phone.config.nat.enable => {
                phone.request_resolve(ResolveFor::NatAddress, name, 5060);
            }
            _ => {}
        }
        phone
    }

    /// The configuration the phone runs with.
    pub fn config(&self) -> &PhoneConfig {
        &self.config
    }

    /// The dial plan typed numbers go through (empty unless [`set_dial_plan`] gave one).
    ///
    /// [`set_dial_plan`]: Self::set_dial_plan
    pub fn dial_plan(&self) -> &Arc<crate::config::DialPlan> {
        &self.dial_plan
    }

    /// Sets the dial plan read from `<dial_template>.xml`.
    pub fn set_dial_plan(&mut self, plan: crate::config::DialPlan) {
        self.dial_plan = Arc::new(plan);
    }

    /// How many server transactions are alive (for tests and statistics).
    pub fn server_transactions(&self) -> usize {
        self.servers.len()
    }

    /// How many client transactions are alive (for tests and statistics).
    pub fn client_transactions(&self) -> usize {
        self.clients.len()
    }

    /// Registers every line (`reg 1` for all).
    pub fn register_all(&mut self, now: Instant) {
        for index in 0..self.agents.len() {
            self.with_agent(now, index, |agent, ctx| agent.start(ctx));
        }
    }

    /// Un-registers every line (`Expires: 0`).
    pub fn unregister_all(&mut self, now: Instant) {
        for index in 0..self.agents.len() {
            self.with_agent(now, index, |agent, ctx| agent.stop(ctx));
        }
    }

    /// `reg 1 N` / `reg 0 N`: registers or un-registers one row.
    pub fn set_registered(&mut self, now: Instant, binding: Binding, on: bool) -> bool {
        let Some(index) = self.agents.iter().position(|a| a.binding() == binding) else { return false };
        self.with_agent(now, index, |agent, ctx| if on { agent.start(ctx) } else { agent.stop(ctx) });
        true
    }

    /// Every registration row, for `sh reg` and `--json`.
    pub fn registrations(&self, now: Instant) -> Vec<Snapshot> {
        self.agents.iter().map(|a| a.snapshot(now, &self.config)).collect()
    }

    /// Whether any registration has a request in flight.
    pub fn registration_busy(&self) -> bool {
        self.agents.iter().any(|a| a.pending_branch().is_some())
            || self.resolving.values().any(|r| matches!(r, ResolveFor::Agent(_)))
    }

    /// What an inbound probe found so far.
    pub fn probe_result(&self, probe: usize) -> ProbeResult {
        match self.probes.get(probe) {
            None => ProbeResult::Pending,
            Some(p) if p.reached => ProbeResult::Reached,
            Some(p) if p.timed_out => ProbeResult::TimedOut,
            Some(Probe { final_status: Some(code), reason, .. }) if (300..).contains(code) => {
                ProbeResult::Refused { code: *code, reason: reason.clone() }
            }
            // A 2xx without our seeing the OPTIONS: something else answered for us.
            Some(Probe { final_status: Some(code), reason, .. }) => {
                ProbeResult::Refused { code: *code, reason: format!("{reason} (answered by someone else)") }
            }
            Some(_) => ProbeResult::Pending,
        }
    }

    /// The binding a probe tested.
    pub fn probe_binding(&self, probe: usize) -> Option<Binding> {
        self.probes.get(probe).map(|p| p.binding)
    }

    /// A datagram arrived from `from` at `now`.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        match parse_datagram(bytes) {
            Ok(Datagram::KeepAlive) => {}
            Ok(Datagram::Message(msg)) if msg.is_request() => self.handle_request(now, from, &msg, bytes),
            Ok(Datagram::Message(msg)) => self.handle_response(now, from, &msg),
            Err(err) => {
                // Framing errors (Content-Length) still leave a readable request: answer 400.
                match parse_lenient(bytes) {
                    Ok(msg) if msg.is_request() && can_respond(&msg) && msg.method() != Some(Method::Ack) => {
                        self.respond_stateless(from, &msg, 400, &format!("Bad Request ({err})"));
                    }
                    _ => self.drop_with(from, format!("unparsable message: {err}")),
                }
            }
        }
    }

    pub(super) fn drop_with(&mut self, from: SocketAddr, reason: String) {
        self.outputs.push_back(Output::Event(Event::Dropped { from, reason }));
    }

    /// Time has come: fire every due timer.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due_servers: Vec<ServerKey> = self
            .servers
            .iter()
            .filter(|(_, e)| e.tx.poll_timeout().is_some_and(|t| t <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for key in due_servers {
            if let Some(entry) = self.servers.get_mut(&key) {
                entry.tx.on_timeout(now);
            }
            self.drain_server(&key);
        }
        let due_clients: Vec<ClientKey> = self
            .clients
            .iter()
            .filter(|(_, e)| e.tx.poll_timeout().is_some_and(|t| t <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for key in due_clients {
            if let Some(entry) = self.clients.get_mut(&key) {
                entry.tx.on_timeout(now);
            }
            self.drain_client(now, &key);
        }
        for index in 0..self.agents.len() {
            if self.agents[index].poll_timeout().is_some_and(|t| t <= now) {
                self.with_agent(now, index, |agent, ctx| agent.on_timeout(ctx));
            }
        }
        self.call_timers(now);
        self.transfer_timers(now);
    }

    /// The next thing to do, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let servers = self.servers.values().filter_map(|e| e.tx.poll_timeout());
        let clients = self.clients.values().filter_map(|e| e.tx.poll_timeout());
        let agents = self.agents.iter().filter_map(Agent::poll_timeout);
        let forget = self.forget.front().map(|(t, _)| *t);
        let transfers = self.transfers.poll_timeout();
        servers
            .chain(clients)
            .chain(agents)
            .chain(self.calls_poll_timeout())
            .chain(forget)
            .chain(transfers)
            .min()
    }

    /// The address to advertise (Via, Contact, SDP) towards `peer`, by the NAT rules: the
    /// phone's own address is `my_ip_addr`, else the Contact a registration advertised, else
    /// the peer's loopback address or the bound one.
    pub(super) fn advertised_towards(&self, peer: SocketAddr) -> SocketAddr {
        let own = self
            .my_ip
            .or_else(|| self.agents.iter().find_map(Agent::contact).map(|c| c.ip()))
            .unwrap_or_else(|| if peer.ip().is_loopback() { peer.ip() } else { self.local.ip() });
        super::nat::advertised(&self.config, own, &self.nat)
    }

    /// Seconds since the Unix epoch at `now`.
    pub(super) fn unix_at(&self, now: Instant) -> u64 {
        self.unix_at_epoch + now.saturating_duration_since(self.epoch).as_secs()
    }

    /// Our address as the Warning agent (`host:port`).
    pub(super) fn agent_name(&self) -> String {
        self.local.to_string()
    }

    /// A fresh tag: 32 random bits as hex, as a 7940 writes them.
    pub(super) fn new_tag(&mut self) -> String {
        format!("{:08x}", self.rng.next_u32())
    }
}
