//! RFC 3261 §17.2 server transactions, INVITE and non-INVITE.
//!
//! ```text
//!  INVITE (§17.2.1, with RFC 6026's Accepted)       non-INVITE (§17.2.2)
//!
//!   Proceeding ── retransmitted INVITE: resend last      Trying ── retransmission: ignore
//!   2xx │   │ 300-699                               1xx │  │ final
//!       ▼   ▼                                           ▼  │
//!  Accepted  Completed ─G: resend (T1…≤T2)         Proceeding ── retransmission: resend
//!  (L: done)  │  └─H (64·T1): no ACK, timeout      final │  │
//!         ACK ▼                                          ▼  ▼
//!         Confirmed ─ I (T4): done                     Completed ─ J (64·T1): done
//! ```
//!
//! In Accepted the transaction absorbs retransmitted INVITEs; the UA core retransmits the
//! 2xx itself until the ACK (§13.3.1.4).

use super::client::Kind;
use super::timers::TimerConfig;
use super::{Output, Outputs};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// States of a server transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerState {
    /// Non-INVITE received, no response yet.
    Trying,
    /// INVITE received, or a provisional response sent.
    Proceeding,
    /// A 2xx to an INVITE was sent (RFC 6026).
    Accepted,
    /// A final response was sent.
    Completed,
    /// The ACK for a non-2xx final response arrived.
    Confirmed,
    /// Done.
    Terminated,
}

/// A server transaction.
#[derive(Debug)]
pub struct ServerTransaction {
    kind: Kind,
    state: ServerState,
    last_response: Option<Arc<[u8]>>,
    timers: TimerConfig,
    reliable: bool,
    retransmit_at: Option<Instant>,
    interval: Duration,
    end_at: Option<Instant>,
    outputs: Outputs,
}

impl ServerTransaction {
    /// Creates the transaction for a new request.
    pub fn new(kind: Kind, timers: TimerConfig, reliable: bool) -> Self {
        Self {
            kind,
            state: if kind == Kind::Invite { ServerState::Proceeding } else { ServerState::Trying },
            last_response: None,
            timers,
            reliable,
            retransmit_at: None,
            interval: timers.t1,
            end_at: None,
            outputs: Outputs::default(),
        }
    }

    /// The state.
    pub fn state(&self) -> ServerState {
        self.state
    }

    /// The last response sent, if any.
    pub fn last_response(&self) -> Option<&Arc<[u8]>> {
        self.last_response.as_ref()
    }

    /// The request came again: resend the last response where the RFC says so.
    pub fn on_retransmission(&mut self) {
        if let (ServerState::Proceeding | ServerState::Completed, Some(last)) =
            (self.state, &self.last_response)
        {
            self.outputs.push_back(Output::Transmit(last.clone()));
        }
    }

    /// The transaction user sends a response.
    pub fn respond(&mut self, now: Instant, status: u16, bytes: Arc<[u8]>) {
        use ServerState::*;
        if !matches!(self.state, Trying | Proceeding) {
            return;
        }
        self.outputs.push_back(Output::Transmit(bytes.clone()));
        self.last_response = Some(bytes);
        let timeout = self.timers.timeout();
        match (self.kind, status) {
            (_, 100..=199) => self.state = Proceeding,
            (Kind::Invite, 200..=299) => {
                self.state = Accepted;
                self.end_at = Some(now + timeout);
            }
            (Kind::Invite, _) => {
                self.state = Completed;
                self.retransmit_at = (!self.reliable).then(|| now + self.timers.t1);
                self.end_at = Some(now + timeout);
            }
            (Kind::NonInvite, _) => {
                self.state = Completed;
                self.end_at = Some(now + if self.reliable { Duration::ZERO } else { timeout });
            }
        }
    }

    /// An ACK matched this transaction (a non-2xx final was sent). Returns whether it was
    /// absorbed here (true) or belongs to the UA core (a 2xx ACK).
    pub fn on_ack(&mut self, now: Instant) -> bool {
        match self.state {
            ServerState::Completed => {
                self.state = ServerState::Confirmed;
                self.retransmit_at = None;
                self.end_at = Some(now + if self.reliable { Duration::ZERO } else { self.timers.t4 });
                true
            }
            ServerState::Confirmed => true,
            _ => false,
        }
    }

    /// Fires due timers.
    pub fn on_timeout(&mut self, now: Instant) {
        if self.retransmit_at.is_some_and(|at| at <= now) {
            if let Some(last) = &self.last_response {
                self.outputs.push_back(Output::Transmit(last.clone()));
            }
            self.interval = (self.interval * 2).min(self.timers.t2);
            self.retransmit_at = Some(now + self.interval);
        }
        if self.end_at.is_some_and(|at| at <= now) {
            if self.state == ServerState::Completed && self.kind == Kind::Invite {
                // Timer H: the ACK never came.
                self.outputs.push_back(Output::TimedOut);
            }
            self.state = ServerState::Terminated;
            self.retransmit_at = None;
            self.end_at = None;
            self.outputs.push_back(Output::Terminated);
        }
    }

    /// The next thing to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`on_timeout`](Self::on_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        super::timers::earliest(self.retransmit_at, self.end_at)
    }
}
