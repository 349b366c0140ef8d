//! Criterion benchmarks of the message codec on two typical messages, against rsip 0.4 on the
//! same bytes:
//!
//! * `invite`: an INVITE with SDP and Proxy-Authorization (`tests/data/bench/invite.dat`);
//! * `register_200`: a registrar's `200 OK` to REGISTER with received/rport, tags, Contact
//!   with expires and `+sip.instance`, Date and Server (`tests/data/bench/register-200.dat`).
//!
//! Per message: parse; parse plus the typed top Via, From, To, CSeq and Call-ID; printing an
//! owned copy; and the same parse / parse+typed / print with rsip. Throughput is one message
//! per iteration, so criterion reports messages per second (`thrpt`).
//!
//! Run: `cargo bench --bench sip_parse` (about a minute and a half).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rsip::prelude::*;
use sip7940::sip::message::{
    Datagram, Message, parse_datagram, response_to, validate_request, validate_response,
};

const INVITE: &[u8] = include_bytes!("../tests/data/bench/invite.dat");
const REGISTER_200: &[u8] = include_bytes!("../tests/data/bench/register-200.dat");

fn parse(buf: &[u8]) -> Message<'_> {
    match parse_datagram(buf) {
        Ok(Datagram::Message(m)) => m,
        other => panic!("{other:?}"),
    }
}

/// Our parse plus the typed core headers a UA reads on every message.
fn ours_typed(buf: &[u8]) {
    let m = parse(buf);
    black_box((
        m.top_via().unwrap(),
        m.from().unwrap(),
        m.to().unwrap(),
        m.cseq().unwrap(),
        m.call_id().unwrap(),
    ));
}

/// rsip's parse plus its typed Via, From, To, CSeq and Call-ID (which has no typed form in
/// rsip: its value is copied out, as a caller keeping it would).
fn rsip_typed(buf: &[u8]) {
    let m = rsip::SipMessage::try_from(buf).unwrap();
    black_box((
        m.via_header().unwrap().typed().unwrap(),
        m.from_header().unwrap().typed().unwrap(),
        m.to_header().unwrap().typed().unwrap(),
        m.cseq_header().unwrap().typed().unwrap(),
        m.call_id_header().unwrap().value().to_owned(),
    ));
}

fn bench_message(c: &mut Criterion, name: &str, buf: &'static [u8]) {
    // Both codecs must read every compared header of the bench messages, or the figures
    // would compare different work.
    ours_typed(buf);
    rsip_typed(buf);
    let is_request = parse(buf).is_request();
    assert!(if is_request {
        validate_request(&parse(buf)).is_ok()
    } else {
        validate_response(&parse(buf)).is_ok()
    });

    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(1));
    g.bench_function("ours/parse", |b| b.iter(|| parse(black_box(buf))));
    g.bench_function("ours/parse+typed", |b| b.iter(|| ours_typed(black_box(buf))));
    g.bench_function("ours/parse+validate", |b| {
        b.iter(|| {
            let m = parse(black_box(buf));
            if is_request { validate_request(&m).is_ok() } else { validate_response(&m).is_ok() }
        });
    });
    let m = parse(buf);
    let owned = m.to_owned_message();
    g.bench_function("ours/print", |b| b.iter(|| black_box(&owned).to_bytes()));
    g.bench_function("ours/to_owned+print", |b| b.iter(|| black_box(&m).to_owned_message().to_bytes()));
    if is_request {
        g.bench_function("ours/response_to+print", |b| {
            b.iter(|| response_to(black_box(&m), 180, Some(b"abc")).unwrap().to_bytes());
        });
    }
    g.bench_function("rsip/parse", |b| b.iter(|| rsip::SipMessage::try_from(black_box(buf)).unwrap()));
    g.bench_function("rsip/parse+typed", |b| b.iter(|| rsip_typed(black_box(buf))));
    let rm = rsip::SipMessage::try_from(buf).unwrap();
    g.bench_function("rsip/print", |b| b.iter(|| black_box(&rm).to_string()));
    g.finish();
}

fn benches(c: &mut Criterion) {
    bench_message(c, "invite", INVITE);
    bench_message(c, "register_200", REGISTER_200);
}

criterion_group! {
    name = codec;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = benches
}
criterion_main!(codec);
