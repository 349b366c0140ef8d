//! DTMF digit detection with eight Goertzel filters.
//!
//! [`DtmfDetector`] runs eight of them (the four DTMF row and four column frequencies) over
//! 205-sample windows at 8 kHz (scaled for other rates), hopping half a window at a time,
//! and accepts a digit only if, in the window:
//!
//! 1. each of the strongest row and column components is at least
//!    [`DtmfParams::min_tone_dbm0`] loud;
//! 2. their level difference (twist) is within [`DtmfParams::max_high_over_low_db`] /
//!    [`DtmfParams::max_low_over_high_db`];
//! 3. each beats the other three frequencies of its group by
//!    [`DtmfParams::min_peak_ratio_db`] (rejects chords and broadband sound);
//! 4. together they hold at least [`DtmfParams::min_energy_fraction`] of the window's
//!    energy (rejects speech and music, whose energy is spread over many frequencies).
//!
//! A single tone fails (1)/(2) because one group is empty. The streaming interface
//! ([`DtmfDetector::push`]) reports a press after two consecutive accepting windows and a
//! release after two consecutive windows without the digit. At 8 kHz tones of 50 ms or more
//! are always caught, 40 ms tones depending on their alignment to the windows (about half
//! the time), and tones of 30 ms or less never.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::goertzel::{Goertzel, GoertzelError, block_energy};
use super::tone::{DBM0_AT_FULL_SCALE, DTMF_COL_HZ, DTMF_KEYPAD, DTMF_ROW_HZ, FULL_SCALE_PEAK};

/// Relative frequency offset each DTMF frequency is also probed at (±1.5 %, the deviation
/// a receiver must accept), so that slightly detuned senders are measured at full power.
pub const FREQ_TOLERANCE: f64 = 0.015;

/// Acceptance thresholds for [`DtmfDetector`]; see the module docs for how they are used.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DtmfParams {
    /// Minimum level of each of the two components, dBm0. Default −30.
    pub min_tone_dbm0: f64,
    /// How much louder the high (column) tone may be than the low (row) tone, dB. Default 8.
    pub max_high_over_low_db: f64,
    /// How much louder the low (row) tone may be than the high (column) tone, dB. Default 4.
    pub max_low_over_high_db: f64,
    /// How much the strongest frequency of each group must exceed the other three, dB.
    /// Default 6.
    pub min_peak_ratio_db: f64,
    /// Minimum share of the window's energy held by the two tones (0…1). Default 0.9
    /// (clean DTMF scores ≈ 0.97–1; this needs a signal-to-noise ratio of about 10 dB).
    pub min_energy_fraction: f64,
}

impl Default for DtmfParams {
    fn default() -> Self {
        DtmfParams {
            min_tone_dbm0: -30.0,
            max_high_over_low_db: 8.0,
            max_low_over_high_db: 4.0,
            min_peak_ratio_db: 6.0,
            min_energy_fraction: 0.9,
        }
    }
}

/// A digit starting or stopping, as reported by [`DtmfDetector::push`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DtmfEvent {
    /// `digit` started; `at_sample` is the stream position (samples since the detector was
    /// created or reset) of the first window that contained it.
    Pressed {
        /// The digit (`0`–`9`, `*`, `#`, `A`–`D`).
        digit: char,
        /// Stream position, in samples.
        at_sample: u64,
    },
    /// `digit` stopped; `at_sample` is the end of the last window that contained it.
    Released {
        /// The digit (`0`–`9`, `*`, `#`, `A`–`D`).
        digit: char,
        /// Stream position, in samples.
        at_sample: u64,
    },
}

/// Index and value of the largest of four powers, and its ratio to the next largest
/// (infinite when all others are 0, 0 when it is 0 itself).
fn peak(powers: &[f64; 4]) -> (usize, f64, f64) {
    let (best, best_p) =
        powers.iter().copied().enumerate().fold((0, f64::MIN), |b, (i, p)| if p > b.1 { (i, p) } else { b });
    let second =
        powers.iter().enumerate().filter(|&(i, _)| i != best).map(|(_, &p)| p).fold(0.0f64, f64::max);
    let margin = if best_p <= 0.0 {
        0.0
    } else if second <= 0.0 {
        f64::INFINITY
    } else {
        best_p / second
    };
    (best, best_p, margin)
}

/// Measurements of one window by [`DtmfDetector::analyse_block`], before any decision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DtmfAnalysis {
    /// Index (0–3) of the strongest row frequency in [`DTMF_ROW_HZ`].
    pub row: usize,
    /// Index (0–3) of the strongest column frequency in [`DTMF_COL_HZ`].
    pub col: usize,
    /// Level of the strongest row component, dBm0.
    pub row_dbm0: f64,
    /// Level of the strongest column component, dBm0.
    pub col_dbm0: f64,
    /// How far the strongest row exceeds the next strongest row, dB.
    pub row_peak_margin_db: f64,
    /// How far the strongest column exceeds the next strongest column, dB.
    pub col_peak_margin_db: f64,
    /// Share of the window energy held by the two strongest components (≈ 1 for clean DTMF).
    pub energy_fraction: f64,
}

impl DtmfAnalysis {
    /// Twist in dB: column level minus row level (positive when the high group is louder).
    pub fn twist_db(&self) -> f64 {
        self.col_dbm0 - self.row_dbm0
    }

    /// The digit at the strongest row and column (whether or not it was accepted).
    pub fn digit(&self) -> Option<char> {
        DTMF_KEYPAD.get(self.row).and_then(|r| r.get(self.col)).copied()
    }

    /// Whether these measurements pass every check of `params`.
    pub fn accepted(&self, params: &DtmfParams) -> bool {
        let twist = self.twist_db();
        // Written so that NaN measurements fail every check.
        self.row_dbm0 >= params.min_tone_dbm0
            && self.col_dbm0 >= params.min_tone_dbm0
            && twist <= params.max_high_over_low_db
            && -twist <= params.max_low_over_high_db
            && self.row_peak_margin_db >= params.min_peak_ratio_db
            && self.col_peak_margin_db >= params.min_peak_ratio_db
            && self.energy_fraction >= params.min_energy_fraction
    }
}

/// A DTMF digit detector: a stateless per-window test ([`DtmfDetector::detect_block`]) plus
/// a streaming front end ([`DtmfDetector::push`]) with debouncing.
#[derive(Clone, Debug, PartialEq)]
pub struct DtmfDetector {
    /// Per row / column frequency: probes at f·(1 − tol), f, f·(1 + tol).
    rows: [[Goertzel; 3]; 4],
    cols: [[Goertzel; 3]; 4],
    params: DtmfParams,
    block: usize,
    hop: usize,
    /// Samples not yet consumed; `buf[0]` is at stream position `pos`.
    buf: Vec<i16>,
    pos: u64,
    /// The digit seen in the most recent window(s) but not yet confirmed, its first window
    /// start, and how many consecutive windows showed it.
    candidate: Option<(char, u64, u8)>,
    /// The confirmed digit, the end of the last window that showed it, and consecutive
    /// windows without it.
    current: Option<(char, u64, u8)>,
}

impl DtmfDetector {
    /// A detector with default thresholds and a window of 205 samples per 8 kHz (rounded).
    pub fn new(sample_rate: u32) -> Result<DtmfDetector, GoertzelError> {
        let block = (u64::from(sample_rate) * 205 + 4000) / 8000;
        let block = usize::try_from(block).unwrap_or(usize::MAX);
        DtmfDetector::with_params(sample_rate, block, DtmfParams::default())
    }

    /// A detector with explicit window size (samples) and thresholds.
    pub fn with_params(
        sample_rate: u32,
        block_size: usize,
        params: DtmfParams,
    ) -> Result<DtmfDetector, GoertzelError> {
        let mk = |f: f64| -> Result<[Goertzel; 3], GoertzelError> {
            Ok([
                Goertzel::new(sample_rate, f * (1.0 - FREQ_TOLERANCE), block_size)?,
                Goertzel::new(sample_rate, f, block_size)?,
                Goertzel::new(sample_rate, f * (1.0 + FREQ_TOLERANCE), block_size)?,
            ])
        };
        let rows = [mk(DTMF_ROW_HZ[0])?, mk(DTMF_ROW_HZ[1])?, mk(DTMF_ROW_HZ[2])?, mk(DTMF_ROW_HZ[3])?];
        let cols = [mk(DTMF_COL_HZ[0])?, mk(DTMF_COL_HZ[1])?, mk(DTMF_COL_HZ[2])?, mk(DTMF_COL_HZ[3])?];
        Ok(DtmfDetector {
            rows,
            cols,
            params,
            block: block_size,
            hop: (block_size / 2).max(1),
            buf: Vec::with_capacity(2 * block_size),
            pos: 0,
            candidate: None,
            current: None,
        })
    }

    /// The analysis window in samples.
    pub fn block_size(&self) -> usize {
        self.block
    }

    /// The thresholds in use.
    pub fn params(&self) -> &DtmfParams {
        &self.params
    }

    /// Measures one window (the first `block_size` samples of `samples`, or all if fewer)
    /// without deciding; `None` for a silent or empty window.
    pub fn analyse_block(&self, samples: &[i16]) -> Option<DtmfAnalysis> {
        let block = samples.get(..self.block).unwrap_or(samples);
        let n = block.len() as f64;
        let energy = block_energy(block);
        if energy <= 0.0 {
            return None;
        }
        let probe = |gs: [Goertzel; 3]| gs.map(|g| g.power(block)).into_iter().fold(0.0, f64::max);
        let rp = self.rows.map(probe);
        let cp = self.cols.map(probe);
        let (row, row_p, row_margin) = peak(&rp);
        let (col, col_p, col_margin) = peak(&cp);
        let db = |ratio: f64| 10.0 * ratio.log10();
        // Component mean power (≈ A²/2) in dBm0.
        let dbm0 =
            |pw: f64| db(2.0 * pw / (n * n) / (FULL_SCALE_PEAK * FULL_SCALE_PEAK / 2.0)) + DBM0_AT_FULL_SCALE;
        Some(DtmfAnalysis {
            row,
            col,
            row_dbm0: dbm0(row_p),
            col_dbm0: dbm0(col_p),
            row_peak_margin_db: db(row_margin),
            col_peak_margin_db: db(col_margin),
            energy_fraction: 2.0 * (row_p + col_p) / (n * energy),
        })
    }

    /// Tests one window (the first `block_size` samples of `samples`, or all if fewer) and
    /// returns the digit it holds, if it passes every check.
    pub fn detect_block(&self, samples: &[i16]) -> Option<char> {
        let a = self.analyse_block(samples)?;
        a.accepted(&self.params).then(|| a.digit()).flatten()
    }

    /// Feeds samples; appends any presses and releases they complete to `events`.
    ///
    /// Windows of `block_size` samples are analysed every `block_size / 2` samples. A press
    /// needs two consecutive windows with the same digit; a release needs two consecutive
    /// windows without it (or a press of another digit).
    pub fn push(&mut self, samples: &[i16], events: &mut Vec<DtmfEvent>) {
        self.buf.extend_from_slice(samples);
        while self.buf.len() >= self.block {
            let seen = self.detect_block(&self.buf);
            self.observe(seen, events);
            let hop = self.hop.min(self.buf.len());
            self.buf.drain(..hop);
            self.pos += hop as u64;
        }
    }

    /// The digit currently held down (confirmed and not yet released), if any.
    pub fn current_digit(&self) -> Option<char> {
        self.current.map(|c| c.0)
    }

    /// Forgets all buffered samples and state; stream positions restart at 0.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.pos = 0;
        self.candidate = None;
        self.current = None;
    }

    /// Debounce state machine, one call per analysed window (starting at `self.pos`).
    fn observe(&mut self, seen: Option<char>, events: &mut Vec<DtmfEvent>) {
        let start = self.pos;
        let end = start + self.block as u64;
        // Track the held digit.
        if let Some((digit, last_end, misses)) = self.current {
            if seen == Some(digit) {
                self.current = Some((digit, end, 0));
                self.candidate = None;
                return;
            }
            let misses = misses.saturating_add(1);
            self.current = Some((digit, last_end, misses));
            if misses >= 2 {
                events.push(DtmfEvent::Released { digit, at_sample: last_end });
                self.current = None;
            }
        }
        // Track a new candidate.
        let Some(digit) = seen else {
            self.candidate = None;
            return;
        };
        let (first_start, hits) = match self.candidate {
            Some((d, s, h)) if d == digit => (s, h.saturating_add(1)),
            _ => (start, 1),
        };
        if hits >= 2 {
            if let Some((old, last_end, _)) = self.current.take() {
                events.push(DtmfEvent::Released { digit: old, at_sample: last_end });
            }
            events.push(DtmfEvent::Pressed { digit, at_sample: first_start });
            self.current = Some((digit, end, 0));
            self.candidate = None;
        } else {
            self.candidate = Some((digit, first_start, hits));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
    use super::super::g711;
    use super::super::tone::{DTMF_DIGITS, Level, Tone};
    use super::*;
    use std::f64::consts::TAU;
    fn tone(rate: u32, f: f64, n: usize) -> Vec<i16> {
        let mut t = Tone::single(rate, f, Level::Dbm0(-10.0)).unwrap();
        let mut v = vec![0; n];
        t.fill(&mut v);
        v
    }

    fn dtmf(rate: u32, d: char, level: f64, n: usize) -> Vec<i16> {
        let mut t = Tone::dtmf(rate, d, Level::Dbm0(level)).unwrap();
        let mut v = vec![0; n];
        t.fill(&mut v);
        v
    }

    /// Deterministic xorshift noise, uniform in ±amp.
    fn noise(seed: u64, amp: f64, n: usize) -> Vec<i16> {
        let mut s = seed | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * amp
            })
            .map(|v| v as i16)
            .collect()
    }

    /// A crude voiced-speech model: harmonics of a gliding pitch shaped by three formants.
    fn vowel(f0_start: f64, f0_end: f64, formants: [f64; 3], n: usize) -> Vec<i16> {
        let rate = 8000.0;
        let mut phase = 0.0f64;
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let f0 = f0_start + (f0_end - f0_start) * i as f64 / n as f64;
            phase += TAU * f0 / rate;
            let mut v = 0.0;
            let mut k = 1.0;
            while k * f0 < 3800.0 {
                let f = k * f0;
                let gain: f64 =
                    formants.iter().map(|&fm| 1.0 / (1.0 + ((f - fm) / 90.0).powi(2))).sum::<f64>()
                        / k.sqrt();
                v += gain * (k * phase).sin();
                k += 1.0;
            }
            out.push((v * 3000.0) as i16);
        }
        out
    }

    #[test]
    fn detects_all_16_digits_per_block() {
        for rate in [8000, 16000, 48000] {
            let det = DtmfDetector::new(rate).unwrap();
            for &d in &DTMF_DIGITS {
                let x = dtmf(rate, d, -10.0, det.block_size());
                assert_eq!(det.detect_block(&x), Some(d), "rate {rate} digit {d}");
            }
        }
    }

    #[test]
    fn detects_digits_after_g711_round_trip_and_at_low_level() {
        let det = DtmfDetector::new(8000).unwrap();
        for &d in &DTMF_DIGITS {
            for level in [-3.0, -10.0, -25.0] {
                let x = dtmf(8000, d, level, 205);
                for law in [g711::Law::Ulaw, g711::Law::Alaw] {
                    let y: Vec<i16> = x.iter().map(|&s| law.decode(law.encode(s))).collect();
                    assert_eq!(det.detect_block(&y), Some(d), "{d} {level} {law:?}");
                }
            }
        }
    }

    #[test]
    fn twist_limits() {
        let det = DtmfDetector::new(8000).unwrap();
        let mk = |low_db: f64, high_db: f64| {
            let mut t = Tone::dual_levels(8000, (852.0, Level::Dbm0(low_db)), (1477.0, Level::Dbm0(high_db)))
                .unwrap();
            let mut v = vec![0; 205];
            t.fill(&mut v);
            v
        };
        assert_eq!(det.detect_block(&mk(-14.0, -8.0)), Some('9')); // high +6 dB
        assert_eq!(det.detect_block(&mk(-8.0, -11.0)), Some('9')); // low +3 dB
        assert_eq!(det.detect_block(&mk(-20.0, -8.0)), None); // high +12 dB
        assert_eq!(det.detect_block(&mk(-8.0, -14.0)), None); // low +6 dB
    }

    #[test]
    fn frequency_tolerance() {
        let det = DtmfDetector::new(8000).unwrap();
        for dev in [-0.015, 0.015] {
            for &d in &DTMF_DIGITS {
                let (lo, hi) = super::super::tone::dtmf_frequencies(d).unwrap();
                let mut t = Tone::dual(8000, lo * (1.0 + dev), hi * (1.0 + dev), Level::Dbm0(-10.0)).unwrap();
                let mut v = vec![0; 205];
                t.fill(&mut v);
                assert_eq!(det.detect_block(&v), Some(d), "{d} {dev}");
            }
        }
    }

    #[test]
    fn rejects_single_tones_and_silence() {
        let det = DtmfDetector::new(8000).unwrap();
        for f in DTMF_ROW_HZ.iter().chain(&DTMF_COL_HZ).chain(&[350.0, 440.0, 1000.0]) {
            assert_eq!(det.detect_block(&tone(8000, *f, 205)), None, "{f}");
        }
        assert_eq!(det.detect_block(&[0; 205]), None);
        assert_eq!(det.detect_block(&[]), None);
        assert_eq!(det.detect_block(&dtmf(8000, '5', -40.0, 205)), None);
        // Two rows at once (no column) and two full digits at once.
        let mut chord = dtmf(8000, '1', -10.0, 205);
        for (a, b) in chord.iter_mut().zip(dtmf(8000, '9', -10.0, 205)) {
            *a = a.saturating_add(b);
        }
        assert_eq!(det.detect_block(&chord), None);
    }

    #[test]
    fn rejects_noise_and_speech_like_signals() {
        let mut det = DtmfDetector::new(8000).unwrap();
        let mut events = Vec::new();
        for seed in 1..20 {
            det.push(&noise(seed, 12000.0, 8000), &mut events);
        }
        // Vowel-like sounds with gliding pitch, including formants near DTMF frequencies.
        for formants in [
            [700.0, 1220.0, 2600.0],
            [300.0, 870.0, 2250.0],
            [640.0, 1190.0, 2390.0],
            [270.0, 2290.0, 3010.0],
            [940.0, 1340.0, 2500.0],
        ] {
            for (a, b) in [(90.0, 140.0), (140.0, 220.0), (220.0, 110.0)] {
                det.push(&vowel(a, b, formants, 8000), &mut events);
            }
        }
        assert!(events.is_empty(), "{events:?}");
    }

    #[test]
    fn streaming_sequence_with_repeats() {
        let mut det = DtmfDetector::new(8000).unwrap();
        let digits = "123A456B789C*0#D1155";
        let mut stream = Vec::new();
        let mut starts = Vec::new();
        for d in digits.chars() {
            starts.push(stream.len() as u64);
            stream.extend(dtmf(8000, d, -12.0, 480)); // 60 ms tone
            stream.extend(vec![0i16; 480]); // 60 ms gap
        }
        let mut events = Vec::new();
        // Feed in 160-sample RTP-sized frames.
        for frame in stream.chunks(160) {
            det.push(frame, &mut events);
        }
        let pressed: String = events
            .iter()
            .filter_map(|e| match e {
                DtmfEvent::Pressed { digit, .. } => Some(*digit),
                DtmfEvent::Released { .. } => None,
            })
            .collect();
        assert_eq!(pressed, digits);
        assert_eq!(events.len(), 2 * digits.len());
        for (i, pair) in events.chunks(2).enumerate() {
            let DtmfEvent::Pressed { digit, at_sample } = pair[0] else {
                panic!("expected press, got {:?}", pair[0]);
            };
            let DtmfEvent::Released { digit: rd, at_sample: end } = pair[1] else {
                panic!("expected release, got {:?}", pair[1]);
            };
            assert_eq!(digit, rd);
            // Reported start within one window of the true start, end within one window
            // of the true end.
            assert!(at_sample.abs_diff(starts[i]) <= 205, "{i}: {at_sample} vs {}", starts[i]);
            assert!(end.abs_diff(starts[i] + 480) <= 205, "{i}: {end}");
        }
        assert_eq!(det.current_digit(), None);
        det.reset();
        assert_eq!(det.current_digit(), None);
    }

    #[test]
    fn streaming_digit_change_without_gap() {
        let mut det = DtmfDetector::new(8000).unwrap();
        let mut events = Vec::new();
        det.push(&dtmf(8000, '4', -10.0, 800), &mut events);
        det.push(&dtmf(8000, '7', -10.0, 800), &mut events);
        let kinds: Vec<(bool, char)> = events
            .iter()
            .map(|e| match *e {
                DtmfEvent::Pressed { digit, .. } => (true, digit),
                DtmfEvent::Released { digit, .. } => (false, digit),
            })
            .collect();
        assert_eq!(kinds, [(true, '4'), (false, '4'), (true, '7')]);
        assert_eq!(det.current_digit(), Some('7'));
    }

    #[test]
    fn accepts_digits_in_moderate_noise() {
        // Each tone at −10 dBm0 (total ≈ −7 dBm0); uniform noise of RMS ≈ −22 dBm0 → 15 dB SNR.
        let det = DtmfDetector::new(8000).unwrap();
        let rms = Level::Dbm0(-22.0).peak() / 2f64.sqrt();
        for (i, &d) in DTMF_DIGITS.iter().enumerate() {
            let n = noise(i as u64 + 7, rms * 3f64.sqrt(), 205);
            let x: Vec<i16> =
                dtmf(8000, d, -10.0, 205).iter().zip(n).map(|(&a, b)| a.saturating_add(b)).collect();
            assert_eq!(det.detect_block(&x), Some(d), "{d}");
        }
    }

    #[test]
    fn analysis_reports_measurements() {
        let det = DtmfDetector::new(8000).unwrap();
        let a = det.analyse_block(&dtmf(8000, '6', -10.0, 205)).unwrap();
        assert_eq!((a.row, a.col, a.digit()), (1, 2, Some('6')));
        assert!((a.row_dbm0 + 10.0).abs() < 0.5 && (a.col_dbm0 + 10.0).abs() < 0.5, "{a:?}");
        assert!(a.twist_db().abs() < 0.5);
        assert!(a.energy_fraction > 0.95);
        assert!(a.row_peak_margin_db > 10.0 && a.col_peak_margin_db > 10.0, "{a:?}");
        assert!(a.accepted(det.params()));
        assert_eq!(det.analyse_block(&[0; 205]), None);
    }

    /// Counts presses for a tone of `ms` milliseconds at every 5-sample alignment.
    fn detected_alignments(ms: usize) -> (usize, usize) {
        let mut hits = 0;
        let mut total = 0;
        for offset in (0..205).step_by(5) {
            let mut det = DtmfDetector::new(8000).unwrap();
            let mut x = vec![0i16; offset];
            x.extend(dtmf(8000, '8', -10.0, ms * 8));
            x.extend(vec![0i16; 800]);
            let mut events = Vec::new();
            det.push(&x, &mut events);
            total += 1;
            if events.len() == 2 {
                hits += 1;
            } else {
                assert!(events.is_empty(), "{events:?}");
            }
        }
        (hits, total)
    }

    #[test]
    fn minimum_tone_duration() {
        // ≥ 50 ms: always; 40 ms: sometimes (alignment-dependent); ≤ 30 ms: never.
        let (hits, total) = detected_alignments(50);
        assert_eq!(hits, total);
        let (hits, total) = detected_alignments(40);
        assert!(hits > 0 && hits < total);
        assert_eq!(detected_alignments(30).0, 0);
        assert_eq!(detected_alignments(20).0, 0);
    }

    #[test]
    fn bad_rates_are_errors() {
        assert!(DtmfDetector::new(0).is_err());
        assert!(DtmfDetector::new(3000).is_err()); // 1633 Hz above Nyquist
        assert!(DtmfDetector::with_params(8000, 0, DtmfParams::default()).is_err());
    }
}
