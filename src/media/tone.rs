//! Sine tone generation: single and dual frequency (DTMF, call progress), and cadences.
//!
//! Everything here is driven by sample count. A [`Tone`] keeps a 32-bit phase accumulator
//! per frequency, so consecutive calls to [`Tone::fill`] continue the waveform without a
//! discontinuity, whatever the frame sizes. A [`CadencedTone`](super::cadence::CadencedTone) switches a tone on and off
//! after given numbers of samples (e.g. ringback: 2 s on, 4 s off = 16 000 / 32 000 samples
//! at 8 kHz); it never reads a clock.
//!
//! # Levels
//!
//! [`Level`] takes either **dBFS** or **dBm0**, per sine component:
//!
//! * dBFS here is relative to a full-scale *sine*: a sine with peak amplitude 32767 is
//!   0 dBFS (so its mean power is 32767²/2).
//! * dBm0 follows G.711, where a full-scale sine is +3.14 dBm0 (the A-law maximum load;
//!   μ-law's is +3.17, 0.03 dB more — this module uses 3.14 for both, see
//!   [`DBM0_AT_FULL_SCALE`]). So 0 dBm0 is −3.14 dBFS, a sine of peak ≈ 22 827.
//!
//! A dual tone built from two components at −10 dBm0 each therefore has a total power of
//! about −7 dBm0. Samples that would exceed the i16 range are clipped (saturated).

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::f64::consts::TAU;
use std::fmt;

/// dBm0 level of a full-scale sine (peak 32767): +3.14 dBm0, the G.711 A-law maximum load.
///
/// G.711 gives +3.17 dBm0 for μ-law; the 0.03 dB difference is ignored here.
#[allow(clippy::approx_constant)] // G.711's +3.14 dBm0, not π.
pub const DBM0_AT_FULL_SCALE: f64 = 3.14;

/// Peak amplitude of a 0 dBFS sine.
pub const FULL_SCALE_PEAK: f64 = 32767.0;

/// DTMF low-group ("row") frequencies in Hz, top row (1 2 3 A) first.
pub const DTMF_ROW_HZ: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
/// DTMF high-group ("column") frequencies in Hz, left column (1 4 7 *) first.
pub const DTMF_COL_HZ: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
/// The DTMF keypad: `DTMF_KEYPAD[row][col]` is the digit sent as rows\[row\] + cols\[col\].
pub const DTMF_KEYPAD: [[char; 4]; 4] =
    [['1', '2', '3', 'A'], ['4', '5', '6', 'B'], ['7', '8', '9', 'C'], ['*', '0', '#', 'D']];
/// The 16 DTMF digits in RFC 4733 event-code order (`0`–`9` = 0–9, `*` = 10, `#` = 11,
/// `A`–`D` = 12–15).
pub const DTMF_DIGITS: [char; 16] =
    ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];

/// Row and column index of a DTMF digit on [`DTMF_KEYPAD`] (`a`–`d` accepted as `A`–`D`).
pub fn dtmf_position(digit: char) -> Option<(usize, usize)> {
    let d = digit.to_ascii_uppercase();
    DTMF_KEYPAD.iter().enumerate().find_map(|(r, row)| row.iter().position(|&k| k == d).map(|c| (r, c)))
}

/// The (low, high) frequency pair of a DTMF digit, in Hz.
pub fn dtmf_frequencies(digit: char) -> Option<(f64, f64)> {
    let (r, c) = dtmf_position(digit)?;
    Some((*DTMF_ROW_HZ.get(r)?, *DTMF_COL_HZ.get(c)?))
}

/// The RFC 4733 telephone-event code of a DTMF digit (0–15).
pub fn dtmf_event_code(digit: char) -> Option<u8> {
    let d = digit.to_ascii_uppercase();
    DTMF_DIGITS.iter().position(|&k| k == d).and_then(|i| u8::try_from(i).ok())
}

/// The DTMF digit of an RFC 4733 telephone-event code, if it is 0–15.
pub fn dtmf_digit_from_event(code: u8) -> Option<char> {
    DTMF_DIGITS.get(usize::from(code)).copied()
}

/// Why a tone could not be built.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ToneError {
    /// The sample rate was 0.
    ZeroSampleRate,
    /// A frequency was not finite, not positive, or not below half the sample rate.
    BadFrequency(f64),
    /// A level was not a finite number.
    BadLevel,
    /// The character is not one of the 16 DTMF digits.
    NotDtmf(char),
}

impl fmt::Display for ToneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ToneError::ZeroSampleRate => write!(f, "sample rate must be positive"),
            ToneError::BadFrequency(hz) => {
                write!(f, "frequency {hz} Hz is not in (0, sample_rate / 2)")
            }
            ToneError::BadLevel => write!(f, "tone level must be finite"),
            ToneError::NotDtmf(c) => write!(f, "{c:?} is not a DTMF digit"),
        }
    }
}

impl std::error::Error for ToneError {}

/// Level of one sine component; see the module docs for the two scales.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Level {
    /// dBm0: 0 dBm0 = [`DBM0_AT_FULL_SCALE`] dB below a full-scale sine.
    Dbm0(f64),
    /// dBFS: 0 dBFS = a sine whose peak is 32767.
    Dbfs(f64),
}

impl Level {
    /// The level on the dBFS scale.
    pub fn dbfs(self) -> f64 {
        match self {
            Level::Dbfs(d) => d,
            Level::Dbm0(d) => d - DBM0_AT_FULL_SCALE,
        }
    }

    /// The level on the dBm0 scale.
    pub fn dbm0(self) -> f64 {
        self.dbfs() + DBM0_AT_FULL_SCALE
    }

    /// Peak amplitude, in 16-bit linear units, of a sine at this level.
    pub fn peak(self) -> f64 {
        FULL_SCALE_PEAK * 10f64.powf(self.dbfs() / 20.0)
    }
}

/// Mean power of `samples` in dBFS (0 dBFS = the power of a full-scale sine);
/// `-inf` for silence or an empty slice.
pub fn power_dbfs(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return f64::NEG_INFINITY;
    }
    let energy: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    let mean = energy / samples.len() as f64;
    10.0 * (mean / (FULL_SCALE_PEAK * FULL_SCALE_PEAK / 2.0)).log10()
}

/// Mean power of `samples` in dBm0; `-inf` for silence or an empty slice.
pub fn power_dbm0(samples: &[i16]) -> f64 {
    power_dbfs(samples) + DBM0_AT_FULL_SCALE
}

/// One sine component: phase accumulator, step and amplitude.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Osc {
    phase: u32,
    step: u32,
    amp: f64,
}

impl Osc {
    fn new(sample_rate: u32, freq_hz: f64, level: Level) -> Result<Osc, ToneError> {
        if sample_rate == 0 {
            return Err(ToneError::ZeroSampleRate);
        }
        if !freq_hz.is_finite() || freq_hz <= 0.0 || freq_hz >= f64::from(sample_rate) / 2.0 {
            return Err(ToneError::BadFrequency(freq_hz));
        }
        let amp = level.peak();
        if !amp.is_finite() {
            return Err(ToneError::BadLevel);
        }
        // freq < rate / 2, so the step is below 2^31 and the cast cannot saturate.
        let step = (freq_hz / f64::from(sample_rate) * 4_294_967_296.0).round() as u32;
        Ok(Osc { phase: 0, step, amp })
    }

    #[inline]
    fn next(&mut self) -> f64 {
        let v = self.amp * (f64::from(self.phase) * (TAU / 4_294_967_296.0)).sin();
        self.phase = self.phase.wrapping_add(self.step);
        v
    }
}

/// A phase-continuous single- or dual-frequency sine generator.
///
/// Also an endless [`Iterator`] of samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Tone {
    first: Osc,
    second: Option<Osc>,
}

impl Tone {
    /// A single sine of `freq_hz` at `level`, starting at phase 0 (a zero crossing).
    pub fn single(sample_rate: u32, freq_hz: f64, level: Level) -> Result<Tone, ToneError> {
        Ok(Tone { first: Osc::new(sample_rate, freq_hz, level)?, second: None })
    }

    /// The sum of two sines, each at `level`.
    pub fn dual(sample_rate: u32, f1_hz: f64, f2_hz: f64, level: Level) -> Result<Tone, ToneError> {
        Tone::dual_levels(sample_rate, (f1_hz, level), (f2_hz, level))
    }

    /// The sum of two sines with their own levels, given as `(frequency, level)` pairs.
    pub fn dual_levels(
        sample_rate: u32,
        first: (f64, Level),
        second: (f64, Level),
    ) -> Result<Tone, ToneError> {
        Ok(Tone {
            first: Osc::new(sample_rate, first.0, first.1)?,
            second: Some(Osc::new(sample_rate, second.0, second.1)?),
        })
    }

    /// The DTMF dual tone of `digit` (`0`–`9`, `*`, `#`, `A`–`D`), both components at
    /// `level` (RFC 4733 senders typically use −10 dBm0).
    pub fn dtmf(sample_rate: u32, digit: char, level: Level) -> Result<Tone, ToneError> {
        let (low, high) = dtmf_frequencies(digit).ok_or(ToneError::NotDtmf(digit))?;
        Tone::dual(sample_rate, low, high, level)
    }

    /// Produces the next sample.
    #[inline]
    pub fn next_sample(&mut self) -> i16 {
        let mut v = self.first.next();
        if let Some(second) = &mut self.second {
            v += second.next();
        }
        // `as` saturates to the i16 range (and maps NaN to 0), so this never overflows.
        v.round() as i16
    }

    /// Fills `out` with the next `out.len()` samples.
    pub fn fill(&mut self, out: &mut [i16]) {
        for s in out {
            *s = self.next_sample();
        }
    }

    /// Restarts every component at phase 0.
    pub fn reset_phase(&mut self) {
        self.first.phase = 0;
        if let Some(second) = &mut self.second {
            second.phase = 0;
        }
    }
}

impl Iterator for Tone {
    type Item = i16;

    fn next(&mut self) -> Option<i16> {
        Some(self.next_sample())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[test]
    fn level_scales() {
        assert!((Level::Dbfs(0.0).peak() - 32767.0).abs() < 1e-9);
        assert!((Level::Dbm0(DBM0_AT_FULL_SCALE).peak() - 32767.0).abs() < 1e-9);
        assert!((Level::Dbm0(0.0).peak() - 22826.5).abs() < 0.5);
        assert!((Level::Dbfs(-6.0).dbm0() - (-2.86)).abs() < 1e-9);
    }

    #[test]
    fn tone_has_requested_power() {
        for dbm0 in [-30.0, -20.0, -10.0, 0.0, 3.0] {
            let mut t = Tone::single(8000, 1000.0, Level::Dbm0(dbm0)).unwrap();
            let mut buf = [0i16; 8000];
            t.fill(&mut buf);
            assert!((power_dbm0(&buf) - dbm0).abs() < 0.05, "{dbm0}");
        }
        // Two components at −10 dBm0 → total ≈ −6.99 dBm0.
        let mut t = Tone::dtmf(8000, '5', Level::Dbm0(-10.0)).unwrap();
        let mut buf = [0i16; 8000];
        t.fill(&mut buf);
        assert!((power_dbm0(&buf) + 6.99).abs() < 0.05);
    }

    #[test]
    fn fill_is_phase_continuous_across_frame_sizes() {
        let mut a = Tone::dtmf(8000, '#', Level::Dbm0(-6.0)).unwrap();
        let mut whole = vec![0i16; 1000];
        a.fill(&mut whole);
        let mut b = Tone::dtmf(8000, '#', Level::Dbm0(-6.0)).unwrap();
        let mut pieces = Vec::new();
        for n in [1usize, 7, 160, 3, 500, 329] {
            let mut f = vec![0i16; n];
            b.fill(&mut f);
            pieces.extend_from_slice(&f);
        }
        assert_eq!(whole, pieces);
    }

    #[test]
    fn sine_values_are_exact() {
        // 2000 Hz at 8 kHz: a quarter turn per sample → 0, A, 0, −A.
        let mut t = Tone::single(8000, 2000.0, Level::Dbfs(0.0)).unwrap();
        let v: Vec<i16> = t.by_ref().take(8).collect();
        assert_eq!(v, [0, 32767, 0, -32767, 0, 32767, 0, -32767]);
    }

    #[test]
    fn loud_dual_tone_saturates_instead_of_wrapping() {
        let mut t = Tone::dual(8000, 1000.0, 1001.0, Level::Dbfs(0.0)).unwrap();
        let mut buf = [0i16; 8000];
        t.fill(&mut buf);
        assert!(buf.contains(&i16::MAX));
        assert!(buf.contains(&i16::MIN));
    }

    #[test]
    fn rejects_bad_parameters() {
        assert_eq!(Tone::single(0, 400.0, Level::Dbm0(0.0)), Err(ToneError::ZeroSampleRate));
        for f in [0.0, -1.0, 4000.0, 9000.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(Tone::single(8000, f, Level::Dbm0(0.0)), Err(ToneError::BadFrequency(_))));
        }
        assert_eq!(Tone::single(8000, 400.0, Level::Dbfs(f64::NAN)), Err(ToneError::BadLevel));
        assert_eq!(Tone::dtmf(8000, 'x', Level::Dbm0(0.0)), Err(ToneError::NotDtmf('x')));
        assert!(Tone::dtmf(1000, '1', Level::Dbm0(0.0)).is_err()); // 1209 Hz > Nyquist
    }

    #[test]
    fn dtmf_tables() {
        assert_eq!(dtmf_frequencies('1'), Some((697.0, 1209.0)));
        assert_eq!(dtmf_frequencies('0'), Some((941.0, 1336.0)));
        assert_eq!(dtmf_frequencies('#'), Some((941.0, 1477.0)));
        assert_eq!(dtmf_frequencies('d'), Some((941.0, 1633.0)));
        assert_eq!(dtmf_frequencies('E'), None);
        for (i, &d) in DTMF_DIGITS.iter().enumerate() {
            assert_eq!(dtmf_event_code(d), Some(i as u8));
            assert_eq!(dtmf_digit_from_event(i as u8), Some(d));
            assert!(dtmf_position(d).is_some());
        }
        assert_eq!(dtmf_event_code('*'), Some(10));
        assert_eq!(dtmf_digit_from_event(16), None);
    }

    #[test]
    fn other_sample_rates() {
        let mut t = Tone::single(48000, 1000.0, Level::Dbfs(-3.0)).unwrap();
        let mut buf = vec![0i16; 48000];
        t.fill(&mut buf);
        // 1000 full cycles per second → 2000 sign changes (zero crossings) in one second.
        let crossings = buf.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
        assert!((1998..=2001).contains(&crossings), "{crossings}");
        assert!((power_dbfs(&buf) + 3.0).abs() < 0.05);
    }
}
