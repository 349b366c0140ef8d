//! Authentication headers (RFC 3261 §20.7, §20.27, §20.28, §20.44, §22; RFC 7235 syntax):
//! WWW-Authenticate / Proxy-Authenticate challenges and Authorization / Proxy-Authorization
//! credentials, as a scheme plus comma-separated `name=value` parameters (values may be quoted
//! strings with escapes). One header line may carry several challenges.

use std::borrow::Cow;
use std::fmt;

use super::error::{ErrorKind, ValueError};
use super::lex::{Cursor, is_token, unquote};

/// One `name=value` authentication parameter; the value is raw (quotes kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthParam<'a> {
    /// Parameter name (`realm`, `nonce`, `qop`...).
    pub name: &'a [u8],
    /// Raw value, with quotes if it was quoted.
    pub value: &'a [u8],
}

impl<'a> AuthParam<'a> {
    /// The value without quotes and escapes.
    pub fn unquoted(&self) -> Cow<'a, [u8]> {
        unquote(self.value)
    }

    /// Whether the value was a quoted string.
    pub fn is_quoted(&self) -> bool {
        self.value.first() == Some(&b'"')
    }
}

/// A challenge or a set of credentials: scheme + parameters (or a token68 blob).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge<'a> {
    /// Scheme as written (`Digest`, `Basic`, or unknown).
    pub scheme: &'a [u8],
    /// Parameters in order.
    pub params: Vec<AuthParam<'a>>,
    /// A token68 value instead of parameters (`Basic dXNlcjpwYXNz`).
    pub token68: Option<&'a [u8]>,
}

/// Credentials have the same shape as challenges.
pub type Credentials<'a> = Challenge<'a>;

const fn is_token68(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

impl<'a> Challenge<'a> {
    /// Parses every challenge of one WWW-Authenticate / Proxy-Authenticate line (or the
    /// credentials of an Authorization line, which holds one).
    pub fn parse_list(value: &'a [u8]) -> Result<Vec<Challenge<'a>>, ValueError> {
        let mut cur = Cursor::new(value);
        let mut out = Vec::with_capacity(1);
        cur.skip_ws();
        if cur.at_end() {
            return Err(cur.err(ErrorKind::UnexpectedEnd));
        }
        while !cur.at_end() {
            let scheme = cur.token()?;
            let mut ch = Challenge { scheme, params: Vec::with_capacity(8), token68: None };
            let had_ws = cur.skip_ws();
            // token68 (`Basic dXNlcjpwYXNz==`): '=' only as trailing padding, then ',' or end.
            let save = cur.pos();
            let t68 = cur.take_while(is_token68);
            let body_len = t68.iter().rposition(|&b| b != b'=').map_or(0, |p| p + 1);
            cur.skip_ws();
            if had_ws
                && body_len > 0
                && !t68.get(..body_len).unwrap_or_default().contains(&b'=')
                && (cur.at_end() || cur.peek() == Some(b','))
            {
                ch.token68 = Some(t68);
            } else {
                cur.set_pos(save);
            }
            // Parameters until the next challenge (a token not followed by '=') or the end.
            loop {
                if cur.at_end() {
                    break;
                }
                if !had_ws && ch.params.is_empty() && ch.token68.is_none() {
                    return Err(cur.err(ErrorKind::UnexpectedChar));
                }
                let save = cur.pos();
                if cur.peek() == Some(b',') {
                    cur.bump();
                    cur.skip_ws();
                    if ch.params.is_empty() && ch.token68.is_none() {
                        return Err(cur.err(ErrorKind::EmptyElement));
                    }
                    if cur.peek() == Some(b',') || cur.at_end() {
                        return Err(cur.err_or_end(ErrorKind::EmptyElement));
                    }
                    continue;
                }
                let name = cur.take_while(is_token);
                if name.is_empty() {
                    return Err(cur.err(ErrorKind::UnexpectedChar));
                }
                if !cur.eat_sep(b'=') {
                    // Not a parameter: a new challenge may start after a comma.
                    if ch.params.is_empty() && ch.token68.is_none() {
                        return Err(cur.err_or_end(ErrorKind::UnexpectedChar));
                    }
                    cur.set_pos(save);
                    break;
                }
                let v = if cur.peek() == Some(b'"') {
                    cur.quoted()?
                } else {
                    let v = cur.take_while(is_token68);
                    if v.is_empty() {
                        return Err(cur.err_or_end(ErrorKind::UnexpectedChar));
                    }
                    v
                };
                ch.params.push(AuthParam { name, value: v });
                cur.skip_ws();
                if !cur.at_end() && cur.peek() != Some(b',') {
                    return Err(cur.err(ErrorKind::UnexpectedChar));
                }
            }
            out.push(ch);
        }
        Ok(out)
    }

    /// Parses a single credentials value (Authorization, Proxy-Authorization).
    pub fn parse_one(value: &'a [u8]) -> Result<Challenge<'a>, ValueError> {
        let mut v = Challenge::parse_list(value)?;
        if v.len() > 1 {
            return Err(ValueError::new(ErrorKind::TrailingData, 0));
        }
        v.pop().ok_or(ValueError::new(ErrorKind::UnexpectedEnd, 0))
    }

    /// Whether the scheme is `Digest` (ignoring case).
    pub fn is_digest(&self) -> bool {
        self.scheme.eq_ignore_ascii_case(b"Digest")
    }

    /// The first parameter named `name` (ignoring case), unquoted.
    pub fn get(&self, name: &str) -> Option<Cow<'a, [u8]>> {
        self.params.iter().find(|p| p.name.eq_ignore_ascii_case(name.as_bytes())).map(AuthParam::unquoted)
    }
}

/// Prints `Scheme name=value, name=value` with values as written.
impl fmt::Display for Challenge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        f.write_str(&s(self.scheme))?;
        if let Some(t) = self.token68 {
            write!(f, " {}", s(t))?;
        }
        for (i, p) in self.params.iter().enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            write!(f, "{sep}{}={}", s(p.name), s(p.value))?;
        }
        Ok(())
    }
}

/// Quotes `s` as an RFC 3261 quoted-string, escaping `"` and `\`.
pub fn quote(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    out.push(b'"');
    for &b in s {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn digest_challenge() {
        let v = Challenge::parse_list(b"Digest realm=\"atlanta.com\",\r\n nonce=\"84a4cc6f\\\"3\", qop=\"auth,auth-int\", algorithm=MD5, stale=FALSE").unwrap();
        assert_eq!(v.len(), 1);
        let c = &v[0];
        assert!(c.is_digest());
        assert_eq!(c.get("realm").unwrap().as_ref(), b"atlanta.com");
        assert_eq!(c.get("nonce").unwrap().as_ref(), b"84a4cc6f\"3");
        assert_eq!(c.get("QOP").unwrap().as_ref(), b"auth,auth-int");
        assert_eq!(c.get("algorithm").unwrap().as_ref(), b"MD5");
        assert!(c.params[0].is_quoted() && !c.params[3].is_quoted());
    }

    #[test]
    fn several_challenges() {
        let v = Challenge::parse_list(
            b"Digest realm=\"a\", nonce=\"1\", Digest realm=\"b\", nonce=\"2\", algorithm=SHA-256",
        )
        .unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].get("algorithm").unwrap().as_ref(), b"SHA-256");
        let v = Challenge::parse_list(b"Basic dXNlcjpwYXNz==, Digest realm=\"r\"").unwrap();
        assert_eq!(v[0].token68, Some(&b"dXNlcjpwYXNz=="[..]));
        assert_eq!(v[1].get("realm").unwrap().as_ref(), b"r");
    }

    #[test]
    fn credentials() {
        let c = Challenge::parse_one(b"NoOneKnowsThisScheme opaque-data=here").unwrap();
        assert_eq!(c.scheme, b"NoOneKnowsThisScheme");
        assert_eq!(c.get("opaque-data").unwrap().as_ref(), b"here");
        let c = Challenge::parse_one(b"Digest username=\"bob\", realm=\"r\", nonce=\"n\", uri=\"sip:a@b\", response=\"0123\", nc=00000001, cnonce=\"c\", qop=auth").unwrap();
        assert_eq!(c.get("nc").unwrap().as_ref(), b"00000001");
        assert_eq!(
            c.to_string(),
            "Digest username=\"bob\", realm=\"r\", nonce=\"n\", uri=\"sip:a@b\", response=\"0123\", nc=00000001, cnonce=\"c\", qop=auth"
        );
    }

    #[test]
    fn errors() {
        for bad in [
            &b""[..],
            b"Digest realm=\"x",
            b"Digest realm=\"x\", nonce=",
            b"Digest a=b,,c=d",
            b"Digest a=b,",
            b"Digest a=b c=d",
        ] {
            assert!(Challenge::parse_list(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(quote(b"a\"b\\"), b"\"a\\\"b\\\\\"");
    }
}
