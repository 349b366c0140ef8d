//! `MATCH` patterns: parsing, and how a pattern fits what was typed.
//!
//! A pattern is read left to right:
//!
//! | in MATCH | matches |
//! | --- | --- |
//! | `0`-`9`, `#`, `+`, letters | that character (a *literal*) |
//! | `.` | one dialled digit: `0`-`9`, `*` or `+` (never `#`) |
//! | `*` | one or more characters, none of them `#` |
//! | `,` | nothing: the place where the phone plays a secondary dial tone |
//! | `\x` | the character `x` as a literal (`\*` is a star, `\.` a dot) |
//!
//! **Groups** (`%1`..`%5` in Rewrite): each maximal run of wildcards (`.` and `*`, a `,`
//! inside a run does not end it) is a group, numbered from the left; the group holds the
//! characters its wildcards matched. `ab..cd..ef*` against `ab12cd34ef5678` gives
//! `%1` = `12`, `%2` = `34`, `%3` = `5678`. A pattern with more than five runs puts the
//! fifth and every later run into `%5`, which then spans from the fifth run's first
//! character to the last run's last (literals between included), as the firmware does.
//!
//! A `*` matches as few characters as it can while the rest of the pattern still matches.
//!
//! How a Rewrite uses the groups is in [`super::rewrite`].

use std::fmt;

/// Where a pattern fails to parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternError {
    /// A character a pattern cannot hold (1-based position).
    BadChar {
        /// The character.
        found: char,
        /// Its position in the value, counted in characters from 1.
        at: usize,
    },
    /// Longer than the firmware's buffer.
    TooLong {
        /// Characters given.
        len: usize,
    },
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadChar { found, at } => write!(f, "has {found:?} at position {at}"),
            Self::TooLong { len } => write!(f, "is {len} characters long"),
        }
    }
}

/// The most characters a MATCH or Rewrite may hold (the firmware keeps 195).
pub const MAX_LEN: usize = 195;

/// One step of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// This character.
    Lit(char),
    /// `.`: one dialled digit.
    Dot,
    /// `*`: one or more characters, not `#`.
    Star,
    /// `,`: a secondary dial tone here.
    Tone,
}

/// What kind of pattern, for breaking ties between equally long matches: an exact number
/// beats one with `.`, which beats one with `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Holds a `*`.
    Star,
    /// Holds a `.` but no `*`.
    Dot,
    /// Only literals (and `,`).
    Exact,
}

/// A parsed `MATCH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    tokens: Vec<Token>,
    /// For each token, the group (0-based, at most 4) of a wildcard.
    group_of: Vec<Option<usize>>,
    groups: usize,
    literals: usize,
    kind: Kind,
}

/// How a pattern relates to what was typed so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fit {
    /// The pattern matches the whole input.
    Full {
        /// Literal characters matched.
        literals: usize,
        /// The group spans in the input (character indices, end exclusive).
        groups: Vec<(usize, usize)>,
    },
    /// The input is a beginning of something the pattern matches.
    Partial {
        /// The most literal characters any such reading matched.
        literals: usize,
        /// Which `,` (0-based) the input stops right before, when it does: the phone
        /// plays a secondary dial tone there.
        tone_at: Option<usize>,
    },
    /// Neither.
    None,
}

/// Whether `c` is a dialled digit for `.`.
fn is_dialled_digit(c: char) -> bool {
    c.is_ascii_digit() || c == '*' || c == '+'
}

/// Characters a MATCH may hold besides the wildcards: what a keypad or a number has.
fn is_pattern_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '#' | '+' | '*' | '.' | ',' | '\\')
}

impl Pattern {
    /// Parses a MATCH value.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let len = text.chars().count();
        if len > MAX_LEN {
            return Err(PatternError::TooLong { len });
        }
        let mut tokens = Vec::new();
        let mut chars = text.chars().enumerate();
        while let Some((i, c)) = chars.next() {
            if !is_pattern_char(c) {
                return Err(PatternError::BadChar { found: c, at: i + 1 });
            }
            tokens.push(match c {
                '.' => Token::Dot,
                '*' => Token::Star,
                ',' => Token::Tone,
                // A trailing backslash is an ordinary character, as on the phone.
                '\\' => match chars.next() {
                    Some((_, e)) if is_pattern_char(e) => Token::Lit(e),
                    Some((j, e)) => return Err(PatternError::BadChar { found: e, at: j + 1 }),
                    None => Token::Lit('\\'),
                },
                c => Token::Lit(c),
            });
        }
        let mut group_of = vec![None; tokens.len()];
        let mut groups = 0usize;
        let mut in_run = false;
        for (slot, token) in group_of.iter_mut().zip(&tokens) {
            match token {
                Token::Dot | Token::Star => {
                    if !in_run {
                        groups += 1;
                        in_run = true;
                    }
                    *slot = Some(groups.min(5) - 1);
                }
                Token::Tone => {}
                Token::Lit(_) => in_run = false,
            }
        }
        let literals = tokens.iter().filter(|t| matches!(t, Token::Lit(_))).count();
        let kind = if tokens.contains(&Token::Star) {
            Kind::Star
        } else if tokens.contains(&Token::Dot) {
            Kind::Dot
        } else {
            Kind::Exact
        };
        Ok(Self { tokens, group_of, groups: groups.min(5), literals, kind })
    }

    /// The tokens.
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// Exact, `.` or `*`.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// How many `,` the pattern has.
    pub fn tones(&self) -> usize {
        self.tokens.iter().filter(|t| **t == Token::Tone).count()
    }

    /// How this pattern fits `input` (the characters typed so far).
    pub fn fit(&self, input: &[char]) -> Fit {
        match self.full(input) {
            Some(groups) => Fit::Full { literals: self.literals, groups },
            None => self.partial(input),
        }
    }

    /// The group spans of a full match (each `*` as short as it can be), or `None`.
    fn full(&self, input: &[char]) -> Option<Vec<(usize, usize)>> {
        let (t_len, n) = (self.tokens.len(), input.len());
        let width = n + 1;
        // can[t * width + i]: tokens t.. match input i.. exactly.
        let mut can = vec![false; (t_len + 1) * width];
        can[t_len * width + n] = true;
        for t in (0..t_len).rev() {
            for i in (0..=n).rev() {
                let here = input.get(i).copied();
                let next = |j: usize| can[(t + 1) * width + j];
                can[t * width + i] = match self.tokens[t] {
                    Token::Lit(c) => here == Some(c) && next(i + 1),
                    Token::Dot => here.is_some_and(is_dialled_digit) && next(i + 1),
                    Token::Tone => next(i),
                    Token::Star => here.is_some_and(|c| c != '#') && (next(i + 1) || can[t * width + i + 1]),
                };
            }
        }
        if !can[0] {
            return None;
        }
        let mut spans: Vec<Option<(usize, usize)>> = vec![None; self.groups];
        let mut widen = |group: Option<usize>, from: usize, to: usize| {
            if let Some(g) = group {
                let span = spans[g].get_or_insert((from, to));
                span.0 = span.0.min(from);
                span.1 = span.1.max(to);
            }
        };
        let mut i = 0;
        for t in 0..t_len {
            let group = self.group_of[t];
            match self.tokens[t] {
                Token::Lit(_) => i += 1,
                Token::Tone => {}
                Token::Dot => {
                    widen(group, i, i + 1);
                    i += 1;
                }
                Token::Star => {
                    // The shortest run after which the rest still matches.
                    let mut end = i + 1;
                    while !can[(t + 1) * width + end] {
                        end += 1;
                    }
                    widen(group, i, end);
                    i = end;
                }
            }
        }
        Some(spans.into_iter().map(|s| s.unwrap_or((0, 0))).collect())
    }

    /// Whether `input` can be continued into a full match, and with how many literals.
    fn partial(&self, input: &[char]) -> Fit {
        let (t_len, n) = (self.tokens.len(), input.len());
        let width = n + 1;
        // reach[t * width + i]: the most literals of a reading that has used tokens ..t
        // and input ..i; star[t * width + i]: inside `*` token t having taken ..i.
        let mut reach: Vec<Option<usize>> = vec![None; (t_len + 1) * width];
        let mut star: Vec<Option<usize>> = vec![None; (t_len + 1) * width];
        reach[0] = Some(0);
        let better = |slot: &mut Option<usize>, value: usize| {
            if slot.is_none_or(|v| v < value) {
                *slot = Some(value);
            }
        };
        for i in 0..=n {
            let here = input.get(i).copied();
            for t in 0..t_len {
                if let Some(lits) = star[t * width + i] {
                    better(&mut reach[(t + 1) * width + i], lits);
                    if here.is_some_and(|c| c != '#') {
                        better(&mut star[t * width + i + 1], lits);
                    }
                }
                let Some(lits) = reach[t * width + i] else { continue };
                match self.tokens[t] {
                    Token::Lit(c) if here == Some(c) => better(&mut reach[(t + 1) * width + i + 1], lits + 1),
                    Token::Dot if here.is_some_and(is_dialled_digit) => {
                        better(&mut reach[(t + 1) * width + i + 1], lits)
                    }
                    Token::Star if here.is_some_and(|c| c != '#') => {
                        better(&mut star[t * width + i + 1], lits)
                    }
                    Token::Tone => better(&mut reach[(t + 1) * width + i], lits),
                    _ => {}
                }
            }
        }
        let ends: Vec<(usize, usize)> =
            (0..t_len).filter_map(|t| reach[t * width + n].map(|lits| (t, lits))).collect();
        let Some(literals) = ends.iter().map(|&(_, lits)| lits).max() else { return Fit::None };
        let tone_at = ends.iter().find(|&&(t, _)| self.tokens[t] == Token::Tone).map(|&(t, _)| {
            self.tokens.get(..t).map_or(0, |before| before.iter().filter(|k| **k == Token::Tone).count())
        });
        Fit::Partial { literals, tone_at }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    fn fit(pattern: &str, input: &str) -> Fit {
        Pattern::parse(pattern).unwrap().fit(&chars(input))
    }

    fn full(pattern: &str, input: &str) -> bool {
        matches!(fit(pattern, input), Fit::Full { .. })
    }

    fn partial(pattern: &str, input: &str) -> bool {
        matches!(fit(pattern, input), Fit::Partial { .. })
    }

    #[test]
    fn literal_digits() {
        assert!(full("911", "911"));
        assert!(partial("911", "91"));
        assert!(partial("911", ""));
        assert_eq!(fit("911", "912"), Fit::None);
        assert_eq!(fit("911", "9111"), Fit::None);
        assert!(full("", ""));
        assert_eq!(fit("", "1"), Fit::None);
    }

    #[test]
    fn dot_is_one_dialled_digit() {
        assert!(full("31.", "310"));
        assert!(full("31.", "31*"));
        assert!(full("..", "+4"));
        assert!(partial("31.", "31"));
        assert_eq!(fit("31.", "3100"), Fit::None);
        assert_eq!(fit("31.", "31#"), Fit::None, "a dot never takes #");
        assert_eq!(fit(".", "a"), Fit::None, "a dot takes digits, * and + only");
    }

    #[test]
    fn star_is_one_or_more_but_not_hash() {
        assert!(full("*", "1"));
        assert!(full("*", "12345"));
        assert!(full("*", "alice"));
        assert!(partial("*", ""), "a star needs at least one character");
        assert!(partial("00*", "00"));
        assert!(full("00*", "0049"));
        assert_eq!(fit("*", "12#"), Fit::None);
        assert_eq!(fit("*", "#"), Fit::None);
        assert!(full("9*9", "90009"), "a star gives back what the rest needs");
        assert!(full("*0", "1000"));
    }

    #[test]
    fn comma_matches_nothing_and_marks_a_tone() {
        assert!(full("9,..", "912"));
        assert_eq!(fit("9,..", "9"), Fit::Partial { literals: 1, tone_at: Some(0) });
        assert_eq!(fit("9,..", "91"), Fit::Partial { literals: 1, tone_at: None });
        assert_eq!(fit("9,1,..", "91"), Fit::Partial { literals: 2, tone_at: Some(1) });
        assert_eq!(fit(",0", ""), Fit::Partial { literals: 0, tone_at: Some(0) });
        assert!(full("9,", "9"), "a trailing comma is a full match");
    }

    #[test]
    fn backslash_escapes() {
        assert!(full("\\*21", "*21"));
        assert_eq!(fit("\\*21", "121"), Fit::None);
        assert!(full("\\.", "."));
        assert!(full("1\\", "1\\"), "a trailing backslash is itself");
        assert_eq!(Pattern::parse("\\*").unwrap().kind(), Kind::Exact);
    }

    #[test]
    fn hash_is_a_literal_in_a_pattern() {
        assert!(full("\\*21#", "*21#"));
        assert!(full("*21#", "121#"), "an unescaped * is a wildcard");
        assert!(partial("\\*21#", "*21"));
    }

    #[test]
    fn literal_counts_and_kinds() {
        assert_eq!(fit("31.", "310"), Fit::Full { literals: 2, groups: vec![(2, 3)] });
        assert_eq!(fit("9011*", "901"), Fit::Partial { literals: 3, tone_at: None });
        assert_eq!(Pattern::parse("911").unwrap().kind(), Kind::Exact);
        assert_eq!(Pattern::parse("9..").unwrap().kind(), Kind::Dot);
        assert_eq!(Pattern::parse("9.*").unwrap().kind(), Kind::Star);
        assert!(Kind::Exact > Kind::Dot && Kind::Dot > Kind::Star);
    }

    #[test]
    fn bad_patterns() {
        assert_eq!(Pattern::parse("9 1"), Err(PatternError::BadChar { found: ' ', at: 2 }));
        assert_eq!(Pattern::parse("1\\ "), Err(PatternError::BadChar { found: ' ', at: 3 }));
        assert_eq!(Pattern::parse("é"), Err(PatternError::BadChar { found: 'é', at: 1 }));
        assert_eq!(Pattern::parse(&"1".repeat(196)), Err(PatternError::TooLong { len: 196 }));
    }
}
