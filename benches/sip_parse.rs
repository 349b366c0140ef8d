//! Criterion benchmarks of the message codec on a typical INVITE with SDP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sip7940::sip::message::{Datagram, Message, parse_datagram, response_to, validate_request};

const INVITE: &[u8] = include_bytes!("../tests/data/bench/invite.dat");

fn parse(buf: &[u8]) -> Message<'_> {
    match parse_datagram(buf) {
        Ok(Datagram::Message(m)) => m,
        other => panic!("{other:?}"),
    }
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("invite");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse", |b| b.iter(|| parse(black_box(INVITE))));
    g.bench_function("parse+core_typed", |b| {
        b.iter(|| {
            let m = parse(black_box(INVITE));
            black_box((
                m.top_via().unwrap(),
                m.from().unwrap(),
                m.to().unwrap(),
                m.cseq().unwrap(),
                m.call_id().unwrap(),
            ));
        });
    });
    g.bench_function("parse+validate", |b| {
        b.iter(|| validate_request(&parse(black_box(INVITE))).is_ok());
    });
    let m = parse(INVITE);
    g.bench_function("response_to+print", |b| {
        b.iter(|| response_to(black_box(&m), 180, Some(b"abc")).unwrap().to_bytes());
    });
    g.finish();
}

criterion_group!(codec, benches);
criterion_main!(codec);
