//! PCM sample formats and channel layouts: converting the sound card's samples (16-bit
//! integers or 32-bit floats, interleaved, one or more channels) to and from the mono
//! floating-point signal the resampler works on.
//!
//! Full scale is ±1.0 in floating point and −32768…32767 in 16-bit; conversions to 16-bit
//! round to nearest and saturate, so a hot signal clips instead of wrapping around.
//!
//! Everything here is allocation-free, so the sound card's callbacks may use it.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

/// A sample type a sound card may hand over: convertible to and from `f32` at ±1.0 full scale.
pub trait PcmSample: Copy + Send + 'static {
    /// Silence.
    const SILENCE: Self;
    /// The sample as `f32` (±1.0 full scale).
    fn to_f32(self) -> f32;
    /// The nearest sample to `x` (±1.0 full scale), saturating outside that range.
    fn from_f32(x: f32) -> Self;
}

impl PcmSample for f32 {
    const SILENCE: f32 = 0.0;
    fn to_f32(self) -> f32 {
        self
    }
    fn from_f32(x: f32) -> f32 {
        x
    }
}

impl PcmSample for i16 {
    const SILENCE: i16 = 0;
    fn to_f32(self) -> f32 {
        f32::from(self) / 32768.0
    }
    fn from_f32(x: f32) -> i16 {
        // `as` saturates (and maps NaN to 0); round first so that i16 → f32 → i16 is exact.
        (x * 32768.0).round() as i16
    }
}

/// Mono samples from interleaved frames of `channels` channels: the mean of each frame's
/// channels (a trailing partial frame is ignored; `channels` 0 is treated as 1).
///
/// The mean, not the sum, keeps a signal that is identical on both channels at its level.
pub fn downmix<T: PcmSample>(interleaved: &[T], channels: usize) -> impl Iterator<Item = f32> + '_ {
    let channels = channels.max(1);
    let scale = 1.0 / channels as f32;
    interleaved.chunks_exact(channels).map(move |frame| frame.iter().map(|s| s.to_f32()).sum::<f32>() * scale)
}

/// Fills interleaved frames of `channels` channels with `mono`, the same sample on every
/// channel, and silence once `mono` runs out. Returns the number of frames taken from `mono`.
pub fn upmix<T: PcmSample>(mono: impl Iterator<Item = f32>, channels: usize, out: &mut [T]) -> usize {
    let mut mono = mono.fuse();
    let mut taken = 0;
    for frame in out.chunks_mut(channels.max(1)) {
        let value = match mono.next() {
            Some(x) => {
                taken += 1;
                T::from_f32(x)
            }
            None => T::SILENCE,
        };
        frame.fill(value);
    }
    taken
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i16_round_trips_and_saturates() {
        for x in [i16::MIN, -12345, -1, 0, 1, 9999, i16::MAX] {
            assert_eq!(i16::from_f32(x.to_f32()), x);
        }
        assert_eq!(i16::from_f32(1.5), i16::MAX);
        assert_eq!(i16::from_f32(-2.0), i16::MIN);
        assert_eq!(i16::from_f32(f32::NAN), 0);
        assert_eq!(i16::MIN.to_f32(), -1.0);
        assert_eq!(0.25f32.to_f32(), f32::from_f32(0.25));
    }

    #[test]
    fn downmix_averages_channels() {
        let stereo = [1000i16, 3000, -4000, -2000, 7];
        let mono: Vec<f32> = downmix(&stereo, 2).collect();
        assert_eq!(mono.len(), 2, "the partial frame is dropped");
        assert_eq!(i16::from_f32(mono.first().copied().unwrap_or(0.0)), 2000);
        assert_eq!(i16::from_f32(mono.get(1).copied().unwrap_or(0.0)), -3000);
        let same: Vec<f32> = downmix(&[0.5f32, 0.5, 0.5], 1).collect();
        assert_eq!(same, vec![0.5; 3]);
        assert_eq!(downmix(&[0.5f32, 0.25], 0).count(), 2);
    }

    #[test]
    fn upmix_copies_and_pads_with_silence() {
        let mut out = [9i16; 7];
        let taken = upmix([0.5f32, -0.25].into_iter(), 3, &mut out);
        assert_eq!(taken, 2);
        assert_eq!(out, [16384, 16384, 16384, -8192, -8192, -8192, 0]);
        let mut f = [1.0f32; 2];
        assert_eq!(upmix(std::iter::empty(), 2, &mut f), 0);
        assert_eq!(f, [0.0; 2]);
    }
}
