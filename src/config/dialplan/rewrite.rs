//! `Rewrite` strings: what to dial instead of what was typed.
//!
//! `%s` and `%0` are the whole input, `%1`..`%5` a group of the MATCH (see
//! [`super::pattern`]; empty when the pattern has fewer groups), `.` the next digit taken
//! from the groups in order (`1`, `2`, … across `%1`, `%2`, …; nothing once they are used
//! up), `%` before any other character that character (`%%` a percent, `%.` a dot — so a
//! host name in a Rewrite is written `pbx%.example%.org`); everything else is copied. An
//! empty Rewrite dials the input as typed.

use super::pattern::MAX_LEN;
use std::fmt;

/// One piece of a parsed Rewrite.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Whole,
    Group(usize),
    NextDigit,
}

/// Why a Rewrite does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RewriteError {
    /// `%` as the last character.
    TrailingPercent,
    /// `%6`..`%9`: there are only five groups.
    NoSuchGroup {
        /// The digit after `%`.
        digit: char,
    },
    /// Longer than the firmware's buffer.
    TooLong {
        /// Characters given.
        len: usize,
    },
    /// A control character or white space.
    BadChar {
        /// The character.
        found: char,
        /// Its position, from 1.
        at: usize,
    },
}

impl fmt::Display for RewriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TrailingPercent => f.write_str("ends in a lone %"),
            Self::NoSuchGroup { digit } => {
                write!(f, "refers to %{digit}, but there are only groups %1 to %5")
            }
            Self::TooLong { len } => write!(f, "is {len} characters long"),
            Self::BadChar { found, at } => write!(f, "has {found:?} at position {at}"),
        }
    }
}

/// A parsed `Rewrite`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rewrite {
    pieces: Vec<Piece>,
}

impl Rewrite {
    /// Parses a Rewrite value (empty: dial the input as typed).
    pub fn parse(text: &str) -> Result<Self, RewriteError> {
        let len = text.chars().count();
        if len > MAX_LEN {
            return Err(RewriteError::TooLong { len });
        }
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().enumerate();
        let flush = |literal: &mut String, pieces: &mut Vec<Piece>| {
            if !literal.is_empty() {
                pieces.push(Piece::Text(std::mem::take(literal)));
            }
        };
        while let Some((i, c)) = chars.next() {
            if c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>' {
                return Err(RewriteError::BadChar { found: c, at: i + 1 });
            }
            match c {
                '.' => {
                    flush(&mut literal, &mut pieces);
                    pieces.push(Piece::NextDigit);
                }
                '%' => match chars.next().map(|(_, d)| d) {
                    None => return Err(RewriteError::TrailingPercent),
                    Some('s' | '0') => {
                        flush(&mut literal, &mut pieces);
                        pieces.push(Piece::Whole);
                    }
                    Some(d @ '1'..='5') => {
                        flush(&mut literal, &mut pieces);
                        pieces.push(Piece::Group(usize::from(d as u8 - b'1')));
                    }
                    Some(digit @ '6'..='9') => return Err(RewriteError::NoSuchGroup { digit }),
                    Some(other) => literal.push(other),
                },
                c => literal.push(c),
            }
        }
        flush(&mut literal, &mut pieces);
        Ok(Self { pieces })
    }

    /// Whether it is empty (the input is dialled as typed).
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// The number to dial for `input`, given the group spans of its full match.
    pub fn apply(&self, input: &[char], groups: &[(usize, usize)]) -> String {
        if self.pieces.is_empty() {
            return input.iter().collect();
        }
        let group_text = |g: usize| -> &[char] {
            groups.get(g).and_then(|&(from, to)| input.get(from..to)).unwrap_or(&[])
        };
        let mut digits = (0..groups.len()).flat_map(|g| group_text(g).iter().copied());
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Whole => out.extend(input.iter()),
                Piece::Group(g) => out.extend(group_text(*g).iter()),
                Piece::NextDigit => out.extend(digits.next()),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::dialplan::pattern::{Fit, Pattern};

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    fn rewrite(pattern: &str, rewrite: &str, input: &str) -> String {
        let input = chars(input);
        match Pattern::parse(pattern).unwrap().fit(&input) {
            Fit::Full { groups, .. } => Rewrite::parse(rewrite).unwrap().apply(&input, &groups),
            other => panic!("{pattern} does not fully match: {other:?}"),
        }
    }

    /// The administrator guide's table: MATCH `ab..cd..ef*` against `ab12cd34ef5678`.
    #[test]
    fn groups_of_the_guide_example() {
        let (p, input) = ("ab..cd..ef*", "ab12cd34ef5678");
        for (rw, want) in [
            ("%s", "ab12cd34ef5678"),
            ("%0", "ab12cd34ef5678"),
            ("%1", "12"),
            ("%2", "34"),
            ("%3", "5678"),
            ("%4", ""),
            ("%5", ""),
            ("XYZ....", "XYZ1234"),
            ("X.Y.Z...", "X1Y2Z345"),
            ("919%1%2%3", "91912345678"),
            ("AB...X%1X..", "AB123X12X45"),
            ("X%1X%1X%1", "X12X12X12"),
        ] {
            assert_eq!(rewrite(p, rw, input), want, "Rewrite={rw}");
        }
    }

    #[test]
    fn rewrite_forms() {
        assert_eq!(rewrite("31.", "11111111%s", "312"), "11111111312");
        assert_eq!(rewrite("32..", "122222232..", "3255"), "12222223255");
        assert_eq!(rewrite("33...", "13333333%1", "33123"), "13333333123");
        assert_eq!(rewrite("34..1..", "14444%155%2", "3412156"), "14444125556");
        assert_eq!(rewrite("34..3..", "11..11..", "3412356"), "11121156");
        assert_eq!(rewrite("0,..........", "44%1", "02071234567"), "442071234567");
        assert_eq!(rewrite("9.", "", "95"), "95", "an empty Rewrite dials as typed");
        assert_eq!(rewrite("9.", "100%%", "95"), "100%");
        assert_eq!(rewrite("9.", "%.%x", "95"), ".x");
        assert_eq!(rewrite("9.", "....", "95"), "5", "dots past the captured digits give nothing");
        assert_eq!(rewrite("00*", "+%1", "0049301234"), "+49301234");
        // A dot in a Rewrite is a digit: a host name needs %. for its dots.
        assert_eq!(rewrite("8*", "%1@pbx%.example%.org", "8123"), "123@pbx.example.org");
        assert_eq!(rewrite("8*", "%1@pbx.example.org", "8123"), "123@pbx1example2org");
    }

    #[test]
    fn more_than_five_groups_fold_into_the_fifth() {
        let input = "15263748596071";
        let p = "1.2.3.4.5.6.7.";
        assert_eq!(rewrite(p, "%1%2%3%4", input), "5678");
        assert_eq!(rewrite(p, "%5", input), "96071");
    }

    #[test]
    fn bad_rewrites() {
        assert_eq!(Rewrite::parse("12%"), Err(RewriteError::TrailingPercent));
        assert_eq!(Rewrite::parse("%7"), Err(RewriteError::NoSuchGroup { digit: '7' }));
        assert_eq!(Rewrite::parse("1 2"), Err(RewriteError::BadChar { found: ' ', at: 2 }));
    }
}
