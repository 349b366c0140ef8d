//! Digest authentication for a UAC (RFC 3261 §22, RFC 2617, RFC 7616, RFC 8760): the hash
//! formulas, a sans-IO [`DigestClient`] that answers 401/407 challenges and reuses them, and a
//! [`verify`] helper for the registrar side.
//!
//! # Formulas
//! `H` is MD5 or SHA-256, printed as lower-case hex ([`hash_hex`]).
//! `HA1 = H(user:realm:password)`, for `*-sess` `H(H(user:realm:password):nonce:cnonce)`
//! ([`ha1`]); `HA2 = H(method:uri)` ([`ha2`]); with `qop=auth`
//! `response = H(HA1:nonce:nc:cnonce:qop:HA2)`, without qop (RFC 2069)
//! `response = H(HA1:nonce:HA2)` ([`response`]). A missing `algorithm` means MD5.
//! `qop=auth-int` is not supported: a challenge that offers only `auth-int` is refused
//! ([`AuthError::AuthIntOnly`]); `auth,auth-int` is answered with `auth`.
//!
//! # Flow
//! One [`DigestClient`] per line (registration and calls of that line share it):
//!
//! 1. Before sending a request, [`DigestClient::authorize`] returns one
//!    `Authorization` / `Proxy-Authorization` header for every cached challenge, each with
//!    its nonce count incremented (empty when nothing is cached). The caller adds them and
//!    remembers how the request went out: [`Sent::Plain`] (no header),
//!    [`Sent::Preemptive`] (headers from the cache on the first request of a transaction:
//!    REGISTER refresh, next INVITE) or [`Sent::Answer`] (the retry that answered a 401/407
//!    of this transaction).
//! 2. On a 401 or 407, [`DigestClient::on_challenge`] (or [`DigestClient::respond`], which
//!    also calls `authorize`) takes the parsed response and that [`Sent`], and either caches
//!    the challenge (the caller re-sends with a new CSeq and the new headers) or says
//!    [`AuthError::Rejected`]: the credentials are wrong, stop (the 7940 shows APR `x`).
//!
//! ACK and CANCEL cannot be challenged (RFC 3261 §22.1): copy the INVITE's headers instead
//! of calling `authorize` again.
//!
//! # State machine
//! The cache holds at most one challenge per (header kind, realm), so a proxy (407) and a
//! registrar (401) can both be outstanding. In a 401/407, the challenges are grouped by
//! realm and, per realm, the first Digest challenge we support is chosen, SHA-256 before MD5
//! (RFC 8760). For each chosen challenge, with `cached` the entry for its (kind, realm):
//!
//! | challenge | request was | cached entry | outcome |
//! | --- | --- | --- | --- |
//! | `stale=true` | any | any | cache, retry (at most [`MAX_STALE_RETRIES`] in a row, then [`AuthError::StaleLoop`]) |
//! | not stale | `Plain` | any | cache, retry |
//! | not stale | `Preemptive` / `Answer` | none | cache, retry (first challenge of that realm) |
//! | not stale | `Preemptive` | other nonce | cache, retry (the cached nonce had expired) |
//! | not stale | `Preemptive` | same nonce | [`AuthError::Rejected`] |
//! | not stale | `Answer` | any | [`AuthError::Rejected`] |
//!
//! Caching a new nonce restarts the nonce count at `00000001`; the same nonce keeps counting.
//! A rejection drops that entry, so the next request goes out without credentials. Nothing
//! is cached when any chosen challenge of the response is refused.
//!
//! # Answer format
//! `Digest username="..", realm="..", nonce="..", uri="..", response="..", algorithm=MD5,
//! cnonce="..", opaque="..", qop=auth, nc=00000001`: realm, nonce and opaque are echoed;
//! `algorithm` is echoed as the challenge spelt it, and is `MD5` when the challenge had none;
//! `cnonce`, `qop` and `nc` only when the challenge offered qop. The cnonce is 16 hex digits
//! from the injected RNG, new for every request, except with `*-sess` where one cnonce is
//! kept per nonce (so that the session key HA1 stays the same).
#![deny(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod client;
mod digest;

pub use client::DigestClient;
pub use digest::{Algorithm, NonceCount, QopFields, ha1, ha2, hash_hex, response, verify};

use super::message::HeaderName;
use std::borrow::Cow;
use thiserror::Error;

/// How many `stale=true` challenges in a row one transaction may answer before giving up.
pub const MAX_STALE_RETRIES: u8 = 3;

/// How many (kind, realm) challenges a client keeps; more realms in one response is refused.
pub const MAX_CACHED: usize = 8;

/// Which pair of headers a challenge uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthKind {
    /// 401: `WWW-Authenticate`, answered in `Authorization` (a registrar or the far UA).
    Www,
    /// 407: `Proxy-Authenticate`, answered in `Proxy-Authorization` (a proxy).
    Proxy,
}

impl AuthKind {
    /// 401 → [`AuthKind::Www`], 407 → [`AuthKind::Proxy`], anything else `None`.
    pub const fn from_status(code: u16) -> Option<AuthKind> {
        match code {
            401 => Some(AuthKind::Www),
            407 => Some(AuthKind::Proxy),
            _ => None,
        }
    }

    /// The header that carries the challenge.
    pub const fn challenge_header(self) -> HeaderName {
        match self {
            AuthKind::Www => HeaderName::WwwAuthenticate,
            AuthKind::Proxy => HeaderName::ProxyAuthenticate,
        }
    }

    /// The header that carries our answer.
    pub const fn credentials_header(self) -> HeaderName {
        match self {
            AuthKind::Www => HeaderName::Authorization,
            AuthKind::Proxy => HeaderName::ProxyAuthorization,
        }
    }
}

/// A header to add to a request: name and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHeader {
    /// `Authorization` or `Proxy-Authorization`.
    pub name: HeaderName,
    /// `Digest username="..", ...` (bytes: realm and nonce are echoed as received).
    pub value: Vec<u8>,
}

impl AuthHeader {
    /// The value as text (lossy for non-UTF-8 bytes echoed from a challenge).
    pub fn value_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.value)
    }
}

/// How the request that drew a 401/407 was sent (see the module's state machine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sent {
    /// Without any of our credentials.
    Plain,
    /// First request of a new transaction, with credentials from cached challenges.
    Preemptive,
    /// A retry of this transaction that answered its 401/407.
    Answer,
}

/// Why a challenge was not answered.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthError {
    /// The response is not a 401 or a 407.
    #[error("a {status} response is not an authentication challenge (401 or 407)")]
    NotAChallenge {
        /// Its status code (0 for a request).
        status: u16,
    },
    /// A 401/407 without any challenge header.
    #[error("the {kind:?} challenge has no {header} header")]
    NoChallenge {
        /// Which kind.
        kind: AuthKind,
        /// The missing header.
        header: &'static str,
    },
    /// Challenges that cannot be read (bad syntax, a Digest challenge without realm or nonce,
    /// control characters in quoted values).
    #[error("malformed challenge: {detail}")]
    Malformed {
        /// What was wrong.
        detail: String,
    },
    /// No Digest challenge we can answer (another scheme, an unknown algorithm or qop,
    /// `*-sess` without qop, too many realms).
    #[error("no supported Digest challenge: {detail}")]
    Unsupported {
        /// What was offered.
        detail: String,
    },
    /// The realm offers only `qop=auth-int`, which we do not implement.
    #[error("realm \"{realm}\" requires qop=auth-int, which is not supported")]
    AuthIntOnly {
        /// The realm.
        realm: String,
    },
    /// Our credentials were refused: challenged again without `stale=true`.
    #[error("authentication failed for realm \"{realm}\" (credentials rejected)")]
    Rejected {
        /// The realm.
        realm: String,
    },
    /// `stale=true` more than [`MAX_STALE_RETRIES`] times in a row.
    #[error("realm \"{realm}\" keeps answering stale=true; giving up")]
    StaleLoop {
        /// The realm.
        realm: String,
    },
    /// The authentication user name contains control characters.
    #[error("the authentication user name contains control characters")]
    BadUsername,
}
