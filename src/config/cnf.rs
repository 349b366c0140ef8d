//! The CNF reader: turns the bytes of a `SIPDefault.cnf` or `SIP<MAC>.cnf` into
//! `key : value` entries, each remembering its line.
//!
//! It accepts the files as people really wrote them (see the 7940 reference):
//!
//! * `key : value`, `key: value`, `key:value`, with any spaces or tabs around the colon;
//! * bare values, or values in double quotes; `""` is the empty value;
//! * `;` starts a comment outside quotes, so CME's trailing `;` and `;begin`/`;end` are
//!   comments; a line starting with `#` is a comment;
//! * typographic quotes `“ ”` (from web pages) act as quotes, with a warning;
//! * CRLF or LF line ends, a UTF-8 byte-order mark;
//! * a key given twice: the last one wins, with a warning.
//!
//! Problems never stop the reader: each one is a [`CnfIssue`] with its line, and the rest of
//! the file is still read. A line with bytes that are not UTF-8 is an error unless it is a
//! comment.

use std::collections::HashMap;
use thiserror::Error;

/// One `key : value` line of a CNF file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CnfEntry {
    /// The key as written (trimmed), e.g. `proxy1_address`.
    pub key: String,
    /// The value with quotes and comment removed; bare values are trimmed.
    pub value: String,
    /// 1-based line number.
    pub line: u32,
}

/// What is wrong with a line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CnfIssueKind {
    /// The line has bytes that are not UTF-8.
    #[error("byte {column} is not valid UTF-8")]
    NotUtf8 {
        /// 1-based byte column of the first bad byte.
        column: usize,
    },
    /// Neither a comment nor `key : value`.
    #[error("this line has no ':' between key and value")]
    NoColon,
    /// Nothing before the colon.
    #[error("the line has no key before ':'")]
    EmptyKey,
    /// A quote opened at `column` is never closed.
    #[error("the quote opened at column {column} is never closed")]
    UnterminatedQuote {
        /// 1-based character column of the opening quote.
        column: usize,
    },
    /// `“ ”` used as quotes.
    #[error("typographic quotes “ ” used around the value")]
    TypographicQuotes,
    /// Text after the closing quote that is not a comment.
    #[error("text after the closing quote is ignored: {text:?}")]
    TextAfterQuote {
        /// The ignored text.
        text: String,
    },
    /// The key already appeared on an earlier line of the same file.
    #[error("the key was already set on line {first_line}; the last one wins")]
    DuplicateKey {
        /// Where the key was first set.
        first_line: u32,
    },
}

impl CnfIssueKind {
    /// Whether the line could not be used at all (an error) or was used with a caveat.
    pub fn is_error(&self) -> bool {
        matches!(self, Self::NotUtf8 { .. } | Self::NoColon | Self::EmptyKey | Self::UnterminatedQuote { .. })
    }

    /// What the person should do about it.
    pub fn advice(&self) -> &'static str {
        match self {
            Self::NotUtf8 { .. } => "save the file as UTF-8 (or plain ASCII)",
            Self::NoColon | Self::EmptyKey => {
                "write it as `key : value`, or start it with # to comment it out"
            }
            Self::UnterminatedQuote { .. } => "close the quote with \"",
            Self::TypographicQuotes => "replace “ ” with straight quotes \"",
            Self::TextAfterQuote { .. } => "put a ';' before comments",
            Self::DuplicateKey { .. } => "remove one of the two lines",
        }
    }
}

/// A problem found on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CnfIssue {
    /// 1-based line number.
    pub line: u32,
    /// The key of the line, when one could be read.
    pub key: Option<String>,
    /// What is wrong.
    pub kind: CnfIssueKind,
}

/// A whole file, read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CnfFile {
    /// The entries in file order (a repeated key appears each time; the last wins).
    pub entries: Vec<CnfEntry>,
    /// Problems, in line order.
    pub issues: Vec<CnfIssue>,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads CNF text. Never fails and never panics: problems are reported in
/// [`CnfFile::issues`].
pub fn read_cnf(bytes: &[u8]) -> CnfFile {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let mut file = CnfFile::default();
    let mut first_lines = HashMap::new();
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        match std::str::from_utf8(raw) {
            Ok(text) => read_line(text, line, &mut file, &mut first_lines),
            Err(err) => {
                if !is_comment_bytes(raw) {
                    file.issues.push(CnfIssue {
                        line,
                        key: None,
                        kind: CnfIssueKind::NotUtf8 { column: err.valid_up_to() + 1 },
                    });
                }
            }
        }
    }
    file
}

fn is_comment_bytes(raw: &[u8]) -> bool {
    let first = raw.iter().find(|b| !b.is_ascii_whitespace());
    matches!(first, Some(b'#') | Some(b';'))
}

/// Reads one line; `first_lines` remembers where each key was first set.
fn read_line(text: &str, line: u32, file: &mut CnfFile, first_lines: &mut HashMap<String, u32>) {
    let body = text.trim_start();
    if body.is_empty() || body.starts_with('#') || body.starts_with(';') {
        return;
    }
    let Some(colon) = body.find([':', ';']).filter(|&i| body[i..].starts_with(':')) else {
        file.issues.push(CnfIssue { line, key: None, kind: CnfIssueKind::NoColon });
        return;
    };
    let key = body[..colon].trim();
    if key.is_empty() {
        file.issues.push(CnfIssue { line, key: None, kind: CnfIssueKind::EmptyKey });
        return;
    }
    let issue = |kind| CnfIssue { line, key: Some(key.to_owned()), kind };
    let rest = &body[colon + 1..];
    let value = match read_value(rest) {
        Ok((value, notes)) => {
            file.issues.extend(notes.into_iter().map(issue));
            value
        }
        Err(kind) => {
            let kind = match kind {
                CnfIssueKind::UnterminatedQuote { column } => {
                    // Make the column relative to the whole line.
                    let offset = text.len() - rest.len();
                    CnfIssueKind::UnterminatedQuote { column: text[..offset].chars().count() + column }
                }
                other => other,
            };
            file.issues.push(issue(kind));
            return;
        }
    };
    match first_lines.get(key) {
        Some(&first_line) => file.issues.push(issue(CnfIssueKind::DuplicateKey { first_line })),
        None => {
            first_lines.insert(key.to_owned(), line);
        }
    }
    file.entries.push(CnfEntry { key: key.to_owned(), value, line });
}

/// Reads the text after the colon. Returns the value and any warnings, or the error that
/// makes the line unusable (columns relative to `rest`).
fn read_value(rest: &str) -> Result<(String, Vec<CnfIssueKind>), CnfIssueKind> {
    let mut notes = Vec::new();
    let start = rest.trim_start();
    let Some(open) = start.chars().next().filter(|c| is_open_quote(*c)) else {
        let bare = start.split(';').next().unwrap_or("").trim();
        return Ok((bare.to_owned(), notes));
    };
    let typographic = open != '"';
    let inner = &start[open.len_utf8()..];
    let close = if typographic { inner.find(is_open_quote) } else { inner.find('"') };
    let Some(close) = close else {
        let column = rest[..rest.len() - start.len()].chars().count() + 1;
        return Err(CnfIssueKind::UnterminatedQuote { column });
    };
    let value = &inner[..close];
    let closing = inner[close..].chars().next().unwrap_or('"');
    if typographic || closing != '"' {
        notes.push(CnfIssueKind::TypographicQuotes);
    }
    let after = inner[close + closing.len_utf8()..].trim();
    if !after.is_empty() && !after.starts_with(';') {
        notes.push(CnfIssueKind::TextAfterQuote { text: after.to_owned() });
    }
    Ok((value.to_owned(), notes))
}

fn is_open_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> (Vec<CnfEntry>, Vec<CnfIssue>) {
        let f = read_cnf(text.as_bytes());
        (f.entries, f.issues)
    }

    fn value(text: &str) -> String {
        let (e, i) = one(text);
        assert!(i.iter().all(|i| !i.kind.is_error()), "{i:?}");
        e.last().map(|e| e.value.clone()).unwrap_or_default()
    }

    #[test]
    fn spacing_around_the_colon() {
        for text in ["a : b", "a: b", "a:b", "a :b", "\ta\t:\tb\t", "  a   :   b  "] {
            let (e, i) = one(text);
            assert_eq!(e, vec![CnfEntry { key: "a".into(), value: "b".into(), line: 1 }], "{text}");
            assert!(i.is_empty());
        }
    }

    #[test]
    fn quotes_comments_and_cme_semicolons() {
        assert_eq!(value(r#"nat_address : "" ; yes. Double quotes, no spaces"#), "");
        assert_eq!(value(r#"phone_prompt : "SIP Phone""#), "SIP Phone");
        assert_eq!(value("proxy1_port : 5060;"), "5060");
        assert_eq!(value(r#"phone_label : "a;b";"#), "a;b");
        assert_eq!(value("messages_uri : *97#"), "*97#");
        assert_eq!(value("nat_address : 1.2.3.4 ; public address"), "1.2.3.4");
        assert_eq!(value("a : b c  "), "b c");
        assert_eq!(value("a : "), "");
    }

    #[test]
    fn comment_lines_and_frames() {
        let (e, i) = one(";begin\n# comment\n  ; indented\n\n;end\n");
        assert!(e.is_empty() && i.is_empty());
    }

    #[test]
    fn crlf_and_bom() {
        let f = read_cnf(b"\xEF\xBB\xBFa : 1\r\nb : \"x\"\r\n");
        assert_eq!(f.entries.len(), 2);
        assert_eq!(f.entries[0].key, "a");
        assert_eq!(f.entries[1].value, "x");
        assert!(f.issues.is_empty());
    }

    #[test]
    fn typographic_quotes_are_quotes_with_a_warning() {
        let (e, i) = one("phone_label : “Orange Teapot ”");
        assert_eq!(e[0].value, "Orange Teapot ");
        assert_eq!(i.len(), 1);
        assert_eq!(i[0].kind, CnfIssueKind::TypographicQuotes);
        assert!(!i[0].kind.is_error());
        let (e, _) = one("line2_shortname : “”");
        assert_eq!(e[0].value, "");
    }

    #[test]
    fn unprovisioned_is_kept_as_written() {
        assert_eq!(value("line2_name: UNPROVISIONED"), "UNPROVISIONED");
    }

    #[test]
    fn duplicates_warn_and_last_wins() {
        let (e, i) = one("a : 1\nb : 2\na : 3\n");
        assert_eq!(e.len(), 3);
        assert_eq!(e[2].value, "3");
        assert_eq!(
            i,
            vec![CnfIssue {
                line: 3,
                key: Some("a".into()),
                kind: CnfIssueKind::DuplicateKey { first_line: 1 }
            }]
        );
    }

    #[test]
    fn errors_are_located() {
        let (e, i) = one("good : 1\nno colon here\n: value\nq : \"open\ngood2 : 2");
        assert_eq!(e.len(), 2);
        let kinds: Vec<_> = i.iter().map(|i| (i.line, i.kind.clone())).collect();
        assert_eq!(
            kinds,
            vec![
                (2, CnfIssueKind::NoColon),
                (3, CnfIssueKind::EmptyKey),
                (4, CnfIssueKind::UnterminatedQuote { column: 5 }),
            ]
        );
        assert!(i.iter().all(|i| i.kind.is_error()));
    }

    #[test]
    fn a_semicolon_before_the_colon_makes_a_comment() {
        let (e, i) = one("key ; note: x");
        assert!(e.is_empty());
        assert_eq!(i[0].kind, CnfIssueKind::NoColon);
    }

    #[test]
    fn non_utf8_is_an_error_with_its_column_unless_commented() {
        let f = read_cnf(b"a : 1\nphone_label : caf\xE9\n# caf\xE9\n");
        assert_eq!(f.entries.len(), 1);
        assert_eq!(
            f.issues,
            vec![CnfIssue { line: 2, key: None, kind: CnfIssueKind::NotUtf8 { column: 18 } }]
        );
    }

    #[test]
    fn text_after_a_quote_is_a_warning() {
        let (e, i) = one(r#"a : "x" y"#);
        assert_eq!(e[0].value, "x");
        assert_eq!(i[0].kind, CnfIssueKind::TextAfterQuote { text: "y".into() });
    }

    #[test]
    fn keys_with_spaces_are_read() {
        let (e, _) = one("Status Flags : 12300001");
        assert_eq!(e[0].key, "Status Flags");
    }
}
