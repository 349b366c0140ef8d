//! G.711 throughput on 20 ms frames (160 samples at 8 kHz), plus a comparison of encoder
//! strategies: direct computation, the library's 16/8 KiB tables, and a full 64 KiB table.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sip7940::media::g711;
use std::hint::black_box;

const FRAME: usize = 160;

/// A speech-like test frame: a few summed sines at varied levels (deterministic).
fn frame() -> [i16; FRAME] {
    std::array::from_fn(|i| {
        let t = i as f64 / 8000.0;
        let v = 9000.0 * (2.0 * std::f64::consts::PI * 310.0 * t).sin()
            + 4000.0 * (2.0 * std::f64::consts::PI * 1270.0 * t).sin()
            + 700.0 * (2.0 * std::f64::consts::PI * 2950.0 * t).sin();
        v as i16
    })
}

/// Full 65 536-entry tables, built at compile time, for the strategy comparison only.
const fn full_table(ulaw: bool) -> [u8; 65536] {
    let mut t = [0u8; 65536];
    let mut i = 0;
    while i < 65536 {
        let x = i as u16 as i16;
        t[i] = if ulaw { g711::ulaw_encode_compute(x) } else { g711::alaw_encode_compute(x) };
        i += 1;
    }
    t
}
static ULAW_FULL: [u8; 65536] = full_table(true);
static ALAW_FULL: [u8; 65536] = full_table(false);

fn frames(c: &mut Criterion) {
    let pcm = frame();
    let mut codes = [0u8; FRAME];
    g711::encode_ulaw_to_slice(&pcm, &mut codes);
    let ucodes = codes;
    g711::encode_alaw_to_slice(&pcm, &mut codes);
    let acodes = codes;

    let mut g = c.benchmark_group("g711_frame_160");
    g.throughput(Throughput::Elements(FRAME as u64));
    let mut out8 = [0u8; FRAME];
    let mut out16 = [0i16; FRAME];
    g.bench_function("ulaw_encode", |b| {
        b.iter(|| g711::encode_ulaw_to_slice(black_box(&pcm), black_box(&mut out8)))
    });
    g.bench_function("ulaw_decode", |b| {
        b.iter(|| g711::decode_ulaw_to_slice(black_box(&ucodes), black_box(&mut out16)))
    });
    g.bench_function("alaw_encode", |b| {
        b.iter(|| g711::encode_alaw_to_slice(black_box(&pcm), black_box(&mut out8)))
    });
    g.bench_function("alaw_decode", |b| {
        b.iter(|| g711::decode_alaw_to_slice(black_box(&acodes), black_box(&mut out16)))
    });
    let mut v8 = Vec::with_capacity(FRAME);
    g.bench_function("ulaw_encode_into_vec", |b| {
        b.iter(|| {
            v8.clear();
            g711::encode_ulaw_into(black_box(&pcm), &mut v8);
            black_box(v8.len())
        })
    });
    let mut v16 = Vec::with_capacity(FRAME);
    g.bench_function("ulaw_decode_into_vec", |b| {
        b.iter(|| {
            v16.clear();
            g711::decode_ulaw_into(black_box(&ucodes), &mut v16);
            black_box(v16.len())
        })
    });
    g.finish();
}

fn encode_strategies(c: &mut Criterion) {
    let pcm = frame();
    let mut out = [0u8; FRAME];
    let mut g = c.benchmark_group("g711_encode_strategy_160");
    g.throughput(Throughput::Elements(FRAME as u64));
    macro_rules! strat {
        ($name:expr, $f:expr) => {
            g.bench_function($name, |b| {
                b.iter(|| {
                    for (o, &x) in out.iter_mut().zip(black_box(&pcm)) {
                        *o = $f(x);
                    }
                    black_box(&out);
                })
            });
        };
    }
    strat!("ulaw_compute", g711::ulaw_encode_compute);
    strat!("ulaw_table_16k", g711::encode_ulaw);
    strat!("ulaw_table_64k", |x: i16| ULAW_FULL[x as u16 as usize]);
    strat!("alaw_compute", g711::alaw_encode_compute);
    strat!("alaw_table_8k", g711::encode_alaw);
    strat!("alaw_table_64k", |x: i16| ALAW_FULL[x as u16 as usize]);
    g.finish();
}

criterion_group!(benches, frames, encode_strategies);
criterion_main!(benches);
