//! Choosing the template for what was typed: the best-match rules (see the module docs of
//! [`super`]) as pure functions of the plan, the line and the input.

use super::pattern::Fit;
use super::{Dial, DialPlan, Outcome, Template};
use std::time::Duration;

/// What the plan says about the input so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A template fits fully and no partial fit has as many literals: dial after its
    /// `timeout` (at once for zero).
    Matched {
        /// The template (1-based index).
        template: usize,
        /// Its `Timeout`.
        timeout: Duration,
    },
    /// More digits could still make a better template fit: wait the default timeout.
    Incomplete {
        /// The secondary dial tone to play when the input stops right before a `,`.
        tone: Option<&'static str>,
    },
    /// Nothing fits, fully or partly: wait the default timeout, then dial as typed.
    NoMatch,
}

/// A template that fits the whole input.
struct FullFit<'p> {
    template: &'p Template,
    literals: usize,
    groups: Vec<(usize, usize)>,
}

/// The best full fit: most literals, then best kind, then first in the file.
fn best_full<'p>(plan: &'p DialPlan, line: usize, input: &[char]) -> Option<FullFit<'p>> {
    let mut best: Option<FullFit<'p>> = None;
    for t in plan.templates.iter().filter(|t| t.applies_to(line)) {
        if let Fit::Full { literals, groups } = t.pattern.fit(input) {
            let better = best
                .as_ref()
                .is_none_or(|b| (literals, t.pattern.kind()) > (b.literals, b.template.pattern.kind()));
            if better {
                best = Some(FullFit { template: t, literals, groups });
            }
        }
    }
    best
}

/// What the plan says about `input` typed on `line` (1-based).
pub fn evaluate(plan: &DialPlan, line: usize, input: &[char]) -> Verdict {
    let full = best_full(plan, line, input);
    let mut partial: Option<usize> = None;
    let mut tone: Option<(usize, &'static str)> = None;
    for t in plan.templates.iter().filter(|t| t.applies_to(line)) {
        if let Fit::Partial { literals, tone_at } = t.pattern.fit(input) {
            partial = Some(partial.map_or(literals, |p| p.max(literals)));
            if let Some(n) = tone_at
                && tone.is_none_or(|(lits, _)| literals > lits)
            {
                tone = Some((literals, t.tone(n)));
            }
        }
    }
    match (full, partial) {
        (Some(f), p) if p.is_none_or(|p| f.literals > p) => {
            Verdict::Matched { template: f.template.index, timeout: f.template.timeout }
        }
        (_, Some(_)) => Verdict::Incomplete { tone: tone.map(|(_, name)| name) },
        (_, None) => Verdict::NoMatch,
    }
}

/// Whether a `#` typed after `input` is a digit of some template (a literal `#` in its
/// MATCH) rather than "dial now".
pub fn takes_hash(plan: &DialPlan, line: usize, input: &[char]) -> bool {
    let mut with_hash = input.to_vec();
    with_hash.push('#');
    plan.templates
        .iter()
        .filter(|t| t.applies_to(line))
        .any(|t| !matches!(t.pattern.fit(&with_hash), Fit::None))
}

/// The number to dial for a complete `input` (the timeout ran out, or `#`): the best full
/// fit rewritten, else the input as typed.
pub fn finish(plan: &DialPlan, line: usize, input: &[char]) -> Outcome {
    let typed: String = input.iter().collect();
    match best_full(plan, line, input) {
        Some(FullFit { template: t, groups, .. }) => Outcome {
            typed,
            dial: Dial { number: t.rewrite.apply(input, &groups), user: t.user, route: t.route.clone() },
            template: Some(t.index),
        },
        None => Outcome { dial: Dial::plain(typed.clone()), typed, template: None },
    }
}
