//! Sample-rate conversion between the sound card's rate and the media rate (8 kHz, or
//! 48 kHz for a future Opus path), streaming and exact.
//!
//! # Method
//!
//! A windowed-sinc polyphase interpolator (band-limited interpolation): every output sample
//! is a dot product of the most recent input samples with a row of a tabulated
//! Kaiser-windowed sinc (up to [`FULL_BAND_PHASES`] rows per input sample, linear
//! interpolation between neighbouring rows for the exact fractional position). One kernel serves any ratio, and
//! the ratio can be nudged continuously for clock-drift correction, which a fixed rational
//! L/M polyphase cannot do. An IIR low-pass followed by linear interpolation would be
//! cheaper, but its phase is not linear and its images are poorly suppressed when
//! upsampling; at 8 kHz the sinc costs a few microseconds per 20 ms frame (see
//! `benches/resample.rs`), so there is no reason to economise.
//!
//! The filter is designed against the Nyquist frequency `fN` of the lower of the two rates:
//! passband up to 0.85·fN (3.4 kHz when one side is 8 kHz), stopband from fN, and
//! [`STOPBAND_DB`] of design attenuation. Measured with the Goertzel filter on −10 dBm0
//! tones (a 20 Hz sweep; the tests `passband_and_stopband_figures`,
//! `tones_near_and_above_4khz_are_attenuated_at_48k_to_8k` and
//! `upsampling_8k_to_48k_keeps_the_tone_and_rejects_images` check coarser grids):
//!
//! * 48 kHz, 44.1 kHz or 16 kHz → 8 kHz: passband 100 Hz … 3.4 kHz flat within ±0.003 dB;
//!   every tone from 4.02 kHz up to the input's Nyquist frequency shows at its alias
//!   frequency at −70.4 dB or less (the worst is just above 4 kHz; a 6 kHz tone at 2 kHz
//!   is below the 16-bit floor, under −90 dB). 3.9 kHz, in the transition band, is
//!   attenuated by 30 dB.
//! * 8 kHz → 48 kHz, 44.1 kHz or 16 kHz: the same passband; images of 100 Hz … 3.4 kHz
//!   tones at −73.8 dB or less.
//!
//! The delay is [`Resampler::delay`] input samples (half the kernel: 0.36 ms at 48 kHz
//! → 8 kHz, 4 ms at 8 kHz → 48 kHz).
//!
//! # Exactness
//!
//! The read position is kept as an integer input index plus a fraction with denominator
//! `out_rate × 10⁶`, so the ratio is exact and never drifts: after `N` input samples the
//! resampler has produced exactly `⌈N · out_rate / in_rate⌉` outputs (with no ratio
//! adjustment), whatever the chunk sizes. The output depends only on the input samples and
//! on when [`Resampler::set_adjust_ppm`] was called (in output samples), never on how the
//! input and output were cut into chunks.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod kernel;
#[cfg(test)]
mod tests;

use super::pcm::PcmSample;
pub use kernel::{FULL_BAND_PHASES, PASSBAND, STOPBAND_DB};
use kernel::{Kernel, dot};
use thiserror::Error;

/// Parts per million: the denominator of the ratio adjustment.
const PPM: u64 = 1_000_000;
/// The largest ratio adjustment, either way: 1 %.
pub const MAX_ADJUST_PPM: i32 = 10_000;
/// The highest sample rate accepted, in Hz.
pub const MAX_RATE: u32 = 384_000;

/// Why a resampler could not be built.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum ResampleError {
    /// A rate was 0 or above [`MAX_RATE`].
    #[error("sample rate {0} Hz is out of range (1 Hz to 384 kHz)")]
    BadRate(u32),
}

/// A streaming sample-rate converter for one mono signal.
///
/// [`push`](Self::push) input (any number of samples), then [`pull`](Self::pull) output
/// (any number, up to [`available`](Self::available)); or both at once with
/// [`process`](Self::process).
#[derive(Clone, Debug)]
pub struct Resampler {
    in_rate: u32,
    out_rate: u32,
    kernel: Kernel,
    /// Input not yet consumed, preceded by the `taps − 1` samples the next output still needs.
    buf: Vec<f32>,
    /// Index in `buf` of the newest input sample the next output uses.
    next: usize,
    /// Fractional part of the next output's position, in units of `1 / unit` input samples.
    frac: u64,
    /// `out_rate × PPM`.
    unit: u64,
    /// Input advanced per output: `step_whole + step_frac / unit` samples.
    step_whole: usize,
    step_frac: u64,
    adjust_ppm: i32,
}

impl Resampler {
    /// A converter from `in_rate` to `out_rate` Hz (1 Hz … [`MAX_RATE`] each).
    pub fn new(in_rate: u32, out_rate: u32) -> Result<Resampler, ResampleError> {
        for rate in [in_rate, out_rate] {
            if rate == 0 || rate > MAX_RATE {
                return Err(ResampleError::BadRate(rate));
            }
        }
        let kernel = Kernel::design(in_rate, out_rate);
        let mut r = Resampler {
            in_rate,
            out_rate,
            buf: Vec::new(),
            next: 0,
            frac: 0,
            unit: u64::from(out_rate) * PPM,
            step_whole: 0,
            step_frac: 0,
            adjust_ppm: 0,
            kernel,
        };
        r.reset();
        r.set_adjust_ppm(0);
        Ok(r)
    }

    /// The input rate in Hz.
    pub fn in_rate(&self) -> u32 {
        self.in_rate
    }

    /// The output rate in Hz.
    pub fn out_rate(&self) -> u32 {
        self.out_rate
    }

    /// The delay through the filter, in input samples.
    pub fn delay(&self) -> usize {
        self.kernel.taps() / 2
    }

    /// Forgets all input: the next output is as if the stream started again from silence.
    /// Keeps the ratio adjustment.
    pub fn reset(&mut self) {
        let history = self.kernel.taps().saturating_sub(1);
        self.buf.clear();
        self.buf.resize(history, 0.0);
        self.next = history;
        self.frac = 0;
    }

    /// Adjusts the ratio by `ppm` parts per million (clamped to ±[`MAX_ADJUST_PPM`]) from the
    /// next output sample on, and returns the value applied. Positive values consume input
    /// faster: each output advances the input by `(1 + ppm/10⁶) · in_rate / out_rate`
    /// samples, so fewer outputs come out per input and the pitch rises by that much.
    ///
    /// Used for clock-drift correction: a playout path whose input backlog grows (the far
    /// end's clock is fast) nudges up; one whose backlog shrinks nudges down.
    pub fn set_adjust_ppm(&mut self, ppm: i32) -> i32 {
        let ppm = ppm.clamp(-MAX_ADJUST_PPM, MAX_ADJUST_PPM);
        self.adjust_ppm = ppm;
        let step = u64::from(self.in_rate) * PPM.saturating_add_signed(i64::from(ppm));
        self.step_whole = usize::try_from(step / self.unit).unwrap_or(usize::MAX);
        self.step_frac = step % self.unit;
        ppm
    }

    /// The ratio adjustment in force, in parts per million.
    pub fn adjust_ppm(&self) -> i32 {
        self.adjust_ppm
    }

    /// Appends input samples.
    pub fn push<T: PcmSample>(&mut self, input: &[T]) {
        self.buf.extend(input.iter().map(|s| s.to_f32()));
    }

    /// Output samples that the input pushed so far can produce.
    pub fn available(&self) -> usize {
        let len = self.buf.len();
        if self.next >= len {
            return 0;
        }
        let span = (len - self.next) as u128 * u128::from(self.unit) - u128::from(self.frac);
        usize::try_from(span.div_ceil(self.step())).unwrap_or(usize::MAX)
    }

    /// How many more input samples must be pushed before `outputs` samples are available.
    pub fn input_needed(&self, outputs: usize) -> usize {
        let Some(before_last) = outputs.checked_sub(1) else { return 0 };
        let offset = (u128::from(self.frac) + before_last as u128 * self.step()) / u128::from(self.unit);
        let newest = (self.next as u128).saturating_add(offset);
        usize::try_from((newest + 1).saturating_sub(self.buf.len() as u128)).unwrap_or(usize::MAX)
    }

    /// Fills `out` from the front with as many output samples as are available and returns
    /// how many; the rest of `out` is left as it was.
    pub fn pull<T: PcmSample>(&mut self, out: &mut [T]) -> usize {
        let mut produced = 0;
        for slot in out.iter_mut() {
            let Some(y) = self.next_output() else { break };
            *slot = T::from_f32(y);
            produced += 1;
        }
        self.compact();
        produced
    }

    /// Pushes `input` and appends every output sample now available to `out`.
    pub fn process<T: PcmSample, U: PcmSample>(&mut self, input: &[T], out: &mut Vec<U>) {
        self.push(input);
        let start = out.len();
        out.resize(start + self.available(), U::SILENCE);
        let produced = self.pull(out.get_mut(start..).unwrap_or_default());
        out.truncate(start + produced);
    }

    fn step(&self) -> u128 {
        self.step_whole as u128 * u128::from(self.unit) + u128::from(self.step_frac)
    }

    /// The next output sample, if its input is all there.
    fn next_output(&mut self) -> Option<f32> {
        let taps = self.kernel.taps();
        let window = self.buf.get((self.next + 1).checked_sub(taps)?..=self.next)?;
        let scaled = self.frac * self.kernel.phases() as u64;
        let phase = (scaled / self.unit) as usize;
        let rest = scaled % self.unit;
        let y0 = dot(window, self.kernel.row(phase));
        let y = if rest == 0 {
            y0
        } else {
            let weight = rest as f32 / self.unit as f32;
            y0 + weight * (dot(window, self.kernel.row(phase + 1)) - y0)
        };
        self.frac += self.step_frac;
        if self.frac >= self.unit {
            self.frac -= self.unit;
            self.next += 1;
        }
        self.next = self.next.saturating_add(self.step_whole);
        Some(y)
    }

    /// Drops input that no future output needs.
    fn compact(&mut self) {
        let first = (self.next + 1).saturating_sub(self.kernel.taps()).min(self.buf.len());
        if first > 0 {
            self.buf.copy_within(first.., 0);
            self.buf.truncate(self.buf.len() - first);
            self.next -= first;
        }
    }
}
