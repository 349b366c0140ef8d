//! Per-direction media counters for the end-of-call report (and, later, RTCP).
//!
//! A [`StreamReport`] is a snapshot taken from an [`RtpSender`] and an [`RtpReceiver`]; it holds
//! no state of its own, so it can be taken at any time and printed or serialised. A
//! [`JitterStats`] is the same kind of snapshot of the playout side (jitter buffer and
//! concealment).

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::fmt;

use serde::Serialize;

use super::g711::Law;
use super::rtp::{RtpReceiver, RtpSender};

/// The usual name of a payload type's codec, for reports ("PCMU/8000").
pub fn codec_name(payload_type: u8) -> &'static str {
    match Law::from_payload_type(payload_type) {
        Some(Law::Ulaw) => "PCMU/8000",
        Some(Law::Alaw) => "PCMA/8000",
        None => "unknown",
    }
}

/// What was sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SendStats {
    /// RTP packets sent.
    pub packets: u64,
    /// Octets sent (whole RTP packets, headers included).
    pub bytes: u64,
    /// Payload octets sent (as RTCP SR counts them).
    pub payload_bytes: u64,
}

/// What was received from the current far-end source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ReceiveStats {
    /// Distinct RTP packets received.
    pub packets: u64,
    /// Octets received (whole RTP packets of those).
    pub bytes: u64,
    /// Payload octets received.
    pub payload_bytes: u64,
    /// Packets expected from the sequence numbers: highest − first + 1.
    pub expected: u64,
    /// expected − received (RFC 3550 cumulative loss; never negative from duplicates here).
    pub lost: i64,
    /// Copies of packets already received.
    pub duplicates: u64,
    /// Packets that arrived after a higher sequence number.
    pub out_of_order: u64,
    /// Packets that arrived too late to be played.
    pub late: u64,
    /// RTCP packets seen.
    pub rtcp: u64,
    /// Datagrams that were not valid RTP.
    pub malformed: u64,
    /// Interarrival jitter, in milliseconds.
    pub jitter_ms: f64,
}

impl ReceiveStats {
    /// Lost packets as a percentage of those expected (0 when nothing was expected).
    pub fn loss_percent(&self) -> f64 {
        if self.expected == 0 { 0.0 } else { self.lost.max(0) as f64 * 100.0 / self.expected as f64 }
    }
}

/// Both directions of one call's audio.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StreamReport {
    /// The codec, e.g. "PCMU/8000".
    pub codec: String,
    /// Outgoing direction.
    pub sent: SendStats,
    /// Incoming direction.
    pub received: ReceiveStats,
}

/// Counters and delay figures of a jitter buffer ([`super::jitter::JitterBuffer::stats`]), for
/// a call's quality report. Frames are 20 ms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct JitterStats {
    /// Distinct packets received for the played streams (late ones included).
    pub received: u64,
    /// Frames pulled.
    pub pulls: u64,
    /// Frames played from received audio.
    pub played: u64,
    /// Frames concealed because audio was missing (lost or late).
    pub concealed: u64,
    /// Frames of silence (priming, sender pauses, outages beyond 1 s).
    pub silence: u64,
    /// Frames inserted to grow the delay (or because the sender's clock is slow).
    pub inserted: u64,
    /// Frames dropped to shrink the delay (or because the sender's clock is fast).
    pub dropped: u64,
    /// Packets that arrived after their playout position had passed.
    pub late: u64,
    /// Packets dropped otherwise: malformed, undecodable, overflow, abandoned on a reset.
    pub discarded: u64,
    /// Copies of packets already received.
    pub duplicates: u64,
    /// RTCP packets and packets of other payload types.
    pub ignored: u64,
    /// Times a new SSRC took over.
    pub ssrc_changes: u64,
    /// Times playout restarted within one SSRC (sequence or timestamp jump).
    pub resyncs: u64,
    /// Audio buffered ahead of the playout position at the last pull, in ms.
    pub delay_ms: f64,
    /// Mean time a played packet waited between arrival and playout, in ms.
    pub average_delay_ms: f64,
    /// Most audio ever buffered ahead of the playout position at a pull, in ms.
    pub max_depth_ms: f64,
    /// The delay the controller currently aims for above the fastest packets, in ms.
    pub target_delay_ms: f64,
}

impl SendStats {
    /// A snapshot of a sender.
    pub fn from_sender(tx: &RtpSender) -> SendStats {
        let c = tx.counters();
        SendStats { packets: c.packets, bytes: c.bytes, payload_bytes: c.payload_bytes }
    }
}

impl ReceiveStats {
    /// A snapshot of a receiver.
    pub fn from_receiver(rx: &RtpReceiver) -> ReceiveStats {
        let c = rx.counters();
        ReceiveStats {
            packets: c.received,
            bytes: c.bytes,
            payload_bytes: c.payload_bytes,
            expected: rx.expected(),
            lost: rx.lost(),
            duplicates: c.duplicates,
            out_of_order: c.out_of_order,
            late: c.late,
            rtcp: c.rtcp,
            malformed: c.malformed,
            jitter_ms: rx.jitter_ms(),
        }
    }
}

impl StreamReport {
    /// A snapshot of both directions; the codec is named from the sender's payload type.
    pub fn new(tx: &RtpSender, rx: &RtpReceiver) -> StreamReport {
        StreamReport {
            codec: codec_name(tx.payload_type()).to_owned(),
            sent: SendStats::from_sender(tx),
            received: ReceiveStats::from_receiver(rx),
        }
    }
}

impl fmt::Display for StreamReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, r) = (&self.sent, &self.received);
        writeln!(f, "codec     {}", self.codec)?;
        writeln!(f, "sent      {} packets, {} bytes", s.packets, s.bytes)?;
        writeln!(f, "received  {} packets, {} bytes", r.packets, r.bytes)?;
        writeln!(
            f,
            "lost      {} of {} ({:.1}%), {} duplicate, {} out of order, {} late",
            r.lost,
            r.expected,
            r.loss_percent(),
            r.duplicates,
            r.out_of_order,
            r.late
        )?;
        write!(f, "jitter    {:.1} ms", r.jitter_ms)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::rtp::ReceiverConfig;
    use super::*;

    #[test]
    fn report_from_a_short_exchange() {
        let mut tx = RtpSender::with_initial(9, 100, 0, 8).unwrap();
        let mut rx = RtpReceiver::new(ReceiverConfig::g711(Law::Alaw));
        for i in 0..5u32 {
            let p = tx.build(&[0xD5; 160]).unwrap();
            if i != 2 {
                rx.receive(&p, i * 160).unwrap();
            }
        }
        let r = StreamReport::new(&tx, &rx);
        assert_eq!(r.codec, "PCMA/8000");
        assert_eq!(r.sent, SendStats { packets: 5, bytes: 860, payload_bytes: 800 });
        assert_eq!((r.received.packets, r.received.expected, r.received.lost), (4, 5, 1));
        assert_eq!(r.received.loss_percent(), 20.0);
        assert_eq!(r.received.jitter_ms, 0.0);
        let text = r.to_string();
        assert!(text.contains("lost      1 of 5 (20.0%)"), "{text}");
        assert!(serde_json::to_string(&r).unwrap().contains("\"lost\":1"));
        assert_eq!(codec_name(0), "PCMU/8000");
        assert_eq!(codec_name(101), "unknown");
        assert_eq!(ReceiveStats::default().loss_percent(), 0.0);
    }
}
