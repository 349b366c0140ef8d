//! Attributes typed on demand: `rtpmap`, `fmtp`, `ptime`, `maxptime`, the four direction
//! attributes, `rtcp` and `rtcp-mux`. Everything else is [`TypedAttribute::Other`].
//!
//! Typing borrows from the [`Attribute`] (no copies); a malformed value gives an
//! [`AttributeError`] instead of a panic or a silent default.

use super::model::{AddrType, Attribute, Connection};

/// Why an attribute value could not be typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttributeError {
    /// The attribute needs a value (`a=name:value`) and has none.
    #[error("attribute needs a value")]
    MissingValue,
    /// A direction attribute (or `rtcp-mux`) carries a value.
    #[error("attribute takes no value")]
    UnexpectedValue,
    /// The payload type is not a number in 0..=127.
    #[error("invalid payload type")]
    BadPayloadType,
    /// The `rtpmap` encoding is not `<name>/<rate>[/<params>]`.
    #[error("invalid rtpmap encoding")]
    BadEncoding,
    /// A number (clock rate, channels, ptime, port) is malformed or out of range.
    #[error("invalid number")]
    BadNumber,
    /// The address part of `a=rtcp` is not `<nettype> <addrtype> <address>`.
    #[error("invalid rtcp address")]
    BadAddress,
}

/// The media direction (RFC 3264 §5.1): what the side that wrote it is willing to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Send and receive (the default).
    SendRecv,
    /// Send only (e.g. the side that puts the call on hold).
    SendOnly,
    /// Receive only.
    RecvOnly,
    /// Neither.
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction for an attribute name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        [Direction::SendRecv, Direction::SendOnly, Direction::RecvOnly, Direction::Inactive]
            .into_iter()
            .find(|d| name.eq_ignore_ascii_case(d.as_str()))
    }

    /// The direction from two flags.
    pub const fn from_flags(sends: bool, receives: bool) -> Self {
        match (sends, receives) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    /// Whether media flows from the writer.
    pub const fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether media flows to the writer.
    pub const fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    /// The same stream seen from the other side: `sendonly` ⇄ `recvonly`
    /// (what an answer mirrors, RFC 3264 §6.1).
    pub const fn reversed(self) -> Self {
        Direction::from_flags(self.receives(), self.sends())
    }

    /// What both allow: sends only if both send, receives only if both receive.
    pub const fn intersect(self, other: Direction) -> Self {
        Direction::from_flags(self.sends() && other.sends(), self.receives() && other.receives())
    }
}

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rtpmap<'a> {
    /// The payload type.
    pub payload_type: u8,
    /// The encoding name as written (compare case-insensitively).
    pub encoding: &'a str,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Encoding parameters: the number of channels for audio.
    pub channels: Option<u16>,
}

impl Rtpmap<'_> {
    /// Whether this maps `name` (case-insensitive) at `rate`, mono.
    pub fn is(&self, name: &str, rate: u32) -> bool {
        self.encoding.eq_ignore_ascii_case(name)
            && self.clock_rate == rate
            && self.channels.is_none_or(|c| c == 1)
    }
}

/// `a=fmtp:<format> <parameters>` for an RTP payload type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fmtp<'a> {
    /// The payload type.
    pub payload_type: u8,
    /// The format parameters as written (e.g. `0-16` for telephone-event).
    pub params: &'a str,
}

/// `a=rtcp:<port> [<nettype> <addrtype> <address>]` (RFC 3605).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtcp {
    /// The RTCP port.
    pub port: u16,
    /// The RTCP address, when it differs from the media's.
    pub connection: Option<Connection>,
}

/// An attribute with its value typed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TypedAttribute<'a> {
    /// `a=rtpmap`.
    Rtpmap(Rtpmap<'a>),
    /// `a=fmtp` whose format is an RTP payload type.
    Fmtp(Fmtp<'a>),
    /// `a=ptime` in milliseconds.
    Ptime(u32),
    /// `a=maxptime` in milliseconds.
    Maxptime(u32),
    /// `a=sendrecv|sendonly|recvonly|inactive`.
    Direction(Direction),
    /// `a=rtcp`.
    Rtcp(Rtcp),
    /// `a=rtcp-mux` (RFC 5761).
    RtcpMux,
    /// Any other attribute (use [`Attribute::name`] / [`Attribute::value`]).
    Other,
}

impl Attribute {
    /// Types the attribute by its name (case-insensitive).
    pub fn typed(&self) -> Result<TypedAttribute<'_>, AttributeError> {
        let name = self.name.as_str();
        let value = self.value.as_deref();
        if let Some(direction) = Direction::from_name(name) {
            return match value {
                None => Ok(TypedAttribute::Direction(direction)),
                Some(_) => Err(AttributeError::UnexpectedValue),
            };
        }
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        if is("rtcp-mux") {
            return match value {
                None => Ok(TypedAttribute::RtcpMux),
                Some(_) => Err(AttributeError::UnexpectedValue),
            };
        }
        if !(is("rtpmap") || is("fmtp") || is("ptime") || is("maxptime") || is("rtcp")) {
            return Ok(TypedAttribute::Other);
        }
        let value = value.ok_or(AttributeError::MissingValue)?.trim();
        if is("rtpmap") {
            parse_rtpmap(value).map(TypedAttribute::Rtpmap)
        } else if is("fmtp") {
            let (pt, params) = split_first_word(value);
            Ok(TypedAttribute::Fmtp(Fmtp { payload_type: payload_type(pt)?, params }))
        } else if is("ptime") {
            milliseconds(value).map(TypedAttribute::Ptime)
        } else if is("maxptime") {
            milliseconds(value).map(TypedAttribute::Maxptime)
        } else {
            parse_rtcp(value).map(TypedAttribute::Rtcp)
        }
    }
}

/// Splits off the first space-separated word; the rest has leading spaces trimmed.
fn split_first_word(s: &str) -> (&str, &str) {
    match s.split_once([' ', '\t']) {
        Some((first, rest)) => (first, rest.trim_start()),
        None => (s, ""),
    }
}

fn payload_type(s: &str) -> Result<u8, AttributeError> {
    match number::<u8>(s) {
        Some(pt) if pt <= 127 => Ok(pt),
        _ => Err(AttributeError::BadPayloadType),
    }
}

/// A decimal number made of ASCII digits only (no sign, no spaces).
pub(crate) fn number<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `20`, or `20.0` as some phones write it (fraction dropped).
fn milliseconds(s: &str) -> Result<u32, AttributeError> {
    let whole = match s.split_once('.') {
        Some((whole, frac)) if frac.bytes().all(|b| b.is_ascii_digit()) => whole,
        Some(_) => return Err(AttributeError::BadNumber),
        None => s,
    };
    number(whole).ok_or(AttributeError::BadNumber)
}

fn parse_rtpmap(value: &str) -> Result<Rtpmap<'_>, AttributeError> {
    let (pt, encoding) = split_first_word(value);
    let payload_type = payload_type(pt)?;
    let mut parts = encoding.trim_end().split('/');
    let name = parts.next().filter(|n| !n.is_empty()).ok_or(AttributeError::BadEncoding)?;
    let rate = parts.next().ok_or(AttributeError::BadEncoding)?;
    let clock_rate = number(rate).ok_or(AttributeError::BadNumber)?;
    let channels = match parts.next() {
        Some(ch) => Some(number(ch).ok_or(AttributeError::BadNumber)?),
        None => None,
    };
    if parts.next().is_some() {
        return Err(AttributeError::BadEncoding);
    }
    Ok(Rtpmap { payload_type, encoding: name, clock_rate, channels })
}

fn parse_rtcp(value: &str) -> Result<Rtcp, AttributeError> {
    let mut words = value.split_ascii_whitespace();
    let port = words.next().and_then(number).ok_or(AttributeError::BadNumber)?;
    let connection = match (words.next(), words.next(), words.next(), words.next()) {
        (None, ..) => None,
        (Some(net), Some(addr_type), Some(address), None) => Some(Connection {
            net_type: net.to_owned(),
            addr_type: AddrType::from_token(addr_type),
            address: address.to_owned(),
            ttl: None,
            count: None,
        }),
        _ => return Err(AttributeError::BadAddress),
    };
    Ok(Rtcp { port, connection })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn typed(name: &str, value: Option<&str>) -> Result<TypedAttribute<'static>, AttributeError> {
        let a = Box::leak(Box::new(Attribute { name: name.to_owned(), value: value.map(str::to_owned) }));
        a.typed()
    }

    #[test]
    fn rtpmap_forms() {
        assert_eq!(
            typed("rtpmap", Some("111 opus/48000/2")),
            Ok(TypedAttribute::Rtpmap(Rtpmap {
                payload_type: 111,
                encoding: "opus",
                clock_rate: 48000,
                channels: Some(2)
            }))
        );
        let Ok(TypedAttribute::Rtpmap(r)) = typed("rtpmap", Some("0 pcmu/8000")) else { panic!("rtpmap") };
        assert!(r.is("PCMU", 8000));
        assert_eq!(typed("rtpmap", Some("128 X/8000")), Err(AttributeError::BadPayloadType));
        assert_eq!(typed("rtpmap", Some("96 X")), Err(AttributeError::BadEncoding));
        assert_eq!(typed("rtpmap", Some("96 X/y")), Err(AttributeError::BadNumber));
        assert_eq!(typed("rtpmap", Some("96 X/8000/1/2")), Err(AttributeError::BadEncoding));
        assert_eq!(typed("rtpmap", None), Err(AttributeError::MissingValue));
    }

    #[test]
    fn directions_and_flags() {
        assert_eq!(typed("inactive", None), Ok(TypedAttribute::Direction(Direction::Inactive)));
        assert_eq!(typed("SendOnly", None), Ok(TypedAttribute::Direction(Direction::SendOnly)));
        assert_eq!(typed("sendrecv", Some("x")), Err(AttributeError::UnexpectedValue));
        assert_eq!(typed("rtcp-mux", None), Ok(TypedAttribute::RtcpMux));
        assert_eq!(typed("label", Some("1")), Ok(TypedAttribute::Other));
        assert_eq!(Direction::SendOnly.reversed(), Direction::RecvOnly);
        assert_eq!(Direction::Inactive.reversed(), Direction::Inactive);
        assert_eq!(Direction::SendRecv.intersect(Direction::SendOnly), Direction::SendOnly);
        assert_eq!(Direction::RecvOnly.intersect(Direction::SendOnly), Direction::Inactive);
    }

    #[test]
    fn numbers_fmtp_rtcp() {
        assert_eq!(typed("ptime", Some("20")), Ok(TypedAttribute::Ptime(20)));
        assert_eq!(typed("ptime", Some("20.0")), Ok(TypedAttribute::Ptime(20)));
        assert_eq!(typed("ptime", Some("-1")), Err(AttributeError::BadNumber));
        assert_eq!(typed("maxptime", Some("150")), Ok(TypedAttribute::Maxptime(150)));
        assert_eq!(
            typed("fmtp", Some("101 0-16")),
            Ok(TypedAttribute::Fmtp(Fmtp { payload_type: 101, params: "0-16" }))
        );
        assert_eq!(
            typed("rtcp", Some("53020 IN IP6 2001:db8::1")),
            Ok(TypedAttribute::Rtcp(Rtcp {
                port: 53020,
                connection: Some(Connection {
                    net_type: "IN".into(),
                    addr_type: AddrType::Ip6,
                    address: "2001:db8::1".into(),
                    ttl: None,
                    count: None
                })
            }))
        );
        assert_eq!(
            typed("rtcp", Some("53020")),
            Ok(TypedAttribute::Rtcp(Rtcp { port: 53020, connection: None }))
        );
        assert_eq!(typed("rtcp", Some("70000")), Err(AttributeError::BadNumber));
        assert_eq!(typed("rtcp", Some("5 IN IP4")), Err(AttributeError::BadAddress));
    }
}
