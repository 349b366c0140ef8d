//! Dialogs (RFC 3261 §12): the state two user agents share for the life of a call.
//!
//! ```text
//!   UAC: INVITE ──▶ 1xx/2xx with To tag ──▶ Dialog::from_response   (route set = Record-Route reversed)
//!   UAS: INVITE ──▶ we answer with our tag ──▶ Dialog::from_request   (route set = Record-Route as is)
//!
//!   in-dialog request:  Request-URI = remote target (the peer's Contact)
//!                       Route       = route set (loose routing, `;lr`)
//!                       CSeq        = local CSeq + 1 (ACK for a 2xx reuses the INVITE's number)
//!   incoming request:   CSeq must rise, else 500 (§12.2.2); a target refresh (re-INVITE,
//!                       UPDATE) replaces the remote target with its Contact
//! ```
//! Pure: no clock, no RNG; the caller provides branches.

use super::message::name_addr::Contacts;
use super::message::{HeaderName, Message, Method, Request};
use thiserror::Error;

/// Identifies a dialog: Call-ID and both tags (§12).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    /// Call-ID.
    pub call_id: String,
    /// Our tag (From tag as UAC, To tag as UAS).
    pub local_tag: String,
    /// The peer's tag.
    pub remote_tag: String,
}

/// Why a dialog could not be made or used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DialogError {
    /// A header a dialog needs is missing or malformed.
    #[error("the message has no usable {0}")]
    Missing(&'static str),
    /// An in-dialog request's CSeq did not rise.
    #[error("CSeq {got} is not higher than {last}")]
    CSeqNotRising {
        /// The CSeq received.
        got: u32,
        /// The last one seen.
        last: u32,
    },
}

/// One dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    /// Call-ID and tags.
    pub id: DialogId,
    /// Our URI with our tag, as it goes into From of our requests.
    pub local: String,
    /// The peer's URI with its tag, as it goes into To of our requests.
    pub remote: String,
    /// Where in-dialog requests go: the peer's Contact URI.
    pub remote_target: String,
    /// Route set, in the order our requests carry it.
    pub route_set: Vec<String>,
    /// Our last CSeq number.
    pub local_cseq: u32,
    /// The peer's last CSeq number, if it sent a request in the dialog.
    pub remote_cseq: Option<u32>,
}

fn header_text(msg: &Message<'_>, name: HeaderName) -> Option<String> {
    msg.header(name).map(|h| String::from_utf8_lossy(&h.value()).trim().to_owned())
}

fn contact_uri(msg: &Message<'_>) -> Option<String> {
    match msg.contacts().ok()? {
        Contacts::List(list) => list.first().map(|c| String::from_utf8_lossy(c.addr.uri_raw).into_owned()),
        Contacts::Star => None,
    }
}

/// Every Record-Route value as written (`<sip:proxy;lr>`), in message order.
fn record_routes(msg: &Message<'_>) -> Vec<String> {
    msg.record_routes()
        .map(|list| list.iter().map(|r| format!("<{}>", String::from_utf8_lossy(r.uri_raw))).collect())
        .unwrap_or_default()
}

impl Dialog {
    /// The UAC side, from our INVITE and a 1xx (with To tag) or 2xx response.
    pub fn from_response(request: &Message<'_>, response: &Message<'_>) -> Result<Self, DialogError> {
        let to = response.to().map_err(|_| DialogError::Missing("To"))?;
        let remote_tag = to.tag().ok_or(DialogError::Missing("To tag"))?;
        let from = request.from().map_err(|_| DialogError::Missing("From"))?;
        let local_tag = from.tag().ok_or(DialogError::Missing("From tag"))?;
        let call_id = request.call_id().map_err(|_| DialogError::Missing("Call-ID"))?;
        let cseq = request.cseq().map_err(|_| DialogError::Missing("CSeq"))?;
        let mut route_set = record_routes(response);
        route_set.reverse();
        Ok(Dialog {
            id: DialogId {
                call_id: String::from_utf8_lossy(call_id).into_owned(),
                local_tag: String::from_utf8_lossy(local_tag).into_owned(),
                remote_tag: String::from_utf8_lossy(remote_tag).into_owned(),
            },
            local: header_text(request, HeaderName::From).ok_or(DialogError::Missing("From"))?,
            remote: header_text(response, HeaderName::To).ok_or(DialogError::Missing("To"))?,
            remote_target: contact_uri(response).ok_or(DialogError::Missing("Contact"))?,
            route_set,
            local_cseq: cseq.seq,
            remote_cseq: None,
        })
    }

    /// The UAS side, from the peer's INVITE and the tag we give our answer.
    pub fn from_request(request: &Message<'_>, local_tag: &str) -> Result<Self, DialogError> {
        let from = request.from().map_err(|_| DialogError::Missing("From"))?;
        let remote_tag = from.tag().ok_or(DialogError::Missing("From tag"))?;
        let call_id = request.call_id().map_err(|_| DialogError::Missing("Call-ID"))?;
        let cseq = request.cseq().map_err(|_| DialogError::Missing("CSeq"))?;
        let to = header_text(request, HeaderName::To).ok_or(DialogError::Missing("To"))?;
        Ok(Dialog {
            id: DialogId {
                call_id: String::from_utf8_lossy(call_id).into_owned(),
                local_tag: local_tag.to_owned(),
                remote_tag: String::from_utf8_lossy(remote_tag).into_owned(),
            },
            local: format!("{to};tag={local_tag}"),
            remote: header_text(request, HeaderName::From).ok_or(DialogError::Missing("From"))?,
            remote_target: contact_uri(request).ok_or(DialogError::Missing("Contact"))?,
            route_set: record_routes(request),
            local_cseq: 0,
            remote_cseq: Some(cseq.seq),
        })
    }

    /// A new request in the dialog (BYE, re-INVITE, INFO, ...): CSeq rises.
    pub fn request(&mut self, method: Method<'_>, via: &str) -> Request {
        self.local_cseq += 1;
        self.build(method, via, self.local_cseq)
    }

    /// The ACK for a 2xx to the INVITE with CSeq `invite_cseq` (§13.2.2.4): same number.
    pub fn ack(&self, invite_cseq: u32, via: &str) -> Request {
        self.build(Method::Ack, via, invite_cseq)
    }

    fn build(&self, method: Method<'_>, via: &str, cseq: u32) -> Request {
        let name = String::from_utf8_lossy(method.as_bytes()).into_owned();
        let mut req = Request::new(method, self.remote_target.clone())
            .with(HeaderName::Via, via)
            .with(HeaderName::From, self.local.as_str())
            .with(HeaderName::To, self.remote.as_str())
            .with(HeaderName::CallId, self.id.call_id.as_str())
            .with(HeaderName::CSeq, format!("{cseq} {name}"))
            .with(HeaderName::MaxForwards, "70");
        for route in &self.route_set {
            req = req.with(HeaderName::Route, route.as_str());
        }
        req
    }

    /// Checks an incoming in-dialog request (its CSeq must rise; ACK and CANCEL are exempt)
    /// and applies a target refresh (re-INVITE or UPDATE with a Contact).
    pub fn on_request(&mut self, request: &Message<'_>) -> Result<(), DialogError> {
        let method = request.method();
        let cseq = request.cseq().map_err(|_| DialogError::Missing("CSeq"))?;
        if !matches!(method, Some(Method::Ack | Method::Cancel)) {
            if let Some(last) = self.remote_cseq
                && cseq.seq <= last
            {
                return Err(DialogError::CSeqNotRising { got: cseq.seq, last });
            }
            self.remote_cseq = Some(cseq.seq);
        }
        if matches!(method, Some(Method::Invite | Method::Update))
            && let Some(target) = contact_uri(request)
        {
            self.remote_target = target;
        }
        Ok(())
    }

    /// Whether `msg` (a request or response) belongs to this dialog: Call-ID and tags.
    pub fn matches(&self, msg: &Message<'_>) -> bool {
        let Ok(call_id) = msg.call_id() else { return false };
        if call_id != self.id.call_id.as_bytes() {
            return false;
        }
        let tag =
            |h: Result<super::message::NameAddr<'_>, _>| h.ok().and_then(|n| n.tag().map(<[u8]>::to_vec));
        let (from, to) = (tag(msg.from()), tag(msg.to()));
        let (local, remote) = (self.id.local_tag.as_bytes().to_vec(), self.id.remote_tag.as_bytes().to_vec());
        if msg.is_request() {
            // The peer's request: From is theirs, To is ours.
            from.as_ref() == Some(&remote) && to.as_ref() == Some(&local)
        } else {
            from.as_ref() == Some(&local) && to.as_ref() == Some(&remote)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::{Datagram, parse_datagram};

    fn bytes(text: &str) -> Vec<u8> {
        text.replace('\n', "\r\n").into_bytes()
    }

    fn msg(b: &[u8]) -> Message<'_> {
        match parse_datagram(b) {
            Ok(Datagram::Message(m)) => m,
            other => panic!("parse: {other:?}"),
        }
    }

    const INVITE: &str = "INVITE sip:23456@sip.test SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.3:5060;branch=z9hG4bKa\n\
        From: \"Line One\" <sip:12345@sip.test>;tag=f1\nTo: <sip:23456@sip.test>\nCall-ID: c1@10.0.0.3\n\
        CSeq: 101 INVITE\nContact: <sip:12345@10.0.0.3:5060>\nMax-Forwards: 70\nContent-Length: 0\n\n";

    const OK: &str = "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 10.0.0.3:5060;branch=z9hG4bKa\n\
        Record-Route: <sip:127.0.0.1:5082;lr>\nRecord-Route: <sip:127.0.0.1:5060;lr>\n\
        From: \"Line One\" <sip:12345@sip.test>;tag=f1\nTo: <sip:23456@sip.test>;tag=t2\nCall-ID: c1@10.0.0.3\n\
        CSeq: 101 INVITE\nContact: <sip:23456@127.0.0.1:5064>\nContent-Length: 0\n\n";

    #[test]
    fn uac_dialog_reverses_record_route_and_targets_the_contact() {
        let (i, o) = (bytes(INVITE), bytes(OK));
        let mut d = Dialog::from_response(&msg(&i), &msg(&o)).unwrap();
        assert_eq!(
            d.id,
            DialogId { call_id: "c1@10.0.0.3".into(), local_tag: "f1".into(), remote_tag: "t2".into() }
        );
        assert_eq!(d.route_set, vec!["<sip:127.0.0.1:5060;lr>", "<sip:127.0.0.1:5082;lr>"]);
        let ack =
            String::from_utf8(d.ack(101, "SIP/2.0/UDP 10.0.0.3:5060;branch=z9hG4bKb").to_bytes()).unwrap();
        assert!(ack.starts_with("ACK sip:23456@127.0.0.1:5064 SIP/2.0\r\n"), "{ack}");
        assert!(ack.contains("CSeq: 101 ACK\r\n"));
        assert!(ack.contains("Route: <sip:127.0.0.1:5060;lr>\r\nRoute: <sip:127.0.0.1:5082;lr>\r\n"));
        assert!(ack.contains("To: <sip:23456@sip.test>;tag=t2\r\n"));
        let bye =
            String::from_utf8(d.request(Method::Bye, "SIP/2.0/UDP 10.0.0.3:5060;branch=z9hG4bKc").to_bytes())
                .unwrap();
        assert!(bye.contains("CSeq: 102 BYE\r\n"), "{bye}");
        assert!(d.matches(&msg(&o)));
    }

    #[test]
    fn uas_dialog_keeps_record_route_order_and_checks_cseq() {
        let with_rr = INVITE.replace(
            "Max-Forwards: 70\n",
            "Record-Route: <sip:p1;lr>\nRecord-Route: <sip:p2;lr>\nMax-Forwards: 70\n",
        );
        let i = bytes(&with_rr);
        let mut d = Dialog::from_request(&msg(&i), "t9").unwrap();
        assert_eq!(d.route_set, vec!["<sip:p1;lr>", "<sip:p2;lr>"]);
        assert_eq!(d.remote_target, "sip:12345@10.0.0.3:5060");
        assert_eq!(d.local, "<sip:23456@sip.test>;tag=t9");
        let bye = |n: u32| {
            bytes(&format!(
                "BYE sip:23456@10.0.0.9 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.3:5060;branch=z9hG4bKx{n}\n\
                 From: <sip:12345@sip.test>;tag=f1\nTo: <sip:23456@sip.test>;tag=t9\nCall-ID: c1@10.0.0.3\n\
                 CSeq: {n} BYE\nMax-Forwards: 70\nContent-Length: 0\n\n"
            ))
        };
        let (b1, b0) = (bye(102), bye(100));
        assert!(d.matches(&msg(&b1)));
        assert_eq!(d.on_request(&msg(&b0)), Err(DialogError::CSeqNotRising { got: 100, last: 101 }));
        assert_eq!(d.on_request(&msg(&b1)), Ok(()));
    }

    #[test]
    fn a_reinvite_refreshes_the_target() {
        let i = bytes(INVITE);
        let mut d = Dialog::from_request(&msg(&i), "t9").unwrap();
        let re = bytes(
            &INVITE
                .replace("CSeq: 101", "CSeq: 102")
                .replace("To: <sip:23456@sip.test>", "To: <sip:23456@sip.test>;tag=t9")
                .replace("10.0.0.3:5060>", "10.0.0.4:5060>"),
        );
        d.on_request(&msg(&re)).unwrap();
        assert_eq!(d.remote_target, "sip:12345@10.0.0.4:5060");
    }

    #[test]
    fn missing_parts_are_errors() {
        let i = bytes(INVITE);
        let no_tag = bytes(&OK.replace(";tag=t2", ""));
        assert_eq!(Dialog::from_response(&msg(&i), &msg(&no_tag)), Err(DialogError::Missing("To tag")));
        let no_contact = bytes(&OK.replace("Contact: <sip:23456@127.0.0.1:5064>\n", ""));
        assert_eq!(Dialog::from_response(&msg(&i), &msg(&no_contact)), Err(DialogError::Missing("Contact")));
    }
}
