//! Relaying responses (RFC 3261 §16.7 step 3, §16.11): a response whose top Via is ours
//! loses it and goes to the next Via's address — `received` and `rport` as we stamped them
//! when the request passed.
//!
//! ```text
//!  SIP/2.0 200 OK                          SIP/2.0 200 OK
//!  Via: SIP/2.0/UDP P;branch=z9hG4bKsr…  ─▶  Via: SIP/2.0/UDP A;branch=X;received=…;rport=…
//!  Via: SIP/2.0/UDP A;branch=X;received=…     (sent to received:rport)
//! ```

use super::hops::{BRANCH_PREFIX, rest_after_first, via_destination};
use super::{DropReason, Registrar};
use crate::sip::message::via::Via;
use crate::sip::message::{HeaderName, Message, OwnedMessage, validate_response};
use std::net::SocketAddr;

impl Registrar {
    pub(super) fn relay_response(&mut self, from: SocketAddr, resp: &Message<'_>) {
        if let Err(err) = validate_response(resp) {
            self.drop_with(from, DropReason::InvalidResponse(err));
            return;
        }
        let Ok(vias) = resp.vias() else {
            self.drop_with(from, DropReason::NotOurs);
            return;
        };
        let ours = vias.first().is_some_and(|v| self.is_our_via(v));
        if !ours {
            self.drop_with(from, DropReason::NotOurs);
            return;
        }
        let Some(to) = vias.get(1).and_then(via_destination) else {
            self.drop_with(from, DropReason::NoPreviousHop);
            return;
        };
        let OwnedMessage::Response(mut out) = resp.to_owned_message() else { return };
        if let Some(i) = out.headers.0.iter().position(|h| h.name.is(HeaderName::Via)) {
            let rest = out.headers.0.get(i).and_then(|h| rest_after_first(&h.value, Via::parse_at));
            match (rest.map(<[u8]>::to_vec), out.headers.0.get_mut(i)) {
                (Some(rest), Some(h)) => h.value = rest,
                _ => {
                    out.headers.0.remove(i);
                }
            }
        }
        self.send(to, out.to_bytes());
    }

    /// Whether a Via is one this proxy wrote: our address and one of our branches.
    fn is_our_via(&self, via: &Via<'_>) -> bool {
        let addr = self.config.addr;
        super::hops::host_ip(&via.host) == Some(addr.ip())
            && via.port_or_default() == addr.port()
            && via.branch.is_some_and(|b| b.starts_with(BRANCH_PREFIX.as_bytes()))
    }
}
