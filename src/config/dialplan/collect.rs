//! Collecting digits as the 7940 does: keys come one at a time with the time they were
//! pressed; after each, the plan says dial now, or dial at a deadline unless another key
//! comes first.
//!
//! ```text
//!            press(now, key)                       poll(now) ≥ deadline
//!  Waiting ───────────────────▶ evaluate ──┬──▶ Waiting { deadline, tone } ───▶ Dial
//!   (no deadline                           ├──▶ Dial  (full fit with Timeout="0", or a #
//!    before the first key)                 │          no template takes as a digit)
//!                                          └──▶ deadline = key + Timeout of the full fit,
//!                                               or key + 10 s while a partial fit has as
//!                                               many literals, or nothing fits
//!  Dial(Outcome) ──▶ Spent (a collector dials once)
//! ```
//!
//! Sans-IO: the caller passes the time in and wakes the collector at [`deadline`]
//! (`DigitCollector::deadline`).

use super::select::{self, Verdict};
use super::{DEFAULT_TIMEOUT, DialPlan, Outcome};
use std::sync::Arc;
use std::time::Instant;

/// The most characters a number may have (the firmware's dial string holds 255); further
/// keys are ignored.
pub const MAX_DIGITS: usize = 255;

/// What the collector says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Collect {
    /// Keep collecting.
    Waiting {
        /// When the number will be dialled unless another key comes (`None`: no key yet,
        /// wait for one).
        deadline: Option<Instant>,
        /// A secondary dial tone to play now: the digits stop right before a `,`.
        tone: Option<&'static str>,
    },
    /// Dial this now.
    Dial(Outcome),
    /// The collector has dialled already; start a new one for another number.
    Spent,
}

/// Digits typed on one line, collected against a dial plan.
#[derive(Debug, Clone)]
pub struct DigitCollector {
    plan: Arc<DialPlan>,
    line: usize,
    typed: Vec<char>,
    deadline: Option<Instant>,
    tone: Option<&'static str>,
    spent: bool,
}

impl DigitCollector {
    /// Starts collecting on `line` (1-based) at `now` (off hook). A template with an empty
    /// MATCH (a hotline) fits at once: call [`poll`](Self::poll) to see whether it dials
    /// now (`Timeout="0"`) or at a deadline.
    pub fn new(plan: Arc<DialPlan>, line: usize, now: Instant) -> Self {
        let mut collector = Self { plan, line, typed: Vec::new(), deadline: None, tone: None, spent: false };
        collector.evaluate(now);
        collector
    }

    /// What was typed so far.
    pub fn typed(&self) -> String {
        self.typed.iter().collect()
    }

    /// When the number will be dialled unless another key comes; `None` before the first
    /// key (and once spent).
    pub fn deadline(&self) -> Option<Instant> {
        if self.spent { None } else { self.deadline }
    }

    /// A key pressed at `now`: `0`-`9`, `*`, `#`, `+` or `A`-`D` (any case). Other
    /// characters, and keys beyond [`MAX_DIGITS`], change nothing.
    pub fn press(&mut self, now: Instant, key: char) -> Collect {
        if self.spent {
            return Collect::Spent;
        }
        let key = key.to_ascii_uppercase();
        let known = key.is_ascii_digit() || matches!(key, '*' | '#' | '+' | 'A'..='D');
        if !known || self.typed.len() >= MAX_DIGITS {
            return self.poll(now);
        }
        if key == '#' && !select::takes_hash(&self.plan, self.line, &self.typed) {
            // Dial now, unless nothing was typed and no hotline fits nothing.
            let hotline = matches!(select::evaluate(&self.plan, self.line, &[]), Verdict::Matched { .. });
            if self.typed.is_empty() && !hotline {
                return self.poll(now);
            }
            return self.dial();
        }
        self.typed.push(key);
        self.evaluate(now);
        self.poll(now)
    }

    /// The state at `now`: dials once the deadline has passed.
    pub fn poll(&mut self, now: Instant) -> Collect {
        if self.spent {
            return Collect::Spent;
        }
        match self.deadline {
            Some(at) if now >= at => self.dial(),
            deadline => Collect::Waiting { deadline, tone: self.tone },
        }
    }

    /// Sets the deadline and tone for what was typed, as of `now` (a full fit with
    /// `Timeout="0"` makes the deadline `now`).
    fn evaluate(&mut self, now: Instant) {
        self.tone = None;
        let typed = !self.typed.is_empty();
        self.deadline = match select::evaluate(&self.plan, self.line, &self.typed) {
            Verdict::Matched { timeout, .. } => Some(now + timeout),
            Verdict::Incomplete { tone } => {
                self.tone = tone;
                typed.then(|| now + DEFAULT_TIMEOUT)
            }
            Verdict::NoMatch => typed.then(|| now + DEFAULT_TIMEOUT),
        };
    }

    fn dial(&mut self) -> Collect {
        self.spent = true;
        Collect::Dial(select::finish(&self.plan, self.line, &self.typed))
    }
}
