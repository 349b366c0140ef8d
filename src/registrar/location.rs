//! The location table: one binding per user, with its expiry on the caller's clock.
//!
//! ```text
//!  REGISTER 200 ──insert──▶ user ─▶ Binding { contact URI, target address, expires_at }
//!  Expires: 0 / expires=0 ──remove──┘        lookups ignore bindings past expires_at;
//!  handle_timeout ──expire──▶ removed          the registrar removes them at expires_at
//! ```
//! One device per user: a new registration replaces the old one (no forking).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Instant;

/// Where a registered user can be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The Contact URI as registered (`sip:12345@192.0.2.11:5060;transport=udp`).
    pub contact: String,
    /// Where requests for the user are sent: the Contact's address when it is an IP
    /// literal, else the address the REGISTER came from.
    pub target: SocketAddr,
    /// The address the REGISTER came from.
    pub source: SocketAddr,
    /// When the binding lapses.
    pub expires_at: Instant,
}

impl Binding {
    /// Whole seconds left at `now`, rounded up (0 once lapsed).
    pub fn expires_in(&self, now: Instant) -> u32 {
        let left = self.expires_at.saturating_duration_since(now);
        let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        u32::try_from(secs).unwrap_or(u32::MAX)
    }
}

/// Bindings by user name.
#[derive(Debug, Clone, Default)]
pub struct Location {
    bindings: BTreeMap<String, Binding>,
}

impl Location {
    /// The binding of `user` that is still valid at `now`.
    pub fn get(&self, user: &str, now: Instant) -> Option<&Binding> {
        self.bindings.get(user).filter(|b| b.expires_at > now)
    }

    /// Adds or replaces the binding of `user`.
    pub fn insert(&mut self, user: &str, binding: Binding) {
        self.bindings.insert(user.to_owned(), binding);
    }

    /// Removes the binding of `user`, returning it.
    pub fn remove(&mut self, user: &str) -> Option<Binding> {
        self.bindings.remove(user)
    }

    /// Removes every binding lapsed at `now`; returns their users.
    pub fn expire(&mut self, now: Instant) -> Vec<String> {
        let lapsed: Vec<String> =
            self.bindings.iter().filter(|(_, b)| b.expires_at <= now).map(|(u, _)| u.clone()).collect();
        for user in &lapsed {
            self.bindings.remove(user);
        }
        lapsed
    }

    /// When the next binding lapses.
    pub fn next_expiry(&self) -> Option<Instant> {
        self.bindings.values().map(|b| b.expires_at).min()
    }

    /// Every binding (lapsed ones included until expired), by user.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Binding)> {
        self.bindings.iter().map(|(u, b)| (u.as_str(), b))
    }

    /// How many bindings are held.
    pub fn len(&self) -> usize {
        self.bindings.len()
    }

    /// Whether no binding is held.
    pub fn is_empty(&self) -> bool {
        self.bindings.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn binding(now: Instant, secs: u64) -> Binding {
        let addr: SocketAddr = "192.0.2.11:5060".parse().unwrap();
        Binding {
            contact: "sip:12345@192.0.2.11".into(),
            target: addr,
            source: addr,
            expires_at: now + Duration::from_secs(secs),
        }
    }

    #[test]
    fn bindings_lapse_on_the_given_clock() {
        let t0 = Instant::now();
        let mut loc = Location::default();
        loc.insert("12345", binding(t0, 60));
        loc.insert("23456", binding(t0, 120));
        assert_eq!(loc.next_expiry(), Some(t0 + Duration::from_secs(60)));
        assert_eq!(loc.get("12345", t0).unwrap().expires_in(t0 + Duration::from_millis(500)), 60);
        assert!(loc.get("12345", t0 + Duration::from_secs(60)).is_none());
        assert_eq!(loc.expire(t0 + Duration::from_secs(60)), vec!["12345".to_owned()]);
        assert_eq!(loc.len(), 1);
        assert!(loc.remove("23456").is_some());
        assert!(loc.is_empty() && loc.next_expiry().is_none());
    }
}
