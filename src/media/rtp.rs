//! RTP (RFC 3550) for the audio path: a sender that numbers and stamps packets, and a receiver
//! that validates, tracks and reorders them.
//!
//! Both halves are sans-IO. The sender's SSRC and initial sequence number/timestamp come from
//! an RNG handed in by the caller; its timestamps advance by the number of samples carried,
//! never by the wall clock. The receiver is told each packet's arrival time, already converted
//! to timestamp units (ticks of the 8 kHz media clock for G.711), and computes the RFC 3550
//! interarrival jitter from it.
//!
//! Packets are read and written with [`rtp_rs`]. Its reader rejects short or truncated
//! headers, versions other than 2 and bad padding up front, so nothing here indexes a datagram
//! unchecked; the sender never adds CSRCs (the builder panics beyond 15).
//!
//! RTCP shares the port when rtcp-mux is in use: a datagram whose second octet is 200–204
//! (SR, RR, SDES, BYE, APP) is recognised as RTCP and counted, not parsed (RFC 5761 §4).
//!
//! # Receiver model
//!
//! * A packet is accepted only if its payload type is one of the configured ones; others are
//!   counted and dropped before they touch the sequence state.
//! * The first accepted packet fixes the SSRC. A packet from another SSRC is held on
//!   probation: two consecutive sequence numbers from the new source switch the stream to it
//!   (a re-INVITE or transfer can change the far end).
//! * Sequence numbers are extended across wraps (RFC 3550 App. A.1). A jump of more than
//!   [`MAX_DROPOUT`] ahead, or more than [`MAX_MISORDER`] behind, is treated like a new
//!   source: the packet is dropped unless the next one follows it, which restarts the stream.
//! * `received` counts distinct packets: a duplicate is counted apart and not again in
//!   `received`, so `lost = expected − received` is never negative from duplicates.
//! * Payloads are handed out in sequence order through a small reorder window
//!   ([`ReceiverConfig::reorder_depth`] packets). When more packets than that wait behind a
//!   gap, the gap is declared lost ([`Playout::Lost`]) and playout moves on; a packet that turns
//!   up after its slot has gone is `late` and dropped. An adaptive jitter buffer can replace
//!   this window without touching the statistics.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::fmt;

use rand::Rng;
use rtp_rs::{RtpPacketBuilder, RtpReader, RtpReaderError, Seq};

use super::g711::Law;

pub use super::rtp_receiver::{
    Disposition, MediaPacket, Playout, ReceiverConfig, ReceiverCounters, RtpReceiver,
};

/// The RTP clock rate of G.711 (and of telephone-event alongside it), in Hz.
pub const G711_CLOCK_RATE: u32 = 8000;
/// Samples in one 20 ms G.711 packet: the timestamp step between consecutive packets.
pub const G711_SAMPLES_PER_PACKET: u32 = 160;
/// Length of the fixed RTP header.
pub const RTP_HEADER_LEN: usize = 12;
/// RTCP packet types that may share the RTP port: SR, RR, SDES, BYE, APP.
pub const RTCP_PACKET_TYPES: std::ops::RangeInclusive<u8> = 200..=204;
/// RFC 3550 App. A.1: the largest forward jump still taken as loss rather than a restart.
pub const MAX_DROPOUT: i32 = 3000;
/// RFC 3550 App. A.1: the largest backward step still taken as reordering.
pub const MAX_MISORDER: i32 = 100;
/// Reorder window used by [`ReceiverConfig::g711`].
pub const DEFAULT_REORDER_DEPTH: usize = 4;

/// Why a datagram could not be read as RTP, or a packet could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RtpError {
    /// Fewer than the 12 octets of the fixed header.
    TooShort {
        /// Octets received.
        len: usize,
    },
    /// The version field was not 2.
    BadVersion(u8),
    /// The CSRC list or header extension runs past the end of the datagram.
    Truncated {
        /// Octets the headers claim.
        header_len: usize,
        /// Octets available.
        len: usize,
    },
    /// The padding flag is set but the final octet's count is 0 or longer than the payload.
    BadPadding(u8),
    /// A payload type outside 0–127.
    BadPayloadType(u8),
    /// The output buffer cannot hold the packet.
    BufferTooSmall {
        /// Octets the packet needs.
        needed: usize,
        /// Octets the buffer has.
        available: usize,
    },
    /// The RTP builder refused the packet (only reachable through a bug).
    Build(String),
}

impl fmt::Display for RtpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RtpError::TooShort { len } => {
                write!(f, "RTP datagram of {len} octets is shorter than the 12-octet header")
            }
            RtpError::BadVersion(v) => write!(f, "RTP version {v}, expected 2"),
            RtpError::Truncated { header_len, len } => {
                write!(f, "RTP headers need {header_len} octets but the datagram has {len}")
            }
            RtpError::BadPadding(n) => write!(f, "RTP padding count {n} is invalid for this packet"),
            RtpError::BadPayloadType(pt) => write!(f, "RTP payload type {pt} is outside 0-127"),
            RtpError::BufferTooSmall { needed, available } => {
                write!(f, "RTP packet needs {needed} octets, buffer has {available}")
            }
            RtpError::Build(e) => write!(f, "RTP packet could not be built: {e}"),
        }
    }
}

impl std::error::Error for RtpError {}

impl From<RtpReaderError> for RtpError {
    fn from(e: RtpReaderError) -> RtpError {
        match e {
            RtpReaderError::BufferTooShort(len) => RtpError::TooShort { len },
            RtpReaderError::UnsupportedVersion(v) => RtpError::BadVersion(v),
            RtpReaderError::HeadersTruncated { header_len, buffer_len } => {
                RtpError::Truncated { header_len, len: buffer_len }
            }
            RtpReaderError::PaddingLengthInvalid(n) => RtpError::BadPadding(n),
        }
    }
}

/// True if `datagram` looks like RTCP: version 2 and a packet type of 200–204 in octet 1.
///
/// RTP payload types 72–76 would collide with these (RFC 5761 §4) and are never assigned.
pub fn is_rtcp(datagram: &[u8]) -> bool {
    match datagram {
        [b0, b1, ..] => b0 >> 6 == 2 && RTCP_PACKET_TYPES.contains(b1),
        _ => false,
    }
}

/// A parsed view of one RTP packet's header fields and payload (padding removed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpHeader<'a> {
    /// Payload type, 0–127.
    pub payload_type: u8,
    /// Marker bit.
    pub marker: bool,
    /// Sequence number.
    pub sequence: u16,
    /// Media timestamp.
    pub timestamp: u32,
    /// Synchronisation source.
    pub ssrc: u32,
    /// Number of CSRCs present (0–15).
    pub csrc_count: u8,
    /// The payload, without headers, extension or padding.
    pub payload: &'a [u8],
}

/// Reads one RTP packet; every malformed input is an [`RtpError`], never a panic.
pub fn parse_rtp(datagram: &[u8]) -> Result<RtpHeader<'_>, RtpError> {
    let r = RtpReader::new(datagram)?;
    Ok(RtpHeader {
        payload_type: r.payload_type(),
        marker: r.mark(),
        sequence: u16::from(r.sequence_number()),
        timestamp: r.timestamp(),
        ssrc: r.ssrc(),
        csrc_count: r.csrc_count(),
        payload: r.payload(),
    })
}

// ---------------------------------------------------------------------------------------------
// Sender
// ---------------------------------------------------------------------------------------------

/// Counters kept by an [`RtpSender`] (the sender half of RFC 3550 §6.4.1 SR info, plus totals).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SenderCounters {
    /// RTP packets built.
    pub packets: u64,
    /// Payload octets (headers and padding excluded), as RTCP SR reports them.
    pub payload_bytes: u64,
    /// Whole-packet octets (RTP header included).
    pub bytes: u64,
}

/// The sending side of one RTP stream: SSRC, next sequence number and timestamp, marker.
#[derive(Clone, Debug)]
pub struct RtpSender {
    ssrc: u32,
    payload_type: u8,
    sequence: u16,
    timestamp: u32,
    initial_sequence: u16,
    initial_timestamp: u32,
    marker_pending: bool,
    counters: SenderCounters,
}

impl RtpSender {
    /// A sender with SSRC, initial sequence number and initial timestamp drawn from `rng`
    /// (RFC 3550 §5.1: all three random). The first packet carries the marker bit.
    pub fn new(rng: &mut impl Rng, payload_type: u8) -> Result<RtpSender, RtpError> {
        let ssrc = rng.next_u32();
        let sequence = (rng.next_u32() & 0xFFFF) as u16;
        let timestamp = rng.next_u32();
        RtpSender::with_initial(ssrc, sequence, timestamp, payload_type)
    }

    /// A sender for G.711 with the law's static payload type (PCMU 0, PCMA 8).
    pub fn g711(rng: &mut impl Rng, law: Law) -> RtpSender {
        let ssrc = rng.next_u32();
        let sequence = (rng.next_u32() & 0xFFFF) as u16;
        let timestamp = rng.next_u32();
        RtpSender::fixed(ssrc, sequence, timestamp, law.payload_type())
    }

    /// A sender with explicit initial values (tests, or continuing a stream).
    pub fn with_initial(
        ssrc: u32,
        sequence: u16,
        timestamp: u32,
        payload_type: u8,
    ) -> Result<RtpSender, RtpError> {
        if payload_type > 127 {
            return Err(RtpError::BadPayloadType(payload_type));
        }
        Ok(RtpSender::fixed(ssrc, sequence, timestamp, payload_type))
    }

    fn fixed(ssrc: u32, sequence: u16, timestamp: u32, payload_type: u8) -> RtpSender {
        RtpSender {
            ssrc,
            payload_type: payload_type & 0x7F,
            sequence,
            timestamp,
            initial_sequence: sequence,
            initial_timestamp: timestamp,
            marker_pending: true,
            counters: SenderCounters::default(),
        }
    }

    /// This stream's SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The payload type of audio packets.
    pub fn payload_type(&self) -> u8 {
        self.payload_type
    }

    /// The sequence number the next packet will carry.
    pub fn next_sequence(&self) -> u16 {
        self.sequence
    }

    /// The timestamp the next audio packet will carry.
    pub fn next_timestamp(&self) -> u32 {
        self.timestamp
    }

    /// The sequence number of the first packet.
    pub fn initial_sequence(&self) -> u16 {
        self.initial_sequence
    }

    /// The timestamp of the first packet.
    pub fn initial_timestamp(&self) -> u32 {
        self.initial_timestamp
    }

    /// Packets and octets sent so far.
    pub fn counters(&self) -> SenderCounters {
        self.counters
    }

    /// Marks the next packet as the first of a talkspurt (after silence suppression or hold).
    pub fn start_talkspurt(&mut self) {
        self.marker_pending = true;
    }

    /// Lets `samples` of media time pass without sending (silence suppression, hold): the
    /// timestamp advances, the sequence number does not, and the next packet is marked.
    pub fn skip(&mut self, samples: u32) {
        self.timestamp = self.timestamp.wrapping_add(samples);
        self.marker_pending = true;
    }

    /// Builds the next G.711 packet: one payload octet per sample, so the timestamp then
    /// advances by `payload.len()` (160 for 20 ms).
    pub fn build(&mut self, payload: &[u8]) -> Result<Vec<u8>, RtpError> {
        let samples = u32::try_from(payload.len()).unwrap_or(u32::MAX);
        self.build_with_duration(payload, samples)
    }

    /// Builds the next audio packet carrying `samples` samples of media time.
    pub fn build_with_duration(&mut self, payload: &[u8], samples: u32) -> Result<Vec<u8>, RtpError> {
        let mut out = vec![0; RTP_HEADER_LEN + payload.len()];
        let n = self.build_into(payload, samples, &mut out)?;
        out.truncate(n);
        Ok(out)
    }

    /// Builds the next audio packet into `out`, returning its length. On error nothing
    /// advances.
    pub fn build_into(&mut self, payload: &[u8], samples: u32, out: &mut [u8]) -> Result<usize, RtpError> {
        let marker = self.marker_pending;
        let n = self.write(self.payload_type, marker, self.timestamp, payload, out)?;
        self.marker_pending = false;
        self.timestamp = self.timestamp.wrapping_add(samples);
        Ok(n)
    }

    /// Builds a packet in this stream's sequence space with a caller-chosen payload type,
    /// marker and timestamp, leaving the audio timestamp alone. This is the hook for RFC 4733
    /// telephone-events, whose packets repeat the event's start timestamp.
    pub fn build_custom(
        &mut self,
        payload_type: u8,
        marker: bool,
        timestamp: u32,
        payload: &[u8],
    ) -> Result<Vec<u8>, RtpError> {
        let mut out = vec![0; RTP_HEADER_LEN + payload.len()];
        let n = self.write(payload_type, marker, timestamp, payload, &mut out)?;
        out.truncate(n);
        Ok(out)
    }

    fn write(
        &mut self,
        payload_type: u8,
        marker: bool,
        timestamp: u32,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<usize, RtpError> {
        if payload_type > 127 {
            return Err(RtpError::BadPayloadType(payload_type));
        }
        let builder = RtpPacketBuilder::new()
            .payload_type(payload_type)
            .marked(marker)
            .sequence(Seq::from(self.sequence))
            .timestamp(timestamp)
            .ssrc(self.ssrc)
            .payload(payload);
        let needed = builder.target_length();
        if out.len() < needed {
            return Err(RtpError::BufferTooSmall { needed, available: out.len() });
        }
        let n = builder.build_into(out).map_err(|e| RtpError::Build(format!("{e:?}")))?;
        self.sequence = self.sequence.wrapping_add(1);
        self.counters.packets += 1;
        self.counters.payload_bytes += payload.len() as u64;
        self.counters.bytes += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn sender(seq: u16) -> RtpSender {
        RtpSender::with_initial(0x1234_5678, seq, 1000, 0).unwrap()
    }

    #[test]
    fn sender_header_layout() {
        let mut s = sender(7);
        let p = s.build(&[0xFF; 160]).unwrap();
        assert_eq!(p.len(), 172);
        assert_eq!(&p[..12], &[0x80, 0x80, 0, 7, 0, 0, 0x03, 0xE8, 0x12, 0x34, 0x56, 0x78]);
        let p = s.build(&[0xFF; 160]).unwrap();
        // No marker, seq 8, timestamp 1160.
        assert_eq!(&p[..8], &[0x80, 0x00, 0, 8, 0, 0, 0x04, 0x88]);
        assert_eq!(s.counters(), SenderCounters { packets: 2, payload_bytes: 320, bytes: 344 });
    }

    #[test]
    fn sender_wraps_and_marks_talkspurts() {
        let mut s = RtpSender::with_initial(1, 65535, u32::MAX - 100, 8).unwrap();
        let a = s.build(&[0; 160]).unwrap();
        let a = parse_rtp(&a).unwrap();
        assert_eq!((a.sequence, a.timestamp, a.marker, a.payload_type), (65535, u32::MAX - 100, true, 8));
        let b = s.build(&[0; 160]).unwrap();
        let b = parse_rtp(&b).unwrap();
        assert_eq!((b.sequence, b.timestamp, b.marker), (0, 59, false));
        s.skip(320);
        let c = s.build(&[0; 160]).unwrap();
        let c = parse_rtp(&c).unwrap();
        assert_eq!((c.sequence, c.timestamp, c.marker), (1, 59 + 160 + 320, true));
        s.start_talkspurt();
        let d = s.build(&[0; 160]).unwrap();
        assert!(parse_rtp(&d).unwrap().marker);
        assert_eq!(s.initial_sequence(), 65535);
    }

    #[test]
    fn sender_random_initial_values_come_from_the_rng() {
        let a = RtpSender::g711(&mut StdRng::seed_from_u64(1), Law::Ulaw);
        let b = RtpSender::g711(&mut StdRng::seed_from_u64(1), Law::Ulaw);
        let c = RtpSender::g711(&mut StdRng::seed_from_u64(2), Law::Alaw);
        assert_eq!(
            (a.ssrc(), a.next_sequence(), a.next_timestamp()),
            (b.ssrc(), b.next_sequence(), b.next_timestamp())
        );
        assert_ne!(a.ssrc(), c.ssrc());
        assert_eq!(c.payload_type(), 8);
        assert!(RtpSender::new(&mut StdRng::seed_from_u64(1), 128).is_err());
    }

    #[test]
    fn sender_custom_packets_share_sequence_space() {
        let mut s = sender(10);
        s.build(&[0; 160]).unwrap();
        let e = s.build_custom(101, true, 1000, &[5, 10, 0, 160]).unwrap();
        let e = parse_rtp(&e).unwrap();
        assert_eq!((e.payload_type, e.sequence, e.timestamp, e.marker), (101, 11, 1000, true));
        assert_eq!(s.next_timestamp(), 1160);
        assert_eq!(s.build_custom(200, false, 0, &[]), Err(RtpError::BadPayloadType(200)));
        let mut small = [0u8; 20];
        assert!(matches!(s.build_into(&[0; 160], 160, &mut small), Err(RtpError::BufferTooSmall { .. })));
        assert_eq!(s.next_sequence(), 12);
    }

    #[test]
    fn parse_errors_are_typed() {
        assert_eq!(parse_rtp(&[0x80; 5]), Err(RtpError::TooShort { len: 5 }));
        let mut p = sender(1).build(&[1, 2, 3]).unwrap();
        p[0] = 0x40;
        assert_eq!(parse_rtp(&p), Err(RtpError::BadVersion(1)));
        p[0] = 0x8F; // 15 CSRCs, not present
        assert!(matches!(parse_rtp(&p), Err(RtpError::Truncated { .. })));
        p[0] = 0x90; // extension header missing
        assert!(matches!(parse_rtp(&p), Err(RtpError::Truncated { .. })));
        p[0] = 0xA0; // padding: last octet 3 = whole payload
        assert_eq!(parse_rtp(&p).unwrap().payload, &[] as &[u8]);
        let last = p.len() - 1;
        p[last] = 4;
        assert_eq!(parse_rtp(&p), Err(RtpError::BadPadding(4)));
        p[last] = 0;
        assert_eq!(parse_rtp(&p), Err(RtpError::BadPadding(0)));
    }
}
