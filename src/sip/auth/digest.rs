//! The digest formulas (RFC 2617, RFC 7616) and [`verify`], the registrar-side check.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use super::super::message::Method;
use super::super::message::auth::Challenge;
use crate::config::Secret;
use md5::{Digest, Md5};
use sha2::Sha256;
use std::fmt;

/// A digest algorithm we support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `MD5` (also what a missing `algorithm` means).
    Md5,
    /// `MD5-sess`.
    Md5Sess,
    /// `SHA-256` (RFC 7616, RFC 8760).
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
}

impl Algorithm {
    /// Classifies an `algorithm` token, ignoring case; `None` for algorithms we do not support
    /// (`SHA-512-256`, `AKAv1-MD5`...).
    pub fn from_token(token: &[u8]) -> Option<Algorithm> {
        [Algorithm::Md5, Algorithm::Md5Sess, Algorithm::Sha256, Algorithm::Sha256Sess]
            .into_iter()
            .find(|a| a.as_str().as_bytes().eq_ignore_ascii_case(token))
    }

    /// The canonical token (`MD5`, `MD5-sess`, `SHA-256`, `SHA-256-sess`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
        }
    }

    /// Whether HA1 is a session key (`*-sess`).
    pub const fn is_session(self) -> bool {
        matches!(self, Algorithm::Md5Sess | Algorithm::Sha256Sess)
    }

    /// Preference among several offers: SHA-256 before MD5 (RFC 8760 §2.4).
    pub(super) const fn strength(self) -> u8 {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => 0,
            Algorithm::Sha256 | Algorithm::Sha256Sess => 1,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The nonce count `nc`: a 32-bit counter printed as exactly 8 lower-case hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NonceCount(u32);

impl NonceCount {
    /// `00000001`, the count of the first request under a nonce.
    pub const FIRST: NonceCount = NonceCount(1);

    /// A count with this value (0 means "not used yet"; it is never sent).
    pub const fn new(value: u32) -> NonceCount {
        NonceCount(value)
    }

    /// The value.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The next count. After `ffffffff` it wraps to `00000001` (0 is not a valid count).
    pub const fn next(self) -> NonceCount {
        match self.0.checked_add(1) {
            Some(n) => NonceCount(n),
            None => NonceCount::FIRST,
        }
    }

    /// Parses exactly 8 hex digits (either case).
    pub fn parse(text: &[u8]) -> Option<NonceCount> {
        if text.len() != 8 || !text.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u32::from_str_radix(std::str::from_utf8(text).ok()?, 16).ok().map(NonceCount)
    }
}

impl fmt::Display for NonceCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

/// The qop-related inputs of a response computation (RFC 2617 `request-digest` with qop).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QopFields<'a> {
    /// The qop token as sent (`auth`; `auth-int` is only computed, never negotiated).
    pub qop: &'a [u8],
    /// The nonce count.
    pub nc: NonceCount,
    /// The client nonce as sent.
    pub cnonce: &'a [u8],
}

/// `H(parts[0] ":" parts[1] ":" ...)` as lower-case hex, with `H` the algorithm's hash.
pub fn hash_hex(alg: Algorithm, parts: &[&[u8]]) -> String {
    fn run<D: Digest>(parts: &[&[u8]]) -> String {
        let mut d = D::new();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                d.update(b":");
            }
            d.update(p);
        }
        hex(&d.finalize())
    }
    match alg {
        Algorithm::Md5 | Algorithm::Md5Sess => run::<Md5>(parts),
        Algorithm::Sha256 | Algorithm::Sha256Sess => run::<Sha256>(parts),
    }
}

fn hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// HA1: `H(username:realm:password)`, or for `*-sess` `H(H(username:realm:password):nonce:cnonce)`
/// (`nonce` and `cnonce` are only used by `*-sess`).
pub fn ha1(
    alg: Algorithm,
    username: &[u8],
    realm: &[u8],
    password: &Secret,
    nonce: &[u8],
    cnonce: &[u8],
) -> String {
    let base = hash_hex(alg, &[username, realm, password.expose().as_bytes()]);
    if alg.is_session() { hash_hex(alg, &[base.as_bytes(), nonce, cnonce]) } else { base }
}

/// HA2 for `qop=auth` or no qop: `H(method:digest-uri)`.
pub fn ha2(alg: Algorithm, method: &[u8], uri: &[u8]) -> String {
    hash_hex(alg, &[method, uri])
}

/// The `response` value: `H(HA1:nonce:nc:cnonce:qop:HA2)` with qop, `H(HA1:nonce:HA2)` without.
pub fn response(alg: Algorithm, ha1: &str, nonce: &[u8], qop: Option<&QopFields<'_>>, ha2: &str) -> String {
    match qop {
        Some(q) => {
            let nc = q.nc.to_string();
            hash_hex(alg, &[ha1.as_bytes(), nonce, nc.as_bytes(), q.cnonce, q.qop, ha2.as_bytes()])
        }
        None => hash_hex(alg, &[ha1.as_bytes(), nonce, ha2.as_bytes()]),
    }
}

/// Recomputes the `response` of an `Authorization` / `Proxy-Authorization` value for `method`
/// and `password`, and says whether it matches. Supports MD5, MD5-sess, SHA-256, SHA-256-sess
/// (missing `algorithm` = MD5), `qop=auth` (needs `nc` as 8 hex digits and `cnonce`) and no
/// qop. It does not judge the nonce, realm, uri or user: that is the registrar's business.
pub fn verify(authorization: &[u8], method: Method<'_>, password: &Secret) -> bool {
    let Ok(c) = Challenge::parse_one(authorization) else { return false };
    if !c.is_digest() {
        return false;
    }
    let (Some(user), Some(realm), Some(nonce), Some(uri), Some(given)) =
        (c.get("username"), c.get("realm"), c.get("nonce"), c.get("uri"), c.get("response"))
    else {
        return false;
    };
    let alg = match c.get("algorithm") {
        None => Algorithm::Md5,
        Some(t) => match Algorithm::from_token(&t) {
            Some(a) => a,
            None => return false,
        },
    };
    let h2 = ha2(alg, method.as_bytes(), &uri);
    let expected = match c.get("qop") {
        None if alg.is_session() => return false,
        None => response(alg, &ha1(alg, &user, &realm, password, b"", b""), &nonce, None, &h2),
        Some(q) if q.eq_ignore_ascii_case(b"auth") => {
            let (Some(nc), Some(cnonce)) = (c.get("nc").and_then(|n| NonceCount::parse(&n)), c.get("cnonce"))
            else {
                return false;
            };
            let h1 = ha1(alg, &user, &realm, password, &nonce, &cnonce);
            response(alg, &h1, &nonce, Some(&QopFields { qop: &q, nc, cnonce: &cnonce }), &h2)
        }
        Some(_) => return false,
    };
    eq_hex(expected.as_bytes(), &given)
}

/// Compares hex digests ignoring case, in time independent of where they differ.
pub(super) fn eq_hex(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y.to_ascii_lowercase())) == 0
}
