//! Parsing compound RTCP datagrams (RFC 3550 §6.1, validity checks after App. A.2).
//!
//! ```text
//!  datagram ──▶ [hdr|body ……][hdr|body ……][hdr|body …… pad]
//!               each: V = 2, (length + 1) × 4 octets within the datagram,
//!               padding only on the last; the count must fit the body
//!                     │
//!                     ▼
//!               Vec<RtcpPacket>  (APP kept as a marker, unknown types as Other)
//! ```
//!
//! Every read goes through bounds-checked slices: malformed input is an [`RtcpError`],
//! never a panic. A compound that does not start with SR or RR is still read (reduced-size
//! RTCP, RFC 5506, and peers that send a lone BYE exist); the session does not need the
//! order.

use super::ntp::NtpTime;
use super::packet::{
    PT_APP, PT_BYE, PT_RR, PT_SDES, PT_SR, REPORT_BLOCK_LEN, RTCP_VERSION, ReportBlock, RtcpError,
    RtcpPacket, SENDER_INFO_LEN, SdesChunk, SdesItem, SenderInfo,
};

/// Reads every packet of a compound RTCP datagram.
pub fn parse_compound(datagram: &[u8]) -> Result<Vec<RtcpPacket>, RtcpError> {
    if datagram.is_empty() {
        return Err(RtcpError::Empty);
    }
    let mut packets = Vec::new();
    let mut offset = 0;
    while offset < datagram.len() {
        let rest = datagram.get(offset..).unwrap_or_default();
        let Some((&[b0, packet_type, l0, l1], _)) = rest.split_first_chunk::<4>() else {
            return Err(RtcpError::TruncatedHeader { offset });
        };
        if b0 >> 6 != RTCP_VERSION {
            return Err(RtcpError::BadVersion(b0 >> 6));
        }
        let claimed = (usize::from(u16::from_be_bytes([l0, l1])) + 1) * 4;
        let packet =
            rest.get(..claimed).ok_or(RtcpError::Truncated { offset, claimed, available: rest.len() })?;
        let is_last = claimed == rest.len();
        let body = unpadded_body(packet, b0 & 0x20 != 0, is_last)?;
        packets.push(parse_one(b0 & 0x1F, packet_type, body)?);
        offset += claimed;
    }
    Ok(packets)
}

/// The packet without its 4-octet header and without padding.
fn unpadded_body(packet: &[u8], padded: bool, is_last: bool) -> Result<&[u8], RtcpError> {
    let body = packet.get(4..).unwrap_or_default();
    if !padded {
        return Ok(body);
    }
    if !is_last {
        return Err(RtcpError::PaddingNotLast);
    }
    let &n = body.last().ok_or(RtcpError::BadPadding(0))?;
    let keep = body.len().checked_sub(usize::from(n)).filter(|_| n != 0).ok_or(RtcpError::BadPadding(n))?;
    Ok(body.get(..keep).unwrap_or_default())
}

fn parse_one(count: u8, packet_type: u8, body: &[u8]) -> Result<RtcpPacket, RtcpError> {
    let n = usize::from(count);
    let need = |fixed: usize, each: usize| {
        let needed = fixed + n * each;
        if body.len() < needed {
            Err(RtcpError::CountMismatch { packet_type, count, needed, len: body.len() })
        } else {
            Ok(())
        }
    };
    match packet_type {
        PT_SR => {
            need(4 + SENDER_INFO_LEN, REPORT_BLOCK_LEN)?;
            let info = SenderInfo {
                ntp: NtpTime(u64::from(be32(body, 4)) << 32 | u64::from(be32(body, 8))),
                rtp_timestamp: be32(body, 12),
                packet_count: be32(body, 16),
                octet_count: be32(body, 20),
            };
            Ok(RtcpPacket::SenderReport { ssrc: be32(body, 0), info, blocks: blocks(body, 24, n) })
        }
        PT_RR => {
            need(4, REPORT_BLOCK_LEN)?;
            Ok(RtcpPacket::ReceiverReport { ssrc: be32(body, 0), blocks: blocks(body, 4, n) })
        }
        PT_SDES => parse_sdes(body, n).map(RtcpPacket::SourceDescription),
        PT_BYE => {
            need(0, 4)?;
            let ssrcs = (0..n).map(|i| be32(body, i * 4)).collect();
            let reason = match body.get(n * 4..) {
                Some([len, text @ ..]) if *len > 0 => {
                    let text = text.get(..usize::from(*len)).ok_or(RtcpError::ByeTruncated)?;
                    Some(String::from_utf8_lossy(text).into_owned())
                }
                _ => None,
            };
            Ok(RtcpPacket::Goodbye { ssrcs, reason })
        }
        PT_APP => {
            need(8, 0)?;
            let name = body.get(4..8).and_then(|s| <[u8; 4]>::try_from(s).ok()).unwrap_or_default();
            Ok(RtcpPacket::App { subtype: count, ssrc: be32(body, 0), name })
        }
        other => Ok(RtcpPacket::Other { packet_type: other }),
    }
}

fn parse_sdes(body: &[u8], chunks: usize) -> Result<Vec<SdesChunk>, RtcpError> {
    let mut out = Vec::with_capacity(chunks.min(4));
    let mut at = 0;
    for _ in 0..chunks {
        let ssrc_bytes = body.get(at..at + 4).ok_or(RtcpError::SdesTruncated)?;
        let ssrc = be32(ssrc_bytes, 0);
        at += 4;
        let mut items = Vec::new();
        loop {
            match body.get(at..) {
                Some([0, ..]) => break,
                Some([kind, len, rest @ ..]) => {
                    let text = rest.get(..usize::from(*len)).ok_or(RtcpError::SdesTruncated)?;
                    items.push(SdesItem { kind: *kind, text: text.to_vec() });
                    at += 2 + text.len();
                }
                _ => return Err(RtcpError::SdesTruncated),
            }
        }
        // The END octet, then zeros to the next 32-bit boundary.
        at = (at + 4) & !3;
        if at > body.len() {
            return Err(RtcpError::SdesTruncated);
        }
        out.push(SdesChunk { ssrc, items });
    }
    Ok(out)
}

fn blocks(body: &[u8], from: usize, n: usize) -> Vec<ReportBlock> {
    (0..n)
        .map(|i| {
            let at = from + i * REPORT_BLOCK_LEN;
            let word = be32(body, at + 4);
            // Sign-extend the 24-bit cumulative loss.
            let cumulative_lost = ((word << 8) as i32) >> 8;
            ReportBlock {
                ssrc: be32(body, at),
                fraction_lost: (word >> 24) as u8,
                cumulative_lost,
                extended_highest_sequence: be32(body, at + 8),
                jitter: be32(body, at + 12),
                lsr: be32(body, at + 16),
                dlsr: be32(body, at + 20),
            }
        })
        .collect()
}

/// The big-endian word at `at`, or 0 past the end (callers check lengths first).
fn be32(buf: &[u8], at: usize) -> u32 {
    buf.get(at..).and_then(|s| s.first_chunk::<4>()).map_or(0, |w| u32::from_be_bytes(*w))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::super::packet::encode_compound;
    use super::*;

    fn sample() -> Vec<RtcpPacket> {
        let block = ReportBlock {
            ssrc: 9,
            fraction_lost: 25,
            cumulative_lost: -3,
            extended_highest_sequence: 70_000,
            jitter: 38,
            lsr: 0xABCD_0123,
            dlsr: 6554,
        };
        vec![
            RtcpPacket::SenderReport {
                ssrc: 5,
                info: SenderInfo {
                    ntp: NtpTime(0xE1E2_E3E4_0102_0304),
                    rtp_timestamp: 7,
                    packet_count: 8,
                    octet_count: 1280,
                },
                blocks: vec![block],
            },
            RtcpPacket::SourceDescription(vec![
                SdesChunk::cname(5, "bob@example.org"),
                SdesChunk { ssrc: 6, items: vec![SdesItem { kind: 2, text: b"Bob".to_vec() }] },
            ]),
            RtcpPacket::App { subtype: 3, ssrc: 5, name: *b"TEST" },
            RtcpPacket::Goodbye { ssrcs: vec![5, 6], reason: Some("done".into()) },
        ]
    }

    #[test]
    fn round_trip() {
        let packets = sample();
        let bytes = encode_compound(&packets).unwrap();
        assert_eq!(parse_compound(&bytes).unwrap(), packets);
        let rr = vec![RtcpPacket::ReceiverReport { ssrc: 1, blocks: vec![] }];
        assert_eq!(parse_compound(&encode_compound(&rr).unwrap()).unwrap(), rr);
    }

    #[test]
    fn padding_only_on_the_last_packet() {
        let mut bytes = encode_compound(&[RtcpPacket::Goodbye { ssrcs: vec![1], reason: None }]).unwrap();
        // Pad the BYE by 4: P bit, length 2, three zeros and the count.
        bytes[0] |= 0x20;
        bytes[3] = 2;
        bytes.extend_from_slice(&[0, 0, 0, 4]);
        assert_eq!(
            parse_compound(&bytes).unwrap(),
            vec![RtcpPacket::Goodbye { ssrcs: vec![1], reason: None }]
        );
        let mut two = bytes.clone();
        two.extend_from_slice(&[0x80, 201, 0, 1, 0, 0, 0, 1]);
        assert_eq!(parse_compound(&two), Err(RtcpError::PaddingNotLast));
        let mut bad = bytes.clone();
        *bad.last_mut().unwrap() = 0;
        assert_eq!(parse_compound(&bad), Err(RtcpError::BadPadding(0)));
        *bad.last_mut().unwrap() = 9;
        assert_eq!(parse_compound(&bad), Err(RtcpError::BadPadding(9)));
    }

    #[test]
    fn malformed_inputs_are_errors() {
        assert_eq!(parse_compound(&[]), Err(RtcpError::Empty));
        assert_eq!(parse_compound(&[0x80, 201]), Err(RtcpError::TruncatedHeader { offset: 0 }));
        assert_eq!(parse_compound(&[0x40, 201, 0, 0]), Err(RtcpError::BadVersion(1)));
        assert_eq!(
            parse_compound(&[0x80, 201, 0, 1, 0, 0]),
            Err(RtcpError::Truncated { offset: 0, claimed: 8, available: 6 })
        );
        // RC = 1 but no room for a block.
        assert_eq!(
            parse_compound(&[0x81, 201, 0, 1, 0, 0, 0, 1]),
            Err(RtcpError::CountMismatch { packet_type: 201, count: 1, needed: 28, len: 4 })
        );
        // SDES item length past the end.
        assert_eq!(
            parse_compound(&[0x81, 202, 0, 2, 0, 0, 0, 1, 1, 9, b'a', 0]),
            Err(RtcpError::SdesTruncated)
        );
        // SDES chunk without an END octet.
        assert_eq!(
            parse_compound(&[0x81, 202, 0, 2, 0, 0, 0, 1, 1, 2, b'a', b'b']),
            Err(RtcpError::SdesTruncated)
        );
        // BYE reason longer than the packet.
        assert_eq!(
            parse_compound(&[0x81, 203, 0, 2, 0, 0, 0, 1, 5, b'a', 0, 0]),
            Err(RtcpError::ByeTruncated)
        );
        // Garbage after a valid packet.
        assert_eq!(
            parse_compound(&[0x80, 201, 0, 1, 0, 0, 0, 1, 0xFF]),
            Err(RtcpError::TruncatedHeader { offset: 8 })
        );
        assert_eq!(
            parse_compound(&[0x80, 201, 0, 1, 0, 0, 0, 1, 0xFF, 0, 0, 0]),
            Err(RtcpError::BadVersion(3))
        );
    }

    #[test]
    fn every_cut_of_a_compound_is_an_error() {
        let bytes = encode_compound(&sample()).unwrap();
        // SR 28 + 24; SDES 4 + 24 + 12; APP 12; BYE 12 + 8.
        let boundaries = [52usize, 92, 104];
        assert_eq!(bytes.len(), 124);
        for cut in 1..bytes.len() {
            let r = parse_compound(&bytes[..cut]);
            assert_eq!(r.is_ok(), boundaries.contains(&cut), "cut at {cut}: {r:?}");
        }
    }

    #[test]
    fn unknown_types_are_skipped_and_loss_sign_extends() {
        // An RTPFB (205) packet, then an RR whose block says cumulative lost = 0x800000.
        let mut bytes = vec![0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2];
        bytes.extend_from_slice(&[0x81, 201, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0x10, 0x80, 0, 0]);
        bytes.extend_from_slice(&[0; 16]);
        let parsed = parse_compound(&bytes).unwrap();
        assert_eq!(parsed[0], RtcpPacket::Other { packet_type: 205 });
        let RtcpPacket::ReceiverReport { blocks, .. } = &parsed[1] else { panic!("{parsed:?}") };
        assert_eq!((blocks[0].fraction_lost, blocks[0].cumulative_lost), (0x10, -0x80_0000));
    }
}
