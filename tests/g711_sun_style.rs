//! Shows that the conformance tests can fail: a Sun-style μ-law encoder, which treats
//! negative samples as two's complement (negating after the shift instead of taking the
//! one's complement first), differs from G.191 on exactly the inputs g711.md names and
//! therefore does not hash to the ITU digest.

#[path = "support/stl.rs"]
mod stl;

use sip7940::media::g711;

/// The two's-complement ("Sun `g711.c` family") μ-law encoder, written from the description
/// in g711.md: drop the two low bits, *then* negate negative values, bias, segment, invert.
fn sun_style_ulaw(x: i16) -> u8 {
    let v = i32::from(x) >> 2;
    let (mag, mask) = if v < 0 { (-v, 0x7F) } else { (v, 0xFF) };
    let mag = mag.min(8159) + 33; // 14-bit clip and bias
    let seg = (31 - mag.leading_zeros()) as i32 - 5; // 33..=8192 → 0..=8
    if seg > 7 {
        return 0x7F ^ mask; // past the last segment: the largest magnitude
    }
    let mantissa = (mag >> (seg + 1)) & 0x0F;
    ((seg << 4) | mantissa) as u8 ^ mask
}

#[test]
fn sun_style_differs_exactly_on_negative_boundaries() {
    let diffs: Vec<(i16, u8, u8)> = (i16::MIN..=i16::MAX)
        .filter_map(|x| {
            let (stl, sun) = (g711::encode_ulaw(x), sun_style_ulaw(x));
            (stl != sun).then_some((x, stl, sun))
        })
        .collect();
    // g711.md: 508 inputs differ, all negative, within −31612…−1, four per boundary.
    assert_eq!(diffs.len(), 508);
    assert!(diffs.iter().all(|&(x, _, _)| (-31612..=-1).contains(&x)));
    assert_eq!(diffs.first().map(|d| d.0), Some(-31612));
    assert_eq!(diffs.last().map(|d| d.0), Some(-1));
    for chunk in diffs.chunks(4) {
        let x0 = chunk[0].0;
        assert_eq!(x0 & 3, 0, "each run starts on a multiple of 4");
        assert!(chunk.iter().enumerate().all(|(k, d)| d.0 == x0 + k as i16));
    }
    // Everywhere they differ, the Sun-style code is one step toward zero magnitude on the
    // wire (its code is one less), i.e. the wrong side of the boundary.
    assert!(diffs.iter().all(|&(_, stl, sun)| sun == stl - 1));
    // The named examples.
    for (x, stl, sun) in
        [(-1, 0x7F, 0x7E), (-4, 0x7F, 0x7E), (-100, 0x73, 0x72), (-31612, 0x01, 0x00), (-31609, 0x01, 0x00)]
    {
        assert_eq!((g711::encode_ulaw(x), sun_style_ulaw(x)), (stl, sun), "x={x}");
    }
    // Positive inputs, and −5 (the first after the −1…−4 run), agree.
    assert_eq!(sun_style_ulaw(-5), g711::encode_ulaw(-5));
    assert!((0..=i16::MAX).all(|x| sun_style_ulaw(x) == g711::encode_ulaw(x)));
}

#[test]
fn sun_style_fails_the_itu_digest() {
    let ours = stl::sha256_hex(&stl::encode_table_bytes(g711::encode_ulaw));
    let sun = stl::sha256_hex(&stl::encode_table_bytes(sun_style_ulaw));
    assert_ne!(ours, sun);
    assert_eq!(ours, "90c29de505fb68e766118303bd552a16005dcf810873698bee1d8f3b247ce28c");
}
