//! Zero-copy message parsing (RFC 3261 §7, §18.3): start line, raw headers in order, body,
//! and framing for datagrams and streams.
//!
//! Parsing is one pass over the header section that finds line boundaries and classifies
//! each header name; values are only interpreted when a typed accessor asks (see `access`).

use std::borrow::Cow;

use super::error::{ErrorKind, ParseError, ValueError, sat_u32};
use super::header_name::HeaderName;
use super::lex::{is_token, unfold};
use super::method::Method;

/// One header line as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The name as written (`v`, `VIA`, `C%6Fntact`...).
    pub name: &'a [u8],
    /// The classified name, `None` for unknown headers.
    pub kind: Option<HeaderName>,
    /// The value, trimmed, still folded (use [`Header::value`] for the unfolded text).
    pub raw_value: &'a [u8],
    /// 1-based line of the header name.
    line: u32,
    /// 1-based column of the first value byte, counted from the start of `value_line`.
    value_col: u32,
    /// 1-based line on which the value starts (after a fold, it can be later than `line`).
    value_line: u32,
}

impl<'a> Header<'a> {
    /// The value with folds replaced by a single SP (borrowed when not folded).
    pub fn value(&self) -> Cow<'a, [u8]> {
        unfold(self.raw_value)
    }

    /// The 1-based line of this header in the message.
    pub const fn line(&self) -> u32 {
        self.line
    }

    /// Whether this header is `name`.
    pub fn is(&self, name: HeaderName) -> bool {
        self.kind == Some(name)
    }

    /// The canonical name for known headers, the name as written otherwise.
    pub fn canonical_name(&self) -> Cow<'a, str> {
        match self.kind {
            Some(k) => Cow::Borrowed(k.as_str()),
            None => String::from_utf8_lossy(self.name),
        }
    }

    /// Converts an error at `offset` in the value to a message position.
    pub fn error_at(&self, err: ValueError) -> ParseError {
        let before = self.raw_value.get(..err.offset).unwrap_or(self.raw_value);
        match before.iter().rposition(|&b| b == b'\n') {
            None => ParseError::new(
                err.kind,
                self.value_line,
                self.value_col.saturating_add(sat_u32(before.len())),
            ),
            Some(nl) => {
                let extra = before.iter().filter(|&&b| b == b'\n').count();
                ParseError::new(
                    err.kind,
                    self.value_line.saturating_add(sat_u32(extra)),
                    sat_u32(before.len() - nl),
                )
            }
        }
    }

    /// Parses the value with `f`, mapping errors to message positions.
    pub fn parse_with<T>(&self, f: impl FnOnce(&'a [u8]) -> Result<T, ValueError>) -> Result<T, ParseError> {
        f(self.raw_value).map_err(|e| self.error_at(e))
    }
}

/// A Request-Line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLine<'a> {
    /// Method.
    pub method: Method<'a>,
    /// Request-URI text as written (checked by `validate_request`, parsed on demand).
    pub uri: &'a [u8],
    /// SIP version as written (`SIP/2.0`).
    pub version: &'a [u8],
}

/// A Status-Line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusLine<'a> {
    /// SIP version as written.
    pub version: &'a [u8],
    /// Status code, 100..=699.
    pub code: u16,
    /// Reason phrase as bytes (may be empty, may be UTF-8).
    pub reason: &'a [u8],
}

/// The first line of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// A request.
    Request(RequestLine<'a>),
    /// A response.
    Response(StatusLine<'a>),
}

/// A parsed message borrowing the received bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// Start line.
    pub start: StartLine<'a>,
    /// Headers in received order.
    pub headers: Vec<Header<'a>>,
    /// Body (per Content-Length when present).
    pub body: &'a [u8],
}

/// Whether the version is `SIP/1*DIGIT.1*DIGIT` (the literal ignoring case).
fn version_ok(v: &[u8]) -> bool {
    let Some((name, num)) = v.split_at_checked(4) else {
        return false;
    };
    if !name.eq_ignore_ascii_case(b"SIP/") {
        return false;
    }
    let mut parts = num.split(|&b| b == b'.');
    let digits = |p: Option<&[u8]>| p.is_some_and(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit));
    digits(parts.next()) && digits(parts.next()) && parts.next().is_none()
}

fn parse_start_line(line: &[u8]) -> Result<StartLine<'_>, ValueError> {
    let err = ValueError::new;
    if line.get(..4).is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/")) {
        let sp = line.iter().position(|&b| b == b' ').ok_or(err(ErrorKind::BadStartLine, line.len()))?;
        let version = line.get(..sp).unwrap_or_default();
        if !version_ok(version) {
            return Err(err(ErrorKind::BadVersion, 0));
        }
        let mut i = sp;
        while line.get(i) == Some(&b' ') {
            i += 1;
        }
        let code_start = i;
        while line.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let digits = line.get(code_start..i).unwrap_or_default();
        if digits.len() != 3 || !matches!(line.get(i), None | Some(b' ')) {
            return Err(err(ErrorKind::BadStatusCode, code_start));
        }
        let code = super::lex::parse_u64(digits, 699)
            .and_then(|n| u16::try_from(n).ok())
            .filter(|&c| c >= 100)
            .ok_or(err(ErrorKind::BadStatusCode, code_start))?;
        let reason = line.get(i + 1..).unwrap_or_default();
        return Ok(StartLine::Response(StatusLine { version, code, reason }));
    }
    let sp = line.iter().position(|&b| b == b' ').ok_or(err(ErrorKind::BadStartLine, line.len()))?;
    let method = line.get(..sp).and_then(Method::from_bytes).ok_or(err(ErrorKind::BadMethod, 0))?;
    // Liberal: several SPs between elements and trailing whitespace are tolerated (RFC 4475
    // lwsstart, trws); the URI is everything between the method and the last element.
    let end = line.iter().rposition(|&b| b != b' ' && b != b'\t').map_or(0, |p| p + 1);
    let vsp = line
        .get(..end)
        .and_then(|l| l.iter().rposition(|&b| b == b' '))
        .filter(|&p| p > sp)
        .ok_or(err(ErrorKind::MissingRequestUri, sp))?;
    let version = line.get(vsp + 1..end).unwrap_or_default();
    if !version_ok(version) {
        return Err(err(ErrorKind::BadVersion, vsp + 1));
    }
    let uri = super::lex::trim(line.get(sp..vsp).unwrap_or_default());
    if uri.is_empty() {
        return Err(err(ErrorKind::MissingRequestUri, sp));
    }
    Ok(StartLine::Request(RequestLine { method, uri, version }))
}

/// Offset of the next LF at or after `from`. Scans eight bytes at a time (SWAR): this is
/// the hot loop of parsing.
fn find_lf(buf: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const LFS: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    let hay = buf.get(from..)?;
    let mut chunks = hay.chunks_exact(8);
    let mut off = from;
    for c in &mut chunks {
        let w = u64::from_le_bytes(<[u8; 8]>::try_from(c).ok()?) ^ LFS;
        // Lowest set high bit marks the first zero byte (i.e. the first LF) exactly.
        let t = w.wrapping_sub(ONES) & !w & HIGHS;
        if t != 0 {
            return Some(off + (t.trailing_zeros() / 8) as usize);
        }
        off += 8;
    }
    chunks.remainder().iter().position(|&b| b == b'\n').map(|p| off + p)
}

/// Strips one trailing CR.
fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Parses the start line and headers. `at_end_ok`: a head that ends with the buffer (no
/// empty line) is accepted (datagrams). Returns the message with `body` = everything after
/// the head, and the body offset.
pub fn parse_head(buf: &[u8], at_end_ok: bool) -> Result<(Message<'_>, usize), ParseError> {
    let first = buf.iter().position(|&b| b != b'\r' && b != b'\n');
    let Some(mut pos) = first else {
        return Err(ParseError::new(ErrorKind::Empty, 1, 1));
    };
    let mut line_no =
        sat_u32(buf.get(..pos).unwrap_or_default().iter().filter(|&&b| b == b'\n').count()).saturating_add(1);
    let lf = find_lf(buf, pos);
    if lf.is_none() && !at_end_ok {
        return Err(ParseError::new(ErrorKind::UnterminatedHead, line_no, 1));
    }
    let line_end = lf.unwrap_or(buf.len());
    let start_line = strip_cr(buf.get(pos..line_end).unwrap_or_default());
    let start = parse_start_line(start_line)
        .map_err(|e| ParseError::new(e.kind, line_no, sat_u32(e.offset).saturating_add(1)))?;
    let mut headers: Vec<Header<'_>> = Vec::with_capacity(24);
    // (value start offset, value end offset) of the header being built.
    let mut cur_val: Option<(usize, usize)> = None;
    fn finish<'a>(buf: &'a [u8], headers: &mut [Header<'a>], val: Option<(usize, usize)>) {
        if let (Some((s, e)), Some(h)) = (val, headers.last_mut()) {
            h.raw_value = super::lex::trim(buf.get(s..e).unwrap_or_default());
        }
    }
    pos = line_end + 1;
    loop {
        line_no = line_no.saturating_add(1);
        if pos >= buf.len() {
            if at_end_ok {
                finish(buf, &mut headers, cur_val);
                return Ok((Message { start, headers, body: &[] }, buf.len()));
            }
            return Err(ParseError::new(ErrorKind::UnterminatedHead, line_no, 1));
        }
        let lf = find_lf(buf, pos);
        if lf.is_none() && !at_end_ok {
            return Err(ParseError::new(ErrorKind::UnterminatedHead, line_no, 1));
        }
        let line_end = lf.unwrap_or(buf.len());
        let next = line_end.saturating_add(1).min(buf.len());
        let line = strip_cr(buf.get(pos..line_end).unwrap_or_default());
        let content_end = pos + line.len();
        match line.first() {
            None => {
                finish(buf, &mut headers, cur_val);
                let body = buf.get(next..).unwrap_or_default();
                return Ok((Message { start, headers, body }, next));
            }
            Some(b' ' | b'\t') => {
                let Some((s, e)) = cur_val.as_mut() else {
                    return Err(ParseError::new(ErrorKind::OrphanContinuation, line_no, 1));
                };
                if *s >= *e {
                    // The value starts on this continuation line.
                    let ws = line.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
                    *s = pos + ws;
                    if let Some(h) = headers.last_mut() {
                        h.value_line = line_no;
                        h.value_col = sat_u32(ws).saturating_add(1);
                    }
                }
                *e = content_end;
            }
            Some(_) => {
                finish(buf, &mut headers, cur_val);
                let colon = line.iter().position(|&b| b == b':').ok_or(ParseError::new(
                    ErrorKind::MissingColon,
                    line_no,
                    sat_u32(line.len()).saturating_add(1),
                ))?;
                let name = line.get(..colon).unwrap_or_default().trim_ascii_end();
                if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
                    return Err(ParseError::new(ErrorKind::BadHeaderName, line_no, 1));
                }
                let mut vs = colon + 1;
                while matches!(line.get(vs), Some(b' ' | b'\t')) {
                    vs += 1;
                }
                headers.push(Header {
                    name,
                    kind: HeaderName::from_bytes(name),
                    raw_value: &[],
                    line: line_no,
                    value_col: sat_u32(vs).saturating_add(1),
                    value_line: line_no,
                });
                cur_val = Some((pos + vs, content_end));
            }
        }
        pos = next;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::super::framing::{Datagram, parse_datagram};
    use super::*;

    const INVITE: &[u8] = b"INVITE sip:bob@biloxi.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\nMax-Forwards: 70\r\nTo: Bob <sip:bob@biloxi.com>\r\nFrom: Alice <sip:alice@atlanta.com>;tag=1928301774\r\nCall-ID: a84b4c76e66710@pc33.atlanta.com\r\nCSeq: 314159 INVITE\r\nContact: <sip:alice@pc33.atlanta.com>\r\nContent-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n";

    fn msg(buf: &[u8]) -> Message<'_> {
        match parse_datagram(buf).unwrap() {
            Datagram::Message(m) => m,
            Datagram::KeepAlive => panic!("keep-alive"),
        }
    }

    #[test]
    fn request() {
        let m = msg(INVITE);
        let StartLine::Request(r) = m.start else { panic!() };
        assert_eq!(r.method, Method::Invite);
        assert_eq!(r.uri, b"sip:bob@biloxi.com");
        assert_eq!(r.version, b"SIP/2.0");
        assert_eq!(m.headers.len(), 9);
        assert_eq!(m.headers[0].kind, Some(HeaderName::Via));
        assert_eq!(m.headers[0].line(), 2);
        assert_eq!(m.body, b"v=0\n");
    }

    #[test]
    fn response_lines() {
        let m = msg(b"SIP/2.0 486 Busy Here\r\nX: y\r\n\r\n");
        let StartLine::Response(s) = m.start else { panic!() };
        assert_eq!((s.code, s.reason), (486, &b"Busy Here"[..]));
        let m = msg(b"SIP/2.0 100 \r\n\r\n");
        let StartLine::Response(s) = m.start else { panic!() };
        assert_eq!((s.code, s.reason), (100, &b""[..]));
        for bad in [
            &b"SIP/2.0 4294967301 x\r\n\r\n"[..],
            b"SIP/2.0 099 x\r\n\r\n",
            b"SIP/2.0 700 x\r\n\r\n",
            b"SIP/2.0 20 x\r\n\r\n",
            b"SIP/2 200 OK\r\n\r\n",
        ] {
            assert!(parse_datagram(bad).is_err());
        }
    }

    #[test]
    fn folding_and_positions() {
        let buf = b"OPTIONS sip:a@b SIP/2.0\r\nSubject :\r\n  hello\r\n\tworld\r\nX:1\r\n\r\n";
        let m = msg(buf);
        let h = m.headers[0];
        assert_eq!(h.name, b"Subject");
        assert_eq!(h.value().as_ref(), b"hello world");
        let e = h.error_at(ValueError::new(ErrorKind::UnexpectedChar, 0));
        assert_eq!((e.line, e.column), (3, 3));
        let e = h.error_at(ValueError::new(ErrorKind::UnexpectedChar, 8));
        assert_eq!((e.line, e.column), (4, 2));
        assert_eq!(m.headers[1].value().as_ref(), b"1");
    }

    #[test]
    fn head_errors() {
        let e = parse_datagram(b"INVITE sip:a@b SIP/2.0\r\nNoColon\r\n\r\n").unwrap_err();
        assert_eq!((e.kind, e.line), (ErrorKind::MissingColon, 2));
        let e = parse_datagram(b"INVITE sip:a@b SIP/2.0\r\n folded\r\n\r\n").unwrap_err();
        assert_eq!(e.kind, ErrorKind::OrphanContinuation);
        let e = parse_datagram(b"INVITE sip:a@b SIP/2.0\r\nBad Name: x\r\n\r\n").unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadHeaderName);
        assert_eq!(parse_datagram(b"INVITE\r\n\r\n").unwrap_err().kind, ErrorKind::BadStartLine);
        assert_eq!(parse_datagram(b"INVITE sip:a@b\r\n\r\n").unwrap_err().kind, ErrorKind::MissingRequestUri);
        assert_eq!(parse_datagram(b"IN\x01 sip:a@b SIP/2.0\r\n\r\n").unwrap_err().kind, ErrorKind::BadMethod);
        assert_eq!(
            parse_datagram(b"INVITE sip:a@b HTTP/1.1\r\n\r\n").unwrap_err().kind,
            ErrorKind::BadVersion
        );
        assert_eq!(parse_datagram(b"").unwrap_err().kind, ErrorKind::Empty);
    }

    #[test]
    fn lf_search() {
        let mut buf = vec![b'a'; 40];
        for i in 0..40 {
            for from in 0..=i + 1 {
                buf[i] = b'\n';
                let want = buf.iter().skip(from).position(|&b| b == b'\n').map(|p| p + from);
                assert_eq!(find_lf(&buf, from), want, "{i} {from}");
                buf[i] = b'a';
            }
        }
        assert_eq!(find_lf(b"\n\xff\x0b\n", 1), Some(3));
        assert_eq!(find_lf(&[0x8a; 20], 0), None);
        assert_eq!(find_lf(b"ab", 5), None);
    }

    #[test]
    fn liberal_request_line() {
        let m = msg(b"INVITE  sip:user@example.com  SIP/2.0  \r\n\r\n");
        let StartLine::Request(r) = m.start else { panic!() };
        assert_eq!(r.uri, b"sip:user@example.com");
        let m = msg(b"INVITE sip:user@example.com; lr SIP/2.0\r\n\r\n");
        let StartLine::Request(r) = m.start else { panic!() };
        assert_eq!(r.uri, b"sip:user@example.com; lr");
    }
}
