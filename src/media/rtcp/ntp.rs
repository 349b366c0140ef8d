//! NTP-format timestamps for RTCP, derived from a monotonic [`Instant`] and a wall-clock base
//! handed in by the caller.
//!
//! ```text
//!  WallClock { at: Instant, unix: Duration since 1970 }
//!        │  now − at (may be negative)
//!        ▼
//!  unix time at `now` ──+ 2 208 988 800 s──▶ NtpTime (s since 1900 << 32 | fraction 2⁻³²)
//!                                              └─ middle32(): the LSR / "A" form (16.16 s)
//! ```
//!
//! Nothing here reads a clock: the caller samples `SystemTime` once at the edge and pairs it
//! with the `Instant` it was sampled at.

use std::time::{Duration, Instant};

/// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
pub const NTP_UNIX_OFFSET_SECS: u64 = 2_208_988_800;

/// A 64-bit NTP timestamp: seconds since 1900 in the high word, the fraction (units of
/// 2⁻³² s) in the low word (RFC 3550 §4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NtpTime(pub u64);

impl NtpTime {
    /// The NTP time of a moment given as time since the Unix epoch (wraps in 2036, as NTP
    /// era 0 does).
    pub fn from_unix(since_unix_epoch: Duration) -> NtpTime {
        let secs = since_unix_epoch.as_secs().wrapping_add(NTP_UNIX_OFFSET_SECS) & 0xFFFF_FFFF;
        let frac = (u64::from(since_unix_epoch.subsec_nanos()) << 32) / 1_000_000_000;
        NtpTime(secs << 32 | frac)
    }

    /// The whole-seconds word.
    pub fn seconds(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// The fraction word.
    pub fn fraction(self) -> u32 {
        self.0 as u32
    }

    /// The middle 32 bits (16 bits of seconds, 16 of fraction): the compact form used for
    /// LSR and for the arrival time "A" in the round-trip computation.
    pub fn middle32(self) -> u32 {
        (self.0 >> 16) as u32
    }
}

/// The wall clock as seen at one monotonic instant: "at `at`, Unix time was `unix`".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WallClock {
    /// The monotonic reference instant.
    pub at: Instant,
    /// Time since the Unix epoch at that instant.
    pub unix: Duration,
}

impl WallClock {
    /// A wall clock that read `unix` at `at`.
    pub fn new(at: Instant, unix: Duration) -> WallClock {
        WallClock { at, unix }
    }

    /// Time since the Unix epoch at `now`, extrapolated along the monotonic clock.
    pub fn unix_at(&self, now: Instant) -> Duration {
        match now.checked_duration_since(self.at) {
            Some(ahead) => self.unix.saturating_add(ahead),
            None => self.unix.saturating_sub(self.at.duration_since(now)),
        }
    }

    /// The NTP timestamp at `now`.
    pub fn ntp_at(&self, now: Instant) -> NtpTime {
        NtpTime::from_unix(self.unix_at(now))
    }
}

/// A duration in the 1/65536 s units of DLSR and of round-trip arithmetic (saturating).
pub fn to_units_65536(d: Duration) -> u32 {
    let units = d.as_secs().saturating_mul(65_536) + (u64::from(d.subsec_nanos()) << 16) / 1_000_000_000;
    u32::try_from(units).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_epoch_and_fractions() {
        let t = NtpTime::from_unix(Duration::ZERO);
        assert_eq!((t.seconds(), t.fraction()), (2_208_988_800, 0));
        let half = NtpTime::from_unix(Duration::from_millis(1500));
        assert_eq!((half.seconds(), half.fraction()), (2_208_988_801, 0x8000_0000));
        // Middle 32 bits: low 16 bits of seconds, high 16 of the fraction.
        assert_eq!(half.middle32(), (2_208_988_801u32 & 0xFFFF) << 16 | 0x8000);
    }

    #[test]
    fn wall_clock_extrapolates_both_ways() {
        let at = Instant::now();
        let clock = WallClock::new(at, Duration::from_secs(1_000));
        assert_eq!(clock.unix_at(at + Duration::from_millis(250)), Duration::from_millis(1_000_250));
        if let Some(before) = at.checked_sub(Duration::from_secs(2)) {
            assert_eq!(clock.unix_at(before), Duration::from_secs(998));
        }
    }

    #[test]
    fn units_of_65536() {
        assert_eq!(to_units_65536(Duration::from_secs(1)), 65_536);
        assert_eq!(to_units_65536(Duration::from_millis(500)), 32_768);
        assert_eq!(to_units_65536(Duration::from_secs(u64::MAX)), u32::MAX);
    }
}
