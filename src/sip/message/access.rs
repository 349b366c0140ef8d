//! Typed access to a parsed [`Message`]: each accessor finds the header(s) and parses the
//! value only when called. Results borrow the received bytes (lifetime `'a`), not the
//! `Message`, and errors carry the line and column in the message.

use std::borrow::Cow;

use super::auth::Challenge;
use super::error::{ErrorKind, ParseError, ValueError};
use super::header_name::HeaderName;
use super::method::Method;
use super::name_addr::{Contact, Contacts, NameAddr};
use super::parse::{Header, Message, RequestLine, StartLine, StatusLine};
use super::scalar::{self, CSeq, MediaType, Product, Reason, RetryAfter, SipDate, Warning, parse_token_list};
use super::uri::Uri;
use super::via::Via;

impl<'a> Message<'a> {
    /// Whether this is a request.
    pub const fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request(_))
    }

    /// The Request-Line, for requests.
    pub const fn request_line(&self) -> Option<&RequestLine<'a>> {
        match &self.start {
            StartLine::Request(r) => Some(r),
            StartLine::Response(_) => None,
        }
    }

    /// The Status-Line, for responses.
    pub const fn status_line(&self) -> Option<&StatusLine<'a>> {
        match &self.start {
            StartLine::Response(s) => Some(s),
            StartLine::Request(_) => None,
        }
    }

    /// The request method (`None` for responses).
    pub fn method(&self) -> Option<Method<'a>> {
        self.request_line().map(|r| r.method)
    }

    /// The status code (`None` for requests).
    pub fn status_code(&self) -> Option<u16> {
        self.status_line().map(|s| s.code)
    }

    /// The reason phrase of a response, as received.
    pub fn reason(&self) -> Option<&'a [u8]> {
        self.status_line().map(|s| s.reason)
    }

    /// The first header named `name`.
    pub fn header(&self, name: HeaderName) -> Option<&Header<'a>> {
        self.headers.iter().find(|h| h.is(name))
    }

    /// All headers named `name`, in order.
    pub fn headers_named(&self, name: HeaderName) -> impl Iterator<Item = &Header<'a>> {
        self.headers.iter().filter(move |h| h.is(name))
    }

    /// How many header lines are named `name`.
    pub fn count(&self, name: HeaderName) -> usize {
        self.headers_named(name).count()
    }

    /// The first header whose name as written equals `name` ignoring case (for unknown
    /// headers; `C%6Fntact` is not `Contact`).
    pub fn header_raw(&self, name: &[u8]) -> Option<&Header<'a>> {
        self.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name))
    }

    /// Parses the first `name` header with `f`; `Ok(None)` when absent.
    pub fn parse_first<T>(
        &self,
        name: HeaderName,
        f: impl FnOnce(&'a [u8]) -> Result<T, ValueError>,
    ) -> Result<Option<T>, ParseError> {
        self.header(name).map(|h| h.parse_with(f)).transpose()
    }

    /// Parses the first `name` header with `f`; a missing header is
    /// [`ErrorKind::MissingHeader`].
    pub fn parse_required<T>(
        &self,
        name: HeaderName,
        f: impl FnOnce(&'a [u8]) -> Result<T, ValueError>,
    ) -> Result<T, ParseError> {
        self.parse_first(name, f)?.ok_or(ParseError::new(ErrorKind::MissingHeader(name), 1, 1))
    }

    /// Parses every `name` header with the list parser `f` and concatenates the results.
    pub fn parse_all<T>(
        &self,
        name: HeaderName,
        f: impl Fn(&'a [u8]) -> Result<Vec<T>, ValueError>,
    ) -> Result<Vec<T>, ParseError> {
        let mut out = Vec::new();
        for h in self.headers_named(name) {
            out.extend(h.parse_with(&f)?);
        }
        Ok(out)
    }

    /// The Request-URI, parsed.
    pub fn request_uri(&self) -> Result<Uri<'a>, ParseError> {
        let r = self.request_line().ok_or(ParseError::new(ErrorKind::BadStartLine, 1, 1))?;
        let col = r.method.as_bytes().len() + 2;
        Uri::parse(r.uri).map_err(|e| ParseError::new(e.kind, 1, super::error::sat_u32(col + e.offset)))
    }

    /// Every Via value, top first.
    pub fn vias(&self) -> Result<Vec<Via<'a>>, ParseError> {
        self.parse_all(HeaderName::Via, Via::parse_list)
    }

    /// The topmost Via value (only that one is parsed).
    pub fn top_via(&self) -> Result<Via<'a>, ParseError> {
        self.parse_required(HeaderName::Via, |v| {
            let mut cur = super::lex::Cursor::new(v);
            cur.skip_ws();
            Via::parse_at(&mut cur)
        })
    }

    /// From.
    pub fn from(&self) -> Result<NameAddr<'a>, ParseError> {
        self.parse_required(HeaderName::From, NameAddr::parse)
    }

    /// To.
    pub fn to(&self) -> Result<NameAddr<'a>, ParseError> {
        self.parse_required(HeaderName::To, NameAddr::parse)
    }

    /// Call-ID.
    pub fn call_id(&self) -> Result<&'a [u8], ParseError> {
        self.parse_required(HeaderName::CallId, scalar::parse_call_id)
    }

    /// CSeq.
    pub fn cseq(&self) -> Result<CSeq<'a>, ParseError> {
        self.parse_required(HeaderName::CSeq, CSeq::parse)
    }

    /// Max-Forwards, if present.
    pub fn max_forwards(&self) -> Result<Option<u8>, ParseError> {
        self.parse_first(HeaderName::MaxForwards, scalar::parse_max_forwards)
    }

    /// Expires, if present.
    pub fn expires(&self) -> Result<Option<u32>, ParseError> {
        self.parse_first(HeaderName::Expires, scalar::parse_u32)
    }

    /// Min-Expires, if present.
    pub fn min_expires(&self) -> Result<Option<u32>, ParseError> {
        self.parse_first(HeaderName::MinExpires, scalar::parse_u32)
    }

    /// Content-Length, if present (the first one; framing checks for conflicts).
    pub fn content_length(&self) -> Result<Option<u32>, ParseError> {
        self.parse_first(HeaderName::ContentLength, scalar::parse_content_length)
    }

    /// Content-Type, if present.
    pub fn content_type(&self) -> Result<Option<MediaType<'a>>, ParseError> {
        self.parse_first(HeaderName::ContentType, MediaType::parse)
    }

    /// All Contact values. `Contact: *` must be the only value.
    pub fn contacts(&self) -> Result<Contacts<'a>, ParseError> {
        let mut list: Vec<Contact<'a>> = Vec::new();
        let mut star = None;
        for h in self.headers_named(HeaderName::Contact) {
            match h.parse_with(Contacts::parse)? {
                Contacts::Star => star = Some(h),
                Contacts::List(l) => list.extend(l),
            }
        }
        match star {
            Some(h) if !list.is_empty() || self.count(HeaderName::Contact) > 1 => {
                Err(h.error_at(ValueError::new(ErrorKind::UnexpectedChar, 0)))
            }
            Some(_) => Ok(Contacts::Star),
            None => Ok(Contacts::List(list)),
        }
    }

    /// Route values, in order.
    pub fn routes(&self) -> Result<Vec<NameAddr<'a>>, ParseError> {
        self.parse_all(HeaderName::Route, NameAddr::parse_route_list)
    }

    /// Record-Route values, in order.
    pub fn record_routes(&self) -> Result<Vec<NameAddr<'a>>, ParseError> {
        self.parse_all(HeaderName::RecordRoute, NameAddr::parse_route_list)
    }

    /// Challenges (`WwwAuthenticate`, `ProxyAuthenticate`) or credentials
    /// (`Authorization`, `ProxyAuthorization`) from every header of that name.
    pub fn auth(&self, name: HeaderName) -> Result<Vec<Challenge<'a>>, ParseError> {
        self.parse_all(name, Challenge::parse_list)
    }

    /// A token list (Allow, Supported, Require, Proxy-Require, Unsupported...) merged over
    /// all headers of that name.
    pub fn tokens(&self, name: HeaderName) -> Result<Vec<&'a [u8]>, ParseError> {
        self.parse_all(name, parse_token_list)
    }

    /// Accept, if present (an empty Accept is `Some(vec![])`).
    pub fn accept(&self) -> Result<Option<Vec<MediaType<'a>>>, ParseError> {
        if self.header(HeaderName::Accept).is_none() {
            return Ok(None);
        }
        self.parse_all(HeaderName::Accept, MediaType::parse_accept).map(Some)
    }

    /// The unfolded text of the first `name` header (User-Agent, Server, Subject...).
    pub fn text(&self, name: HeaderName) -> Option<Cow<'a, [u8]>> {
        self.header(name).map(Header::value)
    }

    /// User-Agent (or, with `HeaderName::Server`, Server) as products and comments.
    pub fn products(&self, name: HeaderName) -> Result<Option<Vec<Product<'a>>>, ParseError> {
        self.parse_first(name, scalar::parse_products)
    }

    /// Date, if present.
    pub fn date(&self) -> Result<Option<SipDate>, ParseError> {
        self.parse_first(HeaderName::Date, SipDate::parse)
    }

    /// All Warning values.
    pub fn warnings(&self) -> Result<Vec<Warning<'a>>, ParseError> {
        self.parse_all(HeaderName::Warning, Warning::parse_list)
    }

    /// All Reason values.
    pub fn reasons(&self) -> Result<Vec<Reason<'a>>, ParseError> {
        self.parse_all(HeaderName::Reason, Reason::parse_list)
    }

    /// Retry-After, if present.
    pub fn retry_after(&self) -> Result<Option<RetryAfter<'a>>, ParseError> {
        self.parse_first(HeaderName::RetryAfter, RetryAfter::parse)
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
    fn accessors() {
        let buf = b"REGISTER sip:registrar.biloxi.com SIP/2.0\r\nv: SIP/2.0/UDP bobspc.biloxi.com:5060;branch=z9hG4bKnashds7, SIP/2.0/TCP [::1];rport\r\nMax-Forwards: 70\r\nt: Bob <sip:bob@biloxi.com>\r\nf: Bob <sip:bob@biloxi.com>;tag=456248\r\ni: 843817637684230@998sdasdh09\r\nCSeq: 1826 REGISTER\r\nm: <sip:bob@192.0.2.4>;expires=7200\r\nExpires: 7200\r\nk: path, gruu\r\nAllow: INVITE, ACK\r\nWWW-Authenticate: Digest realm=\"b\", nonce=\"n\"\r\nUser-Agent: sip7940\r\n  /1.0\r\nl: 0\r\n\r\n";
        let m = msg(buf);
        assert_eq!(m.vias().unwrap().len(), 2);
        assert_eq!(m.top_via().unwrap().port, Some(5060));
        assert_eq!(m.from().unwrap().tag(), Some(&b"456248"[..]));
        assert_eq!(m.to().unwrap().tag(), None);
        assert_eq!(m.call_id().unwrap(), b"843817637684230@998sdasdh09");
        assert_eq!(m.cseq().unwrap().seq, 1826);
        assert_eq!(m.max_forwards().unwrap(), Some(70));
        assert_eq!(m.expires().unwrap(), Some(7200));
        assert_eq!(m.content_length().unwrap(), Some(0));
        let Contacts::List(c) = m.contacts().unwrap() else { panic!() };
        assert_eq!(c[0].expires, Some(7200));
        assert_eq!(m.tokens(HeaderName::Supported).unwrap(), vec![&b"path"[..], b"gruu"]);
        assert_eq!(m.tokens(HeaderName::Allow).unwrap().len(), 2);
        assert_eq!(m.auth(HeaderName::WwwAuthenticate).unwrap()[0].get("realm").unwrap().as_ref(), b"b");
        assert_eq!(m.text(HeaderName::UserAgent).unwrap().as_ref(), b"sip7940 /1.0");
        assert_eq!(m.accept().unwrap(), None);
        assert!(m.routes().unwrap().is_empty());
        assert!(matches!(m.request_uri().unwrap(), Uri::Sip(_)));
        assert_eq!(m.method(), Some(Method::Register));
        assert_eq!(m.status_code(), None);
    }

    #[test]
    fn error_positions() {
        let m = msg(b"OPTIONS sip:a@b SIP/2.0\r\nCSeq: 99999999999 OPTIONS\r\nTo: \"open <sip:a@b>\r\n\r\n");
        let e = m.cseq().unwrap_err();
        assert_eq!((e.kind, e.line, e.column), (ErrorKind::NumberOutOfRange, 2, 7));
        let e = m.to().unwrap_err();
        assert_eq!((e.kind, e.line, e.column), (ErrorKind::UnterminatedQuote, 3, 5));
        assert_eq!(m.from().unwrap_err().kind, ErrorKind::MissingHeader(HeaderName::From));
        let m = msg(b"OPTIONS sip:a@b;x=\x01 SIP/2.0\r\n\r\n");
        let e = m.request_uri().unwrap_err();
        assert_eq!((e.line, e.column), (1, 19));
    }

    #[test]
    fn contact_star() {
        let m = msg(b"REGISTER sip:a SIP/2.0\r\nContact: *\r\n\r\n");
        assert_eq!(m.contacts().unwrap(), Contacts::Star);
        let m = msg(b"REGISTER sip:a SIP/2.0\r\nContact: *\r\nContact: <sip:a@b>\r\n\r\n");
        assert!(m.contacts().is_err());
    }
}
