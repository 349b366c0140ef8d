//! An adaptive jitter buffer with packet-loss concealment for one received audio stream.
//!
//! Sans-IO: the io edge calls [`JitterBuffer::push`] with each datagram and its arrival time,
//! and [`JitterBuffer::pull`] whenever the playout clock (sound card or pacer) wants the next
//! 20 ms frame. Both times are *local* time in 8 kHz ticks as a wrapping `u32` — the same
//! value [`RtpReceiver::receive`](super::rtp::RtpReceiver::receive) takes, e.g.
//! `(start.elapsed().as_micros() / 125) as u32` — so one clock reading feeds both.
//!
//! ```text
//!  push(datagram, arrival)                                   pull(now) every 20 ms
//!     │ parse, payload type, SSRC/seq/ts          ┌────────────────────┐     │
//!     ▼ (jitter_source)                           │ packets by extended│     ▼ delay controller
//!  duplicate? late (ts < playout position)? ──────► timestamp (BTreeMap)├──► insert / drop / play
//!     │ transit = arrival − ts ──► playout_delay  └────────────────────┘     │ decode or conceal
//!     ▼                                                                      ▼ (plc::Decoder)
//!  counters                                                          160 samples out
//! ```
//!
//! * **Playout.** After the first packet the buffer *primes*: it plays silence until the
//!   earliest buffered packet is due (its timestamp plus the desired offset of
//!   [`playout_delay`](super::playout_delay)). From then on a playout position advances 160
//!   samples per pull. Samples come from whichever packet covers the position, so any packet
//!   length works; a hole is concealed by the decoder, or filled with silence when the
//!   sequence numbers show the sender paused (silence suppression). A packet whose timestamp
//!   is already behind the position is `late` and not played.
//! * **Adaptation and drift.** Before each frame the controller compares the offset (pull time
//!   minus playout position) with the desired one. To grow, a concealed frame is inserted
//!   without advancing; to shrink, the next frame is dropped: the frame after it is played with
//!   its first 5 ms cross-faded from the dropped one, so the join stays continuous. Drops wait
//!   for a quiet frame for up to 1 s. Sender/playout clock drift shows up as the same error
//!   and is corrected the same way, one frame at a time.
//! * **Clock.** Positions are 8 kHz samples. A decoder whose RTP clock is faster
//!   ([`Decoder::clock_rate`]: 48 kHz for Opus) has its timestamps scaled down after they
//!   are extended past the `u32` wrap, so a wrap never shows as a jump.
//! * **Streams.** A new SSRC (or a sequence jump) confirmed by two consecutive packets resets
//!   the buffer and re-primes it; so does a timestamp jump of more than 1 s plus the maximum
//!   delay. Counters are kept across resets (they describe the call).

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeMap;

use thiserror::Error;

use super::g711::Law;
use super::jitter_source::{Placement, StreamTracker};
use super::playout_delay::{Adjustment, DelayController, FRAME_TICKS, TICKS_PER_MS};
use super::plc::{Decoder, G711Decoder};
use super::rtp::{RtpError, RtpHeader, is_rtcp, parse_rtp};
use super::source::{FRAME_SAMPLES, Frame, SAMPLE_RATE};
pub use super::stats::JitterStats;

/// Packets held at most; more are discarded (10 s of 20 ms packets).
pub const MAX_PACKETS: usize = 500;
/// A timestamp this far (plus the maximum delay) from the playout position is a jump (1 s).
const RESYNC_TICKS: i64 = 1000 * TICKS_PER_MS;
/// Samples concealed in a row before further missing audio counts as silence (1 s).
const MAX_CONCEAL_SAMPLES: usize = 8000;
/// Length of the cross-fade when a frame is dropped (5 ms).
const DROP_FADE_SAMPLES: usize = 40;
/// A frame whose mean absolute sample is below this is quiet (about −50 dBov).
const QUIET_LEVEL: u64 = 100;

/// Why a jitter buffer could not be built or a datagram not read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum JitterError {
    /// The minimum delay exceeds the maximum.
    #[error("jitter buffer minimum delay {min_ms} ms exceeds the maximum {max_ms} ms")]
    DelayRange {
        /// Minimum asked for.
        min_ms: u32,
        /// Maximum asked for.
        max_ms: u32,
    },
    /// The maximum delay is beyond what the buffer can hold (5 s).
    #[error("jitter buffer maximum delay {0} ms is over 5000 ms")]
    DelayTooLong(u32),
    /// The datagram is not valid RTP.
    #[error("not RTP: {0}")]
    Rtp(#[from] RtpError),
}

/// Limits of the adaptive delay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JitterConfig {
    /// The delay never adapts below this, in ms (default 20).
    pub min_delay_ms: u32,
    /// The delay never adapts above this, in ms (default 200).
    pub max_delay_ms: u32,
}

impl Default for JitterConfig {
    fn default() -> JitterConfig {
        JitterConfig { min_delay_ms: 20, max_delay_ms: 200 }
    }
}

/// What became of one pushed datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pushed {
    /// Buffered for playout.
    Queued,
    /// A copy of a packet already received; dropped.
    Duplicate,
    /// Its playout position had passed; counted and dropped.
    Late,
    /// From a new SSRC or after a sequence jump: held until the next packet confirms it.
    Held,
    /// RTCP, or a payload type the decoder does not take (e.g. telephone-event).
    Ignored,
    /// Dropped: undecodable payload, or the buffer is full.
    Discarded,
}

/// What one pulled frame holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameKind {
    /// Decoded audio.
    Audio,
    /// Decoded audio, played in place of the frame before it, which was dropped.
    AudioAfterDrop,
    /// Concealment of (at least partly) missing audio.
    Concealed,
    /// A concealment frame inserted to lengthen the delay; nothing was missing.
    Inserted,
    /// Silence: priming, a pause in the sender's stream, or a long outage.
    Silence,
}

/// A packet waiting for playout.
#[derive(Clone, Debug)]
struct Stored {
    ext_seq: i64,
    arrival: i64,
    samples: usize,
    payload: Vec<u8>,
}

/// A packet on probation (new SSRC or sequence jump).
#[derive(Clone, Debug)]
struct HeldPacket {
    ssrc: u32,
    seq: u16,
    ts: u32,
    arrival: i64,
    samples: usize,
    payload: Vec<u8>,
}

/// Playout state once priming is over.
#[derive(Clone, Copy, Debug)]
struct Playing {
    /// Extended timestamp of the next sample to output.
    cursor: i64,
    /// Smoothed local time of the latest pull.
    pull_time: i64,
    /// Extended sequence number of the last packet decoded.
    last_seq: Option<i64>,
    /// The last frame output was quiet.
    quiet: bool,
    /// Samples concealed in a row.
    outage: usize,
}

/// Samples output by one fill, by origin.
#[derive(Clone, Copy, Debug, Default)]
struct Fill {
    audio: usize,
    concealed: usize,
    silence: usize,
}

/// The adaptive jitter buffer (see the module docs). `D` decodes and conceals.
#[derive(Clone, Debug)]
pub struct JitterBuffer<D: Decoder = G711Decoder> {
    decoder: D,
    config: JitterConfig,
    control: DelayController,
    tracker: StreamTracker,
    held: Option<HeldPacket>,
    packets: BTreeMap<i64, Stored>,
    playing: Option<Playing>,
    /// Local clock reading last seen, extended past `u32` wraps.
    clock: Option<i64>,
    /// The packet being played: its extended timestamp and decoded samples.
    decoded_start: i64,
    decoded: Vec<i16>,
    stats: JitterStats,
    delay_sum: i64,
    delay_count: u64,
    depth: i64,
    max_depth: i64,
}

impl JitterBuffer<G711Decoder> {
    /// A G.711 buffer with the default delay limits.
    pub fn g711(law: Law) -> JitterBuffer<G711Decoder> {
        JitterBuffer::unchecked(G711Decoder::new(law), JitterConfig::default())
    }
}

impl<D: Decoder> JitterBuffer<D> {
    /// A buffer playing through `decoder` with the default delay limits.
    pub fn new(decoder: D) -> JitterBuffer<D> {
        JitterBuffer::unchecked(decoder, JitterConfig::default())
    }

    /// A buffer playing through `decoder` within `config`'s delay limits.
    pub fn with_decoder(decoder: D, config: JitterConfig) -> Result<JitterBuffer<D>, JitterError> {
        let JitterConfig { min_delay_ms, max_delay_ms } = config;
        if min_delay_ms > max_delay_ms {
            return Err(JitterError::DelayRange { min_ms: min_delay_ms, max_ms: max_delay_ms });
        }
        if max_delay_ms > 5000 {
            return Err(JitterError::DelayTooLong(max_delay_ms));
        }
        Ok(JitterBuffer::unchecked(decoder, config))
    }

    fn unchecked(decoder: D, config: JitterConfig) -> JitterBuffer<D> {
        JitterBuffer {
            decoder,
            config,
            control: DelayController::new(config.min_delay_ms, config.max_delay_ms),
            tracker: StreamTracker::new(),
            held: None,
            packets: BTreeMap::new(),
            playing: None,
            clock: None,
            decoded_start: 0,
            decoded: Vec::with_capacity(FRAME_SAMPLES),
            stats: JitterStats::default(),
            delay_sum: 0,
            delay_count: 0,
            depth: 0,
            max_depth: 0,
        }
    }

    /// The decoder.
    pub fn decoder(&self) -> &D {
        &self.decoder
    }

    /// The SSRC being played.
    pub fn ssrc(&self) -> Option<u32> {
        self.tracker.ssrc()
    }

    /// Packets waiting for playout.
    pub fn buffered_packets(&self) -> usize {
        self.packets.len()
    }

    /// True once priming is over and frames come from the stream.
    pub fn is_playing(&self) -> bool {
        self.playing.is_some()
    }

    /// A snapshot of the counters and delay figures.
    pub fn stats(&self) -> JitterStats {
        let ms = |ticks: i64| ticks as f64 / TICKS_PER_MS as f64;
        JitterStats {
            delay_ms: ms(self.depth),
            average_delay_ms: if self.delay_count == 0 {
                0.0
            } else {
                ms(self.delay_sum) / self.delay_count as f64
            },
            max_depth_ms: ms(self.max_depth),
            target_delay_ms: ms(self.control.target()),
            ..self.stats
        }
    }

    /// Takes one datagram that arrived at local time `arrival` (8 kHz ticks, wrapping).
    /// Anything that is not valid RTP is an error and counted as discarded; nothing panics.
    pub fn push(&mut self, datagram: &[u8], arrival: u32) -> Result<Pushed, JitterError> {
        let now = self.local_time(arrival);
        if is_rtcp(datagram) {
            self.stats.ignored += 1;
            return Ok(Pushed::Ignored);
        }
        match parse_rtp(datagram) {
            Ok(h) => Ok(self.push_rtp(&h, now)),
            Err(e) => {
                self.stats.discarded += 1;
                Err(e.into())
            }
        }
    }

    fn push_rtp(&mut self, h: &RtpHeader<'_>, now: i64) -> Pushed {
        if !self.decoder.accepts(h.payload_type) {
            self.stats.ignored += 1;
            return Pushed::Ignored;
        }
        let Some(samples) = self.decoder.samples(h.payload) else {
            self.stats.discarded += 1;
            return Pushed::Discarded;
        };
        let stored = Stored { ext_seq: 0, arrival: now, samples, payload: h.payload.to_vec() };
        match self.tracker.classify(h.ssrc, h.sequence, h.timestamp) {
            Placement::Next { ext_seq, ext_ts, newest } => {
                self.accept(Stored { ext_seq, ..stored }, self.position(ext_ts), newest)
            }
            Placement::Duplicate => {
                self.stats.duplicates += 1;
                Pushed::Duplicate
            }
            Placement::Held => {
                if self.held.is_some() {
                    self.stats.discarded += 1;
                }
                let (ssrc, seq, ts) = (h.ssrc, h.sequence, h.timestamp);
                self.held =
                    Some(HeldPacket { ssrc, seq, ts, arrival: now, samples, payload: stored.payload });
                Pushed::Held
            }
            Placement::Restart { new_ssrc } => {
                if new_ssrc {
                    self.stats.ssrc_changes += 1;
                    self.decoder.reset();
                } else {
                    self.stats.resyncs += 1;
                }
                self.restart_playout();
                if let Some(p) = self.held.take() {
                    let (ext_seq, ext_ts) = self.tracker.start(p.ssrc, p.seq, p.ts);
                    let first =
                        Stored { ext_seq, arrival: p.arrival, samples: p.samples, payload: p.payload };
                    self.accept(first, self.position(ext_ts), true);
                } else {
                    self.tracker.start(h.ssrc, h.sequence.wrapping_sub(1), h.timestamp);
                }
                match self.tracker.classify(h.ssrc, h.sequence, h.timestamp) {
                    Placement::Next { ext_seq, ext_ts, newest } => {
                        self.accept(Stored { ext_seq, ..stored }, self.position(ext_ts), newest)
                    }
                    _ => Pushed::Discarded,
                }
            }
        }
    }

    /// An extended RTP timestamp as a position in 8 kHz samples: the decoder's clock
    /// scaled down (÷ 6 for Opus's 48 kHz), after the extension past `u32` wraps.
    fn position(&self, ext_ts: i64) -> i64 {
        let rate = i64::from(self.decoder.clock_rate().max(1));
        (ext_ts * i64::from(SAMPLE_RATE)).div_euclid(rate)
    }

    /// Buffers a packet of the current stream (or finds it late).
    fn accept(&mut self, packet: Stored, ext_ts: i64, newest: bool) -> Pushed {
        self.stats.received += 1;
        let limit = RESYNC_TICKS + i64::from(self.config.max_delay_ms) * TICKS_PER_MS;
        if let Some(p) = self.playing {
            let ahead = ext_ts - p.cursor;
            if ahead > limit || (newest && ahead < -limit) {
                self.stats.resyncs += 1;
                self.restart_playout();
            }
        }
        self.control.observe(packet.arrival - ext_ts);
        if self.playing.is_some_and(|p| ext_ts < p.cursor) {
            self.stats.late += 1;
            return Pushed::Late;
        }
        if self.packets.len() >= MAX_PACKETS || self.packets.contains_key(&ext_ts) {
            self.stats.discarded += 1;
            return Pushed::Discarded;
        }
        self.packets.insert(ext_ts, packet);
        Pushed::Queued
    }

    /// Abandons buffered audio and primes again (a new stream or a timestamp jump).
    fn restart_playout(&mut self) {
        self.stats.discarded += self.packets.len() as u64;
        self.packets.clear();
        self.decoded.clear();
        self.playing = None;
        self.depth = 0;
        self.control.clear();
    }

    /// Extends a wrapping local-clock reading to a monotonic-ish `i64`.
    fn local_time(&mut self, t: u32) -> i64 {
        let now = match self.clock {
            Some(last) => last + i64::from(t.wrapping_sub(last as u32) as i32),
            None => i64::from(t),
        };
        self.clock = Some(now);
        now
    }

    /// Fills `out` with the next 20 ms of playout at local time `now` (8 kHz ticks, wrapping).
    pub fn pull(&mut self, now: u32, out: &mut Frame) -> FrameKind {
        let now = self.local_time(now);
        self.stats.pulls += 1;
        let Some(offset) = self.pull_offset(now) else {
            self.decoder.silence(out);
            self.stats.silence += 1;
            return FrameKind::Silence;
        };
        let cursor = self.playing.map_or(0, |p| p.cursor);
        self.depth = (self.buffered_end(cursor, false) - cursor).max(0);
        self.max_depth = self.max_depth.max(self.depth);
        let quiet = self.playing.is_some_and(|p| p.quiet);
        let can_drop = self.buffered_end(cursor, true) >= cursor + 2 * FRAME_TICKS;
        let kind = match self.control.decide(offset, self.stats.pulls, quiet, can_drop) {
            Adjustment::Insert => {
                self.decoder.conceal(out);
                self.stats.inserted += 1;
                FrameKind::Inserted
            }
            Adjustment::Drop => self.drop_frame(out),
            Adjustment::Skip(frames) => {
                self.skip(frames);
                self.play_frame(out)
            }
            Adjustment::Keep => self.play_frame(out),
        };
        if let Some(p) = self.playing.as_mut() {
            let level = out.iter().map(|&s| u64::from(s.unsigned_abs())).sum::<u64>();
            p.quiet = level < QUIET_LEVEL * FRAME_SAMPLES as u64;
        }
        kind
    }

    /// Starts playout if priming is over, tracks the pull clock, and returns pull time minus
    /// playout position; `None` while priming.
    fn pull_offset(&mut self, now: i64) -> Option<i64> {
        if self.playing.is_none() {
            let (&first, _) = self.packets.first_key_value()?;
            if now - first < self.control.desired_offset()? {
                return None;
            }
            let pull_time = now - FRAME_TICKS;
            self.playing = Some(Playing { cursor: first, pull_time, last_seq: None, quiet: true, outage: 0 });
        }
        let p = self.playing.as_mut()?;
        // Follow the caller's clock, smoothing out scheduling noise; snap after a stall.
        let expected = p.pull_time + FRAME_TICKS;
        let error = now - expected;
        p.pull_time = if error.abs() > 3 * FRAME_TICKS { now } else { expected + error / 8 };
        Some(p.pull_time - p.cursor)
    }

    /// End of the buffered audio from `cursor`: contiguous only, or up to the last packet.
    fn buffered_end(&self, cursor: i64, contiguous: bool) -> i64 {
        let decoded_end = self.decoded_start + self.decoded.len() as i64;
        let mut end = if self.decoded_start <= cursor && cursor < decoded_end { decoded_end } else { cursor };
        for (&start, p) in &self.packets {
            if contiguous && start > end {
                break;
            }
            end = end.max(start + p.samples as i64);
        }
        end
    }

    /// Plays one frame from the stream, counting what it was made of.
    fn play_frame(&mut self, out: &mut Frame) -> FrameKind {
        let fill = self.fill(out);
        if fill.concealed > 0 {
            self.stats.concealed += 1;
            FrameKind::Concealed
        } else if fill.audio > 0 {
            self.stats.played += 1;
            FrameKind::Audio
        } else {
            self.stats.silence += 1;
            FrameKind::Silence
        }
    }

    /// Drops the next frame: plays the one after, its start cross-faded from the dropped one.
    fn drop_frame(&mut self, out: &mut Frame) -> FrameKind {
        let mut dropped = [0i16; FRAME_SAMPLES];
        self.fill(&mut dropped);
        self.stats.dropped += 1;
        let kind = self.play_frame(out);
        let n = DROP_FADE_SAMPLES;
        for (i, (o, &d)) in out.iter_mut().zip(&dropped).take(n).enumerate() {
            let w = (i + 1) as f32 / (n + 1) as f32;
            *o = (f32::from(d) * (1.0 - w) + f32::from(*o) * w).round() as i16;
        }
        if kind == FrameKind::Audio { FrameKind::AudioAfterDrop } else { kind }
    }

    /// Discards `frames` whole frames of playout (the delay had grown far too long).
    fn skip(&mut self, frames: u32) {
        let Some(p) = self.playing.as_mut() else { return };
        p.cursor += i64::from(frames) * FRAME_TICKS;
        let cursor = p.cursor;
        self.stats.dropped += u64::from(frames);
        self.packets.retain(|&start, s| start + s.samples as i64 > cursor);
    }

    /// Fills `out` from the playout position on: decoded packets, concealment or silence.
    fn fill(&mut self, out: &mut [i16]) -> Fill {
        let mut fill = Fill::default();
        let mut done = 0;
        while let Some(rest) = out.get_mut(done..).filter(|r| !r.is_empty()) {
            let Some(p) = self.playing else { break };
            let n = if let Some(n) = self.copy_decoded(p.cursor, rest) {
                fill.audio += n;
                n
            } else if self.decode_next(p.cursor, p.pull_time) {
                continue;
            } else {
                self.fill_gap(p, rest, &mut fill)
            };
            if let Some(p) = self.playing.as_mut() {
                p.cursor += n as i64;
            }
            done += n;
        }
        fill
    }

    /// Copies decoded samples at `cursor` into `out`; `None` if none cover it.
    fn copy_decoded(&self, cursor: i64, out: &mut [i16]) -> Option<usize> {
        let offset = usize::try_from(cursor - self.decoded_start).ok()?;
        let available = self.decoded.get(offset..).filter(|a| !a.is_empty())?;
        let n = available.len().min(out.len());
        for (o, &s) in out.iter_mut().zip(available).take(n) {
            *o = s;
        }
        Some(n)
    }

    /// Decodes the packet covering `cursor`, if there is one; stale packets are discarded.
    fn decode_next(&mut self, cursor: i64, pull_time: i64) -> bool {
        while let Some(entry) = self.packets.first_entry() {
            let start = *entry.key();
            if start > cursor {
                return false;
            }
            let packet = entry.remove();
            if start + packet.samples as i64 <= cursor {
                self.stats.discarded += 1;
                continue;
            }
            self.decoded.clear();
            self.decoder.decode(&packet.payload, &mut self.decoded);
            self.decoded_start = start;
            self.delay_sum += (pull_time - packet.arrival).max(0);
            self.delay_count += 1;
            if let Some(p) = self.playing.as_mut() {
                p.last_seq = Some(packet.ext_seq);
                p.outage = 0;
            }
            return !self.decoded.is_empty();
        }
        false
    }

    /// Fills the start of `out` up to the next buffered packet with concealment, or with
    /// silence if the sender paused or the outage has lasted too long.
    fn fill_gap(&mut self, p: Playing, out: &mut [i16], fill: &mut Fill) -> usize {
        let next = self.packets.first_key_value();
        let n = next
            .and_then(|(&start, _)| usize::try_from(start - p.cursor).ok())
            .map_or(out.len(), |gap| gap.clamp(1, out.len()));
        let paused = next.is_some_and(|(_, s)| p.last_seq.is_some_and(|last| s.ext_seq == last + 1));
        let Some(gap) = out.get_mut(..n) else { return n };
        if paused {
            self.decoder.silence(gap);
            fill.silence += n;
            return n;
        }
        // The gap ends where the next packet starts: a codec with FEC can use it.
        match next.filter(|(start, _)| **start - p.cursor == n as i64) {
            Some((_, s)) => self.decoder.conceal_before(gap, &s.payload),
            None => self.decoder.conceal(gap),
        }
        let outage = p.outage.saturating_add(n);
        if let Some(p) = self.playing.as_mut() {
            p.outage = outage;
        }
        if outage > MAX_CONCEAL_SAMPLES {
            fill.silence += n;
        } else {
            fill.concealed += n;
        }
        n
    }
}
