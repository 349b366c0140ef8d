//! Owned messages for sending: [`Request`] and [`Response`] hold a start line, a header list
//! and a body, and print with canonical header names and a Content-Length computed from the
//! body (any Content-Length in the list is ignored). Also: building a response to a parsed
//! request (RFC 3261 §8.2.6) and converting a parsed [`Message`] to owned form.

use super::error::{ErrorKind, ParseError};
use super::header_name::HeaderName;
use super::lex::is_token;
use super::method::Method;
use super::name_addr::NameAddr;
use super::parse::{Message, StartLine};
use super::reason::reason_phrase;

/// The version printed by [`Request::new`] and [`Response::new`].
pub const SIP_2_0: &[u8] = b"SIP/2.0";

/// The name of an owned header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Name {
    /// A known header, printed with its canonical spelling.
    Known(HeaderName),
    /// Any other header, printed as given (non-token bytes become `-`).
    Other(String),
}

impl Name {
    /// Classifies a name: known names (any case, compact forms) become [`Name::Known`].
    pub fn new(name: &str) -> Name {
        HeaderName::from_bytes(name.as_bytes()).map_or_else(|| Name::Other(name.to_owned()), Name::Known)
    }

    /// The text printed for this name.
    pub fn as_str(&self) -> &str {
        match self {
            Name::Known(h) => h.as_str(),
            Name::Other(s) => s,
        }
    }

    /// Whether this is the known header `h`.
    pub fn is(&self, h: HeaderName) -> bool {
        *self == Name::Known(h)
    }
}

/// An owned header: name and value (one line; CR/LF in values print as SP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedHeader {
    /// Name.
    pub name: Name,
    /// Value bytes.
    pub value: Vec<u8>,
}

/// An ordered list of owned headers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Headers(pub Vec<OwnedHeader>);

impl Headers {
    /// Appends a known header.
    pub fn push(&mut self, name: HeaderName, value: impl Into<Vec<u8>>) {
        self.0.push(OwnedHeader { name: Name::Known(name), value: value.into() });
    }

    /// Appends a header by name (classified like a received one).
    pub fn push_named(&mut self, name: &str, value: impl Into<Vec<u8>>) {
        self.0.push(OwnedHeader { name: Name::new(name), value: value.into() });
    }

    /// The first value of `name`.
    pub fn get(&self, name: HeaderName) -> Option<&[u8]> {
        self.0.iter().find(|h| h.name.is(name)).map(|h| h.value.as_slice())
    }

    /// Removes every `name` header.
    pub fn remove(&mut self, name: HeaderName) {
        self.0.retain(|h| !h.name.is(name));
    }

    /// Prints all headers except Content-Length, then `Content-Length: body_len`.
    fn write(&self, out: &mut Vec<u8>, body_len: usize) {
        for h in self.0.iter().filter(|h| !h.name.is(HeaderName::ContentLength)) {
            match &h.name {
                Name::Known(k) => out.extend_from_slice(k.as_str().as_bytes()),
                Name::Other(s) => out.extend(s.bytes().map(|b| if is_token(b) { b } else { b'-' })),
            }
            out.extend_from_slice(b": ");
            out.extend(h.value.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"Content-Length: ");
        out.extend_from_slice(body_len.to_string().as_bytes());
        out.extend_from_slice(b"\r\n\r\n");
    }

    fn estimate(&self) -> usize {
        self.0.iter().map(|h| h.name.as_str().len() + h.value.len() + 4).sum::<usize>() + 32
    }
}

/// An outgoing request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Method bytes (a token).
    pub method: Vec<u8>,
    /// Request-URI text.
    pub uri: Vec<u8>,
    /// SIP version (`SIP/2.0` unless copied from a received message).
    pub version: Vec<u8>,
    /// Headers in order.
    pub headers: Headers,
    /// Body.
    pub body: Vec<u8>,
}

impl Request {
    /// A request with no headers and no body.
    pub fn new(method: Method<'_>, uri: impl Into<Vec<u8>>) -> Request {
        Request {
            method: method.as_bytes().to_vec(),
            uri: uri.into(),
            version: SIP_2_0.to_vec(),
            headers: Headers::default(),
            body: Vec::new(),
        }
    }

    /// The method.
    pub fn method(&self) -> Method<'_> {
        Method::from_bytes(&self.method).unwrap_or(Method::Extension(&self.method))
    }

    /// Builder: appends a header.
    #[must_use]
    pub fn with(mut self, name: HeaderName, value: impl Into<Vec<u8>>) -> Request {
        self.headers.push(name, value);
        self
    }

    /// Builder: sets the body.
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.body = body.into();
        self
    }

    /// Prints into `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.reserve(self.uri.len() + self.headers.estimate() + self.body.len());
        out.extend_from_slice(&self.method);
        out.push(b' ');
        out.extend_from_slice(&self.uri);
        out.push(b' ');
        out.extend_from_slice(&self.version);
        out.extend_from_slice(b"\r\n");
        self.headers.write(out, self.body.len());
        out.extend_from_slice(&self.body);
    }

    /// Prints to a new buffer.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }
}

/// An outgoing response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// SIP version (`SIP/2.0` unless copied from a received message).
    pub version: Vec<u8>,
    /// Status code.
    pub code: u16,
    /// Reason phrase.
    pub reason: Vec<u8>,
    /// Headers in order.
    pub headers: Headers,
    /// Body.
    pub body: Vec<u8>,
}

impl Response {
    /// A response with the standard reason phrase.
    pub fn new(code: u16) -> Response {
        Response::with_reason(code, reason_phrase(code))
    }

    /// A response with a custom reason phrase.
    pub fn with_reason(code: u16, reason: impl Into<Vec<u8>>) -> Response {
        Response {
            version: SIP_2_0.to_vec(),
            code,
            reason: reason.into(),
            headers: Headers::default(),
            body: Vec::new(),
        }
    }

    /// Builder: appends a header.
    #[must_use]
    pub fn with(mut self, name: HeaderName, value: impl Into<Vec<u8>>) -> Response {
        self.headers.push(name, value);
        self
    }

    /// Builder: sets the body.
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        self
    }

    /// Prints into `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.reserve(self.reason.len() + self.headers.estimate() + self.body.len());
        out.extend_from_slice(&self.version);
        out.push(b' ');
        out.extend_from_slice(self.code.to_string().as_bytes());
        out.push(b' ');
        out.extend(self.reason.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
        out.extend_from_slice(b"\r\n");
        self.headers.write(out, self.body.len());
        out.extend_from_slice(&self.body);
    }

    /// Prints to a new buffer.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }
}

/// An owned request or response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedMessage {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

impl OwnedMessage {
    /// Prints to a new buffer.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            OwnedMessage::Request(r) => r.to_bytes(),
            OwnedMessage::Response(r) => r.to_bytes(),
        }
    }
}

impl Message<'_> {
    /// Copies the message into owned form: header names canonical for known headers and as
    /// written otherwise, values unfolded, order kept.
    pub fn to_owned_message(&self) -> OwnedMessage {
        let headers = Headers(
            self.headers
                .iter()
                .map(|h| OwnedHeader {
                    name: h.kind.map_or_else(
                        || Name::Other(String::from_utf8_lossy(h.name).into_owned()),
                        Name::Known,
                    ),
                    value: h.value().into_owned(),
                })
                .collect(),
        );
        let body = self.body.to_vec();
        match &self.start {
            StartLine::Request(r) => OwnedMessage::Request(Request {
                method: r.method.as_bytes().to_vec(),
                uri: r.uri.to_vec(),
                version: r.version.to_vec(),
                headers,
                body,
            }),
            StartLine::Response(s) => OwnedMessage::Response(Response {
                version: s.version.to_vec(),
                code: s.code,
                reason: s.reason.to_vec(),
                headers,
                body,
            }),
        }
    }
}

/// Builds a response to `req` (RFC 3261 §8.2.6): copies every Via (in order), From, To,
/// Call-ID and CSeq (and Timestamp for 100), adding `;tag=to_tag` to To if given and To has
/// no tag. A 101–299 to an INVITE also gets every Record-Route, in order (§12.1.1: the
/// caller builds its route set from them, or its ACK and BYE bypass the proxies). Values
/// are copied as received (unfolded). Fails if `req` is not a request or lacks one of
/// those headers.
pub fn response_to(req: &Message<'_>, code: u16, to_tag: Option<&[u8]>) -> Result<Response, ParseError> {
    if !req.is_request() {
        return Err(ParseError::new(ErrorKind::BadStartLine, 1, 1));
    }
    let mut resp = Response::new(code);
    let missing = |h| ParseError::new(ErrorKind::MissingHeader(h), 1, 1);
    if req.header(HeaderName::Via).is_none() {
        return Err(missing(HeaderName::Via));
    }
    for h in req.headers_named(HeaderName::Via) {
        resp.headers.push(HeaderName::Via, h.value().into_owned());
    }
    for name in [HeaderName::From, HeaderName::To, HeaderName::CallId, HeaderName::CSeq] {
        let h = req.header(name).ok_or(missing(name))?;
        let mut value = h.value().into_owned();
        if name == HeaderName::To
            && let Some(tag) = to_tag
            && !has_tag(h.raw_value)
        {
            value.extend_from_slice(b";tag=");
            value.extend_from_slice(tag);
        }
        resp.headers.push(name, value);
    }
    if (101..300).contains(&code) && req.method() == Some(Method::Invite) {
        for h in req.headers_named(HeaderName::RecordRoute) {
            resp.headers.push(HeaderName::RecordRoute, h.value().into_owned());
        }
    }
    if code == 100
        && let Some(ts) = req.header(HeaderName::Timestamp)
    {
        resp.headers.push(HeaderName::Timestamp, ts.value().into_owned());
    }
    Ok(resp)
}

/// Whether a To/From value carries a tag (typed when it parses, textual otherwise).
fn has_tag(value: &[u8]) -> bool {
    match NameAddr::parse(value) {
        Ok(n) => n.tag().is_some(),
        Err(_) => value.to_ascii_lowercase().windows(5).any(|w| w == b";tag="),
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

    #[test]
    fn print_request() {
        let r = Request::new(Method::Invite, "sip:bob@biloxi.com")
            .with(HeaderName::Via, "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds")
            .with(HeaderName::ContentLength, "9999")
            .with(HeaderName::CallId, "a@b")
            .with_body("v=0\r\n");
        let out = r.to_bytes();
        assert_eq!(
            out,
            b"INVITE sip:bob@biloxi.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\nCall-ID: a@b\r\nContent-Length: 5\r\n\r\nv=0\r\n"
        );
        assert_eq!(r.method(), Method::Invite);
    }

    #[test]
    fn print_response_and_injection() {
        let mut r = Response::new(486);
        r.headers.push_named("X-Evil Name", "a\r\nInjected: 1");
        r.headers.push_named("cseq", "1 INVITE");
        let out = String::from_utf8(r.to_bytes()).unwrap();
        assert_eq!(
            out,
            "SIP/2.0 486 Busy Here\r\nX-Evil-Name: a  Injected: 1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn build_response() {
        let m = msg(b"INVITE sip:bob@biloxi.com SIP/2.0\r\nv: SIP/2.0/UDP a;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP b;branch=z9hG4bK2\r\nf: <sip:a@b>;tag=1\r\nt: <sip:c@d>\r\ni: cid\r\nCSeq: 1 INVITE\r\nTimestamp: 54\r\nl: 0\r\n\r\n");
        let r = response_to(&m, 180, Some(b"xyz")).unwrap();
        let out = String::from_utf8(r.to_bytes()).unwrap();
        assert_eq!(
            out,
            "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP b;branch=z9hG4bK2\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=xyz\r\nCall-ID: cid\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        );
        let r = response_to(&m, 100, None).unwrap();
        assert_eq!(r.headers.get(HeaderName::Timestamp), Some(&b"54"[..]));
        let m2 = msg(b"SIP/2.0 200 OK\r\n\r\n");
        assert!(response_to(&m2, 200, None).is_err());
        let m3 = msg(b"OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/UDP a\r\n\r\n");
        assert_eq!(response_to(&m3, 200, None).unwrap_err().kind, ErrorKind::MissingHeader(HeaderName::From));
        assert!(has_tag(b"\"x <sip:a@b>;TAG=1"));
    }

    #[test]
    fn dialog_creating_responses_to_an_invite_copy_record_route_in_order() {
        let head = b"INVITE sip:bob@b SIP/2.0\r\nVia: SIP/2.0/UDP p2;branch=z9hG4bK2\r\n\
            Record-Route: <sip:p2;lr>\r\nRecord-Route: <sip:p1;lr>, <sip:p0;lr>\r\n\
            From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: cid\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n";
        let m = msg(head);
        let rr = |code| {
            let r = response_to(&m, code, Some(b"t")).unwrap();
            r.headers
                .0
                .iter()
                .filter(|h| h.name.is(HeaderName::RecordRoute))
                .map(|h| h.value.clone())
                .collect::<Vec<_>>()
        };
        let want: Vec<Vec<u8>> = vec![b"<sip:p2;lr>".to_vec(), b"<sip:p1;lr>, <sip:p0;lr>".to_vec()];
        assert_eq!(rr(180), want);
        assert_eq!(rr(200), want);
        assert!(rr(100).is_empty() && rr(486).is_empty(), "only 101-299 carry the route set");
        let options = msg(b"OPTIONS sip:bob@b SIP/2.0\r\nVia: SIP/2.0/UDP p;branch=z9hG4bK3\r\n\
            Record-Route: <sip:p;lr>\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: c\r\n\
            CSeq: 1 OPTIONS\r\nl: 0\r\n\r\n");
        let r = response_to(&options, 200, Some(b"t")).unwrap();
        assert_eq!(r.headers.get(HeaderName::RecordRoute), None, "no dialog, no route set");
    }

    #[test]
    fn owned_round_trip() {
        let buf = b"OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h\r\n ;branch=z9hG4bK1\r\nX-Custom: keep\r\nl: 3\r\n\r\nabc";
        let m = msg(buf);
        let OwnedMessage::Request(r) = m.to_owned_message() else { panic!() };
        let out = r.to_bytes();
        assert_eq!(out, b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h ;branch=z9hG4bK1\r\nX-Custom: keep\r\nContent-Length: 3\r\n\r\nabc");
        let m2 = msg(&out);
        assert_eq!(m2.top_via().unwrap().branch, m.top_via().unwrap().branch);
    }
}
