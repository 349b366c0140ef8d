//! The typed session description: what the parser produces and the printer writes.
//!
//! Every field is owned, so a description can be built by hand (offers, answers) as easily
//! as parsed. Lines the model has no field for are kept as [`RawLine`]s; attributes are kept
//! in order as name/value pairs and typed on demand (see [`super::attribute`]).

use std::net::IpAddr;

use super::attribute::{Direction, Fmtp, Rtcp, Rtpmap, TypedAttribute};

/// A whole SDP session description (RFC 8866 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `o=`: who created the session and its version.
    pub origin: Origin,
    /// `s=`: the session name (`-` when there is none; `SIP Call` from a Cisco phone).
    pub session_name: String,
    /// Session-level `c=`, the default for every media description.
    pub connection: Option<Connection>,
    /// Session-level `b=` lines, in order.
    pub bandwidths: Vec<Bandwidth>,
    /// `t=` lines, each with its `r=` lines.
    pub timings: Vec<Timing>,
    /// Session-level `a=` lines, in order.
    pub attributes: Vec<Attribute>,
    /// Other session-level lines (`i=`, `u=`, `e=`, `p=`, `z=`, `k=`, unknown letters).
    pub extra: Vec<RawLine>,
    /// The media descriptions (`m=` sections), in order.
    pub media: Vec<MediaDescription>,
}

/// The `o=` line: `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// User name on the originating host (`-` when there is none).
    pub username: String,
    /// Session id: digits by the grammar, kept as written (it is only ever compared; real
    /// Cisco devices have been seen writing `(null)`).
    pub session_id: String,
    /// Session version: digits by the grammar, kept as written; it increases with every
    /// change a side makes (RFC 3264 §8). See [`Origin::version_number`].
    pub session_version: String,
    /// Network type, `IN` in practice.
    pub net_type: String,
    /// Address type of [`Origin::address`].
    pub addr_type: AddrType,
    /// Unicast address (or FQDN) of the originating host.
    pub address: String,
}

impl Origin {
    /// The address as an IP address, when it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        self.address.parse().ok()
    }

    /// The session version as a number, when it is one.
    pub fn version_number(&self) -> Option<u64> {
        super::attribute::number(&self.session_version)
    }

    /// Whether `other` names the same session: all fields equal except the version.
    pub fn same_session(&self, other: &Origin) -> bool {
        self.username == other.username
            && self.session_id == other.session_id
            && self.net_type == other.net_type
            && self.addr_type == other.addr_type
            && self.address == other.address
    }
}

/// The address type of an `o=` or `c=` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AddrType {
    /// `IP4`.
    Ip4,
    /// `IP6`.
    Ip6,
    /// Any other token, kept as written.
    Other(String),
}

impl AddrType {
    /// The address type for an IP address.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => AddrType::Ip4,
            IpAddr::V6(_) => AddrType::Ip6,
        }
    }

    /// The token as printed.
    pub fn as_str(&self) -> &str {
        match self {
            AddrType::Ip4 => "IP4",
            AddrType::Ip6 => "IP6",
            AddrType::Other(s) => s,
        }
    }

    /// Classifies a token; `IP4` and `IP6` are recognised in any case.
    pub fn from_token(token: &str) -> Self {
        if token.eq_ignore_ascii_case("IP4") {
            AddrType::Ip4
        } else if token.eq_ignore_ascii_case("IP6") {
            AddrType::Ip6
        } else {
            AddrType::Other(token.to_owned())
        }
    }
}

/// A `c=` line: `c=<nettype> <addrtype> <address>[/<ttl>][/<count>]`.
///
/// For `IP4` the first suffix is the multicast TTL and the second the number of addresses;
/// for `IP6` there is no TTL and a single suffix is the number of addresses (RFC 8866 §5.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Network type, `IN` in practice.
    pub net_type: String,
    /// Address type.
    pub addr_type: AddrType,
    /// The address (IP literal, or a domain name), without suffixes.
    pub address: String,
    /// Multicast TTL (never present for `IP6`).
    pub ttl: Option<u8>,
    /// Number of consecutive multicast addresses.
    pub count: Option<u32>,
}

impl Connection {
    /// A plain unicast `c=IN IP4|IP6 <ip>`.
    pub fn unicast(ip: IpAddr) -> Self {
        Connection {
            net_type: "IN".to_owned(),
            addr_type: AddrType::of(ip),
            address: ip.to_string(),
            ttl: None,
            count: None,
        }
    }

    /// The address as an IP address, when it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        self.address.parse().ok()
    }

    /// Whether this is the old-style hold address (`0.0.0.0`, or `::` for IPv6): "don't send".
    pub fn is_unspecified(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_unspecified())
    }
}

/// A `b=<bwtype>:<bandwidth>` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bandwidth {
    /// The bandwidth type (`AS`, `CT`, `TIAS`, ...), kept as written.
    pub kind: String,
    /// The value (kbit/s for `AS`/`CT`, bit/s for `TIAS`).
    pub value: u64,
}

/// A `t=<start> <stop>` line with the `r=` lines that follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    /// Start time (NTP seconds; 0 = unbounded).
    pub start: u64,
    /// Stop time (NTP seconds; 0 = unbounded).
    pub stop: u64,
    /// The values of the `r=` lines, kept as written.
    pub repeats: Vec<String>,
}

impl Timing {
    /// `t=0 0`: a permanent session, what every SIP phone sends.
    pub fn permanent() -> Self {
        Timing { start: 0, stop: 0, repeats: Vec::new() }
    }
}

/// An `a=<name>[:<value>]` line, kept as written; see [`Attribute::typed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute name (before the first `:`).
    pub name: String,
    /// The value after the first `:`, if there is a `:` (possibly empty).
    pub value: Option<String>,
}

impl Attribute {
    /// A property attribute without value, e.g. `a=sendrecv`.
    pub fn flag(name: &str) -> Self {
        Attribute { name: name.to_owned(), value: None }
    }

    /// A value attribute, e.g. `a=ptime:20`.
    pub fn with_value(name: &str, value: impl Into<String>) -> Self {
        Attribute { name: name.to_owned(), value: Some(value.into()) }
    }

    /// `a=rtpmap:<pt> <name>/<rate>[/<channels>]`.
    pub fn rtpmap(payload_type: u8, encoding: &str, clock_rate: u32, channels: Option<u16>) -> Self {
        let value = match channels {
            Some(ch) => format!("{payload_type} {encoding}/{clock_rate}/{ch}"),
            None => format!("{payload_type} {encoding}/{clock_rate}"),
        };
        Attribute::with_value("rtpmap", value)
    }

    /// `a=fmtp:<pt> <params>`.
    pub fn fmtp(payload_type: u8, params: &str) -> Self {
        Attribute::with_value("fmtp", format!("{payload_type} {params}"))
    }

    /// The direction attribute `a=sendrecv|sendonly|recvonly|inactive`.
    pub fn direction(direction: Direction) -> Self {
        Attribute::flag(direction.as_str())
    }
}

/// A line the model keeps as written (`i=`, `u=`, `e=`, `p=`, `z=`, `k=`, unknown letters,
/// or a session-level letter found inside a media section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLine {
    /// The type letter.
    pub kind: char,
    /// Everything after `=`.
    pub value: String,
}

/// An `m=` section: `m=<media> <port>[/<count>] <proto> <fmt> ...` and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// Media type: `audio`, `video`, `application`, ... kept as written.
    pub media: String,
    /// Transport port; 0 means the stream is rejected or disabled.
    pub port: u16,
    /// The `/<count>` suffix of the port, if any.
    pub port_count: Option<u16>,
    /// Transport protocol: `RTP/AVP`, `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`, `udptl`, ...
    pub proto: String,
    /// Media formats: RTP payload type numbers for RTP protocols, tokens otherwise.
    pub formats: Vec<String>,
    /// Media-level `c=` lines (several only for multicast).
    pub connections: Vec<Connection>,
    /// Media-level `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// Media-level `a=` lines, in order.
    pub attributes: Vec<Attribute>,
    /// Other lines of this section (`i=`, `k=`, unknown letters), kept as written.
    pub extra: Vec<RawLine>,
}

impl MediaDescription {
    /// A media description with no connection, bandwidth, attribute or extra lines.
    pub fn new(media: &str, port: u16, proto: &str, formats: Vec<String>) -> Self {
        MediaDescription {
            media: media.to_owned(),
            port,
            port_count: None,
            proto: proto.to_owned(),
            formats,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            attributes: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// Whether this is an `audio` stream.
    pub fn is_audio(&self) -> bool {
        self.media.eq_ignore_ascii_case("audio")
    }

    /// Whether the protocol is plain `RTP/AVP` (RFC 3551), the only one we speak.
    pub fn is_rtp_avp(&self) -> bool {
        self.proto.eq_ignore_ascii_case("RTP/AVP")
    }

    /// The formats that are RTP payload type numbers (0..=127), in order.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats.iter().filter_map(|f| f.parse::<u8>().ok().filter(|pt| *pt <= 127))
    }

    /// The first attribute with this name (case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// Every well-formed `a=rtpmap`, in order (malformed ones are skipped).
    pub fn rtpmaps(&self) -> impl Iterator<Item = Rtpmap<'_>> + '_ {
        self.attributes.iter().filter_map(|a| match a.typed() {
            Ok(TypedAttribute::Rtpmap(r)) => Some(r),
            _ => None,
        })
    }

    /// The `a=rtpmap` for one payload type.
    pub fn rtpmap(&self, payload_type: u8) -> Option<Rtpmap<'_>> {
        self.rtpmaps().find(|r| r.payload_type == payload_type)
    }

    /// The `a=fmtp` for one payload type.
    pub fn fmtp(&self, payload_type: u8) -> Option<Fmtp<'_>> {
        self.attributes.iter().find_map(|a| match a.typed() {
            Ok(TypedAttribute::Fmtp(f)) if f.payload_type == payload_type => Some(f),
            _ => None,
        })
    }

    /// `a=ptime` in milliseconds.
    pub fn ptime(&self) -> Option<u32> {
        self.attributes.iter().find_map(|a| match a.typed() {
            Ok(TypedAttribute::Ptime(p)) => Some(p),
            _ => None,
        })
    }

    /// `a=maxptime` in milliseconds.
    pub fn maxptime(&self) -> Option<u32> {
        self.attributes.iter().find_map(|a| match a.typed() {
            Ok(TypedAttribute::Maxptime(p)) => Some(p),
            _ => None,
        })
    }

    /// `a=rtcp` (RFC 3605).
    pub fn rtcp(&self) -> Option<Rtcp> {
        self.attributes.iter().find_map(|a| match a.typed() {
            Ok(TypedAttribute::Rtcp(r)) => Some(r),
            _ => None,
        })
    }

    /// The direction attribute at media level, if any (the last one wins).
    pub fn direction_attribute(&self) -> Option<Direction> {
        direction_of(&self.attributes)
    }
}

/// The last direction attribute in a list, if any.
pub(crate) fn direction_of(attributes: &[Attribute]) -> Option<Direction> {
    attributes.iter().rev().find_map(|a| match a.typed() {
        Ok(TypedAttribute::Direction(d)) => Some(d),
        _ => None,
    })
}

impl SessionDescription {
    /// The effective direction of media description `index`: its own attribute, else the
    /// session-level one, else `sendrecv` (RFC 3264 §5.1). `None` if there is no such index.
    pub fn media_direction(&self, index: usize) -> Option<Direction> {
        let media = self.media.get(index)?;
        Some(
            media
                .direction_attribute()
                .or_else(|| direction_of(&self.attributes))
                .unwrap_or(Direction::SendRecv),
        )
    }

    /// The effective connection of media description `index`: its first `c=`, else the
    /// session-level one.
    pub fn media_connection(&self, index: usize) -> Option<&Connection> {
        let media = self.media.get(index)?;
        media.connections.first().or(self.connection.as_ref())
    }

    /// The first session-level attribute with this name (case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }
}
