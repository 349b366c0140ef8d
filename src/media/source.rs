//! Frame sources: where the 20 ms frames of outgoing audio come from.
//!
//! A source is passive (pjmedia's "port" model): the pacer, or later the sound card's clock,
//! asks it for the next frame of [`FRAME_SAMPLES`] samples at 8 kHz. A microphone can plug in
//! behind the same [`FrameSource`] trait, fed through a ring buffer by the audio thread.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::tone::{Level, Tone, ToneError};

/// The media sample rate, in Hz.
pub const SAMPLE_RATE: u32 = 8000;
/// Samples in one 20 ms frame at 8 kHz.
pub const FRAME_SAMPLES: usize = 160;
/// One frame of audio.
pub type Frame = [i16; FRAME_SAMPLES];

/// Something that produces frames of audio on request.
pub trait FrameSource {
    /// Fills `out` with the next frame. Returns `false` once the source has ended (then `out`
    /// holds silence).
    fn next_frame(&mut self, out: &mut Frame) -> bool;
}

impl<S: FrameSource + ?Sized> FrameSource for &mut S {
    fn next_frame(&mut self, out: &mut Frame) -> bool {
        (**self).next_frame(out)
    }
}

impl<S: FrameSource + ?Sized> FrameSource for Box<S> {
    fn next_frame(&mut self, out: &mut Frame) -> bool {
        (**self).next_frame(out)
    }
}

/// An endless sine tone (1 kHz at −10 dBm0 by default: the classic test tone).
#[derive(Clone, Debug)]
pub struct ToneSource {
    /// `None` only if the built-in test tone could not be built (it always can).
    tone: Option<Tone>,
}

impl ToneSource {
    /// The default test tone frequency, in Hz.
    pub const DEFAULT_HZ: f64 = 1000.0;
    /// The default level.
    pub const DEFAULT_LEVEL: Level = Level::Dbm0(-10.0);

    /// A tone of `hz` at `level`, sampled at 8 kHz.
    pub fn new(hz: f64, level: Level) -> Result<ToneSource, ToneError> {
        Ok(ToneSource { tone: Some(Tone::single(SAMPLE_RATE, hz, level)?) })
    }

    /// Any tone (dual, DTMF …) from [`super::tone`], which must be at 8 kHz.
    pub fn from_tone(tone: Tone) -> ToneSource {
        ToneSource { tone: Some(tone) }
    }

    /// The 1 kHz, −10 dBm0 test tone.
    pub fn test_tone() -> ToneSource {
        ToneSource { tone: Tone::single(SAMPLE_RATE, Self::DEFAULT_HZ, Self::DEFAULT_LEVEL).ok() }
    }
}

impl Default for ToneSource {
    fn default() -> ToneSource {
        ToneSource::test_tone()
    }
}

impl FrameSource for ToneSource {
    fn next_frame(&mut self, out: &mut Frame) -> bool {
        match &mut self.tone {
            Some(t) => t.fill(out),
            None => out.fill(0),
        }
        true
    }
}

/// Silence, endless or for a number of frames.
#[derive(Clone, Debug, Default)]
pub struct SilenceSource {
    remaining: Option<u64>,
}

impl SilenceSource {
    /// Endless silence.
    pub fn new() -> SilenceSource {
        SilenceSource { remaining: None }
    }

    /// Silence that ends after `frames` frames.
    pub fn frames(frames: u64) -> SilenceSource {
        SilenceSource { remaining: Some(frames) }
    }
}

impl FrameSource for SilenceSource {
    fn next_frame(&mut self, out: &mut Frame) -> bool {
        out.fill(0);
        match &mut self.remaining {
            None => true,
            Some(0) => false,
            Some(n) => {
                *n -= 1;
                true
            }
        }
    }
}

/// Frames cut from a buffer of samples (a WAV file, a test signal), once or looping.
///
/// The last frame is padded with silence if the buffer is not a whole number of frames.
/// When looping, the buffer restarts right after its last sample (no padding between laps).
#[derive(Clone, Debug)]
pub struct SamplesSource {
    samples: Vec<i16>,
    pos: usize,
    looping: bool,
}

impl SamplesSource {
    /// Plays `samples` once.
    pub fn once(samples: Vec<i16>) -> SamplesSource {
        SamplesSource { samples, pos: 0, looping: false }
    }

    /// Plays `samples` over and over (an empty buffer still ends at once).
    pub fn looping(samples: Vec<i16>) -> SamplesSource {
        SamplesSource { samples, pos: 0, looping: true }
    }

    /// Samples not yet played in this lap.
    pub fn remaining(&self) -> usize {
        self.samples.len().saturating_sub(self.pos)
    }
}

impl FrameSource for SamplesSource {
    fn next_frame(&mut self, out: &mut Frame) -> bool {
        if self.samples.is_empty() || (!self.looping && self.pos >= self.samples.len()) {
            out.fill(0);
            return false;
        }
        let mut filled = 0;
        while filled < out.len() {
            if self.pos >= self.samples.len() {
                if !self.looping {
                    break;
                }
                self.pos = 0;
            }
            let take = (out.len() - filled).min(self.samples.len() - self.pos);
            if let (Some(dst), Some(src)) =
                (out.get_mut(filled..filled + take), self.samples.get(self.pos..self.pos + take))
            {
                dst.copy_from_slice(src);
            }
            filled += take;
            self.pos += take;
        }
        if let Some(rest) = out.get_mut(filled..) {
            rest.fill(0);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::super::goertzel::dominant_frequency;
    use super::*;

    #[test]
    fn tone_source_is_a_continuous_1khz_tone() {
        let mut s = ToneSource::default();
        let mut all = Vec::new();
        let mut f = [0; FRAME_SAMPLES];
        for _ in 0..10 {
            assert!(s.next_frame(&mut f));
            all.extend_from_slice(&f);
        }
        let (hz, p) = dominant_frequency(&all, 8000, &[500.0, 1000.0, 1500.0]).unwrap();
        assert_eq!(hz, 1000.0);
        assert!(p > 0.99);
        assert!(ToneSource::new(5000.0, Level::Dbm0(0.0)).is_err());
    }

    #[test]
    fn silence_source_counts_down() {
        let mut s = SilenceSource::frames(2);
        let mut f = [7; FRAME_SAMPLES];
        assert!(s.next_frame(&mut f));
        assert_eq!(f, [0; FRAME_SAMPLES]);
        assert!(s.next_frame(&mut f));
        assert!(!s.next_frame(&mut f));
        assert!(SilenceSource::new().next_frame(&mut f));
    }

    #[test]
    fn samples_source_pads_and_loops() {
        let data: Vec<i16> = (1..=200).collect();
        let mut once = SamplesSource::once(data.clone());
        let mut f = [0; FRAME_SAMPLES];
        assert!(once.next_frame(&mut f));
        assert_eq!(f[159], 160);
        assert!(once.next_frame(&mut f));
        assert_eq!((f[0], f[39], f[40]), (161, 200, 0));
        assert!(!once.next_frame(&mut f));

        let mut lap = SamplesSource::looping(data);
        lap.next_frame(&mut f);
        lap.next_frame(&mut f);
        assert_eq!((f[39], f[40], f[41]), (200, 1, 2));
        assert!(lap.next_frame(&mut f));
        assert_eq!(f[0], 121);

        let mut empty = SamplesSource::looping(Vec::new());
        assert!(!empty.next_frame(&mut f));
    }

    #[test]
    fn sources_are_object_safe() {
        let mut boxed: Vec<Box<dyn FrameSource>> =
            vec![Box::new(ToneSource::default()), Box::new(SilenceSource::new())];
        let mut f = [0; FRAME_SAMPLES];
        for s in &mut boxed {
            assert!(s.next_frame(&mut f));
        }
    }
}
