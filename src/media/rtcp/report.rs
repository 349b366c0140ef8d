//! The figures a report is built from, and the per-interval loss of RFC 3550 App. A.3.
//!
//! ```text
//!  RtpSender ──SenderFigures { packets, payload octets, media clock at an instant }──▶ SR info
//!  RtpReceiver ──ReceiverFigures { ssrc, expected, received, ext. highest, jitter }──┐
//!                         LossInterval (expected/received at the previous report) ──┴▶ block
//! ```
//!
//! The figures are plain values, so a report can be built from an [`RtpSender`] /
//! [`RtpReceiver`] or from numbers a test makes up (negative loss, huge loss).

use std::time::Instant;

use super::super::rtp::{RtpReceiver, RtpSender};
use super::ntp::NtpTime;
use super::packet::{ReportBlock, SenderInfo, clamp_cumulative_lost};

/// What our RTP sender has sent, and where its media clock stood at some instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SenderFigures {
    /// RTP packets sent so far.
    pub packets: u64,
    /// RTP payload octets sent so far.
    pub payload_octets: u64,
    /// The media timestamp at `timestamp_at`.
    pub rtp_timestamp: u32,
    /// The instant the media clock read `rtp_timestamp`.
    pub timestamp_at: Instant,
    /// Media clock rate in Hz.
    pub clock_rate: u32,
}

impl SenderFigures {
    /// Figures from a sender whose next packet (carrying [`RtpSender::next_timestamp`]) is
    /// due at `next_packet_at`.
    pub fn from_sender(tx: &RtpSender, next_packet_at: Instant, clock_rate: u32) -> SenderFigures {
        let c = tx.counters();
        SenderFigures {
            packets: c.packets,
            payload_octets: c.payload_bytes,
            rtp_timestamp: tx.next_timestamp(),
            timestamp_at: next_packet_at,
            clock_rate,
        }
    }

    /// The media timestamp at `now`, extrapolated along the clock rate (wrapping).
    pub fn rtp_timestamp_at(&self, now: Instant) -> u32 {
        let ticks = |nanos: u128| (nanos * u128::from(self.clock_rate) / 1_000_000_000) as u32;
        match now.checked_duration_since(self.timestamp_at) {
            Some(ahead) => self.rtp_timestamp.wrapping_add(ticks(ahead.as_nanos())),
            None => self.rtp_timestamp.wrapping_sub(ticks(self.timestamp_at.duration_since(now).as_nanos())),
        }
    }

    /// The SR sender-info section at `now` (counts wrap to 32 bits as the RFC says).
    pub fn sender_info(&self, now: Instant, ntp: NtpTime) -> SenderInfo {
        SenderInfo {
            ntp,
            rtp_timestamp: self.rtp_timestamp_at(now),
            packet_count: self.packets as u32,
            octet_count: self.payload_octets as u32,
        }
    }
}

/// What our RTP receiver has seen of the far end's stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReceiverFigures {
    /// The source being received (`None` before the first packet).
    pub ssrc: Option<u32>,
    /// Packets expected: extended highest − base + 1.
    pub expected: u64,
    /// Packets received (a receiver that counts duplicates may exceed `expected`).
    pub received: u64,
    /// Extended highest sequence number, as a report block carries it.
    pub extended_highest_sequence: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
}

impl ReceiverFigures {
    /// Figures from a receiver.
    pub fn from_receiver(rx: &RtpReceiver) -> ReceiverFigures {
        ReceiverFigures {
            ssrc: rx.ssrc(),
            expected: rx.expected(),
            received: rx.counters().received,
            extended_highest_sequence: rx.extended_highest_sequence_u32(),
            jitter: rx.jitter(),
        }
    }

    /// expected − received; negative when duplicates were counted as received.
    pub fn cumulative_lost(&self) -> i64 {
        i64::try_from(self.expected).unwrap_or(i64::MAX) - i64::try_from(self.received).unwrap_or(i64::MAX)
    }
}

/// Fraction lost in one interval, in 1/256 (RFC 3550 App. A.3): 0 when nothing was expected
/// or nothing was lost (including "negative loss" from duplicates), at most 255.
pub fn fraction_lost(expected_interval: i64, received_interval: i64) -> u8 {
    let lost_interval = expected_interval.saturating_sub(received_interval);
    if expected_interval <= 0 || lost_interval <= 0 {
        return 0;
    }
    let fraction = lost_interval.saturating_mul(256) / expected_interval;
    u8::try_from(fraction).unwrap_or(u8::MAX)
}

/// Expected and received at the previous report, for the per-interval fraction lost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LossInterval {
    ssrc: Option<u32>,
    expected_prior: u64,
    received_prior: u64,
}

impl LossInterval {
    /// The fraction lost since the previous call, which becomes the new interval start. A
    /// change of source starts the interval afresh.
    pub fn advance(&mut self, figures: &ReceiverFigures) -> u8 {
        if self.ssrc != figures.ssrc {
            *self = LossInterval { ssrc: figures.ssrc, ..LossInterval::default() };
        }
        let diff =
            |now: u64, prior: u64| i64::try_from(now).unwrap_or(i64::MAX) - i64::try_from(prior).unwrap_or(0);
        let fraction = fraction_lost(
            diff(figures.expected, self.expected_prior),
            diff(figures.received, self.received_prior),
        );
        self.expected_prior = figures.expected;
        self.received_prior = figures.received;
        fraction
    }

    /// A report block about the received source (`None` before anything was received),
    /// advancing the interval. `lsr` / `dlsr` are the echo of that source's last SR.
    pub fn report_block(&mut self, figures: &ReceiverFigures, lsr: u32, dlsr: u32) -> Option<ReportBlock> {
        let ssrc = figures.ssrc?;
        Some(ReportBlock {
            ssrc,
            fraction_lost: self.advance(figures),
            cumulative_lost: clamp_cumulative_lost(figures.cumulative_lost()),
            extended_highest_sequence: figures.extended_highest_sequence,
            jitter: figures.jitter,
            lsr,
            dlsr,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::time::Duration;

    use super::*;

    fn figures(expected: u64, received: u64) -> ReceiverFigures {
        ReceiverFigures { ssrc: Some(7), expected, received, extended_highest_sequence: 0, jitter: 0 }
    }

    #[test]
    fn fraction_lost_edges() {
        assert_eq!(fraction_lost(100, 90), 25); // 10/100 × 256 = 25.6 → 25
        assert_eq!(fraction_lost(4, 3), 64);
        assert_eq!(fraction_lost(0, 0), 0);
        assert_eq!(fraction_lost(10, 12), 0); // duplicates: negative loss reports 0
        assert_eq!(fraction_lost(10, 0), 255); // all lost would be 256: clamped
        assert_eq!(fraction_lost(-5, 0), 0);
    }

    #[test]
    fn intervals_follow_appendix_a3() {
        let mut li = LossInterval::default();
        assert_eq!(li.advance(&figures(50, 50)), 0);
        // Next interval: 50 expected, 40 received → 10/50 = 51/256.
        assert_eq!(li.advance(&figures(100, 90)), 51);
        // Next: 100 expected, all received → 0 although cumulative loss stays 10.
        assert_eq!(li.advance(&figures(200, 190)), 0);
        // A new source restarts the interval from zero.
        let other = ReceiverFigures { ssrc: Some(8), ..figures(20, 15) };
        assert_eq!(li.advance(&other), 64);
    }

    #[test]
    fn cumulative_loss_is_signed_and_clamped() {
        let mut li = LossInterval::default();
        let dup = li.report_block(&figures(10, 13), 0, 0).unwrap();
        assert_eq!((dup.cumulative_lost, dup.fraction_lost), (-3, 0));
        let huge = li.report_block(&figures(20_000_000, 0), 0, 0).unwrap();
        assert_eq!(huge.cumulative_lost, 0x7F_FFFF);
        let very_negative = li.report_block(&figures(0, 10_000_000), 0, 0).unwrap();
        assert_eq!(very_negative.cumulative_lost, -0x80_0000);
        assert_eq!(li.report_block(&ReceiverFigures::default(), 0, 0), None);
    }

    #[test]
    fn media_clock_extrapolates_from_its_reference() {
        let at = Instant::now();
        let f = SenderFigures {
            packets: 1,
            payload_octets: 160,
            rtp_timestamp: 1000,
            timestamp_at: at,
            clock_rate: 8000,
        };
        assert_eq!(f.rtp_timestamp_at(at + Duration::from_millis(20)), 1160);
        assert_eq!(f.rtp_timestamp_at(at), 1000);
        let wrapped = SenderFigures { rtp_timestamp: u32::MAX, ..f };
        assert_eq!(wrapped.rtp_timestamp_at(at + Duration::from_millis(1)), 7);
        if let Some(before) = at.checked_sub(Duration::from_millis(10)) {
            assert_eq!(f.rtp_timestamp_at(before), 920);
        }
    }
}
