//! How far from their absolute schedule frames go out (early or late): a fixed histogram of 50 µs
//! buckets up to 10 ms (and one for later), cheap to fill on every tick and to merge over
//! many calls, with percentiles read off it.

use serde::Serialize;
use std::time::Duration;

/// Bucket width, µs.
pub const BUCKET_US: u64 = 50;
/// Buckets below the overflow bucket (10 ms).
pub const BUCKETS: usize = 200;

/// Send lateness of a stream (or of many, merged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lateness {
    counts: Vec<u64>,
    max_us: u64,
}

impl Default for Lateness {
    fn default() -> Self {
        Lateness { counts: vec![0; BUCKETS + 1], max_us: 0 }
    }
}

/// Percentiles of a [`Lateness`], µs (bucket upper bounds, so never optimistic).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LatenessSummary {
    /// Frames measured.
    pub frames: u64,
    /// Median.
    pub p50_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Largest seen.
    pub max_us: u64,
}

impl Lateness {
    /// Counts one frame sent `late` after (or as far before) its deadline.
    pub fn record(&mut self, late: Duration) {
        let us = u64::try_from(late.as_micros()).unwrap_or(u64::MAX);
        let bucket = usize::try_from(us / BUCKET_US).unwrap_or(BUCKETS).min(BUCKETS);
        if let Some(c) = self.counts.get_mut(bucket) {
            *c += 1;
        }
        self.max_us = self.max_us.max(us);
    }

    /// Adds another histogram's counts to this one.
    pub fn merge(&mut self, other: &Lateness) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.max_us = self.max_us.max(other.max_us);
    }

    /// Frames counted.
    pub fn frames(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The upper bound (µs) of the bucket holding the `q` quantile (0..=1); the maximum
    /// for the overflow bucket.
    pub fn quantile_us(&self, q: f64) -> u64 {
        let total = self.frames();
        if total == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return if i == BUCKETS { self.max_us } else { (i as u64 + 1) * BUCKET_US };
            }
        }
        self.max_us
    }

    /// p50, p99 and max.
    pub fn summary(&self) -> LatenessSummary {
        LatenessSummary {
            frames: self.frames(),
            p50_us: self.quantile_us(0.5),
            p99_us: self.quantile_us(0.99),
            max_us: self.max_us,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_merge() {
        let mut a = Lateness::default();
        for _ in 0..98 {
            a.record(Duration::from_micros(120));
        }
        a.record(Duration::from_micros(900));
        a.record(Duration::from_millis(25));
        let s = a.summary();
        assert_eq!((s.frames, s.p50_us, s.p99_us, s.max_us), (100, 150, 950, 25_000));
        let mut b = Lateness::default();
        b.record(Duration::from_micros(10));
        b.merge(&a);
        assert_eq!(b.frames(), 101);
        assert_eq!(b.summary().max_us, 25_000);
        assert_eq!(Lateness::default().summary(), LatenessSummary::default());
    }
}
