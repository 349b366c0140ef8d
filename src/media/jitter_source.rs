//! Which packets belong to the stream the jitter buffer plays: one SSRC, sequence numbers and
//! timestamps extended past their wrap (u16 / u32), duplicates, and a new source confirmed
//! before playout switches to it.
//!
//! ```text
//!   (ssrc, seq, ts) ──► same SSRC, seq within −100…+3000 of the highest? ──no──► on probation:
//!                         │ yes                                              held, unless it is
//!                         ▼                                                  the successor of the
//!                seq seen before (128-packet bitmap)? ──yes──► Duplicate     packet held last
//!                         │ no                                               → Restart
//!                         ▼
//!                Next { extended seq, extended ts }
//! ```
//!
//! The limits are those of RFC 3550 App. A.1 ([`MAX_MISORDER`], [`MAX_DROPOUT`]). Extension
//! works from the highest number seen: a value is taken as the nearest one (within half the
//! number space) to it, so streams starting at 65530 or near `u32::MAX` simply count on.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::rtp::{MAX_DROPOUT, MAX_MISORDER};

/// Sequence numbers behind the highest one whose arrival is remembered.
const SEEN_BITS: u32 = 128;

/// Where a packet belongs, as told by [`StreamTracker::classify`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A packet of the current stream, not seen before.
    Next {
        /// Extended sequence number.
        ext_seq: i64,
        /// Extended timestamp.
        ext_ts: i64,
        /// True if it is the highest sequence number so far.
        newest: bool,
    },
    /// A copy of a packet already seen.
    Duplicate,
    /// From another SSRC, or far off the sequence: held until its successor confirms it.
    Held,
    /// The successor of the held packet arrived: a new stream starts with the held packet.
    /// Call [`StreamTracker::start`] with it, then classify this packet again.
    Restart {
        /// True if the SSRC changed (false: a sequence jump within one SSRC).
        new_ssrc: bool,
    },
}

/// Numbering of the current stream.
#[derive(Clone, Copy, Debug)]
struct Numbering {
    ssrc: u32,
    max_seq: i64,
    /// Bit i set: extended sequence number `max_seq − i` has arrived.
    seen: u128,
    max_ts: i64,
}

/// Tracks the SSRC, sequence numbers and timestamps of one played stream.
#[derive(Clone, Debug, Default)]
pub struct StreamTracker {
    current: Option<Numbering>,
    /// The (SSRC, sequence number) that would confirm the packet on probation.
    candidate: Option<(u32, u16)>,
}

impl StreamTracker {
    /// A tracker with no stream yet.
    pub fn new() -> StreamTracker {
        StreamTracker::default()
    }

    /// The SSRC of the current stream.
    pub fn ssrc(&self) -> Option<u32> {
        self.current.map(|c| c.ssrc)
    }

    /// Makes `(ssrc, seq, ts)` the first packet of a new stream; returns its extended sequence
    /// number and timestamp.
    pub fn start(&mut self, ssrc: u32, seq: u16, ts: u32) -> (i64, i64) {
        let (ext_seq, ext_ts) = (i64::from(seq), i64::from(ts));
        self.current = Some(Numbering { ssrc, max_seq: ext_seq, seen: 1, max_ts: ext_ts });
        self.candidate = None;
        (ext_seq, ext_ts)
    }

    /// Places one packet (see [`Placement`]).
    pub fn classify(&mut self, ssrc: u32, seq: u16, ts: u32) -> Placement {
        let Some(cur) = self.current.as_mut() else {
            let (ext_seq, ext_ts) = self.start(ssrc, seq, ts);
            return Placement::Next { ext_seq, ext_ts, newest: true };
        };
        let delta = i32::from(seq.wrapping_sub(cur.max_seq as u16) as i16);
        if cur.ssrc != ssrc || !(-MAX_MISORDER..=MAX_DROPOUT).contains(&delta) {
            if self.candidate == Some((ssrc, seq)) {
                self.candidate = None;
                return Placement::Restart { new_ssrc: ssrc != cur.ssrc };
            }
            self.candidate = Some((ssrc, seq.wrapping_add(1)));
            return Placement::Held;
        }
        self.candidate = None;
        let back = delta.unsigned_abs();
        if delta > 0 {
            cur.seen = if back >= SEEN_BITS { 1 } else { (cur.seen << back) | 1 };
            cur.max_seq += i64::from(delta);
        } else if back < SEEN_BITS {
            let bit = 1u128 << back;
            if cur.seen & bit != 0 {
                return Placement::Duplicate;
            }
            cur.seen |= bit;
        }
        let ext_ts = cur.max_ts + i64::from(ts.wrapping_sub(cur.max_ts as u32) as i32);
        cur.max_ts = cur.max_ts.max(ext_ts);
        Placement::Next { ext_seq: cur.max_seq + i64::from(delta.min(0)), ext_ts, newest: delta > 0 }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn next(p: Placement) -> (i64, i64) {
        match p {
            Placement::Next { ext_seq, ext_ts, .. } => (ext_seq, ext_ts),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sequence_and_timestamp_extend_across_wraps() {
        let mut t = StreamTracker::new();
        let ts0 = u32::MAX - 200;
        let mut got = Vec::new();
        for i in 0..8u16 {
            let seq = 65533u16.wrapping_add(i);
            got.push(next(t.classify(7, seq, ts0.wrapping_add(160 * u32::from(i)))));
        }
        let want: Vec<(i64, i64)> = (0..8).map(|i| (65533 + i, i64::from(ts0) + 160 * i)).collect();
        assert_eq!(got, want);
        // A late packet from before both wraps still extends backwards correctly.
        assert_eq!(
            t.classify(7, 65532, ts0.wrapping_sub(160)),
            Placement::Next { ext_seq: 65532, ext_ts: i64::from(ts0) - 160, newest: false }
        );
        assert_eq!(t.ssrc(), Some(7));
    }

    #[test]
    fn duplicates_are_recognised_in_and_out_of_order() {
        let mut t = StreamTracker::new();
        for seq in [10u16, 12, 11] {
            next(t.classify(1, seq, 0));
        }
        assert_eq!(t.classify(1, 11, 0), Placement::Duplicate);
        assert_eq!(t.classify(1, 12, 0), Placement::Duplicate);
        assert_eq!(t.classify(1, 10, 0), Placement::Duplicate);
        assert!(matches!(t.classify(1, 9, 0), Placement::Next { newest: false, .. }));
    }

    #[test]
    fn new_source_needs_its_successor() {
        let mut t = StreamTracker::new();
        next(t.classify(1, 100, 0));
        assert_eq!(t.classify(2, 500, 9), Placement::Held);
        // The old stream continues: the candidate is forgotten.
        next(t.classify(1, 101, 160));
        assert_eq!(t.classify(2, 501, 169), Placement::Held);
        assert_eq!(t.classify(2, 502, 329), Placement::Restart { new_ssrc: true });
        assert_eq!(t.start(2, 501, 169), (501, 169));
        assert_eq!(next(t.classify(2, 502, 329)), (502, 329));
        // A jump within the SSRC is confirmed the same way.
        assert_eq!(t.classify(2, 9000, 0), Placement::Held);
        assert_eq!(t.classify(2, 9001, 160), Placement::Restart { new_ssrc: false });
    }
}
