//! The keypad and the hook, for `test key`, `test offhook` and `test onhook`: keys are
//! collected against the dial plan ([`DigitCollector`]) until it says to dial; line keys
//! pick the line; softkeys do what their label says in the phone's situation
//! ([`softkeys`]). Pure: time is passed in.
//!
//! ```text
//!  on hook ── digits ──▶ pre-dial (collected; Dial or off-hook dials them)
//!     │ offhook / line key
//!     ▼
//!  off hook ── digits ──▶ collected ── the dial plan: a template's Timeout, `#` ──▶ dial
//!     │ onhook / EndCall: digits dropped
//! ```

use crate::config::DialPlan;
use crate::config::dialplan::{Collect, DigitCollector, Outcome};
use std::sync::Arc;
use std::time::Instant;

/// What the dial plan decides about the keys typed so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigitDecision {
    /// Wait for more keys (until the deadline, if there is one).
    Wait(Option<Instant>),
    /// Dial this.
    Dial(Outcome),
}

/// Runs `keys` (each with the time it was pressed) through a fresh collector on `line` and
/// asks it at `now`: the keypad keeps its keys, so `<<` can take one back.
pub fn collect(plan: &Arc<DialPlan>, line: usize, keys: &[(char, Instant)], now: Instant) -> DigitDecision {
    let start = keys.first().map_or(now, |(_, t)| *t);
    let mut collector = DigitCollector::new(plan.clone(), line, start);
    for (key, at) in keys {
        if let Collect::Dial(outcome) = collector.press(*at, *key) {
            return DigitDecision::Dial(outcome);
        }
    }
    match collector.poll(now) {
        Collect::Dial(outcome) => DigitDecision::Dial(outcome),
        Collect::Waiting { deadline, .. } => DigitDecision::Wait(deadline),
        Collect::Spent => DigitDecision::Wait(None),
    }
}

/// What the phone is doing, as far as the softkeys care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Situation {
    /// No call; on hook or off hook (dialing) as the keypad says.
    Idle,
    /// An incoming call rings.
    Ringing,
    /// Our call is being set up.
    Outgoing,
    /// A call is connected.
    Connected,
    /// The current call is on hold (by us).
    Held,
    /// A call is held for transfer and the consultation call rings or is answered.
    Consulting,
}

/// A softkey's function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Soft {
    /// Call the last number again.
    Redial,
    /// Go off hook to dial.
    NewCall,
    /// Dial the collected digits.
    Dial,
    /// Erase the last digit (`<<`).
    Back,
    /// Hang up, or stop dialing.
    EndCall,
    /// Answer the ringing call.
    Answer,
    /// Put the call on hold.
    Hold,
    /// Take it off hold.
    Resume,
    /// Transfer the call.
    Transfer,
}

impl Soft {
    /// The label under the display.
    pub fn label(self) -> &'static str {
        match self {
            Soft::Redial => "Redial",
            Soft::NewCall => "NewCall",
            Soft::Dial => "Dial",
            Soft::Back => "<<",
            Soft::EndCall => "EndCall",
            Soft::Answer => "Answer",
            Soft::Hold => "Hold",
            Soft::Resume => "Resume",
            Soft::Transfer => "Transfer",
        }
    }
}

/// The softkeys 1..4, left to right, in `situation`; `off_hook` and `digits` describe the
/// keypad when idle.
pub fn softkeys(situation: Situation, off_hook: bool, digits: bool) -> [Option<Soft>; 4] {
    use Soft::*;
    match situation {
        Situation::Idle if digits => [Some(Dial), Some(EndCall), Some(Back), None],
        Situation::Idle if off_hook => [Some(Redial), Some(EndCall), None, None],
        Situation::Idle => [Some(Redial), Some(NewCall), None, None],
        Situation::Ringing => [Some(Answer), Some(EndCall), None, None],
        Situation::Outgoing => [None, Some(EndCall), None, None],
        Situation::Connected => [Some(Hold), Some(EndCall), Some(Transfer), None],
        Situation::Held if digits => [Some(Dial), Some(Back), Some(Resume), None],
        Situation::Held => [Some(Resume), Some(EndCall), None, None],
        Situation::Consulting => [None, Some(EndCall), Some(Transfer), None],
    }
}

/// The hook and the digits typed so far.
#[derive(Debug, Clone, Default)]
pub struct Keypad {
    off_hook: bool,
    line: Option<usize>,
    keys: Vec<(char, Instant)>,
    /// The last number dialled (for Redial).
    pub last_dialed: Option<String>,
}

impl Keypad {
    /// Off hook (handset lifted, or a line key while idle).
    pub fn off_hook(&mut self, line: Option<usize>) {
        self.off_hook = true;
        if line.is_some() {
            self.line = line;
        }
    }

    /// On hook: what was typed is dropped.
    pub fn on_hook(&mut self) {
        self.off_hook = false;
        self.keys.clear();
    }

    /// Whether the handset is lifted.
    pub fn is_off_hook(&self) -> bool {
        self.off_hook
    }

    /// The line picked by a line key (1 when none was pressed).
    pub fn line(&self) -> usize {
        self.line.unwrap_or(1)
    }

    /// Picks the line for the next call.
    pub fn select_line(&mut self, line: usize) {
        self.line = Some(line);
    }

    /// The keys typed so far.
    pub fn digits(&self) -> String {
        self.keys.iter().map(|(k, _)| *k).collect()
    }

    /// Keys pressed at `now`.
    pub fn press(&mut self, digits: &str, now: Instant) {
        self.keys.extend(digits.chars().map(|k| (k, now)));
    }

    /// `<<`: erases the last key.
    pub fn back(&mut self) {
        self.keys.pop();
    }

    /// Off hook with keys: what the dial plan says at `now`. On hook (pre-dial) the keys
    /// wait for Dial or the handset.
    pub fn decide(&self, plan: &Arc<DialPlan>, now: Instant) -> Option<DigitDecision> {
        (self.off_hook && !self.keys.is_empty()).then(|| collect(plan, self.line(), &self.keys, now))
    }

    /// When to ask [`decide`](Self::decide) again, as of `now`.
    pub fn deadline(&self, plan: &Arc<DialPlan>, now: Instant) -> Option<Instant> {
        match self.decide(plan, now)? {
            DigitDecision::Wait(deadline) => deadline,
            DigitDecision::Dial(_) => Some(now),
        }
    }

    /// The keys are being dialled: the keypad is clear again (the hook stays as it is).
    pub fn take_digits(&mut self) -> String {
        let digits = self.digits();
        self.keys.clear();
        digits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn plan(xml: &str) -> Arc<DialPlan> {
        Arc::new(DialPlan::parse("dialplan.xml", xml.as_bytes()).unwrap())
    }

    fn number(decision: Option<DigitDecision>) -> Option<String> {
        match decision {
            Some(DigitDecision::Dial(o)) => Some(o.dial.number),
            _ => None,
        }
    }

    #[test]
    fn the_keypad_collects_off_hook_against_the_dial_plan() {
        let plan = plan(
            r#"<DIALTEMPLATE><TEMPLATE MATCH="31." Timeout="0" Rewrite="11111111%s"/><TEMPLATE MATCH="*" Timeout="5"/></DIALTEMPLATE>"#,
        );
        let t0 = Instant::now();
        let mut pad = Keypad::default();
        pad.press("23", t0);
        assert_eq!(
            pad.decide(&plan, t0 + Duration::from_secs(60)),
            None,
            "pre-dial waits for Dial or the handset"
        );
        pad.off_hook(Some(2));
        assert_eq!(pad.line(), 2);
        pad.press("456", t0 + Duration::from_secs(1));
        // `*` fits with Timeout 5: dialled 5 s after the last key.
        assert_eq!(
            pad.decide(&plan, t0 + Duration::from_secs(2)),
            Some(DigitDecision::Wait(Some(t0 + Duration::from_secs(6))))
        );
        assert_eq!(number(pad.decide(&plan, t0 + Duration::from_secs(6))), Some("23456".into()));
        assert_eq!(pad.take_digits(), "23456");
        assert_eq!(pad.decide(&plan, t0 + Duration::from_secs(60)), None);
        // A template with Timeout 0 dials on the key that completes it, rewritten.
        pad.press("31", t0);
        assert_eq!(number(pad.decide(&plan, t0)), None);
        pad.press("2", t0);
        assert_eq!(number(pad.decide(&plan, t0)), Some("11111111312".into()));
        pad.take_digits();
        // `#` dials now; `<<` takes a key back.
        pad.press("99", t0);
        pad.back();
        pad.press("8#", t0);
        assert_eq!(number(pad.decide(&plan, t0)), Some("98".into()));
        pad.take_digits();
        pad.press("1", t0);
        pad.on_hook();
        assert_eq!((pad.digits(), pad.is_off_hook()), (String::new(), false));
    }

    #[test]
    fn without_a_dial_plan_the_firmwares_ten_seconds_apply() {
        let plan = Arc::new(DialPlan::default());
        let t0 = Instant::now();
        let mut pad = Keypad::default();
        pad.off_hook(None);
        pad.press("555", t0);
        assert_eq!(number(pad.decide(&plan, t0 + Duration::from_secs(9))), None);
        assert_eq!(number(pad.decide(&plan, t0 + Duration::from_secs(10))), Some("555".into()));
    }

    #[test]
    fn softkeys_follow_the_situation() {
        assert_eq!(softkeys(Situation::Idle, false, false)[1], Some(Soft::NewCall));
        assert_eq!(softkeys(Situation::Idle, true, true)[0], Some(Soft::Dial));
        assert_eq!(softkeys(Situation::Ringing, false, false)[0], Some(Soft::Answer));
        assert_eq!(softkeys(Situation::Connected, false, false)[0], Some(Soft::Hold));
        assert_eq!(softkeys(Situation::Held, false, false)[0], Some(Soft::Resume));
        assert_eq!(
            softkeys(Situation::Held, true, true)[0],
            Some(Soft::Dial),
            "the transfer target's digits"
        );
        assert_eq!(softkeys(Situation::Consulting, true, false)[2], Some(Soft::Transfer));
        assert_eq!(softkeys(Situation::Outgoing, false, false)[0], None);
        assert_eq!(Soft::Back.label(), "<<");
    }
}
