//! Printing a [`PhoneConfig`] back as a CNF file that reads back to the same config.

use super::phone::{PhoneConfig, Visitor};
use super::value::Field;
use std::fmt::Write;

/// Quotes a value when the reader would otherwise change it: empty, with a `;`, with
/// leading or trailing spaces, or starting with a quote character.
pub fn cnf_value(value: &str) -> String {
    let needs_quotes = value.is_empty()
        || value.contains(';')
        || value.trim() != value
        || value.starts_with(['"', '“', '”']);
    if needs_quotes && !value.contains('"') { format!("\"{value}\"") } else { value.to_owned() }
}

impl PhoneConfig {
    /// The whole configuration as CNF text: every known key, then the unknown ones.
    pub fn to_cnf(&self) -> String {
        struct Print(String);
        impl Visitor for Print {
            fn field(&mut self, key: &str, field: &mut dyn Field) {
                let _ = writeln!(self.0, "{key} : {}", cnf_value(&field.cnf()));
            }
        }
        let mut print = Print(String::from("; written by sip7940\n"));
        self.clone().visit(&mut print);
        for (key, value) in &self.unknown {
            let _ = writeln!(print.0, "{key} : {}", cnf_value(value));
        }
        print.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(cnf_value(""), "\"\"");
        assert_eq!(cnf_value("a;b"), "\"a;b\"");
        assert_eq!(cnf_value("Orange Teapot "), "\"Orange Teapot \"");
        assert_eq!(cnf_value("SIP Phone"), "SIP Phone");
        assert_eq!(cnf_value("*97#"), "*97#");
    }
}
