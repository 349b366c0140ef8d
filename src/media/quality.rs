//! Call quality as an ITU-T G.107 E-model estimate: transmission rating R and MOS for one
//! direction of a call, from its codec, packet loss and mouth-to-ear delay.
//!
//! ```text
//!  R = Ro − Is − Id − Ie,eff + A                    MOS = f(R)   (G.107 Annex B)
//!      └──┬──┘  │    │         └ A = 0 (no advantage factor for a desk phone)
//!  94.77 − 1.41 │    └ Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl)      loss
//!   (defaults)  └ Idte(T = Ta) + Idle(Tr = 2·Ta) + Idd(Ta)              delay, echo
//! ```
//!
//! # What is modelled
//!
//! * `Ro` and `Is` are computed once from G.107's default parameters (SLR 8, RLR 2,
//!   STMR 15, LSTR 18, Ds = Dr = 3, Nc −70 dBm0p, Nfor −64 dBmp, Ps = Pr = 35 dB(A), qdu 1):
//!   Ro = 94.769, Is = 1.414. They do not depend on the network.
//! * `Id` is the full G.107 delay impairment with default echo parameters: talker echo
//!   `Idte` with TELR 65 dB and echo-path delay T = Ta, listener echo `Idle` with WEPL
//!   110 dB and round trip Tr = 2·Ta, and the absolute-delay term `Idd` (zero up to 100 ms).
//!   At Ta = 0 these give R = 93.2, G.107's default rating.
//! * `Ie,eff` uses the codec's Ie and packet-loss robustness Bpl (G.113 Appendix I) and the
//!   burst ratio BurstR: 1 for random loss, or `L × (1 − Ppl)` from the mean length L of
//!   loss runs (the two-state Markov model G.107 assumes).
//! * MOS = 1 + 0.035R + R(R − 60)(100 − R)·7·10⁻⁶, held within [1, 4.5] (the polynomial
//!   dips just below 1 for 0 < R < 6.5).

use serde::Serialize;

/// Ro from G.107 default parameters (basic signal-to-noise ratio).
pub const RO_DEFAULT: f64 = 94.768_8;
/// Is from G.107 default parameters (simultaneous impairments).
pub const IS_DEFAULT: f64 = 1.413_6;
/// Talker echo loudness rating, dB (G.107 default).
pub const TELR_DEFAULT: f64 = 65.0;
/// Weighted echo path loss, dB (G.107 default).
pub const WEPL_DEFAULT: f64 = 110.0;
/// Noise floor No (dBm0p) derived from the default noise parameters; used by Idte.
const NO_DEFAULT: f64 = -61.179;
/// Assumed codec and device processing delay added to a one-way estimate, ms.
pub const PROCESSING_DELAY_MS: f64 = 5.0;

/// A codec as the E-model sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Codec {
    /// G.711 μ-law.
    Pcmu,
    /// G.711 A-law.
    Pcma,
    /// Opus: figures are an estimate, see [`Codec::impairment`].
    Opus,
}

/// A codec's equipment impairment and loss robustness.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CodecImpairment {
    /// Equipment impairment factor Ie.
    pub ie: f64,
    /// Packet-loss robustness factor Bpl.
    pub bpl: f64,
    /// True if the figures are not from G.113.
    pub estimate: bool,
}

impl Codec {
    /// Ie and Bpl. G.711 (G.113 Appendix I): Ie 0; Bpl 25.1 with packet-loss concealment
    /// (G.711 Appendix I), 4.3 without. Opus has no G.113 entry; it is given G.711-with-PLC
    /// figures (Ie 0, Bpl 25.1, built-in concealment) and marked as an estimate.
    pub fn impairment(self, plc: bool) -> CodecImpairment {
        match self {
            Codec::Pcmu | Codec::Pcma => {
                CodecImpairment { ie: 0.0, bpl: if plc { 25.1 } else { 4.3 }, estimate: false }
            }
            Codec::Opus => CodecImpairment { ie: 0.0, bpl: 25.1, estimate: true },
        }
    }
}

/// What one direction of a call looked like.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct QualityInput {
    /// The codec.
    pub codec: Codec,
    /// True if the receiver conceals lost packets (rather than playing silence).
    pub plc: bool,
    /// Packets lost or discarded as late, as a percentage of those expected.
    pub loss_percent: f64,
    /// Mouth-to-ear one-way delay Ta, ms (see [`one_way_delay_ms`]).
    pub delay_ms: f64,
    /// Mean length of loss runs in packets, if measured; `None` means random loss.
    pub mean_loss_burst: Option<f64>,
}

/// The estimate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Quality {
    /// Transmission rating R.
    pub r: f64,
    /// Mean opinion score (conversational quality, 1–4.5).
    pub mos: f64,
    /// Loss used, %.
    pub loss_percent: f64,
    /// One-way delay used, ms.
    pub delay_ms: f64,
    /// Burst ratio used.
    pub burst_ratio: f64,
    /// Delay impairment Id.
    pub id: f64,
    /// Effective equipment impairment Ie,eff.
    pub ie_eff: f64,
    /// The codec.
    pub codec: Codec,
    /// True if the codec figures are an estimate.
    pub estimate: bool,
}

/// Mouth-to-ear delay: half the RTCP round trip, the jitter buffer, one packet time and
/// [`PROCESSING_DELAY_MS`].
pub fn one_way_delay_ms(rtt_ms: f64, jitter_buffer_ms: f64, ptime_ms: f64) -> f64 {
    finite_non_negative(rtt_ms) / 2.0
        + finite_non_negative(jitter_buffer_ms)
        + finite_non_negative(ptime_ms)
        + PROCESSING_DELAY_MS
}

/// The E-model estimate for one direction.
pub fn estimate(input: &QualityInput) -> Quality {
    let loss = finite_non_negative(input.loss_percent).min(100.0);
    let delay = finite_non_negative(input.delay_ms);
    let burst = burst_ratio(loss, input.mean_loss_burst);
    let codec = input.codec.impairment(input.plc);
    let id = delay_impairment(delay);
    let ie_eff = effective_equipment_impairment(codec.ie, codec.bpl, loss, burst);
    let r = RO_DEFAULT - IS_DEFAULT - id - ie_eff;
    Quality {
        r,
        mos: mos_from_r(r),
        loss_percent: loss,
        delay_ms: delay,
        burst_ratio: burst,
        id,
        ie_eff,
        codec: input.codec,
        estimate: codec.estimate,
    }
}

/// MOS from R (G.107 Annex B), held within [1, 4.5].
pub fn mos_from_r(r: f64) -> f64 {
    if r.is_nan() || r <= 0.0 {
        return 1.0;
    }
    if r >= 100.0 {
        return 4.5;
    }
    (1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7.0e-6).clamp(1.0, 4.5)
}

/// Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl).
pub fn effective_equipment_impairment(ie: f64, bpl: f64, loss_percent: f64, burst_ratio: f64) -> f64 {
    let denominator = loss_percent / burst_ratio.max(f64::MIN_POSITIVE) + bpl;
    if denominator <= 0.0 {
        return ie;
    }
    ie + (95.0 - ie) * loss_percent / denominator
}

/// BurstR: 1 for random loss; `L × (1 − Ppl/100)` from the mean loss-run length L.
pub fn burst_ratio(loss_percent: f64, mean_loss_burst: Option<f64>) -> f64 {
    match mean_loss_burst {
        Some(l) if l.is_finite() && l >= 1.0 && loss_percent < 100.0 => {
            (l * (1.0 - loss_percent / 100.0)).max(0.01)
        }
        _ => 1.0,
    }
}

/// Id = Idte + Idle + Idd for a one-way delay `ta_ms`, with T = Ta and Tr = 2·Ta.
pub fn delay_impairment(ta_ms: f64) -> f64 {
    let ta = finite_non_negative(ta_ms);
    talker_echo_impairment(ta) + listener_echo_impairment(2.0 * ta) + absolute_delay_impairment(ta)
}

/// Idd (G.107 §7.4, default mT = 100 ms, sT = 1): 0 up to 100 ms.
pub fn absolute_delay_impairment(ta_ms: f64) -> f64 {
    if ta_ms <= 100.0 {
        return 0.0;
    }
    let x = (ta_ms / 100.0).log2();
    25.0 * ((1.0 + x.powi(6)).powf(1.0 / 6.0) - 3.0 * (1.0 + (x / 3.0).powi(6)).powf(1.0 / 6.0) + 2.0)
}

/// Idte, talker echo, for echo-path delay `t_ms` with TELR 65 dB (STMR 15 dB, so no Ist
/// correction).
pub fn talker_echo_impairment(t_ms: f64) -> f64 {
    let terv = TELR_DEFAULT - 40.0 * ((1.0 + t_ms / 10.0) / (1.0 + t_ms / 150.0)).log10()
        + 6.0 * (-0.3 * t_ms * t_ms).exp();
    let roe = -1.5 * (NO_DEFAULT - 2.0);
    let re = 80.0 + 2.5 * (terv - 14.0);
    let d = roe - re;
    (d / 2.0 + (d * d / 4.0 + 100.0).sqrt() - 1.0) * (1.0 - (-t_ms).exp())
}

/// Idle, listener echo, for round-trip delay `tr_ms` with WEPL 110 dB.
pub fn listener_echo_impairment(tr_ms: f64) -> f64 {
    let rle = 10.5 * (WEPL_DEFAULT + 7.0) * (tr_ms + 1.0).powf(-0.25);
    let d = RO_DEFAULT - rle;
    d / 2.0 + (d * d / 4.0 + 169.0).sqrt()
}

fn finite_non_negative(v: f64) -> f64 {
    if v.is_finite() { v.max(0.0) } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn g711(loss_percent: f64, delay_ms: f64) -> Quality {
        estimate(&QualityInput {
            codec: Codec::Pcmu,
            plc: true,
            loss_percent,
            delay_ms,
            mean_loss_burst: None,
        })
    }

    #[test]
    fn defaults_give_93_2() {
        let q = g711(0.0, 0.0);
        assert!((q.r - 93.2).abs() < 0.05, "{}", q.r);
        assert!((q.mos - 4.41).abs() < 0.005, "{}", q.mos);
        assert!(!q.estimate);
        assert_eq!(q.ie_eff, 0.0);
    }

    #[test]
    fn five_percent_random_loss_with_plc() {
        // Ie,eff = 95 × 5 / (5 + 25.1) = 15.78; R = 93.21 − 15.78 = 77.43; MOS 3.92.
        let q = g711(5.0, 0.0);
        assert!((q.ie_eff - 15.78).abs() < 0.01, "{}", q.ie_eff);
        assert!((q.r - 77.43).abs() < 0.05, "{}", q.r);
        assert!((q.mos - 3.92).abs() < 0.01, "{}", q.mos);
        // Without concealment the same loss costs far more: 95 × 5 / 9.3 = 51.1.
        let no_plc = estimate(&QualityInput {
            plc: false,
            ..QualityInput {
                codec: Codec::Pcma,
                plc: true,
                loss_percent: 5.0,
                delay_ms: 0.0,
                mean_loss_burst: None,
            }
        });
        assert!((no_plc.ie_eff - 51.08).abs() < 0.01, "{}", no_plc.ie_eff);
    }

    #[test]
    fn idd_at_300_ms() {
        // X = log2 3 = 1.585: 25 × ((1 + X⁶)^⅙ − 3(1 + (X/3)⁶)^⅙ + 2) = 14.76.
        assert!((absolute_delay_impairment(300.0) - 14.76).abs() < 0.01);
        assert_eq!(absolute_delay_impairment(100.0), 0.0);
        let drop = g711(0.0, 0.0).r - g711(0.0, 300.0).r;
        let echo =
            talker_echo_impairment(300.0) + listener_echo_impairment(600.0) - listener_echo_impairment(0.0);
        assert!((drop - (absolute_delay_impairment(300.0) + echo)).abs() < 1e-9);
        // R ≈ 72.7 at 300 ms, ≈ 89.5 at 150 ms (G.114's curve shows about 90 there).
        assert!((g711(0.0, 300.0).r - 72.67).abs() < 0.05);
        assert!((g711(0.0, 150.0).r - 89.54).abs() < 0.05);
    }

    #[test]
    fn bursty_loss_hurts_more() {
        assert_eq!(burst_ratio(5.0, None), 1.0);
        assert!((burst_ratio(5.0, Some(3.0)) - 2.85).abs() < 1e-12);
        let bursty = estimate(&QualityInput {
            codec: Codec::Pcmu,
            plc: true,
            loss_percent: 5.0,
            delay_ms: 0.0,
            mean_loss_burst: Some(3.0),
        });
        // 95 × 5 / (5 / 2.85 + 25.1) = 17.69 against 15.78 for random loss.
        assert!((bursty.ie_eff - 17.69).abs() < 0.01, "{}", bursty.ie_eff);
        assert!(bursty.r < g711(5.0, 0.0).r - 1.5, "{}", bursty.r);
    }

    #[test]
    fn mos_ends_and_bad_inputs() {
        assert_eq!(mos_from_r(-5.0), 1.0);
        assert_eq!(mos_from_r(3.0), 1.0); // the polynomial's dip below 1 is held at 1
        assert_eq!(mos_from_r(120.0), 4.5);
        assert_eq!(mos_from_r(f64::NAN), 1.0);
        let q = g711(f64::NAN, -3.0);
        assert_eq!((q.loss_percent, q.delay_ms), (0.0, 0.0));
        assert_eq!(g711(250.0, 0.0).loss_percent, 100.0);
        assert!(Codec::Opus.impairment(true).estimate);
        assert!((one_way_delay_ms(80.0, 40.0, 20.0) - 105.0).abs() < 1e-12);
        assert!(serde_json::to_string(&q).unwrap_or_default().contains("\"mos\":"));
    }

    proptest! {
        #[test]
        fn monotonic_in_loss_and_delay(
            l1 in 0.0f64..100.0,
            l2 in 0.0f64..100.0,
            d1 in 0.0f64..1000.0,
            d2 in 0.0f64..1000.0,
        ) {
            let (la, lb) = (l1.min(l2), l1.max(l2));
            let (da, db) = (d1.min(d2), d1.max(d2));
            let better = g711(la, da);
            let worse = g711(lb, db);
            prop_assert!(worse.r <= better.r + 1e-9, "{} {}", worse.r, better.r);
            prop_assert!(worse.mos <= better.mos + 1e-12);
            prop_assert!(g711(lb, da).r <= better.r + 1e-9);
            prop_assert!(g711(la, db).r <= better.r + 1e-9);
            prop_assert!((1.0..=4.5).contains(&worse.mos));
        }
    }
}
