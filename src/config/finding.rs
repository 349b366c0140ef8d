//! Where a setting came from, and what `check` found wrong with it.

use std::fmt;
use std::sync::Arc;

/// Where an effective value came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The firmware default (the key is in no file).
    Default,
    /// A line of a CNF file.
    File {
        /// The file as it was found (e.g. `profiles/sipgate-uk/SIPDefault.cnf`), shared by
        /// every value of that file.
        path: Arc<str>,
        /// 1-based line number.
        line: u32,
    },
    /// `--set key=value` on the command line.
    CommandLine,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::File { path, line } => write!(f, "{path}:{line}"),
            Self::CommandLine => f.write_str("--set"),
        }
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The phone cannot work as configured (`check` exits 1).
    Error,
    /// Works, but probably not as meant.
    Warning,
    /// Worth knowing.
    Info,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn word(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

/// One problem, located: `error FILE:LINE KEY: what is wrong — what to do`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How bad.
    pub severity: Severity,
    /// A stable name for the rule, e.g. `nat-address-ignored` (for scripts and JSON).
    pub code: &'static str,
    /// Where.
    pub origin: Origin,
    /// The key concerned, when there is one.
    pub key: Option<String>,
    /// What is wrong.
    pub problem: String,
    /// What to do.
    pub advice: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.severity.word(), self.origin)?;
        if let Some(key) = &self.key {
            write!(f, " {key}")?;
        }
        write!(f, ": {} — {}", self.problem, self.advice)
    }
}
