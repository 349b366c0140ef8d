//! Shared helper for the G.711 oracle tests and the `g711_digests` example: finds and reads
//! the ITU-T G.191 (STL) G.711 vectors, and serialises code tables for hashing.
//!
//! The vectors themselves are not part of this crate (their licence is not ours); they are
//! only read when present. Layout (see shared/testdata/g711.md): each file holds 65 536
//! little-endian 16-bit words, word `i` belonging to input sample `i - 32768`.
#![allow(dead_code)] // each including target uses a different subset

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Environment variable that names the vector directory explicitly.
pub const VECTORS_ENV: &str = "G711_VECTORS";
/// Environment variable that turns "vectors missing" from a skip into a failure.
pub const REQUIRE_ENV: &str = "REQUIRE_G711_VECTORS";

/// The STL G.711 vectors, unpacked.
pub struct Stl {
    /// `sweep.src`: the inputs, -32768..=32767.
    pub src: Vec<i16>,
    /// Low bytes of `sweep-r.u`: the μ-law code of each input.
    pub ulaw_codes: Vec<u8>,
    /// `sweep-r.u-u`: each input μ-law encoded then decoded.
    pub ulaw_decoded: Vec<i16>,
    /// Low bytes of `sweep-r.a`: the A-law code of each input.
    pub alaw_codes: Vec<u8>,
    /// `sweep-r.a-a`: each input A-law encoded then decoded.
    pub alaw_decoded: Vec<i16>,
}

/// Candidate directories, in order: `$G711_VECTORS`, then `shared/testdata/g711` beside the
/// crate (main repo layout) or beside its parent (helper-crate layout).
pub fn candidate_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os(VECTORS_ENV) {
        dirs.push(PathBuf::from(d));
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    dirs.push(manifest.join("../shared/testdata/g711"));
    dirs.push(manifest.join("../../shared/testdata/g711"));
    dirs
}

/// The first candidate directory that holds `sweep.src`, if any.
pub fn find_dir() -> Option<PathBuf> {
    candidate_dirs().into_iter().find(|d| d.join("sweep.src").is_file())
}

/// Whether `REQUIRE_G711_VECTORS=1` is set.
pub fn vectors_required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1")
}

fn read_words(dir: &Path, name: &str) -> Result<Vec<u16>, String> {
    let path = dir.join(name);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.len() != 2 * 65536 {
        return Err(format!("{}: {} bytes, expected 131072", path.display(), bytes.len()));
    }
    Ok(bytes.chunks_exact(2).map(|w| u16::from_le_bytes([w[0], w[1]])).collect())
}

fn low_bytes(name: &str, words: &[u16]) -> Result<Vec<u8>, String> {
    words
        .iter()
        .enumerate()
        .map(|(i, &w)| u8::try_from(w).map_err(|_| format!("{name}: word {i} = {w:#06x} has a high byte")))
        .collect()
}

/// Reads and sanity-checks the five files the tests use.
pub fn load(dir: &Path) -> Result<Stl, String> {
    let src: Vec<i16> = read_words(dir, "sweep.src")?.into_iter().map(|w| w as i16).collect();
    if !src.iter().copied().eq(i16::MIN..=i16::MAX) {
        return Err("sweep.src is not the ascending sweep -32768..=32767".into());
    }
    let ulaw_codes = low_bytes("sweep-r.u", &read_words(dir, "sweep-r.u")?)?;
    let alaw_codes = low_bytes("sweep-r.a", &read_words(dir, "sweep-r.a")?)?;
    let ulaw_decoded = read_words(dir, "sweep-r.u-u")?.into_iter().map(|w| w as i16).collect();
    let alaw_decoded = read_words(dir, "sweep-r.a-a")?.into_iter().map(|w| w as i16).collect();
    Ok(Stl { src, ulaw_codes, ulaw_decoded, alaw_codes, alaw_decoded })
}

/// Builds a code → value table from (code, decoded) pairs; fails if a code is missing or
/// two pairs disagree.
pub fn decode_table_from_pairs(codes: &[u8], decoded: &[i16]) -> Result<[i16; 256], String> {
    let mut table: [Option<i16>; 256] = [None; 256];
    for (&c, &v) in codes.iter().zip(decoded) {
        let slot = &mut table[usize::from(c)];
        match *slot {
            None => *slot = Some(v),
            Some(prev) if prev != v => {
                return Err(format!("code {c:#04x} decodes to both {prev} and {v}"));
            }
            Some(_) => {}
        }
    }
    let mut out = [0i16; 256];
    for (c, (o, t)) in out.iter_mut().zip(table).enumerate() {
        *o = t.ok_or_else(|| format!("code {c:#04x} never occurs"))?;
    }
    Ok(out)
}

/// Hash layout of an encode table: 65 536 codes for inputs -32768..=32767, in order.
pub fn encode_table_bytes(encode: impl Fn(i16) -> u8) -> Vec<u8> {
    (i16::MIN..=i16::MAX).map(encode).collect()
}

/// Hash layout of a decode table: 256 little-endian i16 values for codes 0..=255.
pub fn decode_table_bytes(table: &[i16; 256]) -> Vec<u8> {
    table.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The four digests derived from the STL files, in the order (μ-law encode, A-law encode,
/// μ-law decode, A-law decode).
pub fn stl_digests(stl: &Stl) -> Result<[String; 4], String> {
    let ulaw_dec = decode_table_from_pairs(&stl.ulaw_codes, &stl.ulaw_decoded)?;
    let alaw_dec = decode_table_from_pairs(&stl.alaw_codes, &stl.alaw_decoded)?;
    Ok([
        sha256_hex(&stl.ulaw_codes),
        sha256_hex(&stl.alaw_codes),
        sha256_hex(&decode_table_bytes(&ulaw_dec)),
        sha256_hex(&decode_table_bytes(&alaw_dec)),
    ])
}
