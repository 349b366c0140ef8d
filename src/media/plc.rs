//! Decoders for the jitter buffer, and packet-loss concealment (PLC) for G.711.
//!
//! The jitter buffer hands a [`Decoder`] every payload in playout order and asks it to make up
//! audio where there is none. G.711 has no concealment of its own, so [`G711Decoder`] pairs the
//! table decoder with [`G711Plc`], a waveform-repetition concealment after the method of ITU-T
//! G.711 Appendix I (restated from its description; simplified as noted below). A codec with its
//! own PLC ([`OpusDecoder`](super::opus::OpusDecoder)) implements [`Decoder`] directly.
//!
//! ```text
//!   good frames ──► output ──► history (last 48.75 ms of output)
//!                                  │ on the first missing sample: pitch search
//!                                  ▼ (normalised cross-correlation, 40–120 samples)
//!   missing ──► conceal: the last pitch period, repeated
//!                gain ▔▔▔▔▔▔▔▔╲____________  1.0 for 10 ms, −20 % per 10 ms, silent at 60 ms
//!                    0       10 ms      60 ms
//!   first good frame after a loss ──► cross-faded in from the synthetic signal's continuation
//!                                     over ¼ pitch period + 4 ms per further 10 ms lost (≤ 10 ms)
//! ```
//!
//! Simplifications against Appendix I: no 3.75 ms output delay (so no overlap-add into the last
//! good samples; the repeated period starts where the real signal left off, and the pitch
//! search picks the lag at which that join is smoothest), and the concealment keeps repeating
//! one pitch period instead of widening to two and three periods after 10 and 20 ms; the fade
//! makes the resulting buzz short.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::g711::Law;

/// Output history kept for the pitch search: 48.75 ms at 8 kHz.
pub const HISTORY_SAMPLES: usize = 390;
/// Shortest pitch period searched (200 Hz).
pub const MIN_PITCH: usize = 40;
/// Longest pitch period searched (66.7 Hz).
pub const MAX_PITCH: usize = 120;
/// Samples compared by the pitch search (20 ms).
const CORRELATION_SAMPLES: usize = 160;
/// Concealed samples played at full level before the fade starts (10 ms).
pub const FLAT_SAMPLES: usize = 80;
/// Samples over which the concealment fades from full level to silence (50 ms).
pub const FADE_SAMPLES: usize = 400;
/// The cross-fade after a loss grows by this much per further 10 ms lost (4 ms).
const CROSSFADE_STEP: usize = 32;
/// Longest cross-fade after a loss (10 ms).
const MAX_CROSSFADE: usize = 80;

/// Turns payloads into 8 kHz samples, in playout order, and conceals what is missing.
///
/// The jitter buffer calls [`decode`](Decoder::decode) for every packet it plays (in
/// timestamp order), [`conceal`](Decoder::conceal) for missing audio (loss, a late packet, or a
/// frame inserted to grow the delay) and [`silence`](Decoder::silence) where the sender sent
/// nothing on purpose. Each call continues the output signal where the previous one ended.
pub trait Decoder {
    /// True if packets of RTP payload type `payload_type` are for this decoder.
    fn accepts(&self, payload_type: u8) -> bool;
    /// The number of samples `payload` decodes to, without decoding it; `None` if it cannot
    /// be decoded.
    fn samples(&self, payload: &[u8]) -> Option<usize>;
    /// Decodes `payload`, appending its samples to `out`. After concealment the decoder
    /// smooths the join itself.
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>);
    /// Fills `out` with audio that plausibly continues the signal (packet-loss concealment).
    fn conceal(&mut self, out: &mut [i16]);
    /// Like [`conceal`](Decoder::conceal) for a gap that ends exactly where the buffered
    /// packet `next` starts: a codec with in-band forward error correction (Opus) may
    /// rebuild the end of the gap from `next`, which is decoded normally afterwards. By
    /// default this is plain concealment.
    fn conceal_before(&mut self, out: &mut [i16], next: &[u8]) {
        let _ = next;
        self.conceal(out);
    }
    /// The RTP timestamp clock of the payload format, in Hz; the jitter buffer converts
    /// timestamps to 8 kHz samples with it (8000 for G.711, the default; 48000 for Opus).
    fn clock_rate(&self) -> u32 {
        8000
    }
    /// Fills `out` with silence: the sender paused (silence suppression) or nothing plays.
    fn silence(&mut self, out: &mut [i16]);
    /// Forgets the signal so far (a new stream starts).
    fn reset(&mut self);
}

/// Waveform-repetition concealment state for 8 kHz audio (see the module docs).
#[derive(Clone, Debug)]
pub struct G711Plc {
    /// The last [`HISTORY_SAMPLES`] samples output, oldest first.
    history: [i16; HISTORY_SAMPLES],
    /// The concealment in progress, if the last output was concealed.
    concealing: Option<Concealment>,
}

/// One run of concealment: the repeated period and how far into it the output has got.
#[derive(Clone, Debug)]
struct Concealment {
    /// The last pitch period of real signal; only the first `period` samples are used.
    cycle: [i16; MAX_PITCH],
    period: usize,
    /// Samples concealed so far in this run.
    elapsed: usize,
}

impl Concealment {
    /// Starts concealing after `history`: find the pitch, keep its last period.
    fn start(history: &[i16; HISTORY_SAMPLES]) -> Concealment {
        let period = pitch_period(history);
        let mut cycle = [0; MAX_PITCH];
        let tail = history.len().saturating_sub(period);
        for (c, &h) in cycle.iter_mut().zip(history.iter().skip(tail)) {
            *c = h;
        }
        Concealment { cycle, period, elapsed: 0 }
    }

    /// The next synthetic sample, faded by how long the concealment has run.
    fn next_sample(&mut self) -> i16 {
        let raw = self.cycle.get(self.elapsed % self.period.max(1)).copied().unwrap_or(0);
        let gain = conceal_gain(self.elapsed);
        self.elapsed = self.elapsed.saturating_add(1);
        (f32::from(raw) * gain).round() as i16
    }
}

/// The level of the `elapsed`-th concealed sample: flat, then a linear fade to silence.
fn conceal_gain(elapsed: usize) -> f32 {
    let fading = elapsed.saturating_sub(FLAT_SAMPLES);
    if fading >= FADE_SAMPLES { 0.0 } else { 1.0 - fading as f32 / FADE_SAMPLES as f32 }
}

/// The lag in [`MIN_PITCH`]..=[`MAX_PITCH`] at which the last 20 ms of `history` best matches
/// itself (largest cross-correlation normalised by the lagged segment's energy). Silence
/// gives [`MIN_PITCH`].
pub fn pitch_period(history: &[i16; HISTORY_SAMPLES]) -> usize {
    let end = history.len();
    let Some(recent) = history.get(end - CORRELATION_SAMPLES..) else {
        return MIN_PITCH;
    };
    let mut best = (MIN_PITCH, 0.0f64);
    for lag in MIN_PITCH..=MAX_PITCH {
        let Some(lagged) = history.get(end - CORRELATION_SAMPLES - lag..end - lag) else {
            continue;
        };
        let (mut cross, mut energy) = (0.0f64, 0.0f64);
        for (&x, &y) in recent.iter().zip(lagged) {
            cross += f64::from(x) * f64::from(y);
            energy += f64::from(y) * f64::from(y);
        }
        let score = if energy > 0.0 { cross / energy.sqrt() } else { 0.0 };
        if score > best.1 {
            best = (lag, score);
        }
    }
    best.0
}

impl Default for G711Plc {
    fn default() -> G711Plc {
        G711Plc::new()
    }
}

impl G711Plc {
    /// A concealer with a silent history.
    pub fn new() -> G711Plc {
        G711Plc { history: [0; HISTORY_SAMPLES], concealing: None }
    }

    /// True while the last output was concealed.
    pub fn is_concealing(&self) -> bool {
        self.concealing.is_some()
    }

    /// Fills `out` with concealment, continuing a run already in progress.
    pub fn conceal(&mut self, out: &mut [i16]) {
        let history = &self.history;
        let run = self.concealing.get_or_insert_with(|| Concealment::start(history));
        for o in out.iter_mut() {
            *o = run.next_sample();
        }
        self.remember(out);
    }

    /// Takes real (or deliberately silent) samples about to be output. If concealment was
    /// running, the start of `samples` is cross-faded from the synthetic signal into them.
    pub fn good(&mut self, samples: &mut [i16]) {
        if let Some(mut run) = self.concealing.take() {
            let extra = run.elapsed.saturating_sub(FLAT_SAMPLES) / FLAT_SAMPLES;
            let len = (run.period / 4 + CROSSFADE_STEP * extra).min(MAX_CROSSFADE).min(samples.len());
            for (i, s) in samples.iter_mut().take(len).enumerate() {
                let w = (i + 1) as f32 / (len + 1) as f32;
                let synthetic = f32::from(run.next_sample());
                *s = (synthetic * (1.0 - w) + f32::from(*s) * w).round() as i16;
            }
        }
        self.remember(samples);
    }

    /// Forgets history and any concealment in progress.
    pub fn reset(&mut self) {
        *self = G711Plc::new();
    }

    fn remember(&mut self, samples: &[i16]) {
        let keep = HISTORY_SAMPLES.saturating_sub(samples.len());
        self.history.copy_within(HISTORY_SAMPLES - keep.., 0);
        let fresh = samples.get(samples.len().saturating_sub(HISTORY_SAMPLES)..).unwrap_or_default();
        for (h, &s) in self.history.iter_mut().skip(keep).zip(fresh) {
            *h = s;
        }
    }
}

/// G.711 (μ-law or A-law) with [`G711Plc`] concealment.
#[derive(Clone, Debug)]
pub struct G711Decoder {
    law: Law,
    plc: G711Plc,
}

impl G711Decoder {
    /// A decoder for one law's static payload type.
    pub fn new(law: Law) -> G711Decoder {
        G711Decoder { law, plc: G711Plc::new() }
    }

    /// The law decoded.
    pub fn law(&self) -> Law {
        self.law
    }
}

impl Decoder for G711Decoder {
    fn accepts(&self, payload_type: u8) -> bool {
        payload_type == self.law.payload_type()
    }

    fn samples(&self, payload: &[u8]) -> Option<usize> {
        Some(payload.len()).filter(|&n| n > 0)
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) {
        let start = out.len();
        self.law.decode_into(payload, out);
        if let Some(fresh) = out.get_mut(start..) {
            self.plc.good(fresh);
        }
    }

    fn conceal(&mut self, out: &mut [i16]) {
        self.plc.conceal(out);
    }

    fn silence(&mut self, out: &mut [i16]) {
        out.fill(0);
        self.plc.good(out);
    }

    fn reset(&mut self) {
        self.plc.reset();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    /// A 1 kHz tone at amplitude 8000, from sample `from`.
    fn tone(from: usize, n: usize) -> Vec<i16> {
        (from..from + n)
            .map(|i| (8000.0 * (2.0 * std::f64::consts::PI * 1000.0 * i as f64 / 8000.0).sin()) as i16)
            .collect()
    }

    fn energy(x: &[i16]) -> f64 {
        x.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / x.len() as f64
    }

    #[test]
    fn pitch_of_a_periodic_signal_is_a_multiple_of_its_period() {
        // 100 Hz sawtooth: period 80.
        let mut h = [0i16; HISTORY_SAMPLES];
        for (i, s) in h.iter_mut().enumerate() {
            *s = ((i % 80) as i16 - 40) * 200;
        }
        assert_eq!(pitch_period(&h), 80);
        assert_eq!(pitch_period(&[0; HISTORY_SAMPLES]), MIN_PITCH);
    }

    #[test]
    fn gain_is_flat_then_fades_to_silence_at_60_ms() {
        assert_eq!(conceal_gain(0), 1.0);
        assert_eq!(conceal_gain(79), 1.0);
        assert!((conceal_gain(280) - 0.5).abs() < 1e-6);
        assert_eq!(conceal_gain(480), 0.0);
    }

    #[test]
    fn concealment_continues_a_tone_then_fades() {
        let mut plc = G711Plc::new();
        let mut good = tone(0, 480);
        plc.good(&mut good);
        let mut lost = [0i16; 160];
        plc.conceal(&mut lost);
        // The first 10 ms are the tone itself, sample for sample.
        assert_eq!(&lost[..80], &tone(480, 80)[..]);
        let ratio = energy(&lost) / energy(&tone(0, 160));
        assert!((0.8..1.0).contains(&ratio), "{ratio}");
        for _ in 0..3 {
            plc.conceal(&mut lost);
        }
        assert_eq!(lost, [0; 160]);
        assert!(plc.is_concealing());
    }

    #[test]
    fn good_frame_after_loss_is_cross_faded() {
        let mut plc = G711Plc::new();
        plc.good(&mut tone(0, 480));
        let mut lost = [0i16; 160];
        plc.conceal(&mut lost);
        // Resume with the tone a quarter period early: a hard join would jump by ~12 500.
        let mut next = tone(642, 160);
        let raw = next.clone();
        assert!((i32::from(raw[0]) - i32::from(lost[159])).abs() > 12_000);
        plc.good(&mut next);
        assert!(!plc.is_concealing());
        let max_step = std::iter::once(lost[159])
            .chain(next.iter().copied())
            .collect::<Vec<_>>()
            .windows(2)
            .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
            .max()
            .unwrap();
        // No step larger than the tone's own largest (8000 · sin 45° ≈ 5657).
        assert!(max_step <= 5700, "step {max_step}");
        // Past the cross-fade (¼ of a 40-sample period + 4 ms for the second 10 ms lost) the
        // real samples pass through.
        assert_ne!(&next[..42], &raw[..42]);
        assert_eq!(&next[42..], &raw[42..]);
    }

    #[test]
    fn decoder_accepts_its_law_and_counts_samples() {
        let d = G711Decoder::new(Law::Alaw);
        assert!(d.accepts(8) && !d.accepts(0));
        assert_eq!(d.samples(&[0xD5; 160]), Some(160));
        assert_eq!(d.samples(&[]), None);
        assert_eq!(d.law(), Law::Alaw);
        let mut d = G711Decoder::new(Law::Ulaw);
        let mut out = vec![7];
        d.decode(&[0xFF, 0x00], &mut out);
        assert_eq!(out, vec![7, 0, Law::Ulaw.decode(0x00)]);
        let mut s = [5i16; 4];
        d.silence(&mut s);
        assert_eq!(s, [0; 4]);
        d.reset();
        let mut c = [1i16; 8];
        d.conceal(&mut c);
        assert_eq!(c, [0; 8], "nothing to repeat after a reset");
    }
}
