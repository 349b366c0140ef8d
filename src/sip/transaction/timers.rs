//! RFC 3261 timer values (§17, table 4), from the phone's `timer_t1`, `timer_t2`,
//! `sip_retx` and `sip_invite_retx`.

use crate::config::phone::SipTimers;
use std::time::{Duration, Instant};

/// Timer settings of every transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// T1: RTT estimate, first retransmission interval (500 ms).
    pub t1: Duration,
    /// T2: the cap on non-INVITE and response retransmission intervals (4 s).
    pub t2: Duration,
    /// T4: how long the network may hold a message (5 s).
    pub t4: Duration,
    /// Most retransmissions of a non-INVITE request (`sip_retx`).
    pub max_retransmissions: u32,
    /// Most retransmissions of an INVITE (`sip_invite_retx`).
    pub max_invite_retransmissions: u32,
}

impl Default for TimerConfig {
    fn default() -> Self {
        Self::from(&SipTimers::default())
    }
}

impl From<&SipTimers> for TimerConfig {
    fn from(t: &SipTimers) -> Self {
        Self {
            t1: Duration::from_millis(u64::from(t.t1_ms)),
            t2: Duration::from_millis(u64::from(t.t2_ms)),
            t4: Duration::from_secs(5),
            max_retransmissions: t.sip_retx,
            max_invite_retransmissions: t.sip_invite_retx,
        }
    }
}

impl TimerConfig {
    /// 64·T1: Timers B, F, H, J, L and M.
    pub fn timeout(&self) -> Duration {
        self.t1 * 64
    }

    /// Timer D: how long a completed INVITE client transaction absorbs retransmitted
    /// final responses (at least 32 s over UDP).
    pub fn timer_d(&self) -> Duration {
        self.timeout().max(Duration::from_secs(32))
    }
}

/// The earlier of two optional deadlines.
pub fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
