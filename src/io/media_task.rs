//! A call's media at the edge: an RTP/RTCP socket pair in the configured port range, and a
//! task that runs the sans-IO [`MediaEngine`] on them — wakes it on time, feeds it what
//! arrives, sends what it says. It runs beside the phone's task and talks to it only
//! through its handle.

use crate::config::groups::MediaConfig;
use crate::media::engine::{EngineConfig, EngineReport, MediaEngine, MediaEvent};
use crate::media::rtcp::WallClock;
use crate::media::source::FrameSource;
use crate::sdp::Media;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::net::{IpAddr, SocketAddr};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot, watch};

/// A call's two media sockets: RTP on an even port, RTCP on the next one.
#[derive(Debug)]
pub struct RtpSockets {
    /// RTP.
    pub rtp: std::net::UdpSocket,
    /// RTCP.
    pub rtcp: std::net::UdpSocket,
}

impl RtpSockets {
    /// The RTP port.
    pub fn port(&self) -> Option<u16> {
        self.rtp.local_addr().ok().map(|a| a.port())
    }
}

/// Binds an even RTP port and the odd RTCP port after it in `start..=end` on `ip`.
pub fn bind_rtp(ip: IpAddr, start: u16, end: u16) -> std::io::Result<RtpSockets> {
    let mut port = start + start % 2;
    while port < end {
        if let (Ok(rtp), Ok(rtcp)) = (
            std::net::UdpSocket::bind(SocketAddr::new(ip, port)),
            std::net::UdpSocket::bind(SocketAddr::new(ip, port + 1)),
        ) {
            rtp.set_nonblocking(true)?;
            rtcp.set_nonblocking(true)?;
            return Ok(RtpSockets { rtp, rtcp });
        }
        port = port.saturating_add(2);
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        format!("no free even/odd port pair in the media range {start}..{end}"),
    ))
}

/// What the media did, for the end-of-call report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MediaReport {
    /// The engine's figures.
    #[serde(flatten)]
    pub figures: EngineReport,
    /// Decoded audio (8 kHz mono), when recording.
    #[serde(skip)]
    pub recorded: Vec<i16>,
}

/// What a media task does besides sending its source.
#[derive(Debug, Clone, Default)]
pub struct MediaOptions {
    /// Keep the played audio for a recording.
    pub record: bool,
    /// Count the played frames in which this tone (Hz) dominates.
    pub expect_tone: Option<f64>,
    /// Seed of the RTP stream's random SSRC, sequence and timestamp.
    pub seed: u64,
    /// RTCP CNAME (`user@host`).
    pub cname: String,
    /// The telephone-event payload type of our SDP, if any.
    pub local_dtmf_payload: Option<u8>,
    /// Test aid: drop this percentage of the RTP packets we send (random).
    pub impair_loss: f64,
    /// Symmetric RTP (`nat_symmetric_rtp`).
    pub symmetric_rtp: bool,
}

/// The `RTP-RxStat` and `RTP-TxStat` header values, as (name, value) pairs.
pub type CallStats = [(&'static str, String); 2];

/// A running media task.
pub struct MediaHandle {
    stop: Option<oneshot::Sender<()>>,
    stats: watch::Receiver<Option<CallStats>>,
    update: watch::Sender<Media>,
    dtmf: mpsc::UnboundedSender<String>,
    events: mpsc::UnboundedReceiver<MediaEvent>,
    join: tokio::task::JoinHandle<Option<MediaReport>>,
}

impl MediaHandle {
    /// The media changed (hold, resume, a new address or codec from a re-INVITE).
    pub fn update(&self, media: Media) {
        self.update.send_replace(media);
    }

    /// The 7940's call statistics headers, as of the last quarter second.
    pub fn call_stats(&self) -> Option<CallStats> {
        self.stats.borrow().clone()
    }

    /// Sends digits (`0-9*#A-D`) by the DTMF policy.
    pub fn send_dtmf(&self, digits: &str) {
        let _ = self.dtmf.send(digits.to_owned());
    }

    /// Events so far (digits received), without waiting.
    pub fn drain_events(&mut self) -> Vec<MediaEvent> {
        let mut out = Vec::new();
        while let Ok(e) = self.events.try_recv() {
            out.push(e);
        }
        out
    }

    /// Stops the media (an RTCP BYE goes out) and returns its report.
    pub async fn finish(mut self) -> Option<MediaReport> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.join.await.ok().flatten()
    }
}

/// What a call sends and where what it receives goes.
pub enum Audio {
    /// A tone, a WAV file or silence; what arrives is played out on the engine's own
    /// 20 ms tick (and recorded, when asked).
    Headless(Box<dyn FrameSource + Send>),
    /// The sound card: the microphone is sent, and the loudspeaker's clock pulls playout.
    Card(Box<crate::io::audio::AudioPath>),
}

/// How often the loudspeaker's ring is topped up from the jitter buffer.
const PLAYOUT_TICK: std::time::Duration = std::time::Duration::from_millis(10);

/// Starts sending `audio` to the far end and receiving from it.
pub fn spawn(
    sockets: RtpSockets,
    media: Media,
    config: &MediaConfig,
    audio: Audio,
    options: MediaOptions,
) -> std::io::Result<MediaHandle> {
    let (mut source, mut card): (Box<dyn FrameSource + Send>, Option<Box<crate::io::audio::AudioPath>>) =
        match audio {
            Audio::Headless(source) => (source, None),
            Audio::Card(mut path) => {
                path.microphone.discard_backlog();
                (Box::new(crate::media::source::SilenceSource::new()), Some(path))
            }
        };
    let rtp = UdpSocket::from_std(sockets.rtp)?;
    let rtcp = UdpSocket::from_std(sockets.rtcp)?;
    let now = Instant::now();
    let unix = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let setup = EngineConfig {
        cname: options.cname.clone(),
        clock: WallClock::new(now, unix),
        local_dtmf_payload: options.local_dtmf_payload,
        expect_tone: options.expect_tone,
        record: options.record,
        self_clocked: card.is_none(),
        symmetric: options.symmetric_rtp,
        send_early: crate::media::engine::MILLISECOND_TIMER_EARLY,
    };
    let config = config.clone();
    let mut engine = MediaEngine::new(media, &config, setup, now, options.seed)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
    let (stop_tx, mut stop_rx) = oneshot::channel();
    let (update_tx, mut updates) = watch::channel(media);
    let (dtmf_tx, mut dtmf_rx) = mpsc::unbounded_channel::<String>();
    let (events_tx, events) = mpsc::unbounded_channel();
    let (stats_tx, stats) = watch::channel(None);
    let seed = options.seed;
    let drop_below = (options.impair_loss.clamp(0.0, 100.0) / 100.0 * f64::from(u32::MAX)) as u32;
    let mut impair = StdRng::seed_from_u64(seed ^ 0x5eed);
    let join = tokio::spawn(async move {
        let mut rtp_buf = vec![0u8; 2048];
        let mut rtcp_buf = vec![0u8; 2048];
        let mut next_stats = Instant::now();
        loop {
            let now = Instant::now();
            if now >= next_stats {
                stats_tx.send_replace(Some(engine.call_stats(now)));
                next_stats = now + std::time::Duration::from_millis(250);
            }
            while let Some(t) = engine.poll_transmit() {
                if !t.rtcp && drop_below > 0 && impair.next_u32() < drop_below {
                    continue;
                }
                let socket = if t.rtcp { &rtcp } else { &rtp };
                let _ = socket.send_to(&t.bytes, t.to).await;
            }
            while let Some(e) = engine.poll_event() {
                let _ = events_tx.send(e);
            }
            if let Some(path) = card.as_mut() {
                // The loudspeaker's clock sets the pace of playout.
                let now = Instant::now();
                let mut frame = [0i16; crate::media::source::FRAME_SAMPLES];
                for _ in 0..path.speaker.frames_wanted() {
                    engine.pull_playout(now, &mut frame);
                    path.speaker.push_frame(&frame);
                }
            }
            let playout = card.as_ref().map(|_| Instant::now() + PLAYOUT_TICK);
            let wake = [engine.poll_timeout(), playout].into_iter().flatten().min();
            let sleep = async {
                match wake {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                received = rtp.recv_from(&mut rtp_buf) => {
                    if let Ok((n, from)) = received {
                        engine.handle_rtp(Instant::now(), from, rtp_buf.get(..n).unwrap_or_default());
                    }
                }
                received = rtcp.recv_from(&mut rtcp_buf) => {
                    if let Ok((n, _)) = received {
                        engine.handle_rtcp(Instant::now(), rtcp_buf.get(..n).unwrap_or_default());
                    }
                }
                () = sleep => {
                    let source: &mut dyn FrameSource = match card.as_mut() {
                        Some(path) => &mut path.microphone,
                        None => source.as_mut(),
                    };
                    engine.handle_timeout(Instant::now(), source);
                }
                changed = updates.changed() => {
                    if changed.is_ok() {
                        let next = *updates.borrow_and_update();
                        engine.update(next, &config, seed.rotate_left(17));
                    }
                }
                Some(digits) = dtmf_rx.recv() => {
                    let _ = engine.send_dtmf(&digits);
                }
                _ = &mut stop_rx => break,
            }
        }
        let now = Instant::now();
        engine.finish(now);
        while let Some(t) = engine.poll_transmit() {
            let socket = if t.rtcp { &rtcp } else { &rtp };
            let _ = socket.send_to(&t.bytes, t.to).await;
        }
        while let Some(e) = engine.poll_event() {
            let _ = events_tx.send(e);
        }
        Some(MediaReport { figures: engine.report(now), recorded: engine.take_recording() })
    });
    Ok(MediaHandle { stop: Some(stop_tx), stats, update: update_tx, dtmf: dtmf_tx, events, join })
}
