//! The media side of the sound card: the rings' other ends, the resamplers, the counters.
//!
//! Nothing here runs in a device callback; all of it runs on the media task. It is kept
//! apart from the cpal code so that it can be tested with plain rings and no device.

use super::AudioError;
use crate::media::resample::Resampler;
use crate::media::sink::FrameSink;
use crate::media::source::{FRAME_SAMPLES, Frame, FrameSource, SAMPLE_RATE};
use rtrb::{Consumer, Producer, RingBuffer};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Buffering choices for [`super::open_with`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AudioOptions {
    /// Capacity of each ring, in milliseconds of device audio.
    pub ring_ms: u32,
    /// How much audio the loudspeaker ring should hold: [`Speaker::frames_wanted`] asks for
    /// frames until it does. It should exceed the device's buffer plus the media task's
    /// tick; [`super::open_with`] raises it to two device buffers when the device's are big.
    pub playout_ms: u32,
    /// The most microphone audio allowed to wait: older samples are skipped, so that a media
    /// task that starts late or stalls does not build up delay.
    pub capture_backlog_ms: u32,
}

impl Default for AudioOptions {
    fn default() -> AudioOptions {
        AudioOptions { ring_ms: 250, playout_ms: 60, capture_backlog_ms: 80 }
    }
}

/// Counters shared between the callbacks (which only add) and the media side.
#[derive(Debug, Default)]
pub(super) struct Counters {
    /// Device frames the input callback delivered.
    pub captured: AtomicU64,
    /// Of those, frames dropped because the microphone ring was full.
    pub capture_dropped: AtomicU64,
    /// Device frames the output callback played (the device clock).
    pub played: AtomicU64,
    /// Of those, frames played as silence because the loudspeaker ring was empty.
    pub starved: AtomicU64,
    /// Errors cpal reported on either stream.
    pub stream_errors: AtomicU64,
}

/// What the sound card did so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AudioStats {
    /// Device frames captured.
    pub captured: u64,
    /// Device frames lost because the microphone ring was full (the media side fell behind).
    pub capture_dropped: u64,
    /// Device frames skipped to keep the microphone delay bounded.
    pub capture_skipped: u64,
    /// 20 ms frames the microphone delivered as silence because too little was captured.
    pub mic_underruns: u64,
    /// Device frames played (the device clock).
    pub played: u64,
    /// Device frames played as silence because nothing was queued.
    pub starved: u64,
    /// 20 ms frames refused because the loudspeaker ring was full.
    pub speaker_overruns: u64,
    /// Errors reported by the audio backend.
    pub stream_errors: u64,
}

/// The 8 kHz microphone: a [`FrameSource`] fed by the input callback's ring.
pub struct Microphone {
    ring: Consumer<f32>,
    resampler: Resampler,
    max_backlog: usize,
    underruns: u64,
    skipped: u64,
}

impl Microphone {
    /// A microphone reading `ring`, filled at `device_rate` Hz.
    pub(super) fn new(
        ring: Consumer<f32>,
        device_rate: u32,
        options: &AudioOptions,
    ) -> Result<Microphone, AudioError> {
        let max_backlog = samples_for(device_rate, options.capture_backlog_ms);
        let resampler = Resampler::new(device_rate, SAMPLE_RATE)?;
        Ok(Microphone { ring, resampler, max_backlog, underruns: 0, skipped: 0 })
    }

    /// Whole 20 ms frames that [`FrameSource::next_frame`] can deliver now without an underrun.
    pub fn frames_ready(&self) -> usize {
        let queued = self.ring.slots().min(self.max_backlog);
        let mut frames = 0;
        while self.resampler.input_needed((frames + 1) * FRAME_SAMPLES) <= queued {
            frames += 1;
        }
        frames
    }

    /// Throws away everything captured so far (at the start of a call, say).
    pub fn discard_backlog(&mut self) {
        let queued = self.ring.slots();
        self.skip(queued);
    }

    /// Adjusts the conversion ratio by `ppm` (±1 % at most; see
    /// [`Resampler::set_adjust_ppm`]); returns the value applied.
    pub fn set_adjust_ppm(&mut self, ppm: i32) -> i32 {
        self.resampler.set_adjust_ppm(ppm)
    }

    fn skip(&mut self, samples: usize) {
        if let Ok(chunk) = self.ring.read_chunk(samples.min(self.ring.slots())) {
            self.skipped += chunk.len() as u64;
            chunk.commit_all();
        }
    }
}

impl FrameSource for Microphone {
    /// The next 20 ms at 8 kHz; silence (counted as an underrun) when the device has not
    /// captured enough yet. Never ends.
    fn next_frame(&mut self, out: &mut Frame) -> bool {
        let queued = self.ring.slots();
        if queued > self.max_backlog {
            self.skip(queued - self.max_backlog);
        }
        let needed = self.resampler.input_needed(FRAME_SAMPLES);
        if needed > self.ring.slots() {
            self.underruns += 1;
            out.fill(0);
            return true;
        }
        if let Ok(chunk) = self.ring.read_chunk(needed) {
            let (a, b) = chunk.as_slices();
            self.resampler.push(a);
            self.resampler.push(b);
            chunk.commit_all();
        }
        let got = self.resampler.pull(out);
        if let Some(rest) = out.get_mut(got..) {
            rest.fill(0);
        }
        true
    }
}

/// The 8 kHz loudspeaker: frames go in, resampled, to the output callback's ring.
pub struct Speaker {
    ring: Producer<f32>,
    resampler: Resampler,
    scratch: Vec<f32>,
    target: usize,
    per_frame: usize,
    counters: Arc<Counters>,
    overruns: u64,
}

impl Speaker {
    /// A loudspeaker writing `ring`, drained at `device_rate` Hz.
    pub(super) fn new(
        ring: Producer<f32>,
        device_rate: u32,
        options: &AudioOptions,
        counters: Arc<Counters>,
    ) -> Result<Speaker, AudioError> {
        let resampler = Resampler::new(SAMPLE_RATE, device_rate)?;
        let per_frame = samples_for(device_rate, 20).max(1);
        let target = samples_for(device_rate, options.playout_ms).min(ring.buffer().capacity());
        let scratch = vec![0.0; per_frame + 16];
        Ok(Speaker { ring, resampler, scratch, target, per_frame, counters, overruns: 0 })
    }

    /// Queues one 20 ms frame for playing. Returns `false`, and counts an overrun, when the
    /// ring has no room for it (the frame is dropped).
    pub fn push_frame(&mut self, frame: &Frame) -> bool {
        self.push_samples(frame)
    }

    /// How many 20 ms frames to push now to bring the queued audio up to the playout target.
    /// Call it on every tick and push that many: the device's consumption sets the pace.
    pub fn frames_wanted(&self) -> usize {
        let queued = self.queued();
        self.target.saturating_sub(queued).div_ceil(self.per_frame)
    }

    /// Raises the playout target to at least `samples` device samples (within the ring).
    pub(super) fn keep_at_least(&mut self, samples: usize) {
        self.target = self.target.max(samples).min(self.ring.buffer().capacity());
    }

    /// Device samples queued and not yet played.
    pub fn queued(&self) -> usize {
        self.ring.buffer().capacity() - self.ring.slots()
    }

    /// Device frames played since the stream started: the device clock.
    pub fn played_samples(&self) -> u64 {
        self.counters.played.load(Ordering::Relaxed)
    }

    /// Adjusts the conversion ratio by `ppm` (±1 % at most; positive plays the queued frames
    /// faster); returns the value applied.
    pub fn set_adjust_ppm(&mut self, ppm: i32) -> i32 {
        self.resampler.set_adjust_ppm(ppm)
    }

    fn push_samples(&mut self, samples: &[i16]) -> bool {
        let mut accepted = true;
        for part in samples.chunks(FRAME_SAMPLES) {
            self.resampler.push(part);
            let n = self.resampler.available().min(self.scratch.len());
            let produced = self.resampler.pull(self.scratch.get_mut(..n).unwrap_or_default());
            let out = self.scratch.get(..produced).unwrap_or_default();
            match self.ring.write_chunk(out.len()) {
                Ok(mut chunk) => {
                    let (a, b) = chunk.as_mut_slices();
                    let (head, tail) = out.split_at(a.len());
                    a.copy_from_slice(head);
                    b.copy_from_slice(tail);
                    chunk.commit_all();
                }
                Err(_) => {
                    self.overruns += 1;
                    accepted = false;
                }
            }
        }
        accepted
    }
}

impl FrameSink for Speaker {
    fn put_frame(&mut self, samples: &[i16]) {
        self.push_samples(samples);
    }
}

/// Both ends of the sound card, for a media task.
pub struct AudioPath {
    /// What was opened.
    pub info: PathInfo,
    /// The microphone, at 8 kHz.
    pub microphone: Microphone,
    /// The loudspeaker, at 8 kHz.
    pub speaker: Speaker,
    /// The running device streams; dropping them stops the sound card.
    pub streams: Streams,
}

impl AudioPath {
    /// What the sound card did so far.
    pub fn stats(&self) -> AudioStats {
        let c = &self.streams.counters;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        AudioStats {
            captured: load(&c.captured),
            capture_dropped: load(&c.capture_dropped),
            capture_skipped: self.microphone.skipped,
            mic_underruns: self.microphone.underruns,
            played: load(&c.played),
            starved: load(&c.starved),
            speaker_overruns: self.speaker.overruns,
            stream_errors: load(&c.stream_errors),
        }
    }
}

/// A loudspeaker on its own (no microphone), for playing tones.
pub struct Loudspeaker {
    /// The output device's id.
    pub device: String,
    /// The 8 kHz side.
    pub speaker: Speaker,
    /// The running output stream; dropping it stops the sound.
    pub streams: Streams,
}

impl From<AudioPath> for Loudspeaker {
    /// The loudspeaker of a whole path (its microphone is dropped).
    fn from(path: AudioPath) -> Loudspeaker {
        Loudspeaker { device: path.info.output, speaker: path.speaker, streams: path.streams }
    }
}

/// The device streams of an [`AudioPath`]. They run until this is dropped.
pub struct Streams {
    pub(super) _input: Option<cpal::Stream>,
    pub(super) _output: Option<cpal::Stream>,
    pub(super) counters: Arc<Counters>,
}

/// What [`super::open`] opened.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PathInfo {
    /// Input device id.
    pub input: String,
    /// Output device id.
    pub output: String,
    /// Input rate, channels, sample format.
    pub input_rate: u32,
    /// Input channels.
    pub input_channels: u16,
    /// Input sample format.
    pub input_format: String,
    /// Output rate.
    pub output_rate: u32,
    /// Output channels.
    pub output_channels: u16,
    /// Output sample format.
    pub output_format: String,
}

/// Samples in `ms` milliseconds at `rate` Hz.
pub(super) fn samples_for(rate: u32, ms: u32) -> usize {
    (u64::from(rate) * u64::from(ms) / 1000) as usize
}

/// A ring of `ms` milliseconds at `rate` (at least one 20 ms frame).
pub(super) fn ring(rate: u32, ms: u32) -> (Producer<f32>, Consumer<f32>) {
    RingBuffer::new(samples_for(rate, ms.max(20)).max(1))
}
