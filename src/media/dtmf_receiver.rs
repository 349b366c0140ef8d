//! Receiving DTMF: RFC 4733 telephone-events back into digits, reported as [`DigitEvent`]s.
//!
//! A [`TelephoneEventReceiver`] is fed every packet of the audio stream in playout order
//! (event packets and audio packets alike) and reports each digit **once, when it ends**,
//! with its final duration:
//!
//! ```text
//!  event packets, ts = T ───▶ same T as the digit in progress? ─ yes ─▶ update duration;
//!                               │ no                                     E bit → report
//!                               ▼
//!                             older than the last digit (≤ 10 s)? ─ yes ─▶ ignore (a late
//!                               │ no                                       copy or update)
//!                               ▼
//!                             next segment of a long digit? ─ yes ─▶ carry on
//!                               │ no
//!                               ▼
//!                             report the digit in progress (its end was lost), start a new one
//!
//!  audio packets, ts ───▶ more than `timeout` past the digit's known end? ─▶ report it
//! ```
//!
//! So the three copies of the end packet and repeated updates count once (they share the
//! event's timestamp, RFC 4733 §2.5.2); an event whose first packets were lost starts on the
//! first one that arrives (every packet carries the start timestamp and the duration so
//! far); an event whose end packets were all lost is reported when the next event starts,
//! when audio shows that time went on, or on [`TelephoneEventReceiver::finish`]. Two presses
//! of the same digit differ by timestamp. Malformed payloads are errors and change nothing.
//!
//! A segment of a long event (§2.5.1.3) is recognised by the previous segment having reached
//! within one second of the 16-bit duration limit, with the same digit, and the new
//! timestamp lying no further than 0xFFFF after it.
//!
//! In-band digits are reported through the same [`DigitEvent`] by [`super::dtmf_inband`].

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::rtp::G711_CLOCK_RATE;
use super::telephone_event::{MAX_DURATION, TelephoneEvent, TelephoneEventError};

/// Default for how far audio may run past an unended event's known end before it is taken
/// as over: 800 timestamp units (100 ms, five lost updates at 20 ms).
pub const DEFAULT_TIMEOUT_TICKS: u32 = 800;
/// A packet up to this many timestamp units older than the newest event is a late copy, and
/// ignored; anything further back is taken as a new stream (10 s at 8 kHz).
pub const STALE_WINDOW_TICKS: u32 = 80_000;
/// A digit reaching this duration may continue in a new segment (one second short of 0xFFFF).
pub const SEGMENT_CONTINUES_AT: u16 = MAX_DURATION - 8000;

/// How a digit was received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigitSource {
    /// RFC 4733 telephone-event packets; how the end was recognised.
    TelephoneEvent(EventEnd),
    /// Dual tones found in the decoded audio.
    InBand,
}

/// How the end of a telephone-event was recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventEnd {
    /// A packet with the E bit.
    EndBit,
    /// Its end packets were lost: the next event began.
    NextEvent,
    /// Its end packets were lost: audio ran on past it.
    Timeout,
    /// Its end packets were lost: the stream stopped ([`TelephoneEventReceiver::finish`]).
    Finished,
}

/// One digit received from the peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DigitEvent {
    /// `0`–`9`, `*`, `#`, `A`–`D`.
    pub digit: char,
    /// RTP timestamp of the digit's start.
    pub start_timestamp: u32,
    /// Length of the tone, in milliseconds (as far as it is known when it ends).
    pub duration_ms: u32,
    /// The announced power as −dBm0 (RFC 4733); `None` for in-band digits.
    pub volume: Option<u8>,
    /// Where it came from.
    pub source: DigitSource,
}

/// The digit in progress.
#[derive(Clone, Copy, Debug)]
struct Active {
    event: TelephoneEvent,
    /// Timestamp of the first segment: the digit's start.
    start: u32,
    /// Timestamp of the current segment.
    segment: u32,
    /// Timestamp units of the segments before the current one.
    earlier: u64,
    /// Longest duration seen in the current segment.
    duration: u16,
}

impl Active {
    fn report(&self, end: EventEnd) -> DigitEvent {
        let ticks = self.earlier + u64::from(self.duration);
        DigitEvent {
            digit: self.event.digit(),
            start_timestamp: self.start,
            duration_ms: u32::try_from(ticks * 1000 / u64::from(G711_CLOCK_RATE)).unwrap_or(u32::MAX),
            volume: Some(self.event.volume()),
            source: DigitSource::TelephoneEvent(end),
        }
    }
}

/// Turns received telephone-event packets of one payload type into digits.
#[derive(Clone, Debug)]
pub struct TelephoneEventReceiver {
    payload_type: u8,
    timeout: u32,
    /// Audio timestamp units per event timestamp unit (6 for Opus beside 8 kHz events).
    audio_ratio: u32,
    active: Option<Active>,
    /// Segment timestamp of the newest event already reported.
    last_ended: Option<u32>,
}

/// True if `ts` is at or up to [`STALE_WINDOW_TICKS`] before `reference`.
fn not_after(ts: u32, reference: u32) -> bool {
    reference.wrapping_sub(ts) < STALE_WINDOW_TICKS
}

impl TelephoneEventReceiver {
    /// A receiver for events with `payload_type` (the number in *our* SDP), 8 kHz clock,
    /// [`DEFAULT_TIMEOUT_TICKS`].
    pub fn new(payload_type: u8) -> TelephoneEventReceiver {
        TelephoneEventReceiver {
            payload_type,
            timeout: DEFAULT_TIMEOUT_TICKS,
            audio_ratio: 1,
            active: None,
            last_ended: None,
        }
    }

    /// The same with another timeout, in timestamp units past the event's known end.
    pub fn with_timeout(self, ticks: u32) -> TelephoneEventReceiver {
        TelephoneEventReceiver { timeout: ticks, ..self }
    }

    /// The same for an audio stream whose RTP clock is `ratio` times the events' 8 kHz
    /// (6 for Opus): audio timestamps are measured from the event's start in its units.
    pub fn with_audio_ratio(self, ratio: u32) -> TelephoneEventReceiver {
        TelephoneEventReceiver { audio_ratio: ratio.max(1), ..self }
    }

    /// The payload type of events.
    pub fn payload_type(&self) -> u8 {
        self.payload_type
    }

    /// The digit held down now (started, not yet ended), if any.
    pub fn pressed(&self) -> Option<char> {
        self.active.map(|a| a.event.digit())
    }

    /// Feeds one packet of the stream: an event if `payload_type` is ours, else audio.
    /// Ended digits are appended to `out`.
    pub fn on_packet(
        &mut self,
        payload_type: u8,
        timestamp: u32,
        payload: &[u8],
        out: &mut Vec<DigitEvent>,
    ) -> Result<(), TelephoneEventError> {
        if payload_type == self.payload_type {
            self.on_event(timestamp, payload, out)
        } else {
            self.on_audio(timestamp, out);
            Ok(())
        }
    }

    /// Feeds an audio packet's timestamp: ends a digit whose end packets were lost once
    /// audio is more than the timeout past its known end.
    pub fn on_audio(&mut self, timestamp: u32, out: &mut Vec<DigitEvent>) {
        let Some(active) = self.active else { return };
        // Ahead of the segment's start (less than half the timestamp space: behind, and so
        // reordered, otherwise), and by more than the timeout past its known end.
        let since = timestamp.wrapping_sub(active.segment);
        let past = (since / self.audio_ratio).checked_sub(u32::from(active.duration));
        if since < 1 << 31 && past.is_some_and(|p| p > self.timeout) {
            self.end(EventEnd::Timeout, out);
        }
    }

    /// Feeds a telephone-event payload with its RTP timestamp.
    pub fn on_event(
        &mut self,
        timestamp: u32,
        payload: &[u8],
        out: &mut Vec<DigitEvent>,
    ) -> Result<(), TelephoneEventError> {
        let event = TelephoneEvent::decode(payload)?;
        match self.active {
            Some(a) if a.segment == timestamp => self.update(event, out),
            Some(a) if not_after(timestamp, a.segment) => {} // late packet of an older event
            Some(a) if Self::continues(&a, &event, timestamp) => {
                let length = timestamp.wrapping_sub(a.segment);
                self.active = Some(Active {
                    segment: timestamp,
                    earlier: a.earlier + u64::from(length),
                    duration: 0,
                    ..a
                });
                self.update(event, out);
            }
            Some(_) => {
                self.end(EventEnd::NextEvent, out);
                self.begin(event, timestamp, out);
            }
            None if self.last_ended.is_some_and(|last| not_after(timestamp, last)) => {}
            None => self.begin(event, timestamp, out),
        }
        Ok(())
    }

    /// Reports a digit still in progress (the call's media stopped).
    pub fn finish(&mut self, out: &mut Vec<DigitEvent>) {
        self.end(EventEnd::Finished, out);
    }

    /// Forgets all state (the stream restarted with a new SSRC and timestamps).
    pub fn reset(&mut self) {
        self.active = None;
        self.last_ended = None;
    }

    fn continues(a: &Active, event: &TelephoneEvent, timestamp: u32) -> bool {
        let step = timestamp.wrapping_sub(a.segment);
        event.code() == a.event.code()
            && a.duration >= SEGMENT_CONTINUES_AT
            && step >= u32::from(a.duration)
            && step <= u32::from(MAX_DURATION)
    }

    fn begin(&mut self, event: TelephoneEvent, timestamp: u32, out: &mut Vec<DigitEvent>) {
        self.active = Some(Active { event, start: timestamp, segment: timestamp, earlier: 0, duration: 0 });
        self.update(event, out);
    }

    fn update(&mut self, event: TelephoneEvent, out: &mut Vec<DigitEvent>) {
        let Some(a) = self.active.as_mut() else { return };
        a.duration = a.duration.max(event.duration);
        if event.end {
            self.end(EventEnd::EndBit, out);
        }
    }

    fn end(&mut self, how: EventEnd, out: &mut Vec<DigitEvent>) {
        if let Some(a) = self.active.take() {
            out.push(a.report(how));
            self.last_ended = Some(a.segment);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use proptest::prelude::*;

    const PT: u8 = 101;

    fn ev(d: char, end: bool, dur: u16) -> [u8; 4] {
        TelephoneEvent::new(d, end, 10, dur).unwrap().encode()
    }

    fn feed(rx: &mut TelephoneEventReceiver, packets: &[(u32, [u8; 4])]) -> Vec<DigitEvent> {
        let mut out = Vec::new();
        for (ts, p) in packets {
            rx.on_event(*ts, p, &mut out).unwrap();
        }
        out
    }

    fn digit(d: char, start: u32, ms: u32, end: EventEnd) -> DigitEvent {
        DigitEvent {
            digit: d,
            start_timestamp: start,
            duration_ms: ms,
            volume: Some(10),
            source: DigitSource::TelephoneEvent(end),
        }
    }

    #[test]
    fn end_copies_and_repeated_updates_count_once() {
        let mut rx = TelephoneEventReceiver::new(PT);
        let t = 1000;
        let got =
            feed(&mut rx, &[(t, ev('5', false, 160)), (t, ev('5', false, 320)), (t, ev('5', false, 320))]);
        assert!(got.is_empty());
        assert_eq!(rx.pressed(), Some('5'));
        let got = feed(&mut rx, &[(t, ev('5', true, 480)), (t, ev('5', true, 480)), (t, ev('5', true, 480))]);
        assert_eq!(got, [digit('5', t, 60, EventEnd::EndBit)]);
        assert_eq!(rx.pressed(), None);
        // A very late update of the same event is ignored too.
        assert!(feed(&mut rx, &[(t, ev('5', false, 320))]).is_empty());
    }

    #[test]
    fn lost_first_packets() {
        let mut rx = TelephoneEventReceiver::new(PT);
        let got = feed(&mut rx, &[(500, ev('9', false, 480)), (500, ev('9', true, 800))]);
        assert_eq!(got, [digit('9', 500, 100, EventEnd::EndBit)]);
        // Only an end copy made it.
        let got = feed(&mut rx, &[(5000, ev('1', true, 640)), (5000, ev('1', true, 640))]);
        assert_eq!(got, [digit('1', 5000, 80, EventEnd::EndBit)]);
    }

    #[test]
    fn lost_end_packets_end_on_next_event_timeout_or_finish() {
        let mut rx = TelephoneEventReceiver::new(PT);
        let mut got = feed(&mut rx, &[(0, ev('4', false, 160)), (0, ev('4', false, 320))]);
        assert!(got.is_empty());
        // The next event begins: the first is reported, with the duration it had reached.
        got.extend(feed(&mut rx, &[(1280, ev('4', false, 160))]));
        assert_eq!(got, [digit('4', 0, 40, EventEnd::NextEvent)]);
        // Audio within the timeout does not end it; beyond does.
        let mut out = Vec::new();
        rx.on_packet(0, 1280 + 160 + 800, &[0xFF; 160], &mut out).unwrap();
        assert!(out.is_empty());
        rx.on_packet(0, 1280 + 160 + 801, &[0xFF; 160], &mut out).unwrap();
        assert_eq!(out, [digit('4', 1280, 20, EventEnd::Timeout)]);
        // Audio from before the event (reordered) never ends it.
        feed(&mut rx, &[(9000, ev('*', false, 320))]);
        rx.on_audio(8000, &mut out);
        assert_eq!(out.len(), 1);
        rx.finish(&mut out);
        assert_eq!(out[1], digit('*', 9000, 40, EventEnd::Finished));
        rx.finish(&mut out);
        assert_eq!(out.len(), 2);
        // Audio far ahead (a long silence-suppressed pause) ends an unended digit too.
        feed(&mut rx, &[(20_000, ev('8', false, 160))]);
        rx.on_audio(20_000 + 160_000, &mut out);
        assert_eq!(out[2], digit('8', 20_000, 20, EventEnd::Timeout));
    }

    #[test]
    fn opus_audio_clock_is_scaled_for_the_timeout() {
        // Events at 8 kHz durations, audio timestamps at 48 kHz (6 per event unit).
        let mut rx = TelephoneEventReceiver::new(PT).with_audio_ratio(6);
        feed(&mut rx, &[(60_000, ev('3', false, 320))]);
        let mut out = Vec::new();
        // 1000 event units after the start: within 320 + 800.
        rx.on_audio(60_000 + 6 * 1000, &mut out);
        assert!(out.is_empty(), "an unscaled clock would have ended it: {out:?}");
        rx.on_audio(60_000 + 6 * 1121, &mut out);
        assert_eq!(out, [digit('3', 60_000, 40, EventEnd::Timeout)]);
    }

    #[test]
    fn same_digit_twice_is_two_events() {
        let mut rx = TelephoneEventReceiver::new(PT);
        let got = feed(
            &mut rx,
            &[
                (100, ev('7', false, 160)),
                (100, ev('7', true, 320)),
                (100, ev('7', true, 320)),
                (900, ev('7', false, 160)),
                (100, ev('7', true, 320)), // reordered copy from the first press
                (900, ev('7', true, 480)),
            ],
        );
        assert_eq!(got, [digit('7', 100, 40, EventEnd::EndBit), digit('7', 900, 60, EventEnd::EndBit)]);
    }

    #[test]
    fn segments_join_into_one_digit() {
        let mut rx = TelephoneEventReceiver::new(PT);
        let t = u32::MAX - 1000; // across the timestamp wrap
        let next = t.wrapping_add(65440);
        let got = feed(
            &mut rx,
            &[
                (t, ev('0', false, 65280)),
                (t, ev('0', false, 65440)),
                (next, ev('0', false, 160)),
                (next, ev('0', true, 480)),
            ],
        );
        assert_eq!(got, [digit('0', t, (65440 + 480) / 8, EventEnd::EndBit)]);
        // A short unended digit followed by the same digit is not a segment.
        let got = feed(
            &mut rx,
            &[(next.wrapping_add(8000), ev('0', false, 800)), (next.wrapping_add(9600), ev('0', true, 160))],
        );
        assert_eq!(got[0].source, DigitSource::TelephoneEvent(EventEnd::NextEvent));
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn malformed_payloads_are_errors_and_change_nothing() {
        let mut rx = TelephoneEventReceiver::new(PT);
        let mut out = Vec::new();
        rx.on_event(0, &ev('3', false, 160), &mut out).unwrap();
        assert_eq!(rx.on_event(160, &[3, 10, 0], &mut out), Err(TelephoneEventError::BadLength(3)));
        assert_eq!(
            rx.on_packet(PT, 160, &[16, 10, 0, 160], &mut out),
            Err(TelephoneEventError::UnsupportedEvent(16))
        );
        assert_eq!(rx.pressed(), Some('3'));
        assert!(out.is_empty());
        rx.reset();
        assert_eq!(rx.pressed(), None);
        assert_eq!(rx.payload_type(), PT);
    }

    #[test]
    fn a_new_stream_far_behind_is_not_stale() {
        let mut rx = TelephoneEventReceiver::new(PT).with_timeout(100);
        let got = feed(&mut rx, &[(1_000_000, ev('2', true, 160)), (5, ev('6', true, 160))]);
        assert_eq!(got.iter().map(|d| d.digit).collect::<String>(), "26");
    }

    proptest! {
        #[test]
        fn arbitrary_packets_never_panic(
            packets in proptest::collection::vec(
                (any::<bool>(), any::<u32>(), proptest::collection::vec(any::<u8>(), 0..8)), 0..40)
        ) {
            let mut rx = TelephoneEventReceiver::new(PT);
            let mut out = Vec::new();
            for (is_event, ts, payload) in &packets {
                let pt = if *is_event { PT } else { 0 };
                let _ = rx.on_packet(pt, *ts, payload, &mut out);
            }
            rx.finish(&mut out);
            prop_assert!(rx.pressed().is_none());
            let events = packets.iter().filter(|p| p.0 && p.2.len() == 4 && p.2[0] <= 15).count();
            prop_assert!(out.len() <= events);
        }
    }
}
