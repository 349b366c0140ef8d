//! The resampler's interpolation kernel: a Kaiser-windowed sinc low-pass, tabulated as a
//! polyphase bank.
//!
//! The kernel `h(t)`, with `t` in input samples, is `2·fc·sinc(2·fc·t)·kaiser(t / D)` for
//! `|t| < D`. Its cut-off `fc` sits halfway between the passband edge and the Nyquist
//! frequency of the *lower* of the two rates, so one design serves both directions: when
//! downsampling it is the anti-aliasing filter, when upsampling it removes the images.
//! The Kaiser window's β and the length follow Kaiser's formulas for [`STOPBAND_DB`] of
//! attenuation over the transition band.
//!
//! Row `p` of the table holds the taps for an output that falls `p / phases` of the way
//! between two input samples; the resampler interpolates linearly between rows `p` and
//! `p + 1`. The error of that interpolation grows with the square of `fc / phases`, so the
//! number of rows is proportional to the cut-off ([`FULL_BAND_PHASES`] for a full-band
//! kernel): about −80 dB whatever the ratio. Each row is scaled to sum to exactly 1, so DC
//! passes at unity gain at every phase.

use std::f64::consts::PI;

/// Rows of the table per input sample for a kernel whose cut-off is the input's Nyquist
/// frequency; narrower kernels (downsampling) are smoother and get proportionally fewer.
pub const FULL_BAND_PHASES: usize = 256;
/// The fewest rows a table gets.
const MIN_PHASES: usize = 16;
/// Passband edge, as a fraction of the lower rate's Nyquist frequency (3.4 kHz at 8 kHz).
pub const PASSBAND: f64 = 0.85;
/// Attenuation the window is designed for, from the Nyquist frequency of the lower rate up.
pub const STOPBAND_DB: f64 = 70.0;
/// Taps are padded to a multiple of this (the dot product's lane count).
pub const LANES: usize = 8;

/// A tabulated polyphase kernel.
#[derive(Clone, Debug)]
pub struct Kernel {
    taps: usize,
    phases: usize,
    /// `(phases + 1) × taps` coefficients, row by row.
    table: Vec<f32>,
}

impl Kernel {
    /// The kernel for converting `in_rate` to `out_rate` (both non-zero).
    pub fn design(in_rate: u32, out_rate: u32) -> Kernel {
        let fs = f64::from(in_rate);
        let nyquist = f64::from(in_rate.min(out_rate)) / 2.0;
        let transition = (1.0 - PASSBAND) * nyquist / fs; // cycles per input sample
        let fc = (1.0 + PASSBAND) / 2.0 * nyquist / fs;
        let length = (STOPBAND_DB - 7.95) / (14.36 * transition);
        // Half-length D (input samples), a multiple of LANES / 2 so the taps fill whole lanes.
        let half_lanes = (LANES / 2) as f64;
        let half = ((length / 2.0 / half_lanes).ceil() * half_lanes).max(half_lanes);
        let taps = 2 * half as usize;
        let beta = 0.1102 * (STOPBAND_DB - 8.7);
        let norm = bessel_i0(beta);
        let h = |t: f64| -> f64 {
            let x = t / half;
            if x.abs() >= 1.0 {
                return 0.0;
            }
            let arg = 2.0 * fc * t;
            let sinc = if arg == 0.0 { 1.0 } else { (PI * arg).sin() / (PI * arg) };
            2.0 * fc * sinc * bessel_i0(beta * (1.0 - x * x).sqrt()) / norm
        };
        let phases =
            ((2.0 * fc * FULL_BAND_PHASES as f64).ceil() as usize).clamp(MIN_PHASES, FULL_BAND_PHASES);
        let mut table = Vec::with_capacity((phases + 1) * taps);
        let mut row = vec![0.0f64; taps];
        for p in 0..=phases {
            let frac = p as f64 / phases as f64;
            for (j, c) in row.iter_mut().enumerate() {
                *c = h(frac + half - 1.0 - j as f64);
            }
            let sum: f64 = row.iter().sum();
            let scale = if sum.abs() > f64::EPSILON { 1.0 / sum } else { 1.0 };
            table.extend(row.iter().map(|c| (c * scale) as f32));
        }
        Kernel { taps, phases, table }
    }

    /// Taps per output sample (the number of input samples each output looks at).
    pub fn taps(&self) -> usize {
        self.taps
    }

    /// Rows per input sample (the table has one more, for interpolating past the last).
    pub fn phases(&self) -> usize {
        self.phases
    }

    /// The taps of row `phase` (0 ≤ phase ≤ [`Kernel::phases`]); empty past the end.
    pub fn row(&self, phase: usize) -> &[f32] {
        self.table.get(phase * self.taps..(phase + 1) * self.taps).unwrap_or(&[])
    }
}

/// The zeroth-order modified Bessel function of the first kind, by its power series
/// (converges quickly for the arguments a Kaiser window uses, below 20).
fn bessel_i0(x: f64) -> f64 {
    let quarter_x2 = x * x / 4.0;
    let (mut sum, mut term) = (1.0, 1.0);
    for k in 1..64 {
        term *= quarter_x2 / (k as f64 * k as f64);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// Σ aᵢ·bᵢ over the shorter of the two, in [`LANES`] independent sums so that the compiler
/// can vectorise it.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = a_chunks.remainder().iter().zip(b_chunks.remainder()).map(|(x, y)| x * y).sum();
    let mut acc = [0.0f32; LANES];
    for (xs, ys) in a_chunks.zip(b_chunks) {
        for ((s, x), y) in acc.iter_mut().zip(xs).zip(ys) {
            *s += x * y;
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bessel_i0_known_values() {
        assert_eq!(bessel_i0(0.0), 1.0);
        assert!((bessel_i0(1.0) - 1.266_065_877_752_008_4).abs() < 1e-12);
        assert!((bessel_i0(5.0) - 27.239_871_823_604_44).abs() < 1e-9, "{}", bessel_i0(5.0));
    }

    #[test]
    fn rows_sum_to_one_and_lengths_follow_the_lower_rate() {
        let down = Kernel::design(48_000, 8_000);
        let up = Kernel::design(8_000, 48_000);
        for k in [&down, &up] {
            assert_eq!(k.taps() % LANES, 0);
            for p in 0..=k.phases() {
                let sum: f32 = k.row(p).iter().sum();
                assert!((sum - 1.0).abs() < 1e-5, "row {p} sums to {sum}");
            }
            assert!(k.row(k.phases() + 1).is_empty());
        }
        // 600 Hz of transition at 48 kHz needs ~346 taps; at 8 kHz (upsampling) ~58.
        assert!((340..=360).contains(&down.taps()), "{}", down.taps());
        assert!((56..=72).contains(&up.taps()), "{}", up.taps());
        // The last row is the first shifted by one tap.
        // Fewer rows for the narrow (downsampling) kernel.
        assert_eq!((down.phases(), up.phases()), (40, 237));
        let (first, last) = (down.row(0), down.row(down.phases()));
        assert!(first.iter().zip(last.iter().skip(1)).all(|(a, b)| (a - b).abs() < 1e-6));
    }

    #[test]
    fn dot_matches_the_plain_sum() {
        let a: Vec<f32> = (0..21).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..21).map(|i| 1.0 - i as f32 * 0.1).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-3);
        assert_eq!(dot(&[], &[1.0]), 0.0);
    }
}
