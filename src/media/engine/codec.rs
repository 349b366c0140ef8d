//! The engine's codec: the frame encoder for sending and the decoder its jitter buffer plays
//! through, G.711 or Opus as negotiated, with the RTP clock that goes with each.

use crate::media::g711::Law;
use crate::media::jitter::JitterBuffer;
use crate::media::opus::{OPUS_FRAME_TICKS, OpusDecoder, OpusEncoder, OpusError, OpusSettings};
use crate::media::plc::{Decoder, G711Decoder};
use crate::media::rtp::{DEFAULT_REORDER_DEPTH, G711_SAMPLES_PER_PACKET};
use crate::media::rtp_receiver::ReceiverConfig;
use crate::media::source::{FRAME_SAMPLES, Frame};
use crate::sdp::Media;

/// Turns 20 ms frames into payloads.
#[derive(Debug)]
pub(super) enum FrameEncoder {
    /// G.711 of one law.
    G711(Law, [u8; FRAME_SAMPLES]),
    /// Opus (boxed: libopus state behind a pointer, plus the packet buffer).
    Opus(Box<OpusEncoder>),
}

impl FrameEncoder {
    /// The payload of one frame; `None` if the codec failed (nothing is sent then).
    pub(super) fn encode(&mut self, frame: &Frame) -> Option<&[u8]> {
        match self {
            FrameEncoder::G711(law, out) => {
                law.encode_to_slice(frame, out);
                Some(out)
            }
            FrameEncoder::Opus(enc) => enc.encode(frame).ok(),
        }
    }

    /// Turns Opus's in-band FEC on or off (the peer's `useinbandfec` changed).
    pub(super) fn set_inband_fec(&mut self, on: bool) {
        if let FrameEncoder::Opus(enc) = self {
            let _ = enc.set_inband_fec(on);
        }
    }
}

/// The jitter buffer's decoder: G.711 with its PLC, or Opus.
#[derive(Debug)]
pub(super) enum AnyDecoder {
    /// G.711 (boxed: its concealment history is a kilobyte).
    G711(Box<G711Decoder>),
    /// Opus.
    Opus(OpusDecoder),
}

impl AnyDecoder {
    fn inner(&self) -> &dyn Decoder {
        match self {
            AnyDecoder::G711(d) => d.as_ref(),
            AnyDecoder::Opus(d) => d,
        }
    }

    fn inner_mut(&mut self) -> &mut dyn Decoder {
        match self {
            AnyDecoder::G711(d) => d.as_mut(),
            AnyDecoder::Opus(d) => d,
        }
    }
}

impl Decoder for AnyDecoder {
    fn accepts(&self, payload_type: u8) -> bool {
        self.inner().accepts(payload_type)
    }
    fn samples(&self, payload: &[u8]) -> Option<usize> {
        self.inner().samples(payload)
    }
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) {
        self.inner_mut().decode(payload, out);
    }
    fn conceal(&mut self, out: &mut [i16]) {
        self.inner_mut().conceal(out);
    }
    fn conceal_before(&mut self, out: &mut [i16], next: &[u8]) {
        self.inner_mut().conceal_before(out, next);
    }
    fn silence(&mut self, out: &mut [i16]) {
        self.inner_mut().silence(out);
    }
    fn reset(&mut self) {
        self.inner_mut().reset();
    }
    fn clock_rate(&self) -> u32 {
        self.inner().clock_rate()
    }
}

/// Everything codec-specific of one RTP stream pair.
pub(super) struct CodecSet {
    pub(super) encoder: FrameEncoder,
    pub(super) jitter: JitterBuffer<AnyDecoder>,
    pub(super) receiver: ReceiverConfig,
    /// RTP timestamp units per 20 ms frame (160 or 960).
    pub(super) frame_ticks: u32,
    /// RTP clock rate, Hz.
    pub(super) clock_rate: u32,
}

impl CodecSet {
    /// The codec of `media`: G.711 on the law's static payload type, or Opus on the
    /// payload type we receive it with (in-band FEC when the peer decodes it).
    pub(super) fn new(media: &Media) -> Result<CodecSet, OpusError> {
        let clock_rate = media.codec.clock_rate();
        let (encoder, decoder, payload_type, frame_ticks) = match media.codec.law() {
            Some(law) => (
                FrameEncoder::G711(law, [0; FRAME_SAMPLES]),
                AnyDecoder::G711(Box::new(G711Decoder::new(law))),
                law.payload_type(),
                G711_SAMPLES_PER_PACKET,
            ),
            None => {
                let settings = OpusSettings { inband_fec: media.opus_fec, ..OpusSettings::default() };
                let pt = media.receive_payload_type;
                (
                    FrameEncoder::Opus(Box::new(OpusEncoder::new(settings)?)),
                    AnyDecoder::Opus(OpusDecoder::new(pt)?),
                    pt,
                    OPUS_FRAME_TICKS,
                )
            }
        };
        let jitter = JitterBuffer::new(decoder);
        // telephone-events share the audio's sequence space: without them, every event
        // packet would count as a lost audio packet.
        let receiver = ReceiverConfig {
            payload_types: std::iter::once(payload_type).chain(media.receive_dtmf_payload).collect(),
            clock_rate,
            reorder_depth: DEFAULT_REORDER_DEPTH,
        };
        Ok(CodecSet { encoder, jitter, receiver, frame_ticks, clock_rate })
    }
}
