//! A call's media at the edge: an RTP socket in the configured port range, and a task that
//! sends 20 ms G.711 frames on an absolute schedule and receives, decodes and records what
//! comes back. It runs beside the phone's task and talks to it only through its handle.

use crate::media::g711::Law;
use crate::media::goertzel::Goertzel;
use crate::media::pacer::Pacer;
use crate::media::rtp::RtpSender;
use crate::media::rtp_receiver::{ReceiverConfig, RtpReceiver};
use crate::media::source::{FRAME_SAMPLES, Frame, FrameSource};
use crate::sdp::{AudioCodec, Media};
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;
use tokio::net::UdpSocket;
use tokio::sync::{oneshot, watch};

/// Binds an even RTP port in `start..=end` on `ip` (the next port is left for RTCP).
pub fn bind_rtp(ip: IpAddr, start: u16, end: u16) -> std::io::Result<std::net::UdpSocket> {
    let first = start + start % 2;
    let mut port = first;
    while port < end {
        if let Ok(socket) = std::net::UdpSocket::bind(SocketAddr::new(ip, port)) {
            socket.set_nonblocking(true)?;
            return Ok(socket);
        }
        port = port.saturating_add(2);
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        format!("no free even port in the media range {start}..{end}"),
    ))
}

/// What the media did, for the end-of-call report.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct MediaReport {
    /// Codec name.
    pub codec: String,
    /// RTP packets sent.
    pub packets_sent: u64,
    /// RTP packets received (distinct).
    pub packets_received: u64,
    /// Packets lost (expected − received).
    pub lost: i64,
    /// Duplicates received.
    pub duplicates: u64,
    /// Interarrival jitter, RFC 3550, in ms.
    pub jitter_ms: f64,
    /// Frames (20 ms) decoded from what arrived.
    pub frames_received: u64,
    /// Of those, frames in which the expected tone dominated (when one was expected).
    pub tone_frames: u64,
    /// Decoded audio (8 kHz mono), when recording.
    #[serde(skip)]
    pub recorded: Vec<i16>,
}

/// What a media task does besides sending its source.
#[derive(Debug, Clone, Copy, Default)]
pub struct MediaOptions {
    /// Keep the decoded audio for a recording.
    pub record: bool,
    /// Count the received frames in which this tone (Hz) dominates.
    pub expect_tone: Option<f64>,
    /// Seed of the RTP stream's random SSRC, sequence and timestamp.
    pub seed: u64,
}

/// Of a frame's energy, the share at the expected tone above which the tone "dominates".
const TONE_SHARE: f64 = 0.5;

/// A running media task.
pub struct MediaHandle {
    stop: Option<oneshot::Sender<()>>,
    update: watch::Sender<Media>,
    join: tokio::task::JoinHandle<MediaReport>,
}

impl MediaHandle {
    /// The media changed (hold, resume, a new address or codec from a re-INVITE).
    pub fn update(&self, media: Media) {
        self.update.send_replace(media);
    }

    /// Stops the media and returns its report.
    pub async fn finish(mut self) -> MediaReport {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.join.await.unwrap_or_default()
    }
}

/// Starts sending `source` to the far end and receiving from it.
pub fn spawn(
    socket: std::net::UdpSocket,
    media: Media,
    mut source: Box<dyn FrameSource + Send>,
    options: MediaOptions,
) -> std::io::Result<MediaHandle> {
    let MediaOptions { record, expect_tone, seed } = options;
    let detector = expect_tone.and_then(|hz| Goertzel::new(8000, hz, FRAME_SAMPLES).ok());
    let socket = UdpSocket::from_std(socket)?;
    let (stop_tx, mut stop_rx) = oneshot::channel();
    let (update_tx, mut updates) = watch::channel(media);
    let join = tokio::spawn(async move {
        let mut media = media;
        let mut law = law_of(media.codec);
        let mut rng = StdRng::seed_from_u64(seed);
        let mut sender =
            RtpSender::new(&mut rng, media.payload_type).unwrap_or_else(|_| RtpSender::g711(&mut rng, law));
        let mut receiver = RtpReceiver::new(ReceiverConfig::g711(law));
        let start = Instant::now();
        let mut pacer = Pacer::g711(start);
        let mut frame: Frame = [0; FRAME_SAMPLES];
        let mut encoded = [0u8; FRAME_SAMPLES];
        let mut recorded = Vec::new();
        let mut decoded = Vec::with_capacity(FRAME_SAMPLES);
        let (mut frames_received, mut tone_frames) = (0u64, 0u64);
        let mut buf = vec![0u8; 2048];
        let mut sends = media.direction.sends();
        loop {
            tokio::select! {
                received = socket.recv_from(&mut buf) => {
                    if let Ok((n, _)) = received {
                        let arrival = (start.elapsed().as_micros() / 125) as u32; // 8 kHz units
                        let _ = receiver.receive(buf.get(..n).unwrap_or_default(), arrival);
                        while let Some(p) = receiver.pop() {
                            decoded.clear();
                            p.decode_g711(law, FRAME_SAMPLES, &mut decoded);
                            frames_received += 1;
                            if detector.is_some_and(|d| d.relative_power(&decoded) > TONE_SHARE) {
                                tone_frames += 1;
                            }
                            if record {
                                recorded.extend_from_slice(&decoded);
                            }
                        }
                    }
                }
                () = tokio::time::sleep_until(pacer.next_deadline().into()) => {
                    let tick = pacer.on_tick(Instant::now());
                    for _ in 0..tick.due {
                        if !source.next_frame(&mut frame) {
                            frame = [0; FRAME_SAMPLES];
                        }
                        law.encode_to_slice(&frame, &mut encoded);
                        if !sends {
                            // Held or receive-only: media time passes, nothing is sent.
                            sender.skip(FRAME_SAMPLES as u32);
                        } else if let Ok(packet) = sender.build(&encoded) {
                            let _ = socket.send_to(&packet, media.remote_rtp).await;
                        }
                    }
                }
                changed = updates.changed() => {
                    if changed.is_err() {
                        continue;
                    }
                    let next = *updates.borrow_and_update();
                    if next.payload_type != media.payload_type || next.codec != media.codec {
                        // Another codec: a new RTP stream (new SSRC) and a receiver for it.
                        law = law_of(next.codec);
                        sender = RtpSender::new(&mut rng, next.payload_type)
                            .unwrap_or_else(|_| RtpSender::g711(&mut rng, law));
                        receiver = RtpReceiver::new(ReceiverConfig::g711(law));
                    }
                    sends = next.direction.sends();
                    media = next;
                }
                _ = &mut stop_rx => break,
            }
        }
        while let Some(p) = receiver.flush() {
            if record {
                p.decode_g711(law, FRAME_SAMPLES, &mut recorded);
            }
        }
        let counters = receiver.counters();
        MediaReport {
            codec: match media.codec {
                AudioCodec::Pcmu => "PCMU/8000".into(),
                AudioCodec::Pcma => "PCMA/8000".into(),
            },
            packets_sent: sender.counters().packets,
            packets_received: counters.received,
            lost: receiver.lost(),
            duplicates: counters.duplicates,
            jitter_ms: receiver.jitter_ms(),
            frames_received,
            tone_frames,
            recorded,
        }
    });
    Ok(MediaHandle { stop: Some(stop_tx), update: update_tx, join })
}

fn law_of(codec: AudioCodec) -> Law {
    match codec {
        AudioCodec::Pcmu => Law::Ulaw,
        AudioCodec::Pcma => Law::Alaw,
    }
}
