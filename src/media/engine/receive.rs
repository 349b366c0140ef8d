//! The receiving half of a call's media: RTP into the statistics and the jitter buffer,
//! telephone-events into digits, RTCP into the far end's view, and playout frames out.

use super::{MediaEngine, MediaEvent};
use crate::media::rtcp::RtcpEvent;
use crate::media::rtp::{is_rtcp, parse_rtp};
use crate::media::source::{FRAME_SAMPLES, Frame};
use std::net::SocketAddr;
use std::time::Instant;

/// Of a frame's energy, the share at the expected tone above which the tone "dominates".
const TONE_SHARE: f64 = 0.5;

impl MediaEngine {
    /// A datagram on the RTP port (RTCP multiplexed there is taken too). With symmetric RTP
    /// a valid packet's source becomes where ours go.
    pub fn handle_rtp(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        if self.ended {
            return;
        }
        if is_rtcp(datagram) {
            self.handle_rtcp(now, datagram);
            return;
        }
        let Ok(header) = parse_rtp(datagram) else { return };
        if self.symmetric && from != self.media.remote_rtp {
            self.media.remote_rtp = from;
            self.media.remote_rtcp = SocketAddr::new(from.ip(), from.port().wrapping_add(1));
        }
        let arrival = self.ticks(now);
        if let Some(events_in) = self.events_in.as_mut()
            && header.payload_type == events_in.payload_type()
        {
            let _ =
                events_in.on_packet(header.payload_type, header.timestamp, header.payload, &mut self.digits);
            let _ = self.stats.receive(datagram, arrival);
            while self.stats.pop().is_some() {}
            self.flush_digits();
            return;
        }
        if let Some(events_in) = self.events_in.as_mut() {
            events_in.on_audio(header.timestamp, &mut self.digits);
        }
        let _ = self.stats.receive(datagram, self.rtp_ticks(now));
        while self.stats.pop().is_some() {}
        let _ = self.jitter.push(datagram, arrival);
        self.flush_digits();
    }

    /// A datagram on the RTCP port.
    pub fn handle_rtcp(&mut self, now: Instant, datagram: &[u8]) {
        let Ok(events) = self.rtcp.on_rtcp(now, datagram) else { return };
        for event in events {
            if let RtcpEvent::Bye { .. } = event {
                self.events.push_back(MediaEvent::FarEndBye);
            }
        }
    }

    /// The next 20 ms to play at `now` (the sound card's pace, or the engine's own tick):
    /// from the jitter buffer, concealed where audio is missing; also searched for
    /// in-band digits and the expected tone, and kept when recording.
    pub fn pull_playout(&mut self, now: Instant, out: &mut Frame) {
        let at = self.ticks(now);
        let _kind = self.jitter.pull(at, out);
        self.played_frames += 1;
        if self.detector.is_some_and(|d| d.relative_power(out) > TONE_SHARE) {
            self.tone_frames += 1;
        }
        if let Some(inband) = self.inband.as_mut() {
            inband.push(at, out, &mut self.digits);
        }
        if self.record {
            self.recorded.extend_from_slice(out.get(..FRAME_SAMPLES).unwrap_or_default());
        }
        self.flush_digits();
    }
}
