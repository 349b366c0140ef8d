//! The 7940's `call_stats: 1` headers: RTP statistics carried in BYE and in its 200 OK.
//!
//! ```text
//!  RtpReceiver + time since its first packet ──▶ RxStat ──▶ RTP-RxStat header value
//!      "Dur=35,Pkt=1732,Oct=277120,LatePkt=0,LostPkt=3,AvgJit=12"
//!  RtpSender   + time since its first packet ──▶ TxStat ──▶ RTP-TxStat header value
//!      "Dur=35,Pkt=1750,Oct=280000"
//! ```
//!
//! Field meanings follow the Cisco 7940/7960 SIP administration guide (`call_stats`):
//! * `Dur`: whole seconds since reception / transmission began;
//! * `Pkt`: RTP packets received / sent; `Oct`: RTP *payload* octets (no RTP header);
//! * `LatePkt`: late packets received; `LostPkt`: lost packets, late ones not included;
//! * `AvgJit`: the RFC 1889/3550 interarrival jitter estimate, **in timestamp units** (the
//!   guide's wording; 8 units = 1 ms at 8 kHz).
//!
//! All values are integers. Formatting is pure: the figures come from the caller.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use super::rtp::{RtpReceiver, RtpSender};

/// Header name of the receive statistics.
pub const RX_STAT_HEADER: &str = "RTP-RxStat";
/// Header name of the transmit statistics.
pub const TX_STAT_HEADER: &str = "RTP-TxStat";

/// What the `RTP-RxStat` header reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RxStat {
    /// Whole seconds since the first packet was received.
    pub duration_secs: u64,
    /// RTP packets received.
    pub packets: u64,
    /// RTP payload octets received.
    pub octets: u64,
    /// Packets that arrived too late to play.
    pub late: u64,
    /// Packets lost (expected − received; late packets count as received, so not as lost).
    pub lost: u64,
    /// Interarrival jitter in timestamp units.
    pub avg_jitter: u32,
}

/// What the `RTP-TxStat` header reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TxStat {
    /// Whole seconds since the first packet was sent.
    pub duration_secs: u64,
    /// RTP packets sent.
    pub packets: u64,
    /// RTP payload octets sent.
    pub octets: u64,
}

impl RxStat {
    /// The figures of a receiver that has been receiving for `receiving`.
    pub fn from_receiver(rx: &RtpReceiver, receiving: Duration) -> RxStat {
        let c = rx.counters();
        RxStat {
            duration_secs: receiving.as_secs(),
            packets: c.received,
            octets: c.payload_bytes,
            late: c.late,
            lost: u64::try_from(rx.lost()).unwrap_or(0),
            avg_jitter: rx.jitter(),
        }
    }
}

impl TxStat {
    /// The figures of a sender that has been sending for `sending`.
    pub fn from_sender(tx: &RtpSender, sending: Duration) -> TxStat {
        let c = tx.counters();
        TxStat { duration_secs: sending.as_secs(), packets: c.packets, octets: c.payload_bytes }
    }
}

/// The header value, e.g. `Dur=35,Pkt=1732,Oct=277120,LatePkt=0,LostPkt=3,AvgJit=12`.
impl fmt::Display for RxStat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Dur={},Pkt={},Oct={},LatePkt={},LostPkt={},AvgJit={}",
            self.duration_secs, self.packets, self.octets, self.late, self.lost, self.avg_jitter
        )
    }
}

/// The header value, e.g. `Dur=35,Pkt=1750,Oct=280000`.
impl fmt::Display for TxStat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dur={},Pkt={},Oct={}", self.duration_secs, self.packets, self.octets)
    }
}

/// Both headers as (name, value) pairs, receive first, ready for a BYE or its 200 OK.
pub fn call_stats_headers(rx: &RxStat, tx: &TxStat) -> [(&'static str, String); 2] {
    [(RX_STAT_HEADER, rx.to_string()), (TX_STAT_HEADER, tx.to_string())]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::g711::Law;
    use super::super::rtp::ReceiverConfig;
    use super::*;

    #[test]
    fn formats_exactly_the_7940_fields() {
        let rx =
            RxStat { duration_secs: 35, packets: 1732, octets: 277_120, late: 2, lost: 3, avg_jitter: 12 };
        let tx = TxStat { duration_secs: 35, packets: 1750, octets: 280_000 };
        assert_eq!(rx.to_string(), "Dur=35,Pkt=1732,Oct=277120,LatePkt=2,LostPkt=3,AvgJit=12");
        assert_eq!(tx.to_string(), "Dur=35,Pkt=1750,Oct=280000");
        let [(rn, rv), (tn, tv)] = call_stats_headers(&rx, &tx);
        assert_eq!((rn, tn), ("RTP-RxStat", "RTP-TxStat"));
        assert_eq!(
            (rv.as_str(), tv.as_str()),
            ("Dur=35,Pkt=1732,Oct=277120,LatePkt=2,LostPkt=3,AvgJit=12", "Dur=35,Pkt=1750,Oct=280000")
        );
    }

    #[test]
    fn figures_from_a_stream_with_one_loss() {
        let mut tx = RtpSender::with_initial(9, 100, 0, 0).unwrap();
        let mut rx = RtpReceiver::new(ReceiverConfig::g711(Law::Ulaw));
        for i in 0..50u32 {
            let p = tx.build(&[0xFF; 160]).unwrap();
            // Packet 10 lost; odd packets arrive 8 ticks (1 ms) late.
            if i != 10 {
                rx.receive(&p, i * 160 + (i % 2) * 8).unwrap();
            }
        }
        let r = RxStat::from_receiver(&rx, Duration::from_millis(1999));
        assert_eq!((r.duration_secs, r.packets, r.octets, r.lost, r.late), (1, 49, 49 * 160, 1, 0));
        assert!(r.avg_jitter > 0 && r.avg_jitter <= 8, "{}", r.avg_jitter);
        let t = TxStat::from_sender(&tx, Duration::from_secs(1));
        assert_eq!(t.to_string(), "Dur=1,Pkt=50,Oct=8000");
    }
}
