//! What an incoming compound tells the session, and the round-trip arithmetic of
//! RFC 3550 §6.4.1.
//!
//! ```text
//!   us ──SR (NTP T1)──────────────▶ far end        LSR  = middle32(T1)
//!   us ◀──RR {LSR, DLSR}─────────── far end        DLSR = time it held the SR
//!   A = middle32(now)   RTT = A − LSR − DLSR       (all in 1/65536 s, wrapping)
//! ```

use std::time::Duration;

use serde::Serialize;

use super::ntp::NtpTime;
use super::packet::ReportBlock;

/// Slack for rounding in A − LSR − DLSR: a result this far below zero (≈ 1 ms) reads as 0.
const RTT_ROUNDING_UNITS: i32 = 66;

/// The far end's latest report block about our stream.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FarEndReport {
    /// SSRC of the reporting far end.
    pub reporter: u32,
    /// Fraction of our packets it lost in its last interval, in 1/256.
    pub fraction_lost: u8,
    /// Our packets it lost in total (negative with duplicates).
    pub cumulative_lost: i32,
    /// Highest extended sequence number of ours it has received.
    pub extended_highest_sequence: u32,
    /// Interarrival jitter it measured on our stream, in timestamp units.
    pub jitter: u32,
    /// Round-trip time, when the block echoed one of our SRs.
    pub rtt: Option<Duration>,
}

impl FarEndReport {
    /// A report from a block, with the round trip already worked out.
    pub fn from_block(reporter: u32, block: &ReportBlock, rtt: Option<Duration>) -> FarEndReport {
        FarEndReport {
            reporter,
            fraction_lost: block.fraction_lost,
            cumulative_lost: block.cumulative_lost,
            extended_highest_sequence: block.extended_highest_sequence,
            jitter: block.jitter,
            rtt,
        }
    }

    /// The interval fraction lost as a percentage.
    pub fn fraction_lost_percent(&self) -> f64 {
        f64::from(self.fraction_lost) * 100.0 / 256.0
    }

    /// Their jitter in milliseconds, given our media clock rate.
    pub fn jitter_ms(&self, clock_rate: u32) -> f64 {
        if clock_rate == 0 { 0.0 } else { f64::from(self.jitter) * 1000.0 / f64::from(clock_rate) }
    }

    /// The round trip in milliseconds, if known.
    pub fn rtt_ms(&self) -> Option<f64> {
        self.rtt.map(|d| d.as_secs_f64() * 1000.0)
    }
}

/// Something an incoming compound said.
#[derive(Clone, Debug, PartialEq)]
pub enum RtcpEvent {
    /// The far end sent an SR: it is sending RTP.
    SenderReport {
        /// Its SSRC.
        ssrc: u32,
        /// Its wall clock at the report.
        ntp: NtpTime,
        /// Its media clock at the same instant.
        rtp_timestamp: u32,
        /// Packets it says it sent.
        packets: u32,
        /// Payload octets it says it sent.
        octets: u32,
    },
    /// The far end reported on our stream.
    FarEndReport(FarEndReport),
    /// A source's CNAME, the first time it is seen or when it changes.
    Cname {
        /// The source.
        ssrc: u32,
        /// Its canonical name.
        cname: String,
    },
    /// The far end is leaving.
    Bye {
        /// Sources leaving.
        ssrcs: Vec<u32>,
        /// Their reason, if given.
        reason: Option<String>,
    },
}

/// RTT = A − LSR − DLSR, all in 1/65536 s (RFC 3550 §6.4.1). `None` when the block did not
/// echo an SR (LSR = 0) or the result is clearly negative (a far end misreporting DLSR);
/// a result within rounding of zero is 0.
pub fn round_trip(arrival_middle32: u32, lsr: u32, dlsr: u32) -> Option<Duration> {
    if lsr == 0 {
        return None;
    }
    let units = arrival_middle32.wrapping_sub(lsr).wrapping_sub(dlsr) as i32;
    if units < -RTT_ROUNDING_UNITS {
        return None;
    }
    let units = u32::try_from(units).unwrap_or(0);
    Some(Duration::from_nanos(u64::from(units) * 1_000_000_000 / 65_536))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_arithmetic() {
        // RFC 3550 §6.4.1's example: A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000
        // (46853.125 s), DLSR = 0x0005:4000 (5.250 s) → 6.125 s.
        let rtt = round_trip(0xB710_8000, 0xB705_2000, 0x0005_4000).unwrap_or_default();
        assert_eq!(rtt, Duration::from_millis(6125));
        assert_eq!(round_trip(0xB710_8000, 0, 0), None);
        // Wraps across the 16-bit seconds boundary.
        assert_eq!(round_trip(0x0000_8000, 0xFFFF_8000, 0), Some(Duration::from_secs(1)));
        // A tiny negative from rounding reads as zero; a large one is rejected.
        assert_eq!(round_trip(100, 120, 0), Some(Duration::ZERO));
        assert_eq!(round_trip(100, 100 + 6554, 0), None);
    }

    #[test]
    fn far_end_figures() {
        let block = ReportBlock { fraction_lost: 64, jitter: 80, ..ReportBlock::default() };
        let r = FarEndReport::from_block(9, &block, Some(Duration::from_millis(80)));
        assert_eq!(r.fraction_lost_percent(), 25.0);
        assert_eq!(r.jitter_ms(8000), 10.0);
        assert_eq!(r.jitter_ms(0), 0.0);
        assert_eq!(r.rtt_ms(), Some(80.0));
    }
}
