//! Sample-rate conversion cost per 20 ms frame: the sound card's rate to the 8 kHz media
//! rate (microphone) and back (loudspeaker), i16 frames in and out as the media path uses
//! them, with and without a clock-drift adjustment (which makes every output fall between
//! two kernel rows).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sip7940::media::resample::Resampler;
use std::hint::black_box;

/// One 20 ms frame of a 1 kHz sine at `rate`, as 16-bit samples.
fn frame(rate: u32) -> Vec<i16> {
    let samples = rate as usize / 50;
    (0..samples)
        .map(|i| (8000.0 * (std::f64::consts::TAU * 1000.0 * i as f64 / f64::from(rate)).sin()) as i16)
        .collect()
}

/// Converts one 20 ms frame at a time from `from` to `to` Hz.
fn bench_direction(c: &mut Criterion, name: &str, from: u32, to: u32, adjust_ppm: i32) {
    let input = frame(from);
    let mut out = vec![0i16; to as usize / 50 + 8];
    let Ok(mut r) = Resampler::new(from, to) else { return };
    r.set_adjust_ppm(adjust_ppm);
    let mut g = c.benchmark_group("resample_20ms_frame");
    g.throughput(Throughput::Elements(input.len() as u64));
    g.bench_function(name, |b| {
        b.iter(|| {
            r.push(black_box(&input));
            black_box(r.pull(&mut out))
        })
    });
    g.finish();
}

fn frames(c: &mut Criterion) {
    bench_direction(c, "48k_to_8k", 48_000, 8000, 0);
    bench_direction(c, "8k_to_48k", 8000, 48_000, 0);
    bench_direction(c, "44k1_to_8k", 44_100, 8000, 0);
    bench_direction(c, "8k_to_44k1", 8000, 44_100, 0);
    bench_direction(c, "48k_to_8k_adjusted_100ppm", 48_000, 8000, 100);
    bench_direction(c, "8k_to_48k_adjusted_100ppm", 8000, 48_000, 100);
}

criterion_group!(benches, frames);
criterion_main!(benches);
