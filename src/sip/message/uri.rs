//! URIs (RFC 3261 §19.1, §25.1): `sip:`/`sips:` with user, password, host (domain, IPv4,
//! bracketed IPv6), port, parameters and headers; `tel:` (RFC 3966, number and parameters);
//! any other scheme kept as [`OtherUri`] so that a UA can answer 416.
//!
//! Components keep their %-escapes; [`pct_decode`] and [`SipUri::equivalent`] compare them
//! the RFC 3261 §19.1.4 way.

use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::error::{ErrorKind, ValueError};
use super::lex::{Cursor, eq_unescaped, escapes_valid, is_unreserved, parse_u64, pct_decode};

/// A parsed URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uri<'a> {
    /// `sip:` or `sips:`.
    Sip(SipUri<'a>),
    /// `tel:`.
    Tel(TelUri<'a>),
    /// Any other scheme (`isbn:`, `http:`, `soap.beep:`...), kept opaque.
    Other(OtherUri<'a>),
}

/// A `sip:` or `sips:` URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipUri<'a> {
    /// `true` for `sips:`.
    pub secure: bool,
    /// User part, %-escapes kept (may contain `;` as in `user;par=x`).
    pub user: Option<&'a [u8]>,
    /// Password, %-escapes kept.
    pub password: Option<&'a [u8]>,
    /// Host.
    pub host: Host<'a>,
    /// Port, if written.
    pub port: Option<u16>,
    /// URI parameters (`;transport=tcp;lr`).
    pub params: UriParams<'a>,
    /// Header part after `?`, raw (`Route=%3Csip:x%3E&Subject=y`).
    pub headers: Option<&'a [u8]>,
}

/// A `tel:` URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelUri<'a> {
    /// The number (`+1-201-555-0123` or a local number).
    pub number: &'a [u8],
    /// Parameters (`;phone-context=example.com`).
    pub params: UriParams<'a>,
}

/// A URI of a scheme the codec does not interpret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtherUri<'a> {
    /// The scheme as written, without `:`.
    pub scheme: &'a [u8],
    /// Everything after the `:`.
    pub rest: &'a [u8],
}

/// The host of a URI or Via.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host<'a> {
    /// A domain name as written.
    Domain(&'a [u8]),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address (written as a `[...]` reference).
    Ipv6(Ipv6Addr),
}

impl Host<'_> {
    /// Parses a host: a domain name, an IPv4 address or a bracketed IPv6 reference.
    pub fn parse(b: &[u8]) -> Result<Host<'_>, ValueError> {
        let mut cur = Cursor::new(b);
        let h = parse_host(&mut cur)?;
        if cur.at_end() { Ok(h) } else { Err(cur.err(ErrorKind::BadHost)) }
    }

    /// Compares hosts (domain names ignoring ASCII case).
    pub fn eq_host(&self, other: &Host<'_>) -> bool {
        match (self, other) {
            (Host::Domain(a), Host::Domain(b)) => a.eq_ignore_ascii_case(b),
            (Host::Ipv4(a), Host::Ipv4(b)) => a == b,
            (Host::Ipv6(a), Host::Ipv6(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(&String::from_utf8_lossy(d)),
            Host::Ipv4(a) => write!(f, "{a}"),
            Host::Ipv6(a) => write!(f, "[{a}]"),
        }
    }
}

/// Reads a host at the cursor (stops at the first character that cannot belong to it).
pub(super) fn parse_host<'a>(cur: &mut Cursor<'a>) -> Result<Host<'a>, ValueError> {
    let start = cur.pos();
    if cur.eat(b'[') {
        let inner = cur.take_while(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        if !cur.eat(b']') {
            return Err(cur.err_or_end(ErrorKind::BadHost));
        }
        return parse_ipv6(inner).map(Host::Ipv6).ok_or(ValueError::new(ErrorKind::BadHost, start));
    }
    let name = cur.take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if name.is_empty() {
        return Err(cur.err_or_end(ErrorKind::BadHost));
    }
    if name.iter().all(|&b| b.is_ascii_digit() || b == b'.') {
        return std::str::from_utf8(name)
            .ok()
            .and_then(|s| s.parse::<Ipv4Addr>().ok())
            .map(Host::Ipv4)
            .ok_or(ValueError::new(ErrorKind::BadHost, start));
    }
    if name.starts_with(b".") || name.starts_with(b"-") || name.windows(2).any(|w| w == b"..") {
        return Err(ValueError::new(ErrorKind::BadHost, start));
    }
    Ok(Host::Domain(name))
}

/// Parses the text of an IPv6 address (no brackets).
pub(super) fn parse_ipv6(b: &[u8]) -> Option<Ipv6Addr> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Reads an optional `:port` at the cursor.
pub(super) fn parse_port(cur: &mut Cursor<'_>) -> Result<Option<u16>, ValueError> {
    if !cur.eat(b':') {
        return Ok(None);
    }
    let start = cur.pos();
    let digits = cur.take_while(|b| b.is_ascii_digit());
    parse_u64(digits, u64::from(u16::MAX))
        .and_then(|n| u16::try_from(n).ok())
        .map(Some)
        .ok_or(ValueError::new(ErrorKind::BadPort, start))
}

/// The `;name=value` parameters of a URI, kept raw (escapes included) and read lazily.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UriParams<'a> {
    raw: &'a [u8],
}

impl<'a> UriParams<'a> {
    /// The raw text, starting at the first `;` (empty if there are none).
    pub const fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Iterates over `(name, value)` pairs, raw.
    pub fn iter(&self) -> impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)> + 'a {
        self.raw.split(|&b| b == b';').filter(|p| !p.is_empty()).map(|p| {
            match p.iter().position(|&b| b == b'=') {
                Some(i) => (p.get(..i).unwrap_or_default(), p.get(i + 1..)),
                None => (p, None),
            }
        })
    }

    /// The first parameter whose unescaped name equals `name` ignoring case; `Some(None)`
    /// if it has no value.
    pub fn get(&self, name: &str) -> Option<Option<&'a [u8]>> {
        self.iter().find(|(n, _)| pct_decode(n).eq_ignore_ascii_case(name.as_bytes())).map(|(_, v)| v)
    }

    /// Whether the parameter `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

const fn is_param_char(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'[' | b']' | b'/' | b':' | b'&' | b'+' | b'$' | b'%')
}

const fn is_header_char(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'[' | b']' | b'/' | b'?' | b':' | b'+' | b'$' | b'%' | b'=' | b'&')
}

const fn is_user_char(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'&' | b'=' | b'+' | b'$' | b',' | b';' | b'?' | b'/' | b'%')
}

const fn is_password_char(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'&' | b'=' | b'+' | b'$' | b',' | b'%')
}

const fn is_scheme_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')
}

impl<'a> Uri<'a> {
    /// Parses a complete URI (no surrounding whitespace or brackets).
    pub fn parse(b: &'a [u8]) -> Result<Uri<'a>, ValueError> {
        let colon = b
            .iter()
            .position(|&c| !is_scheme_char(c))
            .filter(|&i| i > 0 && b.get(i) == Some(&b':'))
            .ok_or(ValueError::new(ErrorKind::BadScheme, 0))?;
        let scheme = b.get(..colon).unwrap_or_default();
        if !scheme.first().is_some_and(u8::is_ascii_alphabetic) {
            return Err(ValueError::new(ErrorKind::BadScheme, 0));
        }
        let rest = b.get(colon + 1..).unwrap_or_default();
        let off = colon + 1;
        let shift = |e: ValueError| ValueError::new(e.kind, e.offset + off);
        if scheme.eq_ignore_ascii_case(b"sip") || scheme.eq_ignore_ascii_case(b"sips") {
            SipUri::parse_rest(rest, scheme.len() == 4).map(Uri::Sip).map_err(shift)
        } else if scheme.eq_ignore_ascii_case(b"tel") {
            TelUri::parse_rest(rest).map(Uri::Tel).map_err(shift)
        } else {
            if rest.is_empty() {
                return Err(ValueError::new(ErrorKind::UnexpectedEnd, off));
            }
            if let Some(i) =
                rest.iter().position(|&c| c <= b' ' || c >= 0x7f || matches!(c, b'<' | b'>' | b'"'))
            {
                return Err(ValueError::new(ErrorKind::UnexpectedChar, off + i));
            }
            Ok(Uri::Other(OtherUri { scheme, rest }))
        }
    }

    /// The scheme as written.
    pub fn scheme(&self) -> &'a [u8] {
        match self {
            Uri::Sip(u) if u.secure => b"sips",
            Uri::Sip(_) => b"sip",
            Uri::Tel(_) => b"tel",
            Uri::Other(o) => o.scheme,
        }
    }

    /// The SIP URI, if this is one.
    pub const fn as_sip(&self) -> Option<&SipUri<'a>> {
        match self {
            Uri::Sip(u) => Some(u),
            _ => None,
        }
    }
}

/// Checks that `s` only holds `ok` characters and valid escapes; error offsets are `base + i`.
fn check_chars(s: &[u8], base: usize, ok: fn(u8) -> bool, kind: ErrorKind) -> Result<(), ValueError> {
    if let Some(i) = s.iter().position(|&c| !ok(c)) {
        return Err(ValueError::new(kind, base + i));
    }
    if !escapes_valid(s) {
        return Err(ValueError::new(ErrorKind::BadEscape, base));
    }
    Ok(())
}

impl<'a> SipUri<'a> {
    /// Parses what follows `sip:` / `sips:`.
    fn parse_rest(b: &'a [u8], secure: bool) -> Result<SipUri<'a>, ValueError> {
        let (user, password, host_at) = match b.iter().position(|&c| c == b'@') {
            Some(at) => {
                let info = b.get(..at).unwrap_or_default();
                let (user, password) = match info.iter().position(|&c| c == b':') {
                    Some(c) => (info.get(..c).unwrap_or_default(), info.get(c + 1..)),
                    None => (info, None),
                };
                if user.is_empty() {
                    return Err(ValueError::new(ErrorKind::BadUserInfo, 0));
                }
                check_chars(user, 0, is_user_char, ErrorKind::BadUserInfo)?;
                if let Some(p) = password {
                    check_chars(p, user.len() + 1, is_password_char, ErrorKind::BadUserInfo)?;
                }
                (Some(user), password, at + 1)
            }
            None => (None, None, 0),
        };
        let mut cur = Cursor::new(b);
        cur.set_pos(host_at);
        let host = parse_host(&mut cur)?;
        let port = parse_port(&mut cur)?;
        let pstart = cur.pos();
        while cur.eat(b';') {
            let name = cur.take_while(|c| is_param_char(c) && c != b'=');
            if name.is_empty() {
                return Err(cur.err_or_end(ErrorKind::EmptyElement));
            }
            if cur.eat(b'=') && cur.take_while(is_param_char).is_empty() {
                return Err(cur.err_or_end(ErrorKind::UnexpectedChar));
            }
        }
        let praw = cur.since(pstart);
        if !escapes_valid(praw) {
            return Err(ValueError::new(ErrorKind::BadEscape, pstart));
        }
        let headers = if cur.eat(b'?') {
            let hstart = cur.pos();
            let h = cur.take_while(is_header_char);
            if h.is_empty() {
                return Err(cur.err_or_end(ErrorKind::EmptyElement));
            }
            if !escapes_valid(h) {
                return Err(ValueError::new(ErrorKind::BadEscape, hstart));
            }
            Some(h)
        } else {
            None
        };
        if !cur.at_end() {
            return Err(cur.err(ErrorKind::UnexpectedChar));
        }
        Ok(SipUri { secure, user, password, host, port, params: UriParams { raw: praw }, headers })
    }

    /// The user part with %-escapes decoded (may contain NUL bytes: `%00` is kept).
    pub fn user_unescaped(&self) -> Option<Cow<'a, [u8]>> {
        self.user.map(pct_decode)
    }

    /// The `transport` parameter.
    pub fn transport(&self) -> Option<&'a [u8]> {
        self.params.get("transport").flatten()
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&'a [u8]> {
        self.params.get("maddr").flatten()
    }

    /// Whether the `lr` parameter is present (loose routing).
    pub fn lr(&self) -> bool {
        self.params.contains("lr")
    }

    /// The `user` parameter (`phone`, `ip`).
    pub fn user_param(&self) -> Option<&'a [u8]> {
        self.params.get("user").flatten()
    }

    /// RFC 3261 §19.1.4 comparison: same scheme, user and password (after unescaping,
    /// case-sensitive), host (ignoring case), port; the `user`, `ttl`, `method`, `maddr`,
    /// `transport` parameters must match if present in either; other parameters only if both
    /// have them; headers are ignored.
    pub fn equivalent(&self, other: &SipUri<'_>) -> bool {
        let opt_eq = |a: Option<&[u8]>, b: Option<&[u8]>| match (a, b) {
            (None, None) => true,
            (Some(a), Some(b)) => eq_unescaped(a, b),
            _ => false,
        };
        if self.secure != other.secure
            || !opt_eq(self.user, other.user)
            || !opt_eq(self.password, other.password)
            || !self.host.eq_host(&other.host)
            || self.port != other.port
        {
            return false;
        }
        let val_eq = |a: Option<&[u8]>, b: Option<&[u8]>| match (a, b) {
            (None, None) => true,
            (Some(a), Some(b)) => pct_decode(a).eq_ignore_ascii_case(&pct_decode(b)),
            _ => false,
        };
        for strict in ["user", "ttl", "method", "maddr", "transport"] {
            match (self.params.get(strict), other.params.get(strict)) {
                (None, None) => {}
                (Some(a), Some(b)) if val_eq(a, b) => {}
                _ => return false,
            }
        }
        self.params.iter().all(|(n, v)| {
            let name = pct_decode(n);
            other
                .params
                .iter()
                .find(|(m, _)| pct_decode(m).eq_ignore_ascii_case(&name))
                .is_none_or(|(_, w)| val_eq(v, w))
        })
    }
}

impl<'a> TelUri<'a> {
    fn parse_rest(b: &'a [u8]) -> Result<TelUri<'a>, ValueError> {
        let end = b.iter().position(|&c| c == b';').unwrap_or(b.len());
        let number = b.get(..end).unwrap_or_default();
        let ok =
            |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.' | b'(' | b')' | b'*' | b'#');
        if number.is_empty() {
            return Err(ValueError::new(ErrorKind::UnexpectedEnd, 0));
        }
        let raw = b.get(end..).unwrap_or_default();
        check_chars(number, 0, ok, ErrorKind::UnexpectedChar)?;
        check_chars(raw, end, |c| is_param_char(c) || c == b'=' || c == b';', ErrorKind::UnexpectedChar)?;
        Ok(TelUri { number, params: UriParams { raw } })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn sip(s: &str) -> SipUri<'_> {
        match Uri::parse(s.as_bytes()).unwrap() {
            Uri::Sip(u) => u,
            other => unreachable!("{other:?}"),
        }
    }

    #[test]
    fn sip_basic() {
        let u = sip("sip:alice:secret@example.com:5070;transport=tcp;lr?Subject=hi&X=y");
        assert!(!u.secure);
        assert_eq!(u.user, Some(&b"alice"[..]));
        assert_eq!(u.password, Some(&b"secret"[..]));
        assert_eq!(u.host, Host::Domain(b"example.com"));
        assert_eq!(u.port, Some(5070));
        assert_eq!(u.transport(), Some(&b"tcp"[..]));
        assert!(u.lr());
        assert_eq!(u.headers, Some(&b"Subject=hi&X=y"[..]));
        let u = sip("SIPS:example.com");
        assert!(u.secure && u.user.is_none() && u.port.is_none());
    }

    #[test]
    fn ip_hosts() {
        assert_eq!(sip("sip:[2001:db8::10]:5070").port, Some(5070));
        assert_eq!(sip("sip:[2001:db8::10:5070]").port, None);
        assert_eq!(sip("sip:u@[::1]").host, Host::Ipv6(Ipv6Addr::LOCALHOST));
        assert_eq!(sip("sip:192.0.2.1").host, Host::Ipv4(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!(sip("sip:[::ffff:192.0.2.2]").host.to_string(), "[::ffff:192.0.2.2]");
        assert!(Uri::parse(b"sip:2001:db8::10").is_err());
        assert!(Uri::parse(b"sip:user@[2001:db8:::192.0.2.1]").is_err());
        assert!(Uri::parse(b"sip:1.2.3.999").is_err());
        assert!(Uri::parse(b"sip:u@host:99999").is_err());
    }

    #[test]
    fn odd_users() {
        let u = sip(
            "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
        );
        assert_eq!(u.user.unwrap(), b"1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
        let u = sip("sip:user;par=u%40example.net@example.com");
        assert_eq!(u.user_unescaped().unwrap().as_ref(), b"user;par=u@example.net");
        let u = sip("sip:null-%00-null@example.com");
        assert_eq!(u.user_unescaped().unwrap().as_ref(), b"null-\0-null");
        assert!(Uri::parse(b"sip:a%zz@example.com").is_err());
    }

    #[test]
    fn equivalence() {
        assert!(sip("sip:%75se%72@example.com").equivalent(&sip("sip:user@EXAMPLE.com")));
        assert!(!sip("sip:User@example.com").equivalent(&sip("sip:user@example.com")));
        assert!(sip("sip:u@h;foo=1").equivalent(&sip("sip:u@h")));
        assert!(!sip("sip:u@h;transport=tcp").equivalent(&sip("sip:u@h")));
        assert!(!sip("sip:u@h:5060").equivalent(&sip("sip:u@h")));
        let a = sip("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31");
        let b = sip("sip:caller@host5.example.net;lr;name=value%2541");
        assert!(!a.equivalent(&sip("sip:caller@host5.example.net;lr;name=valueA")));
        assert!(a.equivalent(&b));
    }

    #[test]
    fn other_schemes() {
        let u = Uri::parse(b"nobodyKnowsThisScheme:totallyopaquecontent").unwrap();
        assert!(matches!(u, Uri::Other(o) if o.scheme == b"nobodyKnowsThisScheme"));
        let u = Uri::parse(b"soap.beep://192.0.2.103:3002").unwrap();
        assert_eq!(u.scheme(), b"soap.beep");
        assert!(Uri::parse(b"<sip:a@b>").is_err());
        assert!(Uri::parse(b"sip:user@example.com; lr").is_err());
        assert!(Uri::parse(b"1abc:x").is_err());
        assert!(Uri::parse(b"x:").is_err());
    }

    #[test]
    fn tel() {
        let u = Uri::parse(b"tel:+1-201-555-0123;phone-context=example.com").unwrap();
        match u {
            Uri::Tel(t) => {
                assert_eq!(t.number, b"+1-201-555-0123");
                assert_eq!(t.params.get("phone-context"), Some(Some(&b"example.com"[..])));
            }
            _ => unreachable!(),
        }
    }
}
