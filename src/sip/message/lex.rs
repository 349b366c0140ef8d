//! Lexical building blocks shared by every parser: character classes, a byte cursor that
//! treats folded line breaks as whitespace, tokens, quoted strings, numbers, comma-separated
//! lists, unquoting/unfolding and %-escape helpers.
//!
//! Header values handed to the typed parsers are raw slices of the message. A folded value
//! still contains its `CRLF SP` continuation; since CR and LF can only occur inside a value as
//! part of such a fold, this module simply counts them as whitespace. Nothing here allocates
//! except the `Cow::Owned` results of the unescape/unfold helpers.

use std::borrow::Cow;

use super::error::{ErrorKind, ValueError};

/// Lookup table for [`is_token`], built at compile time (an out-of-bounds index here would be
/// a compile error, not a runtime panic).
#[allow(clippy::indexing_slicing)]
const TOKEN_TABLE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = matches!(b, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
            | b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~');
        i += 1;
    }
    t
};

/// RFC 3261 `token` character.
#[inline]
pub fn is_token(b: u8) -> bool {
    // Always in bounds: a u8 indexes a 256-entry table.
    TOKEN_TABLE.get(usize::from(b)).copied().unwrap_or(false)
}

/// Whitespace inside a header value: SP, HTAB, and the CR/LF of a folded line.
pub const fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// RFC 3261 `unreserved` character (alphanum / mark).
pub const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')')
}

/// Whether `s` is a non-empty token.
pub fn is_token_str(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_token(b))
}

/// Removes leading and trailing whitespace (including folds).
pub fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_ws(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !is_ws(b)).map_or(start, |p| p + 1);
    s.get(start..end).unwrap_or_default()
}

/// A read position in a byte slice with the small steps every parser needs.
#[derive(Debug, Clone, Copy)]
pub struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `buf`.
    pub const fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// The current offset.
    pub const fn pos(&self) -> usize {
        self.pos
    }

    /// Moves back to an offset previously returned by [`Cursor::pos`].
    pub fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.buf.len());
    }

    /// The whole underlying slice.
    pub const fn buf(&self) -> &'a [u8] {
        self.buf
    }

    /// The byte at the cursor.
    pub fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    /// The byte `n` positions after the cursor.
    pub fn peek_at(&self, n: usize) -> Option<u8> {
        self.buf.get(self.pos.saturating_add(n)).copied()
    }

    /// Whether the cursor is at the end.
    pub const fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// The bytes from the cursor to the end.
    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// The bytes between two offsets (empty if out of range).
    pub fn slice(&self, start: usize, end: usize) -> &'a [u8] {
        self.buf.get(start..end).unwrap_or_default()
    }

    /// The bytes from `start` to the cursor.
    pub fn since(&self, start: usize) -> &'a [u8] {
        self.slice(start, self.pos)
    }

    /// Advances one byte.
    pub fn bump(&mut self) {
        if self.pos < self.buf.len() {
            self.pos += 1;
        }
    }

    /// An error of `kind` at the cursor.
    pub const fn err(&self, kind: ErrorKind) -> ValueError {
        ValueError::new(kind, self.pos)
    }

    /// An error of `kind` at the cursor, or [`ErrorKind::UnexpectedEnd`] at the end.
    pub const fn err_or_end(&self, kind: ErrorKind) -> ValueError {
        if self.at_end() {
            ValueError::new(ErrorKind::UnexpectedEnd, self.pos)
        } else {
            ValueError::new(kind, self.pos)
        }
    }

    /// Skips whitespace (including folds); returns whether any was skipped.
    pub fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(is_ws) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Consumes `b` if it is next.
    pub fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes optional whitespace, `b`, optional whitespace (RFC 3261 `SEMI`, `COMMA`,
    /// `EQUAL`, `SLASH`, `COLON`). Leaves the cursor unchanged if `b` is not there.
    pub fn eat_sep(&mut self, b: u8) -> bool {
        let save = self.pos;
        self.skip_ws();
        if self.eat(b) {
            self.skip_ws();
            true
        } else {
            self.pos = save;
            false
        }
    }

    /// Consumes `b` or fails with [`ErrorKind::UnexpectedChar`].
    pub fn expect(&mut self, b: u8) -> Result<(), ValueError> {
        if self.eat(b) { Ok(()) } else { Err(self.err_or_end(ErrorKind::UnexpectedChar)) }
    }

    /// Consumes bytes while `f` holds and returns them (possibly empty).
    pub fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        self.since(start)
    }

    /// Consumes a non-empty token.
    pub fn token(&mut self) -> Result<&'a [u8], ValueError> {
        let t = self.take_while(is_token);
        if t.is_empty() { Err(self.err_or_end(ErrorKind::ExpectedToken)) } else { Ok(t) }
    }

    /// Consumes a quoted string and returns it raw, quotes included. Escapes (`\x`) are
    /// checked but kept; see [`unquote`].
    pub fn quoted(&mut self) -> Result<&'a [u8], ValueError> {
        let start = self.pos;
        self.expect(b'"')?;
        loop {
            match self.peek() {
                None => return Err(ValueError::new(ErrorKind::UnterminatedQuote, start)),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(self.since(start));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b'\r' | b'\n') | None => {
                            return Err(ValueError::new(ErrorKind::UnterminatedQuote, start));
                        }
                        Some(_) => self.pos += 1,
                    }
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// Consumes a decimal number that fits in `u64` with at most `max` as value.
    /// Leading zeros are allowed (`0068`); the digit run is bounded by the slice itself.
    pub fn number(&mut self, max: u64) -> Result<u64, ValueError> {
        let start = self.pos;
        let digits = self.take_while(|b| b.is_ascii_digit());
        if digits.is_empty() {
            return Err(self.err_or_end(ErrorKind::BadNumber));
        }
        parse_u64(digits, max).ok_or(ValueError::new(ErrorKind::NumberOutOfRange, start))
    }

    /// Fails with [`ErrorKind::TrailingData`] unless only whitespace is left.
    pub fn finish(&mut self) -> Result<(), ValueError> {
        self.skip_ws();
        if self.at_end() { Ok(()) } else { Err(self.err(ErrorKind::TrailingData)) }
    }
}

/// Parses ASCII decimal digits into a `u64` no larger than `max`.
pub fn parse_u64(digits: &[u8], max: u64) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    (n <= max).then_some(n)
}

/// Strips the quotes of a raw quoted string and resolves `\x` escapes; a value without
/// quotes is returned as is. Folds inside are unfolded.
pub fn unquote(raw: &[u8]) -> Cow<'_, [u8]> {
    let inner = match raw {
        [b'"', inner @ .., b'"'] => inner,
        _ => return unfold(raw),
    };
    if !inner.iter().any(|&b| matches!(b, b'\\' | b'\r' | b'\n')) {
        return Cow::Borrowed(inner);
    }
    let mut out = Vec::with_capacity(inner.len());
    let mut it = inner.iter().copied().peekable();
    while let Some(b) = it.next() {
        match b {
            b'\\' => {
                if let Some(n) = it.next() {
                    out.push(n);
                }
            }
            b'\r' | b'\n' => {
                while it.next_if(|&n| is_ws(n)).is_some() {}
                out.push(b' ');
            }
            _ => out.push(b),
        }
    }
    Cow::Owned(out)
}

/// Replaces every fold (`CRLF` or `LF` followed by whitespace) with a single SP
/// (RFC 3261 §7.3.1). Borrowed when the value is not folded.
pub fn unfold(raw: &[u8]) -> Cow<'_, [u8]> {
    if !raw.iter().any(|&b| b == b'\r' || b == b'\n') {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if b == b'\r' || b == b'\n' {
            // Drop trailing whitespace already emitted, then all fold whitespace.
            while out.last().is_some_and(|&l| l == b' ' || l == b'\t') {
                out.pop();
            }
            while raw.get(i).is_some_and(|&n| is_ws(n)) {
                i += 1;
            }
            out.push(b' ');
        } else {
            out.push(b);
            i += 1;
        }
    }
    Cow::Owned(out)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%HH` escapes. Invalid escapes are kept literally. Borrowed when there is none.
pub fn pct_decode(raw: &[u8]) -> Cow<'_, [u8]> {
    if !raw.contains(&b'%') {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if b == b'%'
            && let (Some(h), Some(l)) =
                (raw.get(i + 1).copied().and_then(hex_val), raw.get(i + 2).copied().and_then(hex_val))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    Cow::Owned(out)
}

/// Whether every `%` in `s` starts a valid `%HH` escape.
pub fn escapes_valid(s: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b == b'%' {
            let ok = s.get(i + 1).copied().and_then(hex_val).is_some()
                && s.get(i + 2).copied().and_then(hex_val).is_some();
            if !ok {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

/// Compares two URI components after %-decoding (RFC 3261 §19.1.4), case-sensitively.
pub fn eq_unescaped(a: &[u8], b: &[u8]) -> bool {
    pct_decode(a) == pct_decode(b)
}

/// Compares two URI components after %-decoding, ignoring ASCII case.
pub fn eq_unescaped_ignore_case(a: &[u8], b: &[u8]) -> bool {
    pct_decode(a).eq_ignore_ascii_case(&pct_decode(b))
}

/// Splits a comma-separated list at top level, honouring quoted strings and `<...>`;
/// calls `f` with a cursor on the whole value, positioned at each element. `f` must consume
/// its element; afterwards a `,` or the end must follow. Empty elements are errors.
pub fn parse_list<'a, T>(
    value: &'a [u8],
    mut f: impl FnMut(&mut Cursor<'a>) -> Result<T, ValueError>,
) -> Result<Vec<T>, ValueError> {
    let mut cur = Cursor::new(value);
    let mut out = Vec::with_capacity(2);
    cur.skip_ws();
    if cur.at_end() {
        return Err(cur.err(ErrorKind::UnexpectedEnd));
    }
    loop {
        if cur.peek() == Some(b',') {
            return Err(cur.err(ErrorKind::EmptyElement));
        }
        out.push(f(&mut cur)?);
        cur.skip_ws();
        if cur.at_end() {
            return Ok(out);
        }
        if !cur.eat(b',') {
            return Err(cur.err(ErrorKind::UnexpectedChar));
        }
        cur.skip_ws();
        if cur.at_end() {
            return Err(cur.err(ErrorKind::EmptyElement));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_ws() {
        let mut c = Cursor::new(b"  abc\r\n def");
        assert!(c.skip_ws());
        assert_eq!(c.token().ok(), Some(&b"abc"[..]));
        assert!(c.skip_ws());
        assert_eq!(c.rest(), b"def");
        assert_eq!(trim(b" \t x y \r\n "), b"x y");
        assert_eq!(trim(b"   "), b"");
    }

    #[test]
    fn quoted_strings() {
        let mut c = Cursor::new(br#""J Rosenberg \\\"" <x>"#);
        let q = c.quoted().ok();
        assert_eq!(q, Some(&br#""J Rosenberg \\\"""#[..]));
        assert_eq!(unquote(q.unwrap_or_default()).as_ref(), br#"J Rosenberg \""#);
        let mut c = Cursor::new(b"\"open");
        assert_eq!(c.quoted().map_err(|e| e.kind), Err(ErrorKind::UnterminatedQuote));
        let mut c = Cursor::new(b"\"a\\");
        assert!(c.quoted().is_err());
    }

    #[test]
    fn numbers() {
        let mut c = Cursor::new(b"0068 x");
        assert_eq!(c.number(255).ok(), Some(68));
        let mut c = Cursor::new(b"36893488147419103232");
        assert_eq!(c.number(u64::MAX).map_err(|e| e.kind), Err(ErrorKind::NumberOutOfRange));
        assert_eq!(parse_u64(b"4294967295", u64::from(u32::MAX)), Some(4_294_967_295));
        assert_eq!(parse_u64(b"4294967296", u64::from(u32::MAX)), None);
        assert_eq!(parse_u64(b"", 10), None);
    }

    #[test]
    fn unfold_and_escape() {
        assert_eq!(unfold(b"a\r\n  b").as_ref(), b"a b");
        assert_eq!(unfold(b"a  \r\n\tb").as_ref(), b"a b");
        assert!(matches!(unfold(b"ab"), Cow::Borrowed(_)));
        assert_eq!(pct_decode(b"%75se%72").as_ref(), b"user");
        assert_eq!(pct_decode(b"null-%00-null").as_ref(), b"null-\0-null");
        assert_eq!(pct_decode(b"%Z%45").as_ref(), b"%ZE");
        assert!(eq_unescaped(b"%75ser", b"user"));
        assert!(eq_unescaped_ignore_case(b"%55SER", b"user"));
        assert!(escapes_valid(b"a%20b"));
        assert!(!escapes_valid(b"a%2"));
        assert!(!escapes_valid(b"a%zz"));
    }

    #[test]
    fn lists() {
        let r = parse_list(b"a , b,c", |c| c.token());
        assert_eq!(r.ok().map(|v| v.len()), Some(3));
        assert!(parse_list(b"a,,b", |c| c.token()).is_err());
        assert!(parse_list(b"a,", |c| c.token()).is_err());
        assert!(parse_list(b"", |c| c.token()).is_err());
        assert!(parse_list(b"a b", |c| c.token()).is_err());
    }
}
