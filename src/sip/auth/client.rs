//! [`DigestClient`]: answering 401/407 challenges and re-using them (the state machine is
//! in the parent module's docs).

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use super::super::message::auth::{Challenge, quote};
use super::super::message::{Message, Method};
use super::digest::{Algorithm, NonceCount, QopFields, ha1, ha2, response};
use super::{AuthError, AuthHeader, AuthKind, MAX_CACHED, MAX_STALE_RETRIES, Sent};
use crate::config::Secret;
use rand::Rng;
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    kind: AuthKind,
    realm: Vec<u8>,
    nonce: Vec<u8>,
    opaque: Option<Vec<u8>>,
    algorithm: Algorithm,
    /// The token as the challenge spelt it; `None` when it had no `algorithm`.
    algorithm_token: Option<Vec<u8>>,
    /// Whether we answer with `qop=auth` (else RFC 2069 style).
    qop_auth: bool,
    /// The last count sent under this nonce (0: none yet).
    nc: NonceCount,
    /// The cnonce of the session key, for `*-sess`.
    sess_cnonce: Option<String>,
    stale_retries: u8,
}

/// A Digest challenge we can answer.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Offer {
    realm: Vec<u8>,
    nonce: Vec<u8>,
    opaque: Option<Vec<u8>>,
    algorithm: Algorithm,
    algorithm_token: Option<Vec<u8>>,
    qop_auth: bool,
    stale: bool,
}

/// Why one Digest challenge cannot be answered.
enum Refusal {
    Malformed(String),
    Unsupported(String),
    AuthIntOnly,
}

/// The digest client of one line: credentials plus the cached challenges.
///
/// `Debug` shows the password as `****`.
#[derive(Debug, Clone)]
pub struct DigestClient {
    authname: String,
    password: Secret,
    cache: Vec<Entry>,
}

impl DigestClient {
    /// A client for `authname` (the line's `authname`) and `password`.
    ///
    /// # Errors
    /// [`AuthError::BadUsername`] when `authname` holds control characters (it could not be
    /// sent in a quoted string).
    pub fn new(authname: impl Into<String>, password: Secret) -> Result<DigestClient, AuthError> {
        let authname = authname.into();
        if has_controls(authname.as_bytes()) {
            return Err(AuthError::BadUsername);
        }
        Ok(DigestClient { authname, password, cache: Vec::new() })
    }

    /// The authentication user name.
    pub fn authname(&self) -> &str {
        &self.authname
    }

    /// Whether no challenge is cached (the next request would go out [`Sent::Plain`]).
    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }

    /// Forgets every cached challenge (un-registration, new credentials).
    pub fn clear(&mut self) {
        self.cache.clear();
    }

    /// Takes a 401/407 to a request sent as `sent` and updates the cache (module docs: state
    /// machine). On `Ok`, re-send the request with a new CSeq and the headers of
    /// [`DigestClient::authorize`].
    ///
    /// # Errors
    /// [`AuthError::Rejected`] / [`AuthError::StaleLoop`] when the credentials failed (stop),
    /// the other variants when the challenge cannot be answered.
    pub fn on_challenge(&mut self, response: &Message<'_>, sent: Sent) -> Result<(), AuthError> {
        let status = response.status_code().unwrap_or(0);
        let kind = AuthKind::from_status(status).ok_or(AuthError::NotAChallenge { status })?;
        let values: Vec<Cow<'_, [u8]>> =
            response.headers_named(kind.challenge_header()).map(|h| h.value()).collect();
        self.on_challenge_headers(kind, values.iter().map(AsRef::as_ref), sent)
    }

    /// Like [`DigestClient::on_challenge`], from the raw (unfolded) values of the
    /// `WWW-Authenticate` / `Proxy-Authenticate` headers of a response.
    ///
    /// # Errors
    /// As [`DigestClient::on_challenge`].
    pub fn on_challenge_headers<'v>(
        &mut self,
        kind: AuthKind,
        values: impl IntoIterator<Item = &'v [u8]>,
        sent: Sent,
    ) -> Result<(), AuthError> {
        let offers = choose(kind, values)?;
        // Decide for every realm first; cache only if none is refused.
        let mut updates = Vec::with_capacity(offers.len());
        for offer in offers {
            let at = self.position(kind, &offer.realm);
            let cached = at.and_then(|i| self.cache.get(i));
            match decide(sent, cached, &offer) {
                Ok(stale_retries) => updates.push((offer, stale_retries)),
                Err(fail) => {
                    if let Some(i) = at {
                        self.cache.remove(i);
                    }
                    let realm = lossy(&offer.realm);
                    return Err(match fail {
                        Fail::Rejected => AuthError::Rejected { realm },
                        Fail::StaleLoop => AuthError::StaleLoop { realm },
                    });
                }
            }
        }
        for (offer, stale_retries) in updates {
            self.store(kind, offer, stale_retries);
        }
        Ok(())
    }

    /// One header per cached challenge for a request `method` to `uri` (the Request-URI exactly
    /// as sent), each with its nonce count incremented. Empty when nothing is cached.
    pub fn authorize(&mut self, method: Method<'_>, uri: &[u8], rng: &mut impl Rng) -> Vec<AuthHeader> {
        let mut out = Vec::with_capacity(self.cache.len());
        for e in &mut self.cache {
            e.nc = e.nc.next();
            let cnonce = if !e.qop_auth {
                None
            } else if e.algorithm.is_session() {
                Some(e.sess_cnonce.get_or_insert_with(|| new_cnonce(rng)).clone())
            } else {
                Some(new_cnonce(rng))
            };
            let cn = cnonce.as_deref().unwrap_or_default().as_bytes();
            let alg = e.algorithm;
            let h1 = ha1(alg, self.authname.as_bytes(), &e.realm, &self.password, &e.nonce, cn);
            let h2 = ha2(alg, method.as_bytes(), uri);
            let qop = QopFields { qop: b"auth", nc: e.nc, cnonce: cn };
            let resp = response(alg, &h1, &e.nonce, cnonce.is_some().then_some(&qop), &h2);

            let mut v = b"Digest username=".to_vec();
            v.extend(quote(self.authname.as_bytes()));
            let quoted: [(&[u8], &[u8]); 3] =
                [(b", realm=", &e.realm), (b", nonce=", &e.nonce), (b", uri=", uri)];
            for (name, value) in quoted {
                v.extend_from_slice(name);
                v.extend(quote(value));
            }
            v.extend_from_slice(b", response=\"");
            v.extend_from_slice(resp.as_bytes());
            v.extend_from_slice(b"\", algorithm=");
            v.extend_from_slice(e.algorithm_token.as_deref().unwrap_or(b"MD5"));
            if cnonce.is_some() {
                v.extend_from_slice(b", cnonce=");
                v.extend(quote(cn));
            }
            if let Some(o) = &e.opaque {
                v.extend_from_slice(b", opaque=");
                v.extend(quote(o));
            }
            if cnonce.is_some() {
                v.extend_from_slice(format!(", qop=auth, nc={}", e.nc).as_bytes());
            }
            out.push(AuthHeader { name: e.kind.credentials_header(), value: v });
        }
        out
    }

    /// [`DigestClient::on_challenge`] then [`DigestClient::authorize`]: the headers for the
    /// retry of `method` to `uri`.
    ///
    /// # Errors
    /// As [`DigestClient::on_challenge`].
    pub fn respond(
        &mut self,
        response: &Message<'_>,
        sent: Sent,
        method: Method<'_>,
        uri: &[u8],
        rng: &mut impl Rng,
    ) -> Result<Vec<AuthHeader>, AuthError> {
        self.on_challenge(response, sent)?;
        Ok(self.authorize(method, uri, rng))
    }

    fn position(&self, kind: AuthKind, realm: &[u8]) -> Option<usize> {
        self.cache.iter().position(|e| e.kind == kind && e.realm == realm)
    }

    fn store(&mut self, kind: AuthKind, offer: Offer, stale_retries: u8) {
        // Looked up again: an earlier store of the same response may have evicted an entry.
        let at = self.position(kind, &offer.realm);
        let old = at.and_then(|i| self.cache.get_mut(i));
        let same_nonce = old.as_ref().is_some_and(|e| e.nonce == offer.nonce);
        let (nc, sess_cnonce) = match &old {
            Some(e) if same_nonce => (e.nc, e.sess_cnonce.clone()),
            _ => (NonceCount::default(), None),
        };
        let entry = Entry {
            kind,
            realm: offer.realm,
            nonce: offer.nonce,
            opaque: offer.opaque,
            algorithm: offer.algorithm,
            algorithm_token: offer.algorithm_token,
            qop_auth: offer.qop_auth,
            nc,
            sess_cnonce,
            stale_retries,
        };
        match old {
            Some(slot) => *slot = entry,
            None => {
                if self.cache.len() >= MAX_CACHED {
                    self.cache.remove(0);
                }
                self.cache.push(entry);
            }
        }
    }
}

enum Fail {
    Rejected,
    StaleLoop,
}

/// The state machine of the module docs, for one chosen challenge: `Ok(stale_retries)` to
/// cache it.
fn decide(sent: Sent, cached: Option<&Entry>, offer: &Offer) -> Result<u8, Fail> {
    if offer.stale {
        let n = match (sent, cached) {
            (Sent::Answer, Some(e)) => e.stale_retries.saturating_add(1),
            _ => 1,
        };
        return if n > MAX_STALE_RETRIES { Err(Fail::StaleLoop) } else { Ok(n) };
    }
    match (sent, cached) {
        (Sent::Plain, _) | (_, None) => Ok(0),
        (Sent::Preemptive, Some(e)) if e.nonce != offer.nonce => Ok(0),
        (Sent::Preemptive | Sent::Answer, Some(_)) => Err(Fail::Rejected),
    }
}

/// Parses every challenge value of one kind and picks, per realm, the first supported Digest
/// challenge of the strongest algorithm.
fn choose<'v>(kind: AuthKind, values: impl IntoIterator<Item = &'v [u8]>) -> Result<Vec<Offer>, AuthError> {
    // Per realm in order of appearance: best offer so far, first refusal.
    let mut realms: Vec<(Vec<u8>, Option<Offer>, Option<Refusal>)> = Vec::new();
    let mut first_problem: Option<Refusal> = None;
    let mut seen_header = false;
    let mut seen_digest = false;
    for value in values {
        seen_header = true;
        let list = match Challenge::parse_list(value) {
            Ok(l) => l,
            Err(e) => {
                first_problem.get_or_insert(Refusal::Malformed(e.to_string()));
                continue;
            }
        };
        for ch in list.iter().filter(|c| c.is_digest()) {
            seen_digest = true;
            let Some(realm) = ch.get("realm") else {
                first_problem.get_or_insert(Refusal::Malformed("a Digest challenge without realm".into()));
                continue;
            };
            let at = match realms.iter().position(|r| r.0 == realm.as_ref()) {
                Some(i) => i,
                None if realms.len() >= MAX_CACHED => {
                    return Err(AuthError::Unsupported { detail: "too many realms".into() });
                }
                None => {
                    realms.push((realm.to_vec(), None, None));
                    realms.len() - 1
                }
            };
            let Some(slot) = realms.get_mut(at) else { continue };
            match parse_offer(ch, realm.into_owned()) {
                Ok(o) => {
                    if slot.1.as_ref().is_none_or(|b| o.algorithm.strength() > b.algorithm.strength()) {
                        slot.1 = Some(o);
                    }
                }
                Err(r) => {
                    slot.2.get_or_insert(r);
                }
            }
        }
    }
    if !seen_header {
        let header = kind.challenge_header().as_str();
        return Err(AuthError::NoChallenge { kind, header });
    }
    if !seen_digest && first_problem.is_none() {
        return Err(AuthError::Unsupported { detail: "no Digest challenge".into() });
    }
    if realms.is_empty() {
        return Err(refusal_error(first_problem, &[]));
    }
    let mut out = Vec::with_capacity(realms.len());
    for (realm, offer, refusal) in realms {
        match offer {
            Some(o) => out.push(o),
            None => return Err(refusal_error(refusal, &realm)),
        }
    }
    Ok(out)
}

fn refusal_error(r: Option<Refusal>, realm: &[u8]) -> AuthError {
    match r {
        Some(Refusal::AuthIntOnly) => AuthError::AuthIntOnly { realm: lossy(realm) },
        Some(Refusal::Malformed(detail)) => AuthError::Malformed { detail },
        Some(Refusal::Unsupported(detail)) => AuthError::Unsupported { detail },
        None => AuthError::Unsupported { detail: "no Digest challenge".into() },
    }
}

/// Reads one Digest challenge (its realm already extracted).
fn parse_offer(ch: &Challenge<'_>, realm: Vec<u8>) -> Result<Offer, Refusal> {
    let nonce =
        ch.get("nonce").ok_or_else(|| Refusal::Malformed("a Digest challenge without nonce".into()))?;
    let opaque = ch.get("opaque");
    if [Some(&realm[..]), Some(&nonce[..]), opaque.as_deref()].into_iter().flatten().any(has_controls) {
        return Err(Refusal::Malformed("control characters in realm, nonce or opaque".into()));
    }
    let algorithm_token = ch.get("algorithm");
    let algorithm = match &algorithm_token {
        None => Algorithm::Md5,
        Some(t) => Algorithm::from_token(t)
            .ok_or_else(|| Refusal::Unsupported(format!("algorithm={}", String::from_utf8_lossy(t))))?,
    };
    let qop_auth = match ch.get("qop") {
        None => false,
        Some(list) => {
            let tokens = list.split(|&b| b == b',').map(<[u8]>::trim_ascii).filter(|t| !t.is_empty());
            let (mut auth, mut auth_int, mut any) = (false, false, false);
            for t in tokens {
                any = true;
                auth |= t.eq_ignore_ascii_case(b"auth");
                auth_int |= t.eq_ignore_ascii_case(b"auth-int");
            }
            match (auth, auth_int, any) {
                (true, _, _) => true,
                (false, true, _) => return Err(Refusal::AuthIntOnly),
                (false, false, true) => {
                    return Err(Refusal::Unsupported(format!("qop=\"{}\"", String::from_utf8_lossy(&list))));
                }
                // qop="" is read as no qop.
                (false, false, false) => false,
            }
        }
    };
    if algorithm.is_session() && !qop_auth {
        return Err(Refusal::Unsupported(format!("{algorithm} without qop")));
    }
    let stale = ch.get("stale").is_some_and(|s| s.eq_ignore_ascii_case(b"true"));
    Ok(Offer {
        realm,
        nonce: nonce.into_owned(),
        opaque: opaque.map(Cow::into_owned),
        algorithm,
        algorithm_token: algorithm_token.map(Cow::into_owned),
        qop_auth,
        stale,
    })
}

fn has_controls(b: &[u8]) -> bool {
    b.iter().any(|&c| (c < 0x20 && c != b'\t') || c == 0x7f)
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn new_cnonce(rng: &mut impl Rng) -> String {
    format!("{:016x}", rng.next_u64())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::sip::auth::digest::{eq_hex, hash_hex, verify};
    use crate::sip::message::HeaderName;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn offer(nonce: &str, stale: bool) -> Offer {
        Offer {
            realm: b"r".to_vec(),
            nonce: nonce.as_bytes().to_vec(),
            opaque: None,
            algorithm: Algorithm::Md5,
            algorithm_token: None,
            qop_auth: true,
            stale,
        }
    }

    fn entry(nonce: &str, stale_retries: u8) -> Entry {
        Entry {
            kind: AuthKind::Www,
            realm: b"r".to_vec(),
            nonce: nonce.as_bytes().to_vec(),
            opaque: None,
            algorithm: Algorithm::Md5,
            algorithm_token: None,
            qop_auth: true,
            nc: NonceCount::FIRST,
            sess_cnonce: None,
            stale_retries,
        }
    }

    /// The table of the module docs, row by row.
    #[test]
    fn state_table() {
        let e = entry("n", 0);
        for sent in [Sent::Plain, Sent::Preemptive, Sent::Answer] {
            assert!(matches!(decide(sent, Some(&e), &offer("m", true)), Ok(1)));
            assert!(matches!(decide(sent, None, &offer("m", false)), Ok(0)));
        }
        assert!(matches!(decide(Sent::Plain, Some(&e), &offer("n", false)), Ok(0)));
        assert!(matches!(decide(Sent::Preemptive, Some(&e), &offer("m", false)), Ok(0)));
        assert!(matches!(decide(Sent::Preemptive, Some(&e), &offer("n", false)), Err(Fail::Rejected)));
        assert!(matches!(decide(Sent::Answer, Some(&e), &offer("n", false)), Err(Fail::Rejected)));
        assert!(matches!(decide(Sent::Answer, Some(&e), &offer("m", false)), Err(Fail::Rejected)));
        let tired = entry("n", MAX_STALE_RETRIES);
        assert!(matches!(decide(Sent::Answer, Some(&tired), &offer("m", true)), Err(Fail::StaleLoop)));
        assert!(matches!(decide(Sent::Preemptive, Some(&tired), &offer("m", true)), Ok(1)));
    }

    #[test]
    fn algorithm_tokens() {
        assert_eq!(Algorithm::from_token(b"md5"), Some(Algorithm::Md5));
        assert_eq!(Algorithm::from_token(b"Md5-SeSs"), Some(Algorithm::Md5Sess));
        assert_eq!(Algorithm::from_token(b"sha-256"), Some(Algorithm::Sha256));
        assert_eq!(Algorithm::from_token(b"SHA-256-SESS"), Some(Algorithm::Sha256Sess));
        for bad in [&b"SHA-512-256"[..], b"SHA256", b"", b"AKAv1-MD5"] {
            assert_eq!(Algorithm::from_token(bad), None);
        }
        assert_eq!(Algorithm::Sha256Sess.to_string(), "SHA-256-sess");
    }

    #[test]
    fn hashes_are_lower_hex() {
        assert_eq!(hash_hex(Algorithm::Md5, &[b""]), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(hash_hex(Algorithm::Md5, &[b"a", b"b"]), hash_hex(Algorithm::Md5, &[b"a:b"]));
        assert_eq!(
            hash_hex(Algorithm::Sha256Sess, &[b"abc"]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn nonce_count() {
        assert_eq!(NonceCount::default().next(), NonceCount::FIRST);
        assert_eq!(NonceCount::new(0x0a).to_string(), "0000000a");
        assert_eq!(NonceCount::new(u32::MAX).to_string(), "ffffffff");
        assert_eq!(NonceCount::new(u32::MAX).next(), NonceCount::FIRST);
        assert_eq!(NonceCount::parse(b"FFFFFFFF"), Some(NonceCount::new(u32::MAX)));
    }

    #[test]
    fn choose_groups_realms_and_prefers_sha256() {
        let v: [&[u8]; 2] = [
            b"Digest realm=\"a\", nonce=\"1\", qop=\"auth\", Digest realm=\"b\", nonce=\"2\"",
            b"Digest realm=\"a\", nonce=\"3\", qop=\"auth\", algorithm=SHA-256, Basic realm=\"c\"",
        ];
        let o = choose(AuthKind::Proxy, v).ok().unwrap();
        assert_eq!(o.len(), 2);
        assert_eq!(
            (o[0].realm.as_slice(), o[0].nonce.as_slice(), o[0].algorithm),
            (&b"a"[..], &b"3"[..], Algorithm::Sha256)
        );
        assert_eq!((o[1].realm.as_slice(), o[1].qop_auth), (&b"b"[..], false));
        // A realm we cannot answer spoils the whole response.
        let v: [&[u8]; 1] =
            [b"Digest realm=\"a\", nonce=\"1\", Digest realm=\"b\", nonce=\"2\", qop=\"auth-int\""];
        assert_eq!(choose(AuthKind::Www, v).err(), Some(AuthError::AuthIntOnly { realm: "b".into() }));
        // Unparseable lines are skipped when another line is usable.
        let v: [&[u8]; 2] = [b"Digest realm=\"x", b"Digest realm=\"a\", nonce=\"1\""];
        assert_eq!(choose(AuthKind::Www, v).ok().map(|o| o.len()), Some(1));
        let v: [&[u8]; 1] = [b"Digest realm=\"x"];
        assert!(matches!(choose(AuthKind::Www, v), Err(AuthError::Malformed { .. })));
    }

    #[test]
    fn qop_lists() {
        for (qop, want) in
            [("auth", Some(true)), ("auth-int, AUTH", Some(true)), ("", Some(false)), ("foo", None)]
        {
            let s = format!("Digest realm=\"a\", nonce=\"1\", qop=\"{qop}\"");
            let got = choose(AuthKind::Www, [s.as_bytes()]).ok().map(|o| o[0].qop_auth);
            assert_eq!(got, want, "{qop}");
        }
    }

    #[test]
    fn control_characters_refused() {
        // CR/LF inside a quoted string are read as a fold (a space) by the parser; other
        // control bytes, raw or escaped, are refused.
        let v: [&[u8]; 1] = [b"Digest realm=\"a\", nonce=\"1\r\nX-Evil: 1\""];
        assert_eq!(choose(AuthKind::Www, v).ok().unwrap()[0].nonce, b"1 X-Evil: 1");
        for bad in [&b"Digest realm=\"a\", nonce=\"1\x00\""[..], b"Digest realm=\"a\\\x1b\", nonce=\"1\""] {
            let r = choose(AuthKind::Www, [bad]);
            assert!(matches!(r, Err(AuthError::Malformed { .. })), "{r:?}");
        }
        assert_eq!(DigestClient::new("bob\r\n", Secret::new("p")).err(), Some(AuthError::BadUsername));
    }

    #[test]
    fn cache_is_bounded() {
        let mut c = DigestClient::new("u", Secret::new("p")).unwrap();
        for i in 0..(MAX_CACHED + 3) {
            let s = format!("Digest realm=\"r{i}\", nonce=\"n\"");
            c.on_challenge_headers(AuthKind::Www, [s.as_bytes()], Sent::Plain).unwrap();
        }
        assert_eq!(c.cache.len(), MAX_CACHED);
        assert_eq!(c.cache[0].realm, b"r3");
        let many: String = (0..=MAX_CACHED)
            .map(|i| format!("Digest realm=\"x{i}\", nonce=\"n\""))
            .collect::<Vec<_>>()
            .join(", ");
        let e = c.on_challenge_headers(AuthKind::Www, [many.as_bytes()], Sent::Plain).unwrap_err();
        assert!(matches!(e, AuthError::Unsupported { .. }));
        c.clear();
        assert!(c.is_empty());
    }

    #[test]
    fn header_format_and_debug() {
        let mut c = DigestClient::new("bob", Secret::new("zanzibar")).unwrap();
        let ch: &[u8] = b"Digest realm=\"biloxi.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", \
            opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", qop=\"auth,auth-int\", algorithm=MD5";
        c.on_challenge_headers(AuthKind::Proxy, [ch], Sent::Plain).unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        let h = c.authorize(Method::Invite, b"sip:bob@biloxi.com", &mut rng).pop().unwrap();
        assert_eq!(h.name, HeaderName::ProxyAuthorization);
        let v = h.value_str();
        let cred = Challenge::parse_one(&h.value).unwrap();
        let names: Vec<&[u8]> = cred.params.iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                &b"username"[..],
                b"realm",
                b"nonce",
                b"uri",
                b"response",
                b"algorithm",
                b"cnonce",
                b"opaque",
                b"qop",
                b"nc"
            ]
        );
        let quoted: Vec<bool> = cred.params.iter().map(|p| p.is_quoted()).collect();
        assert_eq!(quoted, [true, true, true, true, true, false, true, true, false, false]);
        assert!(v.ends_with("qop=auth, nc=00000001"), "{v}");
        assert!(verify(&h.value, Method::Invite, &Secret::new("zanzibar")));
        assert!(!format!("{c:?}").contains("zanzibar"));
    }

    #[test]
    fn verify_rejects_incomplete() {
        let p = Secret::new("p");
        for bad in [
            &b"Basic dXNlcjpwYXNz"[..],
            b"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:a\"",
            b"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:a\", response=\"00\", qop=auth",
            b"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:a\", response=\"00\", algorithm=SHA-1",
            b"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:a\", response=\"00\", algorithm=MD5-sess",
            b"",
        ] {
            assert!(!verify(bad, Method::Register, &p), "{}", String::from_utf8_lossy(bad));
        }
        assert!(eq_hex(b"ab", b"AB") && !eq_hex(b"ab", b"abc") && !eq_hex(b"ab", b"ac"));
    }
}
