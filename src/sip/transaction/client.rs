//! RFC 3261 §17.1 client transactions, INVITE and non-INVITE, as state machines fed
//! `(now, input)` and drained for outputs and the next deadline.
//!
//! ```text
//!  INVITE (§17.1.1, with RFC 6026's Accepted)     non-INVITE (§17.1.2)
//!
//!        Calling ──A: retransmit (T1, 2T1, 4T1…)        Trying ──E: retransmit (T1, 2T1… ≤ T2)
//!   1xx │    │ B (64·T1): timeout                   1xx │   │ F (64·T1): timeout
//!       ▼    │                                          ▼   │
//!    Proceeding                                    Proceeding ─E: retransmit every T2
//!   2xx │   │ 300-699: send ACK                 final │   │
//!       ▼   ▼                                           ▼   ▼
//!  Accepted  Completed ─ D: done                      Completed ─ K (T4): done
//!   (M: done)  (re-ACK retransmitted finals)
//! ```
//!
//! Over a reliable transport nothing is retransmitted and D and K are zero.

use super::timers::TimerConfig;
use super::{Output, Outputs};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Which state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// §17.1.1 / §17.2.1.
    Invite,
    /// §17.1.2 / §17.2.2.
    NonInvite,
}

/// States of a client transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    /// INVITE sent, nothing heard.
    Calling,
    /// Non-INVITE sent, nothing heard.
    Trying,
    /// A provisional response arrived.
    Proceeding,
    /// A 2xx to an INVITE arrived (RFC 6026); 2xx retransmissions still reach the TU.
    Accepted,
    /// A final response arrived; retransmissions of it are absorbed.
    Completed,
    /// Done; the transaction can be dropped.
    Terminated,
}

/// A client transaction.
#[derive(Debug)]
pub struct ClientTransaction {
    kind: Kind,
    state: ClientState,
    request: Arc<[u8]>,
    ack: Option<Arc<[u8]>>,
    timers: TimerConfig,
    reliable: bool,
    retransmit_at: Option<Instant>,
    interval: Duration,
    retransmissions: u32,
    end_at: Option<Instant>,
    outputs: Outputs,
}

impl ClientTransaction {
    /// Starts the transaction: the request is sent at once.
    pub fn start(now: Instant, kind: Kind, request: Arc<[u8]>, timers: TimerConfig, reliable: bool) -> Self {
        let mut outputs = Outputs::default();
        outputs.push_back(Output::Transmit(request.clone()));
        Self {
            kind,
            state: if kind == Kind::Invite { ClientState::Calling } else { ClientState::Trying },
            request,
            ack: None,
            timers,
            reliable,
            retransmit_at: (!reliable).then(|| now + timers.t1),
            interval: timers.t1,
            retransmissions: 0,
            end_at: Some(now + timers.timeout()),
            outputs,
        }
    }

    /// The state.
    pub fn state(&self) -> ClientState {
        self.state
    }

    /// Which kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The request as sent.
    pub fn request(&self) -> &Arc<[u8]> {
        &self.request
    }

    /// How many times the request was retransmitted so far.
    pub fn retransmissions(&self) -> u32 {
        self.retransmissions
    }

    /// Feeds a response that matched this transaction. `make_ack` is called at most once,
    /// for the first non-2xx final response to an INVITE, to build the ACK (§17.1.1.3).
    /// Returns whether the transaction user should see the response (retransmissions of a
    /// final response are absorbed).
    pub fn on_response(
        &mut self,
        now: Instant,
        status: u16,
        make_ack: impl FnOnce() -> Option<Vec<u8>>,
    ) -> bool {
        use ClientState::*;
        let provisional = status < 200;
        match (self.kind, self.state) {
            (_, Terminated) => false,
            (Kind::Invite, Calling | Proceeding) if provisional => {
                self.state = Proceeding;
                self.retransmit_at = None;
                true
            }
            (Kind::Invite, Calling | Proceeding | Accepted) if status < 300 => {
                if self.state != Accepted {
                    self.state = Accepted;
                    self.retransmit_at = None;
                    self.end_at = Some(now + self.timers.timeout());
                }
                true
            }
            (Kind::Invite, Calling | Proceeding) => {
                self.ack = make_ack().map(Arc::from);
                self.send_ack();
                self.state = Completed;
                self.retransmit_at = None;
                self.end_at = Some(now + if self.reliable { Duration::ZERO } else { self.timers.timer_d() });
                true
            }
            (Kind::Invite, Completed) => {
                if status >= 300 {
                    self.send_ack();
                }
                false
            }
            (Kind::Invite, _) => false,
            (Kind::NonInvite, Trying | Proceeding) if provisional => {
                if self.state == Trying {
                    self.state = Proceeding;
                    if !self.reliable {
                        // In Proceeding, Timer E fires every T2.
                        self.interval = self.timers.t2;
                    }
                }
                true
            }
            (Kind::NonInvite, Trying | Proceeding) => {
                self.state = Completed;
                self.retransmit_at = None;
                self.end_at = Some(now + if self.reliable { Duration::ZERO } else { self.timers.t4 });
                true
            }
            (Kind::NonInvite, _) => false,
        }
    }

    fn send_ack(&mut self) {
        if let Some(ack) = &self.ack {
            self.outputs.push_back(Output::Transmit(ack.clone()));
        }
    }

    /// Tells the transaction that `now` has come; fires whatever timers are due.
    pub fn on_timeout(&mut self, now: Instant) {
        if self.retransmit_at.is_some_and(|at| at <= now) {
            self.retransmit(now);
        }
        if self.end_at.is_some_and(|at| at <= now) {
            if matches!(self.state, ClientState::Calling | ClientState::Trying | ClientState::Proceeding) {
                // Timer B or F: no final response.
                self.outputs.push_back(Output::TimedOut);
            }
            self.terminate();
        }
    }

    fn retransmit(&mut self, now: Instant) {
        let limit = match self.kind {
            Kind::Invite => self.timers.max_invite_retransmissions,
            Kind::NonInvite => self.timers.max_retransmissions,
        };
        if self.retransmissions >= limit {
            self.retransmit_at = None;
            return;
        }
        self.retransmissions += 1;
        self.outputs.push_back(Output::Transmit(self.request.clone()));
        self.interval = match (self.kind, self.state) {
            (Kind::Invite, _) => self.interval * 2,
            (Kind::NonInvite, ClientState::Proceeding) => self.timers.t2,
            (Kind::NonInvite, _) => (self.interval * 2).min(self.timers.t2),
        };
        self.retransmit_at = Some(now + self.interval);
    }

    fn terminate(&mut self) {
        self.state = ClientState::Terminated;
        self.retransmit_at = None;
        self.end_at = None;
        self.outputs.push_back(Output::Terminated);
    }

    /// The next thing to do: a datagram to send or an event.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`on_timeout`](Self::on_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        super::timers::earliest(self.retransmit_at, self.end_at)
    }
}
