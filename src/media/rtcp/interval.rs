//! How often to send RTCP (RFC 3550 §6.2, §6.3.1, App. A.7), for a small session.
//!
//! ```text
//!  session bandwidth ×5 % ─▶ RTCP bandwidth ─┬─ senders ≤ 25 % of members? we_sent → ×25 %, n = senders
//!                                            │                             else   → ×75 %, n = receivers
//!  T = max(avg RTCP size × n / bandwidth, Tmin)        Tmin = 5 s (2.5 s before our first packet)
//!  interval = T × U[0.5, 1.5] / (e − 3/2)
//! ```
//!
//! For a G.711 call the session bandwidth is 80 kbit/s (see [`g711_session_bandwidth`]), its
//! 5 % is 500 octets/s, and two members with ~100-octet packets need 0.4 s: the minimum
//! dominates, so reports go out every 2.05–6.16 s (1.03–3.08 s for the first).

use std::time::Duration;

use rand::RngExt;

/// Share of the session bandwidth given to RTCP.
pub const RTCP_BANDWIDTH_FRACTION: f64 = 0.05;
/// Share of the RTCP bandwidth given to senders when they are few.
pub const SENDER_BANDWIDTH_FRACTION: f64 = 0.25;
/// Minimum deterministic interval, in seconds.
pub const RTCP_MIN_TIME_SECS: f64 = 5.0;
/// Divisor compensating for timer reconsideration converging low: e − 3/2.
pub const COMPENSATION: f64 = std::f64::consts::E - 1.5;
/// UDP (8) and IPv4 (20) headers, counted in RTCP packet sizes and session bandwidth.
pub const UDP_IPV4_OVERHEAD: usize = 28;
/// RTP fixed header length, for bandwidth arithmetic.
const RTP_HEADER: f64 = 12.0;

/// Session bandwidth of one G.711 stream in octets per second: 8000 payload octets per
/// second plus RTP/UDP/IPv4 headers per packet (20 ms → 200-octet packets, 10 000 octets/s
/// = 80 kbit/s).
pub fn g711_session_bandwidth(ptime: Duration) -> f64 {
    let secs = ptime.as_secs_f64();
    if secs <= 0.0 {
        return 8000.0;
    }
    let payload = 8000.0 * secs;
    (payload + RTP_HEADER + UDP_IPV4_OVERHEAD as f64) / secs
}

/// Inputs of the interval computation (App. A.7 `rtcp_interval`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IntervalParams {
    /// Members of the session, including us.
    pub members: u32,
    /// Members that sent RTP recently, including us if we did.
    pub senders: u32,
    /// RTCP bandwidth in octets per second (5 % of the session bandwidth).
    pub rtcp_bandwidth: f64,
    /// True if we sent RTP since the report before last.
    pub we_sent: bool,
    /// Running average RTCP packet size in octets, UDP/IP headers included.
    pub avg_rtcp_size: f64,
    /// True until we have sent our first RTCP packet.
    pub initial: bool,
}

impl IntervalParams {
    /// The deterministic interval T before randomisation, in seconds.
    pub fn deterministic_secs(&self) -> f64 {
        let min = if self.initial { RTCP_MIN_TIME_SECS / 2.0 } else { RTCP_MIN_TIME_SECS };
        let mut bandwidth = self.rtcp_bandwidth;
        let mut n = f64::from(self.members.max(1));
        if f64::from(self.senders) <= f64::from(self.members) * SENDER_BANDWIDTH_FRACTION {
            if self.we_sent {
                bandwidth *= SENDER_BANDWIDTH_FRACTION;
                n = f64::from(self.senders.max(1));
            } else {
                bandwidth *= 1.0 - SENDER_BANDWIDTH_FRACTION;
                n = f64::from(self.members.saturating_sub(self.senders).max(1));
            }
        }
        if bandwidth.is_nan() || bandwidth <= 0.0 {
            return min;
        }
        (self.avg_rtcp_size * n / bandwidth).max(min)
    }

    /// The interval to the next report: T × U[0.5, 1.5] / (e − 3/2).
    pub fn randomised(&self, rng: &mut impl RngExt) -> Duration {
        let factor: f64 = rng.random_range(0.5..1.5);
        Duration::from_secs_f64(self.deterministic_secs() * factor / COMPENSATION)
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn two_party(initial: bool) -> IntervalParams {
        IntervalParams {
            members: 2,
            senders: 2,
            rtcp_bandwidth: g711_session_bandwidth(Duration::from_millis(20)) * RTCP_BANDWIDTH_FRACTION,
            we_sent: true,
            avg_rtcp_size: 100.0,
            initial,
        }
    }

    #[test]
    fn g711_bandwidth_is_80_kbit() {
        assert!((g711_session_bandwidth(Duration::from_millis(20)) * 8.0 - 80_000.0).abs() < 1e-6);
        // 30 ms packets carry the same headers less often.
        assert!((g711_session_bandwidth(Duration::from_millis(30)) * 8.0 - 74_666.67).abs() < 0.01);
    }

    #[test]
    fn minimum_dominates_a_g711_call() {
        assert_eq!(two_party(true).deterministic_secs(), 2.5);
        assert_eq!(two_party(false).deterministic_secs(), 5.0);
        // A starved session is limited by bandwidth instead: 100 × 2 / 10 = 20 s.
        let slow = IntervalParams { rtcp_bandwidth: 10.0, ..two_party(false) };
        assert_eq!(slow.deterministic_secs(), 20.0);
    }

    #[test]
    fn few_senders_share_a_quarter() {
        // 1 sender of 8 members: a sender gets 25 % of the bandwidth, n = 1.
        let p = IntervalParams { members: 8, senders: 1, rtcp_bandwidth: 40.0, ..two_party(false) };
        assert_eq!(p.deterministic_secs(), 100.0 / 10.0);
        // A receiver gets 75 % shared among 7.
        let r = IntervalParams { we_sent: false, ..p };
        assert!((r.deterministic_secs() - 100.0 * 7.0 / 30.0).abs() < 1e-9);
    }

    #[test]
    fn randomised_within_bounds() {
        let mut lo = f64::MAX;
        let mut hi = 0.0f64;
        for seed in 0..2000 {
            let mut rng = StdRng::seed_from_u64(seed);
            let t = two_party(false).randomised(&mut rng).as_secs_f64();
            lo = lo.min(t);
            hi = hi.max(t);
        }
        assert!(lo >= 2.5 / COMPENSATION && hi <= 7.5 / COMPENSATION, "{lo} {hi}");
        // The draws spread over most of the range.
        assert!(lo < 2.2 && hi > 6.0, "{lo} {hi}");
    }
}
