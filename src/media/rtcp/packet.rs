//! The RTCP packets a two-party audio call uses (RFC 3550 §6.4–6.6), and their encoding.
//!
//! ```text
//!  0               1               2               3
//!  V=2|P| RC/SC   |      PT       |     length (32-bit words − 1)
//!  ── SR 200: SSRC · NTP msw · NTP lsw · RTP ts · packets · octets · RC × block
//!  ── RR 201: SSRC · RC × block
//!  ── block (24): SSRC_n · fraction(8)|cumulative lost(24, signed) · ext. highest seq
//!                 · jitter · LSR · DLSR
//!  ── SDES 202: SC × chunk { SSRC · items (type, len, text) · 0 · pad to 4 }
//!  ── BYE 203: SC × SSRC · [len · reason · pad to 4]
//! ```
//!
//! Parsing lives in [`super::parse`]; both directions share [`RtcpError`].

use thiserror::Error;

use super::ntp::NtpTime;

/// RTCP version carried in every header.
pub const RTCP_VERSION: u8 = 2;
/// Packet type of a sender report.
pub const PT_SR: u8 = 200;
/// Packet type of a receiver report.
pub const PT_RR: u8 = 201;
/// Packet type of a source description.
pub const PT_SDES: u8 = 202;
/// Packet type of a goodbye.
pub const PT_BYE: u8 = 203;
/// Packet type of an application-defined packet.
pub const PT_APP: u8 = 204;
/// SDES item type of the canonical name.
pub const SDES_CNAME: u8 = 1;
/// Octets in one report block.
pub const REPORT_BLOCK_LEN: usize = 24;
/// Octets of sender info in an SR (after the SSRC).
pub const SENDER_INFO_LEN: usize = 20;
/// The most report blocks, SDES chunks or BYE sources a 5-bit count can announce.
pub const MAX_COUNT: usize = 31;
/// Largest cumulative-lost value a report block carries (24-bit signed).
pub const CUMULATIVE_LOST_MAX: i32 = 0x7F_FFFF;
/// Smallest cumulative-lost value a report block carries (24-bit signed).
pub const CUMULATIVE_LOST_MIN: i32 = -0x80_0000;

/// Why RTCP could not be parsed or built.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RtcpError {
    /// No octets at all.
    #[error("empty RTCP datagram")]
    Empty,
    /// Fewer than 4 octets left where a packet header should start.
    #[error("RTCP header at offset {offset} is truncated")]
    TruncatedHeader {
        /// Where the header starts in the compound.
        offset: usize,
    },
    /// The version field was not 2.
    #[error("RTCP version {0}, expected 2")]
    BadVersion(u8),
    /// The length field points past the end of the datagram.
    #[error("RTCP packet at offset {offset} claims {claimed} octets but {available} remain")]
    Truncated {
        /// Where the packet starts.
        offset: usize,
        /// Octets its length field claims.
        claimed: usize,
        /// Octets left in the datagram.
        available: usize,
    },
    /// Only the last packet of a compound may be padded (RFC 3550 §6.4.1 / App. A.2).
    #[error("RTCP padding on a packet that is not the last of the compound")]
    PaddingNotLast,
    /// The padding count is 0 or exceeds the packet body.
    #[error("RTCP padding count {0} is invalid")]
    BadPadding(u8),
    /// The count field asks for more report blocks or sources than the packet holds.
    #[error("RTCP packet type {packet_type} with count {count} needs {needed} octets, has {len}")]
    CountMismatch {
        /// The packet type.
        packet_type: u8,
        /// The RC/SC field.
        count: u8,
        /// Octets the count requires.
        needed: usize,
        /// Octets the packet has (header and padding excluded).
        len: usize,
    },
    /// An SDES chunk or item runs past the end of its packet.
    #[error("SDES chunk or item runs past the end of its packet")]
    SdesTruncated,
    /// A BYE reason runs past the end of its packet.
    #[error("BYE reason runs past the end of its packet")]
    ByeTruncated,
    /// More than 31 blocks, chunks or sources for one packet.
    #[error("{0} entries do not fit a 5-bit RTCP count")]
    TooMany(usize),
    /// An SDES item or BYE reason longer than 255 octets.
    #[error("RTCP text of {0} octets exceeds 255")]
    TextTooLong(usize),
    /// A packet kind this module only parses.
    #[error("RTCP packet type {0} cannot be encoded here")]
    NotEncodable(u8),
}

/// One reception report block: what a receiver says about one source (RFC 3550 §6.4.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReportBlock {
    /// The source this block is about (SSRC_n).
    pub ssrc: u32,
    /// Fraction of packets lost since the previous report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative packets lost (24-bit signed; clamped when encoded).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub extended_highest_sequence: u32,
    /// Interarrival jitter, in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP time of the last SR from the source (0 if none).
    pub lsr: u32,
    /// Delay since that SR, in 1/65536 s (0 if none).
    pub dlsr: u32,
}

/// The sender-info section of an SR.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SenderInfo {
    /// Wall-clock time of the report.
    pub ntp: NtpTime,
    /// The media clock at the same instant.
    pub rtp_timestamp: u32,
    /// RTP packets sent (wrapping).
    pub packet_count: u32,
    /// RTP payload octets sent (wrapping).
    pub octet_count: u32,
}

/// One SDES item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdesItem {
    /// Item type (1 = CNAME, …).
    pub kind: u8,
    /// The item text (UTF-8 by the RFC, kept as sent).
    pub text: Vec<u8>,
}

/// One SDES chunk: the items describing one source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdesChunk {
    /// The source described.
    pub ssrc: u32,
    /// Its items, in order.
    pub items: Vec<SdesItem>,
}

impl SdesChunk {
    /// A chunk with only a CNAME.
    pub fn cname(ssrc: u32, cname: &str) -> SdesChunk {
        SdesChunk { ssrc, items: vec![SdesItem { kind: SDES_CNAME, text: cname.as_bytes().to_vec() }] }
    }

    /// The CNAME item, if present (lossily decoded).
    pub fn cname_text(&self) -> Option<String> {
        self.items
            .iter()
            .find(|i| i.kind == SDES_CNAME)
            .map(|i| String::from_utf8_lossy(&i.text).into_owned())
    }
}

/// One RTCP packet of a compound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RtcpPacket {
    /// SR (200).
    SenderReport {
        /// Sender's SSRC.
        ssrc: u32,
        /// Sender info.
        info: SenderInfo,
        /// Report blocks.
        blocks: Vec<ReportBlock>,
    },
    /// RR (201).
    ReceiverReport {
        /// Reporter's SSRC.
        ssrc: u32,
        /// Report blocks (may be none).
        blocks: Vec<ReportBlock>,
    },
    /// SDES (202).
    SourceDescription(Vec<SdesChunk>),
    /// BYE (203).
    Goodbye {
        /// Sources leaving.
        ssrcs: Vec<u32>,
        /// Reason for leaving, if given.
        reason: Option<String>,
    },
    /// APP (204): recognised and ignored; its data is not kept.
    App {
        /// Subtype (the count field).
        subtype: u8,
        /// Sender's SSRC.
        ssrc: u32,
        /// Four-character name.
        name: [u8; 4],
    },
    /// Any other packet type (feedback, XR, …): skipped.
    Other {
        /// The packet type.
        packet_type: u8,
    },
}

impl RtcpPacket {
    /// Appends this packet to `out` (never padded; `out` must already be 32-bit aligned for
    /// the result to be a valid compound).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), RtcpError> {
        let start = out.len();
        match self {
            RtcpPacket::SenderReport { ssrc, info, blocks } => {
                header(out, count(blocks.len())?, PT_SR);
                put32(out, *ssrc);
                put32(out, info.ntp.seconds());
                put32(out, info.ntp.fraction());
                put32(out, info.rtp_timestamp);
                put32(out, info.packet_count);
                put32(out, info.octet_count);
                blocks.iter().for_each(|b| put_block(out, b));
            }
            RtcpPacket::ReceiverReport { ssrc, blocks } => {
                header(out, count(blocks.len())?, PT_RR);
                put32(out, *ssrc);
                blocks.iter().for_each(|b| put_block(out, b));
            }
            RtcpPacket::SourceDescription(chunks) => {
                header(out, count(chunks.len())?, PT_SDES);
                for chunk in chunks {
                    put32(out, chunk.ssrc);
                    for item in &chunk.items {
                        out.push(item.kind);
                        put_text(out, &item.text)?;
                    }
                    out.push(0);
                    pad(out);
                }
            }
            RtcpPacket::Goodbye { ssrcs, reason } => {
                header(out, count(ssrcs.len())?, PT_BYE);
                ssrcs.iter().for_each(|s| put32(out, *s));
                if let Some(reason) = reason {
                    put_text(out, reason.as_bytes())?;
                    pad(out);
                }
            }
            RtcpPacket::App { subtype, ssrc, name } => {
                header(out, subtype & 0x1F, PT_APP);
                put32(out, *ssrc);
                out.extend_from_slice(name);
            }
            RtcpPacket::Other { packet_type } => return Err(RtcpError::NotEncodable(*packet_type)),
        }
        let words = (out.len() - start) / 4 - 1;
        let len = u16::try_from(words).map_err(|_| RtcpError::TooMany(words))?.to_be_bytes();
        out.splice(start + 2..start + 4, len);
        Ok(())
    }
}

/// Encodes packets back to back as one compound datagram.
pub fn encode_compound(packets: &[RtcpPacket]) -> Result<Vec<u8>, RtcpError> {
    let mut out = Vec::with_capacity(128);
    for p in packets {
        p.encode(&mut out)?;
    }
    Ok(out)
}

/// Clamps a cumulative loss to the 24-bit signed range of a report block.
pub fn clamp_cumulative_lost(lost: i64) -> i32 {
    let clamped = lost.clamp(i64::from(CUMULATIVE_LOST_MIN), i64::from(CUMULATIVE_LOST_MAX));
    i32::try_from(clamped).unwrap_or(0)
}

fn count(n: usize) -> Result<u8, RtcpError> {
    u8::try_from(n).ok().filter(|&c| usize::from(c) <= MAX_COUNT).ok_or(RtcpError::TooMany(n))
}

/// Header with a zero length, patched once the body is written.
fn header(out: &mut Vec<u8>, count: u8, packet_type: u8) {
    out.extend_from_slice(&[RTCP_VERSION << 6 | count, packet_type, 0, 0]);
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_block(out: &mut Vec<u8>, b: &ReportBlock) {
    put32(out, b.ssrc);
    let lost = (clamp_cumulative_lost(i64::from(b.cumulative_lost)) as u32) & 0xFF_FFFF;
    put32(out, u32::from(b.fraction_lost) << 24 | lost);
    put32(out, b.extended_highest_sequence);
    put32(out, b.jitter);
    put32(out, b.lsr);
    put32(out, b.dlsr);
}

/// A length-prefixed text (SDES item body, BYE reason).
fn put_text(out: &mut Vec<u8>, text: &[u8]) -> Result<(), RtcpError> {
    let len = u8::try_from(text.len()).map_err(|_| RtcpError::TextTooLong(text.len()))?;
    out.push(len);
    out.extend_from_slice(text);
    Ok(())
}

/// Zero octets up to the next 32-bit boundary.
fn pad(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn block() -> ReportBlock {
        ReportBlock {
            ssrc: 0x0A0B_0C0D,
            fraction_lost: 0x40,
            cumulative_lost: -2,
            extended_highest_sequence: 0x0001_0005,
            jitter: 0x26,
            lsr: 0x1122_3344,
            dlsr: 0x0001_0000,
        }
    }

    #[test]
    fn sender_report_layout() {
        let info = SenderInfo {
            ntp: NtpTime(0xE000_0000_8000_0000),
            rtp_timestamp: 0x1000,
            packet_count: 10,
            octet_count: 1600,
        };
        let sr = RtcpPacket::SenderReport { ssrc: 0x0102_0304, info, blocks: vec![block()] };
        let bytes = encode_compound(&[sr]).unwrap();
        assert_eq!(bytes.len(), 28 + 24);
        #[rustfmt::skip]
        let expect = [
            0x81, 200, 0, 12,            // V=2, RC=1, SR, 13 words − 1
            1, 2, 3, 4,                  // SSRC
            0xE0, 0, 0, 0, 0x80, 0, 0, 0, // NTP msw, lsw
            0, 0, 0x10, 0,               // RTP timestamp
            0, 0, 0, 10, 0, 0, 0x06, 0x40, // packets, octets
            0x0A, 0x0B, 0x0C, 0x0D,      // SSRC_1
            0x40, 0xFF, 0xFF, 0xFE,      // fraction 64/256, cumulative −2 (24-bit)
            0, 1, 0, 5,                  // extended highest sequence
            0, 0, 0, 0x26,               // jitter
            0x11, 0x22, 0x33, 0x44,      // LSR
            0, 1, 0, 0,                  // DLSR = 1 s
        ];
        assert_eq!(bytes, expect);
        let empty = RtcpPacket::SenderReport { ssrc: 1, info, blocks: vec![] };
        let bytes = encode_compound(&[empty]).unwrap();
        assert_eq!((bytes.len(), bytes[0], bytes[3]), (28, 0x80, 6));
    }

    #[test]
    fn receiver_report_layout() {
        let empty =
            encode_compound(&[RtcpPacket::ReceiverReport { ssrc: 0x0102_0304, blocks: vec![] }]).unwrap();
        assert_eq!(empty, [0x80, 201, 0, 1, 1, 2, 3, 4]);
        let one = encode_compound(&[RtcpPacket::ReceiverReport { ssrc: 1, blocks: vec![block()] }]).unwrap();
        assert_eq!((one.len(), one[0], one[3]), (32, 0x81, 7));
        assert_eq!(&one[8..12], &[0x0A, 0x0B, 0x0C, 0x0D]);
    }

    #[test]
    fn sdes_and_bye_layout() {
        let sdes = encode_compound(&[RtcpPacket::SourceDescription(vec![SdesChunk::cname(
            0x0102_0304,
            "alice@host",
        )])])
        .unwrap();
        // Chunk: SSRC (4) + type, len, 10 octets (12) + END (1) → 17, padded to 20.
        let mut expect = vec![0x81, 202, 0, 5, 1, 2, 3, 4, 1, 10];
        expect.extend_from_slice(b"alice@host");
        expect.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(sdes, expect);
        // A 2-octet CNAME: 4 + 4 + END → 9, padded to 12, packet 16 octets.
        let short =
            encode_compound(&[RtcpPacket::SourceDescription(vec![SdesChunk::cname(1, "ab")])]).unwrap();
        assert_eq!(short, [0x81, 202, 0, 3, 0, 0, 0, 1, 1, 2, b'a', b'b', 0, 0, 0, 0]);

        let bye =
            encode_compound(&[RtcpPacket::Goodbye { ssrcs: vec![0x0102_0304], reason: Some("bye".into()) }])
                .unwrap();
        assert_eq!(bye, [0x81, 203, 0, 2, 1, 2, 3, 4, 3, b'b', b'y', b'e']);
        let silent = encode_compound(&[RtcpPacket::Goodbye { ssrcs: vec![7], reason: None }]).unwrap();
        assert_eq!(silent, [0x81, 203, 0, 1, 0, 0, 0, 7]);
    }

    #[test]
    fn encoding_limits() {
        let blocks = vec![ReportBlock::default(); 32];
        assert_eq!(
            encode_compound(&[RtcpPacket::ReceiverReport { ssrc: 1, blocks }]),
            Err(RtcpError::TooMany(32))
        );
        let long = "x".repeat(256);
        assert_eq!(
            encode_compound(&[RtcpPacket::Goodbye { ssrcs: vec![1], reason: Some(long) }]),
            Err(RtcpError::TextTooLong(256))
        );
        assert_eq!(
            encode_compound(&[RtcpPacket::Other { packet_type: 207 }]),
            Err(RtcpError::NotEncodable(207))
        );
        assert_eq!(clamp_cumulative_lost(i64::MAX), CUMULATIVE_LOST_MAX);
        assert_eq!(clamp_cumulative_lost(i64::MIN), CUMULATIVE_LOST_MIN);
        // Out-of-range values in a block are clamped on the wire too.
        let b = ReportBlock { cumulative_lost: 0x0100_0000, ..ReportBlock::default() };
        let bytes = encode_compound(&[RtcpPacket::ReceiverReport { ssrc: 1, blocks: vec![b] }]).unwrap();
        assert_eq!(&bytes[12..16], &[0, 0x7F, 0xFF, 0xFF]);
    }
}
