//! Single-frequency power measurement (the Goertzel algorithm) and a DTMF detector.
//!
//! [`Goertzel`] evaluates the discrete-time Fourier transform of a block of samples at one
//! frequency, which need not fall on an FFT bin. [`Goertzel::relative_power`] scales the
//! result by the block's energy so that a pure sine at exactly the target frequency scores
//! about 1.0 and a block with no energy near it scores about 0.
//!
//! DTMF detection built on it is in [`super::dtmf`].

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::tone::{DBM0_AT_FULL_SCALE, FULL_SCALE_PEAK};
use std::f64::consts::TAU;
use std::fmt;

/// Why a detector could not be built.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GoertzelError {
    /// The sample rate was 0.
    ZeroSampleRate,
    /// The block size was 0.
    ZeroBlockSize,
    /// The frequency was not finite, negative, or above half the sample rate.
    BadFrequency(f64),
}

impl fmt::Display for GoertzelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GoertzelError::ZeroSampleRate => write!(f, "sample rate must be positive"),
            GoertzelError::ZeroBlockSize => write!(f, "block size must be positive"),
            GoertzelError::BadFrequency(hz) => {
                write!(f, "frequency {hz} Hz is not in [0, sample_rate / 2]")
            }
        }
    }
}

impl std::error::Error for GoertzelError {}

/// Sum of squares of `samples` (the block energy), as f64.
pub fn block_energy(samples: &[i16]) -> f64 {
    samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum()
}

/// A Goertzel filter tuned to one frequency, for blocks of a fixed size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Goertzel {
    freq_hz: f64,
    coeff: f64,
    block_size: usize,
}

impl Goertzel {
    /// A filter for `freq_hz` (0 ≤ f ≤ rate / 2) over blocks of `block_size` samples.
    pub fn new(sample_rate: u32, freq_hz: f64, block_size: usize) -> Result<Goertzel, GoertzelError> {
        if sample_rate == 0 {
            return Err(GoertzelError::ZeroSampleRate);
        }
        if block_size == 0 {
            return Err(GoertzelError::ZeroBlockSize);
        }
        if !freq_hz.is_finite() || freq_hz < 0.0 || freq_hz > f64::from(sample_rate) / 2.0 {
            return Err(GoertzelError::BadFrequency(freq_hz));
        }
        Ok(Goertzel { freq_hz, coeff: 2.0 * (TAU * freq_hz / f64::from(sample_rate)).cos(), block_size })
    }

    /// The target frequency in Hz.
    pub fn frequency(&self) -> f64 {
        self.freq_hz
    }

    /// The block size in samples.
    pub fn block_size(&self) -> usize {
        self.block_size
    }

    /// Squared magnitude |X(f)|² of the first `block_size` samples (or of all of them, if
    /// fewer are given). A sine of peak amplitude A at exactly f over N samples gives about
    /// (A·N/2)².
    pub fn power(&self, samples: &[i16]) -> f64 {
        let block = samples.get(..self.block_size).unwrap_or(samples);
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        for &x in block {
            let s0 = f64::from(x) + self.coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        // Clamp tiny negative results of rounding.
        (s1 * s1 + s2 * s2 - self.coeff * s1 * s2).max(0.0)
    }

    /// Power at the target frequency relative to the block's total energy:
    /// `2·|X(f)|² / (N · Σx²)`.
    ///
    /// About 1.0 for a pure sine at exactly f, about 0 when no energy is near f, 0 for a
    /// silent or empty block. Because the block is finite, a low frequency or very short
    /// block can push a pure tone slightly above 1 (its negative-frequency image leaks in).
    pub fn relative_power(&self, samples: &[i16]) -> f64 {
        let block = samples.get(..self.block_size).unwrap_or(samples);
        let energy = block_energy(block);
        if energy <= 0.0 {
            return 0.0;
        }
        2.0 * self.power(block) / (block.len() as f64 * energy)
    }

    /// Mean power (≈ A²/2 for a sine of peak A) of the component at the target frequency,
    /// in dBm0; `-inf` for none.
    pub fn component_dbm0(&self, samples: &[i16]) -> f64 {
        let n = samples.len().min(self.block_size) as f64;
        let mean = 2.0 * self.power(samples) / (n * n);
        10.0 * (mean / (FULL_SCALE_PEAK * FULL_SCALE_PEAK / 2.0)).log10() + DBM0_AT_FULL_SCALE
    }
}

/// Of `candidates` (Hz), the one with the highest [`Goertzel::relative_power`] over all of
/// `samples`, with that power. `None` if there are no samples, no usable candidates (each
/// must be in 0…rate/2), or the block is silent.
pub fn dominant_frequency(samples: &[i16], sample_rate: u32, candidates: &[f64]) -> Option<(f64, f64)> {
    if block_energy(samples) <= 0.0 {
        return None;
    }
    candidates
        .iter()
        .filter_map(|&f| Goertzel::new(sample_rate, f, samples.len()).ok())
        .map(|g| (g.frequency(), g.relative_power(samples)))
        .fold(None, |best: Option<(f64, f64)>, cur| match best {
            Some(b) if b.1 >= cur.1 => Some(b),
            _ => Some(cur),
        })
}

/// Coarse scan: [`dominant_frequency`] over `lo_hz, lo_hz + step_hz, …, ≤ hi_hz`
/// (at most 100 000 candidates). `None` for an empty or invalid range.
pub fn scan_dominant_frequency(
    samples: &[i16],
    sample_rate: u32,
    lo_hz: f64,
    hi_hz: f64,
    step_hz: f64,
) -> Option<(f64, f64)> {
    if !step_hz.is_finite() || step_hz <= 0.0 || !lo_hz.is_finite() || !hi_hz.is_finite() || hi_hz < lo_hz {
        return None;
    }
    let count = ((hi_hz - lo_hz) / step_hz).floor().min(99_999.0) as usize + 1;
    let candidates: Vec<f64> = (0..count).map(|i| lo_hz + i as f64 * step_hz).collect();
    dominant_frequency(samples, sample_rate, &candidates)
}
#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
    use super::super::tone::{Level, Tone};
    use super::*;
    fn tone(rate: u32, f: f64, n: usize) -> Vec<i16> {
        let mut t = Tone::single(rate, f, Level::Dbm0(-10.0)).unwrap();
        let mut v = vec![0; n];
        t.fill(&mut v);
        v
    }
    #[test]
    fn goertzel_relative_power_of_pure_tone() {
        let x = tone(8000, 1000.0, 800);
        let g = Goertzel::new(8000, 1000.0, 800).unwrap();
        assert!((g.relative_power(&x) - 1.0).abs() < 0.01);
        assert!((g.component_dbm0(&x) + 10.0).abs() < 0.1);
        let off = Goertzel::new(8000, 1500.0, 800).unwrap();
        assert!(off.relative_power(&x) < 0.01);
        // Off-bin frequency (697 Hz, 205 samples): still ≈ 1.
        let y = tone(8000, 697.0, 205);
        let g = Goertzel::new(8000, 697.0, 205).unwrap();
        assert!((g.relative_power(&y) - 1.0).abs() < 0.05, "{}", g.relative_power(&y));
    }

    #[test]
    fn goertzel_edge_cases() {
        let g = Goertzel::new(8000, 1000.0, 205).unwrap();
        assert_eq!(g.relative_power(&[]), 0.0);
        assert_eq!(g.relative_power(&[0; 205]), 0.0);
        assert_eq!(g.power(&[]), 0.0);
        assert!(g.component_dbm0(&[0; 10]).is_infinite());
        assert_eq!(g.block_size(), 205);
        assert_eq!(g.frequency(), 1000.0);
        // Extreme inputs stay finite.
        let loud = [i16::MIN; 205];
        assert!(g.power(&loud).is_finite());
        assert_eq!(Goertzel::new(0, 1.0, 1), Err(GoertzelError::ZeroSampleRate));
        assert_eq!(Goertzel::new(8000, 1.0, 0), Err(GoertzelError::ZeroBlockSize));
        assert!(Goertzel::new(8000, 4001.0, 1).is_err());
        assert!(Goertzel::new(8000, f64::NAN, 1).is_err());
        assert!(Goertzel::new(8000, 4000.0, 1).is_ok());
    }

    #[test]
    fn dominant_frequency_helpers() {
        let x = tone(8000, 1336.0, 400);
        let cands = [697.0, 770.0, 1209.0, 1336.0, 1477.0];
        let (f, p) = dominant_frequency(&x, 8000, &cands).unwrap();
        assert_eq!(f, 1336.0);
        assert!(p > 0.9);
        let (f, _) = scan_dominant_frequency(&x, 8000, 100.0, 3900.0, 5.0).unwrap();
        assert!((f - 1336.0).abs() <= 2.5, "{f}");
        assert_eq!(dominant_frequency(&[0; 100], 8000, &cands), None);
        assert_eq!(dominant_frequency(&x, 8000, &[]), None);
        assert_eq!(scan_dominant_frequency(&x, 8000, 10.0, 5.0, 1.0), None);
        assert_eq!(scan_dominant_frequency(&x, 8000, 10.0, 50.0, 0.0), None);
        assert_eq!(scan_dominant_frequency(&x, 8000, 10.0, 50.0, f64::NAN), None);
    }
}
