//! What can be wrong with a `dialplan.xml`, located: file, line, attribute, value and what
//! is allowed — `dialplan.xml line 3: Timeout="abc" is not a number of seconds`.

use super::DialPlan;
use super::xml::XmlProblem;
use crate::config::{Finding, Origin, PhoneConfig, Severity};
use std::fmt;
use std::sync::Arc;

/// A problem in a dial plan file, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialPlanError {
    /// The file, as shown (e.g. `profiles/sipgate-uk/dialplan.xml`).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// What is wrong.
    pub problem: Problem,
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Bytes that are not UTF-8.
    NotUtf8,
    /// Broken markup.
    Xml(XmlProblem),
    /// No `<DIALTEMPLATE>` element at all.
    NoDialTemplate,
    /// An element opened here is never closed.
    Unclosed {
        /// Its name.
        element: String,
    },
    /// An end tag that does not close the open element.
    Mismatched {
        /// The end tag's name.
        found: String,
        /// The element open there (`None`: nothing is open).
        open: Option<String>,
    },
    /// An element where it cannot be (a TEMPLATE outside DIALTEMPLATE, anything after
    /// `</DIALTEMPLATE>`, an element inside TEMPLATE).
    Misplaced {
        /// Its name.
        element: String,
        /// Where it may be.
        allowed: &'static str,
    },
    /// An element the dial plan does not have.
    UnknownElement {
        /// Its name.
        element: String,
    },
    /// Text outside any tag.
    StrayText {
        /// The text (shortened).
        text: String,
    },
    /// An attribute TEMPLATE does not have.
    UnknownAttribute {
        /// As written.
        attribute: String,
    },
    /// The same attribute twice in one TEMPLATE.
    Duplicate {
        /// As written.
        attribute: String,
    },
    /// A TEMPLATE without MATCH.
    NoMatch,
    /// A value that is not allowed.
    BadValue {
        /// The attribute (canonical spelling: `MATCH`, `Line`, `Timeout`, …).
        attribute: &'static str,
        /// The value as written.
        value: String,
        /// What is wrong with it (`is not a number of seconds`).
        problem: String,
        /// What is allowed.
        allowed: &'static str,
    },
}

impl Problem {
    /// The attribute concerned, when there is one.
    pub fn attribute(&self) -> Option<&str> {
        match self {
            Self::BadValue { attribute, .. } => Some(attribute),
            Self::UnknownAttribute { attribute } | Self::Duplicate { attribute } => Some(attribute),
            Self::NoMatch => Some("MATCH"),
            _ => None,
        }
    }

    /// What is wrong, in words.
    pub fn text(&self) -> String {
        match self {
            Self::NotUtf8 => "the file is not UTF-8 text".into(),
            Self::Xml(p) => p.to_string(),
            Self::NoDialTemplate => "there is no <DIALTEMPLATE> element".into(),
            Self::Unclosed { element } => format!("<{element}> is never closed"),
            Self::Mismatched { found, open: Some(open) } => format!("</{found}> where </{open}> should be"),
            Self::Mismatched { found, open: None } => format!("</{found}> closes nothing"),
            Self::Misplaced { element, .. } => format!("<{element}> is out of place"),
            Self::UnknownElement { element } => format!("<{element}> is not part of a dial plan"),
            Self::StrayText { text } => format!("text {text:?} outside any tag"),
            Self::UnknownAttribute { attribute } => format!("TEMPLATE has no attribute {attribute}"),
            Self::Duplicate { attribute } => format!("{attribute} is given twice in one TEMPLATE"),
            Self::NoMatch => "TEMPLATE has no MATCH".into(),
            Self::BadValue { attribute, value, problem, .. } => format!("{attribute}={value:?} {problem}"),
        }
    }

    /// What to do.
    pub fn advice(&self) -> &'static str {
        match self {
            Self::NotUtf8 => "save it as UTF-8 (or plain ASCII)",
            Self::Xml(_) => "fix the markup: <TEMPLATE MATCH=\"…\" Timeout=\"…\"/> inside <DIALTEMPLATE>",
            Self::NoDialTemplate => "put the templates between <DIALTEMPLATE> and </DIALTEMPLATE>",
            Self::Unclosed { .. } | Self::Mismatched { .. } => {
                "close each element: <TEMPLATE …/> or <TEMPLATE …></TEMPLATE>"
            }
            Self::Misplaced { allowed, .. } => allowed,
            Self::UnknownElement { .. } => {
                "only <TEMPLATE> (and <versionStamp>) may be inside <DIALTEMPLATE>"
            }
            Self::StrayText { .. } => "put comments inside <!-- -->",
            Self::UnknownAttribute { .. } | Self::Duplicate { .. } => {
                "a TEMPLATE takes MATCH, Line, Timeout, User, Rewrite and Route once each, and Tone up to three times"
            }
            Self::NoMatch => "add MATCH=\"pattern\" (MATCH=\"\" matches nothing typed: a hotline)",
            Self::BadValue { allowed, .. } => allowed,
        }
    }
}

impl fmt::Display for DialPlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}: {} ({})", self.file, self.line, self.problem.text(), self.problem.advice())
    }
}

impl std::error::Error for DialPlanError {}

impl DialPlanError {
    /// The error as a `check` finding (`error FILE:LINE ATTRIBUTE: problem — advice`).
    pub fn finding(&self) -> Finding {
        Finding {
            severity: Severity::Error,
            code: "dialplan",
            origin: Origin::File { path: Arc::from(self.file.as_str()), line: self.line },
            key: self.problem.attribute().map(str::to_owned),
            problem: self.problem.text(),
            advice: self.problem.advice().into(),
        }
    }
}

/// Findings about a parsed plan against the configuration.
pub(super) fn lint(plan: &DialPlan, config: &PhoneConfig) -> Vec<Finding> {
    let Some(file) = plan.file.as_deref() else { return Vec::new() };
    let path: Arc<str> = Arc::from(file);
    plan.templates
        .iter()
        .filter(|t| t.route == super::Route::Emergency && config.proxy_emergency.address.is_none())
        .map(|t| Finding {
            severity: Severity::Warning,
            code: "dialplan-emergency",
            origin: Origin::File { path: path.clone(), line: t.file_line },
            key: Some("Route".into()),
            problem: format!(
                "MATCH={:?} routes to the emergency proxy, but proxy_emergency is not set: the call goes to the line's proxy",
                t.match_text
            ),
            advice: "set proxy_emergency (and proxy_emergency_port) in SIPDefault.cnf".into(),
        })
        .collect()
}
