//! The receiving half of an RTP stream: validation, source and sequence tracking, RFC 3550
//! interarrival jitter, and in-order hand-out through a small reorder window.
//!
//! Re-exported from [`super::rtp`]; see there for the receiver model.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeMap;

use super::g711::Law;
use super::rtp::{
    DEFAULT_REORDER_DEPTH, G711_CLOCK_RATE, MAX_DROPOUT, MAX_MISORDER, RtpError, RtpHeader, is_rtcp,
    parse_rtp,
};

/// What an [`RtpReceiver`] accepts and how long it waits for a missing packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiverConfig {
    /// Payload types accepted (e.g. the negotiated codec and telephone-event).
    pub payload_types: Vec<u8>,
    /// RTP clock rate of the stream, in Hz (for jitter in milliseconds).
    pub clock_rate: u32,
    /// Packets held behind a gap before the gap is declared lost (0 = no reordering).
    pub reorder_depth: usize,
}

impl ReceiverConfig {
    /// G.711 with one law's static payload type, 8 kHz, [`DEFAULT_REORDER_DEPTH`].
    pub fn g711(law: Law) -> ReceiverConfig {
        ReceiverConfig {
            payload_types: vec![law.payload_type()],
            clock_rate: G711_CLOCK_RATE,
            reorder_depth: DEFAULT_REORDER_DEPTH,
        }
    }
}

/// Counters kept by an [`RtpReceiver`] for the current source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReceiverCounters {
    /// Distinct RTP packets accepted (duplicates excluded).
    pub received: u64,
    /// Payload octets of those packets.
    pub payload_bytes: u64,
    /// Whole-packet octets of those packets.
    pub bytes: u64,
    /// Copies of a packet already received.
    pub duplicates: u64,
    /// Packets that arrived with a lower sequence number than one already received.
    pub out_of_order: u64,
    /// Packets that arrived after their playout slot had passed (dropped from playout).
    pub late: u64,
    /// Sequence gaps given up on during playout (packets).
    pub concealed: u64,
    /// RTCP packets seen on this port.
    pub rtcp: u64,
    /// Datagrams that were not valid RTP.
    pub malformed: u64,
    /// RTP packets dropped for an unaccepted payload type.
    pub wrong_payload_type: u64,
    /// RTP packets dropped from another SSRC, or after a sequence jump, while on probation.
    pub probation_drops: u64,
    /// Times the stream restarted (new SSRC, or a sequence jump confirmed).
    pub restarts: u64,
}

/// What became of one datagram handed to [`RtpReceiver::receive`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Accepted and queued for playout.
    Queued {
        /// Extended sequence number.
        ext_seq: i64,
        /// True if a higher sequence number had already arrived.
        out_of_order: bool,
    },
    /// A copy of a packet already received; dropped.
    Duplicate {
        /// Extended sequence number.
        ext_seq: i64,
    },
    /// Received, but its playout slot had passed; counted, not played.
    Late {
        /// Extended sequence number.
        ext_seq: i64,
    },
    /// An RTCP packet (type 200–204), counted and not parsed.
    Rtcp {
        /// The RTCP packet type.
        packet_type: u8,
    },
    /// An RTP payload type not configured; dropped.
    PayloadTypeFiltered {
        /// The payload type.
        payload_type: u8,
    },
    /// From another SSRC, or a sequence jump: dropped unless the next packet confirms it.
    Probation {
        /// SSRC of the packet.
        ssrc: u32,
        /// Its sequence number.
        sequence: u16,
    },
}

/// One packet handed out for decoding, in sequence order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaPacket {
    /// Extended sequence number.
    pub ext_seq: i64,
    /// Media timestamp.
    pub timestamp: u32,
    /// Payload type.
    pub payload_type: u8,
    /// Marker bit.
    pub marker: bool,
    /// The payload.
    pub payload: Vec<u8>,
}

/// The next item of the in-order playout stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Playout {
    /// The next packet.
    Packet(MediaPacket),
    /// This many consecutive packets never arrived in time; conceal them.
    Lost {
        /// Number of packets.
        packets: u64,
    },
}

impl Playout {
    /// Decodes this item as G.711, appending to `out`: the packet's samples, or
    /// `samples_per_packet` samples of silence per lost packet.
    pub fn decode_g711(&self, law: Law, samples_per_packet: usize, out: &mut Vec<i16>) {
        match self {
            Playout::Packet(p) => law.decode_into(&p.payload, out),
            Playout::Lost { packets } => {
                let n = usize::try_from(*packets).unwrap_or(usize::MAX).saturating_mul(samples_per_packet);
                out.resize(out.len().saturating_add(n), 0);
            }
        }
    }
}

/// Sequence and jitter state for one source (RFC 3550 App. A.1 and A.8).
#[derive(Clone, Debug)]
struct SourceState {
    ssrc: u32,
    base: i64,
    max: i64,
    /// Bit i set: extended sequence `max − i` has been received.
    seen: u128,
    /// Jitter × 16, in timestamp units (the reference integer form; u64 so that even
    /// absurd transit swings cannot overflow it).
    jitter16: u64,
    last_transit: Option<i32>,
}

impl SourceState {
    fn new(ssrc: u32, seq: u16) -> SourceState {
        let ext = i64::from(seq);
        SourceState { ssrc, base: ext, max: ext, seen: 0, jitter16: 0, last_transit: None }
    }

    /// Signed distance from the highest sequence number so far, in −32768..=32767.
    fn delta(&self, seq: u16) -> i32 {
        i32::from(seq.wrapping_sub(self.max as u16) as i16)
    }

    fn update_jitter(&mut self, timestamp: u32, arrival: u32) {
        let transit = arrival.wrapping_sub(timestamp) as i32;
        if let Some(last) = self.last_transit {
            let d = u64::from(transit.wrapping_sub(last).unsigned_abs());
            // J += (|D| − J) / 16, kept scaled by 16 with rounding.
            self.jitter16 = self.jitter16 + d - ((self.jitter16 + 8) >> 4);
        }
        self.last_transit = Some(transit);
    }
}

/// The receiving side of one RTP stream.
#[derive(Clone, Debug)]
pub struct RtpReceiver {
    config: ReceiverConfig,
    source: Option<SourceState>,
    /// A packet on probation: (SSRC, the sequence number that would confirm it).
    candidate: Option<(u32, u16)>,
    counters: ReceiverCounters,
    queue: BTreeMap<i64, MediaPacket>,
    /// Next extended sequence number to play; `None` until playout starts.
    next_play: Option<i64>,
}

impl RtpReceiver {
    /// A receiver with no source yet.
    pub fn new(config: ReceiverConfig) -> RtpReceiver {
        RtpReceiver {
            config,
            source: None,
            candidate: None,
            counters: ReceiverCounters::default(),
            queue: BTreeMap::new(),
            next_play: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ReceiverConfig {
        &self.config
    }

    /// Counters for the current source.
    pub fn counters(&self) -> ReceiverCounters {
        self.counters
    }

    /// The SSRC being received, once a packet has been accepted.
    pub fn ssrc(&self) -> Option<u32> {
        self.source.as_ref().map(|s| s.ssrc)
    }

    /// First extended sequence number of the current source.
    pub fn base_sequence(&self) -> Option<i64> {
        self.source.as_ref().map(|s| s.base)
    }

    /// Highest extended sequence number received (cycles << 16 | highest seq).
    pub fn extended_highest_sequence(&self) -> Option<i64> {
        self.source.as_ref().map(|s| s.max)
    }

    /// The extended highest sequence number as an RTCP report block carries it.
    pub fn extended_highest_sequence_u32(&self) -> u32 {
        self.source.as_ref().map_or(0, |s| s.max as u32)
    }

    /// Packets expected: highest − base + 1 (RFC 3550 App. A.3); 0 before the first packet.
    pub fn expected(&self) -> u64 {
        self.source.as_ref().map_or(0, |s| u64::try_from(s.max - s.base + 1).unwrap_or(0))
    }

    /// Packets lost: expected − received (cumulative, as in an RTCP report block).
    pub fn lost(&self) -> i64 {
        i64::try_from(self.expected()).unwrap_or(i64::MAX)
            - i64::try_from(self.counters.received).unwrap_or(0)
    }

    /// Interarrival jitter in timestamp units, as an RTCP report block carries it.
    pub fn jitter(&self) -> u32 {
        self.source.as_ref().map_or(0, |s| u32::try_from(s.jitter16 >> 4).unwrap_or(u32::MAX))
    }

    /// Interarrival jitter in milliseconds.
    pub fn jitter_ms(&self) -> f64 {
        let j = self.source.as_ref().map_or(0.0, |s| s.jitter16 as f64 / 16.0);
        if self.config.clock_rate == 0 { 0.0 } else { j * 1000.0 / f64::from(self.config.clock_rate) }
    }

    /// Packets waiting in the reorder window.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Takes one datagram that arrived at `arrival` (in timestamp units of the media clock).
    ///
    /// RTCP is recognised first. Anything that is not valid RTP is an error (and counted);
    /// nothing panics.
    pub fn receive(&mut self, datagram: &[u8], arrival: u32) -> Result<Disposition, RtpError> {
        if let Some(&packet_type) = datagram.get(1).filter(|_| is_rtcp(datagram)) {
            self.counters.rtcp += 1;
            return Ok(Disposition::Rtcp { packet_type });
        }
        let h = match parse_rtp(datagram) {
            Ok(h) => h,
            Err(e) => {
                self.counters.malformed += 1;
                return Err(e);
            }
        };
        if !self.config.payload_types.contains(&h.payload_type) {
            self.counters.wrong_payload_type += 1;
            return Ok(Disposition::PayloadTypeFiltered { payload_type: h.payload_type });
        }

        let Some(src) = self.source.as_mut() else {
            self.restart(h.ssrc, h.sequence, false);
            return Ok(self.accept(&h, datagram.len(), arrival));
        };
        if src.ssrc != h.ssrc {
            return Ok(self.probation(&h, datagram.len(), arrival));
        }
        let delta = src.delta(h.sequence);
        if !(-MAX_MISORDER..=MAX_DROPOUT).contains(&delta) {
            return Ok(self.probation(&h, datagram.len(), arrival));
        }
        self.candidate = None;
        Ok(self.accept(&h, datagram.len(), arrival))
    }

    /// A packet from another SSRC or far off the sequence: confirm it with its successor.
    fn probation(&mut self, h: &RtpHeader<'_>, len: usize, arrival: u32) -> Disposition {
        if self.candidate == Some((h.ssrc, h.sequence)) {
            self.candidate = None;
            self.restart(h.ssrc, h.sequence, true);
            return self.accept(h, len, arrival);
        }
        self.candidate = Some((h.ssrc, h.sequence.wrapping_add(1)));
        self.counters.probation_drops += 1;
        Disposition::Probation { ssrc: h.ssrc, sequence: h.sequence }
    }

    /// Starts tracking a new source at `seq`, dropping the old source's queue and counters
    /// (except the datagram-level ones, which span the whole port).
    fn restart(&mut self, ssrc: u32, seq: u16, counted: bool) {
        let keep = self.counters;
        self.counters = ReceiverCounters {
            rtcp: keep.rtcp,
            malformed: keep.malformed,
            wrong_payload_type: keep.wrong_payload_type,
            probation_drops: keep.probation_drops,
            restarts: keep.restarts + u64::from(counted),
            ..ReceiverCounters::default()
        };
        self.source = Some(SourceState::new(ssrc, seq));
        self.queue.clear();
        self.next_play = None;
    }

    /// Sequence bookkeeping, jitter and queueing for a packet of the current source.
    fn accept(&mut self, h: &RtpHeader<'_>, len: usize, arrival: u32) -> Disposition {
        let Some(src) = self.source.as_mut() else {
            return Disposition::Probation { ssrc: h.ssrc, sequence: h.sequence };
        };
        let delta = src.delta(h.sequence);
        let ext = src.max + i64::from(delta);
        let is_first = src.seen == 0;
        let mut out_of_order = false;
        if is_first {
            src.seen = 1;
        } else if delta > 0 {
            let shift = u32::try_from(delta).unwrap_or(128);
            src.seen = if shift >= 128 { 0 } else { src.seen << shift };
            src.seen |= 1;
            src.max = ext;
        } else {
            let bit = 1u128 << (delta.unsigned_abs().min(127));
            if src.seen & bit != 0 {
                self.counters.duplicates += 1;
                return Disposition::Duplicate { ext_seq: ext };
            }
            src.seen |= bit;
            out_of_order = true;
            src.base = src.base.min(ext);
        }
        src.update_jitter(h.timestamp, arrival);

        self.counters.received += 1;
        self.counters.payload_bytes += h.payload.len() as u64;
        self.counters.bytes += len as u64;
        if out_of_order {
            self.counters.out_of_order += 1;
        }
        if self.next_play.is_some_and(|next| ext < next) {
            self.counters.late += 1;
            return Disposition::Late { ext_seq: ext };
        }
        self.queue.insert(
            ext,
            MediaPacket {
                ext_seq: ext,
                timestamp: h.timestamp,
                payload_type: h.payload_type,
                marker: h.marker,
                payload: h.payload.to_vec(),
            },
        );
        Disposition::Queued { ext_seq: ext, out_of_order }
    }

    /// The next playout item, if one is ready: the next packet in sequence, or a gap given up
    /// on because more than `reorder_depth` packets wait behind it. Call until `None` after
    /// each [`receive`](Self::receive).
    ///
    /// Playout starts once `reorder_depth + 1` packets are queued, so a stream whose first
    /// packets arrive swapped still starts at the lowest one.
    pub fn pop(&mut self) -> Option<Playout> {
        let depth = self.config.reorder_depth;
        let next = match self.next_play {
            Some(n) => n,
            None => {
                if self.queue.len() <= depth {
                    return None;
                }
                *self.queue.keys().next()?
            }
        };
        self.pop_from(next, self.queue.len() > depth)
    }

    /// Hands out everything queued, declaring any remaining gaps lost (end of call, or a
    /// playout clock that cannot wait any longer).
    pub fn flush(&mut self) -> Option<Playout> {
        let next = match self.next_play {
            Some(n) => n,
            None => *self.queue.keys().next()?,
        };
        self.pop_from(next, true)
    }

    fn pop_from(&mut self, next: i64, give_up_gap: bool) -> Option<Playout> {
        let (&first, _) = self.queue.iter().next()?;
        if first == next {
            let p = self.queue.remove(&first)?;
            self.next_play = Some(first + 1);
            return Some(Playout::Packet(p));
        }
        if give_up_gap && first > next {
            let packets = u64::try_from(first - next).unwrap_or(0);
            self.counters.concealed += packets;
            self.next_play = Some(first);
            return Some(Playout::Lost { packets });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::super::rtp::RtpSender;
    use super::*;

    fn sender(seq: u16) -> RtpSender {
        RtpSender::with_initial(0x1234_5678, seq, 1000, 0).unwrap()
    }

    fn drain(rx: &mut RtpReceiver) -> Vec<Playout> {
        std::iter::from_fn(|| rx.pop()).collect()
    }

    fn seqs(items: &[Playout]) -> Vec<Option<i64>> {
        items
            .iter()
            .flat_map(|p| match p {
                Playout::Packet(m) => vec![Some(m.ext_seq)],
                Playout::Lost { packets } => vec![None; *packets as usize],
            })
            .collect()
    }

    #[test]
    fn rtcp_is_recognised_and_counted() {
        let mut rx = RtpReceiver::new(ReceiverConfig::g711(Law::Ulaw));
        // An empty RR: V=2, RC=0, PT=201, length 1, SSRC.
        let rr = [0x80, 201, 0, 1, 1, 2, 3, 4];
        assert_eq!(rx.receive(&rr, 0), Ok(Disposition::Rtcp { packet_type: 201 }));
        assert!(is_rtcp(&[0x81, 200]));
        assert!(!is_rtcp(&[0x80, 205]));
        assert!(!is_rtcp(&[0x40, 200]));
        assert!(!is_rtcp(&[0x80]));
        assert_eq!(rx.counters().rtcp, 1);
        assert_eq!(rx.ssrc(), None);
    }

    #[test]
    fn payload_type_filter() {
        let mut rx = RtpReceiver::new(ReceiverConfig::g711(Law::Alaw));
        let p = sender(1).build(&[0; 160]).unwrap();
        assert_eq!(rx.receive(&p, 0), Ok(Disposition::PayloadTypeFiltered { payload_type: 0 }));
        assert_eq!(rx.counters().wrong_payload_type, 1);
        assert_eq!(rx.expected(), 0);
    }

    #[test]
    fn in_order_stream_with_wrap() {
        let mut cfg = ReceiverConfig::g711(Law::Ulaw);
        cfg.reorder_depth = 0;
        let mut rx = RtpReceiver::new(cfg);
        let mut s = sender(65534);
        let mut got = Vec::new();
        for _ in 0..5 {
            rx.receive(&s.build(&[0; 160]).unwrap(), 0).unwrap();
            got.extend(drain(&mut rx));
        }
        assert_eq!(seqs(&got), vec![Some(65534), Some(65535), Some(65536), Some(65537), Some(65538)]);
        assert_eq!(rx.extended_highest_sequence(), Some(65538));
        assert_eq!(rx.extended_highest_sequence_u32(), 0x0001_0002);
        assert_eq!((rx.expected(), rx.lost()), (5, 0));
    }

    #[test]
    fn reorder_duplicates_and_loss() {
        let mut rx = RtpReceiver::new(ReceiverConfig::g711(Law::Ulaw));
        let mut s = sender(100);
        let pkts: Vec<Vec<u8>> = (0..12).map(|_| s.build(&[0; 160]).unwrap()).collect();
        // Send order: 1 0 2 2 4 3 6 7 8 9 10 5(late) 11; 5 is held, then given up on.
        let mut got = Vec::new();
        let mut disp = Vec::new();
        for i in [1usize, 0, 2, 2, 4, 3, 6, 7, 8, 9, 10, 5, 11] {
            disp.push(rx.receive(&pkts[i], 0).unwrap());
            got.extend(drain(&mut rx));
        }
        got.extend(std::iter::from_fn(|| rx.flush()));
        assert_eq!(disp[1], Disposition::Queued { ext_seq: 100, out_of_order: true });
        assert_eq!(disp[3], Disposition::Duplicate { ext_seq: 102 });
        assert_eq!(disp[11], Disposition::Late { ext_seq: 105 });
        let expect: Vec<Option<i64>> = (100..112).map(|s| if s == 105 { None } else { Some(s) }).collect();
        assert_eq!(seqs(&got), expect);
        let c = rx.counters();
        assert_eq!((c.received, c.duplicates, c.out_of_order, c.late, c.concealed), (12, 1, 3, 1, 1));
        assert_eq!((rx.expected(), rx.lost()), (12, 0));
    }

    #[test]
    fn first_packets_swapped_still_start_at_the_lowest() {
        let mut rx = RtpReceiver::new(ReceiverConfig::g711(Law::Ulaw));
        let mut s = sender(65530);
        let pkts: Vec<Vec<u8>> = (0..8).map(|_| s.build(&[0; 160]).unwrap()).collect();
        let mut got = Vec::new();
        for i in [1usize, 0, 3, 2, 4, 5, 6, 7] {
            rx.receive(&pkts[i], 0).unwrap();
            got.extend(drain(&mut rx));
        }
        got.extend(std::iter::from_fn(|| rx.flush()));
        assert_eq!(seqs(&got), (65530..65538).map(Some).collect::<Vec<_>>());
        assert_eq!(rx.base_sequence(), Some(65530));
        assert_eq!(rx.lost(), 0);
    }

    #[test]
    fn ssrc_change_needs_two_sequential_packets() {
        let mut rx = RtpReceiver::new(ReceiverConfig::g711(Law::Ulaw));
        let mut a = sender(10);
        let mut b = RtpSender::with_initial(0xBBBB, 5000, 0, 0).unwrap();
        rx.receive(&a.build(&[0; 160]).unwrap(), 0).unwrap();
        rx.receive(&a.build(&[0; 160]).unwrap(), 0).unwrap();
        assert!(matches!(rx.receive(&b.build(&[0; 160]).unwrap(), 0), Ok(Disposition::Probation { .. })));
        assert_eq!(rx.ssrc(), Some(0x1234_5678));
        assert!(matches!(rx.receive(&b.build(&[0; 160]).unwrap(), 0), Ok(Disposition::Queued { .. })));
        assert_eq!(rx.ssrc(), Some(0xBBBB));
        let c = rx.counters();
        assert_eq!((c.restarts, c.received, c.probation_drops), (1, 1, 1));
        assert_eq!(rx.base_sequence(), Some(5001));
    }

    #[test]
    fn sequence_jump_is_confirmed_before_restart() {
        let mut rx = RtpReceiver::new(ReceiverConfig::g711(Law::Ulaw));
        let mut s = sender(10);
        rx.receive(&s.build(&[0; 160]).unwrap(), 0).unwrap();
        let mut far = RtpSender::with_initial(0x1234_5678, 20_000, 0, 0).unwrap();
        assert!(matches!(rx.receive(&far.build(&[0; 160]).unwrap(), 0), Ok(Disposition::Probation { .. })));
        // The old stream continues: the jump was a stray packet.
        assert!(matches!(rx.receive(&s.build(&[0; 160]).unwrap(), 0), Ok(Disposition::Queued { .. })));
        assert_eq!(rx.counters().restarts, 0);
        rx.receive(&far.build(&[0; 160]).unwrap(), 0).unwrap(); // 20001: probation again
        rx.receive(&far.build(&[0; 160]).unwrap(), 0).unwrap(); // 20002 confirms
        assert_eq!(rx.counters().restarts, 1);
        assert_eq!(rx.base_sequence(), Some(20_002));
        // A modest gap (≤ 3000) is loss, not a restart.
        let mut gap = RtpSender::with_initial(0x1234_5678, 22_000, 0, 0).unwrap();
        assert!(matches!(rx.receive(&gap.build(&[0; 160]).unwrap(), 0), Ok(Disposition::Queued { .. })));
        assert_eq!(rx.lost(), 1997);
    }

    #[test]
    fn jitter_matches_the_reference_sequence() {
        // Transit alternating 0, 80, 0, 80 … (see rtp-rtcp-dtmf.md).
        let mut rx = RtpReceiver::new(ReceiverConfig::g711(Law::Ulaw));
        let mut s = sender(0);
        let mut reported = Vec::new();
        for i in 0..11u32 {
            let p = s.build(&[0; 160]).unwrap();
            let ts = 1000 + 160 * i;
            rx.receive(&p, ts + if i % 2 == 1 { 80 } else { 0 }).unwrap();
            if i > 0 {
                reported.push(rx.jitter());
            }
        }
        assert_eq!(reported, vec![5, 9, 14, 18, 22, 25, 29, 32, 35, 38]);
        // 38.x ticks at 8 kHz ≈ 4.8 ms.
        assert!((rx.jitter_ms() - 4.8).abs() < 0.1, "{}", rx.jitter_ms());
    }

    #[test]
    fn decode_g711_conceals_lost_packets() {
        let mut out = Vec::new();
        Playout::Lost { packets: 2 }.decode_g711(Law::Ulaw, 160, &mut out);
        assert_eq!(out, vec![0; 320]);
        let p =
            MediaPacket { ext_seq: 0, timestamp: 0, payload_type: 0, marker: false, payload: vec![0xFF; 4] };
        Playout::Packet(p).decode_g711(Law::Ulaw, 160, &mut out);
        assert_eq!(out.len(), 324);
    }
}
