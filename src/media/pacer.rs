//! An absolute-schedule frame pacer.
//!
//! Frame `n` is due at `start + n × period`, computed from `n` each time, so rounding and late
//! wake-ups never accumulate into drift: a driver that sleeps until [`Pacer::next_deadline`]
//! and then calls [`Pacer::on_tick`] with the time it actually woke sends, over an hour, exactly
//! as many frames as an hour holds.
//!
//! The pacer never reads the clock. The driver passes `now` in; tests pass simulated instants.
//! After a long stall (a suspended laptop, a debugger) it does not burst out every missed frame:
//! at most [`Pacer::max_catch_up`] frames are reported due, the older ones are skipped, and the
//! schedule stays anchored to `start`.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::fmt;
use std::time::{Duration, Instant};

/// The G.711 packet interval.
pub const FRAME_PERIOD: Duration = Duration::from_millis(20);
/// Default bound on frames reported due by one [`Pacer::on_tick`].
pub const DEFAULT_MAX_CATCH_UP: u32 = 10;

/// Why a pacer could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacerError {
    /// The period was zero.
    ZeroPeriod,
    /// The catch-up bound was zero (no frame could ever be sent).
    ZeroCatchUp,
}

impl fmt::Display for PacerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PacerError::ZeroPeriod => f.write_str("pacer period must be longer than zero"),
            PacerError::ZeroCatchUp => f.write_str("pacer catch-up bound must be at least one frame"),
        }
    }
}

impl std::error::Error for PacerError {}

/// What [`Pacer::on_tick`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tick {
    /// Frames to produce now (0 if woken early; at most the catch-up bound).
    pub due: u32,
    /// Frames that were due but are dropped because the backlog exceeded the bound.
    pub skipped: u64,
    /// How far `now` is past the deadline of the oldest frame that was due (zero if none was).
    pub lateness: Duration,
}

/// Absolute-schedule pacer: deadlines at `start + n × period`.
#[derive(Clone, Debug)]
pub struct Pacer {
    start: Instant,
    period_ns: u64,
    /// Index of the next frame not yet reported due.
    next: u64,
    max_catch_up: u32,
    skipped_total: u64,
}

impl Pacer {
    /// A pacer whose frame 0 is due at `start`, with the default catch-up bound.
    pub fn new(start: Instant, period: Duration) -> Result<Pacer, PacerError> {
        Pacer::with_max_catch_up(start, period, DEFAULT_MAX_CATCH_UP)
    }

    /// A 20 ms pacer (G.711 packets).
    pub fn g711(start: Instant) -> Pacer {
        Pacer { start, period_ns: 20_000_000, next: 0, max_catch_up: DEFAULT_MAX_CATCH_UP, skipped_total: 0 }
    }

    /// A pacer reporting at most `max_catch_up` frames due per tick.
    pub fn with_max_catch_up(
        start: Instant,
        period: Duration,
        max_catch_up: u32,
    ) -> Result<Pacer, PacerError> {
        let period_ns = u64::try_from(period.as_nanos()).unwrap_or(u64::MAX);
        if period_ns == 0 {
            return Err(PacerError::ZeroPeriod);
        }
        if max_catch_up == 0 {
            return Err(PacerError::ZeroCatchUp);
        }
        Ok(Pacer { start, period_ns, next: 0, max_catch_up, skipped_total: 0 })
    }

    /// The anchor of the schedule.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// The frame period.
    pub fn period(&self) -> Duration {
        Duration::from_nanos(self.period_ns)
    }

    /// The catch-up bound.
    pub fn max_catch_up(&self) -> u32 {
        self.max_catch_up
    }

    /// Frames reported due so far (sent) — the index of the next frame.
    pub fn frames_due_so_far(&self) -> u64 {
        self.next - self.skipped_total.min(self.next)
    }

    /// Index of the next frame (sent + skipped).
    pub fn next_frame_index(&self) -> u64 {
        self.next
    }

    /// Frames skipped over all ticks.
    pub fn skipped_total(&self) -> u64 {
        self.skipped_total
    }

    /// The deadline of frame `n`: `start + n × period` (saturating far in the future).
    pub fn deadline(&self, n: u64) -> Instant {
        let offset = u128::from(self.period_ns) * u128::from(n);
        let secs = u64::try_from(offset / 1_000_000_000).unwrap_or(u64::MAX);
        let nanos = u32::try_from(offset % 1_000_000_000).unwrap_or(0);
        let d = Duration::new(secs, nanos);
        self.start.checked_add(d).unwrap_or_else(|| far_future(self.start))
    }

    /// When the driver should wake next: the deadline of the next frame.
    pub fn next_deadline(&self) -> Instant {
        self.deadline(self.next)
    }

    /// Called when the driver wakes at `now`: how many frames to produce.
    pub fn on_tick(&mut self, now: Instant) -> Tick {
        let first_deadline = self.next_deadline();
        let Some(late) = now.checked_duration_since(first_deadline) else {
            return Tick { due: 0, skipped: 0, lateness: Duration::ZERO };
        };
        // Index of the last frame whose deadline is ≤ now.
        let elapsed = now.saturating_duration_since(self.start).as_nanos();
        let last = u64::try_from(elapsed / u128::from(self.period_ns)).unwrap_or(u64::MAX);
        let backlog = last.saturating_sub(self.next).saturating_add(1);
        let due = backlog.min(u64::from(self.max_catch_up));
        let skipped = backlog - due;
        self.skipped_total = self.skipped_total.saturating_add(skipped);
        self.next = last.saturating_add(1);
        Tick { due: u32::try_from(due).unwrap_or(self.max_catch_up), skipped, lateness: late }
    }

    /// Restarts the schedule at `start` (after hold, or a new stream).
    pub fn reset(&mut self, start: Instant) {
        self.start = start;
        self.next = 0;
        self.skipped_total = 0;
    }
}

/// An instant as far after `base` as the platform represents (for absurd frame counts).
fn far_future(base: Instant) -> Instant {
    let mut step = Duration::from_secs(u64::MAX / 4);
    let mut t = base;
    while step > Duration::from_secs(1) {
        if let Some(n) = t.checked_add(step) {
            t = n;
        } else {
            step /= 2;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn deadlines_are_absolute() {
        let t0 = Instant::now(); // the epoch only; every other instant is derived from it
        let p = Pacer::g711(t0);
        assert_eq!(p.next_deadline(), t0);
        assert_eq!(p.deadline(1), t0 + 20 * MS);
        assert_eq!(p.deadline(180_000), t0 + Duration::from_secs(3600));
        // Odd periods do not accumulate rounding: frame n is n × period exactly.
        let q = Pacer::new(t0, Duration::from_nanos(20_000_003)).unwrap();
        assert_eq!(q.deadline(1_000_000), t0 + Duration::from_nanos(20_000_003_000_000));
    }

    #[test]
    fn early_on_time_and_late_ticks() {
        let t0 = Instant::now(); // the epoch only; every other instant is derived from it
        let mut p = Pacer::g711(t0);
        assert_eq!(p.on_tick(t0), Tick { due: 1, skipped: 0, lateness: Duration::ZERO });
        assert_eq!(p.next_deadline(), t0 + 20 * MS);
        // Woken 1 ms early: nothing due.
        assert_eq!(p.on_tick(t0 + 19 * MS).due, 0);
        // 45 ms late for frame 1: frames 1, 2 and 3 (due at 20, 40, 60) are due at 65 ms.
        assert_eq!(p.on_tick(t0 + 65 * MS), Tick { due: 3, skipped: 0, lateness: 45 * MS });
        assert_eq!(p.next_deadline(), t0 + 80 * MS);
    }

    #[test]
    fn catch_up_is_bounded() {
        let t0 = Instant::now(); // the epoch only; every other instant is derived from it
        let mut p = Pacer::g711(t0);
        p.on_tick(t0);
        // A one-second stall: frames 1..=50 are due; 10 are produced, 40 skipped.
        let tick = p.on_tick(t0 + Duration::from_secs(1));
        assert_eq!(tick, Tick { due: 10, skipped: 40, lateness: 980 * MS });
        assert_eq!(p.next_deadline(), t0 + Duration::from_millis(1020));
        assert_eq!(p.skipped_total(), 40);
        assert_eq!(p.frames_due_so_far(), 11);
    }

    #[test]
    fn bad_parameters_are_errors() {
        let t0 = Instant::now(); // the epoch only; every other instant is derived from it
        assert_eq!(Pacer::new(t0, Duration::ZERO).unwrap_err(), PacerError::ZeroPeriod);
        assert_eq!(Pacer::with_max_catch_up(t0, MS, 0).unwrap_err(), PacerError::ZeroCatchUp);
        let mut p = Pacer::new(t0, MS).unwrap();
        p.on_tick(t0 + 5 * MS);
        p.reset(t0 + Duration::from_secs(1));
        assert_eq!(p.next_deadline(), t0 + Duration::from_secs(1));
        // An absurd index saturates instead of panicking.
        let _ = p.deadline(u64::MAX);
    }
}
