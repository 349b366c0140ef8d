//! In-band DTMF from received audio, reported as [`DigitEvent`]s like RFC 4733 digits.
//!
//! ```text
//!  decoded frame + its RTP timestamp ──▶ DtmfDetector::push ──Pressed/Released──▶ DigitEvent
//!                                        (Goertzel, debounced)                    (on release)
//! ```
//!
//! [`InbandDigits`] wraps the Goertzel [`DtmfDetector`] and, like
//! [`super::dtmf_receiver::TelephoneEventReceiver`], reports each digit once, when it is
//! released, with the time it was held. The detector counts samples since it started; the
//! RTP timestamp of a press is worked back from the timestamp of the frame that completed it,
//! which assumes the frames pushed are contiguous (push silence for lost packets, as
//! [`super::rtp::Playout::decode_g711`] does).

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::dtmf::{DtmfDetector, DtmfEvent};
use super::dtmf_receiver::{DigitEvent, DigitSource};
use super::goertzel::GoertzelError;
use super::source::SAMPLE_RATE;

/// In-band digit detection on one received stream.
#[derive(Clone, Debug)]
pub struct InbandDigits {
    detector: DtmfDetector,
    /// Samples pushed so far (the detector's stream position at the end of the last push).
    position: u64,
    /// The digit pressed and not yet released: (digit, sample position, RTP timestamp).
    pressed: Option<(char, u64, u32)>,
    /// Scratch for the detector's events.
    events: Vec<DtmfEvent>,
}

impl InbandDigits {
    /// A detector for 8 kHz audio with the default thresholds.
    pub fn new() -> Result<InbandDigits, GoertzelError> {
        Ok(InbandDigits::with_detector(DtmfDetector::new(SAMPLE_RATE)?))
    }

    /// Wraps a detector built with other thresholds (it must be fresh or just reset).
    pub fn with_detector(detector: DtmfDetector) -> InbandDigits {
        InbandDigits { detector, position: 0, pressed: None, events: Vec::new() }
    }

    /// The digit held down now, if any.
    pub fn pressed(&self) -> Option<char> {
        self.pressed.map(|p| p.0)
    }

    /// Feeds decoded samples whose first one has RTP timestamp `timestamp`; appends the
    /// digits released within them to `out`.
    pub fn push(&mut self, timestamp: u32, samples: &[i16], out: &mut Vec<DigitEvent>) {
        self.events.clear();
        self.detector.push(samples, &mut self.events);
        let len = samples.len() as u64;
        let end_position = self.position + len;
        // `len` fits in u32 for any real frame; a huge slice only skews the timestamps.
        let end_timestamp = timestamp.wrapping_add(u32::try_from(len).unwrap_or(u32::MAX));
        let timestamp_at =
            |at: u64| end_timestamp.wrapping_sub(u32::try_from(end_position.saturating_sub(at)).unwrap_or(0));
        for event in &self.events {
            match *event {
                DtmfEvent::Pressed { digit, at_sample } => {
                    self.pressed = Some((digit, at_sample, timestamp_at(at_sample)));
                }
                DtmfEvent::Released { digit, at_sample } => {
                    if let Some((pressed, from, start_timestamp)) = self.pressed.take()
                        && pressed == digit
                    {
                        let samples = at_sample.saturating_sub(from);
                        out.push(DigitEvent {
                            digit,
                            start_timestamp,
                            duration_ms: u32::try_from(samples * 1000 / u64::from(SAMPLE_RATE))
                                .unwrap_or(u32::MAX),
                            volume: None,
                            source: DigitSource::InBand,
                        });
                    }
                }
            }
        }
        self.position = end_position;
    }

    /// Forgets all state (a new stream).
    pub fn reset(&mut self) {
        self.detector.reset();
        self.position = 0;
        self.pressed = None;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::media::tone::{Level, Tone};

    fn frames(digits: &str, tone: usize, gap: usize) -> Vec<i16> {
        let mut v = Vec::new();
        for d in digits.chars() {
            let mut t = vec![0i16; tone];
            Tone::dtmf(8000, d, Level::Dbm0(-10.0)).unwrap().fill(&mut t);
            v.extend(t);
            v.extend(vec![0i16; gap]);
        }
        v
    }

    #[test]
    fn reports_digits_with_timestamps_and_durations() {
        let mut rx = InbandDigits::new().unwrap();
        let audio = frames("3#", 800, 480);
        let base = u32::MAX - 1000; // timestamps wrap
        let mut out = Vec::new();
        let mut held = Vec::new();
        for (i, f) in audio.chunks(160).enumerate() {
            rx.push(base.wrapping_add(i as u32 * 160), f, &mut out);
            held.push(rx.pressed());
        }
        assert_eq!(out.iter().map(|d| d.digit).collect::<String>(), "3#");
        assert!(held.contains(&Some('3')) && held.contains(&Some('#')));
        for (d, start) in out.iter().zip([0u32, 1280]) {
            assert_eq!((d.volume, d.source), (None, DigitSource::InBand));
            // Within one detector window (205 samples) of the truth.
            let off = d.start_timestamp.wrapping_sub(base.wrapping_add(start)) as i32;
            assert!(off.abs() <= 205, "{d:?}");
            assert!((60..=130).contains(&d.duration_ms), "{d:?}");
        }
        rx.reset();
        assert_eq!(rx.pressed(), None);
    }

    #[test]
    fn silence_reports_nothing() {
        let mut rx = InbandDigits::new().unwrap();
        let mut out = Vec::new();
        for i in 0..50 {
            rx.push(i * 160, &[0; 160], &mut out);
        }
        assert!(out.is_empty());
    }
}
