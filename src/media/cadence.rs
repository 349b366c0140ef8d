//! Cadenced tones: a [`Tone`] switched on and off after given numbers of samples (ringback:
//! 2 s on, 4 s off = 16 000 / 32 000 samples at 8 kHz). Driven by sample count, never a clock.
//! The phone's own tones are in [`super::progress_tone`].

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::tone::Tone;

/// An on/off pattern measured in samples.
///
/// A pattern is a list of `(on, off)` sample counts played in order, then either repeated
/// or stopped. The empty pattern means "always on".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cadence {
    steps: Vec<(u32, u32)>,
    repeat: bool,
}

impl Cadence {
    /// A tone that is always on (e.g. dial tone).
    pub fn continuous() -> Cadence {
        Cadence { steps: Vec::new(), repeat: true }
    }

    /// A pattern of `(on, off)` durations in samples.
    ///
    /// A pattern whose durations are all zero plays nothing, even if `repeat` is set.
    pub fn from_samples(pattern: &[(u32, u32)], repeat: bool) -> Cadence {
        let steps: Vec<(u32, u32)> = pattern.iter().copied().filter(|&s| s != (0, 0)).collect();
        if steps.is_empty() {
            // Nothing to play: an explicit one-shot, zero-length step (not "continuous").
            return Cadence { steps: vec![(0, 0)], repeat: false };
        }
        Cadence { steps, repeat }
    }

    /// A pattern of `(on, off)` durations in milliseconds, converted at `sample_rate`
    /// (rounded to the nearest sample, saturating at `u32::MAX` samples).
    pub fn from_ms(sample_rate: u32, pattern_ms: &[(u32, u32)], repeat: bool) -> Cadence {
        let to_samples = |ms: u32| {
            let n = (u64::from(ms) * u64::from(sample_rate) + 500) / 1000;
            u32::try_from(n).unwrap_or(u32::MAX)
        };
        let steps: Vec<(u32, u32)> =
            pattern_ms.iter().map(|&(on, off)| (to_samples(on), to_samples(off))).collect();
        Cadence::from_samples(&steps, repeat)
    }

    /// Whether this cadence is always on.
    pub fn is_continuous(&self) -> bool {
        self.steps.is_empty()
    }

    /// Whether the pattern repeats.
    pub fn repeats(&self) -> bool {
        self.repeat
    }

    /// The `(on, off)` steps in samples (empty for a continuous cadence).
    pub fn steps(&self) -> &[(u32, u32)] {
        &self.steps
    }

    /// Length of one pass through the pattern in samples (0 for a continuous cadence).
    pub fn period_samples(&self) -> u64 {
        self.steps.iter().map(|&(on, off)| u64::from(on) + u64::from(off)).sum()
    }
}

/// A [`Tone`] switched on and off by a [`Cadence`], advanced only by the samples it produces.
///
/// Each "on" burst restarts the tone at phase 0, so bursts start at a zero crossing and
/// every burst is identical. As an [`Iterator`] it yields samples until a non-repeating
/// cadence ends (a continuous or repeating one never ends).
#[derive(Clone, Debug, PartialEq)]
pub struct CadencedTone {
    tone: Tone,
    cadence: Cadence,
    /// Index of the current `(on, off)` step.
    step: usize,
    /// Whether we are in the "on" half of the current step.
    on: bool,
    /// Samples left in the current half-step.
    remaining: u32,
    finished: bool,
}

impl CadencedTone {
    /// Starts `tone` at the beginning of `cadence`.
    pub fn new(tone: Tone, cadence: Cadence) -> CadencedTone {
        let mut t = CadencedTone { tone, cadence, step: 0, on: true, remaining: 0, finished: false };
        t.reset();
        t
    }

    /// Goes back to the start of the cadence (and phase 0).
    pub fn reset(&mut self) {
        self.step = 0;
        self.on = true;
        self.finished = false;
        self.tone.reset_phase();
        self.remaining = self.cadence.steps.first().map_or(0, |s| s.0);
        self.skip_empty();
    }

    /// The cadence being played.
    pub fn cadence(&self) -> &Cadence {
        &self.cadence
    }

    /// Whether the next sample belongs to an "on" period.
    pub fn is_on(&self) -> bool {
        !self.finished && self.on
    }

    /// Whether a non-repeating cadence has played to its end.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Samples until the next on/off change; `None` if continuous or finished.
    pub fn samples_until_change(&self) -> Option<u32> {
        if self.finished || self.cadence.is_continuous() { None } else { Some(self.remaining) }
    }

    /// Moves past zero-length half-steps (and to the next step or the end) until there is
    /// something to play. Bounded: at most two passes over the pattern.
    fn skip_empty(&mut self) {
        if self.cadence.is_continuous() {
            return;
        }
        let limit = 2 * self.cadence.steps.len() + 2;
        for _ in 0..limit {
            if self.remaining > 0 || self.finished {
                return;
            }
            self.advance_half_step();
        }
        // Only all-zero patterns get here, and those are built non-repeating.
        self.finished = true;
    }

    fn advance_half_step(&mut self) {
        if self.on {
            self.on = false;
            self.remaining = self.cadence.steps.get(self.step).map_or(0, |s| s.1);
            return;
        }
        self.step += 1;
        if self.step >= self.cadence.steps.len() {
            if !self.cadence.repeat {
                self.finished = true;
                return;
            }
            self.step = 0;
        }
        self.on = true;
        self.tone.reset_phase();
        self.remaining = self.cadence.steps.get(self.step).map_or(0, |s| s.0);
    }

    /// Fills `out` with the next samples: the tone while on, zeros while off.
    ///
    /// Returns how many samples belonged to the cadence; if a non-repeating cadence ends
    /// inside `out`, the rest is zero-filled and the return value is smaller than
    /// `out.len()`.
    pub fn fill(&mut self, out: &mut [i16]) -> usize {
        if self.cadence.is_continuous() {
            self.tone.fill(out);
            return out.len();
        }
        let mut done = 0;
        let mut rest = out;
        while !rest.is_empty() {
            if self.finished {
                rest.fill(0);
                break;
            }
            let n = rest.len().min(self.remaining as usize);
            let (chunk, tail) = rest.split_at_mut(n);
            if self.on {
                self.tone.fill(chunk);
            } else {
                chunk.fill(0);
            }
            // n ≤ remaining, which is a u32.
            self.remaining -= n as u32;
            done += n;
            rest = tail;
            self.skip_empty();
        }
        done
    }
}

impl Iterator for CadencedTone {
    type Item = i16;

    fn next(&mut self) -> Option<i16> {
        let mut s = [0i16; 1];
        (self.fill(&mut s) == 1).then_some(s[0])
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
    use super::*;
    use crate::media::tone::Level;

    #[test]
    fn cadence_ringback_timing() {
        let mut rb = crate::media::progress_tone::ProgressTone::Ringback.generator().unwrap();
        assert_eq!(rb.cadence().steps(), &[(16000, 32000)]);
        assert_eq!(rb.cadence().period_samples(), 48000);
        // Two full periods in 20 ms frames: on exactly for samples [0,16000) mod 48000.
        let mut frame = [0i16; 160];
        let mut nonzero_runs = Vec::new();
        let mut pos = 0usize;
        for _ in 0..(2 * 48000 / 160) {
            assert_eq!(rb.fill(&mut frame), 160);
            for &s in &frame {
                let on = pos % 48000 < 16000;
                if !on {
                    assert_eq!(s, 0, "sample {pos} should be silent");
                } else if s != 0 {
                    nonzero_runs.push(pos);
                }
                pos += 1;
            }
        }
        assert!(nonzero_runs.len() > 30000);
        assert!(!rb.is_finished());
    }

    #[test]
    fn cadence_bursts_restart_at_phase_zero() {
        let tone = Tone::single(8000, 440.0, Level::Dbm0(-10.0)).unwrap();
        let mut t = CadencedTone::new(tone, Cadence::from_samples(&[(100, 50)], true));
        let v: Vec<i16> = t.by_ref().take(450).collect();
        assert_eq!(v[..100], v[150..250]);
        assert_eq!(v[..100], v[300..400]);
        assert!(v[100..150].iter().all(|&s| s == 0));
        assert_eq!(v[0], 0);
    }

    #[test]
    fn multi_step_cadence_and_state_queries() {
        // UK-style double ring: 0.4 on, 0.2 off, 0.4 on, 2.0 off.
        let c = Cadence::from_ms(8000, &[(400, 200), (400, 2000)], true);
        assert_eq!(c.steps(), &[(3200, 1600), (3200, 16000)]);
        let tone = Tone::dual(8000, 400.0, 450.0, Level::Dbm0(-19.0)).unwrap();
        let mut t = CadencedTone::new(tone, c);
        assert!(t.is_on());
        assert_eq!(t.samples_until_change(), Some(3200));
        let mut buf = vec![0i16; 3200];
        t.fill(&mut buf);
        assert!(!t.is_on());
        assert_eq!(t.samples_until_change(), Some(1600));
        let mut buf = vec![0i16; 1600 + 3200 + 16000];
        t.fill(&mut buf);
        assert!(t.is_on());
        assert_eq!(t.samples_until_change(), Some(3200));
    }

    #[test]
    fn one_shot_cadence_finishes() {
        let tone = Tone::single(8000, 1000.0, Level::Dbm0(-10.0)).unwrap();
        let mut t = CadencedTone::new(tone, Cadence::from_samples(&[(100, 20), (0, 5)], false));
        let mut buf = [7i16; 200];
        assert_eq!(t.fill(&mut buf), 125);
        assert!(t.is_finished());
        assert!(buf[100..].iter().all(|&s| s == 0));
        assert_eq!(t.next(), None);
        assert_eq!(t.samples_until_change(), None);
        t.reset();
        assert_eq!(t.by_ref().count(), 125);
    }

    #[test]
    fn degenerate_cadences_do_not_hang() {
        let tone = Tone::single(8000, 1000.0, Level::Dbm0(-10.0)).unwrap();
        let mut t = CadencedTone::new(tone.clone(), Cadence::from_samples(&[(0, 0)], true));
        assert!(t.is_finished());
        assert_eq!(t.next(), None);
        // Off-only pattern, repeating: silence forever.
        let mut t = CadencedTone::new(tone.clone(), Cadence::from_samples(&[(0, 10)], true));
        let mut buf = [1i16; 100];
        assert_eq!(t.fill(&mut buf), 100);
        assert!(buf.iter().all(|&s| s == 0));
        // Continuous.
        let mut t = CadencedTone::new(tone, Cadence::continuous());
        assert_eq!(t.fill(&mut buf), 100);
        assert_eq!(t.samples_until_change(), None);
        assert!(t.is_on());
    }
}
