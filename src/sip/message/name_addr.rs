//! name-addr / addr-spec values (RFC 3261 §20.10, §20.20, §20.39, §25.1): From, To, Contact,
//! Route, Record-Route and the like. Display names may be quoted or a run of tokens; the URI is
//! either in `<>` or bare (then header parameters start at the first `;`).

use std::borrow::Cow;
use std::fmt;

use super::error::{ErrorKind, ValueError};
use super::lex::{Cursor, is_token, is_ws, parse_list, unquote};
use super::params::Params;
use super::uri::Uri;

/// A display name as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisplayName<'a> {
    /// A quoted string, raw with its quotes and escapes.
    Quoted(&'a [u8]),
    /// One or more tokens separated by whitespace, raw.
    Tokens(&'a [u8]),
}

impl<'a> DisplayName<'a> {
    /// The display text: quotes and escapes removed, folds unfolded.
    pub fn text(&self) -> Cow<'a, [u8]> {
        match self {
            DisplayName::Quoted(q) => unquote(q),
            DisplayName::Tokens(t) => unquote(t),
        }
    }

    /// The raw text as written.
    pub const fn raw(&self) -> &'a [u8] {
        match self {
            DisplayName::Quoted(b) | DisplayName::Tokens(b) => b,
        }
    }
}

/// A name-addr or addr-spec with its header parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// Display name, if any.
    pub display_name: Option<DisplayName<'a>>,
    /// The parsed URI.
    pub uri: Uri<'a>,
    /// The URI text as written (without `<>`).
    pub uri_raw: &'a [u8],
    /// Whether the URI was enclosed in `<>`.
    pub bracketed: bool,
    /// Header parameters after the URI (`;tag=...`).
    pub params: Params<'a>,
}

/// Converts an error from a sub-slice parser to an offset in the whole value.
const fn shift(e: ValueError, by: usize) -> ValueError {
    ValueError::new(e.kind, e.offset.saturating_add(by))
}

impl<'a> NameAddr<'a> {
    /// Parses a single value (From, To, Refer-To...). The whole value must be consumed.
    pub fn parse(value: &'a [u8]) -> Result<NameAddr<'a>, ValueError> {
        let mut cur = Cursor::new(value);
        cur.skip_ws();
        let na = NameAddr::parse_at(&mut cur)?;
        cur.finish()?;
        Ok(na)
    }

    /// Parses a comma-separated list of name-addrs that must be in `<>` (Route,
    /// Record-Route, Path, Service-Route).
    pub fn parse_route_list(value: &'a [u8]) -> Result<Vec<NameAddr<'a>>, ValueError> {
        parse_list(value, |cur| {
            let start = cur.pos();
            let na = NameAddr::parse_at(cur)?;
            if na.bracketed { Ok(na) } else { Err(ValueError::new(ErrorKind::NeedsAngleBrackets, start)) }
        })
    }

    /// Parses one name-addr or addr-spec with parameters at the cursor.
    pub fn parse_at(cur: &mut Cursor<'a>) -> Result<NameAddr<'a>, ValueError> {
        cur.skip_ws();
        let mut display_name = None;
        match cur.peek() {
            Some(b'"') => {
                display_name = Some(DisplayName::Quoted(cur.quoted()?));
                cur.skip_ws();
                if cur.peek() != Some(b'<') {
                    return Err(cur.err_or_end(ErrorKind::UnexpectedChar));
                }
            }
            Some(b'<') => {}
            _ => {
                // A run of tokens followed by '<' is a display name; otherwise an addr-spec.
                let start = cur.pos();
                let mut end = start;
                while !cur.take_while(is_token).is_empty() {
                    end = cur.pos();
                    cur.skip_ws();
                }
                if end > start && cur.peek() == Some(b'<') {
                    display_name = Some(DisplayName::Tokens(cur.slice(start, end)));
                } else {
                    cur.set_pos(start);
                }
            }
        }
        let (uri_raw, uri, bracketed) = if cur.eat(b'<') {
            let ustart = cur.pos();
            let raw = cur.take_while(|b| b != b'>' && !is_ws(b));
            if !cur.eat(b'>') {
                return Err(cur.err_or_end(ErrorKind::UnexpectedChar));
            }
            let uri = Uri::parse(raw).map_err(|e| shift(e, ustart))?;
            (raw, uri, true)
        } else {
            let ustart = cur.pos();
            let raw = cur.take_while(|b| !is_ws(b) && b != b';' && b != b',');
            if raw.is_empty() {
                return Err(cur.err_or_end(ErrorKind::UnexpectedChar));
            }
            let uri = Uri::parse(raw).map_err(|e| shift(e, ustart))?;
            if let Uri::Sip(s) = &uri
                && s.headers.is_some()
            {
                return Err(ValueError::new(ErrorKind::NeedsAngleBrackets, ustart));
            }
            (raw, uri, false)
        };
        let params = Params::parse(cur)?;
        Ok(NameAddr { display_name, uri, uri_raw, bracketed, params })
    }

    /// The `tag` parameter (From/To).
    pub fn tag(&self) -> Option<&'a [u8]> {
        self.params.get("tag").flatten()
    }
}

/// Prints in canonical form: `"Name" <uri>;param=value` (always with `<>`).
impl fmt::Display for NameAddr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        if let Some(d) = &self.display_name {
            write!(f, "{} ", s(d.raw()))?;
        }
        write!(f, "<{}>", s(self.uri_raw))?;
        for p in self.params.iter() {
            write!(f, ";{}", s(p.name))?;
            if let Some(v) = p.value {
                write!(f, "={}", s(v))?;
            }
        }
        Ok(())
    }
}

/// One Contact value with its registration parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contact<'a> {
    /// The address and all parameters.
    pub addr: NameAddr<'a>,
    /// `expires` parameter (0..=2^32-1).
    pub expires: Option<u32>,
    /// `q` parameter in thousandths (0..=1000).
    pub q: Option<u16>,
}

impl<'a> Contact<'a> {
    /// The `+sip.instance` parameter without its quotes (RFC 5626), e.g. `<urn:uuid:...>`.
    pub fn instance(&self) -> Option<Cow<'a, [u8]>> {
        self.addr.params.get("+sip.instance").flatten().map(unquote)
    }
}

/// The value(s) of a Contact header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contacts<'a> {
    /// `Contact: *` (remove all bindings).
    Star,
    /// One or more contacts.
    List(Vec<Contact<'a>>),
}

/// Parses an RFC 3261 qvalue (`0`, `0.5`, `1.000`) into thousandths.
pub fn parse_qvalue(v: &[u8]) -> Option<u16> {
    let (int, frac) = match v.iter().position(|&b| b == b'.') {
        Some(i) => (v.get(..i)?, v.get(i + 1..)?),
        None => (v, &b""[..]),
    };
    if frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for i in 0..3 {
        thousandths = thousandths * 10 + frac.get(i).map_or(0, |d| u16::from(d - b'0'));
    }
    match int {
        b"0" => Some(thousandths),
        b"1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

impl<'a> Contacts<'a> {
    /// Parses the value of one Contact header line.
    pub fn parse(value: &'a [u8]) -> Result<Contacts<'a>, ValueError> {
        if super::lex::trim(value) == b"*" {
            return Ok(Contacts::Star);
        }
        parse_list(value, |cur| {
            let start = cur.pos();
            let addr = NameAddr::parse_at(cur)?;
            let err = |kind| ValueError::new(kind, start);
            let expires = match addr.params.get("expires") {
                None => None,
                Some(v) => {
                    let v = v.ok_or(err(ErrorKind::EmptyElement))?;
                    let n = super::lex::parse_u64(v, u64::from(u32::MAX))
                        .ok_or(err(ErrorKind::NumberOutOfRange))?;
                    Some(u32::try_from(n).map_err(|_| err(ErrorKind::NumberOutOfRange))?)
                }
            };
            let q = match addr.params.get("q") {
                None => None,
                Some(v) => Some(v.and_then(parse_qvalue).ok_or(err(ErrorKind::NumberOutOfRange))?),
            };
            Ok(Contact { addr, expires, q })
        })
        .map(Contacts::List)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let n = NameAddr::parse(
            b"\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8",
        )
        .unwrap();
        assert_eq!(n.display_name.unwrap().text().as_ref(), b"J Rosenberg \\\"");
        assert_eq!(n.tag(), Some(&b"98asjd8"[..]));
        assert!(n.bracketed);
        let n = NameAddr::parse(b"\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n").unwrap();
        assert!(!n.bracketed);
        assert_eq!(n.uri_raw, b"sip:vivekg@chair-dnrc.example.com");
        assert_eq!(n.tag(), Some(&b"1918181833n"[..]));
        let n = NameAddr::parse(b"caller<sip:caller@example.com>;tag=323").unwrap();
        assert_eq!(n.display_name, Some(DisplayName::Tokens(b"caller")));
        let n = NameAddr::parse(b"token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;tag=x").unwrap();
        assert_eq!(n.display_name.unwrap().raw(), b"token1~` token2'+_ token3*%!.-");
        let n = NameAddr::parse(b"<http://www.example.com>;tag=3234233").unwrap();
        assert_eq!(n.uri.scheme(), b"http");
        assert_eq!(n.to_string(), "<http://www.example.com>;tag=3234233");
    }

    #[test]
    fn invalid() {
        for bad in [
            &b"\"Mr. J. User <sip:j.user@example.com>"[..],
            b"Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
            b"\"Watson, Thomas\" < sip:t.watson@example.org >",
            b"sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            b"<sip:a@b",
            b"",
            b"<sip:a@b>, <sip:c@d>",
        ] {
            assert!(NameAddr::parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn contacts() {
        assert_eq!(Contacts::parse(b" * ").unwrap(), Contacts::Star);
        let c = Contacts::parse(b"\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n      newvalue ;\r\n  secondparam ; q = 0.33, <sip:b@c>;expires=60;+sip.instance=\"<urn:uuid:1>\"").unwrap();
        let Contacts::List(l) = c else { unreachable!() };
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].q, Some(330));
        assert_eq!(l[0].addr.params.get("newparam"), Some(Some(&b"newvalue"[..])));
        assert_eq!(l[1].expires, Some(60));
        assert_eq!(l[1].instance().unwrap().as_ref(), b"<urn:uuid:1>");
        assert!(Contacts::parse(b"<sip:u@h>;expires=280297596632815").is_err());
        assert!(Contacts::parse(b"\"Joe\" <sip:joe@example.org>;;;;").is_err());
        assert!(Contacts::parse(b"<sip:u@h>;q=2").is_err());
        let Contacts::List(l) = Contacts::parse(b"sip:+19725552222@gw1.example.net;unknownparam").unwrap()
        else {
            unreachable!()
        };
        assert!(l[0].addr.params.contains("unknownparam"));
        assert!(l[0].addr.uri.as_sip().unwrap().params.raw().is_empty());
        let Contacts::List(l) = Contacts::parse(b"<sip:+19725552222@gw1.example.net;unknownparam>").unwrap()
        else {
            unreachable!()
        };
        assert!(l[0].addr.params.is_empty());
        assert!(l[0].addr.uri.as_sip().unwrap().params.contains("unknownparam"));
    }

    #[test]
    fn qvalues() {
        assert_eq!(parse_qvalue(b"0"), Some(0));
        assert_eq!(parse_qvalue(b"1"), Some(1000));
        assert_eq!(parse_qvalue(b"1.000"), Some(1000));
        assert_eq!(parse_qvalue(b"0.5"), Some(500));
        assert_eq!(parse_qvalue(b"1.5"), None);
        assert_eq!(parse_qvalue(b"0.1234"), None);
        assert_eq!(parse_qvalue(b""), None);
    }

    #[test]
    fn routes() {
        let r = NameAddr::parse_route_list(b"<sip:a@b;lr>, <sip:c@d;lr>").unwrap();
        assert_eq!(r.len(), 2);
        assert!(NameAddr::parse_route_list(b"sip:a@b").is_err());
    }
}
