//! Two media engines back to back on simulated time (sans-IO), through a simulated link
//! with delay, jitter and loss. A sends a 1 kHz tone and listens for 400 Hz; B the reverse.
#![allow(dead_code)] // each including target uses a different subset

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sip7940::config::groups::MediaConfig;
use sip7940::media::engine::{EngineConfig, MediaEngine, MediaEvent};
use sip7940::media::rtcp::WallClock;
use sip7940::media::source::ToneSource;
use sip7940::media::tone::Level;
use sip7940::sdp::{AudioCodec, Direction, Media};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A's RTP address.
pub const A: &str = "192.0.2.1:16384";
/// B's RTP address.
pub const B: &str = "192.0.2.2:20000";

/// G.711 µ-law media to `to`, with telephone-event on `dtmf` both ways.
pub fn media(to: &str, dtmf: Option<u8>) -> Media {
    let rtp: SocketAddr = to.parse().expect("addr");
    Media {
        codec: AudioCodec::Pcmu,
        payload_type: 0,
        receive_payload_type: 0,
        opus_fec: false,
        dtmf_payload: dtmf,
        receive_dtmf_payload: dtmf,
        remote_rtp: rtp,
        remote_rtcp: SocketAddr::new(rtp.ip(), rtp.port() + 1),
        direction: Direction::SendRecv,
        ptime: 20,
    }
}

/// A link: one-way delay plus uniform jitter, random loss.
#[derive(Clone, Copy)]
pub struct Link {
    pub delay_ms: u64,
    pub jitter_ms: u64,
    pub loss_percent: u32,
}

/// The two engines, their tones, the link and what is on the wire.
pub struct Pair {
    pub now: Instant,
    pub a: MediaEngine,
    pub b: MediaEngine,
    pub tone_a: ToneSource,
    pub tone_b: ToneSource,
    pub link: Link,
    pub rng: StdRng,
    /// (arrival, to B?, rtcp?, bytes)
    pub wire: Vec<(Instant, bool, bool, Vec<u8>)>,
    pub events_a: Vec<MediaEvent>,
    pub events_b: Vec<MediaEvent>,
    /// Every RTP datagram A sent (before the link's loss), when `tap_a` is set.
    pub sent_by_a: Vec<Vec<u8>>,
    pub tap_a: bool,
}

/// An engine sending with `media`, listening for `expect` Hz.
pub fn engine(
    media: Media,
    expect: f64,
    config: &MediaConfig,
    local_dtmf: Option<u8>,
    now: Instant,
    seed: u64,
) -> MediaEngine {
    let setup = EngineConfig {
        cname: format!("{seed}@test"),
        clock: WallClock::new(now, Duration::from_secs(1_795_000_000)),
        local_dtmf_payload: local_dtmf,
        expect_tone: Some(expect),
        record: true,
        self_clocked: true,
        symmetric: false,
        send_early: Duration::ZERO,
    };
    MediaEngine::new(media, config, setup, now, seed).expect("engine")
}

impl Pair {
    /// G.711 µ-law both ways.
    pub fn new(link: Link, config: &MediaConfig, dtmf: Option<u8>) -> Pair {
        Pair::with_media(link, config, media(B, dtmf), media(A, dtmf), dtmf)
    }

    /// A sends with `to_b`, B with `to_a`.
    pub fn with_media(link: Link, config: &MediaConfig, to_b: Media, to_a: Media, dtmf: Option<u8>) -> Pair {
        let now = Instant::now();
        Pair {
            now,
            a: engine(to_b, 400.0, config, dtmf, now, 1),
            b: engine(to_a, 1000.0, config, dtmf, now, 2),
            tone_a: ToneSource::new(1000.0, Level::Dbm0(-10.0)).expect("tone"),
            tone_b: ToneSource::new(400.0, Level::Dbm0(-10.0)).expect("tone"),
            link,
            rng: StdRng::seed_from_u64(7),
            wire: vec![],
            events_a: vec![],
            events_b: vec![],
            sent_by_a: vec![],
            tap_a: false,
        }
    }

    fn collect(&mut self) {
        for to_b in [true, false] {
            let engine = if to_b { &mut self.a } else { &mut self.b };
            while let Some(t) = engine.poll_transmit() {
                if to_b && self.tap_a && !t.rtcp {
                    self.sent_by_a.push(t.bytes.clone());
                }
                if self.rng.random_range(0..100) < self.link.loss_percent {
                    continue;
                }
                let jitter =
                    if self.link.jitter_ms == 0 { 0 } else { self.rng.random_range(0..=self.link.jitter_ms) };
                let at = self.now + Duration::from_millis(self.link.delay_ms + jitter);
                self.wire.push((at, to_b, t.rtcp, t.bytes));
            }
        }
        while let Some(e) = self.a.poll_event() {
            self.events_a.push(e);
        }
        while let Some(e) = self.b.poll_event() {
            self.events_b.push(e);
        }
    }

    /// Runs both engines and the link for `span` of simulated time.
    pub fn run_for(&mut self, span: Duration) {
        let end = self.now + span;
        loop {
            self.collect();
            let next_wire = self.wire.iter().map(|w| w.0).min();
            let next = [self.a.poll_timeout(), self.b.poll_timeout(), next_wire].into_iter().flatten().min();
            let Some(next) = next.filter(|t| *t <= end) else { break };
            self.now = next.max(self.now);
            let (due, later): (Vec<_>, Vec<_>) =
                std::mem::take(&mut self.wire).into_iter().partition(|w| w.0 <= self.now);
            self.wire = later;
            for (_, to_b, rtcp, bytes) in due {
                let (engine, from) = if to_b { (&mut self.b, A) } else { (&mut self.a, B) };
                if rtcp {
                    engine.handle_rtcp(self.now, &bytes);
                } else {
                    engine.handle_rtp(self.now, from.parse().expect("addr"), &bytes);
                }
            }
            if self.a.poll_timeout().is_some_and(|t| t <= self.now) {
                self.a.handle_timeout(self.now, &mut self.tone_a);
            }
            if self.b.poll_timeout().is_some_and(|t| t <= self.now) {
                self.b.handle_timeout(self.now, &mut self.tone_b);
            }
        }
        self.now = end;
    }
}

/// The digits among `events`, in order.
pub fn digits(events: &[MediaEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            MediaEvent::Digit(d) => Some(d.digit),
            _ => None,
        })
        .collect()
}
