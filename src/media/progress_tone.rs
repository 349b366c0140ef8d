//! Call-progress tones: what the handset plays to the person using the phone while a call is
//! being set up or has failed — dial tone, ringback, busy, reorder, the ringer and the
//! call-waiting beep.
//!
//! The 7940's SIP firmware speaks North American tones by default (its `network_locale` is
//! United States), so these are the North American cadences of the precise-tone plan:
//!
//! | tone | frequencies | level | cadence |
//! | --- | --- | --- | --- |
//! | dial | 350 + 440 Hz | −13 dBm0 each | continuous |
//! | ringback | 440 + 480 Hz | −19 dBm0 each | 2 s on, 4 s off |
//! | busy | 480 + 620 Hz | −24 dBm0 each | 0.5 s on, 0.5 s off |
//! | reorder | 480 + 620 Hz | −24 dBm0 each | 0.25 s on, 0.25 s off |
//! | ring (the ringer) | 1209 + 1336 Hz | −10 dBm0 each | 0.4 s on, 0.2 s off, 0.4 s on, 2 s off |
//! | call waiting | 440 Hz | −13 dBm0 | 0.3 s on, 9.7 s off |
//!
//! The real phone's ringer plays a sample from `RINGLIST.DAT`; ours is generated (a double
//! ring), and a WAV file can stand in for any tone ([`SamplesSource`]). Which tone a call's
//! progress calls for is [`ProgressTone::after_status`] and the caller's state machine; the
//! tones themselves are pure sample generators, driven by the sample count, never a clock.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::cadence::{Cadence, CadencedTone};
use super::source::{FRAME_SAMPLES, Frame, FrameSource, SAMPLE_RATE, SamplesSource};
use super::tone::{Level, Tone, ToneError};
use std::fmt;
use std::str::FromStr;

/// One of the phone's call-progress tones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProgressTone {
    /// Off-hook, before the first digit.
    Dial,
    /// The far end rings (a 180 without early media).
    Ringback,
    /// The far end is busy (486, 600).
    Busy,
    /// The call cannot be completed (other failures): fast busy.
    Reorder,
    /// The phone's own ringer, for an incoming call.
    Ring,
    /// A second call arrives during a call.
    CallWaiting,
}

impl ProgressTone {
    /// Every tone, in a fixed order.
    pub const ALL: [ProgressTone; 6] = [
        ProgressTone::Dial,
        ProgressTone::Ringback,
        ProgressTone::Busy,
        ProgressTone::Reorder,
        ProgressTone::Ring,
        ProgressTone::CallWaiting,
    ];

    /// The tone's name (also its file name in `assets/tones/`, without `.wav`).
    pub fn name(self) -> &'static str {
        match self {
            ProgressTone::Dial => "dial",
            ProgressTone::Ringback => "ringback",
            ProgressTone::Busy => "busy",
            ProgressTone::Reorder => "reorder",
            ProgressTone::Ring => "ring",
            ProgressTone::CallWaiting => "callwaiting",
        }
    }

    /// The frequencies it is made of, in Hz (one or two).
    pub fn frequencies(self) -> &'static [f64] {
        match self {
            ProgressTone::Dial => &[350.0, 440.0],
            ProgressTone::Ringback => &[440.0, 480.0],
            ProgressTone::Busy | ProgressTone::Reorder => &[480.0, 620.0],
            ProgressTone::Ring => &[1209.0, 1336.0],
            ProgressTone::CallWaiting => &[440.0],
        }
    }

    /// The level of each frequency, in dBm0.
    pub fn level_dbm0(self) -> f64 {
        match self {
            ProgressTone::Dial | ProgressTone::CallWaiting => -13.0,
            ProgressTone::Ringback => -19.0,
            ProgressTone::Busy | ProgressTone::Reorder => -24.0,
            ProgressTone::Ring => -10.0,
        }
    }

    /// The `(on, off)` steps in milliseconds, repeated; empty for a continuous tone.
    pub fn cadence_ms(self) -> &'static [(u32, u32)] {
        match self {
            ProgressTone::Dial => &[],
            ProgressTone::Ringback => &[(2000, 4000)],
            ProgressTone::Busy => &[(500, 500)],
            ProgressTone::Reorder => &[(250, 250)],
            ProgressTone::Ring => &[(400, 200), (400, 2000)],
            ProgressTone::CallWaiting => &[(300, 9700)],
        }
    }

    /// One period of the cadence in milliseconds (1 s for the continuous dial tone).
    pub fn period_ms(self) -> u32 {
        match self.cadence_ms() {
            [] => 1000,
            steps => steps.iter().map(|(on, off)| on + off).sum(),
        }
    }

    /// The tone as an endless 8 kHz generator. (Every tone here builds: the error exists
    /// only because [`Tone`] checks its arguments.)
    pub fn generator(self) -> Result<CadencedTone, ToneError> {
        let level = Level::Dbm0(self.level_dbm0());
        let tone = match self.frequencies() {
            [f] => Tone::single(SAMPLE_RATE, *f, level),
            [f1, f2, ..] => Tone::dual(SAMPLE_RATE, *f1, *f2, level),
            [] => Err(ToneError::BadFrequency(0.0)),
        }?;
        let cadence = match self.cadence_ms() {
            [] => Cadence::continuous(),
            steps => Cadence::from_ms(SAMPLE_RATE, steps, true),
        };
        Ok(CadencedTone::new(tone, cadence))
    }

    /// One period of the tone, 8 kHz mono (what `assets/tones/<name>.wav` holds).
    pub fn one_period(self) -> Result<Vec<i16>, ToneError> {
        let n = (u64::from(self.period_ms()) * u64::from(SAMPLE_RATE) / 1000) as usize;
        let mut samples = vec![0i16; n];
        self.generator()?.fill(&mut samples);
        Ok(samples)
    }

    /// The tone a failed outgoing call plays for its final status: busy for 486 Busy Here
    /// and 600 Busy Everywhere, reorder (fast busy) for every other failure, nothing for a
    /// success or a call the user cancelled (487).
    pub fn after_status(code: u16) -> Option<ProgressTone> {
        match code {
            486 | 600 => Some(ProgressTone::Busy),
            487 => None,
            300..=699 => Some(ProgressTone::Reorder),
            _ => None,
        }
    }
}

impl fmt::Display for ProgressTone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of [`ProgressTone::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown tone '{0}' (known: dial, ringback, busy, reorder, ring, callwaiting)")]
pub struct UnknownTone(pub String);

impl FromStr for ProgressTone {
    type Err = UnknownTone;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProgressTone::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownTone(s.to_owned()))
    }
}

/// An endless source of one call-progress tone: the generator, or a WAV's samples looped in
/// its place (the way the real phone plays its ringer from a file).
#[derive(Clone, Debug)]
pub enum ToneFrames {
    /// Generated.
    Generated(CadencedTone),
    /// A recording, looped.
    Samples(SamplesSource),
}

impl ToneFrames {
    /// The generated tone.
    pub fn of(tone: ProgressTone) -> Result<ToneFrames, ToneError> {
        Ok(ToneFrames::Generated(tone.generator()?))
    }

    /// 8 kHz samples played over and over.
    pub fn looping(samples: Vec<i16>) -> ToneFrames {
        ToneFrames::Samples(SamplesSource::looping(samples))
    }
}

impl FrameSource for ToneFrames {
    fn next_frame(&mut self, out: &mut Frame) -> bool {
        match self {
            ToneFrames::Generated(g) => g.fill(out) == FRAME_SAMPLES,
            ToneFrames::Samples(s) => s.next_frame(out),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::media::goertzel::Goertzel;
    use crate::media::tone::power_dbm0;

    /// The share of `samples`' energy at the tone's frequencies.
    fn share(samples: &[i16], freqs: &[f64]) -> f64 {
        freqs
            .iter()
            .map(|f| Goertzel::new(SAMPLE_RATE, *f, samples.len()).unwrap().relative_power(samples))
            .sum()
    }

    /// Milliseconds of the period that sound, found from 10 ms blocks.
    fn on_blocks(samples: &[i16]) -> Vec<bool> {
        samples.chunks(80).map(|b| b.iter().any(|s| *s != 0)).collect()
    }

    #[test]
    fn every_tone_has_its_frequencies_and_level() {
        for tone in ProgressTone::ALL {
            let period = tone.one_period().unwrap();
            assert_eq!(period.len() as u32, tone.period_ms() * 8, "{tone}");
            // The first 200 ms are always on.
            let head = &period[..1600];
            assert!(share(head, tone.frequencies()) > 0.95, "{tone}: {}", share(head, tone.frequencies()));
            let expected = tone.level_dbm0() + 10.0 * (tone.frequencies().len() as f64).log10();
            let level = power_dbm0(head);
            assert!((level - expected).abs() < 0.5, "{tone}: {level:.2} dBm0, expected {expected:.2}");
        }
    }

    #[test]
    fn cadences_switch_on_the_millisecond() {
        for tone in ProgressTone::ALL {
            let period = tone.one_period().unwrap();
            let blocks = on_blocks(&period);
            let mut want = Vec::new();
            if tone.cadence_ms().is_empty() {
                want = vec![true; 100];
            }
            for (on, off) in tone.cadence_ms() {
                want.extend(std::iter::repeat_n(true, (*on / 10) as usize));
                want.extend(std::iter::repeat_n(false, (*off / 10) as usize));
            }
            assert_eq!(blocks, want, "{tone}");
        }
    }

    #[test]
    fn the_generator_repeats_its_period() {
        for tone in [ProgressTone::Busy, ProgressTone::Ring, ProgressTone::Ringback] {
            let mut frames = ToneFrames::of(tone).unwrap();
            let n = tone.period_ms() as usize * 8;
            let mut two = Vec::new();
            let mut frame = [0i16; FRAME_SAMPLES];
            while two.len() < 2 * n {
                assert!(frames.next_frame(&mut frame), "{tone} never ends");
                two.extend_from_slice(&frame);
            }
            assert_eq!(on_blocks(&two[..n]), on_blocks(&two[n..2 * n]), "{tone}");
        }
    }

    #[test]
    fn a_recording_loops_in_place_of_the_generator() {
        let mut frames = ToneFrames::looping(vec![7; 100]);
        let mut frame = [0i16; FRAME_SAMPLES];
        assert!(frames.next_frame(&mut frame));
        assert!(frame.iter().all(|s| *s == 7));
    }

    #[test]
    fn failures_pick_busy_or_reorder() {
        assert_eq!(ProgressTone::after_status(486), Some(ProgressTone::Busy));
        assert_eq!(ProgressTone::after_status(600), Some(ProgressTone::Busy));
        assert_eq!(ProgressTone::after_status(404), Some(ProgressTone::Reorder));
        assert_eq!(ProgressTone::after_status(503), Some(ProgressTone::Reorder));
        assert_eq!(ProgressTone::after_status(487), None, "the user cancelled");
        assert_eq!(ProgressTone::after_status(200), None);
    }

    #[test]
    fn names_round_trip() {
        for tone in ProgressTone::ALL {
            assert_eq!(tone.name().parse::<ProgressTone>(), Ok(tone));
        }
        assert_eq!("RING".parse::<ProgressTone>(), Ok(ProgressTone::Ring));
        assert!("siren".parse::<ProgressTone>().unwrap_err().to_string().contains("siren"));
    }
}
