//! Opus (RFC 6716, RTP payload RFC 7587) at the phone's rate: 8 kHz mono in, 8 kHz mono out.
//!
//! The phone's audio path runs at 8 kHz in 20 ms frames of 160 samples. [`OpusEncoder`]
//! turns each frame into one 20 ms Opus packet (application VoIP, so SILK narrowband at these
//! rates); [`OpusDecoder`] is the jitter buffer's [`Decoder`] for Opus, decoding straight to
//! 8 kHz (an Opus decoder can output any of its rates whatever the packet was encoded at).
//!
//! ```text
//!   160 samples @ 8 kHz ─▶ OpusEncoder (VoIP, FEC, loss hint) ─▶ packet ─▶ RTP, ts += 960
//!   RTP (48 kHz clock) ─▶ jitter buffer (timestamps ÷ 6) ─▶ OpusDecoder ─▶ samples @ 8 kHz
//!                                   gap ─▶ next packet buffered? ─ yes ─▶ in-band FEC from it
//!                                                                 └ no ──▶ Opus's own PLC
//! ```
//!
//! The RTP timestamp clock of Opus is always 48 kHz (RFC 7587 §4.1), so one 20 ms packet
//! advances it by [`OPUS_FRAME_TICKS`] = 960 whatever rate is encoded; the decoder reports
//! that clock through [`Decoder::clock_rate`] and the jitter buffer scales timestamps to
//! 8 kHz samples with it.
//!
//! **In-band FEC.** With FEC on, each packet also carries a coarse copy of the frame before
//! it. When a packet is lost and the one after it is already buffered, the jitter buffer
//! calls [`Decoder::conceal_before`] with that next packet and the lost frame is rebuilt
//! from the copy (libopus runs its PLC for any earlier part of a longer gap). Otherwise
//! concealment is libopus's own PLC (decoding "no packet"), which it asks for in whole
//! 2.5 ms steps: a request of another length is rounded up and the extra samples are kept
//! for the next request.
//!
//! libopus is plain computation (no clock, no threads, no I/O); errors are values and a
//! packet that does not decode is concealed instead, so nothing here panics on input.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::fmt;

use audiopus::coder::{Decoder as LibDecoder, Encoder as LibEncoder, GenericCtl};
use audiopus::packet::{Packet, nb_samples, samples_per_frame};
use audiopus::{Application, Bitrate, Channels, MutSignals, SampleRate};
use thiserror::Error;

use super::plc::Decoder;
use super::source::{FRAME_SAMPLES, Frame};

/// The RTP clock of Opus, always (RFC 7587 §4.1).
pub const OPUS_CLOCK_RATE: u32 = 48_000;
/// RTP timestamp units in one 20 ms frame: 960.
pub const OPUS_FRAME_TICKS: u32 = OPUS_CLOCK_RATE / 50;
/// The longest Opus packet (120 ms), in samples at 8 kHz.
pub const MAX_PACKET_SAMPLES: usize = 960;
/// The largest Opus packet in octets (RFC 6716 §3.4: 1275 per frame, this is for one).
pub const MAX_PACKET_OCTETS: usize = 1275;
/// The default encoder bit rate: 24 kbit/s. libopus adds in-band FEC only above a rate
/// that grows with the expected loss (about 15 kbit/s for narrowband at 10 %); this leaves
/// margin for it.
pub const DEFAULT_BITRATE: i32 = 24_000;
/// The default expected packet loss told to the encoder, percent (it sizes the FEC).
pub const DEFAULT_LOSS_PERCENT: u8 = 10;
/// libopus conceals in steps of 2.5 ms: 20 samples at 8 kHz.
const PLC_STEP: usize = 20;

/// Why an Opus encoder or decoder could not be made, or a frame not encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum OpusError {
    /// libopus refused to create the encoder or decoder, or a setting.
    #[error("opus set-up failed: {0}")]
    Setup(#[source] audiopus::Error),
    /// libopus could not encode a frame.
    #[error("opus encoding failed: {0}")]
    Encode(#[source] audiopus::Error),
}

/// Encoder settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusSettings {
    /// Bit rate, bit/s.
    pub bitrate: i32,
    /// Add in-band FEC (a coarse copy of the previous frame) to every packet.
    pub inband_fec: bool,
    /// The packet loss the encoder should expect, percent (0–100).
    pub loss_percent: u8,
}

impl Default for OpusSettings {
    fn default() -> Self {
        OpusSettings { bitrate: DEFAULT_BITRATE, inband_fec: true, loss_percent: DEFAULT_LOSS_PERCENT }
    }
}

/// Encodes 20 ms frames of 8 kHz mono audio into Opus packets.
pub struct OpusEncoder {
    encoder: LibEncoder,
    packet: Vec<u8>,
}

impl fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpusEncoder").finish_non_exhaustive()
    }
}

impl OpusEncoder {
    /// An encoder for 8 kHz mono VoIP with `settings`.
    pub fn new(settings: OpusSettings) -> Result<OpusEncoder, OpusError> {
        let mut encoder = LibEncoder::new(SampleRate::Hz8000, Channels::Mono, Application::Voip)
            .map_err(OpusError::Setup)?;
        encoder.set_bitrate(Bitrate::BitsPerSecond(settings.bitrate)).map_err(OpusError::Setup)?;
        encoder.set_inband_fec(settings.inband_fec).map_err(OpusError::Setup)?;
        encoder.set_packet_loss_perc(settings.loss_percent.min(100)).map_err(OpusError::Setup)?;
        Ok(OpusEncoder { encoder, packet: vec![0; MAX_PACKET_OCTETS] })
    }

    /// Encodes one 20 ms frame; the packet lives until the next call.
    pub fn encode(&mut self, frame: &Frame) -> Result<&[u8], OpusError> {
        let n = self.encoder.encode(frame, &mut self.packet).map_err(OpusError::Encode)?;
        Ok(self.packet.get(..n).unwrap_or_default())
    }

    /// Turns in-band FEC on or off.
    pub fn set_inband_fec(&mut self, on: bool) -> Result<(), OpusError> {
        self.encoder.set_inband_fec(on).map_err(OpusError::Setup)
    }

    /// Whether in-band FEC is on.
    pub fn inband_fec(&self) -> bool {
        self.encoder.inband_fec().unwrap_or(false)
    }
}

/// What an [`OpusDecoder`] has made, by kind (in frames of any length: one per call).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpusDecodeCounts {
    /// Packets decoded.
    pub decoded: u64,
    /// Gaps filled from the next packet's in-band FEC.
    pub fec: u64,
    /// Gaps filled by Opus's packet-loss concealment.
    pub concealed: u64,
    /// Packets that did not decode (concealed instead).
    pub failed: u64,
}

/// Decodes Opus to 8 kHz mono for the jitter buffer, concealing with Opus's PLC and FEC.
pub struct OpusDecoder {
    decoder: LibDecoder,
    payload_type: u8,
    scratch: Vec<i16>,
    /// Concealment decoded beyond what was asked (libopus conceals in 2.5 ms steps).
    surplus: Vec<i16>,
    counts: OpusDecodeCounts,
}

impl fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpusDecoder")
            .field("payload_type", &self.payload_type)
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

impl OpusDecoder {
    /// A decoder for packets of RTP payload type `payload_type`.
    pub fn new(payload_type: u8) -> Result<OpusDecoder, OpusError> {
        let decoder = LibDecoder::new(SampleRate::Hz8000, Channels::Mono).map_err(OpusError::Setup)?;
        Ok(OpusDecoder {
            decoder,
            payload_type,
            scratch: vec![0; MAX_PACKET_SAMPLES],
            surplus: Vec::new(),
            counts: OpusDecodeCounts::default(),
        })
    }

    /// What has been decoded and concealed so far.
    pub fn counts(&self) -> OpusDecodeCounts {
        self.counts
    }

    /// Decodes (or with `packet` `None`, conceals) exactly `len` samples into the scratch
    /// buffer; `len` must be a multiple of 2.5 ms for concealment and FEC.
    fn run(&mut self, packet: Option<&[u8]>, len: usize, fec: bool) -> Option<usize> {
        let out = self.scratch.get_mut(..len)?;
        let packet = match packet {
            Some(p) => Some(Packet::try_from(p).ok()?),
            None => None,
        };
        let signals = MutSignals::try_from(out).ok()?;
        self.decoder.decode(packet, signals, fec).ok().filter(|&n| n <= len)
    }

    /// Opus's PLC for `out`, in whole 2.5 ms steps (extra samples kept for next time).
    fn plc(&mut self, out: &mut [i16]) {
        let mut done = self.take_surplus(out);
        while let Some(rest) = out.get_mut(done..).filter(|r| !r.is_empty()) {
            let step = rest.len().div_ceil(PLC_STEP).saturating_mul(PLC_STEP).min(MAX_PACKET_SAMPLES);
            let Some(n) = self.run(None, step, false).filter(|&n| n > 0) else {
                rest.fill(0);
                return;
            };
            let made = self.scratch.get(..n).unwrap_or_default();
            let used = made.len().min(rest.len());
            for (o, &s) in rest.iter_mut().zip(made) {
                *o = s;
            }
            self.surplus.extend_from_slice(made.get(used..).unwrap_or_default());
            done += used;
        }
    }

    /// Copies kept concealment into the start of `out`; returns how many samples.
    fn take_surplus(&mut self, out: &mut [i16]) -> usize {
        let n = self.surplus.len().min(out.len());
        for (o, s) in out.iter_mut().zip(self.surplus.drain(..n)) {
            *o = s;
        }
        n
    }
}

impl Decoder for OpusDecoder {
    fn accepts(&self, payload_type: u8) -> bool {
        payload_type == self.payload_type
    }

    fn samples(&self, payload: &[u8]) -> Option<usize> {
        let packet = Packet::try_from(payload).ok()?;
        nb_samples(packet, SampleRate::Hz8000).ok().filter(|&n| n > 0 && n <= MAX_PACKET_SAMPLES)
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) {
        self.surplus.clear();
        match self.run(Some(payload), MAX_PACKET_SAMPLES, false) {
            Some(n) => {
                self.counts.decoded += 1;
                out.extend_from_slice(self.scratch.get(..n).unwrap_or_default());
            }
            None => {
                self.counts.failed += 1;
                let n = self.samples(payload).unwrap_or(FRAME_SAMPLES);
                let start = out.len();
                out.resize(start + n, 0);
                if let Some(fresh) = out.get_mut(start..) {
                    self.plc(fresh);
                }
            }
        }
    }

    fn conceal(&mut self, out: &mut [i16]) {
        self.counts.concealed += 1;
        self.plc(out);
    }

    fn conceal_before(&mut self, out: &mut [i16], next: &[u8]) {
        // FEC rebuilds the last frame before `next`: the gap must hold at least one of its
        // frames, in 2.5 ms steps, and the decoder must not already be ahead (surplus).
        let frame = Packet::try_from(next).ok().and_then(|p| samples_per_frame(p, SampleRate::Hz8000).ok());
        let fits = frame.is_some_and(|f| f > 0 && out.len() >= f)
            && out.len().is_multiple_of(PLC_STEP)
            && out.len() <= MAX_PACKET_SAMPLES
            && self.surplus.is_empty();
        if fits && let Some(n) = self.run(Some(next), out.len(), true).filter(|&n| n == out.len()) {
            for (o, &s) in out.iter_mut().zip(self.scratch.get(..n).unwrap_or_default()) {
                *o = s;
            }
            self.counts.fec += 1;
            return;
        }
        self.conceal(out);
    }

    fn silence(&mut self, out: &mut [i16]) {
        out.fill(0);
    }

    fn reset(&mut self) {
        self.surplus.clear();
        let _ = self.decoder.reset_state();
    }

    fn clock_rate(&self) -> u32 {
        OPUS_CLOCK_RATE
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    /// 20 ms of a 440 Hz tone at amplitude 8000, frame `k` of a continuous signal.
    fn tone_frame(k: usize) -> Frame {
        let mut f = [0i16; FRAME_SAMPLES];
        for (i, s) in f.iter_mut().enumerate() {
            let t = (k * FRAME_SAMPLES + i) as f64 / 8000.0;
            *s = (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16;
        }
        f
    }

    fn packets(n: usize, settings: OpusSettings) -> Vec<Vec<u8>> {
        let mut enc = OpusEncoder::new(settings).unwrap();
        (0..n).map(|k| enc.encode(&tone_frame(k)).unwrap().to_vec()).collect()
    }

    fn energy(x: &[i16]) -> f64 {
        x.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / x.len().max(1) as f64
    }

    /// Mean squared difference between two signals.
    fn error(a: &[i16], b: &[i16]) -> f64 {
        a.iter().zip(b).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum::<f64>() / a.len() as f64
    }

    #[test]
    fn frames_encode_to_20_ms_packets_within_the_bit_rate() {
        let p = packets(50, OpusSettings::default());
        let d = OpusDecoder::new(111).unwrap();
        assert!(p.iter().all(|p| d.samples(p) == Some(160)));
        let bytes: usize = p.iter().map(Vec::len).sum();
        // At most 24 kbit/s for 1 s is 3000 octets (VBR spends less on a steady tone).
        assert!((1000..=3300).contains(&bytes), "{bytes} octets per second");
        let mut enc = OpusEncoder::new(OpusSettings::default()).unwrap();
        assert!(enc.inband_fec());
        enc.set_inband_fec(false).unwrap();
        assert!(!enc.inband_fec());
    }

    #[test]
    fn decoding_gives_the_tone_back() {
        let p = packets(25, OpusSettings::default());
        let mut d = OpusDecoder::new(111).unwrap();
        let mut out = Vec::new();
        for p in &p {
            d.decode(p, &mut out);
        }
        assert_eq!(out.len(), 25 * 160);
        // After the codec's start-up, the level matches the input's (8000² / 2).
        let e = energy(&out[1600..]);
        assert!((0.6 * 32e6..1.4 * 32e6).contains(&e), "energy {e}");
        assert_eq!(d.counts().decoded, 25);
    }

    /// Decodes `pkts`, losing packet `lost` and filling its gap with FEC or with PLC.
    fn with_loss(pkts: &[Vec<u8>], lost: Option<usize>, use_fec: bool) -> (Vec<i16>, OpusDecodeCounts) {
        let mut d = OpusDecoder::new(111).unwrap();
        let mut out = Vec::new();
        for (k, packet) in pkts.iter().enumerate() {
            if Some(k) != lost {
                d.decode(packet, &mut out);
                continue;
            }
            let mut gap = [0i16; 160];
            match pkts.get(k + 1) {
                Some(next) if use_fec => d.conceal_before(&mut gap, next),
                _ => d.conceal(&mut gap),
            }
            out.extend_from_slice(&gap);
        }
        (out, d.counts())
    }

    #[test]
    fn fec_rebuilds_a_lost_frame_better_than_plc() {
        let pkts = packets(30, OpusSettings::default());
        let (clean, _) = with_loss(&pkts, None, false);
        let (fec, counts) = with_loss(&pkts, Some(20), true);
        let (plc, plc_counts) = with_loss(&pkts, Some(20), false);
        assert_eq!((counts.fec, counts.concealed), (1, 0));
        assert_eq!((plc_counts.fec, plc_counts.concealed), (0, 1));
        let lost = 20 * 160..21 * 160;
        let e_fec = error(&fec[lost.clone()], &clean[lost.clone()]);
        let e_plc = error(&plc[lost.clone()], &clean[lost.clone()]);
        assert!(e_fec < e_plc, "FEC error {e_fec} vs PLC error {e_plc}");
        assert!(energy(&fec[lost]) > 0.3 * 32e6, "the lost frame still sounds");
    }

    #[test]
    fn concealment_of_odd_lengths_keeps_the_surplus() {
        let p = packets(10, OpusSettings::default());
        let mut d = OpusDecoder::new(111).unwrap();
        let mut out = Vec::new();
        p.iter().for_each(|p| d.decode(p, &mut out));
        let mut a = [0i16; 30];
        d.conceal(&mut a);
        assert_eq!(d.surplus.len(), 10, "40 concealed, 30 used");
        let mut b = [0i16; 10];
        d.conceal(&mut b);
        assert!(d.surplus.is_empty());
        assert!(energy(&a) > 1e6 && energy(&b) > 1e5, "the tone goes on");
        // A gap that is not a whole number of 2.5 ms steps cannot use FEC.
        let mut c = [0i16; 150];
        d.conceal_before(&mut c, &p[9]);
        assert_eq!(d.counts().fec, 0);
    }

    #[test]
    fn garbage_is_refused_or_concealed_never_a_panic() {
        let mut d = OpusDecoder::new(111).unwrap();
        assert!(d.accepts(111) && !d.accepts(0));
        assert_eq!(d.samples(&[]), None);
        // TOC code 3 with no frame count octet.
        assert_eq!(d.samples(&[0x03]), None);
        let mut out = Vec::new();
        d.decode(&[0x03], &mut out);
        d.decode(&[], &mut out);
        assert_eq!(out.len(), 320, "a failed packet is concealed for 20 ms");
        assert_eq!(d.counts().failed, 2);
        let mut s = [5i16; 7];
        d.silence(&mut s);
        assert_eq!(s, [0; 7]);
        d.reset();
        assert_eq!(d.clock_rate(), 48_000);
        for len in 0..40 {
            let junk: Vec<u8> = (0..len).map(|i| (i * 37 + len) as u8).collect();
            let _ = d.samples(&junk);
            d.decode(&junk, &mut out);
            let mut gap = [0i16; 160];
            d.conceal_before(&mut gap, &junk);
        }
    }
}
