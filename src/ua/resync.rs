//! Re-provisioning: the check-sync NOTIFY and a new configuration applied to a running
//! phone, as the 7940 firmware does it.
//!
//! ```text
//!  NOTIFY (out of dialog, from a configured proxy — the ghost-call filter applies)
//!     ├─ Event: check-sync ──▶ 200 OK, Event::CheckSync ──▶ the io edge reads the files
//!     │                         again and calls resync(): sync changed? ──▶ apply_config
//!     └─ any other or no Event ──▶ 489 Bad Event (RFC 6665 §8.3.2), Allow-Events: check-sync
//!
//!  apply_config(new) ──▶ un-REGISTER every line (old config) ──▶ every answer or timeout
//!                    ──▶ take the new config, new lines ──▶ REGISTER them (when asked)
//! ```
//!
//! Calls in progress go on; the SIP socket (and so `voip_control_port`) stays the one
//! the phone was started on.

use super::client_side::Owner;
use super::phone::{Event, Output, Phone};
use super::registration::{Agent, Binding};
use crate::config::{Host, PhoneConfig};
use crate::sip::message::{HeaderName, Message};
use crate::sip::transaction::TimerConfig;
use crate::sip::transaction::key::ServerKey;
use std::net::SocketAddr;
use std::time::Instant;

/// The one event package the phone takes NOTIFYs for.
pub const CHECK_SYNC: &str = "check-sync";

/// The event package a NOTIFY names (the `Event` token, lower-case, without parameters).
fn event_package(req: &Message<'_>) -> Option<String> {
    let value = req.header(HeaderName::Event)?.value();
    let text = String::from_utf8_lossy(&value);
    let package = text.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    (!package.is_empty()).then_some(package)
}

/// The registration agents a configuration asks for: one per provisioned line, and line
/// 1's backup when `proxy_backup` is set.
pub(super) fn agents_for(config: &PhoneConfig) -> Vec<Agent> {
    let mut agents: Vec<Agent> =
        config.provisioned_lines().map(|(n, _)| Agent::new(Binding::Line(n), config)).collect();
    if config.proxy_backup.address.is_some() && config.lines[0].is_provisioned() {
        agents.push(Agent::new(Binding::Backup, config));
    }
    agents
}

impl Phone {
    /// A NOTIFY outside a dialog that passed the ghost-call filter: check-sync is taken
    /// (200, [`Event::CheckSync`]); any other event package gets 489.
    pub(super) fn serve_notify(&mut self, now: Instant, from: SocketAddr, key: ServerKey, req: &Message<'_>) {
        match event_package(req) {
            Some(package) if package == CHECK_SYNC => {
                self.respond_in_transaction(now, from, key, req, 200, &[]);
                self.outputs.push_back(Output::Event(Event::CheckSync { from }));
            }
            _ => {
                let headers = [(HeaderName::AllowEvents, CHECK_SYNC.to_owned())];
                self.respond_in_transaction(now, from, key, req, 489, &headers);
            }
        }
    }

    /// Runs the phone on `config` from now on, as the firmware does after a resync:
    /// un-registers every line, and once every un-REGISTER is answered (or timed out)
    /// takes the new configuration, sets its lines up and, when `register`, registers
    /// them. [`Event::Reconfigured`] tells when the new configuration took over. Calls in
    /// progress go on. A second call before the first took over replaces its config.
    pub fn apply_config(&mut self, now: Instant, config: PhoneConfig, register: bool) {
        self.pending_config = Some((Box::new(config), register));
        self.unregister_all(now);
        self.finish_reconfigure(now);
    }

    /// Check-sync: applies `config` (see [`apply_config`](Self::apply_config)) only when
    /// its `sync` value differs from the running one, as the firmware does; returns
    /// whether it did.
    pub fn resync(&mut self, now: Instant, config: PhoneConfig, register: bool) -> bool {
        let running = match &self.pending_config {
            Some((pending, _)) => &pending.management.sync,
            None => &self.config.management.sync,
        };
        if *running == config.management.sync {
            return false;
        }
        self.apply_config(now, config, register);
        true
    }

    /// Whether a new configuration waits for the old lines' un-REGISTERs.
    pub fn reconfiguring(&self) -> bool {
        self.pending_config.is_some()
    }

    /// Takes the pending configuration once no registration is in flight.
    pub(super) fn finish_reconfigure(&mut self, now: Instant) {
        if self.pending_config.is_none() || self.registration_busy() {
            return;
        }
        let Some((config, register)) = self.pending_config.take() else { return };
        let mut config = *config;
        if self.local.port() != 0 {
            config.nat.voip_control_port = self.local.port();
        }
        self.timers = TimerConfig::from(&config.timers);
        self.agents = agents_for(&config);
        let nat_changed = config.nat != self.config.nat;
        self.config = config;
        // The old lines' transactions are over; a late answer to one matches nothing.
        self.clients.retain(|_, entry| !matches!(entry.owner, Owner::Agent(_)));
        if nat_changed {
            self.nat = Default::default();
            self.start_nat();
        }
        self.outputs.push_back(Output::Event(Event::Reconfigured));
        if register {
            self.register_all(now);
        }
    }

    /// Takes `nat_address` as the NAT rules say: a literal now, a name once resolved.
    pub(super) fn start_nat(&mut self) {
        match self.config.nat.address.clone() {
            Some(Host::Ip(ip)) if self.config.nat.enable => self.nat.nat_ip = Some(ip),
            Some(Host::Name(name)) if self.config.nat.enable => {
                self.request_resolve(super::phone::ResolveFor::NatAddress, name, 5060);
            }
            _ => {}
        }
    }
}
