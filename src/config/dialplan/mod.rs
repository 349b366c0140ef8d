//! The 7940's dial plan: `dialplan.xml` (the `dial_template` key names the file, without
//! `.xml`), which says when typed digits are complete, what to dial instead, and where.
//!
//! ```text
//!  bytes ──parse──▶ DialPlan (templates in file order)          errors: file, line,
//!                                                               attribute, value, allowed
//!  keys ──DigitCollector::press(now, key)──▶ select::evaluate ──▶ Waiting { deadline, tone }
//!                                                              └─▶ Dial(Outcome)
//!  "31" ──DialPlan::apply(line, number)──▶ Outcome { typed, dial: Dial { number, user, route },
//!                                                    template }
//! ```
//!
//! ```xml
//! <DIALTEMPLATE>
//!   <TEMPLATE MATCH="911" Timeout="0" User="Phone" Route="Emergency"/>
//!   <TEMPLATE MATCH="31." Timeout="0" User="Phone" Rewrite="11111111%s"/>
//!   <TEMPLATE MATCH="*" Timeout="5"/>
//! </DIALTEMPLATE>
//! ```
//!
//! Choosing a template for what was typed so far ([`select`]): a template *fits fully* when
//! its MATCH matches all of it, *partly* when more digits could still make it match. The
//! best full fit has the most literal characters, then the best kind (exact beats `.`
//! beats `*`), then comes first in the file. It is taken only when it has more literal
//! characters than every partial fit ("a complete rule is matched only if it has more
//! non-wildcard matches than an incomplete rule"); then the phone dials after its
//! `Timeout` (at once for 0). Otherwise it waits [`DEFAULT_TIMEOUT`] after the last key
//! and then dials the best full fit, or what was typed when nothing fits. A `#` that no
//! template takes as a literal dials at once.
//!
//! Pure: no file system and no clock; the io edge reads the file, time is passed in.

pub mod collect;
mod error;
mod parse;
pub mod pattern;
pub mod rewrite;
pub mod select;
#[cfg(test)]
mod tests;
pub mod xml;

pub use collect::{Collect, DigitCollector};
pub use error::{DialPlanError, Problem};
pub use pattern::Pattern;
pub use rewrite::Rewrite;

use crate::config::Host;
use std::fmt;
use std::time::Duration;

/// How long the phone waits after a key when no template has decided (the firmware's
/// interdigit timeout), and a template's `Timeout` when it has none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The file name the firmware asks for when `dial_template` is not set.
pub const DEFAULT_NAME: &str = "dialplan";

/// The secondary dial tones a `Tone` attribute may name (any case), as the firmware knows
/// them.
pub const TONES: [&str; 20] = [
    "Bellcore-Inside",
    "Bellcore-Outside",
    "Bellcore-Busy",
    "Bellcore-Alerting",
    "Bellcore-BusyVerify",
    "Bellcore-Stutter",
    "Bellcore-MsgWaiting",
    "Bellcore-Reorder",
    "Bellcore-CallWaiting",
    "Bellcore-Cw2",
    "Bellcore-Cw3",
    "Bellcore-Cw4",
    "Bellcore-Hold",
    "Bellcore-Confirmation",
    "Bellcore-Permanent",
    "Bellcore-Reminder",
    "Bellcore-None",
    "Cisco-ZipZip",
    "Cisco-Zip",
    "Cisco-BeepBonk",
];

/// The tone played at a `,` that has no `Tone` of its own: the outside dial tone.
pub const DEFAULT_TONE: &str = "Bellcore-Outside";

/// The `User` attribute: a `;user=` parameter on the Request-URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserMode {
    /// `User="Phone"`: `;user=phone` (the number is a telephone number).
    Phone,
    /// `User="IP"`: `;user=ip`.
    Ip,
}

impl UserMode {
    /// The parameter's value: `phone` or `ip`.
    pub fn param(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Ip => "ip",
        }
    }
}

/// The `Route` attribute: where the INVITE goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Route {
    /// The line's proxy (through `outbound_proxy` when set), as for any call.
    #[default]
    Default,
    /// `Route="Emergency"`: straight to `proxy_emergency`:`proxy_emergency_port` (never
    /// through the outbound proxy); the Request-URI names that proxy. The line's proxy
    /// when `proxy_emergency` is not set.
    Emergency,
    /// `Route="FQDN"`: the rewritten number is `user@host[:port]`; the INVITE goes to that
    /// host.
    Fqdn,
    /// `Route="host[:port]"`: the INVITE goes straight to this host, and the Request-URI
    /// names it.
    Host {
        /// The host.
        host: Host,
        /// The port, when given (else 5060).
        port: Option<u16>,
    },
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("the line's proxy"),
            Self::Emergency => f.write_str("proxy_emergency"),
            Self::Fqdn => f.write_str("the host in the number"),
            Self::Host { host, port: Some(port) } => write!(f, "{host}:{port}"),
            Self::Host { host, port: None } => write!(f, "{host}"),
        }
    }
}

/// One `<TEMPLATE …/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// 1-based position in the file.
    pub index: usize,
    /// The line of the file it starts on.
    pub file_line: u32,
    /// `MATCH`, as written.
    pub match_text: String,
    /// `MATCH`, parsed.
    pub pattern: Pattern,
    /// `Line`: the phone line it applies to (1-based), or 0 for every line.
    pub line: usize,
    /// `Timeout` (default 10 s): how long after the last key to dial; 0 dials at once.
    pub timeout: Duration,
    /// `User`.
    pub user: Option<UserMode>,
    /// `Rewrite`, as written ("" dials the input as typed).
    pub rewrite_text: String,
    /// `Rewrite`, parsed.
    pub rewrite: Rewrite,
    /// `Route`.
    pub route: Route,
    /// `Tone`s, one per `,` in order (the [`TONES`] spelling).
    pub tones: Vec<&'static str>,
}

impl Template {
    /// Whether the template applies to `line` (1-based).
    pub fn applies_to(&self, line: usize) -> bool {
        self.line == 0 || self.line == line
    }

    /// The tone for the `n`th `,` (0-based).
    pub fn tone(&self, n: usize) -> &'static str {
        self.tones.get(n).copied().unwrap_or(DEFAULT_TONE)
    }
}

/// A dial plan: templates in file order. The default (no file, or a file with no
/// templates) matches nothing, so numbers are dialled as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DialPlan {
    /// The file it came from, as shown in messages (`None`: no file).
    pub file: Option<String>,
    /// The templates.
    pub templates: Vec<Template>,
}

/// What to call: the number, the `;user=` parameter and the route. `Phone::call` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dial {
    /// The user part to call (or a full `sip:` URI, dialled as given).
    pub number: String,
    /// `;user=phone` / `;user=ip` on the Request-URI.
    pub user: Option<UserMode>,
    /// Where the INVITE goes.
    pub route: Route,
}

impl Dial {
    /// A number dialled as given, through the line's proxy.
    pub fn plain(number: impl Into<String>) -> Self {
        Self { number: number.into(), user: None, route: Route::Default }
    }
}

/// The dial plan's decision for a complete number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// What was typed (without a final `#`).
    pub typed: String,
    /// What to call.
    pub dial: Dial,
    /// The template used (1-based, as [`Template::index`]); `None` when none matched and
    /// the number goes as typed.
    pub template: Option<usize>,
}

impl fmt::Display for Outcome {
    /// `31 -> 1111111131;user=phone (template 2)`, `999 -> 999;user=phone via proxy_emergency
    /// (template 1)`, `5551234 (no template matched)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(template) = self.template else {
            return write!(f, "{} (no template matched)", self.typed);
        };
        write!(f, "{} -> {}", self.typed, self.dial.number)?;
        if let Some(user) = self.dial.user {
            write!(f, ";user={}", user.param())?;
        }
        if self.dial.route != Route::Default {
            write!(f, " via {}", self.dial.route)?;
        }
        write!(f, " (template {template})")
    }
}

impl DialPlan {
    /// Reads a `dialplan.xml`; `file` names it in errors (e.g. `profiles/x/dialplan.xml`).
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Self, DialPlanError> {
        parse::parse(file, bytes)
    }

    /// The template with this 1-based index.
    pub fn template(&self, index: usize) -> Option<&Template> {
        self.templates.get(index.checked_sub(1)?)
    }

    /// A complete number, as `sip7940 call NUMBER` dials it: as if typed on `line`
    /// (1-based) and then `#` (or the timeout). A `sip:`/`sips:` URI, or a number with
    /// `@`, bypasses the plan. One final `#` is taken as "dial now".
    pub fn apply(&self, line: usize, number: &str) -> Outcome {
        if number.starts_with("sip:") || number.starts_with("sips:") || number.contains('@') {
            return Outcome { typed: number.to_owned(), dial: Dial::plain(number), template: None };
        }
        let typed = number.strip_suffix('#').unwrap_or(number);
        select::finish(self, line, &typed.chars().collect::<Vec<_>>())
    }

    /// Findings about a dial plan that parsed: a `Route="Emergency"` with no
    /// `proxy_emergency` to go to.
    pub fn lint(&self, config: &crate::config::PhoneConfig) -> Vec<crate::config::Finding> {
        error::lint(self, config)
    }
}
