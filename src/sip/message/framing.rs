//! Framing (RFC 3261 §18.3): where a message ends in a UDP datagram or on a stream, and
//! the Content-Length rules (missing, negative, non-numeric, conflicting, too large).

use super::error::{ErrorKind, ParseError};
use super::header_name::HeaderName;
use super::parse::{Message, parse_head};

/// Largest header section accepted on a stream before giving up waiting for its end.
pub const MAX_HEAD_LEN: usize = 64 * 1024;

/// What a datagram held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Datagram<'a> {
    /// Only CR/LF bytes: a keep-alive (RFC 5626 §3.5.1), not an error.
    KeepAlive,
    /// A message.
    Message(Message<'a>),
}

/// What the front of a stream buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFrame {
    /// Not enough bytes yet.
    NeedMore,
    /// `len` bytes of CR/LF keep-alive to consume.
    KeepAlive {
        /// Bytes to consume.
        len: usize,
    },
    /// A complete message of `len` bytes (including any leading CRLFs) is at the front.
    Message {
        /// Bytes to hand to [`parse_datagram`] and consume.
        len: usize,
    },
}

/// The Content-Length of a parsed head: `None` when absent; an error when invalid or when
/// several values disagree.
pub fn content_length(msg: &Message<'_>) -> Result<Option<u32>, ParseError> {
    let mut found: Option<u32> = None;
    for h in msg.headers.iter().filter(|h| h.is(HeaderName::ContentLength)) {
        let n = h.parse_with(super::scalar::parse_content_length).map_err(|mut e| {
            e.kind = ErrorKind::BadContentLength;
            e
        })?;
        match found {
            Some(m) if m != n => {
                return Err(ParseError::new(ErrorKind::ConflictingContentLength, h.line(), 1));
            }
            _ => found = Some(n),
        }
    }
    Ok(found)
}

/// Parses one UDP datagram (RFC 3261 §18.3): leading CRLFs skipped; only CR/LF is a
/// keep-alive; a body shorter than Content-Length is an error; bytes after Content-Length
/// are ignored; without Content-Length the body is the rest of the datagram.
pub fn parse_datagram(buf: &[u8]) -> Result<Datagram<'_>, ParseError> {
    if !buf.is_empty() && buf.iter().all(|&b| b == b'\r' || b == b'\n') {
        return Ok(Datagram::KeepAlive);
    }
    let (mut msg, body_at) = parse_head(buf, true)?;
    if let Some(cl) = content_length(&msg)? {
        let cl = usize::try_from(cl).unwrap_or(usize::MAX);
        msg.body = buf
            .get(body_at..body_at.saturating_add(cl))
            .filter(|b| b.len() == cl)
            .ok_or_else(|| ParseError::at_offset(ErrorKind::BodyTooShort, buf, buf.len()))?;
    }
    Ok(Datagram::Message(msg))
}

/// Like [`parse_datagram`] but never fails on framing: the body is whatever follows the
/// head. Use it to build a 400 for a request whose Content-Length is wrong.
pub fn parse_lenient(buf: &[u8]) -> Result<Message<'_>, ParseError> {
    parse_head(buf, true).map(|(m, _)| m)
}

/// Frames the front of a stream buffer (RFC 3261 §18.3): Content-Length is mandatory.
/// Never allocates in proportion to the declared length.
pub fn frame_stream(buf: &[u8]) -> Result<StreamFrame, ParseError> {
    let lead = buf.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
    if lead == buf.len() {
        return Ok(if lead == 0 { StreamFrame::NeedMore } else { StreamFrame::KeepAlive { len: lead } });
    }
    if lead > 0 {
        return Ok(StreamFrame::KeepAlive { len: lead });
    }
    let head_end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .or_else(|| buf.windows(2).position(|w| w == b"\n\n").map(|p| p + 2));
    let Some(head_end) = head_end else {
        if buf.len() > MAX_HEAD_LEN {
            return Err(ParseError::new(ErrorKind::UnterminatedHead, 1, 1));
        }
        return Ok(StreamFrame::NeedMore);
    };
    let (msg, _) = parse_head(buf.get(..head_end).unwrap_or_default(), false)?;
    let cl = content_length(&msg)?.ok_or(ParseError::new(ErrorKind::MissingContentLength, 1, 1))?;
    let total = head_end.saturating_add(usize::try_from(cl).unwrap_or(usize::MAX));
    Ok(if buf.len() < total { StreamFrame::NeedMore } else { StreamFrame::Message { len: total } })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    fn msg(buf: &[u8]) -> Message<'_> {
        match parse_datagram(buf).unwrap() {
            Datagram::Message(m) => m,
            Datagram::KeepAlive => panic!("keep-alive"),
        }
    }

    #[test]
    fn keepalive_and_leading_crlf() {
        assert_eq!(parse_datagram(b"\r\n\r\n").unwrap(), Datagram::KeepAlive);
        assert_eq!(parse_datagram(b"\r\n").unwrap(), Datagram::KeepAlive);
        let m = msg(b"\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n");
        assert_eq!(m.headers[0].line(), 4);
    }

    #[test]
    fn datagram_framing() {
        let m = msg(b"OPTIONS sip:a@b SIP/2.0\r\nl: 2\r\n\r\nabcdef");
        assert_eq!(m.body, b"ab");
        let m = msg(b"OPTIONS sip:a@b SIP/2.0\r\nX: 2\r\n\r\nabcdef");
        assert_eq!(m.body, b"abcdef");
        let m = msg(b"OPTIONS sip:a@b SIP/2.0\r\nl: 0");
        assert_eq!(m.headers[0].raw_value, b"0");
        let m = msg(b"OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n");
        assert_eq!((m.headers.len(), m.body), (1, &b""[..]));
        let e = parse_datagram(b"OPTIONS sip:a@b SIP/2.0\r\nl: 9\r\n\r\nabc").unwrap_err();
        assert_eq!(e.kind, ErrorKind::BodyTooShort);
        let e = parse_datagram(b"OPTIONS sip:a@b SIP/2.0\r\nl: -1\r\n\r\n").unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadContentLength);
        let e =
            parse_datagram(b"OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab").unwrap_err();
        assert_eq!(e.kind, ErrorKind::ConflictingContentLength);
        let m = msg(b"OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 01\r\n\r\nab");
        assert_eq!(m.body, b"a");
        let m = parse_lenient(b"OPTIONS sip:a@b SIP/2.0\r\nl: 9\r\n\r\nabc").unwrap();
        assert_eq!(m.body, b"abc");
    }

    #[test]
    fn stream_framing() {
        assert_eq!(frame_stream(b"").unwrap(), StreamFrame::NeedMore);
        assert_eq!(frame_stream(b"\r\n\r\n").unwrap(), StreamFrame::KeepAlive { len: 4 });
        assert_eq!(frame_stream(b"\r\nOPT").unwrap(), StreamFrame::KeepAlive { len: 2 });
        assert_eq!(frame_stream(b"OPTIONS sip:a@b SIP/2.0\r\nl: 3\r\n").unwrap(), StreamFrame::NeedMore);
        assert_eq!(
            frame_stream(b"OPTIONS sip:a@b SIP/2.0\r\nl: 3\r\n\r\nab").unwrap(),
            StreamFrame::NeedMore
        );
        let buf = b"OPTIONS sip:a@b SIP/2.0\r\nl: 3\r\n\r\nabcOPTIONS";
        assert_eq!(frame_stream(buf).unwrap(), StreamFrame::Message { len: buf.len() - 7 });
        let e = frame_stream(b"OPTIONS sip:a@b SIP/2.0\r\nX: 3\r\n\r\n").unwrap_err();
        assert_eq!(e.kind, ErrorKind::MissingContentLength);
        let huge = b"OPTIONS sip:a@b SIP/2.0\r\nl: 4294967295\r\n\r\n";
        assert_eq!(frame_stream(huge).unwrap(), StreamFrame::NeedMore);
        let long = vec![b'a'; MAX_HEAD_LEN + 1];
        assert!(frame_stream(&long).is_err());
    }
}
