//! `time_zone`: a zone abbreviation such as `GMT`, `EST` or `CET`, optionally with an offset.

use super::value::{Field, ValueError};
use std::borrow::Cow;

/// The `time_zone` field, borrowed for one visit.
pub struct TimeZone<'a>(pub &'a mut String);

impl Field for TimeZone<'_> {
    fn set_cnf(&mut self, raw: &str) -> Result<(), ValueError> {
        let starts_with_letter = raw.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        let chars_ok =
            raw.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | ':' | '/' | '_'));
        if !starts_with_letter || !chars_ok || raw.len() > 32 {
            return Err(ValueError::NotAChoice);
        }
        raw.clone_into(self.0);
        Ok(())
    }
    fn cnf(&self) -> String {
        self.0.clone()
    }
    fn allowed(&self) -> Cow<'static, str> {
        "a zone name such as GMT, EST, CET or GMT+1".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_names_not_numbers() {
        let mut s = String::from("GMT");
        assert_eq!(TimeZone(&mut s).set_cnf("8"), Err(ValueError::NotAChoice));
        assert_eq!(TimeZone(&mut s).set_cnf("EST"), Ok(()));
        assert_eq!(TimeZone(&mut s).set_cnf("GMT+1"), Ok(()));
        assert_eq!(s, "GMT+1");
    }
}
