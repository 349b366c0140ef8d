//! One call's media, sans-IO: everything between the sockets and the sound (RFC 3550,
//! RFC 4733, RFC 3264 directions). The io edge feeds it datagrams with their arrival time
//! and wakes it at [`MediaEngine::poll_timeout`]; it sends what
//! [`MediaEngine::poll_transmit`] gives and reports [`MediaEngine::poll_event`]s.
//!
//! ```text
//!   source ─▶ frame every 20 ms (absolute schedule) ─▶ DTMF (RFC 4733 events or in-band)
//!          ─▶ G.711 or Opus ─▶ RTP ─────────────────────────────────────▶ far end's RTP port
//!   RTP in ─▶ RFC 3550 statistics (loss, jitter) ─▶ jitter buffer ─▶ decode / PLC ─▶ playout
//!          └▶ telephone-event ─▶ digits                   └▶ in-band digits, tone, recording
//!   RTCP: SR/RR + SDES at the RFC interval ─▶ far end's RTCP port; their reports ─▶ RTT,
//!         their view of our stream; BYE at the end
//! ```
//! Playout is pulled once per frame tick by the engine itself (headless) or by the sound
//! card's clock through [`MediaEngine::pull_playout`]. Nothing here reads a clock: every
//! call carries `now`.
//!
//! The codec comes from [`Media::codec`]. Audio in and out is 8 kHz mono in 20 ms frames
//! whatever the codec; the RTP clock is the codec's (8 kHz for G.711, 48 kHz for Opus:
//! 960 per frame), so timestamps, RFC 3550 jitter, RTCP sender reports and the far end's
//! reported jitter all use it, and the jitter buffer scales it down to 8 kHz samples.

mod codec;
mod receive;
mod report;

pub use report::{DirectionQuality, EngineReport};

use crate::config::groups::MediaConfig;
use crate::media::dtmf_inband::InbandDigits;
use crate::media::dtmf_plan::DtmfError;
use crate::media::dtmf_plan::DtmfPlan;
use crate::media::dtmf_receiver::{DigitEvent, TelephoneEventReceiver};
use crate::media::dtmf_sender::{DtmfSender, DtmfTiming, FrameOut};
use crate::media::g711::Law;
use crate::media::goertzel::Goertzel;
use crate::media::jitter::JitterBuffer;
use crate::media::lateness::Lateness;
use crate::media::opus::OpusError;
use crate::media::pacer::Pacer;
use crate::media::rtcp::RtcpError;
use crate::media::rtcp::ntp::WallClock;
use crate::media::rtcp::report::{ReceiverFigures, SenderFigures};
use crate::media::rtcp::session::{RtcpConfig, RtcpSession};
use crate::media::rtp::RtpSender;
use crate::media::rtp_receiver::RtpReceiver;
use crate::media::source::{FRAME_SAMPLES, Frame, FrameSource};
use crate::sdp::Media;
use codec::{AnyDecoder, CodecSet, FrameEncoder};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Samples per second of the audio in and out (whatever the RTP clock).
const RATE: u32 = 8000;

/// How early the io edge should let frames leave when its timers have a millisecond grain
/// (tokio's fire up to a millisecond after the instant asked for): asking that much early
/// centres the send error near zero instead of near +1 ms.
pub const MILLISECOND_TIMER_EARLY: Duration = Duration::from_micros(1000);
/// Why an engine could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// RTCP cannot carry the CNAME (over 255 octets).
    #[error(transparent)]
    Rtcp(#[from] RtcpError),
    /// libopus could not set up an encoder or decoder.
    #[error(transparent)]
    Opus(#[from] OpusError),
}

/// How an engine is set up besides the negotiated media.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Our RTCP CNAME (`user@host`).
    pub cname: String,
    /// Wall-clock time at some instant (RTCP's NTP timestamps).
    pub clock: WallClock,
    /// The telephone-event payload type of *our* SDP (what the far end sends us), if any.
    pub local_dtmf_payload: Option<u8>,
    /// Count the played frames in which this tone (Hz) dominates (loopback tests).
    pub expect_tone: Option<f64>,
    /// Keep the played audio (for a recording).
    pub record: bool,
    /// Pull playout on the engine's own 20 ms tick (no sound card drives it).
    pub self_clocked: bool,
    /// Symmetric RTP: send to where the far end's RTP comes from (its RTCP to that port
    /// + 1), once it has come (`nat_symmetric_rtp`).
    pub symmetric: bool,
    /// How early a frame may leave (see [`MILLISECOND_TIMER_EARLY`]); zero for precise
    /// timers and simulations.
    pub send_early: Duration,
}

/// Something the io edge must send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaTransmit {
    /// Where to.
    pub to: SocketAddr,
    /// The datagram.
    pub bytes: Vec<u8>,
    /// From the RTCP socket (else the RTP socket).
    pub rtcp: bool,
}

/// What happened in the media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    /// The far end pressed a key (RFC 4733 or in-band).
    Digit(DigitEvent),
    /// The far end's RTCP said goodbye.
    FarEndBye,
}

/// A call's media.
pub struct MediaEngine {
    media: Media,
    encoder: FrameEncoder,
    /// RTP timestamp units per frame and per second, of the codec in use.
    frame_ticks: u32,
    clock_rate: u32,
    sender: RtpSender,
    pacer: Pacer,
    dtmf: DtmfSender,
    stats: RtpReceiver,
    jitter: JitterBuffer<AnyDecoder>,
    events_in: Option<TelephoneEventReceiver>,
    inband: Option<InbandDigits>,
    detector: Option<Goertzel>,
    rtcp: RtcpSession,
    symmetric: bool,
    send_early: Duration,
    start: Instant,
    self_clocked: bool,
    record: bool,
    recorded: Vec<i16>,
    frame: Frame,
    tone_frames: u64,
    played_frames: u64,
    lateness: Lateness,
    digits: Vec<DigitEvent>,
    digits_heard: String,
    transmits: VecDeque<MediaTransmit>,
    events: VecDeque<MediaEvent>,
    ended: bool,
}

/// The RTP sender for `media`: its payload type, else (an invalid number, which
/// negotiation never gives) the static G.711 one.
fn sender_for(rng: &mut StdRng, media: &Media) -> RtpSender {
    RtpSender::new(rng, media.payload_type)
        .unwrap_or_else(|_| RtpSender::g711(rng, media.codec.law().unwrap_or(Law::Ulaw)))
}

impl MediaEngine {
    /// An engine for `media` starting at `now`; `seed` makes the SSRC, the initial
    /// sequence number and timestamp, and the RTCP timing. Fails for a CNAME RTCP cannot
    /// carry (over 255 octets), or if libopus cannot set up (out of memory).
    pub fn new(
        media: Media,
        config: &MediaConfig,
        setup: EngineConfig,
        now: Instant,
        seed: u64,
    ) -> Result<Self, EngineError> {
        let mut rng = StdRng::seed_from_u64(seed);
        let codec = CodecSet::new(&media)?;
        let sender = sender_for(&mut rng, &media);
        let plan = DtmfPlan::new(config, media.dtmf_payload);
        let mut dtmf = DtmfSender::new(plan.send, DtmfTiming::default());
        dtmf.set_audio_frame_ticks(codec.frame_ticks);
        let ratio = codec.clock_rate / RATE;
        let rtcp_config = RtcpConfig {
            ssrc: sender.ssrc(),
            cname: setup.cname,
            session_bandwidth: crate::media::rtcp::interval::g711_session_bandwidth(Duration::from_millis(
                20,
            )),
            clock: setup.clock,
        };
        let rtcp = RtcpSession::new(rtcp_config, now, StdRng::seed_from_u64(rng.next_u64()))?;
        Ok(MediaEngine {
            media,
            encoder: codec.encoder,
            frame_ticks: codec.frame_ticks,
            clock_rate: codec.clock_rate,
            sender,
            pacer: Pacer::g711(now),
            dtmf,
            stats: RtpReceiver::new(codec.receiver),
            jitter: codec.jitter,
            events_in: setup
                .local_dtmf_payload
                .map(|pt| TelephoneEventReceiver::new(pt).with_audio_ratio(ratio)),
            inband: if plan.detect_inband { InbandDigits::new().ok() } else { None },
            detector: setup.expect_tone.and_then(|hz| Goertzel::new(RATE, hz, FRAME_SAMPLES).ok()),
            rtcp,
            symmetric: setup.symmetric,
            send_early: setup.send_early,
            start: now,
            self_clocked: setup.self_clocked,
            record: setup.record,
            recorded: Vec::new(),
            frame: [0; FRAME_SAMPLES],
            tone_frames: 0,
            played_frames: 0,
            lateness: Lateness::default(),
            digits: Vec::new(),
            digits_heard: String::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            ended: false,
        })
    }

    /// The media now in use.
    pub fn media(&self) -> &Media {
        &self.media
    }

    /// The media changed (hold, resume, a new address or codec from a re-INVITE). If
    /// libopus cannot set up a new Opus stream (out of memory), the old codec stays.
    pub fn update(&mut self, mut media: Media, config: &MediaConfig, seed: u64) {
        let old = self.media;
        let stream = |m: &Media| (m.codec, m.payload_type, m.receive_payload_type);
        if stream(&media) != stream(&old) {
            match CodecSet::new(&media) {
                Ok(codec) => self.switch_codec(codec, &media, seed),
                Err(_) => {
                    (media.codec, media.payload_type) = (old.codec, old.payload_type);
                    (media.receive_payload_type, media.opus_fec) = (old.receive_payload_type, old.opus_fec);
                }
            }
        } else if media.opus_fec != old.opus_fec {
            self.encoder.set_inband_fec(media.opus_fec);
        }
        if media.dtmf_payload != self.media.dtmf_payload {
            self.dtmf.set_method(DtmfPlan::new(config, media.dtmf_payload).send);
        }
        self.media = media;
    }

    /// Another codec: a new RTP stream and a new receiving side.
    fn switch_codec(&mut self, codec: CodecSet, media: &Media, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        self.sender = sender_for(&mut rng, media);
        self.encoder = codec.encoder;
        self.frame_ticks = codec.frame_ticks;
        self.clock_rate = codec.clock_rate;
        self.stats = RtpReceiver::new(codec.receiver);
        self.jitter = codec.jitter;
        self.dtmf.set_audio_frame_ticks(codec.frame_ticks);
        let ratio = codec.clock_rate / RATE;
        self.events_in = self.events_in.take().map(|e| e.with_audio_ratio(ratio));
    }

    /// Queues digits to send (`0-9*#A-D`), by the DTMF policy.
    pub fn send_dtmf(&mut self, digits: &str) -> Result<(), DtmfError> {
        self.dtmf.queue(digits)
    }

    /// Whether queued digits are still being sent.
    pub fn sending_dtmf(&self) -> bool {
        !self.dtmf.is_idle()
    }

    /// When [`handle_timeout`](Self::handle_timeout) is due: the next frame or RTCP report.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.ended {
            return None;
        }
        let next = self.pacer.next_deadline();
        let frame = next.checked_sub(self.send_early).unwrap_or(next);
        Some(self.rtcp.poll_timeout().map_or(frame, |r| r.min(frame)))
    }

    /// Sends the frames that are due (from `source`), pulls playout when self-clocked, and
    /// sends an RTCP report when its time has come.
    pub fn handle_timeout(&mut self, now: Instant, source: &mut dyn FrameSource) {
        if self.ended {
            return;
        }
        let deadline = self.pacer.next_deadline();
        let tick = self.pacer.on_tick(now + self.send_early);
        if tick.due > 0 {
            // How far from its deadline the frame leaves, early or late.
            let error = now.checked_duration_since(deadline).unwrap_or_else(|| deadline - now);
            self.lateness.record(error);
        }
        for _ in 0..tick.due {
            self.send_frame(source);
            if self.self_clocked {
                let mut out = [0i16; FRAME_SAMPLES];
                self.pull_playout(now, &mut out);
            }
        }
        if self.rtcp.poll_timeout().is_some_and(|t| t <= now) {
            let (tx, rx) = self.figures(now);
            if let Some(bytes) = self.rtcp.on_timeout(now, &tx, &rx) {
                self.transmits.push_back(MediaTransmit { to: self.media.remote_rtcp, bytes, rtcp: true });
            }
        }
    }

    fn send_frame(&mut self, source: &mut dyn FrameSource) {
        if !source.next_frame(&mut self.frame) {
            self.frame = [0; FRAME_SAMPLES];
        }
        if !self.media.direction.sends() {
            // Held or receive-only: media time passes, nothing is sent.
            self.sender.skip(self.frame_ticks);
            return;
        }
        match self.dtmf.next_frame(&mut self.sender, &mut self.frame) {
            Ok(FrameOut::Event(bytes)) => {
                self.transmits.push_back(MediaTransmit { to: self.media.remote_rtp, bytes, rtcp: false });
            }
            Ok(FrameOut::Audio) | Err(_) => {
                let built = match self.encoder.encode(&self.frame) {
                    Some(payload) => self.sender.build_with_duration(payload, self.frame_ticks).ok(),
                    None => {
                        self.sender.skip(self.frame_ticks);
                        None
                    }
                };
                if let Some(bytes) = built {
                    self.transmits.push_back(MediaTransmit { to: self.media.remote_rtp, bytes, rtcp: false });
                }
            }
        }
    }

    /// Our figures for RTCP: what we sent (with the RTP time of the next frame) and what
    /// we received.
    fn figures(&self, now: Instant) -> (SenderFigures, ReceiverFigures) {
        let next = self.pacer.next_deadline().max(now);
        let tx = SenderFigures::from_sender(&self.sender, next, self.clock_rate);
        (tx, ReceiverFigures::from_receiver(&self.stats))
    }

    /// Ends the media: a last report and an RTCP BYE go out; nothing more is sent.
    pub fn finish(&mut self, now: Instant) {
        if self.ended {
            return;
        }
        self.ended = true;
        if let Some(events_in) = self.events_in.as_mut() {
            events_in.finish(&mut self.digits);
        }
        let (tx, rx) = self.figures(now);
        let bytes = self.rtcp.bye(now, &tx, &rx, Some("hang-up"));
        self.transmits.push_back(MediaTransmit { to: self.media.remote_rtcp, bytes, rtcp: true });
        self.flush_digits();
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<MediaTransmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<MediaEvent> {
        self.events.pop_front()
    }

    /// How late frames went out against their schedule (to merge over many calls).
    pub fn lateness(&self) -> &Lateness {
        &self.lateness
    }

    /// The audio played so far (8 kHz mono), when recording; emptied.
    pub fn take_recording(&mut self) -> Vec<i16> {
        std::mem::take(&mut self.recorded)
    }

    /// Local time in 8 kHz ticks since the start (wrapping), for the jitter buffer.
    fn ticks(&self, now: Instant) -> u32 {
        let micros = now.saturating_duration_since(self.start).as_micros();
        (micros / 125) as u32
    }

    /// Local time in ticks of the codec's RTP clock since the start (wrapping), for the
    /// RFC 3550 jitter.
    fn rtp_ticks(&self, now: Instant) -> u32 {
        let micros = now.saturating_duration_since(self.start).as_micros();
        (micros * u128::from(self.clock_rate) / 1_000_000) as u32
    }

    fn flush_digits(&mut self) {
        for d in self.digits.drain(..) {
            self.digits_heard.push(d.digit);
            self.events.push_back(MediaEvent::Digit(d));
        }
    }
}
