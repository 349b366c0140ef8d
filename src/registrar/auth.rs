//! Digest authentication on the registrar's side (RFC 3261 §22, RFC 2617): challenges
//! with self-checking nonces, and the check of credentials against the user list.
//!
//! ```text
//!  nonce = T (16 hex: seconds since start) · R (8 hex: random) · 16 hex of MD5(salt:T:R)
//!
//!  credentials for our realm?  ──no──────────────────────────────▶ challenge
//!     │ user known? ──no──▶ refuse (403)
//!     │ uri = Request-URI? ──no──▶ refuse (400)
//!     │ nonce ours (MAC)? ──no──▶ challenge (a fresh nonce)
//!     │ response right (sip::auth::verify)? ──no──▶ refuse (403)
//!     │ nonce older than its lifetime? ──yes──▶ challenge, stale=true
//!     └──▶ verified
//! ```
//! No table of nonces is kept, so nothing grows. Nonce counts are not checked for replay:
//! a stateless proxy sees every retransmission of a request, with the same count.

use super::Refusal;
use crate::config::Secret;
use crate::sip::auth::{Algorithm, AuthKind, hash_hex, verify};
use crate::sip::message::{Challenge, Message};
use rand::Rng;
use rand::rngs::StdRng;
use std::time::{Duration, Instant};

/// Issues and checks nonces.
#[derive(Debug, Clone)]
pub struct Nonces {
    salt: String,
    epoch: Instant,
    lifetime: Duration,
}

/// What a nonce is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceCheck {
    /// Ours and young enough.
    Fresh,
    /// Ours but older than its lifetime.
    Stale,
    /// Not one of ours.
    Foreign,
}

impl Nonces {
    /// Nonces signed with `salt`, counted from `epoch`, valid for `lifetime`.
    pub fn new(salt: String, epoch: Instant, lifetime: Duration) -> Self {
        Nonces { salt, epoch, lifetime }
    }

    fn mac(&self, time: &str, random: &str) -> String {
        let full = hash_hex(Algorithm::Md5, &[self.salt.as_bytes(), time.as_bytes(), random.as_bytes()]);
        full.get(..16).unwrap_or(&full).to_owned()
    }

    /// A new nonce at `now`.
    pub fn issue(&self, now: Instant, rng: &mut StdRng) -> String {
        let time = format!("{:016x}", now.saturating_duration_since(self.epoch).as_secs());
        let random = format!("{:08x}", rng.next_u32());
        let mac = self.mac(&time, &random);
        format!("{time}{random}{mac}")
    }

    /// Whether `nonce` is ours, and still young at `now`.
    pub fn check(&self, nonce: &[u8], now: Instant) -> NonceCheck {
        let Ok(text) = std::str::from_utf8(nonce) else { return NonceCheck::Foreign };
        let (Some(time), Some(random), Some(mac)) = (text.get(..16), text.get(16..24), text.get(24..)) else {
            return NonceCheck::Foreign;
        };
        if text.len() != 40 || mac != self.mac(time, random) {
            return NonceCheck::Foreign;
        }
        let Ok(issued) = u64::from_str_radix(time, 16) else { return NonceCheck::Foreign };
        let age = now.saturating_duration_since(self.epoch).as_secs().saturating_sub(issued);
        if age > self.lifetime.as_secs() { NonceCheck::Stale } else { NonceCheck::Fresh }
    }
}

/// The value of a `WWW-Authenticate` / `Proxy-Authenticate` header: MD5 with `qop=auth`.
pub fn challenge(realm: &str, nonce: &str, stale: bool) -> String {
    let stale = if stale { ", stale=true" } else { "" };
    format!("Digest realm=\"{realm}\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\"{stale}")
}

/// The outcome of [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The credentials are right: this user sent the request.
    Verified(String),
    /// No usable credentials: send a challenge (`stale=true` when only the nonce was old).
    Challenge {
        /// Whether the credentials were right but the nonce too old.
        stale: bool,
    },
    /// Wrong credentials.
    Refused(Refusal),
}

/// Checks the credentials of `kind` in `req` for `realm` against `users`.
pub fn check(
    req: &Message<'_>,
    kind: AuthKind,
    realm: &str,
    users: &[(String, Secret)],
    nonces: &Nonces,
    now: Instant,
) -> Verdict {
    let (Some(method), Some(line)) = (req.method(), req.request_line()) else {
        return Verdict::Challenge { stale: false };
    };
    for header in req.headers_named(kind.credentials_header()) {
        let value = header.value();
        let Ok(creds) = Challenge::parse_one(&value) else { continue };
        if !creds.is_digest() || creds.get("realm").as_deref() != Some(realm.as_bytes()) {
            continue;
        }
        let user = String::from_utf8_lossy(&creds.get("username").unwrap_or_default()).into_owned();
        let Some((_, password)) = users.iter().find(|(name, _)| *name == user) else {
            return Verdict::Refused(Refusal::UnknownCredentials(user));
        };
        if creds.get("uri").as_deref() != Some(line.uri) {
            return Verdict::Refused(Refusal::DigestUriMismatch);
        }
        let nonce = match nonces.check(&creds.get("nonce").unwrap_or_default(), now) {
            NonceCheck::Foreign => return Verdict::Challenge { stale: false },
            other => other,
        };
        if !verify(&value, method, password) {
            return Verdict::Refused(Refusal::WrongPassword(user));
        }
        return match nonce {
            NonceCheck::Fresh => Verdict::Verified(user),
            _ => Verdict::Challenge { stale: true },
        };
    }
    Verdict::Challenge { stale: false }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn nonces_are_signed_and_age() {
        let t0 = Instant::now();
        let nonces = Nonces::new("salt".into(), t0, Duration::from_secs(30));
        let mut rng = StdRng::seed_from_u64(1);
        let n = nonces.issue(t0 + Duration::from_secs(5), &mut rng);
        assert_eq!(n.len(), 40);
        assert_eq!(nonces.check(n.as_bytes(), t0 + Duration::from_secs(35)), NonceCheck::Fresh);
        assert_eq!(nonces.check(n.as_bytes(), t0 + Duration::from_secs(36)), NonceCheck::Stale);
        let mut forged = n.clone().into_bytes();
        forged[17] = if forged[17] == b'0' { b'1' } else { b'0' };
        assert_eq!(nonces.check(&forged, t0), NonceCheck::Foreign);
        let other = Nonces::new("pepper".into(), t0, Duration::from_secs(30));
        assert_eq!(other.check(n.as_bytes(), t0), NonceCheck::Foreign);
        assert_eq!(nonces.check(b"short", t0), NonceCheck::Foreign);
        assert_eq!(nonces.check("é".repeat(20).as_bytes(), t0), NonceCheck::Foreign);
    }

    #[test]
    fn challenge_text() {
        assert_eq!(
            challenge("sip.test", "abc", true),
            "Digest realm=\"sip.test\", nonce=\"abc\", algorithm=MD5, qop=\"auth\", stale=true"
        );
    }
}
