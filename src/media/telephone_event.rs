//! The RFC 4733 telephone-event payload: one DTMF digit's state in four octets.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     event     |E|R|  volume   |          duration             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!   0–15 = 0–9 * # A–D   E = end     −dBm0     timestamp units since
//!   (16 Flash: rejected) R = 0       0–63      the packet's RTP timestamp
//! ```
//!
//! An event is a run of packets that all carry the event's start as their RTP timestamp and
//! a growing duration; the first has the marker bit, the last has E = 1 and is sent
//! [`END_COPIES`] times. Events longer than [`MAX_DURATION`] are split into segments, each
//! starting a new timestamp where the previous one ended (RFC 4733 §2.5.1.3).
//!
//! This module only reads and writes the payload. [`super::dtmf_sender`] paces the packets
//! onto an audio stream and [`super::dtmf_receiver`] turns received ones back into digits.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::tone::{dtmf_digit_from_event, dtmf_event_code};

/// Octets in one telephone-event payload.
pub const PAYLOAD_LEN: usize = 4;
/// Times the final (E = 1) packet of an event is sent (RFC 4733 §2.5.1.4).
pub const END_COPIES: u8 = 3;
/// The longest duration one packet (one segment) can carry, in timestamp units.
pub const MAX_DURATION: u16 = u16::MAX;
/// The largest volume field: −63 dBm0.
pub const MAX_VOLUME: u8 = 63;
/// The highest event code supported: `D` (Flash, 16, is not).
pub const MAX_DTMF_EVENT: u8 = 15;

/// Why a telephone-event payload could not be read or built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TelephoneEventError {
    /// The payload is not exactly four octets.
    #[error("telephone-event payload of {0} octets, expected 4")]
    BadLength(usize),
    /// An event code other than the 16 DTMF digits (Flash and the other RFC 4734 events).
    #[error("telephone-event code {0} is not a DTMF digit (0-15)")]
    UnsupportedEvent(u8),
    /// A character that is not one of the 16 DTMF digits.
    #[error("{0:?} is not a DTMF digit")]
    NotDtmf(char),
    /// A volume above 63.
    #[error("telephone-event volume {0} is above 63")]
    BadVolume(u8),
}

/// One telephone-event payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Event code, 0–15 (`0`–`9`, `*` = 10, `#` = 11, `A`–`D` = 12–15).
    code: u8,
    /// E bit: this is the final packet of the event.
    pub end: bool,
    /// Tone power as −dBm0 (0–63; larger is quieter).
    volume: u8,
    /// Time since the event (or segment) started, in timestamp units.
    pub duration: u16,
}

impl TelephoneEvent {
    /// The payload for `digit` (`0`–`9`, `*`, `#`, `A`–`D`; lower case accepted).
    pub fn new(
        digit: char,
        end: bool,
        volume: u8,
        duration: u16,
    ) -> Result<TelephoneEvent, TelephoneEventError> {
        let code = dtmf_event_code(digit).ok_or(TelephoneEventError::NotDtmf(digit))?;
        if volume > MAX_VOLUME {
            return Err(TelephoneEventError::BadVolume(volume));
        }
        Ok(TelephoneEvent { code, end, volume, duration })
    }

    /// Reads a payload. The R bit is ignored, as RFC 4733 §2.3 asks of receivers.
    pub fn decode(payload: &[u8]) -> Result<TelephoneEvent, TelephoneEventError> {
        let &[code, flags, hi, lo] = payload else {
            return Err(TelephoneEventError::BadLength(payload.len()));
        };
        if code > MAX_DTMF_EVENT {
            return Err(TelephoneEventError::UnsupportedEvent(code));
        }
        Ok(TelephoneEvent {
            code,
            end: flags & 0x80 != 0,
            volume: flags & 0x3F,
            duration: u16::from_be_bytes([hi, lo]),
        })
    }

    /// The four payload octets (R sent as 0).
    pub fn encode(&self) -> [u8; PAYLOAD_LEN] {
        let [hi, lo] = self.duration.to_be_bytes();
        [self.code, (u8::from(self.end) << 7) | (self.volume & 0x3F), hi, lo]
    }

    /// The event code, 0–15.
    pub fn code(&self) -> u8 {
        self.code
    }

    /// The digit this event stands for.
    pub fn digit(&self) -> char {
        // `code` is checked to be 0–15 on every way in, so the fallback is never taken.
        dtmf_digit_from_event(self.code).unwrap_or('?')
    }

    /// The volume field: the tone's power as −dBm0.
    pub fn volume(&self) -> u8 {
        self.volume
    }

    /// The same event with the E bit and a new duration (an update or the end).
    pub fn with(self, end: bool, duration: u16) -> TelephoneEvent {
        TelephoneEvent { end, duration, ..self }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn worked_example_bytes() {
        // Digit 5, volume 10, 20 ms updates, 480 ticks (rtp-rtcp-dtmf.md).
        let e = TelephoneEvent::new('5', false, 10, 160).unwrap();
        assert_eq!(e.encode(), [0x05, 0x0A, 0x00, 0xA0]);
        assert_eq!(e.with(false, 320).encode(), [0x05, 0x0A, 0x01, 0x40]);
        assert_eq!(e.with(true, 480).encode(), [0x05, 0x8A, 0x01, 0xE0]);
    }

    #[test]
    fn decode_reads_fields_and_ignores_r() {
        let e = TelephoneEvent::decode(&[0x0B, 0xC0 | 63, 0xFF, 0xFF]).unwrap();
        assert_eq!((e.digit(), e.code(), e.end, e.volume(), e.duration), ('#', 11, true, 63, 0xFFFF));
        assert_eq!(e.encode(), [0x0B, 0x80 | 63, 0xFF, 0xFF]); // R cleared
        let e = TelephoneEvent::decode(&[0x0F, 0x07, 0x00, 0x01]).unwrap();
        assert_eq!((e.digit(), e.end, e.volume(), e.duration), ('D', false, 7, 1));
    }

    #[test]
    fn every_digit_round_trips() {
        for (code, d) in "0123456789*#ABCD".chars().enumerate() {
            let e = TelephoneEvent::new(d, code % 2 == 0, code as u8, 1000 + code as u16).unwrap();
            assert_eq!(e.code(), code as u8);
            assert_eq!(TelephoneEvent::decode(&e.encode()), Ok(e));
        }
        assert_eq!(TelephoneEvent::new('a', false, 0, 1).unwrap().digit(), 'A');
    }

    #[test]
    fn malformed_payloads_are_errors() {
        assert_eq!(TelephoneEvent::decode(&[]), Err(TelephoneEventError::BadLength(0)));
        assert_eq!(TelephoneEvent::decode(&[5, 10, 0]), Err(TelephoneEventError::BadLength(3)));
        assert_eq!(TelephoneEvent::decode(&[5, 10, 0, 160, 0]), Err(TelephoneEventError::BadLength(5)));
        assert_eq!(TelephoneEvent::decode(&[16, 10, 0, 160]), Err(TelephoneEventError::UnsupportedEvent(16)));
        assert_eq!(TelephoneEvent::new('x', false, 10, 1), Err(TelephoneEventError::NotDtmf('x')));
        assert_eq!(TelephoneEvent::new('1', false, 64, 1), Err(TelephoneEventError::BadVolume(64)));
        assert_eq!(
            TelephoneEventError::UnsupportedEvent(16).to_string(),
            "telephone-event code 16 is not a DTMF digit (0-15)"
        );
    }

    proptest! {
        #[test]
        fn arbitrary_payloads_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..12)) {
            match TelephoneEvent::decode(&bytes) {
                Ok(e) => {
                    prop_assert_eq!(bytes.len(), 4);
                    prop_assert!(e.code() <= MAX_DTMF_EVENT);
                    prop_assert_eq!(TelephoneEvent::decode(&e.encode()), Ok(e));
                }
                Err(TelephoneEventError::BadLength(n)) => prop_assert_ne!(n, 4),
                Err(TelephoneEventError::UnsupportedEvent(c)) => prop_assert!(c > MAX_DTMF_EVENT),
                Err(e) => prop_assert!(false, "unexpected {e:?}"),
            }
        }
    }
}
