//! What a UA answers to a new request outside any transaction (RFC 3261 §8.2), in the
//! RFC's order:
//!
//! 1. method inspection (§8.2.1): unknown → 501, known but not served → 405 with Allow;
//! 2. Request-URI scheme (§8.2.2.1): neither `sip` nor `sips` → 416;
//! 3. a To tag with no matching dialog (§12.2.2) → 481;
//! 4. `Require` with an option tag we lack (§8.2.2.3) → 420 with Unsupported;
//! 5. content (§8.2.3): a body type we do not understand → 415 with Accept (a NOTIFY's
//!    body is never read, so it is not checked);
//!    an `Accept` that rules out SDP on a request whose answer carries SDP → 406;
//! 6. otherwise the method is served.
//!
//! ACK is never answered; CANCEL and in-dialog requests reach the phone's own handling.

use crate::sip::message::uri::Uri;
use crate::sip::message::{HeaderName, Message, Method};

/// Methods the phone serves, in the order `Allow` lists them.
pub const ALLOW: &[Method<'static>] = &[
    Method::Invite,
    Method::Ack,
    Method::Cancel,
    Method::Bye,
    Method::Options,
    Method::Info,
    Method::Notify,
    Method::Refer,
];

/// Option tags the phone supports (`Supported`, and what `Require` may ask for):
/// `replaces` (RFC 3891), for attended transfer.
pub const SUPPORTED: &[&str] = &["replaces"];

/// The body type the phone understands.
pub const ACCEPT: &str = "application/sdp";

/// The `Allow` header value.
pub fn allow_value() -> String {
    let names: Vec<String> =
        ALLOW.iter().map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned()).collect();
    names.join(", ")
}

/// The decision for a new request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Answer with this status and these extra headers.
    Reject {
        /// The status code.
        code: u16,
        /// Headers the status needs (Allow, Unsupported, Accept).
        headers: Vec<(HeaderName, String)>,
    },
    /// Serve the method.
    Serve,
    /// Say nothing (ACK).
    Ignore,
}

fn reject(code: u16) -> Verdict {
    Verdict::Reject { code, headers: Vec::new() }
}

/// Decides how to answer a request that passed validation and matched no transaction.
pub fn classify(req: &Message<'_>) -> Verdict {
    let Some(method) = req.method() else { return reject(400) };
    if method == Method::Ack {
        return Verdict::Ignore;
    }
    if let Method::Extension(_) = method {
        return Verdict::Reject { code: 501, headers: vec![(HeaderName::Allow, allow_value())] };
    }
    if !ALLOW.contains(&method) {
        return Verdict::Reject { code: 405, headers: vec![(HeaderName::Allow, allow_value())] };
    }
    match req.request_uri() {
        Ok(Uri::Sip(_)) => {}
        Ok(_) => return reject(416),
        Err(_) => return reject(400),
    }
    if req.to().ok().and_then(|to| to.tag()).is_some() && method != Method::Cancel {
        return reject(481);
    }
    let unsupported: Vec<String> = req
        .tokens(HeaderName::Require)
        .unwrap_or_default()
        .into_iter()
        .map(|t| String::from_utf8_lossy(t).into_owned())
        .filter(|t| !SUPPORTED.iter().any(|s| s.eq_ignore_ascii_case(t)))
        .collect();
    if !unsupported.is_empty() && method != Method::Cancel {
        return Verdict::Reject {
            code: 420,
            headers: vec![(HeaderName::Unsupported, unsupported.join(", "))],
        };
    }
    // A NOTIFY's body is not read (check-sync needs none).
    if !req.body.is_empty() && method != Method::Notify {
        let understood = matches!(req.content_type(), Ok(Some(t)) if t.is("application", "sdp"));
        if !understood {
            return Verdict::Reject { code: 415, headers: vec![(HeaderName::Accept, ACCEPT.into())] };
        }
    }
    if method == Method::Invite && !accepts_sdp(req) {
        return Verdict::Reject { code: 406, headers: vec![(HeaderName::Accept, ACCEPT.into())] };
    }
    Verdict::Serve
}

/// Whether the request's `Accept` (absent means SDP) allows an SDP answer.
fn accepts_sdp(req: &Message<'_>) -> bool {
    match req.accept() {
        Ok(Some(types)) => {
            types.iter().any(|t| t.is("application", "sdp") || t.is("application", "*") || t.is("*", "*"))
        }
        _ => true,
    }
}
