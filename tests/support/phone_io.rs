//! Driving a sans-IO [`Phone`] by hand: feed it a datagram, collect what it sends (as
//! text) and the events it reports.

#![allow(dead_code)]

use sip7940::ua::{Event, Output, Phone};
use std::net::SocketAddr;
use std::time::Instant;

/// Everything the phone has to send (as text) and to say, in order.
pub fn drain(p: &mut Phone) -> (Vec<String>, Vec<Event>) {
    let (mut sent, mut events) = (vec![], vec![]);
    while let Some(o) = p.poll_output() {
        match o {
            Output::Transmit(t) => sent.push(String::from_utf8_lossy(&t.bytes).into_owned()),
            Output::Event(e) => events.push(e),
            Output::Resolve(_) => {}
        }
    }
    (sent, events)
}

/// Feeds `bytes` from `from` at `now`, then [`drain`]s.
pub fn feed(p: &mut Phone, now: Instant, from: SocketAddr, bytes: &[u8]) -> (Vec<String>, Vec<Event>) {
    p.handle_datagram(now, from, bytes);
    drain(p)
}

/// The status code of a response's text (`SIP/2.0 200 OK` → `200`); empty for a request.
pub fn status(m: &str) -> &str {
    m.get(8..11).unwrap_or("")
}
