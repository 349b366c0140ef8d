//! The check-sync NOTIFY: a provider's (or Asterisk's `sip notify cisco-check-cfg`) way to
//! tell a 7940 to fetch its files again.
//!
//! ```text
//!  NOTIFY (out of dialog, from a configured proxy — the ghost-call filter applies first)
//!     ├─ Event: check-sync ──▶ 200 OK, Event::CheckSync ──▶ the io edge reads the files
//!     │                         again and restarts the phone when `sync` changed
//!     └─ any other or no Event ──▶ 489 Bad Event (RFC 6665 §8.3.2), Allow-Events: check-sync
//! ```
//!
//! The NOTIFY's body is not read.

use super::phone::{Event, Output, Phone};
use crate::sip::message::{HeaderName, Message};
use crate::sip::transaction::key::ServerKey;
use std::net::SocketAddr;
use std::time::Instant;

/// The one event package the phone takes NOTIFYs for.
pub const CHECK_SYNC: &str = "check-sync";

/// The event package a NOTIFY names (the `Event` token, lower-case, without parameters).
fn event_package(req: &Message<'_>) -> Option<String> {
    let value = req.header(HeaderName::Event)?.value();
    let text = String::from_utf8_lossy(&value);
    let package = text.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    (!package.is_empty()).then_some(package)
}

impl Phone {
    /// A NOTIFY outside a dialog that passed the ghost-call filter: check-sync is taken
    /// (200, [`Event::CheckSync`]); any other event package gets 489.
    pub(super) fn serve_notify(&mut self, now: Instant, from: SocketAddr, key: ServerKey, req: &Message<'_>) {
        match event_package(req) {
            Some(package) if package == CHECK_SYNC => {
                self.respond_in_transaction(now, from, key, req, 200, &[]);
                self.outputs.push_back(Output::Event(Event::CheckSync { from }));
            }
            _ => {
                let headers = [(HeaderName::AllowEvents, CHECK_SYNC.to_owned())];
                self.respond_in_transaction(now, from, key, req, 489, &headers);
            }
        }
    }
}
