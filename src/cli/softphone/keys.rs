//! The keypad and the hook, for `test key`, `test offhook` and `test onhook`: digits are
//! collected until [`dial_digits`] says to dial; line keys pick the line; softkeys do what
//! their label says in the phone's situation ([`softkeys`]). Pure: time is passed in.
//!
//! ```text
//!  on hook ── digits ──▶ pre-dial (collected; Dial or off-hook dials them)
//!     │ offhook / line key
//!     ▼
//!  off hook ── digits ──▶ collected ── dial_digits: `#`, or INTERDIGIT after the last ──▶ dial
//!     │ onhook / EndCall: digits dropped
//! ```

use std::time::{Duration, Instant};

/// How long after the last digit an off-hook phone dials what it has, without a dial plan.
pub const INTERDIGIT: Duration = Duration::from_secs(5);

/// What [`dial_digits`] decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigitDecision {
    /// Wait for more digits, at most this long.
    Wait(Duration),
    /// Dial this number.
    Dial(String),
    /// Nothing to dial (only `#`).
    Nothing,
}

/// The minimal collector (stands in for the dial plan's): `#` dials what came before it,
/// else the digits are dialled [`INTERDIGIT`] after the last one.
pub fn dial_digits(collected: &str, since_last: Duration) -> DigitDecision {
    let number = match collected.split_once('#') {
        Some((before, _)) => before,
        None if since_last >= INTERDIGIT => collected,
        None => return DigitDecision::Wait(INTERDIGIT - since_last),
    };
    if number.is_empty() { DigitDecision::Nothing } else { DigitDecision::Dial(number.to_owned()) }
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
        Situation::Held => [Some(Resume), Some(EndCall), None, None],
    }
}

/// The hook and the digits typed so far.
#[derive(Debug, Clone, Default)]
pub struct Keypad {
    off_hook: bool,
    line: Option<usize>,
    digits: String,
    last_key: Option<Instant>,
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
        self.digits.clear();
        self.last_key = None;
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

    /// The digits typed so far.
    pub fn digits(&self) -> &str {
        &self.digits
    }

    /// Digits pressed at `now`.
    pub fn press(&mut self, digits: &str, now: Instant) {
        self.digits.push_str(digits);
        self.last_key = Some(now);
    }

    /// `<<`: erases the last digit.
    pub fn back(&mut self) {
        self.digits.pop();
    }

    /// Off hook with digits: what [`dial_digits`] says at `now`. On hook (pre-dial) the
    /// digits wait for Dial or the handset.
    pub fn decide(&self, now: Instant) -> Option<DigitDecision> {
        let last = self.last_key?;
        (self.off_hook && !self.digits.is_empty())
            .then(|| dial_digits(&self.digits, now.saturating_duration_since(last)))
    }

    /// When to ask [`decide`](Self::decide) again.
    pub fn deadline(&self) -> Option<Instant> {
        match (self.off_hook && !self.digits.is_empty(), self.last_key) {
            (true, Some(last)) => Some(last + INTERDIGIT),
            _ => None,
        }
    }

    /// The digits are being dialled: the keypad is clear again (the hook stays as it is).
    pub fn take_digits(&mut self) -> String {
        self.last_key = None;
        std::mem::take(&mut self.digits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_dials_at_once_and_silence_after_the_interdigit_time() {
        assert_eq!(dial_digits("23456#", Duration::ZERO), DigitDecision::Dial("23456".into()));
        assert_eq!(dial_digits("#", Duration::ZERO), DigitDecision::Nothing);
        assert_eq!(dial_digits("234", Duration::from_secs(2)), DigitDecision::Wait(Duration::from_secs(3)));
        assert_eq!(dial_digits("234", INTERDIGIT), DigitDecision::Dial("234".into()));
        assert_eq!(dial_digits("*97", Duration::from_secs(9)), DigitDecision::Dial("*97".into()));
    }

    #[test]
    fn the_keypad_collects_off_hook_and_waits_on_hook() {
        let t0 = Instant::now();
        let mut pad = Keypad::default();
        pad.press("23", t0);
        assert_eq!(pad.decide(t0 + INTERDIGIT), None, "pre-dial waits for Dial or the handset");
        assert_eq!(pad.deadline(), None);
        pad.off_hook(Some(2));
        assert_eq!(pad.line(), 2);
        pad.press("456", t0 + Duration::from_secs(1));
        assert_eq!(pad.deadline(), Some(t0 + Duration::from_secs(1) + INTERDIGIT));
        assert_eq!(
            pad.decide(t0 + Duration::from_secs(2)),
            Some(DigitDecision::Wait(Duration::from_secs(4)))
        );
        assert_eq!(pad.decide(t0 + Duration::from_secs(6)), Some(DigitDecision::Dial("23456".into())));
        assert_eq!(pad.take_digits(), "23456");
        assert_eq!(pad.decide(t0 + Duration::from_secs(60)), None);
        pad.press("9", t0);
        pad.back();
        assert_eq!(pad.digits(), "");
        pad.press("1", t0);
        pad.on_hook();
        assert_eq!((pad.digits(), pad.is_off_hook()), ("", false));
    }

    #[test]
    fn softkeys_follow_the_situation() {
        assert_eq!(softkeys(Situation::Idle, false, false)[1], Some(Soft::NewCall));
        assert_eq!(softkeys(Situation::Idle, true, true)[0], Some(Soft::Dial));
        assert_eq!(softkeys(Situation::Ringing, false, false)[0], Some(Soft::Answer));
        assert_eq!(softkeys(Situation::Connected, false, false)[0], Some(Soft::Hold));
        assert_eq!(softkeys(Situation::Held, false, false)[0], Some(Soft::Resume));
        assert_eq!(softkeys(Situation::Outgoing, false, false)[0], None);
        assert_eq!(Soft::Back.label(), "<<");
    }
}
