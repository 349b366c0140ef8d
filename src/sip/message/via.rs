//! The Via header (RFC 3261 §20.42, §18.2.1, RFC 3581 `rport`): sent-protocol, sent-by,
//! and the branch/received/rport/maddr/ttl parameters. One header line may carry several
//! comma-separated values.

use std::fmt;

use super::error::{ErrorKind, ValueError};
use super::lex::{Cursor, parse_list, parse_u64};
use super::params::Params;
use super::uri::{Host, parse_host, parse_port};

/// The RFC 3261 branch magic cookie.
pub const MAGIC_COOKIE: &[u8] = b"z9hG4bK";

/// A Via transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport<'a> {
    /// `UDP`
    Udp,
    /// `TCP`
    Tcp,
    /// `TLS`
    Tls,
    /// `SCTP`
    Sctp,
    /// `WS` (RFC 7118)
    Ws,
    /// `WSS` (RFC 7118)
    Wss,
    /// Any other token, as written.
    Other(&'a [u8]),
}

impl<'a> Transport<'a> {
    /// Classifies a transport token (ignoring case).
    pub fn from_bytes(b: &'a [u8]) -> Transport<'a> {
        const KNOWN: [(&[u8], Transport<'static>); 6] = [
            (b"UDP", Transport::Udp),
            (b"TCP", Transport::Tcp),
            (b"TLS", Transport::Tls),
            (b"SCTP", Transport::Sctp),
            (b"WS", Transport::Ws),
            (b"WSS", Transport::Wss),
        ];
        KNOWN.iter().find(|(n, _)| n.eq_ignore_ascii_case(b)).map_or(Transport::Other(b), |&(_, t)| t)
    }

    /// The canonical (upper-case) name.
    pub const fn as_bytes(&self) -> &'a [u8] {
        match self {
            Transport::Udp => b"UDP",
            Transport::Tcp => b"TCP",
            Transport::Tls => b"TLS",
            Transport::Sctp => b"SCTP",
            Transport::Ws => b"WS",
            Transport::Wss => b"WSS",
            Transport::Other(b) => b,
        }
    }
}

/// One Via value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    /// Protocol name (`SIP`).
    pub protocol: &'a [u8],
    /// Protocol version (`2.0`).
    pub version: &'a [u8],
    /// Transport.
    pub transport: Transport<'a>,
    /// sent-by host.
    pub host: Host<'a>,
    /// sent-by port.
    pub port: Option<u16>,
    /// `branch` parameter.
    pub branch: Option<&'a [u8]>,
    /// `received` parameter, raw (an IPv6 address may come with or without brackets).
    pub received: Option<&'a [u8]>,
    /// `rport` parameter: `Some(None)` when present without a value (RFC 3581 request).
    pub rport: Option<Option<u16>>,
    /// `maddr` parameter.
    pub maddr: Option<&'a [u8]>,
    /// `ttl` parameter (0..=255).
    pub ttl: Option<u8>,
    /// All parameters, in order, including the ones above.
    pub params: Params<'a>,
}

impl<'a> Via<'a> {
    /// Parses all Via values of one header line.
    pub fn parse_list(value: &'a [u8]) -> Result<Vec<Via<'a>>, ValueError> {
        parse_list(value, Via::parse_at)
    }

    /// Parses one Via value at the cursor (stops before a `,` or the end).
    pub fn parse_at(cur: &mut Cursor<'a>) -> Result<Via<'a>, ValueError> {
        let protocol = cur.token()?;
        if !cur.eat_sep(b'/') {
            return Err(cur.err_or_end(ErrorKind::UnexpectedChar));
        }
        let version = cur.token()?;
        if !cur.eat_sep(b'/') {
            return Err(cur.err_or_end(ErrorKind::UnexpectedChar));
        }
        let transport = Transport::from_bytes(cur.token()?);
        if !cur.skip_ws() {
            return Err(cur.err_or_end(ErrorKind::UnexpectedChar));
        }
        let host = parse_host(cur)?;
        let port = parse_port(cur)?;
        let params = Params::parse(cur)?;
        let mut via = Via {
            protocol,
            version,
            transport,
            host,
            port,
            branch: None,
            received: None,
            rport: None,
            maddr: None,
            ttl: None,
            params,
        };
        // Offsets of parameter errors point at the start of the parameters.
        let perr = |kind| ValueError::new(kind, cur.pos().saturating_sub(params.raw().len()));
        for p in params.iter() {
            let n = p.name;
            if n.eq_ignore_ascii_case(b"branch") {
                via.branch = Some(p.value.ok_or(perr(ErrorKind::EmptyElement))?);
            } else if n.eq_ignore_ascii_case(b"received") {
                via.received = Some(p.value.ok_or(perr(ErrorKind::EmptyElement))?);
            } else if n.eq_ignore_ascii_case(b"maddr") {
                via.maddr = Some(p.value.ok_or(perr(ErrorKind::EmptyElement))?);
            } else if n.eq_ignore_ascii_case(b"rport") {
                via.rport = Some(match p.value {
                    None => None,
                    Some(v) => Some(
                        parse_u64(v, u64::from(u16::MAX))
                            .and_then(|n| u16::try_from(n).ok())
                            .ok_or(perr(ErrorKind::BadPort))?,
                    ),
                });
            } else if n.eq_ignore_ascii_case(b"ttl") {
                let v = p.value.ok_or(perr(ErrorKind::EmptyElement))?;
                via.ttl = Some(
                    parse_u64(v, 255)
                        .and_then(|n| u8::try_from(n).ok())
                        .ok_or(perr(ErrorKind::NumberOutOfRange))?,
                );
            }
        }
        Ok(via)
    }

    /// Whether the branch starts with the RFC 3261 magic cookie `z9hG4bK`.
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch.is_some_and(|b| b.starts_with(MAGIC_COOKIE))
    }

    /// The sent-by port, or the transport default (5061 for TLS/WSS, else 5060).
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(match self.transport {
            Transport::Tls | Transport::Wss => 5061,
            _ => 5060,
        })
    }
}

/// Prints a Via value in canonical form: `SIP/2.0/UDP host:port;params`.
impl fmt::Display for Via<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        write!(f, "{}/{}/{} {}", s(self.protocol), s(self.version), s(self.transport.as_bytes()), self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        for p in self.params.iter() {
            write!(f, ";{}", s(p.name))?;
            if let Some(v) = p.value {
                write!(f, "={}", s(v))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn simple() {
        let v =
            Via::parse_list(b"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;rport;received=1.2.3.4").unwrap();
        assert_eq!(v.len(), 1);
        let v = v[0];
        assert_eq!(v.transport, Transport::Udp);
        assert_eq!(v.host, Host::Ipv4(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!(v.port, Some(5060));
        assert_eq!(v.branch, Some(&b"z9hG4bK776"[..]));
        assert_eq!(v.rport, Some(None));
        assert_eq!(v.received, Some(&b"1.2.3.4"[..]));
        assert!(v.has_rfc3261_branch());
        assert_eq!(v.to_string(), "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;rport;received=1.2.3.4");
    }

    #[test]
    fn folded_list() {
        let raw = b"SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8  ,\r\n SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239";
        let v = Via::parse_list(raw).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].transport, Transport::Tcp);
        assert_eq!(v[0].branch, Some(&b"z9hG4bK9ikj8"[..]));
        assert_eq!(v[1].branch, Some(&b"z9hG4bK30239"[..]));
    }

    #[test]
    fn ipv6_and_rport_value() {
        let v = Via::parse_list(
            b"SIP/2.0/UDP [2001:db8::9:1]:6050;received=2001:db8::9:255;rport=7;ttl=16;maddr=224.2.0.1",
        )
        .unwrap();
        assert_eq!(v[0].host, Host::Ipv6("2001:db8::9:1".parse::<Ipv6Addr>().unwrap()));
        assert_eq!(v[0].port, Some(6050));
        assert_eq!(v[0].received, Some(&b"2001:db8::9:255"[..]));
        assert_eq!(v[0].rport, Some(Some(7)));
        assert_eq!(v[0].ttl, Some(16));
        let v = Via::parse_list(b"SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255]").unwrap();
        assert_eq!(v[0].received, Some(&b"[2001:db8::9:255]"[..]));
    }

    #[test]
    fn unknown_transport_and_errors() {
        let v = Via::parse_list(b"SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en").unwrap();
        assert_eq!(v[0].transport, Transport::Other(b"UNKNOWN"));
        for bad in [
            &b"SIP/2.0/UDP 192.0.2.15;;,;,,"[..],
            b"SIP/2.0/UDP",
            b"SIP/2.0 host",
            b"SIP/2.0/UDP host;ttl=300",
            b"SIP/2.0/UDP host;rport=x",
            b"SIP/2.0/UDP host,",
            b"SIP/2.0/UDP host junk",
        ] {
            assert!(Via::parse_list(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
