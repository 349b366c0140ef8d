//! The wire of the simulated world (`world.rs`): links with loss, delay and jitter, the
//! log of every datagram sent and what became of it, and filters that pick datagrams out
//! (to drop them on purpose or to count them).
//!
//! ```text
//!   send ─▶ drop rule matches? ─yes─▶ Dropped
//!             │ no
//!             ▼
//!           link loss (seeded)? ─yes─▶ Lost
//!             │ no
//!             ▼
//!           in flight for delay + jitter ─▶ Delivered(at) │ Unroutable
//! ```

use sip7940::sip::message::{Datagram, parse_datagram};
use std::net::SocketAddr;
use std::time::Duration;

/// One direction of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// Percentage of datagrams lost (seeded).
    pub loss_percent: u8,
    /// Fixed one-way delay.
    pub delay: Duration,
    /// Up to this much more, uniformly (so datagrams can overtake each other).
    pub jitter: Duration,
}

impl Default for Link {
    fn default() -> Self {
        Link { loss_percent: 0, delay: Duration::from_millis(10), jitter: Duration::ZERO }
    }
}

/// What a datagram is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// A request, by method.
    Request(String),
    /// A response: status and the CSeq method.
    Response(u16, String),
    /// A CRLF keep-alive.
    KeepAlive,
    /// Anything else.
    Garbage,
}

impl What {
    /// Classifies a datagram.
    pub fn of(bytes: &[u8]) -> What {
        match parse_datagram(bytes) {
            Ok(Datagram::KeepAlive) => What::KeepAlive,
            Ok(Datagram::Message(m)) => match (m.method(), m.status_code()) {
                (Some(method), _) => What::Request(String::from_utf8_lossy(method.as_bytes()).into_owned()),
                (None, Some(code)) => {
                    let method = m.cseq().map(|c| c.method.as_bytes().to_vec()).unwrap_or_default();
                    What::Response(code, String::from_utf8_lossy(&method).into_owned())
                }
                (None, None) => What::Garbage,
            },
            Err(_) => What::Garbage,
        }
    }
}

/// What became of a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Still on its way.
    InFlight,
    /// Delivered at this time (since the start).
    Delivered(Duration),
    /// Lost to the link's loss rate.
    Lost,
    /// Dropped by a [`World::drop_next`] rule.
    Dropped,
    /// Sent to an address nobody has.
    Unroutable,
}

/// One datagram sent in the world.
#[derive(Debug, Clone)]
pub struct Wire {
    /// When it was sent (since the start).
    pub sent: Duration,
    /// Sender.
    pub from: SocketAddr,
    /// Destination.
    pub to: SocketAddr,
    /// What it is.
    pub what: What,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// What became of it.
    pub fate: Fate,
}

impl Wire {
    /// The bytes as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// Whether it was delivered.
    pub fn delivered(&self) -> bool {
        matches!(self.fate, Fate::Delivered(_))
    }

    /// When it was delivered (since the start), if it was.
    pub fn fate_time(&self) -> Option<Duration> {
        match self.fate {
            Fate::Delivered(at) => Some(at),
            _ => None,
        }
    }
}

/// Which datagrams a rule or a count is about; unset fields match anything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    what: Option<What>,
    from: Option<SocketAddr>,
    to: Option<SocketAddr>,
    custom: Option<fn(&Wire) -> bool>,
}

impl Filter {
    /// Requests of `method`.
    pub fn request(method: &str) -> Filter {
        Filter { what: Some(What::Request(method.into())), ..Filter::default() }
    }

    /// `code` responses to `method`.
    pub fn response(code: u16, method: &str) -> Filter {
        Filter { what: Some(What::Response(code, method.into())), ..Filter::default() }
    }

    /// Any datagram.
    pub fn any() -> Filter {
        Filter::default()
    }

    /// Only those sent by `addr`.
    pub fn from(mut self, addr: SocketAddr) -> Filter {
        self.from = Some(addr);
        self
    }

    /// Only those sent to `addr`.
    pub fn to(mut self, addr: SocketAddr) -> Filter {
        self.to = Some(addr);
        self
    }

    /// Only those `f` accepts too.
    pub fn and(mut self, f: fn(&Wire) -> bool) -> Filter {
        self.custom = Some(f);
        self
    }

    /// Whether `w` matches.
    pub fn matches(&self, w: &Wire) -> bool {
        self.what.as_ref().is_none_or(|what| *what == w.what)
            && self.from.is_none_or(|a| a == w.from)
            && self.to.is_none_or(|a| a == w.to)
            && self.custom.is_none_or(|f| f(w))
    }
}
