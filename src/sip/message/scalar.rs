//! Small typed headers: Call-ID, CSeq, Max-Forwards, Expires/Min-Expires, Content-Length,
//! Content-Type and Accept (media types), option-tag / method lists (Allow, Supported,
//! Require, Proxy-Require, Unsupported), Warning, Date (RFC 1123, GMT), Reason, Retry-After.

use std::fmt;

use super::error::{ErrorKind, ValueError};
use super::lex::{Cursor, is_ws, parse_list, trim};
use super::method::Method;
use super::params::Params;

/// Parses a Call-ID (`word [ "@" word ]`): any non-whitespace printable bytes, trimmed.
pub fn parse_call_id(value: &[u8]) -> Result<&[u8], ValueError> {
    let v = trim(value);
    if v.is_empty() {
        return Err(ValueError::new(ErrorKind::UnexpectedEnd, 0));
    }
    let off = value.len() - value.trim_ascii_start().len();
    match v.iter().position(|&b| b <= b' ' || b == 0x7f) {
        Some(i) => Err(ValueError::new(ErrorKind::UnexpectedChar, off + i)),
        None => Ok(v),
    }
}

/// Parses a delta-seconds / 32-bit decimal value (leading zeros allowed), alone in the value.
pub fn parse_u32(value: &[u8]) -> Result<u32, ValueError> {
    let mut cur = Cursor::new(value);
    cur.skip_ws();
    let n = cur.number(u64::from(u32::MAX))?;
    cur.finish()?;
    u32::try_from(n).map_err(|_| ValueError::new(ErrorKind::NumberOutOfRange, 0))
}

/// Parses Max-Forwards (0..=255).
pub fn parse_max_forwards(value: &[u8]) -> Result<u8, ValueError> {
    let mut cur = Cursor::new(value);
    cur.skip_ws();
    let start = cur.pos();
    let n = cur.number(255)?;
    cur.finish()?;
    u8::try_from(n).map_err(|_| ValueError::new(ErrorKind::NumberOutOfRange, start))
}

/// Parses Content-Length: a non-negative decimal number (at most `u32::MAX`).
pub fn parse_content_length(value: &[u8]) -> Result<u32, ValueError> {
    parse_u32(value).map_err(|e| match e.kind {
        ErrorKind::NumberOutOfRange => e,
        _ => ValueError::new(ErrorKind::BadContentLength, e.offset),
    })
}

/// A CSeq value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CSeq<'a> {
    /// Sequence number (0..=2^32-1).
    pub seq: u32,
    /// Method.
    pub method: Method<'a>,
}

impl<'a> CSeq<'a> {
    /// Parses `1*DIGIT LWS Method`.
    pub fn parse(value: &'a [u8]) -> Result<CSeq<'a>, ValueError> {
        let mut cur = Cursor::new(value);
        cur.skip_ws();
        let start = cur.pos();
        let n = cur.number(u64::from(u32::MAX))?;
        let seq = u32::try_from(n).map_err(|_| ValueError::new(ErrorKind::NumberOutOfRange, start))?;
        if !cur.skip_ws() {
            return Err(cur.err_or_end(ErrorKind::UnexpectedChar));
        }
        let m = cur.token()?;
        cur.finish()?;
        let method = Method::from_bytes(m).ok_or(cur.err(ErrorKind::ExpectedToken))?;
        Ok(CSeq { seq, method })
    }
}

impl fmt::Display for CSeq<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

/// A media type (`type/subtype;params`), for Content-Type and Accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaType<'a> {
    /// Top-level type (`application`, or `*` in Accept).
    pub mtype: &'a [u8],
    /// Subtype (`sdp`, or `*` in Accept).
    pub subtype: &'a [u8],
    /// Parameters (`;charset=utf-8`, `;boundary=...`, `;q=0.5`).
    pub params: Params<'a>,
}

impl<'a> MediaType<'a> {
    /// Parses one Content-Type value.
    pub fn parse(value: &'a [u8]) -> Result<MediaType<'a>, ValueError> {
        let mut cur = Cursor::new(value);
        cur.skip_ws();
        let m = MediaType::parse_at(&mut cur)?;
        cur.finish()?;
        Ok(m)
    }

    /// Parses an Accept value: a possibly empty list of media ranges.
    pub fn parse_accept(value: &'a [u8]) -> Result<Vec<MediaType<'a>>, ValueError> {
        if trim(value).is_empty() {
            return Ok(Vec::new());
        }
        parse_list(value, MediaType::parse_at)
    }

    fn parse_at(cur: &mut Cursor<'a>) -> Result<MediaType<'a>, ValueError> {
        let mtype = cur.token()?;
        if !cur.eat_sep(b'/') {
            return Err(cur.err_or_end(ErrorKind::UnexpectedChar));
        }
        let subtype = cur.token()?;
        let params = Params::parse(cur)?;
        Ok(MediaType { mtype, subtype, params })
    }

    /// Whether this is `type/subtype` (ignoring case).
    pub fn is(&self, mtype: &str, subtype: &str) -> bool {
        self.mtype.eq_ignore_ascii_case(mtype.as_bytes())
            && self.subtype.eq_ignore_ascii_case(subtype.as_bytes())
    }

    /// Whether this (Accept) range matches `type/subtype`, honouring `*` wildcards.
    pub fn matches(&self, mtype: &str, subtype: &str) -> bool {
        (self.mtype == b"*" || self.mtype.eq_ignore_ascii_case(mtype.as_bytes()))
            && (self.subtype == b"*" || self.subtype.eq_ignore_ascii_case(subtype.as_bytes()))
    }
}

impl fmt::Display for MediaType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        write!(f, "{}/{}", s(self.mtype), s(self.subtype))?;
        for p in self.params.iter() {
            write!(f, ";{}", s(p.name))?;
            if let Some(v) = p.value {
                write!(f, "={}", s(v))?;
            }
        }
        Ok(())
    }
}

/// Parses a comma-separated token list (Allow, Supported, Require, Proxy-Require,
/// Unsupported, Accept-Encoding without params...). An empty value is an empty list.
pub fn parse_token_list(value: &[u8]) -> Result<Vec<&[u8]>, ValueError> {
    if trim(value).is_empty() {
        return Ok(Vec::new());
    }
    parse_list(value, Cursor::token)
}

/// One Warning value (RFC 3261 §20.43).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Warning<'a> {
    /// Three-digit warn-code (300..=399 are defined by RFC 3261).
    pub code: u16,
    /// warn-agent (`host[:port]` or a pseudonym token).
    pub agent: &'a [u8],
    /// warn-text, raw quoted string (use [`super::lex::unquote`]).
    pub text: &'a [u8],
}

impl<'a> Warning<'a> {
    /// Parses all Warning values of one line.
    pub fn parse_list(value: &'a [u8]) -> Result<Vec<Warning<'a>>, ValueError> {
        parse_list(value, |cur| {
            let start = cur.pos();
            let digits = cur.take_while(|b| b.is_ascii_digit());
            if digits.len() != 3 {
                return Err(ValueError::new(ErrorKind::NumberOutOfRange, start));
            }
            let code = super::lex::parse_u64(digits, 999)
                .and_then(|n| u16::try_from(n).ok())
                .ok_or(ValueError::new(ErrorKind::BadNumber, start))?;
            if !cur.skip_ws() {
                return Err(cur.err_or_end(ErrorKind::UnexpectedChar));
            }
            let agent = cur.take_while(|b| !is_ws(b) && b != b',' && b != b'"');
            if agent.is_empty() {
                return Err(cur.err_or_end(ErrorKind::UnexpectedChar));
            }
            if !cur.skip_ws() {
                return Err(cur.err_or_end(ErrorKind::UnexpectedChar));
            }
            let text = cur.quoted()?;
            Ok(Warning { code, agent, text })
        })
    }
}

/// A Date header value (RFC 1123 form, GMT only, as RFC 3261 §20.17 requires).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipDate {
    /// Year.
    pub year: u16,
    /// Month 1..=12.
    pub month: u8,
    /// Day 1..=31.
    pub day: u8,
    /// Hour 0..=23.
    pub hour: u8,
    /// Minute 0..=59.
    pub minute: u8,
    /// Second 0..=60.
    pub second: u8,
}

const MONTHS: [&[u8; 3]; 12] =
    [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];
const WEEKDAYS: [&[u8; 3]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];

impl SipDate {
    /// Parses `Sat, 13 Nov 2010 23:29:00 GMT`.
    pub fn parse(value: &[u8]) -> Result<SipDate, ValueError> {
        let mut cur = Cursor::new(value);
        cur.skip_ws();
        let bad = |c: &Cursor<'_>| c.err(ErrorKind::BadDate);
        let wk = cur.take_while(|b| b.is_ascii_alphabetic());
        if !WEEKDAYS.iter().any(|w| w.as_slice() == wk) || !cur.eat(b',') || !cur.eat(b' ') {
            return Err(bad(&cur));
        }
        let num = |cur: &mut Cursor<'_>, len: usize, max: u64| {
            let d = cur.take_while(|b| b.is_ascii_digit());
            if d.len() != len {
                return Err(bad(cur));
            }
            super::lex::parse_u64(d, max).ok_or(bad(cur))
        };
        let day = num(&mut cur, 2, 31)?;
        if !cur.eat(b' ') {
            return Err(bad(&cur));
        }
        let mon = cur.take_while(|b| b.is_ascii_alphabetic());
        let month = MONTHS.iter().position(|m| m.as_slice() == mon).ok_or(bad(&cur))?;
        if !cur.eat(b' ') {
            return Err(bad(&cur));
        }
        let year = num(&mut cur, 4, 9999)?;
        if !cur.eat(b' ') {
            return Err(bad(&cur));
        }
        let hour = num(&mut cur, 2, 23)?;
        if !cur.eat(b':') {
            return Err(bad(&cur));
        }
        let minute = num(&mut cur, 2, 59)?;
        if !cur.eat(b':') {
            return Err(bad(&cur));
        }
        let second = num(&mut cur, 2, 60)?;
        if !cur.eat(b' ') || cur.take_while(|b| b.is_ascii_alphabetic()) != b"GMT" {
            return Err(bad(&cur));
        }
        cur.finish()?;
        let to8 = |n: u64| u8::try_from(n).unwrap_or(u8::MAX);
        Ok(SipDate {
            year: u16::try_from(year).unwrap_or(u16::MAX),
            month: to8(month as u64 + 1),
            day: to8(day),
            hour: to8(hour),
            minute: to8(minute),
            second: to8(second),
        })
    }
}

/// A Reason header value (RFC 3326): protocol (`SIP`, `Q.850`) with `cause` and `text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reason<'a> {
    /// Protocol token.
    pub protocol: &'a [u8],
    /// All parameters (`cause`, `text`...).
    pub params: Params<'a>,
}

impl<'a> Reason<'a> {
    /// Parses all Reason values of one line.
    pub fn parse_list(value: &'a [u8]) -> Result<Vec<Reason<'a>>, ValueError> {
        parse_list(value, |cur| {
            let protocol = cur.token()?;
            let params = Params::parse(cur)?;
            Ok(Reason { protocol, params })
        })
    }

    /// The `cause` parameter as a number.
    pub fn cause(&self) -> Option<u16> {
        let v = self.params.get("cause").flatten()?;
        super::lex::parse_u64(v, u64::from(u16::MAX)).and_then(|n| u16::try_from(n).ok())
    }
}

/// A Retry-After value (RFC 3261 §20.33): seconds, optional comment, parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter<'a> {
    /// Delta-seconds.
    pub seconds: u32,
    /// Comment text in parentheses, raw, without the outer parentheses.
    pub comment: Option<&'a [u8]>,
    /// Parameters (`duration`...).
    pub params: Params<'a>,
}

impl<'a> RetryAfter<'a> {
    /// Parses a Retry-After value.
    pub fn parse(value: &'a [u8]) -> Result<RetryAfter<'a>, ValueError> {
        let mut cur = Cursor::new(value);
        cur.skip_ws();
        let start = cur.pos();
        let n = cur.number(u64::from(u32::MAX))?;
        let seconds = u32::try_from(n).map_err(|_| ValueError::new(ErrorKind::NumberOutOfRange, start))?;
        cur.skip_ws();
        let comment = if cur.eat(b'(') {
            let c = cur.take_while(|b| b != b')');
            cur.expect(b')')?;
            Some(c)
        } else {
            None
        };
        let params = Params::parse(&mut cur)?;
        cur.finish()?;
        Ok(RetryAfter { seconds, comment, params })
    }
}

/// One element of a User-Agent or Server value (RFC 3261 §20.35, §20.41).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product<'a> {
    /// `name[/version]`.
    Product {
        /// Product token.
        name: &'a [u8],
        /// Version token.
        version: Option<&'a [u8]>,
    },
    /// A parenthesised comment, raw without the outer parentheses (nesting kept).
    Comment(&'a [u8]),
}

/// Deepest comment nesting accepted (comments nest; this bounds the scan, not recursion).
const MAX_COMMENT_DEPTH: usize = 16;

/// Parses a User-Agent / Server value into products and comments.
pub fn parse_products(value: &[u8]) -> Result<Vec<Product<'_>>, ValueError> {
    let mut cur = Cursor::new(value);
    let mut out = Vec::with_capacity(4);
    cur.skip_ws();
    if cur.at_end() {
        return Err(cur.err(ErrorKind::UnexpectedEnd));
    }
    while !cur.at_end() {
        if cur.peek() == Some(b'(') {
            let start = cur.pos();
            let mut depth = 0usize;
            loop {
                match cur.peek() {
                    None => return Err(ValueError::new(ErrorKind::UnexpectedEnd, start)),
                    Some(b'(') => {
                        depth += 1;
                        if depth > MAX_COMMENT_DEPTH {
                            return Err(cur.err(ErrorKind::UnexpectedChar));
                        }
                    }
                    Some(b')') => depth = depth.saturating_sub(1),
                    Some(b'\\') => cur.bump(),
                    Some(_) => {}
                }
                cur.bump();
                if depth == 0 {
                    break;
                }
            }
            out.push(Product::Comment(cur.slice(start + 1, cur.pos() - 1)));
        } else {
            let name = cur.token()?;
            let version = if cur.eat_sep(b'/') { Some(cur.token()?) } else { None };
            out.push(Product::Product { name, version });
        }
        cur.skip_ws();
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn cseq() {
        let c = CSeq::parse(b"0009\r\n  INVITE").unwrap();
        assert_eq!((c.seq, c.method), (9, Method::Invite));
        assert_eq!(c.to_string(), "9 INVITE");
        let c = CSeq::parse(b"139122385 !interesting-Method0123456789_*+`.%indeed'~").unwrap();
        assert!(matches!(c.method, Method::Extension(_)));
        assert_eq!(CSeq::parse(b"4294967295 ACK").unwrap().seq, u32::MAX);
        assert_eq!(CSeq::parse(b"4294967296 ACK").unwrap_err().kind, ErrorKind::NumberOutOfRange);
        assert_eq!(
            CSeq::parse(b"36893488147419103232 REGISTER").unwrap_err().kind,
            ErrorKind::NumberOutOfRange
        );
        assert!(CSeq::parse(b"1").is_err());
        assert!(CSeq::parse(b"1INVITE").is_err());
        assert!(CSeq::parse(b"1 INVITE x").is_err());
        assert!(CSeq::parse(b"-1 INVITE").is_err());
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_max_forwards(b" 0068").unwrap(), 68);
        assert_eq!(parse_max_forwards(b"255").unwrap(), 255);
        assert!(parse_max_forwards(b"300").is_err());
        assert!(parse_max_forwards(b"").is_err());
        assert_eq!(parse_u32(b"3600").unwrap(), 3600);
        assert!(parse_u32(b"10000000000000000000000000000000000000000").is_err());
        assert_eq!(parse_content_length(b" 150 ").unwrap(), 150);
        assert_eq!(parse_content_length(b"-999").unwrap_err().kind, ErrorKind::BadContentLength);
        assert_eq!(parse_content_length(b"abc").unwrap_err().kind, ErrorKind::BadContentLength);
    }

    #[test]
    fn call_id() {
        assert_eq!(parse_call_id(b"  a@b ").unwrap(), b"a@b");
        assert_eq!(parse_call_id(b"intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{").unwrap().len(), 42);
        assert!(parse_call_id(b"a b").is_err());
        assert!(parse_call_id(b" ").is_err());
    }

    #[test]
    fn media_types() {
        let m = MediaType::parse(b"multipart/mixed;boundary=7a9cbec02ceef655").unwrap();
        assert!(m.is("Multipart", "MIXED"));
        assert_eq!(m.params.get("boundary"), Some(Some(&b"7a9cbec02ceef655"[..])));
        assert_eq!(m.to_string(), "multipart/mixed;boundary=7a9cbec02ceef655");
        let a = MediaType::parse_accept(
            b"application/sdp, application/pkcs7-mime,\r\n        multipart/mixed, */*;q=0.1",
        )
        .unwrap();
        assert_eq!(a.len(), 4);
        assert!(a[3].matches("text", "plain"));
        assert!(MediaType::parse_accept(b"").unwrap().is_empty());
        assert!(MediaType::parse(b"application").is_err());
        assert!(MediaType::parse(b"a/b c").is_err());
    }

    #[test]
    fn token_lists() {
        let t = parse_token_list(b"nothingSupportsThis, nothingSupportsThisEither").unwrap();
        assert_eq!(t, vec![&b"nothingSupportsThis"[..], b"nothingSupportsThisEither"]);
        assert!(parse_token_list(b" ").unwrap().is_empty());
        assert!(parse_token_list(b"a,,b").is_err());
    }

    #[test]
    fn warning() {
        let w = Warning::parse_list(b"307 isi.edu \"Session parameter 'foo' not understood\", 301 isi.edu \"Incompatible network address type 'E.164'\"").unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].code, 307);
        assert_eq!(w[1].agent, b"isi.edu");
        assert!(Warning::parse_list(b"1812 overture \"In Progress\"").is_err());
        assert!(Warning::parse_list(b"399 host").is_err());
    }

    #[test]
    fn date() {
        let d = SipDate::parse(b"Sat, 15 Oct 2005 04:44:56 GMT").unwrap();
        assert_eq!((d.year, d.month, d.day, d.hour, d.minute, d.second), (2005, 10, 15, 4, 44, 56));
        assert_eq!(SipDate::parse(b"Fri, 01 Jan 2010 16:00:00 EST").unwrap_err().kind, ErrorKind::BadDate);
        assert!(SipDate::parse(b"Fri, 1 Jan 2010 16:00:00 GMT").is_err());
        assert!(SipDate::parse(b"").is_err());
    }

    #[test]
    fn products() {
        let p = parse_products(b"SIPimp.org/0.2.5 (curses) Cisco-CP7940G/8.0 (a (nested) c)").unwrap();
        assert_eq!(p.len(), 4);
        assert_eq!(p[0], Product::Product { name: b"SIPimp.org", version: Some(b"0.2.5") });
        assert_eq!(p[1], Product::Comment(b"curses"));
        assert_eq!(p[3], Product::Comment(b"a (nested) c"));
        assert!(parse_products(b"x (open").is_err());
        assert!(parse_products(b"").is_err());
        assert!(parse_products(&[b'('; 40]).is_err());
    }

    #[test]
    fn reason_and_retry() {
        let r =
            Reason::parse_list(b"SIP ;cause=200 ;text=\"Call completed elsewhere\", Q.850;cause=16").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].cause(), Some(200));
        assert_eq!(r[1].protocol, b"Q.850");
        let ra = RetryAfter::parse(b"18000;duration=3600").unwrap();
        assert_eq!(ra.seconds, 18000);
        let ra = RetryAfter::parse(b"120 (I'm in a meeting)").unwrap();
        assert_eq!(ra.comment, Some(&b"I'm in a meeting"[..]));
        assert!(RetryAfter::parse(b"949302838503028349304023988").is_err());
    }
}
