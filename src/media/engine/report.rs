//! The quality report of a call's media: what was sent and received, what the jitter
//! buffer did, what the far end reported over RTCP, and an ITU-T G.107 E-model MOS for
//! each direction.

use super::MediaEngine;
use crate::media::call_stats::{RxStat, TxStat, call_stats_headers};
use crate::media::lateness::{Lateness, LatenessSummary};
use crate::media::quality::{Codec, Quality, QualityInput, estimate, one_way_delay_ms};
use crate::sdp::AudioCodec;
use serde::Serialize;
use std::time::Instant;

/// The packet time, ms.
const PTIME_MS: f64 = 20.0;

/// One direction's figures.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct DirectionQuality {
    /// Packets lost (or, receiving, lost plus discarded as late), percent.
    pub loss_percent: f64,
    /// Interarrival jitter (RFC 3550), ms.
    pub jitter_ms: f64,
    /// The E-model estimate.
    pub quality: Quality,
}

/// What a call's media did.
#[derive(Debug, Clone, Serialize)]
pub struct EngineReport {
    /// Codec name (`PCMU/8000`, `PCMA/8000`, `opus/48000/2`).
    pub codec: String,
    /// RTP packets sent (audio and telephone-events).
    pub packets_sent: u64,
    /// RTP packets received (distinct).
    pub packets_received: u64,
    /// Packets lost (expected − received, RFC 3550).
    pub lost: i64,
    /// Packets that came too late for playout.
    pub late: u64,
    /// Packets discarded (malformed, undecodable, overflow).
    pub discarded: u64,
    /// Duplicates received.
    pub duplicates: u64,
    /// Frames concealed (loss or lateness).
    pub concealed_frames: u64,
    /// Interarrival jitter of what we received (RFC 3550), ms.
    pub jitter_ms: f64,
    /// Mean jitter-buffer delay, ms.
    pub jitter_buffer_ms: f64,
    /// Round trip from RTCP, ms, when measured.
    pub rtt_ms: Option<f64>,
    /// Frames played.
    pub frames_played: u64,
    /// Frames in which the expected tone dominated.
    pub tone_frames: u64,
    /// Digits the far end sent, in order.
    pub digits: String,
    /// How late our frames left against their 20 ms schedule.
    pub send_lateness: LatenessSummary,
    /// The same as a histogram, to merge over calls.
    #[serde(skip)]
    pub send_lateness_histogram: Lateness,
    /// What we received, and how it would sound.
    pub receive: DirectionQuality,
    /// What the far end reported receiving from us (its RTCP), if it did.
    pub send: Option<DirectionQuality>,
}

/// The codec as the E-model knows it.
fn codec_of(codec: AudioCodec) -> Codec {
    match codec {
        AudioCodec::Pcmu => Codec::Pcmu,
        AudioCodec::Pcma => Codec::Pcma,
        AudioCodec::Opus => Codec::Opus,
    }
}

impl MediaEngine {
    /// The 7940's `RTP-RxStat` / `RTP-TxStat` header values for BYE and its 200
    /// (`call_stats : 1`), for the media so far.
    pub fn call_stats(&self, now: Instant) -> [(&'static str, String); 2] {
        let running = now.saturating_duration_since(self.start);
        let rx = RxStat::from_receiver(&self.stats, running);
        let tx = TxStat::from_sender(&self.sender, running);
        call_stats_headers(&rx, &tx)
    }

    /// The figures so far.
    pub fn report(&self, _now: Instant) -> EngineReport {
        let counters = self.stats.counters();
        let jb = self.jitter.stats();
        let (codec, name) = (codec_of(self.media.codec), self.media.codec.display_name());
        let far = self.rtcp.far_end_report();
        let rtt_ms = far.and_then(|f| f.rtt_ms());
        let expected = self.stats.expected().max(1) as f64;
        let lost = self.stats.lost();
        let receive_loss = 100.0 * (lost.max(0) as f64 + jb.late as f64) / expected;
        let delay = one_way_delay_ms(rtt_ms.unwrap_or(0.0), jb.average_delay_ms, PTIME_MS);
        let quality = |loss_percent: f64| {
            estimate(&QualityInput { codec, plc: true, loss_percent, delay_ms: delay, mean_loss_burst: None })
        };
        let receive = DirectionQuality {
            loss_percent: receive_loss,
            jitter_ms: self.stats.jitter_ms(),
            quality: quality(receive_loss),
        };
        let send = far.map(|f| {
            let sent = self.sender.counters().packets.max(1) as f64;
            let loss = (100.0 * f64::from(f.cumulative_lost.max(0)) / sent).min(100.0);
            DirectionQuality {
                loss_percent: loss,
                jitter_ms: f.jitter_ms(self.clock_rate),
                quality: quality(loss),
            }
        });
        EngineReport {
            codec: name.to_owned(),
            packets_sent: self.sender.counters().packets,
            packets_received: counters.received,
            lost,
            late: jb.late,
            discarded: jb.discarded,
            duplicates: counters.duplicates,
            concealed_frames: jb.concealed,
            jitter_ms: self.stats.jitter_ms(),
            jitter_buffer_ms: jb.average_delay_ms,
            rtt_ms,
            frames_played: self.played_frames,
            tone_frames: self.tone_frames,
            digits: self.digits_heard.clone(),
            send_lateness: self.lateness.summary(),
            send_lateness_histogram: self.lateness.clone(),
            receive,
            send,
        }
    }
}
