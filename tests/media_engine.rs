//! Two media engines back to back on simulated time (sans-IO): audio both ways through a
//! simulated link with delay, jitter and loss; RTCP round trip; DTMF as RFC 4733 events
//! and in-band; hold; the quality report reacting to loss.

#[path = "support/engine_pair.rs"]
mod engine_pair;

use engine_pair::{B, Link, Pair, digits, media};
use sip7940::config::groups::MediaConfig;
use sip7940::config::value::DtmfOutOfBand;
use sip7940::media::engine::{EngineConfig, MediaEngine, MediaEvent};
use sip7940::media::rtcp::WallClock;
use sip7940::media::source::ToneSource;
use sip7940::media::tone::Level;
use sip7940::sdp::Direction;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[test]
fn audio_both_ways_with_rtcp_round_trip_and_a_clean_mos() {
    let link = Link { delay_ms: 40, jitter_ms: 0, loss_percent: 0 };
    let mut p = Pair::new(link, &MediaConfig::default(), Some(101));
    p.run_for(Duration::from_secs(20));
    for (name, r) in [("a", p.a.report(p.now)), ("b", p.b.report(p.now))] {
        assert!((990..=1001).contains(&r.packets_sent), "{name}: {r:?}");
        assert!(r.packets_received >= 990 && r.lost == 0, "{name}: {r:?}");
        assert!(r.tone_frames >= 980, "{name} heard the other's tone: {r:?}");
        let rtt = r.rtt_ms.expect("RTCP measured the round trip");
        assert!((79.0..=81.0).contains(&rtt), "{name}: RTT {rtt}");
        let send = r.send.expect("the far end's reports arrived");
        assert_eq!(send.loss_percent, 0.0);
        assert!(r.receive.quality.mos > 4.3, "{name}: {r:?}");
    }
}

#[test]
fn loss_and_jitter_show_in_the_report_and_lower_the_mos() {
    let clean = {
        let mut p =
            Pair::new(Link { delay_ms: 40, jitter_ms: 0, loss_percent: 0 }, &MediaConfig::default(), None);
        p.run_for(Duration::from_secs(20));
        p.b.report(p.now)
    };
    let mut p =
        Pair::new(Link { delay_ms: 40, jitter_ms: 30, loss_percent: 5 }, &MediaConfig::default(), None);
    p.run_for(Duration::from_secs(20));
    let r = p.b.report(p.now);
    assert!((3.0..8.0).contains(&r.receive.loss_percent), "about 5 % lost: {r:?}");
    assert!(r.concealed_frames > 20, "losses were concealed: {r:?}");
    assert!(r.jitter_ms > 3.0, "jitter measured: {r:?}");
    assert!(r.jitter_buffer_ms > clean.jitter_buffer_ms, "the buffer grew for the jitter: {r:?}");
    assert!(
        r.receive.quality.mos < clean.receive.quality.mos - 0.3,
        "{} vs {}",
        r.receive.quality.mos,
        clean.receive.quality.mos
    );
    // A's view of its own stream comes from B's RTCP.
    let send = p.a.report(p.now).send.expect("B reported");
    assert!((2.0..9.0).contains(&send.loss_percent), "{send:?}");
    assert!(r.tone_frames > 900, "PLC keeps the tone going: {r:?}");
}

#[test]
fn dtmf_as_rfc_4733_events() {
    let mut p =
        Pair::new(Link { delay_ms: 20, jitter_ms: 10, loss_percent: 0 }, &MediaConfig::default(), Some(101));
    p.run_for(Duration::from_millis(500));
    p.a.send_dtmf("1234#*").expect("digits");
    p.run_for(Duration::from_secs(3));
    assert_eq!(digits(&p.events_b), "1234#*");
    let r = p.b.report(p.now);
    assert_eq!(r.digits, "1234#*");
    assert_eq!(r.lost, 0, "event packets are not counted as lost audio: {r:?}");
}

#[test]
fn dtmf_in_band_when_events_are_not_negotiated() {
    let config =
        MediaConfig { dtmf_outofband: DtmfOutOfBand::None, dtmf_inband: true, ..MediaConfig::default() };
    let mut p = Pair::new(Link { delay_ms: 20, jitter_ms: 0, loss_percent: 0 }, &config, None);
    p.run_for(Duration::from_millis(500));
    p.a.send_dtmf("159").expect("digits");
    p.run_for(Duration::from_secs(3));
    assert_eq!(digits(&p.events_b), "159", "the Goertzel detector found the tones");
}

#[test]
fn hold_stops_sending_and_resume_starts_again() {
    let mut p =
        Pair::new(Link { delay_ms: 20, jitter_ms: 0, loss_percent: 0 }, &MediaConfig::default(), None);
    p.run_for(Duration::from_secs(2));
    let before = p.b.report(p.now).packets_received;
    let mut held = media(B, None);
    held.direction = Direction::Inactive;
    p.a.update(held, &MediaConfig::default(), 9);
    p.run_for(Duration::from_secs(2));
    let during = p.b.report(p.now).packets_received;
    assert!(during - before <= 2, "nothing sent while held: {before} → {during}");
    p.a.update(media(B, None), &MediaConfig::default(), 9);
    p.run_for(Duration::from_secs(2));
    let after = p.b.report(p.now).packets_received;
    assert!(after - during >= 95, "sending again: {during} → {after}");
    assert_eq!(p.b.report(p.now).lost, 0, "a pause is not loss (timestamps ran on)");
}

#[test]
fn finish_sends_an_rtcp_bye_the_far_end_reports() {
    let mut p =
        Pair::new(Link { delay_ms: 10, jitter_ms: 0, loss_percent: 0 }, &MediaConfig::default(), None);
    p.run_for(Duration::from_secs(1));
    p.a.finish(p.now);
    p.run_for(Duration::from_millis(100));
    assert!(p.events_b.contains(&MediaEvent::FarEndBye), "{:?}", p.events_b);
    assert_eq!(p.a.poll_timeout(), None, "nothing more from A");
}

#[test]
fn symmetric_rtp_answers_where_the_far_end_sends_from() {
    let config = MediaConfig::default();
    let now = Instant::now();
    // B's SDP told us a private address; its packets come from the NAT's public one.
    let setup = EngineConfig {
        cname: "b@test".into(),
        clock: WallClock::new(now, Duration::from_secs(1_795_000_000)),
        local_dtmf_payload: None,
        expect_tone: None,
        record: false,
        self_clocked: true,
        symmetric: true,
        send_early: Duration::ZERO,
    };
    let mut a = MediaEngine::new(media("10.0.0.9:4000", None), &config, setup, now, 5).expect("engine");
    let mut far = engine_pair::engine(media(engine_pair::A, None), 1000.0, &config, None, now, 6);
    let mut tone = ToneSource::new(400.0, Level::Dbm0(-10.0)).expect("tone");
    far.handle_timeout(now + Duration::from_millis(20), &mut tone);
    let packet = far.poll_transmit().expect("a packet").bytes;
    let public: SocketAddr = "203.0.113.7:61000".parse().expect("addr");
    a.handle_rtp(now + Duration::from_millis(21), public, &packet);
    let mut silence = ToneSource::new(1000.0, Level::Dbm0(-10.0)).expect("tone");
    a.handle_timeout(now + Duration::from_millis(40), &mut silence);
    let out = a.poll_transmit().expect("our packet");
    assert_eq!(out.to, public, "sent where the far end's RTP came from");
    assert_eq!(a.media().remote_rtcp, "203.0.113.7:61001".parse().expect("addr"));
}
