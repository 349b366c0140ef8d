//! Jitter-buffer cost per 20 ms frame: one packet pushed and one frame pulled, on a steady
//! stream and on one losing every 20th packet (so the concealment path, pitch search included,
//! runs 5 % of the time). Building the RTP packet is inside the loop; `rtp_build_only`
//! measures that part alone.

use criterion::{Criterion, criterion_group, criterion_main};
use sip7940::media::g711::Law;
use sip7940::media::jitter::JitterBuffer;
use sip7940::media::rtp::{RTP_HEADER_LEN, RtpSender};
use sip7940::media::source::{FRAME_SAMPLES, Frame};
use std::hint::black_box;

/// A speech-like 20 ms μ-law payload (deterministic).
fn payload() -> [u8; FRAME_SAMPLES] {
    let pcm: Vec<i16> = (0..FRAME_SAMPLES)
        .map(|i| {
            let t = i as f64 / 8000.0;
            (9000.0 * (2.0 * std::f64::consts::PI * 210.0 * t).sin()
                + 3000.0 * (2.0 * std::f64::consts::PI * 1270.0 * t).sin()) as i16
        })
        .collect();
    let mut out = [0u8; FRAME_SAMPLES];
    Law::Ulaw.encode_to_slice(&pcm, &mut out);
    out
}

/// A simulated receive path: the far end's sender, the buffer, and the local clock.
struct Call {
    tx: RtpSender,
    jb: JitterBuffer,
    clock: u32,
    n: u64,
    /// Every this many packets one is lost (0: none).
    lose_every: u64,
    buf: [u8; RTP_HEADER_LEN + FRAME_SAMPLES],
    out: Frame,
}

impl Call {
    fn new(lose_every: u64) -> Call {
        Call {
            tx: RtpSender::with_initial(1, 0, 0, 0).unwrap_or_else(|_| unreachable!()),
            jb: JitterBuffer::g711(Law::Ulaw),
            clock: 0,
            n: 0,
            lose_every,
            buf: [0; RTP_HEADER_LEN + FRAME_SAMPLES],
            out: [0; FRAME_SAMPLES],
        }
    }

    /// One frame time: build the next packet, push it (unless it is lost), pull a frame.
    fn step(&mut self, payload: &[u8]) {
        let len = self.tx.build_into(payload, FRAME_SAMPLES as u32, &mut self.buf).unwrap_or(0);
        self.n += 1;
        if self.lose_every == 0 || !self.n.is_multiple_of(self.lose_every) {
            let _ = self.jb.push(self.buf.get(..len).unwrap_or_default(), self.clock.wrapping_add(300));
        }
        self.jb.pull(self.clock.wrapping_add(460), &mut self.out);
        self.clock = self.clock.wrapping_add(FRAME_SAMPLES as u32);
    }
}

fn push_pull(c: &mut Criterion) {
    let payload = payload();
    let mut g = c.benchmark_group("jitter_frame_20ms");
    for (name, lose_every) in [("steady_push_pull", 0u64), ("loss_5pct_push_pull", 20)] {
        g.bench_function(name, |b| {
            let mut call = Call::new(lose_every);
            b.iter(|| {
                call.step(black_box(&payload));
                black_box(&call.out);
            })
        });
    }
    g.bench_function("rtp_build_only", |b| {
        let mut tx = RtpSender::with_initial(1, 0, 0, 0).unwrap_or_else(|_| unreachable!());
        let mut buf = [0u8; RTP_HEADER_LEN + FRAME_SAMPLES];
        b.iter(|| black_box(tx.build_into(black_box(&payload), FRAME_SAMPLES as u32, &mut buf)))
    });
    g.finish();
}

criterion_group!(benches, push_pull);
criterion_main!(benches);
