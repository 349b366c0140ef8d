//! How much playout delay the jitter buffer should add, and when to change it.
//!
//! Every packet's *transit* is its arrival time (local clock) minus its media timestamp, both in
//! 8 kHz ticks. The absolute value means nothing (the clocks have unrelated origins), but its
//! spread does: a packet whose transit is `d` ticks above the fastest recent packet's needs `d`
//! ticks more buffering to be on time.
//!
//! ```text
//!   transit of the last 250 packets (5 s), sorted:
//!   ├─ 1st percentile ("floor") ─────────── 99th percentile ┤
//!   └───────────── spread ──────────────────────────────────┘
//!   target  = clamp(spread + 10 ms, min 20 ms, max 200 ms)
//!   desired = floor + target      (pull time − playout position that plays such packets in time)
//!   offset  = pull time − playout position now
//!   error   = offset − desired
//!     error < 0                  → insert a frame now (grow quickly)
//!     error > 1 frame + 5 ms     → drop a frame, at most every 0.5 s, and only in a quiet frame
//!                                  unless the excess has lasted 1 s (shrink slowly)
//!     error > max + 1 frame      → skip whole frames at once (a stalled playout clock)
//! ```
//!
//! The same rule absorbs clock drift: a sender running fast makes transits fall, so the error
//! grows until a frame is dropped; one running slow makes them rise until a frame is inserted.
//! The percentiles follow drift within the 5 s window; over that window a drift of 0.5 % adds
//! up to 25 ms of spread, which is the price of not estimating the drift separately.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::VecDeque;

use super::source::FRAME_SAMPLES;

/// One 20 ms frame, in 8 kHz ticks.
pub const FRAME_TICKS: i64 = FRAME_SAMPLES as i64;
/// 8 kHz ticks per millisecond.
pub const TICKS_PER_MS: i64 = 8;
/// Packets whose transit times are kept (5 s of 20 ms packets).
pub const WINDOW_PACKETS: usize = 250;
/// Headroom added to the measured spread (10 ms).
const SAFETY_TICKS: i64 = 10 * TICKS_PER_MS;
/// Excess over one frame tolerated before a frame is dropped (5 ms).
const SHRINK_MARGIN_TICKS: i64 = 5 * TICKS_PER_MS;
/// Pulls between two drops (0.5 s).
const DROP_SPACING_PULLS: u64 = 25;
/// Pulls a drop may wait for a quiet frame (1 s).
const DROP_WAIT_PULLS: u64 = 50;

/// What the playout should do with the next frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adjustment {
    /// Play the next frame.
    Keep,
    /// Play a made-up frame and hold the playout position (delay grows by one frame).
    Insert,
    /// Play the frame after next, cross-faded from the next (delay shrinks by one frame).
    Drop,
    /// Discard this many whole frames, then play (the delay was far too long).
    Skip(u32),
}

/// Recent transit times, kept both in arrival order and sorted.
#[derive(Clone, Debug, Default)]
struct TransitWindow {
    arrivals: VecDeque<i64>,
    sorted: Vec<i64>,
}

impl TransitWindow {
    fn add(&mut self, transit: i64) {
        if self.arrivals.len() >= WINDOW_PACKETS
            && let Some(old) = self.arrivals.pop_front()
            && let Ok(i) = self.sorted.binary_search(&old)
        {
            self.sorted.remove(i);
        }
        self.arrivals.push_back(transit);
        let (Ok(i) | Err(i)) = self.sorted.binary_search(&transit);
        self.sorted.insert(i, transit);
    }

    /// Values at the 1st and 99th percentile (the extremes when fewer than 100 are kept).
    fn percentiles(&self) -> Option<(i64, i64)> {
        let trim = self.sorted.len() / 100;
        let low = *self.sorted.get(trim)?;
        let high = *self.sorted.get(self.sorted.len().checked_sub(trim + 1)?)?;
        Some((low, high))
    }

    fn clear(&mut self) {
        self.arrivals.clear();
        self.sorted.clear();
    }
}

/// The adaptation rule of the module docs, with its state.
#[derive(Clone, Debug)]
pub struct DelayController {
    window: TransitWindow,
    min_target: i64,
    max_target: i64,
    /// Pull at which the last frame was dropped.
    last_drop: Option<u64>,
    /// Pull since which the delay has been too long.
    excess_since: Option<u64>,
}

impl DelayController {
    /// A controller keeping the target between `min_ms` and `max_ms` (taken in that order
    /// whatever is passed).
    pub fn new(min_ms: u32, max_ms: u32) -> DelayController {
        let (lo, hi) = (min_ms.min(max_ms), min_ms.max(max_ms));
        DelayController {
            window: TransitWindow::default(),
            min_target: i64::from(lo) * TICKS_PER_MS,
            max_target: i64::from(hi) * TICKS_PER_MS,
            last_drop: None,
            excess_since: None,
        }
    }

    /// Records one packet's transit (arrival − timestamp, in ticks).
    pub fn observe(&mut self, transit: i64) {
        self.window.add(transit);
    }

    /// Forgets all transits (a new stream or a timestamp jump).
    pub fn clear(&mut self) {
        self.window.clear();
        self.excess_since = None;
    }

    /// The 99th − 1st percentile of recent transits, in ticks (0 before any packet).
    pub fn spread(&self) -> i64 {
        self.window.percentiles().map_or(0, |(low, high)| high - low)
    }

    /// The delay to keep above the fastest packets, in ticks.
    pub fn target(&self) -> i64 {
        (self.spread() + SAFETY_TICKS).clamp(self.min_target, self.max_target)
    }

    /// Pull time minus playout position that plays the recent packets in time; `None` before
    /// any packet.
    pub fn desired_offset(&self) -> Option<i64> {
        self.window.percentiles().map(|(low, _)| low + self.target())
    }

    /// Decides about the frame pulled as number `pull`, when pull time − playout position is
    /// `offset`. `quiet` says the last frame played was near silence; `can_drop` that the next
    /// two frames are buffered.
    pub fn decide(&mut self, offset: i64, pull: u64, quiet: bool, can_drop: bool) -> Adjustment {
        let Some(desired) = self.desired_offset() else {
            return Adjustment::Keep;
        };
        let error = offset - desired;
        if error < 0 {
            self.excess_since = None;
            return Adjustment::Insert;
        }
        if error > self.max_target + FRAME_TICKS {
            self.excess_since = None;
            self.last_drop = Some(pull);
            return Adjustment::Skip(u32::try_from(error / FRAME_TICKS).unwrap_or(u32::MAX));
        }
        if error <= FRAME_TICKS + SHRINK_MARGIN_TICKS {
            self.excess_since = None;
            return Adjustment::Keep;
        }
        let since = *self.excess_since.get_or_insert(pull);
        let spaced = self.last_drop.is_none_or(|d| pull.saturating_sub(d) >= DROP_SPACING_PULLS);
        let waited = pull.saturating_sub(since) >= DROP_WAIT_PULLS;
        if can_drop && spaced && (quiet || waited) {
            self.excess_since = None;
            self.last_drop = Some(pull);
            return Adjustment::Drop;
        }
        Adjustment::Keep
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn percentiles_trim_one_percent_and_slide() {
        let mut w = TransitWindow::default();
        assert_eq!(w.percentiles(), None);
        w.add(7);
        assert_eq!(w.percentiles(), Some((7, 7)));
        for t in 0..200 {
            w.add(t);
        }
        // 201 values: 2 trimmed at each end.
        assert_eq!(w.percentiles(), Some((2, 197)));
        for _ in 0..WINDOW_PACKETS {
            w.add(1000);
        }
        assert_eq!(w.percentiles(), Some((1000, 1000)));
        assert_eq!(w.sorted.len(), WINDOW_PACKETS);
    }

    #[test]
    fn target_is_spread_plus_headroom_within_limits() {
        let mut c = DelayController::new(200, 20);
        assert_eq!(c.desired_offset(), None);
        assert_eq!(c.decide(0, 0, false, true), Adjustment::Keep);
        c.observe(100);
        assert_eq!(c.target(), 160, "20 ms floor");
        assert_eq!(c.desired_offset(), Some(260));
        c.observe(500);
        assert_eq!(c.spread(), 400);
        assert_eq!(c.target(), 480);
        c.observe(10_000);
        assert_eq!(c.target(), 1600, "200 ms ceiling");
    }

    #[test]
    fn grows_at_once_and_shrinks_after_waiting() {
        let mut c = DelayController::new(20, 200);
        c.observe(0); // desired offset 160
        assert_eq!(c.decide(159, 1, false, true), Adjustment::Insert);
        assert_eq!(c.decide(160, 2, false, true), Adjustment::Keep);
        assert_eq!(c.decide(360, 3, false, true), Adjustment::Keep, "within one frame + 5 ms");
        // Too long: a loud frame waits up to 1 s, a quiet one goes at once.
        assert_eq!(c.decide(400, 10, false, true), Adjustment::Keep);
        assert_eq!(c.decide(400, 59, false, true), Adjustment::Keep);
        assert_eq!(c.decide(400, 60, false, true), Adjustment::Drop);
        // Spaced 0.5 s apart even when quiet; never without two frames buffered.
        assert_eq!(c.decide(400, 61, true, true), Adjustment::Keep);
        assert_eq!(c.decide(400, 85, true, false), Adjustment::Keep);
        assert_eq!(c.decide(400, 85, true, true), Adjustment::Drop);
        // Far too long: skip.
        assert_eq!(c.decide(160 + 1600 + 161 + 160, 90, false, false), Adjustment::Skip(12));
    }
}
