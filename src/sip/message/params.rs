//! Generic header parameters (`;name[=value]`, RFC 3261 §7.3.1 `generic-param`), kept as
//! the raw validated slice and re-read lazily so that parsing them never allocates.

use std::borrow::Cow;

use super::error::{ErrorKind, ValueError};
use super::lex::{Cursor, is_token, unquote};

/// Character allowed in a generic parameter value besides quoted strings: token characters
/// plus `:`, `[` and `]` for IPv6 addresses (`received=2001:db8::1`).
fn is_gen_value(b: u8) -> bool {
    is_token(b) || matches!(b, b':' | b'[' | b']')
}

/// One `name[=value]` parameter of a header. The value is raw: a quoted value keeps its
/// quotes (use [`Param::unquoted`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param<'a> {
    /// Parameter name as written.
    pub name: &'a [u8],
    /// Raw value, if there was an `=`.
    pub value: Option<&'a [u8]>,
}

impl<'a> Param<'a> {
    /// The value without quotes and escapes (`None` if the parameter has no value).
    pub fn unquoted(&self) -> Option<Cow<'a, [u8]>> {
        self.value.map(unquote)
    }
}

/// The `;name=value` parameters after a header value, kept as the raw validated slice and
/// re-read lazily, so parsing them never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Params<'a> {
    raw: &'a [u8],
}

impl<'a> Params<'a> {
    /// The raw text, starting at the first `;` (empty if there are no parameters).
    pub const fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Whether there are no parameters.
    pub const fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Iterates over the parameters in order.
    pub fn iter(&self) -> ParamIter<'a> {
        ParamIter { cur: Cursor::new(self.raw) }
    }

    /// The first parameter named `name` (ASCII case-insensitive): `Some(None)` when it has
    /// no value.
    pub fn get(&self, name: &str) -> Option<Option<&'a [u8]>> {
        self.iter().find(|p| p.name.eq_ignore_ascii_case(name.as_bytes())).map(|p| p.value)
    }

    /// Whether a parameter named `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Parses `*( SEMI generic-param )` at the cursor. Stops (without consuming) at anything
    /// that is not `;` after optional whitespace.
    pub fn parse(cur: &mut Cursor<'a>) -> Result<Self, ValueError> {
        let start = cur.pos();
        let mut end = start;
        while next_param(cur)?.is_some() {
            end = cur.pos();
        }
        cur.set_pos(end);
        Ok(Params { raw: cur.slice(start, end) })
    }
}

impl<'a> IntoIterator for Params<'a> {
    type Item = Param<'a>;
    type IntoIter = ParamIter<'a>;
    fn into_iter(self) -> ParamIter<'a> {
        self.iter()
    }
}

/// Iterator over [`Params`].
#[derive(Debug, Clone)]
pub struct ParamIter<'a> {
    cur: Cursor<'a>,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = Param<'a>;
    fn next(&mut self) -> Option<Param<'a>> {
        next_param(&mut self.cur).ok().flatten()
    }
}

/// Reads one `SEMI name [EQUAL value]`. `Ok(None)` (cursor unchanged) when no `;` follows.
fn next_param<'a>(cur: &mut Cursor<'a>) -> Result<Option<Param<'a>>, ValueError> {
    if !cur.eat_sep(b';') {
        return Ok(None);
    }
    let name = cur.token().map_err(|e| ValueError::new(ErrorKind::EmptyElement, e.offset))?;
    let value = if cur.eat_sep(b'=') {
        if cur.peek() == Some(b'"') {
            Some(cur.quoted()?)
        } else {
            let v = cur.take_while(is_gen_value);
            if v.is_empty() {
                return Err(cur.err_or_end(ErrorKind::UnexpectedChar));
            }
            Some(v)
        }
    } else {
        None
    };
    Ok(Some(Param { name, value }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn params() {
        let mut c = Cursor::new(b" ;   tag    = 1918 ; lr ;q=\"x;y\" rest");
        let p = Params::parse(&mut c).ok().unwrap_or_default();
        assert_eq!(c.rest(), b" rest");
        assert_eq!(p.get("TAG"), Some(Some(&b"1918"[..])));
        assert_eq!(p.get("lr"), Some(None));
        assert_eq!(p.get("q"), Some(Some(&b"\"x;y\""[..])));
        assert_eq!(p.iter().count(), 3);
        let mut c = Cursor::new(b";;");
        assert_eq!(Params::parse(&mut c).map_err(|e| e.kind), Err(ErrorKind::EmptyElement));
        let mut c = Cursor::new(b";a=");
        assert!(Params::parse(&mut c).is_err());
    }
}
