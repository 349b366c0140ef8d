//! G.711 conformance against the ITU-T G.191 (STL) vectors, without shipping them.
//!
//! The four constants below are SHA-256 digests of tables *derived from the ITU files*
//! (`openitu/STL`, `src/g711/test_data/`, commit 139db49783b5096abf40d4f271d74fda9d591d20,
//! as copied to `shared/testdata/g711/`). Each file holds 65 536 little-endian 16-bit words,
//! word `i` for input sample `i - 32768`. The derivation, done by `tests/support/stl.rs`
//! (run `cargo run --example g711_digests`) and cross-checked with a separate Python script:
//!
//! * `ULAW_ENCODE`: the low byte of every word of `sweep-r.u` (all high bytes are 0), giving
//!   65 536 bytes in input order -32768..=32767, hashed.
//! * `ALAW_ENCODE`: the same with `sweep-r.a`.
//! * `ULAW_DECODE`: for every `i`, code = low byte of `sweep-r.u` word `i`, value =
//!   `sweep-r.u-u` word `i` as i16; every code 0..=255 occurs and all pairs for one code
//!   agree; the 256 values in code order are written as i16 little-endian (512 bytes) and
//!   hashed.
//! * `ALAW_DECODE`: the same with `sweep-r.a` and `sweep-r.a-a`.
//!
//! Our tables are hashed in the same layouts, so this test needs no vectors at run time.
//! When the vectors are present, the other tests here also recompute the digests from them
//! and compare every encode and decode directly.

#[path = "support/stl.rs"]
mod stl;

use sip7940::media::g711;

const ULAW_ENCODE: &str = "90c29de505fb68e766118303bd552a16005dcf810873698bee1d8f3b247ce28c";
const ALAW_ENCODE: &str = "38488f6fd710f4686360edc4d38639f96c491595ef93f8eb8d62d5e07ca6ce7b";
const ULAW_DECODE: &str = "3dab54339e520bb2c924826e3b72a917a2b612e9fd12fc867500f1d983a75827";
const ALAW_DECODE: &str = "e04788d110e58ff8c70c93b8480190d973e3b67876b6119abbaec766cc75c174";

#[test]
fn ulaw_encode_table_matches_itu_digest() {
    let ours = stl::sha256_hex(&stl::encode_table_bytes(g711::encode_ulaw));
    assert_eq!(ours, ULAW_ENCODE);
}

#[test]
fn alaw_encode_table_matches_itu_digest() {
    let ours = stl::sha256_hex(&stl::encode_table_bytes(g711::encode_alaw));
    assert_eq!(ours, ALAW_ENCODE);
}

#[test]
fn ulaw_decode_table_matches_itu_digest() {
    let ours = stl::sha256_hex(&stl::decode_table_bytes(&g711::ULAW_DECODE_TABLE));
    assert_eq!(ours, ULAW_DECODE);
    // The scalar decoder agrees with the table that was hashed.
    let via_fn: [i16; 256] = std::array::from_fn(|c| g711::decode_ulaw(c as u8));
    assert_eq!(via_fn, g711::ULAW_DECODE_TABLE);
}

#[test]
fn alaw_decode_table_matches_itu_digest() {
    let ours = stl::sha256_hex(&stl::decode_table_bytes(&g711::ALAW_DECODE_TABLE));
    assert_eq!(ours, ALAW_DECODE);
    let via_fn: [i16; 256] = std::array::from_fn(|c| g711::decode_alaw(c as u8));
    assert_eq!(via_fn, g711::ALAW_DECODE_TABLE);
}

/// Loads the vectors if present. `None` means "skip"; with `REQUIRE_G711_VECTORS=1` a
/// missing or unreadable set is a failure instead.
fn vectors() -> Option<stl::Stl> {
    match stl::find_dir() {
        Some(dir) => match stl::load(&dir) {
            Ok(v) => Some(v),
            Err(e) => panic!("G.711 vectors in {} are unusable: {e}", dir.display()),
        },
        None if stl::vectors_required() => panic!(
            "{}=1 but no G.711 vectors found in {:?} (set {} to the directory)",
            stl::REQUIRE_ENV,
            stl::candidate_dirs(),
            stl::VECTORS_ENV
        ),
        None => {
            eprintln!("skipping: G.711 vectors not found in {:?}", stl::candidate_dirs());
            None
        }
    }
}

#[test]
fn every_input_and_code_matches_stl_vectors() {
    let Some(v) = vectors() else { return };
    let mut mismatches = Vec::new();
    for (i, &x) in v.src.iter().enumerate() {
        let checks = [
            ("μ-law encode", i32::from(g711::encode_ulaw(x)), i32::from(v.ulaw_codes[i])),
            ("A-law encode", i32::from(g711::encode_alaw(x)), i32::from(v.alaw_codes[i])),
            ("μ-law decode", i32::from(g711::decode_ulaw(v.ulaw_codes[i])), i32::from(v.ulaw_decoded[i])),
            ("A-law decode", i32::from(g711::decode_alaw(v.alaw_codes[i])), i32::from(v.alaw_decoded[i])),
        ];
        for (what, ours, theirs) in checks {
            if ours != theirs {
                mismatches.push(format!("{what} x={x}: ours {ours}, STL {theirs}"));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first: {:?}",
        mismatches.len(),
        &mismatches[..mismatches.len().min(10)]
    );
    // Every code occurs in the vectors, so the decode comparison above covered all 256.
    for codes in [&v.ulaw_codes, &v.alaw_codes] {
        let mut seen = [false; 256];
        for &c in codes.iter() {
            seen[usize::from(c)] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }
}

#[test]
fn hard_coded_digests_are_the_stl_digests() {
    let Some(v) = vectors() else { return };
    let derived = stl::stl_digests(&v).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(derived, [ULAW_ENCODE, ALAW_ENCODE, ULAW_DECODE, ALAW_DECODE]);
}
