//! The resampler's tests: level, frequency, aliasing and image rejection measured with the
//! Goertzel filter; chunking independence; exact sample counts; the ratio adjustment.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::super::goertzel::{Goertzel, scan_dominant_frequency};
use super::super::tone::{Level, Tone};
use super::*;

/// The test level: −10 dBm0.
const LEVEL_DBM0: f64 = -10.0;

fn tone(rate: u32, hz: f64, samples: usize) -> Vec<i16> {
    let mut t = Tone::single(rate, hz, Level::Dbm0(LEVEL_DBM0)).unwrap();
    let mut v = vec![0; samples];
    t.fill(&mut v);
    v
}

/// Converts `hz` from `from` to `to` Hz and returns `block` output samples taken after the
/// filter has settled.
fn converted(from: u32, to: u32, hz: f64, block: usize) -> Vec<i16> {
    let mut r = Resampler::new(from, to).unwrap();
    let settle = r.delay() * to as usize / from as usize + 64;
    let total = settle + block;
    let input = tone(from, hz, total * from as usize / to as usize + r.delay() + 64);
    let mut out: Vec<i16> = Vec::new();
    r.process(&input, &mut out);
    assert!(out.len() >= total, "{} < {total}", out.len());
    out[settle..total].to_vec()
}

/// Level (dBm0) of the component at `hz` in `samples` at `rate`.
fn level_at(samples: &[i16], rate: u32, hz: f64) -> f64 {
    Goertzel::new(rate, hz, samples.len()).unwrap().component_dbm0(samples)
}

/// Where a tone at `hz` lands after sampling at `rate`.
fn alias(hz: f64, rate: u32) -> f64 {
    let folded = hz % f64::from(rate);
    folded.min(f64::from(rate) - folded)
}

#[test]
fn rates_are_checked() {
    assert_eq!(Resampler::new(0, 8000).unwrap_err(), ResampleError::BadRate(0));
    assert_eq!(Resampler::new(8000, 400_000).unwrap_err(), ResampleError::BadRate(400_000));
    assert!(ResampleError::BadRate(0).to_string().contains("0 Hz"));
    let r = Resampler::new(44_100, 8000).unwrap();
    assert_eq!((r.in_rate(), r.out_rate(), r.adjust_ppm()), (44_100, 8000, 0));
}

#[test]
fn tone_1khz_48k_to_8k_keeps_frequency_and_level() {
    let out = converted(48_000, 8000, 1000.0, 8000);
    let (hz, share) = scan_dominant_frequency(&out, 8000, 900.0, 1100.0, 1.0).unwrap();
    assert_eq!(hz, 1000.0);
    assert!(share > 0.99, "{share}");
    let level = level_at(&out, 8000, 1000.0);
    assert!((level - LEVEL_DBM0).abs() < 0.5, "{level} dBm0");
    // Much tighter in fact: the passband is flat to a hundredth of a dB.
    assert!((level - LEVEL_DBM0).abs() < 0.05, "{level} dBm0");
}

#[test]
fn tones_near_and_above_4khz_are_attenuated_at_48k_to_8k() {
    // 6 kHz would alias to 2 kHz: it must not show there above −40 dB.
    let out = converted(48_000, 8000, 6000.0, 4000);
    let at_2k = level_at(&out, 8000, 2000.0) - LEVEL_DBM0;
    assert!(at_2k < -40.0, "6 kHz shows at 2 kHz at {at_2k:.1} dB");
    assert!(at_2k < -65.0, "6 kHz shows at 2 kHz at {at_2k:.1} dB");
    eprintln!("6 kHz at 2 kHz: {at_2k:.1} dB");
    // 3.9 kHz is in the transition band (above the 3.4 kHz passband): attenuated.
    let out = converted(48_000, 8000, 3900.0, 4000);
    let at_3k9 = level_at(&out, 8000, 3900.0) - LEVEL_DBM0;
    eprintln!("3.9 kHz: {at_3k9:.1} dB");
    assert!(at_3k9 < -20.0, "3.9 kHz passes at {at_3k9:.1} dB");
    // 4.1 kHz would alias onto 3.9 kHz: the stopband starts at 4 kHz.
    let out = converted(48_000, 8000, 4100.0, 4000);
    let alias_3k9 = level_at(&out, 8000, 3900.0) - LEVEL_DBM0;
    eprintln!("4.1 kHz at 3.9 kHz: {alias_3k9:.1} dB");
    assert!(alias_3k9 < -60.0, "4.1 kHz shows at 3.9 kHz at {alias_3k9:.1} dB");
}

/// Measures the figures quoted in the module documentation: passband flatness and the
/// worst alias, for an integer (48 kHz) and a fractional (44.1 kHz) ratio to 8 kHz.
#[test]
fn passband_and_stopband_figures() {
    for from in [48_000, 44_100] {
        let block = 2000; // 0.25 s at 8 kHz: 4 Hz bins, so every test tone is on a bin.
        let mut ripple: f64 = 0.0;
        for hz in [100.0, 300.0, 700.0, 1000.0, 1500.0, 2000.0, 2500.0, 3000.0, 3300.0, 3400.0] {
            let gain = level_at(&converted(from, 8000, hz, block), 8000, hz) - LEVEL_DBM0;
            ripple = ripple.max(gain.abs());
        }
        assert!(ripple < 0.01, "{from}: passband ripple {ripple:.4} dB");
        let mut worst = f64::NEG_INFINITY;
        let top = from / 2 - 200;
        for hz in (4020..=top).step_by(700).map(f64::from) {
            let leak = level_at(&converted(from, 8000, hz, block), 8000, alias(hz, 8000)) - LEVEL_DBM0;
            worst = worst.max(leak);
        }
        eprintln!("{from} → 8000: passband ripple ±{ripple:.4} dB, worst alias {worst:.1} dB");
        assert!(worst < -69.0, "{from}: worst alias {worst:.1} dB");
    }
}

#[test]
fn upsampling_8k_to_48k_keeps_the_tone_and_rejects_images() {
    let out = converted(8000, 48_000, 1000.0, 12_000);
    let level = level_at(&out, 48_000, 1000.0);
    assert!((level - LEVEL_DBM0).abs() < 0.05, "{level} dBm0");
    // The images of 1 kHz sampled at 8 kHz: 7, 9, 15, 17 kHz.
    for image in [7000.0, 9000.0, 15_000.0, 17_000.0] {
        let leak = level_at(&out, 48_000, image) - LEVEL_DBM0;
        eprintln!("image {image}: {leak:.1} dB");
        assert!(leak < -65.0, "image at {image} Hz: {leak:.1} dB");
    }
    // A 3.4 kHz tone (top of the passband) passes; its image at 4.6 kHz does not.
    let out = converted(8000, 48_000, 3400.0, 12_000);
    assert!((level_at(&out, 48_000, 3400.0) - LEVEL_DBM0).abs() < 0.05);
    assert!(level_at(&out, 48_000, 4600.0) - LEVEL_DBM0 < -65.0);
}

/// A deterministic sequence of chunk sizes in 1..=max.
fn chunk_sizes(seed: u64, max: usize) -> impl Iterator<Item = usize> {
    let mut x = seed;
    std::iter::repeat_with(move || {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) as usize % max + 1
    })
}

/// Runs `input` through a fresh `from → to` resampler, pushing and pulling in chunks drawn
/// from `seed` (one chunk of everything for seed 0).
fn chunked(from: u32, to: u32, input: &[f32], seed: u64) -> Vec<f32> {
    let mut r = Resampler::new(from, to).unwrap();
    let mut out = Vec::new();
    if seed == 0 {
        r.process(input, &mut out);
        return out;
    }
    let mut sizes = chunk_sizes(seed, 700);
    let mut rest = input;
    let mut scratch = vec![0.0f32; 700];
    while !rest.is_empty() || r.available() > 0 {
        let n = sizes.next().unwrap().min(rest.len());
        r.push(&rest[..n]);
        rest = &rest[n..];
        let want = sizes.next().unwrap();
        let got = r.pull(&mut scratch[..want]);
        out.extend_from_slice(&scratch[..got]);
    }
    out
}

#[test]
fn output_does_not_depend_on_chunking() {
    let input: Vec<f32> = chunk_sizes(7, 2000).take(12_000).map(|x| (x as f32 - 1000.0) / 1000.0).collect();
    for (from, to) in [(48_000, 8000), (44_100, 8000), (8000, 48_000), (8000, 44_100), (16_000, 8000)] {
        let whole = chunked(from, to, &input, 0);
        assert!(!whole.is_empty());
        for seed in [1, 2, 3] {
            assert_eq!(chunked(from, to, &input, seed), whole, "{from} → {to}, seed {seed}");
        }
    }
}

/// Pushes `seconds` of silence in uneven chunks and counts the outputs.
fn count_outputs(from: u32, to: u32, adjust_ppm: i32, seconds: u64) -> (u64, u64) {
    let mut r = Resampler::new(from, to).unwrap();
    r.set_adjust_ppm(adjust_ppm);
    let total = u64::from(from) * seconds;
    let block = [0.0f32; 4096];
    let mut out = [0.0f32; 4096];
    let (mut pushed, mut produced) = (0u64, 0u64);
    for n in chunk_sizes(u64::from(from), 4096) {
        let n = n.min((total - pushed) as usize);
        r.push(&block[..n]);
        pushed += n as u64;
        while r.available() > 0 {
            produced += r.pull(&mut out) as u64;
        }
        if pushed == total {
            break;
        }
    }
    (pushed, produced)
}

#[test]
fn sample_counts_match_the_ratio_exactly() {
    for (from, to) in [(48_000, 8000), (44_100, 8000), (8000, 44_100), (8000, 48_000), (16_000, 8000)] {
        let (pushed, produced) = count_outputs(from, to, 0, 4);
        assert_eq!(produced, (pushed * u64::from(to)).div_ceil(u64::from(from)), "{from} → {to}");
        assert_eq!(produced, 4 * u64::from(to), "{from} → {to}");
    }
    // With an adjustment the step is (1 + ppm/10⁶)·from/to input samples, still exactly.
    for ppm in [10_000, -10_000, 123] {
        let (pushed, produced) = count_outputs(44_100, 8000, ppm, 2);
        let step_units = 44_100 * (1_000_000 + i64::from(ppm)) as u64;
        let unit = 8000 * 1_000_000u64;
        assert_eq!(produced, (pushed * unit).div_ceil(step_units), "{ppm} ppm");
    }
}

#[test]
fn available_and_input_needed_agree_with_pull() {
    let mut r = Resampler::new(44_100, 8000).unwrap();
    let mut frame = [0i16; 160];
    for round in 0..50 {
        let need = r.input_needed(160);
        assert!(need > 0, "round {round}");
        r.push(&vec![0.1f32; need - 1]);
        assert!(r.available() < 160, "round {round}");
        r.push(&[0.1f32]);
        assert!(r.available() >= 160, "round {round}");
        assert_eq!(r.pull(&mut frame), 160);
    }
    assert_eq!(r.input_needed(0), 0);
    let pull_all = r.available();
    assert_eq!(r.pull(&mut vec![0f32; pull_all + 10]), pull_all);
}

#[test]
fn adjusting_the_ratio_shifts_the_pitch_by_that_much() {
    let mut r = Resampler::new(48_000, 8000).unwrap();
    assert_eq!(r.set_adjust_ppm(50_000), MAX_ADJUST_PPM, "clamped to 1 %");
    let input = tone(48_000, 1000.0, 48_000 * 2);
    let mut out: Vec<i16> = Vec::new();
    r.process(&input, &mut out);
    // Input consumed 1 % faster: fewer outputs, and the tone plays 1 % higher.
    assert_eq!(out.len(), (96_000u64 * 8_000_000_000).div_ceil(48_000 * 1_010_000) as usize);
    let (hz, _) = scan_dominant_frequency(&out[400..], 8000, 980.0, 1020.0, 1.0).unwrap();
    assert_eq!(hz, 1010.0);
    assert_eq!(r.set_adjust_ppm(-20_000), -MAX_ADJUST_PPM);
}

#[test]
fn reset_starts_from_silence_again() {
    let mut r = Resampler::new(8000, 16_000).unwrap();
    let input = tone(8000, 440.0, 800);
    let (mut first, mut second): (Vec<f32>, Vec<f32>) = (Vec::new(), Vec::new());
    r.process(&input, &mut first);
    r.reset();
    r.process(&input, &mut second);
    assert_eq!(first, second);
    assert_eq!(first.len(), 1600);
}
