//! Sending DTMF digits, one 20 ms frame tick at a time: in-band tones or RFC 4733 events.
//!
//! The media engine asks a [`DtmfSender`] once per frame tick what to send, handing it the
//! audio stream's [`RtpSender`] and the frame of audio it was about to send:
//!
//! ```text
//!   source ──frame──▶ DtmfSender::next_frame(rtp, frame) ──▶ FrameOut::Audio
//!                                  │                          (encode + send `frame`, which
//!                                  │                           may now hold a tone or silence)
//!                                  └────────────────────────▶ FrameOut::Event(packet)
//!                                                             (send it instead of audio)
//! ```
//!
//! Each digit is a tone of [`DtmfTiming::tone_frames`] frames followed by a gap of
//! [`DtmfTiming::gap_frames`] frames. Durations are given in milliseconds and rounded up to
//! whole 20 ms frames; the microphone is muted (silence sent) during gaps.
//!
//! # RFC 4733 (§2.5.1) on the wire
//!
//! For digit 5 at volume 10 with a 60 ms tone, starting when the audio timestamp is `T`:
//!
//! ```text
//!  tick  packet                        M  timestamp  payload
//!  0     event                         1  T          05 0A 00 A0   duration 160
//!  1     event                         0  T          05 0A 01 40   duration 320
//!  2     event, end                    0  T          05 8A 01 E0   duration 480, E
//!  3     event, end copy               0  T          05 8A 01 E0
//!  4     event, end copy               0  T          05 8A 01 E0
//!  5     audio (gap silence)           1  T + 800
//!  6…    audio                         0  T + 960 …
//! ```
//!
//! Every packet takes the next sequence number of the audio stream (same SSRC), and for every
//! tick spent on an event the audio timestamp is advanced by one frame with
//! [`RtpSender::skip`], so audio resumes as if time had run on (with the marker bit, as
//! after any pause). The two end copies are sent on the ticks after the end, inside the gap,
//! so the gap is at least three frames. An event longer than 0xFFFF timestamp units is split
//! into segments of 409 frames (65 440 units): each segment restarts the duration at 160 and
//! takes as its timestamp the previous one plus 65 440; only the first packet of the first
//! segment is marked and only the last segment ends (§2.5.1.3).
//!
//! # In band
//!
//! Tone frames are replaced (not mixed) by the DTMF dual tone at the configured level,
//! starting at phase 0 for each digit; they are ordinary audio packets.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::VecDeque;

use super::dtmf_plan::{DtmfError, DtmfMethod, parse_digits};
use super::rtp::RtpSender;
use super::source::{FRAME_SAMPLES, Frame, SAMPLE_RATE};
use super::telephone_event::{END_COPIES, MAX_DURATION, TelephoneEvent};
use super::tone::Tone;

/// Timestamp units in one frame (160 at 8 kHz).
pub const FRAME_TICKS: u32 = FRAME_SAMPLES as u32;
/// Milliseconds in one frame.
pub const FRAME_MS: u32 = FRAME_TICKS * 1000 / SAMPLE_RATE;
/// Shortest tone accepted: what an in-band detector is sure to catch.
pub const MIN_TONE_MS: u32 = 50;
/// Shortest gap accepted between digits.
pub const MIN_GAP_MS: u32 = 50;
/// Default tone length.
pub const DEFAULT_TONE_MS: u32 = 100;
/// Default gap between digits.
pub const DEFAULT_GAP_MS: u32 = 60;
/// Frames in one full RFC 4733 segment: the most that fit in a 16-bit duration.
pub const SEGMENT_FRAMES: u32 = MAX_DURATION as u32 / FRAME_TICKS;

/// Tone and gap lengths of each digit, in whole frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DtmfTiming {
    tone_frames: u32,
    gap_frames: u32,
}

impl Default for DtmfTiming {
    fn default() -> Self {
        DtmfTiming { tone_frames: DEFAULT_TONE_MS / FRAME_MS, gap_frames: DEFAULT_GAP_MS / FRAME_MS }
    }
}

impl DtmfTiming {
    /// A tone of `tone_ms` and a gap of `gap_ms`, each rounded up to whole 20 ms frames
    /// (so a 50 ms minimum gap becomes 60 ms). Both must be at least 50 ms.
    pub fn from_ms(tone_ms: u32, gap_ms: u32) -> Result<DtmfTiming, DtmfError> {
        if tone_ms < MIN_TONE_MS {
            return Err(DtmfError::TooShort { what: "tone", ms: tone_ms, min_ms: MIN_TONE_MS });
        }
        if gap_ms < MIN_GAP_MS {
            return Err(DtmfError::TooShort { what: "gap", ms: gap_ms, min_ms: MIN_GAP_MS });
        }
        Ok(DtmfTiming { tone_frames: tone_ms.div_ceil(FRAME_MS), gap_frames: gap_ms.div_ceil(FRAME_MS) })
    }

    /// Frames of tone per digit.
    pub fn tone_frames(&self) -> u32 {
        self.tone_frames
    }

    /// Frames of gap after each digit (always at least 3).
    pub fn gap_frames(&self) -> u32 {
        self.gap_frames
    }
}

/// What to send on one frame tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameOut {
    /// Encode and send the frame as usual (it may have been overwritten with a tone or
    /// silence).
    Audio,
    /// Send this telephone-event packet instead of audio; the audio timestamp has already
    /// been advanced past this tick.
    Event(Vec<u8>),
}

/// Where the sender is in the current digit.
#[derive(Clone, Debug)]
enum Phase {
    /// No digit playing.
    Idle,
    /// Tone frame `frame` of an in-band digit comes next.
    InBand { tone: Tone, frame: u32 },
    /// Event packet `frame` comes next; `start` is the event's timestamp.
    Event { event: TelephoneEvent, payload_type: u8, start: u32, frame: u32 },
    /// `left` more copies of the end packet at `timestamp`.
    EndCopies { payload: [u8; 4], payload_type: u8, timestamp: u32, left: u8 },
    /// `left` more frames of silence.
    Gap { left: u32 },
}

/// Plays queued digits into an audio stream, frame by frame.
#[derive(Clone, Debug)]
pub struct DtmfSender {
    method: DtmfMethod,
    timing: DtmfTiming,
    queue: VecDeque<char>,
    phase: Phase,
    /// Audio timestamp units per frame: what one event tick skips in the audio stream.
    audio_frame_ticks: u32,
}

impl DtmfSender {
    /// A sender using `method` (usually [`super::dtmf_plan::DtmfPlan::send`]) and `timing`.
    pub fn new(method: DtmfMethod, timing: DtmfTiming) -> DtmfSender {
        DtmfSender {
            method,
            timing,
            queue: VecDeque::new(),
            phase: Phase::Idle,
            audio_frame_ticks: FRAME_TICKS,
        }
    }

    /// Sets the audio stream's timestamp units per 20 ms frame: 160 for G.711 (the
    /// default), 960 for Opus's 48 kHz clock. Event ticks skip that much audio time and
    /// segments of a long event start that far apart; event durations stay in 8 kHz units
    /// (`telephone-event/8000`), as the events are negotiated.
    pub fn set_audio_frame_ticks(&mut self, ticks: u32) {
        self.audio_frame_ticks = ticks.max(1);
    }

    /// The sending method.
    pub fn method(&self) -> DtmfMethod {
        self.method
    }

    /// Changes the method (the call's media was renegotiated); the digit playing finishes
    /// the old way, queued ones go the new way (or are dropped if it is `Disabled`).
    pub fn set_method(&mut self, method: DtmfMethod) {
        self.method = method;
    }

    /// The tone and gap lengths.
    pub fn timing(&self) -> DtmfTiming {
        self.timing
    }

    /// Queues `digits` (`0`–`9`, `*`, `#`, `A`–`D`) to be played after any already queued.
    /// All or nothing: an invalid character queues none of them.
    pub fn queue(&mut self, digits: &str) -> Result<(), DtmfError> {
        let digits = parse_digits(digits)?;
        if self.method == DtmfMethod::Disabled {
            return Err(DtmfError::Disabled);
        }
        self.queue.extend(digits);
        Ok(())
    }

    /// Digits queued and not yet started.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// True when no digit is playing (nor its gap) and none is queued.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && matches!(self.phase, Phase::Idle)
    }

    /// Drops the queued digits; the one playing finishes.
    pub fn clear_queue(&mut self) {
        self.queue.clear();
    }

    /// Decides what to send on this frame tick; see the module docs. When idle, returns
    /// [`FrameOut::Audio`] and leaves `audio` alone. On an error (only reachable through a
    /// bug in packet building) the current digit is abandoned.
    pub fn next_frame(&mut self, rtp: &mut RtpSender, audio: &mut Frame) -> Result<FrameOut, DtmfError> {
        let phase = match std::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::Idle => self.start_next(rtp.next_timestamp()),
            other => other,
        };
        let (out, next) = self.play(phase, rtp, audio)?;
        self.phase = next;
        Ok(out)
    }

    /// The first phase of the next queued digit, or `Idle`.
    fn start_next(&mut self, timestamp: u32) -> Phase {
        let Some(digit) = self.queue.pop_front() else {
            return Phase::Idle;
        };
        match self.method {
            DtmfMethod::InBand { level } => match Tone::dtmf(SAMPLE_RATE, digit, level) {
                Ok(tone) => Phase::InBand { tone, frame: 0 },
                Err(_) => Phase::Idle,
            },
            DtmfMethod::Rfc4733 { payload_type, volume } => {
                match TelephoneEvent::new(digit, false, volume.min(63), 0) {
                    Ok(event) => Phase::Event { event, payload_type, start: timestamp, frame: 0 },
                    Err(_) => Phase::Idle,
                }
            }
            DtmfMethod::Disabled => {
                self.queue.clear();
                Phase::Idle
            }
        }
    }

    /// The phase after the tone: the end copies (events) or the gap.
    fn after_tone(&self, end: Option<([u8; 4], u8, u32)>) -> Phase {
        match end {
            Some((payload, payload_type, timestamp)) if END_COPIES > 1 => {
                Phase::EndCopies { payload, payload_type, timestamp, left: END_COPIES - 1 }
            }
            _ => Phase::Gap { left: self.timing.gap_frames },
        }
    }

    /// Plays one tick of `phase`; returns what to send and the phase for the next tick.
    fn play(
        &self,
        phase: Phase,
        rtp: &mut RtpSender,
        audio: &mut Frame,
    ) -> Result<(FrameOut, Phase), DtmfError> {
        let last_tone_frame = self.timing.tone_frames.saturating_sub(1);
        Ok(match phase {
            Phase::Idle => (FrameOut::Audio, Phase::Idle),
            Phase::InBand { mut tone, frame } => {
                tone.fill(audio);
                let next = if frame >= last_tone_frame {
                    self.after_tone(None)
                } else {
                    Phase::InBand { tone, frame: frame + 1 }
                };
                (FrameOut::Audio, next)
            }
            Phase::Event { event, payload_type, start, frame } => {
                let segment = frame / SEGMENT_FRAMES;
                let step = SEGMENT_FRAMES.wrapping_mul(self.audio_frame_ticks);
                let timestamp = start.wrapping_add(segment.wrapping_mul(step));
                let within = frame % SEGMENT_FRAMES;
                let duration = u16::try_from((within + 1) * FRAME_TICKS).unwrap_or(MAX_DURATION);
                let end = frame >= last_tone_frame;
                let payload = event.with(end, duration).encode();
                let packet = self.send_event(rtp, payload_type, frame == 0, timestamp, &payload)?;
                let next = if end {
                    self.after_tone(Some((payload, payload_type, timestamp)))
                } else {
                    Phase::Event { event, payload_type, start, frame: frame + 1 }
                };
                (FrameOut::Event(packet), next)
            }
            Phase::EndCopies { payload, payload_type, timestamp, left } => {
                let packet = self.send_event(rtp, payload_type, false, timestamp, &payload)?;
                let next = match left.saturating_sub(1) {
                    0 => {
                        // The copies took their ticks out of the gap.
                        let copies = u32::from(END_COPIES - 1);
                        match self.timing.gap_frames.saturating_sub(copies) {
                            0 => Phase::Idle,
                            left => Phase::Gap { left },
                        }
                    }
                    left => Phase::EndCopies { payload, payload_type, timestamp, left },
                };
                (FrameOut::Event(packet), next)
            }
            Phase::Gap { left } => {
                audio.fill(0);
                let next = if left <= 1 { Phase::Idle } else { Phase::Gap { left: left - 1 } };
                (FrameOut::Audio, next)
            }
        })
    }
}

impl DtmfSender {
    /// Builds one telephone-event packet in `rtp`'s stream and lets one frame of audio
    /// time pass.
    fn send_event(
        &self,
        rtp: &mut RtpSender,
        payload_type: u8,
        marker: bool,
        timestamp: u32,
        payload: &[u8],
    ) -> Result<Vec<u8>, DtmfError> {
        let packet = rtp.build_custom(payload_type, marker, timestamp, payload)?;
        rtp.skip(self.audio_frame_ticks);
        Ok(packet)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::media::rtp::parse_rtp;
    use crate::media::tone::{Level, power_dbm0};

    const PT: u8 = 101;

    fn event_sender(tone_ms: u32, gap_ms: u32) -> DtmfSender {
        DtmfSender::new(
            DtmfMethod::Rfc4733 { payload_type: PT, volume: 10 },
            DtmfTiming::from_ms(tone_ms, gap_ms).unwrap(),
        )
    }

    /// One tick: (what was sent as parsed (pt, marker, seq, ts, payload), audio frame).
    fn tick(d: &mut DtmfSender, rtp: &mut RtpSender) -> (u8, bool, u16, u32, Vec<u8>, Frame) {
        let mut audio: Frame = [1234; FRAME_SAMPLES];
        let packet = match d.next_frame(rtp, &mut audio).unwrap() {
            FrameOut::Audio => rtp.build(&[0xFF; FRAME_SAMPLES]).unwrap(),
            FrameOut::Event(p) => p,
        };
        let h = parse_rtp(&packet).unwrap();
        (h.payload_type, h.marker, h.sequence, h.timestamp, h.payload.to_vec(), audio)
    }

    #[test]
    fn events_in_an_opus_stream_skip_48_khz_time() {
        let mut rtp = RtpSender::with_initial(0xABCD, 100, 5000, 111).unwrap();
        let mut d = event_sender(60, 60);
        d.set_audio_frame_ticks(960);
        d.queue("5").unwrap();
        let sent: Vec<_> = (0..6).map(|_| tick(&mut d, &mut rtp)).collect();
        // Durations count 8 kHz units (telephone-event/8000) ...
        assert_eq!(sent[2].4, [5, 0x8A, 1, 0xE0]);
        assert!(sent[..5].iter().all(|s| s.3 == 5000));
        // ... while audio resumes 5 frames of 960 later.
        assert_eq!((sent[5].0, sent[5].3), (111, 5000 + 5 * 960));
    }

    #[test]
    fn worked_example_on_the_wire() {
        let mut rtp = RtpSender::with_initial(0xABCD, 100, 5000, 0).unwrap();
        let mut d = event_sender(60, 60);
        tick(&mut d, &mut rtp); // ordinary audio first: ts 5000, seq 100
        d.queue("5").unwrap();
        let sent: Vec<_> = (0..8).map(|_| tick(&mut d, &mut rtp)).collect();
        let payloads: Vec<&[u8]> = sent[..5].iter().map(|s| s.4.as_slice()).collect();
        assert_eq!(
            payloads,
            [
                &[5, 0x0A, 0, 0xA0][..],
                &[5, 0x0A, 1, 0x40],
                &[5, 0x8A, 1, 0xE0],
                &[5, 0x8A, 1, 0xE0],
                &[5, 0x8A, 1, 0xE0]
            ]
        );
        for (i, s) in sent[..5].iter().enumerate() {
            assert_eq!((s.0, s.1, s.2, s.3), (PT, i == 0, 101 + i as u16, 5160), "packet {i}");
        }
        // Gap: one silent audio frame (the copies used two of three), marked, time ran on.
        assert_eq!((sent[5].0, sent[5].1, sent[5].2, sent[5].3), (0, true, 106, 5160 + 5 * 160));
        assert_eq!(sent[5].5, [0; FRAME_SAMPLES]);
        // Then the microphone again.
        assert_eq!((sent[6].1, sent[6].2, sent[6].3), (false, 107, 5160 + 6 * 160));
        assert_eq!(sent[6].5, [1234; FRAME_SAMPLES]);
        assert!(d.is_idle());
        assert_eq!(rtp.counters().packets, 9);
    }

    #[test]
    fn two_digits_have_their_own_timestamps_and_markers() {
        let mut rtp = RtpSender::with_initial(1, 65534, u32::MAX - 500, 8).unwrap();
        let mut d = event_sender(100, 80);
        d.queue("#9").unwrap();
        assert_eq!(d.pending(), 2);
        let sent: Vec<_> = (0..20).map(|_| tick(&mut d, &mut rtp)).collect();
        // Digit 1: 5 updates + 2 copies; gap 4 frames − 2 copies = 2 audio; digit 2 at tick 9.
        let kinds: String = sent.iter().map(|s| if s.0 == PT { 'E' } else { 'a' }).collect();
        assert_eq!(kinds, "EEEEEEEaaEEEEEEEaaaa");
        let durations: Vec<u16> = sent[..7].iter().map(|s| u16::from_be_bytes([s.4[2], s.4[3]])).collect();
        assert_eq!(durations, [160, 320, 480, 640, 800, 800, 800]);
        let ends: Vec<bool> = sent[..7].iter().map(|s| s.4[1] & 0x80 != 0).collect();
        assert_eq!(ends, [false, false, false, false, true, true, true]);
        assert!(sent[..7].iter().all(|s| s.3 == u32::MAX - 500 && s.4[0] == 11));
        assert!(sent[9..16].iter().all(|s| s.3 == (u32::MAX - 500).wrapping_add(9 * 160) && s.4[0] == 9));
        let markers: Vec<usize> = sent.iter().enumerate().filter(|(_, s)| s.1).map(|(i, _)| i).collect();
        assert_eq!(markers, [0, 7, 9, 16]);
        // Sequence numbers run on across the wrap, one per packet of either kind.
        for (i, s) in sent.iter().enumerate() {
            assert_eq!(s.2, 65534u16.wrapping_add(i as u16));
        }
        assert_eq!(sent[19].3, (u32::MAX - 500).wrapping_add(19 * 160));
    }

    #[test]
    fn long_events_are_segmented() {
        let frames = SEGMENT_FRAMES + 3;
        let mut rtp = RtpSender::with_initial(1, 0, 0, 0).unwrap();
        let mut d = event_sender(frames * FRAME_MS, 60);
        d.queue("0").unwrap();
        let sent: Vec<_> = (0..frames + 2).map(|_| tick(&mut d, &mut rtp)).collect();
        let at = |i: usize| {
            let s = &sent[i];
            (s.1, s.3, u16::from_be_bytes([s.4[2], s.4[3]]), s.4[1] & 0x80 != 0)
        };
        let seg = SEGMENT_FRAMES as usize;
        assert_eq!(at(0), (true, 0, 160, false));
        assert_eq!(at(seg - 1), (false, 0, 65440, false));
        assert_eq!(at(seg), (false, 65440, 160, false));
        assert_eq!(at(seg + 2), (false, 65440, 480, true));
        assert_eq!(at(seg + 4), (false, 65440, 480, true));
        assert!(sent.iter().all(|s| s.0 == PT && u16::from_be_bytes([s.4[2], s.4[3]]) > 0));
        assert_eq!(rtp.next_timestamp(), (frames + 2) * FRAME_TICKS);
    }

    #[test]
    fn in_band_tones_replace_audio_at_the_level() {
        let mut rtp = RtpSender::with_initial(1, 0, 0, 0).unwrap();
        let level = Level::Dbm0(-13.0);
        let mut d = DtmfSender::new(DtmfMethod::InBand { level }, DtmfTiming::default());
        d.queue("7").unwrap();
        let sent: Vec<_> = (0..10).map(|_| tick(&mut d, &mut rtp)).collect();
        assert!(sent.iter().all(|s| s.0 == 0), "in-band sends audio packets only");
        let tone: Vec<i16> = sent[..5].iter().flat_map(|s| s.5).collect();
        let mut expected = vec![0i16; tone.len()];
        Tone::dtmf(8000, '7', level).unwrap().fill(&mut expected);
        assert_eq!(tone, expected);
        // Two components at −13 dBm0 → about −10 dBm0 in total.
        assert!((power_dbm0(&tone) + 9.99).abs() < 0.1, "{}", power_dbm0(&tone));
        assert!(sent[5..8].iter().all(|s| s.5 == [0; FRAME_SAMPLES]));
        assert_eq!(sent[8].5, [1234; FRAME_SAMPLES]);
        assert_eq!(
            sent.iter().map(|s| s.3).collect::<Vec<_>>(),
            (0..10).map(|i| i * 160).collect::<Vec<_>>()
        );
    }

    #[test]
    fn queue_is_all_or_nothing_and_disabled_refuses() {
        let mut d = event_sender(100, 60);
        assert_eq!(d.queue("12z"), Err(DtmfError::InvalidDigit { digit: 'z', position: 2 }));
        assert!(d.is_idle());
        d.queue("ab").unwrap();
        assert_eq!(d.pending(), 2);
        d.clear_queue();
        assert!(d.is_idle());
        let mut off = DtmfSender::new(DtmfMethod::Disabled, DtmfTiming::default());
        assert_eq!(off.queue("1"), Err(DtmfError::Disabled));
        let mut rtp = RtpSender::with_initial(1, 0, 0, 0).unwrap();
        let mut audio = [7; FRAME_SAMPLES];
        assert_eq!(off.next_frame(&mut rtp, &mut audio), Ok(FrameOut::Audio));
        assert_eq!(audio, [7; FRAME_SAMPLES]);
        // Switching to Disabled drops what was queued before it started.
        d.queue("1").unwrap();
        d.set_method(DtmfMethod::Disabled);
        assert_eq!(d.next_frame(&mut rtp, &mut audio), Ok(FrameOut::Audio));
        assert!(d.is_idle());
    }

    #[test]
    fn timing_rounds_up_to_frames_and_has_minimums() {
        let t = DtmfTiming::from_ms(50, 50).unwrap();
        assert_eq!((t.tone_frames(), t.gap_frames()), (3, 3));
        let t = DtmfTiming::from_ms(100, 61).unwrap();
        assert_eq!((t.tone_frames(), t.gap_frames()), (5, 4));
        assert_eq!(DtmfTiming::default(), DtmfTiming::from_ms(100, 60).unwrap());
        assert_eq!(
            DtmfTiming::from_ms(40, 60),
            Err(DtmfError::TooShort { what: "tone", ms: 40, min_ms: MIN_TONE_MS })
        );
        assert_eq!(
            DtmfTiming::from_ms(60, 0),
            Err(DtmfError::TooShort { what: "gap", ms: 0, min_ms: MIN_GAP_MS })
        );
    }
}
