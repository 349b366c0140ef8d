//! The SDP parser: bytes in, [`SessionDescription`] or a [`ParseError`] with a line number out.
//!
//! Tolerant where real phones are sloppy: CRLF or bare LF, a last line with or without its
//! line end, blank lines, `IP4`/`IP6` in any case, `a=ptime:20.0`, lines of unknown type,
//! session-level letters inside a media section (kept as [`RawLine`]s), no `t=` at all.
//! Strict where a wrong guess would misroute media: `v=0` first, exactly one `o=` (six
//! fields) and `s=` before the first `m=`, numeric ports, well-formed `c=`/`m=`/`b=`/`t=`
//! lines. The `o=` session id and version are kept as written (Cisco devices have sent
//! `(null)` there).
//! Bytes that are not UTF-8 are replaced (U+FFFD) rather than refused.

use super::attribute::number;
use super::model::{
    AddrType, Attribute, Bandwidth, Connection, MediaDescription, Origin, RawLine, SessionDescription, Timing,
};

/// What is wrong with an SDP body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Nothing but blank lines.
    #[error("empty session description")]
    Empty,
    /// A line is not `<letter>=<value>`.
    #[error("line is not <type>=<value>")]
    BadLine,
    /// The first line is not `v=`.
    #[error("the first line must be v=")]
    MissingVersion,
    /// `v=` is not `0`.
    #[error("unsupported protocol version (v= must be 0)")]
    BadVersion,
    /// No `o=` line before the first `m=`.
    #[error("missing o= line")]
    MissingOrigin,
    /// No `s=` line before the first `m=`.
    #[error("missing s= line")]
    MissingSessionName,
    /// A line that may appear once appears again.
    #[error("duplicate {0}= line")]
    Duplicate(char),
    /// The `o=` line is malformed.
    #[error("malformed o= line")]
    BadOrigin,
    /// A `c=` line is malformed.
    #[error("malformed c= line")]
    BadConnection,
    /// A `b=` line is malformed.
    #[error("malformed b= line")]
    BadBandwidth,
    /// A `t=` line is malformed.
    #[error("malformed t= line")]
    BadTiming,
    /// An `m=` line is malformed.
    #[error("malformed m= line")]
    BadMedia,
    /// An `a=` line has an empty name.
    #[error("malformed a= line")]
    BadAttribute,
}

/// A parse error and the 1-based line it was found on (for a missing line: the line where
/// it was expected, or one past the last line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("SDP line {line}: {kind}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub kind: ErrorKind,
}

/// Parses an SDP body.
pub fn parse(body: &[u8]) -> Result<SessionDescription, ParseError> {
    let text = String::from_utf8_lossy(body);
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.trim().is_empty())
        .peekable();
    let err = |line, kind| ParseError { line, kind };

    let Some(&(first_no, first)) = lines.peek() else {
        return Err(err(1, ErrorKind::Empty));
    };
    let (kind, value) = split_line(first).ok_or(err(first_no, ErrorKind::BadLine))?;
    if kind != 'v' {
        return Err(err(first_no, ErrorKind::MissingVersion));
    }
    if value.trim() != "0" {
        return Err(err(first_no, ErrorKind::BadVersion));
    }
    lines.next();

    let mut origin = None;
    let mut session_name = None;
    let mut connection = None;
    let mut bandwidths = Vec::new();
    let mut timings: Vec<Timing> = Vec::new();
    let mut attributes = Vec::new();
    let mut extra = Vec::new();
    let mut media: Vec<MediaDescription> = Vec::new();
    let mut last_line = first_no;

    for (no, line) in lines {
        last_line = no;
        let (kind, value) = split_line(line).ok_or(err(no, ErrorKind::BadLine))?;
        if kind == 'm' {
            if origin.is_none() {
                return Err(err(no, ErrorKind::MissingOrigin));
            }
            if session_name.is_none() {
                return Err(err(no, ErrorKind::MissingSessionName));
            }
            media.push(parse_media(value).ok_or(err(no, ErrorKind::BadMedia))?);
            continue;
        }
        if let Some(m) = media.last_mut() {
            match kind {
                'c' => m.connections.push(parse_connection(value).ok_or(err(no, ErrorKind::BadConnection))?),
                'b' => m.bandwidths.push(parse_bandwidth(value).ok_or(err(no, ErrorKind::BadBandwidth))?),
                'a' => m.attributes.push(parse_attribute(value).ok_or(err(no, ErrorKind::BadAttribute))?),
                _ => m.extra.push(RawLine { kind, value: value.to_owned() }),
            }
            continue;
        }
        match kind {
            'v' => return Err(err(no, ErrorKind::Duplicate('v'))),
            'o' => {
                if origin.is_some() {
                    return Err(err(no, ErrorKind::Duplicate('o')));
                }
                origin = Some(parse_origin(value).ok_or(err(no, ErrorKind::BadOrigin))?);
            }
            's' => {
                if session_name.is_some() {
                    return Err(err(no, ErrorKind::Duplicate('s')));
                }
                session_name = Some(value.to_owned());
            }
            'c' => {
                if connection.is_some() {
                    return Err(err(no, ErrorKind::Duplicate('c')));
                }
                connection = Some(parse_connection(value).ok_or(err(no, ErrorKind::BadConnection))?);
            }
            'b' => bandwidths.push(parse_bandwidth(value).ok_or(err(no, ErrorKind::BadBandwidth))?),
            't' => timings.push(parse_timing(value).ok_or(err(no, ErrorKind::BadTiming))?),
            'r' if !timings.is_empty() => {
                if let Some(t) = timings.last_mut() {
                    t.repeats.push(value.to_owned());
                }
            }
            'a' => attributes.push(parse_attribute(value).ok_or(err(no, ErrorKind::BadAttribute))?),
            _ => extra.push(RawLine { kind, value: value.to_owned() }),
        }
    }

    let missing_at = if media.is_empty() { last_line + 1 } else { last_line };
    let origin = origin.ok_or(err(missing_at, ErrorKind::MissingOrigin))?;
    let session_name = session_name.ok_or(err(missing_at, ErrorKind::MissingSessionName))?;
    // Canonical order: lines printed before c= first, the rest after (stable).
    extra.sort_by_key(|l: &RawLine| !session_before_connection(l.kind));
    for m in &mut media {
        m.extra.sort_by_key(|l: &RawLine| !media_before_connection(l.kind));
    }
    Ok(SessionDescription { origin, session_name, connection, bandwidths, timings, attributes, extra, media })
}

/// Session-level letters that come before `c=` in the canonical order (RFC 8866 §5).
pub(crate) fn session_before_connection(kind: char) -> bool {
    matches!(kind, 'i' | 'u' | 'e' | 'p')
}

/// Media-level letters that come before `c=` in the canonical order.
pub(crate) fn media_before_connection(kind: char) -> bool {
    kind == 'i'
}

/// `<letter>=<value>`: the type is one ASCII letter, `=` follows immediately.
fn split_line(line: &str) -> Option<(char, &str)> {
    let mut chars = line.chars();
    let kind = chars.next().filter(char::is_ascii_alphabetic)?;
    let rest = chars.as_str().strip_prefix('=')?;
    Some((kind.to_ascii_lowercase(), rest))
}

fn parse_origin(value: &str) -> Option<Origin> {
    let mut w = value.split_ascii_whitespace();
    let username = w.next()?;
    let session_id = w.next()?;
    let session_version = w.next()?;
    let net_type = w.next()?;
    let addr_type = w.next()?;
    let address = w.next()?;
    if w.next().is_some() {
        return None;
    }
    Some(Origin {
        username: username.to_owned(),
        session_id: session_id.to_owned(),
        session_version: session_version.to_owned(),
        net_type: net_type.to_owned(),
        addr_type: AddrType::from_token(addr_type),
        address: address.to_owned(),
    })
}

fn parse_connection(value: &str) -> Option<Connection> {
    let mut w = value.split_ascii_whitespace();
    let net_type = w.next()?;
    let addr_type = AddrType::from_token(w.next()?);
    let full = w.next()?;
    if w.next().is_some() {
        return None;
    }
    let mut parts = full.split('/');
    let address = parts.next().filter(|a| !a.is_empty())?;
    let first = parts.next();
    let second = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let (ttl, count) = match (&addr_type, first, second) {
        (_, None, _) => (None, None),
        (AddrType::Ip6, Some(n), None) => (None, Some(number(n)?)),
        (AddrType::Ip6, Some(_), Some(_)) => return None,
        (_, Some(t), None) => (Some(number(t)?), None),
        (_, Some(t), Some(n)) => (Some(number(t)?), Some(number(n)?)),
    };
    Some(Connection { net_type: net_type.to_owned(), addr_type, address: address.to_owned(), ttl, count })
}

fn parse_bandwidth(value: &str) -> Option<Bandwidth> {
    let (kind, bw) = value.split_once(':')?;
    let kind = kind.trim();
    if kind.is_empty() || kind.contains(char::is_whitespace) {
        return None;
    }
    Some(Bandwidth { kind: kind.to_owned(), value: number(bw.trim())? })
}

fn parse_timing(value: &str) -> Option<Timing> {
    let mut w = value.split_ascii_whitespace();
    let start = number(w.next()?)?;
    let stop = number(w.next()?)?;
    if w.next().is_some() {
        return None;
    }
    Some(Timing { start, stop, repeats: Vec::new() })
}

fn parse_media(value: &str) -> Option<MediaDescription> {
    let mut w = value.split_ascii_whitespace();
    let media = w.next()?;
    let port_field = w.next()?;
    let proto = w.next()?;
    let (port, port_count) = match port_field.split_once('/') {
        Some((p, n)) => (number(p)?, Some(number(n)?)),
        None => (number(port_field)?, None),
    };
    let mut m = MediaDescription::new(media, port, proto, w.map(str::to_owned).collect());
    m.port_count = port_count;
    Some(m)
}

fn parse_attribute(value: &str) -> Option<Attribute> {
    let (name, value) = match value.split_once(':') {
        Some((n, v)) => (n, Some(v.to_owned())),
        None => (value, None),
    };
    if name.is_empty() {
        return None;
    }
    Some(Attribute { name: name.to_owned(), value })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn e(body: &str) -> ParseError {
        parse(body.as_bytes()).unwrap_err()
    }

    const MIN: &str = "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\n";

    #[test]
    fn minimal_and_line_ends() {
        let a = parse(MIN.as_bytes()).unwrap();
        let b = parse(MIN.replace("\r\n", "\n").as_bytes()).unwrap();
        let c = parse(MIN.trim_end().as_bytes()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.origin.session_version, "2");
        assert_eq!(a.origin.version_number(), Some(2));
        assert!(a.timings.is_empty());
    }

    #[test]
    fn errors_carry_line_numbers() {
        assert_eq!(e(""), ParseError { line: 1, kind: ErrorKind::Empty });
        assert_eq!(e("\r\n\r\n"), ParseError { line: 1, kind: ErrorKind::Empty });
        assert_eq!(e("o=x\r\n").kind, ErrorKind::MissingVersion);
        assert_eq!(e("v=1\r\n").kind, ErrorKind::BadVersion);
        assert_eq!(e("v=0\r\nbogus\r\n"), ParseError { line: 2, kind: ErrorKind::BadLine });
        assert_eq!(e("v=0\r\ns=-\r\n"), ParseError { line: 3, kind: ErrorKind::MissingOrigin });
        assert_eq!(
            e("v=0\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\n"),
            ParseError { line: 3, kind: ErrorKind::MissingOrigin }
        );
        let base = MIN.to_owned();
        assert_eq!(e(&(base.clone() + "o=- 1 2 IN IP4 1.2.3.4\r\n")).kind, ErrorKind::Duplicate('o'));
        assert_eq!(
            e(&(base.clone() + "c=IN IP4\r\n")),
            ParseError { line: 4, kind: ErrorKind::BadConnection }
        );
        assert_eq!(e(&(base.clone() + "m=audio x RTP/AVP 0\r\n")).kind, ErrorKind::BadMedia);
        assert_eq!(e(&(base.clone() + "m=audio 70000 RTP/AVP 0\r\n")).kind, ErrorKind::BadMedia);
        assert_eq!(e(&(base.clone() + "b=AS\r\n")).kind, ErrorKind::BadBandwidth);
        assert_eq!(e(&(base.clone() + "t=0\r\n")).kind, ErrorKind::BadTiming);
        assert_eq!(e(&(base.clone() + "a=\r\n")).kind, ErrorKind::BadAttribute);
        assert_eq!(e("v=0\r\no=- 1 2 IN IP4 h x\r\ns=-\r\n").kind, ErrorKind::BadOrigin);
        assert_eq!(e("v=0\r\no=- 1 2 IN IP4\r\ns=-\r\n").kind, ErrorKind::BadOrigin);
    }

    #[test]
    fn connection_suffixes() {
        let c = parse_connection("IN IP4 233.252.0.1/127/3").unwrap();
        assert_eq!((c.ttl, c.count), (Some(127), Some(3)));
        let c = parse_connection("IN IP6 ff15::101/3").unwrap();
        assert_eq!((c.ttl, c.count), (None, Some(3)));
        assert!(parse_connection("IN IP6 ff15::101/3/2").is_none());
        assert!(parse_connection("IN IP4 1.2.3.4/300").is_none());
        let c = parse_connection("IN ip4 host.example.com").unwrap();
        assert_eq!(c.addr_type, AddrType::Ip4);
        assert_eq!(c.ip(), None);
    }

    #[test]
    fn unknown_lines_and_levels() {
        let body = format!(
            "{MIN}x=unknown\r\ni=info\r\nt=0 0\r\nr=7d 1h 0 25h\r\nm=audio 4000/2 RTP/AVP 0\r\nt=1 2\r\nk=prompt\r\ni=m\r\n"
        );
        let sd = parse(body.as_bytes()).unwrap();
        assert_eq!(sd.extra[0], RawLine { kind: 'i', value: "info".into() });
        assert_eq!(sd.extra[1].kind, 'x');
        assert_eq!(sd.timings[0].repeats, vec!["7d 1h 0 25h".to_owned()]);
        let m = &sd.media[0];
        assert_eq!((m.port, m.port_count), (4000, Some(2)));
        let kinds: Vec<char> = m.extra.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, vec!['i', 't', 'k']);
    }
}
