//! Opus cost per 20 ms frame at the phone's rate (8 kHz mono, VoIP, 24 kbit/s, in-band FEC):
//! encode, decode, and the two ways of filling a lost frame (PLC, FEC from the next packet;
//! each of these also decodes one real packet before the gap, as in a call with scattered
//! loss, so subtract `decode`). One frame is 20 ms of real time, so anything far below 20 000 000 ns per frame leaves
//! the 20 ms tick idle.

use criterion::{Criterion, criterion_group, criterion_main};
use sip7940::media::g711::Law;
use sip7940::media::opus::{OpusDecoder, OpusEncoder, OpusSettings};
use sip7940::media::plc::Decoder;
use sip7940::media::source::{FRAME_SAMPLES, Frame};
use std::hint::black_box;

/// Frame `k` of a speech-like signal: a few summed sines with a slow level change.
fn frame(k: usize) -> Frame {
    std::array::from_fn(|i| {
        let t = (k * FRAME_SAMPLES + i) as f64 / 8000.0;
        let level = 0.6 + 0.4 * (2.0 * std::f64::consts::PI * 3.0 * t).sin();
        let v = 9000.0 * (2.0 * std::f64::consts::PI * 310.0 * t).sin()
            + 4000.0 * (2.0 * std::f64::consts::PI * 1270.0 * t).sin()
            + 700.0 * (2.0 * std::f64::consts::PI * 2950.0 * t).sin();
        (v * level) as i16
    })
}

fn opus(c: &mut Criterion) {
    let frames: Vec<Frame> = (0..50).map(frame).collect();
    let mut enc = OpusEncoder::new(OpusSettings::default()).expect("encoder");
    let packets: Vec<Vec<u8>> = frames.iter().map(|f| enc.encode(f).expect("encode").to_vec()).collect();

    let mut g = c.benchmark_group("opus_frame_20ms");
    let mut k = 0;
    g.bench_function("encode", |b| {
        b.iter(|| {
            k = (k + 1) % frames.len();
            black_box(enc.encode(black_box(&frames[k])).map(<[u8]>::len))
        })
    });
    let mut dec = OpusDecoder::new(111).expect("decoder");
    let mut out = Vec::with_capacity(FRAME_SAMPLES);
    g.bench_function("decode", |b| {
        b.iter(|| {
            k = (k + 1) % packets.len();
            out.clear();
            dec.decode(black_box(&packets[k]), &mut out);
            black_box(out.len())
        })
    });
    let mut gap = [0i16; FRAME_SAMPLES];
    g.bench_function("conceal_plc", |b| {
        b.iter(|| {
            // A real packet between concealments, as in a call with scattered loss.
            k = (k + 1) % packets.len();
            out.clear();
            dec.decode(&packets[k], &mut out);
            dec.conceal(black_box(&mut gap));
        })
    });
    g.bench_function("conceal_fec", |b| {
        b.iter(|| {
            k = (k + 1) % packets.len();
            out.clear();
            dec.decode(&packets[k], &mut out);
            dec.conceal_before(black_box(&mut gap), &packets[(k + 1) % packets.len()]);
        })
    });
    // The anchor, in the same run: G.711 µ-law, the codec the 7940 speaks.
    let mut ulaw = [0u8; FRAME_SAMPLES];
    g.bench_function("g711_ulaw_encode_anchor", |b| {
        b.iter(|| {
            k = (k + 1) % frames.len();
            Law::Ulaw.encode_to_slice(black_box(&frames[k]), &mut ulaw);
            black_box(ulaw[0])
        })
    });
    g.finish();
}

criterion_group!(benches, opus);
criterion_main!(benches);
