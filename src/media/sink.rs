//! Frame sinks: where decoded incoming audio goes.
//!
//! Like sources, sinks are passive: the receive path hands each decoded frame to
//! [`FrameSink::put_frame`]. A loudspeaker can plug in behind the same trait later (a ring
//! buffer drained by the audio thread); for now there is a sink that discards and one that keeps.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

/// Something that consumes decoded audio (8 kHz mono), normally one 20 ms frame at a time.
pub trait FrameSink {
    /// Takes the next block of samples (usually 160, but any length is accepted).
    fn put_frame(&mut self, samples: &[i16]);
}

impl<S: FrameSink + ?Sized> FrameSink for &mut S {
    fn put_frame(&mut self, samples: &[i16]) {
        (**self).put_frame(samples);
    }
}

impl<S: FrameSink + ?Sized> FrameSink for Box<S> {
    fn put_frame(&mut self, samples: &[i16]) {
        (**self).put_frame(samples);
    }
}

/// Discards audio, counting what it was given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NullSink {
    /// Calls to `put_frame`.
    pub frames: u64,
    /// Samples given.
    pub samples: u64,
}

impl NullSink {
    /// A sink with zero counts.
    pub fn new() -> NullSink {
        NullSink::default()
    }
}

impl FrameSink for NullSink {
    fn put_frame(&mut self, samples: &[i16]) {
        self.frames += 1;
        self.samples += samples.len() as u64;
    }
}

/// Keeps every sample (for tests and for writing a WAV file), optionally up to a limit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CollectSink {
    samples: Vec<i16>,
    limit: Option<usize>,
    dropped: u64,
}

impl CollectSink {
    /// A sink that keeps everything.
    pub fn new() -> CollectSink {
        CollectSink::default()
    }

    /// A sink that keeps at most `max_samples` samples and counts the rest as dropped
    /// (a bound on memory for long recordings).
    pub fn with_limit(max_samples: usize) -> CollectSink {
        CollectSink { samples: Vec::new(), limit: Some(max_samples), dropped: 0 }
    }

    /// The samples kept so far.
    pub fn samples(&self) -> &[i16] {
        &self.samples
    }

    /// Samples refused because the limit was reached.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The samples, consuming the sink.
    pub fn into_samples(self) -> Vec<i16> {
        self.samples
    }
}

impl FrameSink for CollectSink {
    fn put_frame(&mut self, samples: &[i16]) {
        let room = self.limit.map_or(samples.len(), |l| l.saturating_sub(self.samples.len()));
        let keep = samples.len().min(room);
        self.samples.extend_from_slice(samples.get(..keep).unwrap_or(&[]));
        self.dropped += (samples.len() - keep) as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_sink_counts() {
        let mut s = NullSink::new();
        s.put_frame(&[0; 160]);
        s.put_frame(&[0; 80]);
        assert_eq!(s, NullSink { frames: 2, samples: 240 });
    }

    #[test]
    fn collect_sink_keeps_and_limits() {
        let mut s = CollectSink::new();
        s.put_frame(&[1, 2]);
        s.put_frame(&[3]);
        assert_eq!(s.samples(), &[1, 2, 3]);
        let mut l = CollectSink::with_limit(3);
        let dynsink: &mut dyn FrameSink = &mut l;
        dynsink.put_frame(&[1, 2]);
        dynsink.put_frame(&[3, 4, 5]);
        assert_eq!(l.dropped(), 2);
        assert_eq!(l.into_samples(), vec![1, 2, 3]);
    }
}
