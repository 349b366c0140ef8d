//! G.711 companding: μ-law (RTP payload PCMU, type 0) and A-law (PCMA, type 8).
//!
//! Samples are 16-bit two's-complement linear PCM, left-justified: μ-law looks at the top
//! 14 bits of a sample and A-law at the top 13, so the low 2 (μ-law) or 3 (A-law) bits never
//! change the code. Decoded samples come back left-justified too, so μ-law output is always a
//! multiple of 4 and A-law output a multiple of 8.
//!
//! # Sign and magnitude (why there is an oracle test)
//!
//! G.711 codes are sign/magnitude numbers, while PCM samples are two's complement. The
//! reference implementation in ITU-T G.191 (the STL) turns a negative sample `x` into the
//! magnitude `-x - 1`, i.e. the bitwise complement `!x`, *before* it quantises. A widely
//! copied encoder family (Sun's `g711.c`, and the code derived from it in many VoIP stacks
//! and in CPython's old `audioop`) instead negates the sample after dropping the low bits.
//! The two disagree only for small steps of negative μ-law input right on a quantiser
//! boundary — 508 of the 65 536 inputs, e.g. `-1` gives `0x7F` here but `0x7E` there, and
//! `-100` gives `0x73` rather than `0x72` — so the error is easy to miss by listening and
//! only shows up on quiet signals. This module follows the STL exactly; the integration
//! tests check every input against digests of the ITU vectors and show that the Sun-style
//! variant would fail them. A-law uses `!x` in both families, so it has no such cases.
//!
//! # Implementation
//!
//! Decoding is a lookup in a 256-entry table that a `const fn` fills at compile time.
//! All scalar encode/decode functions are `const fn`.
//! Encoding is a lookup in a table indexed by the significant input bits (16 384 entries
//! for μ-law, 8 192 for A-law), also built at compile time from the straight-line
//! computations [`ulaw_encode_compute`] and [`alaw_encode_compute`]; the benchmark in
//! `benches/g711.rs` compares the computation, these tables and a full 64 KiB table.
//!
//! # Canonical codes
//!
//! Every A-law code round-trips: `encode_alaw(decode_alaw(c)) == c` for all 256 codes,
//! because A-law has no zero level (`0xD5` → +8, `0x55` → −8). μ-law has two codes for
//! zero: `0xFF` (+0) and `0x7F` (−0); both decode to 0 and the encoder emits `0xFF` for 0,
//! so `0x7F` is the only non-canonical μ-law code and `encode_ulaw(decode_ulaw(0x7F)) ==
//! 0xFF`. The encoder still *produces* `0x7F`, for inputs −1…−4 (see above).

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

/// μ-law magnitude clip level in 16-bit units (8159 in 14-bit units, less the bias).
const ULAW_CLIP: u16 = 32_635;
/// μ-law bias added to the magnitude before the segment search (33 in 14-bit units).
const ULAW_BIAS: u16 = 0x84;

/// Number of entries in the μ-law encode table: one per distinct top-14-bit input value.
const ULAW_ENCODE_LEN: usize = 1 << 14;
/// Number of entries in the A-law encode table: one per distinct top-13-bit input value.
const ALAW_ENCODE_LEN: usize = 1 << 13;

/// The μ-law code for silence (+0).
pub const ULAW_SILENCE: u8 = 0xFF;
/// The A-law code closest to silence (+8; A-law has no exact zero).
pub const ALAW_SILENCE: u8 = 0xD5;

/// Encodes one sample to μ-law by direct computation (no table).
///
/// Gives the same result as [`encode_ulaw`] for every input; it is the definition the
/// encode table is built from, and is handy in `const` contexts.
pub const fn ulaw_encode_compute(x: i16) -> u8 {
    // Sign/magnitude with the one's complement for negatives: `!x` is `-x - 1`, never
    // overflows, and is what G.191 does. `mask` folds in both the sign bit and the final
    // inversion of all bits.
    let (mag, mask) = if x < 0 { (!x as u16, 0x7F) } else { (x as u16, 0xFF) };
    let mag = if mag > ULAW_CLIP { ULAW_CLIP } else { mag } + ULAW_BIAS;
    // `mag` is in 132..=32767, so its top set bit is bit 7..=14: that gives segment 0..=7.
    let seg = (15 - mag.leading_zeros() as u16) - 7;
    let mantissa = (mag >> (seg + 3)) & 0x0F;
    ((seg << 4) | mantissa) as u8 ^ mask
}

/// Decodes one μ-law code by direct computation (no table).
///
/// Gives the same result as [`decode_ulaw`]; used to build the decode table.
pub const fn ulaw_decode_compute(code: u8) -> i16 {
    let c = !code;
    let seg = (c >> 4) & 0x07;
    let mantissa = (c & 0x0F) as i16;
    // Largest value: ((15 << 3) + 132) << 7 = 32256, which fits an i16.
    let t = ((mantissa << 3) + ULAW_BIAS as i16) << seg;
    if c & 0x80 == 0 { t - ULAW_BIAS as i16 } else { ULAW_BIAS as i16 - t }
}

/// Encodes one sample to A-law by direct computation (no table).
///
/// Gives the same result as [`encode_alaw`] for every input; it is the definition the
/// encode table is built from.
pub const fn alaw_encode_compute(x: i16) -> u8 {
    // Same one's-complement magnitude as μ-law; 0xD5 / 0x55 combine the sign bit with the
    // inversion of the even bits that A-law transmits.
    let (mag, mask) = if x < 0 { (!x as u16, 0x55) } else { (x as u16, 0xD5) };
    let m13 = mag >> 3; // 0..=4095
    let (seg, mantissa) = if m13 < 32 {
        (0, m13 >> 1)
    } else {
        // Top set bit is bit 5..=11, giving segment 1..=7.
        let seg = (15 - m13.leading_zeros() as u16) - 4;
        (seg, (m13 >> seg) & 0x0F)
    };
    ((seg << 4) | mantissa) as u8 ^ mask
}

/// Decodes one A-law code by direct computation (no table).
///
/// Gives the same result as [`decode_alaw`]; used to build the decode table.
pub const fn alaw_decode_compute(code: u8) -> i16 {
    let c = code ^ 0x55;
    let seg = (c >> 4) & 0x07;
    let mut t = ((c & 0x0F) as i16) << 4;
    if seg == 0 {
        t += 8;
    } else {
        // Largest value: (240 + 264) << 6 = 32256.
        t = (t + 0x108) << (seg - 1);
    }
    if c & 0x80 != 0 { t } else { -t }
}

/// Builds a decode table from a per-code function at compile time.
#[allow(clippy::indexing_slicing)] // `i` < 256 = table length.
const fn build_decode_table(ulaw: bool) -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = if ulaw { ulaw_decode_compute(i as u8) } else { alaw_decode_compute(i as u8) };
        i += 1;
    }
    table
}

/// Builds an encode table indexed by the top `bits` bits of the sample's bit pattern.
#[allow(clippy::indexing_slicing)] // `i` < N = table length.
const fn build_encode_table<const N: usize>(ulaw: bool) -> [u8; N] {
    let shift = 16 - N.trailing_zeros();
    let mut table = [0u8; N];
    let mut i = 0;
    while i < N {
        // Representative input: the top bits are `i`, the low bits zero. The low bits do
        // not affect the code (see the module docs), so any representative would do.
        let x = (i << shift) as u16 as i16;
        table[i] = if ulaw { ulaw_encode_compute(x) } else { alaw_encode_compute(x) };
        i += 1;
    }
    table
}

/// μ-law decode table: entry `c` is the 16-bit linear value of code `c`.
pub const ULAW_DECODE_TABLE: [i16; 256] = build_decode_table(true);
/// A-law decode table: entry `c` is the 16-bit linear value of code `c`.
pub const ALAW_DECODE_TABLE: [i16; 256] = build_decode_table(false);

/// μ-law encode table indexed by the top 14 bits of the sample's bit pattern.
static ULAW_ENCODE_TABLE: [u8; ULAW_ENCODE_LEN] = build_encode_table(true);
/// A-law encode table indexed by the top 13 bits of the sample's bit pattern.
static ALAW_ENCODE_TABLE: [u8; ALAW_ENCODE_LEN] = build_encode_table(false);

/// Encodes one 16-bit linear sample to a μ-law code (G.711, bit-exact to G.191).
#[inline]
#[allow(clippy::indexing_slicing)] // index is a 14-bit value < 16384 = table length.
pub const fn encode_ulaw(x: i16) -> u8 {
    ULAW_ENCODE_TABLE[(x as u16 >> 2) as usize]
}

/// Decodes one μ-law code to a 16-bit linear sample (a multiple of 4, within ±32124).
#[inline]
#[allow(clippy::indexing_slicing)] // a u8 index cannot exceed the 256-entry table.
pub const fn decode_ulaw(code: u8) -> i16 {
    ULAW_DECODE_TABLE[code as usize]
}

/// Encodes one 16-bit linear sample to an A-law code (G.711, bit-exact to G.191).
#[inline]
#[allow(clippy::indexing_slicing)] // index is a 13-bit value < 8192 = table length.
pub const fn encode_alaw(x: i16) -> u8 {
    ALAW_ENCODE_TABLE[(x as u16 >> 3) as usize]
}

/// Decodes one A-law code to a 16-bit linear sample (a multiple of 8, within ±32256).
#[inline]
#[allow(clippy::indexing_slicing)] // a u8 index cannot exceed the 256-entry table.
pub const fn decode_alaw(code: u8) -> i16 {
    ALAW_DECODE_TABLE[code as usize]
}

/// Appends the μ-law codes of `input` to `out` (one byte per sample; `out` is not cleared).
pub fn encode_ulaw_into(input: &[i16], out: &mut Vec<u8>) {
    out.extend(input.iter().map(|&x| encode_ulaw(x)));
}

/// Appends the linear samples decoded from μ-law `input` to `out` (`out` is not cleared).
pub fn decode_ulaw_into(input: &[u8], out: &mut Vec<i16>) {
    out.extend(input.iter().map(|&c| decode_ulaw(c)));
}

/// Appends the A-law codes of `input` to `out` (one byte per sample; `out` is not cleared).
pub fn encode_alaw_into(input: &[i16], out: &mut Vec<u8>) {
    out.extend(input.iter().map(|&x| encode_alaw(x)));
}

/// Appends the linear samples decoded from A-law `input` to `out` (`out` is not cleared).
pub fn decode_alaw_into(input: &[u8], out: &mut Vec<i16>) {
    out.extend(input.iter().map(|&c| decode_alaw(c)));
}

/// Encodes into a caller-owned buffer without allocating.
///
/// Converts `min(input.len(), out.len())` samples and returns that count.
pub fn encode_ulaw_to_slice(input: &[i16], out: &mut [u8]) -> usize {
    let n = input.len().min(out.len());
    for (o, &x) in out.iter_mut().zip(input) {
        *o = encode_ulaw(x);
    }
    n
}

/// Decodes into a caller-owned buffer without allocating.
///
/// Converts `min(input.len(), out.len())` codes and returns that count.
pub fn decode_ulaw_to_slice(input: &[u8], out: &mut [i16]) -> usize {
    let n = input.len().min(out.len());
    for (o, &c) in out.iter_mut().zip(input) {
        *o = decode_ulaw(c);
    }
    n
}

/// Encodes into a caller-owned buffer without allocating.
///
/// Converts `min(input.len(), out.len())` samples and returns that count.
pub fn encode_alaw_to_slice(input: &[i16], out: &mut [u8]) -> usize {
    let n = input.len().min(out.len());
    for (o, &x) in out.iter_mut().zip(input) {
        *o = encode_alaw(x);
    }
    n
}

/// Decodes into a caller-owned buffer without allocating.
///
/// Converts `min(input.len(), out.len())` codes and returns that count.
pub fn decode_alaw_to_slice(input: &[u8], out: &mut [i16]) -> usize {
    let n = input.len().min(out.len());
    for (o, &c) in out.iter_mut().zip(input) {
        *o = decode_alaw(c);
    }
    n
}

/// Selects one of the two G.711 laws at run time (e.g. from the negotiated payload type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Law {
    /// μ-law, RTP payload PCMU (static type 0).
    Ulaw,
    /// A-law, RTP payload PCMA (static type 8).
    Alaw,
}

impl Law {
    /// The static RTP payload type of this law (RFC 3551): 0 for PCMU, 8 for PCMA.
    pub const fn payload_type(self) -> u8 {
        match self {
            Law::Ulaw => 0,
            Law::Alaw => 8,
        }
    }

    /// The law for a static RTP payload type, if it is 0 (PCMU) or 8 (PCMA).
    pub const fn from_payload_type(pt: u8) -> Option<Law> {
        match pt {
            0 => Some(Law::Ulaw),
            8 => Some(Law::Alaw),
            _ => None,
        }
    }

    /// The code that decodes to (or nearest to) silence: `0xFF` for μ-law, `0xD5` for A-law.
    pub const fn silence(self) -> u8 {
        match self {
            Law::Ulaw => ULAW_SILENCE,
            Law::Alaw => ALAW_SILENCE,
        }
    }

    /// Encodes one sample with this law.
    #[inline]
    pub const fn encode(self, x: i16) -> u8 {
        match self {
            Law::Ulaw => encode_ulaw(x),
            Law::Alaw => encode_alaw(x),
        }
    }

    /// Decodes one code with this law.
    #[inline]
    pub const fn decode(self, code: u8) -> i16 {
        match self {
            Law::Ulaw => decode_ulaw(code),
            Law::Alaw => decode_alaw(code),
        }
    }

    /// The 256-entry decode table of this law.
    pub const fn decode_table(self) -> &'static [i16; 256] {
        match self {
            Law::Ulaw => &ULAW_DECODE_TABLE,
            Law::Alaw => &ALAW_DECODE_TABLE,
        }
    }

    /// Appends the codes of `input` to `out` (see [`encode_ulaw_into`]).
    pub fn encode_into(self, input: &[i16], out: &mut Vec<u8>) {
        match self {
            Law::Ulaw => encode_ulaw_into(input, out),
            Law::Alaw => encode_alaw_into(input, out),
        }
    }

    /// Appends the samples decoded from `input` to `out` (see [`decode_ulaw_into`]).
    pub fn decode_into(self, input: &[u8], out: &mut Vec<i16>) {
        match self {
            Law::Ulaw => decode_ulaw_into(input, out),
            Law::Alaw => decode_alaw_into(input, out),
        }
    }

    /// Encodes into a caller-owned buffer; returns the number of samples converted.
    pub fn encode_to_slice(self, input: &[i16], out: &mut [u8]) -> usize {
        match self {
            Law::Ulaw => encode_ulaw_to_slice(input, out),
            Law::Alaw => encode_alaw_to_slice(input, out),
        }
    }

    /// Decodes into a caller-owned buffer; returns the number of codes converted.
    pub fn decode_to_slice(self, input: &[u8], out: &mut [i16]) -> usize {
        match self {
            Law::Ulaw => decode_ulaw_to_slice(input, out),
            Law::Alaw => decode_alaw_to_slice(input, out),
        }
    }

    /// Width of the quantisation interval that contains decoded value of `code`, in 16-bit
    /// units (μ-law: 8, 16, …, 1024; A-law: 16, 16, 32, …, 1024).
    pub const fn step(self, code: u8) -> i32 {
        match self {
            Law::Ulaw => 8 << ((!code >> 4) & 0x07),
            Law::Alaw => {
                let seg = ((code ^ 0x55) >> 4) & 0x07;
                if seg == 0 { 16 } else { 16 << (seg - 1) }
            }
        }
    }
}

// Compile-time spot checks of the tables (values from g711.md).
const _: () = assert!(encode_ulaw(-1) == 0x7F && encode_ulaw(32767) == 0x80);
const _: () = assert!(encode_alaw(0) == 0xD5 && encode_alaw(-32768) == 0x2A);
const _: () = assert!(decode_ulaw(0x00) == -32124 && decode_alaw(0xAA) == 32256);

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
    use super::*;
    use proptest::prelude::*;

    fn all_inputs() -> impl Iterator<Item = i16> {
        i16::MIN..=i16::MAX
    }

    #[test]
    fn tables_match_computation_for_every_input() {
        for x in all_inputs() {
            assert_eq!(encode_ulaw(x), ulaw_encode_compute(x), "μ-law x={x}");
            assert_eq!(encode_alaw(x), alaw_encode_compute(x), "A-law x={x}");
        }
        for c in 0..=255u8 {
            assert_eq!(decode_ulaw(c), ulaw_decode_compute(c));
            assert_eq!(decode_alaw(c), alaw_decode_compute(c));
        }
    }

    #[test]
    fn sample_pairs_from_g711_md() {
        // (x, μ-law code, μ-law decoded, A-law code, A-law decoded)
        let rows: [(i16, u8, i16, u8, i16); 19] = [
            (0, 0xFF, 0, 0xD5, 8),
            (1, 0xFF, 0, 0xD5, 8),
            (4, 0xFE, 8, 0xD5, 8),
            (-5, 0x7E, -8, 0x55, -8),
            (-8, 0x7E, -8, 0x55, -8),
            (16, 0xFD, 16, 0xD4, 24),
            (-16, 0x7D, -16, 0x55, -8),
            (100, 0xF2, 104, 0xD3, 104),
            (1000, 0xCE, 988, 0xFA, 1008),
            (-1000, 0x4E, -988, 0x7A, -1008),
            (4000, 0xAF, 4092, 0x9A, 4032),
            (-4000, 0x2F, -4092, 0x1A, -4032),
            (8000, 0xA0, 7932, 0x8A, 8064),
            (-8000, 0x20, -7932, 0x0A, -8064),
            (16000, 0x90, 15996, 0xBA, 16128),
            (-16000, 0x10, -15996, 0x3A, -16128),
            (32124, 0x80, 32124, 0xAA, 32256),
            (32767, 0x80, 32124, 0xAA, 32256),
            (-32768, 0x00, -32124, 0x2A, -32256),
        ];
        for (x, uc, ud, ac, ad) in rows {
            assert_eq!(encode_ulaw(x), uc, "μ-law encode {x}");
            assert_eq!(decode_ulaw(uc), ud, "μ-law decode {uc:#04x}");
            assert_eq!(encode_alaw(x), ac, "A-law encode {x}");
            assert_eq!(decode_alaw(ac), ad, "A-law decode {ac:#04x}");
        }
        // The STL-only values (Sun-style encoders differ here).
        assert_eq!(encode_ulaw(-1), 0x7F);
        assert_eq!(encode_ulaw(-4), 0x7F);
        assert_eq!(encode_ulaw(-100), 0x73);
        assert_eq!(decode_ulaw(0x73), -96);
        assert_eq!(encode_ulaw(-31612), 0x01);
        assert_eq!(decode_ulaw(0x01), -31100);
    }

    #[test]
    fn decode_is_sign_symmetric() {
        for c in 0..=255u8 {
            assert_eq!(decode_ulaw(c ^ 0x80), -decode_ulaw(c));
            assert_eq!(decode_alaw(c ^ 0x80), -decode_alaw(c));
        }
    }

    #[test]
    fn decoded_values_are_left_justified() {
        for c in 0..=255u8 {
            assert_eq!(decode_ulaw(c) % 4, 0);
            assert_eq!(decode_alaw(c) % 8, 0);
            assert!(decode_ulaw(c).unsigned_abs() <= 32124);
            assert!(decode_alaw(c).unsigned_abs() <= 32256);
        }
    }

    #[test]
    fn canonical_codes() {
        // A-law: all 256 codes round-trip.
        for c in 0..=255u8 {
            assert_eq!(encode_alaw(decode_alaw(c)), c);
        }
        // μ-law: all but 0x7F (negative zero), which re-encodes as 0xFF.
        let non_canonical: Vec<u8> = (0..=255u8).filter(|&c| encode_ulaw(decode_ulaw(c)) != c).collect();
        assert_eq!(non_canonical, vec![0x7F]);
        assert_eq!(encode_ulaw(decode_ulaw(0x7F)), 0xFF);
    }

    #[test]
    fn quantisation_error_is_bounded_everywhere() {
        for law in [Law::Ulaw, Law::Alaw] {
            let top = i32::from(law.decode(0x80).max(law.decode(0xAA)));
            for x in all_inputs() {
                let c = law.encode(x);
                let err = (i32::from(law.decode(c)) - i32::from(x)).abs();
                let step = law.step(c);
                if i32::from(x).abs() <= top {
                    // Inside the range: at most half a step (plus one for the one's-complement
                    // offset of negative inputs).
                    assert!(err <= step / 2 + 1, "{law:?} x={x} err={err} step={step}");
                } else {
                    // Clipped: the error is bounded by one top-segment step.
                    assert!(err <= step, "{law:?} x={x} err={err} step={step}");
                }
            }
        }
    }

    #[test]
    fn slice_helpers_agree_with_scalar() {
        let input: Vec<i16> = (0..160).map(|i| (i * 409 - 32_000) as i16).collect();
        for law in [Law::Ulaw, Law::Alaw] {
            let mut v = vec![0xAB]; // pre-existing content is kept
            law.encode_into(&input, &mut v);
            assert_eq!(v.len(), 161);
            assert_eq!(v[0], 0xAB);
            let mut buf = [0u8; 100];
            assert_eq!(law.encode_to_slice(&input, &mut buf), 100);
            for (i, &x) in input.iter().enumerate() {
                assert_eq!(v[i + 1], law.encode(x));
                if i < 100 {
                    assert_eq!(buf[i], law.encode(x));
                }
            }
            let mut d = Vec::new();
            law.decode_into(&v[1..], &mut d);
            let mut dbuf = [0i16; 200];
            assert_eq!(law.decode_to_slice(&v[1..], &mut dbuf), 160);
            for (i, &c) in v[1..].iter().enumerate() {
                assert_eq!(d[i], law.decode(c));
                assert_eq!(dbuf[i], law.decode(c));
            }
        }
    }

    #[test]
    fn law_metadata() {
        assert_eq!(Law::Ulaw.payload_type(), 0);
        assert_eq!(Law::Alaw.payload_type(), 8);
        assert_eq!(Law::from_payload_type(0), Some(Law::Ulaw));
        assert_eq!(Law::from_payload_type(8), Some(Law::Alaw));
        assert_eq!(Law::from_payload_type(101), None);
        assert_eq!(Law::Ulaw.decode(Law::Ulaw.silence()), 0);
        assert_eq!(Law::Alaw.decode(Law::Alaw.silence()), 8);
        assert_eq!(Law::Ulaw.decode_table()[0x80], 32124);
    }

    proptest! {
        #[test]
        fn prop_decode_encode_within_step(x in any::<i16>()) {
            for law in [Law::Ulaw, Law::Alaw] {
                let c = law.encode(x);
                let err = (i32::from(law.decode(c)) - i32::from(x)).abs();
                prop_assert!(err <= law.step(c), "{:?} x={} err={}", law, x, err);
            }
        }

        #[test]
        fn prop_encode_decode_canonical(c in any::<u8>()) {
            prop_assert_eq!(encode_alaw(decode_alaw(c)), c);
            let expected = if c == 0x7F { 0xFF } else { c };
            prop_assert_eq!(encode_ulaw(decode_ulaw(c)), expected);
        }

        #[test]
        fn prop_low_bits_ignored(x in any::<i16>()) {
            prop_assert_eq!(encode_ulaw(x), encode_ulaw(x | 0x3));
            prop_assert_eq!(encode_alaw(x), encode_alaw(x | 0x7));
        }
    }
}
