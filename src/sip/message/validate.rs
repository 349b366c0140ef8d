//! The checks a UA runs on a received message before acting on it (RFC 3261 §8.1.3, §8.2,
//! §16.3 items a UA needs), and how to answer a bad request: whether a 400 (or 505) can be
//! built, with which reason phrase and Warning text.
//!
//! Malformed responses are only reported: the UA drops them.

use super::error::{ErrorKind, ParseError};
use super::header_name::HeaderName;
use super::lex::{Cursor, is_ws};
use super::parse::Message;
use super::print::{Response, response_to};
use super::uri::Uri;
use super::via::Via;

/// Why a message must be rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A request check was run on a response.
    #[error("not a request")]
    NotARequest,
    /// A response check was run on a request.
    #[error("not a response")]
    NotAResponse,
    /// The SIP version is not `SIP/2.0` (answer 505).
    #[error("SIP version {0} not supported")]
    VersionNotSupported(String),
    /// The Request-URI is enclosed in `<>`.
    #[error("Request-URI enclosed in '<>'")]
    RequestUriInBrackets,
    /// The Request-URI contains whitespace.
    #[error("whitespace inside the Request-URI")]
    RequestUriWhitespace,
    /// The Request-URI carries `?headers`.
    #[error("Request-URI with escaped headers")]
    RequestUriHeaders,
    /// The Request-URI does not parse.
    #[error("malformed Request-URI: {0}")]
    BadRequestUri(ParseError),
    /// A mandatory header is absent.
    #[error("missing {0} header")]
    MissingHeader(HeaderName),
    /// A single-valued header appears more than once.
    #[error("{0} header appears more than once")]
    DuplicateHeader(HeaderName),
    /// A header does not parse or is out of range.
    #[error("malformed {name} header: {error}")]
    BadHeader {
        /// Which header.
        name: HeaderName,
        /// What and where.
        error: ParseError,
    },
    /// The CSeq method differs from the request method.
    #[error("CSeq method does not match the request method")]
    CSeqMethodMismatch,
}

impl ValidationError {
    /// The status code to answer a request with: 505 for the version, else 400.
    pub const fn status_code(&self) -> u16 {
        match self {
            ValidationError::VersionNotSupported(_) => 505,
            _ => 400,
        }
    }

    /// A reason phrase naming the problem (RFC 3261 §21.4.1: "Missing Call-ID Header").
    pub fn reason_phrase(&self) -> String {
        match self {
            ValidationError::VersionNotSupported(_) => "Version Not Supported".to_owned(),
            ValidationError::MissingHeader(h) => format!("Missing {h} Header"),
            ValidationError::DuplicateHeader(h) => format!("Duplicate {h} Header"),
            ValidationError::BadHeader { name, .. } => format!("Malformed {name} Header"),
            ValidationError::CSeqMethodMismatch => "CSeq Method Mismatch".to_owned(),
            ValidationError::NotARequest | ValidationError::NotAResponse => "Bad Request".to_owned(),
            _ => "Bad Request-URI".to_owned(),
        }
    }

    /// A Warning header value `399 agent "text"` explaining the problem, with the text
    /// restricted to printable ASCII.
    pub fn warning_value(&self, agent: &str) -> Vec<u8> {
        let text: String = self
            .to_string()
            .chars()
            .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' })
            .collect();
        let mut out = format!("399 {agent} ").into_bytes();
        out.extend_from_slice(&super::auth::quote(text.as_bytes()));
        out
    }
}

fn bad(name: HeaderName) -> impl Fn(ParseError) -> ValidationError {
    move |error| ValidationError::BadHeader { name, error }
}

fn check_version(v: &[u8]) -> Result<(), ValidationError> {
    if v.eq_ignore_ascii_case(b"SIP/2.0") {
        Ok(())
    } else {
        Err(ValidationError::VersionNotSupported(String::from_utf8_lossy(v).into_owned()))
    }
}

fn check_required(msg: &Message<'_>, names: &[HeaderName]) -> Result<(), ValidationError> {
    for &n in names {
        if msg.header(n).is_none() {
            return Err(ValidationError::MissingHeader(n));
        }
    }
    Ok(())
}

fn check_duplicates(msg: &Message<'_>) -> Result<(), ValidationError> {
    let mut seen: Vec<HeaderName> = Vec::with_capacity(12);
    for k in msg.headers.iter().filter_map(|h| h.kind) {
        if k.is_single_valued() {
            if seen.contains(&k) {
                return Err(ValidationError::DuplicateHeader(k));
            }
            seen.push(k);
        }
    }
    Ok(())
}

/// Parses the headers both requests and responses need, plus the optional ones a UA uses.
fn check_common(msg: &Message<'_>) -> Result<(), ValidationError> {
    msg.vias().map_err(bad(HeaderName::Via))?;
    msg.from().map_err(bad(HeaderName::From))?;
    msg.to().map_err(bad(HeaderName::To))?;
    msg.call_id().map_err(bad(HeaderName::CallId))?;
    msg.cseq().map_err(bad(HeaderName::CSeq))?;
    msg.max_forwards().map_err(bad(HeaderName::MaxForwards))?;
    msg.content_length().map_err(bad(HeaderName::ContentLength))?;
    msg.content_type().map_err(bad(HeaderName::ContentType))?;
    msg.expires().map_err(bad(HeaderName::Expires))?;
    msg.min_expires().map_err(bad(HeaderName::MinExpires))?;
    msg.contacts().map_err(bad(HeaderName::Contact))?;
    msg.record_routes().map_err(bad(HeaderName::RecordRoute))?;
    for h in [HeaderName::Require, HeaderName::Supported, HeaderName::Allow] {
        msg.tokens(h).map_err(bad(h))?;
    }
    Ok(())
}

/// Checks a received request the way a UAS must before processing it. The first problem
/// found is returned; answer with [`ValidationError::status_code`] if
/// [`can_respond`] says a response can be built. Semantics left to the UA: unknown
/// methods (501), unsupported URI schemes (416), Require (420), media types (415/406),
/// Max-Forwards 0 (a UAS answers normally), `branch=z9hG4bK` without an id (accepted; match
/// transactions the RFC 2543 way), and the Date header (not checked: a UA ignores it).
pub fn validate_request(msg: &Message<'_>) -> Result<(), ValidationError> {
    let rl = msg.request_line().ok_or(ValidationError::NotARequest)?;
    check_version(rl.version)?;
    if rl.uri.first() == Some(&b'<') {
        return Err(ValidationError::RequestUriInBrackets);
    }
    if rl.uri.iter().any(|&b| is_ws(b)) {
        return Err(ValidationError::RequestUriWhitespace);
    }
    match msg.request_uri().map_err(ValidationError::BadRequestUri)? {
        Uri::Sip(u) if u.headers.is_some() => return Err(ValidationError::RequestUriHeaders),
        _ => {}
    }
    check_required(
        msg,
        &[HeaderName::Via, HeaderName::From, HeaderName::To, HeaderName::CallId, HeaderName::CSeq],
    )?;
    check_duplicates(msg)?;
    check_common(msg)?;
    msg.routes().map_err(bad(HeaderName::Route))?;
    msg.tokens(HeaderName::ProxyRequire).map_err(bad(HeaderName::ProxyRequire))?;
    msg.accept().map_err(bad(HeaderName::Accept))?;
    for h in [HeaderName::Authorization, HeaderName::ProxyAuthorization] {
        msg.auth(h).map_err(bad(h))?;
    }
    let cseq = msg.cseq().map_err(bad(HeaderName::CSeq))?;
    if cseq.method != rl.method {
        return Err(ValidationError::CSeqMethodMismatch);
    }
    Ok(())
}

/// Checks a received response; any error means the UA drops it (RFC 3261 §18.1.2, RFC 4475 §3.1.2.5).
pub fn validate_response(msg: &Message<'_>) -> Result<(), ValidationError> {
    let sl = msg.status_line().ok_or(ValidationError::NotAResponse)?;
    check_version(sl.version)?;
    check_required(
        msg,
        &[HeaderName::Via, HeaderName::From, HeaderName::To, HeaderName::CallId, HeaderName::CSeq],
    )?;
    check_duplicates(msg)?;
    check_common(msg)?;
    msg.retry_after().map_err(bad(HeaderName::RetryAfter))?;
    msg.warnings().map_err(bad(HeaderName::Warning))?;
    for h in [HeaderName::WwwAuthenticate, HeaderName::ProxyAuthenticate] {
        msg.auth(h).map_err(bad(h))?;
    }
    Ok(())
}

/// The top Via's sent-by, parsed leniently: when its parameters are broken, only
/// `SIP/2.0/UDP host[:port]` is parsed (enough to route a 400).
pub fn top_via_lenient<'a>(msg: &Message<'a>) -> Option<Via<'a>> {
    if let Ok(v) = msg.top_via() {
        return Some(v);
    }
    let raw = msg.header(HeaderName::Via)?.raw_value;
    let end = raw.iter().position(|&b| b == b';' || b == b',').unwrap_or(raw.len());
    let mut cur = Cursor::new(raw.get(..end)?);
    cur.skip_ws();
    let v = Via::parse_at(&mut cur).ok()?;
    cur.finish().ok()?;
    Some(v)
}

/// Whether enough of a (possibly broken) request is usable to send a response: it is a
/// request, the top Via's sent-by parses, and From, To, Call-ID and CSeq are present (they
/// are copied as received). If not, the request is silently dropped.
pub fn can_respond(msg: &Message<'_>) -> bool {
    msg.is_request()
        && top_via_lenient(msg).is_some()
        && [HeaderName::From, HeaderName::To, HeaderName::CallId, HeaderName::CSeq]
            .iter()
            .all(|&h| msg.header(h).is_some())
}

/// The response for a request that failed validation: status 400 (or 505) with a reason
/// phrase naming the problem and a `Warning: 399 agent "..."`, or `None` when the request
/// cannot be answered ([`can_respond`] is false).
pub fn rejection(
    msg: &Message<'_>,
    err: &ValidationError,
    agent: &str,
    to_tag: Option<&[u8]>,
) -> Option<Response> {
    if !can_respond(msg) {
        return None;
    }
    let mut r = response_to(msg, err.status_code(), to_tag).ok()?;
    r.reason = err.reason_phrase().into_bytes();
    r.headers.push(HeaderName::Warning, err.warning_value(agent));
    Some(r)
}

/// The error kind of a [`ValidationError::BadHeader`], for tests and logs.
pub fn bad_header_kind(err: &ValidationError) -> Option<(HeaderName, ErrorKind)> {
    match err {
        ValidationError::BadHeader { name, error } => Some((*name, error.kind)),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::super::framing::{Datagram, parse_datagram};
    use super::*;

    fn msg(buf: &[u8]) -> Message<'_> {
        match parse_datagram(buf).unwrap() {
            Datagram::Message(m) => m,
            Datagram::KeepAlive => panic!(),
        }
    }

    const OK: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\r\n";

    fn with(line: &str, replace: &str) -> Vec<u8> {
        String::from_utf8(OK.to_vec()).unwrap().replacen(line, replace, 1).into_bytes()
    }

    #[test]
    fn good_request() {
        assert_eq!(validate_request(&msg(OK)), Ok(()));
        assert!(can_respond(&msg(OK)));
    }

    #[test]
    fn bad_requests() {
        let cases: Vec<(Vec<u8>, ValidationError)> = vec![
            (
                with("SIP/2.0\r\nVia", "SIP/3.0\r\nVia"),
                ValidationError::VersionNotSupported("SIP/3.0".into()),
            ),
            (with("sip:a@b SIP", "<sip:a@b> SIP"), ValidationError::RequestUriInBrackets),
            (with("sip:a@b SIP", "sip:a@b;\tlr SIP"), ValidationError::RequestUriWhitespace),
            (with("sip:a@b SIP", "sip:a@b?X=y SIP"), ValidationError::RequestUriHeaders),
            (with("Call-ID: c\r\n", ""), ValidationError::MissingHeader(HeaderName::CallId)),
            (
                with("Call-ID: c\r\n", "Call-ID: c\r\ni: d\r\n"),
                ValidationError::DuplicateHeader(HeaderName::CallId),
            ),
            (with("CSeq: 1 OPTIONS", "CSeq: 1 INVITE"), ValidationError::CSeqMethodMismatch),
        ];
        for (buf, want) in cases {
            assert_eq!(validate_request(&msg(&buf)), Err(want));
        }
        let m = with("Max-Forwards: 70", "Max-Forwards: 300");
        let e = validate_request(&msg(&m)).unwrap_err();
        assert_eq!(bad_header_kind(&e), Some((HeaderName::MaxForwards, ErrorKind::NumberOutOfRange)));
        assert!(matches!(
            validate_request(&msg(&with("sip:a@b SIP", "sip:a@b;x=\x01 SIP"))),
            Err(ValidationError::BadRequestUri(_))
        ));
    }

    #[test]
    fn rejections() {
        let m = with("CSeq: 1 OPTIONS", "CSeq: 1 INVITE");
        let m = msg(&m);
        let e = validate_request(&m).unwrap_err();
        let r = rejection(&m, &e, "ua.example.com", Some(b"t1")).unwrap();
        let out = String::from_utf8(r.to_bytes()).unwrap();
        assert!(out.starts_with("SIP/2.0 400 CSeq Method Mismatch\r\n"));
        assert!(out.contains("To: <sip:a@b>;tag=t1\r\n"));
        assert!(
            out.contains("Warning: 399 ua.example.com \"CSeq method does not match the request method\"\r\n")
        );
        let m = with("Via: SIP/2.0/UDP h;branch=z9hG4bK1", "Via: SIP/2.0/UDP 192.0.2.15;;,;,,");
        let m = msg(&m);
        assert!(validate_request(&m).is_err());
        assert!(can_respond(&m));
        assert_eq!(top_via_lenient(&m).unwrap().host.to_string(), "192.0.2.15");
        let m = with("Via: SIP/2.0/UDP h;branch=z9hG4bK1", "Via: garbage");
        let m = msg(&m);
        assert!(!can_respond(&m));
        assert!(rejection(&m, &ValidationError::NotARequest, "x", None).is_none());
        assert_eq!(ValidationError::VersionNotSupported("SIP/7.0".into()).status_code(), 505);
    }

    #[test]
    fn responses() {
        let m = msg(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n");
        assert_eq!(validate_response(&m), Ok(()));
        assert_eq!(validate_request(&m), Err(ValidationError::NotARequest));
        assert_eq!(validate_response(&msg(OK)), Err(ValidationError::NotAResponse));
    }
}
