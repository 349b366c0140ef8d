//! The ACK a client INVITE transaction sends for a non-2xx final response (RFC 3261
//! §17.1.1.3): the INVITE's Request-URI, Call-ID, From and CSeq number, the To of the
//! response (with its tag), only the INVITE's top Via, and its Route headers.

use crate::sip::message::{HeaderName, Message, Method, Request, StartLine};

/// Builds the ACK for `invite` answered by the non-2xx `response`; `None` when either
/// lacks what the ACK needs.
pub fn ack_for_failure(invite: &Message<'_>, response: &Message<'_>) -> Option<Request> {
    let StartLine::Request(line) = &invite.start else { return None };
    let top_via = invite.header(HeaderName::Via)?.value();
    let top_via = first_value(&top_via);
    let cseq = invite.cseq().ok()?;
    let mut ack = Request::new(Method::Ack, line.uri.to_vec())
        .with(HeaderName::Via, top_via)
        .with(HeaderName::From, invite.header(HeaderName::From)?.value().into_owned())
        .with(HeaderName::To, response.header(HeaderName::To)?.value().into_owned())
        .with(HeaderName::CallId, invite.header(HeaderName::CallId)?.value().into_owned())
        .with(HeaderName::CSeq, format!("{} ACK", cseq.seq))
        .with(HeaderName::MaxForwards, "70");
    for route in invite.headers_named(HeaderName::Route) {
        ack = ack.with(HeaderName::Route, route.value().into_owned());
    }
    Some(ack)
}

/// The first value of a comma-separated header line (quotes respected).
fn first_value(value: &[u8]) -> Vec<u8> {
    let mut quoted = false;
    let end = value
        .iter()
        .position(|&b| {
            if b == b'"' {
                quoted = !quoted;
            }
            b == b',' && !quoted
        })
        .unwrap_or(value.len());
    value.get(..end).unwrap_or(value).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::{Datagram, parse_datagram};

    fn parse(text: &str) -> Vec<u8> {
        text.replace('\n', "\r\n").into_bytes()
    }

    #[test]
    fn the_rfc_recipe() {
        let invite = parse(
            "INVITE sip:23456@sip.test SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.3:5060;branch=z9hG4bKa1, SIP/2.0/UDP x;branch=z9hG4bKb\n\
             Route: <sip:127.0.0.1;lr>\nFrom: <sip:12345@sip.test>;tag=f1\nTo: <sip:23456@sip.test>\nCall-ID: c1\n\
             CSeq: 7 INVITE\nMax-Forwards: 70\nContent-Length: 0\n\n",
        );
        let resp = parse(
            "SIP/2.0 486 Busy Here\nVia: SIP/2.0/UDP 10.0.0.3:5060;branch=z9hG4bKa1\nFrom: <sip:12345@sip.test>;tag=f1\n\
             To: <sip:23456@sip.test>;tag=t9\nCall-ID: c1\nCSeq: 7 INVITE\nContent-Length: 0\n\n",
        );
        let (Ok(Datagram::Message(i)), Ok(Datagram::Message(r))) =
            (parse_datagram(&invite), parse_datagram(&resp))
        else {
            panic!("parse")
        };
        let ack = String::from_utf8(ack_for_failure(&i, &r).unwrap().to_bytes()).unwrap();
        assert_eq!(
            ack,
            "ACK sip:23456@sip.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.3:5060;branch=z9hG4bKa1\r\n\
             From: <sip:12345@sip.test>;tag=f1\r\nTo: <sip:23456@sip.test>;tag=t9\r\nCall-ID: c1\r\nCSeq: 7 ACK\r\n\
             Max-Forwards: 70\r\nRoute: <sip:127.0.0.1;lr>\r\nContent-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn commas_in_quotes_do_not_split() {
        assert_eq!(
            first_value(b"SIP/2.0/UDP a;x=\"1,2\", SIP/2.0/UDP b"),
            b"SIP/2.0/UDP a;x=\"1,2\"".to_vec()
        );
    }
}
