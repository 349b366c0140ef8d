//! Matching messages to transactions (RFC 3261 §17.1.3 and §17.2.3).
//!
//! A request whose top Via branch starts with the magic cookie `z9hG4bK` (and carries more
//! than the cookie) is matched by branch, sent-by and method, with ACK matching the INVITE
//! it acknowledges. Call-ID and CSeq number are part of the key too: a retransmission, its
//! ACK and its CANCEL repeat them, and a sender that reuses a branch for a new request (the
//! RFC 4475 files do) then gets a new transaction rather than an old answer. Anything else falls back to RFC 2543 matching: Call-ID, CSeq number,
//! From tag, the top Via as written, and the method. Responses are matched by the branch
//! of their top Via and the CSeq method.

use crate::sip::message::via::MAGIC_COOKIE;
use crate::sip::message::{Message, Method};

/// The method part of a key: ACK shares the INVITE's transaction; CANCEL has its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyMethod {
    /// INVITE, and the ACK of a non-2xx final response.
    Invite,
    /// Any other method, upper-case as received.
    Other(Vec<u8>),
}

impl KeyMethod {
    fn of(method: &Method<'_>) -> Self {
        match method {
            Method::Invite | Method::Ack => Self::Invite,
            other => Self::Other(other.as_bytes().to_ascii_uppercase()),
        }
    }
}

/// Identifies a server transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ServerKey {
    /// RFC 3261: branch, sent-by host (lower-case) and port, method; Call-ID and CSeq
    /// number as a guard against reused branches.
    Branch {
        /// The branch parameter.
        branch: Vec<u8>,
        /// Call-ID.
        call_id: Vec<u8>,
        /// CSeq number.
        cseq: u32,
        /// sent-by host.
        host: Vec<u8>,
        /// sent-by port (default applied).
        port: u16,
        /// The method.
        method: KeyMethod,
    },
    /// RFC 2543 fallback.
    Legacy {
        /// Call-ID.
        call_id: Vec<u8>,
        /// CSeq number.
        cseq: u32,
        /// From tag, if any.
        from_tag: Vec<u8>,
        /// The top Via as written.
        via: Vec<u8>,
        /// The method.
        method: KeyMethod,
    },
}

/// The server-transaction key of a request, or `None` when the headers it needs do not
/// parse (such a request is answered statelessly or dropped).
pub fn server_key(req: &Message<'_>) -> Option<ServerKey> {
    let method = KeyMethod::of(&req.method()?);
    let via = req.top_via().ok()?;
    let call_id = req.call_id().ok()?.to_vec();
    let cseq = req.cseq().ok()?.seq;
    match via.branch {
        Some(branch) if branch.starts_with(MAGIC_COOKIE) && branch.len() > MAGIC_COOKIE.len() => {
            Some(ServerKey::Branch {
                branch: branch.to_vec(),
                call_id,
                cseq,
                host: via.host.to_string().to_ascii_lowercase().into_bytes(),
                port: via.port_or_default(),
                method,
            })
        }
        _ => {
            let from = req.from().ok()?;
            let raw_via = req.header(crate::sip::message::HeaderName::Via)?.value().into_owned();
            Some(ServerKey::Legacy {
                call_id,
                cseq,
                from_tag: from.tag().unwrap_or_default().to_vec(),
                via: raw_via,
                method,
            })
        }
    }
}

/// The key of the INVITE server transaction a CANCEL targets (§9.2): the CANCEL's own key
/// with the INVITE method.
pub fn cancel_target(key: &ServerKey) -> ServerKey {
    let mut target = key.clone();
    match &mut target {
        ServerKey::Branch { method, .. } | ServerKey::Legacy { method, .. } => *method = KeyMethod::Invite,
    }
    target
}

/// Identifies a client transaction: our branch and the CSeq method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientKey {
    /// The branch we put in the top Via.
    pub branch: Vec<u8>,
    /// The request method (CANCEL and the INVITE it cancels differ here).
    pub method: Vec<u8>,
}

/// The client-transaction key a response belongs to.
pub fn client_key(resp: &Message<'_>) -> Option<ClientKey> {
    let via = resp.top_via().ok()?;
    let cseq = resp.cseq().ok()?;
    Some(ClientKey { branch: via.branch?.to_vec(), method: cseq.method.as_bytes().to_ascii_uppercase() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::{Datagram, parse_datagram};

    fn key(text: &str) -> Option<ServerKey> {
        let bytes = text.replace('\n', "\r\n").into_bytes();
        let Ok(Datagram::Message(msg)) = parse_datagram(&bytes) else { panic!("parse") };
        server_key(&msg)
    }

    const INVITE: &str = "INVITE sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h.example:5070;branch=z9hG4bKabc\nFrom: <sip:x@y>;tag=1\nTo: <sip:a@b>\nCall-ID: c1\nCSeq: 7 INVITE\nContent-Length: 0\n\n";

    #[test]
    fn ack_and_invite_share_a_key_cancel_does_not() {
        let invite = key(INVITE).unwrap();
        let ack = key(&INVITE.replace("INVITE sip", "ACK sip").replace("7 INVITE", "7 ACK")).unwrap();
        let cancel =
            key(&INVITE.replace("INVITE sip", "CANCEL sip").replace("7 INVITE", "7 CANCEL")).unwrap();
        assert_eq!(invite, ack);
        assert_ne!(invite, cancel);
        assert_eq!(cancel_target(&cancel), invite);
    }

    #[test]
    fn sent_by_is_part_of_the_key() {
        assert_ne!(key(INVITE), key(&INVITE.replace("h.example:5070", "h.example:5071")));
        assert_eq!(key(INVITE), key(&INVITE.replace("h.example:5070", "H.EXAMPLE:5070")));
    }

    #[test]
    fn a_reused_branch_with_a_new_call_id_is_a_new_transaction() {
        assert_ne!(key(INVITE), key(&INVITE.replace("Call-ID: c1", "Call-ID: c2")));
        assert_ne!(key(INVITE), key(&INVITE.replace("7 INVITE", "8 INVITE")));
    }

    #[test]
    fn bare_cookie_and_2543_branches_fall_back() {
        for branch in ["z9hG4bK", "12345"] {
            let k = key(&INVITE.replace("z9hG4bKabc", branch)).unwrap();
            assert!(matches!(k, ServerKey::Legacy { cseq: 7, .. }), "{k:?}");
        }
    }
}
