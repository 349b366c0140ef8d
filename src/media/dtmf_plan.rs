//! How a call carries DTMF: the 7940's `dtmf_*` settings plus what SDP negotiated.
//!
//! The Cisco SIP IP phone administrator guide defines the settings this way:
//!
//! * `dtmf_outofband` — `none`: never send digits out of band. `avt`: if the remote side asks
//!   for it (its SDP has telephone-event), send them out of band *and disable in-band DTMF*;
//!   otherwise not out of band. `avt_always`: always send them out of band; this disables
//!   in-band DTMF.
//! * `dtmf_inband` — whether to generate and detect in-band DTMF (1, the default) or not.
//! * `dtmf_db_level` — in-band tone level, 1–5: 6 dB below nominal, 3 below, nominal,
//!   3 above, 6 above.
//! * `dtmf_avt_payload` — the telephone-event payload type we offer (96–127, default 101).
//!
//! which [`DtmfPlan::new`] turns into one sending method per call:
//!
//! ```text
//!  dtmf_outofband  peer has telephone-event   dtmf_inband=1           dtmf_inband=0
//!  ──────────────  ────────────────────────   ─────────────────────   ─────────────
//!  none            (never offered)            InBand                  Disabled
//!  avt             yes (PT p)                 Rfc4733(p)              Rfc4733(p)
//!  avt             no                         InBand                  Disabled
//!  avt_always      yes (PT p)                 Rfc4733(p)              Rfc4733(p)
//!  avt_always      no                         Rfc4733(dtmf_avt_payload), regardless
//! ```
//!
//! The last row follows the phone's "always", and so departs from RFC 4733 §2.5.1.1 (do not
//! send events the receiver did not list): a peer without telephone-event will drop those
//! packets, which is what the setting asks for. In-band detection of received audio follows
//! generation: on when `dtmf_inband` is set and events are not in use, so that a peer that
//! sends both does not have each digit reported twice.
//!
//! # Levels
//!
//! "Nominal" is not given in dBm0 by the guide; this module takes −10 dBm0 per frequency
//! component (the level RFC 4733 senders typically announce), so levels 1–5 are −16, −13,
//! −10, −7 and −4 dBm0 per component. Out-of-range
//! values (the config parser only admits 1–5) are clamped to 1–5. The RFC 4733 volume field
//! announces the same per-component level with the sign dropped (16, 13, 10, 7, 4).

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::rtp::RtpError;
use super::tone::{Level, dtmf_event_code};
use crate::config::groups::MediaConfig;
use crate::config::value::DtmfOutOfBand;

/// Per-component level of a DTMF tone at `dtmf_db_level` 3, in dBm0.
pub const NOMINAL_DTMF_DBM0: i8 = -10;
/// Step between adjacent `dtmf_db_level` values, in dB.
pub const DB_LEVEL_STEP: i8 = 3;
/// The `dtmf_avt_payload` the phone falls back to when the configured one is not 96–127.
pub const DEFAULT_AVT_PAYLOAD: u8 = 101;

/// Why digits could not be queued or sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DtmfError {
    /// A character that is not `0`–`9`, `*`, `#` or `A`–`D`.
    #[error("{digit:?} at position {position} is not a DTMF digit (0-9 * # A-D)")]
    InvalidDigit {
        /// The offending character.
        digit: char,
        /// Its index (in characters) in the string given.
        position: usize,
    },
    /// `dtmf_outofband` and `dtmf_inband` leave no way to send digits on this call.
    #[error("DTMF is disabled on this call (no telephone-event and dtmf_inband 0)")]
    Disabled,
    /// A tone or gap shorter than the minimum.
    #[error("DTMF {what} of {ms} ms is shorter than the {min_ms} ms minimum")]
    TooShort {
        /// `"tone"` or `"gap"`.
        what: &'static str,
        /// The duration asked for.
        ms: u32,
        /// The minimum.
        min_ms: u32,
    },
    /// The RTP packet could not be built (only reachable through a bug).
    #[error("telephone-event packet could not be built: {0}")]
    Rtp(#[from] RtpError),
}

/// Checks a digit string and returns its digits in upper case.
///
/// Every character must be `0`–`9`, `*`, `#` or `A`–`D` (`a`–`d` accepted); the first one
/// that is not is named in the error, and nothing is returned.
pub fn parse_digits(digits: &str) -> Result<Vec<char>, DtmfError> {
    digits
        .chars()
        .enumerate()
        .map(|(position, digit)| match dtmf_event_code(digit) {
            Some(_) => Ok(digit.to_ascii_uppercase()),
            None => Err(DtmfError::InvalidDigit { digit, position }),
        })
        .collect()
}

/// The per-component tone level in dBm0 for a `dtmf_db_level` (1–5, clamped).
pub fn db_level_dbm0(db_level: u8) -> i8 {
    let steps = i8::try_from(db_level.clamp(1, 5)).unwrap_or(3) - 3;
    NOMINAL_DTMF_DBM0 + steps * DB_LEVEL_STEP
}

/// The in-band tone [`Level`] for a `dtmf_db_level`.
pub fn db_level_tone(db_level: u8) -> Level {
    Level::Dbm0(f64::from(db_level_dbm0(db_level)))
}

/// The RFC 4733 volume field (−dBm0) for a `dtmf_db_level`: 16, 13, 10, 7 or 4.
pub fn db_level_volume(db_level: u8) -> u8 {
    db_level_dbm0(db_level).unsigned_abs()
}

/// How digits are sent on one call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DtmfMethod {
    /// Dual tones written into the audio frames.
    InBand {
        /// Level of each of the two components.
        level: Level,
    },
    /// RFC 4733 telephone-event packets in the audio stream.
    Rfc4733 {
        /// The payload type to send them with.
        payload_type: u8,
        /// The volume field, −dBm0.
        volume: u8,
    },
    /// Digits cannot be sent.
    Disabled,
}

/// The DTMF decisions for one call; see the module docs for the table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DtmfPlan {
    /// How digits are sent.
    pub send: DtmfMethod,
    /// Whether decoded audio from the peer is searched for in-band digits.
    pub detect_inband: bool,
}

impl DtmfPlan {
    /// The plan for a call with `config`, where SDP negotiated telephone-event with the
    /// peer's payload type `negotiated` (`Media::dtmf_payload`), or not (`None`).
    pub fn new(config: &MediaConfig, negotiated: Option<u8>) -> DtmfPlan {
        let configured = if (96..=127).contains(&config.dtmf_avt_payload) {
            config.dtmf_avt_payload
        } else {
            DEFAULT_AVT_PAYLOAD
        };
        let event_pt = match (config.dtmf_outofband, negotiated.filter(|pt| *pt <= 127)) {
            (DtmfOutOfBand::None, _) => None,
            (DtmfOutOfBand::Avt, pt) => pt,
            (DtmfOutOfBand::AvtAlways, pt) => Some(pt.unwrap_or(configured)),
        };
        let send = match event_pt {
            Some(payload_type) => {
                DtmfMethod::Rfc4733 { payload_type, volume: db_level_volume(config.dtmf_db_level) }
            }
            None if config.dtmf_inband => DtmfMethod::InBand { level: db_level_tone(config.dtmf_db_level) },
            None => DtmfMethod::Disabled,
        };
        DtmfPlan { send, detect_inband: config.dtmf_inband && event_pt.is_none() }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn config(outofband: DtmfOutOfBand, inband: bool) -> MediaConfig {
        MediaConfig { dtmf_outofband: outofband, dtmf_inband: inband, ..MediaConfig::default() }
    }

    #[test]
    fn policy_table() {
        use DtmfOutOfBand::{Avt, AvtAlways, None as Oob};
        let inband = DtmfMethod::InBand { level: Level::Dbm0(-10.0) };
        let ev = |payload_type| DtmfMethod::Rfc4733 { payload_type, volume: 10 };
        // (outofband, dtmf_inband, negotiated) → (send, detect_inband)
        let table = [
            (Oob, true, Some(96), inband, true),
            (Oob, true, None, inband, true),
            (Oob, false, Some(96), DtmfMethod::Disabled, false),
            (Oob, false, None, DtmfMethod::Disabled, false),
            (Avt, true, Some(96), ev(96), false),
            (Avt, true, None, inband, true),
            (Avt, false, Some(96), ev(96), false),
            (Avt, false, None, DtmfMethod::Disabled, false),
            (AvtAlways, true, Some(96), ev(96), false),
            (AvtAlways, true, None, ev(101), false),
            (AvtAlways, false, Some(96), ev(96), false),
            (AvtAlways, false, None, ev(101), false),
        ];
        for (oob, ib, neg, send, detect) in table {
            let plan = DtmfPlan::new(&config(oob, ib), neg);
            assert_eq!(plan, DtmfPlan { send, detect_inband: detect }, "{oob:?} inband={ib} {neg:?}");
        }
    }

    #[test]
    fn avt_always_uses_configured_payload_or_101() {
        let mut c = config(DtmfOutOfBand::AvtAlways, true);
        c.dtmf_avt_payload = 120;
        assert_eq!(DtmfPlan::new(&c, None).send, DtmfMethod::Rfc4733 { payload_type: 120, volume: 10 });
        c.dtmf_avt_payload = 200;
        assert_eq!(DtmfPlan::new(&c, None).send, DtmfMethod::Rfc4733 { payload_type: 101, volume: 10 });
        // A negotiated number that cannot be an RTP payload type counts as not negotiated.
        assert_eq!(DtmfPlan::new(&c, Some(128)).send, DtmfMethod::Rfc4733 { payload_type: 101, volume: 10 });
    }

    #[test]
    fn db_levels() {
        let got: Vec<(i8, u8)> = (0..=6).map(|l| (db_level_dbm0(l), db_level_volume(l))).collect();
        assert_eq!(got, [(-16, 16), (-16, 16), (-13, 13), (-10, 10), (-7, 7), (-4, 4), (-4, 4)]);
        assert_eq!(db_level_tone(5), Level::Dbm0(-4.0));
        let mut c = config(DtmfOutOfBand::Avt, true);
        c.dtmf_db_level = 1;
        assert_eq!(DtmfPlan::new(&c, None).send, DtmfMethod::InBand { level: Level::Dbm0(-16.0) });
        assert_eq!(DtmfPlan::new(&c, Some(101)).send, DtmfMethod::Rfc4733 { payload_type: 101, volume: 16 });
    }

    #[test]
    fn digit_strings() {
        assert_eq!(
            parse_digits("1234567890*#abcdABCD").unwrap().iter().collect::<String>(),
            "1234567890*#ABCDABCD"
        );
        assert_eq!(parse_digits("").unwrap(), Vec::<char>::new());
        assert_eq!(parse_digits("12x4"), Err(DtmfError::InvalidDigit { digit: 'x', position: 2 }));
        assert_eq!(parse_digits("1 2"), Err(DtmfError::InvalidDigit { digit: ' ', position: 1 }));
        assert_eq!(parse_digits("É"), Err(DtmfError::InvalidDigit { digit: 'É', position: 0 }));
        assert_eq!(parse_digits("E"), Err(DtmfError::InvalidDigit { digit: 'E', position: 0 }));
        assert_eq!(
            parse_digits("5e").unwrap_err().to_string(),
            "'e' at position 1 is not a DTMF digit (0-9 * # A-D)"
        );
    }
}
