//! One endpoint's RTCP for a two-party audio call: when to report, what to put in it, and
//! what the far end's reports say.
//!
//! ```text
//!            poll_timeout() ──▶ caller's timer ──▶ on_timeout(now, sender, receiver)
//!                                                     │ reconsider: tp + T > now? → later
//!                                                     ▼
//!   SenderFigures ──▶ SR (sent RTP since last report) or RR ─┐
//!   ReceiverFigures ─▶ report block (LossInterval, LSR/DLSR) ─┼─▶ compound: SR|RR · SDES · [BYE]
//!                      SDES CNAME ────────────────────────────┘
//!
//!   datagram ──▶ on_rtcp(now) ──▶ parse_compound ──▶ RtcpEvent* (SR seen → LSR kept,
//!                                                   block about us → loss, jitter, RTT)
//! ```
//!
//! Time is the caller's `Instant`; NTP time comes from a [`WallClock`] base; the random
//! interval factor from the `StdRng` the session is given.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;

use super::events::{FarEndReport, RtcpEvent, round_trip};
use super::interval::{IntervalParams, RTCP_BANDWIDTH_FRACTION, UDP_IPV4_OVERHEAD};
use super::ntp::{WallClock, to_units_65536};
use super::packet::{ReportBlock, RtcpError, RtcpPacket, SdesChunk, encode_compound};
use super::parse::parse_compound;
use super::report::{LossInterval, ReceiverFigures, SenderFigures};

/// Longest SDES item or BYE reason.
const MAX_TEXT: usize = 255;

/// How an [`RtcpSession`] is set up.
#[derive(Clone, Debug, PartialEq)]
pub struct RtcpConfig {
    /// Our SSRC (the RTP sender's).
    pub ssrc: u32,
    /// Our canonical name, e.g. `user@host` (at most 255 octets).
    pub cname: String,
    /// Session bandwidth in octets per second (see
    /// [`g711_session_bandwidth`](super::interval::g711_session_bandwidth)).
    pub session_bandwidth: f64,
    /// Wall-clock time at some instant, for NTP timestamps.
    pub clock: WallClock,
}

/// The last SR heard from the far end, for LSR/DLSR.
#[derive(Clone, Copy, Debug)]
struct LastSr {
    ssrc: u32,
    lsr: u32,
    arrival: Instant,
}

/// RTCP state for one RTP session with one far end.
#[derive(Debug)]
pub struct RtcpSession {
    config: RtcpConfig,
    rng: StdRng,
    avg_rtcp_size: f64,
    initial: bool,
    /// When we last sent (or, before that, when the session started).
    last_sent: Instant,
    next_report: Option<Instant>,
    /// Our RTP packet count at the last report.
    packets_at_report: u64,
    /// Far-end packets received at the last report.
    received_at_report: u64,
    we_sent: bool,
    /// The far end sent RTP (or an SR) in the interval before the last report check.
    far_sent: bool,
    /// An SR arrived since the last report.
    sr_since_report: bool,
    far_ssrc: Option<u32>,
    far_cname: Option<String>,
    loss: LossInterval,
    last_sr: Option<LastSr>,
    far_report: Option<FarEndReport>,
}

impl RtcpSession {
    /// A session starting at `now`; the first report is scheduled at the randomised initial
    /// interval (Tmin 2.5 s). Fails if the CNAME is longer than 255 octets.
    pub fn new(config: RtcpConfig, now: Instant, rng: StdRng) -> Result<RtcpSession, RtcpError> {
        if config.cname.len() > MAX_TEXT {
            return Err(RtcpError::TextTooLong(config.cname.len()));
        }
        // The likely first packet: SR + one block + SDES CNAME, plus UDP/IP.
        let first_size = 28 + 24 + 8 + (config.cname.len() + 2).div_ceil(4) * 4 + UDP_IPV4_OVERHEAD;
        let mut session = RtcpSession {
            config,
            rng,
            avg_rtcp_size: first_size as f64,
            initial: true,
            last_sent: now,
            next_report: None,
            packets_at_report: 0,
            received_at_report: 0,
            we_sent: false,
            far_sent: false,
            sr_since_report: false,
            far_ssrc: None,
            far_cname: None,
            loss: LossInterval::default(),
            last_sr: None,
            far_report: None,
        };
        session.next_report = Some(now + session.interval());
        Ok(session)
    }

    /// Our SSRC.
    pub fn ssrc(&self) -> u32 {
        self.config.ssrc
    }

    /// When [`on_timeout`](Self::on_timeout) wants to run next; `None` after BYE.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_report
    }

    /// The far end's latest report about our stream.
    pub fn far_end_report(&self) -> Option<&FarEndReport> {
        self.far_report.as_ref()
    }

    /// The far end's SSRC, once heard in RTCP or RTP.
    pub fn far_ssrc(&self) -> Option<u32> {
        self.far_ssrc
    }

    /// Runs the report timer (App. A.7 `OnExpire`): before the scheduled time nothing
    /// happens; at it the interval is drawn again and, if the last report plus that interval
    /// is still ahead, the report is postponed (timer reconsideration); otherwise a report
    /// is built and the next one scheduled.
    pub fn on_timeout(
        &mut self,
        now: Instant,
        sender: &SenderFigures,
        receiver: &ReceiverFigures,
    ) -> Option<Vec<u8>> {
        let due = self.next_report?;
        if now < due {
            return None;
        }
        self.note_activity(sender, receiver);
        let reconsidered = self.last_sent + self.interval();
        if reconsidered > now {
            self.next_report = Some(reconsidered);
            return None;
        }
        let datagram = self.report(now, sender, receiver);
        self.next_report = Some(now + self.interval());
        Some(datagram)
    }

    /// Builds a report now (SR if we sent RTP since the last report, else RR), followed by
    /// SDES CNAME, and counts it as sent. Does not move the timer.
    pub fn report(&mut self, now: Instant, sender: &SenderFigures, receiver: &ReceiverFigures) -> Vec<u8> {
        let packets = self.report_packets(now, sender, receiver);
        self.sent(now, packets)
    }

    /// A final report followed by BYE with an optional reason (cut to 255 octets at a
    /// character boundary). The timer stops: [`poll_timeout`](Self::poll_timeout) is `None`.
    pub fn bye(
        &mut self,
        now: Instant,
        sender: &SenderFigures,
        receiver: &ReceiverFigures,
        reason: Option<&str>,
    ) -> Vec<u8> {
        let mut packets = self.report_packets(now, sender, receiver);
        let reason = reason.map(|r| truncate_at_char(r, MAX_TEXT).to_owned());
        packets.push(RtcpPacket::Goodbye { ssrcs: vec![self.config.ssrc], reason });
        self.next_report = None;
        self.sent(now, packets)
    }

    /// Takes a compound RTCP datagram that arrived at `now`.
    pub fn on_rtcp(&mut self, now: Instant, datagram: &[u8]) -> Result<Vec<RtcpEvent>, RtcpError> {
        let packets = parse_compound(datagram)?;
        self.average_in(datagram.len());
        let mut events = Vec::new();
        for packet in packets {
            match packet {
                RtcpPacket::SenderReport { ssrc, info, blocks } if ssrc != self.config.ssrc => {
                    self.far_ssrc = Some(ssrc);
                    self.sr_since_report = true;
                    self.last_sr = Some(LastSr { ssrc, lsr: info.ntp.middle32(), arrival: now });
                    events.push(RtcpEvent::SenderReport {
                        ssrc,
                        ntp: info.ntp,
                        rtp_timestamp: info.rtp_timestamp,
                        packets: info.packet_count,
                        octets: info.octet_count,
                    });
                    self.blocks_about_us(now, ssrc, &blocks, &mut events);
                }
                RtcpPacket::ReceiverReport { ssrc, blocks } if ssrc != self.config.ssrc => {
                    self.far_ssrc = Some(ssrc);
                    self.blocks_about_us(now, ssrc, &blocks, &mut events);
                }
                RtcpPacket::SourceDescription(chunks) => {
                    for chunk in chunks.iter().filter(|c| c.ssrc != self.config.ssrc) {
                        let Some(cname) = chunk.cname_text() else { continue };
                        if self.far_cname.as_deref() != Some(cname.as_str()) {
                            self.far_cname = Some(cname.clone());
                            events.push(RtcpEvent::Cname { ssrc: chunk.ssrc, cname });
                        }
                    }
                }
                RtcpPacket::Goodbye { ssrcs, reason } if ssrcs.iter().any(|&s| s != self.config.ssrc) => {
                    events.push(RtcpEvent::Bye { ssrcs, reason });
                }
                _ => {}
            }
        }
        Ok(events)
    }

    fn blocks_about_us(
        &mut self,
        now: Instant,
        reporter: u32,
        blocks: &[ReportBlock],
        events: &mut Vec<RtcpEvent>,
    ) {
        let arrival = self.config.clock.ntp_at(now).middle32();
        for block in blocks.iter().filter(|b| b.ssrc == self.config.ssrc) {
            let rtt = round_trip(arrival, block.lsr, block.dlsr);
            let report = FarEndReport::from_block(reporter, block, rtt);
            self.far_report = Some(report);
            events.push(RtcpEvent::FarEndReport(report));
        }
    }

    /// SR or RR with at most one block, then SDES.
    fn report_packets(
        &mut self,
        now: Instant,
        sender: &SenderFigures,
        receiver: &ReceiverFigures,
    ) -> Vec<RtcpPacket> {
        self.note_activity(sender, receiver);
        let (lsr, dlsr) = match self.last_sr {
            Some(sr) if Some(sr.ssrc) == receiver.ssrc => {
                (sr.lsr, to_units_65536(now.saturating_duration_since(sr.arrival)))
            }
            _ => (0, 0),
        };
        let blocks: Vec<ReportBlock> = self.loss.report_block(receiver, lsr, dlsr).into_iter().collect();
        let ssrc = self.config.ssrc;
        let first = if self.we_sent {
            let info = sender.sender_info(now, self.config.clock.ntp_at(now));
            RtcpPacket::SenderReport { ssrc, info, blocks }
        } else {
            RtcpPacket::ReceiverReport { ssrc, blocks }
        };
        self.packets_at_report = sender.packets;
        self.received_at_report = receiver.received;
        self.sr_since_report = false;
        vec![first, RtcpPacket::SourceDescription(vec![SdesChunk::cname(ssrc, &self.config.cname)])]
    }

    /// Who has sent RTP since the last report.
    fn note_activity(&mut self, sender: &SenderFigures, receiver: &ReceiverFigures) {
        self.we_sent = sender.packets > self.packets_at_report;
        self.far_sent = self.sr_since_report || receiver.received > self.received_at_report;
        if receiver.ssrc.is_some() {
            self.far_ssrc = receiver.ssrc;
        }
    }

    fn sent(&mut self, now: Instant, packets: Vec<RtcpPacket>) -> Vec<u8> {
        // Lengths were checked (CNAME at construction, reason cut), so encoding cannot fail.
        let datagram = encode_compound(&packets).unwrap_or_default();
        self.average_in(datagram.len());
        self.last_sent = now;
        self.initial = false;
        datagram
    }

    /// avg_rtcp_size = 1/16 × size + 15/16 × avg, UDP/IP headers included (RFC 3550 §6.3.3).
    fn average_in(&mut self, len: usize) {
        self.avg_rtcp_size += ((len + UDP_IPV4_OVERHEAD) as f64 - self.avg_rtcp_size) / 16.0;
    }

    fn interval(&mut self) -> Duration {
        let members = 1 + u32::from(self.far_ssrc.is_some());
        let params = IntervalParams {
            members,
            senders: u32::from(self.we_sent) + u32::from(self.far_sent),
            rtcp_bandwidth: self.config.session_bandwidth * RTCP_BANDWIDTH_FRACTION,
            we_sent: self.we_sent,
            avg_rtcp_size: self.avg_rtcp_size,
            initial: self.initial,
        };
        params.randomised(&mut self.rng)
    }
}

/// The longest prefix of `s` of at most `max` octets that ends on a character boundary.
fn truncate_at_char(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}
