//! Errors of the message codec: what went wrong and where.
//!
//! Typed header parsers work on a single header value and report a [`ValueError`] with a byte
//! offset into that value; [`super::Header`] turns it into a [`ParseError`] that carries the
//! 1-based line and column inside the whole message.

use super::header_name::HeaderName;

/// What is wrong with a message or a header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Nothing but whitespace where a message was expected.
    #[error("empty message")]
    Empty,
    /// The start line is neither a Request-Line nor a Status-Line.
    #[error("malformed start line")]
    BadStartLine,
    /// The method is not a token.
    #[error("invalid method")]
    BadMethod,
    /// The Request-Line has no Request-URI.
    #[error("missing Request-URI")]
    MissingRequestUri,
    /// The SIP version is not of the form `SIP/<digits>.<digits>`.
    #[error("malformed SIP version")]
    BadVersion,
    /// The status code is not three digits in 100..=699.
    #[error("invalid status code")]
    BadStatusCode,
    /// A header line has no `:`.
    #[error("header line without ':'")]
    MissingColon,
    /// A header name is empty or not a token.
    #[error("invalid header name")]
    BadHeaderName,
    /// A continuation line appears before any header.
    #[error("continuation line without a header")]
    OrphanContinuation,
    /// The header section is not ended by an empty line.
    #[error("header section not terminated by an empty line")]
    UnterminatedHead,
    /// The datagram holds fewer body bytes than Content-Length declares.
    #[error("body shorter than Content-Length")]
    BodyTooShort,
    /// Content-Length is not a non-negative decimal number.
    #[error("invalid Content-Length")]
    BadContentLength,
    /// Several Content-Length headers disagree.
    #[error("conflicting Content-Length values")]
    ConflictingContentLength,
    /// A message on a stream transport has no Content-Length.
    #[error("Content-Length is required on a stream transport")]
    MissingContentLength,
    /// A required header is absent.
    #[error("missing {0} header")]
    MissingHeader(HeaderName),
    /// The value ended where more was expected.
    #[error("unexpected end of value")]
    UnexpectedEnd,
    /// A character that the grammar does not allow here.
    #[error("unexpected character")]
    UnexpectedChar,
    /// A token was expected.
    #[error("expected a token")]
    ExpectedToken,
    /// A quoted string has no closing quote.
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    /// A `%` not followed by two hex digits where an escape is required.
    #[error("invalid %-escape")]
    BadEscape,
    /// A number that does not fit the allowed range.
    #[error("number out of range")]
    NumberOutOfRange,
    /// Digits were expected.
    #[error("invalid number")]
    BadNumber,
    /// A URI scheme is missing or malformed.
    #[error("invalid URI scheme")]
    BadScheme,
    /// The user or password part of a URI is malformed.
    #[error("invalid URI user part")]
    BadUserInfo,
    /// The host is not a hostname, IPv4 address or bracketed IPv6 reference.
    #[error("invalid host")]
    BadHost,
    /// The port is not a number in 0..=65535.
    #[error("invalid port")]
    BadPort,
    /// A `;` not followed by a parameter, or a `,` not followed by a value.
    #[error("empty parameter or list element")]
    EmptyElement,
    /// Characters remain after a complete value.
    #[error("trailing characters after the value")]
    TrailingData,
    /// An addr-spec with `;`, `,` or `?` that must be enclosed in `<>`.
    #[error("URI with parameters or headers must be enclosed in '<>'")]
    NeedsAngleBrackets,
    /// A Date that is not an RFC 1123 date in GMT.
    #[error("invalid date")]
    BadDate,
}

/// An error inside one header value (or a URI), at a byte offset into that value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at offset {offset}")]
pub struct ValueError {
    /// What is wrong.
    pub kind: ErrorKind,
    /// Byte offset into the parsed value.
    pub offset: usize,
}

impl ValueError {
    /// Makes an error of `kind` at `offset`.
    pub const fn new(kind: ErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }
}

/// An error in a message, with a 1-based line and column (in bytes) inside the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at line {line}, column {column}")]
pub struct ParseError {
    /// What is wrong.
    pub kind: ErrorKind,
    /// 1-based line number in the message.
    pub line: u32,
    /// 1-based byte column in that line.
    pub column: u32,
}

impl ParseError {
    /// Makes an error of `kind` at `line`, `column`.
    pub const fn new(kind: ErrorKind, line: u32, column: u32) -> Self {
        Self { kind, line, column }
    }

    /// Makes an error of `kind` at byte `offset` of `buf`, computing line and column.
    pub fn at_offset(kind: ErrorKind, buf: &[u8], offset: usize) -> Self {
        let (line, column) = line_col(buf, offset);
        Self { kind, line, column }
    }
}

/// The 1-based (line, column) of byte `offset` in `buf` (LF ends a line).
pub fn line_col(buf: &[u8], offset: usize) -> (u32, u32) {
    let offset = offset.min(buf.len());
    let before = buf.get(..offset).unwrap_or(buf);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let column = offset.saturating_sub(line_start) + 1;
    (sat_u32(line), sat_u32(column))
}

/// Converts to `u32`, saturating.
pub(super) fn sat_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column() {
        let buf = b"ab\r\ncd\r\nef";
        assert_eq!(line_col(buf, 0), (1, 1));
        assert_eq!(line_col(buf, 5), (2, 2));
        assert_eq!(line_col(buf, 8), (3, 1));
        assert_eq!(line_col(buf, 100), (3, 3));
        let e = ParseError::at_offset(ErrorKind::BadHost, buf, 4);
        assert_eq!((e.line, e.column), (2, 1));
        assert_eq!(e.to_string(), "invalid host at line 2, column 1");
    }
}
