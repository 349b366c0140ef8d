//! Addresses in CNF files: a dotted IP or a DNS name, never a placeholder.

use std::fmt;
use std::net::IpAddr;
use thiserror::Error;

/// A proxy, NAT or server address: an IP address or a DNS host name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A literal IPv4 or IPv6 address.
    Ip(IpAddr),
    /// A DNS name, as written (case kept).
    Name(String),
}

/// Why a text is not a [`Host`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HostError {
    /// An example address whose letters stand for digits (`10.x.x.3`, `y.y.y.y`).
    #[error("is a placeholder from an example (the letters stand for digits)")]
    Placeholder,
    /// Dotted numbers that do not make an IPv4 address (`10.0.0.300`).
    #[error("looks like an IPv4 address but is not one")]
    BadIpv4,
    /// Not a valid DNS name.
    #[error("is neither an IP address nor a host name")]
    NotAHost,
}

impl Host {
    /// Parses an address as the 7940 takes it. `[v6]` brackets are accepted.
    pub fn parse(text: &str) -> Result<Self, HostError> {
        let bare = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(text);
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return Ok(Self::Ip(ip));
        }
        if is_placeholder(text) {
            return Err(HostError::Placeholder);
        }
        let name = text.strip_suffix('.').unwrap_or(text);
        let labels: Vec<&str> = name.split('.').collect();
        if labels.iter().all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit())) {
            return Err(HostError::BadIpv4);
        }
        let label_ok = |l: &&str| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        let last_numeric = labels.last().is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
        if name.len() > 253 || !labels.iter().all(label_ok) || last_numeric {
            return Err(HostError::NotAHost);
        }
        Ok(Self::Name(text.to_owned()))
    }

    /// The IP address, when the host is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Self::Ip(ip) => Some(*ip),
            Self::Name(_) => None,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(ip) => ip.fmt(f),
            Self::Name(name) => f.write_str(name),
        }
    }
}

/// Example addresses copied from web pages: four dotted parts mixing digits with letters
/// that stand for digits (`10.x.x.3`, `194.223.xxx.yyy`), or single letters only
/// (`y.y.y.y`, `a.b.c.d`).
pub fn is_placeholder(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 4 {
        return false;
    }
    let digits = |p: &&str| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    let stand_in = |p: &&str| {
        let mut bytes = p.bytes().map(|b| b.to_ascii_lowercase());
        let first = bytes.next();
        (1..=3).contains(&p.len())
            && matches!(first, Some(b'x' | b'y' | b'z' | b'n'))
            && bytes.all(|b| Some(b) == first)
    };
    let single_letter = |p: &&str| p.len() == 1 && p.bytes().all(|b| b.is_ascii_alphabetic());
    let mixed = parts.iter().all(|p| digits(p) || stand_in(p)) && parts.iter().any(stand_in);
    mixed || parts.iter().all(single_letter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(Host::parse("10.0.0.3"), Ok(Host::Ip("10.0.0.3".parse().unwrap())));
        assert_eq!(Host::parse("[::1]"), Ok(Host::Ip("::1".parse().unwrap())));
        assert_eq!(Host::parse("sipgate.co.uk"), Ok(Host::Name("sipgate.co.uk".into())));
        assert_eq!(Host::parse("localhost"), Ok(Host::Name("localhost".into())));
        assert_eq!(Host::parse("sip.abc.co.uk"), Ok(Host::Name("sip.abc.co.uk".into())));
        assert_eq!(Host::parse("USECALLMANAGER"), Ok(Host::Name("USECALLMANAGER".into())));
    }

    #[test]
    fn placeholders_from_the_seed() {
        for p in ["10.x.x.3", "10.x.x.1", "y.y.y.y", "194.223.x.x", "192.168.1.xxx", "a.b.c.d"] {
            assert_eq!(Host::parse(p), Err(HostError::Placeholder), "{p}");
        }
    }

    #[test]
    fn malformed() {
        assert_eq!(Host::parse("10.0.0.300"), Err(HostError::BadIpv4));
        assert_eq!(Host::parse("1.2.3"), Err(HostError::BadIpv4));
        for bad in ["", "a..b", "-a.com", "a b", "foo.123", "sip:host", "a.b-"] {
            assert!(Host::parse(bad).is_err(), "{bad}");
        }
    }
}
