//! The phone model: a 7940 has two line keys, a 7960 six. The files are the same for
//! both; lines past the model's keys are not used (a warning names them).

use super::finding::{Finding, Origin, Severity};
use super::load::Loaded;
use super::phone::MAX_LINES;
use std::fmt;
use std::str::FromStr;

/// Which phone sip7940 is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Model {
    /// Cisco 7940: lines 1 and 2.
    #[default]
    Cisco7940,
    /// Cisco 7960: lines 1 to 6.
    Cisco7960,
}

impl Model {
    /// How many line keys the model has.
    pub fn lines(self) -> usize {
        match self {
            Model::Cisco7940 => 2,
            Model::Cisco7960 => MAX_LINES,
        }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Model::Cisco7940 => "7940",
            Model::Cisco7960 => "7960",
        })
    }
}

/// A model name that is neither `7940` nor `7960`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a phone model: 7940 (two lines) or 7960 (six lines)")]
pub struct UnknownModel(pub String);

impl FromStr for Model {
    type Err = UnknownModel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.trim().trim_start_matches(|c: char| c.is_ascii_alphabetic()).trim();
        match digits {
            "7940" => Ok(Model::Cisco7940),
            "7960" => Ok(Model::Cisco7960),
            _ => Err(UnknownModel(s.to_owned())),
        }
    }
}

impl Loaded {
    /// Unprovisions the lines `model` has no key for, with a warning for each that the
    /// files provision (at the line of its `lineN_name`).
    pub fn fit_model(&mut self, model: Model) {
        for n in model.lines() + 1..=MAX_LINES {
            let Some(line) = self.config.lines.get_mut(n - 1) else { continue };
            if !line.is_provisioned() {
                continue;
            }
            *line = Default::default();
            let key = format!("line{n}_name");
            let origin =
                self.settings.iter().find(|s| s.key == key).map_or(Origin::Default, |s| s.origin.clone());
            self.findings.push(Finding {
                severity: Severity::Warning,
                code: "line-beyond-model",
                origin,
                key: Some(key),
                problem: format!("line {n} is provisioned, but a {model} has {} lines", model.lines()),
                advice: "it is not used; run with --model 7960 for six lines".into(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CnfSource, load};

    #[test]
    fn model_names() {
        assert_eq!("7940".parse(), Ok(Model::Cisco7940));
        assert_eq!("CP-7960".parse::<Model>().ok(), None, "a dash is not a model");
        assert_eq!("cp7960".parse(), Ok(Model::Cisco7960));
        assert!("7970".parse::<Model>().is_err());
        assert_eq!((Model::Cisco7940.lines(), Model::Cisco7960.lines()), (2, 6));
    }

    #[test]
    fn a_7940_drops_lines_3_to_6_with_a_warning_naming_the_file_line() {
        let text = b"line1_name : 100\nline3_name : 300\nline3_password : secret\n";
        let src = CnfSource { path: "SIP000C30A97025.cnf".into(), bytes: text.to_vec() };
        let mut loaded = load(&[src], &[]);
        let mut big = loaded.clone();
        loaded.fit_model(Model::Cisco7940);
        let names: Vec<usize> = loaded.config.provisioned_lines().map(|(n, _)| n).collect();
        assert_eq!(names, [1]);
        let warning = loaded.findings.iter().find(|f| f.code == "line-beyond-model").expect("warned");
        assert_eq!(
            warning.to_string().split(" — ").next(),
            Some("warning SIP000C30A97025.cnf:2 line3_name: line 3 is provisioned, but a 7940 has 2 lines")
        );
        big.fit_model(Model::Cisco7960);
        assert_eq!(big.config.provisioned_lines().count(), 2);
        assert!(!big.findings.iter().any(|f| f.code == "line-beyond-model"));
    }
}
