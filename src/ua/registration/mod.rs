//! Registration: one agent per provisioned line, plus line 1 at `proxy_backup`, and the
//! `sh reg` view of them.

pub mod agent;
pub mod request;
pub mod table;

pub use agent::{Action, Agent, AuthMark, Ctx};

use crate::sip::auth::AuthError;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// Which registration: a line at its proxy, or line 1 at `proxy_backup` (row `1-BU`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Binding {
    /// Line N (1-based) at `proxyN_address` (or `proxy1_address`).
    Line(usize),
    /// Line 1 at `proxy_backup`.
    Backup,
}

impl Binding {
    /// The 0-based index of the line whose credentials are used.
    pub fn line_index(self) -> usize {
        match self {
            Self::Line(n) => n.saturating_sub(1),
            Self::Backup => 0,
        }
    }
}

impl fmt::Display for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Line(n) => write!(f, "{n}"),
            Self::Backup => f.write_str("1-BU"),
        }
    }
}

/// The `state` column of `sh reg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegState {
    /// Never tried.
    None,
    /// A REGISTER is in flight and nothing is registered.
    Registering,
    /// Registered (a refresh may be in flight).
    Registered,
    /// An un-REGISTER is in flight.
    Unregistering,
    /// Un-registered on purpose.
    Unregistered,
    /// The last attempt failed; a retry is scheduled.
    Failed,
}

impl RegState {
    /// As the firmware prints it.
    pub fn word(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Registering => "REGISTERING",
            Self::Registered => "REGISTERED",
            Self::Unregistering => "UNREGISTERING",
            Self::Unregistered => "UNREGISTERED",
            Self::Failed => "FAILED",
        }
    }
}

impl fmt::Display for RegState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// Why a registration is not up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No proxy address for the line.
    NoProxy,
    /// The proxy's name did not resolve.
    Resolve {
        /// The name.
        host: String,
        /// The resolver's words.
        error: String,
    },
    /// No final response (Timer F).
    Timeout {
        /// The proxy as configured (`host:port`).
        host: String,
        /// The address it resolved to.
        to: String,
        /// How many times the REGISTER was sent.
        tries: u32,
    },
    /// A final response that is not success.
    Status {
        /// The status code.
        code: u16,
        /// Its reason phrase, as received.
        reason: String,
    },
    /// The credentials were refused, or the challenge could not be answered.
    Auth {
        /// 401 or 407.
        code: u16,
        /// The digest user.
        user: String,
        /// What went wrong.
        error: AuthError,
    },
    /// The registrar granted less than 60 s + `timer_register_delta`.
    GrantTooShort {
        /// The grant in seconds.
        granted: u32,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoProxy => f.write_str("no proxy address configured"),
            Self::Resolve { host, error } => write!(f, "cannot resolve {host}: {error}"),
            Self::Timeout { host, to, tries } => {
                write!(f, "no answer from {host} ({to}) after {tries} tries — is UDP blocked on the way?")
            }
            Self::Status { code, reason } => write!(f, "{code} {reason}"),
            Self::Auth { code, user, error } => {
                write!(f, "{code} challenge for {user} not answerable: {error}")
            }
            Self::GrantTooShort { granted } => {
                write!(f, "the registrar granted only {granted} s; under 60 s counts as a failure")
            }
        }
    }
}

/// One row of `sh reg`, plus the details the probe reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The row.
    pub binding: Binding,
    /// State.
    pub state: RegState,
    /// The A of APR.
    pub auth: AuthMark,
    /// The P of APR.
    pub provisioned: bool,
    /// Refresh period: grant − delta (0 unless registered).
    pub timer: u32,
    /// Seconds until the binding runs out.
    pub expires_left: u64,
    /// The registrar (`host:port`), if configured.
    pub proxy: Option<String>,
    /// Where the REGISTER went.
    pub destination: Option<SocketAddr>,
    /// The Contact we registered.
    pub contact: Option<SocketAddr>,
    /// The Contacts the registrar returned.
    pub stored_contacts: Vec<String>,
    /// `received=` in the last response's top Via.
    pub received: Option<String>,
    /// `rport=` in the last response's top Via.
    pub rport: Option<u16>,
    /// Why it is not registered (or what went wrong last).
    pub last_failure: Option<Failure>,
    /// Round trip of the last REGISTER.
    pub rtt: Option<Duration>,
    /// First REGISTER to 2xx of the last fresh registration (challenge included).
    pub setup_time: Option<Duration>,
    /// The grant in seconds.
    pub granted: u32,
    /// When the next attempt is due, if one is scheduled.
    pub retry_in: Option<Duration>,
}

impl Snapshot {
    /// The APR column: Authenticated, Provisioned, Registered.
    pub fn apr(&self) -> String {
        let a = match self.auth {
            AuthMark::None => '.',
            AuthMark::Sent => '1',
            AuthMark::Failed => 'x',
        };
        let p = if self.provisioned { '1' } else { '.' };
        let r = if self.state == RegState::Registered { '1' } else { 'x' };
        format!("{a}{p}{r}")
    }
}
