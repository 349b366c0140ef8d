//! RTCP end to end on simulated time: two sessions exchanging reports over a link with a
//! fixed one-way delay, reports built from a real RTP sender and receiver, the report timer
//! over many seeds, and arbitrary bytes thrown at the parser.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::{Duration, Instant};

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use sip7940::media::g711::Law;
use sip7940::media::rtcp::interval::COMPENSATION;
use sip7940::media::rtcp::{
    ReceiverFigures, ReportBlock, RtcpConfig, RtcpError, RtcpEvent, RtcpPacket, RtcpSession, SenderFigures,
    WallClock, g711_session_bandwidth, parse_compound,
};
use sip7940::media::rtp::{ReceiverConfig, RtpReceiver, RtpSender};

const A_SSRC: u32 = 0xAAAA_0001;
const B_SSRC: u32 = 0xBBBB_0002;
const NTP_UNIX: u64 = 2_208_988_800;

fn session(ssrc: u32, cname: &str, t0: Instant, unix_secs: f64, seed: u64) -> RtcpSession {
    let config = RtcpConfig {
        ssrc,
        cname: cname.into(),
        session_bandwidth: g711_session_bandwidth(Duration::from_millis(20)),
        clock: WallClock::new(t0, Duration::from_secs_f64(unix_secs)),
    };
    RtcpSession::new(config, t0, StdRng::seed_from_u64(seed)).unwrap()
}

fn sent(packets: u64, at: Instant) -> SenderFigures {
    SenderFigures {
        packets,
        payload_octets: packets * 160,
        rtp_timestamp: 5000,
        timestamp_at: at,
        clock_rate: 8000,
    }
}

fn heard(ssrc: u32, expected: u64, received: u64) -> ReceiverFigures {
    ReceiverFigures {
        ssrc: Some(ssrc),
        expected,
        received,
        extended_highest_sequence: 1000 + expected as u32,
        jitter: 12,
    }
}

/// B's G.711 sender starting at `seq` / `ts`, and A's receiver for it.
fn b_stream(seq: u16, ts: u32) -> (RtpSender, RtpReceiver) {
    (RtpSender::with_initial(B_SSRC, seq, ts, 0).unwrap(), RtpReceiver::new(ReceiverConfig::g711(Law::Ulaw)))
}

/// The single report block of a parsed SR or RR.
fn only_block(datagram: &[u8]) -> ReportBlock {
    match &parse_compound(datagram).unwrap()[0] {
        RtcpPacket::SenderReport { blocks, .. } | RtcpPacket::ReceiverReport { blocks, .. } => {
            assert_eq!(blocks.len(), 1);
            blocks[0]
        }
        other => panic!("not a report: {other:?}"),
    }
}

#[test]
fn sr_when_sending_rr_otherwise_with_sdes_cname() {
    let t0 = Instant::now();
    let mut a = session(A_SSRC, "alice@a.example", t0, 1_700_000_000.0, 1);
    let at = t0 + Duration::from_secs(3);
    // Nothing sent, nothing heard: RR with RC = 0, then SDES.
    let rr = a.report(at, &sent(0, t0), &ReceiverFigures::default());
    assert_eq!(&rr[..8], &[0x80, 201, 0, 1, 0xAA, 0xAA, 0, 1]);
    let parsed = parse_compound(&rr).unwrap();
    assert_eq!(parsed.len(), 2);
    let RtcpPacket::SourceDescription(chunks) = &parsed[1] else { panic!("{parsed:?}") };
    assert_eq!((chunks[0].ssrc, chunks[0].cname_text().as_deref()), (A_SSRC, Some("alice@a.example")));

    // 150 packets sent: SR with NTP and RTP time of the report instant.
    let next_packet_at = at - Duration::from_millis(20);
    let sr = a.report(at, &sent(150, next_packet_at), &heard(B_SSRC, 100, 100));
    let RtcpPacket::SenderReport { ssrc, info, blocks } = &parse_compound(&sr).unwrap()[0] else { panic!() };
    assert_eq!((*ssrc, info.packet_count, info.octet_count), (A_SSRC, 150, 24_000));
    assert_eq!(info.ntp.seconds() as u64, 1_700_000_003 + NTP_UNIX);
    assert_eq!(info.ntp.fraction(), 0);
    assert_eq!(info.rtp_timestamp, 5000 + 160);
    assert_eq!(blocks[0].ssrc, B_SSRC);

    // No RTP since that report: back to RR, still reporting on B.
    let rr = a.report(at + Duration::from_secs(5), &sent(150, next_packet_at), &heard(B_SSRC, 350, 350));
    assert_eq!(&rr[..2], &[0x81, 201]);
}

#[test]
fn loss_from_a_real_receiver_per_interval() {
    let t0 = Instant::now();
    let mut a = session(A_SSRC, "a@x", t0, 1e9, 2);
    let (mut b_tx, mut rx) = b_stream(65_500, 0);
    let mut n = 0u32;
    let mut deliver = |rx: &mut RtpReceiver, count: u32, lose: &dyn Fn(u32) -> bool| {
        for _ in 0..count {
            let p = b_tx.build(&[0xFF; 160]).unwrap();
            if !lose(n) {
                rx.receive(&p, n * 160).unwrap();
            }
            n += 1;
        }
        // Drain playout so the window never holds packets back.
        while rx.pop().is_some() {}
    };
    let report = |a: &mut RtcpSession, rx: &RtpReceiver, secs: u64| {
        only_block(&a.report(
            t0 + Duration::from_secs(secs),
            &sent(0, t0),
            &ReceiverFigures::from_receiver(rx),
        ))
    };

    // Interval 1: 100 packets across the sequence wrap, 10 lost (never the first or last).
    deliver(&mut rx, 100, &|i| (20..30).contains(&i));
    let b = report(&mut a, &rx, 5);
    assert_eq!((b.ssrc, b.fraction_lost, b.cumulative_lost), (B_SSRC, 25, 10)); // 10 × 256 / 100
    assert_eq!(b.extended_highest_sequence, (65_500 + 99) & 0xFFFF | 1 << 16);
    // Interval 2: 50 packets, none lost: fraction 0, cumulative unchanged.
    deliver(&mut rx, 50, &|_| false);
    let b = report(&mut a, &rx, 10);
    assert_eq!((b.fraction_lost, b.cumulative_lost), (0, 10));
    // Interval 3: 100 packets, every 4th lost: 64/256.
    deliver(&mut rx, 100, &|i| i % 4 == 2); // 150, 154, … 246
    let b = report(&mut a, &rx, 15);
    assert_eq!((b.fraction_lost, b.cumulative_lost), (64, 35));
    // Nothing new: an empty interval reports 0.
    assert_eq!(report(&mut a, &rx, 20).fraction_lost, 0);
}

#[test]
fn duplicates_give_negative_cumulative_loss_and_zero_fraction() {
    let t0 = Instant::now();
    let mut a = session(A_SSRC, "a@x", t0, 1e9, 3);
    // A receiver that counts duplicates as received: 3 more than expected.
    let block = only_block(&a.report(t0, &sent(0, t0), &heard(B_SSRC, 100, 103)));
    assert_eq!((block.fraction_lost, block.cumulative_lost), (0, -3));
    let rr = a.report(t0, &sent(0, t0), &heard(B_SSRC, 100, 103));
    assert_eq!(&rr[12..16], &[0, 0xFF, 0xFF, 0xFD]);
}

#[test]
fn jitter_example_reaches_the_report() {
    // Transits alternating 0, 80, 0, 80 … ticks (rtp-rtcp-dtmf.md): reported jitter after the
    // 2nd, 3rd, … packet is 5, 9, 14, 18, 22, 25, 29, 32, 35, 38.
    let t0 = Instant::now();
    let mut a = session(A_SSRC, "a@x", t0, 1e9, 4);
    let (mut tx, mut rx) = b_stream(0, 1000);
    let mut reported = Vec::new();
    for i in 0..11u32 {
        let p = tx.build(&[0; 160]).unwrap();
        rx.receive(&p, 1000 + 160 * i + if i % 2 == 1 { 80 } else { 0 }).unwrap();
        let block = only_block(&a.report(t0, &sent(0, t0), &ReceiverFigures::from_receiver(&rx)));
        if i > 0 {
            reported.push(block.jitter);
        }
    }
    assert_eq!(reported, [5, 9, 14, 18, 22, 25, 29, 32, 35, 38]);
}

#[test]
fn round_trip_time_over_a_40_ms_link() {
    let one_way = Duration::from_millis(40);
    let t0 = Instant::now();
    // The two wall clocks disagree by an hour and a bit: RTT uses only the SR sender's.
    let mut a = session(A_SSRC, "alice@a.example", t0, 1_700_000_000.25, 5);
    let mut b = session(B_SSRC, "bob@b.example", t0, 1_700_003_600.9, 6);

    // A sends an SR at 3 s; it reaches B 40 ms later.
    let t1 = t0 + Duration::from_secs(3);
    let sr = a.report(t1, &sent(150, t1), &heard(B_SSRC, 140, 140));
    let events = b.on_rtcp(t1 + one_way, &sr).unwrap();
    assert!(matches!(events[0], RtcpEvent::SenderReport { ssrc: A_SSRC, packets: 150, .. }), "{events:?}");
    assert!(events.contains(&RtcpEvent::Cname { ssrc: A_SSRC, cname: "alice@a.example".into() }));
    // A second identical SDES does not repeat the CNAME event.
    let again = b.on_rtcp(t1 + one_way, &sr).unwrap();
    assert!(!again.iter().any(|e| matches!(e, RtcpEvent::Cname { .. })));

    // B holds it 1.234 s, reports (SR: it sends too), and A hears that 40 ms later.
    let t2 = t1 + one_way + Duration::from_millis(1234);
    let b_report = b.report(t2, &sent(160, t2), &heard(A_SSRC, 160, 158));
    let dlsr = only_block(&b_report).dlsr;
    assert!((i64::from(dlsr) - 1234 * 65_536 / 1000).abs() <= 1, "{dlsr}");
    let events = a.on_rtcp(t2 + one_way, &b_report).unwrap();
    let far = events
        .iter()
        .find_map(|e| if let RtcpEvent::FarEndReport(r) = e { Some(*r) } else { None })
        .expect("a report about A's stream");
    let rtt = far.rtt_ms().unwrap();
    assert!((rtt - 80.0).abs() <= 1.0, "{rtt}");
    assert_eq!((far.reporter, far.cumulative_lost, far.jitter), (B_SSRC, 2, 12));
    assert_eq!(a.far_end_report().and_then(|r| r.rtt_ms()), Some(rtt));

    // The other way round: A echoes B's SR and B measures the same round trip.
    let t3 = t2 + one_way + Duration::from_millis(2500);
    let a_report = a.report(t3, &sent(300, t3), &heard(B_SSRC, 300, 300));
    let events = b.on_rtcp(t3 + one_way, &a_report).unwrap();
    let rtt_b = events
        .iter()
        .find_map(|e| if let RtcpEvent::FarEndReport(r) = e { r.rtt_ms() } else { None })
        .unwrap();
    assert!((rtt_b - 80.0).abs() <= 1.0, "{rtt_b}");
}

#[test]
fn no_rtt_without_an_echoed_sr() {
    let t0 = Instant::now();
    let mut a = session(A_SSRC, "a@x", t0, 1e9, 7);
    let mut b = session(B_SSRC, "b@x", t0, 2e9, 8);
    // B never heard an SR from A: its block carries LSR = DLSR = 0.
    let rr = b.report(t0 + Duration::from_secs(2), &sent(0, t0), &heard(A_SSRC, 10, 9));
    let block = only_block(&rr);
    assert_eq!((block.lsr, block.dlsr), (0, 0));
    let events = a.on_rtcp(t0 + Duration::from_secs(2), &rr).unwrap();
    assert!(matches!(&events[0], RtcpEvent::FarEndReport(r) if r.rtt.is_none() && r.fraction_lost == 25));
    // A block about some other source is not about us.
    let other = b.report(t0 + Duration::from_secs(3), &sent(0, t0), &heard(0x1234, 10, 9));
    assert!(
        a.on_rtcp(t0 + Duration::from_secs(3), &other)
            .unwrap()
            .iter()
            .all(|e| !matches!(e, RtcpEvent::FarEndReport(_)))
    );
}

#[test]
fn bye_ends_the_timer_and_reaches_the_far_end() {
    let t0 = Instant::now();
    let mut a = session(A_SSRC, "a@x", t0, 1e9, 9);
    let mut b = session(B_SSRC, "b@x", t0, 1e9, 10);
    let at = t0 + Duration::from_secs(9);
    let bye = a.bye(at, &sent(400, at), &heard(B_SSRC, 400, 400), Some("hang up"));
    let parsed = parse_compound(&bye).unwrap();
    assert_eq!(parsed.len(), 3);
    assert!(matches!(parsed[0], RtcpPacket::SenderReport { .. }));
    assert_eq!(parsed[2], RtcpPacket::Goodbye { ssrcs: vec![A_SSRC], reason: Some("hang up".into()) });
    // BYE body: SC = 1, length 3 words after the header: SSRC, 7, "hang up".
    assert_eq!(&bye[bye.len() - 16..bye.len() - 8], &[0x81, 203, 0, 3, 0xAA, 0xAA, 0, 1]);
    assert_eq!(a.poll_timeout(), None);
    assert_eq!(a.on_timeout(at + Duration::from_secs(60), &sent(400, at), &ReceiverFigures::default()), None);
    let events = b.on_rtcp(at, &bye).unwrap();
    assert!(events.contains(&RtcpEvent::Bye { ssrcs: vec![A_SSRC], reason: Some("hang up".into()) }));
    // An over-long reason is cut at a character boundary rather than failing.
    let long = "é".repeat(200);
    let bye = b.bye(at, &sent(0, at), &ReceiverFigures::default(), Some(&long));
    let Some(RtcpPacket::Goodbye { reason: Some(r), .. }) = parse_compound(&bye).unwrap().pop() else {
        panic!()
    };
    assert_eq!(r.len(), 254);
}

#[test]
fn cname_longer_than_255_is_refused() {
    let config = RtcpConfig {
        ssrc: 1,
        cname: "x".repeat(256),
        session_bandwidth: 10_000.0,
        clock: WallClock::new(Instant::now(), Duration::ZERO),
    };
    let r = RtcpSession::new(config, Instant::now(), StdRng::seed_from_u64(0));
    assert_eq!(r.err(), Some(RtcpError::TextTooLong(256)));
}

#[test]
fn report_times_follow_the_rfc_interval() {
    let (first_lo, first_hi) = (1.25 / COMPENSATION, 3.75 / COMPENSATION);
    let (lo, hi) = (2.5 / COMPENSATION, 7.5 / COMPENSATION);
    let mut firsts = Vec::new();
    for seed in 0..200 {
        let t0 = Instant::now();
        let mut a = session(A_SSRC, "a@x", t0, 1e9, seed);
        let scheduled = a.poll_timeout().unwrap().duration_since(t0).as_secs_f64();
        assert!((first_lo..=first_hi).contains(&scheduled), "seed {seed}: {scheduled}");
        // Early calls send nothing.
        assert_eq!(
            a.on_timeout(t0 + Duration::from_millis(500), &sent(25, t0), &heard(B_SSRC, 25, 25)),
            None
        );
        let mut sent_at = Vec::new();
        let mut packets = 0;
        while sent_at.len() < 6 {
            let due = a.poll_timeout().unwrap();
            packets += 100;
            if let Some(datagram) = a.on_timeout(due, &sent(packets, due), &heard(B_SSRC, packets, packets)) {
                assert!(matches!(parse_compound(&datagram).unwrap()[0], RtcpPacket::SenderReport { .. }));
                sent_at.push(due.duration_since(t0).as_secs_f64());
            }
        }
        let first = sent_at[0];
        assert!((first_lo..=first_hi).contains(&first), "seed {seed}: first at {first}");
        firsts.push(first);
        for pair in sent_at.windows(2) {
            let gap = pair[1] - pair[0];
            assert!((lo - 1e-9..=hi + 1e-9).contains(&gap), "seed {seed}: gap {gap}");
        }
    }
    // The seeds spread the first report over its range rather than all at one point.
    let min = firsts.iter().cloned().fold(f64::MAX, f64::min);
    let max = firsts.iter().cloned().fold(0.0, f64::max);
    assert!(max - min > 1.0, "{min}..{max}");
}

proptest! {
    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let t0 = Instant::now();
        let mut a = session(A_SSRC, "a@x", t0, 1e9, 11);
        let parsed = parse_compound(&bytes);
        let via_session = a.on_rtcp(t0, &bytes);
        prop_assert_eq!(parsed.is_ok(), via_session.is_ok());
    }

    #[test]
    fn mutated_reports_never_panic(
        seed in any::<u64>(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
    ) {
        let t0 = Instant::now();
        let mut a = session(A_SSRC, "alice@a.example", t0, 1e9, seed);
        let mut b = session(B_SSRC, "bob@b.example", t0, 2e9, seed ^ 1);
        let mut bytes = a.bye(t0, &sent(10, t0), &heard(B_SSRC, 10, 9), Some("bye"));
        for (at, v) in flips {
            let i = at % bytes.len();
            bytes[i] = v;
        }
        bytes.truncate(cut % (bytes.len() + 1));
        let parsed = parse_compound(&bytes);
        prop_assert_eq!(b.on_rtcp(t0, &bytes).is_ok(), parsed.is_ok());
    }

    #[test]
    fn valid_headers_with_random_bodies_never_panic(
        count in 0u8..32,
        pt in 192u8..224,
        words in 0u16..20,
        body in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        let mut bytes = vec![0x80 | count, pt];
        bytes.extend_from_slice(&words.to_be_bytes());
        bytes.extend_from_slice(&body);
        let r = parse_compound(&bytes);
        // A length that does not land on the end of the datagram is always an error.
        if usize::from(words + 1) * 4 > bytes.len() {
            prop_assert!(r.is_err());
        }
    }
}
